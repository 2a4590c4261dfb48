/* net: which ports security-group rules open (the CIDR rule, wide ranges, UDP, the cap), EC2's
 * host names, MAC addresses and QEMU's NIC arguments. */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <microhttpd.h>
#include <netinet/in.h>

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
	test_rmdir(dir);
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

/* The daemon's access handler, reduced: it answers the instance of its connection. */
static enum MHD_Result answer_instance(void *cls, struct MHD_Connection *c, const char *url,
				       const char *method, const char *version, const char *upload,
				       size_t *upload_size, void **con_cls)
{
	const union MHD_ConnectionInfo *info =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	struct MHD_Response *resp;
	enum MHD_Result rc;
	char id[32];

	(void)cls, (void)url, (void)method, (void)version, (void)upload, (void)upload_size;
	(void)con_cls;
	if (!info || !imds_conn_instance(info->client_addr, id))
		snprintf(id, sizeof(id), "none");
	resp = MHD_create_response_from_buffer(strlen(id), id, MHD_RESPMEM_MUST_COPY);
	rc = MHD_queue_response(c, 200, resp);
	MHD_destroy_response(resp);
	return rc;
}

/* A connection of instance id handed to mhd, its request sent: the client's end. */
static int connect_as(struct MHD_Daemon *mhd, const char *id)
{
	static const char req[] = "GET / HTTP/1.0\r\n\r\n";
	struct sockaddr_un sa;
	struct timeval tv = { .tv_sec = 1 };
	unsigned len;
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	len = imds_conn_address(id, &sa);
	ck_assert_uint_gt(len, 0);
	MHD_add_connection(mhd, sv[1], (struct sockaddr *)&sa, len);
	(void)!send(sv[0], req, sizeof(req) - 1, MSG_NOSIGNAL);
	return sv[0];
}

/* The answer's body on the client's end fd ("" when libmicrohttpd dropped the connection),
 * which is closed. Caller frees. */
static char *answer_on(int fd)
{
	char buf[4096], *body;
	size_t n = 0;
	ssize_t r;

	while (n < sizeof(buf) - 1 && (r = read(fd, buf + n, sizeof(buf) - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
	close(fd);
	body = strstr(buf, "\r\n\r\n");
	return strdup(body ? body + 4 : "");
}

/* Each connection the daemon hands libmicrohttpd answers as its own instance: the instance
 * travels as the connection's address. (The daemon kept a table keyed by descriptor until
 * libmicrohttpd took a connection up; libmicrohttpd drops a connection it had said yes to
 * without a word when it is over its limit, and the stale entry then named the instance of the
 * next connection that got the same descriptor number.) */
START_TEST(daemon_connections_keep_their_instance)
{
	struct MHD_Daemon *mhd = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ITC, 0, NULL,
		NULL, answer_instance, NULL, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)1,
		MHD_OPTION_END);
	char id[32], *got;
	int i;

	ck_assert_ptr_nonnull(mhd);
	for (i = 0; i < 20; i++) {
		snprintf(id, sizeof(id), "i-%017x", 0xa000 + i);
		got = answer_on(connect_as(mhd, id));
		ck_assert_str_eq(got, id);
		free(got);
	}
	MHD_stop_daemon(mhd);
}
END_TEST

/* The daemon's connection notices, reduced: a connection's instance is its context, and its
 * count is released when it closes. */
static void count_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			     enum MHD_ConnectionNotificationCode code)
{
	const union MHD_ConnectionInfo *info;
	char id[32];

	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		imds_conns_release(cls, *socket_context);
		free(*socket_context);
		*socket_context = NULL;
		return;
	}
	info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (info && imds_conn_instance(info->client_addr, id))
		*socket_context = strdup(id);
}

/* A connection of instance id, as the daemon's on_accept hands it over: -1 when refused. */
static int admitted_as(struct MHD_Daemon *mhd, struct imds_conns *conns, const char *id,
		       bool request)
{
	struct sockaddr_un sa;
	int sv[2];

	if (!imds_conns_admit(conns, id))
		return -1;
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	if (MHD_add_connection(mhd, sv[1], (struct sockaddr *)&sa, imds_conn_address(id, &sa)) !=
	    MHD_YES)
		imds_conns_release(conns, id);
	if (request)
		(void)!send(sv[0], "GET / HTTP/1.0\r\n\r\n", 18, MSG_NOSIGNAL);
	return sv[0];
}

