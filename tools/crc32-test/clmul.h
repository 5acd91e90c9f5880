/* SPDX-License-Identifier: GPL-2.0 */
/* crc32-test: the carry-less multiply CRC (clmul.c), for comparison only. */
#ifndef CRC32_TEST_CLMUL_H
#define CRC32_TEST_CLMUL_H

#include <stddef.h>
#include <stdint.h>

uint32_t crc32_le(uint32_t crc, const unsigned char *p, size_t len);
/* 0 when the CPU has PCLMULQDQ, -1 when it has not */
int clmul_crc32_init(void);
uint32_t clmul_crc32(uint32_t crc, const unsigned char *p, size_t len);

#endif
