#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rping (librdmacm: rdma_cm connection, SEND + RDMA READ + RDMA WRITE per
# ping) between two RoCE devices on the two ends of a veth (roce_net.sh):
# server bound to ${DRIVER}1's address, client bound to ${DRIVER}0's, over
# IPv4, at rping's smallest size (23), 4096 and its largest
# (65535), with data validation (-V); once more with -q (rping's own QP,
# moved through its states by rping, not by rdma_cm). A run passes when
# both ends exit 0 and the client printed every ping's data.
# SROCE_TEST_DRIVER=rxe runs the same against stock rdma_rxe.
#
# IPv6 between two devices of one namespace needs one more pair of policy
# rules. On a REQ, the passive side's rdma_cm checks that the client's
# address is reached through the netdev the REQ came in on
# (validate_ipv6_net_dev: rt6_lookup of the source address with that
# netdev as oif, no iif). roce_net.sh's rules only cover locally generated
# packets (iif lo), so that lookup found the client's address in the local
# table, on the other veth, and the CM rejected every IPv6 connection
# ("RDMA CM: REJECTED: consumer defined", with stock rxe too; seen with
# the fib6_table_lookup trace event). The rules below (pref 999) send a
# lookup of the other end's address with this end's veth as oif to this
# end's table, whose route is that veth. Received packets (no oif) and
# packets sent out of the other veth are not affected. rping over IPv6
# also runs between two guests: pair_traffic.sh (sroce to sroce) and
# pair_interop.sh (sroce to rdma_rxe).
dir=$(dirname "$0")
. "$dir/lib.sh"
. "$dir/roce_net.sh"

COUNT=${SROCE_TEST_RPING_COUNT:-20}
RUN_TIMEOUT=90
PORT=7170
LOG=/tmp/rping
RUNS="23 4096 65535 4096:-q"

nruns=0
for r in $RUNS; do
	nruns=$((nruns + 2))
done
ktap_plan $((nruns + 2))

no_devices() {
	for ((i = 0; i < nruns; i++)); do
		ktap_not_ok "rping run $i" "no devices"
	done
	ktap_not_ok "lossless veth: no retransmission, NAK, RNR or drop counted in any run" "no devices"
}
roce_suite_devs_up no_devices
CM6_RULE_PREF=999
cm6_rules() {
	ip -6 rule "$1" pref "$CM6_RULE_PREF" to "$IP6_A/128" oif "$VETH_B" table "$ROCE_TABLE_B" &&
	ip -6 rule "$1" pref "$CM6_RULE_PREF" to "$IP6_B/128" oif "$VETH_A" table "$ROCE_TABLE_A"
}
cm6_rules add || ktap_info "could not add the pref $CM6_RULE_PREF rules"
# The veth loses nothing: every counter of recovery stays where it was.
counters_snapshot /tmp/rping.counters "$ROCE_DEV_A" "$ROCE_DEV_B"

listening() {
	rdma res show cm_id 2>/dev/null | grep -Eq "state LISTEN.*[:.]$PORT( |$)"
}

# rping_run SIZE FAMILY [OPT]
rping_run() {
	local size=$1 fam=$2 opt=$3 srv_addr cli_addr name spid rc_c rc_s pings start

	if [ "$fam" = 6 ]; then
		srv_addr=$IP6_B cli_addr=$IP6_A
	else
		srv_addr=$IP_B cli_addr=$IP_A
	fi
	name="rping -S $size -C $COUNT -V${opt:+ $opt} IPv$fam"
	PORT=$((PORT + 1))
	roce_kill_traffic
	start=$(date +%s)
	# shellcheck disable=SC2086
	timeout "$RUN_TIMEOUT" rping -s -a "$srv_addr" -p "$PORT" -C "$COUNT" \
		-S "$size" -V $opt >"$LOG.srv" 2>&1 &
	spid=$!
	if ! wait_for 20 listening; then
		roce_wait_exit "$spid" 1
		sed 's/^/# server: /' "$LOG.srv"
		ktap_not_ok "$name" "server never listened"
		return
	fi
	# shellcheck disable=SC2086
	timeout "$RUN_TIMEOUT" rping -c -a "$srv_addr" -I "$cli_addr" -p "$PORT" \
		-C "$COUNT" -S "$size" -V -v $opt >"$LOG.cli" 2>&1
	rc_c=$?
	roce_wait_exit "$spid" 30
	rc_s=$?
	pings=$(grep -c '^ping data: rdma-ping-' "$LOG.cli")
	ktap_info "$name: client exit $rc_c ($pings pings), server exit $rc_s, $(($(date +%s) - start)) s"
	if [ "$rc_c" -eq 0 ] && [ "$rc_s" -eq 0 ] && [ "$pings" -eq "$COUNT" ] &&
	   ! grep -qi 'mismatch\|error\|fail' "$LOG.cli" "$LOG.srv"; then
		ktap_ok "$name"
	else
		grep -v '^ping data: ' "$LOG.cli" | head -n 20 | sed 's/^/# client: /'
		head -n 20 "$LOG.srv" | sed 's/^/# server: /'
		ktap_not_ok "$name" "client exit $rc_c, $pings of $COUNT pings, server exit $rc_s"
	fi
}

for r in $RUNS; do
	IFS=: read -r size opt <<<"$r"
	for fam in 4 6; do
		rping_run "$size" "$fam" "$opt"
	done
done

ktap_check "lossless veth: no retransmission, NAK, RNR or drop counted in any run" \
	assert_no_recovery /tmp/rping.counters
cm6_rules del
roce_devs_down
ktap_finish
