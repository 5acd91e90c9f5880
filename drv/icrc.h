/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sroce: the RoCEv2 invariant CRC (IBTA annex A17.3.3).
 *
 * CRC-32 (the Ethernet polynomial, reflected, seeded with ones) over: eight
 * bytes of ones standing for the masked LRH; the IP header with TOS/traffic
 * class, TTL/hop limit, the IPv4 checksum and the IPv6 flow label masked to
 * ones; the UDP header with its checksum masked to ones; the BTH with its
 * FECN/BECN/resv6 byte masked to ones; the other transport headers, the
 * payload and the pad. The ICRC is the complement of that, sent least
 * significant byte first.
 *
 * Pure functions, any context; sroce_icrc_selftest() at module load.
 */
#ifndef _SROCE_ICRC_H
#define _SROCE_ICRC_H

#include <linux/init.h>
#include <linux/skbuff.h>
#include <linux/types.h>

struct sroce_skb_pos;

u32 sroce_icrc_headers(const void *l3, bool ipv6, const void *udp,
		       const void *transport, unsigned int tlen);
u32 sroce_icrc_unit_headers(const void *l3, bool ipv6, const void *udp,
			    unsigned int k, unsigned int ulen,
			    const void *transport, unsigned int tlen);
u32 sroce_icrc_skb(const struct sk_buff *skb, struct sroce_skb_pos *pos,
		   int offset, int len, u32 crc);
int __init sroce_icrc_selftest(void);

#endif /* _SROCE_ICRC_H */
