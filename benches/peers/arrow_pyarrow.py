#!/usr/bin/env python3
"""pyarrow peer of `cargo bench -p gpu-charts-benches --bench arrow_open`.

Reads the same files (target/bench-data/ticks-<rows>.arrow, made by the bench
or by `cargo run --release -p gpu-charts-benches --bin gen-arrow -- <file> <rows>`)
and times, best of 10 (like criterion's fastest samples):
  * mmap_read_all: pa.memory_map + ipc.open_file + read_all (zero-copy, like
    the `arrow` source's open);
  * mmap_read_minmax: the same plus pc.min_max over price and a sortedness
    check of time (what gpu-charts' first open validates);
  * file_read_all: a copying read (pa.OSFile), the counterpart of a reader
    without mmap.
Usage: python3 benches/peers/arrow_pyarrow.py [rows ...]   (default 6250000 62500000)
"""
import os
import sys
import time

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc as ipc

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def best(f, n=10):
    times = []
    for _ in range(n):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return min(times)


def main():
    rows = [int(r) for r in sys.argv[1:]] or [6_250_000, 62_500_000]
    print(f"pyarrow {pa.__version__}")
    for n in rows:
        path = os.path.join(ROOT, "target", "bench-data", f"ticks-{n}.arrow")
        if not os.path.exists(path):
            print(f"{path}: missing; run the bench or gen-arrow first", file=sys.stderr)
            return 1
        size = os.path.getsize(path)

        def mmap_read_all():
            with pa.memory_map(path) as src:
                return ipc.open_file(src).read_all()

        def mmap_read_minmax():
            with pa.memory_map(path) as src:
                t = ipc.open_file(src).read_all()
                pc.min_max(t["price"])
                ts = t["time"].combine_chunks().cast(pa.int64())
                pc.all(pc.greater_equal(ts[1:], ts[:-1]))

        def file_read_all():
            with pa.OSFile(path) as src:
                return ipc.open_file(src).read_all()

        for name, f in [("mmap_read_all", mmap_read_all), ("mmap_read_minmax", mmap_read_minmax),
                        ("file_read_all", file_read_all)]:
            s = best(f)
            print(f"{n} rows ({size / 1e6:.0f} MB) {name}: {s * 1e3:.2f} ms ({size / s / 1e9:.2f} GB/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
