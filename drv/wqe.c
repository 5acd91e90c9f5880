// SPDX-License-Identifier: GPL-2.0
/*
 * sroce: copying work requests out of the rings and checking the copies;
 * moving message bytes between local SGE lists and packets.
 */
#include <linux/overflow.h>

#include "ah.h"
#include "compat.h"
#include "crc32.h"
#include "frag.h"
#include "qp.h"
#include "skbpos.h"
#include "srq.h"
#include "verbs.h"
#include "wire.h"
#include "wqe.h"

/*
 * Bytes behind a send WQE, in a ring slot and in its private copy: its
 * SGEs or its inline data, which share the space, and at least the 8
 * bytes of an ATOMIC WRITE (which sit inline).
 */
size_t sroce_swqe_data_size(const struct ib_qp_cap *cap)
{
	return max3(cap->max_send_sge * sizeof(struct rxe_sge),
		    (size_t)cap->max_inline_data, sizeof(u64));
}

size_t sroce_swqe_stride(const struct ib_qp_cap *cap)
{
	return ALIGN(sizeof(struct sroce_swqe) + sroce_swqe_data_size(cap), 8);
}

static bool sroce_opcode_ok(enum ib_qp_type type, u32 opcode, bool user)
{
	switch (opcode) {
	case IB_WR_SEND:
	case IB_WR_SEND_WITH_IMM:
		return true;
	case IB_WR_RDMA_WRITE:
	case IB_WR_RDMA_WRITE_WITH_IMM:
		return type == IB_QPT_RC || type == IB_QPT_UC;
	case IB_WR_RDMA_READ:
	case IB_WR_ATOMIC_CMP_AND_SWP:
	case IB_WR_ATOMIC_FETCH_AND_ADD:
	case IB_WR_SEND_WITH_INV:
	case SROCE_WR_ATOMIC_WRITE:
		return type == IB_QPT_RC;
	case SROCE_WR_FLUSH:
		/* the kernel has no work request that names a FLUSH's target */
		return user && type == IB_QPT_RC && sroce_have_flush();
	case IB_WR_LOCAL_INV:
	case IB_WR_BIND_MW:
		return type == IB_QPT_RC || type == IB_QPT_UC;
	case IB_WR_REG_MR:
		/* carries a kernel pointer: kernel QPs only */
		return !user && (type == IB_QPT_RC || type == IB_QPT_UC);
	default:
		return false;
	}
}

static int sroce_swqe_ud(struct sroce_qp *qp, const struct rxe_send_wqe *src,
			 struct sroce_swqe *w, bool user)
{
	struct sroce_dev *sdev = sroce_qp_dev(qp);
	struct sroce_ref *ref;
	struct sroce_ah *ah;
	int err;

	w->ud.qpn = src->wr.wr.ud.remote_qpn & SROCE_QPN_MASK;
	w->ud.qkey = src->wr.wr.ud.remote_qkey;
	if (!user) {
		/* post_send wrote the AH's address vector and VLAN, trusted */
		err = sroce_path_from_rxe_av(&w->ud.path, &src->wr.wr.ud.av,
					     qp->ibqp.qp_num);
		w->ud.path.vlan_id = src->wr.wr.ud.reserved;
		return err;
	}
	/* a user's own address vector is not trusted: only its AH numbers */
	ah = sroce_ah_get(sdev, src->wr.wr.ud.ah_num, qp->ibqp.pd, &ref);
	if (!ah)
		return -EINVAL;
	err = sroce_path_from_rxe_av(&w->ud.path, &ah->av, qp->ibqp.qp_num);
	w->ud.path.vlan_id = ah->vlan_id;
	sroce_ah_put(ref);
	return err;
}

/**
 * sroce_swqe_fetch() - copy the send WQE of ring slot @index and check it
 * @qp: the QP, req.lock held.
 * @index: a published slot not consumed yet.
 * @w: the QP's private copy for that slot.
 *
 * Returns 0 when @w is a valid request, or a negative error when it is
 * not: @w is then DONE with an error status, to be completed in order.
 */
