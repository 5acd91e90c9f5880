#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rmmod with devices present removes them; the module comes back cleanly.
. "$(dirname "$0")/lib.sh"

ktap_plan 3
sroce_reset
veth_setup

rdma link add sroce0 type sroce netdev "$VETH_A"
rdma link add sroce1 type sroce netdev "$VETH_B"
if rmmod sroce && ! module_loaded sroce && rdma_dev_gone sroce0 &&
   rdma_dev_gone sroce1; then
	ktap_ok "rmmod with two devices"
else
	ktap_not_ok "rmmod with two devices"
fi

if modprobe sroce && rdma link add sroce0 type sroce netdev "$VETH_A" &&
   port_state_is sroce0 ACTIVE; then
	ktap_ok "reload and add again"
else
	ktap_not_ok "reload and add again"
fi

# A user context of sroce0 is open: the process holds a uverbs device open
# and rdma's restrack lists its context.
ctx_open() {
	local ctxs fd held=0
	# shellcheck disable=SC2154 # set by asyncwatch_start (lib.sh)
	for fd in /proc/"$asyncwatch_pid"/fd/*; do
		case $(readlink "$fd") in
		/dev/infiniband/uverbs*) held=1 ;;
		esac
	done
	[ "$held" = 1 ] || return 1
	ctxs=$(rdma res show ctx) || return 1
	echo "$ctxs" | grep "sroce0" | grep -q "comm ibv_asyncwatch"
}

# rmmod while a user context is open: uverbs disassociates it, the process
# gets IBV_EVENT_DEVICE_FATAL.
asyncwatch_start sroce0
rdma res show ctx | sed 's/^/# /'
if ctx_open; then
	if timeout 60 rmmod sroce && rdma_dev_gone sroce0 &&
	   wait_for 10 grep -q "DEVICE_FATAL" /tmp/asyncwatch.log; then
		ktap_ok "rmmod with an open user context: it gets DEVICE_FATAL"
	else
		ktap_not_ok "rmmod with an open user context: it gets DEVICE_FATAL" \
			"$(tr '\n' ' ' </tmp/asyncwatch.log)"
	fi
else
	ktap_not_ok "rmmod with an open user context: it gets DEVICE_FATAL" \
		"no user context of sroce0 open: $(tr '\n' ' ' </tmp/asyncwatch.log)"
fi
asyncwatch_stop

sroce_reset
ktap_finish
