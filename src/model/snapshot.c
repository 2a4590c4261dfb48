/* EBS snapshots: see include/ec2lite/volume.h. */
#include "ec2lite/volume.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ec2lite/filter.h"
#include "ec2lite/ids.h"
#include "ec2lite/store.h"
#include "ec2lite/tags.h"
#include "ec2lite/util.h"

#include "instance-internal.h"
#include "volume-internal.h"

static const struct filter_field snapshot_filters[] = {
	{ "description", "Description" },
	{ "encrypted", "Encrypted" },
	{ "owner-alias", "OwnerAlias" },
	{ "owner-id", "OwnerId" },
	{ "progress", "Progress" },
	{ "snapshot-id", "SnapshotId" },
	{ "start-time", "StartTime" },
	{ "status", "State" },
	{ "storage-tier", "StorageTier" },
	{ "volume-id", "VolumeId" },
	{ "volume-size", "VolumeSize" },
	{ NULL, NULL },
};

/* EC2's Snapshot object of a record, in the aws CLI's member order (new reference). */
static json_object *snapshot_json(json_object *rec)
{
	json_object *o = json_object_new_object(), *tags;

	json_add_str(o, "Description", req_str0(rec, "Description"));
	json_add_bool(o, "Encrypted",
		      json_object_get_boolean(json_object_object_get(rec, "Encrypted")));
	json_add_str(o, "OwnerId", req_str0(rec, "OwnerId"));
	json_add_str(o, "Progress", req_str0(rec, "Progress"));
	json_add_str(o, "SnapshotId", req_str0(rec, "SnapshotId"));
	json_add_str(o, "StartTime", req_str0(rec, "StartTime"));
	json_add_str(o, "State", req_str0(rec, "State"));
	json_add_str(o, "VolumeId", req_str0(rec, "VolumeId"));
	json_object_object_add(o, "VolumeSize",
			       json_object_get(json_object_object_get(rec, "VolumeSize")));
	if (json_object_object_get_ex(rec, "Tags", &tags) && json_object_array_length(tags) > 0)
		json_object_object_add(o, "Tags", json_object_get(tags));
	json_add_str(o, "StorageTier", "standard");
	return o;
}

struct snap_change {
	const char *id;
	json_object *rec;   /* put it (NULL: remove the record, or set state) */
	const char *state;
	const char *image_check; /* fail with InvalidSnapshot.InUse when an AMI maps it */
};

static int snap_apply(json_object *root, void *opaque, struct ec2_error *err)
{
	struct snap_change *c = opaque;
	json_object *snaps = store_section(root, "snapshots"), *cur = NULL;

	json_object_object_get_ex(snaps, c->id, &cur);
	if (c->image_check) {
		json_object_object_foreach(store_section(root, "images"), ami, img) {
			json_object *bdms = json_object_object_get(img, "BlockDeviceMappings");
			size_t i;

			if (strcmp(req_str0(img, "State"), "deregistered") == 0)
				continue;
			for (i = 0; bdms && i < json_object_array_length(bdms); i++) {
				if (strcmp(req_str0(json_object_object_get(json_object_array_get_idx(
					bdms, i), "Ebs"), "SnapshotId"), c->id) == 0) {
					ec2_error_set(err, "InvalidSnapshot.InUse", "The snapshot %s "
						      "is currently in use by %s", c->id, ami);
					return -1;
				}
			}
		}
	}
	if (c->rec)
		json_object_object_add(snaps, c->id, json_object_get(c->rec));
	else if (c->state && cur)
		json_add_str(cur, "State", c->state);
	else if (!c->state)
		json_object_object_del(snaps, c->id);
	return 0;
}

static int snap_put(struct ec2_ctx *ctx, struct snap_change *c, struct ec2_error *err)
{
	return store_update(ctx->store, snap_apply, c, err);
}

/* Makes pool volume name a standalone copy (qcow2, the backing chain flattened) of pool volume
 * src: libvirt's qemu-img convert. */
static int pool_copy(struct ec2_ctx *ctx, const char *src, const char *name,
		     long long gib, struct ec2_error *err)
{
	virStoragePoolPtr pool = ec2_pool(ctx, err);
	virStorageVolPtr from = pool ? virStorageVolLookupByName(pool, src) : NULL, to = NULL;
	char *xml = NULL;

	if (pool && !from)
		ec2_error_set_libvirt(err, "cannot find the volume '%s'", src);
	if (from)
		xml = domxml_volume(name, (unsigned long long)gib << 30, NULL, NULL, err);
	if (xml && !(to = virStorageVolCreateXMLFrom(pool, xml, from, 0)))
		ec2_error_set_libvirt(err, "cannot copy the volume '%s'", src);
	free(xml);
	if (to)
		virStorageVolFree(to);
	if (from)
		virStorageVolFree(from);
	if (pool)
		virStoragePoolFree(pool);
	return to ? 0 : -1;
}

