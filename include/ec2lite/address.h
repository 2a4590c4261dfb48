/* Elastic IPs (src/model/address.c): public IPs of the account's own, on the loopback range
 * instance public IPs use (127.77.0.0/16, net.h), kept in the store's "addresses" section by
 * allocation id:
 *   { "eipalloc-...": { AllocationId, PublicIp, Domain, PublicIpv4Pool, NetworkBorderGroup, Tags,
 *                       and while associated AssociationId, InstanceId, NetworkInterfaceId,
 *                       PrivateIpAddress } }
 * The store is the truth of an association; the instance's metadata (public_ip,
 * eip_allocation_id) follows it, written by the action and checked by every net_sync pass. An
 * associated address is the instance's public IP, kept while it is stopped; the instance's
 * automatic public IP goes back when it gets one, and a running instance gets a new automatic
 * one when it loses it. Changes are made under the store's "net" lock (store_lock), which the
 * net_sync passes take too, and the forwards follow before the call returns. */
#ifndef EC2LITE_ADDRESS_H
#define EC2LITE_ADDRESS_H

#include <json-c/json.h>

#include "ec2lite/ec2.h"
#include "ec2lite/error.h"

/* AllocateAddress: Domain (vpc, the default), TagSpecifications (elastic-ip). Returns {PublicIp,
 * AllocationId, PublicIpv4Pool "amazon", NetworkBorderGroup (the region), Domain "vpc"}. Errors:
 * AddressLimitExceeded (cfg->address_limit allocated already), InvalidParameterValue (Domain, a
 * tag), InsufficientAddressCapacity, DryRunOperation. Changes the store. */
json_object *ec2_allocate_address(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err);

/* AssociateAddress: AllocationId or PublicIp; InstanceId or NetworkInterfaceId (its primary ENI);
 * PrivateIpAddress (the ENI's, the only one it has); AllowReassociation (false: fail when the
 * address is associated with another instance; otherwise it moves, as in an EC2-VPC account).
 * An Elastic IP the instance had already is disassociated (and stays allocated). Returns
 * {AssociationId}. Errors: MissingParameter, InvalidAllocationID.Malformed/.NotFound, AuthFailure
 * (a PublicIp not the account's), InvalidInstanceID.Malformed/.NotFound,
 * InvalidNetworkInterfaceID.Malformed/.NotFound, IncorrectInstanceState (terminated),
 * Resource.AlreadyAssociated, InvalidParameterValue, InvalidParameterCombination,
 * DryRunOperation. Changes the store and the instances' metadata, then the forwards. */
json_object *ec2_associate_address(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err);

/* DisassociateAddress: AssociationId or PublicIp. Returns {}. Errors: MissingParameter,
 * InvalidAssociationID.NotFound, AuthFailure, DryRunOperation. A running instance gets a new
 * automatic public IP, a stopped one none. Changes as AssociateAddress. */
json_object *ec2_disassociate_address(struct ec2_ctx *ctx, json_object *req,
				      struct ec2_error *err);

/* ReleaseAddress: AllocationId or PublicIp. Returns {}. Errors: MissingParameter,
 * InvalidAllocationID.Malformed/.NotFound, AuthFailure, InvalidIPAddress.InUse (associated),
 * DryRunOperation. Changes the store. */
json_object *ec2_release_address(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err);

/* DescribeAddresses: PublicIps, AllocationIds, Filters (allocation-id, association-id, domain,
 * instance-id, network-interface-id, network-interface-owner-id, private-ip-address, public-ip,
 * public-ipv4-pool, network-border-group, tag:KEY, tag-key, tag-value). Returns {Addresses:
 * [...]} in EC2's Address shape, by public IP. Errors: InvalidAllocationID.Malformed/.NotFound,
 * InvalidAddress.NotFound, InvalidParameterValue (a filter). Changes nothing. */
json_object *ec2_describe_addresses(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err);

/* For TerminateInstances, inside the store update that records the termination (root is the
 * store's root being changed): the Elastic IPs of instance id are disassociated, and stay
 * allocated. */
void address_instance_gone(json_object *root, const char *id);

#endif
