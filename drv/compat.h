/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sroce: what differs between the kernels sroce builds for (Debian 12's
 * 6.1 and the 6.12 LTS), as named helpers. Kbuild probes the kernel's
 * headers for each difference (SROCE_HAVE_*); this file is the only one
 * that tests them, the code elsewhere calls the helpers.
 */
#ifndef _SROCE_COMPAT_H
#define _SROCE_COMPAT_H

#include <rdma/ib_verbs.h>
#include <rdma/uverbs_ioctl.h>

struct rxe_send_wr;

/* v6.12 moved the unaligned accessors out of asm/ */
#ifdef SROCE_HAVE_LINUX_UNALIGNED
#include <linux/unaligned.h>
#else
#include <asm/unaligned.h>
#endif
/* 6.5 moved __skb_gso_segment() and friends out of netdevice.h */
#ifdef SROCE_HAVE_NET_GSO_H
#include <net/gso.h>
#endif

/*
 * v6.11 hands create_cq the whole attribute bundle instead of the
 * driver's udata; kernel callers pass NULL either way.
 */
#ifdef SROCE_HAVE_CREATE_CQ_ATTRS
#define sroce_create_cq_uarg	uverbs_attr_bundle

static inline struct ib_udata *
sroce_create_cq_udata(struct uverbs_attr_bundle *attrs)
{
	return attrs ? &attrs->driver_udata : NULL;
}
#else
#define sroce_create_cq_uarg	ib_udata

static inline struct ib_udata *sroce_create_cq_udata(struct ib_udata *udata)
{
	return udata;
}
#endif

/*
 * The UDP hash table to look a namespace's sockets up in: one per
 * namespace may exist since v6.2 (net->ipv4.udp_table), one for all
 * before. Macros: only udp.c, which includes net/udp.h, expands them.
 */
#ifdef SROCE_HAVE_NETNS_UDP_TABLE
#define sroce_udp_table(net)	((net)->ipv4.udp_table)
#else
#define sroce_udp_table(net)	(&udp_table)
#endif

/*
 * IBTA 1.5 ATOMIC WRITE. Its uverbs numbers are ABI, the same on every
 * kernel (rdma-core 44's rxe provider writes them into the send ring);
 * v6.2 gave them names in ib_verbs.h, 6.1 has none.
 */
#ifdef SROCE_HAVE_ATOMIC_WRITE
#define SROCE_WR_ATOMIC_WRITE		IB_WR_ATOMIC_WRITE
#define SROCE_WC_ATOMIC_WRITE		IB_WC_ATOMIC_WRITE
#define SROCE_DEVICE_ATOMIC_WRITE	IB_DEVICE_ATOMIC_WRITE
#else
#define SROCE_WR_ATOMIC_WRITE		15	/* IB_UVERBS_WR_ATOMIC_WRITE */
#define SROCE_WC_ATOMIC_WRITE		9	/* IB_UVERBS_WC_ATOMIC_WRITE */
#define SROCE_DEVICE_ATOMIC_WRITE	BIT_ULL(40)
#endif

/*
 * RDMA FLUSH (IBTA 1.5), from v6.2 on: the verbs, the MR access bit that
 * grants it and the send WQE's flush fields. 6.1 can register no MR a
 * FLUSH may target, so sroce offers it only where the kernel has it.
 */
#ifdef SROCE_HAVE_FLUSH
#include <rdma/rdma_user_rxe.h>

#define SROCE_WR_FLUSH			IB_WR_FLUSH
#define SROCE_WC_FLUSH			IB_WC_FLUSH
#define SROCE_DEVICE_FLUSH_GLOBAL	IB_DEVICE_FLUSH_GLOBAL
#define SROCE_ACCESS_FLUSH_GLOBAL	IB_ACCESS_FLUSH_GLOBAL
#define SROCE_ACCESS_FLUSH_PERSISTENT	IB_ACCESS_FLUSH_PERSISTENT

static inline bool sroce_have_flush(void)
{
	return true;
}

/* The target a user's FLUSH WQE names (struct rxe_send_wr's wr.flush). */
static inline void sroce_flush_wr(const struct rxe_send_wr *wr, u64 *va,
				  u32 *len, u32 *rkey, u8 *type, u8 *level)
{
	*va = wr->wr.flush.remote_addr;
	*len = wr->wr.flush.length;
	*rkey = wr->wr.flush.rkey;
	*type = wr->wr.flush.type;
	*level = wr->wr.flush.level;
}
#else
#define SROCE_WR_FLUSH			14	/* IB_UVERBS_WR_FLUSH */
#define SROCE_WC_FLUSH			8	/* IB_UVERBS_WC_FLUSH */
#define SROCE_DEVICE_FLUSH_GLOBAL	0
#define SROCE_ACCESS_FLUSH_GLOBAL	0
#define SROCE_ACCESS_FLUSH_PERSISTENT	0

static inline bool sroce_have_flush(void)
{
	return false;
}

static inline void sroce_flush_wr(const struct rxe_send_wr *wr, u64 *va,
				  u32 *len, u32 *rkey, u8 *type, u8 *level)
{
	*va = 0;
	*len = 0;
	*rkey = 0;
	*type = 0;
	*level = 0;
}
#endif

#endif /* _SROCE_COMPAT_H */
