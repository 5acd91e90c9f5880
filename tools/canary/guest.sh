#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of tools/canary/run: misbehaves on purpose, so that the run
# must fail. Never run it outside a throw-away guest.
#
# usage: guest.sh warn KODIR   a selftests/run_all.sh report whose test printed
#                              fewer results than it planned, then load
#                              KODIR/canary_warn.ko (a WARNING, taint W);
#                              exits 0: the kernel-log gate must fail the run
#        guest.sh leak KODIR   load KODIR/canary_leak.ko (one leaked object:
#                              kmemleak, under the debug kernel); exits 0
#        guest.sh hang         never returns: vm-run --timeout must end it
set -u
here=$(cd "$(dirname "$0")" && pwd)

case ${1:-} in
warn)
	"$here/../../selftests/run_all.sh" ../tools/canary/short_plan.sh
	echo "# canary: loading canary_warn.ko"
	insmod "${2:?}/canary_warn.ko" || { echo "canary: insmod canary_warn.ko failed"; exit 1; }
	exit 0
	;;
leak)
	echo "# canary: loading canary_leak.ko"
	insmod "${2:?}/canary_leak.ko" || { echo "canary: insmod canary_leak.ko failed"; exit 1; }
	exit 0
	;;
hang)
	echo "canary: hanging"
	while :; do sleep 3600; done
	;;
*)
	echo "usage: guest.sh warn|leak KODIR | hang" >&2
	exit 2
	;;
esac
