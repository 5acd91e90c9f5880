// SPDX-License-Identifier: GPL-2.0
/*
 * Datapath opcodes between two RoCE devices in one process: an RC (UC, UD)
 * QP on each device, connected with ibv_modify_qp from the devices' RoCE v2
 * GIDs (no rdma_cm). For every opcode and size the target buffer is
 * compared byte for byte with what it must hold: the moved bytes where they
 * belong, guard bytes everywhere else (including past the MR's end), and
 * the source unchanged; completions are checked for status, opcode, wr_id,
 * byte_len, imm_data and flags. Error cases must fail cleanly with the
 * status IBTA gives them and flush what follows. A process killed with
 * SIGKILL mid-traffic must leave no resources behind.
 *
 * usage: opcodes [DEV_A DEV_B]   (or SROCE_TEST_DEV_A / SROCE_TEST_DEV_B)
 * Without device names it sets up ${SROCE_TEST_DRIVER:-sroce}0 and 1 on a
 * veth pair with selftests/roce_net.sh, and removes them at the end.
 * opcodes --spin DEV_A DEV_B: RDMA traffic forever (for the kill test).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <infiniband/verbs.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ktap.h"

#define BUF_SIZE	(3u << 20)	/* per end; the main MR is a part */
#define MR_LEN		(BUF_SIZE - 8192) /* bytes past it: guard */
#define SMALL_LEN	65536		/* buffers of the restricted MRs */
#define GUARD		0x5a
#define CQ_DEPTH	256
#define WR_DEPTH	64
#define MAX_SEGS	24
#define WAIT_MS		30000		/* TCG is slow: generous */
#define QUIET_MS	300		/* "no completion comes" */
#define IMM		0x1234abcdu
#define QKEY		0x11110000u
#define PSN_A		0xffff00u	/* 1 MiB from A wraps the 24-bit PSN */
#define PSN_B		0xfffffeu

/*
 * The rxe user ABI (struct rxe_uverbs_wc, copied as is by rdma-core's rxe
 * provider) carries what the kernel writes: rxe 6.1 writes its own
 * IB_WC_WITH_INVALIDATE, 1 << 2, which libibverbs names IBV_WC_IP_CSUM_OK;
 * sroce translates to IBV_WC_WITH_INV. For rxe either bit says
 * "invalidated"; sroce must set IBV_WC_WITH_INV.
 */
#define WC_INV_FLAGS	(IBV_WC_WITH_INV | (1u << 2))

struct end {
	const char *name;
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_cq *scq, *rcq;
	struct ibv_qp *qp;
	struct ibv_mr *mr;	/* full access, [buf, buf + MR_LEN) */
	struct ibv_mr *mr_nw;	/* no REMOTE_WRITE / REMOTE_ATOMIC, on nw */
	struct ibv_mr *mr_nr;	/* no REMOTE_READ, on nr */
	uint8_t *buf, *expect;
	uint8_t *nw, *nr;	/* must stay GUARD: nothing may land there */
	int gid4, gid6;
	union ibv_gid g4, g6;
	enum ibv_mtu mtu;
	struct ibv_device_attr_ex attr;
};

static struct end A = { .name = "A" }, B = { .name = "B" };
static int family = 4;		/* GID family the QPs use */
static uint32_t path_mtu;	/* bytes */
static uint8_t *msg;		/* the message a test moves, concatenated */
static char selftest_dir[PATH_MAX];
static uint64_t wr_seq = 1;
static bool driver_is_rxe;

/* ----------------------------------------------------------------------- */
/* Shell helpers (roce_net.sh) */

static int sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	pid_t pid;
	int n, status;

	n = snprintf(cmd, sizeof(cmd), ". %s/lib.sh; . %s/roce_net.sh; ",
		     selftest_dir, selftest_dir);
	va_start(ap, fmt);
	vsnprintf(cmd + n, sizeof(cmd) - n, fmt, ap);
	va_end(ap);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		execl("/bin/bash", "bash", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* ----------------------------------------------------------------------- */
/* Devices, buffers, QPs */

static struct ibv_context *open_dev(const char *name)
{
	struct ibv_device **list = ibv_get_device_list(NULL);
	struct ibv_context *c = NULL;
	int i;

	for (i = 0; list && list[i]; i++)
		if (!strcmp(ibv_get_device_name(list[i]), name))
			c = ibv_open_device(list[i]);
	ibv_free_device_list(list);
	return c;
}

/* Index of the RoCE v2 GID of family @fam (4: IPv4-mapped, 6: global). */
static int find_gid(struct ibv_context *c, int fam, union ibv_gid *gid)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	struct ibv_gid_entry e;
	int tries, i;

	for (tries = 0; tries < 100; tries++) {
		for (i = 0; i < 1024; i++) {
			if (ibv_query_gid_ex(c, 1, i, &e, 0))
				continue;
			if (e.gid_type != IBV_GID_TYPE_ROCE_V2)
				continue;
			if (fam == 4 && memcmp(e.gid.raw, mapped, 12))
				continue;
			if (fam == 6 && (!memcmp(e.gid.raw, mapped, 12) ||
					 (e.gid.raw[0] == 0xfe &&
					  (e.gid.raw[1] & 0xc0) == 0x80)))
				continue;
			*gid = e.gid;
			return i;
		}
		usleep(100000);
	}
	return -1;
}

static void *alloc_buf(size_t len)
{
	void *p;

	if (posix_memalign(&p, 4096, len))
		return NULL;
	memset(p, GUARD, len);
	return p;
}

