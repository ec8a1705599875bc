//! Script errors: what went wrong, where (file:line, bar) and what to do.
//!
//! Lua reports errors as text (`name.lua:12: message` plus a traceback) or,
//! for errors raised by our own Rust functions, as [`Raised`] values carried
//! through mlua. [`convert`] turns both into a [`ScriptError`], keeping only
//! the script's own stack frames.

use std::fmt;
use std::path::{Path, PathBuf};

use thiserror::Error;

/// What kind of failure a [`ScriptError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScriptErrorKind {
    /// The file could not be read.
    Io,
    /// The file is neither UTF-8 nor Windows-1251.
    Encoding,
    /// Lua could not parse the script.
    Syntax,
    /// An error raised while the script ran.
    Runtime,
    /// The script ran past its instruction budget (an endless loop?).
    InstructionLimit,
    /// The script used more memory than its limit.
    MemoryLimit,
    /// The script tried something the sandbox forbids (`io`, `os.execute`, ...).
    Sandbox,
    /// The script called a host function gpu-charts does not provide (a
    /// QUIK terminal function such as `getParamEx` or `AddLabel`).
    Unsupported,
    /// `indicator{...}` or QUIK `Settings` is malformed.
    Declaration,
    /// Parameter values do not fit the declaration.
    Params,
    /// `calculate`/`on_bar`/`OnCalculate` returned something unusable.
    Output,
}

/// An error in a Lua indicator script, located in the script's files.
#[derive(Debug, Clone, PartialEq)]
pub struct ScriptError {
    /// What kind of failure.
    pub kind: ScriptErrorKind,
    /// The script file (or the module of the script's folder) at fault.
    pub file: PathBuf,
    /// 1-based line in `file`, when known.
    pub line: Option<usize>,
    /// 1-based bar index being computed, for per-bar and QUIK scripts.
    pub bar: Option<usize>,
    /// What went wrong, without the `file:line:` prefix.
    pub message: String,
    /// The script's stack frames (Lua traceback without host frames).
    pub traceback: Option<String>,
    /// What the user can do about it.
    pub help: Option<String>,
}

impl ScriptError {
    /// An error with no line, bar, traceback or help.
    pub fn new(kind: ScriptErrorKind, file: &Path, message: impl Into<String>) -> ScriptError {
        ScriptError {
            kind,
            file: file.to_path_buf(),
            line: None,
            bar: None,
            message: message.into(),
            traceback: None,
            help: None,
        }
    }

    /// Adds a help line.
    pub fn with_help(mut self, help: impl Into<String>) -> ScriptError {
        self.help = Some(help.into());
        self
    }

    /// Sets the line.
    pub fn at_line(mut self, line: Option<usize>) -> ScriptError {
        self.line = line;
        self
    }
}

