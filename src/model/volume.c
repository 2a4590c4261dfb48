/* EBS volumes: see include/ec2lite/volume.h. */
#include "ec2lite/volume.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libvirt/virterror.h>

#include "ec2lite/config.h"
#include "ec2lite/filter.h"
#include "ec2lite/ids.h"
#include "ec2lite/journal.h"
#include "ec2lite/store.h"
#include "ec2lite/tags.h"
#include "ec2lite/util.h"

#include "instance-internal.h"
#include "volume-internal.h"

static const struct filter_field volume_filters[] = {
	{ "attachment.attach-time", "Attachments.AttachTime" },
	{ "attachment.delete-on-termination", "Attachments.DeleteOnTermination" },
	{ "attachment.device", "Attachments.Device" },
	{ "attachment.instance-id", "Attachments.InstanceId" },
	{ "attachment.status", "Attachments.State" },
	{ "availability-zone", "AvailabilityZone" },
	{ "create-time", "CreateTime" },
	{ "encrypted", "Encrypted" },
	{ "fast-restored", "FastRestored" },
	{ "multi-attach-enabled", "MultiAttachEnabled" },
	{ "size", "Size" },
	{ "snapshot-id", "SnapshotId" },
	{ "status", "State" },
	{ "volume-id", "VolumeId" },
	{ "volume-type", "VolumeType" },
	{ "operator.managed", "Operator.Managed" },
	{ "operator.principal", "Operator.Principal" },
	{ NULL, NULL },
};

/* EC2's volume types and their limits. */
struct vtype {
	const char *name;
	long long min_gib, max_gib;
	long long iops_min, iops_max, iops_default; /* iops_max 0: Iops not accepted */
	long long iops_per_gib;                     /* the highest Iops:Size ratio */
	bool iops_required;
	bool throughput;                            /* Throughput accepted (gp3) */
};

static const struct vtype vtypes[] = {
	{ "standard", 1, 1024, 0, 0, 0, 0, false, false },
	{ "io1", 4, 16384, 100, 64000, 0, 50, true, false },
	{ "io2", 4, 65536, 100, 256000, 0, 1000, true, false },
	{ "gp2", 1, 16384, 0, 0, 0, 0, false, false },
	{ "sc1", 125, 16384, 0, 0, 0, 0, false, false },
	{ "st1", 125, 16384, 0, 0, 0, 0, false, false },
	{ "gp3", 1, 16384, 3000, 16000, 3000, 500, false, true },
};

static const struct vtype *vtype_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(vtypes) / sizeof(vtypes[0]); i++)
		if (strcmp(vtypes[i].name, name) == 0)
			return &vtypes[i];
	return NULL;
}

/* gp2's baseline: 3 IOPS per GiB, at least 100, at most 16000. */
static long long gp2_iops(long long gib)
{
	long long iops = gib * 3;

	return iops < 100 ? 100 : (iops > 16000 ? 16000 : iops);
}

int volume_spec(json_object *req, json_object *rec, long long min_gib, struct ec2_error *err)
{
	const char *type = req_string(req, "VolumeType");
	const struct vtype *t;
	long long size = 0, iops = 0, thr = 0;
	int has_size, has_iops, has_thr;

	if (!type)
		type = req_string(rec, "VolumeType") ? req_string(rec, "VolumeType") : "gp2";
	t = vtype_find(type);
	if (!t) {
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER, "Value (%s) for parameter volumeType is "
			      "invalid. Valid values: standard | io1 | io2 | gp2 | sc1 | st1 | gp3",
			      type);
		return -1;
	}
	if ((has_size = req_int(req, "Size", &size, err)) < 0 ||
	    (has_iops = req_int(req, "Iops", &iops, err)) < 0 ||
	    (has_thr = req_int(req, "Throughput", &thr, err)) < 0)
		return -1;
	if (!has_size) {
		size = min_gib;
		req_int(rec, "Size", &size, NULL);
	}
	if (size < t->min_gib || size < min_gib) {
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER, "Volume of %lldGiB is too small; "
			      "minimum is %lldGiB.", size, min_gib > t->min_gib ? min_gib : t->min_gib);
		return -1;
	}
	if (size > t->max_gib) {
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER, "Volume of %lldGiB is too large; "
			      "maximum is %lldGiB.", size, t->max_gib);
		return -1;
	}
	if (has_iops && t->iops_max == 0) {
		ec2_error_set(err, EC2_ERR_INVALID_COMBINATION,
			      "The parameter iops is not supported for %s volumes.", t->name);
		return -1;
	}
	if (!has_iops && t->iops_required) {
		/* A modification keeps the iops it had. */
		if (req_int(rec, "Iops", &iops, NULL) != 1) {
			ec2_error_set(err, EC2_ERR_MISSING_PARAMETER,
				      "The request must contain the parameter iops");
			return -1;
		}
		has_iops = 1;
	}
	if (t->iops_max) {
		if (!has_iops)
			iops = t->iops_default;
		if (iops < t->iops_min || iops > t->iops_max) {
			ec2_error_set(err, EC2_ERR_INVALID_PARAMETER, "Volume iops of %lld is too %s; "
				      "%s is %lld.", iops, iops < t->iops_min ? "low" : "high",
				      iops < t->iops_min ? "minimum" : "maximum",
				      iops < t->iops_min ? t->iops_min : t->iops_max);
			return -1;
		}
		if (has_iops && iops > size * t->iops_per_gib) {
			ec2_error_set(err, EC2_ERR_INVALID_PARAMETER, "Iops to volume size ratio of "
				      "%f is too high; maximum is %f.", (double)iops / (double)size,
				      (double)t->iops_per_gib);
			return -1;
		}
	} else if (strcmp(t->name, "gp2") == 0) {
		iops = gp2_iops(size);
	}
	if (has_thr && !t->throughput) {
		ec2_error_set(err, EC2_ERR_INVALID_COMBINATION,
			      "The parameter throughput is not supported for %s volumes.", t->name);
		return -1;
	}
	if (t->throughput) {
		if (!has_thr)
			thr = 125;
		if (thr < 125 || thr > 1000) {
			ec2_error_set(err, EC2_ERR_INVALID_PARAMETER, "Volume throughput of %lld is "
				      "too %s; %s is %d.", thr, thr < 125 ? "low" : "high",
				      thr < 125 ? "minimum" : "maximum", thr < 125 ? 125 : 1000);
			return -1;
		}
		if (thr * 4 > iops) {
			ec2_error_set(err, EC2_ERR_INVALID_PARAMETER, "Throughput (MiBps) to iops "
				      "ratio of %f is too high; maximum is 0.250000 MiBps per iops.",
				      (double)thr / (double)iops);
			return -1;
		}
	}
	json_add_int(rec, "Size", size);
	json_add_str(rec, "VolumeType", t->name);
	json_object_object_del(rec, "Iops");
	json_object_object_del(rec, "Throughput");
	if (iops)
		json_add_int(rec, "Iops", iops);
	if (t->throughput)
		json_add_int(rec, "Throughput", thr);
	return 0;
}

bool volume_target(const char *device, char target[8])
{
	const char *p = device;

	if (!p)
		return false;
	if (strncmp(p, "/dev/", 5) == 0)
		p += 5;
	if (strncmp(p, "xvd", 3) == 0)
		p += 3;
	else if (strncmp(p, "sd", 2) == 0)
		p += 2;
	else
		return false;
	/* vda is the root disk, vdb the seed and vds..vdz the instance store (domxml.c): volumes
	 * take f to p, the range EC2 recommends for EBS. */
	if (p[0] < 'f' || p[0] > 'p' || p[1])
		return false;
	snprintf(target, 8, "vd%c", p[0]);
	return true;
}

