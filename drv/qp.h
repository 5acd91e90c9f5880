/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sroce: queue pairs.
 *
 * Who calls what, from which context:
 *  - sroce_qp_dev_init(): sroce_verbs_setup(), from sroce_newlink(), before
 *    the device ops are set (process context).
 *  - sroce_qp_dev_fini(): sroce_dev_dealloc() (ops.dealloc_driver), after
 *    every QP was destroyed (process context).
 *  - sroce_create_qp(), sroce_modify_qp(), sroce_query_qp(),
 *    sroce_destroy_qp(): ib_core as device ops, process context, may sleep.
 *    Create runs for user QPs (uverbs), kernel ULPs and, at registration,
 *    the MAD layer's GSI QP (QP1). Query also runs from netlink resource
 *    dumps at any moment while the QP is live, so it never fails.
 *  - sroce_fill_res_qp_entry(): nldev (`rdma res show qp -dd`), process
 *    context, on a live QP.
 *  - sroce_qp_get() / sroce_qp_put(): the packet path, any context
 *    (softirq included), lock-free under RCU inside.
 *
 * References and lifetime: core allocates struct sroce_qp (INIT_RDMA_OBJ_SIZE)
 * and kfree()s it once sroce_destroy_qp() returns. The QPN table holds one
 * reference from create to destroy; each successful sroce_qp_get() holds
 * one until its sroce_qp_put(). Destroy unpublishes the QPN first and waits
 * for the last holder, so nobody can reach the QP when core frees it. The
 * QPN is handed out last in create, after everything that can fail, so a
 * failed create is never visible to the packet path; core's restrack entry
 * is added after create returns and removed before destroy runs.
 */
#ifndef _SROCE_QP_H
#define _SROCE_QP_H

#include <linux/if_ether.h>
#include <linux/mutex.h>
#include <rdma/ib_verbs.h>

#include "device.h"
#include "queue.h"
#include "req.h"
#include "resp.h"
#include "rxq.h"
#include "stats.h"
#include "table.h"
#include "tx.h"

/* Device limits for QPs (sroce_query_device() reports them). */
#define SROCE_MAX_QP			0x10000
#define SROCE_MAX_QP_WR			0x4000
#define SROCE_MAX_SGE			32
#define SROCE_MAX_INLINE_DATA		512
#define SROCE_MAX_QP_RD_ATOM		128
#define SROCE_MAX_QP_INIT_RD_ATOM	128

/* QPNs: 24 bits; 0 (SMI) is never used on RoCE, 1 is the GSI QP. */
#define SROCE_GSI_QPN			1
#define SROCE_QPN_MIN			2
#define SROCE_QPN_MAX			0xffffff

/**
 * struct sroce_av - the primary path of a connected QP (IB_QP_AV)
 * @sgid: our source GID, resolved by core from @sgid_index.
 * @network_type: RDMA_NETWORK_IPV4 or RDMA_NETWORK_IPV6, from the source GID.
 * @dmac: the next hop, resolved by core.
 * @vlan_id: the VLAN of the source GID's netdev, else 0xffff.
 */
struct sroce_av {
	union ib_gid dgid;
	union ib_gid sgid;
	u32 flow_label;
	u8 sgid_index;
	u8 hop_limit;
	u8 traffic_class;
	u8 sl;
	u8 static_rate;
	u8 dmac[ETH_ALEN];
	u16 vlan_id;
	enum rdma_network_type network_type;
};

/* What modify_qp sets and query_qp reports; @av_valid once an AV was set. */
struct sroce_qp_params {
	enum ib_mtu path_mtu;
	enum ib_mig_state mig_state;
	u32 qkey;
	u32 rq_psn;
	u32 sq_psn;
	u32 dest_qpn;
	int access;
	u16 pkey_index;
	u8 en_sqd_async_notify;
	u8 max_rd_atomic;
	u8 max_dest_rd_atomic;
	u8 min_rnr_timer;
	u8 timeout;
	u8 retry_cnt;
	u8 rnr_retry;
	bool av_valid;
	struct sroce_av av;
};

