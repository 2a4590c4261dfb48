/* build-ami RECIPE [--force]: builds an AMI recipe from amis/ and registers it as a Quick Start
 * AMI (owner amazon). Not an EC2 action (Amazon makes its Quick Start AMIs itself). Progress goes
 * to stderr, steps and a bar for long copies; the result to stdout, as {"ImageId", "Name",
 * "Built"}. With --verbose the output of the tools it runs (debootstrap) is shown too. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "ec2lite/build.h"
#include "ec2lite/image.h"
#include "ec2lite/util.h"

struct progress {
	bool tty;
	bool verbose;
	int last_percent;
};

static void on_step(void *opaque, int index, int total, const char *what)
{
	struct progress *p = opaque;

	if (p->tty && p->last_percent >= 0)
		fputc('\n', stderr);
	p->last_percent = -1;
	fprintf(stderr, "[%d/%d] %s\n", index, total, what);
}

static void on_fraction(void *opaque, double done)
{
	struct progress *p = opaque;
	int percent = (int)(done * 100 + 0.5), i;

	if (percent == p->last_percent || (!p->tty && percent % 25 != 0))
		return;
	p->last_percent = percent;
	if (p->tty) {
		fputs("\r      [", stderr);
		for (i = 0; i < 40; i++)
			fputc(i < percent * 40 / 100 ? '#' : '.', stderr);
		fprintf(stderr, "] %3d%%", percent);
	} else {
		fprintf(stderr, "      %d%%\n", percent);
	}
	fflush(stderr);
}

static void on_line(void *opaque, const char *text)
{
	struct progress *p = opaque;

	/* debootstrap's own progress lines ("I: Retrieving ...") are worth seeing. */
	if (p->verbose || strncmp(text, "I: ", 3) == 0 || strncmp(text, "E: ", 3) == 0 ||
	    strncmp(text, "W: ", 3) == 0)
		fprintf(stderr, "      %s\n", text);
}

int cmd_build_ami(struct cli *cli, json_object *req, const char *recipe)
{
	struct progress state = { .tty = isatty(2), .last_percent = -1 };
	struct ec2_progress p = { on_step, on_fraction, on_line, &state };
	struct ec2_error err = { 0 };
	json_object *resp;
	bool verbose = false;
	int rc;

	req_bool(req, "Verbose", &verbose, NULL);
	state.verbose = verbose;
	json_add_str(req, "Recipe", recipe);
	resp = ec2_build_ami(&cli->ctx, req, &p, &err);
	if (state.tty && state.last_percent >= 0)
		fputc('\n', stderr);
	if (!resp)
		return cli_error(cli, &err);
	if (!json_object_get_boolean(json_object_object_get(resp, "Built")))
		fprintf(stderr, "%s is up to date: %s (--force builds it again)\n", recipe,
			req_string(resp, "ImageId"));
	rc = cli_print(cli, resp);
	json_object_put(resp);
	return rc;
}
