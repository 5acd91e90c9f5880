/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sroce: the responder: request packets to memory, receive completions,
 * ACKs, NAKs, read responses and atomic ACKs.
 *
 * struct sroce_resp.lock serializes a QP's receive side. Requests arrive in
 * softirq (the UDP encap hook) and are handled there, in PSN order. A READ
 * is answered inline up to SROCE_RESP_BURST packets; what remains of it is
 * sent by the QP's responder work item, a burst per run, so a large read
 * neither holds the softirq nor overruns the receiver's backlog. A READ of
 * SROCE_RESP_AWAY_BYTES or more is all sent by the work item, started on
 * another CPU.
 *
 * Who calls what, from which context:
 *  - sroce_resp_init()/sroce_resp_fini(): create_qp / destroy_qp.
 *  - sroce_resp_rx(): the receive path (softirq), for request opcodes.
 *  - sroce_resp_flush(): modify_qp to ERR and the error paths (any
 *    context but hard irq).
 *  - sroce_resp_reset(): modify_qp to RESET.
 *  - sroce_resp_modified(): modify_qp, after the attributes are set.
 *  - sroce_resp_rx_cpu(): the rx handler (softirq), without resp.lock.
 */
#ifndef _SROCE_RESP_H
#define _SROCE_RESP_H

#include <linux/sizes.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <rdma/ib_verbs.h>

#include "txwait.h"
#include "wqe.h"

struct sroce_qp;
struct sroce_pkt;
struct sroce_kick;

#define SROCE_RESP_BURST	64
/* READs this large are answered from another CPU (resp_rd.c) */
#define SROCE_RESP_AWAY_BYTES	SZ_16K
/* response bytes the work item builds per hold of resp.lock */
#define SROCE_RESP_HOLD_BYTES	SZ_16K
#define SROCE_RESP_RES		128	/* = SROCE_MAX_QP_RD_ATOM */

enum sroce_res_kind {
	SROCE_RES_NONE,
	SROCE_RES_READ,
	SROCE_RES_ATOMIC,
};

/**
 * struct sroce_res - a READ or ATOMIC the responder executed, kept to
 *	answer duplicates and to send its responses in PSN order
 * @kind: enum sroce_res_kind; SROCE_RES_NONE for a free slot.
 * @psn: its first PSN; @npkts: PSNs it spans.
 * @va, @rkey, @len: the READ's remote range (re-checked when re-read).
 * @orig: the ATOMIC's original value.
 * @sent: response packets sent; @npkts when all are out.
 *
 * The records form a ring in PSN order: @res_next is the slot the next
 * one takes, which is the oldest record once the ring has wrapped. The
 * oldest record is overwritten even if it is still being answered: a
 * requester that sends a new READ or ATOMIC beyond max_dest_rd_atomic ones
 * has everything older, so nobody waits for the rest of that answer.
 */
struct sroce_res {
	u8 kind;
	u32 psn;
	u32 npkts;
	u64 va;
	u32 rkey;
	u32 len;
	u64 orig;
	u32 sent;
};

/**
 * struct sroce_resp - the receive side of a QP; all under @lock
 * @lock: see above; bottom halves disabled.
 * @post_lock: the producer side of a kernel QP's RQ ring (irqsave).
 * @epsn: the next PSN expected; @msn: messages completed (24 bits).
 * @nak_sent: a PSN sequence NAK went out for @epsn; no second one.
 * @in_msg: a multi-packet SEND or WRITE is under way; @msg_write says
 *	which, @msg_off bytes of it arrived.
 * @have_wqe: @wqe holds the receive WQE of the current SEND (consumed from
 *	an SRQ, or still at the head of the RQ).
 * @wva, @wrkey, @wlen: the current WRITE's target, from its RETH.
 * @access: the QP's remote access flags (IB_ACCESS_REMOTE_*).
 * @max_rd: max_dest_rd_atomic: 0 refuses every READ and ATOMIC.
 * @res: executed READs and ATOMICs, a ring; @res_next the next slot.
 * @rd_cur: the slot of the oldest record whose responses are not all sent,
 *	-1 if none. Records before it in PSN order are all answered.
 * @ack_due: an ACK or NAK (@ack_syn for @ack_psn) waits for the responses
 *	before it: nothing may overtake an answer to an earlier PSN.
 * @work: sends queued responses, a burst per run.
 * @work_cpu: the CPU @work was started on for a large READ, -1 if it was
 *	not; read without the lock by the rx handler (a hint).
 * @last_wqe_event: LAST_WQE_REACHED was reported (QPs on an SRQ).
 * @scratch: room for a WQE popped from an SRQ.
 * @mtu: path MTU in bytes.
 * @txw: the netdev refused the response due: the wait before it is built
 *	again (txwait.h); refused for SROCE_TX_PATIENCE_MS, it is given up.
 * @dead: destroy began.
 */
