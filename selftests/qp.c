// SPDX-License-Identifier: GPL-2.0
/*
 * Queue pairs through stock libibverbs (rxe provider): create RC, UC and UD
 * QPs, walk the state machine with valid attributes and read them back,
 * refuse invalid transitions, masks, values and capacities without harming
 * the QP, refuse posting sends before RTS, never reuse a QPN at once, hold a few thousand QPs while netlink
 * dumps race with them, and lose none when their process is killed or the
 * device deleted under them.
 *
 * Sets up its own device: sroce_qp0 on veth0 (selftests/lib.sh), with a
 * permanent neighbour as the remote end so that core resolves the AV's
 * destination MAC at once.
 */
#include <errno.h>
#include <infiniband/verbs.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ktap.h"
#include "qp_lib.h"

/* The next async event within @ms is @type for @qp. */
static bool async_event_is(enum ibv_event_type type, struct ibv_qp *qp,
			   int ms)
{
	struct pollfd pfd = { .fd = ctx->async_fd, .events = POLLIN };
	struct ibv_async_event ev;
	bool ok;

	if (poll(&pfd, 1, ms) != 1 || ibv_get_async_event(ctx, &ev))
		return false;
	ok = ev.event_type == type && ev.element.qp == qp;
	if (!ok)
		ktap_info("async event %s", ibv_event_type_str(ev.event_type));
	ibv_ack_async_event(&ev);
	return ok;
}

/* The QP's line in `rdma -dd res show qp`, or an empty string. */
static void res_line(uint32_t qpn, char *line, size_t len)
{
	char cmd[256];
	FILE *f;

	memset(line, 0, len);
	snprintf(cmd, sizeof(cmd),
		 "rdma -dd res show qp 2>/dev/null | grep '^link %s/1 lqpn %u '",
		 DEV_NAME, qpn);
	f = popen(cmd, "r");
	if (!f)
		return;
	if (!fgets(line, len - 1, f))
		line[0] = 0;
	pclose(f);
	/* end every word with a space: callers match " name value " */
	line[strcspn(line, "\n")] = 0;
	strcat(line, " ");
}

/* sroce's own attributes in the resource dump match the QP's. */
static void test_res_dd(struct ibv_qp *qp)
{
	struct ibv_qp_init_attr init;
	struct ibv_qp_attr a;
	char line[1024], want[64];
	bool ok;

	res_line(qp->qp_num, line, sizeof(line));
	ok = line[1] && !ibv_query_qp(qp, &a, IBV_QP_CAP, &init);
	snprintf(want, sizeof(want), " drv_sq_depth %u ", init.cap.max_send_wr);
	ok = ok && strstr(line, want) && strstr(line, " state RTS ");
	if (qp->qp_type == IBV_QPT_RC)
		ok = ok && strstr(line, " drv_timeout 14 ") &&
		     strstr(line, " drv_retry_cnt 7 ") &&
		     strstr(line, " drv_path_mtu 1024 ");
	if (qp->qp_type == IBV_QPT_UD)
		ok = ok && strstr(line, " drv_qkey 0x11111111 ");
	if (!ok)
		ktap_info("dump line: %s", line[1] ? line : "(none)");
	ktap_result(ok, "%s: rdma -dd res show qp shows sroce's attributes",
		    type_name(qp->qp_type));
}

