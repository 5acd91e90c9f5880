#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs sroce selftests (all of them, or those named) and prints one KTAP
# report in the kselftest runner's format: each test's own KTAP indented
# as diagnostics, then one result line per test. Exits 1 if any test failed
# or there was no test to run. A test skipped as a whole (exit 4) is reported
# with the reason of its last skipped sub-test.
dir=$(cd "$(dirname "$0")" && pwd)
timeout_s=${SROCE_TEST_TIMEOUT:-600}

if [ $# -eq 0 ]; then
	# shellcheck disable=SC2046
	set -- $(make -s -C "$dir" print-tests)
fi
if [ $# -eq 0 ]; then
	echo "TAP version 13"
	echo "1..0 # no tests to run (make -C $dir print-tests listed none)"
	exit 1
fi
own=$(mktemp) || exit 1
trap 'rm -f "$own"' EXIT

echo "TAP version 13"
echo "1..$#"
n=0
pass=0
fail=0
skip=0
for t in "$@"; do
	n=$((n + 1))
	echo "# selftests: sroce: $t"
	start=$(date +%s)
	timeout --kill-after=10 "$timeout_s" "$dir/$t" 2>&1 | sed -u 's/^/# /' | tee "$own"
	rc=${PIPESTATUS[0]}
	echo "# $t: exit $rc after $(($(date +%s) - start)) s"
	case $rc in
	0)
		pass=$((pass + 1))
		echo "ok $n selftests: sroce: $t"
		;;
	4)
		skip=$((skip + 1))
		why=$(sed -n 's/^# ok [0-9][0-9]* .*# SKIP *//p' "$own" | tail -n 1)
		echo "ok $n selftests: sroce: $t # SKIP ${why:-no reason given}"
		;;
	124|137)
		fail=$((fail + 1))
		echo "not ok $n selftests: sroce: $t # TIMEOUT ${timeout_s} seconds"
		;;
	*)
		fail=$((fail + 1))
		echo "not ok $n selftests: sroce: $t # exit=$rc"
		;;
	esac
done
echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:$skip error:0"
[ "$fail" -eq 0 ]
