// SPDX-License-Identifier: GPL-2.0
/*
 * CQs and SRQs through stock libibverbs and its rxe provider: sizes, limits,
 * resize, notification arming, completion channels, the SRQ ring and its
 * limit, and that the device stays usable after every refused call.
 *
 * Runs as root in the test guest: builds a veth pair and a sroce device on
 * it (system()), removes both at the end.
 */
#include <errno.h>
#include <signal.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sroce_dev.h"

#define DEV_NAME	"sroce_cq0"
#define VETH		"vethcq0"
#define VETH_PEER	"vethcq1"

static struct ibv_context *ctx;
static struct ibv_device_attr dattr;
/* CQs and SRQs on the device before any test: the MAD layer's (QP1's) */
static int base_cq = -1, base_srq = -1;

static void teardown(void)
{
	sroce_dev_remove(DEV_NAME, VETH);
}

static int setup(void)
{
	ctx = sroce_dev_add(DEV_NAME, VETH, VETH_PEER);
	if (!ctx)
		return -1;
	base_cq = sroce_res_baseline(DEV_NAME, "cq");
	base_srq = sroce_res_baseline(DEV_NAME, "srq");
	ktap_info("baseline on a fresh device: %d CQs, %d SRQs", base_cq,
		  base_srq);
	if (base_cq < 0 || base_srq < 0)
		return -1;
	return ibv_query_device(ctx, &dattr);
}

/* Smallest 2^k - 1 not below @n: what a ring of 2^k slots holds. */
static int ring_cap(int n)
{
	int cap = 1;

	while (cap < n)
		cap = cap * 2 + 1;
	return cap;
}

/* The device still works: a PD, a CQ and an SRQ come and go. */
static bool device_usable(void)
{
	struct ibv_srq_init_attr sia = { .attr = { .max_wr = 4, .max_sge = 1 } };
	struct ibv_wc wc;
	struct ibv_srq *srq;
	struct ibv_cq *cq;
	struct ibv_pd *pd;
	bool ok;

	pd = ibv_alloc_pd(ctx);
	if (!pd)
		return false;
	cq = ibv_create_cq(ctx, 8, NULL, NULL, 0);
	srq = ibv_create_srq(pd, &sia);
	ok = cq && srq && ibv_poll_cq(cq, 1, &wc) == 0;
	if (srq && ibv_destroy_srq(srq))
		ok = false;
	if (cq && ibv_destroy_cq(cq))
		ok = false;
	if (ibv_dealloc_pd(pd))
		ok = false;
	return ok;
}

static void test_attrs(void)
{
	ktap_result(dattr.max_cq == 16384 && dattr.max_cqe == 32767 &&
		    dattr.max_srq == 8192 && dattr.max_srq_wr == 16383 &&
		    dattr.max_srq_sge == 32 &&
		    (dattr.device_cap_flags & IBV_DEVICE_SRQ_RESIZE),
		    "device attrs: max_cq %d max_cqe %d max_srq %d max_srq_wr %d max_srq_sge %d, SRQ_RESIZE",
		    dattr.max_cq, dattr.max_cqe, dattr.max_srq,
		    dattr.max_srq_wr, dattr.max_srq_sge);
}

static void test_cq_sizes(void)
{
	static const int sizes[] = { 300, 511, 512, 1000, 4095, 4096, 10000,
				     16383, 16384, 32766, 32767 };
	struct ibv_wc wc[4];
	struct ibv_cq *cq;
	int bad = 0, n, i;

	for (n = 1; n <= 256; n++) {
		cq = ibv_create_cq(ctx, n, NULL, NULL, 0);
		if (!cq || cq->cqe != ring_cap(n) || ibv_poll_cq(cq, 4, wc)) {
			ktap_info("cqe %d: %s, got cqe %d", n,
				  cq ? "wrong" : strerror(errno),
				  cq ? cq->cqe : -1);
			bad++;
		}
		if (cq && ibv_destroy_cq(cq))
			bad++;
	}
	ktap_result(!bad, "CQs of 1..256 entries: cqe = 2^k-1 >= asked, empty");

	bad = 0;
	for (i = 0; i < (int)(sizeof(sizes) / sizeof(sizes[0])); i++) {
		cq = ibv_create_cq(ctx, sizes[i], NULL, NULL, 0);
		if (!cq || cq->cqe != ring_cap(sizes[i]) ||
		    ibv_poll_cq(cq, 4, wc)) {
			ktap_info("cqe %d: %s", sizes[i],
				  cq ? "wrong cqe or not empty" : strerror(errno));
			bad++;
		}
		if (cq && ibv_destroy_cq(cq))
			bad++;
	}
	ktap_result(!bad, "CQs of 300..max_cqe entries");
}

