/* The AMI catalog: RegisterImage, DescribeImages, DeregisterImage.
 *
 * An AMI is a read-only base disk in the ec2-lite storage pool (plus, for kernel-boot AMIs, a
 * kernel and initrd kept beside it) and a record in the store. Instances get qcow2 overlays on the
 * base, so deregistering an AMI that instances still use only hides it: its files go when the
 * last such instance is terminated (EC2 keeps those instances working too). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ec2lite/domxml.h"
#include "ec2lite/ec2.h"
#include "ec2lite/filter.h"
#include "ec2lite/image.h"
#include "ec2lite/kernel.h"
#include "ec2lite/ids.h"
#include "ec2lite/util.h"
#include "ec2lite/volume.h"

/* The private part of an image record, never shown to clients. */
#define PRIVATE_KEY "ec2lite"

const char *image_private(json_object *image, const char *key)
{
	json_object *p;

	return json_object_object_get_ex(image, PRIVATE_KEY, &p) ? req_string(p, key) : NULL;
}

json_object *image_any(struct ec2_ctx *ctx, const char *id, struct ec2_error *err)
{
	json_object *root = store_read(ctx->store, err), *img = NULL;

	if (root && json_object_object_get_ex(store_section(root, "images"), id, &img))
		json_object_get(img);
	else
		img = NULL;
	json_object_put(root);
	return img;
}

json_object *ec2_image_get(struct ec2_ctx *ctx, const char *image_id, struct ec2_error *err)
{
	struct ec2_error e = { 0 };
	json_object *img = image_any(ctx, image_id, &e);

	if (!img && e.code[0]) {
		if (err)
			*err = e;
		return NULL;
	}
	if (img && strcmp(req_str0(img, "State"), "deregistered") == 0) {
		json_object_put(img);
		img = NULL;
	}
	if (!img)
		ec2_error_set(err, EC2_ERR_AMI_NOT_FOUND, "The image id '[%s]' does not exist",
			      image_id);
	return img;
}

/* Reads the first bytes of path to tell qcow2 from raw, and the disk's virtual size. */
int image_probe_disk(const char *path, char *format, size_t fsize, unsigned long long *vsize,
		     struct ec2_error *err)
{
	unsigned char h[80];
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0) {
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER, "The disk '%s' cannot be opened: %s",
			      path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER, "The disk '%s' is not a regular file",
			      path);
		return -1;
	}
	n = read(fd, h, sizeof(h));
	close(fd);
	if (n >= 32 && memcmp(h, "QFI\xfb", 4) == 0) {
		unsigned long long backing = 0, size = 0, incompatible = 0;
		unsigned version = (unsigned)h[4] << 24 | (unsigned)h[5] << 16 | (unsigned)h[6] << 8 | h[7];
		int i;

		for (i = 0; i < 8; i++) {
			backing = backing << 8 | h[8 + i];
			size = size << 8 | h[24 + i];
			if (n >= 80)
				incompatible = incompatible << 8 | h[72 + i];
		}
		/* Version 3's incompatible feature bit 2: the data lives in an external file, which
		 * the image names (a host path). */
		if (version >= 3 && (n < 80 || (incompatible & 0x4))) {
			ec2_error_set(err, EC2_ERR_INVALID_PARAMETER,
				      "The disk '%s' keeps its data in an external file: an AMI must "
				      "be standalone", path);
			return -1;
		}
		if (backing) {
			ec2_error_set(err, EC2_ERR_INVALID_PARAMETER,
				      "The disk '%s' is a qcow2 overlay: an AMI must be standalone",
				      path);
			return -1;
		}
		snprintf(format, fsize, "qcow2");
		*vsize = size;
	} else {
		snprintf(format, fsize, "raw");
		*vsize = (unsigned long long)st.st_size;
	}
	if (*vsize < 512) {
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER, "The disk '%s' is empty", path);
		return -1;
	}
	return 0;
}

/* A copy that shares blocks where the filesystem can (reflink), else a sparse copy, readable by
 * ec2-lite's user only (the caller makes it read-only). */
static int copy_file(const char *src, const char *dst, struct ec2_error *err)
{
	int in = open(src, O_RDONLY | O_CLOEXEC), out, ok;

	if (in >= 0) {
		out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (out >= 0) {
			ok = ioctl(out, FICLONE, in) == 0;
			close(out);
			close(in);
			if (ok)
				return 0;
			unlink(dst);
		} else {
			close(in);
		}
	}
	return util_copy_sparse(src, dst, 0600, err);
}

