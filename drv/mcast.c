// SPDX-License-Identifier: GPL-2.0
/*
 * sroce: UD multicast: groups, attach and detach, the join on the netdev,
 * and delivery of a multicast packet to every QP of its group.
 * Contexts, locking and references: mcast.h.
 */
#include <linux/etherdevice.h>
#include <linux/hashtable.h>
#include <linux/igmp.h>
#include <linux/inetdevice.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/jhash.h>
#include <linux/rtnetlink.h>
#include <linux/slab.h>
#include <net/addrconf.h>
#include <net/ipv6.h>
#include <rdma/ib_addr.h>

#include "mcast.h"
#include "qp.h"
#include "resp.h"
#include "rx.h"
#include "stats.h"

/**
 * struct sroce_mcast_members - the QPs attached to a group, by QPN
 * @rcu: frees a replaced list after the packet path is done with it.
 * @n: how many, at most SROCE_MAX_MCAST_QP_ATTACH.
 * @qpn: the QPNs, in attach order.
 */
struct sroce_mcast_members {
	struct rcu_head rcu;
	unsigned int n;
	u32 qpn[];
};

/**
 * struct sroce_mcast_grp - one multicast group of one device
 * @node: in sroce_mcast_groups, under sroce_mcast_lock; RCU for readers.
 * @rcu: frees the group after the packet path is done with it.
 * @sdev: the device; it outlives the group, whose members are its QPs.
 * @gid: the multicast GID (an IPv4-mapped or IPv6 multicast address).
 * @members: never empty while the group is in the table; replaced under
 *	sroce_mcast_lock, read under RCU.
 */
struct sroce_mcast_grp {
	struct hlist_node node;
	struct rcu_head rcu;
	struct sroce_dev *sdev;
	union ib_gid gid;
	struct sroce_mcast_members __rcu *members;
};

/* Serializes attach, detach and the detach of a destroyed QP. */
static DEFINE_MUTEX(sroce_mcast_lock);
/* every device's groups, keyed by device and GID */
static DEFINE_HASHTABLE(sroce_mcast_groups, 8);

static u32 sroce_mcast_hash(const struct sroce_dev *sdev,
			    const union ib_gid *gid)
{
	return jhash(gid->raw, sizeof(gid->raw), hash_ptr(sdev, 32));
}

/* Under RCU or sroce_mcast_lock. */
static struct sroce_mcast_grp *sroce_mcast_find(const struct sroce_dev *sdev,
						const union ib_gid *gid)
{
	struct sroce_mcast_grp *grp;

	hash_for_each_possible_rcu(sroce_mcast_groups, grp, node,
				   sroce_mcast_hash(sdev, gid),
				   lockdep_is_held(&sroce_mcast_lock))
		if (grp->sdev == sdev && !memcmp(grp->gid.raw, gid->raw, 16))
			return grp;
	return NULL;
}

static struct sroce_mcast_members *
sroce_mcast_members(struct sroce_mcast_grp *grp)
{
	return rcu_dereference_protected(grp->members,
					 lockdep_is_held(&sroce_mcast_lock));
}

/* How many groups @sdev has, and how many attachments in all. */
static void sroce_mcast_count(const struct sroce_dev *sdev,
			      unsigned int *groups, unsigned int *attached)
{
	struct sroce_mcast_grp *grp;
	unsigned int bkt;

	lockdep_assert_held(&sroce_mcast_lock);
	*groups = 0;
	*attached = 0;
	hash_for_each(sroce_mcast_groups, bkt, grp, node) {
		if (grp->sdev != sdev)
			continue;
		(*groups)++;
		*attached += sroce_mcast_members(grp)->n;
	}
}

/*
 * The IP-level join (or leave) of @gid's address on @ndev: IGMP for an
 * IPv4-mapped GID, MLD for an IPv6 one. It puts the group's link-layer
 * address into the netdev's filter (so the NIC takes the frames), makes the
 * IP stack accept datagrams to the group for sroce's UDP socket, and tells
 * the switches. The IP layer counts its users, so an rdma_cm join of the
 * same address (cma does the IGMP join itself) and ours stack.
 */
