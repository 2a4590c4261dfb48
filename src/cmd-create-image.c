/* create-image: EC2's CreateImage, an AMI of a running or stopped instance. As on EC2 it answers
 * at once with the new image, pending; a detached worker of this process (on a libvirt connection
 * of its own) then makes it, and `wait image-available` waits for it to be available, or fails
 * when it failed (describe-images gives the reason). */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "ec2lite/util.h"

struct job {
	const struct ec2_config *cfg;
	char ami[64];
};

static void work(void *arg)
{
	struct job *j = arg;
	struct ec2_error err = { 0 };
	struct ec2_ctx ctx;

	if (ec2_ctx_open(&ctx, j->cfg, 0, &err) == 0) {
		ec2_create_image_run(&ctx, j->ami, &err);
		ec2_ctx_close(&ctx);
	}
}

int cmd_create_image(struct cli *cli, json_object *req, const char *positional)
{
	struct ec2_error err = { 0 };
	struct job j = { .cfg = &cli->cfg };
	json_object *resp;

	(void)positional;
	resp = ec2_create_image(&cli->ctx, req, &err);
	if (!resp)
		return cli_error(cli, &err);
	snprintf(j.ami, sizeof(j.ami), "%s", req_str0(resp, "ImageId"));
	cli_print(cli, resp);
	json_object_put(resp);
	/* Without a worker the image fails when it is next described (its worker is gone). */
	util_detach(work, &j, -1, NULL);
	return 0;
}
