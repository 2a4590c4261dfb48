/* Golden images (src/model/golden.c): CreateImage of an instance (stopped; rebooted; or live, by a
 * block copy with NoReboot), the sysprep of the copy, and CopyImage.
 *
 * CreateImage answers at once with the pending image; the work (copy, clean-up, registration) is
 * ec2_create_image_run's, which a front end runs in the background: the image turns available, or
 * failed with a reason and no files left. The work holds a claim, an flock'd
 * <state-dir>/jobs/<ami>.lock, for its life, so that its death is seen at once (imagejob.h). */
#ifndef EC2LITE_GOLDEN_H
#define EC2LITE_GOLDEN_H

#include <json-c/json.h>
#include <stdbool.h>

#include "ec2lite/ec2.h"
#include "ec2lite/error.h"
#include "ec2lite/imagejob.h"

/* CreateImage: InstanceId, Name (required), Description, NoReboot, TagSpecifications. Returns
 * {ImageId} of a new pending image and leaves its job claimed in ctx (ec2_image_job_take); the
 * instance is marked (pending-op "image...") so that it is not started, stopped or imaged until
 * the work ends, and without NoReboot a running instance is shut down for the copy. Errors:
 * MissingParameter, InvalidInstanceID.Malformed/NotFound, InvalidAMIName.Malformed/Duplicate,
 * InvalidParameterValue, IncorrectInstanceState (neither running nor stopped, or being imaged),
 * DryRunOperation. Changes state: the pending image record and the instance's mark. */
json_object *ec2_create_image(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err);

/* The work on image_id: copies the instance's disk, cleans it (sysprep), registers it and gives
 * the instance back. job_fd is the job's claim (from ec2_image_job_take; it is closed when the
 * work ends), or -1 to claim it here. 0 when the image is available; -1 with err when it failed
 * (its record then says why and its files are gone), or when another worker holds the claim
 * (IncorrectInstanceState). Long: run it in the background. */
int ec2_create_image_run(struct ec2_ctx *ctx, const char *image_id, int job_fd,
			 struct ec2_error *err);

/* CopyImage: SourceImageId, Name (required), Description, SourceRegion (this region only).
 * Copies an available image's disk (and kernel) into a new image and returns {ImageId}; the copy
 * is made before it returns. Errors: MissingParameter, InvalidAMIID.Malformed/NotFound/Unavailable,
 * InvalidAMIName.Malformed/Duplicate, InvalidParameterValue (another region), InternalError,
 * DryRunOperation.
 * Changes state: a new image in the pool and the catalog. */
json_object *ec2_copy_image(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err);

#endif
