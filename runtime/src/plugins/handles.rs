//! Safe wrappers over a plugin's function tables.
//!
//! A handle ([`Indicator`], [`Source`], [`ChartType`]) is a cheap clone of an
//! `Arc<LoadedPlugin>` plus an index; a state ([`IndicatorInstance`],
//! [`SourceInstance`]) also owns the plugin's opaque state pointer and frees
//! it on drop. Both keep the library loaded while they live.
//!
//! Every call goes through a fresh error sink; a non-`GC_OK` status becomes
//! [`PluginError::Call`] (or [`PluginError::Panicked`] for `GC_ERR_PANIC`)
//! naming the plugin and the item. Arguments are checked before the call, so
//! a wrong column count or length is an error here, never memory the plugin
//! reads out of bounds.

use std::ffi::c_void;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use gpu_charts_plugin_api::{self as api, GcStatus};

use super::error::{ItemKind, PluginError, status_name};
use super::host::{NulTerminated, Reported, call_with_sink};
use super::loader::{
    ChartTypeFns, ChartTypeInfo, IndicatorFns, IndicatorInfo, LoadedPlugin, SourceFns, SourceInfo,
    copy_str,
};

/// Rows a source is asked for per `read` call.
pub const SOURCE_CHUNK_ROWS: usize = 64 * 1024;

/// Largest row count hint honoured when preallocating; a larger hint is
/// treated as a guess and the table grows as rows arrive.
const MAX_RESERVE_ROWS: u64 = 1 << 28;

/// More value columns than any real source has; a larger count is garbage.
const MAX_SOURCE_COLUMNS: usize = 1 << 16;

/// Turns a status and what the plugin reported into a result.
fn check(
    plugin: &LoadedPlugin,
    kind: ItemKind,
    item: &str,
    status: GcStatus,
    reported: Reported,
) -> Result<(), PluginError> {
    if status == api::GC_OK {
        return Ok(());
    }
    let message = reported
        .message
        .unwrap_or_else(|| "(the plugin reported no message)".to_string());
    if status == api::GC_ERR_PANIC {
        // The export macro words it "plugin panicked: <payload>"; the variant says that already.
        let message = message
            .strip_prefix("plugin panicked: ")
            .map(str::to_string)
            .unwrap_or(message);
        return Err(PluginError::Panicked {
            kind,
            plugin: plugin.name().to_string(),
            item: item.to_string(),
            message,
        });
    }
    Err(PluginError::Call {
        kind,
        plugin: plugin.name().to_string(),
        item: item.to_string(),
        status,
        status_name: status_name(status),
        message,
        help: reported.help,
    })
}

fn contract(plugin: &LoadedPlugin, kind: ItemKind, item: &str, reason: String) -> PluginError {
    PluginError::ContractViolation {
        kind,
        plugin: plugin.name().to_string(),
        item: item.to_string(),
        reason,
    }
}

fn bad_args(
    plugin: &LoadedPlugin,
    kind: ItemKind,
    item: &str,
    reason: String,
    help: String,
) -> PluginError {
    PluginError::BadArguments {
        kind,
        plugin: plugin.name().to_string(),
        item: item.to_string(),
        reason,
        help,
    }
}

// ---------------------------------------------------------------------------
// Indicators
// ---------------------------------------------------------------------------

/// An indicator provided by a loaded plugin.
#[derive(Clone)]
pub struct Indicator {
    plugin: Arc<LoadedPlugin>,
    index: usize,
}

impl fmt::Debug for Indicator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Indicator({}/{})", self.plugin.name(), self.name())
    }
}

impl Indicator {
    pub(crate) fn new(plugin: Arc<LoadedPlugin>, index: usize) -> Self {
        Indicator { plugin, index }
    }

    /// What the plugin declares about this indicator.
    pub fn info(&self) -> &IndicatorInfo {
        &self.plugin.info().indicators[self.index]
    }

    /// The indicator's name.
    pub fn name(&self) -> &str {
        &self.info().name
    }

    /// The plugin that provides it.
    pub fn plugin(&self) -> &Arc<LoadedPlugin> {
        &self.plugin
    }

    /// The name of the plugin that provides it.
    pub fn plugin_name(&self) -> &str {
        self.plugin.name()
    }

