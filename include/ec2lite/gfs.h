/* libguestfs handles for the model's image work (build, import, and later sysprep). */
#ifndef EC2LITE_GFS_H
#define EC2LITE_GFS_H

#include <guestfs.h>

#include "ec2lite/ec2.h"
#include "ec2lite/error.h"
#include "ec2lite/image.h"

/* A handle that reports errors to us instead of stderr, on the backend that works here: the
 * direct backend, with TCG when guests run under TCG (LIBGUESTFS_BACKEND and
 * LIBGUESTFS_BACKEND_SETTINGS in the environment override both). Long operations report their
 * progress to p->fraction. Close with guestfs_close. */
guestfs_h *gfs_open(struct ec2_ctx *ctx, const struct ec2_progress *p, struct ec2_error *err);

/* Fills err with what libguestfs last said, prefixed by what; returns -1. */
int gfs_fail(guestfs_h *g, const char *what, struct ec2_error *err);

/* Whether the mounted guest's cloud-init looks for a NoCloud seed: 1 when its datasource_list
 * (cloud.cfg, then the .cfg files of cloud.cfg.d in order; the last list counts) names NoCloud
 * or none is set, 0 when the list leaves NoCloud out (an image for EC2's datasource, which reads
 * IMDS), -1 when the guest has no cloud-init. */
int gfs_cloud_init_nocloud(guestfs_h *g);

/* The datasource_list one cloud-init config file sets (its lines, a NULL-ended array, borrowed):
 * a new string holding the names, or NULL when it sets none. Both of YAML's forms:
 * "datasource_list: [ A, B ]" and a block of "- A" lines under "datasource_list:". */
char *gfs_datasource_list(char **lines);

#endif
