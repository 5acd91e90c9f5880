// SPDX-License-Identifier: GPL-2.0
/*
 * selftests/opcodes: the two ends (device, PD, CQs, MRs, buffers), their
 * QPs, completions and buffer checks, shared by the cases (opcodes.h).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ktap.h"
#include "opcodes.h"

struct end A = { .name = "A" }, B = { .name = "B" };
int family = 4;
uint32_t path_mtu;
uint8_t *msg;
uint64_t wr_seq = 1;
bool driver_is_rxe;
long strays;

static void *alloc_buf(size_t len)
{
	void *p;

	if (posix_memalign(&p, 4096, len))
		return NULL;
	memset(p, GUARD, len);
	return p;
}

bool end_open(struct end *e, const char *dev)
{
	struct ibv_port_attr port;
	int full = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
		   IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_ATOMIC |
		   IBV_ACCESS_MW_BIND;

	e->dev = dev;
	e->ctx = open_dev(dev);
	if (!e->ctx) {
		ktap_info("cannot open device %s", dev);
		return false;
	}
	if (ibv_query_device_ex(e->ctx, NULL, &e->attr) ||
	    ibv_query_port(e->ctx, 1, &port)) {
		ktap_info("%s: query failed", dev);
		return false;
	}
	e->mtu = port.active_mtu;
	e->gid4 = find_roce_gid(e->ctx, 4, NULL, &e->g4, 10000);
	e->gid6 = find_roce_gid(e->ctx, 6, NULL, &e->g6, 10000);
	if (e->gid4 < 0) {
		ktap_info("%s: no RoCE v2 IPv4 GID", dev);
		return false;
	}
	e->pd = ibv_alloc_pd(e->ctx);
	e->scq = e->pd ? ibv_create_cq(e->ctx, CQ_DEPTH, NULL, NULL, 0) : NULL;
	e->rcq = e->scq ? ibv_create_cq(e->ctx, CQ_DEPTH, NULL, NULL, 0) : NULL;
	e->buf = alloc_buf(BUF_SIZE);
	e->expect = alloc_buf(BUF_SIZE);
	e->nw = alloc_buf(SMALL_LEN);
	e->nr = alloc_buf(SMALL_LEN);
	if (!e->rcq || !e->buf || !e->expect || !e->nw || !e->nr) {
		ktap_info("%s: PD/CQ/buffer allocation failed", dev);
		return false;
	}
	e->mr = ibv_reg_mr(e->pd, e->buf, MR_LEN, full);
	/* MW_BIND needs a device with MWs; retry without it. */
	if (!e->mr)
		e->mr = ibv_reg_mr(e->pd, e->buf, MR_LEN,
				   full & ~IBV_ACCESS_MW_BIND);
	e->mr_nw = ibv_reg_mr(e->pd, e->nw, SMALL_LEN,
			      IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_READ);
	e->mr_nr = ibv_reg_mr(e->pd, e->nr, SMALL_LEN,
			      IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE);
	if (!e->mr || !e->mr_nw || !e->mr_nr) {
		ktap_info("%s: ibv_reg_mr failed: %s", dev, strerror(errno));
		return false;
	}
	return true;
}

/* Releases what end_open() made; false if any destroy, dereg, dealloc or
 * close failed (each named).
 */
bool end_close(struct end *e)
{
	int bad = 0;

#define REL(obj, call) do {						\
		int err_ = (obj) ? (call) : 0;				\
									\
		if (err_) {						\
			ktap_info("%s: %s: %s", e->name, #call,		\
				  strerror(err_ < 0 ? -err_ : err_));	\
			bad++;						\
		}							\
	} while (0)
	REL(e->qp, ibv_destroy_qp(e->qp));
	REL(e->mr, ibv_dereg_mr(e->mr));
	REL(e->mr_nw, ibv_dereg_mr(e->mr_nw));
	REL(e->mr_nr, ibv_dereg_mr(e->mr_nr));
	REL(e->rcq, ibv_destroy_cq(e->rcq));
	REL(e->scq, ibv_destroy_cq(e->scq));
	REL(e->pd, ibv_dealloc_pd(e->pd));
	REL(e->ctx, ibv_close_device(e->ctx));
#undef REL
	free(e->buf);
	free(e->expect);
	free(e->nw);
	free(e->nr);
	memset(e, 0, sizeof(*e));
	return !bad;
}

/*
 * Completions on @e's CQs that nobody waits for: each is printed and
 * counted in strays (a failure of the case that finds it). @when says at
 * which point they were found.
 */
