// SPDX-License-Identifier: GPL-2.0
/*
 * sroce: a software RoCEv2 RDMA driver.
 *
 * Load order: sockets first (they decide whether sroce may load at all),
 * then the netdev notifier, then the link type that lets users create
 * devices. Unload runs the same steps backwards, with every device
 * unregistered before the notifier goes, so that the notifier's unregister
 * replay finds nothing of ours.
 */
#include <linux/module.h>
#include <rdma/rdma_netlink.h>

#include "crc32.h"
#include "debugfs.h"
#include "device.h"
#include "netdev.h"
#include "udp.h"
#include "wire.h"

static struct rdma_link_ops sroce_link_ops = {
	.type = SROCE_DRV_NAME,
	.newlink = sroce_newlink,
};

static int __init sroce_init(void)
{
	int err;

	err = sroce_crc32_selftest();
	if (err)
		return err;

	/* the packet path reads the table as soon as the socket is open */
	sroce_opcode_init();
	err = sroce_udp_init();
	if (err)
		return err;

	err = sroce_netdev_init();
	if (err)
		goto err_close_udp;

	rdma_link_register(&sroce_link_ops);
	sroce_debugfs_init();
	pr_info("sroce: loaded; RoCEv2 on UDP port %d\n", SROCE_UDP_PORT);
	return 0;

err_close_udp:
	sroce_udp_exit();
	return err;
}

static void __exit sroce_exit(void)
{
	sroce_debugfs_exit();
	rdma_link_unregister(&sroce_link_ops);
	sroce_unregister_all();
	sroce_netdev_exit();
	sroce_udp_exit();
	pr_info("sroce: unloaded\n");
}

module_init(sroce_init);
module_exit(sroce_exit);

MODULE_DESCRIPTION("sroce: software RoCEv2 RDMA over any Ethernet netdev");
MODULE_LICENSE("GPL");
MODULE_VERSION(SROCE_VERSION);
MODULE_ALIAS_RDMA_LINK(SROCE_DRV_NAME);