static bool end_open(struct end *e, const char *dev)
{
	struct ibv_port_attr port;
	int full = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
		   IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_ATOMIC |
		   IBV_ACCESS_MW_BIND;

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
	e->gid4 = find_gid(e->ctx, 4, &e->g4);
	e->gid6 = find_gid(e->ctx, 6, &e->g6);
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

static void end_close(struct end *e)
{
	if (e->qp)
		ibv_destroy_qp(e->qp);
	if (e->mr)
		ibv_dereg_mr(e->mr);
	if (e->mr_nw)
		ibv_dereg_mr(e->mr_nw);
	if (e->mr_nr)
		ibv_dereg_mr(e->mr_nr);
	if (e->rcq)
		ibv_destroy_cq(e->rcq);
	if (e->scq)
		ibv_destroy_cq(e->scq);
	if (e->pd)
		ibv_dealloc_pd(e->pd);
	if (e->ctx)
		ibv_close_device(e->ctx);
	free(e->buf);
	free(e->expect);
	free(e->nw);
	free(e->nr);
	memset(e, 0, sizeof(*e));
}

static void drain_cq(struct ibv_cq *cq)
{
	struct ibv_wc wc[16];

	while (ibv_poll_cq(cq, 16, wc) > 0)
		;
}

static bool create_qp(struct end *e, enum ibv_qp_type type)
{
	struct ibv_qp_init_attr init = {
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

	if (e->qp)
		ibv_destroy_qp(e->qp);
	drain_cq(e->scq);
	drain_cq(e->rcq);
	e->qp = ibv_create_qp(e->pd, &init);
	if (!e->qp)
		ktap_info("%s: ibv_create_qp: %s", e->name, strerror(errno));
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

static void fill_ah(struct ibv_ah_attr *ah, struct end *s, struct end *d)
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
	struct ibv_qp_attr a = {
		.qp_state = IBV_QPS_INIT,
		.port_num = 1,
		.qkey = QKEY,
		.qp_access_flags = IBV_ACCESS_REMOTE_WRITE |
				   IBV_ACCESS_REMOTE_READ |
				   IBV_ACCESS_REMOTE_ATOMIC,
	};
	int mask = IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT;

	mask |= type == IBV_QPT_UD ? IBV_QP_QKEY : IBV_QP_ACCESS_FLAGS;
	if (type == IBV_QPT_UC)
		a.qp_access_flags = IBV_ACCESS_REMOTE_WRITE;
	if (ibv_modify_qp(s->qp, &a, mask)) {
		ktap_info("%s: to INIT: %s", s->name, strerror(errno));
		return false;
	}
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTR;
	mask = IBV_QP_STATE;
	if (type != IBV_QPT_UD) {
		a.path_mtu = s->mtu < d->mtu ? s->mtu : d->mtu;
		a.dest_qp_num = d->qp->qp_num;
		a.rq_psn = rq_psn;
		fill_ah(&a.ah_attr, s, d);
		mask |= IBV_QP_AV | IBV_QP_PATH_MTU | IBV_QP_DEST_QPN |
			IBV_QP_RQ_PSN;
		if (type == IBV_QPT_RC) {
			a.max_dest_rd_atomic = 4;
			a.min_rnr_timer = 12;
			mask |= IBV_QP_MAX_DEST_RD_ATOMIC |
				IBV_QP_MIN_RNR_TIMER;
		}
	}
	if (ibv_modify_qp(s->qp, &a, mask)) {
		ktap_info("%s: to RTR: %s", s->name, strerror(errno));
		return false;
	}
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTS;
	a.sq_psn = sq_psn;
	mask = IBV_QP_STATE | IBV_QP_SQ_PSN;
	if (type == IBV_QPT_RC) {
		a.timeout = 18;		/* ~1 s: TCG is slow */
		a.retry_cnt = 7;
		a.rnr_retry = 7;
		a.max_rd_atomic = 4;
		mask |= IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY |
			IBV_QP_MAX_QP_RD_ATOMIC;
	}
	if (ibv_modify_qp(s->qp, &a, mask)) {
		ktap_info("%s: to RTS: %s", s->name, strerror(errno));
		return false;
	}
	return true;
}

/* Fresh QPs of @type on both ends, connected to each other. */
static bool make_pair(enum ibv_qp_type type)
{
	return create_qp(&A, type) && create_qp(&B, type) &&
	       qp_connect(&A, &B, PSN_A, PSN_B) &&
	       qp_connect(&B, &A, PSN_B, PSN_A);
}

static int qp_state(struct ibv_qp *qp)
{
	struct ibv_qp_init_attr init;
	struct ibv_qp_attr attr;

	if (ibv_query_qp(qp, &attr, IBV_QP_STATE, &init))
		return -1;
	return attr.qp_state;
}

/* ----------------------------------------------------------------------- */
/* Completions */

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One completion from @cq within @ms: 1, 0 on timeout, -1 on error. */
static int poll_one(struct ibv_cq *cq, struct ibv_wc *wc, int ms)
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
	case IBV_WC_BIND_MW: return "BIND_MW";
	case IBV_WC_LOCAL_INV: return "LOCAL_INV";
	case IBV_WC_RECV: return "RECV";
	case IBV_WC_RECV_RDMA_WITH_IMM: return "RECV_RDMA_WITH_IMM";
	default: return "?";
	}
}

/*
 * What a completion must look like; byte_len < 0 and imm == 0 / flags == 0
 * mean "not checked" except that flags lists the ones that must be set and
 * noflags the ones that must not.
 */
struct wc_want {
	enum ibv_wc_status status;
	/* Also accepted with SROCE_TEST_DRIVER=rxe, where 6.1 deviates. */
	enum ibv_wc_status rxe_status;
	bool rxe_alt;
	int opcode;		/* -1: not checked (error completions) */
	uint64_t wr_id;
	int64_t byte_len;	/* -1: not checked */
	unsigned int flags, noflags;
	uint32_t imm;		/* checked when flags has IBV_WC_WITH_IMM */
	uint32_t inv_rkey;	/* checked when flags has IBV_WC_WITH_INV */
	uint32_t qp_num;
};

