// SPDX-License-Identifier: GPL-2.0
/*
 * selftests/forge: RoCEv2 frames built by hand, their ICRC, and the peer's
 * AF_PACKET socket on veth1 inside the "fpeer" netns.
 *
 * The ICRC (IBTA annex A17.3.3) is the CRC-32 of: eight bytes of ones (the
 * LRH of IB, masked), the IPv4 header with TOS, TTL and checksum set to
 * ones, the UDP header with its checksum set to ones, the BTH with its
 * FECN/BECN/resv6 byte set to ones, then everything after the BTH up to
 * the ICRC (extension headers, payload, pad). It is sent least significant
 * byte first, which is zlib's crc32() stored little-endian.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <linux/udp.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include "forge.h"

#define ETH_LEN		14
#define IP_LEN		20
#define UDP_LEN		8
#define BTH_LEN		12
#define ICRC_LEN	4
#define L2L4		(ETH_LEN + IP_LEN + UDP_LEN)

static int peer_fd = -1;
static int peer_udp_fd = -1;	/* UDP in the peer's namespace: GSO sends */
static int peer_ifindex;
static uint8_t mac_a[6], mac_b[6];
static uint32_t ip_a, ip_b;	/* network order */
static uint16_t ip_id;
unsigned long peer_icrc_bad;

/* --- opcodes ----------------------------------------------------------- */

/*
 * IBTA vol. 1 table 38: which headers follow the BTH, in the order RETH,
 * DETH, AETH or AtomicETH, AtomicAckETH, ImmDt, IETH.
 */
bool op_layout(uint8_t op, struct opl *l)
{
	uint8_t t = op & 0xe0, c = op & 0x1f, off = BTH_LEN;
	bool feth = false, reth = false, aeth = false, atm = false;
	bool atmack = false;
	bool imm = false, ieth = false, deth = false, pay = false;

	memset(l, 0, sizeof(*l));
	if (t == 0x60) {		/* UD: SEND ONLY (with immediate) */
		if (c != 0x04 && c != 0x05)
			return false;
		deth = true;
		pay = true;
		imm = c == 0x05;
	} else if (t == 0x00 || t == 0x20) {
		if (t == 0x20 && c > 0x0b)
			return false;	/* UC: SENDs and WRITEs only */
		switch (c) {
		case 0x00: case 0x01: case 0x02: case 0x04:
		case 0x07: case 0x08:
			pay = true;
			break;
		case 0x03: case 0x05: case 0x09:
			pay = imm = true;
			break;
		case 0x06: case 0x0a: case 0x1d:	/* 0x1d: ATOMIC WRITE */
			pay = reth = true;
			break;
		case 0x0b:
			pay = reth = imm = true;
			break;
		case 0x0c:
			reth = true;
			break;
		case 0x1c:		/* FLUSH: FETH, then RETH */
			feth = reth = true;
			break;
		case 0x0d: case 0x0f: case 0x10:
			pay = aeth = true;
			break;
		case 0x0e:
			pay = true;
			break;
		case 0x11:
			aeth = true;
			break;
		case 0x12:
			aeth = atmack = true;
			break;
		case 0x13: case 0x14:
			atm = true;
			break;
		case 0x16: case 0x17:
			pay = ieth = true;
			break;
		default:
			return false;
		}
	} else {
		return false;
	}
	if (feth) {
		l->feth = off;
		off += 4;
	}
	if (reth) {
		l->reth = off;
		off += 16;
	}
	if (deth) {
		l->deth = off;
		off += 8;
	}
	if (aeth) {
		l->aeth = off;
		off += 4;
	}
	if (atm) {
		l->atmeth = off;
		off += 28;
	}
	if (atmack) {
		l->atmack = off;
		off += 8;
	}
	if (imm) {
		l->imm = off;
		off += 4;
	}
	if (ieth) {
		l->ieth = off;
		off += 4;
	}
	l->hdr = off;
	l->payload = pay;
	l->valid = true;
	return true;
}

/* --- building ---------------------------------------------------------- */

static void put16(uint8_t *b, uint16_t v)
{
	v = htons(v);
	memcpy(b, &v, 2);
}

static void put32(uint8_t *b, uint32_t v)
{
	v = htonl(v);
	memcpy(b, &v, 4);
}

static void put64(uint8_t *b, uint64_t v)
{
	v = htobe64(v);
	memcpy(b, &v, 8);
}

static uint32_t get32(const uint8_t *b)
{
	uint32_t v;

	memcpy(&v, b, 4);
	return ntohl(v);
}

static uint64_t get64(const uint8_t *b)
{
	uint64_t v;

	memcpy(&v, b, 8);
	return be64toh(v);
}

/*
 * The transport part of @p (BTH to pad, no ICRC) into @tp; its length.
 * An opcode without a known layout gets a bare BTH and the payload.
 */
