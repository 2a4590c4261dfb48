/* Instance attributes (src/model/instance-attrs.c) in-process against libvirt's test:///default
 * driver: ModifyInstanceAttribute in each of its forms, DescribeInstanceAttribute for every
 * attribute EC2 defines, GetPasswordData, and the protection attributes' refusals of
 * StopInstances and TerminateInstances. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ec2lite/domxml.h"
#include "ec2lite/ec2.h"
#include "ec2lite/filter.h"
#include "ec2lite/types.h"
#include "ec2lite/util.h"
#include "testutil.h"

static struct ec2_config cfg;
static struct ec2_ctx ctx;
static char *dir;
static char ami[32];

static void setup(void)
{
	dir = test_driver_open(&cfg, &ctx, EC2_CTX_EVENTS, "test-ami", ami);
}

static void teardown(void)
{
	test_driver_close(&cfg, &ctx, &dir);
}

typedef json_object *(*action_fn)(struct ec2_ctx *, json_object *, struct ec2_error *);

/* Calls an action that must succeed (req is consumed). */
static json_object *ok(action_fn fn, json_object *req)
{
	return test_ok(&ctx, fn, req);
}

/* As ok, for an answer that is not kept. */
static void done(action_fn fn, json_object *req)
{
	json_object_put(ok(fn, req));
}

/* Calls an action that must fail with code; its message is returned (static). */
static const char *fails(action_fn fn, json_object *req, const char *code)
{
	const char *message = test_fails(&ctx, fn, req, code, NULL);

	ck_assert(message[0] != '\0');
	return message;
}

/* Launches count instances of type and writes their ids into ids. */
static void run(int count, const char *type, const char *extra, char ids[][32])
{
	json_object *r = ok(ec2_run_instances,
			    J("{\"ImageId\": \"%s\", \"InstanceType\": \"%s\", \"MinCount\": %d, "
			      "\"MaxCount\": %d %s}", ami, type, count, count, extra ? extra : ""));
	json_object *list = json_path(r, "Instances");
	int i;

	ck_assert_int_eq(json_object_array_length(list), count);
	for (i = 0; i < count; i++)
		snprintf(ids[i], 32, "%s", json_object_get_string(
				 json_path(json_object_array_get_idx(list, i), "InstanceId")));
	json_object_put(r);
}

/* DescribeInstanceAttribute's answer as compact JSON text (static). */
static const char *attr(const char *id, const char *name)
{
	static char text[4096];
	json_object *r = ok(ec2_describe_instance_attribute,
			    J("{\"InstanceId\": \"%s\", \"Attribute\": \"%s\"}", id, name));

	snprintf(text, sizeof(text), "%s", json_object_to_json_string_ext(r, JSON_C_TO_STRING_PLAIN));
	json_object_put(r);
	return text;
}

/* json_path with array indices: "NetworkInterfaces.0.SourceDestCheck". */
static json_object *walk(json_object *o, const char *path)
{
	char *copy = strdup(path), *save = NULL, *part;

	for (part = strtok_r(copy, ".", &save); part && o; part = strtok_r(NULL, ".", &save))
		o = json_object_is_type(o, json_type_array) ?
		    json_object_array_get_idx(o, (size_t)atoi(part)) : json_path(o, part);
	free(copy);
	return o;
}

/* One member of the instance's description (static text). */
static const char *described(const char *id, const char *path)
{
	static char text[256];
	json_object *r = ok(ec2_describe_instances, J("{\"InstanceIds\": [\"%s\"]}", id));
	json_object *v = walk(walk(r, "Reservations.0.Instances.0"), path);

	snprintf(text, sizeof(text), "%s", v ? json_object_get_string(v) : "(none)");
	json_object_put(r);
	return text;
}

static const char *state_of(const char *id)
{
	return described(id, "State.Name");
}

static void stop(const char *id)
{
	done(ec2_stop_instances, J("{\"InstanceIds\": [\"%s\"]}", id));
	ck_assert_str_eq(state_of(id), "stopped");
}

/* The domain's persistent XML (caller frees). */
static char *domain_xml(const char *id)
{
	virDomainPtr dom = virDomainLookupByName(ctx.conn, id);
	char *xml;

	ck_assert_ptr_nonnull(dom);
	xml = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE);
	virDomainFree(dom);
	ck_assert_ptr_nonnull(xml);
	return xml;
}