void volume_serial(const char *vid, char out[EC2_ID_MAX])
{
	snprintf(out, EC2_ID_MAX, "vol%s", strncmp(vid, "vol-", 4) == 0 ? vid + 4 : vid);
}

/* The attachment object EC2 shows (new reference). */
static json_object *attachment_json(const char *vid, const char *iid, json_object *e)
{
	json_object *a = json_object_new_object();

	json_add_str(a, "AttachTime", req_str0(e, "AttachTime"));
	json_add_str(a, "Device", req_str0(e, "Device"));
	json_add_str(a, "InstanceId", iid);
	json_add_str(a, "State", req_str0(e, "State"));
	json_add_str(a, "VolumeId", vid);
	json_add_bool(a, "DeleteOnTermination",
		      json_object_get_boolean(json_object_object_get(e, "DeleteOnTermination")));
	return a;
}

json_object *volume_json(json_object *rec, json_object *att)
{
	json_object *o = json_object_new_object(), *a = json_object_new_array(), *tags;
	const char *state = req_str0(rec, "State");

	if (att) {
		json_object_array_add(a, json_object_get(att));
		state = "in-use";
	}
	json_object_object_add(o, "Attachments", a);
	json_add_str(o, "AvailabilityZone", req_str0(rec, "AvailabilityZone"));
	json_add_str(o, "CreateTime", req_str0(rec, "CreateTime"));
	json_add_bool(o, "Encrypted",
		      json_object_get_boolean(json_object_object_get(rec, "Encrypted")));
	json_object_object_add(o, "Size", json_object_get(json_object_object_get(rec, "Size")));
	json_add_str(o, "SnapshotId", req_str0(rec, "SnapshotId"));
	json_add_str(o, "State", state);
	json_add_str(o, "VolumeId", req_str0(rec, "VolumeId"));
	if (json_object_object_get_ex(rec, "Iops", NULL))
		json_object_object_add(o, "Iops", json_object_get(json_object_object_get(rec, "Iops")));
	if (json_object_object_get_ex(rec, "Tags", &tags) && json_object_array_length(tags) > 0)
		json_object_object_add(o, "Tags", json_object_get(tags));
	json_add_str(o, "VolumeType", req_str0(rec, "VolumeType"));
	json_add_bool(o, "MultiAttachEnabled", false);
	if (json_object_object_get_ex(rec, "Throughput", NULL))
		json_object_object_add(o, "Throughput",
				       json_object_get(json_object_object_get(rec, "Throughput")));
	return o;
}

/* The size of a pool volume in GiB, rounded up (0 when it cannot be read). */
long long volume_pool_gib(struct ec2_ctx *ctx, const char *name)
{
	virStoragePoolPtr pool = virStoragePoolLookupByName(ctx->conn, ctx->pool_name);
	virStorageVolPtr vol = pool && name && *name ? virStorageVolLookupByName(pool, name) : NULL;
	virStorageVolInfo info;
	long long gib = 0;

	if (vol && virStorageVolGetInfo(vol, &info) == 0)
		gib = (long long)((info.capacity + (1ULL << 30) - 1) >> 30);
	if (vol)
		virStorageVolFree(vol);
	if (pool)
		virStoragePoolFree(pool);
	return gib;
}

void vols_free(struct vols *vs)
{
	insts_free(vs->insts, vs->n);
	json_object_put(vs->store);
	json_object_put(vs->all);
	memset(vs, 0, sizeof(*vs));
}

/* The root volume's record of a live instance, as the store would hold it (new reference). */
static json_object *root_record(struct ec2_ctx *ctx, const struct inst *in)
{
	json_object *r = json_object_new_object();
	long long gib = volume_pool_gib(ctx, in->meta.root_volume);

	json_add_str(r, "VolumeId", in->meta.root_volume_id);
	json_add_int(r, "Size", gib ? gib : 1);
	json_add_str(r, "VolumeType", "gp2");
	json_add_int(r, "Iops", gp2_iops(gib ? gib : 1));
	json_add_str(r, "AvailabilityZone", in->meta.availability_zone[0] ?
		     in->meta.availability_zone : ctx->cfg->availability_zone);
	json_add_str(r, "CreateTime", in->meta.launch_time);
	json_add_bool(r, "Encrypted", false);
	json_add_str(r, "SnapshotId", "");
	json_add_str(r, "State", "in-use");
	return r;
}

int vols_load(struct ec2_ctx *ctx, struct vols *vs, struct ec2_error *err)
{
	json_object *records;
	size_t i, k;

	memset(vs, 0, sizeof(*vs));
	if (!(vs->store = store_read(ctx->store, err)))
		return -1;
	if (list_all(ctx, &vs->insts, &vs->n, err) < 0) {
		vols_free(vs);
		return -1;
	}
	vs->all = json_object_new_object();
	records = store_section(vs->store, "volumes");
	json_object_object_foreach(records, vid, rec) {
		json_object *e = json_object_new_object();

		json_object_object_add(e, "Record", json_object_get(rec));
		json_object_object_add(vs->all, vid, e);
	}
	for (i = 0; i < vs->n; i++) {
		struct inst *in = &vs->insts[i];
		json_object *e, *d;

		if (!in->dom)
			continue;
		if (in->meta.root_volume_id[0] &&
		    !json_object_object_get_ex(vs->all, in->meta.root_volume_id, NULL)) {
			e = json_object_new_object();
			json_object_object_add(e, "Record", root_record(ctx, in));
			json_add_bool(e, "Root", true);
			json_add_str(e, "InstanceId", in->id);
			d = json_object_new_object();
			json_add_str(d, "AttachTime", in->meta.launch_time);
			json_add_str(d, "Device", "/dev/xvda");
			json_add_str(d, "State", "attached");
			json_add_bool(d, "DeleteOnTermination", !in->meta.root_keep);
			json_object_object_add(e, "Attachment",
					       attachment_json(in->meta.root_volume_id, in->id, d));
			json_object_put(d);
			json_object_object_add(vs->all, in->meta.root_volume_id, e);
		}
		for (k = 0; in->meta.volumes && k < json_object_array_length(in->meta.volumes); k++) {
			json_object *v = json_object_array_get_idx(in->meta.volumes, k);

			if (!json_object_object_get_ex(vs->all, req_str0(v, "VolumeId"), &e))
				continue; /* a volume that is gone: nothing to show */
			json_add_str(e, "InstanceId", in->id);
			json_object_object_add(e, "Attachment",
					       attachment_json(req_str0(v, "VolumeId"), in->id, v));
		}
	}
	return 0;
}

struct inst *vols_inst(struct vols *vs, const char *iid)
{
	size_t i;

	for (i = 0; iid && i < vs->n; i++)
		if (vs->insts[i].dom && strcmp(vs->insts[i].id, iid) == 0)
			return &vs->insts[i];
	return NULL;
}

json_object *vols_find(struct vols *vs, const char *vid, struct ec2_error *err)
{
	json_object *e;

	if (!vid) {
		ec2_error_set(err, EC2_ERR_MISSING_PARAMETER,
			      "The request must contain the parameter VolumeId");
		return NULL;
	}
	if (!json_object_object_get_ex(vs->all, vid, &e)) {
		ec2_error_set(err, "InvalidVolume.NotFound", "The volume '%s' does not exist.", vid);
		return NULL;
	}
	return e;
}

