//! Lua indicator scripts (`docs/lua-api.md`): vectorized (`calculate`),
//! per-bar (`on_bar`) and QUIK (`Settings`/`Init`/`OnCalculate`).
//!
//! [`Script::load`] reads a file and its declarations; [`Script::instance`]
//! makes an isolated Lua state that computes outputs with the same contract
//! as a plugin indicator ([`ScriptInstance::compute`]). Every state is
//! sandboxed ([`sandbox`]) and limited in instructions and memory ([`ctx`]);
//! no error from a script panics the host.

// `ScriptError` carries file, line, bar, traceback and help by design (the
// API fixes its fields); errors are rare, so the large `Err` costs nothing.
#![allow(clippy::result_large_err)]

mod columns;
mod ctx;
mod decl;
mod error;
mod instance;
mod perbar;
mod quik;
mod sandbox;
mod series;
mod setup;
mod source;
pub mod ta;
mod ta_lua;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;

use mlua::{Function, Lua, Table, Value};

pub use decl::{
    LineDash, MarkerShape, OutputDecl, OutputStyle, Pane, ParamDecl, ParamType, ScriptInfo,
    ScriptKind,
};
pub use error::{ScriptError, ScriptErrorKind};
pub use instance::ScriptInstance;

use crate::data::Storage;
use ctx::Ctx;
pub use ctx::{LOG_LINE_CHARS, LOG_LINES_PER_RUN};
use error::ErrCtx;

/// Resource limits of one script state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScriptLimits {
    /// Lua heap plus series payloads, in bytes.
    pub memory_bytes: usize,
    /// Lua instructions allowed per bar computed.
    pub instructions_per_bar: u64,
    /// Lua instructions allowed for the top-level chunk (and `init`/`Init`).
    pub instructions_base: u64,
}

impl Default for ScriptLimits {
    fn default() -> Self {
        ScriptLimits {
            memory_bytes: 256 << 20,
            instructions_per_bar: 20_000,
            instructions_base: 10_000_000,
        }
    }
}

/// The input columns of one compute call; all the same length.
#[derive(Debug, Clone)]
pub struct ScriptInputs<'a> {
    /// UTC timestamps in nanoseconds (Lua sees seconds).
    pub time_ns: &'a [i64],
    /// Open.
    pub open: &'a [f64],
    /// High.
    pub high: &'a [f64],
    /// Low.
    pub low: &'a [f64],
    /// Close.
    pub close: &'a [f64],
    /// Volume (all NaN when the input is one column).
    pub volume: &'a [f64],
    /// Named series (`inputs.a`), aligned to the same rows.
    pub named: Vec<(String, &'a [f64])>,
}

/// The folders a script's modules can come from: its own folder and the
/// folders below it (`require("lib.util")` loads `lib/util.lua`), at most
/// [`MODULE_DEPTH`] levels down and [`MODULE_DIRS`] folders in all, hidden
/// folders skipped. Live sessions watch them and the build fingerprints the
/// `.lua` files in them, so editing a module reloads its scripts.
pub fn module_dirs(folder: &Path) -> Vec<PathBuf> {
    let hidden =
        |e: &walkdir::DirEntry| e.depth() > 0 && e.file_name().to_string_lossy().starts_with('.');
    walkdir::WalkDir::new(folder)
        .max_depth(MODULE_DEPTH)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.file_type().is_dir() && !hidden(e))
        .filter_map(Result::ok)
        .map(walkdir::DirEntry::into_path)
        .take(MODULE_DIRS)
        .collect()
}

/// How deep below a script's folder [`module_dirs`] looks.
pub const MODULE_DEPTH: usize = 3;
/// How many folders [`module_dirs`] returns at most.
pub const MODULE_DIRS: usize = 64;

/// A chart element a QUIK script can read by its identifier (tag) with
/// `getNumCandles(tag)` and `getCandlesByIndex(tag, line, first, count)`:
/// another source of the chart (candles) or an indicator (one line per
/// output). Columns are shared, not copied.
#[derive(Debug, Clone)]
pub struct ChartElement {
    /// The identifier scripts pass as `tag` (a source or indicator id).
    pub tag: String,
    /// UTC timestamps in nanoseconds, one per candle.
    pub time_ns: Storage<i64>,
    /// `open, high, low, close, volume` of a source (missing columns are
    /// `None`), or one column per line of an indicator (`lines`).
    pub ohlcv: [Option<Storage<f64>>; 5],
    /// An indicator's outputs, by line index (empty for a source).
    pub lines: Vec<Storage<f64>>,
}

impl ScriptInputs<'_> {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.close.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.close.is_empty()
    }
}

/// A loaded script: source and declarations; cheap to instantiate.
#[derive(Debug, Clone)]
pub struct Script {
    info: ScriptInfo,
    source: Arc<str>,
    limits: ScriptLimits,
    /// The script's folder, canonical (the sandbox's root).
    folder: PathBuf,
}

/// A fresh sandboxed state with every host API registered.
pub(crate) struct State {
    pub lua: Lua,
    pub ctx: Rc<Ctx>,
    /// The columns host table (`mat`, `cols`, QUIK's `outs`/`len`).
    pub host: Table,
}

impl State {
    fn new(path: &Path, folder: &Path, limits: &ScriptLimits) -> Result<State, ScriptError> {
        State::with_hook(path, folder, limits, false)
    }

