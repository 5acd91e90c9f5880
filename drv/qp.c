// SPDX-License-Identifier: GPL-2.0
/*
 * sroce: creating, modifying, querying and destroying queue pairs.
 *
 * A QP is its two rings (the SQ, and the RQ unless it receives from an
 * SRQ), its state and the attributes modify_qp set, and its QPN in the
 * device's table. Moving WQEs through the rings is the packet path's work;
 * these verbs only set it up and tear it down.
 */
#include <linux/log2.h>
#include <linux/module.h>
#include <rdma/ib_cache.h>
#include <rdma/restrack.h>
#include <rdma/uverbs_ioctl.h>

#include "mcast.h"
#include "qp.h"
#include "qp_state.h"
#include "wqe.h"

static unsigned int max_qp = SROCE_MAX_QP;
module_param(max_qp, uint, 0644);
MODULE_PARM_DESC(max_qp, "queue pairs per device, read when a device is added (default 65536)");

void sroce_qp_dev_init(struct sroce_dev *sdev)
{
	sdev->max_qp = clamp_t(u32, READ_ONCE(max_qp), 1, SROCE_MAX_QP);
	sroce_table_init(&sdev->qpn_table, SROCE_QPN_MIN, SROCE_QPN_MAX,
			 sdev->max_qp);
}

void sroce_qp_dev_fini(struct sroce_dev *sdev)
{
	sroce_table_fini(&sdev->qpn_table);
}

static int sroce_qp_check_type(const struct ib_qp_init_attr *init,
			       struct ib_udata *udata)
{
	switch (init->qp_type) {
	case IB_QPT_RC:
	case IB_QPT_UC:
	case IB_QPT_UD:
		return 0;
	case IB_QPT_GSI:
		/* only the MAD layer creates QP1, one per port */
		if (udata || init->port_num != SROCE_PORT)
			return -EINVAL;
		return 0;
	default:
		/* no QP0 on RoCE, no XRC, no raw packet QPs */
		return -EOPNOTSUPP;
	}
}

/* Sizes past the device limits are -EINVAL, as for other devices. */
static int sroce_qp_check_cap(const struct ib_qp_init_attr *init)
{
	const struct ib_qp_cap *cap = &init->cap;

	if (cap->max_send_wr > SROCE_MAX_QP_WR ||
	    cap->max_send_sge > SROCE_MAX_SGE ||
	    cap->max_inline_data > SROCE_MAX_INLINE_DATA)
		return -EINVAL;
	/* an SRQ brings its own receive queue: the recv caps are ignored */
	if (!init->srq && (cap->max_recv_wr > SROCE_MAX_QP_WR ||
			   cap->max_recv_sge > SROCE_MAX_SGE))
		return -EINVAL;
	return 0;
}

static int sroce_qp_check_init(const struct ib_qp_init_attr *init,
			       struct ib_udata *udata)
{
	int err;

	err = sroce_qp_check_type(init, udata);
	if (err)
		return err;
	if (init->create_flags || init->rwq_ind_tbl || init->source_qpn)
		return -EOPNOTSUPP;
	if (!init->send_cq || !init->recv_cq)
		return -EINVAL;
	if (init->sq_sig_type != IB_SIGNAL_ALL_WR &&
	    init->sq_sig_type != IB_SIGNAL_REQ_WR)
		return -EINVAL;
	/* the rxe ABI has no driver data in the create command */
	if (udata && udata->inlen &&
	    !ib_is_udata_cleared(udata, 0, udata->inlen))
		return -EOPNOTSUPP;
	if (udata && udata->outlen < sizeof(struct rxe_create_qp_resp))
		return -EINVAL;
	return sroce_qp_check_cap(init);
}

/*
 * Slot sizes: a send WQE (struct rxe_send_wqe) followed by its SGEs or its
 * inline data, which share the space; a receive WQE followed by its SGEs.
 * Slots are powers of two, so the granted SGE count and inline size may
 * exceed the request; they are reported back, capped at the device limits.
 */
static size_t sroce_sq_elem_size(const struct ib_qp_cap *cap)
{
	return roundup_pow_of_two(sizeof(struct rxe_send_wqe) +
				  sroce_swqe_data_size(cap));
}

static size_t sroce_rq_elem_size(const struct ib_qp_cap *cap)
{
	return roundup_pow_of_two(sizeof(struct rxe_recv_wqe) +
				  cap->max_recv_sge * sizeof(struct rxe_sge));
}

static int sroce_qp_init_sq(struct sroce_qp *qp, struct ib_qp_cap *cap,
			    struct ib_udata *udata)
{
	size_t data;
	int err;

