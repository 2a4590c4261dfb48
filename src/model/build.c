/* Building AMIs from the recipes in amis/ (ec2_build_ami: see include/ec2lite/build.h).
 *
 * Builders:
 *   busybox      ("tiny") Debian's kernel, an initramfs that loads the modules the kernel needs
 *                for virtio, ext4 and the seed's iso9660, and an ext4 root disk with busybox and
 *                the scripts in amis/<recipe>/; boots straight into the kernel.
 *   debootstrap  ("debian-12") a Debian system from the configured mirror, on a partitioned
 *                disk with extlinux in its MBR: boots from the disk, as cloud images do.
 * Disks are made with libguestfs (partitions, filesystems, files copied in, bootloader), never
 * with loop mounts. The recipe's text, the builder version and the host kernel make the recipe
 * hash; an available AMI with the same name and hash makes a second build a no-op. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "ec2lite/build.h"
#include "ec2lite/gfs.h"
#include "ec2lite/image.h"
#include "ec2lite/util.h"

#define BUILDER_VERSION "3" /* bump when a builder changes what it makes */

struct build {
	struct ec2_ctx *ctx;
	const struct ec2_progress *p;
	json_object *recipe;
	const char *name;
	char *recipe_dir;  /* amis/<name>/ */
	char *work;        /* a scratch folder in the state folder */
	char kver[256];    /* the kernel release used */
	int step, steps;
};

static void step(struct build *b, const char *what)
{
	b->step++;
	if (b->p && b->p->step)
		b->p->step(b->p->opaque, b->step, b->steps, what);
}

static void line(void *opaque, const char *text)
{
	struct build *b = opaque;

	if (b->p && b->p->line)
		b->p->line(b->p->opaque, text);
}

/* --- a cpio "newc" archive, the initramfs format --- */

struct cpio {
	FILE *f;
	unsigned ino;
};

static void cpio_pad(struct cpio *c)
{
	while (ftell(c->f) % 4)
		fputc(0, c->f);
}

static void cpio_entry(struct cpio *c, const char *name, unsigned mode, const void *data,
		       size_t len)
{
	fprintf(c->f, "070701%08X%08X%08X%08X%08X%08X%08zX%08X%08X%08X%08X%08zX%08X", c->ino++,
		mode, 0, 0, 1, 0, len, 0, 0, 0, 0, strlen(name) + 1, 0);
	fwrite(name, 1, strlen(name) + 1, c->f);
	cpio_pad(c);
	if (len)
		fwrite(data, 1, len, c->f);
	cpio_pad(c);
}

static int cpio_file(struct cpio *c, const char *name, const char *path, unsigned mode,
		     struct ec2_error *err)
{
	size_t len;
	char *data = util_read_file(path, &len, err);

	if (!data)
		return -1;
	cpio_entry(c, name, 0100000 | mode, data, len);
	free(data);
	return 0;
}

/* --- helpers --- */

static int write_text(const char *path, const char *text, int mode, struct ec2_error *err)
{
	return util_write_file_atomic(path, text, strlen(text), mode, err);
}

/* The newest kernel with modules on this host (from Debian's linux-image package). */
static int host_kernel(struct build *b, struct ec2_error *err)
{
	DIR *d = opendir("/lib/modules");
	struct dirent *e;

	b->kver[0] = '\0';
	while (d && (e = readdir(d))) {
		char *vmlinuz = util_strdupf("/boot/vmlinuz-%s", e->d_name);

		if (e->d_name[0] != '.' && util_file_exists(vmlinuz) &&
		    strverscmp(e->d_name, b->kver) > 0)
			snprintf(b->kver, sizeof(b->kver), "%s", e->d_name);
		free(vmlinuz);
	}
	if (d)
		closedir(d);
	if (!b->kver[0]) {
		ec2_error_set(err, EC2_ERR_INTERNAL, "no kernel in /boot with modules in /lib/modules: "
			      "install Debian's linux-image-amd64");
		return -1;
	}
	return 0;
}

/* guestfs_tar_in of tar with a progress bar: libguestfs reports no progress for uploads, so a
 * thread feeds the tar through a FIFO and counts what it wrote. */
struct feeder {
	const char *tar, *fifo;
	struct build *b;
	int rc;
};

