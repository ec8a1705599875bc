//! The one memory budget and the quality presets, through the pipeline
//! every command uses: eviction under a small budget (what was evicted is
//! read again and draws the same), a budget smaller than one chart (a
//! located error, not thrashing), bad values, and which setting wins.

mod common;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use gpu_charts::config::{ConfigErrorKind, Quality};
use gpu_charts::render::{ChartSession, Error, Offscreen, RenderOptions};
use gpu_charts::scene::{ChartModel, build_frame};

fn gpu() -> &'static Mutex<Offscreen> {
    static GPU: OnceLock<Mutex<Offscreen>> = OnceLock::new();
    GPU.get_or_init(|| {
        Mutex::new(Offscreen::new().expect("a GPU adapter (install mesa-vulkan-drivers)"))
    })
}

fn draw(model: &ChartModel) -> image::RgbaImage {
    let mut gpu = gpu().lock().unwrap_or_else(|p| p.into_inner());
    gpu.apply(model).unwrap_or_else(|e| panic!("{e}"));
    let scene = build_frame(model, model.initial_view, [600, 400], 1.0);
    gpu.render(&scene).unwrap_or_else(|e| panic!("{e}"))
}

/// `examples/aapl.toml` with another ticker and extra top-level keys,
/// written next to the example data (its relative paths keep working).
fn chart(dir: &Path, name: &str, symbol: &str, extra: &str) -> PathBuf {
    let text = std::fs::read_to_string(common::repo().join("examples/aapl.toml")).unwrap();
    let text = text
        .replace(
            "\"../data/stocks.csv.gz\"",
            &format!("{:?}", common::repo().join("data/stocks.csv.gz")),
        )
        .replace("symbol = \"AAPL\"", &format!("symbol = \"{symbol}\""))
        .replace(
            "title = \"AAPL daily\"",
            &format!("{extra}\ntitle = \"AAPL daily\""),
        );
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn session(options: RenderOptions) -> ChartSession {
    let mut s = ChartSession::default();
    s.set_options(options);
    s
}

fn budget(bytes: u64) -> RenderOptions {
    RenderOptions {
        memory_budget_bytes: Some(bytes),
        ..Default::default()
    }
}

#[test]
fn a_small_budget_evicts_and_the_chart_reads_again_and_draws_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let aapl = chart(dir.path(), "aapl.toml", "AAPL", "");
    let msft = chart(dir.path(), "msft.toml", "MSFT", "");
    // Measure one chart's bytes with a roomy budget.
    let mut roomy = session(RenderOptions::default());
    let first = roomy.load(&aapl).unwrap_or_else(|e| panic!("{e}"));
    let one_chart = roomy.cache_stats().1 as u64;
    let expected = draw(&first);
    // Room for one chart (CPU share = 7/8 of the total), not two.
    let total = one_chart * 3 / 2 * 8 / 7;
    let mut s = session(budget(total));
    let a = s.load(&aapl).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(a.build.sources_read, ["aapl"]);
    assert_eq!(s.cache_stats().0.evictions, 0);
    let b = s.load(&msft).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        b.build.sources_read,
        ["aapl"],
        "the MSFT table, under id aapl"
    );
    let (stats, used) = s.cache_stats();
    assert!(stats.evictions > 0, "{stats:?}");
    assert!(
        used as u64 <= a.memory_budget.cpu_bytes(),
        "{used} bytes held"
    );
    // AAPL was evicted: read and computed again, and drawn exactly as before.
    let again = s.load(&aapl).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(again.build.sources_read, ["aapl"]);
    assert_eq!(again.build.indicators_computed, ["sma20", "ema50"]);
    assert!(
        draw(&again) == expected,
        "the re-read chart draws the same pixels"
    );
    // With room for both, the third load is all cache hits.
    let mut both = session(budget(one_chart * 3 * 8 / 7));
    both.load(&aapl).unwrap_or_else(|e| panic!("{e}"));
    both.load(&msft).unwrap_or_else(|e| panic!("{e}"));
    let third = both.load(&aapl).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(third.build.sources_cached, ["aapl"]);
    assert_eq!(third.build.indicators_reused, ["sma20", "ema50"]);
    assert_eq!(both.cache_stats().0.evictions, 0);
}

fn config_error(e: Error) -> gpu_charts::config::ConfigError {
    match e {
        Error::Config(mut errors) => errors.0.remove(0),
        other => panic!("expected a config error, got {other}"),
    }
}

#[test]
fn a_budget_smaller_than_the_chart_is_a_located_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = chart(
        dir.path(),
        "small.toml",
        "AAPL",
        "memory_budget = \"100 KiB\"",
    );
    let e = config_error(session(RenderOptions::default()).load(&path).unwrap_err());
    assert_eq!(e.kind, ConfigErrorKind::InvalidValue);
    assert_eq!(e.key_path, "memory_budget");
    assert_eq!(e.line, 5, "{e}");
    let text = e.to_string();
    assert!(
        text.contains("memory budget 100 KiB (memory_budget in the chart file) is smaller than this chart needs"),
        "{text}"
    );
    assert!(text.contains("raise the budget to at least"), "{text}");
    // The help's figure is enough: loading with it succeeds.
    let at_least: u64 = text
        .split(" bytes)")
        .next()
        .and_then(|s| s.rsplit('(').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no byte count in {text}"));
    let ok = session(budget(at_least)).load(&path);
    assert!(
        ok.is_ok(),
        "{at_least} bytes: {:?}",
        ok.err().map(|e| e.to_string())
    );
    // The command line's budget wins over the file's, and says so.
    let e = config_error(session(budget(50 << 10)).load(&path).unwrap_err());
    assert!(e.to_string().contains("(--memory-budget)"), "{e}");
    let big = session(budget(1 << 30))
        .load(&path)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(big.memory_budget.total_bytes, 1 << 30);
}

