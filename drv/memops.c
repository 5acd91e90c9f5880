// SPDX-License-Identifier: GPL-2.0
/*
 * sroce: what remote keys reach, and the work requests that change it.
 * Lifetimes: mr.h and mw.h. A window's binding is read and changed under
 * the window's lock; the MR behind it is then looked up by its own key,
 * so a region deregistered meanwhile fails the access instead of being
 * touched.
 */
#include "memops.h"
#include "mw.h"
#include "qp.h"
#include "wqe.h"

/*
 * What an MR must grant itself for a window bound to it to allow @access:
 * binding (IB_ACCESS_MW_BIND), and local write for remote write or atomic
 * (IB spec, the checks of a bind). A window never grants more than its MR.
 */
static int sroce_mw_mr_access(int access)
{
	int need = IB_ACCESS_MW_BIND;

	if (access & (IB_ACCESS_REMOTE_WRITE | IB_ACCESS_REMOTE_ATOMIC))
		need |= IB_ACCESS_LOCAL_WRITE;
	return need;
}

/*
 * The MR a window grants [@va, @va + @len) of, with a reference. The MR is
 * checked again, by its own key and rights, on every use.
 */
static struct sroce_mr *sroce_mw_target(struct sroce_qp *qp,
					struct sroce_mw *mw, int access,
					u64 va, u64 len,
					struct sroce_ref **refp)
{
	struct sroce_dev *sdev = sroce_qp_dev(qp);
	struct ib_pd *pd = NULL;
	u32 mr_key = 0;
	bool ok;

	spin_lock_bh(&mw->lock);
	ok = mw->state == SROCE_MW_VALID && mw->mr &&
	     mw->ibmw.pd == qp->ibqp.pd &&
	     (mw->ibmw.type == IB_MW_TYPE_1 || mw->qpn == qp->ibqp.qp_num) &&
	     (mw->access & access) == access &&
	     va >= mw->addr && len <= mw->length &&
	     va - mw->addr <= mw->length - len;
	if (ok) {
		mr_key = READ_ONCE(mw->mr->keyed.key);
		pd = mw->mr->pd;
	}
	spin_unlock_bh(&mw->lock);
	if (!ok)
		return ERR_PTR(-EACCES);
	return sroce_mr_get(sdev, mr_key, pd, sroce_mw_mr_access(access), va,
			    len, refp);
}

/**
 * sroce_rkey_get() - the MR that @rkey lets a remote peer reach
 * @qp: the QP the request arrived on (its PD, and type 2 windows' QP).
 * @rkey: from the packet.
 * @access: IB_ACCESS_REMOTE_* needed.
 * @va: first byte accessed.
 * @len: bytes accessed.
 * @refp: the reference to drop with sroce_mr_put().
 *
 * Returns the MR or ERR_PTR(-ENOENT, -EACCES, -ERANGE).
 */
struct sroce_mr *sroce_rkey_get(struct sroce_qp *qp, u32 rkey, int access,
				u64 va, u64 len, struct sroce_ref **refp)
{
	struct sroce_dev *sdev = sroce_qp_dev(qp);
	struct sroce_keyed *keyed;
	struct sroce_ref *ref;
	struct sroce_mr *mr;
	int err;

	keyed = sroce_key_get(sdev, rkey, &ref);
	if (!keyed)
		return ERR_PTR(-ENOENT);
	if (keyed->type == SROCE_KEY_MR) {
		mr = container_of(keyed, struct sroce_mr, keyed);
		err = sroce_mr_check(mr, qp->ibqp.pd, access, va, len);
		if (err) {
			sroce_key_put(ref);
			return ERR_PTR(err);
		}
		*refp = ref;
		return mr;
	}
	mr = sroce_mw_target(qp, container_of(keyed, struct sroce_mw, keyed),
			     access, va, len, refp);
	sroce_key_put(ref);
	return mr;
}

/**
 * sroce_rkey_get_held() - sroce_rkey_get(), keeping the MR in @hold
 * @qp: the QP the request arrived on.
 * @hold: the MR from the last call, if any; owns the reference.
 * @rkey: from the packet or the WRITE under way.
 * @access: IB_ACCESS_REMOTE_* needed.
 * @va: first byte accessed.
 * @len: bytes accessed.
 *
 * An MR that @rkey still names is checked again as a lookup would check
 * it (valid, PD, rights, range), without the lookup. A window's rkey is
 * resolved each time: its binding may change. Returns the MR, valid while
 * @hold is, or ERR_PTR() as sroce_rkey_get().
 */
