#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tools/guest/bench.sh DRIVER PLAN: one benchmark boot (tools/bench runs it
# with tools/vm-run --no-sroce). DRIVER is sroce or rxe; PLAN is a file
# written by tools/bench, one cell a line:
#
#   MTU TEST SIZE QPS ARG TIMEOUT
#
# TEST is a perftest program (ib_{write,read,send}_{bw,lat}), iperf3, or
# fio_randwrite / fio_randread: fio on NVMe over Fabrics (nvme-rdma host on
# the first device, nvmet-rdma target with a brd ramdisk on the second:
# selftests/nvme_lib.sh) at block size SIZE, every block written read back
# and checked, every block read checked (crc32c; a read cell checks what
# the write cell of its size wrote, so it runs after it). ARG is perftest's
# iteration count (-n, per QP), iperf3's duration (-t, in seconds) or fio's
# (--runtime); TIMEOUT bounds each client and server, in seconds. (perftest's
# duration mode, -D, reports nonsense with -q 8 under TCG: a few hundred
# iterations counted of thousands done. Iterations it is, everywhere.)
# Cells run in the order given; the veth MTU changes (and the two devices
# are added again) whenever MTU does. For every cell one line goes to
# stdout and to $SROCE_OUT/results.txt:
#
#   bench-result mtu=M test=T size=S qps=Q status=ok|fail|timeout|skipped value=V tries=N secs=S note=...
#
# V is MiB/s (perftest's "BW average", iperf3's received rate, fio's
# bandwidth of the measured direction, verification reads left out) or usec
# (perftest's t_typical). A cell that fails is reported, never left out;
# after three hung RDMA cells in a row the remaining RDMA cells are
# reported as skipped without running. A run whose perftest client failed
# its CPU clock calibration ("Correlation coefficient", seen under TCG) is
# run again, up to three tries (tries=N says how many). Client and server
# logs of every cell are kept in $SROCE_OUT/cells/.
set -uo pipefail

# shellcheck source=../../selftests/lib.sh
. "$SROCE_REPO/selftests/lib.sh"
# shellcheck source=roce-net.sh
. "$SROCE_REPO/tools/guest/roce-net.sh"
# shellcheck source=../../selftests/nvme_lib.sh
. "$SROCE_REPO/selftests/nvme_lib.sh"

[ $# -eq 2 ] || { echo "usage: $0 sroce|rxe PLAN" >&2; exit 2; }
DRIVER=$1
PLAN=$2
case $DRIVER in
sroce) MODULE=sroce ;;
rxe) MODULE=rdma_rxe ;;
*) echo "bench.sh: DRIVER must be sroce or rxe, not '$DRIVER'" >&2; exit 2 ;;
esac
[ -r "$PLAN" ] || { echo "bench.sh: cannot read plan $PLAN" >&2; exit 2; }

OUT=${SROCE_OUT:-/tmp}
RESULTS=$OUT/results.txt
CELLS=$OUT/cells
mkdir -p "$CELLS"
: >"$RESULTS"
DEV_A=${DRIVER}0
DEV_B=${DRIVER}1
HANG_LIMIT=3

emit() {
	echo "$*"
	echo "$*" >>"$RESULTS"
}

# Builtins only: under TCG every exec costs a noticeable fraction of a second.
now() { echo "${EPOCHREALTIME/,/.}"; }
elapsed() {
	local us=$((${EPOCHREALTIME/[.,]/} - ${1/./}))
	printf '%d.%d' $((us / 1000000)) $((us % 1000000 / 100000))
}
log() { echo "bench: [$(elapsed "$T_START")s] $*"; }

# wait_pid PID SECONDS: reap PID, killing it (and its children) after SECONDS.
wait_pid() {
	local deadline=$((SECONDS + $2))

	while kill -0 "$1" 2>/dev/null; do
		if [ $SECONDS -ge $deadline ]; then
			pkill -9 -P "$1" 2>/dev/null
			kill -9 "$1" 2>/dev/null
			break
		fi
		sleep 0.2
	done
	wait "$1" 2>/dev/null
}

listening() { ss -Hltn "sport = :$1" | grep -q .; }

# iperf3_value LOG: the receiver's rate (iperf3 -f m: Mbit/s) in MiB/s.
iperf3_value() {
	awk '/receiver$/ && $(NF - 1) == "Mbits/sec" {
		printf "%.2f\n", $(NF - 2) * 1e6 / 8 / 1048576; exit }' "$1"
}

