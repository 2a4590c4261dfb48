/* JMESPath (https://jmespath.org/specification.html) over json-c values: the language of the aws
 * CLI's --query. An expression is compiled once into a tree and then searched over any number of
 * values. Errors carry the compliance suite's class (syntax, invalid-type, ...) and a message
 * worded as Python's jmespath words it, which is what the aws CLI prints. */
#ifndef EC2LITE_JMESPATH_H
#define EC2LITE_JMESPATH_H

#include <json-c/json.h>

/* Nesting deeper than this (parentheses, brackets, chained sub-expressions) is a syntax error, so
 * that no input can make the parser, the evaluator or the free recurse without bound. */
#define JMESPATH_MAX_DEPTH 256

enum jmespath_errclass {
	JMESPATH_ERR_SYNTAX,           /* "syntax" */
	JMESPATH_ERR_INVALID_TYPE,     /* "invalid-type": a function's argument of the wrong type */
	JMESPATH_ERR_INVALID_ARITY,    /* "invalid-arity": a function called with too few/many */
	JMESPATH_ERR_UNKNOWN_FUNCTION, /* "unknown-function" */
	JMESPATH_ERR_INVALID_VALUE,    /* "invalid-value": a slice step of 0 */
	JMESPATH_ERR_NOMEM,            /* out of memory (not a class of the suite) */
};

struct jmespath_error {
	enum jmespath_errclass kind;
	char message[2048]; /* as Python's jmespath str(exception); may span lines, no final newline */
};

struct jmespath;

/* Compiles expr (a NUL-terminated UTF-8 string). Returns the compiled expression (free it with
 * jmespath_free) or NULL with *err filled (if err is not NULL): syntax errors, unknown functions
 * and a wrong number of arguments are all found here, before any value is searched. */
struct jmespath *jmespath_compile(const char *expr, struct jmespath_error *err);

/* Searches data (borrowed; NULL is JSON null) with a compiled expression. On success returns 0 and
 * sets *result to a new reference (NULL for JSON null; the caller puts it). On failure (a
 * function's argument of the wrong type, a slice step of 0) returns -1 with *err filled and
 * *result untouched. */
int jmespath_search(const struct jmespath *jp, json_object *data, json_object **result,
		    struct jmespath_error *err);

/* Frees a compiled expression; accepts NULL. */
void jmespath_free(struct jmespath *jp);

/* The compliance suite's name of an error class ("syntax", "invalid-type", ...). */
const char *jmespath_errclass_name(enum jmespath_errclass kind);

#endif
