/* Elastic IPs: see include/ec2lite/address.h. */
#include "ec2lite/address.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ec2lite/filter.h"
#include "ec2lite/ids.h"
#include "ec2lite/net.h"
#include "ec2lite/tags.h"
#include "ec2lite/util.h"

static const struct filter_field address_filters[] = {
	{ "allocation-id", "AllocationId" },
	{ "association-id", "AssociationId" },
	{ "domain", "Domain" },
	{ "instance-id", "InstanceId" },
	{ "network-interface-id", "NetworkInterfaceId" },
	{ "network-interface-owner-id", "NetworkInterfaceOwnerId" },
	{ "private-ip-address", "PrivateIpAddress" },
	{ "public-ip", "PublicIp" },
	{ "public-ipv4-pool", "PublicIpv4Pool" },
	{ "network-border-group", "NetworkBorderGroup" },
	{ NULL, NULL },
};

/* EC2's Address object of a store record, in the member order the aws CLI prints. */
static json_object *address_json(struct ec2_ctx *ctx, json_object *a)
{
	json_object *o = json_object_new_object(), *tags;
	bool assoc = req_string(a, "AssociationId") != NULL;

	if (assoc)
		json_add_str(o, "InstanceId", req_str0(a, "InstanceId"));
	json_add_str(o, "PublicIp", req_str0(a, "PublicIp"));
	json_add_str(o, "AllocationId", req_str0(a, "AllocationId"));
	if (assoc)
		json_add_str(o, "AssociationId", req_str0(a, "AssociationId"));
	json_add_str(o, "Domain", req_str0(a, "Domain"));
	if (assoc) {
		json_add_str(o, "NetworkInterfaceId", req_str0(a, "NetworkInterfaceId"));
		json_add_str(o, "NetworkInterfaceOwnerId", ctx->cfg->owner_id);
		json_add_str(o, "PrivateIpAddress", req_str0(a, "PrivateIpAddress"));
	}
	if (json_object_object_get_ex(a, "Tags", &tags) && json_object_array_length(tags) > 0)
		json_object_object_add(o, "Tags", json_object_get(tags));
	json_add_str(o, "PublicIpv4Pool", req_str0(a, "PublicIpv4Pool"));
	json_add_str(o, "NetworkBorderGroup", req_str0(a, "NetworkBorderGroup"));
	return o;
}

static void strip_association(json_object *a)
{
	json_object_object_del(a, "AssociationId");
	json_object_object_del(a, "InstanceId");
	json_object_object_del(a, "NetworkInterfaceId");
	json_object_object_del(a, "PrivateIpAddress");
}

void address_instance_gone(json_object *root, const char *id)
{
	json_object *addresses;

	if (!json_object_object_get_ex(root, "addresses", &addresses))
		return;
	json_object_object_foreach(addresses, alloc, a) {
		(void)alloc;
		if (strcmp(req_str0(a, "InstanceId"), id) == 0)
			strip_association(a);
	}
}

/* The record named by alloc or else ip (borrowed from root), or NULL with EC2's error. */
static json_object *find_by(json_object *root, const char *alloc, const char *ip,
			    struct ec2_error *err)
{
	json_object *addresses = store_section(root, "addresses"), *a;

	if (alloc) {
		if (!ec2_id_valid("eipalloc", alloc)) {
			ec2_error_set(err, "InvalidAllocationID.Malformed",
				      "Invalid id: \"%s\" (expecting \"eipalloc-...\")", alloc);
			return NULL;
		}
		if (!json_object_object_get_ex(addresses, alloc, &a)) {
			ec2_error_set(err, "InvalidAllocationID.NotFound",
				      "The allocation ID '%s' does not exist", alloc);
			return NULL;
		}
		return a;
	}
	if (ip) {
		json_object_object_foreach(addresses, id, rec) {
			(void)id;
			if (strcmp(req_str0(rec, "PublicIp"), ip) == 0)
				return rec;
		}
		ec2_error_set(err, "AuthFailure", "The address '%s' does not belong to you.", ip);
		return NULL;
	}
	ec2_error_set(err, EC2_ERR_MISSING_PARAMETER,
		      "Either public IP or allocation id must be specified");
	return NULL;
}

/* The record a request names by AllocationId or PublicIp. */
static json_object *find_address(json_object *root, json_object *req, struct ec2_error *err)
{
	return find_by(root, req_string(req, "AllocationId"), req_string(req, "PublicIp"), err);
}

