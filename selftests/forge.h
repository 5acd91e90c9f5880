/* SPDX-License-Identifier: GPL-2.0 */
/*
 * selftests/forge: forged RoCEv2 frames against one RDMA device.
 *
 * The device under test (sroce0, or rxe0 with SROCE_TEST_DRIVER=rxe) sits
 * on veth0 (IP_A) in the init netns; veth1 (IP_B) lives in the private
 * netns "fpeer", where no RDMA device exists: this process is the remote
 * RoCEv2 peer. An AF_PACKET socket opened inside fpeer on veth1 injects
 * hand-built frames (Ethernet, IPv4, UDP 4791, BTH and extension headers,
 * payload, pad, ICRC) and captures what the device sends back.
 *
 * forge_pkt.c: frames, the ICRC, the peer socket. forge_env.c: the
 * network, the device, memory with guard pages, victim QPs, counters.
 * forge_resp.c: responder cases; forge_rd.c: READ, ATOMIC, ATOMIC WRITE
 * and FLUSH at the responder; forge_req.c: requester cases, UD/UC/GSI,
 * the flood. forge.c: the case list and KTAP.
 */
#ifndef FORGE_H
#define FORGE_H

#include <infiniband/verbs.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "test_lib.h"

#define NETNS		"fpeer"
#define VETH_A		"veth0"
#define VETH_B		"veth1"
#define IP_A		"192.0.2.1"
#define IP_B		"192.0.2.2"
#define MAC_A		"02:5e:00:00:00:01"
#define MAC_B		"02:5e:00:00:00:02"
#define ROCE_PORT	4791
#define PEER_GSO_PORT	0xc0de	/* the peer's UDP source port for GSO sends */

#define WAIT_MS		3000	/* a frame or completion that must come */
#define QUIET_MS	300	/* "nothing comes" */
#define PG		4096
#define GUARD		0x5a
#define MTU_BYTES	1024	/* the victims' path MTU */
#define MAX_FRAME	2048

/* Opcodes (IBTA vol. 1, table 38) the test builds by name. */
enum {
	OP_SEND_FIRST	= 0x00,
	OP_SEND_MIDDLE	= 0x01,
	OP_SEND_LAST	= 0x02,
	OP_SEND_ONLY	= 0x04,
	OP_WRITE_FIRST	= 0x06,
	OP_WRITE_MIDDLE	= 0x07,
	OP_WRITE_LAST	= 0x08,
	OP_WRITE_ONLY	= 0x0a,
	OP_READ_REQ	= 0x0c,
	OP_RR_FIRST	= 0x0d,
	OP_RR_MIDDLE	= 0x0e,
	OP_RR_LAST	= 0x0f,
	OP_RR_ONLY	= 0x10,
	OP_ACK		= 0x11,
	OP_ATOMIC_ACK	= 0x12,
	OP_CMP_SWAP	= 0x13,
	OP_FETCH_ADD	= 0x14,
	OP_FLUSH	= 0x1c,
	OP_ATOMIC_WRITE	= 0x1d,
	OP_UC_SEND_ONLY	= 0x24,
	OP_UC_WRITE_ONLY = 0x2a,
	OP_UD_SEND_ONLY	= 0x64,
};

/* AETH syndromes. */
#define SYN_ACK		0x1f
#define SYN_NAK_SEQ	0x60
#define SYN_NAK_INV	0x61
#define SYN_NAK_ACC	0x62
#define SYN_NAK_OP	0x63
#define SYN_RNR(t)	(0x20 | (t))

#define PSN_MASK	0xffffffu
#define PSN(x)		((uint32_t)(x) & PSN_MASK)

/* Where an opcode's extension headers sit behind the BTH (0: absent). */
struct opl {
	bool valid;
	bool payload;
	uint8_t feth, reth, deth, aeth, atmeth, atmack, imm, ieth;
	uint8_t hdr;		/* BTH and every extension header */
};

bool op_layout(uint8_t opcode, struct opl *l);

/* A packet the peer sends: BTH fields and whatever the opcode carries. */
struct fpkt {
	uint8_t op;
	uint32_t qpn, psn;
	bool ackreq;
	bool se;
	int pad;		/* -1: what the payload needs */
	uint16_t pkey;		/* 0: 0xffff */
	uint64_t va;		/* RETH, AtomicETH */
	uint32_t rkey;
	uint32_t dlen;		/* RETH DMA length */
	uint32_t feth;		/* FLUSH: placement type, selectivity << 4 */
	uint64_t swap_add, compare;
	uint32_t qkey, sqpn;	/* DETH */
	uint8_t syn;		/* AETH */
	uint32_t msn;
	uint64_t orig;		/* AtomicAckETH */
	uint32_t imm;
	const void *pay;
	uint32_t paylen;
};

/* A RoCEv2 frame the device sent, parsed. */
struct rpkt {
	uint8_t opcode;
	uint32_t qpn, psn;
	bool ackreq;
	bool has_aeth;
	uint8_t syn;
	uint32_t msn;
	bool has_reth;
	uint64_t va;
	uint32_t rkey, dlen;
	bool has_atmack;
	uint64_t orig;
	uint32_t pay_off, paylen;
	bool icrc_ok;
	uint8_t raw[MAX_FRAME];
	size_t len;
};

