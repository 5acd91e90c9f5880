// SPDX-License-Identifier: GPL-2.0
/*
 * sroce: received RoCEv2 datagrams: checked, counted, handed to a QP.
 * Contexts and references: rx.h.
 */
#include <linux/etherdevice.h>
#include <linux/if_vlan.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <net/ip.h>
#include <net/ipv6.h>

#include "compat.h"
#include "device.h"
#include "icrc.h"
#include "link.h"
#include "mcast.h"
#include "memops.h"
#include "qp.h"
#include "req.h"
#include "resp.h"
#include "rx.h"
#include "rxq.h"
#include "skbpos.h"
#include "stats.h"
#include "udp.h"

static struct sroce_dev *sroce_rx_dev(struct net_device *ndev)
{
	struct ib_device *ibdev;

	/*
	 * rdma_rxe registers under the same driver id; it never has devices
	 * while sroce has (netns.h), but a match is checked all the same.
	 */
	ibdev = ib_device_get_by_netdev(ndev, RDMA_DRIVER_RXE);
	if (!ibdev && is_vlan_dev(ndev))
		ibdev = ib_device_get_by_netdev(vlan_dev_real_dev(ndev),
						RDMA_DRIVER_RXE);
	if (ibdev && !sroce_is_sdev(ibdev)) {
		ib_device_put(ibdev);
		ibdev = NULL;
	}
	return ibdev ? to_sdev(ibdev) : NULL;
}

static bool sroce_rx_type_ok(const struct sroce_qp *qp, u32 flags)
{
	switch (qp->ibqp.qp_type) {
	case IB_QPT_RC:
		return flags & SROCE_OPF_RC;
	case IB_QPT_UC:
		return flags & SROCE_OPF_UC;
	case IB_QPT_UD:
	case IB_QPT_GSI:
		return flags & SROCE_OPF_UD;
	default:
		return false;
	}
}

/* Connected QPs take packets from their peer's address to ours only. */
static bool sroce_rx_addr_ok(const struct sroce_qp *qp,
			     const struct sroce_pkt *pkt)
{
	const struct sroce_path *path = &qp->path;

	if (qp->ibqp.qp_type != IB_QPT_RC && qp->ibqp.qp_type != IB_QPT_UC)
		return true;
	return !memcmp(pkt->sgid.raw, path->daddr.s6_addr, 16) &&
	       !memcmp(pkt->dgid.raw, path->saddr.s6_addr, 16);
}

/* Checks the transport headers and the ICRC. 0 or the counter to bump. */
/* The BTH's version and P_Key, and the lengths; sets pkt->paylen. */
static int sroce_rx_check_len(struct sroce_pkt *pkt,
			      const struct sroce_opinfo *info,
			      const struct sroce_bth *bth, unsigned int total)
{
	unsigned int pad = sroce_bth_pad(bth);

	if (sroce_bth_tver(bth) ||
	    (be16_to_cpu(bth->pkey) & 0x7fff) != 0x7fff)
		return SROCE_CNT_RX_DROP_BAD_HEADER;
	if (total < info->hdr_len + pad + SROCE_ICRC_SIZE)
		return SROCE_CNT_RX_DROP_SHORT;
	pkt->paylen = total - info->hdr_len - pad - SROCE_ICRC_SIZE;
	if (!(info->flags & SROCE_OPF_PAYLOAD) && (pkt->paylen || pad))
		return SROCE_CNT_RX_DROP_BAD_HEADER;
	return 0;
}

/*
 * The packet's ICRC, at @end - 4 in the skb, against @crc: the CRC so far
 * over its headers, to which the payload and pad at @pay_off are added.
 */