/* Writes the instance's Elastic IP (ip and alloc, "" for none) into its metadata. */
static int meta_set(struct ec2_dom *d, const char *ip, const char *alloc, struct ec2_error *err)
{
	snprintf(d->meta.public_ip, sizeof(d->meta.public_ip), "%s", ip);
	snprintf(d->meta.eip_allocation_id, sizeof(d->meta.eip_allocation_id), "%s", alloc);
	return ec2_meta_save(d->dom, &d->meta, err);
}

static struct ec2_dom *dom_named(struct ec2_dom *doms, size_t n, const char *id)
{
	size_t i;

	for (i = 0; id && i < n; i++) {
		const char *name = virDomainGetName(doms[i].dom);

		if (name && strcmp(name, id) == 0)
			return &doms[i];
	}
	return NULL;
}

struct addr_op {
	struct ec2_ctx *ctx;
	json_object *req;
	json_object *resp;
	const char *target;           /* AssociateAddress: the instance */
	const char *eni;              /* its ENI and private IP */
	const char *private_ip;
	char alloc[EC2_ID_MAX];       /* the address acted on */
	char public_ip[16];
	char assoc[EC2_ID_MAX];       /* the association made or removed */
	char previous[EC2_ID_MAX];    /* the instance that loses the address, or "" */
};

/* ---------- AllocateAddress ---------- */

static int allocate(json_object *root, void *opaque, struct ec2_error *err)
{
	struct addr_op *op = opaque;
	json_object *addresses = store_section(root, "addresses"), *a, *tags;

	if (json_object_object_length(addresses) >= op->ctx->cfg->address_limit) {
		ec2_error_set(err, "AddressLimitExceeded",
			      "The maximum number of addresses has been reached.");
		return -1;
	}
	if (ec2_dry_run(op->req, err))
		return -1;
	if (!(tags = tag_specs(op->req, "elastic-ip", NULL, err)))
		return -1;
	if (net_public_ip_new(op->ctx, root, op->public_ip, err) < 0 ||
	    ec2_id_new("eipalloc", op->alloc, err) < 0) {
		json_object_put(tags);
		return -1;
	}
	a = json_object_new_object();
	json_add_str(a, "AllocationId", op->alloc);
	json_add_str(a, "PublicIp", op->public_ip);
	json_add_str(a, "Domain", "vpc");
	json_add_str(a, "PublicIpv4Pool", "amazon");
	json_add_str(a, "NetworkBorderGroup", op->ctx->cfg->region);
	json_object_object_add(a, "Tags", tags);
	json_object_object_add(addresses, op->alloc, a);
	return 0;
}

json_object *ec2_allocate_address(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err)
{
	struct addr_op op = { .ctx = ctx, .req = req };
	const char *domain = req_string(req, "Domain");
	const char *border = req_string(req, "NetworkBorderGroup");
	const char *pool = req_string(req, "PublicIpv4Pool");
	json_object *tags;
	int lock, rc;

	if (domain && strcmp(domain, "vpc") != 0 && strcmp(domain, "standard") != 0) {
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER, "Invalid value '%s' for domain.", domain);
		return NULL;
	}
	if (border && strcmp(border, ctx->cfg->region) != 0) {
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER,
			      "Invalid value '%s' for networkBorderGroup.", border);
		return NULL;
	}
	if (pool && strcmp(pool, "amazon") != 0) {
		ec2_error_set(err, "InvalidPublicIpv4PoolID.NotFound",
			      "The pool ID '%s' does not exist", pool);
		return NULL;
	}
	if (req_string(req, "Address")) {
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER,
			      "Invalid value '%s' for address: not one of your address pools",
			      req_string(req, "Address"));
		return NULL;
	}
	if (!(tags = tag_specs(req, "elastic-ip", NULL, err)))
		return NULL; /* checked before the limit, as EC2 checks its parameters first */
	json_object_put(tags);
	/* Under the net lock: no net_sync pass gives the chosen address to an instance meanwhile. */
	if ((lock = store_lock(ctx->store, "net", err)) < 0)
		return NULL;
	rc = store_update(ctx->store, allocate, &op, err);
	store_unlock(lock);
	if (rc < 0)
		return NULL;
	op.resp = json_object_new_object();
	json_add_str(op.resp, "PublicIp", op.public_ip);
	json_add_str(op.resp, "AllocationId", op.alloc);
	json_add_str(op.resp, "PublicIpv4Pool", "amazon");
	json_add_str(op.resp, "NetworkBorderGroup", ctx->cfg->region);
	json_add_str(op.resp, "Domain", "vpc");
	return op.resp;
}

