//! A failing indicator never takes the chart down: a Lua runtime error, a
//! Lua script over its instruction limit and a plugin returning an error
//! code each drop out (with what reads them) while the candles and a good
//! SMA draw; the errors are on stderr once each and in a banner over the
//! image; `render`, `export` and `validate` exit with status 3 (drawn with
//! failed parts); `render --watch` starts and keeps running.

mod common;
mod plugin_support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use gpu_charts::config::ConfigErrorKind;
use gpu_charts::render::ChartSession;
use gpu_charts::scene::model::SeriesData;

const HEADER: &str = "Ticker,Date,Open,High,Low,Close,Volume,Adj Close\n";

/// 60 daily bars with a gentle wave, so the SMA line is visible.
fn rows() -> String {
    let mut out = String::from(HEADER);
    let day0 = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    for i in 0..60 {
        let d = day0 + chrono::Duration::days(i);
        let c = 100.0 + 10.0 * (i as f64 / 6.0).sin();
        let o = c - 1.5 * (i as f64 / 2.0).cos();
        let (h, l) = (c.max(o) + 1.0, c.min(o) - 1.0);
        out.push_str(&format!("X,{d},{o:.3},{h:.3},{l:.3},{c:.3},1000,{c:.3}\n"));
    }
    out
}

const SMA_COLOR: &str = "#f5a623";

/// The good part: candles and a 5-bar SMA.
fn good_chart(plugins: &Path) -> String {
    format!(
        r##"plugins = [{plugins:?}]
size = [800, 900]

[sources.px]
kind = "csv"
params = {{ path = "px.csv" }}

[[indicators]]
id = "sma5"
kind = "sma"
input = "px.close"
params = {{ period = 5 }}
"##
    )
}

const GOOD_PANES: &str = r##"
[[panes]]
[[panes.series]]
type = "candlestick"
data = "px"
[[panes.series]]
type = "line"
data = "sma5"
color = "#f5a623"
"##;

/// Failing parts: a runtime error, an endless loop, a plugin error code,
/// and an SMA over the failing plugin indicator (drawn in the first pane).
const BAD_PARTS: &str = r##"
[[indicators]]
id = "boom"
script = "boom.lua"
input = "px"

[[indicators]]
id = "spin"
script = "spin.lua"
input = "px"

[[indicators]]
id = "cf"
kind = "c_fail"
input = "px.close"

[[indicators]]
id = "after_cf"
kind = "sma"
input = "cf"
params = { period = 3 }
"##;

const BAD_SERIES: &str = r##"
[[panes.series]]
type = "line"
data = "cf"
[[panes.series]]
type = "line"
data = "after_cf"
"##;

struct Fixture {
    dir: tempfile::TempDir,
    /// The chart with the failing parts.
    chart: PathBuf,
    /// The same chart without them.
    good: PathBuf,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let plugins = dir.path().join("plugins");
    std::fs::create_dir(&plugins).unwrap();
    plugin_support::build_c_plugin("error_plugin.c", &[], &plugins, "gpu_charts_plugin_errors");
    std::fs::write(dir.path().join("px.csv"), rows()).unwrap();
    std::fs::write(
        dir.path().join("boom.lua"),
        "indicator { outputs = { { name = 'v' } } }\nfunction calculate(p)\n  error('boom at runtime')\nend\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("spin.lua"),
        "indicator { outputs = { { name = 'v' } } }\nfunction calculate(p)\n  local x = 0\n  while true do x = x + 1 end\nend\n",
    )
    .unwrap();
    let head = good_chart(&plugins);
    let chart = dir.path().join("chart.toml");
    std::fs::write(&chart, format!("{head}{BAD_PARTS}{GOOD_PANES}{BAD_SERIES}")).unwrap();
    let good = dir.path().join("good.toml");
    std::fs::write(&good, format!("{head}{GOOD_PANES}")).unwrap();
    Fixture { dir, chart, good }
}

fn run(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gpu-charts"))
        .args(args)
        .current_dir(cwd)
        .env("GPU_CHARTS_PLUGIN_PATH", plugin_dir())
        .env("XDG_RUNTIME_DIR", std::env::temp_dir())
        .output()
        .expect("run gpu-charts")
}

