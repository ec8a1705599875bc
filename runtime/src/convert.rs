//! `gpu-charts convert IN OUT`: any source plugin's table written as an
//! Arrow IPC file (`.arrow`, `.ipc`, `.feather`) or a Parquet file
//! (`.parquet`), so big histories open fast.
//!
//! The input goes through a source plugin exactly as a chart would read it
//! (`--kind`, by default from the input's extension, and `--param key=value`
//! for the plugin's params; the input file is its `path`), and is checked
//! like any source table (sorted times, finite values) before anything is
//! written. The output is written to a temporary file next to it and renamed
//! into place, so a failed or interrupted convert never leaves half a file.
//!
//! Layout written:
//! * Both: a `time` column `Timestamp(Nanosecond, "UTC")` (non-null) then
//!   every value column as non-null `Float64`, under the source's names.
//! * Arrow IPC: the file format, uncompressed, the whole table as **one**
//!   record batch with 64-byte-aligned buffers, so a reader that maps the
//!   file lends each column as one contiguous slice (the `arrow` source
//!   plugin does; several batches would force it to concatenate).
//! * Parquet: row groups of [`DEFAULT_ROW_GROUP_ROWS`] rows (`--row-group-rows`),
//!   so a reader can skip groups outside the visible time range by their
//!   statistics (written per column chunk and page); compression snappy
//!   (`--compression zstd|snappy|none`).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use arrow_array::{ArrayRef, Float64Array, RecordBatch, TimestampNanosecondArray};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use serde_json::Value;

use crate::config::{self, SourceFormat, SourceMap};
use crate::data;
use crate::plugins::{PluginRegistry, SourceTable};

/// Rows per Parquet row group by default: 1 Mi rows is 8 MiB per column,
/// fine-grained enough to prune a zoomed-in view of a long history and large
/// enough that per-group overhead stays negligible.
pub const DEFAULT_ROW_GROUP_ROWS: u64 = 1 << 20;
/// Rows per Parquet write call (each advances the progress bar).
const PARQUET_WRITE_ROWS: usize = 1 << 18;
/// Tables smaller than this convert without a progress bar.
const PROGRESS_MIN_ROWS: usize = 1 << 20;

/// The name of the time column written.
pub const TIME_COLUMN: &str = "time";

/// Output compression for Parquet.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ParquetCompression {
    /// Fast to decode (the default).
    #[default]
    Snappy,
    /// Smaller files, a little slower to decode (level 1).
    Zstd,
    /// No compression.
    None,
}

/// `gpu-charts convert` arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct ConvertArgs {
    /// Input file, read by a source plugin (`-` for a source that reads no
    /// file, such as `--kind synthetic`).
    pub input: PathBuf,
    /// Output: `.arrow` / `.ipc` / `.feather` (Arrow IPC file) or `.parquet`.
    pub output: PathBuf,
    /// Source plugin reading the input (default: from its extension: .csv,
    /// .tsv, .txt, .gz = csv; .parquet = parquet; .arrow, .ipc, .feather = arrow).
    #[arg(long)]
    pub kind: Option<String>,
    /// A param of the source plugin, e.g. `--param symbol=AAPL`
    /// (repeatable; see `gpu-charts plugins`). Values that the plugin's
    /// schema types as numbers, booleans, objects or arrays are read as JSON.
    #[arg(long = "param", value_name = "KEY=VALUE")]
    pub params: Vec<String>,
    /// Replace the output if it exists.
    #[arg(long)]
    pub force: bool,
    /// Parquet: rows per row group.
    #[arg(long, default_value_t = DEFAULT_ROW_GROUP_ROWS, value_parser = clap::value_parser!(u64).range(1..))]
    pub row_group_rows: u64,
    /// Parquet: compression.
    #[arg(long, value_enum, default_value_t)]
    pub compression: ParquetCompression,
}

