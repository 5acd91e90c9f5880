#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# RoCE devices on netdevs other than a plain veth (Documentation/netdevs.rst).
# Each case builds its netdevs, adds the device(s), checks the port and the
# RoCE v2 GIDs (the GID's netdev is the one the device is on), moves data
# with every byte checked (verify_xfer: SEND and RDMA WRITE both ways, four
# sizes), then deletes the netdev(s) under live, verified RC traffic
# (teardown_traffic): both sides must get IBV_EVENT_DEVICE_FATAL, accept no
# wrong byte and destroy everything cleanly within BOUND seconds, the
# device must be gone and the netdev released (fully unregistered: its
# name is free again).
#   tun-loop  one tun device (L3: no MAC, no link header) held open by
#             tun_wire, one device on it, client and server on that device.
#   tun-pair  two tun devices joined by tun_wire (a userspace L3 wire), a
#             device on each; the packets must have crossed the wire.
#   ipip      two ipip tunnels in this namespace over a veth underlay, a
#             device on each (IPv4: ipip carries IPv4 only).
#   vlan      802.1Q VLAN 100 on both ends of a veth: a device on a VLAN
#             netdev is refused (ib_core would give it no IP GIDs), naming
#             the real netdev; a device on each real netdev has the VLAN's
#             addresses as GIDs on the VLAN netdev, and traffic over them
#             is tagged: the VLAN netdevs received every frame, the
#             GSI QP's (rdma_cm's rping) too.
#   macvlan   a macvlan on each end of a veth, a device on each.
#   bond      bond0 and bond1 in active-backup, each with one end of two
#             veth pairs, a device on each bond; the active slave is set
#             down under traffic: failover, the QPs live on and every byte
#             is right (a graceful stop ends the run), then the deletion.
#   bridge    a device on a bridge port is refused, naming the bridge; a
#             device on the bridge talks to one on the port's veth peer.
#   dummy     one dummy netdev, one device, traffic within the device.
# Cases whose kernel module is missing (the debug kernel has no bridge,
# macvlan or bonding) are reported as SKIP with that reason.
# SROCE_TEST_DRIVER=rxe runs the cases on stock rdma_rxe;
# SROCE_TEST_NETDEVS_CASES picks cases by name; SROCE_TEST_NETDEVS_BOUND
# sets BOUND (default 30 s, for TCG).
# shellcheck source-path=SCRIPTDIR
dir=$(cd "$(dirname "$0")" && pwd)
. "$dir/lib.sh"
. "$dir/roce_net.sh"

DRV=${SROCE_TEST_DRIVER:-sroce}
BOUND=${SROCE_TEST_NETDEVS_BOUND:-30}
CASES=${SROCE_TEST_NETDEVS_CASES:-"tun-loop tun-pair ipip vlan macvlan bond bridge dummy"}
TRAFFIC=$dir/teardown_traffic
WIRE=$dir/tun_wire
LOG=/tmp/netdevs
TD_LOG=$LOG.td

# Subtests per case, for the plan.
declare -A NSUB=([tun-loop]=4 [tun-pair]=5 [ipip]=3 [vlan]=6 [macvlan]=3
		 [bond]=4 [bridge]=4 [dummy]=3)
# Modules a case needs (modinfo).
declare -A MODS=([tun-loop]=tun [tun-pair]=tun [ipip]=ipip [vlan]=8021q
		 [macvlan]=macvlan [bond]=bonding [bridge]=bridge [dummy]=dummy)

# ---------------------------------------------------------------------------
# Case bookkeeping: every case prints exactly NSUB lines.

case_name=
case_left=0

sub_ok() {
	ktap_ok "$case_name: $1"
	case_left=$((case_left - 1))
}

sub_not_ok() {
	ktap_not_ok "$case_name: $1" "$2"
	case_left=$((case_left - 1))
}

sub_check() {
	local name=$1
	shift
	if "$@"; then
		sub_ok "$name"
	else
		sub_not_ok "$name" "failed: $*"
	fi
}

# case_abort WHY: the rest of the case's lines fail with WHY.
case_abort() {
	while [ "$case_left" -gt 0 ]; do
		sub_not_ok "not reached" "$1"
	done
}