static bool wait_wc(struct end *e, bool recv, const struct wc_want *w,
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
static bool cq_quiet(struct end *e, bool recv)
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

struct seg {
	uint32_t off, len;
};

static void pattern(uint8_t *p, uint32_t len, uint32_t seed)
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
static void reset_bufs(void)
{
	memset(A.buf, GUARD, BUF_SIZE);
	memset(B.buf, GUARD, BUF_SIZE);
	memset(A.nw, GUARD, SMALL_LEN);
	memset(B.nw, GUARD, SMALL_LEN);
	memset(A.nr, GUARD, SMALL_LEN);
	memset(B.nr, GUARD, SMALL_LEN);
}

/* Splits @len bytes from @base into @n segments @gap bytes apart. */
static void split(struct seg *s, int n, uint32_t base, uint32_t len,
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
static void place_msg(struct end *e, const struct seg *s, int n,
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
static void expect_msg(struct end *e, const struct seg *s, int n,
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
static bool check_buf(struct end *e)
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

static void snapshot(struct end *e)
{
	memcpy(e->expect, e->buf, BUF_SIZE);
}

static void to_sge(struct ibv_sge *sge, struct end *e, const struct seg *s,
		   int n)
{
	int i;

	for (i = 0; i < n; i++) {
		sge[i].addr = (uintptr_t)(e->buf + s[i].off);
		sge[i].length = s[i].len;
		sge[i].lkey = e->mr->lkey;
	}
}

static bool post_recv(struct end *e, const struct seg *s, int n,
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

static bool post_send(struct end *e, struct ibv_send_wr *wr)
{
	struct ibv_send_wr *bad;
	int err = ibv_post_send(e->qp, wr, &bad);

	if (err)
		ktap_info("%s: ibv_post_send: %s", e->name, strerror(err));
	return !err;
}

/* ----------------------------------------------------------------------- */
/* The tests: each prints exactly one KTAP result. */

struct test {
	char name[96];
	bool (*fn)(const struct test *t);
	int op;			/* IBV_WR_* */
	uint32_t len;
	int nsge;		/* local SGEs; remote (recv) ones: nsge - 1 */
	int fam;
	enum ibv_qp_type type;
	int arg;
	const char *skip;	/* reason, when it cannot run here */
};

#define MAX_TESTS 160
static struct test tests[MAX_TESTS];
static int ntests;

/* Offsets: unaligned, far from the start; local and remote differ. */
#define LOFF 0x1003
#define ROFF 0x2011

static bool t_xfer(const struct test *t)
{
	bool send = t->op == IBV_WR_SEND || t->op == IBV_WR_SEND_WITH_IMM;
	bool imm = t->op == IBV_WR_SEND_WITH_IMM ||
		   t->op == IBV_WR_RDMA_WRITE_WITH_IMM;
	bool read = t->op == IBV_WR_RDMA_READ;
	/* Remote side: one range, except a receive may scatter. */
	int nl = t->nsge, nr = send && t->nsge > 1 ? t->nsge - 1 : 1;
	struct seg ls[MAX_SEGS], rs[MAX_SEGS], sentinel;
	struct ibv_sge sge[MAX_SEGS];
	struct ibv_send_wr wr = { 0 };
	struct wc_want sw = { 0 }, rw = { 0 };
	uint64_t id = wr_seq++;
	bool ok = true;

	if (!make_pair(t->type))
		return false;
	reset_bufs();
	split(ls, nl, LOFF, t->len, 61);
	/* Receive buffers hold 16 more than the message: must stay GUARD. */
	split(rs, nr, ROFF, send ? t->len + 16 : t->len, 97);
	sentinel = (struct seg){ MR_LEN - 4096, 64 };
	if (read)
		place_msg(&B, rs, nr, t->len, id);
	else
		place_msg(&A, ls, nl, t->len, id);
	snapshot(&A);
	snapshot(&B);
	if (read)
		expect_msg(&A, ls, nl, t->len);
	else if (send)
		expect_msg(&B, rs, nr, t->len);
	else
		expect_msg(&B, rs, 1, t->len);

	if (send && !post_recv(&B, rs, nr, id))
		return false;
	/* WRITE_WITH_IMM consumes a receive but must not write into it. */
	if (t->op == IBV_WR_RDMA_WRITE_WITH_IMM &&
	    !post_recv(&B, &sentinel, 1, id))
		return false;

	to_sge(sge, &A, ls, nl);
	wr.wr_id = id;
	wr.sg_list = sge;
	wr.num_sge = nl;
	wr.opcode = t->op;
	wr.send_flags = IBV_SEND_SIGNALED;
	if (t->len == 0)
		wr.num_sge = 0;
	if (imm)
		wr.imm_data = htonl(IMM);
	if (!send) {
		wr.wr.rdma.remote_addr = (uintptr_t)(B.buf + rs[0].off);
		wr.wr.rdma.rkey = B.mr->rkey;
	}
	if (!post_send(&A, &wr))
		return false;

	sw.status = IBV_WC_SUCCESS;
	sw.wr_id = id;
	sw.qp_num = A.qp->qp_num;
	sw.byte_len = read ? (int64_t)t->len : -1;
	sw.opcode = send ? IBV_WC_SEND :
		    read ? IBV_WC_RDMA_READ : IBV_WC_RDMA_WRITE;
	ok &= wait_wc(&A, false, &sw, NULL);
	if (send || imm) {
		rw.status = IBV_WC_SUCCESS;
		rw.wr_id = id;
		rw.qp_num = B.qp->qp_num;
		rw.byte_len = t->len;
		rw.opcode = send ? IBV_WC_RECV : IBV_WC_RECV_RDMA_WITH_IMM;
		rw.flags = imm ? IBV_WC_WITH_IMM : 0;
		rw.noflags = (imm ? 0 : IBV_WC_WITH_IMM) | WC_INV_FLAGS;
		rw.imm = IMM;
		ok &= wait_wc(&B, true, &rw, NULL);
	} else {
		ok &= cq_quiet(&B, true);
	}
	ok &= cq_quiet(&B, false);
	ok &= check_buf(&A);
	ok &= check_buf(&B);
	return ok;
}

/* SEND with IBV_SEND_INLINE: the data is copied at post time. */
static bool t_inline(const struct test *t)
{
	struct seg ls = { LOFF, t->len }, rs = { ROFF, t->len + 16 };
	struct ibv_sge sge;
	struct ibv_send_wr wr = { 0 };
	struct wc_want sw = { 0 }, rw = { 0 };
	uint64_t id = wr_seq++;
	bool ok = true;

	if (!make_pair(IBV_QPT_RC))
		return false;
	reset_bufs();
	place_msg(&A, &ls, 1, t->len, id);
	snapshot(&B);
	expect_msg(&B, &rs, 1, t->len);
	if (!post_recv(&B, &rs, 1, id))
		return false;
	to_sge(&sge, &A, &ls, 1);
	sge.lkey = 0xdeadbeef;	/* inline: the lkey is not used */
	wr.wr_id = id;
	wr.sg_list = &sge;
	wr.num_sge = 1;
	wr.opcode = IBV_WR_SEND;
	wr.send_flags = IBV_SEND_SIGNALED | IBV_SEND_INLINE;
	if (!post_send(&A, &wr))
		return false;
	/* Overwrite the source at once: the posted data must not change. */
	memset(A.buf + LOFF, 0, t->len);
	snapshot(&A);
	sw = (struct wc_want){ .status = IBV_WC_SUCCESS, .opcode = IBV_WC_SEND,
			       .wr_id = id, .byte_len = -1,
			       .qp_num = A.qp->qp_num };
	rw = (struct wc_want){ .status = IBV_WC_SUCCESS, .opcode = IBV_WC_RECV,
			       .wr_id = id, .byte_len = t->len,
			       .noflags = IBV_WC_WITH_IMM | WC_INV_FLAGS,
			       .qp_num = B.qp->qp_num };
	ok &= wait_wc(&A, false, &sw, NULL);
	ok &= wait_wc(&B, true, &rw, NULL);
	ok &= check_buf(&A);
	ok &= check_buf(&B);
	return ok;
}

static bool post_atomic(int op, uint64_t id, uint64_t *local,
			uint64_t *remote, uint64_t cmp_add, uint64_t swap)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)local, .length = 8, .lkey = A.mr->lkey,
	};
	struct ibv_send_wr wr = {
		.wr_id = id, .sg_list = &sge, .num_sge = 1, .opcode = op,
		.send_flags = IBV_SEND_SIGNALED,
	};

	wr.wr.atomic.remote_addr = (uintptr_t)remote;
	wr.wr.atomic.rkey = B.mr->rkey;
	wr.wr.atomic.compare_add = cmp_add;
	wr.wr.atomic.swap = swap;
	return post_send(&A, &wr);
}

/* One atomic: remote starts at @orig, must end at @after; local gets orig. */
static bool atomic_step(int op, uint64_t orig, uint64_t cmp_add,
			uint64_t swap, uint64_t after)
{
	uint64_t *local = (uint64_t *)(A.buf + 0x3008);
	uint64_t *remote = (uint64_t *)(B.buf + 0x4010);
	uint64_t id = wr_seq++;
	struct wc_want sw = {
		.status = IBV_WC_SUCCESS,
		.opcode = op == IBV_WR_ATOMIC_CMP_AND_SWP ? IBV_WC_COMP_SWAP :
							    IBV_WC_FETCH_ADD,
		.wr_id = id, .byte_len = 8, .qp_num = A.qp->qp_num,
	};
	bool ok = true;

	reset_bufs();
	*remote = orig;
	snapshot(&A);
	snapshot(&B);
	memcpy(A.expect + 0x3008, &orig, 8);
	memcpy(B.expect + 0x4010, &after, 8);
	if (!post_atomic(op, id, local, remote, cmp_add, swap))
		return false;
	ok &= wait_wc(&A, false, &sw, NULL);
	ok &= check_buf(&A);
	ok &= check_buf(&B);
	if (!ok)
		ktap_info("atomic: remote 0x%llx (want 0x%llx), local 0x%llx (want 0x%llx)",
			  (unsigned long long)*remote,
			  (unsigned long long)after,
			  (unsigned long long)*local,
			  (unsigned long long)orig);
	return ok;
}

static bool t_cas(const struct test *t)
{
	const uint64_t x = 0x0123456789abcdefull, y = 0xfedcba9876543210ull;
	bool ok = true;

	(void)t;
	if (!make_pair(IBV_QPT_RC))
		return false;
	ok &= atomic_step(IBV_WR_ATOMIC_CMP_AND_SWP, x, x, y, y); /* swaps */
	ok &= atomic_step(IBV_WR_ATOMIC_CMP_AND_SWP, x, y, 7, x); /* does not */
	ok &= cq_quiet(&B, true);
	return ok;
}

static bool t_faa(const struct test *t)
{
	bool ok = true;

	(void)t;
	if (!make_pair(IBV_QPT_RC))
		return false;
	ok &= atomic_step(IBV_WR_ATOMIC_FETCH_AND_ADD, 1000, 234, 0, 1234);
	/* Carries across all 64 bits and wraps. */
	ok &= atomic_step(IBV_WR_ATOMIC_FETCH_AND_ADD, 0xfffffffffffffff0ull,
			  0x20, 0, 0x10);
	ok &= atomic_step(IBV_WR_ATOMIC_FETCH_AND_ADD, 0x00000000ffffffffull,
			  1, 0, 0x0000000100000000ull);
	ok &= cq_quiet(&B, true);
	return ok;
}

/*
 * SEND_WITH_INV: B binds a type 2 MW on its QP, A writes through it, sends
 * with invalidate, and a write through the invalidated rkey must fail.
 */
static bool t_send_inv(const struct test *t)
{
	struct seg ls = { LOFF, 200 }, rs = { ROFF, 300 };
	struct seg mws = { 0x100000, 4096 };
	struct ibv_sge sge;
	struct ibv_send_wr wr = { 0 };
	struct wc_want w = { 0 };
	struct ibv_mw *mw;
	uint32_t rkey;
	uint64_t id;
	bool ok = true;

	(void)t;
	if (!make_pair(IBV_QPT_RC))
		return false;
	mw = ibv_alloc_mw(B.pd, IBV_MW_TYPE_2);
	if (!mw) {
		ktap_info("ibv_alloc_mw type 2: %s", strerror(errno));
		return false;
	}
	reset_bufs();
	rkey = ibv_inc_rkey(mw->rkey);
	id = wr_seq++;
	wr.wr_id = id;
	wr.opcode = IBV_WR_BIND_MW;
	wr.send_flags = IBV_SEND_SIGNALED;
	wr.bind_mw.mw = mw;
	wr.bind_mw.rkey = rkey;
	wr.bind_mw.bind_info.mr = B.mr;
	wr.bind_mw.bind_info.addr = (uintptr_t)(B.buf + mws.off);
	wr.bind_mw.bind_info.length = mws.len;
	wr.bind_mw.bind_info.mw_access_flags = IBV_ACCESS_REMOTE_WRITE;
	if (!post_send(&B, &wr))
		goto fail;
	w = (struct wc_want){ .status = IBV_WC_SUCCESS,
			      .opcode = IBV_WC_BIND_MW, .wr_id = id,
			      .byte_len = -1, .qp_num = B.qp->qp_num };
	ok &= wait_wc(&B, false, &w, NULL);

	/* A write through the window lands in it. */
	id = wr_seq++;
	place_msg(&A, &ls, 1, ls.len, id);
	snapshot(&A);
	snapshot(&B);
	expect_msg(&B, &mws, 1, ls.len);
	to_sge(&sge, &A, &ls, 1);
	memset(&wr, 0, sizeof(wr));
	wr.wr_id = id;
	wr.sg_list = &sge;
	wr.num_sge = 1;
	wr.opcode = IBV_WR_RDMA_WRITE;
	wr.send_flags = IBV_SEND_SIGNALED;
	wr.wr.rdma.remote_addr = (uintptr_t)(B.buf + mws.off);
	wr.wr.rdma.rkey = rkey;
	if (!post_send(&A, &wr))
		goto fail;
	w = (struct wc_want){ .status = IBV_WC_SUCCESS,
			      .opcode = IBV_WC_RDMA_WRITE, .wr_id = id,
			      .byte_len = -1, .qp_num = A.qp->qp_num };
	ok &= wait_wc(&A, false, &w, NULL);
	ok &= check_buf(&B);

	/* SEND_WITH_INV of the window's rkey. */
	id = wr_seq++;
	place_msg(&A, &ls, 1, ls.len, id);
	snapshot(&A);
	snapshot(&B);
	expect_msg(&B, &rs, 1, ls.len);
	if (!post_recv(&B, &rs, 1, id))
		goto fail;
	wr.wr_id = id;
	wr.opcode = IBV_WR_SEND_WITH_INV;
	wr.invalidate_rkey = rkey;
	if (!post_send(&A, &wr))
		goto fail;
	w = (struct wc_want){ .status = IBV_WC_SUCCESS, .opcode = IBV_WC_SEND,
			      .wr_id = id, .byte_len = -1,
			      .qp_num = A.qp->qp_num };
	ok &= wait_wc(&A, false, &w, NULL);
	w = (struct wc_want){ .status = IBV_WC_SUCCESS, .opcode = IBV_WC_RECV,
			      .wr_id = id, .byte_len = ls.len,
			      .flags = IBV_WC_WITH_INV,
			      .noflags = IBV_WC_WITH_IMM, .inv_rkey = rkey,
			      .qp_num = B.qp->qp_num };
	ok &= wait_wc(&B, true, &w, NULL);
	ok &= check_buf(&B);

	/* The rkey is dead now. */
	id = wr_seq++;
	snapshot(&B);
	wr.wr_id = id;
	wr.opcode = IBV_WR_RDMA_WRITE;
	wr.wr.rdma.remote_addr = (uintptr_t)(B.buf + mws.off);
	wr.wr.rdma.rkey = rkey;
	if (!post_send(&A, &wr))
		goto fail;
	w = (struct wc_want){ .status = IBV_WC_REM_ACCESS_ERR, .wr_id = id,
			      .qp_num = A.qp->qp_num };
	ok &= wait_wc(&A, false, &w, NULL);
	ok &= check_buf(&B);
	goto out;
fail:
	ok = false;
out:
	ibv_destroy_qp(B.qp);	/* the MW is bound to B's QP */
	B.qp = NULL;
	if (ibv_dealloc_mw(mw)) {
		ktap_info("ibv_dealloc_mw failed");
		ok = false;
	}
	return ok;
}

/*
 * Error cases. t->arg selects one; each posts the bad WR followed by two
 * good ones: the bad one completes with @status, the others flush, the
 * requester's QP ends in ERR, and the remote buffers are untouched.
 */
enum { E_RKEY, E_OOB_END, E_OOB_START, E_NO_RWRITE, E_NO_RREAD,
       E_NO_RATOMIC, E_LKEY, E_RECV_LKEY };

static bool t_error(const struct test *t)
{
	struct seg ls = { LOFF, 4096 };
	struct ibv_sge sge, good_sge;
	struct ibv_send_wr wr[3], *w0 = &wr[0];
	struct wc_want w = { 0 };
	enum ibv_wc_status want = IBV_WC_REM_ACCESS_ERR;
	uint64_t id0 = wr_seq;
	bool ok = true;
	int i;

	if (!make_pair(IBV_QPT_RC))
		return false;
	reset_bufs();
	pattern(A.buf + LOFF, ls.len, id0);
	snapshot(&A);
	snapshot(&B);
	to_sge(&sge, &A, &ls, 1);
	good_sge = sge;
	memset(wr, 0, sizeof(wr));
	for (i = 0; i < 3; i++) {
		wr[i].wr_id = wr_seq++;
		wr[i].sg_list = i ? &good_sge : &sge;
		wr[i].num_sge = 1;
		wr[i].opcode = IBV_WR_RDMA_WRITE;
		wr[i].send_flags = IBV_SEND_SIGNALED;
		wr[i].wr.rdma.remote_addr = (uintptr_t)(B.buf + ROFF);
		wr[i].wr.rdma.rkey = B.mr->rkey;
		wr[i].next = i < 2 ? &wr[i + 1] : NULL;
	}
	switch (t->arg) {
	case E_RKEY:
		w0->wr.rdma.rkey = B.mr->rkey ^ 0x01;	/* wrong key byte */
		break;
	case E_OOB_END:
		/* Starts inside the MR, ends 10 bytes past it. */
		w0->wr.rdma.remote_addr = (uintptr_t)(B.buf + MR_LEN + 10 -
						      ls.len);
		break;
	case E_OOB_START:
		w0->wr.rdma.remote_addr = (uintptr_t)(B.buf - 1);
		break;
	case E_NO_RWRITE:
		w0->wr.rdma.remote_addr = (uintptr_t)B.nw;
		w0->wr.rdma.rkey = B.mr_nw->rkey;
		break;
	case E_NO_RREAD:
		w0->opcode = IBV_WR_RDMA_READ;
		w0->wr.rdma.remote_addr = (uintptr_t)B.nr;
		w0->wr.rdma.rkey = B.mr_nr->rkey;
		break;
	case E_NO_RATOMIC:
		w0->opcode = IBV_WR_ATOMIC_FETCH_AND_ADD;
		sge.length = 8;
		w0->wr.atomic.remote_addr = (uintptr_t)B.nw;
		w0->wr.atomic.rkey = B.mr_nw->rkey;
		w0->wr.atomic.compare_add = 1;
		break;
	case E_LKEY:
		sge.lkey = A.mr->lkey ^ 0x01;
		want = IBV_WC_LOC_PROT_ERR;
		break;
	case E_RECV_LKEY: {
		/* B's receive has a bad lkey: B's recv fails LOC_PROT_ERR,
		 * A's SEND is NAKed (remote operation error).
		 */
		struct ibv_sge rsge = {
			.addr = (uintptr_t)(B.buf + ROFF), .length = 8192,
			.lkey = B.mr->lkey ^ 0x01,
		};
		struct ibv_recv_wr rwr = {
			.wr_id = id0, .sg_list = &rsge, .num_sge = 1,
		}, *bad;

		if (ibv_post_recv(B.qp, &rwr, &bad))
			return false;
		w0->opcode = IBV_WR_SEND;
		want = IBV_WC_REM_OP_ERR;
		break;
	}
	}
	if (!post_send(&A, wr))
		return false;
	w = (struct wc_want){ .status = want, .wr_id = wr[0].wr_id,
			      .qp_num = A.qp->qp_num };
	/* Stock rxe 6.1 completes a bad lkey with LOC_QP_OP_ERR. */
	if (t->arg == E_LKEY) {
		w.rxe_alt = true;
		w.rxe_status = IBV_WC_LOC_QP_OP_ERR;
	}
	ok &= wait_wc(&A, false, &w, NULL);
	for (i = 1; i < 3; i++) {
		w = (struct wc_want){ .status = IBV_WC_WR_FLUSH_ERR,
				      .wr_id = wr[i].wr_id,
				      .qp_num = A.qp->qp_num };
		ok &= wait_wc(&A, false, &w, NULL);
	}
	if (qp_state(A.qp) != IBV_QPS_ERR) {
		ktap_info("A's QP state %d after the error, want ERR",
			  qp_state(A.qp));
		ok = false;
	}
	/* A send posted now flushes at once. */
	wr[2].next = NULL;
	wr[2].wr_id = wr_seq++;
	if (post_send(&A, &wr[2])) {
		w = (struct wc_want){ .status = IBV_WC_WR_FLUSH_ERR,
				      .wr_id = wr[2].wr_id,
				      .qp_num = A.qp->qp_num };
		ok &= wait_wc(&A, false, &w, NULL);
	}
	if (t->arg == E_RECV_LKEY) {
		w = (struct wc_want){ .status = IBV_WC_LOC_PROT_ERR,
				      .rxe_alt = true,
				      .rxe_status = IBV_WC_LOC_QP_OP_ERR,
				      .wr_id = id0, .qp_num = B.qp->qp_num };
		ok &= wait_wc(&B, true, &w, NULL);
	} else {
		ok &= cq_quiet(&B, true);
	}
	ok &= cq_quiet(&A, false);
	ok &= check_buf(&A);
	ok &= check_buf(&B);
	return ok;
}

/* UD: the receive buffer starts with the 40-byte GRH. */
static bool t_ud(const struct test *t)
{
	struct seg ls = { LOFF, t->len }, rs = { ROFF, t->len + 40 };
	struct ibv_ah_attr aha;
	struct ibv_ah *ah;
	struct ibv_sge sge;
	struct ibv_send_wr wr = { 0 };
	struct wc_want w = { 0 };
	struct ibv_wc wc;
	uint8_t *grh = B.buf + ROFF;
	uint64_t id = wr_seq++;
	struct seg data = { ROFF + 40, t->len };
	bool ok = true;
	int i;

	if (!make_pair(IBV_QPT_UD))
		return false;
	fill_ah(&aha, &A, &B);
	ah = ibv_create_ah(A.pd, &aha);
	if (!ah) {
		ktap_info("ibv_create_ah: %s", strerror(errno));
		return false;
	}
	reset_bufs();
	place_msg(&A, &ls, 1, t->len, id);
	snapshot(&A);
	snapshot(&B);
	expect_msg(&B, &data, 1, t->len);
	to_sge(&sge, &A, &ls, 1);
	wr.sg_list = &sge;
	wr.num_sge = 1;
	wr.opcode = IBV_WR_SEND_WITH_IMM;
	wr.imm_data = htonl(IMM);
	wr.send_flags = IBV_SEND_SIGNALED;
	wr.wr.ud.ah = ah;
	wr.wr.ud.remote_qpn = B.qp->qp_num;

	/* A wrong Q_Key is dropped silently. */
	if (!post_recv(&B, &rs, 1, id))
		goto fail;
	wr.wr_id = wr_seq++;
	wr.wr.ud.remote_qkey = QKEY ^ 1;
	if (!post_send(&A, &wr))
		goto fail;
	w = (struct wc_want){ .status = IBV_WC_SUCCESS, .opcode = IBV_WC_SEND,
			      .wr_id = wr.wr_id, .byte_len = -1,
			      .qp_num = A.qp->qp_num };
	ok &= wait_wc(&A, false, &w, NULL);
	if (!cq_quiet(&B, true)) {
		ktap_info("a datagram with the wrong Q_Key was received");
		ok = false;
	}

	wr.wr_id = id;
	wr.wr.ud.remote_qkey = QKEY;
	if (!post_send(&A, &wr))
		goto fail;
	w.wr_id = id;
	ok &= wait_wc(&A, false, &w, NULL);
	w = (struct wc_want){ .status = IBV_WC_SUCCESS, .opcode = IBV_WC_RECV,
			      .wr_id = id, .byte_len = t->len + 40,
			      .flags = IBV_WC_GRH | IBV_WC_WITH_IMM,
			      .imm = IMM, .qp_num = B.qp->qp_num };
	ok &= wait_wc(&B, true, &w, &wc);
	if (wc.status == IBV_WC_SUCCESS && wc.src_qp != A.qp->qp_num) {
		ktap_info("src_qp %u, want %u", wc.src_qp, A.qp->qp_num);
		ok = false;
	}
	/* The GRH: for RoCE v2 over IPv4 its last 20 bytes are the IPv4
	 * header, over IPv6 all 40 are the IPv6 header.
	 */
	if (family == 4) {
		uint8_t *ip = grh + 20;

		if (ip[0] != 0x45 || ip[9] != 17 ||
		    memcmp(ip + 12, A.g4.raw + 12, 4) ||
		    memcmp(ip + 16, B.g4.raw + 12, 4)) {
			ktap_info("GRH: no IPv4 header A -> B (%02x .. proto %u)",
				  ip[0], ip[9]);
			ok = false;
		}
		memcpy(B.expect + ROFF + 20, ip, 20);
		/* The first 20 bytes are unspecified. */
		memcpy(B.expect + ROFF, grh, 20);
	} else {
		if ((grh[0] >> 4) != 6 || grh[6] != 17 ||
		    memcmp(grh + 8, A.g6.raw, 16) ||
		    memcmp(grh + 24, B.g6.raw, 16)) {
			ktap_info("GRH: no IPv6 header A -> B (%02x .. next %u)",
				  grh[0], grh[6]);
			ok = false;
		}
		memcpy(B.expect + ROFF, grh, 40);
	}
	for (i = 0; i < 2; i++)
		ok &= check_buf(i ? &B : &A);
	goto out;
fail:
	ok = false;
out:
	ibv_destroy_ah(ah);
	return ok;
}

/* ----------------------------------------------------------------------- */
/* Kill -9 mid-traffic */

/* The "res" summary line of each device, as one string. */
static void res_counts(char *out, size_t len, const char *a, const char *b)
{
	char cmd[256];
	FILE *f;
	size_t n = 0;

	snprintf(cmd, sizeof(cmd),
		 "rdma res show | grep -E ' (%s|%s): ' | sed 's/^[0-9]*: //'",
		 a, b);
	out[0] = 0;
	f = popen(cmd, "r");
	if (!f)
		return;
	n = fread(out, 1, len - 1, f);
	out[n] = 0;
	pclose(f);
}

/* Child: writes and reads between the QPs until killed. */
static int spin(const char *a, const char *b)
{
	struct seg ls = { 0, 65536 };
	struct ibv_sge sge;
	struct ibv_send_wr wr = { 0 };
	struct ibv_wc wc;
	long done = 0;
	int i, inflight = 0;

	if (!end_open(&A, a) || !end_open(&B, b) || !make_pair(IBV_QPT_RC))
		return 1;
	to_sge(&sge, &A, &ls, 1);
	wr.sg_list = &sge;
	wr.num_sge = 1;
	wr.send_flags = IBV_SEND_SIGNALED;
	wr.wr.rdma.remote_addr = (uintptr_t)B.buf;
	wr.wr.rdma.rkey = B.mr->rkey;
	for (;;) {
		while (inflight < 16) {
			wr.opcode = inflight & 1 ? IBV_WR_RDMA_READ :
						   IBV_WR_RDMA_WRITE;
			if (!post_send(&A, &wr))
				return 1;
			inflight++;
		}
		i = poll_one(A.scq, &wc, WAIT_MS);
		if (i <= 0 || wc.status != IBV_WC_SUCCESS)
			return 1;
		inflight--;
		if (++done == 64) {
			printf("spinning\n");
			fflush(stdout);
		}
	}
}

static void t_kill(const char *a, const char *b)
{
	char base[1024], now[1024], self[PATH_MAX], line[64] = "", *p;
	int fds[2], status, tries;
	ssize_t len;
	pid_t pid;
	FILE *f;
	bool ok = false;

	len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (len < 0 || pipe(fds)) {
		ktap_result(0, "kill -9 mid-traffic: setup");
		return;
	}
	self[len] = 0;
	res_counts(base, sizeof(base), a, b);
	fflush(stdout);
	pid = fork();
	if (!pid) {
		dup2(fds[1], 1);
		close(fds[0]);
		execl(self, self, "--spin", a, b, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	f = fdopen(fds[0], "r");
	if (pid > 0 && f && fgets(line, sizeof(line), f) &&
	    !strcmp(line, "spinning\n")) {
		res_counts(now, sizeof(now), a, b);
		for (p = now; (p = strchr(p, '\n')); )
			*p = ' ';
		ktap_info("under traffic: %s", now);
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		for (tries = 0; tries < 100; tries++) {
			res_counts(now, sizeof(now), a, b);
			if (!strcmp(now, base)) {
				for (p = now; (p = strchr(p, '\n')); )
					*p = ' ';
				ktap_info("after the kill: %s", now);
				ok = true;
				break;
			}
			usleep(100000);
		}
		if (!ok) {
			for (p = base; (p = strchr(p, '\n')); )
				*p = ' ';
			for (p = now; (p = strchr(p, '\n')); )
				*p = ' ';
			ktap_info("resources before: %s", base);
			ktap_info("resources after: %s", now);
		}
	} else {
		ktap_info("the traffic child did not start (%s)", line);
		if (pid > 0) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
		}
	}
	if (f)
		fclose(f);
	ktap_result(ok && base[0], "kill -9 mid-traffic: every resource reclaimed");
}

/* ----------------------------------------------------------------------- */

static struct test *add(const char *name, bool (*fn)(const struct test *))
{
	struct test *t = &tests[ntests++];

	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->fn = fn;
	t->fam = 4;
	t->type = IBV_QPT_RC;
	t->nsge = 1;
	return t;
}

static const char *wr_name(int op)
{
	switch (op) {
	case IBV_WR_SEND: return "SEND";
	case IBV_WR_SEND_WITH_IMM: return "SEND_WITH_IMM";
	case IBV_WR_RDMA_WRITE: return "RDMA_WRITE";
	case IBV_WR_RDMA_WRITE_WITH_IMM: return "RDMA_WRITE_WITH_IMM";
	case IBV_WR_RDMA_READ: return "RDMA_READ";
	default: return "?";
	}
}

static void add_xfer(enum ibv_qp_type type, int op, uint32_t len, int nsge,
		     int fam)
{
	char name[96], sges[16] = "";
	struct test *t;

	if (nsge > 1)
		snprintf(sges, sizeof(sges), " %d SGEs", nsge);
	snprintf(name, sizeof(name), "%s %s %u B%s%s",
		 type == IBV_QPT_UC ? "UC" : "RC", wr_name(op), len, sges,
		 fam == 6 ? " IPv6" : "");
	t = add(name, t_xfer);
	t->type = type;
	t->op = op;
	t->len = len;
	t->nsge = nsge;
	t->fam = fam;
}

static void build_tests(void)
{
	static const int ops[] = {
		IBV_WR_SEND, IBV_WR_SEND_WITH_IMM, IBV_WR_RDMA_WRITE,
		IBV_WR_RDMA_WRITE_WITH_IMM, IBV_WR_RDMA_READ,
	};
	static const struct { int arg; const char *name; } errs[] = {
		{ E_RKEY, "RDMA_WRITE with a wrong rkey: REM_ACCESS_ERR, rest flushed" },
		{ E_OOB_END, "RDMA_WRITE past the MR's end: REM_ACCESS_ERR, rest flushed" },
		{ E_OOB_START, "RDMA_WRITE before the MR's start: REM_ACCESS_ERR, rest flushed" },
		{ E_NO_RWRITE, "RDMA_WRITE to an MR without REMOTE_WRITE: REM_ACCESS_ERR, rest flushed" },
		{ E_NO_RREAD, "RDMA_READ of an MR without REMOTE_READ: REM_ACCESS_ERR, rest flushed" },
		{ E_NO_RATOMIC, "atomic on an MR without REMOTE_ATOMIC: REM_ACCESS_ERR, rest flushed" },
		{ E_LKEY, "RDMA_WRITE with a wrong lkey: LOC_PROT_ERR, rest flushed" },
		{ E_RECV_LKEY, "SEND into a receive with a wrong lkey: LOC_PROT_ERR / REM_OP_ERR" },
	};
	uint32_t sizes[] = { 1, 7, path_mtu - 1, path_mtu, path_mtu + 1,
			     65536 + 3, 1 << 20 };
	bool atomics = A.attr.orig_attr.atomic_cap != IBV_ATOMIC_NONE &&
		       B.attr.orig_attr.atomic_cap != IBV_ATOMIC_NONE;
	uint64_t need_inv = IBV_DEVICE_MEM_MGT_EXTENSIONS;
	bool inv = (B.attr.orig_attr.device_cap_flags & need_inv) &&
		   (B.attr.orig_attr.device_cap_flags &
		    (IBV_DEVICE_MEM_WINDOW_TYPE_2A |
		     IBV_DEVICE_MEM_WINDOW_TYPE_2B));
	struct test *t;
	unsigned int i, j;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		for (j = 0; j < sizeof(sizes) / sizeof(sizes[0]); j++)
			add_xfer(IBV_QPT_RC, ops[i], sizes[j], 1, 4);
		add_xfer(IBV_QPT_RC, ops[i], 10000, 4, 4);
		/* more pieces in one packet than an skb has fragments */
		add_xfer(IBV_QPT_RC, ops[i], path_mtu, MAX_SEGS, 4);
	}
	add_xfer(IBV_QPT_RC, IBV_WR_SEND, 0, 1, 4);
	add_xfer(IBV_QPT_RC, IBV_WR_RDMA_WRITE_WITH_IMM, 0, 1, 4);
	t = add("RC SEND inline 60 B", t_inline);
	t->len = 60;
	t = add("RC ATOMIC_CMP_AND_SWP (swap and no swap)", t_cas);
	if (!atomics)
		t->skip = "the devices report no atomics";
	t = add("RC ATOMIC_FETCH_AND_ADD (64-bit carry, wrap)", t_faa);
	if (!atomics)
		t->skip = "the devices report no atomics";
	t = add("RC SEND_WITH_INV of a bound type 2 MW; the rkey is dead after", t_send_inv);
	if (!inv)
		t->skip = "the device reports no memory management extensions / type 2 MWs";

	/* IPv6 GIDs: the main opcodes once more. */
	add_xfer(IBV_QPT_RC, IBV_WR_SEND_WITH_IMM, 4096, 1, 6);
	add_xfer(IBV_QPT_RC, IBV_WR_RDMA_WRITE, 65536 + 3, 1, 6);
	add_xfer(IBV_QPT_RC, IBV_WR_RDMA_READ, 65536 + 3, 1, 6);
	add_xfer(IBV_QPT_RC, IBV_WR_RDMA_WRITE_WITH_IMM, path_mtu + 1, 3, 6);
	t = add("RC ATOMIC_FETCH_AND_ADD IPv6", t_faa);
	t->fam = 6;
	if (!atomics)
		t->skip = "the devices report no atomics";

	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		t = add(errs[i].name, t_error);
		t->arg = errs[i].arg;
		if (!atomics && errs[i].arg == E_NO_RATOMIC)
			t->skip = "the devices report no atomics";
	}

	for (i = 0; i < 2; i++) {
		char name[64];

		snprintf(name, sizeof(name), "UD SEND_WITH_IMM 1 B, GRH%s, wrong Q_Key dropped",
			 i ? " IPv6" : "");
		t = add(name, t_ud);
		t->len = 1;
		t->fam = i ? 6 : 4;
		snprintf(name, sizeof(name), "UD SEND_WITH_IMM %u B (MTU), GRH%s, wrong Q_Key dropped",
			 path_mtu, i ? " IPv6" : "");
		t = add(name, t_ud);
		t->len = path_mtu;
		t->fam = i ? 6 : 4;
	}

	add_xfer(IBV_QPT_UC, IBV_WR_RDMA_WRITE, 7, 1, 4);
	add_xfer(IBV_QPT_UC, IBV_WR_RDMA_WRITE, 65536 + 3, 1, 4);
	add_xfer(IBV_QPT_UC, IBV_WR_RDMA_WRITE_WITH_IMM, path_mtu + 1, 1, 4);
	add_xfer(IBV_QPT_UC, IBV_WR_SEND, 1, 1, 4);
	add_xfer(IBV_QPT_UC, IBV_WR_SEND_WITH_IMM, 65536 + 3, 3, 4);
	add_xfer(IBV_QPT_UC, IBV_WR_SEND, 4096, 1, 6);

	for (i = 0; i < (unsigned int)ntests; i++)
		if (tests[i].fam == 6 && A.gid6 < 0 && !tests[i].skip)
			tests[i].skip = "no RoCE v2 IPv6 GID";
}

static int mtu_bytes(enum ibv_mtu m)
{
	return 128 << m;
}

int main(int argc, char **argv)
{
	const char *da = getenv("SROCE_TEST_DEV_A");
	const char *db = getenv("SROCE_TEST_DEV_B");
	const char *drv = getenv("SROCE_TEST_DRIVER");
	char dev_a[64], dev_b[64], *p;
	bool own = false;
	int i, rc, t0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 4 && !strcmp(argv[1], "--spin"))
		return spin(argv[2], argv[3]);
	if (argc == 3) {
		da = argv[1];
		db = argv[2];
	}
	i = readlink("/proc/self/exe", selftest_dir, sizeof(selftest_dir) - 1);
	if (i < 0)
		return KSFT_FAIL;
	selftest_dir[i] = 0;
	p = strrchr(selftest_dir, '/');
	if (p)
		*p = 0;
	if (!drv || !*drv)
		drv = "sroce";
	driver_is_rxe = !strcmp(drv, "rxe");

	if (!da || !db) {
		if (strcmp(drv, "sroce") && strcmp(drv, "rxe")) {
			ktap_plan(1);
			ktap_result(0, "SROCE_TEST_DRIVER must be sroce or rxe, not %s", drv);
			return ktap_finish();
		}
		snprintf(dev_a, sizeof(dev_a), "%s0", drv);
		snprintf(dev_b, sizeof(dev_b), "%s1", drv);
		da = dev_a;
		db = dev_b;
		if (!strcmp(drv, "rxe") && sh("modinfo rdma_rxe >/dev/null 2>&1")) {
			ktap_plan(1);
			ktap_skip_test("devices", "no rdma_rxe module in this kernel");
			return ktap_finish();
		}
		own = true;
		if (sh("roce_devs_up %s", drv)) {
			ktap_plan(1);
			ktap_result(0, "two %s devices on a veth pair", drv);
			sh("roce_devs_down");
			return ktap_finish();
		}
	}
	ktap_info("devices %s and %s", da, db);

	msg = malloc(BUF_SIZE);
	if (!msg || !end_open(&A, da) || !end_open(&B, db)) {
		ktap_plan(1);
		ktap_result(0, "open %s and %s", da, db);
		goto out;
	}
	path_mtu = mtu_bytes(A.mtu < B.mtu ? A.mtu : B.mtu);
	ktap_info("path MTU %u; IPv4 GIDs %d/%d, IPv6 GIDs %d/%d; atomic_cap %d/%d; device_cap_flags 0x%llx",
		  path_mtu, A.gid4, B.gid4, A.gid6, B.gid6,
		  A.attr.orig_attr.atomic_cap, B.attr.orig_attr.atomic_cap,
		  (unsigned long long)B.attr.orig_attr.device_cap_flags);
	build_tests();
	ktap_plan(ntests + 1);

	for (i = 0; i < ntests; i++) {
		struct test *t = &tests[i];

		if (t->skip) {
			ktap_skip_test(t->name, t->skip);
			continue;
		}
		family = t->fam;
		t0 = now_ms();
		rc = t->fn(t);
		if (now_ms() - t0 > 2000)
			ktap_info("%s: %d ms", t->name, (int)(now_ms() - t0));
		ktap_result(rc, "%s", t->name);
	}
	/* With nothing of ours open: the kill test's baseline. */
	end_close(&A);
	end_close(&B);
	t_kill(da, db);
out:
	free(msg);
	if (own)
		sh("roce_devs_down");
	return ktap_finish();
}
