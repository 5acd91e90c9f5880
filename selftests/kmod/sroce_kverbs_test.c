// SPDX-License-Identifier: GPL-2.0
/*
 * sroce_kverbs_test: the kernel verbs of sroce's MRs and AHs, through
 * ib_core's kernel API on the device named by dev=, at module load. It
 * prints KTAP lines prefixed "sroce_kverbs_test: " to the kernel log (read
 * by selftests/mr_kverbs.sh) and always loads; rmmod it afterwards.
 *
 * Covered: the DMA MRs core makes for kernel PDs (get_dma_mr), alloc_mr and
 * map_mr_sg for fast registration, and address handles created, queried
 * and destroyed in atomic context (no RDMA_CREATE_AH_SLEEPABLE).
 */
#include <linux/etherdevice.h>
#include <linux/module.h>
#include <linux/scatterlist.h>
#include <linux/spinlock.h>
#include <net/ipv6.h>
#include <rdma/ib_cache.h>
#include <rdma/ib_verbs.h>

static char *dev = "sroce0";
module_param(dev, charp, 0444);

static int kt_n, kt_fail;

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
	if (!IS_ERR(upd))
		ib_dealloc_pd(upd);
	if (!IS_ERR(pd))
		ib_dealloc_pd(pd);
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
		ib_dereg_mr(bad);
	bad = ib_alloc_mr(pd, IB_MR_TYPE_SG_GAPS, 16);
	kt_result(IS_ERR(bad), "alloc_mr of type SG_GAPS is refused");
	if (!IS_ERR(bad))
		ib_dereg_mr(bad);

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
		rdma_destroy_ah(bad, RDMA_DESTROY_AH_SLEEPABLE);
	if (g6)
		rdma_put_gid_attr(g6);
	if (g4)
		rdma_put_gid_attr(g4);
}

static int __init kt_init(void)
{
	struct ib_device *ibdev;
	struct ib_pd *pd;

	ibdev = ib_device_get_by_name(dev, RDMA_DRIVER_RXE);
	if (!ibdev) {
		pr_info("sroce_kverbs_test: no device %s\n", dev);
		return -ENODEV;
	}
	pr_info("sroce_kverbs_test: TAP version 13\n");
	pr_info("sroce_kverbs_test: 1..13\n");
	kt_pds(ibdev);
	pd = ib_alloc_pd(ibdev, 0);
	if (IS_ERR(pd)) {
		ib_device_put(ibdev);
		return PTR_ERR(pd);
	}
	kt_fast_reg(ibdev, pd);
	kt_ah(ibdev, pd);
	ib_dealloc_pd(pd);
	kt_result(true, "PD freed after its MRs and AHs");
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
MODULE_DESCRIPTION("sroce selftest: kernel verbs of MRs and AHs");
MODULE_LICENSE("GPL");
