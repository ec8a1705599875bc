//! Arrow IPC source plugin (`kind = "arrow"`): an Arrow IPC file (Feather
//! v2, `.arrow`, `.feather`, `.ipc`) opened by memory map and lent to the
//! host without copying its columns (ABI 1.2, `GcSourceV1::borrow`).
//!
//! `open` maps the file and decodes its footer and record batches (arrow-rs
//! `FileDecoder` over the mapped bytes; see [`reader`] for what is and is
//! not a copy). A host that predates ABI 1.2 reads the same columns through
//! `read`, in chunks.
//!
//! The file must not be truncated or rewritten in place while a chart has
//! it open (true of every memory-mapped reader); write a new file and
//! rename it over the old one, as `gpu-charts convert` and most tools do.
//!
//! # Errors (all name the resolved file)
//! * `GC_ERR_IO`: the file cannot be opened or mapped.
//! * `GC_ERR_DATA`: it is not an Arrow IPC file (a CSV, Parquet, Feather v1
//!   or IPC stream file is named as such), it is truncated or corrupt, a
//!   named column is missing or not numeric, there is no time column, or a
//!   column has nulls.

pub mod reader;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use gpu_charts_plugin_api::{GC_LOG_INFO, Lent, PluginError, SourcePlugin};
use serde::Deserialize;

use reader::{Decoded, Options};

/// JSON Schema of the params table.
pub const PARAMS_SCHEMA: &str = r#"{
  "type": "object",
  "properties": {
    "path": {
      "type": "string",
      "minLength": 1,
      "description": "Arrow IPC file (Feather v2), relative to the chart file's folder."
    },
    "time_column": {
      "type": "string",
      "minLength": 1,
      "description": "Name of the time column. Default: the first Timestamp column, else the first Int64 column called time, timestamp or ts."
    },
    "time_unit": {
      "enum": ["ns", "us", "ms", "s"],
      "default": "ns",
      "description": "Unit of an Int64 time column (Timestamp columns carry their own unit)."
    },
    "columns": {
      "type": "array",
      "items": { "type": "string", "minLength": 1 },
      "minItems": 1,
      "description": "Value columns to read, in order. Default: every numeric column but the time column. f64 columns are used in place; f32 and integer columns are converted (a copy)."
    }
  },
  "required": ["path"],
  "additionalProperties": false
}"#;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    path: String,
    #[serde(default)]
    time_column: Option<String>,
    #[serde(default = "default_unit")]
    time_unit: String,
    #[serde(default)]
    columns: Option<Vec<String>>,
}

fn default_unit() -> String {
    "ns".into()
}

/// An open Arrow IPC file.
#[derive(Debug)]
pub struct ArrowSource {
    path: PathBuf,
    path_text: String,
    decoded: Decoded,
    /// Rows handed out by `read` so far.
    next: usize,
}

impl ArrowSource {
    /// Opens and decodes the file at `path` (already resolved).
    pub fn open_path(path: &Path, options: &Options) -> Result<ArrowSource, PluginError> {
        let shown = path.display();
        let file = File::open(path).map_err(|e| {
            PluginError::io(format!("cannot open `{shown}`: {e}"))
                .with_help("check the `path` param (relative paths start at the chart's folder)")
        })?;
        let len = file
            .metadata()
            .map_err(|e| PluginError::io(format!("cannot stat `{shown}`: {e}")))?
            .len();
        let buffer = if len == 0 {
            arrow_buffer::Buffer::from_vec(Vec::<u8>::new())
        } else {
            // SAFETY: the map is read-only; the file must not be truncated
            // or rewritten in place while it is open (documented above, as
            // for every memory-mapped reader).
            #[allow(unsafe_code)]
            let map = unsafe { memmap2::Mmap::map(&file) }
                .map_err(|e| PluginError::io(format!("cannot map `{shown}`: {e}")))?;
            let map = Arc::new(map);
            let bytes: &[u8] = &map[..];
            // SAFETY: the bytes belong to `map`, which the buffer keeps alive.
            #[allow(unsafe_code)]
            unsafe {
                reader::buffer_over(bytes, map.clone())
            }
        };
        let decoded = reader::decode(&buffer, options).map_err(|e| PluginError {
            message: format!("`{shown}`: {}", e.message),
            ..e
        })?;
        for copy in &decoded.copies {
            gpu_charts_plugin_api::log(GC_LOG_INFO, &format!("`{shown}`: {copy}"));
        }
        Ok(ArrowSource {
            path_text: path.to_string_lossy().into_owned(),
            path: path.to_path_buf(),
            decoded,
            next: 0,
        })
    }

    /// The decoded file.
    pub fn decoded(&self) -> &Decoded {
        &self.decoded
    }

    /// The resolved file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl SourcePlugin for ArrowSource {
    const NAME: &'static str = "arrow";
    const DESCRIPTION: &'static str =
        "Arrow IPC / Feather v2 file, memory-mapped and lent without copies";
    const PARAMS_SCHEMA: &'static str = PARAMS_SCHEMA;

    fn open(params_json: &str, base_dir: &str) -> Result<Self, PluginError> {
        let p: Params = serde_json::from_str(params_json)
            .map_err(|e| PluginError::params(format!("arrow: invalid params: {e}")))?;
        let per = match p.time_unit.as_str() {
            "ns" => 1,
            "us" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            other => {
                return Err(PluginError::params(format!(
                    "arrow: time_unit must be ns, us, ms or s, got `{other}`"
                )));
            }
        };
        let options = Options {
            time_column: p.time_column,
            int_time_ns_per_unit: per,
            columns: p.columns,
        };
        let path = Path::new(base_dir).join(&p.path);
        ArrowSource::open_path(&path, &options)
    }

    fn column_names(&self) -> &[String] {
        &self.decoded.names
    }

    fn row_count_hint(&self) -> Option<u64> {
        Some(self.decoded.timestamps.len() as u64)
    }

    fn read(
        &mut self,
        timestamps: &mut [i64],
        columns: &mut [&mut [f64]],
    ) -> Result<usize, PluginError> {
        let total = self.decoded.timestamps.len();
        let n = timestamps.len().min(total - self.next);
        let range = self.next..self.next + n;
        timestamps[..n].copy_from_slice(&self.decoded.timestamps[range.clone()]);
        for (out, column) in columns.iter_mut().zip(&self.decoded.columns) {
            out[..n].copy_from_slice(&column[range.clone()]);
        }
        self.next += n;
        Ok(n)
    }

    fn borrow(&self) -> Result<Option<Lent<'_>>, PluginError> {
        Ok(Some(Lent {
            timestamps: &self.decoded.timestamps,
            columns: self.decoded.columns.iter().map(|c| &c[..]).collect(),
            // The host validates (in parallel, remembered in its sidecar).
            sorted: false,
            finite: false,
            fingerprint: self.decoded.fingerprint,
            data_path: &self.path_text,
        }))
    }
}

gpu_charts_plugin_api::export_plugin! {
    name: "arrow",
    version: env!("CARGO_PKG_VERSION"),
    description: "Arrow IPC files, memory-mapped and lent to the host without copies",
    chart_types: [],
    indicators: [],
    sources: [ArrowSource],
}
