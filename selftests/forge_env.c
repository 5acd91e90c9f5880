// SPDX-License-Identifier: GPL-2.0
/*
 * selftests/forge: the network (veth0 here, veth1 in netns fpeer), the
 * device under test, memory between guard pages, victim QPs connected to
 * the fake peer, the driver's counters, and the checks every case uses.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "forge.h"

struct env E = { .gid_idx = -1, .next_peer_qpn = 0x5e0100 };
bool case_ok;
static bool swapped;	/* rdma_rxe loaded in sroce's place: undo at the end */

static const char *const cnt_names[C_NUM] = {
	[C_SHORT] = "rx_drop_short",
	[C_BAD_ICRC] = "rx_drop_bad_icrc",
	[C_BAD_HEADER] = "rx_drop_bad_header",
	[C_BAD_OPCODE] = "rx_drop_bad_opcode",
	[C_NO_QP] = "rx_drop_no_qp",
	[C_QP_STATE] = "rx_drop_qp_state",
	[C_MSG] = "rx_drop_msg",
	[C_STALE_RESP] = "rx_drop_stale_resp",
	[C_NO_ACCESS] = "rx_drop_no_access",
	[C_NAKS_SENT] = "naks_sent",
	[C_OUT_OF_SEQ] = "out_of_seq_request",
	[C_DUP_REQ] = "duplicate_request",
	[C_RCV_RNR] = "rcvd_rnr_err",
	[C_RNR_EXC] = "retry_rnr_exceeded_err",
	[C_RCVD] = "rcvd_pkts",
};

void note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("# ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	fflush(stdout);
}