    /// A state whose hook runs at every instruction when `every_instruction`.
    fn with_hook(
        path: &Path,
        folder: &Path,
        limits: &ScriptLimits,
        every_instruction: bool,
    ) -> Result<State, ScriptError> {
        let ctx = Ctx::new(
            path.to_path_buf(),
            folder.to_path_buf(),
            limits.memory_bytes,
        );
        if every_instruction {
            ctx.trace_every_instruction();
            // The host's own setup code runs under that hook too.
            ctx.budget.set(i64::MAX);
        }
        let setup = || -> mlua::Result<(Lua, Table)> {
            let lua = sandbox::new_state(&ctx)?;
            series::register(&lua, &ctx)?;
            ta_lua::register(&lua, &ctx)?;
            let host = columns::install(&lua)?;
            quik::register(&lua, &ctx, &host)?;
            Ok((lua, host))
        };
        let (lua, host) = setup().map_err(|e| {
            ScriptError::new(
                ScriptErrorKind::Runtime,
                path,
                format!("cannot set up the Lua state: {e}"),
            )
        })?;
        Ok(State { lua, ctx, host })
    }

    /// Runs the script's top-level chunk within the base budget.
    fn run_chunk(&self, source: &str, limits: &ScriptLimits) -> Result<(), ScriptError> {
        let name = self
            .ctx
            .file
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        self.ctx.arm(&self.lua, limits.instructions_base);
        self.lua
            .load(source)
            .set_name(format!("@{name}"))
            .set_mode(mlua::chunk::ChunkMode::Text)
            .exec()
            .map_err(|e| self.error(&e, None))
    }

    /// Converts an error of the current call.
    pub fn error(&self, e: &mlua::Error, bar: Option<usize>) -> ScriptError {
        let cx: ErrCtx<'_> = self.ctx.err_ctx(bar);
        error::convert(e, &cx)
    }

    /// A global function, if the script defines one.
    pub fn function(&self, name: &str) -> Option<Function> {
        match self.lua.globals().raw_get::<Value>(name) {
            Ok(Value::Function(f)) => Some(f),
            _ => None,
        }
    }
}

impl Script {
    /// Reads the script (UTF-8, or Windows-1251 when not UTF-8) and runs its
    /// top-level chunk in a sandbox to read its declarations. Never calls
    /// `calculate`/`on_bar`/`OnCalculate`.
    pub fn load(path: &Path, limits: ScriptLimits) -> Result<Script, ScriptError> {
        let source = source::read_text(path)?;
        let folder = locate(path)?;
        let state = State::new(path, &folder, &limits)?;
        if let Err(e) = state.run_chunk(&source, &limits) {
            drop(state);
            return Err(locate_memory_error(e, path, &folder, &source, &limits));
        }
        let info = setup::declarations(&state, path, &limits)?;
        Ok(Script {
            info,
            source: source.into(),
            limits,
            folder,
        })
    }

    /// What the script declares.
    pub fn info(&self) -> &ScriptInfo {
        &self.info
    }

    /// JSON Schema of the script's `params` (object, no other keys).
    pub fn params_schema(&self) -> String {
        decl::params_schema(&self.info.params)
    }

    /// A new isolated state computing this script with `params` (validated
    /// against [`Script::params_schema`], defaults applied).
    pub fn instance(&self, params: &serde_json::Value) -> Result<ScriptInstance, ScriptError> {
        let mut inst = self.instance_with(params, false)?;
        inst.set_replay(self.clone(), params.clone());
        Ok(inst)
    }

    /// An instance whose hook runs at every instruction when
    /// `every_instruction` (to find where a memory error happened).
    pub(crate) fn instance_with(
        &self,
        params: &serde_json::Value,
        every_instruction: bool,
    ) -> Result<ScriptInstance, ScriptError> {
        let state = State::with_hook(
            &self.info.path,
            &self.folder,
            &self.limits,
            every_instruction,
        )?;
        // One log run: the chunk and QUIK's Init (ended in `new`).
        state.ctx.begin_run();
        state.run_chunk(&self.source, &self.limits)?;
        ScriptInstance::new(state, self.info.clone(), self.limits, params)
    }
}

/// A memory-limit error of the top-level chunk that came before the hook
/// saw any line (a string doubling in a few instructions, say) is found by
/// running the chunk again with the hook at every instruction, which gives
/// its line and stack; any other error is returned as it is.
fn locate_memory_error(
    e: ScriptError,
    path: &Path,
    folder: &Path,
    source: &str,
    limits: &ScriptLimits,
) -> ScriptError {
    if e.kind != ScriptErrorKind::MemoryLimit || e.line.is_some() {
        return e;
    }
    let again = State::with_hook(path, folder, limits, true)
        .and_then(|state| state.run_chunk(source, limits));
    match again {
        Err(found) if found.kind == ScriptErrorKind::MemoryLimit && found.line.is_some() => found,
        _ => e,
    }
}

/// The script's folder, canonical.
fn locate(path: &Path) -> Result<PathBuf, ScriptError> {
    let file = path.canonicalize().map_err(|e| {
        ScriptError::new(
            ScriptErrorKind::Io,
            path,
            format!("cannot open `{}`: {e}", path.display()),
        )
    })?;
    Ok(file.parent().map(Path::to_path_buf).unwrap_or_default())
}
