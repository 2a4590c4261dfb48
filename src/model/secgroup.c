/* Security groups and key pairs: see include/ec2lite/secgroup.h. */
#include "ec2lite/secgroup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ec2lite/domxml.h"
#include "ec2lite/filter.h"
#include "ec2lite/ids.h"
#include "ec2lite/net.h"
#include "ec2lite/util.h"
#include "ec2lite/vpc.h"

/* ---------- security groups ---------- */

/* The store's groups, with the default group made on first use. */
static json_object *groups_of(struct ec2_ctx *ctx, json_object *root)
{
	json_object *groups = store_section(root, "security_groups"), *g;
	bool have_default = false;
	const char *vpc;

	vpc_layout(ctx, root); /* the default VPC the default group belongs to */
	vpc = req_string(root, "DefaultVpcId");
	json_object_object_foreach(groups, gid, grp) {
		(void)gid;
		have_default |= strcmp(req_str0(grp, "GroupName"), "default") == 0;
	}
	if (!have_default) {
		char id[EC2_ID_MAX];

		ec2_id_new("sg", id, NULL);
		g = json_object_new_object();
		json_add_str(g, "GroupId", id);
		json_add_str(g, "GroupName", "default");
		json_add_str(g, "Description", "default VPC security group");
		json_add_str(g, "VpcId", vpc);
		json_add_str(g, "OwnerId", ctx->cfg->owner_id);
		json_object_object_add(g, "Rules", json_object_new_array());
		json_object_object_add(groups, id, g);
	}
	return groups;
}

static int ensure_defaults(json_object *root, void *opaque, struct ec2_error *err)
{
	(void)err;
	groups_of(opaque, root);
	return 0;
}

/* A snapshot of the store for reading groups: the default VPC and group are written once, the
 * first time they are missing, instead of on every read. */
static json_object *read_groups(struct ec2_ctx *ctx, struct ec2_error *err)
{
	json_object *root = store_read(ctx->store, err), *groups;
	bool have = false;

	if (!root)
		return NULL;
	groups = store_section(root, "security_groups");
	json_object_object_foreach(groups, gid, g) {
		(void)gid;
		have |= strcmp(req_str0(g, "GroupName"), "default") == 0;
	}
	if (have && !vpc_layout(ctx, root))
		return root;
	json_object_put(root);
	if (store_update(ctx->store, ensure_defaults, ctx, err) < 0)
		return NULL;
	return store_read(ctx->store, err);
}

static json_object *find_group(json_object *groups, const char *id, const char *name)
{
	json_object_object_foreach(groups, gid, g) {
		if ((id && strcmp(gid, id) == 0) || (name && strcmp(req_str0(g, "GroupName"), name) == 0))
			return g;
	}
	return NULL;
}

/* EC2's IpPermissions: the rules grouped by protocol and ports, their CIDRs in IpRanges. */
static json_object *permissions(json_object *rules)
{
	json_object *out = json_object_new_array();
	size_t i, j;

	for (i = 0; i < json_object_array_length(rules); i++) {
		json_object *r = json_object_array_get_idx(rules, i), *perm = NULL, *ranges, *range;
		long long from = -1, to = -1;

		req_int(r, "FromPort", &from, NULL);
		req_int(r, "ToPort", &to, NULL);
		for (j = 0; j < json_object_array_length(out) && !perm; j++) {
			json_object *p = json_object_array_get_idx(out, j);
			long long pf = -1, pt = -1;

			req_int(p, "FromPort", &pf, NULL);
			req_int(p, "ToPort", &pt, NULL);
			if (strcmp(req_str0(p, "IpProtocol"), req_str0(r, "IpProtocol")) == 0 && pf == from && pt == to)
				perm = p;
		}
		if (!perm) {
			perm = json_object_new_object();
			if (strcmp(req_str0(r, "IpProtocol"), "-1") != 0)
				json_add_int(perm, "FromPort", from);
			json_add_str(perm, "IpProtocol", req_str0(r, "IpProtocol"));
			json_object_object_add(perm, "IpRanges", json_object_new_array());
			json_object_object_add(perm, "Ipv6Ranges", json_object_new_array());
			json_object_object_add(perm, "PrefixListIds", json_object_new_array());
			if (strcmp(req_str0(r, "IpProtocol"), "-1") != 0)
				json_add_int(perm, "ToPort", to);
			json_object_object_add(perm, "UserIdGroupPairs", json_object_new_array());
			json_object_array_add(out, perm);
		}
		json_object_object_get_ex(perm, "IpRanges", &ranges);
		range = json_object_new_object();
		json_add_str(range, "CidrIp", req_str0(r, "CidrIpv4"));
		if (req_string(r, "Description"))
			json_add_str(range, "Description", req_str0(r, "Description"));
		json_object_array_add(ranges, range);
	}
	return out;
}

