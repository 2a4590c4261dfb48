/* A minimal IAM for instance roles: see iam.h. Roles and instance profiles live in the store's
 * section "iam" (every write a store_update); policies are evaluated here for the API server's
 * authorization of temporary credentials, which are issued and checked without state: a token is
 * a statement sealed with HMAC-SHA256 under <state-dir>/iam/credentials.key. The instance
 * profile lookups (iam_profile_find, iam_profile_role) are the EC2 side's, in iam-assoc.c. */
#include "ec2lite/iam.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "ec2lite/instance.h"
#include "ec2lite/store.h"
#include "ec2lite/util.h"

#define IAM_NO_SUCH "NoSuchEntity"
#define IAM_EXISTS "EntityAlreadyExists"
#define IAM_CONFLICT "DeleteConflict"
#define IAM_LIMIT "LimitExceeded"
#define IAM_MALFORMED "MalformedPolicyDocument"
#define IAM_VALIDATION "ValidationError"

#define CRED_KEY_BYTES 32
#define CRED_BUCKET 3600 /* credentials are made per hour and live two: 60 to 120 minutes left */

/* ---------- requests ---------- */

/* IAM's timestamp form, "2026-12-04T19:10:00Z". */
static void iam_time(time_t t, char *buf, size_t size)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* IAM's "1 validation error detected" for parameter (its camelCase wire name). */
static int validation(struct ec2_error *err, const char *value, const char *param,
		      const char *constraint)
{
	ec2_error_set(err, IAM_VALIDATION, "1 validation error detected: Value '%s' at '%s' failed to "
		      "satisfy constraint: %s", value ? value : "null", param, constraint);
	return -1;
}

/* A name (RoleName, InstanceProfileName, PolicyName): required, 1 to max of [\w+=,.@-]. */
static const char *name_param(json_object *req, const char *key, const char *param, size_t max,
			      struct ec2_error *err)
{
	const char *s = req_string(req, key);
	size_t n = s ? strlen(s) : 0;

	if (!s) {
		validation(err, NULL, param, "Member must not be null");
		return NULL;
	}
	if (n < 1 || n > max) {
		validation(err, s, param, n < 1 ? "Member must have length greater than or equal to 1"
					       : "Member must have length less than or equal to 64");
		return NULL;
	}
	if (strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_+=,.@-") != n) {
		validation(err, s, param, "Member must satisfy regular expression pattern: [\\w+=,.@-]+");
		return NULL;
	}
	return s;
}

/* Path: "/" by default; else "/" or /.../ of printable ASCII, 512 at most. */
static const char *path_param(json_object *req, const char *key, const char *param,
			      struct ec2_error *err)
{
	const char *s = req_string(req, key);
	size_t n, i;

	if (!s)
		return "/";
	n = strlen(s);
	for (i = 0; i < n; i++)
		if (s[i] < 0x21 || s[i] > 0x7e)
			break;
	if (n < 1 || n > 512 || s[0] != '/' || s[n - 1] != '/' || i < n) {
		validation(err, s, param, "Member must satisfy regular expression pattern: "
			   "(\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)");
		return NULL;
	}
	return s;
}

/* A policy document: JSON text whose top level is an object. */
static const char *document_param(json_object *req, const char *key, const char *param,
				  struct ec2_error *err)
{
	const char *s = req_string(req, key);
	json_object *doc;
	bool ok;

	if (!s) {
		validation(err, NULL, param, "Member must not be null");
		return NULL;
	}
	if (strlen(s) > 131072) {
		validation(err, "...", param, "Member must have length less than or equal to 131072");
		return NULL;
	}
	doc = json_tokener_parse(s);
	ok = doc && json_object_is_type(doc, json_type_object);
	json_object_put(doc);
	if (!ok) {
		ec2_error_set(err, IAM_MALFORMED, "This policy contains invalid Json");
		return NULL;
	}
	return s;
}

/* A policy document's text as the aws CLI shows it: the parsed object (new reference). */
static json_object *document_shown(const char *text)
{
	json_object *doc = text ? json_tokener_parse(text) : NULL;

	return doc ? doc : json_object_new_string(text ? text : "");
}

/* IAM's unique ids: a prefix and 17 upper-case letters and digits. */
static int unique_id(const char *prefix, char out[32], struct ec2_error *err)
{
	static const char alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	unsigned char r[17];
	size_t i, n = strlen(prefix);

	if (RAND_bytes(r, sizeof(r)) != 1) {
		ec2_error_set(err, EC2_ERR_INTERNAL, "no random bytes for an IAM id");
		return -1;
	}
	memcpy(out, prefix, n);
	for (i = 0; i < sizeof(r); i++)
		out[n + i] = alnum[r[i] % 36];
	out[n + sizeof(r)] = '\0';
	return 0;
}

static json_object *section(json_object *root, const char *key)
{
	return store_section(store_section(root, "iam"), key);
}

static json_object *find(json_object *root, const char *key, const char *name)
{
	json_object *e;

	return json_object_object_get_ex(section(root, key), name, &e) ? e : NULL;
}

