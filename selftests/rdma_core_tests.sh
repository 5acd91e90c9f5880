#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rdma-core's own test suite (python3-pyverbs ships it as
# /usr/share/doc/rdma-core/tests) against one sroce device on a veth, or
# with SROCE_TEST_DRIVER=rxe against stock rdma_rxe on the same veth, to
# tell what the suite expects of a soft RoCE device from what sroce lacks.
#
# One KTAP line per test of the suite that runs: ok when the suite passed
# it; ok ... # XFAIL (an expected failure, KTAP v1's directive, as
# kselftest's ksft_test_result_xfail prints it) when
# selftests/rdma_core_skips.txt lists it as a documented unsupported
# feature with the outcome it had; not ok for anything else, including a
# listed test that passed (its entry must go). Tests that file lists as
# "other" (another provider's direct verbs, hardware a guest has none of)
# are not run: on a soft RoCE device they could only ever skip. No test is
# reported as a skip. The file itself must be sound: every entry with a
# known outcome and a reason, no pattern twice. A run that did not report
# every test it selected fails.
#
# Debian gzips most of the suite's files (it is documentation there): the
# suite is copied and unpacked under /tmp first. rdma-core 44 finds a
# device's netdev under /sys/class/infiniband/DEV/device/net, which soft
# devices do not have; the runner below looks it up in the port's GID table
# (ports/N/gid_attrs/ndevs) instead, for every device without device/net.
#
# Environment:
#   SROCE_TEST_DRIVER            sroce (default) or rxe
#   SROCE_TEST_RDMA_CORE_ONLY    space-separated test ids or globs to run
#                                instead of the whole suite (for debugging)
#   SROCE_TEST_RDMA_CORE_TEST_TIMEOUT  seconds one test may take (60)
#   SROCE_TEST_RDMA_CORE_DIR     the suite (/usr/share/doc/rdma-core/tests)
#
# The whole suite (273 tests) runs by default: under TCG it took 23 to 51 s
# on rxe, its longest test 1.1 s; 388 s on sroce at 55db041, where UD and
# rdma_cm tests wait for completions that never come (per-test timeouts). With SROCE_OUT set (tools/vm-run), the
# per-test outcomes are also saved there as rdma_core_results.DRIVER.tsv.
dir=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$dir/lib.sh"
# shellcheck source=roce_net.sh
. "$dir/roce_net.sh"

suite_src=${SROCE_TEST_RDMA_CORE_DIR:-/usr/share/doc/rdma-core/tests}
skips_file=$dir/rdma_core_skips.txt
test_timeout=${SROCE_TEST_RDMA_CORE_TEST_TIMEOUT:-60}
python=/usr/bin/python3

work=$(mktemp -d /tmp/rdma_core_tests.XXXXXX)
dev=
trap 'rm -rf "$work"' EXIT

echo "TAP version 13"

if [ ! -f "$suite_src/run_tests.py" ]; then
	echo "1..1"
	ktap_skip "rdma-core test suite" "not installed at $suite_src (python3-pyverbs)"
	ktap_finish
fi
if ! "$python" -c 'import pyverbs.device' 2>/dev/null; then
	echo "1..1"
	ktap_skip "rdma-core test suite" "$python cannot import pyverbs"
	ktap_finish
fi
if [ "$ROCE_DRIVER" = rxe ] && ! modinfo rdma_rxe >/dev/null 2>&1; then
	echo "1..1"
	ktap_skip "rdma-core test suite" "no rdma_rxe module in this kernel"
	ktap_finish
fi

# One device of ROCE_DRIVER on veth0 (veth1 only gives it a carrier). The
# suite talks from the device to itself, over its own IPv4 RoCE v2 GID.
dev_up() {
	roce_driver_valid "$ROCE_DRIVER" ||
		{ echo "SROCE_TEST_DRIVER must be sroce or rxe" >&2; return 1; }
	dev=${ROCE_DRIVER}0
	rdma_links_clear
	veth_teardown
	roce_routes_down
	roce_driver_load "$ROCE_DRIVER" || { echo "cannot load $ROCE_DRIVER" >&2; return 1; }
	veth_setup || { echo "veth_setup failed" >&2; return 1; }
	rdma link add "$dev" type "$ROCE_DRIVER" netdev "$VETH_A" ||
		{ echo "rdma link add $dev failed" >&2; return 1; }
	roce_dev_wait "$dev" "$IP_A" "$IP6_A" ||
		{ echo "$dev not ACTIVE or without RoCE v2 GIDs" >&2; return 1; }
	gid=$(roce_gid_index "$dev" "$IP_A")
}

