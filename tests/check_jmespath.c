/* jmespath: what a comparison with Python's jmespath cannot judge. The language itself is proven
 * by tests/jmespath_diff.py (every answer against Python jmespath's, which the aws CLI applies)
 * and, on demand, by scripts/jmespath-compliance.sh (the official compliance suite); here are
 * the aws CLI's exact messages, the depth limit, and (under tests/sanitize.sh) memory. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ec2lite/jmespath.h"
#include "testutil.h"

/* JSON equality (1 equals 1.0), written apart from the library's so that it checks it. */
static bool same(json_object *a, json_object *b)
{
	enum json_type ta = json_object_get_type(a), tb = json_object_get_type(b);
	bool na = ta == json_type_int || ta == json_type_double;
	bool nb = tb == json_type_int || tb == json_type_double;

	if (na && nb)
		return fabs(json_object_get_double(a) - json_object_get_double(b)) < 1e-9;
	if (ta != tb)
		return false;
	if (ta == json_type_array) {
		size_t i;

		if (json_object_array_length(a) != json_object_array_length(b))
			return false;
		for (i = 0; i < json_object_array_length(a); i++)
			if (!same(json_object_array_get_idx(a, i), json_object_array_get_idx(b, i)))
				return false;
		return true;
	}
	if (ta == json_type_object) {
		if (json_object_object_length(a) != json_object_object_length(b))
			return false;
		json_object_object_foreach(a, k, va) {
			json_object *vb;

			if (!json_object_object_get_ex(b, k, &vb) || !same(va, vb))
				return false;
		}
		return true;
	}
	if (ta == json_type_null)
		return true;
	return strcmp(json_object_to_json_string(a), json_object_to_json_string(b)) == 0;
}

/* Python jmespath's messages, which the aws CLI prints after "Bad value for --query EXPR: ". */
START_TEST(messages_like_python)
{
	static const struct {
		const char *expr, *message;
	} cases[] = {
		{ "Reservations[", "Invalid jmespath expression: Incomplete expression:\n"
				   "\"Reservations[\"\n              ^" },
		{ "a.b.`x", "Bad jmespath expression: Unclosed ` delimiter:\na.b.`x\n    ^" },
		{ "foo.1", "Expecting: ['quoted_identifier', 'unquoted_identifier', 'lbracket', "
			   "'lbrace'], got: number: Parse error at column 4, token \"1\" (NUMBER), "
			   "for expression:\n\"foo.1\"\n     ^" },
		{ "a b", "Unexpected token: b: Parse error at column 2, token \"b\" "
			 "(UNQUOTED_IDENTIFIER), for expression:\n\"a b\"\n   ^" },
		{ "a = b", "Bad jmespath expression: Unknown token '=':\na = b\n  ^" },
		{ "foo(@)", "Unknown function: foo()" },
		{ "length(@, @)", "Expected 1 argument for function length(), received 2" },
		{ "", "Invalid JMESPath expression: cannot be empty." },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct jmespath_error err;

		ck_assert_ptr_null(jmespath_compile(cases[i].expr, &err));
		ck_assert_str_eq(err.message, cases[i].message);
	}
}
END_TEST

/* A function's argument of the wrong type, found while searching: Python jmespath's message,
 * which the aws CLI prints (with 255) after the action. */
