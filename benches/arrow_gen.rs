//! Writes big Arrow IPC tick files for the benchmarks: `time` (Timestamp
//! ns, UTC) and `price` (f64), N rows in ONE record batch (so the `arrow`
//! source lends both columns without a copy), produced in parallel chunks
//! and written in place (`pwrite`), never holding the file in memory.
//!
//! The layout is the IPC file format written by hand around the body:
//! magic, the schema message (arrow-rs), a record-batch message whose
//! flatbuffer metadata is built here (two field nodes, four buffers: empty
//! validity + values per column), the body, end-of-stream, the footer
//! (schema + one block) and the trailer. pyarrow and the plugin read it.

use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Arc;

use arrow_ipc::writer::{DictionaryTracker, EncodedData, IpcDataGenerator, IpcWriteOptions};
use arrow_schema::{DataType, Field, Schema, TimeUnit};

/// Rows generated per parallel chunk.
const CHUNK_ROWS: usize = 1 << 20;
/// First timestamp: 2020-01-01T00:00:00Z.
pub const START_NS: i64 = 1_577_836_800_000_000_000;
/// One tick per millisecond.
pub const STEP_NS: i64 = 1_000_000;

/// The schema of the generated files.
pub fn schema() -> Schema {
    Schema::new(vec![
        Field::new(
            "time",
            DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())),
            false,
        ),
        Field::new("price", DataType::Float64, false),
    ])
}

