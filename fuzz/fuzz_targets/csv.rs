//! Any bytes as a CSV file through the csv source's public `open` (the
//! entry point the host calls; kept tiny so parser rewrites keep it valid).
#![no_main]

use gpu_charts_plugin_api::SourcePlugin;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(dir) = tempfile::tempdir() else { return };
    if std::fs::write(dir.path().join("f.csv"), data).is_err() {
        return;
    }
    let base = dir.path().to_string_lossy().into_owned();
    let _ = gpu_charts_plugin_csv::CsvSource::open(r#"{"path": "f.csv"}"#, &base);
});
