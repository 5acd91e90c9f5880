// SPDX-License-Identifier: GPL-2.0
/*
 * selftests/opcodes: RDMA FLUSH (IBTA 1.5). rdma-core 44 has no
 * ibv_wr_flush, so the case writes the FLUSH WQE into the send ring as a
 * newer rxe provider would (opcode 14, the target in wr.flush) and rings
 * the doorbell. Where the device reports FLUSH_GLOBAL, a FLUSH behind a
 * WRITE completes after it, and each refusal gets its IBTA status; where it
 * does not, nothing can ask for one and a FLUSH WQE fails locally.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "ktap.h"
#include "opcodes.h"
#include "rxe_mirror.h"

/* uverbs ABI numbers (ib_user_verbs.h of 6.2 on; rdma-core 44 lacks them) */
#define WR_FLUSH		14
#define WC_FLUSH		8
#define DEV_FLUSH_GLOBAL	(1ull << 38)
#define DEV_FLUSH_PERSISTENT	(1ull << 39)
#define ACC_FLUSH_GLOBAL	(1 << 8)
#define ACC_FLUSH_PERSISTENT	(1 << 9)
#define PLT_GLOBAL		1
#define PLT_PERSISTENT		2
#define SEL_RANGE		0
#define SEL_MR			1

/* struct rxe_send_wr's wr.flush (rdma_user_rxe.h of 6.2 on) */
struct flush_wr {
	uint64_t remote_addr;
	uint32_t length;
	uint32_t rkey;
	uint8_t type;
	uint8_t level;
};

struct flush_req {
	uint64_t addr;
	uint32_t len, rkey;
	uint8_t type, level;
};

/* Posts a FLUSH on @e's send ring the way the provider posts a WQE. */
static bool post_flush(struct end *e, uint64_t id, const struct flush_req *f)
{
	struct m_qp *mq = (struct m_qp *)e->qp;
	struct rxe_queue_buf *q = mq->sq.queue;
	struct ibv_send_wr db = { .opcode = IBV_WR_ATOMIC_FETCH_AND_ADD,
				  .wr.atomic = { .remote_addr = 1 } };
	struct ibv_send_wr *bad;
	struct rxe_send_wqe *w;
	struct flush_wr *fw;
	uint32_t prod, cons;

	pthread_spin_lock(&mq->sq.lock);
	prod = __atomic_load_n(&q->producer_index, __ATOMIC_RELAXED);
	cons = __atomic_load_n(&q->consumer_index, __ATOMIC_ACQUIRE);
	if (((prod + 1 - cons) & q->index_mask) == 0) {
		pthread_spin_unlock(&mq->sq.lock);
		ktap_info("%s: send ring full", e->name);
		return false;
	}
	w = (void *)(q->data + ((size_t)(prod & q->index_mask) <<
				q->log2_elem_size));
	memset(w, 0, sizeof(*w));
	w->wr.wr_id = id;
	w->wr.opcode = WR_FLUSH;
	w->wr.send_flags = IBV_SEND_SIGNALED;
	fw = (struct flush_wr *)&w->wr.wr;
	fw->remote_addr = f->addr;
	fw->length = f->len;
	fw->rkey = f->rkey;
	fw->type = f->type;
	fw->level = f->level;
	__atomic_store_n(&q->producer_index, (prod + 1) & q->index_mask,
			 __ATOMIC_RELEASE);
	pthread_spin_unlock(&mq->sq.lock);
	/* refused by the provider before the ring, then the doorbell rings */
	ibv_post_send(e->qp, &db, &bad);
	return true;
}

/* A FLUSH from A to B; its completion must be @want. */
static bool flush_once(const struct flush_req *f, enum ibv_wc_status want)
{
	struct wc_want w = { .status = want, .wr_id = wr_seq++,
			     .byte_len = -1, .qp_num = A.qp->qp_num,
			     .opcode = want == IBV_WC_SUCCESS ? WC_FLUSH : -1 };

	return post_flush(&A, w.wr_id, f) && wait_wc(&A, false, &w, NULL);
}

