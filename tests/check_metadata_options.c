/* The instance metadata service's options and the IAM instance profile associations
 * (src/model/instance-metaopts.c, src/model/iam-assoc.c) in-process against libvirt's
 * test:///default driver: RunInstances' MetadataOptions and IamInstanceProfile,
 * ModifyInstanceMetadataOptions on running and stopped instances, the four association actions,
 * and what DescribeInstances shows of them. The IAM profiles are written into the store's "iam"
 * section as the IAM module lays it out (include/ec2lite/iam.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ec2lite/ec2.h"
#include "ec2lite/filter.h"
#include "ec2lite/iam.h"
#include "ec2lite/util.h"
#include "testutil.h"

#define WEB_ARN "arn:aws:iam::123456789012:instance-profile/web"
#define WEB_ID "AIPA0000000000000WEB1"
#define ADMIN_ARN "arn:aws:iam::123456789012:instance-profile/ops/admin.v2"
#define ADMIN_ID "AIPA00000000000ADMIN2"
#define DEFAULTS "{\"State\":\"applied\",\"HttpTokens\":\"optional\",\"HttpPutResponseHopLimit\":1," \
		 "\"HttpEndpoint\":\"enabled\",\"HttpProtocolIpv6\":\"disabled\"," \
		 "\"InstanceMetadataTags\":\"disabled\"}"

static struct ec2_config cfg;
static struct ec2_ctx ctx;
static char *dir;
static char ami[32];

typedef json_object *(*action_fn)(struct ec2_ctx *, json_object *, struct ec2_error *);

/* Two instance profiles (one with a role, one without, under a path) and the role. */
static int add_profiles(json_object *root, void *opaque, struct ec2_error *err)
{
	(void)opaque;
	(void)err;
	json_object_object_add(root, "iam", J(
		"{\"roles\": {\"app-role\": {\"RoleName\": \"app-role\", \"RoleId\": \"AROA0000000000000APP1\","
		" \"Arn\": \"arn:aws:iam::123456789012:role/app-role\", \"Path\": \"/\", \"Policies\": {}}},"
		" \"instance_profiles\": {"
		"  \"web\": {\"InstanceProfileName\": \"web\", \"InstanceProfileId\": \"" WEB_ID "\","
		"   \"Arn\": \"" WEB_ARN "\", \"Path\": \"/\", \"Roles\": [\"app-role\"]},"
		"  \"admin.v2\": {\"InstanceProfileName\": \"admin.v2\", \"InstanceProfileId\": \"" ADMIN_ID "\","
		"   \"Arn\": \"" ADMIN_ARN "\", \"Path\": \"/ops/\", \"Roles\": []}}}"));
	return 0;
}

static void setup(void)
{
	dir = test_driver_open(&cfg, &ctx, EC2_CTX_EVENTS, "test-ami", ami);
	ck_assert_int_eq(store_update(ctx.store, add_profiles, NULL, NULL), 0);
}

static void teardown(void)
{
	test_driver_close(&cfg, &ctx, &dir);
}

static json_object *ok(action_fn fn, json_object *req)
{
	return test_ok(&ctx, fn, req);
}

static void done(action_fn fn, json_object *req)
{
	json_object_put(ok(fn, req));
}

static const char *fails(action_fn fn, json_object *req, const char *code, const char *message)
{
	return test_fails(&ctx, fn, req, code, message);
}

/* Compact JSON text of o (static, until the next call). */
static const char *text(json_object *o)
{
	static char buf[32768];

	snprintf(buf, sizeof(buf), "%s", o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
								    JSON_C_TO_STRING_NOSLASHESCAPE)
					   : "(none)");
	return buf;
}

/* Launches one t2.nano with the request's extra members and returns its id (static). */
static const char *run(const char *extra)
{
	static char id[32];
	json_object *r = ok(ec2_run_instances, J("{\"ImageId\": \"%s\", \"InstanceType\": \"t2.nano\", "
						 "\"MinCount\": 1, \"MaxCount\": 1 %s}", ami,
						 extra ? extra : ""));

	snprintf(id, sizeof(id), "%s", json_object_get_string(json_path(
			 json_object_array_get_idx(json_path(r, "Instances"), 0), "InstanceId")));
	json_object_put(r);
	return id;
}