dev_down() {
	rdma_links_clear
	veth_teardown
	module_loaded rdma_rxe && modprobe -r rdma_rxe
	sroce_ensure_loaded
}

# The runner: patches the suite's netdev lookup, runs the selected tests
# one by one under a per-test alarm, writes "OUTCOME<TAB>ID<TAB>SECONDS"
# per test to RESULTS, tracebacks and progress to stdout.
cat >"$work/runner.py" <<'PY'
import fnmatch
import multiprocessing
import os
import signal
import sys
import time
import traceback
import unittest

suite_dir, dev, gid, results_path, per_test, exclude_path = sys.argv[1:7]
patterns = sys.argv[7:]
per_test = int(per_test)
with open(exclude_path) as f:
    excludes = [line.strip() for line in f if line.strip()]

sys.path[:0] = [suite_dir, os.path.dirname(suite_dir)]
from args_parser import parser  # noqa: E402
sys.argv = [sys.argv[0], '--dev', dev, '--gid', gid]
parser.parse_args()
import tests  # noqa: E402
import tests.base as base  # noqa: E402


def gid_netdev(dev, port, idx):
    """The netdev of GID idx of dev's port (any GID's when idx is None)."""
    ndevs = f'/sys/class/infiniband/{dev}/ports/{port}/gid_attrs/ndevs'
    try:
        idxs = [idx] if idx is not None else sorted(os.listdir(ndevs), key=int)
    except OSError:
        return None
    for i in idxs:
        try:
            with open(f'{ndevs}/{i}') as f:
                name = f.read().strip()
        except OSError:
            continue
        if name:
            return name
    return None


orig_get_ip_mac = base.RDMATestCase._get_ip_mac
orig_get_net_name = base.RDMATestCase.get_net_name


def get_ip_mac(self, dev, port, idx):
    if os.path.exists(f'/sys/class/infiniband/{dev}/device/net/'):
        return orig_get_ip_mac(self, dev, port, idx)
    net = gid_netdev(dev, port, idx)
    ip = mac = None
    if net:
        try:
            ip, mac = self.get_ip_mac_address(net)
        except (KeyError, IndexError):
            pass
    self.args.append([dev, port, idx, ip, mac])


def get_net_name(dev):
    if os.path.exists(f'/sys/class/infiniband/{dev}/device/net/'):
        return orig_get_net_name(dev)
    return gid_netdev(dev, 1, None) or ''


base.RDMATestCase._get_ip_mac = get_ip_mac
base.RDMATestCase.get_net_name = staticmethod(get_net_name)


class Timeout(Exception):
    pass


def on_alarm(signum, frame):
    raise Timeout(f'no result after {per_test} s')


class Result(unittest.TestResult):
    """Streams one line per test (subtests fold into their test)."""

    def __init__(self, out):
        super().__init__()
        self.out = out
        self.cur = None

    def startTest(self, test):
        super().startTest(test)
        self.cur = {'id': test.id(), 'outcome': 'pass', 'start': time.time(),
                    'why': ''}
        print(f'{test.id()} ...', flush=True)
        signal.alarm(per_test)

    def _set(self, test, outcome, err=None, why=''):
        if err is not None:
            why = ''.join(traceback.format_exception(*err))
        if self.cur is None or self.cur['id'] != test.id():
            # setUpClass/module errors come without startTest
            self._emit(test.id(), outcome, 0.0, why)
            return
        if self.cur['outcome'] in ('fail', 'error') and outcome == 'pass':
            return
        self.cur['outcome'] = outcome
        self.cur['why'] += why

    def addSuccess(self, test):
        super().addSuccess(test)

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._set(test, 'fail', err)

    def addError(self, test, err):
        super().addError(test, err)
        self._set(test, 'error', err)

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self._set(test, 'skip', why=reason)

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        self._set(test, 'xfail', err)

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self._set(test, 'fail', why='unexpected success')

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            bad = 'fail' if issubclass(err[0], test.failureException) else 'error'
            self.cur['outcome'] = bad
            self.cur['why'] += f'{subtest.id()}:\n' + \
                ''.join(traceback.format_exception(*err))

    def stopTest(self, test):
        signal.alarm(0)
        # a test cut short leaves its helper processes (rdma_cm tests
        # fork): they would hold our stdout open, and exit() waits for them
        for child in multiprocessing.active_children():
            child.kill()
            child.join(5)
        c = self.cur
        self.cur = None
        self._emit(c['id'], c['outcome'], time.time() - c['start'], c['why'])
        super().stopTest(test)

    def _emit(self, tid, outcome, secs, why):
        why = why.rstrip()
        if outcome == 'skip':
            print(f'{tid}: skip ({secs:.1f} s): {why}', flush=True)
        else:
            print(f'{tid}: {outcome} ({secs:.1f} s)', flush=True)
            if why:
                print(why, flush=True)
        one_line = why.splitlines()[-1] if why else ''
        self.out.write(f'{outcome}\t{tid}\t{secs:.1f}\t{one_line}\n')
        self.out.flush()