static void *feed(void *opaque)
{
	struct feeder *f = opaque;
	char buf[1 << 16];
	int in = open(f->tar, O_RDONLY | O_CLOEXEC), out = open(f->fifo, O_WRONLY | O_CLOEXEC);
	struct stat st;
	off_t done = 0;
	ssize_t n;
	sigset_t pipe_signal;

	/* If libguestfs stops reading, a write must fail with EPIPE, not kill the process. */
	sigemptyset(&pipe_signal);
	sigaddset(&pipe_signal, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_signal, NULL);
	f->rc = -1;
	if (in >= 0 && out >= 0 && fstat(in, &st) == 0) {
		while ((n = read(in, buf, sizeof(buf))) > 0) {
			ssize_t w = 0;

			while (w < n) {
				ssize_t k = write(out, buf + w, (size_t)(n - w));

				if (k < 0)
					goto out;
				w += k;
			}
			done += n;
			if (f->b->p && f->b->p->fraction && st.st_size)
				f->b->p->fraction(f->b->p->opaque, (double)done / (double)st.st_size);
		}
		f->rc = n == 0 ? 0 : -1;
	}
out:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return NULL;
}

static int tar_in_progress(struct build *b, guestfs_h *g, const char *tar, const char *dir)
{
	char *fifo = util_strdupf("%s.fifo", tar);
	struct feeder f = { .tar = tar, .fifo = fifo, .b = b };
	pthread_t t;
	int rc;

	unlink(fifo);
	if (mkfifo(fifo, 0600) < 0 || pthread_create(&t, NULL, feed, &f) != 0) {
		free(fifo);
		return guestfs_tar_in_opts(g, tar, dir, GUESTFS_TAR_IN_OPTS_XATTRS, 1, -1);
	}
	rc = guestfs_tar_in_opts(g, fifo, dir, GUESTFS_TAR_IN_OPTS_XATTRS, 1, -1);
	if (rc < 0) {
		/* Unblock the feeder if libguestfs never opened the FIFO. */
		int fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

		if (fd >= 0)
			close(fd);
	}
	pthread_join(t, NULL);
	unlink(fifo);
	free(fifo);
	return rc < 0 || f.rc < 0 ? -1 : 0;
}

static int tar_dir(struct build *b, const char *dir, const char *tar, struct ec2_error *err)
{
	const char *argv[] = { "tar", "--numeric-owner", "--xattrs", "-C", dir, "-cf", tar, ".",
			       NULL };

	return util_run(argv, line, b, err);
}

/* --- the busybox builder (tiny) --- */

static int tiny_rootfs(struct build *b, const char *root, struct ec2_error *err)
{
	static const char *const dirs[] = { "bin", "sbin", "etc", "proc", "sys", "dev", "run", "tmp",
					    "mnt", "root", "var/lib/ec2-lite", "lib", NULL };
	const char *const *d;
	char *p, *src;
	int rc = 0;

	for (d = dirs; *d; d++) {
		p = util_strdupf("%s/%s", root, *d);
		rc |= util_mkdir_p(p, 0755, err);
		free(p);
	}
	if (rc < 0)
		return -1;
	p = util_strdupf("%s/bin/busybox", root);
	rc = util_copy_sparse("/bin/busybox", p, 0755, err);
	if (rc == 0) {
		/* Real files where libguestfs inspection reads the architecture (the other
		 * applets' symlinks are made at boot). */
		static const char *const links[] = { "sh", "ls", "echo", "rm", NULL };
		const char *const *l;

		for (l = links; *l && rc == 0; l++) {
			char *q = util_strdupf("%s/bin/%s", root, *l);

			if (link(p, q) < 0) {
				ec2_error_set_errno(err, errno, "cannot link '%s'", q);
				rc = -1;
			}
			free(q);
		}
	}
	free(p);
	if (rc < 0)
		return -1;
	src = util_strdupf("%s/init", b->recipe_dir);
	p = util_strdupf("%s/sbin/init", root);
	rc = util_copy_sparse(src, p, 0755, err);
	free(p);
	free(src);
	src = util_strdupf("%s/udhcpc.script", b->recipe_dir);
	p = util_strdupf("%s/etc/udhcpc.script", root);
	if (rc == 0)
		rc = util_copy_sparse(src, p, 0755, err);
	free(p);
	free(src);
	if (rc < 0)
		return -1;
	p = util_strdupf("%s/etc/passwd", root);
	rc = write_text(p, "root:x:0:0:root:/root:/bin/sh\n", 0644, err);
	free(p);
	p = util_strdupf("%s/etc/group", root);
	rc |= write_text(p, "root:x:0:\n", 0644, err);
	free(p);
	p = util_strdupf("%s/etc/hostname", root);
	rc |= write_text(p, "tiny\n", 0644, err);
	free(p);
	/* What libguestfs inspection (and people) look for to tell the OS. */
	p = util_strdupf("%s/etc/os-release", root);
	rc |= write_text(p, "NAME=\"ec2-lite tiny\"\nID=ec2-lite-tiny\nID_LIKE=debian\n"
			 "PRETTY_NAME=\"ec2-lite tiny (busybox on Debian's kernel)\"\nVERSION_ID=1\n",
			 0644, err);
	free(p);
	p = util_strdupf("%s/etc/fstab", root);
	rc |= write_text(p, "LABEL=rootfs / ext4 rw 0 1\n", 0644, err);
	free(p);
	return rc;
}

