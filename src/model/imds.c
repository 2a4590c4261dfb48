/* The instance metadata service's answers (see include/ec2lite/imds.h): one request of one
 * instance in, EC2's status and body out. No sockets and no libvirt here: the daemon
 * (src/host/imdsd.c) gathers what the model knows and sends what this file answers.
 *
 * The tree a version serves is built per request as a json-c object: an object is a folder (its
 * keys are its entries), a string a value (json-c strings carry any bytes, NULs included), and a
 * key whose value is NULL a value made only when asked for (the identity document's signatures,
 * which cost an RSA signature each). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/rand.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "ec2lite/imds.h"
#include "ec2lite/util.h"
#include "ec2lite/vpc.h"

/* ---------- the state folder's keys ---------- */

#define IMDS_CERT_CN "ec2-lite instance identity"
#define IMDS_CERT_DAYS (30 * 365)

/* A new RSA-2048 key and a self-signed certificate of it, as PEM texts (caller frees). */
static int make_identity(char **key_pem, char **cert_pem, struct ec2_error *err)
{
	EVP_PKEY *key = EVP_RSA_gen(2048);
	X509 *cert = X509_new();
	X509_NAME *name = X509_NAME_new();
	BIO *kb = BIO_new(BIO_s_mem()), *cb = BIO_new(BIO_s_mem());
	unsigned char serial[16];
	BIGNUM *bn = NULL;
	char *p;
	long n;
	int rc = -1;

	if (!key || !cert || !name || !kb || !cb || RAND_bytes(serial, sizeof(serial)) != 1)
		goto out;
	serial[0] &= 0x7f; /* a positive serial number */
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	if (!bn || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) ||
	    !X509_set_version(cert, 2) ||
	    !X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"ec2-lite",
					-1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
					(const unsigned char *)IMDS_CERT_CN, -1, -1, 0) ||
	    !X509_set_subject_name(cert, name) || !X509_set_issuer_name(cert, name) ||
	    !X509_gmtime_adj(X509_getm_notBefore(cert), -86400) ||
	    !X509_time_adj_ex(X509_getm_notAfter(cert), IMDS_CERT_DAYS, 0, NULL) ||
	    !X509_set_pubkey(cert, key) || !X509_sign(cert, key, EVP_sha256()) ||
	    !PEM_write_bio_PrivateKey(kb, key, NULL, NULL, 0, NULL, NULL) ||
	    !PEM_write_bio_X509(cb, cert))
		goto out;
	n = BIO_get_mem_data(kb, &p);
	*key_pem = strndup(p, (size_t)n);
	n = BIO_get_mem_data(cb, &p);
	*cert_pem = strndup(p, (size_t)n);
	if (!*key_pem || !*cert_pem)
		abort();
	rc = 0;
out:
	if (rc < 0)
		ec2_error_set(err, EC2_ERR_INTERNAL, "cannot make the instance identity key");
	BN_free(bn);
	BIO_free(kb);
	BIO_free(cb);
	X509_NAME_free(name);
	X509_free(cert);
	EVP_PKEY_free(key);
	return rc;
}

/* Makes what is missing of the three files. The caller holds the folder's lock, so that two
 * processes never both make them. */
static int make_missing(const char *secret_path, const char *key_path, const char *cert_path,
			struct ec2_error *err)
{
	char *key_pem = NULL, *cert_pem = NULL;
	int rc = -1;

	if (!util_file_exists(secret_path)) {
		unsigned char secret[32];

		if (RAND_bytes(secret, sizeof(secret)) != 1) {
			ec2_error_set(err, EC2_ERR_INTERNAL, "cannot make the metadata token secret");
			return -1;
		}
		rc = util_write_file_atomic(secret_path, secret, sizeof(secret), 0600, err);
		OPENSSL_cleanse(secret, sizeof(secret));
		if (rc < 0)
			return -1;
	}
	/* The key and its certificate go together: either missing, both are made anew (the key
	 * last, so that a crash in between leaves the key missing, not a key without its cert). */
	if (util_file_exists(key_path) && util_file_exists(cert_path))
		return 0;
	if (make_identity(&key_pem, &cert_pem, err) < 0)
		goto out;
	rc = util_write_file_atomic(cert_path, cert_pem, strlen(cert_pem), 0600, err);
	if (rc == 0)
		rc = util_write_file_atomic(key_path, key_pem, strlen(key_pem), 0600, err);
out:
	if (key_pem)
		OPENSSL_clear_free(key_pem, strlen(key_pem));
	free(cert_pem);
	return rc;
}

static int load_files(const char *secret_path, const char *key_path, const char *cert_path,
		      struct imds_keys *k, struct ec2_error *err)
{
	size_t len = 0;
	char *secret = util_read_file_max(secret_path, sizeof(k->token_secret), &len, err);
	BIO *b;