case_skip_all() {
	while [ "$case_left" -gt 0 ]; do
		ktap_skip "$case_name: subtest $((NSUB[$case_name] - case_left + 1))" "$1"
		case_left=$((case_left - 1))
	done
}

# ---------------------------------------------------------------------------
# Devices, GIDs, traffic.

# dev_add DEV NETDEV: `rdma link add`; on failure the kernel's reason goes
# to the output.
dev_add() {
	dmesg_mark
	if ! rdma link add "$1" type "$DRV" netdev "$2" 2>"$LOG.err"; then
		sed 's/^/# /' "$LOG.err"
		dmesg_since_mark | tail -n 3 | sed 's/^/# dmesg: /'
		return 1
	fi
}

# gid_on DEV ADDR NETDEV: DEV has a RoCE v2 GID of ADDR whose netdev is NETDEV.
gid_on() {
	local i
	i=$(roce_gid_index "$1" "$2") || return 1
	[ "$(cat "/sys/class/infiniband/$1/ports/1/gid_attrs/ndevs/$i" 2>/dev/null)" = "$3" ]
}

# dev_ready DEV NETDEV ADDR...: port ACTIVE, a GID on NETDEV for each ADDR.
dev_ready() {
	local dev=$1 nd=$2 a
	shift 2
	if ! wait_for 20 port_state_is "$dev" ACTIVE; then
		echo "# $dev: port $(rdma_port_state "$dev"), not ACTIVE"
		return 1
	fi
	for a in "$@"; do
		if ! wait_for 20 gid_on "$dev" "$a" "$nd"; then
			echo "# $dev: no RoCE v2 GID of $a on $nd; GIDs:"
			grep -H . "/sys/class/infiniband/$dev/ports/1/gids/"* 2>/dev/null |
				grep -v ':0000:0000:0000:0000:0000:0000:0000:0000$' |
				sed 's/^/#   /'
			return 1
		fi
	done
}

# xfer DEV_A DEV_B FAMILY WHAT: verify_xfer, its KTAP as diagnostics.
xfer() {
	local name="$4: verify_xfer IPv$3, SEND and RDMA WRITE both ways, every byte checked"
	timeout 120 "$dir/verify_xfer" "$1" "$2" "$3" >"$LOG.xfer" 2>&1
	local rc=$?
	sed 's/^/# /' "$LOG.xfer"
	if [ "$rc" -eq 0 ] && grep -q '^1\.\.17$' "$LOG.xfer" &&
	   [ "$(grep -c '^ok ' "$LOG.xfer")" -eq 17 ]; then
		sub_ok "$name"
	else
		sub_not_ok "$name" "exit $rc"
	fi
}

# cm_ping NAME SERVER_ADDR CLIENT_ADDR: rping -V through rdma_cm (its CM
# MADs go over the GSI QPs: UD, with the AHs ib_core makes from the GIDs).
cm_ping() {
	local name="$1: rping -C 5 -V through rdma_cm" spid rc_c rc_s pings

	timeout 60 rping -s -a "$2" -p 7471 -C 5 -V >"$LOG.rps" 2>&1 &
	spid=$!
	wait_for 20 sh -c "rdma res show cm_id 2>/dev/null | grep -q 'state LISTEN'"
	timeout 60 rping -c -a "$2" -I "$3" -p 7471 -C 5 -V -v >"$LOG.rpc" 2>&1
	rc_c=$?
	wait "$spid"
	rc_s=$?
	pings=$(grep -c '^ping data: rdma-ping-' "$LOG.rpc")
	if [ "$rc_c" -eq 0 ] && [ "$rc_s" -eq 0 ] && [ "$pings" -eq 5 ]; then
		sub_ok "$name"
	else
		sed 's/^/# client: /' "$LOG.rpc" | head -n 10
		sed 's/^/# server: /' "$LOG.rps" | head -n 10
		sub_not_ok "$name" "client exit $rc_c ($pings of 5 pings), server exit $rc_s"
	fi
}

# --- teardown_traffic ------------------------------------------------------

td_field() {
	grep "^# td $1 $2 " "$TD_LOG" | tail -n 1 |
		sed -n "s/.* $3=\([^ ]*\).*/\1/p"
}

td_verified() {
	local v
	v=$(td_field "$1" progress verified)
	echo "${v:-0}"
}

td_alive() {
	kill -0 "$td_pid" 2>/dev/null
}

