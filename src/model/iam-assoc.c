/* IAM instance profiles on EC2's side: the profiles found in the store's "iam" section (the IAM
 * module's, include/ec2lite/iam.h), and their associations with instances:
 * AssociateIamInstanceProfile, DescribeIamInstanceProfileAssociations,
 * DisassociateIamInstanceProfile, ReplaceIamInstanceProfileAssociation, and RunInstances'
 * IamInstanceProfile (instance-launch.c).
 *
 * An association lives in its instance's metadata (struct ec2_meta: the profile's Arn and Id, the
 * association's id and time), so it follows the instance and goes with it: a terminated instance
 * has none. The instance keeps the profile's Arn and Id as they were when it was associated, as
 * EC2 does; the role is looked up through the profile when credentials are made. EC2 answers an
 * association's change with "associating" (or "disassociating") until its hypervisor has it;
 * here it holds at once, so the answers say "associated" ("disassociated"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ec2lite/filter.h"
#include "ec2lite/iam.h"
#include "ec2lite/util.h"

#include "instance-internal.h"

#define ERR_INCORRECT_STATE "IncorrectState"
#define ERR_ASSOC_NOT_FOUND "InvalidAssociationID.NotFound"

/* The store's instance profiles (borrowed from root), or NULL when IAM has none yet. */
static json_object *profiles_of(json_object *root)
{
	json_object *iam = NULL, *profiles = NULL;

	if (!json_object_object_get_ex(root, "iam", &iam) ||
	    !json_object_object_get_ex(iam, "instance_profiles", &profiles) ||
	    !json_object_is_type(profiles, json_type_object))
		return NULL;
	return profiles;
}

json_object *iam_profile_find(json_object *root, const char *name, const char *arn,
			      struct ec2_error *err)
{
	json_object *profiles = profiles_of(root), *p = NULL;

	if (name) {
		if (profiles && json_object_object_get_ex(profiles, name, &p) &&
		    json_object_is_type(p, json_type_object))
			return p;
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER, "Value (%s) for parameter "
			      "iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name",
			      name);
		return NULL;
	}
	if (profiles && arn) {
		json_object_object_foreach(profiles, key, entry) {
			(void)key;
			if (json_object_is_type(entry, json_type_object) &&
			    strcmp(req_str0(entry, "Arn"), arn) == 0)
				return entry;
		}
	}
	ec2_error_set(err, EC2_ERR_INVALID_PARAMETER, "Value (%s) for parameter "
		      "iamInstanceProfile.arn is invalid. Invalid IAM Instance Profile ARN",
		      arn ? arn : "");
	return NULL;
}

json_object *iam_profile_role(json_object *root, json_object *profile)
{
	json_object *roles = NULL, *iam = NULL, *all = NULL, *role = NULL;
	const char *name;

	if (!json_object_object_get_ex(profile, "Roles", &roles) ||
	    !json_object_is_type(roles, json_type_array) || json_object_array_length(roles) == 0)
		return NULL;
	name = json_object_get_string(json_object_array_get_idx(roles, 0));
	if (!name || !json_object_object_get_ex(root, "iam", &iam) ||
	    !json_object_object_get_ex(iam, "roles", &all) ||
	    !json_object_object_get_ex(all, name, &role) ||
	    !json_object_is_type(role, json_type_object))
		return NULL;
	return role;
}

int iam_assoc_resolve(struct ec2_ctx *ctx, json_object *spec, char arn[256], char id[32],
		      struct ec2_error *err)
{
	const char *name = req_string(spec, "Name"), *want_arn = req_string(spec, "Arn");
	json_object *root, *p;
	int rc = -1;

	if (!spec || (!name && !want_arn)) {
		ec2_error_set(err, EC2_ERR_MISSING_PARAMETER, "The request must contain the parameter "
			      "iamInstanceProfile.name or iamInstanceProfile.arn");
		return -1;
	}
	root = store_read(ctx->store, err);
	if (!root)
		return -1;
	/* Both given: the ARN finds it, and the name must be its name. */
	p = iam_profile_find(root, want_arn ? NULL : name, want_arn, err);
	if (p && want_arn && name && strcmp(req_str0(p, "InstanceProfileName"), name) != 0) {
		p = NULL;
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER, "Value (%s) for parameter "
			      "iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name",
			      name);
	}
	if (p) {
		snprintf(arn, 256, "%s", req_str0(p, "Arn"));
		snprintf(id, 32, "%s", req_str0(p, "InstanceProfileId"));
		rc = 0;
	}
	json_object_put(root);
	return rc;
}

