// SPDX-License-Identifier: GPL-2.0
/*
 * sroce: memory windows. Allocation gives a window an rkey in the key space
 * it shares with MRs; binding it (a work request) is the packet path's.
 */
#include "mw.h"

int sroce_alloc_mw(struct ib_mw *ibmw, struct ib_udata *udata)
{
	struct sroce_dev *sdev = to_sdev(ibmw->device);
	struct sroce_mw *mw = to_smw(ibmw);
	int err;

	if (ibmw->type != IB_MW_TYPE_1 && ibmw->type != IB_MW_TYPE_2)
		return -EINVAL;
	if (atomic_inc_return(&sdev->num_mw) > SROCE_MAX_MW) {
		err = -ENOMEM;
		goto err_count;
	}

	mw->keyed.type = SROCE_KEY_MW;
	mw->sdev = sdev;
	spin_lock_init(&mw->lock);
	mw->state = SROCE_MW_FREE;

	err = sroce_key_publish(sdev, &mw->keyed, &mw->ref);
	if (err)
		goto err_count;
	ibmw->rkey = mw->keyed.key;
	return 0;

err_count:
	atomic_dec(&sdev->num_mw);
	return err;
}

int sroce_dealloc_mw(struct ib_mw *ibmw)
{
	struct sroce_mw *mw = to_smw(ibmw);
	struct sroce_mr *mr;

	sroce_key_unpublish(mw->sdev, &mw->keyed, mw->ref);

	/* nobody else can reach the window now; drop a binding it still has */
	spin_lock_bh(&mw->lock);
	mr = mw->mr;
	mw->mr = NULL;
	mw->state = SROCE_MW_FREE;
	spin_unlock_bh(&mw->lock);
	if (mr)
		atomic_dec(&mr->num_mw);

	atomic_dec(&mw->sdev->num_mw);
	return 0;
}
