//! Timeframe aggregation on the GPU (`gpu::aggregate`): N ticks (default
//! 100 M; `GPU_CHARTS_BENCH_TICKS` overrides, e.g. 1000000 on lavapipe) to
//! 1-minute bars, in one process and one run, every GPU result first
//! checked bit for bit against the CPU path:
//!
//! * `model_gpu_switch`: the model's GPU path (`GpuTickAggregator`, as the
//!   model calls it through `TickAggregator`) with the ticks already
//!   resident: what a timeframe switch costs (bucket search on the CPU,
//!   both kernels, readback, combining and gathering the f64 values);
//! * `model_gpu_first`: the same from a fresh aggregator: pipelines, the
//!   16-byte-a-tick upload, then the aggregation (what the first build of a
//!   chart costs);
//! * `kernels_resident`: `GpuAggregator::aggregate` alone over resident
//!   ticks (the same work as `model_gpu_switch` less the lock);
//! * `read_bandwidth`: one coalesced pass over the same price and size
//!   buffers (the GPU's read ceiling for this data: 16 bytes a tick);
//! * `cpu_parallel` and `cpu_single_thread`: `aggregate_ticks` on every core
//!   and one sequential pass.
//!
//! Headless: `cargo bench -p gpu-charts-benches --bench timeframe_gpu`
//! (wgpu picks the high-performance adapter; on a machine without a GPU,
//! lavapipe, whose figures are no GPU's).
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use gpu_charts::data::accel::TickAggregator;
use gpu_charts::data::storage::Storage;
use gpu_charts::data::timeframe::{Aligner, Bars, aggregate_ticks, aggregate_ticks_in_chunks};
use gpu_charts::gpu::GpuContext;
use gpu_charts::gpu::aggregate::{GpuAggregatePolicy, GpuAggregator, GpuTickAggregator};

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
    let cpu = aggregate_ticks(&al, &ts, &px, Some(&sz)).unwrap();
    let bits = |b: &Bars| {
        let f = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        (
            b.time.clone(),
            f(&b.open),
            f(&b.high),
            f(&b.low),
            f(&b.close),
            f(&b.volume),
            b.count.clone(),
        )
    };
    let (pxs, szs) = (Storage::from(px.clone()), Storage::from(sz.clone()));
    let model = GpuTickAggregator::new(&ctx, GpuAggregatePolicy::Force);
    let gpu = model.aggregate_ticks(&al, &ts, &pxs, Some(&szs)).unwrap();
    assert!(
        bits(&gpu) == bits(&cpu),
        "the model's GPU bars differ from the CPU's"
    );
    let mut agg = GpuAggregator::new(&ctx).unwrap_or_else(|e| panic!("{e}"));
    let resident = agg
        .upload(&ctx, n, &px, Some(&sz))
        .unwrap_or_else(|e| panic!("{e}"));
    let gpu = agg
        .aggregate(&ctx, &resident, &al, &ts, &px, Some(&sz))
        .unwrap();
    assert!(
        bits(&gpu) == bits(&cpu),
        "the GPU bars differ from the CPU's"
    );
    eprintln!(
        "{} bars ({} with volumes summed on the CPU); {} MB of ticks on the GPU in {} page(s)",
        gpu.len(),
        agg.last_cpu_volume_buckets(),
        resident.gpu_bytes() >> 20,
        resident.pages()
    );

    let mut g = c.benchmark_group(format!("timeframe_gpu_1m_{n}_ticks"));
    g.throughput(Throughput::Elements(n as u64));
    g.sample_size(10);
    g.bench_function("model_gpu_switch", |b| {
        b.iter(|| model.aggregate_ticks(&al, &ts, &pxs, Some(&szs)).unwrap())
    });
    g.bench_function("model_gpu_first", |b| {
        b.iter(|| {
            let fresh = GpuTickAggregator::new(&ctx, GpuAggregatePolicy::Force);
            fresh.aggregate_ticks(&al, &ts, &pxs, Some(&szs)).unwrap()
        })
    });
    g.bench_function("kernels_resident", |b| {
        b.iter(|| {
            agg.aggregate(&ctx, &resident, &al, &ts, &px, Some(&sz))
                .unwrap()
        })
    });
    g.bench_function("read_bandwidth", |b| {
        b.iter(|| agg.read_bandwidth(&ctx, &resident).unwrap())
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
