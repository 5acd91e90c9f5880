// SPDX-License-Identifier: GPL-2.0
/*
 * UD multicast through ibv_attach_mcast/ibv_detach_mcast, run by mcast.sh
 * on two RoCE devices on the two ends of a veth pair:
 *
 *   mcast_ud DEV_A DEV_B NETDEV_A NETDEV_B IP_A IP_B IP6_A IP6_B
 *
 * For an IPv4 and an IPv6 group: three QPs of B and one of A attached (a
 * fourth QP of B with another Q_Key too); A sends, then B sends; each QP
 * must get exactly the messages meant for it, with their payload and the
 * group as the destination in the GRH; `ip maddr` shows the group on a
 * netdev exactly while one of its device's QPs is attached. Then detach,
 * destroy while attached, a process that exits attached, and the limits the
 * device reports.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktap.h"
#include "test_lib.h"

#define NUM_TESTS	(2 * 9 + 7)
#define NB		3		/* QPs of B attached with the group's Q_Key */
#define MSGS		16		/* messages per send phase */
#define PAYLOAD		200
#define SLOT		(40 + PAYLOAD)	/* GRH + payload */
#define RECVS		(2 * MSGS)	/* receives kept posted per QP */
#define QKEY		0x11170000u
#define OTHER_QKEY	0x22270000u
#define MAGIC		0x6d636173u	/* "mcas" */
#define MAXQ		64		/* QPs of one end */
#define WAIT_MS		3000		/* for a send completion */
#define QUIET_MS	1000		/* no completion for this long: done */

static const char *dev_a, *dev_b, *nd_a, *nd_b;
static const char *ip_a, *ip_b, *ip6_a, *ip6_b;

/* One device: a PD, one CQ for all its QPs, one MR with a slot area per QP. */
struct end {
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	struct ibv_mr *mr;
	char *buf;
	struct ibv_qp *qp[MAXQ];
	int nqp;
	int sgid4, sgid6;
	unsigned int got[MAXQ];		/* good messages per QP this phase */
	unsigned int bad[MAXQ];		/* wrong payload, status or GRH */
};

static struct end A, B;

static char *slot(struct end *e, int q, int s)
{
	return e->buf + ((size_t)q * (RECVS + 1) + s) * SLOT;
}

static int post_recv(struct end *e, int q, int s)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)slot(e, q, s),
		.length = SLOT,
		.lkey = e->mr->lkey,
	};
	struct ibv_recv_wr wr = { .wr_id = (uint64_t)q << 32 | s,
				  .sg_list = &sge, .num_sge = 1 }, *bad;

	return ibv_post_recv(e->qp[q], &wr, &bad);
}

static int end_open(struct end *e, const char *dev, const char *ip4,
		    const char *ip6)
{
	size_t len = (size_t)MAXQ * (RECVS + 1) * SLOT;

	e->ctx = open_dev(dev);
	if (!e->ctx)
		return -1;
	e->sgid4 = find_roce_gid(e->ctx, 4, ip4, NULL, 5000);
	e->sgid6 = find_roce_gid(e->ctx, 6, ip6, NULL, 5000);
	e->pd = ibv_alloc_pd(e->ctx);
	e->cq = ibv_create_cq(e->ctx, MAXQ * (RECVS + 2), NULL, NULL, 0);
	e->buf = calloc(1, len);
	if (!e->pd || !e->cq || !e->buf || e->sgid4 < 0 || e->sgid6 < 0)
		return -1;
	e->mr = ibv_reg_mr(e->pd, e->buf, len, IBV_ACCESS_LOCAL_WRITE);
	return e->mr ? 0 : -1;
}

/* A UD QP in RTS with RECVS receives posted; its index, or -1. */
static int add_qp(struct end *e, uint32_t qkey)
{
	struct ibv_qp_init_attr init = {
		.send_cq = e->cq, .recv_cq = e->cq, .qp_type = IBV_QPT_UD,
		.cap = { .max_send_wr = MSGS, .max_recv_wr = RECVS,
			 .max_send_sge = 1, .max_recv_sge = 1 },
	};
	struct qp_path p = { .qkey = qkey };
	int q = e->nqp, s;

	if (q >= MAXQ)
		return -1;
	e->qp[q] = ibv_create_qp(e->pd, &init);
	if (!e->qp[q] || qp_bring_up(e->qp[q], &p))
		return -1;
	for (s = 0; s < RECVS; s++)
		if (post_recv(e, q, s))
			return -1;
	e->nqp++;
	return q;
}

