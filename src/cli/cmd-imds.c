/* imds-daemon: the state folder's instance metadata service (src/imds/daemon.h); ec2-lite starts
 * it when an instance starts, a person never needs to. Not listed in help. */
#include "cli.h"
#include "imds/daemon.h"

int cmd_imds_daemon(struct cli *cli, json_object *req, const char *positional)
{
	(void)req;
	(void)positional;
	return imds_daemon_main(&cli->cfg) == 0 ? 0 : EXIT_OTHER;
}