/* ---------- AssociateAddress ---------- */

static int associate(json_object *root, void *opaque, struct ec2_error *err)
{
	struct addr_op *op = opaque;
	json_object *a = find_address(root, op->req, err), *addresses;
	const char *cur;
	bool allow = true;

	if (!a)
		return -1;
	if (json_object_object_get_ex(store_section(root, "terminated"), op->target, NULL)) {
		ec2_error_set(err, EC2_ERR_INCORRECT_STATE,
			      "The instance '%s' is not in a valid state for this operation.",
			      op->target);
		return -1;
	}
	cur = req_string(a, "InstanceId");
	/* In an EC2-VPC account reassociation is automatic; AllowReassociation false refuses it. */
	if (req_bool(op->req, "AllowReassociation", &allow, err) < 0)
		return -1;
	if (cur && strcmp(cur, op->target) != 0 && !allow) {
		ec2_error_set(err, "Resource.AlreadyAssociated",
			      "resource %s is already associated with associate-id %s",
			      req_str0(a, "AllocationId"), req_str0(a, "AssociationId"));
		return -1;
	}
	if (ec2_dry_run(op->req, err))
		return -1;
	snprintf(op->previous, sizeof(op->previous), "%s",
		 cur && strcmp(cur, op->target) != 0 ? cur : "");
	/* The instance's Elastic IP of before, if another, is disassociated and stays allocated. */
	addresses = store_section(root, "addresses");
	json_object_object_foreach(addresses, id, other) {
		(void)id;
		if (other != a && strcmp(req_str0(other, "InstanceId"), op->target) == 0)
			strip_association(other);
	}
	if (ec2_id_new("eipassoc", op->assoc, err) < 0)
		return -1;
	snprintf(op->alloc, sizeof(op->alloc), "%s", req_str0(a, "AllocationId"));
	snprintf(op->public_ip, sizeof(op->public_ip), "%s", req_str0(a, "PublicIp"));
	json_add_str(a, "AssociationId", op->assoc);
	json_add_str(a, "InstanceId", op->target);
	json_add_str(a, "NetworkInterfaceId", op->eni);
	json_add_str(a, "PrivateIpAddress", op->private_ip);
	return 0;
}

/* Undoes an association whose metadata could not be written (if it is still the one made). */
static int unassociate(json_object *root, void *opaque, struct ec2_error *err)
{
	struct addr_op *op = opaque;
	json_object *a;

	(void)err;
	if (json_object_object_get_ex(store_section(root, "addresses"), op->alloc, &a) &&
	    strcmp(req_str0(a, "AssociationId"), op->assoc) == 0)
		strip_association(a);
	return 0;
}

/* The instance AssociateAddress names (by InstanceId or NetworkInterfaceId) among doms, or NULL
 * with EC2's error. */
static struct ec2_dom *target_of(struct ec2_ctx *ctx, json_object *req, struct ec2_dom *doms,
				 size_t n, struct ec2_error *err)
{
	const char *iid = req_string(req, "InstanceId"), *eni = req_string(req, "NetworkInterfaceId");
	const char *pip = req_string(req, "PrivateIpAddress");
	struct ec2_dom *d = NULL;
	size_t i;

	if (iid && !ec2_id_valid("i", iid)) {
		ec2_error_set(err, EC2_ERR_INSTANCE_MALFORMED, "Invalid id: \"%s\"", iid);
		return NULL;
	}
	if (eni && !ec2_id_valid("eni", eni)) {
		ec2_error_set(err, "InvalidNetworkInterfaceID.Malformed",
			      "Invalid id: \"%s\" (expecting \"eni-...\")", eni);
		return NULL;
	}
	if (iid && eni) {
		/* botocore's model: the instance or the network interface, not both. */
		ec2_error_set(err, EC2_ERR_INVALID_COMBINATION, "You can specify either an instance "
			      "ID or a network interface ID, but not both.");
		return NULL;
	}
	if (iid) {
		d = dom_named(doms, n, iid);
		if (!d) {
			json_object *root = store_read(ctx->store, NULL);
			bool gone = root && json_object_object_get_ex(store_section(root, "terminated"),
								      iid, NULL);

			json_object_put(root);
			if (gone)
				ec2_error_set(err, EC2_ERR_INCORRECT_STATE, "The instance '%s' is not "
					      "in a valid state for this operation.", iid);
			else
				ec2_error_set(err, EC2_ERR_INSTANCE_NOT_FOUND,
					      "The instance ID '%s' does not exist", iid);
			return NULL;
		}
		if (!d->meta.private_ip[0] || !d->meta.eni_id[0]) {
			ec2_error_set(err, EC2_ERR_INCORRECT_STATE,
				      "The instance '%s' has no network interface", iid);
			return NULL;
		}
	} else if (eni) {
		for (i = 0; i < n && !d; i++)
			if (doms[i].meta.private_ip[0] && strcmp(doms[i].meta.eni_id, eni) == 0)
				d = &doms[i];
		if (!d) {
			ec2_error_set(err, "InvalidNetworkInterfaceID.NotFound",
				      "The networkInterface ID '%s' does not exist", eni);
			return NULL;
		}
	} else {
		ec2_error_set(err, EC2_ERR_MISSING_PARAMETER,
			      "Either instance ID or network interface id must be specified");
		return NULL;
	}
	if (pip && strcmp(pip, d->meta.private_ip) != 0) {
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER, "The private IP address %s is not "
			      "associated with the network interface %s", pip, d->meta.eni_id);
		return NULL;
	}
	return d;
}