	if (!secret)
		return -1;
	if (len != sizeof(k->token_secret)) {
		ec2_error_set(err, EC2_ERR_INTERNAL, "'%s' is not a metadata token secret",
			      secret_path);
		free(secret);
		return -1;
	}
	memcpy(k->token_secret, secret, sizeof(k->token_secret));
	OPENSSL_cleanse(secret, len);
	free(secret);

	b = BIO_new_file(key_path, "r");
	k->sign_key = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	b = BIO_new_file(cert_path, "r");
	k->cert = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	if (!k->sign_key || !k->cert || X509_check_private_key(k->cert, k->sign_key) != 1) {
		ec2_error_set(err, EC2_ERR_INTERNAL,
			      "'%s' and '%s' are not a key and its certificate", key_path, cert_path);
		return -1;
	}
	return 0;
}

int imds_keys_load(const char *state_dir, struct imds_keys *k, struct ec2_error *err)
{
	char *dir = util_strdupf("%s/imds", state_dir);
	char *lock = util_strdupf("%s/.lock", dir);
	char *secret_path = util_strdupf("%s/token.key", dir);
	char *key_path = util_strdupf("%s/identity.key", dir);
	char *cert_path = util_strdupf("%s/identity.crt", dir);
	int fd = -1, rc = -1;

	memset(k, 0, sizeof(*k));
	if (util_mkdir_p(dir, 0700, err) < 0)
		goto out;
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		ec2_error_set_errno(err, errno, "cannot open '%s'", lock);
		goto out;
	}
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			ec2_error_set_errno(err, errno, "cannot lock '%s'", lock);
			goto out;
		}
	}
	if (make_missing(secret_path, key_path, cert_path, err) < 0 ||
	    load_files(secret_path, key_path, cert_path, k, err) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0)
		imds_keys_clear(k);
	if (fd >= 0)
		close(fd); /* drops the lock */
	free(dir);
	free(lock);
	free(secret_path);
	free(key_path);
	free(cert_path);
	return rc;
}

void imds_keys_clear(struct imds_keys *k)
{
	if (!k)
		return;
	EVP_PKEY_free(k->sign_key);
	X509_free(k->cert);
	OPENSSL_cleanse(k->token_secret, sizeof(k->token_secret));
	k->sign_key = NULL;
	k->cert = NULL;
}

/* ---------- session tokens ---------- */

/* A token is base64 of 41 bytes: a format byte (1), the expiry (8 bytes, big-endian epoch
 * seconds) and HMAC-SHA256 under the secret of the instance id and the expiry: 56 characters,
 * as long as EC2's. */
#define TOKEN_FORMAT 1
#define TOKEN_BYTES 41
#define TOKEN_CHARS 56
#define TOKEN_TTL_MAX 21600

static void token_make(const struct imds_keys *k, const char *instance_id, uint64_t expiry,
		       char out[TOKEN_CHARS + 1])
{
	unsigned char raw[TOKEN_BYTES], msg[8 + 64];
	size_t idlen = strnlen(instance_id, 64);
	unsigned int maclen = 32;
	int i;

	raw[0] = TOKEN_FORMAT;
	for (i = 0; i < 8; i++)
		raw[1 + i] = (unsigned char)(expiry >> (56 - 8 * i));
	memcpy(msg, raw + 1, 8);
	memcpy(msg + 8, instance_id, idlen);
	HMAC(EVP_sha256(), k->token_secret, sizeof(k->token_secret), msg, 8 + idlen, raw + 9,
	     &maclen);
	EVP_EncodeBlock((unsigned char *)out, raw, TOKEN_BYTES);
}

/* Whether token was made for instance_id and is unexpired at now. */
static bool token_valid(const struct imds_keys *k, const char *instance_id, const char *token,
			long long now)
{
	unsigned char raw[TOKEN_BYTES + 2];
	char want[TOKEN_CHARS + 1];
	uint64_t expiry = 0;
	int i;

	if (strlen(token) != TOKEN_CHARS ||
	    EVP_DecodeBlock(raw, (const unsigned char *)token, TOKEN_CHARS) != TOKEN_BYTES + 1 ||
	    raw[0] != TOKEN_FORMAT)
		return false;
	for (i = 0; i < 8; i++)
		expiry = expiry << 8 | raw[1 + i];
	token_make(k, instance_id, expiry, want);
	return CRYPTO_memcmp(want, token, TOKEN_CHARS) == 0 && now >= 0 &&
	       (uint64_t)now < expiry;
}

