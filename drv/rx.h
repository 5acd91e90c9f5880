/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sroce: the receive path, from the UDP socket's encap hook to the QP.
 *
 * sroce_rx() runs in softirq, under RCU, for every datagram to UDP port
 * 4791. It finds the sroce device of the receiving netdev, checks the
 * headers and the ICRC (dropping and counting by reason what fails; an RC
 * WRITE or SEND Middle or Last, or a READ response Middle, leaves its
 * payload's part to the responder or the completer, which CRCs it as it
 * copies it: @icrc_due below), finds the QP by number
 * through the RCU table (a reference held until the packet is done) and
 * hands the packet to the responder (requests) or the completer
 * (responses). The skb is never linearized: headers are pulled,
 * the payload is copied out into its destination (skbpos.h).
 * A shared skb (a tap holds it too) is unshared with skb_share_check()
 * before anything pulls or trims it. A GSO/GRO super-frame is never read as
 * one packet: the handler walks a sender's UDP GSO run to a connected QP
 * unit by unit in place, each checked as a datagram of its own, and leaves
 * any other to the UDP layer, which segments it before the socket's encap
 * hook; sroce_rx() drops one it should never see.
 *
 * sroce_rx_handler() is the netdev's rx handler (registered by newlink,
 * before the device is registered, when the netdev has none): packets of
 * connected QPs, from their peer to them, go from there straight to the
 * same checks and the QP, before the IP stack. Softirq, under RCU; the
 * device outlives the handler, which is unregistered (with a grace period)
 * before dealloc_driver tears down.
 */
#ifndef _SROCE_RX_H
#define _SROCE_RX_H

#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <rdma/ib_verbs.h>

#include "wire.h"

struct sroce_dev;
struct sroce_qp;
struct sroce_rkey_hold;
struct sroce_skb_pos;

/**
 * struct sroce_pkt - a received packet, checked
 * @sdev: the device it arrived on.
 * @skb: the packet; data starts at the UDP header.
 * @op: its opcode's table entry; @hdr the BTH (pulled with the rest of the
 *	transport headers).
 * @pay_off: skb offset of the payload; @paylen its bytes, without pad.
 * @ipv6: IPv6 or IPv4; @sgid, @dgid the addresses as GIDs.
 * @smac: the sender's MAC.
 * @pos: a cursor for reading @skb front to back (skbpos.h), or NULL: the
 *	units of a GSO skb share one.
 * @icrc_due: the ICRC is checked over the headers only; @icrc is the CRC
 *	so far. Set for an RC WRITE or SEND Middle or Last and a READ
 *	response Middle alone: one that continues the message under way (the
 *	expected PSN, and every check of the responder or completer passed)
 *	is copied to where that message's bytes go (the MR of the WRITE, the
 *	receive WQE of the SEND, the SGEs of the READ) with the payload CRCed
 *	in the same pass, then sroce_pkt_icrc_copied(); whatever else is done
 *	with it waits for sroce_pkt_icrc_settle(). A bad one then has no
 *	effect but to have written bytes of the message under way, which its
 *	good retransmission writes again.
 * @dropped: its ICRC turned out bad (counted there).
 * @hold: the MR the units of a GSO skb share for the WRITE they continue
 *	(memops.h), released when the walk ends; NULL for a lone packet.
 */
struct sroce_pkt {
	struct sroce_dev *sdev;
	struct sk_buff *skb;
	const struct sroce_opinfo *op;
	void *hdr;
	u8 opcode;
	bool ackreq;
	bool se;
	u32 psn;
	u32 qpn;
	u32 pay_off;
	u32 paylen;
	bool ipv6;
	union ib_gid sgid;
	union ib_gid dgid;
	u8 smac[ETH_ALEN];
	u16 vlan_id;
	struct sroce_skb_pos *pos;
	u32 icrc;
	bool icrc_due;
	bool dropped;
	struct sroce_rkey_hold *hold;
};

static inline void *sroce_pkt_ext(const struct sroce_pkt *pkt, u8 off)
{
	return pkt->hdr + off;
}

/* The immediate data of a packet whose opcode carries it. */
static inline __be32 sroce_pkt_imm(const struct sroce_pkt *pkt)
{
	return ((const struct sroce_immdt *)
		sroce_pkt_ext(pkt, pkt->op->off_imm))->imm;
}

int sroce_rx(struct sk_buff *skb);
rx_handler_result_t sroce_rx_handler(struct sk_buff **pskb);
void sroce_rx_queued(struct sroce_qp *qp, struct sk_buff *skb);
bool sroce_pkt_icrc_settle(struct sroce_pkt *pkt);
bool sroce_pkt_icrc_copied(struct sroce_pkt *pkt, int err, u32 crc);

#endif /* _SROCE_RX_H */
