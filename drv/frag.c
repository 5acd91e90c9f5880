// SPDX-License-Identifier: GPL-2.0
/*
 * sroce: per-CPU rings of pages for copied payload (frag.h).
 */
#include <linux/gfp.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/skbuff.h>

#include "frag.h"

/* 32 KiB pages, as the kernel's page_frag cache: 7 units of 4 KiB each */
#define SROCE_FRAG_ORDER	get_order(SZ_32K)
#define SROCE_FRAG_SIZE		(PAGE_SIZE << SROCE_FRAG_ORDER)
/* pages a CPU cycles through: 1 MiB, twice a QP's window of 4 KiB units */
#define SROCE_FRAG_RING		32

/**
 * struct sroce_frag_cache - one CPU's pages; only that CPU, BHs disabled
 * @page: the ring; NULL slots are filled on first use.
 * @cur: the slot being cut.
 * @off: the next free byte of that page.
 */
struct sroce_frag_cache {
	struct page *page[SROCE_FRAG_RING];
	unsigned int cur;
	unsigned int off;
};

static DEFINE_PER_CPU(struct sroce_frag_cache, sroce_frag_caches);

/* Slot @i's page, reused if all its fragments came back, else a new one. */
static struct page *sroce_frag_page(struct sroce_frag_cache *fc, unsigned int i)
{
	struct page *page = fc->page[i];

	/*
	 * Count one: only the ring's reference is left, and nobody else can
	 * take one. The writes that follow depend on this read, so they
	 * cannot pass it, nor the last reader's put_page() (fully ordered).
	 */
	if (page && page_ref_count(page) == 1)
		return page;
	page = alloc_pages(GFP_ATOMIC | __GFP_COMP | __GFP_NOWARN |
			   __GFP_NORETRY | __GFP_NOMEMALLOC, SROCE_FRAG_ORDER);
	if (!page)
		return NULL;
	if (fc->page[i])
		put_page(fc->page[i]);
	fc->page[i] = page;
	return page;
}

/**
 * sroce_frag_alloc() - @len bytes of a page fragment of our own
 * @len: at most 32 KiB.
 *
 * Returns its address (free it with skb_free_frag(), or give its reference
 * to an skb as a page fragment), or NULL.
 */
void *sroce_frag_alloc(unsigned int len)
{
	struct sroce_frag_cache *fc;
	struct page *page;
	unsigned int i;
	void *va;

	lockdep_assert_in_softirq();
	len = SKB_DATA_ALIGN(len);
	if (WARN_ON_ONCE(len > SROCE_FRAG_SIZE))
		return NULL;
	fc = this_cpu_ptr(&sroce_frag_caches);
	i = fc->cur;
	if (!fc->page[i] || fc->off + len > SROCE_FRAG_SIZE) {
		if (fc->page[i])
			i = (i + 1) % SROCE_FRAG_RING;
		page = sroce_frag_page(fc, i);
		if (!page)
			return NULL;
		fc->cur = i;
		fc->off = 0;
	}
	page = fc->page[i];
	get_page(page);
	va = page_address(page) + fc->off;
	fc->off += len;
	return va;
}

void sroce_frag_exit(void)
{
	struct sroce_frag_cache *fc;
	unsigned int i;
	int cpu;

	for_each_possible_cpu(cpu) {
		fc = per_cpu_ptr(&sroce_frag_caches, cpu);
		for (i = 0; i < SROCE_FRAG_RING; i++) {
			if (fc->page[i])
				put_page(fc->page[i]);
			fc->page[i] = NULL;
		}
	}
}
