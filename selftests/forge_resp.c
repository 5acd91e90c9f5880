// SPDX-License-Identifier: GPL-2.0
/*
 * selftests/forge: the responder under forged requests (forge_rd.c: the
 * requests answered with data: READ, ATOMIC, ATOMIC WRITE, FLUSH), and the
 * helpers both files use. Each case gets a
 * fresh RC victim QP (full remote access unless said otherwise) and a
 * freshly patterned MR page between two guard pages; it injects requests
 * as the peer and checks the answer on the wire (ACK, NAK with syndrome and
 * PSN, READ response, ATOMIC ACK, or nothing for QUIET_MS), the QP state,
 * the memory (guard pages, the MR page as the case grants, the other PD's
 * MR), and which counter moved.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forge.h"

struct victim RV;
struct counters RB;
uint8_t pay_a[2048], pay_b[2048];

uint64_t mva(int64_t off)
{
	return (uint64_t)(uintptr_t)E.mrbuf + (uint64_t)off;
}

bool resp_begin(const struct vopts *o)
{
	struct vopts d;
	int i;

	for (i = 0; i < (int)sizeof(pay_a); i++) {
		pay_a[i] = (uint8_t)(0x80 ^ (i * 13));
		pay_b[i] = (uint8_t)(0x40 ^ (i * 29));
	}
	if (!o) {
		vopts_rc(&d);
		o = &d;
	}
	mem_reset();
	peer_drain();
	if (victim_new(&RV, o)) {
		fail("cannot create the victim QP");
		return false;
	}
	counters_read(&RB);
	return true;
}

void resp_end(void)
{
	victim_free(&RV);
}

struct fpkt req(uint8_t op, uint32_t psn)
{
	struct fpkt f = {
		.op = op, .qpn = RV.qpn, .psn = psn, .ackreq = true, .pad = -1,
		.rkey = E.mr->rkey,
	};
	return f;
}

struct fpkt write_only(uint32_t psn, uint64_t va, const void *pay,
			      uint32_t n)
{
	struct fpkt f = req(OP_WRITE_ONLY, psn);

	f.va = va;
	f.dlen = n;
	f.pay = pay;
	f.paylen = n;
	return f;
}

void grant(uint32_t off, const void *pay, uint32_t n)
{
	memcpy(E.shadow + off, pay, n);
}

/* A WRITE at the expected PSN lands and is ACKed: the QP still works. */
void still_works(uint32_t psn)
{
	struct fpkt f = write_only(psn, mva(3000), pay_b, 48);

	inject(&f);
	if (want_ack(&RV, SYN_ACK, psn))
		grant(3000, pay_b, 48);
	want_mem();
}

/* --- positive controls -------------------------------------------------- */

static void c_write_ok(void)
{
	struct fpkt f;

	if (!resp_begin(NULL))
		return;
	f = write_only(RV.rq_psn, mva(128), pay_a, 64);
	inject(&f);
	if (want_ack(&RV, SYN_ACK, RV.rq_psn))
		grant(128, pay_a, 64);
	want_mem();
	want_state(&RV, IBV_QPS_RTS);
	want_counters(&RB, 0);
	resp_end();
}

/*
 * Four WRITEs leave the peer as one UDP GSO datagram (UDP_SEGMENT): the
 * veth hands the super-frame to the victim's netdev whole, as UDP GRO would
 * build it. Each must be executed as its own packet, none read as one
 * huge packet (whose ICRC would not match).
 */
static void c_gso_writes(void)
{
	enum { N = 4, LEN = 200 };
	uint8_t tps[N * 256];
	size_t tlen = 0;
	struct fpkt f;
	int k;

	if (!resp_begin(NULL))
		return;
	for (k = 0; k < N; k++) {
		f = write_only(RV.rq_psn + k, mva(512 + 256 * k), pay_a + 16 * k,
			       LEN);
		f.ackreq = k == N - 1;
		/* every unit has one length: the GSO segment size */
		tlen = tp_build(tps + k * tlen, &f);
	}
	if (peer_send_gso(tps, tlen, N)) {
		fail("the peer cannot send a UDP GSO datagram: %s",
		     strerror(errno));
		resp_end();
		return;
	}
	if (want_ack(&RV, SYN_ACK, RV.rq_psn + N - 1))
		for (k = 0; k < N; k++)
			grant(512 + 256 * k, pay_a + 16 * k, LEN);
	want_mem();
	want_state(&RV, IBV_QPS_RTS);
	want_counters(&RB, 0);
	resp_end();
}

