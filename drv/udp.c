// SPDX-License-Identifier: GPL-2.0
/*
 * sroce: one IPv4 and one IPv6 UDP socket on port 4791, in init_net.
 *
 * Binding the port is also how sroce and rdma_rxe exclude each other: both
 * speak the rxe user ABI under RDMA_DRIVER_RXE, so they must never be loaded
 * together, and whichever comes second fails to bind and refuses to load.
 */
#include <linux/module.h>
#include <net/net_namespace.h>
#include <net/udp_tunnel.h>

#include "rx.h"
#include "udp.h"

static struct socket *sroce_sock4;
static struct socket *sroce_sock6;

/* softirq, under RCU: every datagram goes to the packet path, none to
 * the socket's receive queue.
 */
static int sroce_udp_encap_recv(struct sock *sk, struct sk_buff *skb)
{
	return sroce_rx(skb);
}

static int sroce_udp_open(int family, struct socket **sockp)
{
	struct udp_tunnel_sock_cfg tunnel_cfg = {
		.encap_type = 1,
		.encap_rcv = sroce_udp_encap_recv,
	};
	struct udp_port_cfg port_cfg = {
		.family = family,
		.local_udp_port = htons(SROCE_UDP_PORT),
		.ipv6_v6only = family == AF_INET6,
	};
	int err;

	err = udp_sock_create(&init_net, &port_cfg, sockp);
	if (err)
		return err;
	setup_udp_tunnel_sock(&init_net, *sockp, &tunnel_cfg);
	return 0;
}

int sroce_udp_init(void)
{
	int err;

	err = sroce_udp_open(AF_INET, &sroce_sock4);
	if (err)
		goto err_explain;

	err = sroce_udp_open(AF_INET6, &sroce_sock6);
	if (err == -EAFNOSUPPORT || err == -EPFNOSUPPORT) {
		pr_info("sroce: IPv6 is not available, RoCEv2 over IPv4 only\n");
		sroce_sock6 = NULL;
	} else if (err) {
		goto err_close_sock4;
	}
	return 0;

err_close_sock4:
	udp_tunnel_sock_release(sroce_sock4);
	sroce_sock4 = NULL;
err_explain:
	if (err == -EADDRINUSE)
		pr_err("sroce: UDP port %d is already in use (is rdma_rxe loaded? sroce and rdma_rxe cannot be loaded together); not loading\n",
		       SROCE_UDP_PORT);
	else
		pr_err("sroce: cannot open the RoCEv2 UDP sockets: %d\n", err);
	return err;
}

void sroce_udp_exit(void)
{
	if (sroce_sock6)
		udp_tunnel_sock_release(sroce_sock6);
	udp_tunnel_sock_release(sroce_sock4);
	sroce_sock4 = NULL;
	sroce_sock6 = NULL;
}
