// SPDX-License-Identifier: GPL-2.0
/*
 * sroce: posting work requests: the rxe ABI's doorbell for user QPs
 * (post_send with no work request: the WQEs are in the mapped ring
 * already) and ib_post_send()/ib_post_recv() for kernel QPs, which write
 * the same ring format. Any context; hard irq defers the requester to the
 * QP's work item (req.c).
 */
#include "ah.h"
#include "compat.h"
#include "qp.h"
#include "req.h"
#include "resp.h"
#include "srq.h"
#include "wqe.h"

static int sroce_post_one_send(struct sroce_qp *qp, const struct ib_send_wr *wr)
{
	struct rxe_send_wqe *wqe;
	u32 i, len = 0;

	if (wr->num_sge > qp->cap.max_send_sge)
		return -EINVAL;
	for (i = 0; i < wr->num_sge; i++)
		len += wr->sg_list[i].length;
	if ((wr->send_flags & IB_SEND_INLINE) && len > qp->cap.max_inline_data)
		return -EINVAL;
	wqe = sroce_queue_producer_addr(&qp->sq);
	if (!wqe)
		return -ENOMEM;

	memset(wqe, 0, sizeof(*wqe));
	wqe->wr.wr_id = wr->wr_id;
	wqe->wr.opcode = wr->opcode;
	wqe->wr.send_flags = wr->send_flags;
	switch (wr->opcode) {
	case IB_WR_SEND_WITH_IMM:
	case IB_WR_RDMA_WRITE_WITH_IMM:
		wqe->wr.ex.imm_data = wr->ex.imm_data;
		break;
	case IB_WR_SEND_WITH_INV:
	case IB_WR_LOCAL_INV:
		wqe->wr.ex.invalidate_rkey = wr->ex.invalidate_rkey;
		break;
	default:
		break;
	}

	switch (qp->ibqp.qp_type) {
	case IB_QPT_UD:
	case IB_QPT_GSI:
		wqe->wr.wr.ud.remote_qpn = ud_wr(wr)->remote_qpn;
		wqe->wr.wr.ud.remote_qkey = ud_wr(wr)->remote_qkey;
		wqe->wr.wr.ud.pkey_index = ud_wr(wr)->pkey_index;
		/* the ULP keeps its AH alive until the completion */
		wqe->wr.wr.ud.av = to_sah(ud_wr(wr)->ah)->av;
		/* a kernel WQE is ours: its reserved field holds the VLAN */
		wqe->wr.wr.ud.reserved = to_sah(ud_wr(wr)->ah)->vlan_id;
		break;
	default:
		/* u32: 6.1's enum has no ATOMIC WRITE, its ABI number does */
		switch ((u32)wr->opcode) {
		case IB_WR_RDMA_WRITE:
		case IB_WR_RDMA_WRITE_WITH_IMM:
		case IB_WR_RDMA_READ:
		case SROCE_WR_ATOMIC_WRITE:
			wqe->wr.wr.rdma.remote_addr = rdma_wr(wr)->remote_addr;
			wqe->wr.wr.rdma.rkey = rdma_wr(wr)->rkey;
			break;
		case IB_WR_ATOMIC_CMP_AND_SWP:
		case IB_WR_ATOMIC_FETCH_AND_ADD:
			wqe->wr.wr.atomic.remote_addr =
				atomic_wr(wr)->remote_addr;
			wqe->wr.wr.atomic.compare_add =
				atomic_wr(wr)->compare_add;
			wqe->wr.wr.atomic.swap = atomic_wr(wr)->swap;
			wqe->wr.wr.atomic.rkey = atomic_wr(wr)->rkey;
			break;
		case IB_WR_REG_MR:
			wqe->wr.wr.reg.mr = reg_wr(wr)->mr;
			wqe->wr.wr.reg.key = reg_wr(wr)->key;
			wqe->wr.wr.reg.access = reg_wr(wr)->access;
			break;
		default:
			break;
		}
		break;
	}

	wqe->dma.length = len;
	if (wr->send_flags & IB_SEND_INLINE) {
		u8 *p = wqe->dma.inline_data;

		/* kernel SGEs of a software device hold kernel addresses */
		for (i = 0; i < wr->num_sge; i++) {
			memcpy(p, (void *)(uintptr_t)wr->sg_list[i].addr,
			       wr->sg_list[i].length);
			p += wr->sg_list[i].length;
		}
	} else {
		wqe->dma.num_sge = wr->num_sge;
		for (i = 0; i < wr->num_sge; i++) {
			wqe->dma.sge[i].addr = wr->sg_list[i].addr;
			wqe->dma.sge[i].length = wr->sg_list[i].length;
			wqe->dma.sge[i].lkey = wr->sg_list[i].lkey;
		}
	}
	sroce_queue_advance_producer(&qp->sq);
	return 0;
}