/// Price of row `i`: slow waves plus hashed noise, computable for any row
/// independently (so chunks are generated in parallel).
pub fn price(i: u64) -> f64 {
    let mut h = i.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    h ^= h >> 29;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 32;
    let noise = (h >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
    let t = i as f64;
    100.0 + 10.0 * (t / 3.0e6).sin() + 2.0 * (t / 7.0e4).sin() + noise
}

fn framed(out: &mut File, message: Vec<u8>) -> std::io::Result<usize> {
    let options = IpcWriteOptions::default();
    let (meta, _) = arrow_ipc::writer::write_message(
        &mut *out,
        EncodedData {
            ipc_message: message,
            arrow_data: Vec::new(),
        },
        &options,
    )
    .map_err(std::io::Error::other)?;
    Ok(meta)
}

/// Writes `rows` ticks to `path` using `threads` threads; returns the size in bytes.
pub fn write_ticks(path: &Path, rows: usize, threads: usize) -> std::io::Result<u64> {
    let schema = Arc::new(schema());
    let mut out = File::create(path)?;
    out.write_all(b"ARROW1\0\0")?;
    let generator = IpcDataGenerator::default();
    let mut tracker = DictionaryTracker::new(false);
    let options = IpcWriteOptions::default();
    let schema_msg =
        generator.schema_to_bytes_with_dictionary_tracker(&schema, &mut tracker, &options);
    framed(&mut out, schema_msg.ipc_message)?;

    let n = rows as i64;
    let column_bytes = n * 8;
    let body_len = 2 * column_bytes;
    let batch_msg = {
        use arrow_ipc::{Buffer, FieldNode, MessageBuilder, MessageHeader, RecordBatchBuilder};
        let mut fbb = flatbuffers::FlatBufferBuilder::new();
        let nodes = fbb.create_vector(&[FieldNode::new(n, 0), FieldNode::new(n, 0)]);
        let buffers = fbb.create_vector(&[
            Buffer::new(0, 0),
            Buffer::new(0, column_bytes),
            Buffer::new(column_bytes, 0),
            Buffer::new(column_bytes, column_bytes),
        ]);
        let mut rb = RecordBatchBuilder::new(&mut fbb);
        rb.add_length(n);
        rb.add_nodes(nodes);
        rb.add_buffers(buffers);
        let rb = rb.finish();
        let mut mb = MessageBuilder::new(&mut fbb);
        mb.add_version(arrow_ipc::MetadataVersion::V5);
        mb.add_header_type(MessageHeader::RecordBatch);
        mb.add_header(rb.as_union_value());
        mb.add_bodyLength(body_len);
        let m = mb.finish();
        fbb.finish(m, None);
        fbb.finished_data().to_vec()
    };
    let block_offset = out.stream_position()?;
    let meta_len = framed(&mut out, batch_msg)?;
    let body_start = out.stream_position()?;
    debug_assert_eq!(body_start, block_offset + meta_len as u64);

    // The body, in parallel chunks written at their offsets.
    let chunks = rows.div_ceil(CHUNK_ROWS);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let failed = std::sync::Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..threads.max(1) {
            scope.spawn(|| {
                let mut ts = Vec::with_capacity(CHUNK_ROWS * 8);
                let mut px = Vec::with_capacity(CHUNK_ROWS * 8);
                loop {
                    let c = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if c >= chunks {
                        return;
                    }
                    let (a, b) = (c * CHUNK_ROWS, ((c + 1) * CHUNK_ROWS).min(rows));
                    ts.clear();
                    px.clear();
                    for i in a..b {
                        ts.extend_from_slice(&(START_NS + i as i64 * STEP_NS).to_le_bytes());
                        px.extend_from_slice(&price(i as u64).to_le_bytes());
                    }
                    let at = body_start + a as u64 * 8;
                    let r = out
                        .write_all_at(&ts, at)
                        .and_then(|()| out.write_all_at(&px, at + column_bytes as u64));
                    if let Err(e) = r {
                        *failed.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                        return;
                    }
                }
            });
        }
    });
    if let Some(e) = failed.into_inner().unwrap_or_else(|p| p.into_inner()) {
        return Err(e);
    }
    out.seek(SeekFrom::Start(body_start + body_len as u64))?;
    // End of stream, then the footer.
    out.write_all(&[0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0])?;
    let footer = {
        let mut fbb = flatbuffers::FlatBufferBuilder::new();
        let blocks = fbb.create_vector(&[arrow_ipc::Block::new(
            block_offset as i64,
            meta_len as i32,
            body_len,
        )]);
        let dictionaries = fbb.create_vector::<arrow_ipc::Block>(&[]);
        let fb_schema =
            arrow_ipc::convert::IpcSchemaEncoder::new().schema_to_fb_offset(&mut fbb, &schema);
        let mut fb = arrow_ipc::FooterBuilder::new(&mut fbb);
        fb.add_version(arrow_ipc::MetadataVersion::V5);
        fb.add_schema(fb_schema);
        fb.add_dictionaries(dictionaries);
        fb.add_recordBatches(blocks);
        let root = fb.finish();
        fbb.finish(root, None);
        fbb.finished_data().to_vec()
    };
    out.write_all(&footer)?;
    out.write_all(&(footer.len() as i32).to_le_bytes())?;
    out.write_all(b"ARROW1")?;
    out.flush()?;
    out.stream_position()
}

#[cfg(test)]
mod tests {
    use super::*;
    use gpu_charts_plugin_arrow::ArrowSource;
    use gpu_charts_plugin_arrow::reader::Options;

    #[test]
    fn a_generated_file_is_one_lent_batch_with_the_formula_values() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("g.arrow");
        let rows = 3 * CHUNK_ROWS / 2 + 5;
        write_ticks(&path, rows, 3).expect("write");
        let src = ArrowSource::open_path(&path, &Options::default()).expect("open");
        let d = src.decoded();
        assert_eq!(d.batches, 1);
        assert!(
            d.timestamps.is_mapped() && d.columns[0].is_mapped(),
            "{:?}",
            d.copies
        );
        assert_eq!(d.timestamps.len(), rows);
        for i in [0, 1, CHUNK_ROWS - 1, CHUNK_ROWS, rows - 1] {
            assert_eq!(d.timestamps[i], START_NS + i as i64 * STEP_NS);
            assert_eq!(d.columns[0][i], price(i as u64));
        }
    }
}
