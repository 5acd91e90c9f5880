#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Two hosts (tools/vm-run --pair), one sroce device each on a virtio NIC.
# Guest a probes guest b: b's sroce owns UDP 4791 on IPv4 and IPv6, so a
# datagram to it is consumed silently, while one to a closed port next to
# it draws an ICMP "port unreachable" (the control that makes the probe
# able to fail). b waits for a's verdict, then both check their own device.
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

if [ -z "${SROCE_ROLE:-}" ] || [ "$SROCE_ROLE" = single ]; then
	ktap_plan 1
	ktap_skip "pair link" "needs tools/vm-run --pair"
	ktap_finish
fi

ktap_plan 4
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
	ktap_check "control: closed UDP port on the peer is refused" \
		probe_is "$SROCE_PEER_IP" 4790 refused
	if probe_is "$SROCE_PEER_IP" 4791 silent &&
	   probe_is "$SROCE_PEER_IP6" 4791 silent; then
		ktap_ok "peer's sroce owns UDP 4791 on IPv4 and IPv6"
	else
		ktap_not_ok "peer's sroce owns UDP 4791 on IPv4 and IPv6"
	fi
	# Tell b we are done (any TCP connection to its done port will do).
	wait_for 30 bash -c "echo done >/dev/tcp/$SROCE_PEER_IP/$DONE_PORT" 2>/dev/null
else
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
	ktap_check "peer finished its probes" test $? -eq 0
	ktap_check "sroce still loaded after foreign RoCE datagrams" \
		module_loaded sroce
fi

rdma link delete sroce0
ktap_check "device deleted" rdma_dev_gone sroce0
ktap_finish
