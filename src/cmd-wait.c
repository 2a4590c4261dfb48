/* wait: the aws CLI's EC2 waiters instance-running, instance-stopped, instance-terminated and
 * instance-exists. Each polls DescribeInstances until every matched instance is in the wanted
 * state (success), one is in a state from which it cannot get there (failure), or the attempts
 * run out, with the aws CLI's messages and exit status 255 on failure.
 * EC2_LITE_WAITER_DELAY (seconds, default 2) and EC2_LITE_WAITER_MAX_ATTEMPTS (default 300)
 * tune the polling: local VMs change state faster than EC2's 15 s x 40 attempts assume. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ec2lite/filter.h"
#include "ec2lite/util.h"

struct waiter {
	const char *name;      /* "instance-running" */
	const char *title;     /* "InstanceRunning" */
	const char *success;   /* state all must reach; NULL: any instance exists */
	const char *failures[3];
	bool status;           /* polls DescribeInstanceStatus; path is what must say success */
	const char *path;
};

static const struct waiter waiters[] = {
	{ "instance-running", "InstanceRunning", "running", { "shutting-down", "terminated", "stopping" }, false, NULL },
	{ "instance-stopped", "InstanceStopped", "stopped", { "pending", "terminated", NULL }, false, NULL },
	{ "instance-terminated", "InstanceTerminated", "terminated", { "pending", "stopping", NULL }, false, NULL },
	{ "instance-exists", "InstanceExists", NULL, { NULL, NULL, NULL }, false, NULL },
	{ "instance-status-ok", "InstanceStatusOk", "ok", { NULL, NULL, NULL }, true, "InstanceStatus.Status" },
	{ "system-status-ok", "SystemStatusOk", "ok", { NULL, NULL, NULL }, true, "SystemStatus.Status" },
};

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
			"system-status-ok)\n", name);
		return EXIT_USAGE;
	}
	for (attempt = 1; w->status && attempt <= attempts; attempt++) {
		int r = status_ok(cli, req, w, &err);

		if (r < 0)
			return cli_error(cli, &err);
		if (r > 0)
			return 0;
		if (attempt < attempts)
			util_sleep_ms((unsigned)delay * 1000);
	}
	for (attempt = 1; !w->status && attempt <= attempts; attempt++) {
		json_object *resp = ec2_describe_instances(&cli->ctx, req, &err), *res;
		size_t total = 0, good = 0, r, k;
		const char *bad = NULL;

		if (!resp) {
			/* An id that does not exist yet is retried, as the aws CLI's waiters do. */
			if (!ec2_error_is(&err, EC2_ERR_INSTANCE_NOT_FOUND))
				return cli_error(cli, &err);
		} else {
			json_object_object_get_ex(resp, "Reservations", &res);
			for (r = 0; r < json_object_array_length(res); r++) {
				json_object *insts;

				json_object_object_get_ex(json_object_array_get_idx(res, r), "Instances",
							  &insts);
				for (k = 0; k < json_object_array_length(insts); k++) {
					json_object *st = json_path(json_object_array_get_idx(insts, k),
								    "State.Name");
					const char *state = json_object_get_string(st);
					int f;

					total++;
					if (w->success && strcmp(state, w->success) == 0)
						good++;
					for (f = 0; f < 3; f++)
						if (w->failures[f] && strcmp(w->failures[f], state) == 0)
							bad = w->failures[f];
				}
			}
			json_object_put(resp);
			if (w->success && bad) {
				ec2_error_set(&err, EC2_ERR_WAITER,
					      "Waiter %s failed: Waiter encountered a terminal failure "
					      "state: For expression \"Reservations[].Instances[].State.Name\" "
					      "we matched expected path: \"%s\" at least once", w->title, bad);
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
