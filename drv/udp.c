// SPDX-License-Identifier: GPL-2.0
/*
 * sroce: one IPv4 and one IPv6 UDP socket on port 4791 per network
 * namespace that holds sroce devices (netns.c counts them).
 *
 * When the port is taken, the refusal names who holds it: a kernel tunnel
 * socket by its receive hook (rdma_rxe's is rxe_udp_encap_recv), anything
 * else as a userspace socket.
 */
#include <linux/module.h>
#include <linux/udp.h>
#include <net/ipv6.h>
#include <net/net_namespace.h>
#include <net/udp.h>
#include <net/udp_tunnel.h>

#include "compat.h"
#include "rx.h"
#include "udp.h"

/* softirq, under RCU: every datagram goes to the packet path, none to
 * the socket's receive queue.
 */
static int sroce_udp_encap_recv(struct sock *sk, struct sk_buff *skb)
{
	return sroce_rx(skb);
}

/* The socket bound to the wildcard address on the RoCEv2 port, referenced. */
static struct sock *sroce_udp_lookup(struct net *net, int family)
{
	struct udp_table *tbl = sroce_udp_table(net);
	struct sock *sk = NULL;

	/*
	 * The exported-everywhere lookups (udp4_lib_lookup() exists only
	 * with netfilter's socket matching), under RCU, with our reference.
	 */
	rcu_read_lock();
	if (family == AF_INET)
		sk = __udp4_lib_lookup(net, 0, 0, htonl(INADDR_ANY),
				       htons(SROCE_UDP_PORT), 0, 0, tbl, NULL);
#if IS_ENABLED(CONFIG_IPV6)
	else
		sk = __udp6_lib_lookup(net, &in6addr_any, 0, &in6addr_any,
				       htons(SROCE_UDP_PORT), 0, 0, tbl, NULL);
#endif
	if (sk && !refcount_inc_not_zero(&sk->sk_refcnt))
		sk = NULL;
	rcu_read_unlock();
	return sk;
}

/*
 * The receive hook of the kernel tunnel socket that holds the IPv4 port in
 * @net, when it is not sroce's; NULL when there is none (free, sroce's own,
 * or a userspace socket). The pointer is only printed (%ps) or compared.
 */
void *sroce_udp_foreign_hook(struct net *net)
{
	struct sock *sk = sroce_udp_lookup(net, AF_INET);
	void *hook = NULL;

	if (!sk)
		return NULL;
	hook = READ_ONCE(udp_sk(sk)->encap_rcv);
	if (hook == sroce_udp_encap_recv)
		hook = NULL;
	sock_put(sk);
	return hook;
}

static void sroce_udp_explain_busy(struct net *net, int family,
				   const char *who)
{
	const char *fam = family == AF_INET ? "IPv4" : "IPv6";
	struct sock *sk = sroce_udp_lookup(net, family);
	void *hook;

	if (!sk) {
		pr_warn("sroce: %s: UDP port %d (%s) of this network namespace is taken by a socket bound to one address; see `ss -ulnp 'sport = :%d'`\n",
			who, SROCE_UDP_PORT, fam, SROCE_UDP_PORT);
		return;
	}
	hook = READ_ONCE(udp_sk(sk)->encap_rcv);
	if (hook)
		pr_warn("sroce: %s: UDP port %d (%s) of this network namespace is held by a kernel socket whose receive hook is %ps\n",
			who, SROCE_UDP_PORT, fam, hook);
	else
		pr_warn("sroce: %s: UDP port %d (%s) of this network namespace is held by a userspace socket; see `ss -ulnp 'sport = :%d'`\n",
			who, SROCE_UDP_PORT, fam, SROCE_UDP_PORT);
	sock_put(sk);
}

static int sroce_udp_open_one(struct net *net, int family,
			      struct socket **sockp)
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

	err = udp_sock_create(net, &port_cfg, sockp);
	if (err)
		return err;
	setup_udp_tunnel_sock(net, *sockp, &tunnel_cfg);
	return 0;
}

/**
 * sroce_udp_open() - open @net's RoCEv2 sockets
 * @net: the namespace.
 * @socks: where they go; closed on failure.
 * @who: the device being added, for the messages.
 *
 * Fails with -EADDRINUSE, and says who holds the port, when it is taken.
 */
int sroce_udp_open(struct net *net, struct sroce_udp_socks *socks,
		   const char *who)
{
	int err;

	err = sroce_udp_open_one(net, AF_INET, &socks->sock4);
	if (err) {
		socks->sock4 = NULL;
		goto err_explain;
	}

	err = sroce_udp_open_one(net, AF_INET6, &socks->sock6);
	if (err == -EAFNOSUPPORT || err == -EPFNOSUPPORT) {
		pr_info_once("sroce: IPv6 is not available, RoCEv2 over IPv4 only\n");
		socks->sock6 = NULL;
	} else if (err) {
		socks->sock6 = NULL;
		goto err_close_sock4;
	}
	return 0;

err_close_sock4:
	udp_tunnel_sock_release(socks->sock4);
	socks->sock4 = NULL;
	if (err == -EADDRINUSE)
		sroce_udp_explain_busy(net, AF_INET6, who);
	else
		pr_warn("sroce: %s: cannot open the IPv6 RoCEv2 socket: %d\n",
			who, err);
	return err;

err_explain:
	if (err == -EADDRINUSE)
		sroce_udp_explain_busy(net, AF_INET, who);
	else
		pr_warn("sroce: %s: cannot open the IPv4 RoCEv2 socket: %d\n",
			who, err);
	return err;
}

void sroce_udp_close(struct sroce_udp_socks *socks)
{
	if (socks->sock6)
		udp_tunnel_sock_release(socks->sock6);
	if (socks->sock4)
		udp_tunnel_sock_release(socks->sock4);
	socks->sock4 = NULL;
	socks->sock6 = NULL;
}
