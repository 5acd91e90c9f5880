// SPDX-License-Identifier: GPL-2.0
/*
 * sroce: the responder for RC, UC and UD: request packets, in PSN order,
 * into receive WQEs and memory regions; ACKs and NAKs back. READs and
 * ATOMICs are in resp_rd.c. Locking and contexts: resp.h.
 */
#include <linux/if_vlan.h>
#include <linux/ip.h>
#include <linux/ipv6.h>

#include "compat.h"
#include "cq.h"
#include "memops.h"
#include "qp.h"
#include "resp.h"
#include "rx.h"
#include "srq.h"
#include "stats.h"
#include "verbs.h"
#include "wire.h"
#include "wqe.h"

/* --- ACKs and NAKs ----------------------------------------------------- */

/* Sends an ACK, NAK or RNR NAK carrying @syndrome for @psn. */
void sroce_resp_ack(struct sroce_qp *qp, u8 syndrome, u32 psn)
{
	struct sroce_dev *sdev = sroce_qp_dev(qp);
	const struct sroce_opinfo *info = sroce_op(SROCE_OP_ACK);
	struct sroce_resp *resp = &qp->resp;
	struct sroce_txb txb;
	int err;

	lockdep_assert_held(&resp->lock);
	err = sroce_tx_begin(sdev, &qp->path, info->hdr_len, 0, &txb);
	if (!err) {
		sroce_bth_set(txb.hdr, SROCE_OP_ACK, false, 0,
			      SROCE_DEFAULT_PKEY, qp->params.dest_qpn, false,
			      psn);
		sroce_aeth_set(txb.hdr + info->off_aeth, syndrome, resp->msn);
		sroce_tx_seal(&txb);
		if ((syndrome & SROCE_AETH_TYPE_MASK) == SROCE_AETH_NAK)
			sroce_stat_inc(sdev->stats, NAKS_SENT);
		sroce_stat_qp(&qp->stats, false, 0);
		err = sroce_tx_xmit(sdev, &txb);
	}
	if (!sroce_tx_is_refusal(err)) {
		/* a refused one still waiting is covered by this one */
		if (resp->rd_cur < 0)
			resp->ack_due = false;
		return;
	}
	/*
	 * Refused: the last ACK of a burst lost here would leave the
	 * requester waiting for its retransmit timer. It goes out when the
	 * wait ends (sroce_res_send() sends ack_due), unless a later one
	 * has by then.
	 */
	resp->ack_due = true;
	resp->ack_syn = syndrome;
	resp->ack_psn = psn;
	if (sroce_tx_refused(&resp->txw, err, resp->dead) == SROCE_TX_LOST)
		resp->ack_due = false;
}

static void sroce_resp_nak(struct sroce_qp *qp, enum sroce_nak_code code,
			   u32 psn)
{
	sroce_resp_ack(qp, SROCE_AETH_NAK | code, psn);
}

/* --- receive WQEs ------------------------------------------------------ */

/*
 * Makes resp.wqe the receive WQE for the next message: the RQ's head (left
 * in the ring until the message completes) or one popped from the SRQ.
 * Returns 0, -ENOENT when none is posted, -EINVAL for a malformed one
 * (consumed; *@bad_wr_id says whose).
 */
static int sroce_resp_get_wqe(struct sroce_qp *qp, struct sroce_kick *kick)
{
	struct sroce_resp *resp = &qp->resp;
	const struct rxe_recv_wqe *slot;
	struct sroce_srq *srq;
	int err;

	if (resp->have_wqe)
		return 0;
	if (qp->ibqp.srq) {
		srq = to_ssrq(qp->ibqp.srq);
		err = sroce_srq_pop_wqe(srq, (struct rxe_recv_wqe *)resp->scratch,
					sizeof(resp->scratch));
		if (err == -ENOENT)
			return err;
		kick->srq = srq;
		err = sroce_rwqe_copy(&resp->wqe,
				      (struct rxe_recv_wqe *)resp->scratch,
				      srq->max_sge) ?: err;
	} else {
		slot = sroce_queue_consumer_addr(&qp->rq);
		if (!slot)
			return -ENOENT;
		err = sroce_rwqe_copy(&resp->wqe, slot, qp->cap.max_recv_sge);
	}
	resp->have_wqe = true;
	return err;
}

