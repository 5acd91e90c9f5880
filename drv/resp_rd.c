// SPDX-License-Identifier: GPL-2.0
/*
 * sroce: the responder's READs and ATOMICs: execution, their responses
 * sent in PSN order (a burst inline, the rest by the work item), and the
 * answers to duplicates (a READ is read again from the PSN asked, an ATOMIC
 * is answered with what it returned the first time, never executed twice).
 * The ATOMIC WRITE, answered as a WRITE, lives here for the atomics' lock.
 * Under resp.lock (resp.h).
 */
#include <linux/spinlock.h>

#include "compat.h"
#include "cq.h"
#include "memops.h"
#include "mr.h"
#include "qp.h"
#include "req.h"
#include "resp.h"
#include "rx.h"
#include "rxq.h"
#include "stats.h"
#include "tx.h"
#include "verbs.h"
#include "wire.h"
#include "wqe.h"

/*
 * Atomics are atomic against each other on every sroce device (IB_ATOMIC_HCA
 * semantics, which is what is reported): one lock serializes them all.
 */
static DEFINE_SPINLOCK(sroce_atomic_lock);	/* every responder atomic */

static bool sroce_res_due(const struct sroce_res *res)
{
	return res->kind != SROCE_RES_NONE && res->sent < res->npkts;
}

/* The next record after slot @i, in PSN order, with responses due, or -1. */
static int sroce_res_next_due(struct sroce_resp *resp, int i)
{
	int n, j;

	for (n = 1; n < SROCE_RESP_RES; n++) {
		j = (i + n) % SROCE_RESP_RES;
		if (j == resp->res_next)
			break;
		if (sroce_res_due(&resp->res[j]))
			return j;
	}
	return -1;
}

/* A new record; the oldest one makes room for it (struct sroce_res). */
static struct sroce_res *sroce_res_new(struct sroce_resp *resp)
{
	int i = resp->res_next;

	BUILD_BUG_ON(SROCE_RESP_RES < SROCE_MAX_QP_RD_ATOM);
	if (resp->rd_cur == i)
		resp->rd_cur = sroce_res_next_due(resp, i);
	resp->res_next = (i + 1) % SROCE_RESP_RES;
	memset(&resp->res[i], 0, sizeof(resp->res[i]));
	return &resp->res[i];
}

static struct sroce_res *sroce_res_find(struct sroce_resp *resp, u8 kind,
					u32 psn)
{
	struct sroce_res *res;
	int i;

	for (i = 0; i < SROCE_RESP_RES; i++) {
		res = &resp->res[i];
		if (res->kind == kind && sroce_psn_cmp(psn, res->psn) >= 0 &&
		    sroce_psn_cmp(psn, sroce_psn_add(res->psn, res->npkts)) < 0)
			return res;
	}
	return NULL;
}

/*
 * READ responses of one record kept as the units of one UDP GSO skb (tx.h),
 * sent when the record's run ends or a response cannot join.
 * @txb: the skb under construction; txb.skb NULL: empty.
 * @res: their record; @first: the record's response in the first unit.
 */
struct sroce_rd_batch {
	struct sroce_txb txb;
	struct sroce_res *res;
	u32 first;
};

/* sroce_read_packet(): the response was kept in the batch, not sent yet. */
#define SROCE_RD_KEPT	1

/* A batched response's payload is one page fragment of our own. */
#define SROCE_RD_PIECES	1

static u8 sroce_read_opcode(const struct sroce_res *res, u32 k)
{
	if (res->npkts == 1)
		return SROCE_OP_READ_RESP_ONLY;
	if (k == 0)
		return SROCE_OP_READ_RESP_FIRST;
	if (k + 1 == res->npkts)
		return SROCE_OP_READ_RESP_LAST;
	return SROCE_OP_READ_RESP_MIDDLE;
}