void fail(const char *fmt, ...)
{
	va_list ap;

	case_ok = false;
	va_start(ap, fmt);
	printf("# FAIL: ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	fflush(stdout);
}

void msleep(int ms)
{
	usleep((useconds_t)ms * 1000);
}

static int run(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	fflush(stdout);
	rc = system(cmd);
	if (rc)
		note("'%s' exited %d", cmd, rc);
	return rc;
}

/* --- the network and the device --------------------------------------- */

static void *map_pages(int n)
{
	void *p = mmap(NULL, (size_t)n * PG, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/*
 * 0, or 4 (skip: something the environment lacks, said why), or 1.
 */
int env_setup(void)
{
	int full = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
		   IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_ATOMIC;
	struct ibv_port_attr port;
	int i;

	E.drv = getenv("SROCE_TEST_DRIVER");
	if (!E.drv || !*E.drv)
		E.drv = "sroce";
	if (strcmp(E.drv, "sroce") && strcmp(E.drv, "rxe")) {
		note("SROCE_TEST_DRIVER must be sroce or rxe, not %s", E.drv);
		return 1;
	}
	E.rxe = !strcmp(E.drv, "rxe");
	snprintf(E.dev, sizeof(E.dev), "%s0", E.drv);
	if (system("command -v ip >/dev/null && command -v rdma >/dev/null")) {
		note("SKIP: ip or rdma (iproute2) missing");
		return 4;
	}
	env_teardown();
	if (E.rxe) {
		if (run("(! [ -d /sys/module/sroce ] || modprobe -r sroce) && modprobe rdma_rxe")) {
			note("SKIP: rdma_rxe cannot be loaded");
			return 4;
		}
		swapped = true;
	} else if (run("[ -d /sys/module/sroce ] || modprobe sroce")) {
		note("SKIP: sroce cannot be loaded");
		return 4;
	}
	if (run("ip netns add " NETNS)) {
		note("SKIP: no network namespaces");
		return 4;
	}
	if (run("ip link add " VETH_A " address " MAC_A " type veth peer name "
		VETH_B " address " MAC_B) ||
	    run("ip link set " VETH_B " netns " NETNS) ||
	    run("sysctl -qw net.ipv4.conf." VETH_A ".rp_filter=0") ||
	    run("ip addr add " IP_A "/24 dev " VETH_A) ||
	    /*
	     * The peer plays a wire: what sroce sends as one UDP GSO skb
	     * must reach it as the datagrams the stack cuts it into, as
	     * from a NIC, not whole as a veth would hand it over.
	     */
	    run("ethtool -K " VETH_A " tx-udp-segmentation off") ||
	    run("ip link set " VETH_A " up") ||
	    run("ip -n " NETNS " addr add " IP_B "/24 dev " VETH_B) ||
	    run("ip -n " NETNS " link set " VETH_B " up") ||
	    run("ip neigh replace " IP_B " lladdr " MAC_B " dev " VETH_A
		" nud permanent") ||
	    run("ip -n " NETNS " neigh replace " IP_A " lladdr " MAC_A
		" dev " VETH_B " nud permanent"))
		return 1;
	if (run("rdma link add %s type %s netdev " VETH_A, E.dev, E.drv))
		return 1;
	E.ctx = open_dev(E.dev);
	if (!E.ctx) {
		note("cannot open %s", E.dev);
		return 1;
	}
	for (i = 0; i < 200; i++) {
		if (!ibv_query_port(E.ctx, 1, &port) &&
		    port.state == IBV_PORT_ACTIVE)
			break;
		msleep(100);
	}
	if (port.state != IBV_PORT_ACTIVE) {
		note("%s port 1 never became ACTIVE", E.dev);
		return 1;
	}
	E.gid_idx = find_roce_gid(E.ctx, 4, IP_A, NULL, 10000);
	if (E.gid_idx < 0) {
		note("no RoCE v2 GID for " IP_A " on %s", E.dev);
		return 1;
	}
	memset(&E.gid_b, 0, sizeof(E.gid_b));
	E.gid_b.raw[10] = E.gid_b.raw[11] = 0xff;
	inet_pton(AF_INET, IP_B, E.gid_b.raw + 12);
	if (peer_open())
		return 1;

	E.area = map_pages(3);
	E.area2 = map_pages(1);
	E.lbuf = map_pages(1);
	E.pd = ibv_alloc_pd(E.ctx);
	E.pd2 = ibv_alloc_pd(E.ctx);
	if (!E.area || !E.area2 || !E.lbuf || !E.pd || !E.pd2)
		return 1;
	E.mrbuf = E.area + PG;
	mem_reset();
	E.mr = ibv_reg_mr(E.pd, E.mrbuf, PG, full);
	E.mr2 = ibv_reg_mr(E.pd2, E.area2, PG, full);
	E.lmr = ibv_reg_mr(E.pd, E.lbuf, PG, full);
	if (!E.mr || !E.mr2 || !E.lmr) {
		note("ibv_reg_mr: %s", strerror(errno));
		return 1;
	}
	note("%s on " VETH_A " (" IP_A ", GID index %d), peer " IP_B
	     " in netns " NETNS "; MR rkey 0x%x at %p, other PD's MR rkey 0x%x",
	     E.dev, E.gid_idx, E.mr->rkey, (void *)E.mrbuf, E.mr2->rkey);
	return 0;
}

void env_teardown(void)
{
	peer_close();
	if (E.lmr)
		ibv_dereg_mr(E.lmr);
	if (E.mr2)
		ibv_dereg_mr(E.mr2);
	if (E.mr)
		ibv_dereg_mr(E.mr);
	if (E.pd2)
		ibv_dealloc_pd(E.pd2);
	if (E.pd)
		ibv_dealloc_pd(E.pd);
	if (E.ctx)
		ibv_close_device(E.ctx);
	E.lmr = E.mr2 = E.mr = NULL;
	E.pd = E.pd2 = NULL;
	E.ctx = NULL;
	fflush(stdout);
	if (system("rdma link delete sroce0 2>/dev/null; rdma link delete rxe0 2>/dev/null; "
		   "ip link del " VETH_A " 2>/dev/null; ip netns del " NETNS
		   " 2>/dev/null; true"))
		note("teardown: shell failed");
	if (swapped && system("modprobe -r rdma_rxe && modprobe sroce"))
		note("teardown: could not swap rdma_rxe back for sroce");
	swapped = false;
}

/* The MR page holds a pattern, the guard pages and pd2's page GUARD. */
void mem_reset(void)
{
	int i;

	memset(E.area, GUARD, PG);
	memset(E.area + 2 * PG, GUARD, PG);
	for (i = 0; i < PG; i++)
		E.shadow[i] = (uint8_t)(i * 7 + 3);
	memcpy(E.mrbuf, E.shadow, PG);
	memset(E.shadow2, 0xc3, PG);
	memcpy(E.area2, E.shadow2, PG);
}

static bool cmp_report(const char *what, const uint8_t *got,
		       const uint8_t *want, uint8_t fill, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		uint8_t w = want ? want[i] : fill;

		if (got[i] != w) {
			fail("%s changed at byte %zu: 0x%02x, must be 0x%02x",
			     what, i, got[i], w);
			return false;
		}
	}
	return true;
}

/* Guard pages untouched, the MR page and the other PD's page as shadowed. */
bool want_mem(void)
{
	bool ok = cmp_report("guard page below the MR", E.area, NULL, GUARD, PG);

	ok &= cmp_report("MR page", E.mrbuf, E.shadow, 0, PG);
	ok &= cmp_report("guard page above the MR", E.area + 2 * PG, NULL,
			 GUARD, PG);
	ok &= cmp_report("other PD's MR", E.area2, E.shadow2, 0, PG);
	return ok;
}

/* --- victims ----------------------------------------------------------- */

void vopts_rc(struct vopts *o)
{
	memset(o, 0, sizeof(*o));
	o->type = IBV_QPT_RC;
	o->access = IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ |
		    IBV_ACCESS_REMOTE_ATOMIC;
	o->max_dest_rd = 16;
	o->rnr_retry = 7;
	o->sq_psn = 0x1000;
	o->rq_psn = 0x2000;
}

/* A QP of @o->type, connected to a fresh made-up QPN of the fake peer. */
int victim_new(struct victim *v, const struct vopts *o)
{
	struct ibv_qp_init_attr ia = {
		.qp_type = o->type,
		.cap = { .max_send_wr = 64, .max_recv_wr = 64,
			 .max_send_sge = 4, .max_recv_sge = 4 },
	};
	struct qp_path p = {
		.sgid_index = E.gid_idx, .mtu = IBV_MTU_1024,
		.retry_cnt = 7, .min_rnr_timer = 1, .max_rd_atomic = 16,
	};

	memset(v, 0, sizeof(*v));
	v->cq = ibv_create_cq(E.ctx, 256, NULL, NULL, 0);
	if (!v->cq) {
		note("ibv_create_cq: %s", strerror(errno));
		return -1;
	}
	ia.send_cq = ia.recv_cq = v->cq;
	v->qp = ibv_create_qp(o->pd ? o->pd : E.pd, &ia);
	if (!v->qp) {
		note("ibv_create_qp: %s", strerror(errno));
		victim_free(v);
		return -1;
	}
	v->qpn = v->qp->qp_num;
	v->peer_qpn = E.next_peer_qpn++;
	v->sq_psn = PSN(o->sq_psn);
	v->rq_psn = PSN(o->rq_psn);

	p.dgid = E.gid_b;
	p.dest_qpn = v->peer_qpn;
	p.sq_psn = v->sq_psn;
	p.rq_psn = v->rq_psn;
	p.qkey = o->qkey;
	p.access = o->access;
	p.timeout = o->timeout;
	p.rnr_retry = o->rnr_retry;
	p.max_dest_rd_atomic = o->max_dest_rd;
	if (!qp_bring_up(v->qp, &p))
		return 0;
	victim_free(v);
	return -1;
}

void victim_free(struct victim *v)
{
	if (v->qp)
		ibv_destroy_qp(v->qp);
	if (v->cq)
		ibv_destroy_cq(v->cq);
	v->qp = NULL;
	v->cq = NULL;
}

int qp_state(struct ibv_qp *qp)
{
	struct ibv_qp_init_attr ia;
	struct ibv_qp_attr a;

	if (ibv_query_qp(qp, &a, IBV_QP_STATE, &ia))
		return -1;
	return a.qp_state;
}

int cq_wait(struct ibv_cq *cq, struct ibv_wc *wc, int ms)
{
	long end = now_ms() + ms;
	int n;

	for (;;) {
		n = ibv_poll_cq(cq, 1, wc);
		if (n)
			return n;
		if (now_ms() >= end)
			return 0;
		usleep(2000);
	}
}

/* --- counters, QP1, the kernel log ------------------------------------ */

void counters_read(struct counters *c)
{
	char path[256];
	FILE *f;
	int i;

	/* the core caches hw counters for 10 ms: read a fresh value */
	msleep(30);
	for (i = 0; i < C_NUM; i++) {
		unsigned long long x;

		c->v[i] = UINT64_MAX;
		snprintf(path, sizeof(path),
			 "/sys/class/infiniband/%s/ports/1/hw_counters/%s",
			 E.dev, cnt_names[i]);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fscanf(f, "%llu", &x) == 1)
			c->v[i] = x;
		fclose(f);
	}
}

/*
 * The counters in @moved must have grown since @b; no other rx_drop_*
 * counter may have. A counter the driver lacks is not checked.
 */
void want_counters(const struct counters *b, unsigned int moved)
{
	struct counters a;
	int i;

	counters_read(&a);
	for (i = 0; i < C_NUM; i++) {
		if (a.v[i] == UINT64_MAX || b->v[i] == UINT64_MAX)
			continue;
		if ((moved & CBIT(i)) && a.v[i] <= b->v[i])
			fail("counter %s did not move (%llu)", cnt_names[i],
			     (unsigned long long)a.v[i]);
		if (!(moved & CBIT(i)) && i < C_DROPS_END && a.v[i] != b->v[i])
			fail("counter %s moved %llu -> %llu", cnt_names[i],
			     (unsigned long long)b->v[i],
			     (unsigned long long)a.v[i]);
	}
}

/* Says how much each counter moved since @b (diagnostics only). */
void counters_note(const struct counters *b)
{
	char line[1024];
	struct counters a;
	size_t n = 0;
	int i;

	counters_read(&a);
	line[0] = 0;
	for (i = 0; i < C_NUM && n < sizeof(line) - 64; i++)
		if (a.v[i] != UINT64_MAX && b->v[i] != UINT64_MAX &&
		    a.v[i] != b->v[i])
			n += (size_t)snprintf(line + n, sizeof(line) - n,
					      " %s +%llu", cnt_names[i],
					      (unsigned long long)(a.v[i] - b->v[i]));
	note("counters moved:%s", n ? line : " none readable");
}

/* QP1's state as `rdma res show qp` prints it, or "none". */
const char *gsi_state(char *buf, size_t len)
{
	char cmd[128], line[512], *p;
	FILE *f;

	snprintf(buf, len, "none");
	snprintf(cmd, sizeof(cmd), "rdma res show qp link %s/1 2>/dev/null",
		 E.dev);
	fflush(stdout);
	f = popen(cmd, "r");
	if (!f)
		return buf;
	while (fgets(line, sizeof(line), f)) {
		if (!strstr(line, " lqpn 1 "))
			continue;
		p = strstr(line, " state ");
		if (p && sscanf(p + 7, "%15s", buf) != 1)
			snprintf(buf, len, "?");
	}
	pclose(f);
	return buf;
}

static const char *const bad_log[] = {
	"WARNING", "BUG:", "Oops", "general protection", "refcount_t",
	"use-after-free", "lockdep", "hung task", "memory leak", "UBSAN",
	"KASAN",
	"soft lockup", "Call Trace",
};

static int kmsg_scan(int from, bool report)
{
	char line[1024];
	int n = 0, bad = 0;
	size_t i;
	FILE *f;

	fflush(stdout);
	f = popen("dmesg 2>/dev/null", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (n++ < from || !report)
			continue;
		for (i = 0; i < sizeof(bad_log) / sizeof(bad_log[0]); i++) {
			if (strstr(line, bad_log[i])) {
				bad++;
				line[strcspn(line, "\n")] = 0;
				note("kernel log: %s", line);
				break;
			}
		}
	}
	pclose(f);
	return report ? bad : n;
}

int kmsg_mark(void)
{
	return kmsg_scan(0, false);
}

int kmsg_bad_since(int mark)
{
	return kmsg_scan(mark, true);
}

/* --- checks ------------------------------------------------------------ */

static const char *syn_name(uint8_t s)
{
	switch (s) {
	case SYN_ACK: return "ACK";
	case SYN_NAK_SEQ: return "NAK PSN sequence";
	case SYN_NAK_INV: return "NAK invalid request";
	case SYN_NAK_ACC: return "NAK remote access";
	case SYN_NAK_OP: return "NAK remote operational";
	default: return (s & 0xe0) == 0x20 ? "RNR NAK" : "?";
	}
}

/* An ACK (opcode 0x11) to the peer with syndrome @syn for @psn. */
bool want_ack(const struct victim *v, uint8_t syn, uint32_t psn)
{
	struct rpkt r;

	if (!peer_recv(&r, v->peer_qpn, WAIT_MS)) {
		fail("no %s (0x%02x) for PSN 0x%06x within %d ms",
		     syn_name(syn), syn, psn, WAIT_MS);
		return false;
	}
	if (r.opcode != OP_ACK || r.syn != syn || r.psn != PSN(psn) ||
	    !r.icrc_ok) {
		fail("expected %s (0x%02x) PSN 0x%06x, got opcode 0x%02x syndrome 0x%02x (%s) PSN 0x%06x%s",
		     syn_name(syn), syn, PSN(psn), r.opcode,
		     r.has_aeth ? r.syn : 0, r.has_aeth ? syn_name(r.syn) : "-",
		     r.psn, r.icrc_ok ? "" : ", bad ICRC");
		return false;
	}
	return true;
}

/* Nothing to @peer_qpn (~0u: to anyone) for @ms. */
bool want_quiet(uint32_t peer_qpn, int ms)
{
	struct rpkt r;

	if (peer_recv(&r, peer_qpn, ms)) {
		fail("unexpected frame: opcode 0x%02x to QPN 0x%06x PSN 0x%06x%s%02x",
		     r.opcode, r.qpn, r.psn, r.has_aeth ? " syndrome 0x" : " ",
		     r.has_aeth ? r.syn : 0);
		return false;
	}
	return true;
}

static const char *state_name(int s)
{
	static const char *const n[] = { "RESET", "INIT", "RTR", "RTS", "SQD",
					 "SQE", "ERR" };

	return s >= 0 && s <= IBV_QPS_ERR ? n[s] : "?";
}

bool want_state(const struct victim *v, int state)
{
	int s = qp_state(v->qp);

	if (s != state) {
		fail("QP 0x%x in state %s, must be %s", v->qpn, state_name(s),
		     state_name(state));
		return false;
	}
	return true;
}

bool want_no_wc(const struct victim *v, int ms)
{
	struct ibv_wc wc;

	if (cq_wait(v->cq, &wc, ms)) {
		fail("unexpected completion: wr_id 0x%llx status %s opcode %d",
		     (unsigned long long)wc.wr_id,
		     ibv_wc_status_str(wc.status), wc.opcode);
		return false;
	}
	return true;
}

bool want_wc(const struct victim *v, uint64_t wr_id, int status,
	     struct ibv_wc *out)
{
	struct ibv_wc wc;

	if (!cq_wait(v->cq, &wc, WAIT_MS)) {
		fail("no completion for wr_id 0x%llx within %d ms",
		     (unsigned long long)wr_id, WAIT_MS);
		return false;
	}
	if (out)
		*out = wc;
	if (wc.wr_id != wr_id || (int)wc.status != status) {
		fail("completion wr_id 0x%llx status %s, must be wr_id 0x%llx status %s",
		     (unsigned long long)wc.wr_id,
		     ibv_wc_status_str(wc.status), (unsigned long long)wr_id,
		     ibv_wc_status_str(status));
		return false;
	}
	return true;
}