/* Completes resp.wqe with @wc (wr_id and qp filled in here), consumes it. */
static void sroce_resp_complete(struct sroce_qp *qp, struct ib_wc *wc,
				bool solicited, struct sroce_kick *kick)
{
	struct sroce_resp *resp = &qp->resp;

	wc->wr_id = resp->wqe.wr_id;
	wc->qp = &qp->ibqp;
	wc->port_num = SROCE_PORT;
	if (!qp->ibqp.srq)
		sroce_queue_advance_consumer(&qp->rq);
	resp->have_wqe = false;
	if (wc->status == IB_WC_SUCCESS)
		sroce_stat_inc(sroce_qp_dev(qp)->stats, RDMA_RECV);
	sroce_qp_post_wc(qp, to_scq(qp->ibqp.recv_cq), wc, solicited, kick);
}

/*
 * The message under way cannot be placed (@status says why). RC: its
 * receive WQE completes with @status and the QP goes to the error state
 * (IBTA class C; the requester gets a NAK). UD and UC (classes D and E):
 * only this message is lost, never the QP. Its WQE completes with @status,
 * unless @keep_wqe (the message, not the WQE, was at fault) and it is the
 * head of the QP's own RQ: that one stays for the next message.
 */
static void sroce_resp_fail_wqe(struct sroce_qp *qp, enum ib_wc_status status,
				bool keep_wqe, struct sroce_kick *kick)
{
	struct ib_wc wc = {
		.status = status,
		.opcode = IB_WC_RECV,
	};

	if (qp->ibqp.qp_type != IB_QPT_RC) {
		qp->resp.in_msg = false;
		qp->resp.msg_off = 0;
		if (keep_wqe && !qp->ibqp.srq)
			return;
		sroce_resp_complete(qp, &wc, false, kick);
		return;
	}
	sroce_resp_complete(qp, &wc, false, kick);
	sroce_qp_error(qp);
}

/* --- SEND and WRITE ---------------------------------------------------- */

/*
 * A SEND Middle or Last may come with its ICRC still due (rx.h): it is
 * copied into the receive WQE of the SEND under way with its payload
 * CRCed in the same pass. Anything that would consume or fail a WQE waits
 * for the whole ICRC first.
 */
static enum sroce_resp_verdict sroce_resp_send(struct sroce_qp *qp,
					       struct sroce_pkt *pkt,
					       struct sroce_kick *kick)
{
	struct sroce_dev *sdev = sroce_qp_dev(qp);
	struct sroce_resp *resp = &qp->resp;
	u32 flags = pkt->op->flags;
	struct ib_wc wc = {};
	int err;
	u32 crc;

	if (!resp->have_wqe && !sroce_pkt_icrc_settle(pkt))
		return SROCE_RESP_DROP;
	err = sroce_resp_get_wqe(qp, kick);
	if (err == -ENOENT)
		return SROCE_RESP_RNR;
	if (err) {
		sroce_resp_fail_wqe(qp, IB_WC_LOC_LEN_ERR, false, kick);
		return SROCE_RESP_OP_ERR;
	}
	if (pkt->paylen > resp->wqe.length - resp->msg_off) {
		if (!sroce_pkt_icrc_settle(pkt))
			return SROCE_RESP_DROP;
		sroce_resp_fail_wqe(qp, IB_WC_LOC_LEN_ERR, true, kick);
		return SROCE_RESP_INVALID;
	}
	if (pkt->paylen) {
		crc = pkt->icrc;
		err = sroce_sge_from_skb(sdev, qp->ibqp.pd, resp->wqe.sge,
					 resp->wqe.num_sge, resp->msg_off,
					 pkt->skb, pkt->pos, pkt->pay_off,
					 pkt->paylen,
					 pkt->icrc_due ? &crc : NULL);
		if (!sroce_pkt_icrc_copied(pkt, err, crc))
			return SROCE_RESP_DROP;
		if (err) {
			sroce_resp_fail_wqe(qp, IB_WC_LOC_PROT_ERR, false,
					    kick);
			return SROCE_RESP_OP_ERR;
		}
	}
	if (!sroce_pkt_icrc_settle(pkt))
		return SROCE_RESP_DROP;
	resp->msg_off += pkt->paylen;
	if (!(flags & SROCE_OPF_LAST)) {
		resp->in_msg = true;
		resp->msg_write = false;
		return SROCE_RESP_OK;
	}

