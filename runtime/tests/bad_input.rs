//! Every kind of bad input, end to end through `ChartSession` (what every
//! command uses): each gives a located error of the right kind naming the
//! file, key, row or plugin, never a panic, and a good chart still loads
//! and renders afterwards.

mod common;
mod plugin_support;

use std::path::{Path, PathBuf};

use gpu_charts::config::{ConfigError, ConfigErrorKind};
use gpu_charts::render::{ChartSession, Error};

const HEADER: &str = "Ticker,Date,Open,High,Low,Close,Volume,Adj Close\n";
const GOOD_ROWS: &str = "X,2024-01-02,10,11,9,10.5,1000,10.5\nX,2024-01-03,10.5,12,10,11.5,1200,11.5\nX,2024-01-04,11.5,12,11,11,900,11\n";

/// A chart over `px` (a CSV in the same folder) with an SMA and a candle pane.
fn chart(extra_top: &str, source_kind: &str, series_data: &str, indicators: &str) -> String {
    format!(
        "{extra_top}\n[sources.px]\nkind = \"{source_kind}\"\nparams = {{ path = \"px.csv\" }}\n{indicators}\n[[panes]]\n[[panes.series]]\ntype = \"candlestick\"\ndata = \"{series_data}\"\n"
    )
}

fn write(dir: &Path, csv: &str, toml: &str) -> PathBuf {
    std::fs::write(dir.join("px.csv"), csv).unwrap();
    let path = dir.join("chart.toml");
    std::fs::write(&path, toml).unwrap();
    path
}

/// Loads and returns the errors (panics if the load succeeds).
fn errors(session: &mut ChartSession, path: &Path) -> Vec<ConfigError> {
    match session.load(path) {
        Ok(_) => panic!("{} loaded but should not", path.display()),
        Err(Error::Config(e)) => e.0,
        Err(e) => panic!("expected a config error, got {e}"),
    }
}

fn one(session: &mut ChartSession, path: &Path) -> ConfigError {
    let mut e = errors(session, path);
    assert_eq!(e.len(), 1, "{e:#?}");
    e.remove(0)
}

/// Loads a chart that must draw with exactly one failed part, and returns
/// that part's error (a failing indicator never fails the whole chart).
fn one_failed_part(session: &mut ChartSession, path: &Path) -> ConfigError {
    let model = session
        .load(path)
        .unwrap_or_else(|e| panic!("a failing indicator must not fail the chart: {e}"));
    assert_eq!(model.failed.len(), 1, "{:#?}", model.failed);
    assert_eq!(
        model.tables["px"].len(),
        3,
        "the rest of the chart is there"
    );
    model.failed[0].error.clone()
}

/// After any failure the same session still loads and renders a good chart.
fn good_chart_still_works(session: &mut ChartSession) {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        &format!("{HEADER}{GOOD_ROWS}"),
        &chart("", "csv", "px", ""),
    );
    let model = session.load(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(model.tables["px"].len(), 3);
}

#[test]
fn malformed_toml_is_located() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), HEADER, "title = \"unclosed\n[sources.px]\n");
    let mut s = ChartSession::default();
    let e = one(&mut s, &path);
    assert_eq!(e.kind, ConfigErrorKind::Syntax);
    assert_eq!((e.line, e.column), (1, 18), "{e}");
    assert!(
        e.to_string().contains(&format!("{}:1:18", path.display())),
        "{e}"
    );
    good_chart_still_works(&mut s);
}

#[test]
fn missing_data_file_names_the_resolved_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chart.toml");
    std::fs::write(&path, chart("", "csv", "px", "")).unwrap();
    let mut s = ChartSession::default();
    let e = one(&mut s, &path);
    assert_eq!(e.kind, ConfigErrorKind::Plugin);
    assert_eq!(e.key_path, "sources.px");
    let text = e.to_string();
    assert!(
        text.contains(&dir.path().join("px.csv").display().to_string()),
        "{text}"
    );
    assert!(text.contains("csv"), "names the plugin: {text}");
    assert!(text.contains("help"), "{text}");
    good_chart_still_works(&mut s);
}

#[test]
fn corrupt_csv_row_names_row_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let csv = format!(
        "{HEADER}X,2024-01-02,10,11,9,10.5,1000,10.5\nX,2024-01-03,10.5,12,10,eleven,1200,11.5\n"
    );
    let path = write(dir.path(), &csv, &chart("", "csv", "px", ""));
    let mut s = ChartSession::default();
    let e = one(&mut s, &path);
    assert_eq!(e.kind, ConfigErrorKind::Plugin);
    let text = e.to_string();
    assert!(
        text.contains("line 3, column `Close`: cannot parse `eleven` as a number"),
        "{text}"
    );
}

