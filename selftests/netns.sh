#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# sroce in network namespaces. Two namespaces, NSA (IPv4 and IPv6) and NSB
# (IPv6 only: no IPv4 address), joined to the initial namespace and to each
# other by veth pairs:
#   init vi0 (198.18.10.1, 2001:db8:10::1) -- NSA va0 (.10.2, 2001:db8:10::2)
#   NSA va1 (2001:db8:11::1)               -- NSB vb1 (2001:db8:11::2)
# One device per netdev: si0 (vi0), sa0 (va0), sa1 (va1), sb1 (vb1).
#
# Shared mode (the default): `rdma link add` inside a namespace; UDP 4791
# (IPv4 and IPv6, `ss -uln` of that namespace) open exactly while the
# namespace holds a device: closed at load, open after the first add, open
# while a second device remains, closed after the last `rdma link delete`,
# after the netdev's deletion; traffic init<->NSA over IPv4 and IPv6 and
# NSA<->NSB over IPv6 (verify_xfer: every byte; rping; perftest write, read,
# send, atomic; ibv_rc_pingpong), with no policy routing; a namespace
# deleted under live QPs of a process outside it (the devices go, the
# process gets IBV_EVENT_DEVICE_FATAL and exits cleanly, traffic programs
# end) and of a process inside it (the namespace, its device and its port
# live until that process exits, then go); `rdma res` empty and the module
# unloads.
#
# Exclusive mode (`rdma system set netns exclusive`, only settable while no
# other namespace exists): a device added in a namespace belongs to it
# (seen there only), traffic between NSA's device and init's, `rdma dev
# set sa0 netns NSB` ends the apps on it cleanly and moves it, a dying
# namespace's devices go (their netdev gone) or come back to init_net (core
# moves them), nothing hangs.
#
# No bridge, macvlan or bond: runnable on the debug kernel.
dir=$(cd "$(dirname "$0")" && pwd)
. "$dir/lib.sh"
. "$dir/roce_net.sh"

NSA=sroce_nsa
NSB=sroce_nsb
IP_I=198.18.10.1
IP_A0=198.18.10.2
IP6_I=2001:db8:10::1
IP6_A0=2001:db8:10::2
IP6_A1=2001:db8:11::1
IP6_B1=2001:db8:11::2
RUN_TIMEOUT=60
PORT=19300
LOG=/tmp/netns
PLAN=71
BG_PIDS=

ktap_plan "$PLAN"

# nsx NS CMD...: CMD in namespace NS ("init": the initial one).
nsx() {
	local ns=$1
	shift
	if [ "$ns" = init ]; then
		"$@"
	else
		ip netns exec "$ns" "$@"
	fi
}

# port_state NS: "open" when exactly sroce's two sockets (0.0.0.0:4791 and
# [::]:4791) are there, "closed" when nothing is on UDP 4791, otherwise
# what ss shows.
port_state() {
	local out v4 v6

	out=$(nsx "$1" ss -Huln 'sport = :4791') || { echo "ss failed"; return; }
	if [ -z "$out" ]; then
		echo closed
		return
	fi
	v4=$(grep -c ' 0\.0\.0\.0:4791 ' <<<"$out")
	v6=$(grep -Ec ' (\[::\]|\*):4791 ' <<<"$out")
	if [ "$v4" = 1 ] && [ "$v6" = 1 ] && [ "$(wc -l <<<"$out")" = 2 ]; then
		echo open
	else
		echo "$out" | tr -s ' \n' ' '
	fi
}

