/* The minimal IAM (src/model/iam.c) in-process against libvirt's test:///default driver: every
 * IAM action and its errors, the store's "iam" section, policy evaluation (iam_role_allows) and
 * the temporary credentials of an instance's role (issue, check, refusals). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ec2lite/ec2.h"
#include "ec2lite/iam.h"
#include "ec2lite/store.h"
#include "ec2lite/util.h"
#include "testutil.h"

static struct ec2_config cfg;
static struct ec2_ctx ctx;
static char *dir;
static char ami[32];

#define TRUST "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", " \
	      "\"Principal\": {\"Service\": \"ec2.amazonaws.com\"}, \"Action\": \"sts:AssumeRole\"}]}"

static void setup(void)
{
	dir = test_driver_open(&cfg, &ctx, 0, "test-ami", ami);
}

static void teardown(void)
{
	test_driver_close(&cfg, &ctx, &dir);
}

/* The IAM action name, which must exist. */
static iam_action_fn A(const char *name)
{
	iam_action_fn fn = iam_action(name);

	ck_assert_msg(fn != NULL, "no IAM action %s", name);
	return fn;
}

static json_object *ok(const char *action, json_object *req)
{
	return test_ok(&ctx, A(action), req);
}

static void done(const char *action, json_object *req)
{
	json_object_put(ok(action, req));
}

static const char *fails(const char *action, json_object *req, const char *code,
			 const char *message)
{
	return test_fails(&ctx, A(action), req, code, message);
}

/* A JSON string literal of text (a document as a request carries it): static. */
static const char *quoted(const char *text)
{
	static char buf[4096];
	json_object *s = json_object_new_string(text);

	snprintf(buf, sizeof(buf), "%s", json_object_to_json_string(s));
	json_object_put(s);
	return buf;
}

static void create_role(const char *name)
{
	done("CreateRole", J("{\"RoleName\": \"%s\", \"AssumeRolePolicyDocument\": %s}", name,
			     quoted(TRUST)));
}

static void put_policy(const char *role, const char *name, const char *doc)
{
	done("PutRolePolicy", J("{\"RoleName\": \"%s\", \"PolicyName\": \"%s\", "
				"\"PolicyDocument\": %s}", role, name, quoted(doc)));
}

/* The value at a path of members and [N] indexes ("Roles[0].RoleName"), or NULL (borrowed). */
static json_object *at(json_object *o, const char *path)
{
	char key[128];

	while (o && *path) {
		size_t n = strcspn(path, ".[");

		if (n > 0) {
			snprintf(key, sizeof(key), "%.*s", (int)n, path);
			if (!json_object_object_get_ex(o, key, &o))
				return NULL;
			path += n;
		}
		if (*path == '[') {
			o = json_object_array_get_idx(o, (size_t)strtoul(path + 1, NULL, 10));
			path = strchr(path, ']') + 1;
		}
		if (*path == '.')
			path++;
	}
	return o;
}

static const char *str(json_object *o, const char *path)
{
	json_object *v = at(o, path);

	return v ? json_object_get_string(v) : NULL;
}

