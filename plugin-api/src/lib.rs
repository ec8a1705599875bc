//! The contract between the gpu-charts host and its plugin libraries (ABI 1.3).
//!
//! Everything that crosses the boundary is `#[repr(C)]`: function-pointer
//! tables, raw pointers with lengths and UTF-8 [`GcStr`] strings. No Rust trait
//! object, `String`, `Vec` or `Result` crosses it, so a plugin built by another
//! compiler (or written in C against `include/gpu_charts_plugin.h`) loads safely.
//!
//! A library exports one symbol, [`ENTRY_SYMBOL`], a function returning a
//! pointer to a static [`GcPluginDescriptor`]. The host reads its first field,
//! `abi_version`, before touching anything else.
//!
//! Rust authors do not write the tables by hand: they implement the safe
//! traits [`IndicatorPlugin`], [`SourcePlugin`] and [`ChartTypePlugin`] and call
//! [`export_plugin!`]. Every generated entry point runs inside
//! `catch_unwind`, so a panic becomes a [`GC_ERR_PANIC`] error for the host.
//!
//! # How the contract grows (ABI 1.x)
//! * [`ABI_VERSION`] (the major) changes only for a breaking change, together
//!   with a new entry symbol; the host refuses any other major.
//! * Within a major, tables grow **only by appending fields at their end**.
//!   Every table starts with `struct_size`, the size the plugin was built
//!   with. The host accepts any table at least as large as the 1.0 one
//!   ([`DESCRIPTOR_SIZE_V1_0`], [`CHART_TYPE_SIZE_V1_0`], ...) and treats the
//!   fields a smaller table lacks as absent (zero / null, documented per
//!   field); a table smaller than the 1.0 one is an error. It steps through
//!   arrays of tables by the plugin's `struct_size`, so a larger (newer)
//!   table lines up too.
//! * Each minor release adds one [`GcHostApi::features`] bit per addition
//!   and raises [`ABI_MINOR`]. A plugin reads [`GcHostApi::abi_minor`] and the
//!   feature bits (only if the host's `struct_size` covers them: a 1.0 host
//!   has neither) before using anything newer, or declares the minor it
//!   cannot do without in [`GcPluginDescriptor::abi_minor_required`]: an
//!   older host then refuses it with an error naming both versions instead
//!   of loading it half-working.
//! * A plugin built against 1.0 keeps loading in every 1.x host.
//!
//! # Borrowed columns (ABI 1.2)
//! A source whose data already sits in memory in the host's layout (a
//! memory-mapped Arrow file) lends it instead of copying it through `read`:
//! [`GcSourceV1::borrow`] fills a host-allocated [`GcBorrowedTable`] with
//! pointers to the timestamps and each value column, which stay valid until
//! `close`; the host keeps the source open (and its library loaded) while
//! any column it lent is in use. Flags say what the source already checked
//! (sorted, finite) and `data_path` / `fingerprint` identify the content,
//! so the host can keep its own derived data in a sidecar next to the file.
//! A null `borrow`, an older table, or `GC_ERR_UNSUPPORTED` means "read it".
//!
//! # Time-range hints (ABI 1.3)
//! A chart that shows a month of a ten-year file need not load ten years.
//! A source that can restrict what it loads (a Parquet file pruned by
//! row-group statistics, a database query with a `WHERE`) sets
//! [`GcSourceV1::open_range`]; a host with [`GC_FEATURE_RANGE_HINT`] then
//! opens it through that function with a [`GcTimeRange`] (inclusive UTC
//! nanosecond bounds, any margin already applied; `i64::MIN` / `i64::MAX`
//! for an open side) instead of `open`. The source must deliver every row
//! inside the range and may deliver rows outside it (whole blocks, a
//! bucket reaching over an edge); the host keeps what it gets. No rows in
//! the range is an error naming the source and the range, as an empty
//! file is. A null `open_range`, or an older (smaller) table, means the
//! source knows nothing of ranges: the host calls `open` and loads
//! everything, as before. The host asks for a range only when the chart
//! does (`load = "view"` on a source); otherwise it calls `open`.
//!
//! # Planned: streaming sources (a later 1.x, not in this version)
//! A source that produces data over time will be added by appending, with
//! nothing above changing:
//! * a feature bit (e.g. `GC_FEATURE_STREAMING`) and `abi_minor` 4;
//! * at the end of [`GcSourceV1`], an optional `subscribe` function taking the
//!   state and a host-owned `GcStreamSink` (context + `push` callback), and an
//!   `unsubscribe`; a null or absent `subscribe` means "a plain pull source";
//! * the plugin's own thread calls `push` with rows to append or a
//!   replace-last-bar update; the host copies them into a bounded queue and
//!   coalesces updates when it is full, so `push` never blocks for long;
//! * `read` keeps its meaning (the initial history), `close` first stops
//!   the stream; the header will say which thread calls what.
//!
//! # Threading contract (also in the C header)
//! * The descriptor and all tables are immutable and may be read from any thread.
//! * `init` is called once, before any other entry point.
//! * `create`/`open`/`uniforms` may be called concurrently from several threads.
//! * Calls on one state handle are never concurrent, but successive calls on a
//!   handle may come from different threads (state must be `Send`).
//! * The host's `log` callback may be called from any thread after `init`.
//!
//! # What the host guarantees to entry points
//! * `params_json` is a JSON object already validated against the item's
//!   `params_schema`, with the schema's `default`s filled in for absent
//!   properties. From ABI 1.1 ([`GC_FEATURE_NUL_TERMINATED`]) the byte after
//!   the last (`ptr[len]`) is a NUL, so C code may hand it to `strtod` and the
//!   like; `len` never counts it. The same holds for `base_dir`.
//! * Schemas are checked when the library loads: each must compile as a JSON
//!   Schema, and each property's `default` must satisfy its own `type`,
//!   `enum`, `minimum` and `maximum`; a chart type's WGSL must validate after
//!   the host prelude. A plugin breaking this does not load.
//! * An indicator without state may leave `*state_out` NULL in `create`
//!   ([`GC_FEATURE_STATELESS`]); `compute` then gets a NULL state and
//!   `destroy` is not called for it.
//!
//! # Memory contract
//! Whoever allocates frees. Output arrays (indicator outputs, source rows,
//! uniforms) are allocated by the host and passed in. Plugin state lives behind
//! an opaque handle that only the plugin frees (`destroy`/`close`). Strings a
//! plugin returns point into its static data or into its state and stay valid
//! until that state is freed; the host copies them. Error text is handed to
//! the host through [`GcErrorSink::report`] and copied during the call.
#![allow(unsafe_code)]

use std::ffi::c_void;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicPtr, Ordering};

pub mod testing;

/// The ABI (major) version this crate implements. The host refuses any other.
pub const ABI_VERSION: u32 = 1;

/// The ABI minor version this crate implements: 1.3. A host reports its own
/// in [`GcHostApi::abi_minor`]; see "How the contract grows" above.
pub const ABI_MINOR: u32 = 3;

/// Where the contract is written down for C authors, for messages.
pub const ABI_HEADER: &str = "gpu_charts_plugin.h";

/// Host feature bit ([`GcHostApi::features`], ABI 1.1): chart types may draw
/// from [`GC_INPUT_BAND`].
pub const GC_FEATURE_INPUT_BAND: u32 = 1 << 0;
/// Host feature bit (ABI 1.1): the host honours
/// [`GcPluginDescriptor::abi_minor_required`] and accepts tables of any size
/// from the 1.0 one up.
pub const GC_FEATURE_MINOR_REQUIRED: u32 = 1 << 1;
/// Host feature bit (ABI 1.1): `params_json` and `base_dir` are followed by a
/// NUL byte (`ptr[len] == 0`, not counted in `len`).
pub const GC_FEATURE_NUL_TERMINATED: u32 = 1 << 2;
/// Host feature bit (ABI 1.1): an indicator's `create` may leave
/// `*state_out` NULL (a stateless indicator).
pub const GC_FEATURE_STATELESS: u32 = 1 << 3;
/// Host feature bit (ABI 1.1): the host maps script plot styles to chart
/// types through [`GcChartTypeV1::draws`].
pub const GC_FEATURE_DRAWS: u32 = 1 << 4;
/// Host feature bit (ABI 1.2): the host calls [`GcSourceV1::borrow`] and
/// keeps a source open while it uses the columns the source lent it.
pub const GC_FEATURE_BORROW: u32 = 1 << 5;
/// Every feature bit of ABI 1.1.
pub const GC_FEATURES_V1_1: u32 = GC_FEATURE_INPUT_BAND
    | GC_FEATURE_MINOR_REQUIRED
    | GC_FEATURE_NUL_TERMINATED
    | GC_FEATURE_STATELESS
    | GC_FEATURE_DRAWS;
