// SPDX-License-Identifier: GPL-2.0
/*
 * selftests/forge: the responder under forged requests. Each case gets a
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

static struct victim V;
static struct counters B;
static uint8_t pay_a[2048], pay_b[2048];

static uint64_t mva(int64_t off)
{
	return (uint64_t)(uintptr_t)E.mrbuf + (uint64_t)off;
}

static bool begin(const struct vopts *o)
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
	if (victim_new(&V, o)) {
		fail("cannot create the victim QP");
		return false;
	}
	counters_read(&B);
	return true;
}

static void end(void)
{
	victim_free(&V);
}

static struct fpkt req(uint8_t op, uint32_t psn)
{
	struct fpkt f = {
		.op = op, .qpn = V.qpn, .psn = psn, .ackreq = true, .pad = -1,
		.rkey = E.mr->rkey,
	};
	return f;
}

static struct fpkt write_only(uint32_t psn, uint64_t va, const void *pay,
			      uint32_t n)
{
	struct fpkt f = req(OP_WRITE_ONLY, psn);

	f.va = va;
	f.dlen = n;
	f.pay = pay;
	f.paylen = n;
	return f;
}

static void grant(uint32_t off, const void *pay, uint32_t n)
{
	memcpy(E.shadow + off, pay, n);
}

/* A WRITE at the expected PSN lands and is ACKed: the QP still works. */
static void still_works(uint32_t psn)
{
	struct fpkt f = write_only(psn, mva(3000), pay_b, 48);

	inject(&f);
	if (want_ack(&V, SYN_ACK, psn))
		grant(3000, pay_b, 48);
	want_mem();
}

/* --- positive controls -------------------------------------------------- */

static void c_write_ok(void)
{
	struct fpkt f;

	if (!begin(NULL))
		return;
	f = write_only(V.rq_psn, mva(128), pay_a, 64);
	inject(&f);
	if (want_ack(&V, SYN_ACK, V.rq_psn))
		grant(128, pay_a, 64);
	want_mem();
	want_state(&V, IBV_QPS_RTS);
	want_counters(&B, 0);
	end();
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

	if (!begin(NULL))
		return;
	for (k = 0; k < N; k++) {
		f = write_only(V.rq_psn + k, mva(512 + 256 * k), pay_a + 16 * k,
			       LEN);
		f.ackreq = k == N - 1;
		/* every unit has one length: the GSO segment size */
		tlen = tp_build(tps + k * tlen, &f);
	}
	if (peer_send_gso(tps, tlen, N)) {
		fail("the peer cannot send a UDP GSO datagram: %s",
		     strerror(errno));
		end();
		return;
	}
	if (want_ack(&V, SYN_ACK, V.rq_psn + N - 1))
		for (k = 0; k < N; k++)
			grant(512 + 256 * k, pay_a + 16 * k, LEN);
	want_mem();
	want_state(&V, IBV_QPS_RTS);
	want_counters(&B, 0);
	end();
}

static void c_bad_icrc(void)
{
	uint8_t tp[MAX_FRAME];
	struct fpkt f;
	size_t n;

	if (!begin(NULL))
		return;
	f = write_only(V.rq_psn, mva(256), pay_a, 64);
	n = tp_build(tp, &f);
	peer_send_tp(tp, n, true, 0x00010000);
	want_quiet(V.peer_qpn, QUIET_MS);
	want_mem();
	want_state(&V, IBV_QPS_RTS);
	want_counters(&B, CBIT(C_BAD_ICRC));
	/* the same frame with its right ICRC lands */
	peer_send_tp(tp, n, true, 0);
	if (want_ack(&V, SYN_ACK, V.rq_psn))
		grant(256, pay_a, 64);
	want_mem();
	end();
}

/* --- requests answered with a NAK that ends the QP ---------------------- */

static void nak_case(struct fpkt *f, uint8_t syn, unsigned int cnt)
{
	inject(f);
	want_ack(&V, syn, f->psn);
	want_state(&V, IBV_QPS_ERR);
	want_mem();
	want_counters(&B, CBIT(C_NAKS_SENT) | cnt);
	end();
}

static void c_wrong_rkey(void)
{
	struct fpkt f;

	if (!begin(NULL))
		return;
	f = write_only(V.rq_psn, mva(64), pay_a, 64);
	f.rkey ^= 0x1;
	nak_case(&f, SYN_NAK_ACC, 0);
}

