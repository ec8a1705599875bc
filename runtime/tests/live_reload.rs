//! Live reload: a good change publishes a new generation, a bad one keeps
//! the last good generation and exposes its located error, every way editors
//! save is seen, and 1,000 rapid mixed saves end in the final file's state.

mod common;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use gpu_charts::config::ConfigErrorKind;
use gpu_charts::live::{LiveConfig, LiveHandle, LiveOptions, LiveSession, Reload};
use gpu_charts::render::Error;

/// Tests run one at a time: the leak check counts the whole process's
/// threads and file descriptors.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|p| p.into_inner())
}

/// How long a test waits for a reload before it gives up (a liveness bound,
/// not a performance claim).
const PATIENCE: Duration = Duration::from_secs(20);

const SCRIPT: &str = r##"
indicator {
  name = "Highest",
  params = { n = { type = "integer", default = 5, min = 1, max = 100 } },
  outputs = { { name = "out", style = "line", color = "#ff8800" } },
}
function calculate(p)
  return { out = ta.highest(close, p.n) }
end
"##;

/// A small chart: 1,000 synthetic rows, a plugin indicator and a Lua script.
fn chart(title: &str, period: u32) -> String {
    format!(
        r#"title = "{title}"
size = [320, 200]
x_axis = "time"

[sources.s]
kind = "synthetic"
params = {{ rows = 1000, seed = 3 }}

[[indicators]]
id = "avg"
kind = "sma"
input = "s.value"
params = {{ period = {period} }}

[[indicators]]
id = "hi"
script = "hi.lua"
input = "s.value"
params = {{ n = 4 }}

[[panes]]
[[panes.series]]
type = "line"
data = "s.value"

[[panes.series]]
type = "line"
data = "avg"
"#
    )
}

struct Fixture {
    dir: tempfile::TempDir,
    chart: PathBuf,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let chart = dir.path().join("chart.toml");
        std::fs::write(&chart, chart_text("one", 5)).unwrap();
        std::fs::write(dir.path().join("hi.lua"), SCRIPT).unwrap();
        Fixture { dir, chart }
    }
}

fn chart_text(title: &str, period: u32) -> String {
    chart(title, period)
}

fn options() -> LiveOptions {
    LiveOptions {
        debounce: Duration::from_millis(50),
        print_errors: false,
        ..LiveOptions::default()
    }
}

fn title(cfg: &LiveConfig) -> String {
    cfg.current().model.config.title.clone().unwrap_or_default()
}

/// Waits for the next reload outcome.
fn next(live: &mut LiveSession) -> Reload {
    let t0 = Instant::now();
    while t0.elapsed() < PATIENCE {
        if let Some(r) = live.wait(Duration::from_millis(100)) {
            return r;
        }
    }
    panic!("no reload within {PATIENCE:?}");
}

fn published(r: Reload) -> Arc<gpu_charts::live::Generation> {
    match r {
        Reload::Published(g) => g,
        Reload::Failed(f) => panic!("expected a new generation, got: {f}"),
    }
}

/// The failure's config errors, asserting that generation `kept` stayed.
fn failed(r: Reload, live: &LiveSession, kept: u64) -> Vec<gpu_charts::config::ConfigError> {
    let f = match r {
        Reload::Failed(f) => f,
        Reload::Published(g) => panic!("expected a failure, got generation {}", g.number),
    };
    let cfg = live.config();
    assert_eq!(f.kept, kept);
    assert_eq!(
        cfg.generation(),
        kept,
        "a bad version must not be published"
    );
    let last = cfg.last_error().expect("the failure is exposed");
    assert!(Arc::ptr_eq(&last, &f));
    match &f.error {
        Error::Config(e) => e.0.clone(),
        other => panic!("expected config errors, got {other}"),
    }
}

