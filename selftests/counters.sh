#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The counters tools read (Documentation/counters.rst), on two RoCE
# devices on the two ends of a veth (roce_net.sh), which loses nothing:
# - ports/1/counters/: the PMA PortCounters/PortCountersExtended set, the
#   64-bit one (ClassPortInfo's extended-width capability);
# - a loopback rping on one device: that device's PortXmitData equals its
#   PortRcvData and PortXmitPkts its PortRcvPkts; the other device's do not
#   move;
# - an rping between the devices: each one's transmitted data and packets
#   equal the other one's received, all unicast, no receive error;
#   `rdma statistic show` (per port) moved by as many packets;
# - `rdma statistic qp set link X auto type on`: two RC QPs of each device
#   (counters_qp, held open) share one bound counter, which shows exactly
#   the payload bytes they wrote and as many packets as the PMA counted on
#   the port; the port totals (`rdma statistic show`, hw_counters: ib_core
#   adds the counters to the driver's count) move by as many, not twice;
#   after the QPs are gone no counter is left and the totals still hold;
# - manual mode (`rdma statistic qp bind ... lqpn N`): each QP its own
#   counter, each counting only its own QP's bytes; clean afterwards;
# - no error counted in all that; then a raw frame with a bad ICRC is one
#   port_rcv_error and one received packet (of 12 words).
# SROCE_TEST_DRIVER=rxe runs the same against stock rdma_rxe.
dir=$(dirname "$0")
. "$dir/lib.sh"
. "$dir/roce_net.sh"

COUNT=${SROCE_TEST_RPING_COUNT:-20}
SIZE=4096
QP_ITERS=20
QP_SIZE=3000
RUN_TIMEOUT=90
PORT=7270
LOG=/tmp/counters
HOLD=/tmp/counters.hold
PMA_EXT="port_xmit_data port_rcv_data port_xmit_packets port_rcv_packets
unicast_xmit_packets unicast_rcv_packets multicast_xmit_packets
multicast_rcv_packets"
PMA_ERR="symbol_error port_rcv_errors port_xmit_discards link_downed"
QP_CNTS="sent_pkts rcvd_pkts sent_bytes rcvd_bytes"

NCASES=10
ktap_plan $((NCASES + 1))

no_devices() {
	local i
	for ((i = 0; i < NCASES; i++)); do
		ktap_not_ok "counters case $i" "no devices"
	done
}
roce_suite_devs_up no_devices

# pma DEV NAME: a PMA counter of DEV's port 1 (empty if there is none).
pma() {
	cat "/sys/class/infiniband/$1/ports/1/counters/$2" 2>/dev/null
}

# pma_snap DEV...: "DEV NAME VALUE" for the PMA counters listed above.
pma_snap() {
	local d n
	for d in "$@"; do
		for n in $PMA_EXT $PMA_ERR; do
			echo "$d $n $(pma "$d" "$n")"
		done
	done
}

# delta OLD NEW DEV NAME: NEW - OLD of one counter of two pma_snap outputs
# ("x" when either is unreadable).
delta() {
	local a b
	a=$(awk -v k="$3 $4" '$1 " " $2 == k { print $3 }' <<<"$1")
	b=$(awk -v k="$3 $4" '$1 " " $2 == k { print $3 }' <<<"$2")
	if [[ $a =~ ^[0-9]+$ && $b =~ ^[0-9]+$ ]]; then
		echo $((b - a))
	else
		echo x
	fi
}

# nl_stat DEV NAME: the port counter NAME as `rdma statistic show` gives it.
nl_stat() {
	rdma statistic show link "$1/1" 2>/dev/null |
		tr ' ' '\n' | awk -v k="$2" 'p { print; exit } $0 == k { p = 1 }'
}

# hw_stat DEV NAME: the driver's own port counter (sysfs hw_counters).
hw_stat() {
	cat "/sys/class/infiniband/$1/ports/1/hw_counters/$2" 2>/dev/null
}