static void drop_qps(struct end *e)
{
	struct ibv_wc wc;

	while (ibv_poll_cq(e->cq, 1, &wc) > 0)
		;
	while (e->nqp > 0)
		ibv_destroy_qp(e->qp[--e->nqp]);
}

static void make_gid(int fam, const char *addr, union ibv_gid *gid)
{
	memset(gid, 0, sizeof(*gid));
	if (fam == 4) {
		gid->raw[10] = 0xff;
		gid->raw[11] = 0xff;
		inet_pton(AF_INET, addr, gid->raw + 12);
	} else {
		inet_pton(AF_INET6, addr, gid->raw);
	}
}

/* @ndev lists @addr in `ip maddr`. */
static bool joined(const char *ndev, const char *addr)
{
	return !sh("ip maddr show dev %s | grep -qw '%s'", ndev, addr);
}

/* Is this received slot message @tag from the group, intact? */
static bool slot_ok(const char *s, int fam, const union ibv_gid *mgid,
		    uint32_t tag, uint32_t *seq)
{
	const char *pay = s + 40;
	uint32_t hdr[2];
	int j;

	if (fam == 4 ? memcmp(s + 36, mgid->raw + 12, 4) :
		       memcmp(s + 24, mgid->raw, 16))
		return false;
	memcpy(hdr, pay, sizeof(hdr));
	if (hdr[0] != tag)
		return false;
	for (j = sizeof(hdr); j < PAYLOAD; j++)
		if (pay[j] != (char)(hdr[1] * 7 + j))
			return false;
	*seq = hdr[1];
	return true;
}

/* The group and tag of the phase under way, for take_wc(). */
static int cur_fam;
static union ibv_gid cur_mgid;
static uint32_t cur_tag;

/*
 * One completion of @e: a receive is counted for its QP as good (this
 * phase's message, intact) or bad, and its slot posted again.
 */
static void take_wc(struct end *e, const struct ibv_wc *wc)
{
	int q = wc->wr_id >> 32, s = wc->wr_id & 0xffffffff;
	uint32_t seq;

	if (wc->status == IBV_WC_SUCCESS && wc->opcode == IBV_WC_RECV &&
	    wc->byte_len == SLOT && (wc->wc_flags & IBV_WC_GRH) &&
	    slot_ok(slot(e, q, s), cur_fam, &cur_mgid, cur_tag, &seq))
		e->got[q]++;
	else
		e->bad[q]++;
	if (wc->status == IBV_WC_SUCCESS && wc->opcode == IBV_WC_RECV)
		post_recv(e, q, s);
}

/* Starts a phase: counts zeroed, completions of earlier phases dropped. */
static void phase(int fam, const union ibv_gid *mgid, uint32_t tag)
{
	struct end *e[] = { &A, &B };
	struct ibv_wc wc;
	int i;

	for (i = 0; i < 2; i++)
		while (ibv_poll_cq(e[i]->cq, 1, &wc) > 0)
			if (wc.status == IBV_WC_SUCCESS &&
			    wc.opcode == IBV_WC_RECV)
				post_recv(e[i], wc.wr_id >> 32,
					  wc.wr_id & 0xffffffff);
	cur_fam = fam;
	cur_mgid = *mgid;
	cur_tag = tag;
	memset(A.got, 0, sizeof(A.got));
	memset(A.bad, 0, sizeof(A.bad));
	memset(B.got, 0, sizeof(B.got));
	memset(B.bad, 0, sizeof(B.bad));
}

