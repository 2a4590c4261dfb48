/* api: the EC2 Query protocol without a server: requests into the model's objects (lists,
 * structures, blobs, refusals), responses into EC2's XML, and Signature Version 4 (a signed
 * request passes; any change to it, a wrong key, a stale date, a foreign region fail). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "api/api.h"
#include "api/console.h"
#include "ec2lite/image.h"
#include "ec2lite/import.h"
#include "ec2lite/util.h"
#include "testutil.h"

static json_object *parse(const char *action, const char *query, struct ec2_error *err)
{
	struct api_params p = { 0 };
	json_object *req = NULL;

	if (api_params_parse(&p, query, strlen(query), err) == 0)
		req = api_request(api_action_find(action), &p, err);
	api_params_free(&p);
	return req;
}

static void expect_request(const char *action, const char *query, const char *json)
{
	struct ec2_error err = { 0 };
	json_object *req = parse(action, query, &err), *want = json_tokener_parse(json);

	ck_assert_msg(req != NULL, "%s: %s", query, err.message);
	ck_assert_ptr_nonnull(want);
	ck_assert_msg(json_object_equal(req, want), "%s gave %s, not %s", query,
		      json_object_to_json_string(req), json);
	json_object_put(req);
	json_object_put(want);
}

START_TEST(requests_follow_the_input_shapes)
{
	expect_request("StopInstances", "Action=StopInstances&Version=2016-11-15&InstanceId.1=i-1&"
		       "InstanceId.2=i-2&Force=true",
		       "{\"InstanceIds\": [\"i-1\", \"i-2\"], \"Force\": \"true\"}");
	expect_request("DescribeInstances", "Filter.1.Name=instance-state-name&Filter.1.Value.1=running&"
		       "Filter.1.Value.2=pending&Filter.2.Name=tag%3AName&Filter.2.Value.1=web+1",
		       "{\"Filters\": [{\"Name\": \"instance-state-name\", \"Values\": [\"running\", "
		       "\"pending\"]}, {\"Name\": \"tag:Name\", \"Values\": [\"web 1\"]}]}");
	/* Indexes order the items, holes close up. */
	expect_request("TerminateInstances", "InstanceId.3=i-3&InstanceId.1=i-1",
		       "{\"InstanceIds\": [\"i-1\", \"i-3\"]}");
	/* UserData comes base64-encoded and goes to the model as it was. */
	expect_request("RunInstances", "ImageId=ami-1&MinCount=1&MaxCount=1&UserData=IyEvYmluL3NoCmVjaG8gaGk%3D&"
		       "TagSpecification.1.ResourceType=instance&TagSpecification.1.Tag.1.Key=Name&"
		       "TagSpecification.1.Tag.1.Value=web&HibernationOptions.Configured=true&"
		       "SecurityGroupId.1=sg-1&BlockDeviceMapping.1.DeviceName=%2Fdev%2Fxvda&"
		       "BlockDeviceMapping.1.Ebs.VolumeSize=4",
		       "{\"ImageId\": \"ami-1\", \"MinCount\": \"1\", \"MaxCount\": \"1\", "
		       "\"UserData\": \"#!/bin/sh\\necho hi\", \"TagSpecifications\": [{\"ResourceType\": "
		       "\"instance\", \"Tags\": [{\"Key\": \"Name\", \"Value\": \"web\"}]}], "
		       "\"HibernationOptions\": {\"Configured\": \"true\"}, \"SecurityGroupIds\": "
		       "[\"sg-1\"], \"BlockDeviceMappings\": [{\"DeviceName\": \"/dev/xvda\", \"Ebs\": "
		       "{\"VolumeSize\": \"4\"}}]}");
	/* EC2's query names that differ from the members: GroupDescription is Description. */
	expect_request("CreateSecurityGroup", "GroupName=web&GroupDescription=HTTP",
		       "{\"GroupName\": \"web\", \"Description\": \"HTTP\"}");
	expect_request("AuthorizeSecurityGroupIngress", "GroupId=sg-1&IpPermissions.1.IpProtocol=tcp&"
		       "IpPermissions.1.FromPort=80&IpPermissions.1.ToPort=80&"
		       "IpPermissions.1.IpRanges.1.CidrIp=0.0.0.0%2F0",
		       "{\"GroupId\": \"sg-1\", \"IpPermissions\": [{\"IpProtocol\": \"tcp\", "
		       "\"FromPort\": \"80\", \"ToPort\": \"80\", \"IpRanges\": [{\"CidrIp\": "
		       "\"0.0.0.0/0\"}]}]}");
	/* A blob: the public key material. */
	expect_request("ImportKeyPair", "KeyName=k&PublicKeyMaterial=c3NoLWVkMjU1MTkgQUFBQQ%3D%3D",
		       "{\"KeyName\": \"k\", \"PublicKeyMaterial\": \"ssh-ed25519 AAAA\"}");
	expect_request("CreateTags", "ResourceId.1=i-1&Tag.1.Key=a&Tag.1.Value=",
		       "{\"Resources\": [\"i-1\"], \"Tags\": [{\"Key\": \"a\", \"Value\": \"\"}]}");
}
END_TEST

/* Lists as clients other than botocore number them: libcloud from 0 (ResourceId.0, Tag.0.Key),
 * a list of one with no index at all. Every item is kept once, in index order. */
