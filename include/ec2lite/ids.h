/* EC2 resource ids: a prefix, a dash and hex digits ("i-0a1b2c3d4e5f67890"). */
#ifndef EC2LITE_IDS_H
#define EC2LITE_IDS_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "ec2lite/error.h"

#define EC2_ID_MAX 32 /* room for the longest id ("ami-" + 17 hex) and its NUL */

/* Writes a new random id, prefix + "-" + 17 lowercase hex digits, into out (EC2_ID_MAX bytes).
 * Uses the kernel's random source; fails only if that fails. */
int ec2_id_new(const char *prefix, char *out, struct ec2_error *err);

/* True when id has the form EC2 accepts for prefix: prefix-, then 8 or 17 lowercase hex digits. */
bool ec2_id_valid(const char *prefix, const char *id);

/* Checks every string in ids (an array, or NULL) with ec2_id_valid; fails with code and EC2's
 * message for the first malformed one. */
int ec2_ids_check(json_object *ids, const char *prefix, const char *code, struct ec2_error *err);

#endif
