/* store: atomic, locked read-modify-write; terminated entries expire after an hour. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ec2lite/store.h"
#include "ec2lite/util.h"
#include "testutil.h"

static int add_key(json_object *root, void *opaque, struct ec2_error *err)
{
	(void)err;
	json_add_int(store_section(root, "images"), opaque, 1);
	return 0;
}

static int refuse(json_object *root, void *opaque, struct ec2_error *err)
{
	json_add_int(store_section(root, "images"), "should-not-stay", 1);
	(void)opaque;
	ec2_error_set(err, "InvalidParameterValue", "refused");
	return -1;
}

START_TEST(update_then_read)
{
	char *dir = test_tmpdir();
	struct ec2_error err = { 0 };
	struct store *s = store_open(dir, &err);
	json_object *root, *v;

	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(store_update(s, add_key, "ami-1", &err), 0);
	ck_assert_int_eq(store_update(s, refuse, NULL, &err), -1);
	ck_assert_str_eq(err.message, "refused");
	root = store_read(s, &err);
	ck_assert(json_object_object_get_ex(store_section(root, "images"), "ami-1", &v));
	ck_assert(!json_object_object_get_ex(store_section(root, "images"), "should-not-stay", &v));
	json_object_put(root);
	store_close(s);
	test_rmdir(dir);
}
END_TEST

/* Eight processes each add 40 entries at once: every one of the 320 must be there. */
START_TEST(concurrent_writers_lose_nothing)
{
	enum { WRITERS = 8, EACH = 40 };
	char *dir = test_tmpdir();
	struct store *s;
	json_object *root;
	int w, status;

	for (w = 0; w < WRITERS; w++) {
		if (fork() == 0) {
			struct store *cs = store_open(dir, NULL);
			int k;

			for (k = 0; k < EACH; k++) {
				char key[32];

				snprintf(key, sizeof(key), "w%d-%d", w, k);
				if (store_update(cs, add_key, key, NULL) < 0)
					_exit(1);
			}
			store_close(cs);
			_exit(0);
		}
	}
	for (w = 0; w < WRITERS; w++) {
		ck_assert_int_gt(wait(&status), 0);
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	s = store_open(dir, NULL);
	root = store_read(s, NULL);
	ck_assert_int_eq(json_object_object_length(store_section(root, "images")), WRITERS * EACH);
	json_object_put(root);
	store_close(s);
	test_rmdir(dir);
}
END_TEST

/* Readers beside a writer always see a whole store. The readers that matter most take no lock
 * at all (another tool, a person's jq, a process killed between lock and read): reading
 * state.json straight from disk while it is rewritten 200 times, each read must parse as the
 * whole document, which only the temporary file and rename give (an in-place rewrite shows an
 * empty or half-written file). Readers through store_read are checked as well. The store is
 * made large (~100 KiB) so that a rewrite takes long enough to be caught in the middle, and the
 * readers go on for as long as the writer writes. */
static int add_many(json_object *root, void *opaque, struct ec2_error *err)
{
	json_object *images = store_section(root, "images");
	int k;

	(void)opaque;
	(void)err;
	for (k = 0; k < 2000; k++) {
		char key[64];

		snprintf(key, sizeof(key), "ami-%08d-padding-to-make-the-store-large", k);
		json_add_int(images, key, k);
	}
	return 0;
}

START_TEST(readers_never_see_a_partial_file)
{
	char *dir = test_tmpdir();
	char *path = util_strdupf("%s/state.json", dir);
	struct store *s = store_open(dir, NULL);
	pid_t writer;
	int k, status, raw_reads = 0, done = 0;

	ck_assert_int_eq(store_update(s, add_key, "seed", NULL), 0);
	ck_assert_int_eq(store_update(s, add_many, NULL, NULL), 0);
	writer = fork();
	if (writer == 0) {
		struct store *cs = store_open(dir, NULL);

		for (k = 0; k < 200; k++) {
			char key[32];

			snprintf(key, sizeof(key), "k%d", k);
			if (store_update(cs, add_key, key, NULL) < 0)
				_exit(1);
		}
		_exit(0);
	}
	for (k = 0; !done || k < 400; k++) {
		struct ec2_error err = { 0 };
		json_object *root, *v;
		char *text;
		size_t len;

		/* No lock: the file as it is on disk at this moment. */
		text = util_read_file(path, &len, &err);
		ck_assert_msg(text != NULL, "%s", err.message);
		root = json_tokener_parse(text);
		ck_assert_msg(root != NULL, "a reader without the lock read a partial store "
			      "(%zu bytes) on read %d", len, raw_reads);
		ck_assert(json_object_object_get_ex(store_section(root, "images"), "seed", &v));
		json_object_put(root);
		free(text);
		raw_reads++;

		/* Through the store, under its shared lock. */
		root = store_read(s, NULL);
		ck_assert_ptr_nonnull(root);
		ck_assert(json_object_object_get_ex(store_section(root, "images"), "seed", &v));
		json_object_put(root);

		if (!done && waitpid(writer, &status, WNOHANG) == writer)
			done = 1;
	}
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	store_close(s);
	free(path);
	test_rmdir(dir);
}
END_TEST

static time_t fake_now;

static time_t fake_clock(void)
{
	return fake_now;
}

static int add_terminated(json_object *root, void *opaque, struct ec2_error *err)
{
	json_object *e = json_object_new_object();

	(void)err;
	json_add_int(e, "TerminatedAt", (int64_t)fake_now);
	json_object_object_add(store_section(root, "terminated"), opaque, e);
	return 0;
}

static int nothing(json_object *root, void *opaque, struct ec2_error *err)
{
	(void)root;
	(void)opaque;
	(void)err;
	return 0;
}

START_TEST(terminated_visible_for_an_hour)
{
	char *dir = test_tmpdir();
	struct store *s = store_open(dir, NULL);
	json_object *root, *v;
	char *text, *path = util_strdupf("%s/state.json", dir);
	time_t (*real_clock)(void) = store_now;

	store_now = fake_clock;
	fake_now = 1000000;
	ck_assert_int_eq(store_update(s, add_terminated, "i-00000001", NULL), 0);
	fake_now += 3599;
	root = store_read(s, NULL);
	ck_assert(json_object_object_get_ex(store_section(root, "terminated"), "i-00000001", &v));
	json_object_put(root);
	fake_now += 1;
	root = store_read(s, NULL);
	ck_assert(!json_object_object_get_ex(store_section(root, "terminated"), "i-00000001", &v));
	json_object_put(root);
	/* The next write purges it from the file too. */
	ck_assert_int_eq(store_update(s, nothing, NULL, NULL), 0);
	text = util_read_file(path, NULL, NULL);
	ck_assert_ptr_null(strstr(text, "i-00000001"));
	free(text);
	free(path);
	store_now = real_clock;
	store_close(s);
	test_rmdir(dir);
}
END_TEST

START_TEST(corrupt_store_is_an_error_not_a_reset)
{
	char *dir = test_tmpdir();
	char *path = util_strdupf("%s/state.json", dir);
	struct ec2_error err = { 0 };
	struct store *s;
	FILE *f = fopen(path, "w");
	char *text;

	fputs("{\"images\": {", f);
	fclose(f);
	s = store_open(dir, NULL);
	ck_assert_ptr_null(store_read(s, &err));
	ck_assert_int_eq(store_update(s, add_key, "x", &err), -1);
	ck_assert_ptr_nonnull(strstr(err.message, "not valid JSON"));
	text = util_read_file(path, NULL, NULL);
	ck_assert_str_eq(text, "{\"images\": {"); /* left as it was, for the operator */
	free(text);
	free(path);
	store_close(s);
	test_rmdir(dir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("store");

	tcase_add_test(tc, update_then_read);
	tcase_add_test(tc, concurrent_writers_lose_nothing);
	tcase_add_test(tc, readers_never_see_a_partial_file);
	tcase_add_test(tc, terminated_visible_for_an_hour);
	tcase_add_test(tc, corrupt_store_is_an_error_not_a_reset);
	suite_add_tcase(s, tc);
	return test_run(s) ? 1 : 0;
}
