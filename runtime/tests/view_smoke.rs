//! `gpu-charts view` in a real window: under Xvfb on lavapipe, driven by
//! real X input events (xdotool, through XTEST), screenshots taken by the X
//! server (xwd) and compared with golden images. Then the live part: a bad
//! save shows the error banner over the last good chart, a good save
//! replaces the chart and keeps the user's view.
//!
//! Needs `xvfb`, `xdotool` and `x11-apps` (xwd): the README's setup line and
//! `.ci/run` install them.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long to wait for a window, a frame or a reload before failing.
const PATIENCE: Duration = Duration::from_secs(60);

/// A private X server, killed on drop.
struct Xvfb {
    child: Child,
    display: String,
}

impl Xvfb {
    fn start() -> Xvfb {
        for n in 90..140 {
            let socket = PathBuf::from(format!("/tmp/.X11-unix/X{n}"));
            let lock = PathBuf::from(format!("/tmp/.X{n}-lock"));
            if socket.exists() || lock.exists() {
                continue;
            }
            let display = format!(":{n}");
            let child = Command::new("Xvfb")
                .args([&display, "-screen", "0", "1024x768x24", "-nolisten", "tcp"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| {
                    panic!("cannot start Xvfb ({e}): install it with `apt-get install xvfb xdotool x11-apps`")
                });
            let mut x = Xvfb { child, display };
            let t0 = Instant::now();
            while t0.elapsed() < PATIENCE {
                if socket.exists() {
                    return x;
                }
                if let Ok(Some(_)) = x.child.try_wait() {
                    break; // lost a race for this display number
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = x.child.kill();
        }
        panic!("no free X display for Xvfb in :90..:140");
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The view process, killed on drop.
struct View(Child);

impl Drop for View {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The chart, in a folder of its own, with the bundled data by absolute path.
fn chart_text(title: &str, period: u32) -> String {
    let data = common::repo().join("data/stocks.csv.gz");
    format!(
        r##"title = "{title}"
size = [640, 400]
theme = "dark"
timezone = "America/New_York"

[view]
start = "2012-01-03"
end = "2012-06-01"

[sources.aapl]
kind = "csv"
params = {{ path = "{}", symbol = "AAPL", timezone = "America/New_York" }}

[[indicators]]
id = "sma"
kind = "sma"
input = "aapl.close"
params = {{ period = {period} }}

[[panes]]
height = 3
series = [
  {{ type = "candlestick", data = "aapl" }},
  {{ type = "line", data = "sma", color = "#f5a623" }},
]

[[panes]]
height = 1
series = [{{ type = "volume", data = "aapl" }}]
"##,
        data.display()
    )
}

fn xdotool(display: &str, args: &[&str]) -> String {
    let out = Command::new("xdotool")
        .args(args)
        .env("DISPLAY", display)
        .output()
        .unwrap_or_else(|e| panic!("cannot run xdotool ({e}): `apt-get install xdotool`"));
    assert!(
        out.status.success(),
        "xdotool {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// One `frame ...` line of `view --trace-frames`.
#[derive(Debug, Clone, PartialEq)]
struct Frame {
    generation: u64,
    view: String,
    banner: bool,
}

fn parse(line: &str) -> Option<Frame> {
    let w: Vec<&str> = line.split_whitespace().collect();
    if w.first() != Some(&"frame") || w.len() < 10 {
        return None;
    }
    Some(Frame {
        generation: w[3].parse().ok()?,
        view: w[5].to_string(),
        banner: w[9] == "true",
    })
}

struct Frames {
    rx: mpsc::Receiver<String>,
    last: Option<Frame>,
}

impl Frames {
    /// Waits for a frame that satisfies `want`.
    fn until(&mut self, what: &str, want: impl Fn(&Frame) -> bool) -> Frame {
        let t0 = Instant::now();
        while t0.elapsed() < PATIENCE {
            if let Ok(l) = self.rx.recv_timeout(Duration::from_millis(100))
                && let Some(f) = parse(&l)
            {
                self.last = Some(f.clone());
                if want(&f) {
                    return f;
                }
            }
        }
        panic!("no frame {what} within {PATIENCE:?}; last: {:?}", self.last);
    }

    /// Waits until no frame has come for a while: what is on screen is final.
    fn settle(&mut self) -> Frame {
        loop {
            match self.rx.recv_timeout(Duration::from_millis(700)) {
                Ok(l) => {
                    if let Some(f) = parse(&l) {
                        self.last = Some(f);
                    }
                }
                Err(_) => return self.last.clone().expect("a frame was drawn"),
            }
        }
    }
}

/// The window's pixels, read from the X server (`xwd`).
fn screenshot(display: &str, window: &str) -> image::RgbaImage {
    let out = Command::new("xwd")
        .args(["-silent", "-id", window])
        .env("DISPLAY", display)
        .output()
        .unwrap_or_else(|e| panic!("cannot run xwd ({e}): `apt-get install x11-apps`"));
    assert!(
        out.status.success(),
        "xwd: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    xwd_to_rgba(&out.stdout)
}

/// Decodes an XWD dump of a 24/32-bit TrueColor window.
fn xwd_to_rgba(b: &[u8]) -> image::RgbaImage {
    let field = |i: usize| u32::from_be_bytes([b[i * 4], b[i * 4 + 1], b[i * 4 + 2], b[i * 4 + 3]]);
    let (header, width, height) = (field(0) as usize, field(4), field(5));
    let (byte_order, bpp, bytes_per_line) = (field(7), field(11), field(12) as usize);
    let (rm, gm, bm) = (field(14), field(15), field(16));
    let ncolors = field(19) as usize;
    assert_eq!(bpp, 32, "expected a 32-bit pixel dump");
    let pixels = &b[header + ncolors * 12..];
    let channel = |v: u32, mask: u32| ((v & mask) >> mask.trailing_zeros()) as u8;
    image::RgbaImage::from_fn(width, height, |x, y| {
        let i = y as usize * bytes_per_line + x as usize * 4;
        let p = [pixels[i], pixels[i + 1], pixels[i + 2], pixels[i + 3]];
        let v = if byte_order == 0 {
            u32::from_le_bytes(p)
        } else {
            u32::from_be_bytes(p)
        };
        image::Rgba([channel(v, rm), channel(v, gm), channel(v, bm), 255])
    })
}

fn plugin_dir() -> PathBuf {
    std::env::current_exe()
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf()
}

fn write(path: &Path, text: &str) {
    // Write-then-rename, as many editors save.
    let tmp = path.with_extension("toml.tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

#[test]
fn view_under_xvfb_pans_zooms_and_shows_reload_errors() {
    let x = Xvfb::start();
    let dir = tempfile::tempdir().unwrap();
    let chart = dir.path().join("chart.toml");
    write(&chart, &chart_text("AAPL smoke", 20));

    let mut child = Command::new(env!("CARGO_BIN_EXE_gpu-charts"))
        .args(["view", "--trace-frames", "chart.toml"])
        // A relative path: the error banner's text is the same on every
        // machine (the golden image has it).
        .current_dir(dir.path())
        .env("DISPLAY", &x.display)
        .env_remove("WAYLAND_DISPLAY")
        .env("GPU_CHARTS_PLUGIN_PATH", plugin_dir())
        .env("XDG_RUNTIME_DIR", std::env::temp_dir())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for l in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(l).is_err() {
                break;
            }
        }
    });
    let (etx, erx) = mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for l in BufReader::new(stderr).lines().map_while(Result::ok) {
            if etx.send(l).is_err() {
                break;
            }
        }
    });
    let _view = View(child);
    let mut frames = Frames { rx, last: None };

    let first = frames.until("of generation 1", |f| f.generation == 1);
    assert!(!first.banner);
    let win = xdotool(&x.display, &["search", "--sync", "--name", "AAPL smoke"]);
    let win = win.lines().next().unwrap().to_string();
    let initial = frames.settle();

    // Drag right by 120 px (earlier data), wheel up twice at x=400 (zoom
    // in), then rest the cursor where the crosshair is drawn.
    xdotool(&x.display, &["mousemove", "300", "150", "mousedown", "1"]);
    xdotool(&x.display, &["mousemove", "360", "150"]);
    xdotool(&x.display, &["mousemove", "420", "150", "mouseup", "1"]);
    let panned = frames.until("after the drag", |f| f.view != initial.view);
    xdotool(
        &x.display,
        &["mousemove", "400", "120", "click", "4", "click", "4"],
    );
    frames.until("after the wheel", |f| f.view != panned.view);
    xdotool(&x.display, &["mousemove", "250", "100"]);
    let shown = frames.settle();
    let (x0, x1) = shown.view.split_once("..").unwrap();
    let (ix0, ix1) = initial.view.split_once("..").unwrap();
    let span = |a: &str, b: &str| b.parse::<f64>().unwrap() - a.parse::<f64>().unwrap();
    assert!(
        span(x0, x1) < span(ix0, ix1) * 0.9,
        "zoomed in: {shown:?} vs {initial:?}"
    );
    let px0 = panned
        .view
        .split_once("..")
        .unwrap()
        .0
        .parse::<f64>()
        .unwrap();
    assert!(
        px0 < ix0.parse::<f64>().unwrap(),
        "dragging right shows earlier bars: {panned:?} vs {initial:?}"
    );
    common::assert_golden_image("view_smoke", &screenshot(&x.display, &win));

    // A bad save: the last good chart stays, with the error over it.
    write(
        &chart,
        &chart_text("AAPL smoke", 20).replacen("kind = \"sma\"", "kind = \"smaa\"", 1),
    );
    let bad = frames.until("with the error banner", |f| f.banner);
    assert_eq!((bad.generation, &bad.view), (1, &shown.view));
    let err_lines: Vec<String> = erx.try_iter().collect();
    assert!(
        err_lines.iter().any(|l| l.contains("chart.toml:16:")),
        "stderr names the file and line: {err_lines:#?}"
    );
    frames.settle();
    common::assert_golden_image("view_banner", &screenshot(&x.display, &win));

    // A good save: generation 2, no banner, the user's view kept.
    write(&chart, &chart_text("AAPL smoke", 50));
    let good = frames.until("of generation 2", |f| f.generation == 2 && !f.banner);
    assert_eq!(good.view, shown.view, "the view survives the reload");
}
