# SPDX-License-Identifier: GPL-2.0
#
# Builds sroce.ko against Debian bookworm's 6.1 headers: the newest installed
# /usr/src/linux-headers-6.1.*-amd64 unless KDIR= says otherwise (6.12:
# KDIR=/usr/src/linux-headers-6.12.*-amd64). Never the running kernel.
# `make install` installs the module for KDIR's kernel where modprobe finds it;
# dkms.conf and tools/package do the same for every kernel, as a .deb.

KDIR ?= $(shell ls -d /usr/src/linux-headers-6.1.*-amd64 2>/dev/null | sort -V | tail -n 1)

ifeq ($(KDIR),)
$(error no /usr/src/linux-headers-6.1.*-amd64; run tools/setup or pass KDIR=)
endif

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean

# into /lib/modules/<KDIR's kernel>/updates, then the module index is rebuilt
KVER = $(shell cat $(KDIR)/include/config/kernel.release)
install: modules
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_DIR=updates modules_install
	depmod -a $(KVER)

package:
	tools/package

check:
	tools/check

check-debug:
	tools/check-debug

demo:
	tools/demo

# Everything (tools/check-all): tools/check, the whole suite under the
# debug kernel, and the whole lossy matrix on sroce and on stock rxe.
check-all: modules
	tools/check-all

# sroce against stock rdma_rxe (Documentation/benchmark.rst); BENCH= passes
# options, e.g. make bench BENCH="--rounds 5". bench-short is the CI mode.
bench:
	tools/bench $(BENCH)

bench-short:
	tools/bench --short $(BENCH)

.PHONY: all modules clean install package check check-all check-debug demo bench bench-short