/* Modules and their dependencies in load order (modprobe --show-depends lists them so). */
static void add_module(void *opaque, const char *text)
{
	json_object *list = opaque;
	const char *path;
	size_t i, len;

	if (strncmp(text, "insmod ", 7) != 0)
		return;
	path = text + 7;
	len = strcspn(path, " ");
	for (i = 0; i < json_object_array_length(list); i++) {
		const char *have = json_object_get_string(json_object_array_get_idx(list, i));

		if (strlen(have) == len && strncmp(have, path, len) == 0)
			return;
	}
	json_object_array_add(list, json_object_new_string_len(path, (int)len));
}

/* The initramfs of a kernel-boot recipe: busybox, amis/initramfs-init and the recipe's Modules
 * with their dependencies, taken from the modules of release kver under root ("/" for the
 * host's). */
static int initramfs(struct build *b, const char *out, const char *root, const char *kver,
		     struct ec2_error *err)
{
	json_object *mods = req_list(b->recipe, "Modules"), *files = json_object_new_array();
	struct cpio c = { 0 };
	char *src = NULL, *order = NULL;
	size_t i;
	int rc = -1;

	for (i = 0; mods && i < json_object_array_length(mods); i++) {
		const char *argv[] = { "modprobe", "-d", root, "-S", kver, "--show-depends",
				       json_object_get_string(json_object_array_get_idx(mods, i)), NULL };

		if (util_run(argv, add_module, files, err) < 0)
			goto out;
	}
	c.f = fopen(out, "wb");
	if (!c.f) {
		ec2_error_set_errno(err, errno, "cannot create '%s'", out);
		goto out;
	}
	cpio_entry(&c, "bin", 040755, NULL, 0);
	cpio_entry(&c, "lib", 040755, NULL, 0);
	cpio_entry(&c, "lib/modules", 040755, NULL, 0);
	src = util_strdupf("%s/amis/initramfs-init", b->ctx->cfg->data_dir);
	if (cpio_file(&c, "init", src, 0755, err) < 0 ||
	    cpio_file(&c, "bin/busybox", "/bin/busybox", 0755, err) < 0)
		goto out;
	order = strdup("");
	for (i = 0; i < json_object_array_length(files); i++) {
		const char *path = json_object_get_string(json_object_array_get_idx(files, i));
		const char *base = strrchr(path, '/') + 1;
		char *name = util_strdupf("lib/modules/%s", base), *more;

		if (cpio_file(&c, name, path, 0644, err) < 0) {
			free(name);
			goto out;
		}
		free(name);
		more = util_strdupf("%s%s\n", order, base);
		free(order);
		order = more;
	}
	cpio_entry(&c, "modules", 0100644, order, strlen(order));
	cpio_entry(&c, "TRAILER!!!", 0, NULL, 0);
	if (fflush(c.f) != 0 || ferror(c.f)) {
		ec2_error_set_errno(err, errno ? errno : EIO, "cannot write '%s'", out);
		goto out;
	}
	rc = 0;
out:
	if (c.f)
		fclose(c.f);
	json_object_put(files);
	free(src);
	free(order);
	return rc;
}

/* An unpartitioned ext4 disk labelled rootfs holding the tar's files. */
static int disk_from_tar(struct build *b, const char *disk, long long size_mib,
			 const char *tar, struct ec2_error *err)
{
	guestfs_h *g = gfs_open(b->ctx, b->p, err);
	int rc = -1;

	if (!g)
		return -1;
	if (guestfs_disk_create(g, disk, "raw", size_mib << 20, -1) < 0 ||
	    guestfs_add_drive_opts(g, disk, GUESTFS_ADD_DRIVE_OPTS_FORMAT, "raw", -1) < 0 ||
	    guestfs_launch(g) < 0) {
		gfs_fail(g, "cannot start the libguestfs appliance", err);
		goto out;
	}
	step(b, "making the filesystem and copying the files in");
	if (guestfs_mkfs(g, "ext4", "/dev/sda") < 0 || guestfs_set_label(g, "/dev/sda", "rootfs") < 0 ||
	    guestfs_mount(g, "/dev/sda", "/") < 0 || tar_in_progress(b, g, tar, "/") < 0 ||
	    guestfs_umount_all(g) < 0 || guestfs_shutdown(g) < 0) {
		gfs_fail(g, "cannot make the root disk", err);
		goto out;
	}
	rc = 0;
out:
	guestfs_close(g);
	return rc;
}

