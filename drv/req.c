// SPDX-License-Identifier: GPL-2.0
/*
 * sroce: the requester: send WQEs to packets, in PSN order, within the
 * send window; completions in WQE order; the retransmit and RNR timer.
 * The completer (comp.c) feeds it ACKs. Locking and contexts: req.h.
 */
#include <linux/jiffies.h>
#include <linux/slab.h>

#include "compat.h"
#include "cq.h"
#include "memops.h"
#include "qp.h"
#include "req.h"
#include "rxq.h"
#include "srq.h"
#include "stats.h"
#include "wire.h"
#include "wqe.h"

/* --- kicks: handlers due once the locks are dropped ------------------- */

void sroce_kick_cq(struct sroce_kick *kick, struct sroce_cq *cq, int flags)
{
	int i;

	if (!(flags & (SROCE_CQ_NOTIFY | SROCE_CQ_OVERFLOWED)))
		return;
	for (i = 0; i < ARRAY_SIZE(kick->cq); i++) {
		if (!kick->cq[i] || kick->cq[i] == cq) {
			kick->cq[i] = cq;
			kick->cq_flags[i] |= flags;
			return;
		}
	}
}

static void sroce_qp_event(struct sroce_qp *qp, enum ib_event_type type)
{
	struct ib_qp *ibqp = &qp->ibqp;
	struct ib_event ev = {
		.device = ibqp->device,
		.element.qp = ibqp,
		.event = type,
	};

	if (ibqp->event_handler)
		ibqp->event_handler(&ev, ibqp->qp_context);
}

void sroce_kick_run(struct sroce_qp *qp, struct sroce_kick *kick)
{
	unsigned long events = kick->qp_events;
	int i;

	if (kick->srq)
		sroce_srq_limit_reached(kick->srq);
	for (i = 0; i < ARRAY_SIZE(kick->cq); i++)
		if (kick->cq[i])
			sroce_cq_handlers(kick->cq[i], kick->cq_flags[i]);
	for_each_set_bit(i, &events, BITS_PER_LONG)
		sroce_qp_event(qp, i);
	memset(kick, 0, sizeof(*kick));
}

/*
 * Writes one completion of @qp into @cq. A CQ that overflows moves the QP
 * to the error state (IBTA 11.4.2.1: a CQ overrun is an error of the QPs
 * feeding it). Returns 0 or -ENOSPC.
 */
int sroce_qp_post_wc(struct sroce_qp *qp, struct sroce_cq *cq,
		     const struct ib_wc *wc, bool solicited,
		     struct sroce_kick *kick)
{
	int flags = sroce_cq_push(cq, wc, solicited);

	sroce_kick_cq(kick, cq, flags);
	if (flags & SROCE_CQ_DROPPED) {
		sroce_qp_error(qp);
		return -ENOSPC;
	}
	return 0;
}

/* --- completions ------------------------------------------------------- */

static enum ib_wc_opcode sroce_wc_opcode(u32 wr_opcode)
{
	switch (wr_opcode) {
	case IB_WR_RDMA_WRITE:
	case IB_WR_RDMA_WRITE_WITH_IMM:
		return IB_WC_RDMA_WRITE;
	case IB_WR_RDMA_READ:
		return IB_WC_RDMA_READ;
	case IB_WR_ATOMIC_CMP_AND_SWP:
		return IB_WC_COMP_SWAP;
	case IB_WR_ATOMIC_FETCH_AND_ADD:
		return IB_WC_FETCH_ADD;
	case SROCE_WR_ATOMIC_WRITE:
		return SROCE_WC_ATOMIC_WRITE;
	case SROCE_WR_FLUSH:
		return SROCE_WC_FLUSH;
	case IB_WR_LOCAL_INV:
		return IB_WC_LOCAL_INV;
	case IB_WR_BIND_MW:
		return IB_WC_BIND_MW;
	case IB_WR_REG_MR:
		return IB_WC_REG_MR;
	default:
		return IB_WC_SEND;
	}
}