#[test]
fn a_good_edit_publishes_the_next_generation() {
    let _s = serial();
    let fx = Fixture::new();
    let mut live = LiveSession::open(&fx.chart, options()).unwrap();
    let cfg = live.config();
    assert_eq!(cfg.generation(), 1);
    assert_eq!(title(&cfg), "one");
    // Everything it is built from: chart, script, and the three plugins used.
    let sources = cfg.current().sources.clone();
    let names: BTreeSet<String> = sources
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().to_string()))
        .collect();
    for want in ["chart.toml", "hi.lua"] {
        assert!(names.contains(want), "{names:?}");
    }
    for plugin in ["synthetic", "sma", "line"] {
        assert!(
            names
                .iter()
                .any(|n| n.contains(&format!("plugin_{plugin}"))),
            "{plugin} missing from {names:?}"
        );
    }

    std::fs::write(&fx.chart, chart_text("two", 7)).unwrap();
    let g = published(next(&mut live));
    assert_eq!(g.number, 2);
    assert_eq!(g.model.config.title.as_deref(), Some("two"));
    assert_eq!(g.model.config.indicators[0].params["period"], 7);
    assert!(g.changed.iter().any(|p| p.ends_with("chart.toml")));
    assert_eq!(cfg.generation(), 2);
    assert!(cfg.last_error().is_none());

    // A script edit is a change too: the output is recomputed with it.
    let before = column(&cfg, "hi");
    std::fs::write(
        fx.dir.path().join("hi.lua"),
        SCRIPT.replace("ta.highest", "ta.lowest"),
    )
    .unwrap();
    let g = published(next(&mut live));
    assert_eq!(g.number, 3);
    assert!(g.changed.iter().any(|p| p.ends_with("hi.lua")));
    let after = column(&cfg, "hi");
    assert_eq!(before.len(), after.len());
    assert!(
        after
            .iter()
            .zip(&before)
            .all(|(a, b)| a.is_nan() && b.is_nan() || a <= b),
        "the lowest of a window is never above its highest"
    );
    assert!(after.iter().zip(&before).any(|(a, b)| a < b));
}

/// A module in a folder below the script (`require("lib.k")`) is watched:
/// saving it reloads the chart with the script recomputed.
#[test]
fn editing_a_required_module_in_a_subfolder_reloads() {
    let _s = serial();
    let fx = Fixture::new();
    std::fs::create_dir(fx.dir.path().join("lib")).unwrap();
    std::fs::write(fx.dir.path().join("lib/k.lua"), "return 1\n").unwrap();
    std::fs::write(
        fx.dir.path().join("hi.lua"),
        SCRIPT.replace(
            "return { out = ta.highest(close, p.n) }",
            "return { out = ta.highest(close, p.n) * require('lib.k') }",
        ),
    )
    .unwrap();
    let mut live = LiveSession::open(&fx.chart, options()).unwrap();
    let cfg = live.config();
    let before = column(&cfg, "hi");
    std::fs::write(fx.dir.path().join("lib/k.lua"), "return 2\n").unwrap();
    let g = published(next(&mut live));
    assert!(
        g.changed.iter().any(|p| p.ends_with("lib/k.lua")),
        "{:?}",
        g.changed
    );
    let after = column(&cfg, "hi");
    for (a, b) in after.iter().zip(&before) {
        assert!(a.is_nan() && b.is_nan() || *a == 2.0 * b, "{a} vs 2 x {b}");
    }
    assert!(after.iter().any(|a| !a.is_nan()));
}

fn column(cfg: &LiveConfig, name: &str) -> Vec<f64> {
    let g = cfg.current();
    let c = g
        .model
        .columns
        .iter()
        .find(|c| c.name == name || c.name.starts_with(&format!("{name}.")))
        .unwrap_or_else(|| panic!("no column {name}"));
    c.data.column.values.to_vec()
}

#[test]
fn a_bad_edit_keeps_the_last_good_generation_and_exposes_the_error() {
    let _s = serial();
    let fx = Fixture::new();
    let mut live = LiveSession::open(&fx.chart, options()).unwrap();
    let cfg = live.config();
    let good = chart_text("one", 5);

    // Syntax error: an unterminated string on line 1.
    std::fs::write(&fx.chart, good.replacen("\"one\"", "\"one", 1)).unwrap();
    let errs = failed(next(&mut live), &live, 1);
    assert_eq!(errs[0].kind, ConfigErrorKind::Syntax);
    assert_eq!(errs[0].line, 1);
    assert!(errs[0].file.ends_with("chart.toml"));

    // Schema: a misspelt key, located, with a suggestion.
    std::fs::write(&fx.chart, good.replacen("x_axis", "x_axsi", 1)).unwrap();
    let errs = failed(next(&mut live), &live, 1);
    assert_eq!(errs[0].kind, ConfigErrorKind::UnknownKey);
    assert_eq!(errs[0].line, 3);
    assert!(
        errs[0].help.as_deref().unwrap_or("").contains("x_axis"),
        "{:?}",
        errs[0]
    );
    let shown = format!("{}", cfg.last_error().unwrap());
    assert!(shown.contains("chart.toml:3:"), "{shown}");
    assert!(shown.contains("still showing generation 1"), "{shown}");

    // An unknown plugin.
    std::fs::write(
        &fx.chart,
        good.replacen("kind = \"sma\"", "kind = \"smaa\"", 1),
    )
    .unwrap();
    let errs = failed(next(&mut live), &live, 1);
    assert_eq!(errs[0].kind, ConfigErrorKind::Plugin);
    assert_eq!(errs[0].key_path, "indicators[0].kind");
    assert!(errs[0].message.contains("smaa"), "{}", errs[0].message);

    // A plugin param out of range.
    std::fs::write(&fx.chart, good.replacen("period = 5", "period = 0", 1)).unwrap();
    let errs = failed(next(&mut live), &live, 1);
    assert_eq!(errs[0].kind, ConfigErrorKind::PluginParams);

    // A broken Lua script (the chart file itself is fine again).
    std::fs::write(&fx.chart, &good).unwrap();
    let g = published(next(&mut live));
    assert_eq!(g.number, 2);
    std::fs::write(fx.dir.path().join("hi.lua"), "indicator {\n  name = \n").unwrap();
    let errs = failed(next(&mut live), &live, 2);
    assert_eq!(errs[0].kind, ConfigErrorKind::Script);
    assert_eq!(errs[0].key_path, "indicators[1].script");
    assert!(errs[0].message.contains("hi.lua"), "{}", errs[0].message);
    assert_eq!(title(&cfg), "one");

    // Fixing it clears the error.
    std::fs::write(fx.dir.path().join("hi.lua"), SCRIPT).unwrap();
    let g = published(next(&mut live));
    assert_eq!(g.number, 3);
    assert!(cfg.last_error().is_none());
}

