/* libFuzzer target: the NoCloud seed writer's inputs (src/host/seed.c). The first byte gives the number
 * of public keys (0-3); then come NUL-terminated strings: the instance id, the hostname and the
 * keys; the rest (at most EC2's 16 KiB) is the user-data. seed_meta_data must give one line per
 * item (a key's newlines never start a line of its own), and seed_write must write an ISO that
 * holds both files' bytes as they were given, without crashing, leaking or reading out of
 * bounds. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ec2lite/seed.h"
#include "ec2lite/util.h"

static char *dir, *path;

static void cleanup(void)
{
	unlink(path);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char tmpl[] = "/dev/shm/fuzz_seed.XXXXXX";

	(void)argc;
	(void)argv;
	if (!mkdtemp(tmpl))
		abort();
	dir = strdup(tmpl);
	path = util_strdupf("%s/seed.iso", dir);
	atexit(cleanup);
	return 0;
}

/* The next NUL-terminated string of data, or NULL when none is left. */
static char *next(const uint8_t **data, size_t *size)
{
	const uint8_t *nul = memchr(*data, 0, *size);
	char *s;

	if (!nul)
		return NULL;
	s = strdup((const char *)*data);
	*size -= (size_t)(nul - *data) + 1;
	*data = nul + 1;
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *id = NULL, *host = NULL, *key, *meta = NULL, *iso = NULL;
	json_object *keys = json_object_new_array();
	struct ec2_error err = { 0 };
	size_t nkeys, i, lines = 0, len = 0;

	if (size < 1)
		goto out;
	nkeys = data[0] % 4;
	data++;
	size--;
	if (!(id = next(&data, &size)) || !(host = next(&data, &size)))
		goto out;
	for (i = 0; i < nkeys && (key = next(&data, &size)); i++) {
		json_object_array_add(keys, json_object_new_string(key));
		free(key);
	}
	nkeys = json_object_array_length(keys);
	if (size > EC2_USER_DATA_MAX)
		size = EC2_USER_DATA_MAX;
	meta = seed_meta_data(id, host, nkeys ? keys : NULL);
	for (i = 0; meta[i]; i++)
		lines += meta[i] == '\n';
	if (!strchr(id, '\n') && !strchr(host, '\n') && lines != 2 + (nkeys ? 1 + nkeys : 0))
		abort(); /* a key's text broke out of its line */
	if (seed_write(path, (const char *)data, size, meta, &err) < 0)
		abort();
	iso = util_read_file(path, &len, NULL);
	if (!iso || (size && !memmem(iso, len, data, size)) || !memmem(iso, len, meta, strlen(meta)))
		abort(); /* the seed does not hold the files as given */
	unlink(path);
out:
	free(id);
	free(host);
	free(meta);
	free(iso);
	json_object_put(keys);
	return 0;
}
