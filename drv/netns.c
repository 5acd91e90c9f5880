// SPDX-License-Identifier: GPL-2.0
/*
 * sroce: per-namespace RoCEv2 sockets and the rdma_rxe exclusion.
 * Contexts and the rules: netns.h.
 */
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "device.h"
#include "netns.h"
#include "udp.h"

/**
 * struct sroce_net - sroce's state in one network namespace
 * @socks: the RoCEv2 sockets, open while @ndevs is not 0.
 * @ndevs: devices that took the sockets (sroce_net_get()) and have not
 *	given them back yet.
 *
 * Allocated and zeroed by the pernet core before any device can be added
 * in the namespace, freed after sroce_net_exit().
 */
struct sroce_net {
	struct sroce_udp_socks socks;
	unsigned int ndevs;
};

static unsigned int sroce_net_id;

/*
 * Protects every struct sroce_net, sroce_ndevs and sroce_rxe_live. One
 * lock for all namespaces: a namespace's own would live in memory that is
 * freed once its exit returns, while an unlock may still touch it.
 */
static DEFINE_MUTEX(sroce_net_lock);
/* sroce devices holding sockets, in all namespaces */
static unsigned int sroce_ndevs;
/* rdma_rxe is loading or loaded (seen by the module notifier) */
static bool sroce_rxe_live;

#define SROCE_RXE_MODULE	"rdma_rxe"

static struct sroce_net *sroce_net(struct net *net)
{
	return net_generic(net, sroce_net_id);
}

/*
 * rdma_rxe holding the port of the initial namespace, where it opens its
 * sockets at load (named by its receive hook), or seen loading.
 */
static bool sroce_rxe_present(const char *who)
{
	void *hook;

	lockdep_assert_held(&sroce_net_lock);
	hook = sroce_udp_foreign_hook(&init_net);
	if (hook) {
		pr_warn("sroce: %s: UDP port %d of the initial network namespace is held by a kernel socket whose receive hook is %ps: rdma_rxe? It registers devices under sroce's driver id and takes every such device for its own, so sroce adds none, in any namespace, beside it; unload rdma_rxe first\n",
			who, SROCE_UDP_PORT, hook);
		return true;
	}
	if (sroce_rxe_live) {
		pr_warn("sroce: %s: rdma_rxe is loaded; it registers devices under sroce's driver id and takes every such device for its own, so sroce adds none, in any namespace, beside it; unload rdma_rxe first\n",
			who);
		return true;
	}
	return false;
}

/**
 * sroce_net_get() - a device in @net is being added: its sockets
 * @net: the namespace of the device's netdev.
 * @who: the device's name, for the messages.
 *
 * Opens the namespace's sockets for its first device. Fails, saying why
 * and changing nothing, while rdma_rxe is loaded (-EBUSY) or when the port
 * is taken (-EADDRINUSE). Process context; @net is alive (the caller's
 * netdev is in it).
 */
int sroce_net_get(struct net *net, const char *who)
{
	struct sroce_net *sn = sroce_net(net);
	int err = 0;

	mutex_lock(&sroce_net_lock);
	if (sroce_rxe_present(who)) {
		err = -EBUSY;
		goto out;
	}
	if (!sn->ndevs) {
		err = sroce_udp_open(net, &sn->socks, who);
		if (err)
			goto out;
	}
	sn->ndevs++;
	sroce_ndevs++;
out:
	mutex_unlock(&sroce_net_lock);
	return err;
}

/*
 * The reverse, from dealloc_driver. @net's state lives until its pernet
 * exit, which waits for this (netns.h).
 */
void sroce_net_put(struct net *net)
{
	struct sroce_net *sn = sroce_net(net);

	mutex_lock(&sroce_net_lock);
	if (!WARN_ON(!sn->ndevs)) {
		if (!--sn->ndevs)
			sroce_udp_close(&sn->socks);
		sroce_ndevs--;
	}
	mutex_unlock(&sroce_net_lock);
}

/*
 * The namespace is dying (or sroce unloading): every device of ours that
 * counts in it goes, then nothing may hold its sockets any more.
 */
static void __net_exit sroce_net_exit(struct net *net)
{
	struct sroce_net *sn = sroce_net(net);

	sroce_unregister_net(net);
	mutex_lock(&sroce_net_lock);
	if (WARN_ON(sn->ndevs)) {
		sroce_ndevs -= sn->ndevs;
		sn->ndevs = 0;
	}
	sroce_udp_close(&sn->socks);
	mutex_unlock(&sroce_net_lock);
}

static struct pernet_operations sroce_net_ops = {
	.exit = sroce_net_exit,
	.id = &sroce_net_id,
	.size = sizeof(struct sroce_net),
};

/* rdma_rxe may load only while sroce has no device. */
static int sroce_module_event(struct notifier_block *nb, unsigned long state,
			      void *data)
{
	struct module *mod = data;
	int err = 0;

	if (strcmp(mod->name, SROCE_RXE_MODULE))
		return NOTIFY_DONE;

	mutex_lock(&sroce_net_lock);
	if (state == MODULE_STATE_COMING) {
		if (sroce_ndevs) {
			pr_warn("sroce: refusing to let rdma_rxe load: sroce has %u device(s), and rdma_rxe would take them for its own (same driver id); delete them first (rdma link delete)\n",
				sroce_ndevs);
			err = -EBUSY;
		} else {
			sroce_rxe_live = true;
		}
	} else if (state == MODULE_STATE_GOING) {
		sroce_rxe_live = false;
	}
	mutex_unlock(&sroce_net_lock);
	return notifier_from_errno(err);
}

static struct notifier_block sroce_module_notifier = {
	.notifier_call = sroce_module_event,
};

int sroce_netns_init(void)
{
	int err;

	err = register_pernet_subsys(&sroce_net_ops);
	if (err)
		return err;
	err = register_module_notifier(&sroce_module_notifier);
	if (err)
		goto err_unregister_pernet;
	return 0;

err_unregister_pernet:
	unregister_pernet_subsys(&sroce_net_ops);
	return err;
}

/* After every device is gone (sroce_unregister_all()). */
void sroce_netns_exit(void)
{
	unregister_module_notifier(&sroce_module_notifier);
	unregister_pernet_subsys(&sroce_net_ops);
	WARN_ON(sroce_ndevs);
}
