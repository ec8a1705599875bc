//! Any bytes as a Parquet file: an error or a table, never a panic or abort.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = gpu_charts_plugin_parquet::ParquetSource::from_bytes(
        data.to_vec(),
        "fuzz.parquet",
        r#"{"path": "-"}"#,
    );
});
