// SPDX-License-Identifier: GPL-2.0
/*
 * selftests/opcodes: moving data. SEND (with immediate, inline), RDMA
 * WRITE (with immediate) and RDMA READ on RC and UC, and UD SEND with its
 * GRH; every byte of both ends' buffers checked.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "ktap.h"
#include "opcodes.h"

bool t_xfer(const struct test *t)
{
	bool send = t->op == IBV_WR_SEND || t->op == IBV_WR_SEND_WITH_IMM;
	bool imm = t->op == IBV_WR_SEND_WITH_IMM ||
		   t->op == IBV_WR_RDMA_WRITE_WITH_IMM;
	bool read = t->op == IBV_WR_RDMA_READ;
	/* Remote side: one range, except a receive may scatter. */
	int nl = t->nsge, nr = send && t->nsge > 1 ? t->nsge - 1 : 1;
	struct seg ls[MAX_SEGS], rs[MAX_SEGS], sentinel;
	struct ibv_sge sge[MAX_SEGS];
	struct ibv_send_wr wr = { 0 };
	struct wc_want sw = { 0 }, rw = { 0 };
	uint64_t id = wr_seq++;
	bool ok = true;

	if (!make_pair(t->type))
		return false;
	reset_bufs();
	split(ls, nl, LOFF, t->len, 61);
	/* Receive buffers hold 16 more than the message: must stay GUARD. */
	split(rs, nr, ROFF, send ? t->len + 16 : t->len, 97);
	sentinel = (struct seg){ MR_LEN - 4096, 64 };
	if (read)
		place_msg(&B, rs, nr, t->len, id);
	else
		place_msg(&A, ls, nl, t->len, id);
	snapshot(&A);
	snapshot(&B);
	if (read)
		expect_msg(&A, ls, nl, t->len);
	else if (send)
		expect_msg(&B, rs, nr, t->len);
	else
		expect_msg(&B, rs, 1, t->len);

	if (send && !post_recv(&B, rs, nr, id))
		return false;
	/* WRITE_WITH_IMM consumes a receive but must not write into it. */
	if (t->op == IBV_WR_RDMA_WRITE_WITH_IMM &&
	    !post_recv(&B, &sentinel, 1, id))
		return false;

	to_sge(sge, &A, ls, nl);
	wr.wr_id = id;
	wr.sg_list = sge;
	wr.num_sge = nl;
	wr.opcode = t->op;
	wr.send_flags = IBV_SEND_SIGNALED;
	if (t->len == 0)
		wr.num_sge = 0;
	if (imm)
		wr.imm_data = htonl(IMM);
	if (!send) {
		wr.wr.rdma.remote_addr = (uintptr_t)(B.buf + rs[0].off);
		wr.wr.rdma.rkey = B.mr->rkey;
	}
	if (!post_send(&A, &wr))
		return false;

	sw.status = IBV_WC_SUCCESS;
	sw.wr_id = id;
	sw.qp_num = A.qp->qp_num;
	sw.byte_len = read ? (int64_t)t->len : -1;
	sw.opcode = send ? IBV_WC_SEND :
		    read ? IBV_WC_RDMA_READ : IBV_WC_RDMA_WRITE;
	ok &= wait_wc(&A, false, &sw, NULL);
	if (send || imm) {
		rw.status = IBV_WC_SUCCESS;
		rw.wr_id = id;
		rw.qp_num = B.qp->qp_num;
		rw.byte_len = t->len;
		rw.opcode = send ? IBV_WC_RECV : IBV_WC_RECV_RDMA_WITH_IMM;
		rw.flags = imm ? IBV_WC_WITH_IMM : 0;
		rw.noflags = (imm ? 0 : IBV_WC_WITH_IMM) | WC_INV_FLAGS;
		rw.imm = IMM;
		ok &= wait_wc(&B, true, &rw, NULL);
	} else {
		ok &= cq_quiet(&B, true);
	}
	ok &= cq_quiet(&B, false);
	ok &= check_buf(&A);
	ok &= check_buf(&B);
	return ok;
}

/* SEND with IBV_SEND_INLINE: the data is copied at post time. */
bool t_inline(const struct test *t)
{
	struct seg ls = { LOFF, t->len }, rs = { ROFF, t->len + 16 };
	struct ibv_sge sge;
	struct ibv_send_wr wr = { 0 };
	struct wc_want sw = { 0 }, rw = { 0 };
	uint64_t id = wr_seq++;
	bool ok = true;

	if (!make_pair(IBV_QPT_RC))
		return false;
	reset_bufs();
	place_msg(&A, &ls, 1, t->len, id);
	snapshot(&B);
	expect_msg(&B, &rs, 1, t->len);
	if (!post_recv(&B, &rs, 1, id))
		return false;
	to_sge(&sge, &A, &ls, 1);
	sge.lkey = 0xdeadbeef;	/* inline: the lkey is not used */
	wr.wr_id = id;
	wr.sg_list = &sge;
	wr.num_sge = 1;
	wr.opcode = IBV_WR_SEND;
	wr.send_flags = IBV_SEND_SIGNALED | IBV_SEND_INLINE;
	if (!post_send(&A, &wr))
		return false;
	/* Overwrite the source at once: the posted data must not change. */
	memset(A.buf + LOFF, 0, t->len);
	snapshot(&A);
	sw = (struct wc_want){ .status = IBV_WC_SUCCESS, .opcode = IBV_WC_SEND,
			       .wr_id = id, .byte_len = -1,
			       .qp_num = A.qp->qp_num };
	rw = (struct wc_want){ .status = IBV_WC_SUCCESS, .opcode = IBV_WC_RECV,
			       .wr_id = id, .byte_len = t->len,
			       .noflags = IBV_WC_WITH_IMM | WC_INV_FLAGS,
			       .qp_num = B.qp->qp_num };
	ok &= wait_wc(&A, false, &sw, NULL);
	ok &= wait_wc(&B, true, &rw, NULL);
	ok &= check_buf(&A);
	ok &= check_buf(&B);
	return ok;
}

