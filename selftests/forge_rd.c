// SPDX-License-Identifier: GPL-2.0
/*
 * selftests/forge: the requests a responder answers with more than an ACK
 * (READ, ATOMIC), the ATOMIC WRITE, and RDMA FLUSH (IBTA 1.5: a FETH and a
 * RETH, answered by a READ response of 0 bytes). A kernel without FLUSH
 * (6.1) has no MR a FLUSH may target: there every FLUSH frame must be
 * dropped as an unknown opcode, the QP untouched.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "forge.h"

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

	if (!resp_begin(NULL))
		return;
	f = atomic_write(RV.rq_psn, off, pay_a);
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
		if (!peer_recv(&r, RV.peer_qpn, WAIT_MS)) {
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

/* A READ of @len bytes at @off: the right bytes, in as many PSNs. */
static void read_case(uint32_t off, uint32_t len)
{
	uint32_t n = (len + MTU_BYTES - 1) / MTU_BYTES;
	struct fpkt f;

	if (!resp_begin(NULL))
		return;
	f = req(OP_READ_REQ, RV.rq_psn);
	f.va = mva(off);
	f.dlen = len;
	inject(&f);
	want_read_resp(RV.rq_psn, off, len);
	want_state(&RV, IBV_QPS_RTS);
	want_mem();
	want_counters(&RB, 0);
	/* the next request comes after the READ's n PSNs */
	still_works(PSN(RV.rq_psn + n));
	resp_end();
}

static void c_read_ok(void)
{
	read_case(512, 100);
}

static void c_read_multi(void)
{
	read_case(1000, 2500);
}

