#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# RC over a lossy link: netem on BOTH ends of the veth under two RoCE
# devices, and in each cell of impairments the verifying workloads of
# selftests/lossy (write, read, send, atomic, mixed: every byte, the
# completion order and exactly-once atomics checked). One KTAP result per
# cell and workload; each records the time, MB/s, the devices' counter
# deltas (retransmissions, duplicates, drops), netem's drop count and the
# frames the veth pair dropped itself (a full backlog), and a
# table of all of them ends the output (also $SROCE_OUT/lossy-DRIVER.tsv).
#
# By default a CI subset runs (lossless, 1% and 5% loss); with
# SROCE_TEST_LOSSY_FULL=1 the whole matrix. SROCE_TEST_LOSSY_CELLS="c1 c2"
# picks cells by name. SROCE_TEST_DRIVER=rxe runs it on stock rdma_rxe.
# shellcheck source-path=SCRIPTDIR
dir=$(cd "$(dirname "$0")" && pwd)
. "$dir/lib.sh"
. "$dir/roce_net.sh"

LOSSY=$dir/lossy
ALL_WL="write read send atomic mixed"

# name|netem arguments (both directions)|workloads
CELLS_FULL=(
	"none||$ALL_WL"
	"loss1|loss 1%|$ALL_WL"
	"loss5|loss 5%|$ALL_WL"
	"loss10|loss 10%|$ALL_WL"
	"reorder25|delay 4ms reorder 25% 50%|$ALL_WL"
	"dup5|duplicate 5%|$ALL_WL"
	"corrupt1|corrupt 1%|$ALL_WL"
	"combo|delay 2ms reorder 10% loss 2% duplicate 2% corrupt 0.5%|$ALL_WL"
	"rate|rate 40mbit limit 16|$ALL_WL"
	"linkdown|LINKDOWN|$ALL_WL"
)
CELLS_CI=(
	"none||$ALL_WL"
	"loss1|loss 1%|read mixed"
	"loss5|loss 5%|read mixed"
	"rate|rate 40mbit limit 16|write send"
)
# Cells whose link loses nothing (a full queue refuses frames on the
# sender's own side, which it builds again): no retransmit timeout may fire.
# One firing means a stall nothing but the timer ended, e.g. an AckReq
# refused and built again without it.
NO_TIMEOUT_CELLS="none rate"

if [ "${SROCE_TEST_LOSSY_FULL:-0}" = 1 ]; then
	CELLS=("${CELLS_FULL[@]}")
	COUNT=300 SECS=8
else
	CELLS=("${CELLS_CI[@]}")
	COUNT=200 SECS=6
fi
if [ -n "${SROCE_TEST_LOSSY_CELLS:-}" ]; then
	sel=()
	for c in "${CELLS_FULL[@]}"; do
		for want in $SROCE_TEST_LOSSY_CELLS; do
			[ "${c%%|*}" = "$want" ] && sel+=("$c")
		done
	done
	CELLS=("${sel[@]}")
fi

# Counters summed over both devices in the table (names as in sysfs).
TABLE_CNT="retransmits duplicate_request out_of_seq_request completer_retry_err rcvd_seq_err rx_drop_bad_icrc tx_drop"

declare -A cnt_before cnt_delta

# cnt_read ARRAY: every hw counter of both devices into ARRAY[dev:name].
cnt_snapshot() {
	local dev f v
	for dev in "$ROCE_DEV_A" "$ROCE_DEV_B"; do
		for f in /sys/class/infiniband/"$dev"/ports/1/hw_counters/*; do
			[ -f "$f" ] || continue
			read -r v <"$f" 2>/dev/null || continue
			[[ $v =~ ^[0-9]+$ ]] || continue
			if [ "$1" = before ]; then
				cnt_before["$dev:${f##*/}"]=$v
			else
				cnt_delta["$dev:${f##*/}"]=$((v - ${cnt_before["$dev:${f##*/}"]:-0}))
			fi
		done
	done
}

# cnt_sum NAME: NAME's delta summed over both devices ("-" if neither has it).
cnt_sum() {
	local dev s=0 have=0
	for dev in "$ROCE_DEV_A" "$ROCE_DEV_B"; do
		if [ -n "${cnt_delta["$dev:$1"]+x}" ]; then
			s=$((s + cnt_delta["$dev:$1"]))
			have=1
		fi
	done
	[ "$have" = 1 ] && echo "$s" || echo -
}

cnt_nonzero() {
	local k nz=
	for k in "${!cnt_delta[@]}"; do
		[ "${cnt_delta[$k]}" != 0 ] && nz+=" $k=${cnt_delta[$k]}"
	done
	echo "${nz# }" | tr ' ' '\n' | sort | tr '\n' ' '
}

netem_set() {
	local dev
	for dev in "$VETH_A" "$VETH_B"; do
		tc qdisc del dev "$dev" root 2>/dev/null
		if [ -n "$1" ]; then
			# shellcheck disable=SC2086
			tc qdisc add dev "$dev" root netem $1 || return 1
		fi
	done
}

# netem_drops: packets netem dropped on both ends (loss, queue overflow).
netem_drops() {
	local dev d s=0
	for dev in "$VETH_A" "$VETH_B"; do
		d=$(tc -s qdisc show dev "$dev" |
			sed -n 's/.*(dropped \([0-9]*\),.*/\1/p' | head -n 1)
		s=$((s + ${d:-0}))
	done
	echo "$s"
}

