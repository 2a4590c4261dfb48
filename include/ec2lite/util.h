/* Small helpers shared by the library: files, time, and reading request objects.
 * None of them print or exit. */
#ifndef EC2LITE_UTIL_H
#define EC2LITE_UTIL_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "ec2lite/error.h"

/* Reads a whole file into a NUL-terminated buffer the caller frees; *len (if not NULL) gets its
 * length. NULL on failure. */
char *util_read_file(const char *path, size_t *len, struct ec2_error *err);

/* As util_read_file, but it reads at most max + 1 bytes: *len > max says that the file is larger
 * than max (the rest is never read, so /dev/zero or a pipe that never ends costs nothing). */
char *util_read_file_max(const char *path, size_t max, size_t *len, struct ec2_error *err);

/* Writes data to path atomically: a temporary file beside it, fsync, rename, fsync of the folder.
 * mode is the new file's permission bits. */
int util_write_file_atomic(const char *path, const void *data, size_t len, int mode,
			   struct ec2_error *err);

/* mkdir -p with the given mode for folders it creates. */
int util_mkdir_p(const char *path, int mode, struct ec2_error *err);

/* Removes a folder and everything below it; a missing folder is not an error. */
int util_rm_rf(const char *path, struct ec2_error *err);

/* Copies src to dst (created with mode), keeping holes: runs of zero blocks are skipped. */
int util_copy_sparse(const char *src, const char *dst, int mode, struct ec2_error *err);

bool util_file_exists(const char *path);

/* EC2's timestamp form, "2026-12-01T07:41:00.000Z", into buf (at least 32 bytes). */
void util_iso8601(time_t t, char *buf, size_t size);
/* The reverse of util_iso8601; (time_t)-1 when s is not in that form. */
time_t util_parse_iso8601(const char *s);

/* Whether path is a lock file some process holds an flock on: 1 held (or it cannot be told: the
 * holder may live), 0 free, -1 no such file. Takes and drops a shared lock to tell. */
int util_lock_held(const char *path);
/* Takes an exclusive flock on path (made if missing) without waiting: 1 taken (*fd holds it, until
 * closed or the process ends), 0 another process holds it, -1 it cannot be opened (*fd is then
 * -1). */
int util_lock_try(const char *path, int *fd);

/* Seconds since an arbitrary fixed point, not affected by clock changes. */
double util_monotonic(void);
void util_sleep_ms(unsigned ms);

/* A growing string: { 0 } is an empty one; s is NUL-terminated once anything was put (NULL
 * before); the caller frees s. */
struct util_buf {
	char *s;
	size_t len, cap;
};
void util_buf_put(struct util_buf *b, const char *s, size_t n);
void util_buf_puts(struct util_buf *b, const char *s);

/* Out of memory (docs/ARCHITECTURE.md, "Running out of memory"): allocations of sizes the code
 * chooses abort, as json-c does; a size that comes from input is bounded first, and its failure
 * is an error for that request, never an abort. */

/* printf into a new string the caller frees; never NULL (aborts on out-of-memory, as json-c does). */
char *util_strdupf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Runs argv[0] (looked up in PATH) with argv, no shell. Each line it writes to stdout or stderr
 * goes to on_line (when not NULL). Fails unless it exits with status 0; the error names the
 * program and quotes its last line of output. */
int util_run(const char *const argv[], void (*on_line)(void *opaque, const char *line),
	     void *opaque, struct ec2_error *err);

/* Runs fn(arg) in a detached process: a double fork into a session of its own, descriptors 0-2
 * on /dev/null, keep_fd (or none, -1) as descriptor 3 and every other descriptor closed; the
 * process exits when fn returns. Returns once the intermediate child is gone (no zombie), 0, or
 * -1 when it cannot fork. */
int util_detach(void (*fn)(void *arg), void *arg, int keep_fd, struct ec2_error *err);

/* The n bytes at d as lowercase hex into out (2n + 1 bytes). */
void util_hex(const unsigned char *d, size_t n, char *out);
/* Hex SHA-256 of len bytes into out (65 bytes). */
void util_sha256_hex(const void *data, size_t len, char out[65]);

/* Standard base64 of len bytes (caller frees). */
char *util_base64(const void *data, size_t len);

/* Whether s is text every front end can carry: valid UTF-8 with none of the characters XML 1.0
 * cannot hold (controls U+0000-U+001F other than tab, newline and carriage return; U+FFFE and
 * U+FFFF). *nchars (when not NULL) gets its length in characters, which is what EC2's length
 * limits count. */
bool util_text_valid(const char *s, size_t *nchars);

/* Checks the request value s of EC2 parameter param (NULL passes): util_text_valid and at most
 * max characters. InvalidParameterValue naming param otherwise (the message never repeats the
 * value, which may be what makes it invalid). */
int req_text_check(const char *param, const char *s, size_t max, struct ec2_error *err);

/* Reading EC2 request objects (json-c, with EC2's parameter names as keys). Values may be given as
 * JSON types or as strings (shorthand syntax and the Query protocol carry everything as strings).
 * The returned strings and objects are borrowed from req. */
const char *req_string(json_object *req, const char *key);
/* As req_string, but "" when absent (for output and comparisons). */
const char *req_str0(json_object *req, const char *key);
/* 1 and *out set when present and an integer; 0 when absent; -1 (err: InvalidParameterValue)
 * when present and not an integer. */
int req_int(json_object *req, const char *key, long long *out, struct ec2_error *err);
/* As req_int, for booleans ("true"/"false" accepted). */
int req_bool(json_object *req, const char *key, bool *out, struct ec2_error *err);
/* The list at key: an array as is; a lone value is wrapped in a new one-element array held by req
 * (so callers need not care). NULL when absent. */
json_object *req_list(json_object *req, const char *key);

/* Pagination of a describe action (MaxResults between min and max, NextToken): the items
 * [*first, *first + *count) of total are this page's; *next_token gets the token for the rest
 * (caller frees), or NULL when this is the last page. InvalidParameterValue for a MaxResults out
 * of bounds, InvalidNextToken for a token this did not make (or that points past the end). */
int req_page(json_object *req, long min, long max, size_t total, size_t *first, size_t *count,
	     char **next_token, struct ec2_error *err);

/* req_page over a whole list: resp[key] gets this page of list (borrowed), resp["NextToken"] the
 * token for the rest. */
int req_page_into(json_object *req, long min, long max, json_object *list, json_object *resp,
		  const char *key, struct ec2_error *err);

/* True when the array list (NULL or empty: every s is wanted) holds the string s. The filter of
 * every describe action's id list. */
bool json_strlist_wants(json_object *list, const char *s);

/* Adds a string/int/bool member to obj (json_object_object_add takes the new reference). */
void json_add_str(json_object *obj, const char *key, const char *value);
void json_add_int(json_object *obj, const char *key, int64_t value);
void json_add_bool(json_object *obj, const char *key, bool value);

#endif
