/* The default VPC (src/model/vpc.c) on libvirt's test driver: its layout and ids, every filter
 * its describe actions claim, their errors, zones, the region, the account's attributes, and
 * launches into a subnet or a zone (their private IPs, the subnets' free address counts). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ec2lite/ec2.h"
#include "ec2lite/filter.h"
#include "ec2lite/journal.h"
#include "ec2lite/net.h"
#include "ec2lite/store.h"
#include "ec2lite/util.h"
#include "ec2lite/vpc.h"
#include "testutil.h"

typedef json_object *(*action_fn)(struct ec2_ctx *, json_object *, struct ec2_error *);

static struct ec2_config cfg;
static struct ec2_ctx ctx;
static char *dir;
static char ami[32];

static void setup(void)
{
	dir = test_driver_open(&cfg, &ctx, 0, "vpc-ami", ami);
}

static void teardown(void)
{
	test_driver_close(&cfg, &ctx, &dir);
}

static json_object *ok(action_fn fn, json_object *req)
{
	return test_ok(&ctx, fn, req);
}

/* An action that must fail with code and message (NULL: any message). */
static void fails(action_fn fn, json_object *req, const char *code, const char *message)
{
	test_fails(&ctx, fn, req, code, message);
}

static const char *str(json_object *o, const char *path)
{
	json_object *v = json_path(o, path);

	return v ? json_object_get_string(v) : "";
}

static json_object *item(json_object *resp, const char *key, size_t i)
{
	return json_object_array_get_idx(json_path(resp, key), i);
}

static size_t count(json_object *resp, const char *key)
{
	json_object *list = json_path(resp, key);

	ck_assert_msg(list != NULL, "no %s", key);
	return json_object_array_length(list);
}

/* The subnet of zone in DescribeSubnets (a new reference). */
static json_object *subnet_in(const char *zone)
{
	json_object *r = ok(ec2_describe_subnets,
			    J("{\"Filters\": [{\"Name\": \"availability-zone\", \"Values\": [\"%s\"]}]}",
			      zone)), *s;

	ck_assert_int_eq(count(r, "Subnets"), 1);
	s = json_object_get(item(r, "Subnets", 0));
	json_object_put(r);
	return s;
}

static long free_in(const char *zone)
{
	json_object *s = subnet_in(zone);
	long n = json_object_get_int(json_path(s, "AvailableIpAddressCount"));

	json_object_put(s);
	return n;
}

static size_t live_instances(void)
{
	json_object *r = ok(ec2_describe_instances, J("{}"));
	size_t n = count(r, "Reservations");

	json_object_put(r);
	return n;
}

START_TEST(default_layout)
{
	static const char *const cidrs[] = { "172.31.0.0/20", "172.31.16.0/20", "172.31.32.0/20" };
	static const char *const zone_ids[] = { "use1-az1", "use1-az2", "use1-az3" };
	json_object *vpcs = ok(ec2_describe_vpcs, J("{}")), *subnets = ok(ec2_describe_subnets, J("{}"));
	json_object *igws = ok(ec2_describe_internet_gateways, J("{}"));
	json_object *rtbs = ok(ec2_describe_route_tables, J("{}"));
	json_object *acls = ok(ec2_describe_network_acls, J("{}"));
	json_object *v, *s, *root, *sgs, *e;
	const char *vpc_id;
	size_t i;

	ck_assert_int_eq(count(vpcs, "Vpcs"), 1);
	v = item(vpcs, "Vpcs", 0);
	vpc_id = str(v, "VpcId");
	ck_assert(ec2_id_valid("vpc", vpc_id));
	ck_assert_str_eq(str(v, "CidrBlock"), "172.31.0.0/16");
	ck_assert_str_eq(str(v, "State"), "available");
	ck_assert_str_eq(str(v, "InstanceTenancy"), "default");
	ck_assert_str_eq(str(v, "IsDefault"), "true");
	ck_assert(ec2_id_valid("dopt", str(v, "DhcpOptionsId")));
	ck_assert_str_eq(str(json_object_array_get_idx(json_path(v, "CidrBlockAssociationSet"), 0),
			     "CidrBlockState.State"), "associated");
	ck_assert_ptr_null(json_path(v, "Tags"));

	/* One default subnet per zone, numbered as EC2 numbers them. */
	ck_assert_int_eq(count(subnets, "Subnets"), 3);
	root = store_read(ctx.store, NULL);
	for (i = 0; i < 3; i++) {
		char arn[128];

		s = item(subnets, "Subnets", i);
		ck_assert_str_eq(str(s, "AvailabilityZone"), cfg.zones[i]);
		ck_assert_str_eq(str(s, "AvailabilityZoneId"), zone_ids[i]);
		ck_assert_str_eq(str(s, "CidrBlock"), cidrs[i]);
		ck_assert_int_eq(json_object_get_int(json_path(s, "AvailableIpAddressCount")), 4091);
		ck_assert_str_eq(str(s, "DefaultForAz"), "true");
		ck_assert_str_eq(str(s, "MapPublicIpOnLaunch"), "true");
		ck_assert_str_eq(str(s, "State"), "available");
		ck_assert_str_eq(str(s, "VpcId"), vpc_id);
		ck_assert_str_eq(str(s, "OwnerId"), "000000000000");
		snprintf(arn, sizeof(arn), "arn:aws:ec2:us-east-1:000000000000:subnet/%s",
			 str(s, "SubnetId"));
		ck_assert_str_eq(str(s, "SubnetArn"), arn);
	}
	/* The ids instances launched before carry: the VPC's and the first zone's subnet's. */
	ck_assert_str_eq(str(root, "DefaultVpcId"), vpc_id);
	ck_assert_str_eq(str(root, "DefaultSubnetId"), str(item(subnets, "Subnets", 0), "SubnetId"));
	json_object_put(root);
	/* The default security group is the default VPC's. */
	sgs = ok(ec2_describe_security_groups, J("{\"GroupNames\": [\"default\"]}"));
	ck_assert_str_eq(str(item(sgs, "SecurityGroups", 0), "VpcId"), vpc_id);
	json_object_put(sgs);

	ck_assert_int_eq(count(igws, "InternetGateways"), 1);
	v = item(igws, "InternetGateways", 0);
	ck_assert(ec2_id_valid("igw", str(v, "InternetGatewayId")));
	ck_assert_str_eq(str(json_object_array_get_idx(json_path(v, "Attachments"), 0), "VpcId"),
			 vpc_id);
	ck_assert_str_eq(str(json_object_array_get_idx(json_path(v, "Attachments"), 0), "State"),
			 "available");

	/* The main route table: the local route and the way out through the gateway. */
	ck_assert_int_eq(count(rtbs, "RouteTables"), 1);
	v = item(rtbs, "RouteTables", 0);
	ck_assert(ec2_id_valid("rtb", str(v, "RouteTableId")));
	ck_assert_str_eq(str(v, "VpcId"), vpc_id);
	ck_assert_int_eq(count(v, "Associations"), 1);
	e = json_object_array_get_idx(json_path(v, "Associations"), 0);
	ck_assert_str_eq(str(e, "Main"), "true");
	ck_assert_str_eq(str(e, "RouteTableId"), str(v, "RouteTableId"));
	ck_assert(ec2_id_valid("rtbassoc", str(e, "RouteTableAssociationId")));
	ck_assert_int_eq(count(v, "Routes"), 2);
	e = json_object_array_get_idx(json_path(v, "Routes"), 0);
	ck_assert_str_eq(str(e, "DestinationCidrBlock"), "172.31.0.0/16");
	ck_assert_str_eq(str(e, "GatewayId"), "local");
	e = json_object_array_get_idx(json_path(v, "Routes"), 1);
	ck_assert_str_eq(str(e, "DestinationCidrBlock"), "0.0.0.0/0");
	ck_assert_str_eq(str(e, "GatewayId"),
			 str(item(igws, "InternetGateways", 0), "InternetGatewayId"));
	ck_assert_str_eq(str(e, "State"), "active");

	/* The default ACL: 100 allows, 32767 denies, out and in; every subnet associated. */
	ck_assert_int_eq(count(acls, "NetworkAcls"), 1);
	v = item(acls, "NetworkAcls", 0);
	ck_assert(ec2_id_valid("acl", str(v, "NetworkAclId")));
	ck_assert_str_eq(str(v, "IsDefault"), "true");
	ck_assert_int_eq(count(v, "Entries"), 4);
	for (i = 0; i < 4; i++) {
		e = json_object_array_get_idx(json_path(v, "Entries"), i);
		ck_assert_str_eq(str(e, "Egress"), i < 2 ? "true" : "false");
		ck_assert_int_eq(json_object_get_int(json_path(e, "RuleNumber")), i % 2 ? 32767 : 100);
		ck_assert_str_eq(str(e, "RuleAction"), i % 2 ? "deny" : "allow");
		ck_assert_str_eq(str(e, "Protocol"), "-1");
		ck_assert_str_eq(str(e, "CidrBlock"), "0.0.0.0/0");
	}
	ck_assert_int_eq(count(v, "Associations"), 3);
	for (i = 0; i < 3; i++) {
		e = json_object_array_get_idx(json_path(v, "Associations"), i);
		ck_assert_str_eq(str(e, "SubnetId"), str(item(subnets, "Subnets", i), "SubnetId"));
		ck_assert_str_eq(str(e, "NetworkAclId"), str(v, "NetworkAclId"));
		ck_assert(ec2_id_valid("aclassoc", str(e, "NetworkAclAssociationId")));
	}
	json_object_put(vpcs);
	json_object_put(subnets);
	json_object_put(igws);
	json_object_put(rtbs);
	json_object_put(acls);
}
END_TEST