START_TEST(lists_numbered_from_0_or_not_at_all)
{
	expect_request("StopInstances", "InstanceId=i-1", "{\"InstanceIds\": [\"i-1\"]}");
	expect_request("StopInstances", "InstanceId.0=i-0&InstanceId.1=i-1",
		       "{\"InstanceIds\": [\"i-0\", \"i-1\"]}");
	expect_request("RunInstances", "ImageId=ami-1&MinCount=1&MaxCount=1&SecurityGroupId=sg-1",
		       "{\"ImageId\": \"ami-1\", \"MinCount\": \"1\", \"MaxCount\": \"1\", "
		       "\"SecurityGroupIds\": [\"sg-1\"]}");
	/* libcloud's CreateTags. */
	expect_request("CreateTags", "ResourceId.0=i-1&Tag.0.Key=a&Tag.0.Value=1&Tag.1.Key=b&"
		       "Tag.1.Value=2",
		       "{\"Resources\": [\"i-1\"], \"Tags\": [{\"Key\": \"a\", \"Value\": \"1\"}, "
		       "{\"Key\": \"b\", \"Value\": \"2\"}]}");
	expect_request("DescribeInstances", "Filter.0.Name=a&Filter.0.Value.0=x&Filter.0.Value.1=y&"
		       "Filter.1.Name=b&Filter.1.Value=z",
		       "{\"Filters\": [{\"Name\": \"a\", \"Values\": [\"x\", \"y\"]}, "
		       "{\"Name\": \"b\", \"Values\": [\"z\"]}]}");
	expect_request("DescribeInstances", "Filter.Name=a&Filter.Value=x",
		       "{\"Filters\": [{\"Name\": \"a\", \"Values\": [\"x\"]}]}");
	/* Mixed: the unnumbered item first, then by index (0 before 1), given in any order; the
	 * same index twice is one item, the last value. */
	expect_request("TerminateInstances", "InstanceId.2=i-2&InstanceId.1=i-1&InstanceId=i-u&"
		       "InstanceId.0=i-0",
		       "{\"InstanceIds\": [\"i-u\", \"i-0\", \"i-1\", \"i-2\"]}");
	expect_request("TerminateInstances", "InstanceId.1=i-a&InstanceId.01=i-b",
		       "{\"InstanceIds\": [\"i-b\"]}");
	expect_request("DescribeInstances", "Filter.1.Name=b&Filter.Name=a&Filter.1.Value.1=y&"
		       "Filter.Value=x&Filter.0.Name=c&Filter.0.Value.1000=w",
		       "{\"Filters\": [{\"Name\": \"a\", \"Values\": [\"x\"]}, "
		       "{\"Name\": \"c\", \"Values\": [\"w\"]}, "
		       "{\"Name\": \"b\", \"Values\": [\"y\"]}]}");
}
END_TEST

static const struct {
	const char *action, *query, *code;
} refusals[] = {
	{ "DescribeInstances", "Colour=red", "UnknownParameter" },
	{ "StopInstances", "InstanceId.x=i-1", "InvalidQueryParameter" },
	{ "StopInstances", "InstanceId.1001=i-1", "InvalidQueryParameter" },
	{ "StopInstances", "InstanceId.-1=i-1", "InvalidQueryParameter" },
	{ "StopInstances", "InstanceId.=i-1", "InvalidQueryParameter" },
	{ "StopInstances", "InstanceId.18446744073709551617=i-1", "InvalidQueryParameter" },
	{ "StopInstances", "InstanceId.00001=i-1", "InvalidQueryParameter" },
	{ "DescribeInstances", "Filter.x.Name=a", "InvalidQueryParameter" },
	{ "DescribeInstances", "Filter=a", "InvalidQueryParameter" },
	{ "DescribeInstances", "Filter.Colour=a", "InvalidQueryParameter" },
	{ "DescribeInstances", "Filter.99999.Name=a", "InvalidQueryParameter" },
	{ "StopInstances", "InstanceId.1.Name=i-1", "UnknownParameter" },
	{ "DescribeInstances", "Filter.1=x", "InvalidQueryParameter" },
	{ "DescribeInstances", "Filter.1.Colour=x", "UnknownParameter" },
	{ "RunInstances", "HibernationOptions=true", "InvalidQueryParameter" },
	{ "RunInstances", "UserData=%%%", "MalformedQueryString" },
	{ "RunInstances", "UserData=not*base64", "InvalidParameterValue" },
	{ "DescribeInstances", "=x", "MalformedQueryString" },
	{ "DescribeInstances", "a=%zz", "MalformedQueryString" },
	{ "DescribeInstances", "a=%4", "MalformedQueryString" },
};

START_TEST(bad_requests_are_refused)
{
	struct ec2_error err = { 0 };
	json_object *req = parse(refusals[_i].action, refusals[_i].query, &err);

	ck_assert_msg(req == NULL, "%s was taken: %s", refusals[_i].query,
		      json_object_to_json_string(req));
	ck_assert_msg(strcmp(err.code, refusals[_i].code) == 0, "%s: %s, not %s (%s)",
		      refusals[_i].query, err.code, refusals[_i].code, err.message);
}
END_TEST

/* The server rebuilds the query string from libmicrohttpd's decoded arguments one by one: many
 * of them, with every kind of byte, come back as they were, in order. */
START_TEST(query_rebuilt_from_many_args)
{
	struct util_buf q = { 0 };
	struct api_params p = { 0 };
	struct ec2_error err = { 0 };
	char key[64], value[64];
	size_t i;

	for (i = 0; i < 5000; i++) {
		snprintf(key, sizeof(key), "Filter.%zu.Name", i + 1);
		snprintf(value, sizeof(value), "a b&c=d%%e+f/\xc3\xa9~%zu", i);
		api_query_add(&q, key, value);
	}
	api_query_add(&q, "Empty", NULL);
	ck_assert_int_eq(api_params_parse(&p, q.s, q.len, &err), 0);
	ck_assert_uint_eq(p.n, 5001);
	for (i = 0; i < 5000; i++) {
		snprintf(key, sizeof(key), "Filter.%zu.Name", i + 1);
		snprintf(value, sizeof(value), "a b&c=d%%e+f/\xc3\xa9~%zu", i);
		ck_assert_str_eq(p.keys[i], key);
		ck_assert_str_eq(p.values[i], value);
	}
	ck_assert_str_eq(p.keys[5000], "Empty");
	ck_assert_str_eq(p.values[5000], "");
	ck_assert_ptr_nonnull(strstr(q.s, "Filter.1.Name=a%20b%26c%3Dd%25e%2Bf%2F%C3%A9~0&"));
	api_params_free(&p);
	free(q.s);
}
END_TEST