# qp_counters DEV: one line per bound counter of DEV's port 1:
# "CNTN SENT_PKTS RCVD_PKTS SENT_BYTES RCVD_BYTES QPN,QPN..."
qp_counters() {
	rdma -j statistic qp show link "$1/1" 2>/dev/null | python3 -c '
import json, sys
text = sys.stdin.read().strip()
data = json.loads(text) if text else []
def walk(o):
    if isinstance(o, dict):
        if "cntn" in o:
            yield o
        else:
            for v in o.values():
                yield from walk(v)
    elif isinstance(o, list):
        for v in o:
            yield from walk(v)
def qpns(o):
    if isinstance(o, int):
        return [o]
    if isinstance(o, dict):
        return [q for v in o.values() for q in qpns(v)]
    if isinstance(o, list):
        return [q for v in o for q in qpns(v)]
    return []
for c in walk(data):
    q = sorted(qpns(c.get("lqpn", [])))
    print(c["cntn"], *(c.get(k, "x") for k in
          ("sent_pkts", "rcvd_pkts", "sent_bytes", "rcvd_bytes")),
          ",".join(map(str, q)) or "-")
'
}

# --- 1. the attributes ------------------------------------------------------
missing=
for d in "$ROCE_DEV_A" "$ROCE_DEV_B"; do
	for n in $PMA_EXT $PMA_ERR port_xmit_wait; do
		[[ $(pma "$d" "$n") =~ ^[0-9]+$ ]] || missing="$missing $d/$n"
	done
done
if [ -z "$missing" ]; then
	ktap_ok "ports/1/counters/: the extended (64-bit) PMA set, readable"
else
	ls "/sys/class/infiniband/$ROCE_DEV_A/ports/1/" | sed 's/^/# ports\/1: /'
	ktap_not_ok "ports/1/counters/: the extended (64-bit) PMA set, readable" \
		"missing or unreadable:$missing"
fi

listening() {
	rdma res show cm_id 2>/dev/null | grep -Eq "state LISTEN.*[:.]$PORT( |$)"
}

# rping_pair SRV_ADDR CLI_ADDR: COUNT pings of SIZE with validation; 0 if
# both ends succeeded.
rping_pair() {
	local spid rc_c rc_s pings

	PORT=$((PORT + 1))
	roce_kill_traffic
	timeout "$RUN_TIMEOUT" rping -s -a "$1" -p "$PORT" -C "$COUNT" -S "$SIZE" \
		-V >"$LOG.srv" 2>&1 &
	spid=$!
	if ! wait_for 20 listening; then
		roce_wait_exit "$spid" 1
		sed 's/^/# server: /' "$LOG.srv"
		return 1
	fi
	timeout "$RUN_TIMEOUT" rping -c -a "$1" -I "$2" -p "$PORT" -C "$COUNT" \
		-S "$SIZE" -V -v >"$LOG.cli" 2>&1
	rc_c=$?
	roce_wait_exit "$spid" 30
	rc_s=$?
	pings=$(grep -c '^ping data: rdma-ping-' "$LOG.cli")
	ktap_info "rping $2 -> $1: client exit $rc_c ($pings pings), server exit $rc_s"
	if [ "$rc_c" -ne 0 ] || [ "$rc_s" -ne 0 ] || [ "$pings" -ne "$COUNT" ]; then
		grep -v '^ping data: ' "$LOG.cli" | head -n 10 | sed 's/^/# client: /'
		head -n 10 "$LOG.srv" | sed 's/^/# server: /'
		return 1
	fi
	return 0
}

# --- 2. loopback on one device ----------------------------------------------
s0=$(pma_snap "$ROCE_DEV_A" "$ROCE_DEV_B")
rping_pair "$IP_A" "$IP_A"
rc=$?
s1=$(pma_snap "$ROCE_DEV_A" "$ROCE_DEV_B")
xd=$(delta "$s0" "$s1" "$ROCE_DEV_A" port_xmit_data)
rd=$(delta "$s0" "$s1" "$ROCE_DEV_A" port_rcv_data)
xp=$(delta "$s0" "$s1" "$ROCE_DEV_A" port_xmit_packets)
rp=$(delta "$s0" "$s1" "$ROCE_DEV_A" port_rcv_packets)
bx=$(delta "$s0" "$s1" "$ROCE_DEV_B" port_xmit_packets)
br=$(delta "$s0" "$s1" "$ROCE_DEV_B" port_rcv_packets)
ktap_info "loopback on $ROCE_DEV_A: xmit_data +$xd rcv_data +$rd (4-byte words)," \
	"xmit_packets +$xp rcv_packets +$rp; $ROCE_DEV_B: xmit +$bx rcv +$br"