static json_object *snapshot_new(struct ec2_ctx *ctx, json_object *req, const char *vid,
				 const char *src, long long gib, bool enc, const char *desc,
				 const char *image, struct ec2_error *err)
{
	json_object *rec = json_object_new_object(), *priv = json_object_new_object(), *tags;
	json_object *resp = NULL;
	struct snap_change c = { 0 };
	char sid[EC2_ID_MAX], now[32], name[64];

	json_object_object_add(rec, "ec2lite", priv);
	if (!(tags = tag_specs(req, "snapshot", NULL, err)) || ec2_id_new("snap", sid, err) < 0)
		goto out;
	util_iso8601(time(NULL), now, sizeof(now));
	snprintf(name, sizeof(name), "%s.qcow2", sid);
	json_add_str(rec, "Description", desc ? desc : "");
	json_add_bool(rec, "Encrypted", enc);
	json_add_str(rec, "OwnerId", ctx->cfg->owner_id);
	json_add_str(rec, "Progress", "");
	json_add_str(rec, "SnapshotId", sid);
	json_add_str(rec, "StartTime", now);
	json_add_str(rec, "State", "pending");
	json_add_str(rec, "VolumeId", vid);
	json_add_int(rec, "VolumeSize", gib);
	json_object_object_add(rec, "Tags", json_object_get(tags));
	json_add_str(priv, "Volume", name);
	if (image && *image)
		json_add_str(priv, "Image", image); /* a root volume's: how it boots */
	c.id = sid;
	c.rec = rec;
	/* The record first: a process killed during the copy leaves it pending, and the next pass
	 * with the lock free removes it and whatever file was begun (snapshot_collect). */
	if (snap_put(ctx, &c, err) < 0)
		goto out;
	resp = snapshot_json(rec);
	if (ctx->test.volume_crash) {
		ec2_error_set(err, EC2_ERR_INTERNAL, "injected crash");
		json_object_put(resp);
		resp = NULL;
		goto out;
	}
	if (pool_copy(ctx, src, name, gib, err) < 0) {
		struct snap_change drop = { .id = sid };

		volume_pool_delete(ctx, name, NULL);
		snap_put(ctx, &drop, NULL);
		json_object_put(resp);
		resp = NULL;
		goto out;
	}
	json_add_str(rec, "State", "completed");
	json_add_str(rec, "Progress", "100%");
	if (snap_put(ctx, &c, err) < 0) {
		json_object_put(resp);
		resp = NULL;
	}
out:
	json_object_put(tags);
	json_object_put(rec);
	return resp;
}

json_object *ec2_create_snapshot(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err)
{
	const char *vid = req_string(req, "VolumeId");
	json_object *e, *rec, *resp = NULL;
	struct inst *in;
	struct vols vs;
	bool loaded = false;
	long long gib = 1;
	int lock = -1;

	if (!volume_id_ok("vol", vid, err))
		return NULL;
	if (req_text_check("Description", req_string(req, "Description"), 255, err) < 0)
		return NULL;
	if (!(e = vols_open(ctx, req, vid, &vs, &loaded, &lock, err)))
		goto out;
	rec = json_object_object_get(e, "Record");
	in = vols_inst(&vs, req_string(e, "InstanceId"));
	if (in && virDomainIsActive(in->dom) == 1) {
		/* QEMU holds the disk: its copy needs the guest's freeze and a block copy. */
		ec2_error_set(err, "IncorrectState", "The volume '%s' is attached to the running "
			      "instance '%s': ec2-lite snapshots a volume that is available or "
			      "attached to a stopped instance", vid, in->id);
		goto out;
	}
	if (strcmp(req_str0(rec, "State"), "available") != 0 && strcmp(req_str0(rec, "State"),
									"in-use") != 0) {
		ec2_error_set(err, "IncorrectState", "The volume '%s' is '%s'.", vid,
			      req_str0(rec, "State"));
		goto out;
	}
	if (ec2_dry_run(req, err))
		goto out;
	req_int(rec, "Size", &gib, NULL);
	resp = snapshot_new(ctx, req, vid, json_object_get_boolean(json_object_object_get(e, "Root")) ?
			    in->meta.root_volume : req_str0(json_object_object_get(rec, "ec2lite"),
							    "Volume"),
			    gib, json_object_get_boolean(json_object_object_get(rec, "Encrypted")),
			    req_string(req, "Description"),
			    json_object_get_boolean(json_object_object_get(e, "Root")) ?
			    in->meta.image_id : req_str0(json_object_object_get(rec, "ec2lite"), "Image"),
			    err);
out:
	if (loaded)
		vols_free(&vs);
	store_unlock(lock);
	return resp;
}

