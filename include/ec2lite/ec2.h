/* The EC2 model: one function per EC2 action, shared by every front end.
 *
 * Each action takes a request object with EC2's parameter names as keys (ImageId, InstanceIds,
 * Filters, MinCount, ...; values as JSON or as strings) and returns a new response object in
 * exactly the shape the aws CLI prints for that action (Reservations[].Instances[], State{Code,
 * Name}, ...). On failure it returns NULL, fills err with EC2's error code and message, and has
 * changed nothing: every step that creates something is undone when a later step fails. */
#ifndef EC2LITE_EC2_H
#define EC2LITE_EC2_H

#include <json-c/json.h>
#include <libvirt/libvirt.h>

#include "ec2lite/config.h"
#include "ec2lite/conn.h"
#include "ec2lite/domxml.h"
#include "ec2lite/error.h"
#include "ec2lite/store.h"
#include "ec2lite/types.h"

/* EC2's instance states and their codes. */
enum ec2_state {
	EC2_PENDING = 0,
	EC2_RUNNING = 16,
	EC2_SHUTTING_DOWN = 32,
	EC2_TERMINATED = 48,
	EC2_STOPPING = 64,
	EC2_STOPPED = 80,
};

const char *ec2_state_name(enum ec2_state s);

struct ec2_reboot_watch;

struct ec2_ctx {
	const struct ec2_config *cfg; /* borrowed */
	virConnectPtr conn;
	struct store *store;
	struct type_table *types;
	struct ec2_accel_info accel;
	char pool_name[64];   /* the ec2-lite storage pool of this state folder */
	char *pool_dir;       /* <state-dir>/pool: AMI bases and instance overlays */
	char *instances_dir;  /* <state-dir>/instances/<id>: console log, seed */
	char *kernels_dir;    /* <state-dir>/kernels/<ami>: kernel and initrd of kernel-boot AMIs */
	bool events;          /* opened with EC2_CTX_EVENTS */
	bool remote;          /* a client of the API asks (set by api_serve), not the person at
			       * the keyboard: requests must not name host paths (RegisterImage's
			       * DiskPath, ImportImage's file://), they name objects instead */
	bool net_stale;       /* an instance stopped: its public IP and forwards are to go */
	struct ec2_reboot_watch **reboots; /* ACPI reboots asked for by this process, not yet seen */
	size_t nreboots;
	int image_job_fd;     /* the claim of the image job ec2_create_image began, until a front end
			       * takes it (ec2_image_job_take); -1 when none */
};

/* ec2_ctx_open flags. */
#define EC2_CTX_EVENTS 0x1 /* receive domain events (reboots): registers libvirt's event loop */

/* Connects to cfg->connect_uri, opens the store, loads the type table and decides the
 * accelerator. The storage pool is made on first use.
 * With EC2_CTX_EVENTS the connection carries libvirt keepalives, which only an event loop that
 * runs answers: such a context must not sit idle for long outside ec2_reconcile (the daemon
 * drops it after about 30 s). Without it, a connection may idle through long work (AMI builds). */
int ec2_ctx_open(struct ec2_ctx *ctx, const struct ec2_config *cfg, unsigned flags,
		 struct ec2_error *err);
/* Closes what ec2_ctx_open opened; a zeroed ctx is fine. */
void ec2_ctx_close(struct ec2_ctx *ctx);

/* An EC2 action's model function: the request in EC2's parameter names, the response in the
 * shape the aws CLI prints (new reference), or NULL with err. */
typedef json_object *(*ec2_action_fn)(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err);

/* The model function of an EC2 action by its name ("DescribeInstances"), or NULL when ec2-lite
 * has no such action: the one map the CLI's command table and the API server both use. The
 * functions it gives for read-only actions (Describe*, GetConsoleOutput) honour DryRun: they
 * check the request as always (a describe's reconcile pass included) and then answer
 * DryRunOperation instead of the response. */
ec2_action_fn ec2_action(const char *action);

