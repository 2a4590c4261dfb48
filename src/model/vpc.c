/* The default VPC, zones, the region and account attributes: see include/ec2lite/vpc.h. */
#include "ec2lite/vpc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ec2lite/filter.h"
#include "ec2lite/net.h"
#include "ec2lite/store.h"
#include "ec2lite/util.h"

#define VPC_CIDR "172.31.0.0/16"
#define SUBNET_ADDRESSES 4091 /* a /20 less the five addresses a VPC reserves in each subnet */

/* ---------- the layout in the store ---------- */

/* Ids that EC2 still makes with 8 hex digits (vpc-cidr-assoc-...: 17 would not fit EC2_ID_MAX
 * with that prefix). */
static void short_id(const char *prefix, char *out, size_t size)
{
	char id[EC2_ID_MAX];

	ec2_id_new("x", id, NULL);
	snprintf(out, size, "%s-%.8s", prefix, id + 2);
}

static json_object *record_of_type(json_object *section, const char *type, const char **id)
{
	json_object_object_foreach(section, rid, r) {
		if (strcmp(req_str0(r, "Type"), type) == 0) {
			if (id)
				*id = rid;
			return r;
		}
	}
	return NULL;
}

static json_object *new_record(json_object *section, const char *prefix, const char *type,
			       char id[EC2_ID_MAX])
{
	json_object *r = json_object_new_object();

	ec2_id_new(prefix, id, NULL);
	json_add_str(r, "Type", type);
	json_object_object_add(section, id, r);
	return r;
}

/* The subnet record of zone (NULL: none). */
static json_object *subnet_of_zone(json_object *section, const char *zone, const char **id)
{
	json_object_object_foreach(section, sid, r) {
		if (strcmp(req_str0(r, "Type"), "subnet") == 0 &&
		    strcmp(req_str0(r, "AvailabilityZone"), zone) == 0) {
			if (id)
				*id = sid;
			return r;
		}
	}
	return NULL;
}

static bool cidr_taken(json_object *section, const char *cidr)
{
	json_object_object_foreach(section, sid, r) {
		(void)sid;
		if (strcmp(req_str0(r, "Type"), "subnet") == 0 &&
		    strcmp(req_str0(r, "CidrBlock"), cidr) == 0)
			return true;
	}
	return false;
}

bool vpc_layout(struct ec2_ctx *ctx, json_object *root)
{
	json_object *section = store_section(root, "default_vpc"), *r;
	const char *def_subnet;
	bool changed = false;
	char id[EC2_ID_MAX];
	size_t i;

	if (!req_string(root, "DefaultVpcId")) {
		ec2_id_new("vpc", id, NULL);
		json_add_str(root, "DefaultVpcId", id);
		changed = true;
	}
	if (!req_string(root, "DefaultSubnetId")) {
		ec2_id_new("subnet", id, NULL);
		json_add_str(root, "DefaultSubnetId", id);
		changed = true;
	}
	if (!json_object_object_get_ex(section, req_string(root, "DefaultVpcId"), &r)) {
		char assoc[EC2_ID_MAX], dopt[EC2_ID_MAX];

		r = json_object_new_object();
		json_add_str(r, "Type", "vpc");
		ec2_id_new("dopt", dopt, NULL);
		json_add_str(r, "DhcpOptionsId", dopt);
		short_id("vpc-cidr-assoc", assoc, sizeof(assoc));
		json_add_str(r, "CidrAssociationId", assoc);
		json_object_object_add(section, req_string(root, "DefaultVpcId"), r);
		changed = true;
	}
	if (!record_of_type(section, "internet-gateway", NULL)) {
		new_record(section, "igw", "internet-gateway", id);
		changed = true;
	}
	if (!record_of_type(section, "route-table", NULL)) {
		char assoc[EC2_ID_MAX];

		r = new_record(section, "rtb", "route-table", id);
		ec2_id_new("rtbassoc", assoc, NULL);
		json_add_str(r, "MainAssociationId", assoc);
		changed = true;
	}
	if (!record_of_type(section, "network-acl", NULL)) {
		new_record(section, "acl", "network-acl", id);
		changed = true;
	}
	def_subnet = req_string(root, "DefaultSubnetId");
	for (i = 0; i < ctx->cfg->zone_count && i < EC2_ZONES_MAX; i++) {
		const char *zone = ctx->cfg->zones[i];
		char cidr[20], assoc[EC2_ID_MAX];
		unsigned k;

		if (subnet_of_zone(section, zone, NULL))
			continue;
		/* Zone i's block, unless a zone configured before took it; then the first free. */
		snprintf(cidr, sizeof(cidr), "172.31.%zu.0/20", 16 * i);
		for (k = 0; k < EC2_ZONES_MAX && cidr_taken(section, cidr); k++)
			snprintf(cidr, sizeof(cidr), "172.31.%u.0/20", 16 * k);
		if (cidr_taken(section, cidr))
			continue; /* the /16 is full: cannot happen with EC2_ZONES_MAX zones */
		/* The first zone's subnet keeps the id instances launched before zones carry. */
		if (i == 0 && !json_object_object_get_ex(section, def_subnet, NULL)) {
			snprintf(id, sizeof(id), "%s", def_subnet);
			r = json_object_new_object();
			json_add_str(r, "Type", "subnet");
			json_object_object_add(section, id, r);
		} else {
			r = new_record(section, "subnet", "subnet", id);
		}
		json_add_str(r, "AvailabilityZone", zone);
		json_add_str(r, "CidrBlock", cidr);
		ec2_id_new("aclassoc", assoc, NULL);
		json_add_str(r, "AclAssociationId", assoc);
		changed = true;
	}
	return changed;
}