/* One guest's burst of connections left open (a slowloris) leaves another instance its
 * metadata service: the daemon admits IMDS_CONNS_PER_INSTANCE of one instance and never lets
 * libmicrohttpd reach its limit, where it refuses everything (0.9.75 even stays so). */
START_TEST(daemon_connections_are_admitted_per_instance)
{
	static struct imds_conns conns;
	struct MHD_Daemon *mhd;
	int idle[100], i, n = 0, fd;
	char *got;
	struct timeval tv = { .tv_sec = 2 };

	imds_conns_init(&conns);
	mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_NO_LISTEN_SOCKET |
				       MHD_USE_ITC, 0, NULL, NULL, answer_instance, NULL,
			       MHD_OPTION_NOTIFY_CONNECTION, count_connection, &conns,
			       MHD_OPTION_CONNECTION_LIMIT, (unsigned)(IMDS_CONNS_MAX + 16),
			       MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_END);
	ck_assert_ptr_nonnull(mhd);
	for (i = 0; i < 100; i++) {
		idle[i] = admitted_as(mhd, &conns, "i-0000000000000bad0", false);
		n += idle[i] >= 0;
	}
	ck_assert_int_eq(n, IMDS_CONNS_PER_INSTANCE);
	fd = admitted_as(mhd, &conns, "i-0000000000000900d", true);
	ck_assert_int_ge(fd, 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	got = answer_on(fd);
	ck_assert_str_eq(got, "i-0000000000000900d");
	free(got);
	for (i = 0; i < 100; i++)
		if (idle[i] >= 0)
			close(idle[i]);
	MHD_stop_daemon(mhd);
}
END_TEST

/* The counts: per instance, in all, and released. */
START_TEST(daemon_connection_counts)
{
	static struct imds_conns c;
	char id[32];
	int i;

	imds_conns_init(&c);
	for (i = 0; i < IMDS_CONNS_PER_INSTANCE; i++)
		ck_assert(imds_conns_admit(&c, "i-00000001"));
	ck_assert(!imds_conns_admit(&c, "i-00000001"));
	imds_conns_release(&c, "i-00000001");
	ck_assert(imds_conns_admit(&c, "i-00000001"));
	for (i = 0; i < IMDS_CONNS_MAX - IMDS_CONNS_PER_INSTANCE; i++) {
		snprintf(id, sizeof(id), "i-%08x", 0x100 + i);
		ck_assert(imds_conns_admit(&c, id));
	}
	ck_assert(!imds_conns_admit(&c, "i-00000002"));
	imds_conns_release(&c, "i-00000100");
	ck_assert(imds_conns_admit(&c, "i-00000002"));
	ck_assert(!imds_conns_admit(&c, NULL));
	imds_conns_release(&c, NULL);
	imds_conns_release(&c, "i-0000dead"); /* never admitted: nothing changes */
	ck_assert_uint_eq(c.total, IMDS_CONNS_MAX);
}
END_TEST

/* The connection address names a valid instance id, or nothing. */
START_TEST(daemon_connection_addresses)
{
	struct sockaddr_un sa;
	struct sockaddr_in in = { .sin_family = AF_INET };
	char id[32];

	ck_assert_uint_eq(imds_conn_address("i-0123456789abcdef0", &sa), sizeof(sa));
	ck_assert(imds_conn_instance(&sa, id));
	ck_assert_str_eq(id, "i-0123456789abcdef0");
	ck_assert_uint_eq(imds_conn_address("i-x; reboot", &sa), 0);
	ck_assert_uint_eq(imds_conn_address(NULL, &sa), 0);
	ck_assert(!imds_conn_instance(NULL, id));
	ck_assert(!imds_conn_instance(&in, id));
	memset(sa.sun_path, 'i', sizeof(sa.sun_path)); /* no end */
	ck_assert(!imds_conn_instance(&sa, id));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "i-0123/../x");
	ck_assert(!imds_conn_instance(&sa, id));
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
	tcase_add_test(tc, daemon_connections_keep_their_instance);
	tcase_add_test(tc, daemon_connection_addresses);
	tcase_add_test(tc, daemon_connections_are_admitted_per_instance);
	tcase_add_test(tc, daemon_connection_counts);
	suite_add_tcase(s, tc);
	return test_run(s) ? 1 : 0;
}
