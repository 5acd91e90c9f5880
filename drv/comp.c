// SPDX-License-Identifier: GPL-2.0
/*
 * sroce: the completer: what comes back to a requester (ACKs, NAKs, read
 * responses, atomic ACKs) retires the WQEs it answers. Runs in softirq
 * from the receive path, under req.lock (req.h).
 */
#include <linux/jiffies.h>

#include "compat.h"
#include "debugfs.h"
#include "qp.h"
#include "req.h"
#include "rx.h"
#include "stats.h"
#include "verbs.h"
#include "wire.h"
#include "wqe.h"

/* The RNR NAK timer field in microseconds (IBTA table 45). */
static const u32 sroce_rnr_usecs[32] = {
	655360, 10, 20, 30, 40, 60, 80, 120, 160, 240, 320, 480, 640, 960,
	1280, 1920, 2560, 3840, 5120, 7680, 10240, 15360, 20480, 30720,
	40960, 61440, 81920, 122880, 163840, 245760, 327680, 491520,
};

static bool sroce_wqe_holds(const struct sroce_swqe *w, u32 psn, u32 used)
{
	return sroce_psn_cmp(psn, w->first_psn) >= 0 &&
	       sroce_psn_cmp(psn, sroce_psn_add(w->first_psn, used)) < 0;
}

/*
 * An answer for @psn was lost: send again from there, once. Until an
 * answer for @psn comes, or the timer fires, the rest of a response stream
 * that arrives behind the gap, or another ACK past it, says the same thing
 * again and changes nothing: each rewind would have the responder start
 * over too.
 */
static void sroce_comp_go_back(struct sroce_qp *qp, u32 psn)
{
	struct sroce_req *req = &qp->req;

	if (req->gap && req->gap_psn == psn)
		return;
	if (sroce_req_rewind(qp, psn)) {
		sroce_req_lost(qp);
		req->gap = true;
		req->gap_psn = psn;
	}
}

/* @una is the new oldest unacknowledged PSN, if it is newer. */
static void sroce_comp_advance(struct sroce_qp *qp, u32 una)
{
	u32 acked = (una - qp->req.una) & SROCE_PSN_MASK;

	if (sroce_psn_cmp(una, qp->req.una) > 0) {
		qp->req.una = una;
		sroce_req_progress(qp, acked);
	}
}

/* Ends the WQE that @psn belongs to with @status (a remote error). */
static void sroce_comp_fail(struct sroce_qp *qp, u32 psn,
			    enum ib_wc_status status)
{
	struct sroce_req *req = &qp->req;
	struct sroce_swqe *w;
	u32 i;

	for (i = qp->sq.cons; i != req->fetch; i = sroce_queue_next(&qp->sq, i)) {
		w = sroce_qp_swqe(qp, i);
		if (i == req->send && !req->send_pkt)
			return;
		if (w->state != SROCE_SWQE_DONE &&
		    sroce_wqe_holds(w, psn, i == req->send ? req->send_pkt :
				    w->npkts)) {
			w->state = SROCE_SWQE_DONE;
			w->status = status;
			if (i == req->send) {
				req->send = sroce_queue_next(&qp->sq, i);
				req->send_pkt = 0;
			}
			return;
		}
		if (i == req->send)
			return;
	}
}

/*
 * Everything up to @psn arrived. SENDs and WRITEs it covers are done; a
 * READ or ATOMIC it covers whose answer never came lost that answer: the
 * requester goes back to it.
 */
static void sroce_comp_ack(struct sroce_qp *qp, u32 psn)
{
	struct sroce_req *req = &qp->req;
	u32 una = sroce_psn_add(psn, 1);
	bool lost = false;
	struct sroce_swqe *w;
	u32 i;

	if (sroce_psn_cmp(una, req->una) <= 0)
		return;
	for (i = qp->sq.cons; i != req->send; i = sroce_queue_next(&qp->sq, i)) {
		w = sroce_qp_swqe(qp, i);
		if (w->state == SROCE_SWQE_DONE)
			continue;
		if (sroce_psn_cmp(sroce_psn_add(w->first_psn, w->npkts - 1),
				  psn) > 0)
			break;
		if (sroce_swqe_is_rd(w)) {
			una = sroce_psn_add(w->first_psn, w->rd_pkts);
			lost = true;
			break;
		}
		w->state = SROCE_SWQE_DONE;
	}
	sroce_comp_advance(qp, una);
	if (lost)
		sroce_comp_go_back(qp, una);
}

