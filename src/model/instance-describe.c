/* Instances, DescribeInstances: one reconcile pass, then every instance asked for (live and
 * recently terminated) through EC2's Filters, grouped into reservations in launch order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ec2lite/filter.h"
#include "ec2lite/util.h"

#include "instance-internal.h"

/* Every filter botocore documents for DescribeInstances and where it reads in the Instance ("../":
 * in its Reservation). Filters on what an on-demand, default-tenancy instance without Elastic
 * GPUs, Spot request, Dedicated Host or placement group never carries read the member EC2 would
 * show, which is absent here: they match nothing, as EC2 answers for such an instance. */
static const struct filter_field instance_filters[] = {
	{ "affinity", "Placement.Affinity" },
	{ "architecture", "Architecture" },
	{ "availability-zone", "Placement.AvailabilityZone" },
	{ "block-device-mapping.attach-time", "BlockDeviceMappings.Ebs.AttachTime" },
	{ "block-device-mapping.delete-on-termination",
	  "BlockDeviceMappings.Ebs.DeleteOnTermination" },
	{ "block-device-mapping.device-name", "BlockDeviceMappings.DeviceName" },
	{ "block-device-mapping.status", "BlockDeviceMappings.Ebs.Status" },
	{ "block-device-mapping.volume-id", "BlockDeviceMappings.Ebs.VolumeId" },
	{ "capacity-reservation-id", "CapacityReservationId" },
	{ "client-token", "ClientToken" },
	{ "dns-name", "PublicDnsName" },
	{ "group-id", "SecurityGroups.GroupId" },
	{ "group-name", "SecurityGroups.GroupName" },
	{ "hibernation-options.configured", "HibernationOptions.Configured" },
	{ "host-id", "Placement.HostId" },
	{ "hypervisor", "Hypervisor" },
	{ "iam-instance-profile.arn", "IamInstanceProfile.Arn" },
	{ "image-id", "ImageId" },
	{ "instance-id", "InstanceId" },
	{ "instance-lifecycle", "InstanceLifecycle" },
	{ "instance-state-code", "State.Code" },
	{ "instance-state-name", "State.Name" },
	{ "instance-type", "InstanceType" },
	{ "instance.group-id", "SecurityGroups.GroupId" },
	{ "instance.group-name", "SecurityGroups.GroupName" },
	{ "ip-address", "PublicIpAddress" },
	{ "kernel-id", "KernelId" },
	{ "key-name", "KeyName" },
	{ "launch-index", "AmiLaunchIndex" },
	{ "launch-time", "LaunchTime" },
	{ "metadata-options.http-tokens", "MetadataOptions.HttpTokens" },
	{ "metadata-options.http-put-response-hop-limit", "MetadataOptions.HttpPutResponseHopLimit" },
	{ "metadata-options.http-endpoint", "MetadataOptions.HttpEndpoint" },
	{ "metadata-options.instance-metadata-tags", "MetadataOptions.InstanceMetadataTags" },
	{ "monitoring-state", "Monitoring.State" },
	{ "network-interface.addresses.private-ip-address",
	  "NetworkInterfaces.PrivateIpAddresses.PrivateIpAddress" },
	{ "network-interface.addresses.primary", "NetworkInterfaces.PrivateIpAddresses.Primary" },
	{ "network-interface.addresses.association.public-ip",
	  "NetworkInterfaces.PrivateIpAddresses.Association.PublicIp" },
	{ "network-interface.addresses.association.ip-owner-id",
	  "NetworkInterfaces.PrivateIpAddresses.Association.IpOwnerId" },
	{ "network-interface.association.public-ip", "NetworkInterfaces.Association.PublicIp" },
	{ "network-interface.association.ip-owner-id", "NetworkInterfaces.Association.IpOwnerId" },
	{ "network-interface.association.allocation-id",
	  "NetworkInterfaces.Association.AllocationId" },
	{ "network-interface.association.association-id",
	  "NetworkInterfaces.Association.AssociationId" },
	{ "network-interface.attachment.attachment-id", "NetworkInterfaces.Attachment.AttachmentId" },
	/* The interface is attached to this instance, in this reservation's account. */
	{ "network-interface.attachment.instance-id", "InstanceId" },
	{ "network-interface.attachment.instance-owner-id", "../OwnerId" },
	{ "network-interface.attachment.device-index", "NetworkInterfaces.Attachment.DeviceIndex" },
	{ "network-interface.attachment.status", "NetworkInterfaces.Attachment.Status" },
	{ "network-interface.attachment.attach-time", "NetworkInterfaces.Attachment.AttachTime" },
	{ "network-interface.attachment.delete-on-termination",
	  "NetworkInterfaces.Attachment.DeleteOnTermination" },
	/* An interface is in its instance's zone. */
	{ "network-interface.availability-zone", "Placement.AvailabilityZone" },
	{ "network-interface.description", "NetworkInterfaces.Description" },
	{ "network-interface.group-id", "NetworkInterfaces.Groups.GroupId" },
	{ "network-interface.group-name", "NetworkInterfaces.Groups.GroupName" },
	{ "network-interface.ipv6-addresses.ipv6-address",
	  "NetworkInterfaces.Ipv6Addresses.Ipv6Address" },
	{ "network-interface.mac-address", "NetworkInterfaces.MacAddress" },
	{ "network-interface.network-interface-id", "NetworkInterfaces.NetworkInterfaceId" },
	{ "network-interface.owner-id", "NetworkInterfaces.OwnerId" },
	{ "network-interface.private-dns-name", "NetworkInterfaces.PrivateDnsName" },
	{ "network-interface.requester-id", "NetworkInterfaces.RequesterId" },
	{ "network-interface.requester-managed", "NetworkInterfaces.RequesterManaged" },
	{ "network-interface.status", "NetworkInterfaces.Status" },
	{ "network-interface.source-dest-check", "NetworkInterfaces.SourceDestCheck" },
	{ "network-interface.subnet-id", "NetworkInterfaces.SubnetId" },
	{ "network-interface.vpc-id", "NetworkInterfaces.VpcId" },
	{ "outpost-arn", "OutpostArn" },
	{ "owner-id", "../OwnerId" },
	{ "placement-group-name", "Placement.GroupName" },
	{ "placement-partition-number", "Placement.PartitionNumber" },
	{ "platform", "Platform" },
	{ "private-dns-name", "PrivateDnsName" },
	{ "private-ip-address", "PrivateIpAddress" },
	{ "product-code", "ProductCodes.ProductCodeId" },
	{ "product-code.type", "ProductCodes.ProductCodeType" },
	{ "ramdisk-id", "RamdiskId" },
	{ "reason", "StateTransitionReason" },
	{ "requester-id", "../RequesterId" },
	{ "reservation-id", "../ReservationId" },
	{ "root-device-name", "RootDeviceName" },
	{ "root-device-type", "RootDeviceType" },
	{ "source-dest-check", "SourceDestCheck" },
	{ "spot-instance-request-id", "SpotInstanceRequestId" },
	{ "state-reason-code", "StateReason.Code" },
	{ "state-reason-message", "StateReason.Message" },
	{ "subnet-id", "SubnetId" },
	{ "tenancy", "Placement.Tenancy" },
	{ "virtualization-type", "VirtualizationType" },
	{ "vpc-id", "VpcId" },
	{ NULL, NULL },
};

