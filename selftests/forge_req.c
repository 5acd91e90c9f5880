// SPDX-License-Identifier: GPL-2.0
/*
 * selftests/forge: the requester under forged responses (issue 12 items 3
 * and 8), UD, UC and GSI receivers under oversized messages (item 1), and
 * a bounded flood of random and mutated frames with correct ICRCs, after
 * which the device must still work and the kernel log stay clean.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "forge.h"

#define LFILL		0xe7	/* local buffer bytes nothing may touch */
#define UD_QKEY		0x11110000u
#define GSI_QKEY	0x80010000u
#define FLOOD_FRAMES	20000
#define FLOOD_MAX_MS	120000

static struct victim V;
static struct counters B;
static uint8_t pay[2048];
int kmsg_start;

/* A fresh victim @v with @o; the local page and the guards reset. */
bool req_begin(struct victim *v, const struct vopts *o)
{
	int i;

	for (i = 0; i < (int)sizeof(pay); i++)
		pay[i] = (uint8_t)(0x31 + i * 11);
	memset(E.lbuf, LFILL, PG);
	mem_reset();
	peer_drain();
	if (victim_new(v, o)) {
		fail("cannot create the victim QP");
		return false;
	}
	return true;
}

void vopts_req(struct vopts *o, uint32_t sq_psn, uint8_t rnr_retry)
{
	vopts_rc(o);
	o->sq_psn = sq_psn;
	o->rnr_retry = rnr_retry;
	o->timeout = 0;		/* no retransmission unless asked for */
}

/* Posts a signaled WR on @v from/to the local page. */
bool req_post(struct victim *v, enum ibv_wr_opcode op, uint32_t off,
		 uint32_t len, uint64_t wr_id)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)E.lbuf + off, .length = len,
		.lkey = E.lmr->lkey,
	};
	struct ibv_send_wr wr = {
		.wr_id = wr_id, .sg_list = &sge, .num_sge = 1, .opcode = op,
		.send_flags = IBV_SEND_SIGNALED,
	}, *bad;
	int err;

	if (op == IBV_WR_RDMA_READ) {
		wr.wr.rdma.remote_addr = 0x7000000;
		wr.wr.rdma.rkey = 0x4242;
	}
	if (op == IBV_WR_ATOMIC_FETCH_AND_ADD) {
		wr.wr.atomic.remote_addr = 0x7001000;
		wr.wr.atomic.rkey = 0x4242;
		wr.wr.atomic.compare_add = 1;
	}
	err = ibv_post_send(v->qp, &wr, &bad);
	if (err)
		fail("ibv_post_send: %s", strerror(err));
	return !err;
}

static bool post_recv(struct victim *v, uint32_t off, uint32_t len,
		      uint64_t wr_id)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)E.lbuf + off, .length = len,
		.lkey = E.lmr->lkey,
	};
	struct ibv_recv_wr wr = {
		.wr_id = wr_id, .sg_list = &sge, .num_sge = 1,
	}, *bad;
	int err = ibv_post_recv(v->qp, &wr, &bad);

	if (err)
		fail("ibv_post_recv: %s", strerror(err));
	return !err;
}

/* The victim's request with @op and @psn on the wire. */
bool want_req(const struct victim *v, uint8_t op, uint32_t psn,
		     int ms)
{
	struct rpkt r;

	if (!peer_recv(&r, v->peer_qpn, ms)) {
		fail("no request 0x%02x PSN 0x%06x on the wire within %d ms",
		     op, PSN(psn), ms);
		return false;
	}
	if (r.opcode != op || r.psn != PSN(psn) || !r.icrc_ok) {
		fail("request opcode 0x%02x PSN 0x%06x%s, must be 0x%02x PSN 0x%06x",
		     r.opcode, r.psn, r.icrc_ok ? "" : " bad ICRC", op,
		     PSN(psn));
		return false;
	}
	return true;
}