/// Host feature bit (ABI 1.3): the host may open a source through
/// [`GcSourceV1::open_range`] with the time range a chart needs.
pub const GC_FEATURE_RANGE_HINT: u32 = 1 << 6;
/// Every feature bit of ABI 1.2.
pub const GC_FEATURES_V1_2: u32 = GC_FEATURES_V1_1 | GC_FEATURE_BORROW;
/// Every feature bit of this ABI minor (1.3): what a host built with this crate sets.
pub const GC_FEATURES_V1_3: u32 = GC_FEATURES_V1_2 | GC_FEATURE_RANGE_HINT;

/// [`GcBorrowedTable::flags`] bit: the source checked that the timestamps
/// never decrease, so the host need not scan them again.
pub const GC_BORROW_SORTED: u32 = 1 << 0;
/// [`GcBorrowedTable::flags`] bit: the source checked that every value is
/// finite (no NaN, no infinity), so the host need not scan them again.
pub const GC_BORROW_FINITE: u32 = 1 << 1;

/// Name of the one symbol every plugin library exports (NUL-terminated for `dlsym`).
pub const ENTRY_SYMBOL: &[u8] = b"gpu_charts_plugin_entry\0";

/// Signature of the exported entry symbol.
pub type GcEntryFn = unsafe extern "C" fn() -> *const GcPluginDescriptor;

// ---------------------------------------------------------------------------
// Status codes
// ---------------------------------------------------------------------------

/// Status returned by fallible entry points. `GC_OK` is success; any other
/// value comes with a message reported through the [`GcErrorSink`].
pub type GcStatus = i32;
/// Success.
pub const GC_OK: GcStatus = 0;
/// The parameters were rejected (bad value, out of range).
pub const GC_ERR_PARAMS: GcStatus = 1;
/// The data was rejected (corrupt row, wrong column, too short input).
pub const GC_ERR_DATA: GcStatus = 2;
/// An I/O error (file missing, unreadable).
pub const GC_ERR_IO: GcStatus = 3;
/// The request is not supported by this plugin.
pub const GC_ERR_UNSUPPORTED: GcStatus = 4;
/// The plugin panicked; the export macro caught it.
pub const GC_ERR_PANIC: GcStatus = 5;
/// Any other failure inside the plugin.
pub const GC_ERR_INTERNAL: GcStatus = 6;

/// Log levels for [`GcHostApi::log`].
pub const GC_LOG_ERROR: u32 = 0;
/// Warning.
pub const GC_LOG_WARN: u32 = 1;
/// Information.
pub const GC_LOG_INFO: u32 = 2;
/// Debug detail.
pub const GC_LOG_DEBUG: u32 = 3;

/// What a chart type draws from: one instance per (aggregated) OHLCV bar.
pub const GC_INPUT_BARS: u32 = 1;
/// What a chart type draws from: one instance per min/max/first/last bucket of a line.
pub const GC_INPUT_LINE: u32 = 2;
/// What a chart type draws from: one instance per bucket with an upper and a
/// lower value (a filled band between two columns; see
/// [`PRELUDE_BAND_WGSL`]). An additive v1 extension: hosts that predate
/// it reject such a chart type at load with an "unknown input" error.
pub const GC_INPUT_BAND: u32 = 3;

/// Autoscale field flags ([`GcChartTypeV1::range_fields`]).
pub const GC_FIELD_OPEN: u32 = 1 << 0;
/// High.
pub const GC_FIELD_HIGH: u32 = 1 << 1;
/// Low.
pub const GC_FIELD_LOW: u32 = 1 << 2;
/// Close.
pub const GC_FIELD_CLOSE: u32 = 1 << 3;
/// Volume.
pub const GC_FIELD_VOLUME: u32 = 1 << 4;
/// The line value (min/max of each bucket).
pub const GC_FIELD_VALUE: u32 = 1 << 5;

/// Chart type flag: the value axis of its pane always includes zero (histograms).
pub const GC_CHART_INCLUDE_ZERO: u32 = 1 << 0;

/// What a chart type can draw for a script output ([`GcChartTypeV1::draws`],
/// ABI 1.1): a solid line. The host sets no params.
pub const GC_DRAWS_LINE: u32 = 1 << 0;
/// A line with a dash pattern: the host sets param `style` to `"dash"`,
/// `"dot"` or `"dashdot"`.
pub const GC_DRAWS_LINE_DASH: u32 = 1 << 1;
/// A histogram: the host sets param `color_by_sign` (boolean: bars above
/// zero in the up colour, below in the down colour, when true).
pub const GC_DRAWS_HISTOGRAM: u32 = 1 << 2;
/// Points. The host sets no params.
pub const GC_DRAWS_POINTS: u32 = 1 << 3;
/// Markers: the host sets params `shape` (`"triangle_up"`,
/// `"triangle_down"`, `"circle"` or `"diamond"`) and `size` (pixels).
pub const GC_DRAWS_MARKERS: u32 = 1 << 4;
/// A filled band between two outputs (the chart type draws from
/// [`GC_INPUT_BAND`]): the host sets param `opacity` (0..=1).
pub const GC_DRAWS_BAND: u32 = 1 << 5;
/// Every `GC_DRAWS_*` bit with the params the host sets for it (which the
/// chart type's params schema must declare).
pub const GC_DRAWS_PARAMS: [(u32, &[&str]); 6] = [
    (GC_DRAWS_LINE, &[]),
    (GC_DRAWS_LINE_DASH, &["style"]),
    (GC_DRAWS_HISTOGRAM, &["color_by_sign"]),
    (GC_DRAWS_POINTS, &[]),
    (GC_DRAWS_MARKERS, &["shape", "size"]),
    (GC_DRAWS_BAND, &["opacity"]),
];

/// Number of `f32` a chart type's `uniforms` fills (`frame.user` in WGSL: 4 × vec4).
pub const GC_USER_UNIFORM_FLOATS: usize = 16;

// ---------------------------------------------------------------------------
// WGSL prelude
// ---------------------------------------------------------------------------

/// The part of the host prelude every chart type gets: the `Frame` uniform
/// (`frame`, binding 0) and the helpers `clip_from_plot`, `rect_corner` and
/// `segment_corner`. Chart types are written against it, so it is part of the
/// contract; the host compiles exactly this text (see [`prelude_for`]).
pub const PRELUDE_WGSL: &str = include_str!("../wgsl/prelude.wgsl");
/// The prelude for [`GC_INPUT_BARS`]: struct `Bar` and `bars` (binding 1).
pub const PRELUDE_BARS_WGSL: &str = include_str!("../wgsl/prelude_bars.wgsl");
/// The prelude for [`GC_INPUT_LINE`]: struct `Point` and `points` (binding 1).
pub const PRELUDE_LINE_WGSL: &str = include_str!("../wgsl/prelude_line.wgsl");
/// The prelude for [`GC_INPUT_BAND`]: struct `Band` and `band` (binding 1).
pub const PRELUDE_BAND_WGSL: &str = include_str!("../wgsl/prelude_band.wgsl");

