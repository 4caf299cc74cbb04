"""A real EPICS IOC (pythonSoftIOC: EPICS base records in-process) for nxflow's forwarder tests and benchmark.

Records follow the ESS forwarder system test (SIMPLE:DOUBLE, DOUBLE3 with alarm limits, LONG, ENUM, STR, waveforms),
plus CHOPPER (tdct offsets) and, with --scalars N, N plain doubles BENCH:0..N-1.

Commands on stdin, one per line, each answered by "ok" or "error <why>" on stdout:
  set NAME JSON      set a record's value (JSON number, string or list)
  stamp NAME JSON S  set an input record's value with the EPICS timestamp S (Unix seconds, may be fractional)
  storm SECONDS      update every BENCH scalar as fast as possible for SECONDS; answers "ok <updates>"
  wave SECONDS HZ    update BIGARRAY (2048 doubles) at HZ for SECONDS; answers "ok <updates>"
Prints "ready" once the IOC serves Channel Access; exits when stdin closes. Serves only what EPICS_CAS_INTF_ADDR_LIST allows.
"""
import argparse
import json
import sys
import time

from softioc import asyncio_dispatcher, builder, softioc

parser = argparse.ArgumentParser()
parser.add_argument("--prefix", default="SIMPLE:")
parser.add_argument("--scalars", type=int, default=0)
parser.add_argument("--minimal", action="store_true", help="only DOUBLE (for a late-appearing PV)")
args = parser.parse_args()

builder.SetDeviceName(args.prefix.rstrip(":"))
records = {}


def add(name, record):
    records[name] = record


add("DOUBLE", builder.aOut("DOUBLE", initial_value=0.0, PREC=3))
if not args.minimal:
    add("DOUBLE2", builder.aOut("DOUBLE2", initial_value=0.0))
    add("DOUBLE3", builder.aOut("DOUBLE3", initial_value=0.0, HIHI=20, HHSV="MAJOR", HIGH=15, HSV="MINOR",
                                LOW=10, LSV="MINOR", LOLO=5, LLSV="MAJOR"))
    add("LONG", builder.longOut("LONG", initial_value=0))
    add("BOOL", builder.boolOut("BOOL", "OFF", "ON", initial_value=0))
    add("ENUM", builder.mbbOut("ENUM", "INIT", "START", "STOP", initial_value=0))
    add("STR", builder.stringOut("STR", initial_value="hello"))
    add("DOUBLEARRAY", builder.WaveformOut("DOUBLEARRAY", [0.0] * 8))
    add("FLOATARRAY", builder.WaveformOut("FLOATARRAY", length=8, FTVL="FLOAT", initial_value=[0.0] * 8))
    add("LONGARRAY", builder.WaveformOut("LONGARRAY", length=8, FTVL="LONG", initial_value=[0] * 8))
    add("SHORTARRAY", builder.WaveformOut("SHORTARRAY", length=8, FTVL="SHORT", initial_value=[0] * 8))
    add("CHARARRAY", builder.WaveformOut("CHARARRAY", length=8, FTVL="CHAR", initial_value=[0] * 8))
    add("CHOPPER", builder.WaveformOut("CHOPPER", length=64, FTVL="LONG", initial_value=[]))
    add("STAMPED", builder.aIn("STAMPED", initial_value=0.0, TSE=-2))
    add("BIGARRAY", builder.WaveformOut("BIGARRAY", length=2048, FTVL="DOUBLE", initial_value=[0.0] * 2048))
bench = [builder.aOut(f"BENCH{i}", initial_value=0.0) for i in range(args.scalars)]

builder.LoadDatabase()
softioc.iocInit(asyncio_dispatcher.AsyncioDispatcher())
print("ready", flush=True)


def storm(seconds):
    n = 0
    end = time.time() + seconds
    v = 0.0
    while time.time() < end:
        v += 1.0
        for r in bench:
            r.set(v)
        n += len(bench)
    return n


def wave(seconds, hz):
    n = 0
    period = 1.0 / hz
    start = time.time()
    arr = [0.0] * 2048
    while time.time() - start < seconds:
        arr[0] = float(n)
        records["BIGARRAY"].set(arr)
        n += 1
        ahead = start + n * period - time.time()
        if ahead > 0:
            time.sleep(ahead)
    return n


def serve():
    for line in sys.stdin:
        parts = line.strip().split(" ", 2)
        try:
            if parts[0] == "set":
                records[parts[1]].set(json.loads(parts[2]))
                print("ok", flush=True)
            elif parts[0] == "stamp":
                value, seconds = parts[2].rsplit(" ", 1)
                records[parts[1]].set(json.loads(value), timestamp=float(seconds))
                print("ok", flush=True)
            elif parts[0] == "storm":
                print(f"ok {storm(float(parts[1]))}", flush=True)
            elif parts[0] == "wave":
                print(f"ok {wave(float(parts[1]), float(parts[2]))}", flush=True)
            elif parts[0]:
                print(f"error unknown command {parts[0]}", flush=True)
        except Exception as e:  # answer the caller, keep serving
            print(f"error {type(e).__name__}: {e}", flush=True)


serve()
