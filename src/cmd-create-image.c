/* create-image: EC2's CreateImage, an AMI of a running or stopped instance. As on EC2 it answers
 * at once with the new image, pending; a detached child of this process (on a connection of its
 * own) then makes it, and `wait image-available` waits for it to be available, or fails when it
 * failed (describe-images gives the reason). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli.h"
#include "ec2lite/util.h"

int cmd_create_image(struct cli *cli, json_object *req, const char *positional)
{
	struct ec2_error err = { 0 };
	json_object *resp;
	char ami[64];
	pid_t pid;

	(void)positional;
	resp = ec2_create_image(&cli->ctx, req, &err);
	if (!resp)
		return cli_error(cli, &err);
	snprintf(ami, sizeof(ami), "%s", req_str0(resp, "ImageId"));
	cli_print(cli, resp);
	json_object_put(resp);
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		/* No worker: the image fails at once rather than stay pending for ever. */
		ec2_error_set(&err, EC2_ERR_INTERNAL, "cannot start the work on %s", ami);
		ec2_create_image_run(&cli->ctx, ami, &err);
		return 0;
	}
	if (pid == 0) {
		struct ec2_ctx ctx;
		int null = open("/dev/null", O_RDWR);

		setsid();
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		/* Nothing of the parent's: its libvirt socket is its own, and a test runner waits
		 * for its pipes to close. */
		close_range(3, ~0U, 0);
		if (ec2_ctx_open(&ctx, &cli->cfg, 0, &err) == 0) {
			ec2_create_image_run(&ctx, ami, &err);
			ec2_ctx_close(&ctx);
		}
		_exit(0);
	}
	return 0;
}