/* @n messages from QP @q of @e to the group, tagged @tag, all completed. */
static int send_group(struct end *e, int q, int fam, const union ibv_gid *mgid,
		      uint32_t qkey, uint32_t tag, int n)
{
	struct ibv_ah_attr aa = {
		.is_global = 1, .port_num = 1,
		.grh = { .dgid = *mgid, .hop_limit = 64,
			 .sgid_index = fam == 4 ? e->sgid4 : e->sgid6 },
	};
	char *msg = slot(e, q, RECVS);
	struct ibv_ah *ah = ibv_create_ah(e->pd, &aa);
	struct ibv_wc wc;
	int i, j, done = 0, err = 0;
	long end;

	if (!ah) {
		ktap_info("ibv_create_ah to the group: %s", strerror(errno));
		return -1;
	}
	for (i = 0; i < n && !err; i++) {
		struct ibv_sge sge = { .addr = (uintptr_t)msg, .length = PAYLOAD,
				       .lkey = e->mr->lkey };
		struct ibv_send_wr wr = {
			.wr_id = i, .sg_list = &sge, .num_sge = 1,
			.opcode = IBV_WR_SEND, .send_flags = IBV_SEND_SIGNALED,
			.wr.ud = { .ah = ah, .remote_qpn = 0xffffff,
				   .remote_qkey = qkey },
		}, *bad;
		uint32_t hdr[2] = { tag, i };

		memcpy(msg, hdr, sizeof(hdr));
		for (j = sizeof(hdr); j < PAYLOAD; j++)
			msg[j] = (char)(i * 7 + j);
		err = ibv_post_send(e->qp[q], &wr, &bad);
		/* one in flight: the buffer is reused by the next message */
		for (end = now_ms() + WAIT_MS; !err && now_ms() < end;) {
			int k = ibv_poll_cq(e->cq, 1, &wc);

			if (k < 0 || (k && wc.status != IBV_WC_SUCCESS)) {
				err = -1;
			} else if (k && wc.opcode == IBV_WC_SEND) {
				done++;
				break;
			} else if (k) {
				take_wc(e, &wc);
			}
		}
	}
	ibv_destroy_ah(ah);
	if (done != n)
		ktap_info("%d of %d sends completed", done, n);
	return done == n ? 0 : -1;
}

/*
 * Polls @e's CQ until @ms pass without a completion, each one through
 * take_wc(). Returns how many came.
 */
static int collect(struct end *e, long ms)
{
	long end = now_ms() + ms;
	struct ibv_wc wc;
	int n = 0;

	while (now_ms() < end) {
		if (ibv_poll_cq(e->cq, 1, &wc) <= 0) {
			poll(NULL, 0, 5);
			continue;
		}
		n++;
		take_wc(e, &wc);
		end = now_ms() + ms;
	}
	return n;
}

/* Every listed QP of @e got @want good messages and no bad one. */
static bool counts_are(struct end *e, const int *qs, int n, unsigned int want,
		       const char *what)
{
	bool ok = true;
	int i;

	for (i = 0; i < n; i++) {
		int q = qs[i];

		if (e->got[q] != want || e->bad[q]) {
			ktap_info("%s: QP %u got %u good, %u bad, want %u",
				  what, e->qp[q]->qp_num, e->got[q], e->bad[q],
				  want);
			ok = false;
		}
	}
	return ok;
}