/// What a conversion wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConvertSummary {
    /// The file written.
    pub output: PathBuf,
    /// Rows written.
    pub rows: usize,
    /// Value column names written (after `time`).
    pub columns: Vec<String>,
    /// Record batches (Arrow) or row groups (Parquet) written.
    pub chunks: usize,
    /// Output format.
    pub format: OutputFormat,
}

impl std::fmt::Display for ConvertSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let chunks = match self.format {
            OutputFormat::Arrow => "record batch",
            OutputFormat::Parquet => "row group",
        };
        write!(
            f,
            "wrote {}: {} rows, time + {} ({}), {} {chunks}{}",
            self.output.display(),
            self.rows,
            self.columns.len(),
            self.columns.join(", "),
            self.chunks,
            if self.chunks == 1 { "" } else { "s" }
        )
    }
}

/// Output file format, from the output's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// Arrow IPC file format.
    Arrow,
    /// Apache Parquet.
    Parquet,
}

/// Why a conversion failed. Each names the file or param concerned.
#[derive(Debug, thiserror::Error)]
pub enum ConvertError {
    /// The output exists and `--force` was not given.
    #[error("`{0}` already exists\n  = help: pass --force to replace it, or choose another output")]
    OutputExists(PathBuf),
    /// The output's extension names no format.
    #[error(
        "cannot tell the output format of `{0}`\n  = help: name it .arrow (or .ipc, .feather) for Arrow IPC, or .parquet for Parquet"
    )]
    UnknownOutputFormat(PathBuf),
    /// The input's extension names no source plugin.
    #[error(
        "cannot tell which source plugin reads `{0}`\n  = help: pass --kind (csv, parquet, arrow, or see `gpu-charts plugins`)"
    )]
    UnknownInputKind(PathBuf),
    /// The input cannot be read.
    #[error("cannot read input `{path}`: {source}\n  = help: check the path")]
    Input {
        /// The input given.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Input and output are the same file.
    #[error("input and output are the same file `{0}`\n  = help: write to another file")]
    SameFile(PathBuf),
    /// A `--param` that is not `key=value`.
    #[error("--param `{0}` is not KEY=VALUE\n  = help: e.g. --param symbol=AAPL")]
    ParamSyntax(String),
    /// The params do not fit the plugin's schema.
    #[error("{0}")]
    Params(config::ConfigErrors),
    /// The plugin failed (unknown kind, bad file, bad data).
    #[error("{0}")]
    Plugin(Box<crate::plugins::PluginError>),
    /// The table read breaks the data rules (unsorted, non-finite, empty).
    #[error("{0}")]
    Data(#[from] data::DataError),
    /// Writing the output failed.
    #[error(
        "cannot write `{path}`: {detail}\n  = help: check the folder exists and has space; nothing was left at that path"
    )]
    Write {
        /// The output.
        path: PathBuf,
        /// What failed.
        detail: String,
    },
}

impl From<crate::plugins::PluginError> for ConvertError {
    fn from(e: crate::plugins::PluginError) -> Self {
        ConvertError::Plugin(Box::new(e))
    }
}

/// The output format named by `path`'s extension.
pub fn output_format(path: &Path) -> Option<OutputFormat> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "arrow" | "ipc" | "feather" | "arrows" => Some(OutputFormat::Arrow),
        "parquet" | "pq" => Some(OutputFormat::Parquet),
        _ => None,
    }
}

/// The source plugin for an input named `path`, from its extension.
pub fn input_kind(path: &Path) -> Option<&'static str> {
    let name = path.file_name()?.to_str()?.to_ascii_lowercase();
    let ext = name.rsplit('.').next()?;
    match ext {
        "csv" | "tsv" | "txt" | "gz" => Some("csv"),
        "parquet" | "pq" => Some("parquet"),
        "arrow" | "ipc" | "feather" => Some("arrow"),
        _ => None,
    }
}