	wc.status = IB_WC_SUCCESS;
	wc.opcode = IB_WC_RECV;
	wc.byte_len = resp->msg_off;
	wc.src_qp = qp->params.dest_qpn;
	if (flags & SROCE_OPF_IMM) {
		wc.wc_flags |= IB_WC_WITH_IMM;
		wc.ex.imm_data = sroce_pkt_imm(pkt);
	}
	if (flags & SROCE_OPF_IETH) {
		u32 rkey = be32_to_cpu(((struct sroce_ieth *)
					sroce_pkt_ext(pkt, pkt->op->off_ieth))->rkey);

		wc.wc_flags |= IB_WC_WITH_INVALIDATE;
		wc.ex.invalidate_rkey = rkey;
		if (sroce_rkey_invalidate(qp, rkey))
			wc.status = IB_WC_LOC_QP_OP_ERR;
	}
	resp->in_msg = false;
	resp->msg_off = 0;
	resp->msn = (resp->msn + 1) & SROCE_AETH_MSN_MASK;
	sroce_resp_complete(qp, &wc, pkt->se, kick);
	return SROCE_RESP_OK;
}

static enum sroce_resp_verdict
sroce_resp_write_held(struct sroce_qp *qp, struct sroce_pkt *pkt,
		      struct sroce_rkey_hold *hold, struct sroce_kick *kick)
{
	struct sroce_resp *resp = &qp->resp;
	u32 flags = pkt->op->flags;
	struct sroce_mr *mr;
	struct ib_wc wc = {};
	int err;
	u32 crc;

	if (flags & SROCE_OPF_FIRST) {
		const struct sroce_reth *reth =
			sroce_pkt_ext(pkt, pkt->op->off_reth);

		resp->wva = be64_to_cpu(reth->va);
		resp->wrkey = be32_to_cpu(reth->rkey);
		resp->wlen = be32_to_cpu(reth->len);
		resp->msg_off = 0;
		if (resp->wlen > SROCE_MAX_MSG_SIZE)
			return SROCE_RESP_INVALID;
		/* the whole message's range, once; an ONLY packet is all of it */
		if (!(flags & SROCE_OPF_LAST) || pkt->paylen != resp->wlen) {
			mr = sroce_rkey_get_held(qp, hold, resp->wrkey,
						 IB_ACCESS_REMOTE_WRITE,
						 resp->wva, resp->wlen);
			if (IS_ERR(mr))
				return SROCE_RESP_ACCESS;
		}
	}
	if (pkt->paylen > resp->wlen - resp->msg_off)
		return SROCE_RESP_INVALID;
	if ((flags & SROCE_OPF_LAST) &&
	    resp->msg_off + pkt->paylen != resp->wlen)
		return SROCE_RESP_INVALID;
	/* a WRITE with immediate needs its receive WQE before any effect */
	if (flags & SROCE_OPF_IMM) {
		err = sroce_resp_get_wqe(qp, kick);
		if (err == -ENOENT)
			return SROCE_RESP_RNR;
		if (err) {
			sroce_resp_fail_wqe(qp, IB_WC_LOC_LEN_ERR, false, kick);
			return SROCE_RESP_OP_ERR;
		}
	}
	if (pkt->paylen) {
		mr = sroce_rkey_get_held(qp, hold, resp->wrkey,
					 IB_ACCESS_REMOTE_WRITE,
					 resp->wva + resp->msg_off,
					 pkt->paylen);
		if (IS_ERR(mr))
			return SROCE_RESP_ACCESS;
		crc = pkt->icrc;
		err = sroce_mr_from_skb(mr, resp->wva + resp->msg_off,
					pkt->skb, pkt->pos, pkt->pay_off,
					pkt->paylen, pkt->icrc_due ? &crc : NULL);
		if (!sroce_pkt_icrc_copied(pkt, err, crc))
			return SROCE_RESP_DROP;
		if (err)
			return SROCE_RESP_ACCESS;
	}
	if (!sroce_pkt_icrc_settle(pkt))
		return SROCE_RESP_DROP;
	resp->msg_off += pkt->paylen;
	if (!(flags & SROCE_OPF_LAST)) {
		resp->in_msg = true;
		resp->msg_write = true;
		return SROCE_RESP_OK;
	}
	resp->in_msg = false;
	resp->msn = (resp->msn + 1) & SROCE_AETH_MSN_MASK;
	if (flags & SROCE_OPF_IMM) {
		wc.status = IB_WC_SUCCESS;
		wc.opcode = IB_WC_RECV_RDMA_WITH_IMM;
		wc.byte_len = resp->wlen;
		wc.src_qp = qp->params.dest_qpn;
		wc.wc_flags = IB_WC_WITH_IMM;
		wc.ex.imm_data = sroce_pkt_imm(pkt);
		sroce_resp_complete(qp, &wc, pkt->se, kick);
	}
	resp->msg_off = 0;
	return SROCE_RESP_OK;
}

