/* AWS Signature Version 2, as the server checks it and as a client computes it: see api.h.
 *
 *   string to sign = METHOD \n HOST \n PATH \n CANONICAL-QUERY
 *   signature      = base64(HMAC-SHA256 or HMAC-SHA1(secret, string to sign))
 * HOST is the Host header as sent (its port too), lower case; PATH the request's path ("/" when
 * empty); CANONICAL-QUERY every parameter of the request but Signature, from the URL's query and
 * a form body alike, sorted by name in byte order (then by value), each name and value
 * %-encoded as RFC 3986 says (only A-Z a-z 0-9 - _ . ~ left as they are) and joined by '&'. The
 * parameters SignatureVersion=2, SignatureMethod, AWSAccessKeyId, Timestamp (ISO 8601, within 15
 * minutes of now) or Expires (not yet past) and Signature travel in the request. This is what
 * Apache Libcloud sends EC2 by default, and boto 2 and the old EC2 API tools before it. OpenSSL
 * does the hashing. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "api.h"
#include "ec2lite/util.h"

#define SKEW_SECONDS (15 * 60) /* RequestExpired beyond this, as SigV4 */

bool api_sigv2_used(const struct api_params *p)
{
	return api_params_get(p, "SignatureVersion") || api_params_get(p, "Signature") ||
	       api_params_get(p, "AWSAccessKeyId");
}

static const EVP_MD *method_md(const char *method)
{
	if (method && strcmp(method, "HmacSHA256") == 0)
		return EVP_sha256();
	if (method && strcmp(method, "HmacSHA1") == 0)
		return EVP_sha1();
	return NULL;
}

static const char *host_header(const struct api_http_request *req)
{
	size_t i;

	for (i = 0; i < req->nheaders; i++)
		if (strcasecmp(req->headers[i].name, "Host") == 0)
			return req->headers[i].value;
	return NULL;
}

struct pair {
	const char *k, *v;
};

/* The parameters' order in the canonical query: by name, then by value, byte by byte. */
static int pair_cmp(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	int c = strcmp(x->k, y->k);

	return c ? c : strcmp(x->v, y->v);
}

/* The string to sign; NULL without a Host header. Caller frees. */
static char *string_to_sign(const struct api_http_request *req, const struct api_params *p)
{
	const char *host = host_header(req);
	struct util_buf b = { 0 }, q = { 0 };
	struct pair *pairs;
	size_t i, n = 0;

	if (!host)
		return NULL;
	pairs = malloc((p->n ? p->n : 1) * sizeof(*pairs));
	if (!pairs)
		abort();
	for (i = 0; i < p->n; i++)
		if (strcmp(p->keys[i], "Signature") != 0)
			pairs[n++] = (struct pair){ p->keys[i], p->values[i] };
	qsort(pairs, n, sizeof(*pairs), pair_cmp);
	util_buf_put(&q, "", 0);
	for (i = 0; i < n; i++)
		api_query_add(&q, pairs[i].k, pairs[i].v);
	free(pairs);
	util_buf_puts(&b, req->method);
	util_buf_puts(&b, "\n");
	for (; *host; host++) {
		char c = (char)tolower((unsigned char)*host);

		util_buf_put(&b, &c, 1);
	}
	util_buf_puts(&b, "\n");
	util_buf_puts(&b, req->path && *req->path ? req->path : "/");
	util_buf_puts(&b, "\n");
	util_buf_puts(&b, q.s);
	free(q.s);
	return b.s;
}

char *api_sigv2_sign(const struct api_http_request *req, const struct api_params *p,
		     const char *secret)
{
	const EVP_MD *md = method_md(api_params_get(p, "SignatureMethod"));
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	char *sts, *out;

	if (!md || !(sts = string_to_sign(req, p)))
		return NULL;
	HMAC(md, secret, (int)strlen(secret), (const unsigned char *)sts, strlen(sts), mac, &n);
	free(sts);
	out = util_base64((const char *)mac, n);
	OPENSSL_cleanse(mac, sizeof(mac));
	return out;
}

/* An ISO 8601 time as SigV2's clients write it: 2026-12-04T16:04:26, then optionally a fraction
 * of a second (.123), then Z, nothing (UTC too) or an offset (+01:00, -0500). -1 when it is not
 * one. */
