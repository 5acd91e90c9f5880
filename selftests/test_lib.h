/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the C selftests (test_lib.c): the shell with
 * selftests/lib.sh and roce_net.sh, a device opened by name, RoCE v2 GID
 * lookup, an RC/UC/UD QP brought to RTS, and the recovery counters of a
 * port. Nothing here prints a KTAP result (ktap.h's counters belong to the
 * test's own file); failures are printed as "# " diagnostics.
 */
#ifndef SROCE_TEST_LIB_H
#define SROCE_TEST_LIB_H

#include <infiniband/verbs.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

/* The directory of the running test binary (and of lib.sh). */
extern char selftest_dir[PATH_MAX];

/* Sets selftest_dir from /proc/self/exe: 0, or -1. */
int test_lib_init(void);

/* bash -c with lib.sh and roce_net.sh sourced: the exit status, or -1. */
int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The device called @name, opened; NULL if there is none. */
struct ibv_context *open_dev(const char *name);

/*
 * Index of a RoCE v2 GID of port 1: the one of address @ip (IPv4 as its
 * v4-mapped GID, or IPv6), or with @ip NULL the first of family @fam (4:
 * v4-mapped, 6: global IPv6). Waits up to @wait_ms for the GID cache to
 * fill it. -1 if there is none.
 */
int find_roce_gid(struct ibv_context *c, int fam, const char *ip,
		  union ibv_gid *gid, int wait_ms);

/* Where a QP goes: what qp_bring_up() sets in INIT, RTR and RTS. */
struct qp_path {
	int sgid_index;
	union ibv_gid dgid;
	uint32_t dest_qpn;
	enum ibv_mtu mtu;
	uint32_t sq_psn, rq_psn;
	uint32_t qkey;			/* UD */
	unsigned int access;		/* RC, UC: remote access flags */
	uint8_t timeout, retry_cnt, rnr_retry, min_rnr_timer;
	uint8_t max_rd_atomic, max_dest_rd_atomic;
};

/* @qp through INIT, RTR and RTS along @p: 0, or the errno of the step
 * that failed (printed).
 */
int qp_bring_up(struct ibv_qp *qp, const struct qp_path *p);

/* CLOCK_MONOTONIC in milliseconds. */
long now_ms(void);

/* The running kernel is at least @major.@minor. */
bool kernel_at_least(int major, int minor);

/* The counters of port 1 that move only on loss or refusal (lib.sh's
 * RECOVERY_COUNTERS); the names a driver lacks are left out.
 */
#define RECOVERY_MAX 32
struct recovery {
	int n;
	const char *name[RECOVERY_MAX];
	unsigned long long val[RECOVERY_MAX];
};

/* Reads @dev's recovery counters into @r: 0, or -1 if @dev has none. */
int recovery_read(const char *dev, struct recovery *r);

/* How many of @dev's counters moved since @r (each printed), -1 if they
 * cannot be read. Names listed in @allow (space-separated) may move.
 */
int recovery_moved(const char *dev, const struct recovery *r,
		   const char *allow);

#endif /* SROCE_TEST_LIB_H */
