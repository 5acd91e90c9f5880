// SPDX-License-Identifier: GPL-2.0
/*
 * sroce_kverbs_test: the kernel verbs of sroce's MRs and AHs, through
 * ib_core's kernel API on the device named by dev=, at module load. It
 * prints KTAP lines prefixed "sroce_kverbs_test: " to the kernel log (read
 * by selftests/mr_kverbs.sh) and always loads; rmmod it afterwards.
 *
 * Covered: the DMA MRs core makes for kernel PDs (get_dma_mr), alloc_mr and
 * map_mr_sg for fast registration, address handles created, queried and
 * destroyed in atomic context (no RDMA_CREATE_AH_SLEEPABLE), and on a
 * kernel RC QP: ib_post_send() refused before RTS, and fast registration
 * (REG_MR) only of an invalid MR; a completion vector per CPU, each
 * vector's comp_handler on its own CPU. The last case checks the
 * teardown: every destroy, dereg and dealloc returned 0 and the PD had no
 * users left.
 */
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/etherdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/scatterlist.h>
#include <linux/spinlock.h>
#include <net/ipv6.h>
#include <rdma/ib_cache.h>
#include <rdma/ib_verbs.h>

static char *dev = "sroce0";
module_param(dev, charp, 0444);

static int kt_n, kt_fail;

/* destroy/dealloc/dereg calls that returned an error (the last case) */
static int kt_teardown_errs;

/* held around the AH verbs to make their context atomic */
static DEFINE_SPINLOCK(kt_atomic_lock);

#define kt_result(cond, fmt, ...) do {					\
	bool __ok = (cond);						\
									\
	kt_n++;								\
	if (!__ok)							\
		kt_fail++;						\
	pr_info("sroce_kverbs_test: %sok %d " fmt "\n",		\
		__ok ? "" : "not ", kt_n, ##__VA_ARGS__);		\
} while (0)

/* Counts a failed teardown call, naming it in the log. */
static void kt_teardown(int err, const char *what)
{
	if (!err)
		return;
	kt_teardown_errs++;
	pr_info("sroce_kverbs_test: # %s failed: %d\n", what, err);
}

static void kt_dealloc_pd(struct ib_pd *pd)
{
	if (!IS_ERR_OR_NULL(pd))
		kt_teardown(ib_dealloc_pd_user(pd, NULL), "dealloc_pd");
}

static void kt_pds(struct ib_device *ibdev)
{
	struct ib_pd *pd, *upd;

	pd = ib_alloc_pd(ibdev, 0);
	upd = ib_alloc_pd(ibdev, IB_PD_UNSAFE_GLOBAL_RKEY);
	kt_result(!IS_ERR(pd) && pd->local_dma_lkey >> 8,
		  "kernel PD gets a DMA MR lkey (%#x)",
		  IS_ERR(pd) ? 0 : pd->local_dma_lkey);
	kt_result(!IS_ERR(pd) && !IS_ERR(upd) &&
		  upd->unsafe_global_rkey == upd->local_dma_lkey &&
		  upd->local_dma_lkey != pd->local_dma_lkey,
		  "unsafe global rkey PD: its own DMA MR, lkey == rkey");
	kt_dealloc_pd(upd);
	kt_dealloc_pd(pd);
}