START_TEST(responses_are_ec2_xml)
{
	json_object *resp = json_tokener_parse(
		"{\"Reservations\": [{\"Groups\": [], \"Instances\": [{\"InstanceId\": \"i-1\", "
		"\"State\": {\"Code\": 16, \"Name\": \"running\"}, \"PublicIpAddress\": \"127.77.0.5\", "
		"\"EbsOptimized\": false, \"Tags\": [{\"Key\": \"Name\", \"Value\": \"a<b\"}], "
		"\"ec2liteExtra\": [\"x\"]}], \"OwnerId\": \"000000000000\", \"ReservationId\": "
		"\"r-1\"}]}");
	size_t len;
	char *xml = api_response_xml(api_action_find("DescribeInstances"), resp, "req-1", &len);

	ck_assert_str_eq(xml, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<DescribeInstancesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
		"<requestId>req-1</requestId><reservationSet><item><groupSet/><instancesSet><item>"
		"<instanceId>i-1</instanceId><instanceState><code>16</code><name>running</name>"
		"</instanceState><ipAddress>127.77.0.5</ipAddress><ebsOptimized>false</ebsOptimized>"
		"<tagSet><item><key>Name</key><value>a&lt;b</value></item></tagSet>"
		"<ec2liteExtraSet><item>x</item></ec2liteExtraSet></item></instancesSet>"
		"<ownerId>000000000000</ownerId><reservationId>r-1</reservationId></item>"
		"</reservationSet></DescribeInstancesResponse>\n");
	ck_assert_uint_eq(len, strlen(xml));
	free(xml);
	json_object_put(resp);
	/* The console output goes base64-encoded; actions without output say return true. */
	resp = json_tokener_parse("{\"InstanceId\": \"i-1\", \"Output\": \"hi\\n\"}");
	xml = api_response_xml(api_action_find("GetConsoleOutput"), resp, "r", NULL);
	ck_assert_ptr_nonnull(strstr(xml, "<output>aGkK</output>"));
	free(xml);
	json_object_put(resp);
	xml = api_response_xml(api_action_find("RebootInstances"), NULL, "r", NULL);
	ck_assert_ptr_nonnull(strstr(xml, "<RebootInstancesResponse xmlns=\"http://ec2.amazonaws.com/"
					  "doc/2016-11-15/\"><requestId>r</requestId><return>true"
					  "</return></RebootInstancesResponse>"));
	free(xml);
	xml = api_error_xml("InvalidInstanceID.NotFound", "The instance ID 'i-1' does not exist",
			    "r", NULL);
	ck_assert_ptr_nonnull(strstr(xml, "<Response><Errors><Error><Code>InvalidInstanceID.NotFound"
					  "</Code><Message>The instance ID 'i-1' does not exist"
					  "</Message></Error></Errors><RequestID>r</RequestID>"
					  "</Response>"));
	free(xml);
	ck_assert_int_eq(api_error_status("AuthFailure"), 401);
	ck_assert_int_eq(api_error_status("SignatureDoesNotMatch"), 403);
	ck_assert_int_eq(api_error_status("InvalidInstanceID.NotFound"), 400);
	ck_assert_int_eq(api_error_status("InternalError"), 500);
}
END_TEST

/* ---------- Signature Version 4 ---------- */

static const char body[] = "Action=DescribeInstances&Version=2016-11-15";
static const struct api_key keys[] = {
	{ "AKIDEC2LITE", "s3cr3t/K7MDENG+bPxRfiCYEXAMPLEKEY", NULL },
	{ "AKIDOTHER", "other", "alice" },
};

struct signed_req {
	struct api_header h[4];
	struct api_http_request r;
	char *auth;
};

/* A POST signed now-ish (at amz_date) with key k for region. */
static void sign(struct signed_req *s, const char *amz_date, const struct api_key *k,
		 const char *region)
{
	s->h[0] = (struct api_header){ "Host", "127.0.0.1:8773" };
	s->h[1] = (struct api_header){ "Content-Type",
				       "application/x-www-form-urlencoded; charset=utf-8" };
	s->h[2] = (struct api_header){ "X-Amz-Date", amz_date };
	s->r = (struct api_http_request){ "POST", "/", "", s->h, 3, body, strlen(body) };
	s->auth = api_sigv4_sign(&s->r, k, region, "ec2", amz_date, "content-type;host;x-amz-date");
	ck_assert_ptr_nonnull(s->auth);
	s->h[3] = (struct api_header){ "Authorization", s->auth };
	s->r.nheaders = 4;
}

static time_t at(const char *amz)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	strptime(amz, "%Y%m%dT%H%M%SZ", &tm);
	return timegm(&tm);
}

static const char *check_code(struct signed_req *s, time_t now)
{
	static struct ec2_error err;
	size_t who = 99;

	memset(&err, 0, sizeof(err));
	if (api_sigv4_check(&s->r, keys, 2, "us-east-1", "ec2", now, &who, &err) == 0)
		return who == 0 ? "ok" : "ok-but-wrong-key";
	return err.code;
}

START_TEST(signatures_are_checked)
{
	struct signed_req s;
	const char *d = "20261202T101500Z";
	time_t now = at(d);
	char tampered[sizeof(body) + 8];

	sign(&s, d, &keys[0], "us-east-1");
	ck_assert_str_eq(check_code(&s, now), "ok");
	ck_assert_str_eq(check_code(&s, now + 14 * 60), "ok");      /* within AWS's 15 minutes */
	ck_assert_str_eq(check_code(&s, now + 16 * 60), "RequestExpired");
	ck_assert_str_eq(check_code(&s, now - 16 * 60), "RequestExpired");
	/* Any change to what was signed. */
	snprintf(tampered, sizeof(tampered), "%s&x=1", body);
	s.r.body = tampered;
	s.r.body_len = strlen(tampered);
	ck_assert_str_eq(check_code(&s, now), "SignatureDoesNotMatch");
	s.r.body = body;
	s.r.body_len = strlen(body);
	s.h[0].value = "127.0.0.1:9999";
	ck_assert_str_eq(check_code(&s, now), "SignatureDoesNotMatch");
	s.h[0].value = "127.0.0.1:8773";
	s.r.method = "GET";
	ck_assert_str_eq(check_code(&s, now), "SignatureDoesNotMatch");
	free(s.auth);
	/* The wrong secret, an unknown key, a foreign region, no signature at all. */
	{
		struct api_key wrong = { "AKIDEC2LITE", "guess", NULL };
		struct api_key unknown = { "AKIDNOBODY", "x", NULL };

		sign(&s, d, &wrong, "us-east-1");
		ck_assert_str_eq(check_code(&s, now), "SignatureDoesNotMatch");
		free(s.auth);
		sign(&s, d, &unknown, "us-east-1");
		ck_assert_str_eq(check_code(&s, now), "AuthFailure");
		free(s.auth);
		sign(&s, d, &keys[0], "eu-west-1");
		ck_assert_str_eq(check_code(&s, now), "AuthFailure");
		free(s.auth);
	}
	sign(&s, d, &keys[0], "us-east-1");
	s.r.nheaders = 3;
	ck_assert_str_eq(check_code(&s, now), "MissingAuthenticationToken");
	s.r.nheaders = 4;
	s.h[3].value = "AWS4-HMAC-SHA256 Credential=AKIDEC2LITE/20261202/us-east-1/ec2/aws4_request";
	ck_assert_str_eq(check_code(&s, now), "IncompleteSignature");
	free(s.auth);
	/* Host must be signed: a header whose name merely contains "host" does not count. */
	s.h[0] = (struct api_header){ "X-Hostile", "yes" };
	s.h[1] = (struct api_header){ "X-Amz-Date", d };
	s.r.nheaders = 2;
	s.auth = api_sigv4_sign(&s.r, &keys[0], "us-east-1", "ec2", d, "x-hostile;x-amz-date");
	ck_assert_ptr_nonnull(s.auth);
	s.h[2] = (struct api_header){ "Authorization", s.auth };
	s.r.nheaders = 3;
	ck_assert_str_eq(check_code(&s, now), "IncompleteSignature");
	free(s.auth);
	/* The second key signs too. */
	sign(&s, d, &keys[1], "us-east-1");
	ck_assert_str_eq(check_code(&s, now), "ok-but-wrong-key");
	free(s.auth);
}
END_TEST

