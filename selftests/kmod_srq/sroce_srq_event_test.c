// SPDX-License-Identifier: GPL-2.0
/*
 * sroce_srq_event_test: the SRQ limit event is raised with no sroce lock
 * held (drv/srq.h), so that its handler may call back into the verbs of the
 * QP that consumed the WQE (issue 12, item 9).
 *
 * At load, on the device named by dev=: a kernel PD, four CQs, an SRQ of 8
 * with 4 WQEs posted and its limit armed at 2, and two RC QPs of the device
 * connected to each other over its own RoCEv2 GID (the frames loop back in
 * the driver): A with its own RQ, B on the SRQ. A sends to B one SEND at a
 * time; the third leaves one WQE, under the limit, and B's responder
 * raises IB_EVENT_SRQ_LIMIT_REACHED. The handler records its context and
 * whether the SRQ's lock and B's responder lock are held (the driver's own
 * structures, through drv/ headers), takes B's responder lock as any verb
 * of B's receive side would (a bounded trylock: the old code, which raised
 * the event under that lock, fails the check instead of deadlocking), then
 * calls the verbs a consumer may call there: ib_query_srq(),
 * ib_post_srq_recv() of two WQEs, ib_modify_srq() to re-arm the limit and
 * ib_post_send() on B (its requester lock, taken under the responder lock
 * by the old code: the debug kernel's lockdep reports that order against
 * modify_qp's). Two more SENDs must raise the re-armed event a second
 * time. ib_modify_qp() and ib_query_qp() sleep (the QP's attr mutex) and
 * the handler runs in softirq, so it cannot call them; the test calls
 * ib_query_qp() afterwards to see both QPs still in RTS.
 *
 * Everything is destroyed at load, each destroy's result checked. Results
 * are KTAP lines prefixed "sroce_srq_event_test: " in the kernel log, read
 * by selftests/srq_event.sh. The module always loads; rmmod it afterwards.
 */
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/ktime.h>
#include <linux/etherdevice.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/preempt.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <net/ipv6.h>
#include <rdma/ib_cache.h>
#include <rdma/ib_verbs.h>

#include "qp.h"
#include "srq.h"

static char *dev = "sroce0";
module_param(dev, charp, 0444);
MODULE_PARM_DESC(dev, "the sroce device to test");

#define ST_TESTS	19
#define ST_SRQ_WR	8
#define ST_LIMIT	2
#define ST_PREPOST	4	/* the third SEND leaves 1 < ST_LIMIT */
#define ST_REPOST	2	/* by the handler: 1 + 2, two SENDs to 1 again */
#define ST_SLOT		64	/* bytes per SRQ receive buffer */
#define ST_MSG		32	/* bytes per SEND */
#define ST_A_TX		1024	/* offsets in the one mapped page */
#define ST_A_RX		1536
#define ST_B_TX		2048
#define ST_WRID_SRQ	100
#define ST_WRID_A_RX	800
#define ST_WRID_B_TX	900
#define ST_EVENTS	2
#define ST_CQS		4
enum { ST_A_SCQ, ST_A_RCQ, ST_B_SCQ, ST_B_RCQ };

static int st_n, st_fail;

#define st_result(cond, fmt, ...) do {					\
	bool __ok = (cond);						\
									\
	st_n++;								\
	if (!__ok)							\
		st_fail++;						\
	pr_info("sroce_srq_event_test: %sok %d " fmt "\n",		\
		__ok ? "" : "not ", st_n, ##__VA_ARGS__);		\
} while (0)

/* What one limit event's handler saw and did. */
struct st_event {
	bool right_srq;
	bool hardirq;
	bool irqs_off;
	bool softirq;
	int srq_lock;
	int resp_lock;
	int query_err;
	u32 limit_seen;
	int post_srq_err;
	int modify_err;
	int requery_err;
	u32 limit_after;
	int post_send_err;
};

