#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rmmod with devices present removes them; the module comes back cleanly.
. "$(dirname "$0")/lib.sh"

ktap_plan 3
sroce_reset
veth_setup

rdma link add sroce0 type sroce netdev "$VETH_A"
rdma link add sroce1 type sroce netdev "$VETH_B"
if rmmod sroce && ! module_loaded sroce && rdma_dev_gone sroce0 &&
   rdma_dev_gone sroce1; then
	ktap_ok "rmmod with two devices"
else
	ktap_not_ok "rmmod with two devices"
fi

if modprobe sroce && rdma link add sroce0 type sroce netdev "$VETH_A" &&
   port_state_is sroce0 ACTIVE; then
	ktap_ok "reload and add again"
else
	ktap_not_ok "reload and add again"
fi

# rmmod while a user context is open: uverbs disassociates it.
asyncwatch_start sroce0
if timeout 60 rmmod sroce && rdma_dev_gone sroce0; then
	ktap_ok "rmmod with an open user context"
else
	ktap_not_ok "rmmod with an open user context"
fi
asyncwatch_stop

sroce_reset
ktap_finish
