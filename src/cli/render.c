/* Output renderings: see include/ec2lite/render.h. */
#include "ec2lite/render.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ec2lite/util.h"

static void indent(struct util_buf *b, int level)
{
	int i;

	for (i = 0; i < level * 4; i++)
		util_buf_put(b, " ", 1);
}

/* A scalar as Python prints it: the aws CLI's text and table output are str() of the value. */
static const char *scalar_text(json_object *v, char *tmp, size_t size)
{
	if (!v)
		return "None";
	switch (json_object_get_type(v)) {
	case json_type_boolean:
		return json_object_get_boolean(v) ? "True" : "False";
	case json_type_double:
		snprintf(tmp, size, "%g", json_object_get_double(v));
		return tmp;
	case json_type_null:
		return "None";
	default:
		return json_object_get_string(v);
	}
}

static bool is_container(json_object *v)
{
	return v && (json_object_is_type(v, json_type_object) || json_object_is_type(v, json_type_array));
}

/* --output json: json.dumps(indent=4, ensure_ascii=False), as the aws CLI writes it. */
static void json_value(struct util_buf *b, json_object *v, int level)
{
	size_t i, n;
	bool first = true;

	if (json_object_is_type(v, json_type_object)) {
		if (json_object_object_length(v) == 0) {
			util_buf_puts(b, "{}");
			return;
		}
		util_buf_puts(b, "{\n");
		json_object_object_foreach(v, key, val) {
			if (!first)
				util_buf_puts(b, ",\n");
			first = false;
			indent(b, level + 1);
			{
				json_object *k = json_object_new_string(key);

				util_buf_puts(b, json_object_to_json_string_ext(k, JSON_C_TO_STRING_NOSLASHESCAPE));
				json_object_put(k);
			}
			util_buf_puts(b, ": ");
			json_value(b, val, level + 1);
		}
		util_buf_puts(b, "\n");
		indent(b, level);
		util_buf_puts(b, "}");
	} else if (json_object_is_type(v, json_type_array)) {
		n = json_object_array_length(v);
		if (n == 0) {
			util_buf_puts(b, "[]");
			return;
		}
		util_buf_puts(b, "[\n");
		for (i = 0; i < n; i++) {
			indent(b, level + 1);
			json_value(b, json_object_array_get_idx(v, i), level + 1);
			util_buf_puts(b, i + 1 < n ? ",\n" : "\n");
		}
		indent(b, level);
		util_buf_puts(b, "]");
	} else {
		util_buf_puts(b, v ? json_object_to_json_string_ext(v, JSON_C_TO_STRING_NOSLASHESCAPE) : "null");
	}
}

/* --output text: the aws CLI's rules (awscli/text.py). A dict prints its scalars on one line,
 * tab-separated, after its identifier (its key, upper-cased); lists of dicts print a line per
 * element with the union of their scalar keys; nested values follow with their own keys. */
static void text_value(struct util_buf *b, json_object *v, const char *ident, json_object *keys);

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void put_upper(struct util_buf *b, const char *s)
{
	for (; *s; s++) {
		char c = (char)(*s >= 'a' && *s <= 'z' ? *s - 32 : *s);

		util_buf_put(b, &c, 1);
	}
}

/* The keys of v, sorted (borrowed strings; caller frees the array). */
static const char **sorted_keys(json_object *v, size_t *count)
{
	const char **names = NULL;
	size_t n = 0;

	json_object_object_foreach(v, k, val) {
		(void)val;
		names = realloc(names, (n + 1) * sizeof(*names));
		if (!names)
			abort();
		names[n++] = k;
	}
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	*count = n;
	return names;
}

static void text_dict(struct util_buf *b, json_object *v, const char *ident, json_object *keys)
{
	char tmp[64];
	size_t n = 0, i, nscalars = 0;
	const char **names = sorted_keys(v, &n);
	struct util_buf line = { 0 };

	/* The scalars: the given keys (a list's union) or this dict's own, in sorted order. */
	if (keys) {
		for (i = 0; i < json_object_array_length(keys); i++) {
			json_object *val = NULL;

			json_object_object_get_ex(v, json_object_get_string(
							     json_object_array_get_idx(keys, i)), &val);
			if (nscalars++)
				util_buf_puts(&line, "\t");
			util_buf_puts(&line, val && !is_container(val) ? scalar_text(val, tmp, sizeof(tmp)) : "");
		}
	} else {
		for (i = 0; i < n; i++) {
			json_object *val = NULL;

			json_object_object_get_ex(v, names[i], &val);
			if (is_container(val))
				continue;
			if (nscalars++)
				util_buf_puts(&line, "\t");
			util_buf_puts(&line, scalar_text(val, tmp, sizeof(tmp)));
		}
	}
	if (nscalars) {
		if (ident) {
			put_upper(b, ident);
			util_buf_puts(b, "\t");
		}
		util_buf_puts(b, line.s);
		util_buf_puts(b, "\n");
	}
	free(line.s);
	for (i = 0; i < n; i++) {
		json_object *val = NULL;

		json_object_object_get_ex(v, names[i], &val);
		if (is_container(val))
			text_value(b, val, names[i], NULL);
	}
	free(names);
}