/*
 * Two WRITEs of one length in one GSO super-frame: the first, good, to
 * mva(128); then @bad at the next PSN. The units of one skb share the MR
 * the first resolved (rx.h: @hold), so this checks that the second's key,
 * bounds and PD are still checked: NAK remote access for it, QP ERR, and
 * only the first one's bytes land.
 */
static void gso_then_bad(struct fpkt *bad)
{
	uint8_t tps[2 * 128];
	struct fpkt f;
	size_t tlen;

	f = write_only(RV.rq_psn, mva(128), pay_a, 64);
	f.ackreq = false;
	tlen = tp_build(tps, &f);
	bad->psn = PSN(RV.rq_psn + 1);
	if (tp_build(tps + tlen, bad) != tlen) {
		fail("the two units differ in length");
		resp_end();
		return;
	}
	if (peer_send_gso(tps, tlen, 2)) {
		fail("the peer cannot send a UDP GSO datagram: %s",
		     strerror(errno));
		resp_end();
		return;
	}
	if (want_ack(&RV, SYN_NAK_ACC, bad->psn))
		grant(128, pay_a, 64);
	want_state(&RV, IBV_QPS_ERR);
	want_mem();
	want_counters(&RB, CBIT(C_NAKS_SENT));
	resp_end();
}

static void c_gso_stale_rkey(void)
{
	struct fpkt f;

	if (!resp_begin(NULL))
		return;
	f = write_only(0, mva(512), pay_b, 64);
	f.rkey ^= 0x1;
	gso_then_bad(&f);
}

static void c_gso_past_mr(void)
{
	struct fpkt f;

	if (!resp_begin(NULL))
		return;
	f = write_only(0, mva(PG - 32), pay_b, 64);
	gso_then_bad(&f);
}

static void c_gso_other_pd(void)
{
	struct fpkt f;

	if (!resp_begin(NULL))
		return;
	f = write_only(0, (uintptr_t)E.area2 + 64, pay_b, 64);
	f.rkey = E.mr2->rkey;
	gso_then_bad(&f);
}

static void c_bad_icrc(void)
{
	uint8_t tp[MAX_FRAME];
	struct fpkt f;
	size_t n;

	if (!resp_begin(NULL))
		return;
	f = write_only(RV.rq_psn, mva(256), pay_a, 64);
	n = tp_build(tp, &f);
	peer_send_tp(tp, n, true, 0x00010000);
	want_quiet(RV.peer_qpn, QUIET_MS);
	want_mem();
	want_state(&RV, IBV_QPS_RTS);
	want_counters(&RB, CBIT(C_BAD_ICRC));
	/* the same frame with its right ICRC lands */
	peer_send_tp(tp, n, true, 0);
	if (want_ack(&RV, SYN_ACK, RV.rq_psn))
		grant(256, pay_a, 64);
	want_mem();
	resp_end();
}

/* WRITE FIRST at @psn: @paylen bytes of pay_a to mva(0), @dlen in all. */
static void write_first(uint32_t psn, uint32_t paylen, uint32_t dlen)
{
	struct fpkt f = write_only(psn, mva(0), pay_a, paylen);

	f.op = OP_WRITE_FIRST;
	f.dlen = dlen;
	f.ackreq = false;
	inject(&f);
}

/* A WRITE Middle or Last, sent with its ICRC xored with @bad. */
static void write_more(uint8_t op, uint32_t psn, const void *pay,
		       uint32_t paylen, uint32_t bad)
{
	uint8_t tp[MAX_FRAME];
	struct fpkt f = req(op, psn);

	f.pay = pay;
	f.paylen = paylen;
	f.ackreq = op == OP_WRITE_LAST;
	peer_send_tp(tp, tp_build(tp, &f), true, bad);
}

