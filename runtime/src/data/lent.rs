//! Tables over columns a source lent (ABI 1.2): no copy of the values, and,
//! with a fresh level-of-detail sidecar, no pass over them either.
//!
//! What opening costs:
//! * with a fresh sidecar (`<file>.gclod`, see [`super::sidecar`]): a stat
//!   and 1 MiB of samples of the data file, plus reading the sidecar (the
//!   pyramids: about 1/15 of the column bytes) — no value is read;
//! * without one (first open, or the file changed): one parallel pass over
//!   every timestamp and value to validate (skipped for what the source
//!   says it checked, `GC_BORROW_SORTED` / `GC_BORROW_FINITE`) and one to
//!   build the pyramids, after which the sidecar is written for next time.

#![allow(unsafe_code)] // wraps the lent pointers in `Storage`

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use super::sidecar::{FileStamp, Key, Lookup, Sidecars};
use super::{Column, DataError, MinMaxPyramid, Storage, Table, Timeline, format_utc};
use crate::plugins::LentTable;

/// Rows per parallel validation chunk.
const CHUNK: usize = 1 << 20;

/// What opening a lent table did, for notices and tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LentReport {
    /// The rows were scanned for order and finiteness.
    pub scanned: bool,
    /// The pyramids were built (not read from a sidecar).
    pub built_pyramids: bool,
    /// The sidecar used or written, if any.
    pub sidecar: Option<PathBuf>,
    /// Lines for the user: a stale or corrupt sidecar rebuilt, one that
    /// could not be written.
    pub notices: Vec<String>,
}

impl Table {
    /// Builds a table over the columns `lent` lent, without copying them;
    /// relative data paths resolve against `base_dir`.
    pub fn from_lent(
        source_id: &str,
        lent: Arc<LentTable>,
        base_dir: &Path,
        sidecars: &Sidecars,
    ) -> Result<(Table, LentReport), DataError> {
        let rows = lent.rows();
        let names = lent.names().to_vec();
        if rows == 0 {
            return Err(DataError::Empty {
                source_id: source_id.to_string(),
            });
        }
        let keeper: Arc<dyn std::any::Any + Send + Sync> = lent.clone();
        // SAFETY: `LentTable` checked the pointers (non-null, aligned) and
        // keeps them valid and unchanged until it drops; `keeper` is it.
        let timestamps = unsafe { Storage::lent(lent.timestamps().as_ptr(), rows, keeper.clone()) };
        let values: Vec<Storage<f64>> = (0..lent.column_count())
            // SAFETY: as above, for every column.
            .map(|k| unsafe { Storage::lent(lent.column(k).as_ptr(), rows, keeper.clone()) })
            .collect();

        let mut report = LentReport::default();
        let data_path = lent.data_path().map(|p| base_dir.join(p));
        let stamp = data_path.as_deref().and_then(|p| FileStamp::of(p).ok());
        let key = stamp.map(|stamp| Key {
            stamp,
            source_fingerprint: lent.fingerprint(),
            rows,
            names: &names,
        });
        let mut validated = false;
        let mut pyramids: Option<Vec<MinMaxPyramid>> = None;
        if let (Some(path), Some(key)) = (data_path.as_deref(), key.as_ref()) {
            match sidecars.load(path, key) {
                Ok((stored, at)) => {
                    validated = stored.validated;
                    pyramids = Some(stored.pyramids);
                    report.sidecar = Some(at);
                }
                Err(Lookup::Missing) => {}
                Err(Lookup::Stale(why)) => report.notices.push(format!(
                    "source `{source_id}`: the level-of-detail sidecar of `{}` is stale ({why}); rebuilding it",
                    path.display()
                )),
                Err(Lookup::Corrupt(why)) => report.notices.push(format!(
                    "source `{source_id}`: the level-of-detail sidecar of `{}` is corrupt ({why}); rebuilding it",
                    path.display()
                )),
            }
        }
        if !validated {
            let columns: Vec<&[f64]> = values.iter().map(|v| &v[..]).collect();
            validate_lent(
                source_id,
                &names,
                &timestamps,
                &columns,
                !lent.sorted(),
                !lent.finite(),
            )?;
            report.scanned = !(lent.sorted() && lent.finite());
        }
        let pyramids = match pyramids {
            Some(p) => p,
            None => {
                report.built_pyramids = true;
                let built: Vec<MinMaxPyramid> = values
                    .iter()
                    .map(|v| MinMaxPyramid::build_parallel(v))
                    .collect();
                if let (Some(path), Some(key)) = (data_path.as_deref(), key.as_ref()) {
                    let refs: Vec<&MinMaxPyramid> = built.iter().collect();
                    match sidecars.store(path, key, true, &refs) {
                        Ok(at) => report.sidecar = Some(at),
                        Err(e) => report.notices.push(format!(
                            "source `{source_id}`: could not write a level-of-detail sidecar ({e}); \
                             the next open rebuilds it"
                        )),
                    }
                }
                built
            }
        };
        let timeline = Arc::new(Timeline {
            source_id: source_id.to_string(),
            timestamps,
        });
        let columns = values
            .into_iter()
            .zip(pyramids)
            .map(|(values, pyramid)| Column {
                values,
                pyramid: Arc::new(pyramid),
            })
            .collect();
        Ok((
            Table {
                source_id: source_id.to_string(),
                timeline,
                names,
                columns,
            },
            report,
        ))
    }
}