json_object *iam_assoc_profile_json(const struct ec2_meta *m)
{
	json_object *o;

	if (!m->iam_assoc_id[0])
		return NULL;
	o = json_object_new_object();
	json_add_str(o, "Arn", m->iam_profile_arn);
	json_add_str(o, "Id", m->iam_profile_id);
	return o;
}

/* EC2's IamInstanceProfileAssociation of instance id (new reference). */
static json_object *assoc_json(const char *id, const struct ec2_meta *m, const char *state)
{
	json_object *o = json_object_new_object();

	json_add_str(o, "AssociationId", m->iam_assoc_id);
	json_add_str(o, "InstanceId", id);
	json_object_object_add(o, "IamInstanceProfile", iam_assoc_profile_json(m));
	json_add_str(o, "State", state);
	json_add_str(o, "Timestamp", m->iam_assoc_time);
	return o;
}

/* Makes a new association of the profile arn/id in m (not saved). */
static int assoc_new(struct ec2_meta *m, const char *arn, const char *id, struct ec2_error *err)
{
	char assoc[EC2_ID_MAX];

	if (ec2_id_new("iip-assoc", assoc, err) < 0)
		return -1;
	snprintf(m->iam_assoc_id, sizeof(m->iam_assoc_id), "%s", assoc);
	snprintf(m->iam_profile_arn, sizeof(m->iam_profile_arn), "%s", arn);
	snprintf(m->iam_profile_id, sizeof(m->iam_profile_id), "%s", id);
	util_iso8601(time(NULL), m->iam_assoc_time, sizeof(m->iam_assoc_time));
	return 0;
}

json_object *ec2_associate_iam_instance_profile(struct ec2_ctx *ctx, json_object *req,
						struct ec2_error *err)
{
	json_object *spec = NULL, *resp = NULL;
	struct inst *v = NULL;
	size_t n = 0;
	char arn[256], id[32];

	if (!json_object_object_get_ex(req, "IamInstanceProfile", &spec)) {
		ec2_error_set(err, EC2_ERR_MISSING_PARAMETER,
			      "The request must contain the parameter IamInstanceProfile");
		return NULL;
	}
	/* one_live: MissingParameter when InstanceId is absent, as EC2 */
	if (one_live(ctx, req, &v, &n, err) < 0)
		goto out;
	if (v[0].meta.iam_assoc_id[0]) {
		ec2_error_set(err, ERR_INCORRECT_STATE, "There is an existing association for "
			      "instance %s", v[0].id);
		goto out;
	}
	if (iam_assoc_resolve(ctx, spec, arn, id, err) < 0 || ec2_dry_run(req, err) ||
	    assoc_new(&v[0].meta, arn, id, err) < 0 ||
	    ec2_meta_save(v[0].dom, &v[0].meta, err) < 0)
		goto out;
	resp = json_object_new_object();
	json_object_object_add(resp, "IamInstanceProfileAssociation",
			       assoc_json(v[0].id, &v[0].meta, "associated"));
out:
	insts_free(v, n);
	return resp;
}

/* The live instance whose association is req's AssociationId, in *v (insts_free it, found or
 * not) at index *at; -1 with EC2's error otherwise. */
static int find_assoc(struct ec2_ctx *ctx, json_object *req, struct inst **v, size_t *n,
		      size_t *at, struct ec2_error *err)
{
	const char *assoc = req_string(req, "AssociationId");
	size_t i;

	*v = NULL;
	*n = 0;
	if (!assoc) {
		ec2_error_set(err, EC2_ERR_MISSING_PARAMETER,
			      "The request must contain the parameter AssociationId");
		return -1;
	}
	if (list_all(ctx, v, n, err) < 0)
		return -1;
	for (i = 0; i < *n; i++)
		if ((*v)[i].dom && strcmp((*v)[i].meta.iam_assoc_id, assoc) == 0) {
			*at = i;
			return 0;
		}
	ec2_error_set(err, ERR_ASSOC_NOT_FOUND, "The association ID '%s' does not exist", assoc);
	return -1;
}

