/* Security groups (src/model/secgroup.c), kept in the store (libvirt knows none).
 *
 * Security groups have EC2's shape (GroupId, GroupName, IpPermissions of IpProtocol, FromPort,
 * ToPort, IpRanges[].CidrIp, ...); every account has the group "default", which cannot be
 * deleted. A group in use by an instance is not deleted (DependencyViolation). A group's rules
 * become QEMU host forwards of its running instances (net_sync, net.h). The actions that change
 * a group honour DryRun and change only the store (and, through net_sync, the forwards). Key
 * pairs have their own header, keypair.h. */
#ifndef EC2LITE_SECGROUP_H
#define EC2LITE_SECGROUP_H

#include <json-c/json.h>

#include "ec2lite/ec2.h"
#include "ec2lite/error.h"
#include "ec2lite/ids.h"

/* CreateSecurityGroup: GroupName and Description (both required, at most 255 characters; a
 * name may not start with "sg-"). Returns {GroupId} of a new group in the default VPC with no
 * rules. Errors: MissingParameter, InvalidParameterValue, InvalidGroup.Duplicate. */
json_object *ec2_create_security_group(struct ec2_ctx *ctx, json_object *req,
				       struct ec2_error *err);
/* DescribeSecurityGroups: GroupIds, GroupNames, Filters. Returns {SecurityGroups: [...]} in
 * EC2's shape. Errors: InvalidGroupId.Malformed, InvalidGroup.NotFound, InvalidParameterValue (a
 * filter). Changes nothing. */
json_object *ec2_describe_security_groups(struct ec2_ctx *ctx, json_object *req,
					  struct ec2_error *err);
/* DescribeSecurityGroups in two halves, as DescribeInstances (instance.h), for a front end that
 * keeps the groups between requests (the API server's view, src/api/view.c);
 * ec2_describe_security_groups is both.
 * ec2_security_groups_described: the groups as DescribeSecurityGroups reads them, the default
 * VPC and group written first when they are missing (the one change it makes), as a new object
 * {"DefaultVpcId", "SecurityGroups": {GroupId: the group in EC2's shape}} in the store's order.
 * NULL with err when the store cannot be read or written.
 * ec2_describe_security_groups_from: DescribeSecurityGroups' answer to req from such an object
 * (every check, error, filter and page of ec2_describe_security_groups, DryRun aside:
 * ec2_action's wrapper honours it). It adds references to described's objects to the response
 * and lets filters read them (json-c caches strings in objects it reads): described must be the
 * caller's own, never shared with another thread. */
json_object *ec2_security_groups_described(struct ec2_ctx *ctx, struct ec2_error *err);
json_object *ec2_describe_security_groups_from(struct ec2_ctx *ctx, json_object *req,
					       json_object *described, struct ec2_error *err);
/* AuthorizeSecurityGroupIngress: GroupId or GroupName, and IpPermissions (tcp, udp, icmp or -1;
 * ports; IpRanges). Adds the rules and returns {Return: true, SecurityGroupRules: [...]}; the
 * forwards of the group's running instances follow (net_sync). Errors: MissingParameter,
 * InvalidGroupId.Malformed, InvalidGroup.NotFound, InvalidParameterValue (a rule),
 * InvalidPermission.Duplicate. */
json_object *ec2_authorize_security_group_ingress(struct ec2_ctx *ctx, json_object *req,
						  struct ec2_error *err);
/* RevokeSecurityGroupIngress: as AuthorizeSecurityGroupIngress, removing the rules; returns
 * {Return: true}. Errors: as Authorize, InvalidPermission.NotFound for a rule the group does not
 * have. */
json_object *ec2_revoke_security_group_ingress(struct ec2_ctx *ctx, json_object *req,
					       struct ec2_error *err);
/* DeleteSecurityGroup: GroupId or GroupName. Returns {Return: true, GroupId}. Errors:
 * MissingParameter, InvalidGroupId.Malformed, InvalidGroup.NotFound, CannotDelete (the default
 * group), DependencyViolation (an instance uses it). */
json_object *ec2_delete_security_group(struct ec2_ctx *ctx, json_object *req,
				       struct ec2_error *err);

/* For RunInstances and ModifyInstanceAttribute: the groups named by ids (all must exist; NULL or
 * empty: the default group) as [{"GroupId","GroupName"}] (new reference), or NULL with err
 * InvalidGroup.NotFound. (The subnet, and so the VPC, is vpc_subnet_choose's.) */
json_object *secgroup_resolve(struct ec2_ctx *ctx, json_object *ids, struct ec2_error *err);

#endif
