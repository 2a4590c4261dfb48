/* timeline: the boot phases a console shows, for debian-12's (kernel, systemd, cloud-init) and
 * tiny's (its own markers) boots; a phase counts once, at its first marker. */
#include <string.h>

#include "ec2lite/timeline.h"
#include "testutil.h"

static char *phases_of(const char *text)
{
	json_object *p = timeline_phases(text, strlen(text));
	char *out = strdup("");
	size_t i;

	for (i = 0; i < json_object_array_length(p); i++) {
		const char *ph = json_object_get_string(json_object_object_get(
			json_object_array_get_idx(p, i), "Phase"));
		char *more = malloc(strlen(out) + strlen(ph) + 2);

		strcpy(more, out);
		if (i)
			strcat(more, " ");
		strcat(more, ph);
		free(out);
		out = more;
	}
	json_object_put(p);
	return out;
}

START_TEST(debian_boot)
{
	char *got = phases_of(
		"[    0.000000] Linux version 6.1.0-50-amd64 (debian-kernel@lists.debian.org)\n"
		"[    7.286170] Run /init as init process\n"
		"[   16.737874] systemd[1]: systemd 252.39-1~deb12u2 running in system mode\n"
		"[   50.738842] cloud-init[244]: Cloud-init v. 22.4.2 running 'init-local' at Wed\n"
		"[   64.749734] cloud-init[305]: Cloud-init v. 22.4.2 running 'init' at Wed\n"
		"ip-172-31-4-235 login: [  113.251175] cloud-init[372]: Cloud-init v. 22.4.2 running "
		"'modules:config' at Wed\n"
		"[  128.051407] cloud-init[401]: Cloud-init v. 22.4.2 running 'modules:final' at Wed\n"
		"[  150.924897] cloud-init[401]: Cloud-init v. 22.4.2 finished at Wed, 02 Dec 2026\n"
		"[  151.000000] Linux version again does not count\n");

	ck_assert_str_eq(got, "kernel initramfs init cloud-init-local cloud-init-network "
			      "cloud-init-config user-data user-data-done login");
	free(got);
}
END_TEST

START_TEST(tiny_boot)
{
	char *got = phases_of("ec2-lite tiny: init started [up 0.91 s]\n"
			      "ec2-lite tiny: user-data started [up 1.20 s]\n"
			      "hello\n"
			      "ec2-lite tiny: user-data finished (exit status 0) [up 1.31 s]\n"
			      "ec2-lite tiny: ready [up 1.32 s]\n");

	ck_assert_str_eq(got, "init user-data user-data-done login");
	free(got);
	got = phases_of("");
	ck_assert_str_eq(got, "");
	free(got);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("timeline");
	TCase *tc = tcase_create("timeline");

	tcase_add_test(tc, debian_boot);
	tcase_add_test(tc, tiny_boot);
	suite_add_tcase(s, tc);
	return test_run(s) ? 1 : 0;
}
