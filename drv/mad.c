// SPDX-License-Identifier: GPL-2.0
/*
 * sroce: the Performance Management class (IBTA vol. 1, ch. 16.1) of the
 * port, answered from the per-CPU counters (stats.h):
 * - ClassPortInfo, with the capability bit of the 64-bit counters
 *   (PortCountersExtended, unicast and multicast included), so that ib_core
 *   creates the extended attributes under ports/1/counters/;
 * - PortCounters: the 32-bit data and packet counters saturate at
 *   0xFFFFFFFF, the error counters at their field's width, as the
 *   specification asks (they never wrap);
 * - PortCountersExtended: the same counts in 64 bits.
 * Data counters are in 4-byte words, as on an HCA. What a frame counts
 * and when: Documentation/counters.rst.
 *
 * Any other MAD (the CM's on QP1 in particular) is left to the MAD layer
 * untouched. A MAD from the wire is hostile: only its header and the
 * PortSelect byte are read.
 */
#include <linux/minmax.h>
#include <linux/string.h>
#include <rdma/ib_pma.h>

#include "device.h"
#include "mad.h"
#include "stats.h"

/* ClassPortInfo's RespTimeValue: 4.096 us * 2^18, about one second */
#define SROCE_PMA_RESP_TIME	18

struct sroce_pma_counts {
	u64 pma[SROCE_PMA_NUM];
	u64 rcv_errors;
	u64 xmit_discards;
	u64 link_downed;
};

static void sroce_pma_read(struct sroce_dev *sdev, struct sroce_pma_counts *c)
{
	int cpu, i;

	memset(c, 0, sizeof(*c));
	for_each_possible_cpu(cpu) {
		const struct sroce_stats *s = per_cpu_ptr(sdev->stats, cpu);

		for (i = 0; i < SROCE_PMA_NUM; i++)
			c->pma[i] += READ_ONCE(s->pma[i]);
		/* frames dropped as malformed: not a QP's or a peer's doing */
		c->rcv_errors += READ_ONCE(s->cnt[SROCE_CNT_RX_DROP_SHORT]) +
			READ_ONCE(s->cnt[SROCE_CNT_RX_DROP_BAD_ICRC]) +
			READ_ONCE(s->cnt[SROCE_CNT_RX_DROP_BAD_HEADER]) +
			READ_ONCE(s->cnt[SROCE_CNT_RX_DROP_BAD_OPCODE]);
		c->xmit_discards += READ_ONCE(s->cnt[SROCE_CNT_TX_DROP]);
		c->link_downed += READ_ONCE(s->cnt[SROCE_CNT_LINK_DOWNED]);
	}
}

static void sroce_pma_class_port_info(struct ib_pma_mad *out)
{
	struct ib_class_port_info *cpi = (struct ib_class_port_info *)out->data;

	cpi->base_version = IB_MGMT_BASE_VERSION;
	cpi->class_version = 1;
	cpi->capability_mask = IB_PMA_CLASS_CAP_EXT_WIDTH;
	ib_set_cpi_resp_time(cpi, SROCE_PMA_RESP_TIME);
}

/* PortCounters' 32-bit counters stop at their maximum */
static __be32 sroce_pma_sat32(u64 v)
{
	return cpu_to_be32(min_t(u64, v, U32_MAX));
}

static void sroce_pma_port_counters(struct sroce_dev *sdev,
				    struct ib_pma_mad *out)
{
	struct ib_pma_portcounters *pc = (struct ib_pma_portcounters *)out->data;
	struct sroce_pma_counts c;

	sroce_pma_read(sdev, &c);
	pc->port_rcv_errors = cpu_to_be16(min_t(u64, c.rcv_errors, U16_MAX));
	pc->port_xmit_discards =
		cpu_to_be16(min_t(u64, c.xmit_discards, U16_MAX));
	pc->link_downed_counter = min_t(u64, c.link_downed, U8_MAX);
	pc->port_xmit_data = sroce_pma_sat32(c.pma[SROCE_PMA_XMIT_WORDS]);
	pc->port_rcv_data = sroce_pma_sat32(c.pma[SROCE_PMA_RCV_WORDS]);
	pc->port_xmit_packets = sroce_pma_sat32(c.pma[SROCE_PMA_XMIT_PKTS]);
	pc->port_rcv_packets = sroce_pma_sat32(c.pma[SROCE_PMA_RCV_PKTS]);
}

