// SPDX-License-Identifier: GPL-2.0
/*
 * sroce: the requester's packets: one send WQE packet built (headers,
 * ICRC, payload) and sent, or kept as the next unit of a GSO skb that
 * sroce_req_batch_send() sends at the end of the run. Locking: req.h.
 */
#include <linux/skbuff.h>

#include "compat.h"
#include "memops.h"
#include "qp.h"
#include "req.h"
#include "stats.h"
#include "tx.h"
#include "wire.h"
#include "wqe.h"

static u8 sroce_req_opcode(const struct sroce_qp *qp,
			   const struct sroce_swqe *w, bool first, bool last)
{
	u8 base;

	switch (qp->ibqp.qp_type) {
	case IB_QPT_UC:
		base = SROCE_OP_UC;
		break;
	case IB_QPT_UD:
	case IB_QPT_GSI:
		return SROCE_OP_UD | (w->opcode == IB_WR_SEND_WITH_IMM ?
				      SROCE_OP_SEND_ONLY_IMM :
				      SROCE_OP_SEND_ONLY);
	default:
		base = SROCE_OP_RC;
		break;
	}

	switch (w->opcode) {
	case IB_WR_RDMA_WRITE:
	case IB_WR_RDMA_WRITE_WITH_IMM:
		if (first)
			return base | (!last ? SROCE_OP_WRITE_FIRST :
				       w->opcode == IB_WR_RDMA_WRITE ?
				       SROCE_OP_WRITE_ONLY :
				       SROCE_OP_WRITE_ONLY_IMM);
		if (!last)
			return base | SROCE_OP_WRITE_MIDDLE;
		return base | (w->opcode == IB_WR_RDMA_WRITE ?
			       SROCE_OP_WRITE_LAST : SROCE_OP_WRITE_LAST_IMM);
	case SROCE_WR_ATOMIC_WRITE:
		return SROCE_OP_ATOMIC_WRITE;	/* RC only, one packet */
	default:
		if (first && !last)
			return base | SROCE_OP_SEND_FIRST;
		if (!last)
			return base | SROCE_OP_SEND_MIDDLE;
		if (w->opcode == IB_WR_SEND_WITH_IMM)
			return base | (first ? SROCE_OP_SEND_ONLY_IMM :
				       SROCE_OP_SEND_LAST_IMM);
		if (w->opcode == IB_WR_SEND_WITH_INV)
			return base | (first ? SROCE_OP_SEND_ONLY_INV :
				       SROCE_OP_SEND_LAST_INV);
		return base | (first ? SROCE_OP_SEND_ONLY : SROCE_OP_SEND_LAST);
	}
}

u32 sroce_req_npkts(const struct sroce_swqe *w, u32 mtu)
{
	switch (w->opcode) {
	case IB_WR_ATOMIC_CMP_AND_SWP:
	case IB_WR_ATOMIC_FETCH_AND_ADD:
		return 1;
	default:
		return w->length ? DIV_ROUND_UP(w->length, mtu) : 1;
	}
}

/* What one request packet carries, decided before it is built. */
struct sroce_req_pkt {
	const struct sroce_opinfo *info;
	u8 opcode;
	bool last;
	bool ackreq;
	u32 off;
	u32 paylen;
};

/* Writes the transport headers of @p of @w at txb->hdr. */
static void sroce_req_headers(struct sroce_qp *qp, const struct sroce_swqe *w,
			      const struct sroce_req_pkt *p,
			      struct sroce_txb *txb)
{
	const struct sroce_opinfo *info = p->info;
	bool ud = qp->ibqp.qp_type == IB_QPT_UD ||
		  qp->ibqp.qp_type == IB_QPT_GSI;
	u32 dqpn;

	dqpn = ud ? w->ud.qpn : qp->params.dest_qpn;
	sroce_bth_set(txb->hdr, p->opcode,
		      p->last && (w->send_flags & IB_SEND_SOLICITED), 0,
		      SROCE_DEFAULT_PKEY, dqpn, p->ackreq, qp->req.psn);

	if (info->off_reth) {
		struct sroce_reth *reth = txb->hdr + info->off_reth;

		reth->va = cpu_to_be64(w->remote_addr + p->off);
		reth->rkey = cpu_to_be32(w->rkey);
		reth->len = cpu_to_be32(w->opcode == SROCE_WR_FLUSH ?
					w->flush.len : w->length - p->off);
	}
	if (info->off_feth)
		sroce_feth_set(txb->hdr + info->off_feth, w->flush.plt,
			       w->flush.sel);
	if (info->flags & SROCE_OPF_ATMETH) {
		struct sroce_atmeth *atm = txb->hdr + info->off_atm;

		atm->va = cpu_to_be64(w->remote_addr);
		atm->rkey = cpu_to_be32(w->rkey);
		if (w->opcode == IB_WR_ATOMIC_CMP_AND_SWP) {
			atm->swap_add = cpu_to_be64(w->swap);
			atm->compare = cpu_to_be64(w->compare_add);
		} else {
			atm->swap_add = cpu_to_be64(w->compare_add);
		}
	}
	if (info->off_deth) {
		struct sroce_deth *deth = txb->hdr + info->off_deth;
		u32 qkey = w->ud.qkey;

		/* a Q_Key with the high bit set means the QP's own */
		if (qkey & 0x80000000U)
			qkey = qp->params.qkey;
		deth->qkey = cpu_to_be32(qkey);
		deth->sqpn = cpu_to_be32(qp->ibqp.qp_num);
	}
	if (info->off_imm)
		((struct sroce_immdt *)(txb->hdr + info->off_imm))->imm = w->imm;
	if (info->off_ieth)
		((struct sroce_ieth *)(txb->hdr + info->off_ieth))->rkey =
			cpu_to_be32(w->inv_rkey);
}

