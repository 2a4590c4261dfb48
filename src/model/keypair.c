/* Key pairs: CreateKeyPair, ImportKeyPair, DescribeKeyPairs, DeleteKeyPair (see
 * include/ec2lite/secgroup.h). Keys are made with OpenSSL 3. EC2's fingerprints: a created RSA
 * key's is the SHA-1 of its PKCS#8 DER private key, an imported RSA key's the MD5 of its DER
 * public key, both as colon-separated hex; an ED25519 key's is the base64 SHA-256 of its OpenSSH
 * public key blob. */
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/encoder.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ec2lite/filter.h"
#include "ec2lite/ids.h"
#include "ec2lite/keypair.h"
#include "ec2lite/secgroup.h"
#include "ec2lite/util.h"

/* SSH wire format pieces (RFC 4251): string and mpint, into a growing buffer. */
struct wire {
	unsigned char *d;
	size_t len, cap;
};

static void w_bytes(struct wire *w, const void *p, size_t n)
{
	if (w->len + n > w->cap) {
		w->cap = (w->len + n) * 2 + 64;
		w->d = realloc(w->d, w->cap);
		if (!w->d)
			abort();
	}
	memcpy(w->d + w->len, p, n);
	w->len += n;
}

static void w_u32(struct wire *w, uint32_t v)
{
	unsigned char b[4] = { (unsigned char)(v >> 24), (unsigned char)(v >> 16),
			       (unsigned char)(v >> 8), (unsigned char)v };

	w_bytes(w, b, 4);
}

static void w_string(struct wire *w, const void *p, size_t n)
{
	w_u32(w, (uint32_t)n);
	w_bytes(w, p, n);
}

static void w_mpint(struct wire *w, const BIGNUM *bn)
{
	int n = BN_num_bytes(bn);
	unsigned char *b = malloc((size_t)n + 1);

	if (!b)
		abort();
	b[0] = 0;
	BN_bn2bin(bn, b + 1);
	/* A leading zero keeps a number with its top bit set positive. */
	if (n > 0 && (b[1] & 0x80))
		w_string(w, b, (size_t)n + 1);
	else
		w_string(w, b + 1, (size_t)n);
	free(b);
}

static char *hex_colon(const unsigned char *md, size_t n)
{
	char *out = malloc(n * 3 + 1);
	size_t i;

	if (!out)
		abort();
	for (i = 0; i < n; i++)
		snprintf(out + 3 * i, 4, "%02x%s", md[i], i + 1 < n ? ":" : "");
	return out;
}

static char *b64_sha256(const unsigned char *blob, size_t len)
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256(blob, len, md);
	return util_base64(md, sizeof(md));
}

/* The OpenSSH public key blob and line ("ssh-rsa AAAA..." / "ssh-ed25519 AAAA..."). */
static int public_blob(EVP_PKEY *pkey, bool ed25519, struct wire *blob)
{
	if (ed25519) {
		unsigned char pub[32];
		size_t n = sizeof(pub);

		if (EVP_PKEY_get_raw_public_key(pkey, pub, &n) != 1 || n != 32)
			return -1;
		w_string(blob, "ssh-ed25519", 11);
		w_string(blob, pub, 32);
	} else {
		BIGNUM *e = NULL, *nn = NULL;

		if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e) != 1 ||
		    EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &nn) != 1) {
			BN_free(e);
			return -1;
		}
		w_string(blob, "ssh-rsa", 7);
		w_mpint(blob, e);
		w_mpint(blob, nn);
		BN_free(e);
		BN_free(nn);
	}
	return 0;
}

static char *ssh_line(const struct wire *blob, bool ed25519, const char *comment)
{
	char *b64 = util_base64(blob->d, blob->len);
	char *line = util_strdupf("%s %s %s", ed25519 ? "ssh-ed25519" : "ssh-rsa", b64, comment);

	free(b64);
	return line;
}

/* PEM text of an encoder's output (OpenSSL 3 encoders: structure "type-specific" gives PKCS#1
 * for RSA, as EC2 hands out). */