static void test_cq_bad_sizes(void)
{
	struct ibv_cq *cq;
	int err;

	errno = 0;
	cq = ibv_create_cq(ctx, dattr.max_cqe + 1, NULL, NULL, 0);
	err = errno;
	ktap_result(!cq && err == EINVAL, "CQ of max_cqe+1: EINVAL (got %s)",
		    cq ? "a CQ" : strerror(err));
	if (cq)
		ibv_destroy_cq(cq);

	errno = 0;
	cq = ibv_create_cq(ctx, 0, NULL, NULL, 0);
	err = errno;
	ktap_result(!cq && err == EINVAL, "CQ of 0 entries: EINVAL (got %s)",
		    cq ? "a CQ" : strerror(err));
	if (cq)
		ibv_destroy_cq(cq);

	errno = 0;
	cq = ibv_create_cq(ctx, -1, NULL, NULL, 0);
	err = errno;
	ktap_result(!cq && err == EINVAL, "CQ of -1 entries: EINVAL (got %s)",
		    cq ? "a CQ" : strerror(err));
	if (cq)
		ibv_destroy_cq(cq);

	/* the vectors are 0 .. num_comp_vectors - 1 */
	errno = 0;
	cq = ibv_create_cq(ctx, 4, NULL, NULL, ctx->num_comp_vectors - 1);
	err = errno;
	ktap_result(cq != NULL, "CQ on comp_vector %d, the last of %d (got %s)",
		    ctx->num_comp_vectors - 1, ctx->num_comp_vectors,
		    cq ? "a CQ" : strerror(err));
	if (cq)
		ibv_destroy_cq(cq);
	errno = 0;
	cq = ibv_create_cq(ctx, 4, NULL, NULL, ctx->num_comp_vectors);
	err = errno;
	ktap_result(!cq && err == EINVAL,
		    "CQ on comp_vector %d, past the last: EINVAL (got %s)",
		    ctx->num_comp_vectors, cq ? "a CQ" : strerror(err));
	if (cq)
		ibv_destroy_cq(cq);

	ktap_result(device_usable(), "device usable after refused CQs");
}

static void test_cq_resize(void)
{
	struct ibv_wc wc;
	struct ibv_cq *cq;
	int err, r;

	cq = ibv_create_cq(ctx, 16, NULL, NULL, 0);
	if (!cq) {
		ktap_result(0, "resize: create: %s", strerror(errno));
		return;
	}
	r = ibv_resize_cq(cq, 1000);
	ktap_result(!r && cq->cqe == 1023 && ibv_poll_cq(cq, 1, &wc) == 0,
		    "resize 16 -> 1000: cqe %d (want 1023), rc %d", cq->cqe, r);
	r = ibv_resize_cq(cq, 10);
	ktap_result(!r && cq->cqe == 15 && ibv_poll_cq(cq, 1, &wc) == 0,
		    "resize 1000 -> 10: cqe %d (want 15), rc %d", cq->cqe, r);
	r = ibv_resize_cq(cq, dattr.max_cqe);
	ktap_result(!r && cq->cqe == dattr.max_cqe,
		    "resize -> max_cqe: cqe %d, rc %d", cq->cqe, r);
	r = ibv_resize_cq(cq, 1);
	ktap_result(!r && cq->cqe == 1, "resize max_cqe -> 1: cqe %d, rc %d",
		    cq->cqe, r);

	err = ibv_resize_cq(cq, dattr.max_cqe + 1);
	ktap_result(err == EINVAL && cq->cqe == 1,
		    "resize to max_cqe+1: EINVAL (got %d), CQ unchanged", err);
	err = ibv_resize_cq(cq, 0);
	ktap_result(err == EINVAL && cq->cqe == 1,
		    "resize to 0: EINVAL (got %d), CQ unchanged", err);
	r = ibv_resize_cq(cq, 64);
	ktap_result(!r && cq->cqe == 127,
		    "resize after refused resizes: cqe %d, rc %d", cq->cqe, r);
	ktap_result(!ibv_destroy_cq(cq) && device_usable(),
		    "resized CQ destroyed, device usable");
}