/* Builds @p of @w into @txb: headers, ICRC over them, payload. */
static int sroce_req_build(struct sroce_qp *qp, const struct sroce_swqe *w,
			   const struct sroce_req_pkt *p, bool zcopy,
			   struct sroce_txb *txb)
{
	struct sroce_dev *sdev = sroce_qp_dev(qp);
	const struct sroce_opinfo *info = p->info;
	bool ud = qp->ibqp.qp_type == IB_QPT_UD ||
		  qp->ibqp.qp_type == IB_QPT_GSI;
	const struct sroce_path *path = ud ? &w->ud.path : &qp->path;
	int err;

	if (zcopy)
		err = sroce_tx_begin_zcopy(sdev, path, info->hdr_len,
					   p->paylen, txb);
	else
		err = sroce_tx_begin(sdev, path, info->hdr_len, p->paylen, txb);
	if (err)
		return err;
	sroce_req_headers(qp, w, p, txb);
	sroce_tx_seal(txb);

	if (p->paylen) {
		err = sroce_sge_to_txb(sdev, qp->ibqp.pd, w, p->off, txb);
		if (err) {
			sroce_tx_abort(txb);
			return err;
		}
	}
	return 0;
}

/* The opcode of a request that is one packet without payload, else 0. */
static u8 sroce_req_single_opcode(u32 wr_opcode)
{
	switch (wr_opcode) {
	case IB_WR_RDMA_READ:
		return SROCE_OP_READ_REQUEST;
	case IB_WR_ATOMIC_CMP_AND_SWP:
		return SROCE_OP_CMP_SWAP;
	case IB_WR_ATOMIC_FETCH_AND_ADD:
		return SROCE_OP_FETCH_ADD;
	case SROCE_WR_FLUSH:
		return SROCE_OP_FLUSH;
	default:
		return 0;
	}
}

/* Page fragments one packet's payload of @w may need, at most. */
static unsigned int sroce_req_pieces(const struct sroce_swqe *w, u32 mtu)
{
	/* a unit must never run out of fragments half built */
	if (w->num_sge != 1)
		return MAX_SKB_FRAGS + 1;
	return DIV_ROUND_UP(mtu, PAGE_SIZE) + 1;
}

/*
 * Adds @p of @w to @batch as its next unit. Returns 0; -EXDEV when it
 * cannot join (the batch is full, or the payload needs a copy); -ENOMEM;
 * another error for a local protection failure.
 */
static int sroce_req_join(struct sroce_qp *qp, const struct sroce_swqe *w,
			  const struct sroce_req_pkt *p,
			  struct sroce_req_batch *batch)
{
	struct sroce_txb *txb = &batch->txb;
	int err;

	err = sroce_tx_append(txb, p->info->hdr_len, p->paylen,
			      sroce_req_pieces(w, qp->req.mtu));
	if (err)
		return err == -EMSGSIZE ? -EXDEV : err;
	sroce_req_headers(qp, w, p, txb);
	sroce_tx_seal(txb);
	err = sroce_sge_to_txb(sroce_qp_dev(qp), qp->ibqp.pd, w, p->off, txb);
	if (err) {
		sroce_tx_unappend(txb);
		if (err == -EOPNOTSUPP || err == -EMSGSIZE)
			return -EXDEV;
	}
	return err;
}

/**
 * sroce_req_packet() - build packet req->send_pkt of @w and send it, or
 *	keep it in @batch
 * @qp: the QP, req.lock held.
 * @w: the WQE: a SEND or WRITE packet, a READ request for what is still
 *	missing of the read, or an atomic.
 * @batch: zero-copy RC packets that go out as one GSO skb
 *	(sroce_req_batch_send()); empty when batch->txb.skb is NULL.
 *
 * Returns 0 (sent, or kept in @batch), -EXDEV when the packet cannot join
 * @batch (send it, then call again), or a negative error; a local
 * protection failure marks @w as failed.
 */
int sroce_req_packet(struct sroce_qp *qp, struct sroce_swqe *w,
		     struct sroce_req_batch *batch)
{
	struct sroce_dev *sdev = sroce_qp_dev(qp);
	struct sroce_req *req = &qp->req;
	u32 k = req->send_pkt;
	struct sroce_req_pkt p;
	struct sroce_txb txb;
	bool zcopy;
	int err;

