"""Monitors PVs through pyepics (libca) for a while; prints one JSON line: each PV's connection changes and values.

Usage: pyepics_monitor.py SECONDS PV...
"""
import json
import sys
import time

import epics

seconds, names = float(sys.argv[1]), sys.argv[2:]
events = {name: [] for name in names}


def on_value(pvname=None, value=None, timestamp=None, **kw):
    events[pvname].append(["value", value.item() if hasattr(value, "item") else value, timestamp, time.time()])


def on_connection(pvname=None, conn=None, **kw):
    events[pvname].append(["connected" if conn else "disconnected", None, None, time.time()])


pvs = [epics.PV(n, form="time", callback=on_value, connection_callback=on_connection, auto_monitor=True)
       for n in names]
time.sleep(seconds)
print(json.dumps(events))