/* A member of the instance's description as compact JSON (static). */
static const char *described(const char *id, const char *member)
{
	json_object *r = ok(ec2_describe_instances, J("{\"InstanceIds\": [\"%s\"]}", id));
	json_object *in = json_object_array_get_idx(json_path(json_object_array_get_idx(
				json_path(r, "Reservations"), 0), "Instances"), 0);
	const char *s = text(json_path(in, member));

	json_object_put(r);
	return s;
}

/* The keys of the instance's description, in order, joined by spaces (static). */
static const char *described_keys(const char *id)
{
	static char keys[2048];
	json_object *r = ok(ec2_describe_instances, J("{\"InstanceIds\": [\"%s\"]}", id));
	json_object *in = json_object_array_get_idx(json_path(json_object_array_get_idx(
				json_path(r, "Reservations"), 0), "Instances"), 0);

	keys[0] = '\0';
	json_object_object_foreach(in, key, value) {
		(void)value;
		strncat(keys, key, sizeof(keys) - strlen(keys) - 2);
		strcat(keys, " ");
	}
	json_object_put(r);
	return keys;
}

static int instance_count(void)
{
	json_object *r = ok(ec2_describe_instances, J("{}"));
	int n = (int)json_object_array_length(json_path(r, "Reservations"));

	json_object_put(r);
	return n;
}

static void stop(const char *id)
{
	done(ec2_stop_instances, J("{\"InstanceIds\": [\"%s\"]}", id));
	ck_assert_str_eq(described(id, "State.Name"), "\"stopped\"");
}

START_TEST(launch_defaults)
{
	const char *id = run(NULL);

	ck_assert_str_eq(described(id, "MetadataOptions"), DEFAULTS);
	ck_assert_str_eq(described(id, "IamInstanceProfile"), "(none)");
}
END_TEST

START_TEST(launch_with_options)
{
	json_object *r = ok(ec2_run_instances, J(
		"{\"ImageId\": \"%s\", \"MinCount\": 1, \"MaxCount\": 1, \"MetadataOptions\": "
		"{\"HttpTokens\": \"required\", \"HttpPutResponseHopLimit\": \"3\", "
		"\"HttpEndpoint\": \"disabled\", \"InstanceMetadataTags\": \"enabled\", "
		"\"HttpProtocolIpv6\": \"disabled\"}}", ami));
	json_object *in = json_object_array_get_idx(json_path(r, "Instances"), 0);
	const char *want = "{\"State\":\"applied\",\"HttpTokens\":\"required\","
			   "\"HttpPutResponseHopLimit\":3,\"HttpEndpoint\":\"disabled\","
			   "\"HttpProtocolIpv6\":\"disabled\",\"InstanceMetadataTags\":\"enabled\"}";
	char id[32];

	snprintf(id, sizeof(id), "%s", json_object_get_string(json_path(in, "InstanceId")));
	ck_assert_str_eq(text(json_path(in, "MetadataOptions")), want);
	json_object_put(r);
	ck_assert_str_eq(described(id, "MetadataOptions"), want);
	/* Only what is named changes: the rest is EC2's default. */
	id[0] = '\0';
	snprintf(id, sizeof(id), "%s", run(", \"MetadataOptions\": {\"HttpPutResponseHopLimit\": 2}"));
	ck_assert_str_eq(described(id, "MetadataOptions.HttpPutResponseHopLimit"), "2");
	ck_assert_str_eq(described(id, "MetadataOptions.HttpTokens"), "\"optional\"");
	ck_assert_str_eq(described(id, "MetadataOptions.HttpEndpoint"), "\"enabled\"");
}
END_TEST

