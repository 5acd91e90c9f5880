// SPDX-License-Identifier: GPL-2.0
/*
 * sroce: completion queues; who calls what is in cq.h.
 */
#include <linux/cpumask.h>
#include <linux/spinlock.h>
#include <net/netlink.h>
#include <rdma/ib_verbs.h>
#include <rdma/rdma_netlink.h>
#include <rdma/rdma_user_rxe.h>
#include <rdma/restrack.h>

#include "cq.h"
#include "device.h"

static size_t sroce_cq_elem_size(bool user)
{
	return user ? sizeof(struct ib_uverbs_wc) : sizeof(struct ib_wc);
}

static int sroce_cq_check_cqe(struct ib_device *ibdev, unsigned int cqe)
{
	if (!cqe || cqe > ibdev->attrs.max_cqe) {
		ibdev_dbg(ibdev, "CQ size %u out of range 1..%d\n", cqe,
			  ibdev->attrs.max_cqe);
		return -EINVAL;
	}
	return 0;
}

/* Fills the response every user create and resize gets: the ring's mminfo. */
static int sroce_cq_copy_mminfo(struct sroce_queue *q, struct ib_udata *udata)
{
	struct rxe_create_cq_resp resp;

	BUILD_BUG_ON(sizeof(struct rxe_create_cq_resp) !=
		     sizeof(struct rxe_resize_cq_resp));
	sroce_queue_mminfo(q, &resp.mi);
	return ib_copy_to_udata(udata, &resp, sizeof(resp));
}

static void sroce_cq_notify_fn(void *info)
{
	struct sroce_cq *cq = info;

	/* fully ordered before the handler polls: later completions IPI */
	atomic_xchg(&cq->notify_queued, 0);
	cq->ibcq.comp_handler(&cq->ibcq, cq->ibcq.cq_context);
	/* pairs with destroy's acquire: the CQ may go once this is seen */
	atomic_dec_return_release(&cq->notify_inflight);
}

int sroce_create_cq(struct ib_cq *ibcq, const struct ib_cq_init_attr *attr,
		    struct sroce_create_cq_uarg *uarg)
{
	struct ib_udata *udata = sroce_create_cq_udata(uarg);
	struct sroce_dev *sdev = to_sdev(ibcq->device);
	struct sroce_cq *cq = to_scq(ibcq);
	int err;

	if (attr->flags)
		return -EOPNOTSUPP;
	if (attr->comp_vector >= ibcq->device->num_comp_vectors)
		return -EINVAL;
	err = sroce_cq_check_cqe(ibcq->device, attr->cqe);
	if (err)
		return err;
	if (udata && udata->outlen < sizeof(struct rxe_create_cq_resp))
		return -EINVAL;

	if (atomic_inc_return(&sdev->num_cq) > ibcq->device->attrs.max_cq) {
		ibdev_dbg(ibcq->device, "max_cq (%d) CQs exist\n",
			  ibcq->device->attrs.max_cq);
		err = -ENOMEM;
		goto err_dec_count;
	}

	spin_lock_init(&cq->lock);
	cq->user = udata;
	/* the vector-th online CPU (a soft device has no NUMA node) */
	cq->cpu = cpumask_local_spread(attr->comp_vector, NUMA_NO_NODE);
	INIT_CSD(&cq->notify_csd, sroce_cq_notify_fn, cq);
	atomic_set(&cq->notify_queued, 0);
	atomic_set(&cq->notify_inflight, 0);
	err = sroce_queue_init(&cq->queue, udata, attr->cqe,
			       sroce_cq_elem_size(cq->user),
			       SROCE_QUEUE_KERNEL_PRODUCES);
	if (err)
		goto err_dec_count;

	if (udata) {
		err = sroce_cq_copy_mminfo(&cq->queue, udata);
		if (err)
			goto err_destroy_queue;
	}
	ibcq->cqe = sroce_queue_capacity(&cq->queue);
	return 0;

err_destroy_queue:
	sroce_queue_destroy(&cq->queue);
err_dec_count:
	atomic_dec(&sdev->num_cq);
	return err;
}