void req_answer(const struct victim *v, uint8_t op, uint8_t syn,
		   uint32_t psn, uint32_t paylen)
{
	struct fpkt f = {
		.op = op, .qpn = v->qpn, .psn = psn, .pad = -1, .syn = syn,
		.orig = 0x1234, .pay = pay, .paylen = paylen,
	};

	inject(&f);
}

static bool lbuf_is(uint32_t off, const uint8_t *want, uint32_t len)
{
	uint32_t i;

	for (i = 0; i < len; i++) {
		uint8_t w = want ? want[i] : LFILL;

		if (E.lbuf[off + i] != w) {
			fail("local buffer byte %u is 0x%02x, must be 0x%02x",
			     off + i, E.lbuf[off + i], w);
			return false;
		}
	}
	return true;
}

/* --- item 3: responses that answer nothing outstanding --------------------- */

static void stale_case(uint8_t op, int back)
{
	struct vopts o;
	uint32_t p;

	vopts_req(&o, 2, 7);	/* p - 5 wraps the 24-bit PSN */
	if (!req_begin(&V, &o))
		return;
	p = V.sq_psn;
	if (!req_post(&V, IBV_WR_SEND, 0, 32, 0x51) ||
	    !want_req(&V, OP_SEND_ONLY, p, WAIT_MS))
		goto out;
	counters_read(&B);
	req_answer(&V, op, SYN_ACK, PSN(p - back), op == OP_RR_ONLY ? 32 : 0);
	want_no_wc(&V, QUIET_MS);
	want_state(&V, IBV_QPS_RTS);
	want_counters(&B, CBIT(C_STALE_RESP));
	/* the real ACK completes it */
	req_answer(&V, OP_ACK, SYN_ACK, p, 0);
	want_wc(&V, 0x51, IBV_WC_SUCCESS, NULL);
	want_state(&V, IBV_QPS_RTS);
	want_mem();
out:
	victim_free(&V);
}

static void c_stale_rr_old(void)
{
	stale_case(OP_RR_ONLY, 5);
}

static void c_stale_rr_same(void)
{
	stale_case(OP_RR_ONLY, 0);
}

static void c_stale_atomic_old(void)
{
	stale_case(OP_ATOMIC_ACK, 5);
}

static void c_stale_atomic_same(void)
{
	stale_case(OP_ATOMIC_ACK, 0);
}

static void c_send_read(void)
{
	struct ibv_wc wc;
	struct vopts o;
	uint32_t p;

	vopts_req(&o, 0x3000, 7);
	if (!req_begin(&V, &o))
		return;
	p = V.sq_psn;
	if (!req_post(&V, IBV_WR_SEND, 0, 32, 0x61) ||
	    !req_post(&V, IBV_WR_RDMA_READ, 1024, 64, 0x62) ||
	    !want_req(&V, OP_SEND_ONLY, p, WAIT_MS) ||
	    !want_req(&V, OP_READ_REQ, p + 1, WAIT_MS))
		goto out;
	counters_read(&B);
	req_answer(&V, OP_RR_ONLY, SYN_ACK, p + 1, 64);
	want_wc(&V, 0x61, IBV_WC_SUCCESS, NULL);
	if (want_wc(&V, 0x62, IBV_WC_SUCCESS, &wc) && wc.byte_len != 64)
		fail("READ completion byte_len %u, must be 64", wc.byte_len);
	lbuf_is(1024, pay, 64);
	lbuf_is(1088, NULL, PG - 1088);
	want_state(&V, IBV_QPS_RTS);
	want_counters(&B, 0);
out:
	victim_free(&V);
}

/*
 * Part of a SEND or READ response to @V: @n bytes of pay + @off, an ACK
 * AETH where the opcode has one, AckReq on a SEND Last, the ICRC xored
 * with @bad.
 */
static void part(uint8_t op, uint32_t psn, uint32_t off, uint32_t n,
		 uint32_t bad)
{
	uint8_t tp[MAX_FRAME];
	struct fpkt f = {
		.op = op, .qpn = V.qpn, .psn = psn, .pad = -1, .syn = SYN_ACK,
		.ackreq = op == OP_SEND_LAST, .pay = pay + off, .paylen = n,
	};

	peer_send_tp(tp, tp_build(tp, &f), true, bad);
}

