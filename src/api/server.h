/* The EC2 Query API server (`ec2-lite serve`): HTTP on a loopback address, EC2's protocol. */
#ifndef EC2LITE_API_SERVER_H
#define EC2LITE_API_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "api.h"
#include "ec2lite/ec2.h"

struct api_server_opts {
	const char *listen;          /* "127.0.0.1:8773" */
	bool no_auth;                /* take unsigned requests (the operator said so): loopback only */
	const struct api_key *keys;  /* the access keys requests may be signed with */
	size_t nkeys;
	unsigned metrics_interval;   /* seconds between CloudWatch's samples; 0: no sampling */
	void (*ready)(void *opaque); /* called once it listens (may be NULL) */
	void *ready_opaque;
};

/* Serves until SIGINT or SIGTERM. ctx must have been opened with EC2_CTX_EVENTS (reboots are
 * followed through domain events). Fails when it cannot listen, has no key to check
 * signatures with (and no_auth is off), or no_auth is on for an address outside 127.0.0.0/8. */
int api_serve(struct ec2_ctx *ctx, const struct api_server_opts *opts, struct ec2_error *err);

#endif
