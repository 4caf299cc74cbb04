"""Bridge between the nxflow cross-check tests and the ESS reference package `streaming_data_types`.

Reads one JSON request on stdin and prints one JSON reply:
  {"op": "serialise", "seed": S, "count": N, "schemas": [ids]}
      -> {"cases": [{"schema", "hex", "form", "micros"}]}: N random messages per schema made by the package's
         serialiser (edge cases first), with `form` = the package's own deserialisation of the bytes.
  {"op": "deserialise", "messages": [{"schema", "hex"}]}
      -> {"results": [{"form", "micros"} | {"error"}]}
`form` uses the schema's field names (as in the .fbs); enums are numbers, unions are `<field>_type` (member name)
plus `<field>` ({"value": ...}), vectors are lists. Integers are printed exactly.
`micros` holds the fields that the package's deserialiser hands out only as a datetime rounded to the microsecond (senv
PacketTimestamp), as exact integer microseconds since the Unix epoch; they are left out of `form`.
"""

import json
import random
import sys
from datetime import datetime, timedelta, timezone

import numpy as np
import streaming_data_types as sdt
from streaming_data_types.alarm_al00 import Severity
from streaming_data_types.area_detector_ad00 import Attribute
from streaming_data_types.dataarray_da00 import Variable
from streaming_data_types.epics_connection_ep01 import ConnectionInfo
from streaming_data_types.fbschemas.epics_connection_info_ep00.EventType import EventType
from streaming_data_types.forwarder_config_update_fc00 import StreamInfo
from streaming_data_types.forwarder_config_update_rf5k import StreamInfo as Rf5kStreamInfo

I64 = (-(2**63), 2**63 - 1)
NAMES = ["", "det1", "PV:X", "Ünïcødé ✓ 中文", "a" * 300]
F144_MEMBERS = {
    "Byte": np.int8, "UByte": np.uint8, "Short": np.int16, "UShort": np.uint16, "Int": np.int32,
    "UInt": np.uint32, "Long": np.int64, "ULong": np.uint64, "Float": np.float32, "Double": np.float64,
}
SE00_MEMBERS = {
    "Int8Array": np.int8, "UInt8Array": np.uint8, "Int16Array": np.int16, "UInt16Array": np.uint16,
    "Int32Array": np.int32, "UInt32Array": np.uint32, "Int64Array": np.int64, "UInt64Array": np.uint64,
    "DoubleArray": np.float64, "FloatArray": np.float32,
}
SENV_MEMBERS = {k: v for k, v in SE00_MEMBERS.items() if k not in ("DoubleArray", "FloatArray")}
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
HS01_MEMBERS = {"ArrayInt": np.int32, "ArrayLong": np.int64, "ArrayDouble": np.float64, "ArrayFloat": np.float32}
DA00_DTYPES = ["int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64", "float32", "float64"]


def arr(rng, dtype, n):
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return (np.array([rng.uniform(-1e6, 1e6) for _ in range(n)])).astype(dtype)
    info = np.iinfo(dtype)
    picks = [info.min, info.max, 0] + [rng.randint(int(info.min), int(info.max)) for _ in range(n)]
    return np.array(picks[:n] if n < 3 else rng.sample(picks, n), dtype=dtype)


def name(rng, i):
    return NAMES[i % len(NAMES)] if i < len(NAMES) else "".join(rng.choice("abcXYZ:_-é") for _ in range(rng.randint(1, 20)))


def stamp(rng, i, lo=0, hi=I64[1]):
    return [lo, hi][i] if i < 2 else rng.randint(lo, hi)


def plain(v):
    """numpy and enum values -> JSON-able Python values (lists, ints, floats, str)."""
    if isinstance(v, np.ndarray):
        return [plain(x) for x in v.reshape(-1).tolist()]
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    if hasattr(v, "value") and not isinstance(v, (int, float, str)):
        return v.value
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    return v


