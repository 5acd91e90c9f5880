// SPDX-License-Identifier: GPL-2.0
/*
 * teardown_traffic: verified RC traffic between two RoCE devices that runs
 * until something goes away, then says what it saw and when.
 *
 * The program forks one process per device ("A" on DEV_A, "B" on DEV_B):
 * two separate applications, each with its own user context, PD, CQ (with
 * a completion channel), RC QP and MR, that exchange their addresses over a
 * socketpair. Each one streams messages to the other, both directions at
 * once: message k is an RDMA WRITE of SLOT bytes into the peer's slot
 * k % NSLOT followed by a SEND (immediate k) of a 64-byte header. The
 * receiver checks, at each receive completion, that the immediate is the
 * next number, that the header and every byte of the slot hold message k's
 * pattern, then publishes k in a word of its memory. The sender learns that
 * number by RDMA READ and never has more than NSLOT messages unverified, so
 * no slot is overwritten before it was checked. A sender that waits for the
 * peer keeps a READ in flight (every PROBE_MS), so each side always has work
 * outstanding: a peer that vanishes ends in an error completion, not in a
 * silent wait. Send completions must come in posting order.
 *
 * Async events (the device's async fd) are watched all along.
 * DEVICE_FATAL, QP and CQ errors end a side's run, port events are noted.
 * A side also ends on an error completion, a failed post, a wrong byte
 * (exit 2) or STALL seconds without a completion; after an error it still
 * listens LINGER_MS for a DEVICE_FATAL. It then destroys all it holds,
 * checking each destroy, and prints one result line. SIGTERM to the parent
 * (or -t SECONDS) stops both sides gracefully: no new messages, own work
 * drained, both drained (said over the socketpair), then teardown; exit 0.
 *
 * usage: teardown_traffic [-t SECONDS] [-S STALL] [-p MS] DEV_A DEV_B
 *   -t  stop gracefully after SECONDS (default: run until something fails)
 *   -S  a side that gets no completion for STALL seconds stops (default 45)
 *   -p  print progress every MS milliseconds (default 1000)
 *
 * Output, each line a KTAP diagnostic, at= is CLOCK_REALTIME in ms:
 *   # td pids A=PID B=PID
 *   # td A ready at=T pid=PID qpn=N mtu=BYTES
 *   # td A progress at=T sent=N verified=N peer_verified=N
 *   # td A event at=T NAME (TEXT)   (async event, NAME as in IBV_EVENT_NAME)
 *   # td A wc at=T status=NAME opcode=N wr_id=KIND:N vendor_err=N (TEXT)
 *   # td A post at=T error=TEXT
 *   # td A bad at=T WHAT            (wrong data or protocol)
 *   # td A note at=T TEXT
 *   # td A result at=T code=N first=INCIDENT saw=LIST sent=N verified=N cleanup=ok|TEXT
 *   # td A exit at=T status=N       (or signal=N; printed by the parent)
 * A side's code: 0 stopped gracefully, 1 set-up failed, 2 wrong data or a
 * protocol violation, 3 ended by an error (completion, event, post),
 * 4 stalled. The parent exits 0 when both sides exit 0, else 1.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test_lib.h"

#define NSLOT		8u
#define SLOT		32768u
#define HDR		64u
#define SQ_DEPTH	32u
#define CQ_DEPTH	(SQ_DEPTH + NSLOT + 8)
#define MAGIC		0x7d5eed01u
#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif
#define PROBE_MS	2
#define LINGER_MS	500

#define TGT_OFF		0
#define SRC_OFF		(TGT_OFF + NSLOT * SLOT)
#define RBUF_OFF	(SRC_OFF + NSLOT * SLOT)
#define SBUF_OFF	(RBUF_OFF + NSLOT * HDR)
#define WORD_OFF	(SBUF_OFF + NSLOT * HDR)
#define LAND_OFF	(WORD_OFF + 64)
#define BUF_LEN		(LAND_OFF + 4096)

enum { WK_WRITE = 1, WK_SEND, WK_READ, WK_RECV };
#define WRID(k, v)	((uint64_t)(k) << 56 | (v))
#define WR_KIND(id)	((unsigned int)((id) >> 56))
#define WR_VAL(id)	((id) & ((1ull << 56) - 1))

enum { TD_STOPPED, TD_SETUP, TD_BAD, TD_ERROR, TD_STALL };

struct hdr {
	uint32_t magic;
	uint32_t side;
	uint64_t seq;
	uint64_t w[6];
};

struct addr_info {
	uint32_t qpn, rkey, mtu;
	uint64_t tgt, word;
	union ibv_gid gid;
};

struct side {
	char name;
	int idx, sock;
	struct ibv_context *ctx;
	struct ibv_comp_channel *ch;
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	struct ibv_qp *qp;
	struct ibv_mr *mr;
	uint8_t *buf;
	int gid;
	struct addr_info me, peer;
	uint64_t sent, verified, peer_verified;
	uint64_t ring[SQ_DEPTH], posted, completed;
	bool probe_out, fatal;
	long next_probe;
	int code;		/* -1 while running */
	char first[128], saw[768];
};