static void c_other_pd(void)
{
	struct fpkt f;

	if (!begin(NULL))
		return;
	f = write_only(V.rq_psn, (uintptr_t)E.area2 + 64, pay_a, 64);
	f.rkey = E.mr2->rkey;
	nak_case(&f, SYN_NAK_ACC, 0);
}

static void c_oob_below(void)
{
	struct fpkt f;

	if (!begin(NULL))
		return;
	f = write_only(V.rq_psn, mva(-16), pay_a, 32);
	nak_case(&f, SYN_NAK_ACC, 0);
}

static void c_oob_above(void)
{
	struct fpkt f;

	if (!begin(NULL))
		return;
	f = write_only(V.rq_psn, mva(PG - 16), pay_a, 32);
	nak_case(&f, SYN_NAK_ACC, 0);
}

static void c_oob_wrap(void)
{
	struct fpkt f;

	if (!begin(NULL))
		return;
	f = write_only(V.rq_psn, 0xffffffffffffffe0ull, pay_a, 64);
	nak_case(&f, SYN_NAK_ACC, 0);
}

static void c_dlen_above(void)
{
	struct fpkt f;

	if (!begin(NULL))
		return;
	f = write_only(V.rq_psn, mva(128), pay_a, 64);
	f.dlen = 128;
	nak_case(&f, SYN_NAK_INV, 0);
}

static void c_dlen_below(void)
{
	struct fpkt f;

	if (!begin(NULL))
		return;
	f = write_only(V.rq_psn, mva(128), pay_a, 64);
	f.dlen = 32;
	nak_case(&f, SYN_NAK_INV, 0);
}

static void c_above_mtu(void)
{
	struct fpkt f;

	if (!begin(NULL))
		return;
	f = write_only(V.rq_psn, mva(0), pay_a, MTU_BYTES + 256);
	nak_case(&f, SYN_NAK_INV, 0);
}

static void c_read_oob(void)
{
	struct fpkt f;

	if (!begin(NULL))
		return;
	f = req(OP_READ_REQ, V.rq_psn);
	f.va = mva(PG - 16);
	f.dlen = 64;
	nak_case(&f, SYN_NAK_ACC, 0);
}

static void c_atomic_oob(void)
{
	struct fpkt f;

	if (!begin(NULL))
		return;
	f = req(OP_FETCH_ADD, V.rq_psn);
	f.va = mva(PG);
	f.swap_add = 1;
	nak_case(&f, SYN_NAK_ACC, 0);
}

