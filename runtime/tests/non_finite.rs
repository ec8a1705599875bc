//! One `+inf` in an indicator's output never blanks its pane: non-finite
//! outputs of a Lua script or a plugin are gaps, and the pane's value axis
//! keeps the data's range with the candles drawn.

mod common;
mod plugin_support;

use std::path::Path;

use gpu_charts::render::ChartSession;
use gpu_charts::scene::frame::{Instances, build_frame};

const HEADER: &str = "Ticker,Date,Open,High,Low,Close,Volume,Adj Close\n";

/// 40 daily bars between 95 and 105.
fn rows() -> String {
    let mut out = String::from(HEADER);
    let day0 = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    for i in 0..40 {
        let d = day0 + chrono::Duration::days(i);
        let c = 100.0 + 4.0 * (i as f64 / 5.0).sin();
        out.push_str(&format!("X,{d},{c},{},{},{c},1000,{c}\n", c + 1.0, c - 1.0));
    }
    out
}

/// Loads a chart (top-level keys `top`) of candles with `indicator` (id `x`)
/// drawn as a line in the same pane, and checks the pane: its axis spans the candles' range
/// (95..105 with some room) and the candles are drawn.
fn assert_pane_keeps_the_data_range(dir: &Path, top: &str, indicator: &str) {
    std::fs::write(dir.join("px.csv"), rows()).unwrap();
    let chart = format!(
        r#"{top}
size = [400, 300]
[sources.px]
kind = "csv"
params = {{ path = "px.csv" }}
{indicator}
[[panes]]
[[panes.series]]
type = "candlestick"
data = "px"
[[panes.series]]
type = "line"
data = "x"
"#
    );
    let path = dir.join("chart.toml");
    std::fs::write(&path, chart).unwrap();
    let mut session = ChartSession::default();
    let model = session.load(&path).unwrap_or_else(|e| panic!("{e}"));
    assert!(model.failed.is_empty(), "{:?}", model.failed);
    let x = model
        .columns
        .iter()
        .find(|c| c.name == "x")
        .expect("the indicator's column");
    let frame = build_frame(&model, model.initial_view, [400, 300], 1.0);
    let g = &frame.panes[0];
    let (top, bottom) = (g.value_at(g.plot[1]), g.value_at(g.plot[1] + g.plot[3]));
    assert!(
        top.is_finite() && bottom.is_finite() && (105.0..115.0).contains(&top),
        "axis top {top}"
    );
    assert!((85.0..95.0).contains(&bottom), "axis bottom {bottom}");
    let bars = frame
        .series
        .iter()
        .find_map(|d| match &d.instances {
            Instances::Bars(b) => Some(b.clone()),
            _ => None,
        })
        .unwrap_or_default();
    assert_eq!(bars.len(), 40, "one instance per candle");
    // Plot-space y: every candle lies inside the pane.
    let h = g.plot[3];
    for b in &bars {
        assert!(
            (0.0..=h).contains(&b.high_px) && (0.0..=h).contains(&b.low_px),
            "a candle off the pane: {b:?} (pane height {h})"
        );
    }
    assert!(
        x.data.column.values.iter().all(|v| !v.is_infinite()),
        "infinities are stored as gaps"
    );
}

#[test]
fn a_lua_script_emitting_inf_leaves_the_pane_its_range() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("spike.lua"),
        "Settings = { Name = 'spike', line = { { Name = 'v' } } }\n\
         function Init() return 1 end\n\
         function OnCalculate(i)\n\
           if i == 20 then return math.huge end\n\
           if i == 21 then return -math.huge end\n\
           return C(i)\n\
         end\n",
    )
    .unwrap();
    let ind = "[[indicators]]\nid = \"x\"\nscript = \"spike.lua\"\ninput = \"px\"\nplot = false\n";
    assert_pane_keeps_the_data_range(dir.path(), "", ind);
}

#[test]
fn a_plugin_emitting_inf_leaves_the_pane_its_range() {
    let dir = tempfile::tempdir().unwrap();
    let plugins = dir.path().join("plugins");
    std::fs::create_dir(&plugins).unwrap();
    // c_double multiplies by the factor: ~100 × 1e307 overflows to +inf.
    plugin_support::build_c_plugin(
        "example_plugin.c",
        &["GC_TEST_FACTOR=1e307", "GC_TEST_PLUGIN_NAME=\"c_huge\""],
        &plugins,
        "gpu_charts_plugin_huge",
    );
    let top = format!("plugins = [{:?}]", plugins.display().to_string());
    let ind = "[[indicators]]\nid = \"x\"\nkind = \"c_double\"\ninput = \"px.close\"\n";
    assert_pane_keeps_the_data_range(dir.path(), &top, ind);
}