/* The layout is written once: another context (another process, as far as the store can tell)
 * sees the same ids, whichever action laid it out. */
START_TEST(ids_are_stable_across_contexts)
{
	static const action_fn fns[] = { ec2_describe_vpcs, ec2_describe_subnets,
					 ec2_describe_internet_gateways, ec2_describe_route_tables,
					 ec2_describe_network_acls };
	json_object *sg = ok(ec2_describe_security_groups, J("{}")), *before[5], *after[5];
	struct ec2_ctx other;
	struct ec2_error err = { 0 };
	size_t i;

	json_object_put(sg); /* the security groups lay it out first here */
	for (i = 0; i < 5; i++)
		before[i] = ok(fns[i], J("{}"));
	ck_assert_msg(ec2_ctx_open(&other, &cfg, 0, &err) == 0, "%s", err.message);
	for (i = 0; i < 5; i++) {
		json_object *req = J("{}");

		after[i] = fns[i](&other, req, &err);
		json_object_put(req);
		ck_assert_ptr_nonnull(after[i]);
		ck_assert_str_eq(json_object_to_json_string(before[i]),
				 json_object_to_json_string(after[i]));
		json_object_put(before[i]);
		json_object_put(after[i]);
	}
	ec2_ctx_close(&other);
}
END_TEST

static int old_ids(json_object *root, void *opaque, struct ec2_error *err)
{
	(void)opaque;
	(void)err;
	ck_assert(!json_object_object_get_ex(root, "default_vpc", NULL));
	json_add_str(root, "DefaultVpcId", "vpc-0123456789abcdef0");
	json_add_str(root, "DefaultSubnetId", "subnet-0123456789abcdef0");
	return 0;
}

/* A state folder from before the default VPC's layout has the two ids its instances carry: the
 * VPC and the first zone's subnet keep them. */
START_TEST(older_state_folders_keep_their_ids)
{
	json_object *vpcs, *subnets;

	ck_assert_int_eq(store_update(ctx.store, old_ids, NULL, NULL), 0);
	vpcs = ok(ec2_describe_vpcs, J("{}"));
	subnets = ok(ec2_describe_subnets, J("{}"));
	ck_assert_str_eq(str(item(vpcs, "Vpcs", 0), "VpcId"), "vpc-0123456789abcdef0");
	ck_assert_str_eq(str(item(subnets, "Subnets", 0), "SubnetId"), "subnet-0123456789abcdef0");
	ck_assert_str_eq(str(item(subnets, "Subnets", 0), "CidrBlock"), "172.31.0.0/20");
	ck_assert_str_eq(str(item(subnets, "Subnets", 1), "VpcId"), "vpc-0123456789abcdef0");
	ck_assert_str_ne(str(item(subnets, "Subnets", 1), "SubnetId"), "subnet-0123456789abcdef0");
	json_object_put(vpcs);
	json_object_put(subnets);
}
END_TEST

