// SPDX-License-Identifier: GPL-2.0
/*
 * sroce: number → object tables; the lifetime rules are in table.h.
 */
#include <linux/random.h>
#include <linux/slab.h>

#include "table.h"

/*
 * The cyclic search starts at a random index of [min, max], so that the
 * numbers a device hands out (keys, QPNs) cannot be predicted from its age.
 */
void sroce_table_init(struct sroce_table *t, u32 min, u32 max, u32 max_count)
{
	xa_init_flags(&t->xa, XA_FLAGS_ALLOC);
	t->limit = XA_LIMIT(min, max);
	t->next = get_random_u32_inclusive(min, max);
	atomic_set(&t->count, 0);
	t->max_count = max_count;
}

/* Every object is destroyed before its device: an entry left here is a bug. */
void sroce_table_fini(struct sroce_table *t)
{
	WARN_ON(!xa_empty(&t->xa));
	xa_destroy(&t->xa);
}

static struct sroce_ref *sroce_ref_new(struct sroce_table *t, void *obj)
{
	struct sroce_ref *ref;

	if (atomic_inc_return(&t->count) > t->max_count)
		goto err_count;
	ref = kmalloc(sizeof(*ref), GFP_KERNEL);
	if (!ref)
		goto err_count;
	kref_init(&ref->kref);
	init_completion(&ref->released);
	ref->obj = obj;
	return ref;

err_count:
	atomic_dec(&t->count);
	return NULL;
}

static void sroce_ref_free(struct sroce_table *t, struct sroce_ref *ref)
{
	kfree(ref);
	atomic_dec(&t->count);
}

/*
 * Publishes @obj under a free index; -ENOMEM past the table's limit or when
 * the index space is exhausted.
 */
int sroce_table_add(struct sroce_table *t, void *obj, u32 *index,
		    struct sroce_ref **refp)
{
	struct sroce_ref *ref;
	int err;

	ref = sroce_ref_new(t, obj);
	if (!ref)
		return -ENOMEM;
	err = xa_alloc_cyclic(&t->xa, index, ref, t->limit, &t->next,
			      GFP_KERNEL);
	if (err < 0) {
		sroce_ref_free(t, ref);
		return err == -EBUSY ? -ENOMEM : err;
	}
	*refp = ref;
	return 0;
}

/* Publishes @obj under a fixed @index (for example QP1); -EBUSY if taken. */
int sroce_table_add_at(struct sroce_table *t, void *obj, u32 index,
		       struct sroce_ref **refp)
{
	struct sroce_ref *ref;
	int err;

	ref = sroce_ref_new(t, obj);
	if (!ref)
		return -ENOMEM;
	err = xa_insert(&t->xa, index, ref, GFP_KERNEL);
	if (err) {
		sroce_ref_free(t, ref);
		return err;
	}
	*refp = ref;
	return 0;
}

/*
 * Returns the object published under @index with a reference held in
 * *@refp, or NULL. Any context.
 */
void *sroce_table_get(struct sroce_table *t, u32 index,
		      struct sroce_ref **refp)
{
	struct sroce_ref *ref;

	rcu_read_lock();
	ref = xa_load(&t->xa, index);
	if (ref && !kref_get_unless_zero(&ref->kref))
		ref = NULL;
	rcu_read_unlock();
	if (!ref)
		return NULL;
	*refp = ref;
	return ref->obj;
}

static void sroce_ref_release(struct kref *kref)
{
	complete(&container_of(kref, struct sroce_ref, kref)->released);
}

void sroce_ref_put(struct sroce_ref *ref)
{
	kref_put(&ref->kref, sroce_ref_release);
}

/*
 * Unpublishes the entry and waits until nobody holds a reference. The ref
 * itself is freed after a grace period, because a lookup that found it just
 * before the erase may still be about to try its kref.
 */
void sroce_table_remove(struct sroce_table *t, u32 index,
			struct sroce_ref *ref)
{
	might_sleep();
	WARN_ON(xa_erase(&t->xa, index) != ref);
	sroce_ref_put(ref);
	wait_for_completion(&ref->released);
	kfree_rcu(ref, rcu);
	atomic_dec(&t->count);
}
