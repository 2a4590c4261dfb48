/* iam issue-instance-credentials: the temporary credentials of an instance's role, as the
 * instance metadata service serves them (iam_credentials_issue, iam.h). Not an IAM action: a
 * hidden command for tests, which have no guest to ask IMDS; it is local only (the API server
 * has no such action), and it is as strong as the state folder's credentials key it reads. */
#include "cli.h"
#include "ec2lite/iam.h"
#include "ec2lite/util.h"

int cmd_iam_credentials(struct cli *cli, json_object *req, const char *positional)
{
	struct ec2_error err = { 0 };
	json_object *creds;
	int rc;

	(void)positional;
	creds = iam_credentials_issue(&cli->ctx, req_string(req, "InstanceId"),
				      req_string(req, "RoleName"), &err);
	if (!creds)
		return cli_error(cli, &err);
	rc = cli_print(cli, creds);
	json_object_put(creds);
	return rc;
}