int sroce_swqe_fetch(struct sroce_qp *qp, u32 index, struct sroce_swqe *w)
{
	const struct rxe_send_wqe *slot = sroce_queue_slot_at(&qp->sq, index);
	bool user = sroce_queue_is_user(&qp->sq);
	struct rxe_send_wqe src;
	enum ib_wc_status status;
	u64 total = 0;
	u32 i;

	lockdep_assert_held(&qp->req.lock);
	memcpy(&src, slot, sizeof(src));

	memset(w, 0, sizeof(*w));
	w->wr_id = src.wr.wr_id;
	w->opcode = src.wr.opcode;
	w->send_flags = src.wr.send_flags;
	w->state = SROCE_SWQE_PENDING;
	w->status = IB_WC_SUCCESS;
	if (qp->sq_sig_all)
		w->send_flags |= IB_SEND_SIGNALED;

	status = IB_WC_LOC_QP_OP_ERR;
	if (!sroce_opcode_ok(qp->ibqp.qp_type, w->opcode, user))
		goto err;

	w->imm = src.wr.ex.imm_data;
	w->inv_rkey = src.wr.ex.invalidate_rkey;
	switch (w->opcode) {
	case IB_WR_ATOMIC_CMP_AND_SWP:
	case IB_WR_ATOMIC_FETCH_AND_ADD:
		w->remote_addr = src.wr.wr.atomic.remote_addr;
		w->rkey = src.wr.wr.atomic.rkey;
		w->compare_add = src.wr.wr.atomic.compare_add;
		w->swap = src.wr.wr.atomic.swap;
		break;
	case IB_WR_LOCAL_INV:
		return 0;
	case SROCE_WR_FLUSH: {
		u8 plt, sel;

		/* no local data: the range is the peer's */
		sroce_flush_wr(&src.wr, &w->remote_addr, &w->flush.len,
			       &w->rkey, &plt, &sel);
		if (!sroce_feth_valid(plt, sel))
			goto err;
		w->flush.plt = plt;
		w->flush.sel = sel;
		return 0;
	}
	case IB_WR_BIND_MW:
		w->mem.addr = src.wr.wr.mw.addr;
		w->mem.length = src.wr.wr.mw.length;
		w->mem.mr_lkey = src.wr.wr.mw.mr_lkey;
		w->mem.mw_rkey = src.wr.wr.mw.mw_rkey;
		w->mem.key = src.wr.wr.mw.rkey;
		w->mem.access = src.wr.wr.mw.access;
		return 0;
	case IB_WR_REG_MR:
		w->mem.mr = src.wr.wr.reg.mr;
		w->mem.key = src.wr.wr.reg.key;
		w->mem.access = src.wr.wr.reg.access;
		return 0;
	default:
		w->remote_addr = src.wr.wr.rdma.remote_addr;
		w->rkey = src.wr.wr.rdma.rkey;
		break;
	}

	status = IB_WC_LOC_LEN_ERR;
	if (w->opcode == SROCE_WR_ATOMIC_WRITE && user) {
		/* the rxe provider puts the 8 bytes where inline data goes */
		if (src.dma.length != sizeof(u64))
			goto err;
		w->inl = true;
		w->length = sizeof(u64);
		memcpy(w->inline_data, slot->dma.inline_data, sizeof(u64));
	} else if (w->send_flags & IB_SEND_INLINE) {
		if (src.dma.length > qp->cap.max_inline_data)
			goto err;
		w->inl = true;
		w->length = src.dma.length;
		memcpy(w->inline_data, slot->dma.inline_data, w->length);
	} else {
		if (src.dma.num_sge > qp->cap.max_send_sge)
			goto err;
		w->num_sge = src.dma.num_sge;
		memcpy(w->sge, slot->dma.sge, w->num_sge * sizeof(w->sge[0]));
		for (i = 0; i < w->num_sge; i++)
			total += w->sge[i].length;
		if (total > SROCE_MAX_MSG_SIZE)
			goto err;
		w->length = total;
	}

	switch (w->opcode) {
	case IB_WR_ATOMIC_CMP_AND_SWP:
	case IB_WR_ATOMIC_FETCH_AND_ADD:
		if (w->length != sizeof(u64) || w->inl)
			goto err;
		break;
	case SROCE_WR_ATOMIC_WRITE:
		if (w->length != sizeof(u64))
			goto err;
		break;
	case IB_WR_RDMA_READ:
		if (w->inl)
			goto err;
		break;
	default:
		break;
	}

	if (qp->ibqp.qp_type == IB_QPT_UD || qp->ibqp.qp_type == IB_QPT_GSI) {
		if (w->length > qp->req.mtu)
			goto err;
		status = IB_WC_LOC_QP_OP_ERR;
		if (sroce_swqe_ud(qp, &src, w, user))
			goto err;
	}
	return 0;

err:
	w->state = SROCE_SWQE_DONE;
	w->status = status;
	return -EINVAL;
}

