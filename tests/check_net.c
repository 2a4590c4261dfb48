/* net: which ports security-group rules open (the CIDR rule, wide ranges, UDP, the cap), EC2's
 * host names, MAC addresses and QEMU's NIC arguments. */
#include <string.h>

#include "ec2lite/config.h"
#include "ec2lite/imdsnet.h"
#include "ec2lite/net.h"
#include "ec2lite/util.h"
#include "testutil.h"

/* A store snapshot with one group sg-1 holding rules. */
static json_object *store_with(const char *rules_json)
{
	char *text = util_strdupf("{\"security_groups\": {\"sg-1\": {\"GroupId\": \"sg-1\", "
				  "\"Rules\": %s}, \"sg-2\": {\"GroupId\": \"sg-2\", \"Rules\": "
				  "[{\"IpProtocol\": \"tcp\", \"FromPort\": 5432, \"ToPort\": 5432, "
				  "\"CidrIpv4\": \"127.0.0.0/8\"}]}}}", rules_json);
	json_object *root = json_tokener_parse(text);

	free(text);
	ck_assert_ptr_nonnull(root);
	return root;
}

static char *ports_of(const char *rules_json, const char *groups_json)
{
	json_object *root = store_with(rules_json), *groups = json_tokener_parse(groups_json);
	json_object *ports = net_open_ports(root, groups);
	char *out = strdup("");
	size_t i;

	for (i = 0; i < json_object_array_length(ports); i++) {
		json_object *p = json_object_array_get_idx(ports, i);
		char *more = util_strdupf("%s%s%s/%s", out, i ? " " : "", req_str0(p, "Protocol"),
					  req_str0(p, "Port"));

		free(out);
		out = more;
	}
	json_object_put(ports);
	json_object_put(root);
	json_object_put(groups);
	return out;
}

static const struct {
	const char *rules, *groups, *ports;
} cases[] = {
	/* A rule counts when its CIDR covers 127.0.0.1, where the host's clients come from. */
	{ "[{\"IpProtocol\":\"tcp\",\"FromPort\":80,\"ToPort\":80,\"CidrIpv4\":\"0.0.0.0/0\"}]",
	  "[{\"GroupId\":\"sg-1\"}]", "tcp/80" },
	{ "[{\"IpProtocol\":\"tcp\",\"FromPort\":80,\"ToPort\":80,\"CidrIpv4\":\"127.0.0.1/32\"}]",
	  "[{\"GroupId\":\"sg-1\"}]", "tcp/80" },
	{ "[{\"IpProtocol\":\"tcp\",\"FromPort\":80,\"ToPort\":80,\"CidrIpv4\":\"203.0.113.0/24\"}]",
	  "[{\"GroupId\":\"sg-1\"}]", "" },
	{ "[{\"IpProtocol\":\"tcp\",\"FromPort\":22,\"ToPort\":22,\"CidrIpv4\":\"127.0.0.2/32\"}]",
	  "[{\"GroupId\":\"sg-1\"}]", "" },
	/* Ranges, several groups (the union, sorted, without repeats); UDP opens nothing (libslirp
	 * drops the guest's answers under restrict=on). */
	{ "[{\"IpProtocol\":\"tcp\",\"FromPort\":8000,\"ToPort\":8002,\"CidrIpv4\":\"0.0.0.0/0\"},"
	  "{\"IpProtocol\":\"udp\",\"FromPort\":53,\"ToPort\":53,\"CidrIpv4\":\"0.0.0.0/0\"},"
	  "{\"IpProtocol\":\"tcp\",\"FromPort\":5432,\"ToPort\":5432,\"CidrIpv4\":\"0.0.0.0/0\"}]",
	  "[{\"GroupId\":\"sg-1\"},{\"GroupId\":\"sg-2\"}]", "tcp/5432 tcp/8000 tcp/8001 tcp/8002" },
	/* A wide range (or All traffic) opens the common TCP service ports in it. */
	{ "[{\"IpProtocol\":\"tcp\",\"FromPort\":0,\"ToPort\":1023,\"CidrIpv4\":\"0.0.0.0/0\"}]",
	  "[{\"GroupId\":\"sg-1\"}]", "tcp/22 tcp/80 tcp/443" },
	{ "[{\"IpProtocol\":\"-1\",\"FromPort\":-1,\"ToPort\":-1,\"CidrIpv4\":\"0.0.0.0/0\"}]",
	  "[{\"GroupId\":\"sg-1\"}]",
	  "tcp/22 tcp/80 tcp/443 tcp/3000 tcp/3306 tcp/5000 tcp/5432 tcp/6379 tcp/8000 tcp/8080 "
	  "tcp/8443 tcp/8888 tcp/9000 tcp/27017" },
	/* ICMP forwards nothing; a group that is gone opens nothing. */
	{ "[{\"IpProtocol\":\"icmp\",\"FromPort\":-1,\"ToPort\":-1,\"CidrIpv4\":\"0.0.0.0/0\"}]",
	  "[{\"GroupId\":\"sg-1\"},{\"GroupId\":\"sg-gone\"}]", "" },
	{ "[]", "[]", "" },
};

