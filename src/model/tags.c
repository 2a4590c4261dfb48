/* Tags of instances, AMIs, security groups, key pairs, Elastic IPs and the default VPC's resources:
 * see include/ec2lite/tags.h. */
#include "ec2lite/tags.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ec2lite/filter.h"
#include "ec2lite/ids.h"
#include "ec2lite/util.h"
#include "ec2lite/vpc.h"

int tag_check(const char *key, const char *value, struct ec2_error *err)
{
	size_t nkey = 0, nvalue = 0;

	/* Characters XML cannot carry would make every later response about the resource
	 * unparseable. */
	if ((key && !util_text_valid(key, &nkey)) || (value && !util_text_valid(value, &nvalue))) {
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER,
			      "Value for parameter Tag.%s is invalid: it holds control characters or "
			      "is not valid UTF-8", key && !util_text_valid(key, NULL) ? "Key" : "Value");
		return -1;
	}
	/* EC2 counts characters, not bytes. */
	if (!key || !*key || nkey > 128 || nvalue > 256) {
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER,
			      "Tag keys must be 1 to 128 characters and values at most 256");
		return -1;
	}
	if (strncasecmp(key, "aws:", 4) == 0 || strncmp(key, "ec2-lite:", 9) == 0) {
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER,
			      "Tag keys starting with '%.*s' are reserved for system use",
			      (int)(strchr(key, ':') - key + 1), key);
		return -1;
	}
	return 0;
}

json_object *tag_specs(json_object *req, const char *type, const char *const *allowed,
		       struct ec2_error *err)
{
	json_object *specs = req_list(req, "TagSpecifications"), *out = json_object_new_array();
	size_t i, j, k;

	for (i = 0; specs && i < json_object_array_length(specs); i++) {
		json_object *spec = json_object_array_get_idx(specs, i), *list = req_list(spec, "Tags");
		const char *t = req_str0(spec, "ResourceType");
		bool known = strcmp(t, type) == 0;

		for (k = 0; allowed && allowed[k] && !known; k++)
			known = strcmp(t, allowed[k]) == 0;
		if (!known) {
			ec2_error_set(err, EC2_ERR_INVALID_PARAMETER,
				      "'%s' is not a valid taggable resource type for this operation.",
				      t);
			goto fail;
		}
		if (strcmp(t, type) != 0)
			continue;
		for (j = 0; list && j < json_object_array_length(list); j++) {
			json_object *tag = json_object_array_get_idx(list, j), *o;

			if (tag_check(req_string(tag, "Key"), req_string(tag, "Value"), err) < 0)
				goto fail;
			o = json_object_new_object();
			json_add_str(o, "Key", req_string(tag, "Key"));
			json_add_str(o, "Value", req_str0(tag, "Value"));
			json_object_array_add(out, o);
		}
	}
	return out;
fail:
	json_object_put(out);
	return NULL;
}

/* ---------- the resources ---------- */

/* VPC: a resource of the default VPC (vpc-, subnet-, igw-, rtb-, acl-), in the store (vpc.h).
 * ADDRESS: an Elastic IP by its allocation id (address.h). */
enum kind { INSTANCE, IMAGE, GROUP, KEYPAIR, VPC, ADDRESS };

static const char *const type_names[] = { "instance", "image", "security-group", "key-pair", "vpc",
					  "elastic-ip" };

static int kind_of(const char *id, enum kind *k, struct ec2_error *err)
{
	if (ec2_id_valid("i", id))
		*k = INSTANCE;
	else if (ec2_id_valid("ami", id))
		*k = IMAGE;
	else if (ec2_id_valid("sg", id))
		*k = GROUP;
	else if (ec2_id_valid("key", id))
		*k = KEYPAIR;
	else if (vpc_id_kind(id))
		*k = VPC;
	else if (ec2_id_valid("eipalloc", id))
		*k = ADDRESS;
	else {
		ec2_error_set(err, "InvalidID", "The ID '%s' is not valid", id);
		return -1;
	}
	return 0;
}

/* Sets (value given, or for a delete with value NULL) or removes the tags of one resource's
 * list; returns -1 (TagLimitExceeded) when it would hold more than EC2 allows. */
