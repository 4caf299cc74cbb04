"""Watches PVs through pyepics (libca), an independent CA client, and puts one value on the way.

Usage: ca_watch.py SECONDS PUT_AFTER PUT_PV PUT_VALUE PV...
Prints one JSON object: {"monitors": {pv: [[value, epics_timestamp], ...]}, "put": [wall time, success]}.
Array values are lists. Runs with the EPICS_CA_* environment of the caller.
"""
import json
import sys
import time

import epics

seconds, put_after, put_pv, put_value = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3], float(sys.argv[4])
names = sys.argv[5:]
monitors = {name: [] for name in names}


def on_value(pvname=None, value=None, timestamp=None, **kw):
    v = value.tolist() if hasattr(value, "tolist") else value
    monitors[pvname].append([v, timestamp])


pvs = [epics.PV(n, form="time", callback=on_value, auto_monitor=True) for n in names]
for pv in pvs:
    pv.wait_for_connection(timeout=10)
begin = time.time()
time.sleep(max(0.0, put_after))
put = [time.time(), epics.caput(put_pv, put_value, wait=True, timeout=10) == 1]
time.sleep(max(0.0, seconds - (time.time() - begin)))
print(json.dumps({"monitors": monitors, "put": put}))
