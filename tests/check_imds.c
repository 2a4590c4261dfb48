/* imds: the instance metadata service's answers (imds_answer) for a fixture instance as
 * DescribeInstances renders it (tests/data/imds/instance.json), its IMDSv2 tokens, the identity
 * document and its signatures checked with the certificate, and the state folder's keys. */
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ec2lite/imds.h"
#include "ec2lite/util.h"
#include "testutil.h"

#define NOW 1796410000LL /* 2026-12-04, after the fixture's launch */
#define KEY "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7example mykey\n"

static char *keydir;
static struct imds_keys keys;
static json_object *inst;     /* the fixture, fresh for each test */
static struct imds_instance in;
static json_object *creds;
static const unsigned char udata[] = { '#', '!', '/', 'b', 'i', 'n', '/', 's', 'h', '\n',
				       0x00, 0xff, 0x80, 'x' };

static void keys_setup(void)
{
	struct ec2_error err = { 0 };

	keydir = test_tmpdir();
	ck_assert_msg(imds_keys_load(keydir, &keys, &err) == 0, "%s", err.message);
}

static void keys_teardown(void)
{
	imds_keys_clear(&keys);
	test_rmdir(keydir);
	keydir = NULL;
}

static void setup(void)
{
	char *path = util_strdupf("%s/imds/instance.json", test_data_dir());

	inst = json_object_from_file(path);
	free(path);
	ck_assert_ptr_nonnull(inst);
	creds = J("{\"Code\": \"Success\", \"LastUpdated\": \"2026-12-04T19:10:00Z\", "
		  "\"Type\": \"AWS-HMAC\", \"AccessKeyId\": \"ASIAEXAMPLEKEYID0001\", "
		  "\"SecretAccessKey\": \"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\", "
		  "\"Token\": \"IQoJb3JpZ2luX2VjEXAMPLE==\", \"Expiration\": \"2026-12-04T20:10:00Z\"}");
	memset(&in, 0, sizeof(in));
	in.instance = inst;
	in.reservation_id = "r-0123456789abcdef0";
	in.account_id = "000000000000";
	in.region = "us-east-1";
	in.public_key = KEY;
	in.role_name = "web-role";
	in.credentials = creds;
}

static void teardown(void)
{
	json_object_put(inst);
	json_object_put(creds);
}

static const char *field(const char *key)
{
	json_object *v;

	ck_assert_msg(json_object_object_get_ex(inst, key, &v), "fixture lacks %s", key);
	return json_object_get_string(v);
}

static void set_option(const char *key, const char *value)
{
	json_object *mo;

	ck_assert(json_object_object_get_ex(inst, "MetadataOptions", &mo));
	json_object_object_add(mo, key, json_object_new_string(value));
}

/* One request; the response is the caller's (free rs.body). */
static struct imds_response ask(const char *method, const char *path, const char *token,
				const char *ttl, bool xff, long long now)
{
	struct imds_request rq = { .method = method, .path = path, .token = token,
				   .token_ttl = ttl, .forwarded_for = xff, .now = now };
	struct imds_response rs;

	imds_answer(&keys, &in, &rq, &rs);
	ck_assert_ptr_nonnull(rs.body);
	ck_assert_ptr_nonnull(rs.content_type);
	ck_assert_uint_eq(strlen(rs.body) <= rs.len, 1);
	return rs;
}

/* GET path without a token: wants status and (when not NULL) exactly body. */
static void get_is(const char *path, int status, const char *body)
{
	struct imds_response rs = ask("GET", path, NULL, NULL, false, NOW);

	ck_assert_msg(rs.status == status, "GET %s: %d, wanted %d (%s)", path, rs.status, status,
		      rs.body);
	if (body)
		ck_assert_msg(strcmp(rs.body, body) == 0 && rs.len == strlen(body),
			      "GET %s:\n%s\nwanted:\n%s", path, rs.body, body);
	free(rs.body);
}

static void is_error_page(struct imds_response *rs, int status, const char *title)
{
	char *want = util_strdupf("<title>%d - %s</title>", status, title);

	ck_assert_int_eq(rs->status, status);
	ck_assert_str_eq(rs->content_type, "text/html");
	ck_assert_msg(strstr(rs->body, want) != NULL, "%s not in %s", want, rs->body);
	free(want);
	free(rs->body);
}

static char *token_for(long long now, const char *ttl)
{
	struct imds_response rs = ask("PUT", "/latest/api/token", NULL, ttl, false, now);
	char *t;

	ck_assert_int_eq(rs.status, 200);
	ck_assert_int_eq(rs.token_ttl, atol(ttl));
	t = rs.body;
	return t;
}

/* ---------- versions and listings ---------- */

