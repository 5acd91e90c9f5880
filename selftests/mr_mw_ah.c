// SPDX-License-Identifier: GPL-2.0
/*
 * Memory regions, memory windows and address handles through stock
 * libibverbs and its rxe provider, on two sroce devices at the ends of a
 * veth pair: sroce0 with the default limits, sroce1 with max_mr=LIMIT_MR.
 *
 * Registration sizes and access flags, invalid flags, re-registration (by
 * the uverbs write command: the rxe provider has no rereg_mr), thousands of
 * MRs, the MR limit, MW types 1 and 2, no rereg_mr of an MR with a bound
 * window, unpredictable keys and QPNs, AHs from the peer's RoCE v2 GIDs, a
 * process that exits holding objects, and `rdma res show mr` empty at the
 * end.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <infiniband/verbs.h>
#include <limits.h>
#include <rdma/ib_user_verbs.h>
#include <rdma/rdma_user_rxe.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ktap.h"
#include "test_lib.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define STR_(x)		#x
#define STR(x)		STR_(x)
#define LIMIT_MR	1000
#define MANY_MR		5000
#define DEFAULT_MAX_MR	65536
#define NUM_TESTS	36
#define CHURN_MR	3000
#define MIN_DUMPS	20

/* The rxe provider's AH (providers/rxe/rxe.h of rdma-core 44). */
struct rxe_ah_view {
	struct ibv_ah ibv_ah;
	struct rxe_av av;
	int ah_num;
};

/* Lines of `rdma res show mr` that belong to @dev. */
static int res_mr_count(const char *dev)
{
	char cmd[256], line[1024], pat[64];
	int n = 0;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "rdma res show mr 2>&1");
	snprintf(pat, sizeof(pat), "dev %s ", dev);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, pat))
			n++;
	if (pclose(f))
		return -1;
	return n;
}

/* Re-registration by the uverbs write command; returns 0 or -errno. */
static int rereg(struct ibv_mr *mr, __u32 flags, void *addr, size_t len,
		 struct ibv_pd *pd, int access, __u32 *key)
{
	struct {
		struct ib_uverbs_cmd_hdr hdr;
		struct ib_uverbs_rereg_mr cmd;
	} req = {};
	struct ib_uverbs_rereg_mr_resp resp = {};

	req.hdr.command = IB_USER_VERBS_CMD_REREG_MR;
	req.hdr.in_words = sizeof(req) / 4;
	req.hdr.out_words = sizeof(resp) / 4;
	req.cmd.response = (uintptr_t)&resp;
	req.cmd.mr_handle = mr->handle;
	req.cmd.flags = flags;
	req.cmd.start = (uintptr_t)addr;
	req.cmd.length = len;
	req.cmd.hca_va = (uintptr_t)addr;
	req.cmd.pd_handle = pd ? pd->handle : 0;
	req.cmd.access_flags = access;
	if (write(mr->context->cmd_fd, &req, sizeof(req)) != sizeof(req))
		return -errno;
	if (resp.lkey != resp.rkey)
		return -EPROTO;
	*key = resp.lkey;
	return 0;
}

static const int access_bits[] = {
	IBV_ACCESS_LOCAL_WRITE, IBV_ACCESS_REMOTE_WRITE,
	IBV_ACCESS_REMOTE_READ, IBV_ACCESS_REMOTE_ATOMIC,
	IBV_ACCESS_MW_BIND,
};

static int access_of(unsigned int combo)
{
	int access = 0;
	unsigned int i;

	for (i = 0; i < 5; i++)
		if (combo & (1U << i))
			access |= access_bits[i];
	return access;
}

static bool access_legal(int access)
{
	return !(access & (IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_ATOMIC)) ||
	       (access & IBV_ACCESS_LOCAL_WRITE);
}

static bool mr_sane(struct ibv_mr *mr, void *addr, size_t len)
{
	return mr->lkey == mr->rkey && (mr->lkey >> 8) != 0 &&
	       mr->addr == addr && mr->length == len;
}

static void test_attrs(struct ibv_context *c0, struct ibv_context *c1)
{
	struct ibv_device_attr a0, a1;
	bool ok;

	ok = !ibv_query_device(c0, &a0) && !ibv_query_device(c1, &a1);
	if (ok)
		ktap_info("max_mr %d/%d max_mw %d max_ah %d max_mr_size %#llx page_size_cap %#llx",
			  a0.max_mr, a1.max_mr, a0.max_mw, a0.max_ah,
			  (unsigned long long)a0.max_mr_size,
			  (unsigned long long)a0.page_size_cap);
	ktap_result(ok && a0.max_mr == DEFAULT_MAX_MR &&
		    a1.max_mr == LIMIT_MR && a0.max_mw > 0 && a0.max_ah > 0 &&
		    a0.max_mr_size == 1ULL << 32 &&
		    a0.page_size_cap == (uint64_t)sysconf(_SC_PAGESIZE),
		    "device attributes: max_mr follows the parameter, MR size and page size honest");
}

