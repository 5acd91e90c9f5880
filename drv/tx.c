// SPDX-License-Identifier: GPL-2.0
/*
 * sroce: one RoCEv2 frame, built whole and sent on the device's netdev.
 *
 * The headers are written first so that the ICRC can run over them. The
 * payload then either is copied straight from the source memory into a
 * linear skb, each chunk folded into the ICRC as it goes (touched once), or,
 * for an RC request from a user MR, is attached as page fragments and only
 * read, for the ICRC (touched once, no copy, no large allocation).
 */
#include <linux/etherdevice.h>
#include <linux/hash.h>
#include <linux/highmem.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/netdevice.h>
#include <linux/udp.h>
#include <net/ip.h>
#include <net/ip6_checksum.h>

#include "compat.h"
#include "crc32.h"
#include "device.h"
#include "icrc.h"
#include "link.h"
#include "mcast.h"
#include "qp.h"
#include "stats.h"
#include "tx.h"
#include "udp.h"
#include "wire.h"

/* Source ports 0xc000..0xffff: a per-QP value for ECMP and RSS spreading. */
static __be16 sroce_sport(u32 qpn, const struct in6_addr *daddr)
{
	u32 h = hash_32(qpn ^ (__force u32)daddr->s6_addr32[3], 14);

	return htons(0xc000 | h);
}

static void sroce_path_addrs(struct sroce_path *path, bool ipv6,
			     const u8 *sgid, const u8 *dgid)
{
	path->ipv6 = ipv6;
	memcpy(path->saddr.s6_addr, sgid, 16);
	memcpy(path->daddr.s6_addr, dgid, 16);
}

void sroce_path_from_av(struct sroce_path *path, const struct sroce_av *av,
			u32 qpn)
{
	sroce_path_addrs(path, av->network_type == RDMA_NETWORK_IPV6,
			 av->sgid.raw, av->dgid.raw);
	ether_addr_copy(path->dmac, av->dmac);
	path->vlan_id = av->vlan_id;
	path->tclass = av->traffic_class;
	path->hop_limit = av->hop_limit ?: 64;
	path->flow_label = av->flow_label;
	path->sport = sroce_sport(qpn, &path->daddr);
}

/* From the address vector of an AH (built by sroce_create_ah, trusted). */
int sroce_path_from_rxe_av(struct sroce_path *path, const struct rxe_av *av,
			   u32 qpn)
{
	struct in6_addr s, d;

	if (av->network_type == RXE_NETWORK_TYPE_IPV4) {
		ipv6_addr_set_v4mapped(av->sgid_addr._sockaddr_in.sin_addr.s_addr,
				       &s);
		ipv6_addr_set_v4mapped(av->dgid_addr._sockaddr_in.sin_addr.s_addr,
				       &d);
		sroce_path_addrs(path, false, s.s6_addr, d.s6_addr);
	} else if (av->network_type == RXE_NETWORK_TYPE_IPV6) {
		sroce_path_addrs(path, true,
				 av->sgid_addr._sockaddr_in6.sin6_addr.s6_addr,
				 av->dgid_addr._sockaddr_in6.sin6_addr.s6_addr);
	} else {
		return -EINVAL;
	}
	ether_addr_copy(path->dmac, av->dmac);
	/* the rxe AV has no VLAN: the caller adds the AH's */
	path->vlan_id = 0xffff;
	path->tclass = av->grh.traffic_class;
	path->hop_limit = av->grh.hop_limit ?: 64;
	path->flow_label = av->grh.flow_label;
	path->sport = sroce_sport(qpn, &path->daddr);
	return 0;
}

static unsigned int sroce_l3_len(bool ipv6)
{
	return ipv6 ? sizeof(struct ipv6hdr) : sizeof(struct iphdr);
}

static void sroce_put_ip4(struct sk_buff *skb, const struct sroce_path *path,
			  unsigned int len)
{
	struct iphdr *ip4 = ip_hdr(skb);

	ip4->version = 4;
	ip4->ihl = 5;
	ip4->tos = path->tclass;
	ip4->tot_len = htons(len);
	ip4->id = 0;
	ip4->frag_off = htons(IP_DF);
	ip4->ttl = path->hop_limit;
	ip4->protocol = IPPROTO_UDP;
	ip4->saddr = path->saddr.s6_addr32[3];
	ip4->daddr = path->daddr.s6_addr32[3];
	ip_send_check(ip4);
}

