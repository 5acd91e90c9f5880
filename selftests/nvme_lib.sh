#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# NVMe over Fabrics on RDMA inside one guest, sourced after lib.sh by
# selftests/nvme.sh and tools/guest/bench.sh: the kernel's NVMe target
# (nvmet, nvmet-rdma) listens on IP_B, the address of the RoCE device on
# veth1, and exports a brd ramdisk; the kernel's NVMe host (nvme-rdma,
# driven by nvme-cli) connects to it from IP_A, the device on veth0. The
# devices, routes and neighbours are the caller's (roce_net.sh or
# tools/guest/roce-net.sh). Every helper here is idempotent enough to be
# called again on what a failed run left behind (nvmf_cleanup).

NVMF_NQN=nqn.2014-08.org.sroce:nvmf-selftest
NVMF_PORT=1
NVMF_TRSVCID=4420
NVMF_CFG=/sys/kernel/config/nvmet
NVMF_RAM_MIB=${NVMF_RAM_MIB:-128}
NVMF_RAM=/dev/ram0
NVMF_MODULES="nvmet nvmet-rdma nvme-rdma brd"
NVMF_TOOLS="nvme fio"
NVMF_CTRL=	# nvmeN, the host's controller (nvmf_connect)
NVMF_BDEV=	# /dev/nvmeNnM, its namespace

# nvmf_missing: names the modules of this kernel and the programs that are
# not there (nothing when all are).
nvmf_missing() {
	local m t

	for m in $NVMF_MODULES; do
		modinfo -n "$m" >/dev/null 2>&1 || echo "module $m"
	done
	for t in $NVMF_TOOLS; do
		command -v "$t" >/dev/null 2>&1 || echo "program $t"
	done
}

# nvmf_module_load MODULE [PARAM...]: MODULE loaded from this kernel's own
# tree (/lib/modules/$(uname -r)/kernel), not from anywhere else.
nvmf_module_load() {
	local m=$1 path
	shift

	path=$(modinfo -n "$m" 2>/dev/null) || { echo "# no module $m"; return 1; }
	case $path in
	/lib/modules/"$(uname -r)"/kernel/*) ;;
	*) echo "# $m is $path, not one of $(uname -r)'s"; return 1 ;;
	esac
	modprobe "$m" "$@" || { echo "# modprobe $m failed"; return 1; }
	module_loaded "${m//-/_}" || { echo "# $m not in /sys/module after modprobe"; return 1; }
}

# nvmf_ram_up: NVMF_RAM, a fresh zero-filled brd ramdisk of NVMF_RAM_MIB.
nvmf_ram_up() {
	module_loaded brd && { modprobe -r brd || return 1; }
	nvmf_module_load brd rd_nr=1 rd_size=$((NVMF_RAM_MIB * 1024)) max_part=0 || return 1
	wait_for 10 test -b "$NVMF_RAM" || { echo "# no $NVMF_RAM"; return 1; }
	[ "$(cat /sys/block/ram0/size)" -eq $((NVMF_RAM_MIB * 2048)) ] ||
		{ echo "# $NVMF_RAM has $(cat /sys/block/ram0/size) sectors"; return 1; }
}

nvmf_configfs_mounted() {
	[ -d "$NVMF_CFG" ] ||
		{ mount -t configfs configfs /sys/kernel/config 2>/dev/null; [ -d "$NVMF_CFG" ]; }
}

# nvmf_target_up: subsystem NVMF_NQN (any host) with NVMF_RAM as namespace
# 1, port NVMF_PORT (rdma, ipv4, IP_B:NVMF_TRSVCID) exporting it. Linking
# the subsystem into the port is what makes nvmet-rdma listen.
nvmf_target_up() {
	local s=$NVMF_CFG/subsystems/$NVMF_NQN p=$NVMF_CFG/ports/$NVMF_PORT

	nvmf_configfs_mounted || { echo "# no $NVMF_CFG"; return 1; }
	mkdir "$s" &&
	echo 1 >"$s/attr_allow_any_host" &&
	mkdir "$s/namespaces/1" &&
	echo -n "$NVMF_RAM" >"$s/namespaces/1/device_path" &&
	echo 1 >"$s/namespaces/1/enable" &&
	mkdir "$p" &&
	echo rdma >"$p/addr_trtype" &&
	echo ipv4 >"$p/addr_adrfam" &&
	echo "$IP_B" >"$p/addr_traddr" &&
	echo "$NVMF_TRSVCID" >"$p/addr_trsvcid" &&
	ln -s "$s" "$p/subsystems/$NVMF_NQN" ||
		{ echo "# nvmet configfs set-up failed"; return 1; }
}

# nvmf_target_down: the port, namespace and subsystem removed (what exists).
nvmf_target_down() {
	local s=$NVMF_CFG/subsystems/$NVMF_NQN p=$NVMF_CFG/ports/$NVMF_PORT rc=0

	[ -d "$NVMF_CFG" ] || return 0
	if [ -L "$p/subsystems/$NVMF_NQN" ]; then
		rm "$p/subsystems/$NVMF_NQN" || rc=1
	fi
	if [ -d "$p" ]; then
		rmdir "$p" || rc=1
	fi
	if [ -d "$s/namespaces/1" ]; then
		echo 0 >"$s/namespaces/1/enable"
		rmdir "$s/namespaces/1" || rc=1
	fi
	if [ -d "$s" ]; then
		rmdir "$s" || rc=1
	fi
	return $rc
}

# nvmf_find_ctrl: sets NVMF_CTRL to the host controller of NVMF_NQN.
nvmf_find_ctrl() {
	local c

	NVMF_CTRL=
	for c in /sys/class/nvme/nvme*; do
		[ -r "$c/subsysnqn" ] || continue
		[ "$(cat "$c/subsysnqn")" = "$NVMF_NQN" ] || continue
		NVMF_CTRL=${c##*/}
		return 0
	done
	return 1
}

