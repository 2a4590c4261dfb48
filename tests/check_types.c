/* types: the instance-type table and DescribeInstanceTypes. */
#include <string.h>

#include "ec2lite/filter.h"
#include "ec2lite/types.h"
#include "testutil.h"

static struct type_table *table;

static void setup(void)
{
	struct ec2_error err = { 0 };

	table = type_table_load(test_repo_dir(), &err);
	ck_assert_msg(table != NULL, "%s", err.message);
}

static void teardown(void)
{
	type_table_free(table);
}

/* AWS's published figures. */
static const struct {
	const char *name;
	int vcpus;
	long mib;
	const char *category;
} figures[] = {
	{ "t2.nano", 1, 512, "General purpose" },
	{ "t2.micro", 1, 1024, "General purpose" },
	{ "t2.2xlarge", 8, 32768, "General purpose" },
	{ "t3.nano", 2, 512, "General purpose" },
	{ "t3.micro", 2, 1024, "General purpose" },
	{ "m5.large", 2, 8192, "General purpose" },
	{ "m5.24xlarge", 96, 393216, "General purpose" },
	{ "m5.metal", 96, 393216, "General purpose" },
	{ "c5.large", 2, 4096, "Compute optimized" },
	{ "c5.9xlarge", 36, 73728, "Compute optimized" },
	{ "c5.18xlarge", 72, 147456, "Compute optimized" },
	{ "r5.large", 2, 16384, "Memory optimized" },
	{ "r5.24xlarge", 96, 786432, "Memory optimized" },
	{ "m5d.large", 2, 8192, "General purpose" },
	{ "m5d.4xlarge", 16, 65536, "General purpose" },
	{ "c5d.large", 2, 4096, "Compute optimized" },
	{ "c5d.4xlarge", 16, 32768, "Compute optimized" },
	{ "r5d.large", 2, 16384, "Memory optimized" },
	{ "r5d.4xlarge", 16, 131072, "Memory optimized" },
	{ "i3.large", 2, 15616, "Storage optimized" },
	{ "i3.xlarge", 4, 31232, "Storage optimized" },
	{ "i3.2xlarge", 8, 62464, "Storage optimized" },
};

/* AWS's published instance storage: count x GB of NVMe SSD. */
static const struct {
	const char *name;
	int count;
	long gb;
} storage[] = {
	{ "m5d.large", 1, 75 },    { "m5d.xlarge", 1, 150 },  { "m5d.2xlarge", 1, 300 },
	{ "m5d.4xlarge", 2, 300 }, { "c5d.large", 1, 50 },    { "c5d.xlarge", 1, 100 },
	{ "c5d.2xlarge", 1, 200 }, { "c5d.4xlarge", 1, 400 }, { "r5d.large", 1, 75 },
	{ "r5d.xlarge", 1, 150 },  { "r5d.2xlarge", 1, 300 }, { "r5d.4xlarge", 2, 300 },
	{ "i3.large", 1, 475 },    { "i3.xlarge", 1, 950 },   { "i3.2xlarge", 1, 1900 },
};

START_TEST(aws_figures)
{
	const struct instance_type *t = type_lookup(table, figures[_i].name, NULL);

	ck_assert_msg(t != NULL, "%s missing", figures[_i].name);
	ck_assert_int_eq(t->vcpus, figures[_i].vcpus);
	ck_assert_int_eq(t->memory_mib, figures[_i].mib);
	ck_assert_str_eq(t->category, figures[_i].category);
}
END_TEST

START_TEST(every_family_size)
{
	static const char *const families[] = { "t2", "t3", "m5", "c5", "r5", "m5d", "c5d", "r5d",
						"i3" };
	static const int sizes[] = { 7, 7, 9, 9, 9, 8, 8, 8, 6 };
	size_t f;
	int i, n;

	for (f = 0; f < sizeof(sizes) / sizeof(sizes[0]); f++) {
		for (i = 0, n = 0; i < table->count; i++)
			n += strcmp(table->types[i].family, families[f]) == 0;
		ck_assert_int_eq(n, sizes[f]);
	}
}
END_TEST

START_TEST(unknown_type_is_ec2_error)
{
	struct ec2_error err = { 0 };

	ck_assert_ptr_null(type_lookup(table, "t2.gigantic", &err));
	ck_assert_str_eq(err.code, "InvalidParameterValue");
	ck_assert_str_eq(err.message, "Invalid value 't2.gigantic' for InstanceType.");
}
END_TEST