/* The domain's XML without what differs between two instances of one type and one image: its
 * name, UUID, metadata, paths (named by its id) and its NIC's addresses (caller frees). */
static char *domain_shape(const char *id)
{
	char *xml = domain_xml(id), *line, *save = NULL;
	struct util_buf b = { 0 };
	bool in_meta = false;

	for (line = strtok_r(xml, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strstr(line, "<metadata>"))
			in_meta = true;
		/* the instance's own: its name, UUID (also the SMBIOS serial), NIC */
		if (!in_meta && !strstr(line, id) && !strstr(line, "<uuid>") &&
		    !strstr(line, "<entry name='uuid'>") && !strstr(line, "<entry name='serial'>") &&
		    !strstr(line, "qemu:arg") && !strstr(line, "<mac ")) {
			util_buf_puts(&b, line);
			util_buf_puts(&b, "\n");
		}
		if (strstr(line, "</metadata>"))
			in_meta = false;
	}
	free(xml);
	return b.s;
}

/* The text of the first element name in xml, or "" (static). */
static const char *xml_elem(const char *xml, const char *name)
{
	static char text[64];
	char open[64];
	const char *p;

	snprintf(open, sizeof(open), "<%s", name);
	text[0] = '\0';
	p = strstr(xml, open);
	if (p && (p = strchr(p, '>')))
		sscanf(p + 1, "%63[^<]", text);
	return text;
}

/* domxml_resize of a launch's domain is that launch of the other type, byte for byte: the
 * vCPUs, memory and TCG cache change, the rest (the NIC's QEMU arguments included) stays. */
START_TEST(resize_is_a_launch_of_the_type)
{
	static const char *const types[] = { "t2.nano", "t2.medium", "m5.large", NULL };
	/* Every text of the metadata set: libxml2 writes an empty one differently once parsed. */
	struct ec2_meta m = {
		.image_id = "ami-1", .instance_type = "t2.micro", .reservation_id = "r-1",
		.launch_time = "2026-12-04T16:00:00.000Z", .shutdown_behavior = "stop",
		.client_token = "tok", .root_volume_id = "vol-1", .root_volume = "i-1-root.qcow2",
		.pool = "ec2-lite", .accelerator = "tcg", .kernel_entry = "bios",
		.transition_reason = "r", .state_reason = "s", .key_name = "k",
		.private_ip = "172.31.0.5", .public_ip = "127.0.0.5", .eni_id = "eni-1",
		.vpc_id = "vpc-1", .subnet_id = "subnet-1",
	};
	struct domspec spec = {
		.name = "i-0123456789abcdef0", .disk_path = "/pool/i-0123456789abcdef0-root.qcow2",
		.disk_format = "qcow2", .console_log = "/s/console.log", .seed = "/s/seed.iso",
		.netdev = "user,id=n0,restrict=on", .nic = "virtio-net-pci,netdev=n0", .meta = &m,
	};
	enum ec2_accel accels[] = { EC2_ACCEL_TCG, EC2_ACCEL_KVM };
	size_t a, i;

	for (a = 0; a < 2; a++) {
		const struct instance_type *from = type_lookup(ctx.types, "t2.micro", NULL);
		char *xml, *resized, *fresh;

		spec.accel = accels[a];
		spec.vcpus = (unsigned)from->vcpus;
		spec.memory_mib = from->memory_mib;
		spec.tb_cache_mib = type_tb_cache_mib(from->memory_mib);
		xml = domxml_build(&spec, NULL);
		ck_assert_ptr_nonnull(xml);
		for (i = 0; types[i]; i++) {
			const struct instance_type *t = type_lookup(ctx.types, types[i], NULL);

			ck_assert_ptr_nonnull(t);
			resized = domxml_resize(xml, (unsigned)t->vcpus, t->memory_mib,
						type_tb_cache_mib(t->memory_mib), NULL);
			spec.vcpus = (unsigned)t->vcpus;
			spec.memory_mib = t->memory_mib;
			spec.tb_cache_mib = type_tb_cache_mib(t->memory_mib);
			fresh = domxml_build(&spec, NULL);
			ck_assert_str_eq(resized, fresh);
			ck_assert_ptr_nonnull(strstr(resized, "<qemu:arg value=\"user,id=n0,restrict=on\"/>"));
			free(resized);
			free(fresh);
		}
		free(xml);
	}
	ck_assert_ptr_null(domxml_resize("<pool/>", 1, 512, 0, NULL));
	ck_assert_ptr_null(domxml_resize("not xml", 1, 512, 0, NULL));
}
END_TEST

