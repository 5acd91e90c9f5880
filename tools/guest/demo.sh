#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the demo guest (tools/demo): two sroce devices on the two
# ends of a veth pair, and what stock rdma-core reports about them.
set -euo pipefail

# shellcheck source=../../selftests/lib.sh
. "$SROCE_REPO/selftests/lib.sh"

show() {
	echo
	echo "\$ $*"
	"$@"
}

veth_setup
show rdma link add sroce0 type sroce netdev "$VETH_A"
show rdma link add sroce1 type sroce netdev "$VETH_B"
wait_for 10 sh -c "ibv_devinfo -v -d sroce1 | grep -q '$IP6_B, RoCE v2'"
show rdma link show
show rdma dev show
show ibv_devices
show ibv_devinfo -v -d sroce0
show ip link set "$VETH_B" down
wait_for 10 port_state_is sroce0 DOWN
show rdma link show sroce0/1
show ip link set "$VETH_B" up
wait_for 10 port_state_is sroce0 ACTIVE
show rdma link show sroce0/1
show rdma link delete sroce1
show rdma link delete sroce0
echo
echo "demo: sroce devices created, inspected and removed."
echo "demo: RDMA traffic (ib_write_bw) joins this demo with the packet path."
