//! Any bytes through the Arrow IPC reader the `arrow` source plugin runs:
//! it must return a value or an error, never panic, hang or read out of bounds.
#![no_main]

use gpu_charts_plugin_arrow::reader::{Options, decode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let buffer = arrow_buffer_from(data);
    for options in [
        Options::default(),
        Options {
            time_column: Some("time".into()),
            int_time_ns_per_unit: 1_000,
            columns: None,
        },
    ] {
        if let Ok(d) = decode(&buffer, &options) {
            // Touch every value: a lent slice must be readable to its end.
            let mut sum = d.timestamps.iter().fold(0i64, |a, &t| a.wrapping_add(t));
            for c in &d.columns {
                assert_eq!(c.len(), d.timestamps.len());
                sum = sum.wrapping_add(c.iter().map(|v| v.to_bits() as i64).fold(0, i64::wrapping_add));
            }
            std::hint::black_box(sum);
        }
    }
});

fn arrow_buffer_from(data: &[u8]) -> gpu_charts_plugin_arrow::reader::Buffer {
    gpu_charts_plugin_arrow::reader::Buffer::from(data.to_vec())
}
