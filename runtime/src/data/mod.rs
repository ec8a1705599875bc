//! The data manager: columnar tables loaded from source plugins, checked
//! once on load (sorted timestamps, finite values), and the per-column
//! decimation structures built once per load so every frame costs O(pixels).

pub mod accel;
pub mod cache;
pub mod lent;
pub mod lod;
pub mod sidecar;
pub mod storage;
pub mod timeframe;

use std::sync::Arc;

pub use cache::DataCache;
pub use lod::MinMaxPyramid;
pub use storage::Storage;

/// Names the host's rayon workers `gpu-charts-cpuN` before its first
/// parallel work (later calls do nothing); every parallel entry point of
/// the runtime calls it.
///
/// rayon starts its global pool lazily and, unnamed, its threads inherit
/// the name of the thread that started it (Linux copies the parent's
/// `comm`): a chart first loaded on a live session's thread would leave
/// workers named `gpu-charts-live` for the life of the process.
pub fn name_worker_threads() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Err only if something started the pool first; names stay then.
        let _ = rayon::ThreadPoolBuilder::new()
            .thread_name(|i| format!("gpu-charts-cpu{i}"))
            .build_global();
    });
}

/// Errors in loaded data. Each names the source, the column and the row.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum DataError {
    /// Timestamps go backwards.
    #[error(
        "source `{source_id}`: timestamps are not sorted: data row {row} ({found}) comes before data row {prev_row} ({prev})\n  = help: sort the data by time; gpu-charts expects rows in ascending time order"
    )]
    Unsorted {
        /// Source id.
        source_id: String,
        /// 1-based data row whose timestamp is earlier than its predecessor.
        row: usize,
        /// Row before it.
        prev_row: usize,
        /// Its timestamp (UTC, formatted).
        found: String,
        /// The previous timestamp (UTC, formatted).
        prev: String,
    },
    /// A NaN or infinite value.
    #[error(
        "source `{source_id}`: column `{column}` has a non-finite value ({value}) at data row {row}\n  = help: fix or remove that row; missing values are not supported in source data"
    )]
    NonFinite {
        /// Source id.
        source_id: String,
        /// Column name.
        column: String,
        /// 1-based data row.
        row: usize,
        /// The value as text.
        value: String,
    },
    /// The source returned no rows.
    #[error(
        "source `{source_id}` returned no rows\n  = help: check the source's parameters (file, symbol filter)"
    )]
    Empty {
        /// Source id.
        source_id: String,
    },
    /// Column lengths differ from the timestamp count.
    #[error(
        "source `{source_id}`: column `{column}` has {found} values but there are {expected} timestamps"
    )]
    Length {
        /// Source id.
        source_id: String,
        /// Column name.
        column: String,
        /// Values found.
        found: usize,
        /// Timestamps.
        expected: usize,
    },
}

/// Formats UTC nanoseconds as RFC 3339 for messages and exports.
pub fn format_utc(ns: i64) -> String {
    let secs = ns.div_euclid(1_000_000_000);
    let nanos = ns.rem_euclid(1_000_000_000) as u32;
    match chrono::DateTime::from_timestamp(secs, nanos) {
        Some(t) if nanos == 0 => t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        Some(t) => t.format("%Y-%m-%dT%H:%M:%S%.9fZ").to_string(),
        None => format!("{ns} ns"),
    }
}

/// One value column with its decimation pyramid.
#[derive(Debug, Clone)]
pub struct Column {
    /// Values, one per timestamp of the column's timeline (owned, or lent
    /// by the source without a copy).
    pub values: Storage<f64>,
    /// Min/max pyramid over `values`, built once per load.
    pub pyramid: Arc<MinMaxPyramid>,
}

impl Column {
    /// Wraps values and builds the pyramid.
    pub fn new(values: Vec<f64>) -> Column {
        let pyramid = Arc::new(MinMaxPyramid::build(&values));
        Column {
            values: values.into(),
            pyramid,
        }
    }
}

/// A sorted sequence of UTC nanosecond timestamps shared by columns.
#[derive(Debug, Clone)]
pub struct Timeline {
    /// Id of the source that defined it.
    pub source_id: String,
    /// Ascending timestamps (owned, or lent by the source without a copy).
    pub timestamps: Storage<i64>,
}

/// A source's data after validation.
#[derive(Debug, Clone)]
pub struct Table {
    /// Source id from the chart file.
    pub source_id: String,
    /// Timestamps.
    pub timeline: Arc<Timeline>,
    /// Column names, in the source's order.
    pub names: Vec<String>,
    /// Columns, parallel to `names`.
    pub columns: Vec<Column>,
}

impl Table {
    /// Validates raw columns from a source and builds the table.
    pub fn from_raw(
        source_id: &str,
        names: Vec<String>,
        timestamps: Vec<i64>,
        columns: Vec<Vec<f64>>,
    ) -> Result<Table, DataError> {
        validate(source_id, &names, &timestamps, &columns)?;
        let timeline = Arc::new(Timeline {
            source_id: source_id.to_string(),
            timestamps: timestamps.into(),
        });
        let columns = columns.into_iter().map(Column::new).collect();
        Ok(Table {
            source_id: source_id.to_string(),
            timeline,
            names,
            columns,
        })
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.timeline.timestamps.len()
    }

