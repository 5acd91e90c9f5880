/* SPDX-License-Identifier: GPL-2.0 */
/*
 * selftests/hostile_ring: what hostile_ring.c (the cases) and
 * hostile_ring_lib.c (timed calls, ring access, the hammer thread, QP pairs
 * and their traffic) share: the device's objects and the helpers; the
 * provider's objects are mirrored in rxe_mirror.h.
 */
#ifndef SROCE_HOSTILE_RING_H
#define SROCE_HOSTILE_RING_H

#include <infiniband/verbs.h>
#include <pthread.h>
#include <rdma/rdma_user_rxe.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "rxe_mirror.h"
#include "test_lib.h"

#define LOCAL_IP	"198.18.1.1"
#define BUF_SIZE	(64 * 1024)
#define CANARY_SIZE	4096
#define WR		32
#define BIG_WR		16383	/* a ring the kernel needs a while to walk */
#define SGE		2
#define INLINE		64
#define CQE		256

extern struct ibv_context *ctx;
extern struct ibv_pd *pd;
extern struct ibv_mr *mr;
extern uint8_t *buf;		/* BUF_SIZE registered, CANARY_SIZE after */
extern int gid_index;
extern union ibv_gid gid;
extern char dev[32];
extern double bound_s;
extern uint64_t rng_state;

struct tally {
	const char *slow_what;
	double slow_s;
	int over;
};
extern struct tally tally;

#define CALL(what, expr) ({						\
	double t0_ = now_s();						\
	__typeof__(expr) r_ = (expr);					\
	timed_done((what), now_s() - t0_);				\
	r_;								\
})

#define ld(p)		__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define st(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)

enum hmode {
	H_PROD_BEHIND,	/* producer = consumer - 1: the ring always full */
	H_PROD_CHAOS,	/* aliased random producers, random words in slots */
	H_CONS_RANDOM,	/* aliased random consumer (a CQ) */
};

struct hammer {
	pthread_t tid;
	struct rxe_queue_buf *q;
	enum hmode mode;
	double end;
	atomic_bool stop;
	atomic_ulong iters;
	uint64_t rng;
	bool running;
};

struct pair {
	struct ibv_cq *cq;
	struct ibv_srq *srq;
	struct ibv_qp *a, *b;	/* a sends to b; b receives from srq if any */
};

struct pstat {
	int n, ok, err;
	enum ibv_wc_status first_err;
};

double now_s(void);
uint64_t rnd(uint64_t *s);
void fill_random(void *p, size_t len);
void timed_done(const char *what, double s);
void *slot(struct rxe_queue_buf *q, uint32_t i);
size_t elem(const struct rxe_queue_buf *q);
uint32_t alias(struct rxe_queue_buf *q, uint32_t i, uint64_t *s);
bool ring_ok(const char *what, struct rxe_queue_buf *q,
		    uint32_t entries, size_t size);
bool hammer_start(struct hammer *h, struct rxe_queue_buf *q,
			 enum hmode mode, double max_s);
unsigned long hammer_stop(struct hammer *h);
struct ibv_qp *create_rc(struct ibv_cq *cq, struct ibv_srq *srq,
				uint32_t wr);
bool to_rts(struct ibv_qp *qp, uint32_t remote);
bool pair_new(struct pair *p, bool with_srq, uint32_t wr);
bool modify_err(struct ibv_qp *qp);
bool pair_free(struct pair *p);
int post_recv(struct ibv_qp *qp, struct ibv_srq *srq, uint64_t off,
		     uint32_t len);
int post_send(struct ibv_qp *qp, enum ibv_wr_opcode op, uint64_t off,
		     uint32_t len, uint64_t raddr);
void doorbell(struct ibv_qp *qp);
void poll_some(struct ibv_cq *cq, int want, double idle_s,
		      struct pstat *ps);
void pstat_info(const char *what, const struct pstat *ps);
const char *qp_state(struct ibv_qp *qp);
bool canary_intact(void);
bool pair_end(struct pair *p);

#endif /* SROCE_HOSTILE_RING_H */
