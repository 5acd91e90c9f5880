// SPDX-License-Identifier: GPL-2.0
/*
 * sroce: memory regions, and the key table MRs share with memory windows.
 * The lifetime and locking rules are in mr.h.
 */
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <rdma/restrack.h>
#include <rdma/rdma_netlink.h>

#include "mr.h"

static unsigned int max_mr = SROCE_DEFAULT_MAX_MR;
module_param(max_mr, uint, 0644);
MODULE_PARM_DESC(max_mr, "memory regions per device, read when a device is added (default 65536)");

void sroce_keys_init(struct sroce_dev *sdev)
{
	sdev->max_mr = clamp_t(u32, READ_ONCE(max_mr), 1,
			       SROCE_KEY_INDEX_MAX - SROCE_MAX_MW);
	atomic_set(&sdev->num_mr, 0);
	atomic_set(&sdev->num_mw, 0);
	sroce_table_init(&sdev->keys, 1, SROCE_KEY_INDEX_MAX,
			 sdev->max_mr + SROCE_MAX_MW);
}

void sroce_keys_fini(struct sroce_dev *sdev)
{
	sroce_table_fini(&sdev->keys);
}

/*
 * A random key byte other than @old: a peer that saw one key cannot guess
 * the next, and a stale key stops matching at once.
 */
static u8 sroce_key_new_byte(u8 old)
{
	u8 byte;

	do {
		byte = get_random_u8();
	} while (byte == old);
	return byte;
}

/*
 * Publishes @keyed under a new index. The object must be complete: a lookup
 * may find it as soon as the index is stored, and matches it once the key
 * is written.
 */
int sroce_key_publish(struct sroce_dev *sdev, struct sroce_keyed *keyed,
		      struct sroce_ref **refp)
{
	u32 index;
	int err;

	err = sroce_table_add(&sdev->keys, keyed, &index, refp);
	if (err)
		return err;
	WRITE_ONCE(keyed->key, index << 8 | get_random_u8());
	return 0;
}

/* Unpublishes @keyed and waits until the packet path dropped it. */
void sroce_key_unpublish(struct sroce_dev *sdev, struct sroce_keyed *keyed,
			 struct sroce_ref *ref)
{
	sroce_table_remove(&sdev->keys, sroce_key_index(keyed->key), ref);
}

/*
 * The MR or MW that @key names right now (index and key byte), with a
 * reference in *@refp; NULL for any other key. Any context.
 */
struct sroce_keyed *sroce_key_get(struct sroce_dev *sdev, u32 key,
				  struct sroce_ref **refp)
{
	struct sroce_keyed *keyed;
	struct sroce_ref *ref;

	keyed = sroce_table_get(&sdev->keys, sroce_key_index(key), &ref);
	if (!keyed)
		return NULL;
	if (READ_ONCE(keyed->key) != key) {
		sroce_ref_put(ref);
		return NULL;
	}
	*refp = ref;
	return keyed;
}

static bool sroce_mr_covers(const struct sroce_mr *mr, u64 iova, u64 length)
{
	if (mr->kind == SROCE_MR_DMA)
		return length <= U64_MAX - iova;
	return iova >= mr->iova && length <= mr->length &&
	       iova - mr->iova <= mr->length - length;
}

/**
 * sroce_mr_get - the MR for an lkey or an MR rkey, checked for an access
 * @sdev: the device.
 * @key: lkey or rkey from a WQE or a packet.
 * @pd: the PD of the QP that accesses the MR.
 * @access_needed: IB_ACCESS_* bits the access needs; 0 for a local read.
 * @iova: first byte accessed.
 * @length: bytes accessed (0 allowed).
 * @refp: where the reference goes; drop it with sroce_mr_put().
 *
 * Any context. Returns the MR or ERR_PTR(): -ENOENT for a key that names
 * no valid MR (MW rkeys included: windows are resolved by the bind-aware
 * path), -EACCES for a foreign PD or missing access rights, -ERANGE when
 * [@iova, @iova + @length) is not inside the MR.
 */
struct sroce_mr *sroce_mr_get(struct sroce_dev *sdev, u32 key,
			      struct ib_pd *pd, int access_needed, u64 iova,
			      u64 length, struct sroce_ref **refp)
{
	struct sroce_keyed *keyed;
	struct sroce_ref *ref;
	struct sroce_mr *mr;
	int err;

	keyed = sroce_key_get(sdev, key, &ref);
	if (!keyed)
		return ERR_PTR(-ENOENT);
	if (keyed->type != SROCE_KEY_MR) {
		err = -ENOENT;
		goto err_put;
	}
	mr = container_of(keyed, struct sroce_mr, keyed);
	err = sroce_mr_check(mr, pd, access_needed, iova, length);
	if (err)
		goto err_put;
	*refp = ref;
	return mr;

err_put:
	sroce_ref_put(ref);
	return ERR_PTR(err);
}