/// Reads `args.input` through its source plugin and writes `args.output`.
/// `progress` shows a bar on stderr for long work (indicatif hides it when
/// stderr is not a terminal).
pub fn convert(
    args: &ConvertArgs,
    registry: &PluginRegistry,
    progress: bool,
) -> Result<ConvertSummary, ConvertError> {
    let format = output_format(&args.output)
        .ok_or_else(|| ConvertError::UnknownOutputFormat(args.output.clone()))?;
    if !args.force && args.output.exists() {
        return Err(ConvertError::OutputExists(args.output.clone()));
    }
    let no_file = args.input.as_os_str() == "-";
    let kind = match (&args.kind, no_file) {
        (Some(k), _) => k.clone(),
        (None, true) => return Err(ConvertError::UnknownInputKind(args.input.clone())),
        (None, false) => input_kind(&args.input)
            .ok_or_else(|| ConvertError::UnknownInputKind(args.input.clone()))?
            .to_string(),
    };
    if !no_file {
        // A readable file (a folder or a missing file fails here, named).
        File::open(&args.input)
            .and_then(|f| {
                if f.metadata()?.is_dir() {
                    Err(std::io::Error::other("it is a folder"))
                } else {
                    Ok(())
                }
            })
            .map_err(|source| ConvertError::Input {
                path: args.input.clone(),
                source,
            })?;
        if let (Ok(a), Ok(b)) = (args.input.canonicalize(), args.output.canonicalize())
            && a == b
        {
            return Err(ConvertError::SameFile(args.output.clone()));
        }
    }

    let source = registry.source(&kind)?;
    let params_schema = source.info().params_schema.clone();
    let params = params_object(
        &args.params,
        &params_schema,
        (!no_file).then_some(&args.input),
    )?;
    let map = SourceMap::without_spans(Path::new("--param"), "", SourceFormat::Json);
    let what = format!("source plugin `{kind}`");
    config::validate_params(&params_schema, &params, "params", &what, &map)
        .map_err(ConvertError::Params)?;
    let params = config::apply_defaults(&params_schema, &params).to_string();

    let shown = args.input.display().to_string();
    let bar = spinner(progress, format!("reading {shown}"));
    let table = source.open(&params, "")?.read_all();
    bar.finish_and_clear();
    let table = table?;
    data::validate(&shown, &table.names, &table.timestamps, &table.columns)?;

    let rows = table.timestamps.len();
    let names = table.names.clone();
    let schema = arrow_schema(&names);
    // The table's vectors become Arrow buffers without a copy.
    let columns = arrays(table);
    let tmp = temp_path(&args.output);
    let result = match format {
        OutputFormat::Arrow => write_arrow(&schema, &columns, rows, &tmp, progress),
        OutputFormat::Parquet => write_parquet(&schema, &columns, rows, &tmp, args, progress),
    }
    .and_then(|chunks| {
        std::fs::rename(&tmp, &args.output)
            .map(|_| chunks)
            .map_err(|e| format!("renaming the finished file into place: {e}"))
    });
    let chunks = result.map_err(|detail| {
        let _ = std::fs::remove_file(&tmp);
        ConvertError::Write {
            path: args.output.clone(),
            detail,
        }
    })?;
    Ok(ConvertSummary {
        output: args.output.clone(),
        rows,
        columns: names,
        chunks,
        format,
    })
}

/// The params object: `path` (the input, unless `-`) then each `--param`,
/// typed by the plugin's schema.
fn params_object(
    params: &[String],
    schema_json: &str,
    input: Option<&PathBuf>,
) -> Result<Value, ConvertError> {
    let schema: Value = serde_json::from_str(schema_json).unwrap_or(Value::Null);
    let mut object = serde_json::Map::new();
    if let Some(input) = input {
        object.insert("path".into(), Value::String(input.display().to_string()));
    }
    for text in params {
        let (key, value) = text
            .split_once('=')
            .filter(|(k, _)| !k.trim().is_empty())
            .ok_or_else(|| ConvertError::ParamSyntax(text.clone()))?;
        let key = key.trim();
        let value = if takes_string(&schema, key) {
            Value::String(value.to_string())
        } else {
            serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_string()))
        };
        object.insert(key.to_string(), value);
    }
    Ok(Value::Object(object))
}

