// SPDX-License-Identifier: GPL-2.0
/*
 * crc32-test: checks drv/crc32.c against zlib's crc32 in userspace, runs
 * the module's load-time self-test (and checks that it fails when
 * crc32_le() is wrong), checks sroce_crc32_copy()'s copies too, and times
 * it against a slice-by-8 table CRC (the algorithm of the kernel's default
 * crc32_le()) and memcpy() then CRC against the one-pass copy, so that the
 * speed-ups can be measured under TCG too. Where the CPU has PCLMULQDQ it
 * checks and times a carry-less multiply CRC (clmul.c) as well: what the
 * kernel's crc32-pclmul gives on such a CPU, and times what
 * kernel_fpu_begin() adds to each use (drv/crc32_clmul.c's threshold).
 *
 *	crc32-test            check; exit 0 if every case matched
 *	crc32-test --bench N  check fewer cases, then time N passes over a
 *			      4 KiB buffer each way
 */
#include <stdlib.h>
#include <time.h>
#include <zlib.h>

#include "kernel.h"
#include "../../drv/crc32.c"
#include "clmul.h"

static u32 tab[8][256];
/* set: crc32_le() lies about 300-byte buffers, which the self-test must see */
static int corrupt_300;

static void tab_init(void)
{
	unsigned int i, k;

	for (i = 0; i < 256; i++) {
		u32 c = i;

		for (k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320 & -(c & 1));
		tab[0][i] = c;
	}
	for (i = 0; i < 256; i++)
		for (k = 1; k < 8; k++)
			tab[k][i] = (tab[k - 1][i] >> 8) ^
				    tab[0][tab[k - 1][i] & 0xff];
}

/* slice-by-8, the table CRC sroce_crc32() calls for its tail */
u32 crc32_le(u32 crc, const unsigned char *p, size_t len)
{
	size_t len0 = len;

	while (len && ((uintptr_t)p & 7)) {
		crc = (crc >> 8) ^ tab[0][(crc ^ *p++) & 0xff];
		len--;
	}
	while (len >= 8) {
		u32 a, b;

		memcpy(&a, p, 4);
		memcpy(&b, p + 4, 4);
		a ^= crc;
		crc = tab[7][a & 0xff] ^ tab[6][(a >> 8) & 0xff] ^
		      tab[5][(a >> 16) & 0xff] ^ tab[4][a >> 24] ^
		      tab[3][b & 0xff] ^ tab[2][(b >> 8) & 0xff] ^
		      tab[1][(b >> 16) & 0xff] ^ tab[0][b >> 24];
		p += 8;
		len -= 8;
	}
	while (len--)
		crc = (crc >> 8) ^ tab[0][(crc ^ *p++) & 0xff];
	return crc ^ (corrupt_300 && len0 == 300);
}

static u32 ref(u32 crc, const u8 *p, size_t len)
{
	return ~crc32(~crc, p, len);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* the fold against carry-less multiplies, plain and after a memcpy() */
static void bench_clmul(int n, const u8 *buf, u8 *dst)
{
	static const size_t sizes[] = { 256, 1024, 4096 };
	unsigned int s, i;
	u32 sink = 0;

	for (s = 0; s < ARRAY_SIZE(sizes); s++) {
		size_t len = sizes[s];
		unsigned int m = (unsigned int)n * (4096 / len);
		double t0, t1, t2, t3;

		t0 = now();
		for (i = 0; i < m; i++)
			sink ^= sroce_crc32(i, buf, len);
		t1 = now();
		for (i = 0; i < m; i++)
			sink ^= clmul_crc32(i, buf, len);
		t2 = now();
		for (i = 0; i < m; i++) {
			memcpy(dst, buf, len);
			sink ^= clmul_crc32(i, dst, len);
		}
		t3 = now();
		printf("%zu B: fold %.1f MB/s, clmul %.1f MB/s, ratio %.2f; "
		       "memcpy then clmul %.1f MB/s (%#x)\n",
		       len, m * (double)len / (t1 - t0) / 1e6,
		       m * (double)len / (t2 - t1) / 1e6, (t1 - t0) / (t2 - t1),
		       m * (double)len / (t3 - t2) / 1e6, sink);
	}
}

#ifdef __x86_64__
#include <cpuid.h>

/*
 * What kernel_fpu_begin() adds to a carry-less CRC in the kernel: each call
 * runs fninit and ldmxcsr; the first in a task (or a softirq that interrupts
 * one) also saves its FPU registers, with XSAVE and, on the way back to user,
 * XRSTOR. Both timed here, where userspace may run them too.
 */
static void bench_fpu(int n)
{
	unsigned int a, b, c, d, i, m = (unsigned int)n * 16, mxcsr = 0x1f80;
	double t0, t1, t2;
	u32 lo, hi;
	u8 *area;

	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE) ||
	    !__get_cpuid_count(0xd, 0, &a, &b, &c, &d))
		return;
	asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	area = aligned_alloc(64, (b + 63) & ~63u);
	if (!area)
		return;
	memset(area, 0, b);
	t0 = now();
	for (i = 0; i < m; i++) {
		asm volatile("fninit");
		asm volatile("ldmxcsr %0" : : "m"(mxcsr));
	}
	t1 = now();
	for (i = 0; i < m; i++) {
		asm volatile("xsave64 %0" : "+m"(*area) : "a"(lo), "d"(hi)
			     : "memory");
		asm volatile("xrstor64 %0" : : "m"(*area), "a"(lo), "d"(hi)
			     : "memory");
	}
	t2 = now();
	printf("kernel_fpu_begin(): fninit and ldmxcsr %.1f ns a call; "
	       "XSAVE then XRSTOR of %u bytes (XCR0 %#x) %.1f ns\n",
	       (t1 - t0) / m * 1e9, b, lo, (t2 - t1) / m * 1e9);
	free(area);
}
#else
static void bench_fpu(int n)
{
}
#endif

