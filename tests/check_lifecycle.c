/* The instance lifecycle library, in-process against libvirt's test:///default driver: every
 * EC2 action, its responses and its errors, with no VM. (The test driver starts empty on every
 * connection, so each test opens its own context.) */
#include <dirent.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ec2lite/ec2.h"
#include "ec2lite/ids.h"
#include "ec2lite/journal.h"
#include "ec2lite/secgroup.h"
#include "ec2lite/filter.h"
#include "ec2lite/tags.h"
#include "ec2lite/store.h"
#include "ec2lite/util.h"
#include "testutil.h"

static struct ec2_config cfg;
static struct ec2_ctx ctx;
static char *dir;
static char ami[32];

/* Calls an action that must succeed. */
static json_object *ok(json_object *(*fn)(struct ec2_ctx *, json_object *, struct ec2_error *),
		       json_object *req)
{
	struct ec2_error err = { 0 };
	json_object *resp = fn(&ctx, req, &err);

	ck_assert_msg(resp != NULL, "%s: %s", err.code, err.message);
	json_object_put(req);
	return resp;
}

/* Calls an action that must fail with code. */
static void fails(json_object *(*fn)(struct ec2_ctx *, json_object *, struct ec2_error *),
		  json_object *req, const char *code)
{
	struct ec2_error err = { 0 };
	json_object *resp = fn(&ctx, req, &err);

	ck_assert_msg(resp == NULL, "expected %s", code);
	ck_assert_str_eq(err.code, code);
	ck_assert(err.message[0] != '\0');
	json_object_put(req);
}

static const char *str(json_object *o, const char *path)
{
	json_object *v = json_path(o, path);

	return v ? json_object_get_string(v) : NULL;
}

static json_object *instances_of(json_object *reservation)
{
	json_object *v;

	ck_assert(json_object_object_get_ex(reservation, "Instances", &v));
	return v;
}

/* The state of one instance, through DescribeInstances. */
static const char *state_of(const char *id)
{
	static char name[32];
	json_object *r = ok(ec2_describe_instances, J("{\"InstanceIds\": [\"%s\"]}", id)), *res;

	json_object_object_get_ex(r, "Reservations", &res);
	ck_assert_int_eq(json_object_array_length(res), 1);
	snprintf(name, sizeof(name), "%s",
		 str(json_object_array_get_idx(instances_of(json_object_array_get_idx(res, 0)), 0),
		     "State.Name"));
	json_object_put(r);
	return name;
}

static int count_domains(void)
{
	virDomainPtr *doms = NULL;
	int n = virConnectListAllDomains(ctx.conn, &doms, 0), i, ours = 0;

	for (i = 0; i < n; i++) {
		ours += strncmp(virDomainGetName(doms[i]), "i-", 2) == 0;
		virDomainFree(doms[i]);
	}
	free(doms);
	return ours;
}

/* Instance overlays in the pool (the test driver does not see the AMI's base file). */
static int count_volumes(void)
{
	virStoragePoolPtr pool = virStoragePoolLookupByName(ctx.conn, ctx.pool_name);
	virStorageVolPtr *vols = NULL;
	int n = pool ? virStoragePoolListAllVolumes(pool, &vols, 0) : 0, i, ours = 0;

	for (i = 0; i < n; i++) {
		ours += strncmp(virStorageVolGetName(vols[i]), "i-", 2) == 0;
		virStorageVolFree(vols[i]);
	}
	free(vols);
	if (pool)
		virStoragePoolFree(pool);
	return ours;
}

static void setup(void)
{
	dir = test_driver_open(&cfg, &ctx, EC2_CTX_EVENTS, "test-ami", ami);
}

static void teardown(void)
{
	test_driver_close(&cfg, &ctx, &dir);
}

/* Launches count instances and writes their ids into ids. */
static json_object *run(int count, const char *extra, char ids[][32])
{
	json_object *r = ok(ec2_run_instances,
			    J("{\"ImageId\": \"%s\", \"InstanceType\": \"t2.nano\", \"MinCount\": %d, "
			      "\"MaxCount\": %d %s}", ami, count, count, extra ? extra : ""));
	json_object *list = instances_of(r);
	int i;

	ck_assert_int_eq(json_object_array_length(list), count);
	for (i = 0; ids && i < count; i++)
		snprintf(ids[i], 32, "%s", str(json_object_array_get_idx(list, i), "InstanceId"));
	return r;
}

START_TEST(run_describe_terminate)
{
	char ids[3][32];
	json_object *r = run(3, ", \"TagSpecifications\": [{\"ResourceType\": \"instance\", "
			     "\"Tags\": [{\"Key\": \"Name\", \"Value\": \"web\"}]}]", ids);
	json_object *first = json_object_array_get_idx(instances_of(r), 0), *d, *res, *t, *bdm;
	int i;

	ck_assert_str_eq(str(r, "OwnerId"), "000000000000");
	ck_assert(ec2_id_valid("r", str(r, "ReservationId")));
	ck_assert_str_eq(str(first, "State.Name"), "pending");
	ck_assert_int_eq(json_object_get_int(json_path(first, "State.Code")), 0);
	ck_assert_str_eq(str(first, "ImageId"), ami);
	ck_assert_str_eq(str(first, "InstanceType"), "t2.nano");
	for (i = 0; i < 3; i++) {
		const char *ip = str(json_object_array_get_idx(instances_of(r), (size_t)i),
				     "PrivateIpAddress");

		ck_assert(ec2_id_valid("i", ids[i]));
		ck_assert_int_eq(json_object_get_int(json_path(json_object_array_get_idx(
					instances_of(r), (size_t)i), "AmiLaunchIndex")), i);
		/* Each of one launch has a private IP of its own. */
		ck_assert_ptr_nonnull(ip);
		for (int k = 0; k < i; k++)
			ck_assert_str_ne(ip, str(json_object_array_get_idx(instances_of(r), (size_t)k),
						 "PrivateIpAddress"));
	}
	json_object_put(r);
	ck_assert_int_eq(count_domains(), 3);
	ck_assert_int_eq(count_volumes(), 3);

	d = ok(ec2_describe_instances, J("{}"));
	json_object_object_get_ex(d, "Reservations", &res);
	ck_assert_int_eq(json_object_array_length(res), 1);
	first = json_object_array_get_idx(instances_of(json_object_array_get_idx(res, 0)), 0);
	ck_assert_str_eq(str(first, "State.Name"), "running");
	ck_assert_int_eq(json_object_get_int(json_path(first, "State.Code")), 16);
	json_object_object_get_ex(first, "Tags", &t);
	ck_assert_str_eq(json_object_to_json_string_ext(t, JSON_C_TO_STRING_PLAIN),
			 "[{\"Key\":\"Name\",\"Value\":\"web\"},"
			 "{\"Key\":\"ec2-lite:accelerator\",\"Value\":\"tcg\"},"
			 "{\"Key\":\"ec2-lite:kernel-entry\",\"Value\":\"bios\"}]");
	/* The root volume, attached as EC2 shows it: one mapping, /dev/xvda, a vol- id of its own,
	 * attached at launch, deleted on termination. */
	json_object_object_get_ex(first, "BlockDeviceMappings", &t);
	ck_assert_int_eq(json_object_array_length(t), 1);
	bdm = json_object_array_get_idx(t, 0);
	ck_assert_str_eq(str(bdm, "DeviceName"), "/dev/xvda");
	ck_assert_str_eq(str(bdm, "DeviceName"), str(first, "RootDeviceName"));
	ck_assert_str_eq(str(bdm, "Ebs.Status"), "attached");
	ck_assert_str_eq(str(bdm, "Ebs.DeleteOnTermination"), "true");
	ck_assert(ec2_id_valid("vol", str(bdm, "Ebs.VolumeId")));
	ck_assert_str_eq(str(bdm, "Ebs.AttachTime"), str(first, "LaunchTime"));
	json_object_put(d);

	/* One unknown id: nothing is terminated (EC2's all-or-nothing rule). */
	fails(ec2_terminate_instances,
	      J("{\"InstanceIds\": [\"%s\", \"i-0123456789abcdef0\"]}", ids[0]),
	      "InvalidInstanceID.NotFound");
	ck_assert_int_eq(count_domains(), 3);

	r = ok(ec2_terminate_instances, J("{\"InstanceIds\": [\"%s\", \"%s\", \"%s\"]}", ids[0],
					  ids[1], ids[2]));
	json_object_object_get_ex(r, "TerminatingInstances", &t);
	ck_assert_int_eq(json_object_array_length(t), 3);
	ck_assert_str_eq(str(json_object_array_get_idx(t, 0), "CurrentState.Name"), "shutting-down");
	ck_assert_str_eq(str(json_object_array_get_idx(t, 0), "PreviousState.Name"), "running");
	json_object_put(r);
	ck_assert_int_eq(count_domains(), 0);
	ck_assert_int_eq(count_volumes(), 0);
	for (i = 0; i < 3; i++) {
		char *idir = util_strdupf("%s/instances/%s", dir, ids[i]);

		ck_assert(!util_file_exists(idir));
		free(idir);
		ck_assert_str_eq(state_of(ids[i]), "terminated");
	}
	/* Terminated instances stay visible, and terminating again is harmless. */
	r = ok(ec2_terminate_instances, J("{\"InstanceIds\": [\"%s\"]}", ids[0]));
	json_object_object_get_ex(r, "TerminatingInstances", &t);
	ck_assert_str_eq(str(json_object_array_get_idx(t, 0), "CurrentState.Name"), "terminated");
	json_object_put(r);
	fails(ec2_start_instances, J("{\"InstanceIds\": [\"%s\"]}", ids[0]), "IncorrectInstanceState");
	fails(ec2_stop_instances, J("{\"InstanceIds\": [\"%s\"]}", ids[0]), "IncorrectInstanceState");
	fails(ec2_reboot_instances, J("{\"InstanceIds\": [\"%s\"]}", ids[0]), "IncorrectInstanceState");
}
END_TEST