START_TEST(versions_listed_and_served)
{
	static const char *const dated[] = { "1.0",        "2007-01-19", "2007-03-01",
					     "2008-09-01", "2009-04-04", "2016-09-02",
					     "2018-09-24", "2021-03-23", "latest" };
	struct imds_response rs = ask("GET", "/", NULL, NULL, false, NOW);
	size_t i;

	ck_assert_int_eq(rs.status, 200);
	ck_assert_str_eq(rs.content_type, "text/plain");
	ck_assert(strncmp(rs.body, "1.0\n2007-01-19\n", 15) == 0);
	ck_assert(strlen(rs.body) > 7 && strcmp(rs.body + strlen(rs.body) - 7, "\nlatest") == 0);
	for (i = 0; i < sizeof(dated) / sizeof(dated[0]); i++) {
		char *line = util_strdupf("\n%s\n", dated[i]), *path;

		if (strcmp(dated[i], "1.0") != 0 && strcmp(dated[i], "latest") != 0)
			ck_assert_msg(strstr(rs.body, line), "%s not listed", dated[i]);
		path = util_strdupf("/%s/meta-data/instance-id", dated[i]);
		get_is(path, 200, field("InstanceId"));
		free(path);
		free(line);
	}
	free(rs.body);
	get_is("/2099-01-01/meta-data/instance-id", 404, NULL);
	get_is("/latest/", 200, "dynamic\nmeta-data");
	get_is("/latest", 200, "dynamic\nmeta-data");
	get_is("/1.0/", 200, "dynamic\nmeta-data");
}
END_TEST

START_TEST(meta_data_listing)
{
	get_is("/latest/meta-data/", 200,
	       "ami-id\nami-launch-index\nami-manifest-path\nblock-device-mapping/\nevents/\n"
	       "hostname\niam/\ninstance-action\ninstance-id\ninstance-life-cycle\n"
	       "instance-type\nlocal-hostname\nlocal-ipv4\nmac\nnetwork/\nplacement/\n"
	       "public-ipv4\npublic-keys/\nreservation-id\nsecurity-groups\nservices/");
	/* No trailing slash, doubled slashes: the same listing. */
	get_is("/latest/meta-data", 200, NULL);
	get_is("//latest//meta-data///", 200, NULL);
	get_is("/latest/meta-data/placement/", 200,
	       "availability-zone\navailability-zone-id\nregion");
	get_is("/latest/meta-data/services/", 200, "domain\npartition");
	get_is("/latest/meta-data/block-device-mapping/", 200, "ami\nebs1\nroot");
	get_is("/latest/meta-data/events/", 200, "maintenance/");
	get_is("/latest/meta-data/events/maintenance/", 200, "history\nscheduled");
	get_is("/latest/meta-data/network/", 200, "interfaces/");
	get_is("/latest/meta-data/network/interfaces/", 200, "macs/");
	get_is("/latest/dynamic/", 200, "instance-identity/");
	get_is("/latest/dynamic/instance-identity/", 200, "document\npkcs7\nrsa2048\nsignature");
}
END_TEST

/* ---------- values ---------- */