START_TEST(cidr_helpers)
{
	uint32_t base;
	unsigned bits;

	ck_assert(net_cidr_contains("172.31.16.0/20", "172.31.31.255"));
	ck_assert(!net_cidr_contains("172.31.16.0/20", "172.31.32.0"));
	ck_assert(!net_cidr_contains("172.31.16.0/20", "172.31.15.255"));
	ck_assert(net_cidr_contains("0.0.0.0/0", "10.1.2.3"));
	ck_assert(!net_cidr_contains("172.31.16.0/20", "x"));
	ck_assert(!net_cidr_contains("172.31.16.0/33", "172.31.16.1"));
	ck_assert(!net_cidr_contains("172.31.16.0/", "172.31.16.1"));
	ck_assert(!net_cidr_contains("172.31.16.0/2x", "172.31.16.1"));
	ck_assert_int_eq(net_cidr_parse("172.31.17.9/20", &base, &bits), 0);
	ck_assert_uint_eq(base, 0xac1f1000u);
	ck_assert_uint_eq(bits, 20);
	ck_assert_int_eq(net_cidr_parse("172.31.17.9", &base, &bits), -1);
}
END_TEST

/* One filter: match (NULL: the objects have no such member, so nothing matches) selects want
 * objects, miss none. */
struct filter_case {
	action_fn fn;
	const char *key;
	const char *name;
	const char *match;
	size_t want;
	const char *miss;
};

static const struct filter_case filter_cases[] = {
	{ ec2_describe_vpcs, "Vpcs", "cidr", "172.31.0.0/16", 1, "10.0.0.0/16" },
	{ ec2_describe_vpcs, "Vpcs", "cidr-block-association.cidr-block", "172.31.0.0/16", 1, "10.*" },
	{ ec2_describe_vpcs, "Vpcs", "cidr-block-association.association-id", "vpc-cidr-assoc-*", 1,
	  "vpc-cidr-assoc-0" },
	{ ec2_describe_vpcs, "Vpcs", "cidr-block-association.state", "associated", 1, "failed" },
	{ ec2_describe_vpcs, "Vpcs", "dhcp-options-id", "dopt-*", 1, "dopt-0" },
	{ ec2_describe_vpcs, "Vpcs", "ipv6-cidr-block-association.ipv6-cidr-block", NULL, 0, "*" },
	{ ec2_describe_vpcs, "Vpcs", "ipv6-cidr-block-association.ipv6-pool", NULL, 0, "*" },
	{ ec2_describe_vpcs, "Vpcs", "ipv6-cidr-block-association.association-id", NULL, 0, "*" },
	{ ec2_describe_vpcs, "Vpcs", "ipv6-cidr-block-association.state", NULL, 0, "*" },
	{ ec2_describe_vpcs, "Vpcs", "is-default", "true", 1, "false" },
	{ ec2_describe_vpcs, "Vpcs", "owner-id", "000000000000", 1, "111111111111" },
	{ ec2_describe_vpcs, "Vpcs", "state", "available", 1, "pending" },
	{ ec2_describe_vpcs, "Vpcs", "vpc-id", "vpc-*", 1, "vpc-0" },

	{ ec2_describe_subnets, "Subnets", "availability-zone", "us-east-1b", 1, "us-east-1z" },
	{ ec2_describe_subnets, "Subnets", "availability-zone-id", "use1-az3", 1, "use1-az9" },
	{ ec2_describe_subnets, "Subnets", "available-ip-address-count", "4091", 3, "4090" },
	{ ec2_describe_subnets, "Subnets", "cidr-block", "172.31.16.0/20", 1, "172.31.48.0/20" },
	{ ec2_describe_subnets, "Subnets", "customer-owned-ipv4-pool", NULL, 0, "*" },
	{ ec2_describe_subnets, "Subnets", "default-for-az", "true", 3, "false" },
	{ ec2_describe_subnets, "Subnets", "enable-dns64", "false", 3, "true" },
	{ ec2_describe_subnets, "Subnets", "enable-lni-at-device-index", NULL, 0, "*" },
	{ ec2_describe_subnets, "Subnets", "ipv6-cidr-block-association.ipv6-cidr-block", NULL, 0,
	  "*" },
	{ ec2_describe_subnets, "Subnets", "ipv6-cidr-block-association.association-id", NULL, 0,
	  "*" },
	{ ec2_describe_subnets, "Subnets", "ipv6-cidr-block-association.state", NULL, 0, "*" },
	{ ec2_describe_subnets, "Subnets", "ipv6-native", "false", 3, "true" },
	{ ec2_describe_subnets, "Subnets", "map-customer-owned-ip-on-launch", "false", 3, "true" },
	{ ec2_describe_subnets, "Subnets", "map-public-ip-on-launch", "true", 3, "false" },
	{ ec2_describe_subnets, "Subnets", "outpost-arn", NULL, 0, "*" },
	{ ec2_describe_subnets, "Subnets", "owner-id", "000000000000", 3, "111111111111" },
	{ ec2_describe_subnets, "Subnets", "private-dns-name-options-on-launch.hostname-type",
	  "ip-name", 3, "resource-name" },
	{ ec2_describe_subnets, "Subnets",
	  "private-dns-name-options-on-launch.enable-resource-name-dns-a-record", "false", 3, "true" },
	{ ec2_describe_subnets, "Subnets",
	  "private-dns-name-options-on-launch.enable-resource-name-dns-aaaa-record", "false", 3,
	  "true" },
	{ ec2_describe_subnets, "Subnets", "state", "available", 3, "pending" },
	{ ec2_describe_subnets, "Subnets", "subnet-arn", "arn:aws:ec2:us-east-1:000000000000:subnet/*",
	  3, "arn:aws:ec2:eu-west-1:*" },
	{ ec2_describe_subnets, "Subnets", "subnet-id", "subnet-*", 3, "subnet-0" },
	{ ec2_describe_subnets, "Subnets", "vpc-id", "vpc-*", 3, "vpc-0" },

	{ ec2_describe_internet_gateways, "InternetGateways", "attachment.state", "available", 1,
	  "detached" },
	{ ec2_describe_internet_gateways, "InternetGateways", "attachment.vpc-id", "vpc-*", 1,
	  "vpc-0" },
	{ ec2_describe_internet_gateways, "InternetGateways", "internet-gateway-id", "igw-*", 1,
	  "igw-0" },
	{ ec2_describe_internet_gateways, "InternetGateways", "owner-id", "000000000000", 1, "1" },

	{ ec2_describe_route_tables, "RouteTables", "association.route-table-association-id",
	  "rtbassoc-*", 1, "rtbassoc-0" },
	{ ec2_describe_route_tables, "RouteTables", "association.route-table-id", "rtb-*", 1,
	  "rtb-0" },
	{ ec2_describe_route_tables, "RouteTables", "association.subnet-id", NULL, 0, "*" },
	{ ec2_describe_route_tables, "RouteTables", "association.main", "true", 1, "false" },
	{ ec2_describe_route_tables, "RouteTables", "owner-id", "000000000000", 1, "1" },
	{ ec2_describe_route_tables, "RouteTables", "route-table-id", "rtb-*", 1, "rtb-0" },
	{ ec2_describe_route_tables, "RouteTables", "route.destination-cidr-block", "0.0.0.0/0", 1,
	  "10.0.0.0/8" },
	{ ec2_describe_route_tables, "RouteTables", "route.destination-ipv6-cidr-block", NULL, 0,
	  "*" },
	{ ec2_describe_route_tables, "RouteTables", "route.destination-prefix-list-id", NULL, 0,
	  "*" },
	{ ec2_describe_route_tables, "RouteTables", "route.egress-only-internet-gateway-id", NULL, 0,
	  "*" },
	{ ec2_describe_route_tables, "RouteTables", "route.gateway-id", "local", 1, "nat" },
	{ ec2_describe_route_tables, "RouteTables", "route.instance-id", NULL, 0, "*" },
	{ ec2_describe_route_tables, "RouteTables", "route.nat-gateway-id", NULL, 0, "*" },
	{ ec2_describe_route_tables, "RouteTables", "route.transit-gateway-id", NULL, 0, "*" },
	{ ec2_describe_route_tables, "RouteTables", "route.origin", "CreateRoute", 1,
	  "EnableVgwRoutePropagation" },
	{ ec2_describe_route_tables, "RouteTables", "route.state", "active", 1, "blackhole" },
	{ ec2_describe_route_tables, "RouteTables", "route.vpc-peering-connection-id", NULL, 0,
	  "*" },
	{ ec2_describe_route_tables, "RouteTables", "vpc-id", "vpc-*", 1, "vpc-0" },

	{ ec2_describe_network_acls, "NetworkAcls", "association.association-id", "aclassoc-*", 1,
	  "aclassoc-0" },
	{ ec2_describe_network_acls, "NetworkAcls", "association.network-acl-id", "acl-*", 1,
	  "acl-0" },
	{ ec2_describe_network_acls, "NetworkAcls", "association.subnet-id", "subnet-*", 1,
	  "subnet-0" },
	{ ec2_describe_network_acls, "NetworkAcls", "default", "true", 1, "false" },
	{ ec2_describe_network_acls, "NetworkAcls", "entry.cidr", "0.0.0.0/0", 1, "10.0.0.0/8" },
	{ ec2_describe_network_acls, "NetworkAcls", "entry.icmp.code", NULL, 0, "*" },
	{ ec2_describe_network_acls, "NetworkAcls", "entry.icmp.type", NULL, 0, "*" },
	{ ec2_describe_network_acls, "NetworkAcls", "entry.ipv6-cidr", NULL, 0, "*" },
	{ ec2_describe_network_acls, "NetworkAcls", "entry.port-range.from", NULL, 0, "*" },
	{ ec2_describe_network_acls, "NetworkAcls", "entry.port-range.to", NULL, 0, "*" },
	{ ec2_describe_network_acls, "NetworkAcls", "entry.protocol", "-1", 1, "6" },
	{ ec2_describe_network_acls, "NetworkAcls", "entry.rule-action", "deny", 1, "reject" },
	{ ec2_describe_network_acls, "NetworkAcls", "entry.egress", "false", 1, "no" },
	{ ec2_describe_network_acls, "NetworkAcls", "entry.rule-number", "32767", 1, "200" },
	{ ec2_describe_network_acls, "NetworkAcls", "network-acl-id", "acl-*", 1, "acl-0" },
	{ ec2_describe_network_acls, "NetworkAcls", "owner-id", "000000000000", 1, "1" },
	{ ec2_describe_network_acls, "NetworkAcls", "vpc-id", "vpc-*", 1, "vpc-0" },

	{ ec2_describe_availability_zones, "AvailabilityZones", "group-name", "us-east-1", 3,
	  "us-west-2" },
	{ ec2_describe_availability_zones, "AvailabilityZones", "message", NULL, 0, "*" },
	{ ec2_describe_availability_zones, "AvailabilityZones", "opt-in-status",
	  "opt-in-not-required", 3, "opted-in" },
	{ ec2_describe_availability_zones, "AvailabilityZones", "parent-zone-id", NULL, 0, "*" },
	{ ec2_describe_availability_zones, "AvailabilityZones", "parent-zone-name", NULL, 0, "*" },
	{ ec2_describe_availability_zones, "AvailabilityZones", "parent-zoneID", NULL, 0, "*" },
	{ ec2_describe_availability_zones, "AvailabilityZones", "parent-zoneName", NULL, 0, "*" },
	{ ec2_describe_availability_zones, "AvailabilityZones", "region-name", "us-east-1", 3,
	  "eu-west-1" },
	{ ec2_describe_availability_zones, "AvailabilityZones", "state", "available", 3,
	  "impaired" },
	{ ec2_describe_availability_zones, "AvailabilityZones", "zone-id", "use1-az2", 1,
	  "use1-az7" },
	{ ec2_describe_availability_zones, "AvailabilityZones", "zone-name", "us-east-1c", 1,
	  "us-east-1d" },
	{ ec2_describe_availability_zones, "AvailabilityZones", "zone-type", "availability-zone", 3,
	  "local-zone" },

	{ ec2_describe_regions, "Regions", "endpoint", "ec2.us-east-1.amazonaws.com", 1, "ec2.*.cn" },
	{ ec2_describe_regions, "Regions", "opt-in-status", "opt-in-not-required", 1,
	  "not-opted-in" },
	{ ec2_describe_regions, "Regions", "region-name", "us-east-1", 1, "eu-west-1" },
};

