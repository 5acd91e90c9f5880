# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Sourced by guest scripts (tools/guest/bench.sh, tools/guest/demo.sh) after
# selftests/lib.sh: two RoCE devices on the two ends of one veth pair in one
# namespace, with the traffic between them leaving through the veth.
#
# rxe routes its packets (ip_local_out): locally generated packets between
# IP_A and IP_B follow policy rules (iif lo) to tables that send them out of
# veth0 / veth1, and the `local` rule moves after those rules. sroce hands
# whole frames to dev_queue_xmit() with the MAC ib_core resolved through
# the same routes; the receiving end must accept a local source address
# (accept_local=1, rp_filter=0). Both are always set up. Neighbours are
# pinned: ARP between the two ends of one veth in one namespace goes
# unanswered. The same routes carry iperf3's TCP.

RN_TABLE_A=4791 # out of veth0, to IP_B
RN_TABLE_B=4792 # out of veth1, to IP_A

# rn_net_up: veth pair, addresses, sysctls, rules, routes, neighbours.
rn_net_up() {
	local c

	veth_setup || return 1
	for c in all default "$VETH_A" "$VETH_B"; do
		sysctl -qw "net.ipv4.conf.$c.accept_local=1" "net.ipv4.conf.$c.rp_filter=0" || return 1
	done
	ip route add "$IP_B/32" dev "$VETH_A" src "$IP_A" table $RN_TABLE_A &&
		ip route add "$IP_A/32" dev "$VETH_B" src "$IP_B" table $RN_TABLE_B &&
		ip rule add pref 100 iif lo from "$IP_A" to "$IP_B" table $RN_TABLE_A &&
		ip rule add pref 101 iif lo from "$IP_B" to "$IP_A" table $RN_TABLE_B &&
		ip rule add pref 1000 table local &&
		ip rule del pref 0 table local || return 1
	rn_neigh_pin || return 1
	[ "$(rn_route_dev "$IP_B" "$IP_A")" = "$VETH_A" ] &&
		[ "$(rn_route_dev "$IP_A" "$IP_B")" = "$VETH_B" ] || {
		echo "rn_net_up: $IP_A <-> $IP_B is not routed through the veth" >&2
		ip route get "$IP_B" from "$IP_A" >&2
		return 1
	}
}

# Permanent neighbour entries for the two ends (again after an MTU change
# or anything else that may flush them).
rn_neigh_pin() {
	ip neigh replace "$IP_B" lladdr "$(cat "/sys/class/net/$VETH_B/address")" \
		dev "$VETH_A" nud permanent &&
		ip neigh replace "$IP_A" lladdr "$(cat "/sys/class/net/$VETH_A/address")" \
			dev "$VETH_B" nud permanent
}

# rn_route_dev DST SRC: the device a locally generated packet takes.
rn_route_dev() {
	ip route get "$1" from "$2" 2>/dev/null | sed -n 's/.* dev \([^ ]*\).*/\1/p' | head -n 1
}

# rn_gid_index DEV IPV4: index of DEV's RoCE v2 GID for IPV4 (port 1).
rn_gid_index() {
	local dir=/sys/class/infiniband/$1/ports/1 want f i o1 o2 o3 o4

	IFS=. read -r o1 o2 o3 o4 <<<"$2"
	want=$(printf '0000:0000:0000:0000:0000:ffff:%02x%02x:%02x%02x' "$o1" "$o2" "$o3" "$o4")
	for f in "$dir"/gids/*; do
		[ "$(cat "$f" 2>/dev/null)" = "$want" ] || continue
		i=${f##*/}
		[ "$(cat "$dir/gid_attrs/types/$i" 2>/dev/null)" = "RoCE v2" ] || continue
		echo "$i"
		return 0
	done
	return 1
}

rn_dev_ready() { # DEV IPV4
	port_state_is "$1" ACTIVE && rn_gid_index "$1" "$2" >/dev/null
}

# rn_devs_add DRIVER NAME_A NAME_B: NAME_A on veth0 and NAME_B on veth1,
# both ACTIVE with their IPv4 RoCE v2 GID; sets RN_GID_A and RN_GID_B.
rn_devs_add() {
	rdma link add "$2" type "$1" netdev "$VETH_A" &&
		rdma link add "$3" type "$1" netdev "$VETH_B" || return 1
	wait_for 20 rn_dev_ready "$2" "$IP_A" && wait_for 20 rn_dev_ready "$3" "$IP_B" || {
		echo "rn_devs_add: $2/$3 not ACTIVE or without their RoCE v2 GID" >&2
		rdma link show >&2
		return 1
	}
	# shellcheck disable=SC2034 # read by the scripts that source this file
	RN_GID_A=$(rn_gid_index "$2" "$IP_A")
	# shellcheck disable=SC2034
	RN_GID_B=$(rn_gid_index "$3" "$IP_B")
}

# rn_active_mtu DEV: the port's active MTU in bytes, as ibv_devinfo says.
rn_active_mtu() {
	ibv_devinfo -d "$1" 2>/dev/null | sed -n 's/.*active_mtu:[[:space:]]*\([0-9]*\).*/\1/p' | head -n 1
}

# rn_set_mtu MTU: both veth ends at MTU, neighbours pinned again.
rn_set_mtu() {
	ip link set "$VETH_A" mtu "$1" && ip link set "$VETH_B" mtu "$1" && rn_neigh_pin
}

# rn_perftest DEV_A DEV_B TEST SIZE ITERS LOG [CMD...]: a perftest pair,
# the server on DEV_B, then the client on DEV_A (run under CMD, a profiler
# say), each bounded by 120 s; logs in LOG.server.log and LOG.client.log.
# Returns the client's exit status.
rn_perftest() {
	local a=$1 b=$2 test=$3 size=$4 iters=$5 log=$6 srv rc

	shift 6
	timeout 120 "$test" -d "$b" -x "$RN_GID_B" -F -s "$size" -n "$iters" \
		>"$log.server.log" 2>&1 &
	srv=$!
	sleep 2
	timeout 120 "$@" "$test" -d "$a" -x "$RN_GID_A" -F -s "$size" -n "$iters" \
		"$IP_B" >"$log.client.log" 2>&1
	rc=$?
	wait "$srv"
	return $rc
}

# rn_positive VALUE: VALUE is a number above zero (a result worth counting).
rn_positive() {
	[[ $1 =~ ^[0-9]+(\.[0-9]+)?$ ]] && ! [[ $1 =~ ^0+(\.0+)?$ ]]
}

# rn_clock_failed LOG: perftest's CPU clock calibration failed in LOG (seen
# under TCG); the client then reports with a wrong clock, even exiting 0.
rn_clock_failed() {
	grep -q 'Correlation coefficient' "$1"
}

# rn_bw_avg SIZE LOG: the "BW average" of a perftest bandwidth client's log.
rn_bw_avg() {
	awk -v s="$1" '$1 == s { print $4 }' "$2" | tail -n 1
}

# rn_perftest_value TEST SIZE LOG: the result from a perftest client's
# report: a bandwidth test's "BW average" (MiB/s), a latency test's
# t_typical (usec).
rn_perftest_value() {
	local col=4 # bandwidth: #bytes #iterations peak average msgrate
	case $1 in *_lat) col=5 ;; esac # #bytes #iterations t_min t_max t_typical
	awk -v size="$2" -v col="$col" '
		/BW average|t_typical/ { hdr = 1; next }
		hdr && $1 == size && NF >= col { print $col; exit }' "$3"
}