/// [`super::validate`] over slices, on every core, checking only what is
/// asked; the first bad row (lowest index) is reported, as the serial scan would.
pub fn validate_lent(
    source_id: &str,
    names: &[String],
    timestamps: &[i64],
    columns: &[&[f64]],
    check_sorted: bool,
    check_finite: bool,
) -> Result<(), DataError> {
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
    super::name_worker_threads();
    if check_sorted {
        let bad = (0..timestamps.len().saturating_sub(1))
            .into_par_iter()
            .step_by(CHUNK)
            .find_map_first(|start| {
                let end = (start + CHUNK + 1).min(timestamps.len());
                timestamps[start..end]
                    .windows(2)
                    .position(|w| w[1] < w[0])
                    .map(|i| start + i)
            });
        if let Some(i) = bad {
            return Err(DataError::Unsorted {
                source_id: source_id.to_string(),
                row: i + 2,
                prev_row: i + 1,
                found: format_utc(timestamps[i + 1]),
                prev: format_utc(timestamps[i]),
            });
        }
    }
    if check_finite {
        for (name, col) in names.iter().zip(columns) {
            let bad = col.par_chunks(CHUNK).enumerate().find_map_first(|(k, c)| {
                c.iter().position(|v| !v.is_finite()).map(|i| k * CHUNK + i)
            });
            if let Some(i) = bad {
                return Err(DataError::NonFinite {
                    source_id: source_id.to_string(),
                    column: name.clone(),
                    row: i + 1,
                    value: col[i].to_string(),
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parallel_validation_reports_the_first_bad_row_like_the_serial_one() {
        let n = 3 * CHUNK + 17;
        let mut ts: Vec<i64> = (0..n as i64).collect();
        let mut v: Vec<f64> = (0..n).map(|i| i as f64).collect();
        let names = vec!["v".to_string()];
        assert_eq!(validate_lent("s", &names, &ts, &[&v], true, true), Ok(()));
        // Unsorted across a chunk boundary and later inside a chunk: the first wins.
        ts[CHUNK] = -5;
        ts[2 * CHUNK + 3] = -7;
        v[CHUNK + 9] = f64::INFINITY;
        let serial = super::super::validate("s", &names, &ts, &[v.clone()]).unwrap_err();
        let parallel = validate_lent("s", &names, &ts, &[&v], true, true).unwrap_err();
        assert_eq!(parallel, serial);
        ts[CHUNK] = CHUNK as i64;
        ts[2 * CHUNK + 3] = (2 * CHUNK + 3) as i64;
        let serial = super::super::validate("s", &names, &ts, &[v.clone()]).unwrap_err();
        let parallel = validate_lent("s", &names, &ts, &[&v], true, true).unwrap_err();
        assert_eq!(parallel, serial);
        // What the source vouched for is not checked again.
        assert_eq!(validate_lent("s", &names, &ts, &[&v], true, false), Ok(()));
    }
}
