"""Reference side of the histogrammer tests: decodes nxflow's output with ESS's `streaming_data_types` and bins the
produced events with numpy the way just-bin-it does.

Reads {"cases": [{"schema": "hs01"|"hs00"|"da00", "hex": H, "spec": {...}, "tof": [...], "det": [...]}]} on stdin,
prints {"results": [{"decoded": {...}, "expected": {...}}]}; both sides have "data" (flat, C order), "shape" and
"edges" (one list per axis); "decoded" also has "info" (hs) or "axes", "names", "units" and "label" (da00).
"""

import json
import sys

import numpy as np
from streaming_data_types import dataarray_da00, histogram_hs00, histogram_hs01


def expected(spec, tof, det):
    kind = spec["type"]
    if kind == "hist1d":
        if spec.get("det_range") is None:
            counts, edges = np.histogram(tof, range=spec["tof_range"], bins=spec["num_bins"])
            return counts, [edges]
        n = spec["num_bins"]
        counts, te, _ = np.histogram2d(tof, det, range=[spec["tof_range"], spec["det_range"]], bins=[n, n])
        return counts.sum(axis=1), [te]
    if kind == "hist2d":
        counts, te, de = np.histogram2d(tof, det, range=[spec["tof_range"], spec["det_range"]], bins=spec["num_bins"])
        return counts, [te, de]
    if kind == "dethist":
        lo, w, h = spec["det_range"][0], spec["width"], spec["height"]
        ids = det[(det >= lo) & (det < lo + w * h)]  # fast_histogram: the upper end is excluded
        counts, _ = np.histogram(ids, range=(lo, lo + w * h), bins=w * h)
        return counts.reshape(h, w).T, [np.arange(w + 1, dtype=float), np.arange(h + 1, dtype=float)]
    if kind == "roihist":
        w, rows = spec["width"], spec["left_edges"]
        out = np.zeros((w, len(rows)))
        for r, left in enumerate(rows):
            for x in range(w):
                out[x, r] = np.count_nonzero(det == left + x)
        return out, [np.arange(w, dtype=float), np.arange(len(rows), dtype=float)]
    raise ValueError(kind)


def decoded(schema, buf):
    if schema in ("hs01", "hs00"):
        m = (histogram_hs01.deserialise_hs01 if schema == "hs01" else histogram_hs00.deserialise_hs00)(buf)
        data = np.asarray(m["data"])
        return {
            "data": data.ravel().tolist(),
            "dtype": str(data.dtype),
            "shape": list(m["current_shape"]),
            "edges": [np.asarray(d["bin_boundaries"]).tolist() for d in m["dim_metadata"]],
            "info": m["info"],
            "source": m["source"],
        }
    m = dataarray_da00.deserialise_da00(buf)
    variables = {v.name: v for v in m.data}
    signal = variables["signal"]
    return {
        "data": np.asarray(signal.data).ravel().tolist(),
        "dtype": str(np.asarray(signal.data).dtype),
        "shape": list(np.asarray(signal.data).shape),
        "axes": list(signal.axes),
        "names": [v.name for v in m.data],
        "units": {v.name: v.unit for v in m.data},
        "label": signal.label,
        "source": m.source_name,
        "edges": [np.asarray(variables[a].data).tolist() for a in signal.axes],
    }


def main():
    request = json.load(sys.stdin)
    results = []
    for case in request["cases"]:
        tof = np.asarray(case["tof"], dtype=np.int64)
        det = np.asarray(case["det"], dtype=np.int64)
        counts, edges = expected(case["spec"], tof, det)
        if case["schema"] == "da00" and case["spec"]["type"] == "dethist":  # nxflow's da00 image: axes (y, x)
            counts, edges = counts.T, edges[::-1]
        results.append({
            "decoded": decoded(case["schema"], bytes.fromhex(case["hex"])),
            "expected": {
                "data": np.asarray(counts).ravel().tolist(),
                "shape": list(np.asarray(counts).shape),
                "edges": [np.asarray(e).tolist() for e in edges],
            },
        })
    json.dump({"results": results}, sys.stdout)


main()
