#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tools/guest/ab.sh MTU TEST SIZE ITERS ROUNDS A B [C ...]: the same
# perftest cell for two or more drivers, taken in turn ROUNDS times in one
# boot (A, B, C, A, B, C ...; tools/ab runs it with tools/vm-run
# --no-sroce). A driver is "rxe" (modprobe rdma_rxe) or the path of a
# sroce.ko (insmod; the module tree's sroce is loaded once first for its
# dependencies). One line per run on
# stdout: "ab-result name=... round=R value=MiB/s|usec|fail|clock" (usec:
# a latency test's t_typical; clock: perftest's CPU clock calibration
# failed, so its number means nothing).
set -uo pipefail

# shellcheck source=../../selftests/lib.sh
. "$SROCE_REPO/selftests/lib.sh"
# shellcheck source=roce-net.sh
. "$SROCE_REPO/tools/guest/roce-net.sh"

[ $# -ge 7 ] || { echo "usage: $0 MTU TEST SIZE ITERS ROUNDS A B [C ...]" >&2; exit 2; }
MTU=$1 TEST=$2 SIZE=$3 ITERS=$4 ROUNDS=$5
shift 5

rn_net_up && rn_set_mtu "$MTU" || exit 1
modprobe sroce && rmmod sroce || exit 1

# run_one DRIVER ROUND
run_one() {
	local drv=$1 type=sroce value=fail log

	if [ "$drv" = rxe ]; then
		type=rxe
		modprobe rdma_rxe || return
	else
		insmod "$drv" || return
	fi
	# kept in the results directory: a bad run's log says why
	log=$SROCE_OUT/ab-r$2-$(basename "$drv")
	if rn_devs_add "$type" "${type}0" "${type}1" &&
		rn_perftest "${type}0" "${type}1" "$TEST" "$SIZE" "$ITERS" "$log"; then
		value=$(rn_perftest_value "$TEST" "$SIZE" "$log.client.log")
		# no positive number is no result, as in tools/bench
		rn_positive "$value" || value=fail
		rn_clock_failed "$log.client.log" && value=clock
	fi
	echo "ab-result name=$drv round=$2 value=${value:-fail}"
	rdma_links_clear
	# rmmod, not modprobe -r: the UDP tunnel modules stay for the next insmod
	if [ "$type" = rxe ]; then rmmod rdma_rxe; else rmmod sroce; fi
}

for r in $(seq "$ROUNDS"); do
	for drv in "$@"; do
		run_one "$drv" "$r"
	done
done
