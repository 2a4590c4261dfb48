/* Images (src/model/image.c): the AMI catalog. RegisterImage, DescribeImages and DeregisterImage,
 * and inside the model the one way into the catalog (image_add, shared by RegisterImage,
 * ImportImage, CopyImage, CreateImage and the recipe builder). Records live in the store; disks
 * and kernels in the pool. */
#ifndef EC2LITE_IMAGE_H
#define EC2LITE_IMAGE_H

#include <json-c/json.h>
#include <stdbool.h>

#include "ec2lite/ec2.h"
#include "ec2lite/error.h"
#include "ec2lite/ids.h"

/* RegisterImage: Name (required), Description, and ec2-lite's own members that name host files:
 * DiskPath (a raw or standalone qcow2 disk), KernelPath, RamdiskPath, KernelArgs, KernelEntry.
 * Copies the disk (and kernel) into the pool and returns {ImageId} of a new available image owned
 * by you. A client of the API (ctx->remote) names no host file: UnknownParameter for those
 * members, InvalidParameterValue for the call (it imports with ImportImage). Other errors:
 * MissingParameter, InvalidAMIName.Malformed/Duplicate, InvalidParameterValue (the disk or
 * kernel), InternalError, DryRunOperation. Changes state: the catalog and the pool. */
json_object *ec2_register_image(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err);

/* DescribeImages: ImageIds, Owners (self, amazon, an account id), Filters. Returns {Images: [...]}
 * in EC2's Image shape, registered images only (pending and failed ones included, as EC2 shows
 * them), with MaxResults/NextToken paging. Errors: InvalidAMIID.Malformed/NotFound (an id asked
 * for that is not registered), InvalidParameterValue (a filter), InvalidParameterCombination
 * (ImageIds with MaxResults). A pending image whose worker died is made failed on the way; nothing
 * else changes. */
json_object *ec2_describe_images(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err);

/* DescribeImages in two halves, as DescribeInstances (instance.h), for a front end that keeps
 * the catalog between requests (the API server's view, src/api/view.c); ec2_describe_images is
 * its own checks, then both.
 * ec2_images_described: the catalog as DescribeImages reads it, after failing the pending images
 * whose work stopped (the one change it makes): a new object of every registered image (pending
 * and failed ones included, deregistered ones left out) by id, in the store's order, each in
 * EC2's Image shape without ec2-lite's private facts. NULL with err when the store cannot be
 * read.
 * ec2_describe_images_from: DescribeImages' answer to req from such an object (every check,
 * error, filter and page of ec2_describe_images, DryRun aside: ec2_action's wrapper honours it).
 * It reads ctx only for the configuration (the owner id), adds references to images' objects to
 * the response and lets filters read them (json-c caches strings in objects it reads): images
 * must be the caller's own, never shared with another thread. */
json_object *ec2_images_described(struct ec2_ctx *ctx, struct ec2_error *err);
json_object *ec2_describe_images_from(struct ec2_ctx *ctx, json_object *req, json_object *images,
				      struct ec2_error *err);

/* DeregisterImage: ImageId (required). Marks the image deregistered and returns {}; its files go
 * once no instance uses them (ec2_image_collect). Errors: MissingParameter,
 * InvalidAMIID.Malformed/NotFound, DryRunOperation. Changes state: the catalog, then the pool. */
json_object *ec2_deregister_image(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err);

/* For the model's own modules: the record of registered image image_id from the store (new
 * reference), or NULL with err InvalidAMIID.NotFound (or the store's error). Changes nothing. */
json_object *ec2_image_get(struct ec2_ctx *ctx, const char *image_id, struct ec2_error *err);

/* For the model's own modules: drops the records of deregistered images that no instance uses
 * any more and removes their files (best effort, no error). */
void ec2_image_collect(struct ec2_ctx *ctx);