/*
 * Keys and QPNs cannot be predicted: key bytes are random, key indices and
 * QPNs start at a random point on each device (before: a counter, MR 0x505
 * then MW 0x607, and the first QPN of every device 2). Fails with
 * certainty on the old scheme, passes unless chance strikes: KEY_SEQ keys
 * (MRs and MWs in turn) whose (byte - index) is one constant (2^-56) or
 * whose steps are all equal (2^-48); the first QPN and key index of both
 * fresh devices all below LOW_START (2^-24 each). Runs first.
 */
#define KEY_SEQ		8
#define LOW_START	0x1000u
static void test_unpredictable(struct ibv_context *c[2], struct ibv_pd *pd0,
			       char *buf)
{
	struct ibv_qp_init_attr init = { .qp_type = IBV_QPT_UD,
					 .cap = { 4, 4, 1, 1, 0 } };
	struct ibv_pd *pd[2] = { pd0, ibv_alloc_pd(c[1]) };
	struct ibv_qp *qp[2] = {};
	struct ibv_cq *cq[2] = {};
	struct ibv_mr *mr[KEY_SEQ + 1] = {};
	struct ibv_mw *mw[KEY_SEQ] = {};
	__u32 key[KEY_SEQ + 1] = {}, qpn[2] = {};
	bool made = !!pd[1], off = true, step = true;
	int i;

	for (i = 0; i < 2; i++) {
		cq[i] = ibv_create_cq(c[i], 8, NULL, NULL, 0);
		init.send_cq = init.recv_cq = cq[i];
		qp[i] = cq[i] && pd[i] ? ibv_create_qp(pd[i], &init) : NULL;
		qpn[i] = qp[i] ? qp[i]->qp_num : 0;
		made &= qpn[i] >= 2 && qpn[i] <= 0xffffff;
	}
	/* key[KEY_SEQ]: the first MR of sroce1 */
	for (i = 0; i <= KEY_SEQ && made; i++) {
		if (i % 2 && i < KEY_SEQ)
			mw[i] = ibv_alloc_mw(pd0, IBV_MW_TYPE_1);
		else
			mr[i] = ibv_reg_mr(pd[i / KEY_SEQ], buf, 4096,
					   IBV_ACCESS_LOCAL_WRITE);
		made &= mr[i] || mw[i];
		key[i] = mr[i] ? mr[i]->lkey : mw[i] ? mw[i]->rkey : 0;
	}
	for (i = 1; i < KEY_SEQ; i++) {
		off &= (__u8)(key[i] - (key[i] >> 8)) ==
		       (__u8)(key[0] - (key[0] >> 8));
		step &= key[i] - key[i - 1] == key[1] - key[0];
	}
	ktap_info("keys %#x %#x %#x %#x %#x %#x %#x %#x", key[0], key[1],
		  key[2], key[3], key[4], key[5], key[6], key[7]);
	ktap_info("first QPN sroce0 %#x sroce1 %#x; first key index %#x %#x",
		  qpn[0], qpn[1], key[0] >> 8, key[KEY_SEQ] >> 8);
	ktap_result(made && !off && !step,
		    "%d MR/MW keys: key bytes random, not a counter", KEY_SEQ);
	ktap_result(made && (qpn[0] >= LOW_START || qpn[1] >= LOW_START) &&
		    ((key[0] >> 8) >= LOW_START ||
		     (key[KEY_SEQ] >> 8) >= LOW_START),
		    "fresh devices: QPNs and key indices start at random points");
	for (i = 0; i <= KEY_SEQ; i++) {
		if (mr[i])
			ibv_dereg_mr(mr[i]);
		if (i < KEY_SEQ && mw[i])
			ibv_dealloc_mw(mw[i]);
	}
	for (i = 0; i < 2; i++) {
		if (qp[i])
			ibv_destroy_qp(qp[i]);
		if (cq[i])
			ibv_destroy_cq(cq[i]);
	}
	if (pd[1])
		ibv_dealloc_pd(pd[1]);
}

/* Every legal access combination at sizes 1 B .. 64 MiB, odd offsets too. */
static void test_sizes(struct ibv_pd *pd, char *buf)
{
	static const struct { size_t len, off; } sz[] = {
		{ 1, 0 }, { 1, 4095 }, { 4095, 1 }, { 4096, 0 }, { 4097, 7 },
		{ (1 << 20) + 3, 123 }, { 64 << 20, 0 },
	};
	unsigned int i, combo;

	for (i = 0; i < ARRAY_SIZE(sz); i++) {
		int good = 0, bad = 0;

		for (combo = 0; combo < 32; combo++) {
			int access = access_of(combo);
			struct ibv_mr *mr;

			if (!access_legal(access))
				continue;
			mr = ibv_reg_mr(pd, buf + sz[i].off, sz[i].len, access);
			if (!mr) {
				ktap_info("len %zu access %#x: %s", sz[i].len,
					  access, strerror(errno));
				bad++;
				continue;
			}
			if (mr_sane(mr, buf + sz[i].off, sz[i].len))
				good++;
			else
				bad++;
			if (ibv_dereg_mr(mr))
				bad++;
		}
		ktap_result(good == 20 && !bad,
			    "reg_mr %zu B at offset %zu: 20 legal access combinations",
			    sz[i].len, sz[i].off);
	}
}

