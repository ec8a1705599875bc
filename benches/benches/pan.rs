//! Frame time while panning (issue 11): a scripted pan, as the window does
//! it, run offscreen so it works on a machine without a display. The view
//! shows 20% of the data; each frame moves it 20 px right
//! ([`ViewState::pan`]) for 60 frames, builds the frame
//! ([`build_frame_with`]) and renders it into a texture (encode, submit,
//! wait for the GPU; no readback, as a window presents instead).
//!
//! Datasets: a 10 M-point line (`examples/ticks.toml`) and 100 k candles
//! with volume (the synthetic source's `shape = "ohlc"`), each next to the
//! same pan over 10 k points / 10 k candles: the frame cost should not grow
//! with the number of points.
//!
//! `cargo build --release` first (plugins load from `target/release`).
//! On another machine: `GPU_CHARTS_ROOT` (the folder with `examples/`) and
//! `GPU_CHARTS_PLUGIN_PATH` (plugin libraries) override the defaults.
use std::path::Path;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use gpu_charts::config::parse_chart_str;
use gpu_charts::render::{ChartSession, Offscreen};
use gpu_charts::scene::frame::{FrameScene, build_frame_with};
use gpu_charts::scene::interact::ViewState;
use gpu_charts::scene::model::ChartModel;

const SIZE: [u32; 2] = [1600, 900];
const FRAMES: usize = 60;
const PAN_PX: f64 = 20.0;

/// A chart of `rows` synthetic ticks drawn as one line (as `examples/ticks.toml`).
fn line_chart(rows: u64) -> String {
    format!(
        r##"title = "Synthetic ticks — {rows} points"
size = [1600, 900]
theme = "dark"
timezone = "UTC"
x_axis = "time"
[sources.ticks]
kind = "synthetic"
params = {{ rows = {rows}, seed = 7, mean_interval_ms = 100 }}
[[panes]]
[[panes.series]]
type = "line"
data = "ticks.value"
label = "TICK"
color = "#4a90e2"
width = 1.0
"##
    )
}

/// `rows` one-minute synthetic candles with a volume pane.
fn candle_chart(rows: u64) -> String {
    format!(
        r##"title = "Synthetic 1-minute bars — {rows} candles"
size = [1600, 900]
theme = "dark"
timezone = "UTC"
[sources.px]
kind = "synthetic"
params = {{ shape = "ohlc", rows = {rows}, seed = 11, mean_interval_ms = 60000, volatility = 0.001 }}
[[panes]]
height = 3
[[panes.series]]
type = "candlestick"
data = "px"
label = "PX"
[[panes]]
height = 1
[[panes.series]]
type = "volume"
data = "px"
label = "Volume"
"##
    )
}

/// One dataset and its 60 pan positions (and their frames).
struct Pan {
    name: &'static str,
    model: ChartModel,
    states: Vec<ViewState>,
    scenes: Vec<FrameScene>,
}

fn instances(scene: &FrameScene) -> usize {
    scene.series.iter().map(|s| s.instances.len()).sum()
}

impl Pan {
    fn new(name: &'static str, model: ChartModel, rows: usize) -> Pan {
        let loaded: usize = model.tables.values().map(|t| t.len()).sum();
        assert_eq!(loaded, rows, "{name}: rows loaded");
        // 20% of the data, starting 10% in: room to pan right for 60 frames.
        let (states, plot_w) = gpu_charts_benches::pan_states(&model, SIZE, FRAMES, PAN_PX);
        let scenes: Vec<FrameScene> = states
            .iter()
            .map(|s| build_frame_with(&model, s, SIZE, 1.0))
            .collect();
        // Check the pan is real: the view moves every frame by PAN_PX pixels
        // and every frame draws a plot's worth of instances (decimated to
        // the pixels, not the points).
        let span = states[0].view.x1 - states[0].view.x0;
        for w in states.windows(2) {
            let moved = (w[1].view.x0 - w[0].view.x0) / span * plot_w;
            assert!((moved - PAN_PX).abs() < 1e-6, "{name}: moved {moved} px");
        }
        let counts: Vec<usize> = scenes.iter().map(instances).collect();
        let (min, max) = (
            *counts.iter().min().unwrap_or(&0),
            *counts.iter().max().unwrap_or(&0),
        );
        assert!(
            min as f64 >= plot_w / 4.0 && max as f64 <= 4.0 * plot_w,
            "{name}: {min}..{max} instances for a {plot_w} px plot"
        );
        eprintln!("{name}: {rows} rows, plot {plot_w} px wide, {min}..{max} instances per frame");
        Pan {
            name,
            model,
            states,
            scenes,
        }
    }
}

