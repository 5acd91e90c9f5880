/* SPDX-License-Identifier: GPL-2.0 */
/*
 * For sroce's C selftests: a sroce device on a fresh veth pair, opened
 * through libibverbs, and its removal. Runs as root in the test guest.
 */
#ifndef SROCE_DEV_H
#define SROCE_DEV_H

#include <string.h>
#include <infiniband/verbs.h>

#include "ktap.h"

static inline int sroce_run(const char *cmd)
{
	int rc = system(cmd);

	if (rc)
		ktap_info("'%s' exited %d", cmd, rc);
	return rc;
}

/* Removes device @dev and veth @veth, whether they exist or not. */
static inline void sroce_dev_remove(const char *dev, const char *veth)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd),
		 "rdma link delete %s 2>/dev/null; ip link del %s 2>/dev/null; true",
		 dev, veth);
	if (system(cmd))
		ktap_info("teardown: shell failed");
}

/* Opens the RDMA device named @dev, or returns NULL. */
static inline struct ibv_context *sroce_dev_open(const char *dev)
{
	struct ibv_context *ctx = NULL;
	struct ibv_device **list;
	int i, n;

	list = ibv_get_device_list(&n);
	if (!list)
		return NULL;
	for (i = 0; i < n && !ctx; i++)
		if (!strcmp(ibv_get_device_name(list[i]), dev))
			ctx = ibv_open_device(list[i]);
	ibv_free_device_list(list);
	return ctx;
}

/* Adds sroce device @dev on veth @veth (peer @peer) and opens it. */
static inline struct ibv_context *sroce_dev_add(const char *dev,
						const char *veth,
						const char *peer)
{
	char cmd[256];

	sroce_dev_remove(dev, veth);
	if (sroce_run("modprobe sroce"))
		return NULL;
	snprintf(cmd, sizeof(cmd),
		 "ip link add %s type veth peer name %s && ip link set %s up && ip link set %s up",
		 veth, peer, veth, peer);
	if (sroce_run(cmd))
		return NULL;
	snprintf(cmd, sizeof(cmd), "rdma link add %s type sroce netdev %s",
		 dev, veth);
	if (sroce_run(cmd))
		return NULL;
	return sroce_dev_open(dev);
}

#endif /* SROCE_DEV_H */
