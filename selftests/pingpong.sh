#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rdma-core's ibv_{rc,uc,ud,srq}_pingpong between two RoCE devices on the
# two ends of a veth (roce_net.sh): server on ${DRIVER}1, client on
# ${DRIVER}0, over the IPv4 and the IPv6 RoCE v2 GID, several sizes, with
# buffer validation (-c). Each run passes only when both ends exit 0,
# both print their throughput and latency lines, and neither reports
# invalid data. SROCE_TEST_DRIVER=rxe runs the same against stock rdma_rxe.
# SROCE_TEST_PP_ITERS overrides the number of exchanges (default 50).
# pingpong's -c checks one byte a page on one side only: it stays as an
# interop smoke, and verify_xfer (ours) checks whole buffers, every byte,
# SEND and RDMA WRITE in both directions, over IPv4 and IPv6.
dir=$(dirname "$0")
. "$dir/lib.sh"
. "$dir/roce_net.sh"

ITERS=${SROCE_TEST_PP_ITERS:-50}
RUN_TIMEOUT=120
PORT=18600
LOG=/tmp/pingpong

# The runs: TYPE SIZE [EXTRA OPTIONS]; each over IPv4 and IPv6. UD sizes
# are capped at the port's active MTU (ud_pingpong refuses more).
RUNS_RC="rc:1 rc:4096 rc:65536 rc:4096:-e"
RUNS_UC="uc:1 uc:4096 uc:65536"
RUNS_UD="ud:1 ud:MTU"
RUNS_SRQ="srq:1 srq:4096 srq:65536"
RUNS="$RUNS_RC $RUNS_UC $RUNS_UD $RUNS_SRQ"

nruns=0
for r in $RUNS; do
	nruns=$((nruns + 2))
done
ktap_plan $((nruns + 4))

no_devices() {
	for ((i = 0; i < nruns; i++)); do
		ktap_not_ok "pingpong run $i" "no devices"
	done
	ktap_not_ok "verify_xfer IPv4" "no devices"
	ktap_not_ok "verify_xfer IPv6" "no devices"
	ktap_not_ok "lossless veth: no retransmission, NAK, RNR or drop counted in any run" "no devices"
}
roce_suite_devs_up no_devices
# The veth loses nothing: every counter of recovery stays where it was.
counters_snapshot /tmp/pingpong.counters "$ROCE_DEV_A" "$ROCE_DEV_B"
ktap_info "$ROCE_DEV_A: IPv4 GID $ROCE_GID4_A, IPv6 GID $ROCE_GID6_A;" \
	"$ROCE_DEV_B: IPv4 GID $ROCE_GID4_B, IPv6 GID $ROCE_GID6_B"

# The active MTU in bytes of DEV's port 1.
active_mtu() {
	ibv_devinfo -d "$1" -i 1 | sed -n 's/.*active_mtu:[[:space:]]*\([0-9]*\).*/\1/p'
}
mtu=$(active_mtu "$ROCE_DEV_A")
ktap_info "active MTU $mtu"

# Output of a successful ibv_*_pingpong end: both summary lines, no
# complaint about the data or a failed step.
pp_output_ok() {
	grep -Eq '^[0-9]+ bytes in [0-9.]+ seconds = [0-9.]+ Mbit/sec' "$1" &&
	grep -Eq "^$ITERS iters in [0-9.]+ seconds = [0-9.]+ usec/iter" "$1" &&
	! grep -Eqi 'invalid data|fail|error|couldn' "$1"
}

# Runs after which a recovery counter had moved (named in the last case).
moved_runs=

# run_counters_begin / run_counters_end NAME [ALLOWED...]: which run moved
# a counter other than those it may move.
run_counters_begin() {
	counters_snapshot "$LOG.run.counters" "$ROCE_DEV_A" "$ROCE_DEV_B"
}

run_counters_end() {
	local name=$1
	shift
	if ! assert_no_recovery "$LOG.run.counters" "$@" >"$LOG.run.moved"; then
		moved_runs="$moved_runs; $name"
	fi
	sed "s/^# /# $name: /" "$LOG.run.moved"
}

