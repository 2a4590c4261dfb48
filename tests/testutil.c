/* Helpers shared by the Check suites: see testutil.h. */
#include "testutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ec2lite/ec2.h"
#include "ec2lite/filter.h"
#include "ec2lite/image.h"
#include "ec2lite/util.h"

const char *test_data_dir(void)
{
	const char *d = getenv("EC2LITE_TEST_DATA");

	return d ? d : "tests/data";
}

const char *test_repo_dir(void)
{
	const char *d = getenv("EC2_LITE_DATA_DIR");

	return d ? d : ".";
}

char *test_tmpdir(void)
{
	const char *tmp = getenv("TMPDIR");
	char *t = util_strdupf("%s/ec2lite-test-XXXXXX", tmp && *tmp ? tmp : "/tmp");

	ck_assert_ptr_nonnull(t);
	ck_assert_ptr_nonnull(mkdtemp(t));
	return t;
}

void test_rmdir(char *dir)
{
	if (dir)
		util_rm_rf(dir, NULL);
	free(dir);
}

void test_golden(const char *name, const char *text)
{
	char *path = util_strdupf("%s/%s", test_data_dir(), name);
	char *want;
	const char *update = getenv("EC2LITE_UPDATE_GOLDEN");

	if (update && strcmp(update, "1") == 0) {
		FILE *f = fopen(path, "w");

		ck_assert_ptr_nonnull(f);
		fputs(text, f);
		fclose(f);
	}
	want = util_read_file(path, NULL, NULL);
	ck_assert_msg(want != NULL, "golden file %s is missing", path);
	ck_assert_str_eq(text, want);
	free(want);
	free(path);
}

int test_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed;
}

json_object *J(const char *fmt, ...)
{
	va_list ap;
	char *s;
	json_object *o;

	va_start(ap, fmt);
	ck_assert_int_ge(vasprintf(&s, fmt, ap), 0);
	va_end(ap);
	o = json_tokener_parse(s);
	ck_assert_msg(o != NULL, "bad test JSON: %s", s);
	free(s);
	return o;
}

json_object *test_ok(struct ec2_ctx *ctx,
		     json_object *(*fn)(struct ec2_ctx *, json_object *, struct ec2_error *),
		     json_object *req)
{
	struct ec2_error err = { 0 };
	json_object *resp = fn(ctx, req, &err);

	ck_assert_msg(resp != NULL, "%s: %s", err.code, err.message);
	json_object_put(req);
	return resp;
}

const char *test_fails(struct ec2_ctx *ctx,
		       json_object *(*fn)(struct ec2_ctx *, json_object *, struct ec2_error *),
		       json_object *req, const char *code, const char *message)
{
	static struct ec2_error err;
	json_object *resp;

	memset(&err, 0, sizeof(err));
	resp = fn(ctx, req, &err);
	ck_assert_msg(resp == NULL, "expected %s, got %s", code,
		      resp ? json_object_to_json_string(resp) : "");
	ck_assert_str_eq(err.code, code);
	if (message)
		ck_assert_str_eq(err.message, message);
	json_object_put(req);
	return err.message;
}

char *test_driver_open(struct ec2_config *cfg, struct ec2_ctx *ctx, unsigned flags,
		       const char *name, char ami[32])
{
	struct ec2_error err = { 0 };
	char *dir = test_tmpdir(), *disk;
	json_object *req, *r;
	FILE *f;
	int i;

	ck_assert_int_eq(ec2_config_load(cfg, dir, &err), 0);
	ec2_config_set(&cfg->connect_uri, "test:///default");
	ec2_config_set(&cfg->data_dir, test_repo_dir());
	cfg->memory_overcommit = 100;
	ck_assert_msg(ec2_ctx_open(ctx, cfg, flags, &err) == 0, "%s", err.message);
	disk = util_strdupf("%s/disk.raw", dir);
	f = fopen(disk, "w");
	ck_assert_ptr_nonnull(f);
	for (i = 0; i < 4096; i++)
		fputs("ec2-lite test disk ", f);
	fclose(f);
	req = J("{\"Name\": \"%s\", \"DiskPath\": \"%s\"}", name, disk);
	r = ec2_register_image(ctx, req, &err);
	json_object_put(req);
	ck_assert_msg(r != NULL, "%s: %s", err.code, err.message);
	snprintf(ami, 32, "%s", json_object_get_string(json_path(r, "ImageId")));
	json_object_put(r);
	free(disk);
	return dir;
}

void test_driver_close(struct ec2_config *cfg, struct ec2_ctx *ctx, char **dir)
{
	ec2_ctx_close(ctx);
	ec2_config_clear(cfg);
	test_rmdir(*dir);
	*dir = NULL;
}
