#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# perftest's bandwidth and latency tests between two RoCE devices on the
# two ends of a veth (roce_net.sh): ib_{write,read,send,atomic}_{bw,lat},
# server on ${DRIVER}1, client on ${DRIVER}0. Every test sweeps sizes from
# 1 B to 1 MiB over the IPv4 GID (perftest's -a would go to 8 MiB and has
# no cap, so sizes are run one by one: one process pair each costs ~7 s
# under TCG, hence powers of 16 plus the MTU edge, not every power of 2),
# then one size over the IPv6 GID and one with rdma_cm (-R) over IPv4.
# rdma_cm over IPv6 is not run here: perftest 4.5-0.17 (Debian bookworm,
# the supported set-up) resolves an -R client's server name as IPv4 only
# (--ipv6-addr came later), so it could only ever skip. IPv6 rdma_cm is
# covered by rping over IPv6: pair_traffic.sh (sroce to sroce) and
# pair_interop.sh (sroce to rdma_rxe, both directions), between two guests.
# A run passes
# when both ends exit 0 and the client printed a result line for that size
# with a non-zero bandwidth (latency). perftest's CPU calibration sometimes
# fails under TCG ("Correlation coefficient"): such a run is retried, up to
# 3 times, and the retries are counted in the log.
#
# SROCE_TEST_DRIVER=rxe runs the same against stock rdma_rxe.
# SROCE_TEST_PERF_SWEEP: sizes of the IPv4 sweep of the bandwidth tests.
# SROCE_TEST_PERF_LAT_SWEEP: the same for the latency tests.
# SROCE_TEST_PERF_QUICK: sizes of the IPv6 and -R runs (default 4096).
dir=$(dirname "$0")
. "$dir/lib.sh"
. "$dir/roce_net.sh"

SWEEP=${SROCE_TEST_PERF_SWEEP:-1 16 256 1025 4096 65536 1048576}
LAT_SWEEP=${SROCE_TEST_PERF_LAT_SWEEP:-1 1025 65536 1048576}
QUICK=${SROCE_TEST_PERF_QUICK:-4096}
RUN_TIMEOUT=90
RETRIES=3
PORT=18700
LOG=/tmp/perftest

# The tests: PROGRAM[:EXTRA OPTION]; atomics have a fixed size (8 B).
PROGS="ib_write_bw ib_read_bw ib_send_bw ib_atomic_bw
ib_atomic_bw:CMP_AND_SWAP ib_write_lat ib_read_lat ib_send_lat
ib_atomic_lat ib_atomic_lat:CMP_AND_SWAP"

is_atomic() {
	[[ $1 == ib_atomic_* ]]
}

# The runs, one per line: PROGRAM:OPT FAMILY CM SIZE.
plan_runs() {
	local p s fam cm sweep

	for p in $PROGS; do
		sweep=$SWEEP
		[[ $p == *_lat ]] && sweep=$LAT_SWEEP
		if is_atomic "$p"; then
			echo "$p 4 0 8"
		else
			for s in $sweep; do
				echo "$p 4 0 $s"
			done
		fi
		# IPv4 with rdma_cm, IPv6 over its GID (no IPv6 -R: see the top).
		for fc in "4 1" "6 0"; do
			read -r fam cm <<<"$fc"
			if is_atomic "$p"; then
				echo "$p $fam $cm 8"
				continue
			fi
			for s in $QUICK; do
				echo "$p $fam $cm $s"
			done
		done
	done
}

nruns=$(plan_runs | wc -l)
ktap_plan $((nruns + 2))

no_devices() {
	while read -r p fam cm s; do
		ktap_not_ok "$p -s $s IPv$fam cm=$cm" "no devices"
	done < <(plan_runs)
	ktap_not_ok "lossless veth: no retransmission, NAK, RNR or drop counted in any run" "no devices"
}
roce_suite_devs_up no_devices
# The veth loses nothing: every counter of recovery stays where it was.
counters_snapshot /tmp/perftest.counters "$ROCE_DEV_A" "$ROCE_DEV_B"

# Iterations: few, less for big messages (TCG is ~50x slower than hardware).
iters_for() {
	local prog=$1 size=$2

	if [[ $prog == *_lat ]]; then
		if [ "$size" -ge 262144 ]; then echo 5; else echo 20; fi
	elif [ "$size" -ge 262144 ]; then
		echo 10
	elif [ "$size" -ge 16384 ]; then
		echo 50
	else
		echo 200
	fi
}

calibration_failed() {
	grep -q "Correlation coefficient" "$@"
}

# The server is ready: its TCP port (or with rdma_cm, its listening cm_id).
server_ready() {
	if [ "$1" = 1 ]; then
		rdma res show cm_id 2>/dev/null | grep -Eq "state LISTEN.*[:.]$PORT( |$)"
	else
		ss -Hltn "sport = :$PORT" | grep -q .
	fi
}

