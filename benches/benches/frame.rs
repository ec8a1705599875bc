//! Frame time: building the scene (CPU, O(pixels)) and rendering it to
//! pixels on whatever adapter wgpu finds (lavapipe here, a GPU elsewhere).
//! Needs the plugin libraries built: `cargo build --release` first.
use criterion::{Criterion, criterion_group, criterion_main};
use gpu_charts::render::{ChartSession, Offscreen};
use gpu_charts::scene::build_frame;
use std::path::Path;

fn bench(c: &mut Criterion) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut session =
        ChartSession::new(vec![repo.join("target/release"), repo.join("target/debug")]);
    let aapl = session
        .load(&repo.join("examples/aapl.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    let ticks = session
        .load(&repo.join("examples/ticks.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut gpu = Offscreen::new().unwrap();
    eprintln!("adapter: {}", gpu.ctx.adapter_summary());
    let size = [1600, 900];
    let mut g = c.benchmark_group("frame_1600x900");
    g.sample_size(10);
    g.bench_function("scene_aapl", |b| {
        b.iter(|| build_frame(&aapl, aapl.initial_view, size, 1.0))
    });
    g.bench_function("scene_10M_ticks", |b| {
        b.iter(|| build_frame(&ticks, ticks.initial_view, size, 1.0))
    });
    let s1 = build_frame(&aapl, aapl.initial_view, size, 1.0);
    let s2 = build_frame(&ticks, ticks.initial_view, size, 1.0);
    g.bench_function("gpu_render_readback_aapl", |b| {
        b.iter(|| gpu.render(&s1).unwrap())
    });
    g.bench_function("gpu_render_readback_10M_ticks", |b| {
        b.iter(|| gpu.render(&s2).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
