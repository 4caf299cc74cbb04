"""Reads, writes and monitors the sim's PVs through pyepics (libca); prints one JSON line of observations.

Usage: pyepics_client.py PREFIX ARRAY_PV
"""
import json
import sys
import time

import epics

prefix, array_pv = sys.argv[1], sys.argv[2]
out = {"types": {}, "ctrl": {}, "time": {}, "writes": {}, "monitors": {}}

READ = ["TEMP", "TEMP:SP", "MOTOR.VELO", "MOTOR.DMOV", "RUN:NUMBER", "DETECTOR:THRESHOLD", "SHUTTER",
        "SAMPLE:NAME", "STATUS:MSG", "PULSE:COUNT", "CHOPPER:TDC"]
pvs = {name: epics.PV(prefix + name, form="ctrl") for name in READ}
for name, pv in pvs.items():
    if not pv.wait_for_connection(timeout=10):
        raise SystemExit(f"{name} did not connect")
    out["types"][name] = [pv.type, pv.count]
    ctrl = pv.get_ctrlvars(timeout=5) or {}
    out["ctrl"][name] = {k: v for k, v in ctrl.items() if k in (
        "units", "precision", "upper_disp_limit", "upper_alarm_limit", "upper_warning_limit", "lower_warning_limit",
        "lower_alarm_limit", "upper_ctrl_limit", "lower_ctrl_limit", "enum_strs", "severity", "status")}
    if "enum_strs" in out["ctrl"][name]:
        out["ctrl"][name]["enum_strs"] = list(out["ctrl"][name]["enum_strs"])
    tv = pv.get_timevars(timeout=5) or {}
    out["time"][name] = {"timestamp": tv.get("timestamp"), "now": time.time()}

# writes of every type, read back with a fresh get; each monitored (time form) to see the change arrive
WRITES = {"TEMP:SP": [300.5, 296.25], "MOTOR.VELO": [2.5, 7.75], "RUN:NUMBER": [42, -7],
          "DETECTOR:THRESHOLD": [250, 12], "SHUTTER": [0, 1], "SAMPLE:NAME": ["silicon", "Ni powder"],
          "STATUS:MSG": ["hello sim", "bye"]}
seen = {name: [] for name in WRITES}
monitors = {}
for name in WRITES:
    def cb(pvname=None, value=None, char_value=None, timestamp=None, severity=None, _name=name, **kw):
        v = char_value if _name == "STATUS:MSG" else value
        seen[_name].append([v.item() if hasattr(v, "item") else v, timestamp])
    monitors[name] = epics.PV(prefix + name, form="time", callback=cb, auto_monitor=True)
    monitors[name].wait_for_connection(timeout=10)
time.sleep(0.5)
for name, values in WRITES.items():
    back = []
    for v in values:
        ok = epics.caput(prefix + name, v, wait=True, timeout=5)
        got = epics.caget(prefix + name, as_string=name == "STATUS:MSG", use_monitor=False)
        back.append([ok, got.item() if hasattr(got, "item") else got])
    out["writes"][name] = back
# refused put: out of the control range, the value stays
epics.caput(prefix + "TEMP:SP", 1000, wait=True, timeout=5)
out["refused"] = epics.caget(prefix + "TEMP:SP", use_monitor=False)
time.sleep(1)
out["monitors"] = seen

# a gap-free sequence: PULSE:COUNT increments once per pulse
counts = []
def count_cb(value=None, timestamp=None, **kw):
    counts.append([int(value), timestamp, time.time()])
counter = epics.PV(prefix + "PULSE:COUNT", form="time", callback=count_cb, auto_monitor=True)
counter.wait_for_connection(timeout=10)
time.sleep(3)
counter.clear_callbacks()
out["counts"] = counts

# alarm: the temperature crosses HIGH (320 K) after a setpoint of 340 K
alarms = []
temp = epics.PV(prefix + "TEMP", form="time", auto_monitor=True,
                callback=lambda value=None, severity=None, status=None, **kw: alarms.append([value, severity, status]))
temp.wait_for_connection(timeout=10)
epics.caput(prefix + "TEMP:SP", 340, wait=True)
deadline = time.time() + 20
while time.time() < deadline and not any(a[1] == 1 for a in alarms):
    time.sleep(0.1)
epics.caput(prefix + "TEMP:SP", 295, wait=True)
out["alarm"] = next((a for a in alarms if a[1] == 1), None)

# a large array: read and monitored
arr = epics.PV(prefix + array_pv, auto_monitor=True)
arr.wait_for_connection(timeout=10)
value = arr.get(timeout=10)
out["array"] = {"count": arr.count, "len": len(value), "first": float(value[0]), "last": float(value[-1])}
updates = []
arr.add_callback(lambda value=None, **kw: updates.append(len(value)))
time.sleep(2)
out["array"]["updates"] = updates[:5]
print(json.dumps(out))
