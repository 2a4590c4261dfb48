/* libFuzzer target: the port forwarder's table (forwarder.json), as the daemon, doctor's status and
 * the healing on describe read it (portfwd_table_parse). Whatever the JSON, reading must not crash
 * (json-c asserts on an array call made on what is not an array), leak or read out of bounds, and
 * every forward it gives has NUL-terminated addresses and ports that are 1-65535 or -1. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ec2lite/portfwd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_tokener *tok = json_tokener_new();
	struct portfwd_forward *fw;
	json_object *table;
	long long version;
	size_t n, i;

	if (!tok || size > 1 << 20)
		return 0;
	table = json_tokener_parse_ex(tok, (const char *)data, (int)size);
	fw = portfwd_table_parse(table, &version, &n);
	if ((n == 0) != (fw == NULL))
		abort();
	for (i = 0; i < n; i++) {
		if (!memchr(fw[i].listen, 0, sizeof(fw[i].listen)) ||
		    !memchr(fw[i].target, 0, sizeof(fw[i].target)))
			abort();
		if ((fw[i].port != -1 && (fw[i].port < 1 || fw[i].port > 65535)) ||
		    (fw[i].target_port != -1 && (fw[i].target_port < 1 || fw[i].target_port > 65535)))
			abort();
	}
	free(fw);
	json_object_put(table);
	json_tokener_free(tok);
	return 0;
}
