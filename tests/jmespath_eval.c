/* jmespath_eval: src/cli/jmespath.c as a filter, so that one process can answer many cases for
 * tests/jmespath_diff.py (the differential test against Python's jmespath) and for
 * scripts/jmespath-compliance.sh (the official compliance suite, fetched by the user).
 *
 * Each line of stdin is a JSON object {"expression": "...", "given": <document>}; for each, one
 * line goes to stdout: {"result": <value>} when the expression compiles and the search succeeds,
 * or {"error": "<class>", "phase": "compile"|"search", "message": "..."} with the compliance
 * suite's name of the error class (jmespath_errclass_name). A line that is not such an object is
 * answered {"bad-input": "..."}, so that the two streams stay in step. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ec2lite/jmespath.h"

static void print_line(json_object *o)
{
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
					    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

/* Answers one input line (without its newline). */
static void answer(const char *line)
{
	json_object *in = json_tokener_parse(line), *expr, *given = NULL, *got = NULL;
	json_object *out = json_object_new_object();
	struct jmespath_error err;
	struct jmespath *jp;

	if (!in || !json_object_object_get_ex(in, "expression", &expr) ||
	    !json_object_is_type(expr, json_type_string)) {
		json_object_object_add(out, "bad-input", json_object_new_string(line));
		print_line(out);
		json_object_put(in);
		return;
	}
	json_object_object_get_ex(in, "given", &given);
	memset(&err, 0, sizeof(err));
	jp = jmespath_compile(json_object_get_string(expr), &err);
	if (jp && jmespath_search(jp, given, &got, &err) == 0) {
		/* json_object_object_add takes the reference (NULL is JSON null). */
		json_object_object_add(out, "result", got);
	} else {
		json_object_object_add(out, "error",
				       json_object_new_string(jmespath_errclass_name(err.kind)));
		json_object_object_add(out, "phase", json_object_new_string(jp ? "search" : "compile"));
		json_object_object_add(out, "message", json_object_new_string(err.message));
	}
	print_line(out);
	jmespath_free(jp);
	json_object_put(in);
}

int main(void)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	while ((n = getline(&line, &cap, stdin)) >= 0) {
		if (n > 0 && line[n - 1] == '\n')
			line[n - 1] = '\0';
		answer(line);
	}
	free(line);
	return ferror(stdout) || fflush(stdout) ? EXIT_FAILURE : EXIT_SUCCESS;
}
