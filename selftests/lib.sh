#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Shared helpers for sroce selftests: KTAP output and guest set-up.
# Sourced by every test; tests run as root inside the test guest.

KSFT_PASS=0
KSFT_FAIL=1
KSFT_SKIP=4

ktap_n=0
ktap_pass=0
ktap_fail=0
ktap_skip=0

ktap_plan() {
	echo "TAP version 13"
	echo "1..$1"
}

ktap_info() {
	echo "# $*"
}

ktap_ok() {
	ktap_n=$((ktap_n + 1))
	ktap_pass=$((ktap_pass + 1))
	echo "ok $ktap_n $1"
}

ktap_not_ok() {
	ktap_n=$((ktap_n + 1))
	ktap_fail=$((ktap_fail + 1))
	echo "not ok $ktap_n $1${2:+ # $2}"
}

ktap_skip() {
	ktap_n=$((ktap_n + 1))
	ktap_skip=$((ktap_skip + 1))
	echo "ok $ktap_n $1 # SKIP $2"
}

# ktap_xfail NAME REASON: an expected failure, KTAP v1's XFAIL directive
# as kselftest's ksft_test_result_xfail prints it ("ok N NAME # XFAIL
# REASON"): a documented unsupported feature, neither a pass nor a skip.
# Counted apart (ktap_xfails); ktap_finish treats it as neither.
ktap_xfails=0
ktap_xfail() {
	ktap_n=$((ktap_n + 1))
	ktap_xfails=$((ktap_xfails + 1))
	echo "ok $ktap_n $1 # XFAIL $2"
}

# ktap_check NAME CMD...: one subtest that passes when CMD succeeds.
ktap_check() {
	local name=$1
	shift
	if "$@"; then
		ktap_ok "$name"
	else
		ktap_not_ok "$name" "failed: $*"
	fi
}

# ktap_table TSV NAME: the tab-separated TSV as aligned diagnostic lines,
# and a copy as $SROCE_OUT/NAME when the runner keeps results there.
ktap_table() {
	column -t -s "$(printf '\t')" "$1" 2>/dev/null | sed 's/^/# /' ||
		sed 's/^/# /' "$1"
	if [ -n "${SROCE_OUT:-}" ] && [ -d "$SROCE_OUT" ]; then
		cp "$1" "$SROCE_OUT/$2" 2>/dev/null
	fi
}

# Exit with the kselftest code for what was reported.
ktap_finish() {
	echo "# totals: pass:$ktap_pass fail:$ktap_fail skip:$ktap_skip"
	if [ "$ktap_fail" -gt 0 ]; then
		exit $KSFT_FAIL
	fi
	if [ "$ktap_pass" -eq 0 ] && [ "$ktap_skip" -gt 0 ]; then
		exit $KSFT_SKIP
	fi
	exit $KSFT_PASS
}

# wait_for SECONDS CMD...: poll CMD every 0.1 s until it succeeds.
wait_for() {
	local deadline=$(($(date +%s) + $1))
	shift
	until "$@"; do
		[ "$(date +%s)" -ge "$deadline" ] && return 1
		sleep 0.1
	done
	return 0
}

# Addresses for veth pairs in the test guest (RFC 2544 benchmarking range:
# never routed anywhere, and the guest has no outside network anyway).
VETH_A=veth0
VETH_B=veth1
IP_A=198.18.1.1
IP_B=198.18.1.2
IP6_A=2001:db8:1::1
IP6_B=2001:db8:1::2

veth_setup() {
	ip link add "$VETH_A" type veth peer name "$VETH_B" || return 1
	ip addr add "$IP_A/24" dev "$VETH_A"
	ip addr add "$IP_B/24" dev "$VETH_B"
	ip -6 addr add "$IP6_A/64" dev "$VETH_A" nodad
	ip -6 addr add "$IP6_B/64" dev "$VETH_B" nodad
	ip link set "$VETH_A" up
	ip link set "$VETH_B" up
}

veth_teardown() {
	ip link del "$VETH_A" 2>/dev/null
	return 0
}

# Every sroce device and every rxe link gone, veths removed.
rdma_links_clear() {
	local dev
	for dev in $(rdma_dev_names); do
		rdma link delete "$dev" 2>/dev/null
	done
}

rdma_dev_names() {
	ls /sys/class/infiniband 2>/dev/null
}

rdma_dev_exists() {
	[ -e "/sys/class/infiniband/$1" ]
}

rdma_dev_gone() {
	! rdma_dev_exists "$1"
}

# The port state word (ACTIVE, DOWN, ...) as `rdma link` prints it.
rdma_port_state() {
	rdma link show "$1/1" 2>/dev/null |
		sed -n 's/.* state \([A-Z_]*\) .*/\1/p'
}

