// SPDX-License-Identifier: GPL-2.0
/*
 * A QP reset forgets the work of before (issue 12, item 10): two RC QPs of
 * one device, connected to each other, exchange SENDs and a WRITE; both go
 * RESET -> INIT -> RTR -> RTS again. rdma-core's rxe provider leaves its
 * ring indices where they were, so a driver that empties its rings by
 * setting its consumer indices to 0 finds every slot up to the provider's
 * producer index posted again: completed SENDs and WRITEs go on the wire a
 * second time and land in receive WQEs that were completed and handed back.
 * After the reset nothing may complete and no byte may change until new
 * work is posted, and new work must use the new WQEs.
 *
 * Sets up its own device: sroce_qp0 on veth0 (selftests/lib.sh, as qp.c).
 */
#include <errno.h>
#include <infiniband/verbs.h>
#include <libgen.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ktap.h"
#include "qp_lib.h"

#define NMSG		4
#define MSG_LEN		64
#define WRITE_LEN	256
#define QUIET_MS	800
#define WAIT_MS		20000

/* The MR: NMSG receive slots, the WRITE's target, then the sources. */
#define RBUF_OFF	0
#define WBUF_OFF	(NMSG * MSG_LEN)
#define SBUF_OFF	(WBUF_OFF + WRITE_LEN)
#define BUF_LEN		(SBUF_OFF + NMSG * MSG_LEN + WRITE_LEN)

static uint8_t buf[BUF_LEN];
static struct ibv_mr *mr;
static union ibv_gid local_gid;

/* Polls @n completions within @ms into @wc; returns how many came. */
static int poll_n(struct ibv_wc *wc, int n, int ms)
{
	long end = now_ms() + ms;
	int got = 0, r;

	while (got < n && now_ms() < end) {
		r = ibv_poll_cq(cq, n - got, wc + got);
		if (r < 0)
			return -1;
		got += r;
		if (!r)
			usleep(1000);
	}
	return got;
}

/* RESET -> INIT -> RTR -> RTS, connected to @peer through our own GID. */
static int connect_to(struct ibv_qp *qp, uint32_t peer, uint32_t psn)
{
	struct ibv_qp_attr a = { .qp_state = IBV_QPS_RESET };

	if (ibv_modify_qp(qp, &a, IBV_QP_STATE) || to_init(qp))
		return -1;
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTR;
	a.path_mtu = IBV_MTU_1024;
	a.dest_qp_num = peer;
	a.rq_psn = psn;
	a.max_dest_rd_atomic = 1;
	a.min_rnr_timer = 1;
	a.ah_attr.is_global = 1;
	a.ah_attr.port_num = 1;
	a.ah_attr.grh.dgid = local_gid;
	a.ah_attr.grh.sgid_index = gid_index;
	a.ah_attr.grh.hop_limit = 64;
	if (ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU |
			  IBV_QP_DEST_QPN | IBV_QP_RQ_PSN |
			  IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER))
		return -1;
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTS;
	a.sq_psn = psn;
	a.timeout = 14;
	a.retry_cnt = 7;
	a.rnr_retry = 7;
	a.max_rd_atomic = 1;
	return ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_SQ_PSN |
			     IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT |
			     IBV_QP_RNR_RETRY | IBV_QP_MAX_QP_RD_ATOMIC);
}

static int post_recv(struct ibv_qp *qp, uint64_t wr_id, int slot)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)buf + RBUF_OFF + slot * MSG_LEN,
		.length = MSG_LEN,
		.lkey = mr->lkey,
	};
	struct ibv_recv_wr wr = { .wr_id = wr_id, .sg_list = &sge,
				  .num_sge = 1 }, *bad;

	return ibv_post_recv(qp, &wr, &bad);
}

static int post_send(struct ibv_qp *qp, uint64_t wr_id, int opcode,
		     size_t off, uint32_t len)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)buf + off,
		.length = len,
		.lkey = mr->lkey,
	};
	struct ibv_send_wr wr = {
		.wr_id = wr_id,
		.sg_list = &sge,
		.num_sge = 1,
		.opcode = opcode,
		.send_flags = IBV_SEND_SIGNALED,
	}, *bad;

	if (opcode == IBV_WR_RDMA_WRITE) {
		wr.wr.rdma.remote_addr = (uintptr_t)buf + WBUF_OFF;
		wr.wr.rdma.rkey = mr->rkey;
	}
	return ibv_post_send(qp, &wr, &bad);
}

static bool all_zero(size_t off, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[off + i])
			return false;
	return true;
}

