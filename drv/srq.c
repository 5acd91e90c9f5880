// SPDX-License-Identifier: GPL-2.0
/*
 * sroce: shared receive queues; who calls what is in srq.h.
 */
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <rdma/ib_verbs.h>
#include <rdma/rdma_user_rxe.h>

#include "device.h"
#include "srq.h"

static int sroce_srq_check_max_wr(struct ib_device *ibdev, u32 max_wr)
{
	if (!max_wr || max_wr > ibdev->attrs.max_srq_wr) {
		ibdev_dbg(ibdev, "SRQ max_wr %u out of range 1..%d\n", max_wr,
			  ibdev->attrs.max_srq_wr);
		return -EINVAL;
	}
	return 0;
}

int sroce_create_srq(struct ib_srq *ibsrq, struct ib_srq_init_attr *init,
		     struct ib_udata *udata)
{
	struct sroce_dev *sdev = to_sdev(ibsrq->device);
	struct ib_device *ibdev = ibsrq->device;
	struct sroce_srq *srq = to_ssrq(ibsrq);
	struct rxe_create_srq_resp resp = {};
	int err;

	if (init->srq_type != IB_SRQT_BASIC)
		return -EOPNOTSUPP;
	err = sroce_srq_check_max_wr(ibdev, init->attr.max_wr);
	if (err)
		return err;
	if (init->attr.max_sge > ibdev->attrs.max_srq_sge) {
		ibdev_dbg(ibdev, "SRQ max_sge %u over %d\n",
			  init->attr.max_sge, ibdev->attrs.max_srq_sge);
		return -EINVAL;
	}
	if (udata && udata->outlen < sizeof(resp))
		return -EINVAL;

	spin_lock_init(&srq->lock);
	srq->user = udata;
	srq->max_sge = init->attr.max_sge;
	/* the limit is armed by modify_srq only; create ignores srq_limit */
	srq->limit = 0;
	err = sroce_queue_init(&srq->queue, udata, init->attr.max_wr,
			       sroce_srq_wqe_size(srq->max_sge),
			       SROCE_QUEUE_KERNEL_CONSUMES);
	if (err)
		return err;

	/* published last: a lookup by number finds a complete SRQ */
	err = sroce_table_add(&sdev->srq_table, srq, &srq->srq_num, &srq->ref);
	if (err) {
		ibdev_dbg(ibdev, "no SRQ number (max_srq %d)\n",
			  ibdev->attrs.max_srq);
		goto err_destroy_queue;
	}

	if (udata) {
		sroce_queue_mminfo(&srq->queue, &resp.mi);
		resp.srq_num = srq->srq_num;
		err = ib_copy_to_udata(udata, &resp, sizeof(resp));
		if (err)
			goto err_remove_srq_num;
	}
	init->attr.max_wr = sroce_queue_capacity(&srq->queue);
	return 0;

err_remove_srq_num:
	sroce_table_remove(&sdev->srq_table, srq->srq_num, srq->ref);
err_destroy_queue:
	sroce_queue_destroy(&srq->queue);
	return err;
}

/*
 * Replaces the ring by one of at least @max_wr WQEs, keeping those posted
 * and not yet consumed. A user SRQ's owner learns the new ring's mminfo at
 * the address its rxe_modify_srq_cmd names, written before anything changes.
 */
static int sroce_srq_resize(struct sroce_srq *srq, struct ib_srq_attr *attr,
			    enum ib_srq_attr_mask mask, struct ib_udata *udata)
{
	struct sroce_queue new, old;
	struct rxe_modify_srq_cmd cmd;
	unsigned long flags;
	struct mminfo mi;
	int err;

	if (udata) {
		if (udata->inlen < sizeof(cmd))
			return -EINVAL;
		err = ib_copy_from_udata(&cmd, udata, sizeof(cmd));
		if (err)
			return err;
	}

	err = sroce_queue_init(&new, udata, attr->max_wr,
			       sroce_srq_wqe_size(srq->max_sge),
			       SROCE_QUEUE_KERNEL_CONSUMES);
	if (err)
		return err;
	if ((mask & IB_SRQ_LIMIT) &&
	    attr->srq_limit > sroce_queue_capacity(&new)) {
		err = -EINVAL;
		goto err_destroy_new;
	}
	if (udata) {
		sroce_queue_mminfo(&new, &mi);
		if (copy_to_user(u64_to_user_ptr(cmd.mmap_info_addr), &mi,
				 sizeof(mi))) {
			err = -EFAULT;
			goto err_destroy_new;
		}
	}