# nvmf_find_bdev: sets NVMF_BDEV to the namespace block device of NVMF_NQN:
# nvme<subsys>n1 (its parent is the subsystem, with multipath as Debian
# builds it) or nvme<ctrl>n1 (parent the controller); both have subsysnqn.
nvmf_find_bdev() {
	local d b

	NVMF_BDEV=
	for d in /sys/block/nvme*n*; do
		b=${d##*/}
		[[ $b =~ ^nvme[0-9]+n[0-9]+$ ]] || continue
		[ "$(cat "$d/device/subsysnqn" 2>/dev/null)" = "$NVMF_NQN" ] || continue
		[ -b "/dev/$b" ] || continue
		NVMF_BDEV=/dev/$b
		return 0
	done
	return 1
}

nvmf_ctrl_live() {
	nvmf_find_ctrl && [ "$(cat "/sys/class/nvme/$NVMF_CTRL/state")" = live ]
}

# nvmf_connect: nvme connect over RDMA from IP_A to the target; waits for
# the live controller and its block device. No reconnection for long: a
# lost controller must fail the test, not stall it.
nvmf_connect() {
	timeout 60 nvme connect -t rdma -a "$IP_B" -s "$NVMF_TRSVCID" -w "$IP_A" \
		-n "$NVMF_NQN" --ctrl-loss-tmo=5 --reconnect-delay=1 ||
		{ echo "# nvme connect failed"; return 1; }
	wait_for 30 nvmf_ctrl_live ||
		{ echo "# no live controller for $NVMF_NQN"; return 1; }
	wait_for 30 nvmf_find_bdev ||
		{ echo "# $NVMF_CTRL: no namespace block device"; return 1; }
}

nvmf_no_ctrl() {
	! nvmf_find_ctrl
}

# nvmf_disconnect: the host's controllers of NVMF_NQN gone.
nvmf_disconnect() {
	if nvmf_find_ctrl; then
		timeout 60 nvme disconnect -n "$NVMF_NQN" >/dev/null ||
			{ echo "# nvme disconnect -n $NVMF_NQN failed"; return 1; }
	fi
	wait_for 30 nvmf_no_ctrl ||
		{ echo "# $NVMF_CTRL still there after nvme disconnect"; return 1; }
}

# nvmf_cleanup: host disconnected, target removed, nvme modules and brd
# unloaded. Returns non-zero when something would not go.
nvmf_cleanup() {
	local rc=0 m

	nvmf_disconnect >/dev/null || rc=1
	nvmf_target_down || rc=1
	for m in nvme_rdma nvme_fabrics nvmet_rdma nvmet brd; do
		if module_loaded "$m"; then
			modprobe -r "$m" || rc=1
		fi
	done
	return $rc
}

# nvmf_fio NAME RW BS SIZE RUNTIME JSON [FIO-ARG...]: fio on the first SIZE
# of NVMF_BDEV, direct libaio, queue depth 16, blocks of BS, crc32c in
# every block. A writing job reads back and checks every block it wrote;
# a reading one checks every block it reads (what a writing job of the
# same BS left there), in one pass over SIZE: fio ends a verifying read job
# there whatever its runtime (callers repeat it). RUNTIME 0: each block of
# SIZE written once, then all read back. RUNTIME non-zero (writes): a
# time-based run of RUNTIME seconds, every 64 blocks written read back
# (verify_backlog: fio's verification phase would never start). Returns
# fio's exit status; the report is in JSON.
nvmf_fio() {
	local name=$1 rw=$2 bs=$3 size=$4 runtime=$5 json=$6
	local -a args
	shift 6

	args=(--name="$name" --filename="$NVMF_BDEV" --ioengine=libaio --direct=1
	      --iodepth=16 --numjobs=1 --rw="$rw" --bs="$bs" --size="$size"
	      --verify=crc32c --do_verify=1 --verify_fatal=1 --verify_state_save=0
	      --output-format=json --output="$json")
	case $rw in
	*write*)
		[ "$runtime" -gt 0 ] &&
			args+=(--time_based --runtime="$runtime" --verify_backlog=64)
		;;
	esac
	timeout -k 10 "${NVMF_FIO_TIMEOUT:-120}" fio "${args[@]}" "$@"
}

