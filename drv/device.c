// SPDX-License-Identifier: GPL-2.0
/*
 * sroce: creating and tearing down the RDMA device bound to a netdev.
 *
 * A device is born in sroce_newlink() and dies in sroce_dev_dealloc(), which
 * ib_core calls both after a failed registration (through
 * ib_dealloc_device()) and at the end of every unregistration, whoever asked
 * for it: `rdma link delete`, the netdev going away, or module unload.
 */
#include <linux/if_arp.h>
#include <linux/mutex.h>
#include <linux/rtnetlink.h>
#include <net/addrconf.h>
#include <net/net_namespace.h>
#include <rdma/ib_addr.h>

#include "ah.h"
#include "debugfs.h"
#include "device.h"
#include "link.h"
#include "rx.h"
#include "qp.h"
#include "mr.h"
#include "netns.h"
#include "stats.h"
#include "verbs.h"

/* Protects sroce_devices and each device's @port_state. */
static DEFINE_MUTEX(sroce_devices_lock);
static LIST_HEAD(sroce_devices);

static struct sroce_dev *sroce_dev_by_ndev(struct net_device *ndev)
{
	struct sroce_dev *sdev;

	lockdep_assert_held(&sroce_devices_lock);
	list_for_each_entry(sdev, &sroce_devices, list)
		if (sdev->ndev == ndev)
			return sdev;
	return NULL;
}

/*
 * Makes sroce_rx_handler() the netdev's rx handler (the fast path of
 * connected QPs, rx.h), when the netdev has none; without it, RoCEv2 takes
 * the IP stack's path. Called before the device is registered: the handler
 * only needs the tables sroce_verbs_setup() made.
 */
static void sroce_rx_handler_attach(struct sroce_dev *sdev, const char *name)
{
	rtnl_lock();
	sdev->rx_handler = !netdev_rx_handler_register(sdev->ndev,
						       sroce_rx_handler, sdev);
	rtnl_unlock();
	if (!sdev->rx_handler)
		netdev_info(sdev->ndev, "sroce: %s: the netdev has an rx handler (a macvlan or ipvlan lower device?); RoCEv2 takes the IP stack's path\n",
			    name);
}

/* The reverse; returns once no packet is in the handler any more. */
static void sroce_rx_handler_detach(struct sroce_dev *sdev)
{
	if (!sdev->rx_handler)
		return;
	rtnl_lock();
	netdev_rx_handler_unregister(sdev->ndev);
	rtnl_unlock();
	sdev->rx_handler = false;
}

/*
 * Called by ib_core's nldev for `rdma link add NAME type sroce netdev NDEV`;
 * @ndev is held by the caller for the duration of the call.
 *
 * Everything is set up before ib_register_device(): once it returns, the
 * device is visible, and a concurrent `rdma link delete` (or the netdev
 * going away) may already have unregistered and freed it, so newlink
 * touches nothing of it after a successful registration.
 */
int sroce_newlink(const char *ibdev_name, struct net_device *ndev)
{
	struct sroce_dev *sdev, *other;
	struct net *net;
	int err;

	err = sroce_link_check(ndev);
	if (err)
		return err;

	sdev = ib_alloc_device(sroce_dev, ibdev);
	if (!sdev)
		return -ENOMEM;
	INIT_LIST_HEAD(&sdev->list);
	sdev->ndev = ndev;
	netdev_hold(ndev, &sdev->ndev_tracker, GFP_KERNEL);

	/* Sets the ops first: from here on ib_dealloc_device() unwinds all. */
	err = sroce_verbs_setup(sdev);
	if (err)
		goto err_dealloc_device;

	/* the sockets of the netdev's namespace; dealloc gives them back */
	net = dev_net(ndev);
	err = sroce_net_get(net, ibdev_name);
	if (err)
		goto err_dealloc_device;
	sdev->net = net;

	mutex_lock(&sroce_devices_lock);
	other = sroce_dev_by_ndev(ndev);
	if (other) {
		netdev_warn(ndev, "sroce: %s already runs on this netdev; one sroce device per netdev\n",
			    dev_name(&other->ibdev.dev));
		mutex_unlock(&sroce_devices_lock);
		err = -EEXIST;
		goto err_dealloc_device;
	}
	list_add_tail(&sdev->list, &sroce_devices);
	sdev->port_state = sroce_port_state(sdev);
	mutex_unlock(&sroce_devices_lock);

	sroce_rx_handler_attach(sdev, ibdev_name);

	/*
	 * Exclusive mode (`rdma system set netns exclusive`): the device
	 * belongs to the namespace it is added in, as core's own move would
	 * make it (rdma_dev_change_netns(): no reference on the net either,
	 * core moves a dying namespace's devices back to init_net).
	 */
	if (!rdma_dev_access_netns(&sdev->ibdev, net))
		write_pnet(&sdev->ibdev.coredev.rdma_net, net);

	err = ib_register_device(&sdev->ibdev, ibdev_name, NULL);
	if (err) {
		netdev_warn(ndev, "sroce: registering %s failed: %d\n",
			    ibdev_name, err);
		goto err_detach_rx_handler;
	}
	/* sdev may be gone already: only the caller's name and netdev */
	sroce_test_newlink_pause();
	netdev_info(ndev, "sroce: %s added\n", ibdev_name);
	return 0;

err_detach_rx_handler:
	sroce_rx_handler_detach(sdev);
err_dealloc_device:
	/* Calls sroce_dev_dealloc(), which undoes the list and netdev steps. */
	ib_dealloc_device(&sdev->ibdev);
	return err;
}