# veth_dropped: frames the veth pair dropped itself (a receive backlog
# full): losses on the sender's own side, which netem does not see.
veth_dropped() {
	local dev v s=0
	for dev in "$VETH_A" "$VETH_B"; do
		read -r v <"/sys/class/net/$dev/statistics/tx_dropped" || v=0
		s=$((s + v))
	done
	echo "$s"
}

# The link goes down for 2 s once LOG shows the transfer running.
link_flap() {
	local log=$1
	wait_for 60 grep -q "lossy-start" "$log" || return 1
	sleep 1
	ip link set "$VETH_B" down
	sleep 2
	ip link set "$VETH_B" up
	# Routes and pinned neighbours go with the link: bring them back.
	roce_routes_up
	wait_for 20 port_state_is "$ROCE_DEV_A" ACTIVE
	wait_for 20 port_state_is "$ROCE_DEV_B" ACTIVE
}

nruns=0
for c in "${CELLS[@]}"; do
	wl=${c##*|}
	set -- $wl
	nruns=$((nruns + $#))
done

ktap_plan $((nruns + 1))
if [ ! -x "$LOSSY" ]; then
	ktap_not_ok "lossy is built" "run make -C selftests"
	ktap_finish
fi
no_devices() {
	local i
	for ((i = 0; i < nruns; i++)); do
		ktap_not_ok "lossy cell" "no devices"
	done
}
roce_suite_devs_up no_devices
export SROCE_TEST_DEV_A=$ROCE_DEV_A SROCE_TEST_DEV_B=$ROCE_DEV_B
for c in "$VETH_A" "$VETH_B"; do
	roce_sysctl "net.ipv6.conf.$c.keep_addr_on_down" 1
done
ktap_info "driver $ROCE_DRIVER; per run: at most $COUNT messages or $SECS s of posting"

tsv=/tmp/lossy.tsv
printf 'driver\tcell\tworkload\tresult\tms\tMB/s\twrs\tstatus\tnetem_drops\tveth_drops\t%s\n' \
	"$(echo "$TABLE_CNT" | tr ' ' '\t')" >"$tsv"
log=/tmp/lossy.log
for c in "${CELLS[@]}"; do
	name=${c%%|*}
	rest=${c#*|}
	nem=${rest%%|*}
	wl=${rest#*|}
	for w in $wl; do
		flap=0 opts=()
		if [ "$nem" = LINKDOWN ]; then
			flap=1
			opts=(-c)
			netem_set "" || true
		elif ! netem_set "$nem"; then
			ktap_not_ok "$name $w" "tc qdisc add netem $nem failed"
			continue
		fi
		cnt_snapshot before
		vd0=$(veth_dropped)
		: >"$log"
		# the outage must fall inside the transfer: bounded by time only
		n=$COUNT
		[ "$flap" = 1 ] && n=1000000
		"$LOSSY" -n "$n" -t "$SECS" "${opts[@]}" "$w" >"$log" 2>&1 &
		pid=$!
		flap_rc=0
		if [ "$flap" = 1 ]; then
			link_flap "$log" || flap_rc=1
		fi
		wait "$pid"
		rc=$?
		drops=$(netem_drops)
		vdrops=$(($(veth_dropped) - vd0))
		netem_set ""
		cnt_snapshot after
		sed 's/^/# /' "$log"
		res=$(sed -n 's/^# lossy-result //p' "$log" | tail -n 1)
		ms=$(sed -n 's/.* ms=\([0-9]*\).*/\1/p' <<<"$res")
		mbps=$(sed -n 's/.* mbps=\([0-9.]*\).*/\1/p' <<<"$res")
		wrs=$(sed -n 's/.* wrs=\([0-9]*\) of.*/\1/p' <<<"$res")
		st=$(sed -n 's/.* status=\(.*\)$/\1/p' <<<"$res")
		ktap_info "$name $w counters: $(cnt_nonzero)"
		row=
		for k in $TABLE_CNT; do
			row+="	$(cnt_sum "$k")"
		done
		tmo=$(cnt_sum completer_retry_err)
		if [ "$rc" = 0 ] && [ "$flap_rc" = 0 ] &&
			[[ " $NO_TIMEOUT_CELLS " == *" $name "* ]] &&
			[ "$tmo" != - ] && [ "$tmo" -gt 0 ]; then
			ktap_info "$name $w: $tmo retransmit timeouts on a link that loses nothing"
			rc=timeouts
		fi
		if [ "$rc" = 0 ] && [ "$flap_rc" = 0 ]; then
			result=ok
			ktap_ok "$name $w: ${ms:-?} ms, ${mbps:-?} MB/s, $wrs WRs, netem drops $drops, veth drops $vdrops"
		else
			result=FAIL
			[ "$flap_rc" = 0 ] || ktap_info "$name $w: the link flap did not happen as planned"
			ktap_not_ok "$name $w" "lossy exit $rc, ${st:-no result}, $wrs WRs"
		fi
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s%s\n' "$ROCE_DRIVER" \
			"$name" "$w" "$result" "${ms:--}" "${mbps:--}" "${wrs:--}" \
			"${st:--}" "$drops" "$vdrops" "$row" >>"$tsv"
	done
done

ktap_info "table ($ROCE_DRIVER):"
ktap_table "$tsv" "lossy-$ROCE_DRIVER.tsv"
roce_devs_down
ktap_finish