static void sroce_put_ip6(struct sk_buff *skb, const struct sroce_path *path,
			  unsigned int len)
{
	struct ipv6hdr *ip6 = ipv6_hdr(skb);

	ip6_flow_hdr(ip6, path->tclass,
		     cpu_to_be32(path->flow_label & 0xfffff));
	ip6->payload_len = htons(len - sizeof(*ip6));
	ip6->nexthdr = IPPROTO_UDP;
	ip6->hop_limit = path->hop_limit;
	ip6->saddr = path->saddr;
	ip6->daddr = path->daddr;
}

/* Pad (up to 3 bytes) and ICRC of a zero-copy frame. */
#define SROCE_TX_TRAILER_MAX	(3 + SROCE_ICRC_SIZE)

/*
 * The skb for a frame of @linear bytes from the network header on. A head
 * that fits a page comes from the per-CPU page fragment cache (no slab
 * allocation, nothing zeroed); for a zero-copy frame that fragment also
 * holds, past the head's end, the trailer sroce_txb_trailer() fills.
 */
static struct sk_buff *sroce_tx_skb(struct net_device *ndev,
				    unsigned int linear, bool zcopy,
				    u8 **trailer)
{
	unsigned int hroom = LL_RESERVED_SPACE(ndev);
	unsigned int head = SKB_DATA_ALIGN(hroom + linear +
					   ndev->needed_tailroom) +
			    SKB_DATA_ALIGN(sizeof(struct skb_shared_info));
	unsigned int extra = zcopy ? SROCE_TX_TRAILER_MAX : 0;
	struct sk_buff *skb;
	u8 *data;

	*trailer = NULL;
	if (head + extra > PAGE_SIZE) {
		skb = alloc_skb(hroom + linear + ndev->needed_tailroom,
				GFP_ATOMIC);
		goto out;
	}
	data = netdev_alloc_frag(head + extra);
	if (unlikely(!data))
		return NULL;
	skb = build_skb(data, head);
	if (unlikely(!skb)) {
		skb_free_frag(data);
		return NULL;
	}
	if (zcopy)
		*trailer = data + head;
out:
	if (likely(skb))
		skb_reserve(skb, hroom);
	return skb;
}

static int sroce_tx_alloc(struct sroce_dev *sdev,
			  const struct sroce_path *path, u32 hdr_len,
			  u32 paylen, bool zcopy, struct sroce_txb *txb)
{
	struct net_device *ndev = sdev->ndev;
	unsigned int l3 = sroce_l3_len(path->ipv6);
	unsigned int pad = -paylen & 3;
	unsigned int udplen = sizeof(struct udphdr) + hdr_len + paylen + pad +
			      SROCE_ICRC_SIZE;
	unsigned int linear = zcopy ? l3 + sizeof(struct udphdr) + hdr_len :
				      l3 + udplen;
	struct sk_buff *skb;
	struct udphdr *uh;

	skb = sroce_tx_skb(ndev, linear, zcopy, &txb->trailer);
	if (unlikely(!skb))
		return -ENOMEM;
	skb_reset_network_header(skb);
	skb_put(skb, linear);
	skb_set_transport_header(skb, l3);

	if (path->ipv6)
		sroce_put_ip6(skb, path, l3 + udplen);
	else
		sroce_put_ip4(skb, path, l3 + udplen);

	uh = udp_hdr(skb);
	uh->source = path->sport;
	uh->dest = htons(SROCE_UDP_PORT);
	uh->len = htons(udplen);
	uh->check = 0;

	txb->skb = skb;
	ether_addr_copy(txb->dmac, path->dmac);
	txb->vlan_id = path->vlan_id;
	txb->hdr = uh + 1;
	txb->hdr_len = hdr_len;
	txb->paylen = paylen;
	txb->zcopy = zcopy;
	memset(txb->hdr, 0, hdr_len);
	if (zcopy) {
		txb->payload = NULL;
	} else {
		txb->payload = txb->hdr + hdr_len;
		/* the pad is zeros, and the ICRC covers it */
		memset(txb->payload + paylen, 0, pad);
	}
	txb->crc = 0;
	return 0;
}

/**
 * sroce_tx_begin() - allocate a frame and write every header but the
 *	transport ones
 * @sdev: the sending device.
 * @path: where it goes.
 * @hdr_len: bytes of transport headers (BTH and extensions).
 * @paylen: payload bytes (pad and ICRC are added here).
 * @txb: filled in; the caller writes txb->hdr, then calls sroce_tx_seal().
 *
 * Returns 0 or -ENOMEM. Any context.
 */