static int sroce_mcast_ip_join(struct net_device *ndev,
			       const union ib_gid *gid, bool join)
{
	const struct in6_addr *addr = (const struct in6_addr *)gid->raw;
	struct in_device *in_dev;
	int err = 0;

	/* both families' lists of groups of a netdev change under RTNL */
	rtnl_lock();
	if (!ipv6_addr_v4mapped(addr)) {
		err = join ? ipv6_dev_mc_inc(ndev, addr) :
			     ipv6_dev_mc_dec(ndev, addr);
		goto out_unlock;
	}
	in_dev = __in_dev_get_rtnl(ndev);
	if (!in_dev)
		err = -ENODEV;
	else if (join)
		ip_mc_inc_group(in_dev, addr->s6_addr32[3]);
	else
		ip_mc_dec_group(in_dev, addr->s6_addr32[3]);
out_unlock:
	rtnl_unlock();
	return err;
}

static struct sroce_mcast_members *sroce_mcast_members_alloc(unsigned int n)
{
	struct sroce_mcast_members *m;

	m = kzalloc(struct_size(m, qpn, n), GFP_KERNEL);
	if (m)
		m->n = n;
	return m;
}

/* A new group with @qpn as its only member, joined on the netdev. */
static int sroce_mcast_grp_create(struct sroce_dev *sdev,
				  const union ib_gid *gid, u32 qpn)
{
	struct sroce_mcast_members *m;
	struct sroce_mcast_grp *grp;
	unsigned int groups, attached;
	int err;

	lockdep_assert_held(&sroce_mcast_lock);
	sroce_mcast_count(sdev, &groups, &attached);
	if (groups >= SROCE_MAX_MCAST_GRP ||
	    attached >= SROCE_MAX_TOTAL_MCAST_QP_ATTACH)
		return -ENOMEM;

	grp = kzalloc(sizeof(*grp), GFP_KERNEL);
	if (!grp)
		return -ENOMEM;
	m = sroce_mcast_members_alloc(1);
	if (!m) {
		err = -ENOMEM;
		goto err_free_grp;
	}
	m->qpn[0] = qpn;
	grp->sdev = sdev;
	grp->gid = *gid;
	RCU_INIT_POINTER(grp->members, m);

	err = sroce_mcast_ip_join(sdev->ndev, gid, true);
	if (err)
		goto err_free_members;
	hash_add_rcu(sroce_mcast_groups, &grp->node,
		     sroce_mcast_hash(sdev, gid));
	return 0;

err_free_members:
	kfree(m);
err_free_grp:
	kfree(grp);
	return err;
}

static int sroce_mcast_add_member(struct sroce_mcast_grp *grp, u32 qpn)
{
	struct sroce_mcast_members *old = sroce_mcast_members(grp), *m;
	unsigned int groups, attached, i;

	for (i = 0; i < old->n; i++)
		if (old->qpn[i] == qpn)
			return -EEXIST;
	if (old->n >= SROCE_MAX_MCAST_QP_ATTACH)
		return -ENOMEM;
	sroce_mcast_count(grp->sdev, &groups, &attached);
	if (attached >= SROCE_MAX_TOTAL_MCAST_QP_ATTACH)
		return -ENOMEM;

	m = sroce_mcast_members_alloc(old->n + 1);
	if (!m)
		return -ENOMEM;
	memcpy(m->qpn, old->qpn, old->n * sizeof(old->qpn[0]));
	m->qpn[old->n] = qpn;
	rcu_assign_pointer(grp->members, m);
	kfree_rcu(old, rcu);
	return 0;
}

