// SPDX-License-Identifier: GPL-2.0
/*
 * churn: worker processes create and destroy verbs objects (PDs, CQs, QPs,
 * MRs of mixed types, sizes, PDs and access flags) while dumper processes
 * run resource dumps against the same device, through the rdma tool and
 * through raw RDMA netlink dumps of their own.
 *
 *   churn -d DEV [-w WORKERS] [-q QPS] [-c CQS] [-m MRS] [-D DUMPERS]
 *
 * Prints one "churn:" summary line with counts and times; exits 0 only if
 * every object was created and destroyed, no dump failed, and dumps of each
 * kind (tool, netlink) completed while the workers were still running.
 */
#include <errno.h>
#include <getopt.h>
#include <linux/netlink.h>
#include <rdma/rdma_netlink.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <infiniband/verbs.h>

#define BATCH		32
#define MAX_PROCS	64

struct shared {
	long qps, cqs, mrs, pds;
	long create_fail, destroy_fail;
	long tool_dumps, tool_fail;
	long nl_dumps, nl_fail;
	long peak_qp, peak_cq, peak_mr, peak_pd;
	int stop;
	char first_error[256];
};

static struct shared *sh;
static const char *devname;

static void note_error(const char *fmt, const char *what, int err)
{
	if (!sh->first_error[0])
		snprintf(sh->first_error, sizeof(sh->first_error), fmt, what,
			 strerror(err));
}

static unsigned int rnd(unsigned int *seed, unsigned int n)
{
	return rand_r(seed) % n;
}

static struct ibv_context *open_dev(void)
{
	struct ibv_device **list = ibv_get_device_list(NULL);
	struct ibv_context *ctx = NULL;
	int i;

	for (i = 0; list && list[i]; i++)
		if (!strcmp(ibv_get_device_name(list[i]), devname))
			ctx = ibv_open_device(list[i]);
	ibv_free_device_list(list);
	return ctx;
}

static const int mr_access[] = {
	IBV_ACCESS_LOCAL_WRITE,
	IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE,
	IBV_ACCESS_REMOTE_READ,
	IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_READ |
		IBV_ACCESS_REMOTE_WRITE,
	IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_ATOMIC,
	0,
};

static const enum ibv_qp_type qp_types[] = {
	IBV_QPT_RC, IBV_QPT_UC, IBV_QPT_UD,
};

/* Creates and destroys @qps, @cqs, @mrs objects in batches. */
static int worker(int id, long qps, long cqs, long mrs)
{
	unsigned int seed = getpid() ^ (id * 2654435761u);
	struct ibv_context *ctx = open_dev();
	static char buf[BATCH][1 << 16];
	struct ibv_pd *pd[2];
	struct ibv_cq *cq[BATCH];
	struct ibv_qp *qp[BATCH];
	struct ibv_mr *mr[BATCH];
	int i, n;

	if (!ctx) {
		note_error("%s: %s", "open device", errno);
		__sync_fetch_and_add(&sh->create_fail, 1);
		return 1;
	}
	while (qps > 0 || cqs > 0 || mrs > 0) {
		int ncq = cqs > 0 ? (cqs < BATCH ? cqs : BATCH) : 0;
		int nqp = qps > 0 ? (qps < BATCH ? qps : BATCH) : 0;
		int nmr = mrs > 0 ? (mrs < BATCH ? mrs : BATCH) : 0;

		/* QPs need a CQ; keep at least one while QPs remain. */
		if (nqp && !ncq)
			ncq = 1;
		for (i = 0; i < 2; i++) {
			pd[i] = ibv_alloc_pd(ctx);
			if (!pd[i]) {
				note_error("%s: %s", "alloc_pd", errno);
				goto fail;
			}
			__sync_fetch_and_add(&sh->pds, 1);
		}
		for (i = 0; i < ncq; i++) {
			cq[i] = ibv_create_cq(ctx, 1 + rnd(&seed, 4096), NULL,
					      NULL, 0);
			if (!cq[i]) {
				note_error("%s: %s", "create_cq", errno);
				goto fail;
			}
		}
		for (i = 0; i < nqp; i++) {
			struct ibv_qp_init_attr attr = {
				.send_cq = cq[rnd(&seed, ncq)],
				.recv_cq = cq[rnd(&seed, ncq)],
				.qp_type = qp_types[rnd(&seed, 3)],
				.cap = {
					.max_send_wr = 1 + rnd(&seed, 256),
					.max_recv_wr = 1 + rnd(&seed, 256),
					.max_send_sge = 1 + rnd(&seed, 4),
					.max_recv_sge = 1 + rnd(&seed, 4),
				},
			};

			qp[i] = ibv_create_qp(pd[rnd(&seed, 2)], &attr);
			if (!qp[i]) {
				note_error("%s: %s", "create_qp", errno);
				goto fail;
			}
		}
		for (i = 0; i < nmr; i++) {
			size_t len = 1 + rnd(&seed, sizeof(buf[0]));
			size_t off = rnd(&seed, sizeof(buf[0]) - len + 1);

			mr[i] = ibv_reg_mr(pd[rnd(&seed, 2)], buf[i] + off, len,
					   mr_access[rnd(&seed, 6)]);
			if (!mr[i]) {
				note_error("%s: %s", "reg_mr", errno);
				goto fail;
			}
		}
		n = 0;
		for (i = 0; i < nqp; i++)
			n += !!ibv_destroy_qp(qp[i]);
		for (i = 0; i < nmr; i++)
			n += !!ibv_dereg_mr(mr[i]);
		for (i = 0; i < ncq; i++)
			n += !!ibv_destroy_cq(cq[i]);
		for (i = 0; i < 2; i++)
			n += !!ibv_dealloc_pd(pd[i]);
		if (n) {
			__sync_fetch_and_add(&sh->destroy_fail, n);
			note_error("%s: %s", "destroy", errno);
			goto fail_nocount;
		}
		__sync_fetch_and_add(&sh->qps, nqp);
		__sync_fetch_and_add(&sh->cqs, ncq);
		__sync_fetch_and_add(&sh->mrs, nmr);
		qps -= nqp;
		cqs -= ncq;
		mrs -= nmr;
	}
	ibv_close_device(ctx);
	return 0;

fail:
	__sync_fetch_and_add(&sh->create_fail, 1);
fail_nocount:
	/* The device file close reclaims whatever this batch still holds. */
	ibv_close_device(ctx);
	return 1;
}