/* A pool volume removed; libvirtd may still be making it (teardown's volume_delete waits). */
int volume_pool_delete(struct ec2_ctx *ctx, const char *name, struct ec2_error *err)
{
	virStoragePoolPtr pool = virStoragePoolLookupByName(ctx->conn, ctx->pool_name);
	virStorageVolPtr vol = pool && name && *name ? virStorageVolLookupByName(pool, name) : NULL;
	int rc = 0;

	if (vol && volume_delete(vol) < 0) {
		ec2_error_set_libvirt(err, "cannot remove the volume '%s'", name);
		rc = -1;
	}
	if (vol)
		virStorageVolFree(vol);
	if (pool)
		virStoragePoolFree(pool);
	return rc;
}

/* --- store updates --- */

struct rec_change {
	const char *vid;
	json_object *rec;   /* the record to put (NULL: remove) */
	const char *state;  /* when rec is NULL and state set: the record's State becomes it */
	const char *expect; /* the State it must be in (NULL: any) */
};

static int rec_apply(json_object *root, void *opaque, struct ec2_error *err)
{
	struct rec_change *c = opaque;
	json_object *vols = store_section(root, "volumes"), *cur = NULL;

	json_object_object_get_ex(vols, c->vid, &cur);
	if (c->expect && (!cur || strcmp(req_str0(cur, "State"), c->expect) != 0)) {
		ec2_error_set(err, "IncorrectState", "The volume '%s' is '%s'.", c->vid,
			      cur ? req_str0(cur, "State") : "deleted");
		return -1;
	}
	if (c->rec)
		json_object_object_add(vols, c->vid, json_object_get(c->rec));
	else if (c->state && cur)
		json_add_str(cur, "State", c->state);
	else
		json_object_object_del(vols, c->vid);
	return 0;
}

int volume_record_put(struct ec2_ctx *ctx, const char *vid, json_object *rec,
		      struct ec2_error *err)
{
	struct rec_change c = { .vid = vid, .rec = rec };

	return store_update(ctx->store, rec_apply, &c, err);
}

static int record_state(struct ec2_ctx *ctx, const char *vid, const char *state,
			const char *expect, struct ec2_error *err)
{
	struct rec_change c = { .vid = vid, .state = state, .expect = expect };

	return store_update(ctx->store, rec_apply, &c, err);
}

static int record_drop(struct ec2_ctx *ctx, const char *vid, struct ec2_error *err)
{
	struct rec_change c = { .vid = vid };

	return store_update(ctx->store, rec_apply, &c, err);
}

/* --- CreateVolume --- */

static int pool_has_room(struct ec2_ctx *ctx, virStoragePoolPtr pool, long long gib,
			 struct ec2_error *err)
{
	virStoragePoolInfo info;

	if (virStoragePoolRefresh(pool, 0) < 0 || virStoragePoolGetInfo(pool, &info) < 0) {
		ec2_error_set_libvirt(err, "cannot read the storage pool '%s'", ctx->pool_name);
		return -1;
	}
	if ((unsigned long long)gib << 30 > info.available) {
		ec2_error_set(err, "InsufficientVolumeCapacity", "There is not enough free space "
			      "for a volume of %lldGiB (%lluGiB available).", gib,
			      info.available >> 30);
		return -1;
	}
	return 0;
}

json_object *ec2_create_volume(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err)
{
	const char *zone = req_string(req, "AvailabilityZone"), *snap = req_string(req, "SnapshotId");
	json_object *rec = json_object_new_object(), *tags = NULL, *root = NULL, *s = NULL;
	json_object *resp = NULL;
	virStoragePoolPtr pool = NULL;
	virStorageVolPtr vol = NULL;
	char vid[EC2_ID_MAX], now[32], name[64], *xml = NULL, *backing = NULL;
	long long snap_gib = 1, size;
	bool enc = false;
	int lock = -1;

	if (!req_string(req, "Size") && !json_object_object_get_ex(req, "Size", NULL) && !snap) {
		ec2_error_set(err, EC2_ERR_MISSING_PARAMETER,
			      "The request must contain the parameter size or snapshotId");
		goto out;
	}
	if (!zone) {
		ec2_error_set(err, EC2_ERR_MISSING_PARAMETER,
			      "The request must contain the parameter AvailabilityZone");
		goto out;
	}
	if (ec2_config_zone_index(ctx->cfg, zone) < 0) {
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER, "Invalid availability zone: [%s]", zone);
		goto out;
	}
	if (req_bool(req, "Encrypted", &enc, err) < 0)
		goto out;
	if (snap) {
		if (!(root = store_read(ctx->store, err)))
			goto out;
		if (!volume_id_ok("snap", snap, err))
			goto out;
		if (!json_object_object_get_ex(store_section(root, "snapshots"), snap, &s) ||
		    strcmp(req_str0(s, "State"), "deleted") == 0) {
			ec2_error_set(err, "InvalidSnapshot.NotFound",
				      "The snapshot '%s' does not exist.", snap);
			goto out;
		}
		if (strcmp(req_str0(s, "State"), "completed") != 0) {
			ec2_error_set(err, "IncorrectState", "Snapshot is in invalid state - %s",
				      req_str0(s, "State"));
			goto out;
		}
		req_int(s, "VolumeSize", &snap_gib, NULL);
		enc = enc || json_object_get_boolean(json_object_object_get(s, "Encrypted"));
	}
	if (volume_spec(req, rec, snap_gib, err) < 0)
		goto out;
	if (snap && json_object_object_get_ex(req, "Size", NULL)) {
		req_int(rec, "Size", &size, NULL);
		if (size < snap_gib) {
			ec2_error_set(err, EC2_ERR_INVALID_PARAMETER, "Volume of %lldGiB is smaller "
				      "than snapshot '%s', expect size >= %lldGiB", size, snap,
				      snap_gib);
			goto out;
		}
	}
	if (!(tags = tag_specs(req, "volume", NULL, err)))
		goto out;
	if (!(pool = ec2_pool(ctx, err)))
		goto out;
	req_int(rec, "Size", &size, NULL);
	if (pool_has_room(ctx, pool, size, err) < 0 || ec2_dry_run(req, err))
		goto out;
	if ((lock = store_lock(ctx->store, "volumes", err)) < 0 || ec2_id_new("vol", vid, err) < 0)
		goto out;
	util_iso8601(time(NULL), now, sizeof(now));
	snprintf(name, sizeof(name), "%s.qcow2", vid);
	json_add_str(rec, "VolumeId", vid);
	json_add_str(rec, "AvailabilityZone", zone);
	json_add_str(rec, "CreateTime", now);
	json_add_bool(rec, "Encrypted", enc);
	json_add_str(rec, "SnapshotId", snap ? snap : "");
	json_add_str(rec, "State", "creating");
	json_object_object_add(rec, "Tags", json_object_get(tags));
	{
		json_object *priv = json_object_new_object();

		json_add_str(priv, "Volume", name);
		json_object_object_add(rec, "ec2lite", priv);
	}
	/* The record first: a process killed while libvirt makes the file leaves a "creating"
	 * record, which the next DescribeVolumes undoes (volume_settle). */
	if (volume_record_put(ctx, vid, rec, err) < 0)
		goto out;
	if (snap)
		backing = util_strdupf("%s/%s", ctx->pool_dir,
				       req_str0(json_object_object_get(s, "ec2lite"), "Volume"));
	xml = domxml_volume(name, (unsigned long long)size << 30, backing, "qcow2", err);
	vol = xml ? virStorageVolCreateXML(pool, xml, 0) : NULL;
	if (!vol) {
		if (xml)
			ec2_error_set_libvirt(err, "cannot create the volume '%s'", vid);
		record_drop(ctx, vid, NULL);
		goto out;
	}
	if (ctx->test.volume_crash) {
		ec2_error_set(err, EC2_ERR_INTERNAL, "injected crash");
		goto out;
	}
	if (record_state(ctx, vid, "available", "creating", err) < 0) {
		volume_pool_delete(ctx, name, NULL);
		record_drop(ctx, vid, NULL);
		goto out;
	}
	resp = volume_json(rec, NULL);
