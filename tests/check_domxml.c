/* domxml: generated domain XML (golden files) and the metadata round trip. */
#include <string.h>

#include "ec2lite/domxml.h"
#include "ec2lite/util.h"
#include "testutil.h"

static void fill_meta(struct ec2_meta *m)
{
	memset(m, 0, sizeof(*m));
	strcpy(m->image_id, "ami-0123456789abcdef0");
	strcpy(m->instance_type, "t2.micro");
	strcpy(m->reservation_id, "r-0123456789abcdef0");
	strcpy(m->launch_time, "2026-12-01T07:41:00.000Z");
	m->launch_index = 2;
	m->hibernation = true;
	strcpy(m->shutdown_behavior, "terminate");
	strcpy(m->client_token, "token-1");
	strcpy(m->root_volume_id, "vol-0123456789abcdef0");
	strcpy(m->root_volume, "i-0123456789abcdef0-root.qcow2");
	strcpy(m->pool, "ec2-lite");
	strcpy(m->accelerator, "tcg");
	strcpy(m->private_ip, "172.31.5.9");
	strcpy(m->public_ip, "127.77.3.4");
	strcpy(m->eni_id, "eni-0123456789abcdef0");
	strcpy(m->vpc_id, "vpc-0123456789abcdef0");
	strcpy(m->subnet_id, "subnet-0123456789abcdef0");
	m->tags = json_tokener_parse("[{\"Key\": \"Name\", \"Value\": \"web <&> \\\"'\"}]");
}

static const struct {
	const char *golden;
	enum ec2_accel accel;
	bool kernel;
} variants[] = {
	{ "domxml/tcg-kernel.xml", EC2_ACCEL_TCG, true },
	{ "domxml/kvm-disk.xml", EC2_ACCEL_KVM, false },
};

START_TEST(golden_domain_xml)
{
	struct ec2_meta m;
	struct domspec spec = {
		.name = "i-0123456789abcdef0",
		.accel = variants[_i].accel,
		.vcpus = 1,
		.memory_mib = 1024,
		.tb_cache_mib = 256,
		.disk_path = "/var/lib/ec2-lite/pool/i-0123456789abcdef0-root.qcow2",
		.disk_format = "qcow2",
		.kernel = variants[_i].kernel ? "/var/lib/ec2-lite/kernels/ami-0/vmlinuz" : NULL,
		.initrd = variants[_i].kernel ? "/var/lib/ec2-lite/kernels/ami-0/initrd.img" : NULL,
		.cmdline = variants[_i].kernel ? "console=ttyS0 root=/dev/vda rw" : NULL,
		.console_log = "/var/lib/ec2-lite/instances/i-0123456789abcdef0/console.log",
		.seed = variants[_i].kernel ? "/var/lib/ec2-lite/instances/i-0123456789abcdef0/seed.iso"
					    : NULL,
		/* The NIC is on QEMU's command line (net_qemu_args), with what libvirt must not
		 * escape away. */
		.netdev = variants[_i].kernel ? "user,id=ec2net0,net=172.31.0.0/20,restrict=on" : NULL,
		.nic = variants[_i].kernel ? "virtio-net-pci,netdev=ec2net0,addr=0x1f" : NULL,
		.meta = &m,
	};
	char *xml;

	fill_meta(&m);
	xml = domxml_build(&spec, NULL);
	ck_assert_ptr_nonnull(xml);
	test_golden(variants[_i].golden, xml);
	free(xml);
	ec2_meta_clear(&m);
}
END_TEST

/* The instance store: raw virtio disks named by their serial, after the root disk and the seed
 * (a golden file, which domxml_validate checks against libvirt's schema). */