static void test_reset(void)
{
	struct ibv_qp *x, *y;
	struct ibv_wc wc[2 * NMSG + 2];
	int i, n, ok;

	x = create_qp(IBV_QPT_RC);
	y = create_qp(IBV_QPT_RC);
	if (!x || !y || connect_to(x, y->qp_num, 0x100) ||
	    connect_to(y, x->qp_num, 0x100)) {
		ktap_result(0, "two RC QPs connected to each other (%s)",
			    strerror(errno));
		goto out;
	}
	for (i = 0; i < NMSG * MSG_LEN + WRITE_LEN; i++)
		buf[SBUF_OFF + i] = (uint8_t)(i * 7 + 1);

	/* before: NMSG SENDs into NMSG receives, and a WRITE */
	ok = 1;
	for (i = 0; i < NMSG; i++)
		ok &= !post_recv(y, 100 + i, i);
	for (i = 0; i < NMSG; i++)
		ok &= !post_send(x, 1 + i, IBV_WR_SEND,
				 SBUF_OFF + i * MSG_LEN, MSG_LEN);
	ok &= !post_send(x, 9, IBV_WR_RDMA_WRITE, SBUF_OFF + NMSG * MSG_LEN,
			 WRITE_LEN);
	n = ok ? poll_n(wc, 2 * NMSG + 1, WAIT_MS) : -1;
	for (i = 0; i < n; i++)
		ok &= wc[i].status == IBV_WC_SUCCESS;
	ktap_result(ok && n == 2 * NMSG + 1,
		    "before the reset: %d SENDs and a WRITE complete (%d of %d)",
		    NMSG, n, 2 * NMSG + 1);

	/* both reset and connected again; the memory cleared */
	memset(buf + RBUF_OFF, 0, WBUF_OFF + WRITE_LEN);
	ok = !connect_to(x, y->qp_num, 0x8000) &&
	     !connect_to(y, x->qp_num, 0x8000);
	ok = ok && qp_state(x) == IBV_QPS_RTS && qp_state(y) == IBV_QPS_RTS;
	ktap_result(ok, "both QPs through RESET, INIT, RTR to RTS again");
	if (!ok)
		goto out;

	n = poll_n(wc, 2 * NMSG + 1, QUIET_MS);
	for (i = 0; i < n; i++)
		ktap_info("after the reset: wr_id %llu %s",
			  (unsigned long long)wc[i].wr_id,
			  ibv_wc_status_str(wc[i].status));
	ktap_result(n == 0,
		    "nothing completes after the reset until new work is posted (%d completions)",
		    n);
	ktap_result(all_zero(RBUF_OFF, WBUF_OFF + WRITE_LEN),
		    "no SEND or WRITE of before the reset lands again");

	/* new work uses the new WQEs */
	ok = !post_recv(y, 200, 1) &&
	     !post_send(x, 20, IBV_WR_SEND, SBUF_OFF, MSG_LEN);
	n = ok ? poll_n(wc, 2, WAIT_MS) : -1;
	ok = n == 2;
	for (i = 0; i < n; i++) {
		if (wc[i].status != IBV_WC_SUCCESS ||
		    (wc[i].wr_id != 200 && wc[i].wr_id != 20))
			ok = 0;
		ktap_info("new work: wr_id %llu %s",
			  (unsigned long long)wc[i].wr_id,
			  ibv_wc_status_str(wc[i].status));
	}
	ok = ok && !memcmp(buf + RBUF_OFF + MSG_LEN, buf + SBUF_OFF, MSG_LEN);
	ktap_result(ok,
		    "a new SEND lands in the new receive WQE (wr_id 200, slot 1)");
	n = poll_n(wc, 1, QUIET_MS);
	ktap_result(n == 0, "and nothing else completes (%d more)", n);
out:
	if (x)
		ibv_destroy_qp(x);
	if (y)
		ibv_destroy_qp(y);
}

int main(int argc, char **argv)
{
	char self[PATH_MAX];
	struct ibv_gid_entry entry;
	int ret;

	(void)argc;
	if (!realpath(argv[0], self)) {
		perror("realpath");
		return KSFT_FAIL;
	}
	snprintf(selftest_dir, sizeof(selftest_dir), "%s", dirname(self));

	printf("TAP version 13\n");
	if (!setup_device()) {
		ktap_result(0, "set up %s on a veth pair", DEV_NAME);
		goto out;
	}
	ctx = open_dev(DEV_NAME);
	if (!ctx || ibv_query_device(ctx, &dev_attr)) {
		ktap_result(0, "open %s", DEV_NAME);
		goto out_close;
	}
	gid_index = find_gid_index();
	pd = ctx ? ibv_alloc_pd(ctx) : NULL;
	cq = pd ? ibv_create_cq(ctx, 64, NULL, NULL, 0) : NULL;
	mr = pd ? ibv_reg_mr(pd, buf, sizeof(buf), IBV_ACCESS_LOCAL_WRITE |
			     IBV_ACCESS_REMOTE_WRITE) : NULL;
	if (!cq || !mr || gid_index < 0 ||
	    ibv_query_gid_ex(ctx, 1, gid_index, &entry, 0)) {
		ktap_result(0, "device, GID, PD, CQ and MR (%s)",
			    strerror(errno));
		goto out_close;
	}
	local_gid = entry.gid;
	test_reset();

out_close:
	if (mr)
		ibv_dereg_mr(mr);
	if (cq)
		ibv_destroy_cq(cq);
	if (pd)
		ibv_dealloc_pd(pd);
	if (ctx)
		ibv_close_device(ctx);
	teardown_device();
out:
	printf("1..%d\n", ktap_n);
	ret = ktap_finish();
	return ret;
}