out:
	store_unlock(lock);
	if (vol)
		virStorageVolFree(vol);
	if (pool)
		virStoragePoolFree(pool);
	free(xml);
	free(backing);
	json_object_put(tags);
	json_object_put(root);
	json_object_put(rec);
	return resp;
}

struct launch_done {
	const char *iid;
	bool undo; /* remove the records (and gather their files) instead of making them available */
	json_object *names;
};

static int launch_records(json_object *root, void *opaque, struct ec2_error *err)
{
	struct launch_done *d = opaque;
	json_object *vols = store_section(root, "volumes"), *gone = json_object_new_array();
	size_t i;

	(void)err;
	json_object_object_foreach(vols, vid, rec) {
		json_object *priv = json_object_object_get(rec, "ec2lite");

		if (strcmp(req_str0(priv, "Launch"), d->iid) != 0)
			continue;
		if (d->undo) {
			json_object_array_add(gone, json_object_new_string(vid));
			json_object_array_add(d->names, json_object_new_string(req_str0(priv, "Volume")));
		} else {
			json_object_object_del(priv, "Launch");
			json_add_str(rec, "State", "available");
		}
	}
	for (i = 0; i < json_object_array_length(gone); i++)
		json_object_object_del(vols, json_object_get_string(json_object_array_get_idx(gone, i)));
	json_object_put(gone);
	return 0;
}

/* --- settling what a killed change left --- */

/* Whether the domain's definition (live: its running state) has the volume's disk. */
static bool dom_has_volume(virDomainPtr dom, const char *vid, bool live)
{
	char serial[EC2_ID_MAX], *xml = virDomainGetXMLDesc(dom, live ? 0 : VIR_DOMAIN_XML_INACTIVE);
	bool has;

	volume_serial(vid, serial);
	has = domxml_has_serial(xml, serial);
	free(xml);
	return has;
}

int volume_device_change(struct ec2_ctx *ctx, virDomainPtr dom, const char *xml, bool attach,
			 bool live)
{
	unsigned flags = VIR_DOMAIN_AFFECT_CONFIG | (live ? VIR_DOMAIN_AFFECT_LIVE : 0);

	if (ctx->test.device_change)
		return ctx->test.device_change(dom, xml, attach, flags);
	return attach ? virDomainAttachDeviceFlags(dom, xml, flags)
		      : virDomainDetachDeviceFlags(dom, xml, flags);
}

char *volume_disk_xml(struct ec2_ctx *ctx, const char *name, const char *vid, const char *target,
		      struct ec2_error *err)
{
	char serial[EC2_ID_MAX], *path = util_strdupf("%s/%s", ctx->pool_dir, name), *xml;

	volume_serial(vid, serial);
	xml = domxml_volume_disk(path, target, serial, err);
	free(path);
	return xml;
}

/* Settles the transient attachments of one instance (the lock held); true when it changed. */
bool volume_settle_inst(struct ec2_ctx *ctx, struct vols *vs, struct inst *in)
{
	json_object *keep = json_object_new_array();
	bool active = virDomainIsActive(in->dom) == 1, changed = false;
	size_t k;

	for (k = 0; in->meta.volumes && k < json_object_array_length(in->meta.volumes); k++) {
		json_object *v = json_object_array_get_idx(in->meta.volumes, k), *e;
		const char *vid = req_str0(v, "VolumeId"), *st = req_str0(v, "State");
		bool drop = false;

		if (strcmp(st, "attaching") == 0) {
			if (dom_has_volume(in->dom, vid, false)) {
				json_add_str(v, "State", "attached");
			} else {
				drop = true;
			}
			changed = true;
		} else if (strcmp(st, "detaching") == 0) {
			if (active && dom_has_volume(in->dom, vid, true)) {
				/* the guest has not let go of it yet */
			} else {
				if (dom_has_volume(in->dom, vid, false) &&
				    json_object_object_get_ex(vs->all, vid, &e)) {
					char *xml = volume_disk_xml(ctx, req_str0(json_object_object_get(
						json_object_object_get(e, "Record"), "ec2lite"), "Volume"),
						vid, req_str0(v, "Target"), NULL);

					if (xml)
						volume_device_change(ctx, in->dom, xml, false, false);
					free(xml);
				}
				drop = !dom_has_volume(in->dom, vid, false);
				changed = drop;
			}
		}
		if (!drop)
			json_object_array_add(keep, json_object_get(v));
	}
	if (changed) {
		json_object_put(in->meta.volumes);
		in->meta.volumes = keep;
		ec2_meta_save(in->dom, &in->meta, NULL);
	} else {
		json_object_put(keep);
	}
	return changed;
}

void volume_settle(struct ec2_ctx *ctx)
{
	struct vols vs;
	json_object *records;
	bool transient = false;
	size_t i, k;
	int lock;

	if (store_lock_busy(ctx->store, "volumes") || vols_load(ctx, &vs, NULL) < 0)
		return;
	records = store_section(vs.store, "volumes");
	json_object_object_foreach(records, vid, rec) {
		const char *st = req_str0(rec, "State");

		(void)vid;
		transient |= strcmp(st, "creating") == 0 || strcmp(st, "deleting") == 0;
	}
	for (i = 0; i < vs.n; i++)
		for (k = 0; vs.insts[i].dom && vs.insts[i].meta.volumes &&
			    k < json_object_array_length(vs.insts[i].meta.volumes); k++)
			transient |= strcmp(req_str0(json_object_array_get_idx(
				vs.insts[i].meta.volumes, k), "State"), "attached") != 0;
	vols_free(&vs);
	if (!transient || (lock = store_lock(ctx->store, "volumes", NULL)) < 0)
		return;
	if (vols_load(ctx, &vs, NULL) == 0) {
		records = store_section(vs.store, "volumes");
		json_object_object_foreach(records, vid2, rec2) {
			const char *st = req_str0(rec2, "State");

			const char *launch = req_str0(json_object_object_get(rec2, "ec2lite"),
						      "Launch");

			/* a launch's new volume: its launch (or the journal's recovery, which
			 * destroy_resources) decides */
			if (launch[0] && journal_busy(ctx->cfg->state_dir, "InstanceId", launch))
				continue;
			if (launch[0] && vols_inst(&vs, launch)) {
				struct launch_done d = { .iid = launch };

				store_update(ctx->store, launch_records, &d, NULL);
				continue;
			}
			if (strcmp(st, "creating") == 0 || strcmp(st, "deleting") == 0) {
				if (volume_pool_delete(ctx, req_str0(json_object_object_get(
					rec2, "ec2lite"), "Volume"), NULL) == 0)
					record_drop(ctx, vid2, NULL);
			}
		}
		for (i = 0; i < vs.n; i++)
			if (vs.insts[i].dom)
				volume_settle_inst(ctx, &vs, &vs.insts[i]);
		vols_free(&vs);
	}
	snapshot_collect(ctx);
	store_unlock(lock);
}

/* --- DescribeVolumes --- */