static bool name_valid(const char *name)
{
	size_t len = name ? strlen(name) : 0;
	const char *p;

	if (len < 3 || len > 128)
		return false;
	for (p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("()[] ./-'@_", *p))
			return false;
	return true;
}

/* The same name, owner and alias: the images a name clashes with. */
static bool same_name(json_object *img, const struct image_source *src, const char *owner)
{
	const char *alias = req_string(img, "ImageOwnerAlias");

	return strcmp(req_str0(img, "Name"), src->name) == 0 &&
	       strcmp(req_str0(img, "OwnerId"), owner) == 0 &&
	       strcmp(alias ? alias : "", src->owner_alias ? src->owner_alias : "") == 0;
}

struct reserve_ctx {
	json_object *image; /* the pending record to add */
	const struct image_source *src;
	const char *owner;
};

static int add_pending(json_object *root, void *opaque, struct ec2_error *err)
{
	struct reserve_ctx *r = opaque;
	json_object *images = store_section(root, "images");

	json_object_object_foreach(images, id, img) {
		/* A rebuilt recipe takes over its name when it is done (image_complete). */
		if (strcmp(req_str0(img, "State"), "deregistered") == 0 || r->src->replace ||
		    !same_name(img, r->src, r->owner))
			continue;
		ec2_error_set(err, EC2_ERR_AMI_NAME_DUPLICATE, "AMI name %s is already in use by AMI %s",
			      r->src->name, id);
		return -1;
	}
	if (ec2_dry_run(r->src->request, err))
		return -1; /* nothing written: store_update keeps the store as it was */
	json_object_object_add(images, req_string(r->image, "ImageId"), json_object_get(r->image));
	return 0;
}

static json_object *image_record(struct ec2_ctx *ctx, const char *id,
				 const struct image_source *src, unsigned long long vsize,
				 const char *state)
{
	json_object *img = json_object_new_object(), *bdms, *bdm, *ebs;
	char now[32], snap[EC2_ID_MAX], *location;

	util_iso8601(time(NULL), now, sizeof(now));
	if (src->snapshot_id)
		snprintf(snap, sizeof(snap), "%s", src->snapshot_id);
	else
		ec2_id_new("snap", snap, NULL);
	json_add_str(img, "Architecture", "x86_64");
	json_add_str(img, "CreationDate", now);
	json_add_str(img, "ImageId", id);
	location = util_strdupf("%s/%s", src->owner_alias ? src->owner_alias : ctx->cfg->owner_id,
				src->name);
	json_add_str(img, "ImageLocation", location);
	free(location);
	json_add_str(img, "ImageType", "machine");
	json_add_bool(img, "Public", src->owner_alias != NULL);
	json_add_str(img, "OwnerId", ctx->cfg->owner_id);
	json_add_str(img, "PlatformDetails", "Linux/UNIX");
	json_add_str(img, "UsageOperation", "RunInstances");
	json_add_str(img, "State", state);
	bdms = json_object_new_array();
	bdm = json_object_new_object();
	json_add_str(bdm, "DeviceName", "/dev/xvda");
	ebs = json_object_new_object();
	json_add_bool(ebs, "DeleteOnTermination", true);
	json_add_str(ebs, "SnapshotId", snap);
	json_add_int(ebs, "VolumeSize", (int64_t)((vsize + (1ULL << 30) - 1) >> 30));
	json_add_str(ebs, "VolumeType", "gp2");
	json_add_bool(ebs, "Encrypted", false);
	json_object_object_add(bdm, "Ebs", ebs);
	json_object_array_add(bdms, bdm);
	json_object_object_add(img, "BlockDeviceMappings", bdms);
	if (src->description)
		json_add_str(img, "Description", src->description);
	json_add_bool(img, "EnaSupport", true);
	json_add_str(img, "Hypervisor", "xen");
	if (src->owner_alias)
		json_add_str(img, "ImageOwnerAlias", src->owner_alias);
	json_add_str(img, "Name", src->name);
	json_add_str(img, "RootDeviceName", "/dev/xvda");
	json_add_str(img, "RootDeviceType", "ebs");
	json_add_str(img, "SriovNetSupport", "simple");
	json_add_str(img, "VirtualizationType", "hvm");
	json_add_str(img, "BootMode", "legacy-bios");
	/* RegisterImage's ImdsSupport: instances of it launch IMDSv2-only (instance-launch.c). */
	if (strcmp(req_str0(src->request, "ImdsSupport"), "v2.0") == 0)
		json_add_str(img, "ImdsSupport", "v2.0");
	return img;
}