struct st_ctx {
	struct ib_device *ibdev;
	struct ib_pd *pd;
	struct ib_cq *cq[ST_CQS];	/* send, recv of A; send, recv of B */
	struct ib_srq *srq;
	struct ib_qp *qp_a;
	struct ib_qp *qp_b;
	const char *step;
	u8 *buf;
	u64 dma;
	atomic_t events;
	atomic_t other_events;
	struct completion done[ST_EVENTS];
	struct st_event ev[ST_EVENTS];
};

static struct ib_sge st_sge(struct st_ctx *c, u32 off, u32 len)
{
	return (struct ib_sge){
		.addr = c->dma + off,
		.length = len,
		.lkey = c->pd->local_dma_lkey,
	};
}

static int st_post_srq(struct st_ctx *c, u32 first, u32 n)
{
	const struct ib_recv_wr *bad;
	struct ib_sge sge;
	struct ib_recv_wr wr = { .num_sge = 1, .sg_list = &sge };
	u32 i;
	int err;

	for (i = first; i < first + n; i++) {
		sge = st_sge(c, (i % ST_SRQ_WR) * ST_SLOT, ST_SLOT);
		wr.wr_id = ST_WRID_SRQ + i;
		err = ib_post_srq_recv(c->srq, &wr, &bad);
		if (err)
			return err;
	}
	return 0;
}

static int st_send(struct st_ctx *c, struct ib_qp *qp, u64 wr_id, u32 off)
{
	const struct ib_send_wr *bad;
	struct ib_sge sge = st_sge(c, off, ST_MSG);
	struct ib_send_wr wr = {
		.wr_id = wr_id,
		.opcode = IB_WR_SEND,
		.send_flags = IB_SEND_SIGNALED,
		.num_sge = 1,
		.sg_list = &sge,
	};

	return ib_post_send(qp, &wr, &bad);
}

/*
 * Whether @lock is free when the handler runs, and can be taken: every
 * verb of the QP's receive side (or of the SRQ) takes it. Bounded: a lock
 * still held after 10 ms is held by the handler's caller, which would
 * deadlock on a plain spin_lock(). Returns 2 if free at once, 1 if taken
 * within the bound, 0 if not.
 */
static int st_take(spinlock_t *lock)
{
	ktime_t end = ktime_add_ms(ktime_get(), 10);
	unsigned long flags;
	int free_now = 1;

	for (;;) {
		if (spin_trylock_irqsave(lock, flags)) {
			spin_unlock_irqrestore(lock, flags);
			return 1 + free_now;
		}
		free_now = 0;
		if (ktime_after(ktime_get(), end))
			return 0;
		cpu_relax();
	}
}

static void st_srq_event(struct ib_event *event, void *context)
{
	struct st_ctx *c = context;
	struct ib_srq_attr attr = {};
	struct st_event *e;
	int n;

	if (event->event != IB_EVENT_SRQ_LIMIT_REACHED) {
		atomic_inc(&c->other_events);
		return;
	}
	n = atomic_inc_return(&c->events) - 1;
	if (n >= ST_EVENTS)
		return;
	e = &c->ev[n];
	e->right_srq = event->element.srq == c->srq;
	e->hardirq = in_hardirq();
	e->irqs_off = irqs_disabled();
	e->softirq = in_serving_softirq();
	e->srq_lock = st_take(&to_ssrq(c->srq)->lock);
	e->resp_lock = st_take(&to_sqp(c->qp_b)->resp.lock);
	e->query_err = ib_query_srq(c->srq, &attr);
	e->limit_seen = attr.srq_limit;
	if (n == 0) {
		e->post_srq_err = st_post_srq(c, ST_PREPOST, ST_REPOST);
		attr.srq_limit = ST_LIMIT;
		e->modify_err = ib_modify_srq(c->srq, &attr, IB_SRQ_LIMIT);
		memset(&attr, 0, sizeof(attr));
		e->requery_err = ib_query_srq(c->srq, &attr);
		e->limit_after = attr.srq_limit;
		e->post_send_err = st_send(c, c->qp_b, ST_WRID_B_TX, ST_B_TX);
	}
	complete(&c->done[n]);
}