static void test_illegal(struct ibv_pd *pd, char *buf)
{
	unsigned int combo;
	int n = 0, einval = 0;
	struct ibv_mr *mr;

	for (combo = 0; combo < 32; combo++) {
		int access = access_of(combo);

		if (access_legal(access))
			continue;
		n++;
		mr = ibv_reg_mr(pd, buf, 4096, access);
		if (!mr && errno == EINVAL)
			einval++;
		else if (mr)
			ibv_dereg_mr(mr);
	}
	ktap_result(n == 12 && einval == 12,
		    "remote write/atomic without local write: %d of %d fail with EINVAL",
		    einval, n);

	mr = ibv_reg_mr(pd, buf, 4096,
			IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_ZERO_BASED);
	ktap_result(!mr && errno == EINVAL, "zero-based access fails with EINVAL");
	if (mr)
		ibv_dereg_mr(mr);

	mr = ibv_reg_mr(pd, buf, 0, IBV_ACCESS_LOCAL_WRITE);
	ktap_result(!mr, "zero-length registration fails");
	if (mr)
		ibv_dereg_mr(mr);
}

static void test_rereg(struct ibv_pd *pd, struct ibv_pd *pd2, char *buf)
{
	__u32 key, prev, keys[16];
	struct ibv_mr *mr;
	int err, i;
	bool distinct = true;

	mr = ibv_reg_mr(pd, buf, 8192, IBV_ACCESS_LOCAL_WRITE);
	if (!mr) {
		for (i = 0; i < 6; i++)
			ktap_result(0, "rereg: reg_mr failed: %s", strerror(errno));
		return;
	}
	prev = mr->lkey;

	err = rereg(mr, IBV_REREG_MR_CHANGE_ACCESS, NULL, 0, NULL,
		    IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
		    IBV_ACCESS_REMOTE_READ, &key);
	ktap_result(!err && key != prev && (key >> 8) == (prev >> 8),
		    "rereg access: %#x -> %#x (%s)", prev, key, strerror(-err));
	prev = key;

	err = rereg(mr, IBV_REREG_MR_CHANGE_TRANSLATION, buf + 65536 + 17, 3 << 20, NULL, 0,
		    &key);
	ktap_result(!err && key != prev, "rereg translation to 3 MiB: %#x -> %#x (%s)",
		    prev, key, strerror(-err));
	prev = key;

	err = rereg(mr, IBV_REREG_MR_CHANGE_PD | IBV_REREG_MR_CHANGE_ACCESS, NULL, 0, pd2,
		    IBV_ACCESS_LOCAL_WRITE, &key);
	ktap_result(!err && key != prev, "rereg pd: %#x -> %#x (%s)", prev,
		    key, strerror(-err));
	prev = key;

	err = rereg(mr, IBV_REREG_MR_CHANGE_ACCESS, NULL, 0, NULL,
		    IBV_ACCESS_REMOTE_WRITE, &key);
	ktap_result(err == -EINVAL, "rereg to remote write without local write: EINVAL (%s)",
		    strerror(-err));

	err = 0;
	for (i = 0; i < 16 && !err; i++) {
		err = rereg(mr, IBV_REREG_MR_CHANGE_ACCESS, NULL, 0, NULL,
			    i & 1 ? IBV_ACCESS_LOCAL_WRITE : 0, &keys[i]);
	}
	/* drv/mr.c: a random key byte other than the last, same index */
	for (i = 0; i < 16 && !err; i++)
		if (keys[i] == (i ? keys[i - 1] : prev) ||
		    keys[i] >> 8 != prev >> 8)
			distinct = false;
	ktap_result(!err && distinct,
		    "16 more reregs: each a new key byte on the same index (%s)",
		    strerror(-err));

	ktap_result(!ibv_dereg_mr(mr), "dereg after rereg");
}

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