int image_name_check(const char *name, struct ec2_error *err)
{
	if (!name) {
		ec2_error_set(err, EC2_ERR_MISSING_PARAMETER,
			      "The request must contain the parameter name");
		return -1;
	}
	if (!name_valid(name)) {
		ec2_error_set(err, EC2_ERR_AMI_NAME_MALFORMED,
			      "AMI names must be between 3 and 128 characters long, and may "
			      "contain letters, numbers, '(', ')', '[', ']', ' ', '.', '/', '-', "
			      "''', '@' and '_'");
		return -1;
	}
	return 0;
}

int image_reserve(struct ec2_ctx *ctx, const struct image_source *src, unsigned long long vsize,
		  json_object *shown, char id[EC2_ID_MAX], struct ec2_error *err)
{
	struct reserve_ctx r = { .src = src, .owner = ctx->cfg->owner_id };
	int rc;

	if (image_name_check(src->name, err) < 0 ||
	    req_text_check("Description", src->description, 255, err) < 0)
		return -1;
	if (src->id)
		snprintf(id, EC2_ID_MAX, "%s", src->id);
	else if (ec2_id_new("ami", id, err) < 0)
		return -1;
	r.image = image_record(ctx, id, src, vsize, "pending");
	if (shown) {
		json_object_object_foreach(shown, key, value)
			json_object_object_add(r.image, key, json_object_get(value));
	}
	json_object_object_add(r.image, PRIVATE_KEY, json_object_new_object());
	rc = store_update(ctx->store, add_pending, &r, err);
	json_object_put(r.image);
	return rc;
}

struct complete_ctx {
	const char *id;
	json_object *done;   /* the available record's members and private facts */
	const struct image_source *src;
	const char *owner;
	bool replaced;
};

static int mark_available(json_object *root, void *opaque, struct ec2_error *err)
{
	struct complete_ctx *c = opaque;
	json_object *images = store_section(root, "images"), *img, *tags = NULL, *new_tags;
	size_t i;

	if (!json_object_object_get_ex(images, c->id, &img) ||
	    strcmp(req_str0(img, "State"), "pending") != 0) {
		ec2_error_set(err, EC2_ERR_AMI_UNAVAILABLE, "The image '%s' is no longer pending (it "
			      "was deregistered or failed meanwhile)", c->id);
		return -1;
	}
	/* The pending record's own tags stay, ahead of ec2-lite's. */
	json_object_object_get_ex(c->done, "Tags", &new_tags);
	if (json_object_object_get_ex(img, "Tags", &tags))
		for (i = 0; new_tags && i < json_object_array_length(new_tags); i++)
			json_object_array_add(tags, json_object_get(json_object_array_get_idx(new_tags, i)));
	json_object_object_foreach(c->done, key, value) {
		if (strcmp(key, "Tags") == 0 && tags)
			continue;
		if (strcmp(key, "CreationDate") == 0 || strcmp(key, "Description") == 0)
			continue;
		json_object_object_add(img, key, json_object_get(value));
	}
	if (!c->src->replace)
		return 0;
	json_object_object_foreach(images, other, o) {
		if (strcmp(other, c->id) == 0 || strcmp(req_str0(o, "State"), "deregistered") == 0 ||
		    !same_name(o, c->src, c->owner))
			continue;
		/* A rebuilt recipe takes over its name; instances of the old one keep it. */
		json_add_str(o, "State", "deregistered");
		c->replaced = true;
	}
	return 0;
}

json_object *image_complete(struct ec2_ctx *ctx, const char *id, const struct image_source *src,
			    struct ec2_error *err)
{
	char format[16], *base = NULL, *kdir = NULL, *kcopy = NULL, *icopy = NULL;
	char *vmlinux = NULL;
	const char *entry = "bios";
	unsigned long long vsize = 0;
	struct complete_ctx c = { .id = id, .src = src, .owner = ctx->cfg->owner_id };
	json_object *priv, *resp = NULL;
	virStoragePoolPtr pool = NULL;
	size_t i;