/*
 * The completer places a READ response Middle that goes on with the READ
 * before its ICRC is checked (rx.h): one with a bad ICRC must be dropped
 * and counted, and one past a gap with a bad ICRC must not make the
 * requester ask again; the good ones complete the READ with every byte in
 * place. Pieces: pay + 0, 200, 400 (MTU each) and 600 (200 bytes).
 */
static void c_read_bad_icrc(void)
{
	uint32_t len = 3 * MTU_BYTES + 200, k, p;
	struct ibv_wc wc;
	struct vopts o;

	vopts_req(&o, 0x3000, 7);
	if (!req_begin(&V, &o))
		return;
	p = V.sq_psn;
	if (!req_post(&V, IBV_WR_RDMA_READ, 0, len, 0x63) ||
	    !want_req(&V, OP_READ_REQ, p, WAIT_MS))
		goto out;
	counters_read(&B);
	part(OP_RR_FIRST, p, 0, MTU_BYTES, 0);
	part(OP_RR_MIDDLE, PSN(p + 1), 900, MTU_BYTES, 0x100);
	part(OP_RR_MIDDLE, PSN(p + 3), 900, MTU_BYTES, 0x1);
	want_quiet(V.peer_qpn, QUIET_MS);
	want_no_wc(&V, 0);
	part(OP_RR_MIDDLE, PSN(p + 1), 200, MTU_BYTES, 0);
	part(OP_RR_MIDDLE, PSN(p + 2), 400, MTU_BYTES, 0);
	part(OP_RR_LAST, PSN(p + 3), 600, 200, 0);
	if (want_wc(&V, 0x63, IBV_WC_SUCCESS, &wc)) {
		if (wc.byte_len != len)
			fail("READ completion byte_len %u, must be %u",
			     wc.byte_len, len);
		for (k = 0; k < 3; k++)
			lbuf_is(k * MTU_BYTES, pay + 200 * k, MTU_BYTES);
		lbuf_is(3 * MTU_BYTES, pay + 600, 200);
		lbuf_is(len, NULL, PG - len);
	}
	want_state(&V, IBV_QPS_RTS);
	want_counters(&B, CBIT(C_BAD_ICRC));
out:
	victim_free(&V);
}

/* --- item 1: UD, UC and GSI receivers ---------------------------------------- */

static void c_ud_long(void)
{
	struct ibv_wc wc;
	struct vopts o = { .type = IBV_QPT_UD, .qkey = UD_QKEY };
	struct fpkt f = { .op = OP_UD_SEND_ONLY, .pad = -1, .qkey = UD_QKEY,
			  .pay = pay };

	if (!req_begin(&V, &o))
		return;
	if (!post_recv(&V, 0, 256 + 40, 0x81))
		goto out;
	counters_read(&B);
	f.qpn = V.qpn;
	f.sqpn = V.peer_qpn;
	f.paylen = 1000;
	inject(&f);
	want_no_wc(&V, QUIET_MS);
	want_state(&V, IBV_QPS_RTS);
	lbuf_is(0, NULL, PG);
	want_mem();
	want_counters(&B, CBIT(C_MSG));
	f.psn = 1;
	f.paylen = 100;
	f.pay = pay + 500;
	inject(&f);
	if (want_wc(&V, 0x81, IBV_WC_SUCCESS, &wc)) {
		if (wc.byte_len != 140 || wc.src_qp != V.peer_qpn)
			fail("completion byte_len %u src_qp 0x%x, must be 140 and 0x%x",
			     wc.byte_len, wc.src_qp, V.peer_qpn);
		lbuf_is(40, pay + 500, 100);
		lbuf_is(140, NULL, PG - 140);
	}
	want_state(&V, IBV_QPS_RTS);
out:
	victim_free(&V);
}