static void test_many(struct ibv_pd *pd, char *buf)
{
	static struct ibv_mr *mrs[MANY_MR];
	static __u32 keys[MANY_MR];
	int i, n = 0, dup = 0, counted, failed = 0;

	for (i = 0; i < MANY_MR; i++) {
		mrs[i] = ibv_reg_mr(pd, buf + (i % 64) * 4096, 4096,
				    IBV_ACCESS_LOCAL_WRITE |
				    IBV_ACCESS_REMOTE_READ);
		if (!mrs[i])
			break;
		keys[n++] = mrs[i]->lkey;
	}
	qsort(keys, n, sizeof(keys[0]), cmp_u32);
	for (i = 1; i < n; i++)
		if ((keys[i] >> 8) == (keys[i - 1] >> 8))
			dup++;
	counted = res_mr_count("sroce0");
	ktap_info("registered %d, rdma res shows %d", n, counted);
	if (sh("rdma -dd res show mr | grep 'dev sroce0 ' | head -n 2 | sed 's/^/# /'; "
	       "rdma -dd res show mr | grep -q 'pages 1'"))
		failed = 1;
	for (i = 0; i < n; i++)
		if (ibv_dereg_mr(mrs[i]))
			failed++;
	ktap_result(n == MANY_MR && !dup && counted == MANY_MR && !failed,
		    "%d MRs at once: distinct key indices, all in rdma res with driver details",
		    MANY_MR);
}

static void test_limit(struct ibv_context *c1, char *buf)
{
	static struct ibv_mr *mrs[LIMIT_MR + 64];
	struct ibv_pd *pd = ibv_alloc_pd(c1);
	int i, n = 0, err = 0, bad = 0;

	for (i = 0; pd && i < LIMIT_MR + 64; i++) {
		mrs[i] = ibv_reg_mr(pd, buf, 4096, IBV_ACCESS_LOCAL_WRITE);
		if (!mrs[i]) {
			err = errno;
			break;
		}
		n++;
	}
	ktap_info("sroce1 took %d MRs, then: %s", n, strerror(err));
	/* kernel PDs' internal DMA MRs count against the limit as well */
	ktap_result(n <= LIMIT_MR && n >= LIMIT_MR - 8 && err == ENOMEM,
		    "past max_mr=%d registration fails with ENOMEM", LIMIT_MR);

	if (n) {
		if (ibv_dereg_mr(mrs[--n]))
			bad++;
		mrs[n] = ibv_reg_mr(pd, buf, 4096, IBV_ACCESS_LOCAL_WRITE);
		if (mrs[n])
			n++;
		else
			bad++;
	}
	for (i = 0; i < n; i++)
		if (ibv_dereg_mr(mrs[i]))
			bad++;
	mrs[0] = pd ? ibv_reg_mr(pd, buf, 4096, IBV_ACCESS_LOCAL_WRITE) : NULL;
	if (!mrs[0] || ibv_dereg_mr(mrs[0]))
		bad++;
	ktap_result(pd && !bad && !ibv_dealloc_pd(pd),
		    "after freeing one, then all, registration works again");
}

static void test_mw(struct ibv_pd *pd, char *buf)
{
	struct ibv_mw *mw1[50], *mw2[50];
	struct ibv_mr *mr[50];
	__u32 idx[150];
	int i, j, ok1 = 0, ok2 = 0, okmr = 0, dup = 0, bad = 0;

	for (i = 0; i < 50; i++) {
		mw1[i] = ibv_alloc_mw(pd, IBV_MW_TYPE_1);
		mw2[i] = ibv_alloc_mw(pd, IBV_MW_TYPE_2);
		mr[i] = ibv_reg_mr(pd, buf, 4096, IBV_ACCESS_LOCAL_WRITE |
				   IBV_ACCESS_MW_BIND);
		ok1 += mw1[i] && (mw1[i]->rkey >> 8) && mw1[i]->type == IBV_MW_TYPE_1;
		ok2 += mw2[i] && (mw2[i]->rkey >> 8) && mw2[i]->type == IBV_MW_TYPE_2;
		okmr += !!mr[i];
		idx[3 * i] = mw1[i] ? mw1[i]->rkey >> 8 : 0;
		idx[3 * i + 1] = mw2[i] ? mw2[i]->rkey >> 8 : 0;
		idx[3 * i + 2] = mr[i] ? mr[i]->lkey >> 8 : 0;
	}
	for (i = 0; i < 150; i++)
		for (j = 0; j < i; j++)
			if (idx[i] == idx[j])
				dup++;
	ktap_result(ok1 == 50, "alloc_mw type 1: 50 windows with rkeys");
	ktap_result(ok2 == 50, "alloc_mw type 2: 50 windows with rkeys");
	ktap_result(okmr == 50 && !dup, "MWs and MRs share one key space without collisions");
	for (i = 0; i < 50; i++) {
		if (mw1[i] && ibv_dealloc_mw(mw1[i]))
			bad++;
		if (mw2[i] && ibv_dealloc_mw(mw2[i]))
			bad++;
		if (mr[i] && ibv_dereg_mr(mr[i]))
			bad++;
	}
	ktap_result(!bad, "dealloc_mw of both types and dereg_mr");
}

static int find_gid(struct ibv_context *ctx, const char *ip, union ibv_gid *gid)
{
	return find_roce_gid(ctx, 0, ip, gid, 0);
}