/* Copies a receive WQE (from a ring slot or an SRQ pop) and checks it. */
int sroce_rwqe_copy(struct sroce_rwqe *dst, const struct rxe_recv_wqe *src,
		    u32 max_sge)
{
	u64 total = 0;
	u32 i, n;

	BUILD_BUG_ON(SROCE_MAX_SGE > SROCE_MAX_SGE_RWQE);
	BUILD_BUG_ON(SROCE_MAX_SRQ_SGE > SROCE_MAX_SGE_RWQE);

	dst->wr_id = src->wr_id;
	n = READ_ONCE(src->dma.num_sge);
	if (n > max_sge || n > SROCE_MAX_SGE_RWQE) {
		dst->num_sge = 0;
		dst->length = 0;
		return -EINVAL;
	}
	memcpy(dst->sge, src->dma.sge, n * sizeof(dst->sge[0]));
	dst->num_sge = n;
	for (i = 0; i < n; i++)
		total += dst->sge[i].length;
	dst->length = min_t(u64, total, SROCE_MAX_MSG_SIZE);
	return 0;
}

typedef int (*sroce_page_fn)(void *ctx, struct page *page, unsigned int off,
			     u32 n);

/*
 * Walks [offset, offset + len) of an SGE list, calling @fn on each MR piece
 * mapped at a kernel address, or with @page_fn set, @page_fn on each page
 * piece (user MRs only). Every SGE's lkey is looked up and checked for
 * @access.
 */
static int sroce_sge_walk(struct sroce_dev *sdev, struct ib_pd *pd,
			  const struct rxe_sge *sge, u32 num_sge, u32 offset,
			  u32 len, int access,
			  int (*fn)(void *ctx, void *va, u32 n),
			  sroce_page_fn page_fn, void *ctx)
{
	struct sroce_ref *ref;
	struct sroce_mr *mr;
	u32 i, n;
	int err;

	for (i = 0; i < num_sge && offset >= sge[i].length; i++)
		offset -= sge[i].length;
	for (; len && i < num_sge; i++, offset = 0) {
		n = min(len, sge[i].length - offset);
		if (!n)
			continue;
		mr = sroce_mr_get(sdev, sge[i].lkey, pd, access,
				  sge[i].addr + offset, n, &ref);
		if (IS_ERR(mr))
			return PTR_ERR(mr);
		if (page_fn)
			err = sroce_mr_iter_pages(mr, sge[i].addr + offset, n,
						  page_fn, ctx);
		else
			err = sroce_mr_iter(mr, sge[i].addr + offset, n, fn,
					    ctx);
		sroce_mr_put(ref);
		if (err)
			return err;
		len -= n;
	}
	return len ? -ERANGE : 0;
}

/*
 * Checks every SGE of @w against its lkey before the first packet goes
 * out, so a bad key fails the WQE without sending any of it. The copies
 * check again, per packet.
 */
int sroce_swqe_check_sges(struct sroce_qp *qp, const struct sroce_swqe *w)
{
	struct sroce_dev *sdev = sroce_qp_dev(qp);
	int access = 0;
	struct sroce_ref *ref;
	struct sroce_mr *mr;
	u32 i;

	if (w->inl)
		return 0;
	if (sroce_swqe_is_rd(w))
		access = IB_ACCESS_LOCAL_WRITE;
	for (i = 0; i < w->num_sge; i++) {
		if (!w->sge[i].length)
			continue;
		mr = sroce_mr_get(sdev, w->sge[i].lkey, qp->ibqp.pd, access,
				  w->sge[i].addr, w->sge[i].length, &ref);
		if (IS_ERR(mr))
			return PTR_ERR(mr);
		sroce_mr_put(ref);
	}
	return 0;
}

struct sroce_txb_ctx {
	struct sroce_txb *txb;
	u32 off;
};

static int sroce_piece_to_txb(void *ctx, void *va, u32 n)
{
	struct sroce_txb_ctx *c = ctx;
	void *dst = c->txb->payload + c->off;

	c->txb->crc = sroce_crc32_copy(c->txb->crc, dst, va, n);
	c->off += n;
	return 0;
}

static int sroce_page_to_txb(void *ctx, struct page *page, unsigned int off,
			     u32 n)
{
	struct sroce_txb_ctx *c = ctx;

	return sroce_txb_add_page(c->txb, page, off, n);
}

/*
 * Fills the payload of @txb from the message of @w at @offset: the one
 * copy of the send side, with the ICRC folded in; for a zero-copy @txb no
 * copy, the pages attached (-EOPNOTSUPP or -EMSGSIZE: the message cannot
 * be sent that way, build the frame again by copying).
 */