# NVMe over Fabrics for the fio cells: set up at the first of them on a
# pair of devices (nvmf_up), torn down before the devices go (nvmf_down).
nvmf_state=down
nvmf_up() {
	[ "$nvmf_state" = up ] && return 0
	[ "$nvmf_state" = down ] ||
		{ echo "NVMe over RDMA set-up failed in an earlier cell"; return 1; }
	nvmf_state=failed
	if [ -n "$(nvmf_missing)" ]; then
		echo "missing: $(nvmf_missing | paste -sd, -)"
		return 1
	fi
	nvmf_module_load nvmet && nvmf_module_load nvmet-rdma &&
		nvmf_module_load nvme-rdma && nvmf_ram_up && nvmf_target_up &&
		nvmf_connect || return 1
	log "NVMe over RDMA: $NVMF_CTRL ($(cat "/sys/class/nvme/$NVMF_CTRL/address")), $NVMF_BDEV"
	nvmf_state=up
}

nvmf_down() {
	[ "$nvmf_state" = down ] && return 0
	nvmf_cleanup || log "NVMe over RDMA: teardown incomplete"
	nvmf_state=down
}

# fio_once TEST BS RUNTIME TIMEOUT LOGPREFIX: one fio cell; sets rc, value.
# A write cell is one time-based run (its random writes need not cover the
# region). A read cell first writes the whole region sequentially with its
# block size (not timed), then reads it: fio ends a verifying read after
# one pass, so passes repeat until RUNTIME is spent, and the rate is over
# the passes' summed runtimes.
fio_once() {
	local rw=${1#fio_} bs=$2 runtime=$3 tmo=$4 log=$5 sum end pass=0
	local -a f jsons

	value=
	if ! nvmf_up >"$log.client.log" 2>&1; then
		rc=1
		return
	fi
	if [ "$rw" = randread ]; then
		NVMF_FIO_TIMEOUT=$tmo nvmf_fio "bench-fill-$bs" write "$bs" \
			"${NVMF_BENCH_SIZE:-32M}" 0 "$log.fill.json" --do_verify=0 \
			>"$log.client.log" 2>&1
		rc=$?
		[ $rc -eq 0 ] || return
	fi
	end=$((SECONDS + runtime))
	while :; do
		pass=$((pass + 1))
		jsons+=("$log.fio$pass.json")
		NVMF_FIO_TIMEOUT=$tmo nvmf_fio "bench-$rw-$bs" "$rw" "$bs" \
			"${NVMF_BENCH_SIZE:-32M}" "$runtime" "$log.fio$pass.json" \
			>>"$log.client.log" 2>&1
		rc=$?
		[ $rc -eq 0 ] || return
		[ "$rw" = randread ] && [ $SECONDS -lt $end ] || break
	done
	if ! sum=$(nvmf_fio_summary "${jsons[@]}" 2>>"$log.client.log"); then
		rc=1
		return
	fi
	echo "fio: $pass pass(es): $sum" >>"$log.client.log"
	# write_iops W write_kib_s W read_iops R read_kib_s R write_bytes B read_bytes B errors E
	read -r -a f <<<"$sum"
	if [ "${f[13]}" -ne 0 ]; then
		echo "fio counted ${f[13]} errors" >>"$log.client.log"
		rc=1
		return
	fi
	case $rw in
	randwrite) value=$(awk -v k="${f[3]}" 'BEGIN { printf "%.2f", k / 1024 }') ;;
	*) value=$(awk -v k="${f[7]}" 'BEGIN { printf "%.2f", k / 1024 }') ;;
	esac
}

# run_once TEST SIZE QPS ARG TIMEOUT PORT LOGPREFIX: one client/server run.
# Sets rc (the client's exit status; 124 or 137 when it hung) and value.
run_once() {
	local test=$1 size=$2 qps=$3 arg=$4 tmo=$5 port=$6 log=$7 srv
	local -a s_args c_args

	value=
	case $test in
	fio_*)
		fio_once "$test" "$size" "$arg" "$tmo" "$log"
		return
		;;
	esac
	if [ "$test" = iperf3 ]; then
		s_args=(iperf3 -s -1 -B "$IP_B" -p "$port")
		c_args=(iperf3 -c "$IP_B" -B "$IP_A" -p "$port" -t "$arg" -f m)
	else
		s_args=("$test" -d "$DEV_B" -x "$RN_GID_B" -F -s "$size" -p "$port" -n "$arg")
		case $test in *_bw) s_args+=(-q "$qps") ;; esac
		c_args=("${s_args[@]}" "$IP_B")
		c_args[2]=$DEV_A
		c_args[4]=$RN_GID_A
	fi
	timeout -k 5 "$tmo" "${s_args[@]}" </dev/null >"$log.server.log" 2>&1 &
	srv=$!
	if ! wait_for 20 listening "$port"; then
		echo "server did not listen on port $port" >"$log.client.log"
		wait_pid "$srv" 1
		rc=1
		return
	fi
	timeout -k 5 "$tmo" "${c_args[@]}" </dev/null >"$log.client.log" 2>&1
	rc=$?
	wait_pid "$srv" 15
	[ $rc -eq 0 ] || return
	if [ "$test" = iperf3 ]; then
		value=$(iperf3_value "$log.client.log")
	else
		value=$(rn_perftest_value "$test" "$size" "$log.client.log")
	fi
}