static int stop_req;		/* set by SIGTERM: __atomic, signal-safe */
static long stop_after_ms, stall_ms = 45000, progress_ms = 1000;

static long wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void say(struct side *s, const char *kind, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	printf("# td %c %s at=%ld %s\n", s->name, kind, wall_ms(), text);
}

/* Adds @what to the list of what this side saw (once each). */
static void saw(struct side *s, const char *what)
{
	size_t n = strlen(s->saw);
	char pad[160];

	snprintf(pad, sizeof(pad), ",%s,", what);
	if (strstr(s->saw, pad) || n + strlen(what) + 2 >= sizeof(s->saw))
		return;
	snprintf(s->saw + n, sizeof(s->saw) - n, "%s%s,", n ? "" : ",", what);
}

/* The run of @s ends with @code; @what is the first thing that ended it. */
static void incident(struct side *s, int code, const char *what)
{
	saw(s, what);
	if (s->code >= 0)
		return;
	s->code = code;
	snprintf(s->first, sizeof(s->first), "%s", what);
}

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static uint64_t word_of(int side, uint64_t seq, uint32_t i)
{
	return mix((uint64_t)side << 60 ^ seq << 24 ^ i);
}

static void fill(uint64_t *w, int side, uint64_t seq, uint32_t nwords,
		 uint32_t base)
{
	uint32_t i;

	for (i = 0; i < nwords; i++)
		w[i] = word_of(side, seq, base + i);
}

/* Index of the first word of @w that is not message @seq's, or -1. */
static long first_wrong(const uint64_t *w, int side, uint64_t seq,
			uint32_t nwords, uint32_t base)
{
	uint32_t i;

	for (i = 0; i < nwords; i++)
		if (w[i] != word_of(side, seq, base + i))
			return i;
	return -1;
}

static int post_recv(struct side *s, unsigned int i)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)(s->buf + RBUF_OFF + i * HDR),
		.length = HDR, .lkey = s->mr->lkey,
	};
	struct ibv_recv_wr wr = { .wr_id = WRID(WK_RECV, i), .sg_list = &sge,
				  .num_sge = 1 }, *bad;

	return ibv_post_recv(s->qp, &wr, &bad);
}

/* Short names, as in <infiniband/verbs.h> without the prefix. */
static const char *event_name(enum ibv_event_type e)
{
	static const char *const names[] = {
		[IBV_EVENT_CQ_ERR] = "CQ_ERR",
		[IBV_EVENT_QP_FATAL] = "QP_FATAL",
		[IBV_EVENT_QP_REQ_ERR] = "QP_REQ_ERR",
		[IBV_EVENT_QP_ACCESS_ERR] = "QP_ACCESS_ERR",
		[IBV_EVENT_COMM_EST] = "COMM_EST",
		[IBV_EVENT_SQ_DRAINED] = "SQ_DRAINED",
		[IBV_EVENT_PATH_MIG] = "PATH_MIG",
		[IBV_EVENT_PATH_MIG_ERR] = "PATH_MIG_ERR",
		[IBV_EVENT_DEVICE_FATAL] = "DEVICE_FATAL",
		[IBV_EVENT_PORT_ACTIVE] = "PORT_ACTIVE",
		[IBV_EVENT_PORT_ERR] = "PORT_ERR",
		[IBV_EVENT_LID_CHANGE] = "LID_CHANGE",
		[IBV_EVENT_PKEY_CHANGE] = "PKEY_CHANGE",
		[IBV_EVENT_SM_CHANGE] = "SM_CHANGE",
		[IBV_EVENT_SRQ_ERR] = "SRQ_ERR",
		[IBV_EVENT_SRQ_LIMIT_REACHED] = "SRQ_LIMIT_REACHED",
		[IBV_EVENT_QP_LAST_WQE_REACHED] = "QP_LAST_WQE_REACHED",
		[IBV_EVENT_CLIENT_REREGISTER] = "CLIENT_REREGISTER",
		[IBV_EVENT_GID_CHANGE] = "GID_CHANGE",
		[IBV_EVENT_WQ_FATAL] = "WQ_FATAL",
	};

	if ((unsigned int)e < ARRAY_SIZE(names) && names[e])
		return names[e];
	return "EVENT_UNKNOWN";
}

