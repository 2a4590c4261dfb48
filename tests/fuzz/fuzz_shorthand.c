/* libFuzzer target: the aws CLI shorthand parser (src/cli/shorthand.c) and its JSON form. Whatever the
 * text, parsing must not crash, leak or read out of bounds; it gives an object or (JSON only) an
 * array, or fails with InvalidParameterValue. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ec2lite/shorthand.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct ec2_error err = { 0 };
	json_object *o;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	o = shorthand_parse(text, &err);
	if (o) {
		if (!json_object_is_type(o, json_type_object) &&
		    !(json_object_is_type(o, json_type_array) && (text[strspn(text, " ")] == '[')))
			abort(); /* neither an object nor a JSON array */
		json_object_to_json_string(o);
		json_object_put(o);
	} else if (strcmp(err.code, "InvalidParameterValue") != 0) {
		abort(); /* a failure without EC2's error */
	}
	free(text);
	return 0;
}