/*
 * The responder copies a WRITE's Middle and Last before their ICRC is
 * checked (rx.h): each sent first with a bad ICRC must still be dropped
 * and counted, unanswered (the bad Last asks for an ACK), and the good
 * ones complete the WRITE.
 */
static void c_bad_icrc_more(void)
{
	uint32_t e;

	if (!resp_begin(NULL))
		return;
	e = RV.rq_psn;
	write_first(e, MTU_BYTES, 2 * MTU_BYTES + 512);
	write_more(OP_WRITE_MIDDLE, PSN(e + 1), pay_a + MTU_BYTES, MTU_BYTES,
		   0x100);
	write_more(OP_WRITE_MIDDLE, PSN(e + 1), pay_a + MTU_BYTES, MTU_BYTES,
		   0);
	write_more(OP_WRITE_LAST, PSN(e + 2), pay_b, 512, 0x80000000);
	want_quiet(RV.peer_qpn, QUIET_MS);
	write_more(OP_WRITE_LAST, PSN(e + 2), pay_b, 512, 0);
	if (want_ack(&RV, SYN_ACK, PSN(e + 2))) {
		grant(0, pay_a, 2 * MTU_BYTES);
		grant(2 * MTU_BYTES, pay_b, 512);
	}
	want_mem();
	want_state(&RV, IBV_QPS_RTS);
	want_counters(&RB, CBIT(C_BAD_ICRC));
	resp_end();
}

/*
 * WRITE Middles with bad ICRCs that a good one would be answered for: too
 * short (NAK invalid request, QP error), ahead of the expected PSN (NAK PSN
 * sequence), behind it (ACK again). Not one of them may be answered.
 */
static void c_bad_icrc_more_rules(void)
{
	uint32_t e;

	if (!resp_begin(NULL))
		return;
	e = RV.rq_psn;
	write_first(e, MTU_BYTES, 2 * MTU_BYTES);
	write_more(OP_WRITE_MIDDLE, PSN(e + 1), pay_b, 512, 0x1);
	write_more(OP_WRITE_MIDDLE, PSN(e + 5), pay_b, MTU_BYTES, 0x1);
	write_more(OP_WRITE_MIDDLE, e, pay_b, MTU_BYTES, 0x1);
	want_quiet(RV.peer_qpn, QUIET_MS);
	want_state(&RV, IBV_QPS_RTS);
	write_more(OP_WRITE_LAST, PSN(e + 1), pay_a + MTU_BYTES, MTU_BYTES, 0);
	if (want_ack(&RV, SYN_ACK, PSN(e + 1)))
		grant(0, pay_a, 2 * MTU_BYTES);
	want_mem();
	want_state(&RV, IBV_QPS_RTS);
	want_counters(&RB, CBIT(C_BAD_ICRC));
	resp_end();
}

/* --- requests answered with a NAK that ends the QP ---------------------- */

void nak_case(struct fpkt *f, uint8_t syn, unsigned int cnt)
{
	inject(f);
	want_ack(&RV, syn, f->psn);
	want_state(&RV, IBV_QPS_ERR);
	want_mem();
	want_counters(&RB, CBIT(C_NAKS_SENT) | cnt);
	resp_end();
}

static void c_wrong_rkey(void)
{
	struct fpkt f;

	if (!resp_begin(NULL))
		return;
	f = write_only(RV.rq_psn, mva(64), pay_a, 64);
	f.rkey ^= 0x1;
	nak_case(&f, SYN_NAK_ACC, 0);
}

static void c_other_pd(void)
{
	struct fpkt f;

	if (!resp_begin(NULL))
		return;
	f = write_only(RV.rq_psn, (uintptr_t)E.area2 + 64, pay_a, 64);
	f.rkey = E.mr2->rkey;
	nak_case(&f, SYN_NAK_ACC, 0);
}

static void c_oob_below(void)
{
	struct fpkt f;

	if (!resp_begin(NULL))
		return;
	f = write_only(RV.rq_psn, mva(-16), pay_a, 32);
	nak_case(&f, SYN_NAK_ACC, 0);
}