START_TEST(describe_every_attribute)
{
	char ids[1][32], expect[512];
	const char *id;

	run(1, "t2.nano", ", \"UserData\": \"#!/bin/sh\\necho hi\\n\"", ids);
	id = ids[0];
#define EXPECT(name, fmt, ...)                                                   \
	do {                                                                     \
		snprintf(expect, sizeof(expect), fmt, __VA_ARGS__);              \
		ck_assert_str_eq(attr(id, name), expect);                        \
	} while (0)
	EXPECT("instanceType", "{\"InstanceId\":\"%s\",\"InstanceType\":{\"Value\":\"t2.nano\"}}",
	       id);
	EXPECT("kernel", "{\"InstanceId\":\"%s\",\"KernelId\":{}}", id);
	EXPECT("ramdisk", "{\"InstanceId\":\"%s\",\"RamdiskId\":{}}", id);
	EXPECT("userData", "{\"InstanceId\":\"%s\",\"UserData\":{\"Value\":"
	       "\"IyEvYmluL3NoCmVjaG8gaGkK\"}}", id);
	EXPECT("disableApiTermination",
	       "{\"DisableApiTermination\":{\"Value\":false},\"InstanceId\":\"%s\"}", id);
	EXPECT("instanceInitiatedShutdownBehavior", "{\"InstanceId\":\"%s\","
	       "\"InstanceInitiatedShutdownBehavior\":{\"Value\":\"stop\"}}", id);
	EXPECT("rootDeviceName",
	       "{\"InstanceId\":\"%s\",\"RootDeviceName\":{\"Value\":\"\\/dev\\/xvda\"}}", id);
	EXPECT("productCodes", "{\"InstanceId\":\"%s\",\"ProductCodes\":[]}", id);
	EXPECT("sourceDestCheck", "{\"InstanceId\":\"%s\",\"SourceDestCheck\":{\"Value\":true}}",
	       id);
	EXPECT("ebsOptimized", "{\"EbsOptimized\":{\"Value\":false},\"InstanceId\":\"%s\"}", id);
	EXPECT("sriovNetSupport", "{\"InstanceId\":\"%s\",\"SriovNetSupport\":{}}", id);
	EXPECT("enaSupport", "{\"EnaSupport\":{\"Value\":true},\"InstanceId\":\"%s\"}", id);
	EXPECT("enclaveOptions", "{\"EnclaveOptions\":{\"Enabled\":false},\"InstanceId\":\"%s\"}",
	       id);
	EXPECT("disableApiStop", "{\"InstanceId\":\"%s\",\"DisableApiStop\":{\"Value\":false}}", id);
#undef EXPECT
	/* The lists: as DescribeInstances gives them. */
	{
		json_object *r = ok(ec2_describe_instance_attribute,
				    J("{\"InstanceId\": \"%s\", \"Attribute\": \"groupSet\"}", id));

		ck_assert_str_eq(json_object_get_string(json_path(json_object_array_get_idx(
					json_path(r, "Groups"), 0), "GroupName")), "default");
		json_object_put(r);
		r = ok(ec2_describe_instance_attribute,
		       J("{\"InstanceId\": \"%s\", \"Attribute\": \"blockDeviceMapping\"}", id));
		ck_assert_str_eq(json_object_get_string(json_path(json_object_array_get_idx(
					json_path(r, "BlockDeviceMappings"), 0), "DeviceName")),
				 "/dev/xvda");
		ck_assert_str_eq(json_object_get_string(json_path(json_object_array_get_idx(
					json_path(r, "BlockDeviceMappings"), 0), "Ebs.Status")),
				 "attached");
		ck_assert_str_eq(json_object_get_string(json_path(json_object_array_get_idx(
					json_path(r, "BlockDeviceMappings"), 0), "Ebs.VolumeId")),
				 described(id, "BlockDeviceMappings.0.Ebs.VolumeId"));
		json_object_put(r);
	}
	fails(ec2_describe_instance_attribute,
	      J("{\"InstanceId\": \"%s\", \"Attribute\": \"nvmeSupport\"}", id),
	      "InvalidParameterValue");
	fails(ec2_describe_instance_attribute, J("{\"InstanceId\": \"%s\"}", id), "MissingParameter");
	fails(ec2_describe_instance_attribute,
	      J("{\"InstanceId\": \"i-0123456789abcdef0\", \"Attribute\": \"kernel\"}"),
	      "InvalidInstanceID.NotFound");
	fails(ec2_describe_instance_attribute,
	      J("{\"InstanceId\": \"x-1\", \"Attribute\": \"kernel\"}"),
	      "InvalidInstanceID.Malformed");
}
END_TEST

