//! The indicator-engine interface: an indicator with its state (a plugin
//! instance or a Lua state), its input references and its outputs, computed
//! in place when its input grows. [`super::plugin`] and [`super::script`]
//! implement [`IndicatorEngine`].

use std::collections::HashMap;
use std::sync::Arc;

use crate::config::ConfigErrorKind;
use crate::data::{self, Column, Storage, Timeline};

use super::ColumnData;

/// What an engine computes from.
pub(super) struct EngineInputs<'a> {
    /// The timeline of the first input; outputs live on it.
    pub timeline: &'a Arc<Timeline>,
    /// Every input of [`LiveIndicator::refs`], aligned to `timeline`.
    pub aligned: &'a [Storage<f64>],
    /// Every column of the chart so far (a QUIK script may read any source).
    pub columns: &'a HashMap<String, ColumnData>,
}

/// One way of computing an indicator: a plugin's C entry points or a Lua
/// script. The engine holds the indicator's state between calls.
pub(super) trait IndicatorEngine {
    /// Computes rows `from..` of every output (`outs` already holds the
    /// previous values before `from` and NaN after). An error is a message
    /// without the indicator's id.
    fn compute(
        &mut self,
        inputs: &EngineInputs<'_>,
        outs: &mut [Vec<f64>],
        from: usize,
    ) -> Result<(), String>;

    /// Takes what the engine logged since the last call (a script's
    /// `print`/`message` lines, `[id] text`); none by default.
    fn drain_log(&mut self) -> Vec<String> {
        Vec::new()
    }
}

/// An indicator with its state, updated in place when its input grows.
pub(super) struct LiveIndicator {
    /// Index in the chart file's `indicators`.
    pub index: usize,
    pub id: String,
    pub outputs: Vec<String>,
    /// Every input reference, in the order the engine reads them; the first
    /// sets the timeline.
    pub refs: Vec<String>,
    pub engine: Box<dyn IndicatorEngine>,
    /// The kind of the errors it reports.
    pub error_kind: ConfigErrorKind,
}

impl LiveIndicator {
    /// The timeline of its first input (outputs live on it).
    pub fn timeline(&self, by_name: &HashMap<String, ColumnData>) -> Option<Arc<Timeline>> {
        self.refs
            .first()
            .and_then(|r| by_name.get(r))
            .map(|c| c.timeline.clone())
    }

    /// Computes rows `from..` from the current columns (rows before `from`
    /// are the previous outputs) and stores the outputs as `id`/`id.<out>`.
    pub fn evaluate(
        &mut self,
        by_name: &mut HashMap<String, ColumnData>,
        from: usize,
    ) -> Result<Arc<Timeline>, String> {
        let inputs: Vec<ColumnData> = self
            .refs
            .iter()
            .map(|r| {
                by_name
                    .get(r)
                    .cloned()
                    .ok_or_else(|| format!("input `{r}` is gone"))
            })
            .collect::<Result<_, _>>()?;
        let Some(timeline) = inputs.first().map(|c| c.timeline.clone()) else {
            return Err(format!("indicator `{}` has no inputs", self.id));
        };
        let n = timeline.timestamps.len();
        let from = from.min(n);
        let mut outs: Vec<Vec<f64>> = self
            .outputs
            .iter()
            .map(|o| {
                let mut v = vec![f64::NAN; n];
                if let Some(prev) = by_name.get(&format!("{}.{o}", self.id)) {
                    let k = from.min(prev.column.values.len());
                    v[..k].copy_from_slice(&prev.column.values[..k]);
                }
                v
            })
            .collect();
        let aligned = align_inputs(&inputs, &timeline);
        let ctx = EngineInputs {
            timeline: &timeline,
            aligned: &aligned,
            columns: by_name,
        };
        self.engine
            .compute(&ctx, &mut outs, from)
            .map_err(|e| format!("indicator `{}`: {e}", self.id))?;
        // A non-finite output (±inf from a division by zero, NaN) is a gap:
        // it is not drawn, exported or autoscaled to.
        for v in outs.iter_mut().flat_map(|o| o.iter_mut().skip(from)) {
            if !v.is_finite() {
                *v = f64::NAN;
            }
        }
        for (k, (name, vals)) in self.outputs.iter().zip(outs).enumerate() {
            let data = ColumnData {
                timeline: timeline.clone(),
                column: Column::new(vals),
            };
            if k == 0 {
                by_name.insert(self.id.clone(), data.clone());
            }
            by_name.insert(format!("{}.{name}", self.id), data);
        }
        Ok(timeline)
    }
}

