#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The kernel verbs of MRs and AHs, which no user process reaches: DMA MRs
# that core makes for kernel PDs, alloc_mr + map_mr_sg, AHs created and
# destroyed in atomic context, ib_post_send() on a kernel RC QP before RTS,
# REG_MR of an invalid and of a valid MR, a completion vector per CPU with
# each vector's comp_handler on its CPU. kmod/sroce_kverbs_test.ko runs
# them at load and prints KTAP to the kernel log; this re-emits it and
# checks that no MR is left behind.
. "$(dirname "$0")/lib.sh"

ko=$(kmod_for kmod sroce_kverbs_test.ko)
tests=21

# The module is part of the selftests' build (make -C selftests fails when
# it cannot be built): a missing one is a failure, not a skip.
if [ ! -e "$ko" ]; then
	ktap_plan 1
	ktap_not_ok "kernel verbs" "$ko not built (make -C selftests)"
	ktap_finish
fi

sroce_reset
veth_setup
rdma link add sroce0 type sroce netdev "$VETH_A"
wait_for 20 sh -c "ibv_devinfo -v -d sroce0 | grep -q '$IP_A, RoCE v2'" &&
	wait_for 20 sh -c "ibv_devinfo -v -d sroce0 | grep -q '$IP6_A, RoCE v2'"

dmesg_mark
if insmod "$ko" dev=sroce0; then
	rmmod sroce_kverbs_test
else
	echo "# insmod $ko failed"
fi
# core's own messages for the module's PDs carry its name too: comment them
tap=$(dmesg_since_mark | sed -n 's/.*sroce_kverbs_test: //p' |
	sed '/^\(ok \|not ok \|TAP version\|1\.\.\|#\)/!s/^/# /')
echo "$tap"
# The MR dump must work (its status) and must list the device's summary
# line, so that "no MR of sroce0" is a read, not an empty output.
ok=1
if mr_dump=$(rdma res show mr) && summary=$(rdma res show sroce0) &&
   sum_mrs=$(echo "$summary" | sed -n 's/.*sroce0: .* mr \([0-9]*\) .*/\1/p') &&
   [ -n "$sum_mrs" ]; then
	mrs=$(echo "$mr_dump" | grep -c 'dev sroce0 ')
	echo "# MRs left on sroce0: $mrs in the dump, $sum_mrs in the summary"
	[ "$sum_mrs" -eq 0 ] || ok=0
else
	echo "# rdma res show failed or has no sroce0 summary: '$summary'"
	ok=0
	mrs=-1
fi

sroce_reset
if [ "$ok" -eq 1 ] && echo "$tap" | grep -qx "1\.\.$tests" &&
   [ "$(echo "$tap" | grep -c '^ok ')" -eq "$tests" ] &&
   ! echo "$tap" | grep -q '^not ok' && [ "$mrs" -eq 0 ]; then
	exit "$KSFT_PASS"
fi
exit "$KSFT_FAIL"
