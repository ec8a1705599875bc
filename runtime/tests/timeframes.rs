//! Timeframes end to end: sources and series shown as bars of a timeframe
//! (ticks and finer bars, gaps and DST changes) against a naive loop over
//! chrono wall-clock dates and against pandas; indicators and QUIK scripts
//! on the aggregated bars; the cache on switching back; live appends
//! against aggregating from scratch; the view across timeframe changes and
//! reloads.

mod common;

use std::path::{Path, PathBuf};

use chrono::{NaiveDateTime, TimeZone, Timelike};
use chrono_tz::America::New_York;
use common::{model_column as column, registry};
use gpu_charts::config::load_chart_file;
use gpu_charts::data::Table;
use gpu_charts::data::timeframe::{Aligner, Timeframe, aggregate_ticks};
use gpu_charts::live::{LiveOptions, LiveSession, Reload};
use gpu_charts::scene::interact::{ViewState, axis_to_time};
use gpu_charts::scene::model::{ChartModel, DataCache, build_live, build_model};
use gpu_charts::scene::types::ViewRange;

fn tf(s: &str) -> Timeframe {
    s.parse().unwrap()
}

/// Seeded ticks around both 2024 New York DST changes, 1 s to 15 min
/// apart with quiet spells up to 90 min (so some hours hold one tick and
/// some none), with a seven-hour
/// gap across the autumn change's night.
fn ticks() -> (Vec<i64>, Vec<f64>, Vec<f64>) {
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        seed >> 33
    };
    let s = 1_000_000_000i64;
    let (mut ts, mut px, mut sz) = (Vec::new(), Vec::new(), Vec::new());
    let mut price = 10_000i64; // cents
    // 2024-03-09 12:00Z .. 03-11 12:00Z and 2024-11-02 12:00Z .. 11-04 12:00Z.
    for (from, to) in [
        (1_709_985_600i64, 1_710_158_400i64),
        (1_730_548_800, 1_730_721_600),
    ] {
        let mut t = from * s;
        while t < to * s {
            // 2024-11-02 22:00Z .. 11-03 05:00Z: nothing (a gap of buckets).
            if !(1_730_584_800 * s..1_730_610_000 * s).contains(&t) {
                ts.push(t);
                price += next() as i64 % 21 - 10;
                px.push(price as f64 / 100.0);
                sz.push((next() % 100 + 1) as f64);
            }
            // Now and then a quiet spell of 40 to 90 minutes.
            let secs = match next() % 20 {
                0 => next() as i64 % 3000 + 2400,
                _ => next() as i64 % 900 + 1,
            };
            t += secs * s + (next() as i64 % 1000);
        }
    }
    (ts, px, sz)
}

fn write_ticks(path: &Path, ts: &[i64], px: &[f64], sz: &[f64]) {
    let mut text = String::from("time,price,size\n");
    for i in 0..ts.len() {
        text.push_str(&format!("{},{},{}\n", ts[i], px[i], sz[i]));
    }
    std::fs::write(path, text).unwrap();
}

/// One bar of the naive reference: start, open, high, low, close, volume, count.
type Bar = (i64, f64, f64, f64, f64, f64, f64);

/// Buckets by New York wall clock truncated by `trunc`, each starting at the
/// first instant that wall time occurs: a loop over chrono, not the aligner.
fn naive(
    ts: &[i64],
    px: &[f64],
    sz: &[f64],
    trunc: impl Fn(NaiveDateTime) -> NaiveDateTime,
) -> Vec<Bar> {
    let mut out: Vec<(NaiveDateTime, Bar)> = Vec::new();
    for i in 0..ts.len() {
        let wall = New_York.timestamp_nanos(ts[i]).naive_local();
        let key = trunc(wall);
        match out.last_mut() {
            Some((k, b)) if *k == key => {
                b.2 = b.2.max(px[i]);
                b.3 = b.3.min(px[i]);
                b.4 = px[i];
                b.5 += sz[i];
                b.6 += 1.0;
            }
            _ => {
                let start = New_York
                    .from_local_datetime(&key)
                    .earliest()
                    .unwrap()
                    .timestamp_nanos_opt()
                    .unwrap();
                out.push((key, (start, px[i], px[i], px[i], px[i], sz[i], 1.0)));
            }
        }
    }
    out.into_iter().map(|(_, b)| b).collect()
}

