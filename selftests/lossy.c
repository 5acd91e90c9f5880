// SPDX-License-Identifier: GPL-2.0
/*
 * RC traffic that must stay correct over a lossy link (netem, set up by
 * lossy.sh): one RC QP pair between two RoCE devices in one process, a
 * bounded run of one workload per argument, every byte verified.
 *
 *   write   RDMA WRITE of 64 KiB messages, each with its own pattern; the
 *           target slot is compared byte for byte at each completion.
 *   read    RDMA READ of 64 KiB: the remote slot is filled before the READ
 *           is posted, the local one poisoned; compared at completion.
 *   send    SEND_WITH_IMM of 64 KiB into posted receives: receives must
 *           complete in order, each with the right immediate, length and
 *           bytes.
 *   atomic  FETCH_ADD and CMP_SWAP on two remote words: each must execute
 *           exactly once, in order: every returned original value and both
 *           final values are checked.
 *   mixed   WRITE, READ, SEND, FETCH_ADD, WRITE, READ, SEND, CMP_SWAP, ...
 *           interleaved on one QP, each verified as above.
 *
 * Send completions must arrive in posting order. A run fails on any data
 * mismatch, any error completion (its status and the number of WRs that got
 * through are reported), a success completion over wrong bytes, or no
 * completion for STALL_MS. At the end every target slot is checked once
 * more (nothing stale may land after a completion).
 *
 * usage: lossy [-n COUNT] [-t SECONDS] [-c] [-k] WORKLOAD...
 *   -n  messages per workload (default 200), -t  seconds of posting per
 *   workload (default 6): whichever comes first.
 *   -k  a data mismatch is counted and the run goes on (it still fails):
 *       for experiments.
 *   -c  a run that ends with a retry-exceeded error completion (the link
 *       was down longer than the retry budget) and no wrong data is a
 *       clean failure and passes.
 * Devices: SROCE_TEST_DEV_A and SROCE_TEST_DEV_B, or else the test sets up
 * ${SROCE_TEST_DRIVER:-sroce}0 and 1 on a veth pair (selftests/roce_net.sh).
 * Each workload prints a KTAP result and one "# lossy-result ..." line.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ktap.h"
#include "test_lib.h"

#define MSG_LEN		65536u
#define NSLOT		32u		/* target slots per kind */
#define DEPTH		8u		/* WRs in flight */
#define STALL_MS	60000		/* no completion this long: stalled */
#define POISON		0xee
#define ATOM_BASE	0x0123456789000000ull
#define PSN_A		0xfff000u	/* wraps the 24-bit PSN early on */
#define PSN_B		0xffe000u

enum kind { K_WRITE, K_READ, K_SEND, K_FAA, K_CAS, K_NUM };

static const char *const kind_name[K_NUM] = {
	"WRITE", "READ", "SEND", "FETCH_ADD", "CMP_SWAP"
};

/*
 * Requester A: [WRITE sources][READ destinations][SEND sources][results]
 * Responder B: [WRITE targets][READ sources][receive buffers][counters]
 */
#define AREA(k)		((size_t)(k) * NSLOT * MSG_LEN)
#define ATOM_OFF	AREA(3)
#define BUF_LEN		(ATOM_OFF + 4096)

struct end {
	const char *name;
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_cq *scq, *rcq;
	struct ibv_qp *qp;
	struct ibv_mr *mr;
	uint8_t *buf;
	int gid;
	union ibv_gid g;
	enum ibv_mtu mtu;
	struct ibv_device_attr attr;
};

struct rec {
	enum kind k;
	uint64_t seq;		/* per kind */
};

struct run {
	const char *name;
	const enum kind *kinds;
	unsigned int nkinds;
	uint64_t posted, done;	/* WRs */
	uint64_t seq[K_NUM];	/* next per kind */
	uint64_t recv_posted, recv_done;
	struct rec ring[DEPTH];
	uint64_t bytes;
	uint64_t last[K_NUM][NSLOT];	/* last seq placed in each slot */
	bool used[K_NUM][NSLOT];
	char why[256];
	enum ibv_wc_status err;
	bool have_err, recv_err;
	uint64_t mismatches;	/* with -k */
	char first_mismatch[256];
};