static const char *status_name(enum ibv_wc_status st)
{
	static const char *const names[] = {
		[IBV_WC_SUCCESS] = "SUCCESS",
		[IBV_WC_LOC_LEN_ERR] = "LOC_LEN_ERR",
		[IBV_WC_LOC_QP_OP_ERR] = "LOC_QP_OP_ERR",
		[IBV_WC_LOC_EEC_OP_ERR] = "LOC_EEC_OP_ERR",
		[IBV_WC_LOC_PROT_ERR] = "LOC_PROT_ERR",
		[IBV_WC_WR_FLUSH_ERR] = "WR_FLUSH_ERR",
		[IBV_WC_MW_BIND_ERR] = "MW_BIND_ERR",
		[IBV_WC_BAD_RESP_ERR] = "BAD_RESP_ERR",
		[IBV_WC_LOC_ACCESS_ERR] = "LOC_ACCESS_ERR",
		[IBV_WC_REM_INV_REQ_ERR] = "REM_INV_REQ_ERR",
		[IBV_WC_REM_ACCESS_ERR] = "REM_ACCESS_ERR",
		[IBV_WC_REM_OP_ERR] = "REM_OP_ERR",
		[IBV_WC_RETRY_EXC_ERR] = "RETRY_EXC_ERR",
		[IBV_WC_RNR_RETRY_EXC_ERR] = "RNR_RETRY_EXC_ERR",
		[IBV_WC_LOC_RDD_VIOL_ERR] = "LOC_RDD_VIOL_ERR",
		[IBV_WC_REM_INV_RD_REQ_ERR] = "REM_INV_RD_REQ_ERR",
		[IBV_WC_REM_ABORT_ERR] = "REM_ABORT_ERR",
		[IBV_WC_INV_EECN_ERR] = "INV_EECN_ERR",
		[IBV_WC_INV_EEC_STATE_ERR] = "INV_EEC_STATE_ERR",
		[IBV_WC_FATAL_ERR] = "FATAL_ERR",
		[IBV_WC_RESP_TIMEOUT_ERR] = "RESP_TIMEOUT_ERR",
		[IBV_WC_GENERAL_ERR] = "GENERAL_ERR",
	};

	if ((unsigned int)st < ARRAY_SIZE(names) && names[st])
		return names[st];
	return "STATUS_UNKNOWN";
}

static void note_post_error(struct side *s, const char *what, int err)
{
	char t[96];

	say(s, "post", "error=%s:%s", what, strerror(err));
	snprintf(t, sizeof(t), "post:%s", strerrorname_np(err) ?: "?");
	incident(s, TD_ERROR, t);
}

