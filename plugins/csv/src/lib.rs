//! CSV data source plugin (`kind = "csv"`): OHLCV (or any numeric columns)
//! from a plain or gzip-compressed CSV file, in the dialects traders' tools
//! export (see `plugins/csv/README.md`).
//!
//! The whole file is parsed in `open`, so every error (a missing column, a
//! bad number in the last row) shows up before the chart draws anything;
//! `read` then hands out chunks. A plain file is memory-mapped, a `.gz` one
//! decompressed into memory; either way the bytes are cut into chunks at
//! record boundaries and parsed on all cores ([`reader`]).
//!
//! # Data rules (checked here, so messages name the file's lines)
//! * Every error names the file and the physical line (the header is
//!   line 1, CRLF files included) and, where one is to blame, the column.
//! * Times ascend; a time equal to the previous row's is an error for bars
//!   (an `open`, `high` or `low` column is read) and allowed for ticks, where
//!   several trades share a timestamp (counted in an info log line).
//! * `high >= low`; `open` and `close` within `[low, high]`; `volume >= 0`.
//! * Values are finite numbers: empty fields, `NaN` and `inf` are errors.
//! * Two headers with the same name (ignoring case and `<>`) are an error.
//! * UTF-16 files are rejected by name; a UTF-8 byte-order mark is skipped.
//!
//! # Errors
//! * `GC_ERR_PARAMS`: the params alone are wrong (unknown timezone, a
//!   delimiter that is not one character).
//! * `GC_ERR_IO`: the file cannot be opened or read (the message names the
//!   resolved path).
//! * `GC_ERR_DATA`: the file's content does not fit the params or breaks a
//!   data rule above.

mod dialect;
mod error;
mod params;
mod reader;
mod split;
mod time;

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use gpu_charts_plugin_api::{GC_LOG_INFO, PluginError, SourcePlugin};

pub use dialect::Detected;
pub use error::{CsvError, ErrorKind};
pub use params::{Decimal, Params, Preset};
pub use reader::Chunk;
pub use time::TimeFormat;

/// JSON Schema of the params table.
pub const PARAMS_SCHEMA: &str = r#"{
  "type": "object",
  "properties": {
    "path": {
      "type": "string",
      "minLength": 1,
      "description": "CSV file, relative to the chart file's folder. Gzip-compressed files (.gz) are read directly."
    },
    "preset": {
      "enum": ["finam", "quik", "mt5", "excel-eu"],
      "description": "Settings for a known export; keys set here win over the preset's. finam = `<TICKER>,<PER>,<DATE>,<TIME>,<OPEN>,<HIGH>,<LOW>,<CLOSE>,<VOL>` with YYYYMMDD + HHMMSS in Europe/Moscow; quik = the same layout with delimiter (`,`/`;`) and decimal mark detected; mt5 = MetaTrader 5 tab-separated `<DATE> <TIME> <OPEN> <HIGH> <LOW> <CLOSE> <TICKVOL> <VOL> <SPREAD>` with YYYY.MM.DD + HH:MM:SS, volume from <TICKVOL> (set timezone to the broker's server time); excel-eu = `;`, decimal comma, DD.MM.YYYY[ HH:MM[:SS]]."
    },
    "symbol": {
      "type": "string",
      "description": "Keep only rows whose symbol column equals this (e.g. \"AAPL\"). Default: all rows."
    },
    "class_code": {
      "type": "string",
      "description": "Exchange class of the instrument (e.g. \"TQBR\"): what QUIK scripts' getDataSourceInfo() and getParamEx see. Not used to read the file."
    },
    "symbol_column": {
      "type": "string",
      "default": "Ticker",
      "description": "Header of the symbol column (used only with `symbol`)."
    },
    "time_column": {
      "type": "string",
      "description": "Header of the time (or date) column. Default: the first of date, datetime, timestamp, time, ts, date_time (any case, `<DATE>` too)."
    },
    "time_of_day_column": {
      "type": "string",
      "description": "Header of a separate time-of-day column (HHMMSS, HMMSS or HH:MM[:SS[.fff]]) completing a date-only time column. Default: a `time` / `<TIME>` column next to a date-only `date` / `<DATE>` column."
    },
    "time_format": {
      "enum": ["auto", "date", "datetime", "rfc3339", "epoch_s", "epoch_ms", "epoch_us", "epoch_ns", "yyyymmdd", "dd.mm.yyyy", "yyyy.mm.dd", "mm/dd/yyyy", "dd/mm/yyyy"],
      "default": "auto",
      "description": "How times are written: date = YYYY-MM-DD (midnight in `timezone`), datetime = YYYY-MM-DD HH:MM:SS[.fff] (local time in `timezone`), rfc3339 = with an offset, epoch_* = numbers since 1970-01-01 UTC, yyyymmdd / dd.mm.yyyy / yyyy.mm.dd / mm/dd/yyyy / dd/mm/yyyy = exchange and Excel date patterns (optionally followed by a space and HH:MM[:SS]). auto detects it from the first data row (never the slashed patterns, which differ by country)."
    },
    "timezone": {
      "type": "string",
      "default": "UTC",
      "description": "IANA timezone (e.g. \"America/New_York\") of dates and datetimes without an offset. Presets finam and quik: Europe/Moscow."
    },
    "columns": {
      "type": "object",
      "additionalProperties": { "type": "string" },
      "minProperties": 1,
      "description": "Output column name -> CSV header, e.g. { close = \"Adj Close\" }. When given, exactly these columns are read. Default: open, high, low, close and volume, each matched to a header case-insensitively (`<VOL>` is volume)."
    },
    "delimiter": {
      "type": "string",
      "minLength": 1,
      "maxLength": 1,
      "description": "Field separator, one ASCII character (e.g. \";\" or \"\\t\"). Default: whichever of , ; tab | the header line uses most."
    },
    "decimal": {
      "enum": ["auto", "point", "comma"],
      "default": "auto",
      "description": "Decimal mark of the values. auto = comma when the delimiter is not `,` and the first data row has a value like 12,5; point otherwise."
    }
  },
  "required": ["path"],
  "additionalProperties": false
}"#;