/* The snapshot record sid, live (borrowed from root), or NULL with EC2's errors. */
static json_object *snap_find(json_object *root, const char *sid, struct ec2_error *err)
{
	json_object *s;

	if (!sid) {
		ec2_error_set(err, EC2_ERR_MISSING_PARAMETER,
			      "The request must contain the parameter SnapshotId");
		return NULL;
	}
	if (!volume_id_ok("snap", sid, err))
		return NULL;
	if (!json_object_object_get_ex(store_section(root, "snapshots"), sid, &s) ||
	    strcmp(req_str0(s, "State"), "deleted") == 0) {
		ec2_error_set(err, "InvalidSnapshot.NotFound", "The snapshot '%s' does not exist.",
			      sid);
		return NULL;
	}
	return s;
}

json_object *ec2_copy_snapshot(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err)
{
	const char *sid = req_string(req, "SourceSnapshotId"), *region = req_string(req,
									       "SourceRegion");
	json_object *root, *s, *snap = NULL, *resp = NULL;
	long long gib = 1;
	int lock = -1;

	if (!region) {
		ec2_error_set(err, EC2_ERR_MISSING_PARAMETER,
			      "The request must contain the parameter SourceRegion");
		return NULL;
	}
	if (strcmp(region, ctx->cfg->region) != 0) {
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER, "Invalid region: %s (ec2-lite has "
			      "one region, %s)", region, ctx->cfg->region);
		return NULL;
	}
	if (!ec2_dry_run(req, NULL) && (lock = store_lock(ctx->store, "volumes", err)) < 0)
		return NULL;
	if (!(root = store_read(ctx->store, err)))
		goto out;
	if (!(s = snap_find(root, sid, err)))
		goto out;
	if (strcmp(req_str0(s, "State"), "completed") != 0) {
		ec2_error_set(err, "IncorrectState", "Snapshot is in invalid state - %s",
			      req_str0(s, "State"));
		goto out;
	}
	if (ec2_dry_run(req, err))
		goto out;
	req_int(s, "VolumeSize", &gib, NULL);
	snap = snapshot_new(ctx, req, req_str0(s, "VolumeId"),
			    req_str0(json_object_object_get(s, "ec2lite"), "Volume"), gib,
			    json_object_get_boolean(json_object_object_get(s, "Encrypted")),
			    req_string(req, "Description") ? req_string(req, "Description") :
			    req_str0(s, "Description"),
			    req_str0(json_object_object_get(s, "ec2lite"), "Image"), err);
	if (snap) {
		resp = json_object_new_object();
		json_add_str(resp, "SnapshotId", req_str0(snap, "SnapshotId"));
		json_object_put(snap);
	}
out:
	json_object_put(root);
	store_unlock(lock);
	return resp;
}

static int by_snapshot_id(const void *a, const void *b)
{
	json_object *const *x = a, *const *y = b;

	return strcmp(req_str0(*x, "SnapshotId"), req_str0(*y, "SnapshotId"));
}

json_object *ec2_describe_snapshots(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err)
{
	json_object *filters = req_list(req, "Filters"), *ids = req_list(req, "SnapshotIds");
	json_object *owners = req_list(req, "OwnerIds"), *root, *snaps, *list, *resp;
	bool mine = !owners;
	size_t i;

	if (filter_validate(filters, snapshot_filters, err) < 0 ||
	    ec2_ids_check(ids, "snap", "InvalidSnapshotID.Malformed", err) < 0)
		return NULL;
	for (i = 0; owners && i < json_object_array_length(owners); i++) {
		const char *o = json_object_get_string(json_object_array_get_idx(owners, i));

		mine = mine || strcmp(o, "self") == 0 || strcmp(o, ctx->cfg->owner_id) == 0;
	}
	if (!ec2_dry_run(req, NULL))
		volume_settle(ctx);
	if (!(root = store_read(ctx->store, err)))
		return NULL;
	snaps = store_section(root, "snapshots");
	for (i = 0; ids && i < json_object_array_length(ids); i++) {
		const char *id = json_object_get_string(json_object_array_get_idx(ids, i));

		if (!snap_find(root, id, err)) {
			json_object_put(root);
			return NULL;
		}
	}
	list = json_object_new_array();
	json_object_object_foreach(snaps, sid, rec) {
		json_object *o;

		if (!mine || !json_strlist_wants(ids, sid) ||
		    strcmp(req_str0(rec, "State"), "deleted") == 0)
			continue;
		o = snapshot_json(rec);
		if (filter_match(o, filters, snapshot_filters))
			json_object_array_add(list, o);
		else
			json_object_put(o);
	}
	json_object_put(root);
	json_object_array_sort(list, by_snapshot_id);
	resp = json_object_new_object();
	if (req_page_into(req, 5, 1000, list, resp, "Snapshots", err) < 0) {
		json_object_put(resp);
		resp = NULL;
	}
	json_object_put(list);
	return resp;
}

