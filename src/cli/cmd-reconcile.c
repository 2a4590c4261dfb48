/* reconcile: finishes pending transitions now. Not an EC2 action: EC2 does this itself, all the
 * time; here every describe does one pass, stop and reboot leave a background process to finish
 * theirs, and this command is for anything else (a cron job, a script that wants it done). */
#include "cli.h"
#include "ec2lite/util.h"

/* reconcile: one pass over pending transitions, or (--wait) until none is left. */
int cmd_reconcile(struct cli *cli, json_object *req, const char *positional)
{
	struct ec2_error err = { 0 };
	bool wait = false;

	(void)positional;
	req_bool(req, "Wait", &wait, NULL);
	if (ec2_reconcile(&cli->ctx, req, wait, &err) < 0)
		return cli_error(cli, &err);
	return 0;
}
