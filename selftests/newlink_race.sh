#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `rdma link delete` while the `rdma link add` of the same device still
# runs. ib_core makes a device visible, and so deletable, inside
# ib_register_device(): newlink must have done everything that needs the
# device before that and touch nothing of it after. A test hook (debugfs
# "newlink_delay") holds newlink right after the registration while the
# device is deleted; then the netdev must carry no rx handler of the freed
# device: frames to it are harmless, and a new device on it gets the fast
# path again (netdev_rx_handler_register() fails while a stale handler
# stays; the debug kernel has no bridge to try the port with).
. "$(dirname "$0")/lib.sh"

T=/sys/kernel/debug/sroce/test
NS=race_peer
DEV=sroce_race

ktap_plan 5
sroce_reset
ip netns del "$NS" 2>/dev/null
veth_setup
[ -e "$T" ] || mount -t debugfs none /sys/kernel/debug
# The peer end in its own namespace, so frames really cross the veth.
ip netns add "$NS"
ip link set "$VETH_B" netns "$NS"
ip -n "$NS" addr add "$IP_B/24" dev "$VETH_B"
ip -n "$NS" link set "$VETH_B" up

# Registered, so that rdma can find it by name: its sysfs directory comes
# earlier, inside ib_register_device(), and `rdma link delete` then says
# "Wrong device name" (under the debug kernel the window is wide).
rdma_dev_registered() {
	rdma dev show "$1" >/dev/null 2>&1
}

dmesg_mark
echo "newlink_delay 3000" >"$T"
rdma link add "$DEV" type sroce netdev "$VETH_A" &
add_pid=$!
if wait_for 10 rdma_dev_registered "$DEV" && rdma link delete "$DEV" &&
   kill -0 "$add_pid" 2>/dev/null; then
	ktap_ok "deleted while its newlink still ran"
else
	ktap_not_ok "deleted while its newlink still ran"
fi
wait "$add_pid"
ktap_info "rdma link add returned $?"
ktap_check "the device is gone" rdma_dev_gone "$DEV"

# ARP and RoCEv2-port datagrams into veth0: a stale handler would run on
# freed memory here (KASAN under the debug kernel).
for i in 1 2 3 4 5 6 7 8; do
	ip netns exec "$NS" bash -c \
		"echo forged-$i >/dev/udp/$IP_A/4791" 2>/dev/null
done
peer_ping() {
	ip netns exec "$NS" ping -c 2 -W 2 -i 0.2 "$IP_A" >/dev/null
}
ktap_check "the netdev still answers its peer (ping)" peer_ping

dmesg_mark
if rdma link add "$DEV" type sroce netdev "$VETH_A" &&
   wait_for 10 port_state_is "$DEV" ACTIVE &&
   ! dmesg_since_mark | grep -q "has an rx handler"; then
	ktap_ok "a new device on the netdev gets the fast path"
else
	ktap_not_ok "a new device on the netdev gets the fast path"
fi
dmesg_since_mark | sed 's/^/# /'

# A device being freed gives up the netdev's rx handler before it leaves
# the device list: a link add on that netdev meanwhile (a debugfs hook,
# "dealloc_delay", holds the free between the two) is refused, never run
# without the fast path; once the free is done a new device gets it.
dmesg_mark
echo "dealloc_delay 3000" >"$T"
rdma link delete "$DEV" &
del_pid=$!
sleep 1
if rdma link add "${DEV}2" type sroce netdev "$VETH_A" 2>/dev/null; then
	ktap_info "link add during the free: accepted"
else
	ktap_info "link add during the free: refused"
fi
wait "$del_pid"
rdma link delete "${DEV}2" 2>/dev/null
if wait_for 10 rdma_dev_gone "$DEV" &&
   rdma link add "$DEV" type sroce netdev "$VETH_A" &&
   wait_for 10 port_state_is "$DEV" ACTIVE &&
   ! dmesg_since_mark | grep -q "has an rx handler"; then
	ktap_ok "a link add while a device on the netdev is freed never runs without the fast path"
else
	ktap_not_ok "a link add while a device on the netdev is freed never runs without the fast path"
fi
dmesg_since_mark | sed 's/^/# /'

rdma link delete "$DEV" 2>/dev/null
ip netns del "$NS"
sroce_reset
ktap_finish
