/* EC2 Query requests into the model's request objects: see api.h.
 *
 * A Query request is flat, "Filter.2.Value.1=running": each dot-separated part names a member of
 * the current shape by its query name, and a list member is followed by an index. The walk below
 * follows the action's input shape part by part, so a parameter the shape does not have is
 * refused rather than ignored, and the result is keyed by the model's member names.
 *
 * Indexes are as EC2 takes them from the clients that exist, not only as botocore writes them
 * (from 1): libcloud numbers from 0 (ResourceId.0, Tag.0.Key), and a list of one may come with no
 * index at all (InstanceId=i-1, Filter.Name=x). Each form is an item of its own, none is dropped
 * and none doubled: the unnumbered item comes first, then the numbered ones by index; the same
 * index twice is one item (the last value wins, as for any parameter given twice). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "api.h"
#include "ec2lite/util.h"

#define MAX_INDEX 1000 /* EC2's lists hold at most 1000 items */
#define UNNUMBERED 0   /* the slot of an item given without an index; index i is slot i + 1 */

const struct api_action *api_action_find(const char *name)
{
	const struct api_action *a;

	for (a = api_actions; name && a->name; a++)
		if (strcmp(a->name, name) == 0)
			return a;
	return NULL;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* %-decodes s[0..len) ('+' is a space, as forms have it) into a new string; NULL on a bad
 * escape. *out_len (if not NULL) gets the length: values may hold NUL bytes. */
static char *decode(const char *s, size_t len, size_t *out_len)
{
	char *out = malloc(len + 1);
	size_t i, k = 0;

	if (!out)
		abort();
	for (i = 0; i < len; i++) {
		if (s[i] == '+') {
			out[k++] = ' ';
		} else if (s[i] == '%') {
			int hi = i + 2 < len ? hexval(s[i + 1]) : -1;
			int lo = i + 2 < len ? hexval(s[i + 2]) : -1;

			if (hi < 0 || lo < 0) {
				free(out);
				return NULL;
			}
			out[k++] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			out[k++] = s[i];
		}
	}
	out[k] = '\0';
	if (out_len)
		*out_len = k;
	return out;
}

static void query_encode(struct util_buf *q, const char *s)
{
	static const char digits[] = "0123456789ABCDEF";
	size_t i, run;

	for (i = 0; s[i]; i += run) {
		unsigned char ch = (unsigned char)s[i];

		/* Runs of characters that stay as they are go in one piece. */
		run = strspn(s + i, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~");
		if (run) {
			util_buf_put(q, s + i, run);
		} else {
			char e[3] = { '%', digits[ch >> 4], digits[ch & 15] };

			util_buf_put(q, e, 3);
			run = 1;
		}
	}
}

void api_query_add(struct util_buf *q, const char *key, const char *value)
{
	util_buf_put(q, "&", q->len ? 1 : 0);
	query_encode(q, key);
	util_buf_put(q, "=", 1);
	query_encode(q, value ? value : "");
}

int api_params_parse(struct api_params *p, const char *text, size_t len, struct ec2_error *err)
{
	size_t start = 0;

	while (start < len) {
		size_t end = start, eq;
		char *key, *value;

		while (end < len && text[end] != '&')
			end++;
		for (eq = start; eq < end && text[eq] != '='; eq++)
			;
		if (end > start) {
			key = decode(text + start, eq - start, NULL);
			value = eq < end ? decode(text + eq + 1, end - eq - 1, NULL) : strdup("");
			if (!key || !value || !*key) {
				free(key);
				free(value);
				ec2_error_set(err, "MalformedQueryString", "The query string contains a "
					      "syntax error near character %zu", start + 1);
				return -1;
			}
			if (p->n == p->cap) {
				p->cap = p->cap ? p->cap * 2 : 16;
				p->keys = realloc(p->keys, p->cap * sizeof(*p->keys));
				p->values = realloc(p->values, p->cap * sizeof(*p->values));
				if (!p->keys || !p->values)
					abort();
			}
			p->keys[p->n] = key;
			p->values[p->n] = value;
			p->n++;
		}
		start = end + 1;
	}
	return 0;
}

void api_params_free(struct api_params *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		free(p->keys[i]);
		free(p->values[i]);
	}
	free(p->keys);
	free(p->values);
	memset(p, 0, sizeof(*p));
}

const char *api_params_get(const struct api_params *p, const char *key)
{
	size_t i;
	const char *found = NULL;

	for (i = 0; i < p->n; i++)
		if (strcmp(p->keys[i], key) == 0)
			found = p->values[i];
	return found;
}

static const struct api_member *member_by_query(int shape, const char *name, size_t len)
{
	const struct api_shape *s = &api_shapes[shape];
	int i;

	for (i = 0; i < s->count; i++)
		if (strlen(s->members[i].query) == len && strncmp(s->members[i].query, name, len) == 0)
			return &s->members[i];
	return NULL;
}

/* Whether s[0..len) is all digits (a list index, in range or not). */
static bool all_digits(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return len > 0;
}

/* A list index's slot in the array that holds the list while it is read: 0..MAX_INDEX (digits
 * only, at most four of them) is slot index + 1; -1 otherwise. */
static long list_slot(const char *s, size_t len)
{
	long v = 0;
	size_t i;

	if (len == 0 || len > 4 || !all_digits(s, len))
		return -1;
	for (i = 0; i < len; i++)
		v = v * 10 + (s[i] - '0');
	return v <= MAX_INDEX ? v + 1 : -1;
}

/* Base64 text (a blob on the wire) into its bytes, as a JSON string (which keeps NUL bytes). */
static json_object *from_base64(const char *text, struct ec2_error *err, const char *what)
{
	size_t len = strlen(text), n;
	unsigned char *out;
	EVP_ENCODE_CTX *ctx;
	int got = 0, last = 0;
	json_object *o = NULL;

	out = malloc(len + 4);
	ctx = EVP_ENCODE_CTX_new();
	if (!out || !ctx)
		abort();
	EVP_DecodeInit(ctx);
	if (EVP_DecodeUpdate(ctx, out, &got, (const unsigned char *)text, (int)len) < 0 ||
	    EVP_DecodeFinal(ctx, out + got, &last) < 0) {
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER, "Invalid BASE64 encoding of %s", what);
	} else {
		n = (size_t)got + (size_t)last;
		o = json_object_new_string_len((const char *)out, (int)n);
	}
	EVP_ENCODE_CTX_free(ctx);
	free(out);
	return o;
}

