// SPDX-License-Identifier: GPL-2.0
/*
 * sroce: a software RoCEv2 RDMA driver.
 *
 * Load order: the per-namespace state (no socket yet: a namespace gets
 * its RoCEv2 sockets with its first device, netns.h), then the netdev
 * notifier, then the link type that lets users create devices. Unload runs
 * the same steps backwards, with every device unregistered before the
 * notifier goes, so that the notifier's unregister replay finds nothing of
 * ours, and before the per-namespace state, so that every socket is closed.
 */
#include <linux/module.h>
#include <rdma/rdma_netlink.h>

#include "crc32.h"
#include "debugfs.h"
#include "device.h"
#include "frag.h"
#include "icrc.h"
#include "netdev.h"
#include "netns.h"
#include "rxq.h"
#include "udp.h"
#include "wire.h"

static struct rdma_link_ops sroce_link_ops = {
	.type = SROCE_DRV_NAME,
	.newlink = sroce_newlink,
};

static int __init sroce_init(void)
{
	int err;

	/* first, so that the self-test covers the path it may have chosen */
	sroce_crc32_clmul_init();
	err = sroce_crc32_selftest();
	if (err)
		goto err_clmul_exit;
	err = sroce_icrc_selftest();
	if (err)
		goto err_clmul_exit;

	/* the packet path reads the table as soon as a socket is open */
	sroce_opcode_init();
	err = sroce_netns_init();
	if (err)
		goto err_clmul_exit;

	err = sroce_rxq_wq_init();
	if (err)
		goto err_netns_exit;

	err = sroce_netdev_init();
	if (err)
		goto err_rxq_wq_exit;

	rdma_link_register(&sroce_link_ops);
	sroce_debugfs_init();
	pr_info("sroce: loaded; RoCEv2 on UDP port %d of each namespace with a device\n",
		SROCE_UDP_PORT);
	return 0;

err_rxq_wq_exit:
	sroce_rxq_wq_exit();
err_netns_exit:
	sroce_netns_exit();
err_clmul_exit:
	sroce_crc32_clmul_exit();
	return err;
}

static void __exit sroce_exit(void)
{
	sroce_debugfs_exit();
	rdma_link_unregister(&sroce_link_ops);
	sroce_unregister_all();
	sroce_netdev_exit();
	sroce_frag_exit();
	sroce_rxq_wq_exit();
	sroce_netns_exit();
	sroce_crc32_clmul_exit();
	pr_info("sroce: unloaded\n");
}

module_init(sroce_init);
module_exit(sroce_exit);

MODULE_DESCRIPTION("sroce: software RoCEv2 RDMA over any Ethernet netdev");
MODULE_LICENSE("GPL");
MODULE_VERSION(SROCE_VERSION);
MODULE_ALIAS_RDMA_LINK(SROCE_DRV_NAME);
