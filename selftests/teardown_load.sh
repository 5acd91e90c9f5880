#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Under load while things go away. Verified RC traffic runs both ways
# between two RoCE devices on a veth pair (selftests/teardown_traffic: two
# processes, WRITE+SEND streams, every byte checked, async events watched),
# and while it runs:
#   mtu-keep     veth0's MTU 1500 -> 1280 -> 1500 (the RoCE MTU stays 1024,
#                the QPs' path MTU): traffic goes on, every byte right, no
#                error and no event; then a graceful stop.
#   mtu-shrink   veth0's MTU 1500 -> 1000: the RoCE MTU of the port drops to
#                512, below the QPs' path MTU of 1024 (a QP's path MTU is
#                not changed behind its back). Full-size frames to veth0 no
#                longer fit, and none leaves veth0 (at most the 9 messages in
#                flight are checked by B after the change): both sides end
#                with an error completion (retry
#                exceeded), no wrong byte is ever accepted. The port stays
#                ACTIVE (RoCE MTU 512 still fits). Below 1280 IPv6 leaves
#                veth0, so a GID_CHANGE event is seen too (the traffic uses
#                IPv4 GIDs).
#   kill-one     kill -9 of side A: B ends with an error completion.
#   kill-both    kill -9 of both sides; then a fresh run on the same devices
#                stops gracefully with every byte right.
#   link-delete  rdma link delete of device A: A gets IBV_EVENT_DEVICE_FATAL,
#                B an error completion.
#   veth-delete  ip link delete veth0 (the netdev under both devices): both
#                devices go, both sides get IBV_EVENT_DEVICE_FATAL.
#   rmmod        the module unloads at the end (and sroce is loaded again).
# Each case passes only if: the command and both applications return within
# BOUND seconds (times measured and printed); each side saw what is said
# above (its first incident and everything it saw are printed); no side
# accepted a wrong byte and every destroy succeeded; `rdma res` (the
# per-device summary, and pd cq qp mr cm_id lists) succeeds and is back
# to its pre-traffic baseline, devices that went away leaving nothing. The
# guest run itself fails on any kernel warning.
#
# A table of the numbers ends the output (also $SROCE_OUT/teardown-DRIVER.tsv).
# SROCE_TEST_DRIVER=rxe runs it on stock rdma_rxe; SROCE_TEST_TEARDOWN_CASES
# picks cases by name (in the order given), SROCE_TEST_TEARDOWN_BOUND sets
# BOUND (default 30 s, for TCG).
# shellcheck source-path=SCRIPTDIR
dir=$(cd "$(dirname "$0")" && pwd)
. "$dir/lib.sh"
. "$dir/roce_net.sh"

TRAFFIC=$dir/teardown_traffic
BOUND=${SROCE_TEST_TEARDOWN_BOUND:-30}
TD_LOG=/tmp/teardown_traffic.log
RES_TYPES="pd cq qp mr cm_id"

ms_now() {
	date +%s%3N
}

# ---------------------------------------------------------------------------
# The traffic program and its output.

# td_field SIDE KIND FIELD: FIELD= of the last "# td SIDE KIND" line.
td_field() {
	grep "^# td $1 $2 " "$TD_LOG" | tail -n 1 |
		sed -n "s/.* $3=\([^ ]*\).*/\1/p"
}

td_verified() {
	local v
	v=$(td_field "$1" progress verified)
	echo "${v:-0}"
}

# td_flowing A0 B0 N: both sides verified N more messages than A0 / B0.
td_flowing() {
	[ "$(td_verified A)" -ge $(($1 + $3)) ] &&
	[ "$(td_verified B)" -ge $(($2 + $3)) ]
}

td_alive() {
	kill -0 "$td_pid" 2>/dev/null
}

td_show() {
	grep -v ' progress ' "$TD_LOG" | sed 's/^\([^#]\)/# \1/'
}