fn hours(w: NaiveDateTime) -> NaiveDateTime {
    w.date().and_hms_opt(w.hour(), 0, 0).unwrap()
}

fn days(w: NaiveDateTime) -> NaiveDateTime {
    w.date().and_hms_opt(0, 0, 0).unwrap()
}

fn rows(t: &Table) -> Vec<Bar> {
    assert_eq!(
        t.names,
        ["open", "high", "low", "close", "volume", "count"],
        "{}",
        t.source_id
    );
    let c = |k: usize| &t.columns[k].values;
    (0..t.len())
        .map(|i| {
            (
                t.timeline.timestamps[i],
                c(0)[i],
                c(1)[i],
                c(2)[i],
                c(3)[i],
                c(4)[i],
                c(5)[i],
            )
        })
        .collect()
}

const TICK_CHART: &str = r#"
timezone = "America/New_York"
x_axis = "time"
[sources.ticks]
kind = "csv"
timeframe = "1h"
params = { path = "ticks.csv", time_column = "time", time_format = "epoch_ns", columns = { price = "price", size = "size" } }
[[indicators]]
id = "sma3"
kind = "sma"
input = "ticks.close"
params = { period = 3 }
[[panes]]
[[panes.series]]
type = "candlestick"
data = "ticks"
[[panes.series]]
type = "candlestick"
data = "ticks"
timeframe = "1d"
[[panes.series]]
type = "line"
data = "sma3"
"#;

fn tick_chart(dir: &Path, n: usize) -> PathBuf {
    let (ts, px, sz) = ticks();
    write_ticks(&dir.join("ticks.csv"), &ts[..n], &px[..n], &sz[..n]);
    let chart = dir.join("chart.toml");
    std::fs::write(&chart, TICK_CHART).unwrap();
    chart
}

fn naive_sma(close: &[f64], n: usize) -> Vec<f64> {
    (0..close.len())
        .map(|i| {
            if i + 1 < n {
                f64::NAN
            } else {
                close[i + 1 - n..=i].iter().sum::<f64>() / n as f64
            }
        })
        .collect()
}

fn assert_close(got: &[f64], want: &[f64], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let same = (g.is_nan() && w.is_nan()) || (g - w).abs() <= 1e-12 * w.abs().max(1.0);
        assert!(same, "{what}[{i}]: {g} vs {w}");
    }
}