/*
 * Takes @qpn out of @grp; the last member out frees the group and leaves
 * the group on the netdev. The caller waits for a grace period before it
 * returns, so no packet is delivered to @qpn through @grp afterwards.
 * -ENOENT when @qpn is not a member.
 */
static int sroce_mcast_del_member(struct sroce_mcast_grp *grp, u32 qpn)
{
	struct sroce_mcast_members *old = sroce_mcast_members(grp), *m;
	unsigned int i, j;

	for (i = 0; i < old->n; i++)
		if (old->qpn[i] == qpn)
			break;
	if (i == old->n)
		return -ENOENT;

	if (old->n == 1) {
		hash_del_rcu(&grp->node);
		sroce_mcast_ip_join(grp->sdev->ndev, &grp->gid, false);
		kfree_rcu(old, rcu);
		kfree_rcu(grp, rcu);
		return 0;
	}
	/* a detach cannot fail for want of a few bytes */
	m = kzalloc(struct_size(m, qpn, old->n - 1), GFP_KERNEL | __GFP_NOFAIL);
	m->n = old->n - 1;
	for (i = 0, j = 0; i < old->n; i++)
		if (old->qpn[i] != qpn)
			m->qpn[j++] = old->qpn[i];
	rcu_assign_pointer(grp->members, m);
	kfree_rcu(old, rcu);
	return 0;
}

int sroce_attach_mcast(struct ib_qp *ibqp, union ib_gid *gid, u16 lid)
{
	struct sroce_dev *sdev = to_sdev(ibqp->device);
	struct sroce_mcast_grp *grp;
	int err;

	/* core checked both; the packet path relies on them */
	if (ibqp->qp_type != IB_QPT_UD ||
	    !rdma_is_multicast_addr((struct in6_addr *)gid->raw))
		return -EINVAL;

	mutex_lock(&sroce_mcast_lock);
	grp = sroce_mcast_find(sdev, gid);
	if (grp)
		err = sroce_mcast_add_member(grp, ibqp->qp_num);
	else
		err = sroce_mcast_grp_create(sdev, gid, ibqp->qp_num);
	mutex_unlock(&sroce_mcast_lock);
	return err;
}

int sroce_detach_mcast(struct ib_qp *ibqp, union ib_gid *gid, u16 lid)
{
	struct sroce_dev *sdev = to_sdev(ibqp->device);
	struct sroce_mcast_grp *grp;
	int err = -EINVAL;

	mutex_lock(&sroce_mcast_lock);
	grp = sroce_mcast_find(sdev, gid);
	if (grp && !sroce_mcast_del_member(grp, ibqp->qp_num))
		err = 0;
	mutex_unlock(&sroce_mcast_lock);
	/* from here on no packet reaches the QP through this group */
	if (!err)
		synchronize_rcu();
	return err;
}

void sroce_mcast_qp_destroy(struct sroce_qp *qp)
{
	struct sroce_dev *sdev = sroce_qp_dev(qp);
	struct sroce_mcast_grp *grp;
	struct hlist_node *tmp;
	unsigned int bkt, left = 0;

	if (qp->ibqp.qp_type != IB_QPT_UD)
		return;
	mutex_lock(&sroce_mcast_lock);
	hash_for_each_safe(sroce_mcast_groups, bkt, tmp, grp, node)
		if (grp->sdev == sdev &&
		    !sroce_mcast_del_member(grp, qp->ibqp.qp_num))
			left++;
	mutex_unlock(&sroce_mcast_lock);
	if (left) {
		dev_warn_ratelimited(&sdev->ibdev.dev,
				     "QP %u destroyed while attached to %u multicast groups\n",
				     qp->ibqp.qp_num, left);
		/* its QPN may be reused: no reader may still hold a list */
		synchronize_rcu();
	}
}