/* A BIOS-bootable disk, as cloud images are: an MBR partition table with one bootable ext4
 * partition labelled rootfs holding the tar's files, extlinux in /boot and syslinux's MBR code
 * in the first sector. kernel and initrd are paths inside the tar; append is the command line. */
static int bootable_disk_from_tar(struct build *b, const char *disk, long long size_mib,
				  const char *tar, const char *kernel, const char *initrd,
				  const char *append, struct ec2_error *err)
{
	static const char mbr_path[] = "/usr/lib/syslinux/mbr/mbr.bin";
	guestfs_h *g = gfs_open(b->ctx, b->p, err);
	char *mbr = NULL, *conf = NULL;
	size_t mbr_len = 0;
	int rc = -1;

	if (!g)
		return -1;
	mbr = util_read_file(mbr_path, &mbr_len, err);
	if (!mbr || mbr_len != 440) {
		if (mbr)
			ec2_error_set(err, EC2_ERR_INTERNAL, "'%s' is not syslinux's 440-byte MBR", mbr_path);
		goto out;
	}
	if (guestfs_disk_create(g, disk, "raw", size_mib << 20, -1) < 0 ||
	    guestfs_add_drive_opts(g, disk, GUESTFS_ADD_DRIVE_OPTS_FORMAT, "raw", -1) < 0 ||
	    guestfs_launch(g) < 0) {
		gfs_fail(g, "cannot start the libguestfs appliance", err);
		goto out;
	}
	step(b, "partitioning, making the filesystem and copying the files in");
	if (guestfs_part_disk(g, "/dev/sda", "mbr") < 0 ||
	    guestfs_part_set_bootable(g, "/dev/sda", 1, 1) < 0 ||
	    guestfs_mkfs(g, "ext4", "/dev/sda1") < 0 ||
	    guestfs_set_label(g, "/dev/sda1", "rootfs") < 0 || guestfs_mount(g, "/dev/sda1", "/") < 0 ||
	    tar_in_progress(b, g, tar, "/") < 0) {
		gfs_fail(g, "cannot make the root disk", err);
		goto out;
	}
	step(b, "installing the bootloader (extlinux)");
	conf = util_strdupf("DEFAULT linux\nTIMEOUT 1\nPROMPT 0\nLABEL linux\n  KERNEL %s\n"
			    "  INITRD %s\n  APPEND %s\n", kernel, initrd, append);
	if (guestfs_mkdir_p(g, "/boot/extlinux") < 0 ||
	    guestfs_write(g, "/boot/extlinux/extlinux.conf", conf, strlen(conf)) < 0 ||
	    guestfs_extlinux(g, "/boot/extlinux") < 0 || guestfs_umount_all(g) < 0 ||
	    guestfs_pwrite_device(g, "/dev/sda", mbr, mbr_len, 0) != (int)mbr_len ||
	    guestfs_shutdown(g) < 0) {
		gfs_fail(g, "cannot install the bootloader", err);
		goto out;
	}
	rc = 0;
out:
	guestfs_close(g);
	free(mbr);
	free(conf);
	return rc;
}

static int build_busybox(struct build *b, struct image_source *src, struct ec2_error *err)
{
	char *root = util_strdupf("%s/root", b->work), *tar = util_strdupf("%s/root.tar", b->work);
	char *disk = util_strdupf("%s/disk.raw", b->work);
	char *initrd = util_strdupf("%s/initrd.img", b->work);
	char *kernel = util_strdupf("/boot/vmlinuz-%s", b->kver);
	long long size = 128;
	int rc = -1;

	bool bios = strcmp(req_str0(b->recipe, "BootMode"), "disk") == 0;

	req_int(b->recipe, "SizeMiB", &size, NULL);
	step(b, "assembling the busybox root filesystem");
	if (tiny_rootfs(b, root, err) < 0)
		goto out;
	step(b, "making the initramfs (modules for virtio, ext4, the seed's iso9660)");
	if (initramfs(b, initrd, "/", b->kver, err) < 0)
		goto out;
	if (bios) {
		/* The kernel and initramfs go inside the disk, for the bootloader. */
		char *boot = util_strdupf("%s/boot", root), *k = util_strdupf("%s/boot/vmlinuz", root);
		char *i = util_strdupf("%s/boot/initrd.img", root);
		int r = util_mkdir_p(boot, 0755, err);

		if (r == 0)
			r = util_copy_sparse(kernel, k, 0644, err);
		if (r == 0)
			r = util_copy_sparse(initrd, i, 0644, err);
		free(boot);
		free(k);
		free(i);
		if (r < 0)
			goto out;
	}
	if (tar_dir(b, root, tar, err) < 0)
		goto out;
	step(b, "starting libguestfs to make the root disk");
	if (bios ? bootable_disk_from_tar(b, disk, size, tar, "/boot/vmlinuz", "/boot/initrd.img",
					  req_str0(b->recipe, "KernelArgs"), err) < 0
		 : disk_from_tar(b, disk, size, tar, err) < 0)
		goto out;
	src->disk = disk;
	if (bios) {
		rc = 0;
		disk = NULL;
		goto out;
	}
	src->kernel = kernel;
	src->initrd = initrd;
	src->cmdline = req_str0(b->recipe, "KernelArgs");
	disk = kernel = initrd = NULL; /* now src's; freed by the caller through b->work */
	rc = 0;
out:
	free(root);
	free(tar);
	free(disk);
	free(initrd);
	free(kernel);
	return rc;
}