int cq_strays(struct end *e, const char *when)
{
	struct ibv_cq *cq[2] = { e->scq, e->rcq };
	struct ibv_wc wc;
	int i, n = 0;

	for (i = 0; i < 2; i++) {
		while (cq[i] && ibv_poll_cq(cq[i], 1, &wc) > 0) {
			ktap_info("%s: unexpected %s completion %s: wr_id %llu qp %u %s byte_len %u",
				  e->name, i ? "recv" : "send", when,
				  (unsigned long long)wc.wr_id, wc.qp_num,
				  ibv_wc_status_str(wc.status), wc.byte_len);
			n++;
		}
	}
	strays += n;
	return n;
}

static bool create_qp(struct end *e, enum ibv_qp_type type,
		      uint64_t send_ops)
{
	struct ibv_qp_init_attr_ex init = {
		.send_cq = e->scq,
		.recv_cq = e->rcq,
		.qp_type = type,
		.sq_sig_all = 1,
		.cap = {
			.max_send_wr = WR_DEPTH,
			.max_recv_wr = WR_DEPTH,
			.max_send_sge = MAX_SEGS,
			.max_recv_sge = MAX_SEGS,
			.max_inline_data = 64,
		},
	};
	int err;

	if (e->qp) {
		err = ibv_destroy_qp(e->qp);
		e->qp = NULL;
		if (err) {
			ktap_info("%s: ibv_destroy_qp: %s", e->name,
				  strerror(err));
			return false;
		}
	}
	/* the last case's QP is gone: nothing may be left of it */
	cq_strays(e, "before the case");
	init.pd = e->pd;
	init.comp_mask = IBV_QP_INIT_ATTR_PD;
	if (send_ops) {
		/* an extended QP: ibv_wr_*() may post these */
		init.comp_mask |= IBV_QP_INIT_ATTR_SEND_OPS_FLAGS;
		init.send_ops_flags = send_ops;
	}
	e->qp = ibv_create_qp_ex(e->ctx, &init);
	if (!e->qp)
		ktap_info("%s: ibv_create_qp_ex: %s", e->name, strerror(errno));
	return e->qp;
}

static int gid_index(struct end *e)
{
	return family == 6 ? e->gid6 : e->gid4;
}

static union ibv_gid *gid_of(struct end *e)
{
	return family == 6 ? &e->g6 : &e->g4;
}

void fill_ah(struct ibv_ah_attr *ah, struct end *s, struct end *d)
{
	memset(ah, 0, sizeof(*ah));
	ah->is_global = 1;
	ah->port_num = 1;
	ah->grh.dgid = *gid_of(d);
	ah->grh.sgid_index = gid_index(s);
	ah->grh.hop_limit = 64;
	ah->grh.flow_label = 0;
}

/* s's QP through INIT, RTR, RTS towards d's QP. */
static bool qp_connect(struct end *s, struct end *d, uint32_t sq_psn,
		       uint32_t rq_psn)
{
	enum ibv_qp_type type = s->qp->qp_type;
	struct qp_path p = {
		.sgid_index = gid_index(s),
		.dgid = *gid_of(d),
		.dest_qpn = d->qp->qp_num,
		.mtu = s->mtu < d->mtu ? s->mtu : d->mtu,
		.sq_psn = sq_psn,
		.rq_psn = rq_psn,
		.qkey = QKEY,
		.access = type == IBV_QPT_UC ? IBV_ACCESS_REMOTE_WRITE :
			  IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ |
			  IBV_ACCESS_REMOTE_ATOMIC,
		.timeout = 18,		/* ~1 s: TCG is slow */
		.retry_cnt = 7,
		.rnr_retry = 7,
		.min_rnr_timer = 12,
		.max_rd_atomic = 4,
		.max_dest_rd_atomic = 4,
	};

	if (qp_bring_up(s->qp, &p)) {
		ktap_info("%s: QP not connected", s->name);
		return false;
	}
	return true;
}

/*
 * Fresh QPs of @type on both ends, connected to each other; @send_ops
 * (IBV_QP_EX_WITH_*) makes them extended QPs that post with ibv_wr_*().
 */
bool make_pair_ops(enum ibv_qp_type type, uint64_t send_ops)
{
	return create_qp(&A, type, send_ops) && create_qp(&B, type, send_ops) &&
	       qp_connect(&A, &B, PSN_A, PSN_B) &&
	       qp_connect(&B, &A, PSN_B, PSN_A);
}

bool make_pair(enum ibv_qp_type type)
{
	return make_pair_ops(type, 0);
}

int qp_state(struct ibv_qp *qp)
{
	struct ibv_qp_init_attr init;
	struct ibv_qp_attr attr;

	if (ibv_query_qp(qp, &attr, IBV_QP_STATE, &init))
		return -1;
	return attr.qp_state;
}

/* ----------------------------------------------------------------------- */
/* Completions */

