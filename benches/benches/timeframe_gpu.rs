//! Timeframe aggregation on the GPU (`gpu::aggregate`): N ticks (default
//! 100 M; `GPU_CHARTS_BENCH_TICKS` overrides, e.g. 1000000 on lavapipe) to
//! 1-minute bars, in one process and one run:
//!
//! * `gpu_resident`: ticks already on the GPU (bucket search on the CPU,
//!   both kernels, readback, bars) — G ticks/s excluding the upload;
//! * `gpu_with_upload`: the same plus converting prices and sizes to f32 and
//!   uploading them into new buffers (what `aggregate_ticks_gpu` does, less
//!   compiling the pipelines);
//! * `read_bandwidth`: one coalesced pass over the same f32 price and size
//!   buffers (the GPU's read ceiling for this data: 8 bytes a tick);
//! * `cpu_parallel` and `cpu_single_thread`: `aggregate_ticks` on every core
//!   and one sequential pass.
//!
//! Headless: `cargo bench -p gpu-charts-benches --bench timeframe_gpu`
//! (wgpu picks the high-performance adapter; on a machine without a GPU,
//! lavapipe).
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use gpu_charts::data::timeframe::{Aligner, aggregate_ticks, aggregate_ticks_in_chunks};
use gpu_charts::gpu::GpuContext;
use gpu_charts::gpu::aggregate::GpuAggregator;

fn bench(c: &mut Criterion) {
    let n: usize = std::env::var("GPU_CHARTS_BENCH_TICKS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000_000);
    let (ts, px, sz) = gpu_charts_benches::ticks(n);
    let ctx = GpuContext::headless().unwrap_or_else(|e| panic!("{e}"));
    let limits = ctx.device.limits();
    eprintln!(
        "adapter: {}; max_storage_buffer_binding_size {} B, max_buffer_size {} B; {n} ticks",
        ctx.adapter_summary(),
        limits.max_storage_buffer_binding_size,
        limits.max_buffer_size
    );
    let al = Aligner::new("1m".parse().unwrap(), None);
    let mut agg = GpuAggregator::new(&ctx).unwrap_or_else(|e| panic!("{e}"));
    let resident = agg
        .upload(&ctx, n, &px, Some(&sz))
        .unwrap_or_else(|e| panic!("{e}"));
    // The GPU bars are the CPU's rounded to f32 (whole sizes: exact volumes).
    let cpu = aggregate_ticks(&al, &ts, &px, Some(&sz)).unwrap();
    let gpu = agg.aggregate(&ctx, &resident, &al, &ts).unwrap();
    assert_eq!(
        (gpu.time.as_slice(), gpu.count.as_slice()),
        (cpu.time.as_slice(), cpu.count.as_slice())
    );
    assert!(
        gpu.close
            .iter()
            .zip(&cpu.close)
            .all(|(g, c)| *g == f64::from(*c as f32))
    );
    assert_eq!(gpu.volume, cpu.volume);
    eprintln!(
        "{} bars; {} MB of f32 ticks on the GPU in {} page(s)",
        gpu.len(),
        resident.gpu_bytes() >> 20,
        resident.pages()
    );

    let mut g = c.benchmark_group(format!("timeframe_gpu_1m_{n}_ticks"));
    g.throughput(Throughput::Elements(n as u64));
    g.sample_size(10);
    g.bench_function("gpu_resident", |b| {
        b.iter(|| agg.aggregate(&ctx, &resident, &al, &ts).unwrap())
    });
    g.bench_function("read_bandwidth", |b| {
        b.iter(|| agg.read_bandwidth(&ctx, &resident).unwrap())
    });
    g.bench_function("gpu_with_upload", |b| {
        b.iter(|| {
            let ticks = agg.upload(&ctx, n, &px, Some(&sz)).unwrap();
            agg.aggregate(&ctx, &ticks, &al, &ts).unwrap()
        })
    });
    g.bench_function("cpu_parallel", |b| {
        b.iter(|| aggregate_ticks(&al, &ts, &px, Some(&sz)).unwrap())
    });
    g.bench_function("cpu_single_thread", |b| {
        b.iter(|| aggregate_ticks_in_chunks(&al, &ts, &px, Some(&sz), 1).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