/* The transport headers of response @k of @res, and the ICRC over them. */
static void sroce_read_headers(struct sroce_qp *qp, const struct sroce_res *res,
			       u32 k, u8 opcode, struct sroce_txb *txb)
{
	const struct sroce_opinfo *info = sroce_op(opcode);

	sroce_bth_set(txb->hdr, opcode, false, 0, SROCE_DEFAULT_PKEY,
		      qp->params.dest_qpn, false, sroce_psn_add(res->psn, k));
	if (info->off_aeth)
		sroce_aeth_set(txb->hdr + info->off_aeth,
			       SROCE_AETH_ACK_UNLIMITED, qp->resp.msn);
	sroce_tx_seal(txb);
}

/*
 * Builds response @k of @res into @txb, @paylen bytes of @mr (NULL for an
 * empty one) copied into a page fragment of its own when @frag (a unit a
 * GSO skb can take), else into the skb's head.
 */
static int sroce_read_build(struct sroce_qp *qp, const struct sroce_res *res,
			    u32 k, u8 opcode, struct sroce_mr *mr, u32 paylen,
			    bool frag, struct sroce_txb *txb)
{
	struct sroce_dev *sdev = sroce_qp_dev(qp);
	u32 hdr_len = sroce_op(opcode)->hdr_len;
	int err;

	if (frag)
		err = sroce_tx_begin_zcopy(sdev, &qp->path, hdr_len, paylen,
					   txb);
	else
		err = sroce_tx_begin(sdev, &qp->path, hdr_len, paylen, txb);
	if (err)
		return err;
	sroce_read_headers(qp, res, k, opcode, txb);
	if (mr) {
		err = sroce_mr_to_txb(mr, res->va + (u64)k * qp->resp.mtu, txb);
		if (err) {
			sroce_tx_abort(txb);
			return err;
		}
	}
	return 0;
}

/*
 * Adds response res->sent of @res to @batch as its next unit. Returns 0,
 * or -EXDEV when it cannot join: send the batch, then build it on its own.
 */
static int sroce_read_join(struct sroce_qp *qp, struct sroce_res *res,
			   u8 opcode, struct sroce_mr *mr, u32 paylen,
			   struct sroce_rd_batch *batch)
{
	struct sroce_txb *txb = &batch->txb;
	u32 k = res->sent;

	if (batch->res != res || !mr ||
	    sroce_tx_append(txb, sroce_op(opcode)->hdr_len, paylen,
			    SROCE_RD_PIECES))
		return -EXDEV;
	sroce_read_headers(qp, res, k, opcode, txb);
	if (sroce_mr_to_txb(mr, res->va + (u64)k * qp->resp.mtu, txb)) {
		sroce_tx_unappend(txb);
		return -EXDEV;
	}
	return 0;
}

/*
 * Sends response res->sent of a READ, or keeps it in @batch: consecutive
 * responses leave as one GSO skb, each payload copied into a page fragment
 * of our own. Never by reference: the responder's memory may change while
 * a READ of it runs (no verbs rule keeps it still), and a queued frame
 * must carry the bytes its ICRC covers. Returns 0 (sent), SROCE_RD_KEPT,
 * -EXDEV (it cannot join @batch: send that first) or an error.
 */
static int sroce_read_packet(struct sroce_qp *qp, struct sroce_res *res,
			     struct sroce_rd_batch *batch)
{
	struct sroce_dev *sdev = sroce_qp_dev(qp);
	u32 mtu = qp->resp.mtu, k = res->sent, off = k * mtu, paylen;
	u8 opcode = sroce_read_opcode(res, k);
	struct sroce_ref *ref;
	struct sroce_mr *mr;
	struct sroce_txb txb;
	bool frag;
	int err;