/*
 * The units of one GSO skb share the MR of the WRITE they continue
 * (@pkt->hold), so a WRITE costs a key lookup per skb, not per packet.
 */
static enum sroce_resp_verdict sroce_resp_write(struct sroce_qp *qp,
						struct sroce_pkt *pkt,
						struct sroce_kick *kick)
{
	struct sroce_rkey_hold one = {};
	enum sroce_resp_verdict v;

	if (pkt->hold)
		return sroce_resp_write_held(qp, pkt, pkt->hold, kick);
	v = sroce_resp_write_held(qp, pkt, &one, kick);
	sroce_rkey_release(&one);
	return v;
}

/* The opcode continues the message under way, or starts one. */
static bool sroce_resp_in_order(struct sroce_resp *resp, u32 flags)
{
	if (!resp->in_msg)
		return flags & SROCE_OPF_FIRST;
	if (flags & SROCE_OPF_FIRST)
		return false;
	return resp->msg_write ? flags & SROCE_OPF_WRITE :
				 flags & SROCE_OPF_SEND;
}

/* Payload sizes: every packet but the last of a message is one full MTU. */
static bool sroce_resp_len_ok(const struct sroce_resp *resp,
			      const struct sroce_pkt *pkt)
{
	u32 flags = pkt->op->flags;

	if (!(flags & SROCE_OPF_PAYLOAD))
		return !pkt->paylen;
	if (!(flags & SROCE_OPF_LAST))
		return pkt->paylen == resp->mtu;
	return pkt->paylen <= resp->mtu;
}

/* The QP's attributes allow this request (IBTA 9.7.5.1.x, 10.2.x). */
static bool sroce_resp_allowed(const struct sroce_resp *resp, u32 flags)
{
	if (flags & SROCE_OPF_FLUSH)
		return resp->max_rd &&
		       (resp->access & (SROCE_ACCESS_FLUSH_GLOBAL |
					SROCE_ACCESS_FLUSH_PERSISTENT));
	if (flags & SROCE_OPF_WRITE)
		return resp->access & IB_ACCESS_REMOTE_WRITE;
	if (flags & SROCE_OPF_READ)
		return resp->max_rd && (resp->access & IB_ACCESS_REMOTE_READ);
	if (flags & SROCE_OPF_ATOMIC)
		return resp->max_rd &&
		       (resp->access & IB_ACCESS_REMOTE_ATOMIC);
	return true;
}

