#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs sroce selftests (all of them, or those named) and prints one KTAP
# report in the kselftest runner's format: each test's own KTAP indented
# as diagnostics, then one result line per test. Exits 1 if any test failed.
dir=$(cd "$(dirname "$0")" && pwd)
timeout_s=${SROCE_TEST_TIMEOUT:-600}

if [ $# -eq 0 ]; then
	# shellcheck disable=SC2046
	set -- $(make -s -C "$dir" print-tests)
fi

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
	timeout --kill-after=10 "$timeout_s" "$dir/$t" 2>&1 | sed -u 's/^/# /'
	rc=${PIPESTATUS[0]}
	echo "# $t: exit $rc after $(($(date +%s) - start)) s"
	case $rc in
	0)
		pass=$((pass + 1))
		echo "ok $n selftests: sroce: $t"
		;;
	4)
		skip=$((skip + 1))
		echo "ok $n selftests: sroce: $t # SKIP"
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