/* The ttl header's seconds, or -1 when it is missing, not a number or out of 1..21600. */
static long token_ttl(const char *s)
{
	long v = 0;
	size_t i;

	if (!s || !*s || strlen(s) > 9)
		return -1;
	for (i = 0; s[i]; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v >= 1 && v <= TOKEN_TTL_MAX ? v : -1;
}

/* ---------- answers ---------- */

static void answer(struct imds_response *rs, int status, const char *type, const void *body,
		   size_t len)
{
	rs->status = status;
	rs->content_type = type;
	rs->body = malloc(len + 1);
	if (!rs->body)
		abort();
	memcpy(rs->body, body, len);
	rs->body[len] = '\0';
	rs->len = len;
}

/* EC2's error page for status. */
static void answer_error(struct imds_response *rs, int status)
{
	const char *what = status == 400   ? "Missing or Invalid Parameters"
			   : status == 401 ? "Unauthorized"
			   : status == 403 ? "Forbidden"
			   : status == 405 ? "Method Not Allowed"
					   : "Not Found";
	char *page = util_strdupf(
		"<?xml version=\"1.0\" encoding=\"iso-8859-1\"?>\n"
		"<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Transitional//EN\"\n"
		"\t\"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd\">\n"
		"<html xmlns=\"http://www.w3.org/1999/xhtml\" xml:lang=\"en\" lang=\"en\">\n"
		" <head>\n"
		"  <title>%d - %s</title>\n"
		" </head>\n"
		" <body>\n"
		"  <h1>%d - %s</h1>\n"
		" </body>\n"
		"</html>\n",
		status, what, status, what);

	answer(rs, status, "text/html", page, strlen(page));
	free(page);
}

/* The versions EC2's IMDS lists at /, oldest first, then latest. */
static const char *const versions[] = {
	"1.0",        "2007-01-19", "2007-03-01", "2007-08-29", "2007-10-10", "2007-12-15",
	"2008-02-01", "2008-09-01", "2009-04-04", "2011-01-01", "2011-05-01", "2012-01-12",
	"2014-02-25", "2014-11-05", "2015-10-20", "2016-04-19", "2016-06-30", "2016-09-02",
	"2018-03-28", "2018-08-17", "2018-09-24", "2019-10-01", "2020-10-27", "2021-01-03",
	"2021-03-23", "2021-07-15", "2022-09-24", "latest",
};
#define N_VERSIONS (sizeof(versions) / sizeof(versions[0]))

static bool version_known(const char *v)
{
	size_t i;

	for (i = 0; i < N_VERSIONS; i++)
		if (strcmp(versions[i], v) == 0)
			return true;
	return false;
}

/* ---------- the tree ---------- */

static const char *str_of(json_object *o, const char *key)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* A string of o, "" when it has none. */
static const char *str0(json_object *o, const char *key)
{
	const char *s = str_of(o, key);

	return s ? s : "";
}

static json_object *member(json_object *o, const char *key)
{
	json_object *v = NULL;

	return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static json_object *dir_add(json_object *parent, const char *name)
{
	json_object *d = json_object_new_object();

	json_object_object_add(parent, name, d);
	return d;
}

static void leaf(json_object *dir, const char *name, const char *value)
{
	json_object_object_add(dir, name, json_object_new_string(value ? value : ""));
}

/* A leaf only when value is a non-empty string. */
static void leaf_opt(json_object *dir, const char *name, const char *value)
{
	if (value && *value)
		leaf(dir, name, value);
}

/* The values of key in each element of list, one per line. */
static char *lines_of(json_object *list, const char *key)
{
	struct util_buf b = { 0 };
	size_t i, n = json_object_is_type(list, json_type_array) ? json_object_array_length(list) : 0;

	for (i = 0; i < n; i++) {
		const char *s = str_of(json_object_array_get_idx(list, i), key);

		if (!s)
			continue;
		if (b.len)
			util_buf_puts(&b, "\n");
		util_buf_puts(&b, s);
	}
	return b.s ? b.s : strdup("");
}

static void leaf_lines(json_object *dir, const char *name, json_object *list, const char *key)
{
	char *s = lines_of(list, key);

	leaf(dir, name, s);
	free(s);
}

/* JSON as EC2 prints it (Jackson's pretty printer): two spaces, "key" : value, arrays inline. */
static void jackson(struct util_buf *b, json_object *v, int depth)
{
	char pad[64];
	int n = depth * 2 + 2 < (int)sizeof(pad) ? depth * 2 + 2 : (int)sizeof(pad) - 1;
	size_t i;

	memset(pad, ' ', (size_t)n);
	pad[n] = '\0';
	switch (json_object_get_type(v)) {
	case json_type_object: {
		bool first = true;

		util_buf_puts(b, "{\n");
		json_object_object_foreach(v, key, val) {
			json_object *k = json_object_new_string(key);

			util_buf_puts(b, first ? "" : ",\n");
			util_buf_puts(b, pad);
			util_buf_puts(b, json_object_to_json_string_ext(k, JSON_C_TO_STRING_NOSLASHESCAPE));
			util_buf_puts(b, " : ");
			jackson(b, val, depth + 1);
			json_object_put(k);
			first = false;
		}
		util_buf_puts(b, "\n");
		util_buf_put(b, pad, (size_t)(n >= 2 ? n - 2 : 0));
		util_buf_puts(b, "}");
		break;
	}
	case json_type_array:
		util_buf_puts(b, "[ ");
		for (i = 0; i < json_object_array_length(v); i++) {
			util_buf_puts(b, i ? ", " : "");
			jackson(b, json_object_array_get_idx(v, i), depth + 1);
		}
		util_buf_puts(b, json_object_array_length(v) ? " ]" : "]");
		break;
	case json_type_null:
		util_buf_puts(b, "null");
		break;
	default:
		util_buf_puts(b, json_object_to_json_string_ext(v, JSON_C_TO_STRING_NOSLASHESCAPE));
	}
}

static char *jackson_text(json_object *v)
{
	struct util_buf b = { 0 };

	jackson(&b, v, 0);
	return b.s;
}

static void leaf_json(json_object *dir, const char *name, json_object *v)
{
	char *s = jackson_text(v);

	leaf(dir, name, s);
	free(s);
}

/* EC2's time without milliseconds: "2026-12-01T07:41:00.000Z" -> "2026-12-01T07:41:00Z". */
static void seconds_time(const char *t, char *out, size_t size)
{
	const char *dot = strchr(t, '.');

	if (dot && dot[strspn(dot + 1, "0123456789") + 1] == 'Z')
		snprintf(out, size, "%.*sZ", (int)(dot - t), t);
	else
		snprintf(out, size, "%s", t);
}

/* The /20 of a private IPv4 address ("172.31.13.225" -> "172.31.0.0/20"): the default VPC's
 * subnets are a /20 per zone. */
static void subnet_cidr(const char *ip, char *out, size_t size)
{
	unsigned a, b, c, d;

	if (sscanf(ip, "%u.%u.%u.%u", &a, &b, &c, &d) == 4 && a < 256 && b < 256 && c < 256)
		snprintf(out, size, "%u.%u.%u.0/20", a, b, c & 0xf0);
	else
		snprintf(out, size, "172.31.0.0/20");
}

#define VPC_CIDR "172.31.0.0/16"

static void add_interface(json_object *macs, json_object *eni, const char *public_dns)
{
	const char *mac = str_of(eni, "MacAddress");
	json_object *d, *ips = member(eni, "PrivateIpAddresses"), *assoc;
	struct util_buf pub = { 0 };
	char cidr[32];
	size_t i, n = json_object_is_type(ips, json_type_array) ? json_object_array_length(ips) : 0;

	if (!mac || !*mac || strchr(mac, '/'))
		return;
	d = dir_add(macs, mac);
	leaf(d, "device-number",
	     json_object_get_string(member(member(eni, "Attachment"), "DeviceIndex")));
	leaf(d, "interface-id", str0(eni, "NetworkInterfaceId"));
	leaf(d, "local-hostname", str0(eni, "PrivateDnsName"));
	if (n)
		leaf_lines(d, "local-ipv4s", ips, "PrivateIpAddress");
	else
		leaf(d, "local-ipv4s", str0(eni, "PrivateIpAddress"));
	leaf(d, "mac", mac);
	leaf(d, "network-card",
	     member(member(eni, "Attachment"), "NetworkCardIndex")
		     ? json_object_get_string(member(member(eni, "Attachment"), "NetworkCardIndex"))
		     : "0");
	leaf(d, "owner-id", str0(eni, "OwnerId"));
	/* The public addresses: ipv4-associations/PUBLIC is the private address it maps to. */
	for (i = 0; i < n; i++) {
		json_object *ip = json_object_array_get_idx(ips, i);
		const char *p = str_of(member(ip, "Association"), "PublicIp");

		if (!p || !*p)
			continue;
		if (pub.len)
			util_buf_puts(&pub, "\n");
		util_buf_puts(&pub, p);
		leaf(member(d, "ipv4-associations") ? member(d, "ipv4-associations")
						     : dir_add(d, "ipv4-associations"),
		     p, str0(ip, "PrivateIpAddress"));
	}
	assoc = member(eni, "Association");
	if (!n && str_of(assoc, "PublicIp") && *str_of(assoc, "PublicIp")) {
		util_buf_puts(&pub, str_of(assoc, "PublicIp"));
		leaf(dir_add(d, "ipv4-associations"), str_of(assoc, "PublicIp"),
		     str0(eni, "PrivateIpAddress"));
	}
	if (pub.len)
		leaf(d, "public-ipv4s", pub.s);
	free(pub.s);
	leaf_opt(d, "public-hostname", str_of(assoc, "PublicDnsName") ? str_of(assoc, "PublicDnsName")
								       : public_dns);
	leaf_lines(d, "security-group-ids", member(eni, "Groups"), "GroupId");
	leaf_lines(d, "security-groups", member(eni, "Groups"), "GroupName");
	leaf(d, "subnet-id", str0(eni, "SubnetId"));
	subnet_cidr(str0(eni, "PrivateIpAddress"), cidr, sizeof(cidr));
	leaf(d, "subnet-ipv4-cidr-block", cidr);
	leaf(d, "vpc-id", str0(eni, "VpcId"));
	leaf(d, "vpc-ipv4-cidr-block", VPC_CIDR);
	leaf(d, "vpc-ipv4-cidr-blocks", VPC_CIDR);
}

static void add_block_devices(json_object *md, json_object *inst)
{
	json_object *d = dir_add(md, "block-device-mapping"), *bdm = member(inst, "BlockDeviceMappings");
	const char *root = str0(inst, "RootDeviceName");
	size_t i, n = json_object_is_type(bdm, json_type_array) ? json_object_array_length(bdm) : 0;
	int ebs = 0;

	leaf(d, "ami", root);
	leaf(d, "root", root);
	for (i = 0; i < n; i++) {
		const char *dev = str_of(json_object_array_get_idx(bdm, i), "DeviceName");
		char name[32];

		if (!dev || strcmp(dev, root) == 0)
			continue;
		snprintf(name, sizeof(name), "ebs%d", ++ebs);
		leaf(d, name, strncmp(dev, "/dev/", 5) == 0 ? dev + 5 : dev);
	}
}

/* The options of MetadataOptions, with EC2's defaults when absent. */
struct options {
	bool tokens_required, endpoint_enabled, tags_enabled;
};

static struct options options_of(json_object *inst)
{
	json_object *mo = member(inst, "MetadataOptions");
	const char *t = str_of(mo, "HttpTokens"), *e = str_of(mo, "HttpEndpoint"),
		   *g = str_of(mo, "InstanceMetadataTags");
	struct options o = {
		.tokens_required = t && strcmp(t, "required") == 0,
		.endpoint_enabled = !e || strcmp(e, "disabled") != 0,
		.tags_enabled = g && strcmp(g, "enabled") == 0,
	};

	return o;
}

/* The instance identity document, as EC2 prints it (caller frees). */
static char *identity_document(const struct imds_instance *in)
{
	json_object *inst = in->instance, *doc = json_object_new_object();
	const char *kernel = str_of(inst, "KernelId"), *ramdisk = str_of(inst, "RamdiskId");
	char pending[40];
	char *s;

	seconds_time(str0(inst, "LaunchTime"), pending, sizeof(pending));
	json_add_str(doc, "accountId", in->account_id ? in->account_id : "");
	json_add_str(doc, "architecture", str_of(inst, "Architecture") ? str_of(inst, "Architecture")
								       : "x86_64");
	json_add_str(doc, "availabilityZone", str0(member(inst, "Placement"), "AvailabilityZone"));
	json_object_object_add(doc, "billingProducts", NULL);
	json_object_object_add(doc, "devpayProductCodes", NULL);
	json_object_object_add(doc, "marketplaceProductCodes", NULL);
	json_add_str(doc, "imageId", str0(inst, "ImageId"));
	json_add_str(doc, "instanceId", str0(inst, "InstanceId"));
	json_add_str(doc, "instanceType", str0(inst, "InstanceType"));
	json_object_object_add(doc, "kernelId", kernel ? json_object_new_string(kernel) : NULL);
	json_add_str(doc, "pendingTime", pending);
	json_add_str(doc, "privateIp", str0(inst, "PrivateIpAddress"));
	json_object_object_add(doc, "ramdiskId", ramdisk ? json_object_new_string(ramdisk) : NULL);
	json_add_str(doc, "region", in->region ? in->region : "");
	json_add_str(doc, "version", "2017-09-30");
	s = jackson_text(doc);
	json_object_put(doc);
	return s;
}

/* Base64 in lines of 64 characters, as PEM bodies are (caller frees). */
static char *base64_lines(const unsigned char *d, size_t len)
{
	char *flat = util_base64(d, len);
	struct util_buf b = { 0 };
	size_t i, n = strlen(flat);

	for (i = 0; i < n; i += 64) {
		if (i)
			util_buf_puts(&b, "\n");
		util_buf_put(&b, flat + i, n - i < 64 ? n - i : 64);
	}
	free(flat);
	return b.s ? b.s : strdup("");
}

/* signature: base64 of the document's SHA256withRSA signature (caller frees; NULL on failure). */
static char *sign_plain(const struct imds_keys *k, const char *doc)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char *sig = NULL;
	size_t len = 0;
	char *s = NULL;

	if (md && k->sign_key &&
	    EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, k->sign_key) == 1 &&
	    EVP_DigestSign(md, NULL, &len, (const unsigned char *)doc, strlen(doc)) == 1 &&
	    (sig = malloc(len)) &&
	    EVP_DigestSign(md, sig, &len, (const unsigned char *)doc, strlen(doc)) == 1)
		s = base64_lines(sig, len);
	free(sig);
	EVP_MD_CTX_free(md);
	return s;
}

