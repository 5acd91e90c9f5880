// SPDX-License-Identifier: GPL-2.0
/*
 * selftests/opcodes: atomics (compare and swap, fetch and add), the
 * ATOMIC WRITE, and SEND_WITH_INV of a type 2 memory window's rkey.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "ktap.h"
#include "opcodes.h"

/* device_cap_flags_ex bit 40 (ib_user_verbs.h of v6.2; rdma-core 44 lacks it) */
#define DEVICE_ATOMIC_WRITE	(1ull << 40)

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

bool t_cas(const struct test *t)
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

bool t_faa(const struct test *t)
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

/* One ATOMIC WRITE of @val from A's extended QP to @remote through @rkey. */
static bool atomic_write_post(uint64_t id, void *remote, uint32_t rkey,
			      uint64_t val)
{
	struct ibv_qp_ex *qx = ibv_qp_to_qp_ex(A.qp);
	int err;

	ibv_wr_start(qx);
	qx->wr_id = id;
	qx->wr_flags = IBV_SEND_SIGNALED;
	ibv_wr_atomic_write(qx, rkey, (uintptr_t)remote, &val);
	err = ibv_wr_complete(qx);
	if (err)
		ktap_info("ibv_wr_complete: %s", strerror(err));
	return !err;
}

/* An ATOMIC WRITE the peer must refuse: @status, and B's memory as it was. */
static bool atomic_write_refused(void *remote, uint32_t rkey, uint64_t val,
				 enum ibv_wc_status status)
{
	uint64_t id = wr_seq++;
	struct wc_want w = { .status = status, .opcode = -1, .wr_id = id,
			     .byte_len = -1, .qp_num = A.qp->qp_num };
	bool ok;

	snapshot(&B);
	if (!atomic_write_post(id, remote, rkey, val))
		return false;
	ok = wait_wc(&A, false, &w, NULL);
	ok &= check_buf(&B);	/* after the completion: the NAK came first */
	return ok;
}

/*
 * ATOMIC WRITE (IBTA 1.5): 8 bytes land whole at an aligned address and
 * nothing else moves; a misaligned address is an invalid request and an MR
 * without REMOTE_WRITE an access error, each leaving the target untouched.
 */
bool t_atomic_write(const struct test *t)
{
	const uint64_t vals[] = { 0x0123456789abcdefull, 0xfedcba9876543210ull };
	const uint64_t ops = IBV_QP_EX_WITH_ATOMIC_WRITE;
	uint32_t off = 0x4010;
	struct wc_want w;
	unsigned int i;
	uint64_t id;
	bool ok = true;

	(void)t;
	if (!(B.attr.device_cap_flags_ex & DEVICE_ATOMIC_WRITE)) {
		ktap_info("%s: device_cap_flags_ex 0x%llx lacks ATOMIC_WRITE",
			  B.name,
			  (unsigned long long)B.attr.device_cap_flags_ex);
		ok = false;
	}
	if (!make_pair_ops(IBV_QPT_RC, ops))
		return false;
	for (i = 0; i < 2; i++) {
		reset_bufs();
		id = wr_seq++;
		snapshot(&A);
		snapshot(&B);
		memcpy(B.expect + off, &vals[i], 8);
		if (!atomic_write_post(id, B.buf + off, B.mr->rkey, vals[i]))
			return false;
		w = (struct wc_want){ .status = IBV_WC_SUCCESS,
				      .opcode = IBV_WC_ATOMIC_WRITE,
				      .wr_id = id, .byte_len = -1,
				      .qp_num = A.qp->qp_num };
		ok &= wait_wc(&A, false, &w, NULL);
		ok &= check_buf(&A);
		ok &= check_buf(&B);
	}
	ok &= cq_quiet(&B, true);

	/* 4 bytes off alignment: NAK invalid request, nothing written */
	ok &= atomic_write_refused(B.buf + off + 4, B.mr->rkey, vals[0],
				   IBV_WC_REM_INV_REQ_ERR);
	/* an MR without REMOTE_WRITE: NAK remote access, nothing written */
	if (!make_pair_ops(IBV_QPT_RC, ops))
		return false;
	ok &= atomic_write_refused(B.nw, B.mr_nw->rkey, vals[1],
				   IBV_WC_REM_ACCESS_ERR);
	return ok;
}

/*
 * SEND_WITH_INV: B binds a type 2 MW on its QP, A writes through it, sends
 * with invalidate, and a write through the invalidated rkey must fail.
 */
bool t_send_inv(const struct test *t)
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
	/* the MW is bound to B's QP */
	if (ibv_destroy_qp(B.qp)) {
		ktap_info("B: ibv_destroy_qp failed");
		ok = false;
	}
	B.qp = NULL;
	if (ibv_dealloc_mw(mw)) {
		ktap_info("ibv_dealloc_mw failed");
		ok = false;
	}
	return ok;
}
