//! Parquet data source plugin (`kind = "parquet"`): a timestamp column and
//! numeric value columns from a Parquet file, with row groups outside
//! `from`..`to` skipped by their statistics.
//!
//! Like the CSV source, the whole selection is decoded in `open` (so every
//! error shows before the chart draws) and `read` copies it out in chunks:
//! Parquet pages are compressed and encoded, so there is nothing to lend
//! without decoding anyway.
//!
//! * Time column: `time_column`, else the first `Timestamp` column (any unit,
//!   any zone: values are UTC instants), else an `Int64` column named
//!   `time`, `timestamp` or `ts` (case-insensitive) in `time_unit` (default ns).
//! * Value columns: `columns` (output name -> file column), else every
//!   `Float64`, `Float32`, `Int64` and `Int32` column but the time column,
//!   under its own name. Integers become `f64` (exact up to 2^53).
//! * Pruning: a row group whose time statistics lie wholly before `from` or
//!   after `to` is not read at all; rows of the groups read are then cut to
//!   `from <= t <= to` exactly. Groups without statistics are read. A chart
//!   with `load = "view"` on the source passes its view (plus margin) as an
//!   ABI 1.3 range hint (`open_range`): the range read is then the
//!   intersection of the hint and `from`/`to`, pruned and cut the same way.
//!   What was read is in [`ParquetSource::stats`] and in the plugin's debug
//!   log (`gpu-charts -v`).
//!
//! # Errors
//! Every message names the file.
//! * `GC_ERR_PARAMS`: bad params (unknown timezone, `from` after `to`, a
//!   time that does not parse).
//! * `GC_ERR_IO`: the file cannot be opened or read.
//! * `GC_ERR_DATA`: not a Parquet file (empty, cut short, an Arrow IPC or
//!   CSV file under a `.parquet` name, corrupt metadata or pages), no usable
//!   time column, a requested column missing or not numeric, a null or
//!   non-finite value, timestamps not in ascending order (each with the
//!   1-based data row in the file), no rows between `from` and `to` (or in
//!   the host's range hint: the message names the file and the range).

mod decode;
mod sniff;
mod time;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use bytes::Bytes;
use chrono_tz::Tz;
use gpu_charts_plugin_api::{GC_LOG_DEBUG, GcTimeRange, Lent, PluginError, SourcePlugin};
use serde::Deserialize;

pub use decode::ReadStats;

/// JSON Schema of the params table.
pub const PARAMS_SCHEMA: &str = r#"{
  "type": "object",
  "properties": {
    "path": {
      "type": "string",
      "minLength": 1,
      "description": "Parquet file, relative to the chart file's folder."
    },
    "time_column": {
      "type": "string",
      "minLength": 1,
      "description": "Column holding the time. Default: the first Timestamp column, else an Int64 column named time, timestamp or ts."
    },
    "time_unit": {
      "enum": ["s", "ms", "us", "ns"],
      "default": "ns",
      "description": "Unit of an Int64 time column since 1970-01-01 UTC (Timestamp columns carry their own unit)."
    },
    "columns": {
      "type": "object",
      "additionalProperties": { "type": "string", "minLength": 1 },
      "minProperties": 1,
      "description": "Output column name -> file column, e.g. { close = \"Close\" }. Default: every Float64, Float32, Int64 and Int32 column except the time column, under its own name."
    },
    "from": {
      "type": "string",
      "description": "Read only rows at or after this time: YYYY-MM-DD, YYYY-MM-DD HH:MM[:SS] (in `timezone`) or RFC 3339. Row groups wholly before it are skipped unread."
    },
    "to": {
      "type": "string",
      "description": "Read only rows at or before this time (same formats). Row groups wholly after it are skipped unread."
    },
    "timezone": {
      "type": "string",
      "default": "UTC",
      "description": "IANA time zone of `from` / `to` written without an offset."
    },
    "symbol": {
      "type": "string",
      "description": "Instrument name that QUIK scripts see (getDataSourceInfo); not used to read the file."
    },
    "class_code": {
      "type": "string",
      "description": "Exchange class that QUIK scripts see; not used to read the file."
    }
  },
  "required": ["path"],
  "additionalProperties": false
}"#;