    fn fns(&self) -> IndicatorFns {
        self.plugin.indicator_fns[self.index]
    }

    /// Creates a state from params (a JSON object, already validated against
    /// the indicator's schema).
    pub fn create(&self, params_json: &str) -> Result<IndicatorInstance, PluginError> {
        let create = self.fns().create;
        let mut state: *mut c_void = std::ptr::null_mut();
        let params = NulTerminated::new(params_json);
        // SAFETY: `create` comes from the loaded table; the params string
        // and `state` outlive the call; the sink is valid for the call.
        let (status, reported) =
            call_with_sink(|err| unsafe { create(params.as_gc_str(), &mut state, err) });
        check(
            &self.plugin,
            ItemKind::Indicator,
            self.name(),
            status,
            reported,
        )?;
        Ok(IndicatorInstance {
            indicator: self.clone(),
            state,
        })
    }
}

/// A live indicator state. Dropping it calls the plugin's `destroy`.
pub struct IndicatorInstance {
    indicator: Indicator,
    state: *mut c_void,
}

impl fmt::Debug for IndicatorInstance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "IndicatorInstance({}/{})",
            self.indicator.plugin.name(),
            self.indicator.name()
        )
    }
}

// SAFETY: the threading contract allows successive calls on one state from
// different threads (plugin state must be `Send`); `&mut self` on every call
// keeps them from being concurrent.
unsafe impl Send for IndicatorInstance {}

impl IndicatorInstance {
    /// The indicator this state belongs to.
    pub fn indicator(&self) -> &Indicator {
        &self.indicator
    }

    fn bad_args(&self, reason: String, help: String) -> PluginError {
        bad_args(
            &self.indicator.plugin,
            ItemKind::Indicator,
            self.indicator.name(),
            reason,
            help,
        )
    }

    /// Like [`IndicatorInstance::compute`] but into growable vectors: each
    /// must hold at least `from` rows (what the previous call wrote) and is
    /// resized to the input length first.
    pub fn compute_vecs(
        &mut self,
        inputs: &[&[f64]],
        outputs: &mut [Vec<f64>],
        from: usize,
    ) -> Result<(), PluginError> {
        let len = self.check_inputs(inputs)?;
        self.check_output_count(outputs.len())?;
        if from > len {
            return Err(self.bad_args(
                format!("`from` is {from} but the inputs hold only {len} rows"),
                "pass `from` no larger than the input length".to_string(),
            ));
        }
        if let Some((k, short)) = outputs.iter().enumerate().find(|(_, o)| o.len() < from) {
            return Err(self.bad_args(
                format!(
                    "output {k} holds {} rows, fewer than `from` ({from})",
                    short.len()
                ),
                "keep the outputs of the previous call, or compute again from 0".to_string(),
            ));
        }
        for out in outputs.iter_mut() {
            out.resize(len, f64::NAN);
        }
        let mut slices: Vec<&mut [f64]> = outputs.iter_mut().map(|o| o.as_mut_slice()).collect();
        self.compute(inputs, &mut slices, from)
    }

    /// Computes every row from scratch and returns the output columns.
    pub fn compute_all(&mut self, inputs: &[&[f64]]) -> Result<Vec<Vec<f64>>, PluginError> {
        let mut outputs = vec![Vec::new(); self.indicator.info().outputs.len()];
        self.compute_vecs(inputs, &mut outputs, 0)?;
        Ok(outputs)
    }