static bool sroce_rx_icrc_ok(const struct sroce_pkt *pkt, unsigned int pay_off,
			     unsigned int end, u32 crc)
{
	unsigned int at = end - SROCE_ICRC_SIZE;
	__le32 wire;

	crc = sroce_icrc_skb(pkt->skb, pkt->pos, pay_off, at - pay_off, crc);
	if (end <= skb_headlen(pkt->skb))
		wire = get_unaligned((__le32 *)(pkt->skb->data + at));
	else if (sroce_skb_copy(pkt->skb, pkt->pos, at, &wire, sizeof(wire)))
		return false;
	return le32_to_cpu(wire) == ~crc;
}

/* Fills @pkt from its checked headers; its payload at @pay_off. */
static void sroce_rx_fill(struct sroce_pkt *pkt,
			  const struct sroce_opinfo *info,
			  const struct sroce_bth *bth, unsigned int pay_off)
{
	pkt->op = info;
	pkt->hdr = (void *)bth;
	pkt->opcode = bth->opcode;
	pkt->psn = sroce_bth_psn(bth);
	pkt->qpn = sroce_bth_qpn(bth);
	pkt->ackreq = sroce_bth_ackreq(bth);
	pkt->se = sroce_bth_se(bth);
	pkt->pay_off = pay_off;
	pkt->dropped = false;
}

/*
 * The ICRC of a filled @pkt that ends at @end; @crc is over its headers.
 * An RC WRITE or SEND Middle or Last, or a READ response Middle, is let
 * through with its payload and pad still due (rx.h: @icrc_due): where it
 * continues the message under way, the responder or the completer CRCs
 * the payload as it copies it.
 */
static bool sroce_rx_icrc(struct sroce_pkt *pkt, unsigned int end, u32 crc)
{
	pkt->icrc = crc;
	pkt->icrc_due = pkt->opcode == SROCE_OP_WRITE_MIDDLE ||
			pkt->opcode == SROCE_OP_WRITE_LAST ||
			pkt->opcode == SROCE_OP_SEND_MIDDLE ||
			pkt->opcode == SROCE_OP_SEND_LAST ||
			pkt->opcode == SROCE_OP_READ_RESP_MIDDLE;
	return pkt->icrc_due || sroce_rx_icrc_ok(pkt, pkt->pay_off, end, crc);
}

static bool sroce_pkt_icrc_from(struct sroce_pkt *pkt, unsigned int off,
				u32 crc)
{
	unsigned int end = pkt->pay_off + pkt->paylen +
			   sroce_bth_pad(pkt->hdr) + SROCE_ICRC_SIZE;

	pkt->icrc_due = false;
	if (sroce_rx_icrc_ok(pkt, off, end, crc))
		return true;
	pkt->dropped = true;
	sroce_stat_inc(pkt->sdev->stats, RX_DROP_BAD_ICRC);
	return false;
}

/**
 * sroce_pkt_icrc_settle() - check the ICRC of @pkt if it is still due
 * @pkt: a packet from the checks (rx.h: @icrc_due).
 *
 * Returns true when the ICRC is good; false when it is bad (now or when it
 * was checked before): the drop is counted, and the packet must have no
 * effect.
 */
bool sroce_pkt_icrc_settle(struct sroce_pkt *pkt)
{
	if (!pkt->icrc_due)
		return !pkt->dropped;
	return sroce_pkt_icrc_from(pkt, pkt->pay_off, pkt->icrc);
}

/**
 * sroce_pkt_icrc_copied() - the ICRC of @pkt once its payload was copied
 * @pkt: a packet from the checks.
 * @err: the copy's result.
 * @crc: when @pkt's ICRC is due, @pkt->icrc with the payload folded in as
 *	it was copied (used only when @err is 0).
 *
 * A due ICRC whose whole payload was folded in gets the pad and is
 * compared; one whose copy failed is checked from the skb. Returns as
 * sroce_pkt_icrc_settle().
 */
bool sroce_pkt_icrc_copied(struct sroce_pkt *pkt, int err, u32 crc)
{
	if (!err && pkt->icrc_due)
		return sroce_pkt_icrc_from(pkt, pkt->pay_off + pkt->paylen,
					   crc);
	return sroce_pkt_icrc_settle(pkt);
}

