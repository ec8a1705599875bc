//! Frame geometry without a GPU: the decimated line keeps the exact envelope
//! of 10 M points with O(pixels) instances, whatever the view.

mod common;

use gpu_charts::render::ChartSession;
use gpu_charts::scene::frame::Instances;
use gpu_charts::scene::{ViewRange, build_frame};

#[test]
fn ten_million_points_become_a_few_per_pixel_and_keep_their_extremes() {
    let mut session = ChartSession::default();
    let model = session
        .load(&common::repo().join("examples/ticks.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    let table = &model.tables["ticks"];
    assert_eq!(table.len(), 10_000_000);
    let ts = &table.timeline.timestamps;
    let values = &table.column("value").unwrap().values;

    // The whole range, then a zoom onto 1% of it, then a zoom onto ~50 points.
    let n = ts.len();
    let views = [
        model.initial_view,
        ViewRange {
            x0: ts[n / 2] as f64,
            x1: ts[n / 2 + n / 100] as f64,
        },
        ViewRange {
            x0: ts[n / 3] as f64,
            x1: ts[n / 3 + 50] as f64,
        },
    ];
    for view in views {
        let frame = build_frame(&model, view, [1000, 500], 1.0);
        let pane = frame.panes[0];
        let Instances::Points(points) = &frame.series[0].instances else {
            panic!("a line draws points")
        };
        let plot_w = pane.plot[2] as usize;
        assert!(
            points.len() <= plot_w + 2,
            "{} instances for {plot_w} px",
            points.len()
        );

        // Exact extremes of the visible data, computed directly.
        let a = ts.partition_point(|&t| (t as f64) < view.x0);
        let b = ts.partition_point(|&t| (t as f64) <= view.x1);
        let (lo, hi) = values[a..b]
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| {
                (l.min(v), h.max(v))
            });
        // Highest point drawn (smallest y) and lowest, in plot space.
        let top = points
            .iter()
            .map(|p| p.top_px)
            .fold(f32::INFINITY, f32::min);
        let bottom = points
            .iter()
            .map(|p| p.bottom_px)
            .fold(f32::NEG_INFINITY, f32::max);
        let y = |v: f64| pane.y_of(v) - pane.plot[1];
        // Edge points just outside the view may extend further; never less.
        assert!(
            top <= y(hi) + 0.01,
            "max {hi} drawn at {top}, expected {}",
            y(hi)
        );
        assert!(
            bottom >= y(lo) - 0.01,
            "min {lo} drawn at {bottom}, expected {}",
            y(lo)
        );
        // And the autoscale puts those extremes inside the plot.
        assert!(y(hi) >= 0.0 && y(lo) <= pane.plot[3]);
        // Inverse mapping for crosshair readouts.
        assert!((pane.value_at(pane.y_of(hi)) - hi).abs() <= 1e-6 * hi.abs().max(1.0));
    }
}

#[test]
fn bars_aggregate_when_denser_than_two_pixels() {
    let mut session = ChartSession::default();
    let model = session
        .load(&common::repo().join("runtime/tests/charts/aapl_light_log.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    // 3,270 bars in ~800 px: groups of several bars, each with the group's extremes.
    let frame = build_frame(&model, model.initial_view, [900, 500], 1.0);
    let Instances::Bars(bars) = &frame.series[0].instances else {
        panic!("candles draw bars")
    };
    assert!(bars.len() <= 900 / 2 + 2, "{} bar instances", bars.len());
    let t = &model.tables["aapl"];
    let high = t
        .column("high")
        .unwrap()
        .values
        .iter()
        .cloned()
        .fold(f64::NEG_INFINITY, f64::max);
    let pane = frame.panes[0];
    let top = bars.iter().map(|b| b.high_px).fold(f32::INFINITY, f32::min);
    assert!(
        (top - (pane.y_of(high) - pane.plot[1])).abs() < 0.01,
        "the all-time high survives aggregation"
    );
}

/// HiDPI: the same chart at pixel ratio 2 on a target twice as large lays
/// out the same labels at twice the size and twice the offsets, draws lines
/// twice as wide, and keeps the plot rectangles at twice the size.
#[test]
fn pixel_ratio_two_scales_the_layout_not_the_content() {
    let mut session = ChartSession::default();
    let model = session
        .load(&common::repo().join("examples/aapl.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    let one = build_frame(&model, model.initial_view, [800, 450], 1.0);
    let two = build_frame(&model, model.initial_view, [1600, 900], 2.0);
    let labels = |f: &gpu_charts::scene::FrameScene| {
        f.texts.iter().map(|t| t.text.clone()).collect::<Vec<_>>()
    };
    assert_eq!(labels(&one), labels(&two), "the same labels");
    for (a, b) in one.texts.iter().zip(&two.texts) {
        assert_eq!(b.size_px, a.size_px * 2.0, "{}", a.text);
        assert!(
            (b.x - 2.0 * a.x).abs() <= 2.0,
            "{}: x {} vs {}",
            a.text,
            b.x,
            a.x
        );
        assert!(
            (b.y - 2.0 * a.y).abs() <= 2.0,
            "{}: y {} vs {}",
            a.text,
            b.y,
            a.y
        );
    }
    assert_eq!(one.panes.len(), two.panes.len());
    for (a, b) in one.panes.iter().zip(&two.panes) {
        for k in 0..4 {
            assert!(
                (b.plot[k] - 2.0 * a.plot[k]).abs() <= 2.0,
                "plot {:?} vs {:?}",
                b.plot,
                a.plot
            );
        }
    }
    for (a, b) in one.series.iter().zip(&two.series) {
        assert_eq!(b.uniform.line_width_px, a.uniform.line_width_px * 2.0);
    }
}