static struct end A = { .name = "A" }, B = { .name = "B" };
static unsigned long max_count = 200;
static unsigned int max_secs = 6;
static bool clean_fail_ok;
static bool keep_going;

/* ----------------------------------------------------------------------- */
/* Patterns: every 8-byte word depends on kind, sequence and offset. */

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static uint64_t word_of(enum kind k, uint64_t seq, uint32_t i)
{
	return mix(((uint64_t)k << 56) ^ (seq << 16) ^ i);
}

static void fill(uint8_t *p, enum kind k, uint64_t seq)
{
	uint64_t *w = (uint64_t *)p;
	uint32_t i;

	for (i = 0; i < MSG_LEN / 8; i++)
		w[i] = word_of(k, seq, i);
}

/* Which sequence number, if any, @w at word @i belongs to (for reports). */
static long long guess_seq(enum kind k, uint64_t seq, uint32_t i, uint64_t w)
{
	long long s;

	for (s = (long long)seq - 4 * NSLOT; s <= (long long)seq + 4 * NSLOT; s++)
		if (s >= 0 && word_of(k, s, i) == w)
			return s;
	return -1;
}

/* @p holds message (@k, @seq); else says where it differs into r->why. */
static bool check(struct run *r, const uint8_t *p, enum kind k, uint64_t seq,
		  const char *where)
{
	const uint64_t *w = (const uint64_t *)p;
	uint32_t i, first = UINT32_MAX, bad = 0;
	char what[64];
	long long s;

	for (i = 0; i < MSG_LEN / 8; i++) {
		if (w[i] == word_of(k, seq, i))
			continue;
		if (first == UINT32_MAX)
			first = i;
		bad++;
	}
	if (!bad)
		return true;
	s = guess_seq(k, seq, first, w[first]);
	if (s >= 0)
		snprintf(what, sizeof(what), "%s #%lld's bytes", kind_name[k], s);
	else
		snprintf(what, sizeof(what), "%s",
			 p[first * 8] == POISON ? "poison (never written)" :
			 "unknown bytes");
	snprintf(r->why, sizeof(r->why),
		 "data mismatch: %s %s #%llu: %u of %u words wrong, first at byte %u: 0x%016llx, %s",
		 where, kind_name[k], (unsigned long long)seq, bad,
		 MSG_LEN / 8, first * 8, (unsigned long long)w[first], what);
	/* -k: count it and go on (to watch what follows a bad completion) */
	if (keep_going) {
		if (!r->mismatches++)
			memcpy(r->first_mismatch, r->why, sizeof(r->why));
		return true;
	}
	return false;
}

/* ----------------------------------------------------------------------- */
/* Devices and the QP pair */

static bool end_open(struct end *e, const char *dev)
{
	struct ibv_port_attr port;

	e->ctx = open_dev(dev);
	if (!e->ctx) {
		ktap_info("cannot open device %s", dev);
		return false;
	}
	if (ibv_query_device(e->ctx, &e->attr) ||
	    ibv_query_port(e->ctx, 1, &port)) {
		ktap_info("%s: query failed", dev);
		return false;
	}
	e->mtu = port.active_mtu;
	e->gid = find_roce_gid(e->ctx, 4, NULL, &e->g, 10000);
	if (e->gid < 0) {
		ktap_info("%s: no RoCE v2 IPv4 GID", dev);
		return false;
	}
	e->pd = ibv_alloc_pd(e->ctx);
	e->scq = e->pd ? ibv_create_cq(e->ctx, 4 * NSLOT, NULL, NULL, 0) : NULL;
	e->rcq = e->scq ? ibv_create_cq(e->ctx, 4 * NSLOT, NULL, NULL, 0) : NULL;
	if (!e->rcq || posix_memalign((void **)&e->buf, 4096, BUF_LEN)) {
		ktap_info("%s: PD/CQ/buffer allocation failed", dev);
		return false;
	}
	memset(e->buf, POISON, BUF_LEN);
	e->mr = ibv_reg_mr(e->pd, e->buf, BUF_LEN, IBV_ACCESS_LOCAL_WRITE |
			   IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ |
			   IBV_ACCESS_REMOTE_ATOMIC);
	if (!e->mr) {
		ktap_info("%s: ibv_reg_mr: %s", dev, strerror(errno));
		return false;
	}
	return true;
}

