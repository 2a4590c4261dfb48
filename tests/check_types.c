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
	static const char *const families[] = { "t2", "t3", "m5", "c5", "r5" };
	static const int sizes[] = { 7, 7, 9, 9, 9 };
	size_t f;
	int i, n;

	for (f = 0; f < 5; f++) {
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
	ck_assert_int_eq(count_for("{}"), 41);
	ck_assert_int_eq(count_for("{\"InstanceTypes\": [\"t2.micro\", \"c5.large\"]}"), 2);
	ck_assert_int_eq(count_for("{\"Filters\": [{\"Name\": \"instance-type\", \"Values\": [\"t2.*\"]}]}"), 7);
	ck_assert_int_eq(count_for("{\"Filters\": [{\"Name\": \"vcpu-info.default-vcpus\", \"Values\": [\"2\"]}, "
				   "{\"Name\": \"memory-info.size-in-mib\", \"Values\": [\"4096\", \"8192\"]}]}"),
			 6); /* t2.medium t3.medium t2.large t3.large m5.large c5.large */
	ck_assert_int_eq(count_for("{\"Filters\": [{\"Name\": \"bare-metal\", \"Values\": [\"true\"]}]}"), 3);
	ck_assert_int_eq(count_for("{\"Filters\": [{\"Name\": \"processor-info.supported-architecture\", "
				   "\"Values\": [\"x86_64\"]}]}"), 41);
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
	tcase_add_test(tc, describe_errors);
	tcase_add_test(tc, tb_cache_bounded);
	suite_add_tcase(s, tc);
	return test_run(s) ? 1 : 0;
}
