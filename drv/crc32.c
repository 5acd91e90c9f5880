// SPDX-License-Identifier: GPL-2.0
/*
 * sroce: CRC-32 by folding with a sparse multiple of the polynomial.
 *
 * Read a message of L bits as a polynomial over GF(2), its first bit the
 * highest power. Its CRC is its remainder modulo P, the CRC-32 polynomial
 * (with the register's start value folded into the first 32 bits). Any
 * multiple Q of P leaves that remainder alone, so a bit at degree d >= n can
 * be traded for the other terms of Q = x^n + x^e1 + ... + 1, moved down to
 * d - n + ei: later in the stream, by n - ei bits. Here
 *
 *	Q = x^300 + x^155 + x^117 + x^89 + 1
 *
 * (found by a meet-in-the-middle search over x^k mod P; crc32-test checks
 * it), so each bit moves forward by 145, 183, 211 and 300 bits. All four
 * are at least 64, so a whole 64-bit word moves at once: word j takes the
 * words two to five before it, each shifted, and itself becomes zero. When
 * only the last n (to n + 63) bits are left they hold the whole remainder,
 * leading zeros change nothing with a zero start value, and crc32_le() does
 * that tail.
 *
 * In stream order a little-endian 64-bit load puts stream bit 64j + k at bit
 * k, so "later by 64q + r bits" is "word j + q gets w << r, word j + q + 1
 * gets w >> (64 - r)".
 */
#include <linux/crc32.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/printk.h>
#include <linux/string.h>

#include "compat.h"
#include "crc32.h"

#define SROCE_CRC32_N		300
/* below this, the tail alone would be most of the work */
#define SROCE_CRC32_MIN		96

/*
 * Word j's value once everything before it has been folded in: the input
 * word, plus what words j-2 .. j-5 (v2 .. v5) pass on. The offsets are
 * 145 = 2*64+17, 183 = 2*64+55, 211 = 3*64+19 and 300 = 4*64+44.
 */
static __always_inline u64 sroce_crc32_fold(u64 w, u64 v2, u64 v3, u64 v4,
					    u64 v5)
{
	w ^= (v2 << 17) ^ (v3 >> 47);
	w ^= (v2 << 55) ^ (v3 >> 9);
	w ^= (v3 << 19) ^ (v4 >> 45);
	w ^= (v4 << 44) ^ (v5 >> 20);
	return w;
}

/*
 * Word @j of @src, in stream order; copied to @dst as it is read when
 * @copy, so the copy is exactly what was CRCed even if @src changes under
 * us (a user's buffer). @copy is a constant: a branch per word would end an
 * emulator's translation block each time.
 */
static __always_inline u64 sroce_crc32_word(const bool copy, u8 *dst,
					    const u8 *src, size_t j)
{
	u64 w = get_unaligned_le64(src + 8 * j);

	if (copy)
		put_unaligned_le64(w, dst + 8 * j);
	return w;
}

#define SROCE_CRC32_WORD(j)	sroce_crc32_word(copy, dst, src, j)