json_object *ec2_delete_snapshot(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err)
{
	const char *sid = req_string(req, "SnapshotId");
	struct snap_change c = { .id = sid, .state = "deleted", .image_check = sid };
	json_object *root, *s, *resp = NULL;
	int lock = -1;

	if (!ec2_dry_run(req, NULL) && (lock = store_lock(ctx->store, "volumes", err)) < 0)
		return NULL;
	if (!(root = store_read(ctx->store, err)))
		goto out;
	if (!(s = snap_find(root, sid, err)))
		goto out;
	if (ec2_dry_run(req, NULL)) {
		/* the in-use check without the change */
		struct snap_change probe = { .id = sid, .image_check = sid };

		if (snap_apply(root, &probe, err) == 0)
			ec2_dry_run(req, err);
		goto out;
	}
	/* "deleted" hides it; its file goes once no volume sits on it. */
	if (snap_put(ctx, &c, err) < 0)
		goto out;
	snapshot_collect(ctx);
	resp = json_object_new_object();
out:
	json_object_put(root);
	store_unlock(lock);
	return resp;
}

struct collect {
	char **names; /* files to remove, their records gone */
	size_t n;
};

static int drop_dead(json_object *root, void *opaque, struct ec2_error *err)
{
	struct collect *c = opaque;
	json_object *snaps = store_section(root, "snapshots"), *vols = store_section(root, "volumes");
	char **gone = NULL;
	size_t ngone = 0, i;

	(void)err;
	json_object_object_foreach(snaps, sid, rec) {
		const char *st = req_str0(rec, "State");
		bool used = false;

		if (strcmp(st, "deleted") != 0 && strcmp(st, "pending") != 0)
			continue;
		json_object_object_foreach(vols, vid, v) {
			(void)vid;
			used = used || strcmp(req_str0(v, "SnapshotId"), sid) == 0;
		}
		if (used && strcmp(st, "deleted") == 0)
			continue;
		gone = realloc(gone, (ngone + 1) * sizeof(*gone));
		c->names = realloc(c->names, (c->n + 1) * sizeof(*c->names));
		if (!gone || !c->names)
			abort();
		gone[ngone++] = strdup(sid);
		c->names[c->n++] = strdup(req_str0(json_object_object_get(rec, "ec2lite"), "Volume"));
	}
	for (i = 0; i < ngone; i++) {
		json_object_object_del(snaps, gone[i]);
		free(gone[i]);
	}
	free(gone);
	return 0;
}

void snapshot_collect(struct ec2_ctx *ctx)
{
	struct collect c = { 0 };
	size_t i;

	if (store_update(ctx->store, drop_dead, &c, NULL) == 0)
		for (i = 0; i < c.n; i++)
			volume_pool_delete(ctx, c.names[i], NULL);
	for (i = 0; i < c.n; i++)
		free(c.names[i]);
	free(c.names);
}

int volume_snapshot_root(struct ec2_ctx *ctx, json_object *req, char sid[EC2_ID_MAX],
			 char **disk, char image[EC2_ID_MAX], struct ec2_error *err)
{
	json_object *maps = req_list(req, "BlockDeviceMappings"), *root, *s;
	const char *rdn = req_string(req, "RootDeviceName"), *id = NULL;
	size_t i;

	*disk = NULL;
	for (i = 0; maps && i < json_object_array_length(maps); i++) {
		json_object *m = json_object_array_get_idx(maps, i);

		if (strcmp(req_str0(m, "DeviceName"), rdn ? rdn : "/dev/xvda") == 0)
			id = req_string(json_object_object_get(m, "Ebs"), "SnapshotId");
	}
	if (!id)
		return 0;
	if (rdn && strcmp(rdn, "/dev/xvda") != 0) {
		ec2_error_set(err, "InvalidBlockDeviceMapping", "The root device here is /dev/xvda, "
			      "not %s", rdn);
		return -1;
	}
	if (!(root = store_read(ctx->store, err)))
		return -1;
	if (!(s = snap_find(root, id, err))) {
		json_object_put(root);
		return -1;
	}
	if (strcmp(req_str0(s, "State"), "completed") != 0) {
		ec2_error_set(err, "IncorrectState", "Snapshot is in invalid state - %s",
			      req_str0(s, "State"));
		json_object_put(root);
		return -1;
	}
	snprintf(sid, EC2_ID_MAX, "%s", id);
	snprintf(image, EC2_ID_MAX, "%s", req_str0(json_object_object_get(s, "ec2lite"), "Image"));
	*disk = util_strdupf("%s/%s", ctx->pool_dir,
			     req_str0(json_object_object_get(s, "ec2lite"), "Volume"));
	json_object_put(root);
	return 0;
}