static json_object *group_json(json_object *g)
{
	json_object *o = json_object_new_object(), *rules, *egress, *e, *ranges, *range;

	json_object_object_get_ex(g, "Rules", &rules);
	json_add_str(o, "Description", req_str0(g, "Description"));
	json_add_str(o, "GroupName", req_str0(g, "GroupName"));
	json_object_object_add(o, "IpPermissions", permissions(rules));
	json_add_str(o, "OwnerId", req_str0(g, "OwnerId"));
	json_add_str(o, "GroupId", req_str0(g, "GroupId"));
	egress = json_object_new_array();
	e = json_object_new_object();
	json_add_str(e, "IpProtocol", "-1");
	ranges = json_object_new_array();
	range = json_object_new_object();
	json_add_str(range, "CidrIp", "0.0.0.0/0");
	json_object_array_add(ranges, range);
	json_object_object_add(e, "IpRanges", ranges);
	json_object_object_add(e, "Ipv6Ranges", json_object_new_array());
	json_object_object_add(e, "PrefixListIds", json_object_new_array());
	json_object_object_add(e, "UserIdGroupPairs", json_object_new_array());
	json_object_array_add(egress, e);
	json_object_object_add(o, "IpPermissionsEgress", egress);
	json_add_str(o, "VpcId", req_str0(g, "VpcId"));
	if (json_object_object_get_ex(g, "Tags", &e) && json_object_array_length(e) > 0)
		json_object_object_add(o, "Tags", json_object_get(e));
	return o;
}

struct sg_op {
	struct ec2_ctx *ctx;
	json_object *req;
	json_object *resp;
	json_object *tags; /* CreateSecurityGroup: its TagSpecifications' tags */
};

static int sg_create(json_object *root, void *opaque, struct ec2_error *err)
{
	struct sg_op *op = opaque;
	json_object *groups = groups_of(op->ctx, root), *g;
	const char *name = req_string(op->req, "GroupName");
	const char *desc = req_string(op->req, "Description");
	char id[EC2_ID_MAX];

	if (!name || !desc) {
		ec2_error_set(err, EC2_ERR_MISSING_PARAMETER, "The request must contain the parameter %s",
			      !name ? "GroupName" : "GroupDescription");
		return -1;
	}
	/* Checked first: the message below repeats the name. */
	if (req_text_check("GroupName", name, 255, err) < 0 ||
	    req_text_check("GroupDescription", desc, 255, err) < 0)
		return -1;
	if (!*name || strlen(name) > 255 || strncasecmp(name, "sg-", 3) == 0 || strlen(desc) > 255) {
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER,
			      "Invalid value '%s' for groupName: 1 to 255 characters, not starting "
			      "with sg- (and a description of at most 255)", name);
		return -1;
	}
	if (find_group(groups, NULL, name)) {
		ec2_error_set(err, "InvalidGroup.Duplicate",
			      "The security group '%s' already exists for VPC '%s'", name,
			      req_str0(root, "DefaultVpcId"));
		return -1;
	}
	if (ec2_dry_run(op->req, err))
		return -1; /* nothing written: store_update keeps the store as it was */
	ec2_id_new("sg", id, NULL);
	g = json_object_new_object();
	json_add_str(g, "GroupId", id);
	json_add_str(g, "GroupName", name);
	json_add_str(g, "Description", desc);
	json_add_str(g, "VpcId", req_str0(root, "DefaultVpcId"));
	json_add_str(g, "OwnerId", op->ctx->cfg->owner_id);
	json_object_object_add(g, "Rules", json_object_new_array());
	if (json_object_array_length(op->tags) > 0)
		json_object_object_add(g, "Tags", json_object_get(op->tags));
	json_object_object_add(groups, id, g);
	op->resp = json_object_new_object();
	json_add_str(op->resp, "GroupId", id);
	if (json_object_array_length(op->tags) > 0)
		json_object_object_add(op->resp, "Tags", json_object_get(op->tags));
	return 0;
}

