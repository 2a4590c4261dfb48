/* Instances, the instance store: the local disks of a type with instance storage (m5d, c5d, r5d,
 * i3; InstanceStorageInfo), as EC2 names them ephemeral0, ephemeral1, ...
 *
 * Each disk is a sparse file of the disk's full size in the instance's folder
 * (<state-dir>/instances/<id>/ephemeral<n>.img), given to the guest as a raw virtio disk whose
 * serial names it (domxml.c). Its life is EC2's (docs: "Data persistence for instance store
 * volumes"): the data persists through a reboot and is lost when the instance is stopped,
 * hibernated or terminated. So the files are made empty at launch and again at every start from
 * stopped (ephemeral_make), a reboot (the same QEMU, or a domain started again by a reconcile
 * pass for CreateImage's reboot) leaves them as they are, and they go with the instance's folder
 * at terminate and when a launch is undone (destroy_resources). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "ec2lite/util.h"

#include "instance-internal.h"

/* AWS's GB: instance-store sizes are decimal (an m5d.large's 75 GB disk is 75 * 10^9 bytes). */
#define EPHEMERAL_GB 1000000000ULL

char *ephemeral_path(struct ec2_ctx *ctx, const char *id, int n)
{
	return util_strdupf("%s/%s/ephemeral%d.img", ctx->instances_dir, id, n);
}

void ephemeral_paths_free(char *paths[TYPE_STORE_DISKS_MAX])
{
	int n;

	for (n = 0; n < TYPE_STORE_DISKS_MAX; n++) {
		free(paths[n]);
		paths[n] = NULL;
	}
}

/* Makes path an empty sparse file of size bytes: O_TRUNC drops whatever an earlier run of the
 * instance wrote (the blocks go back to the filesystem), ftruncate gives it its size again
 * without allocating any. Never follows a symbolic link. */
static int sparse_file(const char *path, unsigned long long size, struct ec2_error *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0) {
		ec2_error_set(err, EC2_ERR_INTERNAL, "cannot create the instance-store disk '%s': %s",
			      path, strerror(errno));
		return -1;
	}
	if (ftruncate(fd, (off_t)size) < 0) {
		ec2_error_set(err, EC2_ERR_INTERNAL, "cannot size the instance-store disk '%s': %s",
			      path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	close(fd);
	return 0;
}

int ephemeral_make(struct ec2_ctx *ctx, const char *id, const struct instance_type *t,
		   char *paths[TYPE_STORE_DISKS_MAX], struct ec2_error *err)
{
	int n;

	int count = t->store_disks < TYPE_STORE_DISKS_MAX ? t->store_disks : TYPE_STORE_DISKS_MAX;

	memset(paths, 0, TYPE_STORE_DISKS_MAX * sizeof(*paths));
	for (n = 0; n < count; n++) {
		paths[n] = ephemeral_path(ctx, id, n);
		if (sparse_file(paths[n], (unsigned long long)t->store_disk_gb * EPHEMERAL_GB,
				err) < 0) {
			ephemeral_paths_free(paths);
			return -1;
		}
	}
	/* Disks beyond the type's: an instance whose type was changed while stopped keeps the
	 * disks of its domain (ModifyInstanceAttribute changes vCPUs and memory only), and their
	 * data must not outlive the stop either. They are emptied at the size they have. */
	for (n = count; n < TYPE_STORE_DISKS_MAX; n++) {
		char *path = ephemeral_path(ctx, id, n);
		struct stat st;
		int rc = 0;

		if (lstat(path, &st) == 0 && S_ISREG(st.st_mode))
			rc = sparse_file(path, (unsigned long long)st.st_size, err);
		free(path);
		if (rc < 0) {
			ephemeral_paths_free(paths);
			return -1;
		}
	}
	return count;
}

/* What the instance-store disks already there may still take of the filesystem: their sizes less
 * what they hold now (a sparse disk's promise not yet written). */
static unsigned long long promised_bytes(struct ec2_ctx *ctx)
{
	DIR *d = opendir(ctx->instances_dir);
	struct dirent *e;
	unsigned long long total = 0;
	int n;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, "i-", 2) != 0)
			continue;
		for (n = 0; n < TYPE_STORE_DISKS_MAX; n++) {
			char *path = ephemeral_path(ctx, e->d_name, n);
			struct stat st;
			unsigned long long used;

			if (lstat(path, &st) == 0 && S_ISREG(st.st_mode)) {
				used = (unsigned long long)st.st_blocks * 512ULL;
				if ((unsigned long long)st.st_size > used)
					total += (unsigned long long)st.st_size - used;
			}
			free(path);
		}
	}
	closedir(d);
	return total;
}

int ephemeral_fits(struct ec2_ctx *ctx, const struct instance_type *t, long min, long *max,
		   struct ec2_error *err)
{
	unsigned long long need = (unsigned long long)t->store_disks * t->store_disk_gb * EPHEMERAL_GB;
	unsigned long long avail, promised;
	struct statvfs fs;
	long room;

	if (need == 0)
		return 0;
	if (ctx->test.store_free_bytes > 0) {
		avail = ctx->test.store_free_bytes;
	} else {
		/* The state folder's filesystem holds the pool and the instances' folders. */
		if (statvfs(ctx->cfg->state_dir, &fs) < 0) {
			ec2_error_set(err, EC2_ERR_INTERNAL, "cannot read the free space of '%s': %s",
				      ctx->cfg->state_dir, strerror(errno));
			return -1;
		}
		avail = (unsigned long long)fs.f_bavail * fs.f_frsize;
	}
	promised = promised_bytes(ctx);
	avail = avail > promised ? avail - promised : 0;
	room = (long)(avail / need);
	if (room < min) {
		ec2_error_set(err, EC2_ERR_INSUFFICIENT_CAPACITY,
			      "We currently do not have sufficient %s capacity in the Availability "
			      "Zone you requested (%s). Its instance store takes %lld GB an instance "
			      "(%d x %ld GB), %llu GB of this host's disk are free for it, and %ld "
			      "instance(s) were asked for.", t->name, ctx->cfg->availability_zone,
			      (long long)(need / EPHEMERAL_GB), t->store_disks, t->store_disk_gb,
			      avail / EPHEMERAL_GB, min);
		return -1;
	}
	if (*max > room)
		*max = room;
	return 0;
}
