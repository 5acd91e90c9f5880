// SPDX-License-Identifier: GPL-2.0
/*
 * canary_warn: a test module that WARNs once when loaded, and nothing else.
 * tools/canary/run loads it in a guest that must then fail: the kernel-log
 * gate has to see the WARNING (and the "W" taint it leaves).
 */
#include <linux/bug.h>
#include <linux/module.h>

static int __init canary_warn_init(void)
{
	pr_info("canary_warn: warning on purpose\n");
	WARN_ON(1);
	return 0;
}

static void __exit canary_warn_exit(void)
{
}

module_init(canary_warn_init);
module_exit(canary_warn_exit);
MODULE_DESCRIPTION("sroce runner canary: WARNs at load");
MODULE_LICENSE("GPL");