static void sroce_req_wc(struct sroce_qp *qp, u64 wr_id, u32 opcode,
			 u32 len, enum ib_wc_status status,
			 struct sroce_kick *kick)
{
	struct ib_wc wc = {
		.wr_id = wr_id,
		.status = status,
		.opcode = sroce_wc_opcode(opcode),
		.byte_len = len,
		.qp = &qp->ibqp,
		.port_num = SROCE_PORT,
	};

	sroce_qp_post_wc(qp, to_scq(qp->ibqp.send_cq), &wc, false, kick);
}

/* Retires DONE WQEs from the head of the SQ, in order. */
static void sroce_req_complete(struct sroce_qp *qp, struct sroce_kick *kick)
{
	struct sroce_req *req = &qp->req;
	struct sroce_swqe *w;

	lockdep_assert_held(&req->lock);
	while (qp->sq.cons != req->send) {
		w = sroce_qp_swqe(qp, qp->sq.cons);
		if (w->state != SROCE_SWQE_DONE)
			break;
		if (w->status != IB_WC_SUCCESS ||
		    (w->send_flags & IB_SEND_SIGNALED))
			sroce_req_wc(qp, w->wr_id, w->opcode, w->length,
				     w->status, kick);
		sroce_queue_advance_consumer(&qp->sq);
		if (w->status != IB_WC_SUCCESS) {
			if (w->status != IB_WC_WR_FLUSH_ERR)
				sroce_stat_inc(sroce_qp_dev(qp)->stats,
					       SEND_ERR);
			sroce_qp_error(qp);
			return;
		}
	}
	if (req->drain_event && qp->sq.cons == req->send &&
	    sroce_qp_state(qp) == IB_QPS_SQD) {
		req->drain_event = false;
		kick->qp_events |= BIT(IB_EVENT_SQ_DRAINED);
	}
}

/* Every WQE not completed yet, and every posted one, ends in FLUSH_ERR. */
static void sroce_req_flush_locked(struct sroce_qp *qp,
				   struct sroce_kick *kick)
{
	struct sroce_req *req = &qp->req;
	const struct rxe_send_wqe *slot;
	u32 prod = sroce_queue_published(&qp->sq);
	u32 i;

	lockdep_assert_held(&req->lock);
	/*
	 * Destroy frees the WQE copies once dead is set: the error work may
	 * still come (queued before), and must find nothing to do.
	 */
	if (req->dead)
		return;
	del_timer(&req->timer);
	req->timing = false;
	req->rnr_wait = false;
	for (i = qp->sq.cons; i != prod; i = sroce_queue_next(&qp->sq, i)) {
		u64 wr_id;
		u32 opcode;

		if (i == req->fetch) {
			slot = sroce_queue_slot_at(&qp->sq, i);
			wr_id = READ_ONCE(slot->wr.wr_id);
			opcode = READ_ONCE(slot->wr.opcode);
			req->fetch = sroce_queue_next(&qp->sq, i);
		} else {
			wr_id = sroce_qp_swqe(qp, i)->wr_id;
			opcode = sroce_qp_swqe(qp, i)->opcode;
		}
		sroce_req_wc(qp, wr_id, opcode, 0, IB_WC_WR_FLUSH_ERR, kick);
		sroce_queue_advance_consumer(&qp->sq);
	}
	req->fetch = qp->sq.cons;
	req->send = qp->sq.cons;
	req->send_pkt = 0;
	req->halted = false;
}

void sroce_req_flush(struct sroce_qp *qp)
{
	struct sroce_kick kick = {};

	spin_lock_bh(&qp->req.lock);
	sroce_req_flush_locked(qp, &kick);
	spin_unlock_bh(&qp->req.lock);
	sroce_kick_run(qp, &kick);
}

/* --- the retransmit timer --------------------------------------------- */

static unsigned long sroce_req_timeout(struct sroce_qp *qp)
{
	u8 t = qp->params.timeout;
	u64 usecs;

	/* 4.096 us * 2^timeout; never below 10 ms, which TCG guests need */
	usecs = (4096ULL << min_t(u8, t, 31)) / 1000;
	return max(usecs_to_jiffies(usecs), msecs_to_jiffies(10));
}