/* --- RC ---------------------------------------------------------------- */

static void sroce_resp_dup(struct sroce_qp *qp, struct sroce_pkt *pkt)
{
	struct sroce_resp *resp = &qp->resp;
	u32 flags = pkt->op->flags;

	sroce_stat_inc(sroce_qp_dev(qp)->stats, DUP_REQ);
	if (!sroce_resp_allowed(resp, flags))
		return;
	if (flags & (SROCE_OPF_READ | SROCE_OPF_FLUSH)) {
		sroce_resp_read_dup(qp, pkt);
		return;
	}
	if (flags & SROCE_OPF_ATOMIC) {
		sroce_resp_atomic_dup(qp, pkt);
		return;
	}
	/* executed already: say again how far we got */
	sroce_resp_answer(qp, SROCE_AETH_ACK_UNLIMITED,
			  sroce_psn_add(resp->epsn, SROCE_PSN_MASK));
}

static void sroce_resp_rc(struct sroce_qp *qp, struct sroce_pkt *pkt,
			  struct sroce_kick *kick)
{
	struct sroce_dev *sdev = sroce_qp_dev(qp);
	struct sroce_resp *resp = &qp->resp;
	u32 flags = pkt->op->flags;
	enum sroce_resp_verdict v;
	int diff;

	diff = sroce_psn_cmp(pkt->psn, resp->epsn);
	/*
	 * Only sroce_resp_write() places a packet before its ICRC is checked
	 * (rx.h): one at the expected PSN, once every check below passed.
	 */
	if (diff && !sroce_pkt_icrc_settle(pkt))
		return;
	if (diff > 0) {
		sroce_stat_inc(sdev->stats, OUT_OF_SEQ_REQ);
		if (!resp->nak_sent) {
			resp->nak_sent = true;
			sroce_resp_answer(qp, SROCE_AETH_NAK | SROCE_NAK_PSN_SEQ,
					  resp->epsn);
		}
		return;
	}
	if (diff < 0) {
		sroce_resp_dup(qp, pkt);
		return;
	}
	if (!sroce_resp_in_order(resp, flags) || !sroce_resp_len_ok(resp, pkt)) {
		v = SROCE_RESP_INVALID;
	} else if (!sroce_resp_allowed(resp, flags)) {
		if (sroce_pkt_icrc_settle(pkt))
			sroce_stat_inc(sdev->stats, RX_DROP_NO_ACCESS);
		v = SROCE_RESP_INVALID;
	} else if (flags & SROCE_OPF_SEND) {
		v = sroce_resp_send(qp, pkt, kick);
	} else if (flags & SROCE_OPF_FLUSH) {
		v = sroce_resp_rdma_flush(qp, pkt);
	} else if (pkt->opcode == SROCE_OP_ATOMIC_WRITE) {
		v = sroce_resp_atomic_write(qp, pkt);
	} else if (flags & SROCE_OPF_WRITE) {
		v = sroce_resp_write(qp, pkt, kick);
	} else if (flags & SROCE_OPF_READ) {
		v = sroce_resp_read(qp, pkt);
	} else {
		v = sroce_resp_atomic(qp, pkt);
	}
	/* a bad packet is neither answered nor breaks the QP */
	if (v == SROCE_RESP_DROP || !sroce_pkt_icrc_settle(pkt))
		return;
	resp->nak_sent = false;