/// Rows decoded per Arrow batch.
const BATCH_ROWS: usize = 64 * 1024;

/// Unit of an `Int64` time column.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum TimeUnitParam {
    S,
    Ms,
    Us,
    #[default]
    Ns,
}

impl TimeUnitParam {
    fn ns_per_unit(self) -> i64 {
        match self {
            TimeUnitParam::S => 1_000_000_000,
            TimeUnitParam::Ms => 1_000_000,
            TimeUnitParam::Us => 1_000,
            TimeUnitParam::Ns => 1,
        }
    }
}

/// The params table, as the host validated it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    path: String,
    #[serde(default)]
    time_column: Option<String>,
    #[serde(default)]
    time_unit: TimeUnitParam,
    #[serde(default)]
    columns: Option<BTreeMap<String, String>>,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
    #[serde(default = "default_timezone")]
    timezone: String,
    /// Read by the host (for scripts), not by this plugin.
    #[serde(default, rename = "symbol")]
    _symbol: Option<String>,
    /// Read by the host (for scripts), not by this plugin.
    #[serde(default, rename = "class_code")]
    _class_code: Option<String>,
}

fn default_timezone() -> String {
    "UTC".into()
}

/// What to read, once params are checked.
#[derive(Debug, Clone, Default)]
pub(crate) struct Options {
    time_column: Option<String>,
    int_time_ns_per_unit: i64,
    columns: Option<BTreeMap<String, String>>,
    from_ns: i64,
    to_ns: i64,
    /// The host's range hint (ABI 1.3), kept for messages; `from_ns` and
    /// `to_ns` are then already its intersection with the params.
    view: Option<(i64, i64)>,
    /// Whether the params set `from` or `to`.
    params_range: bool,
}

impl Options {
    /// Narrows the range read to `range` too (the host's hint).
    fn restrict(&mut self, range: GcTimeRange) {
        self.from_ns = self.from_ns.max(range.from_ns);
        self.to_ns = self.to_ns.min(range.to_ns);
        self.view = Some((range.from_ns, range.to_ns));
    }
}

/// An open Parquet source: the decoded selection and how far `read` has got.
#[derive(Debug)]
pub struct ParquetSource {
    names: Vec<String>,
    timestamps: Vec<i64>,
    columns: Vec<Vec<f64>>,
    cursor: usize,
    stats: ReadStats,
}

impl ParquetSource {
    /// Number of rows kept.
    pub fn len(&self) -> usize {
        self.timestamps.len()
    }

    /// True when no row was kept (never after a successful open).
    pub fn is_empty(&self) -> bool {
        self.timestamps.is_empty()
    }

    /// What the open read: row groups and rows, total and decoded.
    pub fn stats(&self) -> ReadStats {
        self.stats
    }

    /// Opens a Parquet file held in memory, `shown` naming it in errors.
    /// `params_json` is the params table without `path` being used (fuzz
    /// targets and tests use this; the host always goes through a file).
    pub fn from_bytes(data: Vec<u8>, shown: &str, params_json: &str) -> Result<Self, PluginError> {
        Self::from_bytes_in_range(data, shown, params_json, None)
    }

    /// As [`from_bytes`](Self::from_bytes), with the host's range hint
    /// (`open_range`) when `range` is `Some`.
    pub fn from_bytes_in_range(
        data: Vec<u8>,
        shown: &str,
        params_json: &str,
        range: Option<GcTimeRange>,
    ) -> Result<Self, PluginError> {
        let (_, mut options) = parse_params(params_json)?;
        if let Some(range) = range {
            options.restrict(range);
        }
        let len = data.len() as u64;
        let head = &data[..data.len().min(64)];
        let tail = &data[data.len().saturating_sub(4)..];
        sniff::check(shown, len, head, tail)?;
        load(Bytes::from(data), shown, &options)
    }
}