	spin_lock_irqsave(&srq->lock, flags);
	err = sroce_queue_transfer(&new, &srq->queue);
	if (err) {
		spin_unlock_irqrestore(&srq->lock, flags);
		ibdev_dbg(srq->ibsrq.device, "SRQ resize to %u: %u WQEs posted\n",
			  attr->max_wr, sroce_queue_count(&srq->queue));
		err = -EINVAL;
		goto err_destroy_new;
	}
	old = srq->queue;
	srq->queue = new;
	if (mask & IB_SRQ_LIMIT)
		srq->limit = attr->srq_limit;
	spin_unlock_irqrestore(&srq->lock, flags);

	sroce_queue_destroy(&old);
	return 0;

err_destroy_new:
	sroce_queue_destroy(&new);
	return err;
}

int sroce_modify_srq(struct ib_srq *ibsrq, struct ib_srq_attr *attr,
		     enum ib_srq_attr_mask mask, struct ib_udata *udata)
{
	struct sroce_srq *srq = to_ssrq(ibsrq);
	unsigned long flags;
	int err = 0;

	if (mask & ~(IB_SRQ_MAX_WR | IB_SRQ_LIMIT))
		return -EINVAL;

	if (mask & IB_SRQ_MAX_WR) {
		err = sroce_srq_check_max_wr(ibsrq->device, attr->max_wr);
		if (err)
			return err;
		return sroce_srq_resize(srq, attr, mask, udata);
	}

	if (mask & IB_SRQ_LIMIT) {
		spin_lock_irqsave(&srq->lock, flags);
		if (attr->srq_limit > sroce_queue_capacity(&srq->queue))
			err = -EINVAL;
		else
			srq->limit = attr->srq_limit;
		spin_unlock_irqrestore(&srq->lock, flags);
	}
	return err;
}

int sroce_query_srq(struct ib_srq *ibsrq, struct ib_srq_attr *attr)
{
	struct sroce_srq *srq = to_ssrq(ibsrq);
	unsigned long flags;

	spin_lock_irqsave(&srq->lock, flags);
	attr->max_wr = sroce_queue_capacity(&srq->queue);
	attr->max_sge = srq->max_sge;
	attr->srq_limit = srq->limit;
	spin_unlock_irqrestore(&srq->lock, flags);
	return 0;
}

/* Core only calls this once no QP uses the SRQ any more (srq->usecnt). */
int sroce_destroy_srq(struct ib_srq *ibsrq, struct ib_udata *udata)
{
	struct sroce_srq *srq = to_ssrq(ibsrq);
	struct sroce_queue old;
	unsigned long flags;

	/* waits until no lookup by number still holds the SRQ */
	sroce_table_remove(&to_sdev(ibsrq->device)->srq_table, srq->srq_num,
			   srq->ref);

	spin_lock_irqsave(&srq->lock, flags);
	old = srq->queue;
	memset(&srq->queue, 0, sizeof(srq->queue));
	spin_unlock_irqrestore(&srq->lock, flags);

	sroce_queue_destroy(&old);
	return 0;
}

/* Writes a kernel ULP's receive request into a ring slot (RQ or SRQ). */
void sroce_recv_wqe_fill(struct rxe_recv_wqe *wqe, const struct ib_recv_wr *wr)
{
	u32 length = 0;
	int i;

	wqe->wr_id = wr->wr_id;
	for (i = 0; i < wr->num_sge; i++) {
		wqe->dma.sge[i].addr = wr->sg_list[i].addr;
		wqe->dma.sge[i].length = wr->sg_list[i].length;
		wqe->dma.sge[i].lkey = wr->sg_list[i].lkey;
		length += wr->sg_list[i].length;
	}
	wqe->dma.length = length;
	wqe->dma.resid = length;
	wqe->dma.cur_sge = 0;
	wqe->dma.num_sge = wr->num_sge;
	wqe->dma.sge_offset = 0;
}

