#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# sroce and rdma_rxe: the same user ABI and driver id, the same UDP port.
# Loading sroce binds nothing, so rdma_rxe loads beside an idle sroce. But
# rdma_rxe's netdev notifier takes every device of that driver id on a
# netdev for its own, so the two never have devices at once:
# - rdma_rxe loaded: `rdma link add ... type sroce` is refused, in init_net
#   and in any other namespace, naming the holder of init_net's port
#   (rxe_udp_encap_recv [rdma_rxe]), whether rdma_rxe came before or after
#   sroce; rxe's devices stay ACTIVE and carry traffic; unloading sroce
#   leaves them alone; once rdma_rxe is gone sroce adds devices again.
# - sroce has a device (in init_net, or only in another namespace): loading
#   rdma_rxe is refused, saying why; sroce's device is undisturbed.
# - a userspace socket on 4791 (IPv4, or IPv6 only) in a namespace: the add
#   there is refused, naming a userspace socket, and leaves no socket of
#   sroce behind; other namespaces are not affected.
dir=$(cd "$(dirname "$0")" && pwd)
. "$dir/lib.sh"
. "$dir/roce_net.sh"

NS=sroce_rxens
LOG=/tmp/rxe_conflict
PORT=19400
PLAN=25

ktap_plan "$PLAN"
sroce_reset
if ! modinfo rdma_rxe >/dev/null 2>&1; then
	for ((i = 0; i < PLAN; i++)); do
		ktap_skip "rxe conflict $i" "no rdma_rxe module in this kernel"
	done
	ktap_finish
fi

port_closed() {
	[ -z "$(${1:+ip netns exec "$1"} ss -Huln 'sport = :4791')" ]
}

# sroce_sockets NS: sroce's two sockets (and nothing else) on 4791 in NS.
sroce_sockets() {
	local out
	out=$(${1:+ip netns exec "$1"} ss -Huln 'sport = :4791')
	[ "$(wc -l <<<"$out")" = 2 ] && grep -q ' 0\.0\.0\.0:4791 ' <<<"$out" &&
		grep -Eq ' (\[::\]|\*):4791 ' <<<"$out"
}

# A namespace with a veth pair of its own (vn0 <-> vn1).
ns_up() {
	ip netns add "$NS" &&
	ip -n "$NS" link set lo up &&
	ip -n "$NS" link add vn0 type veth peer name vn1 &&
	ip -n "$NS" addr add 198.18.20.1/24 dev vn0 &&
	ip -n "$NS" -6 addr add 2001:db8:20::1/64 dev vn0 nodad &&
	ip -n "$NS" link set vn0 up && ip -n "$NS" link set vn1 up
}

no_sroce_dev() {
	! rdma link show 2>/dev/null | grep -q '^link sroce' &&
	! ip netns exec "$NS" rdma link show 2>/dev/null | grep -q '^link sroce'
}

# rxe_pp: ibv_rc_pingpong -c between rxe0 and rxe1 (veth0 <-> veth1, with
# roce_net.sh's routes), IPv4 GIDs.
rxe_pp() {
	local g0 g1 spid rc_c rc_s

	g0=$(roce_gid_index rxe0 "$IP_A") && g1=$(roce_gid_index rxe1 "$IP_B") ||
		return 1
	PORT=$((PORT + 1))
	timeout 60 ibv_rc_pingpong -d rxe1 -i 1 -g "$g1" -s 4096 -n 20 -p "$PORT" -c \
		>"$LOG.srv" 2>&1 &
	spid=$!
	roce_wait_listen "$PORT" || { kill -9 "$spid"; wait "$spid"; return 1; }
	timeout 60 ibv_rc_pingpong -d rxe0 -i 1 -g "$g0" -s 4096 -n 20 -p "$PORT" -c \
		127.0.0.1 >"$LOG.cli" 2>&1
	rc_c=$?
	roce_wait_exit "$spid" 30
	rc_s=$?
	if [ "$rc_c" -ne 0 ] || [ "$rc_s" -ne 0 ]; then
		sed 's/^/# client: /' "$LOG.cli"
		sed 's/^/# server: /' "$LOG.srv"
		return 1
	fi
	grep -q '^20 iters in' "$LOG.cli"
}