START_TEST(every_filter_matches_and_misses)
{
	const struct filter_case *c = &filter_cases[_i];
	json_object *r;

	if (c->match) {
		r = ok(c->fn, J("{\"Filters\": [{\"Name\": \"%s\", \"Values\": [\"%s\"]}]}", c->name,
				c->match));
		ck_assert_msg(count(r, c->key) == c->want, "%s=%s: %zu, not %zu", c->name, c->match,
			      count(r, c->key), c->want);
		json_object_put(r);
	}
	r = ok(c->fn, J("{\"Filters\": [{\"Name\": \"%s\", \"Values\": [\"%s\"]}]}", c->name,
			c->miss));
	ck_assert_msg(count(r, c->key) == 0, "%s=%s matched", c->name, c->miss);
	json_object_put(r);
}
END_TEST

START_TEST(unknown_filters_and_ids)
{
	static const struct {
		action_fn fn;
		const char *ids, *id, *code, *message;
	} cases[] = {
		{ ec2_describe_vpcs, "VpcIds", "vpc-0123456789abcdef0", "InvalidVpcID.NotFound",
		  "The vpc ID 'vpc-0123456789abcdef0' does not exist" },
		{ ec2_describe_subnets, "SubnetIds", "subnet-12345678", "InvalidSubnetID.NotFound",
		  "The subnet ID 'subnet-12345678' does not exist" },
		{ ec2_describe_internet_gateways, "InternetGatewayIds", "igw-12345678",
		  "InvalidInternetGatewayID.NotFound",
		  "The internetGateway ID 'igw-12345678' does not exist" },
		{ ec2_describe_route_tables, "RouteTableIds", "rtb-12345678",
		  "InvalidRouteTableID.NotFound", "The routeTable ID 'rtb-12345678' does not exist" },
		{ ec2_describe_network_acls, "NetworkAclIds", "acl-12345678",
		  "InvalidNetworkAclID.NotFound", "The networkAcl ID 'acl-12345678' does not exist" },
	};
	json_object *subnets = ok(ec2_describe_subnets, J("{}")), *vpcs = ok(ec2_describe_vpcs, J("{}"));
	const char *sid = str(item(subnets, "Subnets", 1), "SubnetId");
	const char *vpc_id = str(item(vpcs, "Vpcs", 0), "VpcId");
	json_object *r;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fails(cases[i].fn, J("{\"%s\": [\"%s\"]}", cases[i].ids, cases[i].id), cases[i].code,
		      cases[i].message);
		/* An id of another kind is not one of these. */
		fails(cases[i].fn, J("{\"%s\": [\"%s\"]}", cases[i].ids,
				     i == 1 ? vpc_id : sid),
		      cases[i].code, NULL);
		fails(cases[i].fn, J("{\"Filters\": [{\"Name\": \"nope\", \"Values\": [\"x\"]}]}"),
		      "InvalidParameterValue", "The filter 'nope' is invalid");
	}
	/* By id: the one named. */
	r = ok(ec2_describe_subnets, J("{\"SubnetIds\": [\"%s\"]}", sid));
	ck_assert_int_eq(count(r, "Subnets"), 1);
	ck_assert_str_eq(str(item(r, "Subnets", 0), "CidrBlock"), "172.31.16.0/20");
	json_object_put(r);
	/* A known id beside an unknown one: the whole call fails. */
	fails(ec2_describe_subnets, J("{\"SubnetIds\": [\"%s\", \"subnet-87654321\"]}", sid),
	      "InvalidSubnetID.NotFound", "The subnet ID 'subnet-87654321' does not exist");
	/* DryRun: every check made, DryRunOperation instead of the answer. */
	fails(ec2_action("DescribeSubnets"), J("{\"DryRun\": true}"), "DryRunOperation", NULL);
	fails(ec2_action("DescribeVpcs"), J("{\"DryRun\": true, \"VpcIds\": [\"vpc-12345678\"]}"),
	      "InvalidVpcID.NotFound", NULL);
	json_object_put(subnets);
	json_object_put(vpcs);
}
END_TEST

