/* ec2-lite: Amazon EC2 on one workstation.
 *
 * main() reads the global options (anywhere on the line, as the aws CLI allows), finds the
 * command in the table, applies the table row's flags once (open the model's context; settle
 * pending transitions afterwards) and maps the outcome to an exit status. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "ec2lite/iam.h"
#include "ec2lite/imdsnet.h"
#include "ec2lite/launchtime.h"
#include "ec2lite/util.h"

static int global_option(struct cli *cli, int argc, char **argv, int *i)
{
	const char *arg = argv[*i];

	if (strcmp(arg, "--connect") != 0 && strcmp(arg, "--state-dir") != 0 &&
	    strcmp(arg, "--output") != 0 && strcmp(arg, "--query") != 0)
		return 0;
	if (*i + 1 >= argc) {
		fprintf(stderr, "ec2-lite: error: argument %s: expected one value\n", arg);
		return -1;
	}
	(*i)++;
	if (strcmp(arg, "--connect") == 0) {
		ec2_config_set(&cli->cfg.connect_uri, argv[*i]);
	} else if (strcmp(arg, "--output") == 0) {
		if (strcmp(argv[*i], "json") == 0)
			cli->format = RENDER_JSON;
		else if (strcmp(argv[*i], "text") == 0)
			cli->format = RENDER_TEXT;
		else if (strcmp(argv[*i], "table") == 0)
			cli->format = RENDER_TABLE;
		else {
			fprintf(stderr, "ec2-lite: error: argument --output: invalid choice: '%s' "
				"(choose from 'json', 'text', 'table')\n", argv[*i]);
			return -1;
		}
		cli->format_given = true;
	} else if (strcmp(arg, "--query") == 0) {
		/* Compiled here, before anything is done: a bad expression stops the command
		 * with the aws CLI's message before it acts. */
		struct jmespath_error qerr;

		jmespath_free(cli->query);
		cli->query = jmespath_compile(argv[*i], &qerr);
		if (!cli->query) {
			fprintf(stderr, "\nBad value for --query %s: %s\n", argv[*i], qerr.message);
			return -1;
		}
	}
	return 1;
}

/* The state folder decides which config file is read, so it is found before anything else. */
static const char *find_state_dir(int argc, char **argv)
{
	int i;

	for (i = 1; i + 1 < argc; i++)
		if (strcmp(argv[i], "--state-dir") == 0)
			return argv[i + 1];
	return NULL;
}

/* Finishes the command's pending transitions (a stop's forced power-off, a reboot's hard reset)
 * in a detached child, so the user gets the prompt back as EC2 returns at once. The child keeps
 * the parent's libvirt connection (its reboot-event subscriptions live on it), so the parent
 * exits without closing it. */
static void settle_in_background(struct cli *cli, json_object *req, int status)
{
	pid_t pid;
	int fd;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return; /* the next command's reconcile pass will finish the job */
	if (pid > 0)
		_exit(status); /* the command's own: 255 if its --query failed on the answer */
	setsid();
	fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	ec2_reconcile(&cli->ctx, req, true, NULL);
}