    /// True when the table has no rows (never, after validation).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The column called `name`.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.names
            .iter()
            .position(|n| n == name)
            .map(|i| &self.columns[i])
    }

    /// Approximate memory held, for the cache budget: owned columns and
    /// every pyramid. Lent columns are not counted: they are the source's
    /// memory (for Arrow IPC files, memory-mapped pages of the file, which
    /// the OS can drop and read again), so a billion-row file does not need
    /// a 16 GB budget, only room for its pyramids.
    pub fn size_bytes(&self) -> usize {
        let owned = |lent: bool| if lent { 0 } else { self.len() * 8 };
        owned(self.timeline.timestamps.is_lent())
            + self
                .columns
                .iter()
                .map(|c| owned(c.values.is_lent()))
                .sum::<usize>()
            + self
                .columns
                .iter()
                .map(|c| c.pyramid.size_bytes())
                .sum::<usize>()
    }
}

/// Checks that timestamps are non-decreasing and every value is finite.
pub fn validate(
    source_id: &str,
    names: &[String],
    timestamps: &[i64],
    columns: &[Vec<f64>],
) -> Result<(), DataError> {
    if timestamps.is_empty() {
        return Err(DataError::Empty {
            source_id: source_id.to_string(),
        });
    }
    for (name, col) in names.iter().zip(columns) {
        if col.len() != timestamps.len() {
            return Err(DataError::Length {
                source_id: source_id.to_string(),
                column: name.clone(),
                found: col.len(),
                expected: timestamps.len(),
            });
        }
    }
    if let Some(i) = timestamps.windows(2).position(|w| w[1] < w[0]) {
        return Err(DataError::Unsorted {
            source_id: source_id.to_string(),
            row: i + 2,
            prev_row: i + 1,
            found: format_utc(timestamps[i + 1]),
            prev: format_utc(timestamps[i]),
        });
    }
    for (name, col) in names.iter().zip(columns) {
        if let Some(i) = col.iter().position(|v| !v.is_finite()) {
            return Err(DataError::NonFinite {
                source_id: source_id.to_string(),
                column: name.clone(),
                row: i + 1,
                value: col[i].to_string(),
            });
        }
    }
    Ok(())
}

/// Aligns `values` (on timeline `from`) to timeline `to` by exact timestamp:
/// NaN where `to` has a timestamp that `from` lacks. O(n + m).
pub fn align(values: &[f64], from: &[i64], to: &[i64]) -> Vec<f64> {
    let mut out = vec![f64::NAN; to.len()];
    let mut j = 0;
    for (i, &t) in to.iter().enumerate() {
        while j < from.len() && from[j] < t {
            j += 1;
        }
        if j < from.len() && from[j] == t {
            out[i] = values[j];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(unsafe_code)] // lends columns as a source would (`Storage::lent`)
    fn lent_columns_count_only_their_pyramids_against_the_budget() {
        let owned = Table::from_raw(
            "s",
            vec!["v".into()],
            (0..1000).collect(),
            vec![(0..1000).map(f64::from).collect()],
        )
        .unwrap();
        let pyramids: usize = owned.columns.iter().map(|c| c.pyramid.size_bytes()).sum();
        assert_eq!(owned.size_bytes(), 1000 * 8 * 2 + pyramids);
        // The same rows lent by a keeper (as an Arrow IPC source lends its
        // memory-mapped file).
        let times: Arc<Vec<i64>> = Arc::new(owned.timeline.timestamps.to_vec());
        let values: Arc<Vec<f64>> = Arc::new(owned.columns[0].values.to_vec());
        // SAFETY: the Arcs passed as keepers own the vectors, which are never
        // changed, for as long as the storage lives.
        #[allow(unsafe_code)]
        let (ts, vs) = unsafe {
            (
                Storage::lent(times.as_ptr(), times.len(), times.clone()),
                Storage::lent(values.as_ptr(), values.len(), values.clone()),
            )
        };
        let lent = Table {
            source_id: "s".into(),
            timeline: Arc::new(Timeline {
                source_id: "s".into(),
                timestamps: ts,
            }),
            names: owned.names.clone(),
            columns: vec![Column {
                values: vs,
                pyramid: owned.columns[0].pyramid.clone(),
            }],
        };
        assert_eq!(lent.size_bytes(), pyramids);
    }

    #[test]
    fn unsorted_timestamps_name_the_rows() {
        let err = Table::from_raw(
            "s",
            vec!["v".into()],
            vec![1, 3, 2],
            vec![vec![1.0, 2.0, 3.0]],
        )
        .unwrap_err();
        assert_eq!(
            err,
            DataError::Unsorted {
                source_id: "s".into(),
                row: 3,
                prev_row: 2,
                found: "1970-01-01T00:00:00.000000002Z".into(),
                prev: "1970-01-01T00:00:00.000000003Z".into()
            }
        );
        assert!(err.to_string().contains("help: sort the data by time"));
    }

    #[test]
    fn nan_is_rejected_with_row_and_column() {
        let err = Table::from_raw(
            "aapl",
            vec!["close".into()],
            vec![1, 2],
            vec![vec![1.0, f64::NAN]],
        )
        .unwrap_err();
        assert_eq!(
            err,
            DataError::NonFinite {
                source_id: "aapl".into(),
                column: "close".into(),
                row: 2,
                value: "NaN".into()
            }
        );
    }

    #[test]
    fn empty_source_is_an_error() {
        let err = Table::from_raw("x", vec![], vec![], vec![]).unwrap_err();
        assert_eq!(
            err,
            DataError::Empty {
                source_id: "x".into()
            }
        );
    }

    #[test]
    fn align_by_exact_timestamp() {
        let out = align(&[10.0, 20.0, 30.0], &[1, 2, 4], &[0, 1, 2, 3, 4, 5]);
        let shown: Vec<String> = out.iter().map(|v| v.to_string()).collect();
        assert_eq!(shown, ["NaN", "10", "20", "NaN", "30", "NaN"]);
    }
}
