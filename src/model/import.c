/* ImportImage: a cloud image becomes one of your AMIs, after libguestfs has checked it (its
 * format is what the request says, it holds an operating system, for x86_64). The image is an
 * object in a bucket, as in EC2: s3://BUCKET/KEY is the file BUCKET/KEY of the import folder
 * the operator configures ("import-dir"); the CLI also takes file://PATH, a client of the API
 * never (it must not name host files the server, root, would copy into the pool). EC2 runs
 * imports as tasks; here the check and the copy run within the call, and the task is recorded
 * completed (DescribeImportImageTasks lists it). Failures use EC2's task messages
 * ("ClientError: Unknown OS / Missing OS files.") and register nothing. */
#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ec2lite/filter.h"
#include "ec2lite/gfs.h"
#include "ec2lite/ids.h"
#include "ec2lite/image.h"
#include "ec2lite/import.h"
#include "ec2lite/tags.h"
#include "ec2lite/util.h"

/* S3's rule for bucket names: 3-63 of a-z 0-9 . -, a letter or digit at each end, no "..". */
static bool bucket_valid(const char *b, size_t n)
{
	size_t i;

	if (n < 3 || n > 63 || !isalnum((unsigned char)b[0]) || !isalnum((unsigned char)b[n - 1]))
		return false;
	for (i = 0; i < n; i++)
		if (!(islower((unsigned char)b[i]) || isdigit((unsigned char)b[i]) || b[i] == '-' ||
		      (b[i] == '.' && b[i + 1] != '.')))
			return false;
	return true;
}

/* The object: each component opened below the last with O_NOFOLLOW, so that neither a ".."
 * (refused before) nor a symbolic link leads out of the import folder. What is checked is the
 * path as it is now; the operator keeps the folder writable only by those allowed to offer
 * images (whoever can replace a component by a link while an import runs is trusted). */
static int object_check(const char *import_dir, char *parts, const char *url,
			struct ec2_error *err)
{
	int fd = open(import_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), next, rc = -1;
	char *part = parts, *slash;
	struct stat st;

	while (fd >= 0) {
		slash = strchr(part, '/');
		if (slash)
			*slash = '\0';
		next = openat(fd, part, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC |
			      (slash ? O_DIRECTORY : 0));
		close(fd);
		fd = next;
		if (!slash)
			break;
		*slash = '/';
		part = slash + 1;
	}
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		rc = 0;
	else
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER, "ClientError: The S3 object %s does "
			      "not exist in the import folder (or is not a file)", url);
	if (fd >= 0)
		close(fd);
	return rc;
}

char *ec2_import_resolve(const char *import_dir, const char *url, bool remote,
			 struct ec2_error *err)
{
	const char *bucket, *key, *p;
	size_t blen;
	char *parts, *path;

	if (url && !remote && strncmp(url, "file://", 7) == 0 && url[7])
		return strdup(url + 7);
	if (!url || strncmp(url, "s3://", 5) != 0) {
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER, "The disk container Url '%s' is not "
			      "supported: use %ss3://BUCKET/KEY (an object in the import folder)",
			      url ? url : "", remote ? "" : "file://PATH or ");
		return NULL;
	}
	bucket = url + 5;
	blen = strcspn(bucket, "/");
	key = bucket[blen] ? bucket + blen + 1 : "";
	for (p = key; *p; p += strcspn(p, "/"), p += *p == '/') {
		size_t n = strcspn(p, "/");

		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			break;
	}
	if (!bucket_valid(bucket, blen) || !*key || *p || key[strlen(key) - 1] == '/') {
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER, "The disk container Url '%s' is not "
			      "an S3 object: s3://BUCKET/KEY, KEY without empty, '.' or '..' parts",
			      url);
		return NULL;
	}
	parts = util_strdupf("%.*s/%s", (int)blen, bucket, key);
	if (object_check(import_dir, parts, url, err) < 0) {
		free(parts);
		return NULL;
	}
	path = util_strdupf("%s/%s", import_dir, parts);
	free(parts);
	return path;
}

