//! `load = "view"`: the host passes a source the chart's view (plus
//! `load_margin`) as an ABI 1.3 range hint (`GcSourceV1::open_range`).
//! Parquet then decodes only the row groups it needs and builds the same
//! frame as a file holding only those rows; a plugin without `open_range`
//! (built against the 1.0 or the 1.2 header) gets no hint and loads
//! everything; a view outside the data is an error naming the file and the
//! range, and a live reload keeps the last good chart.
//!
//! Needs the plugin libraries: `cargo build -p gpu-charts-plugin-parquet
//! -p gpu-charts-plugin-line` (and a C compiler for the C plugins).

#![allow(unsafe_code)] // reads a counter from the C test plugin

mod plugin_support;

use std::path::Path;
use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, RecordBatch, TimestampNanosecondArray};
use gpu_charts::live::{LiveOptions, LiveSession, Reload};
use gpu_charts::plugins::recent_log;
use gpu_charts::render::ChartSession;
use gpu_charts::scene::frame::build_frame;
use parquet::arrow::ArrowWriter;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use plugin_support::{build_c_plugin, build_c_plugin_with, v1_0_include_dir};

const NS: i64 = 1_000_000_000;
/// 2024-01-01T00:00:00Z (`date -u -d 2024-01-01 +%s`).
const JAN_1_2024_NS: i64 = 1_704_067_200 * NS;

/// 1,000 one-minute ticks from 2024-01-01 00:00 UTC in row groups of 100
/// (group g holds minutes 100g..100g+99), rows `keep` only.
fn write_ticks(path: &Path, keep: std::ops::RangeInclusive<i64>) {
    let minutes: Vec<i64> = (0..1000).filter(|m| keep.contains(m)).collect();
    let times: Vec<i64> = minutes
        .iter()
        .map(|m| JAN_1_2024_NS + m * 60 * NS)
        .collect();
    let prices: Vec<f64> = minutes
        .iter()
        .map(|m| 100.0 + (*m as f64 * 0.37).sin())
        .collect();
    let batch = RecordBatch::try_from_iter([
        (
            "time",
            Arc::new(TimestampNanosecondArray::from(times).with_timezone("UTC")) as ArrayRef,
        ),
        ("price", Arc::new(Float64Array::from(prices))),
    ])
    .expect("batch");
    let props = WriterProperties::builder()
        .set_max_row_group_row_count(Some(100))
        .set_statistics_enabled(EnabledStatistics::Chunk)
        .build();
    let file = std::fs::File::create(path).expect("create");
    let mut w = ArrowWriter::try_new(file, batch.schema(), Some(props)).expect("writer");
    w.write(&batch).expect("write");
    w.close().expect("close");
}

fn chart(view: &str, source: &str) -> String {
    format!(
        r#"size = [600, 300]
x_axis = "time"
[view]
{view}
[sources.px]
{source}
[[panes]]
[[panes.series]]
type = "line"
data = "px.price"
"#
    )
}

/// Minutes 250..=420 (04:10 to 07:00 UTC): groups 2, 3 and 4.
const VIEW: &str = "start = \"2024-01-01 04:10\"\nend = \"2024-01-01 07:00\"";

/// The parquet plugin's debug line for `file` ("read 3 of 10 row groups, ...").
fn read_line(file: &Path) -> String {
    let name = file.display().to_string();
    recent_log()
        .into_iter()
        .rev()
        .find(|l| l.contains(&name) && l.contains("row groups"))
        .unwrap_or_else(|| panic!("no read line for {name}"))
}

