//! The Arrow IPC file reader behind the plugin, public so the fuzz target
//! and the benches drive exactly the code the plugin runs.
//!
//! The file's bytes (a memory map in the plugin) become one arrow-rs
//! `Buffer` without a copy (`Buffer::from_custom_allocation`), the footer is
//! parsed and checked, and each record batch is decoded by
//! `arrow_ipc::reader::FileDecoder`, whose arrays point into that buffer.
//! An `f64` column and a nanosecond timestamp column of a file with one
//! record batch are therefore the file's own bytes; everything else is
//! copied once (and said so, see [`Decoded::copies`]):
//! * other timestamp units and `Int64` times in another unit (scaled to ns);
//! * `f32` and integer value columns (converted to `f64`; integers beyond
//!   2^53 lose precision, as any `f64` does);
//! * files of several record batches, concatenated, because the host's
//!   columns are contiguous (write one batch to avoid it: pyarrow
//!   `write_table(t, f, max_chunksize=len(t))` after `combine_chunks()`, or
//!   `gpu-charts convert`).
//!
//! Nothing here scans the values for order or finiteness: the host does
//! that (on every core, once, remembered in its sidecar).

use std::ops::Deref;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr::NonNull;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, TimestampMicrosecondType,
    TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType, UInt8Type, UInt16Type,
    UInt32Type, UInt64Type,
};
use arrow_array::{Array, ArrayRef, RecordBatch};
pub use arrow_buffer::Buffer;
use arrow_buffer::ScalarBuffer;
use arrow_ipc::reader::{FileDecoder, read_footer_length};
use arrow_schema::{DataType, Schema, TimeUnit};
use gpu_charts_plugin_api::PluginError;

/// `ARROW1`: the first and last six bytes of an Arrow IPC file.
const MAGIC: &[u8; 6] = b"ARROW1";
/// Names an `Int64` time column may have when no `time_column` is given.
const TIME_NAMES: [&str; 3] = ["time", "timestamp", "ts"];

/// Values that are either the file's own bytes or a copy.
#[derive(Debug, Clone)]
pub enum Values<T: arrow_buffer::ArrowNativeType> {
    /// Points into the file (memory map), no copy.
    Mapped(ScalarBuffer<T>),
    /// Converted or concatenated.
    Owned(Vec<T>),
}

impl<T: arrow_buffer::ArrowNativeType> Deref for Values<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        match self {
            Values::Mapped(b) => b,
            Values::Owned(v) => v,
        }
    }
}

impl<T: arrow_buffer::ArrowNativeType> Values<T> {
    /// Whether these are the file's bytes (not a copy).
    pub fn is_mapped(&self) -> bool {
        matches!(self, Values::Mapped(_))
    }
}

/// How to pick columns.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The time column's name; `None`: the first `Timestamp` column, else
    /// the first `Int64` column called time, timestamp or ts.
    pub time_column: Option<String>,
    /// Unit of an `Int64` time column: 1 (ns), 1_000 (µs), 1_000_000 (ms)
    /// or 1_000_000_000 (s).
    pub int_time_ns_per_unit: i64,
    /// Value columns to read, in this order; `None`: every numeric column.
    pub columns: Option<Vec<String>>,
}

/// A decoded file.
#[derive(Debug)]
pub struct Decoded {
    /// Value column names.
    pub names: Vec<String>,
    /// UTC nanosecond timestamps.
    pub timestamps: Values<i64>,
    /// One per name.
    pub columns: Vec<Values<f64>>,
    /// What was copied and why (empty: nothing), for the log.
    pub copies: Vec<String>,
    /// FNV-1a of the footer and the file's length.
    pub fingerprint: u64,
    /// Record batches in the file.
    pub batches: usize,
}

/// Wraps `bytes` (kept alive by `owner`, e.g. a memory map) in an arrow
/// `Buffer` without copying.
///
/// # Safety
/// `bytes` must stay valid and unchanged for as long as `owner` lives.
#[allow(unsafe_code)] // the one place a memory map becomes an arrow buffer
pub unsafe fn buffer_over<O>(bytes: &[u8], owner: Arc<O>) -> Buffer
where
    O: std::panic::RefUnwindSafe + Send + Sync + 'static,
{
    let Some(ptr) = NonNull::new(bytes.as_ptr().cast_mut()) else {
        return Buffer::from_vec(Vec::<u8>::new());
    };
    // SAFETY: guaranteed by the caller: `owner` keeps the bytes alive.
    unsafe { Buffer::from_custom_allocation(ptr, bytes.len(), owner) }
}