/// Aligns every input to `timeline` by timestamp (NaN where a row is missing).
pub(super) fn align_inputs(inputs: &[ColumnData], timeline: &Arc<Timeline>) -> Vec<Storage<f64>> {
    inputs
        .iter()
        .map(|c| {
            if Arc::ptr_eq(&c.timeline, timeline) {
                c.column.values.clone()
            } else {
                data::align(
                    &c.column.values,
                    &c.timeline.timestamps,
                    &timeline.timestamps,
                )
                .into()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(source: &str, ts: &[i64], vals: &[f64]) -> ColumnData {
        ColumnData {
            timeline: Arc::new(Timeline {
                source_id: source.into(),
                timestamps: ts.into(),
            }),
            column: Column::new(vals.to_vec()),
        }
    }

    #[test]
    fn align_inputs_shares_the_same_timeline_and_aligns_others_by_time() {
        let a = col("a", &[1, 2, 3], &[10.0, 20.0, 30.0]);
        let b = col("b", &[2, 3, 4], &[200.0, 300.0, 400.0]);
        let out = align_inputs(&[a.clone(), b], &a.timeline);
        assert!(
            std::ptr::eq(out[0].as_ptr(), a.column.values.as_ptr()),
            "no copy on the same timeline"
        );
        assert!(out[1][0].is_nan(), "row 1 is missing in `b`");
        assert_eq!(&out[1][1..], &[200.0, 300.0]);
    }

    /// Doubles its one input, counting calls and the `from` it got.
    struct Double(Vec<usize>);
    impl IndicatorEngine for Double {
        fn compute(
            &mut self,
            inputs: &EngineInputs<'_>,
            outs: &mut [Vec<f64>],
            from: usize,
        ) -> Result<(), String> {
            self.0.push(from);
            for (o, x) in outs[0][from..].iter_mut().zip(&inputs.aligned[0][from..]) {
                *o = 2.0 * x;
            }
            Ok(())
        }
    }

    /// Writes +inf, -inf and NaN into rows 0..3.
    struct Infinite;
    impl IndicatorEngine for Infinite {
        fn compute(
            &mut self,
            inputs: &EngineInputs<'_>,
            outs: &mut [Vec<f64>],
            from: usize,
        ) -> Result<(), String> {
            for (i, o) in outs[0].iter_mut().enumerate().skip(from) {
                *o = match i {
                    0 => f64::INFINITY,
                    1 => f64::NEG_INFINITY,
                    2 => f64::NAN,
                    _ => inputs.aligned[0][i],
                };
            }
            Ok(())
        }
    }

    #[test]
    fn non_finite_outputs_become_gaps_and_stay_out_of_the_pyramid() {
        let mut by_name = HashMap::new();
        by_name.insert(
            "s.close".to_string(),
            col("s", &[1, 2, 3, 4, 5], &[1.0, 2.0, 3.0, 4.0, 5.0]),
        );
        let mut li = live(Box::new(Infinite), &["s.close"]);
        li.evaluate(&mut by_name, 0).unwrap();
        let out = &by_name["x2"].column;
        assert!(
            out.values[..3].iter().all(|v| v.is_nan()),
            "{:?}",
            out.values
        );
        assert_eq!(&out.values[3..], &[4.0, 5.0]);
        assert_eq!(out.pyramid.range(&out.values, 0, 5), (4.0, 5.0));
    }

    struct Fails;
    impl IndicatorEngine for Fails {
        fn compute(
            &mut self,
            _: &EngineInputs<'_>,
            _: &mut [Vec<f64>],
            _: usize,
        ) -> Result<(), String> {
            Err("boom".into())
        }
    }

    fn live(engine: Box<dyn IndicatorEngine>, refs: &[&str]) -> LiveIndicator {
        LiveIndicator {
            index: 0,
            id: "x2".into(),
            outputs: vec!["value".into()],
            refs: refs.iter().map(|r| r.to_string()).collect(),
            engine,
            error_kind: ConfigErrorKind::Plugin,
        }
    }

    #[test]
    fn evaluate_stores_outputs_as_id_and_id_dot_output_on_the_input_timeline() {
        let mut by_name = HashMap::new();
        let c = col("s", &[1, 2, 3], &[1.0, 2.0, 3.0]);
        by_name.insert("s.close".to_string(), c.clone());
        let mut li = live(Box::new(Double(Vec::new())), &["s.close"]);
        let tl = li.evaluate(&mut by_name, 0).unwrap();
        assert!(Arc::ptr_eq(&tl, &c.timeline));
        assert_eq!(&by_name["x2"].column.values[..], &[2.0, 4.0, 6.0]);
        assert_eq!(&by_name["x2.value"].column.values[..], &[2.0, 4.0, 6.0]);
        assert_eq!(li.timeline(&by_name).map(|t| t.timestamps.len()), Some(3));
    }

    #[test]
    fn evaluate_from_keeps_earlier_rows() {
        let mut by_name = HashMap::new();
        by_name.insert("s.close".to_string(), col("s", &[1, 2], &[1.0, 2.0]));
        let mut li = live(Box::new(Double(Vec::new())), &["s.close"]);
        li.evaluate(&mut by_name, 0).unwrap();
        // A grown input: only row 2 is computed, rows before stay as they were.
        by_name.insert(
            "s.close".to_string(),
            col("s", &[1, 2, 3], &[100.0, 100.0, 5.0]),
        );
        li.evaluate(&mut by_name, 2).unwrap();
        assert_eq!(&by_name["x2"].column.values[..], &[2.0, 4.0, 10.0]);
    }

    #[test]
    fn evaluate_names_the_indicator_and_a_missing_input() {
        let mut by_name = HashMap::new();
        let mut li = live(Box::new(Double(Vec::new())), &["s.close"]);
        assert_eq!(
            li.evaluate(&mut by_name, 0).unwrap_err(),
            "input `s.close` is gone"
        );
        by_name.insert("s.close".to_string(), col("s", &[1], &[1.0]));
        let mut li = live(Box::new(Fails), &["s.close"]);
        assert_eq!(
            li.evaluate(&mut by_name, 0).unwrap_err(),
            "indicator `x2`: boom"
        );
        assert!(!by_name.contains_key("x2"), "a failed run stores nothing");
    }
}