impl fmt::Display for ScriptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "error: {}", self.message)?;
        match self.line {
            Some(l) => write!(f, "  --> {}:{l}", self.file.display())?,
            None => write!(f, "  --> {}", self.file.display())?,
        }
        if let Some(bar) = self.bar {
            write!(f, "\n   = bar: {bar}")?;
        }
        if let Some(tb) = &self.traceback {
            write!(f, "\n   = traceback:")?;
            for l in tb.lines() {
                write!(f, "\n       {l}")?;
            }
        }
        if let Some(help) = &self.help {
            write!(f, "\n   = help: {help}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ScriptError {}

/// An error raised by the host's Rust functions inside Lua, carried through
/// mlua as an external error so its kind survives the trip.
#[derive(Debug, Clone, Error)]
#[error("{}{message}", loc_prefix(.loc))]
pub(crate) struct Raised {
    pub kind: ScriptErrorKind,
    pub message: String,
    /// Chunk name (as in Lua messages) and line of the script code at fault.
    pub loc: Option<(String, usize)>,
    pub help: Option<String>,
    /// A traceback taken where the error was raised (hooks have no other).
    pub traceback: Option<String>,
}

fn loc_prefix(loc: &Option<(String, usize)>) -> String {
    match loc {
        Some((src, line)) => format!("{src}:{line}: "),
        None => String::new(),
    }
}

/// Chunk name of internal host code; its frames are hidden from users.
pub(crate) const HOST_CHUNK: &str = "=[host]";

/// Where an error happened, as far as the host knows besides the error.
pub(crate) struct ErrCtx<'a> {
    /// The script file.
    pub file: &'a Path,
    /// The script's folder (modules are named relative to it).
    pub folder: &'a Path,
    /// The bar being computed (1-based), if any.
    pub bar: Option<usize>,
    /// A limit the host saw hit (sticky; wins over what the error says).
    pub sticky: Option<Raised>,
    /// The last script line the instruction hook saw (for memory errors).
    pub last_seen: Option<(String, usize)>,
    /// The script's stack near the memory limit, if the hook saw it there.
    pub last_tb: Option<String>,
}

/// Turns an mlua error into a [`ScriptError`].
pub(crate) fn convert(err: &mlua::Error, cx: &ErrCtx<'_>) -> ScriptError {
    let callback_tb = outer_traceback(err);
    let raised = cx
        .sticky
        .clone()
        .or_else(|| err.downcast_ref::<Raised>().cloned());
    if let Some(r) = raised {
        let tb = r
            .traceback
            .clone()
            .or(callback_tb)
            .and_then(|t| clean_traceback(&t));
        let loc = r.loc.clone().or_else(|| first_frame(tb.as_deref()));
        return finish(cx, r.kind, r.message, loc, tb, r.help);
    }
    let inner = innermost(err);
    match inner {
        mlua::Error::SyntaxError { message, .. } => {
            let (loc, msg) = split_loc(message);
            finish(cx, ScriptErrorKind::Syntax, msg, loc, None, None)
        }
        mlua::Error::MemoryError(_) => memory_error(cx),
        mlua::Error::RuntimeError(text) => {
            let (head, tb) = match text.split_once("\nstack traceback:") {
                Some((h, t)) => (h, Some(t.to_string())),
                None => (text.as_str(), callback_tb),
            };
            if head == "not enough memory" {
                return memory_error(cx);
            }
            let tb = tb.and_then(|t| clean_traceback(&t));
            let (loc, msg) = split_loc(head);
            let loc = loc.or_else(|| first_frame(tb.as_deref()));
            let help = if msg.contains("stack overflow") {
                Some(
                    "a function calls itself without end; check the recursion's exit condition"
                        .into(),
                )
            } else if msg.contains("(global '") && msg.contains("nil value") {
                Some("globals `open high low close volume time inputs` exist only while the script computes; other names must be defined first".into())
            } else {
                None
            };
            finish(cx, ScriptErrorKind::Runtime, msg, loc, tb, help)
        }
        other => {
            let tb = callback_tb.and_then(|t| clean_traceback(&t));
            let loc = first_frame(tb.as_deref());
            let msg = match other {
                mlua::Error::BadArgument { to, pos, cause, .. } => format!(
                    "bad argument #{pos} to '{}': {}",
                    to.as_deref().unwrap_or("?"),
                    innermost(cause)
                ),
                e => e.to_string(),
            };
            finish(cx, ScriptErrorKind::Runtime, msg, loc, tb, None)
        }
    }
}

fn memory_error(cx: &ErrCtx<'_>) -> ScriptError {
    finish(
        cx,
        ScriptErrorKind::MemoryLimit,
        "the script ran out of memory (memory limit reached)".into(),
        cx.last_seen.clone(),
        cx.last_seen.as_ref().and(cx.last_tb.clone()),
        Some(MEMORY_HELP.into()),
    )
}

/// Help shown with every memory-limit error.
pub(crate) const MEMORY_HELP: &str =
    "look for a table or string that grows without bound, or raise the chart's script memory limit";

fn finish(
    cx: &ErrCtx<'_>,
    kind: ScriptErrorKind,
    message: String,
    loc: Option<(String, usize)>,
    traceback: Option<String>,
    help: Option<String>,
) -> ScriptError {
    let (file, line) = match loc {
        Some((src, line)) => match chunk_file(&src, cx) {
            Some(f) => (f, Some(line)),
            None => (cx.file.to_path_buf(), None),
        },
        None => (cx.file.to_path_buf(), None),
    };
    ScriptError {
        kind,
        file,
        line,
        bar: cx.bar,
        message,
        traceback,
        help,
    }
}

/// The file a chunk name (Lua's `short_src`) stands for, or None for host code.
fn chunk_file(src: &str, cx: &ErrCtx<'_>) -> Option<PathBuf> {
    if src.starts_with('[') || src.is_empty() {
        return None;
    }
    let main = cx.file.file_name().map(|n| n.to_string_lossy().to_string());
    if main.as_deref() == Some(src) {
        return Some(cx.file.to_path_buf());
    }
    Some(cx.folder.join(src))
}

/// Follows `CallbackError` causes to the error that started it all.
fn innermost(err: &mlua::Error) -> &mlua::Error {
    match err {
        mlua::Error::CallbackError { cause, .. } => innermost(cause),
        mlua::Error::WithContext { cause, .. } => innermost(cause),
        e => e,
    }
}

/// The traceback of the outermost callback error (the longest stack).
fn outer_traceback(err: &mlua::Error) -> Option<String> {
    match err {
        mlua::Error::CallbackError { traceback, .. } if !traceback.is_empty() => {
            Some(traceback.clone())
        }
        mlua::Error::CallbackError { cause, .. } | mlua::Error::WithContext { cause, .. } => {
            outer_traceback(cause)
        }
        _ => None,
    }
}

/// Splits `name.lua:12: message` into (("name.lua", 12), "message").
pub(crate) fn split_loc(text: &str) -> (Option<(String, usize)>, String) {
    let first_line_end = text.find('\n').unwrap_or(text.len());
    let first = &text[..first_line_end];
    // The chunk name may itself hold ':' (Windows paths), so take the first
    // `:<digits>:` that is followed by a space or the end.
    let bytes = first.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b':' {
            let start = i + 1;
            let mut j = start;
            while j < bytes.len() && bytes[j].is_ascii_digit() {
                j += 1;
            }
            if j > start
                && j < bytes.len()
                && bytes[j] == b':'
                && let Ok(line) = first[start..j].parse::<usize>()
            {
                let src = first[..i].to_string();
                let rest = text[j + 1..].trim_start().to_string();
                return (Some((src, line)), rest);
            }
        }
        i += 1;
    }
    (None, text.to_string())
}

/// Keeps the script's frames of a Lua traceback (drops `[C]` and host frames).
pub(crate) fn clean_traceback(tb: &str) -> Option<String> {
    let host = &HOST_CHUNK[1..];
    let frames: Vec<&str> = tb
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && *l != "stack traceback:")
        .filter(|l| !l.starts_with("[C]") && !l.starts_with(host) && !l.starts_with("(..."))
        .filter(|l| !l.contains("__mlua"))
        .collect();
    if frames.is_empty() {
        None
    } else {
        Some(frames.join("\n"))
    }
}

/// The location of the first frame of a cleaned traceback.
fn first_frame(tb: Option<&str>) -> Option<(String, usize)> {
    split_loc(tb?.lines().next()?).0
}