static void test_walk(enum ibv_qp_type type)
{
	const char *t = type_name(type);
	struct ibv_qp_attr a;
	struct ibv_qp *qp;
	bool ok;

	qp = create_qp(type);
	ktap_result(qp && qp->qp_num >= 2 && qp->qp_num <= 0xffffff &&
		    qp_state(qp) == IBV_QPS_RESET,
		    "%s: create, QPN %u in [2, 2^24), state RESET", t,
		    qp ? qp->qp_num : 0);
	if (!qp)
		return;

	ok = !to_init(qp) && qp_state(qp) == IBV_QPS_INIT;
	ktap_result(ok, "%s: RESET -> INIT", t);
	ok = !to_rtr(qp) && qp_state(qp) == IBV_QPS_RTR;
	ktap_result(ok, "%s: INIT -> RTR", t);
	ok = !to_rts(qp) && check_query(qp, IBV_QPS_RTS);
	ktap_result(ok, "%s: RTR -> RTS, query returns every attribute set", t);
	test_res_dd(qp);

	/* an attribute-only modify in RTS */
	memset(&a, 0, sizeof(a));
	if (type == IBV_QPT_UD) {
		a.qkey = 0x22222222;
		ok = !ibv_modify_qp(qp, &a, IBV_QP_QKEY);
		ok = ok && !ibv_query_qp(qp, &a, IBV_QP_QKEY,
					 &(struct ibv_qp_init_attr){}) &&
		     a.qkey == 0x22222222;
		a.qkey = 0x11111111;
		ok = ok && !ibv_modify_qp(qp, &a, IBV_QP_QKEY);
	} else {
		a.qp_access_flags = IBV_ACCESS_REMOTE_WRITE;
		ok = !ibv_modify_qp(qp, &a, IBV_QP_ACCESS_FLAGS);
		ok = ok && !ibv_query_qp(qp, &a, IBV_QP_ACCESS_FLAGS,
					 &(struct ibv_qp_init_attr){}) &&
		     a.qp_access_flags == IBV_ACCESS_REMOTE_WRITE;
		a.qp_access_flags = IBV_ACCESS_REMOTE_WRITE |
				    IBV_ACCESS_REMOTE_READ;
		ok = ok && !ibv_modify_qp(qp, &a, IBV_QP_ACCESS_FLAGS);
	}
	ok = ok && check_query(qp, IBV_QPS_RTS);
	ktap_result(ok, "%s: RTS -> RTS attribute change, read back", t);

	/* RC asks for SQ_DRAINED, the others do not and must get none */
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_SQD;
	a.en_sqd_async_notify = type == IBV_QPT_RC;
	ok = !ibv_modify_qp(qp, &a, IBV_QP_STATE |
			    IBV_QP_EN_SQD_ASYNC_NOTIFY) &&
	     check_query(qp, IBV_QPS_SQD);
	ktap_result(ok, "%s: RTS -> SQD", t);
	if (type == IBV_QPT_RC)
		ktap_result(async_event_is(IBV_EVENT_SQ_DRAINED, qp, 5000),
			    "%s: SQ_DRAINED event for the QP", t);
	else
		ktap_result(!async_event_is(IBV_EVENT_SQ_DRAINED, qp, 300),
			    "%s: no SQ_DRAINED event without en_sqd_async_notify",
			    t);
	ok = !to_state(qp, IBV_QPS_RTS) && check_query(qp, IBV_QPS_RTS);
	ktap_result(ok, "%s: SQD -> RTS", t);
	ok = !to_state(qp, IBV_QPS_ERR) && qp_state(qp) == IBV_QPS_ERR;
	ktap_result(ok, "%s: RTS -> ERR", t);
	ok = !to_state(qp, IBV_QPS_RESET) && qp_state(qp) == IBV_QPS_RESET;
	ktap_result(ok, "%s: ERR -> RESET", t);
	ok = !to_init(qp) && !to_rtr(qp) && !to_rts(qp) &&
	     check_query(qp, IBV_QPS_RTS);
	ktap_result(ok, "%s: RESET -> INIT -> RTR -> RTS again", t);
	ktap_result(!ibv_destroy_qp(qp), "%s: destroy", t);
}

/*
 * One refused modify: it fails with @want (any error when 0), the QP stays
 * in @state, and a valid transition still works afterwards (checked by the
 * caller).
 */
static bool refused_err(struct ibv_qp *qp, struct ibv_qp_attr *a, int mask,
			enum ibv_qp_state state, int want)
{
	int err = ibv_modify_qp(qp, a, mask);

	if (!err || (want && err != want)) {
		ktap_info("expected %s, got %d (%s)",
			  want ? strerror(want) : "an error", err,
			  strerror(err));
		return false;
	}
	return qp_state(qp) == (int)state;
}

static bool refused(struct ibv_qp *qp, struct ibv_qp_attr *a, int mask,
		    enum ibv_qp_state state)
{
	return refused_err(qp, a, mask, state, EINVAL);
}