json_object *ec2_create_security_group(struct ec2_ctx *ctx, json_object *req,
				       struct ec2_error *err)
{
	struct sg_op op = { ctx, req, NULL, tag_specs(req, "security-group", NULL, err) };
	int rc;

	if (!op.tags)
		return NULL;
	rc = store_update(ctx->store, sg_create, &op, err);
	json_object_put(op.tags);
	return rc < 0 ? NULL : op.resp;
}

/* The group a request names by GroupId or GroupName. */
static json_object *req_group(json_object *groups, json_object *req, struct ec2_error *err)
{
	const char *id = req_string(req, "GroupId"), *name = req_string(req, "GroupName");
	json_object *g;

	if (!id && !name) {
		ec2_error_set(err, EC2_ERR_MISSING_PARAMETER,
			      "The request must contain the parameter groupId or groupName");
		return NULL;
	}
	if (id && !ec2_id_valid("sg", id)) {
		ec2_error_set(err, "InvalidGroupId.Malformed", "Invalid id: \"%s\"", id);
		return NULL;
	}
	g = find_group(groups, id, id ? NULL : name);
	if (!g)
		ec2_error_set(err, "InvalidGroup.NotFound", "The security group '%s' does not exist",
			      id ? id : name);
	return g;
}

static int valid_cidr(const char *cidr)
{
	uint32_t base;
	unsigned bits;

	return net_cidr_parse(cidr, &base, &bits) == 0;
}

/* The rules a request names: IpPermissions, or the flat IpProtocol/FromPort/ToPort/CidrIp
 * (and the CLI's Port "N" or "N-M"). Each comes out as {IpProtocol, FromPort, ToPort, CidrIpv4}. */
static json_object *req_rules(json_object *req, struct ec2_error *err)
{
	json_object *perms = req_list(req, "IpPermissions"), *flat = NULL, *out;
	size_t i, j;

	if (!perms) {
		flat = json_object_new_array();
		json_object_array_add(flat, json_object_get(req));
		perms = flat;
	}
	out = json_object_new_array();
	for (i = 0; i < json_object_array_length(perms); i++) {
		json_object *p = json_object_array_get_idx(perms, i), *ranges = req_list(p, "IpRanges");
		const char *proto = req_string(p, "IpProtocol"), *port = req_string(p, "Port");
		long long from = -1, to = -1;

		if (!proto) {
			ec2_error_set(err, EC2_ERR_MISSING_PARAMETER,
				      "The request must contain the parameter ipProtocol");
			goto fail;
		}
		if (strcasecmp(proto, "all") == 0 || strcmp(proto, "-1") == 0)
			proto = "-1";
		else if (strcasecmp(proto, "tcp") == 0 || strcmp(proto, "6") == 0)
			proto = "tcp";
		else if (strcasecmp(proto, "udp") == 0 || strcmp(proto, "17") == 0)
			proto = "udp";
		else if (strcasecmp(proto, "icmp") == 0 || strcmp(proto, "1") == 0)
			proto = "icmp";
		else {
			ec2_error_set(err, EC2_ERR_INVALID_PARAMETER,
				      "Invalid value '%s' for IP protocol. Unknown protocol.", proto);
			goto fail;
		}
		if (port) {
			char *end;

			from = to = strtoll(port, &end, 10);
			if (*end == '-')
				to = strtoll(end + 1, &end, 10);
			if (*port == '\0' || *end != '\0') {
				ec2_error_set(err, EC2_ERR_INVALID_PARAMETER, "Invalid port '%s'", port);
				goto fail;
			}
		} else if (req_int(p, "FromPort", &from, err) < 0 || req_int(p, "ToPort", &to, err) < 0) {
			goto fail;
		}
		if (strcmp(proto, "-1") == 0) {
			from = to = -1;
		} else if (strcmp(proto, "icmp") != 0 &&
			   (from < 0 || to > 65535 || from > to)) {
			ec2_error_set(err, EC2_ERR_INVALID_PARAMETER,
				      "Invalid port range %lld-%lld: ports go from 0 to 65535, the first "
				      "not above the last", from, to);
			goto fail;
		}
		if (!ranges) {
			json_object *one = json_object_new_object();

			json_add_str(one, "CidrIp", req_string(p, "CidrIp") ? req_string(p, "CidrIp") : "");
			json_object_object_add(p, "IpRanges", json_object_new_array());
			ranges = req_list(p, "IpRanges");
			json_object_array_add(ranges, one);
		}
		for (j = 0; j < json_object_array_length(ranges); j++) {
			json_object *rg = json_object_array_get_idx(ranges, j), *r;
			const char *cidr = req_string(rg, "CidrIp");

			if (req_text_check("CidrIp", cidr, 64, err) < 0 ||
			    req_text_check("Description", req_string(rg, "Description"), 255, err) < 0)
				goto fail;
			if (!valid_cidr(cidr)) {
				ec2_error_set(err, EC2_ERR_INVALID_PARAMETER,
					      "CIDR block %s is malformed", cidr && *cidr ? cidr : "(none)");
				goto fail;
			}
			r = json_object_new_object();
			json_add_str(r, "IpProtocol", proto);
			json_add_int(r, "FromPort", from);
			json_add_int(r, "ToPort", to);
			json_add_str(r, "CidrIpv4", cidr);
			if (req_string(rg, "Description"))
				json_add_str(r, "Description", req_string(rg, "Description"));
			json_object_array_add(out, r);
		}
	}
	json_object_put(flat);
	return out;
fail:
	json_object_put(flat);
	json_object_put(out);
	return NULL;
}