/*
 * The checks of sroce_mr_get() on an MR the caller holds a reference to:
 * 0, -ENOENT (not valid), -EACCES (PD, rights) or -ERANGE. Any context.
 */
int sroce_mr_check(struct sroce_mr *mr, struct ib_pd *pd, int access_needed,
		   u64 iova, u64 length)
{
	/* pairs with the fast registration's release of a valid state */
	if (smp_load_acquire(&mr->state) != SROCE_MR_VALID)
		return -ENOENT;
	if (mr->pd != pd || (mr->access & access_needed) != access_needed)
		return -EACCES;
	if (!sroce_mr_covers(mr, iova, length))
		return -ERANGE;
	return 0;
}

/*
 * The page of a user MR holding byte @offset (counted from the start of
 * the first page), and in @n how many of the @length bytes from there it
 * holds; NULL past the end.
 */
static struct page *sroce_mr_user_page(const struct sroce_mr *mr, u64 offset,
				       u32 length, unsigned int *n)
{
	if ((offset >> PAGE_SHIFT) >= mr->npages)
		return NULL;
	*n = min_t(u64, length, PAGE_SIZE - offset_in_page(offset));
	return mr->pages[offset >> PAGE_SHIFT];
}

/**
 * sroce_mr_iter() - walk the bytes of an MR range, a page at a time
 * @mr: the MR, held by the caller (sroce_mr_get() checked the range).
 * @iova: first byte.
 * @length: bytes.
 * @fn: called with each piece mapped at a kernel address (kmap_local);
 *	a non-zero return stops the walk and is returned.
 * @ctx: for @fn.
 *
 * Any context; no allocation.
 */
int sroce_mr_iter(struct sroce_mr *mr, u64 iova, u32 length,
		  int (*fn)(void *ctx, void *va, u32 n), void *ctx)
{
	u64 offset, addr;
	struct page *page;
	unsigned int n;
	void *va;
	int err;

	if (!sroce_mr_covers(mr, iova, length))
		return -ERANGE;

	switch (mr->kind) {
	case SROCE_MR_DMA:
		/* a DMA address of a software device is a kernel address */
		return length ? fn(ctx, (void *)(uintptr_t)iova, length) : 0;
	case SROCE_MR_USER:
		offset = iova - mr->iova + mr->page_offset;
		while (length) {
			page = sroce_mr_user_page(mr, offset, length, &n);
			if (!page)
				return -ERANGE;
			va = kmap_local_page(page);
			err = fn(ctx, va + offset_in_page(offset), n);
			kunmap_local(va);
			if (err)
				return err;
			offset += n;
			length -= n;
		}
		return 0;
	case SROCE_MR_FAST_REG:
		offset = iova - mr->iova + (mr->iova & (mr->ibmr.page_size - 1));
		while (length) {
			u64 block = offset / mr->ibmr.page_size;
			u64 in_block = offset % mr->ibmr.page_size;

			if (block >= mr->fr_npages)
				return -ERANGE;
			addr = mr->fr_pages[block] + in_block;
			n = min_t(u64, length, mr->ibmr.page_size - in_block);
			n = min_t(u64, n, PAGE_SIZE - offset_in_page(addr));
			err = fn(ctx, (void *)(uintptr_t)addr, n);
			if (err)
				return err;
			offset += n;
			length -= n;
		}
		return 0;
	}
	return -EINVAL;
}

/**
 * sroce_mr_iter_pages() - walk the pages behind a user MR range
 * @mr: the MR, held by the caller (sroce_mr_get() checked the range).
 * @iova: first byte.
 * @length: bytes.
 * @fn: called with each piece as a page, an offset in it and a length; a
 *	non-zero return stops the walk and is returned.
 * @ctx: for @fn.
 *
 * Returns -EOPNOTSUPP for other MRs: their memory is kernel memory (slab
 * objects among it), which nothing may take page references on. Any
 * context; no allocation.
 */
