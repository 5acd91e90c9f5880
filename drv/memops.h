/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sroce: the memory operations of the packet path: remote keys resolved
 * to the MR they let a packet reach (through an MR rkey or a bound memory
 * window), invalidation, fast registration and memory window binding.
 *
 * Who calls what, from which context (any, softirq included; no sleeping):
 *  - sroce_rkey_get(): the responder, under resp.lock, per packet.
 *  - sroce_rkey_get_held(): the responder, under resp.lock, per WRITE
 *    packet; sroce_rkey_release(): whoever owns the hold, any context, once
 *    the packets that share it are done (rx.c: one GSO skb's walk).
 *  - sroce_rkey_flush(): the responder, under resp.lock, for a FLUSH.
 *  - sroce_rkey_invalidate(): the responder, for SEND with invalidate.
 *  - sroce_memop(): the requester, under req.lock, for LOCAL_INV, REG_MR
 *    and BIND_MW work requests, in their place in the send queue.
 */
#ifndef _SROCE_MEMOPS_H
#define _SROCE_MEMOPS_H

#include "mr.h"

struct sroce_qp;
struct sroce_swqe;

/**
 * struct sroce_rkey_hold - an MR kept for the next packets of a WRITE
 * @mr: the MR an rkey of its own resolved to last, or NULL.
 * @ref: the reference that keeps @mr, dropped by sroce_rkey_release();
 *	deregistration waits for it, so a hold lasts a bounded walk only.
 */
struct sroce_rkey_hold {
	struct sroce_mr *mr;
	struct sroce_ref *ref;
};

struct sroce_mr *sroce_rkey_get(struct sroce_qp *qp, u32 rkey, int access,
				u64 va, u64 len, struct sroce_ref **refp);
struct sroce_mr *sroce_rkey_get_held(struct sroce_qp *qp,
				     struct sroce_rkey_hold *hold, u32 rkey,
				     int access, u64 va, u64 len);
void sroce_rkey_release(struct sroce_rkey_hold *hold);
int sroce_rkey_flush(struct sroce_qp *qp, u32 rkey, int access, u64 va,
		     u64 len, bool whole);
int sroce_rkey_invalidate(struct sroce_qp *qp, u32 rkey);
int sroce_memop(struct sroce_qp *qp, const struct sroce_swqe *w);

#endif /* _SROCE_MEMOPS_H */