/* --- the debootstrap builder (debian-12) --- */

/* The first configured APT source for suite (/etc/apt/sources.list, then the deb822 files in
 * /etc/apt/sources.list.d), so builds use the mirror this machine already uses. */
static void configured_mirror(const char *suite, char *out, size_t size)
{
	char *text = util_read_file("/etc/apt/sources.list", NULL, NULL), *line, *save = NULL;
	DIR *d;
	struct dirent *e;

	snprintf(out, size, "http://deb.debian.org/debian");
	for (line = text ? strtok_r(text, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
		char type[16], uri[512], s2[64];

		if (sscanf(line, "%15s %511s %63s", type, uri, s2) == 3 && strcmp(type, "deb") == 0 &&
		    uri[0] != '[' && strcmp(s2, suite) == 0) {
			snprintf(out, size, "%s", uri);
			free(text);
			return;
		}
	}
	free(text);
	d = opendir("/etc/apt/sources.list.d");
	while (d && (e = readdir(d))) {
		size_t n = strlen(e->d_name);
		char *path, *stanza, *save2 = NULL;

		if (n < 8 || strcmp(e->d_name + n - 8, ".sources") != 0)
			continue;
		path = util_strdupf("/etc/apt/sources.list.d/%s", e->d_name);
		text = util_read_file(path, NULL, NULL);
		free(path);
		/* Stanzas are separated by blank lines; a match needs Types: deb and the suite. */
		for (stanza = text; stanza && *stanza;) {
			char *end = strstr(stanza, "\n\n"), uri[512] = "";
			bool deb = false, has_suite = false;

			if (end)
				*end = '\0';
			for (line = strtok_r(stanza, "\n", &save2); line; line = strtok_r(NULL, "\n", &save2)) {
				if (strncmp(line, "Types:", 6) == 0)
					deb = strstr(line, " deb") != NULL;
				else if (strncmp(line, "URIs:", 5) == 0)
					sscanf(line + 5, "%511s", uri);
				else if (strncmp(line, "Suites:", 7) == 0) {
					char *w, *save3 = NULL;

					for (w = strtok_r(line + 7, " ", &save3); w; w = strtok_r(NULL, " ", &save3))
						has_suite |= strcmp(w, suite) == 0;
				}
			}
			if (deb && has_suite && uri[0]) {
				snprintf(out, size, "%s", uri);
				free(text);
				closedir(d);
				return;
			}
			stanza = end ? end + 2 : NULL;
		}
		free(text);
	}
	if (d)
		closedir(d);
}

/* The newest file in dir whose name starts with prefix, as a path inside the guest. */
static int newest(const char *dir, const char *prefix, const char *guest_dir, char *out,
		  size_t size)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char best[256] = "";

	while (d && (e = readdir(d)))
		if (strncmp(e->d_name, prefix, strlen(prefix)) == 0 && strverscmp(e->d_name, best) > 0)
			snprintf(best, sizeof(best), "%s", e->d_name);
	if (d)
		closedir(d);
	if (!best[0])
		return -1;
	snprintf(out, size, "%s/%s", guest_dir, best);
	return 0;
}

/* What makes a debootstrapped tree an ec2-lite cloud image: the NoCloud datasource, a fstab,
 * a network that cloud-init configures, and no per-machine identity (machine-id, SSH host keys,
 * caches), so that every instance gets its own on first boot. */