# COUNT pings each carry SIZE bytes at least twice (RDMA READ, RDMA WRITE)
if [ "$rc" -eq 0 ] && [ "$xd" != x ] && [ "$xd" = "$rd" ] &&
   [ "$xp" = "$rp" ] && [ "$xd" -ge $((COUNT * SIZE * 2 / 4)) ] &&
   [ "$bx" = 0 ] && [ "$br" = 0 ]; then
	ktap_ok "loopback rping on one device: xmit data/packets == rcv data/packets"
else
	ktap_not_ok "loopback rping on one device: xmit data/packets == rcv data/packets" \
		"rping rc $rc"
fi

# --- 3. between the devices -------------------------------------------------
nl0_a=$(nl_stat "$ROCE_DEV_A" sent_pkts)
nl0_b=$(nl_stat "$ROCE_DEV_B" rcvd_pkts)
tx0=$(cat "/sys/class/net/$VETH_A/statistics/tx_bytes")
s0=$(pma_snap "$ROCE_DEV_A" "$ROCE_DEV_B")
rping_pair "$IP_B" "$IP_A"
rc=$?
s1=$(pma_snap "$ROCE_DEV_A" "$ROCE_DEV_B")
tx1=$(cat "/sys/class/net/$VETH_A/statistics/tx_bytes")
nl1_a=$(nl_stat "$ROCE_DEV_A" sent_pkts)
nl1_b=$(nl_stat "$ROCE_DEV_B" rcvd_pkts)
ok=1
for pair in "$ROCE_DEV_A $ROCE_DEV_B" "$ROCE_DEV_B $ROCE_DEV_A"; do
	read -r from to <<<"$pair"
	xd=$(delta "$s0" "$s1" "$from" port_xmit_data)
	rd=$(delta "$s0" "$s1" "$to" port_rcv_data)
	xp=$(delta "$s0" "$s1" "$from" port_xmit_packets)
	rp=$(delta "$s0" "$s1" "$to" port_rcv_packets)
	ux=$(delta "$s0" "$s1" "$from" unicast_xmit_packets)
	ur=$(delta "$s0" "$s1" "$to" unicast_rcv_packets)
	mx=$(delta "$s0" "$s1" "$from" multicast_xmit_packets)
	er=$(delta "$s0" "$s1" "$to" port_rcv_errors)
	ktap_info "$from -> $to: xmit_data +$xd rcv_data +$rd, xmit_packets +$xp" \
		"rcv_packets +$rp, unicast +$ux/+$ur, multicast_xmit +$mx, rcv_errors +$er"
	if [ "$xd" = x ] || [ "$xd" != "$rd" ] || [ "$xp" != "$rp" ] ||
	   [ "$xd" -lt $((COUNT * SIZE / 4)) ] || [ "$ux" != "$xp" ] ||
	   [ "$ur" != "$rp" ] || [ "$mx" != 0 ] || [ "$er" != 0 ]; then
		ok=0
	fi
done
xa=$(delta "$s0" "$s1" "$ROCE_DEV_A" port_xmit_data)
xpa=$(delta "$s0" "$s1" "$ROCE_DEV_A" port_xmit_packets)
[ "$xa" != x ] && ktap_info "$VETH_A tx_bytes +$((tx1 - tx0)) (every frame);" \
	"$ROCE_DEV_A PortXmitData x 4 + 14 x PortXmitPkts = $((xa * 4 + 14 * xpa))"
if [ "$rc" -eq 0 ] && [ "$ok" = 1 ]; then
	ktap_ok "rping between two devices: each one's xmit data/packets == the other's rcv, unicast, no error"
else
	ktap_not_ok "rping between two devices: each one's xmit data/packets == the other's rcv, unicast, no error" \
		"rping rc $rc"
fi

xp=$(delta "$s0" "$s1" "$ROCE_DEV_A" port_xmit_packets)
rp=$(delta "$s0" "$s1" "$ROCE_DEV_B" port_rcv_packets)
ktap_info "rdma statistic: $ROCE_DEV_A sent_pkts $nl0_a -> $nl1_a, $ROCE_DEV_B rcvd_pkts $nl0_b -> $nl1_b"
if [[ $nl0_a =~ ^[0-9]+$ && $nl1_a =~ ^[0-9]+$ && $nl0_b =~ ^[0-9]+$ &&
      $nl1_b =~ ^[0-9]+$ ]] && [ $((nl1_a - nl0_a)) = "$xp" ] &&
   [ $((nl1_b - nl0_b)) = "$rp" ]; then
	ktap_ok "rdma statistic show (per port): sent_pkts/rcvd_pkts moved as the PMA counted"