int sroce_tx_begin(struct sroce_dev *sdev, const struct sroce_path *path,
		   u32 hdr_len, u32 paylen, struct sroce_txb *txb)
{
	return sroce_tx_alloc(sdev, path, hdr_len, paylen, false, txb);
}

/**
 * sroce_tx_begin_zcopy() - sroce_tx_begin() for a payload that
 *	sroce_txb_add_page() attaches by reference
 * @sdev: the sending device.
 * @path: where it goes.
 * @hdr_len: bytes of transport headers (BTH and extensions).
 * @paylen: payload bytes (pad and ICRC are added by sroce_tx_xmit()).
 * @txb: filled in, as by sroce_tx_begin(); the skb holds only the headers.
 *
 * Only for memory that stays put while the frame is in flight: the pinned
 * pages of a user MR that an RC request reads (the verbs contract leaves
 * that buffer to the device until the WQE completes, which is after the
 * ACK). If the owner writes it anyway, the frame's ICRC no longer matches,
 * the receiver drops it and the retransmission reads it again.
 */
int sroce_tx_begin_zcopy(struct sroce_dev *sdev,
			 const struct sroce_path *path, u32 hdr_len,
			 u32 paylen, struct sroce_txb *txb)
{
	return sroce_tx_alloc(sdev, path, hdr_len, paylen, true, txb);
}

/**
 * sroce_txb_add_page() - attach payload to a zero-copy frame, folding it
 *	into the ICRC
 * @txb: the frame, from sroce_tx_begin_zcopy() and sroce_tx_seal().
 * @page: the page the bytes are in; gets a reference for the skb.
 * @off: where they start in @page.
 * @n: how many (no further than the end of @page).
 *
 * Returns 0, or -EMSGSIZE when the skb has no fragment slot left (one is
 * kept for the ICRC); the caller then builds the frame by copying.
 */
int sroce_txb_add_page(struct sroce_txb *txb, struct page *page,
		       unsigned int off, u32 n)
{
	struct sk_buff *skb = txb->skb;
	int i = skb_shinfo(skb)->nr_frags;
	void *va;

	if (i && skb_can_coalesce(skb, i, page, off)) {
		skb_frag_size_add(&skb_shinfo(skb)->frags[i - 1], n);
	} else {
		if (i >= MAX_SKB_FRAGS - 1)
			return -EMSGSIZE;
		get_page(page);
		skb_fill_page_desc_noacc(skb, i, page, off, n);
	}
	skb->len += n;
	skb->data_len += n;
	skb->truesize += n;

	va = kmap_local_page(page);
	txb->crc = sroce_crc32(txb->crc, va + off, n);
	kunmap_local(va);
	return 0;
}

/* Pad and ICRC of a zero-copy frame: a fragment of their own, at the end. */
static int sroce_txb_trailer(struct sroce_txb *txb, unsigned int pad)
{
	struct sk_buff *skb = txb->skb;
	unsigned int len = pad + SROCE_ICRC_SIZE;
	struct page *page;
	u8 *va = txb->trailer;

	if (va) {
		/* the head's fragment: the skb frees the head, this a frag */
		get_page(virt_to_head_page(va));
	} else {
		va = netdev_alloc_frag(len);
		if (unlikely(!va))
			return -ENOMEM;
	}
	memset(va, 0, pad);
	txb->crc = crc32_le(txb->crc, va, pad);
	put_unaligned_le32(~txb->crc, va + pad);
	page = virt_to_head_page(va);
	skb_fill_page_desc(skb, skb_shinfo(skb)->nr_frags, page,
			   va - (u8 *)page_address(page), len);
	skb->len += len;
	skb->data_len += len;
	skb->truesize += len;
	/* the payload is user memory: whoever must not see it change copies */
	skb_shinfo(skb)->flags |= SKBFL_SHARED_FRAG;
	return 0;
}

/* The transport headers are written: starts the ICRC over all headers. */
void sroce_tx_seal(struct sroce_txb *txb)
{
	struct sk_buff *skb = txb->skb;
	struct sroce_bth *bth = txb->hdr;

	bth->flags |= (-txb->paylen & 3) << SROCE_BTH_PAD_SHIFT;
	txb->crc = sroce_icrc_headers(skb_network_header(skb),
				      ip_hdr(skb)->version == 6,
				      udp_hdr(skb), txb->hdr, txb->hdr_len);
}

