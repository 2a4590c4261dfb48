/* AMIs inside the model: adding one to the catalog (shared by RegisterImage, ImportImage and
 * the recipe builder), and building recipes. */
#ifndef EC2LITE_IMAGE_H
#define EC2LITE_IMAGE_H

#include <json-c/json.h>
#include <stdbool.h>

#include "ec2lite/ec2.h"
#include "ec2lite/error.h"
#include "ec2lite/ids.h"

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

/* ImportImage's disk container Url as a local path (caller frees), or NULL with err
 * (InvalidParameterValue). s3://BUCKET/KEY is the file KEY in the folder BUCKET of import_dir
 * (the operator's "import-dir"): BUCKET an S3 bucket name, KEY '/'-separated components none
 * of which is empty, "." or "..", and no folder or file on the way a symbolic link, so that
 * nothing outside import_dir can be named. file://PATH is PATH itself, and only when !remote:
 * a client of the API never names a host path, the person at the keyboard may. */
char *ec2_import_resolve(const char *import_dir, const char *url, bool remote,
			 struct ec2_error *err);

/* Progress of long work, for a front end to show; every member may be NULL. */
struct ec2_progress {
	void (*step)(void *opaque, int index, int total, const char *what);
	void (*fraction)(void *opaque, double done); /* 0..1 within the current step */
	void (*line)(void *opaque, const char *text); /* output of a tool it runs */
	void *opaque;
};

/* BuildAmi (not an EC2 action: EC2's Quick Start AMIs are made by Amazon): builds the recipe
 * amis/<Recipe>.json and registers it as owner "amazon". Request keys: Recipe, Force. A second
 * build of an unchanged recipe is a no-op unless Force. Returns {"ImageId", "Name",
 * "Built": bool}. */
json_object *ec2_build_ami(struct ec2_ctx *ctx, json_object *req, const struct ec2_progress *p,
			   struct ec2_error *err);

#endif
