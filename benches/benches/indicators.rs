//! SMA and EMA over 10 M values through the plugins' C ABI, next to a plain
//! summing loop over the same column (the memory-bandwidth floor).
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use gpu_charts_plugin_api::testing::run_indicator;

fn bench(c: &mut Criterion) {
    let n = 10_000_000;
    let v = gpu_charts_benches::random_walk(n, 11);
    let mut g = c.benchmark_group("indicators_10M");
    g.sample_size(10);
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function("baseline_sum_loop", |b| b.iter(|| v.iter().sum::<f64>()));
    g.bench_function("sma_20", |b| {
        b.iter(|| run_indicator(gpu_charts_plugin_sma::plugin_descriptor(), "sma", r#"{"period":20}"#, &[&v]).unwrap())
    });
    g.bench_function("ema_50", |b| {
        b.iter(|| run_indicator(gpu_charts_plugin_ema::plugin_descriptor(), "ema", r#"{"period":50}"#, &[&v]).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
