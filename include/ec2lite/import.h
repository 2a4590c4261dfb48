/* ImportImage (src/model/import.c): a cloud image becomes one of your AMIs once libguestfs has
 * checked it. EC2 runs imports as tasks; here the check and the copy run within the call and the
 * task is recorded completed. */
#ifndef EC2LITE_IMPORT_H
#define EC2LITE_IMPORT_H

#include <json-c/json.h>
#include <stdbool.h>

#include "ec2lite/ec2.h"
#include "ec2lite/error.h"

/* ImportImage: DiskContainers (exactly one: Url s3://BUCKET/KEY, or file://PATH for the person
 * at the keyboard; Format RAW or QCOW2), Description. Checks the disk (a standalone image of that
 * format, holding an x86_64 operating system libguestfs recognises), copies it into the pool and
 * returns {ImportTaskId, ImageId, Status "completed", SnapshotDetails, ...}. Errors:
 * InvalidParameterValue (the container, the Url, or EC2's task messages such as "ClientError:
 * Unknown OS / Missing OS files."), InvalidAMIName.*, InternalError, DryRunOperation; a failure
 * registers nothing. Changes state: a new image and its task record. Long (libguestfs): the API
 * server runs it on a connection of its own. */
json_object *ec2_import_image(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err);

/* DescribeImportImageTasks: ImportTaskIds (all when absent). Returns {ImportImageTasks: [...]},
 * the task records ImportImage left; an unknown id is simply not listed. Errors: the store's
 * (InternalError). Changes nothing. */
json_object *ec2_describe_import_image_tasks(struct ec2_ctx *ctx, json_object *req,
					     struct ec2_error *err);

/* ImportImage's disk container Url as a local path (caller frees), or NULL with err
 * (InvalidParameterValue). s3://BUCKET/KEY is the file KEY in the folder BUCKET of import_dir
 * (the operator's "import-dir"): BUCKET an S3 bucket name, KEY '/'-separated components none
 * of which is empty, "." or "..", and no folder or file on the way a symbolic link, so that
 * nothing outside import_dir can be named. file://PATH is PATH itself, and only when !remote:
 * a client of the API never names a host path, the person at the keyboard may. */
char *ec2_import_resolve(const char *import_dir, const char *url, bool remote,
			 struct ec2_error *err);

#endif
