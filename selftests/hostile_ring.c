// SPDX-License-Identifier: GPL-2.0
/*
 * A hostile process against its own mapped rings (issue 12): it rewrites
 * the indices and WQEs of its SQ, RQ, SRQ and CQ (struct rxe_queue_buf,
 * mapped from the uverbs file) while it posts, while completions flow and
 * while its QPs go to the error state, with a second thread hammering the
 * ring. Every verbs call must return within a bound (1 s by default,
 * SROCE_TEST_HOSTILE_BOUND_MS), every object must be destroyable, memory
 * next to the MR must stay untouched, and the device must carry a normal
 * RC exchange afterwards. The guest run checks the kernel log.
 *
 * The rings are reached through the rxe provider's objects: their layout
 * (rdma-core 44's libibverbs/driver.h and providers/rxe/rxe.h) is mirrored
 * below and verified at run time (the queue pointers lie in uverbs
 * mappings, index_mask and log2_elem_size fit what was created, posting
 * moves the producer index by one, completions the CQ's); if it does not
 * match, the test skips. The provider computes slot addresses from
 * unmasked indices: whenever it may touch a ring, the indices written here
 * alias a valid slot for it ((index << log2_elem_size) wraps in 32 bits)
 * while their bits above index_mask are still garbage for the kernel.
 *
 * One device, ${SROCE_TEST_DRIVER:-sroce} on veth0 (selftests/roce_net.sh),
 * whose QPs talk to each other over its own IPv4 RoCE v2 GID. Stock
 * rdma_rxe (SROCE_TEST_DRIVER=rxe) is no baseline here: Debian's 6.1 rxe
 * oopses in req_next_wqe() on the random send WQEs (measured).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <infiniband/verbs.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <rdma/rdma_user_rxe.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "ktap.h"
#include "hostile_ring.h"

static void case_begin(void)
{
	memset(&tally, 0, sizeof(tally));
}

/* One KTAP line per case: @ok and every call within the bound. */
static void __attribute__((format(printf, 2, 3)))
case_end(bool ok, const char *fmt, ...)
{
	char name[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	ktap_result(ok && !tally.over, "%s (slowest call %s: %.1f ms%s)",
		    name, tally.slow_what ? tally.slow_what : "-",
		    tally.slow_s * 1e3, tally.over ? ", over the bound" : "");
}


/* --- the cases ---------------------------------------------------------------- */

/* 1: the mirrored layout holds; 0: it does not (skip); -1: a failure. */
static int layout(void)
{
	size_t sw = sizeof(struct rxe_send_wqe) + SGE * sizeof(struct rxe_sge);
	size_t rw = sizeof(struct rxe_recv_wqe) + SGE * sizeof(struct rxe_sge);
	struct rxe_queue_buf *sq, *rq, *srq, *cq;
	struct pstat ps = {};
	uint32_t s0, r0, q0, c0;
	struct pair p;
	int ret = -1;

	if (!pair_new(&p, true, WR))
		goto out;
	sq = QP_SQ(p.a);
	rq = QP_RQ(p.a);
	srq = SRQ_Q(p.srq);
	cq = CQ_Q(p.cq);
	ret = 0;
	if (!ring_ok("SQ", sq, WR, sw) || !ring_ok("RQ", rq, WR, rw) ||
	    !ring_ok("SRQ", srq, WR, rw) ||
	    !ring_ok("CQ", cq, CQE, sizeof(struct ibv_wc)) ||
	    ((struct m_qp *)p.a)->sq.max_sge < SGE ||
	    ((struct m_qp *)p.a)->rq.max_sge < SGE)
		goto out;
	s0 = sq->producer_index;
	r0 = rq->producer_index;
	q0 = srq->producer_index;
	c0 = cq->producer_index;
	/* a receive on each queue, then a SEND from a to b's SRQ */
	ret = -(post_recv(p.a, NULL, 0, 64) || post_recv(NULL, p.srq, 64, 64) ||
		post_send(p.a, IBV_WR_SEND, 128, 64, 0));
	if (ret)
		goto out;
	if (rq->producer_index != ((r0 + 1) & rq->index_mask) ||
	    srq->producer_index != ((q0 + 1) & srq->index_mask) ||
	    sq->producer_index != ((s0 + 1) & sq->index_mask)) {
		ktap_info("posting did not move the producer index by one");
		goto out;
	}
	poll_some(p.cq, 2, 5, &ps);
	pstat_info("a SEND over the device's own GID", &ps);
	ret = -(ps.ok != 2);
	if (!ret && (cq->producer_index != ((c0 + 2) & cq->index_mask) ||
		     cq->consumer_index != cq->producer_index)) {
		ktap_info("two completions did not move the CQ indices by two");
		goto out;
	}
	ret = ret ? -1 : 1;
out:
	if (!pair_free(&p))
		ret = -1;
	return ret;
}

/* The positive control: SEND, WRITE and READ land with their data. */
static void case_traffic(const char *when)
{
	struct pstat ps = {};
	struct pair p;
	bool ok;
	int i;

	case_begin();
	memset(buf, 0, BUF_SIZE);
	for (i = 0; i < 2048; i++) {
		buf[i] = i * 7 + 1;
		buf[0x1000 + i] = i * 13 + 5;
		buf[0xc000 + i] = i * 3 + 11;
	}
	ok = pair_new(&p, false, WR) && !post_recv(p.b, NULL, 0x8000, 4096) &&
	     !post_send(p.a, IBV_WR_SEND, 0, 1024, 0) &&
	     !post_send(p.a, IBV_WR_RDMA_WRITE, 0x1000, 2048,
			(uintptr_t)buf + 0xa000) &&
	     !post_send(p.a, IBV_WR_RDMA_READ, 0x2000, 512,
			(uintptr_t)buf + 0xc000);
	if (ok) {
		poll_some(p.cq, 4, 5, &ps);
		pstat_info("SEND, WRITE, READ", &ps);
		ok = ps.ok == 4 && ps.n == 4 &&
		     !memcmp(buf + 0x8000, buf, 1024) &&
		     !memcmp(buf + 0xa000, buf + 0x1000, 2048) &&
		     !memcmp(buf + 0x2000, buf + 0xc000, 512);
	}
	ok &= pair_free(&p) && canary_intact();
	case_end(ok, "SEND, WRITE and READ between two new RC QPs %s", when);
}

enum ring { RQ, SQ, SRQ };

/*
 * A ring of BIG_WR entries whose producer the hammer keeps at consumer - 1
 * (for 5 s at most) while the kernel consumes it: the RQ and SQ through
 * modify_qp(ERR) (and doorbells for the SQ), the SRQ through arriving
 * SENDs, then b's ERR. A kernel that re-reads the producer on every pass
 * never finds the ring empty until the hammer stops: an RQ flush must
 * complete no more WQEs than the ring holds (the CQ has room for more).
 */
static void case_behind(enum ring which)
{
	static const char *const name[] = { "RQ", "SQ", "SRQ" };
	struct hammer h = { 0 };
	struct pstat ps = {}, fl;
	struct ibv_qp *victim;
	uint32_t cap = 0;
	bool ok = true, lapped = false;
	struct pair p;
	double t;
	int r, i;

	case_begin();
	for (r = 0; r < 3 && ok; r++) {
		ok = pair_new(&p, which == SRQ, BIG_WR);
		for (i = 0; ok && i < 8; i++)
			ok = !post_recv(which == RQ ? p.a : p.b, p.srq,
					i * 1024, 1024);
		victim = which == SRQ ? p.b : p.a;
		if (ok && which == RQ)
			cap = QP_RQ(p.a)->index_mask;
		ok = ok && hammer_start(&h, which == RQ ? QP_RQ(p.a) :
					which == SQ ? QP_SQ(p.a) : SRQ_Q(p.srq),
					H_PROD_BEHIND, 5);
		for (i = 0; ok && which == SQ && i < 5; i++)
			doorbell(p.a);
		for (i = 0; ok && which == SRQ && i < 20; i++) {
			post_send(p.a, IBV_WR_SEND, 0x4000, 64, 0);
			poll_some(p.cq, 2, 0.02, &ps);
		}
		if (ok) {
			t = now_s();
			ok = modify_err(victim);
			t = now_s() - t;
			ktap_info("round %d: modify_qp(ERR) returned after %.1f ms (%lu hammer writes)",
				  r, t * 1e3, hammer_stop(&h));
			memset(&fl, 0, sizeof(fl));
			poll_some(p.cq, 1 << 20, 0.3, &fl);
			pstat_info("the flush", &fl);
			if (which == RQ && (uint32_t)fl.n > cap) {
				ktap_info("the flush completed %d WQEs, the RQ holds %u",
					  fl.n, cap);
				lapped = true;
			}
		}
		hammer_stop(&h);
		ok &= pair_end(&p);
	}
	if (which == SRQ)
		pstat_info("SENDs to the hammered SRQ", &ps);
	case_end(ok && !lapped, "%s producer kept at consumer - 1 while %s", name[which],
		 which == RQ ? "modify_qp(ERR) flushes the RQ" :
		 which == SQ ? "doorbells ring and modify_qp(ERR) flushes the SQ" :
		 "SENDs arrive and the QP goes to ERR");
}

/* Receive WQE garbage of @kind (0..4) in slot @i. */
static void recv_garbage(struct rxe_queue_buf *q, uint32_t i, int kind)
{
	struct rxe_recv_wqe *w = slot(q, i);
	struct rxe_sge *sg = w->dma.sge;

	memset(w, 0, elem(q));
	w->wr_id = 0xbad00 + kind;
	w->dma.num_sge = 1;
	w->dma.length = 4096;
	sg[0] = (struct rxe_sge){ (uintptr_t)buf, 4096, mr->lkey };
	if (kind == 0) {
		fill_random(w, elem(q));
	} else if (kind == 1) {
		w->dma.num_sge = 0xffffffff;
	} else if (kind == 2) {
		w->dma.length = sg[0].length = 0xffffffff;
	} else if (kind == 3) {	/* runs past the MR's end into the canary */
		sg[0].addr = (uintptr_t)buf + BUF_SIZE - 16;
	} else {		/* a wrong key, then an address wrapping 2^64 */
		w->dma.num_sge = 2;
		sg[0] = (struct rxe_sge){ (uintptr_t)buf, 16, (uint32_t)rnd(&rng_state) };
		sg[1] = (struct rxe_sge){ ~0ull - 8, 4096, mr->lkey };
	}
}

/* Garbage receive WQEs in b's RQ or SRQ, each met by a 256 B SEND. */
static void case_recv_garbage(bool srq)
{
	struct rxe_queue_buf *q;
	struct pstat ps;
	struct pair p;
	bool ok = true;
	int kind;

	case_begin();
	for (kind = 0; kind < 5 && ok; kind++) {
		memset(&ps, 0, sizeof(ps));
		ok = pair_new(&p, srq, WR);
		if (ok) {
			q = srq ? SRQ_Q(p.srq) : QP_RQ(p.b);
			recv_garbage(q, ld(&q->producer_index), kind);
			st(&q->producer_index,
			   (ld(&q->producer_index) + 1) & q->index_mask);
			ok = !post_send(p.a, IBV_WR_SEND, 0x4000, 256, 0);
			poll_some(p.cq, 2, 0.5, &ps);
			ktap_info("kind %d: %d completions, %d in error%s%s, b in %s",
				  kind, ps.n, ps.err, ps.err ? ", first " : "",
				  ps.err ? ibv_wc_status_str(ps.first_err) : "",
				  qp_state(p.b));
		}
		ok &= pair_end(&p);
	}
	case_end(ok, "%s: garbage receive WQEs (random, num_sge 2^32 - 1, length 2^32 - 1, past the MR, wrong lkey and wrapping 2^64) met by SENDs",
		 srq ? "SRQ" : "RQ");
}

enum sqv {
	SQV_RANDOM, SQV_NUM_SGE, SQV_LENGTH, SQV_INLINE, SQV_OPCODE,
	SQV_REMOTE, SQV_BEYOND_MASK, SQV_HEADER, SQV_CONSUMER, SQV_N
};

static const char *const sqv_name[SQV_N] = {
	"random bytes in 6 WQEs",
	"num_sge 2^32 - 1, 2^31, 2^16, max + 1, 1024, 33",
	"lengths 2^32 - 1, past the MR, wrapping 2^64, wrong lkey, SGEs summing to 2^32, total 2^31",
	"inline lengths 2^30, 2^32 - 1, max + 1, 2^16, 2^31, slot size",
	"opcodes 0xdeadbeef, 0x7f, kernel-only REG_MR with a kernel pointer, 0xf0, BIND_MW and LOCAL_INV with random keys",
	"unaligned and out-of-bounds atomics, 2^31 B READ, WRITE wrapping 2^64, random rkey, SEND_WITH_INV",
	"producer index beyond the mask and a doorbell, then post_send at an aliased producer",
	"header's index_mask and log2_elem_size rewritten and a doorbell",
	"consumer index (the kernel's) rewritten and a doorbell",
};

/* Send WQE @k (0..5) of variant @v in slot @i. */
static void send_garbage(struct rxe_queue_buf *q, uint32_t i, int v, int k)
{
	static const uint32_t nsge[] = { 0xffffffff, 0x80000000, 0x10000,
					 SGE + 1, 1024, 33 };
	static const uint32_t inl[] = { 1u << 30, 0xffffffff, INLINE + 1,
					1u << 16, 0x80000000, 0 };
	static const uint32_t ops[] = { 0xdeadbeef, 0x7f, 0x20 /* REG_MR */,
					0xf0, IBV_WR_BIND_MW, IBV_WR_LOCAL_INV };
	static const struct {	/* remote address: buf + off, or ~0 - 8 */
		uint32_t op, len;
		uint64_t off;
		bool rkey_ok;
	} rem[] = {
		{ IBV_WR_ATOMIC_CMP_AND_SWP, 8, 3, true },
		{ IBV_WR_ATOMIC_FETCH_AND_ADD, 8, BUF_SIZE, true },
		{ IBV_WR_RDMA_READ, 0x80000000, 0, true },
		{ IBV_WR_RDMA_WRITE, 64, ~0ull, true },
		{ IBV_WR_ATOMIC_FETCH_AND_ADD, 8, 0, false },
		{ IBV_WR_SEND_WITH_INV, 64, 0, false },
	};
	struct rxe_send_wqe *w = slot(q, i);
	struct rxe_sge *sg = w->dma.sge;
	uint64_t b = (uintptr_t)buf, r = rnd(&rng_state);
	uint64_t kptr = 0xffff888000000000ull | (r & 0xffff000);

	memset(w, 0, elem(q));
	w->wr.wr_id = 0xbad00000 | v << 8 | k;
	w->wr.opcode = IBV_WR_SEND;
	w->dma.num_sge = 1;
	w->dma.length = w->dma.resid = 64;
	sg[0] = (struct rxe_sge){ b, 64, mr->lkey };
	switch (v) {
	case SQV_NUM_SGE:
		w->dma.num_sge = nsge[k];
		break;
	case SQV_LENGTH:
		if (k == 0)
			w->dma.length = sg[0].length = 0xffffffff;
		else if (k == 1)
			sg[0].addr = b + BUF_SIZE - 16;
		else if (k == 2)
			sg[0].addr = ~0ull - 16;
		else if (k == 3)
			sg[0].lkey = r;
		else if (k == 4)
			sg[1] = (struct rxe_sge){ b, 0x80000000, mr->lkey },
			sg[0].length = 0x80000000, w->dma.num_sge = 2,
			w->dma.length = 0;
		else
			w->dma.length = 0x80000000;
		break;
	case SQV_INLINE:
		w->wr.send_flags = IBV_SEND_INLINE;
		w->dma.length = inl[k] ? inl[k] : elem(q);
		break;
	case SQV_OPCODE:
		w->wr.opcode = ops[k];
		memcpy(&w->wr.wr, &kptr, sizeof(kptr));
		fill_random((uint8_t *)&w->wr.wr + sizeof(kptr), 16);
		break;
	case SQV_REMOTE:	/* rdma and atomic share remote_addr */
		w->wr.opcode = rem[k].op;
		w->wr.wr.rdma.remote_addr = rem[k].off == ~0ull ? ~0ull - 8 :
					    b + rem[k].off;
		w->wr.wr.rdma.rkey = w->wr.wr.atomic.rkey =
			rem[k].rkey_ok ? mr->rkey : r;
		w->wr.ex.invalidate_rkey = r;
		w->dma.length = w->dma.resid = sg[0].length = rem[k].len;
		break;
	case SQV_CONSUMER:
		break;
	default:	/* random, beyond mask, header */
		fill_random(w, elem(q));
		break;
	}
}

/* Garbage in the SQ and its indices, the kernel kicked, then a valid post. */
static void case_sq_garbage(int v)
{
	struct rxe_queue_buf *q;
	struct pstat ps = {};
	uint32_t p0, mask, l2;
	struct pair p;
	bool ok;
	int k;

	case_begin();
	ok = pair_new(&p, false, WR);
	for (k = 0; ok && k < 16; k++)
		ok = !post_recv(p.b, NULL, 0x8000 + k * 1024, 1024);
	if (ok) {
		q = QP_SQ(p.a);
		mask = q->index_mask;
		l2 = q->log2_elem_size;
		p0 = ld(&q->producer_index);
		for (k = 0; k < 6; k++)
			send_garbage(q, p0 + k, v, k);
		st(&q->producer_index, (p0 + 6) & mask);
		if (v == SQV_BEYOND_MASK) {
			st(&q->producer_index, (uint32_t)rnd(&rng_state) | (mask + 1));
			doorbell(p.a);
			st(&q->producer_index, alias(q, p0 + 6, &rng_state));
		} else if (v == SQV_HEADER) {
			q->index_mask = 0xffffffff;
			q->log2_elem_size = 31;
			st(&q->producer_index, rnd(&rng_state));
			doorbell(p.a);
			q->index_mask = mask;
			q->log2_elem_size = l2;
			st(&q->producer_index, (p0 + 6) & mask);
		} else if (v == SQV_CONSUMER) {
			st(&q->consumer_index, rnd(&rng_state));
			doorbell(p.a);
		}
		post_send(p.a, IBV_WR_SEND, 0, 0, 0);
		poll_some(p.cq, 1 << 20, 0.3, &ps);
		pstat_info("before ERR", &ps);
		ktap_info("a in %s", qp_state(p.a));
	}
	ok &= pair_end(&p);
	case_end(ok, "SQ: %s", sqv_name[v]);
}

/*
 * Completions flowing while the hammer scribbles on a's SQ (producer and
 * WQEs; a goes to ERR half-way) or sets the CQ's consumer index at random.
 */
static void case_flow(bool cq)
{
	struct pstat ps = {};
	struct hammer h = { 0 };
	struct rxe_queue_buf *q;
	struct pair p;
	bool ok;
	int i;

	case_begin();
	ok = pair_new(&p, false, WR);
	for (i = 0; ok && i < WR; i++)
		ok = !post_recv(p.b, NULL, 0x8000 + i * 256, 256);
	ok = ok && hammer_start(&h, cq ? CQ_Q(p.cq) : QP_SQ(p.a),
				cq ? H_CONS_RANDOM : H_PROD_CHAOS, 10);
	for (i = 0; ok && i < 200; i++) {
		post_send(p.a, IBV_WR_SEND, 0x4000, cq ? 64 : 0, 0);
		if (cq)
			post_recv(p.b, NULL, 0x8000 + (i % WR) * 256, 256);
		else if (i == 100)
			ok = modify_err(p.a);
		poll_some(p.cq, 2, 0.002, &ps);
	}
	if (ok)
		ktap_info("%lu hammer writes", hammer_stop(&h));
	hammer_stop(&h);
	if (cq && p.cq) {
		q = CQ_Q(p.cq);
		st(&q->consumer_index, ld(&q->producer_index));
	}
	pstat_info("while hammered", &ps);
	ok &= pair_end(&p);
	case_end(ok, cq ? "CQ consumer index set at random while completions flow" :
		 "SQ producer and WQEs scribbled on while posting, the QP errors half-way");
}

static bool device_open(void)
{
	ctx = open_dev(dev);
	gid_index = ctx ? find_roce_gid(ctx, 4, LOCAL_IP, &gid, 10000) : -1;
	if (gid_index < 0)
		return false;
	pd = ibv_alloc_pd(ctx);
	buf = mmap(NULL, BUF_SIZE + CANARY_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!pd || buf == MAP_FAILED)
		return false;
	memset(buf + BUF_SIZE, 0xa5, CANARY_SIZE);
	mr = ibv_reg_mr(pd, buf, BUF_SIZE, IBV_ACCESS_LOCAL_WRITE |
			IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ |
			IBV_ACCESS_REMOTE_ATOMIC);
	return mr;
}

#define NCASES (2 + 3 + 2 + SQV_N + 2 + 2)

/* The one KTAP line of a run that cannot go on. */
static int only_line(int code, const char *why)
{
	printf("1..1\n");
	if (code == KSFT_SKIP)
		ktap_skip_test("hostile rings", why);
	else
		ktap_result(0, "%s", why);
	sh("roce_devs_down");
	return code;
}

int main(void)
{
	const char *drv = getenv("SROCE_TEST_DRIVER") ? : "sroce";
	cpu_set_t cpus;
	const char *e;
	int lay, v;
	bool ok;

	if (test_lib_init())
		return KSFT_FAIL;
	e = getenv("SROCE_TEST_HOSTILE_BOUND_MS");
	bound_s = (e ? atof(e) : 1000) / 1e3;
	e = getenv("SROCE_TEST_SEED");
	rng_state = (e ? strtoull(e, NULL, 0) :
		     (uint64_t)time(NULL) ^ (uint64_t)getpid() << 32) | 1;
	snprintf(dev, sizeof(dev), "hr_%s0", drv);
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	sched_setaffinity(0, sizeof(cpus), &cpus);

	printf("TAP version 13\n");
	ktap_info("driver %s, device %s, bound %.0f ms, SROCE_TEST_SEED=%#llx",
		  drv, dev, bound_s * 1e3, (unsigned long long)rng_state);
	if (!strcmp(drv, "rxe") && sh("modinfo rdma_rxe >/dev/null 2>&1"))
		return only_line(KSFT_SKIP, "no rdma_rxe module in this kernel");
	if (sh("rdma_links_clear; veth_teardown; roce_routes_down; "
	       "roce_driver_load %s && veth_setup && "
	       "rdma link add %s type %s netdev $VETH_A && "
	       "roce_dev_wait %s $IP_A $IP6_A", drv, dev, drv, dev) ||
	    !device_open())
		return only_line(KSFT_FAIL, "the device on veth0 with its RoCE v2 GID, a PD and an MR");
	case_begin();
	lay = layout();
	if (!lay)
		return only_line(KSFT_SKIP, "the rxe provider's objects are not laid out as in rdma-core 44");
	printf("1..%d\n", NCASES);
	case_end(lay > 0, "provider layout: SQ, RQ, SRQ and CQ rings found, their indices move as posted and completed");
	case_traffic("before the hostile cases");
	case_behind(RQ);
	case_behind(SQ);
	case_behind(SRQ);
	case_recv_garbage(false);
	case_recv_garbage(true);
	for (v = 0; v < SQV_N; v++)
		case_sq_garbage(v);
	case_flow(false);
	case_flow(true);
	case_traffic("after the hostile cases");

	case_begin();
	ok = !CALL("dereg_mr", ibv_dereg_mr(mr)) &&
	     !CALL("dealloc_pd", ibv_dealloc_pd(pd)) &&
	     !CALL("close_device", ibv_close_device(ctx));
	case_end(ok, "MR, PD and device context released");
	sh("roce_devs_down");
	return ktap_finish();
}

