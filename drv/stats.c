// SPDX-License-Identifier: GPL-2.0
/*
 * sroce: per-device counters. Per-CPU so that the packet path counts
 * without shared cache lines; summed when `rdma statistic` asks.
 */
#include <linux/idr.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/slab.h>
#include <rdma/rdma_counter.h>

#include "device.h"
#include "qp.h"
#include "stats.h"

static const struct rdma_stat_desc sroce_counter_descs[] = {
	[SROCE_CNT_SENT_PKTS].name = "sent_pkts",
	[SROCE_CNT_RCVD_PKTS].name = "rcvd_pkts",
	[SROCE_CNT_DUP_REQ].name = "duplicate_request",
	[SROCE_CNT_OUT_OF_SEQ_REQ].name = "out_of_seq_request",
	[SROCE_CNT_RCV_RNR_ERR].name = "rcvd_rnr_err",
	[SROCE_CNT_SND_RNR_ERR].name = "send_rnr_err",
	[SROCE_CNT_RCV_SEQ_ERR].name = "rcvd_seq_err",
	[SROCE_CNT_ACK_DEFERRED].name = "ack_deferred",
	[SROCE_CNT_RETRY_EXCEEDED_ERR].name = "retry_exceeded_err",
	[SROCE_CNT_RNR_RETRY_EXCEEDED_ERR].name = "retry_rnr_exceeded_err",
	[SROCE_CNT_COMP_RETRY].name = "completer_retry_err",
	[SROCE_CNT_SEND_ERR].name = "send_err",
	[SROCE_CNT_LINK_DOWNED].name = "link_downed",
	[SROCE_CNT_RDMA_SEND].name = "rdma_sends",
	[SROCE_CNT_RDMA_RECV].name = "rdma_recvs",
	[SROCE_CNT_SENT_BYTES].name = "sent_bytes",
	[SROCE_CNT_RCVD_BYTES].name = "rcvd_bytes",
	[SROCE_CNT_RETRANSMITS].name = "retransmits",
	[SROCE_CNT_NAKS_SENT].name = "naks_sent",
	[SROCE_CNT_NAKS_RCVD].name = "naks_rcvd",
	[SROCE_CNT_RX_DROP_SHORT].name = "rx_drop_short",
	[SROCE_CNT_RX_DROP_BAD_ICRC].name = "rx_drop_bad_icrc",
	[SROCE_CNT_RX_DROP_BAD_HEADER].name = "rx_drop_bad_header",
	[SROCE_CNT_RX_DROP_BAD_OPCODE].name = "rx_drop_bad_opcode",
	[SROCE_CNT_RX_DROP_NO_QP].name = "rx_drop_no_qp",
	[SROCE_CNT_RX_DROP_QP_STATE].name = "rx_drop_qp_state",
	[SROCE_CNT_TX_DROP].name = "tx_drop",
	/* a UD or UC message the responder could not place (too long, bad SGE) */
	[SROCE_CNT_RX_DROP_MSG].name = "rx_drop_msg",
	/* a response that answers nothing outstanding: stale or forged */
	[SROCE_CNT_RX_DROP_STALE_RESP].name = "rx_drop_stale_resp",
	/* a request the QP's access flags or max_dest_rd_atomic refuse */
	[SROCE_CNT_RX_DROP_NO_ACCESS].name = "rx_drop_no_access",
	/* request packets sent again (retransmits counts the go-backs) */
	[SROCE_CNT_RETRANSMITTED_PKTS].name = "retransmitted_pkts",
	/* skbs queued on a QP's backlog for another CPU (rxq.c) */
	[SROCE_CNT_RX_DEFERRED].name = "rx_deferred",
	/* skbs dropped because that backlog was full */
	[SROCE_CNT_RX_DROP_BACKLOG].name = "rx_drop_backlog",
};

int sroce_stats_init(struct sroce_stats __percpu **stats)
{
	BUILD_BUG_ON(ARRAY_SIZE(sroce_counter_descs) != SROCE_NUM_COUNTERS);
	*stats = alloc_percpu(struct sroce_stats);
	return *stats ? 0 : -ENOMEM;
}

void sroce_stats_fini(struct sroce_stats __percpu *stats)
{
	free_percpu(stats);
}

struct rdma_hw_stats *sroce_alloc_hw_port_stats(struct ib_device *ibdev,
						u32 port)
{
	return rdma_alloc_hw_stats_struct(sroce_counter_descs,
					  SROCE_NUM_COUNTERS,
					  RDMA_HW_STATS_DEFAULT_LIFESPAN);
}