# td_start [OPTIONS]: traffic between the two devices, flowing both ways.
td_start() {
	: >"$TD_LOG"
	"$TRAFFIC" -p 200 "$@" "$ROCE_DEV_A" "$ROCE_DEV_B" >"$TD_LOG" 2>&1 &
	td_pid=$!
	wait_for "$BOUND" eval 'td_flowing 0 0 10 || ! td_alive'
	if ! td_flowing 0 0 10; then
		td_show
		td_kill
		return 1
	fi
	td_pid_a=$(sed -n 's/^# td pids A=\([0-9]*\) .*/\1/p' "$TD_LOG")
	td_pid_b=$(sed -n 's/^# td pids .* B=\([0-9]*\)$/\1/p' "$TD_LOG")
	[ -n "$td_pid_a" ] && [ -n "$td_pid_b" ]
}

td_kill() {
	kill -9 "${td_pid_a:-}" "${td_pid_b:-}" "$td_pid" 2>/dev/null
	wait "$td_pid" 2>/dev/null
}

# td_wait SECONDS: the program is gone within SECONDS, else it is killed
# (and the case fails).
td_wait() {
	if ! wait_for "$1" eval '! td_alive'; then
		fail "the traffic program was still running after $1 s"
		td_kill
	fi
	wait "$td_pid" 2>/dev/null
	td_show
}

# td_exit_ms SIDE T0: ms from T0 to SIDE's exit.
td_exit_ms() {
	local at
	at=$(td_field "$1" exit at)
	[ -n "$at" ] && echo $((at - $2)) || echo -
}

# ---------------------------------------------------------------------------
# Assertions: each case collects what failed in $why.

fail() {
	why+="${why:+; }$*"
}

within_bound() {
	local what=$1 ms=$2
	if [ "$ms" = - ] || [ "$ms" -gt $((BOUND * 1000)) ]; then
		fail "$what: ${ms} ms, bound ${BOUND} s"
	fi
}

# side_ended SIDE CODE: SIDE's result line has CODE, a clean teardown and
# no wrong data.
side_ended() {
	local code first saw clean
	code=$(td_field "$1" result code)
	first=$(td_field "$1" result first)
	saw=$(td_field "$1" result saw)
	clean=$(td_field "$1" result cleanup)
	[ -n "$code" ] || { fail "$1 printed no result"; return; }
	[ "$code" = "$2" ] || fail "$1 ended with code $code (first $first), want $2"
	[ "$clean" = ok ] || fail "$1: destroying its objects failed: $clean"
	case $saw in
	*bad:*) fail "$1 saw wrong data or a protocol violation: $saw" ;;
	esac
}

# saw_has SIDE WHAT: WHAT (e.g. event:DEVICE_FATAL) is among what SIDE saw.
saw_has() {
	case $(td_field "$1" result saw) in
	*",$2,"*) return 0 ;;
	esac
	fail "$1 did not see $2 (saw $(td_field "$1" result saw))"
}

# first_is_wc SIDE: SIDE's run ended with an error completion.
first_is_wc() {
	case $(td_field "$1" result first) in
	wc:*) return 0 ;;
	esac
	fail "$1 did not end with an error completion (first $(td_field "$1" result first))"
}

# exited_by SIDE WHAT: the parent's "exit" line of SIDE has WHAT (status=3,
# signal=9, ...).
exited_by() {
	grep -q "^# td $1 exit .* $2\$" "$TD_LOG" ||
		fail "$1 did not exit with $2: $(grep "^# td $1 exit" "$TD_LOG")"
}

pid_gone() {
	! kill -0 "$1" 2>/dev/null
}

# bounded T0 CMD...: runs CMD, which must return within BOUND; sets cmd_ms
# (from T0) and cmd_rc. A CMD still blocked then (a driver that waits for
# the applications to close the device) fails the case; the applications
# are killed and CMD gets another BOUND to return, which is reported.
bounded() {
	local t0=$1 pid
	shift
	"$@" &
	pid=$!
	if wait_for "$BOUND" pid_gone "$pid"; then
		wait "$pid"
		cmd_rc=$?
		cmd_ms=$(($(ms_now) - t0))
		return
	fi
	cmd_ms=- cmd_rc=-
	fail "'$*' still blocked after $BOUND s"
	ktap_info "'$*' is blocked; killing the traffic program"
	sed "s/^/# its kernel stack: /" /proc/"$pid"/stack 2>/dev/null
	td_kill
	if wait_for "$BOUND" pid_gone "$pid"; then
		wait "$pid"
		ktap_info "'$*' returned (exit $?) $(($(ms_now) - t0)) ms after it began, once the applications were gone"
	else
		ktap_info "'$*' still blocked with the applications gone"
	fi
}