    /// Computes rows `from..len` of every output, `len` being the length of
    /// the inputs (one column per input role, all the same length; one output
    /// slice per output column, each `len` long).
    ///
    /// Rows `..from` must hold what the previous call on this state wrote
    /// (the plugin may continue from them); rows `from..` are set to NaN and
    /// then filled by the plugin. The first call passes `from == 0`.
    pub fn compute(
        &mut self,
        inputs: &[&[f64]],
        outputs: &mut [&mut [f64]],
        from: usize,
    ) -> Result<(), PluginError> {
        let len = self.check_inputs(inputs)?;
        self.check_output_count(outputs.len())?;
        if let Some((k, o)) = outputs.iter().enumerate().find(|(_, o)| o.len() != len) {
            return Err(self.bad_args(
                format!("output {k} holds {} rows, the inputs {len}", o.len()),
                "size every output like the inputs".to_string(),
            ));
        }
        if from > len {
            return Err(self.bad_args(
                format!("`from` is {from} but the inputs hold only {len} rows"),
                "pass `from` no larger than the input length".to_string(),
            ));
        }
        for out in outputs.iter_mut() {
            out[from..].fill(f64::NAN);
        }
        let in_ptrs: Vec<*const f64> = inputs.iter().map(|c| c.as_ptr()).collect();
        let out_ptrs: Vec<*mut f64> = outputs.iter_mut().map(|c| c.as_mut_ptr()).collect();
        let compute = self.indicator.fns().compute;
        let state = self.state;
        // SAFETY: `compute` comes from the loaded table; every pointer
        // array has the declared count and every column `len` values (checked
        // above); `state` came from `create` and is used by one call at a time.
        let (status, reported) = call_with_sink(|err| unsafe {
            compute(
                state,
                in_ptrs.as_ptr(),
                in_ptrs.len(),
                out_ptrs.as_ptr(),
                out_ptrs.len(),
                len,
                from,
                err,
            )
        });
        check(
            &self.indicator.plugin,
            ItemKind::Indicator,
            self.indicator.name(),
            status,
            reported,
        )
    }

    fn check_output_count(&self, count: usize) -> Result<(), PluginError> {
        let outputs = &self.indicator.info().outputs;
        if count != outputs.len() {
            return Err(self.bad_args(
                format!(
                    "got {count} output columns, the indicator writes {}",
                    outputs.len()
                ),
                format!("pass one output column per output: {}", outputs.join(", ")),
            ));
        }
        Ok(())
    }

    /// Checks the input columns and returns their common length.
    fn check_inputs(&self, inputs: &[&[f64]]) -> Result<usize, PluginError> {
        let info = self.indicator.info();
        if inputs.len() != info.inputs.len() {
            return Err(self.bad_args(
                format!(
                    "got {} input columns, the indicator takes {}",
                    inputs.len(),
                    info.inputs.len()
                ),
                format!("pass one input column per role: {}", info.inputs.join(", ")),
            ));
        }
        let len = inputs.first().map_or(0, |c| c.len());
        if let Some((k, c)) = inputs.iter().enumerate().find(|(_, c)| c.len() != len) {
            return Err(self.bad_args(
                format!(
                    "input `{}` holds {} rows, input `{}` {len}",
                    info.inputs[k],
                    c.len(),
                    info.inputs[0]
                ),
                "pass input columns of equal length".to_string(),
            ));
        }
        Ok(len)
    }
}

impl Drop for IndicatorInstance {
    fn drop(&mut self) {
        // A stateless indicator leaves its state null (ABI 1.1,
        // GC_FEATURE_STATELESS): there is nothing to free.
        if self.state.is_null() {
            return;
        }
        let destroy = self.indicator.fns().destroy;
        // SAFETY: `state` came from this indicator's `create` and is freed
        // exactly once; the library is still loaded (we hold its Arc).
        unsafe { destroy(self.state) };
    }
}

// ---------------------------------------------------------------------------
// Sources
// ---------------------------------------------------------------------------

/// A data source provided by a loaded plugin.
#[derive(Clone)]
pub struct Source {
    plugin: Arc<LoadedPlugin>,
    index: usize,
}

impl fmt::Debug for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Source({}/{})", self.plugin.name(), self.name())
    }
}

/// Every row of a source.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourceTable {
    /// Value column names, in order.
    pub names: Vec<String>,
    /// UTC timestamps in nanoseconds, one per row.
    pub timestamps: Vec<i64>,
    /// One vector per value column, each as long as `timestamps`.
    pub columns: Vec<Vec<f64>>,
}

impl Source {
    pub(crate) fn new(plugin: Arc<LoadedPlugin>, index: usize) -> Self {
        Source { plugin, index }
    }

    /// What the plugin declares about this source.
    pub fn info(&self) -> &SourceInfo {
        &self.plugin.info().sources[self.index]
    }

