/* Instances, teardown: removing everything a live instance has (domain, root overlay, instance
 * folder) and keeping its terminated record in the store for an hour. The record is written first
 * and the domain's definition goes last, so that a teardown cut short is finished by the next
 * listing (list_all). */
#include <stdlib.h>

#include <libvirt/virterror.h>

#include "ec2lite/address.h"
#include "ec2lite/util.h"
#include "ec2lite/volume.h"

#include "instance-internal.h"

/* After a failed libvirt call of a teardown: whether what it was to remove is gone already (another
 * process, or a describe's pass, finished the same teardown meanwhile), which is no failure. */
static bool already_gone(void)
{
	int code = virGetLastErrorCode();

	return code == VIR_ERR_NO_DOMAIN || code == VIR_ERR_OPERATION_INVALID ||
	       code == VIR_ERR_NO_STORAGE_VOL;
}

/* Deletes a root volume. libvirtd goes on creating a volume whose creator died mid-call, and until
 * it is done refuses to delete it ("still being allocated", VIR_ERR_OPERATION_INVALID): that is
 * waited out (the overlay takes milliseconds; 30 s at most), not taken for "gone", or a launch
 * killed then would leave the volume behind its undone journal. */
int volume_delete(virStorageVolPtr vol)
{
	int tries;

	for (tries = 0; tries < 300; tries++) {
		if (virStorageVolDelete(vol, 0) == 0 || virGetLastErrorCode() == VIR_ERR_NO_STORAGE_VOL)
			return 0;
		if (virGetLastErrorCode() != VIR_ERR_OPERATION_INVALID)
			return -1;
		util_sleep_ms(100);
	}
	return -1;
}

/* Removes everything a live instance has: domain (and managed-save image), root overlay,
 * per-instance folder. Carries on past failures so that as much as possible is gone. The domain's
 * definition goes last: until then the instance is still found, so that a process killed midway
 * leaves something for the next one to finish (see list_all). */
int destroy_resources(struct ec2_ctx *ctx, const char *id, virDomainPtr dom,
			     const char *volume, struct ec2_error *err)
{
	virStoragePoolPtr pool;
	char *dir = instance_dir(ctx, id);
	int rc = 0;

	if (dom && virDomainIsActive(dom) == 1 && virDomainDestroy(dom) < 0 && !already_gone()) {
		ec2_error_set_libvirt(err, "cannot stop the domain of '%s'", id);
		rc = -1;
	}
	if (volume && volume[0] && (pool = virStoragePoolLookupByName(ctx->conn, ctx->pool_name))) {
		virStorageVolPtr vol = virStorageVolLookupByName(pool, volume);

		if (vol) {
			if (volume_delete(vol) < 0) {
				ec2_error_set_libvirt(err, "cannot remove the volume '%s'", volume);
				rc = -1;
			}
			virStorageVolFree(vol);
		}
		virStoragePoolFree(pool);
	}
	volume_launch_undo(ctx, id); /* new volumes of a launch undone */
	if (util_rm_rf(dir, err) < 0)
		rc = -1;
	free(dir);
	if (dom && virDomainUndefineFlags(dom, VIR_DOMAIN_UNDEFINE_MANAGED_SAVE |
					  VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA) < 0 && !already_gone()) {
		ec2_error_set_libvirt(err, "cannot remove the domain of '%s'", id);
		rc = -1;
	}
	return rc;
}

struct term_record {
	struct ec2_ctx *ctx;
	const char *id;
	json_object *entry;
	const struct ec2_meta *meta;
	long long root_gib; /* a root volume that stays (DeleteOnTermination false) */
};

static int add_terminated(json_object *root, void *opaque, struct ec2_error *err)
{
	struct term_record *r = opaque;

	(void)err;
	json_object_object_add(store_section(root, "terminated"), r->id, json_object_get(r->entry));
	/* In the same write: an AssociateAddress that comes later sees the record and refuses. */
	address_instance_gone(root, r->id);
	/* Its volumes too: deleted with it, or available again (volume.h). */
	volume_instance_gone(r->ctx, root, r->id, r->meta, r->root_gib);
	return 0;
}

/* Terminates one live instance: its description is kept in the store for an hour. The record is
 * written first: once it is there the termination is decided, and a process killed while tearing
 * the instance down leaves a domain with a terminated record, which the next list_all finishes. */
int terminate_one(struct ec2_ctx *ctx, struct inst *in, const char *reason,
			 struct ec2_error *err)
{
	struct term_record r = { .ctx = ctx, .id = in->id, .meta = &in->meta };
	json_object *desc;
	int rc;

	user_reason(&in->meta, reason);
	desc = instance_json(ctx, in, EC2_TERMINATED);
	r.entry = json_object_new_object();
	json_object_object_add(r.entry, "Instance", desc);
	json_add_str(r.entry, "ReservationId", in->meta.reservation_id);
	json_add_str(r.entry, "OwnerId", ctx->cfg->owner_id);
	json_add_int(r.entry, "TerminatedAt", (int64_t)store_now());
	if (in->meta.root_keep)
		r.root_gib = volume_root_gib(ctx, in->meta.root_volume);
	rc = store_update(ctx->store, add_terminated, &r, err);
	json_object_put(r.entry);
	if (rc < 0)
		return -1; /* nothing was done */
	rc = destroy_resources(ctx, in->id, in->dom, in->meta.root_keep ? NULL :
			       in->meta.root_volume, err);
	volume_settle(ctx); /* the volumes that went with it */
	ctx->net_stale = true; /* the forwarder lets go of its ports */
	virDomainFree(in->dom);
	in->dom = NULL;
	in->state = EC2_TERMINATED;
	return rc;
}