/* One completion of @cq within about three seconds: 1, or 0 if none. */
static int st_poll(struct ib_cq *cq, struct ib_wc *wc)
{
	int i;

	for (i = 0; i < 300; i++) {
		if (ib_poll_cq(cq, 1, wc) == 1)
			return 1;
		usleep_range(5000, 10000);
	}
	return 0;
}

/* The device's IPv4 RoCEv2 GID (any RoCEv2 one if none), referenced. */
static const struct ib_gid_attr *st_gid(struct ib_device *ibdev)
{
	const struct ib_gid_attr *attr, *any = NULL;
	int i;

	for (i = 0; i < ibdev->port_data[1].immutable.gid_tbl_len; i++) {
		attr = rdma_get_gid_attr(ibdev, 1, i);
		if (IS_ERR(attr))
			continue;
		if (attr->gid_type != IB_GID_TYPE_ROCE_UDP_ENCAP) {
			rdma_put_gid_attr(attr);
			continue;
		}
		if (ipv6_addr_v4mapped((struct in6_addr *)attr->gid.raw)) {
			if (any)
				rdma_put_gid_attr(any);
			return attr;
		}
		if (any)
			rdma_put_gid_attr(attr);
		else
			any = attr;
	}
	return any;
}

/* @qp to RTS towards @dest over @gid; kernel callers resolve the dmac. */
static int st_connect(struct ib_qp *qp, u32 dest,
		      const struct ib_gid_attr *gid)
{
	struct ib_qp_attr a = { .qp_state = IB_QPS_INIT, .port_num = 1 };
	struct net_device *ndev;
	int err;

	err = ib_modify_qp(qp, &a, IB_QP_STATE | IB_QP_PKEY_INDEX |
			   IB_QP_PORT | IB_QP_ACCESS_FLAGS);
	if (err)
		return err;

	memset(&a, 0, sizeof(a));
	a.qp_state = IB_QPS_RTR;
	a.path_mtu = IB_MTU_1024;
	a.dest_qp_num = dest;
	a.min_rnr_timer = 1;
	a.ah_attr.type = RDMA_AH_ATTR_TYPE_ROCE;
	rdma_ah_set_port_num(&a.ah_attr, 1);
	rdma_ah_set_grh(&a.ah_attr, (union ib_gid *)&gid->gid, 0, gid->index,
			64, 0);
	rcu_read_lock();
	ndev = rdma_read_gid_attr_ndev_rcu(gid);
	if (IS_ERR(ndev))
		err = PTR_ERR(ndev);
	else
		ether_addr_copy(a.ah_attr.roce.dmac, ndev->dev_addr);
	rcu_read_unlock();
	if (err)
		return err;
	err = ib_modify_qp(qp, &a, IB_QP_STATE | IB_QP_AV | IB_QP_PATH_MTU |
			   IB_QP_DEST_QPN | IB_QP_RQ_PSN |
			   IB_QP_MAX_DEST_RD_ATOMIC | IB_QP_MIN_RNR_TIMER);
	if (err)
		return err;

	memset(&a, 0, sizeof(a));
	a.qp_state = IB_QPS_RTS;
	a.timeout = 17;
	a.retry_cnt = 7;
	a.rnr_retry = 7;
	return ib_modify_qp(qp, &a, IB_QP_STATE | IB_QP_TIMEOUT |
			    IB_QP_RETRY_CNT | IB_QP_RNR_RETRY | IB_QP_SQ_PSN |
			    IB_QP_MAX_QP_RD_ATOMIC);
}