rxe_devs_ok() {
	rdma_dev_exists rxe0 && rdma_dev_exists rxe1 &&
	port_state_is rxe0 ACTIVE && port_state_is rxe1 ACTIVE && rxe_pp
}

HOLDER='rxe_udp_encap_recv \[rdma_rxe\]'

# refused NAME NS: `rdma link add` of a sroce device in NS ("" for
# init_net) fails, dmesg names rdma_rxe's socket, no sroce device is left
# and NS's port is not sroce's.
refused() {
	local name=$1 ns=$2 ndev=veth0

	[ -n "$ns" ] && ndev=vn0
	dmesg_mark
	if ! ${ns:+ip netns exec "$ns"} rdma link add s0 type sroce netdev "$ndev" 2>/dev/null &&
	   dmesg_since_mark | grep -q "$HOLDER" && no_sroce_dev &&
	   { [ -z "$ns" ] || port_closed "$ns"; }; then
		ktap_ok "$name"
	else
		ktap_not_ok "$name"
	fi
	dmesg_since_mark | grep sroce | sed 's/^/# /'
}

cleanup() {
	rdma_links_clear
	ip netns exec "$NS" rdma link delete s0 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	roce_routes_down
	veth_teardown
	module_loaded rdma_rxe && modprobe -r rdma_rxe
	sroce_ensure_loaded
	return 0
}
trap cleanup EXIT

veth_setup
ns_up || ktap_info "namespace set-up failed"

# 1. sroce loaded, idle: nothing bound, rdma_rxe loads beside it.
ktap_check "sroce loaded, no device: UDP 4791 closed" port_closed
if modprobe rdma_rxe && module_loaded rdma_rxe; then
	ktap_ok "rdma_rxe loads beside an idle sroce"
else
	ktap_not_ok "rdma_rxe loads beside an idle sroce"
fi
roce_routes_up || ktap_info "routes for rxe failed"
rdma link add rxe0 type rxe netdev "$VETH_A"
rdma link add rxe1 type rxe netdev "$VETH_B"
wait_for 20 roce_has_gid rxe0 "$IP_A"
wait_for 20 roce_has_gid rxe1 "$IP_B"
ktap_check "rxe0 and rxe1 ACTIVE, ibv_rc_pingpong between them" rxe_devs_ok

# 2. rdma_rxe loaded (after sroce): no sroce device anywhere.
refused "sroce device in init_net refused, naming rxe_udp_encap_recv [rdma_rxe]" ""
refused "sroce device in another namespace refused too" "$NS"
ktap_check "rxe devices undisturbed (ACTIVE, traffic)" rxe_devs_ok

# 3. Unloading sroce leaves rxe alone; loading it again binds nothing.
if modprobe -r sroce && ! module_loaded sroce; then
	ktap_ok "sroce unloads beside rdma_rxe"
else
	ktap_not_ok "sroce unloads beside rdma_rxe"
fi
ktap_check "rxe devices undisturbed by sroce's unload" rxe_devs_ok
ss -Huln 'sport = :4791' | sed 's/^/# ss: /'
if modprobe sroce && module_loaded sroce; then
	ktap_ok "sroce loads while rdma_rxe holds the port"
else
	ktap_not_ok "sroce loads while rdma_rxe holds the port"
fi
# rdma_rxe came first this time: found by its socket alone
refused "rxe loaded before sroce: add refused, naming it" ""
refused "rxe loaded before sroce: add in another namespace refused" "$NS"
ktap_check "rxe devices still undisturbed" rxe_devs_ok

