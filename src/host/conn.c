/* The libvirt connection and the accelerator probe: see include/ec2lite/conn.h. */
#include "ec2lite/conn.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <libvirt/virterror.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ec2lite/domxml.h"
#include "ec2lite/util.h"

static void quiet(void *opaque, virErrorPtr e)
{
	(void)opaque;
	(void)e;
}

virConnectPtr ec2_conn_open(const char *uri, struct ec2_error *err)
{
	virConnectPtr c;

	virSetErrorFunc(NULL, quiet);
	c = virConnectOpen(uri);
	if (!c)
		ec2_error_set_libvirt(err, "cannot connect to libvirt at '%s'", uri);
	return c;
}

bool ec2_conn_is_test(virConnectPtr conn)
{
	const char *type = virConnectGetType(conn);

	return type && strcasecmp(type, "TEST") == 0;
}

const char *ec2_accel_name(enum ec2_accel a)
{
	return a == EC2_ACCEL_KVM ? "kvm" : "tcg";
}

/* What the probe guest writes to QEMU's isa-debug-exit port, and the exit status QEMU then has:
 * (value << 1) | 1. QEMU exits with status 1 on its own errors (accel=kvm that cannot initialise,
 * a bad option), so the guest's success must be a status QEMU never produces by itself. */
#define PROBE_EXIT_VALUE 0x2a
#define PROBE_EXIT_STATUS ((PROBE_EXIT_VALUE << 1) | 1) /* 85 */

/* A 512-byte boot sector that writes PROBE_EXIT_VALUE to QEMU's isa-debug-exit port. Booting it
 * measures firmware start-up plus a little guest code under an accelerator. */
static int write_probe_disk(const char *path)
{
	unsigned char sector[512] = {
		0xb0, PROBE_EXIT_VALUE, /* mov al, PROBE_EXIT_VALUE */
		0xe6, 0xf4,       /* out 0xf4, al */
		0xf4,             /* hlt */
		0xeb, 0xfd,       /* jmp back to hlt */
	};
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ssize_t n;

	sector[510] = 0x55;
	sector[511] = 0xaa;
	if (fd < 0)
		return -1;
	n = write(fd, sector, sizeof(sector));
	close(fd);
	return n == (ssize_t)sizeof(sector) ? 0 : -1;
}

/* Boots the probe disk with accel ("kvm" or "tcg"); returns seconds taken, or -1 if QEMU failed
 * or did not finish within 20 s. */
static double time_boot(const char *qemu, const char *disk, const char *accel)
{
	/* KVM domains run with the host CPU model, so the probe does too (on some nested KVMs
	 * that alone makes QEMU abort: then the probe fails and TCG is chosen). */
	const char *cpu = strcmp(accel, "kvm") == 0 ? "host" : "qemu64";
	char machine[64], *drive;
	double start = util_monotonic();
	pid_t pid;
	int status = 0;

	snprintf(machine, sizeof(machine), "pc,accel=%s", accel);
	/* The state folder's path may hold a comma, which QEMU would read as a new option. */
	drive = domxml_qemu_drive(disk, "format=raw,if=ide");
	pid = fork();
	if (pid < 0) {
		free(drive);
		return -1;
	}
	if (pid == 0) {
		const char *argv[] = { qemu, "-machine", machine, "-cpu", cpu, "-m", "16", "-nodefaults",
				       "-no-user-config", "-display", "none", "-serial", "none",
				       "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
				       "-drive", drive, NULL };
		int devnull = open("/dev/null", O_RDWR);

		if (devnull >= 0) {
			dup2(devnull, 0);
			dup2(devnull, 1);
			dup2(devnull, 2);
		}
		execv(qemu, (char *const *)argv);
		_exit(127);
	}
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			break;
		if (r < 0 || util_monotonic() - start > 20) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			free(drive);
			return -1;
		}
		util_sleep_ms(20);
	}
	free(drive);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != PROBE_EXIT_STATUS)
		return -1;
	return util_monotonic() - start;
}