/// The whole prelude the host puts before a chart type's `wgsl` for input
/// kind `input` ([`PRELUDE_WGSL`], then the input's own part), or `None` for
/// an unknown kind. The chart type's WGSL follows it directly.
pub fn prelude_for(input: u32) -> Option<String> {
    let specific = match input {
        GC_INPUT_BARS => PRELUDE_BARS_WGSL,
        GC_INPUT_LINE => PRELUDE_LINE_WGSL,
        GC_INPUT_BAND => PRELUDE_BAND_WGSL,
        _ => return None,
    };
    Some(format!("{PRELUDE_WGSL}\n{specific}\n"))
}

// ---------------------------------------------------------------------------
// Strings and errors
// ---------------------------------------------------------------------------

/// A borrowed UTF-8 string: pointer and length in bytes, not NUL-terminated.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct GcStr {
    /// First byte (may be null when `len == 0`).
    pub ptr: *const u8,
    /// Length in bytes.
    pub len: usize,
}

impl GcStr {
    /// The empty string.
    pub const EMPTY: GcStr = GcStr {
        ptr: std::ptr::null(),
        len: 0,
    };

    /// Borrows a static string (usable in `const` context).
    pub const fn lit(s: &'static str) -> GcStr {
        GcStr {
            ptr: s.as_ptr(),
            len: s.len(),
        }
    }

    /// Borrows any string; the caller keeps it alive while the `GcStr` is used.
    #[allow(clippy::should_implement_trait)] // infallible, unlike FromStr
    pub fn from_str(s: &str) -> GcStr {
        GcStr {
            ptr: s.as_ptr(),
            len: s.len(),
        }
    }

    /// Views the bytes as a string, replacing invalid UTF-8.
    ///
    /// # Safety
    /// `ptr` must point to `len` readable bytes that outlive `'a`.
    pub unsafe fn to_string_lossy<'a>(&self) -> std::borrow::Cow<'a, str> {
        if self.ptr.is_null() || self.len == 0 {
            return std::borrow::Cow::Borrowed("");
        }
        // SAFETY: guaranteed by the caller.
        let bytes = unsafe { std::slice::from_raw_parts(self.ptr, self.len) };
        String::from_utf8_lossy(bytes)
    }
}

// SAFETY: a GcStr only ever borrows immutable, static or state-owned bytes.
unsafe impl Send for GcStr {}
// SAFETY: as above.
unsafe impl Sync for GcStr {}

/// Where a plugin reports an error: call `report` once, then return non-`GC_OK`.
/// The host copies both strings during the call.
#[repr(C)]
pub struct GcErrorSink {
    /// Host context, passed back unchanged.
    pub ctx: *mut c_void,
    /// Records the message and an optional help line ("what to do next").
    pub report: unsafe extern "C" fn(ctx: *mut c_void, message: GcStr, help: GcStr),
}

/// Callbacks the host offers to plugins, handed over once in `init`.
#[repr(C)]
pub struct GcHostApi {
    /// ABI version of the host (equal to the plugin's, or `init` is never called).
    pub abi_version: u32,
    /// `size_of::<GcHostApi>()` of the host; later versions only append fields.
    pub struct_size: u32,
    /// Host context for the callbacks.
    pub ctx: *mut c_void,
    /// Writes a line to the host's log, attributed to the plugin. Debug and
    /// info lines are shown only when the user asks for them (`-v`,
    /// `GPU_CHARTS_LOG`); warnings and errors always.
    pub log: unsafe extern "C" fn(ctx: *mut c_void, level: u32, message: GcStr),
    /// ABI 1.1: the host's minor version ([`ABI_MINOR`] of the crate it was
    /// built with). Absent (the host is 1.0) when `struct_size` does not
    /// cover it; [`host_abi_minor`] reads it safely.
    pub abi_minor: u32,
    /// ABI 1.1: `GC_FEATURE_*` bits of what the host supports. Absent (no
    /// bits) when `struct_size` does not cover it; see [`host_features`].
    pub features: u32,
}

/// `size_of::<GcHostApi>()` of a 1.0 host: everything before `abi_minor`.
pub const HOST_API_SIZE_V1_0: usize = std::mem::offset_of!(GcHostApi, abi_minor);

// ---------------------------------------------------------------------------
// Tables
// ---------------------------------------------------------------------------

/// What one library provides. Returned by the entry symbol; must stay valid
/// for as long as the library is loaded.
#[repr(C)]
pub struct GcPluginDescriptor {
    /// Must be [`ABI_VERSION`]. First field, read before anything else.
    pub abi_version: u32,
    /// `size_of::<GcPluginDescriptor>()` as the plugin was built.
    pub struct_size: u32,
    /// Plugin (library) name, e.g. `"sma"`.
    pub name: GcStr,
    /// Plugin version, e.g. `"0.1.0"`.
    pub version: GcStr,
    /// One line saying what the plugin is.
    pub description: GcStr,
    /// Called once after the version check with the host's callbacks (may be null).
    pub init: Option<unsafe extern "C" fn(host: *const GcHostApi)>,
    /// Chart types provided.
    pub chart_types: *const GcChartTypeV1,
    /// Number of chart types.
    pub chart_type_count: usize,
    /// Indicators provided.
    pub indicators: *const GcIndicatorV1,
    /// Number of indicators.
    pub indicator_count: usize,
    /// Data sources provided.
    pub sources: *const GcSourceV1,
    /// Number of data sources.
    pub source_count: usize,
    /// ABI 1.1: the lowest host minor version this plugin works with (0 when
    /// it works with every 1.x host). A host with a lower [`ABI_MINOR`]
    /// refuses the plugin with an error naming both versions. Absent (0) in
    /// a descriptor of the 1.0 size.
    pub abi_minor_required: u32,
}

/// The size of a 1.0 [`GcPluginDescriptor`] (everything before
/// `abi_minor_required`): the smallest the host accepts.
pub const DESCRIPTOR_SIZE_V1_0: usize =
    std::mem::offset_of!(GcPluginDescriptor, abi_minor_required);
/// The size of a 1.0 [`GcChartTypeV1`] (everything before `draws`): the
/// smallest the host accepts.
pub const CHART_TYPE_SIZE_V1_0: usize = std::mem::offset_of!(GcChartTypeV1, draws);
/// The size of a 1.0 [`GcIndicatorV1`]: the smallest the host accepts.
pub const INDICATOR_SIZE_V1_0: usize = std::mem::size_of::<GcIndicatorV1>();
/// The size of a 1.0 (and 1.1) [`GcSourceV1`] (everything before
/// `borrow`): the smallest the host accepts.
pub const SOURCE_SIZE_V1_0: usize = std::mem::offset_of!(GcSourceV1, borrow);
/// The size of a 1.2 [`GcSourceV1`] (everything before `open_range`).
pub const SOURCE_SIZE_V1_2: usize = std::mem::offset_of!(GcSourceV1, open_range);
/// The size of a [`GcTimeRange`] as ABI 1.3 (its first version) defines it:
/// the smallest a host passes.
pub const TIME_RANGE_SIZE_V1_3: usize = std::mem::size_of::<GcTimeRange>();
/// The size of a [`GcBorrowedTable`] as ABI 1.2 (its first version) defines it:
/// the smallest a host passes.
pub const BORROWED_TABLE_SIZE_V1_2: usize = std::mem::size_of::<GcBorrowedTable>();

