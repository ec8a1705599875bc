//! CSV data source plugin (`kind = "csv"`): OHLCV (or any numeric columns)
//! from a plain or gzip-compressed CSV file.
//!
//! The whole file is parsed in `open` into columns held by the source, so
//! every error (a missing column, a bad number in the last row) shows up
//! before the chart draws anything; `read` then hands out chunks.
//!
//! Rows are passed in file order, not sorted: the host checks the order and
//! reports unsorted timestamps itself.
//!
//! # Errors
//! * `GC_ERR_PARAMS`: the params alone are wrong (unknown timezone, a
//!   delimiter that is not one character).
//! * `GC_ERR_IO`: the file cannot be opened or read (the message names the
//!   resolved path).
//! * `GC_ERR_DATA`: the file's content does not fit the params: a column is
//!   missing (the headers found are listed, with the closest match), a field
//!   does not parse (row = line number in the file, the header being row 1;
//!   the column and the text are named), or no row has the requested symbol.
//!
//! v1 has no notion of a missing value: empty numeric fields, `NaN` and
//! `inf` are errors, not gaps.

mod time;

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use chrono_tz::Tz;
use gpu_charts_plugin_api::{GC_ERR_DATA, PluginError, SourcePlugin};
use serde::Deserialize;

use time::TimeError;
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
      "default": "Date",
      "description": "Header of the time column."
    },
    "time_format": {
      "enum": ["auto", "date", "datetime", "rfc3339", "epoch_s", "epoch_ms", "epoch_us", "epoch_ns", "yyyymmdd", "dd.mm.yyyy", "yyyy.mm.dd", "mm/dd/yyyy", "dd/mm/yyyy"],
      "default": "auto",
      "description": "How times are written: date = YYYY-MM-DD (midnight in `timezone`), datetime = YYYY-MM-DD HH:MM:SS[.fff] (local time in `timezone`), rfc3339 = with an offset, epoch_* = numbers since 1970-01-01 UTC, yyyymmdd / dd.mm.yyyy / yyyy.mm.dd / mm/dd/yyyy / dd/mm/yyyy = exchange and Excel date patterns (optionally followed by a space and HH:MM[:SS]). auto detects it from the first data row (never the slashed patterns, which differ by country)."
    },
    "timezone": {
      "type": "string",
      "default": "UTC",
      "description": "IANA timezone (e.g. \"America/New_York\") of dates and datetimes without an offset."
    },
    "columns": {
      "type": "object",
      "additionalProperties": { "type": "string" },
      "minProperties": 1,
      "description": "Output column name -> CSV header, e.g. { close = \"Adj Close\" }. When given, exactly these columns are read. Default: open, high, low, close and volume, each matched to a header case-insensitively."
    },
    "delimiter": {
      "type": "string",
      "minLength": 1,
      "maxLength": 1,
      "default": ",",
      "description": "Field separator, one ASCII character (e.g. \";\" or \"\\t\")."
    }
  },
  "required": ["path"],
  "additionalProperties": false
}"#;

/// Output columns in the order they come out (when present).
const STANDARD_COLUMNS: [&str; 5] = ["open", "high", "low", "close", "volume"];

/// The params table, as the host validated it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    path: String,
    #[serde(default)]
    symbol: Option<String>,
    /// Read by the host (for scripts), not by this plugin.
    #[serde(default, rename = "class_code")]
    _class_code: Option<String>,
    #[serde(default = "default_symbol_column")]
    symbol_column: String,
    #[serde(default = "default_time_column")]
    time_column: String,
    #[serde(default)]
    time_format: TimeFormat,
    #[serde(default = "default_timezone")]
    timezone: String,
    #[serde(default)]
    columns: Option<BTreeMap<String, String>>,
    #[serde(default = "default_delimiter")]
    delimiter: String,
}

fn default_symbol_column() -> String {
    "Ticker".into()
}
fn default_time_column() -> String {
    "Date".into()
}
fn default_timezone() -> String {
    "UTC".into()
}
fn default_delimiter() -> String {
    ",".into()
}

/// An open CSV source: the parsed file, and how far `read` has got.
#[derive(Debug)]
pub struct CsvSource {
    names: Vec<String>,
    timestamps: Vec<i64>,
    columns: Vec<Vec<f64>>,
    cursor: usize,
}

impl CsvSource {
    /// Number of rows parsed.
    pub fn len(&self) -> usize {
        self.timestamps.len()
    }

    /// True when no row was parsed (a file with only a header).
    pub fn is_empty(&self) -> bool {
        self.timestamps.is_empty()
    }
}

impl SourcePlugin for CsvSource {
    const NAME: &'static str = "csv";
    const DESCRIPTION: &'static str =
        "Columns from a CSV file (optionally gzip-compressed), filtered by symbol";
    const PARAMS_SCHEMA: &'static str = PARAMS_SCHEMA;

