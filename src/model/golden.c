/* Golden images: CreateImage (an AMI of a configured instance, running or stopped) and
 * CopyImage.
 *
 * CreateImage answers at once with a pending image, as EC2 does; ec2_create_image_run does the
 * work (a front end runs it in the background) and the image turns available or failed:
 *   stopped instance     its disk chain is converted (qemu-img convert) into one standalone qcow2;
 *   running, reboot      (EC2's default) it is shut down cleanly, converted, and started again;
 *   running, no-reboot   the guest keeps running while libvirt copies the whole chain live
 *                        (virDomainBlockCopy, a transient job); once the copy mirrors, the
 *                        guest's filesystems are frozen through its agent (crash-consistent
 *                        without one), the job is finished without a pivot, which leaves the
 *                        copy as of that moment, and they are thawed: a freeze of a moment.
 * Then libguestfs cleans the copy as virt-sysprep would (machine-id, SSH host keys, cloud-init's
 * state and logs, DHCP leases, shell histories, authorized keys, the journal, the random seed),
 * so every instance launched from it is a new machine that runs its own user-data; the
 * instance's user-data is on its seed, never in the image. The result is flattened (no backing
 * file), sparse (free blocks trimmed away) and, with image-compress set, compressed.
 * A failure leaves the image failed with EC2's StateReason and no file of it; the source
 * instance ends in the state it had. */
#include <errno.h>
#include <stdarg.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "ec2lite/ec2.h"
#include "ec2lite/gfs.h"
#include "ec2lite/golden.h"
#include "ec2lite/ids.h"
#include "ec2lite/image.h"
#include "ec2lite/imagejob.h"
#include "ec2lite/net.h"
#include "ec2lite/tags.h"
#include "ec2lite/util.h"

#define X(s) ((const xmlChar *)(s))

/* ---------- the record ---------- */

struct set_private {
	const char *id;
	const char *key;
	json_object *value; /* taken */
};

static int set_private_fact(json_object *root, void *opaque, struct ec2_error *err)
{
	struct set_private *s = opaque;
	json_object *img, *priv;

	(void)err;
	if (json_object_object_get_ex(store_section(root, "images"), s->id, &img) &&
	    json_object_object_get_ex(img, "ec2lite", &priv))
		json_object_object_add(priv, s->key, json_object_get(s->value));
	return 0;
}

/* Records a fact about the image (takes value's reference). The worker's measurements (FrozenMs,
 * StoredBytes, ...) are informative and may be lost; what the work needs (Source, Mode) is
 * checked by the caller. */
static int private_fact(struct ec2_ctx *ctx, const char *id, const char *key, json_object *value,
			struct ec2_error *err)
{
	struct set_private s = { id, key, value };
	int rc = store_update(ctx->store, set_private_fact, &s, err);

	json_object_put(value);
	return rc;
}

/* ---------- CreateImage: the request ---------- */

/* The root volume's size in bytes (its qcow2 overlay's virtual size). */
static unsigned long long root_size(struct ec2_ctx *ctx, const struct ec2_meta *m)
{
	virStoragePoolPtr pool = virStoragePoolLookupByName(ctx->conn, ctx->pool_name);
	virStorageVolPtr vol = pool ? virStorageVolLookupByName(pool, m->root_volume) : NULL;
	virStorageVolInfo info;
	unsigned long long size = 0;

	if (vol && virStorageVolGetInfo(vol, &info) == 0)
		size = info.capacity;
	if (vol)
		virStorageVolFree(vol);
	if (pool)
		virStoragePoolFree(pool);
	return size;
}

