//! Live sessions (issue 11):
//!
//! * `parse_validate`: parse + validate `examples/aapl.toml` (TOML with
//!   spans, the chart JSON Schema, serde, the checks a schema cannot do) and
//!   the same plus validating every plugin's params against the plugin's
//!   schema, as a load does; baseline: `toml::from_str` of the same text
//!   into a plain `toml::Value`.
//! * `live_read`: what a render loop pays to read the live config
//!   ([`LiveConfig::current`], an `ArcSwap` load + `Arc` clone, and
//!   [`LiveConfig::generation`], a guarded load) vs cloning / reading a
//!   plain `Arc<Generation>`.
//! * `save_to_frame` (not criterion): the release binary runs
//!   `gpu-charts render <chart> --watch`; the bench saves an edited chart
//!   (a colour) or an edited Lua script (a parameter default) and times
//!   from the write to the line `generation N: wrote …` the binary prints
//!   once the new PNG is written, checking that the PNG changed. The line's
//!   own figures (`in R ms (load L ms)`) split that into build (`load`),
//!   render + PNG (`in`), and the rest: the watcher's debounce (100 ms by
//!   default, see [`LiveOptions`]) plus event delivery. The same chart's
//!   frame (scene + GPU + readback) and PNG encode are then timed in-process
//!   to split `in` further.
//!
//! `cargo build --release` first: the plugins and the binary come from
//! `target/release` (override with `GPU_CHARTS_ROOT`, `GPU_CHARTS_BIN`,
//! `GPU_CHARTS_PLUGIN_PATH`). `LIVE_EDITS` sets the timed edits per case
//! (default 12); a filter argument that does not match `save_to_frame`
//! skips it.
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use std::hint::black_box;

use criterion::Criterion;
use gpu_charts::config::{apply_defaults, load_chart_file, parse_chart_str, validate_params};
use gpu_charts::live::{LiveOptions, LiveSession};
use gpu_charts::plugins::PluginRegistry;
use gpu_charts::render::{ChartSession, Offscreen};

fn criterion() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args()
}