json_object *ec2_associate_address(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err)
{
	struct addr_op op = { .ctx = ctx, .req = req };
	struct ec2_dom *doms = NULL, *d, *prev;
	json_object *root = NULL;
	size_t n = 0;
	bool allow;
	int lock;

	if (!req_string(req, "AllocationId") && !req_string(req, "PublicIp")) {
		ec2_error_set(err, EC2_ERR_MISSING_PARAMETER,
			      "Either public IP or allocation id must be specified");
		return NULL;
	}
	if (req_bool(req, "AllowReassociation", &allow, err) < 0)
		return NULL;
	if ((lock = store_lock(ctx->store, "net", err)) < 0)
		return NULL;
	/* The address is checked first (again when it is written), then the instance. */
	if (!(root = store_read(ctx->store, err)) || !find_address(root, req, err) ||
	    ec2_doms_list(ctx, 0, &doms, &n, err) < 0 || !(d = target_of(ctx, req, doms, n, err)))
		goto fail;
	json_object_put(root);
	root = NULL;
	op.target = virDomainGetName(d->dom);
	op.eni = d->meta.eni_id;
	op.private_ip = d->meta.private_ip;
	if (store_update(ctx->store, associate, &op, err) < 0)
		goto fail;
	if (meta_set(d, op.public_ip, op.alloc, err) < 0) {
		store_update(ctx->store, unassociate, &op, NULL);
		goto fail;
	}
	/* The instance that had it: no public IP until net_sync gives a running one another. */
	if (op.previous[0] && (prev = dom_named(doms, n, op.previous)))
		meta_set(prev, "", "", NULL);
	store_unlock(lock);
	ec2_doms_free(doms, n);
	net_sync_since(ctx, util_monotonic(), NULL); /* the forwards move to the address now */
	op.resp = json_object_new_object();
	json_add_str(op.resp, "AssociationId", op.assoc);
	return op.resp;
fail:
	store_unlock(lock);
	json_object_put(root);
	ec2_doms_free(doms, n);
	return NULL;
}

/* ---------- DisassociateAddress ---------- */

static int disassociate(json_object *root, void *opaque, struct ec2_error *err)
{
	struct addr_op *op = opaque;
	const char *assoc = req_string(op->req, "AssociationId");
	json_object *a = NULL;

	if (assoc) {
		json_object_object_foreach(store_section(root, "addresses"), id, rec) {
			(void)id;
			if (strcmp(req_str0(rec, "AssociationId"), assoc) == 0)
				a = rec;
		}
		if (!a) {
			ec2_error_set(err, "InvalidAssociationID.NotFound",
				      "The association ID '%s' does not exist", assoc);
			return -1;
		}
	} else if (!req_string(op->req, "PublicIp")) {
		ec2_error_set(err, EC2_ERR_MISSING_PARAMETER,
			      "Either public IP or association id must be specified");
		return -1;
	} else if (!(a = find_by(root, NULL, req_string(op->req, "PublicIp"), err))) {
		return -1;
	}
	if (ec2_dry_run(op->req, err))
		return -1;
	snprintf(op->previous, sizeof(op->previous), "%s", req_str0(a, "InstanceId"));
	strip_association(a);
	return 0;
}