/* A receive completion: message verified+1 must be there, whole. */
static void on_recv(struct side *s, const struct ibv_wc *wc)
{
	unsigned int i = WR_VAL(wc->wr_id), peer = !s->idx;
	uint64_t k = s->verified + 1;
	const struct hdr *h;
	const uint64_t *slot;
	long bad;
	int err;

	h = (const struct hdr *)(s->buf + RBUF_OFF + i * HDR);
	slot = (const uint64_t *)(s->buf + TGT_OFF + (k % NSLOT) * SLOT);
	if (i >= NSLOT || wc->opcode != IBV_WC_RECV ||
	    !(wc->wc_flags & IBV_WC_WITH_IMM) ||
	    ntohl(wc->imm_data) != (uint32_t)k || wc->byte_len != HDR) {
		say(s, "bad", "receive %u: opcode %d flags 0x%x imm %u len %u, want message %llu",
		    i, wc->opcode, wc->wc_flags, ntohl(wc->imm_data),
		    wc->byte_len, (unsigned long long)k);
		incident(s, TD_BAD, "bad:receive");
		return;
	}
	if (h->magic != MAGIC || h->side != peer || h->seq != k ||
	    first_wrong(h->w, peer, k, 6, 1u << 20) >= 0) {
		say(s, "bad", "header of message %llu: magic %x side %u seq %llu",
		    (unsigned long long)k, h->magic, h->side,
		    (unsigned long long)h->seq);
		incident(s, TD_BAD, "bad:header");
		return;
	}
	bad = first_wrong(slot, peer, k, SLOT / 8, 0);
	if (bad >= 0) {
		say(s, "bad", "message %llu: slot %llu word %ld is %016llx, want %016llx",
		    (unsigned long long)k, (unsigned long long)(k % NSLOT),
		    bad, (unsigned long long)slot[bad],
		    (unsigned long long)word_of(peer, k, bad));
		incident(s, TD_BAD, "bad:data");
		return;
	}
	s->verified = k;
	__atomic_store_n((uint64_t *)(s->buf + WORD_OFF), k, __ATOMIC_RELEASE);
	err = post_recv(s, i);
	if (err)
		note_post_error(s, "recv", err);
}

/* The READ of the peer's verified counter came back. */
static void on_probe(struct side *s)
{
	uint64_t v = __atomic_load_n((uint64_t *)(s->buf + LAND_OFF),
				     __ATOMIC_ACQUIRE);

	s->probe_out = false;
	if (v < s->peer_verified || v > s->sent) {
		say(s, "bad", "peer says it verified %llu (before %llu, sent %llu)",
		    (unsigned long long)v,
		    (unsigned long long)s->peer_verified,
		    (unsigned long long)s->sent);
		incident(s, TD_BAD, "bad:credit");
		return;
	}
	s->next_probe = now_ms() + (v == s->peer_verified ? PROBE_MS : 0);
	s->peer_verified = v;
}

static const char *const kind_name[] = {
	[WK_WRITE] = "WRITE", [WK_SEND] = "SEND", [WK_READ] = "READ",
	[WK_RECV] = "RECV",
};

static void on_wc(struct side *s, const struct ibv_wc *wc)
{
	static const enum ibv_wc_opcode want_op[] = {
		[WK_WRITE] = IBV_WC_RDMA_WRITE, [WK_SEND] = IBV_WC_SEND,
		[WK_READ] = IBV_WC_RDMA_READ,
	};
	unsigned int kind = WR_KIND(wc->wr_id);
	char t[96];

	if (wc->status != IBV_WC_SUCCESS) {
		say(s, "wc", "status=%s opcode=%d wr_id=%s:%llu vendor_err=%u (%s)",
		    status_name(wc->status), wc->opcode,
		    kind && kind <= WK_RECV ? kind_name[kind] : "?",
		    (unsigned long long)WR_VAL(wc->wr_id), wc->vendor_err,
		    ibv_wc_status_str(wc->status));
		snprintf(t, sizeof(t), "wc:%s", status_name(wc->status));
		incident(s, TD_ERROR, t);
		return;
	}
	if (kind == WK_RECV) {
		on_recv(s, wc);
		return;
	}
	if (s->completed == s->posted ||
	    wc->wr_id != s->ring[s->completed % SQ_DEPTH] ||
	    wc->opcode != want_op[kind]) {
		say(s, "bad", "send completion wr_id %llx opcode %d, want %llx",
		    (unsigned long long)wc->wr_id, wc->opcode,
		    (unsigned long long)(s->completed == s->posted ? 0 :
					 s->ring[s->completed % SQ_DEPTH]));
		incident(s, TD_BAD, "bad:completion-order");
		return;
	}
	s->completed++;
	if (kind == WK_READ)
		on_probe(s);
}