/* pkcs7 and rsa2048: PKCS#7 signed data that holds the document (openssl smime -verify
 * -certfile CERT -noverify prints it), without the certificate and without PEM's armour, as EC2
 * gives them (caller frees; NULL on failure). */
static char *sign_pkcs7(const struct imds_keys *k, const char *doc)
{
	BIO *in = BIO_new_mem_buf(doc, (int)strlen(doc));
	PKCS7 *p7 = NULL;
	unsigned char *der = NULL;
	char *s = NULL;
	int len;

	if (in && k->sign_key && k->cert)
		p7 = PKCS7_sign(k->cert, k->sign_key, NULL, in,
				PKCS7_BINARY | PKCS7_NOCERTS | PKCS7_NOSMIMECAP);
	if (p7 && (len = i2d_PKCS7(p7, &der)) > 0)
		s = base64_lines(der, (size_t)len);
	OPENSSL_free(der);
	PKCS7_free(p7);
	BIO_free(in);
	return s;
}

/* iam/: info and the role's credentials, only when the instance has a role. */
static void add_iam(json_object *md, const struct imds_instance *in)
{
	json_object *inst = in->instance, *info, *prof = member(inst, "IamInstanceProfile"), *d;
	const char *updated = str_of(in->credentials, "LastUpdated");
	char launched[40];

	if (!in->role_name || !*in->role_name || strchr(in->role_name, '/'))
		return;
	seconds_time(str0(inst, "LaunchTime"), launched, sizeof(launched));
	info = json_object_new_object();
	json_add_str(info, "Code", "Success");
	json_add_str(info, "LastUpdated", updated ? updated : launched);
	json_add_str(info, "InstanceProfileArn", str0(prof, "Arn"));
	json_add_str(info, "InstanceProfileId", str0(prof, "Id"));
	d = dir_add(md, "iam");
	leaf_json(d, "info", info);
	json_object_put(info);
	d = dir_add(d, "security-credentials");
	if (in->credentials)
		leaf_json(d, in->role_name, in->credentials);
}

