// SPDX-License-Identifier: GPL-2.0
/*
 * crc32-test: CRC-32 (crc32_le() semantics) with carry-less multiplies, to
 * measure natively what a CPU with PCLMULQDQ would gain over sroce's fold.
 *
 * The stream is reflected: in a little-endian 64-bit lane, bit k is the
 * coefficient of x^(63 - k). For A and B of degree < 64 so stored, the
 * 128-bit carry-less product of the lanes is A * B * x, reflected. A block
 * of 16 bytes is H * x^64 + L (H in its first 8 bytes); moved n bits on it
 * is H * x^(n + 64) + L * x^n, so with c = x^(n + 63) mod P and
 * d = x^(n - 1) mod P, both reflected, clmul(H, c) ^ clmul(L, d) is
 * congruent and under 128 bits long: it is XORed into the block n bits on.
 * Four lanes 64 bytes apart are folded at once, then into one, and the last
 * 16 bytes and the tail go through crc32_le().
 */
#include <stddef.h>
#include <stdint.h>
#include <immintrin.h>

#include "clmul.h"

static uint64_t k64, k64m, k512, k512m;	/* c and d for n = 128 and 512 */

/* x^n mod P, P = x^32 + 0x04c11db7, reflected into a 64-bit lane */
static uint64_t xpow_lane(unsigned int n)
{
	uint64_t r = 1, lane = 0;
	unsigned int i;

	for (i = 0; i < n; i++) {
		r <<= 1;
		if (r >> 32)
			r ^= 0x104c11db7ULL;
	}
	for (i = 0; i < 32; i++)
		if (r >> i & 1)
			lane |= 1ULL << (63 - i);
	return lane;
}

int clmul_crc32_init(void)
{
	__builtin_cpu_init();
	if (!__builtin_cpu_supports("pclmul"))
		return -1;
	k64 = xpow_lane(128 + 63);
	k64m = xpow_lane(128 - 1);
	k512 = xpow_lane(512 + 63);
	k512m = xpow_lane(512 - 1);
	return 0;
}

__attribute__((target("pclmul,sse2")))
static __m128i fold(__m128i x, __m128i k, __m128i next)
{
	__m128i h = _mm_clmulepi64_si128(x, k, 0x00);
	__m128i l = _mm_clmulepi64_si128(x, k, 0x11);

	return _mm_xor_si128(_mm_xor_si128(h, l), next);
}

__attribute__((target("pclmul,sse2")))
uint32_t clmul_crc32(uint32_t crc, const unsigned char *p, size_t len)
{
	__m128i k1 = _mm_set_epi64x((long long)k64m, (long long)k64);
	__m128i k4 = _mm_set_epi64x((long long)k512m, (long long)k512);
	__m128i x0, x1, x2, x3;
	unsigned char last[16];

	if (len < 64)
		return crc32_le(crc, p, len);
	x0 = _mm_xor_si128(_mm_loadu_si128((const __m128i *)p),
			   _mm_cvtsi32_si128((int)crc));
	x1 = _mm_loadu_si128((const __m128i *)(p + 16));
	x2 = _mm_loadu_si128((const __m128i *)(p + 32));
	x3 = _mm_loadu_si128((const __m128i *)(p + 48));
	p += 64;
	len -= 64;
	while (len >= 64) {
		x0 = fold(x0, k4, _mm_loadu_si128((const __m128i *)p));
		x1 = fold(x1, k4, _mm_loadu_si128((const __m128i *)(p + 16)));
		x2 = fold(x2, k4, _mm_loadu_si128((const __m128i *)(p + 32)));
		x3 = fold(x3, k4, _mm_loadu_si128((const __m128i *)(p + 48)));
		p += 64;
		len -= 64;
	}
	x0 = fold(x0, k1, x1);
	x0 = fold(x0, k1, x2);
	x0 = fold(x0, k1, x3);
	while (len >= 16) {
		x0 = fold(x0, k1, _mm_loadu_si128((const __m128i *)p));
		p += 16;
		len -= 16;
	}
	_mm_storeu_si128((__m128i *)last, x0);
	return crc32_le(crc32_le(0, last, sizeof(last)), p, len);
}