# ibv_srq_pingpong runs 16 QPs, each sending on its own, and each end stops
# once it has received and sent its count: the other end may by then have
# posted a few more messages, which reach QPs that are gone (measured: up to
# 11 of 64 KiB). Those drops are the program's, not the veth's: only for it,
# rx_drop_no_qp may move.
SRQ_MAY_MOVE=rx_drop_no_qp

# pp_run TYPE SIZE FAMILY [OPTS...]
pp_run() {
	local type=$1 size=$2 fam=$3 gid_a gid_b name srv cli rc_s rc_c
	shift 3

	if [ "$fam" = 4 ]; then
		gid_a=$ROCE_GID4_A gid_b=$ROCE_GID4_B
	else
		gid_a=$ROCE_GID6_A gid_b=$ROCE_GID6_B
	fi
	name="ibv_${type}_pingpong -s $size${*:+ $*} IPv$fam"
	PORT=$((PORT + 1))
	srv=$LOG.srv cli=$LOG.cli
	roce_kill_traffic
	run_counters_begin
	start=$(date +%s)
	timeout "$RUN_TIMEOUT" "ibv_${type}_pingpong" -d "$ROCE_DEV_B" -i 1 \
		-g "$gid_b" -s "$size" -n "$ITERS" -p "$PORT" -c "$@" >"$srv" 2>&1 &
	local spid=$!
	if ! roce_wait_listen "$PORT"; then
		kill -9 "$spid" 2>/dev/null
		wait "$spid"
		sed 's/^/# server: /' "$srv"
		ktap_not_ok "$name" "server never listened"
		return
	fi
	timeout "$RUN_TIMEOUT" "ibv_${type}_pingpong" -d "$ROCE_DEV_A" -i 1 \
		-g "$gid_a" -s "$size" -n "$ITERS" -p "$PORT" -c "$@" 127.0.0.1 \
		>"$cli" 2>&1
	rc_c=$?
	roce_wait_exit "$spid" 30
	rc_s=$?
	if [ "$type" = srq ]; then
		run_counters_end "$name" "$SRQ_MAY_MOVE"
	else
		run_counters_end "$name"
	fi
	ktap_info "$name: client exit $rc_c, server exit $rc_s, $(($(date +%s) - start)) s"
	if [ "$rc_c" -eq 0 ] && [ "$rc_s" -eq 0 ] &&
	   pp_output_ok "$cli" && pp_output_ok "$srv"; then
		grep -h 'usec/iter' "$cli" | sed 's/^/# client: /'
		ktap_ok "$name"
	else
		sed 's/^/# client: /' "$cli"
		sed 's/^/# server: /' "$srv"
		ktap_not_ok "$name" "client exit $rc_c, server exit $rc_s"
	fi
}

for r in $RUNS; do
	IFS=: read -r type size opt <<<"$r"
	[ "$size" = MTU ] && size=$mtu
	for fam in 4 6; do
		# shellcheck disable=SC2086
		pp_run "$type" "$size" "$fam" $opt
	done
done

# verify_xfer DEV_A DEV_B FAMILY: its KTAP as diagnostics, one result.
xfer_run() {
	local name="verify_xfer IPv$1: SEND and RDMA WRITE both ways, 4 sizes, every byte checked"
	run_counters_begin
	timeout "$RUN_TIMEOUT" "$dir/verify_xfer" "$ROCE_DEV_A" "$ROCE_DEV_B" "$1" >"$LOG.xfer" 2>&1
	local rc=$?
	run_counters_end "verify_xfer IPv$1"
	sed 's/^/# /' "$LOG.xfer"
	if [ "$rc" -eq 0 ] && grep -q '^1\.\.17$' "$LOG.xfer" &&
	   [ "$(grep -c '^ok ' "$LOG.xfer")" -eq 17 ]; then
		ktap_ok "$name"
	else
		ktap_not_ok "$name" "exit $rc"
	fi
}
xfer_run 4
xfer_run 6

# Over the whole test, only the srq runs' allowance (each run checked above).
if assert_no_recovery /tmp/pingpong.counters "$SRQ_MAY_MOVE" &&
   [ -z "$moved_runs" ]; then
	ktap_ok "lossless veth: no retransmission, NAK, RNR or drop counted in any run"
else
	ktap_not_ok "lossless veth: no retransmission, NAK, RNR or drop counted in any run" \
		"moved in:${moved_runs:- between runs}"
fi
roce_devs_down
ktap_finish
