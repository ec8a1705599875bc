//! The Parquet file to columns: which columns, which row groups (pruned by
//! the time column's statistics), decoded and checked (nulls, non-finite
//! values, ascending time) with the file's own row numbers in every error.

use arrow_array::{Array, ArrayRef};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use bytes::Bytes;
use gpu_charts_plugin_api::PluginError;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
};
use parquet::basic::{
    ConvertedType, LogicalType, TimeUnit as ParquetTimeUnit, Type as PhysicalType,
};
use parquet::file::metadata::ParquetMetaData;
use parquet::file::statistics::Statistics;
use parquet::schema::types::ColumnDescriptor;

use crate::time::format_utc;
use crate::{BATCH_ROWS, Options};

/// Names an `Int64` column may have to be taken as the time without `time_column`.
const INT_TIME_NAMES: [&str; 3] = ["time", "timestamp", "ts"];
/// Most rows reserved up front: the metadata's row counts are not trusted
/// with an allocation (a corrupt footer may claim 2^60 rows).
const MAX_RESERVE_ROWS: usize = 1 << 24;

/// What one open read from the file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadStats {
    /// Row groups in the file.
    pub row_groups_total: usize,
    /// Row groups decoded (the rest were pruned by their statistics).
    pub row_groups_read: usize,
    /// Rows in the file.
    pub rows_total: u64,
    /// Rows decoded (those of the row groups read).
    pub rows_decoded: u64,
    /// Rows kept after cutting to `from..=to`.
    pub rows_kept: u64,
}

/// The decoded, checked selection.
pub(crate) struct Decoded {
    pub names: Vec<String>,
    pub timestamps: Vec<i64>,
    pub columns: Vec<Vec<f64>>,
    pub stats: ReadStats,
}

/// The rows of one run of row groups.
#[derive(Default)]
struct Part {
    timestamps: Vec<i64>,
    columns: Vec<Vec<f64>>,
}

/// How the time column's values become UTC nanoseconds.
#[derive(Debug, Clone, Copy)]
struct TimeKind {
    ns_per_unit: i64,
    /// False for a plain `Int64` column (its unit comes from `time_unit`).
    is_timestamp: bool,
}