/// A chart type: WGSL plus a declaration of what it draws from.
///
/// The host prepends its prelude (the `Frame` uniform, the `Bar`, `Point` or
/// `Band` storage array, and helpers; see [`prelude_for`]) to `wgsl`,
/// validates the result with naga, and draws `vertices_per_instance` vertices
/// for each instance with entry points `vs_main` and `fs_main`.
#[repr(C)]
pub struct GcChartTypeV1 {
    /// `size_of::<GcChartTypeV1>()`.
    pub struct_size: u32,
    /// [`GC_INPUT_BARS`], [`GC_INPUT_LINE`] or [`GC_INPUT_BAND`].
    pub input: u32,
    /// Vertices drawn per instance.
    pub vertices_per_instance: u32,
    /// Which fields set the pane's value range (`GC_FIELD_*` bits).
    pub range_fields: u32,
    /// `GC_CHART_*` flags.
    pub flags: u32,
    /// Name used in chart files (`type = "candlestick"`).
    pub name: GcStr,
    /// One line for `gpu-charts plugins`.
    pub description: GcStr,
    /// JSON Schema of the series' `params` table.
    pub params_schema: GcStr,
    /// WGSL source (vertex `vs_main`, fragment `fs_main`).
    pub wgsl: GcStr,
    /// Turns validated params (JSON) into `frame.user` (16 floats). May be null.
    pub uniforms: Option<
        unsafe extern "C" fn(
            params_json: GcStr,
            out: *mut f32,
            err: *const GcErrorSink,
        ) -> GcStatus,
    >,
    /// ABI 1.1: `GC_DRAWS_*` bits, the script plot styles this chart type
    /// can draw; the host picks a chart type for a script output through
    /// them (the first loaded that declares the style) and sets the params
    /// each bit names. Absent (0: draws no script output) in a table of the
    /// 1.0 size.
    pub draws: u32,
}

/// An indicator: columns in, columns out.
#[repr(C)]
pub struct GcIndicatorV1 {
    /// `size_of::<GcIndicatorV1>()`.
    pub struct_size: u32,
    /// Name used in chart files (`kind = "sma"`).
    pub name: GcStr,
    /// One line for `gpu-charts plugins`.
    pub description: GcStr,
    /// JSON Schema of the indicator's `params` table.
    pub params_schema: GcStr,
    /// Names of the input roles, in order (e.g. `["source"]`, `["high","low","close"]`).
    pub inputs: *const GcStr,
    /// Number of inputs.
    pub input_count: usize,
    /// Names of the output columns, in order (e.g. `["value"]`).
    pub outputs: *const GcStr,
    /// Number of outputs.
    pub output_count: usize,
    /// Creates state from validated params (a JSON object with the schema's
    /// defaults filled in). A stateless indicator may leave `*state_out`
    /// null ([`GC_FEATURE_STATELESS`]): `compute` then gets a null state and
    /// `destroy` is not called.
    pub create: unsafe extern "C" fn(
        params_json: GcStr,
        state_out: *mut *mut c_void,
        err: *const GcErrorSink,
    ) -> GcStatus,
    /// Computes rows `from..len` of every output.
    ///
    /// `inputs[k]` and `outputs[k]` point to `len` values. Rows `..from` of
    /// the outputs hold what the previous call on this state wrote for the
    /// same input prefix (so a stateful indicator can continue bar by bar);
    /// the first call has `from == 0`. The host pre-fills rows `from..` with
    /// NaN; NaN means "no value" (e.g. before the lookback is filled).
    pub compute: unsafe extern "C" fn(
        state: *mut c_void,
        inputs: *const *const f64,
        input_count: usize,
        outputs: *const *mut f64,
        output_count: usize,
        len: usize,
        from: usize,
        err: *const GcErrorSink,
    ) -> GcStatus,
    /// Frees the state (never called with a null state).
    pub destroy: unsafe extern "C" fn(state: *mut c_void),
}

/// A data source: a table of `i64` UTC nanosecond timestamps and `f64` columns.
///
/// The host pulls rows in chunks with `read` until it returns zero rows.
/// (A streaming source will later return zero "for now" and more rows on a
/// later call; v1 hosts read until the first zero.)
#[repr(C)]
pub struct GcSourceV1 {
    /// `size_of::<GcSourceV1>()`.
    pub struct_size: u32,
    /// Name used in chart files (`kind = "csv"`).
    pub name: GcStr,
    /// One line for `gpu-charts plugins`.
    pub description: GcStr,
    /// JSON Schema of the source's params table.
    pub params_schema: GcStr,
    /// Opens the source. `base_dir` is the chart file's folder: relative
    /// paths in params resolve against it.
    pub open: unsafe extern "C" fn(
        params_json: GcStr,
        base_dir: GcStr,
        state_out: *mut *mut c_void,
        err: *const GcErrorSink,
    ) -> GcStatus,
    /// Number of value columns (timestamps not counted).
    pub column_count: unsafe extern "C" fn(state: *mut c_void) -> usize,
    /// Name of value column `index` (valid until `close`).
    pub column_name: unsafe extern "C" fn(state: *mut c_void, index: usize) -> GcStr,
    /// Expected number of rows, or -1 if unknown (for preallocation only).
    pub row_count_hint: unsafe extern "C" fn(state: *mut c_void) -> i64,
    /// Writes up to `capacity` rows: `timestamps[0..n]` and `columns[c][0..n]`
    /// for every column `c < column_count`; stores `n` in `rows_out`.
    pub read: unsafe extern "C" fn(
        state: *mut c_void,
        timestamps: *mut i64,
        columns: *const *mut f64,
        column_count: usize,
        capacity: usize,
        rows_out: *mut usize,
        err: *const GcErrorSink,
    ) -> GcStatus,
    /// Frees the state. Columns the source lent through `borrow` are
    /// released here, not before.
    pub close: unsafe extern "C" fn(state: *mut c_void),
    /// ABI 1.2 ([`GC_FEATURE_BORROW`]): lends every column instead of
    /// copying it through `read`. May be null; absent (null) in a table of
    /// the 1.0 size.
    ///
    /// The host calls it at most once per state, right after `open` (and
    /// `column_count`/`column_name`), instead of `read`; it fills the
    /// fields of `*out` its `struct_size` (set by the host) covers. On
    /// `GC_OK` the pointers must stay valid and their contents unchanged
    /// until `close`: the host keeps the state open for as long as it uses
    /// them, and never calls `read` on it. `GC_ERR_UNSUPPORTED` (with or
    /// without a message) means "not this time": the host falls back to
    /// `read`, as it does for a null `borrow`. Any other status is an
    /// error, reported as for `read`.
    pub borrow: Option<
        unsafe extern "C" fn(
            state: *mut c_void,
            out: *mut GcBorrowedTable,
            err: *const GcErrorSink,
        ) -> GcStatus,
    >,
    /// ABI 1.3 ([`GC_FEATURE_RANGE_HINT`]): opens the source for the rows
    /// of `*range` only. May be null; absent (null) in a table of a 1.0 to
    /// 1.2 size. Non-null means "I honour range hints".
    ///
    /// The host calls it instead of `open` (never both for one state) when
    /// the chart asks for a range (`load = "view"`); otherwise it calls
    /// `open`. `range` points to a host-owned [`GcTimeRange`] valid for the
    /// call; read only the fields its `struct_size` covers. Every row with
    /// `from_ns <= t <= to_ns` must then come out of `read` (or `borrow`);
    /// rows outside may too (the host keeps them). A range holding no row
    /// is an error (`GC_ERR_DATA`) naming the data and the range. The
    /// other arguments and the rest of the state's life are as for `open`.
    pub open_range: Option<
        unsafe extern "C" fn(
            params_json: GcStr,
            base_dir: GcStr,
            range: *const GcTimeRange,
            state_out: *mut *mut c_void,
            err: *const GcErrorSink,
        ) -> GcStatus,
    >,
}

/// ABI 1.3: the time range a host asks a source for
/// ([`GcSourceV1::open_range`]): what a chart shows, widened by its margin.
///
/// Both bounds are inclusive UTC nanoseconds since the Unix epoch; an open
/// side is `i64::MIN` (from) or `i64::MAX` (to). `from_ns <= to_ns` always.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GcTimeRange {
    /// `size_of::<GcTimeRange>()` of the host; later versions append fields
    /// and a plugin reads only those this size covers.
    pub struct_size: u32,
    /// Reserved: 0 in ABI 1.3 (a later version may define bits; a plugin
    /// ignores bits it does not know).
    pub flags: u32,
    /// First time wanted (inclusive), or `i64::MIN` for "from the start".
    pub from_ns: i64,
    /// Last time wanted (inclusive), or `i64::MAX` for "to the end".
    pub to_ns: i64,
}