#[test]
fn rename_saves_truncation_and_delete_recreate_are_seen() {
    let _s = serial();
    let fx = Fixture::new();
    let mut live = LiveSession::open(&fx.chart, options()).unwrap();
    let cfg = live.config();

    // Save by rename: write a temporary file, rename it over the chart.
    let tmp = fx.dir.path().join(".chart.toml.swp");
    std::fs::write(&tmp, chart_text("renamed", 5)).unwrap();
    std::fs::rename(&tmp, &fx.chart).unwrap();
    assert_eq!(published(next(&mut live)).number, 2);
    assert_eq!(title(&cfg), "renamed");

    // Truncate, then write in a second step.
    {
        let mut f = std::fs::File::create(&fx.chart).unwrap();
        f.flush().unwrap();
        std::thread::sleep(Duration::from_millis(5));
        f.write_all(chart_text("truncated", 5).as_bytes()).unwrap();
    }
    let r = next(&mut live);
    // If the debouncer saw the empty file alone, that reload failed; the
    // write then brings generation 3.
    let r = match r {
        Reload::Failed(_) => next(&mut live),
        ok => ok,
    };
    assert_eq!(published(r).number, 3);
    assert_eq!(title(&cfg), "truncated");

    // Delete: the chart cannot be read, generation 3 stays; recreate it.
    std::fs::remove_file(&fx.chart).unwrap();
    let errs = failed(next(&mut live), &live, 3);
    assert_eq!(errs[0].kind, ConfigErrorKind::Io);
    std::fs::write(&fx.chart, chart_text("recreated", 5)).unwrap();
    // Creating and writing are two events; on a loaded machine the
    // debouncer may reload the empty file between them (that fails).
    let r = match next(&mut live) {
        Reload::Failed(_) => next(&mut live),
        ok => ok,
    };
    assert_eq!(published(r).number, 4);
    assert_eq!(title(&cfg), "recreated");
    assert!(cfg.last_error().is_none());

    // A file next to the chart that it does not use changes nothing.
    std::fs::write(fx.dir.path().join("notes.txt"), "hello").unwrap();
    assert!(live.wait(Duration::from_millis(400)).is_none());
    assert_eq!(cfg.generation(), 4);
}

/// Open file descriptors of this process.
#[cfg(target_os = "linux")]
fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .map(|r| r.count())
        .unwrap_or(0)
}

/// Threads of this process that live sessions start: the session thread
/// and notify's watcher and debouncer threads (names as the kernel keeps
/// them, cut to 15 bytes).
#[cfg(target_os = "linux")]
fn session_threads() -> usize {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .filter_map(Result::ok)
        .filter_map(|t| std::fs::read_to_string(t.path().join("comm")).ok())
        .filter(|c| c.starts_with("notify-rs") || c.starts_with("gpu-charts-live"))
        .count()
}

