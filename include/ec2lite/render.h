/* Renders a response object as the aws CLI does for --output json, text and table. The result is
 * a new string (caller frees); an empty response renders as "" (the aws CLI prints nothing). */
#ifndef EC2LITE_RENDER_H
#define EC2LITE_RENDER_H

#include <json-c/json.h>

enum render_format {
	RENDER_JSON,
	RENDER_TEXT,
	RENDER_TABLE,
};

/* title names the table (the EC2 action, e.g. "DescribeInstances"); only table output uses it. */
char *render(json_object *obj, enum render_format fmt, const char *title);

#endif
