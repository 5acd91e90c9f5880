// SPDX-License-Identifier: GPL-2.0
/*
 * selftests/hostile_ring: timed verbs calls, ring access, the thread that
 * hammers a ring, and the QP pairs whose rings the cases attack (see
 * hostile_ring.c and hostile_ring.h).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <infiniband/verbs.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <rdma/rdma_user_rxe.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "ktap.h"
#include "hostile_ring.h"

struct ibv_context *ctx;
struct ibv_pd *pd;
struct ibv_mr *mr;
uint8_t *buf;
int gid_index = -1;
union ibv_gid gid;
char dev[32];
double bound_s;
uint64_t rng_state;
struct tally tally;

double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

uint64_t rnd(uint64_t *s)	/* xorshift64* */
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

void fill_random(void *p, size_t len)
{
	uint8_t *b = p;

	while (len--)
		*b++ = rnd(&rng_state);
}


/* --- every verbs call is timed --------------------------------------------- */


void timed_done(const char *what, double s)
{
	if (s > tally.slow_s) {
		tally.slow_s = s;
		tally.slow_what = what;
	}
	if (s > bound_s) {
		tally.over++;
		ktap_info("%s took %.0f ms (bound %.0f ms)", what, s * 1e3,
			  bound_s * 1e3);
	}
}



/* --- ring access ------------------------------------------------------------ */


void *slot(struct rxe_queue_buf *q, uint32_t i)
{
	return q->data + ((size_t)(i & q->index_mask) << q->log2_elem_size);
}

size_t elem(const struct rxe_queue_buf *q)
{
	return (size_t)1 << q->log2_elem_size;
}

/* @i with garbage above index_mask that the provider still maps to slot i. */
uint32_t alias(struct rxe_queue_buf *q, uint32_t i, uint64_t *s)
{
	uint32_t hi = 32 - q->log2_elem_size;

	return (i & q->index_mask) | (uint32_t)(rnd(s) << hi) | 1u << hi;
}

/* [p, p + len) lies in one mapping of a uverbs file. */
static bool uverbs_mapped(const void *p, size_t len)
{
	unsigned long lo, hi, a = (unsigned long)p;
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	bool ok = false;

	while (f && !ok && fgets(line, sizeof(line), f))
		ok = sscanf(line, "%lx-%lx", &lo, &hi) == 2 && a >= lo &&
		     a + len <= hi && strstr(line, "/dev/infiniband/uverbs");
	if (f)
		fclose(f);
	return ok;
}

/* The ring at @q is mapped and was made for @entries of @size bytes. */
bool ring_ok(const char *what, struct rxe_queue_buf *q,
		    uint32_t entries, size_t size)
{
	uint32_t mask, l2;

	if (!q || !uverbs_mapped(q, sizeof(*q))) {
		ktap_info("%s: %p is not in a uverbs mapping", what, (void *)q);
		return false;
	}
	mask = q->index_mask;
	l2 = q->log2_elem_size;
	if ((mask & (mask + 1)) || mask < entries || l2 > 16 ||
	    elem(q) < size || q->producer_index > mask ||
	    q->consumer_index > mask ||
	    !uverbs_mapped(q, sizeof(*q) + ((size_t)(mask + 1) << l2))) {
		ktap_info("%s: index_mask %#x log2_elem_size %u prod %u cons %u do not fit %u entries of %zu B",
			  what, mask, l2, q->producer_index, q->consumer_index,
			  entries, size);
		return false;
	}
	return true;
}

/* --- a second thread hammering one ring ------------------------------------- */


static void *hammer_fn(void *arg)
{
	struct hammer *h = arg;
	struct rxe_queue_buf *q = h->q;
	unsigned long n = 0;
	uint64_t r;
	uint8_t *s;

	while (!atomic_load_explicit(&h->stop, memory_order_relaxed) &&
	       ((n & 1023) || now_s() < h->end)) {
		r = rnd(&h->rng);
		if (h->mode == H_PROD_BEHIND) {
			st(&q->producer_index,
			   (ld(&q->consumer_index) - 1) & q->index_mask);
		} else if (h->mode == H_CONS_RANDOM) {
			st(&q->consumer_index, alias(q, r, &h->rng));
		} else if (r & 1) {
			st(&q->producer_index, alias(q, r >> 8, &h->rng));
		} else {
			s = slot(q, r >> 8);
			s += ((r >> 40) % elem(q)) & ~7ul;
			__atomic_store_n((uint64_t *)s, rnd(&h->rng),
					 __ATOMIC_RELAXED);
		}
		atomic_store_explicit(&h->iters, ++n, memory_order_relaxed);
	}
	return NULL;
}

/*
 * Starts @h on @q for at most @max_s; true once it is hammering. The main
 * thread runs on CPU 0 (main()), the hammer on CPU 1: it keeps going while
 * the main thread's CPU is in the kernel with preemption off.
 */