static void c_atomic_unaligned(void)
{
	struct fpkt f;

	if (!begin(NULL))
		return;
	f = req(OP_FETCH_ADD, V.rq_psn);
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
	if (!begin(&o))
		return;
	if (op == OP_WRITE_ONLY) {
		f = write_only(V.rq_psn, mva(256), pay_a, 64);
	} else {
		f = req(op, V.rq_psn);
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

static void drop_case(const uint8_t *tp, size_t n, bool icrc, int cnt,
		      uint32_t quiet_qpn)
{
	peer_send_tp(tp, n, icrc, 0);
	want_quiet(quiet_qpn, QUIET_MS);
	want_state(&V, IBV_QPS_RTS);
	want_mem();
	want_counters(&B, CBIT(cnt));
	still_works(V.rq_psn);
	end();
}

static void c_trunc_bth(void)
{
	uint8_t tp[MAX_FRAME];
	struct fpkt f;

	if (!begin(NULL))
		return;
	f = write_only(V.rq_psn, mva(64), pay_a, 64);
	tp_build(tp, &f);
	drop_case(tp, 8, false, C_SHORT, V.peer_qpn);
}

static void c_trunc_reth(void)
{
	uint8_t tp[MAX_FRAME];
	struct fpkt f;

	if (!begin(NULL))
		return;
	f = write_only(V.rq_psn, mva(64), pay_a, 64);
	tp_build(tp, &f);
	drop_case(tp, 12 + 8, false, C_SHORT, V.peer_qpn);
}

static void c_pad_no_payload(void)
{
	uint8_t tp[MAX_FRAME];
	struct fpkt f;

	if (!begin(NULL))
		return;
	f = req(OP_READ_REQ, V.rq_psn);
	f.va = mva(64);
	f.dlen = 64;
	f.pad = 2;
	drop_case(tp, tp_build(tp, &f), true, C_BAD_HEADER, V.peer_qpn);
}

static void c_pad_too_long(void)
{
	uint8_t tp[MAX_FRAME];
	struct fpkt f;

	if (!begin(NULL))
		return;
	f = write_only(V.rq_psn, mva(64), pay_a, 0);
	f.pad = 3;
	/* PadCnt 3 in the BTH, but no pad bytes in the frame */
	drop_case(tp, tp_build(tp, &f) - 3, true, C_SHORT, V.peer_qpn);
}

static void c_bad_opcode(void)
{
	uint8_t tp[MAX_FRAME];
	struct fpkt f;

	if (!begin(NULL))
		return;
	f = req(0x15, V.rq_psn);	/* reserved in RC */
	f.pay = pay_a;
	f.paylen = 16;
	drop_case(tp, tp_build(tp, &f), true, C_BAD_OPCODE, V.peer_qpn);
}

static void c_uc_to_rc(void)
{
	uint8_t tp[MAX_FRAME];
	struct fpkt f;

	if (!begin(NULL))
		return;
	f = write_only(V.rq_psn, mva(64), pay_a, 64);
	f.op = OP_UC_WRITE_ONLY;
	drop_case(tp, tp_build(tp, &f), true, C_BAD_HEADER, V.peer_qpn);
}

static void c_no_qp(void)
{
	uint8_t tp[MAX_FRAME];
	struct fpkt f;

	if (!begin(NULL))
		return;
	f = write_only(V.rq_psn, mva(64), pay_a, 64);
	f.qpn = 0xfedcba;
	drop_case(tp, tp_build(tp, &f), true, C_NO_QP, ~0u);
}

/* --- PSN order ---------------------------------------------------------- */

static void c_future_psn(void)
{
	uint32_t e;
	struct fpkt f;

	if (!begin(NULL))
		return;
	e = V.rq_psn;
	f = write_only(e + 3, mva(0), pay_b, 64);
	inject(&f);
	want_ack(&V, SYN_NAK_SEQ, e);
	f = write_only(e + 4, mva(256), pay_b, 64);
	inject(&f);
	if (!want_quiet(V.peer_qpn, QUIET_MS))
		note("a second PSN sequence NAK before the gap closed");
	f = write_only(e, mva(512), pay_a, 64);
	inject(&f);
	if (want_ack(&V, SYN_ACK, e))
		grant(512, pay_a, 64);
	/* the gap closed: a new one is NAKed again, with the new PSN */
	f = write_only(e + 5, mva(768), pay_b, 64);
	inject(&f);
	want_ack(&V, SYN_NAK_SEQ, PSN(e + 1));
	want_state(&V, IBV_QPS_RTS);
	want_mem();
	want_counters(&B, CBIT(C_OUT_OF_SEQ));
	end();
}

/*
 * @op (one packet, @len bytes to @off) lands; its duplicate, with other
 * bytes, is ACKed again and not executed.
 */
static void dup_case(uint8_t op, uint32_t off, uint32_t len)
{
	uint32_t e;
	struct fpkt f;

	if (!begin(NULL))
		return;
	e = V.rq_psn;
	f = write_only(e, mva(off), pay_a, len);
	f.op = op;
	inject(&f);
	if (want_ack(&V, SYN_ACK, e))
		grant(off, pay_a, len);
	f.pay = pay_b;
	inject(&f);
	want_ack(&V, SYN_ACK, e);
	want_state(&V, IBV_QPS_RTS);
	want_mem();
	want_counters(&B, CBIT(C_DUP_REQ));
	still_works(PSN(e + 1));
	end();
}

static void c_dup_write(void)
{
	dup_case(OP_WRITE_ONLY, 768, 64);
}

/* --- ATOMIC WRITE (IBTA 1.5): RETH and 8 bytes, answered as a WRITE ----- */

static struct fpkt atomic_write(uint32_t psn, uint32_t off, const void *pay)
{
	struct fpkt f = write_only(psn, mva(off), pay, 8);

	f.op = OP_ATOMIC_WRITE;
	return f;
}

static void c_atomic_write(void)
{
	dup_case(OP_ATOMIC_WRITE, 1024, 8);
}

/* an ATOMIC WRITE of @len bytes (RETH and payload) to @off: NAK @syn */
static void atomic_write_nak(uint32_t off, uint32_t len, uint8_t syn)
{
	struct fpkt f;

	if (!begin(NULL))
		return;
	f = atomic_write(V.rq_psn, off, pay_a);
	f.dlen = len;
	f.paylen = len;
	nak_case(&f, syn, 0);
}

static void c_atomic_write_unaligned(void)
{
	atomic_write_nak(1028, 8, SYN_NAK_INV);
}

/* an ATOMIC WRITE is 8 bytes or invalid */
static void c_atomic_write_16(void)
{
	atomic_write_nak(1024, 16, SYN_NAK_INV);
}

static void c_atomic_write_oob(void)
{
	atomic_write_nak(PG, 8, SYN_NAK_ACC);
}

/* --- READ and ATOMIC that must work -------------------------------------- */

/* The READ response packets for [off, off + len) from PSN @psn on. */
static bool want_read_resp(uint32_t psn, uint32_t off, uint32_t len)
{
	uint32_t k, n = (len + MTU_BYTES - 1) / MTU_BYTES, got;
	struct rpkt r;
	uint8_t op;

	for (k = 0; k < n; k++) {
		got = k + 1 < n ? MTU_BYTES : len - k * MTU_BYTES;
		op = n == 1 ? OP_RR_ONLY : !k ? OP_RR_FIRST :
		     k + 1 == n ? OP_RR_LAST : OP_RR_MIDDLE;
		if (!peer_recv(&r, V.peer_qpn, WAIT_MS)) {
			fail("no READ response %u of %u within %d ms", k + 1,
			     n, WAIT_MS);
			return false;
		}
		if (r.opcode != op || r.psn != PSN(psn + k) || !r.icrc_ok ||
		    r.paylen != got || (r.has_aeth && (r.syn & 0xe0))) {
			fail("READ response %u: opcode 0x%02x PSN 0x%06x %u bytes syndrome 0x%02x%s, must be 0x%02x PSN 0x%06x %u bytes",
			     k + 1, r.opcode, r.psn, r.paylen, r.syn,
			     r.icrc_ok ? "" : " bad ICRC", op, PSN(psn + k),
			     got);
			return false;
		}
		if (memcmp(r.raw + r.pay_off, E.shadow + off + k * MTU_BYTES,
			   got)) {
			fail("READ response %u carries the wrong bytes", k + 1);
			return false;
		}
	}
	return true;
}

static void c_read_ok(void)
{
	struct fpkt f;

	if (!begin(NULL))
		return;
	f = req(OP_READ_REQ, V.rq_psn);
	f.va = mva(512);
	f.dlen = 100;
	inject(&f);
	want_read_resp(V.rq_psn, 512, 100);
	want_state(&V, IBV_QPS_RTS);
	want_mem();
	want_counters(&B, 0);
	still_works(PSN(V.rq_psn + 1));
	end();
}

static void c_read_multi(void)
{
	struct fpkt f;

	if (!begin(NULL))
		return;
	f = req(OP_READ_REQ, V.rq_psn);
	f.va = mva(1000);
	f.dlen = 2500;
	inject(&f);
	want_read_resp(V.rq_psn, 1000, 2500);
	want_state(&V, IBV_QPS_RTS);
	want_counters(&B, 0);
	/* three PSNs: the next request is the fourth */
	still_works(PSN(V.rq_psn + 3));
	end();
}

static bool want_atomic_ack(uint32_t psn, uint64_t orig)
{
	struct rpkt r;

	if (!peer_recv(&r, V.peer_qpn, WAIT_MS)) {
		fail("no ATOMIC ACK for PSN 0x%06x within %d ms", psn, WAIT_MS);
		return false;
	}
	if (r.opcode != OP_ATOMIC_ACK || r.psn != PSN(psn) || !r.icrc_ok ||
	    (r.syn & 0xe0) || r.orig != orig) {
		fail("ATOMIC ACK: opcode 0x%02x PSN 0x%06x syndrome 0x%02x original 0x%llx%s, must be 0x12 PSN 0x%06x original 0x%llx",
		     r.opcode, r.psn, r.syn, (unsigned long long)r.orig,
		     r.icrc_ok ? "" : " bad ICRC", PSN(psn),
		     (unsigned long long)orig);
		return false;
	}
	return true;
}

static void c_fetch_add(void)
{
	uint64_t x, y;
	struct fpkt f;

	if (!begin(NULL))
		return;
	memcpy(&x, E.shadow + 64, 8);
	f = req(OP_FETCH_ADD, V.rq_psn);
	f.va = mva(64);
	f.swap_add = 5;
	inject(&f);
	if (want_atomic_ack(V.rq_psn, x)) {
		y = x + 5;
		memcpy(E.shadow + 64, &y, 8);
	}
	want_mem();
	/* again, same PSN: answered with the first result, not executed */
	inject(&f);
	want_atomic_ack(V.rq_psn, x);
	want_mem();
	want_state(&V, IBV_QPS_RTS);
	want_counters(&B, CBIT(C_DUP_REQ));
	still_works(PSN(V.rq_psn + 1));
	end();
}

/* An ATOMIC ACK for @psn among whatever else the victim sends (READ data). */
static bool want_atomic_ack_among(uint32_t psn, uint64_t orig)
{
	long end_ms = now_ms() + WAIT_MS;
	struct rpkt r;
	long left;

	while ((left = end_ms - now_ms()) > 0 &&
	       peer_recv(&r, V.peer_qpn, (int)left)) {
		if (r.opcode != OP_ATOMIC_ACK || r.psn != PSN(psn))
			continue;
		if (!r.icrc_ok || (r.syn & 0xe0) || r.orig != orig) {
			fail("ATOMIC ACK PSN 0x%06x: syndrome 0x%02x original 0x%llx%s, must be an ACK with 0x%llx",
			     r.psn, r.syn, (unsigned long long)r.orig,
			     r.icrc_ok ? "" : " bad ICRC",
			     (unsigned long long)orig);
			return false;
		}
		return true;
	}
	fail("no ATOMIC ACK for PSN 0x%06x within %d ms", psn, WAIT_MS);
	return false;
}

/*
 * A 2 MiB READ still being answered, 127 small READs behind it, then a
 * FETCH_ADD and its duplicate: the atomic's result must be kept although
 * the oldest READ record is the one in use, and the duplicate answered with
 * it, not executed again (item 9; before, the atomic found its slot taken,
 * kept no result and the duplicate went unanswered: retry exceeded).
 */
static void c_dup_atomic_busy(void)
{
	enum { BIG = 2 << 20, SMALL = 127 };
	struct ibv_mr *big = NULL;
	uint32_t psn, i;
	uint64_t x, y;
	void *buf;
	struct fpkt f;

	if (posix_memalign(&buf, PG, BIG)) {
		fail("no memory for the 2 MiB READ source");
		return;
	}
	memset(buf, 0x3c, BIG);
	if (!begin(NULL))
		goto out_free;
	big = ibv_reg_mr(E.pd, buf, BIG, IBV_ACCESS_LOCAL_WRITE |
			 IBV_ACCESS_REMOTE_READ);
	if (!big) {
		fail("cannot register the 2 MiB READ source");
		goto out_end;
	}
	psn = V.rq_psn;
	f = req(OP_READ_REQ, psn);
	f.va = (uintptr_t)buf;
	f.rkey = big->rkey;
	f.dlen = BIG;
	inject(&f);
	psn = PSN(psn + BIG / MTU_BYTES);
	for (i = 0; i < SMALL; i++, psn = PSN(psn + 1)) {
		f = req(OP_READ_REQ, psn);
		f.va = mva(8 * i);
		f.dlen = 8;
		inject(&f);
	}
	memcpy(&x, E.shadow + 64, 8);
	f = req(OP_FETCH_ADD, psn);
	f.va = mva(64);
	f.swap_add = 7;
	inject(&f);
	if (want_atomic_ack_among(psn, x)) {
		y = x + 7;
		memcpy(E.shadow + 64, &y, 8);
	}
	/* the ACK was lost: the requester asks again */
	inject(&f);
	want_atomic_ack_among(psn, x);
	want_mem();
	want_state(&V, IBV_QPS_RTS);
out_end:
	end();
	if (big && ibv_dereg_mr(big))
		fail("dereg of the 2 MiB MR failed");
out_free:
	free(buf);
}

/* --- the list ------------------------------------------------------------ */

static const struct {
	const char *name;
	void (*fn)(void);
} cases[] = {
	{ "resp: positive control: WRITE ONLY lands, ACKed", c_write_ok },
	{ "resp: bad ICRC dropped (rx_drop_bad_icrc), the good one lands", c_bad_icrc },
	{ "item 9: 4 WRITEs in one GSO super-frame: each executed, one ACK", c_gso_writes },
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
	{ "resp: ATOMIC WRITE lands, ACKed; its duplicate ACKed, not executed", c_atomic_write },
	{ "resp: unaligned ATOMIC WRITE: NAK invalid request", c_atomic_write_unaligned },
	{ "resp: 16-byte ATOMIC WRITE: NAK invalid request", c_atomic_write_16 },
	{ "resp: ATOMIC WRITE past the MR: NAK remote access", c_atomic_write_oob },
	{ "resp: READ returns the right bytes", c_read_ok },
	{ "resp: 3-packet READ returns the right bytes", c_read_multi },
	{ "resp: FETCH_ADD once; its duplicate answered, not executed", c_fetch_add },
	{ "item 9: duplicate FETCH_ADD behind a 2 MiB READ and 127 READs: answered, executed once", c_dup_atomic_busy },
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
