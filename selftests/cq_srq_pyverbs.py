#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
#
# CQs and SRQs through pyverbs (rdma-core's Python bindings over the same
# libibverbs and rxe provider): create, resize, notify, SRQ create, modify
# and query, and refused sizes, on a sroce device of its own.
import errno
import subprocess
import sys

from pyverbs.cq import CQ, CompChannel
from pyverbs.device import Context
from pyverbs.pd import PD
from pyverbs.pyverbs_error import PyverbsRDMAError
from pyverbs.srq import SRQ, SrqAttr, SrqInitAttr
import pyverbs.enums as e

DEV = "sroce_py0"
VETH = "vethpy0"
PEER = "vethpy1"

results = []


def ktap(ok, name):
    results.append(ok)
    print(f"{'' if ok else 'not '}ok {len(results)} {name}", flush=True)


def sh(cmd):
    return subprocess.run(cmd, shell=True).returncode


def remove():
    sh(f"rdma link delete {DEV} 2>/dev/null; ip link del {VETH} 2>/dev/null")


def refused(fn, want):
    try:
        fn()
    except PyverbsRDMAError as ex:
        return ex.error_code == want
    return False


def accepted(fn):
    try:
        fn()
    except PyverbsRDMAError as ex:
        print(f"# {ex}", flush=True)
        return False
    return True


def main():
    print("TAP version 13\n1..12", flush=True)
    remove()
    if sh(f"modprobe sroce && ip link add {VETH} type veth peer name {PEER}"
          f" && ip link set {VETH} up && ip link set {PEER} up"
          f" && rdma link add {DEV} type sroce netdev {VETH}"):
        ktap(False, "setup")
        return 1

    with Context(name=DEV) as ctx:
        attr = ctx.query_device()
        ktap(attr.max_cqe == 32767 and attr.max_srq_wr == 16383,
             f"query_device: max_cqe {attr.max_cqe}, max_srq_wr {attr.max_srq_wr}")

        ch = CompChannel(ctx)
        cq = CQ(ctx, 100, None, ch, 0)
        ktap(cq.cqe == 127 and cq.poll(4) == (0, []),
             f"CQ of 100 on a channel: cqe {cq.cqe}, empty")
        ktap(accepted(lambda: cq.req_notify(False)) and
             accepted(lambda: cq.req_notify(True)) and
             cq.poll(1) == (0, []),
             "req_notify next and solicited accepted, CQ still empty")
        cq.resize(1000)
        ktap(cq.cqe == 1023, f"resize to 1000: cqe {cq.cqe}")
        cq.resize(3)
        ktap(cq.cqe == 3 and cq.poll(1) == (0, []),
             f"resize to 3: cqe {cq.cqe}, still empty")
        ktap(refused(lambda: cq.resize(attr.max_cqe + 1), errno.EINVAL),
             "resize past max_cqe: EINVAL")
        ktap(refused(lambda: CQ(ctx, 0), errno.EINVAL), "CQ of 0: EINVAL")
        cq.close()
        ch.close()

        with PD(ctx) as pd:
            srq = SRQ(pd, SrqInitAttr(SrqAttr(max_wr=50, max_sge=3)))
            q = srq.query()
            ktap(q.max_wr == 63 and q.max_sge == 3 and q.srq_limit == 0,
                 f"SRQ 50x3: max_wr {q.max_wr} max_sge {q.max_sge} limit {q.srq_limit}")
            srq.modify(SrqAttr(max_wr=200, srq_limit=17),
                       e.IBV_SRQ_MAX_WR | e.IBV_SRQ_LIMIT)
            q = srq.query()
            ktap(q.max_wr == 255 and q.srq_limit == 17,
                 f"modify to 200 and limit 17: {q.max_wr} {q.srq_limit}")
            ktap(refused(lambda: srq.modify(SrqAttr(srq_limit=1000),
                                            e.IBV_SRQ_LIMIT), errno.EINVAL),
                 "limit above max_wr: EINVAL")
            srq.close()
            ktap(refused(lambda: SRQ(pd, SrqInitAttr(SrqAttr(
                max_wr=attr.max_srq_wr + 1, max_sge=1))), errno.EINVAL),
                "SRQ past max_srq_wr: EINVAL")
            ktap(refused(lambda: SRQ(pd, SrqInitAttr(SrqAttr(
                max_wr=4, max_sge=attr.max_srq_sge + 1))), errno.EINVAL),
                "SRQ past max_srq_sge: EINVAL")
    remove()
    return 0


if __name__ == "__main__":
    try:
        rc = main()
    except Exception as ex:  # any exception is a failed test, not a crash
        ktap(False, f"exception: {ex!r}")
        rc = 1
    remove()
    fails = results.count(False)
    print(f"# totals: pass:{len(results) - fails} fail:{fails} skip:0")
    sys.exit(1 if rc or fails or len(results) != 12 else 0)
