/* Network interfaces (src/model/eni.c): every instance has one, its primary ENI (eni-..., fixed at
 * launch in its metadata), attached at device index 0 for the instance's life, with the
 * instance's private IP, MAC address (net_mac), security groups, subnet and VPC, and its public IP
 * (automatic, or an Elastic IP: address.h). EC2 keeps a stopped instance's ENI attached, so it is
 * listed too; a terminated instance's is deleted with it (DeleteOnTermination). The instance's
 * NetworkInterfaces[] (DescribeInstances) and DescribeNetworkInterfaces are built by one
 * function, eni_json. */
#ifndef EC2LITE_ENI_H
#define EC2LITE_ENI_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "ec2lite/domxml.h"
#include "ec2lite/ec2.h"
#include "ec2lite/error.h"

/* DescribeNetworkInterfaces: NetworkInterfaceIds, Filters (every filter EC2 documents for it;
 * tag:KEY and tag-key match nothing, an ENI here carries no tags), MaxResults (5-1000) and
 * NextToken. Returns {NetworkInterfaces: [...]} in EC2's NetworkInterface shape, by
 * NetworkInterfaceId. Errors: InvalidNetworkInterfaceID.Malformed, .NotFound ("The
 * networkInterface ID 'eni-x' does not exist"), InvalidParameterValue (a filter, the paging).
 * Changes nothing. */
json_object *ec2_describe_network_interfaces(struct ec2_ctx *ctx, json_object *req,
					     struct ec2_error *err);

/* EC2's private DNS name of a private IP: ip-172-31-5-9.ec2.internal in us-east-1,
 * ip-...REGION.compute.internal elsewhere. */
void eni_private_dns_name(struct ec2_ctx *ctx, const char *ip, char *out, size_t size);

/* An instance's groups as EC2 lists them on an instance or ENI: [{GroupName, GroupId}] (new
 * reference). */
json_object *eni_groups_json(const struct ec2_meta *m);

/* The primary ENI of instance id (metadata m) as EC2 describes it (new reference). public_ip is
 * the public IP to show (NULL: none); when m has an Elastic IP, its owner is the account and
 * association_id (may be NULL) is shown. full: DescribeNetworkInterfaces' NetworkInterface
 * (AvailabilityZone, the attachment's instance, RequesterManaged, TagSet, the association's
 * AllocationId/AssociationId); otherwise the InstanceNetworkInterface of an Instance, in the member
 * order the aws CLI prints each. */
json_object *eni_json(struct ec2_ctx *ctx, const char *id, const struct ec2_meta *m,
		      const char *public_ip, const char *association_id, bool full);

#endif