/*
 * The responder copies a SEND's Middle and Last into the receive WQE
 * before their ICRC is checked (rx.h): each sent first with a bad ICRC
 * must be dropped and counted, unanswered, and complete nothing; the good
 * ones complete the SEND with every byte in place.
 */
static void c_send_bad_icrc(void)
{
	uint32_t len = 2 * MTU_BYTES + 300, e;
	struct ibv_wc wc;
	struct vopts o;

	vopts_rc(&o);
	if (!req_begin(&V, &o))
		return;
	if (!post_recv(&V, 0, PG, 0x83))
		goto out;
	counters_read(&B);
	e = V.rq_psn;
	part(OP_SEND_FIRST, e, 0, MTU_BYTES, 0);
	part(OP_SEND_MIDDLE, PSN(e + 1), 100, MTU_BYTES, 0x100);
	part(OP_SEND_MIDDLE, PSN(e + 1), MTU_BYTES, MTU_BYTES, 0);
	part(OP_SEND_LAST, PSN(e + 2), 700, 300, 0x80000000);
	want_quiet(V.peer_qpn, QUIET_MS);
	want_no_wc(&V, 0);
	part(OP_SEND_LAST, PSN(e + 2), 2 * MTU_BYTES, 300, 0);
	want_ack(&V, SYN_ACK, PSN(e + 2));
	if (want_wc(&V, 0x83, IBV_WC_SUCCESS, &wc)) {
		if (wc.byte_len != len)
			fail("completion byte_len %u, must be %u",
			     wc.byte_len, len);
		lbuf_is(0, pay, len);
		lbuf_is(len, NULL, PG - len);
	}
	want_state(&V, IBV_QPS_RTS);
	want_counters(&B, CBIT(C_BAD_ICRC));
out:
	victim_free(&V);
}

static void c_uc_long(void)
{
	struct ibv_wc wc;
	struct vopts o = { .type = IBV_QPT_UC, .sq_psn = 0x100,
			   .rq_psn = 0x200,
			   .access = IBV_ACCESS_REMOTE_WRITE };
	struct fpkt f = { .op = OP_UC_SEND_ONLY, .pad = -1, .pay = pay };

	if (!req_begin(&V, &o))
		return;
	if (!post_recv(&V, 0, 256, 0x82))
		goto out;
	counters_read(&B);
	f.qpn = V.qpn;
	f.psn = V.rq_psn;
	f.paylen = 512;
	inject(&f);
	want_no_wc(&V, QUIET_MS);
	want_state(&V, IBV_QPS_RTS);
	lbuf_is(0, NULL, PG);
	want_mem();
	want_counters(&B, CBIT(C_MSG));
	f.psn = V.rq_psn + 1;
	f.paylen = 100;
	f.pay = pay + 700;
	inject(&f);
	if (want_wc(&V, 0x82, IBV_WC_SUCCESS, &wc)) {
		if (wc.byte_len != 100)
			fail("completion byte_len %u, must be 100",
			     wc.byte_len);
		lbuf_is(0, pay + 700, 100);
		lbuf_is(100, NULL, PG - 100);
	}
	want_state(&V, IBV_QPS_RTS);
out:
	victim_free(&V);
}

static void c_gsi_long(void)
{
	struct fpkt f = { .op = OP_UD_SEND_ONLY, .qpn = 1, .pad = -1,
			  .qkey = GSI_QKEY, .sqpn = 1, .pay = pay,
			  .paylen = 1000 };
	char s[16];

	gsi_state(s, sizeof(s));
	if (strcmp(s, "RTS")) {
		fail("QP1 is %s before the test, must be RTS", s);
		return;
	}
	counters_read(&B);
	inject(&f);
	msleep(QUIET_MS);
	gsi_state(s, sizeof(s));
	if (strcmp(s, "RTS"))
		fail("QP1 is %s after a 1000-byte datagram, must stay RTS", s);
	want_counters(&B, CBIT(C_MSG));
}

/* --- a QP destroyed right after a frame killed it ----------------------------- */