/// A tiny deterministic generator (xorshift64*).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_thousand_rapid_mixed_saves_end_in_the_final_state() {
    let _s = serial();
    // Warm up once: plugins stay loaded and the first watcher's lazily
    // created pieces exist before the baseline is taken.
    {
        let fx = Fixture::new();
        drop(LiveHandle::spawn(&fx.chart, options()).unwrap());
    }
    // Dropping a handle joins its threads, but notify's own threads exit
    // asynchronously: wait (bounded) for the warm-up's to be gone.
    let t0 = Instant::now();
    while session_threads() != 0 && t0.elapsed() < PATIENCE {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        session_threads(),
        0,
        "threads of earlier sessions never exited"
    );
    let fds_before = open_fds();
    let fx = Fixture::new();
    let handle = LiveHandle::spawn(&fx.chart, options()).unwrap();
    let cfg = handle.config();

    // Titles of valid versions only: a published generation with any other
    // title would be an invalid state reaching the screen.
    let valid: Arc<Mutex<BTreeSet<String>>> = Arc::new(Mutex::new(BTreeSet::from(["one".into()])));
    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let (cfg, valid, done) = (cfg.clone(), valid.clone(), done.clone());
        std::thread::spawn(move || {
            let mut reads = 0u64;
            let mut last = 0u64;
            while !done.load(Ordering::Relaxed) {
                let g = cfg.current();
                assert!(g.number >= last, "generations go forward");
                last = g.number;
                let t = g.model.config.title.clone().unwrap_or_default();
                assert!(
                    valid.lock().unwrap().contains(&t),
                    "invalid title {t:?} shown"
                );
                assert_eq!(g.model.tables["s"].len(), 1000);
                reads += 1;
                std::thread::yield_now();
            }
            reads
        })
    };

    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let dir = fx.dir.path().to_path_buf();
    let mut busiest = 0;
    for i in 0..1000u32 {
        let t = format!("v{i}");
        let period = 2 + rng.below(30) as u32;
        let text = chart_text(&t, period);
        let op = rng.below(8);
        if op <= 3 {
            valid.lock().unwrap().insert(t.clone());
        }
        match op {
            // Plain write.
            0 => std::fs::write(&fx.chart, &text).unwrap(),
            // Rename-save.
            1 => {
                let tmp = dir.join(format!("chart.toml.{i}.tmp"));
                std::fs::write(&tmp, &text).unwrap();
                std::fs::rename(&tmp, &fx.chart).unwrap();
            }
            // Delete, then recreate.
            2 => {
                std::fs::remove_file(&fx.chart).unwrap_or(());
                std::fs::write(&fx.chart, &text).unwrap();
            }
            // Truncate, then write in pieces.
            3 => {
                let mut f = std::fs::File::create(&fx.chart).unwrap();
                let (a, b) = text.split_at(text.len() / 2);
                f.write_all(a.as_bytes()).unwrap();
                f.flush().unwrap();
                f.write_all(b.as_bytes()).unwrap();
            }
            // A partial write: cut inside the title's string.
            4 => std::fs::write(&fx.chart, &text[..text.find(&t).unwrap_or(0) + 1]).unwrap(),
            // Schema error.
            5 => std::fs::write(&fx.chart, text.replacen("x_axis", "x_axsi", 1)).unwrap(),
            // Unknown plugin.
            6 => std::fs::write(&fx.chart, text.replacen("\"sma\"", "\"smaa\"", 1)).unwrap(),
            // Deleted.
            _ => std::fs::remove_file(&fx.chart).unwrap_or(()),
        }
        // Mostly back-to-back saves; now and then a pause long enough for
        // the debouncer to fire (a reload then races the next saves).
        match rng.below(20) {
            0 => std::thread::sleep(Duration::from_millis(80)),
            1 => std::thread::sleep(Duration::from_millis(rng.below(50))),
            _ => {}
        }
        if i % 100 == 0 {
            busiest = busiest.max(session_threads());
        }
    }
    // Reloads start no threads of their own.
    assert_eq!(busiest, 3, "session, watcher and debouncer threads");
    // The final file.
    valid.lock().unwrap().insert("final".into());
    std::fs::write(&fx.chart, chart_text("final", 9)).unwrap();

    let t0 = Instant::now();
    let mut numbers = Vec::new();
    let mut failures = 0usize;
    loop {
        match handle.reloads().recv_timeout(Duration::from_millis(200)) {
            Ok(Reload::Published(g)) => {
                let t = g.model.config.title.clone().unwrap_or_default();
                assert!(
                    valid.lock().unwrap().contains(&t),
                    "published invalid {t:?}"
                );
                numbers.push(g.number);
                if t == "final" {
                    break;
                }
            }
            Ok(Reload::Failed(_)) => failures += 1,
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => panic!("the live session stopped"),
        }
        assert!(
            t0.elapsed() < PATIENCE * 2,
            "the final save was never published"
        );
    }
    done.store(true, Ordering::Relaxed);
    let reads = reader.join().expect("the reader saw only valid states");
    assert!(reads > 0);
    // Generations are numbered without gaps, in order.
    for w in numbers.windows(2) {
        assert_eq!(w[1], w[0] + 1);
    }
    let g = cfg.current();
    assert_eq!(g.model.config.title.as_deref(), Some("final"));
    assert_eq!(g.model.config.indicators[0].params["period"], 9);
    assert!(cfg.last_error().is_none());
    assert!(numbers.len() + failures >= 2, "{numbers:?} {failures}");

    drop(handle);
    drop(cfg);
    drop(g);
    // Dropping the handle joins the session thread, which stops the
    // debouncer (joined) and the watcher (its thread ends on its own).
    let t0 = Instant::now();
    while (session_threads(), open_fds()) != (0, fds_before)
        && t0.elapsed() < Duration::from_secs(5)
    {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(session_threads(), 0, "threads left behind");
    assert_eq!(open_fds(), fds_before, "file descriptors left open");
}