fn load(session: &mut ChartSession, text: &str, name: &str) -> ChartModel {
    // Synthetic sources read no files; the path only names the chart.
    let path = gpu_charts_benches::repo_root().join(format!("examples/{name}.toml"));
    let loaded = parse_chart_str(text, &path).unwrap_or_else(|e| panic!("{e}"));
    session.model(&loaded).unwrap_or_else(|e| panic!("{e}"))
}

fn bench(c: &mut Criterion) {
    let root = gpu_charts_benches::repo_root();
    let mut session = ChartSession::new(gpu_charts_benches::plugin_dirs());
    let ticks_path = root.join("examples/ticks.toml");
    let ticks = session
        .load(Path::new(&ticks_path))
        .unwrap_or_else(|e| panic!("{}: {e}", ticks_path.display()));
    let pans = [
        Pan::new("line_10M", ticks, 10_000_000),
        Pan::new(
            "line_10k",
            load(&mut session, &line_chart(10_000), "bench_line_10k"),
            10_000,
        ),
        Pan::new(
            "candles_100k",
            load(&mut session, &candle_chart(100_000), "bench_candles_100k"),
            100_000,
        ),
        Pan::new(
            "candles_10k",
            load(&mut session, &candle_chart(10_000), "bench_candles_10k"),
            10_000,
        ),
    ];
    drop(session);

    let mut gpu = Offscreen::new().unwrap_or_else(|e| panic!("{e}"));
    eprintln!("adapter: {}", gpu.ctx.adapter_summary());
    let target = gpu.window_target(SIZE, "pan target");
    // The rendered pan shows different pixels at its two ends.
    for p in &pans {
        let first = gpu.render(&p.scenes[0]).unwrap_or_else(|e| panic!("{e}"));
        let last = gpu
            .render(&p.scenes[FRAMES - 1])
            .unwrap_or_else(|e| panic!("{e}"));
        let differing = first
            .pixels()
            .zip(last.pixels())
            .filter(|(a, b)| a != b)
            .count();
        assert!(
            differing > 1000,
            "{}: first and last pan frames differ in only {differing} pixels",
            p.name
        );
    }

    let mut g = c.benchmark_group("pan_1600x900");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    for p in &pans {
        // Each iteration is the next frame of the 60-frame pan (cycling).
        g.bench_function(format!("{}/scene", p.name), |b| {
            let mut i = 0;
            b.iter(|| {
                let s = build_frame_with(&p.model, &p.states[i % FRAMES], SIZE, 1.0);
                i += 1;
                s
            })
        });
        g.bench_function(format!("{}/render", p.name), |b| {
            let mut i = 0;
            b.iter(|| {
                gpu.draw_and_wait(&p.scenes[i % FRAMES], &target)
                    .unwrap_or_else(|e| panic!("{e}"));
                i += 1;
            })
        });
        g.bench_function(format!("{}/frame", p.name), |b| {
            let mut i = 0;
            b.iter(|| {
                let scene = build_frame_with(&p.model, &p.states[i % FRAMES], SIZE, 1.0);
                gpu.draw_and_wait(&scene, &target)
                    .unwrap_or_else(|e| panic!("{e}"));
                i += 1;
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