static void kt_fast_reg(struct ib_device *ibdev, struct ib_pd *pd)
{
	struct scatterlist sg[20];
	struct page *pages;
	struct ib_mr *mr, *bad;
	char *buf;
	int i, n, nents;

	bad = ib_alloc_mr(pd, IB_MR_TYPE_MEM_REG, 513);
	kt_result(PTR_ERR_OR_ZERO(bad) == -EINVAL,
		  "alloc_mr past max_fast_reg_page_list_len fails with EINVAL");
	if (!IS_ERR(bad))
		kt_teardown(ib_dereg_mr(bad), "dereg_mr");
	bad = ib_alloc_mr(pd, IB_MR_TYPE_SG_GAPS, 16);
	kt_result(IS_ERR(bad), "alloc_mr of type SG_GAPS is refused");
	if (!IS_ERR(bad))
		kt_teardown(ib_dereg_mr(bad), "dereg_mr");

	mr = ib_alloc_mr(pd, IB_MR_TYPE_MEM_REG, 16);
	kt_result(!IS_ERR(mr) && mr->lkey == mr->rkey && mr->lkey >> 8,
		  "alloc_mr MEM_REG 16 (key %#x)", IS_ERR(mr) ? 0 : mr->lkey);
	pages = alloc_pages(GFP_KERNEL, 5);
	if (IS_ERR(mr) || !pages) {
		kt_result(0, "map_mr_sg: no MR or pages");
		kt_result(0, "map_mr_sg: no MR or pages");
		goto out;
	}
	buf = page_address(pages);

	/* three entries: a tail, a whole page, a head */
	sg_init_table(sg, 3);
	sg_set_buf(&sg[0], buf + 100, PAGE_SIZE - 100);
	sg_set_buf(&sg[1], buf + PAGE_SIZE, PAGE_SIZE);
	sg_set_buf(&sg[2], buf + 2 * PAGE_SIZE, 500);
	nents = ib_dma_map_sg(ibdev, sg, 3, DMA_BIDIRECTIONAL);
	n = ib_map_mr_sg(mr, sg, nents, NULL, PAGE_SIZE);
	kt_result(nents == 3 && n == 3 && mr->length == 2 * PAGE_SIZE + 400 &&
		  mr->iova == (uintptr_t)buf + 100,
		  "map_mr_sg of 3 entries: %d mapped, length %llu", n,
		  mr->length);
	ib_dma_unmap_sg(ibdev, sg, 3, DMA_BIDIRECTIONAL);

	/* more pages than the MR holds: it maps what fits */
	sg_init_table(sg, 20);
	for (i = 0; i < 20; i++)
		sg_set_buf(&sg[i], buf + i * PAGE_SIZE, PAGE_SIZE);
	nents = ib_dma_map_sg(ibdev, sg, 20, DMA_BIDIRECTIONAL);
	n = ib_map_mr_sg(mr, sg, nents, NULL, PAGE_SIZE);
	kt_result(n == 16 && mr->length == 16 * PAGE_SIZE,
		  "map_mr_sg of 20 pages into 16: %d mapped", n);
	ib_dma_unmap_sg(ibdev, sg, 20, DMA_BIDIRECTIONAL);
out:
	if (pages)
		__free_pages(pages, 5);
	if (!IS_ERR(mr))
		kt_result(!ib_dereg_mr(mr), "dereg_mr of the fast-reg MR");
	else
		kt_result(0, "dereg_mr: no MR");
}

static const struct ib_gid_attr *kt_gid(struct ib_device *ibdev, bool v4)
{
	const struct ib_gid_attr *attr;
	int i;

	for (i = 0; i < ibdev->port_data[1].immutable.gid_tbl_len; i++) {
		attr = rdma_get_gid_attr(ibdev, 1, i);
		if (IS_ERR(attr))
			continue;
		if (attr->gid_type == IB_GID_TYPE_ROCE_UDP_ENCAP &&
		    ipv6_addr_v4mapped((struct in6_addr *)attr->gid.raw) == v4)
			return attr;
		rdma_put_gid_attr(attr);
	}
	return NULL;
}

