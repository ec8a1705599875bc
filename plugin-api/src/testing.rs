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
//!
//! A chart type's shader is checked by composing it as the host does and
//! running it through naga (a dev-dependency of the chart type's crate; this
//! crate stays dependency-free):
//!
//! ```text
//! let src = gpu_charts_plugin_api::testing::chart_source(plugin_descriptor(), "line")?;
//! let module = naga::front::wgsl::parse_str(&src)?;
//! ```
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

/// A string passed as the host passes params: followed by a NUL byte that
/// `len` does not count ([`GC_FEATURE_NUL_TERMINATED`]).
struct NulTerminated(Vec<u8>);

impl NulTerminated {
    fn new(s: &str) -> Self {
        let mut bytes = Vec::with_capacity(s.len() + 1);
        bytes.extend_from_slice(s.as_bytes());
        bytes.push(0);
        NulTerminated(bytes)
    }

    fn as_gc_str(&self) -> GcStr {
        GcStr {
            ptr: self.0.as_ptr(),
            len: self.0.len() - 1,
        }
    }
}

fn not_found(kind: &str, name: &str) -> PluginError {
    PluginError::params(format!("the plugin provides no {kind} named `{name}`"))
}

/// A plugin descriptor the testing helpers may call into: its tables,
/// strings and functions follow the contract. `export_plugin!`'s
/// `plugin_descriptor()` returns one; anything else needs the `unsafe`
/// [`Descriptor::new`], because the helpers follow the raw pointers inside.
#[derive(Clone, Copy)]
pub struct Descriptor<'a>(&'a GcPluginDescriptor);

impl<'a> Descriptor<'a> {
    /// Vouches for `d`.
    ///
    /// # Safety
    /// Every pointer in `d` (tables with their counts, strings with their
    /// lengths, functions) is valid as the contract says, for `'a`.
    pub const unsafe fn new(d: &'a GcPluginDescriptor) -> Self {
        Descriptor(d)
    }

    /// The descriptor itself.
    pub fn get(self) -> &'a GcPluginDescriptor {
        self.0
    }

    /// Looks up an indicator table by name.
    pub fn find_indicator(self, name: &str) -> Option<&'a GcIndicatorV1> {
        // SAFETY: `new`'s contract: the array holds `indicator_count` tables.
        let all = unsafe { slice(self.0.indicators, self.0.indicator_count) };
        // SAFETY: as above, names are valid strings.
        all.iter()
            .find(|t| unsafe { t.name.to_string_lossy() } == name)
    }

    /// Looks up a source table by name.
    pub fn find_source(self, name: &str) -> Option<&'a GcSourceV1> {
        // SAFETY: `new`'s contract: the array holds `source_count` tables.
        let all = unsafe { slice(self.0.sources, self.0.source_count) };
        // SAFETY: as above, names are valid strings.
        all.iter()
            .find(|t| unsafe { t.name.to_string_lossy() } == name)
    }

    /// Looks up a chart type table by name.
    pub fn find_chart_type(self, name: &str) -> Option<&'a GcChartTypeV1> {
        // SAFETY: `new`'s contract: the array holds `chart_type_count` tables.
        let all = unsafe { slice(self.0.chart_types, self.0.chart_type_count) };
        // SAFETY: as above, names are valid strings.
        all.iter()
            .find(|t| unsafe { t.name.to_string_lossy() } == name)
    }
}

impl std::ops::Deref for Descriptor<'_> {
    type Target = GcPluginDescriptor;
    fn deref(&self) -> &GcPluginDescriptor {
        self.0
    }
}

/// `ptr[..len]`, or empty for a null pointer.
///
/// # Safety
/// `ptr` is null or points to `len` values that outlive `'a`.
unsafe fn slice<'a, T>(ptr: *const T, len: usize) -> &'a [T] {
    if ptr.is_null() || len == 0 {
        &[]
    } else {
        // SAFETY: guaranteed by the caller.
        unsafe { std::slice::from_raw_parts(ptr, len) }
    }
}