	switch (v) {
	case SROCE_RESP_OK:
		if (flags & (SROCE_OPF_READ | SROCE_OPF_ATOMIC |
			     SROCE_OPF_FLUSH))
			return;	/* epsn moved past the whole request */
		resp->epsn = sroce_psn_add(resp->epsn, 1);
		if (pkt->ackreq)
			sroce_resp_answer(qp, SROCE_AETH_ACK_UNLIMITED,
					  pkt->psn);
		return;
	case SROCE_RESP_RNR:
		sroce_stat_inc(sdev->stats, SND_RNR_ERR);
		sroce_resp_answer(qp, SROCE_AETH_RNR_NAK |
				  (qp->params.min_rnr_timer &
				   SROCE_AETH_VAL_MASK), pkt->psn);
		return;
	case SROCE_RESP_INVALID:
		sroce_resp_nak(qp, SROCE_NAK_INVALID_REQ, pkt->psn);
		break;
	case SROCE_RESP_ACCESS:
		sroce_resp_nak(qp, SROCE_NAK_REMOTE_ACCESS, pkt->psn);
		break;
	case SROCE_RESP_OP_ERR:
		sroce_resp_nak(qp, SROCE_NAK_REMOTE_OP, pkt->psn);
		break;
	case SROCE_RESP_DROP:
		return;
	}
	/* class C errors: this QP cannot go on either */
	resp->in_msg = false;
	sroce_qp_error(qp);
}

/* --- UC ---------------------------------------------------------------- */

static void sroce_resp_uc(struct sroce_qp *qp, struct sroce_pkt *pkt,
			  struct sroce_kick *kick)
{
	struct sroce_resp *resp = &qp->resp;
	u32 flags = pkt->op->flags;
	enum sroce_resp_verdict v;

	/* a gap loses the message under way; resynchronize on this PSN */
	if (pkt->psn != resp->epsn)
		resp->in_msg = false;
	resp->epsn = sroce_psn_add(pkt->psn, 1);
	if (resp->in_msg && (flags & SROCE_OPF_FIRST))
		resp->in_msg = false;
	if (!sroce_resp_in_order(resp, flags) || !sroce_resp_len_ok(resp, pkt))
		return;
	if (!sroce_resp_allowed(resp, flags)) {
		sroce_stat_inc(sroce_qp_dev(qp)->stats, RX_DROP_NO_ACCESS);
		resp->in_msg = false;
		return;
	}
	if (!resp->in_msg)
		resp->msg_off = 0;
	if (flags & SROCE_OPF_SEND)
		v = sroce_resp_send(qp, pkt, kick);
	else
		v = sroce_resp_write(qp, pkt, kick);
	/* UC has no NAKs: whatever went wrong drops the message */
	if (v != SROCE_RESP_OK) {
		sroce_stat_inc(sroce_qp_dev(qp)->stats, RX_DROP_MSG);
		resp->in_msg = false;
		resp->msg_off = 0;
	}
}

/* --- UD ---------------------------------------------------------------- */

static void sroce_resp_ud(struct sroce_qp *qp, struct sroce_pkt *pkt,
			  struct sroce_kick *kick)
{
	const struct sroce_deth *deth = sroce_pkt_ext(pkt, pkt->op->off_deth);
	struct sroce_dev *sdev = sroce_qp_dev(qp);
	struct sroce_resp *resp = &qp->resp;
	u8 grh[SROCE_GRH_SIZE] = {};
	struct ib_wc wc = {};
	int err;

	if (be32_to_cpu(deth->qkey) != qp->params.qkey) {
		sroce_stat_inc(sdev->stats, RX_DROP_BAD_HEADER);
		return;
	}
	err = sroce_resp_get_wqe(qp, kick);
	if (err == -ENOENT) {
		sroce_stat_inc(sdev->stats, RCV_RNR_ERR);
		return;
	}
	if (err) {
		sroce_stat_inc(sdev->stats, RX_DROP_MSG);
		sroce_resp_fail_wqe(qp, IB_WC_LOC_LEN_ERR, false, kick);
		return;
	}
	if (resp->wqe.length < SROCE_GRH_SIZE ||
	    pkt->paylen > resp->wqe.length - SROCE_GRH_SIZE) {
		sroce_stat_inc(sdev->stats, RX_DROP_MSG);
		sroce_resp_fail_wqe(qp, IB_WC_LOC_LEN_ERR, true, kick);
		return;
	}