/// True when the schema's property `key` is a string or an enum of strings
/// (or is not described, so the text is passed as it is).
fn takes_string(schema: &Value, key: &str) -> bool {
    let Some(property) = schema.get("properties").and_then(|p| p.get(key)) else {
        return true;
    };
    if let Some(t) = property.get("type") {
        return t == "string";
    }
    match property.get("enum").and_then(Value::as_array) {
        Some(values) => values.iter().all(Value::is_string),
        None => true,
    }
}

fn temp_path(output: &Path) -> PathBuf {
    let name = output
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    output.with_file_name(format!(".{name}.partial-{}", std::process::id()))
}

fn spinner(show: bool, message: String) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_message(message);
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

fn bar(show: bool, total: u64, message: String, bytes: bool) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    let template = if bytes {
        "{msg} [{bar:40}] {bytes}/{total_bytes} ({eta})"
    } else {
        "{msg} [{bar:40}] {human_pos}/{human_len} rows ({eta})"
    };
    bar.set_style(
        ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message(message);
    bar
}

/// The Arrow schema both writers use.
fn arrow_schema(names: &[String]) -> Arc<Schema> {
    let time = Field::new(
        TIME_COLUMN,
        DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())),
        false,
    );
    let fields = std::iter::once(time).chain(
        names
            .iter()
            .map(|n| Field::new(n, DataType::Float64, false)),
    );
    Arc::new(Schema::new(fields.collect::<Vec<_>>()))
}

/// Rows `start..start + len` as a record batch (slices share the buffers).
fn batch(
    schema: &Arc<Schema>,
    columns: &[ArrayRef],
    start: usize,
    len: usize,
) -> Result<RecordBatch, String> {
    let sliced = columns.iter().map(|c| c.slice(start, len)).collect();
    RecordBatch::try_new(schema.clone(), sliced).map_err(|e| e.to_string())
}

fn arrays(table: SourceTable) -> Vec<ArrayRef> {
    let time: ArrayRef =
        Arc::new(TimestampNanosecondArray::from(table.timestamps).with_timezone("UTC"));
    std::iter::once(time)
        .chain(
            table
                .columns
                .into_iter()
                .map(|c| Arc::new(Float64Array::from(c)) as ArrayRef),
        )
        .collect()
}

