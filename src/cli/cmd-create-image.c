/* create-image: EC2's CreateImage, an AMI of a running or stopped instance. As on EC2 it answers
 * at once with the new image, pending; a detached worker of this process (on a libvirt connection
 * of its own) then makes it, and `wait image-available` waits for it to be available, or fails
 * when it failed (describe-images gives the reason). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli.h"
#include "ec2lite/util.h"

struct job {
	const struct ec2_config *cfg;
	char ami[64];
	int claim; /* the job's claim in the worker (descriptor 3), or -1 */
};

static void work(void *arg)
{
	struct job *j = arg;
	struct ec2_error err = { 0 };
	struct ec2_ctx ctx;

	/* Programs the worker runs must not hold the claim: it is to go with the worker. */
	if (j->claim >= 0)
		fcntl(j->claim, F_SETFD, FD_CLOEXEC);
	if (ec2_ctx_open(&ctx, j->cfg, 0, &err) == 0) {
		ec2_create_image_run(&ctx, j->ami, j->claim, &err);
		ec2_ctx_close(&ctx);
	}
}

int cmd_create_image(struct cli *cli, json_object *req, const char *positional)
{
	struct ec2_error err = { 0 };
	struct job j = { .cfg = &cli->cfg };
	json_object *resp;
	int claim, rc;

	(void)positional;
	resp = ec2_create_image(&cli->ctx, req, &err);
	if (!resp)
		return cli_error(cli, &err);
	snprintf(j.ami, sizeof(j.ami), "%s", req_str0(resp, "ImageId"));
	rc = cli_print(cli, resp);
	json_object_put(resp);
	/* The worker holds the job's claim from here on (util_detach puts it on descriptor 3);
	 * without a worker the claim goes with this process and the image is seen failed. */
	claim = ec2_image_job_take(&cli->ctx);
	j.claim = claim >= 0 ? 3 : -1;
	util_detach(work, &j, claim, NULL);
	if (claim >= 0)
		close(claim);
	return rc;
}