size_t tp_build(uint8_t *tp, const struct fpkt *p)
{
	struct opl l;
	uint32_t pad;
	size_t n;

	if (!op_layout(p->op, &l))
		l.hdr = BTH_LEN;
	pad = p->pad >= 0 ? (uint32_t)p->pad : (4 - (p->paylen & 3)) & 3;
	memset(tp, 0, l.hdr);
	tp[0] = p->op;
	tp[1] = (p->se ? 0x80 : 0) | ((pad & 3) << 4);
	put16(tp + 2, p->pkey ? p->pkey : 0xffff);
	put32(tp + 4, p->qpn & 0xffffff);
	put32(tp + 8, (p->ackreq ? 0x80000000u : 0) | PSN(p->psn));
	if (l.feth)
		put32(tp + l.feth, p->feth);
	if (l.reth) {
		put64(tp + l.reth, p->va);
		put32(tp + l.reth + 8, p->rkey);
		put32(tp + l.reth + 12, p->dlen);
	}
	if (l.deth) {
		put32(tp + l.deth, p->qkey);
		put32(tp + l.deth + 4, p->sqpn & 0xffffff);
	}
	if (l.aeth)
		put32(tp + l.aeth, (uint32_t)p->syn << 24 | (p->msn & 0xffffff));
	if (l.atmeth) {
		put64(tp + l.atmeth, p->va);
		put32(tp + l.atmeth + 8, p->rkey);
		put64(tp + l.atmeth + 12, p->swap_add);
		put64(tp + l.atmeth + 20, p->compare);
	}
	if (l.atmack)
		put64(tp + l.atmack, p->orig);
	if (l.imm)
		put32(tp + l.imm, p->imm);
	if (l.ieth)
		put32(tp + l.ieth, p->rkey);
	n = l.hdr;
	if (p->paylen)
		memcpy(tp + n, p->pay, p->paylen);
	n += p->paylen;
	memset(tp + n, 0, pad);
	return n + pad;
}

