#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The ICRC through the crypto API's crc32-pclmul (drv/crc32_clmul.c,
# Documentation/datapath.rst, "The CRC"). On a CPU with PCLMULQDQ sroce
# takes crc32-pclmul when it loads and says so; its load-time self-tests
# have then compared that path with crc32_le(). On a CPU without (qemu64,
# the suite's guest) it says nothing, holds no crypto transform, and folds.
# tools/check boots a guest whose CPU has PCLMULQDQ for this test, forge and
# gso.sh: their traffic and wire check then go through crc32-pclmul.
. "$(dirname "$0")/lib.sh"

MSG="sroce: ICRC through crc32-pclmul from 1024 bytes"

not() { ! "$@"; }

ktap_plan 3
sroce_reset
modprobe -r sroce
dmesg_mark
modprobe sroce
log=$(dmesg_since_mark)
echo "$log" | sed 's/^/# dmesg: /'
ktap_check "sroce loads again" module_loaded sroce

if grep -qw pclmulqdq /proc/cpuinfo; then
	ktap_info "the CPU has PCLMULQDQ"
	ktap_check "crc32-pclmul is loaded" module_loaded crc32_pclmul
	ktap_check "sroce takes crc32-pclmul" grep -qF "$MSG" <<<"$log"
else
	ktap_info "the CPU has no PCLMULQDQ"
	ktap_check "crc32-pclmul is not loaded" not module_loaded crc32_pclmul
	ktap_check "sroce keeps its fold" not grep -qF "crc32-pclmul" <<<"$log"
fi
ktap_finish
