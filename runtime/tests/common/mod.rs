//! Shared helpers for the runtime's integration tests.
#![allow(dead_code, missing_docs)]

use std::path::{Path, PathBuf};

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The `gpu-charts` binary as a user runs it from the repository root.
/// Plugins come from this test's own folder (`cargo test` leaves the plugin
/// libraries in `target/<profile>/deps`); private plugin copies go under the
/// temporary folder.
pub fn gpu_charts() -> std::process::Command {
    let deps = std::env::current_exe()
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_gpu-charts"));
    cmd.current_dir(repo())
        .env("GPU_CHARTS_PLUGIN_PATH", deps)
        .env("XDG_RUNTIME_DIR", std::env::temp_dir());
    cmd
}

/// Runs [`gpu_charts`] with `args` to completion.
pub fn run_cli(args: &[&str]) -> std::process::Output {
    gpu_charts().args(args).output().expect("run gpu-charts")
}

/// The plugins found where the host looks by default (the test's target
/// folder included).
pub fn registry() -> gpu_charts::plugins::PluginRegistry {
    gpu_charts::plugins::PluginRegistry::discover(&gpu_charts::plugins::default_search_dirs(&[])).0
}

/// The values of `model`'s column `name` (a source column or an
/// indicator output); panics naming it when there is none.
pub fn model_column<'a>(model: &'a gpu_charts::scene::model::ChartModel, name: &str) -> &'a [f64] {
    &model
        .columns
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no column {name}"))
        .data
        .column
        .values
}

/// Golden-image tolerance: a pixel differs when a channel differs by more
/// than this (lavapipe is deterministic; this only absorbs rounding of
/// blended edges between Mesa versions)...
pub const GOLDEN_CHANNEL_TOL: u8 = 8;
/// ...and an image fails when more than this fraction of its pixels differ:
/// 0.01%, about 80 pixels of a 1200×700 chart, while moving one 1-px line
/// by one pixel changes a pixel or two per column it crosses (hundreds).
pub const GOLDEN_MAX_FRACTION: f64 = 0.0001;

/// `UPDATE_SNAPSHOTS=1` (exactly that): tests rewrite their golden files
/// (images, the committed schema) instead of comparing with them.
pub fn update_snapshots() -> bool {
    std::env::var_os("UPDATE_SNAPSHOTS").is_some_and(|v| v == "1")
}

/// How two images differ.
#[derive(Debug)]
pub struct Mismatch {
    /// Pixels with a channel off by more than the tolerance.
    pub differing: usize,
    /// `differing` over all pixels.
    pub fraction: f64,
    /// Magenta where pixels differ, the actual image dimmed elsewhere.
    pub diff: image::RgbaImage,
}

/// Compares `actual` with `expected`: `Err` when their sizes differ
/// (`differing` is then every pixel) or more than `max_fraction` of the
/// pixels differ by more than `channel_tol` in some channel.
pub fn compare_images(
    expected: &image::RgbaImage,
    actual: &image::RgbaImage,
    channel_tol: u8,
    max_fraction: f64,
) -> Result<(), Mismatch> {
    let mut diff = image::RgbaImage::new(actual.width(), actual.height());
    if expected.dimensions() != actual.dimensions() {
        return Err(Mismatch {
            differing: (actual.width() * actual.height()) as usize,
            fraction: 1.0,
            diff,
        });
    }
    let mut differing = 0usize;
    for (x, y, a) in actual.enumerate_pixels() {
        let e = expected.get_pixel(x, y);
        let d =
            a.0.iter()
                .zip(e.0.iter())
                .map(|(p, q)| p.abs_diff(*q))
                .max()
                .unwrap_or(0);
        if d > channel_tol {
            differing += 1;
            diff.put_pixel(x, y, image::Rgba([255, 0, 255, 255]));
        } else {
            let g = (a.0[0] as u16 + a.0[1] as u16 + a.0[2] as u16) / 12;
            diff.put_pixel(x, y, image::Rgba([g as u8, g as u8, g as u8, 255]));
        }
    }
    let fraction = differing as f64 / (actual.width() as f64 * actual.height() as f64).max(1.0);
    if fraction > max_fraction {
        Err(Mismatch {
            differing,
            fraction,
            diff,
        })
    } else {
        Ok(())
    }
}

/// The golden image `tests/golden/<name>.png`.
pub fn golden_image(name: &str) -> Result<image::RgbaImage, String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/golden/{name}.png"));
    image::open(&path)
        .map(|i| i.to_rgba8())
        .map_err(|e| format!("no golden image {} ({e})", path.display()))
}

/// Compares `actual` with `tests/golden/<name>.png` at the golden tolerance
/// ([`GOLDEN_CHANNEL_TOL`], [`GOLDEN_MAX_FRACTION`]).
pub fn assert_golden_image(name: &str, actual: &image::RgbaImage) {
    assert_golden(name, actual, GOLDEN_CHANNEL_TOL, GOLDEN_MAX_FRACTION);
}

/// Compares `actual` with `tests/golden/<name>.png`.
///
/// A pixel differs when any channel differs by more than `channel_tol`; the
/// test fails when more than `max_fraction` of the pixels differ. On failure
/// it writes `<name>-actual.png` and `<name>-diff.png` next to the golden
/// image. `UPDATE_SNAPSHOTS=1` rewrites the golden image instead.
pub fn assert_golden(name: &str, actual: &image::RgbaImage, channel_tol: u8, max_fraction: f64) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let golden = dir.join(format!("{name}.png"));
    if update_snapshots() {
        actual.save(&golden).expect("write golden image");
        eprintln!("updated {}", golden.display());
        return;
    }
    let expected = match golden_image(name) {
        Ok(i) => i,
        Err(e) => {
            let path = dir.join(format!("{name}-actual.png"));
            actual.save(&path).expect("write actual image");
            panic!(
                "{e}; wrote {}; run with UPDATE_SNAPSHOTS=1 to accept it",
                path.display()
            );
        }
    };
    assert_eq!(
        expected.dimensions(),
        actual.dimensions(),
        "{name}: size differs from the golden image"
    );
    if let Err(m) = compare_images(&expected, actual, channel_tol, max_fraction) {
        let ap = dir.join(format!("{name}-actual.png"));
        let dp = dir.join(format!("{name}-diff.png"));
        actual.save(&ap).expect("write actual image");
        m.diff.save(&dp).expect("write diff image");
        panic!(
            "{name}: {} pixels ({:.4}%) differ by more than {channel_tol} (allowed {:.4}%); see {} and {}; \
             UPDATE_SNAPSHOTS=1 rewrites the golden image if the change is intended",
            m.differing,
            m.fraction * 100.0,
            max_fraction * 100.0,
            ap.display(),
            dp.display()
        );
    }
}
