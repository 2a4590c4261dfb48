/* Instances, what one can ask of an instance besides DescribeInstances and its attributes
 * (instance-attrs.c): GetConsoleOutput and DescribeInstanceStatus. Neither changes state. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ec2lite/filter.h"
#include "ec2lite/util.h"

#include "instance-internal.h"

/* GetConsoleOutput: the serial console log, kept across reboots and stops. EC2 gives the last
 * 64 KB; so does this. Output is the text itself (the aws CLI prints it decoded); a front end
 * that speaks EC2's wire format base64-encodes it. */
json_object *ec2_get_console_output(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err)
{
	enum { LAST = 64 * 1024 };
	const char *id = req_string(req, "InstanceId");
	json_object *resp = NULL;
	struct inst *v = NULL;
	size_t n = 0, len = 0;
	char *path, *text, now[32];

	if (resolve_one(ctx, req, &v, &n, err) < 0)
		goto out;
	path = util_strdupf("%s/%s/console.log", ctx->instances_dir, id);
	text = v[0].dom ? util_read_file(path, &len, NULL) : NULL;
	free(path);
	resp = json_object_new_object();
	json_add_str(resp, "InstanceId", id);
	if (text && len) {
		const char *start = len > LAST ? text + len - LAST : text;

		json_object_object_add(resp, "Output", json_object_new_string_len(
						       start, (int)(len - (size_t)(start - text))));
	}
	util_iso8601(time(NULL), now, sizeof(now));
	json_add_str(resp, "Timestamp", now);
	free(text);
out:
	insts_free(v, n);
	return resp;
}

/* DescribeInstanceStatus. SystemStatus: the VM process runs and its QEMU monitor answers.
 * InstanceStatus (reachability): the guest agent answers, or the guest has said on its console,
 * since its last start or reboot, that it is up (tiny's "ready", cloud-init's "finished", a login
 * prompt); initializing until then, impaired after ten minutes without. */
static const char *const ready_markers[] = { "ec2-lite tiny: ready", "Cloud-init v. ", " login: ",
					     NULL };

static bool console_says_ready(struct ec2_ctx *ctx, const struct inst *in)
{
	char *path = util_strdupf("%s/%s/console.log", ctx->instances_dir, in->id);
	size_t len = 0, i;
	char *text = util_read_file(path, &len, NULL);
	bool ready = false;

	free(path);
	if (text && (long long)len > in->meta.console_offset) {
		const char *since = text + in->meta.console_offset;
		size_t n = len - (size_t)in->meta.console_offset;

		for (i = 0; ready_markers[i] && !ready; i++) {
			const char *hit = memmem(since, n, ready_markers[i], strlen(ready_markers[i]));

			/* cloud-init's line counts once it says finished. */
			ready = hit && (strcmp(ready_markers[i], "Cloud-init v. ") != 0 ||
					memmem(hit, n - (size_t)(hit - since), " finished at ", 13));
		}
	}
	free(text);
	return ready;
}

static json_object *status_obj(const char *status, const char *detail, const char *since)
{
	json_object *o = json_object_new_object(), *details = json_object_new_array(), *d;

	d = json_object_new_object();
	if (since)
		json_add_str(d, "ImpairedSince", since);
	json_add_str(d, "Name", "reachability");
	json_add_str(d, "Status", detail);
	json_object_array_add(details, d);
	json_object_object_add(o, "Details", details);
	json_add_str(o, "Status", status);
	return o;
}

static const struct filter_field status_filters[] = {
	{ "instance-state-name", "InstanceState.Name" },
	{ "instance-state-code", "InstanceState.Code" },
	{ "instance-status.status", "InstanceStatus.Status" },
	{ "instance-status.reachability", "InstanceStatus.Details.Status" },
	{ "system-status.status", "SystemStatus.Status" },
	{ "system-status.reachability", "SystemStatus.Details.Status" },
	{ "availability-zone", "AvailabilityZone" },
	/* Scheduled events: none is ever scheduled here, so these match nothing. */
	{ "event.code", "Events.Code" },
	{ "event.description", "Events.Description" },
	{ "event.instance-event-id", "Events.InstanceEventId" },
	{ "event.not-after", "Events.NotAfter" },
	{ "event.not-before", "Events.NotBefore" },
	{ "event.not-before-deadline", "Events.NotBeforeDeadline" },
	{ NULL, NULL },
};

