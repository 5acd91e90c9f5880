#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Two devices on the two ends of a veth pair: what ibv_devices,
# ibv_devinfo -v, rdma link and rdma dev report about each.
. "$(dirname "$0")/lib.sh"

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

ktap_plan 6
sroce_reset
veth_setup
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

# Only that libibverbs opens it and the rdma tool lists it: data through
# the rxe provider is verify_xfer's (pingpong.sh), not this test's.
if ibv_devinfo -d sroce0 | grep -q "hca_id:[[:space:]]*sroce0" &&
   rdma dev show sroce0 | grep -q "sroce0"; then
	ktap_ok "libibverbs opens sroce0 and rdma dev lists it"
else
	ktap_not_ok "libibverbs opens sroce0 and rdma dev lists it"
fi

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

sroce_reset
ktap_finish
