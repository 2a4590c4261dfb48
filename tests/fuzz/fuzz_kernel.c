/* libFuzzer target: the kernel image parser (src/host/kernel.c). Every input is read as an ELF image
 * (kernel_has_pvh_note) and, written to a file, as a bzImage (kernel_extract_vmlinux: the setup
 * header, the payload's place, its xz, zstd or gzip stream and the ELF it decodes to). Whatever
 * the bytes, neither may crash, leak, read out of bounds or take memory without bound (libFuzzer's
 * -rss_limit_mb and -malloc_limit_mb), and a failed extraction leaves nothing behind. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ec2lite/kernel.h"
#include "ec2lite/util.h"

static char *dir, *in_path, *out_path;

static void cleanup(void)
{
	unlink(in_path);
	unlink(out_path);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char tmpl[] = "/dev/shm/fuzz_kernel.XXXXXX";

	(void)argc;
	(void)argv;
	if (!mkdtemp(tmpl))
		abort();
	dir = strdup(tmpl);
	in_path = util_strdupf("%s/bzImage", dir);
	out_path = util_strdupf("%s/vmlinux", dir);
	atexit(cleanup);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ec2_error err = { 0 };
	bool pvh = false;
	FILE *f;

	kernel_has_pvh_note(data, size);
	f = fopen(in_path, "w");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
	if (kernel_extract_vmlinux(in_path, out_path, &pvh, &err) == 0) {
		unlink(out_path);
	} else {
		if (err.code[0] == '\0' || access(out_path, F_OK) == 0)
			abort(); /* a failure without an error, or something left at out */
	}
	unlink(in_path);
	return 0;
}
