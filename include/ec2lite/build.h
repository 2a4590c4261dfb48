/* Building AMIs from the recipes in amis/ (src/model/build.c): the busybox and debootstrap
 * builders, registered as Quick Start images of owner "amazon". */
#ifndef EC2LITE_BUILD_H
#define EC2LITE_BUILD_H

#include <json-c/json.h>

#include "ec2lite/ec2.h"
#include "ec2lite/error.h"
#include "ec2lite/image.h"

/* BuildAmi (not an EC2 action: EC2's Quick Start AMIs are made by Amazon): builds the recipe
 * amis/<Recipe>.json and registers it as owner "amazon". Request keys: Recipe, Force. A second
 * build of an unchanged recipe is a no-op unless Force. Returns {"ImageId", "Name",
 * "Built": bool}; p (may be NULL) is told of each step. Errors: InvalidParameterValue (no such
 * recipe), InternalError (a builder or libguestfs failed: nothing is registered). Changes state:
 * the new image replaces an older build of the same recipe. Long: minutes. */
json_object *ec2_build_ami(struct ec2_ctx *ctx, json_object *req, const struct ec2_progress *p,
			   struct ec2_error *err);

#endif