/// Reads a child's output lines into a channel.
fn lines(r: impl std::io::Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(r).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

fn wait_line(rx: &mpsc::Receiver<String>, seen: &mut Vec<String>, want: &str) -> String {
    let t0 = Instant::now();
    while t0.elapsed() < PATIENCE * 3 {
        if let Ok(l) = rx.recv_timeout(Duration::from_millis(100)) {
            seen.push(l.clone());
            if l.contains(want) {
                return l;
            }
        }
    }
    panic!("no line containing {want:?}; saw {seen:#?}");
}

#[test]
fn render_watch_rerenders_good_edits_and_prints_errors_for_bad_ones() {
    let _s = serial();
    let fx = Fixture::new();
    let png = fx.dir.path().join("out.png");
    let deps = std::env::current_exe()
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf();
    let mut child = Command::new(env!("CARGO_BIN_EXE_gpu-charts"))
        .args(["render", "--watch", "--max-generations", "2"])
        .args(["--exit-after-ms", "120000"])
        .arg(&fx.chart)
        .arg("-o")
        .arg(&png)
        .current_dir(common::repo())
        .env("GPU_CHARTS_PLUGIN_PATH", deps)
        .env("XDG_RUNTIME_DIR", std::env::temp_dir())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = lines(child.stdout.take().unwrap());
    let err = lines(child.stderr.take().unwrap());
    let (mut seen_out, mut seen_err) = (Vec::new(), Vec::new());

    let l = wait_line(&out, &mut seen_out, "generation 1: wrote");
    assert!(l.contains("out.png"), "{l}");
    let img = image::open(&png).unwrap();
    assert_eq!((img.width(), img.height()), (320, 200));

    // A bad edit: the error is printed, located, and the PNG stays.
    std::fs::write(
        &fx.chart,
        chart_text("one", 5).replacen("x_axis", "x_axsi", 1),
    )
    .unwrap();
    wait_line(&err, &mut seen_err, "chart.toml:3:");
    wait_line(&err, &mut seen_err, "still showing generation 1");
    assert_eq!(image::open(&png).unwrap().width(), 320);

    // A good edit with a new size: re-rendered at that size.
    std::fs::write(
        &fx.chart,
        chart_text("two", 5).replacen("[320, 200]", "[400, 240]", 1),
    )
    .unwrap();
    wait_line(&out, &mut seen_out, "generation 2: wrote");
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}; stderr: {seen_err:#?}");
    let img = image::open(&png).unwrap();
    assert_eq!((img.width(), img.height()), (400, 240));
    while let Ok(l) = err.recv_timeout(Duration::from_millis(200)) {
        seen_err.push(l);
    }
    assert!(
        seen_err
            .iter()
            .any(|l| l.contains("fixed; showing generation 2")),
        "{seen_err:#?}"
    );
    assert!(
        !seen_err.iter().any(|l| l.contains("panicked")),
        "{seen_err:#?}"
    );
}

#[test]
fn opening_a_bad_chart_is_an_error_not_a_session() {
    let _s = serial();
    let fx = Fixture::new();
    std::fs::write(&fx.chart, "title = ").unwrap();
    match LiveSession::open(&fx.chart, options()) {
        Err(gpu_charts::live::LiveError::Load(Error::Config(e))) => {
            assert_eq!(e.0[0].kind, ConfigErrorKind::Syntax)
        }
        Err(e) => panic!("wrong error: {e}"),
        Ok(_) => panic!("a chart that does not parse opened"),
    }
}
