//! Timeframe aggregation: 10 M irregular ticks (timestamp, price, size) to
//! 1-minute bars: the bucket-at-a-time kernel (parallel and one thread), the
//! per-tick loop it replaced (parallel and one thread, the "before"), and a
//! read-bandwidth floor (one pass summing the three columns, which any
//! aggregation must at least read). The ticks are
//! also written as .npy files to `target/bench-data/` for the polars peer
//! (`benches/peers/timeframe_polars.py`), which prints the same checksum.
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use gpu_charts::data::timeframe::{
    Aligner, aggregate_ticks, aggregate_ticks_in_chunks, aggregate_ticks_per_tick,
};
use rayon::prelude::*;

const N: usize = 10_000_000;

/// Writes a 1-D little-endian .npy file (`<i8` or `<f8`).
fn write_npy(path: &std::path::Path, descr: &str, bytes: &[u8], n: usize) {
    let mut header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': ({n},), }}");
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(bytes);
    std::fs::write(path, out).unwrap();
}

fn bench(c: &mut Criterion) {
    let (ts, px, sz) = gpu_charts_benches::ticks(N);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench-data");
    std::fs::create_dir_all(&dir).unwrap();
    let le_i: Vec<u8> = ts.iter().flat_map(|v| v.to_le_bytes()).collect();
    write_npy(&dir.join("ticks_time.npy"), "<i8", &le_i, N);
    let le_p: Vec<u8> = px.iter().flat_map(|v| v.to_le_bytes()).collect();
    write_npy(&dir.join("ticks_price.npy"), "<f8", &le_p, N);
    let le_s: Vec<u8> = sz.iter().flat_map(|v| v.to_le_bytes()).collect();
    write_npy(&dir.join("ticks_size.npy"), "<f8", &le_s, N);
    let al = Aligner::new("1m".parse().unwrap(), None);
    let bars = aggregate_ticks(&al, &ts, &px, Some(&sz)).unwrap();
    let one = aggregate_ticks_in_chunks(&al, &ts, &px, Some(&sz), 1).unwrap();
    assert_eq!(bars, one);
    eprintln!(
        "timeframe: {} bars, sum(close) = {:.6}, sum(volume) = {}",
        bars.len(),
        bars.close.iter().sum::<f64>(),
        bars.volume.iter().sum::<f64>()
    );
    // The chunking `aggregate_ticks` picks (four per thread).
    let chunks = 4 * rayon::current_num_threads();
    let mut g = c.benchmark_group("timeframe_1m_10M_ticks");
    g.throughput(Throughput::Elements(N as u64));
    g.sample_size(10);
    g.bench_function("parallel", |b| {
        b.iter(|| aggregate_ticks(&al, &ts, &px, Some(&sz)).unwrap())
    });
    g.bench_function("single_thread", |b| {
        b.iter(|| aggregate_ticks_in_chunks(&al, &ts, &px, Some(&sz), 1).unwrap())
    });
    g.bench_function("per_tick_parallel", |b| {
        b.iter(|| aggregate_ticks_per_tick(&al, &ts, &px, Some(&sz), chunks).unwrap())
    });
    g.bench_function("per_tick_single_thread", |b| {
        b.iter(|| aggregate_ticks_per_tick(&al, &ts, &px, Some(&sz), 1).unwrap())
    });
    g.bench_function("read_floor_parallel", |b| {
        b.iter(|| {
            ts.par_chunks(1 << 16)
                .zip(px.par_chunks(1 << 16))
                .zip(sz.par_chunks(1 << 16))
                .map(|((t, p), s)| read_floor(t, p, s))
                .reduce(|| 0, |x, y| x ^ y)
        })
    });
    g.bench_function("read_floor_single_thread", |b| {
        b.iter(|| read_floor(&ts, &px, &sz))
    });
    g.finish();
}

/// Reads every time, price and size once, folding their bits by XOR (one
/// cycle, independent lanes: memory, not arithmetic, is the limit): what
/// memory delivers to one pass over the columns any aggregation must read.
fn read_floor(ts: &[i64], px: &[f64], sz: &[f64]) -> u64 {
    let mut a = [0u64; 8];
    let (tc, pc, sc) = (ts.chunks_exact(8), px.chunks_exact(8), sz.chunks_exact(8));
    for ((t, p), s) in tc.zip(pc).zip(sc) {
        for k in 0..8 {
            a[k] ^= t[k] as u64 ^ p[k].to_bits() ^ s[k].to_bits();
        }
    }
    a.iter().fold(0, |x, y| x ^ y)
}

criterion_group!(benches, bench);
criterion_main!(benches);