static bool same_rule(json_object *a, json_object *b)
{
	long long af = 0, at = 0, bf = 0, bt = 0;

	req_int(a, "FromPort", &af, NULL);
	req_int(a, "ToPort", &at, NULL);
	req_int(b, "FromPort", &bf, NULL);
	req_int(b, "ToPort", &bt, NULL);
	return strcmp(req_str0(a, "IpProtocol"), req_str0(b, "IpProtocol")) == 0 && af == bf && at == bt &&
	       strcmp(req_str0(a, "CidrIpv4"), req_str0(b, "CidrIpv4")) == 0;
}

/* EC2's wording of a rule in InvalidPermission.Duplicate. */
static void rule_text(json_object *r, char *buf, size_t size)
{
	char proto[8];
	size_t i;

	snprintf(proto, sizeof(proto), "%s", strcmp(req_str0(r, "IpProtocol"), "-1") == 0 ? "ALL" :
		 req_str0(r, "IpProtocol"));
	for (i = 0; proto[i]; i++)
		proto[i] = (char)(proto[i] >= 'a' && proto[i] <= 'z' ? proto[i] - 32 : proto[i]);
	snprintf(buf, size, "peer: %s, %s, from port: %s, to port: %s, ALLOW", req_str0(r, "CidrIpv4"),
		 proto, req_str0(r, "FromPort"), req_str0(r, "ToPort"));
}

static int sg_authorize(json_object *root, void *opaque, struct ec2_error *err)
{
	struct sg_op *op = opaque;
	json_object *g = req_group(groups_of(op->ctx, root), op->req, err), *rules, *add, *out;
	size_t i, j;

	if (!g || !(add = req_rules(op->req, err)))
		return -1;
	json_object_object_get_ex(g, "Rules", &rules);
	for (i = 0; i < json_object_array_length(add); i++)
		for (j = 0; j < json_object_array_length(rules); j++)
			if (same_rule(json_object_array_get_idx(add, i), json_object_array_get_idx(rules, j))) {
				char text[200];

				rule_text(json_object_array_get_idx(add, i), text, sizeof(text));
				ec2_error_set(err, "InvalidPermission.Duplicate",
					      "the specified rule \"%s\" already exists", text);
				json_object_put(add);
				return -1;
			}
	if (ec2_dry_run(op->req, err)) {
		json_object_put(add);
		return -1;
	}
	out = json_object_new_array();
	for (i = 0; i < json_object_array_length(add); i++) {
		json_object *r = json_object_array_get_idx(add, i), *shown;
		char id[EC2_ID_MAX];

		ec2_id_new("sgr", id, NULL);
		json_add_str(r, "SecurityGroupRuleId", id);
		json_object_array_add(rules, json_object_get(r));
		shown = json_object_new_object();
		json_add_str(shown, "SecurityGroupRuleId", id);
		json_add_str(shown, "GroupId", req_str0(g, "GroupId"));
		json_add_str(shown, "GroupOwnerId", req_str0(g, "OwnerId"));
		json_add_bool(shown, "IsEgress", false);
		json_add_str(shown, "IpProtocol", req_str0(r, "IpProtocol"));
		json_object_object_add(shown, "FromPort", json_object_get(json_object_object_get(r, "FromPort")));
		json_object_object_add(shown, "ToPort", json_object_get(json_object_object_get(r, "ToPort")));
		json_add_str(shown, "CidrIpv4", req_str0(r, "CidrIpv4"));
		json_object_array_add(out, shown);
	}
	json_object_put(add);
	op->resp = json_object_new_object();
	json_add_bool(op->resp, "Return", true);
	json_object_object_add(op->resp, "SecurityGroupRules", out);
	return 0;
}

