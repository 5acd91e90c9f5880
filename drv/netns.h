/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sroce: network namespaces, and keeping rdma_rxe out.
 *
 * A namespace has its RoCEv2 sockets (udp.h) while it holds at least one
 * sroce device: newlink takes them with sroce_net_get() for its netdev's
 * namespace, dealloc_driver gives them back with sroce_net_put(). When a
 * namespace dies, its netdevs are deleted (or moved out) by the device
 * pernet exits, whose NETDEV_UNREGISTER makes the notifier queue the
 * unregistration of their sroce devices; our pernet exit, a subsys one and
 * so run after every device exit, unregisters what is still there and
 * finds the sockets closed.
 *
 * rdma_rxe registers its devices under the same driver id as sroce, and
 * its netdev notifier takes every such device on a netdev for an rxe_dev
 * (writing to it); its module exit unregisters them all. So the two never
 * have devices at the same time: sroce adds none while rdma_rxe is loaded
 * (sroce_net_get() refuses), and rdma_rxe may not load while sroce has
 * any (the module notifier refuses it).
 *
 * All of it runs in process context; sroce_net_lock (netns.c) protects the
 * per-namespace state and the counts.
 */
#ifndef _SROCE_NETNS_H
#define _SROCE_NETNS_H

struct net;

int sroce_netns_init(void);
void sroce_netns_exit(void);
int sroce_net_get(struct net *net, const char *who);
void sroce_net_put(struct net *net);

#endif /* _SROCE_NETNS_H */
