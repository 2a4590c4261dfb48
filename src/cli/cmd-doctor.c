/* doctor: checks what ec2-lite needs and says which accelerator runs the guests. Not an EC2
 * action. Prints one line per check ("ok", "FAIL" or "info") and exits 1 when a check failed;
 * with --output json it prints the same as {"Checks": [...], "Accelerator": {...}}. It reads the
 * store (a corrupt state.json fails) and lists the storage pools of state folders that are gone,
 * which --fix removes (it repairs nothing else: a corrupt store is for a person to look at). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "ec2lite/imdsnet.h"
#include "ec2lite/portfwd.h"
#include "ec2lite/util.h"

/* True when a process called name runs (virtlogd has no socket we could ask). */
static bool process_running(const char *name)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	bool found = false;

	while (d && !found && (e = readdir(d))) {
		char path[300], comm[64] = "";
		FILE *f;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f))
			comm[strcspn(comm, "\n")] = '\0';
		fclose(f);
		found = strcmp(comm, name) == 0;
	}
	if (d)
		closedir(d);
	return found;
}

static void check(json_object *list, const char *name, const char *status, const char *detail)
{
	json_object *c = json_object_new_object();

	json_add_str(c, "Name", name);
	json_add_str(c, "Status", status);
	json_add_str(c, "Detail", detail);
	json_object_array_add(list, c);
}