static void update_peak(long *peak, long v)
{
	long old = *peak;

	while (v > old && !__sync_bool_compare_and_swap(peak, old, v))
		old = *peak;
}

/* One `rdma res show` summary: the current object counts. */
static int sample_counts(void)
{
	char cmd[128], line[512], *p;
	FILE *f;
	long v;

	snprintf(cmd, sizeof(cmd), "rdma res show %s 2>&1", devname);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if ((p = strstr(line, " pd ")) && sscanf(p, " pd %ld", &v) == 1)
			update_peak(&sh->peak_pd, v);
		if ((p = strstr(line, " cq ")) && sscanf(p, " cq %ld", &v) == 1)
			update_peak(&sh->peak_cq, v);
		if ((p = strstr(line, " qp ")) && sscanf(p, " qp %ld", &v) == 1)
			update_peak(&sh->peak_qp, v);
		if ((p = strstr(line, " mr ")) && sscanf(p, " mr %ld", &v) == 1)
			update_peak(&sh->peak_mr, v);
	}
	return pclose(f) ? -1 : 0;
}

static void tool_dumper(void)
{
	static const char * const what[] = {
		"res show qp -dd", "res show cq -dd", "res show mr -dd",
		"res show pd -dd", "statistic show",
	};
	char cmd[160];
	unsigned int i = 0;

	while (!sh->stop) {
		snprintf(cmd, sizeof(cmd), "rdma %s >/dev/null 2>&1",
			 what[i++ % 5]);
		if (system(cmd)) {
			__sync_fetch_and_add(&sh->tool_fail, 1);
			note_error("%s: %s", cmd, EIO);
		}
		if (sample_counts()) {
			__sync_fetch_and_add(&sh->tool_fail, 1);
			note_error("%s: %s", "rdma res show", EIO);
		}
		__sync_fetch_and_add(&sh->tool_dumps, 2);
	}
}

/* One raw NLM_F_DUMP of @cmd for device @index; 0 if it ended in DONE. */
static int nl_dump(int fd, int cmd, uint32_t index, uint32_t seq)
{
	struct {
		struct nlmsghdr nh;
		struct nlattr na;
		uint32_t index;
	} req = {
		.nh.nlmsg_len = sizeof(req),
		.nh.nlmsg_type = RDMA_NL_GET_TYPE(RDMA_NL_NLDEV, cmd),
		.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
		.nh.nlmsg_seq = seq,
		.na.nla_len = NLA_HDRLEN + sizeof(uint32_t),
		.na.nla_type = RDMA_NLDEV_ATTR_DEV_INDEX,
		.index = index,
	};
	static char buf[1 << 16];
	struct nlmsghdr *nh;
	ssize_t len;

	if (send(fd, &req, sizeof(req), 0) != sizeof(req))
		return -errno;
	for (;;) {
		len = recv(fd, buf, sizeof(buf), 0);
		if (len < 0)
			return -errno;
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, len);
		     nh = NLMSG_NEXT(nh, len)) {
			if (nh->nlmsg_seq != seq)
				continue;
			if (nh->nlmsg_type == NLMSG_DONE)
				return 0;
			if (nh->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(nh);

				return e->error ? e->error : -EPROTO;
			}
		}
	}
}

static long dev_index(void)
{
	char cmd[128];
	long idx = -1;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "rdma dev show %s", devname);
	f = popen(cmd, "r");
	if (f) {
		if (fscanf(f, "%ld:", &idx) != 1)
			idx = -1;
		pclose(f);
	}
	return idx;
}