static void c_oob_above(void)
{
	struct fpkt f;

	if (!resp_begin(NULL))
		return;
	f = write_only(RV.rq_psn, mva(PG - 16), pay_a, 32);
	nak_case(&f, SYN_NAK_ACC, 0);
}

static void c_oob_wrap(void)
{
	struct fpkt f;

	if (!resp_begin(NULL))
		return;
	f = write_only(RV.rq_psn, 0xffffffffffffffe0ull, pay_a, 64);
	nak_case(&f, SYN_NAK_ACC, 0);
}

static void c_dlen_above(void)
{
	struct fpkt f;

	if (!resp_begin(NULL))
		return;
	f = write_only(RV.rq_psn, mva(128), pay_a, 64);
	f.dlen = 128;
	nak_case(&f, SYN_NAK_INV, 0);
}

static void c_dlen_below(void)
{
	struct fpkt f;

	if (!resp_begin(NULL))
		return;
	f = write_only(RV.rq_psn, mva(128), pay_a, 64);
	f.dlen = 32;
	nak_case(&f, SYN_NAK_INV, 0);
}

static void c_above_mtu(void)
{
	struct fpkt f;

	if (!resp_begin(NULL))
		return;
	f = write_only(RV.rq_psn, mva(0), pay_a, MTU_BYTES + 256);
	nak_case(&f, SYN_NAK_INV, 0);
}

static void c_read_oob(void)
{
	struct fpkt f;

	if (!resp_begin(NULL))
		return;
	f = req(OP_READ_REQ, RV.rq_psn);
	f.va = mva(PG - 16);
	f.dlen = 64;
	nak_case(&f, SYN_NAK_ACC, 0);
}

static void c_atomic_oob(void)
{
	struct fpkt f;

	if (!resp_begin(NULL))
		return;
	f = req(OP_FETCH_ADD, RV.rq_psn);
	f.va = mva(PG);
	f.swap_add = 1;
	nak_case(&f, SYN_NAK_ACC, 0);
}

static void c_atomic_unaligned(void)
{
	struct fpkt f;

	if (!resp_begin(NULL))
		return;
	f = req(OP_FETCH_ADD, RV.rq_psn);
	f.va = mva(68);
	f.swap_add = 1;
	nak_case(&f, SYN_NAK_INV, 0);
}

/* Issue 12 item 4: a QP that grants no remote access, no READ/ATOMIC room. */
static void noacc_case(uint8_t op)
{
	struct vopts o;
	struct fpkt f;

	vopts_rc(&o);
	o.access = 0;
	o.max_dest_rd = 0;
	if (!resp_begin(&o))
		return;
	if (op == OP_WRITE_ONLY) {
		f = write_only(RV.rq_psn, mva(256), pay_a, 64);
	} else {
		f = req(op, RV.rq_psn);
		f.va = mva(256);
		f.dlen = 64;
		f.swap_add = 7;
	}
	nak_case(&f, SYN_NAK_INV, CBIT(C_NO_ACCESS));
}

static void c_noacc_write(void)
{
	noacc_case(OP_WRITE_ONLY);
}

static void c_noacc_read(void)
{
	noacc_case(OP_READ_REQ);
}

static void c_noacc_atomic(void)
{
	noacc_case(OP_FETCH_ADD);
}

/* --- frames dropped without an answer ----------------------------------- */

void drop_case(const uint8_t *tp, size_t n, bool icrc, int cnt,
	       uint32_t quiet_qpn)
{
	peer_send_tp(tp, n, icrc, 0);
	want_quiet(quiet_qpn, QUIET_MS);
	want_state(&RV, IBV_QPS_RTS);
	want_mem();
	want_counters(&RB, CBIT(cnt));
	still_works(RV.rq_psn);
	resp_end();
}

static void c_trunc_bth(void)
{
	uint8_t tp[MAX_FRAME];
	struct fpkt f;

	if (!resp_begin(NULL))
		return;
	f = write_only(RV.rq_psn, mva(64), pay_a, 64);
	tp_build(tp, &f);
	drop_case(tp, 8, false, C_SHORT, RV.peer_qpn);
}

