// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by the C selftests; see test_lib.h.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test_lib.h"

char selftest_dir[PATH_MAX];

int test_lib_init(void)
{
	ssize_t n = readlink("/proc/self/exe", selftest_dir,
			     sizeof(selftest_dir) - 1);
	char *slash;

	if (n <= 0)
		return -1;
	selftest_dir[n] = 0;
	slash = strrchr(selftest_dir, '/');
	if (!slash)
		return -1;
	*slash = 0;
	return 0;
}

int sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	pid_t pid;
	int n, status;

	n = snprintf(cmd, sizeof(cmd), ". %s/lib.sh; . %s/roce_net.sh; ",
		     selftest_dir, selftest_dir);
	va_start(ap, fmt);
	vsnprintf(cmd + n, sizeof(cmd) - n, fmt, ap);
	va_end(ap);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		execl("/bin/bash", "bash", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

struct ibv_context *open_dev(const char *name)
{
	struct ibv_device **list = ibv_get_device_list(NULL);
	struct ibv_context *c = NULL;
	int i;

	for (i = 0; list && list[i] && !c; i++)
		if (!strcmp(ibv_get_device_name(list[i]), name))
			c = ibv_open_device(list[i]);
	ibv_free_device_list(list);
	return c;
}

long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool kernel_at_least(int major, int minor)
{
	struct utsname u;
	int ma = 0, mi = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &ma, &mi) != 2)
		return false;
	return ma > major || (ma == major && mi >= minor);
}

static bool gid_wanted(const union ibv_gid *g, int fam, const uint8_t *want)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	bool v4 = !memcmp(g->raw, mapped, 12);

	if (want)
		return !memcmp(g->raw, want, 16);
	if (fam == 4)
		return v4;
	/* IPv6: global, not link-local */
	return !v4 && !(g->raw[0] == 0xfe && (g->raw[1] & 0xc0) == 0x80);
}

int find_roce_gid(struct ibv_context *c, int fam, const char *ip,
		  union ibv_gid *gid, int wait_ms)
{
	long deadline = now_ms() + wait_ms;
	uint8_t want[16] = { [10] = 0xff, [11] = 0xff };
	struct ibv_gid_entry e;
	int i;

	if (ip && (strchr(ip, ':') ? inet_pton(AF_INET6, ip, want) :
				     inet_pton(AF_INET, ip, want + 12)) != 1)
		return -1;
	for (;;) {
		for (i = 0; i < 1024; i++) {
			if (ibv_query_gid_ex(c, 1, i, &e, 0))
				continue;
			if (e.gid_type != IBV_GID_TYPE_ROCE_V2 ||
			    !gid_wanted(&e.gid, fam, ip ? want : NULL))
				continue;
			if (gid)
				*gid = e.gid;
			return i;
		}
		if (now_ms() >= deadline)
			return -1;
		usleep(100000);
	}
}

int qp_bring_up(struct ibv_qp *qp, const struct qp_path *p)
{
	enum ibv_qp_type type = qp->qp_type;
	struct ibv_qp_attr a = {
		.qp_state = IBV_QPS_INIT,
		.port_num = 1,
		.qkey = p->qkey,
		.qp_access_flags = p->access,
	};
	int mask = IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT;
	const char *step = "INIT";

	mask |= type == IBV_QPT_UD ? IBV_QP_QKEY : IBV_QP_ACCESS_FLAGS;
	if (ibv_modify_qp(qp, &a, mask))
		goto fail;
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTR;
	mask = IBV_QP_STATE;
	if (type != IBV_QPT_UD) {
		a.path_mtu = p->mtu;
		a.dest_qp_num = p->dest_qpn;
		a.rq_psn = p->rq_psn;
		a.ah_attr.is_global = 1;
		a.ah_attr.port_num = 1;
		a.ah_attr.grh.dgid = p->dgid;
		a.ah_attr.grh.sgid_index = p->sgid_index;
		a.ah_attr.grh.hop_limit = 64;
		mask |= IBV_QP_AV | IBV_QP_PATH_MTU | IBV_QP_DEST_QPN |
			IBV_QP_RQ_PSN;
		if (type == IBV_QPT_RC) {
			a.max_dest_rd_atomic = p->max_dest_rd_atomic;
			a.min_rnr_timer = p->min_rnr_timer;
			mask |= IBV_QP_MAX_DEST_RD_ATOMIC |
				IBV_QP_MIN_RNR_TIMER;
		}
	}
	step = "RTR";
	if (ibv_modify_qp(qp, &a, mask))
		goto fail;
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTS;
	a.sq_psn = p->sq_psn;
	mask = IBV_QP_STATE | IBV_QP_SQ_PSN;
	if (type == IBV_QPT_RC) {
		a.timeout = p->timeout;
		a.retry_cnt = p->retry_cnt;
		a.rnr_retry = p->rnr_retry;
		a.max_rd_atomic = p->max_rd_atomic;
		mask |= IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY |
			IBV_QP_MAX_QP_RD_ATOMIC;
	}
	step = "RTS";
	if (ibv_modify_qp(qp, &a, mask))
		goto fail;
	return 0;
fail:
	printf("# QP %u to %s: %s\n", qp->qp_num, step, strerror(errno));
	return errno ? errno : EINVAL;
}

static const char * const recovery_names[] = {
	"retransmits", "retransmitted_pkts", "rcvd_seq_err",
	"completer_retry_err", "duplicate_request", "out_of_seq_request",
	"out_of_sequence", "naks_sent", "naks_rcvd", "rcvd_rnr_err",
	"send_rnr_err", "retry_exceeded_err", "retry_rnr_exceeded_err",
	"send_err", "tx_drop", "rx_drop_short", "rx_drop_bad_icrc",
	"rx_drop_bad_header", "rx_drop_bad_opcode", "rx_drop_no_qp",
	"rx_drop_qp_state", "rx_drop_msg", "rx_drop_stale_resp",
	"rx_drop_no_access", "rx_drop_backlog",
};

int recovery_read(const char *dev, struct recovery *r)
{
	char path[512];
	unsigned int i;
	FILE *f;

	r->n = 0;
	for (i = 0; i < sizeof(recovery_names) / sizeof(recovery_names[0]) &&
		    r->n < RECOVERY_MAX; i++) {
		snprintf(path, sizeof(path),
			 "/sys/class/infiniband/%s/ports/1/hw_counters/%s",
			 dev, recovery_names[i]);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fscanf(f, "%llu", &r->val[r->n]) == 1)
			r->name[r->n++] = recovery_names[i];
		fclose(f);
	}
	return r->n ? 0 : -1;
}

int recovery_moved(const char *dev, const struct recovery *r,
		   const char *allow)
{
	char pad[64], list[512];
	struct recovery now;
	int i, moved = 0;

	if (recovery_read(dev, &now) || now.n != r->n)
		return -1;
	snprintf(list, sizeof(list), " %s ", allow ? allow : "");
	for (i = 0; i < r->n; i++) {
		if (now.val[i] == r->val[i])
			continue;
		snprintf(pad, sizeof(pad), " %s ", r->name[i]);
		printf("# %s %s: %llu -> %llu%s\n", dev, r->name[i], r->val[i],
		       now.val[i], strstr(list, pad) ? " (allowed here)" : "");
		if (!strstr(list, pad))
			moved++;
	}
	return moved;
}
