/* AWS Signature Version 4, as the server checks it and as a client computes it: see api.h.
 *
 *   canonical request = METHOD \n PATH \n QUERY \n HEADERS \n SIGNED-HEADERS \n hex(sha256(body))
 *   string to sign    = "AWS4-HMAC-SHA256" \n AMZ-DATE \n DATE/REGION/SERVICE/aws4_request \n
 *                       hex(sha256(canonical request))
 *   signing key       = HMAC(HMAC(HMAC(HMAC("AWS4" secret, DATE), REGION), SERVICE), "aws4_request")
 *   signature         = hex(HMAC(signing key, string to sign))
 * The query is canonical when sorted by key and each part is %-encoded as RFC 3986 says (only
 * A-Z a-z 0-9 - _ . ~ left as they are); headers when their names are lower case, their values
 * trimmed with inner runs of spaces made one. SERVICE is the endpoint's ("ec2"; AWS's test suite
 * uses "service"). OpenSSL does the hashing. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "api.h"
#include "ec2lite/util.h"

#define ALGORITHM "AWS4-HMAC-SHA256"
#define SKEW_SECONDS (15 * 60) /* RequestExpired beyond this, as AWS */

static void hmac(const void *key, size_t klen, const void *data, size_t dlen,
		 unsigned char out[32])
{
	unsigned int n = 32;

	HMAC(EVP_sha256(), key, (int)klen, data, dlen, out, &n);
}

/* RFC 3986 %-encoding as SigV4 wants it. */
static void encode(struct util_buf *b, const char *s, size_t n)
{
	static const char digits[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
			util_buf_put(b, (const char *)&c, 1);
		} else {
			char e[3] = { '%', digits[c >> 4], digits[c & 15] };

			util_buf_put(b, e, 3);
		}
	}
}

/* The decoded pairs of a raw query string, each part %-decoded ('+' a space). */
struct pair {
	struct util_buf k, v;
};

static int hexval(char c)
{
	return isdigit((unsigned char)c) ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 :
	       (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
}

static void decode_into(struct util_buf *b, const char *s, size_t n)
{
	size_t i;

	util_buf_put(b, "", 0);
	for (i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
			char c = (char)(hexval(s[i + 1]) << 4 | hexval(s[i + 2]));

			util_buf_put(b, &c, 1);
			i += 2;
		} else if (s[i] == '+') {
			util_buf_put(b, " ", 1);
		} else {
			util_buf_put(b, s + i, 1);
		}
	}
}

static int pair_cmp(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	int c = strcmp(x->k.s, y->k.s);

	return c ? c : strcmp(x->v.s, y->v.s);
}

static void canonical_query(struct util_buf *out, const char *query)
{
	struct pair *pairs = NULL;
	size_t n = 0, i;
	const char *p = query;

	while (p && *p) {
		size_t len = strcspn(p, "&"), eq = strcspn(p, "=");
		struct util_buf k = { 0 }, v = { 0 }, ke = { 0 }, ve = { 0 };

		if (len > 0) {
			if (eq > len)
				eq = len;
			decode_into(&k, p, eq);
			decode_into(&v, eq < len ? p + eq + 1 : "", eq < len ? len - eq - 1 : 0);
			encode(&ke, k.s, k.len);
			encode(&ve, v.s, v.len);
			util_buf_put(&ke, "", 0);
			util_buf_put(&ve, "", 0);
			free(k.s);
			free(v.s);
			pairs = realloc(pairs, (n + 1) * sizeof(*pairs));
			if (!pairs)
				abort();
			pairs[n].k = ke;
			pairs[n].v = ve;
			n++;
		}
		p += len;
		if (*p == '&')
			p++;
	}
	if (n)
		qsort(pairs, n, sizeof(*pairs), pair_cmp);
	for (i = 0; i < n; i++) {
		if (i)
			util_buf_puts(out, "&");
		util_buf_puts(out, pairs[i].k.s);
		util_buf_puts(out, "=");
		util_buf_puts(out, pairs[i].v.s);
		free(pairs[i].k.s);
		free(pairs[i].v.s);
	}
	free(pairs);
}

/* All values of header name (case-insensitive), trimmed and with inner space runs made one,
 * joined by commas; NULL when there is none. Caller frees. */
static char *header_value(const struct api_http_request *req, const char *name, size_t nlen)
{
	struct util_buf b = { 0 };
	size_t i;

	for (i = 0; i < req->nheaders; i++) {
		const char *v = req->headers[i].value;
		bool space = false;

		if (strlen(req->headers[i].name) != nlen ||
		    strncasecmp(req->headers[i].name, name, nlen) != 0)
			continue;
		if (b.s)
			util_buf_puts(&b, ",");
		else
			util_buf_put(&b, "", 0);
		while (*v == ' ' || *v == '\t')
			v++;
		for (; *v; v++) {
			if (*v == ' ' || *v == '\t') {
				space = true;
				continue;
			}
			if (space)
				util_buf_put(&b, " ", 1);
			space = false;
			util_buf_put(&b, v, 1);
		}
	}
	return b.s;
}

