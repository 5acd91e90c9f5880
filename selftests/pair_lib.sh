#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Sourced by the two-host traffic tests (tools/vm-run --pair), after lib.sh
# and roce_net.sh. Both guests call the same functions with the same
# arguments in the same order: every run starts the server in one guest,
# tells the other through pair_exchange (TCP on the link) that it listens,
# and ends with both guests telling each other how their end went, so both
# print the same verdict. Traffic goes only over the link (SROCE_PEER_IP*).

PAIR_PORT=18800
PAIR_TIMEOUT=120
PAIR_RETRIES=3
PAIR_LOG=/tmp/pair
pair_n=0

# pair_dev_up DRIVER DEV: DEV on SROCE_IFACE here, and the peer's device
# up too; one KTAP line. Fails when either side failed.
pair_dev_up() {
	local mine=ok peer

	if ! roce_pair_dev_up "$1" "$2" 2>"$PAIR_LOG.up"; then
		sed 's/^/# /' "$PAIR_LOG.up"
		mine=fail
	fi
	PAIR_DEV=$2
	peer=$(pair_exchange up "$mine") || peer=lost
	if [ "$mine" = ok ] && [ "$peer" = ok ]; then
		ktap_ok "$2 ($1) on $SROCE_IFACE here, the peer's device up (guest $SROCE_ROLE)"
		return 0
	fi
	ktap_not_ok "$2 ($1) on $SROCE_IFACE here, the peer's device up (guest $SROCE_ROLE)" \
		"here: $mine, peer: $peer"
	return 1
}

pair_listening() {
	local port=$1 cm=$2

	if [ "$cm" = 1 ]; then
		rdma res show cm_id 2>/dev/null | grep -Eq "state LISTEN.*[:.]$port( |$)"
	else
		ss -Hltn "sport = :$port" | grep -q .
	fi
}

# pair_once SERVER_ROLE KIND CM SERVER_CMD... -- CLIENT_CMD...: one run;
# sets pair_mine to ok, fail or calib (perftest's CPU calibration failed).
# KIND: perf:PROG:SIZE:ITERS (the client must print that result line) or
# rping:COUNT (the client must print COUNT pings).
pair_once() {
	local srole=$1 kind=$2 cm=$3 spid rc ready
	local -a srv=() cli=()
	shift 3
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		srv+=("$1")
		shift
	done
	shift
	cli=("$@")
	pair_mine=fail
	roce_kill_traffic
	if [ "$SROCE_ROLE" = "$srole" ]; then
		timeout "$PAIR_TIMEOUT" "${srv[@]}" >"$PAIR_LOG.out" 2>&1 &
		spid=$!
		ready=no
		wait_for 60 pair_listening "$pair_port" "$cm" && ready=yes
		pair_exchange "ready$pair_n" "$ready" >/dev/null
		roce_wait_exit "$spid" "$PAIR_TIMEOUT"
		rc=$?
		echo "server exit $rc" >>"$PAIR_LOG.out"
		[ "$ready" = yes ] && [ "$rc" -eq 0 ] && pair_mine=ok
	else
		ready=$(pair_exchange "ready$pair_n" -)
		if [ "$ready" != yes ]; then
			echo "the peer's server never got ready" >"$PAIR_LOG.out"
		else
			timeout "$PAIR_TIMEOUT" "${cli[@]}" >"$PAIR_LOG.out" 2>&1
			rc=$?
			echo "client exit $rc" >>"$PAIR_LOG.out"
			[ "$rc" -eq 0 ] && pair_client_ok "$kind" && pair_mine=ok
		fi
	fi
	if [ "$pair_mine" != ok ] && grep -q "Correlation coefficient" "$PAIR_LOG.out"; then
		pair_mine=calib
	fi
}

pair_client_ok() {
	local kind=$1 prog size iters count

	case $kind in
	perf:*)
		IFS=: read -r _ prog size iters <<<"$kind"
		roce_perf_result "$PAIR_LOG.out" "$prog" "$size" "$iters" >"$PAIR_LOG.res"
		;;
	rping:*)
		count=${kind#rping:}
		[ "$(grep -c '^ping data: rdma-ping-' "$PAIR_LOG.out")" -eq "$count" ] &&
		! grep -qi 'mismatch\|error\|fail' "$PAIR_LOG.out"
		;;
	esac
}

