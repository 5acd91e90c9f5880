// SPDX-License-Identifier: GPL-2.0
/*
 * sroce: the RoCEv2 ICRC over the masked headers, and over the rest of a
 * received packet without linearizing it.
 */
#include <linux/crc32.h>
#include <linux/highmem.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <net/checksum.h>

#include "crc32.h"
#include "skbpos.h"
#include "icrc.h"
#include "wire.h"

/*
 * crc32_le(~0, eight bytes of 0xff): the masked LRH every ICRC starts with
 * (sroce_icrc_selftest() checks it).
 */
#define SROCE_ICRC_SEED		0xdebb20e3U

/* The UDP header and the BTH behind an IP header, as the ICRC sees them. */
struct sroce_icrc_l4 {
	struct udphdr uh;
	struct sroce_bth bth;
} __packed;

/*
 * Copies the UDP header and the BTH into @l4 and masks them; for unit
 * @k >= 0 of a GSO skb, its UDP length (@ulen payload bytes), which is
 * returned for the IP header.
 */
static __always_inline __be16 sroce_icrc_l4(struct sroce_icrc_l4 *l4,
					    const void *udp,
					    const void *transport, int k,
					    unsigned int ulen)
{
	memcpy(&l4->uh, udp, sizeof(l4->uh));
	memcpy(&l4->bth, transport, sizeof(l4->bth));
	if (k >= 0)
		l4->uh.len = htons(sizeof(l4->uh) + ulen);
	l4->uh.check = CSUM_MANGLED_0;
	l4->bth.qpn |= cpu_to_be32(SROCE_BTH_RESV8A_MASK);
	return l4->uh.len;
}

/*
 * The CRC over the masked IP, UDP and BTH headers and the unmasked rest of
 * the transport headers (@tlen bytes from the BTH on). For unit @k >= 0 of
 * a UDP GSO skb whose first datagram's headers @l3 and @udp are, the IP
 * and UDP headers are those segmentation gives it: a UDP payload of @ulen
 * bytes and, on IPv4, the ID @k past the first one's (inet_gso_segment()
 * counts them up). Each copy is a whole struct, written over in full:
 * a kernel that zeroes stack variables (INIT_STACK_ALL_ZERO) need not.
 */
static u32 sroce_icrc_hdrs(const void *l3, bool ipv6, const void *udp,
			   int k, unsigned int ulen, const void *transport,
			   unsigned int tlen)
{
	__be16 len;
	u32 crc;

	if (ipv6) {
		struct { struct ipv6hdr ip; struct sroce_icrc_l4 l4; } __packed h;

		memcpy(&h.ip, l3, sizeof(h.ip));
		len = sroce_icrc_l4(&h.l4, udp, transport, k, ulen);
		if (k >= 0)
			h.ip.payload_len = len;
		/* traffic class and flow label: the low nibble of byte 0 on */
		h.ip.priority = 0xf;
		memset(h.ip.flow_lbl, 0xff, sizeof(h.ip.flow_lbl));
		h.ip.hop_limit = 0xff;
		crc = crc32_le(SROCE_ICRC_SEED, (const u8 *)&h, sizeof(h));
	} else {
		struct { struct iphdr ip; struct sroce_icrc_l4 l4; } __packed h;

		memcpy(&h.ip, l3, sizeof(h.ip));
		len = sroce_icrc_l4(&h.l4, udp, transport, k, ulen);
		if (k >= 0) {
			h.ip.tot_len = htons(sizeof(h.ip) + ntohs(len));
			h.ip.id = htons(ntohs(h.ip.id) + k);
		}
		h.ip.tos = 0xff;
		h.ip.ttl = 0xff;
		h.ip.check = CSUM_MANGLED_0;
		crc = crc32_le(SROCE_ICRC_SEED, (const u8 *)&h, sizeof(h));
	}
	if (tlen > sizeof(struct sroce_bth))
		crc = crc32_le(crc, transport + sizeof(struct sroce_bth),
			       tlen - sizeof(struct sroce_bth));
	return crc;
}

/* The seed above, against crc32_le(). */
int __init sroce_icrc_selftest(void)
{
	static const u8 lrh[8] __initconst = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	};

	if (crc32_le(~0U, lrh, sizeof(lrh)) == SROCE_ICRC_SEED)
		return 0;
	pr_err("sroce: ICRC seed self-test failed\n");
	return -EINVAL;
}

/* The CRC over the headers of one datagram, as they are. */
u32 sroce_icrc_headers(const void *l3, bool ipv6, const void *udp,
		       const void *transport, unsigned int tlen)
{
	return sroce_icrc_hdrs(l3, ipv6, udp, -1, 0, transport, tlen);
}

/*
 * The CRC over the headers of unit @k (of @ulen UDP payload bytes) of a UDP
 * GSO skb whose first unit's IP and UDP headers are @l3 and @udp.
 */
u32 sroce_icrc_unit_headers(const void *l3, bool ipv6, const void *udp,
			    unsigned int k, unsigned int ulen,
			    const void *transport, unsigned int tlen)
{
	return sroce_icrc_hdrs(l3, ipv6, udp, k, ulen, transport, tlen);
}

static __wsum sroce_icrc_update(const void *buf, int len, __wsum crc)
{
	return (__force __wsum)sroce_crc32((__force u32)crc, buf, len);
}

static __wsum sroce_icrc_combine(__wsum crc1, __wsum crc2, int offset,
				 int len2)
{
	return (__force __wsum)crc32_le_combine((__force u32)crc1,
						(__force u32)crc2, len2);
}

static const struct skb_checksum_ops sroce_icrc_ops = {
	.update = sroce_icrc_update,
	.combine = sroce_icrc_combine,
};

/*
 * Folds @len bytes of @skb from @offset into @crc, linear or not. A CRC
 * runs on from where it stopped, so the linear part and the page fragments
 * are chained in order; only an skb with a fragment list goes through
 * __skb_checksum(), which checksums each piece from zero and combines.
 * @cur: a cursor (skbpos.h) to find the first fragment from, or NULL.
 */
u32 sroce_icrc_skb(const struct sk_buff *skb, struct sroce_skb_pos *cur,
		   int offset, int len, u32 crc)
{
	const struct skb_shared_info *sh = skb_shinfo(skb);
	int head = skb_headlen(skb);
	int i, n, pos;

	if (unlikely(skb_has_frag_list(skb)))
		return (__force u32)__skb_checksum(skb, offset, len,
						   (__force __wsum)crc,
						   &sroce_icrc_ops);
	if (offset < head) {
		n = min(len, head - offset);
		crc = sroce_crc32(crc, skb->data + offset, n);
		offset += n;
		len -= n;
	}
	pos = head;
	i = 0;
	if (cur && head && len > 0 && sroce_skb_seek(skb, cur, offset)) {
		i = cur->frag;
		pos = cur->start;
	}
	for (; len > 0 && i < sh->nr_frags; i++) {
		const skb_frag_t *frag = &sh->frags[i];
		int size = skb_frag_size(frag);
		u32 p_off, p_len, copied;
		struct page *p;
		u8 *va;

		if (offset >= pos + size) {
			pos += size;
			continue;
		}
		n = min(len, pos + size - offset);
		skb_frag_foreach_page(frag, skb_frag_off(frag) + offset - pos,
				      n, p, p_off, p_len, copied) {
			va = kmap_local_page(p);
			crc = sroce_crc32(crc, va + p_off, p_len);
			kunmap_local(va);
		}
		offset += n;
		len -= n;
		pos += size;
	}
	return crc;
}
