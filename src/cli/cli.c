/* Option parsing and output for the command line: aws-style arguments become an EC2 request
 * object, and responses are printed as the aws CLI prints them. */
#include "api/api.h"
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ec2lite/seed.h"
#include "ec2lite/shorthand.h"
#include "ec2lite/util.h"

const struct command *cli_find(const char *name)
{
	const struct command *c;

	for (c = commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

static const char *kind_hint(enum opt_kind k)
{
	switch (k) {
	case OPT_STRING:
	case OPT_TEXT:
		return " <value>";
	case OPT_PATH:
		return " <path>";
	case OPT_INT:
		return " <integer>";
	case OPT_BOOL:
		return "";
	case OPT_LIST:
		return " <value> [<value>...]";
	case OPT_STRUCT:
		return " <Key=Value,...>";
	case OPT_STRUCT_LIST:
		return " <Key=Value,...> [...]";
	case OPT_COUNT:
		return " <N|MIN:MAX>";
	}
	return "";
}

/* Every EC2 command (a table row with an action) takes DryRun, as the aws CLI's do: the model
 * honours it (ec2_dry_run), so it is one option here rather than a row in each table. */
static const struct cli_opt dry_run_opt = {
	"dry-run", "DryRun", OPT_BOOL, false,
	"check the request (parameters, existence, state, capacity) without doing it: answers "
	"DryRunOperation, or the error it would have had; --no-dry-run does it"
};

void cli_usage(FILE *out, const struct command *cmd)
{
	const struct cli_opt *o;

	fprintf(out, "usage: ec2-lite [global options] %s%s%s%s\n", cmd->name,
		cmd->positional ? " <" : "", cmd->positional ? cmd->positional : "",
		cmd->positional ? ">" : "");
	fprintf(out, "\n%s", cmd->summary);
	if (cmd->action)
		fprintf(out, " (%s %s)", cmd->flags & CMD_IAM ? "IAM" : "EC2", cmd->action);
	fprintf(out, "\n");
	if (cmd->opts && cmd->opts->flag)
		fprintf(out, "\noptions:\n");
	for (o = cmd->opts; o && o->flag; o++)
		fprintf(out, "  --%s%s%s\n      %s\n", o->flag, kind_hint(o->kind),
			o->required ? " (required)" : "", o->help);
	if (cmd->action && !(cmd->flags & CMD_IAM))
		fprintf(out, "%s  --%s\n      %s\n", cmd->opts && cmd->opts->flag ? "" : "\noptions:\n",
			dry_run_opt.flag, dry_run_opt.help);
}

void cli_usage_all(FILE *out)
{
	const struct command *c;

	fprintf(out, "usage: ec2-lite [--connect URI] [--state-dir DIR] [--output json|text|table] "
		"[--query JMESPATH] <command> [options]\n\nAmazon EC2 on one workstation: real VMs on libvirt with "
		"EC2's names, states and JSON.\n\ncommands:\n");
	for (c = commands; c->name; c++)
		if (!(c->flags & CMD_HIDDEN))
			fprintf(out, "  %-28s %s\n", c->name, c->summary);
	fprintf(out, "\n'ec2-lite <command> --help' describes a command's options.\n");
}

static const struct cli_opt *find_opt(const struct command *cmd, const char *flag)
{
	const struct cli_opt *o;

	for (o = cmd->opts; o && o->flag; o++)
		if (strcmp(o->flag, flag) == 0)
			return o;
	if (cmd->action && !(cmd->flags & CMD_IAM) && strcmp(flag, dry_run_opt.flag) == 0)
		return &dry_run_opt;
	return NULL;
}

static int usage_error(const struct command *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int usage_error(const struct command *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "usage: ec2-lite %s [options]; see 'ec2-lite %s --help'\n", cmd->name,
		cmd->name);
	fprintf(stderr, "ec2-lite: error: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	return -1;
}

/* The most a file:// or fileb:// value is read for (one byte more is read, to tell): user data
 * has EC2's limit, which the action reports in EC2's words; anything else is refused here. */
#define FILE_PARAM_MAX (256 * 1024)

/* A file:// or fileb:// value's contents (path: what follows the scheme); NULL with err (cannot
 * read, or larger than FILE_PARAM_MAX) otherwise. */
static char *param_file(const char *path, const char *param, size_t *len, struct ec2_error *err)
{
	bool user_data = strcmp(param, "UserData") == 0;
	char *text = util_read_file_max(path, user_data ? EC2_USER_DATA_MAX : FILE_PARAM_MAX, len,
					err);

	if (text && !user_data && *len > FILE_PARAM_MAX) {
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER, "'%s' is larger than %d bytes", path,
			      FILE_PARAM_MAX);
		free(text);
		return NULL;
	}
	/* Oversized user data goes on, cut one byte past the limit: RunInstances refuses it. */
	return text;
}

static json_object *structured(const char *value, struct ec2_error *err)
{
	json_object *v;

	if (strncmp(value, "file://", 7) == 0) {
		size_t len;
		char *text = param_file(value + 7, "", &len, err);

		if (!text)
			return NULL;
		v = shorthand_parse(text, err);
		free(text);
		return v;
	}
	return shorthand_parse(value, err);
}

static int set_value(const struct command *cmd, const struct cli_opt *o, json_object *req,
		     const char *value)
{
	struct ec2_error err = { 0 };
	json_object *v;

	switch (o->kind) {
	case OPT_TEXT:
		if (strncmp(value, "file://", 7) == 0 || strncmp(value, "fileb://", 8) == 0) {
			size_t len;
			char *text = param_file(strchr(value, ':') + 3, o->param, &len, &err);

			if (!text)
				return usage_error(cmd, "%s", err.message);
			json_object_object_add(req, o->param, json_object_new_string_len(text,
											   (int)len));
			free(text);
			return 0;
		}
		/* fall through */
	case OPT_STRING:
		json_add_str(req, o->param, value);
		return 0;
	case OPT_PATH:
		json_add_str(req, o->param, strncmp(value, "file://", 7) == 0 ? value + 7 : value);
		return 0;
	case OPT_INT: {
		char *end;
		long long n;

		errno = 0;
		n = strtoll(value, &end, 10);
		if (*value == '\0' || *end != '\0' || errno)
			return usage_error(cmd, "argument --%s: invalid integer", o->flag);
		json_object_object_add(req, o->param, json_object_new_int64(n));
		return 0;
	}
	case OPT_COUNT: {
		long long min, max;
		char *end;

		min = strtoll(value, &end, 10);
		max = min;
		if (*end == ':')
			max = strtoll(end + 1, &end, 10);
		if (*value == '\0' || *end != '\0')
			return usage_error(cmd, "argument --%s: expected N or MIN:MAX", o->flag);
		json_object_object_add(req, "MinCount", json_object_new_int64(min));
		json_object_object_add(req, "MaxCount", json_object_new_int64(max));
		return 0;
	}
	case OPT_STRUCT:
		v = structured(value, &err);
		if (!v)
			return usage_error(cmd, "%s", err.message);
		json_object_object_add(req, o->param, v);
		return 0;
	case OPT_LIST:
	case OPT_STRUCT_LIST: {
		json_object *list;

		if (!json_object_object_get_ex(req, o->param, &list)) {
			list = json_object_new_array();
			json_object_object_add(req, o->param, list);
		}
		if (o->kind == OPT_LIST) {
			json_object_array_add(list, json_object_new_string(value));
			return 0;
		}
		v = structured(value, &err);
		if (!v)
			return usage_error(cmd, "%s", err.message);
		if (json_object_is_type(v, json_type_array)) {
			size_t i;

			for (i = 0; i < json_object_array_length(v); i++)
				json_object_array_add(list, json_object_get(json_object_array_get_idx(v, i)));
			json_object_put(v);
		} else {
			json_object_array_add(list, v);
		}
		return 0;
	}
	case OPT_BOOL:
		break;
	}
	return usage_error(cmd, "argument --%s takes no value", o->flag);
}

int cli_parse(const struct command *cmd, int argc, char **argv, json_object **out,
	      const char **positional)
{
	json_object *req = json_object_new_object(), *seen = json_object_new_object();
	const struct cli_opt *o;
	int i;

	*positional = NULL;
	for (i = 0; i < argc; i++) {
		const char *arg = argv[i];
		const char *flag = arg + 2;
		bool negated = false;

		if (strncmp(arg, "--", 2) != 0) {
			if (cmd->positional && !*positional) {
				*positional = arg;
				continue;
			}
			usage_error(cmd, "unknown argument '%s'", arg);
			goto fail;
		}
		o = find_opt(cmd, flag);
		if (!o && strncmp(flag, "no-", 3) == 0 && (o = find_opt(cmd, flag + 3)) &&
		    o->kind == OPT_BOOL)
			negated = true;
		else if (o && o->kind == OPT_BOOL)
			negated = false;
		if (!o || (negated && o->kind != OPT_BOOL)) {
			usage_error(cmd, "unknown option '%s'", arg);
			goto fail;
		}
		json_add_bool(seen, o->flag, true);
		if (o->kind == OPT_BOOL) {
			json_add_bool(req, o->param, !negated);
			continue;
		}
		if (o->kind == OPT_LIST || o->kind == OPT_STRUCT_LIST) {
			int start = i;

			while (i + 1 < argc && strncmp(argv[i + 1], "--", 2) != 0)
				if (set_value(cmd, o, req, argv[++i]) < 0)
					goto fail;
			if (i == start) {
				usage_error(cmd, "argument %s: expected at least one value", arg);
				goto fail;
			}
			continue;
		}
		if (i + 1 >= argc) {
			usage_error(cmd, "argument %s: expected one value", arg);
			goto fail;
		}
		if (set_value(cmd, o, req, argv[++i]) < 0)
			goto fail;
	}
	for (o = cmd->opts; o && o->flag; o++) {
		json_object *dummy;

		if (o->required && !json_object_object_get_ex(seen, o->flag, &dummy)) {
			char flag[64];

			snprintf(flag, sizeof(flag), "--%s", o->flag);
			usage_error(cmd, "the following arguments are required: %s", flag);
			goto fail;
		}
	}
	if (cmd->positional && !*positional) {
		usage_error(cmd, "the argument <%s> is required", cmd->positional);
		goto fail;
	}
	json_object_put(seen);
	*out = req;
	return 0;
fail:
	json_object_put(seen);
	json_object_put(req);
	return -1;
}

/* "2026-12-02T05:37:14.000Z" (EC2's wire form, the model's) as the aws CLI prints a timestamp:
 * Python's isoformat() of the parsed time, "2026-12-02T05:37:14+00:00". */
static void aws_timestamp(json_object *parent, const char *key, size_t idx, json_object *v)
{
	const char *s = json_object_get_string(v);
	char out[48], frac[8] = "";
	int n = 0;

	if (!s || strlen(s) < 20 || s[10] != 'T' || s[strlen(s) - 1] != 'Z')
		return;
	if (s[19] == '.') {
		while (n < 6 && s[20 + n] >= '0' && s[20 + n] <= '9') {
			frac[n] = s[20 + n];
			n++;
		}
		while (n < 6)
			frac[n++] = '0';
		if (strcmp(frac, "000000") == 0)
			frac[0] = '\0';
	}
	snprintf(out, sizeof(out), "%.19s%s%s+00:00", s, frac[0] ? "." : "", frac);
	if (key)
		json_object_object_add(parent, key, json_object_new_string(out));
	else
		json_object_array_put_idx(parent, idx, json_object_new_string(out));
}

/* Walks a response by its action's output shape (the API's tables: the same model the aws CLI
 * reads) and rewrites its timestamps as the aws CLI prints them. */
static void aws_timestamps(json_object *o, int shape)
{
	int i;

	if (shape < 0 || !json_object_is_type(o, json_type_object))
		return;
	for (i = 0; i < api_shapes[shape].count; i++) {
		const struct api_member *m = &api_shapes[shape].members[i];
		json_object *v;
		size_t k;

		if (!json_object_object_get_ex(o, m->name, &v) || !v)
			continue;
		if (m->kind == API_TIMESTAMP)
			aws_timestamp(o, m->name, 0, v);
		else if (m->kind == API_STRUCT)
			aws_timestamps(v, m->shape);
		else if (m->kind == API_LIST && json_object_is_type(v, json_type_array))
			for (k = 0; k < json_object_array_length(v); k++) {
				if (m->elem == API_TIMESTAMP)
					aws_timestamp(v, NULL, k, json_object_array_get_idx(v, k));
				else if (m->elem == API_STRUCT)
					aws_timestamps(json_object_array_get_idx(v, k), m->shape);
			}
	}
}

/* IAM's responses have no table in api_shapes: their one timestamp member, CreateDate, is found
 * by name wherever it is (roles, instance profiles, their lists). */
static void iam_timestamps(json_object *o)
{
	size_t k;

	if (json_object_is_type(o, json_type_array)) {
		for (k = 0; k < json_object_array_length(o); k++)
			iam_timestamps(json_object_array_get_idx(o, k));
	} else if (json_object_is_type(o, json_type_object)) {
		json_object_object_foreach(o, key, v) {
			if (strcmp(key, "CreateDate") == 0)
				aws_timestamp(o, key, 0, v);
			else
				iam_timestamps(v);
		}
	}
}

/* A query's result in the chosen format: render's, except that a query can give null, which
 * the aws CLI prints (json "null", text "None") where an empty response prints nothing. */
static char *render_query_result(json_object *v, enum render_format fmt, const char *title)
{
	if (v)
		return render(v, fmt, title);
	return strdup(fmt == RENDER_JSON ? "null\n" : fmt == RENDER_TEXT ? "None\n" : "");
}

int cli_print(struct cli *cli, json_object *resp)
{
	const struct api_action *a = cli->cmd && cli->cmd->action ? api_action_find(cli->cmd->action)
								  : NULL;
	json_object *shown = resp;
	char *text;

	if (cli->cmd && (cli->cmd->flags & CMD_IAM))
		iam_timestamps(resp);
	else if (a)
		aws_timestamps(resp, a->output);
	/* The aws CLI applies --query to the parsed response (timestamps already in its form),
	 * then renders whatever the query gives in the chosen format. */
	if (cli->query) {
		struct jmespath_error qerr;

		if (jmespath_search(cli->query, resp, &shown, &qerr) < 0) {
			fprintf(stderr, "\n%s\n", qerr.message);
			return EXIT_OTHER;
		}
	}
	text = (cli->query ? render_query_result : render)(shown, cli->format,
							  cli->cmd && cli->cmd->action ? cli->cmd->action : "");
	if (cli->query)
		json_object_put(shown);
	fputs(text, stdout);
	free(text);
	fflush(stdout);
	return 0;
}

int cli_error(const struct cli *cli, const struct ec2_error *err)
{
	const char *action = cli->cmd && cli->cmd->action ? cli->cmd->action : "ec2-lite";

	if (strcmp(err->code, EC2_ERR_WAITER) == 0) {
		fprintf(stderr, "\n%s\n", err->message);
		return EXIT_OTHER;
	}
	fprintf(stderr, "\nAn error occurred (%s) when calling the %s operation: %s\n", err->code,
		action, err->message);
	return EXIT_EC2;
}