static json_object *find_role(json_object *root, const char *name, struct ec2_error *err)
{
	json_object *r = find(root, "roles", name);

	if (!r)
		ec2_error_set(err, IAM_NO_SUCH, "The role with name %s cannot be found.", name);
	return r;
}

static json_object *find_profile(json_object *root, const char *name, struct ec2_error *err)
{
	json_object *p = find(root, "instance_profiles", name);

	if (!p)
		ec2_error_set(err, IAM_NO_SUCH, "Instance Profile %s cannot be found.", name);
	return p;
}

/* ---------- the shapes the aws CLI prints ---------- */

static void copy(json_object *to, json_object *from, const char *key)
{
	json_object *v;

	if (json_object_object_get_ex(from, key, &v) && v)
		json_object_object_add(to, key, json_object_get(v));
}

/* A Role (botocore's member order); full adds what GetRole and ListRoles give beyond
 * CreateRole's answer and a profile's roles. */
static json_object *role_shown(json_object *r, bool full, bool last_used)
{
	json_object *o = json_object_new_object();

	copy(o, r, "Path");
	copy(o, r, "RoleName");
	copy(o, r, "RoleId");
	copy(o, r, "Arn");
	copy(o, r, "CreateDate");
	json_object_object_add(o, "AssumeRolePolicyDocument",
			       document_shown(req_string(r, "AssumeRolePolicyDocument")));
	if (full || req_string(r, "Description"))
		copy(o, r, "Description");
	if (full)
		copy(o, r, "MaxSessionDuration");
	if (last_used)
		json_object_object_add(o, "RoleLastUsed", json_object_new_object());
	return o;
}

static json_object *profile_shown(json_object *root, json_object *p)
{
	json_object *o = json_object_new_object(), *roles = json_object_new_array(), *names;
	size_t i;

	copy(o, p, "Path");
	copy(o, p, "InstanceProfileName");
	copy(o, p, "InstanceProfileId");
	copy(o, p, "Arn");
	copy(o, p, "CreateDate");
	names = req_list(p, "Roles");
	for (i = 0; names && i < json_object_array_length(names); i++) {
		json_object *r = find(root, "roles",
				      json_object_get_string(json_object_array_get_idx(names, i)));

		if (r)
			json_object_array_add(roles, role_shown(r, false, false));
	}
	json_object_object_add(o, "Roles", roles);
	return o;
}

static json_object *wrap(const char *key, json_object *v)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, key, v);
	return o;
}

/* ---------- the actions: each write is one store_update ---------- */

struct write {
	struct ec2_ctx *ctx;
	json_object *req;
	json_object *resp; /* filled by the update */
	int (*fn)(struct write *w, json_object *root, struct ec2_error *err);
};

static int write_cb(json_object *root, void *opaque, struct ec2_error *err)
{
	struct write *w = opaque;

	return w->fn(w, root, err);
}

static json_object *iam_write(struct ec2_ctx *ctx, json_object *req,
			      int (*fn)(struct write *w, json_object *root, struct ec2_error *err),
			      struct ec2_error *err)
{
	struct write w = { ctx, req, NULL, fn };

	if (store_update(ctx->store, write_cb, &w, err) < 0) {
		json_object_put(w.resp);
		return NULL;
	}
	return w.resp ? w.resp : json_object_new_object();
}

static json_object *read_root(struct ec2_ctx *ctx, struct ec2_error *err)
{
	return store_read(ctx->store, err);
}

static int create_role(struct write *w, json_object *root, struct ec2_error *err)
{
	const char *name, *path, *doc, *desc = req_string(w->req, "Description");
	long long max = 3600;
	char id[32], now[32], *arn;
	json_object *r;
	size_t nchars = 0;
	int has_max;

	if (!(path = path_param(w->req, "Path", "path", err)) ||
	    !(name = name_param(w->req, "RoleName", "roleName", 64, err)) ||
	    !(doc = document_param(w->req, "AssumeRolePolicyDocument", "assumeRolePolicyDocument",
				   err)))
		return -1;
	has_max = req_int(w->req, "MaxSessionDuration", &max, NULL);
	if (has_max < 0 || max < 3600 || max > 43200) {
		char v[32];

		snprintf(v, sizeof(v), "%lld", max);
		return validation(err, has_max < 0 ? req_string(w->req, "MaxSessionDuration") : v,
				  "maxSessionDuration", "Member must have value between 3600 and 43200");
	}
	/* The description reaches XML and the terminal: text only (no control characters). */
	if (desc && (!util_text_valid(desc, &nchars) || nchars > 1000))
		return validation(err, "...", "description", "Member must have length less than "
				  "or equal to 1000 and satisfy regular expression pattern: "
				  "[\\u0009\\u000A\\u000D\\u0020-\\u007E\\u00A1-\\u00FF]*");
	if (find(root, "roles", name)) {
		ec2_error_set(err, IAM_EXISTS, "Role with name %s already exists.", name);
		return -1;
	}
	if (unique_id("AROA", id, err) < 0)
		return -1;
	iam_time(store_now(), now, sizeof(now));
	r = json_object_new_object();
	json_add_str(r, "Path", path);
	json_add_str(r, "RoleName", name);
	json_add_str(r, "RoleId", id);
	arn = util_strdupf("arn:aws:iam::%s:role%s%s", w->ctx->cfg->owner_id, path, name);
	json_add_str(r, "Arn", arn);
	free(arn);
	json_add_str(r, "CreateDate", now);
	json_add_str(r, "AssumeRolePolicyDocument", doc);
	if (desc)
		json_add_str(r, "Description", desc);
	json_add_int(r, "MaxSessionDuration", max);
	json_object_object_add(r, "Policies", json_object_new_object());
	json_object_object_add(section(root, "roles"), name, r);
	w->resp = wrap("Role", role_shown(r, false, false));
	return 0;
}