/* Polls everything there is; the number of completions, -1 on an incident. */
static int drain_cq(struct side *s)
{
	struct ibv_wc wc[16];
	int n, i, got = 0;

	do {
		n = ibv_poll_cq(s->cq, 16, wc);
		if (n < 0) {
			say(s, "post", "error=poll_cq:%d", n);
			incident(s, TD_ERROR, "poll_cq");
			return -1;
		}
		for (i = 0; i < n; i++) {
			on_wc(s, &wc[i]);
			if (s->code >= 0)
				return -1;
		}
		got += n;
	} while (n);
	return got;
}

/* Posts what the window allows: messages, else a READ of the credit. */
static void post_more(struct side *s)
{
	struct ibv_sge ss[2];
	struct ibv_send_wr wr[2], *bad;
	uint64_t k;
	int err;

	while (s->sent + 1 - s->peer_verified <= NSLOT &&
	       s->posted - s->completed + 2 < SQ_DEPTH) {
		struct hdr *h;

		k = s->sent + 1;
		h = (struct hdr *)(s->buf + SBUF_OFF + (k % NSLOT) * HDR);
		fill((uint64_t *)(s->buf + SRC_OFF + (k % NSLOT) * SLOT),
		     s->idx, k, SLOT / 8, 0);
		h->magic = MAGIC;
		h->side = s->idx;
		h->seq = k;
		fill(h->w, s->idx, k, 6, 1u << 20);
		memset(wr, 0, sizeof(wr));
		ss[0] = (struct ibv_sge){
			(uintptr_t)(s->buf + SRC_OFF + (k % NSLOT) * SLOT),
			SLOT, s->mr->lkey };
		ss[1] = (struct ibv_sge){ (uintptr_t)h, HDR, s->mr->lkey };
		wr[0].wr_id = WRID(WK_WRITE, k);
		wr[0].sg_list = &ss[0];
		wr[0].num_sge = 1;
		wr[0].opcode = IBV_WR_RDMA_WRITE;
		wr[0].wr.rdma.remote_addr = s->peer.tgt + (k % NSLOT) * SLOT;
		wr[0].wr.rdma.rkey = s->peer.rkey;
		wr[0].next = &wr[1];
		wr[1].wr_id = WRID(WK_SEND, k);
		wr[1].sg_list = &ss[1];
		wr[1].num_sge = 1;
		wr[1].opcode = IBV_WR_SEND_WITH_IMM;
		wr[1].imm_data = htonl((uint32_t)k);
		err = ibv_post_send(s->qp, wr, &bad);
		if (err) {
			note_post_error(s, "write+send", err);
			return;
		}
		s->ring[s->posted++ % SQ_DEPTH] = wr[0].wr_id;
		s->ring[s->posted++ % SQ_DEPTH] = wr[1].wr_id;
		s->sent = k;
	}
	if (s->sent + 1 - s->peer_verified <= NSLOT || s->probe_out ||
	    now_ms() < s->next_probe)
		return;
	memset(wr, 0, sizeof(wr));
	ss[0] = (struct ibv_sge){ (uintptr_t)(s->buf + LAND_OFF), 8,
				  s->mr->lkey };
	wr[0].wr_id = WRID(WK_READ, s->sent);
	wr[0].sg_list = &ss[0];
	wr[0].num_sge = 1;
	wr[0].opcode = IBV_WR_RDMA_READ;
	wr[0].wr.rdma.remote_addr = s->peer.word;
	wr[0].wr.rdma.rkey = s->peer.rkey;
	err = ibv_post_send(s->qp, wr, &bad);
	if (err) {
		note_post_error(s, "read", err);
		return;
	}
	s->ring[s->posted++ % SQ_DEPTH] = wr[0].wr_id;
	s->probe_out = true;
}

/* Reads every pending async event; fatal ones end the run. */
static void read_async(struct side *s)
{
	struct ibv_async_event ev;
	char t[96];

	while (!ibv_get_async_event(s->ctx, &ev)) {
		const char *name = event_name(ev.event_type);

		say(s, "event", "%s (%s)", name,
		    ibv_event_type_str(ev.event_type));
		snprintf(t, sizeof(t), "event:%s", name);
		if (ev.event_type == IBV_EVENT_DEVICE_FATAL)
			s->fatal = true;
		switch (ev.event_type) {
		case IBV_EVENT_DEVICE_FATAL:
		case IBV_EVENT_QP_FATAL:
		case IBV_EVENT_QP_REQ_ERR:
		case IBV_EVENT_QP_ACCESS_ERR:
		case IBV_EVENT_CQ_ERR:
			incident(s, TD_ERROR, t);
			break;
		default:
			saw(s, t);
		}
		ibv_ack_async_event(&ev);
	}
}