static void kt_ah(struct ib_device *ibdev, struct ib_pd *pd)
{
	static const u8 mac[ETH_ALEN] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
	const struct ib_gid_attr *g4 = kt_gid(ibdev, true);
	const struct ib_gid_attr *g6 = kt_gid(ibdev, false);
	struct rdma_ah_attr attr = {}, q = {};
	struct ib_ah *ah = ERR_PTR(-ENODEV), *bad;
	int qerr = -ENODEV, derr = -ENODEV;

	if (g4) {
		attr.type = RDMA_AH_ATTR_TYPE_ROCE;
		rdma_ah_set_port_num(&attr, 1);
		rdma_ah_set_grh(&attr, (union ib_gid *)&g4->gid, 0x1234,
				g4->index, 7, 0x20);
		memcpy(attr.roce.dmac, mac, ETH_ALEN);

		spin_lock(&kt_atomic_lock);
		ah = rdma_create_ah(pd, &attr, 0);
		if (!IS_ERR(ah))
			qerr = rdma_query_ah(ah, &q);
		spin_unlock(&kt_atomic_lock);
	}
	kt_result(!IS_ERR(ah), "create_ah in atomic context (%d)",
		  PTR_ERR_OR_ZERO(ah));
	kt_result(!qerr && q.type == RDMA_AH_ATTR_TYPE_ROCE &&
		  (rdma_ah_get_ah_flags(&q) & IB_AH_GRH) &&
		  q.grh.flow_label == 0x1234 && q.grh.hop_limit == 7 &&
		  q.grh.traffic_class == 0x20 && g4 &&
		  q.grh.sgid_index == g4->index &&
		  !memcmp(q.grh.dgid.raw, g4->gid.raw, 16) &&
		  ether_addr_equal(q.roce.dmac, mac),
		  "query_ah returns the address vector");
	if (!IS_ERR(ah)) {
		spin_lock(&kt_atomic_lock);
		derr = rdma_destroy_ah_user(ah, 0, NULL);
		spin_unlock(&kt_atomic_lock);
	}
	kt_result(!derr, "destroy_ah in atomic context");

	bad = ERR_PTR(-ENODEV);
	if (g4 && g6) {
		rdma_ah_set_grh(&attr, (union ib_gid *)&g6->gid, 0, g4->index,
				64, 0);
		bad = rdma_create_ah(pd, &attr, RDMA_CREATE_AH_SLEEPABLE);
	}
	kt_result(PTR_ERR_OR_ZERO(bad) == -EINVAL,
		  "an IPv6 destination from an IPv4 source GID: EINVAL");
	if (!IS_ERR(bad))
		kt_teardown(rdma_destroy_ah_user(bad, RDMA_DESTROY_AH_SLEEPABLE,
						 NULL),
			    "destroy_ah");
	if (g6)
		rdma_put_gid_attr(g6);
	if (g4)
		rdma_put_gid_attr(g4);
}

/* One completion of @cq within about two seconds: 1, or 0 when none came. */
static int kt_poll(struct ib_cq *cq, struct ib_wc *wc)
{
	int i;

	for (i = 0; i < 100; i++) {
		if (ib_poll_cq(cq, 1, wc) == 1)
			return 1;
		msleep(20);
	}
	return 0;
}

/* @qp (RC) through INIT, RTR and RTS towards itself; 0 or an error. */
static int kt_qp_step(struct ib_qp *qp, enum ib_qp_state state,
		      const struct ib_gid_attr *gid)
{
	struct ib_qp_attr a = { .qp_state = state };
	int mask = IB_QP_STATE;

	switch (state) {
	case IB_QPS_INIT:
		a.port_num = 1;
		mask |= IB_QP_PKEY_INDEX | IB_QP_PORT | IB_QP_ACCESS_FLAGS;
		break;
	case IB_QPS_RTR:
		a.path_mtu = IB_MTU_1024;
		a.dest_qp_num = qp->qp_num;
		a.max_dest_rd_atomic = 1;
		a.min_rnr_timer = 12;
		a.ah_attr.type = RDMA_AH_ATTR_TYPE_ROCE;
		rdma_ah_set_port_num(&a.ah_attr, 1);
		rdma_ah_set_grh(&a.ah_attr, (union ib_gid *)&gid->gid, 0,
				gid->index, 64, 0);
		/* nothing goes on the wire: any unicast MAC does */
		eth_random_addr(a.ah_attr.roce.dmac);
		mask |= IB_QP_AV | IB_QP_PATH_MTU | IB_QP_DEST_QPN |
			IB_QP_RQ_PSN | IB_QP_MAX_DEST_RD_ATOMIC |
			IB_QP_MIN_RNR_TIMER;
		break;
	default:
		a.timeout = 14;
		a.retry_cnt = 7;
		a.rnr_retry = 7;
		a.max_rd_atomic = 1;
		mask |= IB_QP_TIMEOUT | IB_QP_RETRY_CNT | IB_QP_RNR_RETRY |
			IB_QP_SQ_PSN | IB_QP_MAX_QP_RD_ATOMIC;
		break;
	}
	return ib_modify_qp(qp, &a, mask);
}