	paylen = min(mtu, res->len - off);
	mr = NULL;
	if (paylen) {
		mr = sroce_rkey_get(qp, res->rkey, IB_ACCESS_REMOTE_READ,
				    res->va + off, paylen, &ref);
		if (IS_ERR(mr))
			return PTR_ERR(mr);
	}
	if (batch->txb.skb) {
		err = sroce_read_join(qp, res, opcode, mr, paylen, batch);
		if (!err)
			err = SROCE_RD_KEPT;
		goto out_put;
	}
	/* a lone response (READ RESPONSE ONLY) has nothing to join */
	frag = mr && res->npkts > 1 && sroce_tx_gso_path(sdev, &qp->path);
	err = sroce_read_build(qp, res, k, opcode, mr, paylen, frag, &txb);
	if (frag && (err == -EOPNOTSUPP || err == -EMSGSIZE))
		err = sroce_read_build(qp, res, k, opcode, mr, paylen, false,
				       &txb);
	if (err)
		goto out_put;
	if (txb.zcopy) {
		sroce_tx_gso_begin(sdev, &txb, SROCE_RD_PIECES);
		if (txb.gso) {
			batch->txb = txb;
			batch->res = res;
			batch->first = k;
			err = SROCE_RD_KEPT;
			goto out_put;
		}
	}
	err = sroce_tx_xmit(sdev, &txb);
out_put:
	if (!err || err == SROCE_RD_KEPT) {
		sroce_stat_add(sdev->stats, SENT_BYTES, paylen);
		sroce_stat_qp(&qp->stats, false, paylen);
	}
	if (mr)
		sroce_mr_put(ref);
	return err;
}

static int sroce_atomic_ack(struct sroce_qp *qp, u32 psn, u64 orig)
{
	struct sroce_dev *sdev = sroce_qp_dev(qp);
	const struct sroce_opinfo *info = sroce_op(SROCE_OP_ATOMIC_ACK);
	struct sroce_atmack *ack;
	struct sroce_txb txb;
	int err;

	err = sroce_tx_begin(sdev, &qp->path, info->hdr_len, 0, &txb);
	if (err)
		return err;
	sroce_bth_set(txb.hdr, SROCE_OP_ATOMIC_ACK, false, 0,
		      SROCE_DEFAULT_PKEY, qp->params.dest_qpn, false, psn);
	sroce_aeth_set(txb.hdr + info->off_aeth, SROCE_AETH_ACK_UNLIMITED,
		       qp->resp.msn);
	ack = txb.hdr + info->off_atm;
	ack->orig = cpu_to_be64(orig);
	sroce_tx_seal(&txb);
	sroce_stat_qp(&qp->stats, false, 0);
	return sroce_tx_xmit(sdev, &txb);
}

/*
 * Sends the responses kept in @batch. Returns 0, or -EAGAIN when the
 * netdev refused them and the wait (txwait.h) wakes the work item: their
 * record goes back to the first of them, built again then. Refused for
 * too long, they are lost (a gap the requester asks for again), and the
 * run goes on a tick later.
 */
static int sroce_rd_batch_send(struct sroce_qp *qp,
			       struct sroce_rd_batch *batch,
			       unsigned long *delay, int *budget)
{
	struct sroce_resp *resp = &qp->resp;
	int err;

	err = sroce_tx_xmit(sroce_qp_dev(qp), &batch->txb);
	if (!err) {
		sroce_tx_taken(&resp->txw);
		return 0;
	}
	if (sroce_tx_refused(&resp->txw, err, resp->dead) == SROCE_TX_WAIT) {
		batch->res->sent = batch->first;
		return -EAGAIN;
	}
	*delay = 1;
	*budget = min(*budget, 1);
	return 0;
}

/*
 * Sends up to @budget response packets in PSN order, then the ACK or NAK
 * that waited for them; the work item does the rest. READ responses of
 * one record may leave together (struct sroce_rd_batch): those are sent
 * before the cursor leaves the record, so a refusal takes it back to them.
 */
