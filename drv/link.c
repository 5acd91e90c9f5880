// SPDX-License-Identifier: GPL-2.0
/*
 * sroce: the link layer under RoCEv2. Contexts and the two kinds of
 * netdev: link.h.
 */
#include <linux/etherdevice.h>
#include <linux/if_arp.h>
#include <linux/if_vlan.h>
#include <linux/inetdevice.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <net/addrconf.h>

#include "link.h"

/* The ARPHRD types of netdevs that carry bare IP packets. */
static bool sroce_link_l3_type(unsigned short type)
{
	switch (type) {
	case ARPHRD_NONE:	/* tun, wireguard */
	case ARPHRD_RAWIP:
	case ARPHRD_TUNNEL:	/* ipip */
	case ARPHRD_TUNNEL6:	/* ip6tnl */
	case ARPHRD_SIT:
	case ARPHRD_IPGRE:
	case ARPHRD_IP6GRE:
		return true;
	default:
		return false;
	}
}

/**
 * sroce_link_check() - may a device run on @ndev?
 * @ndev: the netdev `rdma link add` names.
 *
 * Returns 0, -EBUSY for a bridge port or bond (team) slave, -EOPNOTSUPP
 * for a VLAN netdev, -EINVAL for a netdev that is neither Ethernet nor L3;
 * says why in the kernel log.
 */
int sroce_link_check(struct net_device *ndev)
{
	struct net_device *master;

	if (netif_is_bridge_port(ndev) || netif_is_lag_port(ndev)) {
		rcu_read_lock();
		master = netdev_master_upper_dev_get_rcu(ndev);
		netdev_warn(ndev, "sroce: a port of %s: its frames are %s's; add the device on %s instead\n",
			    master ? netdev_name(master) : "a master",
			    master ? netdev_name(master) : "the master",
			    master ? netdev_name(master) : "the master");
		rcu_read_unlock();
		return -EBUSY;
	}
	if (is_vlan_dev(ndev)) {
		netdev_warn(ndev, "sroce: a VLAN netdev: ib_core gives an RDMA device on it no IP GIDs; add the device on %s: this VLAN's addresses become its GIDs, and their frames carry VLAN %u\n",
			    netdev_name(vlan_dev_real_dev(ndev)),
			    vlan_dev_vlan_id(ndev));
		return -EOPNOTSUPP;
	}
	if (ndev->flags & IFF_LOOPBACK)
		goto err_type;
	if (ndev->type == ARPHRD_ETHER && ndev->addr_len == ETH_ALEN &&
	    dev_has_header(ndev))
		return 0;
	if (sroce_link_l3_type(ndev->type) && sroce_link_l3(ndev))
		return 0;
err_type:
	netdev_warn(ndev, "sroce: neither an Ethernet device nor an L3 (IP only) device (type %u)\n",
		    ndev->type);
	return -EINVAL;
}

/*
 * Is the IP packet in @skb (data at its network header) to an address of
 * @ndev? One hash lookup under RCU, made per packet rather than cached in
 * the path: it only runs on L3 netdevs, and it stays right while
 * addresses come and go under live QPs.
 */
static bool sroce_link_addr_is_own(struct net_device *ndev,
				   const struct sk_buff *skb)
{
	bool own;

	if (ip_hdr(skb)->version == 6)
		return ipv6_chk_addr(dev_net(ndev), &ipv6_hdr(skb)->daddr,
				     ndev, 1);
	rcu_read_lock();
	own = __ip_dev_find(dev_net(ndev), ip_hdr(skb)->daddr, false) == ndev;
	rcu_read_unlock();
	return own;
}

/**
 * sroce_link_is_own() - does a frame go to this very netdev?
 * @ndev: the device's netdev.
 * @skb: the packet, data at its IP header.
 * @dmac: the next hop's MAC from the address vector (Ethernet only).
 *
 * On Ethernet the frame to our own MAC, which ib_core resolves for an
 * address of this host reached through this netdev; on an L3 netdev, the
 * packet to one of the netdev's own addresses (there is no MAC to tell).
 */
