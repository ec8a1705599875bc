"""Peer for benches/benches/ingest.rs (group csv_ingest_10m): polars read_csv
of the same 10 M-row tick file, next to reading its bytes.

The file is written by the Rust bench: run
    cargo bench -p gpu-charts-benches --bench ingest -- csv_ingest_10m
(or, to only write the file, `... --bench ingest -- --list`) first; it lands
in target/bench-data/ticks_10m.csv (timestamp,price,volume; ISO times with
milliseconds). Prints the best of 5 runs of each and the same checksum the
Rust bench prints. pip install polars.

polars parses the times too (try_parse_dates=True), as gpu-charts does, so
both sides turn the same text into the same columns; a second line times
polars leaving the time column as text, the cheapest read it offers."""
import os, pathlib, sys, time
import polars as pl

rows = int(os.environ.get("GPU_CHARTS_BENCH_CSV_ROWS", "10000000"))
name = "ticks_10m.csv" if rows == 10_000_000 else f"ticks_{rows}.csv"
path = pathlib.Path(__file__).resolve().parents[2] / "target" / "bench-data" / name
if not path.is_file():
    sys.exit(f"{path} is missing: run `cargo bench -p gpu-charts-benches --bench ingest -- --list` first")
size = path.stat().st_size

def best(f, n=5):
    b, out = float("inf"), None
    for _ in range(n):
        t0 = time.perf_counter()
        out = f()
        b = min(b, time.perf_counter() - t0)
    return b, out

def read_bytes():
    data = path.read_bytes()
    return data.count(b"\n")

t_bytes, lines = best(read_bytes)
t_pl, df = best(lambda: pl.read_csv(path, try_parse_dates=True))
t_raw, _ = best(lambda: pl.read_csv(path, try_parse_dates=False))
assert df.height == rows, df.height
assert df.schema["timestamp"] == pl.Datetime("us") or str(df.schema["timestamp"]).startswith("Datetime"), df.schema
mb = size / 1e6
print(f"machine: {os.cpu_count()} cores, polars {pl.__version__}, threads {pl.thread_pool_size()}")
print(f"read bytes + count lines: {t_bytes * 1e3:.1f} ms, {mb / t_bytes:.0f} MB/s")
print(f"polars read_csv (dates parsed): {t_pl * 1e3:.1f} ms, {mb / t_pl:.0f} MB/s")
print(f"polars read_csv (times as text): {t_raw * 1e3:.1f} ms, {mb / t_raw:.0f} MB/s")
print(f"csv_ingest_10m: {df.height} rows, {size} bytes, sum(price) = {df['price'].sum():.2f}, sum(volume) = {float(df['volume'].sum()):.1f}")
