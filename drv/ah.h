/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sroce: address handles.
 *
 * Who calls what, from which context:
 *  - sroce_create_ah(): ib_core. For user AHs (uverbs, with udata) process
 *    context; for kernel AHs possibly atomic context: without
 *    RDMA_CREATE_AH_SLEEPABLE in the flags it must not sleep, and does not
 *    (kernel AHs get no AH number and allocate nothing).
 *  - sroce_destroy_ah(): ib_core; user AHs are destroyed sleepable (it
 *    waits for the packet path), kernel AHs need no waiting.
 *  - sroce_query_ah(): ib_core, any context.
 *  - sroce_ah_get()/sroce_ah_put(): the UD packet path, any context, for
 *    the ah_num of a user send WQE. Kernel UD work requests carry the
 *    struct ib_ah itself, which the ULP keeps alive until completion; the
 *    packet path reads its address vector with to_sah()->av.
 *  - sroce_ahs_init()/sroce_ahs_fini(): device set-up and dealloc_driver.
 *
 * References: core allocates struct sroce_ah (INIT_RDMA_OBJ_SIZE) and frees
 * it after destroy_ah returns. A user AH is published in the device's AH
 * table from create to destroy; destroy unpublishes it and waits for the
 * last packet-path reference before core may free it.
 */
#ifndef _SROCE_AH_H
#define _SROCE_AH_H

#include <rdma/ib_verbs.h>
#include <rdma/rdma_user_rxe.h>

#include "device.h"
#include "table.h"

#define SROCE_MAX_AH		0x8000U
#define SROCE_AH_NUM_MAX	0xffffffU

/**
 * struct sroce_ah - an address handle
 * @ibah: core's part.
 * @av: the address vector in the rxe ABI's layout (what a user UD WQE of
 *	an old provider carries inline), written once in create.
 * @sl: service level, kept for query_ah.
 * @static_rate: kept for query_ah.
 * @vlan_id: the VLAN of the source GID's netdev, else 0xffff: the rxe AV
 *	has no room for it.
 * @ah_num: user AHs: the number the rxe provider puts in UD WQEs (never
 *	0); 0 for kernel AHs.
 * @ref: user AHs: our AH table entry.
 */
struct sroce_ah {
	struct ib_ah ibah;
	struct rxe_av av;
	u8 sl;
	u8 static_rate;
	u16 vlan_id;
	u32 ah_num;
	struct sroce_ref *ref;
};

static inline struct sroce_ah *to_sah(struct ib_ah *ibah)
{
	return container_of(ibah, struct sroce_ah, ibah);
}

void sroce_ahs_init(struct sroce_dev *sdev);
void sroce_ahs_fini(struct sroce_dev *sdev);
int sroce_create_ah(struct ib_ah *ibah, struct rdma_ah_init_attr *init_attr,
		    struct ib_udata *udata);
int sroce_destroy_ah(struct ib_ah *ibah, u32 flags);
int sroce_query_ah(struct ib_ah *ibah, struct rdma_ah_attr *attr);
struct sroce_ah *sroce_ah_get(struct sroce_dev *sdev, u32 ah_num,
			      struct ib_pd *pd, struct sroce_ref **refp);

static inline void sroce_ah_put(struct sroce_ref *ref)
{
	sroce_ref_put(ref);
}

#endif /* _SROCE_AH_H */