static int sroce_rx_check(struct sroce_pkt *pkt)
{
	struct sk_buff *skb = pkt->skb;
	const struct sroce_opinfo *info;
	unsigned int hdr_off = sizeof(struct udphdr);
	struct sroce_bth *bth;
	int cnt;
	u32 crc;

	if (!pskb_may_pull(skb, hdr_off + sizeof(struct sroce_bth)))
		return SROCE_CNT_RX_DROP_SHORT;
	bth = (struct sroce_bth *)(skb->data + hdr_off);
	info = sroce_op(bth->opcode);
	if (!info->flags)
		return SROCE_CNT_RX_DROP_BAD_OPCODE;
	if (!pskb_may_pull(skb, hdr_off + info->hdr_len))
		return SROCE_CNT_RX_DROP_SHORT;
	bth = (struct sroce_bth *)(skb->data + hdr_off);
	cnt = sroce_rx_check_len(pkt, info, bth, skb->len - hdr_off);
	if (cnt)
		return cnt;
	if (!pkt->ipv6 && ip_hdr(skb)->ihl != 5)
		return SROCE_CNT_RX_DROP_BAD_HEADER;

	crc = sroce_icrc_headers(skb_network_header(skb), pkt->ipv6,
				 skb->data, bth, info->hdr_len);
	sroce_rx_fill(pkt, info, bth, hdr_off + info->hdr_len);
	if (!sroce_rx_icrc(pkt, skb->len, crc))
		return SROCE_CNT_RX_DROP_BAD_ICRC;
	return 0;
}

/* Transport headers of any opcode fit (BTH and AtomicETH are 40 bytes). */
#define SROCE_RX_HDR_MAX	64

/*
 * sroce_rx_check() for unit @k of a GSO skb, in place: @off bytes past the
 * UDP header (skb->data), @len bytes long. Its headers are copied into
 * @buf where they are not linear, and its ICRC is checked over the IP and
 * UDP headers segmentation would give it (its lengths; on IPv4 the ID @k
 * past the skb's).
 */
static int sroce_rx_check_unit(struct sroce_pkt *pkt, unsigned int k,
			       unsigned int off, unsigned int len, u8 *buf)
{
	struct sk_buff *skb = pkt->skb;
	const struct sroce_opinfo *info;
	const struct sroce_bth *bth;
	unsigned int n;
	int cnt;
	u32 crc;

	/* one read covers the longest headers: walking frags is dear */
	n = min_t(unsigned int, len, SROCE_RX_HDR_MAX);
	if (off + n <= skb_headlen(skb))
		bth = (const void *)skb->data + off;
	else if (!sroce_skb_copy(skb, pkt->pos, off, buf, n))
		bth = (const void *)buf;
	else
		bth = NULL;
	if (!bth || len < sizeof(*bth))
		return SROCE_CNT_RX_DROP_SHORT;
	info = sroce_op(bth->opcode);
	if (!info->flags || info->hdr_len > SROCE_RX_HDR_MAX)
		return SROCE_CNT_RX_DROP_BAD_OPCODE;
	if (len < info->hdr_len)
		return SROCE_CNT_RX_DROP_SHORT;
	cnt = sroce_rx_check_len(pkt, info, bth, len);
	if (cnt)
		return cnt;

	crc = sroce_icrc_unit_headers(skb_network_header(skb), pkt->ipv6,
				      udp_hdr(skb), k, len, bth, info->hdr_len);
	sroce_rx_fill(pkt, info, bth, off + info->hdr_len);
	if (!sroce_rx_icrc(pkt, off + len, crc))
		return SROCE_CNT_RX_DROP_BAD_ICRC;
	return 0;
}

