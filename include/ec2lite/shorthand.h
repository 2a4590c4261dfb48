/* The aws CLI's shorthand syntax for structured parameters, and JSON in its place:
 *   Name=instance-state-name,Values=running,stopped
 *   ResourceType=instance,Tags=[{Key=Name,Value=web},{Key=env,Value=dev}]
 *   Configured=true
 * A bare value after a key's value (",stopped" above) extends that key's value into a list; [..]
 * is a list, {..} a structure, and "..." or '...' quote a value that holds , = [ ] { }.
 * Text that starts with [ or { is read as JSON instead. All scalars come out as strings. */
#ifndef EC2LITE_SHORTHAND_H
#define EC2LITE_SHORTHAND_H

#include <json-c/json.h>

#include "ec2lite/error.h"

/* Parses text into a new object or (JSON only) array. Fails with InvalidParameterValue, naming
 * the position. */
json_object *shorthand_parse(const char *text, struct ec2_error *err);

#endif
