/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Minimal KTAP output for sroce's C selftests, kselftest exit codes.
 */
#ifndef SROCE_KTAP_H
#define SROCE_KTAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define KSFT_PASS 0
#define KSFT_FAIL 1
#define KSFT_SKIP 4

static int ktap_n, ktap_pass, ktap_fail, ktap_skip;

static inline void ktap_plan(int n)
{
	printf("TAP version 13\n1..%d\n", n);
	fflush(stdout);
}

static inline void ktap_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("# ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	fflush(stdout);
}

/* One subtest: passes when @ok; @fmt names it. */
static inline void ktap_result(int ok, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ktap_n++;
	if (ok)
		ktap_pass++;
	else
		ktap_fail++;
	printf("%sok %d ", ok ? "" : "not ", ktap_n);
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	fflush(stdout);
}

static inline void ktap_skip_test(const char *name, const char *why)
{
	ktap_n++;
	ktap_skip++;
	printf("ok %d %s # SKIP %s\n", ktap_n, name, why);
	fflush(stdout);
}

static inline int ktap_finish(void)
{
	printf("# totals: pass:%d fail:%d skip:%d\n", ktap_pass, ktap_fail,
	       ktap_skip);
	fflush(stdout);
	if (ktap_fail)
		return KSFT_FAIL;
	if (!ktap_pass && ktap_skip)
		return KSFT_SKIP;
	return KSFT_PASS;
}

#endif /* SROCE_KTAP_H */