/* ops.dealloc_driver: the last sroce code to run for a device. */
void sroce_dev_dealloc(struct ib_device *ibdev)
{
	struct sroce_dev *sdev = to_sdev(ibdev);

	/*
	 * The handler goes first: while the device is on the list, a newlink
	 * on the same netdev is refused (-EEXIST) instead of finding the
	 * handler still taken and running without the fast path.
	 */
	sroce_rx_handler_detach(sdev);
	sroce_test_dealloc_pause();
	mutex_lock(&sroce_devices_lock);
	list_del_init(&sdev->list);
	mutex_unlock(&sroce_devices_lock);

	/* the reverse of sroce_verbs_setup() */
	sroce_stats_fini(sdev->stats);
	sroce_ahs_fini(sdev);
	sroce_keys_fini(sdev);
	sroce_table_fini(&sdev->srq_table);
	sroce_qp_dev_fini(sdev);
	if (sdev->net)
		sroce_net_put(sdev->net);
	netdev_put(sdev->ndev, &sdev->ndev_tracker);
}

/*
 * Finds the registered device on @ndev and takes a device reference
 * (ib_device_try_get()), or returns NULL. The entry cannot be freed while we
 * look because dealloc_driver takes sroce_devices_lock to unlink it. A
 * device is on the list from before its registration: until the
 * registration takes core's first reference, and again once its
 * unregistration dropped the last, ib_device_try_get() fails.
 */
struct sroce_dev *sroce_dev_find_get(struct net_device *ndev)
{
	struct sroce_dev *sdev;

	mutex_lock(&sroce_devices_lock);
	sdev = sroce_dev_by_ndev(ndev);
	if (sdev && !ib_device_try_get(&sdev->ibdev))
		sdev = NULL;
	mutex_unlock(&sroce_devices_lock);
	return sdev;
}

void sroce_dev_put(struct sroce_dev *sdev)
{
	ib_device_put(&sdev->ibdev);
}

/* The largest RoCE path MTU that fits in the netdev MTU, 0 when none fits. */
static enum ib_mtu sroce_fitting_mtu(struct sroce_dev *sdev)
{
	return iboe_get_mtu(READ_ONCE(sdev->ndev->mtu));
}

enum ib_mtu sroce_active_mtu(struct sroce_dev *sdev)
{
	return sroce_fitting_mtu(sdev) ?: IB_MTU_256;
}

/* Active when the netdev is up, has carrier and can carry a 256-byte MTU. */
enum ib_port_state sroce_port_state(struct sroce_dev *sdev)
{
	struct net_device *ndev = sdev->ndev;

	if (netif_running(ndev) && netif_carrier_ok(ndev) &&
	    sroce_fitting_mtu(sdev))
		return IB_PORT_ACTIVE;
	return IB_PORT_DOWN;
}

/* Announces a port state change, once per change. Caller holds a reference. */
void sroce_port_update(struct sroce_dev *sdev)
{
	enum ib_port_state state = sroce_port_state(sdev);
	struct ib_event event = {
		.device = &sdev->ibdev,
		.element.port_num = SROCE_PORT,
	};
	bool changed;

	mutex_lock(&sroce_devices_lock);
	changed = sdev->port_state != state;
	sdev->port_state = state;
	mutex_unlock(&sroce_devices_lock);
	if (!changed)
		return;
	if (state != IB_PORT_ACTIVE)
		sroce_stat_inc(sdev->stats, LINK_DOWNED);

	event.event = state == IB_PORT_ACTIVE ? IB_EVENT_PORT_ACTIVE :
						IB_EVENT_PORT_ERR;
	ib_dispatch_event(&event);
	dev_info(&sdev->ibdev.dev, "port %s\n", sroce_port_state_name(state));
}

/*
 * Unregisters every sroce device counted in @net, or all of them for NULL;
 * only sroce's: rdma_rxe registers under the same driver id, so
 * ib_unregister_driver() would take its devices too. Each device is held
 * (get_device()) while ib_unregister_device() runs, outside our lock
 * (dealloc_driver takes it); that call waits for an unregistration already
 * under way, the notifier's queued ones included, and returns once the
 * device is unregistered and dealloc_driver has taken it off the list.
 * Process context; no newlink runs for @net (it is dying, or sroce's link
 * type is gone).
 */
static void sroce_unregister_devices(struct net *net)
{
	struct sroce_dev *sdev, *cur;
	bool stuck;

	for (;;) {
		sdev = NULL;
		mutex_lock(&sroce_devices_lock);
		list_for_each_entry(cur, &sroce_devices, list) {
			if (!net || cur->net == net) {
				sdev = cur;
				get_device(&sdev->ibdev.dev);
				break;
			}
		}
		mutex_unlock(&sroce_devices_lock);
		if (!sdev)
			return;

		ib_unregister_device(&sdev->ibdev);

		mutex_lock(&sroce_devices_lock);
		stuck = !list_empty(&sdev->list);
		mutex_unlock(&sroce_devices_lock);
		put_device(&sdev->ibdev.dev);
		/* not registered, not unregistering: nothing would take it */
		if (WARN_ON(stuck))
			return;
	}
}

/* Module unload: every device goes. */
void sroce_unregister_all(void)
{
	sroce_unregister_devices(NULL);
}

/* @net is dying: the devices counted in it go (netns.h). */
void sroce_unregister_net(struct net *net)
{
	sroce_unregister_devices(net);
}
