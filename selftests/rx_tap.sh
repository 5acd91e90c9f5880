#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Verified RC traffic under a packet tap (tcpdump: AF_PACKET) on both
# veths. The tap sees each frame before sroce's rx handler does, and
# sroce's zero-copy frames arrive non-linear: the handler must take the
# skb as its own (skb_share_check) before it pulls or trims, and leave the
# tap's copy alone. selftests/lossy runs WRITE, READ, SEND, ATOMIC and a mix
# with every byte checked, and no frame may be dropped as unreadable. (A
# GRO/GSO super-frame is forge's item 9 case: UDP GRO on a veth never merges
# RoCEv2 datagrams, whose UDP checksum is 0.)
# shellcheck source-path=SCRIPTDIR
dir=$(cd "$(dirname "$0")" && pwd)
. "$dir/lib.sh"
. "$dir/roce_net.sh"

LOSSY=$dir/lossy
CAP=/tmp/rx_tap.pcap
LOG=/tmp/rx_tap.log
# Counters that must not move: a frame sroce could not read (a shared or
# non-linear skb pulled or trimmed wrongly), or a QP that gave up. The
# recovery counters (retransmits, duplicates, stale responses) are only
# shown: under a tap, a loaded TCG guest can hold a frame past the 67 ms
# retransmit timeout, and go-back-N then repeats what was in flight.
QUIET_CNT="retry_exceeded_err rx_drop_short rx_drop_bad_icrc
rx_drop_bad_header rx_drop_bad_opcode rx_drop_no_qp rx_drop_qp_state
rx_drop_msg rx_drop_no_access tx_drop"
SHOWN_CNT="retransmits retransmitted_pkts duplicate_request rcvd_seq_err
out_of_seq_request rx_drop_stale_resp"

ktap_plan 3
no_devices() {
	local i

	for i in 1 2; do
		ktap_not_ok "rx tap" "no devices"
	done
}
roce_suite_devs_up no_devices
export SROCE_TEST_DEV_A=$ROCE_DEV_A SROCE_TEST_DEV_B=$ROCE_DEV_B

cnt_total() { # NAME: NAME summed over both devices
	local dev v s=0

	for dev in "$ROCE_DEV_A" "$ROCE_DEV_B"; do
		v=0
		[ -r "/sys/class/infiniband/$dev/ports/1/hw_counters/$1" ] &&
			read -r v <"/sys/class/infiniband/$dev/ports/1/hw_counters/$1"
		s=$((s + v))
	done
	echo "$s"
}

declare -A before
cnt_mark() {
	local c

	for c in $QUIET_CNT $SHOWN_CNT; do
		before[$c]=$(cnt_total "$c")
	done
}

# Prints the quiet counters that moved since cnt_mark; fails if any did.
cnt_moved() {
	local c d moved=

	for c in $SHOWN_CNT; do
		d=$(($(cnt_total "$c") - ${before[$c]}))
		[ "$d" != 0 ] && echo "# recovery (shown only): $c=$d" >&2
	done
	for c in $QUIET_CNT; do
		d=$(($(cnt_total "$c") - ${before[$c]}))
		[ "$d" != 0 ] && moved+=" $c=$d"
	done
	[ -z "$moved" ] && return 0
	echo "counters moved:$moved"
	return 1
}

# verified_run LABEL: lossy's workloads; one KTAP result for all of them.
verified_run() {
	local label=$1 rc moved

	cnt_mark
	timeout 120 "$LOSSY" -n 60 -t 5 write read send atomic mixed >"$LOG" 2>&1
	rc=$?
	sed 's/^/# /' "$LOG"
	moved=$(cnt_moved)
	if [ "$rc" = 0 ] && [ -z "$moved" ]; then
		ktap_ok "$label"
	else
		ktap_not_ok "$label" "lossy exit $rc; $moved"
	fi
}

tap_start() {
	rm -f "$CAP"
	tcpdump -i "$VETH_B" -nn -U -s 128 -w "$CAP" udp port 4791 \
		>/dev/null 2>&1 &
	tap_pid=$!
	tcpdump -i "$VETH_A" -nn -U -s 128 -w /dev/null udp port 4791 \
		>/dev/null 2>&1 &
	tap2_pid=$!
	# tcpdump has its socket once the capture file exists
	wait_for 10 test -s "$CAP"
}

tap_stop() {
	kill "$tap_pid" "$tap2_pid" 2>/dev/null
	wait "$tap_pid" "$tap2_pid" 2>/dev/null
}

tap_start
verified_run "verified traffic under a packet tap (shared, non-linear skbs)"
tap_stop

# and the tap saw the transfer
n=$(tcpdump -r "$CAP" -nn 2>/dev/null | wc -l)
if [ "$n" -gt 1000 ]; then
	ktap_ok "the tap saw the traffic ($n frames on $VETH_B)"
else
	ktap_not_ok "the tap saw the traffic" "$n frames captured"
fi

roce_devs_down
ktap_finish