/* AWS's published Signature Version 4 test suite ("aws-sig-v4-test-suite"), the vectors whose path
 * is "/" (ec2-lite serves nothing else): each request, and the Authorization header AWS lists for it
 * with the key AKIDEXAMPLE / wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, region us-east-1, service
 * "service", at 20150830T123600Z. Each request signed so gives exactly that header, and the check
 * takes it. */
static const struct {
	const char *name, *req, *authz;
} suite[] = {
	{ "get-vanilla",
	  "GET / HTTP/1.1\n"
	  "Host:example.amazonaws.com\n"
	  "X-Amz-Date:20150830T123600Z",
	  "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31" },
	{ "get-vanilla-query",
	  "GET / HTTP/1.1\n"
	  "Host:example.amazonaws.com\n"
	  "X-Amz-Date:20150830T123600Z",
	  "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31" },
	{ "get-vanilla-empty-query-key",
	  "GET /?Param1=value1 HTTP/1.1\n"
	  "Host:example.amazonaws.com\n"
	  "X-Amz-Date:20150830T123600Z",
	  "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb" },
	{ "get-vanilla-query-order-key",
	  "GET /?Param1=value2&Param1=Value1 HTTP/1.1\n"
	  "Host:example.amazonaws.com\n"
	  "X-Amz-Date:20150830T123600Z",
	  "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1" },
	{ "get-vanilla-query-order-key-case",
	  "GET /?Param2=value2&Param1=value1 HTTP/1.1\n"
	  "Host:example.amazonaws.com\n"
	  "X-Amz-Date:20150830T123600Z",
	  "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500" },
	{ "get-vanilla-query-order-value",
	  "GET /?Param1=value2&Param1=value1 HTTP/1.1\n"
	  "Host:example.amazonaws.com\n"
	  "X-Amz-Date:20150830T123600Z",
	  "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694" },
	{ "get-vanilla-query-order-encoded",
	  "GET /?Param-3=Value3&Param=Value2&%E1%88%B4=Value1 HTTP/1.1\n"
	  "Host:example.amazonaws.com\n"
	  "X-Amz-Date:20150830T123600Z\n",
	  "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=371d3713e185cc334048618a97f809c9ffe339c62934c032af5a0e595648fcac" },
	{ "get-vanilla-query-unreserved",
	  "GET /?-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz HTTP/1.1\n"
	  "Host:example.amazonaws.com\n"
	  "X-Amz-Date:20150830T123600Z",
	  "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197" },
	{ "get-vanilla-utf8-query",
	  "GET /?\341\210\264=bar HTTP/1.1\n"
	  "Host:example.amazonaws.com\n"
	  "X-Amz-Date:20150830T123600Z",
	  "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04" },
	{ "get-header-key-duplicate",
	  "GET / HTTP/1.1\n"
	  "Host:example.amazonaws.com\n"
	  "My-Header1:value2\n"
	  "My-Header1:value2\n"
	  "My-Header1:value1\n"
	  "X-Amz-Date:20150830T123600Z",
	  "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;my-header1;x-amz-date, Signature=c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea" },
	{ "get-header-value-order",
	  "GET / HTTP/1.1\n"
	  "Host:example.amazonaws.com\n"
	  "My-Header1:value4\n"
	  "My-Header1:value1\n"
	  "My-Header1:value3\n"
	  "My-Header1:value2\n"
	  "X-Amz-Date:20150830T123600Z",
	  "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;my-header1;x-amz-date, Signature=08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01" },
	{ "get-header-value-trim",
	  "GET / HTTP/1.1\n"
	  "Host:example.amazonaws.com\n"
	  "My-Header1: value1\n"
	  "My-Header2: \"a   b   c\"\n"
	  "X-Amz-Date:20150830T123600Z",
	  "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;my-header1;my-header2;x-amz-date, Signature=acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736" },
	{ "post-vanilla",
	  "POST / HTTP/1.1\n"
	  "Host:example.amazonaws.com\n"
	  "X-Amz-Date:20150830T123600Z",
	  "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b" },
	{ "post-vanilla-query",
	  "POST /?Param1=value1 HTTP/1.1\n"
	  "Host:example.amazonaws.com\n"
	  "X-Amz-Date:20150830T123600Z",
	  "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11" },
	{ "post-vanilla-empty-query-value",
	  "POST /?Param1=value1 HTTP/1.1\n"
	  "Host:example.amazonaws.com\n"
	  "X-Amz-Date:20150830T123600Z",
	  "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11" },
	{ "post-header-key-case",
	  "POST / HTTP/1.1\n"
	  "Host:example.amazonaws.com\n"
	  "X-Amz-Date:20150830T123600Z",
	  "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b" },
	{ "post-header-key-sort",
	  "POST / HTTP/1.1\n"
	  "Host:example.amazonaws.com\n"
	  "My-Header1:value1\n"
	  "X-Amz-Date:20150830T123600Z",
	  "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;my-header1;x-amz-date, Signature=c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c" },
	{ "post-header-value-case",
	  "POST / HTTP/1.1\n"
	  "Host:example.amazonaws.com\n"
	  "My-Header1:VALUE1\n"
	  "X-Amz-Date:20150830T123600Z",
	  "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;my-header1;x-amz-date, Signature=cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d" },
	{ "post-x-www-form-urlencoded",
	  "POST / HTTP/1.1\n"
	  "Content-Type:application/x-www-form-urlencoded\n"
	  "Host:example.amazonaws.com\n"
	  "X-Amz-Date:20150830T123600Z\n"
	  "\n"
	  "Param1=value1",
	  "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a" },
	{ "post-x-www-form-urlencoded-parameters",
	  "POST / HTTP/1.1\n"
	  "Content-Type:application/x-www-form-urlencoded; charset=utf8\n"
	  "Host:example.amazonaws.com\n"
	  "X-Amz-Date:20150830T123600Z\n"
	  "\n"
	  "Param1=value1",
	  "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe" },
};

