"""A pvAccess server for the forwarder's tests and benchmark: p4p (pvxs) on 127.0.0.1 only.

Usage: p4p_server.py TCP_PORT UDP_PORT PREFIX [BENCH_SCALARS]

Serves (names after PREFIX): one NTScalar per numeric type `<T>` for T in b B h H i I l L f d (e.g. `SCALAR_d`),
`STR` (string NTScalar), `ARRAY` (NTScalarArray of 2,048 doubles), `ENUM` (NTEnum), `TABLE` (NTTable with columns
`value` double and `timestamp` long), and `BENCH0..N-1` (double NTScalars) when BENCH_SCALARS is given.
Prints `ready` once serving, then reads one JSON command per line on stdin and answers `ok` or `error ...`:
  {"op": "post", "name": N, "value": V, "seconds": S, "nanoseconds": NS, "severity": SEV, "status": ST,
   "message": M}                        alarm and time fields optional (time defaults to now)
  {"op": "add", "name": N, "type": "d"}  serve a new NTScalar (a PV that appears late)
  {"op": "storm", "seconds": S, "scalars": N, "array": true|false, "hz": R}
                                         post to BENCH0..N-1 (or ARRAY) for S seconds, as fast as possible or
                                         at most R posts/s, and answer `ok <posts>`
"""

import json
import sys
import time

from p4p.nt import NTEnum, NTScalar, NTTable
from p4p.server import Server, StaticProvider
from p4p.server.thread import SharedPV

TYPES = "bBhHiIlLfd"


def main():
    tcp, udp, prefix = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    bench = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    provider = StaticProvider("test")
    pvs = {}

    def add(name, nt, initial):
        pv = SharedPV(nt=nt, initial=initial)
        pvs[name] = (pv, nt)
        provider.add(prefix + name, pv)

    for t in TYPES:
        add("SCALAR_" + t, NTScalar(t, display=True), 0)
    add("STR", NTScalar("s"), "")
    add("ARRAY", NTScalar("ad"), [0.0] * 2048)
    add("ENUM", NTEnum(), {"index": 0, "choices": ["ZERO", "ONE", "TWO"]})
    table = NTTable(columns=[("value", "d"), ("timestamp", "l")])
    add("TABLE", table, [])
    for i in range(bench):
        add("BENCH%d" % i, NTScalar("d"), 0.0)

    conf = {
        "EPICS_PVAS_INTF_ADDR_LIST": "127.0.0.1",
        "EPICS_PVAS_BEACON_ADDR_LIST": "127.0.0.1",
        "EPICS_PVAS_AUTO_BEACON_ADDR_LIST": "NO",
        "EPICS_PVAS_SERVER_PORT": str(tcp),
        "EPICS_PVAS_BROADCAST_PORT": str(udp),
    }
    with Server(providers=[provider], conf=conf, useenv=False):
        print("ready", flush=True)
        for line in sys.stdin:
            try:
                print(command(json.loads(line), pvs, add), flush=True)
            except Exception as error:  # report, keep serving
                print("error %s" % str(error).replace("\n", " "), flush=True)


def command(c, pvs, add):
    op = c["op"]
    if op == "add":
        add(c["name"], NTScalar(c.get("type", "d")), 0)
        return "ok"
    if op == "storm":
        return storm(c, pvs)
    pv, nt = pvs[c["name"]]
    value = c["value"]
    if isinstance(nt, NTTable):
        value = [{"value": v, "timestamp": t} for v, t in zip(value["value"], value["timestamp"])]
    elif isinstance(nt, NTEnum):
        value = {"index": value, "choices": ["ZERO", "ONE", "TWO"]}
    seconds = c.get("seconds")
    stamp = (seconds, c.get("nanoseconds", 0)) if seconds is not None else time.time()
    v = nt.wrap(value, timestamp=stamp)
    if "severity" in c:
        v["alarm.severity"] = c["severity"]
        v["alarm.status"] = c.get("status", 0)
        v["alarm.message"] = c.get("message", "")
    pv.post(v)
    return "ok"


def storm(c, pvs):
    end = time.time() + c["seconds"]
    posts = 0
    names = ["ARRAY"] if c.get("array") else ["BENCH%d" % i for i in range(c["scalars"])]
    targets = [pvs[n] for n in names]
    array = [float(i) for i in range(2048)]
    gap = 1.0 / c["hz"] if c.get("hz") else 0.0
    due = time.time()
    while time.time() < end:
        for pv, nt in targets:
            if gap:
                while time.time() < due:
                    pass
                due += gap
            pv.post(nt.wrap(array if c.get("array") else float(posts), timestamp=time.time()))
            posts += 1
    return "ok %d" % posts


if __name__ == "__main__":
    main()
