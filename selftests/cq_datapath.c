// SPDX-License-Identifier: GPL-2.0
/*
 * The CQ and SRQ datapath helpers, driven through sroce's debugfs test
 * hooks (drv/debugfs.c) until a packet path exists: completions written by
 * the kernel and read by stock rdma-core's rxe provider (field by field,
 * through ibv_poll_cq and the extended CQ), completion-channel events per
 * the arming rules, resize keeping completions, CQ overrun as
 * IBV_EVENT_CQ_ERR, SRQ WQEs consumed in order across a resize and the SRQ
 * limit event, the device removed under live, mapped queues; and the
 * kernel-verbs checks of kernel CQs and SRQs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>

#include "sroce_dev.h"

#define DEV_NAME	"sroce_dp0"
#define VETH		"vethdp0"
#define VETH_PEER	"vethdp1"
#define HOOK		"/sys/kernel/debug/sroce/test"

/* 16 CQ and 9 SRQ checks (skipped while the device has no kernel PD) */
#define KERNEL_CHECKS	25

static struct ibv_context *ctx;
static char hook_out[8192];

/* Runs one hook command; returns 0 or the errno of the write. */
static int hook(const char *fmt, ...)
{
	char cmd[128];
	va_list ap;
	int fd, err = 0;
	ssize_t n;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	hook_out[0] = '\0';
	fd = open(HOOK, O_RDWR);
	if (fd < 0)
		return errno;
	if (write(fd, cmd, strlen(cmd)) < 0)
		err = errno;
	n = pread(fd, hook_out, sizeof(hook_out) - 1, 0);
	hook_out[n > 0 ? n : 0] = '\0';
	if (n > 0 && hook_out[n - 1] == '\n')
		hook_out[n - 1] = '\0';
	close(fd);
	return err;
}

/*
 * The restrack id of the only @kind ("cq", "srq") this process holds on
 * our device, or -1; its line of `rdma res show -dd` in @detail when
 * asked. Only this process's lines count: the device also has the MAD
 * layer's kernel CQ (for QP1), which has no pid.
 */
static long res_id(const char *kind, const char *key, char *detail,
		   size_t detail_len)
{
	char cmd[128], line[1024], mine[32], *p;
	size_t used = 0;
	long id = -1;
	int lines = 0;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "rdma res show %s dev %s -dd", kind,
		 DEV_NAME);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	snprintf(mine, sizeof(mine), " pid %d ", (int)getpid());
	if (detail)
		detail[0] = '\0';
	while (fgets(line, sizeof(line), f)) {
		p = strstr(line, key);
		if (!p || !strstr(line, mine))
			continue;
		if (detail && used < detail_len)
			used += snprintf(detail + used, detail_len - used,
					 "%s", line);
		lines++;
		id = strtol(p + strlen(key), NULL, 10);
	}
	pclose(f);
	return lines == 1 ? id : -1;
}

/* @text has "NAME VALUE" as whole words. */
static bool has_attr(const char *text, const char *name, unsigned int value)
{
	char word[64];
	const char *p;
	size_t len;

	len = snprintf(word, sizeof(word), " %s %u", name, value);
	for (p = strstr(text, word); p; p = strstr(p + 1, word))
		if (!p[len] || p[len] == ' ' || p[len] == '\n')
			return true;
	return false;
}

/* Waits up to @ms for the fd to become readable. */
static bool readable(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, ms) == 1;
}

/* Waits up to @ms for async event @type; acks every event it reads. */
static bool async_event(enum ibv_event_type type, void *element, int ms)
{
	struct ibv_async_event ev;
	bool found = false;

	while (!found && readable(ctx->async_fd, ms)) {
		if (ibv_get_async_event(ctx, &ev))
			break;
		found = ev.event_type == type;
		if (type == IBV_EVENT_CQ_ERR)
			found = found && ev.element.cq == element;
		else if (type == IBV_EVENT_SRQ_LIMIT_REACHED)
			found = found && ev.element.srq == element;
		if (!found)
			ktap_info("other async event %s",
				  ibv_event_type_str(ev.event_type));
		ibv_ack_async_event(&ev);
	}
	return found;
}

