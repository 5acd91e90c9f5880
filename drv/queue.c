// SPDX-License-Identifier: GPL-2.0
/*
 * sroce: work and completion queue rings; the rules are in queue.h.
 */
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include <rdma/uverbs_ioctl.h>

#include "queue.h"

/*
 * A user queue's mapping entry. It owns the buffer: core may still hold a
 * reference to the entry (an mmap() in progress) after the queue is gone,
 * so the buffer is freed in sroce_mmap_free(), never by the queue.
 */
struct sroce_mmap_entry {
	struct rdma_user_mmap_entry rentry;
	void *buf;
};

static inline void *sroce_queue_slot(const struct sroce_queue *q, u32 index)
{
	return q->buf->data + ((size_t)(index & q->index_mask) <<
			       q->log2_elem_size);
}

/*
 * The index the other side publishes, masked: never trusted. Acquire: the
 * producer's slot writes (or the consumer's slot reads) happen before.
 */
static inline u32 sroce_queue_peer_prod(const struct sroce_queue *q)
{
	/* pairs with the producer's release of producer_index */
	return smp_load_acquire(&q->buf->producer_index) & q->index_mask;
}

static inline u32 sroce_queue_peer_cons(const struct sroce_queue *q)
{
	/* pairs with the consumer's release of consumer_index */
	return smp_load_acquire(&q->buf->consumer_index) & q->index_mask;
}

/**
 * sroce_queue_init() - allocate a ring
 * @q: the ring to set up (the caller's storage).
 * @udata: the create call's udata for a user queue (then mapped through
 *	the udata's user context), NULL for a kernel queue.
 * @nelem: entries the ring must hold, at least 1.
 * @elem_size: bytes per entry; the slot is this rounded up to a power of 2.
 * @dir: which side the kernel owns.
 *
 * The ring holds at least @nelem entries; sroce_queue_capacity() says how
 * many exactly. Process context. Returns 0, -EINVAL for sizes out of range
 * or -ENOMEM.
 */
int sroce_queue_init(struct sroce_queue *q, struct ib_udata *udata,
		     u32 nelem, size_t elem_size, enum sroce_queue_dir dir)
{
	struct ib_ucontext *uctx = NULL;
	struct sroce_mmap_entry *entry;
	size_t size;
	u32 slots;
	int err;

	if (!nelem || nelem >= SROCE_QUEUE_MAX_SLOTS || !elem_size ||
	    elem_size > SROCE_QUEUE_MAX_ELEM_SIZE)
		return -EINVAL;
	if (udata) {
		uctx = container_of(udata, struct uverbs_attr_bundle,
				    driver_udata)->context;
		if (!uctx)
			return -EINVAL;
	}

	memset(q, 0, sizeof(*q));
	slots = roundup_pow_of_two(nelem + 1);
	q->index_mask = slots - 1;
	q->log2_elem_size = order_base_2(elem_size);
	q->dir = dir;
	size = sizeof(*q->buf) + ((size_t)slots << q->log2_elem_size);
	q->buf_size = size;

	q->buf = uctx ? vmalloc_user(size) : vzalloc(size);
	if (!q->buf)
		return -ENOMEM;
	q->buf->log2_elem_size = q->log2_elem_size;
	q->buf->index_mask = q->index_mask;
	if (!uctx)
		return 0;

	entry = kzalloc(sizeof(*entry), GFP_KERNEL);
	if (!entry) {
		err = -ENOMEM;
		goto err_free_buf;
	}
	entry->buf = q->buf;
	err = rdma_user_mmap_entry_insert(uctx, &entry->rentry, size);
	if (err)
		goto err_free_entry;
	q->mmap = entry;
	return 0;

err_free_entry:
	kfree(entry);
err_free_buf:
	vfree(q->buf);
	q->buf = NULL;
	return err;
}

/**
 * sroce_queue_destroy() - release a ring
 * @q: a ring set up by sroce_queue_init(), or zeroed (then a no-op).
 *
 * A user queue's memory goes when its last mapping setup is done; see
 * queue.h. Process context.
 */
void sroce_queue_destroy(struct sroce_queue *q)
{
	if (!q->buf)
		return;
	if (q->mmap)
		rdma_user_mmap_entry_remove(&q->mmap->rentry);
	else
		vfree(q->buf);
	q->buf = NULL;
	q->mmap = NULL;
}

/* The {offset, size} user space passes to mmap(); zeroes for a kernel queue. */
void sroce_queue_mminfo(const struct sroce_queue *q, struct mminfo *mi)
{
	memset(mi, 0, sizeof(*mi));
	if (!q->mmap)
		return;
	mi->offset = rdma_user_mmap_get_offset(&q->mmap->rentry);
	mi->size = q->buf_size;
}

/**
 * sroce_queue_transfer() - move the pending entries of @src into @dst
 * @dst: a new, empty ring of the same direction with slots at least as
 *	large as @src's.
 * @src: the ring being replaced.
 *
 * For resize: the entries between consumer and producer of @src go to the
 * start of @dst, in order, and @dst's indices are set to match. @src is left
 * unchanged. The caller holds the lock that serializes both sides of @src
 * and @dst. Returns 0, or -ENOSPC when @dst cannot hold them (nothing moved).
 */