	err = sroce_queue_init(&qp->sq, udata, max(cap->max_send_wr, 1U),
			       sroce_sq_elem_size(cap),
			       SROCE_QUEUE_KERNEL_CONSUMES);
	if (err)
		return err;
	data = sroce_queue_elem_size(&qp->sq) - sizeof(struct rxe_send_wqe);
	cap->max_send_wr = sroce_queue_capacity(&qp->sq);
	cap->max_send_sge = min_t(size_t, data / sizeof(struct rxe_sge),
				  SROCE_MAX_SGE);
	cap->max_inline_data = min_t(size_t, data, SROCE_MAX_INLINE_DATA);
	return 0;
}

static int sroce_qp_init_rq(struct sroce_qp *qp, struct ib_qp_cap *cap,
			    struct ib_srq *srq, struct ib_udata *udata)
{
	size_t data;
	int err;

	if (srq) {
		cap->max_recv_wr = 0;
		cap->max_recv_sge = 0;
		return 0;
	}
	err = sroce_queue_init(&qp->rq, udata, max(cap->max_recv_wr, 1U),
			       sroce_rq_elem_size(cap),
			       SROCE_QUEUE_KERNEL_CONSUMES);
	if (err)
		return err;
	qp->has_rq = true;
	data = sroce_queue_elem_size(&qp->rq) - sizeof(struct rxe_recv_wqe);
	cap->max_recv_wr = sroce_queue_capacity(&qp->rq);
	cap->max_recv_sge = min_t(size_t, data / sizeof(struct rxe_sge),
				  SROCE_MAX_SGE);
	return 0;
}

static void sroce_qp_free_rq(struct sroce_qp *qp)
{
	if (qp->has_rq)
		sroce_queue_destroy(&qp->rq);
	qp->has_rq = false;
}

static int sroce_qp_copy_resp(struct sroce_qp *qp, struct ib_udata *udata)
{
	struct rxe_create_qp_resp resp = {};

	sroce_queue_mminfo(&qp->sq, &resp.sq_mi);
	if (qp->has_rq)
		sroce_queue_mminfo(&qp->rq, &resp.rq_mi);
	return ib_copy_to_udata(udata, &resp, sizeof(resp));
}

/* The flushes of the error state, for paths that hold one side's lock. */
static void sroce_qp_err_work(struct work_struct *work)
{
	struct sroce_qp *qp = container_of(work, struct sroce_qp, err_work);

	if (sroce_qp_state(qp) != IB_QPS_ERR)
		return;
	sroce_req_flush(qp);
	sroce_resp_flush(qp);
}

/**
 * sroce_qp_error() - the packet path moves @qp to the error state
 * @qp: the QP; the caller holds req.lock or resp.lock.
 *
 * The state changes at once (both sides stop); the flushes run from the
 * QP's error work. A QP in RESET or ERR stays where it is.
 */
void sroce_qp_error(struct sroce_qp *qp)
{
	enum ib_qp_state s = READ_ONCE(qp->state);

	do {
		if (s == IB_QPS_ERR || s == IB_QPS_RESET)
			return;
	} while (!try_cmpxchg(&qp->state, &s, IB_QPS_ERR));
	/* both dead flags are set, under these locks, before destroy waits */
	if (!qp->req.dead && !qp->resp.dead)
		queue_work(system_wq, &qp->err_work);
}

int sroce_create_qp(struct ib_qp *ibqp, struct ib_qp_init_attr *init,
		    struct ib_udata *udata)
{
	struct sroce_dev *sdev = to_sdev(ibqp->device);
	struct sroce_qp *qp = to_sqp(ibqp);
	struct ib_qp_cap cap;
	u32 qpn;
	int err;

	err = sroce_qp_check_init(init, udata);
	if (err)
		return err;

	mutex_init(&qp->attr_lock);
	qp->state = IB_QPS_RESET;
	qp->sq_sig_all = init->sq_sig_type == IB_SIGNAL_ALL_WR;
	cap = init->cap;

	err = sroce_qp_init_sq(qp, &cap, udata);
	if (err)
		goto err_destroy_mutex;
	err = sroce_qp_init_rq(qp, &cap, init->srq, udata);
	if (err)
		goto err_free_sq;
	if (udata) {
		err = sroce_qp_copy_resp(qp, udata);
		if (err)
			goto err_free_rq;
	}

