#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck source-path=SCRIPTDIR
#
# NVMe over Fabrics on RDMA, the kernel's own RDMA users on both ends, over
# two RoCE devices on the two ends of a veth (roce_net.sh): the nvmet-rdma
# target listens on ${DRIVER}1's address and exports a 128 MiB brd ramdisk,
# the nvme-rdma host connects from ${DRIVER}0's address (nvme_lib.sh).
# Checked: the modules come from the guest kernel's tree; the target's
# configfs port listens on the device; discovery and connect over RDMA; the
# host's and the target's queue pairs live on the two devices; bytes
# written through the host land on the ramdisk and bytes put on the
# ramdisk are read through the host; fio randwrite at 4 KiB (data inline in
# the command's SEND) and 128 KiB (the target fetches it with RDMA READ),
# every block read back (RDMA WRITE) and checked with crc32c; no NVMe
# timeout, reset or reconnect logged, no recovery counter moved; then
# disconnect and target teardown return `rdma res` to what the devices
# held before, and the devices and the driver's module go away.
# Only a missing module or program (nvme-cli, fio) skips the test.
# SROCE_TEST_DRIVER=rxe runs the same against stock rdma_rxe.
dir=$(dirname "$0")
# shellcheck source=lib.sh
. "$dir/lib.sh"
# shellcheck source=roce_net.sh
. "$dir/roce_net.sh"
# shellcheck source=nvme_lib.sh
. "$dir/nvme_lib.sh"

LOG=/tmp/nvme
FIO_4K_SIZE=${SROCE_TEST_NVME_4K_SIZE:-16M}
FIO_128K_SIZE=${SROCE_TEST_NVME_128K_SIZE:-64M}
NTESTS=18

missing=$(nvmf_missing)
if [ -n "$missing" ]; then
	ktap_plan 1
	ktap_skip "NVMe over RDMA" "missing: $(echo "$missing" | paste -sd, -)"
	ktap_finish
fi

ktap_plan "$NTESTS"

# Everything after a failed step would fail for the same reason: the rest
# of the plan is reported failed with that reason, and the test ends.
abort_rest() {
	local why=$1

	while [ "$ktap_n" -lt "$NTESTS" ]; do
		ktap_not_ok "not run" "$why"
	done
	nvmf_cleanup
	roce_devs_down
	ktap_finish
}
# After roce_suite_devs_up's own failure line: the rest of the plan.
no_devices() {
	while [ "$ktap_n" -lt "$NTESTS" ]; do
		ktap_not_ok "not run" "no devices"
	done
}

# res_summary: the object counts of both devices (`rdma res show`), CQs
# left out: ib_core's shared CQ pool (ib_cq_pool_get, which nvme-rdma and
# nvmet-rdma take their CQs from) keeps its CQs on a device until the
# device is unregistered. Those are counted apart (res_busy_cqs).
res_summary() {
	rdma res show 2>/dev/null | grep -E " ($ROCE_DEV_A|$ROCE_DEV_B): " |
		sed 's/ cq [0-9]*//' | sort
}

# res_busy_cqs: how many CQs of the two devices some QP still uses.
res_busy_cqs() {
	rdma res show cq 2>/dev/null | grep -E "^dev ($ROCE_DEV_A|$ROCE_DEV_B) " |
		grep -vc " users 0 "
}

nvmf_cleanup >/dev/null 2>&1
roce_suite_devs_up no_devices
res_summary >$LOG.res.before
busy_before=$(res_busy_cqs)
ktap_info "before: $(paste -sd';' $LOG.res.before); CQs in use: $busy_before"
dmesg_mark

# 2-5: the kernel's modules.
for m in nvmet nvmet-rdma nvme-rdma; do
	ktap_check "$m loads from $(uname -r)'s modules" nvmf_module_load "$m"
done
ktap_check "brd ramdisk $NVMF_RAM of $NVMF_RAM_MIB MiB" nvmf_ram_up
module_loaded nvmet_rdma && module_loaded nvme_rdma && [ -b "$NVMF_RAM" ] ||
	abort_rest "modules or ramdisk missing"

# 6: the target's port, listening on the device of IP_B.
target_listening() {
	rdma res show cm_id 2>/dev/null |
		grep -E "^link $ROCE_DEV_B/1 .*state LISTEN .*src-addr $IP_B:$NVMF_TRSVCID( |$)" >/dev/null
}
if nvmf_target_up && wait_for 20 target_listening; then
	ktap_ok "nvmet port: rdma ipv4 $IP_B:$NVMF_TRSVCID listens on $ROCE_DEV_B"
else
	rdma res show cm_id | sed 's/^/# /'
	dmesg_since_mark | grep -i nvme | tail -n 5 | sed 's/^/# /'
	ktap_not_ok "nvmet port: rdma ipv4 $IP_B:$NVMF_TRSVCID listens on $ROCE_DEV_B"
	abort_rest "no target"