START_TEST(type_errors_like_python)
{
	static const struct {
		const char *expr, *message;
	} cases[] = {
		{ "abs(str)", "In function abs(), invalid type for value: hello, expected one of: "
			      "['number'], received: \"string\"" },
		{ "sum(a)", "In function sum(), invalid type for value: x, expected one of: "
			    "['array-number'], received: \"str\"" },
		{ "keys(a)", "In function keys(), invalid type for value: [1, 'x', {'k': \"v's\"}], "
			     "expected one of: ['object'], received: \"array\"" },
		{ "sort_by(objs, &v)", "In function sort_by(), invalid type for value: x, expected one "
				       "of: ['number'], received: \"string\"" },
		{ "sort([o])", "In function sort(), invalid type for value: {'p': True, 'q': None, "
			       "'r': 1.5}, expected one of: ['array-string', 'array-number'], "
			       "received: \"dict\"" },
	};
	json_object *data = json_tokener_parse("{\"a\": [1, \"x\", {\"k\": \"v's\"}], \"str\": "
		"\"hello\", \"o\": {\"p\": true, \"q\": null, \"r\": 1.5}, \"objs\": [{\"v\": 1}, "
		"{\"v\": \"x\"}]}");
	size_t i;

	ck_assert_ptr_nonnull(data);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct jmespath_error err;
		struct jmespath *jp = jmespath_compile(cases[i].expr, &err);
		json_object *got = NULL;

		ck_assert_ptr_nonnull(jp);
		ck_assert_int_eq(jmespath_search(jp, data, &got, &err), -1);
		ck_assert_int_eq(err.kind, JMESPATH_ERR_INVALID_TYPE);
		ck_assert_str_eq(err.message, cases[i].message);
		jmespath_free(jp);
	}
	json_object_put(data);
}
END_TEST

/* Results where Python jmespath has a say beyond the suite: to_string is json.dumps, which
 * escapes every character beyond ASCII. */
START_TEST(results_like_python)
{
	static const struct {
		const char *expr, *json;
	} cases[] = {
		{ "to_string(@)", "\"[\\\"\\\\u00e9\\\",\\\"\\\\ud83d\\\\ude00\\\",1.5,{\\\"a\\\":null}]\"" },
		{ "[0]", "\"\\u00e9\"" },
		{ "length([0])", "1" },
		{ "reverse([1])", "\"\\ud83d\\ude00\"" },
	};
	json_object *data = json_tokener_parse("[\"\\u00e9\", \"\\ud83d\\ude00\", 1.5, {\"a\": null}]");
	size_t i;

	ck_assert_ptr_nonnull(data);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct jmespath_error err;
		struct jmespath *jp = jmespath_compile(cases[i].expr, &err);
		json_object *got = NULL, *want = json_tokener_parse(cases[i].json);

		ck_assert_ptr_nonnull(jp);
		ck_assert_int_eq(jmespath_search(jp, data, &got, &err), 0);
		ck_assert_msg(same(got, want), "%s: got %s, wanted %s", cases[i].expr,
			      json_object_to_json_string(got), cases[i].json);
		json_object_put(got);
		json_object_put(want);
		jmespath_free(jp);
	}
	json_object_put(data);
}
END_TEST

/* Deep nesting is a syntax error, not a stack overflow: parentheses, brackets and a long chain. */
START_TEST(nesting_is_bounded)
{
	size_t n = 100000, i;
	char *s = malloc(2 * n + 2);
	struct jmespath_error err;
	struct jmespath *jp;

	for (i = 0; i < n; i++) {
		s[i] = '(';
		s[n + i] = ')';
	}
	s[n] = '@';
	memmove(s + n + 1, s + n, n);
	s[n] = '@';
	s[2 * n + 1] = '\0';
	ck_assert_ptr_null(jmespath_compile(s, &err));
	ck_assert_int_eq(err.kind, JMESPATH_ERR_SYNTAX);
	for (i = 0; i < n; i++)
		s[i] = '[';
	s[n] = '\0';
	ck_assert_ptr_null(jmespath_compile(s, &err));
	ck_assert_int_eq(err.kind, JMESPATH_ERR_SYNTAX);
	for (i = 0; i + 2 < 2 * n; i += 2) {
		s[i] = 'a';
		s[i + 1] = '.';
	}
	s[i] = 'a';
	s[i + 1] = '\0';
	ck_assert_ptr_null(jmespath_compile(s, &err));
	ck_assert_int_eq(err.kind, JMESPATH_ERR_SYNTAX);
	/* Within the limit a chain works. */
	s[99] = '\0';
	jp = jmespath_compile(s, &err);
	ck_assert_ptr_nonnull(jp);
	jmespath_free(jp);
	free(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("jmespath");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, messages_like_python);
	tcase_add_test(tc, results_like_python);
	tcase_add_test(tc, type_errors_like_python);
	tcase_add_test(tc, nesting_is_bounded);
	suite_add_tcase(s, tc);
	return test_run(s) ? EXIT_FAILURE : EXIT_SUCCESS;
}
