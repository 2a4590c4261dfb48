/* serve: the EC2 Query API (version 2016-11-15) over HTTP, so that the aws CLI, boto3 and any
 * EC2 tool drive ec2-lite with --endpoint-url. Not an EC2 action: it is EC2's endpoint. Requests
 * must be signed (AWS Signature Version 4, or 2) with one of the access keys of the state folder's
 * config.json ("access-keys": [{"AccessKeyId": ..., "SecretAccessKey": ..., "UserName": ...}])
 * or of EC2_LITE_ACCESS_KEYS (ID:SECRET[:USER][,ID:SECRET[:USER]...]); --no-auth takes unsigned
 * ones instead. A key's optional user name is the IAM user STS's GetCallerIdentity names (else
 * the account's root). CloudWatch's metrics of the instances (AWS/EC2, answered at the same
 * endpoint) are sampled every --metrics-interval seconds (config.json's "metrics-interval",
 * default 5). Runs until interrupted (SIGINT or SIGTERM). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/server.h"
#include "cli.h"
#include "ec2lite/imdsnet.h"
#include "ec2lite/util.h"

struct keys {
	struct api_key *v;
	size_t n;
	json_object *owner; /* what the strings of the environment's keys belong to */
};

static int add_key(struct keys *k, const char *id, const char *secret, const char *user,
		   struct ec2_error *err)
{
	if (user && !api_user_name_valid(user)) {
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER, "the user name of access key '%s' must "
			      "be 1 to 64 of A-Z a-z 0-9 + = , . @ _ -, not '%s'", id, user);
		return -1;
	}
	k->v = realloc(k->v, (k->n + 1) * sizeof(*k->v));
	if (!k->v)
		abort();
	k->v[k->n].id = id;
	k->v[k->n].secret = secret;
	k->v[k->n].user = user;
	k->n++;
	return 0;
}

/* The access keys of config.json (as the settings read it) and of the environment. */
static int load_keys(struct cli *cli, struct keys *k, struct ec2_error *err)
{
	json_object *conf = cli->cfg.file, *list;
	const char *env = getenv("EC2_LITE_ACCESS_KEYS");
	size_t i;

	k->owner = json_object_new_array();
	if (conf && json_object_object_get_ex(conf, "access-keys", &list))
		for (i = 0; i < json_object_array_length(list); i++) {
			json_object *e = json_object_array_get_idx(list, i);

			if (!req_string(e, "AccessKeyId") || !req_string(e, "SecretAccessKey")) {
				ec2_error_set(err, EC2_ERR_INVALID_PARAMETER, "config.json: each of "
					      "\"access-keys\" needs AccessKeyId and SecretAccessKey");
				return -1;
			}
			if (add_key(k, req_string(e, "AccessKeyId"), req_string(e, "SecretAccessKey"),
				    req_string(e, "UserName"), err) < 0)
				return -1;
		}
	if (env && *env) {
		json_object *copy = json_object_new_string(env);
		char *s = (char *)json_object_get_string(copy), *save = NULL, *pair;

		json_object_array_add(k->owner, copy);
		for (pair = strtok_r(s, ",", &save); pair; pair = strtok_r(NULL, ",", &save)) {
			char *colon = strchr(pair, ':'), *user;

			if (!colon || colon == pair || !colon[1] || colon[1] == ':') {
				ec2_error_set(err, EC2_ERR_INVALID_PARAMETER, "EC2_LITE_ACCESS_KEYS takes "
					      "ID:SECRET[:USER][,ID:SECRET[:USER]...]");
				return -1;
			}
			*colon = '\0';
			user = strchr(colon + 1, ':');
			if (user)
				*user++ = '\0';
			if (add_key(k, pair, colon + 1, user, err) < 0)
				return -1;
		}
	}
	return 0;
}

/* The seconds between CloudWatch's samples: --metrics-interval, else config.json's
 * "metrics-interval", else 5; 0 turns sampling off. */
static int metrics_interval(struct cli *cli, json_object *req, unsigned *out,
			    struct ec2_error *err)
{
	json_object *conf = cli->cfg.file;
	long long v = 5;

	if (json_object_object_get_ex(req, "MetricsInterval", NULL)) {
		if (req_int(req, "MetricsInterval", &v, err) < 0)
			return -1;
	} else if (conf && json_object_object_get_ex(conf, "metrics-interval", NULL) &&
		   req_int(conf, "metrics-interval", &v, err) < 0) {
		return -1;
	}
	if (v < 0 || v > 3600) {
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER, "the metrics interval is 0 (none) to "
			      "3600 seconds, not %lld", v);
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

static void ready(void *opaque)
{
	const char *listen = opaque;

	fprintf(stderr, "ec2-lite: serving the EC2 API (2016-11-15) on http://%s/ ; stop with "
		"Ctrl-C\n", listen);
}

int cmd_serve(struct cli *cli, json_object *req, const char *positional)
{
	struct ec2_error err = { 0 };
	struct api_server_opts opts = { .listen = req_string(req, "Listen") };
	struct keys keys = { 0 };
	bool no_auth = false;
	int rc;

	(void)positional;
	if (!opts.listen)
		opts.listen = "127.0.0.1:8773";
	req_bool(req, "NoAuth", &no_auth, NULL);
	opts.no_auth = no_auth;
	if (load_keys(cli, &keys, &err) < 0 ||
	    metrics_interval(cli, req, &opts.metrics_interval, &err) < 0) {
		rc = cli_error(cli, &err);
		goto out;
	}
	opts.keys = keys.v;
	opts.nkeys = keys.n;
	opts.ready = ready;
	opts.ready_opaque = (void *)opts.listen;
	/* The server follows reboots through domain events, so it opens its own context. */
	if (ec2_ctx_open(&cli->ctx, &cli->cfg, EC2_CTX_EVENTS, &err) < 0) {
		rc = cli_error(cli, &err);
		goto out;
	}
	cli->ctx_open = true;
	/* Instances reach this server through their api-relay (imdsnet.h), unless anyone could. */
	if (!no_auth)
		imds_api_publish(cli->cfg.state_dir, opts.listen, NULL);
	rc = api_serve(&cli->ctx, &opts, &err) < 0 ? cli_error(cli, &err) : 0;
	if (!no_auth)
		imds_api_unpublish(cli->cfg.state_dir);
out:
	free(keys.v);
	json_object_put(keys.owner);
	return rc;
}
