/* kernel: the vmlinux inside a bzImage and its PVH note. The host's own Debian kernel (xz) is
 * the real case; synthetic bzImages carry gzip and zstd payloads, and ELF images with and without
 * the note check the detection. */
#include <dirent.h>
#include <lzma.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "ec2lite/kernel.h"
#include "ec2lite/util.h"
#include "testutil.h"

/* A minimal ELF64 with one PT_NOTE segment holding a Xen note of the given type. */
static size_t fake_elf(unsigned char *buf, unsigned note_type)
{
	memset(buf, 0, 256);
	memcpy(buf, "\177ELF", 4);
	buf[4] = 2;
	buf[5] = 1;
	buf[32] = 64;              /* e_phoff */
	buf[54] = 56;              /* e_phentsize */
	buf[56] = 1;               /* e_phnum */
	buf[64] = 4;               /* p_type = PT_NOTE */
	buf[64 + 8] = 120;         /* p_offset */
	buf[64 + 32] = 20;         /* p_filesz */
	buf[120] = 4;              /* namesz */
	buf[124] = 4;              /* descsz */
	buf[128] = (unsigned char)note_type;
	memcpy(buf + 132, "Xen", 4);
	return 256;
}

/* A bzImage shell around payload: the setup header and payload_offset/length. */
static char *fake_bzimage(const char *dir, const char *name, const void *payload, size_t len)
{
	char *path = util_strdupf("%s/%s", dir, name);
	size_t total = 5 * 512 + len;
	unsigned char *img = calloc(1, total);

	img[0x1f1] = 4; /* setup_sects: protected-mode code at 5 * 512 */
	memcpy(img + 0x202, "HdrS", 4);
	img[0x206] = 0x0f;
	img[0x207] = 0x02; /* boot protocol 2.15 */
	img[0x24c] = (unsigned char)(len & 0xff);
	img[0x24d] = (unsigned char)(len >> 8 & 0xff);
	img[0x24e] = (unsigned char)(len >> 16 & 0xff);
	img[0x24f] = (unsigned char)(len >> 24 & 0xff);
	memcpy(img + 5 * 512, payload, len);
	ck_assert_int_eq(util_write_file_atomic(path, img, total, 0644, NULL), 0);
	free(img);
	return path;
}

START_TEST(pvh_note_detection)
{
	unsigned char elf[256];

	ck_assert(kernel_has_pvh_note(elf, fake_elf(elf, 18)));
	ck_assert(!kernel_has_pvh_note(elf, fake_elf(elf, 17)));
	ck_assert(!kernel_has_pvh_note((const unsigned char *)"not an elf at all, no", 21));
	fake_elf(elf, 18);
	elf[64 + 8] = 250; /* the note segment runs past the end */
	ck_assert(!kernel_has_pvh_note(elf, 256));
}
END_TEST