/*
 * The retransmit deadline moves on every arm; the timer only when it would
 * fire after it. A timer that fires early goes on to the deadline, one
 * that finds nothing in flight does nothing, and one set again while its
 * run waited for the lock leaves it to that expiry: a mod_timer() and a
 * del_timer() per round trip are not paid. Every mod_timer() of the timer
 * holds req.lock, so its expires field is stable here.
 */
static void sroce_req_arm(struct sroce_qp *qp)
{
	struct sroce_req *req = &qp->req;

	lockdep_assert_held(&req->lock);
	if (req->dead || qp->ibqp.qp_type != IB_QPT_RC)
		return;
	if (req->rnr_wait)
		return;
	/* a local ACK timeout of 0 means: wait for ever (IBTA 11.2.4.2) */
	if (req->una == req->psn || !qp->params.timeout) {
		req->timing = false;
		return;
	}
	req->deadline = jiffies + sroce_req_timeout(qp);
	req->timing = true;
	if (!timer_pending(&req->timer) ||
	    time_before(req->deadline, req->timer.expires))
		mod_timer(&req->timer, req->deadline);
}

/* Called by the completer whenever an ACK moved @una forward by @acked. */
void sroce_req_progress(struct sroce_qp *qp, u32 acked)
{
	struct sroce_req *req = &qp->req;

	lockdep_assert_held(&req->lock);
	if (req->cwnd < SROCE_REQ_WINDOW) {
		req->cwnd_acc += acked;
		if (req->cwnd_acc >= req->cwnd) {
			req->cwnd_acc = 0;
			req->cwnd++;
		}
	}

	/* both counts are per stretch without progress (IBTA 9.7.6.1.x) */
	req->retry_left = qp->params.retry_cnt;
	req->rnr_left = qp->params.rnr_retry;
	req->gap = false;
	sroce_req_arm(qp);
}

/* A packet was lost (on the wire, or refused on our side): less in flight. */
void sroce_req_lost(struct sroce_qp *qp)
{
	struct sroce_req *req = &qp->req;

	lockdep_assert_held(&req->lock);
	if (sroce_psn_cmp(req->una, req->cwnd_psn) < 0)
		return;
	req->cwnd = max_t(u32, req->cwnd / 2, SROCE_REQ_CWND_MIN);
	req->cwnd_acc = 0;
	req->cwnd_psn = req->psn_max;
}

/*
 * Go back to @psn: the WQE that holds it is sent again from that packet,
 * and every later one after it (go-back-N, as the responder expects PSNs
 * in order). Returns false, doing nothing, when no WQE sent holds @psn.
 * sroce_req_rewind() counts a retransmission; sroce_req_go_back() is for
 * packets that never left (a refused GSO skb).
 */
bool sroce_req_go_back(struct sroce_qp *qp, u32 psn)
{
	struct sroce_req *req = &qp->req;
	struct sroce_swqe *w;
	u32 i, used;

	lockdep_assert_held(&req->lock);
	for (i = qp->sq.cons; ; i = sroce_queue_next(&qp->sq, i)) {
		if (i == req->fetch || (i == req->send && !req->send_pkt))
			return false;	/* nothing sent holds @psn */
		w = sroce_qp_swqe(qp, i);
		if (w->state != SROCE_SWQE_DONE) {
			used = i == req->send ? req->send_pkt : w->npkts;
			if (sroce_psn_cmp(psn, w->first_psn) >= 0 &&
			    sroce_psn_cmp(psn, sroce_psn_add(w->first_psn,
							     used)) < 0)
				break;
		}
		if (i == req->send)
			return false;
	}
	req->send = i;
	req->send_pkt = (psn - w->first_psn) & SROCE_PSN_MASK;
	if (w->opcode == IB_WR_RDMA_READ)
		req->send_pkt = min(req->send_pkt, w->rd_pkts);
	req->psn = sroce_psn_add(w->first_psn, req->send_pkt);
	req->noack = 0;
	for (; i != req->fetch; i = sroce_queue_next(&qp->sq, i)) {
		w = sroce_qp_swqe(qp, i);
		if (w->state == SROCE_SWQE_SENT)
			w->state = SROCE_SWQE_PENDING;
	}
	return true;
}