int sroce_mr_iter_pages(struct sroce_mr *mr, u64 iova, u32 length,
			int (*fn)(void *ctx, struct page *page,
				  unsigned int off, u32 n),
			void *ctx)
{
	struct page *page;
	unsigned int n;
	u64 offset;
	int err;

	if (mr->kind != SROCE_MR_USER)
		return -EOPNOTSUPP;
	if (!sroce_mr_covers(mr, iova, length))
		return -ERANGE;
	offset = iova - mr->iova + mr->page_offset;
	while (length) {
		page = sroce_mr_user_page(mr, offset, length, &n);
		if (!page)
			return -ERANGE;
		err = fn(ctx, page, offset_in_page(offset), n);
		if (err)
			return err;
		offset += n;
		length -= n;
	}
	return 0;
}

/* sroce_mr_iter() piece callback: copies to or from ctx's buffer. */
int sroce_mr_copy_piece(void *ctx, void *va, u32 n)
{
	struct sroce_copy_ctx *c = ctx;

	if (c->dir == SROCE_COPY_TO_MR)
		memcpy(va, c->buf, n);
	else
		memcpy(c->buf, va, n);
	c->buf += n;
	return 0;
}

/*
 * Access flags an MR may carry: remote write and remote atomic need local
 * write (IB spec); zero-based, on-demand paging and anything unknown are
 * refused. Relaxed ordering (the optional range) and the hugetlb hint mean
 * nothing to a software device and are ignored.
 */
static int sroce_mr_check_access(int access)
{
	access &= ~(IB_ACCESS_OPTIONAL | IB_ACCESS_HUGETLB);
	if (access & ~SROCE_MR_ACCESS_MASK)
		return -EINVAL;
	if ((access & (IB_ACCESS_REMOTE_WRITE | IB_ACCESS_REMOTE_ATOMIC)) &&
	    !(access & IB_ACCESS_LOCAL_WRITE))
		return -EINVAL;
	return 0;
}

static struct sroce_mr *sroce_mr_new(struct ib_pd *ibpd, int access,
				     enum sroce_mr_kind kind)
{
	struct sroce_dev *sdev = to_sdev(ibpd->device);
	struct sroce_mr *mr;
	int err;

	err = sroce_mr_check_access(access);
	if (err)
		return ERR_PTR(err);
	if (atomic_inc_return(&sdev->num_mr) > sdev->max_mr) {
		err = -ENOMEM;
		goto err_count;
	}
	mr = kzalloc(sizeof(*mr), GFP_KERNEL);
	if (!mr) {
		err = -ENOMEM;
		goto err_count;
	}
	mr->keyed.type = SROCE_KEY_MR;
	mr->sdev = sdev;
	mr->kind = kind;
	mr->pd = ibpd;
	mr->access = access & SROCE_MR_ACCESS_MASK;
	return mr;

err_count:
	atomic_dec(&sdev->num_mr);
	return ERR_PTR(err);
}

/* Frees what sroce_mr_new() and the kind's set-up made, once unpublished. */
static void sroce_mr_free(struct sroce_mr *mr)
{
	kvfree(mr->pages);
	if (mr->umem)
		ib_umem_release(mr->umem);
	kfree(mr->fr_pages);
	atomic_dec(&mr->sdev->num_mr);
	kfree(mr);
}

/*
 * The last step of every registration: publishes the key and hands the MR
 * to core, or frees it when the key table refuses.
 */
static struct ib_mr *sroce_mr_publish(struct sroce_mr *mr)
{
	int err;

	err = sroce_key_publish(mr->sdev, &mr->keyed, &mr->ref);
	if (err) {
		sroce_mr_free(mr);
		return ERR_PTR(err);
	}
	mr->ibmr.lkey = mr->keyed.key;
	mr->ibmr.rkey = mr->keyed.key;
	return &mr->ibmr;
}

struct ib_mr *sroce_get_dma_mr(struct ib_pd *ibpd, int access)
{
	struct sroce_mr *mr;

	mr = sroce_mr_new(ibpd, access, SROCE_MR_DMA);
	if (IS_ERR(mr))
		return ERR_CAST(mr);
	mr->state = SROCE_MR_VALID;
	mr->length = U64_MAX;

	return sroce_mr_publish(mr);
}

/* Pins [start, start + length) and lists its pages for the packet path. */
static int sroce_umem_pin(struct ib_device *ibdev, u64 start, u64 length,
			  int access, struct ib_umem **umemp,
			  struct page ***pagesp, unsigned long *npagesp)
{
	struct sg_page_iter iter;
	unsigned long npages, i = 0;
	struct ib_umem *umem;
	struct page **pages;
	int err;

	if (!length || length > SROCE_MAX_MR_SIZE)
		return -EINVAL;
	umem = ib_umem_get(ibdev, start, length, access);
	if (IS_ERR(umem))
		return PTR_ERR(umem);