/*
 * The packet path moves the QP to ERR and leaves the flushes to a work
 * item; the process destroys the QP at once, while that work may be
 * pending or running. Nothing may be touched after it is freed.
 */
static void c_kill_destroy(void)
{
	struct fpkt f = { .op = OP_WRITE_ONLY, .ackreq = true, .pad = -1,
			  .pay = pay, .paylen = 64, .dlen = 64 };
	int i, n = 100, dead = 0;
	struct vopts o;

	vopts_req(&o, 0x6000, 7);
	mem_reset();
	for (i = 0; i < n; i++) {
		if (victim_new(&V, &o)) {
			fail("cannot create QP %d of %d", i + 1, n);
			return;
		}
		/* work outstanding on both sides, then a fatal request */
		req_post(&V, IBV_WR_SEND, 0, 32, 1);
		post_recv(&V, 2048, 256, 2);
		f.qpn = V.qpn;
		f.psn = V.rq_psn;
		f.va = (uintptr_t)E.mrbuf + 64;
		f.rkey = E.mr->rkey ^ 1;
		inject(&f);
		dead += qp_state(V.qp) == IBV_QPS_ERR;
		victim_free(&V);
	}
	note("%d of %d QPs were in ERR when destroyed", dead, n);
	peer_drain();
	want_mem();
}

/* --- the flood --------------------------------------------------------------- */

static const uint8_t flood_ops[] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a,
	0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x16,
	0x17, 0x1c, 0x1d, 0x20, 0x22, 0x24, 0x25, 0x26, 0x28, 0x2a, 0x2b,
	0x64, 0x65,
};

static struct victim FV[3];	/* RC, UC, UD */

static uint32_t rnd(uint32_t n)
{
	return n ? (uint32_t)random() % n : 0;
}

static bool flood_victims(void)
{
	struct vopts o;
	int i;

	for (i = 0; i < 3; i++) {
		if (FV[i].qp && qp_state(FV[i].qp) == IBV_QPS_RTS)
			continue;
		victim_free(&FV[i]);
		if (i == 0)
			vopts_req(&o, 0x9000, 7);
		else
			memset(&o, 0, sizeof(o));
		o.type = i == 0 ? IBV_QPT_RC : i == 1 ? IBV_QPT_UC : IBV_QPT_UD;
		o.rq_psn = 0x8000;
		o.qkey = UD_QKEY;
		o.access = IBV_ACCESS_REMOTE_WRITE |
			   (i ? 0 : IBV_ACCESS_REMOTE_READ |
				    IBV_ACCESS_REMOTE_ATOMIC);
		if (victim_new(&FV[i], &o))
			return false;
		post_recv(&FV[i], 2048, 512, 1);
		post_recv(&FV[i], 2048, 512, 2);
		if (i == 0) {
			req_post(&FV[0], IBV_WR_SEND, 0, 64, 3);
			req_post(&FV[0], IBV_WR_RDMA_READ, 1024, 256, 4);
			req_post(&FV[0], IBV_WR_ATOMIC_FETCH_AND_ADD, 3072, 8, 5);
		}
	}
	return true;
}