	if (src->initrd && !src->kernel) {
		ec2_error_set(err, EC2_ERR_INVALID_COMBINATION, "A ramdisk is only used with a kernel");
		goto out;
	}
	if (image_probe_disk(src->disk, format, sizeof(format), &vsize, err) < 0)
		goto out;
	if ((src->kernel && !util_file_exists(src->kernel)) ||
	    (src->initrd && !util_file_exists(src->initrd))) {
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER, "The kernel or ramdisk '%s' does not "
			      "exist", src->kernel && !util_file_exists(src->kernel) ? src->kernel :
			      src->initrd);
		goto out;
	}
	if (ec2_dry_run(src->request, err))
		goto out;
	pool = ec2_pool(ctx, err);
	if (!pool)
		goto out;
	base = util_strdupf("%s/%s.%s", ctx->pool_dir, id, format);
	if (src->move ? rename(src->disk, base) < 0 : copy_file(src->disk, base, err) < 0) {
		if (src->move)
			ec2_error_set_errno(err, errno, "cannot move '%s' into the pool", src->disk);
		free(base);
		base = NULL;
		goto out;
	}
	/* A read-only base (instances write to their overlays only), not world-readable: QEMU
	 * opens it as the backing file of an overlay, and libvirt hands the whole backing chain to
	 * QEMU's user (chown) when a guest starts, as it does the overlay (its volumes are 0600).
	 * The folders on the way stay traversable (0755) for that user. */
	chmod(base, 0400);
	if (src->kernel) {
		kdir = util_strdupf("%s/%s", ctx->kernels_dir, id);
		kcopy = util_strdupf("%s/vmlinuz", kdir);
		if (util_mkdir_p(kdir, 0755, err) < 0 ||
		    util_copy_sparse(src->kernel, kcopy, 0600, err) < 0) /* as the base */
			goto undo;
		if (src->initrd) {
			icopy = util_strdupf("%s/initrd.img", kdir);
			if (util_copy_sparse(src->initrd, icopy, 0600, err) < 0)
				goto undo;
		}
		/* Once, here, not at every launch: the uncompressed kernel for PVH direct boot. */
		entry = "bzImage";
		if (!src->no_pvh) {
			bool pvh = false;

			vmlinux = util_strdupf("%s/vmlinux", kdir);
			if (kernel_extract_vmlinux(kcopy, vmlinux, &pvh, NULL) == 0 && pvh) {
				entry = "pvh";
			} else {
				unlink(vmlinux);
				free(vmlinux);
				vmlinux = NULL;
			}
		}
	}
	virStoragePoolRefresh(pool, 0);

	c.done = image_record(ctx, id, src, vsize, "available");
	{
		/* How its instances boot, as a read-only tag (like EC2's aws: tags). */
		json_object *tags = json_object_new_array(), *tag = json_object_new_object();

		json_add_str(tag, "Key", "ec2-lite:kernel-entry");
		json_add_str(tag, "Value", entry);
		json_object_array_add(tags, tag);
		if (src->consistency) {
			tag = json_object_new_object();
			json_add_str(tag, "Key", "ec2-lite:consistency");
			json_add_str(tag, "Value", src->consistency);
			json_object_array_add(tags, tag);
		}
		json_object_object_add(c.done, "Tags", tags);
	}
	priv = json_object_new_object();
	json_add_str(priv, "Base", base);
	json_add_str(priv, "Format", format);
	json_add_int(priv, "VirtualSize", (int64_t)vsize);
	json_add_str(priv, "BootMode", src->kernel ? "kernel" : "disk");
	if (kcopy)
		json_add_str(priv, "Kernel", kcopy);
	if (icopy)
		json_add_str(priv, "Initrd", icopy);
	if (vmlinux)
		json_add_str(priv, "Vmlinux", vmlinux);
	json_add_str(priv, "KernelEntry", entry);
	if (src->kernel)
		json_add_str(priv, "KernelArgs", src->cmdline ? src->cmdline :
			     "console=ttyS0 root=/dev/vda rw");
	if (src->recipe_hash)
		json_add_str(priv, "RecipeHash", src->recipe_hash);
	for (i = 0; src->extra && i + 1 < json_object_array_length(src->extra); i += 2)
		json_object_object_add(priv,
				       json_object_get_string(json_object_array_get_idx(src->extra, i)),
				       json_object_get(json_object_array_get_idx(src->extra, i + 1)));
	json_object_object_add(c.done, PRIVATE_KEY, priv);

	if (store_update(ctx->store, mark_available, &c, err) < 0)
		goto undo;
	if (c.replaced)
		ec2_image_collect(ctx);
	resp = json_object_new_object();
	json_add_str(resp, "ImageId", id);
	goto out;
undo:
	if (base)
		unlink(base);
	if (kdir)
		util_rm_rf(kdir, NULL);
	virStoragePoolRefresh(pool, 0);