static void set(struct ec2_accel_info *out, enum ec2_accel a, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set(struct ec2_accel_info *out, enum ec2_accel a, const char *fmt, ...)
{
	va_list ap;

	out->accel = a;
	out->cached = false;
	va_start(ap, fmt);
	vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
	va_end(ap);
}

/* Reads or runs the timing probe. The cache key is the host kernel and the QEMU binary, so an
 * upgrade of either probes again. */
void ec2_accel_probe(const struct ec2_config *cfg, struct ec2_accel_info *out)
{
	struct utsname u;
	char *cache = util_strdupf("%s/accelerator.json", cfg->state_dir);
	char *key, *disk = NULL;
	json_object *root = json_object_from_file(cache), *v;
	double kvm, tcg;

	uname(&u);
	key = util_strdupf("%s %s", u.release, cfg->qemu_binary);
	if (root && json_object_object_get_ex(root, "key", &v) &&
	    strcmp(json_object_get_string(v), key) == 0 &&
	    json_object_object_get_ex(root, "accelerator", &v)) {
		bool is_kvm = strcmp(json_object_get_string(v), "kvm") == 0;

		set(out, is_kvm ? EC2_ACCEL_KVM : EC2_ACCEL_TCG,
		    "%s", json_object_object_get_ex(root, "reason", &v) ?
		    json_object_get_string(v) : "cached probe verdict");
		out->cached = true;
		goto out;
	}
	disk = util_strdupf("%s/accel-probe.img", cfg->state_dir);
	if (util_mkdir_p(cfg->state_dir, 0755, NULL) < 0 || write_probe_disk(disk) < 0) {
		set(out, EC2_ACCEL_TCG, "%s", "the KVM probe could not run; TCG is the safe choice");
		goto out;
	}
	kvm = time_boot(cfg->qemu_binary, disk, "kvm");
	tcg = time_boot(cfg->qemu_binary, disk, "tcg");
	unlink(disk);
	if (kvm < 0) {
		set(out, EC2_ACCEL_TCG, "%s", "a probe guest failed to boot under KVM");
	} else if (tcg >= 0 && kvm > tcg) {
		char why[160];

		snprintf(why, sizeof(why), "a probe guest booted slower under KVM (%.2f s) than under "
			 "TCG (%.2f s)", kvm, tcg);
		set(out, EC2_ACCEL_TCG, "%s", why);
	} else {
		char why[160];

		snprintf(why, sizeof(why), "KVM works: a probe guest booted in %.2f s (TCG %.2f s)",
			 kvm, tcg);
		set(out, EC2_ACCEL_KVM, "%s", why);
	}
	json_object_put(root);
	root = json_object_new_object();
	json_add_str(root, "key", key);
	json_add_str(root, "accelerator", ec2_accel_name(out->accel));
	json_add_str(root, "reason", out->reason);
	json_object_to_file_ext(cache, root, JSON_C_TO_STRING_PRETTY);
out:
	json_object_put(root);
	free(disk);
	free(key);
	free(cache);
}

void ec2_accel_detect(const struct ec2_config *cfg, virConnectPtr conn,
		      struct ec2_accel_info *out)
{
	const char *want = cfg->accelerator ? cfg->accelerator : "auto";
	int fd;

	if (strcmp(want, "tcg") == 0) {
		set(out, EC2_ACCEL_TCG, "%s", "accelerator=tcg is configured");
		return;
	}
	if (conn && ec2_conn_is_test(conn)) {
		set(out, EC2_ACCEL_TCG, "%s", "libvirt's test driver runs no guests");
		return;
	}
	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		set(out, EC2_ACCEL_TCG, "/dev/kvm is not usable (%s)", strerror(errno));
		return;
	}
	close(fd);
	if (strcmp(want, "kvm") == 0) {
		set(out, EC2_ACCEL_KVM, "%s", "accelerator=kvm is configured");
		return;
	}
	if (util_file_exists("/sys/module/kvm_pvm")) {
		set(out, EC2_ACCEL_TCG, "%s",
		    "/dev/kvm is PVM (nested paravirtual KVM, /sys/module/kvm_pvm): stock guest "
		    "kernels run far slower on it than under TCG");
		return;
	}
	ec2_accel_probe(cfg, out);
}