/* sroce_crc32() and, with @copy, sroce_crc32_copy(): one pass over @src */
static __always_inline u32 sroce_crc32_run(u32 crc, const bool copy, u8 *dst,
					   const u8 *src, size_t len)
{
	u64 a, b = 0, c = 0, d = 0, e = 0, v;
	__le64 tail[6];
	size_t words, j, rest;

	if (len < SROCE_CRC32_MIN) {
		if (!copy)
			return crc32_le(crc, src, len);
		memcpy(dst, src, len);
		return crc32_le(crc, dst, len);
	}

	/* words whose every bit sits at degree >= n: at least 7 */
	words = (len * 8 - SROCE_CRC32_N) / 64;

	/*
	 * a .. e hold the last five folded words, newest first at the top of
	 * each step; the newest replaces the oldest, so five steps bring the
	 * names back round without moves (an emulated CPU pays for each).
	 */
	a = SROCE_CRC32_WORD(0) ^ crc;
	for (j = 1; j + 5 <= words; j += 5) {
		e = sroce_crc32_fold(SROCE_CRC32_WORD(j), b, c, d, e);
		d = sroce_crc32_fold(SROCE_CRC32_WORD(j + 1), a, b, c, d);
		c = sroce_crc32_fold(SROCE_CRC32_WORD(j + 2), e, a, b, c);
		b = sroce_crc32_fold(SROCE_CRC32_WORD(j + 3), d, e, a, b);
		a = sroce_crc32_fold(SROCE_CRC32_WORD(j + 4), c, d, e, a);
	}
	for (; j < words; j++) {
		v = sroce_crc32_fold(SROCE_CRC32_WORD(j), b, c, d, e);
		e = d;
		d = c;
		c = b;
		b = a;
		a = v;
	}

	/*
	 * The tail: the last 38 to 45 bytes, plus what the last five folded
	 * words pass on into its first five words.
	 */
	rest = len - 8 * words;
	memset(tail, 0, sizeof(tail));
	memcpy(tail, src + 8 * words, rest);
	if (copy)
		memcpy(dst + 8 * words, tail, rest);
	tail[0] ^= cpu_to_le64(sroce_crc32_fold(0, b, c, d, e));
	tail[1] ^= cpu_to_le64(sroce_crc32_fold(0, a, b, c, d));
	tail[2] ^= cpu_to_le64(sroce_crc32_fold(0, 0, a, b, c));
	tail[3] ^= cpu_to_le64(sroce_crc32_fold(0, 0, 0, a, b));
	tail[4] ^= cpu_to_le64(sroce_crc32_fold(0, 0, 0, 0, a));
	return crc32_le(0, (const u8 *)tail, rest);
}

u32 sroce_crc32(u32 crc, const void *buf, size_t len)
{
	if (static_branch_unlikely(&sroce_crc32_clmul_on) &&
	    len >= SROCE_CRC32_CLMUL_MIN &&
	    sroce_crc32_clmul(&crc, NULL, buf, len))
		return crc;
	return sroce_crc32_run(crc, false, NULL, buf, len);
}

u32 sroce_crc32_copy(u32 crc, void *dst, const void *src, size_t len)
{
	if (static_branch_unlikely(&sroce_crc32_clmul_on) &&
	    len >= SROCE_CRC32_CLMUL_MIN &&
	    sroce_crc32_clmul(&crc, dst, src, len))
		return crc;
	return sroce_crc32_run(crc, true, dst, src, len);
}

/* Both functions against crc32_le(), and the copy against its source. */
static bool __init sroce_crc32_same(u32 seed, u8 *dst, const u8 *src,
				    size_t len)
{
	u32 want = crc32_le(seed, src, len);

	memset(dst, 0, len);
	return sroce_crc32(seed, src, len) == want &&
	       sroce_crc32_copy(seed, dst, src, len) == want &&
	       !memcmp(dst, src, len);
}

/*
 * Compares with crc32_le() over every length up to 400 bytes (past the
 * smallest lengths that fold one, two ... words) at two alignments, and
 * over a frame-sized buffer, with a zero and a non-zero seed; the copies
 * go to a third alignment.
 */
int __init sroce_crc32_selftest(void)
{
	static const u32 seeds[] __initconst = { 0, 0x12345678 };
	static u8 buf[4096 + 8] __initdata;
	static u8 dst[4096 + 8] __initdata;
	unsigned int i, len, off, s;
	u32 x = 0x9e3779b9;

	for (i = 0; i < sizeof(buf); i++) {
		x = x * 1103515245 + 12345;
		buf[i] = x >> 24;
	}
	for (s = 0; s < ARRAY_SIZE(seeds); s++) {
		for (off = 0; off < 8; off += 5) {
			for (len = 0; len <= 400; len++) {
				if (!sroce_crc32_same(seeds[s], dst + 3,
						      buf + off, len))
					goto err_mismatch;
			}
			len = sizeof(buf) - 8;
			if (!sroce_crc32_same(seeds[s], dst + 3, buf + off,
					      len))
				goto err_mismatch;
		}
	}
	return 0;

err_mismatch:
	pr_err("sroce: crc32 self-test failed: seed %#x, offset %u, length %u\n",
	       seeds[s], off, len);
	return -EINVAL;
}