/* PD, CQs, SRQ with ST_PREPOST WQEs, QPs connected, limit armed; 0 or error. */
static int st_setup(struct st_ctx *c)
{
	struct ib_cq_init_attr cq_attr = { .cqe = 16 };
	struct ib_srq_init_attr srq_init = {
		.event_handler = st_srq_event,
		.srq_context = c,
		.srq_type = IB_SRQT_BASIC,
		.attr = { .max_wr = ST_SRQ_WR, .max_sge = 1 },
	};
	struct ib_qp_init_attr init = {
		.qp_type = IB_QPT_RC,
		.sq_sig_type = IB_SIGNAL_REQ_WR,
		.cap = { .max_send_wr = 8, .max_recv_wr = 4,
			 .max_send_sge = 1, .max_recv_sge = 1 },
	};
	struct ib_srq_attr arm = { .srq_limit = ST_LIMIT };
	const struct ib_recv_wr *bad;
	const struct ib_gid_attr *gid;
	struct ib_sge sge;
	struct ib_recv_wr rwr = {
		.wr_id = ST_WRID_A_RX, .num_sge = 1, .sg_list = &sge,
	};
	struct ib_qp *qp;
	int err, i;

	c->step = "create the objects";
	c->pd = ib_alloc_pd(c->ibdev, 0);
	if (IS_ERR(c->pd))
		return PTR_ERR(c->pd);
	/* a CQ each: the order of sends and receives does not matter */
	for (i = 0; i < ST_CQS; i++) {
		c->cq[i] = ib_create_cq(c->ibdev, NULL, NULL, NULL, &cq_attr);
		if (IS_ERR(c->cq[i]))
			return PTR_ERR(c->cq[i]);
	}
	c->srq = ib_create_srq(c->pd, &srq_init);
	if (IS_ERR(c->srq))
		return PTR_ERR(c->srq);

	init.send_cq = c->cq[ST_A_SCQ];
	init.recv_cq = c->cq[ST_A_RCQ];
	qp = ib_create_qp(c->pd, &init);
	if (IS_ERR(qp))
		return PTR_ERR(qp);
	c->qp_a = qp;
	init.send_cq = c->cq[ST_B_SCQ];
	init.recv_cq = c->cq[ST_B_RCQ];
	init.srq = c->srq;
	init.cap.max_recv_wr = 0;
	qp = ib_create_qp(c->pd, &init);
	if (IS_ERR(qp))
		return PTR_ERR(qp);
	c->qp_b = qp;

	/* sroce has no DMA device: ib_dma_map_single() gives the address */
	c->step = "map the buffers";
	c->buf = kzalloc(PAGE_SIZE, GFP_KERNEL);
	if (!c->buf)
		return -ENOMEM;
	c->dma = ib_dma_map_single(c->ibdev, c->buf, PAGE_SIZE,
				   DMA_BIDIRECTIONAL);
	if (ib_dma_mapping_error(c->ibdev, c->dma)) {
		kfree(c->buf);
		c->buf = NULL;
		return -EIO;
	}

	c->step = "post to the SRQ";
	err = st_post_srq(c, 0, ST_PREPOST);
	if (err)
		return err;

	c->step = "find a RoCEv2 GID";
	gid = st_gid(c->ibdev);
	if (!gid)
		return -ENODEV;
	c->step = "connect the QPs";
	err = st_connect(c->qp_a, c->qp_b->qp_num, gid);
	if (!err)
		err = st_connect(c->qp_b, c->qp_a->qp_num, gid);
	rdma_put_gid_attr(gid);
	if (err)
		return err;

	/* not in RESET: the receive for the handler's SEND */
	c->step = "post a receive on A";
	sge = st_sge(c, ST_A_RX, ST_SLOT);
	err = ib_post_recv(c->qp_a, &rwr, &bad);
	if (err)
		return err;
	c->step = "arm the SRQ limit";
	return ib_modify_srq(c->srq, &arm, IB_SRQ_LIMIT);
}

/*
 * SEND number @i (from 0) from A, and its arrival at B from the SRQ: 0 if
 * both completed successfully, B's with the expected WQE and payload.
 */
static int st_send_one(struct st_ctx *c, u32 i)
{
	struct ib_wc wa = {}, wb = {};
	u8 *slot = c->buf + (i % ST_SRQ_WR) * ST_SLOT;
	int err;

	memset(c->buf + ST_A_TX, 0x40 + i, ST_MSG);
	err = st_send(c, c->qp_a, i, ST_A_TX);
	if (err)
		return err;
	if (!st_poll(c->cq[ST_A_SCQ], &wa) || !st_poll(c->cq[ST_B_RCQ], &wb))
		return -ETIMEDOUT;
	if (wa.status != IB_WC_SUCCESS || wa.wr_id != i ||
	    wa.opcode != IB_WC_SEND)
		return -EIO;
	if (wb.status != IB_WC_SUCCESS || wb.wr_id != ST_WRID_SRQ + i ||
	    wb.opcode != IB_WC_RECV || wb.byte_len != ST_MSG ||
	    slot[0] != 0x40 + i || slot[ST_MSG - 1] != 0x40 + i)
		return -EBADMSG;
	return 0;
}