int sroce_queue_transfer(struct sroce_queue *dst, struct sroce_queue *src)
{
	size_t len = sroce_queue_elem_size(src);
	u32 n = sroce_queue_count(src);
	u32 first, i;

	if (dst->log2_elem_size < src->log2_elem_size || dst->dir != src->dir)
		return -EINVAL;
	if (n > sroce_queue_capacity(dst))
		return -ENOSPC;

	first = src->dir == SROCE_QUEUE_KERNEL_PRODUCES ?
		sroce_queue_peer_cons(src) : src->cons;
	for (i = 0; i < n; i++)
		memcpy(sroce_queue_slot(dst, i),
		       sroce_queue_slot(src, first + i), len);
	dst->prod = n;
	dst->cons = 0;
	WRITE_ONCE(dst->buf->consumer_index, 0);
	/* the copied slots are visible before the index that covers them */
	smp_store_release(&dst->buf->producer_index, n);
	return 0;
}

/* Producer side: full when one more entry would make producer == consumer. */
bool sroce_queue_full(const struct sroce_queue *q)
{
	return ((q->prod + 1) & q->index_mask) == sroce_queue_peer_cons(q);
}

/* The slot to fill next, or NULL when the ring is full. */
void *sroce_queue_producer_addr(const struct sroce_queue *q)
{
	if (sroce_queue_full(q))
		return NULL;
	return sroce_queue_slot(q, q->prod);
}

/* Publishes the slot from sroce_queue_producer_addr() to the consumer. */
void sroce_queue_advance_producer(struct sroce_queue *q)
{
	q->prod = (q->prod + 1) & q->index_mask;
	/* the slot's contents are visible before the index that covers it */
	smp_store_release(&q->buf->producer_index, q->prod);
}

/* Consumer side: nothing published past our consumer index. */
bool sroce_queue_empty(const struct sroce_queue *q)
{
	return sroce_queue_peer_prod(q) == q->cons;
}

/*
 * The oldest published slot, or NULL when the ring is empty. In a user queue
 * its contents may change under the reader: use sroce_queue_copy_out().
 */
void *sroce_queue_consumer_addr(const struct sroce_queue *q)
{
	if (sroce_queue_empty(q))
		return NULL;
	return sroce_queue_slot(q, q->cons);
}

/*
 * Copies the oldest published entry (at most @len bytes, at most a slot) to
 * @dst without consuming it. Returns the bytes copied, 0 when empty.
 */
size_t sroce_queue_copy_out(const struct sroce_queue *q, void *dst,
			    size_t len)
{
	void *src = sroce_queue_consumer_addr(q);

	if (!src)
		return 0;
	len = min(len, sroce_queue_elem_size(q));
	memcpy(dst, src, len);
	return len;
}

/* Hands the oldest slot back to the producer; the ring must not be empty. */
void sroce_queue_advance_consumer(struct sroce_queue *q)
{
	q->cons = (q->cons + 1) & q->index_mask;
	/* our reads of the slot are done before the producer may reuse it */
	smp_store_release(&q->buf->consumer_index, q->cons);
}

/* Entries published and not yet consumed, seen from the kernel's side. */
u32 sroce_queue_count(const struct sroce_queue *q)
{
	u32 prod, cons;

	if (q->dir == SROCE_QUEUE_KERNEL_PRODUCES) {
		prod = q->prod;
		cons = sroce_queue_peer_cons(q);
	} else {
		prod = sroce_queue_peer_prod(q);
		cons = q->cons;
	}
	return (prod - cons) & q->index_mask;
}

/*
 * Consumer side: the producer's published index, masked. Slots from our
 * consumer index up to it may be read (copied out) in any order.
 */
u32 sroce_queue_published(const struct sroce_queue *q)
{
	return sroce_queue_peer_prod(q);
}

/* The slot of ring index @index (masked): for consumers reading ahead. */
void *sroce_queue_slot_at(const struct sroce_queue *q, u32 index)
{
	return sroce_queue_slot(q, index);
}

/*
 * Empties a ring the kernel consumes (SQ, RQ), as a QP reset must. A kernel
 * queue starts again from 0. A user queue's producer index is the
 * provider's, and rdma-core's rxe provider leaves it where it was when the
 * QP is reset: the ring is emptied from our side, the consumer index moved
 * up to the producer's, so that nothing posted before the reset can look
 * posted again. Caller holds both sides' locks.
 */
void sroce_queue_reset(struct sroce_queue *q)
{
	if (!sroce_queue_is_user(q)) {
		q->prod = 0;
		q->cons = 0;
		WRITE_ONCE(q->buf->producer_index, 0);
		WRITE_ONCE(q->buf->consumer_index, 0);
		return;
	}
	if (q->dir != SROCE_QUEUE_KERNEL_CONSUMES)
		return;
	q->cons = sroce_queue_peer_prod(q);
	/* our reads of the dropped slots are done before they are reused */
	smp_store_release(&q->buf->consumer_index, q->cons);
}

/* ops.mmap: maps a queue announced in a create or resize response. */
int sroce_mmap(struct ib_ucontext *ibuc, struct vm_area_struct *vma)
{
	struct rdma_user_mmap_entry *rentry;
	struct sroce_mmap_entry *entry;
	int err;

	/* checks VM_SHARED and that the length matches the entry */
	rentry = rdma_user_mmap_entry_get(ibuc, vma);
	if (!rentry)
		return -EINVAL;
	entry = container_of(rentry, struct sroce_mmap_entry, rentry);
	err = remap_vmalloc_range(vma, entry->buf, 0);
	rdma_user_mmap_entry_put(rentry);
	return err;
}

/* ops.mmap_free: the entry's last reference is gone, and with it the queue. */
void sroce_mmap_free(struct rdma_user_mmap_entry *rentry)
{
	struct sroce_mmap_entry *entry =
		container_of(rentry, struct sroce_mmap_entry, rentry);

	vfree(entry->buf);
	kfree(entry);
}
