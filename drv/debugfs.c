// SPDX-License-Identifier: GPL-2.0
/*
 * sroce: test hooks in debugfs; see debugfs.h.
 *
 * Write one command to /sys/kernel/debug/sroce/test, then read its result:
 *
 *   cq DEV CQN COUNT STATUS SOLICITED WR_ID
 *	post COUNT receive completions (wr_id WR_ID + i, byte_len i, immediate
 *	data i, src_qp 0xabcde, sl 3, status STATUS, solicited if SOLICITED)
 *	to the user CQ whose restrack id is CQN. Reads "posted N of COUNT";
 *	the write fails with the error of the first completion dropped.
 *   srq DEV SRQN COUNT
 *	consume up to COUNT WQEs of the user SRQ with restrack id SRQN, as the
 *	datapath would. Reads "popped" and their wr_ids ("!" marks a malformed
 *	one); the write fails with -ENOENT when fewer than COUNT were posted,
 *	-EINVAL when one was malformed.
 *   kernel DEV
 *	run the checks of kernel CQs and SRQs below; reads one "ok ...",
 *	"not ok ..." or "skip ..." line per check.
 *   newlink_delay MS
 *	the next sroce_newlink() sleeps MS milliseconds (at most 10 s) right
 *	after its device is registered: a window for `rdma link delete` to
 *	free the device while newlink still runs (selftests/newlink_race.sh).
 *   dealloc_delay MS
 *	the next sroce_dev_dealloc() sleeps MS milliseconds (at most 10 s)
 *	between giving up the netdev's rx handler and leaving the device
 *	list: a window for `rdma link add` on the same netdev.
 *   rnr_delay MS
 *	the completer busy-waits MS milliseconds (at most 1 s) in the next
 *	RNR NAK it takes, holding the requester's lock, before it sets the
 *	RNR wait: a window for the retransmit timer to fire and wait for
 *	that lock (forge).
 */
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <rdma/ib_verbs.h>
#include <rdma/restrack.h>

#include "cq.h"
#include "debugfs.h"
#include "srq.h"

#define SROCE_TEST_OUT_SIZE	8192
#define SROCE_TEST_MAX_COUNT	100000
#define SROCE_TEST_SRQ_CHECKS	9	/* SROCE_CHECKs in sroce_test_kernel_srq() */

static struct dentry *sroce_debugfs_dir;

/* One-shot; taken with xchg() by whichever newlink (dealloc) comes first. */
static unsigned int sroce_test_newlink_ms;
static unsigned int sroce_test_dealloc_ms;
static unsigned int sroce_test_rnr_ms;

/* Serializes commands; protects sroce_test_out and sroce_test_len. */
static DEFINE_MUTEX(sroce_test_lock);
static char sroce_test_out[SROCE_TEST_OUT_SIZE];
static size_t sroce_test_len;

static __printf(1, 2) void sroce_test_say(const char *fmt, ...)
{
	va_list ap;

	lockdep_assert_held(&sroce_test_lock);
	va_start(ap, fmt);
	sroce_test_len += vscnprintf(sroce_test_out + sroce_test_len,
				     SROCE_TEST_OUT_SIZE - sroce_test_len,
				     fmt, ap);
	va_end(ap);
}