static void test_family(int fam, const char *group)
{
	union ibv_gid mgid;
	int b[NB], bq, a0, sa, sb, i, rc;
	bool ok;

	make_gid(fam, group, &mgid);
	ktap_info("IPv%d group %s", fam, group);
	sa = add_qp(&A, QKEY);
	a0 = add_qp(&A, QKEY);
	sb = add_qp(&B, QKEY);
	for (i = 0; i < NB; i++)
		b[i] = add_qp(&B, QKEY);
	bq = add_qp(&B, OTHER_QKEY);
	if (sa < 0 || a0 < 0 || sb < 0 || b[NB - 1] < 0 || bq < 0) {
		ktap_info("cannot create the UD QPs");
		for (i = 0; i < 9; i++)
			ktap_result(0, "IPv%d: set-up", fam);
		return;
	}

	/* 1: attach, the group appears on both netdevs */
	rc = 0;
	for (i = 0; i < NB; i++)
		rc |= ibv_attach_mcast(B.qp[b[i]], &mgid, 0);
	rc |= ibv_attach_mcast(B.qp[bq], &mgid, 0);
	rc |= ibv_attach_mcast(A.qp[a0], &mgid, 0);
	ktap_result(!rc && joined(nd_a, group) && joined(nd_b, group),
		    "IPv%d: 4 QPs of %s and 1 of %s attach to %s; ip maddr shows it on %s and %s",
		    fam, dev_b, dev_a, group, nd_a, nd_b);

	/* 2: A sends: each of B's QPs gets every message once */
	phase(fam, &mgid, 1);
	rc = send_group(&A, sa, fam, &mgid, QKEY, 1, MSGS);
	collect(&B, QUIET_MS);
	collect(&A, QUIET_MS);
	ok = counts_are(&B, b, NB, MSGS, "A sends");
	ktap_result(!rc && ok,
		    "IPv%d: %d messages from %s: each of %d QPs of %s got all %d, intact, the group as destination",
		    fam, MSGS, dev_a, NB, dev_b, MSGS);
	/* 3: Q_Key per QP */
	ktap_result(!rc && counts_are(&B, &bq, 1, 0, "other Q_Key"),
		    "IPv%d: the attached QP with another Q_Key got none", fam);
	/* 4: loopback: the sending device's attached QP gets them too */
	ktap_result(!rc && counts_are(&A, &a0, 1, MSGS, "sender's device"),
		    "IPv%d: the attached QP of the sending device got all %d too (loopback)",
		    fam, MSGS);

	/* 5: B sends: A's attached QP gets them (two devices in one group) */
	phase(fam, &mgid, 2);
	rc = send_group(&B, sb, fam, &mgid, QKEY, 2, MSGS);
	collect(&A, QUIET_MS);
	collect(&B, QUIET_MS);
	ok = counts_are(&A, &a0, 1, MSGS, "B sends");
	ok &= counts_are(&B, b, NB, MSGS, "sender's device");
	ktap_result(!rc && ok,
		    "IPv%d: %d messages from %s: the QP of %s got all of them, and each of %s's (loopback)",
		    fam, MSGS, dev_b, dev_a, dev_b);

	/* 6: detach one QP: it gets nothing more, the others all */
	rc = ibv_detach_mcast(B.qp[b[0]], &mgid, 0);
	phase(fam, &mgid, 3);
	rc |= send_group(&A, sa, fam, &mgid, QKEY, 3, MSGS);
	collect(&B, QUIET_MS);
	ok = counts_are(&B, b, 1, 0, "detached") &&
	     counts_are(&B, b + 1, NB - 1, MSGS, "still attached");
	ktap_result(!rc && ok,
		    "IPv%d: after one QP detached it gets none, the other %d all %d",
		    fam, NB - 1, MSGS);

	/* 7: a second detach of the same QP fails */
	errno = 0;
	rc = ibv_detach_mcast(B.qp[b[0]], &mgid, 0);
	ktap_result(rc != 0, "IPv%d: detaching a QP that is not attached fails (%s)",
		    fam, strerror(rc ?: errno));

	/* 8: the last QP of B out: B's netdev leaves, A's stays */
	rc = 0;
	for (i = 1; i < NB; i++)
		rc |= ibv_detach_mcast(B.qp[b[i]], &mgid, 0);
	ok = joined(nd_b, group);
	rc |= ibv_detach_mcast(B.qp[bq], &mgid, 0);
	ktap_result(!rc && ok && !joined(nd_b, group) && joined(nd_a, group),
		    "IPv%d: %s leaves the group with its last QP's detach, %s stays in",
		    fam, nd_b, nd_a);

	/* 9: nothing reaches B's QPs now; A's last detach leaves too */
	phase(fam, &mgid, 4);
	rc = send_group(&A, sa, fam, &mgid, QKEY, 4, MSGS / 2);
	collect(&B, QUIET_MS);
	ok = counts_are(&B, b, NB, 0, "all detached");
	rc |= ibv_detach_mcast(A.qp[a0], &mgid, 0);
	ktap_result(!rc && ok && !joined(nd_a, group),
		    "IPv%d: after all detached %s's QPs get none; %s leaves too",
		    fam, dev_b, nd_a);
	drop_qps(&A);
	drop_qps(&B);
}

