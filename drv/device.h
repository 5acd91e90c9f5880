/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sroce: the RDMA device bound to one netdev.
 *
 * Who calls what, from which context:
 *  - sroce_newlink(): ib_core's nldev (process context, `rdma link add`),
 *    under core's link_ops_rwsem held for read.
 *  - sroce_dev_find_get(): the netdev notifier (process context, RTNL held).
 *  - sroce_dev_dealloc(): ib_core, as ops.dealloc_driver, once the device is
 *    unregistered or when a registration fails (process context).
 *  - sroce_port_state(): verbs (process context) and the notifier.
 *  - sroce_unregister_all(): module unload; sroce_unregister_net(): the
 *    pernet exit of a dying namespace (netns.c). Process context.
 */
#ifndef _SROCE_DEVICE_H
#define _SROCE_DEVICE_H

#include <linux/list.h>
#include <linux/netdevice.h>
#include <rdma/ib_verbs.h>

#include "table.h"

#define SROCE_PORT		1
#define SROCE_DRV_NAME		"sroce"

/**
 * struct sroce_dev - one sroce RDMA device
 * @ibdev: core's device; allocated by ib_alloc_device(), so core owns the
 *	memory. Between newlink and a successful ib_register_device() sroce
 *	drops it with ib_dealloc_device(); afterwards only core frees it, on
 *	unregistration, calling ops.dealloc_driver first.
 * @ndev: the netdev we run on. The reference (@ndev_tracker) is taken in
 *	newlink and dropped in dealloc_driver, so @ndev is valid for the whole
 *	life of the device.
 * @list: entry on sroce_devices, under sroce_devices_lock.
 * @port_state: the port state last announced with a port event, under
 *	sroce_devices_lock.
 * @num_pd: protection domains allocated, bounded by the device attribute.
 * @stats: per-CPU counters (stats.h), from sroce_verbs_setup() to
 *	dealloc_driver.
 * @qpn_table: QPN -> struct sroce_qp (qp.c); set up in sroce_verbs_setup(),
 *	torn down in sroce_dev_dealloc().
 * @num_cq: completion queues allocated, bounded by the device attribute.
 * @srq_table: srq_num -> SRQ, for the packet path; its count is bounded by
 *	max_srq. Set up before the ops, torn down in dealloc_driver.
 * @keys: lkey/rkey index (key >> 8) -> MR or MW, for the packet path
 *	(mr.h); the key byte is checked against the object.
 * @max_qp: the QP limit of this device (module parameter max_qp when the
 *	device was added).
 * @max_mr: the MR limit of this device (module parameter max_mr when the
 *	device was added).
 * @num_mr: MRs allocated, at most @max_mr; kernel PDs' DMA MRs count too.
 * @num_mw: MWs allocated, at most SROCE_MAX_MW.
 * @ahs: user AH number -> AH, for the UD packet path (ah.h).
 * @num_ah: AHs allocated, kernel ones included, at most SROCE_MAX_AH.
 * @net: the namespace whose RoCEv2 sockets this device took (its netdev's
 *	at newlink; netns.h), NULL until then; given back in dealloc_driver.
 *	No reference: the namespace's pernet exit unregisters the device first.
 * @rx_handler: sroce_rx_handler() is the netdev's rx handler, from before
 *	ib_register_device() (newlink) to the start of dealloc_driver, or to
 *	newlink's unwind of a failed registration; written under RTNL.
 */
struct sroce_stats;

struct sroce_dev {
	struct ib_device ibdev;
	struct net_device *ndev;
	netdevice_tracker ndev_tracker;
	struct list_head list;
	enum ib_port_state port_state;
	atomic_t num_pd;
	struct sroce_stats __percpu *stats;
	struct sroce_table qpn_table;
	atomic_t num_cq;
	struct sroce_table srq_table;
	struct sroce_table keys;
	u32 max_mr;
	u32 max_qp;
	atomic_t num_mr;
	atomic_t num_mw;
	struct sroce_table ahs;
	atomic_t num_ah;
	struct net *net;
	bool rx_handler;
};

void sroce_dev_dealloc(struct ib_device *ibdev);

static inline struct sroce_dev *to_sdev(struct ib_device *ibdev)
{
	return container_of(ibdev, struct sroce_dev, ibdev);
}

/*
 * Whether @ibdev is sroce's: rdma_rxe's devices have the same driver id,
 * so a lookup by driver id may find one of them.
 */
static inline bool sroce_is_sdev(const struct ib_device *ibdev)
{
	return ibdev->ops.dealloc_driver == sroce_dev_dealloc;
}

int sroce_newlink(const char *ibdev_name, struct net_device *ndev);
struct sroce_dev *sroce_dev_find_get(struct net_device *ndev);
void sroce_dev_put(struct sroce_dev *sdev);
enum ib_port_state sroce_port_state(struct sroce_dev *sdev);
enum ib_mtu sroce_active_mtu(struct sroce_dev *sdev);
void sroce_port_update(struct sroce_dev *sdev);
void sroce_unregister_all(void);
void sroce_unregister_net(struct net *net);

#endif /* _SROCE_DEVICE_H */