    /// The source's name.
    pub fn name(&self) -> &str {
        &self.info().name
    }

    /// The plugin that provides it.
    pub fn plugin(&self) -> &Arc<LoadedPlugin> {
        &self.plugin
    }

    /// The name of the plugin that provides it.
    pub fn plugin_name(&self) -> &str {
        self.plugin.name()
    }

    fn fns(&self) -> SourceFns {
        self.plugin.source_fns[self.index]
    }

    /// Opens the source with params (a JSON object, already validated);
    /// relative paths in them resolve against `base_dir`, the chart file's folder.
    pub fn open(
        &self,
        params_json: &str,
        base_dir: impl AsRef<Path>,
    ) -> Result<SourceInstance, PluginError> {
        self.open_in(params_json, base_dir.as_ref(), None)
    }

    /// Whether the source honours time-range hints (ABI 1.3 `open_range`).
    pub fn takes_range_hint(&self) -> bool {
        self.fns().open_range.is_some()
    }

    /// Opens the source for the rows from `from_ns` to `to_ns` (inclusive
    /// UTC nanoseconds) through its `open_range` (ABI 1.3) when it has one;
    /// a source without it is opened whole, as by [`open`](Self::open).
    /// Returns the instance and whether the range was passed: with `true`
    /// the instance holds at least the rows of the range, with `false`
    /// everything.
    pub fn open_range(
        &self,
        params_json: &str,
        base_dir: impl AsRef<Path>,
        from_ns: i64,
        to_ns: i64,
    ) -> Result<(SourceInstance, bool), PluginError> {
        let hinted = self.takes_range_hint();
        let range = hinted.then(|| api::GcTimeRange::new(from_ns.min(to_ns), to_ns.max(from_ns)));
        let instance = self.open_in(params_json, base_dir.as_ref(), range)?;
        Ok((instance, hinted))
    }

    fn open_in(
        &self,
        params_json: &str,
        base_dir: &Path,
        range: Option<api::GcTimeRange>,
    ) -> Result<SourceInstance, PluginError> {
        let Some(base) = base_dir.to_str() else {
            return Err(bad_args(
                &self.plugin,
                ItemKind::Source,
                self.name(),
                format!(
                    "the chart folder `{}` is not valid UTF-8",
                    base_dir.display()
                ),
                "move the chart file to a folder whose path is valid UTF-8".to_string(),
            ));
        };
        let fns = self.fns();
        let mut state: *mut c_void = std::ptr::null_mut();
        let (params, base) = (NulTerminated::new(params_json), NulTerminated::new(base));
        // `open_range` (ABI 1.3) when the chart asks for a range and the
        // source takes one, else `open`.
        let (status, reported) = match (range, fns.open_range) {
            (Some(range), Some(open_range)) => call_with_sink(|err| {
                // SAFETY: `open_range` comes from the loaded table; both
                // strings, `range` and `state` outlive the call; the sink is
                // valid for the call.
                unsafe {
                    open_range(
                        params.as_gc_str(),
                        base.as_gc_str(),
                        &range,
                        &mut state,
                        err,
                    )
                }
            }),
            _ => call_with_sink(|err| {
                // SAFETY: `open` comes from the loaded table; both strings and
                // `state` outlive the call; the sink is valid for the call.
                unsafe { (fns.open)(params.as_gc_str(), base.as_gc_str(), &mut state, err) }
            }),
        };
        check(
            &self.plugin,
            ItemKind::Source,
            self.name(),
            status,
            reported,
        )?;
        // From here on, dropping `instance` closes the state, also on error.
        let mut instance = SourceInstance {
            source: self.clone(),
            state,
            names: Vec::new(),
        };
        instance.names = instance.read_column_names()?;
        Ok(instance)
    }
}

/// An open source. Dropping it calls the plugin's `close`.
pub struct SourceInstance {
    source: Source,
    state: *mut c_void,
    names: Vec<String>,
}

impl fmt::Debug for SourceInstance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SourceInstance({}/{}, {:?})",
            self.source.plugin.name(),
            self.source.name(),
            self.names
        )
    }
}

// SAFETY: as for IndicatorInstance: calls on one state are never concurrent
// (`&mut self`), and the contract allows them from different threads.
unsafe impl Send for SourceInstance {}

