// SPDX-License-Identifier: GPL-2.0
/*
 * selftests/forge: the requester's timers under forged responses: RNR NAKs
 * and their wait (issue 12 item 8), the local ACK timeout, and an RNR NAK
 * taken while the timeout's handler waits for the requester's lock.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "forge.h"

#define SROCE_TEST_FILE	"/sys/kernel/debug/sroce/test"
#define SROCE_RX_DEFER	"/sys/module/sroce/parameters/rx_defer"
#define STR_(x)		#x
#define STR(x)		STR_(x)

static struct victim V, VN;
static struct counters B;

/* One SEND answered by an RNR NAK, retransmitted, then ACKed. */
static void rnr_then_ack(struct victim *v, uint32_t psn, uint64_t wr_id)
{
	peer_drain();
	if (!req_post(v, IBV_WR_SEND, 0, 32, wr_id) ||
	    !want_req(v, OP_SEND_ONLY, psn, WAIT_MS))
		return;
	counters_read(&B);
	req_answer(v, OP_ACK, SYN_RNR(1), psn, 0);
	if (!want_req(v, OP_SEND_ONLY, psn, WAIT_MS)) {
		struct ibv_wc wc;

		if (cq_wait(v->cq, &wc, 0))
			note("instead: completion wr_id 0x%llx %s",
			     (unsigned long long)wc.wr_id,
			     ibv_wc_status_str(wc.status));
		return;
	}
	req_answer(v, OP_ACK, SYN_ACK, psn, 0);
	want_wc(v, wr_id, IBV_WC_SUCCESS, NULL);
	want_state(v, IBV_QPS_RTS);
	want_mem();
	want_counters(&B, CBIT(C_RCV_RNR));
}

static void c_rnr_first(void)
{
	struct vopts o;

	vopts_req(&o, 0x4000, 1);
	if (!req_begin(&VN, &o))
		return;
	rnr_then_ack(&VN, VN.sq_psn, 0x71);
}

static void c_rnr_second(void)
{
	if (!VN.qp || qp_state(VN.qp) != IBV_QPS_RTS) {
		fail("the QP of the previous case is gone or not RTS");
		return;
	}
	rnr_then_ack(&VN, PSN(VN.sq_psn + 1), 0x72);
}

static void c_rnr_exceeded(void)
{
	uint32_t psn = PSN(VN.sq_psn + 2);
	struct vopts o;

	if (!VN.qp || qp_state(VN.qp) != IBV_QPS_RTS) {
		note("the QP of the previous cases is not RTS: a fresh one with rnr_retry 1");
		victim_free(&VN);
		vopts_req(&o, 0x4002, 1);
		if (victim_new(&VN, &o)) {
			fail("cannot create the victim QP");
			return;
		}
		psn = VN.sq_psn;
	}
	peer_drain();
	if (!req_post(&VN, IBV_WR_SEND, 0, 32, 0x73) ||
	    !want_req(&VN, OP_SEND_ONLY, psn, WAIT_MS))
		goto out;
	counters_read(&B);
	req_answer(&VN, OP_ACK, SYN_RNR(1), psn, 0);
	if (!want_req(&VN, OP_SEND_ONLY, psn, WAIT_MS))
		goto out;
	req_answer(&VN, OP_ACK, SYN_RNR(1), psn, 0);
	want_wc(&VN, 0x73, IBV_WC_RNR_RETRY_EXC_ERR, NULL);
	want_state(&VN, IBV_QPS_ERR);
	want_mem();
	want_counters(&B, CBIT(C_RCV_RNR) | CBIT(C_RNR_EXC));
out:
	victim_free(&VN);
}

/* A 32-byte SEND at @psn on the wire, ACKed, completed with success. */
static bool send_acked(struct victim *v, uint32_t psn, uint64_t wr_id)
{
	if (!req_post(v, IBV_WR_SEND, 0, 32, wr_id) ||
	    !want_req(v, OP_SEND_ONLY, psn, WAIT_MS))
		return false;
	req_answer(v, OP_ACK, SYN_ACK, psn, 0);
	return want_wc(v, wr_id, IBV_WC_SUCCESS, NULL);
}