static char *encode(EVP_PKEY *pkey, const char *format, const char *structure, size_t *len)
{
	OSSL_ENCODER_CTX *ec = OSSL_ENCODER_CTX_new_for_pkey(pkey, OSSL_KEYMGMT_SELECT_KEYPAIR,
							      format, structure, NULL);
	unsigned char *data = NULL;
	size_t n = 0;
	char *out = NULL;

	if (ec && OSSL_ENCODER_to_data(ec, &data, &n) == 1) {
		out = malloc(n + 1);
		if (!out)
			abort();
		memcpy(out, data, n);
		out[n] = '\0';
		if (len)
			*len = n;
		OPENSSL_free(data);
	}
	OSSL_ENCODER_CTX_free(ec);
	return out;
}

/* OpenSSH's own private key format, the only one ssh reads ED25519 keys from. */
static char *openssh_private(EVP_PKEY *pkey, const struct wire *pubblob, const char *comment)
{
	unsigned char seed[32], pub[32], priv64[64];
	size_t n = 32, m = 32, i, col;
	struct wire w = { 0 }, p = { 0 };
	uint32_t check;
	char *b64, *out, *o;

	if (EVP_PKEY_get_raw_private_key(pkey, seed, &n) != 1 ||
	    EVP_PKEY_get_raw_public_key(pkey, pub, &m) != 1)
		return NULL;
	memcpy(priv64, seed, 32);
	memcpy(priv64 + 32, pub, 32);
	RAND_bytes((unsigned char *)&check, sizeof(check));
	w_u32(&p, check);
	w_u32(&p, check);
	w_string(&p, "ssh-ed25519", 11);
	w_string(&p, pub, 32);
	w_string(&p, priv64, 64);
	w_string(&p, comment, strlen(comment));
	for (i = 1; p.len % 8; i++) {
		unsigned char pad = (unsigned char)i;

		w_bytes(&p, &pad, 1);
	}
	w_bytes(&w, "openssh-key-v1", 15); /* with its NUL */
	w_string(&w, "none", 4);
	w_string(&w, "none", 4);
	w_string(&w, "", 0);
	w_u32(&w, 1);
	w_string(&w, pubblob->d, pubblob->len);
	w_string(&w, p.d, p.len);
	b64 = util_base64(w.d, w.len);
	out = malloc(strlen(b64) + strlen(b64) / 70 + 80);
	if (!out)
		abort();
	o = out + sprintf(out, "-----BEGIN OPENSSH PRIVATE KEY-----\n");
	for (i = 0, col = 0; b64[i]; i++) {
		*o++ = b64[i];
		if (++col == 70) {
			*o++ = '\n';
			col = 0;
		}
	}
	if (col)
		*o++ = '\n';
	strcpy(o, "-----END OPENSSH PRIVATE KEY-----\n");
	OPENSSL_cleanse(seed, sizeof(seed));
	OPENSSL_cleanse(priv64, sizeof(priv64));
	OPENSSL_cleanse(p.d, p.len);
	free(p.d);
	free(w.d);
	free(b64);
	return out;
}

struct kp_op {
	struct ec2_ctx *ctx;
	json_object *req;
	json_object *record; /* to add */
	json_object *resp;
};

static int kp_add(json_object *root, void *opaque, struct ec2_error *err)
{
	struct kp_op *op = opaque;
	json_object *keys = store_section(root, "key_pairs"), *have;
	const char *name = req_string(op->record, "KeyName");

	if (json_object_object_get_ex(keys, name, &have)) {
		ec2_error_set(err, "InvalidKeyPair.Duplicate", "The keypair '%s' already exists.", name);
		return -1;
	}
	if (ec2_dry_run(op->req, err))
		return -1; /* nothing written: store_update keeps the store as it was */
	json_object_object_add(keys, name, json_object_get(op->record));
	return 0;
}

static json_object *record(const char *name, const char *type, const char *fingerprint,
			   const char *public_key)
{
	json_object *r = json_object_new_object();
	char id[EC2_ID_MAX], now[32];

	ec2_id_new("key", id, NULL);
	util_iso8601(time(NULL), now, sizeof(now));
	json_add_str(r, "KeyPairId", id);
	json_add_str(r, "KeyFingerprint", fingerprint);
	json_add_str(r, "KeyName", name);
	json_add_str(r, "KeyType", type);
	json_object_object_add(r, "Tags", json_object_new_array());
	json_add_str(r, "PublicKey", public_key);
	json_add_str(r, "CreateTime", now);
	return r;
}

