/* Instances: EC2's state machine over libvirt domains (src/model/instance-*.c).
 *
 * An instance is a persistent libvirt domain named by its instance id, with its EC2 facts in the
 * domain's ec2-lite metadata. Its EC2 state is derived from libvirt's each time it is asked for:
 *   domain running                       -> running (16), or stopping (64) while a stop is pending
 *   domain shut off (or managed-saved)   -> stopped (80)
 *   no domain, record in the store       -> terminated (48), for an hour
 * RunInstances and StartInstances answer pending (0) and TerminateInstances shutting-down (32), as
 * EC2 does; those states last only as long as the call.
 *
 * The instance module is a file per concern; this header holds what they share and is for them
 * only (the public actions are declared in include/ec2lite/):
 *   instance-load.c       records from libvirt and the store, InstanceIds resolved, ec2_instance_get
 *   instance-render.c     EC2's Instance object, State, StateReason, state changes
 *   instance-teardown.c   everything of a live instance removed, its terminated record kept
 *   instance-reconcile.c  ec2_reconcile: transitions finished in the background, reboot watches,
 *                         launches whose process died
 *   instance-describe.c   DescribeInstances
 *   instance-capacity.c   host memory, what guests hold, how many instances fit
 *   instance-ephemeral.c  the instance store's disks: made, emptied at every start, their room
 *   instance-launch.c     RunInstances, the boot timeline's watcher
 *   instance-actions.c    Start/Stop/Reboot/TerminateInstances
 *   instance-info.c       GetConsoleOutput, DescribeInstanceStatus
 *   instance-attrs.c      Modify/DescribeInstanceAttribute, GetPasswordData; the protection
 *                         attributes' check (attrs_protected)
 *   instance-metaopts.c   MetadataOptions (RunInstances'), ModifyInstanceMetadataOptions
 * and, beside them, iam-assoc.c: the IAM instance profile associations, kept in the metadata. */
#ifndef EC2LITE_INSTANCE_INTERNAL_H
#define EC2LITE_INSTANCE_INTERNAL_H

#include <json-c/json.h>
#include <libvirt/libvirt.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "ec2lite/domxml.h"
#include "ec2lite/ec2.h"
#include "ec2lite/instance.h"
#include "ec2lite/ids.h"
#include "ec2lite/types.h"

/* One ACPI reboot asked for and not yet seen. Each watch is allocated on its own: its address is
 * the opaque pointer libvirt hands back to reboot_event, so it must not move when another watch
 * is added. In `serve` libvirt's event thread calls reboot_event without the model lock, so
 * `seen` is atomic, and the watch is reference-counted: one reference for ctx->reboots, one for
 * libvirt's registration, dropped by libvirt (reboot_watch_unref as the registration's free
 * callback) only once no dispatch of the event can still be running. */
struct ec2_reboot_watch {
	char id[EC2_ID_MAX];
	virDomainPtr dom;
	int callback;
	double deadline; /* util_monotonic() time of the hard reset */
	atomic_bool seen;
	atomic_int refs;
};

/* One instance as the model handles it: live (dom set) or terminated (dom NULL, the store's
 * record in terminated). */
struct inst {
	char id[EC2_ID_MAX];
	virDomainPtr dom;        /* NULL when terminated */
	struct ec2_meta meta;
	enum ec2_state state;
	json_object *terminated; /* the store's record, for a terminated instance */
};

/* instance-load.c */
/* Frees what in holds and zeroes it; a zeroed in is fine. */
void inst_clear(struct inst *in);
/* inst_clear on each of v[0..n), then frees v; v NULL is fine. */
void insts_free(struct inst *v, size_t n);
/* What libvirt says of in's domain (EC2_VM_GONE when it has none), for the state machine. */
enum ec2_vm vm_of(struct inst *in);
/* in's condition (lifecycle.h): its libvirt state with its pending operation, the row of the
 * transition table its actions read. */
enum ec2_cond cond_of(struct inst *in);
/* The EC2 state of in: its condition's (EC2_TERMINATED when it has no domain). */
enum ec2_state derive_state(struct inst *in);
/* InstanceIds that name no instance, gathered for EC2's one NotFound error (resolve, and
 * DescribeInstances over descriptions). */