START_TEST(modify_each_attribute)
{
	char ids[1][32], sg[32];
	const char *id;
	json_object *r;
	char *iso, *path;
	size_t len = 0;

	run(1, "t2.nano", NULL, ids);
	id = ids[0];
	done(ec2_modify_instance_attribute,
	     J("{\"InstanceId\": \"%s\", \"DisableApiTermination\": {\"Value\": true}}", id));
	ck_assert_ptr_nonnull(strstr(attr(id, "disableApiTermination"), "{\"Value\":true}"));
	/* The CLI's --no-disable-api-termination: the bool alone. */
	done(ec2_modify_instance_attribute,
	     J("{\"InstanceId\": \"%s\", \"DisableApiTermination\": false}", id));
	ck_assert_ptr_nonnull(strstr(attr(id, "disableApiTermination"), "{\"Value\":false}"));
	/* The Query API's strings. */
	done(ec2_modify_instance_attribute,
	     J("{\"InstanceId\": \"%s\", \"DisableApiStop\": {\"Value\": \"true\"}}", id));
	ck_assert_ptr_nonnull(strstr(attr(id, "disableApiStop"), "{\"Value\":true}"));
	done(ec2_modify_instance_attribute,
	     J("{\"InstanceId\": \"%s\", \"Attribute\": \"disableApiStop\", \"Value\": \"false\"}",
	       id));
	ck_assert_ptr_nonnull(strstr(attr(id, "disableApiStop"), "{\"Value\":false}"));
	done(ec2_modify_instance_attribute,
	     J("{\"InstanceId\": \"%s\", \"InstanceInitiatedShutdownBehavior\": {\"Value\": "
	       "\"terminate\"}}", id));
	ck_assert_ptr_nonnull(strstr(attr(id, "instanceInitiatedShutdownBehavior"),
				     "\"terminate\""));
	done(ec2_modify_instance_attribute,
	     J("{\"InstanceId\": \"%s\", \"SourceDestCheck\": {\"Value\": false}}", id));
	ck_assert_ptr_nonnull(strstr(attr(id, "sourceDestCheck"), "{\"Value\":false}"));
	ck_assert_str_eq(described(id, "SourceDestCheck"), "false");
	ck_assert_str_eq(described(id, "NetworkInterfaces.0.SourceDestCheck"), "false");

	/* Groups: the instance's groups follow at once, running as it is. */
	r = ok(ec2_create_security_group, J("{\"GroupName\": \"web\", \"Description\": \"w\"}"));
	snprintf(sg, sizeof(sg), "%s", json_object_get_string(json_path(r, "GroupId")));
	json_object_put(r);
	done(ec2_modify_instance_attribute,
	     J("{\"InstanceId\": \"%s\", \"Groups\": [\"%s\"]}", id, sg));
	ck_assert_ptr_nonnull(strstr(attr(id, "groupSet"), sg));
	ck_assert_str_eq(described(id, "SecurityGroups.0.GroupName"), "web");
	fails(ec2_modify_instance_attribute,
	      J("{\"InstanceId\": \"%s\", \"Groups\": [\"sg-0123456789abcdef0\"]}", id),
	      "InvalidGroup.NotFound");
	ck_assert_str_eq(described(id, "SecurityGroups.0.GroupName"), "web");

	/* Stopped only: user data and ENA. */
	fails(ec2_modify_instance_attribute,
	      J("{\"InstanceId\": \"%s\", \"UserData\": {\"Value\": \"new\"}}", id),
	      "IncorrectInstanceState");
	fails(ec2_modify_instance_attribute,
	      J("{\"InstanceId\": \"%s\", \"EnaSupport\": {\"Value\": true}}", id),
	      "IncorrectInstanceState");
	fails(ec2_modify_instance_attribute,
	      J("{\"InstanceId\": \"%s\", \"EbsOptimized\": {\"Value\": false}}", id),
	      "IncorrectInstanceState");
	stop(id);
	/* What this kind of instance is, it may be set to; nothing else. */
	done(ec2_modify_instance_attribute,
	     J("{\"InstanceId\": \"%s\", \"EbsOptimized\": {\"Value\": false}}", id));
	fails(ec2_modify_instance_attribute,
	      J("{\"InstanceId\": \"%s\", \"EbsOptimized\": {\"Value\": true}}", id),
	      "InvalidParameterCombination");
	done(ec2_modify_instance_attribute,
	     J("{\"InstanceId\": \"%s\", \"EnaSupport\": {\"Value\": true}}", id));
	fails(ec2_modify_instance_attribute,
	      J("{\"InstanceId\": \"%s\", \"EnaSupport\": {\"Value\": false}}", id),
	      "UnsupportedOperation");
	fails(ec2_modify_instance_attribute,
	      J("{\"InstanceId\": \"%s\", \"SriovNetSupport\": {\"Value\": \"simple\"}}", id),
	      "UnsupportedOperation");
	fails(ec2_modify_instance_attribute,
	      J("{\"InstanceId\": \"%s\", \"Kernel\": {\"Value\": \"aki-12345678\"}}", id),
	      "UnsupportedOperation");
	done(ec2_modify_instance_attribute,
	     J("{\"InstanceId\": \"%s\", \"UserData\": {\"Value\": \"#cloud-config\\nruncmd: "
	       "[reboot]\\n\"}}", id));
	ck_assert_ptr_nonnull(strstr(attr(id, "userData"), "I2Nsb3VkLWNvbmZpZwpydW5jbWQ6IFtyZWJvb3RdCg=="));
	/* The seed the guest reads has it, with the meta-data it was launched with. */
	path = util_strdupf("%s/instances/%s/seed.iso", cfg.state_dir, id);
	iso = util_read_file(path, &len, NULL);
	ck_assert_ptr_nonnull(iso);
	ck_assert_ptr_nonnull(memmem(iso, len, "runcmd: [reboot]", 16));
	ck_assert_ptr_nonnull(memmem(iso, len, id, strlen(id)));
	free(iso);
	free(path);
	/* The Attribute form carries user data in base64, as EC2's API does. */
	done(ec2_modify_instance_attribute,
	     J("{\"InstanceId\": \"%s\", \"Attribute\": \"userData\", \"Value\": \"aGVsbG8=\"}", id));
	ck_assert_ptr_nonnull(strstr(attr(id, "userData"), "\"aGVsbG8=\""));
	fails(ec2_modify_instance_attribute,
	      J("{\"InstanceId\": \"%s\", \"Attribute\": \"userData\", \"Value\": \"a!\"}", id),
	      "InvalidParameterValue");
	done(ec2_start_instances, J("{\"InstanceIds\": [\"%s\"]}", id));
}
END_TEST

