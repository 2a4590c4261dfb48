/* libguestfs handles: see include/ec2lite/gfs.h. */
#include "ec2lite/gfs.h"

#include <stdlib.h>
#include <string.h>

#include "ec2lite/util.h"

static void progress(guestfs_h *g, void *opaque, uint64_t event, int handle, int flags,
		     const char *buf, size_t buf_len, const uint64_t *array, size_t array_len)
{
	const struct ec2_progress *p = opaque;

	(void)g, (void)event, (void)handle, (void)flags, (void)buf, (void)buf_len;
	if (array_len >= 4 && array[3] && p && p->fraction)
		p->fraction(p->opaque, (double)array[2] / (double)array[3]);
}

guestfs_h *gfs_open(struct ec2_ctx *ctx, const struct ec2_progress *p, struct ec2_error *err)
{
	guestfs_h *g = guestfs_create_flags(GUESTFS_CREATE_NO_ENVIRONMENT);

	if (!g) {
		ec2_error_set(err, EC2_ERR_INTERNAL, "cannot create a libguestfs handle");
		return NULL;
	}
	guestfs_set_error_handler(g, NULL, NULL);
	guestfs_parse_environment(g);
	if (!getenv("LIBGUESTFS_BACKEND"))
		guestfs_set_backend(g, "direct");
	if (!getenv("LIBGUESTFS_BACKEND_SETTINGS") && ctx->accel.accel == EC2_ACCEL_TCG) {
		/* The bare flag, as LIBGUESTFS_BACKEND_SETTINGS=force_tcg gives it:
		 * guestfs_set_backend_setting(g, "force_tcg", "") makes launch fail with no
		 * message (libguestfs 1.48). */
		char *settings[] = { (char *)"force_tcg", NULL };

		guestfs_set_backend_settings(g, settings);
	}
	if (p)
		guestfs_set_event_callback(g, progress, GUESTFS_EVENT_PROGRESS, 0, (void *)p);
	return g;
}

int gfs_fail(guestfs_h *g, const char *what, struct ec2_error *err)
{
	const char *why = guestfs_last_error(g);

	ec2_error_set(err, EC2_ERR_INTERNAL, "%s: %s", what, why ? why : "libguestfs failed");
	return -1;
}

char *gfs_datasource_list(char **lines)
{
	char *found = NULL;
	size_t i;

	for (i = 0; lines && lines[i]; i++) {
		const char *v;

		if (strncmp(lines[i], "datasource_list:", 16) != 0)
			continue;
		free(found);
		v = lines[i] + 16;
		while (*v == ' ' || *v == '\t')
			v++;
		if (*v && *v != '#') {
			found = strdup(v);
		} else {
			struct util_buf b = { 0 };

			util_buf_puts(&b, "");
			while (lines[i + 1] && strspn(lines[i + 1], " \t") < strlen(lines[i + 1]) &&
			       lines[i + 1][strspn(lines[i + 1], " \t")] == '-') {
				util_buf_puts(&b, lines[++i]);
				util_buf_puts(&b, ",");
			}
			found = b.s;
		}
	}
	return found;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int gfs_cloud_init_nocloud(guestfs_h *g)
{
	char **names, *list = NULL;
	size_t n = 0, i;
	int rc;

	if (guestfs_is_file(g, "/etc/cloud/cloud.cfg") != 1)
		return -1;
	{
		char **lines = guestfs_read_lines(g, "/etc/cloud/cloud.cfg");

		list = gfs_datasource_list(lines);
		for (i = 0; lines && lines[i]; i++)
			free(lines[i]);
		free(lines);
	}
	/* The .cfg files of cloud.cfg.d in their names' order: a later list replaces an earlier. */
	names = guestfs_is_dir(g, "/etc/cloud/cloud.cfg.d") == 1 ?
			guestfs_ls(g, "/etc/cloud/cloud.cfg.d") : NULL;
	while (names && names[n])
		n++;
	if (n)
		qsort(names, n, sizeof(*names), by_name);
	for (i = 0; i < n; i++) {
		size_t len = strlen(names[i]);

		if (len > 4 && strcmp(names[i] + len - 4, ".cfg") == 0) {
			char *path = util_strdupf("/etc/cloud/cloud.cfg.d/%s", names[i]);
			char **lines = guestfs_is_file(g, path) == 1 ? guestfs_read_lines(g, path) : NULL;
			char *l = gfs_datasource_list(lines);
			size_t k;

			if (l) {
				free(list);
				list = l;
			}
			for (k = 0; lines && lines[k]; k++)
				free(lines[k]);
			free(lines);
			free(path);
		}
		free(names[i]);
	}
	free(names);
	/* No list: cloud-init's own default, which has NoCloud. */
	rc = !list || strstr(list, "NoCloud") ? 1 : 0;
	free(list);
	return rc;
}