struct sroce_mr *sroce_rkey_get_held(struct sroce_qp *qp,
				     struct sroce_rkey_hold *hold, u32 rkey,
				     int access, u64 va, u64 len)
{
	struct sroce_mr *mr = hold->mr;
	struct sroce_ref *ref;
	int err;

	if (mr && READ_ONCE(mr->keyed.key) == rkey) {
		err = sroce_mr_check(mr, qp->ibqp.pd, access, va, len);
		return err ? ERR_PTR(err) : mr;
	}
	mr = sroce_rkey_get(qp, rkey, access, va, len, &ref);
	if (IS_ERR(mr))
		return mr;
	sroce_rkey_release(hold);
	hold->mr = mr;
	hold->ref = ref;
	return mr;
}

void sroce_rkey_release(struct sroce_rkey_hold *hold)
{
	if (hold->mr)
		sroce_mr_put(hold->ref);
	hold->mr = NULL;
}

/**
 * sroce_rkey_flush() - whether @rkey lets a remote peer FLUSH
 * @qp: the QP the request arrived on.
 * @rkey: from the packet's RETH.
 * @access: the FLUSH access the placement type needs.
 * @va: first byte of the range.
 * @len: bytes in the range.
 * @whole: the FETH selects the whole MR: its rights matter, not the range.
 *
 * A FLUSH touches no byte, so no reference outlives the check. A window
 * names a range, never a whole region: @whole through one is refused.
 *
 * Returns 0 or -ENOENT, -EACCES, -ERANGE.
 */
int sroce_rkey_flush(struct sroce_qp *qp, u32 rkey, int access, u64 va,
		     u64 len, bool whole)
{
	struct sroce_keyed *keyed;
	struct sroce_ref *ref;
	struct sroce_mr *mr;
	int err;

	if (!whole) {
		mr = sroce_rkey_get(qp, rkey, access, va, len, &ref);
		if (IS_ERR(mr))
			return PTR_ERR(mr);
		sroce_mr_put(ref);
		return 0;
	}
	keyed = sroce_key_get(sroce_qp_dev(qp), rkey, &ref);
	if (!keyed)
		return -ENOENT;
	err = -EACCES;
	if (keyed->type == SROCE_KEY_MR) {
		mr = container_of(keyed, struct sroce_mr, keyed);
		err = sroce_mr_check(mr, qp->ibqp.pd, access,
				     READ_ONCE(mr->iova), 0);
	}
	sroce_key_put(ref);
	return err;
}

static void sroce_mw_unbind_locked(struct sroce_mw *mw)
{
	lockdep_assert_held(&mw->lock);
	if (mw->mr)
		atomic_dec(&mw->mr->num_mw);
	mw->mr = NULL;
	mw->state = SROCE_MW_FREE;
}

/*
 * Invalidates a fast-registered MR or a window: @remote says whether the
 * peer asked (SEND with invalidate: type 2 windows bound to this QP only).
 */
static int sroce_invalidate(struct sroce_qp *qp, u32 key, bool remote)
{
	struct sroce_dev *sdev = sroce_qp_dev(qp);
	struct sroce_keyed *keyed;
	struct sroce_ref *ref;
	struct sroce_mw *mw;
	struct sroce_mr *mr;
	int err = 0;

	keyed = sroce_key_get(sdev, key, &ref);
	if (!keyed)
		return -ENOENT;
	if (keyed->type == SROCE_KEY_MR) {
		mr = container_of(keyed, struct sroce_mr, keyed);
		if (mr->kind != SROCE_MR_FAST_REG || mr->pd != qp->ibqp.pd ||
		    atomic_read(&mr->num_mw))
			err = -EINVAL;
		else
			/* pairs with sroce_mr_get()'s acquire of the state */
			smp_store_release(&mr->state, SROCE_MR_INVALID);
	} else {
		mw = container_of(keyed, struct sroce_mw, keyed);
		spin_lock_bh(&mw->lock);
		if (mw->ibmw.pd != qp->ibqp.pd ||
		    (remote && (mw->ibmw.type != IB_MW_TYPE_2 ||
				mw->qpn != qp->ibqp.qp_num)))
			err = -EINVAL;
		else
			sroce_mw_unbind_locked(mw);
		spin_unlock_bh(&mw->lock);
	}
	sroce_key_put(ref);
	return err;
}

