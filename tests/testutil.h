/* Helpers shared by the Check suites. */
#ifndef EC2LITE_TESTUTIL_H
#define EC2LITE_TESTUTIL_H

#include <check.h>
#include <json-c/json.h>

/* The data folder (tests/data) and the repository's data folder. */
const char *test_data_dir(void);
const char *test_repo_dir(void);

/* A new empty temporary folder (caller frees the string; removes it with test_rmdir). */
char *test_tmpdir(void);
void test_rmdir(char *dir);

/* Compares text with the golden file tests/data/<name>; with EC2LITE_UPDATE_GOLDEN=1 in the
 * environment it rewrites the file instead. */
void test_golden(const char *name, const char *text);

/* A new JSON object from printf-style text; a test fails on text that is not JSON. */
json_object *J(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

struct ec2_config;
struct ec2_ctx;
struct ec2_error;

/* A context (flags: ec2_ctx_open's) on libvirt's test driver over a new temporary state folder,
 * returned (test_driver_close removes it), with memory overcommit 100: the test driver's host is
 * small, and capacity has tests of its own. An AMI named name is registered from a small raw disk,
 * its id written into ami (32 bytes). */
char *test_driver_open(struct ec2_config *cfg, struct ec2_ctx *ctx, unsigned flags,
		       const char *name, char ami[32]);
void test_driver_close(struct ec2_config *cfg, struct ec2_ctx *ctx, char **dir);

/* Calls an action on ctx that must succeed; req is consumed, the answer is the caller's. */
json_object *test_ok(struct ec2_ctx *ctx,
		     json_object *(*fn)(struct ec2_ctx *, json_object *, struct ec2_error *),
		     json_object *req);
/* Calls an action on ctx that must fail with code (and message, when not NULL); req is consumed.
 * Returns the error's message (static, until the next call). */
const char *test_fails(struct ec2_ctx *ctx,
		       json_object *(*fn)(struct ec2_ctx *, json_object *, struct ec2_error *),
		       json_object *req, const char *code, const char *message);

/* Runs suite s and returns the number of failures. */
int test_run(Suite *s);

#endif