# 4. rdma_rxe gone: sroce adds devices again.
rdma link delete rxe0
rdma link delete rxe1
roce_routes_down
ktap_check "rdma_rxe unloads" modprobe -r rdma_rxe
ktap_check "sroce device in init_net once rdma_rxe is gone" \
	rdma link add s0 type sroce netdev "$VETH_A"
ktap_check "its sockets are open" sroce_sockets

# 5. sroce has a device: rdma_rxe may not load.
dmesg_mark
if ! modprobe rdma_rxe 2>/dev/null && ! module_loaded rdma_rxe &&
   dmesg_since_mark | grep -q "sroce: refusing to let rdma_rxe load"; then
	ktap_ok "rdma_rxe refused while sroce has a device in init_net"
else
	ktap_not_ok "rdma_rxe refused while sroce has a device in init_net"
fi
dmesg_since_mark | grep -E 'sroce|rxe' | sed 's/^/# /'
ktap_check "sroce device undisturbed" port_state_is s0 ACTIVE
rdma link delete s0
ktap_check "sroce device only in $NS" ip netns exec "$NS" rdma link add s0 type sroce netdev vn0
ktap_check "init_net's port closed, $NS's open" eval "port_closed && sroce_sockets $NS"
dmesg_mark
if ! modprobe rdma_rxe 2>/dev/null && ! module_loaded rdma_rxe &&
   dmesg_since_mark | grep -q "sroce: refusing to let rdma_rxe load"; then
	ktap_ok "rdma_rxe refused while sroce has a device only in another namespace"
else
	ktap_not_ok "rdma_rxe refused while sroce has a device only in another namespace"
fi
ktap_check "the device in $NS undisturbed" \
	ip netns exec "$NS" bash -c ". '$dir/lib.sh'; port_state_is s0 ACTIVE"
ip netns exec "$NS" rdma link delete s0

# 6. A userspace socket on 4791 in a namespace.
# user_socket FAMILY: a python UDP socket bound to 4791 in $NS until killed.
user_socket() {
	ip netns exec "$NS" /usr/bin/python3 -c '
import socket, sys, time
fam = socket.AF_INET6 if sys.argv[1] == "6" else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
if fam == socket.AF_INET6:
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", 4791))
print("bound", flush=True)
time.sleep(600)' "$1" >"$LOG.py" 2>&1 &
	PY_PID=$!
	wait_for 10 grep -q bound "$LOG.py"
}

for fam in 4 6; do
	user_socket "$fam" || ktap_info "python socket IPv$fam failed: $(cat "$LOG.py")"
	dmesg_mark
	if ! ip netns exec "$NS" rdma link add s0 type sroce netdev vn0 2>/dev/null &&
	   dmesg_since_mark | grep -q "(IPv$fam) of this network namespace is held by a userspace socket" &&
	   no_sroce_dev &&
	   [ "$(ip netns exec "$NS" ss -Huln 'sport = :4791' | wc -l)" = 1 ]; then
		ktap_ok "userspace IPv$fam socket on 4791 in $NS: add refused, named, nothing left"
	else
		ip netns exec "$NS" ss -Huln | sed 's/^/# ss: /'
		ktap_not_ok "userspace IPv$fam socket on 4791 in $NS: add refused, named, nothing left"
	fi
	dmesg_since_mark | grep sroce | sed 's/^/# /'
	kill "$PY_PID"
	wait "$PY_PID" 2>/dev/null
done
# still refused in $NS is no reason to refuse elsewhere
user_socket 4
ktap_check "a userspace socket in $NS does not stop a device in init_net" \
	rdma link add s1 type sroce netdev "$VETH_A"
kill "$PY_PID"
wait "$PY_PID" 2>/dev/null
ktap_check "socket gone: the add in $NS succeeds" \
	ip netns exec "$NS" rdma link add s0 type sroce netdev vn0

# shellcheck disable=SC2154 # ktap_n: lib.sh
[ "$ktap_n" -eq "$PLAN" ] || echo "# plan $PLAN but $ktap_n results: fix PLAN"
trap - EXIT
cleanup
ktap_finish