static void test_cq_notify(void)
{
	struct ibv_comp_channel *ch;
	struct ibv_cq *cq;
	struct pollfd pfd;
	int r1, r2, n, err;

	ch = ibv_create_comp_channel(ctx);
	ktap_result(ch && ch->fd >= 0, "completion channel created");
	if (!ch)
		return;
	cq = ibv_create_cq(ctx, 32, (void *)0x5eed, ch, 0);
	if (!cq) {
		ktap_result(0, "CQ on a channel: %s", strerror(errno));
		ibv_destroy_comp_channel(ch);
		return;
	}
	r1 = ibv_req_notify_cq(cq, 0);
	r2 = ibv_req_notify_cq(cq, 1);
	ktap_result(!r1 && !r2, "req_notify next/solicited: %d %d", r1, r2);

	/* nothing completed, so no event may arrive */
	pfd.fd = ch->fd;
	pfd.events = POLLIN;
	n = poll(&pfd, 1, 300);
	ktap_result(n == 0, "no spurious completion event (poll %d)", n);

	/* the channel cannot go while a CQ uses it */
	err = ibv_destroy_comp_channel(ch);
	ktap_result(err == EBUSY, "channel busy while a CQ uses it (%d)", err);

	ibv_ack_cq_events(cq, 0);
	ktap_result(!ibv_destroy_cq(cq), "CQ on a channel destroyed");
	ktap_result(!ibv_destroy_comp_channel(ch), "channel destroyed");
}

static void test_cq_ex(void)
{
	struct ibv_cq_init_attr_ex a = {
		.cqe = 100,
		.wc_flags = IBV_WC_EX_WITH_BYTE_LEN | IBV_WC_EX_WITH_QP_NUM,
	};
	struct ibv_poll_cq_attr pa = {};
	struct ibv_cq_ex *cq;
	int r;

	cq = ibv_create_cq_ex(ctx, &a);
	if (!cq) {
		ktap_result(0, "extended CQ: %s", strerror(errno));
		return;
	}
	r = ibv_start_poll(cq, &pa);
	ktap_result(r == ENOENT, "extended CQ: start_poll on empty is ENOENT (%d)",
		    r);
	if (!r)
		ibv_end_poll(cq);
	ktap_result(!ibv_destroy_cq(ibv_cq_ex_to_cq(cq)),
		    "extended CQ destroyed");
}

