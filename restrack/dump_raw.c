// SPDX-License-Identifier: GPL-2.0
/*
 * sroce: raw resource dumps; the format is pinned in dump_raw.h.
 */
#include <rdma/rdma_netlink.h>
#include <uapi/rdma/rdma_netlink.h>

#include "cq.h"
#include "dump_raw.h"
#include "mr.h"
#include "qp.h"
#include "queue.h"

static void sroce_raw_layout_pins(void)
{
	BUILD_BUG_ON(sizeof(struct sroce_raw_qp) != 56);
	BUILD_BUG_ON(sizeof(struct sroce_raw_cq) != 12);
	BUILD_BUG_ON(sizeof(struct sroce_raw_mr) != 40);
	BUILD_BUG_ON(offsetof(struct sroce_raw_qp, qpn) != 4);
	BUILD_BUG_ON(offsetof(struct sroce_raw_mr, iova) != 16);
}

static int sroce_put_raw(struct sk_buff *msg, const void *raw, int len)
{
	return nla_put(msg, RDMA_NLDEV_ATTR_RES_RAW, len, raw) ? -EMSGSIZE : 0;
}

int sroce_fill_res_qp_entry_raw(struct sk_buff *msg, struct ib_qp *ibqp)
{
	struct sroce_qp *qp = to_sqp(ibqp);
	struct sroce_raw_qp raw = {
		.version = SROCE_RAW_VERSION,
		.type = ibqp->qp_type,
		.qpn = cpu_to_le32(ibqp->qp_num),
		.max_send_wr = cpu_to_le32(qp->cap.max_send_wr),
		.max_recv_wr = cpu_to_le32(qp->cap.max_recv_wr),
		.max_send_sge = cpu_to_le32(qp->cap.max_send_sge),
		.max_recv_sge = cpu_to_le32(qp->cap.max_recv_sge),
		.max_inline_data = cpu_to_le32(qp->cap.max_inline_data),
	};
	struct sroce_qp_params p;

	sroce_raw_layout_pins();
	mutex_lock(&qp->attr_lock);
	raw.state = qp->state;
	p = qp->params;
	mutex_unlock(&qp->attr_lock);

	raw.path_mtu = p.path_mtu;
	raw.dest_qpn = cpu_to_le32(p.dest_qpn);
	raw.sq_psn = cpu_to_le32(p.sq_psn);
	raw.rq_psn = cpu_to_le32(p.rq_psn);
	raw.qkey = cpu_to_le32(p.qkey);
	raw.access = cpu_to_le32(p.access);
	raw.pkey_index = cpu_to_le16(p.pkey_index);
	raw.max_rd_atomic = p.max_rd_atomic;
	raw.max_dest_rd_atomic = p.max_dest_rd_atomic;
	raw.min_rnr_timer = p.min_rnr_timer;
	raw.timeout = p.timeout;
	raw.retry_cnt = p.retry_cnt;
	raw.rnr_retry = p.rnr_retry;
	return sroce_put_raw(msg, &raw, sizeof(raw));
}

int sroce_fill_res_cq_entry_raw(struct sk_buff *msg, struct ib_cq *ibcq)
{
	struct sroce_cq *cq = to_scq(ibcq);
	struct sroce_raw_cq raw = { .version = SROCE_RAW_VERSION };
	unsigned long flags;

	spin_lock_irqsave(&cq->lock, flags);
	if (cq->queue.buf) {
		raw.depth = cpu_to_le32(sroce_queue_capacity(&cq->queue));
		raw.used = cpu_to_le32(sroce_queue_count(&cq->queue));
	}
	raw.notify = cq->notify;
	raw.error = cq->error;
	raw.user = cq->user;
	spin_unlock_irqrestore(&cq->lock, flags);
	return sroce_put_raw(msg, &raw, sizeof(raw));
}

int sroce_fill_res_mr_entry_raw(struct sk_buff *msg, struct ib_mr *ibmr)
{
	struct sroce_mr *mr = to_smr(ibmr);
	struct sroce_raw_mr raw = {
		.version = SROCE_RAW_VERSION,
		.kind = mr->kind,
		.lkey = cpu_to_le32(ibmr->lkey),
		.access = cpu_to_le32(READ_ONCE(mr->access)),
		.iova = cpu_to_le64(READ_ONCE(mr->iova)),
		.length = cpu_to_le64(READ_ONCE(mr->length)),
		.pages = cpu_to_le64(mr->kind == SROCE_MR_FAST_REG ?
				     READ_ONCE(mr->fr_npages) :
				     READ_ONCE(mr->npages)),
	};

	return sroce_put_raw(msg, &raw, sizeof(raw));
}
