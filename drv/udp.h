/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sroce: the UDP sockets that carry RoCEv2.
 *
 * sroce_udp_init() and sroce_udp_exit() run at module load and unload. The
 * encap receive hook they install runs in softirq context, under RCU.
 */
#ifndef _SROCE_UDP_H
#define _SROCE_UDP_H

#define SROCE_UDP_PORT	4791	/* IANA: RoCEv2 */

int sroce_udp_init(void);
void sroce_udp_exit(void);

#endif /* _SROCE_UDP_H */
