/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sroce: memory regions and the key space they share with memory windows.
 *
 * Who calls what, from which context:
 *  - sroce_keys_init()/sroce_keys_fini(): device set-up and
 *    ops.dealloc_driver (process context).
 *  - The verbs (get_dma_mr, reg_user_mr, rereg_user_mr, alloc_mr,
 *    map_mr_sg, dereg_mr): ib_core, process context, may sleep. Core
 *    serializes verbs on one MR (uobject write lock, or the kernel owner),
 *    so no two of them run on the same MR at once; map_mr_sg is called by
 *    kernel ULPs between fast registrations, never concurrently with them.
 *  - sroce_key_get(), sroce_mr_get(): the packet path, any context
 *    (softirq included), lock-free under RCU.
 *  - sroce_key_put()/sroce_mr_put(): whoever got the reference, any context.
 *  - sroce_mr_iter() (and sroce_mr_copy_piece() as its callback) and
 *    sroce_mr_iter_pages() (user MRs, for zero-copy frames): the packet
 *    path, holding a reference from sroce_mr_get() that covered the byte
 *    range; may run in softirq.
 *
 * Keys: lkey == rkey == index << 8 | key byte. The index (24 bits, never 0)
 * is the slot in the device's key table (restrack/table.h), shared by MRs
 * and MWs, handed out cyclically from a random start; the key byte is
 * random on every registration, and a new random byte on every
 * re-registration (for MWs and fast-registered MRs the consumer picks it on
 * every bind or fast registration), so a stale key stops matching at once
 * and no key can be predicted from another.
 *
 * References: the key table holds one reference from publication to
 * unpublication; every successful get holds one until its put. dereg_mr and
 * dealloc_mw unpublish first and wait for the last reference
 * (sroce_table_remove()), so the packet path never sees an MR or MW die
 * under it. rereg_user_mr does the same around the change: while it runs
 * the MR is unreachable, as the IB spec allows. Neither runs while memory
 * windows are bound to the MR (-EBUSY): a window's rights were granted
 * against the MR as it is.
 */
#ifndef _SROCE_MR_H
#define _SROCE_MR_H

#include <linux/bits.h>
#include <linux/limits.h>
#include <rdma/ib_umem.h>
#include <rdma/ib_verbs.h>

#include "compat.h"
#include "device.h"
#include "table.h"

#define SROCE_KEY_INDEX_MAX		0xffffffU
#define SROCE_DEFAULT_MAX_MR		0x10000U
#define SROCE_MAX_MW			0x10000U
#define SROCE_MAX_MR_SIZE		BIT_ULL(32)
#define SROCE_MAX_FAST_REG_PAGES	512U

#define SROCE_MR_ACCESS_MASK	(IB_ACCESS_LOCAL_WRITE | \
				 IB_ACCESS_REMOTE_WRITE | \
				 IB_ACCESS_REMOTE_READ | \
				 IB_ACCESS_REMOTE_ATOMIC | \
				 IB_ACCESS_MW_BIND | \
				 SROCE_ACCESS_FLUSH_GLOBAL)

enum sroce_key_type {
	SROCE_KEY_MR,
	SROCE_KEY_MW,
};

/**
 * struct sroce_keyed - what the key table points to: the first member of
 * both struct sroce_mr and struct sroce_mw
 * @type: which of the two contains it.
 * @key: the full current key (index << 8 | key byte). Written only while
 *	the object is unpublished, or (bind, fast registration) by the packet
 *	path under the owning QP's send serialization; read with READ_ONCE().
 */
struct sroce_keyed {
	enum sroce_key_type type;
	u32 key;
};

enum sroce_mr_kind {
	SROCE_MR_DMA,		/* get_dma_mr: iova is a kernel address */
	SROCE_MR_USER,		/* reg_user_mr: pinned pages of a process */
	SROCE_MR_FAST_REG,	/* alloc_mr: page list from map_mr_sg */
};

enum sroce_mr_state {
	SROCE_MR_INVALID,	/* fast-reg MR without a registration */
	SROCE_MR_VALID,
};

/**
 * struct sroce_mr - a memory region; kzalloc()ed by sroce (core has no
 * object size for MRs in 6.1) and kfree()d in dereg_mr
 * @keyed: what the key table points to.
 * @ibmr: core's part. Core writes ->pd and ->iova/->length of user MRs
 *	after our verbs return, so the packet path uses our copies below.
 * @sdev: the device.
 * @ref: our key table entry, NULL while unpublished (a failed rereg
 *	leaves the MR unpublished until dereg).
 * @kind: DMA, user or fast-reg.
 * @state: valid or not; only fast-reg MRs are ever invalid.
 * @pd: the PD accesses are checked against.
 * @access: IB_ACCESS_* flags granted.
 * @iova: first byte of the region in the I/O virtual address space (for
 *	fast-reg MRs set from ibmr.iova by the fast registration).
 * @length: bytes in the region (unbounded for DMA MRs; for fast-reg MRs
 *	set from ibmr.length by the fast registration).
 * @num_mw: memory windows bound to the MR (bound and unbound by the packet
 *	path); dereg_mr and rereg_user_mr refuse with -EBUSY while any are.
 *	Otherwise dereg_mr sets it to SROCE_MR_DEAD for good, rereg_user_mr
 *	while it changes the MR: no window can be bound meanwhile.
 * @umem: user MRs: the pinned memory.
 * @pages: user MRs: the pinned pages, one per PAGE_SIZE, in order, so that
 *	the byte at @iova + n lives in page (offset + n) >> PAGE_SHIFT where
 *	offset is @page_offset.
 * @page_offset: user MRs: offset of @iova in its first page.
 * @npages: user MRs: entries in @pages.
 * @fr_pages: fast-reg MRs: kernel virtual addresses of the blocks of
 *	ibmr.page_size that map_mr_sg collected (software devices use virtual
 *	addresses as DMA addresses).
 * @fr_max: fast-reg MRs: capacity of @fr_pages (max_num_sg).
 * @fr_npages: fast-reg MRs: blocks collected by the last map_mr_sg.
 */
