//! Opens one plugin library and copies its descriptor into owned Rust data.
//!
//! Order matters: the ABI version is the descriptor's first field and is read
//! before anything else, because a plugin built for another ABI may lay out
//! the rest differently. Then sizes are checked before fields are read, and
//! every string, array and schema is validated and copied, so nothing but
//! function pointers (kept valid by the `Library` held here) refers back into
//! the plugin afterwards.

use std::collections::BTreeSet;
use std::ffi::c_void;
use std::mem::{align_of, offset_of, size_of};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use gpu_charts_plugin_api::{
    self as api, GcChartTypeV1, GcErrorSink, GcHostApi, GcIndicatorV1, GcPluginDescriptor,
    GcSourceV1, GcStatus, GcStr,
};
use libloading::Library;

use super::copies::{self, PrivateCopy};
use super::error::PluginError;
use super::handles::{ChartType, Indicator, Source};
use super::{host, objcheck, schema, wgsl};

// Function-pointer types of the table fields. The `const` checks below fail
// to compile if plugin-api changes a signature without this file following.
pub(crate) type InitFn = unsafe extern "C" fn(host: *const GcHostApi);
pub(crate) type UniformsFn = unsafe extern "C" fn(GcStr, *mut f32, *const GcErrorSink) -> GcStatus;
pub(crate) type CreateFn =
    unsafe extern "C" fn(GcStr, *mut *mut c_void, *const GcErrorSink) -> GcStatus;
pub(crate) type ComputeFn = unsafe extern "C" fn(
    *mut c_void,
    *const *const f64,
    usize,
    *const *mut f64,
    usize,
    usize,
    usize,
    *const GcErrorSink,
) -> GcStatus;
pub(crate) type DestroyFn = unsafe extern "C" fn(*mut c_void);
pub(crate) type OpenFn =
    unsafe extern "C" fn(GcStr, GcStr, *mut *mut c_void, *const GcErrorSink) -> GcStatus;
pub(crate) type ColumnCountFn = unsafe extern "C" fn(*mut c_void) -> usize;
pub(crate) type ColumnNameFn = unsafe extern "C" fn(*mut c_void, usize) -> GcStr;
pub(crate) type RowCountHintFn = unsafe extern "C" fn(*mut c_void) -> i64;
pub(crate) type ReadFn = unsafe extern "C" fn(
    *mut c_void,
    *mut i64,
    *const *mut f64,
    usize,
    usize,
    *mut usize,
    *const GcErrorSink,
) -> GcStatus;
pub(crate) type CloseFn = unsafe extern "C" fn(*mut c_void);
pub(crate) type BorrowFn =
    unsafe extern "C" fn(*mut c_void, *mut api::GcBorrowedTable, *const GcErrorSink) -> GcStatus;
pub(crate) type OpenRangeFn = unsafe extern "C" fn(
    GcStr,
    GcStr,
    *const api::GcTimeRange,
    *mut *mut c_void,
    *const GcErrorSink,
) -> GcStatus;

const _: fn(&GcPluginDescriptor) -> Option<InitFn> = |d| d.init;
const _: fn(&GcChartTypeV1) -> Option<UniformsFn> = |t| t.uniforms;
const _: fn(&GcIndicatorV1) -> CreateFn = |t| t.create;
const _: fn(&GcIndicatorV1) -> ComputeFn = |t| t.compute;
const _: fn(&GcIndicatorV1) -> DestroyFn = |t| t.destroy;
const _: fn(&GcSourceV1) -> OpenFn = |t| t.open;
const _: fn(&GcSourceV1) -> ColumnCountFn = |t| t.column_count;
const _: fn(&GcSourceV1) -> ColumnNameFn = |t| t.column_name;
const _: fn(&GcSourceV1) -> RowCountHintFn = |t| t.row_count_hint;
const _: fn(&GcSourceV1) -> ReadFn = |t| t.read;
const _: fn(&GcSourceV1) -> CloseFn = |t| t.close;
const _: fn(&GcSourceV1) -> Option<BorrowFn> = |t| t.borrow;
const _: fn(&GcSourceV1) -> Option<OpenRangeFn> = |t| t.open_range;
// `table_elements` reads `struct_size` as the first `u32` of every table.
const _: () = assert!(offset_of!(GcChartTypeV1, struct_size) == 0);
const _: () = assert!(offset_of!(GcIndicatorV1, struct_size) == 0);
const _: () = assert!(offset_of!(GcSourceV1, struct_size) == 0);
const _: () = assert!(offset_of!(GcPluginDescriptor, abi_version) == 0);

/// More items than any real plugin declares; a larger count is garbage.
const MAX_ITEMS: usize = 4096;