/* An RC QP on @pd in RTS, connected to itself; nothing goes on the wire. */
static struct ibv_qp *self_rc_qp(struct ibv_pd *pd, struct ibv_cq *cq,
				 const char *ip)
{
	struct ibv_qp_init_attr init = { .send_cq = cq, .recv_cq = cq,
					 .qp_type = IBV_QPT_RC,
					 .cap = { 8, 8, 1, 1, 0 } };
	struct ibv_qp *qp = ibv_create_qp(pd, &init);
	struct qp_path p = {
		.mtu = IBV_MTU_1024, .timeout = 14, .retry_cnt = 7,
		.rnr_retry = 7, .min_rnr_timer = 12, .max_rd_atomic = 1,
		.max_dest_rd_atomic = 1,
	};

	p.sgid_index = find_gid(pd->context, ip, &p.dgid);
	if (qp && p.sgid_index >= 0) {
		p.dest_qpn = qp->qp_num;
		if (!qp_bring_up(qp, &p))
			return qp;
	}
	ktap_info("self-connected RC QP: %s", strerror(errno));
	if (qp)
		ibv_destroy_qp(qp);
	return NULL;
}

/*
 * Binds type 2 window @mw to [@addr, +@len) of @mr for remote write, or
 * invalidates it when @len is 0; the completion's status (-1: none in 5 s).
 */
static int mw_op(struct ibv_qp *qp, struct ibv_cq *cq, struct ibv_mw *mw,
		 __u32 *rkey, struct ibv_mr *mr, void *addr, size_t len)
{
	struct ibv_send_wr wr = { .send_flags = IBV_SEND_SIGNALED }, *bad;
	struct ibv_wc wc;
	int i;

	/* no invalidate_rkey for a bind: it is imm_data, which must be 0 */
	wr.opcode = IBV_WR_LOCAL_INV;
	if (!len)
		wr.invalidate_rkey = *rkey;
	if (len) {
		*rkey = ibv_inc_rkey(*rkey);
		wr.opcode = IBV_WR_BIND_MW;
		wr.bind_mw.mw = mw;
		wr.bind_mw.rkey = *rkey;
		wr.bind_mw.bind_info = (struct ibv_mw_bind_info){
			mr, (uintptr_t)addr, len, IBV_ACCESS_REMOTE_WRITE };
	}
	if (ibv_post_send(qp, &wr, &bad))
		return -1;
	for (i = 0; i < 5000; i++, usleep(1000))
		if (ibv_poll_cq(cq, 1, &wc) == 1)
			return wc.status;
	return -1;
}

/*
 * rereg_mr of an MR with a bound memory window fails with EBUSY, as
 * dereg_mr does: the window's rights were granted against the MR as it is
 * (before, a window kept granting remote write into an MR re-registered
 * read-only). Once the window is invalidated, rereg_mr works again.
 */
static void test_rereg_bound(struct ibv_context *c, char *buf)
{
	struct ibv_pd *pd = ibv_alloc_pd(c);
	struct ibv_cq *cq = ibv_create_cq(c, 16, NULL, NULL, 0);
	struct ibv_qp *qp = pd && cq ? self_rc_qp(pd, cq, "198.18.1.2") : NULL;
	struct ibv_mw *mw = qp ? ibv_alloc_mw(pd, IBV_MW_TYPE_2) : NULL;
	struct ibv_mr *mr = NULL;
	int bind = -1, inv = -1, rr = 0, rr_trans = 0, dr = -1, rr_after = -1;
	__u32 rkey = mw ? mw->rkey : 0, key;

	if (mw)
		mr = ibv_reg_mr(pd, buf, 8192,
				IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_MW_BIND);
	if (mr)
		bind = mw_op(qp, cq, mw, &rkey, mr, buf, 4096);
	if (!bind) {
		rr = rereg(mr, IBV_REREG_MR_CHANGE_ACCESS, NULL, 0, NULL, 0,
			   &key);
		rr_trans = rereg(mr, IBV_REREG_MR_CHANGE_TRANSLATION,
				 buf + 8192, 4096, NULL, 0, &key);
		dr = ibv_dereg_mr(mr);
		inv = mw_op(qp, cq, mw, &rkey, NULL, NULL, 0);
	}
	if (!inv)
		rr_after = rereg(mr, IBV_REREG_MR_CHANGE_ACCESS, NULL, 0, NULL,
				 IBV_ACCESS_LOCAL_WRITE, &key);
	ktap_info("bind %d; rereg access %d, translation %d, dereg %d; invalidate %d; rereg then %d",
		  bind, rr, rr_trans, dr, inv, rr_after);
	ktap_result(!bind && rr == -EBUSY && rr_trans == -EBUSY && dr == EBUSY,
		    "rereg_mr (access, translation) and dereg_mr of an MR with a bound window: EBUSY");
	ktap_result(!inv && !rr_after,
		    "once the window is invalidated, rereg_mr works");
	if (mr && dr && ibv_dereg_mr(mr))
		ktap_info("MR not deregistered");
	if (mw)
		ibv_dealloc_mw(mw);
	if (qp)
		ibv_destroy_qp(qp);
	if (cq)
		ibv_destroy_cq(cq);
	if (pd)
		ibv_dealloc_pd(pd);
}