/* DryRun, a parameter of every EC2 action: true when req asks for a dry run, with err set to
 * DryRunOperation (EC2_DRY_RUN_MESSAGE), or when its DryRun is not a boolean, with err set to
 * InvalidParameterValue; false (err untouched) otherwise, req NULL included. A mutating action
 * makes all its checks (parameters, existence, state, capacity) and calls it once, at the point
 * just before its first change, so that a dry run changes nothing: no domain, volume, file,
 * store entry, lock file or process. With err NULL it only asks (to skip a lock, say). */
bool ec2_dry_run(json_object *req, struct ec2_error *err);

/* Instances (src/instance.c). */
json_object *ec2_run_instances(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err);
json_object *ec2_describe_instances(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err);
json_object *ec2_start_instances(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err);
json_object *ec2_stop_instances(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err);
json_object *ec2_reboot_instances(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err);
json_object *ec2_terminate_instances(struct ec2_ctx *ctx, json_object *req,
				     struct ec2_error *err);
json_object *ec2_describe_instance_attribute(struct ec2_ctx *ctx, json_object *req,
					     struct ec2_error *err);
json_object *ec2_get_console_output(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err);
json_object *ec2_describe_instance_status(struct ec2_ctx *ctx, json_object *req,
					  struct ec2_error *err);

/* Drives the pending transitions of the instances named in req (InstanceIds; all when absent) to
 * their end: a stop that the guest ignores is forced off after the stop timeout, an ACPI reboot
 * the guest ignores becomes a hard reset after the reboot timeout, a guest that powered itself off
 * becomes stopped or terminated per its shutdown behaviour. With wait=false it makes one pass;
 * with wait=true it returns when nothing is pending any more. Every describe makes one pass.
 * Returns 1 when something is still pending (a stop not yet done, a reboot not yet seen), 0 when
 * all is settled, -1 on error. */
int ec2_reconcile(struct ec2_ctx *ctx, json_object *req, bool wait, struct ec2_error *err);

/* True when this process asked for something that only it can finish (an ACPI reboot whose
 * hard-reset deadline it must enforce): a front end then keeps ec2_reconcile(wait=true) running,
 * in the background if it wants to return to its user. */
bool ec2_has_watches(const struct ec2_ctx *ctx);
/* Drops every watch (seen or not) and its libvirt registration; ec2_ctx_close calls it. */
void ec2_reboot_watches_clear(struct ec2_ctx *ctx);

/* For other modules: instance id's domain (new reference, caller frees), metadata (cleared with
 * ec2_meta_clear) and EC2 state, after one reconcile step; err InvalidInstanceID.* when it is
 * not a live instance of this state folder. */
int ec2_instance_get(struct ec2_ctx *ctx, const char *id, virDomainPtr *dom, struct ec2_meta *m,
		     enum ec2_state *state, struct ec2_error *err);

/* Golden images (src/golden.c). CreateImage answers at once with the pending image; the work
 * (copy, clean-up, registration) is ec2_create_image_run's, which a front end runs in the
 * background: the image turns available, or failed with a reason and no files left. */
json_object *ec2_create_image(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err);
/* The claim of the job that the last successful ec2_create_image began (a descriptor the caller
 * now owns: the worker holds it for its life; closing it lets the job be seen dead), or -1. The
 * claim is taken before the pending image is written, so no process ever sees a job that nobody
 * holds: a front end that dies before its worker runs leaves an image that is failed at once. */
int ec2_image_job_take(struct ec2_ctx *ctx);
/* The work on image_id. job_fd is the job's claim (from ec2_image_job_take; it is closed when the
 * work ends), or -1 to claim it here. */
int ec2_create_image_run(struct ec2_ctx *ctx, const char *image_id, int job_fd,
			 struct ec2_error *err);
json_object *ec2_copy_image(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err);
/* Whether the work on image_id still goes on: the image is pending and its job's lock is held
 * (by the front end that asked, then by its worker). A worker that died is seen at once; a pid is
 * never trusted. An image whose lock was never made (written by an older ec2-lite) counts as
 * alive for a minute after its creation. */
