// SPDX-License-Identifier: GPL-2.0
/*
 * Datapath opcodes between two RoCE devices in one process: an RC (UC, UD)
 * QP on each device, connected with ibv_modify_qp from the devices' RoCE v2
 * GIDs (no rdma_cm). For every opcode and size the target buffer is
 * compared byte for byte with what it must hold: the moved bytes where they
 * belong, guard bytes everywhere else (including past the MR's end), and
 * the source unchanged; completions are checked for status, opcode, wr_id,
 * byte_len, imm_data and flags. Error cases must fail cleanly with the
 * status IBTA gives them and flush what follows. A completion no case
 * waits for (found when a case starts or left when it ends) fails the
 * case, and so does a retransmission, NAK or drop counter that moved
 * where the case did not make it move on purpose: the veth loses nothing.
 * Teardown checks every destroy/dereg/dealloc and that `rdma res` is back
 * at the baseline taken before anything was opened. A process killed with
 * SIGKILL mid-traffic must leave no resources behind.
 *
 * usage: opcodes [DEV_A DEV_B]   (or SROCE_TEST_DEV_A / SROCE_TEST_DEV_B)
 * Without device names it sets up ${SROCE_TEST_DRIVER:-sroce}0 and 1 on a
 * veth pair with selftests/roce_net.sh, and removes them at the end.
 * opcodes --spin DEV_A DEV_B: RDMA traffic forever (for the kill test).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktap.h"
#include "opcodes.h"

#define MAX_TESTS 160
static struct test tests[MAX_TESTS];
static int ntests;

/* ----------------------------------------------------------------------- */
/* Kill -9 mid-traffic */

/* ----------------------------------------------------------------------- */
/* Kill -9 mid-traffic */

/* A copy of @s with its newlines made spaces (one diagnostic line). */
static const char *one_line(const char *s)
{
	static char line[1024];
	char *p;

	snprintf(line, sizeof(line), "%s", s);
	for (p = line; (p = strchr(p, '\n')); )
		*p = ' ';
	return line;
}

/* The "res" summary line of each device, as one string. */
static void res_counts(char *out, size_t len, const char *a, const char *b)
{
	char cmd[256];
	FILE *f;
	size_t n = 0;

	snprintf(cmd, sizeof(cmd),
		 "rdma res show | grep -E ' (%s|%s): ' | sed 's/^[0-9]*: //'",
		 a, b);
	out[0] = 0;
	f = popen(cmd, "r");
	if (!f)
		return;
	n = fread(out, 1, len - 1, f);
	out[n] = 0;
	pclose(f);
}

/* Child: writes and reads between the QPs until killed. */
static int spin(const char *a, const char *b)
{
	struct seg ls = { 0, 65536 };
	struct ibv_sge sge;
	struct ibv_send_wr wr = { 0 };
	struct ibv_wc wc;
	long done = 0;
	int i, inflight = 0;

	if (!end_open(&A, a) || !end_open(&B, b) || !make_pair(IBV_QPT_RC))
		return 1;
	to_sge(&sge, &A, &ls, 1);
	wr.sg_list = &sge;
	wr.num_sge = 1;
	wr.send_flags = IBV_SEND_SIGNALED;
	wr.wr.rdma.remote_addr = (uintptr_t)B.buf;
	wr.wr.rdma.rkey = B.mr->rkey;
	for (;;) {
		while (inflight < 16) {
			wr.opcode = inflight & 1 ? IBV_WR_RDMA_READ :
						   IBV_WR_RDMA_WRITE;
			if (!post_send(&A, &wr))
				return 1;
			inflight++;
		}
		i = poll_one(A.scq, &wc, WAIT_MS);
		if (i <= 0 || wc.status != IBV_WC_SUCCESS)
			return 1;
		inflight--;
		if (++done == 64) {
			printf("spinning\n");
			fflush(stdout);
		}
	}
}