# ---------------------------------------------------------------------------
# Resources: `rdma res` against its baseline.

res_dev_line() {
	sed -n "s/^[0-9]*: $1: //p" <<<"$2"
}

res_baseline() {
	res_base=$(rdma res show 2>&1) &&
	[ -n "$(res_dev_line "$ROCE_DEV_A" "$res_base")" ] &&
	[ -n "$(res_dev_line "$ROCE_DEV_B" "$res_base")" ]
}

# res_check SURVIVING... -- GONE...: each surviving device's summary is its
# baseline, gone devices have none, every list succeeds and holds nothing of
# the traffic program. What differs goes to $res_err.
res_check() {
	local now out d t a b gone=0

	res_err=
	if ! now=$(rdma res show 2>&1); then
		res_err="rdma res show failed: $now"
		return 1
	fi
	for d in "$@"; do
		if [ "$d" = -- ]; then
			gone=1
			continue
		fi
		a=$(res_dev_line "$d" "$now")
		b=$(res_dev_line "$d" "$res_base")
		if [ "$gone" = 1 ] && [ -n "$a" ]; then
			res_err="$d is gone but rdma res shows: $a"
			return 1
		fi
		if [ "$gone" = 0 ] && { [ -z "$a" ] || [ "$a" != "$b" ]; }; then
			res_err="$d: '$a', baseline '$b'"
			return 1
		fi
	done
	for t in $RES_TYPES; do
		if ! out=$(rdma res show "$t" 2>&1); then
			res_err="rdma res show $t failed: $out"
			return 1
		fi
		if grep -q "comm teardown_traf" <<<"$out"; then
			res_err="$t of teardown_traffic left: $(grep "comm teardown_traf" <<<"$out" | head -n 2 | tr '\n' ' ')"
			return 1
		fi
	done
	return 0
}

res_try() {
	res_try_at=$(ms_now)
	res_check "$@"
}

# res_settles T0 ARGS...: rdma res back to baseline within BOUND; sets
# res_ms (from T0 to the start of the check that passed) or fails the case.
res_settles() {
	local t0=$1
	shift
	if wait_for "$BOUND" res_try "$@"; then
		res_ms=$((res_try_at - t0))
	else
		res_ms=-
		fail "rdma res not at baseline after $BOUND s: $res_err"
		rdma res show 2>&1 | sed 's/^/# res now: /'
		res_dev_line "$ROCE_DEV_A" "$res_base" | sed "s/^/# res base $ROCE_DEV_A: /"
		res_dev_line "$ROCE_DEV_B" "$res_base" | sed "s/^/# res base $ROCE_DEV_B: /"
	fi
}

# ---------------------------------------------------------------------------
# Results.

tsv=/tmp/teardown.tsv

# report NAME WHAT CMD_MS A_MS B_MS: the case's KTAP line and table row.
report() {
	local name=$1 what=$2 cmd=$3 a=$4 b=$5 sa sb
	sa="$(td_field A result first) / $(td_field A result saw)"
	sb="$(td_field B result first) / $(td_field B result saw)"
	[ "$sa" = " / " ] && sa=-
	[ "$sb" = " / " ] && sb=-
	ktap_info "$name: command ${cmd} ms, A exit ${a} ms, B exit ${b} ms, res at baseline ${res_ms} ms"
	ktap_info "$name: A first/saw: $sa"
	ktap_info "$name: B first/saw: $sb"
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$ROCE_DRIVER" "$name" \
		"$([ -z "$why" ] && echo ok || echo FAIL)" "$cmd" "$a" "$b" "$res_ms" "$sa" "$sb" >>"$tsv"
	if [ -z "$why" ]; then
		ktap_ok "$name: $what"
	else
		ktap_not_ok "$name: $what" "$why"
	fi
}