static int layout_update(json_object *root, void *opaque, struct ec2_error *err)
{
	(void)err;
	vpc_layout(opaque, root);
	return 0;
}

/* A snapshot of the store with the default VPC laid out: written once, the first time some of it
 * is missing, instead of on every read. */
static json_object *read_layout(struct ec2_ctx *ctx, struct ec2_error *err)
{
	json_object *root = store_read(ctx->store, err);

	if (!root || !vpc_layout(ctx, root))
		return root;
	json_object_put(root);
	if (store_update(ctx->store, layout_update, ctx, err) < 0)
		return NULL;
	return store_read(ctx->store, err);
}

json_object *vpc_record(json_object *root, const char *id, const char **type)
{
	json_object *section = NULL, *r;

	if (!id || !json_object_object_get_ex(root, "default_vpc", &section) ||
	    !json_object_object_get_ex(section, id, &r))
		return NULL;
	if (type)
		*type = req_str0(r, "Type");
	return r;
}

/* ---------- zones ---------- */

void vpc_zone_id(const char *region, const char *zone, char *out, size_t size)
{
	static const struct {
		const char *word, *abbrev;
	} words[] = {
		{ "northeast", "ne" }, { "northwest", "nw" }, { "southeast", "se" },
		{ "southwest", "sw" }, { "north", "n" },      { "south", "s" },
		{ "east", "e" },       { "west", "w" },       { "central", "c" },
	};
	char abbrev[EC2_ZONE_NAME_MAX] = "";
	const char *p = region, *dash;
	size_t len = strlen(region), zlen = strlen(zone), used = 0, i;
	int n = 1;

	/* us-east-1 -> use1, ap-southeast-2 -> apse2: each part's letters as EC2 shortens them. */
	while (p && *p && used + 1 < sizeof(abbrev)) {
		size_t plen;
		const char *part = p;

		dash = strchr(p, '-');
		plen = dash ? (size_t)(dash - p) : strlen(p);
		for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
			if (strlen(words[i].word) == plen && strncmp(words[i].word, p, plen) == 0) {
				part = words[i].abbrev;
				plen = strlen(part);
				break;
			}
		if (used + plen >= sizeof(abbrev))
			break;
		memcpy(abbrev + used, part, plen);
		used += plen;
		abbrev[used] = '\0';
		p = dash ? dash + 1 : NULL;
	}
	/* The zone's letter after the region's name: a is az1, b az2. */
	if (zlen == len + 1 && strncmp(zone, region, len) == 0 && zone[len] >= 'a' && zone[len] <= 'z')
		n = zone[len] - 'a' + 1;
	snprintf(out, size, "%s-az%d", abbrev, n);
}

/* ---------- rendering ---------- */

static void add_tags(json_object *o, json_object *rec, bool always)
{
	json_object *tags = NULL;

	if (json_object_object_get_ex(rec, "Tags", &tags) && json_object_array_length(tags) > 0)
		json_object_object_add(o, "Tags", json_object_get(tags));
	else if (always)
		json_object_object_add(o, "Tags", json_object_new_array());
}

static json_object *state_obj(const char *state)
{
	json_object *o = json_object_new_object();

	json_add_str(o, "State", state);
	return o;
}

static json_object *vpc_json(struct ec2_ctx *ctx, const char *id, json_object *rec)
{
	json_object *o = json_object_new_object(), *set = json_object_new_array(), *a;

	json_add_str(o, "CidrBlock", VPC_CIDR);
	json_add_str(o, "DhcpOptionsId", req_str0(rec, "DhcpOptionsId"));
	json_add_str(o, "State", "available");
	json_add_str(o, "VpcId", id);
	json_add_str(o, "OwnerId", ctx->cfg->owner_id);
	json_add_str(o, "InstanceTenancy", "default");
	a = json_object_new_object();
	json_add_str(a, "AssociationId", req_str0(rec, "CidrAssociationId"));
	json_add_str(a, "CidrBlock", VPC_CIDR);
	json_object_object_add(a, "CidrBlockState", state_obj("associated"));
	json_object_array_add(set, a);
	json_object_object_add(o, "CidrBlockAssociationSet", set);
	json_add_bool(o, "IsDefault", true);
	add_tags(o, rec, false);
	return o;
}