static bool want_atomic_ack(uint32_t psn, uint64_t orig)
{
	struct rpkt r;

	if (!peer_recv(&r, RV.peer_qpn, WAIT_MS)) {
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

	if (!resp_begin(NULL))
		return;
	memcpy(&x, E.shadow + 64, 8);
	f = req(OP_FETCH_ADD, RV.rq_psn);
	f.va = mva(64);
	f.swap_add = 5;
	inject(&f);
	if (want_atomic_ack(RV.rq_psn, x)) {
		y = x + 5;
		memcpy(E.shadow + 64, &y, 8);
	}
	want_mem();
	/* again, same PSN: answered with the first result, not executed */
	inject(&f);
	want_atomic_ack(RV.rq_psn, x);
	want_mem();
	want_state(&RV, IBV_QPS_RTS);
	want_counters(&RB, CBIT(C_DUP_REQ));
	still_works(PSN(RV.rq_psn + 1));
	resp_end();
}

/* An ATOMIC ACK for @psn among whatever else the victim sends (READ data). */
static bool want_atomic_ack_among(uint32_t psn, uint64_t orig)
{
	long end_ms = now_ms() + WAIT_MS;
	struct rpkt r;
	long left;

	while ((left = end_ms - now_ms()) > 0 &&
	       peer_recv(&r, RV.peer_qpn, (int)left)) {
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
 * A new victim with the @len bytes at @buf registered as a READ source, and
 * one READ of all of them injected at its next PSN (*@psn). Returns the MR;
 * NULL when it failed, and then no victim is left.
 */
static struct ibv_mr *read_source(void *buf, uint32_t len, uint32_t *psn)
{
	struct ibv_mr *mr;
	struct fpkt f;

	if (!resp_begin(NULL))
		return NULL;
	mr = ibv_reg_mr(E.pd, buf, len, IBV_ACCESS_LOCAL_WRITE |
			IBV_ACCESS_REMOTE_READ);
	if (!mr) {
		fail("cannot register the %u-byte READ source", len);
		resp_end();
		return NULL;
	}
	*psn = RV.rq_psn;
	f = req(OP_READ_REQ, *psn);
	f.va = (uintptr_t)buf;
	f.rkey = mr->rkey;
	f.dlen = len;
	inject(&f);
	return mr;
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
	struct ibv_mr *big;
	uint32_t psn, i;
	uint64_t x, y;
	void *buf;
	struct fpkt f;

	if (posix_memalign(&buf, PG, BIG)) {
		fail("no memory for the 2 MiB READ source");
		return;
	}
	memset(buf, 0x3c, BIG);
	big = read_source(buf, BIG, &psn);
	if (!big)
		goto out_free;
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
	want_state(&RV, IBV_QPS_RTS);
	resp_end();
	if (ibv_dereg_mr(big))
		fail("dereg of the 2 MiB MR failed");
out_free:
	free(buf);
}

/*
 * A READ of a 1 MiB user MR that is deregistered, and its memory unmapped
 * and handed out again, once the first response is in: responses go
 * zero-copy, so the frames still on their way hold the MR's pages. Every
 * response that still comes must carry the bytes the MR held, with a good
 * ICRC, never those of the reused memory; the rest is NAKed or never sent.
 * The debug kernel's KASAN watches the pages.
 */
static void c_read_dereg_inflight(void)
{
	enum { LEN = 1 << 20, N = LEN / MTU_BYTES };
	uint8_t *buf = MAP_FAILED, *junk = MAP_FAILED, *ref;
	struct ibv_mr *mr;
	uint32_t psn, k, i, got = 0;
	struct rpkt r;
	bool more;

	ref = malloc(LEN);
	buf = mmap(NULL, LEN, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!ref || buf == MAP_FAILED) {
		fail("no memory for the 1 MiB READ source");
		goto out_free;
	}
	for (i = 0; i < LEN; i++)
		ref[i] = (uint8_t)(i * 7 + (i >> 10));
	memcpy(buf, ref, LEN);
	mr = read_source(buf, LEN, &psn);
	if (!mr)
		goto out_free;
	more = peer_recv(&r, RV.peer_qpn, WAIT_MS);
	if (!more)
		fail("no READ response within %d ms", WAIT_MS);
	if (ibv_dereg_mr(mr))
		fail("dereg of the READ's MR failed");
	munmap(buf, LEN);
	buf = MAP_FAILED;
	/* what the freed pages would hold if anybody got them back */
	junk = mmap(NULL, LEN, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (junk != MAP_FAILED)
		memset(junk, 0xe5, LEN);

	for (; more; more = peer_recv(&r, RV.peer_qpn, QUIET_MS)) {
		if (r.opcode < OP_RR_FIRST || r.opcode > OP_RR_ONLY)
			continue;
		k = PSN(r.psn - psn);
		if (k >= N || !r.icrc_ok || r.paylen != MTU_BYTES ||
		    memcmp(r.raw + r.pay_off, ref + k * MTU_BYTES, MTU_BYTES)) {
			fail("READ response PSN 0x%06x (%u bytes%s) is not the MR's bytes",
			     r.psn, r.paylen, r.icrc_ok ? "" : ", bad ICRC");
			break;
		}
		got++;
	}
	note("%u of the READ's %u responses came, each with the MR's bytes",
	     got, N);
	resp_end();
out_free:
	if (junk != MAP_FAILED)
		munmap(junk, LEN);
	if (buf != MAP_FAILED)
		munmap(buf, LEN);
	free(ref);
}

/* --- RDMA FLUSH (IBTA 1.5) ------------------------------------------------ */

#define FLUSH_GLOBAL	1	/* FETH placement types */
#define FLUSH_PERSIST	2
#define FLUSH_SEL_MR	(1u << 4)	/* selectivity: the whole MR */
#define ACC_FLUSH_GLOBAL (1 << 8)	/* IB_UVERBS_ACCESS_FLUSH_GLOBAL */
#define DEV_FLUSH_GLOBAL (1ull << 38)

static struct ibv_mr *fmr;	/* the MR page again, with FLUSH_GLOBAL */

/* FLUSH offered; sroce must offer it wherever the kernel has it (6.2 on) */
static bool have_flush(void)
{
	struct ibv_device_attr_ex a;
	bool have;

	have = !ibv_query_device_ex(E.ctx, NULL, &a) &&
	       (a.device_cap_flags_ex & DEV_FLUSH_GLOBAL);
	if (!have && !E.rxe && kernel_at_least(6, 2))
		fail("no FLUSH_GLOBAL reported on a kernel with FLUSH");
	return have;
}

static struct fpkt flush_req(uint32_t psn, uint32_t off, uint32_t len,
			     uint32_t feth)
{
	struct fpkt f = req(OP_FLUSH, psn);

	f.va = mva(off);
	f.dlen = len;
	f.feth = feth;
	f.rkey = fmr ? fmr->rkey : E.mr->rkey;
	return f;
}

/*
 * A victim whose QP enables FLUSH (@qp_flush) and the FLUSH MR; false when
 * the kernel has no FLUSH: then @f, built after, must be dropped.
 */
static bool flush_begin(bool qp_flush, bool *have)
{
	struct vopts o;

	vopts_rc(&o);
	*have = have_flush();
	if (*have && qp_flush)
		o.access |= ACC_FLUSH_GLOBAL;
	if (!resp_begin(&o))
		return false;
	fmr = NULL;
	if (*have) {
		fmr = ibv_reg_mr(E.pd, E.mrbuf, PG, IBV_ACCESS_LOCAL_WRITE |
				 IBV_ACCESS_REMOTE_WRITE | ACC_FLUSH_GLOBAL);
		if (!fmr) {
			fail("ibv_reg_mr with FLUSH_GLOBAL access failed");
			resp_end();
			return false;
		}
	}
	return true;
}

static void flush_end(void)
{
	if (fmr && ibv_dereg_mr(fmr))
		fail("ibv_dereg_mr of the FLUSH MR failed");
	fmr = NULL;
}

/* No FLUSH in the kernel: @f is dropped as an unknown opcode. */
static void flush_dropped(struct fpkt *f)
{
	uint8_t tp[MAX_FRAME];

	drop_case(tp, tp_build(tp, f), true, C_BAD_OPCODE, RV.peer_qpn);
}

/* The answer to a FLUSH: one READ RESPONSE ONLY of 0 bytes at @psn. */
static bool want_flush_resp(uint32_t psn)
{
	struct rpkt r;

	if (!peer_recv(&r, RV.peer_qpn, WAIT_MS)) {
		fail("no answer to the FLUSH within %d ms", WAIT_MS);
		return false;
	}
	if (r.opcode != OP_RR_ONLY || r.psn != PSN(psn) || r.paylen ||
	    !r.icrc_ok || !r.has_aeth || (r.syn & 0xe0)) {
		fail("FLUSH answered by opcode 0x%02x PSN 0x%06x %u bytes syndrome 0x%02x%s, must be a READ RESPONSE ONLY of 0 bytes at PSN 0x%06x",
		     r.opcode, r.psn, r.paylen, r.syn,
		     r.icrc_ok ? "" : " bad ICRC", PSN(psn));
		return false;
	}
	return true;
}

/*
 * A WRITE, then a FLUSH of its range: answered once executed; the
 * duplicate FLUSH answered again the same way; the QP goes on.
 */
static void c_flush(void)
{
	struct fpkt w, f;
	bool have;
	uint32_t e;

	if (!flush_begin(true, &have))
		return;
	e = RV.rq_psn;
	f = flush_req(PSN(e + 1), 0, PG, FLUSH_GLOBAL);
	if (!have) {
		f.psn = e;
		flush_dropped(&f);
		return;
	}
	w = write_only(e, mva(2048), pay_a, 256);
	w.rkey = fmr->rkey;
	inject(&w);
	if (want_ack(&RV, SYN_ACK, e))
		grant(2048, pay_a, 256);
	inject(&f);
	want_flush_resp(f.psn);
	inject(&f);
	want_flush_resp(f.psn);
	want_state(&RV, IBV_QPS_RTS);
	want_mem();
	want_counters(&RB, CBIT(C_DUP_REQ));
	still_works(PSN(e + 2));
	flush_end();
	resp_end();
}

/* Selectivity "whole MR": the RETH's range is not looked at. */
static void c_flush_whole_mr(void)
{
	struct fpkt f;
	bool have;

	if (!flush_begin(true, &have))
		return;
	f = flush_req(RV.rq_psn, -4096 * 16, 0xffffffffu,
		      FLUSH_GLOBAL | FLUSH_SEL_MR);
	if (!have) {
		flush_dropped(&f);
		return;
	}
	inject(&f);
	want_flush_resp(RV.rq_psn);
	want_state(&RV, IBV_QPS_RTS);
	want_mem();
	want_counters(&RB, 0);
	still_works(PSN(RV.rq_psn + 1));
	flush_end();
	resp_end();
}

/* A refused FLUSH: NAK @syn, the QP in ERR, nothing else moved. */
static void flush_nak(bool qp_flush, bool key_flush, uint32_t off,
		      uint32_t len, uint32_t feth, uint8_t syn)
{
	struct fpkt f;
	bool have;

	if (!flush_begin(qp_flush, &have))
		return;
	f = flush_req(RV.rq_psn, off, len, feth);
	if (!key_flush)
		f.rkey = E.mr->rkey;
	if (!have) {
		flush_dropped(&f);
		return;
	}
	/* a QP that does not enable FLUSH counts it as such */
	nak_case(&f, syn, qp_flush ? 0 : CBIT(C_NO_ACCESS));
	flush_end();	/* the victim is gone: the MR may go */
}

static void c_flush_oob(void)
{
	flush_nak(true, true, PG - 64, 128, FLUSH_GLOBAL, SYN_NAK_ACC);
}

static void c_flush_key_noacc(void)
{
	flush_nak(true, false, 0, 64, FLUSH_GLOBAL, SYN_NAK_ACC);
}

static void c_flush_persist(void)
{
	flush_nak(true, true, 0, 64, FLUSH_PERSIST, SYN_NAK_INV);
}

static void c_flush_qp_noacc(void)
{
	flush_nak(false, true, 0, 64, FLUSH_GLOBAL, SYN_NAK_INV);
}

static void c_flush_no_plt(void)
{
	flush_nak(true, true, 0, 64, 0, SYN_NAK_INV);
}

/* --- the list ------------------------------------------------------------ */

static const struct {
	const char *name;
	void (*fn)(void);
} cases[] = {
	{ "resp: ATOMIC WRITE lands, ACKed; its duplicate ACKed, not executed", c_atomic_write },
	{ "resp: unaligned ATOMIC WRITE: NAK invalid request", c_atomic_write_unaligned },
	{ "resp: 16-byte ATOMIC WRITE: NAK invalid request", c_atomic_write_16 },
	{ "resp: ATOMIC WRITE past the MR: NAK remote access", c_atomic_write_oob },
	{ "resp: READ returns the right bytes", c_read_ok },
	{ "resp: 3-packet READ returns the right bytes", c_read_multi },
	{ "resp: FETCH_ADD once; its duplicate answered, not executed", c_fetch_add },
	{ "item 9: duplicate FETCH_ADD behind a 2 MiB READ and 127 READs: answered, executed once", c_dup_atomic_busy },
	{ "rd: READ whose MR is deregistered and unmapped mid-answer: only the MR's bytes come", c_read_dereg_inflight },
	{ "rd: FLUSH behind a WRITE: 0-byte READ response; its duplicate answered again (before 6.2: dropped)", c_flush },
	{ "rd: FLUSH of the whole MR: the RETH range not checked (before 6.2: dropped)", c_flush_whole_mr },
	{ "rd: FLUSH past the MR: NAK remote access (before 6.2: dropped)", c_flush_oob },
	{ "rd: FLUSH through a key without FLUSH access: NAK remote access (before 6.2: dropped)", c_flush_key_noacc },
	{ "rd: FLUSH to persistence (never granted): NAK invalid request (before 6.2: dropped)", c_flush_persist },
	{ "rd: FLUSH to a QP without FLUSH access: NAK invalid request (before 6.2: dropped)", c_flush_qp_noacc },
	{ "rd: FLUSH without a placement type: NAK invalid request (before 6.2: dropped)", c_flush_no_plt },
};

int case_rd_count(void)
{
	return (int)(sizeof(cases) / sizeof(cases[0]));
}

const char *case_rd_name(int n)
{
	return cases[n].name;
}

void case_rd(int n)
{
	cases[n].fn();
}