START_TEST(stop_start_and_state_errors)
{
	char ids[2][32];
	json_object *r = run(2, NULL, ids), *list;

	json_object_put(r);
	r = ok(ec2_stop_instances, J("{\"InstanceIds\": [\"%s\"]}", ids[0]));
	json_object_object_get_ex(r, "StoppingInstances", &list);
	ck_assert_str_eq(str(json_object_array_get_idx(list, 0), "CurrentState.Name"), "stopping");
	ck_assert_int_eq(json_object_get_int(json_path(json_object_array_get_idx(list, 0),
						       "CurrentState.Code")), 64);
	json_object_put(r);
	ck_assert_str_eq(state_of(ids[0]), "stopped");
	ck_assert_str_eq(state_of(ids[1]), "running");

	/* Stopping a stopped instance and starting a running one change nothing. */
	r = ok(ec2_stop_instances, J("{\"InstanceIds\": [\"%s\"]}", ids[0]));
	json_object_object_get_ex(r, "StoppingInstances", &list);
	ck_assert_str_eq(str(json_object_array_get_idx(list, 0), "CurrentState.Name"), "stopped");
	json_object_put(r);
	r = ok(ec2_start_instances, J("{\"InstanceIds\": [\"%s\", \"%s\"]}", ids[0], ids[1]));
	json_object_object_get_ex(r, "StartingInstances", &list);
	ck_assert_str_eq(str(json_object_array_get_idx(list, 0), "CurrentState.Name"), "pending");
	ck_assert_str_eq(str(json_object_array_get_idx(list, 0), "PreviousState.Name"), "stopped");
	ck_assert_str_eq(str(json_object_array_get_idx(list, 1), "CurrentState.Name"), "running");
	json_object_put(r);
	ck_assert_str_eq(state_of(ids[0]), "running");

	/* Reboot needs running; hibernation needs it configured at launch. */
	r = ok(ec2_reboot_instances, J("{\"InstanceIds\": [\"%s\"]}", ids[0]));
	ck_assert_int_eq(json_object_object_length(r), 0);
	json_object_put(r);
	fails(ec2_stop_instances, J("{\"InstanceIds\": [\"%s\"], \"Hibernate\": true}", ids[0]),
	      "UnsupportedHibernationConfiguration");
	ck_assert_str_eq(state_of(ids[0]), "running");
	r = ok(ec2_stop_instances, J("{\"InstanceIds\": [\"%s\"], \"Force\": true}", ids[0]));
	json_object_put(r);
	ck_assert_str_eq(state_of(ids[0]), "stopped");
	fails(ec2_reboot_instances, J("{\"InstanceIds\": [\"%s\"]}", ids[0]), "IncorrectInstanceState");
	r = ok(ec2_terminate_instances, J("{\"InstanceIds\": [\"%s\", \"%s\"]}", ids[0], ids[1]));
	json_object_put(r);
}
END_TEST

/* The reboot-event registrations RebootInstances made (the test driver emits no reboot events, so
 * the test delivers them). */
static struct {
	virConnectDomainEventGenericCallback cb;
	void *opaque;
} registered[8];
static int nregistered;

static void record_registration(virConnectDomainEventGenericCallback cb, void *opaque)
{
	ck_assert_int_lt(nregistered, 8);
	registered[nregistered].cb = cb;
	registered[nregistered].opaque = opaque;
	nregistered++;
}

/* Rebooting several instances in one call: each reboot event reaches a watch that is still
 * there (before, the opaque pointer of the first pointed into an array that the next watch's
 * realloc had moved: a write to freed memory, and that guest was hard-reset although it had
 * rebooted), so every reboot is seen and none is left for the hard reset. */
START_TEST(reboot_several_in_one_call)
{
	char ids[3][32];
	json_object *r = run(3, NULL, ids);
	struct ec2_error err = { 0 };
	int i;

	json_object_put(r);
	cfg.reboot_timeout = 3600; /* a watch not seen stays pending: no deadline passes */
	nregistered = 0;
	ctx.test.reboot_registered = record_registration;
	r = ok(ec2_reboot_instances, J("{\"InstanceIds\": [\"%s\", \"%s\", \"%s\"]}", ids[0],
				       ids[1], ids[2]));
	ctx.test.reboot_registered = NULL;
	json_object_put(r);
	ck_assert_int_eq(nregistered, 3);
	ck_assert(ec2_has_watches(&ctx));
	for (i = 0; i < nregistered; i++)
		registered[i].cb(ctx.conn, NULL, registered[i].opaque);
	ck_assert_msg(!ec2_has_watches(&ctx), "a reboot that happened was not seen");
	ck_assert_int_eq(ec2_reconcile(&ctx, NULL, false, &err), 0);
	ck_assert_str_eq(state_of(ids[0]), "running");
	r = ok(ec2_terminate_instances, J("{\"InstanceIds\": [\"%s\", \"%s\", \"%s\"]}", ids[0],
					  ids[1], ids[2]));
	json_object_put(r);
}
END_TEST

/* The state of one AMI, through DescribeImages. */
static const char *image_state_of(const char *id)
{
	static char name[32];
	json_object *r = ok(ec2_describe_images, J("{\"ImageIds\": [\"%s\"]}", id)), *imgs;

	json_object_object_get_ex(r, "Images", &imgs);
	ck_assert_int_eq(json_object_array_length(imgs), 1);
	snprintf(name, sizeof(name), "%s", str(json_object_array_get_idx(imgs, 0), "State"));
	json_object_put(r);
	return name;
}

/* CreateImage's worker is known alive by the lock it holds, not by a pid: killed, it is seen at
 * once (no grace period), although the pid the image records (this process's: the one that
 * asked) belongs to a live process. */