int main(int argc, char **argv)
{
	static u8 buf[65536 + 16], dst[65536 + 16];
	unsigned int i, fails = 0, cases = 0;
	int bench = argc == 3 && !strcmp(argv[1], "--bench");
	int clmul = !clmul_crc32_init();
	u32 x = 1;

	tab_init();
	printf("PCLMULQDQ: %s\n", clmul ? "yes, the carry-less CRC is checked too" :
	       "no, the carry-less CRC is not run");
	for (i = 0; i < sizeof(buf); i++) {
		x = x * 1103515245 + 12345;
		buf[i] = x >> 24;
	}
	/* fewer when timing: under TCG the check alone takes minutes */
	for (i = 0; i < (bench ? 5000 : 200000); i++) {
		size_t len = i < 4000 ? i / 4 : (size_t)rand() % 65536;
		size_t off = rand() % 16;
		u32 seed = rand() % 3 ? (u32)rand() * 2654435761u : 0;

		cases++;
		if (sroce_crc32(seed, buf + off, len) != ref(seed, buf + off, len)) {
			if (fails++ < 5)
				fprintf(stderr, "mismatch: len %zu off %zu seed %#x\n",
					len, off, seed);
		}
		if (crc32_le(seed, buf + off, len) != ref(seed, buf + off, len))
			fails++;
		if (clmul && clmul_crc32(seed, buf + off, len) !=
		    ref(seed, buf + off, len)) {
			if (fails++ < 5)
				fprintf(stderr, "clmul mismatch: len %zu off %zu\n",
					len, off);
		}
		/* the copy, to another alignment, with a guard byte behind it */
		memset(dst, 0xa5, len + 16);
		if (sroce_crc32_copy(seed, dst + (off ^ 5), buf + off, len) !=
		    ref(seed, buf + off, len) ||
		    memcmp(dst + (off ^ 5), buf + off, len) ||
		    dst[(off ^ 5) + len] != 0xa5) {
			if (fails++ < 5)
				fprintf(stderr, "copy mismatch: len %zu off %zu\n",
					len, off);
		}
	}
	if (sroce_crc32_selftest())
		fails++;
	corrupt_300 = 1;
	fprintf(stderr, "negative control: a wrong crc32_le(); the self-test must report it:\n");
	if (!sroce_crc32_selftest()) {
		fprintf(stderr, "the self-test missed a wrong crc32_le()\n");
		fails++;
	}
	corrupt_300 = 0;
	printf("%u cases, %u failed\n", cases, fails);
	if (bench) {
		int n = atoi(argv[2]);
		u32 sink = 0;
		double t0, t1, t2, t3, t4;

		t0 = now();
		for (i = 0; i < (unsigned int)n; i++)
			sink ^= crc32_le(i, buf, 4096);
		t1 = now();
		for (i = 0; i < (unsigned int)n; i++)
			sink ^= sroce_crc32(i, buf, 4096);
		t2 = now();
		for (i = 0; i < (unsigned int)n; i++) {
			memcpy(dst, buf, 4096);
			sink ^= sroce_crc32(i, dst, 4096);
		}
		t3 = now();
		for (i = 0; i < (unsigned int)n; i++)
			sink ^= sroce_crc32_copy(i, dst, buf, 4096);
		t4 = now();
		printf("4 KiB: slice-by-8 %.1f MB/s, fold %.1f MB/s, ratio %.2f (%#x)\n",
		       n * 4096.0 / (t1 - t0) / 1e6, n * 4096.0 / (t2 - t1) / 1e6,
		       (t1 - t0) / (t2 - t1), sink);
		printf("4 KiB copied: memcpy, fold %.1f MB/s, one pass %.1f MB/s, ratio %.2f\n",
		       n * 4096.0 / (t3 - t2) / 1e6, n * 4096.0 / (t4 - t3) / 1e6,
		       (t3 - t2) / (t4 - t3));
		if (clmul) {
			bench_clmul(n, buf, dst);
			bench_fpu(n);
		}
	}
	return fails ? 1 : 0;
}