START_TEST(gzip_and_zstd_payloads)
{
	char *dir = test_tmpdir(), *gz, *zs, *out = util_strdupf("%s/vmlinux", dir), *back;
	unsigned char elf[256], gzbuf[1024], zsbuf[1024];
	z_stream z;
	size_t n = fake_elf(elf, 18), zn, len;
	bool pvh = false;

	memset(&z, 0, sizeof(z));
	ck_assert_int_eq(deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = elf;
	z.avail_in = (uInt)n;
	z.next_out = gzbuf;
	z.avail_out = sizeof(gzbuf);
	ck_assert_int_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
	gz = fake_bzimage(dir, "gz.bzImage", gzbuf, sizeof(gzbuf) - z.avail_out);
	deflateEnd(&z);
	ck_assert_int_eq(kernel_extract_vmlinux(gz, out, &pvh, NULL), 0);
	ck_assert(pvh);
	back = util_read_file(out, &len, NULL);
	ck_assert_uint_eq(len, n);
	ck_assert_int_eq(memcmp(back, elf, n), 0);
	free(back);

	zn = ZSTD_compress(zsbuf, sizeof(zsbuf), elf, fake_elf(elf, 17), 3);
	ck_assert(!ZSTD_isError(zn));
	zs = fake_bzimage(dir, "zstd.bzImage", zsbuf, zn);
	pvh = true;
	ck_assert_int_eq(kernel_extract_vmlinux(zs, out, &pvh, NULL), 0);
	ck_assert(!pvh); /* type 17 is not the PVH entry */
	free(gz);
	free(zs);
	free(out);
	test_rmdir(dir);
}
END_TEST

START_TEST(not_a_bzimage)
{
	char *dir = test_tmpdir(), *out = util_strdupf("%s/vmlinux", dir);
	char *junk = fake_bzimage(dir, "junk.bzImage", "not compressed at all", 21);
	char *plain = util_strdupf("%s/plain", dir);
	struct ec2_error err = { 0 };
	bool pvh;

	ck_assert_int_eq(kernel_extract_vmlinux(junk, out, &pvh, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.message, "not xz, zstd or gzip"));
	ck_assert_int_eq(util_write_file_atomic(plain, "hello", 5, 0644, NULL), 0);
	ck_assert_int_eq(kernel_extract_vmlinux(plain, out, &pvh, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.message, "is not a bzImage"));
	ck_assert(!util_file_exists(out));
	free(junk);
	free(plain);
	free(out);
	test_rmdir(dir);
}
END_TEST

/* Crafted program-header tables: offsets and sizes chosen so that a sum wraps around 2^64 and
 * lands inside the buffer, or runs past it. The image sits right after a page that cannot be read,
 * so a read before it faults even without AddressSanitizer. */
START_TEST(crafted_program_headers)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned char *map = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), *elf;
	static const struct {
		uint64_t phoff;
		uint16_t phentsize, phnum;
	} cases[] = {
		{ UINT64_MAX - 7, 56, 1 },       /* phoff + 56 wraps to 48: ph would be elf - 8 */
		{ UINT64_MAX - 55, 56, 2 },      /* wraps on the second entry */
		{ UINT64_MAX, 0xffff, 0xffff },
		{ 64, 0xffff, 0xffff },          /* entries far past the end */
		{ 64, 56, 0xffff },
		{ 1ULL << 63, 56, 1 },
		{ 200, 56, 1 },                  /* the one entry runs past the end */
	};
	size_t i;
	int b;

	ck_assert(map != MAP_FAILED);
	ck_assert_int_eq(mprotect(map, (size_t)page, PROT_NONE), 0);
	elf = map + page;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fake_elf(elf, 18);
		for (b = 0; b < 8; b++)
			elf[32 + b] = (unsigned char)(cases[i].phoff >> (8 * b));
		elf[54] = (unsigned char)cases[i].phentsize;
		elf[55] = (unsigned char)(cases[i].phentsize >> 8);
		elf[56] = (unsigned char)cases[i].phnum;
		elf[57] = (unsigned char)(cases[i].phnum >> 8);
		ck_assert_msg(!kernel_has_pvh_note(elf, 256), "case %zu", i);
	}
	munmap(map, (size_t)page * 2);
}
END_TEST

/* A bomb: an ELF header, then `zeros` zero bytes, compressed with codec ("gz", "xz", "zstd")
 * without ever holding the whole in memory. Returns the compressed bytes (caller frees). */
static unsigned char *bomb(const char *codec, size_t zeros, size_t *outlen)
{
	static unsigned char chunk[1 << 20];
	size_t cap = 4 << 20, len = 0, done = 0;
	unsigned char *out = malloc(cap);

	memset(chunk, 0, sizeof(chunk));
	memcpy(chunk, "\177ELF\002\001", 6);
	if (strcmp(codec, "gz") == 0) {
		z_stream z;

		memset(&z, 0, sizeof(z));
		ck_assert_int_eq(deflateInit2(&z, 1, Z_DEFLATED, 16 + MAX_WBITS, 8,
					      Z_DEFAULT_STRATEGY), Z_OK);
		z.next_out = out;
		z.avail_out = (uInt)cap;
		while (done < zeros) {
			z.next_in = chunk;
			z.avail_in = sizeof(chunk);
			done += sizeof(chunk);
			ck_assert_int_eq(deflate(&z, done < zeros ? Z_NO_FLUSH : Z_FINISH),
					 done < zeros ? Z_OK : Z_STREAM_END);
			memset(chunk, 0, 8);
		}
		len = cap - z.avail_out;
		deflateEnd(&z);
	} else if (strcmp(codec, "xz") == 0) {
		lzma_stream x = LZMA_STREAM_INIT;
		lzma_ret r;

		ck_assert_int_eq(lzma_easy_encoder(&x, 0, LZMA_CHECK_CRC32), LZMA_OK);
		x.next_out = out;
		x.avail_out = cap;
		while (done < zeros) {
			x.next_in = chunk;
			x.avail_in = sizeof(chunk);
			done += sizeof(chunk);
			do
				r = lzma_code(&x, done < zeros ? LZMA_RUN : LZMA_FINISH);
			while (r == LZMA_OK && x.avail_in > 0);
			memset(chunk, 0, 8);
		}
		while (r == LZMA_OK)
			r = lzma_code(&x, LZMA_FINISH);
		ck_assert_int_eq(r, LZMA_STREAM_END);
		len = cap - x.avail_out;
		lzma_end(&x);
	} else {
		ZSTD_CCtx *c = ZSTD_createCCtx();
		ZSTD_outBuffer ob = { out, cap, 0 };
		size_t left;

		while (done < zeros) {
			ZSTD_inBuffer ib = { chunk, sizeof(chunk), 0 };

			done += sizeof(chunk);
			do
				left = ZSTD_compressStream2(c, &ob, &ib, done < zeros ? ZSTD_e_continue
										  : ZSTD_e_end);
			while (!ZSTD_isError(left) && (ib.pos < ib.size || (done >= zeros && left)));
			ck_assert(!ZSTD_isError(left));
			memset(chunk, 0, 8);
		}
		len = ob.pos;
		ZSTD_freeCCtx(c);
	}
	*outlen = len;
	return out;
}