static void read_cq_events(struct side *s)
{
	struct ibv_cq *cq;
	void *cq_ctx;
	unsigned int n = 0;

	while (!ibv_get_cq_event(s->ch, &cq, &cq_ctx))
		n++;
	if (n)
		ibv_ack_cq_events(s->cq, n);
}

static void run(struct side *s)
{
	long start = now_ms(), last_wc = start, last_print = start;
	bool stopping = false, sent_d = false, peer_d = false;
	bool ch_open = true, sock_open = true;
	struct pollfd pfd[3];
	int n, timeout;
	char c;

	for (;;) {
		long now = now_ms();

		if (!stopping && (__atomic_load_n(&stop_req, __ATOMIC_RELAXED) ||
				  (stop_after_ms && now - start >= stop_after_ms))) {
			stopping = true;
			say(s, "note", "stopping: draining");
		}
		read_async(s);
		n = s->code < 0 ? drain_cq(s) : -1;
		if (s->code >= 0)
			return;
		if (n > 0 || s->posted == s->completed)
			last_wc = now;
		if (!stopping)
			post_more(s);
		if (s->code >= 0)
			return;
		if (stopping && !sent_d && s->posted == s->completed) {
			sent_d = write(s->sock, "D", 1) == 1;
			if (!sent_d)
				say(s, "note", "cannot tell the peer: %s",
				    strerror(errno));
		}
		if (sent_d && peer_d) {
			s->code = TD_STOPPED;
			return;
		}
		if (now - last_wc > stall_ms) {
			say(s, "note", "no completion for %ld ms", now - last_wc);
			incident(s, TD_STALL, "stall");
			return;
		}
		if (now - last_print >= progress_ms) {
			last_print = now;
			say(s, "progress", "sent=%llu verified=%llu peer_verified=%llu",
			    (unsigned long long)s->sent,
			    (unsigned long long)s->verified,
			    (unsigned long long)s->peer_verified);
		}
		n = ibv_req_notify_cq(s->cq, 0);
		if (n) {
			say(s, "post", "error=req_notify_cq:%s", strerror(n));
			incident(s, TD_ERROR, "post:req_notify_cq");
			return;
		}
		if (drain_cq(s))	/* raced the notification request */
			continue;
		timeout = 100;
		if (!stopping && !s->probe_out &&
		    s->sent + 1 - s->peer_verified > NSLOT)
			timeout = PROBE_MS;
		pfd[0] = (struct pollfd){ .fd = s->ctx->async_fd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = ch_open ? s->ch->fd : -1, .events = POLLIN };
		pfd[2] = (struct pollfd){ .fd = sock_open ? s->sock : -1, .events = POLLIN };
		if (poll(pfd, 3, timeout) < 0 && errno != EINTR) {
			say(s, "note", "poll: %s", strerror(errno));
			incident(s, TD_ERROR, "poll");
			return;
		}
		if (pfd[0].revents & (POLLERR | POLLHUP | POLLNVAL)) {
			/* uverbs closed the queue: the device is gone */
			read_async(s);
			say(s, "note", "async event queue closed (revents 0x%x)",
			    pfd[0].revents);
			incident(s, TD_ERROR, "async-queue-closed");
			return;
		}
		if (pfd[1].revents & POLLIN)
			read_cq_events(s);
		if (pfd[1].revents & (POLLERR | POLLHUP | POLLNVAL)) {
			say(s, "note", "completion channel closed (revents 0x%x)",
			    pfd[1].revents);
			saw(s, "cq-channel-closed");
			ch_open = false;
		}
		if (pfd[2].revents) {
			if (read(s->sock, &c, 1) == 1 && c == 'D') {
				peer_d = true;
			} else {
				say(s, "note", "the peer's socket closed");
				saw(s, "peer-gone");
				sock_open = false;
			}
		}
	}
}

