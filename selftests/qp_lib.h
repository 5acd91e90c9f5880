/* SPDX-License-Identifier: GPL-2.0 */
/*
 * For selftests/qp.c and qp_reset.c: their device on a veth pair (through
 * selftests/lib.sh and test_lib.h), QPs with chosen capacities, and the
 * valid attributes of each step of the RESET -> INIT -> RTR -> RTS walk per
 * QP type, with their read-back check.
 */
#ifndef SROCE_QP_LIB_H
#define SROCE_QP_LIB_H

#include <arpa/inet.h>
#include <infiniband/verbs.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktap.h"
#include "test_lib.h"

#define DEV_NAME	"sroce_qp0"
#define LOCAL_IP	"198.18.1.1"
#define REMOTE_IP	"198.18.1.9"
#define REMOTE_MAC	"02:00:00:00:00:09"
#define MANY_QPS	4000
#define REUSE_ROUNDS	200

/* Device limits sroce reports (drv/qp.h); the test checks both. */
#define MAX_QP_WR	0x4000
#define MAX_SGE		32
#define MAX_INLINE	512
#define MAX_RD_ATOM	128

static struct ibv_context *ctx;
static struct ibv_pd *pd;
static struct ibv_cq *cq;
static struct ibv_device_attr dev_attr;
static int gid_index = -1;
static union ibv_gid remote_gid;

static inline bool setup_device(void)
{
	if (sh("sroce_reset && veth_setup && "
	       "ip neigh replace %s lladdr %s dev $VETH_A nud permanent && "
	       "rdma link add %s type sroce netdev $VETH_A && "
	       "wait_for 20 port_state_is %s ACTIVE",
	       REMOTE_IP, REMOTE_MAC, DEV_NAME, DEV_NAME))
		return false;
	return true;
}

static inline void teardown_device(void)
{
	sh("rdma_dev_exists %s && rdma link delete %s; veth_teardown",
	   DEV_NAME, DEV_NAME);
}

/* The RoCE v2 GID of LOCAL_IP; the GID cache fills it asynchronously. */
static inline int find_gid_index(void)
{
	return find_roce_gid(ctx, 4, LOCAL_IP, NULL, 10000);
}

static inline struct ibv_qp *create_qp_cap(enum ibv_qp_type type, uint32_t swr,
				    uint32_t rwr, uint32_t ssge,
				    uint32_t rsge, uint32_t inl,
				    struct ibv_srq *srq)
{
	struct ibv_qp_init_attr init = {
		.send_cq = cq,
		.recv_cq = cq,
		.srq = srq,
		.qp_type = type,
		.cap = {
			.max_send_wr = swr,
			.max_recv_wr = rwr,
			.max_send_sge = ssge,
			.max_recv_sge = rsge,
			.max_inline_data = inl,
		},
	};

	return ibv_create_qp(pd, &init);
}

static inline struct ibv_qp *create_qp(enum ibv_qp_type type)
{
	return create_qp_cap(type, 16, 16, 2, 2, 64, NULL);
}

static inline const char *type_name(enum ibv_qp_type type)
{
	switch (type) {
	case IBV_QPT_RC: return "RC";
	case IBV_QPT_UC: return "UC";
	case IBV_QPT_UD: return "UD";
	default: return "?";
	}
}

static inline int qp_state(struct ibv_qp *qp)
{
	struct ibv_qp_init_attr init;
	struct ibv_qp_attr attr;

	if (ibv_query_qp(qp, &attr, IBV_QP_STATE, &init))
		return -1;
	return attr.qp_state;
}

/* Valid attributes for each step of the walk, per QP type. */
static inline int to_init(struct ibv_qp *qp)
{
	struct ibv_qp_attr a = {
		.qp_state = IBV_QPS_INIT,
		.pkey_index = 0,
		.port_num = 1,
		.qkey = 0x11111111,
		.qp_access_flags = IBV_ACCESS_REMOTE_WRITE |
				   IBV_ACCESS_REMOTE_READ,
	};
	int mask = IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT;

	mask |= qp->qp_type == IBV_QPT_UD ? IBV_QP_QKEY : IBV_QP_ACCESS_FLAGS;
	return ibv_modify_qp(qp, &a, mask);
}