struct sroce_mr {
	struct sroce_keyed keyed;
	struct ib_mr ibmr;
	struct sroce_dev *sdev;
	struct sroce_ref *ref;
	enum sroce_mr_kind kind;
	enum sroce_mr_state state;
	struct ib_pd *pd;
	int access;
	u64 iova;
	u64 length;
	atomic_t num_mw;
	struct ib_umem *umem;
	struct page **pages;
	unsigned int page_offset;
	unsigned long npages;
	u64 *fr_pages;
	u32 fr_max;
	u32 fr_npages;
};

/* @num_mw of an MR that dereg_mr destroys or rereg_user_mr changes */
#define SROCE_MR_DEAD	INT_MIN

/*
 * A window is being bound to @mr: false if the MR is being destroyed or
 * re-registered.
 */
static inline bool sroce_mr_bind_ref(struct sroce_mr *mr)
{
	return atomic_fetch_add_unless(&mr->num_mw, 1, SROCE_MR_DEAD) !=
	       SROCE_MR_DEAD;
}

static inline struct sroce_mr *to_smr(struct ib_mr *ibmr)
{
	return container_of(ibmr, struct sroce_mr, ibmr);
}

static inline u32 sroce_key_index(u32 key)
{
	return key >> 8;
}

enum sroce_copy_dir {
	SROCE_COPY_TO_MR,
	SROCE_COPY_FROM_MR,
};

void sroce_keys_init(struct sroce_dev *sdev);
void sroce_keys_fini(struct sroce_dev *sdev);
int sroce_key_publish(struct sroce_dev *sdev, struct sroce_keyed *keyed,
		      struct sroce_ref **refp);
void sroce_key_unpublish(struct sroce_dev *sdev, struct sroce_keyed *keyed,
			 struct sroce_ref *ref);

struct sroce_keyed *sroce_key_get(struct sroce_dev *sdev, u32 key,
				  struct sroce_ref **refp);
struct sroce_mr *sroce_mr_get(struct sroce_dev *sdev, u32 key,
			      struct ib_pd *pd, int access_needed, u64 iova,
			      u64 length, struct sroce_ref **refp);
int sroce_mr_check(struct sroce_mr *mr, struct ib_pd *pd, int access_needed,
		   u64 iova, u64 length);
/* What sroce_mr_copy_piece() copies: @buf advances piece by piece. */
struct sroce_copy_ctx {
	void *buf;
	enum sroce_copy_dir dir;
};

int sroce_mr_copy_piece(void *ctx, void *va, u32 n);
int sroce_mr_iter_pages(struct sroce_mr *mr, u64 iova, u32 length,
			int (*fn)(void *ctx, struct page *page,
				  unsigned int off, u32 n),
			void *ctx);
int sroce_mr_iter(struct sroce_mr *mr, u64 iova, u32 length,
		  int (*fn)(void *ctx, void *va, u32 n), void *ctx);

static inline void sroce_key_put(struct sroce_ref *ref)
{
	sroce_ref_put(ref);
}

static inline void sroce_mr_put(struct sroce_ref *ref)
{
	sroce_ref_put(ref);
}

struct ib_mr *sroce_get_dma_mr(struct ib_pd *ibpd, int access);
struct ib_mr *sroce_reg_user_mr(struct ib_pd *ibpd, u64 start, u64 length,
				u64 iova, int access, struct ib_udata *udata);
struct ib_mr *sroce_rereg_user_mr(struct ib_mr *ibmr, int flags, u64 start,
				  u64 length, u64 iova, int access,
				  struct ib_pd *ibpd, struct ib_udata *udata);
struct ib_mr *sroce_alloc_mr(struct ib_pd *ibpd, enum ib_mr_type type,
			     u32 max_num_sg);
int sroce_map_mr_sg(struct ib_mr *ibmr, struct scatterlist *sg, int sg_nents,
		    unsigned int *sg_offset);
int sroce_dereg_mr(struct ib_mr *ibmr, struct ib_udata *udata);
int sroce_fill_res_mr_entry(struct sk_buff *msg, struct ib_mr *ibmr);

#endif /* _SROCE_MR_H */