static int apply(json_object *list, json_object *tags, bool create, struct ec2_error *err)
{
	size_t i, j;

	for (i = 0; i < json_object_array_length(tags); i++) {
		json_object *t = json_object_array_get_idx(tags, i);
		const char *key = req_str0(t, "Key"), *value = req_string(t, "Value");
		bool done = false;

		for (j = 0; j < json_object_array_length(list); j++) {
			json_object *have = json_object_array_get_idx(list, j);

			if (strcmp(req_str0(have, "Key"), key) != 0)
				continue;
			if (create) {
				json_add_str(have, "Value", value ? value : "");
				done = true;
			} else if (!value || strcmp(req_str0(have, "Value"), value) == 0) {
				json_object_array_del_idx(list, j, 1);
			}
			break;
		}
		if (create && !done) {
			json_object *o = json_object_new_object();

			json_add_str(o, "Key", key);
			json_add_str(o, "Value", value ? value : "");
			json_object_array_add(list, o);
		}
	}
	if (json_object_array_length(list) > EC2_TAGS_MAX) {
		ec2_error_set(err, "TagLimitExceeded", "The maximum number of tags (%d) for a resource "
			      "has been reached", EC2_TAGS_MAX);
		return -1;
	}
	return 0;
}

/* The store's record of an AMI (not deregistered), a security group or a key pair (the store
 * keeps those by name). */
static json_object *stored(json_object *root, enum kind k, const char *id)
{
	json_object *o;

	if (k == KEYPAIR) {
		json_object_object_foreach(store_section(root, "key_pairs"), name, kp) {
			(void)name;
			if (strcmp(req_str0(kp, "KeyPairId"), id) == 0)
				return kp;
		}
		return NULL;
	}
	if (k == VPC)
		return vpc_record(root, id, NULL);
	if (k == ADDRESS)
		return json_object_object_get_ex(store_section(root, "addresses"), id, &o) ? o : NULL;
	if (!json_object_object_get_ex(store_section(root, k == IMAGE ? "images" : "security_groups"),
				       id, &o))
		return NULL;
	if (k == IMAGE && strcmp(req_str0(o, "State"), "deregistered") == 0)
		return NULL;
	return o;
}

/* EC2's error for a stored resource that is not there. */
static void not_found(enum kind k, const char *id, struct ec2_error *err)
{
	if (k == IMAGE)
		ec2_error_set(err, EC2_ERR_AMI_NOT_FOUND, "The image id '[%s]' does not exist", id);
	else if (k == KEYPAIR)
		ec2_error_set(err, "InvalidKeyPair.NotFound", "The key pair '%s' does not exist", id);
	else if (k == VPC)
		vpc_not_found(id, err);
	else if (k == ADDRESS)
		ec2_error_set(err, "InvalidAllocationID.NotFound",
			      "The allocation ID '%s' does not exist", id);
	else
		ec2_error_set(err, "InvalidGroup.NotFound", "The security group '%s' does not exist",
			      id);
}

struct change {
	json_object *ids;  /* the store's resources (AMIs, groups) */
	json_object *tags;
	bool create;
	json_object *req;  /* for its DryRun */
};

static int change_stored(json_object *root, void *opaque, struct ec2_error *err)
{
	struct change *c = opaque;
	size_t i;

	for (i = 0; i < json_object_array_length(c->ids); i++) {
		const char *id = json_object_get_string(json_object_array_get_idx(c->ids, i));
		enum kind k = IMAGE;
		json_object *o, *list;

		kind_of(id, &k, NULL);
		o = stored(root, k, id);
		if (!o) {
			not_found(k, id, err);
			return -1;
		}
		if (!json_object_object_get_ex(o, "Tags", &list)) {
			list = json_object_new_array();
			json_object_object_add(o, "Tags", list);
		}
		if (apply(list, c->tags, c->create, err) < 0)
			return -1;
	}
	/* A dry run: every tag applied (and its limit checked), nothing written. */
	return ec2_dry_run(c->req, err) ? -1 : 0;
}

