//! Test support for plugin authors: call a plugin's exported tables
//! in-process, with plain columns, without a GPU or a window.
//!
//! ```text
//! let out = gpu_charts_plugin_api::testing::run_indicator(
//!     my_plugin::plugin_descriptor(), "sma", r#"{"period": 3}"#, &[&close])?;
//! assert_eq!(out[0][2], (close[0] + close[1] + close[2]) / 3.0);
//! ```
//!
//! These helpers go through the same `extern "C"` functions the host calls,
//! so they also exercise the export macro's panic guard.
#![allow(unsafe_code)]

use crate::*;

/// A column table read from a source.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Column names, in order.
    pub names: Vec<String>,
    /// UTC nanosecond timestamps.
    pub timestamps: Vec<i64>,
    /// One vector per column.
    pub columns: Vec<Vec<f64>>,
}

unsafe extern "C" fn collect_error(ctx: *mut c_void, message: GcStr, help: GcStr) {
    // SAFETY: ctx is the `PluginError` passed below; strings are valid for the call.
    unsafe {
        let e = &mut *(ctx as *mut PluginError);
        e.message = message.to_string_lossy().into_owned();
        e.help = help.to_string_lossy().into_owned();
    }
}

fn call(f: impl FnOnce(*const GcErrorSink) -> GcStatus) -> Result<(), PluginError> {
    let mut e = PluginError::new(GC_OK, "");
    let sink = GcErrorSink {
        ctx: &mut e as *mut PluginError as *mut c_void,
        report: collect_error,
    };
    let status = f(&sink);
    if status == GC_OK {
        Ok(())
    } else {
        e.status = status;
        Err(e)
    }
}

fn not_found(kind: &str, name: &str) -> PluginError {
    PluginError::params(format!("the plugin provides no {kind} named `{name}`"))
}

/// Looks up an indicator table by name.
pub fn find_indicator<'a>(d: &'a GcPluginDescriptor, name: &str) -> Option<&'a GcIndicatorV1> {
    // SAFETY: the descriptor's arrays are valid for the library's lifetime.
    let all = unsafe { slice(d.indicators, d.indicator_count) };
    all.iter()
        .find(|t| unsafe { t.name.to_string_lossy() } == name)
}

/// Looks up a source table by name.
pub fn find_source<'a>(d: &'a GcPluginDescriptor, name: &str) -> Option<&'a GcSourceV1> {
    // SAFETY: as above.
    let all = unsafe { slice(d.sources, d.source_count) };
    all.iter()
        .find(|t| unsafe { t.name.to_string_lossy() } == name)
}

/// Looks up a chart type table by name.
pub fn find_chart_type<'a>(d: &'a GcPluginDescriptor, name: &str) -> Option<&'a GcChartTypeV1> {
    // SAFETY: as above.
    let all = unsafe { slice(d.chart_types, d.chart_type_count) };
    all.iter()
        .find(|t| unsafe { t.name.to_string_lossy() } == name)
}

unsafe fn slice<'a, T>(ptr: *const T, len: usize) -> &'a [T] {
    if ptr.is_null() || len == 0 {
        &[]
    } else {
        unsafe { std::slice::from_raw_parts(ptr, len) }
    }
}

/// Runs indicator `name` over `inputs` (all the same length) and returns its outputs.
pub fn run_indicator(
    d: &GcPluginDescriptor,
    name: &str,
    params_json: &str,
    inputs: &[&[f64]],
) -> Result<Vec<Vec<f64>>, PluginError> {
    let len = inputs.first().map_or(0, |c| c.len());
    let mut outs = Vec::new();
    run_indicator_incremental(d, name, params_json, inputs, &[len], &mut outs)?;
    Ok(outs)
}

