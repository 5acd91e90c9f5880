#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Two hosts (tools/vm-run --pair), one ${SROCE_TEST_DRIVER:-sroce} device
# each on the virtio NIC: perftest's ib_write_bw, ib_read_bw, ib_send_bw
# and rping -V between the guests, over the IPv4 and IPv6 RoCE v2 GIDs,
# with either guest as the server (pair_lib.sh keeps the guests in step).
dir=$(dirname "$0")
. "$dir/lib.sh"
. "$dir/roce_net.sh"
. "$dir/pair_lib.sh"

DRV=${SROCE_TEST_DRIVER:-sroce}

# SERVER FAMILY CM PROGRAM SIZE ITERS, or SERVER FAMILY rping SIZE COUNT.
RUNS="b 4 0 ib_write_bw 65536 50
a 4 0 ib_write_bw 1 100
a 4 0 ib_read_bw 65536 50
b 4 0 ib_send_bw 65536 50
b 4 0 ib_send_bw 1048576 5
a 4 1 ib_write_bw 65536 50
b 6 0 ib_write_bw 65536 50
a 6 0 ib_read_bw 4096 50
a 6 0 ib_send_bw 4096 50
b 4 rping 4096 20
a 4 rping 65535 10
b 6 rping 4096 20"

if [ -z "${SROCE_ROLE:-}" ] || [ "$SROCE_ROLE" = single ]; then
	ktap_plan 1
	ktap_skip "pair traffic" "needs tools/vm-run --pair"
	ktap_finish
fi

pair_run_all "$DRV" "$RUNS"