static size_t flood_frame(uint8_t *tp, bool *icrc)
{
	struct victim *v = &FV[rnd(3)];
	struct fpkt f = { .pad = -1, .pay = pay };
	uint32_t k, n;
	size_t len;

	*icrc = rnd(20) != 0;
	if (!rnd(4)) {		/* random bytes behind a plausible BTH */
		len = 12 + rnd(1100);
		for (k = 0; k < len; k++)
			tp[k] = (uint8_t)random();
		if (rnd(5)) {
			tp[0] = flood_ops[rnd(sizeof(flood_ops))];
			tp[1] &= 0xf0;
			tp[2] = tp[3] = 0xff;
		}
		tp[4] = 0;
		tp[5] = (uint8_t)(v->qpn >> 16);
		tp[6] = (uint8_t)(v->qpn >> 8);
		tp[7] = (uint8_t)v->qpn;
		return len;
	}
	f.op = flood_ops[rnd(sizeof(flood_ops))];
	/* mostly to the QP whose type the opcode is for: past the type check */
	if (rnd(10))
		v = &FV[(f.op & 0xe0) == 0x00 ? 0 : (f.op & 0xe0) == 0x20 ? 1 : 2];
	f.qpn = v->qpn;
	f.ackreq = rnd(2);
	f.se = rnd(2);
	f.psn = (f.op >= 0x0d && f.op <= 0x12 ? v->sq_psn : v->rq_psn) +
		rnd(5) - 1;
	f.rkey = rnd(10) < 7 ? E.mr->rkey : rnd(2) ? E.mr2->rkey :
		 (uint32_t)random();
	f.va = rnd(10) ? (uintptr_t)E.mrbuf + rnd(PG + 64) - 32 :
	       (uint64_t)random() << 32 | (uint32_t)random();
	f.paylen = rnd(4) ? rnd(300) : rnd(1100);
	f.dlen = rnd(3) ? f.paylen : rnd(2) ? rnd(8192) : (uint32_t)random();
	f.swap_add = random();
	f.compare = random();
	f.qkey = rnd(5) ? UD_QKEY : (uint32_t)random();
	f.sqpn = v->peer_qpn;
	f.syn = rnd(2) ? SYN_ACK : (uint8_t)(rnd(2) ? 0x60 + rnd(4) :
					     (uint8_t)random());
	f.orig = random();
	f.imm = random();
	len = tp_build(tp, &f);
	switch (rnd(4)) {
	case 0:		/* flip a few bytes */
		for (n = 1 + rnd(3), k = 0; k < n; k++)
			tp[rnd((uint32_t)len)] ^= (uint8_t)(1 + rnd(255));
		break;
	case 1:		/* cut */
		len = 8 + rnd((uint32_t)len);
		break;
	case 2:		/* another PadCnt */
		tp[1] = (uint8_t)((tp[1] & ~0x30) | rnd(4) << 4);
		break;
	default:
		break;
	}
	return len;
}

static bool guards_ok(void)
{
	uint32_t i;

	for (i = 0; i < PG; i++) {
		if (E.area[i] != GUARD || E.area[2 * PG + i] != GUARD) {
			fail("guard byte %u %s the MR changed", i,
			     E.area[i] != GUARD ? "below" : "above");
			return false;
		}
		if (E.area2[i] != E.shadow2[i]) {
			fail("other PD's MR changed at byte %u", i);
			return false;
		}
	}
	return true;
}

static void c_flood(void)
{
	unsigned long sent = 0, errs = 0, recreated = 0;
	uint8_t tp[MAX_FRAME];
	long t0 = now_ms();
	struct ibv_wc wc[16];
	const char *seed_env = getenv("SROCE_TEST_FORGE_SEED");
	unsigned int seed = seed_env ? (unsigned int)strtoul(seed_env, NULL, 0) :
				       (unsigned int)time(NULL);
	bool icrc;
	size_t len;
	int i;

	note("flood seed %u (SROCE_TEST_FORGE_SEED reproduces it)", seed);
	srandom(seed);
	counters_read(&B);
	mem_reset();
	memset(E.lbuf, LFILL, PG);
	if (!flood_victims()) {
		fail("cannot create the flood's QPs");
		goto out;
	}
	while (sent < FLOOD_FRAMES && now_ms() - t0 < FLOOD_MAX_MS) {
		len = flood_frame(tp, &icrc);
		if (peer_send_tp(tp, len, icrc, 0))
			errs++;
		sent++;
		if (sent % 100)
			continue;
		peer_drain();
		for (i = 0; i < 3; i++)
			while (ibv_poll_cq(FV[i].cq, 16, wc) > 0)
				;
		for (i = 0; i < 3; i++)
			recreated += qp_state(FV[i].qp) != IBV_QPS_RTS;
		if (!flood_victims()) {
			fail("cannot re-create the flood's QPs");
			break;
		}
	}
	note("flood: %lu frames in %ld ms (%lu send errors), %lu QPs re-created",
	     sent, now_ms() - t0, errs, recreated);
	counters_note(&B);
	if (errs)
		fail("%lu frames could not be sent", errs);
	if (sent < FLOOD_FRAMES / 10)
		fail("only %lu frames within %d ms", sent, FLOOD_MAX_MS);
	msleep(1000);
	peer_drain();
	guards_ok();
out:
	for (i = 0; i < 3; i++)
		victim_free(&FV[i]);
}