static int debian_configure(struct build *b, const char *root, struct ec2_error *err)
{
	static const struct {
		const char *path, *text;
	} files[] = {
		{ "etc/hostname", "debian\n" },
		{ "etc/hosts", "127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n" },
		{ "etc/fstab", "LABEL=rootfs / ext4 errors=remount-ro 0 1\n" },
		{ "etc/network/interfaces", "source /etc/network/interfaces.d/*\n\nauto lo\n"
					    "iface lo inet loopback\n" },
		{ "etc/machine-id", "" },
	};
	static const char *const gone[] = { "var/lib/dbus/machine-id", "etc/ssh/ssh_host_rsa_key",
					    "etc/ssh/ssh_host_rsa_key.pub",
					    "etc/ssh/ssh_host_ecdsa_key",
					    "etc/ssh/ssh_host_ecdsa_key.pub",
					    "etc/ssh/ssh_host_ed25519_key",
					    "etc/ssh/ssh_host_ed25519_key.pub", NULL };
	const char *const *g;
	char *dir, *src, *dst, *archives;
	size_t i;
	int rc = 0;

	dir = util_strdupf("%s/etc/network/interfaces.d", root);
	rc |= util_mkdir_p(dir, 0755, err);
	free(dir);
	for (i = 0; i < sizeof(files) / sizeof(files[0]) && rc == 0; i++) {
		char *p = util_strdupf("%s/%s", root, files[i].path);

		rc = write_text(p, files[i].text, 0644, err);
		free(p);
	}
	for (g = gone; *g; g++) {
		char *p = util_strdupf("%s/%s", root, *g);

		unlink(p);
		free(p);
	}
	/* What a cloud VM does not need at boot (the recipe's MaskUnits): masked, as systemctl
	 * mask does. And drivers for devices it does not use (Blacklist). */
	{
		json_object *units = req_list(b->recipe, "MaskUnits"), *bl = req_list(b->recipe, "Blacklist");
		char *conf = strdup("# ec2-lite: drivers for devices instances do not use\n");

		for (i = 0; units && i < json_object_array_length(units) && rc == 0; i++) {
			char *link = util_strdupf("%s/etc/systemd/system/%s", root,
						  json_object_get_string(json_object_array_get_idx(units, i)));

			unlink(link);
			if (symlink("/dev/null", link) < 0) {
				ec2_error_set_errno(err, errno, "cannot mask %s", link);
				rc = -1;
			}
			free(link);
		}
		for (i = 0; bl && i < json_object_array_length(bl); i++) {
			char *more = util_strdupf("%sblacklist %s\n", conf,
						  json_object_get_string(json_object_array_get_idx(bl, i)));

			free(conf);
			conf = more;
		}
		if (rc == 0 && bl) {
			char *p = util_strdupf("%s/etc/modprobe.d/ec2-lite.conf", root);

			rc = write_text(p, conf, 0644, err);
			free(p);
		}
		free(conf);
	}
	/* The recipe's own files (Install: [FROM, TO, MODE] ...): configuration, ec2-lite's
	 * single-process cloud-init stages. */
	{
		json_object *inst = req_list(b->recipe, "Install");

		for (i = 0; inst && i < json_object_array_length(inst) && rc == 0; i++) {
			json_object *e = json_object_array_get_idx(inst, i);
			const char *to = json_object_get_string(json_object_array_get_idx(e, 1));
			char *parent;

			src = util_strdupf("%s/%s", b->recipe_dir,
					   json_object_get_string(json_object_array_get_idx(e, 0)));
			dst = util_strdupf("%s%s", root, to);
			parent = strdup(dst);
			if (!parent)
				abort();
			*strrchr(parent, '/') = '\0';
			rc = util_mkdir_p(parent, 0755, err);
			if (rc == 0)
				rc = util_copy_sparse(src, dst, (int)strtol(json_object_get_string(
					json_object_array_get_idx(e, 2)), NULL, 8), err);
			free(parent);
			free(src);
			free(dst);
		}
	}
	/* The package cache is not part of the image. */
	archives = util_strdupf("%s/var/cache/apt/archives", root);
	{
		DIR *d = opendir(archives);
		struct dirent *e;

		while (d && (e = readdir(d))) {
			size_t n = strlen(e->d_name);

			if (n > 4 && strcmp(e->d_name + n - 4, ".deb") == 0) {
				char *p = util_strdupf("%s/%s", archives, e->d_name);

				unlink(p);
				free(p);
			}
		}
		if (d)
			closedir(d);
	}
	free(archives);
	return rc;
}