/// A chart type as declared by its plugin (copied out of the library).
#[derive(Debug, Clone, PartialEq)]
pub struct ChartTypeInfo {
    /// Name used in chart files (`type = "candlestick"`).
    pub name: String,
    /// One line for `gpu-charts plugins`.
    pub description: String,
    /// JSON Schema of the series' `params` table (text; compiled as a JSON
    /// Schema at load, defaults inside their bounds).
    pub params_schema: String,
    /// WGSL source (without the host prelude; validated after it at load).
    pub wgsl: String,
    /// What it draws from: [`api::GC_INPUT_BARS`], [`api::GC_INPUT_LINE`] or
    /// [`api::GC_INPUT_BAND`] (checked at load).
    pub input: u32,
    /// Vertices drawn per instance (at least 1).
    pub vertices_per_instance: u32,
    /// `GC_FIELD_*` bits that set the pane's value range.
    pub range_fields: u32,
    /// `GC_CHART_*` flags.
    pub flags: u32,
    /// `GC_DRAWS_*` bits: the script plot styles it draws (0 for a 1.0 table).
    pub draws: u32,
    /// Why its WGSL does not validate after the host prelude (checked at
    /// load), or `None` when it does.
    pub shader_error: Option<String>,
}

impl ChartTypeInfo {
    /// Whether the pane's value axis must include zero ([`api::GC_CHART_INCLUDE_ZERO`]).
    pub fn include_zero(&self) -> bool {
        self.flags & api::GC_CHART_INCLUDE_ZERO != 0
    }
}

/// An indicator as declared by its plugin.
#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorInfo {
    /// Name used in chart files (`kind = "sma"`).
    pub name: String,
    /// One line for `gpu-charts plugins`.
    pub description: String,
    /// JSON Schema of the indicator's `params` table (text; checked at load).
    pub params_schema: String,
    /// Input roles, in order (at least one).
    pub inputs: Vec<String>,
    /// Output column names, in order (at least one).
    pub outputs: Vec<String>,
}

/// A data source as declared by its plugin.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceInfo {
    /// Name used in chart files (`kind = "csv"`).
    pub name: String,
    /// One line for `gpu-charts plugins`.
    pub description: String,
    /// JSON Schema of the source's params table (text; checked at load).
    pub params_schema: String,
    /// ABI 1.3: the source honours time-range hints (its table has a
    /// non-null `open_range`), so `load = "view"` loads only the view.
    pub range_hint: bool,
}

/// Everything a plugin library declares, copied into owned data.
#[derive(Debug, Clone, PartialEq)]
pub struct PluginInfo {
    /// Plugin name (`"sma"`).
    pub name: String,
    /// Plugin version (`"0.1.0"`).
    pub version: String,
    /// One line saying what the plugin is.
    pub description: String,
    /// The ABI version the plugin was built for (always the host's once loaded).
    pub abi_version: u32,
    /// The library file (canonical path).
    pub path: PathBuf,
    /// Chart types provided.
    pub chart_types: Vec<ChartTypeInfo>,
    /// Indicators provided.
    pub indicators: Vec<IndicatorInfo>,
    /// Data sources provided.
    pub sources: Vec<SourceInfo>,
}

/// Function pointers of one chart type.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ChartTypeFns {
    pub uniforms: Option<UniformsFn>,
}

/// Function pointers of one indicator.
#[derive(Debug, Clone, Copy)]
pub(crate) struct IndicatorFns {
    pub create: CreateFn,
    pub compute: ComputeFn,
    pub destroy: DestroyFn,
}

/// Function pointers of one source.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SourceFns {
    pub open: OpenFn,
    pub column_count: ColumnCountFn,
    pub column_name: ColumnNameFn,
    pub row_count_hint: RowCountHintFn,
    pub read: ReadFn,
    pub close: CloseFn,
    /// ABI 1.2; `None` when null or absent from a smaller table.
    pub borrow: Option<BorrowFn>,
    /// ABI 1.3; `None` when null or absent from a smaller table.
    pub open_range: Option<OpenRangeFn>,
}

/// A loaded plugin library: its copied descriptor, its function pointers and
/// the library itself, which stays mapped as long as this value lives.
///
/// Always used as `Arc<LoadedPlugin>`; every handle and state created from it
/// holds a clone, so the library is unloaded only after the last of them.
pub struct LoadedPlugin {
    info: PluginInfo,
    pub(crate) chart_type_fns: Vec<ChartTypeFns>,
    pub(crate) indicator_fns: Vec<IndicatorFns>,
    pub(crate) source_fns: Vec<SourceFns>,
    // Declared after the tables so it is dropped after them: the function
    // pointers above point into it.
    _library: Library,
    // Declared after the library: the copy is removed once it is closed.
    copy: Option<PrivateCopy>,
}

/// How a plugin library is opened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LoadMode {
    /// Open the file where it is. Right for a process that loads each
    /// library once (`render`, `export`, `demo`, tests): no copying.
    #[default]
    InPlace,
    /// Open a private copy under a unique name (see [`super::copies`]), so a
    /// rebuilt library is really loaded next to the old one and the user's
    /// file can be overwritten while the old version runs. Live sessions use
    /// this. A library whose file has not changed since it was loaded (and
    /// that is still alive) is shared instead of copied again.
    PrivateCopy,
}

impl std::fmt::Debug for LoadedPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedPlugin")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

impl LoadedPlugin {
    /// Loads the plugin library at `path`: checks the ABI version, validates
    /// and copies the descriptor, then calls the plugin's `init`.
    ///
    /// Loading a library runs its initialisers: only load files from folders
    /// the user chose to trust (the plugin search path).
    pub fn load(path: &Path) -> Result<Arc<LoadedPlugin>, PluginError> {
        Self::load_with(path, LoadMode::InPlace)
    }