static const char *inst_reservation(const struct inst *in)
{
	return in->terminated ? req_string(in->terminated, "ReservationId") : in->meta.reservation_id;
}

int by_launch(const void *a, const void *b)
{
	const struct inst *x = a, *y = b;
	int c = strcmp(inst_reservation(x) ? inst_reservation(x) : "",
		       inst_reservation(y) ? inst_reservation(y) : "");

	return c ? c : x->meta.launch_index - y->meta.launch_index;
}

json_object *reservation_obj(struct ec2_ctx *ctx, const char *rid)
{
	json_object *r = json_object_new_object();

	json_object_object_add(r, "Groups", json_object_new_array());
	json_object_object_add(r, "Instances", json_object_new_array());
	json_add_str(r, "OwnerId", ctx->cfg->owner_id);
	json_add_str(r, "ReservationId", rid);
	return r;
}

/* ---- DescribeInstances over descriptions (ec2.h): the model's own describe lists, then answers;
 * the API server's view (src/api/view.c) keeps the descriptions and answers from them. ---- */

/* One description: {"ReservationId", "Instance"}. */
static json_object *described_one(struct ec2_ctx *ctx, struct inst *in)
{
	json_object *e = json_object_new_object();

	json_add_str(e, "ReservationId", inst_reservation(in) ? inst_reservation(in) : "");
	json_object_object_add(e, "Instance", instance_json(ctx, in, in->state));
	return e;
}