int sroce_sge_to_txb(struct sroce_dev *sdev, struct ib_pd *pd,
		     const struct sroce_swqe *w, u32 offset,
		     struct sroce_txb *txb)
{
	struct sroce_txb_ctx c = { .txb = txb };

	if (w->inl) {
		if (offset > w->length || txb->paylen > w->length - offset)
			return -ERANGE;
		return sroce_piece_to_txb(&c, (void *)w->inline_data + offset,
					  txb->paylen);
	}
	if (txb->zcopy)
		return sroce_sge_walk(sdev, pd, w->sge, w->num_sge, offset,
				      txb->paylen, 0, NULL, sroce_page_to_txb,
				      &c);
	return sroce_sge_walk(sdev, pd, w->sge, w->num_sge, offset,
			      txb->paylen, 0, sroce_piece_to_txb, NULL, &c);
}

/*
 * Fills the payload of @txb from an MR (read responses), with the ICRC
 * folded in: copied into the skb's head, or for a @txb built for page
 * fragments (tx.h: zcopy) into a fragment of our own that it then takes.
 */
int sroce_mr_to_txb(struct sroce_mr *mr, u64 iova, struct sroce_txb *txb)
{
	struct sroce_txb_ctx c = { .txb = txb };
	void *va;
	int err;

	if (!txb->zcopy)
		return sroce_mr_iter(mr, iova, txb->paylen,
				     sroce_piece_to_txb, &c);
	va = sroce_frag_alloc(txb->paylen);
	if (!va)
		return -ENOMEM;
	txb->payload = va;
	err = sroce_mr_iter(mr, iova, txb->paylen, sroce_piece_to_txb, &c);
	txb->payload = NULL;
	if (!err)
		err = sroce_txb_add_frag(txb, va, txb->paylen);
	if (err)
		skb_free_frag(va);
	return err;
}

struct sroce_skb_ctx {
	const struct sk_buff *skb;
	struct sroce_skb_pos *pos;
	int off;
	u32 *crc;
};

static int sroce_piece_from_skb(void *ctx, void *va, u32 n)
{
	struct sroce_skb_ctx *c = ctx;
	int err;

	err = sroce_skb_copy_crc(c->skb, c->pos, c->off, va, n, c->crc);
	c->off += n;
	return err;
}

/*
 * Writes @len payload bytes of @skb at @skb_off into an SGE list; @pos: a
 * cursor into @skb (skbpos.h) or NULL. @crc: NULL, or a CRC the bytes are
 * folded into as they are copied.
 */
int sroce_sge_from_skb(struct sroce_dev *sdev, struct ib_pd *pd,
		       const struct rxe_sge *sge, u32 num_sge, u32 offset,
		       const struct sk_buff *skb, struct sroce_skb_pos *pos,
		       int skb_off, u32 len, u32 *crc)
{
	struct sroce_skb_ctx c = {
		.skb = skb, .pos = pos, .off = skb_off, .crc = crc,
	};

	return sroce_sge_walk(sdev, pd, sge, num_sge, offset, len,
			      IB_ACCESS_LOCAL_WRITE, sroce_piece_from_skb, NULL,
			      &c);
}

/*
 * Writes @len payload bytes of @skb at @skb_off into an MR; @pos above.
 * @crc: NULL, or a CRC the bytes are folded into as they are copied.
 */
int sroce_mr_from_skb(struct sroce_mr *mr, u64 iova,
		      const struct sk_buff *skb, struct sroce_skb_pos *pos,
		      int skb_off, u32 len, u32 *crc)
{
	struct sroce_skb_ctx c = {
		.skb = skb, .pos = pos, .off = skb_off, .crc = crc,
	};

	return sroce_mr_iter(mr, iova, len, sroce_piece_from_skb, &c);
}

/* Copies between a linear buffer and an SGE list (atomics, the GRH). */
int sroce_sge_copy(struct sroce_dev *sdev, struct ib_pd *pd,
		   const struct rxe_sge *sge, u32 num_sge, u32 offset,
		   void *buf, u32 len, enum sroce_copy_dir dir)
{
	struct sroce_copy_ctx c = { .buf = buf, .dir = dir };

	return sroce_sge_walk(sdev, pd, sge, num_sge, offset, len,
			      dir == SROCE_COPY_TO_MR ? IB_ACCESS_LOCAL_WRITE : 0,
			      sroce_mr_copy_piece, NULL, &c);
}
