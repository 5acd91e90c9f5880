#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Two devices on the two ends of a veth pair: what ibv_devices,
# ibv_devinfo -v, rdma link and rdma dev report about each, and that
# libibverbs moves data between them through the rxe provider (the ABI
# sroce speaks): ibv_rc_pingpong with librxe mapped in the server, and
# verify_xfer (every byte of SEND and RDMA WRITE both ways checked).
dir=$(dirname "$0")
. "$dir/lib.sh"
. "$dir/roce_net.sh"

# The EUI-64 node GUID ibv_devinfo should print for a MAC address.
guid_from_mac() {
	local IFS=:
	# shellcheck disable=SC2086
	set -- $1
	printf '%02x%s:%sff:fe%s:%s%s\n' $((0x$1 ^ 2)) "$2" "$3" "$4" "$5" "$6"
}

check_device() {
	local dev=$1 ndev=$2 ip=$3 ip6=$4 info mac
	info=$(ibv_devinfo -v -d "$dev") || return 1
	mac=$(cat "/sys/class/net/$ndev/address")
	echo "$info" | grep -q "transport:.*InfiniBand" || return 1
	echo "$info" | grep -q "node_guid:[[:space:]]*$(guid_from_mac "$mac")" ||
		{ echo "# $dev: node_guid does not follow $mac"; return 1; }
	echo "$info" | grep -q "state:[[:space:]]*PORT_ACTIVE" || return 1
	echo "$info" | grep -q "link_layer:[[:space:]]*Ethernet" || return 1
	echo "$info" | grep -q "active_mtu:[[:space:]]*1024" || return 1
	echo "$info" | grep -q "max_mtu:[[:space:]]*4096" || return 1
	echo "$info" | grep -q "GID\[.*::ffff:$ip, RoCE v2" ||
		{ echo "# $dev: no RoCE v2 GID for $ip"; return 1; }
	echo "$info" | grep -q "GID\[.*$ip6, RoCE v2" ||
		{ echo "# $dev: no RoCE v2 GID for $ip6"; return 1; }
	rdma link show "$dev/1" | grep -q "netdev $ndev" || return 1
	rdma dev show "$dev" | grep -q "node_guid" || return 1
	return 0
}

ktap_plan 7
sroce_reset
roce_routes_down
veth_setup
# The same policy routes, sysctls and pinned neighbours as every
# two-device datapath test (roce_net.sh; rdma_rxe needs them, sroce's own
# frames reach the peer without the routes).
roce_routes_up || echo "# roce_routes_up failed"
rdma link add sroce0 type sroce netdev "$VETH_A"
rdma link add sroce1 type sroce netdev "$VETH_B"

if [ "$(ibv_devices | grep -c sroce)" -eq 2 ]; then
	ktap_ok "ibv_devices lists both"
else
	ktap_not_ok "ibv_devices lists both"
fi
# The GID cache fills in from a work item: give it a moment.
wait_for 10 sh -c "ibv_devinfo -v -d sroce1 | grep -q '$IP6_B, RoCE v2'"
ibv_devinfo -v -d sroce0 | sed 's/^/# /'
ktap_check "sroce0 attributes" check_device sroce0 "$VETH_A" "$IP_A" "$IP6_A"
ktap_check "sroce1 attributes" check_device sroce1 "$VETH_B" "$IP_B" "$IP6_B"

# The rxe provider carries data between the two: ibv_rc_pingpong (-c: the
# receiver checks the buffer) with the server's process mapping librxe,
# then verify_xfer over the IPv4 GIDs.
PP_LOG=/tmp/two_devices.pp
pp_through_rxe() {
	local gid_a gid_b spid cpid='' rc_s rc_c maps=no

	roce_dev_wait sroce0 "$IP_A" "$IP6_A" && roce_dev_wait sroce1 "$IP_B" "$IP6_B" ||
		{ echo "# no RoCE v2 GIDs"; return 1; }
	gid_a=$(roce_gid_index sroce0 "$IP_A") && gid_b=$(roce_gid_index sroce1 "$IP_B") ||
		return 1
	timeout 60 ibv_rc_pingpong -d sroce1 -i 1 -g "$gid_b" -s 4096 -n 20 \
		-p 18590 -c >"$PP_LOG.srv" 2>&1 &
	spid=$!
	if ! roce_wait_listen 18590; then
		roce_wait_exit "$spid" 1
		sed 's/^/# server: /' "$PP_LOG.srv"
		return 1
	fi
	# The server (timeout's child) has its device open by now.
	cpid=$(cat "/proc/$spid/task/$spid/children" 2>/dev/null)
	[ -n "$cpid" ] && grep -q 'librxe-rdmav[0-9]*\.so' "/proc/${cpid%% *}/maps" && maps=yes
	timeout 60 ibv_rc_pingpong -d sroce0 -i 1 -g "$gid_a" -s 4096 -n 20 \
		-p 18590 -c 127.0.0.1 >"$PP_LOG.cli" 2>&1
	rc_c=$?
	roce_wait_exit "$spid" 30
	rc_s=$?
	echo "# ibv_rc_pingpong: librxe mapped in the server: $maps, client exit $rc_c, server exit $rc_s"
	sed 's/^/# client: /' "$PP_LOG.cli"
	sed 's/^/# server: /' "$PP_LOG.srv"
	[ "$maps" = yes ] && [ "$rc_c" -eq 0 ] && [ "$rc_s" -eq 0 ] &&
		grep -Eq '^20 iters in [0-9.]+ seconds' "$PP_LOG.cli" &&
		grep -Eq '^20 iters in [0-9.]+ seconds' "$PP_LOG.srv" &&
		! grep -Eqi 'invalid data|fail|error|couldn' "$PP_LOG.cli" "$PP_LOG.srv"
}
ktap_check "ibv_rc_pingpong sroce0 to sroce1 through the rxe provider, 20 x 4096 B checked" \
	pp_through_rxe

xfer_through_rxe() {
	timeout 120 "$dir/verify_xfer" sroce0 sroce1 4 >"$PP_LOG.xfer" 2>&1
	local rc=$?
	sed 's/^/# /' "$PP_LOG.xfer"
	[ "$rc" -eq 0 ] && grep -q '^1\.\.17$' "$PP_LOG.xfer" &&
		[ "$(grep -c '^ok ' "$PP_LOG.xfer")" -eq 17 ]
}
ktap_check "verify_xfer sroce0 <-> sroce1 IPv4: SEND and RDMA WRITE both ways, every byte checked" \
	xfer_through_rxe

ip addr add 198.18.7.1/24 dev "$VETH_A"
if wait_for 10 sh -c "ibv_devinfo -v -d sroce0 | grep -q '::ffff:198.18.7.1, RoCE v2'"; then
	ktap_ok "a new address becomes a GID"
else
	ktap_not_ok "a new address becomes a GID"
fi
ip addr del 198.18.7.1/24 dev "$VETH_A"
if wait_for 10 sh -c "! ibv_devinfo -v -d sroce0 | grep -q '198.18.7.1'"; then
	ktap_ok "a removed address leaves the GID table"
else
	ktap_not_ok "a removed address leaves the GID table"
fi

roce_routes_down
sroce_reset
ktap_finish
