/* EC2's Filters (Name + Values) over described objects.
 *
 * A filter matches when any of its values matches (values may use EC2's wildcards * and ?); an
 * object matches when every filter matches. Each describe action names its filters in a table
 * that maps a filter name to a dotted path in the described object; a path through an array
 * matches any element. "tag:KEY", "tag-key" and "tag-value" look in the object's Tags. */
#ifndef EC2LITE_FILTER_H
#define EC2LITE_FILTER_H

#include <json-c/json.h>
#include <stdbool.h>

#include "ec2lite/error.h"

struct filter_field {
	const char *name; /* the filter name, e.g. "instance-state-name" */
	const char *path; /* where it looks, e.g. "State.Name"; "../OwnerId" looks in the parent
			   * object given to filter_match_in (DescribeInstances: the reservation);
			   * NULL: a filter EC2 documents on an attribute nothing here carries,
			   * which therefore matches nothing */
};

/* Checks that every filter has a Name the table knows (or a tag filter) and at least one value.
 * filters may be NULL. Fails with InvalidParameterValue. */
int filter_validate(json_object *filters, const struct filter_field *fields,
		    struct ec2_error *err);

/* filter_validate for a describe whose objects carry no tags, where EC2 documents no tag
 * filter: "tag:KEY", "tag-key" and "tag-value" are invalid names too unless fields names them. */
int filter_validate_untagged(json_object *filters, const struct filter_field *fields,
			     struct ec2_error *err);

/* True when obj passes all filters (NULL filters: true). Call filter_validate first. */
bool filter_match(json_object *obj, json_object *filters, const struct filter_field *fields);

/* filter_match where paths "../X" read X in parent (which may be NULL: they match nothing). */
bool filter_match_in(json_object *obj, json_object *parent, json_object *filters,
		     const struct filter_field *fields);

/* EC2's wildcard match of a whole string: '*' any run, '?' one character, '\' escapes. */
bool filter_wildcard(const char *pattern, const char *s);

/* The value at a dotted path (borrowed), or NULL. Does not descend into arrays. */
json_object *json_path(json_object *obj, const char *path);

#endif