/* One completion from @cq within @ms: 1, 0 on timeout, -1 on error. */
int poll_one(struct ibv_cq *cq, struct ibv_wc *wc, int ms)
{
	long deadline = now_ms() + ms;
	struct timespec nap = { 0, 50000 };
	int n, empty = 0;

	for (;;) {
		n = ibv_poll_cq(cq, 1, wc);
		if (n)
			return n < 0 ? -1 : 1;
		if (now_ms() > deadline)
			return 0;
		/* Leave the CPU to the driver's threads. */
		if (++empty > 100)
			nanosleep(&nap, NULL);
	}
}

static const char *wc_op_str(int op)
{
	switch (op) {
	case IBV_WC_SEND: return "SEND";
	case IBV_WC_RDMA_WRITE: return "RDMA_WRITE";
	case IBV_WC_RDMA_READ: return "RDMA_READ";
	case IBV_WC_COMP_SWAP: return "COMP_SWAP";
	case IBV_WC_FETCH_ADD: return "FETCH_ADD";
	case IBV_WC_ATOMIC_WRITE: return "ATOMIC_WRITE";
	case IBV_WC_BIND_MW: return "BIND_MW";
	case IBV_WC_LOCAL_INV: return "LOCAL_INV";
	case IBV_WC_RECV: return "RECV";
	case IBV_WC_RECV_RDMA_WITH_IMM: return "RECV_RDMA_WITH_IMM";
	default: return "?";
	}
}

bool wait_wc(struct end *e, bool recv, const struct wc_want *w,
		    struct ibv_wc *out)
{
	struct ibv_wc wc;
	bool ok = true;
	int n;

	n = poll_one(recv ? e->rcq : e->scq, &wc, WAIT_MS);
	if (n <= 0) {
		ktap_info("%s %s CQ: %s", e->name, recv ? "recv" : "send",
			  n ? "poll error" : "no completion");
		return false;
	}
	if (out)
		*out = wc;
	if (wc.status != w->status && w->rxe_alt && driver_is_rxe &&
	    wc.status == w->rxe_status) {
		ktap_info("%s: status %s: stock rxe's deviation (IBTA: %s)",
			  e->name, ibv_wc_status_str(wc.status),
			  ibv_wc_status_str(w->status));
	} else if (wc.status != w->status) {
		ktap_info("%s: wr_id %llu status %s, want %s", e->name,
			  (unsigned long long)wc.wr_id,
			  ibv_wc_status_str(wc.status),
			  ibv_wc_status_str(w->status));
		ok = false;
	}
	if (wc.wr_id != w->wr_id) {
		ktap_info("%s: wr_id %llu, want %llu", e->name,
			  (unsigned long long)wc.wr_id,
			  (unsigned long long)w->wr_id);
		ok = false;
	}
	if (wc.qp_num != w->qp_num) {
		ktap_info("%s: qp_num %u, want %u", e->name, wc.qp_num,
			  w->qp_num);
		ok = false;
	}
	if (w->status != IBV_WC_SUCCESS)
		return ok;
	if (w->opcode >= 0 && (int)wc.opcode != w->opcode) {
		ktap_info("%s: opcode %s (%d), want %s", e->name,
			  wc_op_str(wc.opcode), wc.opcode,
			  wc_op_str(w->opcode));
		ok = false;
	}
	if (w->byte_len >= 0 && wc.byte_len != w->byte_len) {
		ktap_info("%s: byte_len %u, want %lld", e->name, wc.byte_len,
			  (long long)w->byte_len);
		ok = false;
	}
	if ((wc.wc_flags & w->flags & ~IBV_WC_WITH_INV) !=
	    (w->flags & ~IBV_WC_WITH_INV) ||
	    (wc.wc_flags & w->noflags)) {
		ktap_info("%s: wc_flags 0x%x, want 0x%x set, 0x%x clear",
			  e->name, wc.wc_flags, w->flags, w->noflags);
		ok = false;
	}
	if ((w->flags & IBV_WC_WITH_IMM) && ntohl(wc.imm_data) != w->imm) {
		ktap_info("%s: imm_data 0x%x, want 0x%x", e->name,
			  ntohl(wc.imm_data), w->imm);
		ok = false;
	}
	/* sroce reports libibverbs' own bit; rxe 6.1 the kernel's */
	if ((w->flags & IBV_WC_WITH_INV) &&
	    !(wc.wc_flags & (driver_is_rxe ? WC_INV_FLAGS : IBV_WC_WITH_INV))) {
		ktap_info("%s: wc_flags 0x%x: no invalidation flag", e->name,
			  wc.wc_flags);
		ok = false;
	}
	if ((w->flags & IBV_WC_WITH_INV) &&
	    wc.invalidated_rkey != w->inv_rkey) {
		ktap_info("%s: invalidated_rkey 0x%x, want 0x%x", e->name,
			  wc.invalidated_rkey, w->inv_rkey);
		ok = false;
	}
	return ok;
}