else
	ktap_not_ok "rdma statistic show (per port): sent_pkts/rcvd_pkts moved as the PMA counted"
fi

# --- 4. per-QP counters -----------------------------------------------------
# qp_run: counters_qp with 2 QPs a side in the background; QPNS_A/QPNS_B
# once its QPs are up. qp_go / qp_end: let it send / finish.
qp_run() {
	rm -rf "$HOLD"
	mkdir -p "$HOLD"
	"$dir/counters_qp" "$ROCE_DEV_A" "$ROCE_DEV_B" 2 "$QP_ITERS" "$QP_SIZE" \
		"$HOLD" >"$LOG.qp" 2>&1 &
	qp_pid=$!
	wait_for 30 test -s "$HOLD/qpns" || return 1
	read -r a0 a1 b0 b1 <"$HOLD/qpns"
	QPNS_A="$a0,$a1" QPNS_B="$b0,$b1"
	# the counter lists its QPs in order
	[ "$a0" -lt "$a1" ] || QPNS_A="$a1,$a0"
	[ "$b0" -lt "$b1" ] || QPNS_B="$b1,$b0"
	ktap_info "counters_qp: $ROCE_DEV_A QPs $QPNS_A, $ROCE_DEV_B QPs $QPNS_B"
}

qp_go() {
	touch "$HOLD/go"
	wait_for 60 test -e "$HOLD/done"
}

qp_end() {
	local rc

	touch "$HOLD/end"
	roce_wait_exit "$qp_pid" 30
	rc=$?
	sed 's/^/# counters_qp: /' "$LOG.qp"
	return "$rc"
}

# port_snap: the per-QP-countable counters as `rdma statistic show` and
# hw_counters give them, and the PMA packets.
port_snap() {
	local d n
	for d in "$ROCE_DEV_A" "$ROCE_DEV_B"; do
		for n in $QP_CNTS; do
			echo "$d nl_$n $(nl_stat "$d" "$n")"
			echo "$d hw_$n $(hw_stat "$d" "$n")"
		done
	done
	pma_snap "$ROCE_DEV_A" "$ROCE_DEV_B"
}

# Every payload byte one side wrote: QP_ITERS writes of QP_SIZE on the
# first QP, of 2 x QP_SIZE on the second.
QP_BYTES=$((QP_ITERS * QP_SIZE * 3))

for d in "$ROCE_DEV_A" "$ROCE_DEV_B"; do
	rdma statistic qp set link "$d/1" auto type on ||
		ktap_info "rdma statistic qp set link $d/1 auto type on: failed"
done
p0=$(port_snap)
if qp_run && qp_go; then
	run_ok=1
else
	run_ok=0
fi
p1=$(port_snap)
ok=$run_ok
for d in "$ROCE_DEV_A" "$ROCE_DEV_B"; do
	if [ "$d" = "$ROCE_DEV_A" ]; then want=$QPNS_A; else want=$QPNS_B; fi
	c=$(qp_counters "$d")
	echo "$c" | sed "s/^/# $d bound counters (cntn sent_pkts rcvd_pkts sent_bytes rcvd_bytes lqpns): /"
	xp=$(delta "$p0" "$p1" "$d" port_xmit_packets)
	rp=$(delta "$p0" "$p1" "$d" port_rcv_packets)
	hs=$(delta "$p0" "$p1" "$d" hw_sent_pkts)
	hr=$(delta "$p0" "$p1" "$d" hw_rcvd_pkts)
	ns=$(delta "$p0" "$p1" "$d" nl_sent_pkts)
	nr=$(delta "$p0" "$p1" "$d" nl_rcvd_pkts)
	ktap_info "$d: PMA xmit_packets +$xp rcv_packets +$rp; rdma statistic sent_pkts +$ns rcvd_pkts +$nr; hw_counters sent_pkts +$hs rcvd_pkts +$hr"
	# one counter (both QPs are RC), all of the port's traffic, exact
	# bytes; the port totals (the driver's count of unbound QPs plus the
	# counters, netlink and sysfs alike) not doubled
	if [ "$(echo "$c" | grep -c .)" != 1 ] ||
	   [ "$c" != "$(echo "$c" | awk '{ print $1 }') $xp $rp $QP_BYTES $QP_BYTES $want" ] ||
	   [ "$hs" != "$xp" ] || [ "$hr" != "$rp" ] || [ "$ns" != "$xp" ] || [ "$nr" != "$rp" ]; then
		ok=0
	fi