static void test_invalid_transitions(void)
{
	struct ibv_qp *qp = create_qp(IBV_QPT_RC);
	struct ibv_qp_attr a;
	int mask;

	if (!qp) {
		ktap_result(0, "invalid transitions: create RC QP");
		return;
	}
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTR;
	ktap_result(refused(qp, &a, IBV_QP_STATE, IBV_QPS_RESET),
		    "RESET -> RTR refused");
	a.qp_state = IBV_QPS_RTS;
	ktap_result(refused(qp, &a, IBV_QP_STATE, IBV_QPS_RESET),
		    "RESET -> RTS refused");
	a.qp_state = IBV_QPS_SQD;
	ktap_result(refused(qp, &a, IBV_QP_STATE, IBV_QPS_RESET),
		    "RESET -> SQD refused");

	/* RESET -> INIT without its required port */
	a.qp_state = IBV_QPS_INIT;
	a.qp_access_flags = 0;
	ktap_result(refused(qp, &a, IBV_QP_STATE | IBV_QP_PKEY_INDEX |
			    IBV_QP_ACCESS_FLAGS, IBV_QPS_RESET),
		    "RESET -> INIT missing IBV_QP_PORT refused");
	/* ... or with an attribute that transition does not take */
	a.port_num = 1;
	a.sq_psn = 1;
	ktap_result(refused(qp, &a, IBV_QP_STATE | IBV_QP_PKEY_INDEX |
			    IBV_QP_ACCESS_FLAGS | IBV_QP_PORT | IBV_QP_SQ_PSN,
			    IBV_QPS_RESET),
		    "RESET -> INIT with IBV_QP_SQ_PSN refused");
	/* an attribute-only modify in RESET */
	a.sq_psn = 1;
	ktap_result(refused(qp, &a, IBV_QP_SQ_PSN, IBV_QPS_RESET),
		    "SQ_PSN without a state change in RESET refused");
	/* a current state that is not the QP's */
	a.qp_state = IBV_QPS_INIT;
	a.cur_qp_state = IBV_QPS_RTS;
	ktap_result(refused(qp, &a, IBV_QP_STATE | IBV_QP_CUR_STATE |
			    IBV_QP_PKEY_INDEX | IBV_QP_PORT |
			    IBV_QP_ACCESS_FLAGS, IBV_QPS_RESET),
		    "wrong IBV_QP_CUR_STATE refused");
	/* a state that does not exist */
	a.qp_state = 9;
	ktap_result(refused(qp, &a, IBV_QP_STATE, IBV_QPS_RESET),
		    "state 9 refused");
	/* a capacity change */
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_INIT;
	a.port_num = 1;
	a.cap.max_send_wr = 4;
	ktap_result(refused(qp, &a, IBV_QP_STATE | IBV_QP_PKEY_INDEX |
			    IBV_QP_PORT | IBV_QP_ACCESS_FLAGS | IBV_QP_CAP,
			    IBV_QPS_RESET),
		    "IBV_QP_CAP refused");

	ktap_result(!to_init(qp) && qp_state(qp) == IBV_QPS_INIT,
		    "after refusals: RESET -> INIT works");

	/* INIT -> RTR without the AV; INIT -> RTS */
	rtr_attr(qp, &a, &mask);
	ktap_result(refused(qp, &a, mask & ~IBV_QP_AV, IBV_QPS_INIT),
		    "INIT -> RTR missing IBV_QP_AV refused");
	a.qp_state = IBV_QPS_RTS;
	ktap_result(refused(qp, &a, IBV_QP_STATE, IBV_QPS_INIT),
		    "INIT -> RTS refused");
	ktap_result(!to_rtr(qp) && qp_state(qp) == IBV_QPS_RTR,
		    "after refusals: INIT -> RTR works");
	/* RTR -> RTS without the RC's required timeout */
	rts_attr(qp, &a, &mask);
	ktap_result(refused(qp, &a, mask & ~IBV_QP_TIMEOUT, IBV_QPS_RTR),
		    "RTR -> RTS missing IBV_QP_TIMEOUT refused");
	a.qp_state = IBV_QPS_SQD;
	ktap_result(refused(qp, &a, IBV_QP_STATE, IBV_QPS_RTR),
		    "RTR -> SQD refused");
	ktap_result(!to_rts(qp) && check_query(qp, IBV_QPS_RTS),
		    "after refusals: RTR -> RTS works, attributes intact");
	ktap_result(!ibv_destroy_qp(qp), "invalid transitions: destroy");
}

