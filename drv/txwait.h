/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sroce: waiting for room on the way out.
 *
 * dev_queue_xmit() refuses a frame when the qdisc (or the veth peer's
 * backlog) is full; the frame is gone and the sender builds it again later.
 * Retrying at once only burns CPU on frames the qdisc drops (tens of
 * thousands a second in front of a slow link); waiting a whole tick lets the
 * queue run dry. A refused sender waits a delay that doubles on every
 * refusal and halves on every frame taken, between SROCE_TX_WAIT_MIN_US and
 * SROCE_TX_WAIT_MAX_US, so it settles near the rate the queue drains at. A
 * frame refused for SROCE_TX_PATIENCE_MS is given up: it counts as lost and
 * the protocol recovers it.
 *
 * Who calls what, from which context: the requester (struct sroce_req) and
 * the responder's READ/ATOMIC sender (struct sroce_resp) own one each and
 * call every function under their own lock, except sroce_tx_wait_stop()
 * (destroy, process context, after the owner's dead flag is set under that
 * lock, so nothing arms the timer again). The timer's handler only queues
 * the owner's work item.
 */
#ifndef _SROCE_TXWAIT_H
#define _SROCE_TXWAIT_H

#include <linux/hrtimer.h>
#include <linux/workqueue.h>

#define SROCE_TX_WAIT_MIN_US	20
#define SROCE_TX_WAIT_MAX_US	4000
/* How long a frame may be refused before it counts as lost. */
#define SROCE_TX_PATIENCE_MS	64

/**
 * struct sroce_tx_wait - a sender the netdev refused
 * @timer: wakes the sender after @delay_us; its handler queues @work.
 * @work: the owner's work item, which sends again.
 * @since: jiffies of the first refusal of the frame due.
 * @last: jiffies of the latest refusal.
 * @delay_us: the next wait; halved per frame taken.
 * @refused: the frame due was refused at least once.
 */
struct sroce_tx_wait {
	struct hrtimer timer;
	struct delayed_work *work;
	unsigned long since;
	unsigned long last;
	u32 delay_us;
	bool refused;
};

enum sroce_tx_verdict {
	SROCE_TX_WAIT,	/* the timer (or the work item) sends it again */
	SROCE_TX_LOST,	/* refused for too long: count it lost */
};

/* Whether a sender's error is the netdev (or the skb cache) saying "not now". */
static inline bool sroce_tx_is_refusal(int err)
{
	return err == -EAGAIN || err == -ENOMEM;
}

void sroce_tx_wait_init(struct sroce_tx_wait *tw, struct delayed_work *work);
void sroce_tx_wait_stop(struct sroce_tx_wait *tw);
enum sroce_tx_verdict sroce_tx_refused(struct sroce_tx_wait *tw, int err,
				       bool dead);
void sroce_tx_taken(struct sroce_tx_wait *tw);
void sroce_tx_wait_reset(struct sroce_tx_wait *tw);

#endif /* _SROCE_TXWAIT_H */