/**
 * struct sroce_qp - one queue pair
 * @ibqp: core's QP; core allocates and frees the whole struct.
 * @ref: the QPN table's entry, from create to destroy.
 * @cap: the capacities granted at create; never change.
 * @sq_sig_all: every send WQE completes (IB_SIGNAL_ALL_WR).
 * @sq: the send queue ring.
 * @rq: the receive queue ring; unused (@has_rq false) on an SRQ.
 * @has_rq: false for QPs attached to an SRQ.
 * @attr_lock: serializes modify_qp and query_qp; protects @params and
 *	writes of @state.
 * @state: written under @attr_lock with WRITE_ONCE(); the packet path reads
 *	it with READ_ONCE() without the lock.
 * @params: the attributes set by modify_qp, under @attr_lock.
 * @path: where the packets of a connected QP go; written by modify_qp under
 *	@attr_lock and both datapath locks, read under either.
 * @req: the send side (req.h); @resp: the receive side (resp.h).
 * @rxq: received GSO runs waiting to be walked on another CPU (rxq.h).
 * @err_work: moves the QP to the error state's flushes from contexts that
 *	cannot take the other side's lock (queued once per error).
 * @stats: the QP's share of the port counters while bound to an rdma
 *	counter (stats.h).
 */
struct sroce_qp {
	struct ib_qp ibqp;
	struct sroce_ref *ref;
	struct ib_qp_cap cap;
	bool sq_sig_all;
	struct sroce_queue sq;
	struct sroce_queue rq;
	bool has_rq;
	struct mutex attr_lock;	/* modify/query; @params, writes of @state */
	enum ib_qp_state state;
	struct sroce_qp_params params;
	struct sroce_path path;
	struct sroce_req req;
	struct sroce_resp resp;
	struct sroce_rxq rxq;
	struct work_struct err_work;
	struct sroce_qp_stats stats;
};

static inline struct sroce_qp *to_sqp(struct ib_qp *ibqp)
{
	return container_of(ibqp, struct sroce_qp, ibqp);
}

void sroce_qp_dev_init(struct sroce_dev *sdev);
void sroce_qp_dev_fini(struct sroce_dev *sdev);

int sroce_create_qp(struct ib_qp *ibqp, struct ib_qp_init_attr *init,
		    struct ib_udata *udata);
int sroce_modify_qp(struct ib_qp *ibqp, struct ib_qp_attr *attr, int mask,
		    struct ib_udata *udata);
int sroce_query_qp(struct ib_qp *ibqp, struct ib_qp_attr *attr, int mask,
		   struct ib_qp_init_attr *init);
int sroce_destroy_qp(struct ib_qp *ibqp, struct ib_udata *udata);
int sroce_fill_res_qp_entry(struct sk_buff *msg, struct ib_qp *ibqp);
int sroce_post_send(struct ib_qp *ibqp, const struct ib_send_wr *wr,
		    const struct ib_send_wr **bad_wr);
int sroce_post_recv(struct ib_qp *ibqp, const struct ib_recv_wr *wr,
		    const struct ib_recv_wr **bad_wr);

void sroce_qp_error(struct sroce_qp *qp);

static inline enum ib_qp_state sroce_qp_state(const struct sroce_qp *qp)
{
	return READ_ONCE(qp->state);
}

/* The kernel's copy of the send WQE in SQ slot @index (wqe.h). */
static inline struct sroce_swqe *sroce_qp_swqe(struct sroce_qp *qp, u32 index)
{
	return (struct sroce_swqe *)(qp->req.swqe +
				     (size_t)(index & qp->sq.index_mask) *
				     qp->req.stride);
}

static inline struct sroce_dev *sroce_qp_dev(const struct sroce_qp *qp)
{
	return to_sdev(qp->ibqp.device);
}

/* The packet path's lookup: a referenced QP or NULL; any context. */
static inline struct sroce_qp *sroce_qp_get(struct sroce_dev *sdev, u32 qpn,
					    struct sroce_ref **refp)
{
	return sroce_table_get(&sdev->qpn_table, qpn, refp);
}

static inline void sroce_qp_put(struct sroce_ref *ref)
{
	sroce_ref_put(ref);
}

#endif /* _SROCE_QP_H */