impl GcTimeRange {
    /// The whole time axis (both sides open).
    pub const ALL: GcTimeRange = GcTimeRange::new(i64::MIN, i64::MAX);

    /// A range of this ABI's size from `from_ns` to `to_ns` (inclusive).
    pub const fn new(from_ns: i64, to_ns: i64) -> GcTimeRange {
        GcTimeRange {
            struct_size: std::mem::size_of::<GcTimeRange>() as u32,
            flags: 0,
            from_ns,
            to_ns,
        }
    }
}

/// ABI 1.2: the columns a source lends to the host ([`GcSourceV1::borrow`]).
///
/// The host allocates it (zeroed, `struct_size` set, `columns` pointing to
/// `column_count` null slots) and the plugin fills it. Every pointer must
/// be non-null (unless `rows` is 0) and aligned for its type (8 bytes);
/// the host checks both and rejects the table otherwise.
///
/// The validation flags and the fingerprint are claims the host may rely
/// on to skip work: a source sets [`GC_BORROW_SORTED`] or
/// [`GC_BORROW_FINITE`] only after checking every row itself. A source that
/// reads a file names it in `data_path`, so the host can keep derived data
/// (the level-of-detail pyramid, its own validation results) in a sidecar
/// checked against that file.
#[repr(C)]
#[derive(Debug)]
pub struct GcBorrowedTable {
    /// `size_of::<GcBorrowedTable>()` of the host; later versions append
    /// fields and a plugin writes only those this size covers.
    pub struct_size: u32,
    /// `GC_BORROW_*` bits: what the source has already checked.
    pub flags: u32,
    /// Number of rows of every column.
    pub rows: usize,
    /// `rows` ascending UTC nanosecond timestamps.
    pub timestamps: *const i64,
    /// Host-owned array of `column_count` slots: the plugin stores in slot
    /// `c` a pointer to `rows` values of value column `c`.
    pub columns: *mut *const f64,
    /// Number of slots in `columns` (the source's `column_count`).
    pub column_count: usize,
    /// A fingerprint of the content (any 64-bit hash the source can get
    /// cheaply, e.g. of a file's footer), or 0 when it has none. Two opens
    /// with equal nonzero fingerprints and `data_path` see the same data.
    pub fingerprint: u64,
    /// The file the columns come from (UTF-8, absolute or relative to the
    /// chart's folder; valid until `close`), or empty when none.
    pub data_path: GcStr,
}

// ---------------------------------------------------------------------------
// Safe Rust side
// ---------------------------------------------------------------------------

/// An error a Rust plugin returns; becomes a status + message + help for the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginError {
    /// One of the `GC_ERR_*` codes.
    pub status: GcStatus,
    /// What went wrong.
    pub message: String,
    /// What the user should do next (may be empty).
    pub help: String,
}

impl PluginError {
    /// An error with the given status and message.
    pub fn new(status: GcStatus, message: impl Into<String>) -> Self {
        PluginError {
            status,
            message: message.into(),
            help: String::new(),
        }
    }
    /// Bad parameters.
    pub fn params(message: impl Into<String>) -> Self {
        Self::new(GC_ERR_PARAMS, message)
    }
    /// Bad data.
    pub fn data(message: impl Into<String>) -> Self {
        Self::new(GC_ERR_DATA, message)
    }
    /// I/O failure.
    pub fn io(message: impl Into<String>) -> Self {
        Self::new(GC_ERR_IO, message)
    }
    /// Adds a help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = help.into();
        self
    }
}

impl std::fmt::Display for PluginError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)?;
        if !self.help.is_empty() {
            write!(f, " (help: {})", self.help)?;
        }
        Ok(())
    }
}

impl std::error::Error for PluginError {}

/// An indicator written in safe Rust. Export it with [`export_plugin!`].
pub trait IndicatorPlugin: Sized + Send + 'static {
    /// Name used in chart files.
    const NAME: &'static str;
    /// One line for `gpu-charts plugins`.
    const DESCRIPTION: &'static str;
    /// JSON Schema of the params table.
    const PARAMS_SCHEMA: &'static str;
    /// Input roles, e.g. `&[GcStr::lit("source")]`.
    const INPUTS: &'static [GcStr];
    /// Output column names, e.g. `&[GcStr::lit("value")]`.
    const OUTPUTS: &'static [GcStr];
    /// Builds the indicator from its (already schema-validated) params JSON.
    fn create(params_json: &str) -> Result<Self, PluginError>;
    /// Fills rows `from..` of every output (see [`GcIndicatorV1::compute`]).
    fn compute(
        &mut self,
        inputs: &[&[f64]],
        outputs: &mut [&mut [f64]],
        from: usize,
    ) -> Result<(), PluginError>;
}

/// A data source written in safe Rust. Export it with [`export_plugin!`].
pub trait SourcePlugin: Sized + Send + 'static {
    /// Name used in chart files.
    const NAME: &'static str;
    /// One line for `gpu-charts plugins`.
    const DESCRIPTION: &'static str;
    /// JSON Schema of the params table.
    const PARAMS_SCHEMA: &'static str;
    /// Opens the source; relative paths resolve against `base_dir`.
    fn open(params_json: &str, base_dir: &str) -> Result<Self, PluginError>;
    /// ABI 1.3: whether this source honours time-range hints. When true,
    /// the export macro sets [`GcSourceV1::open_range`] and the host may
    /// open it through [`open_range`](Self::open_range); when false (the
    /// default) the table has no `open_range` and the host always loads
    /// everything through [`open`](Self::open).
    const RANGE_HINT: bool = false;
    /// ABI 1.3: opens the source for the rows with `range.from_ns <= t <=
    /// range.to_ns` (see [`GcSourceV1::open_range`]): every such row must be
    /// delivered, rows outside may be. Called only when
    /// [`RANGE_HINT`](Self::RANGE_HINT) is true. The default ignores the
    /// range and opens everything.
    fn open_range(
        params_json: &str,
        base_dir: &str,
        range: GcTimeRange,
    ) -> Result<Self, PluginError> {
        let _ = range;
        Self::open(params_json, base_dir)
    }
    /// Names of the value columns.
    fn column_names(&self) -> &[String];
    /// Expected number of rows, if known.
    fn row_count_hint(&self) -> Option<u64> {
        None
    }
    /// Fills up to `timestamps.len()` rows; returns how many (0 = no more).
    fn read(
        &mut self,
        timestamps: &mut [i64],
        columns: &mut [&mut [f64]],
    ) -> Result<usize, PluginError>;
    /// ABI 1.2: lends every column to the host instead of copying it
    /// ([`GcSourceV1::borrow`]), or `Ok(None)` to be read through
    /// [`read`](Self::read) (the default). The slices must point to memory
    /// the source owns (its heap or a memory map) and stay unchanged until
    /// it is dropped; the host calls neither `read` nor `borrow` again.
    fn borrow(&self) -> Result<Option<Lent<'_>>, PluginError> {
        Ok(None)
    }
}

/// Columns a Rust source lends to the host ([`SourcePlugin::borrow`]).
#[derive(Debug, Clone, Default)]
pub struct Lent<'a> {
    /// Ascending UTC nanosecond timestamps.
    pub timestamps: &'a [i64],
    /// One slice per value column, in [`SourcePlugin::column_names`] order,
    /// each as long as `timestamps`.
    pub columns: Vec<&'a [f64]>,
    /// The source checked every timestamp is `>=` the one before it
    /// ([`GC_BORROW_SORTED`]).
    pub sorted: bool,
    /// The source checked every value is finite ([`GC_BORROW_FINITE`]).
    pub finite: bool,
    /// A content fingerprint, or 0 ([`GcBorrowedTable::fingerprint`]).
    pub fingerprint: u64,
    /// The file the columns come from, or empty ([`GcBorrowedTable::data_path`]).
    pub data_path: &'a str,
}

