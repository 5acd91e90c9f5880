/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sroce: test hooks in debugfs (/sys/kernel/debug/sroce/test).
 *
 * They let the selftests drive the CQ and SRQ datapath helpers
 * (sroce_cq_post(), sroce_srq_pop_wqe()) and the kernel-verbs paths
 * (kernel CQs and SRQs) before a packet path exists to do so. Root only.
 *
 * sroce_debugfs_init() and sroce_debugfs_exit() run at module load and
 * unload (process context). The file's handlers run in process context, one
 * command at a time; each finds its device with ib_device_get_by_name() and
 * its object through core's restrack (rdma_restrack_get_byid()), whose
 * reference keeps the object from being destroyed until it is put.
 *
 * sroce_test_newlink_pause() is called by sroce_newlink() (process context,
 * no lock held) after ib_register_device(): it sleeps once when a test
 * asked for it ("newlink_delay MS") and returns at once otherwise;
 * sroce_test_dealloc_pause() likewise for sroce_dev_dealloc() (process
 * context, no lock held), between its two last steps ("dealloc_delay MS").
 * sroce_test_rnr_pause() is called by the completer as it takes an RNR NAK
 * (softirq, req.lock held) and busy-waits once when asked ("rnr_delay MS").
 */
#ifndef _SROCE_DEBUGFS_H
#define _SROCE_DEBUGFS_H

void sroce_debugfs_init(void);
void sroce_debugfs_exit(void);
void sroce_test_newlink_pause(void);
void sroce_test_dealloc_pause(void);
void sroce_test_rnr_pause(void);

#endif /* _SROCE_DEBUGFS_H */