json_object *ec2_create_image(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err)
{
	const char *id = req_string(req, "InstanceId"), *name = req_string(req, "Name");
	const char *desc = req_string(req, "Description");
	enum ec2_op mode;
	struct image_source src = { .name = name, .description = desc, .request = req };
	struct ec2_meta m;
	enum ec2_cond cond;
	virDomainPtr dom = NULL;
	json_object *tags = NULL, *shown = NULL, *resp = NULL;
	char ami[EC2_ID_MAX], chosen[EC2_ID_MAX];
	bool no_reboot = false;
	int job = -1;

	memset(&m, 0, sizeof(m));
	if (!id || !name) {
		ec2_error_set(err, EC2_ERR_MISSING_PARAMETER, "The request must contain the parameter %s",
			      !id ? "InstanceId" : "Name");
		return NULL;
	}
	if (!ec2_id_valid("i", id)) {
		ec2_error_set(err, EC2_ERR_INSTANCE_MALFORMED, "Invalid id: \"%s\"", id);
		return NULL;
	}
	if (image_name_check(name, err) < 0 || req_bool(req, "NoReboot", &no_reboot, err) < 0)
		return NULL;
	if (req_text_check("Description", desc, 255, err) < 0)
		return NULL;
	{
		static const char *const also[] = { "snapshot", NULL };

		tags = tag_specs(req, "image", also, err);
		if (!tags)
			return NULL;
	}
	if (ec2_instance_get(ctx, id, &dom, &m, &cond, err) < 0 ||
	    ec2_transition_check(ec2_transition(cond, EC2_VERB_CREATE_IMAGE), id, m.pending_image,
				 err) < 0)
		goto out;
	mode = ec2_cond_state(cond) == EC2_STOPPED ? EC2_OP_IMAGE :
		no_reboot ? EC2_OP_IMAGE_LIVE : EC2_OP_IMAGE_REBOOT;
	shown = json_object_new_object();
	json_add_str(shown, "SourceInstanceId", id);
	if (json_object_array_length(tags) > 0)
		json_object_object_add(shown, "Tags", json_object_get(tags));
	/* The job is claimed before its image is written: from the first moment anyone can see the
	 * pending image, its lock is held (by this process, then by the worker a front end hands the
	 * claim to), so the death of either is seen at once. A dry run stops in image_reserve. */
	if (!ec2_dry_run(req, NULL)) {
		if (ec2_id_new("ami", chosen, err) < 0 ||
		    (job = ec2_image_job_claim(ctx, chosen, err)) < 0)
			goto out;
		src.id = chosen;
	}
	if (image_reserve(ctx, &src, root_size(ctx, &m), shown, ami, err) < 0)
		goto out;
	if (private_fact(ctx, ami, "Source", json_object_new_string(id), err) < 0 ||
	    private_fact(ctx, ami, "Mode", json_object_new_string(ec2_op_name(mode)), err) < 0) {
		image_fail(ctx, ami, NULL, NULL); /* a full disk: nothing is left of the request */
		goto out;
	}
	/* The instance is marked, so that it is not started, stopped or imaged meanwhile. */
	m.pending_op = mode;
	snprintf(m.pending_image, sizeof(m.pending_image), "%s", ami);
	m.pending_since = (long long)time(NULL);
	if (ec2_meta_save(dom, &m, err) < 0) {
		image_fail(ctx, ami, NULL, NULL);
		goto out;
	}
	resp = json_object_new_object();
	json_add_str(resp, "ImageId", ami);
	ec2_image_job_keep(ctx, job);
	job = -1;
out:
	if (job >= 0) {
		ec2_image_job_end(ctx, chosen);
		close(job);
	}
	if (dom)
		virDomainFree(dom);
	ec2_meta_clear(&m);
	json_object_put(tags);
	json_object_put(shown);
	return resp;
}

/* ---------- CreateImage: the work ---------- */

struct job {
	struct ec2_ctx *ctx;
	const char *ami;
	json_object *image;    /* the pending record */
	json_object *source;   /* the source AMI's record (its boot facts), or NULL */
	virDomainPtr dom;
	struct ec2_meta meta;
	char *overlay;         /* the instance's root disk */
	char *partial;         /* <pool>/<ami>.partial.qcow2: the copy being made */
	char consistency[128]; /* how consistent the copy is, for the image's tag */
	bool no_seed;          /* its cloud-init reads only IMDS: launched with no seed */
	const char *fail_code;
};