/* After an error: a DEVICE_FATAL may be on its way. */
static void linger(struct side *s)
{
	long end = now_ms() + LINGER_MS;
	struct pollfd pfd;

	while (!s->fatal && now_ms() < end) {
		pfd = (struct pollfd){ .fd = s->ctx->async_fd, .events = POLLIN };
		if (poll(&pfd, 1, end - now_ms()) <= 0)
			continue;
		read_async(s);
		if (pfd.revents & (POLLERR | POLLHUP | POLLNVAL))
			break;
	}
}

/* Destroys everything @s holds; "ok" or what failed, into @out. */
static void teardown(struct side *s, char *out, size_t len)
{
	size_t n = 0;

	out[0] = 0;
#define TD_DESTROY(obj, call) do {					\
		if ((obj) && (call))					\
			n += snprintf(out + n, len - n, "%s%s:%s",	\
				      n ? "," : "", #obj,		\
				      strerrorname_np(errno) ?: "?");	\
	} while (0)
	TD_DESTROY(s->qp, ibv_destroy_qp(s->qp));
	TD_DESTROY(s->mr, ibv_dereg_mr(s->mr));
	TD_DESTROY(s->cq, ibv_destroy_cq(s->cq));
	TD_DESTROY(s->ch, ibv_destroy_comp_channel(s->ch));
	TD_DESTROY(s->pd, ibv_dealloc_pd(s->pd));
	TD_DESTROY(s->ctx, ibv_close_device(s->ctx));
#undef TD_DESTROY
	if (!n)
		snprintf(out, len, "ok");
	free(s->buf);
}

static bool xchg(struct side *s, void *mine, void *theirs, size_t len)
{
	size_t got = 0;
	ssize_t r;

	if (write(s->sock, mine, len) != (ssize_t)len)
		return false;
	while (got < len) {
		r = read(s->sock, (char *)theirs + got, len - got);
		if (r <= 0)
			return false;
		got += r;
	}
	return true;
}

static const char *setup(struct side *s, const char *dev)
{
	struct ibv_qp_init_attr init = {
		.qp_type = IBV_QPT_RC, .sq_sig_all = 1,
		.cap = { .max_send_wr = SQ_DEPTH, .max_recv_wr = NSLOT,
			 .max_send_sge = 1, .max_recv_sge = 1 },
	};
	struct qp_path p = {
		.sq_psn = 0x321, .rq_psn = 0x321,
		.access = IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ,
		.timeout = 14, .retry_cnt = 7, .rnr_retry = 6,
		.min_rnr_timer = 12, .max_rd_atomic = 1,
		.max_dest_rd_atomic = 1,
	};
	struct ibv_port_attr port;
	unsigned int i;
	char r = 'R', pr;

	s->ctx = open_dev(dev);
	if (!s->ctx)
		return "open the device";
	if (ibv_query_port(s->ctx, 1, &port))
		return "query port 1";
	s->gid = find_roce_gid(s->ctx, 4, NULL, &s->me.gid, 10000);
	if (s->gid < 0)
		return "find a RoCE v2 IPv4 GID";
	s->ch = ibv_create_comp_channel(s->ctx);
	s->pd = s->ch ? ibv_alloc_pd(s->ctx) : NULL;
	s->cq = s->pd ? ibv_create_cq(s->ctx, CQ_DEPTH, NULL, s->ch, 0) : NULL;
	if (!s->cq)
		return "create channel, PD, CQ";
	if (posix_memalign((void **)&s->buf, 4096, BUF_LEN))
		return "allocate the buffer";
	memset(s->buf, 0, BUF_LEN);
	s->mr = ibv_reg_mr(s->pd, s->buf, BUF_LEN, IBV_ACCESS_LOCAL_WRITE |
			   IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ);
	init.send_cq = s->cq;
	init.recv_cq = s->cq;
	s->qp = s->mr ? ibv_create_qp(s->pd, &init) : NULL;
	if (!s->qp)
		return "register the MR, create the QP";
	if (fcntl(s->ctx->async_fd, F_SETFL, O_NONBLOCK) ||
	    fcntl(s->ch->fd, F_SETFL, O_NONBLOCK))
		return "make the event fds non-blocking";
	s->me.qpn = s->qp->qp_num;
	s->me.rkey = s->mr->rkey;
	s->me.mtu = port.active_mtu;
	s->me.tgt = (uintptr_t)(s->buf + TGT_OFF);
	s->me.word = (uintptr_t)(s->buf + WORD_OFF);
	if (!xchg(s, &s->me, &s->peer, sizeof(s->me)))
		return "exchange addresses with the peer";
	p.sgid_index = s->gid;
	p.dgid = s->peer.gid;
	p.dest_qpn = s->peer.qpn;
	p.mtu = s->me.mtu < s->peer.mtu ? s->me.mtu : s->peer.mtu;
	if (qp_bring_up(s->qp, &p))
		return "bring the QP to RTS";
	/* the provider takes no receive before INIT */
	for (i = 0; i < NSLOT; i++) {
		errno = post_recv(s, i);
		if (errno)
			return "post receives";
	}
	/* both at RTR before either sends */
	if (!xchg(s, &r, &pr, 1))
		return "meet the peer at RTS";
	say(s, "ready", "pid=%d qpn=%u mtu=%d", getpid(), s->qp->qp_num,
	    128 << p.mtu);
	return NULL;
}

