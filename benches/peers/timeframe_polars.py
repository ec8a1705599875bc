"""Peer for benches/benches/timeframe.rs: polars group_by_dynamic("1m") over
the same 10 M ticks (run `cargo bench -p gpu-charts-benches --bench timeframe`
first; it writes target/bench-data/ticks_*.npy). Prints the time of the best
of 5 runs and the same checksum as the Rust bench. pip install polars numpy."""
import pathlib, time
import numpy as np
import polars as pl

d = pathlib.Path(__file__).resolve().parents[2] / "target" / "bench-data"
df = pl.DataFrame({
    "time": np.load(d / "ticks_time.npy").astype("datetime64[ns]"),
    "price": np.load(d / "ticks_price.npy"),
    "size": np.load(d / "ticks_size.npy"),
})
best = float("inf")
for _ in range(5):
    t0 = time.perf_counter()
    bars = df.group_by_dynamic("time", every="1m").agg(
        pl.col("price").first().alias("open"), pl.col("price").max().alias("high"),
        pl.col("price").min().alias("low"), pl.col("price").last().alias("close"),
        pl.col("size").sum().alias("volume"), pl.len().alias("count"))
    best = min(best, time.perf_counter() - t0)
n = df.height
print(f"polars group_by_dynamic 1m: {best * 1e3:.1f} ms, {n / best / 1e9:.3f} G ticks/s")
print(f"timeframe: {bars.height} bars, sum(close) = {bars['close'].sum():.6f}, sum(volume) = {bars['volume'].sum()}")