json_object *ec2_authorize_security_group_ingress(struct ec2_ctx *ctx, json_object *req,
						  struct ec2_error *err)
{
	struct sg_op op = { ctx, req, NULL, NULL };

	if (store_update(ctx->store, sg_authorize, &op, err) < 0)
		return NULL;
	/* The new rule opens its port on running instances at once. */
	net_sync(ctx, NULL);
	return op.resp;
}

static int sg_revoke(json_object *root, void *opaque, struct ec2_error *err)
{
	struct sg_op *op = opaque;
	json_object *g = req_group(groups_of(op->ctx, root), op->req, err), *rules, *gone, *kept;
	size_t i, j;

	if (!g || !(gone = req_rules(op->req, err)))
		return -1;
	json_object_object_get_ex(g, "Rules", &rules);
	for (i = 0; i < json_object_array_length(gone); i++) {
		bool found = false;

		for (j = 0; j < json_object_array_length(rules) && !found; j++)
			found = same_rule(json_object_array_get_idx(gone, i),
					  json_object_array_get_idx(rules, j));
		if (!found) {
			ec2_error_set(err, "InvalidPermission.NotFound",
				      "The specified rule does not exist in this security group.");
			json_object_put(gone);
			return -1;
		}
	}
	if (ec2_dry_run(op->req, err)) {
		json_object_put(gone);
		return -1;
	}
	kept = json_object_new_array();
	for (j = 0; j < json_object_array_length(rules); j++) {
		json_object *r = json_object_array_get_idx(rules, j);
		bool drop = false;

		for (i = 0; i < json_object_array_length(gone) && !drop; i++)
			drop = same_rule(json_object_array_get_idx(gone, i), r);
		if (!drop)
			json_object_array_add(kept, json_object_get(r));
	}
	json_object_object_add(g, "Rules", kept);
	json_object_put(gone);
	op->resp = json_object_new_object();
	json_add_bool(op->resp, "Return", true);
	return 0;
}

json_object *ec2_revoke_security_group_ingress(struct ec2_ctx *ctx, json_object *req,
					       struct ec2_error *err)
{
	struct sg_op op = { ctx, req, NULL, NULL };

	if (store_update(ctx->store, sg_revoke, &op, err) < 0)
		return NULL;
	net_sync(ctx, NULL); /* and a revoked one closes at once */
	return op.resp;
}