out:
	if (!resp && src->move)
		unlink(src->disk);
	json_object_put(c.done);
	free(base);
	free(kdir);
	free(kcopy);
	free(icopy);
	free(vmlinux);
	if (pool)
		virStoragePoolFree(pool);
	return resp;
}

struct fail_ctx {
	const char *id;
	const char *code;
	const char *message; /* NULL: drop the record altogether */
};

static int mark_failed(json_object *root, void *opaque, struct ec2_error *err)
{
	struct fail_ctx *f = opaque;
	json_object *images = store_section(root, "images"), *img, *reason;

	(void)err;
	if (!json_object_object_get_ex(images, f->id, &img))
		return 0;
	if (!f->message) {
		json_object_object_del(images, f->id);
		return 0;
	}
	if (strcmp(req_str0(img, "State"), "deregistered") == 0)
		return 0; /* deregistered while it was made: it stays gone */
	json_add_str(img, "State", "failed");
	reason = json_object_new_object();
	json_add_str(reason, "Code", f->code);
	json_add_str(reason, "Message", f->message);
	json_object_object_add(img, "StateReason", reason);
	json_object_object_add(img, PRIVATE_KEY, json_object_new_object());
	return 0;
}

/* Removes whatever files of image id exist: its base (<id>.raw, <id>.qcow2, a partial copy
 * <id>.partial...) and its kernel folder. */
static void remove_image_files(struct ec2_ctx *ctx, const char *id)
{
	DIR *d = opendir(ctx->pool_dir);
	struct dirent *e;
	size_t len = strlen(id);
	char *kdir = util_strdupf("%s/%s", ctx->kernels_dir, id);
	virStoragePoolPtr pool;

	while (d && (e = readdir(d)))
		if (strncmp(e->d_name, id, len) == 0 && e->d_name[len] == '.') {
			char *p = util_strdupf("%s/%s", ctx->pool_dir, e->d_name);

			unlink(p);
			free(p);
		}
	if (d)
		closedir(d);
	util_rm_rf(kdir, NULL);
	free(kdir);
	if ((pool = virStoragePoolLookupByName(ctx->conn, ctx->pool_name))) {
		virStoragePoolRefresh(pool, 0);
		virStoragePoolFree(pool);
	}
}

void image_fail(struct ec2_ctx *ctx, const char *id, const char *code, const char *message)
{
	struct fail_ctx f = { id, code, message };

	remove_image_files(ctx, id);
	ec2_image_job_end(ctx, id);
	store_update(ctx->store, mark_failed, &f, NULL);
}

json_object *image_add(struct ec2_ctx *ctx, const struct image_source *src,
		       struct ec2_error *err)
{
	char id[EC2_ID_MAX];
	json_object *resp;

	if (ec2_dry_run(src->request, NULL)) {
		/* Each half checks and stops at its dry-run point: nothing to undo. */
		if (image_reserve(ctx, src, 0, NULL, id, err) < 0 && ec2_error_is(err, EC2_ERR_DRY_RUN))
			image_complete(ctx, id, src, err);
		return NULL;
	}
	if (image_reserve(ctx, src, 0, NULL, id, err) < 0) {
		if (src->move)
			unlink(src->disk);
		return NULL;
	}
	resp = image_complete(ctx, id, src, err);
	if (!resp)
		image_fail(ctx, id, NULL, NULL); /* synchronous: a failure leaves nothing */
	return resp;
}