/*
 * Replaces the ring with one of at least @cqe entries, keeping the
 * completions not yet polled (-EINVAL when they do not fit). A user CQ's
 * owner maps the new ring after this returns; the old mapping stays valid
 * memory until it unmaps it.
 */
int sroce_resize_cq(struct ib_cq *ibcq, int cqe, struct ib_udata *udata)
{
	struct sroce_cq *cq = to_scq(ibcq);
	struct sroce_queue new, old;
	unsigned long flags;
	int err;

	if (cqe < 0)
		return -EINVAL;
	err = sroce_cq_check_cqe(ibcq->device, cqe);
	if (err)
		return err;
	if (udata && udata->outlen < sizeof(struct rxe_resize_cq_resp))
		return -EINVAL;

	err = sroce_queue_init(&new, udata, cqe, sroce_cq_elem_size(cq->user),
			       SROCE_QUEUE_KERNEL_PRODUCES);
	if (err)
		return err;
	if (udata) {
		/* before the swap: a failed copy must leave the CQ as it was */
		err = sroce_cq_copy_mminfo(&new, udata);
		if (err)
			goto err_destroy_new;
	}

	spin_lock_irqsave(&cq->lock, flags);
	err = sroce_queue_transfer(&new, &cq->queue);
	if (err) {
		spin_unlock_irqrestore(&cq->lock, flags);
		ibdev_dbg(ibcq->device, "CQ resize to %d: %u completions pending\n",
			  cqe, sroce_queue_count(&cq->queue));
		err = -EINVAL;
		goto err_destroy_new;
	}
	old = cq->queue;
	cq->queue = new;
	ibcq->cqe = sroce_queue_capacity(&new);
	spin_unlock_irqrestore(&cq->lock, flags);

	sroce_queue_destroy(&old);
	return 0;

err_destroy_new:
	sroce_queue_destroy(&new);
	return err;
}

/* Returns once every comp_handler IPI sent so far has finished. */
void sroce_cq_notify_wait(struct sroce_cq *cq)
{
	while (atomic_read_acquire(&cq->notify_inflight))
		cpu_relax();
}

/* Core only calls this once no QP uses the CQ any more (cq->usecnt). */
int sroce_destroy_cq(struct ib_cq *ibcq, struct ib_udata *udata)
{
	struct sroce_cq *cq = to_scq(ibcq);
	struct sroce_queue old;
	unsigned long flags;

	/* a racing resource dump sees either the ring or nothing */
	spin_lock_irqsave(&cq->lock, flags);
	old = cq->queue;
	memset(&cq->queue, 0, sizeof(cq->queue));
	spin_unlock_irqrestore(&cq->lock, flags);

	/* core destroys a CQ no QP uses: no new IPI; wait for the last */
	sroce_cq_notify_wait(cq);
	sroce_queue_destroy(&old);
	atomic_dec(&to_sdev(ibcq->device)->num_cq);
	return 0;
}

int sroce_poll_cq(struct ib_cq *ibcq, int num_entries, struct ib_wc *wc)
{
	struct sroce_cq *cq = to_scq(ibcq);
	unsigned long flags;
	int n = 0;

	/* user CQs are polled in user space, through the mapped ring */
	if (cq->user)
		return -EOPNOTSUPP;

	spin_lock_irqsave(&cq->lock, flags);
	while (n < num_entries &&
	       sroce_queue_copy_out(&cq->queue, &wc[n], sizeof(*wc))) {
		sroce_queue_advance_consumer(&cq->queue);
		n++;
	}
	spin_unlock_irqrestore(&cq->lock, flags);
	return n;
}

/*
 * Arms the CQ. A solicited-only request does not weaken an armed
 * next-completion one. With IB_CQ_REPORT_MISSED_EVENTS, returns 1 when
 * completions are waiting already (the caller polls again instead of
 * sleeping), else 0.
 */