static json_object *iam_create_role(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err)
{
	return iam_write(ctx, req, create_role, err);
}

static json_object *iam_get_role(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err)
{
	json_object *root, *r, *resp = NULL;
	const char *name = name_param(req, "RoleName", "roleName", 64, err);

	if (!name || !(root = read_root(ctx, err)))
		return NULL;
	if ((r = find_role(root, name, err)))
		resp = wrap("Role", role_shown(r, true, true));
	json_object_put(root);
	return resp;
}

/* The entries of section key whose Path starts with the request's PathPrefix, in name order. */
static int by_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static json_object *listed(json_object *root, json_object *req, const char *key,
			   json_object *(*shown)(json_object *root, json_object *e),
			   struct ec2_error *err)
{
	json_object *sec = section(root, key), *out = json_object_new_array();
	const char *prefix = req_string(req, "PathPrefix");
	const char **names = calloc((size_t)json_object_object_length(sec) + 1, sizeof(char *));
	size_t n = 0, i;

	if (!names)
		abort();
	if (prefix && (prefix[0] != '/' || strlen(prefix) > 512)) {
		validation(err, prefix, "pathPrefix", "Member must satisfy regular expression pattern: "
			   "\\u002F[\\u0021-\\u007F]*");
		free(names);
		json_object_put(out);
		return NULL;
	}
	json_object_object_foreach(sec, name, e) {
		(void)e;
		names[n++] = name;
	}
	qsort(names, n, sizeof(*names), by_name);
	for (i = 0; i < n; i++) {
		json_object *entry = find(root, key, names[i]);

		if (!prefix || strncmp(req_str0(entry, "Path"), prefix, strlen(prefix)) == 0)
			json_object_array_add(out, shown(root, entry));
	}
	free(names);
	return out;
}

static json_object *role_listed(json_object *root, json_object *r)
{
	(void)root;
	return role_shown(r, true, false);
}

static json_object *iam_list_roles(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err)
{
	json_object *root = read_root(ctx, err), *l;

	if (!root)
		return NULL;
	l = listed(root, req, "roles", role_listed, err);
	json_object_put(root);
	return l ? wrap("Roles", l) : NULL;
}

/* The profiles that hold role name, in name order (borrowed names, in a new array). */
static json_object *profiles_of(json_object *root, const char *role)
{
	json_object *sec = section(root, "instance_profiles"), *out = json_object_new_array();

	json_object_object_foreach(sec, name, p) {
		json_object *roles = req_list(p, "Roles");
		size_t i;

		for (i = 0; roles && i < json_object_array_length(roles); i++)
			if (strcmp(json_object_get_string(json_object_array_get_idx(roles, i)),
				   role) == 0)
				json_object_array_add(out, json_object_new_string(name));
	}
	return out;
}

static int delete_role(struct write *w, json_object *root, struct ec2_error *err)
{
	const char *name = name_param(w->req, "RoleName", "roleName", 64, err);
	json_object *r, *in, *policies;
	size_t n;

	if (!name || !(r = find_role(root, name, err)))
		return -1;
	in = profiles_of(root, name);
	n = json_object_array_length(in);
	json_object_put(in);
	if (n > 0) {
		ec2_error_set(err, IAM_CONFLICT, "Cannot delete entity, must remove roles from "
			      "instance profile first.");
		return -1;
	}
	if (json_object_object_get_ex(r, "Policies", &policies) &&
	    json_object_object_length(policies) > 0) {
		ec2_error_set(err, IAM_CONFLICT, "Cannot delete entity, must delete policies first.");
		return -1;
	}
	json_object_object_del(section(root, "roles"), name);
	return 0;
}

static json_object *iam_delete_role(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err)
{
	return iam_write(ctx, req, delete_role, err);
}

static json_object *role_policies(json_object *r)
{
	json_object *p;

	if (!json_object_object_get_ex(r, "Policies", &p) || !json_object_is_type(p, json_type_object)) {
		p = json_object_new_object();
		json_object_object_add(r, "Policies", p);
	}
	return p;
}

