//! Appending bars through the data-store API: indicators compute only the
//! new rows (and the last bar again when it changes), and the result equals
//! computing everything from scratch.

mod common;

use common::model_column as column;
use gpu_charts::config::load_chart_file;
use gpu_charts::plugins::{PluginRegistry, default_search_dirs};
use gpu_charts::scene::model::{ChartModel, DataCache, build_live, build_model};

const CHART: &str = r#"
[sources.px]
kind = "csv"
params = { path = "px.csv", time_format = "epoch_ns" }
[[indicators]]
id = "sma20"
kind = "sma"
input = "px.close"
params = { period = 20 }
[[indicators]]
id = "ema50"
kind = "ema"
input = "px.close"
params = { period = 50 }
[[indicators]]
id = "ema_of_sma"
kind = "ema"
input = "sma20"
params = { period = 10 }
[[panes]]
[[panes.series]]
type = "candlestick"
data = "px"
[[panes.series]]
type = "line"
data = "ema_of_sma"
"#;

fn write_csv(path: &std::path::Path, ts: &[i64], cols: &[&[f64]], rows: std::ops::Range<usize>) {
    let mut text = String::from("Date,Open,High,Low,Close,Volume\n");
    for i in rows {
        text.push_str(&format!(
            "{},{},{},{},{},{}\n",
            ts[i], cols[0][i], cols[1][i], cols[2][i], cols[3][i], cols[4][i]
        ));
    }
    std::fs::write(path, text).unwrap();
}

#[test]
fn appended_bars_equal_a_full_recompute() {
    let registry = PluginRegistry::discover(&default_search_dirs(&[])).0;
    // Real AAPL bars, taken from the example chart.
    let mut cache = DataCache::default();
    let aapl = build_model(
        &load_chart_file(&common::repo().join("examples/aapl.toml")).unwrap(),
        &registry,
        &mut cache,
    )
    .unwrap();
    let t = &aapl.tables["aapl"];
    let ts = &t.timeline.timestamps;
    let cols: Vec<&[f64]> = ["open", "high", "low", "close", "volume"]
        .iter()
        .map(|c| &t.column(c).unwrap().values[..])
        .collect();
    let n = ts.len();

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("chart.toml"), CHART).unwrap();
    // Reference: all rows at once.
    write_csv(&dir.path().join("px.csv"), ts, &cols, 0..n);
    let full = build_model(
        &load_chart_file(&dir.path().join("chart.toml")).unwrap(),
        &registry,
        &mut DataCache::new(0),
    )
    .unwrap();

    // Live: start with 3,000 rows, then append the rest in uneven chunks,
    // each new bar first arriving "forming" (a wrong close) and then replaced.
    let start = 3000;
    write_csv(&dir.path().join("px.csv"), ts, &cols, 0..start);
    let mut live = build_live(
        &load_chart_file(&dir.path().join("chart.toml")).unwrap(),
        &registry,
        &mut DataCache::new(0),
    )
    .unwrap();
    let mut i = start;
    let mut chunk = 1;
    while i < n {
        let end = (i + chunk).min(n);
        let mut rows: Vec<Vec<f64>> = cols.iter().map(|c| c[i..end].to_vec()).collect();
        // The last new bar first arrives with a provisional close...
        let true_close = rows[3][end - i - 1];
        rows[3][end - i - 1] = true_close * 1.05;
        live.append(&registry, "px", &ts[i..end], &rows, false)
            .unwrap_or_else(|e| panic!("{e}"));
        // ...then is replaced by its final value (recomputed, not counted twice).
        let last: Vec<Vec<f64>> = cols.iter().map(|c| vec![c[end - 1]]).collect();
        live.append(&registry, "px", &ts[end - 1..end], &last, true)
            .unwrap_or_else(|e| panic!("{e}"));
        i = end;
        chunk = chunk % 7 + 1;
    }
    assert_eq!(live.model.tables["px"].len(), n);
    for name in ["px.close", "sma20", "ema50", "ema_of_sma"] {
        let (a, b) = (column(&live.model, name), column(&full, name));
        assert_eq!(a.len(), b.len(), "{name}");
        for (k, (x, y)) in a.iter().zip(b).enumerate() {
            let same = (x.is_nan() && y.is_nan()) || (x - y).abs() <= 1e-12 * y.abs().max(1.0);
            assert!(same, "{name}[{k}]: incremental {x} vs full {y}");
        }
    }
    // The series drawn follow the new data too.
    assert_eq!(
        live.model.panes[0].series[1]
            .data
            .timeline()
            .timestamps
            .len(),
        n
    );
}

