/* seed: the NoCloud seed ISO and its meta-data. */
#include <stdlib.h>
#include <string.h>

#include "ec2lite/gfs.h"
#include "ec2lite/seed.h"
#include "ec2lite/util.h"
#include "testutil.h"

START_TEST(iso_has_cidata_label_and_files)
{
	char *dir = test_tmpdir(), *path = util_strdupf("%s/seed.iso", dir), *iso;
	const char *ud = "#!/bin/sh\necho hello from user-data\n";
	size_t len = 0;

	ck_assert_int_eq(seed_write(path, ud, strlen(ud), "instance-id: i-1\n", NULL), 0);
	iso = util_read_file(path, &len, NULL);
	ck_assert_ptr_nonnull(iso);
	ck_assert_uint_ge(len, 0x8000 + 2048);
	ck_assert_uint_eq(len % 2048, 0);
	/* The primary volume descriptor at sector 16, volume id at offset 40. */
	ck_assert_int_eq(iso[0x8000], 1);
	ck_assert_int_eq(memcmp(iso + 0x8001, "CD001", 5), 0);
	/* ISO 9660 d-characters are upper case there; the Joliet label (what blkid reports and
	 * cloud-init's LABEL=cidata finds) keeps the lower case. */
	ck_assert_int_eq(memcmp(iso + 0x8028, "CIDATA ", 7), 0);
	ck_assert_ptr_nonnull(memmem(iso, len, "\0c\0i\0d\0a\0t\0a", 12));
	/* The file contents are in the image as they were given. */
	ck_assert_ptr_nonnull(memmem(iso, len, ud, strlen(ud)));
	ck_assert_ptr_nonnull(memmem(iso, len, "instance-id: i-1\n", 17));
	/* Rock Ridge names (NM entries) keep them lower-case. */
	ck_assert_ptr_nonnull(memmem(iso, len, "user-data", 9));
	ck_assert_ptr_nonnull(memmem(iso, len, "meta-data", 9));
	free(iso);
	free(path);
	test_rmdir(dir);
}
END_TEST

START_TEST(empty_user_data_is_fine)
{
	char *dir = test_tmpdir(), *path = util_strdupf("%s/seed.iso", dir);

	ck_assert_int_eq(seed_write(path, NULL, 0, "instance-id: i-1\n", NULL), 0);
	ck_assert(util_file_exists(path));
	free(path);
	test_rmdir(dir);
}
END_TEST

START_TEST(unwritable_path_fails_cleanly)
{
	struct ec2_error err = { 0 };

	ck_assert_int_eq(seed_write("/nonexistent/dir/seed.iso", "x", 1, "a: b\n", &err), -1);
	ck_assert_str_eq(err.code, "InternalError");
}
END_TEST

/* Which datasources an image's cloud-init looks for, as golden images read it (an image whose
 * list leaves NoCloud out is launched without a seed): both YAML forms, comments, a file that
 * sets none, and a later setting in the same file. */
START_TEST(datasource_lists)
{
	char *flow[] = { "# ec2-lite", "datasource_list: [ NoCloud, None ]", "locale: false", NULL };
	char *block[] = { "datasource_list:", "  - Ec2", "  - None", "manage_etc_hosts: true", NULL };
	char *none[] = { "# datasource_list: [ Ec2 ]", "  datasource_list: nested", "x: 1", NULL };
	char *twice[] = { "datasource_list: [ NoCloud ]", "datasource_list: [ Ec2, None ]", NULL };
	char *empty_block[] = { "datasource_list:", "x: 1", NULL };
	char *l;

	l = gfs_datasource_list(flow);
	ck_assert_str_eq(l, "[ NoCloud, None ]");
	free(l);
	l = gfs_datasource_list(block);
	ck_assert_ptr_nonnull(strstr(l, "Ec2"));
	ck_assert_ptr_nonnull(strstr(l, "None"));
	ck_assert_ptr_null(strstr(l, "manage"));
	free(l);
	ck_assert_ptr_null(gfs_datasource_list(none));
	l = gfs_datasource_list(twice);
	ck_assert_str_eq(l, "[ Ec2, None ]");
	free(l);
	l = gfs_datasource_list(empty_block);
	ck_assert_str_eq(l, "");
	free(l);
}
END_TEST

START_TEST(meta_data_yaml)
{
	json_object *keys = json_tokener_parse("[\"ssh-ed25519 AAAA it's me\"]");
	char *m = seed_meta_data("i-0123456789abcdef0", "ip-172-31-0-5", keys);

	ck_assert_str_eq(m, "instance-id: i-0123456789abcdef0\n"
			    "local-hostname: ip-172-31-0-5\n"
			    "public-keys:\n"
			    "  - 'ssh-ed25519 AAAA it''s me'\n");
	free(m);
	m = seed_meta_data("i-1", "h", NULL);
	ck_assert_str_eq(m, "instance-id: i-1\nlocal-hostname: h\n");
	free(m);
	json_object_put(keys);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("seed");
	TCase *tc = tcase_create("seed");

	tcase_add_test(tc, iso_has_cidata_label_and_files);
	tcase_add_test(tc, empty_user_data_is_fine);
	tcase_add_test(tc, unwritable_path_fails_cleanly);
	tcase_add_test(tc, meta_data_yaml);
	tcase_add_test(tc, datasource_lists);
	suite_add_tcase(s, tc);
	return test_run(s) ? 1 : 0;
}
