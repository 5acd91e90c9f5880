#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Object lifetime under pressure: 10,000 QPs, CQs and MRs created and
# destroyed by several processes while others dump resources without pause;
# a process killed with thousands of objects; a device deleted under a
# process that holds objects.
. "$(dirname "$0")/lib.sh"

bin=$(dirname "$0")
N=${SROCE_TEST_CHURN_OBJECTS:-10000}

# "pd N cq N qp N mr N" of a device, from the rdma res summary.
# Fails when rdma fails or prints no summary for the device, so that an
# empty read is never compared with an empty baseline.
res_counts() {
	local out
	out=$(rdma res show "$1") || return 1
	echo "$out" | sed -n 's/.* pd \([0-9]*\) cq \([0-9]*\) qp \([0-9]*\) .* mr \([0-9]*\) .*/pd \1 cq \2 qp \3 mr \4/p' |
		grep .
}

res_counts_are() {
	local now
	now=$(res_counts "$1") && [ -n "$2" ] && [ "$now" = "$2" ]
}

# The QP count alone.
res_qps() {
	res_counts "$1" | sed -n 's/.* qp \([0-9]*\) .*/\1/p'
}

res_qp_at_least() {
	local qp
	qp=$(res_qps "$1")
	[ "${qp:-0}" -ge "$2" ]
}

# The counts of a device no test has touched yet. Not zero: ib_core's MAD
# layer creates its GSI QP (QP1), a CQ and a PD at registration. Read until
# two reads half a second apart agree, so registration has settled.
res_baseline() {
	local prev cur
	prev=$(res_counts "$1")
	for _ in $(seq 10); do
		sleep 0.5
		cur=$(res_counts "$1")
		[ -n "$cur" ] && [ "$cur" = "$prev" ] && break
		prev=$cur
	done
	echo "$cur"
	[ -n "$cur" ]
}

ktap_plan 9
sroce_reset
veth_setup
rdma link add sroce0 type sroce netdev "$VETH_A"
base=$(res_baseline sroce0) || ktap_info "no baseline: rdma res show failed"
ktap_info "baseline: $base"

out=$("$bin/churn" -d sroce0 -w 4 -D 4 -q "$N" -c "$N" -m "$N" 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
if [ $rc -eq 0 ]; then
	ktap_ok "churn: $N QPs, CQs, MRs under continuous dumps"
else
	ktap_not_ok "churn: $N QPs, CQs, MRs under continuous dumps" "exit $rc"
fi
ktap_check "rdma res counts back to the baseline" \
	wait_for 30 res_counts_are sroce0 "$base"

"$bin/hold" -d sroce0 -n 2000 -k >/tmp/hold.log 2>&1 &
holder=$!
if wait_for 300 grep -q "hold: ready" /tmp/hold.log &&
   res_qp_at_least sroce0 2000; then
	ktap_info "holding: $(res_counts sroce0)"
	kill -9 "$holder"
	wait "$holder" 2>/dev/null
	ktap_check "kill -9 with 2000 of each object: all reclaimed" \
		wait_for 120 res_counts_are sroce0 "$base"
else
	kill -9 "$holder" 2>/dev/null
	ktap_not_ok "kill -9 with 2000 of each object: all reclaimed" \
		"$(cat /tmp/hold.log)"
fi

"$bin/hold" -d sroce0 -n 500 >/tmp/hold.log 2>&1 &
holder=$!
if wait_for 300 grep -q "hold: ready" /tmp/hold.log &&
   rdma link delete sroce0 && rdma_dev_gone sroce0; then
	ktap_ok "link delete under a process holding 500 of each object"
else
	ktap_not_ok "link delete under a process holding 500 of each object"
fi
timeout 120 tail --pid="$holder" -f /dev/null
wait "$holder"
rc=$?
sed 's/^/# /' /tmp/hold.log
if [ $rc -eq 0 ] && grep -q "got IBV_EVENT_DEVICE_FATAL" /tmp/hold.log &&
   grep -q "destroyed everything, 0 failures" /tmp/hold.log; then
	ktap_ok "the holder got DEVICE_FATAL, destroyed its objects, exited"
else
	ktap_not_ok "the holder got DEVICE_FATAL, destroyed its objects, exited" \
		"exit $rc"
fi

rdma link add sroce0 type sroce netdev "$VETH_A"
if res_counts_are sroce0 "$base" && rdma link delete sroce0; then
	ktap_ok "a new device starts from the baseline"
else
	ktap_not_ok "a new device starts from the baseline"
fi
if rmmod sroce && modprobe sroce; then
	ktap_ok "rmmod and reload after the churn"
else
	ktap_not_ok "rmmod and reload after the churn"
fi

# Limits: a device added under max_qp=50 reports it, refuses the 51st QP
# on the device cleanly and takes as many again once the refused process is
# gone. max_qp is device-wide: the QPs already there (the MAD layer's QP1)
# count against it, so a process gets 50 minus those.
rmmod sroce
modprobe sroce max_qp=50
rdma link add sroce0 type sroce netdev "$VETH_A"
base50=$(res_baseline sroce0)
have=$(res_qps sroce0)
room=$((50 - ${have:-50}))
ktap_info "max_qp=50 baseline: $base50; room for $room QPs"
"$bin/hold" -d sroce0 -n $((room + 1)) -k >/tmp/hold.log 2>&1
rc=$?
sed 's/^/# /' /tmp/hold.log
if [ -n "$base50" ] && [ "$base50" = "$base" ] && [ "$room" -gt 0 ] &&
   ibv_devinfo -v -d sroce0 | grep -q "max_qp:[[:space:]]*50$" &&
   [ $rc -ne 0 ] &&
   grep -q "creating object $room failed: Cannot allocate memory" /tmp/hold.log &&
   wait_for 30 res_counts_are sroce0 "$base50"; then
	ktap_ok "max_qp=50 with $have QPs there: QP $((room + 1)) of a process fails with ENOMEM, all reclaimed"
else
	ktap_not_ok "max_qp=50 with $have QPs there: QP $((room + 1)) of a process fails with ENOMEM, all reclaimed" \
		"exit $rc, baseline $base50"
fi
"$bin/hold" -d sroce0 -n "$room" -k >/tmp/hold.log 2>&1 &
holder=$!
if wait_for 120 grep -q "hold: ready with $room " /tmp/hold.log &&
   [ "$(res_qps sroce0)" = 50 ]; then
	ktap_ok "then $room QPs again: 50 on the device"
else
	ktap_not_ok "then $room QPs again: 50 on the device" \
		"$(tr '\n' ' ' </tmp/hold.log)"
fi
kill -9 "$holder"
wait "$holder" 2>/dev/null
rdma link delete sroce0
rmmod sroce
modprobe sroce

sroce_reset
ktap_finish