/* ib_post_send() of one SEND: its return, and whether *bad_wr named it. */
static int kt_post_send(struct ib_qp *qp, bool *bad_is_wr)
{
	struct ib_send_wr wr = { .opcode = IB_WR_SEND, .wr_id = 7 };
	const struct ib_send_wr *bad = NULL;
	int err;

	err = ib_post_send(qp, &wr, &bad);
	*bad_is_wr = bad == &wr;
	return err;
}

/*
 * A kernel RC QP: posting a send in RESET, INIT or RTR fails at once with
 * -EINVAL and *bad_wr set (IB spec 10.3.1); in RTS a fast registration
 * (REG_MR) of a new, invalid MR succeeds, and a second one of the same MR,
 * now valid, fails its WQE.
 */
static void kt_qp_post(struct ib_device *ibdev, struct ib_pd *pd)
{
	static const enum ib_qp_state early[] = {
		IB_QPS_RESET, IB_QPS_INIT, IB_QPS_RTR,
	};
	static const char * const early_name[] = { "RESET", "INIT", "RTR" };
	const struct ib_gid_attr *g4 = kt_gid(ibdev, true);
	struct ib_cq_init_attr cq_attr = { .cqe = 16 };
	struct ib_qp_init_attr init = {
		.qp_type = IB_QPT_RC,
		.sq_sig_type = IB_SIGNAL_REQ_WR,
		.cap = { .max_send_wr = 8, .max_recv_wr = 8,
			 .max_send_sge = 1, .max_recv_sge = 1 },
	};
	struct ib_reg_wr reg = {
		.wr = { .opcode = IB_WR_REG_MR, .send_flags = IB_SEND_SIGNALED },
		.access = IB_ACCESS_LOCAL_WRITE | IB_ACCESS_REMOTE_WRITE,
	};
	const struct ib_send_wr *bad;
	struct ib_qp *qp = ERR_PTR(-ENODEV);
	struct ib_mr *mr = ERR_PTR(-ENODEV);
	struct scatterlist sg;
	struct ib_cq *cq;
	struct ib_wc wc1 = {}, wc2 = {};
	struct page *page;
	int i, err, n1 = 0, n2 = 0;
	bool named;

	page = alloc_page(GFP_KERNEL);
	cq = ib_create_cq(ibdev, NULL, NULL, NULL, &cq_attr);
	if (!IS_ERR(cq)) {
		init.send_cq = cq;
		init.recv_cq = cq;
		qp = ib_create_qp(pd, &init);
	}
	if (IS_ERR(qp) || !g4 || !page) {
		for (i = 0; i < 5; i++)
			kt_result(0, "post checks: no CQ, QP, GID or page (%d)",
				  PTR_ERR_OR_ZERO(qp));
		goto out;
	}
	for (i = 0; i < ARRAY_SIZE(early); i++) {
		err = i ? kt_qp_step(qp, early[i], g4) : 0;
		if (!err)
			err = kt_post_send(qp, &named);
		kt_result(err == -EINVAL && named,
			  "ib_post_send() in %s: -EINVAL, *bad_wr set (%d)",
			  early_name[i], err);
	}
	err = kt_qp_step(qp, IB_QPS_RTS, g4);
	mr = err ? ERR_PTR(err) : ib_alloc_mr(pd, IB_MR_TYPE_MEM_REG, 4);
	if (IS_ERR(mr)) {
		kt_result(0, "REG_MR: QP to RTS or alloc_mr failed (%ld)",
			  PTR_ERR(mr));
		kt_result(0, "REG_MR: QP to RTS or alloc_mr failed");
		goto out;
	}
	sg_init_table(&sg, 1);
	sg_set_page(&sg, page, PAGE_SIZE, 0);
	n1 = ib_dma_map_sg(ibdev, &sg, 1, DMA_BIDIRECTIONAL);
	if (n1 == 1 && ib_map_mr_sg(mr, &sg, 1, NULL, PAGE_SIZE) == 1) {
		reg.mr = mr;
		reg.key = mr->rkey;
		reg.wr.wr_id = 1;
		n1 = !ib_post_send(qp, &reg.wr, &bad) && kt_poll(cq, &wc1);
		ib_update_fast_reg_key(mr, ib_inc_rkey(mr->rkey));
		reg.key = mr->rkey;
		reg.wr.wr_id = 2;
		n2 = !ib_post_send(qp, &reg.wr, &bad) && kt_poll(cq, &wc2);
	}
	ib_dma_unmap_sg(ibdev, &sg, 1, DMA_BIDIRECTIONAL);
	kt_result(n1 && wc1.wr_id == 1 && wc1.status == IB_WC_SUCCESS &&
		  wc1.opcode == IB_WC_REG_MR,
		  "REG_MR of a new (invalid) MR in RTS succeeds (status %d)",
		  wc1.status);
	kt_result(n2 && wc2.wr_id == 2 && wc2.status != IB_WC_SUCCESS,
		  "REG_MR of the same MR, now valid, fails its WQE (status %d, %s)",
		  wc2.status, n2 ? "completed" : "no completion");
out:
	if (!IS_ERR(qp))
		kt_teardown(ib_destroy_qp(qp), "destroy_qp");
	if (!IS_ERR(mr))
		kt_teardown(ib_dereg_mr(mr), "dereg_mr of the REG_MR MR");
	if (!IS_ERR(cq))
		kt_teardown(ib_destroy_cq_user(cq, NULL), "destroy_cq");
	if (page)
		__free_page(page);
	if (g4)
		rdma_put_gid_attr(g4);
}

