/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sroce: CRC-32 (the Ethernet polynomial, reflected) for the ICRC's long
 * stretches: payloads and page fragments.
 *
 * sroce_crc32(crc, buf, len) returns exactly crc32_le(crc, buf, len). For
 * long buffers it first folds the data, eight bytes at a time, with shifts
 * and XORs only, by a sparse multiple of the polynomial (see crc32.c), and
 * runs the table-driven crc32_le() over the last few dozen bytes alone.
 * The kernel's slice-by-8 crc32_le() makes ten memory loads per eight bytes
 * (two of data, eight of tables); the fold makes one. That matters most
 * where loads are dear (emulated CPUs) and wherever the tables fall out of
 * cache.
 *
 * sroce_crc32_copy(crc, dst, src, len) copies @len bytes as it CRCs them,
 * in the same pass: one load of each word of @src instead of two (memcpy()
 * and then the CRC over the copy), and the CRC is of exactly what was
 * stored, whatever a user does to @src meanwhile.
 *
 * On a CPU with PCLMULQDQ both take the crypto API's crc32-pclmul for
 * buffers from SROCE_CRC32_CLMUL_MIN bytes (crc32_clmul.c), wherever SIMD
 * is usable: sroce_crc32_clmul_init() takes it at load, before the
 * self-test, and sets sroce_crc32_clmul_on; sroce_crc32_clmul_exit() at
 * unload or a failed load.
 *
 * Pure functions, any context. sroce_crc32_selftest() runs at module load
 * (init code and data: gone once the module is loaded).
 */
#ifndef _SROCE_CRC32_H
#define _SROCE_CRC32_H

#include <linux/init.h>
#include <linux/jump_label.h>
#include <linux/types.h>

/* from here up both take crc32-pclmul where they have it */
#define SROCE_CRC32_CLMUL_MIN	1024

DECLARE_STATIC_KEY_FALSE(sroce_crc32_clmul_on);
bool sroce_crc32_clmul(u32 *crc, void *dst, const void *src, size_t len);
void __init sroce_crc32_clmul_init(void);
void sroce_crc32_clmul_exit(void);

u32 sroce_crc32(u32 crc, const void *buf, size_t len);
u32 sroce_crc32_copy(u32 crc, void *dst, const void *src, size_t len);
int __init sroce_crc32_selftest(void);

#endif /* _SROCE_CRC32_H */
