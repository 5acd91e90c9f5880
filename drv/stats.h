/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sroce: per-device counters, shown by `rdma statistic show`.
 *
 * sroce_stat_inc()/sroce_stat_add(): any context (per-CPU, no locks).
 * sroce_stats_init()/sroce_stats_fini(): newlink and dealloc_driver.
 * The ops (alloc_hw_port_stats, get_hw_stats): ib_core, process context.
 */
#ifndef _SROCE_STATS_H
#define _SROCE_STATS_H

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
	SROCE_NUM_COUNTERS
};

struct sroce_stats {
	u64 cnt[SROCE_NUM_COUNTERS];
};

int sroce_stats_init(struct sroce_stats __percpu **stats);
void sroce_stats_fini(struct sroce_stats __percpu *stats);
struct rdma_hw_stats *sroce_alloc_hw_port_stats(struct ib_device *ibdev,
						u32 port);
int sroce_get_hw_stats(struct ib_device *ibdev, struct rdma_hw_stats *stats,
		       u32 port, int index);

#define sroce_stat_add(stats, counter, n) \
	this_cpu_add((stats)->cnt[SROCE_CNT_##counter], (n))
#define sroce_stat_inc(stats, counter) sroce_stat_add(stats, counter, 1)

#endif /* _SROCE_STATS_H */
