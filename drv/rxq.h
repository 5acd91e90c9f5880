/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sroce: a QP's receive backlog, worked off on another CPU.
 *
 * A veth hands a sender's whole GSO run to the receiving rx handler on the
 * sender's own CPU, inside its dev_queue_xmit(): left there, building,
 * CRCing and sending a run, then checking, CRCing and placing it all take
 * one CPU while the others idle. The rx handler instead queues a GSO skb
 * for a connected QP on the QP's backlog, and a work item on the next
 * online CPU walks it (sroce_rx_queued()). Responses for a requester that
 * is sending from another CPU go to a backlog worked on that CPU, so the
 * completer does not wait for the requester's lock and sends on from the
 * requester's CPU. Other single frames are handled where they arrive,
 * unless the QP has a backlog: then they join it, so a QP's packets are
 * always handled in arrival order.
 *
 * Who calls what, from which context:
 *  - sroce_rxq_wq_init()/sroce_rxq_wq_exit(): module init and exit.
 *  - sroce_rxq_init(): QP create; sroce_rxq_fini(): QP destroy, after the
 *    QPN was unpublished and its last reference dropped.
 *  - sroce_rxq_take(): the rx handler, softirq, under RCU, holding the
 *    QP reference of its lookup.
 *  - sroce_rxq_other_cpu(), sroce_rxq_away_cpu(): the rx handler, the
 *    requester and the responder (a large READ's responses are made on
 *    another CPU too, resp.h); any context with preemption disabled.
 *  - the work: process context; each skb is handled with BHs disabled and
 *    under RCU, as the rx handler would.
 *
 * References: while the backlog is busy (skbs queued or being handled),
 * it holds one QP reference, the first queued skb's, and drops it when it
 * finds itself empty. QP destroy waits for that reference like any other.
 */
#ifndef _SROCE_RXQ_H
#define _SROCE_RXQ_H

#include <linux/skbuff.h>
#include <linux/workqueue.h>

struct sroce_qp;
struct sroce_ref;

/**
 * struct sroce_rxq - a QP's received skbs waiting for its work item
 * @skbs: the skbs, data at the UDP header; its lock protects @ref too.
 * @ref: the QP reference the backlog holds while busy; NULL when idle.
 * @work: walks @skbs; queued on the CPU after the one that made it busy.
 */
struct sroce_rxq {
	struct sk_buff_head skbs;
	struct sroce_ref *ref;
	struct work_struct work;
};

int sroce_rxq_wq_init(void);
void sroce_rxq_wq_exit(void);
void sroce_rxq_init(struct sroce_rxq *rxq);
void sroce_rxq_fini(struct sroce_rxq *rxq);
int sroce_rxq_other_cpu(void);
int sroce_rxq_away_cpu(int cpu);
bool sroce_rxq_take(struct sroce_qp *qp, struct sroce_ref *ref,
		    struct sk_buff *skb, int cpu);

#endif /* _SROCE_RXQ_H */