static void c_trunc_reth(void)
{
	uint8_t tp[MAX_FRAME];
	struct fpkt f;

	if (!resp_begin(NULL))
		return;
	f = write_only(RV.rq_psn, mva(64), pay_a, 64);
	tp_build(tp, &f);
	drop_case(tp, 12 + 8, false, C_SHORT, RV.peer_qpn);
}

static void c_pad_no_payload(void)
{
	uint8_t tp[MAX_FRAME];
	struct fpkt f;

	if (!resp_begin(NULL))
		return;
	f = req(OP_READ_REQ, RV.rq_psn);
	f.va = mva(64);
	f.dlen = 64;
	f.pad = 2;
	drop_case(tp, tp_build(tp, &f), true, C_BAD_HEADER, RV.peer_qpn);
}

static void c_pad_too_long(void)
{
	uint8_t tp[MAX_FRAME];
	struct fpkt f;

	if (!resp_begin(NULL))
		return;
	f = write_only(RV.rq_psn, mva(64), pay_a, 0);
	f.pad = 3;
	/* PadCnt 3 in the BTH, but no pad bytes in the frame */
	drop_case(tp, tp_build(tp, &f) - 3, true, C_SHORT, RV.peer_qpn);
}

static void c_bad_opcode(void)
{
	uint8_t tp[MAX_FRAME];
	struct fpkt f;

	if (!resp_begin(NULL))
		return;
	f = req(0x15, RV.rq_psn);	/* reserved in RC */
	f.pay = pay_a;
	f.paylen = 16;
	drop_case(tp, tp_build(tp, &f), true, C_BAD_OPCODE, RV.peer_qpn);
}

static void c_uc_to_rc(void)
{
	uint8_t tp[MAX_FRAME];
	struct fpkt f;

	if (!resp_begin(NULL))
		return;
	f = write_only(RV.rq_psn, mva(64), pay_a, 64);
	f.op = OP_UC_WRITE_ONLY;
	drop_case(tp, tp_build(tp, &f), true, C_BAD_HEADER, RV.peer_qpn);
}

static void c_no_qp(void)
{
	uint8_t tp[MAX_FRAME];
	struct fpkt f;

	if (!resp_begin(NULL))
		return;
	f = write_only(RV.rq_psn, mva(64), pay_a, 64);
	f.qpn = 0xfedcba;
	drop_case(tp, tp_build(tp, &f), true, C_NO_QP, ~0u);
}

/* --- PSN order ---------------------------------------------------------- */

static void c_future_psn(void)
{
	uint32_t e;
	struct fpkt f;

	if (!resp_begin(NULL))
		return;
	e = RV.rq_psn;
	f = write_only(e + 3, mva(0), pay_b, 64);
	inject(&f);
	want_ack(&RV, SYN_NAK_SEQ, e);
	f = write_only(e + 4, mva(256), pay_b, 64);
	inject(&f);
	if (!want_quiet(RV.peer_qpn, QUIET_MS))
		note("a second PSN sequence NAK before the gap closed");
	f = write_only(e, mva(512), pay_a, 64);
	inject(&f);
	if (want_ack(&RV, SYN_ACK, e))
		grant(512, pay_a, 64);
	/* the gap closed: a new one is NAKed again, with the new PSN */
	f = write_only(e + 5, mva(768), pay_b, 64);
	inject(&f);
	want_ack(&RV, SYN_NAK_SEQ, PSN(e + 1));
	want_state(&RV, IBV_QPS_RTS);
	want_mem();
	want_counters(&RB, CBIT(C_OUT_OF_SEQ));
	resp_end();
}

/*
 * @op (one packet, @len bytes to @off) lands; its duplicate, with other
 * bytes, is ACKed again and not executed.
 */