	qp->cap = cap;
	err = sroce_req_init(qp);
	if (err)
		goto err_free_rq;
	sroce_resp_init(qp);
	sroce_rxq_init(&qp->rxq);
	INIT_WORK(&qp->err_work, sroce_qp_err_work);

	/* last: from here on the packet path can find the QP */
	if (init->qp_type == IB_QPT_GSI) {
		qpn = SROCE_GSI_QPN;
		err = sroce_table_add_at(&sdev->qpn_table, qp, qpn, &qp->ref);
	} else {
		err = sroce_table_add(&sdev->qpn_table, qp, &qpn, &qp->ref);
	}
	if (err)
		goto err_free_req;

	ibqp->qp_num = qpn;
	init->cap = cap;
	return 0;

err_free_req:
	sroce_resp_fini(qp);
	sroce_req_fini(qp);
err_free_rq:
	sroce_qp_free_rq(qp);
err_free_sq:
	sroce_queue_destroy(&qp->sq);
err_destroy_mutex:
	mutex_destroy(&qp->attr_lock);
	return err;
}

static void sroce_av_set(struct sroce_av *av, const struct rdma_ah_attr *ah)
{
	const struct ib_global_route *grh = rdma_ah_read_grh(ah);

	av->dgid = grh->dgid;
	av->sgid = grh->sgid_attr->gid;
	av->network_type = rdma_gid_attr_network_type(grh->sgid_attr);
	av->sgid_index = grh->sgid_index;
	av->flow_label = grh->flow_label;
	av->hop_limit = grh->hop_limit;
	av->traffic_class = grh->traffic_class;
	av->sl = rdma_ah_get_sl(ah);
	av->static_rate = rdma_ah_get_static_rate(ah);
	memcpy(av->dmac, ah->roce.dmac, ETH_ALEN);
	/* a GID of a VLAN on our netdev: its frames carry the VLAN (link.h) */
	if (rdma_read_gid_l2_fields(grh->sgid_attr, &av->vlan_id, NULL))
		av->vlan_id = 0xffff;
}

/* Stores the checked attributes of a successful modify. */
static void sroce_qp_params_set(struct sroce_qp *qp,
				const struct ib_qp_attr *attr, int mask)
{
	struct sroce_qp_params *p = &qp->params;

	lockdep_assert_held(&qp->attr_lock);
	if (mask & IB_QP_ACCESS_FLAGS)
		p->access = attr->qp_access_flags;
	if (mask & IB_QP_PKEY_INDEX)
		p->pkey_index = attr->pkey_index;
	if (mask & IB_QP_QKEY)
		p->qkey = attr->qkey;
	if (mask & IB_QP_AV) {
		sroce_av_set(&p->av, &attr->ah_attr);
		p->av_valid = true;
	}
	if (mask & IB_QP_PATH_MTU)
		p->path_mtu = attr->path_mtu;
	if (mask & IB_QP_PATH_MIG_STATE)
		p->mig_state = attr->path_mig_state;
	if (mask & IB_QP_TIMEOUT)
		p->timeout = attr->timeout;
	if (mask & IB_QP_RETRY_CNT)
		p->retry_cnt = attr->retry_cnt;
	if (mask & IB_QP_RNR_RETRY)
		p->rnr_retry = attr->rnr_retry;
	if (mask & IB_QP_MIN_RNR_TIMER)
		p->min_rnr_timer = attr->min_rnr_timer;
	if (mask & IB_QP_RQ_PSN)
		p->rq_psn = attr->rq_psn;
	if (mask & IB_QP_SQ_PSN)
		p->sq_psn = attr->sq_psn;
	if (mask & IB_QP_DEST_QPN)
		p->dest_qpn = attr->dest_qp_num;
	if (mask & IB_QP_MAX_QP_RD_ATOMIC)
		p->max_rd_atomic = attr->max_rd_atomic;
	if (mask & IB_QP_MAX_DEST_RD_ATOMIC)
		p->max_dest_rd_atomic = attr->max_dest_rd_atomic;
	if (mask & IB_QP_EN_SQD_ASYNC_NOTIFY)
		p->en_sqd_async_notify = attr->en_sqd_async_notify;
}

/*
 * Every check runs before anything changes, so a refused modify leaves the
 * QP exactly as it was. ERR flushes both queues, RESET empties them, and
 * SQD stops new WQEs; SQ_DRAINED comes when the last one in flight ends.
 */
int sroce_modify_qp(struct ib_qp *ibqp, struct ib_qp_attr *attr, int mask,
		    struct ib_udata *udata)
{
	struct sroce_dev *sdev = to_sdev(ibqp->device);
	struct sroce_qp *qp = to_sqp(ibqp);
	enum ib_qp_state cur, next;
	int err;

