// SPDX-License-Identifier: GPL-2.0
/*
 * verify_xfer: whole buffers, both directions, every byte checked. One RC
 * QP on each of two devices (already up, e.g. by roce_net.sh), connected
 * over their RoCE v2 GIDs of one family. For each size, SEND/RECV and RDMA
 * WRITE from A to B and from B to A: a fresh pattern goes out, the target
 * must hold exactly it with guard bytes untouched on both sides of it, the
 * source must be unchanged, and each completion must have its status,
 * opcode, wr_id and byte_len.
 *
 * usage: verify_xfer DEV_A DEV_B [4|6]
 * Prints KTAP; exits with the kselftest code.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ktap.h"
#include "test_lib.h"

#define HALF		(2u << 20)	/* source half, then target half */
#define BUF		(2 * HALF)
#define GUARD		0xc5
#define PAD		64		/* guard bytes checked past the data */
#define OFF		0x13		/* unaligned start of the data */
#define WAIT_MS		30000

struct side {
	const char *name;
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	struct ibv_qp *qp;
	struct ibv_mr *mr;
	uint8_t *buf;		/* [0, HALF): source, [HALF, BUF): target */
	int gid;
	union ibv_gid g;
	enum ibv_mtu mtu;
};

static struct side S[2] = { { .name = "A" }, { .name = "B" } };

static bool side_open(struct side *s, const char *dev, int fam)
{
	struct ibv_qp_init_attr init = {
		.qp_type = IBV_QPT_RC,
		.cap = { .max_send_wr = 4, .max_recv_wr = 4,
			 .max_send_sge = 1, .max_recv_sge = 1 },
		.sq_sig_all = 1,
	};
	struct ibv_port_attr port;

	s->ctx = open_dev(dev);
	if (!s->ctx || ibv_query_port(s->ctx, 1, &port))
		return false;
	s->mtu = port.active_mtu;
	s->gid = find_roce_gid(s->ctx, fam, NULL, &s->g, 10000);
	s->pd = ibv_alloc_pd(s->ctx);
	s->cq = s->pd ? ibv_create_cq(s->ctx, 8, NULL, NULL, 0) : NULL;
	if (s->gid < 0 || !s->cq || posix_memalign((void **)&s->buf, 4096, BUF))
		return false;
	memset(s->buf, GUARD, BUF);
	s->mr = ibv_reg_mr(s->pd, s->buf, BUF, IBV_ACCESS_LOCAL_WRITE |
			   IBV_ACCESS_REMOTE_WRITE);
	init.send_cq = s->cq;
	init.recv_cq = s->cq;
	s->qp = s->mr ? ibv_create_qp(s->pd, &init) : NULL;
	return s->qp;
}

static bool side_close(struct side *s)
{
	int bad = 0;

	bad += s->qp && ibv_destroy_qp(s->qp);
	bad += s->mr && ibv_dereg_mr(s->mr);
	bad += s->cq && ibv_destroy_cq(s->cq);
	bad += s->pd && ibv_dealloc_pd(s->pd);
	bad += s->ctx && ibv_close_device(s->ctx);
	free(s->buf);
	return !bad;
}

static bool connect(struct side *s, struct side *d)
{
	struct qp_path p = {
		.sgid_index = s->gid, .dgid = d->g, .dest_qpn = d->qp->qp_num,
		.mtu = s->mtu < d->mtu ? s->mtu : d->mtu,
		.sq_psn = 0x100, .rq_psn = 0x100,
		.access = IBV_ACCESS_REMOTE_WRITE,
		.timeout = 18, .retry_cnt = 7, .rnr_retry = 7,
		.min_rnr_timer = 12, .max_rd_atomic = 1,
		.max_dest_rd_atomic = 1,
	};

	return !qp_bring_up(s->qp, &p);
}

/* One completion of @s within WAIT_MS, as wanted. */
static bool wc_is(struct side *s, uint64_t wr_id, enum ibv_wc_opcode op,
		  int64_t len)
{
	long deadline = now_ms() + WAIT_MS;
	struct ibv_wc wc;
	int n;

	while (!(n = ibv_poll_cq(s->cq, 1, &wc)) && now_ms() < deadline)
		usleep(50);	/* leave the CPU to the driver */
	if (n != 1) {
		ktap_info("%s: no completion for wr_id %llu", s->name,
			  (unsigned long long)wr_id);
		return false;
	}
	if (wc.status != IBV_WC_SUCCESS || wc.wr_id != wr_id ||
	    wc.opcode != op || (len >= 0 && wc.byte_len != len)) {
		ktap_info("%s: wr_id %llu status %s opcode %d byte_len %u; want %llu, opcode %d, %lld bytes",
			  s->name, (unsigned long long)wc.wr_id,
			  ibv_wc_status_str(wc.status), wc.opcode, wc.byte_len,
			  (unsigned long long)wr_id, op, (long long)len);
		return false;
	}
	return true;
}

