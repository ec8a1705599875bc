//! Output sizes (issue 14): every size from 1 pixel a side to the GPU's
//! largest texture side renders; sizes past that side are located errors at
//! `validate`, a clear error for `--size`, and a reload error (the last good
//! chart stays) in `render --watch`, which also survives tiny sizes.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Far past any adapter's largest texture side (16384 on lavapipe, 32768 at most elsewhere).
const HUGE: u32 = 100_000;

fn plugin_dir() -> std::path::PathBuf {
    std::env::current_exe()
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf()
}

fn gpu_charts() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_gpu-charts"));
    c.current_dir(common::repo())
        .env("GPU_CHARTS_PLUGIN_PATH", plugin_dir())
        .env("XDG_RUNTIME_DIR", std::env::temp_dir());
    c
}

fn run(args: &[&str]) -> Output {
    gpu_charts().args(args).output().expect("run gpu-charts")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A small chart (synthetic data, a line) at `size`.
fn chart(size: &str) -> String {
    format!(
        r#"title = "sizes"
size = {size}
x_axis = "time"

[sources.s]
kind = "synthetic"
params = {{ rows = 500, seed = 3 }}

[[panes]]
[[panes.series]]
type = "line"
data = "s.value"
"#
    )
}

#[test]
fn validate_locates_a_size_past_the_gpu_limit_and_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chart.toml");
    std::fs::write(&path, chart(&format!("[1600, {HUGE}]"))).unwrap();
    let out = run(&["validate", path.to_str().unwrap()]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains(&format!("{}:2:15", path.display())), "{err}");
    assert!(
        err.contains(&format!(
            "the chart's height is {HUGE} pixels, more than this GPU can draw"
        )),
        "{err}"
    );
    assert!(err.contains("max_texture_dimension_2d"), "{err}");
    assert!(!err.contains("panicked"), "{err}");

    // Zero is refused by the schema, located too.
    std::fs::write(&path, chart("[0, 900]")).unwrap();
    let out = run(&["validate", path.to_str().unwrap()]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains(&format!("{}:2:9", path.display())), "{err}");
    assert!(err.contains("must be at least 1"), "{err}");
}

#[test]
fn tiny_sizes_validate_and_render() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chart.toml");
    for (w, h) in [(1, 1), (16, 16), (40, 40), (16, 900), (1600, 16)] {
        std::fs::write(&path, chart(&format!("[{w}, {h}]"))).unwrap();
        let out = run(&["validate", path.to_str().unwrap()]);
        assert!(out.status.success(), "{w}x{h}: {}", text(&out.stderr));
        let png = dir.path().join(format!("{w}x{h}.png"));
        let out = run(&[
            "render",
            path.to_str().unwrap(),
            "-o",
            png.to_str().unwrap(),
        ]);
        assert!(out.status.success(), "{w}x{h}: {}", text(&out.stderr));
        let img = image::open(&png).unwrap();
        assert_eq!((img.width(), img.height()), (w, h));
    }
}

#[test]
fn the_size_flag_gets_the_same_checks() {
    let out = run(&[
        "render",
        "examples/aapl.toml",
        "--size",
        &format!("{HUGE}x10"),
        "-o",
        "/dev/null",
    ]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!("invalid `--size {HUGE}x10`")),
        "{err}"
    );
    assert!(err.contains("max_texture_dimension_2d"), "{err}");
    let out = run(&["render", "examples/aapl.toml", "--size", "0x10"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("at least 1 pixel"), "{err}");
}

/// A liveness bound for the watcher, not a performance claim.
const PATIENCE: Duration = Duration::from_secs(60);

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
    while t0.elapsed() < PATIENCE {
        if let Ok(l) = rx.recv_timeout(Duration::from_millis(100)) {
            seen.push(l.clone());
            if l.contains(want) {
                return l;
            }
        }
    }
    panic!("no line containing {want:?}; saw {seen:#?}");
}

fn png_size(p: &Path) -> (u32, u32) {
    let img = image::open(p).unwrap();
    (img.width(), img.height())
}

/// Issue 14: saving `size = [40, 40]` killed a running `render --watch`
/// (a panic in the frame layout). Now it renders 40×40; a size past the GPU
/// limit is a located reload error and the 40×40 PNG stays; a good size
/// after it renders again.
#[test]
fn render_watch_survives_tiny_and_out_of_range_sizes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chart.toml");
    let png = dir.path().join("out.png");
    std::fs::write(&path, chart("[320, 200]")).unwrap();
    let mut child = gpu_charts()
        .args(["render", "--watch", "--max-generations", "3"])
        .args(["--exit-after-ms", "180000"])
        .arg(&path)
        .arg("-o")
        .arg(&png)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = lines(child.stdout.take().unwrap());
    let err = lines(child.stderr.take().unwrap());
    let (mut seen_out, mut seen_err) = (Vec::new(), Vec::new());
    wait_line(&out, &mut seen_out, "generation 1: wrote");
    assert_eq!(png_size(&png), (320, 200));

    std::fs::write(&path, chart("[40, 40]")).unwrap();
    wait_line(&out, &mut seen_out, "generation 2: wrote");
    assert_eq!(png_size(&png), (40, 40));

    std::fs::write(&path, chart(&format!("[{HUGE}, 40]"))).unwrap();
    wait_line(&err, &mut seen_err, "chart.toml:2:9");
    wait_line(&err, &mut seen_err, "still showing generation 2");
    assert_eq!(png_size(&png), (40, 40));

    std::fs::write(&path, chart("[64, 48]")).unwrap();
    wait_line(&out, &mut seen_out, "generation 3: wrote");
    let status = child.wait().unwrap();
    while let Ok(l) = err.recv_timeout(Duration::from_millis(200)) {
        seen_err.push(l);
    }
    assert!(status.success(), "{status}; stderr: {seen_err:#?}");
    assert_eq!(png_size(&png), (64, 48));
    assert!(
        !seen_err.iter().any(|l| l.contains("panicked")),
        "{seen_err:#?}"
    );
}