static time_t iso_time(const char *s)
{
	struct tm tm;
	const char *end;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	if (!s || !(end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)))
		return (time_t)-1;
	t = timegm(&tm);
	if (*end == '.') {
		end++;
		if (!isdigit((unsigned char)*end))
			return (time_t)-1;
		while (isdigit((unsigned char)*end))
			end++;
	}
	if (*end == 'Z' && end[1] == '\0')
		return t;
	if (*end == '\0')
		return t;
	if (*end == '+' || *end == '-') {
		int h, m, sign = *end == '+' ? 1 : -1;
		char rest;

		if (sscanf(end + 1, "%2d:%2d%c", &h, &m, &rest) == 2 ||
		    sscanf(end + 1, "%2d%2d%c", &h, &m, &rest) == 2) {
			if (h > 23 || m > 59 || h < 0 || m < 0)
				return (time_t)-1;
			return t - sign * (h * 3600 + m * 60);
		}
	}
	return (time_t)-1;
}

static int missing(const char *name, struct ec2_error *err)
{
	ec2_error_set(err, "MissingParameter", "The request must contain the parameter %s", name);
	return -1;
}

int api_sigv2_check(const struct api_http_request *req, const struct api_params *p,
		    const struct api_key *keys, size_t nkeys, time_t now, size_t *who,
		    struct ec2_error *err)
{
	const char *version = api_params_get(p, "SignatureVersion");
	const char *method = api_params_get(p, "SignatureMethod");
	const char *id = api_params_get(p, "AWSAccessKeyId");
	const char *given = api_params_get(p, "Signature");
	const char *stamp = api_params_get(p, "Timestamp");
	const char *expires = api_params_get(p, "Expires");
	char *want, *sig, *c;
	size_t i;
	long k;
	time_t t;
	int rc = -1;

	if (!version)
		return missing("SignatureVersion", err);
	if (strcmp(version, "2") != 0) {
		ec2_error_set(err, "InvalidParameterValue", "Value (%s) for parameter "
			      "SignatureVersion is invalid. Valid values: 2 (or sign with Signature "
			      "Version 4)", version);
		return -1;
	}
	if (!method)
		return missing("SignatureMethod", err);
	if (!method_md(method)) {
		ec2_error_set(err, "InvalidParameterValue", "Value (%s) for parameter SignatureMethod "
			      "is invalid. Valid values: HmacSHA256, HmacSHA1", method);
		return -1;
	}
	if (!id)
		return missing("AWSAccessKeyId", err);
	if (!given)
		return missing("Signature", err);
	if (!stamp && !expires)
		return missing("Timestamp", err);
	if (stamp && expires) {
		ec2_error_set(err, "InvalidParameterCombination", "The parameter Timestamp cannot be "
			      "used with the parameter Expires");
		return -1;
	}
	t = iso_time(stamp ? stamp : expires);
	if (t == (time_t)-1) {
		ec2_error_set(err, "InvalidParameterValue", "Value (%s) for parameter %s is invalid. "
			      "It must be an ISO 8601 time (YYYY-MM-DDThh:mm:ssZ)", stamp ? stamp : expires,
			      stamp ? "Timestamp" : "Expires");
		return -1;
	}
	if (stamp && (t < now - SKEW_SECONDS || t > now + SKEW_SECONDS)) {
		ec2_error_set(err, "RequestExpired", "Request has expired: its Timestamp %s is more "
			      "than 15 minutes from the server's time", stamp);
		return -1;
	}
	if (expires && t < now) {
		ec2_error_set(err, "RequestExpired", "Request has expired: it expired at %s", expires);
		return -1;
	}
	k = api_key_find(keys, nkeys, id, err);
	if (k < 0)
		return -1;
	i = (size_t)k;
	want = api_sigv2_sign(req, p, keys[i].secret);
	/* A '+' of the base64 signature sent without its %-escape reads as a space. */
	sig = strdup(given);
	if (!sig)
		abort();
	for (c = sig; *c; c++)
		if (*c == ' ')
			*c = '+';
	if (!api_signature_equal(want, sig, err))
		goto out;
	if (who)
		*who = i;
	rc = 0;
out:
	free(want);
	free(sig);
	return rc;
}
