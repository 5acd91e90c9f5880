// SPDX-License-Identifier: GPL-2.0
/*
 * sroce: netdev notifier.
 */
#include <linux/netdevice.h>

#include "device.h"
#include "netdev.h"

static int sroce_netdev_event(struct notifier_block *nb, unsigned long event,
			      void *ptr)
{
	struct net_device *ndev = netdev_notifier_info_to_dev(ptr);
	struct sroce_dev *sdev;

	switch (event) {
	case NETDEV_UNREGISTER:
	case NETDEV_UP:
	case NETDEV_DOWN:
	case NETDEV_CHANGE:
	case NETDEV_CHANGEMTU:
		break;
	default:
		return NOTIFY_DONE;
	}

	sdev = sroce_dev_find_get(ndev);
	if (!sdev)
		return NOTIFY_DONE;

	if (event == NETDEV_UNREGISTER) {
		/*
		 * A device still registering is skipped by find_get; our netdev
		 * reference keeps the netdev waiting, and its unregistration
		 * repeats NETDEV_UNREGISTER until we let go.
		 */
		dev_info(&sdev->ibdev.dev, "netdev %s is going away\n",
			 netdev_name(ndev));
		ib_unregister_device_queued(&sdev->ibdev);
	} else {
		sroce_port_update(sdev);
	}
	sroce_dev_put(sdev);
	return NOTIFY_OK;
}

static struct notifier_block sroce_netdev_notifier = {
	.notifier_call = sroce_netdev_event,
};

int sroce_netdev_init(void)
{
	return register_netdevice_notifier(&sroce_netdev_notifier);
}

void sroce_netdev_exit(void)
{
	unregister_netdevice_notifier(&sroce_netdev_notifier);
}
