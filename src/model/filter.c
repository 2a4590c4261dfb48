/* EC2 filters: see include/ec2lite/filter.h. */
#include "ec2lite/filter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ec2lite/util.h"

static const struct filter_field *field_for(const struct filter_field *fields, const char *name)
{
	for (; fields->name; fields++)
		if (strcmp(fields->name, name) == 0)
			return fields;
	return NULL;
}

static bool is_tag_filter(const char *name)
{
	return strncmp(name, "tag:", 4) == 0 || strcmp(name, "tag-key") == 0 ||
	       strcmp(name, "tag-value") == 0;
}

/* filter_validate and filter_validate_untagged: tags says whether tag filters are known. */
static int validate(json_object *filters, const struct filter_field *fields, bool tags,
		    struct ec2_error *err)
{
	size_t i, n = filters ? json_object_array_length(filters) : 0;

	for (i = 0; i < n; i++) {
		json_object *f = json_object_array_get_idx(filters, i);
		const char *name = req_string(f, "Name");
		json_object *values = req_list(f, "Values");

		if (!name || !*name) {
			ec2_error_set(err, EC2_ERR_INVALID_PARAMETER,
				      "The filter 'null' is invalid");
			return -1;
		}
		if (!field_for(fields, name) && !(tags && is_tag_filter(name))) {
			ec2_error_set(err, EC2_ERR_INVALID_PARAMETER,
				      "The filter '%s' is invalid", name);
			return -1;
		}
		if (!values || json_object_array_length(values) == 0) {
			ec2_error_set(err, EC2_ERR_INVALID_PARAMETER,
				      "The filter '%s' has no values", name);
			return -1;
		}
	}
	return 0;
}

int filter_validate(json_object *filters, const struct filter_field *fields,
		    struct ec2_error *err)
{
	return validate(filters, fields, true, err);
}

int filter_validate_untagged(json_object *filters, const struct filter_field *fields,
			     struct ec2_error *err)
{
	return validate(filters, fields, false, err);
}

json_object *json_path(json_object *obj, const char *path)
{
	char *copy = strdup(path), *save = NULL, *part;
	json_object *cur = obj;

	if (!copy)
		abort();
	for (part = strtok_r(copy, ".", &save); part && cur; part = strtok_r(NULL, ".", &save))
		if (!json_object_is_type(cur, json_type_object) ||
		    !json_object_object_get_ex(cur, part, &cur))
			cur = NULL;
	free(copy);
	return cur;
}

bool filter_wildcard(const char *pattern, const char *s)
{
	const char *star = NULL, *resume = NULL;
	size_t step;

	/* EC2's wildcards: '*' any run, '?' one character, '\' makes the next one literal; there
	 * are no bracket classes (fnmatch's "[a]" would be one, EC2 reads it as it stands). */
	while (*s) {
		if (*pattern == '*') {
			star = ++pattern;
			resume = s;
			continue;
		}
		/* "?" takes any one character; a backslash makes the next character itself. */
		step = *pattern == '\\' && pattern[1] ? 2 : 1;
		if (*pattern && (*pattern == '?' || pattern[step - 1] == *s)) {
			pattern += step;
			s++;
			continue;
		}
		if (!star)
			return false;
		pattern = star;
		s = ++resume;
	}
	while (*pattern == '*')
		pattern++;
	return *pattern == '\0';
}

static bool scalar_matches(json_object *v, json_object *values)
{
	const char *s;
	size_t i, n = json_object_array_length(values);
	char num[64];

	if (!v || json_object_is_type(v, json_type_null))
		return false;
	/* Booleans read "true"/"false", integers in decimal, and doubles as short as they print
	 * (2.3, not json-c's 2.2999999999999998). */
	if (json_object_is_type(v, json_type_double)) {
		snprintf(num, sizeof(num), "%.15g", json_object_get_double(v));
		s = num;
	} else {
		s = json_object_get_string(v);
	}
	for (i = 0; i < n; i++)
		if (filter_wildcard(json_object_get_string(json_object_array_get_idx(values, i)), s))
			return true;
	return false;
}

/* Walks path from obj; where a step meets an array, any element may match. */
static bool path_matches(json_object *obj, const char *path, json_object *values)
{
	const char *dot;
	char key[128];
	json_object *next;
	size_t i, len;

	if (json_object_is_type(obj, json_type_array)) {
		for (i = 0; i < json_object_array_length(obj); i++)
			if (path_matches(json_object_array_get_idx(obj, i), path, values))
				return true;
		return false;
	}
	if (!*path)
		return scalar_matches(obj, values);
	if (!json_object_is_type(obj, json_type_object))
		return false;
	dot = strchr(path, '.');
	len = dot ? (size_t)(dot - path) : strlen(path);
	if (len >= sizeof(key))
		return false;
	memcpy(key, path, len);
	key[len] = '\0';
	if (!json_object_object_get_ex(obj, key, &next))
		return false;
	return path_matches(next, dot ? dot + 1 : "", values);
}

static bool tag_matches(json_object *obj, const char *name, json_object *values)
{
	json_object *tags;
	size_t i;

	if (!json_object_object_get_ex(obj, "Tags", &tags))
		return false;
	for (i = 0; i < json_object_array_length(tags); i++) {
		json_object *tag = json_object_array_get_idx(tags, i), *k, *v;

		if (!json_object_object_get_ex(tag, "Key", &k) ||
		    !json_object_object_get_ex(tag, "Value", &v))
			continue;
		if (strcmp(name, "tag-key") == 0 && scalar_matches(k, values))
			return true;
		if (strcmp(name, "tag-value") == 0 && scalar_matches(v, values))
			return true;
		if (strncmp(name, "tag:", 4) == 0 && strcmp(json_object_get_string(k), name + 4) == 0 &&
		    scalar_matches(v, values))
			return true;
	}
	return false;
}

bool filter_match(json_object *obj, json_object *filters, const struct filter_field *fields)
{
	return filter_match_in(obj, NULL, filters, fields);
}

bool filter_match_in(json_object *obj, json_object *parent, json_object *filters,
		     const struct filter_field *fields)
{
	size_t i, n = filters ? json_object_array_length(filters) : 0;

	for (i = 0; i < n; i++) {
		json_object *f = json_object_array_get_idx(filters, i);
		const char *name = req_string(f, "Name");
		json_object *values = req_list(f, "Values");
		const struct filter_field *field = field_for(fields, name);
		bool ok;

		if (!field)
			ok = tag_matches(obj, name, values);
		else if (!field->path)
			ok = false; /* EC2 knows it; nothing here ever carries it */
		else if (strncmp(field->path, "../", 3) == 0)
			ok = parent && path_matches(parent, field->path + 3, values);
		else
			ok = path_matches(obj, field->path, values);

		if (!ok)
			return false;
	}
	return true;
}