START_TEST(type_change_redefines_the_domain)
{
	char a[1][32], b[1][32];
	const char *msg;
	char *xml, *shape_a, *shape_b, expect[128];
	const struct instance_type *t = type_lookup(ctx.types, "t2.medium", NULL);

	run(1, "t2.nano", NULL, a);
	msg = fails(ec2_modify_instance_attribute,
		    J("{\"InstanceId\": \"%s\", \"InstanceType\": {\"Value\": \"t2.medium\"}}", a[0]),
		    "IncorrectInstanceState");
	snprintf(expect, sizeof(expect), "The instance '%s' is not in the 'stopped' state.", a[0]);
	ck_assert_str_eq(msg, expect);
	stop(a[0]);
	done(ec2_modify_instance_attribute,
	     J("{\"InstanceId\": \"%s\", \"InstanceType\": {\"Value\": \"t2.medium\"}}", a[0]));
	ck_assert_ptr_nonnull(strstr(attr(a[0], "instanceType"), "\"t2.medium\""));
	ck_assert_str_eq(described(a[0], "InstanceType"), "t2.medium");
	xml = domain_xml(a[0]);
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(atoi(xml_elem(xml, "vcpu")), t->vcpus);
	ck_assert_int_eq(atol(xml_elem(xml, "memory")), t->memory_mib * 1024);
	ck_assert_int_eq(atol(xml_elem(xml, "currentMemory")), t->memory_mib * 1024);
	free(xml);
	/* What a fresh launch of the type would be, but for what is the instance's own. */
	run(1, "t2.medium", NULL, b);
	stop(b[0]);
	shape_a = domain_shape(a[0]);
	shape_b = domain_shape(b[0]);
	ck_assert_str_eq(shape_a, shape_b);
	free(shape_a);
	free(shape_b);
	/* The Attribute form, back to a small type; the instance starts with it. */
	done(ec2_modify_instance_attribute,
	     J("{\"InstanceId\": \"%s\", \"Attribute\": \"instanceType\", \"Value\": \"t2.nano\"}",
	       a[0]));
	xml = domain_xml(a[0]);
	ck_assert_int_eq(atol(xml_elem(xml, "memory")),
			 type_lookup(ctx.types, "t2.nano", NULL)->memory_mib * 1024);
	free(xml);
	done(ec2_start_instances, J("{\"InstanceIds\": [\"%s\"]}", a[0]));
	ck_assert_str_eq(state_of(a[0]), "running");
	ck_assert_str_eq(described(a[0], "InstanceType"), "t2.nano");
}
END_TEST

