/* The instance store on libvirt's test:///default driver: its disks, sparse files in the
 * instance's folder, made at launch, kept through a reboot, made empty at every start from stopped
 * or hibernated, gone at terminate and after a failed launch; the capacity check of their size;
 * the disks in the domain XML. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ec2lite/ec2.h"
#include "ec2lite/filter.h"
#include "ec2lite/util.h"
#include "testutil.h"

static struct ec2_config cfg;
static struct ec2_ctx ctx;
static char *dir;
static char ami[32];

#define GB 1000000000LL

static json_object *ok(json_object *(*fn)(struct ec2_ctx *, json_object *, struct ec2_error *),
		       json_object *req)
{
	struct ec2_error err = { 0 };
	json_object *resp = fn(&ctx, req, &err);

	ck_assert_msg(resp != NULL, "%s: %s", err.code, err.message);
	json_object_put(req);
	return resp;
}

static void setup(void)
{
	dir = test_driver_open(&cfg, &ctx, EC2_CTX_EVENTS, "test-ami", ami);
	/* The checks of the disks' size see a petabyte free unless a test says otherwise, so
	 * that they do not depend on this host's disk. */
	ctx.test.store_free_bytes = 1000000 * GB;
}

static void teardown(void)
{
	test_driver_close(&cfg, &ctx, &dir);
}

/* Launches count (MinCount = MaxCount) instances of type, their ids into ids; returns how many. */
static int run(const char *type, int min, int max, char ids[][32])
{
	json_object *r = ok(ec2_run_instances,
			    J("{\"ImageId\": \"%s\", \"InstanceType\": \"%s\", \"MinCount\": %d, "
			      "\"MaxCount\": %d, \"HibernationOptions\": {\"Configured\": true}}", ami,
			      type, min, max)), *list;
	int i, n;

	ck_assert(json_object_object_get_ex(r, "Instances", &list));
	n = (int)json_object_array_length(list);
	for (i = 0; ids && i < n; i++)
		snprintf(ids[i], 32, "%s", json_object_get_string(json_path(
				 json_object_array_get_idx(list, i), "InstanceId")));
	json_object_put(r);
	return n;
}

static void action(json_object *(*fn)(struct ec2_ctx *, json_object *, struct ec2_error *),
		   const char *id, const char *extra)
{
	json_object_put(ok(fn, J("{\"InstanceIds\": [\"%s\"]%s}", id, extra ? extra : "")));
}

static char *disk(const char *id, int n)
{
	return util_strdupf("%s/instances/%s/ephemeral%d.img", dir, id, n);
}

/* The size of instance id's disk n, or -1 when it is not there. */
static long long disk_size(const char *id, int n)
{
	char *path = disk(id, n);
	struct stat st;
	long long size = stat(path, &st) == 0 ? (long long)st.st_size : -1;

	free(path);
	return size;
}

/* Writes a marker into disk n of id, as a guest would. */
static void write_marker(const char *id, int n, const char *marker)
{
	char *path = disk(id, n);
	FILE *f = fopen(path, "r+");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fseek(f, 4096, SEEK_SET), 0);
	ck_assert_int_eq(fputs(marker, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
	free(path);
}

/* Whether disk n of id holds marker where write_marker put it. */
static int has_marker(const char *id, int n, const char *marker)
{
	char *path = disk(id, n), buf[64] = { 0 };
	FILE *f = fopen(path, "r");
	size_t got;

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fseek(f, 4096, SEEK_SET), 0);
	got = fread(buf, 1, strlen(marker), f);
	fclose(f);
	free(path);
	return got == strlen(marker) && memcmp(buf, marker, got) == 0;
}

static char *domain_xml(const char *id)
{
	virDomainPtr dom = virDomainLookupByName(ctx.conn, id);
	char *xml;

	ck_assert_ptr_nonnull(dom);
	xml = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE);
	virDomainFree(dom);
	ck_assert_ptr_nonnull(xml);
	return xml;
}