json_object *ec2_instances_described(struct ec2_ctx *ctx, json_object *ids, struct ec2_error *err)
{
	json_object *out, *root = NULL, *rec;
	struct inst *v = NULL, in;
	size_t n = 0, i;
	int rc;

	if (!ids) {
		if (list_all(ctx, &v, &n, err) < 0)
			return NULL;
		out = json_object_new_array_ext((int)n);
		for (i = 0; i < n; i++)
			json_object_array_add(out, described_one(ctx, &v[i]));
		insts_free(v, n);
		return out;
	}
	/* As list_all sees them: a terminated record wins over a domain (a teardown cut short). */
	root = store_read(ctx->store, err);
	if (!root)
		return NULL;
	out = json_object_new_array();
	for (i = 0; i < json_object_array_length(ids); i++) {
		const char *id = json_object_get_string(json_object_array_get_idx(ids, i));

		if (!ec2_id_valid("i", id))
			continue;
		if (json_object_object_get_ex(store_section(root, "terminated"), id, &rec)) {
			memset(&in, 0, sizeof(in));
			snprintf(in.id, sizeof(in.id), "%s", id);
			in.state = EC2_TERMINATED;
			in.terminated = json_object_get(rec);
		} else if ((rc = load_live(ctx, id, &in)) != 1) {
			if (rc == 0)
				continue; /* gone */
			/* libvirt failed: the instance is not known to be gone, nothing is answered */
			ec2_error_set_libvirt(err, "cannot look up the domain '%s'", id);
			json_object_put(out);
			json_object_put(root);
			return NULL;
		}
		json_object_array_add(out, described_one(ctx, &in));
		inst_clear(&in);
	}
	json_object_put(root);
	return out;
}

const char *ec2_described_id(json_object *e)
{
	json_object *o = NULL;

	json_object_object_get_ex(e, "Instance", &o);
	return req_str0(o, "InstanceId");
}

/* One description with the keys it is sorted by (borrowed from it). */
struct described_key {
	json_object *instance;
	const char *rid, *id;
	int64_t launch_index;
};

static void described_key(json_object *e, struct described_key *k)
{
	json_object *v;

	json_object_object_get_ex(e, "Instance", &k->instance);
	k->rid = req_str0(e, "ReservationId");
	k->id = req_str0(k->instance, "InstanceId");
	k->launch_index = json_object_object_get_ex(k->instance, "AmiLaunchIndex", &v) ?
			  json_object_get_int64(v) : 0;
}

/* Reservation, then launch index, then instance id: a total order, so that the answer does not
 * depend on the order libvirt lists domains in. */
static int by_described_launch(const void *a, const void *b)
{
	const struct described_key *x = a, *y = b;
	int c = strcmp(x->rid, y->rid);

	if (c)
		return c;
	if (x->launch_index != y->launch_index)
		return x->launch_index < y->launch_index ? -1 : 1;
	return strcmp(x->id, y->id);
}

