/* libguestfs handles: see include/ec2lite/gfs.h. */
#include "ec2lite/gfs.h"

#include <stdlib.h>

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