/* The canonical request's hash for signed_headers; NULL when a signed header is missing. */
static char *canonical_request_hash(const struct api_http_request *req, const char *signed_headers)
{
	struct util_buf cr = { 0 };
	char body_hash[65], *out;
	const char *h = signed_headers;

	util_buf_puts(&cr, req->method);
	util_buf_puts(&cr, "\n");
	util_buf_puts(&cr, req->path && *req->path ? req->path : "/");
	util_buf_puts(&cr, "\n");
	canonical_query(&cr, req->query);
	util_buf_puts(&cr, "\n");
	while (*h) {
		size_t n = strcspn(h, ";");
		char *v = header_value(req, h, n);

		if (!v) {
			free(cr.s);
			return NULL;
		}
		util_buf_put(&cr, h, n);
		util_buf_puts(&cr, ":");
		util_buf_puts(&cr, v);
		util_buf_puts(&cr, "\n");
		free(v);
		h += n;
		if (*h == ';')
			h++;
	}
	util_buf_puts(&cr, "\n");
	util_buf_puts(&cr, signed_headers);
	util_buf_puts(&cr, "\n");
	util_sha256_hex(req->body ? req->body : "", req->body_len, body_hash);
	util_buf_puts(&cr, body_hash);
	out = malloc(65);
	if (!out)
		abort();
	util_sha256_hex(cr.s, cr.len, out);
	free(cr.s);
	return out;
}

/* The hex signature for secret over the canonical request's hash. */
static void signature(const char *secret, const char *date8, const char *region,
		      const char *service, const char *amz_date, const char *cr_hash, char out[65])
{
	unsigned char k[32], k2[32];
	char *key = util_strdupf("AWS4%s", secret);
	char *sts = util_strdupf(ALGORITHM "\n%s\n%s/%s/%s/aws4_request\n%s", amz_date, date8,
				 region, service, cr_hash);

	hmac(key, strlen(key), date8, strlen(date8), k);
	hmac(k, 32, region, strlen(region), k2);
	hmac(k2, 32, service, strlen(service), k);
	hmac(k, 32, "aws4_request", 12, k2);
	hmac(k2, 32, sts, strlen(sts), k);
	util_hex(k, 32, out);
	OPENSSL_cleanse(key, strlen(key));
	free(key);
	free(sts);
}

char *api_sigv4_sign(const struct api_http_request *req, const struct api_key *key,
		     const char *region, const char *service, const char *amz_date,
		     const char *signed_headers)
{
	char date8[9], sig[65], *h = canonical_request_hash(req, signed_headers);
	char *out;

	if (!h)
		return NULL;
	snprintf(date8, sizeof(date8), "%.8s", amz_date);
	signature(key->secret, date8, region, service, amz_date, h, sig);
	free(h);
	out = util_strdupf(ALGORITHM " Credential=%s/%s/%s/%s/aws4_request, "
			   "SignedHeaders=%s, Signature=%s", key->id, date8, region, service,
			   signed_headers, sig);
	return out;
}

/* "20261202T101500Z" as a time; -1 when it is not one. */
static time_t amz_time(const char *s)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	if (!s || strlen(s) != 16 || !(end = strptime(s, "%Y%m%dT%H%M%SZ", &tm)) || *end)
		return (time_t)-1;
	return timegm(&tm);
}

/* Whether the ';'-separated list names holds exactly name (not merely a name containing it). */
static bool list_has(const char *names, const char *name)
{
	size_t n = strlen(name);

	while (*names) {
		size_t len = strcspn(names, ";");

		if (len == n && strncmp(names, name, n) == 0)
			return true;
		names += len;
		if (*names == ';')
			names++;
	}
	return false;
}

/* The value of "Name=" in the Authorization header's list, copied into out. */
static bool auth_field(const char *auth, const char *name, char *out, size_t size)
{
	const char *p = auth;
	size_t n = strlen(name);

	while ((p = strstr(p, name))) {
		if ((p == auth || p[-1] == ' ' || p[-1] == ',') && p[n] == '=') {
			size_t len = strcspn(p + n + 1, ", ");

			if (len >= size)
				return false;
			memcpy(out, p + n + 1, len);
			out[len] = '\0';
			return true;
		}
		p += n;
	}
	return false;
}

/* The key id (field 0) or service (field 3) of the Authorization header's credential. */
static bool credential_part(const struct api_http_request *req, int field, char *out, size_t size)
{
	char *auth = header_value(req, "authorization", 13);
	char cred[512], id[256], d8[16], reg[64], svc[32];
	const char *part = field == 0 ? id : svc;
	bool ok;

	ok = auth && auth_field(auth, "Credential", cred, sizeof(cred)) &&
	     sscanf(cred, "%255[^/]/%15[^/]/%63[^/]/%31[^/]/", id, d8, reg, svc) == 4 &&
	     strlen(part) < size;
	if (ok)
		memcpy(out, part, strlen(part) + 1);
	free(auth);
	return ok;
}