static int by_volume_id(const void *a, const void *b)
{
	json_object *const *x = a, *const *y = b;

	return strcmp(req_str0(*x, "VolumeId"), req_str0(*y, "VolumeId"));
}

json_object *ec2_describe_volumes(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err)
{
	json_object *filters = req_list(req, "Filters"), *ids = req_list(req, "VolumeIds");
	json_object *list, *resp;
	struct vols vs;
	char missing[800] = "";
	int nmissing = 0;
	size_t i;

	if (filter_validate(filters, volume_filters, err) < 0 ||
	    ec2_ids_check(ids, "vol", "InvalidVolumeID.Malformed", err) < 0)
		return NULL;
	volume_settle(ctx);
	if (vols_load(ctx, &vs, err) < 0)
		return NULL;
	for (i = 0; ids && i < json_object_array_length(ids); i++) {
		const char *id = json_object_get_string(json_object_array_get_idx(ids, i));

		if (!json_object_object_get_ex(vs.all, id, NULL)) {
			size_t len = strlen(missing);

			snprintf(missing + len, sizeof(missing) - len, "%s%s", nmissing ? ", " : "", id);
			nmissing++;
		}
	}
	if (nmissing) {
		if (nmissing == 1)
			ec2_error_set(err, "InvalidVolume.NotFound", "The volume '%s' does not exist.",
				      missing);
		else
			ec2_error_set(err, "InvalidVolume.NotFound",
				      "The volumes '%s' do not exist.", missing);
		vols_free(&vs);
		return NULL;
	}
	list = json_object_new_array();
	json_object_object_foreach(vs.all, vid, e) {
		json_object *o;

		if (!json_strlist_wants(ids, vid))
			continue;
		o = volume_json(json_object_object_get(e, "Record"),
				json_object_object_get(e, "Attachment"));
		if (filter_match(o, filters, volume_filters))
			json_object_array_add(list, o);
		else
			json_object_put(o);
	}
	vols_free(&vs);
	json_object_array_sort(list, by_volume_id);
	resp = json_object_new_object();
	if (req_page_into(req, 5, 500, list, resp, "Volumes", err) < 0) {
		json_object_put(resp);
		resp = NULL;
	}
	json_object_put(list);
	return resp;
}

json_object *ec2_describe_volume_status(struct ec2_ctx *ctx, json_object *req,
					struct ec2_error *err)
{
	json_object *sub = json_object_new_object(), *vols, *out, *list, *resp;
	size_t i;

	if (json_object_object_get_ex(req, "VolumeIds", NULL))
		json_object_object_add(sub, "VolumeIds",
				       json_object_get(json_object_object_get(req, "VolumeIds")));
	vols = ec2_describe_volumes(ctx, sub, err);
	json_object_put(sub);
	if (!vols)
		return NULL;
	list = json_object_new_array();
	out = json_object_object_get(vols, "Volumes");
	for (i = 0; i < json_object_array_length(out); i++) {
		json_object *v = json_object_array_get_idx(out, i), *s = json_object_new_object();
		json_object *st = json_object_new_object(), *details = json_object_new_array(), *d;
		static const char *const names[] = { "io-enabled", "io-performance" };
		static const char *const values[] = { "passed", "not-applicable" };
		size_t k;

		json_object_object_add(s, "Actions", json_object_new_array());
		json_add_str(s, "AvailabilityZone", req_str0(v, "AvailabilityZone"));
		json_object_object_add(s, "Events", json_object_new_array());
		json_add_str(s, "VolumeId", req_str0(v, "VolumeId"));
		for (k = 0; k < 2; k++) {
			d = json_object_new_object();
			json_add_str(d, "Name", names[k]);
			json_add_str(d, "Status", values[k]);
			json_object_array_add(details, d);
		}
		json_object_object_add(st, "Details", details);
		json_add_str(st, "Status", "ok");
		json_object_object_add(s, "VolumeStatus", st);
		json_object_array_add(list, s);
	}
	json_object_put(vols);
	resp = json_object_new_object();
	json_object_object_add(resp, "VolumeStatuses", list);
	return resp;
}

/* --- DeleteVolume --- */

json_object *vols_open(struct ec2_ctx *ctx, json_object *req, const char *vid, struct vols *vs,
		       bool *loaded, int *lock, struct ec2_error *err)
{
	if (!ec2_dry_run(req, NULL) && (*lock = store_lock(ctx->store, "volumes", err)) < 0)
		return NULL;
	if (vols_load(ctx, vs, err) < 0)
		return NULL;
	*loaded = true;
	return vols_find(vs, vid, err);
}

bool volume_id_ok(const char *kind, const char *id, struct ec2_error *err)
{
	if (!id || ec2_id_valid(kind, id))
		return true;
	ec2_error_set(err, strcmp(kind, "vol") == 0 ? "InvalidVolumeID.Malformed" :
		      "InvalidSnapshotID.Malformed", "Invalid id: \"%s\" (expecting \"%s-...\")", id,
		      kind);
	return false;
}

json_object *ec2_delete_volume(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err)
{
	const char *vid = req_string(req, "VolumeId");
	json_object *e, *rec, *resp = NULL;
	struct vols vs;
	bool loaded = false;
	int lock = -1;

	if (!volume_id_ok("vol", vid, err))
		return NULL;
	if (!(e = vols_open(ctx, req, vid, &vs, &loaded, &lock, err)))
		goto out;
	rec = json_object_object_get(e, "Record");
	if (json_object_object_get_ex(e, "Attachment", NULL)) {
		ec2_error_set(err, "VolumeInUse", "Volume %s is currently attached to %s", vid,
			      req_str0(e, "InstanceId"));
		goto out;
	}
	if (strcmp(req_str0(rec, "State"), "available") != 0) {
		ec2_error_set(err, "IncorrectState", "The volume '%s' is '%s'.", vid,
			      req_str0(rec, "State"));
		goto out;
	}
	if (ec2_dry_run(req, err))
		goto out;
	/* "deleting" first: a process killed now leaves it for the next pass to finish. */
	if (record_state(ctx, vid, "deleting", "available", err) < 0)
		goto out;
	if (ctx->test.volume_crash) {
		ec2_error_set(err, EC2_ERR_INTERNAL, "injected crash");
		goto out;
	}
	if (volume_pool_delete(ctx, req_str0(json_object_object_get(rec, "ec2lite"), "Volume"),
			       err) < 0)
		goto out; /* "deleting": the next pass tries again */
	record_drop(ctx, vid, NULL);
	snapshot_collect(ctx);
	ec2_image_collect(ctx);
	resp = json_object_new_object();
out:
	if (loaded)
		vols_free(&vs);
	store_unlock(lock);
	return resp;
}

/* --- AttachVolume, DetachVolume --- */

static json_object *attach_answer(const char *vid, const char *iid, json_object *entry,
				  const char *state)
{
	json_object *a = json_object_new_object();

	json_add_str(a, "AttachTime", req_str0(entry, "AttachTime"));
	json_add_str(a, "Device", req_str0(entry, "Device"));
	json_add_str(a, "InstanceId", iid);
	json_add_str(a, "State", state);
	json_add_str(a, "VolumeId", vid);
	return a;
}