static long taken_in(json_object *used, const char *cidr)
{
	long n = 0;
	size_t i;

	for (i = 0; used && i < json_object_array_length(used); i++)
		if (net_cidr_contains(cidr, json_object_get_string(json_object_array_get_idx(used, i))))
			n++;
	return n;
}

static json_object *subnet_json(struct ec2_ctx *ctx, json_object *root, const char *id,
				json_object *rec, json_object *used)
{
	json_object *o = json_object_new_object(), *x;
	char zone_id[EC2_ZONE_NAME_MAX];
	char *arn;

	vpc_zone_id(ctx->cfg->region, req_str0(rec, "AvailabilityZone"), zone_id, sizeof(zone_id));
	json_add_str(o, "AvailabilityZone", req_str0(rec, "AvailabilityZone"));
	json_add_str(o, "AvailabilityZoneId", zone_id);
	json_add_int(o, "AvailableIpAddressCount",
		     SUBNET_ADDRESSES - taken_in(used, req_str0(rec, "CidrBlock")));
	json_add_str(o, "CidrBlock", req_str0(rec, "CidrBlock"));
	json_add_bool(o, "DefaultForAz", true);
	json_add_bool(o, "MapPublicIpOnLaunch", true);
	json_add_bool(o, "MapCustomerOwnedIpOnLaunch", false);
	json_add_str(o, "State", "available");
	json_add_str(o, "SubnetId", id);
	json_add_str(o, "VpcId", req_str0(root, "DefaultVpcId"));
	json_add_str(o, "OwnerId", ctx->cfg->owner_id);
	json_add_bool(o, "AssignIpv6AddressOnCreation", false);
	json_object_object_add(o, "Ipv6CidrBlockAssociationSet", json_object_new_array());
	add_tags(o, rec, false);
	arn = util_strdupf("arn:aws:ec2:%s:%s:subnet/%s", ctx->cfg->region, ctx->cfg->owner_id, id);
	json_add_str(o, "SubnetArn", arn);
	free(arn);
	json_add_bool(o, "EnableDns64", false);
	json_add_bool(o, "Ipv6Native", false);
	x = json_object_new_object();
	json_add_str(x, "HostnameType", "ip-name");
	json_add_bool(x, "EnableResourceNameDnsARecord", false);
	json_add_bool(x, "EnableResourceNameDnsAAAARecord", false);
	json_object_object_add(o, "PrivateDnsNameOptionsOnLaunch", x);
	return o;
}

static json_object *igw_json(struct ec2_ctx *ctx, json_object *root, const char *id,
			     json_object *rec)
{
	json_object *o = json_object_new_object(), *list = json_object_new_array(), *a;

	/* EC2 says "available" of an internet gateway's attachment (the filter's "attached"
	 * included). */
	a = json_object_new_object();
	json_add_str(a, "State", "available");
	json_add_str(a, "VpcId", req_str0(root, "DefaultVpcId"));
	json_object_array_add(list, a);
	json_object_object_add(o, "Attachments", list);
	json_add_str(o, "InternetGatewayId", id);
	json_add_str(o, "OwnerId", ctx->cfg->owner_id);
	add_tags(o, rec, true);
	return o;
}

static json_object *route(const char *cidr, const char *gateway, const char *origin)
{
	json_object *r = json_object_new_object();

	json_add_str(r, "DestinationCidrBlock", cidr);
	json_add_str(r, "GatewayId", gateway);
	json_add_str(r, "Origin", origin);
	json_add_str(r, "State", "active");
	return r;
}

static json_object *route_table_json(struct ec2_ctx *ctx, json_object *root, const char *id,
				     json_object *rec)
{
	json_object *o = json_object_new_object(), *list = json_object_new_array(), *a;
	const char *igw = "";

	record_of_type(store_section(root, "default_vpc"), "internet-gateway", &igw);
	/* The main table: every subnet uses it without an association of its own. */
	a = json_object_new_object();
	json_add_bool(a, "Main", true);
	json_add_str(a, "RouteTableAssociationId", req_str0(rec, "MainAssociationId"));
	json_add_str(a, "RouteTableId", id);
	json_object_object_add(a, "AssociationState", state_obj("associated"));
	json_object_array_add(list, a);
	json_object_object_add(o, "Associations", list);
	json_object_object_add(o, "PropagatingVgws", json_object_new_array());
	json_add_str(o, "RouteTableId", id);
	list = json_object_new_array();
	json_object_array_add(list, route(VPC_CIDR, "local", "CreateRouteTable"));
	json_object_array_add(list, route("0.0.0.0/0", igw, "CreateRoute"));
	json_object_object_add(o, "Routes", list);
	add_tags(o, rec, true);
	json_add_str(o, "VpcId", req_str0(root, "DefaultVpcId"));
	json_add_str(o, "OwnerId", ctx->cfg->owner_id);
	return o;
}