static int put_role_policy(struct write *w, json_object *root, struct ec2_error *err)
{
	const char *role, *policy, *doc;
	json_object *r;

	if (!(role = name_param(w->req, "RoleName", "roleName", 64, err)) ||
	    !(policy = name_param(w->req, "PolicyName", "policyName", 128, err)) ||
	    !(doc = document_param(w->req, "PolicyDocument", "policyDocument", err)) ||
	    !(r = find_role(root, role, err)))
		return -1;
	json_add_str(role_policies(r), policy, doc);
	return 0;
}

static json_object *iam_put_role_policy(struct ec2_ctx *ctx, json_object *req,
					struct ec2_error *err)
{
	return iam_write(ctx, req, put_role_policy, err);
}

static json_object *policy_find(json_object *r, const char *role, const char *policy,
				struct ec2_error *err)
{
	json_object *d;

	if (json_object_object_get_ex(role_policies(r), policy, &d))
		return d;
	ec2_error_set(err, IAM_NO_SUCH, "The role policy with name %s cannot be found.", policy);
	(void)role;
	return NULL;
}

static json_object *iam_get_role_policy(struct ec2_ctx *ctx, json_object *req,
					struct ec2_error *err)
{
	const char *role, *policy;
	json_object *root, *r, *d, *resp = NULL;

	if (!(role = name_param(req, "RoleName", "roleName", 64, err)) ||
	    !(policy = name_param(req, "PolicyName", "policyName", 128, err)) ||
	    !(root = read_root(ctx, err)))
		return NULL;
	if ((r = find_role(root, role, err)) && (d = policy_find(r, role, policy, err))) {
		resp = json_object_new_object();
		json_add_str(resp, "RoleName", role);
		json_add_str(resp, "PolicyName", policy);
		json_object_object_add(resp, "PolicyDocument",
				       document_shown(json_object_get_string(d)));
	}
	json_object_put(root);
	return resp;
}

static json_object *iam_list_role_policies(struct ec2_ctx *ctx, json_object *req,
					   struct ec2_error *err)
{
	const char *role = name_param(req, "RoleName", "roleName", 64, err);
	json_object *root, *r, *resp = NULL;

	if (!role || !(root = read_root(ctx, err)))
		return NULL;
	if ((r = find_role(root, role, err))) {
		json_object *names = json_object_new_array();
		json_object *p = role_policies(r);
		size_t n = 0, i;
		const char **v = calloc((size_t)json_object_object_length(p) + 1, sizeof(char *));

		if (!v)
			abort();
		json_object_object_foreach(p, k, d) {
			(void)d;
			v[n++] = k;
		}
		qsort(v, n, sizeof(*v), by_name);
		for (i = 0; i < n; i++)
			json_object_array_add(names, json_object_new_string(v[i]));
		free(v);
		resp = wrap("PolicyNames", names);
	}
	json_object_put(root);
	return resp;
}

static int delete_role_policy(struct write *w, json_object *root, struct ec2_error *err)
{
	const char *role, *policy;
	json_object *r;

	if (!(role = name_param(w->req, "RoleName", "roleName", 64, err)) ||
	    !(policy = name_param(w->req, "PolicyName", "policyName", 128, err)) ||
	    !(r = find_role(root, role, err)) || !policy_find(r, role, policy, err))
		return -1;
	json_object_object_del(role_policies(r), policy);
	return 0;
}

static json_object *iam_delete_role_policy(struct ec2_ctx *ctx, json_object *req,
					   struct ec2_error *err)
{
	return iam_write(ctx, req, delete_role_policy, err);
}

static int create_profile(struct write *w, json_object *root, struct ec2_error *err)
{
	const char *name, *path;
	char id[32], now[32], *arn;
	json_object *p;

	if (!(name = name_param(w->req, "InstanceProfileName", "instanceProfileName", 128, err)) ||
	    !(path = path_param(w->req, "Path", "path", err)))
		return -1;
	if (find(root, "instance_profiles", name)) {
		ec2_error_set(err, IAM_EXISTS, "Instance Profile %s already exists.", name);
		return -1;
	}
	if (unique_id("AIPA", id, err) < 0)
		return -1;
	iam_time(store_now(), now, sizeof(now));
	arn = util_strdupf("arn:aws:iam::%s:instance-profile%s%s", w->ctx->cfg->owner_id, path, name);
	p = json_object_new_object();
	json_add_str(p, "Path", path);
	json_add_str(p, "InstanceProfileName", name);
	json_add_str(p, "InstanceProfileId", id);
	json_add_str(p, "Arn", arn);
	json_add_str(p, "CreateDate", now);
	json_object_object_add(p, "Roles", json_object_new_array());
	free(arn);
	json_object_object_add(section(root, "instance_profiles"), name, p);
	w->resp = wrap("InstanceProfile", profile_shown(root, p));
	return 0;
}

static json_object *iam_create_instance_profile(struct ec2_ctx *ctx, json_object *req,
						struct ec2_error *err)
{
	return iam_write(ctx, req, create_profile, err);
}

static json_object *iam_get_instance_profile(struct ec2_ctx *ctx, json_object *req,
					     struct ec2_error *err)
{
	const char *name = name_param(req, "InstanceProfileName", "instanceProfileName", 128, err);
	json_object *root, *p, *resp = NULL;

