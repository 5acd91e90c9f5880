# SPDX-License-Identifier: GPL-2.0
# What the kernel being built against offers, probed from its headers
# (drv/compat.h turns each into a named helper). Included by the Kbuild
# files of sroce and of the selftests' kernel modules. Debian splits its
# headers in two trees; $(srctree) is the one with include/.
sroce_kinc := $(srctree)/include
ccflags-y += $(if $(wildcard $(sroce_kinc)/linux/unaligned.h),-DSROCE_HAVE_LINUX_UNALIGNED)
ccflags-y += $(shell grep -A1 'int (\*create_cq)' $(sroce_kinc)/rdma/ib_verbs.h | \
		     grep -q uverbs_attr_bundle && echo -DSROCE_HAVE_CREATE_CQ_ATTRS)
ccflags-y += $(shell grep -qs 'struct udp_table[[:space:]]*\*udp_table;' \
		     $(sroce_kinc)/net/netns/ipv4.h && echo -DSROCE_HAVE_NETNS_UDP_TABLE)
ccflags-y += $(shell grep -qs 'IB_WR_ATOMIC_WRITE' $(sroce_kinc)/rdma/ib_verbs.h && \
		     echo -DSROCE_HAVE_ATOMIC_WRITE)
ccflags-y += $(shell grep -qs 'IB_WR_FLUSH' $(sroce_kinc)/rdma/ib_verbs.h && \
		     echo -DSROCE_HAVE_FLUSH)
ccflags-y += $(if $(wildcard $(sroce_kinc)/net/gso.h),-DSROCE_HAVE_NET_GSO_H)
