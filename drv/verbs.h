/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sroce: the ib_device_ops table and the device/port queries.
 *
 * sroce_verbs_setup() runs once per device from sroce_newlink(), before
 * ib_register_device(). Every op runs in process context, called by ib_core
 * (uverbs commands, netlink, the GID cache) while the device is registered.
 */
#ifndef _SROCE_VERBS_H
#define _SROCE_VERBS_H

#include "device.h"

/* The rxe user ABI (rdma-core's rxe provider checks this version). */
#define SROCE_UVERBS_ABI_VERSION	2

#define SROCE_GID_TABLE_LEN		256
#define SROCE_MAX_PD			0x10000
#define SROCE_MAX_MSG_SIZE		0x80000000U

struct sroce_ucontext {
	struct ib_ucontext ibuc;
};

/*
 * A protection domain carries no state of its own yet: it is the identity
 * that MRs, QPs and AHs are checked against.
 */
struct sroce_pd {
	struct ib_pd ibpd;
};

int sroce_verbs_setup(struct sroce_dev *sdev);
const char *sroce_port_state_name(enum ib_port_state state);

#endif /* _SROCE_VERBS_H */