json_object *ec2_register_image(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err)
{
	struct image_source src = {
		.name = req_string(req, "Name"),
		.description = req_string(req, "Description"),
		.disk = req_string(req, "DiskPath"),
		.kernel = req_string(req, "KernelPath"),
		.initrd = req_string(req, "RamdiskPath"),
		.cmdline = req_string(req, "KernelArgs"),
		.request = req,
	};
	const char *entry = req_string(req, "KernelEntry");
	static const char *const paths[] = { "DiskPath", "KernelPath", "RamdiskPath" };
	size_t i;
	json_object *from = NULL, *resp;
	char *snap_disk = NULL, snap_id[EC2_ID_MAX] = "", snap_image[EC2_ID_MAX] = "";

	/* ec2-lite's own members name files of the host: the person at the keyboard may, a client
	 * of the API may not (the server would copy any file it can read into the pool). To a
	 * client they are unknown, as any member EC2 does not have; it imports with ImportImage. */
	for (i = 0; ctx->remote && i < sizeof(paths) / sizeof(paths[0]); i++)
		if (req_string(req, paths[i])) {
			ec2_error_set(err, EC2_ERR_UNKNOWN_PARAMETER, "The parameter %s is not "
				      "recognized", paths[i]);
			return NULL;
		}
	/* EC2's way: the root device mapped to a snapshot (volume.h), from the API too. */
	if (volume_snapshot_root(ctx, req, snap_id, &snap_disk, snap_image, err) < 0)
		return NULL;
	if (snap_disk) {
		src.disk = snap_disk;
		src.snapshot_id = snap_id;
		/* A root volume's snapshot boots as the AMI it was launched from did. */
		if (snap_image[0] && (from = image_any(ctx, snap_image, NULL))) {
			src.kernel = image_private(from, "Kernel");
			src.initrd = image_private(from, "Initrd");
			src.cmdline = image_private(from, "KernelArgs");
		}
		if (image_name_check(src.name, err) < 0) {
			resp = NULL;
		} else {
			resp = image_add(ctx, &src, err);
		}
		json_object_put(from);
		free(snap_disk);
		return resp;
	}
	if (ctx->remote) {
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER, "RegisterImage takes no disk over the "
			      "API: import one with ImportImage (Url=s3://BUCKET/KEY)");
		return NULL;
	}
	if (entry && strcmp(entry, "auto") != 0 && strcasecmp(entry, "bzImage") != 0) {
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER,
			      "Invalid value '%s' for KernelEntry: auto or bzImage", entry);
		return NULL;
	}
	src.no_pvh = entry && strcasecmp(entry, "bzImage") == 0;
	if (req_string(req, "ImdsSupport") && strcmp(req_string(req, "ImdsSupport"), "v2.0") != 0) {
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER, "Value (%s) for parameter imdsSupport "
			      "is invalid. Valid value is 'v2.0'.", req_string(req, "ImdsSupport"));
		return NULL;
	}
	if (image_name_check(src.name, err) < 0)
		return NULL;
	if (!src.disk) {
		ec2_error_set(err, EC2_ERR_MISSING_PARAMETER,
			      "The request must contain the parameter DiskPath");
		return NULL;
	}
	return image_add(ctx, &src, err);
}

/* Every filter botocore documents for DescribeImages, and where it reads in the Image. */
static const struct filter_field image_filters[] = {
	{ "architecture", "Architecture" },
	{ "block-device-mapping.delete-on-termination",
	  "BlockDeviceMappings.Ebs.DeleteOnTermination" },
	{ "block-device-mapping.device-name", "BlockDeviceMappings.DeviceName" },
	{ "block-device-mapping.snapshot-id", "BlockDeviceMappings.Ebs.SnapshotId" },
	{ "block-device-mapping.volume-size", "BlockDeviceMappings.Ebs.VolumeSize" },
	{ "block-device-mapping.volume-type", "BlockDeviceMappings.Ebs.VolumeType" },
	{ "block-device-mapping.encrypted", "BlockDeviceMappings.Ebs.Encrypted" },
	{ "creation-date", "CreationDate" },
	{ "description", "Description" },
	{ "ena-support", "EnaSupport" },
	{ "hypervisor", "Hypervisor" },
	{ "image-id", "ImageId" },
	{ "image-type", "ImageType" },
	{ "is-public", "Public" },
	{ "kernel-id", "KernelId" },
	{ "manifest-location", "ImageLocation" },
	{ "name", "Name" },
	{ "owner-alias", "ImageOwnerAlias" },
	{ "owner-id", "OwnerId" },
	{ "platform", "Platform" },
	{ "product-code", "ProductCodes.ProductCodeId" },
	{ "product-code.type", "ProductCodes.ProductCodeType" },
	{ "ramdisk-id", "RamdiskId" },
	{ "root-device-name", "RootDeviceName" },
	{ "root-device-type", "RootDeviceType" },
	{ "state", "State" },
	{ "state-reason-code", "StateReason.Code" },
	{ "state-reason-message", "StateReason.Message" },
	{ "sriov-net-support", "SriovNetSupport" },
	{ "virtualization-type", "VirtualizationType" },
	{ NULL, NULL },
};

/* Owners: "self" (images made here), "amazon" (built recipes, the Quick Start AMIs) or an
 * account id. */
static bool owner_matches(json_object *img, json_object *owners, const char *self)
{
	size_t i, n = owners ? json_object_array_length(owners) : 0;
	const char *alias = req_string(img, "ImageOwnerAlias");

	if (n == 0)
		return true;
	for (i = 0; i < n; i++) {
		const char *o = json_object_get_string(json_object_array_get_idx(owners, i));

		if (strcmp(o, "self") == 0 && !alias && strcmp(req_string(img, "OwnerId"), self) == 0)
			return true;
		if (alias && strcmp(o, alias) == 0)
			return true;
		if (!alias && strcmp(o, req_string(img, "OwnerId")) == 0)
			return true;
	}
	return false;
}