START_TEST(type_change_must_fit)
{
	char a[1][32];
	char *before, *after;

	run(1, "t2.nano", NULL, a);
	stop(a[0]);
	before = domain_xml(a[0]);
	cfg.memory_overcommit = 1.0;
	fails(ec2_modify_instance_attribute,
	      J("{\"InstanceId\": \"%s\", \"InstanceType\": {\"Value\": \"r5.24xlarge\"}}", a[0]),
	      "InsufficientInstanceCapacity");
	cfg.memory_overcommit = 100;
	after = domain_xml(a[0]);
	ck_assert_str_eq(before, after);
	ck_assert_str_eq(described(a[0], "InstanceType"), "t2.nano");
	free(before);
	free(after);
	fails(ec2_modify_instance_attribute,
	      J("{\"InstanceId\": \"%s\", \"InstanceType\": {\"Value\": \"t9.huge\"}}", a[0]),
	      "InvalidInstanceAttributeValue");
}
END_TEST

START_TEST(protection_refuses_the_whole_call)
{
	char ids[3][32], expect[256];
	const char *msg;
	int i;

	run(3, "t2.nano", NULL, ids);
	done(ec2_modify_instance_attribute,
	     J("{\"InstanceId\": \"%s\", \"DisableApiTermination\": {\"Value\": true}}", ids[1]));
	msg = fails(ec2_terminate_instances, J("{\"InstanceIds\": [\"%s\", \"%s\", \"%s\"]}",
					      ids[0], ids[1], ids[2]), "OperationNotPermitted");
	snprintf(expect, sizeof(expect), "The instance '%s' may not be terminated. Modify its "
		 "'disableApiTermination' instance attribute and try again.", ids[1]);
	ck_assert_str_eq(msg, expect);
	for (i = 0; i < 3; i++)
		ck_assert_str_eq(state_of(ids[i]), "running");
	/* A stopped instance is protected too. */
	stop(ids[1]);
	fails(ec2_terminate_instances, J("{\"InstanceIds\": [\"%s\"]}", ids[1]),
	      "OperationNotPermitted");
	ck_assert_str_eq(state_of(ids[1]), "stopped");

	done(ec2_modify_instance_attribute,
	     J("{\"InstanceId\": \"%s\", \"DisableApiStop\": {\"Value\": true}}", ids[2]));
	msg = fails(ec2_stop_instances, J("{\"InstanceIds\": [\"%s\", \"%s\"], \"Force\": true}",
					  ids[0], ids[2]), "OperationNotPermitted");
	snprintf(expect, sizeof(expect), "The instance '%s' may not be stopped. Modify its "
		 "'disableApiStop' instance attribute and try again.", ids[2]);
	ck_assert_str_eq(msg, expect);
	ck_assert_str_eq(state_of(ids[0]), "running");
	ck_assert_str_eq(state_of(ids[2]), "running");
	/* Stop protection does not keep it from termination. */
	done(ec2_terminate_instances, J("{\"InstanceIds\": [\"%s\", \"%s\"]}", ids[0], ids[2]));
	done(ec2_modify_instance_attribute,
	     J("{\"InstanceId\": \"%s\", \"Attribute\": \"disableApiTermination\", "
	       "\"Value\": \"false\"}", ids[1]));
	done(ec2_terminate_instances, J("{\"InstanceIds\": [\"%s\"]}", ids[1]));
	ck_assert_str_eq(state_of(ids[1]), "terminated");
}
END_TEST

