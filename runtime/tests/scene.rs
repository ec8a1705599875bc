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

/// The sizes the size property tests walk: every small square and oblong
/// size on a grid (1..=64 in steps of 3 both ways), primes, and the
/// lopsided sizes of issue 14 (16×900, 1600×16, 40×40, 100×100).
fn small_and_odd_sizes() -> Vec<[u32; 2]> {
    let mut sizes = Vec::new();
    for w in (1..=64).step_by(3) {
        for h in (1..=64).step_by(3) {
            sizes.push([w, h]);
        }
    }
    let primes = [2, 3, 5, 7, 11, 13, 17, 31, 61, 67, 97, 127, 251, 509];
    for &a in &primes {
        for &b in &primes {
            sizes.push([a, b]);
        }
    }
    sizes.extend([
        [16, 16],
        [40, 40],
        [100, 100],
        [16, 900],
        [1600, 16],
        [1, 900],
        [1600, 1],
        [64, 64],
        [113, 81],
    ]);
    sizes
}

/// Issue 14: sizes inside the advertised range (16×16, 40×40, 100×100,
/// 16×900, 1600×16) panicked in `build_frame_with` (an inverted clamp).
/// Every small and odd size builds a frame, at pixel ratios 1 and 2 and with
/// the crosshair at a corner and in the middle; the plot stays inside the
/// image and every text's baseline is on it.
#[test]
fn every_small_and_odd_size_builds_a_frame_without_panic() {
    use gpu_charts::scene::interact::ViewState;
    let mut session = ChartSession::default();
    let model = session
        .load(&common::repo().join("examples/aapl.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    for size in small_and_odd_sizes() {
        for ratio in [1.0f32, 2.0] {
            for cursor in [
                None,
                Some([0.0f32, 0.0]),
                Some([size[0] as f32 / 2.0, size[1] as f32 / 2.0]),
            ] {
                let mut state = ViewState::with_view(&model, model.initial_view);
                state.crosshair = cursor;
                let frame = gpu_charts::scene::frame::build_frame_with(&model, &state, size, ratio);
                let (w, h) = (size[0] as f32, size[1] as f32);
                assert_eq!(frame.panes.len(), 2, "{size:?}");
                for p in &frame.panes {
                    let [x, y, pw, ph] = p.plot;
                    assert!(
                        x >= 0.0 && y >= 0.0 && pw >= 1.0 && x + pw <= w.max(1.0) + 0.01,
                        "{size:?} @{ratio}: plot {:?}",
                        p.plot
                    );
                    assert!(
                        y + ph <= h.max(1.0) + 0.01,
                        "{size:?} @{ratio}: plot {:?}",
                        p.plot
                    );
                }
                for t in &frame.texts {
                    assert!(
                        t.y >= 0.0 && t.y <= h && t.x >= 0.0 && t.x < w,
                        "{size:?} @{ratio}: text {:?} at {},{} outside the image",
                        t.text,
                        t.x,
                        t.y
                    );
                }
            }
        }
    }
}

/// A 16×16 (or 1×1) image is just the plot: no axes, labels or legend, and
/// the panes fill the whole image. Big enough sizes keep all of it.
#[test]
fn tiny_images_are_just_the_plot() {
    let mut session = ChartSession::default();
    let model = session
        .load(&common::repo().join("examples/aapl.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    for size in [[1, 1], [16, 16], [40, 40]] {
        let frame = build_frame(&model, model.initial_view, size, 1.0);
        assert!(frame.texts.is_empty(), "{size:?}: {:?}", frame.texts);
        let (w, h) = (size[0] as f32, size[1] as f32);
        assert_eq!(frame.panes[0].plot[..3], [0.0, 0.0, w], "{size:?}");
        let last = frame.panes[1].plot;
        assert!((last[1] + last[3] - h).abs() < 0.01, "{size:?}: {last:?}");
        // The candles still draw.
        assert!(!frame.series.is_empty(), "{size:?}");
        if size[1] <= 16 {
            // No grid, separator or axis line either: only the plot.
            assert!(frame.under.is_empty(), "{size:?}: grid {:?}", frame.under);
            assert!(frame.over.is_empty(), "{size:?}: {:?}", frame.over);
        }
    }
    // Too narrow for time labels, too low for price labels: the plot only.
    for size in [[16, 900], [1600, 16]] {
        let frame = build_frame(&model, model.initial_view, size, 1.0);
        let last = frame.panes[1].plot;
        assert_eq!(frame.panes[0].plot[2], size[0] as f32, "{size:?}");
        assert!(
            (last[1] + last[3] - size[1] as f32).abs() < 0.01,
            "{size:?}"
        );
    }
    // 100 px wide: room for the time axis, not for the price axis.
    let narrow = build_frame(&model, model.initial_view, [100, 900], 1.0);
    assert_eq!(narrow.panes[0].plot[2], 100.0);
    let bottom = narrow.panes[1].plot[1] + narrow.panes[1].plot[3];
    assert!(bottom < 900.0 - 20.0, "{bottom}");
    // The usual size has the title, the legend and both axes.
    let full = build_frame(&model, model.initial_view, [800, 450], 1.0);
    let texts: Vec<&str> = full.texts.iter().map(|t| t.text.as_str()).collect();
    assert!(texts.contains(&"AAPL daily"), "{texts:?}");
    assert!(full.panes[0].plot[2] < 800.0 - 40.0);
}
