"""Reads, writes and monitors the sim's PVs through caproto's pure-Python threading client; prints one JSON line.

Usage: caproto_client.py PREFIX ARRAY_PV
"""
import json
import sys
import time

from caproto import ChannelType
from caproto.threading.client import Context


def plain(x):
    if hasattr(x, "tolist"):
        x = x.tolist()
    if isinstance(x, bytes):
        return x.decode(errors="replace")
    if isinstance(x, (list, tuple)) or type(x).__name__ == "DbrStringArray":
        return [plain(v) for v in x]
    return x


prefix, array_pv = sys.argv[1], sys.argv[2]
NAMES = ["TEMP", "TEMP:SP", "MOTOR.VELO", "MOTOR.DMOV", "RUN:NUMBER", "DETECTOR:THRESHOLD", "SHUTTER",
         "SAMPLE:NAME", "STATUS:MSG", "PULSE:COUNT", "CHOPPER:TDC", array_pv]
ctx = Context()
pvs = dict(zip(NAMES, ctx.get_pvs(*[prefix + n for n in NAMES], timeout=5)))
out = {"native": {}, "ctrl": {}, "time": {}, "writes": {}, "monitors": {}}
for name, pv in pvs.items():
    pv.wait_for_connection(timeout=10)
    out["native"][name] = [pv.channel.native_data_type.name, pv.channel.native_data_count]
    for form in ("native", "status", "time", "graphic", "control"):
        r = pv.read(data_type=form, timeout=10)
        md = r.metadata
        if form == "control":
            out["ctrl"][name] = {k: plain(getattr(md, k)) for k in (
                "units", "precision", "upper_disp_limit", "upper_alarm_limit", "upper_ctrl_limit",
                "lower_ctrl_limit", "enum_strings") if hasattr(md, k)}
        if form == "time":
            out["time"][name] = [md.timestamp, time.time(), md.status, md.severity, len(r.data)]
# server-side conversions: a double and an enum read as DBR_STRING
out["as_string"] = [plain(pvs["TEMP:SP"].read(data_type=ChannelType.STRING).data[0]),
                    plain(pvs["SHUTTER"].read(data_type=ChannelType.STRING).data[0])]

WRITES = {"TEMP:SP": [[301.5], [297.125]], "MOTOR.VELO": [[3.5], [6.25]], "RUN:NUMBER": [[77], [78]],
          "DETECTOR:THRESHOLD": [[333], [44]], "SHUTTER": [[0], [1]], "SAMPLE:NAME": [["Cu"], ["empty can"]],
          "STATUS:MSG": [list(b"caproto\0"), list(b"ok\0")]}
seen = {name: [] for name in WRITES}
keep = []  # caproto holds callbacks by weak reference
for name in WRITES:
    sub = pvs[name].subscribe(data_type="time")
    keep.append(lambda sub, resp, _n=name: seen[_n].append([plain(resp.data), resp.metadata.timestamp]))
    sub.add_callback(keep[-1])
    keep.append(sub)
time.sleep(0.5)
for name, values in WRITES.items():
    back = []
    for v in values:
        w = pvs[name].write(v, wait=True, timeout=5)
        back.append([w.status.name, plain(pvs[name].read(timeout=5).data)])
    out["writes"][name] = back
out["refused"] = pvs["TEMP:SP"].write([1000], wait=True, timeout=5).status.name
time.sleep(1)
out["monitors"] = seen

counts = []
sub = pvs["PULSE:COUNT"].subscribe(data_type="time")
keep.append(lambda sub, resp: counts.append([int(resp.data[0]), resp.metadata.timestamp, time.time()]))
sub.add_callback(keep[-1])
time.sleep(3)
sub.clear()
out["counts"] = counts

sizes = []
asub = pvs[array_pv].subscribe(data_type="time")
keep.append(lambda sub, resp: sizes.append(len(resp.data)))
asub.add_callback(keep[-1])
time.sleep(2)
out["array_updates"] = sizes[:5]
ctx.disconnect()
print(json.dumps(out))