int main(int argc, char **argv)
{
	struct cli cli;
	struct ec2_error err = { 0 };
	char **rest = calloc((size_t)argc + 1, sizeof(char *));
	int nrest = 0, i, rc = 0;
	json_object *req = NULL, *resp = NULL;
	const char *positional = NULL;

	memset(&cli, 0, sizeof(cli));
	if (!rest)
		return EXIT_OTHER;
	/* QEMU starts the IMDS relay for each connection of a guest: it reads no settings. */
	if (argc == 4 && strcmp(argv[1], "imds-relay") == 0) {
		free(rest);
		return imds_relay_main(argv[2], argv[3]);
	}
	if (argc == 3 && strcmp(argv[1], "api-relay") == 0) {
		free(rest);
		return imds_api_relay_main(argv[2]);
	}
	/* A write to a closed libvirt socket must become an error, not a silent death. */
	signal(SIGPIPE, SIG_IGN);
	if (ec2_config_load(&cli.cfg, find_state_dir(argc, argv), &err) < 0) {
		fprintf(stderr, "ec2-lite: error: %s\n", err.message);
		free(rest);
		return EXIT_OTHER;
	}
	for (i = 1; i < argc; i++) {
		int g = global_option(&cli, argc, argv, &i);

		if (g < 0) {
			rc = EXIT_USAGE;
			goto out;
		}
		if (g == 0)
			rest[nrest++] = argv[i];
	}
	if (nrest == 0 || strcmp(rest[0], "help") == 0 || strcmp(rest[0], "--help") == 0 ||
	    strcmp(rest[0], "-h") == 0) {
		if (nrest >= 2 && cli_find(rest[1])) {
			cli_usage(stdout, cli_find(rest[1]));
		} else {
			cli_usage_all(nrest == 0 ? stderr : stdout);
			rc = nrest == 0 ? EXIT_USAGE : 0;
		}
		goto out;
	}
	if (strcmp(rest[0], "--version") == 0) {
		printf("ec2-lite %s\n", EC2LITE_VERSION);
		goto out;
	}
	/* IAM's commands are "iam NAME", as the aws CLI's: one table row each, named so. */
	if (strcmp(rest[0], "iam") == 0 && nrest >= 2) {
		char *name = util_strdupf("iam %s", rest[1]);

		cli.cmd = cli_find(name);
		free(name);
		if (cli.cmd) {
			memmove(rest, rest + 1, (size_t)(nrest - 1) * sizeof(*rest));
			nrest--;
		}
	} else {
		cli.cmd = cli_find(rest[0]);
	}
	if (!cli.cmd) {
		fprintf(stderr, "ec2-lite: error: unknown command '%s%s%s'; 'ec2-lite help' lists "
			"them\n", rest[0], nrest >= 2 && strcmp(rest[0], "iam") == 0 ? " " : "",
			nrest >= 2 && strcmp(rest[0], "iam") == 0 ? rest[1] : "");
		rc = EXIT_USAGE;
		goto out;
	}
	for (i = 1; i < nrest; i++) {
		if (strcmp(rest[i], "--help") == 0 || strcmp(rest[i], "-h") == 0) {
			cli_usage(stdout, cli.cmd);
			goto out;
		}
	}
	if (cli_parse(cli.cmd, nrest - 1, rest + 1, &req, &positional) < 0) {
		rc = EXIT_USAGE;
		goto out;
	}
	if (cli.cmd->flags & CMD_NEEDS_CTX) {
		/* Commands that settle in the background follow reboots through domain events. */
		if (ec2_ctx_open(&cli.ctx, &cli.cfg,
				 (cli.cmd->flags & CMD_SETTLE) ? EC2_CTX_EVENTS : 0, &err) < 0) {
			rc = cli_error(&cli, &err);
			goto out;
		}
		cli.ctx_open = true;
		launchtime_step("connect", NULL);
	}
	if (cli.cmd->run) {
		rc = cli.cmd->run(&cli, req, positional);
	} else {
		resp = (cli.cmd->model ? cli.cmd->model :
			cli.cmd->flags & CMD_IAM ? iam_action(cli.cmd->action) :
			ec2_action(cli.cmd->action))(&cli.ctx, req, &err);
		if (!resp) {
			rc = cli_error(&cli, &err);
			goto out;
		}
		launchtime_step("action", NULL);
		rc = cli_print(&cli, resp);
		if (cli.cmd->flags & CMD_SETTLE) {
			json_object *ids = NULL;
			json_object *settle_req = json_object_new_object();

			if (json_object_object_get_ex(req, "InstanceIds", &ids))
				json_object_object_add(settle_req, "InstanceIds", json_object_get(ids));
			if (ec2_reconcile(&cli.ctx, settle_req, false, NULL) > 0)
				settle_in_background(&cli, settle_req, rc);
			json_object_put(settle_req);
		}
	}
out:
	json_object_put(resp);
	json_object_put(req);
	if (cli.ctx_open)
		ec2_ctx_close(&cli.ctx);
	launchtime_step("exit", NULL);
	ec2_config_clear(&cli.cfg);
	jmespath_free(cli.query);
	free(rest);
	return rc;
}