static void end_close(struct end *e)
{
	if (e->qp)
		ibv_destroy_qp(e->qp);
	if (e->mr)
		ibv_dereg_mr(e->mr);
	if (e->rcq)
		ibv_destroy_cq(e->rcq);
	if (e->scq)
		ibv_destroy_cq(e->scq);
	if (e->pd)
		ibv_dealloc_pd(e->pd);
	if (e->ctx)
		ibv_close_device(e->ctx);
	free(e->buf);
	e->qp = NULL;
	e->mr = NULL;
	e->rcq = e->scq = NULL;
	e->pd = NULL;
	e->ctx = NULL;
	e->buf = NULL;
}

static void drain(struct ibv_cq *cq)
{
	struct ibv_wc wc[16];

	while (ibv_poll_cq(cq, 16, wc) > 0)
		;
}

static unsigned int rd_atom(void)
{
	unsigned int n = DEPTH;

	if ((unsigned int)A.attr.max_qp_init_rd_atom < n)
		n = A.attr.max_qp_init_rd_atom;
	if ((unsigned int)B.attr.max_qp_rd_atom < n)
		n = B.attr.max_qp_rd_atom;
	return n ? n : 1;
}

static bool qp_connect(struct end *s, struct end *d, uint32_t sq_psn,
		       uint32_t rq_psn)
{
	struct qp_path p = {
		.sgid_index = s->gid,
		.dgid = d->g,
		.dest_qpn = d->qp->qp_num,
		.mtu = s->mtu < d->mtu ? s->mtu : d->mtu,
		.sq_psn = sq_psn, .rq_psn = rq_psn,
		.access = IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ |
			  IBV_ACCESS_REMOTE_ATOMIC,
		.timeout = 14,			/* 67 ms */
		.retry_cnt = 7, .rnr_retry = 7,	/* RNR: infinite */
		.min_rnr_timer = 12,		/* 0.64 ms */
		.max_rd_atomic = rd_atom(), .max_dest_rd_atomic = rd_atom(),
	};

	if (qp_bring_up(s->qp, &p)) {
		ktap_info("%s: QP not connected", s->name);
		return false;
	}
	return true;
}

static bool make_qp(struct end *e)
{
	struct ibv_qp_init_attr init = {
		.send_cq = e->scq,
		.recv_cq = e->rcq,
		.qp_type = IBV_QPT_RC,
		.sq_sig_all = 1,
		.cap = {
			.max_send_wr = 2 * DEPTH,
			.max_recv_wr = NSLOT,
			.max_send_sge = 1,
			.max_recv_sge = 1,
		},
	};

	if (e->qp)
		ibv_destroy_qp(e->qp);
	drain(e->scq);
	drain(e->rcq);
	e->qp = ibv_create_qp(e->pd, &init);
	if (!e->qp)
		ktap_info("%s: ibv_create_qp: %s", e->name, strerror(errno));
	return e->qp;
}

static bool make_pair(void)
{
	return make_qp(&A) && make_qp(&B) &&
	       qp_connect(&A, &B, PSN_A, PSN_B) &&
	       qp_connect(&B, &A, PSN_B, PSN_A);
}

/* ----------------------------------------------------------------------- */
/* Posting */

static uint8_t *slot_of(const struct end *e, enum kind k, uint32_t slot)
{
	return e->buf + AREA(k) + (size_t)slot * MSG_LEN;
}

static uint64_t *atom_a(enum kind k, uint32_t slot)
{
	return (uint64_t *)(A.buf + ATOM_OFF + (k == K_CAS ? 2048 : 0)) + slot;
}

