// SPDX-License-Identifier: GPL-2.0
/*
 * selftests/opcodes: error cases. t->arg selects one; each posts the bad WR
 * followed by two good ones: the bad one completes with its IBTA status,
 * the others flush, the requester's QP ends in ERR, and the remote buffers
 * are untouched.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "ktap.h"
#include "opcodes.h"

bool t_error(const struct test *t)
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
