/* The web console (src/console): HTML, CSS and JavaScript that `ec2-lite serve` serves at
 * /console/ on its own port. The page is one more client of the API: it signs its requests with
 * SigV4 in the browser, so it can do nothing the API would not allow. The files are built into
 * the binary (src/console/embed.cmake writes console_assets.c): no path of a URL is opened. */
#ifndef EC2LITE_API_CONSOLE_H
#define EC2LITE_API_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>

struct console_asset {
	const char *name; /* "index.html", "api.js", ... (a file of src/console) */
	const char *type; /* its Content-Type */
	const unsigned char *data;
	size_t len;
};

/* The files, ended by an entry whose name is NULL (generated). */
extern const struct console_asset console_assets[];

/* The file a path under /console/ names ("" is index.html), or NULL: an exact lookup. */
const struct console_asset *console_asset_find(const char *name);

/* Whether url is the console's: "/console" or anything under "/console/". */
bool console_url(const char *url);

struct MHD_Connection;

/* Answers a GET or HEAD of a console url: /console redirects to /console/, /console/ is
 * index.html, /console/config.json the public settings the page starts from (the region, and
 * whether requests must be signed: nothing secret), /console/NAME the file of that name, and
 * anything else 404. Every answer carries a strict Content-Security-Policy (no inline script or
 * style, nothing from elsewhere). Returns libmicrohttpd's MHD_YES or MHD_NO (as an int, so that
 * the header needs no microhttpd.h). */
int console_answer(struct MHD_Connection *c, const char *url, const char *region, bool auth);

#endif
