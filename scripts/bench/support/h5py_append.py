"""The h5py anchor of the writer benchmark (scripts/bench/writer_throughput.ts).

Writes the six NXevent_data datasets the ev44 writer module writes (event_time_offset and event_id int32,
event_time_zero uint64, event_index int64, cue_index and cue_timestamp_zero int64), each extendible (maxshape None)
with the same chunking, appending message by message as a writer that appends each message does: resize, then a
slice assignment per dataset. One pulse per message; a cue after every `--cue-interval` events, as the module does.
The event data (numpy) is made in memory before the clock starts; the time covers creating, writing and closing.

h5py's default chunk cache (1 MiB) is kept: HDF5 writes an unfiltered chunk that does not fit in it straight to its
place in the file, which measured as fast as or faster than a 64 MiB cache holding one chunk of every dataset.

Prints one JSON line: seconds, events, messages, file bytes, peak RSS (MB).
"""

import argparse
import json
import os
import resource
import time

import h5py
import numpy as np


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--events", type=int, required=True, help="events per message")
    p.add_argument("--messages", type=int, required=True)
    p.add_argument("--chunk", type=int, default=1_048_576, help="chunk size in elements")
    p.add_argument("--cue-interval", type=int, default=100_000_000)
    p.add_argument("out")
    a = p.parse_args()
    n, m = a.events, a.messages
    rng = np.random.default_rng(1)
    tof = rng.integers(0, 71_000_000, size=n * m, dtype=np.int32)
    pixel = rng.integers(0, 1_000_000, size=n * m, dtype=np.int32)
    pulse = np.uint64(1_700_000_000_000_000_000) + np.arange(m, dtype=np.uint64) * np.uint64(100_000_000)

    start = time.perf_counter()
    with h5py.File(a.out, "w") as f:
        group = f.create_group("entry/events")
        group.attrs["NX_class"] = "NXevent_data"

        def dataset(name: str, dtype: str) -> h5py.Dataset:
            return group.create_dataset(name, shape=(0,), maxshape=(None,), chunks=(a.chunk,), dtype=dtype)

        offset, ids = dataset("event_time_offset", "<i4"), dataset("event_id", "<i4")
        zero, index = dataset("event_time_zero", "<u8"), dataset("event_index", "<i8")
        cue_index, cue_zero = dataset("cue_index", "<i8"), dataset("cue_timestamp_zero", "<i8")
        offset.attrs["units"] = "ns"
        for d in (zero, cue_zero):
            d.attrs["start"] = "1970-01-01T00:00:00Z"
            d.attrs["units"] = "ns"
        events = last_cue = 0
        for i in range(m):
            lo, hi = events, events + n
            for d, source in ((offset, tof), (ids, pixel)):
                d.resize((hi,))
                d[lo:hi] = source[lo:hi]
            zero.resize((i + 1,))
            zero[i] = pulse[i]
            index.resize((i + 1,))
            index[i] = events
            events = hi
            if events > last_cue + a.cue_interval:
                k = cue_index.shape[0]
                cue_zero.resize((k + 1,))
                cue_zero[k] = int(pulse[i]) + int(tof[hi - 1])
                cue_index.resize((k + 1,))
                cue_index[k] = events - 1
                last_cue = events - 1
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6
    print(json.dumps({"seconds": seconds, "events": events, "messages": m, "bytes": os.path.getsize(a.out),
                      "peakRssMB": peak}))


if __name__ == "__main__":
    main()
