/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sroce: the requester (send queue to packets) and the completer (ACKs,
 * NAKs, read responses and atomic ACKs back to completions).
 *
 * One lock, struct sroce_req.lock, serializes everything that touches a
 * QP's send side, so per-QP send state is only ever touched by one CPU at
 * a time, without work items: the doorbell (post_send, process context)
 * runs the requester inline; an arriving ACK (softirq) runs the completer
 * and then the requester, which sends what the window now allows; the
 * retransmit timer (softirq) rewinds and runs the requester. The send
 * window (SROCE_REQ_WINDOW packets not yet acknowledged) bounds every run,
 * so none of them sends more than a window's worth at once.
 *
 * Completions are written into the CQ ring under req.lock (so they appear
 * in order), but the CQ's comp_handler and every event handler are called
 * only after req.lock is dropped (struct sroce_kick): a kernel ULP may post
 * again from its handler.
 *
 * Who calls what, from which context:
 *  - sroce_req_init()/sroce_req_fini(): create_qp / destroy_qp (process).
 *  - sroce_req_run(): post_send (any context but hard irq; from hard irq
 *    or with irqs off it defers to the QP's work item), the completer, the
 *    timer, modify_qp.
 *  - sroce_comp_rx(): the receive path (softirq), for response opcodes.
 *  - sroce_req_flush(): modify_qp to ERR and the error paths.
 *  - sroce_req_reset(): modify_qp to RESET.
 *  - sroce_req_packet()/sroce_req_batch_send() (req_pkt.c): the
 *    requester's run, req.lock held.
 */
#ifndef _SROCE_REQ_H
#define _SROCE_REQ_H

#include <linux/jiffies.h>
#include <linux/spinlock.h>
#include <linux/timer.h>
#include <linux/workqueue.h>
#include <rdma/ib_verbs.h>

#include "tx.h"
#include "txwait.h"

struct sroce_qp;
struct sroce_swqe;
struct sroce_pkt;
struct sroce_cq;
struct sroce_srq;

/*
 * Packets in flight before the requester waits for an ACK: at most
 * SROCE_REQ_WINDOW, and fewer after a loss (struct sroce_req.cwnd).
 */
#define SROCE_REQ_WINDOW	128
#define SROCE_REQ_CWND_MIN	16
/* An AckReq at least every this many packets, and on every last one. */
#define SROCE_REQ_ACK_EVERY	32
/* WQEs fetched plus packets sent by one run; the work item goes on. */
#define SROCE_REQ_BUDGET	256
/* Payload bytes a lone last packet copies rather than sends zero-copy. */
#define SROCE_REQ_COPYBREAK	512

/**
 * struct sroce_kick - handlers to call once the QP locks are dropped
 * @cq: CQs with handlers due, NULL if none; @cq_flags what is due
 *	(SROCE_CQ_NOTIFY, SROCE_CQ_OVERFLOWED).
 * @srq: an SRQ a WQE was taken from: its limit is checked.
 * @qp_events: bit n set: QP event n is due (enum ib_event_type).
 */
struct sroce_kick {
	struct sroce_srq *srq;
	struct sroce_cq *cq[2];
	int cq_flags[2];
	unsigned long qp_events;
};

/**
 * struct sroce_req - the send side of a QP; all under @lock but where said
 * @lock: see above. Taken with bottom halves disabled.
 * @post_lock: the producer side of a kernel QP's SQ ring (irqsave).
 * @swqe: the kernel's copies of the WQEs, @stride bytes per SQ slot.
 * @fetch: the next SQ ring index to copy; [sq.cons, @fetch) are copied.
 * @send: the ring index of the WQE being sent; [sq.cons, @send) are all
 *	out and wait for their ACK or response.
 * @send_pkt: packets of WQE @send already sent.
 * @psn: the next PSN to send.
 * @psn_max: the PSN after the newest one ever sent: a packet below it is
 *	sent again (counted in retransmitted_pkts).
 * @una: the oldest PSN not acknowledged.
 * @noack: packets sent since the last one with AckReq.
 * @cwnd: the send window in packets: halved on a loss (never below
 *	SROCE_REQ_CWND_MIN), once per window: losses among the packets that
 *	were in flight then (before @cwnd_psn) are the same episode. Grown
 *	back by one per window's worth of acknowledged packets (@cwnd_acc
 *	counts them), up to SROCE_REQ_WINDOW. Go-back-N sends again
 *	everything in flight after a lost packet: a smaller window on a
 *	lossy link loses less.
 * @retry_left, @rnr_left: retries left before the QP errors out.
 * @txw: the netdev refused the packet due: the wait before it is built
 *	again (txwait.h); refused for SROCE_TX_PATIENCE_MS, it counts as
 *	lost and the retransmit timer takes over.
 * @gap, @gap_psn: the requester went back to @gap_psn for a lost read
 *	response or ACK; until an answer for it comes (or the timer fires),
 *	later signs of the same loss do not send it all again.
 * @halted: a WQE failed before it went out; nothing after it is sent, the
 *	QP goes to the error state when it completes and flushes the rest.
 * @rnr_wait: an RNR NAK holds the requester until the timer fires.
 * @timer: retransmit and RNR timer, set only under @lock; it may be set
 *	to fire earlier than due (sroce_req_arm()).
 * @deadline: when packets in flight are due to be sent again.
 * @timing: @deadline covers packets in flight.
 * @work: deferred runs (post_send from hard irq context).
 * @tx_cpu: the CPU of the last run that sent packets (sroce_req_away()).
 * @mtu: path MTU in bytes, from modify_qp.
 * @drain_event: SQD was entered with en_sqd_async_notify: report
 *	SQ_DRAINED once nothing is in flight.
 * @dead: destroy began; no timer or work is started any more.
 */
struct sroce_req {
	spinlock_t lock;	/* the send side: all fields below */
	spinlock_t post_lock;	/* kernel SQ producer index */
	u8 *swqe;
	size_t stride;
	u32 fetch;
	u32 send;
	u32 send_pkt;
	u32 psn;
	u32 psn_max;
	u32 una;
	u32 noack;
	u32 cwnd;
	u32 cwnd_acc;
	u32 cwnd_psn;
	u8 retry_left;
	u8 rnr_left;
	bool gap;
	u32 gap_psn;
	bool rnr_wait;
	bool halted;
	bool drain_event;
	bool dead;
	int tx_cpu;
	u32 mtu;
	struct timer_list timer;
	unsigned long deadline;
	bool timing;
	struct delayed_work work;
	struct sroce_tx_wait txw;
};

/**
 * struct sroce_req_batch - packets of one run kept for one GSO skb
 * @txb: the skb under construction; txb.skb NULL: empty.
 * @psn: the PSN of its first packet.
 * @psn_max: req.psn_max before it: what was sent before, if it never is.
 * @more: set by the run before each packet: another WQE waits behind the
 *	current one, so its packets may join a batch.
 */
struct sroce_req_batch {
	struct sroce_txb txb;
	u32 psn;
	u32 psn_max;
	bool more;
};

int sroce_req_init(struct sroce_qp *qp);
void sroce_req_fini(struct sroce_qp *qp);
void sroce_req_run(struct sroce_qp *qp);
int sroce_req_tx_cpu(struct sroce_qp *qp);
void sroce_req_run_locked(struct sroce_qp *qp, struct sroce_kick *kick);
void sroce_req_flush(struct sroce_qp *qp);
void sroce_req_reset(struct sroce_qp *qp);
void sroce_req_modified(struct sroce_qp *qp, const struct ib_qp_attr *attr,
			int mask, bool entered_sqd);
void sroce_req_progress(struct sroce_qp *qp, u32 acked);
void sroce_req_lost(struct sroce_qp *qp);
bool sroce_req_rewind(struct sroce_qp *qp, u32 psn);
bool sroce_req_go_back(struct sroce_qp *qp, u32 psn);
u32 sroce_req_npkts(const struct sroce_swqe *w, u32 mtu);
int sroce_req_packet(struct sroce_qp *qp, struct sroce_swqe *w,
		     struct sroce_req_batch *batch);
int sroce_req_batch_send(struct sroce_qp *qp, struct sroce_req_batch *batch);
void sroce_comp_rx(struct sroce_qp *qp, struct sroce_pkt *pkt);

void sroce_kick_cq(struct sroce_kick *kick, struct sroce_cq *cq, int flags);
void sroce_kick_run(struct sroce_qp *qp, struct sroce_kick *kick);
int sroce_qp_post_wc(struct sroce_qp *qp, struct sroce_cq *cq,
		     const struct ib_wc *wc, bool solicited,
		     struct sroce_kick *kick);

#endif /* _SROCE_REQ_H */