/* The handler's SEND from B: its completion on B, its arrival at A. */
static bool st_reply_arrived(struct st_ctx *c)
{
	struct ib_wc wa = {}, wb = {};

	if (!st_poll(c->cq[ST_B_SCQ], &wb) || !st_poll(c->cq[ST_A_RCQ], &wa))
		return false;
	return wb.status == IB_WC_SUCCESS && wb.wr_id == ST_WRID_B_TX &&
	       wa.status == IB_WC_SUCCESS && wa.wr_id == ST_WRID_A_RX &&
	       wa.byte_len == ST_MSG && c->buf[ST_A_RX] == 0x5a;
}

static const char *st_lock_word(bool came, int taken)
{
	static const char * const word[] = {
		"held for 10 ms", "held, then free", "free",
	};

	return came ? word[taken] : "no event";
}

static void st_report_event(struct st_ctx *c, int n, bool came)
{
	struct st_event *e = &c->ev[n];

	st_result(came && e->right_srq && !e->hardirq,
		  "limit event %d: for the SRQ, not in hard irq (softirq %d, irqs off %d)",
		  n + 1, came && e->softirq, came && e->irqs_off);
	st_result(came && e->srq_lock == 2 && e->resp_lock == 2,
		  "limit event %d: at entry the SRQ lock is %s, the receiving QP's responder lock %s",
		  n + 1, st_lock_word(came, e->srq_lock),
		  st_lock_word(came, e->resp_lock));
	st_result(came && e->resp_lock,
		  "limit event %d: the handler takes the receiving QP's responder lock (%s)",
		  n + 1, st_lock_word(came, e->resp_lock));
}

static void st_run(struct st_ctx *c)
{
	struct ib_qp_init_attr qinit;
	struct ib_qp_attr qa, qb;
	struct st_event *e = &c->ev[0];
	int err, i, ea, eb;
	bool came;

	for (i = 0, err = 0; i < ST_PREPOST - ST_LIMIT && !err; i++)
		err = st_send_one(c, i);
	st_result(!err && !atomic_read(&c->events),
		  "%d SENDs land in SRQ WQEs, no limit event yet (%d, events %d)",
		  ST_PREPOST - ST_LIMIT, err, atomic_read(&c->events));

	memset(c->buf + ST_B_TX, 0x5a, ST_MSG);
	err = st_send_one(c, i);
	came = wait_for_completion_timeout(&c->done[0], 5 * HZ);
	st_result(!err && came,
		  "SEND %d leaves %d WQE: IB_EVENT_SRQ_LIMIT_REACHED (%d)",
		  i + 1, ST_PREPOST - i - 1, err);
	st_report_event(c, 0, came);
	st_result(came && !e->query_err && !e->limit_seen,
		  "handler: ib_query_srq(): the limit is disarmed (%d, limit %u)",
		  came ? e->query_err : 0, came ? e->limit_seen : 0);
	st_result(came && !e->post_srq_err,
		  "handler: ib_post_srq_recv() of %d WQEs (%d)", ST_REPOST,
		  came ? e->post_srq_err : 0);
	st_result(came && !e->modify_err && !e->requery_err &&
		  e->limit_after == ST_LIMIT,
		  "handler: ib_modify_srq() re-arms the limit (%d, limit %u)",
		  came ? e->modify_err : 0, came ? e->limit_after : 0);
	st_result(came && !e->post_send_err && st_reply_arrived(c),
		  "handler: ib_post_send() on the receiving QP; it arrives (%d)",
		  came ? e->post_send_err : 0);

	/* 1 + ST_REPOST WQEs: two SENDs take it under the limit again */
	for (err = 0, i++; i < ST_PREPOST + ST_REPOST - 1 && !err; i++)
		err = st_send_one(c, i);
	came = !err && wait_for_completion_timeout(&c->done[1], 5 * HZ);
	st_result(came, "%d more SENDs use the re-posted WQEs and raise the re-armed event (%d)",
		  ST_REPOST, err);
	st_report_event(c, 1, came);

	ea = ib_query_qp(c->qp_a, &qa, IB_QP_STATE, &qinit);
	eb = ib_query_qp(c->qp_b, &qb, IB_QP_STATE, &qinit);
	st_result(!ea && !eb && qa.qp_state == IB_QPS_RTS &&
		  qb.qp_state == IB_QPS_RTS &&
		  atomic_read(&c->events) == ST_EVENTS &&
		  !atomic_read(&c->other_events),
		  "both QPs still in RTS; %d limit events, %d other SRQ events",
		  atomic_read(&c->events), atomic_read(&c->other_events));
}