/* Tags set on the default VPC's resources show and filter (tag:KEY, tag-key, tag-value). */
START_TEST(tags_on_vpc_resources)
{
	static const struct {
		action_fn fn;
		const char *key, *id_key;
	} kinds[] = {
		{ ec2_describe_vpcs, "Vpcs", "VpcId" },
		{ ec2_describe_subnets, "Subnets", "SubnetId" },
		{ ec2_describe_internet_gateways, "InternetGateways", "InternetGatewayId" },
		{ ec2_describe_route_tables, "RouteTables", "RouteTableId" },
		{ ec2_describe_network_acls, "NetworkAcls", "NetworkAclId" },
	};
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		json_object *all = ok(kinds[i].fn, J("{}")), *r, *tags;
		const char *id = str(item(all, kinds[i].key, 0), kinds[i].id_key);

		r = ok(ec2_create_tags, J("{\"Resources\": [\"%s\"], \"Tags\": [{\"Key\": \"Name\", "
					  "\"Value\": \"main-%zu\"}]}", id, i));
		json_object_put(r);
		r = ok(kinds[i].fn, J("{\"Filters\": [{\"Name\": \"tag:Name\", \"Values\": "
				      "[\"main-%zu\"]}]}", i));
		ck_assert_int_eq(count(r, kinds[i].key), 1);
		ck_assert_str_eq(str(item(r, kinds[i].key, 0), kinds[i].id_key), id);
		tags = json_path(item(r, kinds[i].key, 0), "Tags");
		ck_assert_int_eq(json_object_array_length(tags), 1);
		json_object_put(r);
		r = ok(kinds[i].fn, J("{\"Filters\": [{\"Name\": \"tag:Name\", \"Values\": [\"other\"]}]}"));
		ck_assert_int_eq(count(r, kinds[i].key), 0);
		json_object_put(r);
		r = ok(kinds[i].fn, J("{\"Filters\": [{\"Name\": \"tag-key\", \"Values\": [\"Name\"]}]}"));
		ck_assert_int_eq(count(r, kinds[i].key), 1);
		json_object_put(r);
		r = ok(kinds[i].fn, J("{\"Filters\": [{\"Name\": \"tag-key\", \"Values\": [\"Owner\"]}]}"));
		ck_assert_int_eq(count(r, kinds[i].key), 0);
		json_object_put(r);
		/* DescribeTags names it with its resource type. */
		r = ok(ec2_describe_tags, J("{\"Filters\": [{\"Name\": \"resource-id\", \"Values\": "
					    "[\"%s\"]}]}", id));
		ck_assert_int_eq(count(r, "Tags"), 1);
		json_object_put(r);
		r = ok(ec2_delete_tags, J("{\"Resources\": [\"%s\"]}", id));
		json_object_put(r);
		r = ok(kinds[i].fn, J("{\"Filters\": [{\"Name\": \"tag-key\", \"Values\": [\"Name\"]}]}"));
		ck_assert_int_eq(count(r, kinds[i].key), 0);
		json_object_put(r);
		json_object_put(all);
	}
	fails(ec2_create_tags, J("{\"Resources\": [\"subnet-12345678\"], \"Tags\": [{\"Key\": \"a\", "
				 "\"Value\": \"b\"}]}"), "InvalidSubnetID.NotFound", NULL);
}
END_TEST