static void sroce_comp_rnr(struct sroce_qp *qp, u32 psn, u8 timer)
{
	struct sroce_dev *sdev = sroce_qp_dev(qp);
	struct sroce_req *req = &qp->req;

	sroce_stat_inc(sdev->stats, RCV_RNR_ERR);
	if (!req->rnr_left) {
		sroce_stat_inc(sdev->stats, RNR_RETRY_EXCEEDED_ERR);
		sroce_comp_fail(qp, psn, IB_WC_RNR_RETRY_EXC_ERR);
		return;
	}
	/* 7 means retry for ever */
	if (req->rnr_left != 7)
		req->rnr_left--;
	if (!sroce_req_rewind(qp, psn) || req->dead)
		return;
	sroce_test_rnr_pause();
	req->rnr_wait = true;
	mod_timer(&req->timer, jiffies +
		  usecs_to_jiffies(sroce_rnr_usecs[timer & 31]));
}

static void sroce_comp_aeth(struct sroce_qp *qp, struct sroce_pkt *pkt)
{
	const struct sroce_aeth *aeth = sroce_pkt_ext(pkt, pkt->op->off_aeth);
	struct sroce_dev *sdev = sroce_qp_dev(qp);
	u8 syn = sroce_aeth_syndrome(aeth);
	u32 psn = pkt->psn;

	/*
	 * A NAK names the PSN it refuses: one before the oldest PSN not
	 * acknowledged (a stale duplicate, or forged) refuses nothing.
	 */
	if ((syn & SROCE_AETH_TYPE_MASK) != SROCE_AETH_ACK &&
	    sroce_psn_cmp(psn, qp->req.una) < 0) {
		sroce_stat_inc(sdev->stats, RX_DROP_STALE_RESP);
		return;
	}
	switch (syn & SROCE_AETH_TYPE_MASK) {
	case SROCE_AETH_ACK:
		sroce_comp_ack(qp, psn);
		return;
	case SROCE_AETH_RNR_NAK:
		sroce_comp_ack(qp, sroce_psn_add(psn, SROCE_PSN_MASK));
		sroce_comp_rnr(qp, psn, syn & SROCE_AETH_VAL_MASK);
		return;
	case SROCE_AETH_NAK:
		break;
	default:
		return;		/* reserved syndromes are ignored */
	}

	sroce_stat_inc(sdev->stats, NAKS_RCVD);
	/* a NAK acknowledges everything before its PSN */
	sroce_comp_ack(qp, sroce_psn_add(psn, SROCE_PSN_MASK));
	switch (syn & SROCE_AETH_VAL_MASK) {
	case SROCE_NAK_PSN_SEQ:
		sroce_stat_inc(sdev->stats, RCV_SEQ_ERR);
		sroce_comp_go_back(qp, psn);
		break;
	case SROCE_NAK_INVALID_REQ:
		sroce_comp_fail(qp, psn, IB_WC_REM_INV_REQ_ERR);
		break;
	case SROCE_NAK_REMOTE_ACCESS:
		sroce_comp_fail(qp, psn, IB_WC_REM_ACCESS_ERR);
		break;
	default:
		sroce_comp_fail(qp, psn, IB_WC_REM_OP_ERR);
		break;
	}
}

/* A READ or ATOMIC sent after ring index @i holds @psn. */
static bool sroce_comp_later_rd(struct sroce_qp *qp, u32 i, u32 psn)
{
	struct sroce_req *req = &qp->req;
	struct sroce_swqe *w;

	for (i = sroce_queue_next(&qp->sq, i); i != req->send;
	     i = sroce_queue_next(&qp->sq, i)) {
		w = sroce_qp_swqe(qp, i);
		if (w->state != SROCE_SWQE_DONE && sroce_swqe_is_rd(w) &&
		    sroce_wqe_holds(w, psn, w->npkts))
			return true;
	}
	return false;
}

/* An answer to @w came or went: the SENDs and WRITEs before it arrived. */
static void sroce_comp_done_before(struct sroce_qp *qp, struct sroce_swqe *w)
{
	struct sroce_swqe *p;
	u32 i;

	for (i = qp->sq.cons; ; i = sroce_queue_next(&qp->sq, i)) {
		p = sroce_qp_swqe(qp, i);
		if (p == w)
			return;
		p->state = SROCE_SWQE_DONE;
	}
}

/*
 * The READ or ATOMIC WQE that @psn answers, or NULL: the oldest one not
 * answered yet, since answers come in order. The SENDs and WRITEs before it
 * are acknowledged by the answer (IBTA 9.7.5.1.x), as long as each of them
 * ends before @psn; an answer whose PSN falls inside or before one of them
 * answers nothing and acknowledges nothing.
 */