    /// Loads the plugin library at `path` as `mode` says. With
    /// [`LoadMode::PrivateCopy`] the copy is what is opened, but every error
    /// and [`LoadedPlugin::path`] name the original file; the copy is
    /// removed when the library is dropped (or when loading fails).
    pub fn load_with(path: &Path, mode: LoadMode) -> Result<Arc<LoadedPlugin>, PluginError> {
        // An absolute path keeps dlopen from searching the system library
        // path for a bare file name.
        let path = std::fs::canonicalize(path).map_err(|e| PluginError::NotALibrary {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        let (copy, version) = match mode {
            LoadMode::InPlace => (None, None),
            LoadMode::PrivateCopy => {
                let version = copies::FileVersion::of(&path);
                if let Some(plugin) = version.as_ref().and_then(copies::reuse) {
                    return Ok(plugin);
                }
                let copy = copies::copy_of(&path).map_err(|e| PluginError::NotALibrary {
                    path: path.clone(),
                    reason: format!(
                        "cannot make a private copy to load ({e}) in `{}`",
                        std::env::temp_dir().display()
                    ),
                })?;
                (Some(copy), version)
            }
        };
        let open_path = copy.as_ref().map_or(path.as_path(), PrivateCopy::path);
        // A truncated file would crash the process inside `dlopen` (SIGBUS):
        // check the headers of what is about to be opened first.
        objcheck::check_library(open_path).map_err(|reason| PluginError::Corrupt {
            path: path.clone(),
            reason,
        })?;
        // SAFETY: loading runs the library's initialisers; a plugin library
        // is trusted code by design (see the doc comment).
        let library = unsafe { Library::new(open_path) }.map_err(|e| PluginError::NotALibrary {
            path: path.clone(),
            // The loader's message names the file it opened: name the user's.
            reason: e
                .to_string()
                .replace(&*open_path.to_string_lossy(), &path.to_string_lossy()),
        })?;
        // SAFETY: the entry symbol has type `GcEntryFn` by contract. The fn
        // pointer is copied out of the `Symbol`; it stays valid while `library`
        // is loaded, which `LoadedPlugin` guarantees.
        let entry: api::GcEntryFn = unsafe { library.get::<api::GcEntryFn>(api::ENTRY_SYMBOL) }
            .map(|sym| *sym)
            .map_err(|_| PluginError::MissingSymbol {
                path: path.clone(),
                symbol: entry_symbol_name(),
            })?;
        // Unwinding cannot cross an `extern "C"` function (Rust aborts
        // instead), so there is nothing for `catch_unwind` to catch here; the
        // export macro's own guards are what turn plugin panics into errors.
        // SAFETY: the entry point takes no arguments and returns a pointer.
        let descriptor = unsafe { entry() };
        let reader = Reader {
            path: &path,
            plugin: None,
        };
        // SAFETY: `descriptor` is what the entry point returned; `read`
        // checks null, alignment, ABI and size before reading fields.
        let parsed = unsafe { reader.read(descriptor) }?;
        if let Some(init) = parsed.init {
            let host = host::host_api_for(&parsed.info.name);
            // SAFETY: called once per load, after the version check, with a
            // host table that stays valid forever (see `host_api_for`).
            unsafe { init(host) };
        }
        let plugin = Arc::new(LoadedPlugin {
            info: parsed.info,
            chart_type_fns: parsed.chart_type_fns,
            indicator_fns: parsed.indicator_fns,
            source_fns: parsed.source_fns,
            _library: library,
            copy,
        });
        if let Some(version) = version {
            copies::remember(version, &plugin);
        }
        Ok(plugin)
    }

    /// The file the library was actually opened from: a private copy with
    /// [`LoadMode::PrivateCopy`], otherwise the same as [`LoadedPlugin::path`].
    pub fn loaded_from(&self) -> &Path {
        self.copy
            .as_ref()
            .map_or(&self.info.path, PrivateCopy::path)
    }

    /// What the plugin declares.
    pub fn info(&self) -> &PluginInfo {
        &self.info
    }

    /// The plugin's name.
    pub fn name(&self) -> &str {
        &self.info.name
    }

    /// The library file (canonical path).
    pub fn path(&self) -> &Path {
        &self.info.path
    }

    /// Handles to every chart type of this plugin.
    pub fn chart_types(self: &Arc<Self>) -> Vec<ChartType> {
        (0..self.info.chart_types.len())
            .map(|i| ChartType::new(self.clone(), i))
            .collect()
    }

    /// Handles to every indicator of this plugin.
    pub fn indicators(self: &Arc<Self>) -> Vec<Indicator> {
        (0..self.info.indicators.len())
            .map(|i| Indicator::new(self.clone(), i))
            .collect()
    }

    /// Handles to every source of this plugin.
    pub fn sources(self: &Arc<Self>) -> Vec<Source> {
        (0..self.info.sources.len())
            .map(|i| Source::new(self.clone(), i))
            .collect()
    }

    /// The chart type called `name`, if this plugin has one.
    pub fn chart_type(self: &Arc<Self>, name: &str) -> Option<ChartType> {
        let i = self.info.chart_types.iter().position(|c| c.name == name)?;
        Some(ChartType::new(self.clone(), i))
    }

    /// The indicator called `name`, if this plugin has one.
    pub fn indicator(self: &Arc<Self>, name: &str) -> Option<Indicator> {
        let i = self.info.indicators.iter().position(|c| c.name == name)?;
        Some(Indicator::new(self.clone(), i))
    }

    /// The source called `name`, if this plugin has one.
    pub fn source(self: &Arc<Self>, name: &str) -> Option<Source> {
        let i = self.info.sources.iter().position(|c| c.name == name)?;
        Some(Source::new(self.clone(), i))
    }
}

// SAFETY: the threading contract makes the descriptor and tables immutable
// and callable from any thread (`create`/`open`/`uniforms` concurrently);
// everything else in `LoadedPlugin` is owned Rust data or a `Library`.
unsafe impl Send for LoadedPlugin {}
// SAFETY: as above; `&LoadedPlugin` only reads.
unsafe impl Sync for LoadedPlugin {}

/// Whether a table of `struct_size` bytes holds a field of type `F` at
/// `offset` (fields appended after 1.0 are absent from older tables).
fn has_field<F>(struct_size: usize, offset: usize) -> bool {
    offset + size_of::<F>() <= struct_size
}

/// The header's name of one `GC_DRAWS_*` bit, for messages.
pub fn draws_name(bit: u32) -> &'static str {
    match bit {
        api::GC_DRAWS_LINE => "GC_DRAWS_LINE",
        api::GC_DRAWS_LINE_DASH => "GC_DRAWS_LINE_DASH",
        api::GC_DRAWS_HISTOGRAM => "GC_DRAWS_HISTOGRAM",
        api::GC_DRAWS_POINTS => "GC_DRAWS_POINTS",
        api::GC_DRAWS_MARKERS => "GC_DRAWS_MARKERS",
        api::GC_DRAWS_BAND => "GC_DRAWS_BAND",
        _ => "an unknown GC_DRAWS bit",
    }
}

/// The entry symbol without its NUL, for messages.
fn entry_symbol_name() -> String {
    let bytes = api::ENTRY_SYMBOL
        .strip_suffix(b"\0")
        .unwrap_or(api::ENTRY_SYMBOL);
    String::from_utf8_lossy(bytes).into_owned()
}

/// Copies a plugin string, checking it is UTF-8. The error completes a
/// sentence whose subject is the string ("is not valid UTF-8 ...").
///
/// # Safety
/// `s` points to `s.len` readable bytes (or has length 0).
pub(crate) unsafe fn copy_str(s: GcStr) -> Result<String, String> {
    if s.len == 0 {
        return Ok(String::new());
    }
    if s.ptr.is_null() {
        return Err(format!("is a null pointer with length {}", s.len));
    }
    // SAFETY: guaranteed by the caller.
    let bytes = unsafe { std::slice::from_raw_parts(s.ptr, s.len) };
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text.to_string()),
        Err(e) => Err(format!("is not valid UTF-8 ({e})")),
    }
}

