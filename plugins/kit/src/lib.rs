//! Helpers for gpu-charts plugins written in Rust.
//!
//! The C ABI and the safe traits live in `gpu-charts-plugin-api`, which stays
//! dependency-free; this crate adds what Rust plugins keep writing again:
//! parsing a params table with serde into the plugin's own struct
//! ([`params`]), range checks with the host's error wording ([`in_range`]),
//! and unpacking a one-input, one-output indicator's columns
//! ([`single_column`]). With the `testing` feature, [`testing`] has helpers
//! for the plugin's own tests (naga validation of a chart type's WGSL,
//! uniforms and params-error assertions, column comparisons). With the
//! `time` feature, [`time`] parses params times in the chart file's formats.
//!
//! It is an rlib linked into each plugin library; the host never loads it.
//! C plugins need none of it.

use std::fmt::Display;
use std::ops::RangeInclusive;

use gpu_charts_plugin_api::{GC_ERR_INTERNAL, PluginError};
use serde::de::DeserializeOwned;

#[cfg(feature = "testing")]
pub mod testing;
#[cfg(feature = "time")]
pub mod time;

/// Names this plugin's rayon workers `<prefix>-<i>` (call it before the
/// plugin's first parallel work; later calls do nothing).
///
/// Each plugin library links its own copy of rayon, so its global pool is
/// its own, started lazily by the first parallel call. Unnamed, its threads
/// inherit the name of the thread that made that call (the kernel copies a
/// parent's `comm`), so a chart loaded on the host's `gpu-charts-live`
/// thread would leave workers that look like live sessions in `top -H`,
/// debuggers and the host's own leak checks. Keep the prefix short: Linux
/// keeps 15 bytes of a thread name.
pub fn name_worker_threads(prefix: &'static str) {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Err only when the pool already runs (a caller started parallel
        // work before calling this); its threads keep their names then.
        let _ = rayon::ThreadPoolBuilder::new()
            .thread_name(move |i| format!("{prefix}-{i}"))
            .build_global();
    });
}

/// Parses a params table (JSON) into `T`; empty or blank text is `{}`, so
/// every field takes its serde default.
///
/// A parse error (bad JSON, an unknown field, a wrong type) becomes a
/// `GC_ERR_PARAMS` error `"<plugin>: invalid params: <serde's message>"`
/// with `accepted_help` as its help line.
pub fn params<T: DeserializeOwned>(
    plugin: &str,
    params_json: &str,
    accepted_help: &str,
) -> Result<T, PluginError> {
    let text = if params_json.trim().is_empty() {
        "{}"
    } else {
        params_json
    };
    serde_json::from_str(text).map_err(|e| {
        PluginError::params(format!("{plugin}: invalid params: {e}")).with_help(accepted_help)
    })
}

/// Returns `value` when `range` contains it, else a `GC_ERR_PARAMS` error
/// `"<plugin>: <name> must be <lo>..=<hi>, got <value>"` with `help`.
///
/// Numbers are written with `Display`, so an `f64` bound of `1.0` reads `1`
/// and `0.5` reads `0.5` (`opacity must be 0..=1, got 1.5`). A NaN is never
/// in range.
pub fn in_range<T: PartialOrd + Display>(
    plugin: &str,
    name: &str,
    value: T,
    range: RangeInclusive<T>,
    help: &str,
) -> Result<T, PluginError> {
    if range.contains(&value) {
        return Ok(value);
    }
    Err(PluginError::params(format!(
        "{plugin}: {name} must be {}..={}, got {value}",
        range.start(),
        range.end()
    ))
    .with_help(help))
}

/// The first input and the first output column of an indicator's
/// `compute`, or a `GC_ERR_INTERNAL` error
/// `"<plugin>: called without its input or output column"` when the host
/// passed none.
pub fn single_column<'i, 'o>(
    plugin: &str,
    inputs: &[&'i [f64]],
    outputs: &'o mut [&mut [f64]],
) -> Result<(&'i [f64], &'o mut [f64]), PluginError> {
    match (inputs.first(), outputs.first_mut()) {
        (Some(input), Some(out)) => Ok((input, out)),
        _ => Err(PluginError::new(
            GC_ERR_INTERNAL,
            format!("{plugin}: called without its input or output column"),
        )),
    }
}

#[cfg(test)]
mod tests {
    /// Workers started from a named thread carry the given prefix, not the
    /// starting thread's name (Linux: the names are in /proc).
    #[cfg(target_os = "linux")]
    #[test]
    fn worker_threads_are_named_by_the_plugin_not_by_the_thread_that_started_them() {
        use rayon::prelude::*;
        let names = || -> Vec<String> {
            std::fs::read_dir("/proc/self/task")
                .unwrap()
                .filter_map(|t| std::fs::read_to_string(t.unwrap().path().join("comm")).ok())
                .map(|c| c.trim_end().to_string())
                .collect()
        };
        std::thread::Builder::new()
            .name("host-session".into())
            .spawn(|| {
                super::name_worker_threads("gc-kit-test");
                let sum: u64 = (0..10_000u64).into_par_iter().sum();
                assert_eq!(sum, 49_995_000);
            })
            .unwrap()
            .join()
            .unwrap();
        let all = names();
        assert!(all.iter().any(|n| n.starts_with("gc-kit-test-")), "{all:?}");
        assert!(!all.iter().any(|n| n == "host-session"), "{all:?}");
    }
}