bool sroce_req_rewind(struct sroce_qp *qp, u32 psn)
{
	if (!sroce_req_go_back(qp, psn))
		return false;
	sroce_stat_inc(sroce_qp_dev(qp)->stats, RETRANSMITS);
	return true;
}

static void sroce_req_timer(struct timer_list *t)
{
	struct sroce_req *req = from_timer(req, t, timer);
	struct sroce_qp *qp = container_of(req, struct sroce_qp, req);
	struct sroce_kick kick = {};
	struct sroce_swqe *w;

	spin_lock_bh(&req->lock);
	if (req->dead)
		goto out_unlock;
	/*
	 * Set again while this run waited for the lock (an RNR NAK, a new
	 * deadline): that expiry decides, not this one.
	 */
	if (timer_pending(&req->timer))
		goto out_unlock;
	if (!req->rnr_wait) {
		/* answered since it was set */
		if (!req->timing)
			goto out_unlock;
		if (time_before(jiffies, req->deadline)) {
			mod_timer(&req->timer, req->deadline);
			goto out_unlock;
		}
	}
	/* what is sent from here on arms it again */
	req->timing = false;
	req->gap = false;
	if (req->rnr_wait) {
		req->rnr_wait = false;
		sroce_req_rewind(qp, req->una);
	} else if (req->una != req->psn) {
		if (!req->retry_left) {
			sroce_stat_inc(sroce_qp_dev(qp)->stats,
				       RETRY_EXCEEDED_ERR);
			w = sroce_qp_swqe(qp, qp->sq.cons);
			if (qp->sq.cons != req->send ||
			    w->state == SROCE_SWQE_PENDING) {
				w->state = SROCE_SWQE_DONE;
				w->status = IB_WC_RETRY_EXC_ERR;
				if (qp->sq.cons == req->send)
					req->send = sroce_queue_next(&qp->sq,
								     req->send);
			}
			sroce_req_complete(qp, &kick);
			goto out_unlock;
		}
		req->retry_left--;
		sroce_stat_inc(sroce_qp_dev(qp)->stats, COMP_RETRY);
		sroce_req_lost(qp);
		sroce_req_rewind(qp, req->una);
	}
	sroce_req_run_locked(qp, &kick);
out_unlock:
	spin_unlock_bh(&req->lock);
	sroce_kick_run(qp, &kick);
}

/* READs and ATOMICs sent and not answered yet. */
static u32 sroce_req_rd_out(struct sroce_qp *qp)
{
	struct sroce_req *req = &qp->req;
	struct sroce_swqe *w;
	u32 i, n = 0;

	for (i = qp->sq.cons; i != req->send; i = sroce_queue_next(&qp->sq, i)) {
		w = sroce_qp_swqe(qp, i);
		if (w->state == SROCE_SWQE_SENT && sroce_swqe_is_rd(w))
			n++;
	}
	return n;
}

static bool sroce_req_may_start(struct sroce_qp *qp, struct sroce_swqe *w)
{
	bool rd = sroce_swqe_is_rd(w);
	u32 out;

	if (qp->ibqp.qp_type != IB_QPT_RC)
		return true;
	if (!rd && !(w->send_flags & IB_SEND_FENCE))
		return true;
	out = sroce_req_rd_out(qp);
	if ((w->send_flags & IB_SEND_FENCE) && out)
		return false;
	return !rd || out < max_t(u8, qp->params.max_rd_atomic, 1);
}

/* A WQE executed without the wire: memory registration and invalidation. */
static void sroce_req_local(struct sroce_qp *qp, struct sroce_swqe *w)
{
	int err;

	err = sroce_memop(qp, w);
	w->state = SROCE_SWQE_DONE;
	w->status = err ? (err == -EACCES ? IB_WC_MW_BIND_ERR :
			   IB_WC_LOC_QP_OP_ERR) : IB_WC_SUCCESS;
}

static bool sroce_wqe_is_local(const struct sroce_swqe *w)
{
	return w->opcode == IB_WR_LOCAL_INV || w->opcode == IB_WR_REG_MR ||
	       w->opcode == IB_WR_BIND_MW;
}

