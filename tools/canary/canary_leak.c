// SPDX-License-Identifier: GPL-2.0
/*
 * canary_leak: a test module that leaks one allocation when loaded.
 * tools/canary/run loads it under the debug kernel, whose kmemleak must
 * report the object (unreferenced once the pointer is overwritten) and so
 * fail the guest run.
 */
#include <linux/compiler.h>
#include <linux/module.h>
#include <linux/slab.h>

/* the only reference, overwritten once the object is filled */
static void *canary_leak_ptr;

static int __init canary_leak_init(void)
{
	canary_leak_ptr = kmalloc(257, GFP_KERNEL);
	if (!canary_leak_ptr)
		return -ENOMEM;
	memset(canary_leak_ptr, 0x5a, 257);
	pr_info("canary_leak: leaking 257 bytes on purpose\n");
	WRITE_ONCE(canary_leak_ptr, NULL);
	return 0;
}

static void __exit canary_leak_exit(void)
{
}

module_init(canary_leak_init);
module_exit(canary_leak_exit);
MODULE_DESCRIPTION("sroce runner canary: leaks at load");
MODULE_LICENSE("GPL");