#[test]
fn nan_values_are_rejected_with_row_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let csv = format!("{HEADER}X,2024-01-02,10,11,9,NaN,1000,10.5\n");
    let path = write(dir.path(), &csv, &chart("", "csv", "px", ""));
    let mut s = ChartSession::default();
    let text = one(&mut s, &path).to_string();
    assert!(
        text.contains("line 2, column `Close`: `NaN` is not a finite number"),
        "{text}"
    );
}

#[test]
fn unsorted_timestamps_name_both_lines() {
    // The csv plugin checks the order itself, so the message names the
    // file's physical lines (header = line 1), CRLF endings included.
    let dir = tempfile::tempdir().unwrap();
    let csv = format!(
        "{HEADER}X,2024-01-03,10,11,9,10.5,1000,10.5\r\nX,2024-01-02,10.5,12,10,11.5,1200,11.5\r\n"
    );
    let path = write(dir.path(), &csv, &chart("", "csv", "px", ""));
    let mut s = ChartSession::default();
    let e = one(&mut s, &path);
    assert_eq!(e.kind, ConfigErrorKind::Plugin);
    assert_eq!(e.key_path, "sources.px");
    assert!(e.line > 0, "located at the source table: {e}");
    let text = e.to_string();
    assert!(
        text.contains(
            "px.csv: line 3, column `Date`: time `2024-01-02` (2024-01-02T00:00:00Z) comes before 2024-01-03T00:00:00Z on line 2"
        ),
        "{text}"
    );
    assert!(text.contains("sort the file by time"), "{text}");
    good_chart_still_works(&mut s);
}

#[test]
fn unknown_plugin_and_reference_get_did_you_mean() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        &format!("{HEADER}{GOOD_ROWS}"),
        &chart("", "cvs", "px", ""),
    );
    let mut s = ChartSession::default();
    let e = one(&mut s, &path);
    assert_eq!(
        (e.kind, e.key_path.as_str()),
        (ConfigErrorKind::Plugin, "sources.px.kind")
    );
    assert!(e.to_string().contains("did you mean `csv`"), "{e}");

    let ind = "[[indicators]]\nid = \"m\"\nkind = \"sma\"\ninput = \"px.clsoe\"\nparams = { period = 2 }\n";
    let path = write(
        dir.path(),
        &format!("{HEADER}{GOOD_ROWS}"),
        &chart("", "csv", "px", ind),
    );
    let e = one(&mut s, &path);
    assert_eq!(
        (e.kind, e.key_path.as_str()),
        (ConfigErrorKind::Reference, "indicators[0].input")
    );
    assert_eq!(e.message, "source `px` has no column `clsoe`");
    assert_eq!(e.help.as_deref(), Some("did you mean `close`?"));
    assert_eq!(e.line, 8, "{e}");
}

#[test]
fn plugin_params_are_validated_against_the_plugin_schema() {
    let dir = tempfile::tempdir().unwrap();
    let ind = "[[indicators]]\nid = \"m\"\nkind = \"sma\"\ninput = \"px.close\"\nparams = { perod = 2 }\n";
    let path = write(
        dir.path(),
        &format!("{HEADER}{GOOD_ROWS}"),
        &chart("", "csv", "px", ind),
    );
    let mut s = ChartSession::default();
    let e = one(&mut s, &path);
    assert_eq!(e.kind, ConfigErrorKind::PluginParams);
    assert_eq!(e.key_path, "indicators[0].params.perod");
    assert!(e.to_string().contains("did you mean `period`"), "{e}");
    assert!(e.to_string().contains("sma"), "names the plugin: {e}");
}

#[test]
fn indicator_cycles_are_reported_with_the_cycle() {
    let dir = tempfile::tempdir().unwrap();
    let ind = "[[indicators]]\nid = \"a\"\nkind = \"sma\"\ninput = \"b\"\n[[indicators]]\nid = \"b\"\nkind = \"ema\"\ninput = \"a\"\n";
    let path = write(
        dir.path(),
        &format!("{HEADER}{GOOD_ROWS}"),
        &chart("", "csv", "px", ind),
    );
    let mut s = ChartSession::default();
    let e = one(&mut s, &path);
    assert_eq!(e.kind, ConfigErrorKind::Reference);
    assert_eq!(
        e.message,
        "indicators depend on each other in a cycle: a → b → a"
    );
}