static void sroce_rx_addrs(struct sroce_pkt *pkt)
{
	struct sk_buff *skb = pkt->skb;

	if (pkt->ipv6) {
		memcpy(pkt->sgid.raw, &ipv6_hdr(skb)->saddr, 16);
		memcpy(pkt->dgid.raw, &ipv6_hdr(skb)->daddr, 16);
	} else {
		ipv6_addr_set_v4mapped(ip_hdr(skb)->saddr,
				       (struct in6_addr *)pkt->sgid.raw);
		ipv6_addr_set_v4mapped(ip_hdr(skb)->daddr,
				       (struct in6_addr *)pkt->dgid.raw);
	}
	sroce_link_smac(skb, pkt->smac);
}

static void sroce_rx_count(struct sroce_pkt *pkt, struct sroce_qp *qp)
{
	struct sroce_dev *sdev = pkt->sdev;

	sroce_stat_inc(sdev->stats, RCVD_PKTS);
	sroce_stat_add(sdev->stats, RCVD_BYTES, pkt->paylen);
	sroce_stat_qp(&qp->stats, true, pkt->paylen);
}

/*
 * A checked packet for @qp (referenced by the caller): counted and handed
 * to the responder or the completer. Consumes the skb.
 */
static void sroce_rx_deliver(struct sroce_pkt *pkt, struct sroce_qp *qp)
{
	/* one whose ICRC is due counts once it turned out good */
	bool later = pkt->icrc_due;

	if (!later)
		sroce_rx_count(pkt, qp);
	if (pkt->op->flags & SROCE_OPF_RESPONSE)
		sroce_comp_rx(qp, pkt);
	else
		sroce_resp_rx(qp, pkt);
	if (later && !pkt->dropped)
		sroce_rx_count(pkt, qp);
	consume_skb(pkt->skb);
}

/**
 * sroce_rx() - a datagram to UDP port 4791
 * @skb: the packet, data at the UDP header (checksum already verified by
 *	the UDP layer).
 *
 * Softirq, under RCU. Always consumes @skb; returns 0.
 */
int sroce_rx(struct sk_buff *skb)
{
	struct sroce_pkt pkt = { .skb = skb };
	struct sroce_dev *sdev;
	struct sroce_ref *ref;
	struct sroce_qp *qp;
	int cnt;

	sdev = sroce_rx_dev(skb->dev);
	if (!sdev) {
		kfree_skb(skb);
		return 0;
	}
	/* pulled and trimmed below: it must be ours alone */
	skb = skb_share_check(skb, GFP_ATOMIC);
	if (!skb) {
		ib_device_put(&sdev->ibdev);
		return 0;
	}
	pkt.skb = skb;
	pkt.sdev = sdev;
	pkt.ipv6 = skb->protocol == htons(ETH_P_IPV6);
	/* the stack untagged it: a VLAN's frames come up through its netdev */
	pkt.vlan_id = is_vlan_dev(skb->dev) ? vlan_dev_vlan_id(skb->dev) :
					      0xffff;
	sroce_stat_rcv(sdev->stats, skb);

	/*
	 * One RoCE packet per datagram: the socket takes no GRO super-frames
	 * (the UDP layer segments them before the encap hook), so one here is
	 * a bug elsewhere; it is dropped, not read as one huge packet.
	 */
	cnt = SROCE_CNT_RX_DROP_BAD_HEADER;
	if (skb_is_gso(skb))
		goto drop;
	cnt = sroce_rx_check(&pkt);
	if (cnt)
		goto drop;

	sroce_rx_addrs(&pkt);
	if (pkt.qpn == IB_MULTICAST_QPN) {
		sroce_mcast_rx(&pkt);
		ib_device_put(&sdev->ibdev);
		return 0;
	}
	qp = sroce_qp_get(sdev, pkt.qpn, &ref);
	if (!qp) {
		cnt = SROCE_CNT_RX_DROP_NO_QP;
		goto drop;
	}
	if (!sroce_rx_type_ok(qp, pkt.op->flags) ||
	    !sroce_rx_addr_ok(qp, &pkt)) {
		sroce_qp_put(ref);
		cnt = SROCE_CNT_RX_DROP_BAD_HEADER;
		goto drop;
	}
	sroce_rx_deliver(&pkt, qp);
	sroce_qp_put(ref);
	ib_device_put(&sdev->ibdev);
	return 0;

drop:
	this_cpu_inc(sdev->stats->cnt[cnt]);
	kfree_skb(skb);
	ib_device_put(&sdev->ibdev);
	return 0;
}