static struct sroce_swqe *sroce_comp_find_rd(struct sroce_qp *qp, u32 psn)
{
	struct sroce_req *req = &qp->req;
	struct sroce_swqe *w;
	u32 i, end;

	if (sroce_psn_cmp(psn, req->una) < 0)
		return NULL;
	for (i = qp->sq.cons; i != req->send; i = sroce_queue_next(&qp->sq, i)) {
		w = sroce_qp_swqe(qp, i);
		if (w->state == SROCE_SWQE_DONE)
			continue;
		if (sroce_swqe_is_rd(w))
			break;
		end = sroce_psn_add(w->first_psn, w->npkts - 1);
		if (sroce_psn_cmp(end, psn) >= 0)
			return NULL;
	}
	if (i == req->send)
		return NULL;
	if (!sroce_wqe_holds(w, psn, w->npkts)) {
		/*
		 * The answer to a later READ or ATOMIC: answers come in order,
		 * so what @w still waits for was lost. Go back to it now
		 * rather than when the timer fires.
		 */
		if (sroce_comp_later_rd(qp, i, psn)) {
			sroce_comp_done_before(qp, w);
			psn = sroce_psn_add(w->first_psn, w->rd_pkts);
			sroce_comp_advance(qp, psn);
			sroce_comp_go_back(qp, psn);
		}
		return NULL;
	}
	sroce_comp_done_before(qp, w);
	return w;
}

/*
 * Whether READ response Middle @pkt goes on with the READ under way: the
 * oldest WQE not done is a READ whose First came, and @pkt is its next
 * packet, not its last, a full MTU. sroce_comp_read() then only places it
 * and moves no other WQE, so it may place it before its ICRC is checked
 * (rx.h: @icrc_due).
 */
static bool sroce_comp_rd_goes_on(struct sroce_qp *qp,
				  const struct sroce_pkt *pkt)
{
	struct sroce_req *req = &qp->req;
	struct sroce_swqe *w = NULL;
	u32 i;

	lockdep_assert_held(&req->lock);
	for (i = qp->sq.cons; i != req->send; i = sroce_queue_next(&qp->sq, i)) {
		w = sroce_qp_swqe(qp, i);
		if (w->state != SROCE_SWQE_DONE)
			break;
	}
	if (i == req->send || w->opcode != IB_WR_RDMA_READ || !w->rd_pkts ||
	    w->rd_pkts + 1 >= w->npkts || pkt->paylen != req->mtu)
		return false;
	return pkt->psn == sroce_psn_add(w->first_psn, w->rd_pkts) &&
	       sroce_psn_cmp(pkt->psn, req->una) >= 0;
}

static void sroce_comp_read(struct sroce_qp *qp, struct sroce_pkt *pkt)
{
	struct sroce_dev *sdev = sroce_qp_dev(qp);
	struct sroce_req *req = &qp->req;
	u32 flags = pkt->op->flags, mtu = req->mtu, off, want, expect, crc;
	struct sroce_swqe *w;
	bool last;
	int err;

	w = sroce_comp_find_rd(qp, pkt->psn);
	/* a FLUSH is answered by a READ response of 0 bytes */
	if (!w || (w->opcode != IB_WR_RDMA_READ &&
		   w->opcode != SROCE_WR_FLUSH)) {
		sroce_stat_inc(sdev->stats, RX_DROP_STALE_RESP);
		return;
	}
	expect = sroce_psn_add(w->first_psn, w->rd_pkts);
	if (pkt->psn != expect) {
		/* a gap: responses were lost; ask again from the first one */
		if (sroce_psn_cmp(pkt->psn, expect) > 0) {
			sroce_comp_advance(qp, expect);
			sroce_comp_go_back(qp, expect);
		}
		return;
	}

	off = w->rd_pkts * mtu;
	last = w->rd_pkts + 1 == w->npkts;
	want = last ? w->length - off : mtu;
	if (!!(flags & SROCE_OPF_FIRST) != !w->rd_pkts ||
	    !!(flags & SROCE_OPF_LAST) != last || pkt->paylen != want) {
		w->state = SROCE_SWQE_DONE;
		w->status = IB_WC_BAD_RESP_ERR;
		return;
	}
	if (want) {
		crc = pkt->icrc;
		err = sroce_sge_from_skb(sdev, qp->ibqp.pd, w->sge, w->num_sge,
					 off, pkt->skb, pkt->pos, pkt->pay_off,
					 want, pkt->icrc_due ? &crc : NULL);
		if (!sroce_pkt_icrc_copied(pkt, err, crc))
			return;
		if (err) {
			w->state = SROCE_SWQE_DONE;
			w->status = IB_WC_LOC_PROT_ERR;
			return;
		}
	}
	w->rd_pkts++;
	if (last)
		w->state = SROCE_SWQE_DONE;
	sroce_comp_advance(qp, sroce_psn_add(pkt->psn, 1));
}

