/* Instances, DescribeInstances: one reconcile pass, then every instance asked for (live and
 * recently terminated) through EC2's Filters, grouped into reservations in launch order. */
#include <stdlib.h>
#include <string.h>

#include "ec2lite/filter.h"
#include "ec2lite/util.h"

#include "instance-internal.h"

static const struct filter_field instance_filters[] = {
	{ "instance-id", "InstanceId" },
	{ "instance-type", "InstanceType" },
	{ "image-id", "ImageId" },
	{ "instance-state-name", "State.Name" },
	{ "instance-state-code", "State.Code" },
	{ "launch-index", "AmiLaunchIndex" },
	{ "launch-time", "LaunchTime" },
	{ "architecture", "Architecture" },
	{ "availability-zone", "Placement.AvailabilityZone" },
	{ "hibernation-options.configured", "HibernationOptions.Configured" },
	{ "client-token", "ClientToken" },
	{ "root-device-type", "RootDeviceType" },
	{ "root-device-name", "RootDeviceName" },
	{ "virtualization-type", "VirtualizationType" },
	{ "hypervisor", "Hypervisor" },
	{ "state-reason-code", "StateReason.Code" },
	{ "block-device-mapping.volume-id", "BlockDeviceMappings.Ebs.VolumeId" },
	{ "key-name", "KeyName" },
	{ "instance.group-id", "SecurityGroups.GroupId" },
	{ "instance.group-name", "SecurityGroups.GroupName" },
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

json_object *ec2_describe_instances(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err)
{
	json_object *ids = req_list(req, "InstanceIds");
	json_object *filters = req_list(req, "Filters");
	json_object *list, *resp, *cur = NULL, *matched;
	struct inst *v = NULL;
	size_t n = 0, i, first, count;
	const char *cur_rid = NULL;
	char *next = NULL;

	if (filter_validate(filters, instance_filters, err) < 0 ||
	    ec2_ids_check(ids, "i", EC2_ERR_INSTANCE_MALFORMED, err) < 0)
		return NULL;
	if (ids && json_object_object_get_ex(req, "MaxResults", NULL)) {
		ec2_error_set(err, EC2_ERR_INVALID_COMBINATION, "The parameter instancesSet cannot be "
			      "used with the parameter maxResults");
		return NULL;
	}
	if (ec2_reconcile(ctx, NULL, false, err) < 0)
		return NULL;
	if (resolve(ctx, ids, false, &v, &n, err) < 0)
		return NULL;
	qsort(v, n, sizeof(*v), by_launch);
	/* Filters first, then the page (MaxResults counts instances), then reservations. */
	matched = json_object_new_array();
	for (i = 0; i < n; i++) {
		json_object *o = instance_json(ctx, &v[i], v[i].state), *pair;

		if (!filter_match(o, filters, instance_filters)) {
			json_object_put(o);
			continue;
		}
		pair = json_object_new_array();
		json_object_array_add(pair, json_object_new_string(inst_reservation(&v[i]) ?
								  inst_reservation(&v[i]) : ""));
		json_object_array_add(pair, o);
		json_object_array_add(matched, pair);
	}
	insts_free(v, n);
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