static uint64_t *atom_b(enum kind k)
{
	return (uint64_t *)(B.buf + ATOM_OFF + (k == K_CAS ? 64 : 0));
}

static bool post_recv(struct run *r)
{
	uint32_t slot = r->recv_posted % NSLOT;
	struct ibv_sge sge = {
		.addr = (uintptr_t)slot_of(&B, K_SEND, slot),
		.length = MSG_LEN,
		.lkey = B.mr->lkey,
	};
	struct ibv_recv_wr wr = {
		.wr_id = r->recv_posted,
		.sg_list = &sge,
		.num_sge = 1,
	}, *bad;

	memset(slot_of(&B, K_SEND, slot), POISON, MSG_LEN);
	if (ibv_post_recv(B.qp, &wr, &bad)) {
		snprintf(r->why, sizeof(r->why), "ibv_post_recv: %s",
			 strerror(errno));
		return false;
	}
	r->recv_posted++;
	return true;
}

static bool post_one(struct run *r)
{
	enum kind k = r->kinds[r->posted % r->nkinds];
	uint64_t seq = r->seq[k];
	uint32_t slot = seq % NSLOT;
	struct ibv_sge sge = { .lkey = A.mr->lkey, .length = MSG_LEN };
	struct ibv_send_wr wr = {
		.wr_id = r->posted,
		.sg_list = &sge,
		.num_sge = 1,
	}, *bad;
	uint64_t remote = (uintptr_t)slot_of(&B, k, slot);

	switch (k) {
	case K_WRITE:
		fill(slot_of(&A, k, slot), k, seq);
		wr.opcode = IBV_WR_RDMA_WRITE;
		break;
	case K_READ:
		fill(slot_of(&B, k, slot), k, seq);
		memset(slot_of(&A, k, slot), POISON, MSG_LEN);
		wr.opcode = IBV_WR_RDMA_READ;
		break;
	case K_SEND:
		fill(slot_of(&A, k, slot), k, seq);
		wr.opcode = IBV_WR_SEND_WITH_IMM;
		wr.imm_data = htonl((uint32_t)seq);
		break;
	case K_FAA:
	case K_CAS:
		*atom_a(k, slot) = 0x5a5a5a5a5a5a5a5aull;
		sge.length = 8;
		remote = (uintptr_t)atom_b(k);
		wr.opcode = k == K_FAA ? IBV_WR_ATOMIC_FETCH_AND_ADD :
					 IBV_WR_ATOMIC_CMP_AND_SWP;
		wr.wr.atomic.remote_addr = remote;
		wr.wr.atomic.rkey = B.mr->rkey;
		wr.wr.atomic.compare_add = k == K_FAA ? 1 : ATOM_BASE + seq;
		wr.wr.atomic.swap = ATOM_BASE + seq + 1;
		break;
	default:
		return false;
	}
	sge.addr = k == K_FAA || k == K_CAS ? (uintptr_t)atom_a(k, slot) :
					      (uintptr_t)slot_of(&A, k, slot);
	if (k == K_WRITE || k == K_READ) {
		wr.wr.rdma.remote_addr = remote;
		wr.wr.rdma.rkey = B.mr->rkey;
	}
	if (ibv_post_send(A.qp, &wr, &bad)) {
		snprintf(r->why, sizeof(r->why), "ibv_post_send (%s #%llu): %s",
			 kind_name[k], (unsigned long long)seq, strerror(errno));
		return false;
	}
	r->ring[r->posted % DEPTH] = (struct rec){ .k = k, .seq = seq };
	r->seq[k]++;
	r->posted++;
	return true;
}

/* ----------------------------------------------------------------------- */
/* Completions */

static const enum ibv_wc_opcode wc_op[K_NUM] = {
	IBV_WC_RDMA_WRITE, IBV_WC_RDMA_READ, IBV_WC_SEND, IBV_WC_FETCH_ADD,
	IBV_WC_COMP_SWAP
};

