//! Per-state host context: limits (instruction budget, memory), the log and
//! the sticky "a limit was hit" flag that `pcall` must not swallow.
//!
//! Lua holds closures that hold an `Rc<Ctx>`; `Ctx` itself never holds a Lua
//! value, so there is no reference cycle.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::path::PathBuf;
use std::rc::Rc;

use std::ffi::c_int;

use mlua::{HookTriggers, Lua, VmState, ffi};

use super::error::{ErrCtx, MEMORY_HELP, Raised, ScriptErrorKind};

/// The count hook runs every this many VM instructions.
pub(crate) const HOOK_EVERY: u32 = 1000;

/// Log lines kept until the host drains them (oldest dropped first).
const LOG_CAP: usize = 1000;

/// Log lines kept per run (a load, `Init`, one compute call); the rest are
/// counted in one "… N more lines suppressed" line.
pub const LOG_LINES_PER_RUN: usize = 20;

/// Characters kept of one log line (the rest becomes `…`).
pub const LOG_LINE_CHARS: usize = 300;

/// Host state shared by the functions registered in one Lua state.
pub(crate) struct Ctx {
    /// The script file as given.
    pub file: PathBuf,
    /// The script's folder, canonical; `require`/`dofile` stay inside it.
    pub folder: PathBuf,
    /// Memory limit in bytes (Lua heap plus series payloads).
    pub memory_limit: usize,
    /// Instructions left in the current call.
    pub budget: Cell<i64>,
    /// The budget the current call started with (for messages).
    pub budget_total: Cell<i64>,
    /// A limit that was hit: every later `pcall` re-raises until the host
    /// call ends, so a script cannot catch its way past a limit.
    pub sticky: RefCell<Option<Raised>>,
    /// Last script line the hook saw in this call: memory errors carry no
    /// line of their own.
    pub last_seen: RefCell<Option<(String, usize)>>,
    /// The script's stack where the hook last saw it while over half the
    /// memory limit (the traceback of a memory-limit error).
    last_tb: RefCell<Option<String>>,
    /// Instructions between two runs of the hook: [`HOOK_EVERY`], or 1 to
    /// find the exact line of a memory error ([`Ctx::trace_every_instruction`]).
    hook_every: Cell<u32>,
    /// Bytes held by series payloads (outside the Lua heap).
    pub series_bytes: Cell<usize>,
    /// Series bytes allocated since the last full collection.
    since_gc: Cell<usize>,
    /// Lines from `print`, `message`, `PrintDbgStr`.
    pub log: RefCell<VecDeque<String>>,
    /// Lines logged in the current run.
    run_lines: Cell<usize>,
    /// Lines of the current run not kept (past [`LOG_LINES_PER_RUN`]).
    suppressed: Cell<usize>,
    /// Nesting of `dofile`/`require`/`loadfile` calls.
    pub depth: Cell<u32>,
    /// Line of the `indicator{...}` call, once made.
    pub decl_line: Cell<Option<usize>>,
    /// Other chart elements a QUIK script reaches by tag
    /// (`getNumCandles`, `getCandlesByIndex`), set by the host.
    pub elements: RefCell<Vec<super::ChartElement>>,
    /// The budget hook while [`abort_hook`] replaces it (the budget ran out).
    saved_hook: Cell<Option<SavedHook>>,
}

/// A thread's hook as `lua_gethook*` report it.
#[derive(Clone, Copy)]
struct SavedHook {
    hook: Option<ffi::lua_Hook>,
    mask: c_int,
    count: c_int,
}