done
if [ "$ok" = 1 ]; then
	ktap_ok "auto type on: both QPs in one counter, its packets == the port's (PMA), bytes exact; port totals not doubled"
else
	ktap_not_ok "auto type on: both QPs in one counter, its packets == the port's (PMA), bytes exact; port totals not doubled"
fi

qp_end
rc=$?
p2=$(port_snap)
left="$(qp_counters "$ROCE_DEV_A")$(qp_counters "$ROCE_DEV_B")"
ok=1
for d in "$ROCE_DEV_A" "$ROCE_DEV_B"; do
	for n in sent_pkts rcvd_pkts; do
		want=$(delta "$p0" "$p2" "$d" "nl_$n")
		[ "$n" = sent_pkts ] && pm=$(delta "$p0" "$p2" "$d" port_xmit_packets)
		[ "$n" = rcvd_pkts ] && pm=$(delta "$p0" "$p2" "$d" port_rcv_packets)
		[ "$want" = "$pm" ] || { ok=0; ktap_info "$d $n: rdma statistic +$want, PMA +$pm"; }
	done
done
if [ "$rc" = 0 ] && [ -z "$left" ] && [ "$ok" = 1 ] &&
   ! rdma res show qp link "$ROCE_DEV_A/1" 2>/dev/null | grep -q 'type RC'; then
	ktap_ok "auto: QPs gone, no counter left, port totals still == PMA"
else
	ktap_not_ok "auto: QPs gone, no counter left, port totals still == PMA" \
		"counters_qp exit $rc, left: ${left:-none}"
fi

# --- 5. manual binding --------------------------------------------------------
for d in "$ROCE_DEV_A" "$ROCE_DEV_B"; do
	rdma statistic qp set link "$d/1" auto off