static void test_many_cqs(void)
{
	int max = dattr.max_cq, n, bad = 0, err, have, room;
	struct ibv_cq **cqs, *extra;

	/* max_cq is device-wide: the CQs already there count against it */
	have = sroce_res_total(DEV_NAME, "cq");
	room = have == base_cq && have < max ? max - have : 0;
	cqs = calloc(room + 1, sizeof(*cqs));
	if (!cqs) {
		ktap_result(0, "many CQs: calloc");
		return;
	}
	for (n = 0; n < room; n++) {
		cqs[n] = ibv_create_cq(ctx, 1 + n % 64, NULL, NULL, 0);
		if (!cqs[n])
			break;
	}
	ktap_result(room > 0 && n == room,
		    "%d CQs of max_cq %d minus the %d already there created (%s)",
		    n, max, have, n == room ? "ok" : strerror(errno));

	errno = 0;
	extra = ibv_create_cq(ctx, 1, NULL, NULL, 0);
	err = errno;
	ktap_result(!extra && err == ENOMEM, "CQ number max_cq+1: ENOMEM (%s)",
		    extra ? "got a CQ" : strerror(err));
	if (extra)
		ibv_destroy_cq(extra);

	if (n > 0) {
		ibv_destroy_cq(cqs[n - 1]);
		cqs[n - 1] = ibv_create_cq(ctx, 1, NULL, NULL, 0);
		ktap_result(cqs[n - 1] != NULL,
			    "after destroying one, one more can be created");
		if (!cqs[n - 1])
			n--;
	}
	while (n > 0)
		if (ibv_destroy_cq(cqs[--n]))
			bad++;
	free(cqs);
	ktap_result(!bad && sroce_res_total(DEV_NAME, "cq") == base_cq &&
		    device_usable(),
		    "all %d CQs destroyed (%d failed), back to the %d of the baseline, device usable",
		    room, bad, base_cq);
}

/* Posts until the provider says the ring is full; returns how many went. */
static int srq_fill(struct ibv_srq *srq, uint64_t first_id, int limit)
{
	struct ibv_sge sge = { .addr = 0x1000, .length = 64, .lkey = 1 };
	struct ibv_recv_wr wr = { .sg_list = &sge, .num_sge = 1 }, *bad;
	int n;

	for (n = 0; n < limit; n++) {
		wr.wr_id = first_id + n;
		if (ibv_post_srq_recv(srq, &wr, &bad))
			break;
	}
	return n;
}

static void test_srq(struct ibv_pd *pd)
{
	struct ibv_srq_init_attr sia = { .attr = { .max_wr = 16, .max_sge = 2 } };
	struct ibv_srq_attr qa;
	struct ibv_srq *srq;
	int r, n, m;

	srq = ibv_create_srq(pd, &sia);
	if (!srq) {
		ktap_result(0, "SRQ create: %s", strerror(errno));
		return;
	}
	r = ibv_query_srq(srq, &qa);
	ktap_result(!r && sia.attr.max_wr == 31 && qa.max_wr == 31 &&
		    qa.max_sge == 2 && qa.srq_limit == 0,
		    "SRQ 16 x 2: max_wr %u/%u (want 31), max_sge %u, limit %u",
		    sia.attr.max_wr, qa.max_wr, qa.max_sge, qa.srq_limit);

	n = srq_fill(srq, 100, 1000);
	ktap_result(n == 31, "SRQ ring takes exactly 31 WQEs (%d)", n);

	qa.max_wr = 8;
	r = ibv_modify_srq(srq, &qa, IBV_SRQ_MAX_WR);
	ktap_result(r == EINVAL, "shrink below posted WQEs: EINVAL (%d)", r);

	qa.max_wr = 100;
	r = ibv_modify_srq(srq, &qa, IBV_SRQ_MAX_WR);
	memset(&qa, 0, sizeof(qa));
	ibv_query_srq(srq, &qa);
	/* the 31 posted WQEs moved along: 127 - 31 more fit */
	m = r ? -1 : srq_fill(srq, 200, 1000);
	ktap_result(!r && qa.max_wr == 127 && m == 127 - 31,
		    "grow to 100: max_wr %u (want 127), posted WQEs kept (%d more fit, want 96)",
		    qa.max_wr, m);

	qa.srq_limit = 10;
	r = ibv_modify_srq(srq, &qa, IBV_SRQ_LIMIT);
	memset(&qa, 0, sizeof(qa));
	ibv_query_srq(srq, &qa);
	ktap_result(!r && qa.srq_limit == 10, "arm limit 10: limit %u (%d)",
		    qa.srq_limit, r);

	qa.srq_limit = 128;
	r = ibv_modify_srq(srq, &qa, IBV_SRQ_LIMIT);
	ktap_result(r == EINVAL, "limit above max_wr: EINVAL (%d)", r);
	qa.max_wr = 0;
	r = ibv_modify_srq(srq, &qa, IBV_SRQ_MAX_WR);
	ktap_result(r == EINVAL, "resize to 0: EINVAL (%d)", r);
	qa.max_wr = dattr.max_srq_wr + 1;
	r = ibv_modify_srq(srq, &qa, IBV_SRQ_MAX_WR);
	ktap_result(r == EINVAL, "resize past max_srq_wr: EINVAL (%d)", r);

	memset(&qa, 0, sizeof(qa));
	r = ibv_query_srq(srq, &qa);
	ktap_result(!r && qa.max_wr == 127 && qa.max_sge == 2 &&
		    qa.srq_limit == 10,
		    "refused modifies changed nothing: %u %u %u",
		    qa.max_wr, qa.max_sge, qa.srq_limit);

	ktap_result(!ibv_destroy_srq(srq) && device_usable(),
		    "SRQ destroyed with WQEs posted, device usable");
}