# case_start NAME: fresh state; false (case reported failed) if the traffic
# does not flow.
case_start() {
	why='' res_ms=- td_pid_a='' td_pid_b=''
	if ! rdma_dev_exists "$ROCE_DEV_A" || ! rdma_dev_exists "$ROCE_DEV_B"; then
		# an earlier case took them: both again, with a new baseline
		if ! roce_devs_up "$ROCE_DRIVER" 2>/tmp/roce_devs_up.err ||
		   ! res_baseline; then
			sed 's/^/# /' /tmp/roce_devs_up.err
			fail "cannot set the devices up again"
			return 1
		fi
		ktap_info "devices up again; rdma res baseline: $(tr '\n' ' ' <<<"$res_base")"
	fi
	if ! td_start "${@:2}"; then
		fail "the traffic did not start flowing both ways within $BOUND s"
		return 1
	fi
}

# ---------------------------------------------------------------------------
# The cases.

case_mtu_keep() {
	local name=mtu-keep t0 va vb cmd=0 t mtu s

	case_start $name || { report $name "-" - - -; return; }
	for mtu in 1280 1500; do
		va=$(td_verified A)
		vb=$(td_verified B)
		t=$(ms_now)
		ip link set "$VETH_A" mtu "$mtu" || fail "ip link set mtu $mtu failed"
		cmd=$((cmd + $(ms_now) - t))
		# 20 more messages each way, every byte checked, at this MTU
		wait_for "$BOUND" td_flowing "$va" "$vb" 20 ||
			fail "traffic stopped at MTU $mtu (A $va -> $(td_verified A), B $vb -> $(td_verified B))"
		port_state_is "$ROCE_DEV_A" ACTIVE ||
			fail "$ROCE_DEV_A not ACTIVE at MTU $mtu"
	done
	t0=$(ms_now)
	kill -TERM "$td_pid"
	td_wait "$BOUND"
	side_ended A 0
	side_ended B 0
	for s in A B; do
		[ "$(td_field $s result saw)" = none ] ||
			fail "$s saw something: $(td_field $s result saw)"
	done
	res_settles "$t0" "$ROCE_DEV_A" "$ROCE_DEV_B"
	report $name "traffic goes on, every byte right, no error or event; graceful stop" \
		"$cmd" "$(td_exit_ms A "$t0")" "$(td_exit_ms B "$t0")"
}