START_TEST(launch_refuses_bad_options)
{
	static const struct {
		const char *options, *code, *message;
	} bad[] = {
		{ "{\"HttpTokens\": \"maybe\"}", "InvalidParameterValue",
		  "Value (maybe) for parameter httpTokens is invalid. Valid values are 'optional' and "
		  "'required'." },
		{ "{\"HttpPutResponseHopLimit\": 65}", "InvalidParameterValue",
		  "Value (65) for parameter httpPutResponseHopLimit is invalid. Valid values are "
		  "integers from 1 to 64." },
		{ "{\"HttpPutResponseHopLimit\": 0}", "InvalidParameterValue", NULL },
		{ "{\"HttpPutResponseHopLimit\": \"two\"}", "InvalidParameterValue", NULL },
		{ "{\"HttpEndpoint\": \"on\"}", "InvalidParameterValue", NULL },
		{ "{\"InstanceMetadataTags\": \"yes\"}", "InvalidParameterValue", NULL },
		{ "{\"HttpProtocolIpv6\": \"enabled\"}", "UnsupportedOperation", NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		fails(ec2_run_instances, J("{\"ImageId\": \"%s\", \"MinCount\": 1, \"MaxCount\": 1, "
					   "\"MetadataOptions\": %s}", ami, bad[i].options),
		      bad[i].code, bad[i].message);
	ck_assert_int_eq(instance_count(), 0);
}
END_TEST

START_TEST(modify_running_and_stopped)
{
	char id[32];
	json_object *r;

	snprintf(id, sizeof(id), "%s", run(NULL));
	r = ok(ec2_modify_instance_metadata_options,
	       J("{\"InstanceId\": \"%s\", \"HttpTokens\": \"required\"}", id));
	ck_assert_str_eq(json_object_get_string(json_path(r, "InstanceId")), id);
	ck_assert_str_eq(text(json_path(r, "InstanceMetadataOptions")),
			 "{\"State\":\"applied\",\"HttpTokens\":\"required\","
			 "\"HttpPutResponseHopLimit\":1,\"HttpEndpoint\":\"enabled\","
			 "\"HttpProtocolIpv6\":\"disabled\",\"InstanceMetadataTags\":\"disabled\"}");
	ck_assert(strncmp(text(r), "{\"InstanceId\":", 14) == 0); /* botocore's order */
	json_object_put(r);
	ck_assert_str_eq(described(id, "MetadataOptions.HttpTokens"), "\"required\"");
	stop(id);
	done(ec2_modify_instance_metadata_options,
	     J("{\"InstanceId\": \"%s\", \"HttpPutResponseHopLimit\": 64, "
	       "\"InstanceMetadataTags\": \"enabled\", \"HttpEndpoint\": \"disabled\"}", id));
	ck_assert_str_eq(described(id, "MetadataOptions"),
			 "{\"State\":\"applied\",\"HttpTokens\":\"required\","
			 "\"HttpPutResponseHopLimit\":64,\"HttpEndpoint\":\"disabled\","
			 "\"HttpProtocolIpv6\":\"disabled\",\"InstanceMetadataTags\":\"enabled\"}");
	done(ec2_start_instances, J("{\"InstanceIds\": [\"%s\"]}", id));
	ck_assert_str_eq(described(id, "MetadataOptions.HttpPutResponseHopLimit"), "64");
	done(ec2_modify_instance_metadata_options,
	     J("{\"InstanceId\": \"%s\", \"HttpTokens\": \"optional\", \"HttpEndpoint\": "
	       "\"enabled\", \"InstanceMetadataTags\": \"disabled\", \"HttpPutResponseHopLimit\": 1}",
	       id));
	ck_assert_str_eq(described(id, "MetadataOptions"), DEFAULTS);
}
END_TEST

START_TEST(modify_failures_change_nothing)
{
	char id[32];

	snprintf(id, sizeof(id), "%s", run(NULL));
	/* One bad value among good ones: none of them is taken. */
	fails(ec2_modify_instance_metadata_options,
	      J("{\"InstanceId\": \"%s\", \"HttpTokens\": \"required\", "
		"\"HttpPutResponseHopLimit\": 65}", id), "InvalidParameterValue", NULL);
	fails(ec2_modify_instance_metadata_options,
	      J("{\"InstanceId\": \"%s\", \"HttpTokens\": \"required\", "
		"\"InstanceMetadataTags\": \"on\"}", id), "InvalidParameterValue", NULL);
	fails(ec2_modify_instance_metadata_options,
	      J("{\"InstanceId\": \"%s\", \"HttpTokens\": \"required\", "
		"\"HttpProtocolIpv6\": \"enabled\"}", id), "UnsupportedOperation", NULL);
	fails(ec2_modify_instance_metadata_options,
	      J("{\"InstanceId\": \"%s\", \"HttpTokens\": \"required\", \"DryRun\": true}", id),
	      "DryRunOperation", NULL);
	ck_assert_str_eq(described(id, "MetadataOptions"), DEFAULTS);
	fails(ec2_modify_instance_metadata_options, J("{\"HttpTokens\": \"required\"}"),
	      "MissingParameter", NULL);
	fails(ec2_modify_instance_metadata_options,
	      J("{\"InstanceId\": \"i-0123456789abcdef0\", \"HttpTokens\": \"required\"}"),
	      "InvalidInstanceID.NotFound", NULL);
	fails(ec2_modify_instance_metadata_options,
	      J("{\"InstanceId\": \"i-xyz\", \"HttpTokens\": \"required\"}"),
	      "InvalidInstanceID.Malformed", NULL);
	done(ec2_terminate_instances, J("{\"InstanceIds\": [\"%s\"]}", id));
	fails(ec2_modify_instance_metadata_options,
	      J("{\"InstanceId\": \"%s\", \"HttpTokens\": \"required\"}", id),
	      "InvalidInstanceID.NotFound", NULL);
}
END_TEST

/* An AMI registered as IMDSv2-only (ImdsSupport v2.0) launches with tokens required. */
START_TEST(imds_v2_image)
{
	json_object *r;
	char path[4096], id[32], v2[32], *disk;

	snprintf(path, sizeof(path), "%s/v2-disk.raw", dir);
	disk = calloc(1, 1 << 20);
	ck_assert_int_eq(util_write_file_atomic(path, disk, 1 << 20, 0644, NULL), 0);
	free(disk);
	r = ok(ec2_register_image, J("{\"Name\": \"v2-only\", \"DiskPath\": \"%s\", "
				     "\"ImdsSupport\": \"v2.0\"}", path));
	snprintf(v2, sizeof(v2), "%s", json_object_get_string(json_path(r, "ImageId")));
	json_object_put(r);
	r = ok(ec2_describe_images, J("{\"ImageIds\": [\"%s\"]}", v2));
	ck_assert_str_eq(text(json_path(json_object_array_get_idx(json_path(r, "Images"), 0),
					"ImdsSupport")), "\"v2.0\"");
	json_object_put(r);
	r = ok(ec2_run_instances, J("{\"ImageId\": \"%s\", \"MinCount\": 1, \"MaxCount\": 1}", v2));
	snprintf(id, sizeof(id), "%s", json_object_get_string(json_path(
			 json_object_array_get_idx(json_path(r, "Instances"), 0), "InstanceId")));
	json_object_put(r);
	ck_assert_str_eq(described(id, "MetadataOptions.HttpTokens"), "\"required\"");
	ck_assert_str_eq(described(id, "MetadataOptions.HttpPutResponseHopLimit"), "2");
	fails(ec2_register_image, J("{\"Name\": \"v1\", \"DiskPath\": \"%s\", \"ImdsSupport\": "
				    "\"v1.0\"}", path), "InvalidParameterValue", NULL);
}
END_TEST

START_TEST(launch_with_profile)
{
	char by_name[32], by_arn[32];
	json_object *r, *list;

	snprintf(by_name, sizeof(by_name), "%s", run(", \"IamInstanceProfile\": {\"Name\": \"web\"}"));
	snprintf(by_arn, sizeof(by_arn), "%s",
		 run(", \"IamInstanceProfile\": {\"Arn\": \"" ADMIN_ARN "\"}"));
	ck_assert_str_eq(described(by_name, "IamInstanceProfile"),
			 "{\"Arn\":\"" WEB_ARN "\",\"Id\":\"" WEB_ID "\"}");
	ck_assert_str_eq(described(by_arn, "IamInstanceProfile"),
			 "{\"Arn\":\"" ADMIN_ARN "\",\"Id\":\"" ADMIN_ID "\"}");
	/* botocore's order: after Hypervisor, before NetworkInterfaces. */
	ck_assert_ptr_nonnull(strstr(described_keys(by_name),
				     "Hypervisor IamInstanceProfile NetworkInterfaces "));
	ck_assert_ptr_nonnull(strstr(described_keys(by_name),
				     "HibernationOptions MetadataOptions EnclaveOptions "));
	/* DescribeInstances' filter on it. */
	r = ok(ec2_describe_instances, J("{\"Filters\": [{\"Name\": \"iam-instance-profile.arn\", "
					 "\"Values\": [\"*/web\"]}]}"));
	list = json_path(r, "Reservations");
	ck_assert_int_eq(json_object_array_length(list), 1);
	ck_assert_ptr_nonnull(strstr(text(list), by_name));
	json_object_put(r);
	/* Each launch made an association. */
	r = ok(ec2_describe_iam_instance_profile_associations,
	       J("{\"Filters\": [{\"Name\": \"instance-id\", \"Values\": [\"%s\"]}]}", by_name));
	list = json_path(r, "IamInstanceProfileAssociations");
	ck_assert_int_eq(json_object_array_length(list), 1);
	ck_assert_str_eq(json_object_get_string(json_path(json_object_array_get_idx(list, 0),
							  "State")), "associated");
	ck_assert(strncmp(json_object_get_string(json_path(json_object_array_get_idx(list, 0),
							   "AssociationId")), "iip-assoc-", 10) == 0);
	json_object_put(r);
	r = ok(ec2_describe_iam_instance_profile_associations, J("{}"));
	ck_assert_int_eq(json_object_array_length(json_path(r, "IamInstanceProfileAssociations")), 2);
	json_object_put(r);
	/* Both, agreeing: taken; disagreeing: refused. */
	run(", \"IamInstanceProfile\": {\"Arn\": \"" WEB_ARN "\", \"Name\": \"web\"}");
	fails(ec2_run_instances, J("{\"ImageId\": \"%s\", \"MinCount\": 1, \"MaxCount\": 1, "
				   "\"IamInstanceProfile\": {\"Arn\": \"" WEB_ARN "\", \"Name\": "
				   "\"admin.v2\"}}", ami), "InvalidParameterValue", NULL);
}
END_TEST

START_TEST(launch_with_unknown_profile)
{
	fails(ec2_run_instances, J("{\"ImageId\": \"%s\", \"MinCount\": 1, \"MaxCount\": 1, "
				   "\"IamInstanceProfile\": {\"Name\": \"nope\"}}", ami),
	      "InvalidParameterValue", "Value (nope) for parameter iamInstanceProfile.name is "
	      "invalid. Invalid IAM Instance Profile name");
	fails(ec2_run_instances, J("{\"ImageId\": \"%s\", \"MinCount\": 1, \"MaxCount\": 1, "
				   "\"IamInstanceProfile\": {\"Arn\": \"arn:aws:iam::123456789012:"
				   "instance-profile/nope\"}}", ami),
	      "InvalidParameterValue", "Value (arn:aws:iam::123456789012:instance-profile/nope) "
	      "for parameter iamInstanceProfile.arn is invalid. Invalid IAM Instance Profile ARN");
	/* A profile's ARN is not its name, nor its name its ARN. */
	fails(ec2_run_instances, J("{\"ImageId\": \"%s\", \"MinCount\": 1, \"MaxCount\": 1, "
				   "\"IamInstanceProfile\": {\"Name\": \"" WEB_ARN "\"}}", ami),
	      "InvalidParameterValue", NULL);
	fails(ec2_run_instances, J("{\"ImageId\": \"%s\", \"MinCount\": 1, \"MaxCount\": 1, "
				   "\"IamInstanceProfile\": {\"Arn\": \"web\"}}", ami),
	      "InvalidParameterValue", NULL);
	fails(ec2_run_instances, J("{\"ImageId\": \"%s\", \"MinCount\": 1, \"MaxCount\": 1, "
				   "\"IamInstanceProfile\": {}}", ami), "MissingParameter", NULL);
	ck_assert_int_eq(instance_count(), 0);
}
END_TEST

/* The one association of instance id as compact JSON (static), "(none)" when it has none. */
static const char *assoc_of(const char *id)
{
	json_object *r = ok(ec2_describe_iam_instance_profile_associations,
			    J("{\"Filters\": [{\"Name\": \"instance-id\", \"Values\": [\"%s\"]}]}", id));
	json_object *list = json_path(r, "IamInstanceProfileAssociations");
	const char *s;

	ck_assert_int_le(json_object_array_length(list), 1);
	s = text(json_object_array_get_idx(list, 0));
	json_object_put(r);
	return s;
}

START_TEST(associate_describe_replace_disassociate)
{
	char id[32], assoc[32], second[32];
	json_object *r, *a;

	snprintf(id, sizeof(id), "%s", run(NULL));
	ck_assert_str_eq(assoc_of(id), "(none)");
	fails(ec2_associate_iam_instance_profile,
	      J("{\"InstanceId\": \"%s\", \"IamInstanceProfile\": {\"Name\": \"web\"}, "
		"\"DryRun\": true}", id), "DryRunOperation", NULL);
	ck_assert_str_eq(assoc_of(id), "(none)");
	r = ok(ec2_associate_iam_instance_profile,
	       J("{\"InstanceId\": \"%s\", \"IamInstanceProfile\": {\"Name\": \"web\"}}", id));
	a = json_path(r, "IamInstanceProfileAssociation");
	snprintf(assoc, sizeof(assoc), "%s", json_object_get_string(json_path(a, "AssociationId")));
	ck_assert(strncmp(assoc, "iip-assoc-", 10) == 0);
	ck_assert_str_eq(json_object_get_string(json_path(a, "InstanceId")), id);
	ck_assert_str_eq(text(json_path(a, "IamInstanceProfile")),
			 "{\"Arn\":\"" WEB_ARN "\",\"Id\":\"" WEB_ID "\"}");
	ck_assert_str_eq(json_object_get_string(json_path(a, "State")), "associated");
	ck_assert(util_parse_iso8601(json_object_get_string(json_path(a, "Timestamp"))) !=
		  (time_t)-1);
	json_object_put(r);
	ck_assert_str_eq(described(id, "IamInstanceProfile.Arn"), "\"" WEB_ARN "\"");
	ck_assert_ptr_nonnull(strstr(assoc_of(id), assoc));
	/* One association per instance. */
	fails(ec2_associate_iam_instance_profile,
	      J("{\"InstanceId\": \"%s\", \"IamInstanceProfile\": {\"Arn\": \"" ADMIN_ARN "\"}}", id),
	      "IncorrectState", NULL);
	ck_assert_str_eq(described(id, "IamInstanceProfile.Arn"), "\"" WEB_ARN "\"");
	/* By id; unknown ids. */
	r = ok(ec2_describe_iam_instance_profile_associations,
	       J("{\"AssociationIds\": [\"%s\"]}", assoc));
	ck_assert_int_eq(json_object_array_length(json_path(r, "IamInstanceProfileAssociations")), 1);
	json_object_put(r);
	fails(ec2_describe_iam_instance_profile_associations,
	      J("{\"AssociationIds\": [\"iip-assoc-0123456789abcdef0\"]}"),
	      "InvalidAssociationID.NotFound",
	      "The association ID 'iip-assoc-0123456789abcdef0' does not exist");
	/* Replace: a new association, the old one gone. */
	fails(ec2_replace_iam_instance_profile_association,
	      J("{\"AssociationId\": \"%s\", \"IamInstanceProfile\": {\"Name\": \"nope\"}}", assoc),
	      "InvalidParameterValue", NULL);
	fails(ec2_replace_iam_instance_profile_association,
	      J("{\"AssociationId\": \"%s\", \"IamInstanceProfile\": {\"Name\": \"admin.v2\"}, "
		"\"DryRun\": true}", assoc), "DryRunOperation", NULL);
	ck_assert_ptr_nonnull(strstr(assoc_of(id), assoc));
	r = ok(ec2_replace_iam_instance_profile_association,
	       J("{\"AssociationId\": \"%s\", \"IamInstanceProfile\": {\"Name\": \"admin.v2\"}}",
		 assoc));
	a = json_path(r, "IamInstanceProfileAssociation");
	snprintf(second, sizeof(second), "%s", json_object_get_string(json_path(a, "AssociationId")));
	ck_assert_str_ne(second, assoc);
	ck_assert_str_eq(text(json_path(a, "IamInstanceProfile")),
			 "{\"Arn\":\"" ADMIN_ARN "\",\"Id\":\"" ADMIN_ID "\"}");
	json_object_put(r);
	ck_assert_str_eq(described(id, "IamInstanceProfile.Id"), "\"" ADMIN_ID "\"");
	fails(ec2_describe_iam_instance_profile_associations,
	      J("{\"AssociationIds\": [\"%s\"]}", assoc), "InvalidAssociationID.NotFound", NULL);
	fails(ec2_disassociate_iam_instance_profile, J("{\"AssociationId\": \"%s\"}", assoc),
	      "InvalidAssociationID.NotFound", NULL);
	/* Disassociate. */
	fails(ec2_disassociate_iam_instance_profile,
	      J("{\"AssociationId\": \"%s\", \"DryRun\": true}", second), "DryRunOperation", NULL);
	ck_assert_ptr_nonnull(strstr(assoc_of(id), second));
	r = ok(ec2_disassociate_iam_instance_profile, J("{\"AssociationId\": \"%s\"}", second));
	a = json_path(r, "IamInstanceProfileAssociation");
	ck_assert_str_eq(json_object_get_string(json_path(a, "AssociationId")), second);
	ck_assert_str_eq(json_object_get_string(json_path(a, "State")), "disassociated");
	ck_assert_str_eq(json_object_get_string(json_path(a, "IamInstanceProfile.Arn")), ADMIN_ARN);
	json_object_put(r);
	ck_assert_str_eq(assoc_of(id), "(none)");
	ck_assert_str_eq(described(id, "IamInstanceProfile"), "(none)");
	fails(ec2_disassociate_iam_instance_profile, J("{\"AssociationId\": \"%s\"}", second),
	      "InvalidAssociationID.NotFound", NULL);
	fails(ec2_disassociate_iam_instance_profile, J("{}"), "MissingParameter", NULL);
}
END_TEST

START_TEST(association_errors_and_states)
{
	char id[32], assoc[32];
	json_object *r;

	snprintf(id, sizeof(id), "%s", run(NULL));
	fails(ec2_associate_iam_instance_profile,
	      J("{\"InstanceId\": \"%s\", \"IamInstanceProfile\": {\"Name\": \"nope\"}}", id),
	      "InvalidParameterValue", "Value (nope) for parameter iamInstanceProfile.name is "
	      "invalid. Invalid IAM Instance Profile name");
	fails(ec2_associate_iam_instance_profile, J("{\"InstanceId\": \"%s\"}", id),
	      "MissingParameter", NULL);
	fails(ec2_associate_iam_instance_profile,
	      J("{\"IamInstanceProfile\": {\"Name\": \"web\"}}"), "MissingParameter", NULL);
	fails(ec2_associate_iam_instance_profile,
	      J("{\"InstanceId\": \"i-0123456789abcdef0\", \"IamInstanceProfile\": {\"Name\": "
		"\"web\"}}"), "InvalidInstanceID.NotFound", NULL);
	ck_assert_str_eq(assoc_of(id), "(none)");
	/* A stopped instance takes an association, but EC2 replaces only a running one's. */
	stop(id);
	r = ok(ec2_associate_iam_instance_profile,
	       J("{\"InstanceId\": \"%s\", \"IamInstanceProfile\": {\"Arn\": \"" WEB_ARN "\"}}", id));
	snprintf(assoc, sizeof(assoc), "%s", json_object_get_string(json_path(
			 r, "IamInstanceProfileAssociation.AssociationId")));
	json_object_put(r);
	ck_assert_str_eq(described(id, "IamInstanceProfile.Id"), "\"" WEB_ID "\"");
	fails(ec2_replace_iam_instance_profile_association,
	      J("{\"AssociationId\": \"%s\", \"IamInstanceProfile\": {\"Name\": \"admin.v2\"}}",
		assoc), "IncorrectState", NULL);
	ck_assert_str_eq(described(id, "IamInstanceProfile.Id"), "\"" WEB_ID "\"");
	/* Filters and paging. */
	fails(ec2_describe_iam_instance_profile_associations,
	      J("{\"Filters\": [{\"Name\": \"profile\", \"Values\": [\"web\"]}]}"),
	      "InvalidParameterValue", NULL);
	fails(ec2_describe_iam_instance_profile_associations, J("{\"MaxResults\": 4}"),
	      "InvalidParameterValue", NULL);
	r = ok(ec2_describe_iam_instance_profile_associations,
	       J("{\"Filters\": [{\"Name\": \"state\", \"Values\": [\"associated\"]}], "
		 "\"MaxResults\": 5}"));
	ck_assert_int_eq(json_object_array_length(json_path(r, "IamInstanceProfileAssociations")), 1);
	json_object_put(r);
	r = ok(ec2_describe_iam_instance_profile_associations,
	       J("{\"Filters\": [{\"Name\": \"state\", \"Values\": [\"disassociating\"]}]}"));
	ck_assert_int_eq(json_object_array_length(json_path(r, "IamInstanceProfileAssociations")), 0);
	json_object_put(r);
	/* A terminated instance has no association left. */
	done(ec2_terminate_instances, J("{\"InstanceIds\": [\"%s\"]}", id));
	ck_assert_str_eq(assoc_of(id), "(none)");
	fails(ec2_disassociate_iam_instance_profile, J("{\"AssociationId\": \"%s\"}", assoc),
	      "InvalidAssociationID.NotFound", NULL);
}
END_TEST

START_TEST(profile_lookup)
{
	json_object *root = store_read(ctx.store, NULL), *p;
	struct ec2_error err = { 0 };

	p = iam_profile_find(root, "web", NULL, &err);
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(json_object_get_string(json_path(iam_profile_role(root, p), "RoleName")),
			 "app-role");
	p = iam_profile_find(root, NULL, ADMIN_ARN, &err);
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_null(iam_profile_role(root, p));
	ck_assert_ptr_null(iam_profile_find(root, "admin", NULL, &err));
	ck_assert_str_eq(err.code, "InvalidParameterValue");
	json_object_put(root);
	root = J("{}");
	ck_assert_ptr_null(iam_profile_find(root, NULL, WEB_ARN, &err));
	json_object_put(root);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("metadata_options");
	TCase *tc = tcase_create("test-driver");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, launch_defaults);
	tcase_add_test(tc, launch_with_options);
	tcase_add_test(tc, launch_refuses_bad_options);
	tcase_add_test(tc, modify_running_and_stopped);
	tcase_add_test(tc, modify_failures_change_nothing);
	tcase_add_test(tc, imds_v2_image);
	tcase_add_test(tc, launch_with_profile);
	tcase_add_test(tc, launch_with_unknown_profile);
	tcase_add_test(tc, associate_describe_replace_disassociate);
	tcase_add_test(tc, association_errors_and_states);
	tcase_add_test(tc, profile_lookup);
	suite_add_tcase(s, tc);
	return test_run(s) ? 1 : 0;
}