struct image_source {
	const char *name;
	const char *description;
	const char *owner_alias;  /* "amazon" for built recipes (Quick Start); NULL: yours */
	const char *disk;         /* raw or qcow2, standalone */
	bool move;                /* rename the disk into the pool (a build's own output) */
	bool replace;             /* a same-named image of the same owner is deregistered */
	const char *kernel;       /* direct kernel boot: kept beside the disk */
	const char *initrd;
	const char *cmdline;
	bool no_pvh;              /* boot the bzImage even when its vmlinux has the PVH note */
	const char *recipe_hash;  /* what a rebuild compares */
	const char *consistency;  /* how a CreateImage copy was taken (the ec2-lite:consistency tag) */
	json_object *extra;       /* more private facts: [key, value, key, value ...] or NULL */
	json_object *request;     /* the EC2 request, whose DryRun is honoured (ec2_dry_run), or NULL */
	const char *id;           /* image_reserve: the id chosen already (a claimed job's), or NULL */
	const char *snapshot_id;  /* the root mapping's SnapshotId (RegisterImage of a snapshot), or
				   * NULL: a new id */
};

/* The record of an AMI whatever its state, deregistered too (new reference), or NULL: none, or
 * the store could not be read (err says so). ec2_image_get is the one of registered AMIs. */
json_object *image_any(struct ec2_ctx *ctx, const char *id, struct ec2_error *err);

/* A fact of an AMI record that clients never see (its base, kernel, boot mode ...), borrowed, or
 * NULL. */
const char *image_private(json_object *image, const char *key);

/* Reads the header of a disk that is to become an AMI: a regular file, raw or a standalone qcow2
 * (no backing file, no external data file: either would name another host file). format gets
 * "raw" or "qcow2", vsize the virtual size. Nothing else opens the file before this passed. */
int image_probe_disk(const char *path, char *format, size_t fsize, unsigned long long *vsize,
		     struct ec2_error *err);

/* Checks an AMI name (3-128 characters of EC2's set). */
int image_name_check(const char *name, struct ec2_error *err);

/* Takes src into the pool and the catalog at once (image_reserve, then image_complete);
 * {"ImageId": ...} or NULL. On failure nothing of it is left (a moved disk is removed).
 * For a dry run of src->request, both halves make their checks and stop at their first change:
 * NULL with DryRunOperation, or with the error it would have had. */
json_object *image_add(struct ec2_ctx *ctx, const struct image_source *src,
		       struct ec2_error *err);

/* The two halves of image_add, for images made in the background (CreateImage): a pending
 * record named src->name (unique among the owner's images unless src->replace) with a new id in
 * id; shown holds more members clients see (Tags, SourceInstanceId; borrowed, may be NULL);
 * vsize is the disk's size to be (0: not known yet). A dry run of src->request checks the name
 * and fails with DryRunOperation, recording nothing; so does image_complete after its checks of
 * the disk, kernel and ramdisk. */
int image_reserve(struct ec2_ctx *ctx, const struct image_source *src, unsigned long long vsize,
		  json_object *shown, char id[EC2_ID_MAX], struct ec2_error *err);
/* Takes src's disk (and kernel) into the pool for the pending image id and makes it available;
 * {"ImageId": ...} or NULL, with the pending record left for the caller to fail. */
json_object *image_complete(struct ec2_ctx *ctx, const char *id, const struct image_source *src,
			    struct ec2_error *err);
/* The pending image id failed: State "failed" with StateReason {code, message}, as EC2 leaves
 * it, and every file of it removed; with a NULL message the record goes too. */
void image_fail(struct ec2_ctx *ctx, const char *id, const char *code, const char *message);

/* Progress of long work, for a front end to show; every member may be NULL. */
struct ec2_progress {
	void (*step)(void *opaque, int index, int total, const char *what);
	void (*fraction)(void *opaque, double done); /* 0..1 within the current step */
	void (*line)(void *opaque, const char *text); /* output of a tool it runs */
	void *opaque;
};

#endif
