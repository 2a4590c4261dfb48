/* EC2 resource ids: see include/ec2lite/ids.h. */
#include "ec2lite/ids.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

int ec2_id_new(const char *prefix, char *out, struct ec2_error *err)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char bytes[17];
	size_t len = strlen(prefix), i;

	if (len + 1 + 17 + 1 > EC2_ID_MAX) {
		ec2_error_set(err, EC2_ERR_INTERNAL, "id prefix '%s' is too long", prefix);
		return -1;
	}
	if (getrandom(bytes, sizeof(bytes), 0) != (ssize_t)sizeof(bytes)) {
		ec2_error_set_errno(err, errno, "cannot read random bytes");
		return -1;
	}
	memcpy(out, prefix, len);
	out[len++] = '-';
	for (i = 0; i < sizeof(bytes); i++)
		out[len++] = hex[bytes[i] & 0xf];
	out[len] = '\0';
	return 0;
}

bool ec2_id_valid(const char *prefix, const char *id)
{
	size_t plen = strlen(prefix), n = 0;
	const char *p;

	if (!id || strncmp(id, prefix, plen) != 0 || id[plen] != '-')
		return false;
	for (p = id + plen + 1; *p; p++, n++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return n == 8 || n == 17;
}

int ec2_ids_check(json_object *ids, const char *prefix, const char *code, struct ec2_error *err)
{
	size_t i, n = ids ? json_object_array_length(ids) : 0;

	for (i = 0; i < n; i++) {
		const char *id = json_object_get_string(json_object_array_get_idx(ids, i));

		if (!ec2_id_valid(prefix, id)) {
			ec2_error_set(err, code, "Invalid id: \"%s\" (expecting \"%s-...\")", id, prefix);
			return -1;
		}
	}
	return 0;
}