/* The port counter each per-QP counter is a part of. */
static const unsigned int sroce_qpc_port_index[SROCE_QPC_NUM] = {
	[SROCE_QPC_SENT_PKTS] = SROCE_CNT_SENT_PKTS,
	[SROCE_QPC_RCVD_PKTS] = SROCE_CNT_RCVD_PKTS,
	[SROCE_QPC_SENT_BYTES] = SROCE_CNT_SENT_BYTES,
	[SROCE_QPC_RCVD_BYTES] = SROCE_CNT_RCVD_BYTES,
};

/*
 * Binding QPs to rdma counters (`rdma statistic qp`). A bound QP counts
 * its packets itself (sroce_stat_qp()); the counter's value is what its
 * QPs counted since they were bound, plus what QPs unbound from it had
 * counted. ib_core shows a port's counter as the driver's value plus every
 * counter's (running and released ones): the driver's port value is thus
 * the device's count less what any QP counted while bound, as a hardware
 * default counter would be.
 *
 * One mutex for all devices: binding is rare and never on the packet
 * path. Counter ids come from one IDA, unique on every device.
 */
struct sroce_bcounter {
	struct list_head link;
	struct ib_device *ibdev;
	u32 id;
	u64 folded[SROCE_QPC_NUM];
	struct list_head qps;
};

static DEFINE_MUTEX(sroce_counter_lock);
static LIST_HEAD(sroce_counters);
static DEFINE_IDA(sroce_counter_ida);

static struct sroce_bcounter *sroce_counter_find(struct rdma_counter *counter)
{
	struct sroce_bcounter *c;

	lockdep_assert_held(&sroce_counter_lock);
	list_for_each_entry(c, &sroce_counters, link)
		if (c->ibdev == counter->device && c->id == counter->id)
			return c;
	return NULL;
}

static u64 sroce_qpc_delta(struct sroce_qp_stats *qs, int i)
{
	return atomic64_read(&qs->cnt[i]) - qs->base[i];
}

int sroce_counter_bind_qp(struct rdma_counter *counter, struct ib_qp *ibqp)
{
	struct sroce_qp_stats *qs = &to_sqp(ibqp)->stats;
	struct sroce_bcounter *c;
	int i, id;

	mutex_lock(&sroce_counter_lock);
	if (qs->ctr) {
		mutex_unlock(&sroce_counter_lock);
		return -EBUSY;
	}
	if (!counter->id) {
		c = kzalloc(sizeof(*c), GFP_KERNEL);
		id = c ? ida_alloc_min(&sroce_counter_ida, 1, GFP_KERNEL) :
			 -ENOMEM;
		if (id < 0) {
			kfree(c);
			mutex_unlock(&sroce_counter_lock);
			return id;
		}
		c->ibdev = counter->device;
		c->id = id;
		INIT_LIST_HEAD(&c->qps);
		list_add(&c->link, &sroce_counters);
		counter->id = id;
	} else {
		c = sroce_counter_find(counter);
		if (WARN_ON_ONCE(!c)) {
			mutex_unlock(&sroce_counter_lock);
			return -EINVAL;
		}
	}
	for (i = 0; i < SROCE_QPC_NUM; i++)
		qs->base[i] = atomic64_read(&qs->cnt[i]);
	list_add(&qs->link, &c->qps);
	WRITE_ONCE(qs->ctr, c);
	ibqp->counter = counter;
	mutex_unlock(&sroce_counter_lock);
	return 0;
}

int sroce_counter_unbind_qp(struct ib_qp *ibqp)
{
	struct sroce_stats __percpu *stats = to_sdev(ibqp->device)->stats;
	struct sroce_qp_stats *qs = &to_sqp(ibqp)->stats;
	struct sroce_bcounter *c;
	int i;

	mutex_lock(&sroce_counter_lock);
	c = qs->ctr;
	if (c) {
		WRITE_ONCE(qs->ctr, NULL);
		for (i = 0; i < SROCE_QPC_NUM; i++) {
			u64 delta = sroce_qpc_delta(qs, i);

			c->folded[i] += delta;
			this_cpu_add(stats->qp_folded[i], delta);
		}
		list_del(&qs->link);
	}
	ibqp->counter = NULL;
	mutex_unlock(&sroce_counter_lock);
	return 0;
}