/// Decodes the time column and the value columns of the row groups that may
/// hold rows in `options.from_ns..=options.to_ns`.
pub(crate) fn decode(
    reader: Bytes,
    shown: &str,
    options: &Options,
) -> Result<Decoded, PluginError> {
    let meta = ArrowReaderMetadata::load(&reader, ArrowReaderOptions::default())
        .map_err(|e| corrupt(shown, "its metadata (footer) does not decode", &e))?;
    let builder = ParquetRecordBatchReaderBuilder::new_with_metadata(reader.clone(), meta.clone());
    let schema = builder.schema().clone();
    let (time_index, kind) = time_column(&schema, options, shown)?;
    let values = value_columns(&schema, time_index, options, shown)?;
    let metadata = builder.metadata().clone();

    let leaf = leaf_of(&metadata, schema.field(time_index).name());
    let stats_scale = leaf.and_then(|l| {
        stats_ns_per_unit(
            metadata.file_metadata().schema_descr().column(l).as_ref(),
            kind,
        )
    });
    let mut selected = Vec::new();
    // (first file row, rows) of each selected group, for error rows.
    let mut segments: Vec<(u64, u64)> = Vec::new();
    let mut offset = 0u64;
    for (i, group) in metadata.row_groups().iter().enumerate() {
        let rows = u64::try_from(group.num_rows()).unwrap_or(0);
        let keep = match (leaf, stats_scale) {
            (Some(l), Some(scale)) => may_overlap(
                group.column(l).statistics(),
                scale,
                options.from_ns,
                options.to_ns,
            ),
            _ => true,
        };
        if keep {
            selected.push(i);
            segments.push((offset, rows));
        }
        offset = offset.saturating_add(rows);
    }
    let mut stats = ReadStats {
        row_groups_total: metadata.num_row_groups(),
        row_groups_read: selected.len(),
        rows_total: offset,
        rows_decoded: segments.iter().map(|s| s.1).sum(),
        rows_kept: 0,
    };
    if offset == 0 {
        return Err(PluginError::data(format!("{shown}: the file has no rows"))
            .with_help("check that the export wrote data, or point `path` at another file"));
    }
    if selected.is_empty() {
        return Err(no_rows_in_range(
            shown,
            options,
            time_extent(&metadata, leaf, stats_scale),
        ));
    }

    // Projected columns come out in file order; remember where each went.
    let mut roots: Vec<usize> = values.iter().map(|v| v.1).chain([time_index]).collect();
    roots.sort_unstable();
    roots.dedup();
    let position = |root: usize| roots.iter().position(|r| *r == root).unwrap_or(0);
    let mask = ProjectionMask::roots(metadata.file_metadata().schema_descr(), roots.clone());
    drop(builder);
    let time_name = schema.field(time_index).name().clone();
    // Row groups in contiguous runs, one per core, decoded in parallel and
    // joined in file order; each run checks its rows with their file rows.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per = selected.len().div_ceil(threads.max(1)).max(1);
    let runs: Vec<(Vec<usize>, usize)> = {
        let mut out = Vec::new();
        let mut first_row = 0usize;
        for (k, chunk) in selected.chunks(per).enumerate() {
            out.push((chunk.to_vec(), first_row));
            let rows: u64 = segments[k * per..k * per + chunk.len()]
                .iter()
                .map(|s| s.1)
                .sum();
            first_row = first_row.saturating_add(usize::try_from(rows).unwrap_or(usize::MAX));
        }
        out
    };
    let run = |(groups, first_row): &(Vec<usize>, usize)| -> Result<Part, PluginError> {
        let batches =
            ParquetRecordBatchReaderBuilder::new_with_metadata(reader.clone(), meta.clone())
                .with_row_groups(groups.clone())
                .with_projection(mask.clone())
                .with_batch_size(BATCH_ROWS)
                .build()
                .map_err(|e| corrupt(shown, "it cannot be read", &e))?;
        let rows: u64 = groups
            .iter()
            .map(|&g| u64::try_from(metadata.row_group(g).num_rows()).unwrap_or(0))
            .sum();
        let reserve = usize::try_from(rows)
            .unwrap_or(usize::MAX)
            .min(MAX_RESERVE_ROWS);
        let mut part = Part {
            timestamps: Vec::with_capacity(reserve),
            columns: values.iter().map(|_| Vec::with_capacity(reserve)).collect(),
        };
        let row_of = |k: usize| file_row(&segments, first_row + k);
        for batch in batches {
            let batch = batch.map_err(|e| corrupt(shown, "a data page does not decode", &e))?;
            let start = part.timestamps.len();
            let time = batch.column(position(time_index));
            check_nulls(time, &time_name, start, &row_of, shown)?;
            append_times(time, kind, &mut part.timestamps, &time_name, &row_of, shown)?;
            for ((_, root, file_name), out) in values.iter().zip(part.columns.iter_mut()) {
                let column = batch.column(position(*root));
                check_nulls(column, file_name, start, &row_of, shown)?;
                append_values(column, out, file_name, start, &row_of, shown)?;
            }
        }
        Ok(part)
    };
    let parts: Vec<Result<Part, PluginError>> = if runs.len() > 1 {
        use rayon::prelude::*;
        gpu_charts_plugin_kit::name_worker_threads("gc-parquet");
        runs.par_iter().map(run).collect()
    } else {
        runs.iter().map(run).collect()
    };
    // The first error in file order, as a sequential read reports it.
    let mut parts = parts
        .into_iter()
        .collect::<Result<Vec<Part>, PluginError>>()?
        .into_iter();
    let Part {
        mut timestamps,
        mut columns,
    } = parts.next().unwrap_or_default();
    for part in parts {
        timestamps.extend_from_slice(&part.timestamps);
        for (out, c) in columns.iter_mut().zip(&part.columns) {
            out.extend_from_slice(c);
        }
    }
    let row_of = |k: usize| file_row(&segments, k);
    if timestamps.len() as u64 != stats.rows_decoded {
        return Err(PluginError::data(format!(
            "{shown}: the row groups read declare {} rows but {} decoded (the file is corrupt)",
            stats.rows_decoded,
            timestamps.len()
        ))
        .with_help("write the file again, e.g. `gpu-charts convert data.csv data.parquet`"));
    }
    if let Some(i) = timestamps.windows(2).position(|w| w[1] < w[0]) {
        return Err(PluginError::data(format!(
            "{shown}: column `{time_name}` is not in ascending order: data row {} ({}) comes after data row {} ({})",
            row_of(i + 1),
            format_utc(timestamps[i + 1]),
            row_of(i),
            format_utc(timestamps[i])
        ))
        .with_help("sort the file by time (e.g. ORDER BY the time column when exporting)"));
    }

    // Exact cut: the groups read may reach past the range on either side.
    let lo = timestamps.partition_point(|t| *t < options.from_ns);
    let hi = timestamps.partition_point(|t| *t <= options.to_ns);
    // `hi < lo` when the params' range and the host's hint do not meet.
    if hi <= lo {
        let extent = (timestamps.first().copied(), timestamps.last().copied());
        return Err(no_rows_in_range(
            shown,
            options,
            match extent {
                (Some(a), Some(b)) => Some((a, b)),
                _ => None,
            },
        ));
    }
    if lo > 0 || hi < timestamps.len() {
        timestamps.truncate(hi);
        timestamps.drain(..lo);
        for c in &mut columns {
            c.truncate(hi);
            c.drain(..lo);
        }
    }
    stats.rows_kept = timestamps.len() as u64;
    Ok(Decoded {
        names: values.into_iter().map(|v| v.0).collect(),
        timestamps,
        columns,
        stats,
    })
}

