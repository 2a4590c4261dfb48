/* The NoCloud seed ISO: see include/ec2lite/seed.h. */
#include "ec2lite/seed.h"

/* No libburn here: libisofs then carries its own copy of struct burn_source. */
#define LIBISOFS_WITHOUT_LIBBURN 1
#include <libisofs.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ec2lite/util.h"

char *seed_meta_data(const char *instance_id, const char *hostname, json_object *public_keys)
{
	size_t i, n = public_keys ? json_object_array_length(public_keys) : 0;
	char *out = util_strdupf("instance-id: %s\nlocal-hostname: %s\n", instance_id, hostname);

	if (n) {
		char *more = util_strdupf("%spublic-keys:\n", out);

		free(out);
		out = more;
	}
	for (i = 0; i < n; i++) {
		/* A YAML single-quoted scalar: the only escape is '' for '. */
		const char *key = json_object_get_string(json_object_array_get_idx(public_keys, i));
		size_t len = strlen(out), k;
		char *more = malloc(len + 2 * strlen(key) + 8);

		if (!more)
			abort();
		memcpy(more, out, len);
		memcpy(more + len, "  - '", 5);
		len += 5;
		for (k = 0; key[k]; k++) {
			if (key[k] == '\'')
				more[len++] = '\'';
			if (key[k] != '\n')
				more[len++] = key[k];
		}
		memcpy(more + len, "'\n", 3);
		free(out);
		out = more;
	}
	return out;
}

static bool iso_ready;

static int add_file(IsoDir *root, const char *name, const char *data, size_t len)
{
	unsigned char *copy = malloc(len ? len : 1); /* the stream takes ownership */
	IsoStream *stream;
	int rc;

	if (!copy)
		abort();
	memcpy(copy, data, len);
	rc = iso_memory_stream_new(copy, len, &stream);
	if (rc < 0) {
		free(copy);
		return rc;
	}
	/* The new file takes over our reference to the stream. */
	rc = iso_tree_add_new_file(root, name, stream, NULL);
	if (rc < 0)
		iso_stream_unref(stream);
	return rc;
}

int seed_write(const char *path, const char *user_data, size_t user_data_len,
	       const char *meta_data, struct ec2_error *err)
{
	IsoImage *image = NULL;
	IsoWriteOpts *opts = NULL;
	struct burn_source *burn = NULL;
	unsigned char *iso = NULL;
	size_t len = 0, cap = 0;
	int rc = -1, n;

	if (!iso_ready) {
		if (iso_init() < 0) {
			ec2_error_set(err, EC2_ERR_INTERNAL, "cannot initialise libisofs");
			return -1;
		}
		iso_set_msgs_severities("NEVER", "NEVER", "ec2-lite");
		iso_ready = true;
	}
	if (iso_image_new("cidata", &image) < 0)
		goto fail;
	iso_image_set_volume_id(image, "cidata");
	if (add_file(iso_image_get_root(image), "user-data", user_data ? user_data : "",
		     user_data ? user_data_len : 0) < 0 ||
	    add_file(iso_image_get_root(image), "meta-data", meta_data, strlen(meta_data)) < 0)
		goto fail;
	/* Rock Ridge and Joliet keep the lower-case names cloud-init looks for. */
	if (iso_write_opts_new(&opts, 0) < 0)
		goto fail;
	iso_write_opts_set_rockridge(opts, 1);
	iso_write_opts_set_joliet(opts, 1);
	if (iso_image_create_burn_source(image, opts, &burn) < 0)
		goto fail;
	/* A seed is small (user-data is at most 16 KiB): gather it, then write it atomically. */
	for (;;) {
		if (cap - len < 2048) {
			cap = cap ? cap * 2 : 64 * 2048;
			iso = realloc(iso, cap);
			if (!iso)
				abort();
		}
		n = burn->read_xt(burn, iso + len, 2048);
		if (n != 2048)
			break;
		len += 2048;
	}
	if (n < 0)
		goto fail;
	/* User data and keys: not world-readable. QEMU reads the seed as a disk, which libvirt
	 * hands to QEMU's user (chown) when the guest starts. */
	rc = util_write_file_atomic(path, iso, len, 0600, err);
	goto out;
fail:
	ec2_error_set(err, EC2_ERR_INTERNAL, "cannot write the NoCloud seed '%s'", path);
out:
	free(iso);
	if (burn) {
		burn->free_data(burn);
		free(burn);
	}
	if (opts)
		iso_write_opts_free(opts);
	if (image)
		iso_image_unref(image);
	return rc;
}
