/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sroce: UD multicast groups.
 *
 * Who calls what, from which context:
 *  - sroce_attach_mcast(), sroce_detach_mcast(): ib_core (ib_attach_mcast(),
 *    uverbs' ATTACH_MCAST/DETACH_MCAST and the detach of a user QP's groups
 *    before uverbs destroys it), process context, may sleep. Core has
 *    checked that the QP is UD and the GID multicast.
 *  - sroce_mcast_qp_destroy(): sroce_destroy_qp(), process context; detaches
 *    whatever the QP is still attached to (core does not let a QP with
 *    attachments be destroyed, so normally nothing).
 *  - sroce_mcast_rx(): sroce_rx(), softirq under RCU, for a checked packet
 *    to the multicast QPN.
 *  - sroce_mcast_loopback(): the transmit path (drv/tx.c), any context, for
 *    a frame to a multicast MAC just before it goes to the netdev.
 *
 * Locking and references: every group of every device is in one hash
 * table, keyed by device and GID; sroce_mcast_lock (a mutex, mcast.c)
 * serializes all changes, readers walk it under RCU. A group lists its
 * members by QPN in an array that is replaced, never changed, when a QP
 * attaches or detaches, so a packet sees a consistent list; each member is
 * looked up in the QPN table with a reference for the delivery. A group
 * joins its IP multicast address on the device's netdev when it is created
 * (first attach) and leaves it when it is freed (last detach).
 */
#ifndef _SROCE_MCAST_H
#define _SROCE_MCAST_H

#include <linux/skbuff.h>
#include <rdma/ib_verbs.h>

/* Device limits (sroce_query_device() reports them). */
#define SROCE_MAX_MCAST_GRP		1024
#define SROCE_MAX_MCAST_QP_ATTACH	32
#define SROCE_MAX_TOTAL_MCAST_QP_ATTACH	(SROCE_MAX_MCAST_GRP * \
					 SROCE_MAX_MCAST_QP_ATTACH)

struct sroce_dev;
struct sroce_pkt;
struct sroce_qp;

int sroce_attach_mcast(struct ib_qp *ibqp, union ib_gid *gid, u16 lid);
int sroce_detach_mcast(struct ib_qp *ibqp, union ib_gid *gid, u16 lid);
void sroce_mcast_qp_destroy(struct sroce_qp *qp);
void sroce_mcast_rx(struct sroce_pkt *pkt);
void sroce_mcast_loopback(struct sroce_dev *sdev, struct sk_buff *skb);

#endif /* _SROCE_MCAST_H */