static void nl_dumper(long index)
{
	static const int cmds[] = {
		RDMA_NLDEV_CMD_RES_QP_GET, RDMA_NLDEV_CMD_RES_CQ_GET,
		RDMA_NLDEV_CMD_RES_MR_GET, RDMA_NLDEV_CMD_RES_PD_GET,
		RDMA_NLDEV_CMD_RES_QP_GET_RAW, RDMA_NLDEV_CMD_RES_CQ_GET_RAW,
		RDMA_NLDEV_CMD_RES_MR_GET_RAW,
	};
	uint32_t seq = 1;
	int fd, err;

	fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_RDMA);
	if (fd < 0) {
		note_error("%s: %s", "netlink socket", errno);
		__sync_fetch_and_add(&sh->nl_fail, 1);
		_exit(1);
	}
	while (!sh->stop) {
		int cmd = cmds[seq % 7];

		err = nl_dump(fd, cmd, index, seq++);
		if (err) {
			__sync_fetch_and_add(&sh->nl_fail, 1);
			note_error("%s: %s", "netlink dump", -err);
		}
		__sync_fetch_and_add(&sh->nl_dumps, 1);
	}
	close(fd);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	long qps = 10000, cqs = 10000, mrs = 10000, index;
	int workers = 4, dumpers = 2, opt, i, failed_workers = 0, status;
	int failed_dumpers = 0;
	long tool_during, nl_during;
	pid_t wpid[MAX_PROCS], dpid[MAX_PROCS];
	double start;

	while ((opt = getopt(argc, argv, "d:w:q:c:m:D:")) != -1) {
		switch (opt) {
		case 'd': devname = optarg; break;
		case 'w': workers = atoi(optarg); break;
		case 'q': qps = atol(optarg); break;
		case 'c': cqs = atol(optarg); break;
		case 'm': mrs = atol(optarg); break;
		case 'D': dumpers = atoi(optarg); break;
		default: return 2;
		}
	}
	if (!devname || workers < 1 || workers > MAX_PROCS / 2 ||
	    dumpers < 1 || dumpers > MAX_PROCS / 2) {
		fprintf(stderr, "usage: churn -d DEV [-w 1..32] [-q N] [-c N] [-m N] [-D 1..32]\n");
		return 2;
	}
	index = dev_index();
	if (index < 0) {
		fprintf(stderr, "churn: no device %s\n", devname);
		return 1;
	}
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return 1;
	memset(sh, 0, sizeof(*sh));

	start = now();
	for (i = 0; i < dumpers; i++) {
		dpid[i] = fork();
		if (dpid[i] == 0) {
			if (i % 2)
				tool_dumper();
			else
				nl_dumper(index);
			_exit(0);
		}
	}
	for (i = 0; i < workers; i++) {
		wpid[i] = fork();
		if (wpid[i] == 0)
			_exit(worker(i, qps / workers + (i < qps % workers),
				     cqs / workers + (i < cqs % workers),
				     mrs / workers + (i < mrs % workers)));
	}
	for (i = 0; i < workers; i++)
		if (waitpid(wpid[i], &status, 0) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status))
			failed_workers++;
	/* the dumps that ran while the objects came and went */
	tool_during = sh->tool_dumps;
	nl_during = sh->nl_dumps;
	sh->stop = 1;
	for (i = 0; i < dumpers; i++)
		if (waitpid(dpid[i], &status, 0) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status))
			failed_dumpers++;

	printf("churn: %s: qps=%ld cqs=%ld mrs=%ld pds=%ld in %.1f s; create_fail=%ld destroy_fail=%ld; dumps: rdma=%ld (failed %ld) netlink=%ld (failed %ld); peak qp=%ld cq=%ld mr=%ld pd=%ld\n",
	       devname, sh->qps, sh->cqs, sh->mrs, sh->pds, now() - start,
	       sh->create_fail, sh->destroy_fail, sh->tool_dumps, sh->tool_fail,
	       sh->nl_dumps, sh->nl_fail, sh->peak_qp, sh->peak_cq,
	       sh->peak_mr, sh->peak_pd);
	printf("churn: dumps while the workers ran: rdma=%ld netlink=%ld; %d dumpers failed\n",
	       tool_during, nl_during, failed_dumpers);
	if (sh->first_error[0])
		printf("churn: first error: %s\n", sh->first_error);
	/* even dumpers dump through netlink, odd ones through the tool */
	if (!nl_during || (dumpers > 1 && !tool_during))
		printf("churn: a kind of dump never ran alongside the workers\n");
	return failed_workers || failed_dumpers || sh->create_fail ||
	       sh->destroy_fail || sh->tool_fail || sh->nl_fail ||
	       sh->qps < qps || sh->cqs < cqs || sh->mrs < mrs ||
	       !nl_during || (dumpers > 1 && !tool_during);
}