START_TEST(instance_store_disks)
{
	static const char *const disks[] = {
		"/var/lib/ec2-lite/instances/i-0123456789abcdef0/ephemeral0.img",
		"/var/lib/ec2-lite/instances/i-0123456789abcdef0/ephemeral1.img",
	};
	struct ec2_meta m;
	struct domspec spec = {
		.name = "i-0123456789abcdef0",
		.accel = EC2_ACCEL_KVM,
		.vcpus = 16,
		.memory_mib = 65536,
		.disk_path = "/var/lib/ec2-lite/pool/i-0123456789abcdef0-root.qcow2",
		.disk_format = "qcow2",
		.console_log = "/var/lib/ec2-lite/instances/i-0123456789abcdef0/console.log",
		.seed = "/var/lib/ec2-lite/instances/i-0123456789abcdef0/seed.iso",
		.ephemeral = disks,
		.ephemeral_count = 2,
		.meta = &m,
	};
	char *xml;

	fill_meta(&m);
	xml = domxml_build(&spec, NULL);
	ck_assert_ptr_nonnull(xml);
	test_golden("domxml/instance-store.xml", xml);
	free(xml);
	ec2_meta_clear(&m);
}
END_TEST

START_TEST(metadata_round_trip)
{
	struct ec2_meta m, back;
	struct ec2_error err = { 0 };
	char *xml;

	fill_meta(&m);
	m.pending_op = EC2_OP_STOP;
	m.pending_since = 1764574860;
	strcpy(m.transition_reason, "User initiated (2026-12-01 07:41:00 GMT)");
	strcpy(m.state_reason, "Client.UserInitiatedShutdown");
	strcpy(m.availability_zone, "us-east-1b");
	strcpy(m.eip_allocation_id, "eipalloc-0123456789abcdef0");
	m.disable_api_termination = true;
	m.disable_api_stop = true;
	m.source_dest_check_off = true;
	xml = ec2_meta_to_xml(&m, &err);
	ck_assert_ptr_nonnull(xml);
	ck_assert_int_eq(ec2_meta_from_xml(xml, &back, &err), 0);
	ck_assert_str_eq(back.image_id, m.image_id);
	ck_assert_str_eq(back.instance_type, m.instance_type);
	ck_assert_str_eq(back.reservation_id, m.reservation_id);
	ck_assert_str_eq(back.launch_time, m.launch_time);
	ck_assert_int_eq(back.launch_index, 2);
	ck_assert(back.hibernation);
	ck_assert_str_eq(back.shutdown_behavior, "terminate");
	ck_assert_str_eq(back.client_token, "token-1");
	ck_assert_str_eq(back.pool, "ec2-lite");
	ck_assert_str_eq(back.accelerator, "tcg");
	ck_assert_int_eq(back.pending_op, EC2_OP_STOP);
	ck_assert_int_eq(back.pending_since, 1764574860);
	ck_assert_str_eq(back.transition_reason, m.transition_reason);
	ck_assert_str_eq(back.state_reason, m.state_reason);
	ck_assert_str_eq(back.private_ip, "172.31.5.9");
	ck_assert_str_eq(back.public_ip, "127.77.3.4");
	ck_assert_str_eq(back.eni_id, m.eni_id);
	ck_assert_str_eq(back.vpc_id, m.vpc_id);
	ck_assert_str_eq(back.subnet_id, m.subnet_id);
	ck_assert_str_eq(back.availability_zone, "us-east-1b");
	ck_assert_str_eq(back.eip_allocation_id, m.eip_allocation_id);
	ck_assert(back.disable_api_termination && back.disable_api_stop && back.source_dest_check_off);
	ck_assert_str_eq(json_object_to_json_string(back.tags), json_object_to_json_string(m.tags));
	free(xml);
	ec2_meta_clear(&m);
	ec2_meta_clear(&back);
}
END_TEST

/* MetadataOptions and the IAM instance profile's association go round; metadata without them
 * (an instance launched before they were kept) reads as EC2's defaults. */