/* Lists become arrays in slot order (the unnumbered item, then by index), without holes
 * (InstanceId.1 and .3 give two items). */
static void compact(json_object *o)
{
	if (json_object_is_type(o, json_type_array)) {
		json_object *packed = json_object_new_array();
		size_t i, n = json_object_array_length(o);

		for (i = 0; i < n; i++) {
			json_object *e = json_object_array_get_idx(o, i);

			if (e) {
				compact(e);
				json_object_array_add(packed, json_object_get(e));
			}
		}
		/* Swap the contents: o keeps its identity in its parent. */
		json_object_array_del_idx(o, 0, n);
		for (i = 0; i < json_object_array_length(packed); i++)
			json_object_array_add(o, json_object_get(json_object_array_get_idx(packed, i)));
		json_object_put(packed);
	} else if (json_object_is_type(o, json_type_object)) {
		json_object_object_foreach(o, k, v) {
			(void)k;
			compact(v);
		}
	}
}

/* Whether the value of this member is base64 on the wire (blobs, and RunInstances' UserData,
 * a string the SDKs and the aws CLI base64-encode). */
static bool is_base64(const struct api_action *a, const struct api_member *m)
{
	return m->kind == API_BLOB || (strcmp(a->name, "RunInstances") == 0 &&
				       strcmp(m->name, "UserData") == 0);
}