/// Names what `bytes` is when it is not an Arrow IPC file, or `None`.
pub fn sniff(bytes: &[u8]) -> Option<String> {
    let help_convert = "convert it with `gpu-charts convert <in> <out>.arrow`";
    if bytes.is_empty() {
        return Some("the file is empty".into());
    }
    if bytes.starts_with(MAGIC) {
        if bytes.len() < 8 + 10 || !bytes.ends_with(MAGIC) {
            return Some(
                "the file starts like an Arrow IPC file but its footer is missing: it is \
                 truncated (cut short, or still being written); write it again"
                    .into(),
            );
        }
        return None;
    }
    if bytes.starts_with(b"PAR1") {
        return Some("this is a Parquet file, not Arrow IPC; use kind = \"parquet\"".into());
    }
    if bytes.starts_with(b"FEA1") {
        return Some(
            "this is a Feather v1 file (the pre-2017 format), which is not supported; \
             rewrite it as Feather v2 / Arrow IPC: pyarrow.feather.write_feather(df, path, version=2)"
                .into(),
        );
    }
    if bytes.starts_with(&[0xff, 0xff, 0xff, 0xff]) {
        return Some(format!(
            "this is an Arrow IPC stream (.arrows), not an Arrow IPC file; {help_convert}, or write \
             it with pyarrow.ipc.new_file instead of new_stream"
        ));
    }
    if bytes.starts_with(&[0x1f, 0x8b]) {
        return Some("this is a gzip-compressed file, not Arrow IPC; decompress it first".into());
    }
    let head = &bytes[..bytes.len().min(4096)];
    let text = head
        .iter()
        .all(|&b| b == b'\n' || b == b'\r' || b == b'\t' || (0x20..0x7f).contains(&b) || b >= 0x80);
    if text {
        let csv = head.iter().any(|&b| b == b',' || b == b';' || b == b'\t');
        return Some(if csv {
            "this looks like a CSV text file, not Arrow IPC; use kind = \"csv\" or \
             `gpu-charts convert` it"
                .into()
        } else {
            "this is a text file, not Arrow IPC (no ARROW1 magic)".into()
        });
    }
    Some("this is not an Arrow IPC file (no ARROW1 magic at its start)".into())
}

fn corrupt(what: impl std::fmt::Display) -> PluginError {
    PluginError::data(format!("the file is corrupt: {what}"))
        .with_help("write the file again (pyarrow.ipc.new_file, or `gpu-charts convert`)")
}

/// Decodes an Arrow IPC file held in `buffer` (see [`buffer_over`]).
/// Errors do not name the file: the caller prefixes it.
pub fn decode(buffer: &Buffer, options: &Options) -> Result<Decoded, PluginError> {
    if let Some(what) = sniff(buffer.as_slice()) {
        return Err(PluginError::data(what));
    }
    // arrow-rs checks what it parses, but a decoder bug on hostile bytes
    // must still be an error, not a panic in the host.
    match catch_unwind(AssertUnwindSafe(|| decode_checked(buffer, options))) {
        Ok(result) => result,
        Err(_) => Err(corrupt("the Arrow decoder failed on it")),
    }
}

fn decode_checked(buffer: &Buffer, options: &Options) -> Result<Decoded, PluginError> {
    let bytes = buffer.as_slice();
    let len = bytes.len();
    let mut trailer = [0u8; 10];
    trailer.copy_from_slice(&bytes[len - 10..]);
    let footer_len = read_footer_length(trailer).map_err(corrupt)?;
    // The footer sits between the leading magic (8 bytes with padding) and the trailer.
    if footer_len > len - 10 - 8 {
        return Err(corrupt(format!(
            "its footer claims {footer_len} bytes in a file of {len}"
        )));
    }
    let footer_bytes = &bytes[len - 10 - footer_len..len - 10];
    let footer = arrow_ipc::root_as_footer(footer_bytes)
        .map_err(|e| corrupt(format!("its footer does not parse ({e})")))?;
    let fb_schema = footer
        .schema()
        .ok_or_else(|| corrupt("its footer has no schema"))?;
    let schema = Arc::new(
        arrow_ipc::convert::try_fb_to_schema(fb_schema)
            .map_err(|e| corrupt(format!("its schema does not parse ({e})")))?,
    );
    let mut decoder = FileDecoder::new(schema.clone(), footer.version());
    let block_buffer = |b: &arrow_ipc::Block| -> Result<Buffer, PluginError> {
        let (offset, meta, body) = (b.offset(), b.metaDataLength(), b.bodyLength());
        let end = usize::try_from(offset)
            .ok()
            .zip(usize::try_from(meta).ok())
            .zip(usize::try_from(body).ok())
            .and_then(|((o, m), b)| o.checked_add(m)?.checked_add(b).map(|e| (o, e)));
        match end {
            // The metadata holds at least the 8-byte prefix (continuation
            // marker + length); arrow-rs slices past it unchecked (found by
            // the fuzz target: fuzz/regressions/arrow_ipc/short-block-*).
            Some((o, e)) if e <= len - 10 - footer_len && meta >= 8 => {
                Ok(buffer.slice_with_length(o, e - o))
            }
            _ => Err(corrupt(format!(
                "a block (offset {offset}, {meta} + {body} bytes) lies outside the file"
            ))),
        }
    };
    for block in footer.dictionaries().iter().flatten() {
        let data = block_buffer(block)?;
        decoder
            .read_dictionary(block, &data)
            .map_err(|e| corrupt(format!("a dictionary does not decode ({e})")))?;
    }
    let mut batches = Vec::new();
    for block in footer.recordBatches().iter().flatten() {
        let data = block_buffer(block)?;
        if let Some(batch) = decoder.read_record_batch(block, &data).map_err(|e| {
            corrupt(format!(
                "record batch {} does not decode ({e})",
                batches.len()
            ))
        })? {
            batches.push(batch);
        }
    }
    let mut fingerprint = Fnv::new();
    fingerprint.write(&(len as u64).to_le_bytes());
    fingerprint.write(footer_bytes);
    assemble(&schema, &batches, options, fingerprint.0)
}