/// A chart type written in Rust: WGSL plus what it draws from.
pub trait ChartTypePlugin: 'static {
    /// Name used in chart files.
    const NAME: &'static str;
    /// One line for `gpu-charts plugins`.
    const DESCRIPTION: &'static str;
    /// JSON Schema of the series' params table.
    const PARAMS_SCHEMA: &'static str;
    /// WGSL with `vs_main` and `fs_main`, written against the host prelude
    /// ([`prelude_for`] of [`Self::INPUT`]).
    const WGSL: &'static str;
    /// [`GC_INPUT_BARS`] or [`GC_INPUT_LINE`].
    const INPUT: u32;
    /// Vertices per instance.
    const VERTICES_PER_INSTANCE: u32;
    /// `GC_FIELD_*` bits that set the value range.
    const RANGE_FIELDS: u32;
    /// `GC_CHART_*` flags.
    const FLAGS: u32 = 0;
    /// `GC_DRAWS_*` bits: the script plot styles it can draw (default none).
    const DRAWS: u32 = 0;
    /// Fills `frame.user` from params. Default: all zeros.
    fn uniforms(
        _params_json: &str,
        _out: &mut [f32; GC_USER_UNIFORM_FLOATS],
    ) -> Result<(), PluginError> {
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Host callbacks as seen from the plugin
// ---------------------------------------------------------------------------

static HOST: AtomicPtr<GcHostApi> = AtomicPtr::new(std::ptr::null_mut());

/// Stores the host's callbacks (called by the generated `init`).
///
/// # Safety
/// `host` is null or points to a [`GcHostApi`] of at least
/// [`HOST_API_SIZE_V1_0`] bytes (as its `struct_size` says) that stays valid
/// and unchanged for as long as this library is loaded: what the host passes
/// to `init`.
#[doc(hidden)]
pub unsafe fn __set_host(host: *const GcHostApi) {
    HOST.store(host as *mut GcHostApi, Ordering::Release);
}

/// The host table stored by `init`, if any.
fn host() -> Option<&'static GcHostApi> {
    let host = HOST.load(Ordering::Acquire);
    // SAFETY: only `__set_host` stores here, and its contract makes the
    // pointer null or valid for as long as the library is loaded.
    unsafe { host.as_ref() }
}

/// Whether the host's table is large enough to hold the field ending at `end`.
fn host_has(host: &GcHostApi, end: usize) -> bool {
    host.struct_size as usize >= end
}

/// The host's ABI minor version: `Some(0)` for a 1.0 host, `None` before
/// `init` (and in unit tests, where no host is attached).
pub fn host_abi_minor() -> Option<u32> {
    let host = host()?;
    let end = std::mem::offset_of!(GcHostApi, abi_minor) + 4;
    Some(if host_has(host, end) {
        host.abi_minor
    } else {
        0
    })
}

/// The host's `GC_FEATURE_*` bits (none for a 1.0 host or before `init`).
pub fn host_features() -> u32 {
    match host() {
        Some(host) if host_has(host, std::mem::offset_of!(GcHostApi, features) + 4) => {
            host.features
        }
        _ => 0,
    }
}

/// Writes a line to the host's log (no-op before `init` or in unit tests).
pub fn log(level: u32, message: &str) {
    let Some(host) = host() else {
        return;
    };
    // SAFETY: the host's `log` takes its own `ctx` and a string valid for the call.
    unsafe { (host.log)(host.ctx, level, GcStr::from_str(message)) };
}

// ---------------------------------------------------------------------------
// FFI glue used by `export_plugin!` (public so the macro can name it)
// ---------------------------------------------------------------------------

/// Lets the export macro put a plugin's tables in a `static`: they hold raw
/// pointers, which are not `Sync`. Only the four table types (and arrays of
/// them) are made `Sync`, not any `T`.
#[doc(hidden)]
#[repr(transparent)]
pub struct SyncTable<T>(pub T);
// SAFETY: a descriptor only holds pointers to immutable 'static tables and
// strings and to `extern "C"` functions that the threading contract lets any
// thread call; safe code cannot dereference any of them.
unsafe impl Sync for SyncTable<GcPluginDescriptor> {}
// SAFETY: as above; chart-type tables point to 'static strings and functions.
unsafe impl<const N: usize> Sync for SyncTable<[GcChartTypeV1; N]> {}
// SAFETY: as above; indicator tables point to 'static string arrays and functions.
unsafe impl<const N: usize> Sync for SyncTable<[GcIndicatorV1; N]> {}
// SAFETY: as above; source tables point to 'static strings and functions.
unsafe impl<const N: usize> Sync for SyncTable<[GcSourceV1; N]> {}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic payload".to_string()
    }
}

/// Reports `e` through `err` (if non-null) and returns its status.
unsafe fn report(err: *const GcErrorSink, e: &PluginError) -> GcStatus {
    if !err.is_null() {
        // SAFETY: the host passes a valid sink for the duration of the call.
        unsafe {
            let sink = &*err;
            (sink.report)(
                sink.ctx,
                GcStr::from_str(&e.message),
                GcStr::from_str(&e.help),
            );
        }
    }
    if e.status == GC_OK {
        GC_ERR_INTERNAL
    } else {
        e.status
    }
}

/// Runs `f`, turning an `Err` or a panic into a reported status.
unsafe fn guarded(
    err: *const GcErrorSink,
    f: impl FnOnce() -> Result<(), PluginError>,
) -> GcStatus {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => GC_OK,
        // SAFETY: err is valid for this call.
        Ok(Err(e)) => unsafe { report(err, &e) },
        Err(payload) => {
            let e = PluginError::new(
                GC_ERR_PANIC,
                format!("plugin panicked: {}", panic_message(&*payload)),
            )
            .with_help("this is a bug in the plugin; report it to its author");
            // SAFETY: err is valid for this call.
            unsafe { report(err, &e) }
        }
    }
}

unsafe fn str_arg<'a>(s: GcStr) -> Result<&'a str, PluginError> {
    if s.ptr.is_null() || s.len == 0 {
        return Ok("");
    }
    // SAFETY: the host passes `len` readable bytes valid for the call.
    let bytes = unsafe { std::slice::from_raw_parts(s.ptr, s.len) };
    std::str::from_utf8(bytes)
        .map_err(|e| PluginError::params(format!("argument is not UTF-8: {e}")))
}

/// Generic FFI shims for indicators.
#[doc(hidden)]
pub mod ffi_indicator {
    use super::*;

    /// `create` shim.
    pub unsafe extern "C" fn create<T: IndicatorPlugin>(
        params_json: GcStr,
        state_out: *mut *mut c_void,
        err: *const GcErrorSink,
    ) -> GcStatus {
        // SAFETY: pointers come from the host per the contract.
        unsafe {
            guarded(err, || {
                let params = str_arg(params_json)?;
                let state = Box::new(T::create(params)?);
                *state_out = Box::into_raw(state) as *mut c_void;
                Ok(())
            })
        }
    }

    /// `compute` shim.
    #[allow(clippy::too_many_arguments)]
    pub unsafe extern "C" fn compute<T: IndicatorPlugin>(
        state: *mut c_void,
        inputs: *const *const f64,
        input_count: usize,
        outputs: *const *mut f64,
        output_count: usize,
        len: usize,
        from: usize,
        err: *const GcErrorSink,
    ) -> GcStatus {
        // SAFETY: the host passes `input_count`/`output_count` arrays of `len` values.
        unsafe {
            guarded(err, || {
                if state.is_null() {
                    return Err(PluginError::new(GC_ERR_INTERNAL, "null indicator state"));
                }
                if input_count != T::INPUTS.len() || output_count != T::OUTPUTS.len() {
                    return Err(PluginError::new(
                        GC_ERR_INTERNAL,
                        format!(
                            "expected {} inputs and {} outputs, got {input_count} and {output_count}",
                            T::INPUTS.len(),
                            T::OUTPUTS.len()
                        ),
                    ));
                }
                if from > len {
                    return Err(PluginError::new(
                        GC_ERR_INTERNAL,
                        format!("from {from} > len {len}"),
                    ));
                }
                let ins: Vec<&[f64]> = (0..input_count)
                    .map(|k| std::slice::from_raw_parts(*inputs.add(k), len))
                    .collect();
                let mut outs: Vec<&mut [f64]> = (0..output_count)
                    .map(|k| std::slice::from_raw_parts_mut(*outputs.add(k), len))
                    .collect();
                let this = &mut *(state as *mut T);
                this.compute(&ins, &mut outs, from)
            })
        }
    }