/*
 * Posting to the send queue of a QP in RESET, INIT or RTR is an immediate
 * error (IB spec 10.3.1); in RTS, SQD, SQE and ERR it is allowed (an
 * errored QP flushes). For a user QP the error goes back through the
 * doorbell: the rxe provider returns the command's errno from
 * ibv_post_send() (and from ibv_wr_complete()). The WQEs it wrote into the
 * ring stay there, as with rxe: they run once the QP is in RTS, unless a
 * RESET discards them first.
 */
int sroce_post_send(struct ib_qp *ibqp, const struct ib_send_wr *wr,
		    const struct ib_send_wr **bad_wr)
{
	struct sroce_qp *qp = to_sqp(ibqp);
	enum ib_qp_state state = sroce_qp_state(qp);
	unsigned long flags;
	int err = 0;

	if (state == IB_QPS_RESET || state == IB_QPS_INIT ||
	    state == IB_QPS_RTR) {
		*bad_wr = wr;
		return -EINVAL;
	}
	/* the rxe doorbell: the user wrote its WQEs into the ring */
	if (sroce_queue_is_user(&qp->sq)) {
		sroce_req_run(qp);
		return 0;
	}

	spin_lock_irqsave(&qp->req.post_lock, flags);
	for (; wr; wr = wr->next) {
		err = sroce_post_one_send(qp, wr);
		if (err) {
			*bad_wr = wr;
			break;
		}
	}
	spin_unlock_irqrestore(&qp->req.post_lock, flags);
	sroce_req_run(qp);
	return err;
}

int sroce_post_recv(struct ib_qp *ibqp, const struct ib_recv_wr *wr,
		    const struct ib_recv_wr **bad_wr)
{
	struct sroce_qp *qp = to_sqp(ibqp);
	struct rxe_recv_wqe *wqe;
	unsigned long flags;
	int err = 0;

	/* user QPs post into the mapped ring; SRQ QPs have no RQ */
	if (!qp->has_rq || sroce_queue_is_user(&qp->rq) ||
	    sroce_qp_state(qp) == IB_QPS_RESET) {
		*bad_wr = wr;
		return -EINVAL;
	}

	spin_lock_irqsave(&qp->resp.post_lock, flags);
	for (; wr; wr = wr->next) {
		if (wr->num_sge > qp->cap.max_recv_sge) {
			err = -EINVAL;
			*bad_wr = wr;
			break;
		}
		wqe = sroce_queue_producer_addr(&qp->rq);
		if (!wqe) {
			err = -ENOMEM;
			*bad_wr = wr;
			break;
		}
		sroce_recv_wqe_fill(wqe, wr);
		sroce_queue_advance_producer(&qp->rq);
	}
	spin_unlock_irqrestore(&qp->resp.post_lock, flags);

	/* an errored QP flushes what it is given at once */
	if (sroce_qp_state(qp) == IB_QPS_ERR && !in_hardirq() &&
	    !irqs_disabled())
		sroce_resp_flush(qp);
	return err;
}