/* What one vector's comp_handler saw. */
struct kt_vec {
	struct completion done;
	atomic_t calls;
	int cpu;
};

static void kt_vec_handler(struct ib_cq *cq, void *ctx)
{
	struct kt_vec *v = ctx;

	v->cpu = smp_processor_id();
	atomic_inc(&v->calls);
	complete(&v->done);
}

/*
 * One completion on a CQ of vector @vec: a receive WQE flushed when its
 * RC QP goes from INIT to ERR, nothing on the wire. Returns 0 when the
 * armed CQ's comp_handler ran once, with its CPU in @v->cpu.
 */
static int kt_vec_once(struct ib_device *ibdev, struct ib_pd *pd, int vec,
		       struct kt_vec *v)
{
	struct ib_cq_init_attr cq_attr = { .cqe = 4, .comp_vector = vec };
	struct ib_qp_init_attr init = {
		.qp_type = IB_QPT_RC,
		.sq_sig_type = IB_SIGNAL_REQ_WR,
		.cap = { .max_send_wr = 1, .max_recv_wr = 1,
			 .max_send_sge = 1, .max_recv_sge = 1 },
	};
	struct ib_qp_attr err_attr = { .qp_state = IB_QPS_ERR };
	struct ib_recv_wr rwr = { .wr_id = 9 };
	const struct ib_recv_wr *bad;
	struct ib_qp *qp = ERR_PTR(-ENODEV);
	struct ib_wc wc;
	struct ib_cq *cq;
	int err;

	init_completion(&v->done);
	atomic_set(&v->calls, 0);
	v->cpu = -1;
	cq = ib_create_cq(ibdev, kt_vec_handler, NULL, v, &cq_attr);
	if (IS_ERR(cq))
		return PTR_ERR(cq);
	init.send_cq = cq;
	init.recv_cq = cq;
	qp = ib_create_qp(pd, &init);
	err = PTR_ERR_OR_ZERO(qp);
	if (!err)
		err = kt_qp_step(qp, IB_QPS_INIT, NULL);
	if (!err)
		err = ib_post_recv(qp, &rwr, &bad);
	if (!err)
		err = ib_req_notify_cq(cq, IB_CQ_NEXT_COMP);
	if (!err)
		err = ib_modify_qp(qp, &err_attr, IB_QP_STATE);
	if (!err && !wait_for_completion_timeout(&v->done, 2 * HZ))
		err = -ETIMEDOUT;
	/* a second call would come now if one were due */
	msleep(50);
	if (!err && atomic_read(&v->calls) != 1)
		err = -EMLINK;
	if (!err && (ib_poll_cq(cq, 1, &wc) != 1 || wc.wr_id != 9 ||
		     wc.status != IB_WC_WR_FLUSH_ERR))
		err = -ENOMSG;
	if (!IS_ERR(qp))
		kt_teardown(ib_destroy_qp(qp), "destroy_qp (vectors)");
	kt_teardown(ib_destroy_cq_user(cq, NULL), "destroy_cq (vectors)");
	return err;
}