	/* the rxe ABI has no driver data in the modify command */
	if (udata && udata->inlen &&
	    !ib_is_udata_cleared(udata, 0, udata->inlen))
		return -EOPNOTSUPP;

	mutex_lock(&qp->attr_lock);
	do {
		/* the packet path may move the QP to ERR meanwhile */
		cur = sroce_qp_state(qp);
		err = sroce_qp_next_state(cur, ibqp->qp_type, attr, mask,
					  &next);
		if (err)
			goto out_unlock;
		err = sroce_qp_check_attr(sdev, ibqp->qp_type, attr, mask);
		if (err)
			goto out_unlock;
	} while (cmpxchg(&qp->state, cur, next) != cur);
	sroce_qp_params_set(qp, attr, mask);
	if (mask & IB_QP_AV) {
		spin_lock_bh(&qp->req.lock);
		spin_lock(&qp->resp.lock);
		sroce_path_from_av(&qp->path, &qp->params.av, ibqp->qp_num);
		spin_unlock(&qp->resp.lock);
		spin_unlock_bh(&qp->req.lock);
	}
	sroce_req_modified(qp, attr, mask, next == IB_QPS_SQD &&
			   cur != IB_QPS_SQD);
	sroce_resp_modified(qp, attr, mask);
out_unlock:
	mutex_unlock(&qp->attr_lock);
	if (err)
		return err;

	switch (next) {
	case IB_QPS_RESET:
		sroce_req_reset(qp);
		sroce_resp_reset(qp);
		break;
	case IB_QPS_ERR:
		sroce_req_flush(qp);
		sroce_resp_flush(qp);
		break;
	case IB_QPS_RTS:
	case IB_QPS_SQD:
		/* WQEs posted before RTS go now; SQD may be drained already */
		sroce_req_run(qp);
		break;
	default:
		break;
	}
	return 0;
}

static void sroce_av_get(const struct sroce_av *av, struct rdma_ah_attr *ah)
{
	ah->type = RDMA_AH_ATTR_TYPE_ROCE;
	rdma_ah_set_port_num(ah, SROCE_PORT);
	rdma_ah_set_sl(ah, av->sl);
	rdma_ah_set_static_rate(ah, av->static_rate);
	rdma_ah_set_grh(ah, (union ib_gid *)&av->dgid, av->flow_label,
			av->sgid_index, av->hop_limit, av->traffic_class);
	memcpy(ah->roce.dmac, av->dmac, ETH_ALEN);
}

/*
 * Reports every attribute whatever @mask asks for (netlink dumps pass 0).
 * Both structs may arrive uninitialized (uverbs kmalloc()s them). Never
 * fails on a live QP.
 */
int sroce_query_qp(struct ib_qp *ibqp, struct ib_qp_attr *attr, int mask,
		   struct ib_qp_init_attr *init)
{
	struct sroce_qp *qp = to_sqp(ibqp);
	const struct sroce_qp_params *p = &qp->params;

	memset(attr, 0, sizeof(*attr));
	memset(init, 0, sizeof(*init));

	mutex_lock(&qp->attr_lock);
	attr->qp_state = qp->state;
	attr->cur_qp_state = qp->state;
	attr->path_mtu = p->path_mtu;
	attr->path_mig_state = p->mig_state;
	attr->qkey = p->qkey;
	attr->rq_psn = p->rq_psn;
	attr->sq_psn = p->sq_psn;
	attr->dest_qp_num = p->dest_qpn;
	attr->qp_access_flags = p->access;
	attr->pkey_index = p->pkey_index;
	attr->en_sqd_async_notify = p->en_sqd_async_notify;
	attr->max_rd_atomic = p->max_rd_atomic;
	attr->max_dest_rd_atomic = p->max_dest_rd_atomic;
	attr->min_rnr_timer = p->min_rnr_timer;
	attr->timeout = p->timeout;
	attr->retry_cnt = p->retry_cnt;
	attr->rnr_retry = p->rnr_retry;
	if (p->av_valid)
		sroce_av_get(&p->av, &attr->ah_attr);
	mutex_unlock(&qp->attr_lock);

	attr->sq_draining = attr->qp_state == IB_QPS_SQD &&
			    READ_ONCE(qp->req.send) != READ_ONCE(qp->sq.cons);
	attr->port_num = ibqp->port ?: SROCE_PORT;
	attr->cap = qp->cap;

