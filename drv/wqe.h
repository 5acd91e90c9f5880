/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sroce: work requests in kernel memory, and moving bytes between local
 * SGE lists and packets.
 *
 * A user may rewrite a mapped queue at any time, so the packet path never
 * uses a WQE in place: sroce_swqe_fetch() copies a send WQE into the QP's
 * private array (one struct sroce_swqe per SQ slot) and checks the copy;
 * sroce_rwqe_copy() does the same for receive WQEs. Only copies are used.
 *
 * Who calls what, from which context:
 *  - sroce_swqe_fetch(): the requester, under the QP's req.lock.
 *  - sroce_rwqe_copy(): the responder, under resp.lock.
 *  - sroce_sge_to_txb(), sroce_sge_from_skb(), sroce_sge_copy(): the
 *    requester, responder and completer, any context; they look up every
 *    lkey and check it (PD, access, bounds) for every packet, so an MR
 *    deregistered between two packets fails the second, cleanly.
 */
#ifndef _SROCE_WQE_H
#define _SROCE_WQE_H

#include <rdma/ib_verbs.h>
#include <rdma/rdma_user_rxe.h>

#include "compat.h"
#include "mr.h"
#include "tx.h"

struct sroce_qp;
struct sroce_skb_pos;

/* SGEs a receive WQE may carry: the QP and SRQ limits (checked in wqe.c). */
#define SROCE_MAX_SGE_RWQE	32

enum sroce_swqe_state {
	SROCE_SWQE_PENDING,	/* fetched, not all packets sent */
	SROCE_SWQE_SENT,	/* all sent, waiting for the ACK/response */
	SROCE_SWQE_DONE,	/* complete (status says how) */
};

/**
 * struct sroce_swqe - the kernel's copy of one send WQE, and its progress
 * @wr_id .. @swap: the checked work request.
 * @length: bytes of the message, summed from the SGEs (or the inline size).
 * @num_sge: SGEs in @sge; 0 when @inl.
 * @inl: the payload is in @inline_data.
 * @ud: UD: where the datagram goes.
 * @state: enum sroce_swqe_state.
 * @status: enum ib_wc_status, valid once DONE.
 * @first_psn, @npkts: the PSNs the message spans (a READ spans its
 *	responses); set when the first packet goes out.
 * @rd_pkts: READ: response packets received in order.
 * @flush: FLUSH: the range's length (the message has none), and the
 *	placement type and selectivity for the FETH.
 * @sge, @inline_data: the local buffers (the QP's stride holds them).
 */
struct sroce_swqe {
	u64 wr_id;
	u32 opcode;
	u32 send_flags;
	__be32 imm;
	u32 inv_rkey;
	u64 remote_addr;
	u32 rkey;
	u64 compare_add;
	u64 swap;
	u32 length;
	u32 num_sge;
	bool inl;
	u8 state;
	u8 status;
	u32 first_psn;
	u32 npkts;
	u32 rd_pkts;
	struct {
		u32 len;
		u8 plt;
		u8 sel;
	} flush;
	struct {
		struct sroce_path path;
		u32 qpn;
		u32 qkey;
	} ud;
	struct {
		struct ib_mr *mr;
		u32 key;
		u32 access;
		u64 addr;
		u64 length;
		u32 mr_lkey;
		u32 mw_rkey;
	} mem;
	union {
		DECLARE_FLEX_ARRAY(struct rxe_sge, sge);
		DECLARE_FLEX_ARRAY(u8, inline_data);
	};
};

/* A receive WQE, copied and checked. */
struct sroce_rwqe {
	u64 wr_id;
	u32 num_sge;
	u32 length;
	struct rxe_sge sge[SROCE_MAX_SGE_RWQE];
};

/*
 * A READ, an ATOMIC or a FLUSH: answered with a response (a FLUSH with a
 * READ response of 0 bytes), limited by max_rd_atomic.
 */
static inline bool sroce_swqe_is_rd(const struct sroce_swqe *w)
{
	return w->opcode == IB_WR_RDMA_READ ||
	       w->opcode == IB_WR_ATOMIC_CMP_AND_SWP ||
	       w->opcode == IB_WR_ATOMIC_FETCH_AND_ADD ||
	       w->opcode == SROCE_WR_FLUSH;
}

size_t sroce_swqe_data_size(const struct ib_qp_cap *cap);
size_t sroce_swqe_stride(const struct ib_qp_cap *cap);
int sroce_swqe_fetch(struct sroce_qp *qp, u32 index, struct sroce_swqe *w);
int sroce_swqe_check_sges(struct sroce_qp *qp, const struct sroce_swqe *w);
int sroce_rwqe_copy(struct sroce_rwqe *dst, const struct rxe_recv_wqe *src,
		    u32 max_sge);

int sroce_sge_to_txb(struct sroce_dev *sdev, struct ib_pd *pd,
		     const struct sroce_swqe *w, u32 offset,
		     struct sroce_txb *txb);
int sroce_sge_from_skb(struct sroce_dev *sdev, struct ib_pd *pd,
		       const struct rxe_sge *sge, u32 num_sge, u32 offset,
		       const struct sk_buff *skb, struct sroce_skb_pos *pos,
		       int skb_off, u32 len, u32 *crc);
int sroce_sge_copy(struct sroce_dev *sdev, struct ib_pd *pd,
		   const struct rxe_sge *sge, u32 num_sge, u32 offset,
		   void *buf, u32 len, enum sroce_copy_dir dir);
int sroce_mr_to_txb(struct sroce_mr *mr, u64 iova, struct sroce_txb *txb);
int sroce_mr_from_skb(struct sroce_mr *mr, u64 iova,
		      const struct sk_buff *skb, struct sroce_skb_pos *pos,
		      int skb_off, u32 len, u32 *crc);

#endif /* _SROCE_WQE_H */
