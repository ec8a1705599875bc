//! Every indicator script in `scripts/` run over AAPL daily bars with its
//! default parameters, each output compared with an independent reference:
//! `scripts/tests/reference/<script>.csv`, written by
//! `scripts/tests/make_references.py` with TA-Lib (ATR, EMA, SMA, MAX, MIN,
//! BBANDS, RSI) or numpy/pandas from the textbook definition (SuperTrend's
//! bands, Ichimoku's shifts, ZigZag, crossings), never from the Lua code.

use std::path::PathBuf;

use gpu_charts::script::{Script, ScriptInputs, ScriptInstance, ScriptLimits};
use serde_json::Value;

/// Relative tolerance for every compared value: TA-Lib keeps running sums
/// where the scripts sum windows afresh, so the last bits may differ.
const REL: f64 = 1e-9;

/// Every script in `scripts/`, each with a reference file.
const SCRIPTS: [&str; 9] = [
    "donchian",
    "ichimoku",
    "keltner",
    "ma_cross",
    "quik_atr",
    "quik_bollinger",
    "rsi_per_bar",
    "supertrend",
    "zigzag",
];

fn scripts_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts")
}

/// One reference file: the input bars and the expected outputs by name.
#[derive(Clone)]
struct Reference {
    time_ns: Vec<i64>,
    open: Vec<f64>,
    high: Vec<f64>,
    low: Vec<f64>,
    close: Vec<f64>,
    volume: Vec<f64>,
    outputs: Vec<(String, Vec<f64>)>,
}

impl Reference {
    /// The first `rows` bars as script inputs.
    fn inputs(&self, rows: usize) -> ScriptInputs<'_> {
        ScriptInputs {
            time_ns: &self.time_ns[..rows],
            open: &self.open[..rows],
            high: &self.high[..rows],
            low: &self.low[..rows],
            close: &self.close[..rows],
            volume: &self.volume[..rows],
            named: Vec::new(),
        }
    }

    fn output(&self, name: &str) -> &[f64] {
        self.outputs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
            .unwrap_or_else(|| panic!("the reference has no output `{name}`"))
    }
}