impl Ctx {
    pub fn new(file: PathBuf, folder: PathBuf, memory_limit: usize) -> Rc<Ctx> {
        Rc::new(Ctx {
            file,
            folder,
            memory_limit,
            budget: Cell::new(0),
            budget_total: Cell::new(0),
            sticky: RefCell::new(None),
            last_seen: RefCell::new(None),
            last_tb: RefCell::new(None),
            hook_every: Cell::new(HOOK_EVERY),
            series_bytes: Cell::new(0),
            since_gc: Cell::new(0),
            log: RefCell::new(VecDeque::new()),
            run_lines: Cell::new(0),
            suppressed: Cell::new(0),
            depth: Cell::new(0),
            decl_line: Cell::new(None),
            elements: RefCell::new(Vec::new()),
            saved_hook: Cell::new(None),
        })
    }

    /// Starts a host call with a fresh instruction budget.
    pub fn arm(&self, lua: &Lua, instructions: u64) {
        self.resume(lua);
        let n = i64::try_from(instructions).unwrap_or(i64::MAX);
        self.budget.set(n);
        self.budget_total.set(n);
        *self.sticky.borrow_mut() = None;
        *self.last_seen.borrow_mut() = None;
        *self.last_tb.borrow_mut() = None;
    }

    /// Makes the hook (installed after this call) run at every instruction,
    /// so a memory error knows its exact line: for replaying a chunk whose
    /// memory error came too soon for the every-[`HOOK_EVERY`] hook to see.
    pub fn trace_every_instruction(&self) {
        self.hook_every.set(1);
    }

    /// Puts the budget hook back after [`abort_hook`] stopped a call, so
    /// host code (and the next call) runs again.
    #[allow(unsafe_code)]
    pub fn resume(&self, lua: &Lua) {
        if let Some(h) = self.saved_hook.take() {
            // SAFETY: `lua_sethook` only stores the hook in the running
            // thread; `h` is what `lua_gethook*` returned for it.
            let r = unsafe {
                lua.exec_raw::<()>((), |state| {
                    ffi::lua_sethook(state, h.hook, h.mask, h.count);
                })
            };
            // Only fails when Lua cannot grow its stack by 3 slots; the old
            // hook then stays, which stops every call at once (no hang).
            drop(r);
        }
    }

    /// Replaces the budget hook by [`abort_hook`], which stops the running
    /// code at its next instruction.
    #[allow(unsafe_code)]
    fn abort(&self, lua: &Lua) {
        let mut saved = None;
        // SAFETY: reads and sets the running thread's hook; no Lua error can
        // be raised by these calls.
        let r = unsafe {
            lua.exec_raw::<()>((), |state| {
                saved = Some(SavedHook {
                    hook: ffi::lua_gethook(state),
                    mask: ffi::lua_gethookmask(state),
                    count: ffi::lua_gethookcount(state),
                });
                ffi::lua_sethook(state, Some(abort_hook), ffi::LUA_MASKCOUNT, 1);
            })
        };
        drop(r);
        if self.saved_hook.get().is_none() {
            self.saved_hook.set(saved);
        }
    }