#[test]
fn load_view_decodes_only_the_overlapping_row_groups_and_draws_the_cut_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let big = dir.path().join("big.parquet");
    let cut = dir.path().join("cut.parquet");
    write_ticks(&big, 0..=999);
    write_ticks(&cut, 250..=420);
    let hinted = dir.path().join("hinted.toml");
    let reference = dir.path().join("reference.toml");
    let whole = dir.path().join("whole.toml");
    let source = |file: &str, load: &str| {
        format!("kind = \"parquet\"\nparams = {{ path = \"{file}\" }}\n{load}")
    };
    std::fs::write(
        &hinted,
        chart(VIEW, &source("big.parquet", "load = \"view\"")),
    )
    .unwrap();
    std::fs::write(&reference, chart(VIEW, &source("cut.parquet", ""))).unwrap();
    std::fs::write(&whole, chart(VIEW, &source("big.parquet", ""))).unwrap();

    let mut session = ChartSession::default();
    let a = session.load(&hinted).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        read_line(&big).ends_with("read 3 of 10 row groups, decoded 300 of 1000 rows, kept 171"),
        "{}",
        read_line(&big)
    );
    let (from, to) = (JAN_1_2024_NS + 250 * 60 * NS, JAN_1_2024_NS + 420 * 60 * NS);
    assert_eq!(a.build.loaded_ranges.get("px"), Some(&(from, to)));
    let b = session.load(&reference).unwrap_or_else(|e| panic!("{e}"));
    let (ta, tb) = (&a.tables["px"], &b.tables["px"]);
    assert_eq!(ta.timeline.timestamps[..], tb.timeline.timestamps[..]);
    assert_eq!(ta.columns[0].values[..], tb.columns[0].values[..]);
    let fa = build_frame(&a, a.initial_view, [600, 300], 1.0);
    let fb = build_frame(&b, b.initial_view, [600, 300], 1.0);
    let (da, db) = (format!("{fa:?}"), format!("{fb:?}"));
    assert!(da.len() > 1000, "the frame draws something: {da}");
    assert!(da == db, "the hinted chart draws what the cut file draws");

    // Without `load`, everything is read, as before.
    let c = session.load(&whole).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        read_line(&big).ends_with("read 10 of 10 row groups, decoded 1000 of 1000 rows, kept 1000")
    );
    assert_eq!(c.tables["px"].len(), 1000);
    assert!(c.build.loaded_ranges.is_empty());

    // A margin widens the range: 1h more on each side is minutes 190..=480,
    // groups 1 to 4.
    std::fs::write(
        &hinted,
        chart(
            VIEW,
            &source("big.parquet", "load = \"view\"\nload_margin = \"1h\""),
        ),
    )
    .unwrap();
    let d = session.load(&hinted).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        read_line(&big).ends_with("read 4 of 10 row groups, decoded 400 of 1000 rows, kept 291"),
        "{}",
        read_line(&big)
    );
    assert_eq!(d.tables["px"].len(), 291);
}

#[test]
fn a_view_outside_the_data_names_the_file_and_range_and_a_reload_keeps_the_last_good_chart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let big = dir.path().join("big.parquet");
    write_ticks(&big, 0..=999);
    let path = dir.path().join("chart.toml");
    let source = "kind = \"parquet\"\nparams = { path = \"big.parquet\" }\nload = \"view\"";
    std::fs::write(&path, chart(VIEW, source)).unwrap();
    let options = LiveOptions {
        print_errors: false,
        ..Default::default()
    };
    let mut live = LiveSession::open(&path, options).unwrap_or_else(|e| panic!("{e}"));
    let cfg = live.config();
    assert_eq!(cfg.current().model.tables["px"].len(), 171);

    let outside = "start = \"2024-02-01\"\nend = \"2024-02-02\"";
    std::fs::write(&path, chart(outside, source)).unwrap();
    match live.reload(vec![path.clone()], false) {
        Reload::Failed(f) => {
            assert_eq!(f.kept, 1);
            let text = f.to_string();
            assert!(
                text.contains(&format!(
                    "{}: no rows in range 2024-02-01T00:00:00Z to 2024-02-02T00:00:00Z \
                     (the chart's view with its load_margin); the file's times run from \
                     2024-01-01T00:00:00Z to 2024-01-01T16:39:00Z",
                    big.display()
                )),
                "{text}"
            );
            assert!(text.contains("sources.px"), "located at the source: {text}");
        }
        Reload::Published(_) => panic!("a view outside the data must fail"),
    }
    assert_eq!(cfg.generation(), 1, "the last good chart stays");
    assert_eq!(cfg.current().model.tables["px"].len(), 171);
}