START_TEST(zones_region_and_account)
{
	json_object *r = ok(ec2_describe_availability_zones, J("{}")), *z, *vpcs;
	char buf[32];

	ck_assert_int_eq(count(r, "AvailabilityZones"), 3);
	z = item(r, "AvailabilityZones", 1);
	ck_assert_str_eq(str(z, "ZoneName"), "us-east-1b");
	ck_assert_str_eq(str(z, "ZoneId"), "use1-az2");
	ck_assert_str_eq(str(z, "State"), "available");
	ck_assert_str_eq(str(z, "OptInStatus"), "opt-in-not-required");
	ck_assert_str_eq(str(z, "RegionName"), "us-east-1");
	ck_assert_str_eq(str(z, "GroupName"), "us-east-1");
	ck_assert_str_eq(str(z, "NetworkBorderGroup"), "us-east-1");
	ck_assert_str_eq(str(z, "ZoneType"), "availability-zone");
	json_object_put(r);
	r = ok(ec2_describe_availability_zones, J("{\"ZoneNames\": [\"us-east-1c\"], "
						  "\"AllAvailabilityZones\": true}"));
	ck_assert_int_eq(count(r, "AvailabilityZones"), 1);
	ck_assert_str_eq(str(item(r, "AvailabilityZones", 0), "ZoneId"), "use1-az3");
	json_object_put(r);
	r = ok(ec2_describe_availability_zones, J("{\"ZoneIds\": [\"use1-az1\"]}"));
	ck_assert_int_eq(count(r, "AvailabilityZones"), 1);
	ck_assert_str_eq(str(item(r, "AvailabilityZones", 0), "ZoneName"), "us-east-1a");
	json_object_put(r);
	fails(ec2_describe_availability_zones, J("{\"ZoneNames\": [\"us-east-1z\"]}"),
	      "InvalidParameterValue", "Invalid availability zone: [us-east-1z]");
	fails(ec2_describe_availability_zones, J("{\"ZoneIds\": [\"use1-az9\"]}"),
	      "InvalidParameterValue", NULL);

	r = ok(ec2_describe_regions, J("{\"RegionNames\": [\"us-east-1\"], \"AllRegions\": true}"));
	ck_assert_int_eq(count(r, "Regions"), 1);
	ck_assert_str_eq(str(item(r, "Regions", 0), "Endpoint"), "ec2.us-east-1.amazonaws.com");
	ck_assert_str_eq(str(item(r, "Regions", 0), "RegionName"), "us-east-1");
	json_object_put(r);
	fails(ec2_describe_regions, J("{\"RegionNames\": [\"eu-west-9\"]}"), "InvalidParameterValue",
	      NULL);

	r = ok(ec2_describe_account_attributes, J("{}"));
	ck_assert_int_eq(count(r, "AccountAttributes"), 6);
	json_object_put(r);
	cfg.instance_limit = 7;
	r = ok(ec2_describe_account_attributes,
	       J("{\"AttributeNames\": [\"default-vpc\", \"max-instances\", \"supported-platforms\"]}"));
	vpcs = ok(ec2_describe_vpcs, J("{}"));
	ck_assert_int_eq(count(r, "AccountAttributes"), 3);
	ck_assert_str_eq(str(item(r, "AccountAttributes", 0), "AttributeName"), "max-instances");
	ck_assert_str_eq(str(json_object_array_get_idx(json_path(item(r, "AccountAttributes", 0),
								     "AttributeValues"), 0),
			     "AttributeValue"), "7");
	ck_assert_str_eq(str(json_object_array_get_idx(json_path(item(r, "AccountAttributes", 1),
								     "AttributeValues"), 0),
			     "AttributeValue"), "VPC");
	snprintf(buf, sizeof(buf), "%s", str(item(vpcs, "Vpcs", 0), "VpcId"));
	ck_assert_str_eq(str(json_object_array_get_idx(json_path(item(r, "AccountAttributes", 2),
								     "AttributeValues"), 0),
			     "AttributeValue"), buf);
	json_object_put(vpcs);
	json_object_put(r);
	fails(ec2_describe_account_attributes, J("{\"AttributeNames\": [\"max-widgets\"]}"),
	      "InvalidParameterValue", NULL);
}
END_TEST

/* A configured list of zones: each gets its subnet in order, the default zone must be one. */
START_TEST(configured_zones)
{
	struct ec2_config c2;
	struct ec2_error err = { 0 };
	char zone_id[32], *other = test_tmpdir(), *path = util_strdupf("%s/config.json", other);
	/* config.json: a list; the default zone must be one of them. */
	const char *bad = "{\"availability-zone\": \"us-east-1a\", \"zones\": [\"us-east-1b\", "
			  "\"us-east-1d\"]}";
	const char *good = "{\"availability-zone\": \"us-east-1d\", \"zones\": [\"us-east-1b\", "
			   "\"us-east-1d\"]}";

	ck_assert_int_eq(util_write_file_atomic(path, bad, strlen(bad), 0644, NULL), 0);
	ck_assert_int_eq(ec2_config_load(&c2, other, &err), -1);
	ck_assert(strstr(err.message, "availability-zone 'us-east-1a'") != NULL);
	ck_assert_int_eq(util_write_file_atomic(path, good, strlen(good), 0644, NULL), 0);
	ck_assert_int_eq(ec2_config_load(&c2, other, &err), 0);
	ck_assert_int_eq(c2.zone_count, 2);
	ck_assert_str_eq(c2.availability_zone, "us-east-1d");
	ec2_config_clear(&c2);
	free(path);
	test_rmdir(other);
	/* Unset, the default zone is the first. */
	setenv("EC2_LITE_ZONES", "us-east-1b,us-east-1d", 1);
	ck_assert_int_eq(ec2_config_load(&c2, dir, &err), 0);
	ck_assert_str_eq(c2.availability_zone, "us-east-1b");
	ec2_config_clear(&c2);
	setenv("EC2_LITE_ZONES", "us-east-1a,US-EAST-1B", 1);
	ck_assert_int_eq(ec2_config_load(&c2, dir, &err), -1);
	setenv("EC2_LITE_ZONES", "us-east-1a,us-east-1a", 1);
	ck_assert_int_eq(ec2_config_load(&c2, dir, &err), -1);
	setenv("EC2_LITE_ZONES", "us-east-1a,us-east-1d,us-east-1f,us-east-1b", 1);
	ck_assert_int_eq(ec2_config_load(&c2, dir, &err), 0);
	unsetenv("EC2_LITE_ZONES");
	ck_assert_int_eq(c2.zone_count, 4);
	ck_assert_str_eq(c2.zones[3], "us-east-1b");
	ck_assert_str_eq(c2.availability_zone, "us-east-1a");
	ec2_config_clear(&c2);
	/* The default: the region's a, b and c. */
	ck_assert_int_eq(cfg.zone_count, 3);
	ck_assert_str_eq(cfg.zones[2], "us-east-1c");

	vpc_zone_id("us-east-1", "us-east-1f", zone_id, sizeof(zone_id));
	ck_assert_str_eq(zone_id, "use1-az6");
	vpc_zone_id("ap-southeast-2", "ap-southeast-2b", zone_id, sizeof(zone_id));
	ck_assert_str_eq(zone_id, "apse2-az2");
	vpc_zone_id("eu-central-1", "eu-central-1a", zone_id, sizeof(zone_id));
	ck_assert_str_eq(zone_id, "euc1-az1");
}
END_TEST