impl SourceInstance {
    /// The source this state belongs to.
    pub fn source(&self) -> &Source {
        &self.source
    }

    /// The value column names (timestamps not included).
    pub fn column_names(&self) -> &[String] {
        &self.names
    }

    /// The source's guess of its row count, if it has one.
    pub fn row_count_hint(&self) -> Option<u64> {
        let hint_fn = self.source.fns().row_count_hint;
        // SAFETY: `state` came from `open`; the function takes no other input.
        let hint = unsafe { hint_fn(self.state) };
        u64::try_from(hint).ok()
    }

    fn contract(&self, reason: String) -> PluginError {
        contract(
            &self.source.plugin,
            ItemKind::Source,
            self.source.name(),
            reason,
        )
    }

    fn column_count(&self) -> usize {
        let count_fn = self.source.fns().column_count;
        // SAFETY: `state` came from `open`.
        unsafe { count_fn(self.state) }
    }

    fn read_column_names(&self) -> Result<Vec<String>, PluginError> {
        let count = self.column_count();
        if count > MAX_SOURCE_COLUMNS {
            return Err(self.contract(format!("column_count returned {count}")));
        }
        let name_fn = self.source.fns().column_name;
        (0..count)
            .map(|i| {
                // SAFETY: `state` came from `open` and `i < column_count`; the
                // returned string stays valid until `close` and is copied now.
                unsafe { copy_str(name_fn(self.state, i)) }
                    .map_err(|reason| self.contract(format!("the name of column {i} {reason}")))
            })
            .collect()
    }

    /// Reads every remaining row, [`SOURCE_CHUNK_ROWS`] at a time, until the
    /// source returns zero rows.
    pub fn read_all(&mut self) -> Result<SourceTable, PluginError> {
        let column_count = self.names.len();
        let mut table = SourceTable {
            names: self.names.clone(),
            timestamps: Vec::new(),
            columns: vec![Vec::new(); column_count],
        };
        if let Some(hint) = self.row_count_hint() {
            // A hint is only a guess: cap it and let a failed reservation pass.
            let rows = hint.min(MAX_RESERVE_ROWS) as usize;
            let _ = table.timestamps.try_reserve_exact(rows);
            for column in &mut table.columns {
                let _ = column.try_reserve_exact(rows);
            }
        }
        let read = self.source.fns().read;
        let mut timestamps = vec![0i64; SOURCE_CHUNK_ROWS];
        let mut buffers = vec![vec![0f64; SOURCE_CHUNK_ROWS]; column_count];
        loop {
            let column_ptrs: Vec<*mut f64> = buffers.iter_mut().map(|b| b.as_mut_ptr()).collect();
            let mut rows = 0usize;
            let state = self.state;
            // SAFETY: `read` comes from the loaded table; `timestamps` and
            // every buffer hold SOURCE_CHUNK_ROWS values; the pointer array
            // has `column_count` entries, the count the source reported.
            let (status, reported) = call_with_sink(|err| unsafe {
                read(
                    state,
                    timestamps.as_mut_ptr(),
                    column_ptrs.as_ptr(),
                    column_count,
                    SOURCE_CHUNK_ROWS,
                    &mut rows,
                    err,
                )
            });
            check(
                &self.source.plugin,
                ItemKind::Source,
                self.source.name(),
                status,
                reported,
            )?;
            if rows > SOURCE_CHUNK_ROWS {
                return Err(self.contract(format!(
                    "read returned {rows} rows into a buffer of {SOURCE_CHUNK_ROWS}"
                )));
            }
            let now = self.column_count();
            if now != column_count {
                return Err(self.contract(format!(
                    "it had {column_count} columns when opened but reports {now} after reading"
                )));
            }
            if rows == 0 {
                return Ok(table);
            }
            table.timestamps.extend_from_slice(&timestamps[..rows]);
            for (column, buffer) in table.columns.iter_mut().zip(&buffers) {
                column.extend_from_slice(&buffer[..rows]);
            }
        }
    }
}

