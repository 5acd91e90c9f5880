#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Checks every RoCEv2 frame of a pcap (Ethernet, tcpdump -s 0) frame by
frame: IPv4 or IPv6, UDP to port 4791, lengths that agree, and the ICRC
(IBTA A17.3.3) computed here, independently of the kernel.

A frame longer than the MTU is a UDP GSO skb that a veth handed over whole:
it is cut into its datagrams as the kernel's segmentation does (each unit
of the GSO size but the last, IPv4 IDs counting up from the first one's,
the lengths per datagram) and every datagram is checked so. The GSO size
is the first unit's length, for a first unit that carries a full path MTU
of payload (--pmtu), which is what sroce's runs of SEND and WRITE packets
start with (and the responder's runs of READ responses); a super-frame
that no such size explains fails.

usage: icrc_check.py --mtu MTU --pmtu PMTU FILE.pcap
prints one summary line; exit 0 when every frame checked out.
"""
import argparse
import struct
import sys
import zlib

ROCE_PORT = 4791
# RC opcodes that may start a unit of a GSO skb: bytes of transport
# headers (BTH 12, RETH 16, ImmDt 4, IETH 4, AETH 4).
HDR_LEN = {0: 12, 1: 12, 2: 12, 3: 16, 4: 12, 5: 16, 6: 28, 7: 12, 8: 12,
           9: 16, 10: 28, 11: 32, 13: 16, 14: 12, 22: 16, 23: 16}
# READ response FIRST and MIDDLE: the responder's GSO skbs
READ_RESP = (13, 14)


def pcap_frames(path):
    with open(path, 'rb') as f:
        data = f.read()
    magic = struct.unpack('<I', data[:4])[0]
    if magic in (0xa1b2c3d4, 0xa1b23c4d):
        end = '<'
    elif magic in (0xd4c3b2a1, 0x4d3cb2a1):
        end = '>'
    else:
        raise ValueError('not a pcap file')
    linktype = struct.unpack(end + 'I', data[20:24])[0]
    if linktype != 1:
        raise ValueError('link type %d, not Ethernet' % linktype)
    off = 24
    while off + 16 <= len(data):
        incl, orig = struct.unpack(end + 'II', data[off + 8:off + 16])
        frame = data[off + 16:off + 16 + incl]
        off += 16 + incl
        yield frame, orig


def icrc(l3, ipv6, udp, transport):
    """The ICRC over the masked headers, as the wire carries it (LE)."""
    l3 = bytearray(l3)
    udp = bytearray(udp)
    bth = bytearray(transport[:12])
    if ipv6:
        l3[0] |= 0x0f
        l3[1:4] = b'\xff\xff\xff'
        l3[7] = 0xff
    else:
        l3[1] = 0xff
        l3[8] = 0xff
        l3[10:12] = b'\xff\xff'
    udp[6:8] = b'\xff\xff'
    bth[4] = 0xff
    crc = zlib.crc32(b'\xff' * 8 + bytes(l3) + bytes(udp) + bytes(bth) +
                     transport[12:-4])
    return crc == struct.unpack('<I', transport[-4:])[0]


def datagram_ok(l3, ipv6, udp, transport):
    """One RoCEv2 datagram: its headers already say these lengths."""
    if len(transport) < 16:
        return False
    return icrc(l3, ipv6, udp, transport)


def split(l3, ipv6, udp, payload, gso):
    """The datagrams segmentation makes of a GSO skb of GSO size @gso."""
    k = 0
    base_id = struct.unpack('>H', l3[4:6])[0]
    while payload:
        unit, payload = payload[:gso], payload[gso:]
        ulen = 8 + len(unit)
        h3 = bytearray(l3)
        if ipv6:
            h3[4:6] = struct.pack('>H', ulen)
        else:
            h3[2:4] = struct.pack('>H', 20 + ulen)
            h3[4:6] = struct.pack('>H', (base_id + k) & 0xffff)
        uh = bytearray(udp)
        uh[4:6] = struct.pack('>H', ulen)
        yield bytes(h3), bytes(uh), unit
        k += 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--mtu', type=int, required=True)
    ap.add_argument('--pmtu', type=int, required=True)
    ap.add_argument('pcap')
    a = ap.parse_args()

    frames = roce = gso_skbs = read_skbs = units = bad = 0
    first_bad = ''
    for frame, orig in pcap_frames(a.pcap):
        frames += 1
        if len(frame) != orig or len(frame) < 14:
            bad += 1
            first_bad = first_bad or 'frame %d truncated' % frames
            continue
        etype = struct.unpack('>H', frame[12:14])[0]
        if etype == 0x0800:
            ipv6 = False
            ihl = (frame[14] & 0xf) * 4
            l3 = frame[14:14 + ihl]
            ip_len = struct.unpack('>H', l3[2:4])[0]
            proto = l3[9]
        elif etype == 0x86dd:
            ipv6 = True
            l3 = frame[14:54]
            ip_len = 40 + struct.unpack('>H', l3[4:6])[0]
            proto = l3[6]
        else:
            continue
        if proto != 17:
            continue
        udp = frame[14 + len(l3):14 + len(l3) + 8]
        if struct.unpack('>H', udp[2:4])[0] != ROCE_PORT:
            continue
        roce += 1
        transport = frame[14 + len(l3) + 8:14 + ip_len]
        ulen = struct.unpack('>H', udp[4:6])[0]
        why = ''
        if ip_len > len(frame) - 14 or ulen != 8 + len(transport):
            why = 'lengths disagree'
        elif ip_len <= a.mtu:
            if not datagram_ok(l3, ipv6, udp, transport):
                why = 'bad ICRC'
        else:
            op = transport[0] & 0x1f
            gso = HDR_LEN.get(op, 0) + a.pmtu + 4
            if transport[0] >> 5 != 0 or op not in HDR_LEN or \
                    8 + gso + len(l3) > a.mtu:
                why = 'super-frame of opcode 0x%02x' % transport[0]
            else:
                gso_skbs += 1
                read_skbs += op in READ_RESP
                for k, (h3, uh, unit) in enumerate(split(l3, ipv6, udp,
                                                         transport, gso)):
                    units += 1
                    if not datagram_ok(h3, ipv6, uh, unit):
                        why = 'bad ICRC in unit %d' % k
                        break
        if why:
            bad += 1
            first_bad = first_bad or 'frame %d: %s' % (frames, why)
    print('%d frames, %d RoCEv2: %d GSO skbs of %d datagrams '
          '(%d of READ responses), %d bad%s' %
          (frames, roce, gso_skbs, units, read_skbs, bad,
           ' (first: %s)' % first_bad if first_bad else ''))
    return 0 if roce and not bad else 1


if __name__ == '__main__':
    sys.exit(main())