def flatten(suite):
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from flatten(t)
        else:
            yield t


def wanted(tid):
    return any(fnmatch.fnmatchcase(tid, p) for p in patterns)


def excluded(tid):
    return any(fnmatch.fnmatchcase(tid, p) for p in excludes)


loader = unittest.TestLoader()
selected = []
with open(results_path + '.excluded', 'w') as f:
    for t in flatten(loader.loadTestsFromModule(tests)):
        if not wanted(t.id()):
            continue
        if excluded(t.id()):
            f.write(t.id() + '\n')
        else:
            selected.append(t)
with open(results_path + '.selected', 'w') as f:
    for t in selected:
        f.write(t.id() + '\n')
signal.signal(signal.SIGALRM, on_alarm)
with open(results_path, 'w') as out:
    # One suite: unittest runs setUpClass/tearDownClass once per class.
    unittest.TestSuite(selected).run(Result(out))
print('runner: done', flush=True)
sys.stderr.flush()
os._exit(0)
PY

# The skips file, for this driver: ENT_PAT/ENT_OUT/ENT_WHY, in order.
# Every line that is not blank or a comment must be PATTERN OUTCOME
# REASON with a known OUTCOME and a REASON, and no pattern may come twice;
# what is wrong is printed and leaves skips_bad set.
ENT_PAT=() ENT_OUT=() ENT_WHY=()
skips_bad=
declare -A seen_pat=()
load_skips() {
	local line pat out why drv n=0

	while IFS= read -r line; do
		n=$((n + 1))
		case $line in '' | '#'*) continue ;; esac
		read -r pat out why <<<"$line"
		case $out in
		other | skip | fail) ;;
		*)
			echo "# $skips_file:$n: outcome '$out' is not other, skip or fail"
			skips_bad=1
			continue
			;;
		esac
		if [ -z "$why" ]; then
			echo "# $skips_file:$n: $pat has no reason"
			skips_bad=1
			continue
		fi
		if [ -n "${seen_pat[$pat]:-}" ]; then
			echo "# $skips_file:$n: $pat is listed already (line ${seen_pat[$pat]})"
			skips_bad=1
			continue
		fi
		seen_pat[$pat]=$n
		drv=
		if [[ $pat == *:* ]]; then
			drv=${pat%%:*}
			pat=${pat#*:}
		fi
		[ -n "$drv" ] && [ "$drv" != "$ROCE_DRIVER" ] && continue
		ENT_PAT+=("$pat") ENT_OUT+=("$out") ENT_WHY+=("$why")
	done <"$skips_file"
}

# skip_entry ID: sets ent_idx, ent_out and ent_why from the first entry
# whose pattern matches ID; fails (all three empty) when none does.
skip_entry() {
	local i

	for i in "${!ENT_PAT[@]}"; do
		# shellcheck disable=SC2053
		if [[ $1 == ${ENT_PAT[i]} ]]; then
			ent_idx=$i ent_out=${ENT_OUT[i]} ent_why=${ENT_WHY[i]}
			return 0
		fi
	done
	ent_idx='' ent_out='' ent_why=''
	return 1
}

load_skips >"$work/skips.msg"
for i in "${!ENT_PAT[@]}"; do
	[ "${ENT_OUT[i]}" = other ] && echo "${ENT_PAT[i]}"
done >"$work/exclude"

if [ -n "${SROCE_TEST_RDMA_CORE_ONLY:-}" ]; then
	set -f
	# shellcheck disable=SC2206
	select=($SROCE_TEST_RDMA_CORE_ONLY)
	set +f
	set_name="SROCE_TEST_RDMA_CORE_ONLY"