#[test]
fn appending_out_of_order_rows_is_rejected_and_keeps_the_data() {
    let registry = PluginRegistry::discover(&default_search_dirs(&[])).0;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("chart.toml"), CHART).unwrap();
    let ts: Vec<i64> = (0..100).map(|i| i * 60_000_000_000).collect();
    let v: Vec<f64> = (0..100).map(|i| 100.0 + i as f64).collect();
    let cols = [&v[..], &v[..], &v[..], &v[..], &v[..]];
    write_csv(&dir.path().join("px.csv"), &ts, &cols, 0..100);
    let mut live = build_live(
        &load_chart_file(&dir.path().join("chart.toml")).unwrap(),
        &registry,
        &mut DataCache::new(0),
    )
    .unwrap();
    let before = column(&live.model, "sma20").to_vec();
    let e = live
        .append(&registry, "px", &[ts[50]], &vec![vec![1.0]; 5], false)
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("timestamps are not sorted: data row 101"),
        "{e}"
    );
    assert_eq!(
        live.model.tables["px"].len(),
        100,
        "the previous data stays"
    );
    let after = column(&live.model, "sma20");
    assert!(
        before
            .iter()
            .zip(after)
            .all(|(a, b)| a == b || (a.is_nan() && b.is_nan()))
    );
}

/// A chart for the minimal-rebuild test: two chains on one source, and a
/// Lua script with a module beside it.
fn rebuild_chart(color: &str, sma_period: u32, symbol: &str) -> String {
    let data = common::repo().join("data/stocks.csv.gz");
    format!(
        r##"
[sources.aapl]
kind = "csv"
params = {{ path = "{}", symbol = "{symbol}", timezone = "America/New_York" }}
[[indicators]]
id = "sma"
kind = "sma"
input = "aapl.close"
params = {{ period = {sma_period} }}
[[indicators]]
id = "ema_of_sma"
kind = "ema"
input = "sma"
params = {{ period = 10 }}
[[indicators]]
id = "ema"
kind = "ema"
input = "aapl.close"
params = {{ period = 50 }}
[[indicators]]
id = "lua"
script = "scripts/double.lua"
input = "aapl"
[[panes]]
[[panes.series]]
type = "candlestick"
data = "aapl"
[[panes.series]]
type = "line"
data = "ema_of_sma"
color = "{color}"
"##,
        data.display()
    )
}

const DOUBLE_LUA: &str = "local k = require('lib.factor')\n\
indicator { outputs = { { name = 'v', pane = 'own' } } }\n\
function calculate() return { v = close * k } end\n";