START_TEST(sigv4_test_suite)
{
	static const struct api_key aws = { "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", NULL };
	const char *name = suite[_i].name;
	char *req = strdup(suite[_i].req), *authz = strdup(suite[_i].authz);
	char *line, *next, *target, *sh, *sh_end, *got;
	struct api_header h[16];
	struct api_http_request r = { 0 };
	struct ec2_error err = { 0 };
	size_t n = 0;

	authz[strcspn(authz, "\n")] = '\0';
	/* "METHOD TARGET HTTP/1.1", then "Name:value" lines, an empty line and the body. */
	next = strchr(req, '\n');
	ck_assert_ptr_nonnull(next);
	*next++ = '\0';
	r.method = req;
	target = strchr(req, ' ');
	*target++ = '\0';
	*strrchr(target, ' ') = '\0';
	r.path = target;
	r.query = "";
	if (strchr(target, '?')) {
		*strchr(target, '?') = '\0';
		r.query = target + strlen(target) + 1;
	}
	r.body = "";
	for (line = next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (!*line)
			break;
		ck_assert_uint_lt(n, 15);
		h[n].name = line;
		*strchr(line, ':') = '\0';
		h[n].value = line + strlen(line) + 1;
		n++;
	}
	if (next && *next == '\n')
		next++;
	if (next)
		r.body = next;
	r.body_len = strlen(r.body);
	r.headers = h;
	r.nheaders = n;
	sh = strstr(authz, "SignedHeaders=") + strlen("SignedHeaders=");
	sh_end = strchr(sh, ',');
	sh = strndup(sh, (size_t)(sh_end - sh));
	got = api_sigv4_sign(&r, &aws, "us-east-1", "service", "20150830T123600Z", sh);
	ck_assert_msg(got && strcmp(got, authz) == 0, "%s: signed\n%s\nnot\n%s", name, got, authz);
	h[n] = (struct api_header){ "Authorization", authz };
	r.nheaders = n + 1;
	ck_assert_msg(api_sigv4_check(&r, &aws, 1, "us-east-1", "service", at("20150830T123600Z"),
				      NULL, &err) == 0, "%s: %s %s", name, err.code, err.message);
	/* The same signature is no good for another service. */
	ck_assert_int_eq(api_sigv4_check(&r, &aws, 1, "us-east-1", "ec2", at("20150830T123600Z"),
					 NULL, &err), -1);
	ck_assert_str_eq(err.code, "AuthFailure");
	free(got);
	free(sh);
	free(req);
	free(authz);
}
END_TEST

/* ---------- ImportImage's Url: the import folder, never a host path from a client ---------- */

static const struct {
	const char *url;
	bool remote;
	const char *want; /* the path below the import folder, "/..." as is, or NULL: refused */
} import_urls[] = {
	{ "s3://my-bucket/disks/a.raw", true, "my-bucket/disks/a.raw" },
	{ "s3://my-bucket/disks/a.raw", false, "my-bucket/disks/a.raw" },
	{ "s3://my.bucket-2/b.qcow2", true, "my.bucket-2/b.qcow2" },
	{ "file:///etc/shadow", true, NULL },          /* a client never names a host path */
	{ "file:///etc/shadow", false, "/etc/shadow" }, /* the person at the keyboard may */
	{ "s3://my-bucket/../../etc/shadow", true, NULL },
	{ "s3://my-bucket/disks/../disks/a.raw", true, NULL },
	{ "s3://my-bucket/./disks/a.raw", true, NULL },
	{ "s3://../etc/passwd", true, NULL },
	{ "s3://..", true, NULL },
	{ "s3:///etc/shadow", true, NULL },
	{ "s3://my-bucket//etc/shadow", true, NULL },
	{ "s3://my-bucket/", true, NULL },
	{ "s3://my-bucket", true, NULL },
	{ "s3://My_Bucket/a.raw", true, NULL },        /* not an S3 bucket name */
	{ "s3://my-bucket/link.raw", true, NULL },     /* a symbolic link out of the folder */
	{ "s3://my-bucket/ldir/passwd", true, NULL },  /* a linked folder */
	{ "s3://evil/etc/passwd", true, NULL },        /* a linked bucket */
	{ "s3://my-bucket/missing.raw", true, NULL },
	{ "s3://my-bucket/disks", true, NULL },        /* a folder, not an object */
	{ "http://example.com/a.raw", true, NULL },
	{ "", true, NULL },
};

START_TEST(import_urls_resolve_inside_the_folder)
{
	char dir[] = "/tmp/check_api_import.XXXXXX", *p, *path;
	struct ec2_error err = { 0 };
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	p = util_strdupf("%s/my-bucket/disks", dir);
	ck_assert_int_eq(util_mkdir_p(p, 0700, NULL), 0);
	free(p);
	p = util_strdupf("%s/my.bucket-2", dir);
	ck_assert_int_eq(util_mkdir_p(p, 0700, NULL), 0);
	free(p);
	p = util_strdupf("%s/my-bucket/disks/a.raw", dir);
	ck_assert_ptr_nonnull(f = fopen(p, "w"));
	fclose(f);
	free(p);
	p = util_strdupf("%s/my.bucket-2/b.qcow2", dir);
	ck_assert_ptr_nonnull(f = fopen(p, "w"));
	fclose(f);
	free(p);
	p = util_strdupf("%s/my-bucket/link.raw", dir);
	ck_assert_int_eq(symlink("/etc/passwd", p), 0);
	free(p);
	p = util_strdupf("%s/my-bucket/ldir", dir);
	ck_assert_int_eq(symlink("/etc", p), 0);
	free(p);
	p = util_strdupf("%s/evil", dir);
	ck_assert_int_eq(symlink("/", p), 0);
	free(p);

	path = ec2_import_resolve(dir, import_urls[_i].url, import_urls[_i].remote, &err);
	if (!import_urls[_i].want) {
		ck_assert_msg(path == NULL, "%s was taken: %s", import_urls[_i].url, path);
		ck_assert_str_eq(err.code, EC2_ERR_INVALID_PARAMETER);
	} else {
		char *want = import_urls[_i].want[0] == '/' ? strdup(import_urls[_i].want) :
			     util_strdupf("%s/%s", dir, import_urls[_i].want);

		ck_assert_msg(path != NULL, "%s: %s", import_urls[_i].url, err.message);
		ck_assert_str_eq(path, want);
		free(want);
	}
	free(path);
	util_rm_rf(dir, NULL);
}
END_TEST

