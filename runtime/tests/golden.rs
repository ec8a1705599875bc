//! Golden-image tests: the demo charts rendered headless (lavapipe in CI)
//! and compared with committed PNGs. `UPDATE_SNAPSHOTS=1` rewrites them.

mod common;

use std::sync::{Mutex, OnceLock};

use gpu_charts::render::{ChartSession, Offscreen};
use gpu_charts::scene::build_frame;

/// One GPU for all tests in this binary (lavapipe devices are expensive).
fn gpu() -> &'static Mutex<Offscreen> {
    static GPU: OnceLock<Mutex<Offscreen>> = OnceLock::new();
    GPU.get_or_init(|| {
        Mutex::new(Offscreen::new().expect("a GPU adapter (install mesa-vulkan-drivers)"))
    })
}

fn render(chart: &str, size: [u32; 2]) -> image::RgbaImage {
    let mut session = ChartSession::default();
    let model = session
        .load(&common::repo().join(chart))
        .unwrap_or_else(|e| panic!("{e}"));
    let scene = build_frame(&model, model.initial_view, size, 1.0);
    let mut gpu = gpu().lock().unwrap_or_else(|p| p.into_inner());
    gpu.render(&scene).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn aapl_daily_candles_with_sma_ema_and_volume() {
    let img = render("examples/aapl.toml", [1200, 700]);
    common::assert_golden("aapl", &img, 40, 0.004);
}

#[test]
fn aapl_light_theme_log_scale() {
    let img = render("runtime/tests/charts/aapl_light_log.toml", [900, 500]);
    common::assert_golden("aapl_light_log", &img, 40, 0.004);
}

#[test]
fn ten_million_ticks_keep_their_envelope() {
    let img = render("examples/ticks.toml", [1000, 500]);
    common::assert_golden("ticks", &img, 40, 0.004);
}

#[test]
fn lua_supertrend_keltner_and_per_bar_rsi() {
    let img = render("examples/aapl_lua.toml", [1000, 600]);
    common::assert_golden("aapl_lua", &img, 40, 0.004);
}

#[test]
fn quik_scripts_unmodified_cp1251_bollinger_atr_and_cross_markers() {
    let img = render("examples/aapl_quik.toml", [1000, 600]);
    common::assert_golden("aapl_quik", &img, 40, 0.004);
}

#[test]
fn lua_ichimoku_cloud_band() {
    let img = render("examples/aapl_ichimoku.toml", [1000, 600]);
    common::assert_golden("aapl_ichimoku", &img, 40, 0.004);
}

/// Dashed, dotted and dash-dot lines (a script's `dash`, QUIK's TYPE_DASH
/// ...): three flat lines in a pane of their own, each row's colour runs
/// measured along x.
#[test]
fn dashed_lines_alternate_on_and_off_with_their_pattern() {
    let dir = tempfile::tempdir().unwrap();
    let data = common::repo().join("data/stocks.csv.gz");
    std::fs::write(
        dir.path().join("flat.lua"),
        "indicator { outputs = {\n\
           { name = 'solid', color = '#ff0000', width = 2, pane = 'own' },\n\
           { name = 'dash', color = '#00ff00', width = 2, pane = 'own', dash = 'dash' },\n\
           { name = 'dot', color = '#0000ff', width = 2, pane = 'own', dash = 'dot' },\n\
           { name = 'dashdot', color = '#ffff00', width = 2, pane = 'own', dash = 'dashdot' } } }\n\
         function calculate()\n\
           local z = close * 0\n\
           return { solid = z + 4, dash = z + 3, dot = z + 2, dashdot = z + 1 }\n\
         end\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("chart.toml"),
        format!(
            r#"size = [600, 400]
[view]
start = "2012-01-03"
end = "2012-06-01"
[sources.aapl]
kind = "csv"
params = {{ path = "{}", symbol = "AAPL" }}
[[indicators]]
id = "flat"
script = "flat.lua"
input = "aapl"
[[panes]]
[[panes.series]]
type = "candlestick"
data = "aapl"
"#,
            data.display()
        ),
    )
    .unwrap();
    let mut session = ChartSession::default();
    let model = session
        .load(&dir.path().join("chart.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    let size = [600, 400];
    let scene = build_frame(&model, model.initial_view, size, 1.0);
    // Each output asked for a pane of its own: panes 1 to 4.
    assert_eq!(scene.panes.len(), 5);
    let img = {
        let mut gpu = gpu().lock().unwrap_or_else(|p| p.into_inner());
        gpu.render(&scene).unwrap_or_else(|e| panic!("{e}"))
    };
    // Runs of "this line's colour" along the row through the line's centre,
    // inside the plot (away from its ends).
    // Runs of "this line's colour" along x, inside the plot (away from its
    // ends), on whichever of the rows through the line's centre shows it
    // most (a grid line may cross the centre row).
    let runs = |pane: usize, value: f64, want: [u8; 3]| -> Vec<(bool, u32)> {
        let plot = scene.panes[pane].plot;
        let yc = scene.panes[pane].y_of(value).round() as i32;
        let (x0, x1) = (plot[0] as u32 + 20, (plot[0] + plot[2]) as u32 - 20);
        let row = |y: u32| -> Vec<bool> {
            (x0..x1)
                .map(|x| {
                    let p = img.get_pixel(x, y).0;
                    (0..3).all(|c| p[c].abs_diff(want[c]) < 60)
                })
                .collect()
        };
        let best = (yc - 2..=yc + 2)
            .map(|y| row(y as u32))
            .max_by_key(|r| r.iter().filter(|&&on| on).count())
            .unwrap_or_default();
        let mut out: Vec<(bool, u32)> = Vec::new();
        for on in best {
            match out.last_mut() {
                Some((o, n)) if *o == on => *n += 1,
                _ => out.push((on, 1)),
            }
        }
        out
    };
    let solid = runs(1, 4.0, [255, 0, 0]);
    assert_eq!(solid.len(), 1, "a solid line has no gaps: {solid:?}");
    assert!(solid[0].0);
    // Inner runs only (the first and last are cut by the window).
    let inner = |r: &[(bool, u32)]| -> (Vec<u32>, Vec<u32>) {
        let r = &r[1..r.len() - 1];
        (
            r.iter().filter(|x| x.0).map(|x| x.1).collect(),
            r.iter().filter(|x| !x.0).map(|x| x.1).collect(),
        )
    };
    // Width 2 px: dash 12 on / 8 off; dot 3 on / 3 off; dash-dot 12, 6, 3, 7.
    let (on, off) = inner(&runs(2, 3.0, [0, 255, 0]));
    assert!(on.len() >= 10, "dashes: {on:?}");
    assert!(
        on.iter().all(|&n| (11..=13).contains(&n)),
        "dash lengths {on:?}"
    );
    assert!(
        off.iter().all(|&n| (7..=9).contains(&n)),
        "gap lengths {off:?}"
    );
    let (on, off) = inner(&runs(3, 2.0, [0, 0, 255]));
    assert!(on.len() >= 40, "dots: {on:?}");
    assert!(
        on.iter().all(|&n| (2..=4).contains(&n)),
        "dot lengths {on:?}"
    );
    assert!(
        off.iter().all(|&n| (2..=4).contains(&n)),
        "dot gaps {off:?}"
    );
    let (on, _) = inner(&runs(4, 1.0, [255, 255, 0]));
    assert!(
        on.iter().any(|&n| n >= 11) && on.iter().any(|&n| n <= 4),
        "dash-dot {on:?}"
    );
}