/* The new key pair's record gets the request's TagSpecifications' tags; its answer shows them. */
static void tag_new(json_object *record, json_object *resp, json_object *tags)
{
	json_object_object_add(record, "Tags", json_object_get(tags));
	if (resp && json_object_array_length(tags) > 0)
		json_object_object_add(resp, "Tags", json_object_get(tags));
}

static int check_name(const char *name, struct ec2_error *err)
{
	if (!name) {
		ec2_error_set(err, EC2_ERR_MISSING_PARAMETER,
			      "The request must contain the parameter KeyName");
		return -1;
	}
	if (req_text_check("KeyName", name, 255, err) < 0)
		return -1;
	if (!*name || strlen(name) > 255) {
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER,
			      "Invalid value '%s' for keyName: 1 to 255 characters", name);
		return -1;
	}
	return 0;
}

json_object *ec2_create_key_pair(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err)
{
	const char *name = req_string(req, "KeyName"), *type = req_string(req, "KeyType");
	bool ed = type && strcmp(type, "ed25519") == 0;
	EVP_PKEY *pkey = NULL;
	struct wire blob = { 0 };
	char *material = NULL, *line = NULL, *fp = NULL, *der = NULL;
	size_t derlen = 0;
	struct kp_op op = { ctx, req, NULL, NULL };
	json_object *tags;

	if (check_name(name, err) < 0)
		return NULL;
	tags = tag_specs(req, "key-pair", NULL, err);
	if (!tags)
		return NULL;
	if (type && !ed && strcmp(type, "rsa") != 0) {
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER,
			      "Invalid value '%s' for KeyType: rsa or ed25519", type);
		json_object_put(tags);
		return NULL;
	}
	pkey = ed ? EVP_PKEY_Q_keygen(NULL, NULL, "ED25519") :
		    EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	if (!pkey || public_blob(pkey, ed, &blob) < 0) {
		ec2_error_set(err, EC2_ERR_INTERNAL, "cannot make a %s key", ed ? "ed25519" : "rsa");
		goto out;
	}
	line = ssh_line(&blob, ed, name);
	if (ed) {
		material = openssh_private(pkey, &blob, name);
		fp = b64_sha256(blob.d, blob.len);
	} else {
		unsigned char md[SHA_DIGEST_LENGTH];

		material = encode(pkey, "PEM", "type-specific", NULL);
		der = encode(pkey, "DER", "PrivateKeyInfo", &derlen);
		if (der) {
			SHA1((unsigned char *)der, derlen, md);
			fp = hex_colon(md, sizeof(md));
		}
	}
	if (!material || !fp) {
		ec2_error_set(err, EC2_ERR_INTERNAL, "cannot encode the new key");
		goto out;
	}
	op.record = record(name, ed ? "ed25519" : "rsa", fp, line);
	tag_new(op.record, NULL, tags);
	if (store_update(ctx->store, kp_add, &op, err) == 0) {
		op.resp = json_object_new_object();
		json_add_str(op.resp, "KeyFingerprint", fp);
		json_add_str(op.resp, "KeyMaterial", material);
		json_add_str(op.resp, "KeyName", name);
		json_add_str(op.resp, "KeyPairId", req_string(op.record, "KeyPairId"));
		tag_new(op.record, op.resp, tags);
	}
out:
	json_object_put(tags);
	json_object_put(op.record);
	if (material)
		OPENSSL_cleanse(material, strlen(material));
	free(material);
	if (der)
		OPENSSL_cleanse(der, derlen);
	free(der);
	free(line);
	free(fp);
	free(blob.d);
	EVP_PKEY_free(pkey);
	return op.resp;
}

/* Reads one SSH string from blob at *pos. */
static bool r_string(const unsigned char *b, size_t len, size_t *pos, const unsigned char **s,
		     uint32_t *n)
{
	if (*pos + 4 > len)
		return false;
	*n = (uint32_t)b[*pos] << 24 | (uint32_t)b[*pos + 1] << 16 | (uint32_t)b[*pos + 2] << 8 |
	     b[*pos + 3];
	if (*n > len - *pos - 4)
		return false;
	*s = b + *pos + 4;
	*pos += 4 + *n;
	return true;
}