/* A disk to import is checked before any tool opens it: a qcow2 that names a backing file or keeps
 * its data in an external file (both host paths) is refused; raw and standalone qcow2 pass. */
static char *qcow2_header(const char *dir, const char *name, unsigned version,
			  unsigned long long backing_offset, unsigned long long incompatible)
{
	unsigned char h[104] = { 'Q', 'F', 'I', 0xfb };
	char *path = util_strdupf("%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	int i;

	for (i = 0; i < 4; i++)
		h[4 + i] = (unsigned char)(version >> (24 - 8 * i));
	for (i = 0; i < 8; i++) {
		h[8 + i] = (unsigned char)(backing_offset >> (56 - 8 * i));
		h[24 + i] = (unsigned char)((1ULL << 30) >> (56 - 8 * i));
		h[72 + i] = (unsigned char)(incompatible >> (56 - 8 * i));
	}
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fwrite(h, sizeof(h), 1, f), 1);
	fclose(f);
	return path;
}

START_TEST(import_disk_headers_are_checked_first)
{
	char *dir = test_tmpdir(), *p, fmt[16];
	unsigned long long vsize = 0;
	struct ec2_error err = { 0 };

	p = qcow2_header(dir, "standalone.qcow2", 3, 0, 0);
	ck_assert_int_eq(image_probe_disk(p, fmt, sizeof(fmt), &vsize, &err), 0);
	ck_assert_str_eq(fmt, "qcow2");
	ck_assert_uint_eq(vsize, 1ULL << 30);
	free(p);
	p = qcow2_header(dir, "overlay.qcow2", 3, 512, 0);
	ck_assert_int_eq(image_probe_disk(p, fmt, sizeof(fmt), &vsize, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.message, "overlay"));
	free(p);
	p = qcow2_header(dir, "data-file.qcow2", 3, 0, 0x4);
	ck_assert_int_eq(image_probe_disk(p, fmt, sizeof(fmt), &vsize, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.message, "external file"));
	free(p);
	p = qcow2_header(dir, "v2.qcow2", 2, 0, 0x4); /* version 2 has no feature bits */
	ck_assert_int_eq(image_probe_disk(p, fmt, sizeof(fmt), &vsize, &err), 0);
	free(p);
	test_rmdir(dir);
}
END_TEST

/* ---------- Signature Version 2 ---------- */

/* AWS's own example (Signature Version 2 signing process, the general reference): its string to
 * sign and the signature the documentation gives for it. */
#define DOC_QUERY "Action=DescribeJobFlows&Version=2009-03-31&AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&" \
	"SignatureVersion=2&SignatureMethod=HmacSHA256&Timestamp=2011-10-03T15%3A19%3A30"
#define DOC_SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define DOC_SIGNATURE "i91nKc4PWAt0JJIdXwz9HxZCJDdiy6cf/Mj6vPxyYIs="

static const struct api_key v2keys[] = { { "AKIAIOSFODNN7EXAMPLE", DOC_SECRET, NULL },
					 { "AKIDOTHER", "other", "alice" } };

/* The code api_sigv2_check answers for query (parameters as sent) on GET host/ at now. */
static const char *v2_code(const char *method, const char *host, const char *query, time_t now)
{
	static struct ec2_error err;
	struct api_header h[1] = { { "Host", host } };
	struct api_http_request r = { method, "/", "", h, host ? 1 : 0, NULL, 0 };
	struct api_params p = { 0 };
	size_t who = 99;
	int rc;

	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(api_params_parse(&p, query, strlen(query), &err), 0);
	ck_assert(api_sigv2_used(&p));
	rc = api_sigv2_check(&r, &p, v2keys, 2, now, &who, &err);
	api_params_free(&p);
	if (rc == 0)
		return who == 0 ? "ok" : "ok-but-wrong-key";
	return err.code;
}

static time_t iso(const char *s)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	return timegm(&tm);
}

START_TEST(sigv2_aws_example)
{
	struct api_header h[1] = { { "Host", "elasticmapreduce.amazonaws.com" } };
	struct api_http_request r = { "GET", "/", "", h, 1, NULL, 0 };
	struct api_params p = { 0 };
	struct ec2_error err = { 0 };
	time_t now = iso("2011-10-03T15:19:30");
	const char *q = DOC_QUERY "&Signature=i91nKc4PWAt0JJIdXwz9HxZCJDdiy6cf%2FMj6vPxyYIs%3D";
	const char *host = "elasticmapreduce.amazonaws.com";
	char *sig;

	ck_assert_int_eq(api_params_parse(&p, DOC_QUERY, strlen(DOC_QUERY), &err), 0);
	sig = api_sigv2_sign(&r, &p, DOC_SECRET);
	ck_assert_str_eq(sig, DOC_SIGNATURE);
	free(sig);
	api_params_free(&p);
	ck_assert_str_eq(v2_code("GET", host, q, now), "ok");
	ck_assert_str_eq(v2_code("GET", "ElasticMapReduce.amazonaws.com", q, now), "ok"); /* lowered */
	ck_assert_str_eq(v2_code("GET", host, q, now + 14 * 60), "ok");
	ck_assert_str_eq(v2_code("GET", host, q, now + 16 * 60), "RequestExpired");
	ck_assert_str_eq(v2_code("GET", host, q, now - 16 * 60), "RequestExpired");
	/* Whatever was signed, changed: the method, the host (its port too), a parameter. */
	ck_assert_str_eq(v2_code("POST", host, q, now), "SignatureDoesNotMatch");
	ck_assert_str_eq(v2_code("GET", "elasticmapreduce.amazonaws.com:80", q, now),
			 "SignatureDoesNotMatch");
	ck_assert_str_eq(v2_code("GET", host, "Action=DescribeJobFlows&Version=2009-03-31&"
				 "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&SignatureVersion=2&"
				 "SignatureMethod=HmacSHA256&Timestamp=2011-10-03T15%3A19%3A30&x=1&"
				 "Signature=i91nKc4PWAt0JJIdXwz9HxZCJDdiy6cf%2FMj6vPxyYIs%3D", now),
			 "SignatureDoesNotMatch");
	ck_assert_str_eq(v2_code("GET", NULL, q, now), "SignatureDoesNotMatch");
	/* A '+' of the signature sent unescaped reads as a space: still the signature (old clients
	 * put it in the URL as it is). The first of these requests whose signature has a '+'. */
	for (int n = 0; n < 100; n++) {
		char *base = util_strdupf("%s&Marker=%d", DOC_QUERY, n), *full;
		struct api_params bp = { 0 };

		ck_assert_int_eq(api_params_parse(&bp, base, strlen(base), &err), 0);
		sig = api_sigv2_sign(&r, &bp, DOC_SECRET);
		api_params_free(&bp);
		if (strchr(sig, '+')) {
			full = util_strdupf("%s&Signature=%s", base, sig); /* '+' as it is */
			ck_assert_str_eq(v2_code("GET", host, full, now), "ok");
			free(full);
			free(sig);
			free(base);
			break;
		}
		ck_assert_int_lt(n, 99);
		free(sig);
		free(base);
	}
	/* An unknown key. */
	ck_assert_str_eq(v2_code("GET", host, "Action=DescribeJobFlows&Version=2009-03-31&"
				 "AWSAccessKeyId=AKIDNOBODY&SignatureVersion=2&SignatureMethod=HmacSHA256&"
				 "Timestamp=2011-10-03T15%3A19%3A30&Signature=x", now), "AuthFailure");
}
END_TEST