bool api_sigv4_service(const struct api_http_request *req, char *out, size_t size)
{
	return credential_part(req, 3, out, size);
}

bool api_sigv4_key_id(const struct api_http_request *req, char *out, size_t size)
{
	return credential_part(req, 0, out, size);
}

long api_key_find(const struct api_key *keys, size_t nkeys, const char *id, struct ec2_error *err)
{
	size_t i;

	for (i = 0; i < nkeys; i++)
		if (strcmp(keys[i].id, id) == 0)
			return (long)i;
	ec2_error_set(err, "AuthFailure", "AWS was not able to validate the provided access "
		      "credentials");
	return -1;
}

bool api_signature_equal(const char *want, const char *given, struct ec2_error *err)
{
	if (want && strlen(want) == strlen(given) &&
	    CRYPTO_memcmp(want, given, strlen(given)) == 0)
		return true;
	ec2_error_set(err, "SignatureDoesNotMatch", "The request signature we calculated does "
		      "not match the signature you provided. Check your AWS Secret Access Key "
		      "and signing method. Consult the service documentation for details.");
	return false;
}

int api_sigv4_check(const struct api_http_request *req, const struct api_key *keys,
		    size_t nkeys, const char *region, const char *service, time_t now, size_t *who,
		    struct ec2_error *err)
{
	char *auth = header_value(req, "authorization", 13), *date = NULL, *h = NULL;
	char cred[512], signed_headers[1024], sig[128], want[65];
	char id[256], d8[16], reg[64], svc[32], term[32];
	time_t t;
	size_t i;
	long k;
	int rc = -1;

	if (!auth) {
		ec2_error_set(err, "MissingAuthenticationToken", "The request must contain either a "
			      "valid (registered) AWS access key ID or X.509 certificate.");
		return -1;
	}
	if (strncmp(auth, ALGORITHM " ", strlen(ALGORITHM) + 1) != 0 ||
	    !auth_field(auth, "Credential", cred, sizeof(cred)) ||
	    !auth_field(auth, "SignedHeaders", signed_headers, sizeof(signed_headers)) ||
	    !auth_field(auth, "Signature", sig, sizeof(sig))) {
		ec2_error_set(err, "IncompleteSignature", "The Authorization header must be '"
			      ALGORITHM " Credential=..., SignedHeaders=..., Signature=...'");
		goto out;
	}
	if (sscanf(cred, "%255[^/]/%15[^/]/%63[^/]/%31[^/]/%31s", id, d8, reg, svc, term) != 5 ||
	    strcmp(term, "aws4_request") != 0) {
		ec2_error_set(err, "IncompleteSignature", "Credential must have the form "
			      "KEY/YYYYMMDD/REGION/SERVICE/aws4_request, not '%s'", cred);
		goto out;
	}
	date = header_value(req, "x-amz-date", 10);
	t = amz_time(date);
	if (t == (time_t)-1) {
		ec2_error_set(err, "IncompleteSignature", "Authorization header requires existence of "
			      "a valid 'X-Amz-Date' header (YYYYMMDDTHHMMSSZ)");
		goto out;
	}
	if (!list_has(signed_headers, "host")) {
		ec2_error_set(err, "IncompleteSignature", "The Host header must be signed");
		goto out;
	}
	if (t < now - SKEW_SECONDS || t > now + SKEW_SECONDS) {
		char n[32];
		struct tm tm;

		gmtime_r(&now, &tm);
		strftime(n, sizeof(n), "%Y%m%dT%H%M%SZ", &tm);
		ec2_error_set(err, "RequestExpired", "Request has expired: its time %s is more than "
			      "15 minutes from the server's %s", date, n);
		goto out;
	}
	k = api_key_find(keys, nkeys, id, err);
	if (k < 0)
		goto out;
	i = (size_t)k;
	if (strncmp(d8, date, 8) != 0 || strcmp(svc, service) != 0 || strcmp(reg, region) != 0) {
		ec2_error_set(err, "AuthFailure", "Credential should be scoped to a valid region, "
			      "this date and the service %s (%s/%.8s/%s), not '%s/%s/%s'", service,
			      region, date, service, reg, d8, svc);
		goto out;
	}
	h = canonical_request_hash(req, signed_headers);
	if (!h) {
		ec2_error_set(err, "IncompleteSignature", "A signed header is missing from the request");
		goto out;
	}
	signature(keys[i].secret, d8, reg, service, date, h, want);
	if (!api_signature_equal(want, sig, err))
		goto out;
	if (who)
		*who = i;
	rc = 0;
out:
	free(auth);
	free(date);
	free(h);
	return rc;
}