# td_flowing N: both sides verified at least N messages.
td_flowing() {
	[ "$(td_verified A)" -ge "$1" ] && [ "$(td_verified B)" -ge "$1" ]
}

td_show() {
	grep -v ' progress ' "$TD_LOG" | sed 's/^\([^#]\)/# \1/'
}

td_kill() {
	pkill -9 -P "$td_pid" 2>/dev/null
	kill -9 "$td_pid" 2>/dev/null
	wait "$td_pid" 2>/dev/null
}

# td_start DEV_A DEV_B: verified traffic both ways, flowing (10 messages
# checked on each side) within BOUND.
td_start() {
	: >"$TD_LOG"
	"$TRAFFIC" -p 200 "$1" "$2" >"$TD_LOG" 2>&1 &
	td_pid=$!
	wait_for "$BOUND" eval 'td_flowing 10 || ! td_alive'
	if ! td_flowing 10; then
		td_show
		td_kill
		return 1
	fi
}

# td_wait: the program ends within BOUND (else it is killed: a failure).
td_wait() {
	if ! wait_for "$BOUND" eval '! td_alive'; then
		echo "# teardown_traffic still running after $BOUND s"
		td_kill
		td_show
		return 1
	fi
	wait "$td_pid" 2>/dev/null
	td_show
}

# td_side_ok SIDE CODE [EVENT]: SIDE ended with CODE, saw EVENT, no wrong
# data, every destroy succeeded.
td_side_ok() {
	local code saw clean
	code=$(td_field "$1" result code)
	saw=$(td_field "$1" result saw)
	clean=$(td_field "$1" result cleanup)
	[ "$code" = "$2" ] || { echo "# $1: code '$code', want $2"; return 1; }
	[ "$clean" = ok ] || { echo "# $1: cleanup '$clean'"; return 1; }
	case $saw in
	*bad:*) echo "# $1 saw wrong data: $saw"; return 1 ;;
	esac
	if [ -n "${3:-}" ]; then
		case $saw in
		*",$3,"*) ;;
		*) echo "# $1 did not see $3 (saw $saw)"; return 1 ;;
		esac
	fi
}

netdev_gone() {
	[ ! -e "/sys/class/net/$1" ]
}

