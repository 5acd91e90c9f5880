#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The Debian package installs sroce the way out-of-tree drivers are: `apt
# install ./sroce-dkms_*_all.deb` (made by tools/package on the host, found in
# $SROCE_TEST_DEB or out/package/) builds the module with DKMS for the guest's
# kernel, `rdma link add` then loads that module by itself, it carries
# verified traffic, and `apt remove` takes it away again. Runs on either
# kernel; the guest's overlay root makes dpkg and /lib/modules writable.
#
# DKMS compiles the module in the guest: 6 to 9 minutes under TCG, so this
# runs in make check-all (SROCE_TEST_TIMEOUT=1800), not in tools/check.
dir=$(dirname "$0")
. "$dir/lib.sh"
. "$dir/roce_net.sh"

kver=$(uname -r)
# DKMS compresses the module as the kernel's own are (6.12: .ko.xz)
dkms_dir=/lib/modules/$kver/updates/dkms
dkms_ko() { ls "$dkms_dir"/sroce.ko* 2>/dev/null | head -n 1; }
deb=${SROCE_TEST_DEB:-}
if [ -z "$deb" ]; then
	deb=$(ls -1 "${SROCE_REPO:-$dir/..}"/out/package/sroce-dkms_*_all.deb 2>/dev/null | tail -n 1)
fi

ktap_plan 7
sroce_reset
rmmod sroce 2>/dev/null
veth_setup

# The runner staged its own build in extra/, version "git", which DKMS
# takes for newer than the package's and will not install over ("Module
# version ... is not newer than what is already found"). A host that never
# had sroce has none: it is set aside for the test and put back after.
runner_ko=/lib/modules/$kver/extra/sroce.ko
if [ -e "$runner_ko" ]; then
	mv "$runner_ko" /tmp/runner-sroce.ko && depmod "$kver"
fi

if [ ! -s "$deb" ]; then
	ktap_not_ok "apt install of the package" "no sroce-dkms_*_all.deb: run tools/package on the host first"
	ktap_finish
fi
if [ ! -d "/lib/modules/$kver/build/" ]; then
	ktap_not_ok "apt install of the package" "/lib/modules/$kver/build is missing: no headers for the guest kernel"
	ktap_finish
fi
version=$(dpkg-deb -f "$deb" Version)
echo "# package: $deb ($version); kernel $kver"

# dkms builds in the guest: a few minutes under TCG
t0=$(date +%s)
if DEBIAN_FRONTEND=noninteractive timeout 1200 apt-get install -y \
	-o Dpkg::Use-Pty=0 "$deb" >/tmp/dkms-install.log 2>&1; then
	ktap_ok "apt install of the package ($(($(date +%s) - t0)) s)"
else
	ktap_not_ok "apt install of the package" "apt-get exit $?"
	sed 's/^/# /' /tmp/dkms-install.log
	find /var/lib/dkms/sroce -name make.log -exec sed 's/^/# make.log: /' {} + 2>/dev/null
	ktap_finish
fi
sed -n '/dkms\|sroce\|Building\|Installing/p' /tmp/dkms-install.log | sed 's/^/# /'

built() {
	local ko
	ko=$(dkms_ko)
	dkms status sroce | sed 's/^/# /'
	echo "# $ko: version $(modinfo -F version "$ko"), vermagic $(modinfo -F vermagic "$ko")"
	dkms status sroce -k "$kver" | grep -q ': installed' &&
		[ -n "$ko" ] &&
		[ "$(modinfo -F vermagic "$ko" | cut -d' ' -f1)" = "$kver" ] &&
		[ "$(modinfo -F version "$ko")" = "$version" ] &&
		[ "$(modinfo -n sroce)" = "$ko" ]
}
ktap_check "dkms built and installed sroce.ko for $kver, and modprobe finds it" built

autoload() {
	! module_loaded sroce || return 1
	rdma link add sroce0 type sroce netdev "$VETH_A" &&
		rdma link add sroce1 type sroce netdev "$VETH_B" &&
		module_loaded sroce &&
		[ "$(cat /sys/module/sroce/version)" = "$version" ]
}
ktap_check "rdma link add loads the DKMS module by itself" autoload

xfer() {
	timeout 120 "$dir/verify_xfer" sroce0 sroce1 4 >/tmp/dkms-xfer.log 2>&1
	local rc=$?
	sed 's/^/# /' /tmp/dkms-xfer.log
	[ "$rc" -eq 0 ] && grep -q '^1\.\.17$' /tmp/dkms-xfer.log &&
		[ "$(grep -c '^ok ' /tmp/dkms-xfer.log)" -eq 17 ]
}
roce_routes_up || echo "# roce_routes_up failed"
roce_dev_wait sroce0 "$IP_A" "$IP6_A" && roce_dev_wait sroce1 "$IP_B" "$IP6_B" ||
	echo "# no RoCE v2 GIDs"
ktap_check "verify_xfer over the DKMS module: SEND and RDMA WRITE both ways, every byte checked" xfer

rdma_links_clear
ktap_check "the DKMS module unloads" rmmod sroce

removed() {
	DEBIAN_FRONTEND=noninteractive apt-get remove -y -o Dpkg::Use-Pty=0 sroce-dkms \
		>/tmp/dkms-remove.log 2>&1 || { sed 's/^/# /' /tmp/dkms-remove.log; return 1; }
	[ -z "$(dkms_ko)" ] && [ -z "$(dkms status sroce)" ] &&
		! dpkg -s sroce-dkms >/dev/null 2>&1
}
ktap_check "apt remove takes the module and the DKMS tree away" removed

# what the runner staged is still there for the tests after this one
if [ -e /tmp/runner-sroce.ko ]; then
	mv /tmp/runner-sroce.ko "$runner_ko" && depmod "$kver"
fi
ktap_check "modprobe finds the runner's sroce.ko again" \
	sh -c "modinfo -n sroce | grep -qv /updates/dkms/ && modprobe sroce"

roce_routes_down
veth_teardown
ktap_finish
