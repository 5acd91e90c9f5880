// SPDX-License-Identifier: GPL-2.0
/*
 * sroce: per-device counters. Per-CPU so that the packet path counts
 * without shared cache lines; summed when `rdma statistic` asks.
 */
#include "device.h"
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

int sroce_get_hw_stats(struct ib_device *ibdev, struct rdma_hw_stats *stats,
		       u32 port, int index)
{
	struct sroce_dev *sdev = to_sdev(ibdev);
	int cpu, i;

	for (i = 0; i < SROCE_NUM_COUNTERS; i++)
		stats->value[i] = 0;
	for_each_possible_cpu(cpu) {
		struct sroce_stats *s = per_cpu_ptr(sdev->stats, cpu);

		for (i = 0; i < SROCE_NUM_COUNTERS; i++)
			stats->value[i] += READ_ONCE(s->cnt[i]);
	}
	return SROCE_NUM_COUNTERS;
}