/**
 * sroce_mcast_rx() - a packet to the multicast QPN
 * @pkt: checked (headers, ICRC); its BTH names IB_MULTICAST_QPN.
 *
 * Every UD QP of this device attached to the packet's destination GID gets
 * it, each checking its own Q_Key as for a unicast datagram; the responder
 * only reads the skb, so one skb serves them all. At most
 * SROCE_MAX_MCAST_QP_ATTACH QPs per packet. Softirq, under RCU. Consumes
 * the skb.
 */
void sroce_mcast_rx(struct sroce_pkt *pkt)
{
	struct sroce_dev *sdev = pkt->sdev;
	const struct sroce_mcast_members *m;
	struct sroce_mcast_grp *grp;
	struct sroce_ref *ref;
	struct sroce_qp *qp;
	unsigned int i, n;
	int cnt;

	cnt = SROCE_CNT_RX_DROP_BAD_HEADER;
	if (!(pkt->op->flags & SROCE_OPF_UD) ||
	    !rdma_is_multicast_addr((struct in6_addr *)pkt->dgid.raw))
		goto drop;
	cnt = SROCE_CNT_RX_DROP_NO_QP;
	grp = sroce_mcast_find(sdev, &pkt->dgid);
	if (!grp)
		goto drop;
	m = rcu_dereference(grp->members);
	n = min_t(unsigned int, m->n, SROCE_MAX_MCAST_QP_ATTACH);

	sroce_stat_inc(sdev->stats, RCVD_PKTS);
	sroce_stat_add(sdev->stats, RCVD_BYTES, pkt->paylen);
	for (i = 0; i < n; i++) {
		qp = sroce_qp_get(sdev, m->qpn[i], &ref);
		if (!qp)
			continue;
		if (qp->ibqp.qp_type == IB_QPT_UD)
			sroce_resp_rx(qp, pkt);
		sroce_qp_put(ref);
	}
	consume_skb(pkt->skb);
	return;

drop:
	this_cpu_inc(sdev->stats->cnt[cnt]);
	kfree_skb(pkt->skb);
}

/**
 * sroce_mcast_loopback() - our own QPs' copy of a multicast frame we send
 * @sdev: the sending device.
 * @skb: the frame, complete from the Ethernet header on, about to go to
 *	the netdev; not consumed.
 *
 * A frame handed to dev_queue_xmit() never comes back to its own netdev's
 * receive path (the IP stack's multicast loop is for what it routes), yet
 * an HCA delivers a multicast it sends to its own QPs attached to the group
 * too, the sender's included, and rdma_cm users (two IDs of one device in
 * one group) rely on it. When this device has the group, a clone of the
 * frame is received on the netdev through netif_rx(), later, from the
 * backlog softirq, as sroce_tx_loopback() does for unicast: the rx handler
 * recognises our source MAC and hands it to sroce_rx(). Any context.
 */
void sroce_mcast_loopback(struct sroce_dev *sdev, struct sk_buff *skb)
{
	union ib_gid dgid;
	struct sk_buff *copy;
	bool member;

	if (ip_hdr(skb)->version == 6)
		memcpy(dgid.raw, &ipv6_hdr(skb)->daddr, sizeof(dgid.raw));
	else
		ipv6_addr_set_v4mapped(ip_hdr(skb)->daddr,
				       (struct in6_addr *)dgid.raw);
	rcu_read_lock();
	member = sroce_mcast_find(sdev, &dgid);
	rcu_read_unlock();
	if (!member)
		return;

	copy = skb_clone(skb, GFP_ATOMIC);
	if (!copy) {
		sroce_stat_inc(sdev->stats, TX_DROP);
		return;
	}
	copy->protocol = eth_type_trans(copy, sdev->ndev);
	/* a frame of ours for us: the rx handler takes PACKET_HOST only */
	copy->pkt_type = PACKET_HOST;
	if (copy->ip_summed == CHECKSUM_PARTIAL)
		copy->ip_summed = CHECKSUM_UNNECESSARY;
	if (netif_rx(copy) != NET_RX_SUCCESS)
		sroce_stat_inc(sdev->stats, TX_DROP);
}