    /// Context for converting an error of the current call.
    pub fn err_ctx(&self, bar: Option<usize>) -> ErrCtx<'_> {
        ErrCtx {
            file: &self.file,
            folder: &self.folder,
            bar,
            sticky: self.sticky.borrow().clone(),
            last_seen: self.last_seen.borrow().clone(),
            last_tb: self.last_tb.borrow().clone(),
        }
    }

    /// Appends what a script printed to the log: one line per text line,
    /// control characters shown as `?`, long lines cut, at most
    /// [`LOG_LINES_PER_RUN`] lines per run (tabs stay: `print` separates
    /// its arguments by them).
    pub fn log_line(&self, text: String) {
        for line in text.split('\n') {
            let line = line.strip_suffix('\r').unwrap_or(line);
            if self.run_lines.get() >= LOG_LINES_PER_RUN {
                self.suppressed.set(self.suppressed.get() + 1);
                continue;
            }
            self.run_lines.set(self.run_lines.get() + 1);
            let mut clean: String = line
                .chars()
                .take(LOG_LINE_CHARS)
                .map(|c| match c {
                    c if c.is_control() && c != '\t' => '?',
                    c => c,
                })
                .collect();
            if line.chars().nth(LOG_LINE_CHARS).is_some() {
                clean.push('…');
            }
            self.push_log(clean);
        }
    }

    fn push_log(&self, line: String) {
        let mut log = self.log.borrow_mut();
        if log.len() == LOG_CAP {
            log.pop_front();
        }
        log.push_back(line);
    }

    /// Starts a run of the script (its per-run log quota).
    pub fn begin_run(&self) {
        self.run_lines.set(0);
        self.suppressed.set(0);
    }

    /// Ends a run: says how many lines it printed past its quota.
    pub fn end_run(&self) {
        let k = self.suppressed.replace(0);
        if k > 0 {
            let s = if k == 1 { "" } else { "s" };
            self.push_log(format!("… {k} more line{s} suppressed"));
        }
        self.run_lines.set(0);
    }

    /// Accounts `bytes` of a new series payload against the memory limit,
    /// collecting garbage first when that makes room. Errors (MemoryLimit)
    /// before the host allocates anything.
    pub fn reserve(&self, lua: &Lua, bytes: usize) -> mlua::Result<()> {
        // Unreferenced series only go away when Lua collects their userdata,
        // and Lua does not see their payload size: collect now and then.
        let since = self.since_gc.get().saturating_add(bytes);
        if since > (64 << 20).max(self.memory_limit / 8) {
            lua.gc_collect()?;
            self.since_gc.set(0);
        } else {
            self.since_gc.set(since);
        }
        if !self.fits(lua, bytes) {
            lua.gc_collect()?;
            if !self.fits(lua, bytes) {
                return Err(self.memory_error(lua, bytes));
            }
        }
        self.series_bytes.set(self.series_bytes.get() + bytes);
        Ok(())
    }

    /// Gives back the bytes of a dropped series payload.
    pub fn release(&self, bytes: usize) {
        self.series_bytes
            .set(self.series_bytes.get().saturating_sub(bytes));
    }

    /// Whether `extra` more bytes fit under the limit.
    pub fn fits(&self, lua: &Lua, extra: usize) -> bool {
        let used = lua
            .used_memory()
            .saturating_add(self.series_bytes.get())
            .saturating_add(extra);
        used <= self.memory_limit
    }

    /// A MemoryLimit error located at the calling script line; sticky.
    pub fn memory_error(&self, lua: &Lua, bytes: usize) -> mlua::Error {
        let r = Raised {
            kind: ScriptErrorKind::MemoryLimit,
            message: format!(
                "the script needs {} more bytes but its memory limit is {} bytes (memory limit reached)",
                bytes, self.memory_limit
            ),
            loc: caller_loc(lua),
            help: Some(MEMORY_HELP.into()),
            traceback: stack_trace(lua, 1),
        };
        *self.sticky.borrow_mut() = Some(r.clone());
        mlua::Error::external(r)
    }

    /// Bytes in use: the Lua heap plus series payloads.
    pub fn memory_used(&self, lua: &Lua) -> usize {
        lua.used_memory() + self.series_bytes.get()
    }
}