static void sroce_res_send(struct sroce_qp *qp, int budget)
{
	struct sroce_resp *resp = &qp->resp;
	struct sroce_rd_batch batch = {};
	unsigned long delay = 0;
	struct sroce_res *res;
	int err;

	lockdep_assert_held(&resp->lock);
	while (resp->rd_cur >= 0) {
		res = &resp->res[resp->rd_cur];
		if (!sroce_res_due(res)) {
			if (batch.txb.skb &&
			    sroce_rd_batch_send(qp, &batch, &delay, &budget))
				return;
			resp->rd_cur = sroce_res_next_due(resp, resp->rd_cur);
			continue;
		}
		if (budget <= 0)
			break;
		if (res->kind == SROCE_RES_READ)
			err = sroce_read_packet(qp, res, &batch);
		else if (batch.txb.skb)
			err = -EXDEV;
		else
			err = sroce_atomic_ack(qp, res->psn, res->orig);
		if (err == -EXDEV) {
			if (sroce_rd_batch_send(qp, &batch, &delay, &budget))
				return;
			continue;
		}
		if (err == SROCE_RD_KEPT) {
			res->sent++;
			budget--;
			continue;
		}
		/*
		 * No skb, or no room on the way out: the packet is built again
		 * when the wait (txwait.h) wakes the work item (a skipped
		 * response is a gap the requester must ask for again). Only a
		 * netdev that refuses it for SROCE_TX_PATIENCE_MS loses it,
		 * and then the work item goes on a tick later: a link that
		 * stays down costs a try a tick per packet, not a busy loop.
		 */
		if (sroce_tx_is_refusal(err) &&
		    sroce_tx_refused(&resp->txw, err, resp->dead) ==
		    SROCE_TX_WAIT)
			return;
		if (err == -EAGAIN) {
			err = 0;
			delay = 1;
			budget = 1;
		} else {
			sroce_tx_taken(&resp->txw);
		}
		if (err) {
			/* the region went away under the READ */
			sroce_resp_ack(qp, SROCE_AETH_NAK |
				       SROCE_NAK_REMOTE_ACCESS,
				       sroce_psn_add(res->psn, res->sent));
			res->sent = res->npkts;
			continue;
		}
		res->sent++;
		budget--;
	}
	if (batch.txb.skb && sroce_rd_batch_send(qp, &batch, &delay, &budget))
		return;
	if (resp->rd_cur >= 0) {
		if (!resp->dead)
			queue_delayed_work(system_highpri_wq, &resp->work, delay);
		return;
	}
	if (resp->ack_due) {
		resp->ack_due = false;
		sroce_resp_ack(qp, resp->ack_syn, resp->ack_psn);
	}
}

void sroce_resp_work(struct work_struct *work)
{
	struct sroce_qp *qp = container_of(to_delayed_work(work),
					   struct sroce_qp, resp.work);

	spin_lock_bh(&qp->resp.lock);
	/*
	 * SROCE_RESP_HOLD_BYTES of responses a run, then it queues itself
	 * again: new requests wait for the lock while responses are built.
	 */
	if (!qp->resp.dead && sroce_qp_state(qp) != IB_QPS_ERR)
		sroce_res_send(qp, max_t(u32, SROCE_RESP_HOLD_BYTES /
					 qp->resp.mtu, 1));
	spin_unlock_bh(&qp->resp.lock);
}

/*
 * Sends an ACK or NAK for @psn, or, while responses to earlier requests
 * are still due, keeps it until they are out: an answer to a later PSN
 * that overtook them would tell the requester they were lost.
 */
void sroce_resp_answer(struct sroce_qp *qp, u8 syndrome, u32 psn)
{
	struct sroce_resp *resp = &qp->resp;

	lockdep_assert_held(&resp->lock);
	if (resp->rd_cur < 0) {
		sroce_resp_ack(qp, syndrome, psn);
		return;
	}
	resp->ack_due = true;
	resp->ack_syn = syndrome;
	resp->ack_psn = psn;
}

/*
 * A new record's responses are due: an idle responder sends a burst at
 * once; behind others they go in PSN order, from the work item, so a row
 * of large READs cannot flood the receiver's backlog from one softirq.
 * A READ of SROCE_RESP_AWAY_BYTES or more is answered by the work item on
 * another CPU: copying and CRCing it there leaves this one, where the
 * requests come in (a veth delivers them on the requester's CPU), to the
 * requester, which checks and places the responses. Only where responses
 * leave as GSO skbs: single frames from another CPU, one skb each, would
 * overrun the requester's backlog (rxq.h), which this CPU paces.
 */