static int find_gid_on(const char *dev, const char *ip, union ibv_gid *gid)
{
	struct ibv_context *c = open_dev(dev);
	int i = c ? find_gid(c, ip, gid) : -1;

	if (c)
		ibv_close_device(c);
	return i;
}

static struct ibv_ah *make_ah(struct ibv_pd *pd, int sgid, union ibv_gid *dgid)
{
	struct ibv_ah_attr attr = {
		.is_global = 1,
		.port_num = 1,
		.grh = { .dgid = *dgid, .sgid_index = sgid, .hop_limit = 64 },
	};

	return ibv_create_ah(pd, &attr);
}

static void test_ah(struct ibv_context *c0, struct ibv_context *c1,
		    struct ibv_pd *pd)
{
	int s4 = find_gid(c0, "198.18.1.1", NULL);
	int s6 = find_gid(c0, "2001:db8:1::1", NULL);
	union ibv_gid d4, d6;
	int p4 = find_gid(c1, "198.18.1.2", &d4);
	int p6 = find_gid(c1, "2001:db8:1::2", &d6);
	struct ibv_ah *ah[8] = {};
	int i, j, ok = 1, err = 0;

	ktap_info("sgid index v4 %d v6 %d; peer gid index v4 %d v6 %d",
		  s4, s6, p4, p6);
	for (i = 0; i < 8 && s4 >= 0 && p4 >= 0; i++) {
		ah[i] = make_ah(pd, s4, &d4);
		if (!ah[i]) {
			err = errno;
			ok = 0;
			break;
		}
		if (!((struct rxe_ah_view *)ah[i])->ah_num)
			ok = 0;
		for (j = 0; j < i; j++)
			if (((struct rxe_ah_view *)ah[i])->ah_num ==
			    ((struct rxe_ah_view *)ah[j])->ah_num)
				ok = 0;
	}
	ktap_result(s4 >= 0 && p4 >= 0 && ok,
		    "create_ah to the peer's RoCE v2 IPv4 GID: distinct non-zero ah_num (%s)",
		    strerror(err));
	for (i = 0; i < 8; i++)
		if (ah[i] && ibv_destroy_ah(ah[i]))
			ok = 0;
	ktap_result(ok, "destroy_ah");

	ah[0] = s6 >= 0 && p6 >= 0 ? make_ah(pd, s6, &d6) : NULL;
	ktap_result(ah[0] && ((struct rxe_ah_view *)ah[0])->ah_num &&
		    !ibv_destroy_ah(ah[0]),
		    "create_ah/destroy_ah to the peer's IPv6 GID");

	ah[0] = s4 >= 0 && p6 >= 0 ? make_ah(pd, s4, &d6) : NULL;
	ktap_result(!ah[0], "IPv4 source GID with an IPv6 destination is refused");
	if (ah[0])
		ibv_destroy_ah(ah[0]);
}

/* Runs dumps until @stop_fd becomes readable, counting them in *@dumps. */
static void dump_loop(int stop_fd, int *dumps)
{
	struct pollfd p = { .fd = stop_fd, .events = POLLIN };
	int fails = 0;

	while (poll(&p, 1, 0) == 0) {
		if (sh("rdma -dd res show mr >/dev/null"))
			fails++;
		__atomic_add_fetch(dumps, 1, __ATOMIC_RELAXED);
	}
	_exit(fails ? 1 : 0);
}

/*
 * Registration, re-registration and deregistration churn while another
 * process dumps `rdma -dd res show mr` (which calls sroce's
 * fill_res_mr_entry) as fast as it can: at least CHURN_MR registrations
 * and MIN_DUMPS dumps, at most a minute beyond the registrations.
 */