START_TEST(metadata_options_round_trip)
{
	struct ec2_meta m, back;
	char *xml;

	fill_meta(&m);
	xml = ec2_meta_to_xml(&m, NULL);
	ck_assert_ptr_null(strstr(xml, "http-"));
	ck_assert_ptr_null(strstr(xml, "iam-"));
	ck_assert_int_eq(ec2_meta_from_xml(xml, &back, NULL), 0);
	ck_assert(!back.http_tokens_required && !back.http_endpoint_off && !back.metadata_tags);
	ck_assert_int_eq(back.http_hop_limit, 1);
	ck_assert_str_eq(back.iam_assoc_id, "");
	free(xml);
	ec2_meta_clear(&back);

	m.http_tokens_required = true;
	m.http_hop_limit = 64;
	m.http_endpoint_off = true;
	m.metadata_tags = true;
	strcpy(m.iam_profile_arn, "arn:aws:iam::123456789012:instance-profile/app/web<&>");
	strcpy(m.iam_profile_id, "AIPA0123456789ABCDEF0");
	strcpy(m.iam_assoc_id, "iip-assoc-0123456789abcdef0");
	strcpy(m.iam_assoc_time, "2026-12-04T19:00:00.000Z");
	xml = ec2_meta_to_xml(&m, NULL);
	ck_assert_int_eq(ec2_meta_from_xml(xml, &back, NULL), 0);
	ck_assert(back.http_tokens_required && back.http_endpoint_off && back.metadata_tags);
	ck_assert_int_eq(back.http_hop_limit, 64);
	ck_assert_str_eq(back.iam_profile_arn, m.iam_profile_arn);
	ck_assert_str_eq(back.iam_profile_id, m.iam_profile_id);
	ck_assert_str_eq(back.iam_assoc_id, m.iam_assoc_id);
	ck_assert_str_eq(back.iam_assoc_time, m.iam_assoc_time);
	free(xml);
	ec2_meta_clear(&m);
	ec2_meta_clear(&back);
}
END_TEST

START_TEST(metadata_rejects_foreign_xml)
{
	struct ec2_meta m;
	struct ec2_error err = { 0 };

	ck_assert_int_eq(ec2_meta_from_xml("<other/>", &m, &err), -1);
	ck_assert_int_eq(ec2_meta_from_xml("not xml", &m, &err), -1);
}
END_TEST

START_TEST(pool_and_volume_xml_escape_paths)
{
	char *pool = domxml_pool("ec2-lite-x", "/srv/a&b <c>", NULL);
	char *vol = domxml_volume("i-1-root.qcow2", 1048576, "/srv/a&b/base.raw", "raw", NULL);

	ck_assert_ptr_nonnull(strstr(pool, "<path>/srv/a&amp;b &lt;c&gt;</path>"));
	ck_assert_ptr_nonnull(strstr(vol, "<path>/srv/a&amp;b/base.raw</path>"));
	ck_assert_ptr_nonnull(strstr(vol, "<capacity unit=\"bytes\">1048576</capacity>"));
	ck_assert_ptr_nonnull(strstr(vol, "<format type=\"raw\"/>"));
	free(pool);
	free(vol);
}
END_TEST

/* A path in a QEMU option value: a comma would end the value and start an option of the
 * caller's choosing (",readonly=off,..."), so each is doubled, QEMU's escape. */
START_TEST(qemu_option_values_escape_commas)
{
	char *v = domxml_qemu_drive("/srv/st,ate,,x/accel-probe.img", "format=raw,if=ide");

	ck_assert_str_eq(v, "file=/srv/st,,ate,,,,x/accel-probe.img,format=raw,if=ide");
	free(v);
	v = domxml_qemu_drive("/srv/plain.img", "format=raw");
	ck_assert_str_eq(v, "file=/srv/plain.img,format=raw");
	free(v);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("domxml");
	TCase *tc = tcase_create("domxml");

	tcase_add_loop_test(tc, golden_domain_xml, 0, sizeof(variants) / sizeof(variants[0]));
	tcase_add_test(tc, instance_store_disks);
	tcase_add_test(tc, metadata_round_trip);
	tcase_add_test(tc, metadata_options_round_trip);
	tcase_add_test(tc, metadata_rejects_foreign_xml);
	tcase_add_test(tc, pool_and_volume_xml_escape_paths);
	tcase_add_test(tc, qemu_option_values_escape_commas);
	suite_add_tcase(s, tc);
	return test_run(s) ? 1 : 0;
}
