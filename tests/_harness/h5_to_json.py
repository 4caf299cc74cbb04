"""Prints an HDF5 file as JSON, read with h5py (the independent reader of nxflow's file writer tests).

Usage: python3 h5_to_json.py FILE

Every object is keyed by its absolute path: groups {"kind": "group", "attrs", "children"}, datasets
{"kind": "dataset", "dtype", "shape", "maxshape", "chunks", "attrs", "value"}, and the file's object ids under
"ids" (two paths with the same id are hard links to one object). Integers beyond 2**53 are printed as decimal
strings so that JavaScript keeps them exact; strings are decoded as UTF-8; fixed-length strings lose their NUL
padding.
"""
import json
import sys

import h5py
import numpy

LIMIT = 2**53


def plain(value):
    if isinstance(value, bytes):
        return value.rstrip(b"\0").decode("utf-8", "replace")
    if isinstance(value, str):
        return value
    if isinstance(value, numpy.ndarray):
        return [plain(v) for v in value.tolist()] if value.dtype.kind not in "SOU" else [plain(v) for v in value]
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (numpy.integer, int)) and not isinstance(value, bool):
        v = int(value)
        return str(v) if abs(v) > LIMIT else v
    if isinstance(value, (numpy.floating, float)):
        return float(value)
    if isinstance(value, numpy.bool_):
        return bool(value)
    if isinstance(value, numpy.generic):
        return plain(value.item())
    return value


def dtype_name(dt):
    if h5py.check_string_dtype(dt) is not None:
        info = h5py.check_string_dtype(dt)
        return "string" if info.length is None else f"S{info.length}"
    return str(dt)


def attrs_of(obj):
    out = {}
    for name in obj.attrs:
        value = obj.attrs[name]
        out[name] = plain(value)
    return out


def main(path):
    result = {"objects": {}, "ids": {}}
    with h5py.File(path, "r") as f:
        result["libver"] = list(f.libver)

        def visit(name, obj):
            key = "/" + name if name else "/"
            result["ids"][key] = h5py.h5o.get_info(obj.id).addr
            if isinstance(obj, h5py.Group):
                result["objects"][key] = {"kind": "group", "attrs": attrs_of(obj), "children": sorted(obj.keys())}
            else:
                entry = {
                    "kind": "dataset",
                    "dtype": dtype_name(obj.dtype),
                    "shape": list(obj.shape),
                    "maxshape": list(obj.maxshape) if obj.maxshape is not None else None,
                    "chunks": list(obj.chunks) if obj.chunks else None,
                    "attrs": attrs_of(obj),
                }
                entry["value"] = plain(obj[()])
                result["objects"][key] = entry

        visit("", f)
        f.visititems(visit)
        # visititems reports each object once; list every link path too, so hard links can be compared by id
        def links(group, prefix):
            for name in group:
                p = f"{prefix}/{name}"
                link = group.get(name, getlink=True)
                if isinstance(link, h5py.HardLink):
                    obj = group[name]
                    result["ids"][p] = h5py.h5o.get_info(obj.id).addr
                    if isinstance(obj, h5py.Group):
                        links(obj, p)

        links(f, "")
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