def gen(schema, rng, i):
    """Returns the bytes of the i-th random message of a schema, made by the package's serialiser."""
    n = [0, 1][i] if i < 2 else rng.randint(0, 50)
    s = sdt.SERIALISERS[schema]
    if schema == "ev44":
        return s(name(rng, i), stamp(rng, i, I64[0]), arr(rng, np.int64, max(n, 1)), arr(rng, np.int32, max(n, 1)),
                 arr(rng, np.int32, n), arr(rng, np.int32, n))
    if schema == "an44":
        return s(name(rng, i), stamp(rng, i), arr(rng, np.int64, 1), [0], arr(rng, np.int32, n), arr(rng, np.int32, n),
                 arr(rng, np.int16, n))
    if schema == "ev42":
        isis = None if i % 2 else {"period_number": rng.randint(0, 2**32 - 1), "run_state": rng.randint(0, 1),
                                   "proton_charge": 1.5}
        return s(name(rng, i), stamp(rng, i, 0, 2**63 - 1), stamp(rng, i, 0, 2**63 - 1), arr(rng, np.uint32, n),
                 arr(rng, np.uint32, n), isis)
    if schema == "ev43":
        return s(name(rng, i), stamp(rng, i), arr(rng, np.uint64, n), arr(rng, np.uint32, n), arr(rng, np.uint32, n),
                 arr(rng, np.uint32, n))
    if schema == "f144":
        member = list(F144_MEMBERS)[i % 10]
        value = arr(rng, F144_MEMBERS[member], n)
        return s(name(rng, i) or "x", value if (i // 10) % 2 else value.dtype.type(value[0] if n else 7),
                 stamp(rng, i, I64[0]))
    if schema == "f142":
        member = list(F144_MEMBERS)[i % 10]
        value = arr(rng, F144_MEMBERS[member], max(n, 1))
        status = None if i % 3 == 0 else rng.randint(0, 22)
        return s(value if (i // 10) % 2 else value[0], name(rng, i), stamp(rng, i, 0, 2**63 - 1), status,
                 rng.randint(0, 4) if status is not None else None)
    if schema == "al00":
        return s(name(rng, i), stamp(rng, i, I64[0]), Severity(rng.randint(0, 3)), name(rng, i + 1))
    if schema == "ep01":
        return s(stamp(rng, i, I64[0]), ConnectionInfo(rng.randint(0, 7)), name(rng, i) or "pv",
                 None if i % 2 else name(rng, i + 2))
    if schema == "ep00":
        return s(stamp(rng, i), EventType.CONNECTED if i % 2 else EventType.DESTROYED, name(rng, i), name(rng, i + 1))
    if schema == "pl72":
        return s(job_id=name(rng, i), filename=name(rng, i + 1), start_time=stamp(rng, i, 1, 2**40),
                 stop_time=stamp(rng, i, 0, 2**40), run_name=name(rng, i + 2), nexus_structure='{"children":[]}',
                 service_id=name(rng, i + 3), instrument_name="", broker="b:9092", metadata="{}", control_topic="ctl")
    if schema == "6s4t":
        return s(job_id=name(rng, i), run_name=name(rng, i + 1), service_id=name(rng, i + 2),
                 command_id=name(rng, i + 3), stop_time=stamp(rng, i, 0, 2**40))
    if schema == "answ":
        return s(name(rng, i), name(rng, i + 1), name(rng, i + 2), i % 2, (i // 2) % 2,
                 name(rng, i + 3), rng.randint(-(2**31), 2**31 - 1),
                 datetime.fromtimestamp(rng.randint(0, 2**33), tz=timezone.utc))
    if schema == "wrdn":
        return s(name(rng, i), name(rng, i + 1), bool(i % 2), name(rng, i + 2), name(rng, i + 3) or None,
                 name(rng, i + 4) or None)
    if schema == "x5f2":
        return s(name(rng, i), name(rng, i + 1), name(rng, i + 2), name(rng, i + 3), rng.randint(0, 2**32 - 1),
                 rng.randint(0, 2**32 - 1), '{"a": 1}')
    if schema == "tdct":
        return s(name(rng, i) or "c", arr(rng, np.uint64, n), stamp(rng, i, 0, 2**63 - 1))
    if schema in ("hs01", "hs00"):
        members = HS01_MEMBERS if schema == "hs01" else {"u32": np.uint32, "u64": np.uint64, "d": np.float64,
                                                         "f": np.float32}
        dtype = list(members.values())[i % 4]
        length = max(n, 1)
        hist = {"source": name(rng, i), "timestamp": stamp(rng, i, 0, 2**63 - 1), "current_shape": [length],
                "dim_metadata": [{"length": length, "unit": "ns", "label": name(rng, i),
                                  "bin_boundaries": arr(rng, list(members.values())[(i + 1) % 4], length + 1)}],
                "data": arr(rng, dtype, length), "last_metadata_timestamp": stamp(rng, i, 0, 2**62),
                "info": name(rng, i + 1)}
        if i % 2:
            hist["errors"] = arr(rng, dtype, length)
        return s(hist)
    if schema == "da00":
        variables = [Variable(name="signal", data=arr(rng, DA00_DTYPES[i % 10], max(n, 1)), axes=["x"],
                              unit=name(rng, i) or None, label="L", source="S")]
        if i % 2:
            variables.append(Variable(name="x", data=arr(rng, np.float64, max(n, 1) + 1), axes=["x"], unit="mm"))
        return s(name(rng, i) or "src", stamp(rng, i, I64[0]), variables)
    if schema == "ad00":
        data = arr(rng, DA00_DTYPES[i % 10], 6).reshape(2, 3)
        return s(name(rng, i) or "cam", rng.randint(-(2**31), 2**31 - 1), stamp(rng, i, I64[0]), data,
                 [Attribute("a", "d", "s", 0.5), Attribute("b", "e", "t", np.array([1, 2], dtype=np.int32))])
    if schema == "se00":
        member = list(SE00_MEMBERS)[i % 10]
        return s(name(rng, i) or "adc", rng.randint(-(2**31), 2**31 - 1), stamp(rng, i, I64[0]), rng.uniform(0, 1e6),
                 rng.randint(0, 2**62), arr(rng, SE00_MEMBERS[member], n), rng.randint(0, 3),
                 None if i % 2 else arr(rng, np.int64, n))
    if schema == "senv":
        member = list(SENV_MEMBERS)[i % 8]
        # at most 1.8e16 µs after the epoch, so that its nanoseconds (int(seconds * 1e9)) fit the uint64 PacketTimestamp
        when = EPOCH + timedelta(microseconds=stamp(rng, i, 0, 18_000_000_000_000_000))
        return s(name(rng, i) or "adc", rng.randint(-(2**31), 2**31 - 1), when, rng.randint(-(2**40), 2**40),
                 stamp(rng, i, 0, 2**64 - 1), arr(rng, SENV_MEMBERS[member], n), rng.randint(0, 3),
                 None if i % 2 else arr(rng, np.uint64, n))
    if schema == "rf5k":
        streams = [Rf5kStreamInfo(name(rng, i + k), ["f142", "tdct", "", "nttable_senv"][k], name(rng, i + k + 1),
                                  k % 3) for k in range(n % 5)]
        return s(i % 3, streams)
    if schema == "fc00":
        streams = [StreamInfo(name(rng, i + k), "f144", name(rng, i + k + 1), k % 3, k % 2)
                   for k in range(n % 5)]
        return s(i % 4, streams)
    if schema == "json":
        return s(json.dumps({"k": name(rng, i), "n": i}))
    if schema == "ns10":
        return s(name(rng, i) or "k", name(rng, i + 1), rng.uniform(0, 1e9), rng.uniform(0, 100), bool(i % 2))
    raise KeyError(schema)


def form(schema, d):
    """The package's deserialised message -> the form described in the module docstring."""
    if schema in ("ev44", "an44"):
        out = {"source_name": d.source_name, "message_id": d.message_id, "reference_time": plain(d.reference_time),
               "reference_time_index": plain(d.reference_time_index), "time_of_flight": plain(d.time_of_flight),
               "pixel_id": plain(d.pixel_id)}
        if schema == "an44":
            out["weight"] = plain(d.weight)
        return out
    if schema == "ev42":
        out = {"source_name": d.source_name, "message_id": d.message_id, "pulse_time": d.pulse_time,
               "time_of_flight": plain(d.time_of_flight), "detector_id": plain(d.detector_id)}
        if d.specific_data is not None:
            out["facility_specific_data_type"] = "ISISData"
            out["facility_specific_data"] = {k: plain(v) for k, v in d.specific_data.items()}
        return out
    if schema == "ev43":
        return {"source_name": d.source_name, "message_id": d.message_id, "pulse_time": plain(d.pulse_time),
                "pulse_index": plain(d.pulse_index), "time_of_flight": plain(d.time_of_flight),
                "detector_id": plain(d.detector_id)}
    if schema in ("f144", "f142"):
        v = np.asarray(d.value)
        member = {np.dtype(t): m for m, t in F144_MEMBERS.items()}[v.dtype]
        out = {"source_name": d.source_name, "timestamp": d.timestamp_unix_ns, "value": {"value": plain(v)}}
        if v.ndim == 0:  # scalars come back as Python numbers: the member type is not known
            out["value"]["value"] = plain(v.item())
        else:
            out["value_type"] = "Array" + member
        if schema == "f142":
            out["status"], out["severity"] = plain(d.alarm_status), plain(d.alarm_severity)
        return out
    if schema == "al00":
        return {"source_name": d.source, "timestamp": d.timestamp_ns, "severity": plain(d.severity),
                "message": d.message}
    if schema in ("ep01", "ep00"):
        return {"timestamp": d.timestamp, ("status" if schema == "ep01" else "type"): plain(getattr(d, "status", None)
                if schema == "ep01" else d.type), "source_name": d.source_name, "service_id": d.service_id}
    if schema == "pl72":
        return {k: getattr(d, k) for k in ("job_id", "filename", "start_time", "stop_time", "nexus_structure",
                                           "service_id", "broker", "run_name", "instrument_name", "metadata",
                                           "control_topic")}
    if schema == "6s4t":
        return {k: getattr(d, k) for k in ("stop_time", "run_name", "job_id", "service_id", "command_id")}
    if schema == "answ":
        return {"service_id": d.service_id, "job_id": d.job_id, "command_id": d.command_id, "action": plain(d.action),
                "outcome": plain(d.outcome), "message": d.message, "status_code": d.status_code,
                "stop_time": round(d.stop_time.timestamp() * 1000)}
    if schema == "wrdn":
        return {k: getattr(d, k) for k in ("service_id", "job_id", "error_encountered", "file_name", "metadata",
                                           "message")}
    if schema == "x5f2":
        return {k: getattr(d, k) for k in ("software_name", "software_version", "service_id", "host_name",
                                           "process_id", "update_interval", "status_json")}
    if schema == "tdct":
        return {"name": d.name, "timestamps": plain(d.timestamps), "sequence_counter": d.sequence_counter}
    if schema in ("hs01", "hs00"):
        names = list(HS01_MEMBERS) if schema == "hs01" else ["ArrayUInt", "ArrayULong", "ArrayDouble", "ArrayFloat"]
        kinds = {np.dtype(t): names[k] for k, t in enumerate([np.int32, np.int64, np.float64, np.float32]
                                                             if schema == "hs01" else
                                                             [np.uint32, np.uint64, np.float64, np.float32])}
        out = {"source": d["source"], "timestamp": d["timestamp"], "current_shape": d["current_shape"],
               "last_metadata_timestamp": d["last_metadata_timestamp"], "info": d["info"],
               "data_type": kinds[d["data"].dtype], "data": {"value": plain(d["data"])},
               "dim_metadata": [{"length": m["length"], "unit": m["unit"], "label": m["label"],
                                 "bin_boundaries_type": kinds[m["bin_boundaries"].dtype],
                                 "bin_boundaries": {"value": plain(m["bin_boundaries"])}} for m in d["dim_metadata"]]}
        if len(d["errors"]):
            out["errors_type"] = kinds[d["errors"].dtype]
            out["errors"] = {"value": plain(d["errors"])}
        return out
    if schema == "da00":
        return {"source_name": d.source_name, "timestamp": d.timestamp_ns, "data": [
            {"name": v.name, "unit": v.unit, "label": v.label, "source": v.source, "axes": list(v.axes or []),
             "shape": list(v.shape), "data_type": DA00_DTYPES.index(v.data.dtype.name) + 1,
             "data": list(np.ascontiguousarray(v.data).view(np.uint8).reshape(-1).tolist())} for v in d.data]}
    if schema == "ad00":
        return {"source_name": d.source_name, "id": d.unique_id, "timestamp": d.timestamp_ns,
                "dimensions": plain(d.dimensions), "data_type": DA00_DTYPES.index(d.data.dtype.name),
                "data": list(np.ascontiguousarray(d.data).view(np.uint8).reshape(-1).tolist()),
                "attributes": [{"name": a.name, "description": a.description, "source": a.source,
                                "data": list(np.ascontiguousarray(np.asarray(a.data)).view(np.uint8).reshape(-1)
                                             .tolist())} for a in d.attributes]}
    if schema == "se00":
        v = np.asarray(d.values)
        member = {np.dtype(t): m for m, t in SE00_MEMBERS.items()}[v.dtype]
        out = {"name": d.name, "channel": d.channel, "packet_timestamp": d.timestamp_unix_ns,
               "time_delta": d.sample_ts_delta, "timestamp_location": plain(d.ts_location),
               "message_counter": d.message_counter, "values_type": member, "values": {"value": plain(v)}}
        if d.value_ts is not None:
            out["timestamps"] = plain(d.value_ts)
        return out
    if schema == "senv":
        v = np.asarray(d.values)
        out = {"Name": d.name, "Channel": d.channel, "TimeDelta": d.sample_ts_delta,
               "TimestampLocation": plain(d.ts_location), "MessageCounter": d.message_counter,
               "Values_type": {np.dtype(t): m for m, t in SENV_MEMBERS.items()}[v.dtype],
               "Values": {"value": plain(v)}}
        if d.value_ts is not None:
            out["Timestamps"] = plain(d.value_ts)
        return out
    if schema in ("fc00", "rf5k"):
        return {"config_change": plain(d.config_change), "streams": [
            {"channel": s.channel, "schema": s.schema, "topic": s.topic, "protocol": plain(s.protocol)}
            | ({"periodic": s.periodic} if schema == "fc00" else {}) for s in d.streams]}
    if schema == "json":
        return {"json": d}
    if schema == "ns10":
        return {"key": d.key, "time": d.time_stamp, "ttl": d.ttl, "expired": d.expired, "value": d.value}
    raise KeyError(schema)


def micros(schema, d):
    """The package's datetime fields of a deserialised message -> exact integer microseconds since the epoch."""
    return {"PacketTimestamp": (d.timestamp - EPOCH) // timedelta(microseconds=1)} if schema == "senv" else {}


def main():
    request = json.load(sys.stdin)
    if request["op"] == "serialise":
        rng = random.Random(request["seed"])
        cases = []
        for schema in request["schemas"]:
            for i in range(request["count"]):
                buf = gen(schema, rng, i)
                d = sdt.DESERIALISERS[schema](buf)
                cases.append({"schema": schema, "hex": buf.hex(), "form": form(schema, d), "micros": micros(schema, d)})
        print(json.dumps({"cases": cases}, default=plain))
    else:
        results = []
        for m in request["messages"]:
            try:
                d = sdt.DESERIALISERS[m["schema"]](bytes.fromhex(m["hex"]))
                results.append({"form": form(m["schema"], d), "micros": micros(m["schema"], d)})
            except Exception as error:  # reported to the test, which fails on it
                results.append({"error": f"{type(error).__name__}: {error}"})
        print(json.dumps({"results": results}, default=plain))


if __name__ == "__main__":
    main()