#[test]
fn bad_wgsl_from_a_plugin_is_an_error_naming_plugin_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let plug = dir.path().join("plug");
    std::fs::create_dir_all(&plug).unwrap();
    plugin_support::build_c_plugin(
        "example_plugin.c",
        &["GC_TEST_BAD_WGSL", "GC_TEST_PLUGIN_NAME=\"c_badshader\""],
        &plug,
        "gpu_charts_plugin_c_badshader",
    );
    let toml = "plugins = [\"plug\"]\n[sources.px]\nkind = \"csv\"\nparams = { path = \"px.csv\" }\n[[panes]]\n[[panes.series]]\ntype = \"c_marker\"\ndata = \"px.close\"\n".to_string();
    let path = write(dir.path(), &format!("{HEADER}{GOOD_ROWS}"), &toml);
    let mut s = ChartSession::default();
    let e = one(&mut s, &path);
    assert_eq!(
        (e.kind, e.key_path.as_str()),
        (ConfigErrorKind::Plugin, "panes[0].series[0].type")
    );
    assert!(
        e.message.starts_with(
            "invalid WGSL in chart type `c_marker` of plugin `c_badshader` at line 2, column"
        ),
        "{e}"
    );
    good_chart_still_works(&mut s);
}

#[test]
fn a_panicking_plugin_fails_its_indicator_not_the_chart_or_the_host() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = plugin_support::panic_fixture_dir();
    let ind = "[[indicators]]\nid = \"p\"\nkind = \"panic_now\"\ninput = \"px.close\"\n";
    let toml = format!(
        "plugins = [{:?}]\n{}",
        fixture.display().to_string(),
        chart("", "csv", "px", ind)
    );
    let path = write(dir.path(), &format!("{HEADER}{GOOD_ROWS}"), &toml);
    let mut s = ChartSession::default();
    let e = one_failed_part(&mut s, &path);
    assert_eq!(
        (e.kind, e.key_path.as_str()),
        (ConfigErrorKind::Plugin, "indicators[0]")
    );
    assert!(
        e.message.contains("of plugin `panic_fixture` panicked"),
        "{e}"
    );
    good_chart_still_works(&mut s);
}

/// A chart over the good rows with one script indicator whose source is `lua`.
fn script_chart(dir: &Path, lua: &str) -> PathBuf {
    std::fs::write(dir.join("bad.lua"), lua).unwrap();
    let ind = "[[indicators]]\nid = \"s\"\nscript = \"bad.lua\"\ninput = \"px\"\n";
    write(
        dir,
        &format!("{HEADER}{GOOD_ROWS}"),
        &chart("", "csv", "px", ind),
    )
}

#[test]
fn lua_syntax_error_names_script_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = script_chart(
        dir.path(),
        "indicator { outputs = { { name = 'v' } } }\nfunction calculate(p)\n  return { v = close + }\nend\n",
    );
    let mut s = ChartSession::default();
    let e = one(&mut s, &path);
    assert_eq!(
        (e.kind, e.key_path.as_str()),
        (ConfigErrorKind::Script, "indicators[0].script")
    );
    let text = e.to_string();
    assert!(
        text.contains(&format!("{}:3", dir.path().join("bad.lua").display())),
        "{text}"
    );
    assert!(
        text.contains(&format!("{}:", path.display())),
        "the chart file is named too: {text}"
    );
    good_chart_still_works(&mut s);
}

#[test]
fn lua_endless_loop_is_stopped_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = script_chart(
        dir.path(),
        "indicator { outputs = { { name = 'v' } } }\nfunction calculate(p)\n  local x = 0\n  while true do x = x + 1 end\nend\n",
    );
    let mut s = ChartSession::default();
    let e = one_failed_part(&mut s, &path);
    assert_eq!(e.kind, ConfigErrorKind::Script);
    let text = e.to_string();
    assert!(text.contains("instruction"), "{text}");
    assert!(text.contains("bad.lua:4"), "{text}");
    good_chart_still_works(&mut s);
}

#[test]
fn lua_sandbox_escape_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = script_chart(
        dir.path(),
        "local f = io.open('/etc/passwd')\nindicator { outputs = { { name = 'v' } } }\nfunction calculate(p) return { v = close } end\n",
    );
    let mut s = ChartSession::default();
    let e = one(&mut s, &path);
    assert_eq!(e.kind, ConfigErrorKind::Script);
    assert!(e.to_string().contains("io.open"), "{e}");
    good_chart_still_works(&mut s);
}

#[test]
fn script_params_are_validated_against_the_declared_schema() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("p.lua"),
        "indicator { params = { n = { type = 'integer', default = 3, min = 1, max = 10 } }, outputs = { { name = 'v' } } }\nfunction calculate(p) return { v = ta.sma(close, p.n) } end\n",
    )
    .unwrap();
    let ind =
        "[[indicators]]\nid = \"s\"\nscript = \"p.lua\"\ninput = \"px\"\nparams = { n = 50 }\n";
    let path = write(
        dir.path(),
        &format!("{HEADER}{GOOD_ROWS}"),
        &chart("", "csv", "px", ind),
    );
    let mut s = ChartSession::default();
    let e = one(&mut s, &path);
    assert_eq!(
        (e.kind, e.key_path.as_str()),
        (ConfigErrorKind::PluginParams, "indicators[0].params.n")
    );
    assert!(e.to_string().contains("p.lua"), "names the script: {e}");
}