static int folder_exists(const char *id)
{
	char *path = util_strdupf("%s/instances/%s", dir, id);
	int e = access(path, F_OK) == 0;

	free(path);
	return e;
}

/* A launch makes each disk a sparse file of its full size (AWS's GB), given to the guest as a raw
 * virtio disk with the instance-store serial. */
START_TEST(launch_makes_sparse_disks)
{
	char ids[1][32], *path, *xml;
	struct stat st;

	ck_assert_int_eq(run("m5d.4xlarge", 1, 1, ids), 1);
	ck_assert_int_eq(disk_size(ids[0], 0), 300 * GB);
	ck_assert_int_eq(disk_size(ids[0], 1), 300 * GB);
	ck_assert_int_eq(disk_size(ids[0], 2), -1);
	path = disk(ids[0], 1);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_lt((long long)st.st_blocks * 512, 1 << 20); /* sparse: nothing allocated */
	xml = domain_xml(ids[0]);
	ck_assert_ptr_nonnull(strstr(xml, path));
	ck_assert_ptr_nonnull(strstr(xml, "<serial>AWS-INSTANCE-STORE-0</serial>"));
	ck_assert_ptr_nonnull(strstr(xml, "<serial>AWS-INSTANCE-STORE-1</serial>"));
	ck_assert_ptr_nonnull(strstr(xml, "<target dev='vdt' bus='virtio'/>"));
	free(xml);
	free(path);
	action(ec2_terminate_instances, ids[0], NULL);
}
END_TEST

/* An EBS-only type has none. */
START_TEST(ebs_only_type_has_none)
{
	char ids[1][32], *xml;

	ck_assert_int_eq(run("m5.large", 1, 1, ids), 1);
	ck_assert_int_eq(disk_size(ids[0], 0), -1);
	xml = domain_xml(ids[0]);
	ck_assert_ptr_null(strstr(xml, "AWS-INSTANCE-STORE"));
	free(xml);
	action(ec2_terminate_instances, ids[0], NULL);
}
END_TEST

/* EC2's lifecycle of the data: a reboot keeps it, a stop and start or a hibernation and start
 * lose it (an empty disk of the same size), a terminate takes the disks. */
START_TEST(data_survives_reboot_not_stop)
{
	char ids[1][32];

	ck_assert_int_eq(run("c5d.large", 1, 1, ids), 1);
	ck_assert_int_eq(disk_size(ids[0], 0), 50 * GB);
	write_marker(ids[0], 0, "boot-1");
	action(ec2_reboot_instances, ids[0], NULL);
	ck_assert(has_marker(ids[0], 0, "boot-1"));

	action(ec2_stop_instances, ids[0], ", \"Force\": true");
	/* Stopped, the disks are still there (the domain names them) until the start. */
	ck_assert_int_eq(disk_size(ids[0], 0), 50 * GB);
	action(ec2_start_instances, ids[0], NULL);
	ck_assert(!has_marker(ids[0], 0, "boot-1"));
	ck_assert_int_eq(disk_size(ids[0], 0), 50 * GB);

	write_marker(ids[0], 0, "boot-2");
	action(ec2_stop_instances, ids[0], ", \"Hibernate\": true");
	action(ec2_start_instances, ids[0], NULL);
	ck_assert(!has_marker(ids[0], 0, "boot-2"));
	ck_assert_int_eq(disk_size(ids[0], 0), 50 * GB);

	action(ec2_terminate_instances, ids[0], NULL);
	ck_assert_int_eq(disk_size(ids[0], 0), -1);
	ck_assert(!folder_exists(ids[0]));
}
END_TEST

/* A type changed while stopped keeps the domain's disks (ModifyInstanceAttribute changes vCPUs
 * and memory): their data is lost at the start all the same, even to an EBS-only type. */