static int add_param(const struct api_action *a, json_object *root, const char *key,
		     const char *value, struct ec2_error *err)
{
	json_object *node = root, *child, *leaf;
	int shape = a->input;
	const char *part = key;

	for (;;) {
		size_t len = strcspn(part, ".");
		const struct api_member *m = shape >= 0 ? member_by_query(shape, part, len) : NULL;
		const char *next = part[len] ? part + len + 1 : NULL;

		if (!m) {
			ec2_error_set(err, "UnknownParameter", "The parameter %s is not recognized", key);
			return -1;
		}
		if (m->kind == API_LIST) {
			size_t ilen = next ? strcspn(next, ".") : 0;
			long slot;

			if (!next) {
				slot = UNNUMBERED; /* InstanceId=i-1 */
			} else if (m->elem == API_STRUCT && !all_digits(next, ilen) &&
				   member_by_query(m->shape, next, ilen)) {
				slot = UNNUMBERED; /* Filter.Name=x: next names the item's member */
			} else if ((slot = list_slot(next, ilen)) >= 0) {
				next = next[ilen] ? next + ilen + 1 : NULL;
			} else {
				ec2_error_set(err, "InvalidQueryParameter", "The parameter %s is "
					      "malformed: %s takes a list index from 0 to %d (%s.1)",
					      key, m->query, MAX_INDEX, m->query);
				return -1;
			}
			if (!json_object_object_get_ex(node, m->name, &child)) {
				child = json_object_new_array();
				json_object_object_add(node, m->name, child);
			}
			if (m->elem == API_STRUCT) {
				json_object *item = json_object_array_get_idx(child, (size_t)slot);

				if (!next) {
					ec2_error_set(err, "InvalidQueryParameter", "The parameter %s is "
						      "malformed: name a member of the item", key);
					return -1;
				}
				if (!item) {
					item = json_object_new_object();
					json_object_array_put_idx(child, (size_t)slot, item);
				}
				node = item;
				shape = m->shape;
				part = next;
				continue;
			}
			if (next) {
				ec2_error_set(err, "UnknownParameter", "The parameter %s is not "
					      "recognized", key);
				return -1;
			}
			leaf = m->elem == API_BLOB ? from_base64(value, err, key) :
						     json_object_new_string(value);
			if (!leaf)
				return -1;
			json_object_array_put_idx(child, (size_t)slot, leaf);
			return 0;
		}
		if (m->kind == API_STRUCT) {
			if (!next) {
				ec2_error_set(err, "InvalidQueryParameter", "The parameter %s is "
					      "malformed: name a member of it (%s.Member)", key, key);
				return -1;
			}
			if (!json_object_object_get_ex(node, m->name, &child)) {
				child = json_object_new_object();
				json_object_object_add(node, m->name, child);
			}
			node = child;
			shape = m->shape;
			part = next;
			continue;
		}
		if (next) {
			ec2_error_set(err, "UnknownParameter", "The parameter %s is not recognized", key);
			return -1;
		}
		leaf = is_base64(a, m) ? from_base64(value, err, key) : json_object_new_string(value);
		if (!leaf)
			return -1;
		json_object_object_add(node, m->name, leaf);
		return 0;
	}
}

/* Parameters of the protocol itself, not of the action. */
static bool protocol_param(const char *key)
{
	static const char *const skip[] = { "Action", "Version", "AWSAccessKeyId", "Signature",
					    "SignatureMethod", "SignatureVersion", "Timestamp",
					    "Expires", NULL };
	size_t i;

	if (strncmp(key, "X-Amz-", 6) == 0)
		return true;
	for (i = 0; skip[i]; i++)
		if (strcmp(key, skip[i]) == 0)
			return true;
	return false;
}

json_object *api_request(const struct api_action *a, const struct api_params *p,
			 struct ec2_error *err)
{
	json_object *req = json_object_new_object();
	size_t i;

	for (i = 0; i < p->n; i++) {
		if (protocol_param(p->keys[i]))
			continue;
		if (add_param(a, req, p->keys[i], p->values[i], err) < 0) {
			json_object_put(req);
			return NULL;
		}
	}
	compact(req);
	return req;
}