static int build_debootstrap(struct build *b, struct image_source *src, struct ec2_error *err)
{
	char *root = util_strdupf("%s/root", b->work), *tar = util_strdupf("%s/root.tar", b->work);
	char *disk = util_strdupf("%s/disk.raw", b->work), *include = strdup(""), *boot = NULL;
	char *kcopy = NULL, *icopy = NULL;
	char mirror[512], what[700], kernel[300], initrd[300];
	const char *suite = req_str0(b->recipe, "Suite"), *variant = req_str0(b->recipe, "Variant");
	json_object *pkgs = req_list(b->recipe, "Packages");
	long long size = 2048;
	size_t i;
	int rc = -1;

	req_int(b->recipe, "SizeMiB", &size, NULL);
	if (req_string(b->recipe, "Mirror"))
		snprintf(mirror, sizeof(mirror), "%s", req_string(b->recipe, "Mirror"));
	else
		configured_mirror(suite, mirror, sizeof(mirror));
	for (i = 0; pkgs && i < json_object_array_length(pkgs); i++) {
		char *more = util_strdupf("%s%s%s", include, i ? "," : "",
					  json_object_get_string(json_object_array_get_idx(pkgs, i)));

		free(include);
		include = more;
	}
	snprintf(what, sizeof(what), "debootstrap %s from %s (a few minutes)", suite, mirror);
	step(b, what);
	{
		char *v = util_strdupf("--variant=%s", variant[0] ? variant : "minbase");
		char *inc = util_strdupf("--include=%s", include);
		const char *argv[] = { "debootstrap", v, inc, suite, root, mirror, NULL };

		rc = util_run(argv, line, b, err);
		free(v);
		free(inc);
		if (rc < 0)
			goto out;
		rc = -1;
	}
	step(b, "configuring the system for ec2-lite (NoCloud, no per-machine identity)");
	boot = util_strdupf("%s/boot", root);
	if (debian_configure(b, root, err) < 0)
		goto out;
	if (newest(boot, "vmlinuz-", "/boot", kernel, sizeof(kernel)) < 0 ||
	    newest(boot, "initrd.img-", "/boot", initrd, sizeof(initrd)) < 0) {
		ec2_error_set(err, EC2_ERR_INTERNAL, "the debootstrapped system has no kernel or initrd "
			      "in /boot: does the recipe include linux-image-amd64?");
		goto out;
	}
	if (strcmp(req_str0(b->recipe, "BootMode"), "kernel") == 0) {
		/* Direct kernel boot: the system's kernel beside the disk (PVH once registered)
		 * and ec2-lite's small initramfs instead of the distribution's. The disk stays
		 * bootable on its own (extlinux, Debian's initramfs) for use elsewhere. */
		const char *kver = kernel + strlen("/boot/vmlinuz-");
		char *from = util_strdupf("%s%s", root, kernel);

		step(b, "making the initramfs (virtio, ext4, iso9660) for direct kernel boot");
		kcopy = util_strdupf("%s/vmlinuz", b->work);
		icopy = util_strdupf("%s/initrd.img", b->work);
		rc = util_copy_sparse(from, kcopy, 0644, err);
		free(from);
		if (rc < 0 || initramfs(b, icopy, root, kver, err) < 0) {
			rc = -1;
			goto out;
		}
		rc = -1;
	}
	if (tar_dir(b, root, tar, err) < 0)
		goto out;
	util_rm_rf(root, NULL); /* the tar holds it now; disk space is finite */
	step(b, "starting libguestfs to make the disk");
	if (bootable_disk_from_tar(b, disk, size, tar, kernel, initrd, req_str0(b->recipe, "KernelArgs"),
				   err) < 0)
		goto out;
	src->disk = disk;
	disk = NULL;
	if (kcopy) {
		src->kernel = kcopy;
		src->initrd = icopy;
		src->cmdline = req_str0(b->recipe, "KernelArgs");
		kcopy = icopy = NULL;
	}
	rc = 0;
out:
	free(root);
	free(tar);
	free(disk);
	free(include);
	free(boot);
	free(kcopy);
	free(icopy);
	return rc;
}

/* --- the driver --- */

static json_object *find_current(struct ec2_ctx *ctx, const char *name, const char *hash)
{
	json_object *root = store_read(ctx->store, NULL), *found = NULL;

	if (!root)
		return NULL;
	json_object_object_foreach(store_section(root, "images"), id, img) {
		const char *have = image_private(img, "RecipeHash");

		if (strcmp(req_str0(img, "Name"), name) != 0 || strcmp(req_str0(img, "State"), "available") != 0 ||
		    strcmp(req_str0(img, "ImageOwnerAlias"), "amazon") != 0 || !have ||
		    strcmp(have, hash) != 0)
			continue;
		found = json_object_new_object();
		json_add_str(found, "ImageId", id);
	}
	json_object_put(root);
	return found;
}