# Why a run failed, in a few words from its logs (no spaces: key=value).
fail_note() {
	local line
	line=$(grep -v '^[[:space:]-]*$' "$1.client.log" 2>/dev/null | grep -iE 'error|fail|unable|couldn|not |timed out' | tail -n 1)
	[ -n "$line" ] || line=$(grep -v '^[[:space:]-]*$' "$1.client.log" 2>/dev/null | tail -n 1)
	echo "${line:-no output}" | tr -s ' \t' '__' | cut -c1-100
}

cell_no=0
hangs=0
run_cell() { # MTU TEST SIZE QPS ARG TIMEOUT
	local mtu=$1 test=$2 size=$3 qps=$4 arg=$5 tmo=$6
	local tag t0 tries=0 status note='' log port calib
	local key="mtu=$mtu test=$test size=$size qps=$qps"

	cell_no=$((cell_no + 1))
	tag=$(printf '%03d-%s-%s-q%s-mtu%s' "$cell_no" "$test" "$size" "$qps" "$mtu")
	log=$CELLS/$tag
	if [ "$test" != iperf3 ]; then
		if [ -n "$setup_error" ]; then
			emit "bench-result $key status=fail value= tries=0 secs=0 note=$setup_error"
			return
		fi
		if [ $hangs -ge $HANG_LIMIT ]; then
			emit "bench-result $key status=skipped value= tries=0 secs=0 note=not_run_after_$HANG_LIMIT-hung_cells_in_a_row"
			return
		fi
	fi
	t0=$(now)
	while :; do
		tries=$((tries + 1))
		port=$((18600 + cell_no * 4 + tries))
		run_once "$test" "$size" "$qps" "$arg" "$tmo" "$port" "$log"
		# perftest's CPU clock calibration fails now and then under TCG; the
		# client then reports with a wrong clock (inf, or a bogus number).
		calib=0
		rn_clock_failed "$log.client.log" && calib=1
		if [ $calib -eq 1 ] && [ $tries -lt 3 ]; then
			mv "$log.client.log" "$log.try$tries.client.log"
			mv "$log.server.log" "$log.try$tries.server.log"
			continue
		fi
		break
	done
	if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
		status=timeout note="no_result_after_${tmo}s"
		[ "$test" = iperf3 ] || hangs=$((hangs + 1))
	elif [ $rc -ne 0 ]; then
		status=fail note="exit_$rc:$(fail_note "$log")"
		hangs=0
	elif [ $calib -eq 1 ]; then
		status=fail note="perftest_clock_calibration_failed_${tries}_times" value=
		hangs=0
	elif ! rn_positive "$value"; then
		status=fail note="no_valid_result_in_the_report:${value:-none}" value=
		hangs=0
	else
		status=ok
		[ "$test" = iperf3 ] || hangs=0
	fi
	emit "bench-result $key status=$status value=$value tries=$tries secs=$(elapsed "$t0") note=$note"
}

# set_mtu MTU: both veth ends at MTU, the devices added again on them.
setup_error=
set_mtu() {
	setup_error=
	nvmf_down
	rdma_links_clear
	if ! ip link set "$VETH_A" mtu "$1" || ! ip link set "$VETH_B" mtu "$1"; then
		setup_error=cannot_set_mtu_$1
		return
	fi
	rn_neigh_pin
	[ -n "$driver_error" ] && { setup_error=$driver_error; return; }
	if ! rn_devs_add "$DRIVER" "$DEV_A" "$DEV_B"; then
		setup_error=rdma_link_add_failed
		return
	fi
	emit "bench-info driver=$DRIVER mtu=$1 active_mtu=$(rn_active_mtu "$DEV_A")" \
		"gid_a=$RN_GID_A gid_b=$RN_GID_B"
}

T_START=$(now)
log "$DRIVER on $VETH_A/$VETH_B, plan $PLAN ($(grep -c '^[0-9]' "$PLAN") cells)"
rn_net_up || { echo "bench.sh: network set-up failed" >&2; exit 1; }
driver_error=
if ! modprobe "$MODULE"; then
	driver_error=modprobe_${MODULE}_failed
fi
emit "bench-info driver=$DRIVER module=$MODULE kernel=$(uname -r)" \
	"srcversion=$(cat "/sys/module/$MODULE/srcversion" 2>/dev/null || echo none)"

cur_mtu=
while read -r mtu test size qps arg tmo _ <&3; do
	case $mtu in '' | '#'*) continue ;; esac
	if [ "$mtu" != "$cur_mtu" ]; then
		log "MTU $mtu: adding $DEV_A and $DEV_B again"
		set_mtu "$mtu"
		log "MTU $mtu: ${setup_error:-devices ready}"
		cur_mtu=$mtu
	fi
	run_cell "$mtu" "$test" "$size" "$qps" "$arg" "$tmo"
done 3<"$PLAN"
nvmf_down
rdma_links_clear
emit "bench-done driver=$DRIVER cells=$cell_no"