	if (!name || !(root = read_root(ctx, err)))
		return NULL;
	if ((p = find_profile(root, name, err)))
		resp = wrap("InstanceProfile", profile_shown(root, p));
	json_object_put(root);
	return resp;
}

static json_object *iam_list_instance_profiles(struct ec2_ctx *ctx, json_object *req,
					       struct ec2_error *err)
{
	json_object *root = read_root(ctx, err), *l;

	if (!root)
		return NULL;
	l = listed(root, req, "instance_profiles", profile_shown, err);
	json_object_put(root);
	return l ? wrap("InstanceProfiles", l) : NULL;
}

static json_object *iam_list_instance_profiles_for_role(struct ec2_ctx *ctx, json_object *req,
							struct ec2_error *err)
{
	const char *role = name_param(req, "RoleName", "roleName", 64, err);
	json_object *root, *names, *out, *resp = NULL;
	size_t i;

	if (!role || !(root = read_root(ctx, err)))
		return NULL;
	if (find_role(root, role, err)) {
		names = profiles_of(root, role);
		out = json_object_new_array();
		for (i = 0; i < json_object_array_length(names); i++)
			json_object_array_add(out, profile_shown(root, find(root, "instance_profiles",
				json_object_get_string(json_object_array_get_idx(names, i)))));
		json_object_put(names);
		resp = wrap("InstanceProfiles", out);
	}
	json_object_put(root);
	return resp;
}

static int delete_profile(struct write *w, json_object *root, struct ec2_error *err)
{
	const char *name = name_param(w->req, "InstanceProfileName", "instanceProfileName", 128, err);
	json_object *p, *roles;

	if (!name || !(p = find_profile(root, name, err)))
		return -1;
	roles = req_list(p, "Roles");
	if (roles && json_object_array_length(roles) > 0) {
		ec2_error_set(err, IAM_CONFLICT, "Cannot delete entity, must remove roles from "
			      "instance profile first.");
		return -1;
	}
	json_object_object_del(section(root, "instance_profiles"), name);
	return 0;
}

static json_object *iam_delete_instance_profile(struct ec2_ctx *ctx, json_object *req,
						struct ec2_error *err)
{
	return iam_write(ctx, req, delete_profile, err);
}

static int add_role(struct write *w, json_object *root, struct ec2_error *err)
{
	const char *name, *role;
	json_object *p, *roles;

	if (!(name = name_param(w->req, "InstanceProfileName", "instanceProfileName", 128, err)) ||
	    !(role = name_param(w->req, "RoleName", "roleName", 64, err)) ||
	    !(p = find_profile(root, name, err)) || !find_role(root, role, err))
		return -1;
	if (!json_object_object_get_ex(p, "Roles", &roles) ||
	    !json_object_is_type(roles, json_type_array)) {
		roles = json_object_new_array();
		json_object_object_add(p, "Roles", roles);
	}
	if (json_object_array_length(roles) > 0) {
		ec2_error_set(err, IAM_LIMIT, "Cannot exceed quota for "
			      "InstanceSessionsPerInstanceProfile: 1");
		return -1;
	}
	json_object_array_add(roles, json_object_new_string(role));
	return 0;
}

static json_object *iam_add_role_to_instance_profile(struct ec2_ctx *ctx, json_object *req,
						     struct ec2_error *err)
{
	return iam_write(ctx, req, add_role, err);
}

static int remove_role(struct write *w, json_object *root, struct ec2_error *err)
{
	const char *name, *role;
	json_object *p, *roles, *kept;
	size_t i;
	bool found = false;

	if (!(name = name_param(w->req, "InstanceProfileName", "instanceProfileName", 128, err)) ||
	    !(role = name_param(w->req, "RoleName", "roleName", 64, err)) ||
	    !(p = find_profile(root, name, err)) || !find_role(root, role, err))
		return -1;
	roles = req_list(p, "Roles");
	kept = json_object_new_array();
	for (i = 0; roles && i < json_object_array_length(roles); i++) {
		json_object *r = json_object_array_get_idx(roles, i);

		if (strcmp(json_object_get_string(r), role) == 0)
			found = true;
		else
			json_object_array_add(kept, json_object_get(r));
	}
	if (!found) {
		json_object_put(kept);
		ec2_error_set(err, IAM_NO_SUCH, "The role with name %s cannot be found.", role);
		return -1;
	}
	json_object_object_add(p, "Roles", kept);
	return 0;
}

static json_object *iam_remove_role_from_instance_profile(struct ec2_ctx *ctx, json_object *req,
							  struct ec2_error *err)
{
	return iam_write(ctx, req, remove_role, err);
}