static uint16_t ip_csum(const uint8_t *h)
{
	uint32_t s = 0;
	int i;

	for (i = 0; i < IP_LEN; i += 2)
		s += (uint32_t)h[i] << 8 | h[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* The ICRC of a frame whose IP header starts at @ip, @tlen transport bytes. */
static uint32_t icrc(const uint8_t *ip, size_t tlen)
{
	static const uint8_t ones[8] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint8_t m[IP_LEN + UDP_LEN + BTH_LEN];
	uLong crc;

	memcpy(m, ip, sizeof(m));
	m[1] = 0xff;			/* TOS */
	m[8] = 0xff;			/* TTL */
	m[10] = m[11] = 0xff;		/* header checksum */
	m[IP_LEN + 6] = m[IP_LEN + 7] = 0xff;	/* UDP checksum */
	m[IP_LEN + UDP_LEN + 4] = 0xff;	/* FECN, BECN, resv6 */
	crc = crc32(0L, ones, sizeof(ones));
	crc = crc32(crc, m, sizeof(m));
	crc = crc32(crc, ip + sizeof(m), tlen - BTH_LEN);
	return (uint32_t)crc;
}

/*
 * Sends a frame with @tlen transport bytes @tp: with its ICRC (xored with
 * @icrc_xor) when @with_icrc, else cut off right there (a truncated frame).
 */
int peer_send_tp(const uint8_t *tp, size_t tlen, bool with_icrc,
		 uint32_t icrc_xor)
{
	uint8_t f[MAX_FRAME + 64];
	uint8_t *ip = f + ETH_LEN, *udp = ip + IP_LEN;
	size_t l4 = UDP_LEN + tlen + (with_icrc ? ICRC_LEN : 0);
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_ifindex = peer_ifindex,
		.sll_halen = 6,
	};
	ssize_t n;

	if (tlen > MAX_FRAME - L2L4 - ICRC_LEN)
		return -1;
	memcpy(f, mac_a, 6);
	memcpy(f + 6, mac_b, 6);
	f[12] = 0x08;
	f[13] = 0x00;
	memset(ip, 0, IP_LEN);
	ip[0] = 0x45;
	put16(ip + 2, IP_LEN + l4);
	put16(ip + 4, ip_id++);
	put16(ip + 6, 0x4000);		/* DF */
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, &ip_b, 4);
	memcpy(ip + 16, &ip_a, 4);
	put16(ip + 10, ip_csum(ip));
	put16(udp, 0xc000 | (ip_id & 0x3fff));
	put16(udp + 2, ROCE_PORT);
	put16(udp + 4, l4);
	put16(udp + 6, 0);
	memcpy(udp + UDP_LEN, tp, tlen);
	if (with_icrc) {
		/* the BTH is in the masked part: a frame this short has none */
		uint32_t c = tlen >= BTH_LEN ? icrc(ip, tlen) : 0;

		c ^= icrc_xor;
		c = htole32(c);
		memcpy(udp + UDP_LEN + tlen, &c, 4);
	}
	memcpy(sll.sll_addr, mac_a, 6);
	n = sendto(peer_fd, f, ETH_LEN + IP_LEN + l4, 0,
		   (struct sockaddr *)&sll, sizeof(sll));
	if (n != (ssize_t)(ETH_LEN + IP_LEN + l4)) {
		note("peer: sendto: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int inject(const struct fpkt *p)
{
	uint8_t tp[MAX_FRAME];

	if (p->paylen > MAX_FRAME - 128)
		return -1;
	return peer_send_tp(tp, tp_build(tp, p), true, 0);
}

/*
 * Sends the @n transport units @tps (each @tlen bytes, ICRC added here) as
 * ONE UDP datagram with UDP_SEGMENT, one unit per segment: a GSO skb that
 * the veth hands to the victim whole, as a GRO super-frame would arrive.
 * Each ICRC covers the headers the unit has once the stack cut it: its own
 * lengths and IP ID k (an unconnected socket's DF datagram starts at 0).
 */
int peer_send_gso(const uint8_t *tps, size_t tlen, unsigned int n)
{
	static uint8_t d[16384];
	uint8_t f[IP_LEN + UDP_LEN + MAX_FRAME];
	uint8_t *ip = f, *udp = f + IP_LEN;
	size_t unit = tlen + ICRC_LEN;
	struct sockaddr_in to = {
		.sin_family = AF_INET,
		.sin_port = htons(ROCE_PORT),
		.sin_addr.s_addr = ip_a,
	};
	int seg = (int)unit;
	unsigned int k;
	uint32_t c;

	if (peer_udp_fd < 0 || !n || tlen < BTH_LEN ||
	    tlen > MAX_FRAME - ICRC_LEN || n * unit > sizeof(d))
		return -1;
	for (k = 0; k < n; k++) {
		memset(f, 0, IP_LEN + UDP_LEN);
		ip[0] = 0x45;
		put16(ip + 2, IP_LEN + UDP_LEN + unit);
		put16(ip + 4, k);
		put16(ip + 6, 0x4000);		/* DF */
		ip[9] = 17;
		memcpy(ip + 12, &ip_b, 4);
		memcpy(ip + 16, &ip_a, 4);
		put16(udp, PEER_GSO_PORT);
		put16(udp + 2, ROCE_PORT);
		put16(udp + 4, UDP_LEN + unit);
		memcpy(udp + UDP_LEN, tps + k * tlen, tlen);
		c = htole32(icrc(ip, tlen));
		memcpy(d + k * unit, tps + k * tlen, tlen);
		memcpy(d + k * unit + tlen, &c, ICRC_LEN);
	}
	if (setsockopt(peer_udp_fd, IPPROTO_UDP, UDP_SEGMENT, &seg, sizeof(seg)))
		return -1;
	return sendto(peer_udp_fd, d, n * unit, 0, (struct sockaddr *)&to,
		      sizeof(to)) == (ssize_t)(n * unit) ? 0 : -1;
}

/* --- capturing --------------------------------------------------------- */

/* Parses a RoCEv2 frame; false for anything else. */
static bool parse(struct rpkt *r)
{
	const uint8_t *ip = r->raw + ETH_LEN, *udp, *tp;
	size_t tot, tlen;
	struct opl l;
	uint32_t want, got;
	unsigned int pad;

	if (r->len < L2L4 + BTH_LEN + ICRC_LEN || r->raw[12] != 0x08 ||
	    r->raw[13] != 0x00 || ip[0] != 0x45 || ip[9] != 17)
		return false;
	tot = (size_t)ip[2] << 8 | ip[3];
	if (tot > r->len - ETH_LEN || tot < IP_LEN + UDP_LEN + BTH_LEN + 4)
		return false;
	udp = ip + IP_LEN;
	if (((unsigned int)udp[2] << 8 | udp[3]) != ROCE_PORT)
		return false;
	tp = udp + UDP_LEN;
	tlen = tot - IP_LEN - UDP_LEN - ICRC_LEN;
	r->opcode = tp[0];
	r->qpn = get32(tp + 4) & 0xffffff;
	r->psn = get32(tp + 8) & PSN_MASK;
	r->ackreq = tp[8] & 0x80;
	memcpy(&got, tp + tlen, 4);
	want = icrc(ip, tlen);
	r->icrc_ok = le32toh(got) == want;
	if (!r->icrc_ok)
		peer_icrc_bad++;
	r->has_aeth = r->has_reth = r->has_atmack = false;
	r->pay_off = 0;
	r->paylen = 0;
	if (!op_layout(r->opcode, &l) || l.hdr > tlen)
		return true;
	if (l.aeth) {
		r->has_aeth = true;
		r->syn = tp[l.aeth];
		r->msn = get32(tp + l.aeth) & 0xffffff;
	}
	if (l.reth) {
		r->has_reth = true;
		r->va = get64(tp + l.reth);
		r->rkey = get32(tp + l.reth + 8);
		r->dlen = get32(tp + l.reth + 12);
	}
	if (l.atmack) {
		r->has_atmack = true;
		r->orig = get64(tp + l.atmack);
	}
	pad = (tp[1] >> 4) & 3;
	if (tlen >= l.hdr + pad) {
		r->pay_off = (uint32_t)(tp - r->raw) + l.hdr;
		r->paylen = tlen - l.hdr - pad;
	}
	return true;
}

/*
 * The next RoCEv2 frame the device sends to @qpn (~0u: any QPN) within
 * @ms milliseconds: 1, or 0 when none came.
 */
int peer_recv(struct rpkt *r, uint32_t qpn, int ms)
{
	long end = now_ms() + ms;
	struct sockaddr_ll sll;
	socklen_t sl;
	ssize_t n;

	for (;;) {
		struct pollfd pfd = { .fd = peer_fd, .events = POLLIN };
		long left = end - now_ms();

		if (left < 0)
			left = 0;
		if (poll(&pfd, 1, (int)left) <= 0) {
			if (left == 0)
				return 0;
			continue;
		}
		sl = sizeof(sll);
		n = recvfrom(peer_fd, r->raw, sizeof(r->raw), MSG_DONTWAIT,
			     (struct sockaddr *)&sll, &sl);
		if (n <= 0)
			continue;
		if (sll.sll_pkttype == PACKET_OUTGOING)
			continue;
		r->len = (size_t)n;
		if (!parse(r))
			continue;
		if (qpn == ~0u || r->qpn == qpn)
			return 1;
	}
}

void peer_drain(void)
{
	uint8_t b[MAX_FRAME];

	while (recv(peer_fd, b, sizeof(b), MSG_DONTWAIT) > 0)
		;
}

static int parse_mac(const char *s, uint8_t *m)
{
	return sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &m[0], &m[1], &m[2],
		      &m[3], &m[4], &m[5]) == 6 ? 0 : -1;
}

/* Opens the socket on veth1 from inside the fpeer netns. */
/* The GSO sender, bound to the peer's address; in the peer's namespace. */
static void peer_udp_open(void)
{
	struct sockaddr_in me = {
		.sin_family = AF_INET,
		.sin_port = htons(PEER_GSO_PORT),
		.sin_addr.s_addr = ip_b,
	};
	int pmtu = IP_PMTUDISC_DO;

	peer_udp_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (peer_udp_fd < 0)
		return;
	if (bind(peer_udp_fd, (struct sockaddr *)&me, sizeof(me)) ||
	    setsockopt(peer_udp_fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu,
		       sizeof(pmtu))) {
		note("peer: GSO socket: %s", strerror(errno));
		close(peer_udp_fd);
		peer_udp_fd = -1;
	}
}

int peer_open(void)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ALL),
	};
	int self, ns, buf = 8 << 20, err = -1;

	if (parse_mac(MAC_A, mac_a) || parse_mac(MAC_B, mac_b) ||
	    inet_pton(AF_INET, IP_A, &ip_a) != 1 ||
	    inet_pton(AF_INET, IP_B, &ip_b) != 1)
		return -1;
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	ns = open("/run/netns/" NETNS, O_RDONLY | O_CLOEXEC);
	if (self < 0 || ns < 0) {
		note("peer: netns files: %s", strerror(errno));
		goto out;
	}
	if (setns(ns, CLONE_NEWNET)) {
		note("peer: setns fpeer: %s", strerror(errno));
		goto out;
	}
	peer_fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	peer_ifindex = (int)if_nametoindex(VETH_B);
	peer_udp_open();
	if (setns(self, CLONE_NEWNET)) {
		note("peer: setns back: %s", strerror(errno));
		goto out;
	}
	if (peer_fd < 0 || !peer_ifindex) {
		note("peer: socket or veth1 in fpeer: %s", strerror(errno));
		goto out;
	}
	sll.sll_ifindex = peer_ifindex;
	if (bind(peer_fd, (struct sockaddr *)&sll, sizeof(sll))) {
		note("peer: bind: %s", strerror(errno));
		goto out;
	}
	setsockopt(peer_fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf));
	setsockopt(peer_fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf));
	err = 0;
out:
	if (self >= 0)
		close(self);
	if (ns >= 0)
		close(ns);
	return err;
}

void peer_close(void)
{
	if (peer_fd >= 0)
		close(peer_fd);
	peer_fd = -1;
	if (peer_udp_fd >= 0)
		close(peer_udp_fd);
	peer_udp_fd = -1;
}