static void fill(uint8_t *p, uint32_t len, uint32_t seed)
{
	uint32_t x = seed * 2246822519u + 7, i;

	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = x >> 7;
	}
}

/*
 * The sender's source still holds @want and its target half is untouched;
 * the receiver's target holds exactly @want at OFF, GUARD around it.
 */
static bool side_ok(struct side *s, const uint8_t *want, uint32_t len,
		    bool target)
{
	uint8_t *src = s->buf + OFF, *dst = s->buf + HALF;
	uint32_t i;

	if (!target && memcmp(src, want, len)) {
		ktap_info("%s: the source changed", s->name);
		return false;
	}
	for (i = 0; target && i < HALF; i++) {
		if (s->buf[i] != GUARD) {
			ktap_info("%s: source half byte %u changed", s->name, i);
			return false;
		}
	}
	for (i = 0; i < HALF; i++) {
		uint8_t w = GUARD;

		if (target && i >= OFF && i < OFF + len)
			w = want[i - OFF];
		if (dst[i] != w) {
			ktap_info("%s: target byte %u is 0x%02x, want 0x%02x (data at %u..%u)",
				  s->name, i, dst[i], w, OFF, OFF + len);
			return false;
		}
	}
	return true;
}

/* @op (SEND or RDMA_WRITE) of @len bytes from @s to @d. */
static bool xfer(struct side *s, struct side *d, enum ibv_wr_opcode op,
		 uint32_t len, uint32_t seed, uint8_t *want)
{
	struct ibv_sge ss = { (uintptr_t)(s->buf + OFF), len, s->mr->lkey };
	struct ibv_sge rs = { (uintptr_t)(d->buf + HALF + OFF), len + PAD,
			      d->mr->lkey };
	struct ibv_send_wr wr = { .wr_id = seed, .sg_list = &ss, .num_sge = 1,
				  .opcode = op }, *bad;
	struct ibv_recv_wr rwr = { .wr_id = seed, .sg_list = &rs,
				   .num_sge = 1 }, *rbad;
	bool send = op == IBV_WR_SEND, ok;

	memset(s->buf, GUARD, BUF);
	memset(d->buf, GUARD, BUF);
	fill(want, len, seed);
	memcpy(s->buf + OFF, want, len);
	wr.wr.rdma.remote_addr = rs.addr;
	wr.wr.rdma.rkey = d->mr->rkey;
	if ((send && ibv_post_recv(d->qp, &rwr, &rbad)) ||
	    ibv_post_send(s->qp, &wr, &bad)) {
		ktap_info("post: %s", strerror(errno));
		return false;
	}
	ok = wc_is(s, seed, send ? IBV_WC_SEND : IBV_WC_RDMA_WRITE, -1);
	if (send)
		ok &= wc_is(d, seed, IBV_WC_RECV, len);
	ok &= side_ok(s, want, len, false) && side_ok(d, want, len, true);
	return ok;
}

int main(int argc, char **argv)
{
	static const uint32_t sizes[] = { 1, 4095, 65536 + 7, 1 << 20 };
	struct recovery r0, r1;
	int fam = argc > 3 ? atoi(argv[3]) : 4, dir, i, op, m0, m1;
	uint32_t seed = 1;
	uint8_t *want;
	bool ok;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 3 || (fam != 4 && fam != 6)) {
		fprintf(stderr, "usage: verify_xfer DEV_A DEV_B [4|6]\n");
		return KSFT_FAIL;
	}
	ktap_plan(2 * 2 * 4 + 1);
	want = malloc(HALF);
	if (!want || !side_open(&S[0], argv[1], fam) ||
	    !side_open(&S[1], argv[2], fam) || !connect(&S[0], &S[1]) ||
	    !connect(&S[1], &S[0]) || recovery_read(argv[1], &r0) ||
	    recovery_read(argv[2], &r1)) {
		ktap_result(0, "RC QPs on %s and %s over IPv%d GIDs: %s",
			    argv[1], argv[2], fam, strerror(errno));
		return ktap_finish();
	}
	for (op = 0; op < 2; op++)
		for (dir = 0; dir < 2; dir++)
			for (i = 0; i < 4; i++)
				ktap_result(xfer(&S[dir], &S[!dir],
						 op ? IBV_WR_RDMA_WRITE : IBV_WR_SEND,
						 sizes[i], seed++, want),
					    "%s %s -> %s, %u B, IPv%d: every byte as sent, guards intact",
					    op ? "RDMA_WRITE" : "SEND", S[dir].name,
					    S[!dir].name, sizes[i], fam);
	/* the veth loses nothing */
	m0 = recovery_moved(argv[1], &r0, NULL);
	m1 = recovery_moved(argv[2], &r1, NULL);
	ok = side_close(&S[0]) & side_close(&S[1]);
	ktap_result(ok && !m0 && !m1,
		    "no retransmission, NAK or drop counted; QPs, MRs, CQs, PDs released");
	free(want);
	return ktap_finish();
}
