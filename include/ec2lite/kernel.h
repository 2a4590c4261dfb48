/* Linux kernel images: the uncompressed ELF kernel (vmlinux) inside a bzImage, and whether it
 * carries the PVH entry note, which lets QEMU start it directly in 32-bit protected mode with no
 * decompressor and no real-mode setup (about 2.6 s of a TCG boot here). */
#ifndef EC2LITE_KERNEL_H
#define EC2LITE_KERNEL_H

#include <stdbool.h>
#include <stddef.h>

#include "ec2lite/error.h"

/* The largest vmlinux ec2-lite decodes (distribution kernels are 30-80 MiB): a payload that
 * decodes to more is refused, so a decompression bomb costs at most this much memory. */
#define KERNEL_VMLINUX_MAX (256 << 20)

/* Writes the vmlinux inside bzimage to out (mode 0644). The payload may be xz (Debian 12),
 * zstd or gzip. *pvh says whether it has the PVH note. On failure (InvalidParameterValue for
 * anything wrong with the file, including a payload decoding to more than KERNEL_VMLINUX_MAX)
 * nothing is left at out. */
int kernel_extract_vmlinux(const char *bzimage, const char *out, bool *pvh,
			   struct ec2_error *err);

/* True when elf (an ELF64 image of len bytes) has a Xen ELF note of type
 * XEN_ELFNOTE_PHYS32_ENTRY (18): the PVH entry point. Any bytes are safe: a header or table that
 * points outside the len bytes gives false. */
bool kernel_has_pvh_note(const unsigned char *elf, size_t len);

#endif
