//! Where a pan frame's time goes as the number of points grows (issue 15:
//! "the part after the scene grows from 0.8 ms at 10 M to 3.3 ms at 1 B").
//! For each size in `GPU_CHARTS_SCALE_ROWS` (comma-separated, default
//! `10000000,100000000`) a synthetic line is panned as in `pan.rs`, and
//! three loops are timed (medians over the 60-frame pan, 3 rounds):
//!
//! * `scene alone`: `build_frame_with` back to back (what `pan.rs` calls scene);
//! * `render alone`: encode + submit + wait of prebuilt scenes;
//! * `frame`: both interleaved, each part timed on its own, as a window does.
//!
//! `scene in frame` − `scene alone` is the cost of the scene's memory
//! traffic when the renderer runs between two scenes (caches and TLB
//! evicted); the renderer's own part is `render in frame`. Also printed: the
//! bytes the renderer uploaded and the instances drawn per frame.
//! Plain `main` (no criterion): the point is the split, not a confidence
//! interval. `cargo bench -p gpu-charts-benches --bench frame_scale`.
use std::time::{Duration, Instant};

use gpu_charts::config::parse_chart_str;
use gpu_charts::render::{ChartSession, Offscreen};
use gpu_charts::scene::frame::{FrameScene, build_frame_with};

const SIZE: [u32; 2] = [1600, 900];
const FRAMES: usize = 60;

fn chart(rows: u64) -> String {
    format!(
        r##"title = "scale {rows}"
size = [1600, 900]
timezone = "UTC"
x_axis = "time"
# 100 M points take 2.4 GiB with their pyramids: more than the default budget.
memory_budget = "{budget} GiB"
[sources.ticks]
kind = "synthetic"
params = {{ rows = {rows}, seed = 7, mean_interval_ms = 100 }}
[[panes]]
[[panes.series]]
type = "line"
data = "ticks.value"
"##,
        budget = (rows * 40 >> 30) + 1
    )
}

fn median(mut v: Vec<Duration>) -> f64 {
    v.sort();
    v[v.len() / 2].as_secs_f64() * 1e3
}

fn main() {
    let sizes: Vec<u64> = std::env::var("GPU_CHARTS_SCALE_ROWS")
        .unwrap_or_else(|_| "10000000,100000000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let mut gpu = Offscreen::new().unwrap_or_else(|e| panic!("{e}"));
    eprintln!("adapter: {}", gpu.ctx.adapter_summary());
    let view = gpu.window_target(SIZE, "target");
    let draw = |gpu: &mut Offscreen, scene: &FrameScene| {
        gpu.draw_and_wait(scene, &view)
            .unwrap_or_else(|e| panic!("{e}"));
    };
    println!(
        "rows\tscene alone ms\trender alone ms\tscene in frame ms\trender in frame ms\tupload B/frame\tinstances/frame"
    );
    for rows in sizes {
        let mut session = ChartSession::new(gpu_charts_benches::plugin_dirs());
        let path = gpu_charts_benches::repo_root().join("examples/bench_scale.toml");
        let loaded = parse_chart_str(&chart(rows), &path).unwrap_or_else(|e| panic!("{e}"));
        let t0 = Instant::now();
        let model = session.model(&loaded).unwrap_or_else(|e| panic!("{e}"));
        eprintln!("{rows} rows loaded in {:.1} s", t0.elapsed().as_secs_f64());
        let (states, _) = gpu_charts_benches::pan_states(&model, SIZE, FRAMES, 20.0);
        let scenes: Vec<FrameScene> = states
            .iter()
            .map(|s| build_frame_with(&model, s, SIZE, 1.0))
            .collect();
        let (mut alone, mut render, mut in_scene, mut in_render) = (vec![], vec![], vec![], vec![]);
        let before = gpu.renderer.stats();
        for _round in 0..3 {
            for s in &states {
                let t = Instant::now();
                std::hint::black_box(build_frame_with(&model, s, SIZE, 1.0));
                alone.push(t.elapsed());
            }
            for sc in &scenes {
                let t = Instant::now();
                draw(&mut gpu, sc);
                render.push(t.elapsed());
            }
            for s in &states {
                let t = Instant::now();
                let sc = build_frame_with(&model, s, SIZE, 1.0);
                in_scene.push(t.elapsed());
                let t = Instant::now();
                draw(&mut gpu, &sc);
                in_render.push(t.elapsed());
            }
        }
        let after = gpu.renderer.stats();
        let frames = (after.frames - before.frames).max(1);
        let instances: usize = scenes
            .iter()
            .map(|s| s.series.iter().map(|x| x.instances.len()).sum::<usize>())
            .sum::<usize>()
            / FRAMES;
        println!(
            "{rows}\t{:.3}\t{:.3}\t{:.3}\t{:.3}\t{}\t{}",
            median(alone),
            median(render),
            median(in_scene),
            median(in_render),
            (after.bytes_uploaded - before.bytes_uploaded) / frames,
            instances
        );
    }
}
