/* SPDX-License-Identifier: GPL-2.0 */
/*
 * selftests/opcodes: what its files share. opcodes.c runs the cases and
 * owns the KTAP results; opcodes_lib.c holds the two ends, their QPs,
 * completions and buffers; opcodes_xfer.c SEND, RDMA WRITE/READ and UD;
 * opcodes_atomic.c atomics and SEND_WITH_INV through a memory window;
 * opcodes_flush.c RDMA FLUSH;
 * opcodes_err.c the error cases.
 */
#ifndef SROCE_OPCODES_H
#define SROCE_OPCODES_H

#include <infiniband/verbs.h>
#include <stdbool.h>
#include <stdint.h>

#include "test_lib.h"

#define BUF_SIZE	(3u << 20)	/* per end; the main MR is a part */
#define MR_LEN		(BUF_SIZE - 8192) /* bytes past it: guard */
#define SMALL_LEN	65536		/* buffers of the restricted MRs */
#define GUARD		0x5a
#define CQ_DEPTH	256
#define WR_DEPTH	64
#define MAX_SEGS	24
#define WAIT_MS		30000		/* TCG is slow: generous */
#define QUIET_MS	300		/* "no completion comes" */
#define IMM		0x1234abcdu
#define QKEY		0x11110000u
#define PSN_A		0xffff00u	/* 1 MiB from A wraps the 24-bit PSN */
#define PSN_B		0xfffffeu

/* Offsets: unaligned, far from the start; local and remote differ. */
#define LOFF 0x1003
#define ROFF 0x2011

/*
 * The rxe user ABI (struct rxe_uverbs_wc, copied as is by rdma-core's rxe
 * provider) carries what the kernel writes: rxe 6.1 writes its own
 * IB_WC_WITH_INVALIDATE, 1 << 2, which libibverbs names IBV_WC_IP_CSUM_OK;
 * sroce translates to IBV_WC_WITH_INV. For rxe either bit says
 * "invalidated"; sroce must set IBV_WC_WITH_INV.
 */
#define WC_INV_FLAGS	(IBV_WC_WITH_INV | (1u << 2))

struct end {
	const char *name;
	const char *dev;
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_cq *scq, *rcq;
	struct ibv_qp *qp;
	struct ibv_mr *mr;	/* full access, [buf, buf + MR_LEN) */
	struct ibv_mr *mr_nw;	/* no REMOTE_WRITE / REMOTE_ATOMIC, on nw */
	struct ibv_mr *mr_nr;	/* no REMOTE_READ, on nr */
	uint8_t *buf, *expect;
	uint8_t *nw, *nr;	/* must stay GUARD: nothing may land there */
	int gid4, gid6;
	union ibv_gid g4, g6;
	enum ibv_mtu mtu;
	struct ibv_device_attr_ex attr;
};

extern struct end A, B;
extern int family;		/* GID family the QPs use */
extern uint32_t path_mtu;	/* bytes */
extern uint8_t *msg;		/* the message a test moves, concatenated */
extern uint64_t wr_seq;
extern bool driver_is_rxe;
extern long strays;		/* completions no case expected */

/* Ends and QPs */
bool end_open(struct end *e, const char *dev);
bool end_close(struct end *e);
bool make_pair(enum ibv_qp_type type);
bool make_pair_ops(enum ibv_qp_type type, uint64_t send_ops);
int cq_strays(struct end *e, const char *when);
void fill_ah(struct ibv_ah_attr *ah, struct end *s, struct end *d);
int qp_state(struct ibv_qp *qp);

/* Completions */
int poll_one(struct ibv_cq *cq, struct ibv_wc *wc, int ms);

/*
 * What a completion must look like; byte_len < 0 and imm == 0 / flags == 0
 * mean "not checked" except that flags lists the ones that must be set and
 * noflags the ones that must not.
 */
struct wc_want {
	enum ibv_wc_status status;
	/* Also accepted with SROCE_TEST_DRIVER=rxe, where 6.1 deviates. */
	enum ibv_wc_status rxe_status;
	bool rxe_alt;
	int opcode;		/* -1: not checked (error completions) */
	uint64_t wr_id;
	int64_t byte_len;	/* -1: not checked */
	unsigned int flags, noflags;
	uint32_t imm;		/* checked when flags has IBV_WC_WITH_IMM */
	uint32_t inv_rkey;	/* checked when flags has IBV_WC_WITH_INV */
	uint32_t qp_num;
};

bool wait_wc(struct end *e, bool recv, const struct wc_want *w,
	     struct ibv_wc *out);
bool cq_quiet(struct end *e, bool recv);

/* Buffers and their expected contents */
struct seg {
	uint32_t off, len;
};

void pattern(uint8_t *p, uint32_t len, uint32_t seed);
void reset_bufs(void);
void split(struct seg *s, int n, uint32_t base, uint32_t len, uint32_t gap);
void place_msg(struct end *e, const struct seg *s, int n, uint32_t len,
	       uint32_t seed);
void expect_msg(struct end *e, const struct seg *s, int n, uint32_t len);
bool check_buf(struct end *e);
void snapshot(struct end *e);
void to_sge(struct ibv_sge *sge, struct end *e, const struct seg *s, int n);
bool post_recv(struct end *e, const struct seg *s, int n, uint64_t wr_id);
bool post_send(struct end *e, struct ibv_send_wr *wr);

/* The cases: each returns its one verdict; opcodes.c prints it. */
struct test {
	char name[96];
	bool (*fn)(const struct test *t);
	int op;			/* IBV_WR_* */
	uint32_t len;
	int nsge;		/* local SGEs; remote (recv) ones: nsge - 1 */
	int fam;
	enum ibv_qp_type type;
	int arg;
	const char *skip;	/* reason, when it cannot run here */
	/* recovery counters this case makes move on purpose (and why) */
	const char *may_move;
};

/* Error cases (t->arg of t_error) */
enum { E_RKEY, E_OOB_END, E_OOB_START, E_NO_RWRITE, E_NO_RREAD,
       E_NO_RATOMIC, E_LKEY, E_RECV_LKEY };

bool t_xfer(const struct test *t);
bool t_inline(const struct test *t);
bool t_ud(const struct test *t);
bool t_cas(const struct test *t);
bool t_faa(const struct test *t);
bool t_atomic_write(const struct test *t);
bool t_flush(const struct test *t);
bool t_send_inv(const struct test *t);
bool t_error(const struct test *t);

#endif /* SROCE_OPCODES_H */