/* The parameters of the protocol, missing or wrong. */
static const struct {
	const char *query, *code;
} v2_refusals[] = {
	{ "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&SignatureMethod=HmacSHA256&"
	  "Timestamp=2011-10-03T15:19:30&Signature=x", "MissingParameter" },
	{ "SignatureVersion=1&AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&SignatureMethod=HmacSHA256&"
	  "Timestamp=2011-10-03T15:19:30&Signature=x", "InvalidParameterValue" },
	{ "SignatureVersion=2&AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&"
	  "Timestamp=2011-10-03T15:19:30&Signature=x", "MissingParameter" },
	{ "SignatureVersion=2&AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&SignatureMethod=HmacMD5&"
	  "Timestamp=2011-10-03T15:19:30&Signature=x", "InvalidParameterValue" },
	{ "SignatureVersion=2&SignatureMethod=HmacSHA256&"
	  "Timestamp=2011-10-03T15:19:30&Signature=x", "MissingParameter" },
	{ "SignatureVersion=2&AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&SignatureMethod=HmacSHA256&"
	  "Timestamp=2011-10-03T15:19:30", "MissingParameter" },
	{ "SignatureVersion=2&AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&SignatureMethod=HmacSHA256&"
	  "Signature=x", "MissingParameter" },
	{ "SignatureVersion=2&AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&SignatureMethod=HmacSHA256&"
	  "Timestamp=2011-10-03T15:19:30&Expires=2011-10-03T15:29:30&Signature=x",
	  "InvalidParameterCombination" },
	{ "SignatureVersion=2&AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&SignatureMethod=HmacSHA256&"
	  "Timestamp=yesterday&Signature=x", "InvalidParameterValue" },
	{ "SignatureVersion=2&AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&SignatureMethod=HmacSHA256&"
	  "Timestamp=2011-10-03T15:19:30+25:00&Signature=x", "InvalidParameterValue" },
	{ "SignatureVersion=2&AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&SignatureMethod=HmacSHA256&"
	  "Expires=2011-10-03T15:19:29Z&Signature=x", "RequestExpired" },
	{ "SignatureVersion=2&AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&SignatureMethod=HmacSHA256&"
	  "Timestamp=2011-10-03T16:19:30%2B01:00&Signature=x", "SignatureDoesNotMatch" },
	{ "SignatureVersion=2&AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&SignatureMethod=HmacSHA256&"
	  "Timestamp=2011-10-03T15:19:30.123Z&Signature=x", "SignatureDoesNotMatch" },
	{ "SignatureVersion=2&AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&SignatureMethod=HmacSHA256&"
	  "Timestamp=2011-10-03T16:19:30Z&Signature=x", "RequestExpired" },
	{ "SignatureVersion=2&AWSAccessKeyId=AKIDNOBODY&SignatureMethod=HmacSHA1&"
	  "Timestamp=2011-10-03T15:19:30&Signature=x", "AuthFailure" },
};

START_TEST(sigv2_refusals)
{
	ck_assert_str_eq(v2_code("GET", "h", v2_refusals[_i].query, iso("2011-10-03T15:19:30")),
			 v2_refusals[_i].code);
}
END_TEST

/* HmacSHA1 over a POST's form, with names and values that need %-escapes and sort in byte order
 * (AWSAccessKeyId before Action: 'W' < 'c'): the string to sign written out by hand here and
 * HMAC'd with OpenSSL directly, not by the code under test. The key's index comes back. */
START_TEST(sigv2_hmac_sha1_post)
{
	static const char form[] = "Version=2016-11-15&Action=DescribeInstances&"
		"Filter.1.Name=tag%3AName&Filter.1.Value.1=a+b%7E*%C3%A9&SignatureVersion=2&"
		"SignatureMethod=HmacSHA1&"
		"AWSAccessKeyId=AKIDOTHER&Expires=2011-10-03T15%3A29%3A30Z";
	static const char sts[] = "POST\n127.0.0.1:8773\n/\nAWSAccessKeyId=AKIDOTHER&"
		"Action=DescribeInstances&Expires=2011-10-03T15%3A29%3A30Z&Filter.1.Name=tag%3AName&"
		"Filter.1.Value.1=a%20b~%2A%C3%A9&SignatureMethod=HmacSHA1&SignatureVersion=2&"
		"Version=2016-11-15";
	unsigned char mac[20];
	unsigned int n = sizeof(mac);
	char *b64, *q;
	struct util_buf sig = { 0 };
	struct ec2_error err = { 0 };
	struct api_header h[1] = { { "host", "127.0.0.1:8773" } };
	struct api_http_request r = { "POST", "/", "", h, 1, NULL, 0 };
	struct api_params p = { 0 };
	size_t who = 99;

	HMAC(EVP_sha1(), "other", 5, (const unsigned char *)sts, strlen(sts), mac, &n);
	b64 = util_base64(mac, n);
	api_query_add(&sig, "Signature", b64);
	q = util_strdupf("%s&%s", form, sig.s);
	ck_assert_int_eq(api_params_parse(&p, q, strlen(q), &err), 0);
	ck_assert_int_eq(api_sigv2_check(&r, &p, v2keys, 2, iso("2011-10-03T15:19:30"), &who, &err),
			 0);
	ck_assert_uint_eq(who, 1);
	/* Expires past: refused, whatever the signature. */
	ck_assert_int_eq(api_sigv2_check(&r, &p, v2keys, 2, iso("2011-10-03T15:29:31"), &who, &err),
			 -1);
	ck_assert_str_eq(err.code, "RequestExpired");
	api_params_free(&p);
	free(q);
	free(sig.s);
	free(b64);
}
END_TEST

