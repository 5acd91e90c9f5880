/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-ins for the few kernel definitions drv/crc32.c uses. */
#ifndef SROCE_CRC32_TEST_KERNEL_H
#define SROCE_CRC32_TEST_KERNEL_H
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
typedef uint8_t u8;
typedef uint32_t u32;
typedef uint64_t u64;
typedef uint64_t __le64;
#ifndef __always_inline
#define __always_inline __inline __attribute__((__always_inline__))
#endif
#define unlikely(x) __builtin_expect(!!(x), 0)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define cpu_to_le64(x) ((u64)(x))
#define pr_err(...) fprintf(stderr, __VA_ARGS__)
#define __init
#define __initdata
#define __initconst
static inline u64 get_unaligned_le64(const void *p)
{
	u64 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline void put_unaligned_le64(u64 v, void *p)
{
	memcpy(p, &v, sizeof(v));
}
#endif