int sroce_req_notify_cq(struct ib_cq *ibcq, enum ib_cq_notify_flags flags)
{
	struct sroce_cq *cq = to_scq(ibcq);
	unsigned long irqflags;
	int ret = 0;

	spin_lock_irqsave(&cq->lock, irqflags);
	if ((flags & IB_CQ_SOLICITED_MASK) == IB_CQ_NEXT_COMP)
		cq->notify = IB_CQ_NEXT_COMP;
	else if ((flags & IB_CQ_SOLICITED_MASK) == IB_CQ_SOLICITED &&
		 cq->notify != IB_CQ_NEXT_COMP)
		cq->notify = IB_CQ_SOLICITED;
	if ((flags & IB_CQ_REPORT_MISSED_EVENTS) && cq->queue.buf &&
	    sroce_queue_count(&cq->queue))
		ret = 1;
	spin_unlock_irqrestore(&cq->lock, irqflags);
	return ret;
}

/*
 * The flags libibverbs defines for struct ibv_wc differ from the kernel's
 * from bit 2 on: the kernel's IB_WC_WITH_INVALIDATE (bit 2) is what
 * userspace reads as IBV_WC_IP_CSUM_OK, and userspace's IBV_WC_WITH_INV is
 * bit 3. A user CQ gets userspace's meaning.
 */
#define SROCE_UWC_WITH_INV	BIT(3)

static u32 sroce_wc_flags_to_user(int flags)
{
	u32 uflags = flags & (IB_WC_GRH | IB_WC_WITH_IMM);

	if (flags & IB_WC_WITH_INVALIDATE)
		uflags |= SROCE_UWC_WITH_INV;
	return uflags;
}

static void sroce_wc_to_uverbs(struct ib_uverbs_wc *uwc,
			       const struct ib_wc *wc)
{
	memset(uwc, 0, sizeof(*uwc));
	uwc->wr_id = wc->wr_id;
	uwc->status = wc->status;
	uwc->opcode = wc->opcode;
	uwc->vendor_err = wc->vendor_err;
	uwc->byte_len = wc->byte_len;
	uwc->ex.imm_data = wc->ex.imm_data;
	uwc->qp_num = wc->qp ? wc->qp->qp_num : 0;
	uwc->src_qp = wc->src_qp;
	uwc->wc_flags = sroce_wc_flags_to_user(wc->wc_flags);
	uwc->pkey_index = wc->pkey_index;
	uwc->slid = wc->slid;
	uwc->sl = wc->sl;
	uwc->dlid_path_bits = wc->dlid_path_bits;
	uwc->port_num = wc->port_num;
}

/**
 * sroce_cq_push() - add one completion to a CQ, without calling handlers
 * @cq: the CQ; the caller keeps it alive (see cq.h).
 * @wc: the completion, ib_wc style (->qp set); converted to the user
 *	layout for a user CQ.
 * @solicited: the completion is of a message with the solicited event bit.
 *
 * Returns SROCE_CQ_* flags: NOTIFY when the comp_handler is due (armed for
 * the next completion, or for solicited ones and this one is solicited or
 * failed; the CQ is disarmed), OVERFLOWED when the ring was full and the
 * CQ just went to error (IB_EVENT_CQ_ERR is due), DROPPED when the
 * completion was not stored (overflow now or earlier). The caller passes
 * the flags to sroce_cq_handlers() once it holds no lock. Any context.
 */
int sroce_cq_push(struct sroce_cq *cq, const struct ib_wc *wc, bool solicited)
{
	unsigned long flags;
	int ret = 0;
	void *slot;

	spin_lock_irqsave(&cq->lock, flags);
	if (cq->error || !cq->queue.buf) {
		spin_unlock_irqrestore(&cq->lock, flags);
		return SROCE_CQ_DROPPED;
	}
	slot = sroce_queue_producer_addr(&cq->queue);
	if (!slot) {
		cq->error = true;
		ret = SROCE_CQ_OVERFLOWED | SROCE_CQ_DROPPED;
	} else {
		if (cq->user)
			sroce_wc_to_uverbs(slot, wc);
		else
			memcpy(slot, wc, sizeof(*wc));
		sroce_queue_advance_producer(&cq->queue);
		if (cq->notify == IB_CQ_NEXT_COMP ||
		    (cq->notify == IB_CQ_SOLICITED &&
		     (solicited || wc->status != IB_WC_SUCCESS))) {
			cq->notify = 0;
			ret = SROCE_CQ_NOTIFY;
		}
	}
	spin_unlock_irqrestore(&cq->lock, flags);
	return ret;
}

