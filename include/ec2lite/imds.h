/* The instance metadata service (IMDS): what an instance sees at http://169.254.169.254/.
 *
 * The answers are one pure function, imds_answer: given what the model knows of one instance and
 * one HTTP request, the status and body EC2's IMDS gives. The daemon that receives the guests'
 * connections (src/host/imdsd.c, docs/IMDS.md: how packets get there) gathers a struct
 * imds_instance per request, so every value is current (a public IP given at start, tags, an
 * Elastic IP), and each instance only ever reaches its own.
 *
 * IMDSv2 session tokens carry no state on the host: a token is the instance id, its expiry and an
 * HMAC-SHA256 of both under the state folder's secret (<state-dir>/imds/token.key), so that a
 * token is valid only for the instance it was made for, until its expiry, and survives a restart
 * of the daemon. (The token carries the expiry and the HMAC, base64, 56 characters as EC2's; the
 * instance id is the one of the instance that presents it.) */
#ifndef EC2LITE_IMDS_H
#define EC2LITE_IMDS_H

#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>

#include "ec2lite/error.h"

/* The state folder's keys (imds_keys_load makes them on first use, 0600, in <state-dir>/imds/):
 * the token secret, and the RSA key and self-signed certificate that sign the instance identity
 * document (the certificate is published: <state-dir>/imds/identity.crt, and doctor names it). */
struct imds_keys {
	unsigned char token_secret[32];
	EVP_PKEY *sign_key;
	X509 *cert;
};
int imds_keys_load(const char *state_dir, struct imds_keys *k, struct ec2_error *err);
void imds_keys_clear(struct imds_keys *k);

/* What one instance's IMDS knows (all borrowed; gathered by the daemon for each request). */
struct imds_instance {
	json_object *instance;      /* the Instance as DescribeInstances renders it (ImageId,
				     * InstanceType, PrivateIpAddress, PublicIpAddress, dns names,
				     * NetworkInterfaces, Placement, SecurityGroups, KeyName, Tags,
				     * MetadataOptions, IamInstanceProfile, LaunchTime,
				     * AmiLaunchIndex, InstanceLifecycle, Architecture ...) */
	const char *reservation_id;
	const char *account_id;     /* the configured owner id */
	const char *region;
	const unsigned char *user_data; /* decoded; NULL when the instance has none (404) */
	size_t user_data_len;
	const char *public_key;     /* OpenSSH public key of KeyName, or NULL */
	const char *role_name;      /* the role of the instance profile, or NULL */
	json_object *credentials;   /* the role's temporary credentials, {"Code": "Success",
				     * "LastUpdated", "Type": "AWS-HMAC", "AccessKeyId",
				     * "SecretAccessKey", "Token", "Expiration"}, or NULL */
	const char *spot_action;    /* the JSON of spot/instance-action, or NULL (404) */
};

/* One request as the daemon parsed it (borrowed). Header values are NULL when absent. */
struct imds_request {
	const char *method;          /* "GET", "PUT", ... */
	const char *path;            /* the URL's path, undecoded, without the query */
	const char *token;           /* X-aws-ec2-metadata-token */
	const char *token_ttl;       /* X-aws-ec2-metadata-token-ttl-seconds */
	bool forwarded_for;          /* an X-Forwarded-For header was sent */
	long long now;               /* epoch seconds */
};

struct imds_response {
	int status;                  /* 200, 400, 401, 403, 404, 405 */
	char *body;                  /* malloc'd, the caller frees; never NULL */
	size_t len;
	const char *content_type;    /* static: "text/plain" (listings and values, JSON ones
				      * included, as EC2 sends them), "application/octet-stream"
				      * (user-data), "text/html" (EC2's error pages) */
	long token_ttl;              /* > 0 for a token PUT's answer: the
				      * X-aws-ec2-metadata-token-ttl-seconds header to send */
};

/* EC2's answer to rq for in. Never fails: what cannot be answered gets EC2's error status.
 * In this order: HttpEndpoint disabled, 403 with an empty body to everything; a method other than GET, HEAD or
 * PUT, 405; PUT /latest/api/token: 403 with X-Forwarded-For, 400 without a ttl of 1..21600,
 * else 200 with the token; PUT elsewhere or GET of api/token, 405; a token sent that is not
 * valid for this instance at rq->now, or none while HttpTokens is required, 401; a path the
 * instance does not have, 404. HEAD is answered as GET (the daemon sends no body). A folder is
 * listed with or without a trailing /, a value served with or without one; empty segments
 * (//) are skipped and %XX decoded. */
void imds_answer(const struct imds_keys *k, const struct imds_instance *in,
		 const struct imds_request *rq, struct imds_response *rs);

#endif