static void test_churn_under_dump(struct ibv_pd *pd, struct ibv_pd *pd2,
				  char *buf)
{
	static struct ibv_mr *live[128];
	int stop[2], i, ops = 0, bad = 0, dumps, status = 0;
	time_t deadline = 0;
	int *shared;
	__u32 key;
	pid_t pid;

	shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED || pipe(stop)) {
		ktap_result(0, "churn under dump: no shared memory or pipe");
		return;
	}
	*shared = 0;
	pid = fork();
	if (!pid)
		dump_loop(stop[0], shared);
	for (i = 0;; i++) {
		int slot = i % 128, len = 1 + (i * 7919) % (256 << 10);

		if (i == CHURN_MR)
			deadline = time(NULL) + 60;
		if (i >= CHURN_MR &&
		    (__atomic_load_n(shared, __ATOMIC_RELAXED) >= MIN_DUMPS ||
		     time(NULL) > deadline))
			break;
		if (live[slot] && ibv_dereg_mr(live[slot]))
			bad++;
		live[slot] = ibv_reg_mr(i & 1 ? pd : pd2, buf + (i % 4096), len,
					access_of(i % 32) | IBV_ACCESS_LOCAL_WRITE);
		if (!live[slot]) {
			bad++;
			continue;
		}
		ops++;
		if (i % 3 == 0 &&
		    rereg(live[slot], IBV_REREG_MR_CHANGE_PD |
			  IBV_REREG_MR_CHANGE_ACCESS, NULL, 0,
			  i & 1 ? pd2 : pd, IBV_ACCESS_LOCAL_WRITE, &key))
			bad++;
	}
	for (i = 0; i < 128; i++)
		if (live[i] && ibv_dereg_mr(live[i]))
			bad++;
	if (write(stop[1], "x", 1) != 1)
		bad++;
	waitpid(pid, &status, 0);
	dumps = *shared;
	munmap(shared, sizeof(*shared));
	close(stop[0]);
	close(stop[1]);
	ktap_info("%d registrations, %d dumps alongside", ops, dumps);
	ktap_result(!bad && ops >= CHURN_MR && dumps >= MIN_DUMPS &&
		    WIFEXITED(status) && !WEXITSTATUS(status) &&
		    res_mr_count("sroce0") == 0,
		    "%d+ MRs registered, re-registered and freed under %d+ rdma res dumps",
		    CHURN_MR, MIN_DUMPS);
}