/*
 * A completion vector per CPU, as a multi-queue HCA has an interrupt per
 * CPU: each vector's comp_handler runs on one CPU, and the first
 * num_online_cpus() vectors on as many different CPUs; a vector past the
 * last is refused.
 */
static void kt_comp_vectors(struct ib_device *ibdev, struct ib_pd *pd)
{
	struct ib_cq_init_attr past = { .cqe = 4 };
	int n = ibdev->num_comp_vectors, i, j, err = 0;
	int online = num_online_cpus();
	struct kt_vec *v;
	struct ib_cq *cq;
	bool distinct = true;

	kt_result(n == num_possible_cpus(),
		  "num_comp_vectors %d, one per possible CPU (%u)", n,
		  num_possible_cpus());
	past.comp_vector = n;
	cq = ib_create_cq(ibdev, NULL, NULL, NULL, &past);
	kt_result(PTR_ERR_OR_ZERO(cq) == -EINVAL,
		  "a CQ of vector %d (past the last) refused: %d", n,
		  PTR_ERR_OR_ZERO(cq));
	if (!IS_ERR(cq))
		kt_teardown(ib_destroy_cq_user(cq, NULL), "destroy_cq (past)");
	v = kcalloc(max(n, 1), sizeof(*v), GFP_KERNEL);
	if (!v) {
		kt_result(0, "comp_handler per vector: no memory");
		return;
	}
	for (i = 0; i < n && !err; i++) {
		err = kt_vec_once(ibdev, pd, i, &v[i]);
		pr_info("sroce_kverbs_test: # vector %d: comp_handler on CPU %d, %d call(s), %d\n",
			i, v[i].cpu, atomic_read(&v[i].calls), err);
	}
	for (i = 0; i < min(n, online); i++)
		for (j = 0; j < i; j++)
			distinct &= v[i].cpu != v[j].cpu;
	kt_result(n && !err && distinct,
		  "each vector's comp_handler ran once; the first %d on different CPUs (%d)",
		  min(n, online), err);
	kfree(v);
}

static int __init kt_init(void)
{
	struct ib_device *ibdev;
	struct ib_pd *pd;
	int users;

	ibdev = ib_device_get_by_name(dev, RDMA_DRIVER_RXE);
	if (!ibdev) {
		pr_info("sroce_kverbs_test: no device %s\n", dev);
		return -ENODEV;
	}
	pr_info("sroce_kverbs_test: TAP version 13\n");
	pr_info("sroce_kverbs_test: 1..21\n");
	kt_pds(ibdev);
	pd = ib_alloc_pd(ibdev, 0);
	if (IS_ERR(pd)) {
		ib_device_put(ibdev);
		return PTR_ERR(pd);
	}
	kt_fast_reg(ibdev, pd);
	kt_ah(ibdev, pd);
	kt_qp_post(ibdev, pd);
	kt_comp_vectors(ibdev, pd);
	/* every MR, AH, QP and CQ above dropped its reference to the PD */
	users = atomic_read(&pd->usecnt);
	kt_dealloc_pd(pd);
	kt_result(!users && !kt_teardown_errs,
		  "PD unused after its MRs, AHs, QP and CQ (%d users); %d teardown calls failed",
		  users, kt_teardown_errs);
	pr_info("sroce_kverbs_test: # totals: pass:%d fail:%d skip:0\n",
		kt_n - kt_fail, kt_fail);
	ib_device_put(ibdev);
	return 0;
}

static void __exit kt_exit(void)
{
}

module_init(kt_init);
module_exit(kt_exit);
MODULE_DESCRIPTION("sroce selftest: kernel verbs of MRs, AHs and CQ vectors");
MODULE_LICENSE("GPL");