#[test]
fn tick_source_bars_equal_the_naive_loop_across_gaps_and_dst() {
    let dir = tempfile::tempdir().unwrap();
    let (ts, px, sz) = ticks();
    let chart = tick_chart(dir.path(), ts.len());
    let model = build_model(
        &load_chart_file(&chart).unwrap(),
        &registry(),
        &mut DataCache::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let hourly = naive(&ts, &px, &sz, hours);
    assert_eq!(rows(&model.tables["ticks"]), hourly);
    // The same as the data layer's aggregation, on every core.
    let bars =
        aggregate_ticks(&Aligner::new(tf("1h"), Some(New_York)), &ts, &px, Some(&sz)).unwrap();
    assert_eq!(
        &model.tables["ticks"].timeline.timestamps[..],
        &bars.time[..]
    );
    assert_eq!(column(&model, "ticks.volume"), &bars.volume[..]);
    // The autumn change's 1:00 bar holds both 1:00 hours (05:00Z to 07:00Z).
    let one_am = 1_730_610_000i64 * 1_000_000_000;
    let i = hourly.iter().position(|b| b.0 == one_am).unwrap();
    assert_eq!(hourly[i + 1].0 - one_am, 2 * 3_600 * 1_000_000_000);
    assert!(hourly.iter().any(|b| b.6 == 1.0), "some one-tick buckets");
    // The gap stays a gap: no bar between 18:00 and 00:00 local.
    assert!(
        hourly
            .windows(2)
            .any(|w| w[1].0 - w[0].0 >= 6 * 3_600 * 1_000_000_000)
    );
    // The series with its own timeframe draws daily bars (25-hour day included).
    assert_eq!(rows(&model.tables["ticks@1d"]), naive(&ts, &px, &sz, days));
    let daily = &model.panes[0].series[1];
    assert_eq!(daily.label, "ticks 1d");
    assert_eq!(daily.data.timeline().source_id, "ticks@1d");
    // The indicator computes on the hourly bars.
    let close: Vec<f64> = hourly.iter().map(|b| b.4).collect();
    assert_close(column(&model, "sma3"), &naive_sma(&close, 3), "sma3");
    assert_eq!(model.timeframes.current, Some(tf("1h")));
}

/// The weekly and monthly reference bars (pandas), by timeframe.
fn reference(timeframe: &str) -> Vec<Bar> {
    let text =
        std::fs::read_to_string(common::repo().join("runtime/tests/data/timeframes/reference.csv"))
            .unwrap();
    text.lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0] == timeframe).then(|| {
                let day = chrono::NaiveDate::parse_from_str(f[1], "%Y-%m-%d").unwrap();
                let start = New_York
                    .from_local_datetime(&day.and_hms_opt(0, 0, 0).unwrap())
                    .unwrap()
                    .timestamp_nanos_opt()
                    .unwrap();
                let v = |k: usize| f[k].parse::<f64>().unwrap();
                (start, v(2), v(3), v(4), v(5), v(6), v(7))
            })
        })
        .collect()
}

const QUIK_ECHO: &str = r#"
Settings = {
  Name = "echo",
  line = { { Name = "o" }, { Name = "h" }, { Name = "l" }, { Name = "c" }, { Name = "v" }, { Name = "size" } },
}
function Init() return 6 end
function OnCalculate(index)
  return O(index), H(index), L(index), C(index), V(index), Size()
end
"#;

fn aapl_chart(dir: &Path, timeframe: &str) -> PathBuf {
    let csv = common::repo().join("runtime/tests/data/timeframes/aapl_daily.csv");
    let text = format!(
        r#"title = "AAPL"
timezone = "America/New_York"
[sources.aapl]
kind = "csv"
timeframe = "{timeframe}"
params = {{ path = {csv:?}, timezone = "America/New_York" }}
[[indicators]]
id = "sma4"
kind = "sma"
input = "aapl.close"
params = {{ period = 4 }}
[[indicators]]
id = "q"
script = "echo.lua"
input = "aapl"
plot = false
[[panes]]
[[panes.series]]
type = "candlestick"
data = "aapl"
"#
    );
    std::fs::write(dir.join("echo.lua"), QUIK_ECHO).unwrap();
    let chart = dir.join("chart.toml");
    std::fs::write(&chart, text).unwrap();
    chart
}

