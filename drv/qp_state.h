/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sroce: the QP state machine and the checks of modify_qp's attributes.
 *
 * Who calls what, from which context:
 *  - sroce_qp_next_state() and sroce_qp_check_attr(): sroce_modify_qp()
 *    (qp.c), process context, with the QP's attr_lock held. Both are pure:
 *    they read their arguments (and the port's active MTU), change nothing
 *    and never sleep. Every refusal is -EINVAL, never a WARN: the input
 *    comes from user space.
 *  - sroce_qp_state_name(): anywhere (logs, resource dumps).
 *
 * The transition table and the per-transition required/optional attribute
 * masks are core's (ib_modify_qp_is_ok()); sroce adds the checks of the
 * values themselves against the device and port limits.
 */
#ifndef _SROCE_QP_STATE_H
#define _SROCE_QP_STATE_H

#include <rdma/ib_verbs.h>

#include "compat.h"
#include "device.h"

/* Attribute mask bits a modify_qp may carry at all (no XRC, no APM). */
#define SROCE_QP_ATTR_MASK_SUPPORTED					\
	(IB_QP_STATE | IB_QP_CUR_STATE | IB_QP_EN_SQD_ASYNC_NOTIFY |	\
	 IB_QP_ACCESS_FLAGS | IB_QP_PKEY_INDEX | IB_QP_PORT |		\
	 IB_QP_QKEY | IB_QP_AV | IB_QP_PATH_MTU | IB_QP_TIMEOUT |	\
	 IB_QP_RETRY_CNT | IB_QP_RNR_RETRY | IB_QP_RQ_PSN |		\
	 IB_QP_MAX_QP_RD_ATOMIC | IB_QP_PATH_MIG_STATE |		\
	 IB_QP_MIN_RNR_TIMER | IB_QP_SQ_PSN | IB_QP_MAX_DEST_RD_ATOMIC |	\
	 IB_QP_DEST_QPN)

/*
 * QP access flags sroce accepts; the optional range is ignored. Both FLUSH
 * bits: 6.2's ib_cm enables both on every QP it connects when the device
 * offers any FLUSH; the MR's rights decide (no MR is ever persistent).
 */
#define SROCE_QP_ACCESS_SUPPORTED					\
	(IB_ACCESS_LOCAL_WRITE | IB_ACCESS_REMOTE_WRITE |		\
	 IB_ACCESS_REMOTE_READ | IB_ACCESS_REMOTE_ATOMIC |		\
	 SROCE_ACCESS_FLUSH_GLOBAL | SROCE_ACCESS_FLUSH_PERSISTENT |	\
	 IB_ACCESS_OPTIONAL)

#define SROCE_PSN_MASK		0xffffff
#define SROCE_QPN_MASK		0xffffff
#define SROCE_FLOW_LABEL_MASK	0xfffff

const char *sroce_qp_state_name(enum ib_qp_state state);
int sroce_qp_next_state(enum ib_qp_state cur, enum ib_qp_type type,
			const struct ib_qp_attr *attr, int mask,
			enum ib_qp_state *next);
int sroce_qp_check_attr(struct sroce_dev *sdev, enum ib_qp_type type,
			const struct ib_qp_attr *attr, int mask);

#endif /* _SROCE_QP_STATE_H */
