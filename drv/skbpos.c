// SPDX-License-Identifier: GPL-2.0
/*
 * sroce: reading a received skb by offset, with a cursor (skbpos.h).
 */
#include <linux/highmem.h>

#include "compat.h"
#include "crc32.h"
#include "icrc.h"
#include "skbpos.h"

/**
 * sroce_skb_seek() - the fragment that holds byte @off of @skb
 * @skb: a non-linear skb without a fragment list.
 * @pos: the cursor; moved to that fragment.
 * @off: an offset at or past the head (skb_headlen()).
 *
 * Returns the fragment, or NULL when @off is past the last one.
 */
const skb_frag_t *sroce_skb_seek(const struct sk_buff *skb,
				 struct sroce_skb_pos *pos, unsigned int off)
{
	const struct skb_shared_info *sh = skb_shinfo(skb);
	unsigned int size;

	if (pos->headlen != skb_headlen(skb) ||
	    pos->nr_frags != sh->nr_frags || !pos->headlen ||
	    off < pos->start || pos->frag > sh->nr_frags) {
		pos->headlen = skb_headlen(skb);
		pos->nr_frags = sh->nr_frags;
		pos->frag = 0;
		pos->start = pos->headlen;
	}
	while (pos->frag < sh->nr_frags) {
		size = skb_frag_size(&sh->frags[pos->frag]);
		if (off < pos->start + size)
			return &sh->frags[pos->frag];
		pos->start += size;
		pos->frag++;
	}
	return NULL;
}

/*
 * Headers and an ICRC: a few loads and stores, where memcpy() would be a
 * call and a string instruction for a handful of bytes.
 */
static void sroce_copy_short(u8 *to, const u8 *from, unsigned int n)
{
	for (; n >= 8; n -= 8, to += 8, from += 8)
		put_unaligned(get_unaligned((const u64 *)from), (u64 *)to);
	if (n & 4) {
		put_unaligned(get_unaligned((const u32 *)from), (u32 *)to);
		to += 4;
		from += 4;
	}
	if (n & 2) {
		put_unaligned(get_unaligned((const u16 *)from), (u16 *)to);
		to += 2;
		from += 2;
	}
	if (n & 1)
		*to = *from;
}

/* @n bytes to @to, and into *@crc as they are copied when @crc is set */
static void sroce_skb_piece(void *to, const void *from, unsigned int n,
			    u32 *crc)
{
	if (crc)
		*crc = sroce_crc32_copy(*crc, to, from, n);
	else
		memcpy(to, from, n);
}

/**
 * sroce_skb_copy_crc() - skb_copy_bits() that walks on from a cursor
 * @skb: the skb.
 * @pos: the cursor (skbpos.h); NULL: plain skb_copy_bits().
 * @off: the first byte, from skb->data.
 * @to: where the bytes go.
 * @len: how many.
 * @crc: NULL, or a CRC the bytes are folded into, in the same pass as
 *	the copy (sroce_crc32_copy()): of the skb's bytes, as they were read.
 *
 * Returns 0, or -EFAULT when the skb holds fewer bytes (*@crc is then of
 * no use).
 */
int sroce_skb_copy_crc(const struct sk_buff *skb, struct sroce_skb_pos *pos,
		       unsigned int off, void *to, unsigned int len, u32 *crc)
{
	const struct skb_shared_info *sh = skb_shinfo(skb);
	unsigned int head = skb_headlen(skb), n, i, start;
	const skb_frag_t *frag;

	if (!pos || skb_has_frag_list(skb) || !head) {
		if (crc)
			*crc = sroce_icrc_skb(skb, NULL, off, len, *crc);
		return skb_copy_bits(skb, off, to, len);
	}
	if (off > skb->len || len > skb->len - off)
		return -EFAULT;
	if (off < head) {
		n = min(len, head - off);
		sroce_skb_piece(to, skb->data + off, n, crc);
		off += n;
		to += n;
		len -= n;
		if (!len)
			return 0;
	}
	frag = sroce_skb_seek(skb, pos, off);
	if (!frag)
		return -EFAULT;
	if (!crc && len <= SROCE_SKB_SHORT &&
	    off + len <= pos->start + skb_frag_size(frag) &&
	    !PageHighMem(skb_frag_page(frag))) {
		sroce_copy_short(to, skb_frag_address(frag) + off - pos->start,
				 len);
		return 0;
	}
	i = pos->frag;
	start = pos->start;
	while (len) {
		u32 p_off, p_len, copied;
		struct page *p;
		void *va;

		if (i >= sh->nr_frags)
			return -EFAULT;
		frag = &sh->frags[i];
		n = min(len, start + skb_frag_size(frag) - off);
		skb_frag_foreach_page(frag, skb_frag_off(frag) + off - start,
				      n, p, p_off, p_len, copied) {
			va = kmap_local_page(p);
			sroce_skb_piece(to + copied, va + p_off, p_len, crc);
			kunmap_local(va);
		}
		to += n;
		off += n;
		len -= n;
		start += skb_frag_size(frag);
		i++;
	}
	return 0;
}

/* sroce_skb_copy_crc() without a CRC */
int sroce_skb_copy(const struct sk_buff *skb, struct sroce_skb_pos *pos,
		   unsigned int off, void *to, unsigned int len)
{
	return sroce_skb_copy_crc(skb, pos, off, to, len, NULL);
}