START_TEST(describe_shape)
{
	json_object *o = type_describe(type_lookup(table, "t3.micro", NULL));

	ck_assert_str_eq(json_object_get_string(json_path(o, "InstanceType")), "t3.micro");
	ck_assert_int_eq(json_object_get_int(json_path(o, "VCpuInfo.DefaultVCpus")), 2);
	ck_assert_int_eq(json_object_get_int(json_path(o, "VCpuInfo.DefaultCores")), 1);
	ck_assert_int_eq(json_object_get_int(json_path(o, "VCpuInfo.DefaultThreadsPerCore")), 2);
	ck_assert_int_eq(json_object_get_int(json_path(o, "MemoryInfo.SizeInMiB")), 1024);
	ck_assert_str_eq(json_object_get_string(json_path(o, "Hypervisor")), "nitro");
	ck_assert(json_object_get_boolean(json_path(o, "BurstablePerformanceSupported")));
	json_object_put(o);
}
END_TEST

START_TEST(instance_storage_figures)
{
	const struct instance_type *t = type_lookup(table, storage[_i].name, NULL);
	json_object *o, *disk;

	ck_assert_msg(t != NULL, "%s missing", storage[_i].name);
	o = type_describe(t);
	ck_assert(json_object_get_boolean(json_path(o, "InstanceStorageSupported")));
	ck_assert_int_eq(json_object_get_int64(json_path(o, "InstanceStorageInfo.TotalSizeInGB")),
			 storage[_i].count * storage[_i].gb);
	disk = json_object_array_get_idx(json_path(o, "InstanceStorageInfo.Disks"), 0);
	ck_assert_int_eq(json_object_get_int64(json_path(disk, "SizeInGB")), storage[_i].gb);
	ck_assert_int_eq(json_object_get_int(json_path(disk, "Count")), storage[_i].count);
	ck_assert_str_eq(json_object_get_string(json_path(disk, "Type")), "ssd");
	ck_assert_str_eq(json_object_get_string(json_path(o, "InstanceStorageInfo.NvmeSupport")),
			 "required");
	ck_assert_str_eq(json_object_get_string(json_path(o, "InstanceStorageInfo.EncryptionSupport")),
			 "required");
	ck_assert(!json_object_get_boolean(json_path(o, "AutoRecoverySupported")));
	json_object_put(o);
}
END_TEST

/* The members in the order the aws CLI prints them (botocore's InstanceTypeInfo and
 * InstanceStorageInfo shapes); an EBS-only type has no InstanceStorageInfo at all. */
START_TEST(instance_storage_shape)
{
	json_object *o = type_describe(type_lookup(table, "i3.large", NULL));
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);

	ck_assert_ptr_nonnull(strstr(text, "\"MemoryInfo\":{\"SizeInMiB\":15616},"
				     "\"InstanceStorageSupported\":true,\"InstanceStorageInfo\":"
				     "{\"TotalSizeInGB\":475,\"Disks\":[{\"SizeInGB\":475,\"Count\":1,"
				     "\"Type\":\"ssd\"}],\"NvmeSupport\":\"required\","
				     "\"EncryptionSupport\":\"required\"},\"EbsInfo\":"));
	/* i3 is a Xen type: EBS without NVMe, ENA supported rather than required. */
	ck_assert_str_eq(json_object_get_string(json_path(o, "Hypervisor")), "xen");
	ck_assert_str_eq(json_object_get_string(json_path(o, "EbsInfo.NvmeSupport")), "unsupported");
	ck_assert_str_eq(json_object_get_string(json_path(o, "NetworkInfo.EnaSupport")), "supported");
	json_object_put(o);
	o = type_describe(type_lookup(table, "m5.large", NULL));
	ck_assert(!json_object_get_boolean(json_path(o, "InstanceStorageSupported")));
	ck_assert_ptr_null(json_path(o, "InstanceStorageInfo"));
	ck_assert(json_object_get_boolean(json_path(o, "AutoRecoverySupported")));
	json_object_put(o);
}
END_TEST

static int count_for(const char *request)
{
	json_object *req = json_tokener_parse(request), *resp, *list;
	struct ec2_error err = { 0 };
	int n;

	resp = type_describe_many(table, req, &err);
	ck_assert_msg(resp != NULL, "%s: %s", request, err.message);
	json_object_object_get_ex(resp, "InstanceTypes", &list);
	n = (int)json_object_array_length(list);
	json_object_put(resp);
	json_object_put(req);
	return n;
}