fn read_reference(script: &str) -> Reference {
    let path = scripts_dir().join(format!("tests/reference/{script}.csv"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("a header line").split(',').collect();
    assert_eq!(
        header[..6],
        ["date", "open", "high", "low", "close", "volume"],
        "{}",
        path.display()
    );
    let mut dates = Vec::new();
    let mut columns: Vec<Vec<f64>> = vec![Vec::new(); header.len() - 1];
    for (row, line) in lines.enumerate() {
        let fields: Vec<&str> = line.split(',').collect();
        assert_eq!(fields.len(), header.len(), "row {row}: {line:?}");
        dates.push(fields[0].to_owned());
        for (col, field) in columns.iter_mut().zip(&fields[1..]) {
            col.push(if field.is_empty() {
                f64::NAN
            } else {
                field
                    .parse()
                    .unwrap_or_else(|e| panic!("row {row}: bad number {field:?}: {e}"))
            });
        }
    }
    let time_ns = dates
        .iter()
        .map(|d| {
            chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .unwrap_or_else(|e| panic!("bad date {d:?}: {e}"))
                .and_hms_opt(0, 0, 0)
                .expect("midnight exists")
                .and_utc()
                .timestamp_nanos_opt()
                .expect("date within i64 nanoseconds")
        })
        .collect();
    let mut columns = columns.into_iter();
    let mut next = || columns.next().expect("six input columns");
    let (open, high, low, close, volume) = (next(), next(), next(), next(), next());
    let outputs = header[6..]
        .iter()
        .map(|h| (h.to_string(), next()))
        .collect();
    Reference {
        time_ns,
        open,
        high,
        low,
        close,
        volume,
        outputs,
    }
}

/// `{name: default}` for every parameter the script declares: what the
/// chart loader passes when a chart file sets no params.
fn default_params(script: &Script) -> Value {
    Value::Object(
        script
            .info()
            .params
            .iter()
            .map(|p| (p.name.clone(), p.default.clone()))
            .collect(),
    )
}

/// Loads `scripts/<name>.lua` and makes an instance with default params.
fn instantiate(name: &str) -> (Script, ScriptInstance) {
    let path = scripts_dir().join(format!("{name}.lua"));
    let script = Script::load(&path, ScriptLimits::default())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let params = default_params(&script);
    let instance = script
        .instance(&params)
        .unwrap_or_else(|e| panic!("{name} with {params}: {e}"));
    (script, instance)
}

/// Output names in declared order.
fn output_names(script: &Script) -> Vec<String> {
    script
        .info()
        .outputs
        .iter()
        .map(|o| o.name.clone())
        .collect()
}

/// Runs `scripts/<name>.lua` with default params over the reference's bars;
/// returns the script's output names and values, in declared order.
fn run(name: &str, reference: &Reference) -> (Script, Vec<(String, Vec<f64>)>) {
    let (script, mut instance) = instantiate(name);
    let names = output_names(&script);
    let rows = reference.close.len();
    let mut outputs = vec![vec![f64::NAN; rows]; names.len()];
    instance
        .compute(&reference.inputs(rows), &mut outputs, 0)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    (script, names.into_iter().zip(outputs).collect())
}

/// One update as the live host makes it: the first `rows` bars of `bars`,
/// rows `from..` recomputed (and pre-filled with NaN), rows before kept.
fn update(
    name: &str,
    instance: &mut ScriptInstance,
    outputs: &mut [Vec<f64>],
    bars: &Reference,
    rows: usize,
    from: usize,
) {
    for out in outputs.iter_mut() {
        out.truncate(from);
        out.resize(rows, f64::NAN);
    }
    instance
        .compute(&bars.inputs(rows), outputs, from)
        .unwrap_or_else(|e| panic!("{name}, rows {from}..{rows}: {e}"));
}

/// The first row where `actual` and `expected` differ by more than [`REL`]
/// or in having a value at all, described; `None` if they match.
fn first_mismatch(actual: &[f64], expected: &[f64]) -> Option<String> {
    if actual.len() != expected.len() {
        return Some(format!(
            "{} rows, expected {}",
            actual.len(),
            expected.len()
        ));
    }
    actual
        .iter()
        .zip(expected)
        .enumerate()
        .find_map(|(row, (&a, &e))| match (a.is_nan(), e.is_nan()) {
            (true, true) => None,
            (false, true) => Some(format!("row {row}: expected no value, got {a}")),
            (true, false) => Some(format!("row {row}: got no value, expected {e}")),
            _ if (a - e).abs() <= REL * e.abs() => None,
            _ => Some(format!("row {row}: got {a}, expected {e}")),
        })
}

/// `actual` equals `expected` within [`REL`], with NaN in the same places.
/// Returns how many values were compared.
fn assert_matches(what: &str, actual: &[f64], expected: &[f64]) -> usize {
    if let Some(m) = first_mismatch(actual, expected) {
        panic!("{what}, {m}");
    }
    expected.iter().filter(|e| !e.is_nan()).count()
}

/// Runs the script and checks that its outputs are exactly the reference's
/// columns, in order, each matching; `min_values` guards against a reference
/// that is (nearly) all NaN and so would check nothing.
fn check(name: &str, min_values: usize) -> (Script, Vec<(String, Vec<f64>)>) {
    let reference = read_reference(name);
    assert_eq!(reference.close.len(), 3270, "AAPL rows");
    let (script, outputs) = run(name, &reference);
    let ours: Vec<&str> = outputs.iter().map(|(n, _)| n.as_str()).collect();
    let theirs: Vec<&str> = reference.outputs.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(ours, theirs, "{name}: output names");
    for (out, values) in &outputs {
        let compared = assert_matches(&format!("{name}.{out}"), values, reference.output(out));
        assert!(
            compared >= min_values,
            "{name}.{out}: only {compared} values compared"
        );
    }
    (script, outputs)
}

#[test]
fn supertrend_matches_the_reference() {
    let (_, outputs) = check("supertrend", 1000);
    // The two lines take turns: never both on one bar.
    let (up, down) = (&outputs[0].1, &outputs[1].1);
    assert!(up.iter().zip(down).all(|(u, d)| u.is_nan() || d.is_nan()));
}

#[test]
fn keltner_matches_the_reference() {
    check("keltner", 3000);
}

#[test]
fn ichimoku_matches_the_reference() {
    let (_, outputs) = check("ichimoku", 3000);
    // Chikou is the close 26 bars later: nothing on the last 26 bars.
    let chikou = &outputs
        .iter()
        .find(|(n, _)| n == "chikou")
        .expect("chikou")
        .1;
    assert!(chikou[chikou.len() - 26..].iter().all(|v| v.is_nan()));
    assert!(!chikou[chikou.len() - 27].is_nan());
}

#[test]
fn donchian_matches_the_reference() {
    check("donchian", 3000);
}

#[test]
fn zigzag_matches_the_reference() {
    // 650 pivots at 5% on daily highs/lows of 2000-2013 AAPL.
    check("zigzag", 600);
}

#[test]
fn ma_cross_matches_the_reference_and_marks_the_same_bars() {
    let (_, outputs) = check("ma_cross", 50);
    let reference = read_reference("ma_cross");
    let bars = |v: &[f64]| -> Vec<usize> {
        v.iter()
            .enumerate()
            .filter(|(_, x)| !x.is_nan())
            .map(|(i, _)| i)
            .collect()
    };
    for marker in ["buy", "sell"] {
        let ours = &outputs.iter().find(|(n, _)| n == marker).expect(marker).1;
        let theirs = reference.output(marker);
        assert_eq!(bars(ours), bars(theirs), "{marker} marker bars");
    }
    // A buy sits 2% under the bar's low.
    let buy = &outputs.iter().find(|(n, _)| n == "buy").expect("buy").1;
    let first = buy.iter().position(|v| !v.is_nan()).expect("a buy signal");
    assert_matches(
        "first buy",
        &buy[first..=first],
        &[reference.low[first] * 0.98],
    );
    // On 2003-02-07 (row 737) both SMAs are exactly 14.426: no cross yet.
    // The fast one is above on 2003-02-10, so the buy is there; an SMA
    // rounded the other way (TA-Lib's running sum is 1.4e-14 high) would
    // put it a bar early.
    assert!(
        buy[737].is_nan() && !buy[738].is_nan(),
        "{:?}",
        &buy[736..740]
    );
}

#[test]
fn quik_atr_matches_talib() {
    let (script, _) = check("quik_atr", 3000);
    assert_eq!(script.info().name, "ATR (QUIK)");
}

#[test]
fn quik_bollinger_in_windows_1251_matches_talib() {
    let path = scripts_dir().join("quik_bollinger.lua");
    let bytes = std::fs::read(&path).expect("the script exists");
    // The file really is Windows-1251: "Полосы" in cp1251 bytes, not UTF-8.
    assert!(
        bytes
            .windows(6)
            .any(|w| w == [0xCF, 0xEE, 0xEB, 0xEE, 0xF1, 0xFB]),
        "quik_bollinger.lua is not saved in Windows-1251"
    );
    assert!(std::str::from_utf8(&bytes).is_err());
    let (script, _) = check("quik_bollinger", 3000);
    assert_eq!(script.info().name, "Полосы Боллинджера");
}

#[test]
fn rsi_per_bar_matches_talib() {
    check("rsi_per_bar", 3000);
}

/// Feeds `scripts/<name>.lua` as a live chart is fed: bars appended in two
/// batches, then a last bar that changes twice before it closes with its
/// real values. Returns how its outputs then differ from the full-run
/// reference (empty when they match).
fn live_mismatches(name: &str) -> Vec<String> {
    let reference = read_reference(name);
    let n = reference.close.len();
    let (script, mut instance) = instantiate(name);
    let names = output_names(&script);
    let mut outputs = vec![Vec::new(); names.len()];
    update(name, &mut instance, &mut outputs, &reference, 3000, 0);
    update(name, &mut instance, &mut outputs, &reference, n - 1, 3000);
    // The last bar while it is still forming: two different ticks.
    let mut forming = reference.clone();
    for (close, high) in [(1.05, 1.06), (0.97, 1.0)] {
        forming.close[n - 1] = reference.close[n - 1] * close;
        forming.high[n - 1] = reference.high[n - 1] * high;
        forming.low[n - 1] = reference.low[n - 1].min(forming.close[n - 1]);
        update(name, &mut instance, &mut outputs, &forming, n, n - 1);
    }
    update(name, &mut instance, &mut outputs, &reference, n, n - 1);
    names
        .iter()
        .zip(&outputs)
        .filter_map(|(out, values)| {
            first_mismatch(values, reference.output(out)).map(|m| format!("{name}.{out}: {m}"))
        })
        .collect()
}

/// Scripts whose value on a bar depends only on that bar and earlier ones
/// end a live feed with the full-run values. Per-bar and QUIK scripts
/// recompute a changed last bar; one that kept a running sum outside `state`
/// (or outside per-candle tables in QUIK) would count that bar twice.
#[test]
fn live_updates_of_causal_scripts_end_equal_to_the_reference() {
    let failures: Vec<String> = SCRIPTS
        .iter()
        .filter(|s| !REPAINTING.contains(s))
        .flat_map(|s| live_mismatches(s))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Scripts whose outputs change on bars already drawn when a bar arrives:
/// ZigZag redraws its last leg, Ichimoku's lagging line fills in 26 bars
/// back. A live update must carry those changes too, or the chart shows a
/// line that a reload would draw differently.
const REPAINTING: [&str; 2] = ["ichimoku", "zigzag"];

#[test]
fn live_updates_of_repainting_scripts_redraw_past_bars() {
    let failures: Vec<String> = REPAINTING.iter().flat_map(|s| live_mismatches(s)).collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every script in the folder is covered by the tests above, so a new script
/// without a reference fails here.
#[test]
fn every_script_has_a_reference() {
    let mut names: Vec<String> = std::fs::read_dir(scripts_dir())
        .expect("scripts/ exists")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".lua") && !n.ends_with(".d.lua"))
        .collect();
    names.sort();
    // Scripts with more than one source are checked elsewhere against a
    // direct computation: pair_ratio.lua in tests/multi_source.rs.
    let elsewhere = ["pair_ratio.lua"];
    names.retain(|n| !elsewhere.contains(&n.as_str()));
    let expected: Vec<String> = SCRIPTS.iter().map(|s| format!("{s}.lua")).collect();
    assert_eq!(names, expected);
}

/// What scripts print reaches stderr of the one-shot commands, tagged with
/// the indicator id and rate-limited per run.
#[test]
fn script_output_is_printed_on_stderr_with_the_indicator_id() {
    let repo = scripts_dir().parent().expect("repo").to_path_buf();
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("talk.lua"),
        "Settings = { Name = 'Talk', line = { { Name = 'c' } } }\n\
         function Init() message('ready') return 1 end\n\
         function OnCalculate(i)\n  if i <= 30 then message('bar ' .. i, 2) end\n  return C(i)\nend\n",
    )
    .expect("write script");
    let data = repo.join("data/stocks.csv.gz");
    let chart = dir.path().join("talk.toml");
    std::fs::write(
        &chart,
        format!(
            "title = \"talk\"\n\n[sources.aapl]\nkind = \"csv\"\n\
             params = {{ path = {:?}, symbol = \"AAPL\" }}\n\n\
             [[indicators]]\nid = \"rsi_quik\"\nscript = \"talk.lua\"\ninput = \"aapl\"\nplot = false\n\n\
             [[panes]]\n[[panes.series]]\ntype = \"candlestick\"\ndata = \"aapl\"\n",
            data.display().to_string()
        ),
    )
    .expect("write chart");
    // `cargo test` leaves the plugin libraries next to this test binary.
    let deps = std::env::current_exe()
        .expect("test binary")
        .parent()
        .expect("deps dir")
        .to_path_buf();
    let csv = dir.path().join("out.csv");
    for args in [
        vec!["validate".to_string(), chart.display().to_string()],
        vec![
            "export".into(),
            chart.display().to_string(),
            "-o".into(),
            csv.display().to_string(),
        ],
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_gpu-charts"))
            .args(&args)
            .env("GPU_CHARTS_PLUGIN_PATH", &deps)
            .output()
            .expect("run gpu-charts");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        let lines: Vec<&str> = stderr
            .lines()
            .filter(|l| l.starts_with("[rsi_quik]"))
            .collect();
        let mut want = vec!["[rsi_quik] ready".to_string()];
        want.extend((1..=20).map(|i| format!("[rsi_quik] warning: bar {i}")));
        want.push("[rsi_quik] … 10 more lines suppressed".into());
        assert_eq!(lines, want, "{args:?}: {stderr}");
    }
}
