#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# sroce's own attributes in resource dumps: the -dd driver attributes and
# the raw (-r) snapshots of QPs, CQs and MRs agree with what core reports.
. "$(dirname "$0")/lib.sh"

bin=$(dirname "$0")

# dd_has OBJ PATTERN: `rdma -dd res show OBJ` works and shows the holder's
# OBJ with PATTERN.
dd_has() {
	local out
	out=$(rdma -dd res show "$1") || { echo "# rdma -dd res show $1 failed"; return 1; }
	echo "$out" | grep "comm hold" | grep -q -- "$2"
}

# No QP of the holder in a QP dump that works and lists sroce0's own QP1
# (the MAD layer's), so that an empty or failed dump cannot pass.
no_holder_qps() {
	local out
	out=$(rdma res show qp) || return 1
	echo "$out" | grep -q "link sroce0/1 lqpn 1 " || return 1
	! echo "$out" | grep -q "comm hold"
}

# check_raw OBJ PYTHON-EXPR: EXPR over `rdma -j -r res show OBJ` (raw) and
# `rdma -j res show OBJ` (plain), both lists in the same order.
#
# QPs are paired by QPN instead: `rdma res show qp` runs one dump for the
# device (port 0: every QP) and one per port (the QPs bound to it), and only
# the plain printer drops the device dump's entries that carry a port (the
# raw blob has no port attribute). So a QP bound to a port, such as the MAD
# layer's QP1, is listed once in the plain dump but twice, identically, in
# the raw one; a QP in RESET (no port) once in both.
check_raw() {
	local raw plain
	raw=$(rdma -j -r res show "$1") && plain=$(rdma -j res show "$1") ||
		{ echo "# rdma res show $1 failed"; return 1; }
	/usr/bin/python3 - "$2" "$raw" "$plain" "$1" <<'PY'
import json, struct, sys
expr, raw, plain, obj = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3]), sys.argv[4]
raw = [bytes(e["data"]) for e in raw if e.get("ifname") == "sroce0"]
plain = [e for e in plain if e.get("ifname") == "sroce0"]
print("# %d raw entries, %d plain, %s" % (len(raw), len(plain), raw[0][:16].hex() if raw else "none"))
if obj != "qp":
    ok = len(raw) == len(plain) > 0 and all(eval(expr) for r, p in zip(raw, plain))
    sys.exit(0 if ok else 1)
by_qpn, seen, ok = {}, {}, len(plain) > 0
for r in raw:
    q = struct.unpack_from("<I", r, 4)[0]
    seen[q] = seen.get(q, 0) + 1
    if by_qpn.setdefault(q, r) != r:
        print("# QPN %d: two different raw entries" % q)
        ok = False
want = {p["lqpn"]: 1 + ("port" in p) for p in plain}
if seen != want:
    print("# raw QPNs (count) %s, plain lqpns (expected count) %s" % (sorted(seen.items()), sorted(want.items())))
    ok = False
for p in plain:
    r = by_qpn.get(p["lqpn"])
    if r is None or not eval(expr):
        print("# QP %d: raw %s, plain %s" % (p["lqpn"], r.hex() if r else "none", p))
        ok = False
sys.exit(0 if ok else 1)
PY
}

ktap_plan 5
sroce_reset
veth_setup
rdma link add sroce0 type sroce netdev "$VETH_A"
"$bin/hold" -d sroce0 -n 3 -k >/tmp/hold.log 2>&1 &
holder=$!
wait_for 60 grep -q "hold: ready" /tmp/hold.log ||
	echo "# the holder did not get ready: $(cat /tmp/hold.log)"

if dd_has qp "drv_sq_depth 31 " && dd_has cq "drv_" &&
   dd_has mr "drv_kind user"; then
	ktap_ok "-dd shows sroce's QP, CQ and MR attributes"
else
	ktap_not_ok "-dd shows sroce's QP, CQ and MR attributes"
fi
# raw QP: version 1, then type, state; the QPN at offset 4. Paired by QPN
# (see check_raw): the holder's 3 QPs in RESET and the MAD layer's QP1.
qp_types='{"GSI": 1, "RC": 2, "UC": 3, "UD": 4}'
qp_states='{"RESET": 0, "INIT": 1, "RTR": 2, "RTS": 3, "SQD": 4, "SQE": 5, "ERR": 6}'
ktap_check "raw QPs: version 1, QPN matches lqpn, type and state match" \
	check_raw qp \
	"r[0] == 1 and struct.unpack_from('<I', r, 4)[0] == p['lqpn'] and r[1] == ${qp_types}[p['type']] and r[2] == ${qp_states}[p['state']]"
# raw CQ: version 1; depth at offset 4 matches the CQ's cqe
ktap_check "raw CQs: version 1, depth matches cqe" check_raw cq \
	'r[0] == 1 and struct.unpack_from("<I", r, 4)[0] == p["cqe"]'
# raw MR: version 1, user kind, lkey at 4, length 4096 at 24
ktap_check "raw MRs: version 1, lkey and length match" check_raw mr \
	'r[0] == 1 and struct.unpack_from("<I", r, 4)[0] == int(p["lkey"], 16) and struct.unpack_from("<Q", r, 24)[0] == 4096'

kill -9 "$holder"
wait "$holder" 2>/dev/null
ktap_check "no sroce QPs left after the holder died" \
	wait_for 60 no_holder_qps
sroce_reset
ktap_finish