/* --- the fast path: before the IP stack ---------------------------------- */

/*
 * An IPv4 frame that may be RoCEv2 for us: a plain header (no options, no
 * fragment) with a good checksum, UDP to port 4791 whose checksum needs no
 * verifying. Returns the IP header length, or 0 to leave it to the stack.
 */
static unsigned int sroce_fast_ip4(struct sk_buff *skb)
{
	const struct iphdr *ip4;
	const struct udphdr *uh;

	if (!pskb_may_pull(skb, sizeof(*ip4) + sizeof(*uh) +
			   sizeof(struct sroce_bth)))
		return 0;
	ip4 = ip_hdr(skb);
	if (ip4->version != 4 || ip4->ihl != 5 ||
	    ip4->protocol != IPPROTO_UDP || ip_is_fragment(ip4) ||
	    ntohs(ip4->tot_len) > skb->len ||
	    ntohs(ip4->tot_len) < sizeof(*ip4) + sizeof(*uh) ||
	    ip_fast_csum(ip4, ip4->ihl))
		return 0;
	uh = (const struct udphdr *)(ip4 + 1);
	if (uh->dest != htons(SROCE_UDP_PORT) ||
	    ntohs(uh->len) != ntohs(ip4->tot_len) - sizeof(*ip4))
		return 0;
	if (uh->check && skb->ip_summed != CHECKSUM_UNNECESSARY &&
	    skb->ip_summed != CHECKSUM_PARTIAL)
		return 0;
	if (pskb_trim_rcsum(skb, ntohs(ip4->tot_len)))
		return 0;
	return sizeof(*ip4);
}

/* The same for IPv6: no extension headers, and a checksum already good. */
static unsigned int sroce_fast_ip6(struct sk_buff *skb)
{
	const struct ipv6hdr *ip6;
	const struct udphdr *uh;

	if (!pskb_may_pull(skb, sizeof(*ip6) + sizeof(*uh) +
			   sizeof(struct sroce_bth)))
		return 0;
	ip6 = ipv6_hdr(skb);
	if (ip6->version != 6 || ip6->nexthdr != IPPROTO_UDP ||
	    sizeof(*ip6) + ntohs(ip6->payload_len) > skb->len)
		return 0;
	uh = (const struct udphdr *)(ip6 + 1);
	if (uh->dest != htons(SROCE_UDP_PORT) ||
	    ntohs(uh->len) != ntohs(ip6->payload_len) ||
	    (skb->ip_summed != CHECKSUM_UNNECESSARY &&
	     skb->ip_summed != CHECKSUM_PARTIAL))
		return 0;
	if (pskb_trim_rcsum(skb, sizeof(*ip6) + ntohs(ip6->payload_len)))
		return 0;
	return sizeof(*ip6);
}

/*
 * The frame's IP header length when it may be ours (unshared, its network
 * and transport headers set), else 0.
 */
static unsigned int sroce_rx_fast_l3(struct sk_buff **pskb)
{
	struct sk_buff *skb;
	unsigned int l3;

	/* a tap (AF_PACKET) may hold it too: pulls and trims need our own */
	skb = skb_share_check(*pskb, GFP_ATOMIC);
	*pskb = skb;
	if (!skb)
		return 0;
	if (skb->protocol == htons(ETH_P_IP))
		l3 = sroce_fast_ip4(skb);
	else if (skb->protocol == htons(ETH_P_IPV6))
		l3 = sroce_fast_ip6(skb);
	else
		l3 = 0;
	if (l3) {
		skb_reset_network_header(skb);
		skb_set_transport_header(skb, l3);
	}
	return l3;
}