static void on_term(int sig)
{
	(void)sig;
	__atomic_store_n(&stop_req, 1, __ATOMIC_RELAXED);
}

static int side_main(int idx, const char *dev, int sock)
{
	struct side s = { .name = "AB"[idx], .idx = idx, .sock = sock,
			  .code = -1 };
	struct sigaction sa = { .sa_handler = on_term };
	const char *fail;
	char clean[256];

	sigaction(SIGTERM, &sa, NULL);
	fail = setup(&s, dev);
	if (fail) {
		say(&s, "note", "set-up on %s failed: %s: %s", dev, fail,
		    strerror(errno));
		incident(&s, TD_SETUP, "setup");
	} else {
		run(&s);
		if (s.code == TD_ERROR)
			linger(&s);
	}
	teardown(&s, clean, sizeof(clean));
	say(&s, "result", "code=%d first=%s saw=%s sent=%llu verified=%llu cleanup=%s",
	    s.code, s.first[0] ? s.first : "none",
	    s.saw[0] ? s.saw : "none", (unsigned long long)s.sent,
	    (unsigned long long)s.verified, clean);
	return s.code;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_term };
	pid_t pid[2], w;
	int sv[2], i, st, opt, left = 2, bad = 0;
	bool forwarded = false;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((opt = getopt(argc, argv, "t:S:p:")) != -1) {
		switch (opt) {
		case 't':
			stop_after_ms = atol(optarg) * 1000;
			break;
		case 'S':
			stall_ms = atol(optarg) * 1000;
			break;
		case 'p':
			progress_ms = atol(optarg);
			break;
		default:
			goto usage;
		}
	}
	if (argc - optind != 2)
		goto usage;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) {
		perror("socketpair");
		return 1;
	}
	fflush(stdout);
	for (i = 0; i < 2; i++) {
		pid[i] = fork();
		if (pid[i] < 0) {
			perror("fork");
			return 1;
		}
		if (!pid[i]) {
			close(sv[!i]);
			return side_main(i, argv[optind + i], sv[i]);
		}
	}
	close(sv[0]);
	close(sv[1]);
	sigaction(SIGTERM, &sa, NULL);
	printf("# td pids A=%d B=%d\n", pid[0], pid[1]);
	while (left) {
		if (__atomic_load_n(&stop_req, __ATOMIC_RELAXED) && !forwarded) {
			forwarded = true;
			kill(pid[0], SIGTERM);
			kill(pid[1], SIGTERM);
		}
		w = waitpid(-1, &st, 0);
		if (w < 0) {
			if (errno != EINTR)
				return 1;
			continue;
		}
		left--;
		i = w == pid[1];
		if (WIFEXITED(st))
			printf("# td %c exit at=%ld status=%d\n", "AB"[i],
			       wall_ms(), WEXITSTATUS(st));
		else
			printf("# td %c exit at=%ld signal=%d\n", "AB"[i],
			       wall_ms(), WTERMSIG(st));
		bad |= !WIFEXITED(st) || WEXITSTATUS(st);
	}
	return bad;
usage:
	fprintf(stderr, "usage: teardown_traffic [-t SECONDS] [-S STALL] [-p MS] DEV_A DEV_B\n");
	return 1;
}
