#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# UD multicast on two RoCE devices on the two ends of a veth pair
# (roce_net.sh). First selftests/mcast_ud, through ibv_attach_mcast and
# ibv_detach_mcast: IPv4 and IPv6 groups, several QPs of one device and QPs
# of both devices in one group, exact message counts and payloads per QP,
# the Q_Key per QP, no loopback to the sending device, the group on the
# netdevs (ip maddr) exactly while a QP of theirs is attached, detach,
# destroy while attached, a process killed while attached, and the limits
# the device reports enforced. Then rdma_cm's mckey (rdma_join_multicast,
# rdma_leave_multicast): one sender, three receiving QPs, every message
# delivered to each, the group left when both exit.
#
# SROCE_TEST_DRIVER=rxe runs it on stock rdma_rxe.
# shellcheck source-path=SCRIPTDIR
dir=$(cd "$(dirname "$0")" && pwd)
. "$dir/lib.sh"
. "$dir/roce_net.sh"

UD_TESTS=25		# what mcast_ud plans
MCKEY_MSGS=20
MCKEY_QPS=3
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

no_devices() {
	local i
	for ((i = 0; i < UD_TESTS + 4; i++)); do
		ktap_not_ok "no devices"
	done
}

# relay_ktap FILE: FILE's KTAP results as ours, its diagnostics as they are.
relay_ktap() {
	local line
	while IFS= read -r line; do
		case $line in
		"TAP version"* | 1..*) ;;
		"ok "*"# SKIP"*)
			line=${line#ok [0-9]* }
			ktap_skip "${line%% # SKIP*}" "${line#* # SKIP }"
			;;
		"ok "*) ktap_ok "${line#ok [0-9]* }" ;;
		"not ok "*) ktap_not_ok "${line#not ok [0-9]* }" ;;
		*) echo "$line" ;;
		esac
	done <"$1"
}

# mckey_pair FAMILY GROUP BIND_RX BIND_TX: a receiver with MCKEY_QPS QPs on
# device B, then a sender on A; prints why it failed, if it did.
mckey_pair() {
	local group=$2 rx_bind=$3 tx_bind=$4 rx tx

	timeout 40 stdbuf -oL mckey -m "$group" -b "$rx_bind" -c "$MCKEY_QPS" \
		-C "$MCKEY_MSGS" >"$tmp/rx.log" 2>&1 &
	rx=$!
	# the receiver's QPs are attached once each has its join event
	wait_for 15 sh -c "[ \$(grep -c 'joined dgid' '$tmp/rx.log') -ge $MCKEY_QPS ] || ! kill -0 $rx 2>/dev/null"
	if [ "$(grep -c 'joined dgid' "$tmp/rx.log")" -lt "$MCKEY_QPS" ]; then
		kill "$rx" 2>/dev/null
		wait "$rx"
		sed 's/^/# rx: /' "$tmp/rx.log"
		return 1
	fi
	if ! ip maddr show dev "$VETH_B" | grep -qw "$group"; then
		echo "# $VETH_B has not joined $group while mckey runs"
		kill "$rx" 2>/dev/null
		wait "$rx"
		return 1
	fi
	timeout 30 stdbuf -oL mckey -m "$group" -b "$tx_bind" -s -C "$MCKEY_MSGS" \
		>"$tmp/tx.log" 2>&1
	tx=$?
	wait "$rx"
	rx=$?
	sed 's/^/# tx: /' "$tmp/tx.log"
	sed 's/^/# rx: /' "$tmp/rx.log"
	[ "$tx" -eq 0 ] && [ "$rx" -eq 0 ] &&
		grep -q 'data transfers complete' "$tmp/rx.log" &&
		grep -q 'data transfers complete' "$tmp/tx.log"
}

group_left() {
	! ip maddr show dev "$VETH_A" | grep -qw "$1" &&
	! ip maddr show dev "$VETH_B" | grep -qw "$1"
}

ktap_plan $((1 + UD_TESTS + 5))
roce_suite_devs_up no_devices

"$dir/mcast_ud" "$ROCE_DEV_A" "$ROCE_DEV_B" "$VETH_A" "$VETH_B" \
	"$IP_A" "$IP_B" "$IP6_A" "$IP6_B" >"$tmp/ud.log" 2>&1
ud_rc=$?
relay_ktap "$tmp/ud.log"
n_ud=$(grep -cE '^(not )?ok ' "$tmp/ud.log")
[ "$ud_rc" -eq 0 ] || echo "# mcast_ud exited $ud_rc"
ktap_check "mcast_ud reported all $UD_TESTS results" [ "$n_ud" -eq "$UD_TESTS" ]

if mckey_pair 4 239.1.4.1 "$IP_B" "$IP_A"; then
	ktap_ok "mckey IPv4 239.1.4.1: $MCKEY_MSGS messages from $ROCE_DEV_A reach each of $MCKEY_QPS QPs of $ROCE_DEV_B"
else
	ktap_not_ok "mckey IPv4 239.1.4.1: $MCKEY_MSGS messages from $ROCE_DEV_A reach each of $MCKEY_QPS QPs of $ROCE_DEV_B"
fi
ktap_check "mckey IPv4: both netdevs left 239.1.4.1 after rdma_leave_multicast" \
	wait_for 10 group_left 239.1.4.1

# ib_core 6.1's rdma_cm refuses RoCE v2 IPv6 groups itself
# (cma_iboe_join_multicast: -ENOTSUPP) before any driver is asked.
if mckey_pair 6 ff0e::4791:41 "$IP6_B" "$IP6_A"; then
	ktap_ok "mckey IPv6 ff0e::4791:41: $MCKEY_MSGS messages reach each of $MCKEY_QPS QPs"
elif grep -q 'failure joining' "$tmp/rx.log"; then
	ktap_xfail "mckey IPv6 ff0e::4791:41" "ib_core 6.1's rdma_cm refuses RoCE v2 IPv6 multicast joins (ENOTSUPP); ibv_attach_mcast IPv6 is tested above"
else
	ktap_not_ok "mckey IPv6 ff0e::4791:41: $MCKEY_MSGS messages reach each of $MCKEY_QPS QPs"
fi
ktap_check "mckey IPv6: no netdev left in ff0e::4791:41" \
	wait_for 10 group_left ff0e::4791:41

roce_devs_down
ktap_finish