/* forge_pkt.c */
int peer_open(void);
void peer_close(void);
size_t tp_build(uint8_t *tp, const struct fpkt *p);
int peer_send_tp(const uint8_t *tp, size_t tlen, bool icrc, uint32_t icrc_xor);
int inject(const struct fpkt *p);
int peer_send_gso(const uint8_t *tps, size_t tlen, unsigned int n);
int peer_recv(struct rpkt *r, uint32_t qpn, int ms);
void peer_drain(void);
extern unsigned long peer_icrc_bad;

/* forge_env.c */
struct env {
	const char *drv;	/* "sroce" or "rxe" */
	char dev[16];
	bool rxe;
	struct ibv_context *ctx;
	struct ibv_pd *pd, *pd2;
	int gid_idx;
	union ibv_gid gid_b;
	uint8_t *area;		/* 3 pages: guard, MR, guard */
	uint8_t *mrbuf;		/* area + PG */
	struct ibv_mr *mr;	/* full access, pd, the middle page */
	uint8_t shadow[PG];	/* what the MR page must hold */
	uint8_t *area2;		/* one page in pd2's MR */
	struct ibv_mr *mr2;
	uint8_t shadow2[PG];
	uint8_t *lbuf;		/* requester-local page, pd */
	struct ibv_mr *lmr;
	uint32_t next_peer_qpn;
};

extern struct env E;

struct vopts {
	enum ibv_qp_type type;
	struct ibv_pd *pd;	/* NULL: E.pd */
	int access;		/* qp_access_flags */
	uint8_t max_dest_rd;
	uint8_t rnr_retry;
	uint8_t timeout;
	uint32_t sq_psn, rq_psn;
	uint32_t qkey;
};

struct victim {
	struct ibv_qp *qp;
	struct ibv_cq *cq;
	uint32_t qpn;		/* ours */
	uint32_t peer_qpn;	/* the made-up QPN of the fake peer */
	uint32_t sq_psn, rq_psn;
};

enum cnt {
	C_SHORT, C_BAD_ICRC, C_BAD_HEADER, C_BAD_OPCODE, C_NO_QP, C_QP_STATE,
	C_MSG, C_STALE_RESP, C_NO_ACCESS,	/* the rx_drop_* family */
	C_NAKS_SENT, C_OUT_OF_SEQ, C_DUP_REQ, C_RCV_RNR, C_RNR_EXC, C_RCVD,
	C_NUM
};
#define C_DROPS_END	(C_NO_ACCESS + 1)
#define CBIT(c)		(1u << (c))

struct counters {
	uint64_t v[C_NUM];	/* UINT64_MAX: the driver has no such counter */
};

int env_setup(void);
void env_teardown(void);
void mem_reset(void);
void vopts_rc(struct vopts *o);
int victim_new(struct victim *v, const struct vopts *o);
void victim_free(struct victim *v);
int qp_state(struct ibv_qp *qp);
int cq_wait(struct ibv_cq *cq, struct ibv_wc *wc, int ms);
void counters_read(struct counters *c);
void counters_note(const struct counters *b);
const char *gsi_state(char *buf, size_t len);
int kmsg_mark(void);
int kmsg_bad_since(int mark);
void msleep(int ms);

/* Case state: forge.c reports; the checks below mark failures. */
extern bool case_ok;
void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

bool want_ack(const struct victim *v, uint8_t syn, uint32_t psn);
bool want_quiet(uint32_t peer_qpn, int ms);
bool want_state(const struct victim *v, int state);
bool want_mem(void);
void want_counters(const struct counters *before, unsigned int moved);
bool want_no_wc(const struct victim *v, int ms);
bool want_wc(const struct victim *v, uint64_t wr_id, int status,
	     struct ibv_wc *out);

/* forge_resp.c: the responder cases' victim, counters, payloads, helpers */
extern struct victim RV;
extern struct counters RB;
extern uint8_t pay_a[2048], pay_b[2048];
uint64_t mva(int64_t off);
bool resp_begin(const struct vopts *o);
void resp_end(void);
struct fpkt req(uint8_t op, uint32_t psn);
struct fpkt write_only(uint32_t psn, uint64_t va, const void *pay,
		       uint32_t n);
void grant(uint32_t off, const void *pay, uint32_t n);
void still_works(uint32_t psn);
void nak_case(struct fpkt *f, uint8_t syn, unsigned int cnt);
void dup_case(uint8_t op, uint32_t off, uint32_t len);
void drop_case(const uint8_t *tp, size_t n, bool icrc, int cnt,
	       uint32_t quiet_qpn);

/* forge_req.c: the requester cases' helpers (forge_timer.c too) */
bool req_begin(struct victim *v, const struct vopts *o);
void vopts_req(struct vopts *o, uint32_t sq_psn, uint8_t rnr_retry);
bool req_post(struct victim *v, enum ibv_wr_opcode op, uint32_t off,
	      uint32_t len, uint64_t wr_id);
bool want_req(const struct victim *v, uint8_t op, uint32_t psn, int ms);
void req_answer(const struct victim *v, uint8_t op, uint8_t syn,
		uint32_t psn, uint32_t paylen);

/* the cases */
void case_resp(int n);
int case_resp_count(void);
const char *case_resp_name(int n);
void case_rd(int n);
int case_rd_count(void);
const char *case_rd_name(int n);
void case_req(int n);
int case_req_count(void);
const char *case_req_name(int n);
void case_timer(int n);
int case_timer_count(void);
const char *case_timer_name(int n);

#endif /* FORGE_H */
