/* conn: the accelerator choice. The timing probe runs for real (QEMU boots a 512-byte guest
 * under KVM and TCG); where /dev/kvm is missing its KVM half fails and TCG must be chosen. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ec2lite/conn.h"
#include "ec2lite/util.h"
#include "testutil.h"

static struct ec2_config cfg;
static char *dir;

static void setup(void)
{
	dir = test_tmpdir();
	ck_assert_int_eq(ec2_config_load(&cfg, dir, NULL), 0);
}

static void teardown(void)
{
	ec2_config_clear(&cfg);
	test_rmdir(dir);
}

START_TEST(setting_tcg_wins)
{
	struct ec2_accel_info a;

	ec2_config_set(&cfg.accelerator, "tcg");
	ec2_accel_detect(&cfg, NULL, &a);
	ck_assert_int_eq(a.accel, EC2_ACCEL_TCG);
	ck_assert_str_eq(a.reason, "accelerator=tcg is configured");
}
END_TEST

/* Where /dev/kvm is missing or PVM a rule decides; on any other host the timing probe does, and
 * caches its verdict. */
START_TEST(rule_or_probe_decides)
{
	struct ec2_accel_info a;
	int fd = open("/dev/kvm", O_RDWR);

	if (fd >= 0)
		close(fd);
	ec2_accel_detect(&cfg, NULL, &a);
	if (fd < 0) {
		ck_assert_int_eq(a.accel, EC2_ACCEL_TCG);
		ck_assert_ptr_nonnull(strstr(a.reason, "/dev/kvm is not usable"));
	} else if (util_file_exists("/sys/module/kvm_pvm")) {
		ck_assert_int_eq(a.accel, EC2_ACCEL_TCG);
		ck_assert_ptr_nonnull(strstr(a.reason, "PVM"));
		char *cache = util_strdupf("%s/accelerator.json", dir);

		/* The PVM rule decides before any probe runs. */
		ck_assert(!util_file_exists(cache));
		free(cache);
	} else {
		char *cache = util_strdupf("%s/accelerator.json", dir);

		ck_assert(util_file_exists(cache));
		ck_assert_ptr_nonnull(strstr(a.reason, "probe"));
		free(cache);
	}
}
END_TEST

START_TEST(probe_decides_and_caches)
{
	struct ec2_accel_info first, second;
	char *cache = util_strdupf("%s/accelerator.json", dir);

	ck_assert_msg(util_file_exists(cfg.qemu_binary), "%s is needed for the probe",
		      cfg.qemu_binary);
	ec2_accel_probe(&cfg, &first);
	ck_assert(first.reason[0] != '\0');
	ck_assert(!first.cached);
	/* Without a usable /dev/kvm, QEMU cannot start with accel=kvm (it exits 1): the probe must
	 * see a failed boot, never a fast KVM. */
	if (access("/dev/kvm", R_OK | W_OK) != 0) {
		ck_assert_int_eq(first.accel, EC2_ACCEL_TCG);
		ck_assert_str_eq(first.reason, "a probe guest failed to boot under KVM");
	}
	ck_assert(util_file_exists(cache));
	ec2_accel_probe(&cfg, &second);
	ck_assert(second.cached); /* read from the cache, nothing booted */
	ck_assert_int_eq(second.accel, first.accel);
	ck_assert_str_eq(second.reason, first.reason);
	free(cache);
}
END_TEST

/* A "QEMU" that exits with status 1 at once (as QEMU does when accel=kvm cannot initialise) has
 * booted nothing: the probe must not mistake that for the guest's debug-exit. */
START_TEST(qemu_failing_is_not_a_boot)
{
	struct ec2_accel_info a;

	ec2_config_set(&cfg.qemu_binary, "/bin/false");
	ec2_accel_probe(&cfg, &a);
	ck_assert(!a.cached);
	ck_assert_int_eq(a.accel, EC2_ACCEL_TCG);
	ck_assert_str_eq(a.reason, "a probe guest failed to boot under KVM");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("conn");
	TCase *tc = tcase_create("conn");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, setting_tcg_wins);
	tcase_add_test(tc, rule_or_probe_decides);
	tcase_add_test(tc, probe_decides_and_caches);
	tcase_add_test(tc, qemu_failing_is_not_a_boot);
	suite_add_tcase(s, tc);
	return test_run(s) ? 1 : 0;
}
