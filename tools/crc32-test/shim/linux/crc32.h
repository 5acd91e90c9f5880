/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for the kernel's <linux/crc32.h>: crc32-test.c's own. */
#include "../kernel.h"
u32 crc32_le(u32 crc, const unsigned char *p, size_t len);