/* No completion arrives on @cq for QUIET_MS. */
bool cq_quiet(struct end *e, bool recv)
{
	struct ibv_wc wc;

	if (poll_one(recv ? e->rcq : e->scq, &wc, QUIET_MS) == 0)
		return true;
	ktap_info("%s: unexpected %s completion: %s %s byte_len %u",
		  e->name, recv ? "recv" : "send", wc_op_str(wc.opcode),
		  ibv_wc_status_str(wc.status), wc.byte_len);
	return false;
}

/* ----------------------------------------------------------------------- */
/* Buffers and their expected contents */

void pattern(uint8_t *p, uint32_t len, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 1;
	uint32_t i;

	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = x >> 11;
	}
}

/* Both ends to all-GUARD (buffers and the restricted ones). */
void reset_bufs(void)
{
	memset(A.buf, GUARD, BUF_SIZE);
	memset(B.buf, GUARD, BUF_SIZE);
	memset(A.nw, GUARD, SMALL_LEN);
	memset(B.nw, GUARD, SMALL_LEN);
	memset(A.nr, GUARD, SMALL_LEN);
	memset(B.nr, GUARD, SMALL_LEN);
}

/* Splits @len bytes from @base into @n segments @gap bytes apart. */
void split(struct seg *s, int n, uint32_t base, uint32_t len,
		  uint32_t gap)
{
	uint32_t off = base, part = len / n;
	int i;

	for (i = 0; i < n; i++) {
		s[i].off = off;
		s[i].len = i == n - 1 ? len - part * (n - 1) : part;
		off += s[i].len + gap;
	}
}

/* Writes the message (a fresh pattern) into @e's buffer at @s[]. */
void place_msg(struct end *e, const struct seg *s, int n,
		      uint32_t len, uint32_t seed)
{
	uint32_t done = 0;
	int i;

	pattern(msg, len, seed);
	for (i = 0; i < n; i++) {
		memcpy(e->buf + s[i].off, msg + done, s[i].len);
		done += s[i].len;
	}
}

/* The first @len message bytes scattered over @s[] of @e->expect. */
void expect_msg(struct end *e, const struct seg *s, int n,
		       uint32_t len)
{
	uint32_t done = 0, k;
	int i;

	for (i = 0; i < n && done < len; i++) {
		k = s[i].len < len - done ? s[i].len : len - done;
		memcpy(e->expect + s[i].off, msg + done, k);
		done += k;
	}
}

/* @e's buffer holds exactly e->expect, and its restricted ones GUARD. */
bool check_buf(struct end *e)
{
	static const uint8_t g[64] = { [0 ... 63] = GUARD };
	uint32_t i;
	bool ok = true;

	if (memcmp(e->buf, e->expect, BUF_SIZE)) {
		for (i = 0; i < BUF_SIZE && e->buf[i] == e->expect[i]; i++)
			;
		ktap_info("%s: buffer differs first at offset %u (0x%x): 0x%02x, want 0x%02x%s",
			  e->name, i, i, e->buf[i], e->expect[i],
			  i >= MR_LEN ? " (past the MR)" : "");
		ok = false;
	}
	for (i = 0; i < SMALL_LEN; i += sizeof(g)) {
		if (memcmp(e->nw + i, g, sizeof(g)) ||
		    memcmp(e->nr + i, g, sizeof(g))) {
			ktap_info("%s: a restricted MR's buffer changed near %u",
				  e->name, i);
			return false;
		}
	}
	return ok;
}

void snapshot(struct end *e)
{
	memcpy(e->expect, e->buf, BUF_SIZE);
}

void to_sge(struct ibv_sge *sge, struct end *e, const struct seg *s,
		   int n)
{
	int i;

	for (i = 0; i < n; i++) {
		sge[i].addr = (uintptr_t)(e->buf + s[i].off);
		sge[i].length = s[i].len;
		sge[i].lkey = e->mr->lkey;
	}
}

bool post_recv(struct end *e, const struct seg *s, int n,
		      uint64_t wr_id)
{
	struct ibv_sge sge[MAX_SEGS];
	struct ibv_recv_wr wr = {
		.wr_id = wr_id, .sg_list = sge, .num_sge = n,
	}, *bad;
	int err;

	to_sge(sge, e, s, n);
	err = ibv_post_recv(e->qp, &wr, &bad);
	if (err)
		ktap_info("%s: ibv_post_recv: %s", e->name, strerror(err));
	return !err;
}

bool post_send(struct end *e, struct ibv_send_wr *wr)
{
	struct ibv_send_wr *bad;
	int err = ibv_post_send(e->qp, wr, &bad);

	if (err)
		ktap_info("%s: ibv_post_send: %s", e->name, strerror(err));
	return !err;
}