START_TEST(open_ports_per_rules)
{
	char *got = ports_of(cases[_i].rules, cases[_i].groups);

	ck_assert_str_eq(got, cases[_i].ports);
	free(got);
}
END_TEST

START_TEST(open_ports_are_capped)
{
	/* Five 64-port ranges: 320 ports asked, EC2_NET_MAX_FORWARDS given. */
	json_object *rules = json_object_new_array(), *root, *groups, *ports;
	char *store;
	int i;

	for (i = 0; i < 5; i++) {
		json_object *r = json_object_new_object();

		json_add_str(r, "IpProtocol", "tcp");
		json_add_int(r, "FromPort", 10000 + i * 64);
		json_add_int(r, "ToPort", 10000 + i * 64 + 63);
		json_add_str(r, "CidrIpv4", "0.0.0.0/0");
		json_object_array_add(rules, r);
	}
	store = util_strdupf("{\"security_groups\":{\"sg-1\":{\"Rules\":%s}}}",
			     json_object_to_json_string(rules));
	root = json_tokener_parse(store);
	groups = json_tokener_parse("[{\"GroupId\":\"sg-1\"}]");
	ports = net_open_ports(root, groups);
	ck_assert_int_eq(json_object_array_length(ports), EC2_NET_MAX_FORWARDS);
	json_object_put(ports);
	json_object_put(groups);
	json_object_put(root);
	json_object_put(rules);
	free(store);
}
END_TEST

START_TEST(names_and_qemu_arguments)
{
	char host[32], mac[18], *netdev, *nic;

	net_hostname("172.31.5.9", host, sizeof(host));
	ck_assert_str_eq(host, "ip-172-31-5-9");
	net_mac("172.31.15.254", mac);
	ck_assert_str_eq(mac, "0e:ec:ac:1f:0f:fe");
	net_qemu_args("172.31.5.9", NULL, &netdev, &nic);
	ck_assert_str_eq(netdev, "user,id=ec2net0,net=172.31.0.0/20,host=172.31.0.1,dns=172.31.0.2,"
				 "dhcpstart=172.31.5.9,hostname=ip-172-31-5-9,restrict=on");
	ck_assert_str_eq(nic, "virtio-net-pci,netdev=ec2net0,mac=0e:ec:ac:1f:05:09,bus=pci.0,"
			      "addr=0x1f");
	free(netdev);
	free(nic);
	/* With the metadata service, the network holds 169.254.169.254 and the guestfwd follows;
	 * the subnet's router, DNS and the guest's address stay. */
	net_qemu_args("172.31.21.9", "guestfwd=tcp:169.254.169.254:80-cmd:/x imds-relay /s i-1",
		      &netdev, &nic);
	ck_assert_str_eq(netdev, "user,id=ec2net0,net=168.0.0.0/5,host=172.31.16.1,"
				 "dns=172.31.16.2,dhcpstart=172.31.21.9,hostname=ip-172-31-21-9,"
				 "restrict=on,guestfwd=tcp:169.254.169.254:80-cmd:/x imds-relay /s i-1");
	free(netdev);
	free(nic);
}
END_TEST

/* The EC2 API from inside: serve publishes a loopback endpoint for the instances' relay, 0.0.0.0
 * as 127.0.0.1, and nothing for an address the relay may not reach; the relay refuses a file
 * that names anything but 127.0.0.0/8, and the metadata service is not offered on the test
 * driver (its domains run no QEMU). */