START_TEST(values_equal_the_instance)
{
	const struct {
		const char *path, *key, *value; /* the fixture's key, or the value itself */
	} cases[] = {
		{ "ami-id", "ImageId", NULL },
		{ "ami-launch-index", NULL, "0" },
		{ "ami-manifest-path", NULL, "(unknown)" },
		{ "block-device-mapping/ami", NULL, "/dev/xvda" },
		{ "block-device-mapping/root", NULL, "/dev/xvda" },
		{ "block-device-mapping/ebs1", NULL, "sdb" },
		{ "events/maintenance/scheduled", NULL, "[]" },
		{ "hostname", "PrivateDnsName", NULL },
		{ "local-hostname", "PrivateDnsName", NULL },
		{ "local-ipv4", "PrivateIpAddress", NULL },
		{ "public-ipv4", "PublicIpAddress", NULL },
		{ "mac", NULL, "0e:ec:ac:1f:0e:25" },
		{ "instance-id", "InstanceId", NULL },
		{ "instance-type", "InstanceType", NULL },
		{ "instance-life-cycle", NULL, "on-demand" },
		{ "instance-action", NULL, "none" },
		{ "reservation-id", NULL, "r-0123456789abcdef0" },
		{ "security-groups", NULL, "default" },
		{ "placement/availability-zone", NULL, "us-east-1a" },
		{ "placement/availability-zone-id", NULL, "use1-az1" },
		{ "placement/region", NULL, "us-east-1" },
		{ "services/domain", NULL, "amazonaws.com" },
		{ "services/partition", NULL, "aws" },
		{ "public-keys/", NULL, "0=mykey" },
		{ "public-keys/0/", NULL, "openssh-key" },
		{ "public-keys/0/openssh-key", NULL, KEY },
		/* A value with a trailing slash is still the value. */
		{ "instance-id/", "InstanceId", NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *path = util_strdupf("/latest/meta-data/%s", cases[i].path);

		get_is(path, 200, cases[i].key ? field(cases[i].key) : cases[i].value);
		free(path);
	}
	/* Below a value there is nothing. */
	get_is("/latest/meta-data/instance-id/x", 404, NULL);
	get_is("/latest/meta-data/nonexistent", 404, NULL);
	get_is("/latest/meta-data/public-keys/0=mykey", 404, NULL);
}
END_TEST

START_TEST(network_interfaces)
{
	const struct {
		const char *path, *value;
	} cases[] = {
		{ "", "0e:ec:ac:1f:0e:25/" },
		{ "0e:ec:ac:1f:0e:25/",
		  "device-number\ninterface-id\nipv4-associations/\nlocal-hostname\nlocal-ipv4s\nmac\n"
		  "network-card\nowner-id\npublic-ipv4s\nsecurity-group-ids\nsecurity-groups\nsubnet-id\n"
		  "subnet-ipv4-cidr-block\nvpc-id\nvpc-ipv4-cidr-block\nvpc-ipv4-cidr-blocks" },
		{ "0e:ec:ac:1f:0e:25/device-number", "0" },
		{ "0e:ec:ac:1f:0e:25/interface-id", "eni-df5c9bb8cdbbac5d3" },
		{ "0e:ec:ac:1f:0e:25/local-hostname", "ip-172-31-14-37.ec2.internal" },
		{ "0e:ec:ac:1f:0e:25/local-ipv4s", "172.31.14.37" },
		{ "0e:ec:ac:1f:0e:25/mac", "0e:ec:ac:1f:0e:25" },
		{ "0e:ec:ac:1f:0e:25/network-card", "0" },
		{ "0e:ec:ac:1f:0e:25/owner-id", "000000000000" },
		{ "0e:ec:ac:1f:0e:25/public-ipv4s", "127.77.175.47" },
		{ "0e:ec:ac:1f:0e:25/ipv4-associations/", "127.77.175.47" },
		{ "0e:ec:ac:1f:0e:25/ipv4-associations/127.77.175.47", "172.31.14.37" },
		{ "0e:ec:ac:1f:0e:25/security-group-ids", "sg-9070d18889c120f94" },
		{ "0e:ec:ac:1f:0e:25/security-groups", "default" },
		{ "0e:ec:ac:1f:0e:25/subnet-id", "subnet-a164016a0dc2fc693" },
		{ "0e:ec:ac:1f:0e:25/subnet-ipv4-cidr-block", "172.31.0.0/20" },
		{ "0e:ec:ac:1f:0e:25/vpc-id", "vpc-47e860126d6336141" },
		{ "0e:ec:ac:1f:0e:25/vpc-ipv4-cidr-block", "172.31.0.0/16" },
		{ "0e:ec:ac:1f:0e:25/vpc-ipv4-cidr-blocks", "172.31.0.0/16" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *path = util_strdupf("/latest/meta-data/network/interfaces/macs/%s",
					  cases[i].path);

		get_is(path, 200, cases[i].value);
		free(path);
	}
	get_is("/latest/meta-data/network/interfaces/macs/0e:ec:ac:1f:0e:26/", 404, NULL);
}
END_TEST

START_TEST(two_interfaces)
{
	json_object *enis;

	/* A second interface whose MAC sorts first: mac is still the primary's (device 0). */
	ck_assert(json_object_object_get_ex(inst, "NetworkInterfaces", &enis));
	json_object_array_add(enis, J("{\"MacAddress\": \"0e:00:00:00:00:01\", "
				      "\"NetworkInterfaceId\": \"eni-0123456789abcdef0\", "
				      "\"Attachment\": {\"DeviceIndex\": 1, \"NetworkCardIndex\": 0}, "
				      "\"PrivateIpAddress\": \"172.31.14.99\", \"OwnerId\": \"000000000000\", "
				      "\"PrivateIpAddresses\": [{\"PrivateIpAddress\": \"172.31.14.99\"}, "
				      "{\"PrivateIpAddress\": \"172.31.14.100\"}], \"Groups\": []}"));
	get_is("/latest/meta-data/mac", 200, "0e:ec:ac:1f:0e:25");
	get_is("/latest/meta-data/network/interfaces/macs/", 200,
	       "0e:00:00:00:00:01/\n0e:ec:ac:1f:0e:25/");
	get_is("/latest/meta-data/network/interfaces/macs/0e:00:00:00:00:01/device-number", 200, "1");
	get_is("/latest/meta-data/network/interfaces/macs/0e:00:00:00:00:01/interface-id", 200,
	       "eni-0123456789abcdef0");
	get_is("/latest/meta-data/network/interfaces/macs/0e:00:00:00:00:01/local-ipv4s", 200,
	       "172.31.14.99\n172.31.14.100");
	get_is("/latest/meta-data/network/interfaces/macs/0e:00:00:00:00:01/public-ipv4s", 404, NULL);
	get_is("/latest/meta-data/network/interfaces/macs/0e:00:00:00:00:01/security-groups", 200, "");
}
END_TEST

START_TEST(subnet_of_a_second_zone)
{
	json_object *enis, *eni;

	/* 172.31.16.0/20 is the second zone's subnet. */
	ck_assert(json_object_object_get_ex(inst, "NetworkInterfaces", &enis));
	eni = json_object_array_get_idx(enis, 0);
	json_object_object_add(eni, "PrivateIpAddress", json_object_new_string("172.31.29.4"));
	get_is("/latest/meta-data/network/interfaces/macs/0e:ec:ac:1f:0e:25/subnet-ipv4-cidr-block",
	       200, "172.31.16.0/20");
}
END_TEST

START_TEST(without_public_ip_or_key)
{
	json_object *enis, *eni, *ips;

	json_object_object_del(inst, "PublicIpAddress");
	ck_assert(json_object_object_get_ex(inst, "NetworkInterfaces", &enis));
	eni = json_object_array_get_idx(enis, 0);
	json_object_object_del(eni, "Association");
	ck_assert(json_object_object_get_ex(eni, "PrivateIpAddresses", &ips));
	json_object_object_del(json_object_array_get_idx(ips, 0), "Association");
	in.public_key = NULL;
	get_is("/latest/meta-data/public-ipv4", 404, NULL);
	get_is("/latest/meta-data/public-keys/", 404, NULL);
	get_is("/latest/meta-data/network/interfaces/macs/0e:ec:ac:1f:0e:25/public-ipv4s", 404, NULL);
	get_is("/latest/meta-data/network/interfaces/macs/0e:ec:ac:1f:0e:25/ipv4-associations/",
	       404, NULL);
	{
		struct imds_response rs = ask("GET", "/latest/meta-data/", NULL, NULL, false, NOW);

		ck_assert_ptr_null(strstr(rs.body, "public-ipv4"));
		ck_assert_ptr_null(strstr(rs.body, "public-keys"));
		free(rs.body);
	}
}
END_TEST

START_TEST(spot_instance)
{
	const char *action = "{\"action\": \"terminate\", \"time\": \"2026-12-04T19:30:00Z\"}";

	get_is("/latest/meta-data/spot/instance-action", 404, NULL);
	json_object_object_add(inst, "InstanceLifecycle", json_object_new_string("spot"));
	get_is("/latest/meta-data/instance-life-cycle", 200, "spot");
	in.spot_action = action;
	get_is("/latest/meta-data/spot/instance-action", 200, action);
	get_is("/latest/meta-data/spot/termination-time", 200, "2026-12-04T19:30:00Z");
}
END_TEST

START_TEST(not_found_page)
{
	struct imds_response rs = ask("GET", "/latest/meta-data/bogus", NULL, NULL, false, NOW);

	ck_assert_str_eq(rs.body,
			 "<?xml version=\"1.0\" encoding=\"iso-8859-1\"?>\n"
			 "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Transitional//EN\"\n"
			 "\t\"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd\">\n"
			 "<html xmlns=\"http://www.w3.org/1999/xhtml\" xml:lang=\"en\" lang=\"en\">\n"
			 " <head>\n"
			 "  <title>404 - Not Found</title>\n"
			 " </head>\n"
			 " <body>\n"
			 "  <h1>404 - Not Found</h1>\n"
			 " </body>\n"
			 "</html>\n");
	is_error_page(&rs, 404, "Not Found");
	/* Traversal and encoded separators name nothing. */
	get_is("/latest/meta-data/../meta-data/instance-id", 404, NULL);
	get_is("/latest/meta-data/%2e%2e/user-data", 404, NULL);
	get_is("/latest/meta-data/instance-id%00x", 404, NULL);
	/* Percent-encoded letters are the letters. */
	get_is("/latest/meta-data/instance%2Did", 200, field("InstanceId"));
}
END_TEST

/* ---------- user data ---------- */

START_TEST(user_data)
{
	struct imds_response rs;

	get_is("/latest/user-data", 404, NULL);
	in.user_data = udata;
	in.user_data_len = sizeof(udata);
	rs = ask("GET", "/latest/user-data", NULL, NULL, false, NOW);
	ck_assert_int_eq(rs.status, 200);
	ck_assert_uint_eq(rs.len, sizeof(udata));
	ck_assert(memcmp(rs.body, udata, sizeof(udata)) == 0);
	ck_assert_str_eq(rs.content_type, "application/octet-stream");
	free(rs.body);
	get_is("/latest/", 200, "dynamic\nmeta-data\nuser-data");
	get_is("/latest/user-data/x", 404, NULL);
}
END_TEST

/* ---------- tags, IAM ---------- */

START_TEST(instance_tags)
{
	struct imds_response rs;

	/* Off by default (the fixture's MetadataOptions say disabled). */
	get_is("/latest/meta-data/tags/instance/", 404, NULL);
	get_is("/latest/meta-data/tags/instance/Name", 404, NULL);
	set_option("InstanceMetadataTags", "enabled");
	get_is("/latest/meta-data/tags/", 200, "instance/");
	get_is("/latest/meta-data/tags/instance", 200,
	       "Name\nTeam\nec2-lite:accelerator\nec2-lite:kernel-entry");
	get_is("/latest/meta-data/tags/instance/Name", 200, "web");
	get_is("/latest/meta-data/tags/instance/Team", 200, "blue sky");
	get_is("/latest/meta-data/tags/instance/Nope", 404, NULL);
	/* A key that looks like public-keys' "0=NAME" hides nothing. */
	json_object_array_add(json_object_object_get(inst, "Tags"),
			      J("{\"Key\": \"Name=x\", \"Value\": \"y\"}"));
	get_is("/latest/meta-data/tags/instance", 200,
	       "Name\nName=x\nTeam\nec2-lite:accelerator\nec2-lite:kernel-entry");
	rs = ask("GET", "/latest/meta-data/", NULL, NULL, false, NOW);
	ck_assert_ptr_nonnull(strstr(rs.body, "\ntags/"));
	free(rs.body);
}
END_TEST

START_TEST(iam_role)
{
	get_is("/latest/meta-data/iam/", 200, "info\nsecurity-credentials/");
	get_is("/latest/meta-data/iam/info", 200,
	       "{\n"
	       "  \"Code\" : \"Success\",\n"
	       "  \"LastUpdated\" : \"2026-12-04T19:10:00Z\",\n"
	       "  \"InstanceProfileArn\" : \"arn:aws:iam::000000000000:instance-profile/web-profile\",\n"
	       "  \"InstanceProfileId\" : \"AIPAEXAMPLEPROFILE01\"\n"
	       "}");
	get_is("/latest/meta-data/iam/security-credentials/", 200, "web-role");
	get_is("/latest/meta-data/iam/security-credentials/web-role", 200,
	       "{\n"
	       "  \"Code\" : \"Success\",\n"
	       "  \"LastUpdated\" : \"2026-12-04T19:10:00Z\",\n"
	       "  \"Type\" : \"AWS-HMAC\",\n"
	       "  \"AccessKeyId\" : \"ASIAEXAMPLEKEYID0001\",\n"
	       "  \"SecretAccessKey\" : \"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\",\n"
	       "  \"Token\" : \"IQoJb3JpZ2luX2VjEXAMPLE==\",\n"
	       "  \"Expiration\" : \"2026-12-04T20:10:00Z\"\n"
	       "}");
	get_is("/latest/meta-data/iam/security-credentials/other-role", 404, NULL);
	in.role_name = NULL;
	in.credentials = NULL;
	get_is("/latest/meta-data/iam/", 404, NULL);
	get_is("/latest/meta-data/iam/security-credentials/web-role", 404, NULL);
}
END_TEST

/* ---------- IMDSv2 tokens and the options ---------- */

START_TEST(token_round_trip)
{
	char *t = token_for(NOW, "21600");
	struct imds_response rs;

	ck_assert_uint_eq(strlen(t), 56);
	rs = ask("GET", "/latest/meta-data/instance-id", t, NULL, false, NOW + 21599);
	ck_assert_int_eq(rs.status, 200);
	ck_assert_str_eq(rs.body, field("InstanceId"));
	free(rs.body);
	/* Expired at its ttl. */
	rs = ask("GET", "/latest/meta-data/instance-id", t, NULL, false, NOW + 21600);
	is_error_page(&rs, 401, "Unauthorized");
	/* Tampered: one character changed. */
	t[20] = t[20] == 'A' ? 'B' : 'A';
	rs = ask("GET", "/latest/meta-data/instance-id", t, NULL, false, NOW);
	is_error_page(&rs, 401, "Unauthorized");
	free(t);
	rs = ask("GET", "/latest/meta-data/instance-id", "not-a-token", NULL, false, NOW);
	is_error_page(&rs, 401, "Unauthorized");
	rs = ask("GET", "/latest/meta-data/instance-id", "", NULL, false, NOW);
	is_error_page(&rs, 401, "Unauthorized");
	/* A one-second token lasts one second. */
	t = token_for(NOW, "1");
	rs = ask("GET", "/latest/meta-data/instance-id", t, NULL, false, NOW);
	ck_assert_int_eq(rs.status, 200);
	free(rs.body);
	rs = ask("GET", "/latest/meta-data/instance-id", t, NULL, false, NOW + 1);
	is_error_page(&rs, 401, "Unauthorized");
	free(t);
}
END_TEST

START_TEST(token_of_another_instance)
{
	char *t = token_for(NOW, "600");
	struct imds_response rs;

	json_object_object_add(inst, "InstanceId", json_object_new_string("i-0123456789abcdef0"));
	rs = ask("GET", "/latest/meta-data/instance-id", t, NULL, false, NOW);
	is_error_page(&rs, 401, "Unauthorized");
	free(t);
}
END_TEST

START_TEST(token_ttl_bounds)
{
	const struct {
		const char *ttl;
		int status;
	} cases[] = {
		{ "0", 400 },     { "1", 200 },     { "21600", 200 }, { "21601", 400 },
		{ "abc", 400 },   { "", 400 },      { NULL, 400 },    { "-5", 400 },
		{ "60s", 400 },   { "99999999999999999999", 400 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct imds_response rs = ask("PUT", "/latest/api/token", NULL, cases[i].ttl, false,
					      NOW);

		ck_assert_msg(rs.status == cases[i].status, "ttl '%s': %d", cases[i].ttl, rs.status);
		if (rs.status == 400) {
			ck_assert_int_eq(rs.token_ttl, 0);
			is_error_page(&rs, 400, "Missing or Invalid Parameters");
		} else {
			ck_assert_int_eq(rs.token_ttl, atol(cases[i].ttl));
			ck_assert_str_eq(rs.content_type, "text/plain");
			free(rs.body);
		}
	}
}
END_TEST

START_TEST(token_forwarded_for)
{
	struct imds_response rs = ask("PUT", "/latest/api/token", NULL, "21600", true, NOW);

	ck_assert_int_eq(rs.token_ttl, 0);
	is_error_page(&rs, 403, "Forbidden");
}
END_TEST

START_TEST(methods)
{
	static const char *const others[] = { "POST", "DELETE", "PATCH", "OPTIONS", "", "get" };
	struct imds_response rs;
	size_t i;

	for (i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		rs = ask(others[i], "/latest/meta-data/", NULL, NULL, false, NOW);
		is_error_page(&rs, 405, "Method Not Allowed");
		rs = ask(others[i], "/latest/api/token", NULL, "60", false, NOW);
		is_error_page(&rs, 405, "Method Not Allowed");
	}
	rs = ask("PUT", "/latest/meta-data/instance-id", NULL, "60", false, NOW);
	is_error_page(&rs, 405, "Method Not Allowed");
	rs = ask("GET", "/latest/api/token", NULL, "60", false, NOW);
	is_error_page(&rs, 405, "Method Not Allowed");
	rs = ask("HEAD", "/latest/meta-data/instance-id", NULL, NULL, false, NOW);
	ck_assert_int_eq(rs.status, 200);
	free(rs.body);
	rs = ask(NULL, NULL, NULL, NULL, false, NOW);
	is_error_page(&rs, 405, "Method Not Allowed");
}
END_TEST

START_TEST(tokens_required)
{
	struct imds_response rs;
	char *t;

	set_option("HttpTokens", "required");
	rs = ask("GET", "/latest/meta-data/instance-id", NULL, NULL, false, NOW);
	is_error_page(&rs, 401, "Unauthorized");
	rs = ask("GET", "/", NULL, NULL, false, NOW);
	is_error_page(&rs, 401, "Unauthorized");
	t = token_for(NOW, "60");
	rs = ask("GET", "/latest/meta-data/instance-id", t, NULL, false, NOW + 30);
	ck_assert_int_eq(rs.status, 200);
	ck_assert_str_eq(rs.body, field("InstanceId"));
	free(rs.body);
	rs = ask("GET", "/latest/meta-data/instance-id", t, NULL, false, NOW + 60);
	is_error_page(&rs, 401, "Unauthorized");
	free(t);
}
END_TEST

START_TEST(endpoint_disabled)
{
	struct imds_response rs;

	static const char *const verbs[] = { "GET", "PUT", "POST" };
	size_t i;

	/* 403 with an empty text/plain body, whatever is asked. */
	set_option("HttpEndpoint", "disabled");
	for (i = 0; i < 3; i++) {
		rs = ask(verbs[i], "/latest/api/token", NULL, "60", false, NOW);
		ck_assert_int_eq(rs.status, 403);
		ck_assert_int_eq(rs.token_ttl, 0);
		ck_assert_uint_eq(rs.len, 0);
		ck_assert_str_eq(rs.body, "");
		ck_assert_str_eq(rs.content_type, "text/plain");
		free(rs.body);
	}
	get_is("/latest/meta-data/instance-id", 403, "");
	get_is("/", 403, "");
}
END_TEST

START_TEST(default_options)
{
	json_object_object_del(inst, "MetadataOptions");
	/* optional tokens, endpoint on, tags off */
	get_is("/latest/meta-data/instance-id", 200, field("InstanceId"));
	get_is("/latest/meta-data/tags/instance/", 404, NULL);
}
END_TEST

/* ---------- the identity document ---------- */

static char *get_body(const char *path)
{
	struct imds_response rs = ask("GET", path, NULL, NULL, false, NOW);

	ck_assert_msg(rs.status == 200, "GET %s: %d", path, rs.status);
	ck_assert_str_eq(rs.content_type, "text/plain");
	return rs.body;
}

/* Bytes of base64 text that may hold newlines (caller frees). */
static unsigned char *unbase64(const char *text, int *len)
{
	BIO *b64 = BIO_new(BIO_f_base64()), *mem = BIO_new_mem_buf(text, (int)strlen(text));
	unsigned char *out = malloc(strlen(text) + 1);

	ck_assert_ptr_nonnull(out);
	mem = BIO_push(b64, mem);
	*len = BIO_read(mem, out, (int)strlen(text));
	BIO_free_all(mem);
	return out;
}

START_TEST(identity_document)
{
	char *doc = get_body("/latest/dynamic/instance-identity/document");
	char *want = util_strdupf("{\n"
				  "  \"accountId\" : \"000000000000\",\n"
				  "  \"architecture\" : \"x86_64\",\n"
				  "  \"availabilityZone\" : \"us-east-1a\",\n"
				  "  \"billingProducts\" : null,\n"
				  "  \"devpayProductCodes\" : null,\n"
				  "  \"marketplaceProductCodes\" : null,\n"
				  "  \"imageId\" : \"%s\",\n"
				  "  \"instanceId\" : \"%s\",\n"
				  "  \"instanceType\" : \"t2.nano\",\n"
				  "  \"kernelId\" : null,\n"
				  "  \"pendingTime\" : \"2026-12-04T19:05:02Z\",\n"
				  "  \"privateIp\" : \"172.31.14.37\",\n"
				  "  \"ramdiskId\" : null,\n"
				  "  \"region\" : \"us-east-1\",\n"
				  "  \"version\" : \"2017-09-30\"\n"
				  "}",
				  field("ImageId"), field("InstanceId"));

	ck_assert_str_eq(doc, want);
	free(want);
	free(doc);
}
END_TEST

START_TEST(identity_signature)
{
	char *doc = get_body("/latest/dynamic/instance-identity/document");
	char *sig = get_body("/latest/dynamic/instance-identity/signature");
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY *pub = X509_get0_pubkey(keys.cert);
	unsigned char *raw;
	int len;

	raw = unbase64(sig, &len);
	ck_assert_int_eq(len, 256);
	ck_assert_int_eq(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pub), 1);
	ck_assert_int_eq(EVP_DigestVerify(md, raw, (size_t)len, (unsigned char *)doc, strlen(doc)),
			 1);
	/* Another document does not verify. */
	doc[5] ^= 1;
	ck_assert_int_eq(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pub), 1);
	ck_assert_int_ne(EVP_DigestVerify(md, raw, (size_t)len, (unsigned char *)doc, strlen(doc)),
			 1);
	EVP_MD_CTX_free(md);
	free(raw);
	free(sig);
	free(doc);
}
END_TEST

/* openssl smime -verify -in P7 -inform PEM -certfile CERT -noverify: what EC2's documentation
 * has users run; the content printed must be the document. */
static void pkcs7_verifies(const char *path)
{
	char *doc = get_body("/latest/dynamic/instance-identity/document");
	char *p7text = get_body(path);
	char *pem = util_strdupf("-----BEGIN PKCS7-----\n%s\n-----END PKCS7-----\n", p7text);
	BIO *pin = BIO_new_mem_buf(pem, -1), *out = BIO_new(BIO_s_mem());
	PKCS7 *p7 = PEM_read_bio_PKCS7(pin, NULL, NULL, NULL);
	STACK_OF(X509) *certs = sk_X509_new_null();
	char *content;
	long n;

	ck_assert_msg(p7 != NULL, "%s is not PKCS7", path);
	ck_assert(strstr(p7text, "-----") == NULL);
	ck_assert_ptr_null(p7->d.sign->cert); /* EC2 leaves the certificate out */
	sk_X509_push(certs, keys.cert);
	ck_assert_int_eq(PKCS7_verify(p7, certs, NULL, NULL, out, PKCS7_NOVERIFY), 1);
	n = BIO_get_mem_data(out, &content);
	ck_assert_int_eq(n, (long)strlen(doc));
	ck_assert(memcmp(content, doc, (size_t)n) == 0);
	sk_X509_free(certs);
	PKCS7_free(p7);
	BIO_free(pin);
	BIO_free(out);
	free(pem);
	free(p7text);
	free(doc);
}

START_TEST(identity_pkcs7)
{
	pkcs7_verifies("/latest/dynamic/instance-identity/pkcs7");
	pkcs7_verifies("/latest/dynamic/instance-identity/rsa2048");
}
END_TEST

START_TEST(identity_pkcs7_other_key_fails)
{
	struct imds_keys other;
	struct ec2_error err = { 0 };
	char *dir = test_tmpdir(), *p7text = get_body("/latest/dynamic/instance-identity/pkcs7");
	char *pem = util_strdupf("-----BEGIN PKCS7-----\n%s\n-----END PKCS7-----\n", p7text);
	BIO *pin = BIO_new_mem_buf(pem, -1), *out = BIO_new(BIO_s_mem());
	PKCS7 *p7 = PEM_read_bio_PKCS7(pin, NULL, NULL, NULL);
	STACK_OF(X509) *certs = sk_X509_new_null();

	ck_assert_int_eq(imds_keys_load(dir, &other, &err), 0);
	sk_X509_push(certs, other.cert);
	ck_assert_int_ne(PKCS7_verify(p7, certs, NULL, NULL, out, PKCS7_NOVERIFY), 1);
	sk_X509_free(certs);
	PKCS7_free(p7);
	BIO_free(pin);
	BIO_free(out);
	free(pem);
	free(p7text);
	imds_keys_clear(&other);
	test_rmdir(dir);
}
END_TEST

/* ---------- the keys ---------- */

static void mode_is(const char *dir, const char *name, unsigned mode)
{
	char *p = util_strdupf("%s/%s", dir, name);
	struct stat st;

	ck_assert_msg(stat(p, &st) == 0, "%s missing", p);
	ck_assert_msg((st.st_mode & 07777) == mode, "%s: %o", p, st.st_mode & 07777);
	free(p);
}

START_TEST(keys_made_once_and_kept)
{
	struct imds_keys again;
	struct ec2_error err = { 0 };
	char *imds = util_strdupf("%s/imds", keydir), *cn;
	time_t years = (time_t)(NOW + 10LL * 365 * 86400);
	X509_NAME *subject = X509_get_subject_name(keys.cert);
	int n;

	mode_is(keydir, "imds", 0700);
	mode_is(imds, "token.key", 0600);
	mode_is(imds, "identity.key", 0600);
	mode_is(imds, "identity.crt", 0600);
	ck_assert_int_eq(imds_keys_load(keydir, &again, &err), 0);
	ck_assert(memcmp(again.token_secret, keys.token_secret, 32) == 0);
	ck_assert_int_eq(EVP_PKEY_eq(again.sign_key, keys.sign_key), 1);
	ck_assert_int_eq(X509_cmp(again.cert, keys.cert), 0);
	ck_assert_int_eq(X509_check_private_key(keys.cert, keys.sign_key), 1);
	ck_assert_int_eq(EVP_PKEY_get_bits(keys.sign_key), 2048);
	n = X509_NAME_get_text_by_NID(subject, NID_commonName, NULL, 0);
	cn = calloc(1, (size_t)n + 1);
	X509_NAME_get_text_by_NID(subject, NID_commonName, cn, n + 1);
	ck_assert_str_eq(cn, "ec2-lite instance identity");
	/* Valid for years. */
	ck_assert_int_gt(X509_cmp_time(X509_get0_notAfter(keys.cert), &years), 0);
	free(cn);
	imds_keys_clear(&again);
	ck_assert_ptr_null(again.sign_key);
	ck_assert_ptr_null(again.cert);
	free(imds);
}
END_TEST

START_TEST(keys_concurrent_first_use)
{
	enum { N = 4 };
	char *dir = test_tmpdir();
	struct imds_keys k;
	struct ec2_error err = { 0 };
	pid_t pids[N];
	int i;

	for (i = 0; i < N; i++) {
		pids[i] = fork();
		ck_assert_int_ge(pids[i], 0);
		if (pids[i] == 0) {
			struct imds_keys mine;
			char *out = util_strdupf("%s/child%d", dir, i);
			FILE *f;

			if (imds_keys_load(dir, &mine, NULL) < 0)
				_exit(1);
			f = fopen(out, "w");
			if (!f || fwrite(mine.token_secret, 1, 32, f) != 32 ||
			    !PEM_write_X509(f, mine.cert) || fclose(f) != 0)
				_exit(2);
			_exit(0);
		}
	}
	for (i = 0; i < N; i++) {
		int status;

		ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	ck_assert_int_eq(imds_keys_load(dir, &k, &err), 0);
	for (i = 0; i < N; i++) {
		char *path = util_strdupf("%s/child%d", dir, i);
		unsigned char secret[32];
		FILE *f = fopen(path, "r");
		X509 *c;

		ck_assert_ptr_nonnull(f);
		ck_assert_uint_eq(fread(secret, 1, 32, f), 32);
		c = PEM_read_X509(f, NULL, NULL, NULL);
		fclose(f);
		ck_assert(memcmp(secret, k.token_secret, 32) == 0);
		ck_assert_ptr_nonnull(c);
		ck_assert_int_eq(X509_cmp(c, k.cert), 0);
		X509_free(c);
		free(path);
	}
	imds_keys_clear(&k);
	test_rmdir(dir);
}
END_TEST

START_TEST(keys_bad_files_refused)
{
	char *dir = test_tmpdir(), *imds = util_strdupf("%s/imds", dir);
	char *secret = util_strdupf("%s/token.key", imds);
	struct imds_keys k;
	struct ec2_error err = { 0 };

	ck_assert_int_eq(util_mkdir_p(imds, 0700, NULL), 0);
	ck_assert_int_eq(util_write_file_atomic(secret, "short", 5, 0600, NULL), 0);
	ck_assert_int_eq(imds_keys_load(dir, &k, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.message, "token.key"));
	ck_assert_ptr_null(k.sign_key);
	free(secret);
	free(imds);
	test_rmdir(dir);
}
END_TEST

static Suite *imds_suite(void)
{
	Suite *s = suite_create("imds");
	TCase *t = tcase_create("answers");

	tcase_add_unchecked_fixture(t, keys_setup, keys_teardown);
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, versions_listed_and_served);
	tcase_add_test(t, meta_data_listing);
	tcase_add_test(t, values_equal_the_instance);
	tcase_add_test(t, network_interfaces);
	tcase_add_test(t, two_interfaces);
	tcase_add_test(t, subnet_of_a_second_zone);
	tcase_add_test(t, without_public_ip_or_key);
	tcase_add_test(t, spot_instance);
	tcase_add_test(t, not_found_page);
	tcase_add_test(t, user_data);
	tcase_add_test(t, instance_tags);
	tcase_add_test(t, iam_role);
	tcase_add_test(t, token_round_trip);
	tcase_add_test(t, token_of_another_instance);
	tcase_add_test(t, token_ttl_bounds);
	tcase_add_test(t, token_forwarded_for);
	tcase_add_test(t, methods);
	tcase_add_test(t, tokens_required);
	tcase_add_test(t, endpoint_disabled);
	tcase_add_test(t, default_options);
	tcase_add_test(t, identity_document);
	tcase_add_test(t, identity_signature);
	tcase_add_test(t, identity_pkcs7);
	tcase_add_test(t, identity_pkcs7_other_key_fails);
	tcase_add_test(t, keys_made_once_and_kept);
	tcase_add_test(t, keys_concurrent_first_use);
	tcase_add_test(t, keys_bad_files_refused);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return test_run(imds_suite()) ? EXIT_FAILURE : EXIT_SUCCESS;
}