# delete_under_qps "DEV..." "NETDEV...": teardown_traffic between
# the first and last DEV, then ip link del of each NETDEV;
# both sides end with DEVICE_FATAL, every DEV is gone and every NETDEV
# released.
delete_under_qps() {
	local devs=$1 nds=$2 d a b why=
	shift 2
	# shellcheck disable=SC2086
	set -- $devs
	a=$1
	b=${!#}
	if ! td_start "$a" "$b"; then
		sub_not_ok "netdev deleted under live QPs" "traffic did not flow"
		return
	fi
	ktap_info "traffic flows: A verified $(td_verified A), B $(td_verified B) messages"
	for d in $nds; do
		# (a veth's peer, a tun whose holder exited, goes with the other)
		timeout "$BOUND" ip link del "$d" 2>/dev/null || netdev_gone "$d" ||
			why+="ip link del $d failed or hung; "
	done
	td_wait || why+="traffic program hung; "
	td_side_ok A 3 event:DEVICE_FATAL || why+="side A; "
	td_side_ok B 3 event:DEVICE_FATAL || why+="side B; "
	for d in $devs; do
		wait_for 20 rdma_dev_gone "$d" || why+="$d still there; "
	done
	for d in $nds; do
		wait_for 20 netdev_gone "$d" || why+="$d not released; "
	done
	if [ -z "$why" ]; then
		sub_ok "netdev deleted under live QPs: DEVICE_FATAL on both sides, no wrong byte, device gone, netdev released"
	else
		sub_not_ok "netdev deleted under live QPs" "$why"
	fi
}

# rcvd DEV: the device's rcvd_pkts counter.
rcvd() {
	cat "/sys/class/infiniband/$1/ports/1/hw_counters/rcvd_pkts" 2>/dev/null || echo 0
}

ndev_stat() {
	cat "/sys/class/net/$1/statistics/$2" 2>/dev/null || echo 0
}

# pair_routes NETDEV_A ADDR_A ADDR6_A NETDEV_B ADDR_B ADDR6_B: roce_net.sh's
# routes, neighbours and sysctls for two Ethernet netdevs of this namespace.
routes_set=
pair_routes() {
	VETH_A=$1 IP_A=$2 IP6_A=$3 VETH_B=$4 IP_B=$5 IP6_B=$6
	routes_set=1
	roce_routes_up
}

# addrs NETDEV ADDR4/LEN ADDR6/LEN
addrs() {
	ip addr add "$2" dev "$1" &&
	ip -6 addr add "$3" dev "$1" nodad &&
	ip link set "$1" up
}

wire_pid=
wire_start() {
	modprobe tun 2>/dev/null
	"$WIRE" "$@" >"$LOG.wire" 2>&1 &
	wire_pid=$!
	if ! wait_for 10 grep -q '^ready' "$LOG.wire"; then
		sed 's/^/# tun_wire: /' "$LOG.wire"
		return 1
	fi
}

wire_stop() {
	[ -n "$wire_pid" ] || return 0
	kill "$wire_pid" 2>/dev/null
	wait "$wire_pid" 2>/dev/null
	wire_pid=
}

cleanup() {
	roce_kill_traffic
	[ -n "${td_pid:-}" ] && td_kill
	rdma_links_clear
	wire_stop
	if [ -n "$routes_set" ]; then
		roce_routes_down
		routes_set=
	fi
	for d in ndt0 ndt1 ndip0 ndip1 ndi0 ndv0 ndm0 ndm1 ndv0v100 bond0 bond1 \
		 nda1 nda2 br0 ndp0 ndp1 nddum; do
		[ -e "/sys/class/net/$d" ] && ip link del "$d" 2>/dev/null
	done
	return 0
}

# ---------------------------------------------------------------------------
# The cases.

case_tun_loop() {
	wire_start ndt0 || { case_abort "tun_wire did not start"; return; }
	addrs ndt0 198.18.50.1/24 2001:db8:50::1/64 || { case_abort "addresses"; return; }
	if dev_add sroce0 ndt0 &&
	   dev_ready sroce0 ndt0 198.18.50.1 2001:db8:50::1; then
		sub_ok "sroce0 on tun ndt0 (L3, no MAC) ACTIVE with RoCE v2 GIDs on ndt0"
	else
		sub_not_ok "sroce0 on tun ndt0 (L3, no MAC) ACTIVE with RoCE v2 GIDs on ndt0"
		case_abort "no device"
		return
	fi
	xfer sroce0 sroce0 4 "loopback within the device"
	xfer sroce0 sroce0 6 "loopback within the device"
	delete_under_qps sroce0 ndt0
	wire_stop
}

case_tun_pair() {
	local line a2b b2a

	wire_start ndt0 ndt1 || { case_abort "tun_wire did not start"; return; }
	addrs ndt0 198.18.51.1/24 2001:db8:51::1/64 &&
	addrs ndt1 198.18.52.1/24 2001:db8:52::1/64 || { case_abort "addresses"; return; }
	if dev_add sroce0 ndt0 && dev_add sroce1 ndt1 &&
	   dev_ready sroce0 ndt0 198.18.51.1 2001:db8:51::1 &&
	   dev_ready sroce1 ndt1 198.18.52.1 2001:db8:52::1; then
		sub_ok "sroce0 on ndt0, sroce1 on ndt1 (tun) ACTIVE with their GIDs"
	else
		sub_not_ok "sroce0 on ndt0, sroce1 on ndt1 (tun) ACTIVE with their GIDs"
		case_abort "no devices"
		return
	fi
	xfer sroce0 sroce1 4 "across the tun wire"
	xfer sroce0 sroce1 6 "across the tun wire"
	delete_under_qps "sroce0 sroce1" "ndt0 ndt1"
	wait_for 10 eval '! kill -0 "$wire_pid" 2>/dev/null'
	wire_stop
	line=$(grep '^# tun_wire relayed' "$LOG.wire")
	ktap_info "${line#\# }"
	a2b=$(sed -n 's/.* (\([0-9]*\) A->B, \([0-9]*\) B->A).*/\1/p' <<<"$line")
	b2a=$(sed -n 's/.* (\([0-9]*\) A->B, \([0-9]*\) B->A).*/\2/p' <<<"$line")
	# 2 x 4 sizes x 2 ops x ~1.1 MiB each way over a 1024-byte MTU
	if [ "${a2b:-0}" -ge 2000 ] && [ "${b2a:-0}" -ge 2000 ]; then
		sub_ok "the packets crossed the tun wire both ways"
	else
		sub_not_ok "the packets crossed the tun wire both ways" "$line"
	fi
}

case_ipip() {
	ip link add ndi0 type veth peer name ndi1 &&
	addrs ndi0 198.18.53.1/24 2001:db8:53::1/64 &&
	addrs ndi1 198.18.53.2/24 2001:db8:53::2/64 &&
	pair_routes ndi0 198.18.53.1 2001:db8:53::1 ndi1 198.18.53.2 2001:db8:53::2 &&
	ip link add ndip0 type ipip local 198.18.53.1 remote 198.18.53.2 &&
	ip link add ndip1 type ipip local 198.18.53.2 remote 198.18.53.1 &&
	ip addr add 198.18.54.1/32 dev ndip0 && ip link set ndip0 up &&
	ip addr add 198.18.54.2/32 dev ndip1 && ip link set ndip1 up ||
		{ case_abort "netdev set-up"; return; }
	if dev_add sroce0 ndip0 && dev_add sroce1 ndip1 &&
	   dev_ready sroce0 ndip0 198.18.54.1 &&
	   dev_ready sroce1 ndip1 198.18.54.2; then
		sub_ok "sroce0 on ipip ndip0, sroce1 on ndip1 ACTIVE with their GIDs"
	else
		sub_not_ok "sroce0 on ipip ndip0, sroce1 on ndip1 ACTIVE with their GIDs"
		case_abort "no devices"
		return
	fi
	xfer sroce0 sroce1 4 "through the ipip tunnels"
	delete_under_qps "sroce0 sroce1" "ndip0 ndip1"
}

case_vlan() {
	local r0 r1 v0 v1 why=

	ip link add ndv0 type veth peer name ndv1 &&
	ip link add link ndv0 name ndv0v100 type vlan id 100 &&
	ip link add link ndv1 name ndv1v100 type vlan id 100 &&
	ip link set ndv0 up && ip link set ndv1 up &&
	ip addr add 198.18.56.1/24 dev ndv0v100 && ip link set ndv0v100 up &&
	ip addr add 198.18.56.2/24 dev ndv1v100 && ip link set ndv1v100 up &&
	pair_routes ndv0v100 198.18.56.1 2001:db8:56::1 ndv1v100 198.18.56.2 2001:db8:56::2 ||
		{ case_abort "netdev set-up"; return; }
	dmesg_mark
	if ! rdma link add sroce2 type "$DRV" netdev ndv0v100 2>/dev/null &&
	   dmesg_since_mark | grep -q "ndv0v100: sroce: a VLAN netdev: .* add the device on ndv0"; then
		sub_ok "a device on VLAN netdev ndv0v100 is refused, naming ndv0"
	else
		sub_not_ok "a device on VLAN netdev ndv0v100 is refused, naming ndv0" \
			"$(dmesg_since_mark | tail -n 1)"
		rdma link delete sroce2 2>/dev/null
	fi
	# The parents have no IPv4 address: the VLAN's are their only ones.
	if dev_add sroce0 ndv0 && dev_add sroce1 ndv1 &&
	   dev_ready sroce0 ndv0v100 198.18.56.1 &&
	   dev_ready sroce1 ndv1v100 198.18.56.2; then
		sub_ok "sroce0 on ndv0, sroce1 on ndv1 ACTIVE, with GIDs of their VLAN 100 netdevs"
	else
		sub_not_ok "sroce0 on ndv0, sroce1 on ndv1 ACTIVE, with GIDs of their VLAN 100 netdevs"
		case_abort "no devices"
		return
	fi
	r0=$(rcvd sroce0) r1=$(rcvd sroce1)
	v0=$(ndev_stat ndv0v100 rx_packets) v1=$(ndev_stat ndv1v100 rx_packets)
	xfer sroce0 sroce1 4 "over VLAN 100 GIDs"
	cm_ping "over VLAN 100" 198.18.56.2 198.18.56.1
	r0=$(($(rcvd sroce0) - r0)) r1=$(($(rcvd sroce1) - r1))
	v0=$(($(ndev_stat ndv0v100 rx_packets) - v0))
	v1=$(($(ndev_stat ndv1v100 rx_packets) - v1))
	ktap_info "received: sroce0 $r0 packets, ndv0v100 $v0; sroce1 $r1, ndv1v100 $v1"
	[ "$r0" -ge 500 ] && [ "$r1" -ge 500 ] || why+="too few packets; "
	[ "$v0" -ge "$r0" ] && [ "$v1" -ge "$r1" ] ||
		why+="the VLAN netdevs received fewer than the devices (untagged frames); "
	if [ -z "$why" ]; then
		sub_ok "every frame carried VLAN 100: the VLAN netdevs received them all"
	else
		sub_not_ok "every frame carried VLAN 100" "$why"
	fi
	delete_under_qps "sroce0 sroce1" "ndv0 ndv1"
}

case_macvlan() {
	ip link add ndv0 type veth peer name ndv1 &&
	ip link set ndv0 up && ip link set ndv1 up &&
	ip link add link ndv0 name ndm0 type macvlan mode bridge &&
	ip link add link ndv1 name ndm1 type macvlan mode bridge &&
	addrs ndm0 198.18.57.1/24 2001:db8:57::1/64 &&
	addrs ndm1 198.18.57.2/24 2001:db8:57::2/64 &&
	pair_routes ndm0 198.18.57.1 2001:db8:57::1 ndm1 198.18.57.2 2001:db8:57::2 ||
		{ case_abort "netdev set-up"; return; }
	if dev_add sroce0 ndm0 && dev_add sroce1 ndm1 &&
	   dev_ready sroce0 ndm0 198.18.57.1 2001:db8:57::1 &&
	   dev_ready sroce1 ndm1 198.18.57.2 2001:db8:57::2; then
		sub_ok "sroce0 on macvlan ndm0, sroce1 on ndm1 ACTIVE with their GIDs"
	else
		sub_not_ok "sroce0 on macvlan ndm0, sroce1 on ndm1 ACTIVE with their GIDs"
		case_abort "no devices"
		return
	fi
	xfer sroce0 sroce1 4 "between macvlans"
	delete_under_qps "sroce0 sroce1" "ndm0 ndm1"
}

active_slave() {
	cat "/sys/class/net/$1/bonding/active_slave" 2>/dev/null
}

case_bond() {
	local act0 act1 v0 why=

	ip link add nda1 type veth peer name ndb1 &&
	ip link add nda2 type veth peer name ndb2 &&
	ip link add bond0 type bond mode active-backup miimon 50 &&
	ip link add bond1 type bond mode active-backup miimon 50 &&
	ip link set nda1 master bond0 && ip link set nda2 master bond0 &&
	ip link set ndb1 master bond1 && ip link set ndb2 master bond1 &&
	addrs bond0 198.18.58.1/24 2001:db8:58::1/64 &&
	addrs bond1 198.18.58.2/24 2001:db8:58::2/64 &&
	pair_routes bond0 198.18.58.1 2001:db8:58::1 bond1 198.18.58.2 2001:db8:58::2 ||
		{ case_abort "netdev set-up"; return; }
	if dev_add sroce0 bond0 && dev_add sroce1 bond1 &&
	   dev_ready sroce0 bond0 198.18.58.1 2001:db8:58::1 &&
	   dev_ready sroce1 bond1 198.18.58.2 2001:db8:58::2; then
		sub_ok "sroce0 on bond0, sroce1 on bond1 (active-backup) ACTIVE with their GIDs"
	else
		sub_not_ok "sroce0 on bond0, sroce1 on bond1 (active-backup) ACTIVE with their GIDs"
		case_abort "no devices"
		return
	fi
	xfer sroce0 sroce1 4 "between bonds"

	act0=$(active_slave bond0) act1=$(active_slave bond1)
	if td_start sroce0 sroce1; then
		v0=$(td_verified A)
		ktap_info "active slaves $act0, $act1; A verified $v0; setting $act0 down"
		ip link set "$act0" down
		wait_for 10 eval '[ "$(active_slave bond0)" != "$act0" ] && [ "$(active_slave bond1)" != "$act1" ]' ||
			why+="no failover (active slaves $(active_slave bond0), $(active_slave bond1)); "
		wait_for "$BOUND" eval 'td_flowing $((v0 + 50)) || ! td_alive' 
		td_flowing $((v0 + 50)) || why+="traffic did not go on after the failover; "
		ktap_info "active slaves now $(active_slave bond0), $(active_slave bond1); A verified $(td_verified A), B $(td_verified B)"
		kill -TERM "$td_pid"
		td_wait || why+="no graceful stop; "
		td_side_ok A 0 || why+="side A; "
		td_side_ok B 0 || why+="side B; "
	else
		why="traffic did not flow"
	fi
	if [ -z "$why" ]; then
		sub_ok "failover of the active slave under traffic: QPs alive, every byte right, graceful stop"
	else
		sub_not_ok "failover of the active slave under traffic" "$why"
	fi
	delete_under_qps "sroce0 sroce1" "bond0 bond1"
}

case_bridge() {
	ip link add ndp0 type veth peer name ndp1 &&
	ip link add br0 type bridge forward_delay 0 &&
	ip link set ndp0 master br0 && ip link set ndp0 up &&
	addrs br0 198.18.59.1/24 2001:db8:59::1/64 &&
	addrs ndp1 198.18.59.2/24 2001:db8:59::2/64 &&
	pair_routes br0 198.18.59.1 2001:db8:59::1 ndp1 198.18.59.2 2001:db8:59::2 ||
		{ case_abort "netdev set-up"; return; }
	dmesg_mark
	if ! rdma link add sroce2 type "$DRV" netdev ndp0 2>/dev/null &&
	   dmesg_since_mark | grep -q "ndp0: sroce: a port of br0"; then
		sub_ok "a device on bridge port ndp0 is refused, naming br0"
	else
		sub_not_ok "a device on bridge port ndp0 is refused, naming br0" \
			"$(dmesg_since_mark | tail -n 1)"
		rdma link delete sroce2 2>/dev/null
	fi
	if dev_add sroce0 br0 && dev_add sroce1 ndp1 &&
	   dev_ready sroce0 br0 198.18.59.1 2001:db8:59::1 &&
	   dev_ready sroce1 ndp1 198.18.59.2 2001:db8:59::2; then
		sub_ok "sroce0 on bridge br0, sroce1 on the port's peer ndp1, ACTIVE with their GIDs"
	else
		sub_not_ok "sroce0 on bridge br0, sroce1 on the port's peer ndp1, ACTIVE with their GIDs"
		case_abort "no devices"
		return
	fi
	xfer sroce0 sroce1 4 "through the bridge"
	delete_under_qps "sroce0 sroce1" "br0 ndp1"
}

case_dummy() {
	ip link add nddum type dummy &&
	addrs nddum 198.18.60.1/24 2001:db8:60::1/64 ||
		{ case_abort "netdev set-up"; return; }
	if dev_add sroce0 nddum && dev_ready sroce0 nddum 198.18.60.1; then
		sub_ok "sroce0 on dummy nddum ACTIVE with its GIDs"
	else
		sub_not_ok "sroce0 on dummy nddum ACTIVE with its GIDs"
		case_abort "no device"
		return
	fi
	xfer sroce0 sroce0 4 "loopback within the device"
	delete_under_qps sroce0 nddum
}

# ---------------------------------------------------------------------------

total=0
for c in $CASES; do
	if [ -z "${NSUB[$c]:-}" ]; then
		echo "netdevs.sh: unknown case '$c'" >&2
		exit "$KSFT_FAIL"
	fi
	total=$((total + NSUB[$c]))
done
ktap_plan "$total"
cleanup
if ! roce_driver_load "$DRV"; then
	for c in $CASES; do
		case_name=$c case_left=${NSUB[$c]}
		case_abort "cannot load $DRV"
	done
	ktap_finish
fi

for c in $CASES; do
	case_name=$c case_left=${NSUB[$c]}
	start=$(date +%s)
	ktap_info "--- $c"
	if ! modinfo "${MODS[$c]}" >/dev/null 2>&1; then
		case_skip_all "no ${MODS[$c]} module in this kernel"
		continue
	fi
	"case_${c//-/_}"
	case_abort "the case ended early"
	cleanup
	ktap_info "$c took $(($(date +%s) - start)) s"
done
roce_devs_down
ktap_finish