/* @persist too: what 6.2's ib_cm sets on every QP it connects */
static bool qp_flush_access(struct ibv_qp *qp, bool persist)
{
	struct ibv_qp_attr a = {
		.qp_access_flags = IBV_ACCESS_REMOTE_WRITE |
				   IBV_ACCESS_REMOTE_READ |
				   IBV_ACCESS_REMOTE_ATOMIC | ACC_FLUSH_GLOBAL |
				   (persist ? ACC_FLUSH_PERSISTENT : 0),
	};

	if (ibv_modify_qp(qp, &a, IBV_QP_ACCESS_FLAGS)) {
		ktap_info("modify_qp FLUSH_GLOBAL access: %s", strerror(errno));
		return false;
	}
	return true;
}

/* An MR with @access (@name) cannot be registered. */
static bool mr_refused(int access, const char *name)
{
	struct ibv_mr *m;

	m = ibv_reg_mr(B.pd, B.buf, 4096, IBV_ACCESS_LOCAL_WRITE | access);
	if (!m)
		return true;
	ktap_info("an MR with %s access registered", name);
	ibv_dereg_mr(m);
	return false;
}

/* No FLUSH in this kernel: nothing may register for one or post one. */
static bool t_flush_absent(void)
{
	struct flush_req f = { .addr = (uintptr_t)B.buf, .len = 64,
			       .rkey = B.mr->rkey, .type = PLT_GLOBAL };
	bool ok = true;

	if (B.attr.device_cap_flags_ex & (DEV_FLUSH_GLOBAL | DEV_FLUSH_PERSISTENT)) {
		ktap_info("FLUSH capability reported without FLUSH support");
		ok = false;
	}
	ok &= mr_refused(ACC_FLUSH_GLOBAL, "FLUSH_GLOBAL");
	if (!make_pair(IBV_QPT_RC))
		return false;
	reset_bufs();
	snapshot(&B);
	ok &= flush_once(&f, IBV_WC_LOC_QP_OP_ERR);
	ok &= check_buf(&B);
	return ok;
}

