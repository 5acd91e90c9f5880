/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sroce: raw resource dumps (`rdma res show qp|cq|mr -r`).
 *
 * The fill_res_*_entry_raw ops: ib_core's nldev calls them in process
 * context while it holds the object's restrack reference, so the object
 * cannot be destroyed under them (see Documentation/object-lifetime.rst).
 * Each puts one RDMA_NLDEV_ATTR_RES_RAW blob: a packed little-endian
 * snapshot whose first byte is its format version.
 */
#ifndef _SROCE_DUMP_RAW_H
#define _SROCE_DUMP_RAW_H

#include <linux/skbuff.h>
#include <rdma/ib_verbs.h>

#define SROCE_RAW_VERSION	1

/* Raw QP: identity, granted caps, and the modify_qp parameters. */
struct sroce_raw_qp {
	u8 version;
	u8 type;
	u8 state;
	u8 path_mtu;
	__le32 qpn;
	__le32 dest_qpn;
	__le32 sq_psn;
	__le32 rq_psn;
	__le32 qkey;
	__le32 max_send_wr;
	__le32 max_recv_wr;
	__le32 max_send_sge;
	__le32 max_recv_sge;
	__le32 max_inline_data;
	__le32 access;
	__le16 pkey_index;
	u8 max_rd_atomic;
	u8 max_dest_rd_atomic;
	u8 min_rnr_timer;
	u8 timeout;
	u8 retry_cnt;
	u8 rnr_retry;
} __packed;

/* Raw CQ: ring depth and occupancy, arming and error state. */
struct sroce_raw_cq {
	u8 version;
	u8 notify;
	u8 error;
	u8 user;
	__le32 depth;
	__le32 used;
} __packed;

/* Raw MR: kind, key, access and the registered range. */
struct sroce_raw_mr {
	u8 version;
	u8 kind;
	__le16 reserved;
	__le32 lkey;
	__le32 access;
	__le32 reserved2;
	__le64 iova;
	__le64 length;
	__le64 pages;
} __packed;

int sroce_fill_res_qp_entry_raw(struct sk_buff *msg, struct ib_qp *ibqp);
int sroce_fill_res_cq_entry_raw(struct sk_buff *msg, struct ib_cq *ibcq);
int sroce_fill_res_mr_entry_raw(struct sk_buff *msg, struct ib_mr *ibmr);

#endif /* _SROCE_DUMP_RAW_H */