/* Kernel SRQs: posts @wr and those chained to it; stops at the first bad. */
int sroce_post_srq_recv(struct ib_srq *ibsrq, const struct ib_recv_wr *wr,
			const struct ib_recv_wr **bad_wr)
{
	struct sroce_srq *srq = to_ssrq(ibsrq);
	struct rxe_recv_wqe *wqe;
	unsigned long flags;
	int err = 0;

	if (srq->user) {
		*bad_wr = wr;
		return -EOPNOTSUPP;
	}

	spin_lock_irqsave(&srq->lock, flags);
	for (; wr; wr = wr->next) {
		if (wr->num_sge < 0 || (u32)wr->num_sge > srq->max_sge) {
			err = -EINVAL;
			break;
		}
		wqe = sroce_queue_producer_addr(&srq->queue);
		if (!wqe) {
			err = -ENOMEM;
			break;
		}
		sroce_recv_wqe_fill(wqe, wr);
		sroce_queue_advance_producer(&srq->queue);
	}
	spin_unlock_irqrestore(&srq->lock, flags);
	if (err)
		*bad_wr = wr;
	return err;
}

/**
 * sroce_srq_limit_reached() - fire the armed SRQ limit event if it is due
 * @srq: the SRQ, held by the caller.
 *
 * When a limit is armed and fewer WQEs than the limit are posted, disarms
 * the limit and reports IB_EVENT_SRQ_LIMIT_REACHED through the SRQ's
 * event_handler. Whoever consumed WQEs with sroce_srq_pop_wqe() calls it
 * once it holds no sroce lock: the handler, called in softirq by the
 * responder, may call back into the verbs that do not sleep on the SRQ and
 * on the QP that consumed (ib_post_srq_recv(), ib_modify_srq(),
 * ib_post_send(), ...); not ib_modify_qp() or ib_query_qp() (attr_lock).
 * Returns whether the event fired. Any context, no sroce lock held.
 */
bool sroce_srq_limit_reached(struct sroce_srq *srq)
{
	struct ib_srq *ibsrq = &srq->ibsrq;
	struct ib_event ev = {
		.device = ibsrq->device,
		.element.srq = ibsrq,
		.event = IB_EVENT_SRQ_LIMIT_REACHED,
	};
	unsigned long flags;
	bool fire = false;

	spin_lock_irqsave(&srq->lock, flags);
	if (srq->limit && srq->queue.buf &&
	    sroce_queue_count(&srq->queue) < srq->limit) {
		srq->limit = 0;
		fire = true;
	}
	spin_unlock_irqrestore(&srq->lock, flags);

	if (fire && ibsrq->event_handler)
		ibsrq->event_handler(&ev, ibsrq->srq_context);
	return fire;
}

/**
 * sroce_srq_pop_wqe() - take the oldest posted WQE
 * @srq: the SRQ, held by the caller.
 * @wqe: where to copy it.
 * @size: bytes at @wqe, at least sroce_srq_wqe_size(@srq->max_sge).
 *
 * Copies the WQE out of the ring (a user may rewrite it at any time, so
 * only the copy is checked and used) and consumes it. It does not raise the
 * limit event, since the caller may hold locks (the responder's): the
 * caller calls sroce_srq_limit_reached() once it dropped them.
 * Only dma.num_sge is checked here; lengths are the poster's claims, to be
 * recomputed from the SGEs by whoever uses them.
 * Returns 0; -ENOENT when none is posted; -EINVAL when the WQE is malformed
 * (more SGEs than the SRQ allows): it is consumed all the same, and the
 * caller completes the receive in error. Any context.
 */
int sroce_srq_pop_wqe(struct sroce_srq *srq, struct rxe_recv_wqe *wqe,
		      size_t size)
{
	size_t need = sroce_srq_wqe_size(srq->max_sge);
	unsigned long flags;
	int err = 0;

	if (size < need)
		return -EINVAL;

	spin_lock_irqsave(&srq->lock, flags);
	if (!srq->queue.buf ||
	    !sroce_queue_copy_out(&srq->queue, wqe, need)) {
		spin_unlock_irqrestore(&srq->lock, flags);
		return -ENOENT;
	}
	sroce_queue_advance_consumer(&srq->queue);
	spin_unlock_irqrestore(&srq->lock, flags);

	if (wqe->dma.num_sge > srq->max_sge)
		err = -EINVAL;
	return err;
}