/// Runs indicator `name` over `inputs` (all the same length) and returns its outputs.
pub fn run_indicator(
    d: Descriptor<'_>,
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
    d: Descriptor<'_>,
    name: &str,
    params_json: &str,
    inputs: &[&[f64]],
    lengths: &[usize],
    outputs: &mut Vec<Vec<f64>>,
) -> Result<(), PluginError> {
    let t = d
        .find_indicator(name)
        .ok_or_else(|| not_found("indicator", name))?;
    let mut state: *mut c_void = std::ptr::null_mut();
    let params = NulTerminated::new(params_json);
    // SAFETY: calling the plugin's own table per the contract.
    call(|e| unsafe { (t.create)(params.as_gc_str(), &mut state, e) })?;
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
    // A stateless indicator leaves the state null: nothing to free.
    if !state.is_null() {
        // SAFETY: state came from create.
        unsafe { (t.destroy)(state) };
    }
    result
}

/// Opens source `name` and reads all its rows, `chunk` rows at a time.
pub fn read_source(
    d: Descriptor<'_>,
    name: &str,
    params_json: &str,
    base_dir: &str,
    chunk: usize,
) -> Result<Table, PluginError> {
    read_source_in_range(d, name, params_json, base_dir, chunk, None)
}

/// As [`read_source`], but with `Some(range)` the source is opened through
/// its `open_range` (ABI 1.3) as a host does for `load = "view"`; a source
/// without `open_range` is then a `GC_ERR_UNSUPPORTED` error.
pub fn read_source_in_range(
    d: Descriptor<'_>,
    name: &str,
    params_json: &str,
    base_dir: &str,
    chunk: usize,
    range: Option<GcTimeRange>,
) -> Result<Table, PluginError> {
    let t = d
        .find_source(name)
        .ok_or_else(|| not_found("source", name))?;
    let mut state: *mut c_void = std::ptr::null_mut();
    let (params, base) = (
        NulTerminated::new(params_json),
        NulTerminated::new(base_dir),
    );
    match range {
        None => {
            // SAFETY: calling the plugin's own table per the contract.
            call(|e| unsafe { (t.open)(params.as_gc_str(), base.as_gc_str(), &mut state, e) })?
        }
        Some(range) => {
            let Some(open_range) = t.open_range else {
                return Err(PluginError::new(
                    GC_ERR_UNSUPPORTED,
                    format!("source `{name}` has no open_range (takes no range hint)"),
                ));
            };
            // SAFETY: as above; `range` outlives the call.
            call(|e| unsafe {
                open_range(params.as_gc_str(), base.as_gc_str(), &range, &mut state, e)
            })?
        }
    }
    let result = (|| {
        // SAFETY: state came from open.
        let ncols = unsafe { (t.column_count)(state) };
        let names: Vec<String> = (0..ncols)
            // SAFETY: state came from open; the name lives until close.
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

/// What [`borrow_source`] got from a source's `borrow` (ABI 1.2), copied
/// before the source was closed.
#[derive(Debug, Clone, PartialEq)]
pub struct Borrowed {
    /// The lent columns.
    pub table: Table,
    /// `GC_BORROW_*` bits.
    pub flags: u32,
    /// The content fingerprint (0: none).
    pub fingerprint: u64,
    /// The data file named, or empty.
    pub data_path: String,
    /// Whether every lent pointer was 8-byte aligned (the host requires it).
    pub aligned: bool,
}

/// Opens source `name` and calls its `borrow` as the host does; `Ok(None)`
/// when the source has no `borrow` or answers `GC_ERR_UNSUPPORTED`.
pub fn borrow_source(
    d: Descriptor<'_>,
    name: &str,
    params_json: &str,
    base_dir: &str,
) -> Result<Option<Borrowed>, PluginError> {
    let t = d
        .find_source(name)
        .ok_or_else(|| not_found("source", name))?;
    let Some(borrow) = t.borrow else {
        return Ok(None);
    };
    let mut state: *mut c_void = std::ptr::null_mut();
    let (params, base) = (
        NulTerminated::new(params_json),
        NulTerminated::new(base_dir),
    );
    // SAFETY: calling the plugin's own table per the contract.
    call(|e| unsafe { (t.open)(params.as_gc_str(), base.as_gc_str(), &mut state, e) })?;
    let result = (|| {
        // SAFETY: state came from open.
        let ncols = unsafe { (t.column_count)(state) };
        let names: Vec<String> = (0..ncols)
            // SAFETY: state came from open; the name lives until close.
            .map(|i| unsafe { (t.column_name)(state, i).to_string_lossy().into_owned() })
            .collect();
        let mut slots: Vec<*const f64> = vec![std::ptr::null(); ncols];
        let mut out = GcBorrowedTable {
            struct_size: BORROWED_TABLE_SIZE_V1_2 as u32,
            flags: 0,
            rows: 0,
            timestamps: std::ptr::null(),
            columns: slots.as_mut_ptr(),
            column_count: ncols,
            fingerprint: 0,
            data_path: GcStr::EMPTY,
        };
        // SAFETY: `out` is a table of our size with `ncols` slots.
        match call(|e| unsafe { borrow(state, &mut out, e) }) {
            Ok(()) => {}
            Err(e) if e.status == GC_ERR_UNSUPPORTED => return Ok(None),
            Err(e) => return Err(e),
        }
        let rows = out.rows;
        let aligned = (rows == 0 || out.timestamps.is_aligned())
            && slots.iter().all(|p| rows == 0 || p.is_aligned());
        let copy = |p: *const f64| -> Vec<f64> {
            if rows == 0 {
                return Vec::new();
            }
            // SAFETY: the contract: `rows` values valid until close.
            unsafe { std::slice::from_raw_parts(p, rows) }.to_vec()
        };
        let timestamps = if rows == 0 {
            Vec::new()
        } else {
            // SAFETY: as above.
            unsafe { std::slice::from_raw_parts(out.timestamps, rows) }.to_vec()
        };
        Ok(Some(Borrowed {
            table: Table {
                names,
                timestamps,
                columns: slots.iter().map(|&p| copy(p)).collect(),
            },
            flags: out.flags,
            fingerprint: out.fingerprint,
            // SAFETY: valid until close.
            data_path: unsafe { out.data_path.to_string_lossy() }.into_owned(),
            aligned,
        }))
    })();
    // SAFETY: state came from open.
    unsafe { (t.close)(state) };
    result
}

/// Calls chart type `name`'s `uniforms` with `params_json`.
pub fn chart_uniforms(
    d: Descriptor<'_>,
    name: &str,
    params_json: &str,
) -> Result<[f32; GC_USER_UNIFORM_FLOATS], PluginError> {
    let t = d
        .find_chart_type(name)
        .ok_or_else(|| not_found("chart type", name))?;
    let mut out = [0f32; GC_USER_UNIFORM_FLOATS];
    if let Some(f) = t.uniforms {
        let params = NulTerminated::new(params_json);
        // SAFETY: out holds 16 floats; params is valid for the call.
        call(|e| unsafe { f(params.as_gc_str(), out.as_mut_ptr(), e) })?;
    }
    Ok(out)
}

/// The WGSL the host compiles for chart type `name`: [`prelude_for`] its
/// input kind, then the chart type's own `wgsl`. Line 1 of the chart type's
/// WGSL is line `prelude.lines().count() + 1` of the result.
pub fn chart_source(d: Descriptor<'_>, name: &str) -> Result<String, PluginError> {
    let t = d
        .find_chart_type(name)
        .ok_or_else(|| not_found("chart type", name))?;
    let prelude = prelude_for(t.input).ok_or_else(|| unknown_input(name, t.input))?;
    // SAFETY: the table's strings point to the library's static data.
    let wgsl = unsafe { table_str(t.wgsl) }.map_err(|e| bad_table(name, "wgsl", e))?;
    Ok(format!("{prelude}{wgsl}"))
}

/// Looks up chart type `name` and checks its table as the host does when it
/// loads the library: `struct_size`, a known input kind, at least one vertex
/// per instance, no unknown `range_fields` bits or `flags`, UTF-8 strings and
/// a non-empty `params_schema` (the host also parses it as JSON, which this
/// dependency-free crate leaves to the plugin's own schema tests). The chart
/// type's own values (which input, how many vertices) are for its tests to
/// assert on the returned table.
pub fn check_chart_table<'a>(
    d: Descriptor<'a>,
    name: &str,
) -> Result<&'a GcChartTypeV1, PluginError> {
    let t = d
        .find_chart_type(name)
        .ok_or_else(|| not_found("chart type", name))?;
    let expected_size = std::mem::size_of::<GcChartTypeV1>();
    if t.struct_size as usize != expected_size {
        let found = t.struct_size;
        let what = format!("{found} bytes, expected {expected_size}");
        return Err(bad_table(name, "struct_size", what));
    }
    if prelude_for(t.input).is_none() {
        return Err(unknown_input(name, t.input));
    }
    if t.vertices_per_instance == 0 {
        return Err(bad_table(name, "vertices_per_instance", "0".into()));
    }
    let all_fields = GC_FIELD_OPEN
        | GC_FIELD_HIGH
        | GC_FIELD_LOW
        | GC_FIELD_CLOSE
        | GC_FIELD_VOLUME
        | GC_FIELD_VALUE;
    let all_draws = GC_DRAWS_PARAMS.iter().fold(0, |acc, (bit, _)| acc | bit);
    for (field, bits) in [
        ("range_fields", t.range_fields & !all_fields),
        ("flags", t.flags & !GC_CHART_INCLUDE_ZERO),
        ("draws", t.draws & !all_draws),
    ] {
        if bits != 0 {
            return Err(bad_table(
                name,
                field,
                format!("with unknown bits {bits:#x}"),
            ));
        }
    }
    for (field, s) in [
        ("description", t.description),
        ("params_schema", t.params_schema),
        ("wgsl", t.wgsl),
    ] {
        // SAFETY: the table's strings point to the library's static data.
        unsafe { table_str(s) }.map_err(|e| bad_table(name, field, e))?;
    }
    if t.params_schema.len == 0 {
        return Err(bad_table(
            name,
            "params_schema",
            "\"\" (it must be a JSON Schema)".into(),
        ));
    }
    Ok(t)
}

fn unknown_input(name: &str, input: u32) -> PluginError {
    bad_table(
        name,
        "input",
        format!(
            "{input}; expected GC_INPUT_BARS ({GC_INPUT_BARS}), GC_INPUT_LINE ({GC_INPUT_LINE}) or GC_INPUT_BAND ({GC_INPUT_BAND})"
        ),
    )
}

fn bad_table(name: &str, field: &str, what: String) -> PluginError {
    PluginError::new(
        GC_ERR_INTERNAL,
        format!("chart type `{name}` has {field} {what}"),
    )
}

/// A table string as UTF-8 (the host rejects anything else).
///
/// # Safety
/// `s` points to `len` bytes that outlive `'a`.
unsafe fn table_str<'a>(s: GcStr) -> Result<&'a str, String> {
    // SAFETY: guaranteed by the caller.
    let bytes = unsafe { slice(s.ptr, s.len) };
    std::str::from_utf8(bytes).map_err(|e| format!("that is not UTF-8 ({e})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: GcChartTypeV1 = GcChartTypeV1 {
        struct_size: std::mem::size_of::<GcChartTypeV1>() as u32,
        input: GC_INPUT_LINE,
        vertices_per_instance: 6,
        range_fields: GC_FIELD_VALUE,
        flags: GC_CHART_INCLUDE_ZERO,
        name: GcStr::lit("t"),
        description: GcStr::lit("a test chart type"),
        params_schema: GcStr::lit("{}"),
        wgsl: GcStr::lit("// plugin line 1\n"),
        uniforms: None,
        draws: 0,
    };

    /// Runs `f` on a descriptor whose only chart type is `table`.
    fn with_table<R>(table: GcChartTypeV1, f: impl FnOnce(Descriptor<'_>) -> R) -> R {
        let tables = [table];
        let d = GcPluginDescriptor {
            abi_version: ABI_VERSION,
            struct_size: std::mem::size_of::<GcPluginDescriptor>() as u32,
            name: GcStr::lit("p"),
            version: GcStr::lit("0"),
            description: GcStr::EMPTY,
            init: None,
            chart_types: tables.as_ptr(),
            chart_type_count: 1,
            indicators: std::ptr::null(),
            indicator_count: 0,
            sources: std::ptr::null(),
            source_count: 0,
            abi_minor_required: 0,
        };
        // SAFETY: every pointer in `d` is null or points to the locals above.
        f(unsafe { Descriptor::new(&d) })
    }

    #[test]
    fn each_input_kind_gets_the_common_prelude_then_its_own() {
        for (input, own) in [
            (GC_INPUT_BARS, "var<storage, read> bars: array<Bar>;"),
            (GC_INPUT_LINE, "var<storage, read> points: array<Point>;"),
            (GC_INPUT_BAND, "var<storage, read> band: array<Band>;"),
        ] {
            let p = prelude_for(input).unwrap_or_else(|| panic!("input {input}"));
            assert!(p.starts_with(PRELUDE_WGSL), "input {input}");
            let frame = p.find("var<uniform> frame: Frame;").expect("frame");
            let own_at = p.find(own).unwrap_or_else(|| panic!("{own}"));
            assert!(frame < own_at, "input {input}");
            assert!(p.ends_with('\n'), "input {input}");
        }
        assert_eq!(prelude_for(0), None);
        assert_eq!(prelude_for(4), None);
    }

    #[test]
    fn chart_source_puts_the_wgsl_right_after_the_prelude() {
        let src = with_table(GOOD, |d| chart_source(d, "t")).expect("source");
        let prelude = prelude_for(GC_INPUT_LINE).expect("line prelude");
        assert_eq!(
            src.strip_prefix(prelude.as_str()),
            Some("// plugin line 1\n")
        );
        let first = src.lines().nth(prelude.lines().count());
        assert_eq!(first, Some("// plugin line 1"));

        let e = with_table(GOOD, |d| chart_source(d, "u")).unwrap_err();
        assert_eq!(e.status, GC_ERR_PARAMS);
        assert_eq!(e.message, "the plugin provides no chart type named `u`");
        let bad = GcChartTypeV1 { input: 7, ..GOOD };
        let e = with_table(bad, |d| chart_source(d, "t")).unwrap_err();
        assert_eq!(e.status, GC_ERR_INTERNAL);
        assert_eq!(
            e.message,
            "chart type `t` has input 7; expected GC_INPUT_BARS (1), GC_INPUT_LINE (2) or GC_INPUT_BAND (3)"
        );
    }

    #[test]
    fn check_chart_table_names_the_bad_field() {
        let t = with_table(GOOD, |d| {
            check_chart_table(d, "t").map(|t| t.vertices_per_instance)
        });
        assert_eq!(t, Ok(6));
        let size = std::mem::size_of::<GcChartTypeV1>();
        let cases = [
            (
                GcChartTypeV1 { struct_size: 8, ..GOOD },
                format!("chart type `t` has struct_size 8 bytes, expected {size}"),
            ),
            (
                GcChartTypeV1 { input: 0, ..GOOD },
                "chart type `t` has input 0; expected GC_INPUT_BARS (1), GC_INPUT_LINE (2) or GC_INPUT_BAND (3)".into(),
            ),
            (
                GcChartTypeV1 { vertices_per_instance: 0, ..GOOD },
                "chart type `t` has vertices_per_instance 0".into(),
            ),
            (
                GcChartTypeV1 { range_fields: GC_FIELD_VALUE | 1 << 9, ..GOOD },
                "chart type `t` has range_fields with unknown bits 0x200".into(),
            ),
            (
                GcChartTypeV1 { flags: 1 << 1, ..GOOD },
                "chart type `t` has flags with unknown bits 0x2".into(),
            ),
            (
                GcChartTypeV1 { wgsl: GcStr { ptr: b"\xff".as_ptr(), len: 1 }, ..GOOD },
                "chart type `t` has wgsl that is not UTF-8 (invalid utf-8 sequence of 1 bytes from index 0)".into(),
            ),
            (
                GcChartTypeV1 { params_schema: GcStr::EMPTY, ..GOOD },
                "chart type `t` has params_schema \"\" (it must be a JSON Schema)".into(),
            ),
        ];
        for (table, message) in cases {
            let e = with_table(table, |d| check_chart_table(d, "t").map(|_| ())).unwrap_err();
            assert_eq!(e.status, GC_ERR_INTERNAL, "{message}");
            assert_eq!(e.message, message);
        }
    }
}