	npages = ib_umem_num_pages(umem);
	pages = kvmalloc_array(npages, sizeof(*pages), GFP_KERNEL);
	if (!pages) {
		err = -ENOMEM;
		goto err_release_umem;
	}
	for_each_sgtable_page(&umem->sgt_append.sgt, &iter, 0) {
		if (i == npages)
			break;
		pages[i++] = sg_page_iter_page(&iter);
	}
	if (i != npages) {
		err = -EFAULT;
		goto err_free_pages;
	}
	*umemp = umem;
	*pagesp = pages;
	*npagesp = npages;
	return 0;

err_free_pages:
	kvfree(pages);
err_release_umem:
	ib_umem_release(umem);
	return err;
}

struct ib_mr *sroce_reg_user_mr(struct ib_pd *ibpd, u64 start, u64 length,
				u64 iova, int access, struct ib_udata *udata)
{
	struct sroce_mr *mr;
	int err;

	mr = sroce_mr_new(ibpd, access, SROCE_MR_USER);
	if (IS_ERR(mr))
		return ERR_CAST(mr);

	err = sroce_umem_pin(ibpd->device, start, length, access, &mr->umem,
			     &mr->pages, &mr->npages);
	if (err)
		goto err_free_mr;
	mr->iova = iova;
	mr->length = length;
	mr->page_offset = ib_umem_offset(mr->umem);
	mr->state = SROCE_MR_VALID;

	return sroce_mr_publish(mr);

err_free_mr:
	sroce_mr_free(mr);
	return ERR_PTR(err);
}

/*
 * Changes a user MR in place (core keeps its object) and gives it a new key
 * byte. Windows bound to the MR were granted against what it is now: while
 * any are, the MR cannot change (-EBUSY, as for dereg_mr), and while it
 * changes no window can be bound to it. Everything that can fail before the
 * change happens first, so a failure there leaves the MR as it was. The MR
 * is unpublished while it changes, which waits for the packet path to let
 * go of it.
 */
struct ib_mr *sroce_rereg_user_mr(struct ib_mr *ibmr, int flags, u64 start,
				  u64 length, u64 iova, int access,
				  struct ib_pd *ibpd, struct ib_udata *udata)
{
	struct sroce_mr *mr = to_smr(ibmr);
	struct sroce_dev *sdev = mr->sdev;
	struct page **pages = NULL, **old_pages;
	struct ib_umem *umem = NULL, *old_umem;
	unsigned long npages = 0;
	bool repin;
	u32 index;
	int err;

	if (mr->kind != SROCE_MR_USER)
		return ERR_PTR(-EINVAL);
	if (!(flags & IB_MR_REREG_ACCESS))
		access = mr->access;
	err = sroce_mr_check_access(access);
	if (err)
		return ERR_PTR(err);
	access &= SROCE_MR_ACCESS_MASK;
	if (!(flags & IB_MR_REREG_TRANS)) {
		start = mr->umem->address;
		length = mr->length;
		iova = mr->iova;
	}
	/* closes the MR to binds (sroce_mr_bind_ref()) until it is done */
	if (atomic_cmpxchg(&mr->num_mw, 0, SROCE_MR_DEAD) != 0)
		return ERR_PTR(-EBUSY);
	/* read-only pins may be COW copies: writable access needs new pins */
	repin = (flags & IB_MR_REREG_TRANS) ||
		(ib_access_writable(access) && !mr->umem->writable);
	if (repin) {
		err = sroce_umem_pin(ibmr->device, start, length, access,
				     &umem, &pages, &npages);
		if (err)
			goto out_open_binds;
	}

	index = sroce_key_index(mr->keyed.key);
	if (mr->ref) {
		sroce_key_unpublish(sdev, &mr->keyed, mr->ref);
		mr->ref = NULL;
	}

	old_umem = mr->umem;
	old_pages = mr->pages;
	if (repin) {
		mr->umem = umem;
		mr->pages = pages;
		WRITE_ONCE(mr->npages, npages);
		mr->page_offset = ib_umem_offset(umem);
	}
	WRITE_ONCE(mr->access, access);
	mr->iova = iova;
	mr->length = length;
	if (flags & IB_MR_REREG_PD)
		mr->pd = ibpd;
	WRITE_ONCE(mr->keyed.key,
		   index << 8 | sroce_key_new_byte(mr->keyed.key));

