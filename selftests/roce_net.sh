#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Sourced by the datapath selftests, after lib.sh: two RoCE devices of one
# driver (sroce, or stock rdma_rxe to prove the tests themselves) on the two
# ends of one veth pair in one namespace, able to reach each other.
#
# Traffic from one end to the other end's address must leave through the
# veth, not through lo, whichever way the driver transmits:
# - rxe routes its packets (ip_local_out): policy rules for locally
#   generated packets (iif lo) to IP_B / IP6_B use a table that sends them
#   out of veth0, and vice versa; the `local` rule moves after them.
# - sroce builds the frame itself and hands it to dev_queue_xmit() on its
#   netdev, with the destination MAC ib_core resolved (through the same
#   routes): the receiving end must then accept a source address that is
#   local (accept_local=1, rp_filter=0).
# Both are set up always, so one set-up serves both drivers. Neighbours are
# pinned: ARP between two ends of one veth in one namespace goes unanswered.
#
# SROCE_TEST_DRIVER selects the driver: sroce (default) or rxe.

ROCE_DRIVER=${SROCE_TEST_DRIVER:-sroce}
ROCE_DEV_A=
ROCE_DEV_B=
ROCE_TABLE_A=4791	# routes out of veth0 (to IP_B)
ROCE_TABLE_B=4792	# routes out of veth1 (to IP_A)
ROCE_RULE_PREF=1000
ROCE_LOCAL_PREF=32000

# roce_driver_valid DRIVER: sroce or rxe.
roce_driver_valid() {
	[ "$1" = sroce ] || [ "$1" = rxe ]
}

# roce_driver_load DRIVER: DRIVER's module loaded, the other one unloaded.
roce_driver_load() {
	case $1 in
	rxe)
		if module_loaded sroce; then
			modprobe -r sroce || return 1
		fi
		module_loaded rdma_rxe || modprobe rdma_rxe
		;;
	sroce)
		if module_loaded rdma_rxe; then
			modprobe -r rdma_rxe || return 1
		fi
		module_loaded sroce || modprobe sroce
		;;
	*)
		echo "roce_driver_load: unknown driver '$1'" >&2
		return 1
		;;
	esac
}

roce_sysctl() {
	sysctl -qw "$1=$2" >/dev/null
}

# The policy routing and sysctls described above, on an existing veth pair.
roce_routes_up() {
	local mac_a mac_b c fam

	mac_a=$(cat "/sys/class/net/$VETH_A/address") || return 1
	mac_b=$(cat "/sys/class/net/$VETH_B/address") || return 1
	for c in all default "$VETH_A" "$VETH_B"; do
		roce_sysctl "net.ipv4.conf.$c.accept_local" 1 || return 1
		roce_sysctl "net.ipv4.conf.$c.rp_filter" 0 || return 1
	done
	for fam in -4 -6; do
		# Idempotent: drop what an earlier run may have left.
		roce_routes_down_fam "$fam"
		ip "$fam" rule add pref "$ROCE_LOCAL_PREF" table local || return 1
		ip "$fam" rule del pref 0 table local 2>/dev/null
	done
	ip -4 route add "$IP_B/32" dev "$VETH_A" src "$IP_A" table "$ROCE_TABLE_A" &&
	ip -4 route add "$IP_A/32" dev "$VETH_B" src "$IP_B" table "$ROCE_TABLE_B" &&
	ip -6 route add "$IP6_B/128" dev "$VETH_A" table "$ROCE_TABLE_A" &&
	ip -6 route add "$IP6_A/128" dev "$VETH_B" table "$ROCE_TABLE_B" &&
	ip -4 rule add pref "$ROCE_RULE_PREF" iif lo to "$IP_B/32" table "$ROCE_TABLE_A" &&
	ip -4 rule add pref "$ROCE_RULE_PREF" iif lo to "$IP_A/32" table "$ROCE_TABLE_B" &&
	ip -6 rule add pref "$ROCE_RULE_PREF" iif lo to "$IP6_B/128" table "$ROCE_TABLE_A" &&
	ip -6 rule add pref "$ROCE_RULE_PREF" iif lo to "$IP6_A/128" table "$ROCE_TABLE_B" &&
	ip -4 neigh replace "$IP_B" lladdr "$mac_b" dev "$VETH_A" nud permanent &&
	ip -4 neigh replace "$IP_A" lladdr "$mac_a" dev "$VETH_B" nud permanent &&
	ip -6 neigh replace "$IP6_B" lladdr "$mac_b" dev "$VETH_A" nud permanent &&
	ip -6 neigh replace "$IP6_A" lladdr "$mac_a" dev "$VETH_B" nud permanent
}