json_object *ec2_disassociate_iam_instance_profile(struct ec2_ctx *ctx, json_object *req,
						   struct ec2_error *err)
{
	struct inst *v = NULL;
	size_t n = 0, at = 0;
	struct ec2_meta *m;
	json_object *resp = NULL, *gone;

	if (find_assoc(ctx, req, &v, &n, &at, err) < 0 || ec2_dry_run(req, err))
		goto out;
	m = &v[at].meta;
	gone = assoc_json(v[at].id, m, "disassociated");
	m->iam_assoc_id[0] = m->iam_profile_arn[0] = m->iam_profile_id[0] = '\0';
	m->iam_assoc_time[0] = '\0';
	if (ec2_meta_save(v[at].dom, m, err) < 0) {
		json_object_put(gone);
		goto out;
	}
	resp = json_object_new_object();
	json_object_object_add(resp, "IamInstanceProfileAssociation", gone);
out:
	insts_free(v, n);
	return resp;
}

json_object *ec2_replace_iam_instance_profile_association(struct ec2_ctx *ctx, json_object *req,
							  struct ec2_error *err)
{
	json_object *spec = NULL, *resp = NULL;
	struct inst *v = NULL;
	size_t n = 0, at = 0;
	char arn[256], id[32];

	if (!json_object_object_get_ex(req, "IamInstanceProfile", &spec)) {
		ec2_error_set(err, EC2_ERR_MISSING_PARAMETER,
			      "The request must contain the parameter IamInstanceProfile");
		return NULL;
	}
	if (find_assoc(ctx, req, &v, &n, &at, err) < 0)
		goto out;
	/* EC2 replaces the profile of a running instance only. */
	settle(ctx, &v[at]);
	if (v[at].state != EC2_RUNNING) {
		ec2_error_set(err, ERR_INCORRECT_STATE, "The association %s is not the active "
			      "association", v[at].meta.iam_assoc_id);
		goto out;
	}
	if (iam_assoc_resolve(ctx, spec, arn, id, err) < 0 || ec2_dry_run(req, err) ||
	    assoc_new(&v[at].meta, arn, id, err) < 0 ||
	    ec2_meta_save(v[at].dom, &v[at].meta, err) < 0)
		goto out;
	resp = json_object_new_object();
	json_object_object_add(resp, "IamInstanceProfileAssociation",
			       assoc_json(v[at].id, &v[at].meta, "associated"));
out:
	insts_free(v, n);
	return resp;
}

static const struct filter_field assoc_filters[] = {
	{ "instance-id", "InstanceId" },
	{ "state", "State" },
	{ NULL, NULL },
};

json_object *ec2_describe_iam_instance_profile_associations(struct ec2_ctx *ctx, json_object *req,
							    struct ec2_error *err)
{
	json_object *ids = req_list(req, "AssociationIds"), *filters = req_list(req, "Filters");
	json_object *list = NULL, *resp = NULL;
	struct inst *v = NULL;
	size_t n = 0, i, k;

	if (filter_validate_untagged(filters, assoc_filters, err) < 0 ||
	    list_all(ctx, &v, &n, err) < 0)
		goto out;
	qsort(v, n, sizeof(*v), by_launch);
	/* Every id asked for must be one of an instance's association. */
	for (k = 0; ids && k < json_object_array_length(ids); k++) {
		const char *want = json_object_get_string(json_object_array_get_idx(ids, k));

		for (i = 0; i < n; i++)
			if (v[i].dom && want && strcmp(v[i].meta.iam_assoc_id, want) == 0)
				break;
		if (i == n) {
			ec2_error_set(err, ERR_ASSOC_NOT_FOUND, "The association ID '%s' does not "
				      "exist", want ? want : "");
			goto out;
		}
	}
	list = json_object_new_array();
	for (i = 0; i < n; i++) {
		json_object *a;

		if (!v[i].dom || !v[i].meta.iam_assoc_id[0] ||
		    !json_strlist_wants(ids, v[i].meta.iam_assoc_id))
			continue;
		a = assoc_json(v[i].id, &v[i].meta, "associated");
		if (filter_match(a, filters, assoc_filters))
			json_object_array_add(list, a);
		else
			json_object_put(a);
	}
	resp = json_object_new_object();
	if (req_page_into(req, 5, 1000, list, resp, "IamInstanceProfileAssociations", err) < 0) {
		json_object_put(resp);
		resp = NULL;
	}
out:
	json_object_put(list);
	insts_free(v, n);
	return resp;
}