START_TEST(type_change_loses_data_too)
{
	char ids[1][32];

	ck_assert_int_eq(run("c5d.large", 1, 1, ids), 1);
	write_marker(ids[0], 0, "before");
	action(ec2_stop_instances, ids[0], ", \"Force\": true");
	json_object_put(ok(ec2_modify_instance_attribute,
			   J("{\"InstanceId\": \"%s\", \"InstanceType\": {\"Value\": \"c5.large\"}}",
			     ids[0])));
	action(ec2_start_instances, ids[0], NULL);
	ck_assert_int_eq(disk_size(ids[0], 0), 50 * GB);
	ck_assert(!has_marker(ids[0], 0, "before"));
	action(ec2_terminate_instances, ids[0], NULL);
}
END_TEST

/* How many instance folders there are (each holds its instance's disks). */
static int count_folders(void)
{
	char *instances = util_strdupf("%s/instances", dir);
	DIR *d = opendir(instances);
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)))
		n += strncmp(e->d_name, "i-", 2) == 0;
	if (d)
		closedir(d);
	free(instances);
	return n;
}

/* A launch that fails leaves no disk of any of its instances behind. */
START_TEST(failed_launch_leaves_no_disk)
{
	struct ec2_error err = { 0 };
	json_object *req = J("{\"ImageId\": \"%s\", \"InstanceType\": \"c5d.large\", \"MinCount\": 3, "
			     "\"MaxCount\": 3}", ami);

	ctx.test.fail_launch_index = 2;
	ck_assert_ptr_null(ec2_run_instances(&ctx, req, &err));
	ck_assert_str_eq(err.message, "injected launch failure");
	json_object_put(req);
	ctx.test.fail_launch_index = -1;
	ck_assert_int_eq(count_folders(), 0);
}
END_TEST

/* The disks' full size must fit in the free space, counting what the disks already there may
 * still take: too little for MinCount refuses with InsufficientInstanceCapacity and makes
 * nothing; MinCount..MaxCount launches as many as fit. */
START_TEST(capacity_counts_full_size)
{
	struct ec2_error err = { 0 };
	json_object *req;
	char ids[3][32];

	ctx.test.store_free_bytes = 120 * GB; /* two c5d.large (50 GB each) */
	req = J("{\"ImageId\": \"%s\", \"InstanceType\": \"c5d.large\", \"MinCount\": 3, "
		"\"MaxCount\": 3}", ami);
	ck_assert_ptr_null(ec2_run_instances(&ctx, req, &err));
	json_object_put(req);
	ck_assert_str_eq(err.code, "InsufficientInstanceCapacity");
	ck_assert_ptr_nonnull(strstr(err.message, "c5d.large"));
	ck_assert_ptr_nonnull(strstr(err.message, "50 GB"));
	ck_assert_int_eq(count_folders(), 0);
	ck_assert_int_eq(run("c5d.large", 1, 3, ids), 2);
	/* The two disks hold nothing yet, but they may: no room is left for a third. */
	req = J("{\"ImageId\": \"%s\", \"InstanceType\": \"c5d.large\"}", ami);
	ck_assert_ptr_null(ec2_run_instances(&ctx, req, &err));
	json_object_put(req);
	ck_assert_str_eq(err.code, "InsufficientInstanceCapacity");
	/* EBS-only types need no room for it. */
	ck_assert_int_eq(run("t3.micro", 1, 1, ids + 2), 1);
	json_object_put(ok(ec2_terminate_instances, J("{\"InstanceIds\": [\"%s\", \"%s\", \"%s\"]}",
						      ids[0], ids[1], ids[2])));
	ck_assert_int_eq(run("c5d.large", 1, 1, ids), 1);
	action(ec2_terminate_instances, ids[0], NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ephemeral");
	TCase *tc = tcase_create("instance store");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, launch_makes_sparse_disks);
	tcase_add_test(tc, ebs_only_type_has_none);
	tcase_add_test(tc, data_survives_reboot_not_stop);
	tcase_add_test(tc, type_change_loses_data_too);
	tcase_add_test(tc, failed_launch_leaves_no_disk);
	tcase_add_test(tc, capacity_counts_full_size);
	suite_add_tcase(s, tc);
	return test_run(s) ? EXIT_FAILURE : EXIT_SUCCESS;
}