# pair_run NAME SERVER_ROLE KIND CM SERVER_CMD... -- CLIENT_CMD...: one
# KTAP line in each guest; the run passes when both ends did. Retried when
# either end's perftest failed its CPU calibration.
pair_run() {
	local name=$1 srole=$2 kind=$3 cm=$4 try peer start
	shift 4
	start=$(date +%s)
	for ((try = 0; try <= PAIR_RETRIES; try++)); do
		pair_n=$((pair_n + 1))
		pair_port=$((PAIR_PORT + pair_n))
		pair_once "$srole" "$kind" "$cm" "${@//@PORT@/$pair_port}"
		peer=$(pair_exchange "res$pair_n" "$pair_mine") || peer=lost
		[ "$pair_mine" = calib ] || [ "$peer" = calib ] || break
		ktap_info "$name: perftest's CPU calibration failed, retry $((try + 1))"
	done
	ktap_info "$name: here $pair_mine, peer $peer, $(($(date +%s) - start)) s"
	if [ "$pair_mine" = ok ] && [ "$peer" = ok ]; then
		[ -s "$PAIR_LOG.res" ] && [ "$SROCE_ROLE" != "$srole" ] &&
			ktap_info "result:$(tr -s ' \t' ' ' <"$PAIR_LOG.res")"
		ktap_ok "$name"
	else
		sed 's/^/# here: /' "$PAIR_LOG.out"
		ktap_not_ok "$name" "here: $pair_mine, peer: $peer"
	fi
	: >"$PAIR_LOG.res"
}

# pair_perf SERVER_ROLE FAM CM PROG SIZE ITERS [OPTS...]: perftest PROG
# between the guests, server in guest SERVER_ROLE.
pair_perf() {
	local srole=$1 fam=$2 cm=$3 prog=$4 size=$5 iters=$6 name peer_addr
	local -a common srv cli
	shift 6
	common=(-d "$PAIR_DEV" -i 1 -F -u 18 -n "$iters" -p @PORT@ "$@")
	[[ $prog == ib_atomic_* ]] || common+=(-s "$size")
	name="$prog -s $size${*:+ $*} IPv$fam"
	[ "$cm" = 1 ] && name="$name -R"
	peer_addr=$SROCE_PEER_IP
	if [ "$cm" = 1 ]; then
		srv=("$prog" "${common[@]}" -R)
		cli=("$prog" "${common[@]}" -R "$peer_addr")
	else
		if [ "$fam" = 6 ]; then
			common+=(-x "$ROCE_PAIR_GID6")
		else
			common+=(-x "$ROCE_PAIR_GID4")
		fi
		srv=("$prog" "${common[@]}")
		cli=("$prog" "${common[@]}" "$peer_addr")
	fi
	pair_run "$name, server in guest $srole" "$srole" \
		"perf:$prog:$size:$iters" "$cm" "${srv[@]}" -- "${cli[@]}"
}

# pair_rping SERVER_ROLE FAM SIZE COUNT: rping -V between the guests.
pair_rping() {
	local srole=$1 fam=$2 size=$3 count=$4 local_addr peer_addr

	if [ "$fam" = 6 ]; then
		local_addr=$SROCE_LOCAL_IP6 peer_addr=$SROCE_PEER_IP6
	else
		local_addr=$SROCE_LOCAL_IP peer_addr=$SROCE_PEER_IP
	fi
	pair_run "rping -S $size -C $count -V IPv$fam, server in guest $srole" \
		"$srole" "rping:$count" 1 \
		rping -s -a "$local_addr" -p @PORT@ -C "$count" -S "$size" -V -- \
		rping -c -a "$peer_addr" -I "$local_addr" -p @PORT@ -C "$count" \
		-S "$size" -V -v
}

# pair_run_all DRV RUNS: every line of RUNS ("server-role family cm program
# size iterations") on a DRV device of this guest, one KTAP line each after the
# device's own; then the guest goes back to sroce alone, and the test ends.
pair_run_all() {
	local drv=$1 runs=$2 nruns i srole fam cm prog size iters

	nruns=$(echo "$runs" | wc -l)
	ktap_plan $((nruns + 1))
	if ! pair_dev_up "$drv" "${drv}0"; then
		for ((i = 0; i < nruns; i++)); do
			ktap_not_ok "pair run $((i + 1))" "no devices"
		done
	else
		while read -r srole fam cm prog size iters; do
			if [ "$cm" = rping ]; then
				pair_rping "$srole" "$fam" "$prog" "$size"
			else
				pair_perf "$srole" "$fam" "$cm" "$prog" "$size" \
					  "$iters"
			fi
		done <<<"$runs"
	fi
	roce_kill_traffic
	rdma_links_clear
	module_loaded rdma_rxe && modprobe -r rdma_rxe
	sroce_ensure_loaded
	ktap_finish
}
