/* The web console's files: see console.h. */
#include "console.h"

#include <json-c/json.h>
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>

const struct console_asset *console_asset_find(const char *name)
{
	size_t i;

	if (!*name)
		name = "index.html";
	for (i = 0; console_assets[i].name; i++)
		if (strcmp(console_assets[i].name, name) == 0)
			return &console_assets[i];
	return NULL;
}

bool console_url(const char *url)
{
	return strcmp(url, "/console") == 0 || strncmp(url, "/console/", 9) == 0;
}

static void secure_headers(struct MHD_Response *r)
{
	MHD_add_response_header(r, "Content-Security-Policy",
				"default-src 'self'; script-src 'self'; style-src 'self'; "
				"img-src 'self' data: blob:; object-src 'none'; base-uri 'none'; "
				"form-action 'none'; frame-ancestors 'none'");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Cache-Control", "no-cache");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "Server", "ec2-lite");
}

static int reply(struct MHD_Connection *c, unsigned status, const char *type, const void *data,
		size_t len, enum MHD_ResponseMemoryMode mode, const char *location)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)data, mode);
	enum MHD_Result rc;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	if (location)
		MHD_add_response_header(r, "Location", location);
	secure_headers(r);
	rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

int console_answer(struct MHD_Connection *c, const char *url, const char *region, bool auth)
{
	static const char not_found[] = "Not Found\n";
	const struct console_asset *a;
	json_object *cfg;
	char *body;

	if (strcmp(url, "/console") == 0)
		return reply(c, MHD_HTTP_MOVED_PERMANENTLY, "text/plain; charset=utf-8", "", 0,
			    MHD_RESPMEM_PERSISTENT, "/console/");
	url += strlen("/console/");
	if (strcmp(url, "config.json") == 0) {
		cfg = json_object_new_object();
		json_object_object_add(cfg, "region", json_object_new_string(region));
		json_object_object_add(cfg, "auth", json_object_new_boolean(auth));
		/* json_object_to_json_string's string is borrowed: copied for the response. */
		body = strdup(json_object_to_json_string_ext(cfg, JSON_C_TO_STRING_PLAIN));
		json_object_put(cfg);
		if (!body)
			return MHD_NO;
		return reply(c, MHD_HTTP_OK, "application/json", body, strlen(body),
			    MHD_RESPMEM_MUST_FREE, NULL);
	}
	a = console_asset_find(url);
	if (!a)
		return reply(c, MHD_HTTP_NOT_FOUND, "text/plain; charset=utf-8", not_found,
			    sizeof(not_found) - 1, MHD_RESPMEM_PERSISTENT, NULL);
	return reply(c, MHD_HTTP_OK, a->type, a->data, a->len, MHD_RESPMEM_PERSISTENT, NULL);
}
