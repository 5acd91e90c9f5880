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
#include <linux/module.h>
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

/* A GSO skb: IP's 16-bit total length, and a bound on its units. */
#define SROCE_TX_GSO_MAX_LEN	(U16_MAX - sizeof(struct ipv6hdr))
#define SROCE_TX_GSO_MAX_UNITS	64

static bool sroce_gso = true;
module_param_named(gso, sroce_gso, bool, 0644);
MODULE_PARM_DESC(gso, "send runs of an RC QP's packets as one UDP GSO skb (default: on)");

/* The UDP payload of one unit: transport headers, payload, pad, ICRC. */
static u32 sroce_unit_len(u32 hdr_len, u32 paylen)
{
	return hdr_len + paylen + (-paylen & 3) + SROCE_ICRC_SIZE;
}

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
	txb->units = 0;
	txb->gso = false;
	txb->closed = false;
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

/**
 * sroce_txb_add_frag() - the next payload piece, a page fragment of ours
 * @txb: a zero-copy frame (sroce_tx_begin_zcopy()).
 * @va: from netdev_alloc_frag(); the skb takes its reference on success.
 * @n: its bytes, already folded into txb->crc by the caller.
 *
 * Returns 0 or -EMSGSIZE (no fragment slot left).
 */
int sroce_txb_add_frag(struct sroce_txb *txb, void *va, u32 n)
{
	struct sk_buff *skb = txb->skb;
	int i = skb_shinfo(skb)->nr_frags;
	struct page *page = virt_to_head_page(va);

	if (i >= MAX_SKB_FRAGS - 1)
		return -EMSGSIZE;
	skb_fill_page_desc(skb, i, page, va - page_address(page), n);
	skb->len += n;
	skb->data_len += n;
	skb->truesize += n;
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

/*
 * The transport headers are written: starts the ICRC over all headers.
 * Unit k of a GSO skb is covered with the IP and UDP headers segmentation
 * gives it: its own lengths and, on IPv4, the ID k past the first unit's
 * (inet_gso_segment() counts them up; the first unit's is 0).
 */
void sroce_tx_seal(struct sroce_txb *txb)
{
	struct sk_buff *skb = txb->skb;
	struct sroce_bth *bth = txb->hdr;
	bool ipv6 = ip_hdr(skb)->version == 6;

	bth->flags |= (-txb->paylen & 3) << SROCE_BTH_PAD_SHIFT;
	if (!txb->units)
		txb->crc = sroce_icrc_headers(skb_network_header(skb), ipv6,
					      udp_hdr(skb), txb->hdr,
					      txb->hdr_len);
	else
		txb->crc = sroce_icrc_unit_headers(skb_network_header(skb),
						   ipv6, udp_hdr(skb),
						   txb->units,
						   sroce_unit_len(txb->hdr_len,
								  txb->paylen),
						   txb->hdr, txb->hdr_len);
}

/*
 * Whether @ndev takes a UDP GSO skb of ours, segmented so that each
 * datagram is numbered and sized as sroce_tx_seal() predicts: a veth hands
 * it over whole (its peer's rx handler or UDP layer segments in software);
 * a NIC gets it segmented by the stack's software GSO, and only one that
 * fills the UDP checksums itself, which a GSO skb needs (single frames of
 * IPv4 carry none: a NIC without checksum offload does better with them).
 * A NIC's own UDP segmentation might number IPv4 IDs its own way: a netdev
 * offering it gets single frames.
 */
static bool sroce_tx_gso_dev(const struct net_device *ndev, bool ipv6)
{
	netdev_features_t csum = NETIF_F_HW_CSUM |
				 (ipv6 ? NETIF_F_IPV6_CSUM : NETIF_F_IP_CSUM);

	if (sroce_link_l3(ndev))
		return false;
	if (ndev->rtnl_link_ops && !strcmp(ndev->rtnl_link_ops->kind, "veth"))
		return true;
	return !(ndev->features & NETIF_F_GSO_UDP_L4) &&
	       (ndev->features & csum);
}

/*
 * Whether frames on @path may go as GSO skbs at all (sroce_tx_gso_begin()
 * decides per frame): a copying sender then builds its payload into page
 * fragments only where they can be batched.
 */
bool sroce_tx_gso_path(struct sroce_dev *sdev, const struct sroce_path *path)
{
	return READ_ONCE(sroce_gso) && path->vlan_id == 0xffff &&
	       sroce_tx_gso_dev(sdev->ndev, path->ipv6);
}

/**
 * sroce_tx_gso_begin() - let further units join a built zero-copy frame
 * @sdev: the sending device.
 * @txb: the frame, headers sealed and payload attached, not sent.
 * @max_pieces: page fragments the next unit's payload may need.
 *
 * Only frames on the wire qualify: not to ourselves, no VLAN tag, on a
 * netdev sroce_tx_gso_dev() accepts, and only while the gso module
 * parameter is set (so one boot can measure both ways).
 */
void sroce_tx_gso_begin(struct sroce_dev *sdev, struct sroce_txb *txb,
			unsigned int max_pieces)
{
	struct net_device *ndev = sdev->ndev;

	txb->units = 0;
	txb->closed = false;
	txb->unit_len = sroce_unit_len(txb->hdr_len, txb->paylen);
	txb->gso = READ_ONCE(sroce_gso) && txb->zcopy &&
		   txb->vlan_id == 0xffff &&
		   sroce_tx_gso_dev(ndev, ip_hdr(txb->skb)->version == 6) &&
		   !sroce_link_is_own(ndev, txb->skb, txb->dmac) &&
		   skb_shinfo(txb->skb)->nr_frags + 2 + max_pieces <=
		   MAX_SKB_FRAGS;
}

/**
 * sroce_tx_append() - start the next unit of a GSO frame
 * @txb: a frame sroce_tx_gso_begin() opened.
 * @hdr_len: bytes of the new unit's transport headers.
 * @paylen: its payload bytes.
 * @max_pieces: page fragments its payload may need, at most.
 *
 * Writes the last unit's pad and ICRC and, in the same fragment, room for
 * the new unit's headers at txb->hdr, zeroed. Every unit but the last must
 * be as long as the first (the GSO size). Returns 0; -EMSGSIZE when the
 * unit cannot join (send @txb, then build it as a frame of its own);
 * -ENOMEM.
 */
int sroce_tx_append(struct sroce_txb *txb, u32 hdr_len, u32 paylen,
		    unsigned int max_pieces)
{
	struct sk_buff *skb = txb->skb;
	unsigned int pad = -txb->paylen & 3;
	unsigned int glue = pad + SROCE_ICRC_SIZE + hdr_len;
	u32 len = sroce_unit_len(hdr_len, paylen);
	unsigned int i = skb_shinfo(skb)->nr_frags;
	struct page *page;
	u8 *va;

	if (!txb->gso || txb->closed ||
	    sroce_unit_len(txb->hdr_len, txb->paylen) != txb->unit_len ||
	    len > txb->unit_len || txb->units + 1 >= SROCE_TX_GSO_MAX_UNITS ||
	    skb->len + len > SROCE_TX_GSO_MAX_LEN ||
	    i + 2 + max_pieces > MAX_SKB_FRAGS)
		return -EMSGSIZE;
	va = netdev_alloc_frag(glue);
	if (unlikely(!va))
		return -ENOMEM;
	memset(va, 0, pad + hdr_len + SROCE_ICRC_SIZE);
	txb->crc = crc32_le(txb->crc, va, pad);
	put_unaligned_le32(~txb->crc, va + pad);
	page = virt_to_head_page(va);
	skb_fill_page_desc(skb, i, page, va - (u8 *)page_address(page), glue);
	skb->len += glue;
	skb->data_len += glue;
	skb->truesize += glue;

	txb->undo.nr_frags = i + 1;
	txb->undo.len = skb->len - hdr_len;
	txb->undo.truesize = skb->truesize;
	txb->undo.hdr_len = hdr_len;

	txb->hdr = va + pad + SROCE_ICRC_SIZE;
	txb->hdr_len = hdr_len;
	txb->paylen = paylen;
	txb->units++;
	txb->trailer = NULL;
	txb->crc = 0;
	return 0;
}

/*
 * The unit sroce_tx_append() started could not be built: drop it. The
 * units before it stay, complete, and no more join.
 */
void sroce_tx_unappend(struct sroce_txb *txb)
{
	struct sk_buff *skb = txb->skb;
	struct skb_shared_info *sh = skb_shinfo(skb);
	unsigned int i;

	for (i = txb->undo.nr_frags; i < sh->nr_frags; i++)
		put_page(skb_frag_page(&sh->frags[i]));
	sh->nr_frags = txb->undo.nr_frags;
	skb_frag_size_sub(&sh->frags[sh->nr_frags - 1], txb->undo.hdr_len);
	skb->data_len -= skb->len - txb->undo.len;
	skb->len = txb->undo.len;
	skb->truesize = txb->undo.truesize;
	txb->units--;
	txb->closed = true;
}

/* The lengths and GSO fields of a frame of several units. */
static void sroce_tx_gso_finish(struct sroce_txb *txb)
{
	struct sk_buff *skb = txb->skb;
	unsigned int ulen = skb->len - skb_transport_offset(skb);

	udp_hdr(skb)->len = htons(ulen);
	if (ip_hdr(skb)->version == 6) {
		ipv6_hdr(skb)->payload_len = htons(ulen);
	} else {
		ip_hdr(skb)->tot_len = htons(skb->len);
		ip_send_check(ip_hdr(skb));
	}
	skb_shinfo(skb)->gso_size = txb->unit_len;
	skb_shinfo(skb)->gso_type = SKB_GSO_UDP_L4;
	skb_shinfo(skb)->gso_segs = txb->units + 1;
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
	unsigned int len, pkts = txb->units + 1;
	int err;

	if (txb->closed) {
		/* sroce_tx_unappend(): the last unit's trailer is in place */
	} else if (txb->zcopy) {
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

	if (pkts > 1)
		sroce_tx_gso_finish(txb);
	/*
	 * IPv6 wants a UDP checksum, and so does UDP GSO: the netdev or the
	 * stack fills it (per datagram for GSO, from a pseudo-header of the
	 * whole length, as udp_send_skb() leaves it). IPv4 frames carry 0.
	 */
	if (ipv6 || pkts > 1) {
		struct udphdr *uh = udp_hdr(skb);

		skb->ip_summed = CHECKSUM_PARTIAL;
		skb->csum_start = skb_transport_header(skb) - skb->head;
		skb->csum_offset = offsetof(struct udphdr, check);
		if (ipv6)
			uh->check = ~csum_ipv6_magic(&ipv6_hdr(skb)->saddr,
						     &ipv6_hdr(skb)->daddr,
						     ntohs(uh->len),
						     IPPROTO_UDP, 0);
		else
			uh->check = ~csum_tcpudp_magic(ip_hdr(skb)->saddr,
						       ip_hdr(skb)->daddr,
						       ntohs(uh->len),
						       IPPROTO_UDP, 0);
	} else {
		skb->ip_summed = CHECKSUM_NONE;
	}

	skb->protocol = htons(ipv6 ? ETH_P_IPV6 : ETH_P_IP);
	skb->dev = ndev;

	sroce_stat_add(sdev->stats, SENT_PKTS, pkts);
	txb->skb = NULL;
	/*
	 * The netdev's MTU shrank under QPs of a larger path MTU: the frame
	 * is lost as on a link that cannot carry it (the sender recovers or
	 * gives up), never sent oversized.
	 */
	len = pkts > 1 ? skb_transport_offset(skb) + sizeof(struct udphdr) +
			 txb->unit_len : skb->len;
	if (unlikely(len > READ_ONCE(ndev->mtu))) {
		kfree_skb(skb);
		sroce_stat_inc(sdev->stats, TX_DROP);
		return 0;
	}
	/* the IP packets: what the PMA counts */
	len = skb->len + (pkts - 1) * (skb_transport_offset(skb) +
				       sizeof(struct udphdr));
	if (unlikely(sroce_link_is_own(ndev, skb, txb->dmac))) {
		err = sroce_tx_loopback(sdev, skb);
		if (!err)
			sroce_stat_xmit(sdev->stats, len, pkts, false);
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
	sroce_stat_xmit(sdev->stats, len, pkts,
			is_multicast_ether_addr(txb->dmac));
	return 0;
}
