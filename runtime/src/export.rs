//! `gpu-charts export`: the chart's computed data as CSV — time, every source
//! column and every indicator output, aligned by time (union of all
//! timelines), full float precision, empty where undefined.

use std::io::Write;
use std::sync::Arc;

use crate::data::format_utc;
use crate::scene::ChartModel;

/// Writes `model`'s columns as CSV to `out`.
pub fn write_csv(model: &ChartModel, out: &mut impl Write) -> std::io::Result<()> {
    let cols = &model.columns;
    write!(out, "time,timestamp_ns")?;
    for c in cols {
        write!(out, ",{}", c.name)?;
    }
    writeln!(out)?;
    // Distinct timelines, and each column's timeline index.
    let mut timelines: Vec<Arc<crate::data::Timeline>> = Vec::new();
    let col_tl: Vec<usize> = cols
        .iter()
        .map(|c| {
            match timelines
                .iter()
                .position(|t| Arc::ptr_eq(t, &c.data.timeline))
            {
                Some(i) => i,
                None => {
                    timelines.push(c.data.timeline.clone());
                    timelines.len() - 1
                }
            }
        })
        .collect();
    // Merge the timelines: k cursors, one row per distinct timestamp.
    let mut cursor = vec![0usize; timelines.len()];
    let mut at = vec![None::<usize>; timelines.len()];
    let mut line = String::new();
    loop {
        let next = timelines
            .iter()
            .zip(&cursor)
            .filter_map(|(t, &i)| t.timestamps.get(i).copied())
            .min();
        let Some(ts) = next else { break };
        for (k, t) in timelines.iter().enumerate() {
            at[k] = None;
            // Equal timestamps within one timeline become one row each.
            if t.timestamps.get(cursor[k]) == Some(&ts) {
                at[k] = Some(cursor[k]);
                cursor[k] += 1;
            }
        }
        line.clear();
        line.push_str(&format_utc(ts));
        line.push(',');
        line.push_str(&ts.to_string());
        for (c, &k) in cols.iter().zip(&col_tl) {
            line.push(',');
            if let Some(i) = at[k] {
                let v = c.data.column.values[i];
                if v.is_finite() {
                    // Display prints the shortest text that parses back to the same f64.
                    line.push_str(&v.to_string());
                }
            }
        }
        line.push('\n');
        out.write_all(line.as_bytes())?;
    }
    Ok(())
}
