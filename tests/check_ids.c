/* ids: generation and validation of EC2 resource ids. */
#include <string.h>

#include "ec2lite/ids.h"
#include "testutil.h"

START_TEST(new_ids_have_ec2_form)
{
	static const char *const prefixes[] = { "i", "r", "ami", "vol", "snap" };
	char id[EC2_ID_MAX];
	size_t i;

	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		ck_assert_int_eq(ec2_id_new(prefixes[i], id, NULL), 0);
		ck_assert_uint_eq(strlen(id), strlen(prefixes[i]) + 1 + 17);
		ck_assert(ec2_id_valid(prefixes[i], id));
		ck_assert_int_eq(strspn(id + strlen(prefixes[i]) + 1, "0123456789abcdef"), 17);
	}
}
END_TEST

START_TEST(new_ids_are_distinct)
{
	static char seen[2000][EC2_ID_MAX];
	int i, j;

	for (i = 0; i < 2000; i++) {
		ck_assert_int_eq(ec2_id_new("i", seen[i], NULL), 0);
		/* One check per draw, not one per pair: a passing ck_assert costs a message to the
		 * runner, and 2 million of them took 20 s (2.5 min under ASan). */
		for (j = 0; j < i; j++)
			if (strcmp(seen[i], seen[j]) == 0)
				ck_abort_msg("%s drawn twice (draws %d and %d)", seen[j], j, i);
	}
}
END_TEST

static const struct {
	const char *prefix, *id;
	bool valid;
} cases[] = {
	{ "i", "i-0123456789abcdef0", true },
	{ "i", "i-12345678", true },            /* EC2's old 8-digit form */
	{ "i", "i-0123456789ABCDEF0", false },  /* upper case */
	{ "i", "i-0123456789abcdef", false },   /* 16 digits */
	{ "i", "i-0123456789abcdef01", false }, /* 18 digits */
	{ "i", "i-0123456789abcdefg", false },
	{ "i", "i0123456789abcdef0", false },
	{ "i", "ami-0123456789abcdef0", false },
	{ "i", "", false },
	{ "i", "i-", false },
	{ "ami", "ami-0123456789abcdef0", true },
	{ "ami", "i-0123456789abcdef0", false },
	{ "ami", "amix-0123456789abcdef0", false },
};

START_TEST(validation_table)
{
	ck_assert_msg(ec2_id_valid(cases[_i].prefix, cases[_i].id) == cases[_i].valid,
		      "%s as %s", cases[_i].id, cases[_i].prefix);
}
END_TEST

START_TEST(check_list_reports_first_malformed)
{
	json_object *ids = json_tokener_parse("[\"i-0123456789abcdef0\", \"i-bad\", \"x\"]");
	struct ec2_error err = { 0 };

	ck_assert_int_eq(ec2_ids_check(ids, "i", "InvalidInstanceID.Malformed", &err), -1);
	ck_assert_str_eq(err.code, "InvalidInstanceID.Malformed");
	ck_assert_str_eq(err.message, "Invalid id: \"i-bad\" (expecting \"i-...\")");
	ck_assert_int_eq(ec2_ids_check(NULL, "i", "x", &err), 0);
	json_object_put(ids);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ids");
	TCase *tc = tcase_create("ids");

	tcase_add_test(tc, new_ids_have_ec2_form);
	tcase_add_test(tc, new_ids_are_distinct);
	tcase_add_loop_test(tc, validation_table, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, check_list_reports_first_malformed);
	suite_add_tcase(s, tc);
	return test_run(s) ? 1 : 0;
}