json_object *ec2_describe_instance_status(struct ec2_ctx *ctx, json_object *req,
					  struct ec2_error *err)
{
	json_object *ids = req_list(req, "InstanceIds"), *filters = req_list(req, "Filters");
	json_object *list, *resp;
	struct inst *v = NULL;
	size_t n = 0, i;
	bool all = false;

	if (req_bool(req, "IncludeAllInstances", &all, err) < 0 ||
	    filter_validate_untagged(filters, status_filters, err) < 0 ||
	    ec2_ids_check(ids, "i", EC2_ERR_INSTANCE_MALFORMED, err) < 0)
		return NULL;
	if (ids && json_object_object_get_ex(req, "MaxResults", NULL)) {
		ec2_error_set(err, EC2_ERR_INVALID_COMBINATION, "The parameter instancesSet cannot be "
			      "used with the parameter maxResults");
		return NULL;
	}
	if (
	    ec2_reconcile(ctx, NULL, false, err) < 0 || resolve(ctx, ids, false, &v, &n, err) < 0)
		return NULL;
	qsort(v, n, sizeof(*v), by_launch);
	list = json_object_new_array();
	for (i = 0; i < n; i++) {
		struct inst *in = &v[i];
		json_object *o;

		if (in->state == EC2_TERMINATED || (!all && in->state != EC2_RUNNING))
			continue;
		o = json_object_new_object();
		json_add_str(o, "AvailabilityZone", in->meta.availability_zone[0] ?
			     in->meta.availability_zone : ctx->cfg->availability_zone);
		json_add_str(o, "InstanceId", in->id);
		json_object_object_add(o, "InstanceState", state_obj(in->state));
		if (in->state != EC2_RUNNING) {
			json_object *na = json_object_new_object();

			json_add_str(na, "Status", "not-applicable");
			json_object_object_add(o, "InstanceStatus", na);
			json_object_object_add(o, "SystemStatus", json_object_get(na));
		} else {
			/* Calls that do not taint the domain (qemu-monitor-command would): the
			 * control interface's state says the monitor answers, and GetTime goes
			 * through the guest agent. */
			virDomainControlInfo ctl;
			long long secs;
			unsigned int nsecs;
			bool system_ok = ec2_conn_is_test(ctx->conn) ||
					 (virDomainGetControlInfo(in->dom, &ctl, 0) == 0 &&
					  (ctl.state == VIR_DOMAIN_CONTROL_OK ||
					   ctl.state == VIR_DOMAIN_CONTROL_JOB));
			bool up = virDomainGetTime(in->dom, &secs, &nsecs, 0) == 0 ||
				  console_says_ready(ctx, in);
			time_t started = util_parse_iso8601(in->meta.launch_time);
			bool late = started != (time_t)-1 && time(NULL) - started > 600;

			json_object_object_add(o, "InstanceStatus",
					       up ? status_obj("ok", "passed", NULL) :
					       late ? status_obj("impaired", "failed", in->meta.launch_time) :
						      status_obj("initializing", "initializing", NULL));
			json_object_object_add(o, "SystemStatus",
					       system_ok ? status_obj("ok", "passed", NULL) :
							   status_obj("impaired", "failed", NULL));
		}
		if (filter_match(o, filters, status_filters))
			json_object_array_add(list, o);
		else
			json_object_put(o);
	}
	insts_free(v, n);
	resp = json_object_new_object();
	if (req_page_into(req, 5, 1000, list, resp, "InstanceStatuses", err) < 0) {
		json_object_put(resp);
		resp = NULL;
	}
	json_object_put(list);
	return resp;
}