/* Bad values in an otherwise valid transition, one at a time. */
static void test_invalid_values(void)
{
	struct ibv_qp *qp = create_qp(IBV_QPT_RC);
	struct ibv_qp_attr a;
	int mask;

	if (!qp || to_init(qp)) {
		ktap_result(0, "invalid values: RC QP in INIT");
		return;
	}
	memset(&a, 0, sizeof(a));
	a.qp_access_flags = IBV_ACCESS_MW_BIND;
	ktap_result(refused(qp, &a, IBV_QP_ACCESS_FLAGS, IBV_QPS_INIT),
		    "access flag MW_BIND refused");
	a.qp_access_flags = 0;
	a.pkey_index = 1;
	ktap_result(refused(qp, &a, IBV_QP_PKEY_INDEX, IBV_QPS_INIT),
		    "pkey_index 1 refused (table length 1)");
	a.pkey_index = 0;
	a.port_num = 2;
	ktap_result(refused(qp, &a, IBV_QP_PORT, IBV_QPS_INIT),
		    "port 2 refused");

#define BAD_RTR(field, value, what)					\
	do {								\
		rtr_attr(qp, &a, &mask);				\
		field = value;						\
		ktap_result(refused(qp, &a, mask, IBV_QPS_INIT),	\
			    "INIT -> RTR with %s refused", what);	\
	} while (0)
	BAD_RTR(a.path_mtu, IBV_MTU_4096,
		"path MTU 4096 above the active MTU 1024");
	BAD_RTR(a.path_mtu, 0, "path MTU 0");
	BAD_RTR(a.path_mtu, 6, "path MTU enum 6");
	BAD_RTR(a.min_rnr_timer, 32, "min_rnr_timer 32");
	BAD_RTR(a.max_dest_rd_atomic, MAX_RD_ATOM + 1,
		"max_dest_rd_atomic above max_qp_rd_atom");
	BAD_RTR(a.dest_qp_num, 0x1000000, "a 25-bit destination QPN");
	BAD_RTR(a.ah_attr.is_global, 0, "an AV without GRH");
	/* core looks the source GID up: its errno */
	rtr_attr(qp, &a, &mask);
	a.ah_attr.grh.sgid_index = 255;
	ktap_result(refused_err(qp, &a, mask, IBV_QPS_INIT, 0),
		    "INIT -> RTR with an empty sgid_index refused");
	BAD_RTR(a.ah_attr.grh.flow_label, 0x100000, "a 21-bit flow label");
	ktap_result(!to_rtr(qp) && qp_state(qp) == IBV_QPS_RTR,
		    "after refusals: INIT -> RTR works");

#define BAD_RTS(field, value, what)					\
	do {								\
		rts_attr(qp, &a, &mask);				\
		field = value;						\
		ktap_result(refused(qp, &a, mask, IBV_QPS_RTR),	\
			    "RTR -> RTS with %s refused", what);	\
	} while (0)
	BAD_RTS(a.retry_cnt, 8, "retry_cnt 8");
	BAD_RTS(a.rnr_retry, 8, "rnr_retry 8");
	BAD_RTS(a.timeout, 32, "timeout 32");
	BAD_RTS(a.max_rd_atomic, MAX_RD_ATOM + 1,
		"max_rd_atomic above max_qp_init_rd_atom");
	ktap_result(!to_rts(qp) && check_query(qp, IBV_QPS_RTS),
		    "after refusals: RTR -> RTS works, attributes intact");
	ktap_result(!ibv_destroy_qp(qp), "invalid values: destroy");
}

static void expect_create_fails(const char *what, enum ibv_qp_type type,
				uint32_t swr, uint32_t rwr, uint32_t ssge,
				uint32_t rsge, uint32_t inl)
{
	struct ibv_qp *qp;

	errno = 0;
	qp = create_qp_cap(type, swr, rwr, ssge, rsge, inl, NULL);
	ktap_result(!qp && errno == EINVAL, "create with %s fails EINVAL (%s)",
		    what, qp ? "created" : strerror(errno));
	if (qp)
		ibv_destroy_qp(qp);
}