    /// `destroy` shim.
    pub unsafe extern "C" fn destroy<T: IndicatorPlugin>(state: *mut c_void) {
        if state.is_null() {
            return;
        }
        // A panicking Drop must not unwind into the host.
        let _ = catch_unwind(AssertUnwindSafe(|| {
            // SAFETY: created by `create::<T>` via Box::into_raw.
            drop(unsafe { Box::from_raw(state as *mut T) });
        }));
    }

    /// The table for `T`.
    pub const fn table<T: IndicatorPlugin>() -> GcIndicatorV1 {
        GcIndicatorV1 {
            struct_size: std::mem::size_of::<GcIndicatorV1>() as u32,
            name: GcStr::lit(T::NAME),
            description: GcStr::lit(T::DESCRIPTION),
            params_schema: GcStr::lit(T::PARAMS_SCHEMA),
            inputs: T::INPUTS.as_ptr(),
            input_count: T::INPUTS.len(),
            outputs: T::OUTPUTS.as_ptr(),
            output_count: T::OUTPUTS.len(),
            create: create::<T>,
            compute: compute::<T>,
            destroy: destroy::<T>,
        }
    }
}

/// Generic FFI shims for sources.
#[doc(hidden)]
pub mod ffi_source {
    use super::*;

    /// `open` shim.
    pub unsafe extern "C" fn open<T: SourcePlugin>(
        params_json: GcStr,
        base_dir: GcStr,
        state_out: *mut *mut c_void,
        err: *const GcErrorSink,
    ) -> GcStatus {
        // SAFETY: pointers come from the host per the contract.
        unsafe {
            guarded(err, || {
                let params = str_arg(params_json)?;
                let base = str_arg(base_dir)?;
                let state = Box::new(T::open(params, base)?);
                *state_out = Box::into_raw(state) as *mut c_void;
                Ok(())
            })
        }
    }

    /// `open_range` shim (ABI 1.3).
    pub unsafe extern "C" fn open_range<T: SourcePlugin>(
        params_json: GcStr,
        base_dir: GcStr,
        range: *const GcTimeRange,
        state_out: *mut *mut c_void,
        err: *const GcErrorSink,
    ) -> GcStatus {
        // SAFETY: pointers come from the host per the contract; `range` is
        // null or a table of `struct_size` bytes valid for the call.
        unsafe {
            guarded(err, || {
                let params = str_arg(params_json)?;
                let base = str_arg(base_dir)?;
                let range = if range.is_null() {
                    GcTimeRange::ALL
                } else {
                    let size = (&raw const (*range).struct_size).read() as usize;
                    if size < TIME_RANGE_SIZE_V1_3 {
                        return Err(PluginError::new(
                            GC_ERR_INTERNAL,
                            format!(
                                "the host's GcTimeRange is {size} bytes, smaller than ABI 1.3's {TIME_RANGE_SIZE_V1_3}"
                            ),
                        ));
                    }
                    GcTimeRange::new(
                        (&raw const (*range).from_ns).read(),
                        (&raw const (*range).to_ns).read(),
                    )
                };
                if range.from_ns > range.to_ns {
                    return Err(PluginError::new(
                        GC_ERR_INTERNAL,
                        format!(
                            "the host asked for an empty range ({} > {})",
                            range.from_ns, range.to_ns
                        ),
                    ));
                }
                let state = Box::new(T::open_range(params, base, range)?);
                *state_out = Box::into_raw(state) as *mut c_void;
                Ok(())
            })
        }
    }

    /// `column_count` shim (0 on panic).
    pub unsafe extern "C" fn column_count<T: SourcePlugin>(state: *mut c_void) -> usize {
        if state.is_null() {
            return 0;
        }
        catch_unwind(AssertUnwindSafe(|| {
            // SAFETY: state was created by `open::<T>`.
            unsafe { &*(state as *const T) }.column_names().len()
        }))
        .unwrap_or(0)
    }

    /// `column_name` shim (empty on panic or out of range).
    pub unsafe extern "C" fn column_name<T: SourcePlugin>(
        state: *mut c_void,
        index: usize,
    ) -> GcStr {
        if state.is_null() {
            return GcStr::EMPTY;
        }
        catch_unwind(AssertUnwindSafe(|| {
            // SAFETY: state was created by `open::<T>`; the name lives in the state.
            let this = unsafe { &*(state as *const T) };
            this.column_names()
                .get(index)
                .map(|s| GcStr::from_str(s))
                .unwrap_or(GcStr::EMPTY)
        }))
        .unwrap_or(GcStr::EMPTY)
    }

    /// `row_count_hint` shim.
    pub unsafe extern "C" fn row_count_hint<T: SourcePlugin>(state: *mut c_void) -> i64 {
        if state.is_null() {
            return -1;
        }
        catch_unwind(AssertUnwindSafe(|| {
            // SAFETY: state was created by `open::<T>`.
            let this = unsafe { &*(state as *const T) };
            this.row_count_hint()
                .map(|n| n.min(i64::MAX as u64) as i64)
                .unwrap_or(-1)
        }))
        .unwrap_or(-1)
    }

    /// `read` shim.
    pub unsafe extern "C" fn read<T: SourcePlugin>(
        state: *mut c_void,
        timestamps: *mut i64,
        columns: *const *mut f64,
        column_count: usize,
        capacity: usize,
        rows_out: *mut usize,
        err: *const GcErrorSink,
    ) -> GcStatus {
        // SAFETY: the host passes arrays of `capacity` values per the contract.
        unsafe {
            if !rows_out.is_null() {
                *rows_out = 0;
            }
            guarded(err, || {
                if state.is_null() {
                    return Err(PluginError::new(GC_ERR_INTERNAL, "null source state"));
                }
                let this = &mut *(state as *mut T);
                let expected = this.column_names().len();
                if column_count != expected {
                    return Err(PluginError::new(
                        GC_ERR_INTERNAL,
                        format!("host passed {column_count} columns, source has {expected}"),
                    ));
                }
                let ts = std::slice::from_raw_parts_mut(timestamps, capacity);
                let mut cols: Vec<&mut [f64]> = (0..column_count)
                    .map(|k| std::slice::from_raw_parts_mut(*columns.add(k), capacity))
                    .collect();
                let n = this.read(ts, &mut cols)?;
                if n > capacity {
                    return Err(PluginError::new(
                        GC_ERR_INTERNAL,
                        format!("read {n} rows into {capacity}"),
                    ));
                }
                if !rows_out.is_null() {
                    *rows_out = n;
                }
                Ok(())
            })
        }
    }

    /// `close` shim.
    pub unsafe extern "C" fn close<T: SourcePlugin>(state: *mut c_void) {
        if state.is_null() {
            return;
        }
        let _ = catch_unwind(AssertUnwindSafe(|| {
            // SAFETY: created by `open::<T>` via Box::into_raw.
            drop(unsafe { Box::from_raw(state as *mut T) });
        }));
    }