/// Runs indicator `name` as the host does when bars are appended: one state,
/// one `compute` per entry of `lengths` (growing prefixes of `inputs`), each
/// continuing from the previous length. `outputs` receives the final columns.
pub fn run_indicator_incremental(
    d: &GcPluginDescriptor,
    name: &str,
    params_json: &str,
    inputs: &[&[f64]],
    lengths: &[usize],
    outputs: &mut Vec<Vec<f64>>,
) -> Result<(), PluginError> {
    let t = find_indicator(d, name).ok_or_else(|| not_found("indicator", name))?;
    let mut state: *mut c_void = std::ptr::null_mut();
    // SAFETY: calling the plugin's own table per the contract.
    call(|e| unsafe { (t.create)(GcStr::from_str(params_json), &mut state, e) })?;
    let total = inputs.first().map_or(0, |c| c.len());
    *outputs = vec![Vec::new(); t.output_count];
    let mut from = 0;
    let result = (|| {
        for &len in lengths {
            assert!(
                len <= total && len >= from,
                "lengths must grow and fit the inputs"
            );
            for o in outputs.iter_mut() {
                o.resize(len, f64::NAN);
            }
            let ins: Vec<*const f64> = inputs.iter().map(|c| c.as_ptr()).collect();
            let outs: Vec<*mut f64> = outputs.iter_mut().map(|c| c.as_mut_ptr()).collect();
            // SAFETY: every column holds `len` values.
            call(|e| unsafe {
                (t.compute)(
                    state,
                    ins.as_ptr(),
                    ins.len(),
                    outs.as_ptr(),
                    outs.len(),
                    len,
                    from,
                    e,
                )
            })?;
            from = len;
        }
        Ok(())
    })();
    // SAFETY: state came from create.
    unsafe { (t.destroy)(state) };
    result
}

/// Opens source `name` and reads all its rows, `chunk` rows at a time.
pub fn read_source(
    d: &GcPluginDescriptor,
    name: &str,
    params_json: &str,
    base_dir: &str,
    chunk: usize,
) -> Result<Table, PluginError> {
    let t = find_source(d, name).ok_or_else(|| not_found("source", name))?;
    let mut state: *mut c_void = std::ptr::null_mut();
    // SAFETY: calling the plugin's own table per the contract.
    call(|e| unsafe {
        (t.open)(
            GcStr::from_str(params_json),
            GcStr::from_str(base_dir),
            &mut state,
            e,
        )
    })?;
    let result = (|| {
        // SAFETY: state came from open.
        let ncols = unsafe { (t.column_count)(state) };
        let names: Vec<String> = (0..ncols)
            .map(|i| unsafe { (t.column_name)(state, i).to_string_lossy().into_owned() })
            .collect();
        let mut table = Table {
            names,
            timestamps: Vec::new(),
            columns: vec![Vec::new(); ncols],
        };
        let chunk = chunk.max(1);
        let mut ts = vec![0i64; chunk];
        let mut cols = vec![vec![0f64; chunk]; ncols];
        loop {
            let ptrs: Vec<*mut f64> = cols.iter_mut().map(|c| c.as_mut_ptr()).collect();
            let mut n = 0usize;
            // SAFETY: buffers hold `chunk` values each.
            call(|e| unsafe {
                (t.read)(
                    state,
                    ts.as_mut_ptr(),
                    ptrs.as_ptr(),
                    ncols,
                    chunk,
                    &mut n,
                    e,
                )
            })?;
            if n == 0 {
                break;
            }
            table.timestamps.extend_from_slice(&ts[..n]);
            for (dst, src) in table.columns.iter_mut().zip(&cols) {
                dst.extend_from_slice(&src[..n]);
            }
        }
        Ok(table)
    })();
    // SAFETY: state came from open.
    unsafe { (t.close)(state) };
    result
}

/// Calls chart type `name`'s `uniforms` with `params_json`.
pub fn chart_uniforms(
    d: &GcPluginDescriptor,
    name: &str,
    params_json: &str,
) -> Result<[f32; GC_USER_UNIFORM_FLOATS], PluginError> {
    let t = find_chart_type(d, name).ok_or_else(|| not_found("chart type", name))?;
    let mut out = [0f32; GC_USER_UNIFORM_FLOATS];
    if let Some(f) = t.uniforms {
        // SAFETY: out holds 16 floats.
        call(|e| unsafe { f(GcStr::from_str(params_json), out.as_mut_ptr(), e) })?;
    }
    Ok(out)
}