static void sroce_res_queue(struct sroce_qp *qp, struct sroce_res *res)
{
	struct sroce_resp *resp = &qp->resp;
	int cpu;

	if (resp->rd_cur >= 0)
		return;
	resp->rd_cur = res - resp->res;
	cpu = -1;
	if (res->kind == SROCE_RES_READ && res->len >= SROCE_RESP_AWAY_BYTES &&
	    sroce_tx_gso_path(sroce_qp_dev(qp), &qp->path))
		cpu = sroce_rxq_other_cpu();
	WRITE_ONCE(resp->work_cpu, cpu);
	if (cpu < 0) {
		sroce_res_send(qp, SROCE_RESP_BURST);
		return;
	}
	if (!resp->dead)
		queue_delayed_work_on(cpu, system_highpri_wq, &resp->work, 0);
}

/**
 * sroce_resp_rx_cpu() - where a request for @qp is best handled
 * @qp: the QP, referenced; resp.lock not held (a racy read: a hint).
 *
 * Returns the CPU the work item answers a large READ on while responses
 * are due and that is not this CPU, else -1. The rx handler queues
 * requests there (rxq.h): they would wait for resp.lock here while the
 * work item builds responses under it.
 */
int sroce_resp_rx_cpu(struct sroce_qp *qp)
{
	/* rd_cur changes under resp.lock; a stale value costs a detour */
	if (data_race(qp->resp.rd_cur) < 0)
		return -1;
	return sroce_rxq_away_cpu(READ_ONCE(qp->resp.work_cpu));
}

/* A duplicate asks for @res again from its response @k on. */
static void sroce_res_replay(struct sroce_qp *qp, struct sroce_res *res, u32 k)
{
	struct sroce_resp *resp = &qp->resp;
	bool idle = resp->rd_cur < 0;

	res->sent = min(res->sent, k);
	/* the cursor only moves back: what is before it was all answered */
	if (idle || sroce_psn_cmp(res->psn, resp->res[resp->rd_cur].psn) < 0)
		resp->rd_cur = res - resp->res;
	sroce_res_send(qp, idle ? SROCE_RESP_BURST : 0);
}

/*
 * Records the READ of @len bytes (0: one empty response) at @psn and
 * queues its responses; epsn moves past all of them.
 */
static void sroce_res_read_new(struct sroce_qp *qp, u32 psn, u64 va,
			       u32 rkey, u32 len)
{
	struct sroce_resp *resp = &qp->resp;
	struct sroce_res *res;

	res = sroce_res_new(resp);
	res->kind = SROCE_RES_READ;
	res->psn = psn;
	res->npkts = len ? DIV_ROUND_UP(len, resp->mtu) : 1;
	res->va = va;
	res->rkey = rkey;
	res->len = len;
	resp->epsn = sroce_psn_add(psn, res->npkts);
	resp->msn = (resp->msn + 1) & SROCE_AETH_MSN_MASK;
	sroce_res_queue(qp, res);
}

enum sroce_resp_verdict sroce_resp_read(struct sroce_qp *qp,
					struct sroce_pkt *pkt)
{
	const struct sroce_reth *reth = sroce_pkt_ext(pkt, pkt->op->off_reth);
	u64 va = be64_to_cpu(reth->va);
	u32 rkey = be32_to_cpu(reth->rkey), len = be32_to_cpu(reth->len);
	struct sroce_ref *ref;
	struct sroce_mr *mr;

	if (len > SROCE_MAX_MSG_SIZE)
		return SROCE_RESP_INVALID;
	/* a zero-length READ names no memory: its key is not checked */
	if (len) {
		mr = sroce_rkey_get(qp, rkey, IB_ACCESS_REMOTE_READ, va, len,
				    &ref);
		if (IS_ERR(mr))
			return SROCE_RESP_ACCESS;
		sroce_mr_put(ref);
	}
	sroce_res_read_new(qp, pkt->psn, va, rkey, len);
	return SROCE_RESP_OK;
}