json_object *ec2_import_key_pair(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err)
{
	const char *name = req_string(req, "KeyName"), *material = req_string(req, "PublicKeyMaterial");
	char type[32] = "", b64[16384] = "", *fp = NULL, *line = NULL;
	unsigned char *blob = NULL;
	struct kp_op op = { ctx, req, NULL, NULL };
	const unsigned char *s;
	uint32_t n;
	size_t pos = 0;
	int blen;
	bool ed;
	json_object *tags;

	if (check_name(name, err) < 0)
		return NULL;
	tags = tag_specs(req, "key-pair", NULL, err);
	if (!tags)
		return NULL;
	if (!material || sscanf(material, "%31s %16383s", type, b64) != 2 ||
	    (strcmp(type, "ssh-rsa") != 0 && strcmp(type, "ssh-ed25519") != 0))
		goto bad;
	ed = strcmp(type, "ssh-ed25519") == 0;
	blob = malloc(strlen(b64));
	if (!blob)
		abort();
	blen = EVP_DecodeBlock(blob, (unsigned char *)b64, (int)strlen(b64));
	if (blen < 0)
		goto bad;
	blen -= (int)(strlen(b64) > 0 && b64[strlen(b64) - 1] == '=') +
		(int)(strlen(b64) > 1 && b64[strlen(b64) - 2] == '=');
	if (!r_string(blob, (size_t)blen, &pos, &s, &n) || n != strlen(type) || memcmp(s, type, n) != 0)
		goto bad;
	if (ed) {
		if (!r_string(blob, (size_t)blen, &pos, &s, &n) || n != 32)
			goto bad;
		fp = b64_sha256(blob, (size_t)blen);
	} else {
		const unsigned char *e, *m;
		uint32_t en, mn;
		OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
		OSSL_PARAM *params;
		EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
		EVP_PKEY *pkey = NULL;
		BIGNUM *be, *bm;
		unsigned char *der = NULL, md[16];
		int dlen;

		if (!r_string(blob, (size_t)blen, &pos, &e, &en) ||
		    !r_string(blob, (size_t)blen, &pos, &m, &mn) || mn < 128) {
			OSSL_PARAM_BLD_free(bld);
			EVP_PKEY_CTX_free(pc);
			goto bad;
		}
		be = BN_bin2bn(e, (int)en, NULL);
		bm = BN_bin2bn(m, (int)mn, NULL);
		OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bm);
		OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be);
		params = OSSL_PARAM_BLD_to_param(bld);
		if (EVP_PKEY_fromdata_init(pc) == 1 &&
		    EVP_PKEY_fromdata(pc, &pkey, EVP_PKEY_PUBLIC_KEY, params) == 1 &&
		    (dlen = i2d_PUBKEY(pkey, &der)) > 0) {
			EVP_Digest(der, (size_t)dlen, md, NULL, EVP_md5(), NULL);
			fp = hex_colon(md, sizeof(md));
		}
		OPENSSL_free(der);
		EVP_PKEY_free(pkey);
		OSSL_PARAM_free(params);
		OSSL_PARAM_BLD_free(bld);
		EVP_PKEY_CTX_free(pc);
		BN_free(be);
		BN_free(bm);
		if (!fp)
			goto bad;
	}
	line = util_strdupf("%s %s %s", type, b64, name);
	op.record = record(name, ed ? "ed25519" : "rsa", fp, line);
	tag_new(op.record, NULL, tags);
	if (store_update(ctx->store, kp_add, &op, err) == 0) {
		op.resp = json_object_new_object();
		json_add_str(op.resp, "KeyFingerprint", fp);
		json_add_str(op.resp, "KeyName", name);
		json_add_str(op.resp, "KeyPairId", req_string(op.record, "KeyPairId"));
		tag_new(op.record, op.resp, tags);
	}
	goto out;
bad:
	ec2_error_set(err, "InvalidKey.Format", "Key is not in valid OpenSSH public key format");
out:
	json_object_put(tags);
	json_object_put(op.record);
	free(blob);
	free(fp);
	free(line);
	return op.resp;
}

