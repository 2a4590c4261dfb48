/* The EC2 model: the context every action works in, and the map of EC2 actions to the model's
 * functions, shared by every front end. The actions themselves are declared one header per
 * module (instance.h, image.h, import.h, golden.h, secgroup.h, keypair.h, tags.h), all
 * included at the end of this one, so that a front end that maps actions needs only ec2.h.
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
#include "ec2lite/imagejob.h"
#include "ec2lite/lifecycle.h"
#include "ec2lite/store.h"
#include "ec2lite/types.h"

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
	/* Test hooks: ec2_ctx_open leaves them off, and only the Check suites turn them on, on the
	 * context they test (so no other context, thread or process is affected). */
	struct ec2_test_hooks {
		/* When >= 0, the launch of the instance with this launch index fails after its
		 * volume and domain were made, so that the undo of a partial launch can be
		 * checked; -1 (off) after ec2_ctx_open. */
		int fail_launch_index;
		/* When > 0, the free bytes the instance-store capacity check sees instead of
		 * the state folder's filesystem's (instance-ephemeral.c). */
		unsigned long long store_free_bytes;
		/* When > 0, a launch waits this long after its instances started, before it ends
		 * (its journal, the reservation, still held), so that parallel launches overlap. */
		int launch_hold_ms;
		/* libvirt's test driver emits no reboot events; when set, RebootInstances calls it
		 * with each reboot-event callback and opaque pointer it registered, so that a test
		 * can deliver the event as libvirt would (the opaque pointer is valid until the
		 * watch is seen and cleared). */
		void (*reboot_registered)(virConnectDomainEventGenericCallback cb, void *opaque);
		/* libvirt's test driver has no virDomainAttach/DetachDeviceFlags: when set, volumes
		 * call it instead (flags: VIR_DOMAIN_AFFECT_*), so that a test can change the
		 * domain's definition as libvirt would. */
		int (*device_change)(virDomainPtr dom, const char *xml, bool attach, unsigned flags);
		/* When set, volume changes stop right after their first durable step, as a process
		 * killed there would (nothing undone), so that volume_settle can be checked. */
		bool volume_crash;
	} test;
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

/* DescribeInstanceTypes: InstanceTypes and Filters, answered from the context's type table
 * (type_describe_many, types.h). Returns {InstanceTypes: [...]} in EC2's InstanceTypeInfo shape.
 * Errors: InvalidParameterValue (an unknown type, a filter). Changes nothing. */
json_object *ec2_describe_instance_types(struct ec2_ctx *ctx, json_object *req,
					 struct ec2_error *err);

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
 * virStoragePoolFree), or NULL with err (libvirt's). */
virStoragePoolPtr ec2_pool(struct ec2_ctx *ctx, struct ec2_error *err);

/* The storage pools of ec2-lite state folders that are gone (named ec2-lite-*, their folder
 * missing; this context's own is never one), as "NAME (PATH)" strings in *stale (new array);
 * with remove, each is also stopped and undefined (ec2_pool makes a pool again for a folder
 * that is used again). Other pools are never touched. */
int ec2_stale_pools(struct ec2_ctx *ctx, bool remove, json_object **stale, struct ec2_error *err);

/* The actions of the model's modules (included last: each of them includes this header for the
 * context). */
#include "ec2lite/address.h"
#include "ec2lite/eni.h"
#include "ec2lite/golden.h"
#include "ec2lite/image.h"
#include "ec2lite/import.h"
#include "ec2lite/instance.h"
#include "ec2lite/keypair.h"
#include "ec2lite/secgroup.h"
#include "ec2lite/tags.h"
#include "ec2lite/vpc.h"
#include "ec2lite/volume.h"

#endif
