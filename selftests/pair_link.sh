#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Two hosts (tools/vm-run --pair), one sroce device each on a virtio NIC.
# Guest a probes guest b: b's sroce owns UDP 4791 on IPv4 and IPv6, so a
# datagram to it is consumed silently, while one to a closed port next to
# it draws an ICMP "port unreachable" (the controls, on IPv4 and IPv6, that
# make the probes able to fail). b counts what its sroce dropped while a
# probed: each of a's foreign datagrams must show up in b's rx_drop_*
# counters, and b's port must still be ACTIVE with its GID afterwards.
. "$(dirname "$0")/lib.sh"

DONE_PORT=4700

# udp_probe ADDR PORT: prints "refused" if ICMP port unreachable came back.
udp_probe() {
	/usr/bin/python3 - "$1" "$2" <<'PY'
import socket, sys
addr, port = sys.argv[1], int(sys.argv[2])
fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.settimeout(1.5)
s.connect((addr, port))
verdict = "silent"
for _ in range(3):
    try:
        s.send(b"\x00" * 64)
        s.recv(64)
    except ConnectionRefusedError:
        verdict = "refused"
        break
    except socket.timeout:
        pass
print(verdict)
PY
}

probe_is() {
	[ "$(udp_probe "$1" "$2")" = "$3" ]
}

# Datagrams a sends to the peer's port 4791: udp_probe sends 3 when nothing
# answers, once on IPv4 and once on IPv6.
PROBES=6

# The sum of DEV's rx_drop_* counters.
rx_drops() {
	cat /sys/class/infiniband/"$1"/ports/1/hw_counters/rx_drop_* |
		awk '{ n += $1 } END { print n + 0 }'
}

if [ -z "${SROCE_ROLE:-}" ] || [ "$SROCE_ROLE" = single ]; then
	ktap_plan 1
	ktap_skip "pair link" "needs tools/vm-run --pair"
	ktap_finish
fi

if [ "$SROCE_ROLE" = a ]; then
	ktap_plan 4
else
	ktap_plan 3
fi
rdma_links_clear
sroce_ensure_loaded
if rdma link add sroce0 type sroce netdev "$SROCE_IFACE" &&
   wait_for 10 port_state_is sroce0 ACTIVE &&
   wait_for 10 sh -c "ibv_devinfo -v -d sroce0 | grep -q '::ffff:$SROCE_LOCAL_IP, RoCE v2'"; then
	ktap_ok "sroce0 on $SROCE_IFACE is ACTIVE with its RoCE v2 GID"
else
	ktap_not_ok "sroce0 on $SROCE_IFACE is ACTIVE with its RoCE v2 GID"
fi

if [ "$SROCE_ROLE" = a ]; then
	if probe_is "$SROCE_PEER_IP" 4790 refused &&
	   probe_is "$SROCE_PEER_IP6" 4790 refused; then
		ktap_ok "control: a closed UDP port on the peer is refused on IPv4 and IPv6"
	else
		ktap_not_ok "control: a closed UDP port on the peer is refused on IPv4 and IPv6"
	fi
	if probe_is "$SROCE_PEER_IP" 4791 silent &&
	   probe_is "$SROCE_PEER_IP6" 4791 silent; then
		ktap_ok "peer's sroce owns UDP 4791 on IPv4 and IPv6"
	else
		ktap_not_ok "peer's sroce owns UDP 4791 on IPv4 and IPv6"
	fi
	# Tell b we are done (any TCP connection to its done port will do).
	wait_for 30 bash -c "echo done >/dev/tcp/$SROCE_PEER_IP/$DONE_PORT" 2>/dev/null
else
	# sroce0 is new: its counters started at zero with it, before a's
	# first probe could reach it.
	ktap_info "waiting for the peer's probes"
	/usr/bin/python3 -c "
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('0.0.0.0', $DONE_PORT))
s.listen(1)
s.settimeout(240)
s.accept()
"
	barrier=$?
	drops=$(rx_drops sroce0)
	ktap_info "peer done (wait status $barrier); sroce0 dropped $drops datagrams"
	if [ "$barrier" -eq 0 ] && [ "$drops" -ge "$PROBES" ] &&
	   port_state_is sroce0 ACTIVE &&
	   ibv_devinfo -v -d sroce0 | grep -q "::ffff:$SROCE_LOCAL_IP, RoCE v2"; then
		ktap_ok "the peer's $PROBES foreign datagrams dropped and counted; port still ACTIVE"
	else
		ktap_not_ok "the peer's $PROBES foreign datagrams dropped and counted; port still ACTIVE" \
			"wait status $barrier, $drops dropped"
	fi
fi

rdma link delete sroce0
ktap_check "device deleted" rdma_dev_gone sroce0
ktap_finish
