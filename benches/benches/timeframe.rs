//! Timeframe aggregation: 10 M irregular ticks (timestamp, price, size) to
//! 1-minute bars, the parallel CPU path vs one sequential pass. The ticks are
//! also written as .npy files to `target/bench-data/` for the polars peer
//! (`benches/peers/timeframe_polars.py`), which prints the same checksum.
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use gpu_charts::data::timeframe::{Aligner, aggregate_ticks, aggregate_ticks_in_chunks};

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
    let mut g = c.benchmark_group("timeframe_1m_10M_ticks");
    g.throughput(Throughput::Elements(N as u64));
    g.sample_size(10);
    g.bench_function("parallel", |b| {
        b.iter(|| aggregate_ticks(&al, &ts, &px, Some(&sz)).unwrap())
    });
    g.bench_function("single_thread", |b| {
        b.iter(|| aggregate_ticks_in_chunks(&al, &ts, &px, Some(&sz), 1).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
