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

# Long tests outside tools/check's budget, in one guest: RC over the whole
# netem matrix (selftests/lossy.sh). LOSSY_DRIVER=rxe runs it on stock rxe.
LOSSY_DRIVER ?= sroce

check-all: modules
	$(MAKE) -C selftests KDIR=$(KDIR)
	SROCE_TEST_LOSSY_FULL=1 SROCE_TEST_TIMEOUT=3000 \
	SROCE_TEST_DRIVER=$(LOSSY_DRIVER) \
		tools/vm-run --timeout 3600 --out out/check-all-$(LOSSY_DRIVER) -- \
		selftests/run_all.sh lossy.sh

# sroce against stock rdma_rxe (Documentation/benchmark.rst); BENCH= passes
# options, e.g. make bench BENCH="--rounds 5". bench-short is the CI mode.
bench:
	tools/bench $(BENCH)

bench-short:
	tools/bench --short $(BENCH)

.PHONY: all modules clean check check-all check-debug demo bench bench-short