bool hammer_start(struct hammer *h, struct rxe_queue_buf *q,
			 enum hmode mode, double max_s)
{
	double give_up = now_s() + 5;
	pthread_attr_t attr;
	cpu_set_t cpus;
	int err;

	memset(h, 0, sizeof(*h));
	h->q = q;
	h->mode = mode;
	h->end = now_s() + max_s;
	h->rng = rnd(&rng_state) | 1;
	CPU_ZERO(&cpus);
	CPU_SET(1, &cpus);
	pthread_attr_init(&attr);
	if (sysconf(_SC_NPROCESSORS_ONLN) > 1)
		pthread_attr_setaffinity_np(&attr, sizeof(cpus), &cpus);
	err = pthread_create(&h->tid, &attr, hammer_fn, h);
	pthread_attr_destroy(&attr);
	if (err)
		return false;
	h->running = true;
	while (atomic_load(&h->iters) < 1000 && now_s() < give_up)
		usleep(1000);
	return atomic_load(&h->iters) >= 1000;
}

/* Stops @h if it runs; returns how often it wrote. */
unsigned long hammer_stop(struct hammer *h)
{
	if (h->running) {
		atomic_store(&h->stop, true);
		pthread_join(h->tid, NULL);
		h->running = false;
	}
	return atomic_load(&h->iters);
}


/* --- QPs ---------------------------------------------------------------------- */


struct ibv_qp *create_rc(struct ibv_cq *cq, struct ibv_srq *srq,
				uint32_t wr)
{
	struct ibv_qp_init_attr ia = {
		.send_cq = cq, .recv_cq = cq, .srq = srq,
		.qp_type = IBV_QPT_RC, .sq_sig_all = 1,
		.cap = { .max_send_wr = wr, .max_recv_wr = srq ? 0 : wr,
			 .max_send_sge = SGE, .max_recv_sge = srq ? 0 : SGE,
			 .max_inline_data = INLINE },
	};

	return CALL("create_qp", ibv_create_qp(pd, &ia));
}

bool to_rts(struct ibv_qp *qp, uint32_t remote)
{
	struct ibv_qp_attr a = {
		.qp_state = IBV_QPS_INIT, .port_num = 1,
		.qp_access_flags = IBV_ACCESS_LOCAL_WRITE |
			IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ |
			IBV_ACCESS_REMOTE_ATOMIC,
	};
	struct ibv_qp_attr rtr = {
		.qp_state = IBV_QPS_RTR, .path_mtu = IBV_MTU_1024,
		.dest_qp_num = remote, .max_dest_rd_atomic = 1,
		.min_rnr_timer = 1,
		.ah_attr = { .is_global = 1, .port_num = 1,
			     .grh = { .dgid = gid, .sgid_index = gid_index,
				      .hop_limit = 64 } },
	};
	struct ibv_qp_attr rts = {
		.qp_state = IBV_QPS_RTS, .timeout = 10, .retry_cnt = 1,
		.rnr_retry = 1, .max_rd_atomic = 1,
	};

	return !CALL("modify_qp(INIT)", ibv_modify_qp(qp, &a, IBV_QP_STATE |
			IBV_QP_PKEY_INDEX | IBV_QP_PORT | IBV_QP_ACCESS_FLAGS)) &&
	       !CALL("modify_qp(RTR)", ibv_modify_qp(qp, &rtr, IBV_QP_STATE |
			IBV_QP_AV | IBV_QP_PATH_MTU | IBV_QP_DEST_QPN |
			IBV_QP_RQ_PSN | IBV_QP_MAX_DEST_RD_ATOMIC |
			IBV_QP_MIN_RNR_TIMER)) &&
	       !CALL("modify_qp(RTS)", ibv_modify_qp(qp, &rts, IBV_QP_STATE |
			IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY |
			IBV_QP_SQ_PSN | IBV_QP_MAX_QP_RD_ATOMIC));
}

/* a's SQ and RQ, and the SRQ if any, hold @wr entries; b's queues WR. */
bool pair_new(struct pair *p, bool with_srq, uint32_t wr)
{
	struct ibv_srq_init_attr sa = { .attr = { .max_wr = wr, .max_sge = SGE } };

	memset(p, 0, sizeof(*p));
	/* room for twice a big ring's flush: a second lap shows */
	p->cq = CALL("create_cq", ibv_create_cq(ctx, wr > WR ? 2 * wr + 1 : CQE,
						NULL, NULL, 0));
	if (p->cq && with_srq)
		p->srq = CALL("create_srq", ibv_create_srq(pd, &sa));
	if (!p->cq || (with_srq && !p->srq))
		return false;
	p->a = create_rc(p->cq, NULL, wr);
	p->b = create_rc(p->cq, p->srq, WR);
	return p->a && p->b && to_rts(p->a, p->b->qp_num) &&
	       to_rts(p->b, p->a->qp_num);
}