/* Every filter botocore documents for DescribeSecurityGroups, and where it reads in the group. */
static const struct filter_field group_filters[] = {
	{ "description", "Description" },
	{ "egress.ip-permission.cidr", "IpPermissionsEgress.IpRanges.CidrIp" },
	{ "egress.ip-permission.from-port", "IpPermissionsEgress.FromPort" },
	{ "egress.ip-permission.group-id", "IpPermissionsEgress.UserIdGroupPairs.GroupId" },
	{ "egress.ip-permission.group-name", "IpPermissionsEgress.UserIdGroupPairs.GroupName" },
	{ "egress.ip-permission.ipv6-cidr", "IpPermissionsEgress.Ipv6Ranges.CidrIpv6" },
	{ "egress.ip-permission.prefix-list-id", "IpPermissionsEgress.PrefixListIds.PrefixListId" },
	{ "egress.ip-permission.protocol", "IpPermissionsEgress.IpProtocol" },
	{ "egress.ip-permission.to-port", "IpPermissionsEgress.ToPort" },
	{ "egress.ip-permission.user-id", "IpPermissionsEgress.UserIdGroupPairs.UserId" },
	{ "group-id", "GroupId" },
	{ "group-name", "GroupName" },
	{ "ip-permission.cidr", "IpPermissions.IpRanges.CidrIp" },
	{ "ip-permission.from-port", "IpPermissions.FromPort" },
	{ "ip-permission.group-id", "IpPermissions.UserIdGroupPairs.GroupId" },
	{ "ip-permission.group-name", "IpPermissions.UserIdGroupPairs.GroupName" },
	{ "ip-permission.ipv6-cidr", "IpPermissions.Ipv6Ranges.CidrIpv6" },
	{ "ip-permission.prefix-list-id", "IpPermissions.PrefixListIds.PrefixListId" },
	{ "ip-permission.protocol", "IpPermissions.IpProtocol" },
	{ "ip-permission.to-port", "IpPermissions.ToPort" },
	{ "ip-permission.user-id", "IpPermissions.UserIdGroupPairs.UserId" },
	{ "owner-id", "OwnerId" },
	{ "vpc-id", "VpcId" },
	{ NULL, NULL },
};

json_object *ec2_security_groups_described(struct ec2_ctx *ctx, struct ec2_error *err)
{
	json_object *root = read_groups(ctx, err), *groups, *shown, *out;

	if (!root)
		return NULL;
	groups = groups_of(ctx, root);
	shown = json_object_new_object();
	json_object_object_foreach(groups, gid, g)
		json_object_object_add(shown, gid, group_json(g));
	out = json_object_new_object();
	json_add_str(out, "DefaultVpcId", req_str0(root, "DefaultVpcId"));
	json_object_object_add(out, "SecurityGroups", shown);
	json_object_put(root);
	return out;
}

json_object *ec2_describe_security_groups_from(struct ec2_ctx *ctx, json_object *req,
					       json_object *described, struct ec2_error *err)
{
	json_object *ids = req_list(req, "GroupIds"), *names = req_list(req, "GroupNames");
	json_object *filters = req_list(req, "Filters");
	json_object *groups = NULL, *list, *resp;
	size_t i;

	(void)ctx;
	json_object_object_get_ex(described, "SecurityGroups", &groups);
	if (ec2_ids_check(ids, "sg", "InvalidGroupId.Malformed", err) < 0 ||
	    filter_validate(filters, group_filters, err) < 0)
		return NULL;
	if ((ids || names) && json_object_object_get_ex(req, "MaxResults", NULL)) {
		ec2_error_set(err, EC2_ERR_INVALID_COMBINATION, "The parameter %s cannot be used with "
			      "the parameter maxResults", ids ? "groupIdSet" : "groupNameSet");
		return NULL;
	}
	for (i = 0; ids && i < json_object_array_length(ids); i++)
		if (!find_group(groups, json_object_get_string(json_object_array_get_idx(ids, i)), NULL)) {
			ec2_error_set(err, "InvalidGroup.NotFound", "The security group '%s' does not exist",
				      json_object_get_string(json_object_array_get_idx(ids, i)));
			return NULL;
		}
	for (i = 0; names && i < json_object_array_length(names); i++)
		if (!find_group(groups, NULL, json_object_get_string(json_object_array_get_idx(names, i)))) {
			ec2_error_set(err, "InvalidGroup.NotFound",
				      "The security group '%s' does not exist in default VPC '%s'",
				      json_object_get_string(json_object_array_get_idx(names, i)),
				      req_str0(described, "DefaultVpcId"));
			return NULL;
		}
	list = json_object_new_array();
	json_object_object_foreach(groups, gid, g) {
		/* By id or by name: either list, or both, name the groups wanted. */
		if (!(ids && names ? json_strlist_wants(ids, gid) ||
				     json_strlist_wants(names, req_str0(g, "GroupName"))
				   : json_strlist_wants(ids, gid) &&
				     json_strlist_wants(names, req_str0(g, "GroupName"))))
			continue;
		if (filter_match(g, filters, group_filters))
			json_object_array_add(list, json_object_get(g));
	}
	resp = json_object_new_object();
	if (req_page_into(req, 5, 1000, list, resp, "SecurityGroups", err) < 0) {
		json_object_put(resp);
		resp = NULL;
	}
	json_object_put(list);
	return resp;
}