roce_routes_down_fam() {
	local fam=$1

	while ip "$fam" rule del pref "$ROCE_RULE_PREF" 2>/dev/null; do :; done
	if ! ip "$fam" rule show pref 0 | grep -q 'lookup local'; then
		ip "$fam" rule add pref 0 table local 2>/dev/null
	fi
	while ip "$fam" rule del pref "$ROCE_LOCAL_PREF" 2>/dev/null; do :; done
	ip "$fam" route flush table "$ROCE_TABLE_A" 2>/dev/null
	ip "$fam" route flush table "$ROCE_TABLE_B" 2>/dev/null
	return 0
}

roce_routes_down() {
	roce_routes_down_fam -4
	roce_routes_down_fam -6
}

# The route a locally generated packet to ADDR takes: its output device.
roce_route_dev() {
	ip route get "$1" 2>/dev/null | sed -n 's/.* dev \([^ ]*\).*/\1/p' | head -n 1
}

# roce_gid_text ADDR: ADDR as a GID the way sysfs prints it (8 groups of
# 4 hex digits); IPv4 addresses as IPv4-mapped IPv6. Plain bash: the GID
# is looked up in polling loops, and every exec is slow under TCG.
roce_gid_text() {
	local a=$1 head tail out=() g n i o1 o2 o3 o4

	if [[ $a != *:* ]]; then
		IFS=. read -r o1 o2 o3 o4 <<<"$a"
		printf '0000:0000:0000:0000:0000:ffff:%02x%02x:%02x%02x\n' \
			"$o1" "$o2" "$o3" "$o4"
		return
	fi
	if [[ $a == *::* ]]; then
		head=${a%%::*} tail=${a#*::}
	else
		head=$a tail=
	fi
	local -a h t
	IFS=: read -r -a h <<<"$head"
	IFS=: read -r -a t <<<"$tail"
	n=$((8 - ${#h[@]} - ${#t[@]}))
	for g in "${h[@]}"; do out+=("$g"); done
	for ((i = 0; i < n; i++)); do out+=(0); done
	for g in "${t[@]}"; do out+=("$g"); done
	[ "${#out[@]}" -eq 8 ] || return 1
	printf '%04x:%04x:%04x:%04x:%04x:%04x:%04x:%04x\n' \
		"0x${out[0]}" "0x${out[1]}" "0x${out[2]}" "0x${out[3]}" \
		"0x${out[4]}" "0x${out[5]}" "0x${out[6]}" "0x${out[7]}"
}

# roce_gid_index DEV ADDR: prints the index of DEV's RoCE v2 GID of ADDR
# (port 1); fails when there is none (yet).
roce_gid_index() {
	local dev=$1 want gdir f i
	want=$(roce_gid_text "$2") || return 1
	gdir=/sys/class/infiniband/$dev/ports/1
	# One grep over the whole table (it may have 1024 entries).
	for f in $(grep -lx "$want" "$gdir"/gids/* 2>/dev/null); do
		i=${f##*/}
		if [ "$(cat "$gdir/gid_attrs/types/$i" 2>/dev/null)" = "RoCE v2" ]; then
			echo "$i"
			return 0
		fi
	done
	return 1
}

roce_has_gid() {
	roce_gid_index "$1" "$2" >/dev/null
}

# roce_dev_wait DEV ADDR4 ADDR6: DEV's port ACTIVE and both RoCE v2 GIDs there.
roce_dev_wait() {
	wait_for 20 port_state_is "$1" ACTIVE &&
	wait_for 20 roce_has_gid "$1" "$2" &&
	wait_for 20 roce_has_gid "$1" "$3"
}

# roce_devs_up [DRIVER]: veth pair, DRIVER loaded, ${DRIVER}0 on veth0 and
# ${DRIVER}1 on veth1, ACTIVE with their IPv4 and IPv6 RoCE v2 GIDs, routes
# and neighbours as above. Sets ROCE_DEV_A/B and the GID indices
# ROCE_GID4_A/B, ROCE_GID6_A/B. Says on stderr what failed.
roce_devs_up() {
	local drv=${1:-$ROCE_DRIVER}

	if ! roce_driver_valid "$drv"; then
		echo "roce_devs_up: SROCE_TEST_DRIVER must be sroce or rxe, not '$drv'" >&2
		return 1
	fi
	ROCE_DRIVER=$drv
	ROCE_DEV_A=${drv}0
	ROCE_DEV_B=${drv}1
	rdma_links_clear
	veth_teardown
	roce_routes_down
	roce_driver_load "$drv" || { echo "roce_devs_up: cannot load $drv" >&2; return 1; }
	veth_setup || { echo "roce_devs_up: veth_setup failed" >&2; return 1; }
	roce_routes_up || { echo "roce_devs_up: routes/neighbours failed" >&2; return 1; }
	if [ "$(roce_route_dev "$IP_B")" != "$VETH_A" ] ||
	   [ "$(roce_route_dev "$IP_A")" != "$VETH_B" ] ||
	   [ "$(roce_route_dev "$IP6_B")" != "$VETH_A" ] ||
	   [ "$(roce_route_dev "$IP6_A")" != "$VETH_B" ]; then
		echo "roce_devs_up: local peer addresses are not routed through the veth:" >&2
		ip route get "$IP_B" >&2
		ip -6 route get "$IP6_B" >&2
		return 1
	fi
	rdma link add "$ROCE_DEV_A" type "$drv" netdev "$VETH_A" &&
	rdma link add "$ROCE_DEV_B" type "$drv" netdev "$VETH_B" ||
		{ echo "roce_devs_up: rdma link add failed" >&2; return 1; }
	if ! roce_dev_wait "$ROCE_DEV_A" "$IP_A" "$IP6_A" ||
	   ! roce_dev_wait "$ROCE_DEV_B" "$IP_B" "$IP6_B"; then
		echo "roce_devs_up: ports not ACTIVE or RoCE v2 GIDs missing" >&2
		rdma link show >&2
		return 1
	fi
	ROCE_GID4_A=$(roce_gid_index "$ROCE_DEV_A" "$IP_A")
	ROCE_GID4_B=$(roce_gid_index "$ROCE_DEV_B" "$IP_B")
	ROCE_GID6_A=$(roce_gid_index "$ROCE_DEV_A" "$IP6_A")
	ROCE_GID6_B=$(roce_gid_index "$ROCE_DEV_B" "$IP6_B")
	export ROCE_DRIVER ROCE_DEV_A ROCE_DEV_B
	export ROCE_GID4_A ROCE_GID4_B ROCE_GID6_A ROCE_GID6_B
}

# roce_devs_down: devices, routes and veth gone; the guest left as the
# other tests expect it (sroce loaded, rdma_rxe not).
# roce_suite_devs_up NO_DEVICES: the two devices a datapath test runs on,
# reported as its first KTAP line. Without them, NO_DEVICES prints a failure
# for each planned run and the test ends; rxe asked for in a kernel without
# it is a skip.
roce_suite_devs_up() {
	if [ "${SROCE_TEST_DRIVER:-sroce}" = rxe ] &&
	   ! modinfo rdma_rxe >/dev/null 2>&1; then
		ktap_skip "devices up" "no rdma_rxe module in this kernel"
		ktap_finish
	fi
	if ! roce_devs_up "$ROCE_DRIVER" 2>/tmp/roce_devs_up.err; then
		sed 's/^/# /' /tmp/roce_devs_up.err
		ktap_not_ok "two $ROCE_DRIVER devices on a veth pair with RoCE v2 GIDs"
		"$1"
		roce_devs_down
		ktap_finish
	fi
	ktap_ok "two $ROCE_DRIVER devices on a veth pair with RoCE v2 GIDs"
}

roce_devs_down() {
	roce_kill_traffic
	rdma_links_clear
	roce_routes_down
	veth_teardown
	if module_loaded rdma_rxe; then
		modprobe -r rdma_rxe
	fi
	sroce_ensure_loaded
}

# Traffic programs the tests start; leftovers are killed between tests.
ROCE_TRAFFIC_PROGS="ibv_rc_pingpong ibv_uc_pingpong ibv_ud_pingpong ibv_srq_pingpong
ib_write_bw ib_read_bw ib_send_bw ib_atomic_bw ib_write_lat ib_read_lat
ib_send_lat ib_atomic_lat rping"

# roce_kill_traffic: SIGKILL any traffic program still running, and wait
# for it to be gone (its RDMA resources are released on exit).
roce_kill_traffic() {
	local pids

	# shellcheck disable=SC2086
	pids=$(pidof $ROCE_TRAFFIC_PROGS) || return 0
	# shellcheck disable=SC2086
	kill -9 $pids 2>/dev/null
	wait_for 10 roce_no_traffic
}

roce_no_traffic() {
	# shellcheck disable=SC2086
	! pidof $ROCE_TRAFFIC_PROGS >/dev/null
}

# roce_wait_listen PORT: something listens on TCP PORT (a server is up).
roce_wait_listen() {
	wait_for "${2:-20}" sh -c "ss -Hltn 'sport = :$1' | grep -q ."
}

# roce_wait_exit PID SECONDS: wait for background PID, killing it after
# SECONDS; returns its exit status (137 if it had to be killed).
roce_wait_exit() {
	local pid=$1 deadline=$(($(date +%s) + $2))

	while kill -0 "$pid" 2>/dev/null; do
		if [ "$(date +%s)" -ge "$deadline" ]; then
			kill -9 "$pid" 2>/dev/null
			break
		fi
		sleep 0.1
	done
	wait "$pid"
}

# roce_perf_result FILE PROG SIZE ITERS: perftest's result line for SIZE
# in FILE (a client's output): bandwidth tests print
# "#bytes #iterations BW-peak BW-average MsgRate", latency tests
# "#bytes #iterations t_min t_max t_typical t_avg ...". Prints the line.
roce_perf_result() {
	local file=$1 prog=$2 size=$3 iters=$4

	if [[ $prog == *_bw ]]; then
		# BW average or MsgRate non-zero (each alone rounds to 0.00
		# for 1 B or 1 MiB messages under TCG).
		awk -v s="$size" -v n="$iters" \
			'$1 == s && $2 == n && NF >= 5 && ($4 + 0 > 0 || $5 + 0 > 0) { print; found = 1 }
			 END { exit !found }' "$file"
	else
		awk -v s="$size" -v n="$iters" \
			'$1 == s && $2 == n && NF >= 6 && $6 + 0 > 0 { print; found = 1 }
			 END { exit !found }' "$file"
	fi
}

# Two hosts (tools/vm-run --pair): one device on SROCE_IFACE.
# roce_pair_dev_up DRIVER DEV: DEV ACTIVE with both RoCE v2 GIDs; sets
# ROCE_PAIR_GID4 / ROCE_PAIR_GID6.
roce_pair_dev_up() {
	local drv=$1 dev=$2

	rdma_links_clear
	roce_driver_load "$drv" || { echo "cannot load $drv" >&2; return 1; }
	rdma link add "$dev" type "$drv" netdev "$SROCE_IFACE" ||
		{ echo "rdma link add $dev failed" >&2; return 1; }
	if ! roce_dev_wait "$dev" "$SROCE_LOCAL_IP" "$SROCE_LOCAL_IP6"; then
		echo "$dev: port not ACTIVE or RoCE v2 GIDs missing" >&2
		return 1
	fi
	ROCE_PAIR_GID4=$(roce_gid_index "$dev" "$SROCE_LOCAL_IP")
	ROCE_PAIR_GID6=$(roce_gid_index "$dev" "$SROCE_LOCAL_IP6")
	export ROCE_PAIR_GID4 ROCE_PAIR_GID6
}

# pair_exchange TAG VALUE: tells the peer guest VALUE and prints the
# peer's, both tagged TAG (a mismatch means the guests lost step). Guest b
# listens on TCP ROCE_SYNC_PORT, guest a connects. Doubles as a barrier.
ROCE_SYNC_PORT=4702
pair_exchange() {
	/usr/bin/python3 - "$SROCE_ROLE" "$SROCE_PEER_IP" "$ROCE_SYNC_PORT" \
		"$1" "$2" "${3:-300}" <<'PY'
import socket, sys, time
role, peer, port, tag, value, tmo = sys.argv[1:7]
port, tmo = int(port), float(tmo)
line = (tag + " " + value + "\n").encode()
deadline = time.time() + tmo
if role == "b":
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.listen(1)
    s.settimeout(tmo)
    c, _ = s.accept()
    s.close()
else:
    while True:
        try:
            c = socket.create_connection((peer, port), timeout=2)
            break
        except OSError:
            if time.time() > deadline:
                sys.exit("pair_exchange: peer never listened")
            time.sleep(0.2)
c.settimeout(max(1.0, deadline - time.time()))
c.sendall(line)
got = b""
while not got.endswith(b"\n"):
    d = c.recv(256)
    if not d:
        break
    got += d
c.close()
f = got.decode().split()
if len(f) != 2 or f[0] != tag:
    sys.exit("pair_exchange: expected tag %s, peer said %r" % (tag, got))
print(f[1])
PY
}