/// Bytes per parallel chunk: large enough that a chunk's setup is noise,
/// small enough that every core gets several.
const CHUNK_BYTES: usize = 4 << 20;

/// A parsed file: column names and rows, as the chunks they were parsed in.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    /// Output column names (`open`, …, or the `columns` keys).
    pub names: Vec<String>,
    /// The rows in file order, chunk by chunk (empty chunks dropped).
    pub chunks: Vec<Chunk>,
    /// What was detected rather than set.
    pub detected: Detected,
    /// Informational lines (what was detected, repeated tick times) that
    /// `open` writes to the host's log.
    pub notes: Vec<String>,
}

impl Table {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.chunks.iter().map(|c| c.timestamps.len()).sum()
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// All timestamps in one vector (a copy; for tests and tools).
    pub fn timestamps(&self) -> Vec<i64> {
        self.chunks
            .iter()
            .flat_map(|c| c.timestamps.iter().copied())
            .collect()
    }

    /// Column `i` in one vector (a copy; for tests and tools).
    pub fn column(&self, i: usize) -> Vec<f64> {
        self.chunks
            .iter()
            .flat_map(|c| c.columns[i].iter().copied())
            .collect()
    }
}

/// Parses CSV `bytes` (already decompressed) with `params`; messages name
/// the file as `params.path`. The entry point for tools and fuzzing.
pub fn parse_bytes(bytes: &[u8], params: &Params) -> Result<Table, CsvError> {
    parse_bytes_chunked(bytes, params, CHUNK_BYTES)
}

/// [`parse_bytes`] with chunks of about `chunk_bytes` (at least one record
/// each); the result does not depend on it (tests check).
pub fn parse_bytes_chunked(
    bytes: &[u8],
    params: &Params,
    chunk_bytes: usize,
) -> Result<Table, CsvError> {
    parse_named(bytes, params, &params.path, chunk_bytes)
}

fn parse_named(
    bytes: &[u8],
    params: &Params,
    shown: &str,
    chunk_bytes: usize,
) -> Result<Table, CsvError> {
    let layout = dialect::layout(bytes, params, shown)?;
    let parsed = reader::parse(bytes, &layout, chunk_bytes)?;
    if let Some(want) = &params.symbol
        && parsed.chunks.is_empty()
    {
        return Err(reader::no_symbol_error(&layout, want, &parsed.symbols));
    }
    let mut notes = Vec::new();
    if let Some(d) = layout.detected.describe() {
        notes.push(format!("csv: {shown}: detected {d}"));
    }
    if let Some((n, line)) = parsed.repeats {
        notes.push(format!(
            "csv: {shown}: {n} tick rows repeat the previous row's time (first on line {line}); kept, as trades may share a timestamp"
        ));
    }
    Ok(Table {
        names: layout.values.into_iter().map(|c| c.name).collect(),
        chunks: parsed.chunks,
        detected: layout.detected,
        notes,
    })
}

/// An open CSV source: the parsed file, and how far `read` has got.
#[derive(Debug)]
pub struct CsvSource {
    table: Table,
    /// (chunk, row in chunk) of the next row to hand out.
    cursor: (usize, usize),
}

impl CsvSource {
    /// Number of rows parsed.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// True when no row was parsed (a file with only a header).
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }
}