/// `cargo test` leaves the built-in plugin libraries beside the test binary.
fn plugin_dir() -> PathBuf {
    std::env::current_exe()
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Each failure's words, as they must appear once on stderr.
const FAILURES: [&str; 4] = [
    "boom at runtime",
    "instruction limit reached",
    "row 3 is negative (-1.5)",
    "indicator `after_cf` is left out: input `cf` failed",
];

fn assert_each_error_once(stderr: &str) {
    for f in FAILURES {
        assert_eq!(
            stderr.matches(f).count(),
            1,
            "`{f}` must be on stderr once:\n{stderr}"
        );
    }
}

#[test]
fn failed_indicators_drop_out_and_the_rest_of_the_model_stays() {
    let fx = fixture();
    let mut session = ChartSession::default();
    let model = session.load(&fx.chart).unwrap_or_else(|e| panic!("{e}"));
    let failed: Vec<(&str, ConfigErrorKind, &str)> = model
        .failed
        .iter()
        .map(|f| (f.id.as_str(), f.error.kind, f.error.key_path.as_str()))
        .collect();
    assert_eq!(
        failed,
        vec![
            ("boom", ConfigErrorKind::Script, "indicators[1]"),
            ("spin", ConfigErrorKind::Script, "indicators[2]"),
            ("cf", ConfigErrorKind::Plugin, "indicators[3]"),
            (
                "after_cf",
                ConfigErrorKind::Reference,
                "indicators[4].input"
            ),
        ]
    );
    let spin = &model.failed[1].error.to_string();
    assert!(spin.contains("spin.lua:4"), "the loop's line: {spin}");
    assert_eq!(model.failed[3].because_of.as_deref(), Some("cf"));
    assert!(model.failed[3].error.line > 0, "located in the chart file");
    // The good parts: candles and the SMA, nothing of the failed ones.
    let names: Vec<&str> = model.columns.iter().map(|c| c.name.as_str()).collect();
    assert!(
        names.contains(&"sma5") && names.contains(&"px.close"),
        "{names:?}"
    );
    for bad in ["boom", "spin", "cf", "after_cf"] {
        assert!(
            !names.iter().any(|n| n.starts_with(bad)),
            "{bad} in {names:?}"
        );
    }
    assert_eq!(model.panes.len(), 1, "no pane for the failed scripts");
    let series: Vec<&str> = model.panes[0]
        .series
        .iter()
        .map(|s| s.label.as_str())
        .collect();
    assert_eq!(series, ["px", "sma5"]);
    assert!(matches!(model.panes[0].series[0].data, SeriesData::Bars(_)));
    let report = model.failure_report().unwrap();
    assert!(
        report.starts_with("4 indicators failed and are left out"),
        "{report}"
    );
}

/// Colour as 8-bit RGB.
fn rgb(hex: &str) -> [u8; 3] {
    let v = u32::from_str_radix(hex.trim_start_matches('#'), 16).unwrap();
    [(v >> 16) as u8, (v >> 8) as u8, v as u8]
}

/// A palette colour (linear) as the 8-bit sRGB the PNG holds.
fn srgb(c: [f32; 4]) -> [u8; 3] {
    let e = |l: f32| {
        let s = if l <= 0.003_130_8 {
            12.92 * l
        } else {
            1.055 * l.powf(1.0 / 2.4) - 0.055
        };
        (s * 255.0).round() as u8
    };
    [e(c[0]), e(c[1]), e(c[2])]
}

fn count_near(img: &image::RgbaImage, rows: std::ops::Range<u32>, c: [u8; 3]) -> usize {
    rows.flat_map(|y| (0..img.width()).map(move |x| (x, y)))
        .filter(|&(x, y)| {
            let p = img.get_pixel(x, y).0;
            (0..3).all(|k| p[k].abs_diff(c[k]) <= 12)
        })
        .count()
}

#[test]
fn render_draws_the_good_parts_with_a_banner_and_exits_3() {
    let fx = fixture();
    let png = fx.dir.path().join("partial.png");
    let out = run(
        &[
            "render",
            fx.chart.to_str().unwrap(),
            "-o",
            png.to_str().unwrap(),
        ],
        fx.dir.path(),
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "stderr: {stderr}");
    assert_each_error_once(&stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");

    let reference = fx.dir.path().join("good.png");
    let ok = run(
        &[
            "render",
            fx.good.to_str().unwrap(),
            "-o",
            reference.to_str().unwrap(),
        ],
        fx.dir.path(),
    );
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stderr));

    let img = image::open(&png).unwrap().to_rgba8();
    let good = image::open(&reference).unwrap().to_rgba8();
    assert_eq!(img.dimensions(), good.dimensions());
    let (w, h) = img.dimensions();
    // The banner (the dark theme's error colour) covers the top...
    let theme = gpu_charts::scene::theme::Palette::of(gpu_charts::config::Theme::Dark);
    let banner = srgb(theme.error_bg);
    assert!(
        count_near(&img, 0..40, banner) > (w as usize * 20),
        "no banner at the top: pixel {:?}, banner colour {banner:?}",
        img.get_pixel(w / 2, 5)
    );
    assert_eq!(
        count_near(&good, 0..40, banner),
        0,
        "the complete chart has none"
    );
    // ...and below it (at most 60% of the height) the chart is exactly the
    // complete chart of the good parts: candles and the SMA.
    let below = (h as f32 * 0.62) as u32..h;
    assert!(
        count_near(&good, below.clone(), rgb(SMA_COLOR)) > 20,
        "the SMA runs through the compared rows"
    );
    let up = srgb(theme.up);
    assert!(
        count_near(&good, below.clone(), up) > 50,
        "candles in the compared rows"
    );
    let differing = below
        .flat_map(|y| (0..w).map(move |x| (x, y)))
        .filter(|&(x, y)| img.get_pixel(x, y) != good.get_pixel(x, y))
        .count();
    assert_eq!(
        differing, 0,
        "the good parts draw as without the failed ones"
    );
}