# perf_once PROG OPT FAM CM SIZE ITERS: one server/client run; 0 on
# success, 2 when the CPU calibration failed, 1 otherwise. Logs in
# $LOG.srv / $LOG.cli.
perf_once() {
	local prog=$1 opt=$2 fam=$3 cm=$4 size=$5 iters=$6 spid rc_c rc_s
	local -a common srv_args cli_args

	PORT=$((PORT + 1))
	# -u 18: a 1 s retransmission timeout (perftest's 67 ms is short
	# for TCG, where a busy host can stall a guest that long).
	common=(-i 1 -F -u 18 -n "$iters" -p "$PORT")
	is_atomic "$prog" || common+=(-s "$size")
	[ -n "$opt" ] && common+=(-A "$opt")
	if [ "$cm" = 1 ]; then
		common+=(-R)
		srv_args=(-d "$ROCE_DEV_B" "${common[@]}")
		cli_args=(-d "$ROCE_DEV_A" "${common[@]}" "$IP_B")
	else
		if [ "$fam" = 6 ]; then
			srv_args=(-d "$ROCE_DEV_B" -x "$ROCE_GID6_B" "${common[@]}")
			cli_args=(-d "$ROCE_DEV_A" -x "$ROCE_GID6_A" "${common[@]}")
		else
			srv_args=(-d "$ROCE_DEV_B" -x "$ROCE_GID4_B" "${common[@]}")
			cli_args=(-d "$ROCE_DEV_A" -x "$ROCE_GID4_A" "${common[@]}")
		fi
		cli_args+=(127.0.0.1)
	fi
	roce_kill_traffic
	timeout "$RUN_TIMEOUT" "$prog" "${srv_args[@]}" >"$LOG.srv" 2>&1 &
	spid=$!
	if ! wait_for 30 server_ready "$cm"; then
		roce_wait_exit "$spid" 1
		rc_s=$?
		echo "server never got ready (exit $rc_s)" >>"$LOG.srv"
		calibration_failed "$LOG.srv" && return 2
		return 1
	fi
	timeout "$RUN_TIMEOUT" "$prog" "${cli_args[@]}" >"$LOG.cli" 2>&1
	rc_c=$?
	roce_wait_exit "$spid" 30
	rc_s=$?
	echo "client exit $rc_c, server exit $rc_s" >>"$LOG.cli"
	if [ "$rc_c" -eq 0 ] && [ "$rc_s" -eq 0 ] &&
	   roce_perf_result "$LOG.cli" "$prog" "$size" "$iters" >"$LOG.res"; then
		return 0
	fi
	# A failed calibration also yields zero rates with exit status 0.
	calibration_failed "$LOG.srv" "$LOG.cli" && return 2
	return 1
}

total_retries=0
suite_start=$(date +%s)
declare -A prog_time

run_one() {
	local spec=$1 fam=$2 cm=$3 size=$4 prog opt iters name try rc start
	prog=${spec%%:*}
	opt=
	[ "$spec" != "$prog" ] && opt=${spec#*:}
	iters=$(iters_for "$prog" "$size")
	name="$prog${opt:+ -A $opt} -s $size IPv$fam"
	[ "$cm" = 1 ] && name="$name -R"
	start=$(date +%s)
	for ((try = 0; try <= RETRIES; try++)); do
		perf_once "$prog" "$opt" "$fam" "$cm" "$size" "$iters"
		rc=$?
		[ "$rc" -ne 2 ] && break
		total_retries=$((total_retries + 1))
		ktap_info "$name: CPU calibration failed, retry $((try + 1))"
	done
	prog_time[$spec]=$((${prog_time[$spec]:-0} + $(date +%s) - start))
	if [ "$rc" -eq 0 ]; then
		ktap_info "$name:$(tr -s ' \t' ' ' <"$LOG.res")"
		ktap_ok "$name"
	else
		sed 's/^/# client: /' "$LOG.cli"
		sed 's/^/# server: /' "$LOG.srv"
		if [ "$rc" -eq 2 ]; then
			ktap_not_ok "$name" "CPU calibration failed $((RETRIES + 1)) times"
		else
			ktap_not_ok "$name" "failed exit status or no result line for $size B x $iters"
		fi
	fi
}

while read -r spec fam cm size; do
	run_one "$spec" "$fam" "$cm" "$size"
done < <(plan_runs)

for spec in "${!prog_time[@]}"; do
	ktap_info "time: $spec ${prog_time[$spec]} s"
done
ktap_info "calibration retries: $total_retries; all runs: $(($(date +%s) - suite_start)) s"
ktap_check "lossless veth: no retransmission, NAK, RNR or drop counted in any run" \
	assert_no_recovery /tmp/perftest.counters
roce_devs_down
ktap_finish