	/* the GRH's place holds the IP header: IPv4 in its last 20 bytes */
	if (pkt->ipv6)
		memcpy(grh, skb_network_header(pkt->skb), sizeof(struct ipv6hdr));
	else
		memcpy(grh + SROCE_GRH_SIZE - sizeof(struct iphdr),
		       skb_network_header(pkt->skb), sizeof(struct iphdr));
	if (sroce_sge_copy(sdev, qp->ibqp.pd, resp->wqe.sge, resp->wqe.num_sge,
			   0, grh, sizeof(grh), SROCE_COPY_TO_MR) ||
	    (pkt->paylen &&
	     sroce_sge_from_skb(sdev, qp->ibqp.pd, resp->wqe.sge,
				resp->wqe.num_sge, SROCE_GRH_SIZE, pkt->skb,
				pkt->pos, pkt->pay_off, pkt->paylen, NULL))) {
		sroce_stat_inc(sdev->stats, RX_DROP_MSG);
		sroce_resp_fail_wqe(qp, IB_WC_LOC_PROT_ERR, false, kick);
		return;
	}

	wc.status = IB_WC_SUCCESS;
	wc.opcode = IB_WC_RECV;
	wc.byte_len = SROCE_GRH_SIZE + pkt->paylen;
	wc.src_qp = sroce_deth_sqpn(deth);
	wc.wc_flags = IB_WC_GRH | IB_WC_WITH_NETWORK_HDR_TYPE | IB_WC_WITH_SMAC;
	wc.network_hdr_type = pkt->ipv6 ? RDMA_NETWORK_IPV6 : RDMA_NETWORK_IPV4;
	memcpy(wc.smac, pkt->smac, ETH_ALEN);
	/* rdma_cm's reply AH picks the GID of this VLAN by it */
	if (pkt->vlan_id < VLAN_N_VID) {
		wc.wc_flags |= IB_WC_WITH_VLAN;
		wc.vlan_id = pkt->vlan_id;
	}
	if (pkt->op->flags & SROCE_OPF_IMM) {
		wc.wc_flags |= IB_WC_WITH_IMM;
		wc.ex.imm_data = sroce_pkt_imm(pkt);
	}
	sroce_resp_complete(qp, &wc, pkt->se, kick);
}

/**
 * sroce_resp_rx() - a request packet for @qp
 * @qp: the QP, referenced by the caller.
 * @pkt: the checked packet; its opcode matches the QP's type.
 *
 * Softirq. Takes resp.lock; calls the handlers it made due after.
 */
void sroce_resp_rx(struct sroce_qp *qp, struct sroce_pkt *pkt)
{
	struct sroce_resp *resp = &qp->resp;
	struct sroce_kick kick = {};
	enum ib_qp_state state;

	spin_lock_bh(&resp->lock);
	state = sroce_qp_state(qp);
	if (resp->dead || state < IB_QPS_RTR || state > IB_QPS_SQE) {
		if (sroce_pkt_icrc_settle(pkt))
			sroce_stat_inc(sroce_qp_dev(qp)->stats,
				       RX_DROP_QP_STATE);
		goto out_unlock;
	}
	/* only sroce_resp_rc() copies before the ICRC (rx.h) */
	if (qp->ibqp.qp_type != IB_QPT_RC && !sroce_pkt_icrc_settle(pkt))
		goto out_unlock;
	switch (qp->ibqp.qp_type) {
	case IB_QPT_RC:
		sroce_resp_rc(qp, pkt, &kick);
		break;
	case IB_QPT_UC:
		sroce_resp_uc(qp, pkt, &kick);
		break;
	default:
		sroce_resp_ud(qp, pkt, &kick);
		break;
	}
out_unlock:
	spin_unlock_bh(&resp->lock);
	sroce_kick_run(qp, &kick);
}

/* --- flush, reset, modify ---------------------------------------------- */

static void sroce_resp_flush_locked(struct sroce_qp *qp,
				    struct sroce_kick *kick)
{
	struct sroce_resp *resp = &qp->resp;
	const struct rxe_recv_wqe *slot;
	struct ib_wc wc = {
		.status = IB_WC_WR_FLUSH_ERR,
		.opcode = IB_WC_RECV,
		.qp = &qp->ibqp,
		.port_num = SROCE_PORT,
	};
	struct sroce_cq *cq = to_scq(qp->ibqp.recv_cq);
	u32 prod;

