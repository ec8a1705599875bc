//! Exponential moving average indicator plugin (`kind = "ema"`).
//!
//! Follows TA-Lib's conventions: `k = 2 / (period + 1)`; the first value is
//! the simple mean of the first `period` inputs, at index `period - 1`; then
//! `ema = (x - prev) * k + prev`, the same operations in the same order as
//! TA-Lib's C code (on AAPL's daily closes the two agree to within an ulp).
//!
//! # Missing values
//! A non-finite input (NaN, ±inf) is a gap: its row is NaN and the EMA starts
//! again after it, seeded with the mean of the next `period` inputs.
//! * Leading NaNs (e.g. the EMA of an SMA output) are therefore skipped, and
//!   seeding starts at the first finite value. TA-Lib's Python wrapper does
//!   the same (it starts the C call at the first non-NaN input), so
//!   `EMA(SMA(close, 20), 20)` matches TA-Lib's.
//! * A gap later in the series: TA-Lib's C code would propagate the NaN to
//!   every later row; here the line resumes `period` rows after the gap.

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
      "default": 50,
      "description": "Smoothing period: k = 2 / (period + 1). The first value, the mean of the first period inputs, appears at row period - 1."
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
    50
}

/// The EMA indicator state: only its period. `compute` resumes from the
/// previous output row (or re-sums an unfinished seed window), so nothing
/// else has to survive between calls.
#[derive(Debug, Clone)]
pub struct Ema {
    period: usize,
}

impl Ema {
    /// An EMA with the given period (1..=[`MAX_PERIOD`]).
    pub fn new(period: usize) -> Result<Self, PluginError> {
        let period = in_range(
            "ema",
            "period",
            period,
            1..=MAX_PERIOD,
            "set `period` to a whole number of rows, e.g. period = 50",
        )?;
        Ok(Ema { period })
    }

    /// The period in rows.
    pub fn period(&self) -> usize {
        self.period
    }
}

/// Where the recursion stands before a row.
enum Phase {
    /// Summing the seed window: `count` finite inputs so far, totalling `sum`.
    Seeding { count: usize, sum: f64 },
    /// Seeded; the previous EMA value.
    Running(f64),
}

/// Writes the EMA of `input` into `out[from..]`, reading `out[from - 1]` (and
/// at most `period - 1` inputs before `from`) to pick up where the previous
/// call stopped. Costs O(`input.len() - from + period`).
pub fn ema_into(input: &[f64], out: &mut [f64], period: usize, from: usize) {
    let len = input.len().min(out.len());
    if period == 0 || from >= len {
        return;
    }
    let k = 2.0 / (period as f64 + 1.0);
    let mut phase = resume(input, out, period, from);
    for i in from..len {
        let x = input[i];
        if !x.is_finite() {
            out[i] = f64::NAN;
            phase = Phase::Seeding { count: 0, sum: 0.0 };
            continue;
        }
        phase = match phase {
            Phase::Running(prev) => Phase::Running((x - prev) * k + prev),
            Phase::Seeding { count, sum } if count + 1 == period => {
                Phase::Running((sum + x) / period as f64)
            }
            Phase::Seeding { count, sum } => Phase::Seeding {
                count: count + 1,
                sum: sum + x,
            },
        };
        out[i] = match phase {
            Phase::Running(v) => v,
            Phase::Seeding { .. } => f64::NAN,
        };
    }
}

/// Reconstructs the phase before row `from` from the rows already written.
fn resume(input: &[f64], out: &[f64], period: usize, from: usize) -> Phase {
    if from == 0 {
        return Phase::Seeding { count: 0, sum: 0.0 };
    }
    let prev = out[from - 1];
    if prev.is_finite() {
        return Phase::Running(prev);
    }
    // Not seeded yet: the finite inputs since the last gap (fewer than
    // `period` of them, or the EMA would have started) are the seed so far.
    // Summed left to right, as a single call would have.
    let mut start = from;
    while start > 0 && from - start < period - 1 && input[start - 1].is_finite() {
        start -= 1;
    }
    let sum = input[start..from].iter().fold(0.0, |acc, &x| acc + x);
    Phase::Seeding {
        count: from - start,
        sum,
    }
}

impl IndicatorPlugin for Ema {
    const NAME: &'static str = "ema";
    const DESCRIPTION: &'static str =
        "Exponential moving average (TA-Lib conventions; NaN inputs are gaps)";
    const PARAMS_SCHEMA: &'static str = PARAMS_SCHEMA;
    const INPUTS: &'static [GcStr] = &[GcStr::lit("source")];
    const OUTPUTS: &'static [GcStr] = &[GcStr::lit("value")];

    fn create(params_json: &str) -> Result<Self, PluginError> {
        let params: Params = params(
            "ema",
            params_json,
            "the only parameter is `period`, a whole number of rows, e.g. period = 50",
        )?;
        let period = usize::try_from(params.period).unwrap_or(usize::MAX);
        Ema::new(period)
    }

    fn compute(
        &mut self,
        inputs: &[&[f64]],
        outputs: &mut [&mut [f64]],
        from: usize,
    ) -> Result<(), PluginError> {
        let (input, out) = single_column("ema", inputs, outputs)?;
        ema_into(input, out, self.period, from);
        Ok(())
    }
}

gpu_charts_plugin_api::export_plugin! {
    name: "ema",
    version: env!("CARGO_PKG_VERSION"),
    description: "Exponential moving average indicator",
    chart_types: [],
    indicators: [Ema],
    sources: [],
}