/* Pending images of root (the store as read) whose work stopped (its process died: a crash, a
 * reboot of the host) fail in the store, as they never become available. Returns how many. */
static size_t images_settle(struct ec2_ctx *ctx, json_object *root)
{
	json_object *stale = json_object_new_array();
	size_t i, n;

	json_object_object_foreach(store_section(root, "images"), id, img) {
		if (strcmp(req_str0(img, "State"), "pending") == 0 && !ec2_image_job_alive(ctx, id))
			json_object_array_add(stale, json_object_new_string(id));
	}
	n = json_object_array_length(stale);
	for (i = 0; i < n; i++)
		image_fail(ctx, json_object_get_string(json_object_array_get_idx(stale, i)),
			   "Server.InternalError", "The work on the image stopped before it was done "
			   "(its process ended)");
	json_object_put(stale);
	return n;
}

json_object *ec2_images_described(struct ec2_ctx *ctx, struct ec2_error *err)
{
	json_object *root = store_read(ctx->store, err), *out;

	if (root && images_settle(ctx, root) > 0) { /* read again: the failed ones as now stored */
		json_object_put(root);
		root = store_read(ctx->store, err);
	}
	if (!root)
		return NULL;
	out = json_object_new_object();
	json_object_object_foreach(store_section(root, "images"), id, img) {
		json_object *copy = NULL;

		if (strcmp(req_string(img, "State"), "deregistered") == 0)
			continue;
		if (json_object_deep_copy(img, &copy, NULL) < 0)
			abort();
		json_object_object_del(copy, PRIVATE_KEY);
		json_object_object_add(out, id, copy);
	}
	json_object_put(root);
	return out;
}

/* The checks DescribeImages makes before it reads anything. */
static int describe_check(json_object *req, struct ec2_error *err)
{
	if (ec2_ids_check(req_list(req, "ImageIds"), "ami", EC2_ERR_AMI_MALFORMED, err) < 0 ||
	    filter_validate(req_list(req, "Filters"), image_filters, err) < 0)
		return -1;
	return 0;
}

json_object *ec2_describe_images_from(struct ec2_ctx *ctx, json_object *req, json_object *images,
				      struct ec2_error *err)
{
	json_object *ids = req_list(req, "ImageIds");
	json_object *owners = req_list(req, "Owners");
	json_object *filters = req_list(req, "Filters");
	json_object *list, *resp;
	size_t i, n = ids ? json_object_array_length(ids) : 0;

	if (describe_check(req, err) < 0)
		return NULL;
	for (i = 0; i < n; i++) {
		const char *id = json_object_get_string(json_object_array_get_idx(ids, i));

		if (!json_object_object_get_ex(images, id, NULL)) {
			ec2_error_set(err, EC2_ERR_AMI_NOT_FOUND, "The image id '[%s]' does not exist",
				      id);
			return NULL;
		}
	}
	if (n && json_object_object_get_ex(req, "MaxResults", NULL)) {
		ec2_error_set(err, EC2_ERR_INVALID_COMBINATION, "The parameter ImageIds cannot be used "
			      "with the parameter MaxResults");
		return NULL;
	}
	list = json_object_new_array();
	json_object_object_foreach(images, id, img) {
		if (!json_strlist_wants(ids, id) || !owner_matches(img, owners, ctx->cfg->owner_id) ||
		    !filter_match(img, filters, image_filters))
			continue;
		json_object_array_add(list, json_object_get(img));
	}
	resp = json_object_new_object();
	if (req_page_into(req, 1, 1000, list, resp, "Images", err) < 0) {
		json_object_put(resp);
		resp = NULL;
	}
	json_object_put(list);
	return resp;
}

json_object *ec2_describe_images(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err)
{
	json_object *images, *resp;

	if (describe_check(req, err) < 0)
		return NULL;
	images = ec2_images_described(ctx, err);
	if (!images)
		return NULL;
	resp = ec2_describe_images_from(ctx, req, images, err);
	json_object_put(images);
	return resp;
}