START_TEST(roles)
{
	json_object *r = ok("CreateRole", J("{\"RoleName\": \"web\", \"Path\": \"/app/\", "
					    "\"Description\": \"d\", \"AssumeRolePolicyDocument\": %s}",
					    quoted(TRUST)));
	json_object *root;
	char arn[128];
	const char *id = str(r, "Role.RoleId");
	size_t i;

	ck_assert_int_eq(strlen(id), 21);
	ck_assert(strncmp(id, "AROA", 4) == 0);
	for (i = 4; i < 21; i++)
		ck_assert(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", id[i]));
	snprintf(arn, sizeof(arn), "arn:aws:iam::%s:role/app/web", cfg.owner_id);
	ck_assert_str_eq(str(r, "Role.Arn"), arn);
	ck_assert_str_eq(str(r, "Role.Path"), "/app/");
	ck_assert_str_eq(str(r, "Role.AssumeRolePolicyDocument.Statement[0].Action"),
			 "sts:AssumeRole");
	ck_assert(at(r, "Role.MaxSessionDuration") == NULL);
	json_object_put(r);

	/* The store holds the document as given. */
	root = store_read(ctx.store, NULL);
	ck_assert_str_eq(str(root, "iam.roles.web.AssumeRolePolicyDocument"), TRUST);
	json_object_put(root);

	r = ok("GetRole", J("{\"RoleName\": \"web\"}"));
	ck_assert_str_eq(str(r, "Role.Description"), "d");
	ck_assert_int_eq(json_object_get_int(at(r, "Role.MaxSessionDuration")), 3600);
	ck_assert(at(r, "Role.RoleLastUsed") != NULL);
	json_object_put(r);

	create_role("api");
	r = ok("ListRoles", J("{}"));
	ck_assert_int_eq(json_object_array_length(at(r, "Roles")), 2);
	ck_assert_str_eq(str(r, "Roles[0].RoleName"), "api");
	json_object_put(r);
	r = ok("ListRoles", J("{\"PathPrefix\": \"/app\"}"));
	ck_assert_int_eq(json_object_array_length(at(r, "Roles")), 1);
	json_object_put(r);

	fails("CreateRole", J("{\"RoleName\": \"web\", \"AssumeRolePolicyDocument\": %s}",
			      quoted(TRUST)), "EntityAlreadyExists", "Role with name web already exists.");
	fails("CreateRole", J("{\"RoleName\": \"x\", \"AssumeRolePolicyDocument\": \"{nope\"}"),
	      "MalformedPolicyDocument", NULL);
	fails("CreateRole", J("{\"RoleName\": \"x\", \"AssumeRolePolicyDocument\": \"[1]\"}"),
	      "MalformedPolicyDocument", NULL);
	fails("CreateRole", J("{\"RoleName\": \"a b\", \"AssumeRolePolicyDocument\": %s}",
			      quoted(TRUST)), "ValidationError", NULL);
	fails("CreateRole", J("{\"RoleName\": \"x\", \"Path\": \"nope\", "
			      "\"AssumeRolePolicyDocument\": %s}", quoted(TRUST)), "ValidationError",
	      NULL);
	fails("CreateRole", J("{\"RoleName\": \"x\", \"MaxSessionDuration\": 60, "
			      "\"AssumeRolePolicyDocument\": %s}", quoted(TRUST)), "ValidationError",
	      NULL);
	fails("CreateRole", J("{\"RoleName\": \"x\"}"), "ValidationError", NULL);
	fails("CreateRole", J("{\"RoleName\": \"x\", \"Description\": \"a\\u0001b\", "
			      "\"AssumeRolePolicyDocument\": %s}", quoted(TRUST)), "ValidationError",
	      NULL);
	fails("GetRole", J("{\"RoleName\": \"nope\"}"), "NoSuchEntity",
	      "The role with name nope cannot be found.");

	done("DeleteRole", J("{\"RoleName\": \"api\"}"));
	fails("DeleteRole", J("{\"RoleName\": \"api\"}"), "NoSuchEntity", NULL);
	fails("GetRole", J("{\"RoleName\": \"api\"}"), "NoSuchEntity", NULL);
}
END_TEST

START_TEST(role_policies)
{
	json_object *r;

	create_role("r");
	put_policy("r", "b", "{\"Statement\": {\"Effect\": \"Allow\", \"Action\": \"ec2:*\", "
			     "\"Resource\": \"*\"}}");
	put_policy("r", "a", "{\"Statement\": []}");
	r = ok("ListRolePolicies", J("{\"RoleName\": \"r\"}"));
	ck_assert_str_eq(json_object_to_json_string_ext(r, JSON_C_TO_STRING_PLAIN),
			 "{\"PolicyNames\":[\"a\",\"b\"]}");
	json_object_put(r);
	r = ok("GetRolePolicy", J("{\"RoleName\": \"r\", \"PolicyName\": \"b\"}"));
	ck_assert_str_eq(str(r, "RoleName"), "r");
	ck_assert_str_eq(str(r, "PolicyName"), "b");
	ck_assert_str_eq(str(r, "PolicyDocument.Statement.Action"), "ec2:*");
	json_object_put(r);
	fails("GetRolePolicy", J("{\"RoleName\": \"r\", \"PolicyName\": \"c\"}"), "NoSuchEntity",
	      "The role policy with name c cannot be found.");
	fails("GetRolePolicy", J("{\"RoleName\": \"q\", \"PolicyName\": \"a\"}"), "NoSuchEntity",
	      NULL);
	fails("PutRolePolicy", J("{\"RoleName\": \"r\", \"PolicyName\": \"c\", "
				 "\"PolicyDocument\": \"nope\"}"), "MalformedPolicyDocument", NULL);
	fails("PutRolePolicy", J("{\"RoleName\": \"q\", \"PolicyName\": \"c\", "
				 "\"PolicyDocument\": \"{}\"}"), "NoSuchEntity", NULL);
	fails("DeleteRole", J("{\"RoleName\": \"r\"}"), "DeleteConflict",
	      "Cannot delete entity, must delete policies first.");
	done("DeleteRolePolicy", J("{\"RoleName\": \"r\", \"PolicyName\": \"a\"}"));
	fails("DeleteRolePolicy", J("{\"RoleName\": \"r\", \"PolicyName\": \"a\"}"), "NoSuchEntity",
	      NULL);
	done("DeleteRolePolicy", J("{\"RoleName\": \"r\", \"PolicyName\": \"b\"}"));
	done("DeleteRole", J("{\"RoleName\": \"r\"}"));
}
END_TEST

START_TEST(instance_profiles)
{
	json_object *r = ok("CreateInstanceProfile", J("{\"InstanceProfileName\": \"p\"}"));
	char arn[128];

	ck_assert(strncmp(str(r, "InstanceProfile.InstanceProfileId"), "AIPA", 4) == 0);
	ck_assert_int_eq(strlen(str(r, "InstanceProfile.InstanceProfileId")), 21);
	snprintf(arn, sizeof(arn), "arn:aws:iam::%s:instance-profile/p", cfg.owner_id);
	ck_assert_str_eq(str(r, "InstanceProfile.Arn"), arn);
	ck_assert_int_eq(json_object_array_length(at(r, "InstanceProfile.Roles")), 0);
	json_object_put(r);
	fails("CreateInstanceProfile", J("{\"InstanceProfileName\": \"p\"}"), "EntityAlreadyExists",
	      "Instance Profile p already exists.");
	fails("GetInstanceProfile", J("{\"InstanceProfileName\": \"q\"}"), "NoSuchEntity",
	      "Instance Profile q cannot be found.");

	create_role("r");
	create_role("s");
	fails("AddRoleToInstanceProfile", J("{\"InstanceProfileName\": \"p\", \"RoleName\": \"x\"}"),
	      "NoSuchEntity", NULL);
	fails("AddRoleToInstanceProfile", J("{\"InstanceProfileName\": \"x\", \"RoleName\": \"r\"}"),
	      "NoSuchEntity", NULL);
	done("AddRoleToInstanceProfile", J("{\"InstanceProfileName\": \"p\", \"RoleName\": \"r\"}"));
	fails("AddRoleToInstanceProfile", J("{\"InstanceProfileName\": \"p\", \"RoleName\": \"s\"}"),
	      "LimitExceeded", "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1");
	r = ok("GetInstanceProfile", J("{\"InstanceProfileName\": \"p\"}"));
	ck_assert_str_eq(str(r, "InstanceProfile.Roles[0].RoleName"), "r");
	ck_assert_str_eq(str(r, "InstanceProfile.Roles[0].AssumeRolePolicyDocument.Version"),
			 "2012-10-17");
	json_object_put(r);
	r = ok("ListInstanceProfiles", J("{}"));
	ck_assert_int_eq(json_object_array_length(at(r, "InstanceProfiles")), 1);
	json_object_put(r);
	r = ok("ListInstanceProfilesForRole", J("{\"RoleName\": \"r\"}"));
	ck_assert_str_eq(str(r, "InstanceProfiles[0].InstanceProfileName"), "p");
	json_object_put(r);
	r = ok("ListInstanceProfilesForRole", J("{\"RoleName\": \"s\"}"));
	ck_assert_int_eq(json_object_array_length(at(r, "InstanceProfiles")), 0);
	json_object_put(r);
	fails("ListInstanceProfilesForRole", J("{\"RoleName\": \"x\"}"), "NoSuchEntity", NULL);

	fails("DeleteRole", J("{\"RoleName\": \"r\"}"), "DeleteConflict",
	      "Cannot delete entity, must remove roles from instance profile first.");
	fails("DeleteInstanceProfile", J("{\"InstanceProfileName\": \"p\"}"), "DeleteConflict",
	      "Cannot delete entity, must remove roles from instance profile first.");
	fails("RemoveRoleFromInstanceProfile",
	      J("{\"InstanceProfileName\": \"p\", \"RoleName\": \"s\"}"), "NoSuchEntity", NULL);
	done("RemoveRoleFromInstanceProfile",
	     J("{\"InstanceProfileName\": \"p\", \"RoleName\": \"r\"}"));
	done("DeleteInstanceProfile", J("{\"InstanceProfileName\": \"p\"}"));
	fails("DeleteInstanceProfile", J("{\"InstanceProfileName\": \"p\"}"), "NoSuchEntity", NULL);
	done("DeleteRole", J("{\"RoleName\": \"r\"}"));
}
END_TEST

/* A failed write leaves the store as it was. */
START_TEST(failed_write_changes_nothing)
{
	json_object *before, *after;

	create_role("r");
	before = store_read(ctx.store, NULL);
	store_fail_commit(ctx.store, 1);
	fails("CreateRole", J("{\"RoleName\": \"t\", \"AssumeRolePolicyDocument\": %s}",
			      quoted(TRUST)), "InternalError", NULL);
	after = store_read(ctx.store, NULL);
	ck_assert(json_object_equal(at(before, "iam"), at(after, "iam")));
	json_object_put(before);
	json_object_put(after);
}
END_TEST

/* Policy evaluation: a table of policies and the actions they allow. */
START_TEST(policy_evaluation)
{
	static const struct {
		const char *policy, *action;
		bool allowed;
	} cases[] = {
		{ "{\"Statement\": [{\"Effect\": \"Allow\", \"Action\": [\"ec2:DescribeInstances\", "
		  "\"ec2:CreateTags\"], \"Resource\": \"*\"}]}", "CreateTags", true },
		{ "{\"Statement\": [{\"Effect\": \"Allow\", \"Action\": [\"ec2:DescribeInstances\"], "
		  "\"Resource\": \"*\"}]}", "CreateTags", false },
		{ "{\"Statement\": {\"Effect\": \"Allow\", \"Action\": \"ec2:Describe*\", "
		  "\"Resource\": \"*\"}}", "DescribeImages", true },
		{ "{\"Statement\": {\"Effect\": \"Allow\", \"Action\": \"ec2:describe*\", "
		  "\"Resource\": \"*\"}}", "DescribeImages", true },
		{ "{\"Statement\": {\"Effect\": \"Allow\", \"Action\": \"ec2:Describe*\", "
		  "\"Resource\": \"*\"}}", "RunInstances", false },
		{ "{\"Statement\": {\"Effect\": \"Allow\", \"Action\": \"ec2:Describe?mages\", "
		  "\"Resource\": \"*\"}}", "DescribeImages", true },
		{ "{\"Statement\": {\"Effect\": \"Allow\", \"Action\": \"*\", \"Resource\": \"*\"}}",
		  "TerminateInstances", true },
		{ "{\"Statement\": {\"Effect\": \"Allow\", \"Action\": \"s3:*\", \"Resource\": \"*\"}}",
		  "DescribeInstances", false },
		/* Deny beats Allow. */
		{ "{\"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"ec2:*\", \"Resource\": \"*\"}, "
		  "{\"Effect\": \"Deny\", \"Action\": \"ec2:TerminateInstances\", \"Resource\": \"*\"}]}",
		  "TerminateInstances", false },
		{ "{\"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"ec2:*\", \"Resource\": \"*\"}, "
		  "{\"Effect\": \"Deny\", \"Action\": \"ec2:TerminateInstances\", \"Resource\": \"*\"}]}",
		  "StopInstances", true },
		/* Resource: "*" or the service's ARNs; no Resource, no grant. */
		{ "{\"Statement\": {\"Effect\": \"Allow\", \"Action\": \"ec2:*\", \"Resource\": "
		  "[\"arn:aws:ec2:*:*:instance/*\"]}}", "StopInstances", true },
		{ "{\"Statement\": {\"Effect\": \"Allow\", \"Action\": \"ec2:*\", \"Resource\": "
		  "\"arn:aws:s3:::b/*\"}}", "StopInstances", false },
		{ "{\"Statement\": {\"Effect\": \"Allow\", \"Action\": \"ec2:*\"}}", "StopInstances",
		  false },
		/* NotAction. */
		{ "{\"Statement\": {\"Effect\": \"Allow\", \"NotAction\": \"ec2:Terminate*\", "
		  "\"Resource\": \"*\"}}", "StopInstances", true },
		{ "{\"Statement\": {\"Effect\": \"Allow\", \"NotAction\": \"ec2:Terminate*\", "
		  "\"Resource\": \"*\"}}", "TerminateInstances", false },
		{ "{\"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"*\", \"Resource\": \"*\"}, "
		  "{\"Effect\": \"Deny\", \"NotAction\": \"ec2:Describe*\", \"Resource\": \"*\"}]}",
		  "CreateTags", false },
		/* An Allow with a Condition is not taken; a Deny with one is. */
		{ "{\"Statement\": {\"Effect\": \"Allow\", \"Action\": \"ec2:*\", \"Resource\": \"*\", "
		  "\"Condition\": {\"Bool\": {\"aws:SecureTransport\": \"true\"}}}}", "StopInstances",
		  false },
		/* A Deny whose Resource pattern covers every ARN applies (arn:*, arn:aws:*:...);
		 * a NotResource one too: ec2-lite cannot tell the resources apart. */
		{ "{\"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"ec2:*\", \"Resource\": \"*\"}, "
		  "{\"Effect\": \"Deny\", \"Action\": \"ec2:TerminateInstances\", \"Resource\": "
		  "\"arn:aws:*:*:*:*\"}]}", "TerminateInstances", false },
		{ "{\"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"ec2:*\", \"Resource\": \"*\"}, "
		  "{\"Effect\": \"Deny\", \"Action\": \"*\", \"Resource\": \"arn:*\"}]}",
		  "TerminateInstances", false },
		{ "{\"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"ec2:*\", \"Resource\": \"*\"}, "
		  "{\"Effect\": \"Deny\", \"Action\": \"ec2:TerminateInstances\", \"NotResource\": "
		  "\"arn:aws:ec2:*:*:instance/i-0123456789abcdef0\"}]}", "TerminateInstances", false },
		{ "{\"Statement\": {\"Effect\": \"Allow\", \"Action\": \"ec2:*\", \"NotResource\": "
		  "\"arn:aws:ec2:*:*:instance/i-0123456789abcdef0\"}}", "StopInstances", false },
		{ "{\"Statement\": {\"Effect\": \"Allow\", \"Action\": \"ec2:*\", \"Resource\": "
		  "\"arn:aws:iam::*:role/*\"}}", "StopInstances", false },
		/* Not a policy at all. */
		{ "{\"Statement\": 5}", "StopInstances", false },
		{ "{}", "StopInstances", false },
	};
	json_object *root;
	size_t i;

	create_role("r");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		put_policy("r", "p", cases[i].policy);
		root = store_read(ctx.store, NULL);
		ck_assert_msg(iam_role_allows(root, "r", "ec2", cases[i].action) == cases[i].allowed,
			      "case %zu: %s %s", i, cases[i].policy, cases[i].action);
		json_object_put(root);
	}
	/* Two policies: one allows, the other denies. */
	put_policy("r", "p", "{\"Statement\": {\"Effect\": \"Allow\", \"Action\": \"ec2:*\", "
			     "\"Resource\": \"*\"}}");
	put_policy("r", "q", "{\"Statement\": {\"Effect\": \"Deny\", \"Action\": \"ec2:CreateTags\", "
			     "\"Resource\": \"*\"}}");
	root = store_read(ctx.store, NULL);
	ck_assert(iam_role_allows(root, "r", "ec2", "DescribeInstances"));
	ck_assert_int_eq(iam_role_decide(root, "r", "ec2", "CreateTags"), -1);
	ck_assert_int_eq(iam_role_decide(root, "r", "iam", "CreateRole"), 0);
	/* One resource: iam:PassRole on a role's ARN, as the policy names it. */
	put_policy("r", "q", "{\"Statement\": {\"Effect\": \"Allow\", \"Action\": \"iam:PassRole\", "
			     "\"Resource\": \"arn:aws:iam::*:role/web*\"}}");
	json_object_put(root);
	root = store_read(ctx.store, NULL);
	ck_assert_int_eq(iam_role_decide_on(root, "r", "iam", "PassRole",
					    "arn:aws:iam::123456789012:role/web-1"), 1);
	ck_assert_int_eq(iam_role_decide_on(root, "r", "iam", "PassRole",
					    "arn:aws:iam::123456789012:role/admin"), 0);
	/* A role that is gone allows nothing. */
	ck_assert(!iam_role_allows(root, "gone", "ec2", "DescribeInstances"));
	json_object_put(root);
}
END_TEST