/* mac (the primary interface's: device 0) and network/interfaces/macs/. */
static void add_network(json_object *md, json_object *inst)
{
	json_object *enis = member(inst, "NetworkInterfaces"), *macs;
	size_t i, n = json_object_is_type(enis, json_type_array) ? json_object_array_length(enis) : 0;

	for (i = 0; i < n; i++) {
		json_object *eni = json_object_array_get_idx(enis, i);
		json_object *idx = member(member(eni, "Attachment"), "DeviceIndex");

		if (idx && json_object_get_int(idx) == 0)
			leaf_opt(md, "mac", str_of(eni, "MacAddress"));
	}
	if (!member(md, "mac") && n)
		leaf_opt(md, "mac", str_of(json_object_array_get_idx(enis, 0), "MacAddress"));
	macs = dir_add(dir_add(dir_add(md, "network"), "interfaces"), "macs");
	for (i = 0; i < n; i++)
		add_interface(macs, json_object_array_get_idx(enis, i), str_of(inst, "PublicDnsName"));
}

/* tags/instance/, only when InstanceMetadataTags is enabled. */
static void add_tags(json_object *md, json_object *inst)
{
	json_object *d = dir_add(dir_add(md, "tags"), "instance"), *tags = member(inst, "Tags");
	size_t i, n = json_object_is_type(tags, json_type_array) ? json_object_array_length(tags) : 0;

	for (i = 0; i < n; i++) {
		json_object *t = json_object_array_get_idx(tags, i);
		const char *key = str_of(t, "Key");

		/* A key that cannot be a path's segment is not served (EC2 refuses to turn metadata
		 * tags on while an instance has one). */
		if (key && *key && !strchr(key, '/') && strcmp(key, ".") != 0 && strcmp(key, "..") != 0)
			leaf(d, key, str0(t, "Value"));
	}
}