START_TEST(image_worker_death_is_seen_at_once)
{
	char ids[2][32], image[32], ready;
	json_object *r = run(2, NULL, ids);
	int p[2], claim;
	pid_t worker;

	json_object_put(r);
	r = ok(ec2_create_image, J("{\"InstanceId\": \"%s\", \"Name\": \"worker-test\", "
				   "\"NoReboot\": true}", ids[0]));
	snprintf(image, sizeof(image), "%s", str(r, "ImageId"));
	json_object_put(r);
	/* The front end holds the job's claim from the start, and hands it to its worker. */
	ck_assert_str_eq(image_state_of(image), "pending");
	claim = ec2_image_job_take(&ctx);
	ck_assert_int_ge(claim, 0);
	ck_assert_int_eq(ec2_image_job_take(&ctx), -1);
	ck_assert_int_eq(pipe(p), 0);
	worker = fork();
	ck_assert_int_ge(worker, 0);
	if (worker == 0) {
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(claim); /* the worker has it now */
	close(p[1]);
	ck_assert_int_eq(read(p[0], &ready, 1), 1);
	close(p[0]);
	ck_assert_str_eq(image_state_of(image), "pending");
	kill(worker, SIGKILL);
	waitpid(worker, NULL, 0);
	ck_assert_str_eq(image_state_of(image), "failed");
	ck_assert_str_eq(state_of(ids[0]), "running"); /* the instance is given back */

	/* A front end that dies before any worker ran: the image is failed at once, not after a
	 * grace period. */
	r = ok(ec2_create_image, J("{\"InstanceId\": \"%s\", \"Name\": \"no-worker\", "
				   "\"NoReboot\": true}", ids[1]));
	snprintf(image, sizeof(image), "%s", str(r, "ImageId"));
	json_object_put(r);
	close(ec2_image_job_take(&ctx));
	ck_assert_str_eq(image_state_of(image), "failed");
	ck_assert_str_eq(state_of(ids[1]), "running");
	r = ok(ec2_terminate_instances, J("{\"InstanceIds\": [\"%s\", \"%s\"]}", ids[0], ids[1]));
	json_object_put(r);
}
END_TEST

/* Whether pid is gone (or a zombie nobody reaped yet). */
static bool process_gone(pid_t pid)
{
	char *path = util_strdupf("/proc/%d/stat", (int)pid), *text = util_read_file(path, NULL, NULL);
	const char *p = text ? strrchr(text, ')') : NULL;
	bool gone = !p || p[2] == 'Z' || p[2] == 'X';

	free(text);
	free(path);
	return gone;
}

static void send_pid(void *opaque, const char *line)
{
	int fd = *(int *)opaque;

	if (write(fd, line, strlen(line) + 1) < 0)
		_exit(1);
}

/* A program util_run started (qemu-img for a worker) dies with the process that ran it. */
START_TEST(util_run_children_die_with_their_parent)
{
	static const char *const argv[] = { "sh", "-c", "echo $$; exec sleep 60", NULL };
	char buf[32] = "";
	int p[2], i;
	pid_t parent, child;

	ck_assert_int_eq(pipe(p), 0);
	parent = fork();
	ck_assert_int_ge(parent, 0);
	if (parent == 0) {
		close(p[0]);
		util_run(argv, send_pid, &p[1], NULL);
		_exit(0);
	}
	close(p[1]);
	for (i = 0; i < (int)sizeof(buf) - 1 && read(p[0], buf + i, 1) == 1 && buf[i]; i++)
		;
	close(p[0]);
	child = (pid_t)atoi(buf);
	ck_assert_int_gt(child, 0);
	ck_assert(!process_gone(child));
	kill(parent, SIGKILL);
	waitpid(parent, NULL, 0);
	for (i = 0; i < 100 && !process_gone(child); i++)
		util_sleep_ms(20);
	if (!process_gone(child))
		kill(child, SIGKILL);
	ck_assert_msg(i < 100, "the program outlived the process that ran it");
}
END_TEST

/* A store that cannot be written (a full disk) fails the action, and nothing is left half-done:
 * CreateImage's second commit (the image's source) failing leaves no image and the instance
 * free to be imaged; RegisterImage's failing leaves no image. */
START_TEST(store_write_failure_fails_the_action)
{
	char ids[1][32];
	json_object *r = run(1, NULL, ids);
	struct ec2_error err = { 0 };
	json_object *req;

	json_object_put(r);
	req = J("{\"InstanceId\": \"%s\", \"Name\": \"full-disk\", \"NoReboot\": true}", ids[0]);
	store_fail_commit(ctx.store, 2);
	r = ec2_create_image(&ctx, req, &err);
	store_fail_commit(ctx.store, 0);
	ck_assert_msg(r == NULL, "CreateImage succeeded with a store that cannot be written");
	ck_assert_str_eq(err.code, "InternalError");
	ck_assert_ptr_nonnull(strstr(err.message, "No space left"));
	r = ok(ec2_describe_images, J("{\"Filters\": [{\"Name\": \"name\", \"Values\": "
				      "[\"full-disk\"]}]}"));
	ck_assert_int_eq(json_object_array_length(json_object_object_get(r, "Images")), 0);
	json_object_put(r);
	r = ec2_create_image(&ctx, req, &err); /* the instance was not left marked */
	ck_assert_msg(r != NULL, "%s", err.message);
	json_object_put(r);
	json_object_put(req);

	req = J("{\"Name\": \"full-disk-2\", \"DiskPath\": \"%s/disk.raw\"}", dir);
	store_fail_commit(ctx.store, 2);
	r = ec2_register_image(&ctx, req, &err);
	store_fail_commit(ctx.store, 0);
	ck_assert(r == NULL);
	json_object_put(req);
	r = ok(ec2_describe_images, J("{\"Filters\": [{\"Name\": \"name\", \"Values\": "
				      "[\"full-disk-2\"]}]}"));
	ck_assert_int_eq(json_object_array_length(json_object_object_get(r, "Images")), 0);
	json_object_put(r);
	r = ok(ec2_terminate_instances, J("{\"InstanceIds\": [\"%s\"]}", ids[0]));
	json_object_put(r);
}
END_TEST

/* Pools of ec2-lite state folders that are gone: listed, and removed on request; pools of
 * folders that exist, and pools not named ec2-lite-*, are left alone. */
START_TEST(stale_pools_are_found_and_removed)
{
	static const char *const xml[] = {
		"<pool type='dir'><name>ec2-lite-0badf00d</name>"
		"<target><path>/nonexistent/ec2-lite-test/pool</path></target></pool>",
		"<pool type='dir'><name>someone-elses</name>"
		"<target><path>/nonexistent/other/pool</path></target></pool>",
	};
	struct ec2_error err = { 0 };
	json_object *stale = NULL;
	virStoragePoolPtr p;
	size_t i;

	virStoragePoolFree(ec2_pool(&ctx, &err)); /* this state folder's own */
	for (i = 0; i < 2; i++) {
		p = virStoragePoolDefineXML(ctx.conn, xml[i], 0);
		ck_assert_ptr_nonnull(p);
		virStoragePoolFree(p);
	}
	ck_assert_int_eq(ec2_stale_pools(&ctx, false, &stale, &err), 0);
	ck_assert_int_eq(json_object_array_length(stale), 1);
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(stale, 0)),
			 "ec2-lite-0badf00d (/nonexistent/ec2-lite-test/pool)");
	json_object_put(stale);
	p = virStoragePoolLookupByName(ctx.conn, "ec2-lite-0badf00d");
	ck_assert_ptr_nonnull(p); /* only listed */
	virStoragePoolFree(p);
	ck_assert_int_eq(ec2_stale_pools(&ctx, true, &stale, &err), 0);
	ck_assert_int_eq(json_object_array_length(stale), 1);
	json_object_put(stale);
	ck_assert_ptr_null(virStoragePoolLookupByName(ctx.conn, "ec2-lite-0badf00d"));
	p = virStoragePoolLookupByName(ctx.conn, "someone-elses");
	ck_assert_ptr_nonnull(p);
	virStoragePoolUndefine(p);
	virStoragePoolFree(p);
	p = virStoragePoolLookupByName(ctx.conn, ctx.pool_name);
	ck_assert_ptr_nonnull(p);
	virStoragePoolFree(p);
}
END_TEST

/* QEMU's failures to get the guest's memory are EC2's InsufficientInstanceCapacity; other start
 * failures stay InternalError. */