/* After everything: a fresh QP still carries a WRITE and a READ. */
static void c_after(void)
{
	struct vopts o;
	struct fpkt f = { .op = OP_WRITE_ONLY, .ackreq = true, .pad = -1,
			  .pay = pay, .paylen = 200, .dlen = 200 };
	struct rpkt r;

	vopts_rc(&o);
	mem_reset();
	if (!req_begin(&V, &o))
		return;
	f.qpn = V.qpn;
	f.psn = V.rq_psn;
	f.rkey = E.mr->rkey;
	f.va = (uintptr_t)E.mrbuf + 1000;
	inject(&f);
	if (want_ack(&V, SYN_ACK, V.rq_psn))
		memcpy(E.shadow + 1000, pay, 200);
	want_mem();
	f.op = OP_READ_REQ;
	f.psn = V.rq_psn + 1;
	f.paylen = 0;
	inject(&f);
	if (!peer_recv(&r, V.peer_qpn, WAIT_MS))
		fail("no READ response");
	else if (r.opcode != OP_RR_ONLY || r.paylen != 200 ||
		 memcmp(r.raw + r.pay_off, pay, 200))
		fail("READ response opcode 0x%02x, %u bytes, not the written ones",
		     r.opcode, r.paylen);
	want_state(&V, IBV_QPS_RTS);
	victim_free(&V);
	if (peer_icrc_bad)
		fail("%lu frames from the device had a bad ICRC", peer_icrc_bad);
}

static void c_kmsg(void)
{
	int bad = kmsg_bad_since(kmsg_start);

	if (bad)
		fail("%d problem lines in the kernel log", bad);
}

static const struct {
	const char *name;
	void (*fn)(void);
} cases[] = {
	{ "item 3: READ RESPONSE PSN p-5 completes no SEND (rx_drop_stale_resp)", c_stale_rr_old },
	{ "item 3: READ RESPONSE PSN p completes no SEND (rx_drop_stale_resp)", c_stale_rr_same },
	{ "item 3: ATOMIC ACK PSN p-5 completes no SEND (rx_drop_stale_resp)", c_stale_atomic_old },
	{ "item 3: ATOMIC ACK PSN p completes no SEND (rx_drop_stale_resp)", c_stale_atomic_same },
	{ "item 3: SEND p, READ p+1: READ RESPONSE p+1 completes both, data lands", c_send_read },
	{ "bad-ICRC READ RESPONSE Middles dropped, no new request, the READ completes", c_read_bad_icrc },
	{ "item 1: UD SEND longer than the receive dropped, QP RTS, WQE kept", c_ud_long },
	{ "item 1: UC SEND longer than the receive dropped, QP RTS, WQE kept", c_uc_long },
	{ "bad-ICRC SEND Middle and Last dropped, the SEND completes whole", c_send_bad_icrc },
	{ "item 1: 1000-byte datagram to QP1 leaves the GSI QP in RTS", c_gsi_long },
	{ "a QP destroyed right after a fatal frame, 100 times", c_kill_destroy },
	{ "flood: random and mutated frames, guard pages and other PD intact", c_flood },
	{ "after the flood: a fresh QP carries WRITE and READ; device ICRCs good", c_after },
	{ "kernel log clean", c_kmsg },
};

int case_req_count(void)
{
	return (int)(sizeof(cases) / sizeof(cases[0]));
}

const char *case_req_name(int n)
{
	return cases[n].name;
}

void case_req(int n)
{
	cases[n].fn();
}