static void test_srq_bad(struct ibv_pd *pd)
{
	struct ibv_srq_init_attr sia = {};
	struct ibv_srq *srq;
	int err;

	sia.attr.max_wr = dattr.max_srq_wr + 1;
	sia.attr.max_sge = 1;
	errno = 0;
	srq = ibv_create_srq(pd, &sia);
	err = errno;
	ktap_result(!srq && err == EINVAL, "SRQ of max_srq_wr+1: EINVAL (%s)",
		    srq ? "got one" : strerror(err));
	if (srq)
		ibv_destroy_srq(srq);

	sia.attr.max_wr = 4;
	sia.attr.max_sge = dattr.max_srq_sge + 1;
	errno = 0;
	srq = ibv_create_srq(pd, &sia);
	err = errno;
	ktap_result(!srq && err == EINVAL, "SRQ of max_srq_sge+1: EINVAL (%s)",
		    srq ? "got one" : strerror(err));
	if (srq)
		ibv_destroy_srq(srq);

	sia.attr.max_wr = 0;
	sia.attr.max_sge = 1;
	errno = 0;
	srq = ibv_create_srq(pd, &sia);
	err = errno;
	ktap_result(!srq && err == EINVAL, "SRQ of 0 WQEs: EINVAL (%s)",
		    srq ? "got one" : strerror(err));
	if (srq)
		ibv_destroy_srq(srq);

	sia.attr.max_wr = dattr.max_srq_wr;
	sia.attr.max_sge = dattr.max_srq_sge;
	srq = ibv_create_srq(pd, &sia);
	ktap_result(srq && sia.attr.max_wr == (uint32_t)dattr.max_srq_wr,
		    "SRQ of max_srq_wr x max_srq_sge: max_wr %u",
		    sia.attr.max_wr);
	if (srq)
		ibv_destroy_srq(srq);
	ktap_result(device_usable(), "device usable after refused SRQs");
}

static void test_many_srqs(struct ibv_pd *pd)
{
	struct ibv_srq_init_attr sia = { .attr = { .max_wr = 1, .max_sge = 0 } };
	int max = dattr.max_srq, n, bad = 0, err, have, room;
	struct ibv_srq **srqs, *extra;

	/* max_srq is device-wide: SRQs already there count against it */
	have = sroce_res_total(DEV_NAME, "srq");
	room = have == base_srq && have < max ? max - have : 0;
	srqs = calloc(room + 1, sizeof(*srqs));
	if (!srqs) {
		ktap_result(0, "many SRQs: calloc");
		return;
	}
	for (n = 0; n < room; n++) {
		srqs[n] = ibv_create_srq(pd, &sia);
		if (!srqs[n])
			break;
	}
	ktap_result(room > 0 && n == room,
		    "%d SRQs of max_srq %d minus the %d already there created (%s)",
		    n, max, have, n == room ? "ok" : strerror(errno));
	errno = 0;
	extra = ibv_create_srq(pd, &sia);
	err = errno;
	ktap_result(!extra && err == ENOMEM, "SRQ number max_srq+1: ENOMEM (%s)",
		    extra ? "got one" : strerror(err));
	if (extra)
		ibv_destroy_srq(extra);
	while (n > 0)
		if (ibv_destroy_srq(srqs[--n]))
			bad++;
	free(srqs);
	ktap_result(!bad && sroce_res_total(DEV_NAME, "srq") == base_srq &&
		    device_usable(),
		    "all SRQs destroyed (%d failed), back to the %d of the baseline, device usable",
		    bad, base_srq);
}