/* A READ again: answer it again from the PSN asked, re-checking the key. */
void sroce_resp_read_dup(struct sroce_qp *qp, struct sroce_pkt *pkt)
{
	const struct sroce_reth *reth = sroce_pkt_ext(pkt, pkt->op->off_reth);
	struct sroce_resp *resp = &qp->resp;
	struct sroce_res *res;
	u32 k;

	res = sroce_res_find(resp, SROCE_RES_READ, pkt->psn);
	if (!res || be32_to_cpu(reth->rkey) != res->rkey)
		return;
	k = (pkt->psn - res->psn) & SROCE_PSN_MASK;
	if (be64_to_cpu(reth->va) != res->va + (u64)k * resp->mtu)
		return;
	sroce_res_replay(qp, res, k);
}

/* @swap_add: for an ATOMIC WRITE, the 8 bytes as they came (no byte order) */
struct sroce_atomic_ctx {
	u8 opcode;
	u64 swap_add;
	u64 compare;
	u64 orig;
};

static int sroce_atomic_exec(void *ctx, void *va, u32 n)
{
	struct sroce_atomic_ctx *c = ctx;
	u64 *p = va;

	if (n != sizeof(u64))
		return -EINVAL;
	spin_lock_bh(&sroce_atomic_lock);
	c->orig = READ_ONCE(*p);
	if (c->opcode == SROCE_OP_FETCH_ADD)
		WRITE_ONCE(*p, c->orig + c->swap_add);
	else if (c->opcode == SROCE_OP_ATOMIC_WRITE || c->orig == c->compare)
		WRITE_ONCE(*p, c->swap_add);
	spin_unlock_bh(&sroce_atomic_lock);
	return 0;
}

/* Executes @c on the 8 bytes at @va that @rkey grants @access to. */
static int sroce_atomic_run(struct sroce_qp *qp, u32 rkey, int access, u64 va,
			    struct sroce_atomic_ctx *c)
{
	struct sroce_ref *ref;
	struct sroce_mr *mr;
	int err;

	mr = sroce_rkey_get(qp, rkey, access, va, sizeof(u64), &ref);
	if (IS_ERR(mr))
		return PTR_ERR(mr);
	err = sroce_mr_iter(mr, va, sizeof(u64), sroce_atomic_exec, c);
	sroce_mr_put(ref);
	return err;
}

enum sroce_resp_verdict sroce_resp_atomic(struct sroce_qp *qp,
					  struct sroce_pkt *pkt)
{
	const struct sroce_atmeth *atm = sroce_pkt_ext(pkt, pkt->op->off_atm);
	struct sroce_resp *resp = &qp->resp;
	struct sroce_atomic_ctx c = {
		.opcode = pkt->opcode,
		.swap_add = be64_to_cpu(atm->swap_add),
		.compare = be64_to_cpu(atm->compare),
	};
	u64 va = be64_to_cpu(atm->va);
	struct sroce_res *res;

	if (va & (sizeof(u64) - 1))
		return SROCE_RESP_INVALID;
	if (sroce_atomic_run(qp, be32_to_cpu(atm->rkey), IB_ACCESS_REMOTE_ATOMIC,
			     va, &c))
		return SROCE_RESP_ACCESS;

	/* recorded always: a duplicate is answered, never executed again */
	res = sroce_res_new(resp);
	res->kind = SROCE_RES_ATOMIC;
	res->psn = pkt->psn;
	res->npkts = 1;
	res->orig = c.orig;
	resp->epsn = sroce_psn_add(pkt->psn, 1);
	resp->msn = (resp->msn + 1) & SROCE_AETH_MSN_MASK;
	sroce_res_queue(qp, res);
	return SROCE_RESP_OK;
}

/*
 * An ATOMIC WRITE (IBTA 1.5): 8 bytes to an aligned address as one store,
 * which no ATOMIC on any sroce device sees half done. Needs the rights of a
 * WRITE; answered, and a duplicate answered again, as a WRITE is.
 */