    fn open(params_json: &str, base_dir: &str) -> Result<Self, PluginError> {
        let params: Params = serde_json::from_str(params_json).map_err(|e| {
            PluginError::params(format!("csv: invalid params: {e}"))
                .with_help("see `gpu-charts schema csv` for the accepted keys; `path` is required")
        })?;
        load(&params, base_dir)
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
}

/// A value column: output name, CSV header, field index.
struct ValueColumn {
    name: String,
    header: String,
    index: usize,
}

fn load(params: &Params, base_dir: &str) -> Result<CsvSource, PluginError> {
    let tz = parse_timezone(&params.timezone)?;
    let delimiter = parse_delimiter(&params.delimiter)?;
    let path = resolve(base_dir, &params.path);
    let shown = path.display().to_string();

    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(open_maybe_gzip(&path)?);

    let headers: Vec<String> = reader
        .byte_headers()
        .map_err(|e| csv_error(&shown, e))?
        .iter()
        .map(|h| String::from_utf8_lossy(h).into_owned())
        .collect();
    let time_index = find_column(&headers, &params.time_column, "time_column", &shown)?;
    let symbol_index = match &params.symbol {
        Some(_) => Some(find_column(
            &headers,
            &params.symbol_column,
            "symbol_column",
            &shown,
        )?),
        None => None,
    };
    let values = value_columns(&headers, params.columns.as_ref(), &shown)?;

    let mut format = params.time_format;
    let mut zone = time::Zone::new(tz);
    let mut timestamps = Vec::new();
    let mut columns: Vec<Vec<f64>> = vec![Vec::new(); values.len()];
    // Symbols seen, for the "no rows matched" message. Files are usually
    // grouped by symbol, so comparing with the previous one keeps this cheap.
    let mut symbols_seen = BTreeSet::new();
    let mut last_symbol: Vec<u8> = Vec::new();
    let mut record = csv::ByteRecord::new();
    while reader
        .read_byte_record(&mut record)
        .map_err(|e| csv_error(&shown, e))?
    {
        let row = record.position().map_or(0, |p| p.line());
        if let (Some(want), Some(i)) = (&params.symbol, symbol_index) {
            let got = record.get(i).unwrap_or_default();
            if got != want.as_bytes() {
                if got != last_symbol.as_slice() && symbols_seen.len() < 10_000 {
                    last_symbol = got.to_vec();
                    symbols_seen.insert(String::from_utf8_lossy(got).into_owned());
                }
                continue;
            }
        }
        let time_text = field_text(&record, time_index);
        if format == TimeFormat::Auto {
            format = time::detect(time_text.as_bytes()).ok_or_else(|| {
                PluginError::data(format!(
                    "{shown}: row {row}, column `{}`: cannot tell the time format of `{}`",
                    headers[time_index],
                    clip(&time_text)
                ))
                .with_help(
                    "set time_format to one of \"date\", \"datetime\", \"rfc3339\", \"epoch_s\", \"epoch_ms\", \"epoch_us\", \"epoch_ns\", \"yyyymmdd\", \"dd.mm.yyyy\", \"yyyy.mm.dd\", \"mm/dd/yyyy\", \"dd/mm/yyyy\"",
                )
            })?;
        }
        let ts = time::parse(time_text.as_bytes(), None, format, &mut zone).map_err(|e| {
            let at = format!("{shown}: row {row}, column `{}`", headers[time_index]);
            let detected = params.time_format == TimeFormat::Auto;
            time_error(e, &at, &time_text, format, detected, &params.timezone)
        })?;
        timestamps.push(ts);
        for (column, out) in values.iter().zip(columns.iter_mut()) {
            out.push(parse_number(&record, column, row, &shown)?);
        }
    }

    if let Some(want) = &params.symbol
        && timestamps.is_empty()
    {
        return Err(no_symbol_error(
            want,
            &params.symbol_column,
            &symbols_seen,
            &shown,
        ));
    }
    Ok(CsvSource {
        names: values.into_iter().map(|c| c.name).collect(),
        timestamps,
        columns,
        cursor: 0,
    })
}

fn resolve(base_dir: &str, path: &str) -> PathBuf {
    let p = Path::new(path);
    if p.is_absolute() || base_dir.is_empty() {
        p.to_path_buf()
    } else {
        Path::new(base_dir).join(p)
    }
}

/// Opens `path`, decompressing when it is named `.gz` or starts with the
/// gzip magic bytes.
fn open_maybe_gzip(path: &Path) -> Result<Box<dyn Read>, PluginError> {
    let shown = path.display();
    let file = File::open(path).map_err(|e| {
        PluginError::io(format!("csv: cannot open {shown}: {e}"))
            .with_help("check `path`; a relative path is resolved against the chart file's folder")
    })?;
    let mut buffered = BufReader::with_capacity(1 << 16, file);
    let head = buffered
        .fill_buf()
        .map_err(|e| PluginError::io(format!("csv: cannot read {shown}: {e}")))?;
    let is_gzip = head.starts_with(&[0x1f, 0x8b])
        || path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("gz"));
    Ok(if is_gzip {
        Box::new(flate2::read::MultiGzDecoder::new(buffered))
    } else {
        Box::new(buffered)
    })
}