/* The peak the bombs may reach: the 256 MiB cap and a little. AddressSanitizer's shadow memory and
 * its quarantine of freed blocks (the growing output buffer's old copies) add to it; still well
 * under what the decoded 400 MiB would take there. */
#if defined(__SANITIZE_ADDRESS__)
#define BOMB_RSS_MIB 700
#else
#define BOMB_RSS_MIB 300
#endif

static long max_rss_mib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss / 1024;
}

/* Payloads that decode to 400 MiB (more than any vmlinux): refused with an EC2 error once the
 * output passes the limit, not decoded to the end (Check runs each test in a process of its
 * own, so the peak resident size is this test's). */
START_TEST(decompression_bombs)
{
	static const char *codecs[] = { "gz", "xz", "zstd" };
	char *dir = test_tmpdir(), *out = util_strdupf("%s/vmlinux", dir), *path;
	struct ec2_error err = { 0 };
	unsigned char *payload;
	size_t len;
	bool pvh;

	payload = bomb(codecs[_i], (size_t)400 << 20, &len);
	path = fake_bzimage(dir, "bomb.bzImage", payload, len);
	free(payload);
	ck_assert_int_eq(kernel_extract_vmlinux(path, out, &pvh, &err), -1);
	ck_assert_str_eq(err.code, "InvalidParameterValue");
	ck_assert_msg(strstr(err.message, "more than") != NULL, "%s", err.message);
	ck_assert(!util_file_exists(out));
	ck_assert_int_lt(max_rss_mib(), BOMB_RSS_MIB);
	free(path);
	free(out);
	test_rmdir(dir);
}
END_TEST

/* Debian's own kernel: an xz payload whose vmlinux has the PVH note (CONFIG_PVH=y). */
START_TEST(debian_kernel)
{
	DIR *d = opendir("/boot");
	struct dirent *e;
	char *kernel = NULL, *dir = test_tmpdir(), *out = util_strdupf("%s/vmlinux", dir), *elf;
	struct ec2_error err = { 0 };
	size_t len = 0;
	bool pvh = false;

	while (d && (e = readdir(d)))
		if (!kernel && strncmp(e->d_name, "vmlinuz-", 8) == 0)
			kernel = util_strdupf("/boot/%s", e->d_name);
	if (d)
		closedir(d);
	ck_assert_msg(kernel != NULL, "no /boot/vmlinuz-*: install linux-image-amd64");
	ck_assert_msg(kernel_extract_vmlinux(kernel, out, &pvh, &err) == 0, "%s", err.message);
	ck_assert(pvh);
	elf = util_read_file(out, &len, NULL);
	ck_assert_uint_gt(len, 8 << 20);
	ck_assert_int_eq(memcmp(elf, "\177ELF\002", 5), 0);
	free(elf);
	free(kernel);
	free(out);
	test_rmdir(dir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("kernel");
	TCase *tc = tcase_create("kernel");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, pvh_note_detection);
	tcase_add_test(tc, gzip_and_zstd_payloads);
	tcase_add_test(tc, not_a_bzimage);
	tcase_add_test(tc, crafted_program_headers);
	tcase_add_loop_test(tc, decompression_bombs, 0, 3);
	tcase_add_test(tc, debian_kernel);
	suite_add_tcase(s, tc);
	return test_run(s) ? 1 : 0;
}