int sroce_counter_dealloc(struct rdma_counter *counter)
{
	struct sroce_bcounter *c;

	mutex_lock(&sroce_counter_lock);
	c = sroce_counter_find(counter);
	if (c) {
		/* ib_core unbinds every QP before the last reference goes */
		WARN_ON_ONCE(!list_empty(&c->qps));
		list_del(&c->link);
		ida_free(&sroce_counter_ida, c->id);
		kfree(c);
	}
	mutex_unlock(&sroce_counter_lock);
	return 0;
}

struct rdma_hw_stats *sroce_counter_alloc_stats(struct rdma_counter *counter)
{
	/* the port's layout: ib_core adds a released counter into it */
	return sroce_alloc_hw_port_stats(counter->device, counter->port);
}

int sroce_counter_update_stats(struct rdma_counter *counter)
{
	struct rdma_hw_stats *stats = counter->stats;
	struct sroce_qp_stats *qs;
	struct sroce_bcounter *c;
	int i;

	for (i = 0; i < stats->num_counters; i++)
		stats->value[i] = 0;
	mutex_lock(&sroce_counter_lock);
	c = sroce_counter_find(counter);
	for (i = 0; c && i < SROCE_QPC_NUM; i++) {
		u64 v = c->folded[i];

		list_for_each_entry(qs, &c->qps, link)
			v += sroce_qpc_delta(qs, i);
		stats->value[sroce_qpc_port_index[i]] = v;
	}
	mutex_unlock(&sroce_counter_lock);
	return 0;
}

/* What QPs of @ibdev counted while bound: @out[SROCE_QPC_NUM]. */
static void sroce_counted_bound(struct ib_device *ibdev, u64 *out)
{
	struct sroce_dev *sdev = to_sdev(ibdev);
	struct sroce_qp_stats *qs;
	struct sroce_bcounter *c;
	int cpu, i;

	mutex_lock(&sroce_counter_lock);
	for (i = 0; i < SROCE_QPC_NUM; i++) {
		out[i] = 0;
		for_each_possible_cpu(cpu)
			out[i] += per_cpu_ptr(sdev->stats, cpu)->qp_folded[i];
	}
	list_for_each_entry(c, &sroce_counters, link) {
		if (c->ibdev != ibdev)
			continue;
		list_for_each_entry(qs, &c->qps, link)
			for (i = 0; i < SROCE_QPC_NUM; i++)
				out[i] += sroce_qpc_delta(qs, i);
	}
	mutex_unlock(&sroce_counter_lock);
}

int sroce_get_hw_stats(struct ib_device *ibdev, struct rdma_hw_stats *stats,
		       u32 port, int index)
{
	struct sroce_dev *sdev = to_sdev(ibdev);
	u64 bound[SROCE_QPC_NUM];
	int cpu, i;

	for (i = 0; i < SROCE_NUM_COUNTERS; i++)
		stats->value[i] = 0;
	for_each_possible_cpu(cpu) {
		struct sroce_stats *s = per_cpu_ptr(sdev->stats, cpu);

		for (i = 0; i < SROCE_NUM_COUNTERS; i++)
			stats->value[i] += READ_ONCE(s->cnt[i]);
	}
	sroce_counted_bound(ibdev, bound);
	for (i = 0; i < SROCE_QPC_NUM; i++) {
		u64 *v = &stats->value[sroce_qpc_port_index[i]];

		/* a bound QP's count may run ahead of the device's, briefly */
		*v -= min(*v, bound[i]);
	}
	return SROCE_NUM_COUNTERS;
}

/*
 * A frame of UDP port 4791 for this device, counted before any check, as a
 * port counts what it receives: the words of its IP packet, as the sender
 * counted them (the IP layer or the fast path has checked the IP header
 * and pulled it).
 */
void sroce_stat_rcv(struct sroce_stats __percpu *stats,
		    const struct sk_buff *skb)
{
	unsigned int len;

	if (skb->protocol == htons(ETH_P_IPV6))
		len = sizeof(struct ipv6hdr) + ntohs(ipv6_hdr(skb)->payload_len);
	else
		len = ntohs(ip_hdr(skb)->tot_len);
	this_cpu_add(stats->pma[SROCE_PMA_RCV_WORDS], DIV_ROUND_UP(len, 4));
	this_cpu_inc(stats->pma[SROCE_PMA_RCV_PKTS]);
	if (skb->pkt_type == PACKET_MULTICAST ||
	    skb->pkt_type == PACKET_BROADCAST)
		this_cpu_inc(stats->pma[SROCE_PMA_RCV_MCAST]);
}