static void sroce_pma_port_counters_ext(struct sroce_dev *sdev,
					struct ib_pma_mad *out)
{
	struct ib_pma_portcounters_ext *pc =
		(struct ib_pma_portcounters_ext *)out->data;
	struct sroce_pma_counts c;
	u64 *v = c.pma;

	sroce_pma_read(sdev, &c);
	pc->port_xmit_data = cpu_to_be64(v[SROCE_PMA_XMIT_WORDS]);
	pc->port_rcv_data = cpu_to_be64(v[SROCE_PMA_RCV_WORDS]);
	pc->port_xmit_packets = cpu_to_be64(v[SROCE_PMA_XMIT_PKTS]);
	pc->port_rcv_packets = cpu_to_be64(v[SROCE_PMA_RCV_PKTS]);
	/* summed per CPU at different times: never below zero */
	pc->port_unicast_xmit_packets = cpu_to_be64(v[SROCE_PMA_XMIT_PKTS] -
		min(v[SROCE_PMA_XMIT_PKTS], v[SROCE_PMA_XMIT_MCAST]));
	pc->port_unicast_rcv_packets = cpu_to_be64(v[SROCE_PMA_RCV_PKTS] -
		min(v[SROCE_PMA_RCV_PKTS], v[SROCE_PMA_RCV_MCAST]));
	pc->port_multicast_xmit_packets = cpu_to_be64(v[SROCE_PMA_XMIT_MCAST]);
	pc->port_multicast_rcv_packets = cpu_to_be64(v[SROCE_PMA_RCV_MCAST]);
}

/* The PortSelect of a PortCounters(Extended) Get: this CA's only port. */
static bool sroce_pma_port_ok(const struct ib_pma_mad *in, u32 port)
{
	/* PortSelect is the second byte of both attributes */
	return in->data[1] == port;
}

int sroce_process_mad(struct ib_device *ibdev, int mad_flags, u32 port,
		      const struct ib_wc *in_wc, const struct ib_grh *in_grh,
		      const struct ib_mad *in, struct ib_mad *out,
		      size_t *out_mad_size, u16 *out_mad_pkey_index)
{
	const struct ib_pma_mad *pin = (const struct ib_pma_mad *)in;
	struct ib_pma_mad *pout = (struct ib_pma_mad *)out;
	u16 status = IB_MGMT_MAD_STATUS_SUCCESS;

	BUILD_BUG_ON(sizeof(struct ib_pma_mad) != sizeof(struct ib_mad));
	if (in->mad_hdr.mgmt_class != IB_MGMT_CLASS_PERF_MGMT ||
	    in->mad_hdr.base_version != IB_MGMT_BASE_VERSION ||
	    in->mad_hdr.method != IB_MGMT_METHOD_GET)
		return IB_MAD_RESULT_SUCCESS;	/* not ours: the MAD layer's */
	if (*out_mad_size < sizeof(*out))
		return IB_MAD_RESULT_FAILURE;

	memset(out, 0, sizeof(*out));
	out->mad_hdr = in->mad_hdr;
	out->mad_hdr.method = IB_MGMT_METHOD_GET_RESP;
	out->mad_hdr.status = 0;
	*out_mad_size = sizeof(*out);

	if (in->mad_hdr.class_version != 1) {
		status = IB_MGMT_MAD_STATUS_BAD_VERSION;
	} else if (in->mad_hdr.attr_id == IB_PMA_CLASS_PORT_INFO) {
		sroce_pma_class_port_info(pout);
	} else if (in->mad_hdr.attr_id == IB_PMA_PORT_COUNTERS ||
		   in->mad_hdr.attr_id == IB_PMA_PORT_COUNTERS_EXT) {
		/* the request's PortSelect and CounterSelect, echoed */
		memcpy(pout->data, pin->data, 4);
		if (!sroce_pma_port_ok(pin, port))
			status = IB_MGMT_MAD_STATUS_INVALID_ATTRIB_VALUE;
		else if (in->mad_hdr.attr_id == IB_PMA_PORT_COUNTERS)
			sroce_pma_port_counters(to_sdev(ibdev), pout);
		else
			sroce_pma_port_counters_ext(to_sdev(ibdev), pout);
	} else {
		status = IB_MGMT_MAD_STATUS_UNSUPPORTED_METHOD_ATTRIB;
	}
	out->mad_hdr.status = cpu_to_be16(status);
	return IB_MAD_RESULT_SUCCESS | IB_MAD_RESULT_REPLY;
}