/* A zone added to the configuration gets the next /20 when next read; the others keep theirs. */
START_TEST(a_zone_added_later)
{
	json_object *before = ok(ec2_describe_subnets, J("{}")), *after, *s;

	ec2_config_set_zones(&cfg, "us-east-1a,us-east-1b,us-east-1c,us-east-1d");
	after = ok(ec2_describe_subnets, J("{}"));
	ck_assert_int_eq(count(after, "Subnets"), 4);
	s = item(after, "Subnets", 3);
	ck_assert_str_eq(str(s, "AvailabilityZone"), "us-east-1d");
	ck_assert_str_eq(str(s, "CidrBlock"), "172.31.48.0/20");
	ck_assert_str_eq(str(item(after, "Subnets", 1), "SubnetId"),
			 str(item(before, "Subnets", 1), "SubnetId"));
	json_object_put(before);
	json_object_put(after);
}
END_TEST

static json_object *run_req(const char *extra, int n)
{
	return J("{\"ImageId\": \"%s\", \"InstanceType\": \"t2.nano\", \"MinCount\": %d, "
		 "\"MaxCount\": %d, %s}", ami, n, n, extra);
}

/* Launches n instances with the request's extra members; checks that each is in subnet sid of
 * zone, with a private IP inside cidr; returns the reservation. */
static json_object *run_into(const char *extra, int n, const char *sid, const char *zone,
			     const char *cidr)
{
	json_object *r = ok(ec2_run_instances, run_req(extra, n)), *list = json_path(r, "Instances");
	int i;

	ck_assert_int_eq(json_object_array_length(list), n);
	for (i = 0; i < n; i++) {
		json_object *inst = json_object_array_get_idx(list, i), *d;
		const char *ip = str(inst, "PrivateIpAddress");

		ck_assert_str_eq(str(inst, "SubnetId"), sid);
		ck_assert_str_eq(str(inst, "Placement.AvailabilityZone"), zone);
		ck_assert_msg(net_cidr_contains(cidr, ip), "%s is not in %s", ip, cidr);
		ck_assert_str_eq(str(json_object_array_get_idx(json_path(inst, "NetworkInterfaces"), 0),
				     "SubnetId"), sid);
		/* DescribeInstances and its availability-zone filter agree. */
		d = ok(ec2_describe_instances,
		       J("{\"InstanceIds\": [\"%s\"], \"Filters\": [{\"Name\": \"availability-zone\", "
			 "\"Values\": [\"%s\"]}]}", str(inst, "InstanceId"), zone));
		ck_assert_int_eq(count(d, "Reservations"), 1);
		json_object_put(d);
	}
	return r;
}

static void terminate(json_object *reservation)
{
	json_object *list = json_path(reservation, "Instances"), *ids = json_object_new_array(), *req;
	size_t i;

	for (i = 0; i < json_object_array_length(list); i++)
		json_object_array_add(ids, json_object_new_string(
					      str(json_object_array_get_idx(list, i), "InstanceId")));
	req = json_object_new_object();
	json_object_object_add(req, "InstanceIds", ids);
	json_object_put(ok(ec2_terminate_instances, req));
}

START_TEST(launches_choose_the_subnet)
{
	json_object *b = subnet_in("us-east-1b"), *c = subnet_in("us-east-1c"), *a = subnet_in("us-east-1a");
	json_object *in_b, *in_c, *via_nic, *plain, *sg, *groups;
	char extra[512], sid_a[32], sid_b[32], sid_c[32], gid[32], *netdev, *nic;

	snprintf(sid_a, sizeof(sid_a), "%s", str(a, "SubnetId"));
	snprintf(sid_b, sizeof(sid_b), "%s", str(b, "SubnetId"));
	snprintf(sid_c, sizeof(sid_c), "%s", str(c, "SubnetId"));
	json_object_put(a);
	json_object_put(b);
	json_object_put(c);

	/* SubnetId: three instances in us-east-1b, which has three addresses fewer. */
	snprintf(extra, sizeof(extra), "\"SubnetId\": \"%s\"", sid_b);
	in_b = run_into(extra, 3, sid_b, "us-east-1b", "172.31.16.0/20");
	ck_assert_int_eq(free_in("us-east-1b"), 4088);
	ck_assert_int_eq(free_in("us-east-1a"), 4091);
	ck_assert_int_eq(free_in("us-east-1c"), 4091);

	/* QEMU's DHCP serves that /20: router .1, DNS .2. */
	net_qemu_args(str(json_object_array_get_idx(json_path(in_b, "Instances"), 0),
			  "PrivateIpAddress"), NULL, &netdev, &nic);
	ck_assert_msg(strstr(netdev, ",net=172.31.16.0/20,host=172.31.16.1,dns=172.31.16.2,") != NULL,
		      "%s", netdev);
	free(netdev);
	free(nic);

	/* Placement: the zone's subnet; with the subnet too, when they agree. */
	in_c = run_into("\"Placement\": {\"AvailabilityZone\": \"us-east-1c\"}", 1, sid_c,
			"us-east-1c", "172.31.32.0/20");
	json_object_put(in_c);
	snprintf(extra, sizeof(extra), "\"SubnetId\": \"%s\", \"Placement\": {\"AvailabilityZone\": "
		 "\"us-east-1c\"}", sid_c);
	in_c = run_into(extra, 1, sid_c, "us-east-1c", "172.31.32.0/20");
	ck_assert_int_eq(free_in("us-east-1c"), 4089);

	/* NetworkInterfaces[0]: its subnet and its groups. */
	sg = ok(ec2_create_security_group, J("{\"GroupName\": \"web\", \"Description\": \"web\"}"));
	snprintf(gid, sizeof(gid), "%s", str(sg, "GroupId"));
	json_object_put(sg);
	snprintf(extra, sizeof(extra), "\"NetworkInterfaces\": [{\"DeviceIndex\": 0, \"SubnetId\": "
		 "\"%s\", \"Groups\": [\"%s\"]}]", sid_b, gid);
	via_nic = run_into(extra, 1, sid_b, "us-east-1b", "172.31.16.0/20");
	groups = json_path(json_object_array_get_idx(json_path(via_nic, "Instances"), 0),
			   "SecurityGroups");
	ck_assert_int_eq(json_object_array_length(groups), 1);
	ck_assert_str_eq(str(json_object_array_get_idx(groups, 0), "GroupId"), gid);
	ck_assert_int_eq(free_in("us-east-1b"), 4087);

	/* Neither: the default zone's subnet, which keeps the id instances had before zones. */
	plain = run_into("\"InstanceInitiatedShutdownBehavior\": \"stop\"", 1, sid_a, "us-east-1a",
			 "172.31.0.0/20");
	ck_assert_int_eq(free_in("us-east-1a"), 4090);

	/* Terminated instances give their addresses back. */
	terminate(in_b);
	ck_assert_int_eq(free_in("us-east-1b"), 4090);
	json_object_put(in_b);
	json_object_put(in_c);
	json_object_put(via_nic);
	json_object_put(plain);
}
END_TEST