case_mtu_shrink() {
	local name=mtu-shrink t0 cmd va vb ea eb

	case_start $name || { report $name "-" - - -; return; }
	va=$(td_verified A)
	vb=$(td_verified B)
	t0=$(ms_now)
	ip link set "$VETH_A" mtu 1000 || fail "ip link set mtu 1000 failed"
	cmd=$(($(ms_now) - t0))
	td_wait "$BOUND"
	# B's count in its first progress line once the MTU had changed
	vb=$(awk -v t=$((t0 + cmd + 50)) '$1 == "#" && $2 == "td" && $3 == "B" &&
		$4 == "progress" { split($5, a, "="); if (a[2] >= t) {
		for (i = 6; i <= NF; i++) if ($i ~ /^verified=/) {
		sub(/verified=/, "", $i); print $i; exit } } }' "$TD_LOG")
	# B verifying more of A's messages after the change means A's
	# full-size frames still left through veth0 (what veth0's MTU does
	# not stop on the sending side)
	ea=$(td_field A result verified)
	eb=$(td_field B result verified)
	ktap_info "$name: verified before the change A $va, B $vb once it was made; at the end A $ea B $eb"
	# at most the 8 unchecked messages a sender may have out, and one
	# being checked, cross after the change
	if [ -z "$vb" ]; then
		fail "no progress line of B after the MTU change: cannot tell whether A's frames still crossed"
	elif [ "$((${eb:-0} - vb))" -gt 9 ]; then
		fail "B verified $((${eb:-0} - vb)) more of A's messages after veth0's MTU went below the path MTU: oversized frames left veth0"
	fi
	side_ended A 3
	side_ended B 3
	first_is_wc A
	first_is_wc B
	port_state_is "$ROCE_DEV_A" ACTIVE ||
		fail "$ROCE_DEV_A not ACTIVE at MTU 1000: $(rdma_port_state "$ROCE_DEV_A")"
	within_bound "A's exit" "$(td_exit_ms A "$t0")"
	within_bound "B's exit" "$(td_exit_ms B "$t0")"
	ip link set "$VETH_A" mtu 1500
	res_settles "$t0" "$ROCE_DEV_A" "$ROCE_DEV_B"
	report $name "both sides end with an error completion, no wrong byte" \
		"$cmd" "$(td_exit_ms A "$t0")" "$(td_exit_ms B "$t0")"
}

case_kill_one() {
	local name=kill-one t0 cmd

	case_start $name || { report $name "-" - - -; return; }
	t0=$(ms_now)
	kill -9 "$td_pid_a"
	cmd=$(($(ms_now) - t0))
	td_wait "$BOUND"
	exited_by A signal=9
	side_ended B 3
	first_is_wc B
	within_bound "B's exit" "$(td_exit_ms B "$t0")"
	res_settles "$t0" "$ROCE_DEV_A" "$ROCE_DEV_B"
	report $name "kill -9 of A: B ends with an error completion" \
		"$cmd" "$(td_exit_ms A "$t0")" "$(td_exit_ms B "$t0")"
}

case_kill_both() {
	local name=kill-both t0 cmd a b

	case_start $name || { report $name "-" - - -; return; }
	t0=$(ms_now)
	kill -9 "$td_pid_a" "$td_pid_b"
	cmd=$(($(ms_now) - t0))
	td_wait "$BOUND"
	exited_by A signal=9
	exited_by B signal=9
	a=$(td_exit_ms A "$t0")
	b=$(td_exit_ms B "$t0")
	res_settles "$t0" "$ROCE_DEV_A" "$ROCE_DEV_B"
	# the devices still carry verified traffic
	if td_start -t 2; then
		td_wait "$BOUND"
		side_ended A 0
		side_ended B 0
		exited_by A status=0
		exited_by B status=0
		res_check "$ROCE_DEV_A" "$ROCE_DEV_B" ||
			fail "after the second run: $res_err"
	else
		fail "no traffic on the devices after the kill"
	fi
	report $name "kill -9 of both: resources freed, the devices carry verified traffic again" \
		"$cmd" "$a" "$b"
}

case_link_delete() {
	local name=link-delete t0 cmd

	case_start $name || { report $name "-" - - -; return; }
	t0=$(ms_now)
	bounded "$t0" rdma link delete "$ROCE_DEV_A"
	cmd=$cmd_ms
	[ "$cmd_rc" = 0 ] || fail "rdma link delete $ROCE_DEV_A: exit $cmd_rc"
	rdma_dev_gone "$ROCE_DEV_A" || fail "$ROCE_DEV_A still there"
	td_wait "$BOUND"
	side_ended A 3
	side_ended B 3
	saw_has A event:DEVICE_FATAL
	first_is_wc B
	within_bound "A's exit" "$(td_exit_ms A "$t0")"
	within_bound "B's exit" "$(td_exit_ms B "$t0")"
	res_settles "$t0" "$ROCE_DEV_B" -- "$ROCE_DEV_A"
	report $name "A gets DEVICE_FATAL, B an error completion" \
		"$cmd" "$(td_exit_ms A "$t0")" "$(td_exit_ms B "$t0")"
}

case_veth_delete() {
	local name=veth-delete t0 cmd

	case_start $name || { report $name "-" - - -; return; }
	t0=$(ms_now)
	bounded "$t0" ip link delete "$VETH_A"
	[ "$cmd_rc" = 0 ] || fail "ip link delete $VETH_A: exit $cmd_rc"
	wait_for "$BOUND" rdma_dev_gone "$ROCE_DEV_A" &&
	wait_for "$BOUND" rdma_dev_gone "$ROCE_DEV_B" ||
		fail "the devices did not go"
	cmd=$(($(ms_now) - t0))
	within_bound "ip link delete and both devices gone" "$cmd"
	td_wait "$BOUND"
	side_ended A 3
	side_ended B 3
	saw_has A event:DEVICE_FATAL
	saw_has B event:DEVICE_FATAL
	within_bound "A's exit" "$(td_exit_ms A "$t0")"
	within_bound "B's exit" "$(td_exit_ms B "$t0")"
	res_settles "$t0" -- "$ROCE_DEV_A" "$ROCE_DEV_B"
	report $name "both devices go, both sides get DEVICE_FATAL" \
		"$cmd" "$(td_exit_ms A "$t0")" "$(td_exit_ms B "$t0")"
}

case_rmmod() {
	local mod=sroce t0 ms rc

	why=
	[ "$ROCE_DRIVER" = rxe ] && mod=rdma_rxe
	roce_routes_down
	t0=$(ms_now)
	timeout $((BOUND * 2)) rmmod "$mod"
	rc=$?
	ms=$(($(ms_now) - t0))
	ktap_info "rmmod $mod: exit $rc after $ms ms"
	[ "$rc" = 0 ] || fail "rmmod $mod: exit $rc"
	module_loaded "$mod" && fail "$mod still loaded"
	within_bound "rmmod" "$ms"
	printf '%s\trmmod\t%s\t%s\t-\t-\t-\t-\t-\n' "$ROCE_DRIVER" \
		"$([ -z "$why" ] && echo ok || echo FAIL)" "$ms" >>"$tsv"
	if [ -z "$why" ]; then
		ktap_ok "rmmod $mod after the cases"
	else
		ktap_not_ok "rmmod $mod after the cases" "$why"
	fi
}

# ---------------------------------------------------------------------------

ALL_CASES="mtu-keep mtu-shrink kill-one kill-both link-delete veth-delete rmmod"
CASES=${SROCE_TEST_TEARDOWN_CASES:-$ALL_CASES}
NCASES=0
for c in $CASES; do
	case " $ALL_CASES " in
	*" $c "*) NCASES=$((NCASES + 1)) ;;
	*) echo "teardown_load: unknown case '$c' (cases: $ALL_CASES)" >&2; exit "$KSFT_FAIL" ;;
	esac
