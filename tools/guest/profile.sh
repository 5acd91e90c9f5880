#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tools/guest/profile.sh DRIVER MTU TEST SIZE ITERS: one profiled perftest
# run in the guest (tools/profile runs it with tools/vm-run --no-sroce).
# DRIVER is sroce or rxe. Two devices on the veth pair of
# tools/guest/roce-net.sh at MTU, a warm-up run, then the client of TEST
# (a perftest bandwidth program) under "perf record -a -g". perf.data goes
# to tmpfs first (writing it over 9p while recording perturbs the run),
# then to $SROCE_OUT with /proc/kallsyms, for tools/profile-report. The
# client's last report line goes to stdout as "profile-result ...".
set -uo pipefail

# shellcheck source=../../selftests/lib.sh
. "$SROCE_REPO/selftests/lib.sh"
# shellcheck source=roce-net.sh
. "$SROCE_REPO/tools/guest/roce-net.sh"

[ $# -eq 5 ] || { echo "usage: $0 sroce|rxe MTU TEST SIZE ITERS" >&2; exit 2; }
DRIVER=$1 MTU=$2 TEST=$3 SIZE=$4 ITERS=$5
case $DRIVER in
sroce) MODULE=sroce ;;
rxe) MODULE=rdma_rxe ;;
*) echo "profile.sh: DRIVER must be sroce or rxe" >&2; exit 2 ;;
esac
OUT=${SROCE_OUT:-/tmp}

rn_net_up || exit 1
ip link set "$VETH_A" mtu "$MTU" && ip link set "$VETH_B" mtu "$MTU" || exit 1
rn_neigh_pin || exit 1
modprobe "$MODULE" || exit 1
rn_devs_add "$DRIVER" "${DRIVER}0" "${DRIVER}1" || exit 1

# run_pair [PREFIX...]: server on device 1, client (after PREFIX) on device 0
run_pair() {
	local srv rc

	timeout 120 "$TEST" -d "${DRIVER}1" -x "$RN_GID_B" -F -s "$SIZE" -n "$ITERS" \
		>"$OUT/server.log" 2>&1 &
	srv=$!
	sleep 2
	timeout 120 "$@" "$TEST" -d "${DRIVER}0" -x "$RN_GID_A" -F -s "$SIZE" \
		-n "$ITERS" "$IP_B" >"$OUT/client.log" 2>&1
	rc=$?
	wait "$srv"
	return $rc
}

run_pair || { cat "$OUT/client.log"; exit 1; }
run_pair perf record -q -a -g -o /tmp/perf.data -- || { cat "$OUT/client.log"; exit 1; }
cp /tmp/perf.data "$OUT/perf.data" && cat /proc/kallsyms >"$OUT/kallsyms" || exit 1
echo "profile-result driver=$DRIVER mtu=$MTU test=$TEST size=$SIZE" \
	"$(awk -v s="$SIZE" '$1 == s { print "bw_avg_mib=" $4 }' "$OUT/client.log" | tail -n 1)"
rdma_links_clear
