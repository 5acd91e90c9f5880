/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sroce: number → object tables for the packet path (QPN → QP, key → MR, ...).
 *
 * Who calls what, from which context:
 *  - sroce_table_add*() and sroce_table_remove(): verbs create and destroy,
 *    process context, may sleep.
 *  - sroce_table_get(): anywhere, softirq included; lock-free (RCU).
 *  - sroce_ref_put(): anywhere, by whoever got a reference.
 *
 * Core allocates the verbs objects and kfree()s them as soon as our destroy
 * returns, without an RCU grace period, so a lookup must never touch the
 * object itself before it owns a reference. Each entry is therefore a small
 * struct sroce_ref of our own, freed after a grace period: a lookup takes a
 * reference on it with kref_get_unless_zero() under RCU, and only then uses
 * ->obj.
 *
 * References: the table holds one from add to remove; every successful
 * get holds one until its put. sroce_table_remove() unpublishes the entry,
 * drops the table's reference and waits on ->released until the last holder
 * put theirs: when it returns nobody can reach the object any more, and the
 * caller may let core free it. No timeouts: a leaked reference shows up as a
 * hung task, not as a use-after-free.
 */
#ifndef _SROCE_TABLE_H
#define _SROCE_TABLE_H

#include <linux/completion.h>
#include <linux/kref.h>
#include <linux/rcupdate.h>
#include <linux/xarray.h>

struct sroce_ref {
	struct kref kref;
	struct completion released;
	void *obj;
	struct rcu_head rcu;
};

/**
 * struct sroce_table - indices [min, max] handed out cyclically
 * @xa: index → struct sroce_ref; its xa_lock serializes writers and the
 *	cyclic cursor, readers only hold RCU.
 * @limit: the index range.
 * @next: where the cyclic search starts, under xa_lock; cyclic so that an
 *	index is not reused while packets for its previous owner may be in
 *	flight, and first set to a random index of the range, so that a
 *	peer cannot predict the numbers (QPNs, keys) a device hands out.
 * @count: entries in use, at most @max_count (the device limit).
 */
struct sroce_table {
	struct xarray xa;
	struct xa_limit limit;
	u32 next;
	atomic_t count;
	u32 max_count;
};

void sroce_table_init(struct sroce_table *t, u32 min, u32 max, u32 max_count);
void sroce_table_fini(struct sroce_table *t);
int sroce_table_add(struct sroce_table *t, void *obj, u32 *index,
		    struct sroce_ref **refp);
int sroce_table_add_at(struct sroce_table *t, void *obj, u32 index,
		       struct sroce_ref **refp);
void *sroce_table_get(struct sroce_table *t, u32 index,
		      struct sroce_ref **refp);
void sroce_table_remove(struct sroce_table *t, u32 index,
			struct sroce_ref *ref);
void sroce_ref_put(struct sroce_ref *ref);

static inline u32 sroce_table_count(struct sroce_table *t)
{
	return atomic_read(&t->count);
}

#endif /* _SROCE_TABLE_H */