/// 1-based data row in the file of decoded row `k`.
fn file_row(segments: &[(u64, u64)], k: usize) -> u64 {
    let mut k = k as u64;
    for (first, rows) in segments {
        if k < *rows {
            return first + k + 1;
        }
        k -= rows;
    }
    k + 1
}

fn corrupt(shown: &str, what: &str, e: &dyn std::fmt::Display) -> PluginError {
    PluginError::data(format!("{shown}: corrupt Parquet file: {what}: {e}")).with_help(
        "the file was damaged or cut short; write it again, e.g. `gpu-charts convert data.csv data.parquet`",
    )
}

fn columns_list(schema: &Schema) -> String {
    let all: Vec<String> = schema
        .fields()
        .iter()
        .take(30)
        .map(|f| format!("`{}` ({})", f.name(), f.data_type()))
        .collect();
    let more = schema.fields().len().saturating_sub(30);
    if more > 0 {
        format!("{} and {more} more", all.join(", "))
    } else {
        all.join(", ")
    }
}

fn find_field(schema: &Schema, wanted: &str) -> Option<usize> {
    let fields = schema.fields();
    fields.iter().position(|f| f.name() == wanted).or_else(|| {
        fields
            .iter()
            .position(|f| f.name().eq_ignore_ascii_case(wanted))
    })
}

fn missing(schema: &Schema, wanted: &str, param: &str, shown: &str) -> PluginError {
    PluginError::data(format!(
        "{shown}: no column `{wanted}` ({param}); columns: {}",
        columns_list(schema)
    ))
    .with_help(format!("set {param} to one of the file's columns"))
}

fn time_kind(field: &Field, options: &Options) -> Option<TimeKind> {
    let ns_per_unit = |unit: &TimeUnit| match unit {
        TimeUnit::Second => 1_000_000_000,
        TimeUnit::Millisecond => 1_000_000,
        TimeUnit::Microsecond => 1_000,
        TimeUnit::Nanosecond => 1,
    };
    match field.data_type() {
        DataType::Timestamp(unit, _) => Some(TimeKind {
            ns_per_unit: ns_per_unit(unit),
            is_timestamp: true,
        }),
        DataType::Int64 => Some(TimeKind {
            ns_per_unit: options.int_time_ns_per_unit,
            is_timestamp: false,
        }),
        _ => None,
    }
}

fn time_column(
    schema: &Schema,
    options: &Options,
    shown: &str,
) -> Result<(usize, TimeKind), PluginError> {
    if let Some(wanted) = &options.time_column {
        let i = find_field(schema, wanted)
            .ok_or_else(|| missing(schema, wanted, "time_column", shown))?;
        let field = schema.field(i);
        return time_kind(field, options).map(|k| (i, k)).ok_or_else(|| {
            PluginError::data(format!(
                "{shown}: time column `{}` is {}, not a timestamp",
                field.name(),
                field.data_type()
            ))
            .with_help("the time column must be a Timestamp or an Int64 (see time_unit); convert it when writing the file")
        });
    }
    let fields = schema.fields();
    let found = fields
        .iter()
        .position(|f| matches!(f.data_type(), DataType::Timestamp(..)))
        .or_else(|| {
            fields.iter().position(|f| {
                f.data_type() == &DataType::Int64
                    && INT_TIME_NAMES
                        .iter()
                        .any(|n| f.name().eq_ignore_ascii_case(n))
            })
        });
    match found {
        Some(i) => time_kind(schema.field(i), options)
            .map(|k| (i, k))
            .ok_or_else(|| PluginError::data(format!("{shown}: no time column"))),
        None => Err(PluginError::data(format!(
            "{shown}: no time column: no Timestamp column and no Int64 column named time, timestamp or ts; columns: {}",
            columns_list(schema)
        ))
        .with_help("set time_column to the column holding the time (a Timestamp, or an Int64 with time_unit)")),
    }
}