json_object *ec2_build_ami(struct ec2_ctx *ctx, json_object *req, const struct ec2_progress *p,
			   struct ec2_error *err)
{
	const char *recipe_name = req_string(req, "Recipe");
	struct build b = { .ctx = ctx, .p = p };
	struct image_source src = { .owner_alias = "amazon", .move = true, .replace = true };
	char *path = NULL, *text = NULL, *hashin = NULL, hash[65];
	json_object *resp = NULL, *found;
	const char *builder;
	bool force = false;
	struct stat st;

	if (!recipe_name || !*recipe_name || strchr(recipe_name, '/') || recipe_name[0] == '.') {
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER, "Invalid recipe name '%s'",
			      recipe_name ? recipe_name : "");
		return NULL;
	}
	req_bool(req, "Force", &force, NULL);
	path = util_strdupf("%s/amis/%s.json", ctx->cfg->data_dir, recipe_name);
	text = util_read_file(path, NULL, NULL);
	b.recipe = text ? json_tokener_parse(text) : NULL;
	if (!b.recipe) {
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER, "There is no AMI recipe '%s' (%s)%s",
			      recipe_name, path, text ? " that parses as JSON" : "");
		goto out;
	}
	b.name = req_str0(b.recipe, "Name");
	builder = req_str0(b.recipe, "Builder");
	/* A recipe's scripts live in amis/<Files>/, by default amis/<recipe>/. */
	b.recipe_dir = util_strdupf("%s/amis/%s", ctx->cfg->data_dir,
				    req_string(b.recipe, "Files") ? req_string(b.recipe, "Files") :
				    recipe_name);
	if (host_kernel(&b, err) < 0)
		goto out;
	{
		char *f = util_strdupf("%s/amis/initramfs-init", ctx->cfg->data_dir);
		char *content = util_read_file(f, NULL, NULL);

		hashin = util_strdupf("%s\n%s\n%s\ninitramfs-init\n%s\n", text, BUILDER_VERSION,
				      b.kver, content ? content : "");
		free(content);
		free(f);
	}
	if (stat(b.recipe_dir, &st) == 0) {
		/* The recipe's own files count too: a changed init script is a changed recipe. */
		const char *const files[] = { "init", "udhcpc.script", NULL };
		json_object *inst = req_list(b.recipe, "Install"), *all = json_object_new_array();
		size_t i;

		for (i = 0; files[i]; i++)
			json_object_array_add(all, json_object_new_string(files[i]));
		for (i = 0; inst && i < json_object_array_length(inst); i++)
			json_object_array_add(all, json_object_get(json_object_array_get_idx(
							   json_object_array_get_idx(inst, i), 0)));
		for (i = 0; i < json_object_array_length(all); i++) {
			const char *name = json_object_get_string(json_object_array_get_idx(all, i));
			char *f = util_strdupf("%s/%s", b.recipe_dir, name);
			char *content = util_read_file(f, NULL, NULL), *more;

			more = util_strdupf("%s%s\n%s", hashin, name, content ? content : "");
			free(hashin);
			hashin = more;
			free(content);
			free(f);
		}
		json_object_put(all);
	}
	util_sha256_hex(hashin, strlen(hashin), hash);
	if (!force && (found = find_current(ctx, b.name, hash))) {
		json_add_str(found, "Name", b.name);
		json_add_bool(found, "Built", false);
		resp = found;
		goto out;
	}
	b.work = util_strdupf("%s/build/%s.%ld", ctx->cfg->state_dir, recipe_name, (long)getpid());
	util_rm_rf(b.work, NULL);
	if (util_mkdir_p(b.work, 0755, err) < 0)
		goto out;
	src.name = b.name;
	src.description = req_string(b.recipe, "Description");
	src.recipe_hash = hash;
	if (strcmp(builder, "busybox") == 0) {
		b.steps = strcmp(req_str0(b.recipe, "BootMode"), "disk") == 0 ? 6 : 5;
		if (build_busybox(&b, &src, err) < 0)
			goto out;
	} else if (strcmp(builder, "debootstrap") == 0) {
		b.steps = strcmp(req_str0(b.recipe, "BootMode"), "kernel") == 0 ? 7 : 6;
		if (build_debootstrap(&b, &src, err) < 0)
			goto out;
	} else {
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER, "Recipe '%s' names an unknown builder '%s'",
			      recipe_name, builder);
		goto out;
	}
	step(&b, "registering the AMI");
	resp = image_add(ctx, &src, err);
	if (resp) {
		json_add_str(resp, "Name", b.name);
		json_add_bool(resp, "Built", true);
	}
	free((char *)src.disk);
	free((char *)src.kernel);
	free((char *)src.initrd);
out:
	if (b.work)
		util_rm_rf(b.work, NULL);
	free(b.work);
	free(b.recipe_dir);
	json_object_put(b.recipe);
	free(path);
	free(text);
	free(hashin);
	return resp;
}