json_object *ec2_attach_volume(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err)
{
	const char *vid = req_string(req, "VolumeId"), *iid = req_string(req, "InstanceId");
	const char *dev = req_string(req, "Device");
	json_object *e, *rec, *entry = NULL, *resp = NULL;
	struct inst *in;
	struct vols vs;
	char target[8], now[32], *xml = NULL;
	bool loaded = false, live;
	size_t k;
	int lock = -1;

	if (!vid || !iid || !dev) {
		ec2_error_set(err, EC2_ERR_MISSING_PARAMETER, "The request must contain the "
			      "parameter %s", !vid ? "VolumeId" : (!iid ? "InstanceId" : "Device"));
		return NULL;
	}
	if (!volume_id_ok("vol", vid, err))
		return NULL;
	if (!ec2_id_valid("i", iid)) {
		ec2_error_set(err, EC2_ERR_INSTANCE_MALFORMED,
			      "Invalid id: \"%s\" (expecting \"i-...\")", iid);
		return NULL;
	}
	if (!(e = vols_open(ctx, req, vid, &vs, &loaded, &lock, err)))
		goto out;
	rec = json_object_object_get(e, "Record");
	if (!(in = vols_inst(&vs, iid))) {
		ec2_error_set(err, EC2_ERR_INSTANCE_NOT_FOUND,
			      "The instance ID '%s' does not exist", iid);
		goto out;
	}
	if (json_object_object_get_ex(e, "Attachment", NULL)) {
		ec2_error_set(err, "VolumeInUse", "%s is already attached to an instance", vid);
		goto out;
	}
	if (strcmp(req_str0(rec, "State"), "available") != 0) {
		ec2_error_set(err, "IncorrectState", "The volume '%s' is '%s'.", vid,
			      req_str0(rec, "State"));
		goto out;
	}
	if (in->state != EC2_RUNNING && in->state != EC2_STOPPED) {
		ec2_error_set(err, EC2_ERR_INCORRECT_STATE,
			      "Instance '%s' is not 'running' or 'stopped'.", iid);
		goto out;
	}
	if (strcmp(req_str0(rec, "AvailabilityZone"), in->meta.availability_zone[0] ?
		   in->meta.availability_zone : ctx->cfg->availability_zone) != 0) {
		ec2_error_set(err, "InvalidVolume.ZoneMismatch", "The volume '%s' is not in the "
			      "same availability zone as instance '%s'", vid, iid);
		goto out;
	}
	if (strcmp(dev, "/dev/xvda") == 0 || strcmp(dev, "/dev/sda1") == 0 ||
	    strcmp(dev, "xvda") == 0) {
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER, "Invalid value '%s' for unixDevice. "
			      "Attachment point %s is already in use", dev, dev);
		goto out;
	}
	if (!volume_target(dev, target)) {
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER, "Value (%s) for parameter device is "
			      "invalid. %s is not a valid EBS device name.", dev, dev);
		goto out;
	}
	for (k = 0; in->meta.volumes && k < json_object_array_length(in->meta.volumes); k++) {
		if (strcmp(req_str0(json_object_array_get_idx(in->meta.volumes, k), "Target"),
			   target) == 0) {
			ec2_error_set(err, EC2_ERR_INVALID_PARAMETER, "Invalid value '%s' for "
				      "unixDevice. Attachment point %s is already in use", dev, dev);
			goto out;
		}
	}
	if (ec2_dry_run(req, err))
		goto out;
	xml = volume_disk_xml(ctx, req_str0(json_object_object_get(rec, "ec2lite"), "Volume"), vid,
			      target, err);
	if (!xml)
		goto out;
	util_iso8601(time(NULL), now, sizeof(now));
	entry = json_object_new_object();
	json_add_str(entry, "VolumeId", vid);
	json_add_str(entry, "Device", dev);
	json_add_str(entry, "Target", target);
	json_add_str(entry, "AttachTime", now);
	json_add_str(entry, "State", "attaching");
	json_add_bool(entry, "DeleteOnTermination", false);
	if (!in->meta.volumes)
		in->meta.volumes = json_object_new_array();
	/* The instance lists it first: a process killed now leaves "attaching", which the next pass
	 * makes what the domain's definition says. */
	json_object_array_add(in->meta.volumes, json_object_get(entry));
	if (ec2_meta_save(in->dom, &in->meta, err) < 0)
		goto out;
	if (ctx->test.volume_crash) {
		ec2_error_set(err, EC2_ERR_INTERNAL, "injected crash");
		goto out;
	}
	live = virDomainIsActive(in->dom) == 1;
	if (volume_device_change(ctx, in->dom, xml, true, live) < 0) {
		ec2_error_set_libvirt(err, "cannot attach the volume '%s' to '%s'", vid, iid);
		json_object_array_del_idx(in->meta.volumes,
					  json_object_array_length(in->meta.volumes) - 1, 1);
		ec2_meta_save(in->dom, &in->meta, NULL);
		goto out;
	}
	json_add_str(entry, "State", "attached");
	ec2_meta_save(in->dom, &in->meta, NULL); /* else the next pass finds it in the XML */
	resp = attach_answer(vid, iid, entry, "attaching");
out:
	json_object_put(entry);
	free(xml);
	if (loaded)
		vols_free(&vs);
	store_unlock(lock);
	return resp;
}

json_object *ec2_detach_volume(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err)
{
	const char *vid = req_string(req, "VolumeId"), *iid = req_string(req, "InstanceId");
	const char *dev = req_string(req, "Device");
	json_object *e, *rec, *att, *entry = NULL, *resp = NULL;
	struct inst *in;
	struct vols vs;
	bool loaded = false, force = false;
	char *xml = NULL;
	size_t k;
	int lock = -1;

	if (!volume_id_ok("vol", vid, err))
		return NULL;
	if (req_bool(req, "Force", &force, err) < 0)
		return NULL;
	if (!(e = vols_open(ctx, req, vid, &vs, &loaded, &lock, err)))
		goto out;
	rec = json_object_object_get(e, "Record");
	if (!json_object_object_get_ex(e, "Attachment", &att)) {
		ec2_error_set(err, "IncorrectState", "Volume '%s' is in the '%s' state.", vid,
			      req_str0(rec, "State"));
		goto out;
	}
	if ((iid && strcmp(iid, req_str0(e, "InstanceId")) != 0) ||
	    (dev && strcmp(dev, req_str0(att, "Device")) != 0)) {
		ec2_error_set(err, "InvalidAttachment.NotFound", "Volume '%s' is not attached to "
			      "instance '%s' at '%s'", vid, iid ? iid : req_str0(e, "InstanceId"),
			      dev ? dev : req_str0(att, "Device"));
		goto out;
	}
	if (json_object_get_boolean(json_object_object_get(e, "Root"))) {
		ec2_error_set(err, "OperationNotPermitted", "The volume '%s' is the root device of "
			      "instance '%s' and cannot be detached", vid, req_str0(e, "InstanceId"));
		goto out;
	}
	in = vols_inst(&vs, req_str0(e, "InstanceId"));
	for (k = 0; in && k < json_object_array_length(in->meta.volumes); k++)
		if (strcmp(req_str0(json_object_array_get_idx(in->meta.volumes, k), "VolumeId"),
			   vid) == 0)
			entry = json_object_array_get_idx(in->meta.volumes, k);
	if (!entry) {
		ec2_error_set(err, EC2_ERR_INTERNAL, "the attachment of '%s' was not found", vid);
		goto out;
	}
	if (strcmp(req_str0(entry, "State"), "detaching") == 0 && !force) {
		ec2_error_set(err, "IncorrectState", "Volume '%s' is in the 'detaching' state.", vid);
		goto out;
	}
	if (ec2_dry_run(req, err))
		goto out;
	xml = volume_disk_xml(ctx, req_str0(json_object_object_get(rec, "ec2lite"), "Volume"), vid,
			      req_str0(entry, "Target"), err);
	if (!xml)
		goto out;
	json_add_str(entry, "State", "detaching");
	if (ec2_meta_save(in->dom, &in->meta, err) < 0)
		goto out;
	resp = attach_answer(vid, in->id, entry, "detaching");
	if (ctx->test.volume_crash) {
		json_object_put(resp);
		resp = NULL;
		ec2_error_set(err, EC2_ERR_INTERNAL, "injected crash");
		goto out;
	}
	/* libvirt asks the guest to let go and takes it out of the definition; the volume is
	 * available once the running domain's XML no longer has it (volume_settle). */
	if (volume_device_change(ctx, in->dom, xml, false, virDomainIsActive(in->dom) == 1) < 0 &&
	    !force)
		virResetLastError(); /* settled below from what the XML says */
	volume_settle_inst(ctx, &vs, in);
out:
	free(xml);
	if (loaded)
		vols_free(&vs);
	store_unlock(lock);
	return resp;
}

