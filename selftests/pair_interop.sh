#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Two hosts (tools/vm-run --pair): sroce (or, with SROCE_TEST_DRIVER=rxe,
# rdma_rxe) in guest a, stock rdma_rxe in guest b, one device each on the
# virtio NIC. perftest's ib_write_bw, ib_read_bw, ib_send_bw, ib_atomic_bw
# and rping -V between them, with either guest as the server: sroce must
# speak RoCEv2 on the wire exactly as the in-tree soft-RoCE does.
dir=$(dirname "$0")
. "$dir/lib.sh"
. "$dir/roce_net.sh"
. "$dir/pair_lib.sh"

if [ "${SROCE_ROLE:-}" = a ]; then
	DRV=${SROCE_TEST_DRIVER:-sroce}
else
	DRV=rxe
fi

# SERVER FAMILY CM PROGRAM SIZE ITERS, or SERVER FAMILY rping SIZE COUNT.
RUNS="b 4 0 ib_write_bw 65536 50
a 4 0 ib_write_bw 65536 50
b 4 0 ib_read_bw 65536 50
a 4 0 ib_read_bw 65536 50
b 4 0 ib_send_bw 65536 50
a 4 0 ib_send_bw 65536 50
b 4 0 ib_atomic_bw 8 100
a 4 0 ib_atomic_bw 8 100
a 4 0 ib_write_bw 1048576 5
b 4 1 ib_send_bw 4096 50
b 6 0 ib_write_bw 4096 50
a 6 0 ib_read_bw 4096 50
b 4 rping 4096 20
a 4 rping 4096 20
b 6 rping 65535 10
a 6 rping 23 20"

if [ -z "${SROCE_ROLE:-}" ] || [ "$SROCE_ROLE" = single ]; then
	ktap_plan 1
	ktap_skip "pair interop" "needs tools/vm-run --pair"
	ktap_finish
fi
if ! modinfo rdma_rxe >/dev/null 2>&1; then
	ktap_plan 1
	ktap_skip "pair interop" "no rdma_rxe module in this kernel"
	ktap_finish
fi

pair_run_all "$DRV" "$RUNS"