impl SourcePlugin for ParquetSource {
    const NAME: &'static str = "parquet";
    const DESCRIPTION: &'static str =
        "Columns from a Parquet file, row groups outside from..to skipped unread";
    const PARAMS_SCHEMA: &'static str = PARAMS_SCHEMA;

    const RANGE_HINT: bool = true;

    fn open(params_json: &str, base_dir: &str) -> Result<Self, PluginError> {
        let (path, options) = parse_params(params_json)?;
        open_file(&path, base_dir, &options)
    }

    fn open_range(
        params_json: &str,
        base_dir: &str,
        range: GcTimeRange,
    ) -> Result<Self, PluginError> {
        let (path, mut options) = parse_params(params_json)?;
        options.restrict(range);
        open_file(&path, base_dir, &options)
    }

    fn column_names(&self) -> &[String] {
        &self.names
    }

    fn row_count_hint(&self) -> Option<u64> {
        Some(self.timestamps.len() as u64)
    }

    fn read(
        &mut self,
        timestamps: &mut [i64],
        columns: &mut [&mut [f64]],
    ) -> Result<usize, PluginError> {
        let start = self.cursor;
        let n = timestamps.len().min(self.timestamps.len() - start);
        timestamps[..n].copy_from_slice(&self.timestamps[start..start + n]);
        for (dst, src) in columns.iter_mut().zip(&self.columns) {
            dst[..n].copy_from_slice(&src[start..start + n]);
        }
        self.cursor += n;
        Ok(n)
    }

    /// The decoded columns as they are: no second copy into the host's
    /// buffers, and no second check (the decoder checked the order and
    /// every value). No data path: the rows are a decode (of a range, with
    /// a hint), not the file's bytes, so the host keeps no sidecar for them.
    fn borrow(&self) -> Result<Option<Lent<'_>>, PluginError> {
        Ok(Some(Lent {
            timestamps: &self.timestamps,
            columns: self.columns.iter().map(Vec::as_slice).collect(),
            sorted: true,
            finite: true,
            fingerprint: 0,
            data_path: "",
        }))
    }
}

fn parse_params(params_json: &str) -> Result<(String, Options), PluginError> {
    let params: Params = serde_json::from_str(params_json).map_err(|e| {
        PluginError::params(format!("parquet: invalid params: {e}"))
            .with_help("see `gpu-charts schema parquet` for the accepted keys; `path` is required")
    })?;
    let tz: Tz = params.timezone.parse().map_err(|_| {
        PluginError::params(format!("parquet: unknown timezone `{}`", params.timezone))
            .with_help("timezone takes an IANA name such as \"America/New_York\" or \"UTC\"")
    })?;
    let bound = |key: &str, value: &Option<String>, default: i64| match value {
        None => Ok(default),
        Some(text) => time::parse_time(text, tz).map_err(|e| {
            PluginError::params(format!("parquet: {key}: {e}")).with_help(time::FORMATS_HELP)
        }),
    };
    let from_ns = bound("from", &params.from, i64::MIN)?;
    let to_ns = bound("to", &params.to, i64::MAX)?;
    if from_ns > to_ns {
        return Err(PluginError::params(format!(
            "parquet: from ({}) is after to ({})",
            time::format_utc(from_ns),
            time::format_utc(to_ns)
        ))
        .with_help("swap them, or remove one to read to the file's start or end"));
    }
    if let Some(columns) = &params.columns
        && columns.is_empty()
    {
        return Err(PluginError::params("parquet: `columns` is empty")
            .with_help("map at least one output name to a column, e.g. columns = { close = \"Close\" }, or leave it out to read every numeric column"));
    }
    Ok((
        params.path,
        Options {
            time_column: params.time_column,
            int_time_ns_per_unit: params.time_unit.ns_per_unit(),
            columns: params.columns,
            from_ns,
            to_ns,
            view: None,
            params_range: params.from.is_some() || params.to.is_some(),
        },
    ))
}