# nvmf_fio_summary JSON...: "write_iops W write_kib_s W read_iops R
# read_kib_s R write_bytes B read_bytes B errors E" over fio's JSON reports
# (passes of one cell: bytes and I/Os over the summed runtimes). A write
# job's reads are its verification; with verify_backlog fio's runtime of
# those is meaningless, and their rate is left at 0. Fails on an
# unreadable report.
nvmf_fio_summary() {
	/usr/bin/python3 - "$@" <<'PY'
import json, sys
tot = {d: {"bytes": 0, "ios": 0, "ms": 0} for d in ("read", "write")}
err = 0
for path in sys.argv[1:]:
    text = open(path).read()
    # fio may print notes before the JSON object.
    for job in json.loads(text[text.index("{"):])["jobs"]:
        err += job.get("error", 0) + job.get("total_err", 0)
        backlog = "verify_backlog" in job.get("job options", {})
        for d in ("read", "write"):
            tot[d]["bytes"] += job[d]["io_bytes"]
            if d == "read" and backlog:
                continue
            tot[d]["ios"] += job[d]["total_ios"]
            tot[d]["ms"] += job[d]["runtime"]
def rate(d, key, div):
    ms = tot[d]["ms"]
    return tot[d][key] / div / (ms / 1000.0) if ms else 0
print("write_iops %.0f write_kib_s %.0f read_iops %.0f read_kib_s %.0f "
      "write_bytes %d read_bytes %d errors %d"
      % (rate("write", "ios", 1), rate("write", "bytes", 1024),
         rate("read", "ios", 1), rate("read", "bytes", 1024),
         tot["write"]["bytes"], tot["read"]["bytes"], err))
PY
}
