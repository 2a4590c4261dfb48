/* What volume.c and snapshot.c share (src/model only). */
#ifndef EC2LITE_VOLUME_INTERNAL_H
#define EC2LITE_VOLUME_INTERNAL_H

#include <json-c/json.h>
#include <libvirt/libvirt.h>
#include <stdbool.h>

#include "ec2lite/ec2.h"
#include "ec2lite/error.h"
#include "ec2lite/ids.h"

struct inst;

/* Every volume of this state folder, read once: the store (a snapshot of it), the instances,
 * and all: volume id -> {"Record": the store's record or a live root's, "Root": true for a live
 * instance's root, "InstanceId" and "Attachment" (EC2's VolumeAttachment) when attached}. */
struct vols {
	json_object *store;
	struct inst *insts;
	size_t n;
	json_object *all;
};
int vols_load(struct ec2_ctx *ctx, struct vols *vs, struct ec2_error *err);
void vols_free(struct vols *vs);
/* The entry of vid (borrowed), or NULL with MissingParameter / InvalidVolume.NotFound. */
json_object *vols_find(struct vols *vs, const char *vid, struct ec2_error *err);
/* The start of each change to one volume: the "volumes" lock (not for a DryRun, which writes
 * nothing), every volume loaded (*loaded), and vid's entry; NULL with the error. The caller's
 * clean-up frees vs when *loaded and unlocks *lock (-1: none). */
json_object *vols_open(struct ec2_ctx *ctx, json_object *req, const char *vid, struct vols *vs,
		       bool *loaded, int *lock, struct ec2_error *err);
/* The live instance iid of vs, or NULL. */
struct inst *vols_inst(struct vols *vs, const char *iid);

/* EC2's Volume object of a record and its attachment (NULL: none) (new reference). */
json_object *volume_json(json_object *rec, json_object *att);
/* Size, VolumeType, Iops, Throughput of req checked against EC2's limits (size at least min_gib)
 * and written into rec (what req leaves out is rec's, or EC2's default). */
int volume_spec(json_object *req, json_object *rec, long long min_gib, struct ec2_error *err);
/* The disk serial of a volume: its id without the dash. */
void volume_serial(const char *vid, char out[EC2_ID_MAX]);
/* The <disk> of pool volume name for volume vid at target (caller frees). */
char *volume_disk_xml(struct ec2_ctx *ctx, const char *name, const char *vid, const char *target,
		      struct ec2_error *err);
/* virDomainAttach/DetachDeviceFlags (the definition, and the running domain when live), or the
 * test hook. */
int volume_device_change(struct ec2_ctx *ctx, virDomainPtr dom, const char *xml, bool attach,
			 bool live);
/* Settles one instance's attachments left attaching/detaching (the lock held). */
bool volume_settle_inst(struct ec2_ctx *ctx, struct vols *vs, struct inst *in);
/* The capacity of pool volume name in GiB, rounded up; 0 when unknown. */
long long volume_pool_gib(struct ec2_ctx *ctx, const char *name);
/* Removes pool volume name (gone already is fine). */
int volume_pool_delete(struct ec2_ctx *ctx, const char *name, struct ec2_error *err);
/* Puts rec as the store's record of vid. */
int volume_record_put(struct ec2_ctx *ctx, const char *vid, json_object *rec,
		      struct ec2_error *err);

/* false with InvalidVolumeID.Malformed / InvalidSnapshotID.Malformed (EC2's words) when id is
 * not a well-formed id of its kind ("vol" or "snap"); NULL passes (the caller's MissingParameter). */
bool volume_id_ok(const char *kind, const char *id, struct ec2_error *err);

/* snapshot.c: removes the files of deleted snapshots no volume sits on any more, and snapshots
 * left pending by a dead process (the "volumes" lock held by the caller). */
void snapshot_collect(struct ec2_ctx *ctx);

#endif