fi

# 7: discovery over RDMA (a controller of its own, on the same port).
if timeout 60 nvme discover -t rdma -a "$IP_B" -s "$NVMF_TRSVCID" -w "$IP_A" \
	>$LOG.discover 2>&1 && grep -q "subnqn: *$NVMF_NQN\$" $LOG.discover &&
   grep -q "trtype: *rdma" $LOG.discover; then
	ktap_ok "nvme discover -t rdma lists $NVMF_NQN"
else
	sed 's/^/# /' $LOG.discover | head -n 20
	ktap_not_ok "nvme discover -t rdma lists $NVMF_NQN"
fi

# 8: connect.
start=$(date +%s)
if nvmf_connect >$LOG.connect 2>&1 &&
   [ "$(cat "/sys/class/nvme/$NVMF_CTRL/transport")" = rdma ] &&
   grep -q "traddr=$IP_B,trsvcid=$NVMF_TRSVCID" "/sys/class/nvme/$NVMF_CTRL/address" &&
   [ "$(blockdev --getsize64 "$NVMF_BDEV")" -eq $((NVMF_RAM_MIB << 20)) ]; then
	ktap_info "$NVMF_CTRL ($(cat "/sys/class/nvme/$NVMF_CTRL/address")): $NVMF_BDEV," \
		"$(($(date +%s) - start)) s"
	ktap_ok "nvme connect -t rdma: live controller, $NVMF_RAM_MIB MiB namespace"
else
	sed 's/^/# /' $LOG.connect
	dmesg_since_mark | grep -iE 'nvme|rdma' | tail -n 10 | sed 's/^/# /'
	ktap_not_ok "nvme connect -t rdma: live controller, $NVMF_RAM_MIB MiB namespace"
	abort_rest "not connected"
fi
counters_snapshot $LOG.counters "$ROCE_DEV_A" "$ROCE_DEV_B"

# 9: the admin and I/O queues are RC QPs of the host on DEV_A and of the
# target on DEV_B (kernel QPs, so `rdma res` shows no pid for them).
rc_qps_on() {
	rdma res show qp link "$1/1" 2>/dev/null | grep -c " type RC "
}
qa=$(rc_qps_on "$ROCE_DEV_A")
qb=$(rc_qps_on "$ROCE_DEV_B")
nq=$(($(nproc) + 1))
ktap_info "RC QPs: $qa on $ROCE_DEV_A, $qb on $ROCE_DEV_B (admin + $(nproc) I/O queues expected)"
if [ "$qa" -ge "$nq" ] && [ "$qb" -ge "$nq" ]; then
	ktap_ok "host queues on $ROCE_DEV_A, target queues on $ROCE_DEV_B"
else
	rdma res show qp | sed 's/^/# /'
	ktap_not_ok "host queues on $ROCE_DEV_A, target queues on $ROCE_DEV_B" "$qa and $qb RC QPs"
fi

# 10: bytes both ways, compared against the ramdisk itself: 1 MiB written
# through the host at 7 MiB, 1 MiB written on the ramdisk at 9 MiB and read
# through the host.
dd if=/dev/urandom of=$LOG.pat1 bs=1M count=1 status=none
dd if=/dev/urandom of=$LOG.pat2 bs=1M count=1 status=none
both_ways() {
	dd if=$LOG.pat1 of="$NVMF_BDEV" bs=1M seek=7 oflag=direct conv=fsync status=none &&
	dd if="$NVMF_RAM" bs=1M skip=7 count=1 iflag=direct status=none | cmp - $LOG.pat1 &&
	dd if=$LOG.pat2 of="$NVMF_RAM" bs=1M seek=9 oflag=direct conv=fsync status=none &&
	dd if="$NVMF_BDEV" bs=1M skip=9 count=1 iflag=direct status=none | cmp - $LOG.pat2
}
ktap_check "1 MiB through the host is on the ramdisk, 1 MiB on the ramdisk reads through the host" \
	both_ways