/* The default zone is the setting's. */
START_TEST(the_default_zone_is_configurable)
{
	json_object *b = subnet_in("us-east-1b"), *r;
	char sid_b[32];

	snprintf(sid_b, sizeof(sid_b), "%s", str(b, "SubnetId"));
	json_object_put(b);
	ec2_config_set(&cfg.availability_zone, "us-east-1b");
	r = run_into("\"InstanceInitiatedShutdownBehavior\": \"stop\"", 1, sid_b, "us-east-1b",
		     "172.31.16.0/20");
	json_object_put(r);
}
END_TEST

/* A launch under way holds its private IP in its journal: the subnet's count shows it taken. */
START_TEST(launches_under_way_reserve_their_addresses)
{
	struct journal j = { .lock_fd = -1 };
	json_object *fields = J("{\"MinCount\": 1, \"Instances\": [{\"InstanceId\": "
				"\"i-0000000000000000a\", \"Volume\": \"v\", \"PrivateIp\": "
				"\"172.31.33.7\", \"MemoryMiB\": 512}]}");

	ck_assert_int_eq(journal_begin_with(cfg.state_dir, "r-0000000000000000a", fields, &j, NULL), 0);
	json_object_put(fields);
	ck_assert_int_eq(free_in("us-east-1c"), 4090);
	journal_end(&j);
	ck_assert_int_eq(free_in("us-east-1c"), 4091);
}
END_TEST

START_TEST(bad_subnet_choices_change_nothing)
{
	json_object *b = subnet_in("us-east-1b"), *vpcs = ok(ec2_describe_vpcs, J("{}"));
	char extra[512], sid_b[32];
	size_t before = live_instances();

	snprintf(sid_b, sizeof(sid_b), "%s", str(b, "SubnetId"));
	json_object_put(b);
	fails(ec2_run_instances, run_req("\"SubnetId\": \"subnet-12345678\"", 1),
	      "InvalidSubnetID.NotFound", "The subnet ID 'subnet-12345678' does not exist");
	snprintf(extra, sizeof(extra), "\"SubnetId\": \"%s\"",
		 str(item(vpcs, "Vpcs", 0), "VpcId"));
	fails(ec2_run_instances, run_req(extra, 1), "InvalidSubnetID.NotFound", NULL);
	fails(ec2_run_instances, run_req("\"Placement\": {\"AvailabilityZone\": \"us-east-1z\"}", 1),
	      "InvalidParameterValue", "Invalid availability zone: [us-east-1z]");
	snprintf(extra, sizeof(extra), "\"SubnetId\": \"%s\", \"Placement\": {\"AvailabilityZone\": "
		 "\"us-east-1c\"}", sid_b);
	fails(ec2_run_instances, run_req(extra, 1), "InvalidParameterCombination", NULL);
	snprintf(extra, sizeof(extra), "\"SubnetId\": \"%s\", \"NetworkInterfaces\": [{\"DeviceIndex\": "
		 "0, \"SubnetId\": \"%s\"}]", sid_b, sid_b);
	fails(ec2_run_instances, run_req(extra, 1), "InvalidParameterCombination", NULL);
	snprintf(extra, sizeof(extra), "\"SecurityGroupIds\": [\"sg-12345678\"], \"NetworkInterfaces\": "
		 "[{\"DeviceIndex\": 0, \"SubnetId\": \"%s\"}]", sid_b);
	fails(ec2_run_instances, run_req(extra, 1), "InvalidParameterCombination", NULL);
	snprintf(extra, sizeof(extra), "\"NetworkInterfaces\": [{\"DeviceIndex\": 1, \"SubnetId\": "
		 "\"%s\"}]", sid_b);
	fails(ec2_run_instances, run_req(extra, 1), "InvalidParameterValue", NULL);
	snprintf(extra, sizeof(extra), "\"NetworkInterfaces\": [{\"DeviceIndex\": 0, \"SubnetId\": "
		 "\"subnet-12345678\"}]");
	fails(ec2_run_instances, run_req(extra, 1), "InvalidSubnetID.NotFound", NULL);
	snprintf(extra, sizeof(extra), "\"DryRun\": true, \"SubnetId\": \"%s\"", sid_b);
	fails(ec2_run_instances, run_req(extra, 1), "DryRunOperation", NULL);
	ck_assert_int_eq(live_instances(), before);
	ck_assert_int_eq(free_in("us-east-1b"), 4091);
	json_object_put(vpcs);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vpc");
	TCase *tc = tcase_create("test-driver");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, default_layout);
	tcase_add_test(tc, ids_are_stable_across_contexts);
	tcase_add_test(tc, older_state_folders_keep_their_ids);
	tcase_add_test(tc, cidr_helpers);
	tcase_add_loop_test(tc, every_filter_matches_and_misses, 0,
			    sizeof(filter_cases) / sizeof(filter_cases[0]));
	tcase_add_test(tc, unknown_filters_and_ids);
	tcase_add_test(tc, tags_on_vpc_resources);
	tcase_add_test(tc, zones_region_and_account);
	tcase_add_test(tc, configured_zones);
	tcase_add_test(tc, a_zone_added_later);
	tcase_add_test(tc, launches_choose_the_subnet);
	tcase_add_test(tc, the_default_zone_is_configurable);
	tcase_add_test(tc, launches_under_way_reserve_their_addresses);
	tcase_add_test(tc, bad_subnet_choices_change_nothing);
	suite_add_tcase(s, tc);
	return test_run(s) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