static rx_handler_result_t sroce_rx_frame(struct sroce_dev *sdev,
					  struct sk_buff **pskb);

/*
 * One datagram for @qp (referenced by the caller), data at the UDP header:
 * checked and handed to @qp, or dropped and counted. Consumes the skb.
 */
static void sroce_rx_one(struct sroce_pkt *pkt, struct sroce_qp *qp)
{
	int cnt;

	cnt = sroce_rx_check(pkt);
	if (cnt || pkt->qpn != qp->ibqp.qp_num) {
		this_cpu_inc(pkt->sdev->stats->cnt[cnt ?: SROCE_CNT_RX_DROP_BAD_HEADER]);
		kfree_skb(pkt->skb);
	} else {
		sroce_rx_deliver(pkt, qp);
	}
}

/*
 * The units of a GSO skb for @qp (referenced by the caller), data at the
 * UDP header, each checked as a datagram of its own and handed to @qp (one
 * skb reference each), in order; a unit that fails costs that unit.
 * Consumes the skb.
 */
static void sroce_rx_units(struct sroce_pkt *pkt, struct sroce_qp *qp)
{
	struct sroce_dev *sdev = pkt->sdev;
	struct sk_buff *skb = pkt->skb;
	unsigned int gso, off, len, k, hdrs;
	struct sroce_rkey_hold hold = {};
	struct sroce_skb_pos pos = {};
	u8 buf[SROCE_RX_HDR_MAX];
	int cnt;

	pkt->pos = &pos;
	pkt->hold = &hold;
	gso = skb_shinfo(skb)->gso_size;
	hdrs = skb_network_header_len(skb) + sizeof(struct udphdr);
	for (k = 0, off = sizeof(struct udphdr); off < skb->len;
	     k++, off += len) {
		len = min(gso, skb->len - off);
		cnt = sroce_rx_check_unit(pkt, k, off, len, buf);
		if (!cnt && (pkt->qpn != qp->ibqp.qp_num ||
			     !sroce_rx_type_ok(qp, pkt->op->flags)))
			cnt = SROCE_CNT_RX_DROP_BAD_HEADER;
		if (cnt) {
			this_cpu_inc(sdev->stats->cnt[cnt]);
			continue;
		}
		skb_get(skb);	/* the QP consumes one reference per unit */
		sroce_rx_deliver(pkt, qp);
	}
	/* sroce_stat_rcv() counted one IP and UDP header: the wire had k */
	if (k > 1)
		sroce_stat_rcv_more(sdev->stats, (k - 1) * hdrs, k - 1);
	sroce_rkey_release(&hold);
	consume_skb(skb);
}

/*
 * The CPU whose backlog a packet @opcode for @qp goes to, or -1: responses
 * to the CPU the requester sends from while it has packets in flight there
 * (sroce_req_tx_cpu()), requests to the CPU the responder answers a large
 * READ on (sroce_resp_rx_cpu()).
 */
static int sroce_rx_steer_cpu(struct sroce_qp *qp, u8 opcode)
{
	if (sroce_op(opcode)->flags & SROCE_OPF_RESPONSE)
		return sroce_req_tx_cpu(qp);
	return sroce_resp_rx_cpu(qp);
}

/*
 * Where a GSO skb, data at the UDP header, whose first unit is @opcode, may
 * start @qp's backlog (rxq.h): where sroce_rx_steer_cpu() says. Else
 * another CPU when more of its message follows, so that a stream keeps two
 * CPUs busy; -1 (handled here unless the backlog is busy) when its last
 * unit ends a message, so that a lone message of a few units does not wait
 * for a work item on another CPU.
 */