static void t_kill(const char *a, const char *b, const char *base_in)
{
	char base[1024], now[1024], self[PATH_MAX], line[64] = "", *p;
	int fds[2], status, tries;
	ssize_t len;
	pid_t pid;
	FILE *f;
	bool ok = false;

	len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (len < 0 || pipe(fds)) {
		ktap_result(0, "kill -9 mid-traffic: setup");
		return;
	}
	self[len] = 0;
	snprintf(base, sizeof(base), "%s", base_in);
	fflush(stdout);
	pid = fork();
	if (!pid) {
		dup2(fds[1], 1);
		close(fds[0]);
		execl(self, self, "--spin", a, b, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	f = fdopen(fds[0], "r");
	if (pid > 0 && f && fgets(line, sizeof(line), f) &&
	    !strcmp(line, "spinning\n")) {
		res_counts(now, sizeof(now), a, b);
		for (p = now; (p = strchr(p, '\n')); )
			*p = ' ';
		ktap_info("under traffic: %s", now);
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		for (tries = 0; tries < 100; tries++) {
			res_counts(now, sizeof(now), a, b);
			if (!strcmp(now, base)) {
				for (p = now; (p = strchr(p, '\n')); )
					*p = ' ';
				ktap_info("after the kill: %s", now);
				ok = true;
				break;
			}
			usleep(100000);
		}
		if (!ok) {
			for (p = base; (p = strchr(p, '\n')); )
				*p = ' ';
			for (p = now; (p = strchr(p, '\n')); )
				*p = ' ';
			ktap_info("resources before: %s", base);
			ktap_info("resources after: %s", now);
		}
	} else {
		ktap_info("the traffic child did not start (%s)", line);
		if (pid > 0) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
		}
	}
	if (f)
		fclose(f);
	ktap_result(ok && base[0], "kill -9 mid-traffic: every resource reclaimed");
}

/* ----------------------------------------------------------------------- */

/* ----------------------------------------------------------------------- */

/*
 * Counters a case moves on purpose. A refused request: the responder NAKs
 * it (naks_sent, naks_rcvd), the requester completes it in error
 * (send_err), and the responder, now in ERR, drops the packets of the WRs
 * already on the wire behind it (rx_drop_qp_state). A datagram with the
 * wrong Q_Key is dropped as a bad header.
 */
#define MAY_REFUSED	"naks_sent naks_rcvd send_err rx_drop_qp_state"
#define MAY_WRONG_QKEY	"rx_drop_bad_header"
/* and a request the QP does not enable is counted as such */
#define MAY_NOT_ENABLED	MAY_REFUSED " rx_drop_no_access"

static struct test *add(const char *name, bool (*fn)(const struct test *))
{
	struct test *t = &tests[ntests++];

	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->fn = fn;
	t->fam = 4;
	t->type = IBV_QPT_RC;
	t->nsge = 1;
	return t;
}

static const char *wr_name(int op)
{
	switch (op) {
	case IBV_WR_SEND: return "SEND";
	case IBV_WR_SEND_WITH_IMM: return "SEND_WITH_IMM";
	case IBV_WR_RDMA_WRITE: return "RDMA_WRITE";
	case IBV_WR_RDMA_WRITE_WITH_IMM: return "RDMA_WRITE_WITH_IMM";
	case IBV_WR_RDMA_READ: return "RDMA_READ";
	default: return "?";
	}
}

static void add_xfer(enum ibv_qp_type type, int op, uint32_t len, int nsge,
		     int fam)
{
	char name[96], sges[16] = "";
	struct test *t;

	if (nsge > 1)
		snprintf(sges, sizeof(sges), " %d SGEs", nsge);
	snprintf(name, sizeof(name), "%s %s %u B%s%s",
		 type == IBV_QPT_UC ? "UC" : "RC", wr_name(op), len, sges,
		 fam == 6 ? " IPv6" : "");
	t = add(name, t_xfer);
	t->type = type;
	t->op = op;
	t->len = len;
	t->nsge = nsge;
	t->fam = fam;
}

static void build_tests(void)
{
	static const int ops[] = {
		IBV_WR_SEND, IBV_WR_SEND_WITH_IMM, IBV_WR_RDMA_WRITE,
		IBV_WR_RDMA_WRITE_WITH_IMM, IBV_WR_RDMA_READ,
	};
	static const struct { int arg; const char *name; } errs[] = {
		{ E_RKEY, "RDMA_WRITE with a wrong rkey: REM_ACCESS_ERR, rest flushed" },
		{ E_OOB_END, "RDMA_WRITE past the MR's end: REM_ACCESS_ERR, rest flushed" },
		{ E_OOB_START, "RDMA_WRITE before the MR's start: REM_ACCESS_ERR, rest flushed" },
		{ E_NO_RWRITE, "RDMA_WRITE to an MR without REMOTE_WRITE: REM_ACCESS_ERR, rest flushed" },
		{ E_NO_RREAD, "RDMA_READ of an MR without REMOTE_READ: REM_ACCESS_ERR, rest flushed" },
		{ E_NO_RATOMIC, "atomic on an MR without REMOTE_ATOMIC: REM_ACCESS_ERR, rest flushed" },
		{ E_LKEY, "RDMA_WRITE with a wrong lkey: LOC_PROT_ERR, rest flushed" },
		{ E_RECV_LKEY, "SEND into a receive with a wrong lkey: LOC_PROT_ERR / REM_OP_ERR" },
	};
	uint32_t sizes[] = { 1, 7, path_mtu - 1, path_mtu, path_mtu + 1,
			     65536 + 3, 1 << 20 };
	bool atomics = A.attr.orig_attr.atomic_cap != IBV_ATOMIC_NONE &&
		       B.attr.orig_attr.atomic_cap != IBV_ATOMIC_NONE;
	uint64_t need_inv = IBV_DEVICE_MEM_MGT_EXTENSIONS;
	bool inv = (B.attr.orig_attr.device_cap_flags & need_inv) &&
		   (B.attr.orig_attr.device_cap_flags &
		    (IBV_DEVICE_MEM_WINDOW_TYPE_2A |
		     IBV_DEVICE_MEM_WINDOW_TYPE_2B));
	struct test *t;
	unsigned int i, j;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		for (j = 0; j < sizeof(sizes) / sizeof(sizes[0]); j++)
			add_xfer(IBV_QPT_RC, ops[i], sizes[j], 1, 4);
		add_xfer(IBV_QPT_RC, ops[i], 10000, 4, 4);
		/* more pieces in one packet than an skb has fragments */
		add_xfer(IBV_QPT_RC, ops[i], path_mtu, MAX_SEGS, 4);
	}
	add_xfer(IBV_QPT_RC, IBV_WR_SEND, 0, 1, 4);
	add_xfer(IBV_QPT_RC, IBV_WR_RDMA_WRITE_WITH_IMM, 0, 1, 4);
	t = add("RC SEND inline 60 B", t_inline);
	t->len = 60;
	t = add("RC ATOMIC_CMP_AND_SWP (swap and no swap)", t_cas);
	if (!atomics)
		t->skip = "the devices report no atomics";
	t = add("RC ATOMIC_FETCH_AND_ADD (64-bit carry, wrap)", t_faa);
	if (!atomics)
		t->skip = "the devices report no atomics";
	t = add("RC ATOMIC_WRITE: lands whole; misaligned and no-write MR NAKed", t_atomic_write);
	t->may_move = MAY_REFUSED;
	if (driver_is_rxe && !(B.attr.device_cap_flags_ex & (1ull << 40)))
		t->skip = "this kernel's rdma_rxe reports no ATOMIC WRITE (6.2 on)";
	t = add("RC FLUSH: completes behind a WRITE; range, key, placement and QP refusals; a QP takes both FLUSH bits", t_flush);
	t->may_move = MAY_NOT_ENABLED;
	t = add("RC SEND_WITH_INV of a bound type 2 MW; the rkey is dead after", t_send_inv);
	/* the write through the dead rkey is refused and NAKed */
	t->may_move = MAY_REFUSED;
	if (!inv)
		t->skip = "the device reports no memory management extensions / type 2 MWs";

	/* IPv6 GIDs: the main opcodes once more. */
	add_xfer(IBV_QPT_RC, IBV_WR_SEND_WITH_IMM, 4096, 1, 6);
	add_xfer(IBV_QPT_RC, IBV_WR_RDMA_WRITE, 65536 + 3, 1, 6);
	add_xfer(IBV_QPT_RC, IBV_WR_RDMA_READ, 65536 + 3, 1, 6);
	add_xfer(IBV_QPT_RC, IBV_WR_RDMA_WRITE_WITH_IMM, path_mtu + 1, 3, 6);
	t = add("RC ATOMIC_FETCH_AND_ADD IPv6", t_faa);
	t->fam = 6;
	if (!atomics)
		t->skip = "the devices report no atomics";

	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		t = add(errs[i].name, t_error);
		t->arg = errs[i].arg;
		/* the bad WR is refused (or fails locally) on purpose */
		t->may_move = MAY_REFUSED;
		if (!atomics && errs[i].arg == E_NO_RATOMIC)
			t->skip = "the devices report no atomics";
	}

	for (i = 0; i < 2; i++) {
		char name[64];

		snprintf(name, sizeof(name), "UD SEND_WITH_IMM 1 B, GRH%s, wrong Q_Key dropped",
			 i ? " IPv6" : "");
		t = add(name, t_ud);
		t->may_move = MAY_WRONG_QKEY;
		t->len = 1;
		t->fam = i ? 6 : 4;
		snprintf(name, sizeof(name), "UD SEND_WITH_IMM %u B (MTU), GRH%s, wrong Q_Key dropped",
			 path_mtu, i ? " IPv6" : "");
		t = add(name, t_ud);
		t->may_move = MAY_WRONG_QKEY;
		t->len = path_mtu;
		t->fam = i ? 6 : 4;
	}

	add_xfer(IBV_QPT_UC, IBV_WR_RDMA_WRITE, 7, 1, 4);
	add_xfer(IBV_QPT_UC, IBV_WR_RDMA_WRITE, 65536 + 3, 1, 4);
	add_xfer(IBV_QPT_UC, IBV_WR_RDMA_WRITE_WITH_IMM, path_mtu + 1, 1, 4);
	add_xfer(IBV_QPT_UC, IBV_WR_SEND, 1, 1, 4);
	add_xfer(IBV_QPT_UC, IBV_WR_SEND_WITH_IMM, 65536 + 3, 3, 4);
	add_xfer(IBV_QPT_UC, IBV_WR_SEND, 4096, 1, 6);

	for (i = 0; i < (unsigned int)ntests; i++)
		if (tests[i].fam == 6 && A.gid6 < 0 && !tests[i].skip)
			tests[i].skip = "no RoCE v2 IPv6 GID";
}

