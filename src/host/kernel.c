/* Kernel images: see include/ec2lite/kernel.h.
 *
 * bzImage layout (Documentation/x86/boot.rst): the setup header at 0x1f1 gives setup_sects; the
 * protected-mode part starts at (setup_sects + 1) * 512; payload_offset (0x248) and
 * payload_length (0x24c) locate the compressed vmlinux inside it. */
#include "ec2lite/kernel.h"

#include <errno.h>
#include <fcntl.h>
#include <lzma.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "ec2lite/util.h"

#define XEN_ELFNOTE_PHYS32_ENTRY 18

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const unsigned char *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static uint16_t le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

bool kernel_has_pvh_note(const unsigned char *elf, size_t len)
{
	uint64_t phoff;
	uint16_t phentsize, phnum, i;

	if (len < 64 || memcmp(elf, "\177ELF", 4) != 0 || elf[4] != 2 /* ELFCLASS64 */ ||
	    elf[5] != 1 /* little-endian */)
		return false;
	phoff = le64(elf + 32);
	phentsize = le16(elf + 54);
	phnum = le16(elf + 56);
	/* The whole table must lie inside the image; no sum below can wrap (phnum * phentsize is
	 * below 2^32, phoff at most len). */
	if (phentsize < 56 || phoff > len || (uint64_t)phnum * phentsize > len - phoff)
		return false;
	for (i = 0; i < phnum; i++) {
		const unsigned char *ph = elf + phoff + (uint64_t)i * phentsize;
		uint64_t off, size, pos;

		if (le32(ph) != 4 /* PT_NOTE */)
			continue;
		off = le64(ph + 8);
		size = le64(ph + 32);
		if (off > len || size > len - off)
			continue;
		/* Notes: namesz, descsz, type, name and desc each padded to 4 bytes. */
		for (pos = off; pos + 12 <= off + size;) {
			uint32_t namesz = le32(elf + pos), descsz = le32(elf + pos + 4);
			uint32_t type = le32(elf + pos + 8);
			uint64_t name = pos + 12, next;

			next = name + ((namesz + 3ULL) & ~3ULL) + ((descsz + 3ULL) & ~3ULL);
			if (next > off + size)
				break;
			if (namesz == 4 && memcmp(elf + name, "Xen", 4) == 0 &&
			    type == XEN_ELFNOTE_PHYS32_ENTRY)
				return true;
			pos = next;
		}
	}
	return false;
}

/* A growing output buffer for the decoders, which never grows past KERNEL_VMLINUX_MAX: a payload
 * that decodes to more is refused (full), so a small file cannot make ec2-lite allocate without
 * end. */
struct out {
	unsigned char *data;
	size_t len, cap;
	bool full;
};

/* Room for the decoder's next output, or NULL (o->full) at the limit or when memory runs out. */
static unsigned char *room(struct out *o, size_t *avail)
{
	if (o->cap - o->len < (1 << 20) && o->cap < KERNEL_VMLINUX_MAX) {
		size_t cap = o->cap ? o->cap * 2 : (64 << 20);
		unsigned char *grown;

		if (cap > KERNEL_VMLINUX_MAX)
			cap = KERNEL_VMLINUX_MAX;
		grown = realloc(o->data, cap);
		if (!grown) {
			o->full = true;
			return NULL;
		}
		o->data = grown;
		o->cap = cap;
	}
	*avail = o->cap - o->len;
	if (*avail == 0) {
		o->full = true;
		return NULL;
	}
	return o->data + o->len;
}

static int unxz(const unsigned char *in, size_t len, struct out *o)
{
	lzma_stream s = LZMA_STREAM_INIT;
	lzma_ret r;

	/* The kernel's own xz decoder takes dictionaries up to a few MiB; the limit keeps a crafted
	 * header from making liblzma allocate gigabytes. */
	if (lzma_stream_decoder(&s, KERNEL_VMLINUX_MAX / 2, 0) != LZMA_OK)
		return -1;
	s.next_in = in;
	s.avail_in = len;
	do {
		size_t avail;

		s.next_out = room(o, &avail);
		if (!s.next_out)
			break;
		s.avail_out = avail;
		r = lzma_code(&s, LZMA_FINISH);
		o->len += avail - s.avail_out;
	} while (r == LZMA_OK);
	lzma_end(&s);
	return r == LZMA_STREAM_END ? 0 : -1;
}

