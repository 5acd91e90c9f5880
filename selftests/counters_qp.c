// SPDX-License-Identifier: GPL-2.0
/*
 * counters_qp: traffic on N RC QP pairs between two devices (up, e.g. by
 * roce_net.sh), held open around it so that counters.sh can bind the QPs
 * to rdma counters and read them while they exist.
 *
 *   counters_qp DEV_A DEV_B N ITERS SIZE DIR
 *
 * Brings N QPs of DEV_A and N of DEV_B to RTS, pair i connected to pair i,
 * writes "A0 .. A(N-1) B0 .. B(N-1)" (the QP numbers) to DIR/qpns and
 * waits for DIR/go. Then, on pair i, ITERS times: an RDMA WRITE of
 * (i + 1) * SIZE bytes from A to B, then one from B to A, each waited for.
 * Writes DIR/done, waits for DIR/end, destroys everything. Exits 0 when
 * every step succeeded; failures are printed as "# " lines.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_lib.h"

#define MAXQP		8
#define WAIT_MS		60000

struct side {
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	struct ibv_mr *mr;
	struct ibv_qp *qp[MAXQP];
	uint8_t *buf;
	size_t len;
	int gid;
	union ibv_gid g;
	enum ibv_mtu mtu;
};

static struct side S[2];
static int nqp;

static int side_open(struct side *s, const char *dev, size_t len)
{
	struct ibv_qp_init_attr init = {
		.qp_type = IBV_QPT_RC,
		.cap = { .max_send_wr = 4, .max_recv_wr = 4,
			 .max_send_sge = 1, .max_recv_sge = 1 },
		.sq_sig_all = 1,
	};
	struct ibv_port_attr port;
	int i;

	s->ctx = open_dev(dev);
	if (!s->ctx || ibv_query_port(s->ctx, 1, &port))
		return -1;
	s->mtu = port.active_mtu;
	s->gid = find_roce_gid(s->ctx, 4, NULL, &s->g, 10000);
	s->pd = ibv_alloc_pd(s->ctx);
	s->cq = s->pd ? ibv_create_cq(s->ctx, 16, NULL, NULL, 0) : NULL;
	s->len = len;
	if (s->gid < 0 || !s->cq || posix_memalign((void **)&s->buf, 4096, len))
		return -1;
	memset(s->buf, 0x5a, len);
	s->mr = ibv_reg_mr(s->pd, s->buf, len, IBV_ACCESS_LOCAL_WRITE |
			   IBV_ACCESS_REMOTE_WRITE);
	if (!s->mr)
		return -1;
	init.send_cq = s->cq;
	init.recv_cq = s->cq;
	for (i = 0; i < nqp; i++) {
		s->qp[i] = ibv_create_qp(s->pd, &init);
		if (!s->qp[i])
			return -1;
	}
	return 0;
}

static int side_close(struct side *s)
{
	int bad = 0, i;

	for (i = 0; i < nqp; i++)
		bad += s->qp[i] && ibv_destroy_qp(s->qp[i]);
	bad += s->mr && ibv_dereg_mr(s->mr);
	bad += s->cq && ibv_destroy_cq(s->cq);
	bad += s->pd && ibv_dealloc_pd(s->pd);
	bad += s->ctx && ibv_close_device(s->ctx);
	free(s->buf);
	return bad;
}

static int connect_qp(struct side *s, struct side *d, int i)
{
	struct qp_path p = {
		.sgid_index = s->gid, .dgid = d->g,
		.dest_qpn = d->qp[i]->qp_num,
		.mtu = s->mtu < d->mtu ? s->mtu : d->mtu,
		.sq_psn = 0x100, .rq_psn = 0x100,
		.access = IBV_ACCESS_REMOTE_WRITE,
		.timeout = 18, .retry_cnt = 7, .rnr_retry = 7,
		.min_rnr_timer = 12, .max_rd_atomic = 1,
		.max_dest_rd_atomic = 1,
	};

	return qp_bring_up(s->qp[i], &p);
}

/* An RDMA WRITE of @len bytes on QP @i from @s to @d, completed. */
static int write_one(struct side *s, struct side *d, int i, uint32_t len)
{
	struct ibv_sge sge = { (uintptr_t)s->buf, len, s->mr->lkey };
	struct ibv_send_wr wr = { .wr_id = i, .sg_list = &sge, .num_sge = 1,
				  .opcode = IBV_WR_RDMA_WRITE }, *bad;
	long deadline = now_ms() + WAIT_MS;
	struct ibv_wc wc;
	int n;

	wr.wr.rdma.remote_addr = (uintptr_t)d->buf;
	wr.wr.rdma.rkey = d->mr->rkey;
	if (ibv_post_send(s->qp[i], &wr, &bad)) {
		printf("# post_send on QP %d: %s\n", i, strerror(errno));
		return -1;
	}
	while (!(n = ibv_poll_cq(s->cq, 1, &wc)) && now_ms() < deadline)
		usleep(50);
	if (n != 1 || wc.status != IBV_WC_SUCCESS) {
		printf("# QP %d: RDMA WRITE of %u B: %s\n", i, len,
		       n == 1 ? ibv_wc_status_str(wc.status) : "no completion");
		return -1;
	}
	return 0;
}

static int file_write(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f)) {
		printf("# cannot write %s\n", path);
		return -1;
	}
	return 0;
}

static int file_wait(const char *dir, const char *name)
{
	long deadline = now_ms() + WAIT_MS;
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	while (access(path, F_OK)) {
		if (now_ms() > deadline) {
			printf("# no %s within %d ms\n", path, WAIT_MS);
			return -1;
		}
		usleep(20000);
	}
	return 0;
}

int main(int argc, char **argv)
{
	char qpns[MAXQP * 2 * 12 + 2] = "";
	int iters, size, i, k, err = 0;
	const char *dir;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 7) {
		fprintf(stderr, "usage: counters_qp DEV_A DEV_B N ITERS SIZE DIR\n");
		return 2;
	}
	nqp = atoi(argv[3]);
	iters = atoi(argv[4]);
	size = atoi(argv[5]);
	dir = argv[6];
	if (nqp < 1 || nqp > MAXQP || iters < 1 || size < 1 || size > (1 << 20))
		return 2;
	if (side_open(&S[0], argv[1], (size_t)nqp * size) ||
	    side_open(&S[1], argv[2], (size_t)nqp * size)) {
		printf("# cannot set up QPs on %s and %s: %s\n", argv[1],
		       argv[2], strerror(errno));
		err = 1;
		goto out;
	}
	for (i = 0; i < nqp && !err; i++)
		err = connect_qp(&S[0], &S[1], i) || connect_qp(&S[1], &S[0], i);
	for (k = 0; k < 2 && !err; k++)
		for (i = 0; i < nqp; i++)
			snprintf(qpns + strlen(qpns), sizeof(qpns) - strlen(qpns),
				 "%s%u", strlen(qpns) ? " " : "",
				 S[k].qp[i]->qp_num);
	strcat(qpns, "\n");
	if (err || file_write(dir, "qpns", qpns) || file_wait(dir, "go")) {
		err = 1;
		goto out;
	}
	for (k = 0; k < iters && !err; k++)
		for (i = 0; i < nqp && !err; i++)
			err = write_one(&S[0], &S[1], i, (i + 1) * size) ||
			      write_one(&S[1], &S[0], i, (i + 1) * size);
	if (err || file_write(dir, "done", "done\n") || file_wait(dir, "end"))
		err = 1;
out:
	err |= side_close(&S[0]) | side_close(&S[1]);
	return err ? 1 : 0;
}