static inline void fill_av(struct ibv_ah_attr *ah)
{
	ah->is_global = 1;
	ah->port_num = 1;
	ah->sl = 0;
	ah->grh.dgid = remote_gid;
	ah->grh.sgid_index = gid_index;
	ah->grh.hop_limit = 64;
	ah->grh.traffic_class = 0;
	ah->grh.flow_label = 0x12345;
}

static inline void rtr_attr(struct ibv_qp *qp, struct ibv_qp_attr *a, int *mask)
{
	memset(a, 0, sizeof(*a));
	a->qp_state = IBV_QPS_RTR;
	*mask = IBV_QP_STATE;
	if (qp->qp_type == IBV_QPT_UD)
		return;
	a->path_mtu = IBV_MTU_1024;
	a->dest_qp_num = 0xabcdef;
	a->rq_psn = 0x123456;
	fill_av(&a->ah_attr);
	*mask |= IBV_QP_AV | IBV_QP_PATH_MTU | IBV_QP_DEST_QPN | IBV_QP_RQ_PSN;
	if (qp->qp_type == IBV_QPT_RC) {
		a->max_dest_rd_atomic = 4;
		a->min_rnr_timer = 12;
		*mask |= IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER;
	}
}

static inline int to_rtr(struct ibv_qp *qp)
{
	struct ibv_qp_attr a;
	int mask;

	rtr_attr(qp, &a, &mask);
	return ibv_modify_qp(qp, &a, mask);
}

static inline void rts_attr(struct ibv_qp *qp, struct ibv_qp_attr *a, int *mask)
{
	memset(a, 0, sizeof(*a));
	a->qp_state = IBV_QPS_RTS;
	a->sq_psn = 0x654321;
	*mask = IBV_QP_STATE | IBV_QP_SQ_PSN;
	if (qp->qp_type == IBV_QPT_RC) {
		a->timeout = 14;
		a->retry_cnt = 7;
		a->rnr_retry = 6;
		a->max_rd_atomic = 2;
		*mask |= IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY |
			 IBV_QP_MAX_QP_RD_ATOMIC;
	}
}

static inline int to_rts(struct ibv_qp *qp)
{
	struct ibv_qp_attr a;
	int mask;

	rts_attr(qp, &a, &mask);
	return ibv_modify_qp(qp, &a, mask);
}

static inline int to_state(struct ibv_qp *qp, enum ibv_qp_state s)
{
	struct ibv_qp_attr a = { .qp_state = s };

	return ibv_modify_qp(qp, &a, IBV_QP_STATE);
}

/* query_qp returns what the walk set. */
static inline bool check_query(struct ibv_qp *qp, enum ibv_qp_state want)
{
	struct ibv_qp_init_attr init;
	struct ibv_qp_attr a;
	bool rc = qp->qp_type == IBV_QPT_RC, ud = qp->qp_type == IBV_QPT_UD;

	memset(&a, 0xa5, sizeof(a));
	if (ibv_query_qp(qp, &a, IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU |
			 IBV_QP_SQ_PSN | IBV_QP_RQ_PSN, &init))
		return false;
	if (a.qp_state != want || a.port_num != 1 || a.pkey_index != 0)
		return false;
	if (init.qp_type != qp->qp_type || init.cap.max_send_wr < 16 ||
	    init.cap.max_recv_wr < 16 || init.cap.max_send_sge < 2 ||
	    init.cap.max_inline_data < 64)
		return false;
	if (ud)
		return a.qkey == 0x11111111 && a.sq_psn == 0x654321;
	if (a.qp_access_flags != (IBV_ACCESS_REMOTE_WRITE |
				  IBV_ACCESS_REMOTE_READ))
		return false;
	if (a.path_mtu != IBV_MTU_1024 || a.dest_qp_num != 0xabcdef ||
	    a.rq_psn != 0x123456 || a.sq_psn != 0x654321)
		return false;
	if (!a.ah_attr.is_global || a.ah_attr.port_num != 1 ||
	    a.ah_attr.grh.sgid_index != gid_index ||
	    a.ah_attr.grh.hop_limit != 64 ||
	    a.ah_attr.grh.flow_label != 0x12345 ||
	    memcmp(&a.ah_attr.grh.dgid, &remote_gid, 16))
		return false;
	if (rc && (a.max_dest_rd_atomic != 4 || a.min_rnr_timer != 12 ||
		   a.timeout != 14 || a.retry_cnt != 7 || a.rnr_retry != 6 ||
		   a.max_rd_atomic != 2))
		return false;
	return true;
}

#endif /* SROCE_QP_LIB_H */
