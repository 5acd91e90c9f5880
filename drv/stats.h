/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sroce: per-device counters, shown by `rdma statistic show`.
 *
 * sroce_stat_inc()/sroce_stat_add()/sroce_stat_xmit()/sroce_stat_rcv()/
 * sroce_stat_qp(): any context (per-CPU or the QP's atomics, no locks).
 * sroce_stats_init()/sroce_stats_fini(): newlink and dealloc_driver.
 * The ops (alloc_hw_port_stats, get_hw_stats, counter_*): ib_core, process
 * context.
 */
#ifndef _SROCE_STATS_H
#define _SROCE_STATS_H

#include <linux/if_ether.h>
#include <linux/math.h>
#include <linux/percpu.h>
#include <rdma/ib_verbs.h>

/* The counters rdma_rxe exposes come first, under the same names. */
enum sroce_counter {
	SROCE_CNT_SENT_PKTS,
	SROCE_CNT_RCVD_PKTS,
	SROCE_CNT_DUP_REQ,
	SROCE_CNT_OUT_OF_SEQ_REQ,
	SROCE_CNT_RCV_RNR_ERR,
	SROCE_CNT_SND_RNR_ERR,
	SROCE_CNT_RCV_SEQ_ERR,
	SROCE_CNT_ACK_DEFERRED,
	SROCE_CNT_RETRY_EXCEEDED_ERR,
	SROCE_CNT_RNR_RETRY_EXCEEDED_ERR,
	SROCE_CNT_COMP_RETRY,
	SROCE_CNT_SEND_ERR,
	SROCE_CNT_LINK_DOWNED,
	SROCE_CNT_RDMA_SEND,
	SROCE_CNT_RDMA_RECV,
	SROCE_CNT_SENT_BYTES,
	SROCE_CNT_RCVD_BYTES,
	SROCE_CNT_RETRANSMITS,
	SROCE_CNT_NAKS_SENT,
	SROCE_CNT_NAKS_RCVD,
	SROCE_CNT_RX_DROP_SHORT,
	SROCE_CNT_RX_DROP_BAD_ICRC,
	SROCE_CNT_RX_DROP_BAD_HEADER,
	SROCE_CNT_RX_DROP_BAD_OPCODE,
	SROCE_CNT_RX_DROP_NO_QP,
	SROCE_CNT_RX_DROP_QP_STATE,
	SROCE_CNT_TX_DROP,
	SROCE_CNT_RX_DROP_MSG,
	SROCE_CNT_RX_DROP_STALE_RESP,
	SROCE_CNT_RX_DROP_NO_ACCESS,
	SROCE_CNT_RETRANSMITTED_PKTS,
	SROCE_CNT_RX_DEFERRED,
	SROCE_CNT_RX_DROP_BACKLOG,
	SROCE_NUM_COUNTERS
};

/*
 * What the port's PMA answers (mad.c): frames this device handed to its
 * netdev (taken) and frames of UDP port 4791 it got from it. Data in
 * 4-byte words of the RoCEv2 packet, IP header to ICRC, a word begun
 * counting whole (Documentation/counters.rst).
 */
enum sroce_pma_counter {
	SROCE_PMA_XMIT_WORDS,
	SROCE_PMA_XMIT_PKTS,
	SROCE_PMA_XMIT_MCAST,
	SROCE_PMA_RCV_WORDS,
	SROCE_PMA_RCV_PKTS,
	SROCE_PMA_RCV_MCAST,
	SROCE_PMA_NUM
};

/*
 * The counters a QP bound to an rdma counter (`rdma statistic qp`) also
 * counts on its own, and the port counter each one is a part of.
 */
enum sroce_qp_counter {
	SROCE_QPC_SENT_PKTS,
	SROCE_QPC_RCVD_PKTS,
	SROCE_QPC_SENT_BYTES,
	SROCE_QPC_RCVD_BYTES,
	SROCE_QPC_NUM
};

/*
 * @qp_folded: what QPs counted while bound, handed over when they were
 *	unbound (written under the binding mutex, on any CPU's copy).
 */
struct sroce_stats {
	u64 cnt[SROCE_NUM_COUNTERS];
	u64 pma[SROCE_PMA_NUM];
	u64 qp_folded[SROCE_QPC_NUM];
};

struct sroce_bcounter;

/**
 * struct sroce_qp_stats - a QP's share of the port counters
 * @cnt: counted by the packet path while @ctr is set (READ_ONCE, never
 *	dereferenced there); atomic: the requester and the responder count
 *	on different CPUs.
 * @base: @cnt when the QP was bound; @ctr, @link: the driver's state of
 *	the bound counter. All three under the binding mutex (stats.c).
 */
struct sroce_qp_stats {
	atomic64_t cnt[SROCE_QPC_NUM];
	u64 base[SROCE_QPC_NUM];
	struct sroce_bcounter *ctr;
	struct list_head link;
};

int sroce_stats_init(struct sroce_stats __percpu **stats);
void sroce_stats_fini(struct sroce_stats __percpu *stats);
struct rdma_hw_stats *sroce_alloc_hw_port_stats(struct ib_device *ibdev,
						u32 port);
int sroce_get_hw_stats(struct ib_device *ibdev, struct rdma_hw_stats *stats,
		       u32 port, int index);

int sroce_counter_bind_qp(struct rdma_counter *counter, struct ib_qp *ibqp);
int sroce_counter_unbind_qp(struct ib_qp *ibqp);
int sroce_counter_dealloc(struct rdma_counter *counter);
struct rdma_hw_stats *sroce_counter_alloc_stats(struct rdma_counter *counter);
int sroce_counter_update_stats(struct rdma_counter *counter);

#define sroce_stat_add(stats, counter, n) \
	this_cpu_add((stats)->cnt[SROCE_CNT_##counter], (n))
#define sroce_stat_inc(stats, counter) sroce_stat_add(stats, counter, 1)

/*
 * @pkts packets of @len bytes in all from their IP headers on, which the
 * netdev took (more than one: the units of a GSO skb).
 */
static inline void sroce_stat_xmit(struct sroce_stats __percpu *stats,
				   unsigned int len, unsigned int pkts,
				   bool mcast)
{
	this_cpu_add(stats->pma[SROCE_PMA_XMIT_WORDS], DIV_ROUND_UP(len, 4));
	this_cpu_add(stats->pma[SROCE_PMA_XMIT_PKTS], pkts);
	if (mcast)
		this_cpu_inc(stats->pma[SROCE_PMA_XMIT_MCAST]);
}

void sroce_stat_rcv(struct sroce_stats __percpu *stats,
		    const struct sk_buff *skb);

/*
 * @pkts more packets in a GSO skb that sroce_stat_rcv() counted as one:
 * @len bytes of their own IP and UDP headers, which the skb has once.
 */
static inline void sroce_stat_rcv_more(struct sroce_stats __percpu *stats,
				       unsigned int len, unsigned int pkts)
{
	this_cpu_add(stats->pma[SROCE_PMA_RCV_WORDS], DIV_ROUND_UP(len, 4));
	this_cpu_add(stats->pma[SROCE_PMA_RCV_PKTS], pkts);
}

/* A packet of @qp's, @paylen payload bytes: sent, or received (rx). */
static inline void sroce_stat_qp(struct sroce_qp_stats *qs, bool rx,
				 u32 paylen)
{
	if (likely(!READ_ONCE(qs->ctr)))
		return;
	atomic64_inc(&qs->cnt[rx ? SROCE_QPC_RCVD_PKTS : SROCE_QPC_SENT_PKTS]);
	atomic64_add(paylen,
		     &qs->cnt[rx ? SROCE_QPC_RCVD_BYTES : SROCE_QPC_SENT_BYTES]);
}

#endif /* _SROCE_STATS_H */
