/* EBS volumes and snapshots (src/model/volume.c, src/model/snapshot.c).
 *
 * A volume (vol-) is a qcow2 volume of the state folder's storage pool (<state-dir>/pool), sparse,
 * created empty or as a copy-on-write overlay on a snapshot. Its record is in the store's
 * "volumes" section: {VolumeId, Size (GiB), VolumeType, Iops, Throughput, AvailabilityZone,
 * CreateTime, Encrypted, SnapshotId, State (creating, available, deleting), Tags, ec2lite:
 * {Volume: its name in the pool, Image: the AMI whose base a kept root overlay sits on}}.
 * Whether it is attached is not in the store but in the instance it is attached to: the domain's
 * ec2-lite metadata lists its volumes (ec2_meta.volumes: device, target, state) and its domain XML
 * has the disk, whose serial is the volume id without its dash (EC2's NVMe serial). So a volume
 * is in-use exactly when a live instance lists it. An instance's root disk is a volume too: its
 * vol- id is in the metadata (root_volume_id); DescribeVolumes shows it attached at /dev/xvda, and
 * with DeleteOnTermination false (ec2_meta.root_keep) it stays after terminate as an available
 * volume of the store (its overlay keeps the AMI's base from being removed).
 *
 * Changes of volumes are serialised by the store's "volumes" lock. A change killed midway leaves
 * a transient state (a record "creating" or "deleting", an attachment "attaching" or "detaching")
 * that the next DescribeVolumes settles when the lock is free (volume_settle): a create is
 * undone, a delete finished, an attachment made what the domain's XML says it is.
 *
 * A snapshot (snap-) is a standalone qcow2 file of the pool (snap-....qcow2), a flattened copy of
 * its volume, independent of it; its record is in the store's "snapshots" section. */
#ifndef EC2LITE_VOLUME_H
#define EC2LITE_VOLUME_H

#include <json-c/json.h>
#include <stdbool.h>

#include "ec2lite/ec2.h"
#include "ec2lite/error.h"
#include "ec2lite/ids.h"

/* CreateVolume: Size (GiB), SnapshotId, VolumeType (gp2, gp3 (default), io1, io2, st1, sc1,
 * standard), Iops, Throughput, AvailabilityZone (required), Encrypted, TagSpecifications (volume),
 * DryRun. Returns the Volume (State creating). Errors: MissingParameter, InvalidParameterValue
 * (size, type, iops, throughput, zone), InvalidParameterCombination, InvalidSnapshot.NotFound,
 * InsufficientVolumeCapacity (the pool has not the room), DryRunOperation. */
json_object *ec2_create_volume(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err);
/* DescribeVolumes: VolumeIds, Filters (every one botocore documents), MaxResults/NextToken.
 * Returns {Volumes: [...]}, root volumes of live instances included. Settles what a killed change
 * left (see above). Errors: InvalidVolume.Malformed, InvalidVolume.NotFound, InvalidParameterValue. */
json_object *ec2_describe_volumes(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err);
/* DeleteVolume: VolumeId. Returns {}. Errors: InvalidVolume.NotFound, VolumeInUse, IncorrectState. */
json_object *ec2_delete_volume(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err);
/* AttachVolume: VolumeId, InstanceId, Device (/dev/sd[f-z], /dev/xvd[f-z], with or without
 * /dev/). A running instance gets the disk hot-plugged (live and in its definition), a stopped one
 * at its next start. Returns the VolumeAttachment (State attaching). Errors: InvalidVolume.NotFound,
 * InvalidInstanceID.NotFound, VolumeInUse, IncorrectState, IncorrectInstanceState,
 * InvalidVolume.ZoneMismatch, InvalidParameterValue (device bad or in use). */
json_object *ec2_attach_volume(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err);
/* DetachVolume: VolumeId, InstanceId, Device, Force. Returns the VolumeAttachment (State
 * detaching); the volume is available once the guest let go of the disk (at once for a stopped
 * instance). Errors: InvalidVolume.NotFound, IncorrectState (not attached),
 * InvalidAttachment.NotFound (not to that instance/device), OperationNotPermitted (a root volume). */