START_TEST(launch_with_protection)
{
	char ids[1][32];

	run(1, "t2.nano", ", \"DisableApiTermination\": true, \"DisableApiStop\": \"true\", "
	    "\"InstanceInitiatedShutdownBehavior\": \"terminate\"", ids);
	ck_assert_ptr_nonnull(strstr(attr(ids[0], "disableApiTermination"), "{\"Value\":true}"));
	ck_assert_ptr_nonnull(strstr(attr(ids[0], "disableApiStop"), "{\"Value\":true}"));
	ck_assert_ptr_nonnull(strstr(attr(ids[0], "instanceInitiatedShutdownBehavior"),
				     "\"terminate\""));
	fails(ec2_stop_instances, J("{\"InstanceIds\": [\"%s\"]}", ids[0]), "OperationNotPermitted");
	fails(ec2_terminate_instances, J("{\"InstanceIds\": [\"%s\"]}", ids[0]),
	      "OperationNotPermitted");
	fails(ec2_run_instances, J("{\"ImageId\": \"%s\", \"DisableApiStop\": \"maybe\"}", ami),
	      "InvalidParameterValue");
}
END_TEST

START_TEST(bad_requests)
{
	char ids[1][32];
	const char *id;

	run(1, "t2.nano", NULL, ids);
	id = ids[0];
	fails(ec2_modify_instance_attribute, J("{\"InstanceId\": \"%s\"}", id),
	      "InvalidParameterCombination");
	fails(ec2_modify_instance_attribute,
	      J("{\"InstanceId\": \"%s\", \"DisableApiStop\": {\"Value\": true}, "
		"\"DisableApiTermination\": {\"Value\": true}}", id), "InvalidParameterCombination");
	fails(ec2_modify_instance_attribute,
	      J("{\"InstanceId\": \"%s\", \"DisableApiStop\": {\"Value\": true}, "
		"\"Attribute\": \"disableApiTermination\", \"Value\": \"true\"}", id),
	      "InvalidParameterCombination");
	fails(ec2_modify_instance_attribute,
	      J("{\"InstanceId\": \"%s\", \"Attribute\": \"bogus\", \"Value\": \"1\"}", id),
	      "InvalidParameterValue");
	fails(ec2_modify_instance_attribute,
	      J("{\"InstanceId\": \"%s\", \"Attribute\": \"rootDeviceName\", \"Value\": \"/dev/x\"}",
		id), "InvalidParameterValue");
	fails(ec2_modify_instance_attribute,
	      J("{\"InstanceId\": \"%s\", \"Attribute\": \"disableApiStop\"}", id),
	      "MissingParameter");
	fails(ec2_modify_instance_attribute,
	      J("{\"InstanceId\": \"%s\", \"DisableApiStop\": {\"Value\": \"yes\"}}", id),
	      "InvalidParameterValue");
	fails(ec2_modify_instance_attribute,
	      J("{\"InstanceId\": \"%s\", \"DisableApiStop\": {}}", id), "MissingParameter");
	fails(ec2_modify_instance_attribute,
	      J("{\"InstanceId\": \"%s\", \"InstanceInitiatedShutdownBehavior\": {\"Value\": "
		"\"hibernate\"}}", id), "InvalidParameterValue");
	fails(ec2_modify_instance_attribute,
	      J("{\"DisableApiStop\": {\"Value\": true}}"), "MissingParameter");
	fails(ec2_modify_instance_attribute,
	      J("{\"InstanceId\": \"i-0123456789abcdef0\", \"DisableApiStop\": {\"Value\": true}}"),
	      "InvalidInstanceID.NotFound");
	fails(ec2_modify_instance_attribute,
	      J("{\"InstanceId\": \"i-x\", \"DisableApiStop\": {\"Value\": true}}"),
	      "InvalidInstanceID.Malformed");
	/* None of it changed anything. */
	ck_assert_ptr_nonnull(strstr(attr(id, "disableApiStop"), "{\"Value\":false}"));
	ck_assert_ptr_nonnull(strstr(attr(id, "disableApiTermination"), "{\"Value\":false}"));
	ck_assert_ptr_nonnull(strstr(attr(id, "instanceInitiatedShutdownBehavior"), "\"stop\""));
}
END_TEST

