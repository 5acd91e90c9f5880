#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# sroce and rdma_rxe share UDP port 4791 and the rxe user ABI: whichever
# loads second must refuse, clearly, and leave the first one undisturbed.
. "$(dirname "$0")/lib.sh"

ktap_plan 5
sroce_reset
veth_setup

if ! modinfo rdma_rxe >/dev/null 2>&1; then
	ktap_skip "rxe after sroce" "no rdma_rxe module in this kernel"
	ktap_skip "sroce device survives" "no rdma_rxe module in this kernel"
	ktap_skip "sroce after rxe" "no rdma_rxe module in this kernel"
	ktap_skip "rxe device survives" "no rdma_rxe module in this kernel"
	ktap_skip "sroce loads after rxe is gone" "no rdma_rxe module in this kernel"
	sroce_reset
	ktap_finish
fi

# Order 1: sroce first.
rdma link add sroce0 type sroce netdev "$VETH_A"
if ! modprobe rdma_rxe 2>/dev/null && ! module_loaded rdma_rxe; then
	ktap_ok "rxe after sroce is refused"
else
	ktap_not_ok "rxe after sroce is refused"
fi
if rdma_dev_exists sroce0 && port_state_is sroce0 ACTIVE &&
   ibv_devinfo -d sroce0 >/dev/null; then
	ktap_ok "sroce device survives"
else
	ktap_not_ok "sroce device survives"
fi

# Order 2: rxe first.
rdma_links_clear
rmmod sroce
modprobe rdma_rxe
rdma link add rxe0 type rxe netdev "$VETH_A"
dmesg_mark
if ! modprobe sroce 2>/dev/null && ! module_loaded sroce &&
   dmesg_since_mark | grep -q "sroce: UDP port 4791 is already in use"; then
	ktap_ok "sroce after rxe is refused with a clear message"
else
	ktap_not_ok "sroce after rxe is refused with a clear message"
fi
dmesg_since_mark | sed 's/^/# /'
if rdma_dev_exists rxe0 && port_state_is rxe0 ACTIVE &&
   ibv_devinfo -d rxe0 | grep -q PORT_ACTIVE; then
	ktap_ok "rxe device survives"
else
	ktap_not_ok "rxe device survives"
fi

rdma link delete rxe0
modprobe -r rdma_rxe
if modprobe sroce && rdma link add sroce0 type sroce netdev "$VETH_A"; then
	ktap_ok "sroce loads after rxe is gone"
else
	ktap_not_ok "sroce loads after rxe is gone"
fi

sroce_reset
ktap_finish