static void test_caps(void)
{
	struct ibv_qp_init_attr init;
	struct ibv_qp_attr a;
	struct ibv_srq_init_attr sattr = { .attr = { .max_wr = 16,
						     .max_sge = 1 } };
	struct ibv_srq *srq;
	struct ibv_qp *qp;

	ktap_result(dev_attr.max_qp == 0x10000 &&
		    dev_attr.max_qp_wr == MAX_QP_WR &&
		    dev_attr.max_sge == MAX_SGE &&
		    dev_attr.max_qp_rd_atom == MAX_RD_ATOM &&
		    dev_attr.max_qp_init_rd_atom == MAX_RD_ATOM,
		    "device attributes: max_qp %d max_qp_wr %d max_sge %d rd_atom %d/%d",
		    dev_attr.max_qp, dev_attr.max_qp_wr, dev_attr.max_sge,
		    dev_attr.max_qp_rd_atom, dev_attr.max_qp_init_rd_atom);

	expect_create_fails("max_send_wr above max_qp_wr", IBV_QPT_RC,
			    MAX_QP_WR + 1, 16, 1, 1, 0);
	expect_create_fails("max_recv_wr above max_qp_wr", IBV_QPT_RC,
			    16, MAX_QP_WR + 1, 1, 1, 0);
	expect_create_fails("max_send_sge above max_sge", IBV_QPT_UC,
			    16, 16, MAX_SGE + 1, 1, 0);
	expect_create_fails("max_recv_sge above max_sge", IBV_QPT_UD,
			    16, 16, 1, MAX_SGE + 1, 0);
	expect_create_fails("max_inline_data above 512", IBV_QPT_RC,
			    16, 16, 1, 1, MAX_INLINE + 1);

	qp = create_qp_cap(IBV_QPT_RC, MAX_QP_WR, MAX_QP_WR, MAX_SGE, MAX_SGE,
			   MAX_INLINE, NULL);
	ktap_result(qp && !ibv_query_qp(qp, &a, IBV_QP_CAP, &init) &&
		    init.cap.max_send_wr >= MAX_QP_WR &&
		    init.cap.max_recv_wr >= MAX_QP_WR &&
		    init.cap.max_send_sge == MAX_SGE &&
		    init.cap.max_recv_sge == MAX_SGE &&
		    init.cap.max_inline_data == MAX_INLINE,
		    "create at every limit succeeds, query reports the caps");
	if (qp)
		ibv_destroy_qp(qp);

	qp = create_qp_cap(IBV_QPT_UD, 0, 0, 0, 0, 0, NULL);
	ktap_result(qp && !to_init(qp) && !ibv_destroy_qp(qp),
		    "create with zero capacities succeeds");

	srq = ibv_create_srq(pd, &sattr);
	if (!srq) {
		ktap_result(0, "QP on an SRQ: ibv_create_srq failed: %s",
			    strerror(errno));
		return;
	}
	qp = create_qp_cap(IBV_QPT_RC, 16, 0, 1, 0, 0, srq);
	ktap_result(qp && !ibv_query_qp(qp, &a, IBV_QP_CAP, &init) &&
		    init.cap.max_recv_wr == 0 && init.srq == srq &&
		    !to_init(qp),
		    "QP on an SRQ: no receive queue of its own");
	if (qp)
		ibv_destroy_qp(qp);
	ibv_destroy_srq(srq);
}

/* One SEND without data on @qp (legacy ibv_post_send()): its return. */
static int post_empty_send(struct ibv_qp *qp, struct ibv_ah *ah,
			   uint64_t wr_id)
{
	struct ibv_send_wr wr = {
		.wr_id = wr_id,
		.opcode = IBV_WR_SEND,
		.send_flags = IBV_SEND_SIGNALED,
	}, *bad = NULL;

	if (ah) {
		wr.wr.ud.ah = ah;
		wr.wr.ud.remote_qpn = 0x123;
		wr.wr.ud.remote_qkey = 0x11111111;
	}
	return ibv_post_send(qp, &wr, &bad);
}

/* The same through the extended API (ibv_wr_*), as rdma-core's tests do. */
static int post_empty_send_ex(struct ibv_qp_ex *qpx)
{
	ibv_wr_start(qpx);
	qpx->wr_id = 1;
	qpx->wr_flags = IBV_SEND_SIGNALED;
	ibv_wr_send(qpx);
	ibv_wr_set_sge_list(qpx, 0, NULL);
	return ibv_wr_complete(qpx);
}

/* A completion with @wr_id on @c within @ms (others are skipped). */
static bool wait_wr_id(struct ibv_cq *c, uint64_t wr_id, int ms)
{
	struct ibv_wc wc;
	int i, n;

	for (i = 0; i < ms; i++) {
		while ((n = ibv_poll_cq(c, 1, &wc)) == 1)
			if (wc.wr_id == wr_id)
				return wc.status == IBV_WC_SUCCESS;
		if (n < 0)
			return false;
		usleep(1000);
	}
	return false;
}

/*
 * Posting to the send queue of a QP in RESET, INIT or RTR fails at once
 * with EINVAL (IB spec 10.3.1; rdma-core's tests expect it, rxe does it):
 * the rxe provider returns the doorbell command's error. In RTS it works.
 */
