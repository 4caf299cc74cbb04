"""Reads a finished NeXus file of the simulated instrument with h5py and scippnexus; prints one JSON object.

Usage: check_file.py FILE
- "classes": NX_class of every group; "units": units of every dataset that has them;
- "events": per NXevent_data group, [[event_time_zero ns (decimal text: exact), events, mean time of flight ns], ...];
- "logs": per NXlog with a value, {"time": [ns], "value": [...]}; "tdc": the chopper's TDC times, ns;
- "scippnexus": events loaded per NXevent_data, [rows, unit] of each NXlog's value, and every warning it gave.
"""
import json
import sys
import warnings

import h5py
import numpy as np

path = sys.argv[1]
out = {"classes": {}, "units": {}, "events": {}, "logs": {}, "tdc": [], "scippnexus": {}}
with h5py.File(path, "r") as f:
    def visit(name, obj):
        if isinstance(obj, h5py.Group):
            out["classes"][name] = obj.attrs.get("NX_class", b"").decode() if isinstance(
                obj.attrs.get("NX_class", ""), bytes) else str(obj.attrs.get("NX_class", ""))
        elif "units" in obj.attrs:
            u = obj.attrs["units"]
            out["units"][name] = u.decode() if isinstance(u, bytes) else str(u)
    f.visititems(visit)
    for name, cls in out["classes"].items():
        g = f[name]
        if cls == "NXevent_data":
            etz = g["event_time_zero"][()].astype(np.int64)
            index = g["event_index"][()].astype(np.int64)
            tof = g["event_time_offset"][()].astype(np.float64)
            ends = np.append(index[1:], len(tof))
            out["events"][name] = [[str(int(t)), int(e - s), float(tof[s:e].mean()) if e > s else 0.0]
                                   for t, s, e in zip(etz, index, ends)]
        elif cls == "NXlog" and "value" in g:
            out["logs"][name] = {"time": [int(t) for t in g["time"][()]], "value": g["value"][()].tolist()}
        elif cls == "NXlog" and "time" in g:
            out["tdc"] = [int(t) for t in g["time"][()]]

import scipp as sc  # noqa: E402
import scippnexus as snx  # noqa: E402

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    loaded = {}
    with snx.File(path) as f:
        for name, cls in out["classes"].items():
            if cls == "NXevent_data":
                da = f[name][()]
                loaded[name] = int(da.bins.size().sum().value)
            elif cls == "NXlog" and name in out["logs"]:
                log = f[name][()]  # with the alarm and connection companions: a DataGroup of DataArrays
                value = log["value"] if isinstance(log, sc.DataGroup) else log
                loaded[name] = [int(value.sizes["time"]), str(value.unit)]
    out["scippnexus"] = {"loaded": loaded, "warnings": [str(w.message) for w in caught]}
print(json.dumps(out))