static void c_rnr_stale(void)
{
	struct vopts o;
	long t0, dt;
	uint32_t p;
	struct rpkt r;

	vopts_req(&o, 0x5000, 7);
	if (!req_begin(&V, &o))
		return;
	p = V.sq_psn;
	if (!send_acked(&V, p, 0x74))
		goto out;
	/* an RNR NAK (655 ms) for the PSN just acknowledged */
	req_answer(&V, OP_ACK, SYN_RNR(0), p, 0);
	msleep(20);
	t0 = now_ms();
	if (!req_post(&V, IBV_WR_SEND, 0, 32, 0x75))
		goto out;
	if (!peer_recv(&r, V.peer_qpn, QUIET_MS)) {
		dt = peer_recv(&r, V.peer_qpn, WAIT_MS) ? now_ms() - t0 : -1;
		fail("the next SEND was not on the wire within %d ms (%s %ld ms)",
		     QUIET_MS, dt < 0 ? "not at all within" : "it came after",
		     dt < 0 ? (long)WAIT_MS + QUIET_MS : dt);
	} else if (r.opcode != OP_SEND_ONLY || r.psn != PSN(p + 1)) {
		fail("opcode 0x%02x PSN 0x%06x, must be the SEND PSN 0x%06x",
		     r.opcode, r.psn, PSN(p + 1));
	} else {
		note("the next SEND was on the wire after %ld ms",
		     now_ms() - t0);
	}
	req_answer(&V, OP_ACK, SYN_ACK, p + 1, 0);
	want_wc(&V, 0x75, IBV_WC_SUCCESS, NULL);
	want_state(&V, IBV_QPS_RTS);
out:
	victim_free(&V);
}

/*
 * Local ACK timeout 15 (134 ms). SEND #1 is ACKed at once, which leaves the
 * requester's timer set for it; #2, posted 80 ms later, must get its own
 * 134 ms, not #1's remainder, and be sent again each time it runs out.
 */
static void c_timeout_after_ack(void)
{
	uint32_t p = 0x5000;
	struct vopts o;
	long t0;
	int i;

	vopts_req(&o, p, 0);
	o.timeout = 15;
	if (!req_begin(&V, &o))
		return;
	if (!send_acked(&V, p, 0x76))
		goto out;
	msleep(80);
	if (!req_post(&V, IBV_WR_SEND, 0, 32, 0x77) ||
	    !want_req(&V, OP_SEND_ONLY, p + 1, WAIT_MS))
		goto out;
	t0 = now_ms();
	if (!want_quiet(V.peer_qpn, 90))
		goto out;
	for (i = 0; i < 2; i++) {
		if (!want_req(&V, OP_SEND_ONLY, p + 1, WAIT_MS))
			goto out;
		note("sent again %ld ms after it first was", now_ms() - t0);
		t0 = now_ms();
	}
	req_answer(&V, OP_ACK, SYN_ACK, p + 1, 0);
	want_wc(&V, 0x77, IBV_WC_SUCCESS, NULL);
	want_state(&V, IBV_QPS_RTS);
out:
	victim_free(&V);
}

/* Writes @val to @path; false, with a note, when it cannot. */
static bool put_file(const char *path, const char *val)
{
	FILE *f = fopen(path, "w");
	bool ok;

	if (!f) {
		note("cannot open %s: %s", path, strerror(errno));
		return false;
	}
	ok = fputs(val, f) >= 0;
	ok = !fclose(f) && ok;
	if (!ok)
		note("cannot write '%s' to %s", val, path);
	return ok;
}

/* The first character of @path, or 0. */
static char get_file(const char *path)
{
	FILE *f = fopen(path, "r");
	int c;

	if (!f)
		return 0;
	c = fgetc(f);
	fclose(f);
	return c == EOF ? 0 : (char)c;
}

/* Runs this process on @cpu only, or (-1) on every CPU again. */
static bool pin_cpu(int cpu)
{
	long i, n = sysconf(_SC_NPROCESSORS_CONF);
	cpu_set_t set;

	CPU_ZERO(&set);
	for (i = 0; i < n && i < CPU_SETSIZE; i++)
		if (cpu < 0 || i == cpu)
			CPU_SET(i, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		note("sched_setaffinity(%d): %s", cpu, strerror(errno));
		return false;
	}
	return true;
}

struct poster {
	struct victim *v;
	uint64_t wr_id;
	bool ok;
};

/* A thread on CPU 0 posts the SEND: the requester's timer is set there. */
static void *post_on_cpu0(void *arg)
{
	struct poster *ps = arg;

	ps->ok = pin_cpu(0) &&
		 req_post(ps->v, IBV_WR_SEND, 0, 32, ps->wr_id);
	return NULL;
}

/*
 * Timings of c_rnr_in_timer(), in ms from the SEND: the RNR NAK (asking for
 * 655) goes out at NAK_AT, and sroce's completer holds req.lock HOLD in it;
 * the timeout (134) runs out meanwhile. A timer run that then sends as it
 * gets the lock does so inside the QUIET after the NAK; the RNR retry
 * comes after it. A NAK later than LATE may come after the timeout: that
 * try does not count.
 */
#define RIT_NAK_AT	40
#define RIT_HOLD	300
#define RIT_QUIET	500
#define RIT_LATE	100
#define RIT_TRIES	3