fn parse_timezone(name: &str) -> Result<Tz, PluginError> {
    name.parse::<Tz>().map_err(|_| {
        let names = chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name());
        let help = match closest(name, names) {
            Some(best) => format!(
                "did you mean \"{best}\"? timezone takes an IANA name such as \"America/New_York\""
            ),
            None => "timezone takes an IANA name such as \"America/New_York\" or \"UTC\"".into(),
        };
        PluginError::params(format!("csv: unknown timezone `{name}`")).with_help(help)
    })
}

fn parse_delimiter(text: &str) -> Result<u8, PluginError> {
    match text.as_bytes() {
        [b] if b.is_ascii() => Ok(*b),
        _ => Err(PluginError::params(format!(
            "csv: delimiter must be one ASCII character, got `{text}`"
        ))
        .with_help("use e.g. delimiter = \",\", \";\" or \"\\t\"")),
    }
}

/// Index of header `wanted`: an exact match, else a case-insensitive one.
fn header_index(headers: &[String], wanted: &str) -> Option<usize> {
    headers
        .iter()
        .position(|h| h == wanted)
        .or_else(|| headers.iter().position(|h| h.eq_ignore_ascii_case(wanted)))
}

/// Like [`header_index`], but a missing header is an error naming the param
/// that asked for it, the headers found and the closest one.
fn find_column(
    headers: &[String],
    wanted: &str,
    param: &str,
    path: &str,
) -> Result<usize, PluginError> {
    header_index(headers, wanted).ok_or_else(|| missing_column(headers, wanted, param, path))
}

fn missing_column(headers: &[String], wanted: &str, param: &str, path: &str) -> PluginError {
    let found = if headers.is_empty() || headers.iter().all(String::is_empty) {
        "the file has no header line (is it empty?)".to_string()
    } else {
        format!(
            "headers found: {}",
            list(headers.iter().map(String::as_str))
        )
    };
    let help = match closest(wanted, headers.iter().map(String::as_str)) {
        Some(best) => format!("did you mean `{best}`? set {param} to the header's exact text"),
        None => format!("set {param} to one of the file's headers"),
    };
    PluginError::data(format!("{path}: no column `{wanted}` ({param}); {found}")).with_help(help)
}

/// The value columns to read, in output order.
fn value_columns(
    headers: &[String],
    mapping: Option<&BTreeMap<String, String>>,
    path: &str,
) -> Result<Vec<ValueColumn>, PluginError> {
    let mut columns = Vec::new();
    match mapping {
        None => {
            for name in STANDARD_COLUMNS {
                if let Some(index) = header_index(headers, name) {
                    columns.push(ValueColumn {
                        name: name.into(),
                        header: headers[index].clone(),
                        index,
                    });
                }
            }
            if columns.is_empty() {
                return Err(PluginError::data(format!(
                    "{path}: none of the columns open, high, low, close, volume was found; headers found: {}",
                    list(headers.iter().map(String::as_str))
                ))
                .with_help("map the columns to read explicitly, e.g. columns = { close = \"Price\" }"));
            }
        }
        Some(mapping) => {
            if mapping.is_empty() {
                return Err(PluginError::params("csv: `columns` is empty")
                    .with_help("map at least one output name to a header, e.g. columns = { close = \"Close\" }"));
            }
            // Standard names first, in their usual order, then the rest by name.
            let standard = STANDARD_COLUMNS
                .iter()
                .filter_map(|s| mapping.get_key_value(*s));
            let extra = mapping
                .iter()
                .filter(|(k, _)| !STANDARD_COLUMNS.contains(&k.as_str()));
            for (name, header) in standard.chain(extra) {
                let param = format!("columns.{name}");
                let index = find_column(headers, header, &param, path)?;
                columns.push(ValueColumn {
                    name: name.clone(),
                    header: headers[index].clone(),
                    index,
                });
            }
        }
    }
    Ok(columns)
}

/// Field `index` as text (borrowed unless it has to replace invalid UTF-8).
fn field_text(record: &csv::ByteRecord, index: usize) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(record.get(index).unwrap_or_default())
}

