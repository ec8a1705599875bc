//! SMA and EMA over 10 M values through the plugins' C ABI (loaded like the host does), next to a plain
//! summing loop over the same column (the memory-bandwidth floor).
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn bench(c: &mut Criterion) {
    let n = 10_000_000;
    let v = gpu_charts_benches::random_walk(n, 11);
    let registry = gpu_charts_benches::registry();
    let sma = registry.indicator("sma").unwrap();
    let ema = registry.indicator("ema").unwrap();
    let mut g = c.benchmark_group("indicators_10M");
    g.sample_size(10);
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function("baseline_sum_loop", |b| b.iter(|| v.iter().sum::<f64>()));
    g.bench_function("sma_20", |b| {
        b.iter(|| {
            sma.create(r#"{"period":20}"#)
                .unwrap()
                .compute_all(&[&v])
                .unwrap()
        })
    });
    g.bench_function("ema_50", |b| {
        b.iter(|| {
            ema.create(r#"{"period":50}"#)
                .unwrap()
                .compute_all(&[&v])
                .unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