	lockdep_assert_held(&resp->lock);
	if (resp->dead)
		return;	/* as sroce_req_flush_locked(): destroy is under way */
	resp->in_msg = false;
	sroce_resp_rd_reset(resp, false);
	if (resp->have_wqe) {
		wc.wr_id = resp->wqe.wr_id;
		if (!qp->ibqp.srq)
			sroce_queue_advance_consumer(&qp->rq);
		resp->have_wqe = false;
		sroce_kick_cq(kick, cq, sroce_cq_push(cq, &wc, false));
	}
	if (qp->ibqp.srq) {
		if (!resp->last_wqe_event) {
			resp->last_wqe_event = true;
			kick->qp_events |= BIT(IB_EVENT_QP_LAST_WQE_REACHED);
		}
		return;
	}
	/* the user's producer index is read once: at most a ring's worth */
	prod = sroce_queue_published(&qp->rq);
	while (qp->rq.cons != prod) {
		slot = sroce_queue_slot_at(&qp->rq, qp->rq.cons);
		wc.wr_id = READ_ONCE(slot->wr_id);
		sroce_queue_advance_consumer(&qp->rq);
		sroce_kick_cq(kick, cq, sroce_cq_push(cq, &wc, false));
	}
}

void sroce_resp_flush(struct sroce_qp *qp)
{
	struct sroce_kick kick = {};

	spin_lock_bh(&qp->resp.lock);
	sroce_resp_flush_locked(qp, &kick);
	spin_unlock_bh(&qp->resp.lock);
	sroce_kick_run(qp, &kick);
}

void sroce_resp_init(struct sroce_qp *qp)
{
	struct sroce_resp *resp = &qp->resp;

	spin_lock_init(&resp->lock);
	spin_lock_init(&resp->post_lock);
	INIT_DELAYED_WORK(&resp->work, sroce_resp_work);
	sroce_tx_wait_init(&resp->txw, &resp->work);
	resp->rd_cur = -1;
	resp->work_cpu = -1;
	resp->mtu = 256;
}

void sroce_resp_fini(struct sroce_qp *qp)
{
	spin_lock_bh(&qp->resp.lock);
	qp->resp.dead = true;
	spin_unlock_bh(&qp->resp.lock);
	sroce_tx_wait_stop(&qp->resp.txw);
	cancel_delayed_work_sync(&qp->resp.work);
}

void sroce_resp_reset(struct sroce_qp *qp)
{
	struct sroce_resp *resp = &qp->resp;
	unsigned long flags;

	spin_lock_bh(&resp->lock);
	if (qp->has_rq) {
		spin_lock_irqsave(&resp->post_lock, flags);
		sroce_queue_reset(&qp->rq);
		spin_unlock_irqrestore(&resp->post_lock, flags);
	}
	resp->in_msg = false;
	resp->have_wqe = false;
	resp->nak_sent = false;
	resp->last_wqe_event = false;
	resp->msn = 0;
	resp->msg_off = 0;
	sroce_resp_rd_reset(resp, true);
	spin_unlock_bh(&resp->lock);
}

void sroce_resp_modified(struct sroce_qp *qp, const struct ib_qp_attr *attr,
			 int mask)
{
	struct sroce_resp *resp = &qp->resp;

	spin_lock_bh(&resp->lock);
	if (mask & IB_QP_RQ_PSN)
		resp->epsn = attr->rq_psn & SROCE_PSN_MASK;
	if (mask & IB_QP_PATH_MTU)
		resp->mtu = ib_mtu_enum_to_int(attr->path_mtu);
	if (mask & IB_QP_ACCESS_FLAGS)
		resp->access = attr->qp_access_flags;
	if (mask & IB_QP_MAX_DEST_RD_ATOMIC)
		resp->max_rd = attr->max_dest_rd_atomic;
	spin_unlock_bh(&resp->lock);
}