static json_object *acl_entry(bool egress, int number, const char *action)
{
	json_object *e = json_object_new_object();

	json_add_str(e, "CidrBlock", "0.0.0.0/0");
	json_add_bool(e, "Egress", egress);
	json_add_str(e, "Protocol", "-1");
	json_add_str(e, "RuleAction", action);
	json_add_int(e, "RuleNumber", number);
	return e;
}

static json_object *network_acl_json(struct ec2_ctx *ctx, json_object *root, const char *id,
				     json_object *rec)
{
	json_object *o = json_object_new_object(), *list = json_object_new_array();
	json_object *section = store_section(root, "default_vpc");
	size_t i;

	/* Every subnet is associated with the default ACL, in zone order. */
	for (i = 0; i < ctx->cfg->zone_count && i < EC2_ZONES_MAX; i++) {
		const char *sid = NULL;
		json_object *s = subnet_of_zone(section, ctx->cfg->zones[i], &sid), *a;

		if (!s)
			continue;
		a = json_object_new_object();
		json_add_str(a, "NetworkAclAssociationId", req_str0(s, "AclAssociationId"));
		json_add_str(a, "NetworkAclId", id);
		json_add_str(a, "SubnetId", sid);
		json_object_array_add(list, a);
	}
	json_object_object_add(o, "Associations", list);
	list = json_object_new_array();
	json_object_array_add(list, acl_entry(true, 100, "allow"));
	json_object_array_add(list, acl_entry(true, 32767, "deny"));
	json_object_array_add(list, acl_entry(false, 100, "allow"));
	json_object_array_add(list, acl_entry(false, 32767, "deny"));
	json_object_object_add(o, "Entries", list);
	json_add_bool(o, "IsDefault", true);
	json_add_str(o, "NetworkAclId", id);
	add_tags(o, rec, true);
	json_add_str(o, "VpcId", req_str0(root, "DefaultVpcId"));
	json_add_str(o, "OwnerId", ctx->cfg->owner_id);
	return o;
}

/* ---------- the describe actions ---------- */

static const struct filter_field vpc_filters[] = {
	{ "cidr", "CidrBlock" },
	{ "cidr-block-association.cidr-block", "CidrBlockAssociationSet.CidrBlock" },
	{ "cidr-block-association.association-id", "CidrBlockAssociationSet.AssociationId" },
	{ "cidr-block-association.state", "CidrBlockAssociationSet.CidrBlockState.State" },
	{ "dhcp-options-id", "DhcpOptionsId" },
	{ "ipv6-cidr-block-association.ipv6-cidr-block", "Ipv6CidrBlockAssociationSet.Ipv6CidrBlock" },
	{ "ipv6-cidr-block-association.ipv6-pool", "Ipv6CidrBlockAssociationSet.Ipv6Pool" },
	{ "ipv6-cidr-block-association.association-id", "Ipv6CidrBlockAssociationSet.AssociationId" },
	{ "ipv6-cidr-block-association.state",
	  "Ipv6CidrBlockAssociationSet.Ipv6CidrBlockState.State" },
	{ "is-default", "IsDefault" },
	{ "isDefault", "IsDefault" }, /* AWS's own examples' spelling, which EC2 accepts too */
	{ "owner-id", "OwnerId" },
	{ "state", "State" },
	{ "vpc-id", "VpcId" },
	{ NULL, NULL },
};

static const struct filter_field subnet_filters[] = {
	{ "availability-zone", "AvailabilityZone" },
	{ "availability-zone-id", "AvailabilityZoneId" },
	{ "available-ip-address-count", "AvailableIpAddressCount" },
	{ "cidr-block", "CidrBlock" },
	{ "customer-owned-ipv4-pool", "CustomerOwnedIpv4Pool" },
	{ "default-for-az", "DefaultForAz" },
	{ "enable-dns64", "EnableDns64" },
	{ "enable-lni-at-device-index", "EnableLniAtDeviceIndex" },
	{ "ipv6-cidr-block-association.ipv6-cidr-block", "Ipv6CidrBlockAssociationSet.Ipv6CidrBlock" },
	{ "ipv6-cidr-block-association.association-id", "Ipv6CidrBlockAssociationSet.AssociationId" },
	{ "ipv6-cidr-block-association.state",
	  "Ipv6CidrBlockAssociationSet.Ipv6CidrBlockState.State" },
	{ "ipv6-native", "Ipv6Native" },
	{ "map-customer-owned-ip-on-launch", "MapCustomerOwnedIpOnLaunch" },
	{ "map-public-ip-on-launch", "MapPublicIpOnLaunch" },
	{ "outpost-arn", "OutpostArn" },
	{ "owner-id", "OwnerId" },
	{ "private-dns-name-options-on-launch.hostname-type",
	  "PrivateDnsNameOptionsOnLaunch.HostnameType" },
	{ "private-dns-name-options-on-launch.enable-resource-name-dns-a-record",
	  "PrivateDnsNameOptionsOnLaunch.EnableResourceNameDnsARecord" },
	{ "private-dns-name-options-on-launch.enable-resource-name-dns-aaaa-record",
	  "PrivateDnsNameOptionsOnLaunch.EnableResourceNameDnsAAAARecord" },
	{ "state", "State" },
	{ "subnet-arn", "SubnetArn" },
	{ "subnet-id", "SubnetId" },
	{ "vpc-id", "VpcId" },
	{ NULL, NULL },
};