#[test]
fn bar_source_weekly_bars_indicators_and_quik_candles_equal_pandas() {
    let dir = tempfile::tempdir().unwrap();
    let chart = aapl_chart(dir.path(), "1w");
    let model = build_model(
        &load_chart_file(&chart).unwrap(),
        &registry(),
        &mut DataCache::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let weekly = reference("1w");
    assert_eq!(weekly.len(), 157);
    assert_eq!(rows(&model.tables["aapl"]), weekly);
    // SMA over the weekly bars against pandas' rolling mean of its resample.
    let text = std::fs::read_to_string(
        common::repo().join("runtime/tests/data/timeframes/reference_sma.csv"),
    )
    .unwrap();
    let sma = column(&model, "sma4");
    let mut checked = 0;
    for l in text.lines().skip(1) {
        let (day, want) = l.split_once(',').unwrap();
        let want: f64 = want.parse().unwrap();
        let day = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap();
        let t = New_York
            .from_local_datetime(&day.and_hms_opt(0, 0, 0).unwrap())
            .unwrap()
            .timestamp_nanos_opt()
            .unwrap();
        let i = weekly.iter().position(|b| b.0 == t).unwrap();
        assert!(
            (sma[i] - want).abs() <= 1e-9 * want,
            "{day}: {} vs {want}",
            sma[i]
        );
        checked += 1;
    }
    assert_eq!(checked, weekly.len() - 3);
    assert!(sma[..3].iter().all(|v| v.is_nan()));
    // A QUIK script's candles are the weekly bars.
    for (k, out) in ["q.o", "q.h", "q.l", "q.c", "q.v"].iter().enumerate() {
        let want: Vec<f64> = weekly
            .iter()
            .map(|b| [b.1, b.2, b.3, b.4, b.5][k])
            .collect();
        assert_eq!(column(&model, out), &want[..], "{out}");
    }
    assert!(
        column(&model, "q.size")
            .iter()
            .all(|&n| n == weekly.len() as f64)
    );
}

fn published(r: Reload) -> std::sync::Arc<gpu_charts::live::Generation> {
    match r {
        Reload::Published(g) => g,
        Reload::Failed(f) => panic!("reload failed: {f}"),
    }
}

fn quiet() -> LiveOptions {
    LiveOptions {
        print_errors: false,
        watch_shaders: false,
        ..LiveOptions::default()
    }
}

#[test]
fn switching_timeframes_aggregates_once_and_switching_back_is_a_cache_hit() {
    let dir = tempfile::tempdir().unwrap();
    let chart = aapl_chart(dir.path(), "1w");
    let mut live = LiveSession::open(&chart, quiet()).unwrap_or_else(|e| panic!("{e}"));
    let first = live.config().current();
    assert_eq!(first.model.timeframes.current, Some(tf("1w")));
    assert_eq!(first.model.build.timeframes_aggregated, ["aapl@1w"]);

    let monthly = published(live.set_timeframe(Some(tf("1M"))));
    let m = &monthly.model;
    assert_eq!(m.timeframes.current, Some(tf("1M")));
    assert_eq!(m.timeframes.file, Some(tf("1w")));
    assert_eq!(rows(&m.tables["aapl"]), reference("1M"));
    assert_eq!(
        m.build.sources_cached,
        ["aapl"],
        "the daily rows are not read again"
    );
    assert_eq!(m.build.timeframes_aggregated, ["aapl@1M"]);
    assert_eq!(m.build.indicators_computed, ["sma4", "q"]);

    let back = published(live.set_timeframe(Some(tf("1w"))));
    let b = &back.model;
    assert_eq!(b.build.timeframes_cached, ["aapl@1w"]);
    assert!(b.build.timeframes_aggregated.is_empty());
    assert_eq!(b.build.indicators_reused, ["sma4", "q"]);
    assert!(b.build.indicators_computed.is_empty());
    assert_eq!(rows(&b.tables["aapl"]), reference("1w"));

    // As read: the daily bars, no timeframe shown.
    let raw = published(live.set_timeframe(None));
    assert_eq!(raw.model.timeframes.current, None);
    assert_eq!(raw.model.tables["aapl"].len(), 754);
    assert_eq!(
        raw.model.tables["aapl"].names,
        ["open", "high", "low", "close", "volume"]
    );
}

/// The view's time span, through the model's axis.
fn span(m: &ChartModel, v: ViewRange) -> (f64, f64) {
    (axis_to_time(&m.x_axis, v.x0), axis_to_time(&m.x_axis, v.x1))
}

#[test]
fn reloads_and_switches_keep_the_view_on_the_same_time_span() {
    let dir = tempfile::tempdir().unwrap();
    let chart = aapl_chart(dir.path(), "1w");
    let mut live = LiveSession::open(&chart, quiet()).unwrap_or_else(|e| panic!("{e}"));
    let g1 = live.config().current();
    let mut state = ViewState::new(&g1.model);
    // 40 weeks in the middle.
    state.view = ViewRange {
        x0: 60.0,
        x1: 100.0,
    };
    let (t0, t1) = span(&g1.model, state.view);
    let week = 7.0 * 86_400e9;
    assert!(
        (t1 - t0 - 40.0 * week).abs() < 86_400e9,
        "{}",
        (t1 - t0) / week
    );

    // The file now says months: same span, fewer bars.
    std::fs::write(
        &chart,
        std::fs::read_to_string(&chart)
            .unwrap()
            .replace("timeframe = \"1w\"", "timeframe = \"1M\""),
    )
    .unwrap();
    let g2 = published(live.reload(vec![chart.clone()], false));
    let moved = state.carried_across(&g1.model, &g2.model);
    let (u0, u1) = span(&g2.model, moved.view);
    assert!(
        (u0 - t0).abs() < 1e6 && (u1 - t1).abs() < 1e6,
        "{u0} {t0} {u1} {t1}"
    );
    assert!(
        moved.view.x1 - moved.view.x0 < 11.0,
        "about 9 months of bars"
    );
    // A plain carry (no timeframe change) would have reset it to the file's view.
    assert_ne!(state.carried_to(&g2.model).view, moved.view);

    // A bad value keeps the last good chart and says why, where.
    let good = std::fs::read_to_string(&chart).unwrap();
    std::fs::write(&chart, good.replace("\"1M\"", "\"5x\"")).unwrap();
    match live.reload(vec![chart.clone()], false) {
        Reload::Failed(f) => {
            let text = f.to_string();
            assert!(
                text.contains("invalid `timeframe`: unknown timeframe unit `x` in `5x`"),
                "{text}"
            );
            assert!(text.contains("chart.toml:5:13"), "{text}");
            assert!(text.contains("help: write a count and a unit"), "{text}");
        }
        Reload::Published(_) => panic!("`5x` must not load"),
    }
    assert_eq!(live.config().generation(), g2.number);
    assert_eq!(
        live.config().current().model.timeframes.current,
        Some(tf("1M"))
    );

    // The window's choice holds over reloads of other edits...
    std::fs::write(&chart, &good).unwrap();
    let g3 = published(live.set_timeframe(Some(tf("1w"))));
    assert_eq!(g3.model.timeframes.current, Some(tf("1w")));
    std::fs::write(
        &chart,
        good.replace("title = \"AAPL\"", "title = \"Apple\""),
    )
    .unwrap();
    let g4 = published(live.reload(vec![chart.clone()], false));
    assert_eq!(g4.model.timeframes.current, Some(tf("1w")));
    // ...until the file's timeframe is edited: the file is the newer word.
    std::fs::write(
        &chart,
        good.replace("title = \"AAPL\"", "title = \"Apple\"")
            .replace("\"1M\"", "\"1d\""),
    )
    .unwrap();
    let g5 = published(live.reload(vec![chart.clone()], false));
    assert_eq!(g5.model.timeframes.current, Some(tf("1d")));
    let moved = g4_state(&g4.model).carried_across(&g4.model, &g5.model);
    let (a, b) = span(&g4.model, g4_state(&g4.model).view);
    let (c, d) = span(&g5.model, moved.view);
    assert!((a - c).abs() < 1e6 && (b - d).abs() < 1e6);
}

/// 30 weeks near the end of the weekly chart.
fn g4_state(m: &ChartModel) -> ViewState {
    let mut s = ViewState::new(m);
    s.view = ViewRange {
        x0: 110.0,
        x1: 140.0,
    };
    s
}

#[test]
fn live_ticks_append_through_the_open_bar_and_equal_aggregating_from_scratch() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ts, mut px, mut sz) = ticks();
    let start = ts.len() * 3 / 5;
    let chart = tick_chart(dir.path(), start);
    let registry = registry();
    let mut live = build_live(
        &load_chart_file(&chart).unwrap(),
        &registry,
        &mut DataCache::new(0),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut i = start;
    let mut chunk = 1;
    while i < ts.len() {
        let end = (i + chunk).min(ts.len());
        // The last tick first arrives with a wrong price, then is replaced.
        let mut p = px[i..end].to_vec();
        *p.last_mut().unwrap() += 7.0;
        live.append(
            &registry,
            "ticks",
            &ts[i..end],
            &[p, sz[i..end].to_vec()],
            false,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        live.append(
            &registry,
            "ticks",
            &ts[end - 1..end],
            &[vec![px[end - 1]], vec![sz[end - 1]]],
            true,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        i = end;
        chunk = chunk % 37 + 1;
    }
    // A tick in the open hour replaces the last bar; one two hours later
    // closes it and appends a bar, leaving every earlier bar alone.
    let n_bars = live.model.tables["ticks"].len();
    let last = *ts.last().unwrap();
    let hour = 3_600_000_000_000i64;
    for (t, p, s, unchanged, len) in [
        (last + 1, 99.5, 3.0, n_bars - 1, n_bars),
        (last + 2 * hour, 98.25, 4.0, n_bars, n_bars + 1),
        (last + 2 * hour + 5, 97.0, 1.0, n_bars, n_bars + 1),
    ] {
        live.append(&registry, "ticks", &[t], &[vec![p], vec![s]], false)
            .unwrap_or_else(|e| panic!("{e}"));
        ts.push(t);
        px.push(p);
        sz.push(s);
        let u = live.last_bars_update();
        assert_eq!(u.len(), 2);
        assert_eq!(u[0].table, "ticks");
        assert_eq!((u[0].unchanged, u[0].len), (unchanged, len), "tick at {t}");
        assert_eq!(u[1].table, "ticks@1d");
    }

    let m = &live.model;
    assert_eq!(rows(&m.tables["ticks"]), naive(&ts, &px, &sz, hours));
    assert_eq!(rows(&m.tables["ticks@1d"]), naive(&ts, &px, &sz, days));
    // Indicators follow, as if computed from scratch.
    let from_scratch =
        aggregate_ticks(&Aligner::new(tf("1h"), Some(New_York)), &ts, &px, Some(&sz)).unwrap();
    assert_close(
        column(m, "sma3"),
        &naive_sma(&from_scratch.close, 3),
        "sma3",
    );
    assert_eq!(column(m, "ticks.close"), &from_scratch.close[..]);
}

#[test]
fn a_timeframe_on_data_that_is_neither_bars_nor_ticks_is_a_located_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("x.csv"),
        "Date,level\n2024-01-02,1\n2024-01-03,2\n",
    )
    .unwrap();
    let chart = dir.path().join("chart.toml");
    std::fs::write(
        &chart,
        "[sources.x]\nkind = \"csv\"\ntimeframe = \"1w\"\nparams = { path = \"x.csv\", columns = { level = \"level\" } }\n[[panes]]\n[[panes.series]]\ntype = \"line\"\ndata = \"x.level\"\n[[panes.series]]\ntype = \"line\"\ndata = \"sma\"\ntimeframe = \"1d\"\n[[indicators]]\nid = \"sma\"\nkind = \"sma\"\ninput = \"x.level\"\n",
    )
    .unwrap();
    let e = build_model(
        &load_chart_file(&chart).unwrap(),
        &registry(),
        &mut DataCache::default(),
    )
    .expect_err("no bars, no ticks");
    let e = &e.0;
    assert_eq!(e.len(), 2, "{:?}", e);
    assert_eq!(e[0].kind, gpu_charts::config::ConfigErrorKind::Timeframe);
    assert_eq!((e[0].line, e[0].column), (3, 13));
    assert_eq!(
        e[0].message,
        "source `x` has neither bars (open, high, low, close) nor ticks (price or value) to aggregate into 1w bars; its columns are: level"
    );
    assert_eq!(e[1].key_path, "panes[0].series[1].timeframe");
    assert_eq!(
        e[1].message,
        "`timeframe` on a series needs source data, but `sma` is not a source or a source column"
    );
}

