/* The default VPC (src/model/vpc.c), laid out as EC2 lays out an account's default VPC, and the
 * region's availability zones, the region and the account's attributes.
 *
 * The default VPC is 172.31.0.0/16 with an internet gateway attached, the main route table (the
 * local route and 0.0.0.0/0 through the gateway), the default network ACL (rule 100 allows and
 * rule 32767 denies all traffic, in and out) and one default subnet per configured zone: zone i
 * (config.h's zones, in order) has 172.31.(16*i).0/20. All of it is made in the store (section
 * "default_vpc", one record per resource by id, beside "DefaultVpcId" and "DefaultSubnetId",
 * which the first zone's subnet keeps) the first time any of it is needed, and keeps its ids
 * from then on; a zone added to the configuration gets its subnet when it is next read. Nothing
 * here can be created or deleted by a client (CreateVpc, CreateSubnet are not served).
 *
 * The describe actions change nothing but the first layout, and honour DryRun through the action
 * map (a read-only action). */
#ifndef EC2LITE_VPC_H
#define EC2LITE_VPC_H

#include <json-c/json.h>
#include <stdbool.h>

#include "ec2lite/config.h"
#include "ec2lite/ec2.h"
#include "ec2lite/error.h"
#include "ec2lite/ids.h"

/* DescribeVpcs: VpcIds, Filters (cidr, cidr-block-association.*, dhcp-options-id, is-default,
 * owner-id, state, vpc-id, ipv6-cidr-block-association.*, tags), MaxResults/NextToken. Returns
 * {Vpcs: [...]}. Errors: InvalidVpcID.NotFound, InvalidParameterValue (a filter, the paging). */
json_object *ec2_describe_vpcs(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err);
/* DescribeSubnets: SubnetIds, Filters (availability-zone, availability-zone-id,
 * available-ip-address-count, cidr-block, default-for-az, map-public-ip-on-launch, state,
 * subnet-arn, subnet-id, vpc-id, owner-id and the rest botocore documents, tags),
 * MaxResults/NextToken. Returns {Subnets: [...]} in zone order; AvailableIpAddressCount is 4091
 * less the addresses instances and launches under way hold in the subnet. Errors:
 * InvalidSubnetID.NotFound, InvalidParameterValue, libvirt's (listing the instances). */
json_object *ec2_describe_subnets(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err);
/* DescribeInternetGateways: InternetGatewayIds, Filters (attachment.state, attachment.vpc-id,
 * internet-gateway-id, owner-id, tags). Errors: InvalidInternetGatewayID.NotFound,
 * InvalidParameterValue. */
json_object *ec2_describe_internet_gateways(struct ec2_ctx *ctx, json_object *req,
					    struct ec2_error *err);
/* DescribeRouteTables: RouteTableIds, Filters (association.*, route.*, route-table-id, vpc-id,
 * owner-id, tags). Errors: InvalidRouteTableID.NotFound, InvalidParameterValue. */
json_object *ec2_describe_route_tables(struct ec2_ctx *ctx, json_object *req,
				       struct ec2_error *err);
/* DescribeNetworkAcls: NetworkAclIds, Filters (association.*, default, entry.*, network-acl-id,
 * vpc-id, owner-id, tags). Errors: InvalidNetworkAclID.NotFound, InvalidParameterValue. */
json_object *ec2_describe_network_acls(struct ec2_ctx *ctx, json_object *req,
				       struct ec2_error *err);
/* DescribeAvailabilityZones: ZoneNames, ZoneIds, AllAvailabilityZones, Filters (group-name,
 * message, opt-in-status, parent-zone-id, parent-zone-name, region-name, state, zone-id,
 * zone-name, zone-type). Returns {AvailabilityZones: [...]} of the configured zones. Errors:
 * InvalidParameterValue ("Invalid availability zone: [NAME]", a zone id, a filter). */
json_object *ec2_describe_availability_zones(struct ec2_ctx *ctx, json_object *req,
					     struct ec2_error *err);
/* DescribeRegions: RegionNames, AllRegions, Filters (endpoint, opt-in-status, region-name).
 * Returns {Regions: [...]}: the configured region, at ec2.REGION.amazonaws.com. Errors:
 * InvalidParameterValue (a region that is not this one, a filter). */
json_object *ec2_describe_regions(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err);
/* DescribeAccountAttributes: AttributeNames (default all). Returns {AccountAttributes: [...]}:
 * supported-platforms (VPC), default-vpc, max-instances (the instance limit),
 * vpc-max-security-groups-per-interface, max-elastic-ips, vpc-max-elastic-ips (5 each). Errors:
 * InvalidParameterValue (an unknown name). */
json_object *ec2_describe_account_attributes(struct ec2_ctx *ctx, json_object *req,
					     struct ec2_error *err);

/* Lays the default VPC out in root (a store snapshot or the root of a store_update) where any
 * of it is missing for the configured zones: the ids DefaultVpcId and DefaultSubnetId, and the
 * section "default_vpc". Returns whether root was changed (a reader that sees true writes it
 * with store_update, so that every process keeps the same ids). */
bool vpc_layout(struct ec2_ctx *ctx, json_object *root);

/* The store record of a resource of the default VPC (vpc-, subnet-, igw-, rtb-, acl-) in root,
 * borrowed, or NULL: what tags.c keeps a "Tags" list in. *type gets its resource type for
 * DescribeTags ("vpc", "subnet", "internet-gateway", "route-table", "network-acl"). */
json_object *vpc_record(json_object *root, const char *id, const char **type);

/* Whether id has the form of a default VPC resource's id (vpc-, subnet-, igw-, rtb-, acl-). */
bool vpc_id_kind(const char *id);
/* Sets err to EC2's NotFound error for such an id ("The subnet ID 'subnet-1' does not exist",
 * InvalidSubnetID.NotFound, ...). */
void vpc_not_found(const char *id, struct ec2_error *err);

/* The subnet a launch goes to. */
struct vpc_subnet {
	char vpc_id[EC2_ID_MAX];
	char subnet_id[EC2_ID_MAX];
	char zone[EC2_ZONE_NAME_MAX];
	char cidr[20];
};

/* For RunInstances: the subnet subnet_id (NULL: none named) in zone (NULL: none named); with
 * neither, the default zone's (config.h's availability_zone). Errors: InvalidSubnetID.NotFound,
 * InvalidParameterValue ("Invalid availability zone: [NAME]"), InvalidParameterCombination (a
 * subnet of another zone), the store's. */
int vpc_subnet_choose(struct ec2_ctx *ctx, const char *subnet_id, const char *zone,
		      struct vpc_subnet *out, struct ec2_error *err);

/* EC2's zone id of a zone, as "use1-az1" for us-east-1a (region letters, then the zone's letter
 * as a number). out: at least EC2_ZONE_NAME_MAX bytes. */
void vpc_zone_id(const char *region, const char *zone, char *out, size_t size);

#endif