/* The tree a version serves (new reference). */
static json_object *build_tree(const struct imds_instance *in, const struct options *o)
{
	json_object *inst = in->instance, *root = json_object_new_object(), *md, *d;
	const char *life = str_of(inst, "InstanceLifecycle");
	const char *zone = str0(member(inst, "Placement"), "AvailabilityZone");
	char zone_id[64], *doc;

	md = dir_add(root, "meta-data");
	leaf(md, "ami-id", str0(inst, "ImageId"));
	leaf(md, "ami-launch-index",
	     member(inst, "AmiLaunchIndex") ? json_object_get_string(member(inst, "AmiLaunchIndex"))
					    : "0");
	leaf(md, "ami-manifest-path", "(unknown)");
	add_block_devices(md, inst);
	d = dir_add(dir_add(md, "events"), "maintenance");
	leaf(d, "history", "[]");
	leaf(d, "scheduled", "[]");
	leaf(md, "hostname", str0(inst, "PrivateDnsName"));
	add_iam(md, in);
	leaf(md, "instance-action", "none");
	leaf(md, "instance-id", str0(inst, "InstanceId"));
	leaf(md, "instance-life-cycle", life && strcmp(life, "spot") == 0 ? "spot" : "on-demand");
	leaf(md, "instance-type", str0(inst, "InstanceType"));
	leaf(md, "local-hostname", str0(inst, "PrivateDnsName"));
	leaf(md, "local-ipv4", str0(inst, "PrivateIpAddress"));
	add_network(md, inst);
	d = dir_add(md, "placement");
	leaf(d, "availability-zone", zone);
	vpc_zone_id(in->region ? in->region : "", zone, zone_id, sizeof(zone_id));
	leaf(d, "availability-zone-id", zone_id);
	leaf(d, "region", in->region);
	leaf_opt(md, "public-hostname", str_of(inst, "PublicDnsName"));
	leaf_opt(md, "public-ipv4", str_of(inst, "PublicIpAddress"));
	if (in->public_key && str_of(inst, "KeyName")) {
		char *entry = util_strdupf("0=%s", str_of(inst, "KeyName"));

		/* public-keys/ lists "0=NAME"; its folder is public-keys/0/. */
		d = dir_add(md, "public-keys");
		leaf(dir_add(d, "0"), "openssh-key", in->public_key);
		json_object_object_add(d, entry, NULL);
		free(entry);
	}
	leaf(md, "reservation-id", in->reservation_id);
	leaf_lines(md, "security-groups", member(inst, "SecurityGroups"), "GroupName");
	d = dir_add(md, "services");
	leaf(d, "domain", "amazonaws.com");
	leaf(d, "partition", "aws");
	if (in->spot_action) {
		json_object *sa = json_tokener_parse(in->spot_action);

		d = dir_add(md, "spot");
		leaf(d, "instance-action", in->spot_action);
		leaf_opt(d, "termination-time", str_of(sa, "time"));
		json_object_put(sa);
	}
	if (o->tags_enabled)
		add_tags(md, inst);

	d = dir_add(dir_add(root, "dynamic"), "instance-identity");
	doc = identity_document(in);
	leaf(d, "document", doc);
	free(doc);
	json_object_object_add(d, "pkcs7", NULL);
	json_object_object_add(d, "rsa2048", NULL);
	json_object_object_add(d, "signature", NULL);
	if (in->user_data && in->user_data_len <= INT_MAX)
		json_object_object_add(root, "user-data",
				       json_object_new_string_len((const char *)in->user_data,
								  (int)in->user_data_len));
	return root;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A folder's listing: its entries sorted, folders with a trailing / (but at a version's top,
 * which EC2 lists bare: dynamic, meta-data, user-data). */