/* DescribeInstances' checks that come before any listing. */
static int describe_check(json_object *req, struct ec2_error *err)
{
	json_object *ids = req_list(req, "InstanceIds");

	if (filter_validate(req_list(req, "Filters"), instance_filters, err) < 0 ||
	    ec2_ids_check(ids, "i", EC2_ERR_INSTANCE_MALFORMED, err) < 0)
		return -1;
	if (ids && json_object_object_get_ex(req, "MaxResults", NULL)) {
		ec2_error_set(err, EC2_ERR_INVALID_COMBINATION, "The parameter instancesSet cannot be "
			      "used with the parameter maxResults");
		return -1;
	}
	return 0;
}

json_object *ec2_describe_instances_from(struct ec2_ctx *ctx, json_object *req,
					 json_object *described, struct ec2_error *err)
{
	json_object *ids = req_list(req, "InstanceIds");
	json_object *filters = req_list(req, "Filters");
	json_object *list, *resp, *cur = NULL, *matched;
	size_t n = json_object_array_length(described), i, j, k = 0, first, count;
	struct described_key *v;
	const char *cur_rid = NULL;
	char *next = NULL;
	struct missing_ids missing = { "", 0 };

	if (describe_check(req, err) < 0)
		return NULL;
	v = calloc(n + 1, sizeof(*v));
	if (!v)
		abort();
	/* InstanceIds: all must exist (live or terminated), else nothing is described. */
	for (i = 0; !ids && i < n; i++)
		described_key(json_object_array_get_idx(described, i), &v[k++]);
	for (i = 0; ids && i < json_object_array_length(ids); i++) {
		const char *id = json_object_get_string(json_object_array_get_idx(ids, i));
		bool dup = false;

		for (j = 0; j < k; j++)
			dup = dup || strcmp(v[j].id, id) == 0;
		if (dup)
			continue;
		for (j = 0; j < n; j++)
			if (strcmp(ec2_described_id(json_object_array_get_idx(described, j)),
				   id) == 0)
				break;
		if (j == n) {
			missing_add(&missing, id);
			continue;
		}
		described_key(json_object_array_get_idx(described, j), &v[k++]);
	}
	if (missing_fail(&missing, err) < 0) {
		free(v);
		return NULL;
	}
	qsort(v, k, sizeof(*v), by_described_launch);
	/* Filters first, then the page (MaxResults counts instances), then reservations. */
	matched = json_object_new_array();
	for (i = 0; i < k; i++) {
		json_object *pair, *parent = filters ? reservation_obj(ctx, v[i].rid) : NULL;
		bool ok = filter_match_in(v[i].instance, parent, filters, instance_filters);

		json_object_put(parent);
		if (!ok)
			continue;
		pair = json_object_new_array();
		json_object_array_add(pair, json_object_new_string(v[i].rid));
		json_object_array_add(pair, json_object_get(v[i].instance));
		json_object_array_add(matched, pair);
	}
	free(v);
	if (req_page(req, 5, 1000, json_object_array_length(matched), &first, &count, &next,
		     err) < 0) {
		json_object_put(matched);
		return NULL;
	}
	list = json_object_new_array();
	for (i = first; i < first + count; i++) {
		json_object *pair = json_object_array_get_idx(matched, i), *instances;
		const char *rid = json_object_get_string(json_object_array_get_idx(pair, 0));

		if (!cur || strcmp(cur_rid, rid) != 0) {
			cur = reservation_obj(ctx, rid);
			json_object_array_add(list, cur);
			cur_rid = req_string(cur, "ReservationId");
		}
		json_object_object_get_ex(cur, "Instances", &instances);
		json_object_array_add(instances, json_object_get(json_object_array_get_idx(pair, 1)));
	}
	json_object_put(matched);
	resp = json_object_new_object();
	json_object_object_add(resp, "Reservations", list);
	if (next)
		json_add_str(resp, "NextToken", next);
	free(next);
	return resp;
}

json_object *ec2_describe_instances(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err)
{
	json_object *all, *resp;

	if (describe_check(req, err) < 0 || ec2_reconcile(ctx, NULL, false, err) < 0)
		return NULL;
	all = ec2_instances_described(ctx, NULL, err);
	if (!all)
		return NULL;
	resp = ec2_describe_instances_from(ctx, req, all, err);
	json_object_put(all);
	return resp;
}