/* Inspects path (format fmt): the OS's architecture and a description of it. */
static int inspect(struct ec2_ctx *ctx, const char *path, const char *fmt, char *distro,
		   size_t dsize, struct ec2_error *err)
{
	guestfs_h *g = gfs_open(ctx, NULL, err);
	char **roots = NULL, *arch = NULL, *product = NULL, *detected = NULL;
	int rc = -1;
	size_t i;

	if (!g)
		return -1;
	detected = guestfs_disk_format(g, path);
	if (!detected || strcmp(detected, fmt) != 0) {
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER,
			      "ClientError: Disk validation failed [the disk's format is %s, not %s]",
			      detected ? detected : "unknown", fmt);
		goto out;
	}
	if (guestfs_add_drive_opts(g, path, GUESTFS_ADD_DRIVE_OPTS_FORMAT, fmt,
				   GUESTFS_ADD_DRIVE_OPTS_READONLY, 1, -1) < 0 ||
	    guestfs_launch(g) < 0) {
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER,
			      "ClientError: Disk validation failed [%s]",
			      guestfs_last_error(g) ? guestfs_last_error(g) : "cannot read the disk");
		goto out;
	}
	roots = guestfs_inspect_os(g);
	if (!roots || !roots[0]) {
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER,
			      "ClientError: Unknown OS / Missing OS files.");
		goto out;
	}
	arch = guestfs_inspect_get_arch(g, roots[0]);
	if (!arch || strcmp(arch, "x86_64") != 0) {
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER,
			      "ClientError: Unsupported architecture %s", arch ? arch : "unknown");
		goto out;
	}
	product = guestfs_inspect_get_product_name(g, roots[0]);
	snprintf(distro, dsize, "%s", product && strcmp(product, "unknown") != 0 ? product : "Linux");
	rc = 0;
out:
	for (i = 0; roots && roots[i]; i++)
		free(roots[i]);
	free(roots);
	free(arch);
	free(product);
	free(detected);
	guestfs_close(g);
	return rc;
}

static int add_task(json_object *root, void *opaque, struct ec2_error *err)
{
	json_object *task = opaque;

	(void)err;
	json_object_object_add(store_section(root, "import_tasks"), req_string(task, "ImportTaskId"),
			       json_object_get(task));
	return 0;
}

