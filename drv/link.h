/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sroce: the link layer under RoCEv2 — which netdevs a device may run on,
 * what goes in front of the IP header, and what is a frame to ourselves.
 *
 * Two kinds of netdev carry RoCEv2 (Documentation/netdevs.rst):
 *  - Ethernet: ARPHRD_ETHER with a 6-byte address and a link header of its
 *    own (header_ops): NICs, veth, dummy, and the stacked ones, macvlan, a
 *    bond, a bridge. A frame gets the netdev's own header (dev_hard_header():
 *    a macvlan puts its own source address) to the next hop's MAC ib_core
 *    resolved. An 802.1Q VLAN netdev is refused: ib_core gives a device on
 *    it no IP GIDs. Its addresses are GIDs of the device on the real
 *    netdev instead, and an RC/UC QP on such a GID tags its frames with
 *    the VLAN; they come back through the VLAN netdev (rx.c maps it to
 *    its real netdev's device).
 *  - L3: no link header and no hardware address (tun, ipip, sit, gre,
 *    ip6tnl, wireguard). The IP packet is handed over as it is, and comes
 *    in the same way; a work completion's source MAC is zero.
 * A bridge port or a bond slave is refused: its frames belong to the
 * bridge or bond, which is what a device is bound to instead.
 *
 * A frame to ourselves (two QPs of one device) never reaches the netdev:
 * on Ethernet it is the one to our own MAC, on an L3 netdev the one to an
 * address of that netdev (there is no MAC to tell).
 *
 * Who calls what, from which context:
 *  - sroce_link_check(): newlink (process context, RTNL not held).
 *  - sroce_link_is_own(), sroce_link_push(), sroce_link_loop(): the send
 *    path (sroce_tx_xmit(), any context, BHs may be on).
 *  - sroce_link_looped(), sroce_link_smac(): the receive path (softirq,
 *    under RCU).
 */
#ifndef _SROCE_LINK_H
#define _SROCE_LINK_H

#include <linux/netdevice.h>
#include <linux/skbuff.h>

/* No link header: the IP packet is the frame. */
static inline bool sroce_link_l3(const struct net_device *ndev)
{
	return !dev_has_header(ndev);
}

int sroce_link_check(struct net_device *ndev);
bool sroce_link_is_own(struct net_device *ndev, const struct sk_buff *skb,
		       const u8 *dmac);
int sroce_link_push(struct sk_buff *skb, struct net_device *ndev,
		    const u8 *dmac, u16 vlan_id);
void sroce_link_loop(struct sk_buff *skb, struct net_device *ndev);
bool sroce_link_looped(const struct sk_buff *skb);
void sroce_link_smac(const struct sk_buff *skb, u8 *smac);

#endif /* _SROCE_LINK_H */