static void set_err(struct run *r, const struct ibv_wc *wc, const char *what)
{
	r->have_err = true;
	r->err = wc->status;
	snprintf(r->why, sizeof(r->why),
		 "error completion on %s: %s (vendor_err 0x%x) for wr_id %llu after %llu WRs completed successfully",
		 what, ibv_wc_status_str(wc->status), wc->vendor_err,
		 (unsigned long long)wc->wr_id, (unsigned long long)r->done);
}

/* One send completion of A: in order, status, opcode, data. */
static bool send_wc(struct run *r, const struct ibv_wc *wc)
{
	struct rec *rc = &r->ring[r->done % DEPTH];
	uint32_t slot = rc->seq % NSLOT;
	uint64_t v;

	if (wc->status != IBV_WC_SUCCESS) {
		set_err(r, wc, "A's send queue");
		return false;
	}
	if (wc->wr_id != r->done) {
		snprintf(r->why, sizeof(r->why),
			 "send completion out of order: wr_id %llu, want %llu",
			 (unsigned long long)wc->wr_id,
			 (unsigned long long)r->done);
		return false;
	}
	if (wc->opcode != wc_op[rc->k]) {
		snprintf(r->why, sizeof(r->why),
			 "wr_id %llu (%s): completion opcode %d",
			 (unsigned long long)wc->wr_id, kind_name[rc->k],
			 wc->opcode);
		return false;
	}
	switch (rc->k) {
	case K_WRITE:
		if (!check(r, slot_of(&B, K_WRITE, slot), K_WRITE, rc->seq,
			   "remote target of"))
			return false;
		r->bytes += MSG_LEN;
		break;
	case K_READ:
		if (!check(r, slot_of(&A, K_READ, slot), K_READ, rc->seq,
			   "local destination of"))
			return false;
		r->bytes += MSG_LEN;
		break;
	case K_SEND:
		/* checked at the receive completion */
		break;
	case K_FAA:
	case K_CAS:
		v = *atom_a(rc->k, slot);
		if (v != ATOM_BASE + rc->seq) {
			snprintf(r->why, sizeof(r->why),
				 "%s #%llu returned 0x%llx, want 0x%llx (executed %s)",
				 kind_name[rc->k],
				 (unsigned long long)rc->seq,
				 (unsigned long long)v,
				 (unsigned long long)(ATOM_BASE + rc->seq),
				 v > ATOM_BASE + rc->seq &&
				 v < ATOM_BASE + rc->seq + 64 ?
				 "more than once" : "wrongly");
			return false;
		}
		r->bytes += 8;
		break;
	default:
		return false;
	}
	r->last[rc->k][slot] = rc->seq;
	r->used[rc->k][slot] = true;
	r->done++;
	return true;
}

/* One receive completion of B: the next SEND, in order, intact. */
static bool recv_wc(struct run *r, const struct ibv_wc *wc)
{
	uint64_t want = r->recv_done;
	uint32_t slot = want % NSLOT;

	if (wc->status != IBV_WC_SUCCESS) {
		set_err(r, wc, "B's receive queue");
		r->recv_err = true;
		return false;
	}
	if (wc->wr_id != want || wc->opcode != IBV_WC_RECV ||
	    wc->byte_len != MSG_LEN || !(wc->wc_flags & IBV_WC_WITH_IMM) ||
	    ntohl(wc->imm_data) != (uint32_t)want) {
		snprintf(r->why, sizeof(r->why),
			 "receive completion: wr_id %llu opcode %d byte_len %u flags 0x%x imm %u; want wr_id %llu RECV %u with imm %llu",
			 (unsigned long long)wc->wr_id, wc->opcode,
			 wc->byte_len, wc->wc_flags, ntohl(wc->imm_data),
			 (unsigned long long)want, MSG_LEN,
			 (unsigned long long)want);
		return false;
	}
	if (want >= r->seq[K_SEND]) {
		snprintf(r->why, sizeof(r->why),
			 "receive #%llu completed, only %llu SENDs posted",
			 (unsigned long long)want,
			 (unsigned long long)r->seq[K_SEND]);
		return false;
	}
	if (!check(r, slot_of(&B, K_SEND, slot), K_SEND, want,
		   "receive buffer of"))
		return false;
	r->bytes += MSG_LEN;
	r->recv_done++;
	return post_recv(r);
}