bool sroce_link_is_own(struct net_device *ndev, const struct sk_buff *skb,
		       const u8 *dmac)
{
	if (sroce_link_l3(ndev))
		return sroce_link_addr_is_own(ndev, skb);
	return ether_addr_equal(dmac, ndev->dev_addr);
}

/**
 * sroce_link_push() - the link header in front of the IP header
 * @skb: the packet, data at its IP header, @skb->protocol set; headroom
 *	for LL_RESERVED_SPACE(@ndev).
 * @ndev: the netdev it goes out on.
 * @dmac: the next hop's MAC (Ethernet only).
 * @vlan_id: the VLAN of the source GID, or 0xffff (Ethernet only).
 *
 * The netdev builds its own header: a macvlan's source address, a bond's
 * or bridge's. A GID of a VLAN on the netdev tags the frame with that
 * VLAN. An L3 netdev takes the IP packet bare. Returns 0 or -EINVAL.
 */
int sroce_link_push(struct sk_buff *skb, struct net_device *ndev,
		    const u8 *dmac, u16 vlan_id)
{
	if (sroce_link_l3(ndev)) {
		skb_reset_mac_header(skb);
		return 0;
	}
	if (dev_hard_header(skb, ndev, ntohs(skb->protocol), dmac, NULL,
			    skb->len) < 0)
		return -EINVAL;
	skb_reset_mac_header(skb);
	/* the netdev (or the stack, in software) inserts the tag */
	if (vlan_id < VLAN_N_VID)
		__vlan_hwaccel_put_tag(skb, htons(ETH_P_8021Q), vlan_id);
	return 0;
}

/**
 * sroce_link_loop() - make a frame to ourselves look received on @ndev
 * @skb: the packet, data at its IP header, @skb->protocol set.
 * @ndev: the device's netdev.
 *
 * Ethernet: a header from and to our MAC, then eth_type_trans(), as a NIC
 * would hand it up. L3: the bare packet, marked PACKET_LOOPBACK, which no
 * frame from outside can be (sroce_link_looped() tells it by that).
 */
void sroce_link_loop(struct sk_buff *skb, struct net_device *ndev)
{
	struct ethhdr *eth;

	if (sroce_link_l3(ndev)) {
		skb_reset_mac_header(skb);
		skb->pkt_type = PACKET_LOOPBACK;
		return;
	}
	eth = skb_push(skb, ETH_HLEN);
	ether_addr_copy(eth->h_dest, ndev->dev_addr);
	ether_addr_copy(eth->h_source, ndev->dev_addr);
	eth->h_proto = skb->protocol;
	skb->protocol = eth_type_trans(skb, ndev);
}

static bool sroce_link_has_eth(const struct sk_buff *skb)
{
	return skb_mac_header_was_set(skb) &&
	       skb_mac_header_len(skb) >= ETH_HLEN;
}

/**
 * sroce_link_looped() - a received frame that we sent to ourselves
 * @skb: the frame in the rx handler, network header set.
 *
 * Ethernet: from our own MAC. L3: PACKET_LOOPBACK (sroce_link_loop(); a
 * multicast copy another local sender looped back is marked so too, and
 * is as local).
 */
bool sroce_link_looped(const struct sk_buff *skb)
{
	if (skb->pkt_type == PACKET_LOOPBACK)
		return true;
	return sroce_link_has_eth(skb) &&
	       ether_addr_equal(eth_hdr(skb)->h_source, skb->dev->dev_addr);
}

/* The source MAC of a received frame; zero when it had no Ethernet header. */
void sroce_link_smac(const struct sk_buff *skb, u8 *smac)
{
	if (sroce_link_has_eth(skb))
		ether_addr_copy(smac, eth_hdr(skb)->h_source);
	else
		eth_zero_addr(smac);
}
