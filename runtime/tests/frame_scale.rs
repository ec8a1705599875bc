//! A frame costs O(pixels), not O(points) (issue 15: "the part after the
//! scene grows with the number of points"): the same chart span with 100×
//! more points uploads the same bytes and draws the same instances per
//! frame. Counts from `Renderer::stats`, no clocks.

use gpu_charts::config::parse_chart_str;
use gpu_charts::render::{ChartSession, Offscreen};
use gpu_charts::scene::frame::build_frame_with;
use gpu_charts::scene::interact::ViewState;

mod common;

const SIZE: [u32; 2] = [800, 450];

/// `rows` synthetic ticks over the same 2×10⁸ ms whatever `rows` is.
fn chart(rows: u64) -> String {
    let mean_ms = 2e8 / rows as f64;
    format!(
        r##"title = "scale"
size = [800, 450]
timezone = "UTC"
x_axis = "time"
[sources.ticks]
kind = "synthetic"
params = {{ rows = {rows}, seed = 7, mean_interval_ms = {mean_ms}, volatility = 0.0, spike_probability = 0.0 }}
[[panes]]
[[panes.series]]
type = "line"
data = "ticks.value"
"##
    )
}

/// (bytes uploaded, instances) of the second of two identical frames (the
/// first also uploads the glyph atlas), and the plot width.
fn frame_cost(session: &mut ChartSession, gpu: &mut Offscreen, rows: u64) -> (u64, usize, f32) {
    let path = common::repo().join("examples/frame_scale.toml");
    let loaded = parse_chart_str(&chart(rows), &path).unwrap_or_else(|e| panic!("{e}"));
    let model = session.model(&loaded).unwrap_or_else(|e| panic!("{e}"));
    let state = ViewState::new(&model);
    let scene = build_frame_with(&model, &state, SIZE, 1.0);
    gpu.render(&scene).unwrap_or_else(|e| panic!("{e}"));
    let before = gpu.renderer.stats();
    gpu.render(&scene).unwrap_or_else(|e| panic!("{e}"));
    let after = gpu.renderer.stats();
    assert_eq!(after.frames, before.frames + 1);
    let instances = scene.series.iter().map(|s| s.instances.len()).sum();
    (
        after.bytes_uploaded - before.bytes_uploaded,
        instances,
        scene.panes[0].plot[2],
    )
}

#[test]
fn bytes_uploaded_and_instances_per_frame_do_not_grow_with_the_points() {
    let mut session = ChartSession::default();
    let mut gpu = Offscreen::new().unwrap_or_else(|e| panic!("{e}"));
    // volatility 0: a flat line, so both charts have the same axis labels
    // and the same text to upload.
    let (small_bytes, small_inst, plot_w) = frame_cost(&mut session, &mut gpu, 20_000);
    let (big_bytes, big_inst, _) = frame_cost(&mut session, &mut gpu, 2_000_000);
    // One instance per pixel column (plus the row entering and the one
    // leaving the plot), not one per point.
    for inst in [small_inst, big_inst] {
        assert!(
            inst as f32 <= plot_w + 2.0 && inst as f32 >= plot_w / 2.0,
            "{inst} instances for a {plot_w} px plot"
        );
    }
    assert_eq!(big_inst, small_inst);
    assert_eq!(
        big_bytes, small_bytes,
        "bytes uploaded per frame: {small_bytes} at 20 k points, {big_bytes} at 2 M"
    );
    assert!(big_bytes < 64 << 10, "{big_bytes} bytes a frame");
}
