/* render and filter: the aws CLI's output formats, and EC2 filters over described objects. */
#include <stdlib.h>
#include <string.h>

#include "ec2lite/filter.h"
#include "ec2lite/render.h"
#include "testutil.h"

static const char *sample =
	"{\"Reservations\": [{\"Groups\": [], \"Instances\": [{\"InstanceId\": \"i-1\", "
	"\"State\": {\"Code\": 16, \"Name\": \"running\"}, \"EbsOptimized\": false, "
	"\"Tags\": [{\"Key\": \"Name\", \"Value\": \"web\"}]}], \"OwnerId\": \"000000000000\", "
	"\"ReservationId\": \"r-1\"}]}";

START_TEST(json_like_aws_cli)
{
	json_object *o = json_tokener_parse(sample);
	char *out = render(o, RENDER_JSON, "DescribeInstances");

	test_golden("render/describe.json", out);
	free(out);
	json_object_put(o);
}
END_TEST

START_TEST(text_like_aws_cli)
{
	json_object *o = json_tokener_parse(sample);
	char *out = render(o, RENDER_TEXT, "DescribeInstances");

	/* awscli/text.py: a dict's sorted scalars after its upper-cased key, then its nested
	 * values with their own keys. */
	ck_assert_str_eq(out, "RESERVATIONS\t000000000000\tr-1\n"
			      "INSTANCES\tFalse\ti-1\n"
			      "STATE\t16\trunning\n"
			      "TAGS\tName\tweb\n");
	free(out);
	json_object_put(o);
	o = json_tokener_parse("{\"ImageId\": \"ami-1\"}");
	out = render(o, RENDER_TEXT, "RegisterImage");
	ck_assert_str_eq(out, "ami-1\n");
	free(out);
	json_object_put(o);
}
END_TEST

START_TEST(table_has_title_and_values)
{
	json_object *o = json_tokener_parse(sample);
	char *out = render(o, RENDER_TABLE, "DescribeInstances");

	ck_assert_ptr_nonnull(strstr(out, "DescribeInstances"));
	ck_assert_ptr_nonnull(strstr(out, "Reservations"));
	ck_assert_ptr_nonnull(strstr(out, "| InstanceId "));
	ck_assert_ptr_nonnull(strstr(out, "i-1"));
	free(out);
	json_object_put(o);
}
END_TEST

START_TEST(empty_response_prints_nothing)
{
	json_object *o = json_object_new_object();
	char *out = render(o, RENDER_JSON, "RebootInstances");

	ck_assert_str_eq(out, "");
	free(out);
	json_object_put(o);
}
END_TEST

static const struct filter_field fields[] = {
	{ "instance-state-name", "State.Name" },
	{ "instance-state-code", "State.Code" },
	{ "ebs-optimized", "EbsOptimized" },
	{ "group-id", "Groups.GroupId" },
	{ NULL, NULL },
};

static const struct {
	const char *filters;
	bool match;
} filter_cases[] = {
	{ "[]", true },
	{ "[{\"Name\": \"instance-state-name\", \"Values\": [\"running\"]}]", true },
	{ "[{\"Name\": \"instance-state-name\", \"Values\": [\"stopped\", \"running\"]}]", true },
	{ "[{\"Name\": \"instance-state-name\", \"Values\": [\"stopped\"]}]", false },
	{ "[{\"Name\": \"instance-state-name\", \"Values\": [\"run*\"]}]", true },
	{ "[{\"Name\": \"instance-state-name\", \"Values\": [\"r?nning\"]}]", true },
	{ "[{\"Name\": \"instance-state-code\", \"Values\": [\"16\"]}]", true },
	{ "[{\"Name\": \"ebs-optimized\", \"Values\": [\"false\"]}]", true },
	{ "[{\"Name\": \"group-id\", \"Values\": [\"sg-2\"]}]", true },
	{ "[{\"Name\": \"group-id\", \"Values\": [\"sg-3\"]}]", false },
	{ "[{\"Name\": \"tag:Name\", \"Values\": [\"web\"]}]", true },
	{ "[{\"Name\": \"tag:Name\", \"Values\": [\"db\"]}]", false },
	{ "[{\"Name\": \"tag:Other\", \"Values\": [\"web\"]}]", false },
	{ "[{\"Name\": \"tag-key\", \"Values\": [\"Name\"]}]", true },
	{ "[{\"Name\": \"tag-value\", \"Values\": [\"w*\"]}]", true },
	{ "[{\"Name\": \"instance-state-name\", \"Values\": [\"running\"]}, "
	  "{\"Name\": \"tag:Name\", \"Values\": [\"db\"]}]", false },
};

START_TEST(filter_table)
{
	json_object *obj = json_tokener_parse(
		"{\"State\": {\"Code\": 16, \"Name\": \"running\"}, \"EbsOptimized\": false, "
		"\"Groups\": [{\"GroupId\": \"sg-1\"}, {\"GroupId\": \"sg-2\"}], "
		"\"Tags\": [{\"Key\": \"Name\", \"Value\": \"web\"}]}");
	json_object *filters = json_tokener_parse(filter_cases[_i].filters);
	struct ec2_error err = { 0 };

	ck_assert_int_eq(filter_validate(filters, fields, &err), 0);
	ck_assert_msg(filter_match(obj, filters, fields) == filter_cases[_i].match, "%s",
		      filter_cases[_i].filters);
	json_object_put(filters);
	json_object_put(obj);
}
END_TEST

START_TEST(filter_errors)
{
	struct ec2_error err = { 0 };
	json_object *f = json_tokener_parse("[{\"Name\": \"colour\", \"Values\": [\"x\"]}]");

	ck_assert_int_eq(filter_validate(f, fields, &err), -1);
	ck_assert_str_eq(err.message, "The filter 'colour' is invalid");
	json_object_put(f);
	f = json_tokener_parse("[{\"Name\": \"instance-state-name\", \"Values\": []}]");
	ck_assert_int_eq(filter_validate(f, fields, &err), -1);
	json_object_put(f);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("render");
	TCase *tc = tcase_create("render");

	tcase_add_test(tc, json_like_aws_cli);
	tcase_add_test(tc, text_like_aws_cli);
	tcase_add_test(tc, table_has_title_and_values);
	tcase_add_test(tc, empty_response_prints_nothing);
	tcase_add_loop_test(tc, filter_table, 0, sizeof(filter_cases) / sizeof(filter_cases[0]));
	tcase_add_test(tc, filter_errors);
	suite_add_tcase(s, tc);
	return test_run(s) ? 1 : 0;
}