/*
 * Objects of @kind ("cq", "srq") core tracks on our device, kernel ones
 * included (the lines of the dump, not the summary), or -1.
 */
static int res_count(const char *kind)
{
	char cmd[128], line[512];
	int n = 0;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "rdma res show %s dev %s", kind, DEV_NAME);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		n += !!strstr(line, kind[0] == 'c' ? " cqn " : " srqn ");
	return pclose(f) ? -1 : n;
}

/* A child holding many CQs and SRQs is killed: core reclaims them all. */
static void test_kill(void)
{
	struct ibv_srq_init_attr sia = { .attr = { .max_wr = 8, .max_sge = 1 } };
	int p[2], held = 0, cqs = -1, srqs = -1, i, status;
	pid_t pid;

	if (pipe(p)) {
		ktap_result(0, "kill -9: pipe");
		return;
	}
	pid = fork();
	if (pid == 0) {
		struct ibv_context *c = sroce_dev_open(DEV_NAME);
		struct ibv_pd *pd = c ? ibv_alloc_pd(c) : NULL;
		int n = 0;

		for (i = 0; pd && i < 1000; i++)
			n += !!ibv_create_cq(c, 1 + i % 100, NULL, NULL, 0);
		for (i = 0; pd && i < 300; i++)
			n += !!ibv_create_srq(pd, &sia);
		if (write(p[1], &n, sizeof(n)) != sizeof(n))
			_exit(1);
		pause();
		_exit(0);
	}
	close(p[1]);
	if (pid > 0 && read(p[0], &held, sizeof(held)) == sizeof(held)) {
		cqs = res_count("cq");
		srqs = res_count("srq");
	}
	close(p[0]);
	ktap_result(held == 1300 && cqs == base_cq + 1000 &&
		    srqs == base_srq + 300,
		    "a child holds 1000 CQs and 300 SRQs (%d; rdma res: %d, %d, baseline %d, %d)",
		    held, cqs, srqs, base_cq, base_srq);
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	for (i = 0; i < 100; i++) {
		cqs = res_count("cq");
		srqs = res_count("srq");
		if (cqs == base_cq && srqs == base_srq)
			break;
		usleep(100000);
	}
	ktap_result(cqs == base_cq && srqs == base_srq && device_usable(),
		    "kill -9: all reclaimed, back to the baseline (rdma res: %d CQs, %d SRQs; baseline %d, %d), device usable",
		    cqs, srqs, base_cq, base_srq);
}

int main(void)
{
	struct ibv_pd *pd;
	int rc;

	ktap_plan(50);
	if (setup()) {
		ktap_info("cannot set up " DEV_NAME " on " VETH);
		ktap_result(0, "setup");
		teardown();
		return ktap_finish();
	}
	test_attrs();
	test_cq_sizes();
	test_cq_bad_sizes();
	test_cq_resize();
	test_cq_notify();
	test_cq_ex();
	test_many_cqs();

	pd = ibv_alloc_pd(ctx);
	if (pd) {
		test_srq(pd);
		test_srq_bad(pd);
		test_many_srqs(pd);
		ibv_dealloc_pd(pd);
	} else {
		ktap_result(0, "alloc_pd: %s", strerror(errno));
	}

	test_kill();

	rc = ibv_close_device(ctx);
	ktap_result(!rc, "context closed");
	teardown();
	return ktap_finish();
}