/* The live instance domain id of this state folder, or NULL. */
static struct ec2_dom *find_dom(struct ec2_dom *doms, size_t n, const char *id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(virDomainGetName(doms[i].dom), id) == 0)
			return &doms[i];
	return NULL;
}

static json_object *change_tags(struct ec2_ctx *ctx, json_object *req, bool create,
				struct ec2_error *err)
{
	json_object *ids = req_list(req, "Resources"), *tags = req_list(req, "Tags");
	json_object *in_store = json_object_new_array(), *resp = NULL, *root = NULL;
	struct change c = { in_store, tags, create, req };
	struct ec2_dom *doms = NULL;
	size_t n = 0, i;

	if (!ids || json_object_array_length(ids) == 0) {
		ec2_error_set(err, EC2_ERR_MISSING_PARAMETER,
			      "The request must contain the parameter resourceIdSet");
		goto out;
	}
	if (create && (!tags || json_object_array_length(tags) == 0)) {
		ec2_error_set(err, EC2_ERR_MISSING_PARAMETER, "The request must contain the parameter tagSet");
		goto out;
	}
	for (i = 0; tags && i < json_object_array_length(tags); i++) {
		json_object *t = json_object_array_get_idx(tags, i);

		if (tag_check(req_string(t, "Key"), create ? req_string(t, "Value") : NULL, err) < 0)
			goto out;
	}
	if (ec2_doms_list(ctx, 0, &doms, &n, err) < 0 || !(root = store_read(ctx->store, err)))
		goto out;
	/* All or nothing: every resource must exist before any changes. */
	for (i = 0; i < json_object_array_length(ids); i++) {
		const char *id = json_object_get_string(json_object_array_get_idx(ids, i));
		enum kind k;

		if (kind_of(id, &k, err) < 0)
			goto out;
		if (k == INSTANCE && !find_dom(doms, n, id)) {
			ec2_error_set(err, EC2_ERR_INSTANCE_NOT_FOUND, "The instance ID '%s' does not "
				      "exist", id);
			goto out;
		}
		if (k != INSTANCE && !stored(root, k, id)) {
			not_found(k, id, err);
			goto out;
		}
		if (k != INSTANCE)
			json_object_array_add(in_store, json_object_new_string(id));
	}
	for (i = 0; i < json_object_array_length(ids); i++) {
		const char *id = json_object_get_string(json_object_array_get_idx(ids, i));
		struct ec2_dom *d = find_dom(doms, n, id);

		if (!d)
			continue;
		if (!d->meta.tags)
			d->meta.tags = json_object_new_array();
		if (!tags) /* DeleteTags without tags: all of them */
			json_object_array_del_idx(d->meta.tags, 0, json_object_array_length(d->meta.tags));
		else if (apply(d->meta.tags, tags, create, err) < 0)
			goto out;
		if (ec2_dry_run(req, NULL))
			continue; /* checked, not saved (the dry-run point is below) */
		if (ec2_meta_save(d->dom, &d->meta, err) < 0)
			goto out;
	}
	if (!tags) {
		/* Remove everything: a delete of each tag the stored resources have. */
		json_object *every = json_object_new_array();

		for (i = 0; i < json_object_array_length(in_store); i++) {
			const char *id = json_object_get_string(json_object_array_get_idx(in_store, i));
			enum kind k = IMAGE;
			json_object *o, *list;
			size_t j;

			kind_of(id, &k, NULL);
			o = stored(root, k, id);
			if (o && json_object_object_get_ex(o, "Tags", &list))
				for (j = 0; j < json_object_array_length(list); j++) {
					const char *key = req_str0(json_object_array_get_idx(list, j), "Key");
					json_object *t;

					if (strncmp(key, "ec2-lite:", 9) == 0)
						continue; /* the system's stay */
					t = json_object_new_object();
					json_add_str(t, "Key", key);
					json_object_array_add(every, t);
				}
		}
		c.tags = every;
		i = store_update(ctx->store, change_stored, &c, err) < 0;
		json_object_put(every);
		if (i)
			goto out;
	} else if (json_object_array_length(in_store) > 0 &&
		   store_update(ctx->store, change_stored, &c, err) < 0) {
		goto out;
	}
	if (ec2_dry_run(req, err))
		goto out;
	resp = json_object_new_object();
out:
	ec2_doms_free(doms, n);
	json_object_put(root);
	json_object_put(in_store);
	return resp;
}