/*
 * The comp_handler on the vector's CPU. A notification already queued
 * there and not yet run covers this one: the handler polls the CQ empty.
 */
static void sroce_cq_notify(struct sroce_cq *cq)
{
	int cpu = get_cpu();

	/* an online CPU cannot go offline while this one stays here */
	if (cpu != cq->cpu && cpu_online(cq->cpu)) {
		if (atomic_cmpxchg(&cq->notify_queued, 0, 1)) {
			put_cpu();	/* the queued IPI's handler polls */
			return;
		}
		atomic_inc(&cq->notify_inflight);
		/* free: the last IPI's handler started after its unlock */
		if (!smp_call_function_single_async(cq->cpu,
						    &cq->notify_csd)) {
			put_cpu();
			return;
		}
		atomic_set(&cq->notify_queued, 0);
		atomic_dec(&cq->notify_inflight);
	}
	put_cpu();
	cq->ibcq.comp_handler(&cq->ibcq, cq->ibcq.cq_context);
}

/* Calls what sroce_cq_push() said is due; no sroce lock may be held. */
void sroce_cq_handlers(struct sroce_cq *cq, int flags)
{
	struct ib_cq *ibcq = &cq->ibcq;

	if (flags & SROCE_CQ_OVERFLOWED) {
		struct ib_event ev = {
			.device = ibcq->device,
			.element.cq = ibcq,
			.event = IB_EVENT_CQ_ERR,
		};

		ibdev_dbg(ibcq->device, "CQ %u overflowed\n", ibcq->res.id);
		if (ibcq->event_handler)
			ibcq->event_handler(&ev, ibcq->cq_context);
	}
	if ((flags & SROCE_CQ_NOTIFY) && ibcq->comp_handler)
		sroce_cq_notify(cq);
}

/*
 * sroce_cq_push() and sroce_cq_handlers() in one, for callers that hold no
 * lock. Returns 0, or -ENOSPC when the completion was dropped.
 */
int sroce_cq_post(struct sroce_cq *cq, const struct ib_wc *wc, bool solicited)
{
	int flags = sroce_cq_push(cq, wc, solicited);

	sroce_cq_handlers(cq, flags);
	return flags & SROCE_CQ_DROPPED ? -ENOSPC : 0;
}

/* `rdma res show cq -dd`: ring depth, completions waiting, error state. */
int sroce_fill_res_cq_entry(struct sk_buff *msg, struct ib_cq *ibcq)
{
	struct sroce_cq *cq = to_scq(ibcq);
	u32 depth = 0, used = 0, notify;
	unsigned long flags;
	struct nlattr *nest;
	bool error;

	spin_lock_irqsave(&cq->lock, flags);
	if (cq->queue.buf) {
		depth = sroce_queue_capacity(&cq->queue);
		used = sroce_queue_count(&cq->queue);
	}
	notify = cq->notify;
	error = cq->error;
	spin_unlock_irqrestore(&cq->lock, flags);

	/* the rdma tool prints driver attributes from this nest only */
	nest = nla_nest_start(msg, RDMA_NLDEV_ATTR_DRIVER);
	if (!nest)
		return -EMSGSIZE;
	if (rdma_nl_put_driver_u32(msg, "depth", depth) ||
	    rdma_nl_put_driver_u32(msg, "used", used) ||
	    rdma_nl_put_driver_u32(msg, "armed", notify) ||
	    rdma_nl_put_driver_u32(msg, "error", error)) {
		nla_nest_cancel(msg, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(msg, nest);
	return 0;
}