static int mark_deregistered(json_object *root, void *opaque, struct ec2_error *err)
{
	const char *id = opaque;
	json_object *img;

	if (!json_object_object_get_ex(store_section(root, "images"), id, &img) ||
	    strcmp(req_string(img, "State"), "deregistered") == 0) {
		ec2_error_set(err, EC2_ERR_AMI_NOT_FOUND, "The image id '[%s]' does not exist", id);
		return -1;
	}
	json_add_str(img, "State", "deregistered");
	return 0;
}

json_object *ec2_deregister_image(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err)
{
	const char *id = req_string(req, "ImageId");

	if (!id) {
		ec2_error_set(err, EC2_ERR_MISSING_PARAMETER,
			      "The request must contain the parameter ImageId");
		return NULL;
	}
	if (!ec2_id_valid("ami", id)) {
		ec2_error_set(err, EC2_ERR_AMI_MALFORMED, "Invalid id: \"%s\" (expecting \"ami-...\")",
			      id);
		return NULL;
	}
	if (ec2_dry_run(req, NULL)) {
		/* The check mark_deregistered makes, without the change. */
		json_object *img = ec2_image_get(ctx, id, err);

		if (img)
			ec2_dry_run(req, err);
		json_object_put(img);
		return NULL;
	}
	if (store_update(ctx->store, mark_deregistered, (void *)id, err) < 0)
		return NULL;
	ec2_image_collect(ctx);
	return json_object_new_object();
}

/* True when any instance of this state folder still has image_id as its base. */
static bool image_in_use(struct ec2_ctx *ctx, const char *image_id)
{
	virDomainPtr *doms = NULL;
	int n = virConnectListAllDomains(ctx->conn, &doms, VIR_CONNECT_LIST_DOMAINS_PERSISTENT), i;
	bool used = n < 0; /* when in doubt, keep the files */

	for (i = 0; i < n; i++) {
		char *xml = virDomainGetMetadata(doms[i], VIR_DOMAIN_METADATA_ELEMENT, EC2_META_NS,
						 VIR_DOMAIN_AFFECT_CONFIG);
		struct ec2_meta m;

		if (xml && ec2_meta_from_xml(xml, &m, NULL) == 0) {
			if (strcmp(m.pool, ctx->pool_name) == 0 && strcmp(m.image_id, image_id) == 0)
				used = true;
			ec2_meta_clear(&m);
		}
		free(xml);
		virDomainFree(doms[i]);
	}
	free(doms);
	return used;
}

struct collect_ctx {
	struct ec2_ctx *ctx;
	char **bases;   /* files to remove once the records are gone */
	char **kdirs;
	size_t n;
};

static int drop_unused(json_object *root, void *opaque, struct ec2_error *err)
{
	struct collect_ctx *c = opaque;
	json_object *images = store_section(root, "images");
	char **gone = NULL;
	size_t ngone = 0, i;

	(void)err;
	json_object_object_foreach(images, id, img) {
		if (strcmp(req_string(img, "State"), "deregistered") != 0 || image_in_use(c->ctx, id) ||
		    volume_uses_image(root, id))
			continue;
		gone = realloc(gone, (ngone + 1) * sizeof(*gone));
		c->bases = realloc(c->bases, (c->n + 1) * sizeof(*c->bases));
		c->kdirs = realloc(c->kdirs, (c->n + 1) * sizeof(*c->kdirs));
		if (!gone || !c->bases || !c->kdirs)
			abort();
		gone[ngone++] = strdup(id);
		c->bases[c->n] = image_private(img, "Base") ? strdup(image_private(img, "Base")) : NULL;
		c->kdirs[c->n] = util_strdupf("%s/%s", c->ctx->kernels_dir, id);
		c->n++;
	}
	for (i = 0; i < ngone; i++) {
		json_object_object_del(images, gone[i]);
		free(gone[i]);
	}
	free(gone);
	return 0;
}

void ec2_image_collect(struct ec2_ctx *ctx)
{
	struct collect_ctx c = { .ctx = ctx };
	virStoragePoolPtr pool;
	size_t i;

	if (store_update(ctx->store, drop_unused, &c, NULL) == 0) {
		for (i = 0; i < c.n; i++) {
			if (c.bases[i])
				unlink(c.bases[i]);
			util_rm_rf(c.kdirs[i], NULL);
		}
	}
	for (i = 0; i < c.n; i++) {
		free(c.bases[i]);
		free(c.kdirs[i]);
	}
	free(c.bases);
	free(c.kdirs);
	if (c.n && (pool = virStoragePoolLookupByName(ctx->conn, ctx->pool_name))) {
		virStoragePoolRefresh(pool, 0);
		virStoragePoolFree(pool);
	}
}