/* --- ModifyVolume --- */

json_object *ec2_modify_volume(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err)
{
	const char *vid = req_string(req, "VolumeId");
	json_object *e, *rec, *next = NULL, *resp = NULL, *mod;
	struct vols vs;
	long long old_size = 0, new_size = 0;
	bool loaded = false;
	int lock = -1;
	char now[32];

	if (!(e = vols_open(ctx, req, vid, &vs, &loaded, &lock, err)))
		goto out;
	rec = json_object_object_get(e, "Record");
	if (json_object_get_boolean(json_object_object_get(e, "Root")) ||
	    strcmp(req_str0(rec, "State"), "available") != 0 ||
	    json_object_object_get_ex(e, "Attachment", NULL)) {
		ec2_error_set(err, "IncorrectModificationState", "The volume '%s' can be modified "
			      "here only while it is available (detached).", vid);
		goto out;
	}
	json_object_deep_copy(rec, &next, NULL);
	req_int(rec, "Size", &old_size, NULL);
	if (volume_spec(req, next, 1, err) < 0)
		goto out;
	req_int(next, "Size", &new_size, NULL);
	if (new_size < old_size) {
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER, "New size cannot be smaller than "
			      "existing size");
		goto out;
	}
	if (ec2_dry_run(req, err))
		goto out;
	if (new_size > old_size) {
		virStoragePoolPtr pool = ec2_pool(ctx, err);
		virStorageVolPtr vol = pool ? virStorageVolLookupByName(pool, req_str0(
			json_object_object_get(rec, "ec2lite"), "Volume")) : NULL;
		int rc = vol ? virStorageVolResize(vol, (unsigned long long)new_size << 30, 0) : -1;

		if (rc < 0 && pool)
			ec2_error_set_libvirt(err, "cannot grow the volume '%s'", vid);
		if (vol)
			virStorageVolFree(vol);
		if (pool)
			virStoragePoolFree(pool);
		if (rc < 0)
			goto out;
	}
	if (volume_record_put(ctx, vid, next, err) < 0)
		goto out;
	util_iso8601(time(NULL), now, sizeof(now));
	mod = json_object_new_object();
	json_add_str(mod, "VolumeId", vid);
	json_add_str(mod, "ModificationState", "completed");
	json_add_int(mod, "TargetSize", new_size);
	if (json_object_object_get_ex(next, "Iops", NULL))
		json_add_int(mod, "TargetIops", json_object_get_int64(json_object_object_get(next,
												 "Iops")));
	json_add_str(mod, "TargetVolumeType", req_str0(next, "VolumeType"));
	if (json_object_object_get_ex(next, "Throughput", NULL))
		json_add_int(mod, "TargetThroughput",
			     json_object_get_int64(json_object_object_get(next, "Throughput")));
	json_add_int(mod, "OriginalSize", old_size);
	if (json_object_object_get_ex(rec, "Iops", NULL))
		json_add_int(mod, "OriginalIops", json_object_get_int64(json_object_object_get(rec,
												   "Iops")));
	json_add_str(mod, "OriginalVolumeType", req_str0(rec, "VolumeType"));
	json_add_int(mod, "Progress", 100);
	json_add_str(mod, "StartTime", now);
	json_add_str(mod, "EndTime", now);
	resp = json_object_new_object();
	json_object_object_add(resp, "VolumeModification", mod);
out:
	json_object_put(next);
	if (loaded)
		vols_free(&vs);
	store_unlock(lock);
	return resp;
}

/* --- the instance model's hooks --- */

void volume_instance_gone(struct ec2_ctx *ctx, json_object *root, const char *iid,
			  const struct ec2_meta *m, long long size_gib)
{
	json_object *vols = store_section(root, "volumes"), *rec;
	size_t k;

	for (k = 0; m->volumes && k < json_object_array_length(m->volumes); k++) {
		json_object *v = json_object_array_get_idx(m->volumes, k);

		if (json_object_get_boolean(json_object_object_get(v, "DeleteOnTermination")) &&
		    json_object_object_get_ex(vols, req_str0(v, "VolumeId"), &rec))
			json_add_str(rec, "State", "deleting");
	}
	if (m->root_keep && m->root_volume_id[0]) {
		json_object *priv = json_object_new_object();

		rec = json_object_new_object();
		json_add_str(rec, "VolumeId", m->root_volume_id);
		json_add_int(rec, "Size", size_gib ? size_gib : 1);
		json_add_str(rec, "VolumeType", "gp2");
		json_add_int(rec, "Iops", gp2_iops(size_gib ? size_gib : 1));
		json_add_str(rec, "AvailabilityZone", m->availability_zone[0] ?
			     m->availability_zone : ctx->cfg->availability_zone);
		json_add_str(rec, "CreateTime", m->launch_time);
		json_add_bool(rec, "Encrypted", false);
		json_add_str(rec, "SnapshotId", "");
		json_add_str(rec, "State", "available");
		json_add_str(priv, "Volume", m->root_volume);
		json_add_str(priv, "Image", m->image_id);
		json_add_str(priv, "Instance", iid);
		json_object_object_add(rec, "ec2lite", priv);
		json_object_object_add(vols, m->root_volume_id, rec);
	}
}

long long volume_root_gib(struct ec2_ctx *ctx, const char *name)
{
	return volume_pool_gib(ctx, name);
}

bool volume_uses_image(json_object *root, const char *image_id)
{
	json_object *vols = store_section(root, "volumes");

	json_object_object_foreach(vols, vid, rec) {
		(void)vid;
		if (strcmp(req_str0(json_object_object_get(rec, "ec2lite"), "Image"), image_id) == 0)
			return true;
	}
	return false;
}

/* --- RunInstances' new volumes --- */

json_object *volume_launch_specs(struct ec2_ctx *ctx, json_object *req, const char *zone,
				 struct ec2_error *err)
{
	json_object *maps = req_list(req, "BlockDeviceMappings"), *out = json_object_new_array();
	json_object *root = NULL;
	size_t i, k;