bool t_flush(const struct test *t)
{
	struct seg ls = { LOFF, 4096 }, rs = { ROFF, 4096 };
	uint64_t mr_len = MR_LEN - 8192;
	struct ibv_mr *fmr = NULL;
	struct flush_req f;
	struct ibv_send_wr wr;
	struct wc_want want;
	struct ibv_sge sge;
	bool ok = true;
	uint64_t id;

	(void)t;
	if (!(B.attr.device_cap_flags_ex & DEV_FLUSH_GLOBAL)) {
		/* the kernel has FLUSH from 6.2 on: so must sroce */
		if (!driver_is_rxe && kernel_at_least(6, 2)) {
			ktap_info("no FLUSH_GLOBAL reported on a kernel with FLUSH");
			return false;
		}
		return t_flush_absent();
	}
	if (B.attr.device_cap_flags_ex & DEV_FLUSH_PERSISTENT) {
		ktap_info("FLUSH_PERSISTENT reported: sroce has no persistent memory");
		ok = false;
	}
	ok &= mr_refused(ACC_FLUSH_PERSISTENT, "FLUSH_PERSISTENT");
	/* B's buffer again, [buf, buf + mr_len), with FLUSH_GLOBAL */
	fmr = ibv_reg_mr(B.pd, B.buf, mr_len, IBV_ACCESS_LOCAL_WRITE |
			 IBV_ACCESS_REMOTE_WRITE | ACC_FLUSH_GLOBAL);
	if (!fmr) {
		ktap_info("ibv_reg_mr FLUSH_GLOBAL: %s", strerror(errno));
		return false;
	}

	/* A WRITE, then a FLUSH of its range: both complete, in order. */
	if (!make_pair(IBV_QPT_RC) || !qp_flush_access(B.qp, false))
		goto fail;
	reset_bufs();
	place_msg(&A, &ls, 1, ls.len, wr_seq);
	snapshot(&A);
	snapshot(&B);
	expect_msg(&B, &rs, 1, ls.len);
	to_sge(&sge, &A, &ls, 1);
	memset(&wr, 0, sizeof(wr));
	wr.wr_id = wr_seq++;
	wr.sg_list = &sge;
	wr.num_sge = 1;
	wr.opcode = IBV_WR_RDMA_WRITE;
	wr.send_flags = IBV_SEND_SIGNALED;
	wr.wr.rdma.remote_addr = (uintptr_t)(B.buf + ROFF);
	wr.wr.rdma.rkey = fmr->rkey;
	if (!post_send(&A, &wr))
		goto fail;
	f = (struct flush_req){ .addr = (uintptr_t)(B.buf + ROFF),
				.len = ls.len, .rkey = fmr->rkey,
				.type = PLT_GLOBAL, .level = SEL_RANGE };
	id = wr_seq++;
	if (!post_flush(&A, id, &f))
		goto fail;
	want = (struct wc_want){ .status = IBV_WC_SUCCESS,
				 .opcode = IBV_WC_RDMA_WRITE,
				 .wr_id = wr.wr_id, .byte_len = -1,
				 .qp_num = A.qp->qp_num };
	ok &= wait_wc(&A, false, &want, NULL);
	want.opcode = WC_FLUSH;
	want.wr_id = id;
	ok &= wait_wc(&A, false, &want, NULL);
	ok &= check_buf(&B);
	/* The whole MR: the RETH's range is not looked at. */
	f = (struct flush_req){ .addr = 1, .len = 0xffffffffu,
				.rkey = fmr->rkey, .type = PLT_GLOBAL,
				.level = SEL_MR };
	ok &= flush_once(&f, IBV_WC_SUCCESS);

	/* A range past the MR's end. */
	snapshot(&B);
	f = (struct flush_req){ .addr = (uintptr_t)B.buf + mr_len - 64,
				.len = 128, .rkey = fmr->rkey,
				.type = PLT_GLOBAL, .level = SEL_RANGE };
	ok &= flush_once(&f, IBV_WC_REM_ACCESS_ERR);
	/* An MR without FLUSH access. */
	if (!make_pair(IBV_QPT_RC) || !qp_flush_access(B.qp, false))
		goto fail;
	f.addr = (uintptr_t)B.buf;
	f.rkey = B.mr->rkey;
	ok &= flush_once(&f, IBV_WC_REM_ACCESS_ERR);
	/* Persistence: the QP does not enable it. */
	if (!make_pair(IBV_QPT_RC) || !qp_flush_access(B.qp, false))
		goto fail;
	f.rkey = fmr->rkey;
	f.type = PLT_PERSISTENT;
	ok &= flush_once(&f, IBV_WC_REM_INV_REQ_ERR);
	/* The QP enables it (as ib_cm's do), but no MR grants it. */
	if (!make_pair(IBV_QPT_RC) || !qp_flush_access(B.qp, true))
		goto fail;
	ok &= flush_once(&f, IBV_WC_REM_ACCESS_ERR);
	/* A QP that does not enable FLUSH. */
	if (!make_pair(IBV_QPT_RC))
		goto fail;
	f.type = PLT_GLOBAL;
	ok &= flush_once(&f, IBV_WC_REM_INV_REQ_ERR);
	/* No placement type: refused before it leaves. */
	if (!make_pair(IBV_QPT_RC) || !qp_flush_access(B.qp, false))
		goto fail;
	f.type = 0;
	ok &= flush_once(&f, IBV_WC_LOC_QP_OP_ERR);
	ok &= check_buf(&B);
	goto out;
fail:
	ok = false;
out:
	if (ibv_dereg_mr(fmr)) {
		ktap_info("ibv_dereg_mr: %s", strerror(errno));
		ok = false;
	}
	return ok;
}