json_object *ec2_import_image(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err)
{
	json_object *containers = req_list(req, "DiskContainers"), *c, *resp = NULL, *img, *snaps,
		    *snap, *extra;
	const char *url, *format, *description = req_string(req, "Description");
	char fmt[16], task_id[EC2_ID_MAX + 8], hex[EC2_ID_MAX], distro[128];
	struct image_source src = { 0 };
	struct stat st;
	char *path = NULL;
	size_t i;
	json_object *tags = tag_specs(req, "import-image-task", NULL, err);

	if (!tags)
		return NULL;
	if (!containers || json_object_array_length(containers) != 1) {
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER,
			      "ImportImage takes exactly one disk container here");
		json_object_put(tags);
		return NULL;
	}
	c = json_object_array_get_idx(containers, 0);
	url = req_string(c, "Url");
	format = req_string(c, "Format");
	for (i = 0; format && format[i] && i + 1 < sizeof(fmt); i++)
		fmt[i] = (char)tolower((unsigned char)format[i]);
	fmt[format ? i : 0] = '\0';
	if (strcmp(fmt, "raw") != 0 && strcmp(fmt, "qcow2") != 0) {
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER,
			      "The disk container Format '%s' is not supported: use RAW or QCOW2",
			      format ? format : "");
		json_object_put(tags);
		return NULL;
	}
	path = ec2_import_resolve(ctx->cfg->import_dir, url, ctx->remote, err);
	if (!path) {
		json_object_put(tags);
		return NULL;
	}
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER,
			      "ClientError: Disk validation failed [%s is not a readable file]", url);
		goto out;
	}
	{
		/* Before any tool opens it (qemu-img, libguestfs: as root), the header must say a
		 * standalone disk: a backing or data file would make them read another host file. */
		char probed[16];
		unsigned long long vsize;

		if (image_probe_disk(path, probed, sizeof(probed), &vsize, err) < 0)
			goto out;
	}
	if (strcmp(fmt, "qcow2") == 0) {
		/* A truncated or damaged qcow2 still opens; its metadata check does not pass. */
		const char *argv[] = { "qemu-img", "check", "-q", "-f", "qcow2", path, NULL };
		struct ec2_error why = { 0 };

		if (util_run(argv, NULL, NULL, &why) < 0) {
			ec2_error_set(err, EC2_ERR_INVALID_PARAMETER,
				      "ClientError: Disk validation failed [the qcow2 image is corrupt "
				      "or not qcow2: %s]", why.message);
			goto out;
		}
	}
	if (inspect(ctx, path, fmt, distro, sizeof(distro), err) < 0)
		goto out;

	ec2_id_new("import-ami", hex, NULL);
	snprintf(task_id, sizeof(task_id), "%s", hex);
	extra = json_object_new_array();
	json_object_array_add(extra, json_object_new_string("ImportTaskId"));
	json_object_array_add(extra, json_object_new_string(task_id));
	json_object_array_add(extra, json_object_new_string("Distribution"));
	json_object_array_add(extra, json_object_new_string(distro));
	src.name = task_id; /* EC2 names imported AMIs after their task */
	src.description = description ? description : distro;
	src.disk = path;
	src.extra = extra;
	src.request = req;
	img = image_add(ctx, &src, err);
	json_object_put(extra);
	if (!img)
		goto out;

	resp = json_object_new_object();
	json_add_str(resp, "Architecture", "x86_64");
	json_add_str(resp, "Description", src.description);
	json_add_str(resp, "ImageId", req_string(img, "ImageId"));
	json_add_str(resp, "ImportTaskId", task_id);
	json_add_str(resp, "LicenseType", "BYOL");
	json_add_str(resp, "Platform", "Linux");
	json_add_str(resp, "Progress", "100");
	snaps = json_object_new_array();
	snap = json_object_new_object();
	json_add_int(snap, "DiskImageSize", (int64_t)st.st_size);
	json_add_str(snap, "Format", strcmp(fmt, "raw") == 0 ? "RAW" : "QCOW2");
	json_add_str(snap, "Status", "completed");
	json_add_str(snap, "Url", url);
	json_object_array_add(snaps, snap);
	json_object_object_add(resp, "SnapshotDetails", snaps);
	json_add_str(resp, "Status", "completed");
	json_add_str(resp, "StatusMessage", distro);
	if (json_object_array_length(tags) > 0)
		json_object_object_add(resp, "Tags", json_object_get(tags));
	/* Without its task the import is not done: the image goes too. */
	if (store_update(ctx->store, add_task, resp, err) < 0) {
		image_fail(ctx, req_string(img, "ImageId"), NULL, NULL);
		json_object_put(resp);
		resp = NULL;
	}
	json_object_put(img);
out:
	json_object_put(tags);
	free(path);
	return resp;
}

static const struct filter_field task_filters[] = {
	{ "task-state", "Status" },
	{ NULL, NULL },
};

json_object *ec2_describe_import_image_tasks(struct ec2_ctx *ctx, json_object *req,
					     struct ec2_error *err)
{
	json_object *ids = req_list(req, "ImportTaskIds"), *filters = req_list(req, "Filters");
	json_object *root, *list, *resp;

	if (filter_validate_untagged(filters, task_filters, err) < 0)
		return NULL;
	root = store_read(ctx->store, err);
	if (!root)
		return NULL;
	list = json_object_new_array();
	json_object_object_foreach(store_section(root, "import_tasks"), id, task) {
		if (json_strlist_wants(ids, id) && filter_match(task, filters, task_filters))
			json_object_array_add(list, json_object_get(task));
	}
	json_object_put(root);
	resp = json_object_new_object();
	if (req_page_into(req, 1, 1000, list, resp, "ImportImageTasks", err) < 0) {
		json_object_put(resp);
		resp = NULL;
	}
	json_object_put(list);
	return resp;
}
