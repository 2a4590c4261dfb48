/* Helpers shared by the Check suites: see testutil.h. */
#include "testutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	char *t = strdup("/tmp/ec2lite-test-XXXXXX");

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