fn assemble(
    schema: &Schema,
    batches: &[RecordBatch],
    options: &Options,
    fingerprint: u64,
) -> Result<Decoded, PluginError> {
    let fields = schema.fields();
    let listing = || {
        fields
            .iter()
            .map(|f| format!("`{}` ({})", f.name(), f.data_type()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let time_index = match &options.time_column {
        Some(name) => {
            let i = fields
                .iter()
                .position(|f| f.name() == name)
                .ok_or_else(|| {
                    PluginError::data(format!(
                        "no column `{name}` (the time_column); the file has {}",
                        listing()
                    ))
                })?;
            if !is_time_type(fields[i].data_type()) {
                return Err(PluginError::data(format!(
                    "the time column `{name}` is {}, not a Timestamp or Int64",
                    fields[i].data_type()
                )));
            }
            i
        }
        None => fields
            .iter()
            .position(|f| matches!(f.data_type(), DataType::Timestamp(_, _)))
            .or_else(|| {
                fields.iter().position(|f| {
                    f.data_type() == &DataType::Int64
                        && TIME_NAMES.iter().any(|n| f.name().eq_ignore_ascii_case(n))
                })
            })
            .ok_or_else(|| {
                PluginError::data(format!("no time column: the file has {}", listing())).with_help(
                    "add a Timestamp column, or name an Int64 one with time_column \
                     (time_unit says its unit)",
                )
            })?,
    };
    let value_indices: Vec<usize> = match &options.columns {
        Some(names) => names
            .iter()
            .map(|name| {
                let i = fields
                    .iter()
                    .position(|f| f.name() == name)
                    .ok_or_else(|| {
                        PluginError::data(format!("no column `{name}`; the file has {}", listing()))
                    })?;
                if !is_value_type(fields[i].data_type()) || i == time_index {
                    return Err(PluginError::data(format!(
                        "column `{name}` is {}, not a number column",
                        fields[i].data_type()
                    )));
                }
                Ok(i)
            })
            .collect::<Result<_, _>>()?,
        None => (0..fields.len())
            .filter(|&i| i != time_index && is_value_type(fields[i].data_type()))
            .collect(),
    };
    let mut copies = Vec::new();
    if batches.len() > 1 {
        copies.push(format!(
            "the file has {} record batches, concatenated into memory (one copy); write it as one \
             batch to open it without a copy",
            batches.len()
        ));
    }
    let time_field = &fields[time_index];
    let timestamps = gather(batches, time_index, time_field.name(), |a| {
        time_values(a, options)
    })?;
    if !timestamps.is_mapped() && batches.len() == 1 {
        copies.push(format!(
            "time column `{}` ({}) scaled to nanoseconds (one copy)",
            time_field.name(),
            time_field.data_type()
        ));
    }
    let mut names = Vec::new();
    let mut columns = Vec::new();
    for &i in &value_indices {
        let field = &fields[i];
        let values = gather(batches, i, field.name(), value_values)?;
        if !values.is_mapped() && batches.len() == 1 {
            copies.push(format!(
                "column `{}` ({}) converted to f64 (one copy)",
                field.name(),
                field.data_type()
            ));
        }
        names.push(field.name().clone());
        columns.push(values);
    }
    Ok(Decoded {
        names,
        timestamps,
        columns,
        copies,
        fingerprint,
        batches: batches.len(),
    })
}

fn is_time_type(t: &DataType) -> bool {
    matches!(t, DataType::Timestamp(_, _) | DataType::Int64)
}

fn is_value_type(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Float64
            | DataType::Float32
            | DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::Int64
            | DataType::UInt8
            | DataType::UInt16
            | DataType::UInt32
            | DataType::UInt64
    )
}

/// One column over every batch: the batch's own buffer when there is one
/// batch and `one` maps it, else the concatenation.
fn gather<T: arrow_buffer::ArrowNativeType>(
    batches: &[RecordBatch],
    index: usize,
    name: &str,
    one: impl Fn(&ArrayRef) -> Result<Values<T>, String>,
) -> Result<Values<T>, PluginError> {
    let mut parts = Vec::with_capacity(batches.len());
    let mut row = 0usize;
    for batch in batches {
        let array = batch.column(index);
        if array.null_count() > 0 {
            let first = (0..array.len()).find(|&r| array.is_null(r)).unwrap_or(0);
            return Err(PluginError::data(format!(
                "column `{name}` has {} missing (null) values, the first at data row {}",
                array.null_count(),
                row + first + 1
            ))
            .with_help("gpu-charts needs a value on every row: fill or drop the nulls"));
        }
        row += array.len();
        parts.push(one(array).map_err(|e| PluginError::data(format!("column `{name}`: {e}")))?);
    }
    if parts.len() == 1 {
        return Ok(parts.remove(0));
    }
    let mut all = Vec::new();
    if all.try_reserve_exact(row).is_err() {
        return Err(PluginError::data(format!(
            "column `{name}`: not enough memory to concatenate {row} rows"
        )));
    }
    for part in &parts {
        all.extend_from_slice(part);
    }
    Ok(Values::Owned(all))
}

fn scale(values: &[i64], per: i64) -> Result<Values<i64>, String> {
    values
        .iter()
        .map(|&v| v.checked_mul(per))
        .collect::<Option<Vec<i64>>>()
        .map(Values::Owned)
        .ok_or_else(|| "a time does not fit in i64 nanoseconds (after year 2262?)".to_string())
}

fn time_values(a: &ArrayRef, options: &Options) -> Result<Values<i64>, String> {
    match a.data_type() {
        DataType::Timestamp(TimeUnit::Nanosecond, _) => Ok(Values::Mapped(
            a.as_primitive::<TimestampNanosecondType>().values().clone(),
        )),
        DataType::Timestamp(TimeUnit::Microsecond, _) => {
            scale(a.as_primitive::<TimestampMicrosecondType>().values(), 1_000)
        }
        DataType::Timestamp(TimeUnit::Millisecond, _) => scale(
            a.as_primitive::<TimestampMillisecondType>().values(),
            1_000_000,
        ),
        DataType::Timestamp(TimeUnit::Second, _) => scale(
            a.as_primitive::<TimestampSecondType>().values(),
            1_000_000_000,
        ),
        DataType::Int64 => {
            let v = a.as_primitive::<Int64Type>().values();
            match options.int_time_ns_per_unit {
                0 | 1 => Ok(Values::Mapped(v.clone())),
                per => scale(v, per),
            }
        }
        t => Err(format!("{t} is not a time type")),
    }
}

fn value_values(a: &ArrayRef) -> Result<Values<f64>, String> {
    fn conv<T: arrow_array::ArrowPrimitiveType>(
        a: &ArrayRef,
        f: impl Fn(T::Native) -> f64,
    ) -> Values<f64> {
        Values::Owned(
            a.as_primitive::<T>()
                .values()
                .iter()
                .map(|&v| f(v))
                .collect(),
        )
    }
    Ok(match a.data_type() {
        DataType::Float64 => Values::Mapped(a.as_primitive::<Float64Type>().values().clone()),
        DataType::Float32 => conv::<Float32Type>(a, f64::from),
        DataType::Int8 => conv::<Int8Type>(a, f64::from),
        DataType::Int16 => conv::<Int16Type>(a, f64::from),
        DataType::Int32 => conv::<Int32Type>(a, f64::from),
        DataType::Int64 => conv::<Int64Type>(a, |v| v as f64),
        DataType::UInt8 => conv::<UInt8Type>(a, f64::from),
        DataType::UInt16 => conv::<UInt16Type>(a, f64::from),
        DataType::UInt32 => conv::<UInt32Type>(a, f64::from),
        DataType::UInt64 => conv::<UInt64Type>(a, |v| v as f64),
        t => return Err(format!("{t} is not a number type")),
    })
}

/// 64-bit FNV-1a (stable across builds).
struct Fnv(u64);
impl Fnv {
    fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}