START_TEST(api_endpoint_for_instances)
{
	char *dir = test_tmpdir(), *path = imds_api_endpoint_path(dir), *text;
	struct ec2_config cfg = { 0 };
	char why[600];

	ck_assert_int_eq(imds_api_publish(dir, "0.0.0.0:8773", NULL), 0);
	text = util_read_file(path, NULL, NULL);
	ck_assert_str_eq(text, "127.0.0.1:8773\n");
	free(text);
	ck_assert_int_eq(imds_api_publish(dir, "127.0.0.9:20001", NULL), 0);
	text = util_read_file(path, NULL, NULL);
	ck_assert_str_eq(text, "127.0.0.9:20001\n");
	free(text);
	imds_api_unpublish(dir);
	ck_assert_int_eq(imds_api_publish(dir, "192.168.1.5:80", NULL), 0);
	ck_assert_ptr_null(util_read_file(path, NULL, NULL));
	ck_assert_int_eq(imds_api_publish(dir, "127.0.0.1:0", NULL), 0);
	ck_assert_ptr_null(util_read_file(path, NULL, NULL));
	ck_assert_int_eq(util_write_file_atomic(path, "10.0.0.1:80\n", 12, 0644, NULL), 0);
	ck_assert_int_eq(imds_api_relay_main(path), 2);
	ck_assert_int_eq(imds_relay_main("/nonexistent/imds.sock", "i-0123456789abcdef0"), 1);
	ck_assert_int_eq(imds_relay_main("/nonexistent/imds.sock", "i-x; reboot"), 2);

	cfg.connect_uri = "test:///default";
	cfg.state_dir = dir;
	ck_assert(!imds_net_available(&cfg, why, sizeof(why)));
	ck_assert_ptr_nonnull(strstr(why, "qemu:///system"));
	ck_assert_ptr_null(imds_net_guestfwd(&cfg, "i-0123456789abcdef0"));
	free(path);
	free(dir);
}
END_TEST

/* The monitor commands for host forwards take only what they should: an address that is not a
 * plain IPv4 address of the instance ranges (a public IP read back from metadata that someone
 * edited) gives no command at all, so nothing can be appended to one. */
START_TEST(hostfwd_commands_take_only_addresses)
{
	static const char *const bad[] = {
		"127.77.0.5:1-:22", "127.77.0.5 ", "127.77.0.5,x", "10.0.0.1", "127.1.0.1", "",
		"127.77.0.256", "127.77.0.05x", "0x7f.77.0.5", "127.77.1",
	};
	char *cmd;
	size_t i;

	cmd = net_hostfwd_cmd(true, "tcp", "127.77.0.5", 8080, 8080);
	ck_assert_str_eq(cmd, "hostfwd_add ec2net0 tcp:127.77.0.5:8080-:8080");
	free(cmd);
	cmd = net_hostfwd_cmd(true, "tcp", "127.78.5.9", 40022, 22);
	ck_assert_str_eq(cmd, "hostfwd_add ec2net0 tcp:127.78.5.9:40022-:22");
	free(cmd);
	cmd = net_hostfwd_cmd(false, "udp", "127.77.3.4", 53, 0);
	ck_assert_str_eq(cmd, "hostfwd_remove ec2net0 udp:127.77.3.4:53");
	free(cmd);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(net_hostfwd_cmd(true, "tcp", bad[i], 80, 80) == NULL, "%s", bad[i]);
	ck_assert_ptr_null(net_hostfwd_cmd(true, "tcp:x", "127.77.0.5", 80, 80));
	ck_assert_ptr_null(net_hostfwd_cmd(true, "tcp", "127.77.0.5", 0, 80));
	ck_assert_ptr_null(net_hostfwd_cmd(true, "tcp", "127.77.0.5", 80, 65536));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("net");
	TCase *tc = tcase_create("net");

	tcase_add_loop_test(tc, open_ports_per_rules, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, open_ports_are_capped);
	tcase_add_test(tc, names_and_qemu_arguments);
	tcase_add_test(tc, hostfwd_commands_take_only_addresses);
	tcase_add_test(tc, api_endpoint_for_instances);
	suite_add_tcase(s, tc);
	return test_run(s) ? 1 : 0;
}
