//! Simple moving average indicator plugin (`kind = "sma"`).
//!
//! Follows TA-Lib's conventions: the first value is at index `period - 1`,
//! rows before it are NaN, and each value is the arithmetic mean of the
//! `period` inputs ending at that row.
//!
//! # Missing values
//! A non-finite input (NaN, ±inf) is a gap: every window that contains one
//! yields NaN, and values resume once the window has moved past it. (TA-Lib's
//! C code instead lets one NaN poison every later value; a chart with a single
//! missing bar would lose its whole SMA line.)
//!
//! # Precision
//! The window sum is a running sum, updated by one addition and one
//! subtraction per row, with Neumaier compensation. A plain running sum keeps
//! the rounding error of every value that ever passed through the window: after
//! a spike of 1e12 leaves a window of prices near 100 the sum is off by ~1e-4,
//! and that error never goes away. With compensation the error stays at a few
//! ulps of the current window, over any number of rows.

use gpu_charts_plugin_api::{GcStr, IndicatorPlugin, PluginError};
use gpu_charts_plugin_kit::{in_range, params, single_column};
use serde::Deserialize;

/// Largest accepted `period` (as in the params schema).
pub const MAX_PERIOD: usize = 100_000;

/// JSON Schema of the params table.
pub const PARAMS_SCHEMA: &str = r#"{
  "type": "object",
  "properties": {
    "period": {
      "type": "integer",
      "minimum": 1,
      "maximum": 100000,
      "default": 20,
      "description": "Number of rows averaged. The first value appears at row period - 1."
    }
  },
  "additionalProperties": false
}"#;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    #[serde(default = "default_period")]
    period: u64,
}

fn default_period() -> u64 {
    20
}

/// The SMA indicator state: only its period (each `compute` rebuilds the
/// window sum at `from`, so nothing else has to survive between calls).
#[derive(Debug, Clone)]
pub struct Sma {
    period: usize,
}

impl Sma {
    /// An SMA over `period` rows (1..=[`MAX_PERIOD`]).
    pub fn new(period: usize) -> Result<Self, PluginError> {
        let period = in_range(
            "sma",
            "period",
            period,
            1..=MAX_PERIOD,
            "set `period` to a whole number of rows, e.g. period = 20",
        )?;
        Ok(Sma { period })
    }

    /// The period in rows.
    pub fn period(&self) -> usize {
        self.period
    }
}

/// A running sum with Neumaier (improved Kahan) compensation: `sum + comp` is
/// the exact sum of everything added, up to rounding of `comp` itself.
#[derive(Debug, Default, Clone, Copy)]
struct CompensatedSum {
    sum: f64,
    comp: f64,
}

impl CompensatedSum {
    fn add(&mut self, x: f64) {
        let t = self.sum + x;
        // The branch picks the operand whose low bits were lost in `t`.
        if self.sum.abs() >= x.abs() {
            self.comp += (self.sum - t) + x;
        } else {
            self.comp += (x - t) + self.sum;
        }
        self.sum = t;
    }

    fn value(&self) -> f64 {
        self.sum + self.comp
    }
}

/// Window over `input[lo..=i]`: the finite values' sum and how many
/// non-finite values it holds.
struct Window {
    sum: CompensatedSum,
    gaps: usize,
}

impl Window {
    fn push(&mut self, x: f64) {
        if x.is_finite() {
            self.sum.add(x);
        } else {
            self.gaps += 1;
        }
    }

    fn pop(&mut self, x: f64) {
        if x.is_finite() {
            self.sum.add(-x);
        } else {
            self.gaps -= 1;
        }
    }
}

/// Writes the SMA of `input` into `out[from..]`; `out[..from]` is left alone.
///
/// Costs O(`input.len() - from + period`): the window ending just before
/// `from` is summed afresh, then slid one row at a time.
pub fn sma_into(input: &[f64], out: &mut [f64], period: usize, from: usize) {
    let len = input.len().min(out.len());
    if period == 0 || from >= len {
        return;
    }
    let mut lo = from.saturating_sub(period - 1);
    let mut window = Window {
        sum: CompensatedSum::default(),
        gaps: 0,
    };
    for &x in &input[lo..from] {
        window.push(x);
    }
    for i in from..len {
        window.push(input[i]);
        if i + 1 - lo > period {
            window.pop(input[lo]);
            lo += 1;
        }
        out[i] = if i + 1 < period || window.gaps > 0 {
            f64::NAN
        } else {
            window.sum.value() / period as f64
        };
    }
}

impl IndicatorPlugin for Sma {
    const NAME: &'static str = "sma";
    const DESCRIPTION: &'static str =
        "Simple moving average (TA-Lib conventions; NaN inputs are gaps)";
    const PARAMS_SCHEMA: &'static str = PARAMS_SCHEMA;
    const INPUTS: &'static [GcStr] = &[GcStr::lit("source")];
    const OUTPUTS: &'static [GcStr] = &[GcStr::lit("value")];

    fn create(params_json: &str) -> Result<Self, PluginError> {
        let params: Params = params(
            "sma",
            params_json,
            "the only parameter is `period`, a whole number of rows, e.g. period = 20",
        )?;
        let period = usize::try_from(params.period).unwrap_or(usize::MAX);
        Sma::new(period)
    }

    fn compute(
        &mut self,
        inputs: &[&[f64]],
        outputs: &mut [&mut [f64]],
        from: usize,
    ) -> Result<(), PluginError> {
        let (input, out) = single_column("sma", inputs, outputs)?;
        sma_into(input, out, self.period, from);
        Ok(())
    }
}

gpu_charts_plugin_api::export_plugin! {
    name: "sma",
    version: env!("CARGO_PKG_VERSION"),
    description: "Simple moving average indicator",
    chart_types: [],
    indicators: [Sma],
    sources: [],
}
