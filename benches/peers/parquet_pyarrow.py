#!/usr/bin/env python3
"""Parquet peer: pyarrow `pq.read_table` on the same files gpu-charts opens.

Generate the files (ticks: time ns UTC + price + size, row groups of 1 Mi rows):
    python3 benches/peers/parquet_pyarrow.py generate target/bench-data
        -> ticks_100mb.parquet (~4.2 M rows), ticks_1gb.parquet (~42 M rows)
Time pyarrow on them (best of N runs, warm page cache):
    python3 benches/peers/parquet_pyarrow.py time target/bench-data
gpu-charts side (open + first frame) on the same files:
    gpu-charts render target/bench-data/ticks_100mb.toml -o /tmp/p.png
(the generator writes one chart file per data file next to it).
"""
import sys, time, pathlib
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

SIZES = {"100mb": 100 << 20, "1gb": 1 << 30}
ROW_BYTES = 24  # i64 time + f64 price + f64 size, uncompressed

def generate(out: pathlib.Path):
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(15)
    for name, size in SIZES.items():
        n = size // ROW_BYTES
        t = np.int64(1_704_067_200_000_000_000) + np.cumsum(rng.integers(1, 200_000_000, n, dtype=np.int64))
        price = 100.0 + np.cumsum(rng.normal(0, 0.01, n))
        vol = rng.integers(1, 1000, n).astype(np.float64)
        table = pa.table({"time": pa.array(t, pa.timestamp("ns", tz="UTC")), "price": price, "size": vol})
        path = out / f"ticks_{name}.parquet"
        pq.write_table(table, path, row_group_size=1 << 20, compression="snappy")
        (out / f"ticks_{name}.toml").write_text(
            f'size = [1600, 900]\n[sources.t]\nkind = "parquet"\nparams = {{ path = "{path.name}" }}\n'
            '[[panes]]\nseries = [{ type = "line", data = "t.price" }]\n')
        print(path, n, "rows")

def timeit(out: pathlib.Path, runs=5):
    for name in SIZES:
        path = out / f"ticks_{name}.parquet"
        best = min(_once(path) for _ in range(runs))
        print(f"pyarrow pq.read_table {path.name}: {best*1000:.1f} ms (best of {runs})")

def _once(path):
    t0 = time.perf_counter()
    pq.read_table(path)
    return time.perf_counter() - t0

if __name__ == "__main__":
    cmd, out = sys.argv[1], pathlib.Path(sys.argv[2] if len(sys.argv) > 2 else "target/bench-data")
    generate(out) if cmd == "generate" else timeit(out)