static void answer_listing(struct imds_response *rs, json_object *dir, bool slashes)
{
	size_t n = (size_t)json_object_object_length(dir), i = 0;
	const char **names = calloc(n ? n : 1, sizeof(*names));
	struct util_buf b = { 0 };

	if (!names)
		abort();
	json_object_object_foreach(dir, key, val) {
		(void)val;
		names[i++] = key;
	}
	qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; i < n; i++) {
		json_object *v = member(dir, names[i]);

		/* public-keys/ lists "0=NAME", not the folder 0/ it names. */
		if (json_object_is_type(v, json_type_object) && i + 1 < n && strncmp(names[i + 1], names[i], strlen(names[i])) == 0 &&
		    names[i + 1][strlen(names[i])] == '=')
			continue;
		if (b.len)
			util_buf_puts(&b, "\n");
		util_buf_puts(&b, names[i]);
		if (slashes && json_object_is_type(v, json_type_object))
			util_buf_puts(&b, "/");
	}
	answer(rs, 200, "text/plain", b.s ? b.s : "", b.len);
	free(b.s);
	free(names);
}

static int hexval(char c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
				      : -1;
}

#define MAX_SEGMENTS 16
#define MAX_PATH 2048

/* Splits path into its non-empty segments, percent-decoded, into buf (segs point into it).
 * Returns the count, or -1 for a path that cannot name anything (too long, too deep, a NUL). */