	for (i = 0; maps && i < json_object_array_length(maps); i++) {
		json_object *m = json_object_array_get_idx(maps, i), *ebs, *spec, *sreq, *s, *e;
		const char *dev = req_string(m, "DeviceName"), *snap;
		char target[8];
		long long snap_gib = 1;
		bool del = true;

		if (!dev || strcmp(dev, "/dev/xvda") == 0 || !json_object_object_get_ex(m, "Ebs", &ebs))
			continue;
		if (!volume_target(dev, target)) {
			ec2_error_set(err, EC2_ERR_INVALID_PARAMETER, "Value (%s) for parameter device "
				      "is invalid. %s is not a valid EBS device name.", dev, dev);
			goto fail;
		}
		for (k = 0; k < json_object_array_length(out); k++) {
			if (strcmp(req_str0(json_object_array_get_idx(out, k), "Target"), target) == 0) {
				ec2_error_set(err, "InvalidBlockDeviceMapping", "The device '%s' is "
					      "used in more than one block-device mapping", dev);
				goto fail;
			}
		}
		if (req_bool(ebs, "DeleteOnTermination", &del, err) < 0)
			goto fail;
		snap = req_string(ebs, "SnapshotId");
		if (snap) {
			if (!root && !(root = store_read(ctx->store, err)))
				goto fail;
			if (!json_object_object_get_ex(store_section(root, "snapshots"), snap, &s) ||
			    strcmp(req_str0(s, "State"), "completed") != 0) {
				ec2_error_set(err, "InvalidSnapshot.NotFound",
					      "The snapshot '%s' does not exist.", snap);
				goto fail;
			}
			req_int(s, "VolumeSize", &snap_gib, NULL);
		} else if (!json_object_object_get_ex(ebs, "VolumeSize", NULL)) {
			ec2_error_set(err, EC2_ERR_MISSING_PARAMETER, "The request must contain the "
				      "parameter size or snapshotId (block device mapping %s)", dev);
			goto fail;
		}
		/* volume_spec reads CreateVolume's names */
		sreq = json_object_new_object();
		if (json_object_object_get_ex(ebs, "VolumeSize", &s))
			json_object_object_add(sreq, "Size", json_object_get(s));
		if (json_object_object_get_ex(ebs, "VolumeType", &s))
			json_object_object_add(sreq, "VolumeType", json_object_get(s));
		if (json_object_object_get_ex(ebs, "Iops", &s))
			json_object_object_add(sreq, "Iops", json_object_get(s));
		if (json_object_object_get_ex(ebs, "Throughput", &s))
			json_object_object_add(sreq, "Throughput", json_object_get(s));
		spec = json_object_new_object();
		if (volume_spec(sreq, spec, snap_gib, err) < 0) {
			json_object_put(sreq);
			json_object_put(spec);
			goto fail;
		}
		json_object_put(sreq);
		json_add_str(spec, "SnapshotId", snap ? snap : "");
		if (snap)
			json_add_str(spec, "Backing", req_str0(json_object_object_get(
				json_object_object_get(store_section(root, "snapshots"), snap),
				"ec2lite"), "Volume"));
		e = json_object_new_object();
		json_add_str(e, "Device", dev);
		json_add_str(e, "Target", target);
		json_add_bool(e, "DeleteOnTermination", del);
		json_object_object_add(e, "Spec", spec);
		json_object_array_add(out, e);
	}
	(void)zone;
	json_object_put(root);
	return out;
fail:
	json_object_put(root);
	json_object_put(out);
	return NULL;
}

int volume_launch_make(struct ec2_ctx *ctx, const char *iid, json_object *specs, const char *zone,
		       struct ec2_meta *m, struct ec2_error *err)
{
	virStoragePoolPtr pool = NULL;
	size_t i;
	int rc = -1;

	if (!specs || json_object_array_length(specs) == 0)
		return 0;
	if (!(pool = ec2_pool(ctx, err)))
		return -1;
	if (!m->volumes)
		m->volumes = json_object_new_array();
	for (i = 0; i < json_object_array_length(specs); i++) {
		json_object *e = json_object_array_get_idx(specs, i), *rec = NULL, *priv, *entry;
		char vid[EC2_ID_MAX], name[64], now[32], *xml, *backing = NULL;
		virStorageVolPtr vol;
		long long size = 1;

		if (ec2_id_new("vol", vid, err) < 0)
			goto out;
		json_object_deep_copy(json_object_object_get(e, "Spec"), &rec, NULL);
		json_object_object_del(rec, "Backing");
		util_iso8601(time(NULL), now, sizeof(now));
		snprintf(name, sizeof(name), "%s.qcow2", vid);
		json_add_str(rec, "VolumeId", vid);
		json_add_str(rec, "AvailabilityZone", zone);
		json_add_str(rec, "CreateTime", now);
		json_add_bool(rec, "Encrypted", false);
		json_add_str(rec, "State", "creating");
		priv = json_object_new_object();
		json_add_str(priv, "Volume", name);
		json_add_str(priv, "Launch", iid); /* until the launch made it whole */
		json_object_object_add(rec, "ec2lite", priv);
		req_int(rec, "Size", &size, NULL);
		if (volume_record_put(ctx, vid, rec, err) < 0) {
			json_object_put(rec);
			goto out;
		}
		json_object_put(rec);
		if (req_str0(json_path(e, "Spec"), "Backing")[0])
			backing = util_strdupf("%s/%s", ctx->pool_dir,
					       req_str0(json_path(e, "Spec"), "Backing"));
		xml = domxml_volume(name, (unsigned long long)size << 30, backing, "qcow2", err);
		free(backing);
		vol = xml ? virStorageVolCreateXML(pool, xml, 0) : NULL;
		free(xml);
		if (!vol) {
			ec2_error_set_libvirt(err, "cannot create the volume '%s'", vid);
			goto out;
		}
		virStorageVolFree(vol);
		entry = json_object_new_object();
		json_add_str(entry, "VolumeId", vid);
		json_add_str(entry, "Device", req_str0(e, "Device"));
		json_add_str(entry, "Target", req_str0(e, "Target"));
		json_add_str(entry, "AttachTime", m->launch_time[0] ? m->launch_time : now);
		json_add_str(entry, "State", "attached");
		json_add_bool(entry, "DeleteOnTermination",
			      json_object_get_boolean(json_object_object_get(e, "DeleteOnTermination")));
		json_object_array_add(m->volumes, entry);
	}
	rc = 0;
out:
	virStoragePoolFree(pool);
	return rc;
}

int volume_launch_attach(struct ec2_ctx *ctx, const char *iid, virDomainPtr dom,
			 const struct ec2_meta *m, struct ec2_error *err)
{
	size_t i;

	if (!m->volumes || json_object_array_length(m->volumes) == 0)
		return 0;
	for (i = 0; i < json_object_array_length(m->volumes); i++) {
		json_object *v = json_object_array_get_idx(m->volumes, i);
		char name[64], *xml;
		int rc;

		snprintf(name, sizeof(name), "%s.qcow2", req_str0(v, "VolumeId"));
		xml = volume_disk_xml(ctx, name, req_str0(v, "VolumeId"), req_str0(v, "Target"), err);
		rc = xml ? volume_device_change(ctx, dom, xml, true, false) : -1;
		free(xml);
		if (rc < 0) {
			ec2_error_set_libvirt(err, "cannot attach the volume '%s' to '%s'",
					      req_str0(v, "VolumeId"), iid);
			return -1;
		}
	}
	return 0;
}

void volume_launch_done(struct ec2_ctx *ctx, const char *iid)
{
	struct launch_done d = { .iid = iid };

	/* should this fail, the next volume_settle finds the instance live and does it */
	store_update(ctx->store, launch_records, &d, NULL);
}

void volume_launch_undo(struct ec2_ctx *ctx, const char *iid)
{
	struct launch_done d = { .iid = iid, .undo = true, .names = json_object_new_array() };
	size_t i;

	if (store_update(ctx->store, launch_records, &d, NULL) == 0)
		for (i = 0; i < json_object_array_length(d.names); i++)
			volume_pool_delete(ctx, json_object_get_string(
				json_object_array_get_idx(d.names, i)), NULL);
	json_object_put(d.names);
}