static int sroce_rx_gso_cpu(struct sroce_qp *qp, u8 opcode,
			    const struct sk_buff *skb, unsigned int gso)
{
	unsigned int last;
	int cpu = sroce_rx_steer_cpu(qp, opcode);
	u8 *op;

	if (cpu >= 0)
		return cpu;
	if (skb->len <= sizeof(struct udphdr))
		return -1;
	/* the last unit's offset: below skb->len */
	last = (skb->len - sizeof(struct udphdr) - 1) / gso;
	op = skb_header_pointer(skb, sizeof(struct udphdr) + last * gso,
				sizeof(opcode), &opcode);
	if (!op || (sroce_op(*op)->flags & SROCE_OPF_LAST))
		return -1;
	return sroce_rxq_other_cpu();
}

/*
 * A UDP GSO skb to port 4791 with its checksums still to fill: a sender's
 * GSO run of RoCEv2 units that a veth handed over whole. When its first
 * unit is for a connected QP of ours, from its peer, the units are walked
 * in place, each checked as a datagram of its own would be and handed to
 * the QP (one skb reference each), in order; a unit that fails costs that
 * unit. Anything else is the UDP layer's to segment.
 */
static rx_handler_result_t sroce_rx_gso(struct sroce_dev *sdev,
					struct sk_buff **pskb)
{
	struct sroce_pkt pkt = { .sdev = sdev, .vlan_id = 0xffff };
	const struct sroce_bth *bth;
	struct sroce_bth bth0;
	unsigned int l3, gso;
	struct sroce_ref *ref;
	struct sroce_qp *qp;
	struct sk_buff *skb;
	u32 qpn;
	u8 op;

	skb = *pskb;
	gso = skb_shinfo(skb)->gso_size;
	if (!(skb_shinfo(skb)->gso_type & SKB_GSO_UDP_L4) || !gso ||
	    skb->ip_summed != CHECKSUM_PARTIAL)
		return RX_HANDLER_PASS;
	l3 = sroce_rx_fast_l3(pskb);
	skb = *pskb;
	if (!l3)
		return skb ? RX_HANDLER_PASS : RX_HANDLER_CONSUMED;
	if (sroce_link_looped(skb))
		return RX_HANDLER_PASS;
	bth = skb_header_pointer(skb, l3 + sizeof(struct udphdr),
				 sizeof(bth0), &bth0);
	if (!bth || (bth->opcode & SROCE_OP_TRANSPORT_MASK) == SROCE_OP_UD)
		return RX_HANDLER_PASS;
	qpn = sroce_bth_qpn(bth);
	op = bth->opcode;

	pkt.skb = skb;
	pkt.ipv6 = skb->protocol == htons(ETH_P_IPV6);
	sroce_rx_addrs(&pkt);
	qp = sroce_qp_get(sdev, qpn, &ref);
	if (!qp)
		return RX_HANDLER_PASS;
	if (!sroce_rx_addr_ok(qp, &pkt)) {
		sroce_qp_put(ref);
		return RX_HANDLER_PASS;
	}

	/* ours: from here on as if the UDP socket had handed it over */
	__skb_pull(skb, l3);
	sroce_stat_rcv(sdev->stats, skb);
	if (!sroce_rxq_take(qp, ref, skb, sroce_rx_gso_cpu(qp, op, skb, gso))) {
		sroce_rx_units(&pkt, qp);
		sroce_qp_put(ref);
	}
	return RX_HANDLER_CONSUMED;
}

/**
 * sroce_rx_handler() - the netdev's rx handler
 * @pskb: the frame, data at the network header.
 *
 * RoCEv2 packets of this device's connected (RC, UC) QPs, sent from their
 * peer's address to theirs, skip the IP stack: no route lookup, socket
 * lookup or encap hook per packet. Anything else, UD and the GSI QP
 * included, goes the normal way, to the UDP socket. Softirq, under RCU.
 */
