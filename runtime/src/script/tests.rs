//! Tests of the script engine: sandbox, limits, the three kinds of script,
//! incremental updates and declarations. Values are checked exactly (or to
//! 1e-9 where two computations of the same formula differ in order).

mod api;
mod finalizers;
mod kinds;
mod limits;
mod log;
mod quik;
mod sandbox;

use std::path::{Path, PathBuf};

use super::{Script, ScriptError, ScriptErrorKind, ScriptInputs, ScriptInstance, ScriptLimits};

/// A temporary folder holding script files.
pub(super) struct Dir(tempfile::TempDir);

impl Dir {
    pub fn new() -> Dir {
        Dir(tempfile::tempdir().expect("temp dir"))
    }

    pub fn path(&self) -> &Path {
        self.0.path()
    }

    /// Writes `name` (bytes) and returns its path.
    pub fn file(&self, name: &str, text: impl AsRef<[u8]>) -> PathBuf {
        let p = self.0.path().join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&p, text).expect("write script");
        p
    }
}

/// Limits small enough that runaway tests finish fast.
pub(super) fn small_limits() -> ScriptLimits {
    ScriptLimits {
        memory_bytes: 64 << 20,
        instructions_per_bar: 20_000,
        instructions_base: 2_000_000,
    }
}

/// Loads `src` as `name` in a fresh folder.
pub(super) fn load_src(name: &str, src: &str) -> (Dir, Result<Script, ScriptError>) {
    let d = Dir::new();
    let p = d.file(name, src);
    let s = Script::load(&p, small_limits());
    (d, s)
}

/// Loads `src`, panicking with the error's display on failure.
pub(super) fn must_load(name: &str, src: &str) -> (Dir, Script) {
    let (d, s) = load_src(name, src);
    match s {
        Ok(s) => (d, s),
        Err(e) => panic!("load failed:\n{e}"),
    }
}

/// Deterministic OHLCV bars.
pub(super) struct Bars {
    pub time_ns: Vec<i64>,
    pub open: Vec<f64>,
    pub high: Vec<f64>,
    pub low: Vec<f64>,
    pub close: Vec<f64>,
    pub volume: Vec<f64>,
}

impl Bars {
    pub fn new(n: usize) -> Bars {
        let close: Vec<f64> = (0..n)
            .map(|i| 100.0 + 5.0 * (i as f64 * 0.1).sin() + 0.01 * i as f64)
            .collect();
        let open: Vec<f64> = (0..n)
            .map(|i| if i == 0 { 100.0 } else { close[i - 1] })
            .collect();
        let high: Vec<f64> = (0..n)
            .map(|i| open[i].max(close[i]) + 0.5 + 0.1 * (i % 3) as f64)
            .collect();
        let low: Vec<f64> = (0..n)
            .map(|i| open[i].min(close[i]) - 0.5 - 0.1 * (i % 2) as f64)
            .collect();
        let volume: Vec<f64> = (0..n).map(|i| 1000.0 + (i % 7) as f64 * 10.0).collect();
        // 2024-01-01T00:00:00Z (a Monday) plus one minute per bar.
        let time_ns: Vec<i64> = (0..n as i64)
            .map(|i| (1_704_067_200 + i * 60) * 1_000_000_000)
            .collect();
        Bars {
            time_ns,
            open,
            high,
            low,
            close,
            volume,
        }
    }

    /// The first `n` rows.
    pub fn inputs(&self, n: usize) -> ScriptInputs<'_> {
        ScriptInputs {
            time_ns: &self.time_ns[..n],
            open: &self.open[..n],
            high: &self.high[..n],
            low: &self.low[..n],
            close: &self.close[..n],
            volume: &self.volume[..n],
            named: Vec::new(),
        }
    }

    pub fn all(&self) -> ScriptInputs<'_> {
        self.inputs(self.close.len())
    }
}

/// Computes every row from scratch.
pub(super) fn full(
    inst: &mut ScriptInstance,
    inputs: &ScriptInputs<'_>,
) -> Result<Vec<Vec<f64>>, ScriptError> {
    let n = inputs.len();
    let mut outs = vec![vec![f64::NAN; n]; inst.info().outputs.len()];
    inst.compute(inputs, &mut outs, 0)?;
    Ok(outs)
}

/// Asserts two columns are equal to `tol`, with NaN in the same rows.
pub(super) fn assert_close(a: &[f64], b: &[f64], tol: f64, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        if x.is_nan() || y.is_nan() {
            assert!(x.is_nan() && y.is_nan(), "{what}: row {i}: {x} vs {y}");
        } else {
            assert!((x - y).abs() <= tol, "{what}: row {i}: {x} vs {y}");
        }
    }
}

/// Asserts the error kind, with the error's display on failure.
pub(super) fn expect_kind(
    r: Result<impl Sized, ScriptError>,
    kind: ScriptErrorKind,
) -> ScriptError {
    match r {
        Ok(_) => panic!("expected a {kind:?} error, got Ok"),
        Err(e) => {
            assert_eq!(e.kind, kind, "wrong kind:\n{e}");
            e
        }
    }
}