static const struct filter_field igw_filters[] = {
	{ "attachment.state", "Attachments.State" },
	{ "attachment.vpc-id", "Attachments.VpcId" },
	{ "internet-gateway-id", "InternetGatewayId" },
	{ "owner-id", "OwnerId" },
	{ NULL, NULL },
};

static const struct filter_field route_table_filters[] = {
	{ "association.route-table-association-id", "Associations.RouteTableAssociationId" },
	{ "association.route-table-id", "Associations.RouteTableId" },
	{ "association.subnet-id", "Associations.SubnetId" },
	{ "association.main", "Associations.Main" },
	{ "owner-id", "OwnerId" },
	{ "route-table-id", "RouteTableId" },
	{ "route.destination-cidr-block", "Routes.DestinationCidrBlock" },
	{ "route.destination-ipv6-cidr-block", "Routes.DestinationIpv6CidrBlock" },
	{ "route.destination-prefix-list-id", "Routes.DestinationPrefixListId" },
	{ "route.egress-only-internet-gateway-id", "Routes.EgressOnlyInternetGatewayId" },
	{ "route.gateway-id", "Routes.GatewayId" },
	{ "route.instance-id", "Routes.InstanceId" },
	{ "route.nat-gateway-id", "Routes.NatGatewayId" },
	{ "route.transit-gateway-id", "Routes.TransitGatewayId" },
	{ "route.origin", "Routes.Origin" },
	{ "route.state", "Routes.State" },
	{ "route.vpc-peering-connection-id", "Routes.VpcPeeringConnectionId" },
	{ "vpc-id", "VpcId" },
	{ NULL, NULL },
};

static const struct filter_field network_acl_filters[] = {
	{ "association.association-id", "Associations.NetworkAclAssociationId" },
	{ "association.network-acl-id", "Associations.NetworkAclId" },
	{ "association.subnet-id", "Associations.SubnetId" },
	{ "default", "IsDefault" },
	{ "entry.cidr", "Entries.CidrBlock" },
	{ "entry.icmp.code", "Entries.IcmpTypeCode.Code" },
	{ "entry.icmp.type", "Entries.IcmpTypeCode.Type" },
	{ "entry.ipv6-cidr", "Entries.Ipv6CidrBlock" },
	{ "entry.port-range.from", "Entries.PortRange.From" },
	{ "entry.port-range.to", "Entries.PortRange.To" },
	{ "entry.protocol", "Entries.Protocol" },
	{ "entry.rule-action", "Entries.RuleAction" },
	{ "entry.egress", "Entries.Egress" },
	{ "entry.rule-number", "Entries.RuleNumber" },
	{ "network-acl-id", "NetworkAclId" },
	{ "owner-id", "OwnerId" },
	{ "vpc-id", "VpcId" },
	{ NULL, NULL },
};

/* One describe action over the records of one type. */
struct kind {
	const char *type;             /* the records' "Type" */
	const char *ids_key;          /* the request's id list */
	const char *list_key;         /* the response's list */
	const char *not_found;        /* the code for an id that is not one */
	const char *noun;             /* in its message: "The NOUN ID 'x' does not exist" */
	const struct filter_field *filters;
	json_object *(*render)(struct ec2_ctx *, json_object *root, const char *id,
			       json_object *rec);
};

static json_object *render_vpc(struct ec2_ctx *ctx, json_object *root, const char *id,
			       json_object *rec)
{
	(void)root;
	return vpc_json(ctx, id, rec);
}

static const struct kind kinds[] = {
	{ "vpc", "VpcIds", "Vpcs", "InvalidVpcID.NotFound", "vpc", vpc_filters, render_vpc },
	{ "internet-gateway", "InternetGatewayIds", "InternetGateways",
	  "InvalidInternetGatewayID.NotFound", "internetGateway", igw_filters, igw_json },
	{ "route-table", "RouteTableIds", "RouteTables", "InvalidRouteTableID.NotFound",
	  "routeTable", route_table_filters, route_table_json },
	{ "network-acl", "NetworkAclIds", "NetworkAcls", "InvalidNetworkAclID.NotFound",
	  "networkAcl", network_acl_filters, network_acl_json },
	{ "subnet", "SubnetIds", "Subnets", "InvalidSubnetID.NotFound", "subnet", subnet_filters,
	  NULL },
};