/// The result of reading a descriptor.
struct Parsed {
    info: PluginInfo,
    init: Option<InitFn>,
    chart_type_fns: Vec<ChartTypeFns>,
    indicator_fns: Vec<IndicatorFns>,
    source_fns: Vec<SourceFns>,
}

/// Reads and validates a descriptor, building errors that name the file and,
/// once known, the plugin.
struct Reader<'a> {
    path: &'a Path,
    plugin: Option<String>,
}

impl Reader<'_> {
    fn bad(&self, reason: impl Into<String>) -> PluginError {
        PluginError::BadDescriptor {
            path: self.path.to_path_buf(),
            plugin: self.plugin.clone(),
            reason: reason.into(),
        }
    }

    /// Reads a descriptor.
    ///
    /// # Safety
    /// `desc` is null or what the plugin's entry point returned: the contract
    /// says it points to a descriptor valid while the library is loaded.
    unsafe fn read(mut self, desc: *const GcPluginDescriptor) -> Result<Parsed, PluginError> {
        if desc.is_null() {
            return Err(self.bad(format!("`{}` returned a null pointer", entry_symbol_name())));
        }
        if !desc.is_aligned() {
            return Err(self.bad("the descriptor pointer is misaligned"));
        }
        // SAFETY: non-null and aligned; the first field is a u32 in every ABI
        // version, and nothing else is read before it is checked.
        let abi_version = unsafe { (&raw const (*desc).abi_version).read() };
        if abi_version != api::ABI_VERSION {
            return Err(PluginError::AbiMismatch {
                path: self.path.to_path_buf(),
                found: abi_version,
                expected: api::ABI_VERSION,
            });
        }
        // SAFETY: same ABI, so the second field is `struct_size`.
        let struct_size = unsafe { (&raw const (*desc).struct_size).read() } as usize;
        if struct_size < api::DESCRIPTOR_SIZE_V1_0 {
            return Err(self.bad(format!(
                "struct_size is {struct_size} bytes, smaller than an ABI {}.0 descriptor ({} bytes)",
                api::ABI_VERSION,
                api::DESCRIPTOR_SIZE_V1_0
            )));
        }
        // SAFETY: the plugin's descriptor is at least as large as a 1.0 one,
        // so every 1.0 field read below is in bounds (later fields are read
        // only where `struct_size` covers them); raw reads never assume the
        // fields are valid Rust values beyond their plain types.
        let (
            name,
            version,
            description,
            init,
            charts,
            chart_count,
            inds,
            ind_count,
            srcs,
            src_count,
        ) = unsafe {
            (
                (&raw const (*desc).name).read(),
                (&raw const (*desc).version).read(),
                (&raw const (*desc).description).read(),
                (&raw const (*desc).init).read(),
                (&raw const (*desc).chart_types).read(),
                (&raw const (*desc).chart_type_count).read(),
                (&raw const (*desc).indicators).read(),
                (&raw const (*desc).indicator_count).read(),
                (&raw const (*desc).sources).read(),
                (&raw const (*desc).source_count).read(),
            )
        };
        // SAFETY: strings in the descriptor point into the library's static
        // data per the contract.
        let name = unsafe { self.read_str(name, || "the plugin name".into()) }?;
        if name.is_empty() {
            return Err(self.bad("the plugin name is empty"));
        }
        self.plugin = Some(name.clone());
        // ABI 1.1 field; a 1.0 descriptor lacks it (0: any 1.x host).
        let required = if has_field::<u32>(
            struct_size,
            offset_of!(GcPluginDescriptor, abi_minor_required),
        ) {
            // SAFETY: `struct_size` covers the field.
            unsafe { (&raw const (*desc).abi_minor_required).read() }
        } else {
            0
        };
        if required > api::ABI_MINOR {
            return Err(PluginError::NeedsNewerHost {
                path: self.path.to_path_buf(),
                plugin: name,
                required,
                host: api::ABI_MINOR,
            });
        }
        // SAFETY: as for the name.
        let version = unsafe { self.read_str(version, || "the plugin version".into()) }?;
        // SAFETY: as for the name.
        let description =
            unsafe { self.read_str(description, || "the plugin description".into()) }?;

        let mut info = PluginInfo {
            name,
            version,
            description,
            abi_version,
            path: self.path.to_path_buf(),
            chart_types: Vec::new(),
            indicators: Vec::new(),
            sources: Vec::new(),
        };
        let mut chart_type_fns = Vec::new();
        let mut indicator_fns = Vec::new();
        let mut source_fns = Vec::new();

        // SAFETY: table pointers and counts come from the descriptor.
        for (index, p) in unsafe {
            self.table_elements(charts, chart_count, "chart type", api::CHART_TYPE_SIZE_V1_0)
        }?
        .into_iter()
        .enumerate()
        {
            // SAFETY: `p` is an in-bounds, aligned element; `struct_size`
            // is its first field, checked by `table_elements`.
            let stride = unsafe { p.cast::<u32>().read() } as usize;
            // SAFETY: `p` is an element of `stride` (>= the 1.0 size) bytes.
            let (item, fns) = unsafe { self.read_chart_type(index, p, stride) }?;
            info.chart_types.push(item);
            chart_type_fns.push(fns);
        }
        for (index, p) in
            // SAFETY: table pointers and counts come from the descriptor.
            unsafe {
                self.table_elements(inds, ind_count, "indicator", api::INDICATOR_SIZE_V1_0)
            }?
            .into_iter()
            .enumerate()
        {
            // SAFETY: as above.
            let (item, fns) = unsafe { self.read_indicator(index, p) }?;
            info.indicators.push(item);
            indicator_fns.push(fns);
        }
        for (index, p) in
            // SAFETY: table pointers and counts come from the descriptor.
            unsafe {
                self.table_elements(srcs, src_count, "source", api::SOURCE_SIZE_V1_0)
            }?
            .into_iter()
            .enumerate()
        {
            // SAFETY: as for chart types: first field, checked by `table_elements`.
            let stride = unsafe { p.cast::<u32>().read() } as usize;
            // SAFETY: `p` is an element of `stride` (>= the 1.0 size) bytes.
            let (item, fns) = unsafe { self.read_source(index, p, stride) }?;
            info.sources.push(item);
            source_fns.push(fns);
        }
        self.check_unique(
            "chart type",
            info.chart_types.iter().map(|c| c.name.as_str()),
        )?;
        self.check_unique("indicator", info.indicators.iter().map(|c| c.name.as_str()))?;
        self.check_unique("source", info.sources.iter().map(|c| c.name.as_str()))?;
        Ok(Parsed {
            info,
            init,
            chart_type_fns,
            indicator_fns,
            source_fns,
        })
    }

    fn check_unique<'n>(
        &self,
        kind: &str,
        names: impl Iterator<Item = &'n str>,
    ) -> Result<(), PluginError> {
        let mut seen = BTreeSet::new();
        for name in names {
            if !seen.insert(name) {
                return Err(self.bad(format!("it declares {kind} `{name}` twice")));
            }
        }
        Ok(())
    }

    /// Copies a plugin string, checking it is UTF-8.
    ///
    /// # Safety
    /// `s` points to `s.len` readable bytes (or is null with length 0).
    unsafe fn read_str(
        &self,
        s: GcStr,
        what: impl FnOnce() -> String,
    ) -> Result<String, PluginError> {
        // SAFETY: forwarded from the caller.
        unsafe { copy_str(s) }.map_err(|reason| self.bad(format!("{} {reason}", what())))
    }

    /// Copies an item name: UTF-8 and not empty.
    ///
    /// # Safety
    /// As [`Reader::read_str`].
    unsafe fn read_name(&self, s: GcStr, kind: &str, index: usize) -> Result<String, PluginError> {
        // SAFETY: forwarded.
        let name = unsafe { self.read_str(s, || format!("the name of {kind} #{index}")) }?;
        if name.is_empty() {
            return Err(self.bad(format!("{kind} #{index} has an empty name")));
        }
        Ok(name)
    }

    /// Checks a params schema: JSON, a JSON Schema that compiles, defaults
    /// inside their own bounds (see [`schema`]).
    fn check_schema(&self, text: &str, kind: &str, name: &str) -> Result<(), PluginError> {
        schema::check_params_schema(text)
            .map_err(|reason| self.bad(format!("the params_schema of {kind} `{name}` {reason}")))
    }

    /// Checks a chart type's `draws` bits: all known, `GC_DRAWS_BAND` only
    /// (and always) with `GC_INPUT_BAND`, and every param the host sets for
    /// a declared style present in the params schema.
    fn check_draws(
        &self,
        name: &str,
        input: u32,
        draws: u32,
        schema: &str,
    ) -> Result<(), PluginError> {
        let known = api::GC_DRAWS_PARAMS
            .iter()
            .fold(0, |acc, (bit, _)| acc | bit);
        if draws & !known != 0 {
            return Err(self.bad(format!(
                "chart type `{name}` has unknown draws bits {:#x}",
                draws & !known
            )));
        }
        let band = draws & api::GC_DRAWS_BAND != 0;
        if draws != 0 && band != (input == api::GC_INPUT_BAND) {
            return Err(self.bad(format!(
                "chart type `{name}` declares draws {draws:#x}, but GC_DRAWS_BAND goes with GC_INPUT_BAND \
                 and the other styles with GC_INPUT_LINE or GC_INPUT_BARS"
            )));
        }
        let schema: serde_json::Value = serde_json::from_str(schema).unwrap_or_default();
        let properties = schema.get("properties").and_then(|p| p.as_object());
        for (bit, params) in api::GC_DRAWS_PARAMS {
            if draws & bit == 0 {
                continue;
            }
            for param in params {
                if !properties.is_some_and(|p| p.contains_key(*param)) {
                    return Err(self.bad(format!(
                        "chart type `{name}` declares {}, but its params_schema has no `{param}` \
                         property (the host sets it)",
                        draws_name(bit)
                    )));
                }
            }
        }
        Ok(())
    }

    /// Pointers to the elements of a table array, stepping by the plugin's
    /// `struct_size`: a plugin built with a later, longer table still lines
    /// up, and one built with an earlier one (at least `min_size`, the 1.0
    /// size) too; the readers read only the fields its size covers.
    ///
    /// # Safety
    /// `base` is null or points to `count` elements as the plugin laid them out.
    unsafe fn table_elements<T>(
        &self,
        base: *const T,
        count: usize,
        kind: &str,
        min_size: usize,
    ) -> Result<Vec<*const T>, PluginError> {
        if count == 0 {
            return Ok(Vec::new());
        }
        if base.is_null() {
            return Err(self.bad(format!(
                "it declares {count} {kind}(s) but the table pointer is null"
            )));
        }
        if count > MAX_ITEMS {
            return Err(self.bad(format!(
                "it declares {count} {kind}s (more than {MAX_ITEMS})"
            )));
        }
        if !base.is_aligned() {
            return Err(self.bad(format!("the {kind} table pointer is misaligned")));
        }
        // SAFETY: `struct_size` is the first field (a u32) of every table type.
        let stride = unsafe { base.cast::<u32>().read() } as usize;
        if stride < min_size || !stride.is_multiple_of(align_of::<T>()) {
            return Err(self.bad(format!(
                "{kind} #0 has struct_size {stride}, expected at least {min_size} (the ABI {}.0 size) \
                 and a multiple of {}",
                api::ABI_VERSION,
                align_of::<T>()
            )));
        }
        let mut elements = Vec::with_capacity(count);
        for index in 0..count {
            // SAFETY: within the plugin's array of `count` elements of `stride` bytes.
            let element = unsafe { base.byte_add(index * stride) };
            // SAFETY: as above; first field.
            let size = unsafe { element.cast::<u32>().read() } as usize;
            if size != stride {
                return Err(self.bad(format!(
                    "{kind} #{index} has struct_size {size}, but #0 has {stride}"
                )));
            }
            elements.push(element);
        }
        Ok(elements)
    }

    /// # Safety
    /// `p` points to a chart type table of `stride` bytes, at least the 1.0 size.
    unsafe fn read_chart_type(
        &self,
        index: usize,
        p: *const GcChartTypeV1,
        stride: usize,
    ) -> Result<(ChartTypeInfo, ChartTypeFns), PluginError> {
        // SAFETY: in bounds per the caller; plain fields and an Option<fn>.
        let t = unsafe {
            (
                (&raw const (*p).input).read(),
                (&raw const (*p).vertices_per_instance).read(),
                (&raw const (*p).range_fields).read(),
                (&raw const (*p).flags).read(),
                (&raw const (*p).name).read(),
                (&raw const (*p).description).read(),
                (&raw const (*p).params_schema).read(),
                (&raw const (*p).wgsl).read(),
                (&raw const (*p).uniforms).read(),
            )
        };
        let (input, vertices, range_fields, flags, name, description, schema, wgsl, uniforms) = t;
        // ABI 1.1 field; a 1.0 table lacks it (draws no script output).
        let draws = if has_field::<u32>(stride, offset_of!(GcChartTypeV1, draws)) {
            // SAFETY: the plugin's `struct_size` covers the field.
            unsafe { (&raw const (*p).draws).read() }
        } else {
            0
        };
        // SAFETY: strings point into the library's static data.
        let name = unsafe { self.read_name(name, "chart type", index) }?;
        let what = |field: &str| format!("the {field} of chart type `{name}`");
        // SAFETY: as above.
        let description = unsafe { self.read_str(description, || what("description")) }?;
        // SAFETY: as above.
        let schema = unsafe { self.read_str(schema, || what("params_schema")) }?;
        // SAFETY: as above.
        let wgsl = unsafe { self.read_str(wgsl, || what("wgsl")) }?;
        if !matches!(
            input,
            api::GC_INPUT_BARS | api::GC_INPUT_LINE | api::GC_INPUT_BAND
        ) {
            return Err(self.bad(format!(
                "chart type `{name}` has input {input}; expected GC_INPUT_BARS (1), GC_INPUT_LINE (2) or GC_INPUT_BAND (3)"
            )));
        }
        if vertices == 0 {
            return Err(self.bad(format!("chart type `{name}` draws 0 vertices per instance")));
        }
        let all_fields = api::GC_FIELD_OPEN
            | api::GC_FIELD_HIGH
            | api::GC_FIELD_LOW
            | api::GC_FIELD_CLOSE
            | api::GC_FIELD_VOLUME
            | api::GC_FIELD_VALUE;
        if range_fields & !all_fields != 0 {
            return Err(self.bad(format!(
                "chart type `{name}` has unknown range_fields bits {range_fields:#x}"
            )));
        }
        if flags & !api::GC_CHART_INCLUDE_ZERO != 0 {
            return Err(self.bad(format!("chart type `{name}` has unknown flags {flags:#x}")));
        }
        self.check_schema(&schema, "chart type", &name)?;
        self.check_draws(&name, input, draws, &schema)?;
        // A broken shader does not keep the plugin's other items from
        // loading: it is recorded, listed by `gpu-charts plugins` and
        // reported by the registry, and a chart using the type gets it as a
        // located error.
        let plugin = self.plugin.as_deref().unwrap_or("?");
        let shader_error = wgsl::validate_chart_type(plugin, &name, input, &wgsl)
            .err()
            .map(|e| e.to_string());
        let info = ChartTypeInfo {
            name,
            description,
            params_schema: schema,
            wgsl,
            input,
            vertices_per_instance: vertices,
            range_fields,
            flags,
            draws,
            shader_error,
        };
        Ok((info, ChartTypeFns { uniforms }))
    }

    /// # Safety
    /// `p` points to an indicator table of at least our size.
    unsafe fn read_indicator(
        &self,
        index: usize,
        p: *const GcIndicatorV1,
    ) -> Result<(IndicatorInfo, IndicatorFns), PluginError> {
        // SAFETY: in bounds per the caller. The fn-pointer fields are read as
        // `Option<fn>` (same layout, null allowed) so a C plugin's NULL is an
        // error instead of an invalid Rust value.
        let t = unsafe {
            (
                (&raw const (*p).name).read(),
                (&raw const (*p).description).read(),
                (&raw const (*p).params_schema).read(),
                (&raw const (*p).inputs).read(),
                (&raw const (*p).input_count).read(),
                (&raw const (*p).outputs).read(),
                (&raw const (*p).output_count).read(),
                (&raw const (*p).create).cast::<Option<CreateFn>>().read(),
                (&raw const (*p).compute).cast::<Option<ComputeFn>>().read(),
                (&raw const (*p).destroy).cast::<Option<DestroyFn>>().read(),
            )
        };
        let (
            name,
            description,
            schema,
            inputs,
            input_count,
            outputs,
            output_count,
            create,
            compute,
            destroy,
        ) = t;
        // SAFETY: strings point into the library's static data.
        let name = unsafe { self.read_name(name, "indicator", index) }?;
        let what = |field: &str| format!("the {field} of indicator `{name}`");
        // SAFETY: as above.
        let description = unsafe { self.read_str(description, || what("description")) }?;
        // SAFETY: as above.
        let schema = unsafe { self.read_str(schema, || what("params_schema")) }?;
        // SAFETY: arrays of GcStr in static data, `*_count` long.
        let inputs = unsafe { self.read_str_array(inputs, input_count, &name, "inputs") }?;
        // SAFETY: as above.
        let outputs = unsafe { self.read_str_array(outputs, output_count, &name, "outputs") }?;
        if inputs.is_empty() || outputs.is_empty() {
            return Err(self.bad(format!(
                "indicator `{name}` has {} input(s) and {} output(s); it needs at least one of each",
                inputs.len(),
                outputs.len()
            )));
        }
        let missing = |f: &str| self.bad(format!("indicator `{name}` has a null `{f}` function"));
        let fns = IndicatorFns {
            create: create.ok_or_else(|| missing("create"))?,
            compute: compute.ok_or_else(|| missing("compute"))?,
            destroy: destroy.ok_or_else(|| missing("destroy"))?,
        };
        self.check_schema(&schema, "indicator", &name)?;
        Ok((
            IndicatorInfo {
                name,
                description,
                params_schema: schema,
                inputs,
                outputs,
            },
            fns,
        ))
    }

    /// # Safety
    /// `ptr` is null or points to `count` `GcStr`s.
    unsafe fn read_str_array(
        &self,
        ptr: *const GcStr,
        count: usize,
        item: &str,
        field: &str,
    ) -> Result<Vec<String>, PluginError> {
        if count == 0 {
            return Ok(Vec::new());
        }
        if ptr.is_null() || !ptr.is_aligned() || count > MAX_ITEMS {
            return Err(self.bad(format!(
                "the {field} array of indicator `{item}` is invalid ({count} entries)"
            )));
        }
        let mut out = Vec::with_capacity(count);
        for k in 0..count {
            // SAFETY: `k < count` elements of the plugin's static array.
            let s = unsafe { ptr.add(k).read() };
            // SAFETY: strings point into the library's static data.
            let text =
                unsafe { self.read_str(s, || format!("{field}[{k}] of indicator `{item}`")) }?;
            if text.is_empty() {
                return Err(self.bad(format!("{field}[{k}] of indicator `{item}` is empty")));
            }
            out.push(text);
        }
        Ok(out)
    }

    /// # Safety
    /// `p` points to a source table of `stride` bytes, at least the 1.0 size.
    unsafe fn read_source(
        &self,
        index: usize,
        p: *const GcSourceV1,
        stride: usize,
    ) -> Result<(SourceInfo, SourceFns), PluginError> {
        // SAFETY: in bounds per the caller; fn pointers read as Option (see read_indicator).
        let t = unsafe {
            (
                (&raw const (*p).name).read(),
                (&raw const (*p).description).read(),
                (&raw const (*p).params_schema).read(),
                (&raw const (*p).open).cast::<Option<OpenFn>>().read(),
                (&raw const (*p).column_count)
                    .cast::<Option<ColumnCountFn>>()
                    .read(),
                (&raw const (*p).column_name)
                    .cast::<Option<ColumnNameFn>>()
                    .read(),
                (&raw const (*p).row_count_hint)
                    .cast::<Option<RowCountHintFn>>()
                    .read(),
                (&raw const (*p).read).cast::<Option<ReadFn>>().read(),
                (&raw const (*p).close).cast::<Option<CloseFn>>().read(),
            )
        };
        let (
            name,
            description,
            schema,
            open,
            column_count,
            column_name,
            row_count_hint,
            read,
            close,
        ) = t;
        // SAFETY: strings point into the library's static data.
        let name = unsafe { self.read_name(name, "source", index) }?;
        let what = |field: &str| format!("the {field} of source `{name}`");
        // SAFETY: as above.
        let description = unsafe { self.read_str(description, || what("description")) }?;
        // SAFETY: as above.
        let schema = unsafe { self.read_str(schema, || what("params_schema")) }?;
        let missing = |f: &str| self.bad(format!("source `{name}` has a null `{f}` function"));
        let fns = SourceFns {
            open: open.ok_or_else(|| missing("open"))?,
            column_count: column_count.ok_or_else(|| missing("column_count"))?,
            column_name: column_name.ok_or_else(|| missing("column_name"))?,
            row_count_hint: row_count_hint.ok_or_else(|| missing("row_count_hint"))?,
            read: read.ok_or_else(|| missing("read"))?,
            close: close.ok_or_else(|| missing("close"))?,
            // ABI 1.2 field; a 1.0/1.1 table lacks it (read through `read`).
            borrow: if has_field::<Option<BorrowFn>>(stride, offset_of!(GcSourceV1, borrow)) {
                // SAFETY: the plugin's `struct_size` covers the field; read
                // as an Option so NULL is "no borrow".
                unsafe { (&raw const (*p).borrow).read() }
            } else {
                None
            },
            // ABI 1.3 field; a 1.0 to 1.2 table lacks it (no range hints).
            open_range: if has_field::<Option<OpenRangeFn>>(
                stride,
                offset_of!(GcSourceV1, open_range),
            ) {
                // SAFETY: as for `borrow`.
                unsafe { (&raw const (*p).open_range).read() }
            } else {
                None
            },
        };
        self.check_schema(&schema, "source", &name)?;
        Ok((
            SourceInfo {
                name,
                description,
                params_schema: schema,
                range_hint: fns.open_range.is_some(),
            },
            fns,
        ))
    }
}
