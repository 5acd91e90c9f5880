#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tools/guest/ab.sh MTU TEST SIZE ITERS ROUNDS A B: the same perftest
# bandwidth cell for two drivers, alternated ROUNDS times in one boot (A, B,
# A, B ...; tools/ab runs it with tools/vm-run --no-sroce). A driver is
# "rxe" (modprobe rdma_rxe) or the path of a sroce.ko (insmod; the module
# tree's sroce is loaded once first for its dependencies). One line per
# run on stdout: "ab-result name=... round=R value=MiB/s|fail".
set -uo pipefail

# shellcheck source=../../selftests/lib.sh
. "$SROCE_REPO/selftests/lib.sh"
# shellcheck source=roce-net.sh
. "$SROCE_REPO/tools/guest/roce-net.sh"

[ $# -eq 7 ] || { echo "usage: $0 MTU TEST SIZE ITERS ROUNDS A B" >&2; exit 2; }
MTU=$1 TEST=$2 SIZE=$3 ITERS=$4 ROUNDS=$5

rn_net_up || exit 1
ip link set "$VETH_A" mtu "$MTU" && ip link set "$VETH_B" mtu "$MTU" || exit 1
rn_neigh_pin || exit 1
modprobe sroce && rmmod sroce || exit 1

# run_one DRIVER ROUND
run_one() {
	local drv=$1 type=sroce value=fail srv

	if [ "$drv" = rxe ]; then
		type=rxe
		modprobe rdma_rxe || return
	else
		insmod "$drv" || return
	fi
	if rn_devs_add "$type" "${type}0" "${type}1"; then
		timeout 120 "$TEST" -d "${type}1" -x "$RN_GID_B" -F -s "$SIZE" -n "$ITERS" \
			>/tmp/ab.server.log 2>&1 &
		srv=$!
		sleep 2
		if timeout 120 "$TEST" -d "${type}0" -x "$RN_GID_A" -F -s "$SIZE" -n "$ITERS" \
			"$IP_B" >/tmp/ab.client.log 2>&1; then
			value=$(awk -v s="$SIZE" '$1 == s { print $4 }' /tmp/ab.client.log | tail -n 1)
		fi
		wait "$srv"
	fi
	echo "ab-result name=$drv round=$2 value=${value:-fail}"
	rdma_links_clear
	if [ "$type" = rxe ]; then modprobe -r rdma_rxe; else rmmod sroce; fi
}

for r in $(seq "$ROUNDS"); do
	run_one "$6" "$r"
	run_one "$7" "$r"
done