static void test_post_state(void)
{
	static const char * const names[] = { "RESET", "INIT", "RTR" };
	struct ibv_qp_init_attr_ex ix = {
		.qp_type = IBV_QPT_RC,
		.cap = { .max_send_wr = 8, .max_recv_wr = 8,
			 .max_send_sge = 1, .max_recv_sge = 1 },
		.comp_mask = IBV_QP_INIT_ATTR_PD |
			     IBV_QP_INIT_ATTR_SEND_OPS_FLAGS,
		.send_ops_flags = IBV_QP_EX_WITH_SEND,
	};
	struct ibv_cq *pcq = ibv_create_cq(ctx, 64, NULL, NULL, 0);
	struct ibv_qp *qps[2] = {}, *qpx = NULL;
	struct ibv_ah_attr ah_attr = {};
	struct ibv_ah *ah;
	int i, t, step, err;

	fill_av(&ah_attr);
	ah = ibv_create_ah(pd, &ah_attr);
	ix.pd = pd;
	ix.send_cq = pcq;
	ix.recv_cq = pcq;
	qpx = pcq ? ibv_create_qp_ex(ctx, &ix) : NULL;
	for (t = 0; t < 2 && pcq; t++) {
		struct ibv_qp_init_attr init = {
			.send_cq = pcq, .recv_cq = pcq, .cap = ix.cap,
			.qp_type = t ? IBV_QPT_UD : IBV_QPT_RC,
		};

		qps[t] = ibv_create_qp(pd, &init);
	}
	if (!qps[0] || !qps[1] || !qpx || !ah) {
		ktap_result(0, "post before RTS: CQ, QPs or AH not created: %s",
			    strerror(errno));
		goto out;
	}
	for (t = 0; t < 2; t++) {
		for (step = 0; step < 3; step++) {
			err = step == 1 ? to_init(qps[t]) :
			      step == 2 ? to_rtr(qps[t]) : 0;
			if (!err)
				err = post_empty_send(qps[t], t ? ah : NULL,
						      100 + step);
			ktap_result(err == EINVAL,
				    "%s: ibv_post_send() in %s fails with EINVAL (%s)",
				    type_name(qps[t]->qp_type), names[step],
				    strerror(err));
		}
	}
	err = post_empty_send_ex(ibv_qp_to_qp_ex(qpx));
	ktap_result(err == EINVAL,
		    "RC: ibv_wr_complete() in RESET fails with EINVAL (%s)",
		    strerror(err));
	err = to_rts(qps[1]) ?: post_empty_send(qps[1], ah, 200);
	ktap_result(!err && wait_wr_id(pcq, 200, 5000),
		    "UD: ibv_post_send() in RTS works and completes (%s)",
		    strerror(err));
out:
	for (i = 0; i < 2; i++)
		if (qps[i])
			ibv_destroy_qp(qps[i]);
	if (qpx)
		ibv_destroy_qp(qpx);
	if (ah)
		ibv_destroy_ah(ah);
	if (pcq)
		ibv_destroy_cq(pcq);
}

/* Cyclic QPNs: a destroyed QP's number does not come back at once. */
static void test_qpn_reuse(void)
{
	static uint32_t seen[REUSE_ROUNDS];
	struct ibv_qp *qp;
	bool distinct = true;
	int i, j, n = 0;

	for (i = 0; i < REUSE_ROUNDS; i++) {
		qp = create_qp(i % 2 ? IBV_QPT_UD : IBV_QPT_RC);
		if (!qp)
			break;
		seen[n++] = qp->qp_num;
		if (ibv_destroy_qp(qp))
			break;
	}
	for (i = 0; i < n; i++)
		for (j = 0; j < i; j++)
			if (seen[i] == seen[j])
				distinct = false;
	ktap_result(n == REUSE_ROUNDS && distinct,
		    "%d create/destroy rounds: %d QPNs, all distinct (first %u, last %u)",
		    REUSE_ROUNDS, n, n ? seen[0] : 0, n ? seen[n - 1] : 0);
}

/*
 * QPs on the device before the test made any: not zero, ib_core's MAD layer
 * creates its GSI QP (QP1) at registration. Every count of the dump below
 * is against it.
 */
static int base_qps = -1;

/* Every QP of our device in `rdma res show qp`, kernel ones included. */
static int count_res_qps(void)
{
	char cmd[256];
	FILE *f;
	int n = -1;

	/* unfiltered: a port filter would hide QPs in RESET (no port yet) */
	snprintf(cmd, sizeof(cmd),
		 "rdma res show qp 2>/dev/null | grep -c '^link %s/'",
		 DEV_NAME);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%d", &n) != 1)
		n = -1;
	pclose(f);
	return n;
}

/*
 * Netlink dumps in a loop, racing with the creates and destroys: writes
 * "runs failures" to DUMP_COUNTS when DUMP_STOP appears.
 */
#define DUMP_STOP	"/tmp/sroce_qp_dump.stop"
#define DUMP_COUNTS	"/tmp/sroce_qp_dump.counts"