bool modify_err(struct ibv_qp *qp)
{
	struct ibv_qp_attr a = { .qp_state = IBV_QPS_ERR };

	return !CALL("modify_qp(ERR)", ibv_modify_qp(qp, &a, IBV_QP_STATE));
}

/* Destroys what @p holds; true when every destroy succeeded. */
bool pair_free(struct pair *p)
{
	bool ok = true;

	if (p->a)
		ok &= !CALL("destroy_qp", ibv_destroy_qp(p->a));
	if (p->b)
		ok &= !CALL("destroy_qp", ibv_destroy_qp(p->b));
	if (p->srq)
		ok &= !CALL("destroy_srq", ibv_destroy_srq(p->srq));
	if (p->cq)
		ok &= !CALL("destroy_cq", ibv_destroy_cq(p->cq));
	if (!ok)
		ktap_info("a destroy call failed");
	memset(p, 0, sizeof(*p));
	return ok;
}

int post_recv(struct ibv_qp *qp, struct ibv_srq *srq, uint64_t off,
		     uint32_t len)
{
	struct ibv_sge sge = { (uintptr_t)buf + off, len, mr->lkey };
	struct ibv_recv_wr wr = { .wr_id = off, .sg_list = &sge, .num_sge = 1 };
	struct ibv_recv_wr *bad;

	if (srq)
		return CALL("post_srq_recv", ibv_post_srq_recv(srq, &wr, &bad));
	return CALL("post_recv", ibv_post_recv(qp, &wr, &bad));
}

int post_send(struct ibv_qp *qp, enum ibv_wr_opcode op, uint64_t off,
		     uint32_t len, uint64_t raddr)
{
	struct ibv_sge sge = { (uintptr_t)buf + off, len, mr->lkey };
	struct ibv_send_wr wr = {
		.wr_id = off, .sg_list = &sge, .num_sge = len ? 1 : 0,
		.opcode = op,
		.wr.rdma = { .remote_addr = raddr, .rkey = mr->rkey },
	};
	struct ibv_send_wr *bad;

	return CALL("post_send", ibv_post_send(qp, &wr, &bad));
}

/*
 * The provider refuses an atomic WR without its 8 bytes at an unaligned
 * address before it touches the ring (whatever the QP's caps), and rings
 * the doorbell all the same: the kernel then reads the ring as it is.
 */
void doorbell(struct ibv_qp *qp)
{
	struct ibv_send_wr wr = { .opcode = IBV_WR_ATOMIC_FETCH_AND_ADD,
				  .wr.atomic = { .remote_addr = 1 } };
	struct ibv_send_wr *bad;

	CALL("post_send(doorbell)", ibv_post_send(qp, &wr, &bad));
}


/* Polls @cq until @want completions, @idle_s without one, or 5 s. */
void poll_some(struct ibv_cq *cq, int want, double idle_s,
		      struct pstat *ps)
{
	double start = now_s(), last = start;
	struct ibv_wc wc[16];
	int i, n;

	while (ps->n < want && now_s() - last < idle_s && now_s() - start < 5) {
		n = CALL("poll_cq", ibv_poll_cq(cq, 16, wc));
		if (n < 0)
			break;
		if (!n)
			usleep(500);
		else
			last = now_s();
		for (i = 0; i < n; i++, ps->n++)
			if (wc[i].status == IBV_WC_SUCCESS)
				ps->ok++;
			else if (!ps->err++)
				ps->first_err = wc[i].status;
	}
}

void pstat_info(const char *what, const struct pstat *ps)
{
	ktap_info("%s: %d completions, %d successful, %d in error%s%s", what,
		  ps->n, ps->ok, ps->err, ps->err ? ", first " : "",
		  ps->err ? ibv_wc_status_str(ps->first_err) : "");
}

const char *qp_state(struct ibv_qp *qp)
{
	struct ibv_qp_init_attr ia;
	struct ibv_qp_attr a = { .qp_state = -1 };

	CALL("query_qp", ibv_query_qp(qp, &a, IBV_QP_STATE, &ia));
	return a.qp_state == IBV_QPS_ERR ? "ERR" :
	       a.qp_state == IBV_QPS_RTS ? "RTS" : "another state";
}

bool canary_intact(void)
{
	int i;

	for (i = 0; i < CANARY_SIZE; i++)
		if (buf[BUF_SIZE + i] != 0xa5) {
			ktap_info("byte %d after the MR changed to %#x", i,
				  buf[BUF_SIZE + i]);
			return false;
		}
	return true;
}

/* Ends a case: both QPs to ERR, completions drained, all destroyed. */
bool pair_end(struct pair *p)
{
	struct pstat ps = {};
	bool ok = true;

	if (p->a)
		ok &= modify_err(p->a);
	if (p->b)
		ok &= modify_err(p->b);
	if (p->cq)
		poll_some(p->cq, 1 << 20, 0.3, &ps);
	pstat_info("after ERR", &ps);
	ok &= pair_free(p);
	return ok & canary_intact();
}