/*
 * The rest of this run goes to the work item, @delay jiffies on; never once
 * destroy began (it cancels the work after setting dead under this lock).
 */
static void sroce_req_defer(struct sroce_req *req, unsigned long delay)
{
	lockdep_assert_held(&req->lock);
	if (!req->dead)
		queue_delayed_work(system_highpri_wq, &req->work, delay);
}

/*
 * A QP's packets leave from one CPU while any of them is unacknowledged: a
 * veth queues each CPU's frames in that CPU's backlog, so frames of one QP
 * sent from two CPUs can arrive out of order, and the responder would NAK
 * them and have them all sent again. Returns @tx_cpu while packets are in
 * flight and it is another online CPU than this one, else -1 (any CPU may
 * send). Racy without req.lock: then a hint.
 */
static int sroce_req_other_cpu(const struct sroce_req *req)
{
	if (READ_ONCE(req->una) == READ_ONCE(req->psn))
		return -1;
	return sroce_rxq_away_cpu(READ_ONCE(req->tx_cpu));
}

/*
 * A run elsewhere (the completer, on the CPU its ACK arrived on; the timer)
 * hands the sending to the work on @tx_cpu instead of sending itself.
 */
static bool sroce_req_away(struct sroce_req *req)
{
	int cpu;

	lockdep_assert_held(&req->lock);
	cpu = sroce_req_other_cpu(req);
	if (cpu < 0)
		return false;
	if (!req->dead)
		queue_delayed_work_on(cpu, system_highpri_wq, &req->work, 0);
	return true;
}

/**
 * sroce_req_tx_cpu() - where a response for @qp is best handled
 * @qp: the QP, referenced; req.lock not held (a racy read: a hint).
 *
 * Returns the CPU the requester sends from while it has packets in flight
 * and that is not this CPU, else -1. The rx handler queues responses there
 * (rxq.h): the completer then neither spins on req.lock while the
 * requester runs nor hands the sending back (sroce_req_away()).
 */
int sroce_req_tx_cpu(struct sroce_qp *qp)
{
	return sroce_req_other_cpu(&qp->req);
}

/**
 * sroce_req_run_locked() - send what the SQ and the window allow
 * @qp: the QP, req.lock held.
 * @kick: collects the handlers to call after the lock is dropped.
 */
