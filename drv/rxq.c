// SPDX-License-Identifier: GPL-2.0
/*
 * sroce: a QP's receive backlog, worked off on another CPU.
 * Contexts and references: rxq.h.
 */
#include <linux/cpumask.h>
#include <linux/moduleparam.h>
#include <linux/rcupdate.h>

#include "qp.h"
#include "rx.h"
#include "rxq.h"
#include "stats.h"

static bool sroce_rx_defer = true;
module_param_named(rx_defer, sroce_rx_defer, bool, 0644);
MODULE_PARM_DESC(rx_defer,
		 "walk received GSO runs on another CPU (default: on)");

/*
 * Skbs a backlog holds at most: a QP's send window is SROCE_REQ_WINDOW
 * packets, at least one per skb, so an honest peer never comes near; a
 * flood beyond it is dropped as a full backlog would be.
 */
#define SROCE_RXQ_MAX		256
/* Skbs one run of the work handles before it makes way for other work. */
#define SROCE_RXQ_BUDGET	32

static struct workqueue_struct *sroce_rxq_wq;

/* The online CPU after this one: where the work runs beside the sender. */
static int sroce_rxq_next_cpu(void)
{
	int cpu = cpumask_next(smp_processor_id(), cpu_online_mask);

	return cpu < nr_cpu_ids ? cpu : cpumask_first(cpu_online_mask);
}

/*
 * Another online CPU to hand work to (the next one), or -1: only this
 * one, or the rx_defer switch is off.
 */
int sroce_rxq_other_cpu(void)
{
	int cpu = sroce_rxq_next_cpu();

	if (!READ_ONCE(sroce_rx_defer) || cpu == smp_processor_id())
		return -1;
	return cpu;
}

/* @cpu if it is another online CPU than this one, else -1. */
int sroce_rxq_away_cpu(int cpu)
{
	if (cpu < 0 || cpu == smp_processor_id() || !cpu_online(cpu))
		return -1;
	return cpu;
}

/**
 * sroce_rxq_take() - queue a received skb on its QP's backlog, or not
 * @qp: the QP the skb's (first) packet is for.
 * @ref: the caller's reference to @qp.
 * @skb: the skb, data at the UDP header, counted as received.
 * @cpu: where the work is to run if this skb starts it; -1: only join a
 *	busy backlog.
 *
 * With deferral on, the skb is queued (and the work started on @cpu when
 * the backlog was idle); any skb is queued while the backlog is busy.
 * Returns true when @skb and @ref were taken, false when the caller
 * handles both itself.
 */
bool sroce_rxq_take(struct sroce_qp *qp, struct sroce_ref *ref,
		    struct sk_buff *skb, int cpu)
{
	struct sroce_rxq *rxq = &qp->rxq;
	struct sroce_dev *sdev = sroce_qp_dev(qp);
	bool start = false;
	bool defer;

	defer = cpu >= 0 && READ_ONCE(sroce_rx_defer);
	if (!defer && !READ_ONCE(rxq->ref))
		return false;

	spin_lock(&rxq->skbs.lock);
	if (!rxq->ref) {
		if (!defer) {
			spin_unlock(&rxq->skbs.lock);
			return false;
		}
		WRITE_ONCE(rxq->ref, ref);	/* the backlog's reference now */
		ref = NULL;
		start = true;
	}
	if (skb_queue_len(&rxq->skbs) >= SROCE_RXQ_MAX) {
		spin_unlock(&rxq->skbs.lock);
		sroce_stat_inc(sdev->stats, RX_DROP_BACKLOG);
		kfree_skb(skb);
	} else {
		__skb_queue_tail(&rxq->skbs, skb);
		spin_unlock(&rxq->skbs.lock);
		sroce_stat_inc(sdev->stats, RX_DEFERRED);
	}
	if (start)
		queue_work_on(cpu, sroce_rxq_wq, &rxq->work);
	if (ref)
		sroce_qp_put(ref);
	return true;
}

static void sroce_rxq_work(struct work_struct *work)
{
	struct sroce_rxq *rxq = container_of(work, struct sroce_rxq, work);
	struct sroce_qp *qp = container_of(rxq, struct sroce_qp, rxq);
	struct sroce_ref *ref;
	struct sk_buff *skb;
	unsigned int n;

	for (n = 0; n < SROCE_RXQ_BUDGET; n++) {
		spin_lock_bh(&rxq->skbs.lock);
		skb = __skb_dequeue(&rxq->skbs);
		if (!skb) {
			ref = rxq->ref;
			WRITE_ONCE(rxq->ref, NULL);
			spin_unlock_bh(&rxq->skbs.lock);
			sroce_qp_put(ref);
			return;
		}
		spin_unlock_bh(&rxq->skbs.lock);

		local_bh_disable();
		rcu_read_lock();
		sroce_rx_queued(qp, skb);
		rcu_read_unlock();
		local_bh_enable();
	}
	/* still busy: the backlog keeps its reference */
	queue_work_on(raw_smp_processor_id(), sroce_rxq_wq, work);
}

void sroce_rxq_init(struct sroce_rxq *rxq)
{
	skb_queue_head_init(&rxq->skbs);
	rxq->ref = NULL;
	INIT_WORK(&rxq->work, sroce_rxq_work);
}

/* QP destroy: the last reference is gone, so the backlog is idle. */
void sroce_rxq_fini(struct sroce_rxq *rxq)
{
	cancel_work_sync(&rxq->work);
	WARN_ON_ONCE(rxq->ref || !skb_queue_empty(&rxq->skbs));
	skb_queue_purge(&rxq->skbs);
}

int sroce_rxq_wq_init(void)
{
	/* storage ULPs (nvme-rdma) run over sroce: it may serve reclaim */
	sroce_rxq_wq = alloc_workqueue("sroce_rx", WQ_HIGHPRI | WQ_MEM_RECLAIM,
				       0);
	return sroce_rxq_wq ? 0 : -ENOMEM;
}

void sroce_rxq_wq_exit(void)
{
	destroy_workqueue(sroce_rxq_wq);
}
