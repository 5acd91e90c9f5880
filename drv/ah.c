// SPDX-License-Identifier: GPL-2.0
/*
 * sroce: address handles, with the address vector of the rxe user ABI.
 */
#include <linux/etherdevice.h>
#include <net/ipv6.h>
#include <rdma/ib_addr.h>
#include <rdma/ib_cache.h>

#include "ah.h"

void sroce_ahs_init(struct sroce_dev *sdev)
{
	atomic_set(&sdev->num_ah, 0);
	sroce_table_init(&sdev->ahs, 1, SROCE_AH_NUM_MAX, SROCE_MAX_AH);
}

void sroce_ahs_fini(struct sroce_dev *sdev)
{
	sroce_table_fini(&sdev->ahs);
}

/*
 * RoCEv2 only: the source GID decides IPv4 or IPv6, and the destination GID
 * must be of the same family. Does not sleep.
 */
static int sroce_av_fill(struct rxe_av *av, const struct rdma_ah_attr *attr)
{
	const struct ib_global_route *grh = rdma_ah_read_grh(attr);
	const struct ib_gid_attr *sgid_attr = grh->sgid_attr;
	bool dgid_v4 = ipv6_addr_v4mapped((struct in6_addr *)grh->dgid.raw);

	if (attr->type != RDMA_AH_ATTR_TYPE_ROCE ||
	    !(rdma_ah_get_ah_flags(attr) & IB_AH_GRH) || !sgid_attr ||
	    rdma_ah_get_port_num(attr) != SROCE_PORT)
		return -EINVAL;

	switch (rdma_gid_attr_network_type(sgid_attr)) {
	case RDMA_NETWORK_IPV4:
		if (!dgid_v4)
			return -EINVAL;
		av->network_type = RXE_NETWORK_TYPE_IPV4;
		break;
	case RDMA_NETWORK_IPV6:
		if (dgid_v4)
			return -EINVAL;
		av->network_type = RXE_NETWORK_TYPE_IPV6;
		break;
	default:
		return -EINVAL;
	}

	av->port_num = SROCE_PORT;
	ether_addr_copy(av->dmac, attr->roce.dmac);
	memcpy(av->grh.dgid.raw, grh->dgid.raw, sizeof(av->grh.dgid.raw));
	av->grh.flow_label = grh->flow_label;
	av->grh.sgid_index = grh->sgid_index;
	av->grh.hop_limit = grh->hop_limit;
	av->grh.traffic_class = grh->traffic_class;
	rdma_gid2ip((struct sockaddr *)&av->sgid_addr, &sgid_attr->gid);
	rdma_gid2ip((struct sockaddr *)&av->dgid_addr, &grh->dgid);
	return 0;
}

/* Serves both create_ah (kernel, maybe atomic) and create_user_ah. */
int sroce_create_ah(struct ib_ah *ibah, struct rdma_ah_init_attr *init_attr,
		    struct ib_udata *udata)
{
	struct sroce_dev *sdev = to_sdev(ibah->device);
	struct rdma_ah_attr *attr = init_attr->ah_attr;
	struct sroce_ah *ah = to_sah(ibah);
	struct rxe_create_ah_resp resp = {};
	int err;

	err = sroce_av_fill(&ah->av, attr);
	if (err)
		return err;
	ah->sl = rdma_ah_get_sl(attr);
	ah->static_rate = rdma_ah_get_static_rate(attr);
	/* RCU inside, no sleeping: fine for atomic kernel AHs */
	if (rdma_read_gid_l2_fields(rdma_ah_read_grh(attr)->sgid_attr,
				    &ah->vlan_id, NULL))
		ah->vlan_id = 0xffff;

	if (!udata) {
		/* no table, no allocation: fine in atomic context */
		if (atomic_inc_return(&sdev->num_ah) > SROCE_MAX_AH) {
			atomic_dec(&sdev->num_ah);
			return -ENOMEM;
		}
		return 0;
	}

	if (atomic_inc_return(&sdev->num_ah) > SROCE_MAX_AH) {
		err = -ENOMEM;
		goto err_count;
	}
	err = sroce_table_add(&sdev->ahs, ah, &ah->ah_num, &ah->ref);
	if (err)
		goto err_count;

	resp.ah_num = ah->ah_num;
	err = ib_copy_to_udata(udata, &resp, min(udata->outlen, sizeof(resp)));
	if (err)
		goto err_remove_ah;
	return 0;

err_remove_ah:
	sroce_table_remove(&sdev->ahs, ah->ah_num, ah->ref);
err_count:
	atomic_dec(&sdev->num_ah);
	return err;
}

int sroce_destroy_ah(struct ib_ah *ibah, u32 flags)
{
	struct sroce_dev *sdev = to_sdev(ibah->device);
	struct sroce_ah *ah = to_sah(ibah);

	if (ah->ref) {
		/* user AHs: uverbs destroys them sleepable */
		if (WARN_ON_ONCE(!(flags & RDMA_DESTROY_AH_SLEEPABLE)))
			return -EINVAL;
		sroce_table_remove(&sdev->ahs, ah->ah_num, ah->ref);
	}
	atomic_dec(&sdev->num_ah);
	return 0;
}

/* Core has set attr->grh.sgid_attr and zeroed nothing else we rely on. */
int sroce_query_ah(struct ib_ah *ibah, struct rdma_ah_attr *attr)
{
	struct sroce_ah *ah = to_sah(ibah);
	struct ib_global_route *grh = rdma_ah_retrieve_grh(attr);

	attr->type = RDMA_AH_ATTR_TYPE_ROCE;
	rdma_ah_set_port_num(attr, ah->av.port_num);
	rdma_ah_set_sl(attr, ah->sl);
	rdma_ah_set_static_rate(attr, ah->static_rate);
	rdma_ah_set_ah_flags(attr, IB_AH_GRH);
	memcpy(grh->dgid.raw, ah->av.grh.dgid.raw, sizeof(grh->dgid.raw));
	grh->flow_label = ah->av.grh.flow_label;
	grh->sgid_index = ah->av.grh.sgid_index;
	grh->hop_limit = ah->av.grh.hop_limit;
	grh->traffic_class = ah->av.grh.traffic_class;
	ether_addr_copy(attr->roce.dmac, ah->av.dmac);
	return 0;
}

/*
 * The user AH numbered @ah_num, if it belongs to @pd, with a reference in
 * *@refp; NULL otherwise. Any context.
 */
struct sroce_ah *sroce_ah_get(struct sroce_dev *sdev, u32 ah_num,
			      struct ib_pd *pd, struct sroce_ref **refp)
{
	struct sroce_ref *ref;
	struct sroce_ah *ah;

	ah = sroce_table_get(&sdev->ahs, ah_num, &ref);
	if (!ah)
		return NULL;
	if (ah->ibah.pd != pd) {
		sroce_ref_put(ref);
		return NULL;
	}
	*refp = ref;
	return ah;
}