static void text_value(struct util_buf *b, json_object *v, const char *ident, json_object *keys)
{
	char tmp[64];
	size_t i, n;

	if (json_object_is_type(v, json_type_object)) {
		text_dict(b, v, ident, keys);
		return;
	}
	if (!json_object_is_type(v, json_type_array)) {
		util_buf_puts(b, scalar_text(v, tmp, sizeof(tmp)));
		util_buf_puts(b, "\n");
		return;
	}
	n = json_object_array_length(v);
	if (n == 0)
		return;
	if (json_object_is_type(json_object_array_get_idx(v, 0), json_type_object)) {
		/* The sorted union of the elements' scalar keys. */
		json_object *all = json_object_new_array();
		const char **names = NULL;
		size_t k = 0, j;

		for (i = 0; i < n; i++) {
			json_object_object_foreach(json_object_array_get_idx(v, i), key, val) {
				bool seen = false;

				if (is_container(val))
					continue;
				for (j = 0; j < k && !seen; j++)
					seen = strcmp(names[j], key) == 0;
				if (seen)
					continue;
				names = realloc(names, (k + 1) * sizeof(*names));
				if (!names)
					abort();
				names[k++] = key;
			}
		}
		qsort(names, k, sizeof(*names), cmp_str);
		for (j = 0; j < k; j++)
			json_object_array_add(all, json_object_new_string(names[j]));
		free(names);
		for (i = 0; i < n; i++)
			text_value(b, json_object_array_get_idx(v, i), ident, all);
		json_object_put(all);
		return;
	}
	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(v, i);

		if (is_container(e)) {
			text_value(b, e, ident, NULL);
			continue;
		}
		if (ident) {
			put_upper(b, ident);
			util_buf_puts(b, "\t");
			util_buf_puts(b, scalar_text(e, tmp, sizeof(tmp)));
			util_buf_puts(b, "\n");
		} else {
			util_buf_puts(b, scalar_text(e, tmp, sizeof(tmp)));
			util_buf_puts(b, i + 1 < n ? "\t" : "\n");
		}
	}
}

/* --output table: a titled box per object, its scalars as key | value rows, nested objects and
 * lists as boxes of their own below (a simpler layout than the aws CLI's, same content). */
static void rule(struct util_buf *b, int depth, int width, char c)
{
	int i;

	for (i = 0; i < depth; i++)
		util_buf_puts(b, "|");
	util_buf_put(b, "+", 1);
	for (i = 0; i < width - 2; i++)
		util_buf_put(b, &c, 1);
	util_buf_put(b, "+", 1);
	util_buf_puts(b, "\n");
}

static void row(struct util_buf *b, int depth, int width, const char *left, const char *right,
		int keyw)
{
	char line[1024];
	int i;

	for (i = 0; i < depth; i++)
		util_buf_puts(b, "|");
	if (right)
		snprintf(line, sizeof(line), "| %-*s | %-*s|", keyw, left, width - keyw - 6, right);
	else {
		int pad = width - 2 - (int)strlen(left);

		snprintf(line, sizeof(line), "|%*s%s%*s|", pad / 2, "", left, pad - pad / 2, "");
	}
	util_buf_puts(b, line);
	util_buf_puts(b, "\n");
}

static void table_value(struct util_buf *b, json_object *v, const char *title, int depth, int width)
{
	char tmp[64];
	int keyw = 0;
	size_t i;

	if (json_object_is_type(v, json_type_array)) {
		for (i = 0; i < json_object_array_length(v); i++) {
			json_object *e = json_object_array_get_idx(v, i);

			if (is_container(e)) {
				table_value(b, e, title, depth, width);
			} else {
				rule(b, depth, width, '-');
				row(b, depth, width, title, NULL, 0);
				rule(b, depth, width, '-');
				row(b, depth, width, scalar_text(e, tmp, sizeof(tmp)), NULL, 0);
			}
		}
		return;
	}
	if (!json_object_is_type(v, json_type_object))
		return;
	rule(b, depth, width, '-');
	row(b, depth, width, title, NULL, 0);
	rule(b, depth, width, '-');
	json_object_object_foreach(v, k1, v1)
		if (!is_container(v1) && (int)strlen(k1) > keyw)
			keyw = (int)strlen(k1);
	json_object_object_foreach(v, k2, v2)
		if (!is_container(v2))
			row(b, depth, width, k2, scalar_text(v2, tmp, sizeof(tmp)), keyw);
	json_object_object_foreach(v, k3, v3)
		if (is_container(v3))
			table_value(b, v3, k3, depth + 1, width - 2);
}

char *render(json_object *obj, enum render_format fmt, const char *title)
{
	struct util_buf b = { 0 };

	if (!obj || (json_object_is_type(obj, json_type_object) && json_object_object_length(obj) == 0))
		return strdup("");
	switch (fmt) {
	case RENDER_JSON:
		json_value(&b, obj, 0);
		util_buf_puts(&b, "\n");
		break;
	case RENDER_TEXT:
		text_value(&b, obj, NULL, NULL);
		break;
	case RENDER_TABLE:
		table_value(&b, obj, title ? title : "", 0, 100);
		break;
	}
	return b.s ? b.s : strdup("");
}