START_TEST(dry_run_changes_nothing)
{
	char ids[1][32];
	char *before, *after;

	run(1, "t2.nano", NULL, ids);
	stop(ids[0]);
	before = domain_xml(ids[0]);
	fails(ec2_modify_instance_attribute,
	      J("{\"InstanceId\": \"%s\", \"InstanceType\": {\"Value\": \"t2.small\"}, "
		"\"DryRun\": true}", ids[0]), "DryRunOperation");
	fails(ec2_modify_instance_attribute,
	      J("{\"InstanceId\": \"%s\", \"DisableApiTermination\": {\"Value\": true}, "
		"\"DryRun\": true}", ids[0]), "DryRunOperation");
	fails(ec2_modify_instance_attribute,
	      J("{\"InstanceId\": \"%s\", \"UserData\": {\"Value\": \"x\"}, \"DryRun\": true}",
		ids[0]), "DryRunOperation");
	/* A dry run that would fail fails as the call would. */
	fails(ec2_modify_instance_attribute,
	      J("{\"InstanceId\": \"%s\", \"InstanceType\": {\"Value\": \"t9.huge\"}, "
		"\"DryRun\": true}", ids[0]), "InvalidInstanceAttributeValue");
	after = domain_xml(ids[0]);
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
	ck_assert_ptr_nonnull(strstr(attr(ids[0], "userData"), "\"UserData\":{}"));
	fails(ec2_action("GetPasswordData"), J("{\"InstanceId\": \"%s\", \"DryRun\": true}",
						ids[0]), "DryRunOperation");
}
END_TEST

START_TEST(get_password_data)
{
	char ids[1][32];
	json_object *r;

	run(1, "t2.nano", NULL, ids);
	r = ok(ec2_get_password_data, J("{\"InstanceId\": \"%s\"}", ids[0]));
	ck_assert_str_eq(json_object_get_string(json_path(r, "InstanceId")), ids[0]);
	ck_assert_str_eq(json_object_get_string(json_path(r, "PasswordData")), "");
	ck_assert(util_parse_iso8601(json_object_get_string(json_path(r, "Timestamp"))) !=
		  (time_t)-1);
	json_object_put(r);
	fails(ec2_get_password_data, J("{\"InstanceId\": \"i-0123456789abcdef0\"}"),
	      "InvalidInstanceID.NotFound");
	fails(ec2_get_password_data, J("{}"), "MissingParameter");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("attrs");
	TCase *tc = tcase_create("test-driver");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, resize_is_a_launch_of_the_type);
	tcase_add_test(tc, describe_every_attribute);
	tcase_add_test(tc, modify_each_attribute);
	tcase_add_test(tc, type_change_redefines_the_domain);
	tcase_add_test(tc, type_change_must_fit);
	tcase_add_test(tc, protection_refuses_the_whole_call);
	tcase_add_test(tc, launch_with_protection);
	tcase_add_test(tc, bad_requests);
	tcase_add_test(tc, dry_run_changes_nothing);
	tcase_add_test(tc, get_password_data);
	suite_add_tcase(s, tc);
	return test_run(s) ? 1 : 0;
}