START_TEST(describe_filters)
{
	ck_assert_int_eq(count_for("{}"), 71);
	ck_assert_int_eq(count_for("{\"InstanceTypes\": [\"t2.micro\", \"c5.large\"]}"), 2);
	ck_assert_int_eq(count_for("{\"Filters\": [{\"Name\": \"instance-type\", \"Values\": [\"t2.*\"]}]}"), 7);
	ck_assert_int_eq(count_for("{\"Filters\": [{\"Name\": \"vcpu-info.default-vcpus\", \"Values\": [\"2\"]}, "
				   "{\"Name\": \"memory-info.size-in-mib\", \"Values\": [\"4096\", \"8192\"]}]}"),
			 8); /* t2.medium t3.medium t2.large t3.large m5.large c5.large m5d.large
			      * c5d.large */
	ck_assert_int_eq(count_for("{\"Filters\": [{\"Name\": \"bare-metal\", \"Values\": [\"true\"]}]}"), 3);
	ck_assert_int_eq(count_for("{\"Filters\": [{\"Name\": \"processor-info.supported-architecture\", "
				   "\"Values\": [\"x86_64\"]}]}"), 71);
}
END_TEST

#define F(name, value) "{\"Filters\": [{\"Name\": \"" name "\", \"Values\": [\"" value "\"]}]}"

START_TEST(instance_storage_filters)
{
	ck_assert_int_eq(count_for(F("instance-storage-supported", "true")), 30);
	ck_assert_int_eq(count_for(F("instance-storage-supported", "false")), 41);
	ck_assert_int_eq(count_for(F("instance-storage-info.disk.type", "ssd")), 30);
	ck_assert_int_eq(count_for(F("instance-storage-info.disk.type", "hdd")), 0);
	/* m5d.4xlarge..12xlarge, r5d.4xlarge..12xlarge, c5d.12xlarge, c5d.18xlarge, i3.4xlarge */
	ck_assert_int_eq(count_for(F("instance-storage-info.disk.count", "2")), 9);
	ck_assert_int_eq(count_for(F("instance-storage-info.disk.size-in-gb", "75")), 2);
	ck_assert_int_eq(count_for(F("instance-storage-info.total-size-in-gb", "600")), 2);
	ck_assert_int_eq(count_for(F("instance-storage-info.nvme-support", "required")), 30);
	ck_assert_int_eq(count_for(F("instance-storage-info.encryption-support", "required")), 30);
	ck_assert_int_eq(count_for("{\"Filters\": [{\"Name\": \"instance-storage-supported\", "
				   "\"Values\": [\"true\"]}, {\"Name\": \"memory-info.size-in-mib\", "
				   "\"Values\": [\"4096\"]}]}"), 1); /* c5d.large */
}
END_TEST

START_TEST(describe_errors)
{
	struct ec2_error err = { 0 };
	json_object *req = json_tokener_parse("{\"Filters\": [{\"Name\": \"colour\", \"Values\": [\"red\"]}]}");

	ck_assert_ptr_null(type_describe_many(table, req, &err));
	ck_assert_str_eq(err.code, "InvalidParameterValue");
	json_object_put(req);
	req = json_tokener_parse("{\"InstanceTypes\": [\"t2.micro\", \"q9.tiny\"]}");
	ck_assert_ptr_null(type_describe_many(table, req, &err));
	ck_assert_str_eq(err.message, "Invalid value 'q9.tiny' for InstanceType.");
	json_object_put(req);
}
END_TEST

START_TEST(tb_cache_bounded)
{
	ck_assert_uint_eq(type_tb_cache_mib(512), 128);
	ck_assert_uint_eq(type_tb_cache_mib(128), 64);
	ck_assert_uint_eq(type_tb_cache_mib(393216), 256);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("types");
	TCase *tc = tcase_create("types");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, aws_figures, 0, sizeof(figures) / sizeof(figures[0]));
	tcase_add_test(tc, every_family_size);
	tcase_add_test(tc, unknown_type_is_ec2_error);
	tcase_add_test(tc, describe_shape);
	tcase_add_test(tc, describe_filters);
	tcase_add_loop_test(tc, instance_storage_figures, 0, sizeof(storage) / sizeof(storage[0]));
	tcase_add_test(tc, instance_storage_shape);
	tcase_add_test(tc, instance_storage_filters);
	tcase_add_test(tc, describe_errors);
	tcase_add_test(tc, tb_cache_bounded);
	suite_add_tcase(s, tc);
	return test_run(s) ? 1 : 0;
}
