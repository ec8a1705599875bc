//! Shared helpers for the runtime's integration tests.
#![allow(dead_code, missing_docs)]

use std::path::{Path, PathBuf};

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
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
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some_and(|v| v == "1") {
        actual.save(&golden).expect("write golden image");
        eprintln!("updated {}", golden.display());
        return;
    }
    let expected = match image::open(&golden) {
        Ok(i) => i.to_rgba8(),
        Err(e) => {
            let path = dir.join(format!("{name}-actual.png"));
            actual.save(&path).expect("write actual image");
            panic!(
                "no golden image {} ({e}); wrote {}; run with UPDATE_SNAPSHOTS=1 to accept it",
                golden.display(),
                path.display()
            );
        }
    };
    assert_eq!(
        expected.dimensions(),
        actual.dimensions(),
        "{name}: size differs from the golden image"
    );
    let mut diff = image::RgbaImage::new(actual.width(), actual.height());
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
    let fraction = differing as f64 / (actual.width() * actual.height()) as f64;
    if fraction > max_fraction {
        let ap = dir.join(format!("{name}-actual.png"));
        let dp = dir.join(format!("{name}-diff.png"));
        actual.save(&ap).expect("write actual image");
        diff.save(&dp).expect("write diff image");
        panic!(
            "{name}: {:.3}% of pixels differ by more than {channel_tol} (allowed {:.3}%); see {} and {}",
            fraction * 100.0,
            max_fraction * 100.0,
            ap.display(),
            dp.display()
        );
    }
}
