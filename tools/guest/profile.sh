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

rn_net_up && rn_set_mtu "$MTU" || exit 1
modprobe "$MODULE" || exit 1
rn_devs_add "$DRIVER" "${DRIVER}0" "${DRIVER}1" || exit 1

log=$OUT/perftest
rn_perftest "${DRIVER}0" "${DRIVER}1" "$TEST" "$SIZE" "$ITERS" "$log" ||
	{ cat "$log.client.log"; exit 1; }
rn_perftest "${DRIVER}0" "${DRIVER}1" "$TEST" "$SIZE" "$ITERS" "$log" \
	perf record -q -a -g -o /tmp/perf.data -- || { cat "$log.client.log"; exit 1; }
cp /tmp/perf.data "$OUT/perf.data" && cat /proc/kallsyms >"$OUT/kallsyms" || exit 1
echo "profile-result driver=$DRIVER mtu=$MTU test=$TEST size=$SIZE" \
	"bw_avg_mib=$(rn_bw_avg "$SIZE" "$log.client.log")"
rdma_links_clear
