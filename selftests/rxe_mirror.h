/* SPDX-License-Identifier: GPL-2.0 */
/*
 * selftests: a mirror of rdma-core 44's rxe provider objects (verbs_* heads
 * flattened in), for the tests that reach a QP's, CQ's or SRQ's ring behind
 * the provider's back: hostile_ring (hostile producers) and opcodes (WQEs
 * rdma-core 44 cannot post, such as FLUSH).
 */
#ifndef SROCE_RXE_MIRROR_H
#define SROCE_RXE_MIRROR_H

#include <infiniband/verbs.h>
#include <pthread.h>
#include <rdma/rdma_user_rxe.h>

/* rdma-core 44's provider objects, their verbs_* heads flattened in. */
struct m_wq {			/* struct rxe_wq */
	struct rxe_queue_buf *queue;
	pthread_spinlock_t lock;
	unsigned int max_sge, max_inline;
};

struct m_qp {			/* struct rxe_qp after struct verbs_qp */
	union { struct ibv_qp qp; struct ibv_qp_ex qp_ex; } u;
	uint32_t comp_mask;
	void *xrcd;
	struct mminfo rq_mmap_info;
	struct m_wq rq;
	struct mminfo sq_mmap_info;
	struct m_wq sq;
};

struct m_cq {			/* struct rxe_cq after struct verbs_cq */
	union { struct ibv_cq cq; struct ibv_cq_ex cq_ex; } u;
	struct mminfo mmap_info;
	struct rxe_queue_buf *queue;
};

struct m_srq {			/* struct rxe_srq after struct verbs_srq */
	struct ibv_srq srq;
	enum ibv_srq_type srq_type;
	void *xrcd;
	struct ibv_cq *cq;
	uint32_t srq_num;
	struct mminfo mmap_info;
	struct m_wq rq;
};

#define QP_SQ(qp)	(((struct m_qp *)(qp))->sq.queue)
#define QP_RQ(qp)	(((struct m_qp *)(qp))->rq.queue)
#define SRQ_Q(srq)	(((struct m_srq *)(srq))->rq.queue)
#define CQ_Q(cq)	(((struct m_cq *)(cq))->queue)

#endif /* SROCE_RXE_MIRROR_H */