iam_action_fn iam_action(const char *name)
{
	static const struct {
		const char *name;
		iam_action_fn fn;
	} map[] = {
		{ "CreateRole", iam_create_role },
		{ "GetRole", iam_get_role },
		{ "ListRoles", iam_list_roles },
		{ "DeleteRole", iam_delete_role },
		{ "PutRolePolicy", iam_put_role_policy },
		{ "GetRolePolicy", iam_get_role_policy },
		{ "ListRolePolicies", iam_list_role_policies },
		{ "DeleteRolePolicy", iam_delete_role_policy },
		{ "CreateInstanceProfile", iam_create_instance_profile },
		{ "GetInstanceProfile", iam_get_instance_profile },
		{ "ListInstanceProfiles", iam_list_instance_profiles },
		{ "DeleteInstanceProfile", iam_delete_instance_profile },
		{ "AddRoleToInstanceProfile", iam_add_role_to_instance_profile },
		{ "RemoveRoleFromInstanceProfile", iam_remove_role_from_instance_profile },
		{ "ListInstanceProfilesForRole", iam_list_instance_profiles_for_role },
	};
	size_t i;

	for (i = 0; name && i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i].name, name) == 0)
			return map[i].fn;
	return NULL;
}

/* ---------- policy evaluation ---------- */

