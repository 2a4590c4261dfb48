/* The model's responses as EC2's XML: see api.h. Written with libxml2's text writer, by the
 * action's output shape: each member under its locationName, lists as <...><item>...</item>. */
#include <libxml/xmlwriter.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "ec2lite/util.h"

#define X(s) ((const xmlChar *)(s))

static const struct api_member *member_by_name(int shape, const char *name)
{
	int i;

	if (shape < 0)
		return NULL;
	for (i = 0; i < api_shapes[shape].count; i++)
		if (strcmp(api_shapes[shape].members[i].name, name) == 0)
			return &api_shapes[shape].members[i];
	return NULL;
}

/* The generic rule for members the model does not know: first letter lowered, lists in a Set. */
static void generic_name(const char *key, bool list, char *out, size_t size)
{
	snprintf(out, size, "%c%s%s", key[0] >= 'A' && key[0] <= 'Z' ? key[0] + 32 : key[0],
		 key + 1, list ? "Set" : "");
}

static void write_value(xmlTextWriterPtr w, json_object *v, int shape, const char *action,
			const char *member);

static void write_scalar(xmlTextWriterPtr w, json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_boolean:
		xmlTextWriterWriteString(w, X(json_object_get_boolean(v) ? "true" : "false"));
		break;
	case json_type_null:
		break;
	case json_type_double: {
		char num[64];

		snprintf(num, sizeof(num), "%.15g", json_object_get_double(v));
		xmlTextWriterWriteString(w, X(num));
		break;
	}
	default:
		xmlTextWriterWriteString(w, X(json_object_get_string(v)));
	}
}

static void write_object(xmlTextWriterPtr w, json_object *obj, int shape, const char *action)
{
	json_object_object_foreach(obj, key, v) {
		const struct api_member *m = member_by_name(shape, key);
		char name[128];
		bool list = json_object_is_type(v, json_type_array);

		if (!v)
			continue;
		if (m)
			snprintf(name, sizeof(name), "%s", m->xml);
		else
			generic_name(key, list, name, sizeof(name));
		xmlTextWriterStartElement(w, X(name));
		if (list) {
			size_t i;

			for (i = 0; i < json_object_array_length(v); i++) {
				xmlTextWriterStartElement(w, X("item"));
				write_value(w, json_object_array_get_idx(v, i), m ? m->shape : -1, action,
					    key);
				xmlTextWriterEndElement(w);
			}
		} else {
			write_value(w, v, m && m->kind == API_STRUCT ? m->shape : -1, action, key);
		}
		xmlTextWriterEndElement(w);
	}
}

static void write_value(xmlTextWriterPtr w, json_object *v, int shape, const char *action,
			const char *member)
{
	if (json_object_is_type(v, json_type_object)) {
		write_object(w, v, shape, action);
	} else if (strcmp(action, "GetConsoleOutput") == 0 && strcmp(member, "Output") == 0) {
		/* EC2 sends the console output base64-encoded; its clients decode it. */
		char *b64 = util_base64(json_object_get_string(v),
					(size_t)json_object_get_string_len(v));

		xmlTextWriterWriteString(w, X(b64));
		free(b64);
	} else {
		write_scalar(w, v);
	}
}

static char *finish(xmlBufferPtr buf, size_t *len)
{
	char *s = strdup((const char *)xmlBufferContent(buf));

	if (!s)
		abort();
	if (len)
		*len = strlen(s);
	xmlBufferFree(buf);
	return s;
}

char *api_response_xml(const struct api_action *a, json_object *resp, const char *request_id,
		       size_t *len)
{
	xmlBufferPtr buf = xmlBufferCreate();
	xmlTextWriterPtr w = xmlNewTextWriterMemory(buf, 0);
	char root[160];

	snprintf(root, sizeof(root), "%sResponse", a->name);
	xmlTextWriterStartDocument(w, "1.0", "UTF-8", NULL);
	xmlTextWriterStartElementNS(w, NULL, X(root), X(API_XMLNS));
	xmlTextWriterWriteElement(w, X("requestId"), X(request_id));
	if (resp && json_object_object_length(resp) > 0)
		write_object(w, resp, a->output, a->name);
	else
		/* EC2 answers the actions that return nothing with <return>true</return>. */
		xmlTextWriterWriteElement(w, X("return"), X("true"));
	xmlTextWriterEndElement(w);
	xmlTextWriterEndDocument(w);
	xmlFreeTextWriter(w);
	return finish(buf, len);
}

char *api_error_xml(const char *code, const char *message, const char *request_id, size_t *len)
{
	xmlBufferPtr buf = xmlBufferCreate();
	xmlTextWriterPtr w = xmlNewTextWriterMemory(buf, 0);

	xmlTextWriterStartDocument(w, "1.0", "UTF-8", NULL);
	xmlTextWriterStartElement(w, X("Response"));
	xmlTextWriterStartElement(w, X("Errors"));
	xmlTextWriterStartElement(w, X("Error"));
	xmlTextWriterWriteElement(w, X("Code"), X(code));
	xmlTextWriterWriteElement(w, X("Message"), X(message));
	xmlTextWriterEndElement(w);
	xmlTextWriterEndElement(w);
	xmlTextWriterWriteElement(w, X("RequestID"), X(request_id));
	xmlTextWriterEndElement(w);
	xmlTextWriterEndDocument(w);
	xmlFreeTextWriter(w);
	return finish(buf, len);
}

int api_error_status(const char *code)
{
	static const struct {
		const char *code;
		int status;
	} table[] = {
		{ "AuthFailure", 401 },
		{ "MissingAuthenticationToken", 403 },
		{ "SignatureDoesNotMatch", 403 },
		{ "InvalidClientTokenId", 403 },
		{ "UnauthorizedOperation", 403 },
		{ "MalformedQueryString", 404 },
		{ EC2_ERR_DRY_RUN, 412 }, /* EC2's "Precondition Failed" for a dry run that passed */
		{ "RequestEntityTooLarge", 413 },
		{ "InternalError", 500 },
		{ "InternalFailure", 500 },
		{ "ServiceUnavailable", 503 },
		{ "Unavailable", 503 },
	};
	size_t i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strcmp(table[i].code, code) == 0)
			return table[i].status;
	return 400;
}