/// Config diffing: a reload recomputes only what its edit touched, and what
/// it reuses equals what a fresh build computes.
#[test]
fn reloads_recompute_only_what_the_edit_touched() {
    let registry = PluginRegistry::discover(&default_search_dirs(&[])).0;
    let dir = tempfile::tempdir().unwrap();
    let chart = dir.path().join("chart.toml");
    std::fs::create_dir(dir.path().join("scripts")).unwrap();
    std::fs::write(dir.path().join("scripts/double.lua"), DOUBLE_LUA).unwrap();
    std::fs::create_dir(dir.path().join("scripts/lib")).unwrap();
    std::fs::write(dir.path().join("scripts/lib/factor.lua"), "return 2\n").unwrap();
    let mut cache = DataCache::default();
    let mut build = |text: String| {
        std::fs::write(&chart, text).unwrap();
        let loaded = load_chart_file(&chart).unwrap_or_else(|e| panic!("{e}"));
        let m = build_model(&loaded, &registry, &mut cache).unwrap_or_else(|e| panic!("{e}"));
        let fresh = build_model(&loaded, &registry, &mut DataCache::new(0))
            .unwrap_or_else(|e| panic!("{e}"));
        for name in ["sma", "ema_of_sma", "ema", "lua"] {
            let bits = |m: &ChartModel| {
                column(m, name)
                    .iter()
                    .map(|x| x.to_bits())
                    .collect::<Vec<_>>()
            };
            assert!(
                bits(&m) == bits(&fresh),
                "{name}: reused differs from fresh"
            );
        }
        m
    };
    let strs = |v: &[String]| v.iter().map(String::as_str).collect::<Vec<_>>().join(",");

    let first = build(rebuild_chart("#ff0000", 20, "AAPL"));
    assert_eq!(strs(&first.build.sources_read), "aapl");
    assert_eq!(
        strs(&first.build.indicators_computed),
        "sma,ema_of_sma,ema,lua"
    );
    let close = column(&first, "aapl.close").to_vec();
    let lua = column(&first, "lua");
    assert_eq!(lua[100], close[100] * 2.0);

    // A colour: nothing read, nothing computed.
    let m = build(rebuild_chart("#00ff00", 20, "AAPL"));
    assert_eq!(strs(&m.build.sources_cached), "aapl");
    assert!(m.build.sources_read.is_empty());
    assert!(m.build.indicators_computed.is_empty(), "{:?}", m.build);
    assert_eq!(m.panes[0].series[1].color, [0.0, 1.0, 0.0, 1.0]);

    // One indicator's parameter: that indicator and its dependent only.
    let m = build(rebuild_chart("#00ff00", 30, "AAPL"));
    assert_eq!(strs(&m.build.indicators_computed), "sma,ema_of_sma");
    assert_eq!(strs(&m.build.indicators_reused), "ema,lua");

    // A module the script requires (in a folder below it): the script only.
    std::fs::write(dir.path().join("scripts/lib/factor.lua"), "return 3\n").unwrap();
    let m = build(rebuild_chart("#00ff00", 30, "AAPL"));
    assert_eq!(strs(&m.build.indicators_computed), "lua");
    assert_eq!(column(&m, "lua")[100], close[100] * 3.0);

    // The source: read again, everything on it recomputed.
    let m = build(rebuild_chart("#00ff00", 30, "MSFT"));
    assert_eq!(strs(&m.build.sources_read), "aapl");
    assert_eq!(strs(&m.build.indicators_computed), "sma,ema_of_sma,ema,lua");
    assert_ne!(column(&m, "aapl.close")[100], close[100]);
}

