/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sroce: following the netdevs that sroce devices run on.
 *
 * The notifier runs in process context with RTNL held. It maps link and MTU
 * changes to port events and queues the unregistration of a device whose
 * netdev is going away (core drops its netdev reference when it completes,
 * which lets the netdev's unregistration finish).
 */
#ifndef _SROCE_NETDEV_H
#define _SROCE_NETDEV_H

int sroce_netdev_init(void);
void sroce_netdev_exit(void);

#endif /* _SROCE_NETDEV_H */
