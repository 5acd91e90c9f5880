#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rdma link add/delete: module autoload, 100 add/delete cycles, a second
# device on the same netdev refused, non-Ethernet netdevs refused, and
# `rdma link add` racing `rdma link delete` (with RTNL busy and frames
# arriving) for STRESS_SECONDS: no device may be freed under its netdev's
# rx handler, and none may leave its rx handler behind.
. "$(dirname "$0")/lib.sh"

CYCLES=${CYCLES:-100}
STRESS_SECONDS=${STRESS_SECONDS:-45}

# Frames to UDP port 4791 of $VETH_A's address, sent on $VETH_B until $1
# (epoch seconds): each one runs $VETH_A's rx handler, if it has one.
send_frames() {
	/usr/bin/python3 - "$VETH_B" "$(cat /sys/class/net/$VETH_A/address)" \
		"$IP_B" "$IP_A" "$1" <<'PY'
import socket, struct, sys, time
ifname, dmac, src, dst, end = sys.argv[1:6]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((ifname, 0))
smac = open(f"/sys/class/net/{ifname}/address").read().strip()
# an RC SEND_ONLY BTH to QPN 0x12345 with a zero ICRC: dropped once checked
payload = bytes([0x04, 0, 0xff, 0xff, 0, 0x01, 0x23, 0x45, 0, 0, 0, 1]) + bytes(4)
udp = struct.pack("!HHHH", 49152, 4791, 8 + len(payload), 0) + payload
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0x4000, 64, 17,
                 0, socket.inet_aton(src), socket.inet_aton(dst))
csum = sum(struct.unpack("!10H", ip))
csum = (csum & 0xffff) + (csum >> 16)
csum = ~((csum & 0xffff) + (csum >> 16)) & 0xffff
ip = ip[:10] + struct.pack("!H", csum) + ip[12:]
eth = bytes.fromhex(dmac.replace(":", "")) + bytes.fromhex(smac.replace(":", "")) + b"\x08\x00"
frame = eth + ip + udp
while time.time() < float(end):
    for _ in range(100):
        s.send(frame)
    time.sleep(0.001)
PY
}

# $1 until $2 (epoch seconds), counting successes into file $3.
repeat_until() {
	local n=0
	while [ "$(date +%s)" -lt "$2" ]; do
		if eval "$1" 2>/dev/null; then
			n=$((n + 1))
		fi
	done
	echo "$n" >"$3"
}

ktap_plan 8
sroce_reset
veth_setup

modprobe -r sroce
if ! module_loaded sroce && rdma link add sroce0 type sroce netdev "$VETH_A" &&
   module_loaded sroce && rdma_dev_exists sroce0; then
	ktap_ok "link add autoloads sroce"
else
	ktap_not_ok "link add autoloads sroce"
fi
rdma link delete sroce0 2>/dev/null

failed=""
start=$(date +%s.%N)
for i in $(seq 1 "$CYCLES"); do
	if ! rdma link add sroce0 type sroce netdev "$VETH_A"; then
		failed="add failed in cycle $i"
		break
	fi
	if ! rdma_dev_exists sroce0 || ! rdma link show sroce0/1 >/dev/null; then
		failed="sroce0 missing after add in cycle $i"
		break
	fi
	if ! rdma link delete sroce0; then
		failed="delete failed in cycle $i"
		break
	fi
	if rdma_dev_exists sroce0; then
		failed="sroce0 still present after delete in cycle $i"
		break
	fi
done
end=$(date +%s.%N)
ktap_info "$CYCLES cycles took $(echo "$end - $start" | bc) s"
if [ -z "$failed" ]; then
	ktap_ok "$CYCLES link add/delete cycles"
else
	ktap_not_ok "$CYCLES link add/delete cycles" "$failed"
fi

rdma link add sroce0 type sroce netdev "$VETH_A"
dmesg_mark
out=$(rdma link add sroce1 type sroce netdev "$VETH_A" 2>&1)
rc=$?
if [ $rc -ne 0 ] && rdma_dev_gone sroce1 && rdma_dev_exists sroce0 &&
   dmesg_since_mark | grep -q "sroce0 already runs on this netdev"; then
	ktap_ok "second device on one netdev refused"
else
	ktap_not_ok "second device on one netdev refused" "rc=$rc out=$out"
fi
ktap_info "rdma said: $out"

ktap_check "first device still ACTIVE" port_state_is sroce0 ACTIVE

if ! rdma link add sroce9 type sroce netdev lo 2>/dev/null &&
   rdma_dev_gone sroce9; then
	ktap_ok "loopback netdev refused"
else
	ktap_not_ok "loopback netdev refused"
fi

if ! rdma link add sroce9 type sroce netdev nosuchdev 2>/dev/null &&
   rdma_dev_gone sroce9; then
	ktap_ok "missing netdev refused"
else
	ktap_not_ok "missing netdev refused"
fi

rdma link delete sroce0 2>/dev/null
dmesg_mark
end=$(($(date +%s) + STRESS_SECONDS))
tmp=$(mktemp -d)
send_frames "$end" &
senders=$!
repeat_until "rdma link add sroce0 type sroce netdev $VETH_A" "$end" "$tmp/add" &
adders=$!
repeat_until "rdma link delete sroce0" "$end" "$tmp/del" &
deleters=$!
# RTNL held often and long (a netdev's unregistration waits for RCU under
# it): newlink and dealloc take it, so their windows widen
repeat_until "ip link add sroce_dmy0 type dummy && ip link del sroce_dmy0" \
	"$end" "$tmp/rtnl" &
rtnl=$!
repeat_until "ip link add sroce_dmy1 type dummy && ip link del sroce_dmy1" \
	"$end" "$tmp/rtnl1" &
rtnl1=$!
wait "$adders" "$deleters" "$rtnl" "$rtnl1" "$senders"
adds=$(cat "$tmp/add") dels=$(cat "$tmp/del")
rtnls=$(($(cat "$tmp/rtnl") + $(cat "$tmp/rtnl1")))
rm -rf "$tmp"
rdma link delete sroce0 2>/dev/null
ktap_info "$STRESS_SECONDS s of racing: $adds adds, $dels deletes, $rtnls dummy netdevs added and deleted"
if [ "$adds" -gt 0 ] && [ "$dels" -gt 0 ] && rdma_dev_gone sroce0 &&
   ! dmesg_since_mark | grep -q "has an rx handler"; then
	ktap_ok "link add racing link delete: every device went, none left its rx handler"
else
	ktap_not_ok "link add racing link delete: every device went, none left its rx handler" \
		"adds $adds deletes $dels"
	dmesg_since_mark | grep "rx handler" | head -n 3 | sed 's/^/# /'
fi

# the netdev takes another rx handler (a bridge port's), so none is left
if ip link add sroce_br0 type bridge &&
   ip link set "$VETH_A" master sroce_br0; then
	ktap_ok "after the race $VETH_A has no rx handler left (it joins a bridge)"
else
	ktap_not_ok "after the race $VETH_A has no rx handler left (it joins a bridge)"
fi
ip link set "$VETH_A" nomaster 2>/dev/null
ip link del sroce_br0 2>/dev/null

sroce_reset
ktap_finish
