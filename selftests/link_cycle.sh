#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rdma link add/delete: module autoload, 100 add/delete cycles, a second
# device on the same netdev refused, non-Ethernet netdevs refused.
. "$(dirname "$0")/lib.sh"

CYCLES=${CYCLES:-100}

ktap_plan 6
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

sroce_reset
ktap_finish