/*
 * Polls both CQs until @r->done reaches @until (or an error); false with
 * r->why set on failure.
 */
static bool reap(struct run *r, uint64_t until)
{
	struct timespec nap = { 0, 50000 };
	long last = now_ms();
	struct ibv_wc wc;
	int n, m, empty = 0;

	while (r->done < until) {
		n = ibv_poll_cq(A.scq, 1, &wc);
		if (n > 0 && !send_wc(r, &wc))
			return false;
		m = ibv_poll_cq(B.rcq, 1, &wc);
		if (m > 0 && !recv_wc(r, &wc))
			return false;
		if (n > 0 || m > 0) {
			last = now_ms();
			empty = 0;
			continue;
		}
		if (n < 0 || m < 0 || now_ms() - last > STALL_MS) {
			snprintf(r->why, sizeof(r->why),
				 "%s: no completion for %d s after %llu WRs completed, %llu outstanding",
				 n < 0 || m < 0 ? "poll error" : "stalled",
				 STALL_MS / 1000,
				 (unsigned long long)r->done,
				 (unsigned long long)(r->posted - r->done));
			return false;
		}
		if (++empty > 100)
			nanosleep(&nap, NULL);
	}
	return true;
}

/* All SEND data received; then every slot holds what was placed last. */
static bool final_check(struct run *r)
{
	static const enum kind ks[] = { K_WRITE, K_READ };
	struct timespec nap = { 0, 1000000 };
	long start = now_ms();
	struct ibv_wc wc;
	unsigned int i;
	uint32_t s;
	int n;

	while (r->recv_done < r->seq[K_SEND]) {
		n = ibv_poll_cq(B.rcq, 1, &wc);
		if (n > 0 && !recv_wc(r, &wc))
			return false;
		if (n < 0 || now_ms() - start > STALL_MS) {
			snprintf(r->why, sizeof(r->why),
				 "%llu SENDs completed at the sender, %llu received",
				 (unsigned long long)r->seq[K_SEND],
				 (unsigned long long)r->recv_done);
			return false;
		}
		if (!n)
			nanosleep(&nap, NULL);
	}
	/* Let stale frames in the network arrive: none may land. */
	usleep(300000);
	for (i = 0; i < 2; i++) {
		for (s = 0; s < NSLOT; s++) {
			if (!r->used[ks[i]][s])
				continue;
			if (!check(r, ks[i] == K_WRITE ?
				   slot_of(&B, K_WRITE, s) :
				   slot_of(&A, K_READ, s), ks[i],
				   r->last[ks[i]][s], "(at the end) slot of"))
				return false;
		}
	}
	if (*atom_b(K_FAA) != ATOM_BASE + r->seq[K_FAA] ||
	    *atom_b(K_CAS) != ATOM_BASE + r->seq[K_CAS]) {
		snprintf(r->why, sizeof(r->why),
			 "final atomic values 0x%llx / 0x%llx, want 0x%llx / 0x%llx",
			 (unsigned long long)*atom_b(K_FAA),
			 (unsigned long long)*atom_b(K_CAS),
			 (unsigned long long)(ATOM_BASE + r->seq[K_FAA]),
			 (unsigned long long)(ATOM_BASE + r->seq[K_CAS]));
		return false;
	}
	return true;
}

static const char *qp_state_str(struct ibv_qp *qp)
{
	static const char *const names[] = {
		"RESET", "INIT", "RTR", "RTS", "SQD", "SQE", "ERR"
	};
	struct ibv_qp_init_attr init;
	struct ibv_qp_attr attr;

	if (ibv_query_qp(qp, &attr, IBV_QP_STATE, &init) ||
	    attr.qp_state >= sizeof(names) / sizeof(names[0]))
		return "?";
	return names[attr.qp_state];
}

