/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sroce: the memory operations of the packet path: remote keys resolved
 * to the MR they let a packet reach (through an MR rkey or a bound memory
 * window), invalidation, fast registration and memory window binding.
 *
 * Who calls what, from which context (any, softirq included; no sleeping):
 *  - sroce_rkey_get(): the responder, under resp.lock, per packet.
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

struct sroce_mr *sroce_rkey_get(struct sroce_qp *qp, u32 rkey, int access,
				u64 va, u64 len, struct sroce_ref **refp);
int sroce_rkey_flush(struct sroce_qp *qp, u32 rkey, int access, u64 va,
		     u64 len, bool whole);
int sroce_rkey_invalidate(struct sroce_qp *qp, u32 rkey);
int sroce_memop(struct sroce_qp *qp, const struct sroce_swqe *w);

#endif /* _SROCE_MEMOPS_H */