/// Parse + validate, then every plugin's params, as `build_model` does.
fn parse_and_validate_all(text: &str, path: &Path, registry: &PluginRegistry) -> usize {
    let loaded = parse_chart_str(text, path).unwrap_or_else(|e| panic!("{e}"));
    let map = &loaded.source_map;
    let mut checked = 0;
    for (id, src) in &loaded.config.sources {
        let schema = &registry
            .source(&src.kind)
            .unwrap_or_else(|e| panic!("{e}"))
            .info()
            .params_schema;
        let what = format!("source plugin `{}`", src.kind);
        validate_params(
            schema,
            &src.params,
            &format!("sources.{id}.params"),
            &what,
            map,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        black_box(apply_defaults(schema, &src.params));
        checked += 1;
    }
    for (i, ind) in loaded.config.indicators.iter().enumerate() {
        let Some(kind) = &ind.kind else { continue };
        let schema = &registry
            .indicator(kind)
            .unwrap_or_else(|e| panic!("{e}"))
            .info()
            .params_schema;
        let what = format!("indicator plugin `{kind}`");
        validate_params(
            schema,
            &ind.params,
            &format!("indicators[{i}].params"),
            &what,
            map,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        checked += 1;
    }
    checked
}

fn parse_validate(c: &mut Criterion, root: &Path) {
    let path = root.join("examples/aapl.toml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
    let registry = {
        let (r, errors) = PluginRegistry::discover(&gpu_charts::plugins::default_search_dirs(
            &gpu_charts_benches::plugin_dirs(),
        ));
        for e in &errors {
            eprintln!("warning: {e}");
        }
        r
    };
    // The data is checked: the chart is the one described (1 source, 2
    // plugin indicators, 2 panes) and every param block validates.
    let loaded = parse_chart_str(&text, &path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(loaded.config.sources.len(), 1);
    assert_eq!(loaded.config.indicators.len(), 2);
    assert_eq!(loaded.config.panes.len(), 2);
    assert_eq!(parse_and_validate_all(&text, &path, &registry), 3);
    let value: toml::Value = toml::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    assert!(value.get("sources").is_some());
    eprintln!("aapl.toml: {} bytes", text.len());

    let mut g = c.benchmark_group("parse_validate_aapl_toml");
    g.bench_function("baseline_toml_from_str_value", |b| {
        b.iter(|| toml::from_str::<toml::Value>(black_box(&text)).unwrap())
    });
    g.bench_function("parse_schema_checks", |b| {
        b.iter(|| parse_chart_str(black_box(&text), &path).unwrap())
    });
    g.bench_function("parse_schema_checks_plugin_params", |b| {
        b.iter(|| parse_and_validate_all(black_box(&text), &path, &registry))
    });
    g.bench_function("load_chart_file_read_parse_schema_checks", |b| {
        b.iter(|| load_chart_file(black_box(&path)).unwrap())
    });
    g.finish();
}

fn live_read(c: &mut Criterion, root: &Path, tmp: &Path) {
    // A real live session over a small chart (1,000 synthetic rows).
    let chart = tmp.join("read.toml");
    std::fs::write(
        &chart,
        r##"title = "live read"
size = [320, 200]
[sources.s]
kind = "synthetic"
params = { rows = 1000 }
[[panes]]
[[panes.series]]
type = "line"
data = "s.value"
"##,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let live = LiveSession::open(
        &chart,
        LiveOptions {
            extra_plugin_dirs: gpu_charts_benches::plugin_dirs(),
            ..LiveOptions::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let config = live.config();
    let plain = config.current();
    assert_eq!(plain.number, 1);
    assert_eq!(plain.model.tables["s"].len(), 1000);
    assert_eq!(config.generation(), 1);

    let mut g = c.benchmark_group("live_read");
    g.bench_function("baseline_plain_arc_clone", |b| {
        b.iter(|| Arc::clone(black_box(&plain)))
    });
    g.bench_function("live_config_current", |b| {
        b.iter(|| black_box(&config).current())
    });
    g.bench_function("baseline_plain_arc_number", |b| {
        b.iter(|| black_box(&plain).number)
    });
    g.bench_function("live_config_generation", |b| {
        b.iter(|| black_box(&config).generation())
    });
    // In a render loop: one frame of the AAPL demo built from the model read
    // through the live config vs from a plain `Arc` held by the loop.
    let aapl = ChartSession::new(gpu_charts_benches::plugin_dirs())
        .load(&root.join("examples/aapl.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    let aapl_live = LiveSession::open(
        &root.join("examples/aapl.toml"),
        LiveOptions {
            extra_plugin_dirs: gpu_charts_benches::plugin_dirs(),
            ..LiveOptions::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let aapl_config = aapl_live.config();
    let aapl_plain = Arc::new(aapl);
    let size = [1600, 900];
    let frame = |m: &gpu_charts::scene::ChartModel| {
        gpu_charts::scene::build_frame(m, m.initial_view, size, 1.0)
    };
    let n = |s: &gpu_charts::scene::FrameScene| -> usize {
        s.series.iter().map(|d| d.instances.len()).sum()
    };
    let expected = n(&frame(&aapl_plain));
    assert!(expected > 100, "{expected} instances");
    assert_eq!(n(&frame(&aapl_config.current().model)), expected);
    g.bench_function("baseline_frame_aapl_from_plain_arc", |b| {
        b.iter(|| frame(&Arc::clone(black_box(&aapl_plain))))
    });
    g.bench_function("frame_aapl_from_live_config_current", |b| {
        b.iter(|| frame(&black_box(&aapl_config).current().model))
    });
    g.finish();
    drop(aapl_live);
    drop(live);
}

// --- save → frame ----------------------------------------------------------

/// `render --watch` running as a child, its stdout lines timestamped on arrival.
struct Watch {
    child: Child,
    lines: mpsc::Receiver<(Instant, String)>,
    stderr: Arc<std::sync::Mutex<Vec<String>>>,
}

impl Watch {
    fn spawn(chart: &Path, png: &Path) -> Watch {
        let bin = gpu_charts_benches::gpu_charts_bin();
        let mut child = Command::new(&bin)
            .arg("render")
            .arg(chart)
            .arg("-o")
            .arg(png)
            .args(["--watch", "--exit-after-ms", "600000"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run `{}`: {e} (run `cargo build --release` first)",
                    bin.display()
                )
            });
        let (tx, lines) = mpsc::channel();
        let out = child.stdout.take().expect("piped stdout");
        std::thread::spawn(move || {
            for l in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send((Instant::now(), l)).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(std::sync::Mutex::new(Vec::new()));
        let err = child.stderr.take().expect("piped stderr");
        let seen = stderr.clone();
        std::thread::spawn(move || {
            for l in BufReader::new(err).lines().map_while(Result::ok) {
                if let Ok(mut s) = seen.lock() {
                    s.push(l);
                }
            }
        });
        Watch {
            child,
            lines,
            stderr,
        }
    }

    /// Waits for `generation n: wrote …`; returns when it arrived and the line.
    fn generation(&self, n: u64) -> (Instant, String) {
        let want = format!("generation {n}: wrote");
        let deadline = Instant::now() + Duration::from_secs(60);
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok((t, l)) if l.contains(&want) => return (t, l),
                Ok(_) => {}
                Err(_) => break,
            }
        }
        panic!(
            "no `{want}` line within 60 s; stderr: {:#?}",
            self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
        );
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `… in R ms (load L ms)` → (R, L) in ms.
fn printed_ms(line: &str) -> (f64, f64) {
    let tail = line.rsplit(" in ").next().unwrap_or("");
    let num = |s: &str| -> f64 {
        s.trim()
            .trim_end_matches("ms")
            .trim()
            .parse()
            .unwrap_or_else(|e| panic!("cannot read ms from `{line}`: {e}"))
    };
    let (render, load) = tail
        .split_once("(load")
        .unwrap_or_else(|| panic!("unexpected line `{line}`"));
    (num(render), num(load.trim_end_matches(')')))
}

struct Sample {
    latency_ms: f64,
    load_ms: f64,
    render_ms: f64,
}

/// Saves `file` alternately as `b` and `a` (it holds `a` now) `edits + 1`
/// times (the first untimed), each time waiting for the next generation.
fn time_edits(
    watch: &Watch,
    png: &Path,
    file: &Path,
    a: &str,
    b: &str,
    edits: usize,
) -> Vec<Sample> {
    let mut samples = Vec::new();
    let mut generation = 1;
    for i in 0..=edits {
        // Let the previous reload's file events settle (reads are ignored,
        // but a save must not fall into the previous debounce window).
        std::thread::sleep(Duration::from_millis(300));
        let before = std::fs::read(png).unwrap_or_else(|e| panic!("{e}"));
        let text = if i % 2 == 0 { b } else { a };
        let t0 = Instant::now();
        std::fs::write(file, text).unwrap_or_else(|e| panic!("{e}"));
        generation += 1;
        let (t1, line) = watch.generation(generation);
        let after = std::fs::read(png).unwrap_or_else(|e| panic!("{e}"));
        assert_ne!(
            before, after,
            "generation {generation}: the PNG did not change"
        );
        let (render_ms, load_ms) = printed_ms(&line);
        if i > 0 {
            samples.push(Sample {
                latency_ms: (t1 - t0).as_secs_f64() * 1e3,
                load_ms,
                render_ms,
            });
        }
    }
    samples
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn report(name: &str, samples: &[Sample], debounce_ms: f64) {
    let col = |f: fn(&Sample) -> f64| samples.iter().map(f).collect::<Vec<f64>>();
    let lat = col(|s| s.latency_ms);
    let rest = col(|s| s.latency_ms - s.load_ms - s.render_ms);
    let (min, max) = (
        lat.iter().copied().fold(f64::INFINITY, f64::min),
        lat.iter().copied().fold(0.0, f64::max),
    );
    let med = median(lat);
    println!(
        "save_to_frame/{name}: {} edits; save → PNG written: median {med:.1} ms (min {min:.1}, max {max:.1}); \
         of which build (load) {:.1} ms, render + PNG {:.1} ms, wait (debounce {debounce_ms:.0} ms + event delivery) {:.1} ms; \
         beyond the debounce: {:.1} ms",
        samples.len(),
        median(col(|s| s.load_ms)),
        median(col(|s| s.render_ms)),
        median(rest),
        med - debounce_ms,
    );
}

/// The frame (scene + GPU + readback) and PNG encode + write of `chart`,
/// in-process: medians of 7 runs (ms).
fn frame_and_png(chart: &Path, out: &Path) -> (f64, f64) {
    let mut session = ChartSession::new(gpu_charts_benches::plugin_dirs());
    let model = session.load(chart).unwrap_or_else(|e| panic!("{e}"));
    let mut gpu = Offscreen::new().unwrap_or_else(|e| panic!("{e}"));
    let (mut frame, mut png) = (Vec::new(), Vec::new());
    for _ in 0..8 {
        let t0 = Instant::now();
        let scene = gpu_charts::render::initial_frame(&model, None);
        let img = gpu.render(&scene).unwrap_or_else(|e| panic!("{e}"));
        let t1 = Instant::now();
        img.save(out).unwrap_or_else(|e| panic!("{e}"));
        let t2 = Instant::now();
        frame.push((t1 - t0).as_secs_f64() * 1e3);
        png.push((t2 - t1).as_secs_f64() * 1e3);
    }
    // The first run compiles the pipelines: drop it.
    (median(frame[1..].to_vec()), median(png[1..].to_vec()))
}

fn save_to_frame(root: &Path, tmp: &Path, edits: usize) {
    let debounce_ms = LiveOptions::default().debounce.as_secs_f64() * 1e3;
    let data = root.join("data");
    let data = std::path::absolute(&data).unwrap_or(data);
    let charts = tmp.join("charts");
    let scripts = tmp.join("scripts");
    std::fs::create_dir_all(&charts).unwrap_or_else(|e| panic!("{e}"));
    std::fs::create_dir_all(&scripts).unwrap_or_else(|e| panic!("{e}"));
    for e in std::fs::read_dir(root.join("scripts")).unwrap_or_else(|e| panic!("{e}")) {
        let p = e.unwrap_or_else(|e| panic!("{e}")).path();
        if p.extension().is_some_and(|x| x == "lua") {
            let name: PathBuf = p.file_name().map(Into::into).unwrap_or_default();
            std::fs::copy(&p, scripts.join(name)).unwrap_or_else(|e| panic!("{e}"));
        }
    }
    let copy_chart = |name: &str| -> (PathBuf, String) {
        let text = std::fs::read_to_string(root.join("examples").join(name))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(text.contains("../data/"), "{name} reads ../data/");
        let text = text.replace("../data/", &format!("{}/", data.display()));
        let path = charts.join(name);
        std::fs::write(&path, &text).unwrap_or_else(|e| panic!("{e}"));
        (path, text)
    };

    // A config edit: the SMA's colour in the AAPL chart.
    let (chart, a) = copy_chart("aapl.toml");
    let (from, to) = (r##"color = "#f5a623""##, r##"color = "#d0021b""##);
    assert!(a.contains(from), "aapl.toml has {from}");
    let b = a.replacen(from, to, 1);
    let png = tmp.join("aapl.png");
    let watch = Watch::spawn(&chart, &png);
    watch.generation(1);
    let config_edit = time_edits(&watch, &png, &chart, &a, &b, edits);
    drop(watch);
    let (frame_ms, png_ms) = frame_and_png(&chart, &tmp.join("aapl_inproc.png"));

    // A Lua edit: the Keltner channels' default multiplier (the bands move).
    let (lua_chart, _) = copy_chart("aapl_lua.toml");
    let script = scripts.join("keltner.lua");
    let a = std::fs::read_to_string(&script).unwrap_or_else(|e| panic!("{e}"));
    let from = "default = 2.0, min = 0.1";
    assert!(a.contains(from), "keltner.lua has {from}");
    let b = a.replacen(from, "default = 3.0, min = 0.1", 1);
    let lua_png = tmp.join("aapl_lua.png");
    let watch = Watch::spawn(&lua_chart, &lua_png);
    watch.generation(1);
    let lua_edit = time_edits(&watch, &lua_png, &script, &a, &b, edits);
    drop(watch);
    let (lua_frame_ms, lua_png_ms) = frame_and_png(&lua_chart, &tmp.join("aapl_lua_inproc.png"));

    println!(
        "save_to_frame: binary {}, debounce {debounce_ms:.0} ms (LiveOptions default)",
        gpu_charts_benches::gpu_charts_bin().display()
    );
    report("config_edit_aapl_colour", &config_edit, debounce_ms);
    println!(
        "  in-process, aapl.toml 1600x900: frame (scene + GPU + readback) {frame_ms:.1} ms, PNG encode + write {png_ms:.1} ms"
    );
    report("lua_edit_keltner_multiplier", &lua_edit, debounce_ms);
    println!(
        "  in-process, aapl_lua.toml 1600x900: frame (scene + GPU + readback) {lua_frame_ms:.1} ms, PNG encode + write {lua_png_ms:.1} ms"
    );
}

fn main() {
    let root = gpu_charts_benches::repo_root();
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let args: Vec<String> = std::env::args().skip(1).collect();
    let test_mode = args.iter().any(|a| a == "--test");
    let filter = args.iter().find(|a| !a.starts_with('-')).cloned();

    let mut c = criterion();
    parse_validate(&mut c, &root);
    live_read(&mut c, &root, tmp.path());
    c.final_summary();

    if filter.is_none_or(|f| "save_to_frame".contains(f.as_str())) {
        let edits = if test_mode {
            1
        } else {
            std::env::var("LIVE_EDITS")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(12)
        };
        save_to_frame(&root, tmp.path(), edits);
    }
}