START_TEST(start_failures_out_of_memory_are_capacity)
{
	static const struct {
		const char *libvirt;
		const char *code;
	} cases[] = {
		{ "internal error: process exited while connecting to monitor: "
		  "qemu-system-x86_64: cannot set up guest memory 'pc.ram': Cannot allocate memory",
		  "InsufficientInstanceCapacity" },
		{ "internal error: qemu unexpectedly closed the monitor: "
		  "os_mem_prealloc: Insufficient free host memory pages available to allocate guest RAM",
		  "InsufficientInstanceCapacity" },
		{ "Unable to allocate memory", "InsufficientInstanceCapacity" },
		{ "internal error: process exited while connecting to monitor: "
		  "qemu-system-x86_64: -drive file=x: Could not open 'x': No such file or directory",
		  "InternalError" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ec2_error err = { 0 };

		ec2_error_start_failure(&err, "i-0123456789abcdef0", cases[i].libvirt);
		ck_assert_msg(strcmp(err.code, cases[i].code) == 0, "%s: %s", cases[i].libvirt,
			      err.code);
		ck_assert(err.message[0] != '\0');
	}
}
END_TEST

START_TEST(hibernate_and_resume)
{
	char ids[1][32];
	json_object *r = run(1, ", \"HibernationOptions\": {\"Configured\": \"true\"}", ids), *d;
	virDomainPtr dom;

	json_object_put(r);
	r = ok(ec2_stop_instances, J("{\"InstanceIds\": [\"%s\"], \"Hibernate\": true}", ids[0]));
	json_object_put(r);
	dom = virDomainLookupByName(ctx.conn, ids[0]);
	ck_assert_int_eq(virDomainHasManagedSaveImage(dom, 0), 1);
	ck_assert_str_eq(state_of(ids[0]), "stopped");
	d = ok(ec2_describe_instances, J("{\"InstanceIds\": [\"%s\"]}", ids[0]));
	ck_assert_ptr_nonnull(strstr(json_object_to_json_string(d), "Client.UserInitiatedHibernate"));
	ck_assert_ptr_nonnull(strstr(json_object_to_json_string_ext(d, JSON_C_TO_STRING_PLAIN),
				       "\"Configured\":true"));
	json_object_put(d);
	r = ok(ec2_start_instances, J("{\"InstanceIds\": [\"%s\"]}", ids[0]));
	json_object_put(r);
	ck_assert_int_eq(virDomainHasManagedSaveImage(dom, 0), 0);
	ck_assert_str_eq(state_of(ids[0]), "running");
	virDomainFree(dom);
	r = ok(ec2_terminate_instances, J("{\"InstanceIds\": [\"%s\"]}", ids[0]));
	json_object_put(r);
}
END_TEST

/* A guest that powers itself off becomes stopped, or terminated per its shutdown behaviour. */
START_TEST(guest_initiated_shutdown)
{
	char keep[1][32], gone[1][32];
	json_object *r = run(1, NULL, keep), *d;
	virDomainPtr dom;

	json_object_put(r);
	r = run(1, ", \"InstanceInitiatedShutdownBehavior\": \"terminate\"", gone);
	json_object_put(r);
	dom = virDomainLookupByName(ctx.conn, keep[0]);
	ck_assert_int_eq(virDomainShutdown(dom), 0);
	virDomainFree(dom);
	dom = virDomainLookupByName(ctx.conn, gone[0]);
	ck_assert_int_eq(virDomainShutdown(dom), 0);
	virDomainFree(dom);
	ck_assert_str_eq(state_of(keep[0]), "stopped");
	d = ok(ec2_describe_instances, J("{\"InstanceIds\": [\"%s\"]}", keep[0]));
	ck_assert_ptr_nonnull(strstr(json_object_to_json_string(d), "Client.InstanceInitiatedShutdown"));
	json_object_put(d);
	ck_assert_str_eq(state_of(gone[0]), "terminated");
	ck_assert_int_eq(count_domains(), 1);
	ck_assert_int_eq(count_volumes(), 1);
	r = ok(ec2_terminate_instances, J("{\"InstanceIds\": [\"%s\"]}", keep[0]));
	json_object_put(r);
}
END_TEST

START_TEST(failed_launch_leaves_nothing)
{
	struct ec2_error err = { 0 };
	json_object *req = J("{\"ImageId\": \"%s\", \"InstanceType\": \"t2.nano\", \"MinCount\": 3, "
			     "\"MaxCount\": 3}", ami), *d, *res;

	ctx.test.fail_launch_index = 2;
	ck_assert_ptr_null(ec2_run_instances(&ctx, req, &err));
	ck_assert_str_eq(err.message, "injected launch failure");
	json_object_put(req);
	ctx.test.fail_launch_index = -1;
	ck_assert_int_eq(count_domains(), 0);
	ck_assert_int_eq(count_volumes(), 0);
	d = ok(ec2_describe_instances, J("{}"));
	json_object_object_get_ex(d, "Reservations", &res);
	ck_assert_int_eq(json_object_array_length(res), 0);
	json_object_put(d);
}
END_TEST

START_TEST(bad_requests_change_nothing)
{
	fails(ec2_run_instances, J("{}"), "MissingParameter");
	fails(ec2_run_instances, J("{\"ImageId\": \"ami-bogus\"}"), "InvalidAMIID.Malformed");
	fails(ec2_run_instances, J("{\"ImageId\": \"ami-0123456789abcdef0\"}"), "InvalidAMIID.NotFound");
	fails(ec2_run_instances, J("{\"ImageId\": \"%s\", \"InstanceType\": \"t9.huge\"}", ami),
	      "InvalidParameterValue");
	fails(ec2_run_instances, J("{\"ImageId\": \"%s\", \"MinCount\": 0, \"MaxCount\": 0}", ami),
	      "InvalidParameterValue");
	fails(ec2_run_instances, J("{\"ImageId\": \"%s\", \"MinCount\": 3, \"MaxCount\": 2}", ami),
	      "InvalidParameterValue");
	fails(ec2_run_instances, J("{\"ImageId\": \"%s\", \"MinCount\": \"many\"}", ami),
	      "InvalidParameterValue");
	fails(ec2_run_instances, J("{\"ImageId\": \"%s\", \"MinCount\": 40, \"MaxCount\": 40}", ami),
	      "InstanceLimitExceeded");
	fails(ec2_run_instances, J("{\"ImageId\": \"%s\", \"InstanceInitiatedShutdownBehavior\": "
				   "\"explode\"}", ami), "InvalidParameterValue");
	fails(ec2_run_instances, J("{\"ImageId\": \"%s\", \"TagSpecifications\": [{\"ResourceType\": "
				   "\"instance\", \"Tags\": [{\"Key\": \"aws:x\", \"Value\": \"y\"}]}]}",
				   ami), "InvalidParameterValue");
	fails(ec2_run_instances, J("{\"ImageId\": \"%s\", \"InstanceType\": \"m5.metal\", "
				   "\"HibernationOptions\": {\"Configured\": true}}", ami),
	      "UnsupportedHibernationConfiguration");
	fails(ec2_describe_instances, J("{\"InstanceIds\": [\"i-xyz\"]}"), "InvalidInstanceID.Malformed");
	fails(ec2_describe_instances, J("{\"InstanceIds\": [\"i-0123456789abcdef0\", "
					"\"i-0123456789abcdef1\"]}"), "InvalidInstanceID.NotFound");
	fails(ec2_describe_instances, J("{\"Filters\": [{\"Name\": \"colour\", \"Values\": [\"x\"]}]}"),
	      "InvalidParameterValue");
	fails(ec2_start_instances, J("{}"), "MissingParameter");
	fails(ec2_stop_instances, J("{\"InstanceIds\": [\"bogus\"]}"), "InvalidInstanceID.Malformed");
	fails(ec2_reboot_instances, J("{\"InstanceIds\": [\"i-0123456789abcdef0\"]}"),
	      "InvalidInstanceID.NotFound");
	fails(ec2_terminate_instances, J("{\"InstanceIds\": [\"i-1\"]}"), "InvalidInstanceID.Malformed");
	fails(ec2_deregister_image, J("{\"ImageId\": \"ami-0123456789abcdef0\"}"), "InvalidAMIID.NotFound");
	fails(ec2_register_image, J("{\"Name\": \"x\", \"DiskPath\": \"/nonexistent\"}"),
	      "InvalidAMIName.Malformed");
	fails(ec2_register_image, J("{\"Name\": \"other\", \"DiskPath\": \"/nonexistent\"}"),
	      "InvalidParameterValue");
	fails(ec2_register_image, J("{\"Name\": \"test-ami\", \"DiskPath\": \"%s/disk.raw\"}", dir),
	      "InvalidAMIName.Duplicate");
	ck_assert_int_eq(count_domains(), 0);
	ck_assert_int_eq(count_volumes(), 0);
}
END_TEST

START_TEST(insufficient_capacity)
{
	struct ec2_error err = { 0 };
	json_object *req = J("{\"ImageId\": \"%s\", \"InstanceType\": \"r5.24xlarge\"}", ami), *r;
	char ids[1][32];

	cfg.memory_overcommit = 1.0;
	ck_assert_ptr_null(ec2_run_instances(&ctx, req, &err));
	ck_assert_str_eq(err.code, "InsufficientInstanceCapacity");
	ck_assert_ptr_nonnull(strstr(err.message, "r5.24xlarge"));
	json_object_put(req);
	ck_assert_int_eq(count_domains(), 0);
	/* MIN:MAX launches as many as fit. */
	cfg.memory_overcommit = 100;
	r = run(1, NULL, ids);
	json_object_put(r);
	r = ok(ec2_terminate_instances, J("{\"InstanceIds\": [\"%s\"]}", ids[0]));
	json_object_put(r);
}
END_TEST

START_TEST(client_token_is_idempotent)
{
	char a[1][32], b[1][32];
	json_object *r1 = run(1, ", \"ClientToken\": \"abc\"", a), *r2;

	r2 = run(1, ", \"ClientToken\": \"abc\"", b);
	ck_assert_str_eq(a[0], b[0]);
	ck_assert_str_eq(str(r1, "ReservationId"), str(r2, "ReservationId"));
	ck_assert_int_eq(count_domains(), 1);
	json_object_put(r1);
	json_object_put(r2);
	r1 = ok(ec2_terminate_instances, J("{\"InstanceIds\": [\"%s\"]}", a[0]));
	json_object_put(r1);
}
END_TEST

START_TEST(filters_select_instances)
{
	char ids[2][32];
	json_object *r = run(2, NULL, ids), *d, *res;

	json_object_put(r);
	r = ok(ec2_stop_instances, J("{\"InstanceIds\": [\"%s\"]}", ids[1]));
	json_object_put(r);
	d = ok(ec2_describe_instances, J("{\"Filters\": [{\"Name\": \"instance-state-name\", "
					 "\"Values\": [\"stopped\"]}]}"));
	json_object_object_get_ex(d, "Reservations", &res);
	ck_assert_int_eq(json_object_array_length(res), 1);
	ck_assert_int_eq(json_object_array_length(instances_of(json_object_array_get_idx(res, 0))), 1);
	ck_assert_str_eq(str(json_object_array_get_idx(instances_of(json_object_array_get_idx(res, 0)),
						       0), "InstanceId"), ids[1]);
	json_object_put(d);
	d = ok(ec2_describe_instances, J("{\"Filters\": [{\"Name\": \"instance-type\", "
					 "\"Values\": [\"t2.micro\"]}]}"));
	json_object_object_get_ex(d, "Reservations", &res);
	ck_assert_int_eq(json_object_array_length(res), 0);
	json_object_put(d);
	r = ok(ec2_terminate_instances, J("{\"InstanceIds\": [\"%s\", \"%s\"]}", ids[0], ids[1]));
	json_object_put(r);
}
END_TEST

START_TEST(deregister_keeps_running_instances)
{
	char ids[1][32];
	json_object *r = run(1, NULL, ids), *imgs, *list;
	char *base = util_strdupf("%s/pool/%s.raw", dir, ami);

	json_object_put(r);
	r = ok(ec2_deregister_image, J("{\"ImageId\": \"%s\"}", ami));
	json_object_put(r);
	imgs = ok(ec2_describe_images, J("{}"));
	json_object_object_get_ex(imgs, "Images", &list);
	ck_assert_int_eq(json_object_array_length(list), 0);
	json_object_put(imgs);
	ck_assert(util_file_exists(base)); /* still the base of a running instance */
	ck_assert_str_eq(state_of(ids[0]), "running");
	fails(ec2_run_instances, J("{\"ImageId\": \"%s\"}", ami), "InvalidAMIID.NotFound");
	r = ok(ec2_terminate_instances, J("{\"InstanceIds\": [\"%s\"]}", ids[0]));
	json_object_put(r);
	ck_assert(!util_file_exists(base)); /* the last user is gone, and so is the base */
	free(base);
}
END_TEST

START_TEST(security_group_and_key_pair)
{
	char ids[1][32], *seed, *iso, *extra;
	json_object *r = ok(ec2_create_security_group,
			    J("{\"GroupName\": \"web\", \"Description\": \"web servers\"}")), *d;
	json_object *k = ok(ec2_create_key_pair, J("{\"KeyName\": \"k\", \"KeyType\": \"ed25519\"}"));
	json_object *keys = ok(ec2_describe_key_pairs, J("{\"IncludePublicKey\": true}"));
	char sg[32], pub[200];
	size_t len = 0;

	snprintf(sg, sizeof(sg), "%s", str(r, "GroupId"));
	snprintf(pub, sizeof(pub), "%s",
		 str(json_object_array_get_idx(json_path(keys, "KeyPairs"), 0), "PublicKey"));
	json_object_put(r);
	json_object_put(k);
	json_object_put(keys);
	extra = util_strdupf(", \"SecurityGroupIds\": [\"%s\"], \"KeyName\": \"k\"", sg);
	r = run(1, extra, ids);
	free(extra);
	json_object_put(r);
	d = ok(ec2_describe_instances, J("{\"InstanceIds\": [\"%s\"]}", ids[0]));
	ck_assert_str_eq(str(json_object_array_get_idx(instances_of(json_object_array_get_idx(
				     json_path(d, "Reservations"), 0)), 0), "KeyName"), "k");
	ck_assert_ptr_nonnull(strstr(json_object_to_json_string_ext(d, JSON_C_TO_STRING_PLAIN),
				     "\"SecurityGroups\":[{\"GroupName\":\"web\""));
	json_object_put(d);
	/* The public key reaches the guest through the seed's meta-data. */
	seed = util_strdupf("%s/instances/%s/seed.iso", dir, ids[0]);
	iso = util_read_file(seed, &len, NULL);
	ck_assert_ptr_nonnull(iso);
	ck_assert_ptr_nonnull(memmem(iso, len, pub, strlen(pub)));
	ck_assert_ptr_nonnull(memmem(iso, len, "public-keys:", 12));
	free(iso);
	free(seed);
	fails(ec2_delete_security_group, J("{\"GroupId\": \"%s\"}", sg), "DependencyViolation");
	fails(ec2_run_instances, J("{\"ImageId\": \"%s\", \"KeyName\": \"nope\"}", ami),
	      "InvalidKeyPair.NotFound");
	r = ok(ec2_terminate_instances, J("{\"InstanceIds\": [\"%s\"]}", ids[0]));
	json_object_put(r);
	r = ok(ec2_delete_security_group, J("{\"GroupId\": \"%s\"}", sg));
	json_object_put(r);
	ck_assert_int_eq(count_domains(), 0);
}
END_TEST

START_TEST(instance_status)
{
	char ids[2][32];
	json_object *r = run(2, NULL, ids), *st, *list;

	json_object_put(r);
	r = ok(ec2_stop_instances, J("{\"InstanceIds\": [\"%s\"]}", ids[1]));
	json_object_put(r);
	st = ok(ec2_describe_instance_status, J("{}"));
	list = json_path(st, "InstanceStatuses");
	ck_assert_int_eq(json_object_array_length(list), 1); /* running instances only */
	ck_assert_str_eq(str(json_object_array_get_idx(list, 0), "InstanceId"), ids[0]);
	/* The test driver answers guest-agent calls, so its guests count as up (the VM tests see
	 * initializing turn to ok on real guests). */
	ck_assert_str_eq(str(json_object_array_get_idx(list, 0), "InstanceStatus.Status"), "ok");
	ck_assert_str_eq(str(json_object_array_get_idx(list, 0), "SystemStatus.Status"), "ok");
	json_object_put(st);
	st = ok(ec2_describe_instance_status, J("{\"IncludeAllInstances\": true, \"Filters\": "
						"[{\"Name\": \"instance-state-name\", \"Values\": [\"stopped\"]}]}"));
	list = json_path(st, "InstanceStatuses");
	ck_assert_int_eq(json_object_array_length(list), 1);
	ck_assert_str_eq(str(json_object_array_get_idx(list, 0), "InstanceStatus.Status"),
			 "not-applicable");
	json_object_put(st);
	fails(ec2_describe_instance_status, J("{\"Filters\": [{\"Name\": \"colour\", \"Values\": "
					      "[\"x\"]}]}"), "InvalidParameterValue");
	r = ok(ec2_terminate_instances, J("{\"InstanceIds\": [\"%s\", \"%s\"]}", ids[0], ids[1]));
	json_object_put(r);
}
END_TEST

/* A volume in the pool as a launch makes it, and its instance folder. */
static void make_volume_and_folder(const char *id)
{
	virStoragePoolPtr pool = virStoragePoolLookupByName(ctx.conn, ctx.pool_name);
	char *xml = util_strdupf("<volume><name>%s-root.qcow2</name><capacity>1048576</capacity>"
				 "</volume>", id);
	char *folder = util_strdupf("%s/%s", ctx.instances_dir, id);
	virStorageVolPtr vol;

	ck_assert_ptr_nonnull(pool);
	vol = virStorageVolCreateXML(pool, xml, 0);
	ck_assert_ptr_nonnull(vol);
	virStorageVolFree(vol);
	virStoragePoolFree(pool);
	ck_assert_int_eq(util_mkdir_p(folder, 0755, NULL), 0);
	free(xml);
	free(folder);
}

static json_object *journal_entries(int n, ...)
{
	json_object *a = json_object_new_array();
	va_list ap;
	int i;

	va_start(ap, n);
	for (i = 0; i < n; i++) {
		const char *id = va_arg(ap, const char *);
		json_object *e = json_object_new_object();
		char *vol = util_strdupf("%s-root.qcow2", id);

		json_add_str(e, "InstanceId", id);
		json_add_str(e, "Volume", vol);
		json_object_array_add(a, e);
		free(vol);
	}
	va_end(ap);
	return a;
}

/* A journal written by a launcher that dies at once, in a child (its lock goes with it). */
static void dead_journal(const char *rid, json_object *list, long min_count)
{
	pid_t pid = fork();
	int status;

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct journal j;

		_exit(journal_begin(cfg.state_dir, rid, list, min_count, &j, NULL) == 0 ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* A launcher killed mid-launch: what it defined is finished (started), what it only began (a
 * volume, a folder) is removed; a launch whose process lives is left alone. */
START_TEST(dead_launcher_is_finished_or_undone)
{
	char ids[1][32];
	const char *half = "i-0000000000000000b", *live = "i-0000000000000000c";
	json_object *r = run(1, NULL, ids), *list;
	struct journal mine;
	virDomainPtr dom;
	char *half_dir = util_strdupf("%s/%s", ctx.instances_dir, half), *journal_dir;

	json_object_put(r);
	/* The first instance was defined but not yet started when its launcher died. */
	dom = virDomainLookupByName(ctx.conn, ids[0]);
	ck_assert_int_eq(virDomainDestroy(dom), 0);
	virDomainFree(dom);
	make_volume_and_folder(half);
	make_volume_and_folder(live);
	list = journal_entries(2, ids[0], half);
	dead_journal("r-0000000000000dead", list, 1);
	json_object_put(list);
	list = journal_entries(1, live);
	ck_assert_int_eq(journal_begin(cfg.state_dir, "r-00000000000000a1", list, 1, &mine, NULL), 0);
	json_object_put(list);

	ck_assert_int_eq(count_volumes(), 3);
	ck_assert_int_ge(ec2_reconcile(&ctx, NULL, false, NULL), 0);
	ck_assert_str_eq(state_of(ids[0]), "running");
	ck_assert_int_eq(count_volumes(), 2); /* the first instance's and the live launch's */
	ck_assert(!util_file_exists(half_dir));
	journal_dir = util_strdupf("%s/launches/r-0000000000000dead.json", cfg.state_dir);
	ck_assert(!util_file_exists(journal_dir));
	free(journal_dir);
	journal_end(&mine);
	free(half_dir);
	r = ok(ec2_terminate_instances, J("{\"InstanceIds\": [\"%s\"]}", ids[0]));
	json_object_put(r);
}
END_TEST

/* A dead launcher's journal is decided only when libvirt can say what it defined: while the
 * connection fails, the journal stays and nothing of its instances is removed (a lookup that
 * failed is not "never defined"); once libvirt answers, the journal is decided as usual. */
START_TEST(dead_launcher_waits_for_libvirt)
{
	static char no_conn[4096]; /* a connection object libvirt rejects (VIR_ERR_INVALID_CONN) */
	char ids[1][32], *journal_file;
	json_object *r = run(1, NULL, ids), *list;
	virConnectPtr conn;

	json_object_put(r);
	/* Below its MinCount of 2: the launch would be undone, its running instance with it. */
	list = journal_entries(1, ids[0]);
	dead_journal("r-00000000000000d2", list, 2);
	json_object_put(list);
	journal_file = util_strdupf("%s/launches/r-00000000000000d2.json", cfg.state_dir);
	conn = ctx.conn;
	ctx.conn = (virConnectPtr)no_conn;
	ec2_reconcile(&ctx, NULL, false, NULL);
	ctx.conn = conn;
	ck_assert_int_eq(count_domains(), 1);
	ck_assert_int_eq(count_volumes(), 1);
	ck_assert(util_file_exists(journal_file));
	/* libvirt answers again: the launch below its MinCount is undone. */
	ck_assert_int_ge(ec2_reconcile(&ctx, NULL, false, NULL), 0);
	ck_assert(!util_file_exists(journal_file));
	ck_assert_int_eq(count_domains(), 0);
	free(journal_file);
}
END_TEST

static int add_record(json_object *root, void *opaque, struct ec2_error *err)
{
	json_object *entry = opaque;

	(void)err;
	json_object_object_add(store_section(root, "terminated"),
			       json_object_get_string(json_path(entry, "Instance.InstanceId")),
			       json_object_get(entry));
	return 0;
}

/* A terminate killed after it recorded the termination but before the domain was gone: the next
 * describe finishes it, and the instance is terminated, with nothing left. */
START_TEST(interrupted_terminate_is_finished)
{
	char ids[1][32];
	json_object *r = run(1, NULL, ids), *d, *inst, *entry;

	json_object_put(r);
	d = ok(ec2_describe_instances, J("{\"InstanceIds\": [\"%s\"]}", ids[0]));
	inst = json_path(d, "Reservations");
	inst = json_object_array_get_idx(instances_of(json_object_array_get_idx(inst, 0)), 0);
	entry = json_object_new_object();
	json_object_object_add(entry, "Instance", json_object_get(inst));
	json_object_object_add(inst, "State", J("{\"Code\": 48, \"Name\": \"terminated\"}"));
	json_add_str(entry, "ReservationId", "r-0000000000000001");
	json_add_int(entry, "TerminatedAt", (int64_t)time(NULL));
	ck_assert_int_eq(store_update(ctx.store, add_record, entry, NULL), 0);
	json_object_put(entry);
	json_object_put(d);

	ck_assert_int_eq(count_domains(), 1);
	ck_assert_str_eq(state_of(ids[0]), "terminated");
	ck_assert_int_eq(count_domains(), 0);
	ck_assert_int_eq(count_volumes(), 0);
}
END_TEST

/* The state folder as a text: each entry's path, type, inode, size, mode and change time (a
 * rewrite, even with the same content, is a new inode). */
static char *fingerprint_text;

static int fingerprint_entry(const char *path, const struct stat *st, int type, struct FTW *f)
{
	char *line = util_strdupf("%s%s %d %llu %lld %o %lld.%09ld\n", fingerprint_text, path, type,
				  (unsigned long long)st->st_ino, (long long)st->st_size,
				  (unsigned)st->st_mode, (long long)st->st_mtim.tv_sec,
				  st->st_mtim.tv_nsec);

	(void)f;
	free(fingerprint_text);
	fingerprint_text = line;
	return 0;
}

/* Everything a dry run must leave alone: the state folder's files, libvirt's domains (their
 * whole XML, metadata included) and volumes, and this process's reboot watches. */
static char *fingerprint(void)
{
	virDomainPtr *doms = NULL;
	int n = virConnectListAllDomains(ctx.conn, &doms, 0), i;
	char *all, *xml, *p;

	fingerprint_text = strdup("");
	ck_assert_int_eq(nftw(dir, fingerprint_entry, 16, FTW_PHYS), 0);
	for (i = 0; i < n; i++) {
		xml = virDomainGetXMLDesc(doms[i], 0);
		for (p = xml; *p; p++)
			*p = *p == '\n' ? ' ' : *p; /* one line each, for Check's message */
		all = util_strdupf("%s%s\n", fingerprint_text, xml);
		free(xml);
		free(fingerprint_text);
		fingerprint_text = all;
		virDomainFree(doms[i]);
	}
	free(doms);
	all = util_strdupf("%sdomains %d volumes %d watches %zu\n", fingerprint_text, count_domains(),
			   count_volumes(), ctx.nreboots);
	free(fingerprint_text);
	return all;
}

/* Calls an action with DryRun: it must fail with code and change nothing. */
static void dry(json_object *(*fn)(struct ec2_ctx *, json_object *, struct ec2_error *),
		json_object *req, const char *code)
{
	char *before = fingerprint(), *after;

	json_object_object_add(req, "DryRun", json_object_new_boolean(1));
	fails(fn, req, code);
	after = fingerprint();
	if (strcmp(before, after) != 0) {
		size_t k = 0;

		while (before[k] == after[k])
			k++;
		k = k > 200 ? k - 200 : 0; /* Check's messages are short: where they differ */
		ck_abort_msg("the dry run changed something: before \"%.400s\", after \"%.400s\"",
			     before + k, after + k);
	}
	free(before);
	free(after);
}

START_TEST(dry_run_changes_nothing)
{
	char ids[2][32], gone[1][32], *lock = util_strdupf("%s/launch.lock", dir), sg[32];
	json_object *r, *req;

	/* The default VPC and group come into being at the first read of them, as if they had
	 * always been there (EC2's are); a dry run is such a read. */
	r = ok(ec2_describe_security_groups, J("{}"));
	json_object_put(r);
	/* Before any launch: a dry run takes no lock, so not even the lock's file appears. */
	dry(ec2_run_instances, J("{\"ImageId\": \"%s\"}", ami), "DryRunOperation");
	ck_assert(!util_file_exists(lock));
	free(lock);
	ck_assert_int_eq(count_domains(), 0);

	r = run(2, ", \"ClientToken\": \"tok\"", ids);
	json_object_put(r);
	r = run(1, NULL, gone);
	json_object_put(r);
	r = ok(ec2_terminate_instances, J("{\"InstanceIds\": [\"%s\"]}", gone[0]));
	json_object_put(r);
	r = ok(ec2_stop_instances, J("{\"InstanceIds\": [\"%s\"]}", ids[1]));
	json_object_put(r);
	r = ok(ec2_create_security_group, J("{\"GroupName\": \"g\", \"Description\": \"d\"}"));
	snprintf(sg, sizeof(sg), "%s", str(r, "GroupId"));
	json_object_put(r);
	/* Settled: the stop is done, the next describes change nothing. */
	ck_assert_str_eq(state_of(ids[0]), "running");
	ck_assert_str_eq(state_of(ids[1]), "stopped");
	ck_assert_str_eq(state_of(gone[0]), "terminated");

	dry(ec2_run_instances, J("{\"ImageId\": \"%s\", \"InstanceType\": \"t2.nano\", \"MinCount\": 1, "
				 "\"MaxCount\": 3, \"SecurityGroupIds\": [\"%s\"]}", ami, sg),
	    "DryRunOperation");
	/* A retry of a launch (its ClientToken) would have succeeded too. */
	dry(ec2_run_instances, J("{\"ImageId\": \"%s\", \"ClientToken\": \"tok\"}", ami),
	    "DryRunOperation");
	dry(ec2_run_instances, J("{\"ImageId\": \"%s\", \"MinCount\": 40, \"MaxCount\": 40}", ami),
	    "InstanceLimitExceeded");
	dry(ec2_run_instances, J("{\"ImageId\": \"ami-0123456789abcdef0\"}"), "InvalidAMIID.NotFound");
	cfg.memory_overcommit = 1.0;
	dry(ec2_run_instances, J("{\"ImageId\": \"%s\", \"InstanceType\": \"r5.24xlarge\"}", ami),
	    "InsufficientInstanceCapacity");
	cfg.memory_overcommit = 100;

	dry(ec2_start_instances, J("{\"InstanceIds\": [\"%s\", \"%s\"]}", ids[0], ids[1]),
	    "DryRunOperation");
	dry(ec2_start_instances, J("{\"InstanceIds\": [\"%s\"]}", gone[0]), "IncorrectInstanceState");
	dry(ec2_stop_instances, J("{\"InstanceIds\": [\"%s\"]}", ids[0]), "DryRunOperation");
	dry(ec2_stop_instances, J("{\"InstanceIds\": [\"%s\"], \"Force\": true}", ids[0]),
	    "DryRunOperation");
	dry(ec2_stop_instances, J("{\"InstanceIds\": [\"%s\"]}", gone[0]), "IncorrectInstanceState");
	dry(ec2_reboot_instances, J("{\"InstanceIds\": [\"%s\"]}", ids[0]), "DryRunOperation");
	dry(ec2_reboot_instances, J("{\"InstanceIds\": [\"%s\"]}", ids[1]), "IncorrectInstanceState");
	dry(ec2_terminate_instances, J("{\"InstanceIds\": [\"%s\", \"%s\", \"%s\"]}", ids[0],
				       ids[1], gone[0]), "DryRunOperation");
	dry(ec2_terminate_instances, J("{\"InstanceIds\": [\"%s\", \"i-0123456789abcdef0\"]}", ids[0]),
	    "InvalidInstanceID.NotFound");
	dry(ec2_create_image, J("{\"InstanceId\": \"%s\", \"Name\": \"golden\"}", ids[0]),
	    "DryRunOperation");
	dry(ec2_create_image, J("{\"InstanceId\": \"%s\", \"Name\": \"test-ami\"}", ids[1]),
	    "InvalidAMIName.Duplicate");
	dry(ec2_copy_image, J("{\"SourceImageId\": \"%s\", \"Name\": \"copy\"}", ami), "DryRunOperation");
	dry(ec2_register_image, J("{\"Name\": \"again\", \"DiskPath\": \"%s/disk.raw\"}", dir),
	    "DryRunOperation");
	dry(ec2_register_image, J("{\"Name\": \"again\", \"DiskPath\": \"/nonexistent\"}"),
	    "InvalidParameterValue");
	dry(ec2_deregister_image, J("{\"ImageId\": \"%s\"}", ami), "DryRunOperation");
	dry(ec2_create_tags, J("{\"Resources\": [\"%s\", \"%s\", \"%s\"], \"Tags\": [{\"Key\": \"k\", "
			       "\"Value\": \"v\"}]}", ids[0], ami, sg), "DryRunOperation");
	dry(ec2_delete_tags, J("{\"Resources\": [\"%s\"]}", ids[0]), "DryRunOperation");
	dry(ec2_delete_security_group, J("{\"GroupId\": \"%s\"}", sg), "DryRunOperation");
	dry(ec2_create_key_pair, J("{\"KeyName\": \"k\", \"KeyType\": \"ed25519\"}"), "DryRunOperation");
	dry(ec2_delete_key_pair, J("{\"KeyName\": \"k\"}"), "DryRunOperation");
	/* Read-only actions, through the map the front ends use. */
	dry(ec2_action("DescribeInstances"), J("{}"), "DryRunOperation");
	dry(ec2_action("DescribeInstances"), J("{\"InstanceIds\": [\"i-0123456789abcdef0\"]}"),
	    "InvalidInstanceID.NotFound");
	dry(ec2_action("GetConsoleOutput"), J("{\"InstanceId\": \"%s\"}", ids[0]), "DryRunOperation");
	dry(ec2_action("DescribeImages"), J("{}"), "DryRunOperation");
	/* DryRun must be a boolean; false is an ordinary request. */
	req = J("{\"InstanceIds\": [\"%s\"], \"DryRun\": \"maybe\"}", ids[0]);
	fails(ec2_terminate_instances, req, "InvalidParameterValue");
	fails(ec2_action("DescribeInstances"), J("{\"DryRun\": \"maybe\"}"), "InvalidParameterValue");
	r = ok(ec2_action("DescribeInstances"), J("{\"DryRun\": \"false\"}"));
	json_object_put(r);
	ck_assert_str_eq(state_of(ids[0]), "running");
	ck_assert_str_eq(state_of(ids[1]), "stopped");
	r = ok(ec2_terminate_instances, J("{\"InstanceIds\": [\"%s\", \"%s\"], \"DryRun\": false}",
					  ids[0], ids[1]));
	json_object_put(r);
	ck_assert_int_eq(count_domains(), 0);
}
END_TEST

/* A launch of MinCount 2 that died with one instance defined is undone whole, as a failed
 * RunInstances leaves nothing; a damaged journal's entries name nothing of anybody's. */
START_TEST(dead_launcher_below_min_count_is_undone)
{
	char ids[1][32];
	const char *never = "i-0000000000000000d";
	json_object *r = run(1, NULL, ids), *list, *e;
	virDomainPtr dom;
	char *folder = util_strdupf("%s/%s", ctx.instances_dir, never);

	json_object_put(r);
	dom = virDomainLookupByName(ctx.conn, ids[0]);
	ck_assert_int_eq(virDomainDestroy(dom), 0);
	virDomainFree(dom);
	make_volume_and_folder(never);
	list = journal_entries(2, ids[0], never);
	dead_journal("r-00000000000000b2", list, 2);
	json_object_put(list);
	ck_assert_int_ge(ec2_reconcile(&ctx, NULL, false, NULL), 0);
	ck_assert_int_eq(count_domains(), 0);
	ck_assert_int_eq(count_volumes(), 0);
	ck_assert(!util_file_exists(folder));
	free(folder);

	/* Entries without a valid id, or with another volume than the id's, are passed over. */
	r = run(1, NULL, ids);
	json_object_put(r);
	list = json_object_new_array();
	e = json_object_new_object();
	json_add_str(e, "InstanceId", "");
	json_add_str(e, "Volume", "");
	json_object_array_add(list, e);
	e = json_object_new_object();
	json_add_str(e, "InstanceId", "i-0000000000000000e");
	json_add_str(e, "Volume", "ami-0000000000000000f.qcow2");
	json_object_array_add(list, e);
	dead_journal("r-00000000000000b3", list, 1);
	json_object_put(list);
	ck_assert_int_ge(ec2_reconcile(&ctx, NULL, false, NULL), 0);
	ck_assert_str_eq(state_of(ids[0]), "running");
	ck_assert_int_eq(count_volumes(), 1);
	folder = util_strdupf("%s/%s", ctx.instances_dir, ids[0]);
	ck_assert(util_file_exists(folder));
	free(folder);
	r = ok(ec2_terminate_instances, J("{\"InstanceIds\": [\"%s\"]}", ids[0]));
	json_object_put(r);
}
END_TEST

/* While a launch or start that lists it is at work (its journal's lock held), a shut-off domain
 * without a reason is one that is about to start, not a guest that shut itself down: it is not
 * terminated (its shutdown behaviour) nor given a reason; once the launch ends, the next pass
 * decides. */
START_TEST(stopped_domain_during_a_launch_is_left_alone)
{
	char ids[1][32];
	json_object *r = run(1, ", \"InstanceInitiatedShutdownBehavior\": \"terminate\"", ids);
	json_object *fields = J("{\"Start\": true, \"Instances\": [{\"InstanceId\": \"%s\", "
				"\"MemoryMiB\": 512}]}", ids[0]);
	struct journal starting;
	virDomainPtr dom;

	json_object_put(r);
	dom = virDomainLookupByName(ctx.conn, ids[0]);
	ck_assert_int_eq(virDomainDestroy(dom), 0);
	virDomainFree(dom);
	ck_assert_int_eq(journal_begin_with(cfg.state_dir, "r-00000000000000c1", fields, &starting,
					    NULL), 0);
	json_object_put(fields);
	ck_assert_int_ge(ec2_reconcile(&ctx, NULL, false, NULL), 0);
	ck_assert_int_eq(count_domains(), 1);
	journal_end(&starting);
	ck_assert_str_eq(state_of(ids[0]), "terminated");
	ck_assert_int_eq(count_domains(), 0);
}
END_TEST

/* One launch of a t2.nano in a child process with a connection of its own (the test driver's
 * domains are per connection, so the children share only the state folder: the launch lock and
 * the journals, which is what keeps parallel launches within capacity). It says it is ready on
 * ready_fd, waits until go_fd closes, and exits 0 launched, 2 refused for capacity, 1 otherwise. */
static void parallel_launcher(int ready_fd, int go_fd)
{
	struct ec2_ctx c;
	struct ec2_error err = { 0 };
	json_object *resp;
	char b = 'r';
	int rc;

	if (ec2_ctx_open(&c, &cfg, 0, &err) < 0)
		_exit(1);
	if (write(ready_fd, &b, 1) != 1 || read(go_fd, &b, 1) != 0)
		_exit(1);
	c.test.launch_hold_ms = 1500; /* the others decide while this one is under way */
	resp = ec2_run_instances(&c, J("{\"ImageId\": \"%s\", \"InstanceType\": \"t2.nano\"}", ami),
				 &err);
	rc = resp ? 0 : strcmp(err.code, "InsufficientInstanceCapacity") == 0 ? 2 : 1;
	json_object_put(resp);
	ec2_ctx_close(&c);
	_exit(rc);
}

/* The journals (.json) in the launches folder now. */
static int count_journals(void)
{
	char *path = util_strdupf("%s/launches", cfg.state_dir);
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)))
		n += strstr(e->d_name, ".json") != NULL;
	if (d)
		closedir(d);
	free(path);
	return n;
}

