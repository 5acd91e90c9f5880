/* SPDX-License-Identifier: GPL-2.0 */
/*
 * For sroce's C selftests: a sroce device on a fresh veth pair, opened
 * through libibverbs, and its removal. Runs as root in the test guest.
 */
#ifndef SROCE_DEV_H
#define SROCE_DEV_H

#include <string.h>
#include <unistd.h>
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

/*
 * How many objects of @kind ("pd", "cq", "qp", "mr", "srq", ...) core
 * tracks on @dev, kernel ones included, from the `rdma res show DEV`
 * summary line; -1 if there is no such line or key.
 */
static inline int sroce_res_total(const char *dev, const char *kind)
{
	char cmd[128], line[512], key[32], *p;
	int n = -1;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "rdma res show %s 2>/dev/null", dev);
	snprintf(key, sizeof(key), " %s ", kind);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		p = strstr(line, key);
		if (p)
			n = atoi(p + strlen(key));
	}
	if (pclose(f))
		n = -1;
	return n;
}

/*
 * The objects of @kind that exist on @dev before a test creates any: since
 * sroce has a packet path, ib_core's MAD layer creates its GSI QP (QP1),
 * its CQ and its PD at registration. Read until two reads 200 ms apart
 * agree (5 s at most), so a registration still settling is not measured.
 */
static inline int sroce_res_baseline(const char *dev, const char *kind)
{
	int i, prev = sroce_res_total(dev, kind), n = prev;

	for (i = 0; i < 25; i++) {
		usleep(200000);
		n = sroce_res_total(dev, kind);
		if (n == prev && n >= 0)
			break;
		prev = n;
	}
	return n;
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
