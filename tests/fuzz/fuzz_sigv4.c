/* libFuzzer target: the Signature Version 4 checker. The input is split at NUL bytes into the
 * Authorization header, the X-Amz-Date header, the Host header, the query string and the body;
 * the check must never crash or read out of bounds, and must never accept (the fuzzer does not
 * know the secret). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct api_key keys[] = { { "AKIDFUZZ", "secret", NULL } };
	char *copy = malloc(size + 1), *part[5] = { "", "", "", "", "" };
	struct api_header h[3];
	struct api_http_request r;
	struct ec2_error err = { 0 };
	size_t i, k = 0, start = 0;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	for (i = 0; i <= size && k < 5; i++)
		if (i == size || copy[i] == '\0') {
			copy[i] = '\0';
			part[k++] = copy + start;
			start = i + 1;
		}
	h[0] = (struct api_header){ "Authorization", part[0] };
	h[1] = (struct api_header){ "X-Amz-Date", part[1] };
	h[2] = (struct api_header){ "Host", part[2] };
	r = (struct api_http_request){ "POST", "/", part[3], h, 3, part[4], strlen(part[4]) };
	if (api_sigv4_check(&r, keys, 1, "us-east-1", "ec2", 1764670500, NULL, &err) == 0)
		abort(); /* accepted a signature without the secret */
	free(copy);
	return 0;
}
