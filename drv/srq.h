/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sroce: shared receive queues.
 *
 * Who calls what, from which context:
 *  - sroce_create_srq(), sroce_modify_srq(), sroce_query_srq(),
 *    sroce_destroy_srq(): ib_core (uverbs commands for user SRQs,
 *    ib_create_srq() and friends for kernel SRQs), process context.
 *  - sroce_post_srq_recv(): kernel ULPs through ib_post_srq_recv(), any
 *    context. User space posts into the mapped ring itself.
 *  - sroce_srq_pop_wqe(): the datapath, any context (the responder holds
 *    its resp.lock), holding the SRQ alive (below). Never calls out.
 *  - sroce_srq_limit_reached(): whoever popped, any context, once it holds
 *    no sroce lock (the responder defers it to its kick, req.h); it may
 *    call the SRQ's event_handler, which may call back into the verbs.
 *
 * References: core allocates and frees struct sroce_srq (INIT_RDMA_OBJ_SIZE)
 * and refuses to destroy an SRQ while a QP uses it (srq->usecnt, -EBUSY).
 * The datapath reaches an SRQ through a QP (whose destroy waits for its own
 * datapath references) or by number through sroce_table_get() on the
 * device's srq_table, holding that reference until sroce_ref_put().
 * sroce_destroy_srq() first unpublishes the number and waits for those
 * references (sroce_table_remove()), then frees the ring; core frees the
 * struct afterwards. A failed create unpublishes the same way.
 */
#ifndef _SROCE_SRQ_H
#define _SROCE_SRQ_H

#include <linux/spinlock.h>
#include <rdma/ib_verbs.h>
#include <rdma/rdma_user_rxe.h>

#include "queue.h"
#include "table.h"

#define SROCE_MAX_SRQ		8192
#define SROCE_MAX_SRQ_WR	16383	/* 16384 slots */
#define SROCE_MAX_SRQ_SGE	32
#define SROCE_SRQ_NUM_MIN	1
#define SROCE_SRQ_NUM_MAX	0xffffff	/* 24 bits, as XRC carries it */

/**
 * struct sroce_srq - a shared receive queue
 * @ibsrq: core's SRQ; core owns the memory.
 * @lock: protects @queue (both sides, and its replacement on resize and
 *	destroy) and @limit. Taken with interrupts disabled.
 * @queue: the ring of struct rxe_recv_wqe with @max_sge SGEs each; the
 *	kernel consumes. Zeroed (buf == NULL) once destroyed.
 * @ref: our entry in the device's srq_table, from create to destroy.
 * @srq_num: the number it is published under (the rxe ABI's srq_num).
 * @max_sge: SGEs per WQE, fixed at create.
 * @limit: the armed limit, 0 when disarmed; the limit event disarms it.
 * @user: a user SRQ (mapped).
 */
struct sroce_srq {
	struct ib_srq ibsrq;
	spinlock_t lock;	/* queue, limit */
	struct sroce_queue queue;
	struct sroce_ref *ref;
	u32 srq_num;
	u32 max_sge;
	u32 limit;
	bool user;
};

static inline struct sroce_srq *to_ssrq(struct ib_srq *ibsrq)
{
	return container_of(ibsrq, struct sroce_srq, ibsrq);
}

/* Bytes of one WQE of @max_sge SGEs (at most SROCE_MAX_SRQ_SGE). */
static inline size_t sroce_srq_wqe_size(u32 max_sge)
{
	return sizeof(struct rxe_recv_wqe) + max_sge * sizeof(struct rxe_sge);
}

int sroce_create_srq(struct ib_srq *ibsrq, struct ib_srq_init_attr *init,
		     struct ib_udata *udata);
int sroce_modify_srq(struct ib_srq *ibsrq, struct ib_srq_attr *attr,
		     enum ib_srq_attr_mask mask, struct ib_udata *udata);
int sroce_query_srq(struct ib_srq *ibsrq, struct ib_srq_attr *attr);
int sroce_destroy_srq(struct ib_srq *ibsrq, struct ib_udata *udata);
int sroce_post_srq_recv(struct ib_srq *ibsrq, const struct ib_recv_wr *wr,
			const struct ib_recv_wr **bad_wr);

int sroce_srq_pop_wqe(struct sroce_srq *srq, struct rxe_recv_wqe *wqe,
		      size_t size);
bool sroce_srq_limit_reached(struct sroce_srq *srq);
void sroce_recv_wqe_fill(struct rxe_recv_wqe *wqe, const struct ib_recv_wr *wr);

#endif /* _SROCE_SRQ_H */
