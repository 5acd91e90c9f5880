#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Removing the netdev under a live device removes the device, with and
# without a process holding the device open.
. "$(dirname "$0")/lib.sh"

ktap_plan 4
sroce_reset

veth_setup
rdma link add sroce0 type sroce netdev "$VETH_A"
rdma link add sroce1 type sroce netdev "$VETH_B"
ip link del "$VETH_A"
if wait_for 20 rdma_dev_gone sroce0 && wait_for 20 rdma_dev_gone sroce1; then
	ktap_ok "deleting a veth removes the devices on both ends"
else
	ktap_not_ok "deleting a veth removes the devices on both ends"
fi

veth_setup
rdma link add sroce0 type sroce netdev "$VETH_A"
# ibv_asyncwatch holds a user context open and prints its async events.
asyncwatch_start sroce0
ip link del "$VETH_A"
if wait_for 30 rdma_dev_gone sroce0; then
	ktap_ok "netdev removal with an open user context"
else
	ktap_not_ok "netdev removal with an open user context"
fi
if wait_for 10 grep -q "DEVICE_FATAL" /tmp/asyncwatch.log; then
	ktap_ok "the user context got IBV_EVENT_DEVICE_FATAL"
else
	ktap_not_ok "the user context got IBV_EVENT_DEVICE_FATAL" \
		"$(tr '\n' ' ' </tmp/asyncwatch.log)"
fi
asyncwatch_stop

veth_setup
if rdma link add sroce0 type sroce netdev "$VETH_A" &&
   port_state_is sroce0 ACTIVE; then
	ktap_ok "a new device on a recreated netdev"
else
	ktap_not_ok "a new device on a recreated netdev"
fi

sroce_reset
ktap_finish
