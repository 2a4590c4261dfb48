/* The aws CLI shorthand syntax: see include/ec2lite/shorthand.h. */
#include "ec2lite/shorthand.h"

#include <stdlib.h>
#include <string.h>

#include "ec2lite/util.h"

struct parser {
	const char *text;
	const char *p;
	struct ec2_error *err;
};

static json_object *fail(struct parser *ps, const char *what)
{
	ec2_error_set(ps->err, EC2_ERR_INVALID_PARAMETER,
		      "Error parsing parameter '%s': %s at position %ld", ps->text, what,
		      (long)(ps->p - ps->text));
	return NULL;
}

static void skip_space(struct parser *ps)
{
	while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n')
		ps->p++;
}

/* A scalar: quoted, or up to the next structural character. */
static json_object *scalar(struct parser *ps, const char *stops)
{
	char *buf = malloc(strlen(ps->p) + 1);
	size_t n = 0;
	json_object *s;

	if (!buf)
		abort();
	skip_space(ps);
	if (*ps->p == '"' || *ps->p == '\'') {
		char q = *ps->p++;

		while (*ps->p && *ps->p != q) {
			if (*ps->p == '\\' && ps->p[1])
				ps->p++;
			buf[n++] = *ps->p++;
		}
		if (*ps->p != q) {
			free(buf);
			return fail(ps, "unterminated quote");
		}
		ps->p++;
	} else {
		while (*ps->p && !strchr(stops, *ps->p))
			buf[n++] = *ps->p++;
		while (n > 0 && buf[n - 1] == ' ')
			n--;
	}
	buf[n] = '\0';
	s = json_object_new_string(buf);
	free(buf);
	return s;
}

static json_object *structure(struct parser *ps, char close);

static json_object *list(struct parser *ps)
{
	json_object *a = json_object_new_array(), *v;

	ps->p++; /* [ */
	skip_space(ps);
	while (*ps->p && *ps->p != ']') {
		if (*ps->p == '{') {
			ps->p++;
			v = structure(ps, '}');
			if (v && *ps->p == '}')
				ps->p++;
			else if (v) {
				json_object_put(v);
				v = fail(ps, "expected '}'");
			}
		} else {
			v = scalar(ps, ",]");
		}
		if (!v) {
			json_object_put(a);
			return NULL;
		}
		json_object_array_add(a, v);
		skip_space(ps);
		if (*ps->p == ',')
			ps->p++;
		skip_space(ps);
	}
	if (*ps->p != ']') {
		json_object_put(a);
		return fail(ps, "expected ']'");
	}
	ps->p++;
	return a;
}

/* key=value pairs up to close ('\0' at the top level). */
static json_object *structure(struct parser *ps, char close)
{
	json_object *o = json_object_new_object();
	const char *stops = close ? ",}" : ",";

	for (;;) {
		char key[128];
		size_t n = 0;
		json_object *v;

		skip_space(ps);
		if (*ps->p == close)
			return o;
		while (*ps->p && *ps->p != '=' && *ps->p != ',' && *ps->p != close &&
		       n + 1 < sizeof(key))
			key[n++] = *ps->p++;
		key[n] = '\0';
		if (*ps->p != '=' || n == 0) {
			json_object_put(o);
			return fail(ps, "expected key=value");
		}
		ps->p++;
		skip_space(ps);
		if (*ps->p == '[') {
			v = list(ps);
		} else if (*ps->p == '{') {
			ps->p++;
			v = structure(ps, '}');
			if (v && *ps->p == '}') {
				ps->p++;
			} else if (v) {
				json_object_put(v);
				v = fail(ps, "expected '}'");
			}
		} else {
			v = scalar(ps, stops);
			/* "Values=a,b,c": bare values after a value extend it into a list. */
			while (v && *ps->p == ',') {
				const char *q = ps->p + 1, *eq, *comma;

				eq = strchr(q, '=');
				comma = strpbrk(q, close ? ",}" : ",");
				if (eq && (!comma || eq < comma))
					break; /* the next item is key=value */
				ps->p++;
				if (!json_object_is_type(v, json_type_array)) {
					json_object *a = json_object_new_array();

					json_object_array_add(a, v);
					v = a;
				}
				{
					json_object *item = scalar(ps, stops);

					if (!item) {
						json_object_put(v);
						v = NULL;
						break;
					}
					json_object_array_add(v, item);
				}
			}
		}
		if (!v) {
			json_object_put(o);
			return NULL;
		}
		json_object_object_add(o, key, v);
		skip_space(ps);
		if (*ps->p == ',') {
			ps->p++;
			continue;
		}
		if (*ps->p == close)
			return o;
		json_object_put(o);
		return fail(ps, "unexpected character");
	}
}

json_object *shorthand_parse(const char *text, struct ec2_error *err)
{
	struct parser ps = { .text = text, .p = text, .err = err };
	json_object *o;

	while (*ps.p == ' ')
		ps.p++;
	if (*ps.p == '[' || *ps.p == '{') {
		struct json_tokener *tok = json_tokener_new();

		o = json_tokener_parse_ex(tok, text, (int)strlen(text));
		if (!o || json_tokener_get_error(tok) != json_tokener_success ||
		    json_tokener_get_parse_end(tok) < strlen(text)) {
			ec2_error_set(err, EC2_ERR_INVALID_PARAMETER,
				      "Error parsing parameter '%s': invalid JSON: %s", text,
				      json_tokener_error_desc(json_tokener_get_error(tok)));
			json_object_put(o);
			o = NULL;
		}
		json_tokener_free(tok);
		return o;
	}
	o = structure(&ps, '\0');
	if (o && *ps.p != '\0') {
		json_object_put(o);
		return fail(&ps, "trailing characters");
	}
	return o;
}