struct missing_ids {
	char text[800]; /* "i-1, i-2" */
	int n;
};
void missing_add(struct missing_ids *m, const char *id);
/* -1 with err InvalidInstanceID.NotFound naming them when m holds any; else 0. */
int missing_fail(const struct missing_ids *m, struct ec2_error *err);
/* Loads the live instance id if it is one of this state folder's into in (inst_clear it after,
 * found or not); 1 found, 0 not, -1 error. */
int load_live(struct ec2_ctx *ctx, const char *id, struct inst *in);
/* Every instance of this state folder, live and recently terminated, into *out (free with
 * insts_free); -1 with err when libvirt or the store cannot be read. */
int list_all(struct ec2_ctx *ctx, struct inst **out, size_t *count, struct ec2_error *err);
/* Resolves InstanceIds (every instance when ids is NULL and not required): all must be well
 * formed and exist (live or terminated), else -1 with EC2's error (MissingParameter,
 * InvalidInstanceID.Malformed, InvalidInstanceID.NotFound) and nothing in *out. */
int resolve(struct ec2_ctx *ctx, json_object *ids, bool required, struct inst **out,
	    size_t *count, struct ec2_error *err);
/* resolve for the one InstanceId of req (GetConsoleOutput, the attribute actions): MissingParameter
 * without it; on success *out holds that one instance (live or terminated). */
int resolve_one(struct ec2_ctx *ctx, json_object *req, struct inst **out, size_t *count,
		struct ec2_error *err);
/* <state-dir>/instances/<id>: a new string the caller frees. */
char *instance_dir(struct ec2_ctx *ctx, const char *id);
/* The console log's size now: where the next boot's output will start. */
long long console_size(struct ec2_ctx *ctx, const char *id);

/* instance-render.c */
/* EC2's State object {Code, Name} for s (new reference). */
json_object *state_obj(enum ec2_state s);
/* Records in m that the user asked for this transition: TransitionReason "User initiated
 * (time)" and StateReason code. m is only changed, not saved. */
void user_reason(struct ec2_meta *m, const char *code);
/* EC2's Instance object for in, shown in state (new reference). */
json_object *instance_json(struct ec2_ctx *ctx, const struct inst *in, enum ec2_state state);
/* Its root device as a BlockDeviceMappings list [{DeviceName, Ebs: {AttachTime,
 * DeleteOnTermination, Status, VolumeId}}] (new reference). */
json_object *block_devices_json(const struct ec2_meta *m);
/* An InstanceStateChange {CurrentState, InstanceId, PreviousState} (new reference). */
json_object *change_obj(const char *id, enum ec2_state cur, enum ec2_state prev);

/* instance-teardown.c */
/* Removes everything a live instance has (domain and managed-save image, root overlay, folder),
 * carrying on past failures; the domain's definition goes last. dom may be NULL. */
int destroy_resources(struct ec2_ctx *ctx, const char *id, virDomainPtr dom,
		      const char *volume, struct ec2_error *err);
/* Deletes a pool volume, waiting out libvirtd's creation of it (30 s at most); gone is fine. */
int volume_delete(virStorageVolPtr vol);
/* Terminates one live instance for reason (a StateReason code): its record is kept in the
 * store for an hour, then its resources go. err may be NULL. */
int terminate_one(struct ec2_ctx *ctx, struct inst *in, const char *reason,
		  struct ec2_error *err);

/* instance-reconcile.c */
/* After instances stopped or went: their public IPs and forwards go too (net_sync). */
void net_settle(struct ec2_ctx *ctx);
/* One reconcile step for a live instance (see ec2_reconcile); in->state is updated. */
void settle(struct ec2_ctx *ctx, struct inst *in);
/* libvirt's reboot-event callback: opaque is the struct ec2_reboot_watch, marked seen. */
void reboot_event(virConnectPtr conn, virDomainPtr dom, void *opaque);
/* Drops one reference of a struct ec2_reboot_watch (also libvirt's free callback of the
 * registration), freeing it with the last. */
void reboot_watch_unref(void *opaque);