json_object *ec2_create_tags(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err)
{
	return change_tags(ctx, req, true, err);
}

json_object *ec2_delete_tags(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err)
{
	return change_tags(ctx, req, false, err);
}

/* ---------- DescribeTags ---------- */

static const struct filter_field tag_filters[] = {
	{ "key", "Key" },
	{ "value", "Value" },
	{ "resource-id", "ResourceId" },
	{ "resource-type", "ResourceType" },
	{ NULL, NULL },
};

static void add_descriptions(json_object *out, const char *id, const char *type, json_object *tags)
{
	size_t i;

	for (i = 0; tags && i < json_object_array_length(tags); i++) {
		json_object *t = json_object_array_get_idx(tags, i), *o;

		if (strncmp(req_str0(t, "Key"), "ec2-lite:", 9) == 0)
			continue;
		o = json_object_new_object();
		json_add_str(o, "Key", req_str0(t, "Key"));
		json_add_str(o, "ResourceId", id);
		json_add_str(o, "ResourceType", type);
		json_add_str(o, "Value", req_str0(t, "Value"));
		json_object_array_add(out, o);
	}
}

static int by_resource(const void *a, const void *b)
{
	json_object *x = *(json_object *const *)a, *y = *(json_object *const *)b;
	int c = strcmp(req_str0(x, "ResourceId"), req_str0(y, "ResourceId"));

	return c ? c : strcmp(req_str0(x, "Key"), req_str0(y, "Key"));
}

json_object *ec2_describe_tags(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err)
{
	json_object *filters = req_list(req, "Filters"), *all, *root, *list, *resp;
	struct ec2_dom *doms = NULL;
	size_t n = 0, i;

	if (filter_validate_untagged(filters, tag_filters, err) < 0 || ec2_doms_list(ctx, 0, &doms, &n, err) < 0)
		return NULL;
	root = store_read(ctx->store, err);
	if (!root) {
		ec2_doms_free(doms, n);
		return NULL;
	}
	all = json_object_new_array();
	for (i = 0; i < n; i++)
		add_descriptions(all, virDomainGetName(doms[i].dom), type_names[INSTANCE],
				 doms[i].meta.tags);
	json_object_object_foreach(store_section(root, "images"), aid, img) {
		if (strcmp(req_str0(img, "State"), "deregistered") != 0)
			add_descriptions(all, aid, type_names[IMAGE], json_object_object_get(img, "Tags"));
	}
	json_object_object_foreach(store_section(root, "security_groups"), gid, g)
		add_descriptions(all, gid, type_names[GROUP], json_object_object_get(g, "Tags"));
	json_object_object_foreach(store_section(root, "key_pairs"), kname, kp) {
		(void)kname;
		add_descriptions(all, req_str0(kp, "KeyPairId"), type_names[KEYPAIR],
				 json_object_object_get(kp, "Tags"));
	}
	json_object_object_foreach(store_section(root, "default_vpc"), vid, v)
		add_descriptions(all, vid, req_str0(v, "Type"), json_object_object_get(v, "Tags"));
	json_object_object_foreach(store_section(root, "addresses"), alloc, a)
		add_descriptions(all, alloc, type_names[ADDRESS], json_object_object_get(a, "Tags"));
	json_object_array_sort(all, by_resource);
	list = json_object_new_array();
	for (i = 0; i < json_object_array_length(all); i++) {
		json_object *t = json_object_array_get_idx(all, i);

		if (filter_match(t, filters, tag_filters))
			json_object_array_add(list, json_object_get(t));
	}
	json_object_put(all);
	json_object_put(root);
	ec2_doms_free(doms, n);
	resp = json_object_new_object();
	if (req_page_into(req, 5, 1000, list, resp, "Tags", err) < 0) {
		json_object_put(resp);
		resp = NULL;
	}
	json_object_put(list);
	return resp;
}