static const struct kind *kind_of_id(const char *id)
{
	static const char *const prefixes[] = { "vpc", "igw", "rtb", "acl", "subnet" };
	size_t i;

	for (i = 0; id && i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (ec2_id_valid(prefixes[i], id))
			return &kinds[i];
	return NULL;
}

bool vpc_id_kind(const char *id)
{
	return kind_of_id(id) != NULL;
}

static void not_found(const struct kind *k, const char *id, struct ec2_error *err)
{
	ec2_error_set(err, k->not_found, "The %s ID '%s' does not exist", k->noun, id ? id : "");
}

void vpc_not_found(const char *id, struct ec2_error *err)
{
	const struct kind *k = kind_of_id(id);

	if (k)
		not_found(k, id, err);
	else
		ec2_error_set(err, "InvalidID", "The ID '%s' is not valid", id ? id : "");
}

/* Every id of the request names a record of k's type, or the error EC2 gives for the first that
 * does not. */
static int ids_exist(json_object *section, const struct kind *k, json_object *ids,
		     struct ec2_error *err)
{
	size_t i;

	for (i = 0; ids && i < json_object_array_length(ids); i++) {
		const char *id = json_object_get_string(json_object_array_get_idx(ids, i));
		json_object *r;

		if (!id || !json_object_object_get_ex(section, id, &r) ||
		    strcmp(req_str0(r, "Type"), k->type) != 0) {
			not_found(k, id, err);
			return -1;
		}
	}
	return 0;
}

static json_object *describe(struct ec2_ctx *ctx, const struct kind *k, json_object *req,
			     struct ec2_error *err)
{
	json_object *filters = req_list(req, "Filters"), *ids = req_list(req, k->ids_key);
	json_object *root, *section, *list, *resp, *used = NULL;
	size_t i;

	if (filter_validate(filters, k->filters, err) < 0)
		return NULL;
	root = read_layout(ctx, err);
	if (!root)
		return NULL;
	section = store_section(root, "default_vpc");
	if (ids_exist(section, k, ids, err) < 0) {
		json_object_put(root);
		return NULL;
	}
	list = json_object_new_array();
	if (!k->render) {
		/* Subnets, in zone order, with the addresses taken in each. */
		used = net_private_ips_used(ctx, err);
		if (!used) {
			json_object_put(list);
			json_object_put(root);
			return NULL;
		}
		for (i = 0; i < ctx->cfg->zone_count && i < EC2_ZONES_MAX; i++) {
			const char *sid = NULL;
			json_object *s = subnet_of_zone(section, ctx->cfg->zones[i], &sid), *o;

			if (!s || !json_strlist_wants(ids, sid))
				continue;
			o = subnet_json(ctx, root, sid, s, used);
			if (filter_match(o, filters, k->filters))
				json_object_array_add(list, o);
			else
				json_object_put(o);
		}
	} else {
		json_object_object_foreach(section, rid, rec) {
			json_object *o;

			if (strcmp(req_str0(rec, "Type"), k->type) != 0 || !json_strlist_wants(ids, rid))
				continue;
			o = k->render(ctx, root, rid, rec);
			if (filter_match(o, filters, k->filters))
				json_object_array_add(list, o);
			else
				json_object_put(o);
		}
	}
	resp = json_object_new_object();
	if (req_page_into(req, 5, 1000, list, resp, k->list_key, err) < 0) {
		json_object_put(resp);
		resp = NULL;
	}
	json_object_put(used);
	json_object_put(list);
	json_object_put(root);
	return resp;
}

json_object *ec2_describe_vpcs(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err)
{
	return describe(ctx, &kinds[0], req, err);
}

json_object *ec2_describe_internet_gateways(struct ec2_ctx *ctx, json_object *req,
					    struct ec2_error *err)
{
	return describe(ctx, &kinds[1], req, err);
}

json_object *ec2_describe_route_tables(struct ec2_ctx *ctx, json_object *req,
				       struct ec2_error *err)
{
	return describe(ctx, &kinds[2], req, err);
}

json_object *ec2_describe_network_acls(struct ec2_ctx *ctx, json_object *req,
				       struct ec2_error *err)
{
	return describe(ctx, &kinds[3], req, err);
}

json_object *ec2_describe_subnets(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err)
{
	return describe(ctx, &kinds[4], req, err);
}

/* ---------- zones, the region, the account ---------- */

static const struct filter_field zone_filters[] = {
	{ "group-name", "GroupName" },
	{ "message", "Messages.Message" },
	{ "opt-in-status", "OptInStatus" },
	{ "parent-zone-id", "ParentZoneId" },
	{ "parent-zone-name", "ParentZoneName" },
	{ "parent-zoneID", "ParentZoneId" },     /* as botocore's documentation spells them */
	{ "parent-zoneName", "ParentZoneName" },
	{ "region-name", "RegionName" },
	{ "state", "State" },
	{ "zone-id", "ZoneId" },
	{ "zone-name", "ZoneName" },
	{ "zone-type", "ZoneType" },
	{ NULL, NULL },
};

static json_object *zone_json(struct ec2_ctx *ctx, const char *zone)
{
	json_object *o = json_object_new_object();
	char zone_id[EC2_ZONE_NAME_MAX];

	vpc_zone_id(ctx->cfg->region, zone, zone_id, sizeof(zone_id));
	json_add_str(o, "State", "available");
	json_add_str(o, "OptInStatus", "opt-in-not-required");
	json_object_object_add(o, "Messages", json_object_new_array());
	json_add_str(o, "RegionName", ctx->cfg->region);
	json_add_str(o, "ZoneName", zone);
	json_add_str(o, "ZoneId", zone_id);
	json_add_str(o, "GroupName", ctx->cfg->region);
	json_add_str(o, "NetworkBorderGroup", ctx->cfg->region);
	json_add_str(o, "ZoneType", "availability-zone");
	return o;
}

json_object *ec2_describe_availability_zones(struct ec2_ctx *ctx, json_object *req,
					     struct ec2_error *err)
{
	json_object *filters = req_list(req, "Filters"), *names = req_list(req, "ZoneNames");
	json_object *zids = req_list(req, "ZoneIds"), *list, *resp;
	char zone_id[EC2_ZONE_NAME_MAX];
	bool all = false;
	size_t i, j;

	if (req_bool(req, "AllAvailabilityZones", &all, err) < 0 ||
	    filter_validate(filters, zone_filters, err) < 0)
		return NULL;
	/* Local and Wavelength Zones, which AllAvailabilityZones would add, there are none. */
	for (i = 0; names && i < json_object_array_length(names); i++) {
		const char *z = json_object_get_string(json_object_array_get_idx(names, i));

		if (ec2_config_zone_index(ctx->cfg, z) < 0) {
			ec2_error_set(err, EC2_ERR_INVALID_PARAMETER,
				      "Invalid availability zone: [%s]", z ? z : "");
			return NULL;
		}
	}
	for (i = 0; zids && i < json_object_array_length(zids); i++) {
		const char *z = json_object_get_string(json_object_array_get_idx(zids, i));
		bool found = false;

		for (j = 0; j < ctx->cfg->zone_count && j < EC2_ZONES_MAX && !found; j++) {
			vpc_zone_id(ctx->cfg->region, ctx->cfg->zones[j], zone_id, sizeof(zone_id));
			found = z && strcmp(zone_id, z) == 0;
		}
		if (!found) {
			ec2_error_set(err, EC2_ERR_INVALID_PARAMETER,
				      "Invalid availability zone id: [%s]", z ? z : "");
			return NULL;
		}
	}
	list = json_object_new_array();
	for (i = 0; i < ctx->cfg->zone_count && i < EC2_ZONES_MAX; i++) {
		json_object *o = zone_json(ctx, ctx->cfg->zones[i]);

		/* By name or by id: either list, or both, name the zones wanted. */
		if (((!names && !zids) ||
		     (names && json_strlist_wants(names, ctx->cfg->zones[i])) ||
		     (zids && json_strlist_wants(zids, req_str0(o, "ZoneId")))) &&
		    filter_match(o, filters, zone_filters))
			json_object_array_add(list, o);
		else
			json_object_put(o);
	}
	resp = json_object_new_object();
	json_object_object_add(resp, "AvailabilityZones", list);
	return resp;
}

static const struct filter_field region_filters[] = {
	{ "endpoint", "Endpoint" },
	{ "opt-in-status", "OptInStatus" },
	{ "region-name", "RegionName" },
	{ NULL, NULL },
};

json_object *ec2_describe_regions(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err)
{
	json_object *filters = req_list(req, "Filters"), *names = req_list(req, "RegionNames");
	json_object *list, *o, *resp;
	char *endpoint;
	bool all = false;
	size_t i;

	if (req_bool(req, "AllRegions", &all, err) < 0 ||
	    filter_validate(filters, region_filters, err) < 0)
		return NULL;
	for (i = 0; names && i < json_object_array_length(names); i++) {
		const char *r = json_object_get_string(json_object_array_get_idx(names, i));

		if (!r || strcmp(r, ctx->cfg->region) != 0) {
			ec2_error_set(err, EC2_ERR_INVALID_PARAMETER, "Invalid region: [%s]",
				      r ? r : "");
			return NULL;
		}
	}
	list = json_object_new_array();
	o = json_object_new_object();
	endpoint = util_strdupf("ec2.%s.amazonaws.com", ctx->cfg->region);
	json_add_str(o, "Endpoint", endpoint);
	free(endpoint);
	json_add_str(o, "RegionName", ctx->cfg->region);
	json_add_str(o, "OptInStatus", "opt-in-not-required");
	if (filter_match(o, filters, region_filters))
		json_object_array_add(list, o);
	else
		json_object_put(o);
	resp = json_object_new_object();
	json_object_object_add(resp, "Regions", list);
	return resp;
}

json_object *ec2_describe_account_attributes(struct ec2_ctx *ctx, json_object *req,
					     struct ec2_error *err)
{
	/* In the order EC2 answers them. */
	static const char *const names[] = { "vpc-max-security-groups-per-interface",
					     "max-instances", "supported-platforms", "default-vpc",
					     "max-elastic-ips", "vpc-max-elastic-ips" };
	json_object *wanted = req_list(req, "AttributeNames"), *list, *resp, *root = NULL;
	size_t i, j;

	for (i = 0; wanted && i < json_object_array_length(wanted); i++) {
		const char *n = json_object_get_string(json_object_array_get_idx(wanted, i));
		bool known = false;

		for (j = 0; j < sizeof(names) / sizeof(names[0]) && !known; j++)
			known = n && strcmp(n, names[j]) == 0;
		if (!known) {
			ec2_error_set(err, EC2_ERR_INVALID_PARAMETER,
				      "Value (%s) for parameter attributeName is invalid. Unknown "
				      "attribute name.", n ? n : "");
			return NULL;
		}
	}
	if (json_strlist_wants(wanted, "default-vpc") && !(root = read_layout(ctx, err)))
		return NULL;
	list = json_object_new_array();
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		json_object *o, *values, *v;
		char buf[32];
		const char *value = buf;

		if (!json_strlist_wants(wanted, names[i]))
			continue;
		if (strcmp(names[i], "max-instances") == 0)
			snprintf(buf, sizeof(buf), "%d", ctx->cfg->instance_limit);
		else if (strcmp(names[i], "supported-platforms") == 0)
			value = "VPC";
		else if (strcmp(names[i], "default-vpc") == 0)
			value = req_str0(root, "DefaultVpcId");
		else
			value = "5";
		o = json_object_new_object();
		json_add_str(o, "AttributeName", names[i]);
		values = json_object_new_array();
		v = json_object_new_object();
		json_add_str(v, "AttributeValue", value);
		json_object_array_add(values, v);
		json_object_object_add(o, "AttributeValues", values);
		json_object_array_add(list, o);
	}
	json_object_put(root);
	resp = json_object_new_object();
	json_object_object_add(resp, "AccountAttributes", list);
	return resp;
}