	lockdep_assert_held(&req->lock);
	/* a READ request, an atomic or a FLUSH: one packet, no payload */
	p.opcode = sroce_req_single_opcode(w->opcode);
	if (p.opcode) {
		p.paylen = 0;
		p.last = true;
	} else {
		p.last = k + 1 >= w->npkts;
		p.opcode = sroce_req_opcode(qp, w, k == 0, p.last);
		p.paylen = min(req->mtu, w->length - k * req->mtu);
	}
	p.info = sroce_op(p.opcode);
	p.off = k * req->mtu;

	p.ackreq = false;
	if (qp->ibqp.qp_type == IB_QPT_RC) {
		/* twice per window at least, so a small one keeps moving */
		p.ackreq = p.last ||
			   p.info->flags & (SROCE_OPF_READ | SROCE_OPF_ATOMIC) ||
			   req->noack + 1 >= min_t(u32, SROCE_REQ_ACK_EVERY,
						   req->cwnd / 2);
	}

	/*
	 * An RC request from a user QP's memory goes out without a copy:
	 * its WQE completes only after the ACK, so the buffer stays put
	 * while the frame is in flight. Anything that cannot (a kernel MR, too
	 * many pieces for one skb) is built again by copying.
	 */
	zcopy = p.paylen && !w->inl && qp->ibqp.qp_type == IB_QPT_RC &&
		sroce_queue_is_user(&qp->sq);
	/*
	 * A short packet with nothing to batch it with is copied: cheaper
	 * than a page reference, a trailer fragment and a receiver reading
	 * a fragmented skb, and it is what a latency test sends.
	 */
	if (zcopy && p.paylen <= SROCE_REQ_COPYBREAK && p.last &&
	    !batch->txb.skb && !batch->more)
		zcopy = false;
	if (batch->txb.skb) {
		err = zcopy ? sroce_req_join(qp, w, &p, batch) : -EXDEV;
		if (!err)
			goto sent;
		if (err == -EXDEV || err == -ENOMEM)
			return err;
		w->state = SROCE_SWQE_DONE;
		w->status = IB_WC_LOC_PROT_ERR;
		return -EFAULT;
	}
	err = sroce_req_build(qp, w, &p, zcopy, &txb);
	if (zcopy && (err == -EOPNOTSUPP || err == -EMSGSIZE))
		err = sroce_req_build(qp, w, &p, false, &txb);
	if (err == -ENOMEM)
		return err;
	if (err) {
		w->state = SROCE_SWQE_DONE;
		w->status = IB_WC_LOC_PROT_ERR;
		return -EFAULT;
	}
	if (zcopy) {
		sroce_tx_gso_begin(sdev, &txb, sroce_req_pieces(w, req->mtu));
		if (txb.gso) {
			batch->txb = txb;
			batch->psn = req->psn;
			batch->psn_max = req->psn_max;
			goto sent;
		}
	}
	sroce_stat_add(sdev->stats, SENT_BYTES, p.paylen);
	sroce_stat_qp(&qp->stats, false, p.paylen);
	/*
	 * A full queue on the way out (the peer's backlog, behind a veth)
	 * is back-pressure: the packet is sent again from process context
	 * instead of waiting for the retransmit timer.
	 */
	err = sroce_tx_xmit(sdev, &txb);
	/* a refused packet is built again: with its AckReq */
	if (!err && qp->ibqp.qp_type == IB_QPT_RC)
		req->noack = p.ackreq ? 0 : req->noack + 1;
	return err;

sent:
	sroce_stat_add(sdev->stats, SENT_BYTES, p.paylen);
	sroce_stat_qp(&qp->stats, false, p.paylen);
	req->noack = p.ackreq ? 0 : req->noack + 1;
	return 0;
}

/**
 * sroce_req_batch_send() - send the packets sroce_req_packet() kept
 * @qp: the QP, req.lock held.
 * @batch: not empty; empty on return.
 *
 * Returns 0, or the error of a refused skb: then its packets are either
 * to be built again (the requester went back to the first of them, as
 * for one refused packet) or count as lost on the wire; either way
 * nothing more goes out in this run.
 */
int sroce_req_batch_send(struct sroce_qp *qp, struct sroce_req_batch *batch)
{
	struct sroce_req *req = &qp->req;
	int err;

	lockdep_assert_held(&req->lock);
	err = sroce_tx_xmit(sroce_qp_dev(qp), &batch->txb);
	if (!err) {
		sroce_tx_taken(&req->txw);
		return 0;
	}
	if (sroce_tx_is_refusal(err) &&
	    sroce_tx_refused(&req->txw, err, req->dead) == SROCE_TX_WAIT) {
		/* none of them left: built again, and not counted twice */
		sroce_req_go_back(qp, batch->psn);
		req->psn_max = batch->psn_max;
	} else if (err == -EAGAIN) {
		sroce_req_lost(qp);
	}
	return err;
}