/// What [`SourceInstance::load`] got from a source: columns it lent (ABI
/// 1.2), or every row copied through `read`.
#[derive(Debug)]
pub enum SourceData {
    /// The source lent its columns; they live as long as the [`LentTable`].
    Lent(Arc<LentTable>),
    /// The rows, copied.
    Read(SourceTable),
}

/// Columns a source lent to the host ([`api::GcSourceV1::borrow`]). It
/// holds the source's state open, and so its library loaded, until the last
/// `Arc` of it drops; then the plugin's `close` frees the columns.
pub struct LentTable {
    names: Vec<String>,
    rows: usize,
    timestamps: *const i64,
    columns: Vec<*const f64>,
    flags: u32,
    fingerprint: u64,
    data_path: Option<String>,
    // Last: closed after everything above is dropped (nothing above points
    // into it after the borrow anyway; the raw pointers are not read in Drop).
    instance: SourceInstance,
}

impl fmt::Debug for LentTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "LentTable({:?}, {} rows, flags {:#x}, data_path {:?})",
            self.instance, self.rows, self.flags, self.data_path
        )
    }
}

// SAFETY: the lent memory is immutable until `close` (the contract), and no
// method of `LentTable` calls into the plugin; the state is only touched
// again by `close`, in Drop, which has exclusive access. So sharing and
// sending it across threads is sound.
unsafe impl Send for LentTable {}
// SAFETY: as above.
unsafe impl Sync for LentTable {}

impl LentTable {
    /// Value column names, in order.
    pub fn names(&self) -> &[String] {
        &self.names
    }
    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }
    /// The lent timestamps.
    pub fn timestamps(&self) -> &[i64] {
        if self.rows == 0 {
            return &[];
        }
        // SAFETY: checked non-null and aligned in `borrow`; `rows` values
        // valid and unchanged until `close`, which runs only when `self` drops.
        unsafe { std::slice::from_raw_parts(self.timestamps, self.rows) }
    }
    /// Value column `k` (empty if out of range).
    pub fn column(&self, k: usize) -> &[f64] {
        match self.columns.get(k) {
            // SAFETY: as for `timestamps`.
            Some(&p) if self.rows > 0 => unsafe { std::slice::from_raw_parts(p, self.rows) },
            _ => &[],
        }
    }
    /// Number of value columns.
    pub fn column_count(&self) -> usize {
        self.columns.len()
    }
    /// The source says it checked that timestamps never decrease.
    pub fn sorted(&self) -> bool {
        self.flags & api::GC_BORROW_SORTED != 0
    }
    /// The source says it checked that every value is finite.
    pub fn finite(&self) -> bool {
        self.flags & api::GC_BORROW_FINITE != 0
    }
    /// The source's content fingerprint (0: none).
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }
    /// The data file the source named, if any.
    pub fn data_path(&self) -> Option<&str> {
        self.data_path.as_deref()
    }
    /// The source it came from.
    pub fn source(&self) -> &Source {
        self.instance.source()
    }
}

impl SourceInstance {
    /// Asks the source to lend its columns (ABI 1.2) and falls back to
    /// reading every row when it has no `borrow` or answers
    /// `GC_ERR_UNSUPPORTED`.
    pub fn load(self) -> Result<SourceData, PluginError> {
        match self.borrow()? {
            Ok(lent) => Ok(SourceData::Lent(Arc::new(lent))),
            Err(mut instance) => instance.read_all().map(SourceData::Read),
        }
    }