/// Ticks as 5-minute candles with a volume pane, on a bar or a time axis.
fn volume_chart(dir: &Path, x_axis: &str) -> PathBuf {
    let (ts, px, sz) = ticks();
    write_ticks(&dir.join("ticks.csv"), &ts, &px, &sz);
    let chart = dir.join(format!("volume_{x_axis}.toml"));
    let text = format!(
        r#"
timezone = "America/New_York"
x_axis = "{x_axis}"
[sources.ticks]
kind = "csv"
timeframe = "5m"
params = {{ path = "ticks.csv", time_column = "time", time_format = "epoch_ns", columns = {{ price = "price", size = "size" }} }}
[[panes]]
height = 3
[[panes.series]]
type = "candlestick"
data = "ticks"
[[panes]]
height = 1
[[panes.series]]
type = "volume"
data = "ticks"
"#
    );
    std::fs::write(&chart, text).unwrap();
    chart
}

/// Regression: zoomed out, several 5-minute bars share a pixel column and the
/// volume pane draws their summed volume, but its range came from the largest
/// single bar, so the drawn volume ran past the top of the pane.
#[test]
fn the_volume_pane_range_holds_every_drawn_volume_when_bars_share_a_column() {
    let dir = tempfile::tempdir().unwrap();
    for x_axis in ["bars", "time"] {
        let chart = volume_chart(dir.path(), x_axis);
        let model = build_model(
            &load_chart_file(&chart).unwrap(),
            &registry(),
            &mut DataCache::default(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let bars = model.tables["ticks"].len();
        let ts = &model.tables["ticks"].timeline.timestamps;
        let all = match x_axis {
            "bars" => ViewRange {
                x0: 0.0,
                x1: bars as f64,
            },
            _ => ViewRange {
                x0: ts[0] as f64,
                x1: ts[bars - 1] as f64,
            },
        };
        let half = ViewRange {
            x0: all.x0,
            x1: (all.x0 + all.x1) / 2.0,
        };
        let mut merged = false;
        for view in [all, half, model.initial_view] {
            for size in [[800, 450], [1600, 900], [333, 500]] {
                let frame = gpu_charts::scene::build_frame(&model, view, size, 1.0);
                let what = format!("{x_axis} axis, view {view:?}, {size:?}");
                let pane = frame.panes[1];
                let (w, h) = (pane.plot[2], pane.plot[3]);
                // Draws go pane by pane: candles, then the volume pane's one.
                let draw = &frame.series[1];
                assert_eq!(draw.clip[1], pane.plot[1] as u32, "{what}");
                let gpu_charts::scene::frame::Instances::Bars(inst) = &draw.instances else {
                    panic!("{what}: volume draws bars")
                };
                merged |= inst.len() < bars / 2;
                let slot = draw.uniform.bar_width_px;
                for b in inst {
                    // Bars that show at all (off-plot edge bars are clipped).
                    if b.x_px + slot / 2.0 < 0.0 || b.x_px - slot / 2.0 > w {
                        continue;
                    }
                    assert!(
                        b.volume_px >= -0.01 && b.volume_px <= h + 0.01,
                        "{what}: volume {} drawn at y {} outside the pane's 0..{h} (range tops at {})",
                        pane.y.value(b.volume_px),
                        b.volume_px,
                        pane.y.value(0.0)
                    );
                }
            }
        }
        assert!(merged, "{x_axis}: some frame merges bars into columns");
    }
}