void sroce_req_run_locked(struct sroce_qp *qp, struct sroce_kick *kick)
{
	struct sroce_req *req = &qp->req;
	bool rc = qp->ibqp.qp_type == IB_QPT_RC;
	struct sroce_req_batch batch = {};
	int budget = SROCE_REQ_BUDGET;
	enum ib_qp_state state;
	bool lost = false, away;
	struct sroce_swqe *w;
	u32 prod, cons, psn;
	int err;

	lockdep_assert_held(&req->lock);
	state = sroce_qp_state(qp);
	if (state == IB_QPS_ERR) {
		sroce_req_flush_locked(qp, kick);
		return;
	}
	if (state != IB_QPS_RTS && state != IB_QPS_SQD)
		return;

	/*
	 * The user's producer index is read once per run. One that went
	 * back behind our fetch position (rewritten by the user) posts
	 * nothing: fetching on would lap the consumer and overwrite the
	 * copies of WQEs in flight.
	 */
	prod = sroce_queue_published(&qp->sq);
	cons = qp->sq.cons;
	if (((prod - cons) & qp->sq.index_mask) <
	    ((req->fetch - cons) & qp->sq.index_mask))
		prod = req->fetch;

	away = req->send != prod && sroce_req_away(req);
	psn = req->psn;
	while (!away && !req->rnr_wait && !req->halted && req->send != prod) {
		if (budget-- <= 0) {
			sroce_req_defer(req, 0);
			break;
		}
		w = sroce_qp_swqe(qp, req->send);
		if (req->send == req->fetch) {
			if (state == IB_QPS_SQD)
				break;
			sroce_swqe_fetch(qp, req->fetch, w);
			req->fetch = sroce_queue_next(&qp->sq, req->fetch);
		}
		if (w->state == SROCE_SWQE_DONE) {
			req->send = sroce_queue_next(&qp->sq, req->send);
			/* nothing behind a failed WQE goes out: it flushes */
			if (w->status != IB_WC_SUCCESS) {
				req->halted = true;
				break;
			}
			continue;
		}
		if (req->send_pkt == 0) {
			if (!sroce_req_may_start(qp, w))
				break;
			if (sroce_wqe_is_local(w)) {
				sroce_req_local(qp, w);
				req->send = sroce_queue_next(&qp->sq, req->send);
				continue;
			}
			if (w->state == SROCE_SWQE_PENDING && !w->npkts &&
			    sroce_swqe_check_sges(qp, w)) {
				w->state = SROCE_SWQE_DONE;
				w->status = IB_WC_LOC_PROT_ERR;
				continue;
			}
			w->first_psn = req->psn;
			w->npkts = sroce_req_npkts(w, req->mtu);
			w->rd_pkts = 0;
		}
		if (rc && sroce_psn_cmp(req->psn,
					sroce_psn_add(req->una,
						      req->cwnd)) >= 0)
			break;
		batch.more = sroce_queue_next(&qp->sq, req->send) != prod;
		err = sroce_req_packet(qp, w, &batch);
		if (err == -EXDEV) {
			if (sroce_req_batch_send(qp, &batch))
				break;
			err = sroce_req_packet(qp, w, &batch);
		}
		if (err && w->state == SROCE_SWQE_DONE) {
			req->send = sroce_queue_next(&qp->sq, req->send);
			req->send_pkt = 0;
			req->halted = true;
			break;
		}
		/*
		 * No skb, or no room on the way out: built again when the
		 * wait (txwait.h) wakes the work item. A packet refused for
		 * SROCE_TX_PATIENCE_MS counts as lost on the wire, and
		 * nothing more goes out in this run: the retransmit timer
		 * takes over (RC), or the work item goes on a tick later
		 * (UC, UD).
		 */
		if (sroce_tx_is_refusal(err) &&
		    sroce_tx_refused(&req->txw, err, req->dead) == SROCE_TX_WAIT)
			break;
		lost = err == -EAGAIN;
		if (lost)
			sroce_req_lost(qp);
		else
			sroce_tx_taken(&req->txw);
		if (sroce_psn_cmp(req->psn, req->psn_max) < 0)
			sroce_stat_inc(sroce_qp_dev(qp)->stats,
				       RETRANSMITTED_PKTS);
		if (w->opcode == IB_WR_RDMA_READ) {
			req->psn = sroce_psn_add(w->first_psn, w->npkts);
			req->send_pkt = w->npkts;
		} else {
			req->psn = sroce_psn_add(req->psn, 1);
			req->send_pkt++;
		}
		if (sroce_psn_cmp(req->psn, req->psn_max) > 0)
			req->psn_max = req->psn;
		if (req->send_pkt >= w->npkts) {
			/* all of it is out */
			w->state = rc ? SROCE_SWQE_SENT : SROCE_SWQE_DONE;
			req->send = sroce_queue_next(&qp->sq, req->send);
			req->send_pkt = 0;
		}
		if (lost) {
			if (!rc)
				sroce_req_defer(req, 1);
			break;
		}
	}
	if (batch.txb.skb)
		sroce_req_batch_send(qp, &batch);
	if (req->psn != psn)
		WRITE_ONCE(req->tx_cpu, smp_processor_id());
	if (!rc)
		req->una = req->psn;
	if (!req->timing)
		sroce_req_arm(qp);
	sroce_req_complete(qp, kick);
}

static void sroce_req_work(struct work_struct *work)
{
	struct sroce_qp *qp = container_of(to_delayed_work(work),
					   struct sroce_qp, req.work);

	sroce_req_run(qp);
}