void sroce_tx_abort(struct sroce_txb *txb)
{
	kfree_skb(txb->skb);
	txb->skb = NULL;
}

/*
 * A frame to ourselves (two QPs of this device, as rdma_cm sets up for two
 * addresses of one host; link.h says how it is told) never reaches the
 * wire: it is received on the netdev as if it came from it, later, from the
 * backlog softirq, so no QP lock of the sender is held when the receiver
 * runs.
 */
static int sroce_tx_loopback(struct sroce_dev *sdev, struct sk_buff *skb)
{
	sroce_link_loop(skb, sdev->ndev);
	if (skb->ip_summed == CHECKSUM_PARTIAL)
		skb->ip_summed = CHECKSUM_UNNECESSARY;
	if (netif_rx(skb) != NET_RX_SUCCESS) {
		sroce_stat_inc(sdev->stats, TX_DROP);
		return -EAGAIN;
	}
	return 0;
}

/*
 * Appends pad and ICRC, adds the netdev's link header (link.h) and sends.
 * Consumes the skb.
 */
int sroce_tx_xmit(struct sroce_dev *sdev, struct sroce_txb *txb)
{
	struct net_device *ndev = sdev->ndev;
	struct sk_buff *skb = txb->skb;
	unsigned int pad = -txb->paylen & 3;
	bool ipv6 = ip_hdr(skb)->version == 6;
	u32 crc = txb->crc;
	unsigned int len;
	int err;

	if (txb->zcopy) {
		err = sroce_txb_trailer(txb, pad);
		if (unlikely(err)) {
			sroce_tx_abort(txb);
			sroce_stat_inc(sdev->stats, TX_DROP);
			return err;
		}
	} else {
		if (pad)
			crc = crc32_le(crc, txb->payload + txb->paylen, pad);
		put_unaligned_le32(~crc, txb->payload + txb->paylen + pad);
	}

	if (ipv6) {
		struct udphdr *uh = udp_hdr(skb);

		/* IPv6 wants a UDP checksum: the netdev or the stack fills it */
		skb->ip_summed = CHECKSUM_PARTIAL;
		skb->csum_start = skb_transport_header(skb) - skb->head;
		skb->csum_offset = offsetof(struct udphdr, check);
		uh->check = ~csum_ipv6_magic(&ipv6_hdr(skb)->saddr,
					     &ipv6_hdr(skb)->daddr,
					     ntohs(uh->len), IPPROTO_UDP, 0);
	} else {
		skb->ip_summed = CHECKSUM_NONE;
	}

	skb->protocol = htons(ipv6 ? ETH_P_IPV6 : ETH_P_IP);
	skb->dev = ndev;

	sroce_stat_inc(sdev->stats, SENT_PKTS);
	txb->skb = NULL;
	/*
	 * The netdev's MTU shrank under QPs of a larger path MTU: the frame
	 * is lost as on a link that cannot carry it (the sender recovers or
	 * gives up), never sent oversized.
	 */
	if (unlikely(skb->len > READ_ONCE(ndev->mtu))) {
		kfree_skb(skb);
		sroce_stat_inc(sdev->stats, TX_DROP);
		return 0;
	}
	len = skb->len;	/* the IP packet: what the PMA counts */
	if (unlikely(sroce_link_is_own(ndev, skb, txb->dmac))) {
		err = sroce_tx_loopback(sdev, skb);
		if (!err)
			sroce_stat_xmit(sdev->stats, len, false);
		return err;
	}
	if (unlikely(sroce_link_push(skb, ndev, txb->dmac, txb->vlan_id))) {
		kfree_skb(skb);
		sroce_stat_inc(sdev->stats, TX_DROP);
		return -EAGAIN;
	}
	/* our own QPs in the group get theirs, as on an HCA */
	if (unlikely(is_multicast_ether_addr(txb->dmac)))
		sroce_mcast_loopback(sdev, skb);
	err = dev_queue_xmit(skb);
	if (unlikely(err != NET_XMIT_SUCCESS && err != NET_XMIT_CN)) {
		sroce_stat_inc(sdev->stats, TX_DROP);
		return -EAGAIN;
	}
	sroce_stat_xmit(sdev->stats, len, is_multicast_ether_addr(txb->dmac));
	return 0;
}
