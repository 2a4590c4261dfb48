/* Image jobs: the work that turns a pending image available or failed (CreateImage's copy and
 * clean-up, CopyImage, ImportImage), and the one answer to "does that work still go on?".
 *
 * A job's life is told by a lock, never by a pid (which another process may have by now): its
 * claim is an flock on <state-dir>/jobs/<ami>.lock, held from before the pending image is
 * written until the work ends, first by the front end that asked and then by the worker it hands
 * the claim to; the kernel drops it when the holder dies, however it dies. The image catalog
 * (the store) says whether the image is still pending; the instance an image is made of says so
 * in its metadata (pending-op, pending-image). This module reads the first and the lock, so that
 * images, golden images and instances all ask it and none of them asks another. */
#ifndef EC2LITE_IMAGEJOB_H
#define EC2LITE_IMAGEJOB_H

#include <stdbool.h>

#include "ec2lite/error.h"

struct ec2_ctx;

/* Claims the work on image_id for this process and returns the claim, a descriptor held for as
 * long as it stays open. -1 with err IncorrectInstanceState when a live worker holds it already,
 * or InternalError when the lock cannot be made. */
int ec2_image_job_claim(struct ec2_ctx *ctx, const char *image_id, struct ec2_error *err);

/* The claim of the job that the last successful ec2_create_image began (a descriptor the caller
 * now owns: the worker holds it for its life; closing it lets the job be seen dead), or -1. The
 * claim is taken before the pending image is written, so no process ever sees a job that nobody
 * holds: a front end that dies before its worker runs leaves an image that is failed at once. */
int ec2_image_job_take(struct ec2_ctx *ctx);

/* Keeps job (a claim, or -1) as the one ec2_image_job_take hands out next; a claim kept before
 * and never taken is closed: nobody will work on it. */
void ec2_image_job_keep(struct ec2_ctx *ctx, int job);

/* Whether the work on image_id still goes on: the image is pending and its job's lock is held.
 * A worker that died is seen at once. An image whose lock was never made (written by an older
 * ec2-lite) counts as alive for a minute after its creation. Never fails: an image that cannot
 * be read is not alive. */
bool ec2_image_job_alive(struct ec2_ctx *ctx, const char *image_id);

/* The job of image_id is over (the image is available or failed): its lock file goes. */
void ec2_image_job_end(struct ec2_ctx *ctx, const char *image_id);

#endif