static int unzstd(const unsigned char *in, size_t len, struct out *o)
{
	ZSTD_DStream *d = ZSTD_createDStream();
	ZSTD_inBuffer ib = { in, len, 0 };
	size_t r = 1;

	if (!d)
		return -1;
	ZSTD_initDStream(d);
	while (r != 0) {
		size_t avail;
		ZSTD_outBuffer ob;

		ob.dst = room(o, &avail);
		if (!ob.dst)
			break;
		ob.size = avail;
		ob.pos = 0;
		r = ZSTD_decompressStream(d, &ob, &ib);
		o->len += ob.pos;
		if (ZSTD_isError(r) || (ib.pos == ib.size && ob.pos == 0 && r != 0))
			break;
	}
	ZSTD_freeDStream(d);
	return r == 0 ? 0 : -1;
}

static int gunzip(const unsigned char *in, size_t len, struct out *o)
{
	z_stream z;
	int r;

	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
		return -1;
	z.next_in = (unsigned char *)in;
	z.avail_in = (uInt)len;
	do {
		size_t avail;

		z.next_out = room(o, &avail);
		if (!z.next_out)
			break;
		z.avail_out = (uInt)(avail > UINT32_MAX ? UINT32_MAX : avail);
		avail = z.avail_out;
		r = inflate(&z, Z_NO_FLUSH);
		o->len += avail - z.avail_out;
	} while (r == Z_OK);
	inflateEnd(&z);
	return r == Z_STREAM_END ? 0 : -1;
}

int kernel_extract_vmlinux(const char *bzimage, const char *out, bool *pvh,
			   struct ec2_error *err)
{
	size_t len = 0, pm;
	unsigned char *k = (unsigned char *)util_read_file(bzimage, &len, err), *payload;
	uint32_t off, plen;
	struct out o = { 0 };
	const char *codec;
	int rc = -1;

	if (!k)
		return -1;
	if (len < 0x260 || memcmp(k + 0x202, "HdrS", 4) != 0 || le16(k + 0x206) < 0x208) {
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER,
			      "'%s' is not a bzImage with a payload (boot protocol 2.08 or later)",
			      bzimage);
		goto out;
	}
	pm = ((size_t)(k[0x1f1] ? k[0x1f1] : 4) + 1) * 512;
	off = le32(k + 0x248);
	plen = le32(k + 0x24c);
	if (pm > len || off > len - pm || plen > len - pm - off || plen < 6) {
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER, "'%s': the payload lies outside the file",
			      bzimage);
		goto out;
	}
	payload = k + pm + off;
	if (memcmp(payload, "\xfd" "7zXZ", 5) == 0) {
		codec = "xz";
		rc = unxz(payload, plen, &o);
	} else if (memcmp(payload, "\x28\xb5\x2f\xfd", 4) == 0) {
		codec = "zstd";
		rc = unzstd(payload, plen, &o);
	} else if (payload[0] == 0x1f && payload[1] == 0x8b) {
		codec = "gzip";
		rc = gunzip(payload, plen, &o);
	} else {
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER,
			      "'%s': the payload is compressed in a way ec2-lite does not decode "
			      "(not xz, zstd or gzip)", bzimage);
		goto out;
	}
	if (o.full) {
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER,
			      "'%s': the %s payload decodes to more than %d MiB, more than any kernel",
			      bzimage, codec, KERNEL_VMLINUX_MAX >> 20);
		rc = -1;
		goto out;
	}
	if (rc < 0 || o.len < 64 || memcmp(o.data, "\177ELF", 4) != 0) {
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER,
			      "'%s': the %s payload does not decode to an ELF kernel", bzimage, codec);
		rc = -1;
		goto out;
	}
	*pvh = kernel_has_pvh_note(o.data, o.len);
	rc = util_write_file_atomic(out, o.data, o.len, 0600, err); /* libvirt chowns it for QEMU */
out:
	free(k);
	free(o.data);
	return rc;
}