/* Starts k parallel launchers when the host has room for exactly room t2.nano more; returns how
 * many launched, *refused how many were refused for capacity, *most the most launches seen under
 * way at once. */
static int parallel_launches(int k, int room, int *refused, int *most)
{
	const struct instance_type *t = type_lookup(ctx.types, "t2.nano", NULL);
	virNodeMemoryStatsPtr stats = NULL;
	virNodeInfo node;
	virDomainPtr *doms = NULL;
	unsigned long long host_kib = 0;
	long used_mib = 0;
	int ready[2], go[2], n, i, launched = 0;
	pid_t pids[16];
	char b;

	ck_assert_ptr_nonnull(t);
	ck_assert_int_le(k, 16);
	/* The host's memory as capacity() reads it, and what the test driver's own domain holds. */
	n = 0;
	if (virNodeGetMemoryStats(ctx.conn, VIR_NODE_MEMORY_STATS_ALL_CELLS, NULL, &n, 0) == 0 &&
	    n > 0) {
		stats = calloc((size_t)n, sizeof(*stats));
		if (virNodeGetMemoryStats(ctx.conn, VIR_NODE_MEMORY_STATS_ALL_CELLS, stats, &n, 0) == 0)
			for (i = 0; i < n; i++)
				if (strcmp(stats[i].field, VIR_NODE_MEMORY_STATS_TOTAL) == 0)
					host_kib = stats[i].value;
		free(stats);
	}
	if (host_kib == 0 && virNodeGetInfo(ctx.conn, &node) == 0)
		host_kib = node.memory;
	ck_assert(host_kib > 0);
	n = virConnectListAllDomains(ctx.conn, &doms, VIR_CONNECT_LIST_DOMAINS_ACTIVE);
	for (i = 0; i < n; i++) {
		used_mib += (long)(virDomainGetMaxMemory(doms[i]) / 1024);
		virDomainFree(doms[i]);
	}
	free(doms);
	cfg.memory_overcommit = (double)(used_mib + room * t->memory_mib + t->memory_mib / 2) /
				(double)(host_kib / 1024);

	ck_assert_int_eq(pipe(ready), 0);
	ck_assert_int_eq(pipe(go), 0);
	for (i = 0; i < k; i++) {
		pids[i] = fork();
		ck_assert_int_ge(pids[i], 0);
		if (pids[i] == 0) {
			close(ready[0]);
			close(go[1]);
			parallel_launcher(ready[1], go[0]);
		}
	}
	close(ready[1]);
	close(go[0]);
	for (i = 0; i < k; i++)
		ck_assert_int_eq(read(ready[0], &b, 1), 1);
	close(ready[0]);
	close(go[1]); /* all at once */
	*most = 0;
	*refused = 0;
	for (i = 0; i < 400; i++) { /* up to 4 s: each launch is held 1.5 s */
		n = count_journals();
		if (n > *most)
			*most = n;
		util_sleep_ms(10);
	}
	for (i = 0; i < k; i++) {
		int status;

		ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
		ck_assert(WIFEXITED(status));
		ck_assert_int_ne(WEXITSTATUS(status), 1);
		launched += WEXITSTATUS(status) == 0;
		*refused += WEXITSTATUS(status) == 2;
	}
	cfg.memory_overcommit = 100;
	ck_assert_int_eq(count_journals(), 0);
	return launched;
}