/* ibv_destroy_qp of an attached QP is refused (core); detached, it goes. */
static void test_destroy_attached(void)
{
	union ibv_gid mgid;
	int q = add_qp(&B, QKEY), rc1 = -1, rc2 = -1;

	make_gid(4, "239.1.2.9", &mgid);
	if (q >= 0 && !ibv_attach_mcast(B.qp[q], &mgid, 0)) {
		rc1 = ibv_destroy_qp(B.qp[q]);
		if (!rc1)
			B.nqp--;
		else if (!ibv_detach_mcast(B.qp[q], &mgid, 0))
			rc2 = ibv_destroy_qp(B.qp[q]);
		if (!rc2)
			B.nqp--;
	}
	ktap_result(rc1 == EBUSY && !rc2 && !joined(nd_b, "239.1.2.9"),
		    "destroying an attached QP is refused (%s); detached, it is destroyed and the group left",
		    strerror(rc1 < 0 ? EINVAL : rc1));
	drop_qps(&B);
}

/* A process that exits with QPs attached: uverbs detaches, the group goes. */
static void test_exit_attached(void)
{
	int pfd[2], st = -1;
	bool during = false, after;
	char c = 0;
	pid_t pid;

	if (pipe(pfd))
		goto out;
	pid = fork();
	if (pid == 0) {
		struct end e = {};
		union ibv_gid g4, g6;
		int q1, q2;

		make_gid(4, "239.1.2.10", &g4);
		make_gid(6, "ff0e::4791:10", &g6);
		if (end_open(&e, dev_b, ip_b, ip6_b))
			_exit(1);
		q1 = add_qp(&e, QKEY);
		q2 = add_qp(&e, QKEY);
		if (q1 < 0 || q2 < 0 || ibv_attach_mcast(e.qp[q1], &g4, 0) ||
		    ibv_attach_mcast(e.qp[q2], &g4, 0) ||
		    ibv_attach_mcast(e.qp[q2], &g6, 0))
			_exit(1);
		c = 1;
		if (write(pfd[1], &c, 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(pfd[1]);
	if (pid > 0 && read(pfd[0], &c, 1) == 1 && c == 1) {
		during = joined(nd_b, "239.1.2.10") &&
			 joined(nd_b, "ff0e::4791:10");
		kill(pid, SIGKILL);
	}
	if (pid > 0)
		waitpid(pid, &st, 0);
	close(pfd[0]);
out:
	/* the device is released once the killed process's files are gone */
	after = !sh("wait_for 10 sh -c \"! ip maddr show dev %s | grep -qwe 239.1.2.10 -e ff0e::4791:10\"",
		    nd_b);
	ktap_result(during && after,
		    "a process killed with 2 QPs in 2 groups: %s joined while it ran (%d), left after (%d)",
		    nd_b, during, after);
}

/* Group @i of the group-limit test: 239.2.x.y, IPv4-mapped. */
static void nth_group(int i, union ibv_gid *g)
{
	make_gid(4, "239.2.0.0", g);
	g->raw[14] = (uint8_t)(i >> 8);
	g->raw[15] = (uint8_t)i;
}

/* The limits the device reports are the limits it enforces. */
static void test_limits(void)
{
	struct ibv_device_attr da;
	union ibv_gid mgid, g;
	int i, q, n = 0, first = -1;
	bool ok;

	if (ibv_query_device(B.ctx, &da)) {
		ktap_result(0, "ibv_query_device");
		ktap_result(0, "max_mcast_qp_attach enforced");
		ktap_result(0, "max_mcast_grp enforced");
		return;
	}
	ktap_result(da.max_mcast_grp > 0 && da.max_mcast_qp_attach > 0 &&
		    da.max_total_mcast_qp_attach >= da.max_mcast_qp_attach,
		    "%s reports max_mcast_grp %d, max_mcast_qp_attach %d, max_total_mcast_qp_attach %d",
		    dev_b, da.max_mcast_grp, da.max_mcast_qp_attach,
		    da.max_total_mcast_qp_attach);

	/* max_mcast_qp_attach QPs in one group, one more refused */
	make_gid(4, "239.1.3.1", &mgid);
	if (da.max_mcast_qp_attach + 1 > MAXQ) {
		ktap_skip_test("max_mcast_qp_attach enforced", "more QPs than the test makes");
	} else {
		for (i = 0; i <= da.max_mcast_qp_attach; i++) {
			q = add_qp(&B, QKEY);
			if (q < 0)
				break;
			if (!ibv_attach_mcast(B.qp[q], &mgid, 0))
				n++;
			else if (first < 0)
				first = i;
		}
		ok = n == da.max_mcast_qp_attach && first == n;
		for (i = 0; i < n; i++)
			ibv_detach_mcast(B.qp[i], &mgid, 0);
		ktap_result(ok && !joined(nd_b, "239.1.3.1"),
			    "%d QPs attach to one group, QP %d is refused",
			    n, first + 1);
		drop_qps(&B);
	}

	/* one QP in max_mcast_grp groups, one more refused */
	if (da.max_mcast_grp > 4096) {
		ktap_skip_test("max_mcast_grp enforced", "more groups than the test joins");
		return;
	}
	q = add_qp(&B, QKEY);
	n = 0;
	first = -1;
	for (i = 0; q >= 0 && i <= da.max_mcast_grp; i++) {
		nth_group(i, &g);
		if (!ibv_attach_mcast(B.qp[q], &g, 0))
			n++;
		else if (first < 0)
			first = i;
	}
	ok = n == da.max_mcast_grp && first == n;
	for (i = 0; i < n; i++) {
		nth_group(i, &g);
		ibv_detach_mcast(B.qp[q], &g, 0);
	}
	ktap_result(ok && !sh("! ip maddr show dev %s | grep -q 239.2.", nd_b),
		    "one QP attaches to %d groups, group %d is refused; all left after",
		    n, first + 1);
	drop_qps(&B);
}

/* Unicast GIDs and non-UD QPs cannot attach. */
static void test_refused(void)
{
	struct ibv_qp_init_attr init = {
		.send_cq = B.cq, .recv_cq = B.cq, .qp_type = IBV_QPT_RC,
		.cap = { .max_send_wr = 1, .max_recv_wr = 1,
			 .max_send_sge = 1, .max_recv_sge = 1 },
	};
	union ibv_gid uni, mgid;
	struct ibv_qp *rc;
	int q = add_qp(&B, QKEY);
	int e1 = -1, e2 = -1;

	make_gid(4, ip_a, &uni);
	make_gid(4, "239.1.2.11", &mgid);
	rc = ibv_create_qp(B.pd, &init);
	if (q >= 0)
		e1 = ibv_attach_mcast(B.qp[q], &uni, 0);
	if (rc) {
		e2 = ibv_attach_mcast(rc, &mgid, 0);
		ibv_destroy_qp(rc);
	}
	ktap_result(e1 && e2 && !joined(nd_b, ip_a) &&
		    !joined(nd_b, "239.1.2.11"),
		    "a unicast GID and an RC QP cannot attach (%s, %s)",
		    strerror(e1 > 0 ? e1 : errno), strerror(e2 > 0 ? e2 : errno));
	drop_qps(&B);
}

int main(int argc, char **argv)
{
	if (argc != 9 || test_lib_init())
		return KSFT_FAIL;
	dev_a = argv[1];
	dev_b = argv[2];
	nd_a = argv[3];
	nd_b = argv[4];
	ip_a = argv[5];
	ip_b = argv[6];
	ip6_a = argv[7];
	ip6_b = argv[8];

	ktap_plan(NUM_TESTS);
	if (end_open(&A, dev_a, ip_a, ip6_a) || end_open(&B, dev_b, ip_b, ip6_b)) {
		ktap_info("cannot open %s and %s with their RoCE v2 GIDs",
			  dev_a, dev_b);
		return KSFT_FAIL;
	}
	test_family(4, "239.1.2.3");		/* 9 */
	test_family(6, "ff0e::4791:3");		/* 9 */
	test_refused();				/* 1 */
	test_destroy_attached();		/* 1 */
	test_exit_attached();			/* 1 */
	test_limits();				/* 3 */
	ktap_result(!sh("! ip maddr show dev %s | grep -q -e 239.1. -e ff0e::4791 && ! ip maddr show dev %s | grep -q -e 239.1. -e ff0e::4791",
			nd_a, nd_b),
		    "no test group left on %s or %s", nd_a, nd_b);
	return ktap_finish();
}
