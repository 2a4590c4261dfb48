/* libFuzzer target: the Signature Version 2 checker. The input is split at NUL bytes into the
 * method, the Host header, the path and the parameters (a form, parsed as the server parses
 * it); the check must never crash, leak or read out of bounds, and must never accept (the fuzzer
 * does not know the secret). The signer runs over the same request too. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct api_key keys[] = { { "AKIDFUZZ", "secret", NULL },
					       { "AKIDUSER", "secret2", "fuzz" } };
	char *copy = malloc(size + 1), *part[4] = { "", "", "", "" };
	struct api_header h[1];
	struct api_http_request r;
	struct api_params p = { 0 };
	struct ec2_error err = { 0 };
	size_t i, k = 0, start = 0;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	for (i = 0; i <= size && k < 4; i++)
		if (i == size || copy[i] == '\0') {
			copy[i] = '\0';
			part[k++] = copy + start;
			start = i + 1;
		}
	h[0] = (struct api_header){ "Host", part[1] };
	r = (struct api_http_request){ part[0], part[2], "", h, 1, NULL, 0 };
	if (api_params_parse(&p, part[3], strlen(part[3]), &err) == 0) {
		free(api_sigv2_sign(&r, &p, "secret"));
		api_sigv2_used(&p);
		if (api_sigv2_check(&r, &p, keys, 2, 1764670500, NULL, &err) == 0)
			abort(); /* accepted a signature without the secret */
	}
	api_params_free(&p);
	free(copy);
	return 0;
}
