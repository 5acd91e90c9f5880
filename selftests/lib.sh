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