/* A process that exits holding MRs, MWs and AHs leaves nothing behind. */
static void test_exit_reclaims(char *buf)
{
	pid_t pid = fork();
	int status, n = -1, i;

	if (!pid) {
		struct ibv_context *c = open_dev("sroce0");
		struct ibv_pd *pd = c ? ibv_alloc_pd(c) : NULL;
		int held = 0;

		for (i = 0; pd && i < 500; i++)
			held += !!ibv_reg_mr(pd, buf, 8192, IBV_ACCESS_LOCAL_WRITE);
		for (i = 0; pd && i < 20; i++)
			held += !!ibv_alloc_mw(pd, i & 1 ? IBV_MW_TYPE_2 : IBV_MW_TYPE_1);
		_exit(held == 520 && res_mr_count("sroce0") == 500 ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	for (i = 0; i < 50; i++) {
		n = res_mr_count("sroce0");
		if (!n)
			break;
		usleep(100000);
	}
	ktap_result(WIFEXITED(status) && !WEXITSTATUS(status) && n == 0,
		    "a process exiting with 500 MRs and 20 MWs leaves none (%d left)",
		    n);
}

/* Holds MRs, MWs and AHs on sroce1 until the device goes away. */
static void holder(int ready_fd)
{
	struct ibv_context *c = open_dev("sroce1");
	struct ibv_pd *pd = c ? ibv_alloc_pd(c) : NULL;
	int s4 = c ? find_gid(c, "198.18.1.2", NULL) : -1;
	struct ibv_async_event ev;
	struct pollfd p;
	union ibv_gid d4;
	int i, held = 0;
	char *buf = malloc(1 << 20);

	if (find_gid_on("sroce0", "198.18.1.1", &d4) < 0)
		s4 = -1;
	for (i = 0; pd && buf && i < 200; i++)
		held += !!ibv_reg_mr(pd, buf + i * 4096, 4096,
				     IBV_ACCESS_LOCAL_WRITE);
	for (i = 0; pd && i < 20; i++)
		held += !!ibv_alloc_mw(pd, i & 1 ? IBV_MW_TYPE_2 : IBV_MW_TYPE_1);
	for (i = 0; pd && s4 >= 0 && i < 10; i++)
		held += !!make_ah(pd, s4, &d4);
	if (write(ready_fd, &held, sizeof(held)) != sizeof(held) || !c)
		_exit(3);

	p.fd = c->async_fd;
	p.events = POLLIN;
	while (poll(&p, 1, 60000) == 1 && !ibv_get_async_event(c, &ev)) {
		bool fatal = ev.event_type == IBV_EVENT_DEVICE_FATAL;

		ibv_ack_async_event(&ev);
		if (fatal)
			_exit(0);
	}
	_exit(2);
}

/*
 * `rdma link delete` while a process holds MRs, MWs and AHs: the device
 * goes, core destroys the objects (sroce's tables must be empty when the
 * device is freed), the process gets IBV_EVENT_DEVICE_FATAL.
 */
static void test_link_delete_with_objects(void)
{
	int fds[2], held = 0, rc, status = 0;
	pid_t pid;

	if (pipe(fds)) {
		ktap_result(0, "link delete with objects: no pipe");
		return;
	}
	pid = fork();
	if (!pid)
		holder(fds[1]);
	if (read(fds[0], &held, sizeof(held)) != sizeof(held))
		held = -1;
	rc = sh("timeout 120 rdma link delete sroce1");
	waitpid(pid, &status, 0);
	close(fds[0]);
	close(fds[1]);
	ktap_info("holder had %d objects; link delete: %d; holder exit %d",
		  held, rc, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	ktap_result(held == 230 && !rc && WIFEXITED(status) &&
		    !WEXITSTATUS(status) && sh("rdma dev show sroce1 2>/dev/null"),
		    "rdma link delete while a process holds 200 MRs, 20 MWs, 10 AHs: device gone, DEVICE_FATAL");
}

/* Shell steps (lib.sh sourced) that make sroce1 (max_mr=LIMIT_MR), sroce0. */
static const char * const setup_steps[] = {
	"sroce_reset",
	"veth_setup",
	"echo " STR(LIMIT_MR) " > /sys/module/sroce/parameters/max_mr",
	"rdma link add sroce1 type sroce netdev $VETH_B",
	"echo " STR(DEFAULT_MAX_MR) " > /sys/module/sroce/parameters/max_mr",
	"rdma link add sroce0 type sroce netdev $VETH_A",
	/* both ends are local addresses: ARP between them gets no answer */
	"ip neigh replace $IP_B lladdr $(cat /sys/class/net/$VETH_B/address) dev $VETH_A",
	"ip neigh replace $IP_A lladdr $(cat /sys/class/net/$VETH_A/address) dev $VETH_B",
	"wait_for 20 sh -c \"ibv_devinfo -v -d sroce0 | grep -q '$IP_A, RoCE v2'\"",
	"wait_for 20 sh -c \"ibv_devinfo -v -d sroce1 | grep -q '$IP_B, RoCE v2'\"",
	"wait_for 20 sh -c \"ibv_devinfo -v -d sroce0 | grep -q '$IP6_A, RoCE v2'\"",
	"wait_for 20 sh -c \"ibv_devinfo -v -d sroce1 | grep -q '$IP6_B, RoCE v2'\"",
};

static int setup(void)
{
	char cmd[4096];
	size_t i, n;

	n = snprintf(cmd, sizeof(cmd), "true");
	for (i = 0; i < ARRAY_SIZE(setup_steps) && n < sizeof(cmd); i++)
		n += snprintf(cmd + n, sizeof(cmd) - n, " && %s", setup_steps[i]);
	return n < sizeof(cmd) ? sh("%s", cmd) : -1;
}

int main(void)
{
	struct ibv_context *c0, *c1;
	struct ibv_pd *pd, *pd2;
	size_t buflen = (64 << 20) + (1 << 20);
	int bad, mr0, mr1;
	char *buf;
	bool live;

	if (test_lib_init())
		return KSFT_FAIL;

	ktap_plan(NUM_TESTS);
	if (setup()) {
		ktap_info("set-up of sroce0/sroce1 on a veth pair failed");
		return KSFT_FAIL;
	}
	c0 = open_dev("sroce0");
	c1 = open_dev("sroce1");
	pd = c0 ? ibv_alloc_pd(c0) : NULL;
	pd2 = c0 ? ibv_alloc_pd(c0) : NULL;
	buf = mmap(NULL, buflen, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!c0 || !c1 || !pd || !pd2 || buf == MAP_FAILED) {
		ktap_info("cannot open the devices or allocate PDs/memory");
		return KSFT_FAIL;
	}
	memset(buf, 0x5a, buflen);

	test_attrs(c0, c1);				/* 1 */
	test_unpredictable((struct ibv_context *[]){ c0, c1 }, pd, buf); /* 2 */
	test_sizes(pd, buf);				/* 7 */
	test_illegal(pd, buf);				/* 3 */
	test_rereg(pd, pd2, buf);			/* 6 */
	test_many(pd, buf);				/* 1 */
	test_limit(c1, buf);				/* 2 */
	test_mw(pd, buf);				/* 4 */
	test_rereg_bound(c1, buf);			/* 2 */
	test_ah(c0, c1, pd);				/* 4 */
	test_exit_reclaims(buf);			/* 1 */
	test_churn_under_dump(pd, pd2, buf);		/* 1 */

	/* Both devices still exist; count before a close destroys leftovers. */
	bad = ibv_dealloc_pd(pd2) + ibv_dealloc_pd(pd);
	mr0 = res_mr_count("sroce0");
	mr1 = res_mr_count("sroce1");
	bad += ibv_close_device(c1) + ibv_close_device(c0);
	live = !sh("rdma dev show sroce0 >/dev/null && rdma dev show sroce1 >/dev/null");
	ktap_result(!bad && live && mr0 == 0 && mr1 == 0,
		    "everything torn down: no MR in rdma res on sroce0 (%d), sroce1 (%d)",
		    mr0, mr1);

	test_link_delete_with_objects();		/* 1 */
	sh("sroce_reset");
	return ktap_finish();
}