    /// `borrow` shim (ABI 1.2).
    pub unsafe extern "C" fn borrow<T: SourcePlugin>(
        state: *mut c_void,
        out: *mut GcBorrowedTable,
        err: *const GcErrorSink,
    ) -> GcStatus {
        // SAFETY: the host passes a table of `struct_size` bytes whose
        // `columns` has `column_count` slots, per the contract.
        unsafe {
            guarded(err, || {
                if state.is_null() || out.is_null() {
                    return Err(PluginError::new(
                        GC_ERR_INTERNAL,
                        "null source state or table",
                    ));
                }
                let size = (&raw const (*out).struct_size).read() as usize;
                if size < BORROWED_TABLE_SIZE_V1_2 {
                    return Err(PluginError::new(
                        GC_ERR_INTERNAL,
                        format!(
                            "the host's GcBorrowedTable is {size} bytes, smaller than ABI 1.2's {BORROWED_TABLE_SIZE_V1_2}"
                        ),
                    ));
                }
                let this = &*(state as *const T);
                let Some(lent) = this.borrow()? else {
                    return Err(PluginError::new(
                        GC_ERR_UNSUPPORTED,
                        format!("source `{}` does not lend its columns", T::NAME),
                    ));
                };
                let slots = (&raw const (*out).column_count).read();
                let slot_ptr = (&raw const (*out).columns).read();
                if lent.columns.len() != slots || (slots > 0 && slot_ptr.is_null()) {
                    return Err(PluginError::new(
                        GC_ERR_INTERNAL,
                        format!(
                            "source `{}` lends {} columns, the host has {slots} slots",
                            T::NAME,
                            lent.columns.len()
                        ),
                    ));
                }
                let rows = lent.timestamps.len();
                if let Some(k) = lent.columns.iter().position(|c| c.len() != rows) {
                    return Err(PluginError::new(
                        GC_ERR_INTERNAL,
                        format!(
                            "source `{}` lends column {k} with {} values for {rows} timestamps",
                            T::NAME,
                            lent.columns[k].len()
                        ),
                    ));
                }
                for (k, column) in lent.columns.iter().enumerate() {
                    *slot_ptr.add(k) = column.as_ptr();
                }
                let flags = if lent.sorted { GC_BORROW_SORTED } else { 0 }
                    | if lent.finite { GC_BORROW_FINITE } else { 0 };
                (&raw mut (*out).flags).write(flags);
                (&raw mut (*out).rows).write(rows);
                (&raw mut (*out).timestamps).write(lent.timestamps.as_ptr());
                (&raw mut (*out).fingerprint).write(lent.fingerprint);
                (&raw mut (*out).data_path).write(GcStr::from_str(lent.data_path));
                Ok(())
            })
        }
    }

    /// The table for `T`.
    pub const fn table<T: SourcePlugin>() -> GcSourceV1 {
        GcSourceV1 {
            struct_size: std::mem::size_of::<GcSourceV1>() as u32,
            name: GcStr::lit(T::NAME),
            description: GcStr::lit(T::DESCRIPTION),
            params_schema: GcStr::lit(T::PARAMS_SCHEMA),
            open: open::<T>,
            column_count: column_count::<T>,
            column_name: column_name::<T>,
            row_count_hint: row_count_hint::<T>,
            read: read::<T>,
            close: close::<T>,
            borrow: Some(borrow::<T>),
            open_range: if T::RANGE_HINT {
                Some(open_range::<T>)
            } else {
                None
            },
        }
    }
}

/// Generic FFI shims for chart types.
#[doc(hidden)]
pub mod ffi_chart {
    use super::*;

    /// `uniforms` shim.
    pub unsafe extern "C" fn uniforms<T: ChartTypePlugin>(
        params_json: GcStr,
        out: *mut f32,
        err: *const GcErrorSink,
    ) -> GcStatus {
        // SAFETY: the host passes 16 writable floats.
        unsafe {
            guarded(err, || {
                let params = str_arg(params_json)?;
                let mut buf = [0f32; GC_USER_UNIFORM_FLOATS];
                T::uniforms(params, &mut buf)?;
                std::ptr::copy_nonoverlapping(buf.as_ptr(), out, GC_USER_UNIFORM_FLOATS);
                Ok(())
            })
        }
    }

    /// The table for `T`.
    pub const fn table<T: ChartTypePlugin>() -> GcChartTypeV1 {
        GcChartTypeV1 {
            struct_size: std::mem::size_of::<GcChartTypeV1>() as u32,
            input: T::INPUT,
            vertices_per_instance: T::VERTICES_PER_INSTANCE,
            range_fields: T::RANGE_FIELDS,
            flags: T::FLAGS,
            name: GcStr::lit(T::NAME),
            description: GcStr::lit(T::DESCRIPTION),
            params_schema: GcStr::lit(T::PARAMS_SCHEMA),
            wgsl: GcStr::lit(T::WGSL),
            uniforms: Some(uniforms::<T>),
            draws: T::DRAWS,
        }
    }
}

/// Exports a plugin library: generates the static tables and the
/// `gpu_charts_plugin_entry` symbol.
///
/// ```text
/// gpu_charts_plugin_api::export_plugin! {
///     name: "sma",
///     version: env!("CARGO_PKG_VERSION"),
///     description: "Simple moving average",
///     chart_types: [],
///     indicators: [Sma],
///     sources: [],
/// }
/// ```
///
/// It also defines `pub fn plugin_descriptor() -> testing::Descriptor` so
/// tests (see [`testing`]) can call the same tables in-process.
///
/// A plugin that cannot work with an older 1.x host adds
/// `abi_minor_required: 1,` after `sources` (see
/// [`GcPluginDescriptor::abi_minor_required`]); the default is 0.
#[macro_export]
macro_rules! export_plugin {
    (
        name: $name:expr,
        version: $version:expr,
        description: $desc:expr,
        chart_types: [$($chart:ty),* $(,)?],
        indicators: [$($ind:ty),* $(,)?],
        sources: [$($src:ty),* $(,)?]
        $(, abi_minor_required: $minor:expr)? $(,)?
    ) => {
        static __GC_CHART_TYPES: $crate::SyncTable<[$crate::GcChartTypeV1; 0 $(+ { let _ = stringify!($chart); 1 })*]> =
            $crate::SyncTable([$($crate::ffi_chart::table::<$chart>()),*]);
        static __GC_INDICATORS: $crate::SyncTable<[$crate::GcIndicatorV1; 0 $(+ { let _ = stringify!($ind); 1 })*]> =
            $crate::SyncTable([$($crate::ffi_indicator::table::<$ind>()),*]);
        static __GC_SOURCES: $crate::SyncTable<[$crate::GcSourceV1; 0 $(+ { let _ = stringify!($src); 1 })*]> =
            $crate::SyncTable([$($crate::ffi_source::table::<$src>()),*]);

        unsafe extern "C" fn __gc_init(host: *const $crate::GcHostApi) {
            // SAFETY: the host passes a table valid while the library is loaded.
            unsafe { $crate::__set_host(host) };
        }

        static __GC_DESCRIPTOR: $crate::SyncTable<$crate::GcPluginDescriptor> =
            $crate::SyncTable($crate::GcPluginDescriptor {
                abi_version: $crate::ABI_VERSION,
                struct_size: ::std::mem::size_of::<$crate::GcPluginDescriptor>() as u32,
                name: $crate::GcStr::lit($name),
                version: $crate::GcStr::lit($version),
                description: $crate::GcStr::lit($desc),
                init: Some(__gc_init),
                chart_types: __GC_CHART_TYPES.0.as_ptr(),
                chart_type_count: __GC_CHART_TYPES.0.len(),
                indicators: __GC_INDICATORS.0.as_ptr(),
                indicator_count: __GC_INDICATORS.0.len(),
                sources: __GC_SOURCES.0.as_ptr(),
                source_count: __GC_SOURCES.0.len(),
                abi_minor_required: 0 $(+ $minor)?,
            });

        /// The entry symbol the host looks up.
        #[unsafe(no_mangle)]
        pub extern "C" fn gpu_charts_plugin_entry() -> *const $crate::GcPluginDescriptor {
            &__GC_DESCRIPTOR.0
        }

        /// This plugin's descriptor, for in-process tests (see `testing`).
        pub fn plugin_descriptor() -> $crate::testing::Descriptor<'static> {
            // SAFETY: the macro built these tables from safe trait
            // implementations; they are static and follow the contract.
            unsafe { $crate::testing::Descriptor::new(&__GC_DESCRIPTOR.0) }
        }
    };
}
