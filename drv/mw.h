/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sroce: memory windows, types 1 and 2.
 *
 * Who calls what, from which context:
 *  - sroce_alloc_mw()/sroce_dealloc_mw(): ib_core (uverbs or a kernel
 *    ULP), process context, may sleep.
 *  - The packet path finds a window with sroce_key_get() (mr.h), which
 *    returns it with its type SROCE_KEY_MW, and binds, invalidates and
 *    checks it under @lock (any context, bottom halves disabled).
 *
 * Core allocates struct sroce_mw (INIT_RDMA_OBJ_SIZE) and frees it after
 * dealloc_mw returns; dealloc_mw unpublishes the rkey first and waits until
 * the packet path dropped its last reference (restrack/table.h).
 */
#ifndef _SROCE_MW_H
#define _SROCE_MW_H

#include <linux/spinlock.h>
#include <rdma/ib_verbs.h>

#include "mr.h"

enum sroce_mw_state {
	SROCE_MW_FREE,		/* allocated, not bound */
	SROCE_MW_VALID,		/* bound to @mr */
};

/**
 * struct sroce_mw - a memory window
 * @ibmw: core's part; ibmw.type says type 1 or 2, ibmw.rkey the key.
 * @keyed: what the key table points to; its key equals ibmw.rkey after
 *	alloc, and changes with every bind.
 * @sdev: the device.
 * @ref: our key table entry, from alloc_mw until dealloc_mw.
 * @lock: protects the binding below against concurrent binds, invalidates
 *	and checks on other CPUs, and against dealloc_mw.
 * @state: free or bound.
 * @mr: the MR the window is bound to (its num_mw counts the binding,
 *	which keeps dereg_mr from freeing it), NULL when free.
 * @qpn: type 2: the QP the window is bound to.
 * @access: IB_ACCESS_* rights the bind granted.
 * @addr: first byte of the window (iova of @mr's address space).
 * @length: bytes in the window.
 */
struct sroce_mw {
	struct ib_mw ibmw;
	struct sroce_keyed keyed;
	struct sroce_dev *sdev;
	struct sroce_ref *ref;
	spinlock_t lock;	/* the binding: @state, @mr .. @length */
	enum sroce_mw_state state;
	struct sroce_mr *mr;
	u32 qpn;
	int access;
	u64 addr;
	u64 length;
};

static inline struct sroce_mw *to_smw(struct ib_mw *ibmw)
{
	return container_of(ibmw, struct sroce_mw, ibmw);
}

int sroce_alloc_mw(struct ib_mw *ibmw, struct ib_udata *udata);
int sroce_dealloc_mw(struct ib_mw *ibmw);

#endif /* _SROCE_MW_H */
