#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# RoCE segmentation offload on a veth pair (Documentation/datapath.rst):
# with the gso module parameter on (the default), runs of an RC QP's
# zero-copy packets leave as one UDP GSO skb, which the veth hands over
# whole and the receiver's rx handler walks unit by unit in place; the
# responder's runs of READ responses too, each payload copied into a page
# fragment of its own. With it off, every packet is a frame of its own.
# Either way lossy's WRITE, SEND, READ and mixed runs verify every byte, no
# error or drop counter moves, and the capture on the receiving veth (full
# frames) checks out frame by frame in icrc_check.py: each super-frame cut
# as the kernel cuts it, every datagram with its own ICRC right. With gso
# on the capture must hold super-frames, READ responses among them, with
# gso off none; and the receiving device walks the runs on a backlog
# worked on another CPU (rx_deferred grows; Documentation/datapath.rst,
# "Two CPUs").
# shellcheck source-path=SCRIPTDIR
dir=$(cd "$(dirname "$0")" && pwd)
. "$dir/lib.sh"
. "$dir/roce_net.sh"

LOSSY=$dir/lossy
PARAM=/sys/module/sroce/parameters/gso
CAP=/tmp/gso.pcap
LOG=/tmp/gso.log
SNAP=/tmp/gso.counters

if [ "${SROCE_TEST_DRIVER:-sroce}" != sroce ]; then
	ktap_plan 1
	ktap_skip "gso" "sroce's own send path"
	ktap_finish
fi
ktap_plan 8
no_devices() {
	local i

	for i in 1 2 3 4 5 6 7; do
		ktap_not_ok "gso" "no devices"
	done
}
roce_suite_devs_up no_devices
export SROCE_TEST_DEV_A=$ROCE_DEV_A SROCE_TEST_DEV_B=$ROCE_DEV_B
mtu=$(cat "/sys/class/net/$VETH_B/mtu")

v=$(cat "$PARAM" 2>/dev/null)
ktap_check "the gso parameter is on by default ($v)" [ "$v" = Y ]

# run MODE: lossy's verified workloads under a capture of whole frames.
# One KTAP result for the traffic, one for the capture.
run() {
	local mode=$1 rc pid out pmtu want

	echo "$mode" >"$PARAM"
	rm -f "$CAP"
	tcpdump -i "$VETH_B" -nn -U -s 0 -w "$CAP" udp port 4791 \
		>/dev/null 2>&1 &
	pid=$!
	wait_for 10 test -s "$CAP"
	counters_snapshot "$SNAP" "$ROCE_DEV_A" "$ROCE_DEV_B"
	timeout 150 "$LOSSY" -n 40 -t 5 write send read mixed >"$LOG" 2>&1
	rc=$?
	sed 's/^/# /' "$LOG"
	# retransmits: a loaded TCG guest can hold a frame past the timeout
	if [ "$rc" = 0 ] && assert_no_recovery "$SNAP" retransmits \
	   retransmitted_pkts duplicate_request out_of_seq_request \
	   rcvd_seq_err completer_retry_err rx_drop_stale_resp; then
		ktap_ok "gso=$mode: verified WRITE, SEND, READ and mixed traffic, no error counted"
	else
		ktap_not_ok "gso=$mode: verified WRITE, SEND, READ and mixed traffic" \
			"lossy exit $rc"
	fi
	sleep 1
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	pmtu=$(sed -n 's/.*path MTU \([0-9]*\).*/\1/p' "$LOG" | head -n1)
	out=$(python3 "$dir/icrc_check.py" --mtu "$mtu" --pmtu "${pmtu:-0}" \
	      "$CAP" 2>&1)
	rc=$?
	ktap_info "capture on $VETH_B (MTU $mtu, path MTU $pmtu): $out"
	if [ "$mode" = 1 ]; then
		want='[1-9][0-9]* GSO skbs .*\([1-9][0-9]* of READ responses\)'
		name="GSO skbs on the veth, READ responses among them"
	else
		want=' 0 GSO skbs' name="no GSO skb"
	fi
	if [ "$rc" = 0 ] && [[ $out =~ $want ]]; then
		ktap_ok "gso=$mode: every datagram's ICRC checks out; $name"
	else
		ktap_not_ok "gso=$mode: every datagram's ICRC checks out; $name" \
			"$out"
	fi
}

# deferred DEV: the skbs DEV's receive path queued on a QP's backlog.
deferred() {
	cat "/sys/class/infiniband/$1/ports/1/hw_counters/rx_deferred" \
		2>/dev/null || echo -1
}

d0=$(deferred "$ROCE_DEV_B")
run 1
d1=$(deferred "$ROCE_DEV_B")
ktap_check "gso=1: $ROCE_DEV_B walked runs on a backlog (rx_deferred $d0 -> $d1)" \
	[ "$d1" -gt "$d0" ]
run 0
echo 1 >"$PARAM"
ktap_check "the gso parameter is back on" [ "$(cat "$PARAM")" = Y ]

roce_devs_down
ktap_finish