done
ok=0
if qp_run; then
	ok=1
	for q in ${QPNS_A//,/ }; do
		rdma statistic qp bind link "$ROCE_DEV_A/1" lqpn "$q" || ok=0
	done
	qp_go || ok=0
fi
c=$(qp_counters "$ROCE_DEV_A")
echo "$c" | sed "s/^/# $ROCE_DEV_A bound counters: /"
q0=${QPNS_A%,*} q1=${QPNS_A#*,}
# QP numbers in creation order: the first QP wrote QP_SIZE, the second twice
read -r first second _ <"$HOLD/qpns"
v_first=$(awk -v q="$first" '$6 == q { print $4 }' <<<"$c")
v_second=$(awk -v q="$second" '$6 == q { print $4 }' <<<"$c")
ktap_info "manual: QP $first sent_bytes $v_first, QP $second sent_bytes $v_second ($q0/$q1)"
if [ "$ok" = 1 ] && [ "$(echo "$c" | grep -c .)" = 2 ] &&
   [ "$v_first" = $((QP_ITERS * QP_SIZE)) ] &&
   [ "$v_second" = $((QP_ITERS * QP_SIZE * 2)) ]; then
	ktap_ok "manual bind: one counter per QP, each with its own QP's bytes"
else
	ktap_not_ok "manual bind: one counter per QP, each with its own QP's bytes"
fi
# one QP unbound by hand, the other left to the QP's destruction
cn=$(awk -v q="$first" '$6 == q { print $1 }' <<<"$c")
if [ -n "$cn" ]; then
	rdma statistic qp unbind link "$ROCE_DEV_A/1" cntn "$cn" lqpn "$first"
	ktap_info "rdma statistic qp unbind link $ROCE_DEV_A/1 cntn $cn lqpn $first: exit $?"
fi
c=$(qp_counters "$ROCE_DEV_A")
qp_end
rc=$?
left="$(qp_counters "$ROCE_DEV_A")$(qp_counters "$ROCE_DEV_B")"
if [ "$rc" = 0 ] && [ "$(echo "$c" | grep -c .)" = 1 ] && [ -z "$left" ] &&
   ! rdma res show qp link "$ROCE_DEV_A/1" 2>/dev/null | grep -q 'type RC'; then
	ktap_ok "manual: unbind by hand and by QP destruction, no counter left"
else
	ktap_not_ok "manual: unbind by hand and by QP destruction, no counter left" \
		"counters_qp exit $rc, after unbind: ${c:-none}, left: ${left:-none}"
fi

# --- 6. nothing wrong on the way --------------------------------------------
s_end=$(pma_snap "$ROCE_DEV_A" "$ROCE_DEV_B")
bad=
for d in "$ROCE_DEV_A" "$ROCE_DEV_B"; do
	for n in $PMA_ERR; do
		v=$(pma "$d" "$n")
		[ "$v" = 0 ] || bad="$bad $d/$n=$v"
	done
done
ktap_info "$(echo "$s_end" | awk '{ printf "%s/%s=%s ", $1, $2, $3 }')"
if [ -z "$bad" ]; then
	ktap_ok "lossless veth: symbol_error, port_rcv_errors, port_xmit_discards, link_downed at 0"
else
	ktap_not_ok "lossless veth: symbol_error, port_rcv_errors, port_xmit_discards, link_downed at 0" \
		"$bad"
fi

# --- 7. a received frame with a bad ICRC ------------------------------------
# sent raw from veth0 to veth1 (not by sroce0): a receive error and a
# received packet of sroce1, data counted, nothing delivered
send_bad_icrc() {
	python3 - "$VETH_A" "$(cat "/sys/class/net/$VETH_B/address")" \
		"$(cat "/sys/class/net/$VETH_A/address")" "$IP_A" "$IP_B" <<'PY'
import socket, struct, sys
ifname, dmac, smac, sip, dip = sys.argv[1:6]
mac = lambda m: bytes(int(x, 16) for x in m.split(":"))
# RC SEND Only to QP 0x11, PSN 0, four bytes of payload, a wrong ICRC
bth = struct.pack("!BBHII", 0x04, 0, 0xFFFF, 0x11, 0)
roce = bth + b"abcd" + b"\xde\xad\xbe\xef"
udp = struct.pack("!HHHH", 49152, 4791, 8 + len(roce), 0) + roce
hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0,
                  socket.inet_aton(sip), socket.inet_aton(dip))
s = sum(struct.unpack("!10H", hdr))
s = (s & 0xFFFF) + (s >> 16)
s = (s & 0xFFFF) + (s >> 16)
hdr = hdr[:10] + struct.pack("!H", ~s & 0xFFFF) + hdr[12:]
eth = mac(dmac) + mac(smac) + b"\x08\x00"
sk = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
sk.bind((ifname, 0))
sk.send(eth + hdr + udp)
PY
}
s0=$(pma_snap "$ROCE_DEV_B")
ic0=$(hw_stat "$ROCE_DEV_B" rx_drop_bad_icrc)
send_bad_icrc || ktap_info "could not send the raw frame"
wait_for 5 test "$(pma "$ROCE_DEV_B" port_rcv_errors)" != 0
s1=$(pma_snap "$ROCE_DEV_B")
ic1=$(hw_stat "$ROCE_DEV_B" rx_drop_bad_icrc)
er=$(delta "$s0" "$s1" "$ROCE_DEV_B" port_rcv_errors)
rp=$(delta "$s0" "$s1" "$ROCE_DEV_B" port_rcv_packets)
rd=$(delta "$s0" "$s1" "$ROCE_DEV_B" port_rcv_data)
ktap_info "bad ICRC frame: $ROCE_DEV_B port_rcv_errors +$er port_rcv_packets +$rp port_rcv_data +$rd, rx_drop_bad_icrc $ic0 -> $ic1"
# IP 20 + UDP 8 + BTH 12 + 4 + ICRC 4 = 48 bytes, 12 words
if [ "$er" = 1 ] && [ "$rp" = 1 ] && [ "$rd" = 12 ] &&
   [[ $ic0 =~ ^[0-9]+$ && $ic1 =~ ^[0-9]+$ ]] && [ "$((ic1 - ic0))" = 1 ]; then
	ktap_ok "a bad-ICRC frame: one port_rcv_error, one received packet of 12 words"
else
	ktap_not_ok "a bad-ICRC frame: one port_rcv_error, one received packet of 12 words"
fi

roce_devs_down
ktap_finish