/*
 * An error completion on B's receive queue (the responder's QP went to
 * ERR): the requester's first error, which says why, follows shortly.
 */
static void explain_error(struct run *r)
{
	long start = now_ms();
	struct ibv_wc wc;
	int n;

	ktap_info("QP states: A %s, B %s", qp_state_str(A.qp),
		  qp_state_str(B.qp));
	if (!r->recv_err)
		return;
	while (now_ms() - start < 5000) {
		n = ibv_poll_cq(A.scq, 1, &wc);
		if (n < 0)
			return;
		if (!n) {
			usleep(1000);
			continue;
		}
		if (wc.status == IBV_WC_SUCCESS) {
			r->done++;
			continue;
		}
		r->err = wc.status;
		ktap_info("A's send queue: %s (vendor_err 0x%x) for wr_id %llu after %llu WRs completed successfully",
			  ibv_wc_status_str(wc.status), wc.vendor_err,
			  (unsigned long long)wc.wr_id,
			  (unsigned long long)r->done);
		if (wc.status != IBV_WC_WR_FLUSH_ERR)
			return;
	}
}

/* After an error completion: the rest must flush. */
static void flush_rest(struct run *r)
{
	struct ibv_wc wc;
	long start = now_ms();
	uint64_t flushed = 0, left = r->posted - r->done - 1;

	while (flushed < left && now_ms() - start < 10000) {
		if (ibv_poll_cq(A.scq, 1, &wc) > 0)
			flushed++;
		else
			usleep(1000);
	}
	if (flushed < left)
		ktap_info("%llu of %llu WRs after the error never completed (flushed)",
			  (unsigned long long)(left - flushed),
			  (unsigned long long)left);
}

static bool run_workload(struct run *r)
{
	long t0, t1, deadline;
	bool ok;
	unsigned int i;

	if (!make_pair()) {
		snprintf(r->why, sizeof(r->why), "cannot connect the QPs");
		return false;
	}
	*atom_b(K_FAA) = ATOM_BASE;
	*atom_b(K_CAS) = ATOM_BASE;
	for (i = 0; i < NSLOT; i++)
		if (!post_recv(r))
			return false;
	ktap_info("lossy-start %s", r->name);
	t0 = now_ms();
	deadline = t0 + max_secs * 1000L;
	ok = true;
	while (ok && r->posted < max_count && now_ms() < deadline) {
		while (ok && r->posted - r->done < DEPTH &&
		       r->posted < max_count)
			ok = post_one(r);
		if (ok)
			ok = reap(r, r->done + 1);
	}
	if (ok)
		ok = reap(r, r->posted);
	/* the time of the transfer, without final_check()'s wait */
	t1 = now_ms();
	if (ok)
		ok = final_check(r);
	if (ok && r->mismatches) {
		snprintf(r->why, sizeof(r->why), "%llu messages with wrong data; the first: %.180s",
			 (unsigned long long)r->mismatches, r->first_mismatch);
		ok = false;
	}
	if (!ok)
		explain_error(r);
	if (r->have_err)
		flush_rest(r);
	t0 = t1 - t0;
	ktap_info("lossy-result workload=%s ok=%d wrs=%llu of %llu bytes=%llu ms=%ld mbps=%.2f status=%s",
		  r->name, ok, (unsigned long long)r->done,
		  (unsigned long long)r->posted,
		  (unsigned long long)r->bytes, t0,
		  t0 ? r->bytes / 1000.0 / t0 : 0.0,
		  ok ? "success" : r->have_err ?
		  ibv_wc_status_str(r->err) : "check");
	return ok;
}

static const enum kind k_write[] = { K_WRITE };
static const enum kind k_read[] = { K_READ };
static const enum kind k_send[] = { K_SEND };
static const enum kind k_atomic[] = { K_FAA, K_CAS };
static const enum kind k_mixed[] = {
	K_WRITE, K_READ, K_SEND, K_FAA, K_WRITE, K_READ, K_SEND, K_CAS
};

