/* IAM at the EC2 endpoint: the Query protocol of IAM (Version 2010-05-08) into the model's request
 * objects (iam.h) and its responses into IAM's XML. IAM's requests are flat (RoleName,
 * PolicyDocument, ...): every parameter is a string member of the request. Its responses are
 * written member by member as the model gives them; lists are <member> items, and policy
 * documents (objects in the model, as the aws CLI prints them) are URL-encoded JSON text, which
 * botocore decodes back (its json_decode_policies handler). See api.h. */
#include <ctype.h>
#include <libxml/xmlwriter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

#define X(s) ((const xmlChar *)(s))

json_object *api_iam_request(const struct api_params *p, struct ec2_error *err)
{
	json_object *req = json_object_new_object();
	size_t i;

	for (i = 0; i < p->n; i++) {
		if (strcmp(p->keys[i], "Action") == 0 || strcmp(p->keys[i], "Version") == 0)
			continue;
		/* Tags.member.N and other lists: ec2-lite's IAM takes none. */
		if (strchr(p->keys[i], '.')) {
			ec2_error_set(err, "InvalidInput", "The parameter %s is not supported",
				      p->keys[i]);
			json_object_put(req);
			return NULL;
		}
		json_object_object_add(req, p->keys[i], json_object_new_string(p->values[i]));
	}
	return req;
}

int api_iam_status(const char *code)
{
	if (strcmp(code, "NoSuchEntity") == 0)
		return 404;
	if (strcmp(code, "EntityAlreadyExists") == 0 || strcmp(code, "DeleteConflict") == 0 ||
	    strcmp(code, "LimitExceeded") == 0)
		return 409;
	if (strcmp(code, "AccessDenied") == 0)
		return 403;
	return api_error_status(code);
}

static void url_encode(struct util_buf *b, const char *s)
{
	static const char digits[] = "0123456789ABCDEF";

	util_buf_put(b, "", 0);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
			util_buf_put(b, s, 1);
		} else {
			char e[3] = { '%', digits[c >> 4], digits[c & 15] };

			util_buf_put(b, e, 3);
		}
	}
}

static bool is_document(const char *key)
{
	return key && (strcmp(key, "AssumeRolePolicyDocument") == 0 ||
		       strcmp(key, "PolicyDocument") == 0);
}

static void write_value(xmlTextWriterPtr w, const char *key, json_object *v)
{
	size_t i;

	xmlTextWriterStartElement(w, X(key));
	if (is_document(key) && !json_object_is_type(v, json_type_string)) {
		struct util_buf b = { 0 };

		url_encode(&b, json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
								  JSON_C_TO_STRING_NOSLASHESCAPE));
		xmlTextWriterWriteString(w, X(b.s));
		free(b.s);
	} else if (is_document(key)) {
		struct util_buf b = { 0 };

		url_encode(&b, json_object_get_string(v));
		xmlTextWriterWriteString(w, X(b.s));
		free(b.s);
	} else if (json_object_is_type(v, json_type_object)) {
		json_object_object_foreach(v, k, e) {
			if (e)
				write_value(w, k, e);
		}
	} else if (json_object_is_type(v, json_type_array)) {
		for (i = 0; i < json_object_array_length(v); i++)
			write_value(w, "member", json_object_array_get_idx(v, i));
	} else if (json_object_is_type(v, json_type_boolean)) {
		xmlTextWriterWriteString(w, X(json_object_get_boolean(v) ? "true" : "false"));
	} else if (v) {
		xmlTextWriterWriteString(w, X(json_object_get_string(v)));
	}
	xmlTextWriterEndElement(w);
}

char *api_iam_response_xml(const char *action, json_object *resp, const char *request_id,
			   size_t *len)
{
	xmlBufferPtr buf = xmlBufferCreate();
	xmlTextWriterPtr w = xmlNewTextWriterMemory(buf, 0);
	char *el = util_strdupf("%sResponse", action), *result = util_strdupf("%sResult", action);

	xmlTextWriterStartDocument(w, "1.0", "UTF-8", NULL);
	xmlTextWriterStartElementNS(w, NULL, X(el), X(API_IAM_XMLNS));
	/* Actions that answer nothing (DeleteRole, PutRolePolicy, ...) have no result element. */
	if (json_object_object_length(resp) > 0) {
		xmlTextWriterStartElement(w, X(result));
		json_object_object_foreach(resp, k, v) {
			if (v)
				write_value(w, k, v);
		}
		if (strncmp(action, "List", 4) == 0)
			xmlTextWriterWriteElement(w, X("IsTruncated"), X("false"));
		xmlTextWriterEndElement(w);
	}
	xmlTextWriterStartElement(w, X("ResponseMetadata"));
	xmlTextWriterWriteElement(w, X("RequestId"), X(request_id));
	xmlTextWriterEndElement(w);
	xmlTextWriterEndElement(w);
	free(el);
	free(result);
	return api_xml_finish(w, buf, len);
}