/* Whether s matches pattern p (* any run, ? any one character), case-insensitively. */
static bool wildcard(const char *p, const char *s)
{
	const char *star = NULL, *back = NULL;

	while (*s) {
		if (*p == '*') {
			star = p++;
			back = s;
		} else if (*p == '?' || tolower((unsigned char)*p) == tolower((unsigned char)*s)) {
			p++;
			s++;
		} else if (star) {
			p = star + 1;
			s = ++back;
		} else {
			return false;
		}
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

/* Whether the string or list of strings v holds a pattern that matches s. */
static bool any_matches(json_object *v, const char *s)
{
	size_t i;

	if (json_object_is_type(v, json_type_string))
		return wildcard(json_object_get_string(v), s);
	if (!json_object_is_type(v, json_type_array))
		return false;
	for (i = 0; i < json_object_array_length(v); i++) {
		json_object *e = json_object_array_get_idx(v, i);

		if (json_object_is_type(e, json_type_string) && wildcard(json_object_get_string(e), s))
			return true;
	}
	return false;
}

/* Whether pattern p can match some string that begins with prefix (case-insensitively): its
 * literal start agrees with prefix up to p's first * or prefix's end. */
static bool may_begin_with(const char *p, const char *prefix)
{
	for (; *prefix; p++, prefix++) {
		if (*p == '*')
			return true;
		if (!*p || (*p != '?' && tolower((unsigned char)*p) != tolower((unsigned char)*prefix)))
			return false;
	}
	return true;
}

/* Whether a statement's Resource covers the request: resource (an ARN) when the caller names
 * it; otherwise, as ec2-lite does not name the resources of a request, a statement applies when
 * one of its patterns can match a resource of the service ("*", "arn:*", "arn:aws:ec2:..."): a
 * policy that narrows an action to some resources is taken as granting (or denying) it. A
 * NotResource is not evaluated: a Deny with one applies, an Allow does not (the safe side). */
static bool resource_matches(json_object *st, const char *service, const char *resource,
			     bool allow)
{
	json_object *res;
	char *arn = util_strdupf("arn:aws:%s:", service);
	bool ok = false;
	size_t i, n;

	if (json_object_object_get_ex(st, "Resource", &res)) {
		n = json_object_is_type(res, json_type_array) ? json_object_array_length(res) : 1;
		for (i = 0; i < n && !ok; i++) {
			json_object *e = json_object_is_type(res, json_type_array) ?
						 json_object_array_get_idx(res, i) : res;
			const char *s = json_object_get_string(e);

			ok = json_object_is_type(e, json_type_string) &&
			     (resource ? wildcard(s, resource) : may_begin_with(s, arn));
		}
	} else if (json_object_object_get_ex(st, "NotResource", NULL)) {
		ok = !allow;
	}
	free(arn);
	return ok;
}

/* Whether statement st applies to full ("ec2:DescribeInstances"). A Condition cannot be
 * evaluated here: an Allow with one does not apply, a Deny with one does (the safe side). */
static bool statement_applies(json_object *st, const char *full, const char *service,
			      const char *resource, bool allow)
{
	json_object *a;

	if (json_object_object_get_ex(st, "Condition", NULL) && allow)
		return false;
	if (json_object_object_get_ex(st, "Action", &a)) {
		if (!any_matches(a, full))
			return false;
	} else if (json_object_object_get_ex(st, "NotAction", &a)) {
		if (any_matches(a, full))
			return false;
	} else {
		return false;
	}
	return resource_matches(st, service, resource, allow);
}

/* Evaluates one policy document: sets *allowed when an Allow applies, returns true when a Deny
 * does. */
static bool policy_denies(const char *text, const char *full, const char *service,
			  const char *resource, bool *allowed)
{
	json_object *doc = json_tokener_parse(text), *sts;
	size_t i, n;
	bool denied = false;

	if (!doc || !json_object_object_get_ex(doc, "Statement", &sts)) {
		json_object_put(doc);
		return false;
	}
	n = json_object_is_type(sts, json_type_array) ? json_object_array_length(sts) : 1;
	for (i = 0; i < n; i++) {
		json_object *st = json_object_is_type(sts, json_type_array) ?
					  json_object_array_get_idx(sts, i) : sts;
		const char *effect = req_str0(st, "Effect");

		if (!json_object_is_type(st, json_type_object))
			continue;
		if (strcmp(effect, "Deny") == 0 && statement_applies(st, full, service, resource, false))
			denied = true;
		else if (strcmp(effect, "Allow") == 0 && statement_applies(st, full, service, resource, true))
			*allowed = true;
	}
	json_object_put(doc);
	return denied;
}

bool iam_role_allows(json_object *root, const char *role_name, const char *service,
		     const char *action)
{
	return iam_role_decide(root, role_name, service, action) > 0;
}

int iam_role_decide(json_object *root, const char *role_name, const char *service,
		    const char *action)
{
	return iam_role_decide_on(root, role_name, service, action, NULL);
}

int iam_role_decide_on(json_object *root, const char *role_name, const char *service,
		       const char *action, const char *resource)
{
	json_object *r = role_name ? find(root, "roles", role_name) : NULL, *p;
	char *full;
	bool allowed = false, denied = false;

	if (!r || !service || !action || !json_object_object_get_ex(r, "Policies", &p) ||
	    !json_object_is_type(p, json_type_object))
		return 0;
	full = util_strdupf("%s:%s", service, action);
	json_object_object_foreach(p, name, d) {
		(void)name;
		if (json_object_is_type(d, json_type_string) &&
		    policy_denies(json_object_get_string(d), full, service, resource, &allowed))
			denied = true;
	}
	free(full);
	return denied ? -1 : allowed ? 1 : 0;
}

/* ---------- temporary credentials ---------- */

/* The credentials key, made on first use (0600): written to a temporary file and linked into
 * place, so that two processes that make it at once end up with the same one. */
static int cred_key(struct ec2_ctx *ctx, unsigned char key[CRED_KEY_BYTES], struct ec2_error *err)
{
	char *dir = util_strdupf("%s/iam", ctx->cfg->state_dir);
	char *path = util_strdupf("%s/credentials.key", dir), *tmp = NULL, *data = NULL;
	unsigned char fresh[CRED_KEY_BYTES];
	size_t len = 0;
	int rc = -1, fd;

	if (util_mkdir_p(dir, 0700, err) < 0)
		goto out;
	if (!util_file_exists(path)) {
		if (RAND_bytes(fresh, sizeof(fresh)) != 1) {
			ec2_error_set(err, EC2_ERR_INTERNAL, "no random bytes for the credentials key");
			goto out;
		}
		tmp = util_strdupf("%s/.credentials.key.%ld", dir, (long)getpid());
		fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0 || write(fd, fresh, sizeof(fresh)) != (ssize_t)sizeof(fresh) ||
		    fsync(fd) < 0) {
			ec2_error_set_errno(err, errno, "cannot write %s", tmp);
			if (fd >= 0)
				close(fd);
			unlink(tmp);
			goto out;
		}
		close(fd);
		/* link() fails with EEXIST when another process won: its key is the one. */
		if (link(tmp, path) < 0 && errno != EEXIST) {
			ec2_error_set_errno(err, errno, "cannot make %s", path);
			unlink(tmp);
			goto out;
		}
		unlink(tmp);
		OPENSSL_cleanse(fresh, sizeof(fresh));
	}
	data = util_read_file_max(path, 4096, &len, err);
	if (!data)
		goto out;
	if (len != CRED_KEY_BYTES) {
		ec2_error_set(err, EC2_ERR_INTERNAL, "%s is not a credentials key (%zu bytes)", path,
			      len);
		goto out;
	}
	memcpy(key, data, CRED_KEY_BYTES);
	rc = 0;
out:
	if (data) {
		OPENSSL_cleanse(data, len);
		free(data);
	}
	free(tmp);
	free(path);
	free(dir);
	return rc;
}

static void mac(const unsigned char key[CRED_KEY_BYTES], const char *what, const char *data,
		unsigned char out[32])
{
	unsigned int n = 32;
	char *msg = util_strdupf("%s\n%s", what, data);

	HMAC(EVP_sha256(), key, CRED_KEY_BYTES, (const unsigned char *)msg, strlen(msg), out, &n);
	free(msg);
}

/* The secret of key id: 40 characters of base64 of its MAC. */
static void secret_of(const unsigned char key[CRED_KEY_BYTES], const char *id, char secret[64])
{
	unsigned char d[32];
	char *b;

	mac(key, "secret", id, d);
	b = util_base64(d, sizeof(d));
	snprintf(secret, 64, "%.40s", b);
	OPENSSL_cleanse(b, strlen(b));
	OPENSSL_cleanse(d, sizeof(d));
	free(b);
}

/* The token's statement: "v1:KEYID:INSTANCE:ROLE:EXPIRY"; the token is the statement with its
 * MAC appended ("v1:...:EXPIRY:MAC-HEX"), one printable word for a header. Neither an instance
 * id nor a role name holds a colon. */
static char *statement(const char *id, const char *instance, const char *role, long long expiry)
{
	return util_strdupf("v1:%s:%s:%s:%lld", id, instance, role, expiry);
}

json_object *iam_credentials_issue(struct ec2_ctx *ctx, const char *instance_id,
				   const char *role_name, struct ec2_error *err)
{
	static const char base32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	unsigned char key[CRED_KEY_BYTES], d[32];
	char id[24], secret[64], machex[65], t[32], *seed, *st, *token;
	time_t now = store_now(), start = now - now % CRED_BUCKET;
	long long expiry = (long long)start + 2 * CRED_BUCKET;
	json_object *o;
	size_t i;

	if (!instance_id || !role_name || !*instance_id || !*role_name ||
	    strchr(instance_id, ':') || strchr(role_name, ':') || strlen(instance_id) >= 32 ||
	    strlen(role_name) >= 72) {
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER, "credentials need an instance and a role");
		return NULL;
	}
	if (cred_key(ctx, key, err) < 0)
		return NULL;
	/* The same instance, role and hour give the same credentials: IMDS may be asked often. */
	seed = util_strdupf("%s %s %lld", instance_id, role_name, expiry);
	mac(key, "keyid", seed, d);
	free(seed);
	memcpy(id, "ASIA", 4);
	for (i = 0; i < 16; i++)
		id[4 + i] = base32[d[i] & 31];
	id[20] = '\0';
	secret_of(key, id, secret);
	st = statement(id, instance_id, role_name, expiry);
	mac(key, "token", st, d);
	util_hex(d, sizeof(d), machex);
	token = util_strdupf("%s:%s", st, machex);
	o = json_object_new_object();
	json_add_str(o, "Code", "Success");
	iam_time(start, t, sizeof(t));
	json_add_str(o, "LastUpdated", t);
	json_add_str(o, "Type", "AWS-HMAC");
	json_add_str(o, "AccessKeyId", id);
	json_add_str(o, "SecretAccessKey", secret);
	json_add_str(o, "Token", token);
	iam_time((time_t)expiry, t, sizeof(t));
	json_add_str(o, "Expiration", t);
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(secret, sizeof(secret));
	free(token);
	free(st);
	return o;
}