/* ---------- STS ---------- */

START_TEST(sts_caller_identity)
{
	struct api_identity id, again;
	size_t len;
	char *xml;

	api_sts_identity("123456789012", &v2keys[0], &id);
	ck_assert_str_eq(id.arn, "arn:aws:iam::123456789012:root");
	ck_assert_str_eq(id.user_id, "123456789012");
	ck_assert_str_eq(id.account, "123456789012");
	api_sts_identity("123456789012", NULL, &id);
	ck_assert_str_eq(id.arn, "arn:aws:iam::123456789012:root");
	api_sts_identity("123456789012", &v2keys[1], &id);
	ck_assert_str_eq(id.arn, "arn:aws:iam::123456789012:user/alice");
	ck_assert_uint_eq(strlen(id.user_id), 21);
	ck_assert_int_eq(strncmp(id.user_id, "AIDA", 4), 0);
	ck_assert_uint_eq(strspn(id.user_id, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"), 21);
	api_sts_identity("123456789012", &v2keys[1], &again); /* stable for the key */
	ck_assert_str_eq(id.user_id, again.user_id);
	xml = api_sts_identity_xml(&id, "rid-1", &len);
	ck_assert_uint_eq(len, strlen(xml));
	ck_assert_ptr_nonnull(strstr(xml, "<GetCallerIdentityResponse xmlns=\"https://sts."
				     "amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult><Arn>"
				     "arn:aws:iam::123456789012:user/alice</Arn><UserId>AIDA"));
	ck_assert_ptr_nonnull(strstr(xml, "</UserId><Account>123456789012</Account>"
				     "</GetCallerIdentityResult><ResponseMetadata><RequestId>rid-1"
				     "</RequestId></ResponseMetadata></GetCallerIdentityResponse>"));
	free(xml);
	xml = api_sts_error_xml("InvalidClientTokenId", "The security token included in the request "
				"is invalid.", "rid-2", &len);
	ck_assert_ptr_nonnull(strstr(xml, "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/"
				     "2011-06-15/\"><Error><Type>Sender</Type><Code>"
				     "InvalidClientTokenId</Code><Message>The security token included "
				     "in the request is invalid.</Message></Error><RequestId>rid-2"
				     "</RequestId></ErrorResponse>"));
	free(xml);
	xml = api_sts_error_xml("InternalFailure", "x", "rid-3", &len);
	ck_assert_ptr_nonnull(strstr(xml, "<Type>Receiver</Type>"));
	free(xml);
	ck_assert(api_sts_action("GetCallerIdentity"));
	ck_assert(api_sts_action("AssumeRole"));
	ck_assert(!api_sts_action("DescribeInstances"));
	ck_assert(!api_sts_action(NULL));
	ck_assert(api_user_name_valid("alice.smith+ops@example.com"));
	ck_assert(!api_user_name_valid(""));
	ck_assert(!api_user_name_valid("a/b"));
	ck_assert(!api_user_name_valid("<x>"));
}
END_TEST

/* The web console's files are found by their exact name only (the server opens no path of a URL),
 * each with a type, and the page loads nothing from elsewhere. */
START_TEST(console_files_by_exact_name)
{
	static const char *const absent[] = { "../state.json", "index.html/", "INDEX.HTML", "sub/index.html",
					      "sigv4.js.bak", "/sigv4.js", "index", "config.json", NULL };
	const struct console_asset *a = console_asset_find("");
	size_t i;

	ck_assert_ptr_nonnull(a);
	ck_assert_str_eq(a->name, "index.html");
	ck_assert_str_eq(a->type, "text/html; charset=utf-8");
	ck_assert_ptr_null(strstr((const char *)a->data, "src=\"http"));
	ck_assert_ptr_null(strstr((const char *)a->data, "href=\"http"));
	a = console_asset_find("sigv4.js");
	ck_assert_ptr_nonnull(a);
	ck_assert_str_eq(a->type, "text/javascript; charset=utf-8");
	ck_assert_uint_eq(a->len, strlen((const char *)a->data));
	for (i = 0; absent[i]; i++)
		ck_assert_msg(!console_asset_find(absent[i]), "%s found", absent[i]);
	for (i = 0; console_assets[i].name; i++)
		ck_assert(console_assets[i].len > 0 && *console_assets[i].type);
	ck_assert(console_url("/console") && console_url("/console/") && console_url("/console/x.js"));
	ck_assert(!console_url("/consolex") && !console_url("/") && !console_url("/Console/"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("api");
	TCase *tc = tcase_create("api");

	tcase_add_test(tc, requests_follow_the_input_shapes);
	tcase_add_test(tc, lists_numbered_from_0_or_not_at_all);
	tcase_add_loop_test(tc, bad_requests_are_refused, 0, sizeof(refusals) / sizeof(refusals[0]));
	tcase_add_test(tc, query_rebuilt_from_many_args);
	tcase_add_test(tc, responses_are_ec2_xml);
	tcase_add_test(tc, signatures_are_checked);
	tcase_add_test(tc, import_disk_headers_are_checked_first);
	tcase_add_test(tc, sigv2_aws_example);
	tcase_add_loop_test(tc, sigv2_refusals, 0, sizeof(v2_refusals) / sizeof(v2_refusals[0]));
	tcase_add_test(tc, sigv2_hmac_sha1_post);
	tcase_add_test(tc, sts_caller_identity);
	tcase_add_loop_test(tc, import_urls_resolve_inside_the_folder, 0,
			    sizeof(import_urls) / sizeof(import_urls[0]));
	tcase_add_loop_test(tc, sigv4_test_suite, 0, sizeof(suite) / sizeof(suite[0]));
	tcase_add_test(tc, console_files_by_exact_name);
	suite_add_tcase(s, tc);
	return test_run(s) ? 1 : 0;
}