/* Runs the requester; any context but hard irq (which defers it). */
void sroce_req_run(struct sroce_qp *qp)
{
	struct sroce_req *req = &qp->req;
	struct sroce_kick kick = {};

	/*
	 * req.lock is a bottom-half lock: from hard irq context, or with
	 * interrupts off, the run is deferred. A ULP never posts to a QP it
	 * is destroying, so the work cannot be queued after destroy.
	 */
	if (in_hardirq() || irqs_disabled()) {
		queue_delayed_work(system_highpri_wq, &req->work, 0);
		return;
	}
	spin_lock_bh(&req->lock);
	if (!req->dead)
		sroce_req_run_locked(qp, &kick);
	spin_unlock_bh(&req->lock);
	sroce_kick_run(qp, &kick);
}

/* --- set-up and modify ------------------------------------------------- */

int sroce_req_init(struct sroce_qp *qp)
{
	struct sroce_req *req = &qp->req;
	size_t slots = (size_t)qp->sq.index_mask + 1;

	spin_lock_init(&req->lock);
	spin_lock_init(&req->post_lock);
	req->stride = sroce_swqe_stride(&qp->cap);
	req->swqe = kvcalloc(slots, req->stride, GFP_KERNEL);
	if (!req->swqe)
		return -ENOMEM;
	timer_setup(&req->timer, sroce_req_timer, 0);
	req->cwnd = SROCE_REQ_WINDOW;
	INIT_DELAYED_WORK(&req->work, sroce_req_work);
	sroce_tx_wait_init(&req->txw, &req->work);
	req->mtu = 256;
	return 0;
}

/* Destroy: stops the timer and the work for good, frees the copies. */
void sroce_req_fini(struct sroce_qp *qp)
{
	struct sroce_req *req = &qp->req;

	spin_lock_bh(&req->lock);
	req->dead = true;
	spin_unlock_bh(&req->lock);
	del_timer_sync(&req->timer);
	sroce_tx_wait_stop(&req->txw);
	cancel_delayed_work_sync(&req->work);
	kvfree(req->swqe);
	req->swqe = NULL;
}

/* RESET: nothing in flight, the ring empty, the copies forgotten. */
void sroce_req_reset(struct sroce_qp *qp)
{
	struct sroce_req *req = &qp->req;
	unsigned long flags;

	spin_lock_bh(&req->lock);
	del_timer(&req->timer);
	req->timing = false;
	/* the producer side is an irq-safe lock (kernel ULPs post anywhere) */
	spin_lock_irqsave(&req->post_lock, flags);
	sroce_queue_reset(&qp->sq);
	spin_unlock_irqrestore(&req->post_lock, flags);
	req->fetch = qp->sq.cons;
	req->send = qp->sq.cons;
	req->send_pkt = 0;
	req->noack = 0;
	sroce_tx_wait_reset(&req->txw);
	req->gap = false;
	req->cwnd = SROCE_REQ_WINDOW;
	req->cwnd_acc = 0;
	req->rnr_wait = false;
	req->drain_event = false;
	req->halted = false;
	spin_unlock_bh(&req->lock);
}

/* After a successful modify_qp: the new attributes, under req.lock. */
void sroce_req_modified(struct sroce_qp *qp, const struct ib_qp_attr *attr,
			int mask, bool entered_sqd)
{
	struct sroce_req *req = &qp->req;

	spin_lock_bh(&req->lock);
	if (mask & IB_QP_PATH_MTU)
		req->mtu = ib_mtu_enum_to_int(attr->path_mtu);
	if (qp->ibqp.qp_type == IB_QPT_UD || qp->ibqp.qp_type == IB_QPT_GSI)
		req->mtu = ib_mtu_enum_to_int(sroce_active_mtu(sroce_qp_dev(qp)));
	if (mask & IB_QP_SQ_PSN) {
		req->psn = attr->sq_psn & SROCE_PSN_MASK;
		req->una = req->psn;
		req->psn_max = req->psn;
		req->cwnd_psn = req->psn;
	}
	if (mask & IB_QP_RETRY_CNT)
		req->retry_left = attr->retry_cnt;
	if (mask & IB_QP_RNR_RETRY)
		req->rnr_left = attr->rnr_retry;
	if (entered_sqd && qp->params.en_sqd_async_notify)
		req->drain_event = true;
	spin_unlock_bh(&req->lock);
}
