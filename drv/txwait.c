// SPDX-License-Identifier: GPL-2.0
/*
 * sroce: waiting for room on the way out (see txwait.h).
 */
#include <linux/jiffies.h>
#include <linux/minmax.h>

#include "txwait.h"

static enum hrtimer_restart sroce_tx_wait_fire(struct hrtimer *timer)
{
	struct sroce_tx_wait *tw = container_of(timer, struct sroce_tx_wait,
						timer);

	queue_delayed_work(system_highpri_wq, tw->work, 0);
	return HRTIMER_NORESTART;
}

void sroce_tx_wait_init(struct sroce_tx_wait *tw, struct delayed_work *work)
{
	hrtimer_init(&tw->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	tw->timer.function = sroce_tx_wait_fire;
	tw->work = work;
	tw->delay_us = SROCE_TX_WAIT_MIN_US;
	tw->refused = false;
}

/* Destroy: the owner's dead flag is set, so nothing arms it again. */
void sroce_tx_wait_stop(struct sroce_tx_wait *tw)
{
	hrtimer_cancel(&tw->timer);
}

/**
 * sroce_tx_refused() - the frame due could not be sent
 * @tw: the sender's wait.
 * @err: -ENOMEM (no skb: never given up) or -EAGAIN (the netdev refused).
 * @dead: the owner is being destroyed: nothing is armed.
 *
 * Return: SROCE_TX_WAIT when the sender is woken later to build the frame
 * again, SROCE_TX_LOST when the netdev refused it for SROCE_TX_PATIENCE_MS.
 */
enum sroce_tx_verdict sroce_tx_refused(struct sroce_tx_wait *tw, int err,
				       bool dead)
{
	unsigned long now = jiffies;

	/*
	 * Patience counts while the sender keeps trying: after a pause
	 * (a full window, say) the stretch of refusals starts again.
	 */
	if (!tw->refused ||
	    time_after(now, tw->last +
		       usecs_to_jiffies(2 * SROCE_TX_WAIT_MAX_US) + 1)) {
		tw->refused = true;
		tw->since = now;
	} else if (err == -EAGAIN &&
		   time_after(now,
			      tw->since + msecs_to_jiffies(SROCE_TX_PATIENCE_MS))) {
		tw->refused = false;
		return SROCE_TX_LOST;
	}
	tw->last = now;
	/* a run between two wakeups (an ACK's) does not stretch the wait */
	if (!dead && !hrtimer_active(&tw->timer)) {
		hrtimer_start(&tw->timer, ns_to_ktime(tw->delay_us * NSEC_PER_USEC),
			      HRTIMER_MODE_REL);
		tw->delay_us = min_t(u32, tw->delay_us * 2,
				     SROCE_TX_WAIT_MAX_US);
	}
	return SROCE_TX_WAIT;
}

/* The netdev took a frame: the queue drains faster than we waited. */
void sroce_tx_taken(struct sroce_tx_wait *tw)
{
	tw->refused = false;
	tw->delay_us = max_t(u32, tw->delay_us / 2, SROCE_TX_WAIT_MIN_US);
}

/* RESET or the error state: the frame due is forgotten. */
void sroce_tx_wait_reset(struct sroce_tx_wait *tw)
{
	tw->refused = false;
	tw->delay_us = SROCE_TX_WAIT_MIN_US;
}