done

ktap_plan $((NCASES + 1))
if [ ! -x "$TRAFFIC" ]; then
	ktap_not_ok "teardown_traffic is built" "run make -C selftests"
	ktap_finish
fi
no_devices() {
	local i
	for ((i = 0; i < NCASES; i++)); do
		ktap_not_ok "teardown case" "no devices"
	done
}

printf 'driver\tcase\tresult\tcmd_ms\tA_exit_ms\tB_exit_ms\tres_ms\tA first / saw\tB first / saw\n' >"$tsv"
roce_suite_devs_up no_devices
if ! res_baseline; then
	ktap_info "no rdma res baseline: $res_base"
	no_devices
	roce_devs_down
	ktap_finish
fi
ktap_info "rdma res baseline: $(tr '\n' ' ' <<<"$res_base")"
ktap_info "driver $ROCE_DRIVER, bound $BOUND s, cases: $CASES"
for c in $CASES; do
	case $c in
	mtu-keep) case_mtu_keep ;;
	mtu-shrink) case_mtu_shrink ;;
	kill-one) case_kill_one ;;
	kill-both) case_kill_both ;;
	link-delete) case_link_delete ;;
	veth-delete) case_veth_delete ;;
	rmmod) case_rmmod ;;
	esac
done

ktap_info "table ($ROCE_DRIVER; ms from the action; A/B: first incident / all seen):"
ktap_table "$tsv" "teardown-$ROCE_DRIVER.tsv"
roce_devs_down
ktap_finish
