/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sroce: the UDP sockets that carry RoCEv2, one pair per network namespace.
 *
 * sroce_udp_open() and sroce_udp_close() run in process context, under
 * netns.c's lock, when a namespace gets its first sroce device and when its
 * last one goes. The encap receive hook they install runs in softirq
 * context, under RCU. sroce_udp_foreign_hook() is a lookup (process
 * context): whose kernel socket, if not ours, holds the port.
 */
#ifndef _SROCE_UDP_H
#define _SROCE_UDP_H

#define SROCE_UDP_PORT	4791	/* IANA: RoCEv2 */

struct net;
struct socket;

/**
 * struct sroce_udp_socks - a namespace's RoCEv2 sockets
 * @sock4: bound to 0.0.0.0:4791.
 * @sock6: bound to [::]:4791 (IPv6 only), NULL when the kernel has no IPv6.
 */
struct sroce_udp_socks {
	struct socket *sock4;
	struct socket *sock6;
};

int sroce_udp_open(struct net *net, struct sroce_udp_socks *socks,
		   const char *who);
void sroce_udp_close(struct sroce_udp_socks *socks);
void *sroce_udp_foreign_hook(struct net *net);

#endif /* _SROCE_UDP_H */