	/* the same index unless someone took it meanwhile */
	err = sroce_table_add_at(&sdev->keys, &mr->keyed, index, &mr->ref);
	if (err == -EBUSY)
		err = sroce_key_publish(sdev, &mr->keyed, &mr->ref);
	if (repin) {
		kvfree(old_pages);
		ib_umem_release(old_umem);
	}
	if (err) {
		/* unreachable until dereg_mr, which copes with that */
		mr->ref = NULL;
		goto out_open_binds;
	}
	ibmr->lkey = mr->keyed.key;
	ibmr->rkey = mr->keyed.key;

out_open_binds:
	atomic_set(&mr->num_mw, 0);
	return err ? ERR_PTR(err) : NULL;
}

struct ib_mr *sroce_alloc_mr(struct ib_pd *ibpd, enum ib_mr_type type,
			     u32 max_num_sg)
{
	struct sroce_mr *mr;
	int err;

	if (type != IB_MR_TYPE_MEM_REG || !max_num_sg ||
	    max_num_sg > SROCE_MAX_FAST_REG_PAGES)
		return ERR_PTR(-EINVAL);

	mr = sroce_mr_new(ibpd, 0, SROCE_MR_FAST_REG);
	if (IS_ERR(mr))
		return ERR_CAST(mr);
	mr->fr_pages = kcalloc(max_num_sg, sizeof(*mr->fr_pages), GFP_KERNEL);
	if (!mr->fr_pages) {
		err = -ENOMEM;
		goto err_free_mr;
	}
	mr->fr_max = max_num_sg;
	mr->state = SROCE_MR_INVALID;

	return sroce_mr_publish(mr);

err_free_mr:
	sroce_mr_free(mr);
	return ERR_PTR(err);
}

static int sroce_set_page(struct ib_mr *ibmr, u64 addr)
{
	struct sroce_mr *mr = to_smr(ibmr);

	if (mr->fr_npages == mr->fr_max)
		return -ENOMEM;
	mr->fr_pages[mr->fr_npages++] = addr;
	return 0;
}

/*
 * Collects the page list for the next fast registration (a REG_MR work
 * request). Core has set ibmr->page_size; ib_sg_to_pages() sets ibmr->iova
 * and ibmr->length.
 */
int sroce_map_mr_sg(struct ib_mr *ibmr, struct scatterlist *sg, int sg_nents,
		    unsigned int *sg_offset)
{
	struct sroce_mr *mr = to_smr(ibmr);

	if (mr->kind != SROCE_MR_FAST_REG || !is_power_of_2(ibmr->page_size))
		return -EINVAL;
	mr->fr_npages = 0;
	return ib_sg_to_pages(ibmr, sg, sg_nents, sg_offset, sroce_set_page);
}

/*
 * Core has already removed the MR from restrack (rdma_restrack_del()), so no
 * resource dump can reach it; unpublishing waits out the packet path.
 */
int sroce_dereg_mr(struct ib_mr *ibmr, struct ib_udata *udata)
{
	struct sroce_mr *mr = to_smr(ibmr);

	/*
	 * Windows bound to the MR keep it: refuse. Marking it dead in the
	 * same step closes the gap to the unpublication below, where a bind
	 * still holding a reference from before could otherwise bind a window
	 * to an MR about to be freed (sroce_mr_bind_ref() refuses a dead MR).
	 */
	if (atomic_cmpxchg(&mr->num_mw, 0, SROCE_MR_DEAD) != 0)
		return -EBUSY;
	if (mr->ref)
		sroce_key_unpublish(mr->sdev, &mr->keyed, mr->ref);
	sroce_mr_free(mr);
	return 0;
}

static const char * const sroce_mr_kind_names[] = {
	[SROCE_MR_DMA]		= "dma",
	[SROCE_MR_USER]		= "user",
	[SROCE_MR_FAST_REG]	= "fast_reg",
};

/* `rdma res show mr -dd`: process context, never concurrent with dereg. */
int sroce_fill_res_mr_entry(struct sk_buff *msg, struct ib_mr *ibmr)
{
	struct sroce_mr *mr = to_smr(ibmr);
	struct nlattr *table;

	table = nla_nest_start_noflag(msg, RDMA_NLDEV_ATTR_DRIVER);
	if (!table)
		return -EMSGSIZE;
	if (rdma_nl_put_driver_string(msg, "kind",
				      sroce_mr_kind_names[mr->kind]) ||
	    rdma_nl_put_driver_u32_hex(msg, "access", READ_ONCE(mr->access)) ||
	    rdma_nl_put_driver_u64(msg, "pages",
				   mr->kind == SROCE_MR_FAST_REG ?
				   READ_ONCE(mr->fr_npages) :
				   READ_ONCE(mr->npages)))
		goto err_cancel_table;
	nla_nest_end(msg, table);
	return 0;

err_cancel_table:
	nla_nest_cancel(msg, table);
	return -EMSGSIZE;
}