json_object *ec2_detach_volume(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err);
/* ModifyVolume: VolumeId, Size (grow only), VolumeType, Iops, Throughput. Returns
 * {VolumeModification}. Errors: as CreateVolume's checks, InvalidVolume.NotFound,
 * InvalidParameterValue (shrinking). */
json_object *ec2_modify_volume(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err);
/* DescribeVolumeStatus: VolumeIds, Filters. Returns {VolumeStatuses: [...]}, all ok. */
json_object *ec2_describe_volume_status(struct ec2_ctx *ctx, json_object *req,
					struct ec2_error *err);

/* Snapshots (snapshot.c). CreateSnapshot: VolumeId, Description, TagSpecifications (snapshot).
 * Returns the Snapshot (pending); it is completed when its copy is. Errors: InvalidVolume.NotFound,
 * IncorrectState (the volume is attached to a running instance: not supported yet). */
json_object *ec2_create_snapshot(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err);
/* DescribeSnapshots: SnapshotIds, OwnerIds (self, the account), Filters, paging. */
json_object *ec2_describe_snapshots(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err);
/* DeleteSnapshot: SnapshotId. Errors: InvalidSnapshot.NotFound, InvalidSnapshot.InUse (an AMI
 * uses it). The file stays while a volume made from it sits on it. */
json_object *ec2_delete_snapshot(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err);
/* CopySnapshot: SourceSnapshotId, SourceRegion (this one), Description. Returns {SnapshotId}. */
json_object *ec2_copy_snapshot(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err);

/* For the instance model. */
struct ec2_meta;
/* In the store update that records instance iid as terminated (root is the store's root): its
 * volumes with DeleteOnTermination become "deleting" (volume_sweep removes them), and a root
 * volume with DeleteOnTermination false becomes an available volume of size_gib. */
void volume_instance_gone(struct ec2_ctx *ctx, json_object *root, const char *iid,
			  const struct ec2_meta *m, long long size_gib);
/* Finishes what volumes are left "creating" or "deleting" with no change under way (the lock
 * free), and attachments left "attaching"/"detaching". */
void volume_settle(struct ec2_ctx *ctx);
/* EC2 device name -> the virtio target (vdf), or false when it is not one volumes may take. */
bool volume_target(const char *device, char target[8]);
/* The capacity of the pool volume name in GiB, rounded up (0: unknown). */
long long volume_root_gib(struct ec2_ctx *ctx, const char *name);
/* RunInstances' BlockDeviceMappings other than the root with Ebs {VolumeSize, VolumeType, Iops,
 * Throughput, SnapshotId, DeleteOnTermination (default true)}: checked, as a new array of
 * {Device, Target, DeleteOnTermination, Spec: the volume record's fields} (NULL with err). */
json_object *volume_launch_specs(struct ec2_ctx *ctx, json_object *req, const char *zone,
				 struct ec2_error *err);
/* Makes instance iid's new volumes (records "creating", marked with the launch) and lists them
 * in m->volumes, before its domain is defined. */
int volume_launch_make(struct ec2_ctx *ctx, const char *iid, json_object *specs, const char *zone,
		       struct ec2_meta *m, struct ec2_error *err);
/* Attaches them to the domain's definition. */
int volume_launch_attach(struct ec2_ctx *ctx, const char *iid, virDomainPtr dom,
			 const struct ec2_meta *m, struct ec2_error *err);
/* The instance started: its new volumes are whole (in use by it). */
void volume_launch_done(struct ec2_ctx *ctx, const char *iid);
/* Removes the volumes a launch of iid made that it did not finish (destroy_resources). */
void volume_launch_undo(struct ec2_ctx *ctx, const char *iid);
/* RegisterImage's BlockDeviceMappings: when the root device (RootDeviceName, /dev/xvda) maps a
 * snapshot, *disk gets its file (caller frees), sid its id and image the AMI its volume was the
 * root of ("" when not one); *disk stays NULL when no snapshot is mapped. Errors:
 * InvalidSnapshot.NotFound, IncorrectState (not completed), InvalidBlockDeviceMapping. */
int volume_snapshot_root(struct ec2_ctx *ctx, json_object *req, char sid[EC2_ID_MAX],
			 char **disk, char image[EC2_ID_MAX], struct ec2_error *err);
/* Whether some available volume kept in the store sits on image_id's base. */
bool volume_uses_image(json_object *root, const char *image_id);

#endif