fn parse_error(extra: &str) -> gpu_charts::config::ConfigError {
    let text = std::fs::read_to_string(common::repo().join("examples/aapl.toml")).unwrap();
    let text = text.replace(
        "title = \"AAPL daily\"",
        &format!("{extra}\ntitle = \"AAPL daily\""),
    );
    let path = common::repo().join("examples/x.toml");
    match gpu_charts::config::parse_chart_str(&text, &path) {
        Ok(_) => panic!("`{extra}` was accepted"),
        Err(mut e) => e.0.remove(0),
    }
}

#[test]
fn bad_budgets_and_presets_are_located_errors() {
    for bad in [
        "memory_budget = \"2 gigs\"",
        "memory_budget = 0",
        "memory_budget = \"0 MiB\"",
        "memory_budget = -5",
        "memory_budget = true",
        "memory_budget = \"99999999 TiB\"",
    ] {
        let e = parse_error(bad);
        assert_eq!(e.key_path, "memory_budget", "{bad}: {e}");
        assert_eq!(e.line, 5, "{bad}: {e}");
    }
    let e = parse_error("memory_budget = \"0 MiB\"");
    assert!(e.to_string().contains("at least 1 byte"), "{e}");
    let e = parse_error("quality = \"ultra\"");
    assert_eq!(e.key_path, "quality", "{e}");
    assert!(e.to_string().contains("low-power"), "{e}");
}

#[test]
fn the_command_line_preset_wins_over_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = chart(dir.path(), "q.toml", "AAPL", "quality = \"performance\"");
    let m = session(RenderOptions::default())
        .load(&path)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(m.quality.preset, Quality::Performance);
    assert_eq!((m.quality.msaa_samples, m.quality.lod_px), (1, 1.5));
    let m = session(RenderOptions {
        quality: Some(Quality::LowPower),
        ..Default::default()
    })
    .load(&path)
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(m.quality.preset, Quality::LowPower);
    assert_eq!(
        m.memory_budget.total_bytes,
        512 << 20,
        "the preset's budget"
    );
    // No preset anywhere: balanced, what earlier versions drew.
    let plain = session(RenderOptions::default())
        .load(&common::repo().join("examples/aapl.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(plain.quality.preset, Quality::Balanced);
    assert_eq!(plain.quality.msaa_samples, 4);
}

/// The window's F3 overlay: the preset, the budget's split, the last load,
/// the pool and the frame time, drawn in a box at the bottom left with the
/// chart's text.
#[test]
fn the_statistics_overlay_names_preset_budget_pool_and_frame_time() {
    let model = session(RenderOptions {
        quality: Some(Quality::Performance),
        memory_budget_bytes: Some(1 << 30),
        ..Default::default()
    })
    .load(&common::repo().join("examples/aapl.toml"))
    .unwrap_or_else(|e| panic!("{e}"));
    let _ = draw(&model);
    let pool = gpu()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .renderer
        .stats()
        .pool;
    let text = gpu_charts::stats::overlay_text(&model, None, &pool, Some((0.5, 1.25)));
    for part in [
        "quality: performance: MSAA off, line antialiasing none, LOD bucket 1.5 px",
        "memory budget 1.00 GiB (--memory-budget): CPU 896 MiB, GPU 128 MiB",
        "last load: sources 1 read, 0 cached; indicators 2 computed, 0 reused",
        "buffer pool:",
        "frame: CPU scene 0.50 ms, encode+submit 1.25 ms",
    ] {
        assert!(text.contains(part), "`{part}` missing:\n{text}");
    }
    let mut scene = build_frame(&model, model.initial_view, [900, 500], 1.0);
    let (rects, texts) = (scene.over.len(), scene.texts.len());
    gpu_charts::stats::draw_overlay(&mut scene, &model.palette, &text, 1.0);
    assert_eq!(scene.over.len(), rects + 1, "one box");
    let boxed = scene.over[rects];
    assert_eq!(boxed.max[1], 500.0, "at the bottom");
    assert_eq!(boxed.min[0], 0.0, "at the left");
    let lines: Vec<&str> = scene.texts.iter().map(|t| t.text.as_str()).collect();
    assert!(
        lines.iter().any(|l| l.starts_with("quality: performance")),
        "{lines:?}"
    );
    // Every overlay line is inside the box; chart labels under it went.
    let added: Vec<_> = scene.texts[texts.min(scene.texts.len())..].to_vec();
    let mine: Vec<_> = scene
        .texts
        .iter()
        .filter(|t| text.lines().any(|l| l == t.text))
        .collect();
    assert_eq!(mine.len(), text.lines().count(), "{added:?}");
    for t in &mine {
        assert!(
            t.x < boxed.max[0] && t.y > boxed.min[1] && t.y < boxed.max[1],
            "{t:?}"
        );
    }
    for t in scene.texts.iter().filter(|t| !mine.contains(t)) {
        assert!(
            !(t.y > boxed.min[1] && t.x < boxed.max[0]),
            "under the box: {t:?}"
        );
    }
}