/* Destroys what st_setup() made, in reverse; each result is a test. */
static void st_teardown(struct st_ctx *c)
{
	int qa = 0, qb = 0, s = 0, cq_err = 0, err = 0, p = 0, i;

	if (!IS_ERR_OR_NULL(c->qp_b))
		qb = ib_destroy_qp(c->qp_b);
	if (!IS_ERR_OR_NULL(c->qp_a))
		qa = ib_destroy_qp(c->qp_a);
	st_result(!qa && !qb, "destroy both QPs (%d, %d)", qa, qb);
	if (!IS_ERR_OR_NULL(c->srq))
		s = ib_destroy_srq_user(c->srq, NULL);
	st_result(!s, "destroy the SRQ (%d)", s);
	for (i = 0; i < ST_CQS; i++) {
		err = IS_ERR_OR_NULL(c->cq[i]) ? 0 :
		      ib_destroy_cq_user(c->cq[i], NULL);
		if (err && !cq_err)
			cq_err = err;
	}
	st_result(!cq_err, "destroy the %d CQs (%d)", ST_CQS, cq_err);
	/* no QP left to write into the buffers */
	if (c->buf) {
		ib_dma_unmap_single(c->ibdev, c->dma, PAGE_SIZE,
				    DMA_BIDIRECTIONAL);
		kfree(c->buf);
	}
	if (!IS_ERR_OR_NULL(c->pd))
		p = ib_dealloc_pd_user(c->pd, NULL);
	st_result(!p, "dealloc the PD (%d)", p);
}

static int __init st_init(void)
{
	struct st_ctx *c;
	int err, i;

	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	c->ibdev = ib_device_get_by_name(dev, RDMA_DRIVER_RXE);
	if (!c->ibdev) {
		pr_info("sroce_srq_event_test: no device %s\n", dev);
		kfree(c);
		return -ENODEV;
	}
	atomic_set(&c->events, 0);
	atomic_set(&c->other_events, 0);
	for (i = 0; i < ST_EVENTS; i++)
		init_completion(&c->done[i]);

	pr_info("sroce_srq_event_test: TAP version 13\n");
	pr_info("sroce_srq_event_test: 1..%d\n", ST_TESTS);
	err = st_setup(c);
	st_result(!err, "PD, 4 CQs, SRQ (limit %d of %d WQEs), two RC QPs connected (%s: %d)",
		  ST_LIMIT, ST_PREPOST, err ? c->step : "done", err);
	if (err) {
		while (st_n < ST_TESTS - 4)
			st_result(false, "setup failed");
	} else {
		st_run(c);
	}
	st_teardown(c);
	pr_info("sroce_srq_event_test: # totals: pass:%d fail:%d skip:0\n",
		st_n - st_fail, st_fail);
	ib_device_put(c->ibdev);
	kfree(c);
	return 0;
}

static void __exit st_exit(void)
{
}

module_init(st_init);
module_exit(st_exit);
MODULE_DESCRIPTION("sroce selftest: the SRQ limit event with no driver lock held");
MODULE_LICENSE("GPL");