static time_t fake_now;

static time_t later(void)
{
	return fake_now;
}

/* Launches one instance; its id into id. */
static void run(char id[32])
{
	json_object *r = test_ok(&ctx, ec2_run_instances,
				 J("{\"ImageId\": \"%s\", \"MinCount\": 1, \"MaxCount\": 1}", ami));

	snprintf(id, 32, "%s", str(r, "Instances[0].InstanceId"));
	json_object_put(r);
}

START_TEST(credentials)
{
	struct ec2_error err = { 0 };
	char id[32], secret[64], inst[32], role[72], *path;
	json_object *c, *c2;
	struct stat st;
	time_t (*real_now)(void) = store_now;
	time_t exp;

	run(id);
	create_role("r");
	c = iam_credentials_issue(&ctx, id, "r", &err);
	ck_assert_msg(c != NULL, "%s", err.message);
	ck_assert_str_eq(str(c, "Code"), "Success");
	ck_assert_str_eq(str(c, "Type"), "AWS-HMAC");
	ck_assert(strncmp(str(c, "AccessKeyId"), "ASIA", 4) == 0);
	ck_assert_int_eq(strlen(str(c, "AccessKeyId")), 20);
	ck_assert_int_eq(strlen(str(c, "SecretAccessKey")), 40);
	exp = util_parse_iso8601(str(c, "Expiration"));
	/* IAM's form has no milliseconds: parse it by hand if the helper will not. */
	if (exp == (time_t)-1) {
		struct tm tm = { 0 };

		ck_assert(strptime(str(c, "Expiration"), "%Y-%m-%dT%H:%M:%SZ", &tm) != NULL);
		exp = timegm(&tm);
	}
	ck_assert(exp - time(NULL) >= 3600);
	ck_assert(exp - time(NULL) <= 7200);

	/* The key file: made on first use, 0600. */
	path = util_strdupf("%s/iam/credentials.key", cfg.state_dir);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(st.st_size, 32);
	free(path);

	/* Asked again, the same credentials (IMDS is asked often). */
	c2 = iam_credentials_issue(&ctx, id, "r", &err);
	ck_assert(json_object_equal(c, c2));
	json_object_put(c2);

	/* Round trip. */
	ck_assert_msg(iam_credentials_check(&ctx, str(c, "AccessKeyId"), str(c, "Token"), secret,
					       inst, role, &err) == 0, "%s: %s", err.code, err.message);
	ck_assert_str_eq(secret, str(c, "SecretAccessKey"));
	ck_assert_str_eq(inst, id);
	ck_assert_str_eq(role, "r");

	/* A wrong token, a token of another key, no token, a forged one. */
	ck_assert_int_eq(iam_credentials_check(&ctx, str(c, "AccessKeyId"), "nope", secret, inst,
					       role, &err), -1);
	ck_assert_str_eq(err.code, "AuthFailure");
	c2 = iam_credentials_issue(&ctx, id, "other", &err);
	ck_assert(c2 != NULL);
	ck_assert_str_ne(str(c2, "AccessKeyId"), str(c, "AccessKeyId"));
	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(iam_credentials_check(&ctx, str(c, "AccessKeyId"), str(c2, "Token"),
					       secret, inst, role, &err), -1);
	ck_assert_str_eq(err.code, "AuthFailure");
	ck_assert_int_eq(iam_credentials_check(&ctx, str(c, "AccessKeyId"), NULL, secret, inst,
					       role, &err), -1);
	{
		/* The role changed in the token, the MAC kept: refused. */
		char *forged = strdup(str(c, "Token"));
		char *p = strstr(forged, ":r:");

		ck_assert(p != NULL);
		p[1] = 's';
		memset(&err, 0, sizeof(err));
		ck_assert_int_eq(iam_credentials_check(&ctx, str(c, "AccessKeyId"), forged, secret,
						       inst, role, &err), -1);
		ck_assert_str_eq(err.code, "AuthFailure");
		free(forged);
	}
	json_object_put(c2);

	/* Expired: the clock two hours on. */
	fake_now = time(NULL) + 7201;
	store_now = later;
	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(iam_credentials_check(&ctx, str(c, "AccessKeyId"), str(c, "Token"), secret,
					       inst, role, &err), -1);
	store_now = real_now;
	ck_assert_str_eq(err.code, "ExpiredToken");

	/* A terminated instance's credentials hold no more; an instance that never was neither. */
	json_object_put(test_ok(&ctx, ec2_terminate_instances, J("{\"InstanceIds\": [\"%s\"]}", id)));
	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(iam_credentials_check(&ctx, str(c, "AccessKeyId"), str(c, "Token"), secret,
					       inst, role, &err), -1);
	ck_assert_str_eq(err.code, "AuthFailure");
	json_object_put(c);
	c = iam_credentials_issue(&ctx, "i-0123456789abcdef0", "r", &err);
	ck_assert(c != NULL);
	ck_assert_int_eq(iam_credentials_check(&ctx, str(c, "AccessKeyId"), str(c, "Token"), secret,
					       inst, role, &err), -1);
	json_object_put(c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("iam");
	TCase *tc = tcase_create("test-driver");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, roles);
	tcase_add_test(tc, role_policies);
	tcase_add_test(tc, instance_profiles);
	tcase_add_test(tc, failed_write_changes_nothing);
	tcase_add_test(tc, policy_evaluation);
	tcase_add_test(tc, credentials);
	suite_add_tcase(s, tc);
	return test_run(s) ? 1 : 0;
}