fn is_value_type(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Float64 | DataType::Float32 | DataType::Int64 | DataType::Int32
    )
}

/// (output name, root index, file column name) of each value column.
fn value_columns(
    schema: &Schema,
    time_index: usize,
    options: &Options,
    shown: &str,
) -> Result<Vec<(String, usize, String)>, PluginError> {
    let mut out = Vec::new();
    match &options.columns {
        Some(mapping) => {
            for (name, wanted) in mapping {
                let param = format!("columns.{name}");
                let i = find_field(schema, wanted)
                    .ok_or_else(|| missing(schema, wanted, &param, shown))?;
                let field = schema.field(i);
                if !is_value_type(field.data_type()) {
                    return Err(PluginError::data(format!(
                        "{shown}: column `{}` ({param}) is {}, not a number",
                        field.name(),
                        field.data_type()
                    ))
                    .with_help("value columns must be Float64, Float32, Int64 or Int32; choose another column"));
                }
                out.push((name.clone(), i, field.name().clone()));
            }
        }
        None => {
            for (i, field) in schema.fields().iter().enumerate() {
                if i != time_index && is_value_type(field.data_type()) {
                    out.push((field.name().clone(), i, field.name().clone()));
                }
            }
            if out.is_empty() {
                return Err(PluginError::data(format!(
                    "{shown}: no numeric value column (Float64, Float32, Int64 or Int32) besides the time; columns: {}",
                    columns_list(schema)
                ))
                .with_help("write the values as numbers, or map them with columns = { close = \"...\" }"));
            }
        }
    }
    Ok(out)
}

/// Leaf index of the top-level column `name` (flat columns only).
fn leaf_of(metadata: &ParquetMetaData, name: &str) -> Option<usize> {
    let descr = metadata.file_metadata().schema_descr();
    (0..descr.num_columns()).find(|&i| descr.column(i).path().parts() == [name.to_string()])
}

/// Nanoseconds per unit of the time column's statistics, when they can be
/// trusted for pruning: an INT64 column whose stored unit is known.
fn stats_ns_per_unit(column: &ColumnDescriptor, kind: TimeKind) -> Option<i64> {
    if column.physical_type() != PhysicalType::INT64 {
        return None; // INT96 timestamps: their statistics are not usable.
    }
    match column.logical_type_ref() {
        Some(LogicalType::Timestamp(t)) => Some(match t.unit {
            ParquetTimeUnit::MILLIS => 1_000_000,
            ParquetTimeUnit::MICROS => 1_000,
            ParquetTimeUnit::NANOS => 1,
        }),
        Some(_) => None,
        None => match column.converted_type() {
            ConvertedType::TIMESTAMP_MILLIS => Some(1_000_000),
            ConvertedType::TIMESTAMP_MICROS => Some(1_000),
            ConvertedType::NONE if !kind.is_timestamp => Some(kind.ns_per_unit),
            _ => None,
        },
    }
}

/// Min and max of a row group's time statistics in ns (saturating).
fn min_max_ns(stats: Option<&Statistics>, scale: i64) -> Option<(i64, i64)> {
    match stats {
        Some(Statistics::Int64(s)) => {
            let (min, max) = (s.min_opt()?, s.max_opt()?);
            Some((min.saturating_mul(scale), max.saturating_mul(scale)))
        }
        _ => None,
    }
}

/// False only when the statistics prove no row lies in `from..=to`.
fn may_overlap(stats: Option<&Statistics>, scale: i64, from: i64, to: i64) -> bool {
    match min_max_ns(stats, scale) {
        Some((min, max)) => max >= from && min <= to,
        None => true,
    }
}

fn time_extent(
    metadata: &ParquetMetaData,
    leaf: Option<usize>,
    scale: Option<i64>,
) -> Option<(i64, i64)> {
    let (leaf, scale) = (leaf?, scale?);
    let mut extent: Option<(i64, i64)> = None;
    for group in metadata.row_groups() {
        let (min, max) = min_max_ns(group.column(leaf).statistics(), scale)?;
        extent = Some(match extent {
            None => (min, max),
            Some((a, b)) => (a.min(min), b.max(max)),
        });
    }
    extent
}