static const struct {
	const char *name;
	const enum kind *kinds;
	unsigned int n;
} workloads[] = {
	{ "write", k_write, 1 },
	{ "read", k_read, 1 },
	{ "send", k_send, 1 },
	{ "atomic", k_atomic, 2 },
	{ "mixed", k_mixed, 8 },
};

#define NWORKLOADS (sizeof(workloads) / sizeof(workloads[0]))

static int find_workload(const char *name)
{
	unsigned int i;

	for (i = 0; i < NWORKLOADS; i++)
		if (!strcmp(workloads[i].name, name))
			return i;
	return -1;
}

static int usage(void)
{
	fprintf(stderr, "usage: lossy [-n COUNT] [-t SECONDS] [-c] [-k] write|read|send|atomic|mixed...\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *da = getenv("SROCE_TEST_DEV_A");
	const char *db = getenv("SROCE_TEST_DEV_B");
	const char *drv = getenv("SROCE_TEST_DRIVER");
	char dev_a[64], dev_b[64];
	bool own = false;
	int i, opt, nw;
	struct run *r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((opt = getopt(argc, argv, "n:t:ck")) != -1) {
		switch (opt) {
		case 'n':
			max_count = strtoul(optarg, NULL, 0);
			break;
		case 't':
			max_secs = strtoul(optarg, NULL, 0);
			break;
		case 'c':
			clean_fail_ok = true;
			break;
		case 'k':
			keep_going = true;
			break;
		default:
			return usage();
		}
	}
	nw = argc - optind;
	if (!nw || !max_count || !max_secs)
		return usage();
	for (i = optind; i < argc; i++)
		if (find_workload(argv[i]) < 0)
			return usage();
	if (test_lib_init())
		return KSFT_FAIL;
	if (!drv || !*drv)
		drv = "sroce";

	ktap_plan(nw + 1);
	if (!da || !db) {
		if (strcmp(drv, "sroce") && strcmp(drv, "rxe")) {
			ktap_result(0, "SROCE_TEST_DRIVER must be sroce or rxe, not %s", drv);
			return ktap_finish();
		}
		snprintf(dev_a, sizeof(dev_a), "%s0", drv);
		snprintf(dev_b, sizeof(dev_b), "%s1", drv);
		da = dev_a;
		db = dev_b;
		if (!strcmp(drv, "rxe") && sh("modinfo rdma_rxe >/dev/null 2>&1")) {
			ktap_skip_test("devices", "no rdma_rxe module in this kernel");
			return ktap_finish();
		}
		own = true;
		if (sh("roce_devs_up %s", drv)) {
			ktap_result(0, "two %s devices on a veth pair", drv);
			sh("roce_devs_down");
			return ktap_finish();
		}
	}
	if (!end_open(&A, da) || !end_open(&B, db)) {
		ktap_result(0, "open %s and %s", da, db);
		goto out;
	}
	ktap_result(1, "open %s and %s (path MTU %u, %u READ/ATOMIC in flight)",
		    da, db, 128u << (A.mtu < B.mtu ? A.mtu : B.mtu), rd_atom());

	for (i = optind; i < argc; i++) {
		int w = find_workload(argv[i]);
		bool ok;

		r = calloc(1, sizeof(*r));
		if (!r) {
			ktap_result(0, "%s: out of memory", argv[i]);
			continue;
		}
		r->name = workloads[w].name;
		r->kinds = workloads[w].kinds;
		r->nkinds = workloads[w].n;
		ok = run_workload(r);
		if (!ok)
			ktap_info("%s", r->why);
		if (!ok && clean_fail_ok && r->have_err &&
		    (r->err == IBV_WC_RETRY_EXC_ERR ||
		     r->err == IBV_WC_RNR_RETRY_EXC_ERR)) {
			ktap_info("%s: failed cleanly (retry budget exhausted, all completed data correct)",
				  r->name);
			ok = true;
		}
		ktap_result(ok, "%s: %llu WRs verified", r->name,
			    (unsigned long long)r->done);
		free(r);
	}
out:
	end_close(&A);
	end_close(&B);
	if (own)
		sh("roce_devs_down");
	return ktap_finish();
}