impl SourcePlugin for CsvSource {
    const NAME: &'static str = "csv";
    const DESCRIPTION: &'static str =
        "Columns from a CSV file (optionally gzip-compressed), filtered by symbol";
    const PARAMS_SCHEMA: &'static str = PARAMS_SCHEMA;

    fn open(params_json: &str, base_dir: &str) -> Result<Self, PluginError> {
        let params = Params::from_json(params_json)?;
        let table = load(&params, base_dir)?;
        for note in &table.notes {
            gpu_charts_plugin_api::log(GC_LOG_INFO, note);
        }
        Ok(CsvSource {
            table,
            cursor: (0, 0),
        })
    }

    fn column_names(&self) -> &[String] {
        &self.table.names
    }

    fn row_count_hint(&self) -> Option<u64> {
        Some(self.table.len() as u64)
    }

    fn read(
        &mut self,
        timestamps: &mut [i64],
        columns: &mut [&mut [f64]],
    ) -> Result<usize, PluginError> {
        let mut done = 0;
        while done < timestamps.len() {
            let (c, start) = self.cursor;
            let Some(chunk) = self.table.chunks.get(c) else {
                break;
            };
            let n = (timestamps.len() - done).min(chunk.timestamps.len() - start);
            timestamps[done..done + n].copy_from_slice(&chunk.timestamps[start..start + n]);
            for (dst, src) in columns.iter_mut().zip(&chunk.columns) {
                dst[done..done + n].copy_from_slice(&src[start..start + n]);
            }
            done += n;
            self.cursor = if start + n == chunk.timestamps.len() {
                (c + 1, 0)
            } else {
                (c, start + n)
            };
        }
        Ok(done)
    }
}

/// Reads and parses the file `params.path` names (relative to `base_dir`).
pub fn load(params: &Params, base_dir: &str) -> Result<Table, CsvError> {
    // Params errors first, before touching the file.
    dialect::parse_timezone(params.with_preset().timezone.as_deref().unwrap_or("UTC"))?;
    let path = resolve(base_dir, &params.path);
    let shown = path.display().to_string();
    let bytes = read_file(&path)?;
    parse_named(bytes.as_ref(), params, &shown, CHUNK_BYTES)
}

fn resolve(base_dir: &str, path: &str) -> PathBuf {
    let p = Path::new(path);
    if p.is_absolute() || base_dir.is_empty() {
        p.to_path_buf()
    } else {
        Path::new(base_dir).join(p)
    }
}

/// A file's bytes: mapped, or decompressed when it is named `.gz` or
/// starts with the gzip magic bytes.
enum Bytes {
    Mapped(memmap2::Mmap),
    Owned(Vec<u8>),
}

impl AsRef<[u8]> for Bytes {
    fn as_ref(&self) -> &[u8] {
        match self {
            Bytes::Mapped(m) => m,
            Bytes::Owned(v) => v,
        }
    }
}

fn read_file(path: &Path) -> Result<Bytes, CsvError> {
    let shown = path.display();
    let mut file = File::open(path).map_err(|e| {
        CsvError::io(format!("csv: cannot open {shown}: {e}"))
            .with_help("check `path`; a relative path is resolved against the chart file's folder")
    })?;
    let read_error = |e: std::io::Error| CsvError::io(format!("{shown}: read failed: {e}"));
    let mut magic = [0u8; 2];
    let got = file.read(&mut magic).map_err(read_error)?;
    let is_gzip = (got == 2 && magic == [0x1f, 0x8b])
        || path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("gz"));
    if is_gzip {
        let file = File::open(path).map_err(read_error)?;
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(std::io::BufReader::with_capacity(1 << 16, file))
            .read_to_end(&mut out)
            .map_err(|e| {
                CsvError::io(format!("{shown}: read failed: {e}")).with_help(
                    "check that the file is complete (a truncated .gz download fails this way)",
                )
            })?;
        return Ok(Bytes::Owned(out));
    }
    let len = file.metadata().map_err(read_error)?.len();
    if len == 0 {
        return Ok(Bytes::Owned(Vec::new()));
    }
    // SAFETY: the map is read-only and lives only while the file is parsed.
    // Another process truncating the file meanwhile could fault the read;
    // that is the accepted cost of mapping (as in ripgrep and polars).
    #[allow(unsafe_code)]
    let mapped = unsafe { memmap2::Mmap::map(&file) };
    match mapped {
        Ok(m) => Ok(Bytes::Mapped(m)),
        // Not mappable (a pipe, some network file systems): read it.
        Err(_) => std::fs::read(path).map(Bytes::Owned).map_err(read_error),
    }
}

gpu_charts_plugin_api::export_plugin! {
    name: "csv",
    version: env!("CARGO_PKG_VERSION"),
    description: "CSV file data source",
    chart_types: [],
    indicators: [],
    sources: [CsvSource],
}
