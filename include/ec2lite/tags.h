/* Tags (src/model/tags.c): CreateTags, DeleteTags and DescribeTags over the resources that carry
 * them here: instances (i-, in their domain's metadata), and in the store AMIs (ami-), security
 * groups (sg-), key pairs (key-), Elastic IPs (eipalloc-; address.h) and the default VPC's
 * resources (vpc-, subnet-, igw-, rtb-, acl-; vpc.h). Keys starting
 * with "aws:" or "ec2-lite:" are the system's (ec2-lite's read-only tags such as
 * ec2-lite:accelerator) and cannot be set or removed. */
#ifndef EC2LITE_TAGS_H
#define EC2LITE_TAGS_H

#include <json-c/json.h>

#include "ec2lite/ec2.h"
#include "ec2lite/error.h"

#define EC2_TAGS_MAX 50 /* tags per resource, as EC2 */

/* CreateTags: Resources (ids of any resource above) and Tags [{Key, Value}], both
 * required. Sets the tags on every resource (a key it has already gets the new value); every
 * resource must exist and every tag pass tag_check before anything is set. Returns {}. Errors:
 * MissingParameter, InvalidID (an id of a kind that carries no tags here),
 * InvalidInstanceID.NotFound, InvalidAMIID.NotFound, InvalidGroup.NotFound,
 * InvalidKeyPair.NotFound, InvalidAllocationID.NotFound, the default VPC's
 * (InvalidVpcID.NotFound, InvalidSubnetID.NotFound, ...), InvalidParameterValue (a tag),
 * TagLimitExceeded (more than EC2_TAGS_MAX), DryRunOperation. Changes state: the domains' metadata
 * and the store. */
json_object *ec2_create_tags(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err);
/* DeleteTags: Resources (required) and Tags: a tag with a Value is removed only when its value
 * matches, one without a Value whatever its value, and no Tags removes every tag but the
 * system's (ec2-lite:...). Returns {}. Errors: as CreateTags. Changes state as CreateTags. */
json_object *ec2_delete_tags(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err);
/* DescribeTags: Filters (key, value, resource-id, resource-type), MaxResults/NextToken. Returns
 * {Tags: [{Key, ResourceId, ResourceType, Value}]} of live instances, registered images, security
 * groups and the default VPC's resources, by resource. Errors: InvalidParameterValue (a filter, the
 * paging). Changes nothing. */
json_object *ec2_describe_tags(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err);

/* Checks one tag as EC2 does: a key of 1-128 characters not starting with aws: or ec2-lite:, a
 * value of at most 256 (value may be NULL). InvalidParameterValue otherwise. */
int tag_check(const char *key, const char *value, struct ec2_error *err);

/* The tags of the TagSpecifications in req for resource type (e.g. "instance"), as a new array
 * of {"Key","Value"}; other types in allowed (a NULL-terminated list) are accepted and skipped,
 * any other is refused. NULL with err on a bad tag or type. */
json_object *tag_specs(json_object *req, const char *type, const char *const *allowed,
		       struct ec2_error *err);

#endif