/*
 * One try: 1 passed, 0 failed, -1 the NAK came too late to race the
 * timeout.
 */
static int rnr_in_timer_try(uint32_t p, uint64_t wr_id)
{
	struct poster ps = { .v = &V, .wr_id = wr_id };
	struct vopts o;
	long t0, tn, t1;
	pthread_t th;

	vopts_req(&o, p, 7);
	o.timeout = 15;
	if (!req_begin(&V, &o))
		return 0;
	if (!E.rxe &&
	    !put_file(SROCE_TEST_FILE, "rnr_delay " STR(RIT_HOLD))) {
		fail("cannot hold the completer (debugfs)");
		return 0;
	}
	if (pthread_create(&th, NULL, post_on_cpu0, &ps)) {
		fail("pthread_create failed");
		return 0;
	}
	pthread_join(th, NULL);
	if (!ps.ok || !want_req(&V, OP_SEND_ONLY, p, WAIT_MS))
		return 0;
	t0 = now_ms();
	msleep(RIT_NAK_AT);
	tn = now_ms();
	req_answer(&V, OP_ACK, SYN_RNR(0), p, 0);
	t1 = now_ms();
	note("RNR NAK %ld ms after the SEND, taken in %ld ms", tn - t0,
	     t1 - tn);
	if (tn - t0 > RIT_LATE) {
		note("later than %d ms: it may come after the timeout; again",
		     RIT_LATE);
		return -1;
	}
	if (!want_quiet(V.peer_qpn, RIT_QUIET)) {
		note("it came %ld ms after the RNR NAK", now_ms() - tn);
		return 0;
	}
	if (!want_req(&V, OP_SEND_ONLY, p, WAIT_MS))
		return 0;
	note("sent again %ld ms after the RNR NAK", now_ms() - tn);
	req_answer(&V, OP_ACK, SYN_ACK, p, 0);
	return want_wc(&V, wr_id, IBV_WC_SUCCESS, NULL) &&
	       want_state(&V, IBV_QPS_RTS);
}

/*
 * Local ACK timeout 15 (134 ms). An RNR NAK (655 ms) comes 40 ms after
 * the SEND, from CPU 1, where the rx handler takes it (rx_defer off), and
 * sroce's completer holds the requester's lock in it for 300 ms
 * ("rnr_delay"). The timeout runs out meanwhile on CPU 0, where the SEND
 * was posted and the timer set, and its handler waits for that lock; the
 * completer then sets the timer for the RNR delay. The handler must leave
 * the retry to that expiry, not send when it gets the lock. On rxe, with
 * no hook, nothing races: the SEND must wait the whole RNR delay too.
 */
static void c_rnr_in_timer(void)
{
	char defer = 0;
	int i, r = -1;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		fail("needs two CPUs");
		return;
	}
	if (!E.rxe) {
		defer = get_file(SROCE_RX_DEFER);
		if (!defer || !put_file(SROCE_RX_DEFER, "N")) {
			fail("cannot turn rx_defer off");
			return;
		}
	}
	if (pin_cpu(1)) {
		for (i = 0; i < RIT_TRIES && r < 0; i++) {
			r = rnr_in_timer_try(0x5200 + 0x100 * i, 0x78 + i);
			victim_free(&V);
		}
		if (r < 0)
			fail("the NAK was late in all %d tries", RIT_TRIES);
	}
	pin_cpu(-1);
	if (defer) {
		put_file(SROCE_TEST_FILE, "rnr_delay 0");
		put_file(SROCE_RX_DEFER, defer == 'Y' ? "Y" : "N");
	}
}

static const struct {
	const char *name;
	void (*fn)(void);
} cases[] = {
	{ "item 8: rnr_retry 1: SEND #1 RNR NAK, retransmitted, ACK: success", c_rnr_first },
	{ "item 8: rnr_retry 1: SEND #2 RNR NAK, retransmitted, ACK: success", c_rnr_second },
	{ "item 8: rnr_retry 1: SEND #3 RNR NAK twice: RNR_RETRY_EXC_ERR", c_rnr_exceeded },
	{ "item 8: RNR NAK for an acknowledged PSN does not stall the SQ", c_rnr_stale },
	{ "a SEND after an ACKed one gets its whole local ACK timeout, then is resent", c_timeout_after_ack },
	{ "an RNR NAK taken as the timeout runs out: the whole RNR delay", c_rnr_in_timer },
};

int case_timer_count(void)
{
	return (int)(sizeof(cases) / sizeof(cases[0]));
}

const char *case_timer_name(int n)
{
	return cases[n].name;
}

void case_timer(int n)
{
	cases[n].fn();
}