# check_ports NAME NS=STATE...: one result for all the namespaces named.
check_ports() {
	local name=$1 bad="" got ns want
	shift
	for spec in "$@"; do
		ns=${spec%%=*} want=${spec#*=}
		got=$(port_state "$ns")
		[ "$got" = "$want" ] || bad="$bad $ns: '$got' (want $want);"
	done
	if [ -z "$bad" ]; then
		ktap_ok "$name"
	else
		ktap_not_ok "$name" "$bad"
	fi
}

# dev_in NS DEV: DEV is seen (sysfs) from namespace NS.
# nsp NS: NSP becomes the command prefix that runs a program in NS, one
# that execs it (the pid of `NSP... PROG &` is PROG's; timeout can run it).
nsp() {
	if [ "$1" = init ]; then
		NSP=(env)
	else
		NSP=(ip netns exec "$1")
	fi
}

dev_in() {
	nsx "$1" test -e "/sys/class/infiniband/$2"
}

dev_not_in() {
	! dev_in "$@"
}

# gid_of NS DEV ADDR: DEV's RoCE v2 GID index of ADDR, seen from NS.
gid_of() {
	nsx "$1" bash -c ". '$dir/lib.sh'; . '$dir/roce_net.sh'; roce_gid_index '$2' '$3'"
}

has_gid() {
	gid_of "$@" >/dev/null
}

# add NS DEV NETDEV: `rdma link add` from NS; DEV ACTIVE with the GID of
# ADDR (seen from NS) within 20 s.
add() {
	local ns=$1 dev=$2 ndev=$3 addr=$4

	nsx "$ns" rdma link add "$dev" type sroce netdev "$ndev" &&
	wait_for 20 nsx "$ns" bash -c ". '$dir/lib.sh'; port_state_is '$dev' ACTIVE" &&
	wait_for 20 has_gid "$ns" "$dev" "$addr"
}

# devs_exist DEV...: every DEV is seen from init_net (so that "gone"
# afterwards means something).
devs_exist() {
	local d
	for d in "$@"; do
		rdma_dev_exists "$d" || return 1
	done
}

ns_gone() {
	! ip netns list | grep -qw "$1"
}

netdev_gone() {
	! nsx "$1" ip link show "$2" >/dev/null 2>&1
}

bg_kill() {
	local pid
	for pid in $BG_PIDS; do
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	BG_PIDS=
}

cleanup() {
	bg_kill
	roce_kill_traffic
	pkill -9 -x hold 2>/dev/null
	rdma_links_clear
	ip netns del "$NSA" 2>/dev/null
	ip netns del "$NSB" 2>/dev/null
	ip link del vi0 2>/dev/null
	wait_for 30 rdma system set netns shared >/dev/null 2>&1
	return 0
}

make_namespaces() {
	ip netns add "$NSA" && ip netns add "$NSB" || return 1
	ip -n "$NSA" link set lo up && ip -n "$NSB" link set lo up &&
	ip link add vi0 type veth peer name va0 netns "$NSA" &&
	ip -n "$NSA" link add va1 type veth peer name vb1 netns "$NSB" &&
	ip addr add "$IP_I/24" dev vi0 &&
	ip -6 addr add "$IP6_I/64" dev vi0 nodad &&
	ip -n "$NSA" addr add "$IP_A0/24" dev va0 &&
	ip -n "$NSA" -6 addr add "$IP6_A0/64" dev va0 nodad &&
	ip -n "$NSA" -6 addr add "$IP6_A1/64" dev va1 nodad &&
	ip -n "$NSB" -6 addr add "$IP6_B1/64" dev vb1 nodad &&
	ip link set vi0 up && ip -n "$NSA" link set va0 up &&
	ip -n "$NSA" link set va1 up && ip -n "$NSB" link set vb1 up
}

# hold_start NS DEV: selftests/hold (RC QPs, PDs, CQs, MRs on DEV, waiting
# for IBV_EVENT_DEVICE_FATAL) in NS; sets HOLD_PID once it is ready.
hold_start() {
	: >"$LOG.hold"
	nsp "$1"
	"${NSP[@]}" "$dir/hold" -d "$2" -n 4 >"$LOG.hold" 2>&1 &
	HOLD_PID=$!
	wait_for 20 grep -q "hold: ready" "$LOG.hold"
}

# hold_ended: hold got DEVICE_FATAL, destroyed everything and exited 0.
hold_ended() {
	roce_wait_exit "$HOLD_PID" 30 && grep -q "DEVICE_FATAL" "$LOG.hold"
}

# --- traffic ---------------------------------------------------------------

# xfer NAME NS DEV_A DEV_B FAM: verify_xfer from NS, every byte checked.
xfer() {
	local name=$1 ns=$2 rc
	nsp "$ns"
	timeout "$RUN_TIMEOUT" "${NSP[@]}" "$dir/verify_xfer" "$3" "$4" "$5" >"$LOG.xfer" 2>&1
	rc=$?
	roce_kill_traffic
	if [ "$rc" -eq 0 ] && grep -q '^1\.\.17$' "$LOG.xfer" &&
	   [ "$(grep -c '^ok ' "$LOG.xfer")" -eq 17 ]; then
		ktap_ok "$name"
	else
		sed 's/^/# /' "$LOG.xfer"
		ktap_not_ok "$name" "verify_xfer exit $rc"
	fi
}

listening_cm() {
	rdma res show cm_id 2>/dev/null | grep -Eq "state LISTEN.*[:.]$PORT( |$)"
}

# rping_ns NAME SRV_NS SRV_ADDR CLI_NS CLI_ADDR: rping -V, 10 pings of 4 KiB.
rping_ns() {
	local name=$1 sns=$2 saddr=$3 cns=$4 caddr=$5 spid rc_c rc_s pings
	PORT=$((PORT + 1))
	nsp "$sns"
	timeout "$RUN_TIMEOUT" "${NSP[@]}" rping -s -a "$saddr" -p "$PORT" -C 10 \
		-S 4096 -V >"$LOG.srv" 2>&1 &
	spid=$!
	if ! wait_for 20 listening_cm; then
		roce_wait_exit "$spid" 1
		roce_kill_traffic
		sed 's/^/# server: /' "$LOG.srv"
		ktap_not_ok "$name" "server never listened"
		return
	fi
	nsp "$cns"
	timeout "$RUN_TIMEOUT" "${NSP[@]}" rping -c -a "$saddr" -I "$caddr" \
		-p "$PORT" -C 10 -S 4096 -V -v >"$LOG.cli" 2>&1
	rc_c=$?
	roce_wait_exit "$spid" 30
	rc_s=$?
	roce_kill_traffic
	pings=$(grep -c '^ping data: rdma-ping-' "$LOG.cli")
	if [ "$rc_c" -eq 0 ] && [ "$rc_s" -eq 0 ] && [ "$pings" -eq 10 ]; then
		ktap_ok "$name"
	else
		grep -v '^ping data: ' "$LOG.cli" | head -n 20 | sed 's/^/# client: /'
		head -n 20 "$LOG.srv" | sed 's/^/# server: /'
		ktap_not_ok "$name" "client exit $rc_c, $pings of 10 pings, server exit $rc_s"
	fi
}

tcp_listening() {
	nsx "$1" ss -Hltn "sport = :$PORT" | grep -q .
}

# perf PROG SRV_NS SRV_DEV SRV_GID CLI_NS CLI_DEV CLI_GID SRV_ADDR: one
# perftest bandwidth run, 4 KiB (atomics: 8 B), 100 iterations, retried
# when the CPU calibration fails under TCG.
perf() {
	local prog=$1 sns=$2 sdev=$3 sgid=$4 cns=$5 cdev=$6 cgid=$7 saddr=$8
	local name="$prog $sdev ($sns) <- $cdev ($cns)" try spid rc_c rc_s size=4096
	local -a common

	[ "$prog" = ib_atomic_bw ] && size=8
	for ((try = 0; try < 3; try++)); do
		PORT=$((PORT + 1))
		common=(-i 1 -F -u 18 -n 100 -p "$PORT")
		[ "$prog" = ib_atomic_bw ] || common+=(-s "$size")
		nsp "$sns"
		timeout "$RUN_TIMEOUT" "${NSP[@]}" "$prog" -d "$sdev" -x "$sgid" \
			"${common[@]}" >"$LOG.srv" 2>&1 &
		spid=$!
		if ! wait_for 30 tcp_listening "$sns"; then
			roce_wait_exit "$spid" 1
			rc_s=$?
			rc_c=-1
		else
			nsp "$cns"
			timeout "$RUN_TIMEOUT" "${NSP[@]}" "$prog" -d "$cdev" -x "$cgid" \
				"${common[@]}" "$saddr" >"$LOG.cli" 2>&1
			rc_c=$?
			roce_wait_exit "$spid" 30
			rc_s=$?
		fi
		# killing timeout leaves its child: every leftover goes
		roce_kill_traffic
		grep -q "Correlation coefficient" "$LOG.srv" "$LOG.cli" 2>/dev/null || break
		ktap_info "$name: CPU calibration failed, retry"
	done
	if [ "$rc_c" -eq 0 ] && [ "$rc_s" -eq 0 ] &&
	   roce_perf_result "$LOG.cli" "$prog" "$size" 100 >"$LOG.res"; then
		ktap_info "$name:$(tr -s ' \t' ' ' <"$LOG.res")"
		ktap_ok "$name"
	else
		sed 's/^/# client: /' "$LOG.cli"
		sed 's/^/# server: /' "$LOG.srv"
		ktap_not_ok "$name" "client exit $rc_c, server exit $rc_s"
	fi
}

# pp NAME SRV_NS SRV_DEV SRV_GID CLI_NS CLI_DEV CLI_GID SRV_ADDR:
# ibv_rc_pingpong -c, 4 KiB, 50 exchanges.
pp() {
	local name=$1 sns=$2 sdev=$3 sgid=$4 cns=$5 cdev=$6 cgid=$7 saddr=$8 spid rc_c rc_s
	PORT=$((PORT + 1))
	nsp "$sns"
	timeout "$RUN_TIMEOUT" "${NSP[@]}" ibv_rc_pingpong -d "$sdev" -i 1 -g "$sgid" \
		-s 4096 -n 50 -p "$PORT" -c >"$LOG.srv" 2>&1 &
	spid=$!
	if ! wait_for 20 tcp_listening "$sns"; then
		roce_wait_exit "$spid" 1
		roce_kill_traffic
		sed 's/^/# server: /' "$LOG.srv"
		ktap_not_ok "$name" "server never listened"
		return
	fi
	nsp "$cns"
	timeout "$RUN_TIMEOUT" "${NSP[@]}" ibv_rc_pingpong -d "$cdev" -i 1 -g "$cgid" \
		-s 4096 -n 50 -p "$PORT" -c "$saddr" >"$LOG.cli" 2>&1
	rc_c=$?
	roce_wait_exit "$spid" 30
	rc_s=$?
	roce_kill_traffic
	if [ "$rc_c" -eq 0 ] && [ "$rc_s" -eq 0 ] &&
	   grep -q '^50 iters in' "$LOG.cli" && grep -q '^50 iters in' "$LOG.srv"; then
		ktap_ok "$name"
	else
		sed 's/^/# client: /' "$LOG.cli"
		sed 's/^/# server: /' "$LOG.srv"
		ktap_not_ok "$name" "client exit $rc_c, server exit $rc_s"
	fi
}

# --- shared mode -----------------------------------------------------------

sroce_reset
cleanup
trap cleanup EXIT
start=$(date +%s)

ktap_check "rdma netns mode is shared" sh -c "rdma system show | grep -q 'netns shared'"
check_ports "loaded, no device: UDP 4791 closed in init_net" init=closed
if make_namespaces; then
	ktap_ok "namespaces $NSA and $NSB (IPv6 only) with their veths"
else
	ktap_not_ok "namespaces $NSA and $NSB (IPv6 only) with their veths"
fi
check_ports "no device: closed in $NSA and $NSB" "$NSA=closed" "$NSB=closed"

dmesg_mark
ktap_check "rdma link add sa0 from inside $NSA (netdev va0 of $NSA)" \
	add "$NSA" sa0 va0 "$IP_A0"
dmesg_since_mark | grep sroce | sed 's/^/# /'
check_ports "first device in $NSA: open there, init_net still closed" \
	"$NSA=open" init=closed
ktap_check "sa0 is seen from init_net too (shared mode)" dev_in init sa0
ktap_check "rdma link add si0 (init_net, vi0)" add init si0 vi0 "$IP_I"
check_ports "device in init_net: open there" init=open "$NSA=open" "$NSB=closed"
ktap_check "rdma link add sb1 from inside $NSB (IPv6 only)" \
	add "$NSB" sb1 vb1 "$IP6_B1"
ktap_info "$NSB ss -uln: $(nsx "$NSB" ss -Huln | tr -s ' \n' ' ')"
check_ports "IPv6-only $NSB: both sockets open (0.0.0.0 and [::])" "$NSB=open"
ktap_check "rdma link add sa1 from inside $NSA (second device, va1)" \
	add "$NSA" sa1 va1 "$IP6_A1"
# no policy routing: only the default rules, IPv4 and IPv6
default_rules_only() {
	[ -z "$(nsx "$1" ip -4 rule | grep -Ev 'lookup (local|main|default)$')" ] &&
	[ -z "$(nsx "$1" ip -6 rule | grep -Ev 'lookup (local|main)$')" ]
}
ktap_check "no policy routing: default rules only in init_net, $NSA, $NSB" \
	eval "default_rules_only init && default_rules_only $NSA && default_rules_only $NSB"

GI4=$(gid_of init si0 "$IP_I") GI6=$(gid_of init si0 "$IP6_I")
GA4=$(gid_of "$NSA" sa0 "$IP_A0") GA6=$(gid_of "$NSA" sa0 "$IP6_A0")
GA16=$(gid_of "$NSA" sa1 "$IP6_A1") GB6=$(gid_of "$NSB" sb1 "$IP6_B1")
ktap_info "GIDs: si0 $GI4/$GI6 sa0 $GA4/$GA6 sa1 $GA16 sb1 $GB6"

t0=$(date +%s)
xfer "verify_xfer si0 (init) <-> sa0 ($NSA) IPv4" init si0 sa0 4
xfer "verify_xfer si0 (init) <-> sa0 ($NSA) IPv6" init si0 sa0 6
# from init_net: a namespace sees other namespaces' devices as compat
# devices, which core gives no hw_counters (verify_xfer reads them)
xfer "verify_xfer sa1 ($NSA) <-> sb1 ($NSB) IPv6" init sa1 sb1 6
rping_ns "rping IPv4: server $NSA, client init_net" "$NSA" "$IP_A0" init "$IP_I"
rping_ns "rping IPv6: server $NSB, client $NSA" "$NSB" "$IP6_B1" "$NSA" "$IP6_A1"
for prog in ib_write_bw ib_read_bw ib_send_bw ib_atomic_bw; do
	perf "$prog" "$NSA" sa0 "$GA4" init si0 "$GI4" "$IP_A0"
done
# IPv6 GIDs; perftest 4.5's out-of-band TCP connection is IPv4 only
perf ib_write_bw init si0 "$GI6" "$NSA" sa0 "$GA6" "$IP_I"
# ibv_rc_pingpong's server listens on IPv4 only: both ends run in $NSB
# (127.0.0.1), RoCE goes over va1 ($NSA) and vb1 ($NSB)
pp "ibv_rc_pingpong IPv6: sb1 <-> sa1, run in $NSB" \
	"$NSB" sb1 "$GB6" "$NSB" sa1 "$GA16" 127.0.0.1
ktap_info "traffic: $(($(date +%s) - t0)) s"

ktap_check "rdma link delete sa0" rdma link delete sa0
check_ports "$NSA keeps its port while sa1 remains" "$NSA=open"
ktap_check "rdma link delete sa1 (from inside $NSA)" nsx "$NSA" rdma link delete sa1
check_ports "last device of $NSA deleted: closed there, init_net and $NSB open" \
	"$NSA=closed" init=open "$NSB=open"

ktap_check "sa0 added again in $NSA" add "$NSA" sa0 va0 "$IP_A0"
devs_exist si0 sa0
had=$?
ip link del vi0
if [ "$had" = 0 ] && wait_for 20 rdma_dev_gone si0 && wait_for 20 rdma_dev_gone sa0; then
	ktap_ok "netdev deleted (vi0 and its peer va0): si0 and sa0 gone"
else
	ktap_not_ok "netdev deleted (vi0 and its peer va0): si0 and sa0 gone"
fi
check_ports "netdevs deleted: init_net and $NSA closed" init=closed "$NSA=closed"

# A namespace deleted under processes of init_net: hold with QPs on sb1,
# and ibv_rc_pingpong running between sa1 and sb1.
ktap_check "sa1 added again in $NSA" add "$NSA" sa1 va1 "$IP6_A1"
GA16=$(gid_of "$NSA" sa1 "$IP6_A1")
if hold_start init sb1; then
	ktap_ok "init_net process holds QPs on sb1 ($NSB)"
else
	ktap_not_ok "init_net process holds QPs on sb1 ($NSB)"
fi
PORT=$((PORT + 1))
ibv_rc_pingpong -d sb1 -i 1 -g "$GB6" -s 4096 -n 1000000 -p "$PORT" -e \
	>"$LOG.ppl.srv" 2>&1 &
ppl_srv=$!
wait_for 20 tcp_listening init
ibv_rc_pingpong -d sa1 -i 1 -g "$GA16" -s 4096 -n 1000000 -p "$PORT" -e \
	127.0.0.1 >"$LOG.ppl.cli" 2>&1 &
ppl_cli=$!
BG_PIDS="$ppl_srv $ppl_cli"
sleep 3
ppl_ran=0
if kill -0 "$ppl_srv" 2>/dev/null && kill -0 "$ppl_cli" 2>/dev/null; then
	ppl_ran=1
	ktap_ok "ibv_rc_pingpong sa1 <-> sb1 running"
else
	sed 's/^/# /' "$LOG.ppl.srv" "$LOG.ppl.cli"
	ktap_not_ok "ibv_rc_pingpong sa1 <-> sb1 running"
fi
ktap_check "no process left in $NSB (nothing else keeps it alive)" \
	sh -c "[ -z \"\$(ip netns pids $NSB)\" ]"
devs_exist sb1 sa1
had=$?
t0=$(date +%s)
ip netns del "$NSB"
if [ "$had" = 0 ] && wait_for 30 rdma_dev_gone sb1 && wait_for 30 rdma_dev_gone sa1 &&
   wait_for 30 netdev_gone "$NSA" va1; then
	ktap_ok "ip netns del $NSB: $NSB destroyed (peer va1 gone), sb1 and sa1 gone"
else
	ktap_not_ok "ip netns del $NSB: $NSB destroyed (peer va1 gone), sb1 and sa1 gone"
fi
ktap_info "namespace teardown: $(($(date +%s) - t0)) s"
ktap_check "hold got IBV_EVENT_DEVICE_FATAL, destroyed all, exit 0" hold_ended
sed 's/^/# hold: /' "$LOG.hold"
roce_wait_exit "$ppl_srv" 30
rc_s=$?
roce_wait_exit "$ppl_cli" 30
rc_c=$?
BG_PIDS=
if [ "$ppl_ran" = 1 ] && [ "$rc_s" -ne 0 ] && [ "$rc_s" -ne 137 ] &&
   [ "$rc_c" -ne 0 ] && [ "$rc_c" -ne 137 ]; then
	ktap_ok "the pingpong pair (-e) ended by itself with an error (exit $rc_s, $rc_c)"
else
	tail -n 3 "$LOG.ppl.srv" "$LOG.ppl.cli" | sed 's/^/# /'
	ktap_not_ok "the pingpong pair (-e) ended by itself with an error" "exit $rc_s, $rc_c"
fi
check_ports "$NSA closed (no device left)" "$NSA=closed"

# A namespace deleted while a process inside it holds QPs: the namespace
# lives on until that process exits.
ip -n "$NSA" link add va2 type veth peer name va3 &&
	ip -n "$NSA" -6 addr add 2001:db8:12::1/64 dev va2 nodad &&
	ip -n "$NSA" link set va2 up && ip -n "$NSA" link set va3 up
ktap_check "sa2 in $NSA (va2)" add "$NSA" sa2 va2 2001:db8:12::1
if hold_start "$NSA" sa2; then
	ktap_ok "$NSA process holds QPs on sa2"
else
	ktap_not_ok "$NSA process holds QPs on sa2"
fi
devs_exist sa2
had=$?
ip netns del "$NSA"
sleep 2
if rdma_dev_exists sa2 && kill -0 "$HOLD_PID" 2>/dev/null &&
   [ "$(nsenter --net="/proc/$HOLD_PID/ns/net" ss -Huln 'sport = :4791' | wc -l)" = 2 ]; then
	ktap_ok "ip netns del with a process inside: namespace, sa2 and its port live on"
else
	ktap_not_ok "ip netns del with a process inside: namespace, sa2 and its port live on"
fi
kill -9 "$HOLD_PID" 2>/dev/null
wait "$HOLD_PID" 2>/dev/null
ktap_check "the process killed: the namespace dies, sa2 goes" \
	eval "[ $had = 0 ] && wait_for 30 rdma_dev_gone sa2"

res_empty() {
	[ -z "$(rdma res show 2>/dev/null)" ]
}
ktap_check "rdma res: nothing left" res_empty
rdma res show | sed 's/^/# res: /'
ktap_check "no sroce device left" sh -c "[ -z \"\$(ls /sys/class/infiniband)\" ]"
ktap_check "modprobe -r sroce" timeout 60 modprobe -r sroce
ktap_check "modprobe sroce: port still closed in init_net" sh -c \
	"modprobe sroce && [ -z \"\$(ss -Huln 'sport = :4791')\" ]"
ktap_info "shared mode: $(($(date +%s) - start)) s"

# --- exclusive mode --------------------------------------------------------

start=$(date +%s)
set_mode() {
	rdma system set netns "$1" 2>/dev/null
}
if wait_for 30 set_mode exclusive &&
   rdma system show | grep -q 'netns exclusive'; then
	ktap_ok "rdma system set netns exclusive"
else
	rdma system show | sed 's/^/# /'
	ktap_not_ok "rdma system set netns exclusive"
fi
if make_namespaces; then
	ktap_ok "exclusive: namespaces and veths again"
else
	ktap_not_ok "exclusive: namespaces and veths again"
fi
ktap_check "exclusive: rdma link add sa0 from inside $NSA" add "$NSA" sa0 va0 "$IP_A0"
if dev_in "$NSA" sa0 && dev_not_in init sa0 && dev_not_in "$NSB" sa0 &&
   nsx "$NSA" rdma dev show sa0 >/dev/null 2>&1 && ! rdma dev show sa0 >/dev/null 2>&1; then
	ktap_ok "exclusive: sa0 belongs to $NSA (seen there only)"
else
	ktap_not_ok "exclusive: sa0 belongs to $NSA (seen there only)"
fi
ktap_check "exclusive: rdma link add si0 in init_net" add init si0 vi0 "$IP_I"
ktap_check "exclusive: si0 not seen from $NSA" dev_not_in "$NSA" si0
ktap_check "exclusive: rdma link add sb1 from inside $NSB" add "$NSB" sb1 vb1 "$IP6_B1"
check_ports "exclusive: ports open in the three namespaces" init=open "$NSA=open" "$NSB=open"
GI4=$(gid_of init si0 "$IP_I") GI6=$(gid_of init si0 "$IP6_I")
GA4=$(gid_of "$NSA" sa0 "$IP_A0") GA6=$(gid_of "$NSA" sa0 "$IP6_A0")
pp "exclusive: ibv_rc_pingpong IPv4: server sa0 in $NSA, client si0 in init_net" \
	"$NSA" sa0 "$GA4" init si0 "$GI4" "$IP_A0"
pp "exclusive: ibv_rc_pingpong IPv6 GIDs: server si0 in init_net, client sa0 in $NSA" \
	init si0 "$GI6" "$NSA" sa0 "$GA6" "$IP_I"

if hold_start "$NSA" sa0; then
	ktap_ok "exclusive: $NSA process holds QPs on sa0"
else
	ktap_not_ok "exclusive: $NSA process holds QPs on sa0"
fi
ktap_check "exclusive: rdma dev set sa0 netns $NSB (from $NSA)" \
	nsx "$NSA" rdma dev set sa0 netns "$NSB"
ktap_check "exclusive: the app on sa0 got DEVICE_FATAL and ended cleanly" hold_ended
if dev_in "$NSB" sa0 && dev_not_in "$NSA" sa0 && dev_not_in init sa0; then
	ktap_ok "exclusive: sa0 now in $NSB only"
else
	ktap_not_ok "exclusive: sa0 now in $NSB only"
fi
check_ports "exclusive: $NSA keeps the port (sa0's netdev is there)" "$NSA=open"
ip netns exec "$NSB" "$dir/hold" -d sa0 -n 2 -k >"$LOG.hold2" 2>&1 &
h2=$!
BG_PIDS=$h2
ktap_check "exclusive: sa0 usable from $NSB (QPs created)" \
	wait_for 20 grep -q "hold: ready" "$LOG.hold2"
bg_kill

ktap_check "no process left in $NSB (nothing else keeps it alive)" \
	sh -c "[ -z \"\$(ip netns pids $NSB)\" ]"
t0=$(date +%s)
had=1
ip netns exec "$NSB" test -e /sys/class/infiniband/sb1 && had=0
ip netns del "$NSB"
if [ "$had" = 0 ] && wait_for 30 rdma_dev_gone sb1 && wait_for 30 dev_in init sa0 &&
   wait_for 20 port_state_is sa0 ACTIVE; then
	ktap_ok "exclusive: $NSB deleted: sb1 gone, sa0 (netdev in $NSA) back in init_net, ACTIVE"
else
	ktap_not_ok "exclusive: $NSB deleted: sb1 gone, sa0 back in init_net, ACTIVE"
fi
if hold_start init sa0; then
	ktap_ok "exclusive: init_net process holds QPs on sa0"
else
	ktap_not_ok "exclusive: init_net process holds QPs on sa0"
fi
devs_exist sa0 si0
had=$?
ip netns del "$NSA"
if [ "$had" = 0 ] && wait_for 30 rdma_dev_gone sa0 && wait_for 30 rdma_dev_gone si0; then
	ktap_ok "exclusive: $NSA deleted: sa0 and si0 (peer vi0) gone"
else
	ktap_not_ok "exclusive: $NSA deleted: sa0 and si0 (peer vi0) gone"
fi
ktap_check "exclusive: the app on sa0 got DEVICE_FATAL and ended cleanly" hold_ended
ktap_info "exclusive teardown: $(($(date +%s) - t0)) s"
check_ports "exclusive: init_net closed again" init=closed
ktap_check "rdma system set netns shared" wait_for 30 set_mode shared
ktap_check "exclusive: rdma res: nothing left" res_empty
ktap_info "exclusive mode: $(($(date +%s) - start)) s"

# shellcheck disable=SC2154 # ktap_n: lib.sh
[ "$ktap_n" -eq "$PLAN" ] || echo "# plan $PLAN but $ktap_n results: fix PLAN"
trap - EXIT
cleanup
sroce_reset
ktap_finish