struct sroce_resp {
	spinlock_t lock;	/* the receive side: all fields below */
	spinlock_t post_lock;	/* kernel RQ producer index */
	u32 epsn;
	u32 msn;
	bool nak_sent;
	bool in_msg;
	bool msg_write;
	bool have_wqe;
	bool dead;
	bool ack_due;
	u8 ack_syn;
	u32 ack_psn;
	u32 msg_off;
	u64 wva;
	u32 wrkey;
	u32 wlen;
	u32 mtu;
	int access;
	u8 max_rd;
	int rd_cur;
	u32 res_next;
	struct sroce_res res[SROCE_RESP_RES];
	bool last_wqe_event;
	struct sroce_rwqe wqe;
	struct delayed_work work;
	int work_cpu;
	struct sroce_tx_wait txw;
	u8 scratch[sizeof(struct rxe_recv_wqe) +
		   SROCE_MAX_SGE_RWQE * sizeof(struct rxe_sge)];
};

/* What became of a request packet; RC answers with it. */
enum sroce_resp_verdict {
	SROCE_RESP_OK,
	SROCE_RESP_RNR,
	SROCE_RESP_INVALID,
	SROCE_RESP_ACCESS,
	SROCE_RESP_OP_ERR,
	SROCE_RESP_DROP,	/* its ICRC was bad: no effect, no answer */
};

void sroce_resp_init(struct sroce_qp *qp);
void sroce_resp_fini(struct sroce_qp *qp);
void sroce_resp_rx(struct sroce_qp *qp, struct sroce_pkt *pkt);
void sroce_resp_flush(struct sroce_qp *qp);
void sroce_resp_reset(struct sroce_qp *qp);
void sroce_resp_modified(struct sroce_qp *qp, const struct ib_qp_attr *attr,
			 int mask);
int sroce_resp_rx_cpu(struct sroce_qp *qp);

/* Between resp.c and resp_rd.c, under resp.lock. */
void sroce_resp_ack(struct sroce_qp *qp, u8 syndrome, u32 psn);
void sroce_resp_answer(struct sroce_qp *qp, u8 syndrome, u32 psn);
enum sroce_resp_verdict sroce_resp_read(struct sroce_qp *qp,
					struct sroce_pkt *pkt);
void sroce_resp_read_dup(struct sroce_qp *qp, struct sroce_pkt *pkt);
enum sroce_resp_verdict sroce_resp_atomic(struct sroce_qp *qp,
					  struct sroce_pkt *pkt);
enum sroce_resp_verdict sroce_resp_atomic_write(struct sroce_qp *qp,
						struct sroce_pkt *pkt);
enum sroce_resp_verdict sroce_resp_rdma_flush(struct sroce_qp *qp,
					      struct sroce_pkt *pkt);
void sroce_resp_rd_reset(struct sroce_resp *resp, bool forget);
void sroce_resp_atomic_dup(struct sroce_qp *qp, struct sroce_pkt *pkt);
void sroce_resp_work(struct work_struct *work);

#endif /* _SROCE_RESP_H */
