/* Image jobs (see include/ec2lite/imagejob.h): their claims, and whether they still go on. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "ec2lite/ec2.h"
#include "ec2lite/imagejob.h"
#include "ec2lite/store.h"
#include "ec2lite/util.h"

static char *job_lock_path(struct ec2_ctx *ctx, const char *image_id)
{
	return util_strdupf("%s/jobs/%s.lock", ctx->cfg->state_dir, image_id);
}

int ec2_image_job_claim(struct ec2_ctx *ctx, const char *image_id, struct ec2_error *err)
{
	char *dir = util_strdupf("%s/jobs", ctx->cfg->state_dir), *path = job_lock_path(ctx, image_id);
	char *tmp = util_strdupf("%s/.%s.%d", dir, image_id, (int)getpid());
	int fd = -1, tries;

	if (util_mkdir_p(dir, 0755, err) < 0)
		goto out;
	/* Locked before it has its name, so nobody sees it unlocked; link() will not replace the
	 * lock of another live worker. */
	fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0) {
		ec2_error_set_errno(err, errno, "cannot make the lock '%s'", tmp);
		goto fail;
	}
	for (tries = 0; link(tmp, path) < 0; tries++) {
		if (errno != EEXIST || tries > 0 || util_lock_held(path) == 1) {
			ec2_error_set(err, EC2_ERR_INCORRECT_STATE,
				      "another process is making the image '%s'", image_id);
			goto fail;
		}
		unlink(path); /* the lock of a worker that died */
	}
	unlink(tmp);
	goto out;
fail:
	if (fd >= 0) {
		unlink(tmp);
		close(fd);
	}
	fd = -1;
out:
	free(dir);
	free(path);
	free(tmp);
	return fd;
}

int ec2_image_job_take(struct ec2_ctx *ctx)
{
	int fd = ctx->image_job_fd;

	ctx->image_job_fd = -1;
	return fd;
}

void ec2_image_job_keep(struct ec2_ctx *ctx, int job)
{
	if (ctx->image_job_fd >= 0)
		close(ctx->image_job_fd); /* a claim no front end took: that job is over */
	ctx->image_job_fd = job;
}

bool ec2_image_job_alive(struct ec2_ctx *ctx, const char *image_id)
{
	json_object *root = store_read(ctx->store, NULL), *img = NULL;
	char *path = job_lock_path(ctx, image_id);
	bool alive = false;
	int held;

	if (root && json_object_object_get_ex(store_section(root, "images"), image_id, &img) &&
	    strcmp(req_str0(img, "State"), "pending") == 0) {
		time_t created = util_parse_iso8601(req_str0(img, "CreationDate"));

		if ((held = util_lock_held(path)) >= 0)
			alive = held == 1;
		else /* no worker yet: it may take a moment to take over from the one that asked */
			alive = created != (time_t)-1 && time(NULL) - created < 60;
	}
	free(path);
	json_object_put(root);
	return alive;
}

void ec2_image_job_end(struct ec2_ctx *ctx, const char *image_id)
{
	char *path = job_lock_path(ctx, image_id);

	/* The image is available or failed now: the lock has nothing more to say. */
	unlink(path);
	free(path);
}