fn no_rows_in_range(shown: &str, options: &Options, extent: Option<(i64, i64)>) -> PluginError {
    let bound = |ns: i64, none: i64, word: &str| {
        if ns == none {
            word.to_string()
        } else {
            format_utc(ns)
        }
    };
    let covers = extent
        .map(|(a, b)| {
            format!(
                "; the file's times run from {} to {}",
                format_utc(a),
                format_utc(b)
            )
        })
        .unwrap_or_default();
    if let Some((view_from, view_to)) = options.view {
        let params = if options.params_range {
            " and its own from / to"
        } else {
            ""
        };
        return PluginError::data(format!(
            "{shown}: no rows in range {} to {} (the chart's view with its load_margin{params}){covers}",
            bound(view_from, i64::MIN, "the start"),
            bound(view_to, i64::MAX, "the end"),
        ))
        .with_help(
            "move view.start / view.end into the file's times, widen load_margin, or set load = \"all\"",
        );
    }
    PluginError::data(format!(
        "{shown}: no rows between from ({}) and to ({}){covers}",
        bound(options.from_ns, i64::MIN, "the start"),
        bound(options.to_ns, i64::MAX, "the end"),
    ))
    .with_help("widen from / to, or remove them to read the whole file")
}

fn check_nulls(
    array: &ArrayRef,
    name: &str,
    start: usize,
    row_of: &dyn Fn(usize) -> u64,
    shown: &str,
) -> Result<(), PluginError> {
    if array.null_count() == 0 {
        return Ok(());
    }
    let i = (0..array.len()).find(|&i| array.is_null(i)).unwrap_or(0);
    Err(PluginError::data(format!(
        "{shown}: column `{name}` has a null at data row {}",
        row_of(start + i)
    ))
    .with_help(
        "missing values are not supported: fill them in or drop those rows when writing the file",
    ))
}

fn append_times(
    array: &ArrayRef,
    kind: TimeKind,
    out: &mut Vec<i64>,
    name: &str,
    row_of: &dyn Fn(usize) -> u64,
    shown: &str,
) -> Result<(), PluginError> {
    let data = array.to_data();
    // Int64 and every Timestamp unit hold i64 values in buffer 0.
    let values = data
        .buffers()
        .first()
        .map(|_| data.buffer::<i64>(0))
        .unwrap_or_default();
    let values = &values[..values.len().min(array.len())];
    if kind.ns_per_unit == 1 {
        out.extend_from_slice(values);
        return Ok(());
    }
    let start = out.len();
    for (i, v) in values.iter().enumerate() {
        let ns = v.checked_mul(kind.ns_per_unit).ok_or_else(|| {
            PluginError::data(format!(
                "{shown}: column `{name}` at data row {}: {v} is outside the years 1677..2262 that nanosecond times can hold",
                row_of(start + i)
            ))
            .with_help("check the unit (time_unit for an Int64 column)")
        })?;
        out.push(ns);
    }
    Ok(())
}

fn append_values(
    array: &ArrayRef,
    out: &mut Vec<f64>,
    name: &str,
    start: usize,
    row_of: &dyn Fn(usize) -> u64,
    shown: &str,
) -> Result<(), PluginError> {
    let data = array.to_data();
    if data.buffers().is_empty() {
        return Err(PluginError::data(format!(
            "{shown}: column `{name}` has no values"
        )));
    }
    let before = out.len();
    match array.data_type() {
        DataType::Float64 => {
            out.extend_from_slice(data.buffer::<f64>(0).get(..array.len()).unwrap_or_default())
        }
        DataType::Float32 => out.extend(
            data.buffer::<f32>(0)
                .iter()
                .take(array.len())
                .map(|v| f64::from(*v)),
        ),
        // Integers beyond 2^53 round to the nearest f64, as documented.
        DataType::Int64 => out.extend(
            data.buffer::<i64>(0)
                .iter()
                .take(array.len())
                .map(|v| *v as f64),
        ),
        DataType::Int32 => out.extend(
            data.buffer::<i32>(0)
                .iter()
                .take(array.len())
                .map(|v| f64::from(*v)),
        ),
        other => {
            return Err(PluginError::data(format!(
                "{shown}: column `{name}` is {other}, not a number"
            )));
        }
    }
    if out.len() - before != array.len() {
        return Err(PluginError::data(format!(
            "{shown}: column `{name}` holds fewer values than rows (the file is corrupt)"
        )));
    }
    if let Some(i) = out[before..].iter().position(|v| !v.is_finite()) {
        return Err(PluginError::data(format!(
            "{shown}: column `{name}` has a non-finite value ({}) at data row {}",
            out[before + i],
            row_of(start + i)
        ))
        .with_help("NaN and infinity are not supported as values: fix or drop those rows when writing the file"));
    }
    Ok(())
}