/* Every filter botocore documents for DescribeKeyPairs (and the tag filters). */
static const struct filter_field key_filters[] = {
	{ "key-pair-id", "KeyPairId" },
	{ "fingerprint", "KeyFingerprint" },
	{ "key-name", "KeyName" },
	{ NULL, NULL },
};

json_object *ec2_describe_key_pairs(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err)
{
	json_object *names = req_list(req, "KeyNames"), *ids = req_list(req, "KeyPairIds");
	json_object *filters = req_list(req, "Filters"), *root, *keys, *list, *resp;
	bool with_public = false;
	size_t i, n = names ? json_object_array_length(names) : 0;

	req_bool(req, "IncludePublicKey", &with_public, NULL);
	/* A malformed KeyPairId is not found, as EC2 answers. */
	if (filter_validate(filters, key_filters, err) < 0)
		return NULL;
	root = store_read(ctx->store, err);
	if (!root)
		return NULL;
	keys = store_section(root, "key_pairs");
	for (i = 0; i < n; i++) {
		const char *name = json_object_get_string(json_object_array_get_idx(names, i));
		json_object *k;

		if (!json_object_object_get_ex(keys, name, &k)) {
			ec2_error_set(err, "InvalidKeyPair.NotFound", "The key pair '%s' does not exist",
				      name);
			json_object_put(root);
			return NULL;
		}
	}
	for (i = 0; ids && i < json_object_array_length(ids); i++) {
		const char *id = json_object_get_string(json_object_array_get_idx(ids, i));
		bool found = false;

		json_object_object_foreach(keys, kname, k) {
			(void)kname;
			found = found || strcmp(req_str0(k, "KeyPairId"), id) == 0;
		}
		if (!found) {
			ec2_error_set(err, "InvalidKeyPair.NotFound", "The key pair '%s' does not exist",
				      id);
			json_object_put(root);
			return NULL;
		}
	}
	list = json_object_new_array();
	json_object_object_foreach(keys, name, k) {
		json_object *o = NULL;

		if (!json_strlist_wants(names, name) ||
		    !json_strlist_wants(ids, req_str0(k, "KeyPairId")) ||
		    !filter_match(k, filters, key_filters))
			continue;
		json_object_deep_copy(k, &o, NULL);
		if (!with_public)
			json_object_object_del(o, "PublicKey");
		json_object_array_add(list, o);
	}
	json_object_put(root);
	resp = json_object_new_object();
	json_object_object_add(resp, "KeyPairs", list);
	return resp;
}

static int kp_delete(json_object *root, void *opaque, struct ec2_error *err)
{
	struct kp_op *op = opaque;
	const char *name = req_string(op->req, "KeyName");
	json_object *k;

	if (ec2_dry_run(op->req, err))
		return -1; /* EC2 deletes an unknown key pair "successfully": nothing else to check */
	op->resp = json_object_new_object();
	json_add_bool(op->resp, "Return", true);
	if (name && json_object_object_get_ex(store_section(root, "key_pairs"), name, &k)) {
		json_add_str(op->resp, "KeyPairId", req_string(k, "KeyPairId"));
		json_object_object_del(store_section(root, "key_pairs"), name);
	}
	return 0;
}

json_object *ec2_delete_key_pair(struct ec2_ctx *ctx, json_object *req, struct ec2_error *err)
{
	struct kp_op op = { ctx, req, NULL, NULL };

	if (check_name(req_string(req, "KeyName"), err) < 0)
		return NULL;
	if (store_update(ctx->store, kp_delete, &op, err) < 0) {
		json_object_put(op.resp);
		return NULL;
	}
	return op.resp;
}

char *keypair_public_key(struct ec2_ctx *ctx, const char *name, struct ec2_error *err)
{
	json_object *root = store_read(ctx->store, err), *k;
	char *line = NULL;

	if (!root)
		return NULL;
	if (json_object_object_get_ex(store_section(root, "key_pairs"), name, &k))
		line = strdup(req_string(k, "PublicKey"));
	else
		ec2_error_set(err, "InvalidKeyPair.NotFound", "The key pair '%s' does not exist", name);
	json_object_put(root);
	return line;
}