static void sroce_comp_atomic(struct sroce_qp *qp, struct sroce_pkt *pkt)
{
	const struct sroce_atmack *ack = sroce_pkt_ext(pkt, pkt->op->off_atm);
	struct sroce_dev *sdev = sroce_qp_dev(qp);
	struct sroce_swqe *w;
	u64 orig;

	w = sroce_comp_find_rd(qp, pkt->psn);
	if (!w || (w->opcode != IB_WR_ATOMIC_CMP_AND_SWP &&
		   w->opcode != IB_WR_ATOMIC_FETCH_AND_ADD) ||
	    w->first_psn != pkt->psn) {
		sroce_stat_inc(sdev->stats, RX_DROP_STALE_RESP);
		return;
	}
	orig = be64_to_cpu(ack->orig);
	if (sroce_sge_copy(sdev, qp->ibqp.pd, w->sge, w->num_sge, 0, &orig,
			   sizeof(orig), SROCE_COPY_TO_MR))
		w->status = IB_WC_LOC_PROT_ERR;
	w->rd_pkts = 1;
	w->state = SROCE_SWQE_DONE;
	sroce_comp_advance(qp, sroce_psn_add(pkt->psn, 1));
}

/*
 * An ACK for a PSN past the one the requester is at: it went back (a loss,
 * the timer) and is sending again what the responder had, whose ACK came
 * for a packet sent before. All of it arrived, so everything sent again so
 * far is acknowledged; the rest is acknowledged as it is sent again. Had
 * such an ACK been dropped, a window smaller than what was in flight before
 * would never reach the responder's PSN again, and the QP would run out of
 * retries. Returns false for anything else, which answers nothing.
 */
static bool sroce_comp_ack_ahead(struct sroce_qp *qp, struct sroce_pkt *pkt)
{
	const struct sroce_aeth *aeth;
	struct sroce_req *req = &qp->req;

	if (pkt->opcode != SROCE_OP_ACK ||
	    sroce_psn_cmp(pkt->psn, req->psn_max) >= 0)
		return false;
	aeth = sroce_pkt_ext(pkt, pkt->op->off_aeth);
	if ((sroce_aeth_syndrome(aeth) & SROCE_AETH_TYPE_MASK) !=
	    SROCE_AETH_ACK)
		return false;
	sroce_comp_ack(qp, sroce_psn_add(req->psn, SROCE_PSN_MASK));
	return true;
}

/**
 * sroce_comp_rx() - a response for @qp's requester
 * @qp: the QP, referenced by the caller.
 * @pkt: the checked packet (a response opcode of an RC QP).
 *
 * Softirq. Takes req.lock; calls the handlers it made due after dropping it.
 */
void sroce_comp_rx(struct sroce_qp *qp, struct sroce_pkt *pkt)
{
	struct sroce_req *req = &qp->req;
	struct sroce_kick kick = {};
	enum ib_qp_state state;
	u32 flags = pkt->op->flags;

	spin_lock_bh(&req->lock);
	state = sroce_qp_state(qp);
	if (req->dead || (state != IB_QPS_RTS && state != IB_QPS_SQD)) {
		sroce_pkt_icrc_settle(pkt);
		goto out_unlock;
	}
	/* only a READ response that goes on is placed before its ICRC */
	if (pkt->icrc_due && !sroce_comp_rd_goes_on(qp, pkt) &&
	    !sroce_pkt_icrc_settle(pkt))
		goto out_unlock;
	if (sroce_psn_cmp(pkt->psn, req->psn) >= 0) {
		if (!sroce_comp_ack_ahead(qp, pkt)) {
			/* nothing answers a PSN that was never sent */
			sroce_stat_inc(sroce_qp_dev(qp)->stats,
				       RX_DROP_STALE_RESP);
			goto out_unlock;
		}
	} else if (flags & SROCE_OPF_READ) {
		sroce_comp_read(qp, pkt);
		/* the AETH of a first, last or only response acks it too */
	} else if (flags & SROCE_OPF_ATOMIC) {
		sroce_comp_atomic(qp, pkt);
	} else {
		sroce_comp_aeth(qp, pkt);
	}
	sroce_req_run_locked(qp, &kick);
out_unlock:
	spin_unlock_bh(&req->lock);
	sroce_kick_run(qp, &kick);
}