else
	select=('tests.*')
	set_name="whole suite"
fi

mkdir -p "$work/suite"
cp -r "$suite_src" "$work/suite/tests" && gunzip -f "$work/suite/tests/"*.gz ||
	{ echo "1..1"; ktap_not_ok "rdma-core test suite unpacked to $work"; ktap_finish; }

if ! dev_up 2>"$work/dev_up.err"; then
	sed 's/^/# /' "$work/dev_up.err"
	echo "1..1"
	ktap_not_ok "one $ROCE_DRIVER device on a veth with a RoCE v2 GID"
	dev_down
	ktap_finish
fi
ktap_info "$dev on $VETH_A, IPv4 RoCE v2 GID $gid; running the $set_name (${select[*]})"

start=$(date +%s)
# The whole run is bounded by run_all.sh; each test by the runner's alarm.
"$python" "$work/runner.py" "$work/suite/tests" "$dev" "$gid" \
	"$work/results" "$test_timeout" "$work/exclude" "${select[@]}" 2>&1 | sed -u 's/^/# /'
rc=${PIPESTATUS[0]}
secs=$(($(date +%s) - start))
dev_down
if [ -n "${SROCE_OUT:-}" ] && [ -d "$SROCE_OUT" ] && [ -f "$work/results" ]; then
	cp "$work/results" "$SROCE_OUT/rdma_core_results.$ROCE_DRIVER.tsv"
fi

nsel=$(wc -l <"$work/results.selected" 2>/dev/null || echo 0)
nres=$(wc -l <"$work/results" 2>/dev/null || echo 0)
nexcl=$(wc -l <"$work/results.excluded" 2>/dev/null || echo 0)
echo "1..$((nres + 3))"
ktap_ok "one $ROCE_DRIVER device on a veth with a RoCE v2 GID"
if [ "$rc" -eq 0 ] && [ "$nsel" -gt 0 ] && [ "$nres" -ge "$nsel" ]; then
	ktap_ok "suite ran: $nsel tests selected, $nres results in $secs s"
else
	ktap_not_ok "suite ran: $nsel tests selected, $nres results in $secs s" "runner exit $rc"
fi
cat "$work/skips.msg"
if [ -z "$skips_bad" ]; then
	ktap_ok "rdma_core_skips.txt: every entry has a known outcome and a reason, none twice"
else
	ktap_not_ok "rdma_core_skips.txt: every entry has a known outcome and a reason, none twice"
fi
# The tests not run, by the entry that excluded them.
declare -A nexcl_of=()
while read -r id; do
	skip_entry "$id" && nexcl_of[$ent_idx]=$((${nexcl_of[$ent_idx]:-0} + 1))
done <"$work/results.excluded"
for i in "${!ENT_PAT[@]}"; do
	[ "${ENT_OUT[i]}" = other ] &&
		ktap_info "not run: ${nexcl_of[$i]:-0} tests matching ${ENT_PAT[i]} (${ENT_WHY[i]})"
done
ktap_info "not run: $nexcl tests in all (listed as other)"

declare -A count=()
xfails=0
while IFS=$'\t' read -r outcome id t why; do
	count[$outcome]=$((${count[$outcome]:-0} + 1))
	skip_entry "$id"
	case $outcome in
	pass | xfail)
		if [ -n "$ent_out" ]; then
			ktap_not_ok "$id" "listed as $ent_out ($ent_why) but passed: remove its entry"
		else
			ktap_ok "$id ($t s)"
		fi
		;;
	skip)
		if [ "$ent_out" = skip ]; then
			ktap_xfail "$id" "$ent_why (suite: $why)"
			xfails=$((xfails + 1))
		else
			ktap_not_ok "$id" "skipped${ent_out:+ (listed as $ent_out)}: $why"
		fi
		;;
	*)
		if [ "$ent_out" = fail ]; then
			ktap_xfail "$id" "$ent_why (suite: $outcome: $why)"
			xfails=$((xfails + 1))
		else
			ktap_not_ok "$id" "$outcome${ent_out:+ (listed as $ent_out)}: $why"
		fi
		;;
	esac
done <"$work/results"
ktap_info "suite outcomes: pass ${count[pass]:-0}, skip ${count[skip]:-0}," \
	"fail ${count[fail]:-0}, error ${count[error]:-0}, xfail ${count[xfail]:-0};" \
	"not run $nexcl; reported as expected failures (XFAIL) $xfails"
ktap_finish