int cmd_doctor(struct cli *cli, json_object *req, const char *positional)
{
	struct ec2_error err = { 0 };
	json_object *report = json_object_new_object(), *checks = json_object_new_array(), *acc;
	bool failed = false, is_test, fix = false;
	char detail[1200];
	int rc;

	(void)positional;
	req_bool(req, "Fix", &fix, NULL);
	json_object_object_add(report, "Checks", checks);
	is_test = strncmp(cli->cfg.connect_uri, "test:", 5) == 0;
	if (!is_test && strncmp(cli->cfg.connect_uri, "qemu:///system", 14) == 0) {
		bool up = process_running("virtlogd");

		check(checks, "virtlogd", up ? "ok" : "FAIL",
		      up ? "running" : "not running: start it with 'virtlogd -d'");
		failed |= !up;
	}
	if (ec2_ctx_open(&cli->ctx, &cli->cfg, 0, &err) < 0) {
		snprintf(detail, sizeof(detail), "%s (start the daemon with 'libvirtd -d')",
			 err.message);
		check(checks, "libvirt", "FAIL", detail);
		failed = true;
	} else {
		unsigned long lib = 0, hv = 0;
		virStoragePoolPtr pool;

		cli->ctx_open = true;
		virConnectGetLibVersion(cli->ctx.conn, &lib);
		virConnectGetVersion(cli->ctx.conn, &hv);
		snprintf(detail, sizeof(detail), "connected to %s (libvirt %lu.%lu.%lu, %s %lu.%lu.%lu)",
			 cli->cfg.connect_uri, lib / 1000000, lib / 1000 % 1000, lib % 1000,
			 virConnectGetType(cli->ctx.conn), hv / 1000000, hv / 1000 % 1000, hv % 1000);
		check(checks, "libvirt", "ok", detail);
		snprintf(detail, sizeof(detail), "%d instance types from %s/instance-types",
			 cli->ctx.types->count, cli->cfg.data_dir);
		check(checks, "instance-types", "ok", detail);
		{
			json_object *root = store_read(cli->ctx.store, &err), *stale = NULL;

			check(checks, "store", root ? "ok" : "FAIL", root ? "state.json reads" :
			      err.message);
			failed |= !root;
			json_object_put(root);
			if (ec2_stale_pools(&cli->ctx, fix, &stale, &err) == 0 &&
			    json_object_array_length(stale) > 0) {
				snprintf(detail, sizeof(detail), "%s: %zu pool(s) of state folders that "
					 "are gone, e.g. %s", fix ? "removed" : "'doctor --fix' removes",
					 json_object_array_length(stale),
					 json_object_get_string(json_object_array_get_idx(stale, 0)));
				check(checks, "stale-pools", fix ? "ok" : "FAIL", detail);
				failed |= !fix;
			}
			json_object_put(stale);
		}
		pool = ec2_pool(&cli->ctx, &err);
		if (pool) {
			snprintf(detail, sizeof(detail), "pool '%s' at %s", cli->ctx.pool_name,
				 cli->ctx.pool_dir);
			check(checks, "storage-pool", "ok", detail);
			virStoragePoolFree(pool);
		} else {
			check(checks, "storage-pool", "FAIL", err.message);
			failed = true;
		}
		acc = json_object_new_object();
		json_add_str(acc, "Name", ec2_accel_name(cli->ctx.accel.accel));
		json_add_str(acc, "Reason", cli->ctx.accel.reason);
		json_object_object_add(report, "Accelerator", acc);
		snprintf(detail, sizeof(detail), "%s: %s", ec2_accel_name(cli->ctx.accel.accel),
			 cli->ctx.accel.reason);
		check(checks, "accelerator", "info", detail);
	}
	if (!is_test) {
		/* Ports below 1024 of public IPs: the forwarder listens for QEMU (portfwd.h). */
		json_object *fw = portfwd_status(cli->cfg.state_dir), *errors = NULL;
		long long n = 0;
		bool running = false;

		req_int(fw, "Forwards", &n, NULL);
		req_bool(fw, "Running", &running, NULL);
		json_object_object_get_ex(fw, "Errors", &errors);
		if (errors && json_object_array_length(errors) > 0) {
			snprintf(detail, sizeof(detail), "cannot listen on %s",
				 json_object_get_string(json_object_array_get_idx(errors, 0)));
			check(checks, "port-forwarder", "FAIL", detail);
			failed = true;
		} else if (n > 0 && !running) {
			snprintf(detail, sizeof(detail), "not running with %lld ports to forward "
				 "(any describe-instances starts it again)", n);
			check(checks, "port-forwarder", "FAIL", detail);
			failed = true;
		} else {
			snprintf(detail, sizeof(detail), running ?
				 "running: %lld ports below 1024 of public IPs relayed to QEMU" :
				 "idle: no instance has a port below 1024 open (%lld)", n);
			check(checks, "port-forwarder", "ok", detail);
		}
		json_object_put(fw);
	}
	if (!is_test) {
		/* The instance metadata service (imdsnet.h): what the host must allow, and the
		 * certificate that verifies instance identity documents. */
		char why[600];
		bool ok = imds_net_available(&cli->cfg, why, sizeof(why));
		bool system = strcmp(cli->cfg.connect_uri, "qemu:///system") == 0;

		if (ok)
			snprintf(detail, sizeof(detail), "%s (daemon %s); identity documents are signed "
				 "by %s/imds/identity.crt", why, imds_daemon_running(cli->cfg.state_dir) ?
				 "running" : "idle: it starts with an instance", cli->cfg.state_dir);
		else
			snprintf(detail, sizeof(detail), "instances get no 169.254.169.254: %s", why);
		check(checks, "metadata", ok ? "ok" : system ? "FAIL" : "info", detail);
		failed |= !ok && system;
	}
	if (access(cli->cfg.state_dir, W_OK) == 0) {
		snprintf(detail, sizeof(detail), "%s is writable", cli->cfg.state_dir);
		check(checks, "state-dir", "ok", detail);
	} else {
		snprintf(detail, sizeof(detail), "%s is not writable", cli->cfg.state_dir);
		check(checks, "state-dir", "FAIL", detail);
		failed = true;
	}
	if (cli->format_given || cli->query) {
		if (cli_print(cli, report))
			failed = true;
	} else {
		size_t i;

		for (i = 0; i < json_object_array_length(checks); i++) {
			json_object *c = json_object_array_get_idx(checks, i);

			printf("%-5s %-15s %s\n", req_string(c, "Status"), req_string(c, "Name"),
			       req_string(c, "Detail"));
		}
	}
	rc = failed ? 1 : 0;
	json_object_put(report);
	return rc;
}