/// Counts bytes into a progress bar on their way to the file.
struct Counting<W: Write> {
    inner: W,
    bar: ProgressBar,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bar.inc(n as u64);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn create(path: &Path) -> Result<BufWriter<File>, String> {
    File::create(path)
        .map(|f| BufWriter::with_capacity(1 << 20, f))
        .map_err(|e| e.to_string())
}

/// One record batch holding every row (see the module docs for why).
fn write_arrow(
    schema: &Arc<Schema>,
    columns: &[ArrayRef],
    rows: usize,
    path: &Path,
    progress: bool,
) -> Result<usize, String> {
    let bytes = (rows * 8 * columns.len()) as u64;
    let bar = bar(
        progress && rows >= PROGRESS_MIN_ROWS,
        bytes,
        "writing Arrow IPC".into(),
        true,
    );
    let out = Counting {
        inner: create(path)?,
        bar: bar.clone(),
    };
    let mut writer =
        arrow_ipc::writer::FileWriter::try_new(out, schema).map_err(|e| e.to_string())?;
    writer
        .write(&batch(schema, columns, 0, rows)?)
        .map_err(|e| e.to_string())?;
    writer.finish().map_err(|e| e.to_string())?;
    let mut out = writer.into_inner().map_err(|e| e.to_string())?;
    out.flush().map_err(|e| e.to_string())?;
    out.inner
        .into_inner()
        .map_err(|e| e.to_string())?
        .sync_all()
        .map_err(|e| e.to_string())?;
    bar.finish_and_clear();
    Ok(1)
}

fn write_parquet(
    schema: &Arc<Schema>,
    columns: &[ArrayRef],
    rows: usize,
    path: &Path,
    args: &ConvertArgs,
    progress: bool,
) -> Result<usize, String> {
    let group_rows = usize::try_from(args.row_group_rows)
        .unwrap_or(usize::MAX)
        .max(1);
    let compression = match args.compression {
        ParquetCompression::Snappy => Compression::SNAPPY,
        ParquetCompression::Zstd => {
            Compression::ZSTD(ZstdLevel::try_new(1).map_err(|e| e.to_string())?)
        }
        ParquetCompression::None => Compression::UNCOMPRESSED,
    };
    let props = WriterProperties::builder()
        .set_max_row_group_row_count(Some(group_rows))
        .set_statistics_enabled(EnabledStatistics::Page)
        .set_compression(compression)
        .build();
    let bar = bar(
        progress && rows >= PROGRESS_MIN_ROWS,
        rows as u64,
        "writing Parquet".into(),
        false,
    );
    let mut writer = ArrowWriter::try_new(create(path)?, schema.clone(), Some(props))
        .map_err(|e| e.to_string())?;
    let mut start = 0;
    while start < rows {
        let len = PARQUET_WRITE_ROWS.min(rows - start);
        writer
            .write(&batch(schema, columns, start, len)?)
            .map_err(|e| e.to_string())?;
        start += len;
        bar.set_position(start as u64);
    }
    writer.flush().map_err(|e| e.to_string())?;
    let groups = writer.flushed_row_groups().len();
    // `into_inner` writes the footer.
    let out = writer.into_inner().map_err(|e| e.to_string())?;
    out.into_inner()
        .map_err(|e| e.to_string())?
        .sync_all()
        .map_err(|e| e.to_string())?;
    bar.finish_and_clear();
    Ok(groups)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_kinds_come_from_extensions() {
        assert_eq!(
            output_format(Path::new("a/b.ARROW")),
            Some(OutputFormat::Arrow)
        );
        assert_eq!(
            output_format(Path::new("b.feather")),
            Some(OutputFormat::Arrow)
        );
        assert_eq!(
            output_format(Path::new("b.parquet")),
            Some(OutputFormat::Parquet)
        );
        assert_eq!(output_format(Path::new("b.csv")), None);
        assert_eq!(output_format(Path::new("parquet")), None);
        assert_eq!(input_kind(Path::new("stocks.csv.gz")), Some("csv"));
        assert_eq!(input_kind(Path::new("t.parquet")), Some("parquet"));
        assert_eq!(input_kind(Path::new("t.arrow")), Some("arrow"));
        assert_eq!(input_kind(Path::new("t.xlsx")), None);
    }

    #[test]
    fn params_are_typed_by_the_schema() {
        let schema = r#"{"properties": {"symbol": {"type": "string"}, "rows": {"type": "integer"},
            "time_format": {"enum": ["auto", "date"]}, "columns": {"type": "object"}}}"#;
        let args: Vec<String> = [
            "symbol=123",
            "rows=5",
            "time_format=date",
            r#"columns={"close":"Price"}"#,
            "other=x=y",
        ]
        .map(String::from)
        .to_vec();
        let v = params_object(&args, schema, Some(&PathBuf::from("in.csv"))).expect("params");
        assert_eq!(
            v,
            serde_json::json!({"path": "in.csv", "symbol": "123", "rows": 5, "time_format": "date",
                "columns": {"close": "Price"}, "other": "x=y"})
        );
        assert!(matches!(
            params_object(&["symbol".into()], schema, None),
            Err(ConvertError::ParamSyntax(s)) if s == "symbol"
        ));
    }
}