/* ---------- launches ---------- */

int vpc_subnet_choose(struct ec2_ctx *ctx, const char *subnet_id, const char *zone,
		      struct vpc_subnet *out, struct ec2_error *err)
{
	json_object *root, *section, *rec = NULL;
	const char *sid = NULL, *type = "";
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (zone && ec2_config_zone_index(ctx->cfg, zone) < 0) {
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER, "Invalid availability zone: [%s]", zone);
		return -1;
	}
	root = read_layout(ctx, err);
	if (!root)
		return -1;
	section = store_section(root, "default_vpc");
	if (subnet_id) {
		rec = vpc_record(root, subnet_id, &type);
		/* A subnet of a zone no longer configured is not one to launch into. */
		if (!rec || strcmp(type, "subnet") != 0 ||
		    ec2_config_zone_index(ctx->cfg, req_str0(rec, "AvailabilityZone")) < 0) {
			not_found(&kinds[4], subnet_id, err);
			goto out;
		}
		sid = subnet_id;
		if (zone && strcmp(zone, req_str0(rec, "AvailabilityZone")) != 0) {
			ec2_error_set(err, "InvalidParameterCombination",
				      "The subnet '%s' is in availability zone %s, not %s", subnet_id,
				      req_str0(rec, "AvailabilityZone"), zone);
			goto out;
		}
	} else {
		rec = subnet_of_zone(section, zone ? zone : ctx->cfg->availability_zone, &sid);
		if (!rec) {
			ec2_error_set(err, EC2_ERR_INTERNAL, "the default VPC has no subnet in '%s'",
				      zone ? zone : ctx->cfg->availability_zone);
			goto out;
		}
	}
	snprintf(out->vpc_id, sizeof(out->vpc_id), "%s", req_str0(root, "DefaultVpcId"));
	snprintf(out->subnet_id, sizeof(out->subnet_id), "%s", sid);
	snprintf(out->zone, sizeof(out->zone), "%s", req_str0(rec, "AvailabilityZone"));
	snprintf(out->cidr, sizeof(out->cidr), "%s", req_str0(rec, "CidrBlock"));
	rc = 0;
out:
	json_object_put(root);
	return rc;
}