/// Installs the instruction-budget hook on every thread of `lua`.
pub(crate) fn install_hook(lua: &Lua, ctx: &Rc<Ctx>) -> mlua::Result<()> {
    let ctx = ctx.clone();
    let every = ctx.hook_every.get();
    let triggers = HookTriggers::new().every_nth_instruction(every);
    lua.set_global_hook(triggers, move |lua, debug| {
        let left = ctx.budget.get() - i64::from(every);
        ctx.budget.set(left);
        let src = debug.source().short_src.map(|s| s.into_owned());
        let loc = match (src, debug.current_line()) {
            (Some(s), Some(l)) if !s.starts_with('[') => Some((s, l)),
            _ => None,
        };
        if loc.is_some() {
            *ctx.last_seen.borrow_mut() = loc.clone();
            // Near the limit, keep where the script is for a memory error
            // (Lua reports those without a stack).
            if ctx.memory_used(lua) > ctx.memory_limit / 2 {
                *ctx.last_tb.borrow_mut() = stack_trace(lua, 0);
            }
        }
        if left >= 0 {
            return Ok(VmState::Continue);
        }
        let r = Raised {
            kind: ScriptErrorKind::InstructionLimit,
            message: format!(
                "the script ran more than {} Lua instructions (instruction limit reached; an endless loop?)",
                ctx.budget_total.get()
            ),
            loc: loc.or_else(|| caller_loc(lua)),
            help: Some(
                "look for a loop that never ends, or raise the chart's script instruction limit".into(),
            ),
            traceback: stack_trace(lua, 0),
        };
        *ctx.sticky.borrow_mut() = Some(r);
        // Stop with a raw hook at the next instruction rather than with an
        // error from this callback: mlua's error path resets the stack top
        // to the hooked function's base, which runs its to-be-closed
        // variables' `__close` right here, inside the hook, where Lua runs
        // no hooks: an endless `__close` would hang. Raised from
        // `abort_hook`, the error unwinds normally and every `__close` runs
        // under `abort_hook`, which stops it at its first instruction.
        ctx.abort(lua);
        Ok(VmState::Continue)
    })
}

/// Raises "instruction limit reached" at every instruction; installed by
/// [`Ctx::abort`] once the budget is spent (the sticky error says where).
#[allow(unsafe_code)]
unsafe extern "C-unwind" fn abort_hook(state: *mut ffi::lua_State, _ar: *mut ffi::lua_Debug) {
    // SAFETY: Lua calls this hook on `state` with room for LUA_MINSTACK
    // values; `lua_error` unwinds (longjmp) past this frame, which holds no
    // value with a destructor.
    unsafe {
        ffi::lua_pushstring(state, c"instruction limit reached".as_ptr());
        ffi::lua_error(state);
    }
}

/// The nearest script frame (not host code, not C) at or above level 1.
pub(crate) fn caller_loc(lua: &Lua) -> Option<(String, usize)> {
    for level in 1..12 {
        let frame = lua.inspect_stack(level, |d| {
            let src = d.source().short_src.map(|s| s.into_owned());
            (src, d.current_line())
        })?;
        if let (Some(src), Some(line)) = frame
            && !src.starts_with('[')
        {
            return Some((src, line));
        }
    }
    None
}

/// A traceback of script frames, built from the debug API (a hook cannot
/// rely on Lua's message handler).
pub(crate) fn stack_trace(lua: &Lua, from_level: usize) -> Option<String> {
    let mut lines = Vec::new();
    for level in from_level..from_level + 40 {
        let Some((src, line, name, main, defined)) = lua.inspect_stack(level, |d| {
            let source = d.source();
            (
                source.short_src.map(|s| s.into_owned()),
                d.current_line(),
                d.names().name.map(|s| s.into_owned()),
                source.what == "main",
                source.line_defined,
            )
        }) else {
            break;
        };
        if let (Some(src), Some(line)) = (src, line)
            && !src.starts_with('[')
        {
            // A function the host called has no name in Lua's eyes; Lua's
            // own tracebacks then give where it is defined.
            let what = match (name, main, defined) {
                (Some(n), _, _) => format!("in function '{n}'"),
                (None, true, _) | (None, false, None) => "in main chunk".to_string(),
                (None, false, Some(d)) => format!("in function <{src}:{d}>"),
            };
            lines.push(format!("{src}:{line}: {what}"));
        }
    }
    if lines.is_empty() {
        None
    } else {
        Some(lines.join("\n"))
    }
}

/// An error of `kind` located at the calling script line.
pub(crate) fn raise(
    lua: &Lua,
    kind: ScriptErrorKind,
    message: String,
    help: Option<&str>,
) -> mlua::Error {
    mlua::Error::external(Raised {
        kind,
        message,
        loc: caller_loc(lua),
        help: help.map(str::to_string),
        traceback: None,
    })
}
