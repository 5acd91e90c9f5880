# SPDX-License-Identifier: GPL-2.0
#
# Builds sroce.ko against Debian bookworm's 6.1 headers: the newest installed
# /usr/src/linux-headers-6.1.*-amd64 unless KDIR= says otherwise. Never the
# running kernel.

KDIR ?= $(shell ls -d /usr/src/linux-headers-6.1.*-amd64 2>/dev/null | sort -V | tail -n 1)

ifeq ($(KDIR),)
$(error no /usr/src/linux-headers-6.1.*-amd64; run tools/setup or pass KDIR=)
endif

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean

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

.PHONY: all modules clean check check-all check-debug demo bench bench-short