/* instance-describe.c */
/* qsort order of struct inst: by reservation id, then launch index. */
int by_launch(const void *a, const void *b);
/* A Reservation object for rid with an empty Instances array (new reference). */
json_object *reservation_obj(struct ec2_ctx *ctx, const char *rid);

/* instance-capacity.c */
/* Memory that running guests on this host already hold and what the host can give, in MiB
 * (free_mib after the overcommit factor); -1 with err when libvirt cannot say. */
int capacity(struct ec2_ctx *ctx, long *free_mib, long *used_mib, long *host_mib,
	     struct ec2_error *err);
/* Whether min instances of type t fit in the host's memory, and *max lowered to how many do;
 * -1 with err InsufficientInstanceCapacity when fewer than min fit. */
int fits(struct ec2_ctx *ctx, const struct instance_type *t, long min, long *max,
	 struct ec2_error *err);

/* instance-attrs.c */
/* -1 with err OperationNotPermitted (EC2's message) when in may not be terminated (verb
 * EC2_VERB_TERMINATE, its disableApiTermination) or stopped (EC2_VERB_STOP*, EC2_VERB_HIBERNATE,
 * its disableApiStop); else 0. */
int attrs_protected(const struct inst *in, enum ec2_verb verb, struct ec2_error *err);
/* The one live instance that InstanceId names, in *v (insts_free it, found or not); -1 with
 * EC2's error (MissingParameter, InvalidInstanceID.*; a terminated one is not found) otherwise. */
int one_live(struct ec2_ctx *ctx, json_object *req, struct inst **v, size_t *n,
	     struct ec2_error *err);

/* instance-metaopts.c */
/* Sets m's metadata options from the members of req that name them (RunInstances'
 * MetadataOptions, ModifyInstanceMetadataOptions' request; NULL: none), the others kept. -1 with
 * EC2's error (InvalidParameterValue, UnsupportedOperation for the IPv6 endpoint) and m
 * unchanged when any value is not EC2's. */
int metaopts_apply(json_object *req, struct ec2_meta *m, struct ec2_error *err);
/* m's MetadataOptions as DescribeInstances shows them (new reference). */
json_object *metaopts_json(const struct ec2_meta *m);

/* iam-assoc.c */
/* m's IamInstanceProfile {Arn, Id} (new reference), or NULL when it has none. */
json_object *iam_assoc_profile_json(const struct ec2_meta *m);
/* Resolves RunInstances' or an association's IamInstanceProfile {Arn | Name} to the profile's
 * Arn and Id (EC2's errors: MissingParameter, InvalidParameterValue naming the name or ARN). */
int iam_assoc_resolve(struct ec2_ctx *ctx, json_object *spec, char arn[256], char id[32],
		      struct ec2_error *err);

/* instance-ephemeral.c: the instance store's disks, sparse files in the instance's folder */
/* <state-dir>/instances/<id>/ephemeral<n>.img (caller frees). */
char *ephemeral_path(struct ec2_ctx *ctx, const char *id, int n);
/* Frees each of paths and sets it to NULL. */
void ephemeral_paths_free(char *paths[TYPE_STORE_DISKS_MAX]);
/* Makes the instance-store disks of type t for instance id (whose folder exists) empty: each a
 * sparse file of its disk's full size holding no data, an earlier one's data dropped. paths gets
 * each disk's path (ephemeral_paths_free them). Returns how many (0 for an EBS-only type), or -1
 * with err (InternalError), paths all NULL. */
int ephemeral_make(struct ec2_ctx *ctx, const char *id, const struct instance_type *t,
		   char *paths[TYPE_STORE_DISKS_MAX], struct ec2_error *err);
/* Whether min instances of type t have room for their instance store on the state folder's
 * filesystem (the disks there already counted at their full size), and *max lowered to how many
 * do; -1 with err InsufficientInstanceCapacity when fewer than min fit. 0 for an EBS-only type. */
int ephemeral_fits(struct ec2_ctx *ctx, const struct instance_type *t, long min, long *max,
		   struct ec2_error *err);

/* instance-launch.c */
/* The wall clock with its fraction (boot timelines). */
double wall_now(void);
/* Starts the boot timeline's watcher of instance id, booted at started_at (wall_now). */
void watch_boot(struct ec2_ctx *ctx, const char *id, double started_at);

#endif
