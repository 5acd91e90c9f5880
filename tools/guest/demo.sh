#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the demo guest (tools/demo): two sroce devices on the two
# ends of a veth pair, what stock rdma-core reports about them, and RDMA
# traffic between them (perftest's ib_write_bw and ib_write_lat). The last
# lines say whether the traffic worked; the demo fails when it did not.
set -euo pipefail

# shellcheck source=../../selftests/lib.sh
. "$SROCE_REPO/selftests/lib.sh"
# shellcheck source=roce-net.sh
. "$SROCE_REPO/tools/guest/roce-net.sh"

show() {
	echo
	echo "\$ $*"
	"$@"
}

listening() { ss -Hltn "sport = :$1" | grep -q .; }

# traffic PROG ARGS...: PROG's server on sroce1, its client on sroce0, both
# bounded in time; shows the client's report. Fails unless both ends exit 0
# and the report has a result line.
traffic() {
	local prog=$1 srv rc=0 srv_rc=0 port=18515
	shift
	echo
	echo "\$ $prog -d sroce1 -x $RN_GID_B $* &    # server"
	echo "\$ $prog -d sroce0 -x $RN_GID_A $* $IP_B"
	timeout 60 "$prog" -d sroce1 -x "$RN_GID_B" -F -p $port "$@" \
		</dev/null >"/tmp/$prog.server.log" 2>&1 &
	srv=$!
	if ! wait_for 20 listening $port; then
		echo "demo: $prog: the server did not start:"
		cat "/tmp/$prog.server.log"
		kill "$srv" 2>/dev/null
		wait "$srv" 2>/dev/null
		return 1
	fi
	timeout 60 "$prog" -d sroce0 -x "$RN_GID_A" -F -p $port "$@" "$IP_B" \
		</dev/null >"/tmp/$prog.client.log" 2>&1 || rc=$?
	wait "$srv" || srv_rc=$?
	sed -n '/#bytes/,$p' "/tmp/$prog.client.log"
	if [ $rc -ne 0 ] || [ $srv_rc -ne 0 ]; then
		echo "demo: $prog: client exit $rc, server exit $srv_rc$( ((rc != 124)) || echo ' (timed out)'); client said:"
		tail -n 5 "/tmp/$prog.client.log"
		return 1
	fi
	awk '/#bytes/ { hdr = 1; next } hdr && $1 ~ /^[0-9]+$/ && NF >= 5 { ok = 1 } END { exit !ok }' \
		"/tmp/$prog.client.log" || { echo "demo: $prog: no result in its report"; return 1; }
}

rn_net_up
show rdma link add sroce0 type sroce netdev "$VETH_A"
show rdma link add sroce1 type sroce netdev "$VETH_B"
wait_for 10 sh -c "ibv_devinfo -v -d sroce1 | grep -q '$IP6_B, RoCE v2'"
show rdma link show
show rdma dev show
show ibv_devices
show ibv_devinfo -v -d sroce0

wait_for 10 rn_dev_ready sroce0 "$IP_A"
wait_for 10 rn_dev_ready sroce1 "$IP_B"
RN_GID_A=$(rn_gid_index sroce0 "$IP_A")
RN_GID_B=$(rn_gid_index sroce1 "$IP_B")
traffic_ok=()
traffic_failed=()
if traffic ib_write_bw -s 65536 -n 200; then
	traffic_ok+=(ib_write_bw)
else
	traffic_failed+=(ib_write_bw)
fi
if traffic ib_write_lat -s 64 -n 1000; then
	traffic_ok+=(ib_write_lat)
else
	traffic_failed+=(ib_write_lat)
fi
show ip link set "$VETH_B" down
wait_for 10 port_state_is sroce0 DOWN
show rdma link show sroce0/1
show ip link set "$VETH_B" up
wait_for 10 port_state_is sroce0 ACTIVE
show rdma link show sroce0/1
show rdma link delete sroce1
show rdma link delete sroce0
echo
echo "demo: sroce devices created, inspected and removed."
if [ ${#traffic_failed[@]} -eq 0 ]; then
	echo "demo: RDMA traffic between sroce0 and sroce1 works: ${traffic_ok[*]} completed."
	echo "demo: (timings under TCG are ~50x slower than hardware; tools/bench compares with rxe)"
else
	echo "demo: RDMA traffic between sroce0 and sroce1 FAILED: ${traffic_failed[*]}${traffic_ok[*]:+ (worked: ${traffic_ok[*]})}"
	exit 1
fi