static void test_kernel_checks(void)
{
	char *line, *save = NULL;
	int n = 0, skips = 0, err;

	err = hook("kernel %s", DEV_NAME);
	if (err) {
		ktap_result(0, "kernel checks: %s", strerror(err));
		return;
	}
	for (line = strtok_r(hook_out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		n++;
		if (!strncmp(line, "skip ", 5)) {
			ktap_skip_test("kernel checks", line + 5);
			skips++;
		} else if (!strncmp(line, "ok ", 3)) {
			ktap_result(1, "kernel: %s", line + 3);
		} else {
			ktap_result(0, "kernel: %s", line);
		}
	}
	ktap_result(n == KERNEL_CHECKS,
		    "kernel checks: %d lines, %d skipped (want %d)", n, skips,
		    KERNEL_CHECKS);
}

/* Polls @n completions and checks them against what the hook wrote. */
static bool poll_expect(struct ibv_cq *cq, int n, uint64_t wr_id, uint32_t i,
			int status)
{
	struct ibv_wc wc[64];
	int got, k;

	if (n > 64)
		return false;
	got = ibv_poll_cq(cq, n, wc);
	if (got != n) {
		ktap_info("polled %d, want %d", got, n);
		return false;
	}
	for (k = 0; k < n; k++) {
		if (wc[k].wr_id != wr_id + k || (int)wc[k].status != status ||
		    wc[k].opcode != IBV_WC_RECV || wc[k].byte_len != i + k ||
		    ntohl(wc[k].imm_data) != i + k ||
		    !(wc[k].wc_flags & IBV_WC_WITH_IMM) ||
		    wc[k].src_qp != 0xabcde || wc[k].sl != 3 ||
		    wc[k].qp_num != 0) {
			ktap_info("wc %d: wr_id %llu status %d opcode %d len %u imm %u flags %x src_qp %x sl %u",
				  k, (unsigned long long)wc[k].wr_id,
				  wc[k].status, wc[k].opcode, wc[k].byte_len,
				  ntohl(wc[k].imm_data), wc[k].wc_flags,
				  wc[k].src_qp, wc[k].sl);
			return false;
		}
	}
	return true;
}

static bool cq_empty(struct ibv_cq *cq)
{
	struct ibv_wc wc;

	return ibv_poll_cq(cq, 1, &wc) == 0;
}

static void test_user_cq(void)
{
	struct ibv_comp_channel *ch;
	struct ibv_cq *cq, *ev_cq;
	char detail[1024];
	void *ev_ctx;
	long cqn;
	int err, r;

	ch = ibv_create_comp_channel(ctx);
	cq = ch ? ibv_create_cq(ctx, 8, (void *)0x5eed, ch, 0) : NULL;
	cqn = cq ? res_id("cq", "cqn ", NULL, 0) : -1;
	ktap_result(cq && cqn >= 0, "user CQ on a channel, cqn %ld", cqn);
	if (cqn < 0)
		goto out;

	err = hook("cq %s %ld 5 0 0 1000", DEV_NAME, cqn);
	ktap_result(!err && !strcmp(hook_out, "posted 5 of 5"),
		    "hook posts 5 completions (%s)", strerror(err));
	res_id("cq", "cqn ", detail, sizeof(detail));
	r = has_attr(detail, "drv_depth", 15) && has_attr(detail, "drv_used", 5);
	if (!r)
		ktap_info("rdma res show cq -dd: %s", detail);
	ktap_result(r, "rdma res show cq -dd: drv_depth 15, drv_used 5");
	ktap_result(poll_expect(cq, 5, 1000, 0, IBV_WC_SUCCESS) && cq_empty(cq),
		    "provider reads the 5 completions, every field intact");
	ktap_result(!readable(ch->fd, 200), "unarmed CQ: no channel event");

	hook("cq %s %ld 3 0 0 2000", DEV_NAME, cqn);
	r = ibv_resize_cq(cq, 1);
	ktap_result(r == EINVAL && cq->cqe == 15,
		    "resize below 3 pending: EINVAL (%d), unchanged", r);
	r = ibv_resize_cq(cq, 100);
	ktap_result(!r && cq->cqe == 127 && poll_expect(cq, 3, 2000, 0, 0) &&
		    cq_empty(cq),
		    "resize to 100 keeps the 3 pending, in order (%d)", r);

	ibv_req_notify_cq(cq, 0);
	hook("cq %s %ld 2 0 0 3000", DEV_NAME, cqn);
	r = readable(ch->fd, 2000) && !ibv_get_cq_event(ch, &ev_cq, &ev_ctx) &&
	    ev_cq == cq && ev_ctx == (void *)0x5eed;
	if (r)
		ibv_ack_cq_events(cq, 1);
	ktap_result(r && !readable(ch->fd, 200) &&
		    poll_expect(cq, 2, 3000, 0, 0) && cq_empty(cq),
		    "armed next: one channel event for two completions");

	ibv_req_notify_cq(cq, 1);
	hook("cq %s %ld 1 0 0 4000", DEV_NAME, cqn);
	ktap_result(!readable(ch->fd, 300),
		    "armed solicited: an unsolicited completion is silent");
	hook("cq %s %ld 1 0 1 4001", DEV_NAME, cqn);
	r = readable(ch->fd, 2000) && !ibv_get_cq_event(ch, &ev_cq, &ev_ctx) &&
	    ev_cq == cq;
	if (r)
		ibv_ack_cq_events(cq, 1);
	ktap_result(r && poll_expect(cq, 1, 4000, 0, 0) &&
		    poll_expect(cq, 1, 4001, 0, 0) && cq_empty(cq),
		    "armed solicited: a solicited completion raises the event");

	hook("cq %s %ld 1 %d 0 5000", DEV_NAME, cqn, IBV_WC_REM_ACCESS_ERR);
	ktap_result(poll_expect(cq, 1, 5000, 0, IBV_WC_REM_ACCESS_ERR) &&
		    cq_empty(cq),
		    "an error completion carries its status");
out:
	if (cq)
		ibv_destroy_cq(cq);
	if (ch)
		ibv_destroy_comp_channel(ch);
}

static void test_cq_overrun(void)
{
	struct ibv_cq *cq;
	long cqn;
	int err;

	cq = ibv_create_cq(ctx, 1, NULL, NULL, 0);
	cqn = cq ? res_id("cq", "cqn ", NULL, 0) : -1;
	if (cqn < 0) {
		ktap_result(0, "overrun: CQ of 1");
		goto out;
	}
	err = hook("cq %s %ld 3 0 0 6000", DEV_NAME, cqn);
	ktap_result(err == ENOSPC && !strcmp(hook_out, "posted 1 of 3"),
		    "CQ of 1 takes 1 of 3 completions, then ENOSPC (%s, %s)",
		    strerror(err), hook_out);
	ktap_result(async_event(IBV_EVENT_CQ_ERR, cq, 2000),
		    "overrun raises IBV_EVENT_CQ_ERR for this CQ");
	ktap_result(poll_expect(cq, 1, 6000, 0, 0) && cq_empty(cq),
		    "the completion before the overrun is intact");
	ktap_result(!async_event(IBV_EVENT_CQ_ERR, cq, 300),
		    "a single CQ_ERR event");
out:
	if (cq)
		ibv_destroy_cq(cq);
}

static void test_cq_ex_poll(void)
{
	struct ibv_cq_init_attr_ex a = {
		.cqe = 16,
		.wc_flags = IBV_WC_EX_WITH_BYTE_LEN | IBV_WC_EX_WITH_IMM |
			    IBV_WC_EX_WITH_SRC_QP,
	};
	struct ibv_poll_cq_attr pa = {};
	struct ibv_cq_ex *cq;
	int n = 0, bad = 0, r;
	long cqn;

	cq = ibv_create_cq_ex(ctx, &a);
	cqn = cq ? res_id("cq", "cqn ", NULL, 0) : -1;
	if (cqn < 0) {
		ktap_result(0, "extended CQ");
		goto out;
	}
	hook("cq %s %ld 4 0 0 7000", DEV_NAME, cqn);
	for (r = ibv_start_poll(cq, &pa); !r; r = ibv_next_poll(cq)) {
		bad += cq->wr_id != 7000 + (uint64_t)n || cq->status ||
		       ibv_wc_read_byte_len(cq) != (uint32_t)n ||
		       ntohl(ibv_wc_read_imm_data(cq)) != (uint32_t)n ||
		       ibv_wc_read_src_qp(cq) != 0xabcde;
		n++;
	}
	if (n)
		ibv_end_poll(cq);
	ktap_result(n == 4 && !bad && r == ENOENT,
		    "extended CQ polls the 4 completions intact (%d, %d bad)",
		    n, bad);
out:
	if (cq)
		ibv_destroy_cq(ibv_cq_ex_to_cq(cq));
}

static int srq_post(struct ibv_srq *srq, uint64_t wr_id, int n)
{
	struct ibv_sge sge[2] = {
		{ .addr = 0x1000, .length = 10, .lkey = 1 },
		{ .addr = 0x2000, .length = 20, .lkey = 1 },
	};
	struct ibv_recv_wr wr = { .sg_list = sge, .num_sge = 2 }, *bad;
	int k;

	for (k = 0; k < n; k++) {
		wr.wr_id = wr_id + k;
		if (ibv_post_srq_recv(srq, &wr, &bad))
			return k;
	}
	return n;
}

static void test_user_srq(struct ibv_pd *pd)
{
	struct ibv_srq_init_attr sia = { .attr = { .max_wr = 16, .max_sge = 2 } };
	struct ibv_srq_attr qa = {};
	struct ibv_srq *srq;
	long srqn;
	int err, r;

	srq = ibv_create_srq(pd, &sia);
	srqn = srq ? res_id("srq", "srqn ", NULL, 0) : -1;
	if (srqn < 0) {
		ktap_result(0, "user SRQ, srqn %ld", srqn);
		goto out;
	}
	r = srq_post(srq, 500, 10);
	qa.srq_limit = 8;
	r = r == 10 ? ibv_modify_srq(srq, &qa, IBV_SRQ_LIMIT) : -1;
	ktap_result(!r, "10 WQEs posted, limit armed at 8 (%d)", r);

	err = hook("srq %s %ld 2", DEV_NAME, srqn);
	ktap_result(!err && !strcmp(hook_out, "popped 500 501") &&
		    !async_event(IBV_EVENT_SRQ_LIMIT_REACHED, srq, 300),
		    "consume 2: in order, 8 left, no limit event (%s)",
		    hook_out);
	err = hook("srq %s %ld 1", DEV_NAME, srqn);
	ktap_result(!err && !strcmp(hook_out, "popped 502") &&
		    async_event(IBV_EVENT_SRQ_LIMIT_REACHED, srq, 2000),
		    "consume 1: 7 left, IBV_EVENT_SRQ_LIMIT_REACHED (%s)",
		    hook_out);
	memset(&qa, 0, sizeof(qa));
	ibv_query_srq(srq, &qa);
	ktap_result(qa.srq_limit == 0, "the event disarmed the limit (%u)",
		    qa.srq_limit);

	qa.max_wr = 100;
	r = ibv_modify_srq(srq, &qa, IBV_SRQ_MAX_WR);
	r = r ? r : srq_post(srq, 600, 2) != 2;
	err = hook("srq %s %ld 20", DEV_NAME, srqn);
	ktap_result(!r && err == ENOENT &&
		    !strcmp(hook_out,
			    "popped 503 504 505 506 507 508 509 600 601"),
		    "after resize: the 7 posted, then 2 more, in order (%s)",
		    hook_out);
	ktap_result(!async_event(IBV_EVENT_SRQ_LIMIT_REACHED, srq, 300),
		    "no second limit event once disarmed");
out:
	if (srq)
		ibv_destroy_srq(srq);
}

/* The device goes away under a process holding a mapped CQ and SRQ. */
static void test_device_removal(struct ibv_pd *pd)
{
	struct ibv_srq_init_attr sia = { .attr = { .max_wr = 16, .max_sge = 2 } };
	struct ibv_srq *srq;
	struct ibv_cq *cq;
	long cqn;
	int r;

	cq = ibv_create_cq(ctx, 8, NULL, NULL, 0);
	srq = ibv_create_srq(pd, &sia);
	cqn = cq ? res_id("cq", "cqn ", NULL, 0) : -1;
	r = cqn >= 0 && srq && !hook("cq %s %ld 3 0 0 8000", DEV_NAME, cqn) &&
	    srq_post(srq, 800, 5) == 5;
	ktap_result(r, "a CQ with 3 completions, an SRQ with 5 WQEs");

	r = sroce_run("rdma link delete " DEV_NAME);
	ktap_result(!r && async_event(IBV_EVENT_DEVICE_FATAL, NULL, 5000),
		    "device deleted under them: IBV_EVENT_DEVICE_FATAL (%d)", r);
	ktap_result(cq && poll_expect(cq, 3, 8000, 0, 0) && cq_empty(cq),
		    "the mapped CQ ring stays readable after the device is gone");
	r = !srq || ibv_destroy_srq(srq);
	r |= !cq || ibv_destroy_cq(cq);
	ktap_result(!r, "CQ and SRQ destroyed after removal");
	ktap_result(!ibv_dealloc_pd(pd), "PD deallocated after removal");
}

int main(void)
{
	struct ibv_pd *pd;
	int flags;

	ktap_plan(KERNEL_CHECKS + 1 + 11 + 4 + 1 + 6 + 5 + 1);
	ctx = sroce_dev_add(DEV_NAME, VETH, VETH_PEER);
	if (!ctx || (access(HOOK, W_OK) &&
		     sroce_run("mount -t debugfs none /sys/kernel/debug"))) {
		ktap_result(0, "setup: device and " HOOK);
		sroce_dev_remove(DEV_NAME, VETH);
		return ktap_finish();
	}
	flags = fcntl(ctx->async_fd, F_GETFL);
	fcntl(ctx->async_fd, F_SETFL, flags | O_NONBLOCK);

	test_kernel_checks();
	test_user_cq();
	test_cq_overrun();
	test_cq_ex_poll();
	pd = ibv_alloc_pd(ctx);
	if (pd) {
		test_user_srq(pd);
		test_device_removal(pd);
	} else {
		ktap_result(0, "alloc_pd: %s", strerror(errno));
	}
	ktap_result(!ibv_close_device(ctx), "context closed");
	sroce_dev_remove(DEV_NAME, VETH);
	return ktap_finish();
}