json_object *ec2_describe_security_groups(struct ec2_ctx *ctx, json_object *req,
					  struct ec2_error *err)
{
	json_object *groups = ec2_security_groups_described(ctx, err), *resp;

	if (!groups)
		return NULL;
	resp = ec2_describe_security_groups_from(ctx, req, groups, err);
	json_object_put(groups);
	return resp;
}

/* Whether a live instance of this state folder uses group gid (who: the first one). */
static bool group_in_use(struct ec2_ctx *ctx, const char *gid, char *who, size_t size)
{
	struct ec2_dom *doms = NULL;
	size_t n = 0, i, k;
	bool used = false;

	if (ec2_doms_list(ctx, 0, &doms, &n, NULL) < 0)
		return true; /* when in doubt, keep the group */
	for (i = 0; i < n && !used; i++)
		for (k = 0; doms[i].meta.groups && k < json_object_array_length(doms[i].meta.groups); k++)
			if (strcmp(req_str0(json_object_array_get_idx(doms[i].meta.groups, k), "GroupId"),
				   gid) == 0) {
				used = true;
				snprintf(who, size, "%s", virDomainGetName(doms[i].dom));
			}
	ec2_doms_free(doms, n);
	return used;
}

static int sg_delete(json_object *root, void *opaque, struct ec2_error *err)
{
	struct sg_op *op = opaque;
	json_object *g = req_group(groups_of(op->ctx, root), op->req, err);
	char who[EC2_ID_MAX] = "an instance", gid[EC2_ID_MAX];

	if (!g)
		return -1;
	snprintf(gid, sizeof(gid), "%s", req_str0(g, "GroupId"));
	if (strcmp(req_str0(g, "GroupName"), "default") == 0) {
		ec2_error_set(err, "CannotDelete", "the specified group: \"%s\" name: \"default\" cannot "
			      "be deleted by a user", gid);
		return -1;
	}
	if (group_in_use(op->ctx, gid, who, sizeof(who))) {
		ec2_error_set(err, "DependencyViolation", "resource %s has a dependent object (%s)", gid,
			      who);
		return -1;
	}
	if (ec2_dry_run(op->req, err))
		return -1;
	json_object_object_del(store_section(root, "security_groups"), gid);
	op->resp = json_object_new_object();
	json_add_bool(op->resp, "Return", true);
	json_add_str(op->resp, "GroupId", gid);
	return 0;
}

json_object *ec2_delete_security_group(struct ec2_ctx *ctx, json_object *req,
				       struct ec2_error *err)
{
	struct sg_op op = { ctx, req, NULL, NULL };

	return store_update(ctx->store, sg_delete, &op, err) < 0 ? NULL : op.resp;
}

static int sg_resolve(json_object *root, void *opaque, struct ec2_error *err)
{
	struct sg_op *op = opaque;
	json_object *groups = groups_of(op->ctx, root), *ids = op->req;
	size_t i, n = ids ? json_object_array_length(ids) : 0;

	if (ec2_ids_check(ids, "sg", "InvalidGroupId.Malformed", err) < 0)
		return -1;
	op->resp = json_object_new_array();
	for (i = 0; i < (n ? n : 1); i++) {
		const char *id = n ? json_object_get_string(json_object_array_get_idx(ids, i)) : NULL;
		json_object *g = find_group(groups, id, id ? NULL : "default"), *e;

		if (!g) {
			ec2_error_set(err, "InvalidGroup.NotFound", "The security group '%s' does not exist",
				      id);
			json_object_put(op->resp);
			op->resp = NULL;
			return -1;
		}
		e = json_object_new_object();
		json_add_str(e, "GroupId", req_str0(g, "GroupId"));
		json_add_str(e, "GroupName", req_str0(g, "GroupName"));
		json_object_array_add(op->resp, e);
	}
	return 0;
}

json_object *secgroup_resolve(struct ec2_ctx *ctx, json_object *ids, struct ec2_error *err)
{
	struct sg_op op = { ctx, ids, NULL, NULL };
	json_object *root = read_groups(ctx, err);
	int rc = root ? sg_resolve(root, &op, err) : -1;

	json_object_put(root);
	return rc < 0 ? NULL : op.resp;
}
