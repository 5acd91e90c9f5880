#!/bin/bash
# Guest side of tools/vm-run. Runs as PID 1 inside the guest, after the initramfs has
# switch_root'ed into an overlay of the host root (read-only 9p + tmpfs).
#
# Mounts the results share (9p tag "results") at /results, reads /results/guest.env
# written by vm-run, sets up the system (mounts, lo, modules, the NIC in --pair mode),
# runs the test script and records: /results/output.log (script stdout+stderr, also
# copied to the console), /results/rc, /results/tainted (/proc/sys/kernel/tainted at the
# end), /results/dmesg.log, then powers off.
#
# PID 1 must never exit (that panics the kernel): no set -e here, every path ends in
# power_off.

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8 TERM=dumb
R=/results

# The body is one { } block: bash parses it whole before running it, so editing this
# file while a run is in progress cannot change what that run executes.
{

log() {
	local up _
	read -r up _ </proc/uptime
	echo "sroce-guest: [$up] $*" >/dev/console
}

power_off() {
	sync
	umount "$R" 2>/dev/null
	# busybox-static is installed on the host (tools/setup); sysrq is the fallback.
	if [[ -x /bin/busybox ]]; then /bin/busybox poweroff -f; fi
	echo o >/proc/sysrq-trigger
	sleep 60
}

fatal() {
	log "FATAL: $*"
	[[ -d $R ]] && echo "sroce-guest: FATAL: $*" >>"$R/output.log"
	power_off
}

# Early set-up uses the host's static busybox when present: under TCG every dynamically
# linked exec costs ~0.1-0.3 s of relocation work.
bb=
[[ -x /bin/busybox ]] && bb=/bin/busybox
mkdir -p "$R"
$bb mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 results "$R" ||
	fatal "cannot mount the results share (9p tag results)"
: >"$R/booted" # tells vm-run's boot watchdog that the kernel made it
[[ -r $R/guest.env ]] || fatal "$R/guest.env missing"
# shellcheck source=/dev/null
. "$R/guest.env"
# guest.env defines: SROCE_REPO SROCE_ROLE SROCE_STAGE SROCE_LOAD_SROCE SROCE_SCRIPT
# (array) and, in pair mode, SROCE_LOCAL_IP SROCE_PEER_IP SROCE_LOCAL_IP6 SROCE_PEER_IP6.

kver=$(uname -r)
log "guest init started"
$bb hostname "sroce-$SROCE_ROLE"

# Fresh /tmp and /run, unless the repository lives there (a CI clone in
# /tmp, say): the overlay root is writable anyway, so keep it visible.
for d in /tmp /run; do
	case $SROCE_REPO/ in
	"$d"/*) log "$d: the repository is there, not mounting a tmpfs over it" ;;
	*) $bb mount -t tmpfs -o mode="$([[ $d == /tmp ]] && echo 1777 || echo 0755)" tmpfs "$d" ;;
	esac
done
mkdir -p /dev/pts /dev/shm
$bb mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
$bb mount -t tmpfs -o mode=1777 tmpfs /dev/shm
$bb mount -t debugfs debugfs /sys/kernel/debug
$bb mount -t configfs configfs /sys/kernel/config 2>/dev/null
$bb mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
[[ -e /dev/fd ]] || ln -s /proc/self/fd /dev/fd

# The staged module tree (stock modules + sroce.ko in extra/, depmod'ed on the host).
mkdir -p "/lib/modules/$kver"
$bb mount --bind "$SROCE_STAGE" "/lib/modules/$kver" ||
	fatal "cannot bind $SROCE_STAGE onto /lib/modules/$kver"

log "mounts done"
ip link set lo up
ulimit -l unlimited
ulimit -c 0

modprobe -a ib_core ib_uverbs rdma_ucm || fatal "modprobe ib_core ib_uverbs rdma_ucm failed"

if [[ $SROCE_ROLE != single ]]; then
	# virtio_net is loaded by the initramfs (or built in); there is no udev here.
	modprobe virtio_net 2>/dev/null
	export SROCE_IFACE=eth0
	ip link set "$SROCE_IFACE" mtu 1500 up || fatal "no $SROCE_IFACE"
	ip addr add "$SROCE_LOCAL_IP/24" dev "$SROCE_IFACE"
	ip -6 addr add "$SROCE_LOCAL_IP6/64" dev "$SROCE_IFACE" nodad
	export SROCE_LOCAL_IP SROCE_PEER_IP SROCE_LOCAL_IP6 SROCE_PEER_IP6
	# Rendezvous: both guests boot concurrently; wait (bounded) until the peer answers
	# so the scripts start roughly together. A peer that never comes up is reported by
	# the script's own failure, not hidden here.
	peer_up=0
	for _ in $(seq 1 180); do
		if $bb ping -c 1 -W 1 "$SROCE_PEER_IP" >/dev/null 2>&1; then peer_up=1; break; fi
	done
	if ((peer_up)); then log "peer $SROCE_PEER_IP answers"; else log "peer $SROCE_PEER_IP does not answer"; fi
fi

export SROCE_OUT=$R SROCE_REPO SROCE_ROLE SROCE_KVER=$kver

rc=
if [[ $SROCE_LOAD_SROCE == 1 ]] && ! modprobe sroce >"$R/modprobe-sroce.log" 2>&1; then
	log "modprobe sroce failed: $(cat "$R/modprobe-sroce.log")"
	echo "sroce-guest: modprobe sroce failed: $(cat "$R/modprobe-sroce.log")" >"$R/output.log"
	rc=1
fi

if [[ -z $rc ]]; then
	cd "$SROCE_REPO" || fatal "cannot cd to $SROCE_REPO"
	: >"$R/output.log"
	touch "$R/started"
	log "running ${SROCE_SCRIPT[*]}"
	# The script writes straight to the share (the host streams it live); a tail copies
	# it to the console. No pipe, so daemons the script leaves behind cannot hang us.
	"${SROCE_SCRIPT[@]}" </dev/null >>"$R/output.log" 2>&1 &
	pid=$!
	tail -s 0.2 -n +1 -f --pid="$pid" "$R/output.log" >/dev/console 2>&1 &
	tailpid=$!
	wait "$pid"
	rc=$?
	wait "$tailpid"
	log "script exited with $rc"
fi

echo "$rc" >"$R/rc"
# kmemleak only reports an object that stayed unreferenced for 5 s and over
# more than one scan: wait past that, then scan three times.
if [[ -w /sys/kernel/debug/kmemleak ]]; then
	sleep 6
	for _ in 1 2 3; do
		echo scan >/sys/kernel/debug/kmemleak
		sleep 1
	done
	cat /sys/kernel/debug/kmemleak >"$R/kmemleak.log"
fi
# The taint flags at the very end: tools/kernel-log-check fails on any but
# O and E (out-of-tree, unsigned modules), even one no log line explains.
cat /proc/sys/kernel/tainted >"$R/tainted"
dmesg >"$R/dmesg.log"
power_off
}