/// A QUIK script's `getDataSourceInfo()` names the chart source's security
/// (its `symbol` and `class_code` params) and the interval of its bars.
#[test]
fn quik_scripts_see_the_chart_sources_security() {
    let registry = PluginRegistry::discover(&default_search_dirs(&[])).0;
    let dir = tempfile::tempdir().unwrap();
    let data = common::repo().join("data/stocks.csv.gz");
    std::fs::write(
        dir.path().join("ds.lua"),
        "Settings = { Name = 'ds', line = { { Name = 'ok' } } }\n\
         function Init() return 1 end\n\
         function OnCalculate(i)\n\
           local ds = getDataSourceInfo()\n\
           if ds.sec_code == 'MSFT' and ds.class_code == 'NASDAQ' and ds.interval == 1440 then return C(i) end\n\
           return -1\n\
         end\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("chart.toml"),
        format!(
            r#"[sources.px]
kind = "csv"
params = {{ path = "{}", symbol = "MSFT", class_code = "NASDAQ" }}
[[indicators]]
id = "ds"
script = "ds.lua"
input = "px"
[[panes]]
[[panes.series]]
type = "candlestick"
data = "px"
"#,
            data.display()
        ),
    )
    .unwrap();
    let loaded = load_chart_file(&dir.path().join("chart.toml")).unwrap_or_else(|e| panic!("{e}"));
    let m =
        build_model(&loaded, &registry, &mut DataCache::new(0)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(column(&m, "ds")[10], column(&m, "px.close")[10]);
}

/// QUIK scripts read the chart's other sources by tag: getNumCandles and
/// getCandlesByIndex (0-based candles with OHLCV, datetime, doesExist); an
/// unknown tag is an error naming it and the tags there are.
#[test]
fn quik_scripts_read_other_sources_by_tag() {
    let registry = PluginRegistry::discover(&default_search_dirs(&[])).0;
    let dir = tempfile::tempdir().unwrap();
    let data = common::repo().join("data/stocks.csv.gz");
    let script = |tag: &str| {
        format!(
            "Settings = {{ Name = 'ratio', line = {{ {{ Name = 'r' }} }} }}\n\
             function Init() return 1 end\n\
             function OnCalculate(i)\n\
               local total = getNumCandles('{tag}')\n\
               local t, n, l = getCandlesByIndex('{tag}', 0, i - 1, 1)\n\
               local c = t[0]\n\
               if total ~= Size() or n ~= 1 or l ~= '{tag}' or c.doesExist ~= 1 then return -1 end\n\
               if c.datetime.year ~= T(i).year or c.datetime.day ~= T(i).day then return -2 end\n\
               if c.high < c.low or c.volume <= 0 then return -3 end\n\
               return C(i) / c.close\n\
             end\n"
        )
    };
    let chart = format!(
        r#"[sources.aapl]
kind = "csv"
params = {{ path = "{0}", symbol = "AAPL" }}
[sources.msft]
kind = "csv"
params = {{ path = "{0}", symbol = "MSFT" }}
[[indicators]]
id = "ratio"
script = "ratio.lua"
input = "aapl"
[[panes]]
[[panes.series]]
type = "candlestick"
data = "aapl"
"#,
        data.display()
    );
    std::fs::write(dir.path().join("chart.toml"), &chart).unwrap();
    std::fs::write(dir.path().join("ratio.lua"), script("msft")).unwrap();
    let loaded = load_chart_file(&dir.path().join("chart.toml")).unwrap_or_else(|e| panic!("{e}"));
    let m =
        build_model(&loaded, &registry, &mut DataCache::new(0)).unwrap_or_else(|e| panic!("{e}"));
    let (a, b, r) = (
        column(&m, "aapl.close"),
        column(&m, "msft.close"),
        column(&m, "ratio"),
    );
    assert_eq!(a.len(), b.len());
    for i in [0, 1, 1000, a.len() - 1] {
        assert_eq!(r[i], a[i] / b[i], "row {i}");
    }

    std::fs::write(dir.path().join("ratio.lua"), script("ibmm")).unwrap();
    let loaded = load_chart_file(&dir.path().join("chart.toml")).unwrap_or_else(|e| panic!("{e}"));
    // The script fails while computing: it is left out, the chart still loads.
    let m =
        build_model(&loaded, &registry, &mut DataCache::new(0)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(m.failed.len(), 1, "{:#?}", m.failed);
    assert_eq!(m.failed[0].id, "ratio");
    assert!(m.columns.iter().all(|c| c.name != "ratio"));
    let e = m.failed[0].error.to_string();
    assert!(
        e.contains("no chart element with identifier `ibmm` (this chart has: aapl, msft)"),
        "{e}"
    );
    assert!(e.contains("ratio.lua:4"), "names the script line: {e}");
}

/// One memory budget covers source tables and indicator outputs: however
/// many parameter edits, the cache holds at most its budget in bytes, and
/// what the current chart uses is still there (a rebuild reads and
/// computes nothing).
#[test]
fn parameter_edits_stay_within_one_memory_budget() {
    let registry = PluginRegistry::discover(&default_search_dirs(&[])).0;
    let dir = tempfile::tempdir().unwrap();
    let chart = dir.path().join("chart.toml");
    std::fs::create_dir_all(dir.path().join("scripts/lib")).unwrap();
    std::fs::write(dir.path().join("scripts/double.lua"), DOUBLE_LUA).unwrap();
    std::fs::write(dir.path().join("scripts/lib/factor.lua"), "return 2\n").unwrap();
    let load = |period: u32| {
        std::fs::write(&chart, rebuild_chart("#ff0000", period, "AAPL")).unwrap();
        load_chart_file(&chart).unwrap_or_else(|e| panic!("{e}"))
    };

    // What one build holds: the source table and four indicators' outputs.
    let mut probe = DataCache::default();
    let m = build_model(&load(20), &registry, &mut probe).unwrap_or_else(|e| panic!("{e}"));
    let table_bytes = m.tables["aapl"].size_bytes();
    let one_build = probe.used_bytes();
    let outputs_bytes = one_build - table_bytes;
    // Four columns of f64 values, at least (plus their pyramids).
    let rows = m.tables["aapl"].len();
    assert!(
        outputs_bytes >= 4 * rows * 8,
        "indicator outputs count in used_bytes: {outputs_bytes} for {rows} rows"
    );

    // Room for one build and half of another: old edits must go.
    let budget = one_build + outputs_bytes / 2;
    let mut cache = DataCache::new(budget);
    for period in 2..40 {
        let loaded = load(period);
        build_model(&loaded, &registry, &mut cache).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            cache.used_bytes() <= budget,
            "period {period}: {} bytes held, budget {budget}",
            cache.used_bytes()
        );
        let again = build_model(&loaded, &registry, &mut cache).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(again.build.sources_cached, ["aapl"], "period {period}");
        assert!(
            again.build.indicators_computed.is_empty(),
            "period {period}: the current outputs are cached, computed {:?}",
            again.build.indicators_computed
        );
    }
}