rx_handler_result_t sroce_rx_handler(struct sk_buff **pskb)
{
	struct sk_buff *skb = *pskb;
	struct sroce_dev *sdev = rcu_dereference(skb->dev->rx_handler_data);

	if (skb->pkt_type != PACKET_HOST && skb->pkt_type != PACKET_LOOPBACK)
		return RX_HANDLER_PASS;
	/*
	 * Tagged for a VLAN that has no netdev here: not ours (the core drops
	 * it after us). Priority tags (VLAN 0, as PFC senders put) are.
	 */
	if (skb_vlan_tag_present(skb) && skb_vlan_tag_get_id(skb))
		return RX_HANDLER_PASS;
	if (skb_is_gso(skb))
		return sroce_rx_gso(sdev, pskb);
	return sroce_rx_frame(sdev, pskb);
}

/* One datagram, data at its network header: ours, or passed on. */
static rx_handler_result_t sroce_rx_frame(struct sroce_dev *sdev,
					  struct sk_buff **pskb)
{
	struct sroce_pkt pkt = { .sdev = sdev, .vlan_id = 0xffff };
	const struct sroce_bth *bth;
	struct sroce_ref *ref;
	struct sroce_qp *qp;
	struct sk_buff *skb;
	unsigned int l3;

	l3 = sroce_rx_fast_l3(pskb);
	skb = *pskb;
	if (!l3)
		return skb ? RX_HANDLER_PASS : RX_HANDLER_CONSUMED;
	/*
	 * Our own frame, looped back by sroce_tx_loopback() (two QPs of this
	 * device, UD and the GSI QP included): the IP stack would drop it
	 * for its local source address unless accept_local is set, so all of
	 * it takes the socket's path from here.
	 */
	if (sroce_link_looped(skb)) {
		__skb_pull(skb, l3);
		sroce_rx(skb);
		return RX_HANDLER_CONSUMED;
	}
	bth = (const void *)skb->data + l3 + sizeof(struct udphdr);
	if ((bth->opcode & SROCE_OP_TRANSPORT_MASK) == SROCE_OP_UD)
		return RX_HANDLER_PASS;

	pkt.skb = skb;
	pkt.ipv6 = skb->protocol == htons(ETH_P_IPV6);
	sroce_rx_addrs(&pkt);
	qp = sroce_qp_get(sdev, sroce_bth_qpn(bth), &ref);
	if (!qp)
		return RX_HANDLER_PASS;
	if (!sroce_rx_type_ok(qp, sroce_op(bth->opcode)->flags) ||
	    !sroce_rx_addr_ok(qp, &pkt)) {
		sroce_qp_put(ref);
		return RX_HANDLER_PASS;
	}

	/* ours: from here on as if the UDP socket had handed it over */
	__skb_pull(skb, l3);
	sroce_stat_rcv(sdev->stats, skb);
	if (!sroce_rxq_take(qp, ref, skb, sroce_rx_steer_cpu(qp, bth->opcode))) {
		sroce_rx_one(&pkt, qp);
		sroce_qp_put(ref);
	}
	return RX_HANDLER_CONSUMED;
}

/**
 * sroce_rx_queued() - an skb from @qp's backlog (rxq.h)
 * @qp: the QP it was queued for, referenced by the backlog.
 * @skb: a GSO skb or a single datagram, data at the UDP header.
 *
 * Handled as the rx handler would have: BHs disabled, under RCU.
 * Consumes @skb.
 */
void sroce_rx_queued(struct sroce_qp *qp, struct sk_buff *skb)
{
	struct sroce_pkt pkt = {
		.sdev = sroce_qp_dev(qp),
		.skb = skb,
		.vlan_id = 0xffff,
		.ipv6 = skb->protocol == htons(ETH_P_IPV6),
	};

	sroce_rx_addrs(&pkt);
	if (skb_is_gso(skb))
		sroce_rx_units(&pkt, qp);
	else
		sroce_rx_one(&pkt, qp);
}