static int split_path(const char *path, char *buf, char *segs[MAX_SEGMENTS])
{
	size_t len = strlen(path), i = 0, o = 0;
	int n = 0;

	if (len >= MAX_PATH)
		return -1;
	while (i < len) {
		if (path[i] == '/') {
			i++;
			continue;
		}
		if (n == MAX_SEGMENTS)
			return -1;
		segs[n++] = buf + o;
		while (i < len && path[i] != '/') {
			char c = path[i++];

			if (c == '%' && i + 1 < len && hexval(path[i]) >= 0 &&
			    hexval(path[i + 1]) >= 0) {
				c = (char)(hexval(path[i]) * 16 + hexval(path[i + 1]));
				i += 2;
			}
			if (c == '\0')
				return -1;
			buf[o++] = c;
		}
		buf[o++] = '\0';
	}
	return n;
}

/* Serves GET (and HEAD) of segs after the version. */
static void answer_get(const struct imds_keys *k, const struct imds_instance *in,
		       const struct options *o, char **segs, int n, struct imds_response *rs)
{
	json_object *tree = build_tree(in, o), *cur = tree, *next = NULL;
	const char *name = NULL;
	int i;

	for (i = 0; i < n; i++) {
		if (!json_object_is_type(cur, json_type_object) ||
		    !json_object_object_get_ex(cur, segs[i], &next)) {
			answer_error(rs, 404);
			goto out;
		}
		name = segs[i];
		cur = next;
		if (!cur && i + 1 < n) { /* a value made on demand has nothing below it */
			answer_error(rs, 404);
			goto out;
		}
	}
	if (!cur) {
		/* The identity document's signatures, made now; public-keys' "0=NAME" entry is
		 * listed only. */
		bool plain = strcmp(name, "signature") == 0;
		bool p7 = strcmp(name, "pkcs7") == 0 || strcmp(name, "rsa2048") == 0;
		char *doc = plain || p7 ? identity_document(in) : NULL;
		char *s = plain ? sign_plain(k, doc) : p7 ? sign_pkcs7(k, doc) : NULL;

		if (s)
			answer(rs, 200, "text/plain", s, strlen(s));
		else
			answer_error(rs, 404);
		free(s);
		free(doc);
	} else if (json_object_is_type(cur, json_type_object)) {
		answer_listing(rs, cur, n > 0);
	} else {
		bool user_data = n == 1 && strcmp(segs[0], "user-data") == 0;

		answer(rs, 200, user_data ? "application/octet-stream" : "text/plain",
		       json_object_get_string(cur), (size_t)json_object_get_string_len(cur));
	}
out:
	json_object_put(tree);
}

void imds_answer(const struct imds_keys *k, const struct imds_instance *in,
		 const struct imds_request *rq, struct imds_response *rs)
{
	const char *method = rq->method ? rq->method : "";
	const char *id = str0(in->instance, "InstanceId");
	struct options o = options_of(in->instance);
	char buf[MAX_PATH], *segs[MAX_SEGMENTS];
	bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	bool put = strcmp(method, "PUT") == 0;
	int n;

	memset(rs, 0, sizeof(*rs));
	/* A disabled endpoint answers 403 with an empty text/plain body (as EC2 does: ansible's
	 * PR #68098 shows its answer to a token PUT). */
	if (!o.endpoint_enabled) {
		answer(rs, 403, "text/plain", "", 0);
		return;
	}
	if (!get && !put) {
		answer_error(rs, 405);
		return;
	}
	n = split_path(rq->path ? rq->path : "/", buf, segs);
	if (n < 0) {
		answer_error(rs, 404);
		return;
	}
	/* The session token: PUT /latest/api/token, and nothing else takes a PUT. */
	if (n == 3 && strcmp(segs[0], "latest") == 0 && strcmp(segs[1], "api") == 0 &&
	    strcmp(segs[2], "token") == 0) {
		long ttl;
		char token[TOKEN_CHARS + 1];

		if (!put) {
			answer_error(rs, 405);
			return;
		}
		if (rq->forwarded_for) {
			answer_error(rs, 403);
			return;
		}
		ttl = token_ttl(rq->token_ttl);
		if (ttl < 0) {
			answer_error(rs, 400);
			return;
		}
		token_make(k, id, (uint64_t)rq->now + (uint64_t)ttl, token);
		answer(rs, 200, "text/plain", token, strlen(token));
		rs->token_ttl = ttl;
		return;
	}
	if (!get) {
		answer_error(rs, 405);
		return;
	}
	/* A token sent must hold even when tokens are optional; none at all is IMDSv1. */
	if (rq->token ? !token_valid(k, id, rq->token, rq->now) : o.tokens_required) {
		answer_error(rs, 401);
		return;
	}
	if (n == 0) {
		struct util_buf b = { 0 };
		size_t i;

		for (i = 0; i < N_VERSIONS; i++) {
			util_buf_puts(&b, i ? "\n" : "");
			util_buf_puts(&b, versions[i]);
		}
		answer(rs, 200, "text/plain", b.s, b.len);
		free(b.s);
		return;
	}
	if (!version_known(segs[0])) {
		answer_error(rs, 404);
		return;
	}
	answer_get(k, in, &o, segs + 1, n - 1, rs);
}