/// A chart on the C example's `c_ramp` (row i at i seconds) in `plugins/`.
fn ramp_chart(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("ramp.toml");
    let text = "plugins = [\"plugins\"]\nsize = [300, 200]\nx_axis = \"time\"\n\
                [view]\nstart = \"1970-01-01T00:00:10Z\"\nend = \"1970-01-01T00:00:20Z\"\n\
                [sources.r]\nkind = \"c_ramp\"\nparams = { rows = 100 }\nload = \"view\"\n\
                [[panes]]\n[[panes.series]]\ntype = \"line\"\ndata = \"r.value\"\n";
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn plugins_without_open_range_get_no_hint_and_load_everything() {
    // Built against the frozen 1.0 header and against the current one
    // without GC_TEST_RANGE: no `open_range` (absent, or NULL).
    for (stem, include) in [
        ("gc_v1_0_ramp", v1_0_include_dir()),
        ("gc_v1_2_ramp", plugin_support::include_dir()),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        let plugins = dir.path().join("plugins");
        std::fs::create_dir(&plugins).unwrap();
        build_c_plugin_with("example_plugin.c", &[], &plugins, stem, &include);
        let mut session = ChartSession::default();
        let model = session
            .load(&ramp_chart(dir.path()))
            .unwrap_or_else(|e| panic!("{stem}: {e}"));
        assert_eq!(model.tables["r"].len(), 100, "{stem} loads every row");
        assert!(model.build.loaded_ranges.is_empty(), "{stem}");
    }
}

#[test]
fn a_c_plugin_with_open_range_gets_the_view() {
    let dir = tempfile::tempdir().expect("tempdir");
    let plugins = dir.path().join("plugins");
    std::fs::create_dir(&plugins).unwrap();
    let lib = build_c_plugin("example_plugin.c", &["GC_TEST_RANGE"], &plugins, "gc_range");
    let mut session = ChartSession::default();
    let model = session
        .load(&ramp_chart(dir.path()))
        .unwrap_or_else(|e| panic!("{e}"));
    let t = &model.tables["r"];
    assert_eq!(
        t.timeline.timestamps[..],
        (10..=20).map(|i| i * NS).collect::<Vec<_>>()[..]
    );
    assert_eq!(
        model.build.loaded_ranges.get("r"),
        Some(&(10 * NS, 20 * NS))
    );
    // SAFETY: our own test library; `int64_t gc_test_open_range_calls(void)`.
    let calls = unsafe {
        let l = libloading::Library::new(&lib).expect("load");
        let f = l
            .get::<unsafe extern "C" fn() -> i64>(b"gc_test_open_range_calls")
            .expect("symbol");
        f()
    };
    assert_eq!(calls, 1);
    // `gpu-charts plugins` says which sources take range hints.
    let listing = session
        .registry_for(std::slice::from_ref(&plugins))
        .describe();
    assert!(
        listing.contains(
            "    c_ramp: A ramp of `rows` rows (C test plugin)\n      params:\n        rows (integer, required, >= 0): Number of rows.\n      takes range hints: load = \"view\" reads only the chart's view\n"
        ),
        "{listing}"
    );
}

/// Panning past the loaded rows in the window: the view at the data's edge
/// asks for a screenful more on that side (`missing_load_range`), the live
/// session loads it (`set_load_view`) and the view keeps its time span; an
/// edit of the file's `[view]` goes back to the file's range.
#[test]
fn panning_past_the_loaded_rows_loads_the_missing_range_and_keeps_the_view() {
    use gpu_charts::scene::interact::{ViewState, missing_load_range};
    let dir = tempfile::tempdir().expect("tempdir");
    write_ticks(&dir.path().join("big.parquet"), 0..=999);
    let path = dir.path().join("chart.toml");
    let source = "kind = \"parquet\"\nparams = { path = \"big.parquet\" }\nload = \"view\"";
    std::fs::write(&path, chart(VIEW, source)).unwrap();
    let options = LiveOptions {
        print_errors: false,
        ..Default::default()
    };
    let mut live = LiveSession::open(&path, options).unwrap_or_else(|e| panic!("{e}"));
    let old = live.config().current().model.clone();
    let minute = |m: i64| JAN_1_2024_NS + m * 60 * NS;
    let state = ViewState::new(&old);
    // The view (minutes 250..=420) starts at the first loaded row and ends
    // at the last: both edges are range limits, so a view width (170
    // minutes) more is asked for on each side.
    let asked = missing_load_range(&old, &state).expect("at the edges");
    assert_eq!(asked, (minute(80), minute(590)));
    let new = match live.set_load_view(asked) {
        Reload::Published(g) => g.model.clone(),
        Reload::Failed(f) => panic!("{f}"),
    };
    assert_eq!(new.tables["px"].len(), 511);
    assert_eq!(new.build.loaded_ranges.get("px"), Some(&asked));
    let carried = state.carried_across(&old, &new);
    assert_eq!(
        carried.view, state.view,
        "the view stays on the same time span"
    );
    assert_eq!(
        missing_load_range(&new, &carried),
        None,
        "nothing missing now"
    );

    // An edit of the file's view drops the window's range.
    let other = "start = \"2024-01-01 10:00\"\nend = \"2024-01-01 11:00\"";
    std::fs::write(&path, chart(other, source)).unwrap();
    let edited = match live.reload(vec![path.clone()], false) {
        Reload::Published(g) => g.model.clone(),
        Reload::Failed(f) => panic!("{f}"),
    };
    assert_eq!(
        edited.build.loaded_ranges.get("px"),
        Some(&(minute(600), minute(660)))
    );
}

/// On a bar axis a new load range shifts bar indices: the view is carried
/// by time, not by index.
#[test]
fn on_a_bar_axis_a_new_load_range_keeps_the_view_on_the_same_times() {
    use gpu_charts::scene::interact::{ViewState, axis_to_time, missing_load_range};
    let dir = tempfile::tempdir().expect("tempdir");
    write_ticks(&dir.path().join("big.parquet"), 0..=999);
    let path = dir.path().join("chart.toml");
    let source = "kind = \"parquet\"\nparams = { path = \"big.parquet\" }\nload = \"view\"";
    let text = chart(VIEW, source).replace("x_axis = \"time\"", "x_axis = \"bars\"");
    std::fs::write(&path, text).unwrap();
    let options = LiveOptions {
        print_errors: false,
        ..Default::default()
    };
    let mut live = LiveSession::open(&path, options).unwrap_or_else(|e| panic!("{e}"));
    let old = live.config().current().model.clone();
    let state = ViewState::new(&old);
    let asked = missing_load_range(&old, &state).expect("at the edges");
    let new = match live.set_load_view(asked) {
        Reload::Published(g) => g.model.clone(),
        Reload::Failed(f) => panic!("{f}"),
    };
    let carried = state.carried_across(&old, &new);
    let times = |m: &gpu_charts::scene::model::ChartModel, v: f64| axis_to_time(&m.x_axis, v);
    assert_eq!(times(&new, carried.view.x0), times(&old, state.view.x0));
    assert_eq!(times(&new, carried.view.x1), times(&old, state.view.x1));
    assert!(
        carried.view.x0 > state.view.x0,
        "the bars before the view moved it right"
    );
}