int sroce_rkey_invalidate(struct sroce_qp *qp, u32 rkey)
{
	return sroce_invalidate(qp, rkey, true);
}

/*
 * REG_MR: a kernel ULP's fast registration of an MR it mapped. Only an
 * invalid MR (new, or invalidated since) may be registered (IB spec): a
 * valid one keeps its registration and the WQE fails.
 */
static int sroce_fast_reg(struct sroce_qp *qp, const struct sroce_swqe *w)
{
	struct sroce_mr *mr = to_smr(w->mem.mr);

	if (mr->kind != SROCE_MR_FAST_REG || mr->pd != qp->ibqp.pd ||
	    sroce_key_index(w->mem.key) != sroce_key_index(mr->keyed.key) ||
	    (w->mem.access & ~SROCE_MR_ACCESS_MASK))
		return -EINVAL;
	/* pairs with the release of an invalidation (sroce_invalidate()) */
	if (smp_load_acquire(&mr->state) != SROCE_MR_INVALID)
		return -EINVAL;
	mr->access = w->mem.access;
	mr->iova = mr->ibmr.iova;
	mr->length = mr->ibmr.length;
	WRITE_ONCE(mr->keyed.key, w->mem.key);
	/* pairs with sroce_mr_get()'s acquire of the state */
	smp_store_release(&mr->state, SROCE_MR_VALID);
	return 0;
}

static int sroce_bind_mw(struct sroce_qp *qp, const struct sroce_swqe *w)
{
	struct sroce_dev *sdev = sroce_qp_dev(qp);
	struct sroce_ref *ref, *mr_ref = NULL;
	struct sroce_keyed *keyed;
	struct sroce_mr *mr = NULL;
	struct sroce_mw *mw;
	int err = 0;

	keyed = sroce_key_get(sdev, w->mem.mw_rkey, &ref);
	if (!keyed)
		return -EINVAL;
	if (keyed->type != SROCE_KEY_MW ||
	    sroce_key_index(w->mem.key) != sroce_key_index(w->mem.mw_rkey)) {
		err = -EINVAL;
		goto out_put;
	}
	mw = container_of(keyed, struct sroce_mw, keyed);
	if (mw->ibmw.pd != qp->ibqp.pd) {
		err = -EACCES;
		goto out_put;
	}
	if (w->mem.length) {
		mr = sroce_mr_get(sdev, w->mem.mr_lkey, qp->ibqp.pd,
				  sroce_mw_mr_access(w->mem.access),
				  w->mem.addr, w->mem.length, &mr_ref);
		if (IS_ERR(mr)) {
			err = -EACCES;
			goto out_put;
		}
		if (!sroce_mr_bind_ref(mr)) {
			err = -EACCES;
			goto out_put_mr;
		}
	}

	spin_lock_bh(&mw->lock);
	sroce_mw_unbind_locked(mw);
	if (mr) {
		mw->mr = mr;
		mw->addr = w->mem.addr;
		mw->length = w->mem.length;
		mw->access = w->mem.access;
		mw->qpn = qp->ibqp.qp_num;
		mw->state = SROCE_MW_VALID;
	}
	WRITE_ONCE(mw->keyed.key, w->mem.key);
	mw->ibmw.rkey = w->mem.key;
	spin_unlock_bh(&mw->lock);

out_put_mr:
	if (mr_ref)
		sroce_mr_put(mr_ref);
out_put:
	sroce_key_put(ref);
	return err;
}

/* A LOCAL_INV, REG_MR or BIND_MW work request. Returns 0 or an error. */
int sroce_memop(struct sroce_qp *qp, const struct sroce_swqe *w)
{
	switch (w->opcode) {
	case IB_WR_LOCAL_INV:
		return sroce_invalidate(qp, w->inv_rkey, false);
	case IB_WR_REG_MR:
		return sroce_fast_reg(qp, w);
	case IB_WR_BIND_MW:
		return sroce_bind_mw(qp, w);
	default:
		return -EINVAL;
	}
}
