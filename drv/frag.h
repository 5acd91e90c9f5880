/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sroce: page fragments for payload copied into frames (READ responses),
 * from pages each CPU keeps and reuses once every fragment cut from them
 * was freed.
 *
 * Debian's kernels zero every page they allocate (init_on_alloc), and the
 * kernel's page_frag cache reuses its page only if all of it came back by
 * the time it is used up: with a window of responses in flight it never
 * has, so each 32 KiB of responses cost a fresh page, zeroed, only to be
 * overwritten (clear_page_rep was 16% of the responding CPU in
 * ib_read_bw). A CPU here cycles through SROCE_FRAG_RING pages instead and
 * allocates only when the next one is still in use.
 *
 * Who calls what, from which context:
 *  - sroce_frag_alloc(): softirq or BHs disabled (the responder under
 *    resp.lock), never hard irq: the ring is per CPU.
 *  - sroce_frag_exit(): module exit, every device gone.
 *
 * References: a ring slot holds one reference to its page, each fragment
 * handed out one more, which the skb it goes into drops (or the caller,
 * with skb_free_frag()). A page whose count is back to one is ours alone.
 */
#ifndef _SROCE_FRAG_H
#define _SROCE_FRAG_H

void *sroce_frag_alloc(unsigned int len);
void sroce_frag_exit(void);

#endif /* _SROCE_FRAG_H */
