// SPDX-License-Identifier: GPL-2.0
/*
 * sroce: QP states, their transitions and the values modify_qp may set.
 */
#include <rdma/ib_cache.h>

#include "qp.h"
#include "qp_state.h"

static const char * const sroce_qp_state_names[] = {
	[IB_QPS_RESET]	= "RESET",
	[IB_QPS_INIT]	= "INIT",
	[IB_QPS_RTR]	= "RTR",
	[IB_QPS_RTS]	= "RTS",
	[IB_QPS_SQD]	= "SQD",
	[IB_QPS_SQE]	= "SQE",
	[IB_QPS_ERR]	= "ERR",
};

const char *sroce_qp_state_name(enum ib_qp_state state)
{
	if ((unsigned int)state < ARRAY_SIZE(sroce_qp_state_names))
		return sroce_qp_state_names[state];
	return "UNKNOWN";
}

static bool sroce_qp_state_valid(enum ib_qp_state state)
{
	return (unsigned int)state <= IB_QPS_ERR;
}

/*
 * The state a modify_qp moves the QP to from @cur: attr->qp_state when
 * IB_QP_STATE is in @mask, @cur otherwise (an attribute-only modify such
 * as RTS -> RTS). A given IB_QP_CUR_STATE must name the state the QP is
 * really in. The transition and the attributes it requires or allows are
 * checked against core's table.
 */
int sroce_qp_next_state(enum ib_qp_state cur, enum ib_qp_type type,
			const struct ib_qp_attr *attr, int mask,
			enum ib_qp_state *next)
{
	enum ib_qp_state to = cur;

	if (mask & ~SROCE_QP_ATTR_MASK_SUPPORTED)
		return -EINVAL;
	if (mask & IB_QP_CUR_STATE && attr->cur_qp_state != cur)
		return -EINVAL;
	if (mask & IB_QP_STATE) {
		if (!sroce_qp_state_valid(attr->qp_state))
			return -EINVAL;
		to = attr->qp_state;
	}
	if (!ib_modify_qp_is_ok(cur, to, type, mask))
		return -EINVAL;
	*next = to;
	return 0;
}

/*
 * RoCE paths: a GRH is mandatory and the source GID, which core resolved
 * from sgid_index into sgid_attr, must be one of our RoCE v2 GIDs.
 */
static int sroce_qp_check_av(const struct rdma_ah_attr *ah)
{
	const struct ib_global_route *grh = rdma_ah_read_grh(ah);
	const struct ib_gid_attr *sgid_attr = grh->sgid_attr;

	if (ah->type != RDMA_AH_ATTR_TYPE_ROCE ||
	    !(rdma_ah_get_ah_flags(ah) & IB_AH_GRH))
		return -EINVAL;
	if (rdma_ah_get_port_num(ah) != SROCE_PORT)
		return -EINVAL;
	if (!sgid_attr || sgid_attr->gid_type != IB_GID_TYPE_ROCE_UDP_ENCAP)
		return -EINVAL;
	if (grh->flow_label & ~SROCE_FLOW_LABEL_MASK)
		return -EINVAL;
	return 0;
}

static int sroce_qp_check_path_mtu(struct sroce_dev *sdev, enum ib_mtu mtu)
{
	if (mtu < IB_MTU_256 || mtu > IB_MTU_4096)
		return -EINVAL;
	if (mtu > sroce_active_mtu(sdev))
		return -EINVAL;
	return 0;
}

/*
 * Checks the value of every attribute in @mask. The mask itself has passed
 * sroce_qp_next_state(), so only attributes legal for this transition and
 * QP type get here.
 */
int sroce_qp_check_attr(struct sroce_dev *sdev, enum ib_qp_type type,
			const struct ib_qp_attr *attr, int mask)
{
	if (mask & IB_QP_PORT && attr->port_num != SROCE_PORT)
		return -EINVAL;
	if (mask & IB_QP_PKEY_INDEX && attr->pkey_index != 0)
		return -EINVAL;
	if (mask & IB_QP_ACCESS_FLAGS &&
	    attr->qp_access_flags & ~SROCE_QP_ACCESS_SUPPORTED)
		return -EINVAL;
	if (mask & IB_QP_PATH_MTU && sroce_qp_check_path_mtu(sdev, attr->path_mtu))
		return -EINVAL;
	if (mask & IB_QP_AV && sroce_qp_check_av(&attr->ah_attr))
		return -EINVAL;
	if (mask & IB_QP_PATH_MIG_STATE && attr->path_mig_state > IB_MIG_ARMED)
		return -EINVAL;
	/* 5-bit encodings (IBA 9.7.6.1.3 and 9.7.5.2.8), 3-bit counters */
	if (mask & IB_QP_TIMEOUT && attr->timeout > 31)
		return -EINVAL;
	if (mask & IB_QP_MIN_RNR_TIMER && attr->min_rnr_timer > 31)
		return -EINVAL;
	if (mask & IB_QP_RETRY_CNT && attr->retry_cnt > 7)
		return -EINVAL;
	if (mask & IB_QP_RNR_RETRY && attr->rnr_retry > 7)
		return -EINVAL;
	/* core masks user PSNs to 24 bits; kernel callers get no such help */
	if (mask & IB_QP_SQ_PSN && attr->sq_psn & ~SROCE_PSN_MASK)
		return -EINVAL;
	if (mask & IB_QP_RQ_PSN && attr->rq_psn & ~SROCE_PSN_MASK)
		return -EINVAL;
	if (mask & IB_QP_DEST_QPN && attr->dest_qp_num & ~SROCE_QPN_MASK)
		return -EINVAL;
	if (mask & IB_QP_MAX_QP_RD_ATOMIC &&
	    attr->max_rd_atomic > SROCE_MAX_QP_INIT_RD_ATOM)
		return -EINVAL;
	if (mask & IB_QP_MAX_DEST_RD_ATOMIC &&
	    attr->max_dest_rd_atomic > SROCE_MAX_QP_RD_ATOM)
		return -EINVAL;
	return 0;
}
