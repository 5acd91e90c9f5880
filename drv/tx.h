/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sroce: building and sending one RoCEv2 packet.
 *
 * sroce builds the whole frame (Ethernet, IPv4 or IPv6, UDP, the transport
 * headers, the payload, pad and ICRC) and hands it to dev_queue_xmit() on
 * the device's own netdev, with the next hop's MAC that ib_core resolved
 * into the address vector: an RDMA port sends out of its own port, as a
 * RoCE NIC does, whatever the routing table says about the destination.
 *
 * Who calls what, from which context (any of them, softirq included; never
 * sleeps, allocates with GFP_ATOMIC):
 *  - sroce_path_from_av(), sroce_path_from_rxe_av(): modify_qp (process
 *    context) and the UD requester, to fill a struct sroce_path.
 *  - sroce_tx_begin() → fill the transport headers → sroce_tx_seal() →
 *    copy the payload, folding it into txb->crc → sroce_tx_xmit(): the
 *    requester, responder and completer, under their QP lock.
 *    For an RC request from user memory: sroce_tx_begin_zcopy() → headers
 *    → sroce_tx_seal() → sroce_txb_add_page() per piece → sroce_tx_xmit().
 *    A READ response builds the same way, its payload copied into a page
 *    fragment of its own (sroce_txb_add_frag()).
 *  - sroce_tx_abort(): instead of sroce_tx_xmit() when the payload copy
 *    failed.
 *  - GSO (zero-copy RC requests, Documentation/datapath.rst): after the
 *    first unit is built, sroce_tx_gso_begin(); then per further unit
 *    sroce_tx_append() → headers → sroce_tx_seal() → sroce_txb_add_page()
 *    per piece (sroce_tx_unappend() if that fails); sroce_tx_xmit() sends
 *    them all as one UDP GSO skb.
 */
#ifndef _SROCE_TX_H
#define _SROCE_TX_H

#include <linux/if_ether.h>
#include <linux/in6.h>
#include <linux/skbuff.h>
#include <rdma/ib_verbs.h>
#include <rdma/rdma_user_rxe.h>

struct sroce_dev;
struct sroce_av;

/**
 * struct sroce_path - where a QP's (or a UD WQE's) packets go
 * @dmac: the next hop's MAC, from the address vector.
 * @vlan_id: the VLAN of the source GID's netdev (a VLAN on the device's
 *	netdev), else 0xffff: none.
 * @ipv6: IPv6 addresses; else IPv4 (the GIDs are IPv4-mapped).
 * @tclass: IPv4 TOS / IPv6 traffic class.
 * @hop_limit: TTL / hop limit.
 * @flow_label: IPv6 flow label.
 * @sport: UDP source port, per QP for ECMP/RSS entropy.
 * @saddr/@daddr: the source and destination addresses; IPv4 ones in the
 *	last four bytes (s6_addr32[3]).
 */
struct sroce_path {
	u8 dmac[ETH_ALEN];
	u16 vlan_id;
	bool ipv6;
	u8 tclass;
	u8 hop_limit;
	u32 flow_label;
	__be16 sport;
	struct in6_addr saddr;
	struct in6_addr daddr;
};

/**
 * struct sroce_txb - a packet under construction
 * @skb: the packet; headers up to the payload are in place.
 * @hdr: the transport headers (BTH first), zeroed, for the caller to fill.
 * @payload: where @paylen bytes of payload go; NULL for a zero-copy frame.
 * @paylen: payload bytes, without pad.
 * @crc: the running ICRC; sroce_tx_seal() covers the headers, the payload
 *	copy must fold its bytes in (crc32_le), in order.
 * @dmac: the next hop, from the path.
 * @vlan_id: the VLAN, from the path.
 * @zcopy: the payload is attached by sroce_txb_add_page(), not copied.
 * @trailer: zero-copy frames: room for pad and ICRC next to the head, in
 *	its page fragment; NULL when the head is not one.
 * @units: GSO: the units before the one being built (0: a plain frame).
 * @unit_len: GSO: the UDP payload of the first unit, the GSO size.
 * @gso: more units may join (sroce_tx_append()).
 * @closed: the last unit's pad and ICRC are written already.
 * @undo: what sroce_tx_unappend() restores.
 */
struct sroce_txb {
	struct sk_buff *skb;
	u8 dmac[ETH_ALEN];
	u16 vlan_id;
	void *hdr;
	void *payload;
	u32 hdr_len;
	u32 paylen;
	u32 crc;
	bool zcopy;
	u8 *trailer;
	u16 units;
	u16 unit_len;
	bool gso;
	bool closed;
	struct {
		u8 nr_frags;
		u32 len;
		u32 truesize;
		u32 hdr_len;
	} undo;
};

void sroce_path_from_av(struct sroce_path *path, const struct sroce_av *av,
			u32 qpn);
int sroce_path_from_rxe_av(struct sroce_path *path, const struct rxe_av *av,
			   u32 qpn);

int sroce_tx_begin(struct sroce_dev *sdev, const struct sroce_path *path,
		   u32 hdr_len, u32 paylen, struct sroce_txb *txb);
int sroce_tx_begin_zcopy(struct sroce_dev *sdev,
			 const struct sroce_path *path, u32 hdr_len,
			 u32 paylen, struct sroce_txb *txb);
int sroce_txb_add_page(struct sroce_txb *txb, struct page *page,
		       unsigned int off, u32 n);
int sroce_txb_add_frag(struct sroce_txb *txb, void *va, u32 n);
void sroce_tx_seal(struct sroce_txb *txb);
bool sroce_tx_gso_path(struct sroce_dev *sdev, const struct sroce_path *path);
void sroce_tx_gso_begin(struct sroce_dev *sdev, struct sroce_txb *txb,
			unsigned int max_pieces);
int sroce_tx_append(struct sroce_txb *txb, u32 hdr_len, u32 paylen,
		    unsigned int max_pieces);
void sroce_tx_unappend(struct sroce_txb *txb);
int sroce_tx_xmit(struct sroce_dev *sdev, struct sroce_txb *txb);
void sroce_tx_abort(struct sroce_txb *txb);

#endif /* _SROCE_TX_H */