bool ec2_image_job_alive(struct ec2_ctx *ctx, const char *image_id);
/* Claims the work on image_id for this process: an flock'd <state-dir>/jobs/<ami>.lock, held for
 * as long as the returned descriptor stays open (the kernel drops it when the process dies).
 * ec2_create_image_run claims for itself; exposed for tests. -1 with err (IncorrectInstanceState)
 * when a live worker holds it already. */
int ec2_image_job_claim(struct ec2_ctx *ctx, const char *image_id, struct ec2_error *err);
/* The job of image_id is over (the image is available or failed): its lock file goes. */
void ec2_image_job_end(struct ec2_ctx *ctx, const char *image_id);

/* Images (src/image.c). */
json_object *ec2_register_image(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err);
json_object *ec2_describe_images(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err);
json_object *ec2_deregister_image(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err);
json_object *ec2_import_image(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err);
json_object *ec2_describe_import_image_tasks(struct ec2_ctx *ctx, json_object *req,
					     struct ec2_error *err);

/* Instance types (src/types.c holds the table). */
json_object *ec2_describe_instance_types(struct ec2_ctx *ctx, json_object *req,
					 struct ec2_error *err);

/* For tests: when >= 0, the launch of the instance with this launch index fails after its
 * volume and domain were made, so that the undo of a partial launch can be checked. */
extern int ec2_test_fail_launch_index;
/* For tests: when > 0, a launch waits this long after its instances started, before it ends
 * (its journal, the reservation, still held), so that parallel launches overlap. */
extern int ec2_test_launch_hold_ms;
/* For tests: libvirt's test driver emits no reboot events; when set, RebootInstances calls it
 * with each reboot-event callback and opaque pointer it registered, so that a test can deliver
 * the event as libvirt would (the opaque pointer is valid until the watch is seen and cleared). */
extern void (*ec2_test_reboot_registered)(virConnectDomainEventGenericCallback cb, void *opaque);

/* For the model's own modules: the instance domains libvirt holds, with their metadata. */
struct ec2_dom {
	virDomainPtr dom;
	struct ec2_meta meta;
};
#define EC2_DOMS_ACTIVE 0x1    /* running ones only */
#define EC2_DOMS_ALL_POOLS 0x2 /* every state folder's, not only this one's (address allocation) */
/* Every persistent domain named like an instance that carries ec2-lite metadata (of this state
 * folder unless EC2_DOMS_ALL_POOLS). Free with ec2_doms_free. */
int ec2_doms_list(struct ec2_ctx *ctx, unsigned flags, struct ec2_dom **out, size_t *count,
		  struct ec2_error *err);
void ec2_doms_free(struct ec2_dom *v, size_t n);
/* The ec2-lite metadata of dom's persistent definition into m (cleared first); -1 when it has
 * none. */
int ec2_meta_load(virDomainPtr dom, struct ec2_meta *m);
/* Writes m into dom's persistent definition, and into the live one while it runs. */
int ec2_meta_save(virDomainPtr dom, const struct ec2_meta *m, struct ec2_error *err);

/* For the model's own modules: the pool (made and started if missing; caller frees with
 * virStoragePoolFree), an image record from the store (new reference) and removal of an image's
 * files once nothing uses them. */
virStoragePoolPtr ec2_pool(struct ec2_ctx *ctx, struct ec2_error *err);
json_object *ec2_image_get(struct ec2_ctx *ctx, const char *image_id, struct ec2_error *err);
void ec2_image_collect(struct ec2_ctx *ctx);

/* The storage pools of ec2-lite state folders that are gone (named ec2-lite-*, their folder
 * missing; this context's own is never one), as "NAME (PATH)" strings in *stale (new array);
 * with remove, each is also stopped and undefined (ec2_pool makes a pool again for a folder
 * that is used again). Other pools are never touched. */
int ec2_stale_pools(struct ec2_ctx *ctx, bool remove, json_object **stale, struct ec2_error *err);

#endif