static int fail(struct job *j, const char *code, struct ec2_error *err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(struct job *j, const char *code, struct ec2_error *err, const char *fmt, ...)
{
	char msg[900];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	j->fail_code = code;
	ec2_error_set(err, EC2_ERR_INTERNAL, "%s", msg);
	return -1;
}

/* A failed write that ran out of room says so; anything else is the server's fault. */
static int copy_failed(struct job *j, const char *what, struct ec2_error *err)
{
	struct statvfs fs;

	if ((statvfs(j->ctx->pool_dir, &fs) == 0 && fs.f_bavail * fs.f_frsize < (64ULL << 20)) ||
	    strstr(err->message, "No space left"))
		return fail(j, "Server.InsufficientStorage", err, "No space left on the device of %s "
			    "while %s", j->ctx->pool_dir, what);
	return fail(j, "Server.InternalError", err, "%s failed: %s", what, err->message);
}

/* qemu-img convert of a disk chain into one standalone, sparse qcow2 (compressed on request). */
static int convert(struct job *j, const char *from, const char *to, bool compress,
		   struct ec2_error *err)
{
	const char *argv[] = { "qemu-img", "convert", "-W", "-O", "qcow2", from, to, NULL, NULL };

	if (compress) {
		argv[5] = "-c";
		argv[6] = from;
		argv[7] = to;
	}
	if (util_run(argv, NULL, NULL, err) < 0) {
		unlink(to);
		return copy_failed(j, "copying the disk", err);
	}
	return 0;
}

/* The destination of the live copy, as libvirt's <disk> (caller frees). */
static char *copy_dest_xml(const char *path)
{
	xmlDocPtr doc = xmlNewDoc(X("1.0"));
	xmlNodePtr disk = xmlNewNode(NULL, X("disk"));
	xmlChar *out = NULL;
	int len = 0;
	char *s;

	xmlDocSetRootElement(doc, disk);
	xmlNewProp(disk, X("type"), X("file"));
	xmlNewProp(xmlNewChild(disk, NULL, X("driver"), NULL), X("type"), X("qcow2"));
	xmlNewProp(xmlNewChild(disk, NULL, X("source"), NULL), X("file"), X(path));
	xmlDocDumpMemory(doc, &out, &len);
	xmlFreeDoc(doc);
	s = strdup((const char *)out);
	xmlFree(out);
	if (!s)
		abort();
	return s;
}

/* Whether the copy of vda mirrors now (libvirt marks its <mirror> ready='yes'). */
static bool mirror_ready(virDomainPtr dom)
{
	char *xml = virDomainGetXMLDesc(dom, 0);
	xmlDocPtr doc = xml ? xmlReadMemory(xml, (int)strlen(xml), "domain.xml", NULL,
					    XML_PARSE_NONET | XML_PARSE_NOERROR |
					    XML_PARSE_NOWARNING) : NULL;
	xmlNodePtr n, devs = NULL;
	bool ready = false;

	free(xml);
	for (n = doc ? xmlDocGetRootElement(doc)->children : NULL; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE && xmlStrEqual(n->name, X("devices")))
			devs = n;
	for (n = devs ? devs->children : NULL; n && !ready; n = n->next) {
		xmlNodePtr c;

		if (n->type != XML_ELEMENT_NODE || !xmlStrEqual(n->name, X("disk")))
			continue;
		for (c = n->children; c; c = c->next) {
			xmlChar *r;

			if (c->type != XML_ELEMENT_NODE || !xmlStrEqual(c->name, X("mirror")))
				continue;
			r = xmlGetProp(c, X("ready"));
			ready = r && xmlStrEqual(r, X("yes"));
			xmlFree(r);
		}
	}
	xmlFreeDoc(doc);
	return ready;
}

/* The running guest's disk, copied while it runs; its filesystems frozen only for the moment the
 * mirror is cut. */
static int copy_live(struct job *j, struct ec2_error *err)
{
	char *xml = copy_dest_xml(j->partial);
	virDomainBlockJobInfo info;
	double t0, frozen_at, thawed_at;
	int rc, frozen;

	virTypedParameterPtr params = NULL;
	int nparams = 0, maxparams = 0;

	/* A bandwidth limit spares the running guest's I/O (image-copy-bandwidth, MiB/s). */
	if (j->ctx->cfg->image_copy_bandwidth > 0)
		virTypedParamsAddULLong(&params, &nparams, &maxparams, VIR_DOMAIN_BLOCK_COPY_BANDWIDTH,
					(unsigned long long)j->ctx->cfg->image_copy_bandwidth << 20);
	rc = virDomainBlockCopy(j->dom, "vda", xml, params, nparams,
				VIR_DOMAIN_BLOCK_COPY_TRANSIENT_JOB);
	virTypedParamsFree(params, nparams);
	free(xml);
	if (rc < 0) {
		ec2_error_set_libvirt(err, "cannot start the copy of '%s'", j->meta.root_volume);
		return virDomainIsActive(j->dom) == 1 ? copy_failed(j, "starting the live copy", err) :
			fail(j, "Client.InvalidInstanceID.NotFound", err, "The instance %s stopped "
			     "or went away before its disk was copied", virDomainGetName(j->dom));
	}
	t0 = util_monotonic();
	for (;;) {
		rc = virDomainGetBlockJobInfo(j->dom, "vda", &info, 0);
		if (rc <= 0) {
			/* The job ended by itself: the guest went away or the copy failed. */
			ec2_error_set_libvirt(err, "the copy job ended");
			if (virDomainIsActive(j->dom) != 1)
				return fail(j, "Client.InvalidInstanceID.NotFound", err, "The instance "
					    "%s stopped or went away while its disk was copied",
					    virDomainGetName(j->dom));
			return copy_failed(j, "copying the disk live", err);
		}
		if (mirror_ready(j->dom))
			break;
		if (util_monotonic() - t0 > 3600) {
			virDomainBlockJobAbort(j->dom, "vda", 0);
			return fail(j, "Server.InternalError", err, "The live copy did not converge "
				    "within an hour");
		}
		util_sleep_ms(200);
	}
	/* Consistent as of now: freeze (when the guest agent answers), cut the mirror, thaw. */
	frozen_at = util_monotonic();
	frozen = virDomainFSFreeze(j->dom, NULL, 0, 0);
	rc = virDomainBlockJobAbort(j->dom, "vda", 0);
	if (frozen >= 0)
		virDomainFSThaw(j->dom, NULL, 0, 0);
	thawed_at = util_monotonic();
	if (rc < 0) {
		ec2_error_set_libvirt(err, "cannot finish the copy");
		return virDomainIsActive(j->dom) == 1 ? copy_failed(j, "finishing the live copy", err) :
			fail(j, "Client.InvalidInstanceID.NotFound", err, "The instance %s went away "
			     "while its disk was copied", virDomainGetName(j->dom));
	}
	if (frozen >= 0)
		snprintf(j->consistency, sizeof(j->consistency), "live, %d filesystem(s) frozen "
			 "through the guest agent for %.0f ms", frozen, (thawed_at - frozen_at) * 1000);
	else
		snprintf(j->consistency, sizeof(j->consistency), "live, crash-consistent (no guest "
			 "agent to freeze the filesystems)");
	private_fact(j->ctx, j->ami, "FrozenMs",
		     json_object_new_int64((int64_t)((thawed_at - frozen_at) * 1000)), NULL);
	return 0;
}

/* EC2's reboot for an image: a clean shutdown (forced after the stop timeout), the copy, and the
 * instance started again. */
static int copy_rebooting(struct job *j, struct ec2_error *err)
{
	double t0 = util_monotonic(), down;
	int rc, st = 0, reason = 0;
	struct ec2_meta m;

	if (virDomainShutdown(j->dom) < 0 && virDomainIsActive(j->dom) == 1)
		virDomainDestroy(j->dom);
	while (virDomainGetState(j->dom, &st, &reason, 0) == 0 && st != VIR_DOMAIN_SHUTOFF) {
		if (util_monotonic() - t0 > j->ctx->cfg->stop_timeout)
			virDomainDestroy(j->dom);
		util_sleep_ms(250);
	}
	if (virDomainIsActive(j->dom) < 0)
		return fail(j, "Client.InvalidInstanceID.NotFound", err, "The instance %s went away "
			    "before its disk was copied", virDomainGetName(j->dom));
	rc = convert(j, j->overlay, j->partial, false, err);
	/* Started again whatever the copy did: the instance ends as it was. Its status checks
	 * look at the console from here on. */
	if (ec2_meta_load(j->dom, &m) == 0) {
		char *log = util_strdupf("%s/%s/console.log", j->ctx->instances_dir,
					 virDomainGetName(j->dom));
		struct stat ls;

		m.console_offset = stat(log, &ls) == 0 ? (long long)ls.st_size : 0;
		ec2_meta_save(j->dom, &m, NULL);
		ec2_meta_clear(&m);
		free(log);
	}
	if (virDomainCreate(j->dom) < 0) {
		if (rc == 0) {
			ec2_error_set_libvirt(err, "cannot start the instance again");
			rc = fail(j, "Server.InternalError", err, "%s", err->message);
		}
	} else {
		net_sync(j->ctx, NULL); /* its forwards, on the new QEMU, at once */
	}
	down = util_monotonic() - t0;
	snprintf(j->consistency, sizeof(j->consistency), "shut down cleanly for the copy (%.1f s "
		 "down)", down);
	private_fact(j->ctx, j->ami, "DowntimeMs", json_object_new_int64((int64_t)(down * 1000)),
		     NULL);
	return rc;
}

/* ---------- the clean-up of the copy (what virt-sysprep does) ---------- */

/* The appliance's name of the root a kernel command line names: root=/dev/vdXN is /dev/sdXN
 * there (the one disk added); UUID= and LABEL= are looked up. NULL when there is none. */
static char *root_of_cmdline(guestfs_h *g, const char *cmdline)
{
	const char *p = cmdline;
	char arg[128];
	size_t n;

	while (p && (p = strstr(p, "root=")) && p != cmdline && p[-1] != ' ')
		p += 5;
	if (!p)
		return NULL;
	p += 5;
	n = strcspn(p, " ");
	if (n == 0 || n >= sizeof(arg))
		return NULL;
	memcpy(arg, p, n);
	arg[n] = '\0';
	if (strncmp(arg, "/dev/vd", 7) == 0 && arg[7])
		return util_strdupf("/dev/sd%s", arg + 7);
	if (strncmp(arg, "UUID=", 5) == 0)
		return guestfs_findfs_uuid(g, arg + 5);
	if (strncmp(arg, "LABEL=", 6) == 0)
		return guestfs_findfs_label(g, arg + 6);
	return NULL;
}

/* True when the mounted root's fstab mounts no other filesystem from a disk (so / is all). */
static bool root_is_all(guestfs_h *g)
{
	char **lines = guestfs_is_file(g, "/etc/fstab") == 1 ? guestfs_read_lines(g, "/etc/fstab") :
			NULL;
	bool all = true;
	size_t i;

	for (i = 0; lines && lines[i]; i++) {
		char dev[256], dir[256], type[64];

		if (sscanf(lines[i], " %255s %255s %63s", dev, dir, type) == 3 && dev[0] != '#' &&
		    strcmp(dir, "/") != 0 && strcmp(type, "swap") != 0 && strcmp(type, "proc") != 0 &&
		    strcmp(type, "sysfs") != 0 && strcmp(type, "tmpfs") != 0 &&
		    strcmp(type, "devpts") != 0 && strcmp(dir, "none") != 0)
			all = false;
		free(lines[i]);
	}
	free(lines);
	return all;
}

/* Mounts the guest's root filesystem (and what its fstab mounts, per inspection) at /. A
 * kernel-boot image names its root on its command line: where that root holds the whole system
 * the ~10 s of OS inspection under TCG are spared. */
static int mount_root(guestfs_h *g, const char *cmdline, struct ec2_error *err)
{
	char *hint = cmdline ? root_of_cmdline(g, cmdline) : NULL, **roots, **fss;
	size_t i;
	int rc = -1;

	if (hint && guestfs_mount(g, hint, "/") == 0) {
		if (guestfs_is_dir(g, "/etc") == 1 && root_is_all(g)) {
			free(hint);
			return 0;
		}
		guestfs_umount_all(g);
	}
	free(hint);
	roots = guestfs_inspect_os(g);
	if (roots && roots[0]) {
		char **mps = guestfs_inspect_get_mountpoints(g, roots[0]);

		/* Shortest mount point first, so / comes before /boot. */
		for (i = 0; mps && mps[i]; i += 2)
			if (strcmp(mps[i], "/") == 0)
				rc = guestfs_mount(g, mps[i + 1], "/");
		for (i = 0; rc == 0 && mps && mps[i]; i += 2)
			if (strcmp(mps[i], "/") != 0)
				guestfs_mount(g, mps[i + 1], mps[i]);
		for (i = 0; mps && mps[i]; i++)
			free(mps[i]);
		free(mps);
	}
	for (i = 0; roots && roots[i]; i++)
		free(roots[i]);
	free(roots);
	if (rc == 0)
		return 0;
	/* No OS inspection can name (tiny): the filesystem that has /etc. */
	fss = guestfs_list_filesystems(g);
	for (i = 0; fss && fss[i] && rc < 0; i += 2) {
		if (strcmp(fss[i + 1], "swap") == 0 || strcmp(fss[i + 1], "unknown") == 0)
			continue;
		if (guestfs_mount(g, fss[i], "/") == 0) {
			if (guestfs_is_dir(g, "/etc") == 1)
				rc = 0;
			else
				guestfs_umount(g, "/");
		}
	}
	for (i = 0; fss && fss[i]; i++)
		free(fss[i]);
	free(fss);
	if (rc < 0)
		ec2_error_set(err, EC2_ERR_INTERNAL, "no root filesystem (one with /etc) on the copy");
	return rc;
}

/* Removes what the globs match (missing files are fine); counts what went. */
static void remove_globs(guestfs_h *g, const char *const *globs, int *removed)
{
	size_t i, k;

	for (i = 0; globs[i]; i++) {
		char **paths = guestfs_glob_expand(g, globs[i]);

		for (k = 0; paths && paths[k]; k++) {
			if (guestfs_rm_rf(g, paths[k]) == 0)
				(*removed)++;
			free(paths[k]);
		}
		free(paths);
	}
}

static int sysprep(struct job *j, struct ec2_error *err)
{
	static const char *const gone[] = {
		/* identity: SSH host keys (regenerated on first boot), D-Bus's copy of the id */
		"/etc/ssh/ssh_host_*", "/var/lib/dbus/machine-id",
		/* cloud-init's instance state and logs: the next boot is a first boot */
		"/var/lib/cloud/*", "/var/log/cloud-init.log", "/var/log/cloud-init-output.log",
		/* tiny's per-instance marker */
		"/var/lib/ec2-lite/instance-id",
		/* DHCP leases */
		"/var/lib/dhcp/*.leases", "/var/lib/dhcp/dhclient*", "/var/lib/dhclient/*",
		/* shell histories and the source's authorized keys */
		"/root/.bash_history", "/root/.ash_history", "/home/*/.bash_history",
		"/root/.ssh/authorized_keys", "/home/*/.ssh/authorized_keys",
		/* the journal (kept per machine-id) and the random seed */
		"/var/log/journal/*", "/var/lib/systemd/random-seed",
		NULL,
	};
	guestfs_h *g = gfs_open(j->ctx, NULL, err);
	int removed = 0, rc = -1;

	if (!g)
		return fail(j, "Server.InternalError", err, "cannot start libguestfs: %s",
			    err->message);
	if (guestfs_add_drive_opts(g, j->partial, GUESTFS_ADD_DRIVE_OPTS_FORMAT, "qcow2",
				   GUESTFS_ADD_DRIVE_OPTS_DISCARD, "besteffort", -1) < 0 ||
	    guestfs_launch(g) < 0) {
		gfs_fail(g, "cannot start libguestfs on the copy", err);
		goto out;
	}
	if (mount_root(g, j->source ? image_private(j->source, "KernelArgs") : NULL, err) < 0)
		goto out;
	remove_globs(g, gone, &removed);
	/* An image whose cloud-init reads only IMDS (Ec2) is launched without a NoCloud seed. */
	j->no_seed = gfs_cloud_init_nocloud(g) == 0;
	/* An empty machine-id: systemd makes a new one on the next boot. */
	if (guestfs_is_file(g, "/etc/machine-id") == 1 && guestfs_truncate(g, "/etc/machine-id") == 0)
		removed++;
	/* Blocks the removals freed go from the image too (it stays sparse). */
	guestfs_fstrim(g, "/", -1);
	if (guestfs_umount_all(g) < 0 || guestfs_shutdown(g) < 0) {
		gfs_fail(g, "cannot write the cleaned copy", err);
		goto out;
	}
	private_fact(j->ctx, j->ami, "SysprepRemoved", json_object_new_int(removed), NULL);
	rc = 0;
out:
	guestfs_close(g);
	if (rc < 0 && j->fail_code == NULL)
		return copy_failed(j, "cleaning the copy", err);
	return rc;
}

/* ---------- the job ---------- */

static int run(struct job *j, struct ec2_error *err)
{
	/* The copy the request chose, named as the instance's op (image, image-live, image-reboot). */
	enum ec2_op mode = ec2_op_parse(image_private(j->image, "Mode"));
	struct image_source src = { .name = req_str0(j->image, "Name"), .move = true };
	json_object *extra = json_object_new_array(), *resp;
	struct stat st;
	int rc;

	if (mode == EC2_OP_IMAGE_LIVE) {
		if (virDomainIsActive(j->dom) != 1)
			return fail(j, "Client.IncorrectInstanceState", err, "The instance %s is no "
				    "longer running", virDomainGetName(j->dom));
		rc = copy_live(j, err);
	} else if (mode == EC2_OP_IMAGE_REBOOT) {
		rc = copy_rebooting(j, err);
	} else {
		if (virDomainIsActive(j->dom) == 1)
			return fail(j, "Client.IncorrectInstanceState", err, "The instance %s was "
				    "started while its image was made", virDomainGetName(j->dom));
		rc = convert(j, j->overlay, j->partial, false, err);
		snprintf(j->consistency, sizeof(j->consistency), "stopped");
	}
	if (rc < 0 || sysprep(j, err) < 0)
		return -1;
	if (j->ctx->cfg->image_compress) {
		char *packed = util_strdupf("%s.packed", j->partial);

		if (convert(j, j->partial, packed, true, err) < 0) {
			free(packed);
			return -1;
		}
		rename(packed, j->partial);
		free(packed);
	}
	if (stat(j->partial, &st) == 0)
		private_fact(j->ctx, j->ami, "StoredBytes",
			     json_object_new_int64((int64_t)st.st_blocks * 512), NULL);
	/* Boots as its source AMI did: the same kernel for kernel-boot AMIs, copied so that the new
	 * one does not depend on the old. */
	if (j->source && image_private(j->source, "Kernel")) {
		src.kernel = image_private(j->source, "Kernel");
		src.initrd = image_private(j->source, "Initrd");
		src.cmdline = image_private(j->source, "KernelArgs");
		src.no_pvh = image_private(j->source, "KernelEntry") &&
			     strcmp(image_private(j->source, "KernelEntry"), "bzImage") == 0;
	}
	src.disk = j->partial;
	json_object_array_add(extra, json_object_new_string("SourceInstanceId"));
	json_object_array_add(extra, json_object_new_string(virDomainGetName(j->dom)));
	if (j->no_seed) { /* the sysprep found it (image_complete keeps only these facts) */
		json_object_array_add(extra, json_object_new_string("Seed"));
		json_object_array_add(extra, json_object_new_string("none"));
	}
	src.consistency = j->consistency;
	src.extra = extra;
	resp = image_complete(j->ctx, j->ami, &src, err);
	json_object_put(extra);
	if (!resp)
		return fail(j, "Server.InternalError", err, "cannot register the image: %s",
			    err->message);
	json_object_put(resp);
	return 0;
}

/* Gives the instance back: the image mark off its metadata (as it is in libvirt now). */
static void release_instance(struct job *j)
{
	struct ec2_meta m;

	if (!j->dom || ec2_meta_load(j->dom, &m) < 0)
		return;
	if (strcmp(m.pending_image, j->ami) == 0) {
		m.pending_op = EC2_OP_NONE;
		m.pending_image[0] = '\0';
		m.pending_since = 0;
		ec2_meta_save(j->dom, &m, NULL);
	}
	ec2_meta_clear(&m);
}

int ec2_create_image_run(struct ec2_ctx *ctx, const char *image_id, int job_fd,
			 struct ec2_error *err)
{
	struct job j = { .ctx = ctx, .ami = image_id };
	struct ec2_error e = { 0 };
	const char *source;
	int rc = -1, lock_fd;

	if (!err)
		err = &e;
	memset(&j.meta, 0, sizeof(j.meta));
	j.image = image_any(ctx, image_id, NULL);
	if (!j.image || strcmp(req_str0(j.image, "State"), "pending") != 0 ||
	    !(source = image_private(j.image, "Source"))) {
		ec2_error_set(err, EC2_ERR_AMI_NOT_FOUND, "The image '%s' is not one being made",
			      image_id);
		json_object_put(j.image);
		if (job_fd >= 0) {
			ec2_image_job_end(ctx, image_id);
			close(job_fd);
		}
		return -1;
	}
	lock_fd = job_fd >= 0 ? job_fd : ec2_image_job_claim(ctx, image_id, err);
	if (lock_fd < 0) {
		json_object_put(j.image);
		return -1;
	}
	j.partial = util_strdupf("%s/%s.partial.qcow2", ctx->pool_dir, image_id);
	j.dom = virDomainLookupByName(ctx->conn, source);
	if (!j.dom || ec2_meta_load(j.dom, &j.meta) < 0) {
		fail(&j, "Client.InvalidInstanceID.NotFound", err, "The instance %s went away before "
		     "its image was made", source);
		goto out;
	}
	j.overlay = util_strdupf("%s/%s", ctx->pool_dir, j.meta.root_volume);
	j.source = image_any(ctx, j.meta.image_id, NULL);
	rc = run(&j, err);
out:
	release_instance(&j);
	if (rc < 0)
		image_fail(ctx, image_id, j.fail_code ? j.fail_code : "Server.InternalError",
			   err->message);
	net_sync(ctx, NULL); /* a rebooted instance's forwards, on its new QEMU */
	if (j.dom)
		virDomainFree(j.dom);
	ec2_meta_clear(&j.meta);
	json_object_put(j.image);
	json_object_put(j.source);
	free(j.overlay);
	free(j.partial);
	ec2_image_job_end(ctx, image_id);
	close(lock_fd);
	return rc;
}

/* ---------- CopyImage ---------- */

/* CopyImage within this "region": a new AMI with the source's disk (a reflink or sparse copy) and
 * boot facts, under a new name. Done at once: the copy is local. */
json_object *ec2_copy_image(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err)
{
	const char *from = req_string(req, "SourceImageId"), *region = req_string(req, "SourceRegion");
	json_object *img;
	struct image_source src = { .name = req_string(req, "Name"),
				    .description = req_string(req, "Description"), .request = req };
	json_object *resp;

	if (!from) {
		ec2_error_set(err, EC2_ERR_MISSING_PARAMETER,
			      "The request must contain the parameter SourceImageId");
		return NULL;
	}
	if (region && strcmp(region, ctx->cfg->region) != 0) {
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER, "Invalid value '%s' for SourceRegion: "
			      "this ec2-lite is the region %s", region, ctx->cfg->region);
		return NULL;
	}
	if (!ec2_id_valid("ami", from)) {
		ec2_error_set(err, EC2_ERR_AMI_MALFORMED, "Invalid id: \"%s\" (expecting \"ami-...\")",
			      from);
		return NULL;
	}
	if (image_name_check(src.name, err) < 0 || !(img = ec2_image_get(ctx, from, err)))
		return NULL;
	if (strcmp(req_str0(img, "State"), "available") != 0) {
		ec2_error_set(err, EC2_ERR_AMI_UNAVAILABLE, "The image id '[%s]' is not available",
			      from);
		json_object_put(img);
		return NULL;
	}
	src.disk = image_private(img, "Base");
	src.kernel = image_private(img, "Kernel");
	src.initrd = image_private(img, "Initrd");
	src.cmdline = image_private(img, "KernelArgs");
	src.no_pvh = src.kernel && strcmp(image_private(img, "KernelEntry") ?
					  image_private(img, "KernelEntry") : "", "bzImage") == 0;
	if (!src.description)
		src.description = req_string(img, "Description");
	resp = image_add(ctx, &src, err);
	json_object_put(img);
	return resp;
}