port_state_is() {
	[ "$(rdma_port_state "$1")" = "$2" ]
}

module_loaded() {
	[ -d "/sys/module/$1" ]
}

sroce_ensure_loaded() {
	module_loaded sroce || modprobe sroce
}

# kmod_for DIR FILE: the test module selftests/DIR/FILE built for the
# running kernel (the 6.12 builds live in selftests/kbuild-<release>/).
kmod_for() {
	local st
	st=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	if [ -e "$st/kbuild-$(uname -r)/$1/$2" ]; then
		echo "$st/kbuild-$(uname -r)/$1/$2"
	else
		echo "$st/$1/$2"
	fi
}

# Leaves the guest as a test expects to find it: sroce loaded, no devices.
sroce_reset() {
	rdma_links_clear
	module_loaded rdma_rxe && modprobe -r rdma_rxe
	veth_teardown
	sroce_ensure_loaded
}

# dmesg lines printed since the mark.
dmesg_mark() {
	dmesg_mark_lines=$(dmesg | wc -l)
}

dmesg_since_mark() {
	dmesg | tail -n +"$((dmesg_mark_lines + 1))"
}

# ibv_asyncwatch on DEV in the background, line-buffered into
# /tmp/asyncwatch.log; returns once it has its user context open.
asyncwatch_start() {
	: >/tmp/asyncwatch.log
	stdbuf -oL ibv_asyncwatch -d "$1" >/tmp/asyncwatch.log 2>&1 &
	asyncwatch_pid=$!
	wait_for 20 grep -q "async event FD" /tmp/asyncwatch.log
}

asyncwatch_stop() {
	kill "$asyncwatch_pid" 2>/dev/null
	wait "$asyncwatch_pid" 2>/dev/null
	return 0
}

# Counters of DEV's port 1 that stay at zero when nothing is lost, late,
# repeated or refused: retransmissions (timer or NAK go-back), sequence and
# duplicate detection, NAKs, RNR, and every drop. Names that a driver does
# not have are left out (stock rxe has fewer), but a device without any
# hw_counters directory makes counters_snapshot fail.
RECOVERY_COUNTERS="retransmits retransmitted_pkts rcvd_seq_err
completer_retry_err duplicate_request out_of_seq_request out_of_sequence
naks_sent naks_rcvd rcvd_rnr_err send_rnr_err retry_exceeded_err
retry_rnr_exceeded_err send_err tx_drop rx_drop_short rx_drop_bad_icrc
rx_drop_bad_header rx_drop_bad_opcode rx_drop_no_qp rx_drop_qp_state
rx_drop_msg rx_drop_stale_resp rx_drop_no_access rx_drop_backlog"

# counters_read DEV...: "DEV NAME VALUE" for each recovery counter present.
counters_read() {
	local dev name dir
	for dev in "$@"; do
		dir=/sys/class/infiniband/$dev/ports/1/hw_counters
		[ -d "$dir" ] || { echo "# $dev: no $dir" >&2; return 1; }
		for name in $RECOVERY_COUNTERS; do
			[ -r "$dir/$name" ] && echo "$dev $name $(cat "$dir/$name")"
		done
	done
	return 0
}

# counters_snapshot FILE DEV...: saves the recovery counters of the devices.
counters_snapshot() {
	local file=$1
	shift
	counters_read "$@" >"$file" && [ -s "$file" ]
}

# assert_no_recovery FILE [EXCEPT...]: none of the counters saved in FILE
# moved, except those named (each exception must say why at its caller).
# Prints every counter that moved; fails on a move, an unreadable device or
# an empty snapshot. (POSIX sh: C tests source this file through system().)
assert_no_recovery() {
	local file=$1 now devs
	shift
	[ -s "$file" ] || { echo "# no counter snapshot in $file"; return 1; }
	devs=$(cut -d' ' -f1 "$file" | sort -u)
	# shellcheck disable=SC2086
	now=$(counters_read $devs) || { echo "# counters unreadable"; return 1; }
	echo "$now" | awk -v allow=" $* " -v snap="$file" '
		BEGIN { while ((getline l < snap) > 0) { split(l, f, " "); old[f[1] " " f[2]] = f[3] } }
		{
			k = $1 " " $2
			if (old[k] == $3)
				next
			if (index(allow, " " $2 " ")) {
				printf "# %s %s: %s -> %s (allowed here)\n", $1, $2, old[k], $3
				next
			}
			printf "# %s %s: %s -> %s\n", $1, $2, old[k], $3
			bad = 1
		}
		END { exit bad }'
}
