/* The instance lifecycle library, in-process against libvirt's test:///default driver: every
 * EC2 action, its responses and its errors, with no VM. (The test driver starts empty on every
 * connection, so each test opens its own context.) */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ec2lite/ec2.h"
#include "ec2lite/ids.h"
#include "ec2lite/secgroup.h"
#include "ec2lite/filter.h"
#include "ec2lite/util.h"
#include "testutil.h"

static struct ec2_config cfg;
static struct ec2_ctx ctx;
static char *dir;
static char ami[32];

static json_object *J(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static json_object *J(const char *fmt, ...)
{
	va_list ap;
	char *s;
	json_object *o;

	va_start(ap, fmt);
	ck_assert_int_ge(vasprintf(&s, fmt, ap), 0);
	va_end(ap);
	o = json_tokener_parse(s);
	ck_assert_msg(o != NULL, "bad test JSON: %s", s);
	free(s);
	return o;
}

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
	struct ec2_error err = { 0 };
	char *disk;
	FILE *f;
	json_object *r;
	int i;

	dir = test_tmpdir();
	ck_assert_int_eq(ec2_config_load(&cfg, dir, &err), 0);
	ec2_config_set(&cfg.connect_uri, "test:///default");
	ec2_config_set(&cfg.data_dir, test_repo_dir());
	cfg.memory_overcommit = 100; /* the test driver's host is small; capacity has its own test */
	ck_assert_msg(ec2_ctx_open(&ctx, &cfg, EC2_CTX_EVENTS, &err) == 0, "%s", err.message);
	disk = util_strdupf("%s/disk.raw", dir);
	f = fopen(disk, "w");
	for (i = 0; i < 4096; i++)
		fputs("ec2-lite test disk ", f);
	fclose(f);
	r = ok(ec2_register_image, J("{\"Name\": \"test-ami\", \"DiskPath\": \"%s\"}", disk));
	snprintf(ami, sizeof(ami), "%s", str(r, "ImageId"));
	json_object_put(r);
	free(disk);
	ec2_test_fail_launch_index = -1;
}

static void teardown(void)
{
	ec2_ctx_close(&ctx);
	ec2_config_clear(&cfg);
	test_rmdir(dir);
	dir = NULL;
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
		ck_assert(ec2_id_valid("i", ids[i]));
		ck_assert_int_eq(json_object_get_int(json_path(json_object_array_get_idx(
					instances_of(r), (size_t)i), "AmiLaunchIndex")), i);
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

	ec2_test_fail_launch_index = 2;
	ck_assert_ptr_null(ec2_run_instances(&ctx, req, &err));
	ck_assert_str_eq(err.message, "injected launch failure");
	json_object_put(req);
	ec2_test_fail_launch_index = -1;
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

int main(void)
{
	Suite *s = suite_create("lifecycle");
	TCase *tc = tcase_create("test-driver");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, run_describe_terminate);
	tcase_add_test(tc, stop_start_and_state_errors);
	tcase_add_test(tc, hibernate_and_resume);
	tcase_add_test(tc, guest_initiated_shutdown);
	tcase_add_test(tc, failed_launch_leaves_nothing);
	tcase_add_test(tc, bad_requests_change_nothing);
	tcase_add_test(tc, insufficient_capacity);
	tcase_add_test(tc, client_token_is_idempotent);
	tcase_add_test(tc, filters_select_instances);
	tcase_add_test(tc, deregister_keeps_running_instances);
	tcase_add_test(tc, security_group_and_key_pair);
	tcase_add_test(tc, instance_status);
	suite_add_tcase(s, tc);
	return test_run(s) ? 1 : 0;
}