fn open_file(path: &str, base_dir: &str, options: &Options) -> Result<ParquetSource, PluginError> {
    let path = resolve(base_dir, path);
    let shown = path.display().to_string();
    let file = open_checked(&path, &shown)?;
    // SAFETY: read-only; like every memory-mapped reader, the file must not
    // be truncated or rewritten in place while it is being decoded (the
    // decoded columns are copies, so nothing refers to the map afterwards).
    #[allow(unsafe_code)]
    let map = unsafe { memmap2::Mmap::map(&file) }
        .map_err(|e| PluginError::io(format!("parquet: cannot map {shown}: {e}")))?;
    load(Bytes::from_owner(map), &shown, options)
}

fn resolve(base_dir: &str, path: &str) -> PathBuf {
    let p = Path::new(path);
    if p.is_absolute() || base_dir.is_empty() {
        p.to_path_buf()
    } else {
        Path::new(base_dir).join(p)
    }
}

/// Opens `path` and checks its first and last bytes ([`sniff::check`]).
fn open_checked(path: &Path, shown: &str) -> Result<File, PluginError> {
    let io = |what: &str, e: std::io::Error| {
        PluginError::io(format!("parquet: cannot {what} {shown}: {e}"))
            .with_help("check `path`; a relative path is resolved against the chart file's folder")
    };
    let mut file = File::open(path).map_err(|e| io("open", e))?;
    let len = file.metadata().map_err(|e| io("read", e))?.len();
    if file.metadata().is_ok_and(|m| m.is_dir()) {
        return Err(
            PluginError::io(format!("parquet: {shown} is a folder, not a file"))
                .with_help("set `path` to the .parquet file"),
        );
    }
    let mut head = vec![0u8; len.min(64) as usize];
    file.read_exact(&mut head).map_err(|e| io("read", e))?;
    let mut tail = vec![0u8; len.min(4) as usize];
    file.seek(SeekFrom::Start(len - tail.len() as u64))
        .and_then(|_| file.read_exact(&mut tail))
        .map_err(|e| io("read", e))?;
    sniff::check(shown, len, &head, &tail)?;
    Ok(file)
}

/// Decodes the selection; a panic inside the Parquet decoder (a corrupt file
/// it did not anticipate) becomes an error naming the file.
fn load(reader: Bytes, shown: &str, options: &Options) -> Result<ParquetSource, PluginError> {
    let decoded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        decode::decode(reader, shown, options)
    }))
    .map_err(|_| {
        PluginError::data(format!(
            "{shown}: the Parquet decoder failed on this file (it is corrupt)"
        ))
        .with_help("write the file again, e.g. `gpu-charts convert data.csv data.parquet`")
    })??;
    let stats = decoded.stats;
    gpu_charts_plugin_api::log(
        GC_LOG_DEBUG,
        &format!(
            "parquet: {shown}: read {} of {} row groups, decoded {} of {} rows, kept {}",
            stats.row_groups_read,
            stats.row_groups_total,
            stats.rows_decoded,
            stats.rows_total,
            stats.rows_kept
        ),
    );
    Ok(ParquetSource {
        names: decoded.names,
        timestamps: decoded.timestamps,
        columns: decoded.columns,
        cursor: 0,
        stats,
    })
}

gpu_charts_plugin_api::export_plugin! {
    name: "parquet",
    version: env!("CARGO_PKG_VERSION"),
    description: "Parquet file data source with row-group pruning",
    chart_types: [],
    indicators: [],
    sources: [ParquetSource],
}
