// SPDX-License-Identifier: GPL-2.0
/*
 * Forged RoCEv2 frames against one RDMA device (issue 12): a fake remote
 * peer injects hand-built frames with correct ICRCs and captures what the
 * device answers; see forge.h for the set-up. One KTAP result per case.
 *
 * usage: forge   (SROCE_TEST_DRIVER=rxe: stock rdma_rxe instead of sroce;
 *                 SROCE_TEST_FORGE_SEED: the flood's random seed)
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "forge.h"
#include "ktap.h"

extern int kmsg_start;

static void on_signal(int sig)
{
	(void)sig;
	env_teardown();
	_exit(KSFT_FAIL);
}

int main(void)
{
	int nresp = case_resp_count(), nrd = case_rd_count();
	int nreq = case_req_count(), ntimer = case_timer_count(), i, rc;
	long t0 = now_ms();

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (geteuid()) {
		ktap_plan(1);
		ktap_skip_test("forge", "needs root");
		return ktap_finish();
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	kmsg_start = kmsg_mark();
	rc = env_setup();
	if (rc) {
		ktap_plan(1);
		if (rc == KSFT_SKIP)
			ktap_skip_test("forge", "environment lacks something (see above)");
		else
			ktap_result(0, "forge: set-up");
		env_teardown();
		return ktap_finish();
	}
	ktap_plan(nresp + nrd + ntimer + nreq);
	for (i = 0; i < nresp; i++) {
		case_ok = true;
		case_resp(i);
		ktap_result(case_ok, "%s", case_resp_name(i));
	}
	for (i = 0; i < nrd; i++) {
		case_ok = true;
		case_rd(i);
		ktap_result(case_ok, "%s", case_rd_name(i));
	}
	for (i = 0; i < ntimer; i++) {
		case_ok = true;
		case_timer(i);
		ktap_result(case_ok, "%s", case_timer_name(i));
	}
	for (i = 0; i < nreq; i++) {
		case_ok = true;
		case_req(i);
		ktap_result(case_ok, "%s", case_req_name(i));
	}
	env_teardown();
	ktap_info("forge on %s: %ld s", E.dev, (now_ms() - t0) / 1000);
	return ktap_finish();
}