# 11-12: fio, every block written read back and checked.
fio_run() {
	local bs=$1 size=$2 name="fio randwrite $1 $2 verify=crc32c" t0 rc sum
	local -a f

	t0=$(date +%s)
	nvmf_fio "nvme-$bs" randwrite "$bs" "$size" 0 "$LOG.fio-$bs.json" >$LOG.fio-$bs.out 2>&1
	rc=$?
	if ! sum=$(nvmf_fio_summary "$LOG.fio-$bs.json" 2>$LOG.fio-$bs.err); then
		sed 's/^/# /' $LOG.fio-$bs.out $LOG.fio-$bs.err | tail -n 20
		ktap_not_ok "$name" "fio exit $rc, no report"
		return
	fi
	read -r -a f <<<"$sum"
	# write_iops W write_kib_s W read_iops R read_kib_s R write_bytes B read_bytes B errors E
	ktap_info "$name: write ${f[1]} IOPS ${f[3]} KiB/s, verify read ${f[5]} IOPS ${f[7]} KiB/s," \
		"$(($(date +%s) - t0)) s"
	if [ "$rc" -eq 0 ] && [ "${f[13]}" -eq 0 ] &&
	   [ "${f[9]}" -eq "$(numfmt --from=iec "$size")" ] &&
	   [ "${f[11]}" -eq "${f[9]}" ]; then
		ktap_ok "$name"
	else
		sed 's/^/# /' $LOG.fio-$bs.out | grep -v '^# *$' | tail -n 20
		ktap_not_ok "$name" "fio exit $rc, ${f[13]} errors, wrote ${f[9]} read ${f[11]} bytes"
	fi
}
fio_run 4k "$FIO_4K_SIZE"
fio_run 128k "$FIO_128K_SIZE"

# 13: nothing went wrong on the NVMe side meanwhile.
nvme_trouble() {
	dmesg_since_mark | grep -iE 'nvme.*(timeout|reset|reconnect|error|failed)|nvmet.*(error|failed)'
}
if nvme_trouble >$LOG.trouble; then
	sed 's/^/# /' $LOG.trouble | head -n 20
	ktap_not_ok "no NVMe timeout, reset, reconnect or error in the kernel log"
else
	ktap_ok "no NVMe timeout, reset, reconnect or error in the kernel log"
fi

# 14: the veth loses nothing.
ktap_check "lossless veth: no retransmission, NAK, RNR or drop counted" \
	assert_no_recovery $LOG.counters

# 15: disconnect.
ctrl=$NVMF_CTRL bdev=$NVMF_BDEV
if nvmf_disconnect && [ ! -e "$bdev" ] && [ ! -e "/dev/$ctrl" ]; then
	ktap_ok "nvme disconnect: $ctrl and $bdev gone"
else
	ls -l /dev/nvme* 2>&1 | sed 's/^/# /'
	ktap_not_ok "nvme disconnect: $ctrl and $bdev gone"
fi

# 16: the target's configfs objects go, and nothing listens any more.
no_listener() {
	! rdma res show cm_id 2>/dev/null | grep -q "src-addr $IP_B:$NVMF_TRSVCID"
}
ktap_check "target teardown: port, namespace, subsystem removed, no listener" \
	eval 'nvmf_target_down && wait_for 20 no_listener'

# 17: every object the host and the target had on the devices released:
# the devices hold what they held before (their own GSI QP and such), and
# no CQ but those of before has a user (the GSI QPs' CQs: at least one,
# or the CQ count is broken).
res_back() {
	res_summary >$LOG.res.after
	cmp -s $LOG.res.before $LOG.res.after && [ "$busy_before" -ge 1 ] &&
		[ "$(res_busy_cqs)" -eq "$busy_before" ]
}
if wait_for 20 res_back; then
	ktap_ok "rdma res back to before on $ROCE_DEV_A and $ROCE_DEV_B (no QP, MR, PD, cm_id, busy CQ left)"
else
	sed 's/^/# after: /' $LOG.res.after
	rdma res show qp | sed 's/^/# /' | head -n 20
	rdma res show cq | sed 's/^/# /' | head -n 20
	ktap_not_ok "rdma res back to before on $ROCE_DEV_A and $ROCE_DEV_B (no QP, MR, PD, cm_id, busy CQ left)"
fi
rdma res show cq | grep -E "^dev ($ROCE_DEV_A|$ROCE_DEV_B) " | sed 's/^/# cq: /'

# 18: the NVMe modules, then the devices and the driver go.
drv_module=sroce
[ "$ROCE_DRIVER" = rxe ] && drv_module=rdma_rxe
devices_and_driver_go() {
	nvmf_cleanup || { echo "# nvme modules or brd would not unload"; return 1; }
	rdma link delete "$ROCE_DEV_A" && rdma link delete "$ROCE_DEV_B" ||
		{ echo "# rdma link delete failed"; return 1; }
	wait_for 20 rdma_dev_gone "$ROCE_DEV_A" && wait_for 20 rdma_dev_gone "$ROCE_DEV_B" ||
		{ echo "# devices still registered"; return 1; }
	modprobe -r "$drv_module" || { echo "# modprobe -r $drv_module failed"; return 1; }
}
ktap_check "nvme modules unload, $ROCE_DEV_A and $ROCE_DEV_B deleted, $drv_module unloads" \
	devices_and_driver_go

roce_devs_down
ktap_finish
