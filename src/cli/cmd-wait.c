/* wait: the aws CLI's EC2 waiters instance-running, instance-stopped, instance-terminated,
 * instance-exists, instance-status-ok, system-status-ok, image-available and image-exists. Each
 * polls DescribeInstances (DescribeInstanceStatus, DescribeImages) until every matched resource
 * is in the wanted state (success), one is in a state from which it cannot get there (failure),
 * or the attempts run out, with the aws CLI's messages and exit status 255 on failure.
 * EC2_LITE_WAITER_DELAY (seconds, default 2) and EC2_LITE_WAITER_MAX_ATTEMPTS (default 300)
 * tune the polling: local VMs change state faster than EC2's 15 s x 40 attempts assume. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ec2lite/filter.h"
#include "ec2lite/util.h"

enum waiter_kind { INSTANCES, STATUS, IMAGES };

struct waiter {
	const char *name;      /* "instance-running" */
	const char *title;     /* "InstanceRunning" */
	const char *success;   /* state all must reach; NULL: any resource exists */
	const char *failures[3];
	enum waiter_kind kind; /* INSTANCES, IMAGES: the state at the list's path; STATUS: path */
	const char *path;
};

static const struct waiter waiters[] = {
	{ "instance-running", "InstanceRunning", "running", { "shutting-down", "terminated", "stopping" }, INSTANCES, NULL },
	{ "instance-stopped", "InstanceStopped", "stopped", { "pending", "terminated", NULL }, INSTANCES, NULL },
	{ "instance-terminated", "InstanceTerminated", "terminated", { "pending", "stopping", NULL }, INSTANCES, NULL },
	{ "instance-exists", "InstanceExists", NULL, { NULL, NULL, NULL }, INSTANCES, NULL },
	{ "instance-status-ok", "InstanceStatusOk", "ok", { NULL, NULL, NULL }, STATUS, "InstanceStatus.Status" },
	{ "system-status-ok", "SystemStatusOk", "ok", { NULL, NULL, NULL }, STATUS, "SystemStatus.Status" },
	{ "image-available", "ImageAvailable", "available", { "failed", NULL, NULL }, IMAGES, NULL },
	{ "image-exists", "ImageExists", NULL, { NULL, NULL, NULL }, IMAGES, NULL },
};

/* The states of the resources a waiter watches (new array of strings), or NULL with err. */
static json_object *states(struct cli *cli, json_object *req, const struct waiter *w,
			   struct ec2_error *err)
{
	json_object *out = json_object_new_array(), *resp, *list;
	size_t r, k;

	if (w->kind == IMAGES) {
		resp = ec2_describe_images(&cli->ctx, req, err);
		if (!resp)
			goto fail;
		json_object_object_get_ex(resp, "Images", &list);
		for (k = 0; k < json_object_array_length(list); k++)
			json_object_array_add(out, json_object_get(json_path(
							   json_object_array_get_idx(list, k), "State")));
		json_object_put(resp);
		return out;
	}
	resp = ec2_describe_instances(&cli->ctx, req, err);
	if (!resp)
		goto fail;
	json_object_object_get_ex(resp, "Reservations", &list);
	for (r = 0; r < json_object_array_length(list); r++) {
		json_object *insts;

		json_object_object_get_ex(json_object_array_get_idx(list, r), "Instances", &insts);
		for (k = 0; k < json_object_array_length(insts); k++)
			json_object_array_add(out, json_object_get(json_path(
							   json_object_array_get_idx(insts, k), "State.Name")));
	}
	json_object_put(resp);
	return out;
fail:
	json_object_put(out);
	return NULL;
}

/* The status checks of every matched instance: 1 all say ok, 0 not yet, -1 error. */
static int status_ok(struct cli *cli, json_object *req, const struct waiter *w,
		     struct ec2_error *err)
{
	json_object *resp = ec2_describe_instance_status(&cli->ctx, req, err), *list;
	size_t i, n, good = 0;

	if (!resp)
		return ec2_error_is(err, EC2_ERR_INSTANCE_NOT_FOUND) ? 0 : -1;
	json_object_object_get_ex(resp, "InstanceStatuses", &list);
	n = json_object_array_length(list);
	for (i = 0; i < n; i++)
		good += strcmp(json_object_get_string(json_path(json_object_array_get_idx(list, i),
								w->path)), w->success) == 0;
	json_object_put(resp);
	return n > 0 && good == n;
}

static int env_int(const char *name, int dflt)
{
	const char *v = getenv(name);

	return v && atoi(v) > 0 ? atoi(v) : dflt;
}

int cmd_wait(struct cli *cli, json_object *req, const char *name)
{
	const struct waiter *w = NULL;
	int delay = env_int("EC2_LITE_WAITER_DELAY", 2);
	int attempts = env_int("EC2_LITE_WAITER_MAX_ATTEMPTS", 300), attempt;
	struct ec2_error err = { 0 };
	size_t i;

	for (i = 0; i < sizeof(waiters) / sizeof(waiters[0]); i++)
		if (strcmp(waiters[i].name, name) == 0)
			w = &waiters[i];
	if (!w) {
		fprintf(stderr, "ec2-lite: error: unknown waiter '%s' (choose from instance-running, "
			"instance-stopped, instance-terminated, instance-exists, instance-status-ok, "
			"system-status-ok, image-available, image-exists)\n", name);
		return EXIT_USAGE;
	}
	for (attempt = 1; w->kind == STATUS && attempt <= attempts; attempt++) {
		int r = status_ok(cli, req, w, &err);

		if (r < 0)
			return cli_error(cli, &err);
		if (r > 0)
			return 0;
		if (attempt < attempts)
			util_sleep_ms((unsigned)delay * 1000);
	}
	for (attempt = 1; w->kind != STATUS && attempt <= attempts; attempt++) {
		json_object *list = states(cli, req, w, &err);
		size_t total, good = 0, k;
		const char *bad = NULL;

		if (!list) {
			/* An id that does not exist yet is retried, as the aws CLI's waiters do. */
			if (!ec2_error_is(&err, EC2_ERR_INSTANCE_NOT_FOUND) &&
			    !ec2_error_is(&err, EC2_ERR_AMI_NOT_FOUND))
				return cli_error(cli, &err);
		} else {
			total = json_object_array_length(list);
			for (k = 0; k < total; k++) {
				const char *state = json_object_get_string(json_object_array_get_idx(list, k));
				int f;

				if (w->success && strcmp(state, w->success) == 0)
					good++;
				for (f = 0; f < 3; f++)
					if (w->failures[f] && strcmp(w->failures[f], state) == 0)
						bad = w->failures[f];
			}
			json_object_put(list);
			if (w->success && bad) {
				ec2_error_set(&err, EC2_ERR_WAITER,
					      "Waiter %s failed: Waiter encountered a terminal failure "
					      "state: For expression \"%s\" we matched expected path: "
					      "\"%s\" at least once", w->title, w->kind == IMAGES ?
					      "Images[].State" : "Reservations[].Instances[].State.Name",
					      bad);
				return cli_error(cli, &err);
			}
			if (total > 0 && (!w->success || good == total))
				return 0;
		}
		if (attempt < attempts)
			util_sleep_ms((unsigned)delay * 1000);
	}
	ec2_error_set(&err, EC2_ERR_WAITER, "Waiter %s failed: Max attempts exceeded", w->title);
	return cli_error(cli, &err);
}