enum sroce_resp_verdict sroce_resp_atomic_write(struct sroce_qp *qp,
						struct sroce_pkt *pkt)
{
	const struct sroce_reth *reth = sroce_pkt_ext(pkt, pkt->op->off_reth);
	struct sroce_atomic_ctx c = { .opcode = SROCE_OP_ATOMIC_WRITE };
	struct sroce_resp *resp = &qp->resp;
	u64 va = be64_to_cpu(reth->va);

	if (be32_to_cpu(reth->len) != sizeof(u64) ||
	    pkt->paylen != sizeof(u64) || (va & (sizeof(u64) - 1)))
		return SROCE_RESP_INVALID;
	if (skb_copy_bits(pkt->skb, pkt->pay_off, &c.swap_add, sizeof(u64)))
		return SROCE_RESP_INVALID;
	if (sroce_atomic_run(qp, be32_to_cpu(reth->rkey), IB_ACCESS_REMOTE_WRITE,
			     va, &c))
		return SROCE_RESP_ACCESS;
	resp->msn = (resp->msn + 1) & SROCE_AETH_MSN_MASK;
	return SROCE_RESP_OK;
}

/*
 * A FLUSH (IBTA 1.5): make what was written to the range (or the whole MR)
 * visible. A soft device's writes are CPU stores, visible to every CPU once
 * done, and every earlier request was executed before this one: a barrier
 * is all. Persistence would need an MR on persistent memory, which sroce
 * never grants (no IB_DEVICE_FLUSH_PERSISTENT), so the key check refuses
 * it. Answered, in PSN order behind the READs before it, by a READ
 * response of 0 bytes: recorded as a 0-byte READ, so a duplicate is
 * answered again the same way.
 */
enum sroce_resp_verdict sroce_resp_rdma_flush(struct sroce_qp *qp,
					      struct sroce_pkt *pkt)
{
	const struct sroce_feth *feth = sroce_pkt_ext(pkt, pkt->op->off_feth);
	const struct sroce_reth *reth = sroce_pkt_ext(pkt, pkt->op->off_reth);
	u32 plt = sroce_feth_plt(feth), sel = sroce_feth_sel(feth);
	u32 rkey = be32_to_cpu(reth->rkey), len = be32_to_cpu(reth->len);
	struct sroce_resp *resp = &qp->resp;
	u64 va = be64_to_cpu(reth->va);
	int access = 0;

	if (!sroce_feth_valid(plt, sel))
		return SROCE_RESP_INVALID;
	if (plt & SROCE_FLUSH_PLT_GLOBAL)
		access |= SROCE_ACCESS_FLUSH_GLOBAL;
	if (plt & SROCE_FLUSH_PLT_PERSIST)
		access |= SROCE_ACCESS_FLUSH_PERSISTENT;
	/* each placement type asked for: the QP enables it, the key grants it */
	if ((resp->access & access) != access)
		return SROCE_RESP_INVALID;
	if (sroce_rkey_flush(qp, rkey, access, va, len,
			     sel == SROCE_FLUSH_SEL_MR))
		return SROCE_RESP_ACCESS;
	smp_mb();	/* the executed writes before the answer */

	sroce_res_read_new(qp, pkt->psn, va, rkey, 0);
	return SROCE_RESP_OK;
}

/* An ATOMIC again: never executed twice, answered with its first result. */
void sroce_resp_atomic_dup(struct sroce_qp *qp, struct sroce_pkt *pkt)
{
	struct sroce_res *res;

	res = sroce_res_find(&qp->resp, SROCE_RES_ATOMIC, pkt->psn);
	if (res)
		sroce_res_replay(qp, res, 0);
}

/* Nothing more is answered: the error state, or RESET (@forget: records). */
void sroce_resp_rd_reset(struct sroce_resp *resp, bool forget)
{
	lockdep_assert_held(&resp->lock);
	resp->rd_cur = -1;
	resp->ack_due = false;
	sroce_tx_wait_reset(&resp->txw);
	if (!forget)
		return;
	resp->res_next = 0;
	memset(resp->res, 0, sizeof(resp->res));
}