/* Parallel launches decide one at a time (the launch lock) but make and start their instances
 * side by side, and the reservations of those under way count: never more than fit, all when
 * there is room. */
START_TEST(parallel_launches_keep_within_capacity)
{
	int refused, most;

	ck_assert_int_eq(parallel_launches(5, 3, &refused, &most), 3);
	ck_assert_int_eq(refused, 2);
	ck_assert_int_eq(most, 3); /* the three ran at once */
	ck_assert_int_eq(parallel_launches(4, 4, &refused, &most), 4);
	ck_assert_int_eq(refused, 0);
	ck_assert_int_ge(most, 2);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("lifecycle");
	TCase *tc = tcase_create("test-driver");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, run_describe_terminate);
	tcase_add_test(tc, stop_start_and_state_errors);
	tcase_add_test(tc, reboot_several_in_one_call);
	tcase_add_test(tc, image_worker_death_is_seen_at_once);
	tcase_add_test(tc, util_run_children_die_with_their_parent);
	tcase_add_test(tc, store_write_failure_fails_the_action);
	tcase_add_test(tc, stale_pools_are_found_and_removed);
	tcase_add_test(tc, start_failures_out_of_memory_are_capacity);
	tcase_add_test(tc, hibernate_and_resume);
	tcase_add_test(tc, guest_initiated_shutdown);
	tcase_add_test(tc, failed_launch_leaves_nothing);
	tcase_add_test(tc, bad_requests_change_nothing);
	tcase_add_test(tc, insufficient_capacity);
	tcase_add_test(tc, parallel_launches_keep_within_capacity);
	tcase_add_test(tc, client_token_is_idempotent);
	tcase_add_test(tc, filters_select_instances);
	tcase_add_test(tc, deregister_keeps_running_instances);
	tcase_add_test(tc, security_group_and_key_pair);
	tcase_add_test(tc, instance_status);
	tcase_add_test(tc, dead_launcher_is_finished_or_undone);
	tcase_add_test(tc, interrupted_terminate_is_finished);
	tcase_add_test(tc, dead_launcher_below_min_count_is_undone);
	tcase_add_test(tc, dead_launcher_waits_for_libvirt);
	tcase_add_test(tc, stopped_domain_during_a_launch_is_left_alone);
	tcase_add_test(tc, dry_run_changes_nothing);
	suite_add_tcase(s, tc);
	return test_run(s) ? 1 : 0;
}
