/* shorthand: the aws CLI's shorthand syntax, as JSON. */
#include <string.h>

#include "ec2lite/shorthand.h"
#include "testutil.h"

static const struct {
	const char *in, *json; /* json NULL: must fail */
} cases[] = {
	{ "Configured=true", "{\"Configured\":\"true\"}" },
	{ "Name=instance-state-name,Values=running",
	  "{\"Name\":\"instance-state-name\",\"Values\":\"running\"}" },
	{ "Name=instance-state-name,Values=running,stopped",
	  "{\"Name\":\"instance-state-name\",\"Values\":[\"running\",\"stopped\"]}" },
	{ "Values=a,b,Name=x", "{\"Values\":[\"a\",\"b\"],\"Name\":\"x\"}" },
	{ "ResourceType=instance,Tags=[{Key=Name,Value=web},{Key=env,Value=dev}]",
	  "{\"ResourceType\":\"instance\",\"Tags\":[{\"Key\":\"Name\",\"Value\":\"web\"},"
	  "{\"Key\":\"env\",\"Value\":\"dev\"}]}" },
	{ "Tags=[{Key=a,Value=}]", "{\"Tags\":[{\"Key\":\"a\",\"Value\":\"\"}]}" },
	{ "Key=\"a,b=c\",Value='x]y'", "{\"Key\":\"a,b=c\",\"Value\":\"x]y\"}" },
	{ "Outer={Inner=1,Other=2}", "{\"Outer\":{\"Inner\":\"1\",\"Other\":\"2\"}}" },
	{ "List=[a,b,c]", "{\"List\":[\"a\",\"b\",\"c\"]}" },
	{ "{\"Configured\": true}", "{\"Configured\":true}" },
	{ "[{\"Name\": \"x\", \"Values\": [\"1\"]}]", "[{\"Name\":\"x\",\"Values\":[\"1\"]}]" },
	{ "novalue", NULL },
	{ "=x", NULL },
	{ "Tags=[{Key=a", NULL },
	{ "Key=\"open", NULL },
	{ "{\"a\": ", NULL },
	{ "{\"a\": 1} trailing", NULL },
};

START_TEST(table)
{
	struct ec2_error err = { 0 };
	json_object *o = shorthand_parse(cases[_i].in, &err);

	if (!cases[_i].json) {
		ck_assert_msg(o == NULL, "'%s' should not parse", cases[_i].in);
		ck_assert_str_eq(err.code, "InvalidParameterValue");
		return;
	}
	ck_assert_msg(o != NULL, "'%s': %s", cases[_i].in, err.message);
	ck_assert_str_eq(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), cases[_i].json);
	json_object_put(o);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("shorthand");
	TCase *tc = tcase_create("shorthand");

	tcase_add_loop_test(tc, table, 0, sizeof(cases) / sizeof(cases[0]));
	suite_add_tcase(s, tc);
	return test_run(s) ? 1 : 0;
}