    /// Calls the source's `borrow`: `Ok(Ok(table))` when it lent its
    /// columns, `Ok(Err(self))` when it does not (read it instead).
    pub fn borrow(self) -> Result<Result<LentTable, SourceInstance>, PluginError> {
        let Some(borrow) = self.source.fns().borrow else {
            return Ok(Err(self));
        };
        let count = self.names.len();
        let mut slots: Vec<*const f64> = vec![std::ptr::null(); count];
        let mut out = api::GcBorrowedTable {
            struct_size: api::BORROWED_TABLE_SIZE_V1_2 as u32,
            flags: 0,
            rows: 0,
            timestamps: std::ptr::null(),
            columns: slots.as_mut_ptr(),
            column_count: count,
            fingerprint: 0,
            data_path: api::GcStr::EMPTY,
        };
        let state = self.state;
        // SAFETY: `borrow` comes from the loaded table (the plugin's
        // struct_size covers it); `out` is a zeroed table of our size whose
        // `columns` has `count` slots, the count the source reported.
        let (status, reported) = call_with_sink(|err| unsafe { borrow(state, &mut out, err) });
        if status == api::GC_ERR_UNSUPPORTED {
            return Ok(Err(self));
        }
        check(
            &self.source.plugin,
            ItemKind::Source,
            self.source.name(),
            status,
            reported,
        )?;
        let rows = out.rows;
        if rows > 0 {
            if out.timestamps.is_null() || !out.timestamps.is_aligned() {
                return Err(self.contract(format!(
                    "borrow lent a null or misaligned timestamp pointer ({:p})",
                    out.timestamps
                )));
            }
            if let Some((k, p)) = slots
                .iter()
                .enumerate()
                .find(|(_, p)| p.is_null() || !p.is_aligned())
            {
                return Err(self.contract(format!(
                    "borrow lent a null or misaligned pointer ({p:p}) for column `{}`",
                    self.names[k]
                )));
            }
            if rows.checked_mul(8).is_none_or(|b| b > isize::MAX as usize) {
                return Err(self.contract(format!("borrow lent {rows} rows")));
            }
        }
        // SAFETY: the string stays valid until close; copied now.
        let data_path = unsafe { copy_str(out.data_path) }
            .map_err(|reason| self.contract(format!("borrow's data_path {reason}")))?;
        Ok(Ok(LentTable {
            names: self.names.clone(),
            rows,
            timestamps: out.timestamps,
            columns: slots,
            flags: out.flags,
            fingerprint: out.fingerprint,
            data_path: (!data_path.is_empty()).then_some(data_path),
            instance: self,
        }))
    }
}

impl Drop for SourceInstance {
    fn drop(&mut self) {
        let close = self.source.fns().close;
        // SAFETY: `state` came from this source's `open` and is freed exactly
        // once; the library is still loaded (we hold its Arc).
        unsafe { close(self.state) };
    }
}

// ---------------------------------------------------------------------------
// Chart types
// ---------------------------------------------------------------------------

/// A chart type provided by a loaded plugin.
#[derive(Clone)]
pub struct ChartType {
    plugin: Arc<LoadedPlugin>,
    index: usize,
}

impl fmt::Debug for ChartType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChartType({}/{})", self.plugin.name(), self.name())
    }
}

impl ChartType {
    pub(crate) fn new(plugin: Arc<LoadedPlugin>, index: usize) -> Self {
        ChartType { plugin, index }
    }

    /// What the plugin declares about this chart type (WGSL, input, ...).
    pub fn info(&self) -> &ChartTypeInfo {
        &self.plugin.info().chart_types[self.index]
    }

    /// The chart type's name.
    pub fn name(&self) -> &str {
        &self.info().name
    }

    /// The plugin that provides it.
    pub fn plugin(&self) -> &Arc<LoadedPlugin> {
        &self.plugin
    }

    /// The name of the plugin that provides it.
    pub fn plugin_name(&self) -> &str {
        self.plugin.name()
    }

    fn fns(&self) -> ChartTypeFns {
        self.plugin.chart_type_fns[self.index]
    }

    /// Turns a series' params (JSON, already validated) into the 16 floats
    /// of `frame.user`. All zeros if the chart type has no `uniforms`.
    pub fn uniforms(
        &self,
        params_json: &str,
    ) -> Result<[f32; api::GC_USER_UNIFORM_FLOATS], PluginError> {
        let mut out = [0f32; api::GC_USER_UNIFORM_FLOATS];
        let Some(uniforms) = self.fns().uniforms else {
            return Ok(out);
        };
        let params = NulTerminated::new(params_json);
        // SAFETY: `uniforms` comes from the loaded table; `out` holds the 16
        // floats the contract says it writes; the string outlives the call.
        let (status, reported) =
            call_with_sink(|err| unsafe { uniforms(params.as_gc_str(), out.as_mut_ptr(), err) });
        check(
            &self.plugin,
            ItemKind::ChartType,
            self.name(),
            status,
            reported,
        )?;
        Ok(out)
    }
}
