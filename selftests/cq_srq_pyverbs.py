#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
#
# CQs and SRQs through pyverbs (rdma-core's Python bindings over the same
# libibverbs and rxe provider): create, resize, SRQ create, modify and
# query, and refused sizes, on a sroce device of its own; and completion
# events driven by real completions: a UD QP sends to itself over the
# device's IPv4 RoCE v2 GID, and the completion channel's fd (found in
# /proc/self/fd: pyverbs does not expose it) must become readable within
# a timeout exactly when the CQ was armed for that completion, with
# get_cq_event returning this CQ.
import errno
import os
import select
import subprocess
import sys
import time

from pyverbs.addr import AH, AHAttr, GlobalRoute
from pyverbs.cq import CQ, CompChannel
from pyverbs.device import Context
from pyverbs.mr import MR
from pyverbs.pd import PD
from pyverbs.pyverbs_error import PyverbsRDMAError
from pyverbs.qp import QP, QPAttr, QPCap, QPInitAttr
from pyverbs.srq import SRQ, SrqAttr, SrqInitAttr
from pyverbs.wr import SGE, RecvWR, SendWR
import pyverbs.enums as e

DEV = "sroce_py0"
VETH = "vethpy0"
PEER = "vethpy1"
IP = "198.18.9.1"
PLAN = 15
QKEY = 0x1234567
GRH = 40            # a UD receive buffer starts with the GRH (IPv4: in its last 20 B)
MSG = 64
RBUF = 4096         # receive buffer offset in the MR
EVENT_WAIT = 10     # s an armed CQ's event may take (TCG)
QUIET = 1.5         # s with no event that count as "none"

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


def roce_v2_gid_index(ip, wait=20):
    """Index of DEV's RoCE v2 GID of IPv4 address ip (port 1), or None."""
    want = "0000:0000:0000:0000:0000:ffff:%02x%02x:%02x%02x" % tuple(
        int(o) for o in ip.split("."))
    base = f"/sys/class/infiniband/{DEV}/ports/1"
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        for i in os.listdir(f"{base}/gids"):
            try:
                with open(f"{base}/gids/{i}") as f:
                    if f.read().strip() != want:
                        continue
                with open(f"{base}/gid_attrs/types/{i}") as f:
                    if f.read().strip() == "RoCE v2":
                        return int(i)
            except OSError:
                continue
        time.sleep(0.1)
    return None


def event_fds():
    """(fd, link) of every completion-event fd this process has open."""
    fds = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            link = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:     # the fd listdir itself used, closed by now
            continue
        if link == "anon_inode:[infinibandevent]":
            fds.add(int(fd))
    return fds


def new_event_fd(make):
    """make() and the one completion-event fd it opened (None if not
    exactly one)."""
    before = event_fds()
    obj = make()
    new = event_fds() - before
    return obj, (new.pop() if len(new) == 1 else None)


def readable(fd, secs):
    return bool(select.select([fd], [], [], secs)[0])


