/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sroce: reading a received skb by offset, front to back, with a cursor.
 *
 * skb_copy_bits() finds the page fragment an offset falls in by walking
 * the fragments from the first, every call. A veth's GSO skb has up to 17
 * of them, and a unit is read five times (headers, ICRC, payload to its
 * destination), so the receive path walked some 40 fragments per unit. A
 * struct sroce_skb_pos remembers where the last read started; the next one
 * walks on from there. Reads must come in increasing offsets to gain;
 * any other read is still right, it starts over.
 *
 * Any context. The skb must not change shape (pulls, trims) while a
 * cursor that has been used is in use; the cursor notices a change of
 * head length or fragment count and starts over.
 */
#ifndef _SROCE_SKBPOS_H
#define _SROCE_SKBPOS_H

#include <linux/skbuff.h>

/**
 * struct sroce_skb_pos - where in an skb the last read started
 * @frag: a fragment index (nr_frags: past the last).
 * @start: the skb offset (from skb->data) fragment @frag starts at.
 * @headlen: skb_headlen() when set; 0: not set yet.
 * @nr_frags: the skb's fragment count when set.
 */
struct sroce_skb_pos {
	u16 frag;
	u16 nr_frags;
	u32 start;
	u32 headlen;
};

/* Reads up to this long that lie in one fragment skip memcpy(). */
#define SROCE_SKB_SHORT		64

int sroce_skb_copy(const struct sk_buff *skb, struct sroce_skb_pos *pos,
		   unsigned int off, void *to, unsigned int len);
int sroce_skb_copy_crc(const struct sk_buff *skb, struct sroce_skb_pos *pos,
		       unsigned int off, void *to, unsigned int len, u32 *crc);
const skb_frag_t *sroce_skb_seek(const struct sk_buff *skb,
				 struct sroce_skb_pos *pos, unsigned int off);

#endif /* _SROCE_SKBPOS_H */
