#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The SRQ limit event is raised with no sroce lock held, so its handler may
# call back into the verbs of the QP that consumed the WQE (issue 12, item
# 9). kmod_srq/sroce_srq_event_test.ko does it at load on sroce0 (two RC QPs
# of the device looping back to each other, the receiver on an SRQ whose
# limit the SENDs cross; see its header) and prints KTAP to the kernel log;
# this re-emits each of its results as one of its own, then checks that the
# module unloads and left no object behind on the device.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/roce_net.sh"

ko=$(kmod_for kmod_srq sroce_srq_event_test.ko)
mod_tests=19

if [ ! -e "$ko" ]; then
	ktap_plan 1
	ktap_skip "SRQ limit event" "$ko not built (make -C selftests)"
	ktap_finish
fi
ktap_plan $((mod_tests + 3))

# the objects on DEV as `rdma res show` counts them (pd, cq, qp, srq, ...)
res_counts() {
	rdma res show | sed -n "s/^[0-9]*: $1: //p"
}

sroce_reset
veth_setup
rdma link add sroce0 type sroce netdev "$VETH_A"
if ! roce_dev_wait sroce0 "$IP_A" "$IP6_A"; then
	ktap_not_ok "sroce0 ACTIVE with its RoCE v2 GIDs"
	sroce_reset
	ktap_finish
fi
ktap_ok "sroce0 ACTIVE with its RoCE v2 GIDs"
before=$(res_counts sroce0)

dmesg_mark
loaded=0
if insmod "$ko" dev=sroce0; then
	loaded=1
else
	echo "# insmod $ko failed"
fi
log=$(dmesg_since_mark | sed -n 's/.*sroce_srq_event_test: //p')
echo "$log" | grep -v '^\(not \)\?ok [0-9]' | sed 's/^/# module: /'
for i in $(seq 1 "$mod_tests"); do
	line=$(echo "$log" | grep -m1 "^\(not \)\?ok $i ")
	desc=${line#*ok "$i" }
	case $line in
	"ok $i "*)
		ktap_ok "$desc"
		;;
	"not ok $i "*)
		ktap_not_ok "$desc"
		;;
	*)
		ktap_not_ok "module result $i" "missing from the kernel log"
		;;
	esac
done

if [ "$loaded" -eq 1 ] && rmmod sroce_srq_event_test; then
	ktap_ok "the test module unloads"
else
	ktap_not_ok "the test module unloads"
fi
after=$(res_counts sroce0)
echo "# sroce0 before: $before"
echo "# sroce0 after:  $after"
if [ -n "$before" ] && [ "$before" = "$after" ]; then
	ktap_ok "no PD, CQ, QP or SRQ left on sroce0"
else
	ktap_not_ok "no PD, CQ, QP or SRQ left on sroce0"
fi

sroce_reset
ktap_finish
