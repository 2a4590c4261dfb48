/* libFuzzer target: the instance metadata service's answers (imds_answer). The input is split at
 * NUL bytes into the method, the path, the token header, the ttl header, a byte of switches
 * (X-Forwarded-For, HttpTokens, HttpEndpoint, InstanceMetadataTags, user data, a role) and the
 * Instance's JSON (the fixture's when it is not a JSON object). The answer must never crash,
 * leak or read out of bounds, must be one of IMDS's statuses with a body, and a token the fuzzer
 * made up must never be accepted where tokens are required. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ec2lite/imds.h"
#include "ec2lite/util.h"

/* The model's zone id (src/model/vpc.c, which brings the whole model with it): a stand-in. */
void vpc_zone_id(const char *region, const char *zone, char *out, size_t size)
{
	snprintf(out, size, "use1-az1");
}

static struct imds_keys keys;

static const char fixture[] =
	"{\"ImageId\": \"ami-0123456789abcdef0\", \"InstanceId\": \"i-0123456789abcdef0\","
	" \"InstanceType\": \"t2.nano\", \"KeyName\": \"k\", \"LaunchTime\": \"2026-12-04T19:05:02.000Z\","
	" \"Placement\": {\"AvailabilityZone\": \"us-east-1a\"}, \"PrivateDnsName\": \"ip-172-31-1-2.ec2.internal\","
	" \"PrivateIpAddress\": \"172.31.1.2\", \"PublicIpAddress\": \"127.0.0.9\", \"AmiLaunchIndex\": 0,"
	" \"BlockDeviceMappings\": [{\"DeviceName\": \"/dev/xvda\"}, {\"DeviceName\": \"/dev/sdb\"}],"
	" \"RootDeviceName\": \"/dev/xvda\", \"SecurityGroups\": [{\"GroupName\": \"default\", \"GroupId\": \"sg-1\"}],"
	" \"Tags\": [{\"Key\": \"Name\", \"Value\": \"web\"}, {\"Key\": \"0\", \"Value\": \"x\"}],"
	" \"IamInstanceProfile\": {\"Arn\": \"arn:aws:iam::000000000000:instance-profile/p\", \"Id\": \"AIPA1\"},"
	" \"NetworkInterfaces\": [{\"MacAddress\": \"0e:00:00:00:00:01\", \"Attachment\": {\"DeviceIndex\": 0},"
	"   \"PrivateIpAddress\": \"172.31.1.2\", \"Groups\": [{\"GroupName\": \"default\", \"GroupId\": \"sg-1\"}],"
	"   \"PrivateIpAddresses\": [{\"PrivateIpAddress\": \"172.31.1.2\", \"Association\": {\"PublicIp\": \"127.0.0.9\"}}]}]}";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char dir[] = "/tmp/fuzz-imds-XXXXXX";

	if (!mkdtemp(dir) || imds_keys_load(dir, &keys, NULL) < 0)
		abort();
	util_rm_rf(dir, NULL);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char udata[] = { 'a', 0, 'b' };
	char *copy = malloc(size + 1), *part[6] = { "", "", "", "", "", "" };
	json_object *inst = NULL, *creds = NULL, *mo;
	struct imds_instance in = { 0 };
	struct imds_request rq;
	struct imds_response rs;
	unsigned flags;
	size_t i, k = 0, start = 0;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	for (i = 0; i <= size && k < 6; i++)
		if (i == size || copy[i] == '\0') {
			copy[i] = '\0';
			part[k++] = copy + start;
			start = i + 1;
		}
	flags = (unsigned char)part[4][0];
	inst = json_tokener_parse(part[5]);
	if (!json_object_is_type(inst, json_type_object)) {
		json_object_put(inst);
		inst = json_tokener_parse(fixture);
	}
	mo = json_object_new_object();
	json_object_object_add(mo, "HttpTokens",
			       json_object_new_string(flags & 2 ? "required" : "optional"));
	json_object_object_add(mo, "HttpEndpoint",
			       json_object_new_string(flags & 4 ? "disabled" : "enabled"));
	json_object_object_add(mo, "InstanceMetadataTags",
			       json_object_new_string(flags & 8 ? "enabled" : "disabled"));
	if (!json_object_object_get_ex(inst, "MetadataOptions", NULL) || (flags & 64))
		json_object_object_add(inst, "MetadataOptions", mo);
	else
		json_object_put(mo);
	creds = json_tokener_parse("{\"Code\": \"Success\", \"AccessKeyId\": \"ASIA1\", \"Token\": \"t\"}");
	in.instance = inst;
	in.reservation_id = "r-0123456789abcdef0";
	in.account_id = "000000000000";
	in.region = "us-east-1";
	in.public_key = "ssh-ed25519 AAAA k";
	if (flags & 16) {
		in.user_data = udata;
		in.user_data_len = sizeof(udata);
	}
	if (flags & 32) {
		in.role_name = "role";
		in.credentials = creds;
		in.spot_action = "{\"action\": \"stop\", \"time\": \"2026-12-04T19:30:00Z\"}";
	}
	rq = (struct imds_request){ .method = part[0], .path = part[1],
				    .token = (flags & 128) ? part[2] : NULL, .token_ttl = part[3],
				    .forwarded_for = flags & 1, .now = 1796410000 };
	imds_answer(&keys, &in, &rq, &rs);
	if (!rs.body || !rs.content_type ||
	    (rs.status != 200 && rs.status != 400 && rs.status != 401 && rs.status != 403 &&
	     rs.status != 404 && rs.status != 405))
		abort();
	/* Tokens required, a made-up token: nothing but a token PUT may succeed. */
	if (rs.status == 200 && (flags & 2) && rq.token && rs.token_ttl == 0)
		abort();
	free(rs.body);
	json_object_put(inst);
	json_object_put(creds);
	free(copy);
	return 0;
}
