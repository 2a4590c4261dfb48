/* libFuzzer target: the Query request parser. The first byte picks the action, the rest is a
 * form body; whatever it holds, parsing must not crash, leak or read out of bounds (ASan, UBSan),
 * and a request it accepts must serialise as JSON. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct api_params p = { 0 };
	struct ec2_error err = { 0 };
	const struct api_action *a;
	size_t nactions = 0;
	json_object *req;

	if (size < 1)
		return 0;
	while (api_actions[nactions].name)
		nactions++;
	a = &api_actions[data[0] % nactions];
	if (api_params_parse(&p, (const char *)data + 1, size - 1, &err) == 0) {
		api_params_get(&p, "Action");
		req = api_request(a, &p, &err);
		if (req)
			json_object_to_json_string(req);
		json_object_put(req);
	}
	api_params_free(&p);
	return 0;
}