#[test]
fn export_writes_the_good_columns_and_validate_reports_the_failed_ones() {
    let fx = fixture();
    let csv = fx.dir.path().join("out.csv");
    let out = run(
        &[
            "export",
            fx.chart.to_str().unwrap(),
            "-o",
            csv.to_str().unwrap(),
        ],
        fx.dir.path(),
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "stderr: {stderr}");
    assert_each_error_once(&stderr);
    let body = std::fs::read_to_string(&csv).unwrap();
    let header: Vec<&str> = body.lines().next().unwrap().split(',').collect();
    assert!(
        header.contains(&"sma5") && header.contains(&"px.close"),
        "{header:?}"
    );
    for bad in ["boom", "spin", "cf", "after_cf"] {
        assert!(
            !header.iter().any(|h| h.starts_with(bad)),
            "{bad} in {header:?}"
        );
    }
    assert_eq!(body.lines().count(), 61, "header and 60 rows");

    let out = run(&["validate", fx.chart.to_str().unwrap()], fx.dir.path());
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(3), "stderr: {stderr}");
    assert!(
        stdout.contains("drawn without boom, spin, cf, after_cf (failed)"),
        "{stdout}"
    );
    assert_each_error_once(&stderr);

    let out = run(&["validate", fx.good.to_str().unwrap()], fx.dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn render_watch_starts_with_failed_parts_and_keeps_running() {
    let fx = fixture();
    let png = fx.dir.path().join("watch.png");
    let child = Command::new(env!("CARGO_BIN_EXE_gpu-charts"))
        .args(["render", "--watch", "--exit-after-ms", "4000"])
        .arg(&fx.chart)
        .arg("-o")
        .arg(&png)
        .current_dir(fx.dir.path())
        .env("GPU_CHARTS_PLUGIN_PATH", plugin_dir())
        .env("XDG_RUNTIME_DIR", std::env::temp_dir())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    // It ran until told to stop, not until the first failure.
    assert!(out.status.success(), "{}: {stderr}", out.status);
    assert!(stdout.contains("generation 1: wrote"), "{stdout}");
    assert_each_error_once(&stderr);
    assert!(
        stderr.contains("generation 1 is drawn without boom, spin, cf, after_cf"),
        "{stderr}"
    );
    assert!(image::open(&png).is_ok());
}

#[test]
fn help_documents_the_exit_status() {
    let out = run(&["--help"], &common::repo());
    let help = text(&out.stdout);
    assert!(help.contains("Exit status:"), "{help}");
    assert!(help.contains("3  drawn with failed parts"), "{help}");
}