#define SROCE_CHECK(cond, fmt, ...) \
	sroce_test_say("%sok " fmt "\n", (cond) ? "" : "not ", ##__VA_ARGS__)

/* What the kernel checks saw through the CQ's and SRQ's handlers. */
struct sroce_test_events {
	atomic_t comp;
	atomic_t cq_err;
	atomic_t srq_limit;
};

static void sroce_test_comp_handler(struct ib_cq *ibcq, void *ctx)
{
	struct sroce_test_events *ev = ctx;

	atomic_inc(&ev->comp);
}

static void sroce_test_event_handler(struct ib_event *event, void *ctx)
{
	struct sroce_test_events *ev = ctx;

	if (event->event == IB_EVENT_CQ_ERR)
		atomic_inc(&ev->cq_err);
	else if (event->event == IB_EVENT_SRQ_LIMIT_REACHED)
		atomic_inc(&ev->srq_limit);
}

static int sroce_test_post(struct ib_cq *ibcq, u64 wr_id, u32 i,
			   enum ib_wc_status status, bool solicited)
{
	struct ib_wc wc = {
		.wr_id = wr_id,
		.status = status,
		.opcode = IB_WC_RECV,
		.byte_len = i,
		.ex.imm_data = cpu_to_be32(i),
		.src_qp = 0xabcde,
		.wc_flags = IB_WC_WITH_IMM,
		.sl = 3,
	};

	int ret = sroce_cq_post(to_scq(ibcq), &wc, solicited);

	/* the handler may run on the vector's CPU: count it once it has */
	sroce_cq_notify_wait(to_scq(ibcq));
	return ret;
}

static void sroce_test_kernel_cq(struct ib_device *ibdev)
{
	struct ib_cq_init_attr attr = { .cqe = 4 };
	struct sroce_test_events ev = {};
	int n, r, r1, r2, r3;
	struct ib_wc wc[8];
	struct ib_cq *cq;

	/* most likely another CPU's vector: the handler comes by IPI */
	attr.comp_vector = (raw_smp_processor_id() + 1) %
			   ibdev->num_comp_vectors;

	cq = ib_create_cq(ibdev, sroce_test_comp_handler,
			  sroce_test_event_handler, &ev, &attr);
	SROCE_CHECK(!IS_ERR(cq), "kernel CQ created (%d)", PTR_ERR_OR_ZERO(cq));
	if (IS_ERR(cq))
		return;
	SROCE_CHECK(cq->cqe == 7, "kernel CQ of 4 holds 7 (%d)", cq->cqe);

	r = ib_req_notify_cq(cq, IB_CQ_NEXT_COMP | IB_CQ_REPORT_MISSED_EVENTS);
	SROCE_CHECK(r == 0, "arm next on an empty CQ: nothing missed (%d)", r);
	sroce_test_post(cq, 0, 0, IB_WC_SUCCESS, false);
	sroce_test_post(cq, 1, 1, IB_WC_SUCCESS, false);
	SROCE_CHECK(atomic_read(&ev.comp) == 1,
		    "next-completion arming: one comp_handler call for two completions (%d)",
		    atomic_read(&ev.comp));

	r = ib_req_notify_cq(cq, IB_CQ_SOLICITED | IB_CQ_REPORT_MISSED_EVENTS);
	SROCE_CHECK(r == 1, "arm on a non-empty CQ: missed events reported (%d)",
		    r);
	sroce_test_post(cq, 2, 2, IB_WC_SUCCESS, false);
	SROCE_CHECK(atomic_read(&ev.comp) == 1,
		    "solicited arming: an unsolicited completion does not notify (%d)",
		    atomic_read(&ev.comp));
	sroce_test_post(cq, 3, 3, IB_WC_SUCCESS, true);
	SROCE_CHECK(atomic_read(&ev.comp) == 2,
		    "solicited arming: a solicited completion notifies (%d)",
		    atomic_read(&ev.comp));
	ib_req_notify_cq(cq, IB_CQ_SOLICITED);
	sroce_test_post(cq, 4, 4, IB_WC_LOC_LEN_ERR, false);
	SROCE_CHECK(atomic_read(&ev.comp) == 3,
		    "solicited arming: a failed completion notifies (%d)",
		    atomic_read(&ev.comp));
	ib_req_notify_cq(cq, IB_CQ_NEXT_COMP);
	ib_req_notify_cq(cq, IB_CQ_SOLICITED);
	sroce_test_post(cq, 5, 5, IB_WC_SUCCESS, false);
	SROCE_CHECK(atomic_read(&ev.comp) == 4,
		    "a solicited request keeps next-completion arming (%d)",
		    atomic_read(&ev.comp));

	n = ib_poll_cq(cq, 2, wc);
	SROCE_CHECK(n == 2 && wc[0].wr_id == 0 && wc[1].wr_id == 1 &&
		    wc[1].status == IB_WC_SUCCESS && wc[1].opcode == IB_WC_RECV &&
		    wc[1].byte_len == 1 && wc[1].src_qp == 0xabcde &&
		    be32_to_cpu(wc[1].ex.imm_data) == 1,
		    "poll 2 of 6: in order, fields intact (%d)", n);
	r = ib_resize_cq(cq, 2);
	SROCE_CHECK(r == -EINVAL && cq->cqe == 7,
		    "resize below the 4 pending: -EINVAL, unchanged (%d)", r);
	r = ib_resize_cq(cq, 32);
	SROCE_CHECK(!r && cq->cqe == 63, "resize 4 pending to 32: cqe %d (%d)",
		    cq->cqe, r);
	n = ib_poll_cq(cq, 8, wc);
	SROCE_CHECK(n == 4 && wc[0].wr_id == 2 && wc[1].wr_id == 3 &&
		    wc[2].wr_id == 4 && wc[3].wr_id == 5 &&
		    wc[2].status == IB_WC_LOC_LEN_ERR,
		    "after resize: the 4 pending completions, in order (%d)", n);

	r = ib_resize_cq(cq, 1);
	r1 = sroce_test_post(cq, 6, 6, IB_WC_SUCCESS, false);
	r2 = sroce_test_post(cq, 7, 7, IB_WC_SUCCESS, false);
	r3 = sroce_test_post(cq, 8, 8, IB_WC_SUCCESS, false);
	SROCE_CHECK(!r && !r1 && r2 == -ENOSPC && r3 == -ENOSPC &&
		    atomic_read(&ev.cq_err) == 1,
		    "overrun of a 1-entry CQ: -ENOSPC, one IB_EVENT_CQ_ERR (%d %d %d %d, %d events)",
		    r, r1, r2, r3, atomic_read(&ev.cq_err));
	n = ib_poll_cq(cq, 8, wc);
	SROCE_CHECK(n == 1 && wc[0].wr_id == 6,
		    "the completion before the overrun is kept (%d)", n);
	r = ib_destroy_cq_user(cq, NULL);
	SROCE_CHECK(!r, "kernel CQ destroyed (%d)", r);
}

static int sroce_test_post_recv(struct ib_srq *srq, u64 wr_id, int num_sge)
{
	struct ib_sge sge[3] = {
		{ .addr = 0x1000, .length = 100, .lkey = 7 },
		{ .addr = 0x2000, .length = 200, .lkey = 7 },
		{ .addr = 0x3000, .length = 300, .lkey = 7 },
	};
	struct ib_recv_wr wr = {
		.wr_id = wr_id,
		.sg_list = sge,
		.num_sge = num_sge,
	};
	const struct ib_recv_wr *bad = NULL;
	int err;

	err = ib_post_srq_recv(srq, &wr, &bad);
	if (err && bad != &wr)
		return -EFAULT;
	return err;
}

/* A pop as the datapath does it: the limit event once no lock is held. */
static int sroce_test_pop(struct sroce_srq *srq, struct rxe_recv_wqe *wqe,
			  size_t size)
{
	int r = sroce_srq_pop_wqe(srq, wqe, size);

	if (r != -ENOENT)
		sroce_srq_limit_reached(srq);
	return r;
}

static void sroce_test_kernel_srq(struct ib_device *ibdev)
{
	struct sroce_test_events ev = {};
	struct ib_srq_init_attr init = {
		.event_handler = sroce_test_event_handler,
		.srq_context = &ev,
		.attr = { .max_wr = 4, .max_sge = 2 },
		.srq_type = IB_SRQT_BASIC,
	};
	struct {
		struct rxe_recv_wqe wqe;
		struct rxe_sge sge[2];
	} w;
	struct ib_srq_attr attr;
	int i, r, bad = 0;
	struct ib_srq *srq;
	struct ib_pd *pd;

	/* core's kernel PD needs a DMA MR until the device offers a lkey */
	if (!ibdev->ops.get_dma_mr) {
		for (i = 1; i <= SROCE_TEST_SRQ_CHECKS; i++)
			sroce_test_say("skip kernel SRQ check %d/%d: %s\n", i,
				       SROCE_TEST_SRQ_CHECKS,
				       "no kernel PD without get_dma_mr");
		return;
	}
	pd = ib_alloc_pd(ibdev, 0);
	if (IS_ERR(pd)) {
		SROCE_CHECK(0, "kernel PD (%ld)", PTR_ERR(pd));
		return;
	}
	srq = ib_create_srq(pd, &init);
	SROCE_CHECK(!IS_ERR(srq) && init.attr.max_wr == 7,
		    "kernel SRQ of 4 holds 7 (%u, %d)", init.attr.max_wr,
		    PTR_ERR_OR_ZERO(srq));
	if (IS_ERR(srq))
		goto out_dealloc_pd;

	for (i = 0; i < 5; i++)
		bad += !!sroce_test_post_recv(srq, 10 + i, 2);
	r = sroce_test_post_recv(srq, 99, 3);
	SROCE_CHECK(!bad && r == -EINVAL,
		    "post 5; a WQE of 3 SGEs on a 2-SGE SRQ: -EINVAL (%d)", r);
	for (i = 5; i < 7; i++)
		bad += !!sroce_test_post_recv(srq, 10 + i, 2);
	r = sroce_test_post_recv(srq, 99, 1);
	SROCE_CHECK(!bad && r == -ENOMEM, "post to 7: the 8th gets -ENOMEM (%d)",
		    r);

	attr.max_wr = 2;
	r = ib_modify_srq(srq, &attr, IB_SRQ_MAX_WR);
	SROCE_CHECK(r == -EINVAL, "resize below 7 posted: -EINVAL (%d)", r);
	attr.max_wr = 20;
	attr.srq_limit = 5;
	r = ib_modify_srq(srq, &attr, IB_SRQ_MAX_WR | IB_SRQ_LIMIT);
	memset(&attr, 0, sizeof(attr));
	ib_query_srq(srq, &attr);
	SROCE_CHECK(!r && attr.max_wr == 31 && attr.max_sge == 2 &&
		    attr.srq_limit == 5,
		    "resize to 20 and arm 5: %u %u %u (%d)", attr.max_wr,
		    attr.max_sge, attr.srq_limit, r);

	for (i = 0; i < 2; i++) {
		r = sroce_test_pop(to_ssrq(srq), &w.wqe, sizeof(w));
		bad += r || w.wqe.wr_id != 10 + i || w.wqe.dma.num_sge != 2 ||
		       w.wqe.dma.length != 300 || w.wqe.dma.sge[1].addr != 0x2000;
	}
	SROCE_CHECK(!bad && atomic_read(&ev.srq_limit) == 0,
		    "pop 2 of 7 after resize: in order, intact, 5 left, no event (%d)",
		    atomic_read(&ev.srq_limit));
	r = sroce_test_pop(to_ssrq(srq), &w.wqe, sizeof(w));
	ib_query_srq(srq, &attr);
	SROCE_CHECK(!r && w.wqe.wr_id == 12 && atomic_read(&ev.srq_limit) == 1 &&
		    attr.srq_limit == 0,
		    "4 left, under the limit: one SRQ_LIMIT_REACHED, disarmed (%d, limit %u)",
		    atomic_read(&ev.srq_limit), attr.srq_limit);
	for (i = 3; i < 7; i++) {
		r = sroce_test_pop(to_ssrq(srq), &w.wqe, sizeof(w));
		bad += r || w.wqe.wr_id != 10 + i;
	}
	r = sroce_test_pop(to_ssrq(srq), &w.wqe, sizeof(w));
	SROCE_CHECK(!bad && r == -ENOENT && atomic_read(&ev.srq_limit) == 1,
		    "the rest in order, then -ENOENT, no second event (%d)", r);

	r = ib_destroy_srq_user(srq, NULL);
	SROCE_CHECK(!r, "kernel SRQ destroyed (%d)", r);
out_dealloc_pd:
	ib_dealloc_pd(pd);
}

static int sroce_test_cq(struct ib_device *ibdev, u32 id, u32 count,
			 u32 status, u32 solicited, u64 wr_id)
{
	struct rdma_restrack_entry *res;
	struct ib_cq *ibcq;
	int err = 0;
	u32 i;

	if (status > IB_WC_GENERAL_ERR)
		return -EINVAL;
	res = rdma_restrack_get_byid(ibdev, RDMA_RESTRACK_CQ, id);
	if (IS_ERR(res))
		return PTR_ERR(res);
	ibcq = container_of(res, struct ib_cq, res);
	/* a kernel ULP would take a made-up wr_id for its wr_cqe pointer */
	if (!to_scq(ibcq)->user) {
		err = -EPERM;
		goto out_put;
	}
	for (i = 0; i < count && !err; i++)
		err = sroce_test_post(ibcq, wr_id + i, i, status, solicited);
	sroce_test_say("posted %u of %u\n", err ? i - 1 : i, count);
out_put:
	rdma_restrack_put(res);
	return err;
}

static int sroce_test_srq(struct ib_device *ibdev, u32 id, u32 count)
{
	struct rdma_restrack_entry *res;
	struct rxe_recv_wqe *wqe;
	struct sroce_srq *srq;
	int err = 0, ret;
	size_t size;
	u32 i;

	res = rdma_restrack_get_byid(ibdev, RDMA_RESTRACK_SRQ, id);
	if (IS_ERR(res))
		return PTR_ERR(res);
	srq = to_ssrq(container_of(res, struct ib_srq, res));
	/* a kernel ULP's receive buffers are not ours to drop */
	if (!srq->user) {
		err = -EPERM;
		goto out_put;
	}
	size = sroce_srq_wqe_size(srq->max_sge);
	wqe = kmalloc(size, GFP_KERNEL);
	if (!wqe) {
		err = -ENOMEM;
		goto out_put;
	}
	sroce_test_say("popped");
	for (i = 0; i < count; i++) {
		ret = sroce_test_pop(srq, wqe, size);
		if (ret == -ENOENT) {
			err = ret;
			break;
		}
		/* a malformed WQE is consumed too; it shows as "!wr_id" */
		sroce_test_say(" %s%llu", ret ? "!" : "", wqe->wr_id);
		if (ret && !err)
			err = ret;
	}
	sroce_test_say("\n");
	kfree(wqe);
out_put:
	rdma_restrack_put(res);
	return err;
}

static int sroce_test_run(char *cmd)
{
	u32 id, count, status, solicited;
	struct ib_device *ibdev;
	char name[IB_DEVICE_NAME_MAX];
	u64 wr_id;
	int err;

	if (sscanf(cmd, "newlink_delay %u", &count) == 1) {
		WRITE_ONCE(sroce_test_newlink_ms, min(count, 10000U));
		return 0;
	}
	if (sscanf(cmd, "dealloc_delay %u", &count) == 1) {
		WRITE_ONCE(sroce_test_dealloc_ms, min(count, 10000U));
		return 0;
	}
	if (sscanf(cmd, "rnr_delay %u", &count) == 1) {
		WRITE_ONCE(sroce_test_rnr_ms, min(count, 1000U));
		return 0;
	}
	if (sscanf(cmd, "%*s %63s", name) != 1)
		return -EINVAL;
	ibdev = ib_device_get_by_name(name, RDMA_DRIVER_RXE);
	if (!ibdev)
		return -ENODEV;
	if (ibdev->ops.create_cq != sroce_create_cq) {
		err = -ENODEV;
		goto out_put;
	}

	err = -EINVAL;
	if (sscanf(cmd, "cq %*s %u %u %u %u %llu", &id, &count, &status,
		   &solicited, &wr_id) == 5 && count <= SROCE_TEST_MAX_COUNT)
		err = sroce_test_cq(ibdev, id, count, status, solicited, wr_id);
	else if (sscanf(cmd, "srq %*s %u %u", &id, &count) == 2 &&
		 count <= SROCE_TEST_MAX_COUNT)
		err = sroce_test_srq(ibdev, id, count);
	else if (!strncmp(cmd, "kernel ", 7)) {
		sroce_test_kernel_cq(ibdev);
		sroce_test_kernel_srq(ibdev);
		err = 0;
	}
out_put:
	ib_device_put(ibdev);
	return err;
}

static ssize_t sroce_test_write(struct file *file, const char __user *ubuf,
				size_t len, loff_t *ppos)
{
	char cmd[128];
	int err;

	if (len >= sizeof(cmd))
		return -EINVAL;
	if (copy_from_user(cmd, ubuf, len))
		return -EFAULT;
	cmd[len] = '\0';

	mutex_lock(&sroce_test_lock);
	sroce_test_len = 0;
	sroce_test_out[0] = '\0';
	err = sroce_test_run(cmd);
	mutex_unlock(&sroce_test_lock);
	return err ?: len;
}

static ssize_t sroce_test_read(struct file *file, char __user *ubuf,
			       size_t len, loff_t *ppos)
{
	ssize_t ret;

	mutex_lock(&sroce_test_lock);
	ret = simple_read_from_buffer(ubuf, len, ppos, sroce_test_out,
				      sroce_test_len);
	mutex_unlock(&sroce_test_lock);
	return ret;
}

static const struct file_operations sroce_test_fops = {
	.owner = THIS_MODULE,
	.write = sroce_test_write,
	.read = sroce_test_read,
	.llseek = default_llseek,
};

void sroce_test_newlink_pause(void)
{
	unsigned int ms = xchg(&sroce_test_newlink_ms, 0);

	if (ms)
		msleep(ms);
}

void sroce_test_dealloc_pause(void)
{
	unsigned int ms = xchg(&sroce_test_dealloc_ms, 0);

	if (ms)
		msleep(ms);
}

void sroce_test_rnr_pause(void)
{
	unsigned int ms;

	if (likely(!READ_ONCE(sroce_test_rnr_ms)))
		return;
	ms = xchg(&sroce_test_rnr_ms, 0);
	if (ms)
		mdelay(ms);
}

void sroce_debugfs_init(void)
{
	sroce_debugfs_dir = debugfs_create_dir("sroce", NULL);
	debugfs_create_file("test", 0600, sroce_debugfs_dir, NULL,
			    &sroce_test_fops);
}

void sroce_debugfs_exit(void)
{
	debugfs_remove_recursive(sroce_debugfs_dir);
}