void dup_case(uint8_t op, uint32_t off, uint32_t len)
{
	uint32_t e;
	struct fpkt f;

	if (!resp_begin(NULL))
		return;
	e = RV.rq_psn;
	f = write_only(e, mva(off), pay_a, len);
	f.op = op;
	inject(&f);
	if (want_ack(&RV, SYN_ACK, e))
		grant(off, pay_a, len);
	f.pay = pay_b;
	inject(&f);
	want_ack(&RV, SYN_ACK, e);
	want_state(&RV, IBV_QPS_RTS);
	want_mem();
	want_counters(&RB, CBIT(C_DUP_REQ));
	still_works(PSN(e + 1));
	resp_end();
}

static void c_dup_write(void)
{
	dup_case(OP_WRITE_ONLY, 768, 64);
}

/* --- the list ------------------------------------------------------------ */

static const struct {
	const char *name;
	void (*fn)(void);
} cases[] = {
	{ "resp: positive control: WRITE ONLY lands, ACKed", c_write_ok },
	{ "resp: bad ICRC dropped (rx_drop_bad_icrc), the good one lands", c_bad_icrc },
	{ "resp: bad-ICRC WRITE Middle and Last dropped, the WRITE completes", c_bad_icrc_more },
	{ "resp: bad-ICRC WRITE Middles that break rules get no answer", c_bad_icrc_more_rules },
	{ "item 9: 4 WRITEs in one GSO super-frame: each executed, one ACK", c_gso_writes },
	{ "resp: GSO WRITEs, the second's rkey stale: NAK remote access", c_gso_stale_rkey },
	{ "resp: GSO WRITEs, the second past the MR: NAK remote access", c_gso_past_mr },
	{ "resp: GSO WRITEs, the second to another PD's MR: NAK remote access", c_gso_other_pd },
	{ "resp: wrong rkey: NAK remote access, QP ERR", c_wrong_rkey },
	{ "resp: MR of another PD: NAK remote access, QP ERR", c_other_pd },
	{ "resp: WRITE below the MR: NAK remote access, QP ERR", c_oob_below },
	{ "resp: WRITE past the MR: NAK remote access, QP ERR", c_oob_above },
	{ "resp: WRITE with VA+len wrapping 2^64: NAK remote access", c_oob_wrap },
	{ "resp: RETH dma_len > payload: NAK invalid request", c_dlen_above },
	{ "resp: RETH dma_len < payload: NAK invalid request", c_dlen_below },
	{ "resp: payload above the path MTU: NAK invalid request", c_above_mtu },
	{ "resp: frame cut inside the BTH dropped (rx_drop_short)", c_trunc_bth },
	{ "resp: frame cut inside the RETH dropped (rx_drop_short)", c_trunc_reth },
	{ "resp: pad on a payload-less opcode dropped (rx_drop_bad_header)", c_pad_no_payload },
	{ "resp: pad longer than the frame dropped (rx_drop_short)", c_pad_too_long },
	{ "resp: unknown opcode dropped (rx_drop_bad_opcode)", c_bad_opcode },
	{ "resp: UC opcode to an RC QP dropped (rx_drop_bad_header)", c_uc_to_rc },
	{ "resp: unknown QPN dropped (rx_drop_no_qp)", c_no_qp },
	{ "resp: future PSN: one NAK PSN sequence until the gap closes", c_future_psn },
	{ "resp: duplicate WRITE re-ACKed, first payload kept", c_dup_write },
	{ "resp: READ past the MR: NAK remote access", c_read_oob },
	{ "resp: ATOMIC past the MR: NAK remote access", c_atomic_oob },
	{ "resp: unaligned ATOMIC: NAK invalid request", c_atomic_unaligned },
	{ "item 4: no REMOTE_WRITE on the QP: WRITE NAK invalid request", c_noacc_write },
	{ "item 4: no REMOTE_READ, max_dest_rd_atomic 0: READ NAK invalid request", c_noacc_read },
	{ "item 4: no REMOTE_ATOMIC, max_dest_rd_atomic 0: FETCH_ADD NAK invalid request", c_noacc_atomic },
};

int case_resp_count(void)
{
	return (int)(sizeof(cases) / sizeof(cases[0]));
}

const char *case_resp_name(int n)
{
	return cases[n].name;
}

void case_resp(int n)
{
	cases[n].fn();
}
