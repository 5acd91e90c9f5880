#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The port follows the netdev: carrier and admin state, with port events,
# and the active MTU follows the netdev MTU.
. "$(dirname "$0")/lib.sh"

active_mtu() {
	ibv_devinfo -d "$1" | sed -n 's/.*active_mtu:[[:space:]]*\([0-9]*\).*/\1/p'
}

mtu_is() {
	[ "$(active_mtu "$1")" = "$2" ]
}

# One counter of `rdma statistic show link DEV/1`.
counter() {
	rdma statistic show link "$1/1" |
		sed -n "s/.* $2 \([0-9]*\).*/\1/p"
}

ktap_plan 7
sroce_reset
veth_setup
rdma link add sroce0 type sroce netdev "$VETH_A"
asyncwatch_start sroce0
downed=$(counter sroce0 link_downed)

ip link set "$VETH_B" down
if wait_for 10 port_state_is sroce0 DOWN &&
   wait_for 10 grep -q "IBV_EVENT_PORT_ERR" /tmp/asyncwatch.log; then
	ktap_ok "peer down: carrier lost, port DOWN, PORT_ERR event"
else
	ktap_not_ok "peer down: carrier lost, port DOWN, PORT_ERR event" \
		"state $(rdma_port_state sroce0)"
fi

ip link set "$VETH_B" up
if wait_for 10 port_state_is sroce0 ACTIVE &&
   wait_for 10 grep -q "IBV_EVENT_PORT_ACTIVE" /tmp/asyncwatch.log; then
	ktap_ok "peer up: port ACTIVE, PORT_ACTIVE event"
else
	ktap_not_ok "peer up: port ACTIVE, PORT_ACTIVE event" \
		"state $(rdma_port_state sroce0)"
fi
asyncwatch_stop
ktap_info "events: $(grep -c event_type /tmp/asyncwatch.log)"
if [ -n "$downed" ] && [ "$(counter sroce0 link_downed)" = $((downed + 1)) ]; then
	ktap_ok "rdma statistic: link_downed counted the loss once"
else
	ktap_not_ok "rdma statistic: link_downed counted the loss once" \
		"before '$downed', after '$(counter sroce0 link_downed)'"
fi

ip link set "$VETH_A" down
ktap_check "admin down: port DOWN" wait_for 10 port_state_is sroce0 DOWN
ip link set "$VETH_A" up
ktap_check "admin up: port ACTIVE" wait_for 10 port_state_is sroce0 ACTIVE

ip link set "$VETH_A" mtu 9000
ip link set "$VETH_B" mtu 9000
m9000=$(active_mtu sroce0)
ip link set "$VETH_A" mtu 1500
m1500=$(active_mtu sroce0)
# RoCE headers take up to 96 bytes: 1120 still fits 1024, 1119 does not.
ip link set "$VETH_A" mtu 1120
m1120=$(active_mtu sroce0)
ip link set "$VETH_A" mtu 1119
m1119=$(active_mtu sroce0)
ip link set "$VETH_A" mtu 1500
if [ "$m9000" = 4096 ] && [ "$m1500" = 1024 ] && [ "$m1120" = 1024 ] &&
   [ "$m1119" = 512 ]; then
	ktap_ok "active_mtu follows the netdev MTU"
else
	ktap_not_ok "active_mtu follows the netdev MTU" \
		"9000->$m9000 1500->$m1500 1120->$m1120 1119->$m1119"
fi

# 300 bytes cannot carry a 256-byte RoCE payload with its headers.
ip link set "$VETH_A" mtu 300
if wait_for 10 port_state_is sroce0 DOWN; then
	ip link set "$VETH_A" mtu 1500
	ktap_check "MTU too small for RoCE: DOWN, then ACTIVE again" \
		wait_for 10 port_state_is sroce0 ACTIVE
else
	ktap_not_ok "MTU too small for RoCE: DOWN, then ACTIVE again" \
		"state $(rdma_port_state sroce0) at MTU 300"
fi

sroce_reset
ktap_finish
