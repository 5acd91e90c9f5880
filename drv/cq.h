/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sroce: completion queues.
 *
 * Who calls what, from which context:
 *  - sroce_create_cq(), sroce_resize_cq(), sroce_destroy_cq(): ib_core
 *    (uverbs commands for user CQs; ib_alloc_cq()/ib_free_cq() and friends
 *    for kernel CQs), process context, may sleep.
 *  - sroce_poll_cq(), sroce_req_notify_cq(): kernel ULPs through
 *    ib_poll_cq()/ib_req_notify_cq(), any context, including hard and soft
 *    interrupts and the ULP's own comp_handler. uverbs calls
 *    sroce_req_notify_cq() for user CQs (process context); user space polls
 *    its CQ in the mapped ring and never calls sroce_poll_cq().
 *  - sroce_cq_push(): the datapath (softirq or process context), once per
 *    completion, under the QP's lock; sroce_cq_handlers() afterwards, with
 *    no sroce lock held, calls the event_handler and delivers the
 *    comp_handler it said are due. sroce_cq_post() is both, for callers
 *    without locks.
 *  - The comp_handler runs on the CPU of the CQ's completion vector (one
 *    vector per possible CPU, as a multi-queue HCA has one interrupt per
 *    CPU): called directly when the completion is made there (or that CPU
 *    is offline), else from an IPI to it (smp_call_function_single_async),
 *    in hard interrupt context as a HCA's interrupt handler would call it.
 *  - sroce_fill_res_cq_entry(): nldev (`rdma res show cq -dd`), process
 *    context, at any moment, including while the CQ is being destroyed.
 *
 * References: core allocates and frees struct sroce_cq (INIT_RDMA_OBJ_SIZE)
 * and refuses to destroy a CQ while a QP uses it (cq->usecnt, -EBUSY). The
 * datapath reaches a CQ only through a QP, and a QP's destroy waits for its
 * own datapath references (restrack/table.h) before core drops the CQ's use
 * count: so a CQ cannot go away under sroce_cq_post() or under the handlers
 * it calls. sroce holds no reference of its own to a CQ. A notify IPI may
 * still be in flight when core destroys the CQ: destroy waits for
 * @notify_inflight to drop to 0 (sroce_cq_notify_wait(), process context;
 * the debugfs self-checks call it too, to count handler calls).
 */
#ifndef _SROCE_CQ_H
#define _SROCE_CQ_H

#include <linux/smp.h>
#include <linux/spinlock.h>
#include <rdma/ib_verbs.h>

#include "compat.h"
#include "queue.h"

/* Honest for what the rings and the vmalloc space take. */
#define SROCE_MAX_CQ		16384
#define SROCE_MAX_CQE		32767

/**
 * struct sroce_cq - a completion queue
 * @ibcq: core's CQ; core owns the memory.
 * @lock: protects @queue (both sides, and its replacement on resize and
 *	destroy), @notify and @error. Taken with interrupts disabled: kernel
 *	ULPs poll and arm from any context.
 * @queue: the ring; the kernel produces. Its slots hold struct
 *	ib_uverbs_wc for a user CQ, struct ib_wc for a kernel CQ. Zeroed
 *	(buf == NULL) once destroyed.
 * @notify: armed notification: 0, IB_CQ_SOLICITED or IB_CQ_NEXT_COMP.
 * @error: the CQ overflowed; it stays in error and accepts no completions.
 * @user: a user CQ (mapped, ib_uverbs_wc slots).
 * @cpu: where the comp_handler runs: the CPU of the completion vector.
 * @notify_csd: the IPI that calls the comp_handler on @cpu.
 * @notify_queued: an IPI is queued whose handler has not started: a later
 *	notification needs none of its own (the handler polls the CQ empty).
 * @notify_inflight: IPIs sent and not finished; destroy waits for 0.
 */
struct sroce_cq {
	struct ib_cq ibcq;
	spinlock_t lock;	/* queue, notify, error */
	struct sroce_queue queue;
	u8 notify;
	bool error;
	bool user;
	int cpu;
	call_single_data_t notify_csd;
	atomic_t notify_queued;
	atomic_t notify_inflight;
};

static inline struct sroce_cq *to_scq(struct ib_cq *ibcq)
{
	return container_of(ibcq, struct sroce_cq, ibcq);
}

int sroce_create_cq(struct ib_cq *ibcq, const struct ib_cq_init_attr *attr,
		    struct sroce_create_cq_uarg *uarg);
int sroce_resize_cq(struct ib_cq *ibcq, int cqe, struct ib_udata *udata);
int sroce_destroy_cq(struct ib_cq *ibcq, struct ib_udata *udata);
int sroce_poll_cq(struct ib_cq *ibcq, int num_entries, struct ib_wc *wc);
int sroce_req_notify_cq(struct ib_cq *ibcq, enum ib_cq_notify_flags flags);
int sroce_fill_res_cq_entry(struct sk_buff *msg, struct ib_cq *ibcq);

/* What sroce_cq_push() returns. */
#define SROCE_CQ_NOTIFY		BIT(0)
#define SROCE_CQ_OVERFLOWED	BIT(1)
#define SROCE_CQ_DROPPED	BIT(2)

int sroce_cq_push(struct sroce_cq *cq, const struct ib_wc *wc, bool solicited);
void sroce_cq_handlers(struct sroce_cq *cq, int flags);
int sroce_cq_post(struct sroce_cq *cq, const struct ib_wc *wc, bool solicited);
void sroce_cq_notify_wait(struct sroce_cq *cq);

#endif /* _SROCE_CQ_H */