static int auth_failure(struct ec2_error *err)
{
	ec2_error_set(err, "AuthFailure", "AWS was not able to validate the provided access "
		      "credentials");
	return -1;
}

/* Whether DescribeInstances shows instance id, and not terminated. */
static bool instance_live(struct ec2_ctx *ctx, const char *id)
{
	json_object *ids = json_object_new_array(), *described, *inst, *state;
	const char *name = NULL;
	bool live = false;

	json_object_array_add(ids, json_object_new_string(id));
	described = ec2_instances_described(ctx, ids, NULL);
	if (described && json_object_array_length(described) == 1 &&
	    json_object_object_get_ex(json_object_array_get_idx(described, 0), "Instance", &inst) &&
	    json_object_object_get_ex(inst, "State", &state))
		name = req_string(state, "Name");
	live = name && strcmp(name, "terminated") != 0 && strcmp(name, "shutting-down") != 0;
	json_object_put(described);
	json_object_put(ids);
	return live;
}

int iam_credentials_check(struct ec2_ctx *ctx, const char *access_key_id, const char *token,
			  char secret[64], char instance_id[32], char role_name[72],
			  struct ec2_error *err)
{
	unsigned char key[CRED_KEY_BYTES], d[32];
	char kid[24], inst[32], role[72], machex[65], want[65], *st = NULL;
	long long expiry;
	int n = 0, rc = -1;

	if (!access_key_id || !token || strncmp(access_key_id, "ASIA", 4) != 0 ||
	    strlen(token) > 1024)
		return auth_failure(err);
	if (sscanf(token, "v1:%23[^:]:%31[^:]:%71[^:]:%lld:%64[0-9a-f]%n", kid, inst, role, &expiry,
		   machex, &n) != 5 || (size_t)n != strlen(token) || strcmp(kid, access_key_id) != 0) {
		auth_failure(err);
		goto out;
	}
	if (cred_key(ctx, key, err) < 0)
		goto out;
	st = statement(kid, inst, role, expiry);
	mac(key, "token", st, d);
	util_hex(d, sizeof(d), want);
	if (strlen(machex) != 64 || CRYPTO_memcmp(want, machex, 64) != 0) {
		auth_failure(err);
		goto out;
	}
	if (expiry <= (long long)store_now()) {
		ec2_error_set(err, "ExpiredToken", "The security token included in the request is "
			      "expired");
		goto out;
	}
	if (!instance_live(ctx, inst)) {
		auth_failure(err);
		goto out;
	}
	secret_of(key, kid, secret);
	snprintf(instance_id, 32, "%s", inst);
	snprintf(role_name, 72, "%s", role);
	rc = 0;
out:
	OPENSSL_cleanse(key, sizeof(key));
	free(st);
	return rc;
}