fn parse_number(
    record: &csv::ByteRecord,
    column: &ValueColumn,
    row: u64,
    path: &str,
) -> Result<f64, PluginError> {
    let bytes = record.get(column.index).unwrap_or_default();
    let at = || format!("{path}: row {row}, column `{}`", column.header);
    if bytes.is_empty() {
        return Err(PluginError::data(format!("{}: empty value", at()))
            .with_help("missing values are not supported: fill the field in or remove the row"));
    }
    let parsed = std::str::from_utf8(bytes)
        .ok()
        .and_then(|s| s.parse::<f64>().ok());
    match parsed {
        Some(v) if v.is_finite() => Ok(v),
        Some(_) => Err(PluginError::data(format!(
            "{}: `{}` is not a finite number",
            at(),
            clip(&String::from_utf8_lossy(bytes))
        ))
        .with_help(
            "NaN and infinity are not supported as values: fix the field or remove the row",
        )),
        None => Err(PluginError::data(format!(
            "{}: cannot parse `{}` as a number",
            at(),
            clip(&String::from_utf8_lossy(bytes))
        ))
        .with_help(
            "fix the field, or choose other columns with `columns` if this one is not numeric",
        )),
    }
}

fn time_error(
    e: TimeError,
    at: &str,
    text: &str,
    format: TimeFormat,
    detected: bool,
    tz: &str,
) -> PluginError {
    match e {
        TimeError::Syntax => {
            let how = if detected { " (detected from the first data row)" } else { "" };
            PluginError::data(format!(
                "{at}: `{}` does not match time_format \"{}\"{how}; expected {}",
                clip(text),
                format.name(),
                format.example()
            ))
            .with_help("fix the field, or set time_format to match the file")
        }
        TimeError::ClockSyntax => PluginError::data(format!(
            "{at}: the time of day is not HHMMSS or HH:MM[:SS]"
        ))
        .with_help("fix the field, or set time_format to match the file"),
        TimeError::NonexistentLocal => PluginError::data(format!(
            "{at}: local time `{}` does not exist in timezone {tz} (skipped by a daylight-saving change)",
            clip(text)
        ))
        .with_help("check the timezone param; times with an offset (time_format = \"rfc3339\") avoid the ambiguity"),
        TimeError::OutOfRange => PluginError::data(format!(
            "{at}: time `{}` is outside the supported range (years 1677 to 2262)",
            clip(text)
        ))
        .with_help("fix the field, or check that time_format has the right unit"),
    }
}

fn no_symbol_error(want: &str, column: &str, seen: &BTreeSet<String>, path: &str) -> PluginError {
    let message = if seen.is_empty() {
        format!("{path}: no rows with {column} = `{want}`: the file has no data rows")
    } else {
        format!(
            "{path}: no rows with {column} = `{want}`; symbols in the file: {}",
            list(seen.iter().map(String::as_str))
        )
    };
    let help = match seen
        .iter()
        .find(|s| s.eq_ignore_ascii_case(want))
        .or_else(|| {
            closest(want, seen.iter().map(String::as_str))
                .and_then(|best| seen.iter().find(|s| s.as_str() == best))
        }) {
        Some(best) => format!("did you mean symbol = \"{best}\"?"),
        None => {
            "set symbol to one of the symbols in the file, or remove it to read every row".into()
        }
    };
    PluginError::data(message).with_help(help)
}

/// Turns a csv crate error into a plugin error naming the file and row.
fn csv_error(path: &str, e: csv::Error) -> PluginError {
    let row = e.position().map(|p| p.line());
    match e.kind() {
        csv::ErrorKind::Io(io) => {
            let near = row.map(|r| format!(" near row {r}")).unwrap_or_default();
            PluginError::io(format!("{path}: read failed{near}: {io}")).with_help(
                "check that the file is complete (a truncated .gz download fails this way)",
            )
        }
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => {
            let at = row
                .map(|r| format!("row {r}"))
                .unwrap_or_else(|| "a row".into());
            PluginError::data(format!("{path}: {at} has {len} fields, the header has {expected_len}"))
                .with_help("every row needs one field per header; check for a stray delimiter or a missing field")
        }
        _ => PluginError::new(GC_ERR_DATA, format!("{path}: {e}"))
            .with_help("check that the file is valid CSV"),
    }
}

/// The candidate most similar to `wanted` (case-insensitive), if any is close.
fn closest<'a>(wanted: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let wanted = wanted.to_lowercase();
    candidates
        .map(|c| (strsim::jaro_winkler(&wanted, &c.to_lowercase()), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// `a`, `b`, … as a short list (at most 20 items shown).
fn list<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let items: Vec<&str> = items.collect();
    let shown: Vec<String> = items.iter().take(20).map(|s| format!("`{s}`")).collect();
    let more = items.len().saturating_sub(20);
    if more > 0 {
        format!("{} and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

/// Long field text cut to a readable length for messages.
fn clip(text: &str) -> String {
    const MAX: usize = 60;
    if text.chars().count() <= MAX {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(MAX).collect::<String>())
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