class Loop:
    """A UD QP on its own CQ and channel, sending to itself."""

    def __init__(self, ctx, pd, gid_index):
        self.ch, self.fd = new_event_fd(lambda: CompChannel(ctx))
        self.cq = CQ(ctx, 16, None, self.ch, 0)
        cap = QPCap(max_send_wr=4, max_recv_wr=4, max_send_sge=1,
                    max_recv_sge=1)
        attr = QPAttr()
        attr.port_num = 1
        attr.qkey = QKEY
        attr.pkey_index = 0
        self.qp = QP(pd, QPInitAttr(qp_type=e.IBV_QPT_UD, scq=self.cq,
                                    rcq=self.cq, cap=cap), attr)
        self.mr = MR(pd, 2 * RBUF, e.IBV_ACCESS_LOCAL_WRITE)
        gr = GlobalRoute(dgid=ctx.query_gid(1, gid_index),
                         sgid_index=gid_index)
        self.ah = AH(pd, attr=AHAttr(gr=gr, is_global=1, port_num=1))
        self.n = 0

    def exchange(self, solicited=False):
        """One SEND to itself; True when both completions came, the
        receive with the payload. Prints what went wrong."""
        self.n += 1
        data = bytes([self.n & 0xff]) * MSG
        self.mr.write(data, MSG, 0)
        self.mr.write(bytes(MSG + GRH), MSG + GRH, RBUF)
        self.qp.post_recv(RecvWR(wr_id=2, num_sge=1, sg=[
            SGE(self.mr.buf + RBUF, GRH + MSG, self.mr.lkey)]))
        flags = e.IBV_SEND_SIGNALED
        if solicited:
            flags |= e.IBV_SEND_SOLICITED
        wr = SendWR(wr_id=1, opcode=e.IBV_WR_SEND, num_sge=1,
                    sg=[SGE(self.mr.buf, MSG, self.mr.lkey)], send_flags=flags)
        wr.set_wr_ud(self.ah, self.qp.qp_num, QKEY)
        self.qp.post_send(wr)
        wcs = []
        deadline = time.monotonic() + EVENT_WAIT
        while len(wcs) < 2 and time.monotonic() < deadline:
            _, got = self.cq.poll(2 - len(wcs))
            wcs += got
            if not got:
                time.sleep(0.01)
        ok = len(wcs) == 2 and all(w.status == e.IBV_WC_SUCCESS for w in wcs)
        recv = [w for w in wcs if w.wr_id == 2]
        ok = ok and len(recv) == 1 and recv[0].byte_len == GRH + MSG and \
            self.mr.read(MSG, RBUF + GRH) == data
        if not ok:
            print(f"# exchange {self.n}: completions " + ", ".join(
                f"wr_id {w.wr_id} status {w.status} len {w.byte_len}"
                for w in wcs), flush=True)
        return ok

    def event(self):
        """The armed CQ's event: fd readable in time, get_cq_event returns
        this CQ (pyverbs raises on another), acknowledged."""
        if not readable(self.fd, EVENT_WAIT):
            print(f"# no event within {EVENT_WAIT} s", flush=True)
            return False
        self.ch.get_cq_event(self.cq)
        self.cq.ack_events(1)
        return True

    def quiet(self):
        return not readable(self.fd, QUIET)

    def close(self):
        for o in (self.ah, self.qp, self.mr, self.cq, self.ch):
            o.close()


def events(ctx, pd, gid_index):
    lp = Loop(ctx, pd, gid_index)
    if lp.fd is None:
        print("# no new [infinibandevent] fd after CompChannel()", flush=True)
        for name in ("CQ not armed", "req_notify(next)", "one event per arming",
                     "req_notify(solicited)"):
            ktap(False, f"{name}: no completion channel fd")
        lp.close()
        return
    ktap(lp.exchange() and lp.quiet(),
         "CQ not armed: a real completion (UD SEND to itself, payload "
         f"checked) raises no channel event within {QUIET} s")
    lp.cq.req_notify(False)
    ok = lp.exchange()
    ktap(ok and lp.event(),
         "req_notify(next): a real completion delivers an event, "
         f"get_cq_event returns this CQ within {EVENT_WAIT} s")
    ktap(lp.exchange() and lp.quiet(),
         "one event per arming: the next completion, not re-armed, "
         "raises none")
    lp.cq.req_notify(True)
    ok = lp.exchange() and lp.quiet()
    ktap(ok and lp.exchange(solicited=True) and lp.event(),
         "req_notify(solicited): no event for an unsolicited SEND, "
         "one for a solicited SEND")
    lp.close()


def main():
    print(f"TAP version 13\n1..{PLAN}", flush=True)
    remove()
    if sh(f"modprobe sroce && ip link add {VETH} type veth peer name {PEER}"
          f" && ip addr add {IP}/24 dev {VETH}"
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

            gid_index = roce_v2_gid_index(IP)
            if gid_index is None:
                ktap(False, f"{DEV} has a RoCE v2 GID for {IP}")
                return 1
            print(f"# {DEV}: RoCE v2 GID {gid_index} for {IP}", flush=True)
            events(ctx, pd, gid_index)
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
    sys.exit(1 if rc or fails or len(results) != PLAN else 0)