static pid_t dumper_start(void)
{
	pid_t pid;

	unlink(DUMP_STOP);
	unlink(DUMP_COUNTS);
	fflush(stdout);
	pid = fork();
	if (!pid)
		_exit(sh("n=0; f=0; until [ -e %s ]; do "
			 "rdma -dd res show qp >/dev/null 2>&1 || f=$((f + 1)); "
			 "n=$((n + 1)); done; echo $n $f >%s",
			 DUMP_STOP, DUMP_COUNTS));
	return pid;
}

static void dumper_stop(pid_t pid)
{
	int runs = -1, failed = -1, status;
	FILE *f;

	if (pid > 0) {
		fclose(fopen(DUMP_STOP, "w"));
		waitpid(pid, &status, 0);
	}
	f = fopen(DUMP_COUNTS, "r");
	if (f) {
		if (fscanf(f, "%d %d", &runs, &failed) != 2)
			runs = -1;
		fclose(f);
	}
	ktap_result(runs > 0 && failed == 0,
		    "%d rdma -dd res show qp dumps raced with the churn, %d failed",
		    runs, failed);
}

static void test_many(void)
{
	static struct ibv_qp *qps[MANY_QPS];
	/* fewer on slow (debug) kernels: SROCE_TEST_QP_MANY=N, N <= MANY_QPS */
	const char *env = getenv("SROCE_TEST_QP_MANY");
	int many = env ? atoi(env) : MANY_QPS;
	int i, j, n = 0, bad = 0, in_dump;
	bool distinct = true;
	struct timespec t0, t1;
	pid_t dumper;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	dumper = dumper_start();

	if (many < 1 || many > MANY_QPS)
		many = MANY_QPS;
	for (i = 0; i < many; i++) {
		qps[i] = create_qp_cap(i % 3 == 0 ? IBV_QPT_RC :
				       i % 3 == 1 ? IBV_QPT_UC : IBV_QPT_UD,
				       4, 4, 1, 1, 0, NULL);
		if (!qps[i])
			break;
		n++;
		if (i % 10 == 0 && to_init(qps[i]))
			bad++;
	}
	ktap_result(n == many && !bad,
		    "%d QPs created (wanted %d), %d modify failures", n, many,
		    bad);
	for (i = 0; i < n && distinct; i++)
		for (j = 0; j < i; j++)
			if (qps[i]->qp_num == qps[j]->qp_num) {
				distinct = false;
				break;
			}
	ktap_result(distinct, "%d QPNs distinct", n);

	/* netlink dumps query every QP: all must answer */
	in_dump = count_res_qps();
	ktap_result(base_qps >= 0 && in_dump == base_qps + n,
		    "rdma res show qp lists %d QPs (have %d, plus %d of the baseline)",
		    in_dump, n, base_qps);

	bad = 0;
	for (i = 0; i < n; i++)
		if (ibv_destroy_qp(qps[i]))
			bad++;
	ktap_result(!bad, "%d QPs destroyed, %d failures", n, bad);
	dumper_stop(dumper);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ktap_info("%d QPs created and destroyed in %.1f s", n,
		  t1.tv_sec - t0.tv_sec + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	in_dump = count_res_qps();
	ktap_result(base_qps >= 0 && in_dump == base_qps,
		    "rdma res show qp lists %d QPs after destroy (baseline %d)",
		    in_dump, base_qps);
}

/* count_res_qps() once two reads 200 ms apart agree (5 s at most). */
static int wait_res_baseline(void)
{
	int i, prev = count_res_qps(), n = prev;

	for (i = 0; i < 25; i++) {
		usleep(200000);
		n = count_res_qps();
		if (n == prev && n >= 0)
			break;
		prev = n;
	}
	return n;
}

static bool wait_res_qps(int want, int seconds)
{
	int i;

	for (i = 0; i < seconds * 10; i++) {
		if (count_res_qps() == want)
			return true;
		usleep(100000);
	}
	return false;
}

/* A process killed while it holds QPs: core destroys them all. */
static void test_kill(void)
{
	enum { KILL_QPS = 500 };
	int fds[2], made = -1, held;
	pid_t pid;

	if (pipe(fds)) {
		ktap_result(0, "kill -9: pipe");
		return;
	}
	fflush(stdout);
	pid = fork();
	if (!pid) {
		struct ibv_context *c = open_dev(DEV_NAME);
		struct ibv_pd *p = c ? ibv_alloc_pd(c) : NULL;
		struct ibv_cq *q = p ? ibv_create_cq(c, 16, NULL, NULL, 0) :
				       NULL;
		int k = 0;

		while (q && k < KILL_QPS) {
			struct ibv_qp_init_attr ia = {
				.send_cq = q, .recv_cq = q,
				.qp_type = k % 2 ? IBV_QPT_UD : IBV_QPT_RC,
				.cap = { 4, 4, 1, 1, 0 },
			};

			if (!ibv_create_qp(p, &ia))
				break;
			k++;
		}
		if (write(fds[1], &k, sizeof(k)) != sizeof(k))
			_exit(1);
		pause();
		_exit(0);
	}
	close(fds[1]);
	if (pid < 0 || read(fds[0], &made, sizeof(made)) != sizeof(made))
		made = -1;
	close(fds[0]);
	held = count_res_qps();
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	ktap_result(base_qps >= 0 && made == KILL_QPS &&
		    held == base_qps + KILL_QPS &&
		    wait_res_qps(base_qps, 20),
		    "kill -9 of a process holding %d QPs (dump saw %d, baseline %d): all reclaimed",
		    made, held, base_qps);
}

/*
 * rdma link delete while this process holds QPs: the device goes away,
 * and the QPs can still be destroyed afterwards.
 */
static void test_link_delete(void)
{
	enum { HELD_QPS = 50 };
	struct ibv_qp *qps[HELD_QPS];
	int i, n = 0, bad = 0;

	for (i = 0; i < HELD_QPS; i++) {
		qps[n] = create_qp(i % 2 ? IBV_QPT_UD : IBV_QPT_RC);
		if (!qps[n])
			break;
		if (i % 5 == 0 && (to_init(qps[n]) || to_rtr(qps[n]) ||
				   to_rts(qps[n])))
			bad++;
		n++;
	}
	ktap_result(n == HELD_QPS && !bad, "%d QPs held, %d in RTS", n,
		    (n + 4) / 5 - bad);
	ktap_result(!sh("rdma link delete %s && wait_for 20 rdma_dev_gone %s",
			DEV_NAME, DEV_NAME),
		    "rdma link delete with %d QPs held", n);
	bad = 0;
	for (i = 0; i < n; i++)
		if (ibv_destroy_qp(qps[i]))
			bad++;
	ktap_result(!bad, "%d QPs destroyed after the device went away, %d failures",
		    n, bad);
}

int main(int argc, char **argv)
{
	char self[PATH_MAX];

	(void)argc;
	if (!realpath(argv[0], self)) {
		perror("realpath");
		return KSFT_FAIL;
	}
	snprintf(selftest_dir, sizeof(selftest_dir), "%s", dirname(self));

	printf("TAP version 13\n");
	if (!setup_device()) {
		ktap_result(0, "set up %s on a veth pair", DEV_NAME);
		goto out;
	}
	ctx = open_dev(DEV_NAME);
	if (!ctx || ibv_query_device(ctx, &dev_attr)) {
		ktap_result(0, "open %s", DEV_NAME);
		goto out_teardown;
	}
	base_qps = wait_res_baseline();
	ktap_info("baseline: %d QPs on a fresh %s", base_qps, DEV_NAME);
	gid_index = find_gid_index();
	ktap_result(gid_index >= 0, "RoCE v2 GID of %s at index %d", LOCAL_IP,
		    gid_index);
	memset(&remote_gid, 0, sizeof(remote_gid));
	remote_gid.raw[10] = 0xff;
	remote_gid.raw[11] = 0xff;
	inet_pton(AF_INET, REMOTE_IP, remote_gid.raw + 12);

	pd = ibv_alloc_pd(ctx);
	cq = pd ? ibv_create_cq(ctx, 64, NULL, NULL, 0) : NULL;
	if (!pd || !cq || gid_index < 0) {
		ktap_result(0, "PD and CQ for the QPs (%s)", strerror(errno));
		goto out_close;
	}

	test_walk(IBV_QPT_RC);
	test_walk(IBV_QPT_UC);
	test_walk(IBV_QPT_UD);
	test_invalid_transitions();
	test_invalid_values();
	test_caps();
	test_post_state();
	test_qpn_reuse();
	test_many();
	test_kill();
	test_link_delete();

out_close:
	if (cq)
		ibv_destroy_cq(cq);
	if (pd)
		ibv_dealloc_pd(pd);
	if (ctx)
		ibv_close_device(ctx);
out_teardown:
	teardown_device();
out:
	printf("1..%d\n", ktap_n);
	return ktap_finish();
}
