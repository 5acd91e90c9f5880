/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sroce: the work and completion queue rings (struct rxe_queue_buf).
 *
 * One ring type serves every queue of the rxe user ABI:
 *  - CQ: the kernel produces completions; user space (or a kernel ULP
 *    through poll_cq) consumes them.
 *  - SQ, RQ, SRQ: user space (or a kernel ULP through post_send/post_recv)
 *    produces WQEs; the kernel consumes them.
 * A user queue lives in vmalloc_user() memory that the owner mmap()s through
 * the uverbs file: the create response carries a struct mminfo {offset,
 * size} from sroce_queue_mminfo(), the mmap lands in sroce_mmap(). A kernel
 * queue (udata == NULL) is never mapped.
 *
 * Layout (rdma_user_rxe.h): a header with log2_elem_size and index_mask,
 * producer_index and consumer_index on cache lines of their own, then
 * 2^n slots of 2^log2_elem_size bytes. Indices run in [0, index_mask]; the
 * ring is full when producer + 1 == consumer (mod slots), so it holds
 * slots - 1 entries: sroce_queue_capacity().
 *
 * Trust: a user may write anything into a mapped queue at any time,
 * including the header and the index the kernel owns. The kernel therefore
 * keeps a private copy of every index it owns (@prod when the kernel
 * produces, @cons when it consumes; both for a kernel queue), only ever
 * writes that copy out, masks every index it reads from shared memory and
 * uses its own @index_mask and @log2_elem_size, never the header's. A slot of
 * a user queue may also change while the kernel reads it: copy a WQE out
 * (sroce_queue_copy_out()) before validating it, never validate in place.
 *
 * Memory ordering matches rdma-core's providers/rxe/rxe_queue.h: the
 * producer fills a slot, then publishes the new producer index with a
 * release store; the consumer reads the producer index with an acquire load
 * before reading the slot, and publishes its new consumer index with a
 * release store once it is done with the slot. The producer's full check
 * reads the consumer index with an acquire load, so the slot is not reused
 * before the consumer finished reading it.
 *
 * Who calls what, from which context:
 *  - sroce_queue_init(), sroce_queue_destroy(): create, resize and destroy
 *    verbs, process context, may sleep.
 *  - sroce_queue_transfer(): resize, under the owner's lock that serializes
 *    both its producer and its consumer (no sleeping).
 *  - producer side (sroce_queue_full(), sroce_queue_producer_addr(),
 *    sroce_queue_advance_producer()): any context, under the lock the owner
 *    uses for its producer side (the CQ lock; the SQ/RQ lock of a kernel QP).
 *  - consumer side (sroce_queue_empty(), sroce_queue_consumer_addr(),
 *    sroce_queue_copy_out(), sroce_queue_advance_consumer()): any context,
 *    under the owner's consumer-side lock.
 *  - sroce_queue_count(): under either lock; a snapshot.
 *  - sroce_mmap(), sroce_mmap_free(): ib_core (ops.mmap from the uverbs
 *    file's mmap, process context; ops.mmap_free when the last reference to
 *    a mapping entry drops, process context).
 *
 * Lifetime of user memory: the buffer belongs to its mmap entry, not to the
 * queue. sroce_queue_destroy() removes the entry; ib_core calls
 * sroce_mmap_free(), which vfree()s the buffer, once no mmap() is still
 * being set up on it. Pages already mapped into a process stay allocated
 * until that process unmaps them (the mapping holds page references), so
 * the kernel may drop a queue while user space still has it mapped.
 */
#ifndef _SROCE_QUEUE_H
#define _SROCE_QUEUE_H

#include <linux/bits.h>
#include <linux/types.h>
#include <rdma/ib_verbs.h>
#include <rdma/rdma_user_rxe.h>

/* Who produces into the ring; the kernel owns the other side's index. */
enum sroce_queue_dir {
	SROCE_QUEUE_KERNEL_PRODUCES,	/* CQ */
	SROCE_QUEUE_KERNEL_CONSUMES,	/* SQ, RQ, SRQ */
};

struct sroce_mmap_entry;

/**
 * struct sroce_queue - one ring
 * @buf: the ring; shared with user space for a user queue.
 * @prod: the kernel's producer index, trusted; valid when the kernel
 *	produces (always for a kernel queue). Under the producer-side lock.
 * @cons: the kernel's consumer index, trusted; valid when the kernel
 *	consumes (always for a kernel queue). Under the consumer-side lock.
 * @index_mask: slots - 1, slots a power of two.
 * @log2_elem_size: log2 of the slot size in bytes.
 * @dir: which side the kernel owns in a user queue.
 * @buf_size: bytes of @buf (header and slots), what user space maps.
 * @mmap: the mapping entry of a user queue, NULL for a kernel queue.
 */
struct sroce_queue {
	struct rxe_queue_buf *buf;
	u32 prod;
	u32 cons;
	u32 index_mask;
	u32 log2_elem_size;
	enum sroce_queue_dir dir;
	size_t buf_size;
	struct sroce_mmap_entry *mmap;
};

/* The largest ring: 2^20 slots of at most 64 KiB (checked at init). */
#define SROCE_QUEUE_MAX_SLOTS		BIT(20)
#define SROCE_QUEUE_MAX_ELEM_SIZE	BIT(16)

int sroce_queue_init(struct sroce_queue *q, struct ib_udata *udata,
		     u32 nelem, size_t elem_size, enum sroce_queue_dir dir);
void sroce_queue_destroy(struct sroce_queue *q);
void sroce_queue_mminfo(const struct sroce_queue *q, struct mminfo *mi);
int sroce_queue_transfer(struct sroce_queue *dst, struct sroce_queue *src);

bool sroce_queue_full(const struct sroce_queue *q);
void *sroce_queue_producer_addr(const struct sroce_queue *q);
void sroce_queue_advance_producer(struct sroce_queue *q);

bool sroce_queue_empty(const struct sroce_queue *q);
void *sroce_queue_consumer_addr(const struct sroce_queue *q);
size_t sroce_queue_copy_out(const struct sroce_queue *q, void *dst,
			    size_t len);
void sroce_queue_advance_consumer(struct sroce_queue *q);

u32 sroce_queue_count(const struct sroce_queue *q);
u32 sroce_queue_published(const struct sroce_queue *q);
void *sroce_queue_slot_at(const struct sroce_queue *q, u32 index);
void sroce_queue_reset(struct sroce_queue *q);

/* The ring index after @index. */
static inline u32 sroce_queue_next(const struct sroce_queue *q, u32 index)
{
	return (index + 1) & q->index_mask;
}

int sroce_mmap(struct ib_ucontext *ibuc, struct vm_area_struct *vma);
void sroce_mmap_free(struct rdma_user_mmap_entry *rentry);

/* Entries the ring holds when full: slots - 1. */
static inline u32 sroce_queue_capacity(const struct sroce_queue *q)
{
	return q->index_mask;
}

static inline size_t sroce_queue_elem_size(const struct sroce_queue *q)
{
	return (size_t)1 << q->log2_elem_size;
}

static inline bool sroce_queue_is_user(const struct sroce_queue *q)
{
	return q->mmap;
}

#endif /* _SROCE_QUEUE_H */