	init->qp_type = ibqp->qp_type;
	init->send_cq = ibqp->send_cq;
	init->recv_cq = ibqp->recv_cq;
	init->srq = ibqp->srq;
	init->cap = qp->cap;
	init->sq_sig_type = qp->sq_sig_all ? IB_SIGNAL_ALL_WR :
					     IB_SIGNAL_REQ_WR;
	init->port_num = attr->port_num;
	init->qp_context = ibqp->qp_context;
	init->event_handler = ibqp->event_handler;
	return 0;
}

static int sroce_qp_put_res(struct sk_buff *msg, struct sroce_qp *qp)
{
	struct ib_qp *ibqp = &qp->ibqp;
	struct sroce_qp_params p;

	mutex_lock(&qp->attr_lock);
	p = qp->params;
	mutex_unlock(&qp->attr_lock);

	if (rdma_nl_put_driver_u32(msg, "sq_depth", qp->cap.max_send_wr) ||
	    rdma_nl_put_driver_u32(msg, "sq_wqe_size",
				   sroce_queue_elem_size(&qp->sq)) ||
	    rdma_nl_put_driver_u32(msg, "max_send_sge", qp->cap.max_send_sge) ||
	    rdma_nl_put_driver_u32(msg, "max_inline", qp->cap.max_inline_data))
		return -EMSGSIZE;
	if (qp->has_rq &&
	    (rdma_nl_put_driver_u32(msg, "rq_depth", qp->cap.max_recv_wr) ||
	     rdma_nl_put_driver_u32(msg, "rq_wqe_size",
				    sroce_queue_elem_size(&qp->rq))))
		return -EMSGSIZE;

	switch (ibqp->qp_type) {
	case IB_QPT_UD:
	case IB_QPT_GSI:
		return rdma_nl_put_driver_u32_hex(msg, "qkey", p.qkey);
	case IB_QPT_UC:
		return rdma_nl_put_driver_u32(msg, "path_mtu", p.path_mtu ?
					      ib_mtu_enum_to_int(p.path_mtu) : 0);
	default:
		break;
	}
	if (rdma_nl_put_driver_u32(msg, "path_mtu", p.path_mtu ?
				   ib_mtu_enum_to_int(p.path_mtu) : 0) ||
	    rdma_nl_put_driver_u32(msg, "timeout", p.timeout) ||
	    rdma_nl_put_driver_u32(msg, "retry_cnt", p.retry_cnt) ||
	    rdma_nl_put_driver_u32(msg, "rnr_retry", p.rnr_retry) ||
	    rdma_nl_put_driver_u32(msg, "min_rnr_timer", p.min_rnr_timer) ||
	    rdma_nl_put_driver_u32(msg, "max_rd_atomic", p.max_rd_atomic) ||
	    rdma_nl_put_driver_u32(msg, "max_dest_rd_atomic",
				   p.max_dest_rd_atomic))
		return -EMSGSIZE;
	return 0;
}

/*
 * sroce's attributes in `rdma -dd res show qp`, in the driver table nest.
 * Core's restrack keeps the QP from being destroyed while a dump holds it.
 * Ring occupancy needs the packet path's queue locks and comes with it.
 */
int sroce_fill_res_qp_entry(struct sk_buff *msg, struct ib_qp *ibqp)
{
	struct nlattr *table;

	table = nla_nest_start_noflag(msg, RDMA_NLDEV_ATTR_DRIVER);
	if (!table)
		return -EMSGSIZE;
	if (sroce_qp_put_res(msg, to_sqp(ibqp))) {
		nla_nest_cancel(msg, table);
		return -EMSGSIZE;
	}
	nla_nest_end(msg, table);
	return 0;
}

/*
 * Unpublishes the QPN and waits until the packet path holds no reference,
 * then frees the rings. Core frees the QP itself when this returns.
 */
int sroce_destroy_qp(struct ib_qp *ibqp, struct ib_udata *udata)
{
	struct sroce_dev *sdev = to_sdev(ibqp->device);
	struct sroce_qp *qp = to_sqp(ibqp);

	sroce_mcast_qp_destroy(qp);
	sroce_table_remove(&sdev->qpn_table, ibqp->qp_num, qp->ref);
	/* no packet can reach the QP now; stop its timer and work items */
	sroce_rxq_fini(&qp->rxq);
	sroce_req_fini(qp);
	sroce_resp_fini(qp);
	cancel_work_sync(&qp->err_work);
	sroce_qp_free_rq(qp);
	sroce_queue_destroy(&qp->sq);
	mutex_destroy(&qp->attr_lock);
	return 0;
}