static int mtu_bytes(enum ibv_mtu m)
{
	return 128 << m;
}

int main(int argc, char **argv)
{
	const char *da = getenv("SROCE_TEST_DEV_A");
	const char *db = getenv("SROCE_TEST_DEV_B");
	const char *drv = getenv("SROCE_TEST_DRIVER");
	char dev_a[64], dev_b[64], base[1024] = "", now[1024];
	bool own = false, ok;
	int i, rc, t0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 4 && !strcmp(argv[1], "--spin"))
		return spin(argv[2], argv[3]);
	if (argc == 3) {
		da = argv[1];
		db = argv[2];
	}
	if (test_lib_init())
		return KSFT_FAIL;
	if (!drv || !*drv)
		drv = "sroce";
	driver_is_rxe = !strcmp(drv, "rxe");

	if (!da || !db) {
		if (strcmp(drv, "sroce") && strcmp(drv, "rxe")) {
			ktap_plan(1);
			ktap_result(0, "SROCE_TEST_DRIVER must be sroce or rxe, not %s", drv);
			return ktap_finish();
		}
		snprintf(dev_a, sizeof(dev_a), "%s0", drv);
		snprintf(dev_b, sizeof(dev_b), "%s1", drv);
		da = dev_a;
		db = dev_b;
		if (!strcmp(drv, "rxe") && sh("modinfo rdma_rxe >/dev/null 2>&1")) {
			ktap_plan(1);
			ktap_skip_test("devices", "no rdma_rxe module in this kernel");
			return ktap_finish();
		}
		own = true;
		if (sh("roce_devs_up %s", drv)) {
			ktap_plan(1);
			ktap_result(0, "two %s devices on a veth pair", drv);
			sh("roce_devs_down");
			return ktap_finish();
		}
	}
	ktap_info("devices %s and %s", da, db);
	/* Before anything of ours is open: the leak baseline. */
	res_counts(base, sizeof(base), da, db);
	ktap_info("baseline: %s", one_line(base));

	msg = malloc(BUF_SIZE);
	if (!msg || !end_open(&A, da) || !end_open(&B, db)) {
		ktap_plan(1);
		ktap_result(0, "open %s and %s", da, db);
		goto out;
	}
	path_mtu = mtu_bytes(A.mtu < B.mtu ? A.mtu : B.mtu);
	ktap_info("path MTU %u; IPv4 GIDs %d/%d, IPv6 GIDs %d/%d; atomic_cap %d/%d; device_cap_flags 0x%llx",
		  path_mtu, A.gid4, B.gid4, A.gid6, B.gid6,
		  A.attr.orig_attr.atomic_cap, B.attr.orig_attr.atomic_cap,
		  (unsigned long long)B.attr.orig_attr.device_cap_flags);
	build_tests();
	ktap_plan(ntests + 2);

	for (i = 0; i < ntests; i++) {
		struct test *t = &tests[i];
		struct recovery ra, rb;
		long strays0 = strays;
		int ma, mb;

		if (t->skip) {
			ktap_skip_test(t->name, t->skip);
			continue;
		}
		family = t->fam;
		if (recovery_read(da, &ra) || recovery_read(db, &rb))
			ktap_info("no hw_counters on %s or %s", da, db);
		t0 = now_ms();
		rc = t->fn(t);
		if (now_ms() - t0 > 2000)
			ktap_info("%s: %d ms", t->name, (int)(now_ms() - t0));
		/* nothing may be left on the CQs once a case is done */
		cq_strays(&A, "after the case");
		cq_strays(&B, "after the case");
		ma = recovery_moved(da, &ra, t->may_move);
		mb = recovery_moved(db, &rb, t->may_move);
		if (ma || mb)
			ktap_info("recovery counters: %d moved on %s, %d on %s (-1: unreadable)",
				  ma, da, mb, db);
		ktap_result(rc && strays == strays0 && !ma && !mb, "%s",
			    t->name);
	}
	/* Anything late after the last case, then every object released. */
	ok = cq_quiet(&A, false) & cq_quiet(&A, true) & cq_quiet(&B, false) &
	     cq_quiet(&B, true);
	ok &= end_close(&A);
	ok &= end_close(&B);
	for (i = 0; i < 100; i++) {
		res_counts(now, sizeof(now), da, db);
		if (!strcmp(now, base))
			break;
		usleep(100000);
	}
	if (strcmp(now, base))
		ktap_info("rdma res now: %s", one_line(now));
	ktap_result(ok && base[0] && !strcmp(now, base),
		    "teardown: no late completion, every destroy/dereg/dealloc succeeded, rdma res back at the baseline");
	t_kill(da, db, base);
	goto done;
out:
	end_close(&A);
	end_close(&B);
done:
	free(msg);
	if (own)
		sh("roce_devs_down");
	return ktap_finish();
}