json_object *ec2_disassociate_address(struct ec2_ctx *ctx, json_object *req,
				      struct ec2_error *err)
{
	struct addr_op op = { .ctx = ctx, .req = req };
	struct ec2_dom *doms = NULL, *prev;
	size_t n = 0;
	int lock, rc;

	if ((lock = store_lock(ctx->store, "net", err)) < 0)
		return NULL;
	rc = store_update(ctx->store, disassociate, &op, err);
	if (rc == 0 && op.previous[0] && ec2_doms_list(ctx, 0, &doms, &n, NULL) == 0 &&
	    (prev = dom_named(doms, n, op.previous)))
		meta_set(prev, "", "", NULL); /* else the next net_sync pass makes it follow */
	store_unlock(lock);
	ec2_doms_free(doms, n);
	if (rc < 0)
		return NULL;
	if (op.previous[0])
		net_sync_since(ctx, util_monotonic(), NULL); /* a running one gets a new public IP */
	return json_object_new_object();
}

/* ---------- ReleaseAddress ---------- */

static int release(json_object *root, void *opaque, struct ec2_error *err)
{
	struct addr_op *op = opaque;
	json_object *a = find_address(root, op->req, err);

	if (!a)
		return -1;
	if (req_string(a, "AssociationId")) {
		ec2_error_set(err, "InvalidIPAddress.InUse", "Address %s is in use.",
			      req_str0(a, "PublicIp"));
		return -1;
	}
	if (ec2_dry_run(op->req, err))
		return -1;
	json_object_object_del(store_section(root, "addresses"), req_str0(a, "AllocationId"));
	return 0;
}

json_object *ec2_release_address(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err)
{
	struct addr_op op = { .ctx = ctx, .req = req };
	int lock, rc;

	if ((lock = store_lock(ctx->store, "net", err)) < 0)
		return NULL;
	rc = store_update(ctx->store, release, &op, err);
	store_unlock(lock);
	return rc < 0 ? NULL : json_object_new_object();
}

/* ---------- DescribeAddresses ---------- */

static int by_public_ip(const void *a, const void *b)
{
	json_object *const *x = a, *const *y = b;

	return strcmp(req_str0(*x, "PublicIp"), req_str0(*y, "PublicIp"));
}

json_object *ec2_describe_addresses(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err)
{
	json_object *filters = req_list(req, "Filters"), *ips = req_list(req, "PublicIps");
	json_object *allocs = req_list(req, "AllocationIds"), *root, *addresses, *list, *resp, *a;
	size_t i;

	if (filter_validate(filters, address_filters, err) < 0 ||
	    ec2_ids_check(allocs, "eipalloc", "InvalidAllocationID.Malformed", err) < 0)
		return NULL;
	if (!(root = store_read(ctx->store, err)))
		return NULL;
	addresses = store_section(root, "addresses");
	for (i = 0; allocs && i < json_object_array_length(allocs); i++) {
		const char *id = json_object_get_string(json_object_array_get_idx(allocs, i));

		if (!json_object_object_get_ex(addresses, id, NULL)) {
			ec2_error_set(err, "InvalidAllocationID.NotFound",
				      "The allocation ID '%s' does not exist", id);
			json_object_put(root);
			return NULL;
		}
	}
	for (i = 0; ips && i < json_object_array_length(ips); i++) {
		const char *ip = json_object_get_string(json_object_array_get_idx(ips, i));
		bool found = false;

		json_object_object_foreach(addresses, id, rec) {
			(void)id;
			found |= strcmp(req_str0(rec, "PublicIp"), ip) == 0;
		}
		if (!found) {
			ec2_error_set(err, "InvalidAddress.NotFound", "Address '%s' not found.", ip);
			json_object_put(root);
			return NULL;
		}
	}
	list = json_object_new_array();
	json_object_object_foreach(addresses, id, rec) {
		if (!json_strlist_wants(allocs, id) ||
		    !json_strlist_wants(ips, req_str0(rec, "PublicIp")))
			continue;
		a = address_json(ctx, rec);
		if (filter_match(a, filters, address_filters))
			json_object_array_add(list, a);
		else
			json_object_put(a);
	}
	json_object_array_sort(list, by_public_ip);
	json_object_put(root);
	resp = json_object_new_object();
	json_object_object_add(resp, "Addresses", list);
	return resp;
}
