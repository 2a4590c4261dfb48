/* The command-line front end: the command table, option parsing and output. Private to the
 * ec2-lite binary; the library below it never prints. */
#ifndef EC2LITE_CLI_H
#define EC2LITE_CLI_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>

#include "ec2lite/config.h"
#include "ec2lite/ec2.h"
#include "ec2lite/error.h"
#include "ec2lite/jmespath.h"
#include "ec2lite/render.h"

/* Exit statuses, as the aws CLI uses them. */
#define EXIT_USAGE 252   /* the command line is wrong */
#define EXIT_EC2 254     /* EC2 answered with an error */
#define EXIT_OTHER 255   /* a waiter failed, or anything else */

enum opt_kind {
	OPT_STRING,      /* --image-id ami-...        -> "ImageId": "ami-..." */
	OPT_TEXT,        /* as OPT_STRING; file://PATH reads the file (the aws CLI's rule) */
	OPT_PATH,        /* a local path; file://PATH or PATH */
	OPT_INT,         /* --max-results 5 */
	OPT_BOOL,        /* --force / --no-force */
	OPT_LIST,        /* --instance-ids i-1 i-2 */
	OPT_STRUCT,      /* --hibernation-options Configured=true (shorthand or JSON) */
	OPT_STRUCT_LIST, /* --filters Name=a,Values=b Name=c,Values=d */
	OPT_COUNT,       /* --count N or MIN:MAX -> MinCount, MaxCount */
};

struct cli_opt {
	const char *flag;  /* without the dashes */
	const char *param; /* EC2's parameter name */
	enum opt_kind kind;
	bool required;
	const char *help;
};

struct cli;

/* Table-row flags, handled once in main rather than in every command. */
#define CMD_NEEDS_CTX 0x1 /* opens libvirt, the store and the type table first */
#define CMD_SETTLE 0x2    /* afterwards, finishes pending transitions in the background */
#define CMD_HIDDEN 0x4    /* not listed in help */
#define CMD_IAM 0x8       /* "iam NAME": an IAM action (iam_action, iam.h), which takes no DryRun */

struct command {
	const char *name;     /* "run-instances" */
	const char *action;   /* EC2's action, "RunInstances" (error messages, table titles) */
	const char *summary;
	const struct cli_opt *opts;
	const char *positional;   /* the name of one positional argument, or NULL */
	/* Either a model action (parse, call, print: ec2_action(action), or model for ec2-lite's
	 * own) or a handler of its own. */
	ec2_action_fn model;
	int (*run)(struct cli *cli, json_object *req, const char *positional);
	unsigned flags;
};

struct cli {
	struct ec2_config cfg;
	struct ec2_ctx ctx;
	bool ctx_open;
	enum render_format format;
	bool format_given;
	const struct command *cmd;
	struct jmespath *query; /* --query, compiled before anything is done (NULL: none) */
};

extern const struct command commands[];

const struct command *cli_find(const char *name);
void cli_usage_all(FILE *out);
void cli_usage(FILE *out, const struct command *cmd);

/* Turns the command's arguments into an EC2 request. On a usage error prints it and returns -1. */
int cli_parse(const struct command *cmd, int argc, char **argv, json_object **req,
	      const char **positional);

/* Prints a response in the chosen format, through --query if one was given. Returns 0, or the
 * exit status of a query that failed on this response (a function's argument of the wrong type:
 * the aws CLI's 255, its message printed). */
int cli_print(struct cli *cli, json_object *resp);

/* Prints an EC2 error the way the aws CLI does and returns EXIT_EC2 (or EXIT_OTHER for
 * non-EC2 failures). */
int cli_error(const struct cli *cli, const struct ec2_error *err);

/* Command handlers with behaviour of their own (src/cli/cmd-*.c). */
int cmd_wait(struct cli *cli, json_object *req, const char *waiter);
int cmd_doctor(struct cli *cli, json_object *req, const char *positional);
int cmd_reconcile(struct cli *cli, json_object *req, const char *positional);
int cmd_build_ami(struct cli *cli, json_object *req, const char *recipe);
int cmd_create_image(struct cli *cli, json_object *req, const char *positional);
int cmd_serve(struct cli *cli, json_object *req, const char *positional);
int cmd_imds_daemon(struct cli *cli, json_object *req, const char *positional);
int cmd_iam_credentials(struct cli *cli, json_object *req, const char *positional);

#endif