/* UD: the receive buffer starts with the 40-byte GRH. */
bool t_ud(const struct test *t)
{
	struct seg ls = { LOFF, t->len }, rs = { ROFF, t->len + 40 };
	struct ibv_ah_attr aha;
	struct ibv_ah *ah;
	struct ibv_sge sge;
	struct ibv_send_wr wr = { 0 };
	struct wc_want w = { 0 };
	struct ibv_wc wc;
	uint8_t *grh = B.buf + ROFF;
	uint64_t id = wr_seq++;
	struct seg data = { ROFF + 40, t->len };
	bool ok = true;
	int i;

	if (!make_pair(IBV_QPT_UD))
		return false;
	fill_ah(&aha, &A, &B);
	ah = ibv_create_ah(A.pd, &aha);
	if (!ah) {
		ktap_info("ibv_create_ah: %s", strerror(errno));
		return false;
	}
	reset_bufs();
	place_msg(&A, &ls, 1, t->len, id);
	snapshot(&A);
	snapshot(&B);
	expect_msg(&B, &data, 1, t->len);
	to_sge(&sge, &A, &ls, 1);
	wr.sg_list = &sge;
	wr.num_sge = 1;
	wr.opcode = IBV_WR_SEND_WITH_IMM;
	wr.imm_data = htonl(IMM);
	wr.send_flags = IBV_SEND_SIGNALED;
	wr.wr.ud.ah = ah;
	wr.wr.ud.remote_qpn = B.qp->qp_num;

	/* A wrong Q_Key is dropped silently. */
	if (!post_recv(&B, &rs, 1, id))
		goto fail;
	wr.wr_id = wr_seq++;
	wr.wr.ud.remote_qkey = QKEY ^ 1;
	if (!post_send(&A, &wr))
		goto fail;
	w = (struct wc_want){ .status = IBV_WC_SUCCESS, .opcode = IBV_WC_SEND,
			      .wr_id = wr.wr_id, .byte_len = -1,
			      .qp_num = A.qp->qp_num };
	ok &= wait_wc(&A, false, &w, NULL);
	if (!cq_quiet(&B, true)) {
		ktap_info("a datagram with the wrong Q_Key was received");
		ok = false;
	}

	wr.wr_id = id;
	wr.wr.ud.remote_qkey = QKEY;
	if (!post_send(&A, &wr))
		goto fail;
	w.wr_id = id;
	ok &= wait_wc(&A, false, &w, NULL);
	w = (struct wc_want){ .status = IBV_WC_SUCCESS, .opcode = IBV_WC_RECV,
			      .wr_id = id, .byte_len = t->len + 40,
			      .flags = IBV_WC_GRH | IBV_WC_WITH_IMM,
			      .imm = IMM, .qp_num = B.qp->qp_num };
	ok &= wait_wc(&B, true, &w, &wc);
	if (wc.status == IBV_WC_SUCCESS && wc.src_qp != A.qp->qp_num) {
		ktap_info("src_qp %u, want %u", wc.src_qp, A.qp->qp_num);
		ok = false;
	}
	/* The GRH: for RoCE v2 over IPv4 its last 20 bytes are the IPv4
	 * header, over IPv6 all 40 are the IPv6 header.
	 */
	if (family == 4) {
		uint8_t *ip = grh + 20;

		if (ip[0] != 0x45 || ip[9] != 17 ||
		    memcmp(ip + 12, A.g4.raw + 12, 4) ||
		    memcmp(ip + 16, B.g4.raw + 12, 4)) {
			ktap_info("GRH: no IPv4 header A -> B (%02x .. proto %u)",
				  ip[0], ip[9]);
			ok = false;
		}
		memcpy(B.expect + ROFF + 20, ip, 20);
		/* The first 20 bytes are unspecified. */
		memcpy(B.expect + ROFF, grh, 20);
	} else {
		if ((grh[0] >> 4) != 6 || grh[6] != 17 ||
		    memcmp(grh + 8, A.g6.raw, 16) ||
		    memcmp(grh + 24, B.g6.raw, 16)) {
			ktap_info("GRH: no IPv6 header A -> B (%02x .. next %u)",
				  grh[0], grh[6]);
			ok = false;
		}
		memcpy(B.expect + ROFF, grh, 40);
	}
	for (i = 0; i < 2; i++)
		ok &= check_buf(i ? &B : &A);
	goto out;
fail:
	ok = false;
out:
	if (ibv_destroy_ah(ah)) {
		ktap_info("ibv_destroy_ah failed");
		ok = false;
	}
	return ok;
}
