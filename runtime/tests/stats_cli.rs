//! `gpu-charts stats`, as a user runs it: the table has every figure, the
//! JSON parses and its values agree with what the run did.

mod common;

use common::run_cli as run;

/// Standard output of a run that must succeed.
fn stdout(args: &[&str]) -> String {
    let out = run(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn json(args: &[&str]) -> serde_json::Value {
    let stdout = stdout(args);
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

fn u(v: &serde_json::Value, path: &str) -> u64 {
    v.pointer(path)
        .and_then(serde_json::Value::as_u64)
        .unwrap_or_else(|| panic!("{path} in {v}"))
}

fn f(v: &serde_json::Value, path: &str) -> f64 {
    v.pointer(path)
        .and_then(serde_json::Value::as_f64)
        .unwrap_or_else(|| panic!("{path} in {v}"))
}

#[test]
fn json_has_every_field_consistent_with_the_run() {
    let v = json(&["stats", "examples/aapl.toml", "--frames", "12", "--json"]);
    assert_eq!(u(&v, "/frames"), 12);
    assert_eq!(v["size"], serde_json::json!([1600, 900]));
    // The first load reads the one source and computes both indicators;
    // the second (the same chart again) takes all of it from the cache.
    assert_eq!(u(&v, "/loads/0/sources_read"), 1);
    assert_eq!(u(&v, "/loads/0/indicators_computed"), 2);
    assert_eq!(u(&v, "/loads/1/sources_read"), 0);
    assert_eq!(u(&v, "/loads/1/sources_cached"), 1);
    assert_eq!(u(&v, "/loads/1/indicators_reused"), 2);
    // 3 misses on the cold load, 3 hits on the warm one; nothing evicted.
    assert_eq!((u(&v, "/cache/hits"), u(&v, "/cache/misses")), (3, 3));
    assert_eq!(u(&v, "/cache/evictions"), 0);
    assert!(u(&v, "/cache/resident_bytes") > 100_000);
    // Default preset and budget.
    assert_eq!(v["quality"]["preset"], "balanced");
    assert_eq!(u(&v, "/quality/msaa_samples"), 4);
    assert_eq!(v["quality"]["line_antialiasing"], true);
    assert_eq!(f(&v, "/quality/lod_px"), 1.0);
    assert_eq!(u(&v, "/memory_budget/total_bytes"), 2 << 30);
    assert_eq!(v["memory_budget"]["source"], "preset");
    assert_eq!(
        u(&v, "/memory_budget/cpu_bytes") + u(&v, "/memory_budget/gpu_bytes"),
        2 << 30
    );
    // The pool: frame 1 creates buffers, later frames mostly reuse them.
    let (hits, misses) = (u(&v, "/pool/hits"), u(&v, "/pool/misses"));
    assert!(misses > 0 && hits > misses, "{hits} hits, {misses} misses");
    let rate = f(&v, "/pool/hit_rate");
    assert!((rate - hits as f64 / (hits + misses) as f64).abs() < 1e-9);
    assert_eq!(u(&v, "/pool/frames_over_budget"), 0);
    assert!(u(&v, "/pool/peak_frame_bytes") > 0);
    for part in ["cpu_scene", "encode_submit", "gpu_wait", "total"] {
        let (mean, median, max) = (
            f(&v, &format!("/frame_ms/{part}/mean")),
            f(&v, &format!("/frame_ms/{part}/median")),
            f(&v, &format!("/frame_ms/{part}/max")),
        );
        assert!(mean > 0.0 && median <= max && mean <= max, "{part}");
    }
    let total = f(&v, "/frame_ms/total/mean");
    let parts: f64 = ["cpu_scene", "encode_submit", "gpu_wait"]
        .iter()
        .map(|p| f(&v, &format!("/frame_ms/{p}/mean")))
        .sum();
    assert!(
        (total - parts).abs() < 1e-6 * total.max(1.0),
        "{total} vs {parts}"
    );
    // The GPU's own time where the adapter has timestamp queries (lavapipe
    // and the usual Vulkan drivers do).
    let ts = &v["frame_ms"]["gpu_timestamps"];
    if !ts.is_null() {
        let (median, max) = (
            f(&v, "/frame_ms/gpu_timestamps/median"),
            f(&v, "/frame_ms/gpu_timestamps/max"),
        );
        assert!(median > 0.0 && median <= max, "{ts}");
    }
}

#[test]
fn a_tiny_budget_evicts_pool_buffers_and_says_the_frame_did_not_fit() {
    // Just above what the chart's data needs: the GPU share (an eighth,
    // 37.5 KiB) is less than a zoomed-out frame's buffers.
    let v = json(&[
        "stats",
        "examples/aapl.toml",
        "--frames",
        "30",
        "--memory-budget",
        "300KiB",
        "--json",
    ]);
    assert_eq!(v["memory_budget"]["source"], "command-line");
    assert_eq!(u(&v, "/memory_budget/gpu_bytes"), 300 * 1024 / 8);
    assert!(u(&v, "/pool/evictions") > 0, "{}", v["pool"]);
    assert!(u(&v, "/pool/frames_over_budget") > 0, "{}", v["pool"]);
    assert!(u(&v, "/pool/peak_frame_bytes") > u(&v, "/memory_budget/gpu_bytes"));
    let table = run(&[
        "stats",
        "examples/aapl.toml",
        "--frames",
        "30",
        "--memory-budget",
        "300KiB",
    ]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains("needed more than the GPU pool's share")
            && text.contains("raise the memory budget"),
        "{text}"
    );
    // Below what the data needs: an error, exit status 1, nothing drawn.
    let out = run(&["stats", "examples/aapl.toml", "--memory-budget", "100KiB"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("memory budget 100 KiB (--memory-budget) is smaller than this chart needs"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn the_table_names_every_figure_and_the_preset() {
    let text = stdout(&[
        "stats",
        "examples/aapl.toml",
        "--frames",
        "4",
        "--quality",
        "performance",
    ]);
    for label in [
        "GPU",
        "quality",
        "preset          performance",
        "MSAA            off",
        "line AA         none",
        "LOD bucket      1.5 px (bars 3 px)",
        "memory budget",
        "data cache",
        "load 1",
        "load 2",
        "hits / misses   3 / 3",
        "evictions       0 (0 B)",
        "buffer pool",
        "hit rate",
        "frame time (ms)",
        "CPU scene",
        "encode+submit",
        "GPU (wait)",
    ] {
        assert!(text.contains(label), "`{label}` missing:\n{text}");
    }
}

#[test]
fn auto_picks_from_the_adapter() {
    let v = json(&[
        "stats",
        "examples/aapl.toml",
        "--frames",
        "2",
        "--quality",
        "auto",
        "--json",
    ]);
    assert_eq!(v["quality"]["requested"], "auto");
    let adapter = v["adapter"].as_str().unwrap_or_default().to_lowercase();
    let software = adapter.contains("llvmpipe") || adapter.contains(", cpu)");
    if software {
        assert_eq!(v["quality"]["preset"], "low-power", "{adapter}");
        assert_eq!(u(&v, "/quality/msaa_samples"), 1);
        assert!(
            v["quality"]["reason"]
                .as_str()
                .is_some_and(|r| r.starts_with("software adapter")),
            "{}",
            v["quality"]
        );
    } else {
        assert_ne!(v["quality"]["preset"], "low-power", "{adapter}");
    }
    let bad = run(&["stats", "examples/aapl.toml", "--quality", "ultra"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("low-power"));
}

/// `--memory-budget` and `--quality` reach every command that loads a chart.
#[test]
fn budget_and_preset_flags_apply_to_render_export_and_validate() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("a.png");
    let png = png.to_str().unwrap();
    for args in [
        vec![
            "render",
            "examples/aapl.toml",
            "-o",
            png,
            "--memory-budget",
            "100KiB",
        ],
        vec!["export", "examples/aapl.toml", "--memory-budget", "100KiB"],
        vec![
            "validate",
            "examples/aapl.toml",
            "--memory-budget",
            "100KiB",
        ],
    ] {
        let out = run(&args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("is smaller than this chart needs"),
            "{args:?}: {err}"
        );
    }
    let out = run(&[
        "render",
        "examples/aapl.toml",
        "-o",
        png,
        "--memory-budget",
        "64MiB",
        "--quality",
        "low-power",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(std::path::Path::new(png).is_file());
}

/// A chart of `rows` synthetic ticks (`value`, `volume`) and one of 3000
/// daily-ish candles (five columns), written to `dir`.
fn two_source_chart(dir: &std::path::Path, rows: u64) -> String {
    let path = dir.join("memory.toml");
    std::fs::write(
        &path,
        format!(
            r#"x_axis = "time"
[sources.ticks]
kind = "synthetic"
params = {{ rows = {rows}, seed = 3 }}
[sources.bars]
kind = "synthetic"
params = {{ shape = "ohlc", rows = 3000, seed = 4, mean_interval_ms = 60000 }}
[[panes]]
[[panes.series]]
type = "line"
data = "ticks.value"
[[panes]]
[[panes.series]]
type = "candlestick"
data = "bars"
"#
        ),
    )
    .unwrap();
    path.display().to_string()
}

#[test]
fn memory_reports_resident_set_against_the_raw_column_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let chart = two_source_chart(dir.path(), 200_000);
    let v = json(&["stats", &chart, "--frames", "3", "--json"]);
    // 200 000 rows x (time + value + volume) and 3000 x (time + OHLCV), 8 B each.
    let (ticks, bars) = (200_000 * 8 * 3, 3000 * 8 * 6);
    assert_eq!(u(&v, "/memory/column_bytes"), ticks + bars);
    let tables = v["memory"]["tables"].as_array().unwrap();
    let table = |id: &str| {
        tables
            .iter()
            .find(|t| t["source"] == id)
            .unwrap_or_else(|| panic!("no table {id} in {tables:?}"))
    };
    assert_eq!(u(table("ticks"), "/rows"), 200_000);
    assert_eq!(u(table("ticks"), "/columns"), 2);
    assert_eq!(u(table("ticks"), "/column_bytes"), ticks);
    assert_eq!(u(table("bars"), "/rows"), 3000);
    assert_eq!(u(table("bars"), "/columns"), 5);
    assert_eq!(u(table("bars"), "/column_bytes"), bars);
    assert_eq!(table("ticks")["lent"], false);
    let pyramids: u64 = tables.iter().map(|t| u(t, "/pyramid_bytes")).sum();
    assert_eq!(u(&v, "/memory/pyramid_bytes"), pyramids);
    assert!(pyramids > 0);
    if cfg!(target_os = "linux") {
        let (now, peak) = (
            u(&v, "/memory/resident_bytes"),
            u(&v, "/memory/peak_resident_bytes"),
        );
        assert!(now > 0 && peak >= now, "{now} now, {peak} peak");
        assert!(u(&v, "/memory/resident_file_bytes") <= now);
        let ratio = f(&v, "/memory/resident_ratio");
        assert!((ratio - now as f64 / (ticks + bars) as f64).abs() < 1e-9);
        let peak_ratio = f(&v, "/memory/peak_ratio");
        assert!((peak_ratio - peak as f64 / (ticks + bars) as f64).abs() < 1e-9);
    } else {
        assert!(v["memory"]["resident_bytes"].is_null());
    }

    // Shown at a timeframe, the ticks still count as read: 200 000 rows,
    // not the bars made of them.
    let text = std::fs::read_to_string(&chart).unwrap().replacen(
        "kind = \"synthetic\"\nparams = { rows",
        "kind = \"synthetic\"\ntimeframe = \"1h\"\nparams = { rows",
        1,
    );
    let at_1h = dir.path().join("at_1h.toml");
    std::fs::write(
        &at_1h,
        text.replace("data = \"ticks.value\"", "data = \"ticks.close\""),
    )
    .unwrap();
    let v = json(&["stats", at_1h.to_str().unwrap(), "--frames", "2", "--json"]);
    assert_eq!(u(&v, "/memory/column_bytes"), ticks + bars);

    let text = stdout(&["stats", &chart, "--frames", "3"]);
    for label in [
        "memory\n",
        "  columns         4.71 MiB raw (8 B per row and column, timestamps included)",
        "    ticks         200000 rows x 2 columns + time = 4.58 MiB\n",
        "    bars          3000 rows x 5 columns + time = 141 KiB\n",
        "resident now    ",
        "resident peak   ",
    ] {
        assert!(text.contains(label), "`{label}` missing:\n{text}");
    }
    let resident = text
        .lines()
        .find(|l| l.contains("resident now"))
        .unwrap_or_default();
    if cfg!(target_os = "linux") {
        assert!(resident.contains("x the columns)"), "{resident}");
    } else {
        assert!(resident.contains("unavailable"), "{resident}");
    }
}

/// `stats` says how many timeframes the GPU built and what ticks it keeps
/// there within the GPU share; ticks over the share are released after
/// each aggregation and the report says so with what to do. Forced onto
/// lavapipe here (`auto` leaves a software adapter to the CPU).
#[test]
fn gpu_aggregation_is_reported_and_its_ticks_count_in_the_gpu_share() {
    let dir = tempfile::tempdir().unwrap();
    let chart = two_source_chart(dir.path(), 200_000);
    let text = std::fs::read_to_string(&chart)
        .unwrap()
        .replacen(
            "kind = \"synthetic\"\nparams = { rows",
            "kind = \"synthetic\"\ntimeframe = \"1m\"\nparams = { rows",
            1,
        )
        .replace("data = \"ticks.value\"", "data = \"ticks.close\"");
    let at_1m = dir.path().join("at_1m.toml");
    std::fs::write(&at_1m, text).unwrap();
    let stats = |env: &str, budget: &str| {
        let out = common::gpu_charts()
            .env("GPU_CHARTS_GPU_AGGREGATE", env)
            .args(["--memory-budget", budget, "stats", at_1m.to_str().unwrap()])
            .args(["--frames", "2", "--json"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    // 200 000 ticks x (price + size) x 8 B on the device, well within an
    // eighth of 256 MiB; the second load takes the bars from the cache.
    let v = stats("force", "256 MiB");
    let g = &v["gpu_aggregation"];
    assert!(g["device"].as_str().unwrap().starts_with("GPU "), "{g}");
    assert_eq!(u(g, "/timeframes_on_gpu"), 1, "{g}");
    assert_eq!(u(g, "/resident_bytes"), 200_000 * 16, "{g}");
    assert_eq!(u(g, "/resident_budget"), (256 << 20) / 8, "{g}");
    assert_eq!(u(g, "/released_over_budget"), 0, "{g}");
    // 24 MiB: a 3 MiB GPU share, less than the 3.05 MiB of ticks.
    let v = stats("force", "24 MiB");
    let g = &v["gpu_aggregation"];
    assert_eq!(
        (
            u(g, "/timeframes_on_gpu"),
            u(g, "/resident_bytes"),
            u(g, "/released_over_budget")
        ),
        (1, 0, 1),
        "{g}"
    );
    let out = common::gpu_charts()
        .env("GPU_CHARTS_GPU_AGGREGATE", "force")
        .args([
            "--memory-budget",
            "24 MiB",
            "stats",
            at_1m.to_str().unwrap(),
        ])
        .args(["--frames", "2"])
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("GPU released    1 times: the ticks need more than the GPU share"),
        "{table}"
    );
    // Off: no GPU path, and the table says so.
    let v = stats("off", "256 MiB");
    assert_eq!(u(&v["gpu_aggregation"], "/timeframes_on_gpu"), 0);
}
