//! The sandboxed Lua state: safe libraries only, file access confined to the
//! script's folder, limits installed.
//!
//! Forbidden things (`io`, `os.execute`, `debug`, `string.dump`,
//! `package.loadlib`, `collectgarbage("stop")`, binary chunks, files outside
//! the folder, `__gc` finalizers) raise a [`ScriptErrorKind::Sandbox`] error
//! naming what was tried, rather than a bare "attempt to index a nil value".

use std::path::{Component, Path, PathBuf};
use std::rc::Rc;

use mlua::chunk::ChunkMode;
use mlua::{Function, Lua, LuaOptions, MultiValue, StdLib, Table, Value, Variadic};

use super::ctx::{Ctx, install_hook, raise};
use super::error::{HOST_CHUNK, ScriptErrorKind};
use super::source::{chunk_name, read_text};

/// `dofile`/`require`/`loadfile` nested deeper than this is an error (a file
/// that loads itself), well before the C stack could suffer.
const MAX_DEPTH: u32 = 32;

/// Registry key of the `indicator{...}` table.
pub(crate) const DECL_KEY: &str = "gc.indicator";
/// Registry key of the modules cache (`package.loaded`).
const MODULES_KEY: &str = "gc.modules";

/// Creates a sandboxed state for `ctx`'s script. Limits are armed by the
/// caller ([`Ctx::arm`]) before running script code.
pub(crate) fn new_state(ctx: &Rc<Ctx>) -> mlua::Result<Lua> {
    let libs = StdLib::STRING | StdLib::TABLE | StdLib::MATH | StdLib::UTF8 | StdLib::OS;
    let lua = Lua::new_with(libs, LuaOptions::new())?;
    let g = lua.globals();
    let modules = lua.create_table()?;
    lua.set_named_registry_value(MODULES_KEY, &modules)?;

    g.set("print", print_fn(&lua, ctx)?)?;
    g.set("load", load_fn(&lua, ctx)?)?;
    g.set("loadfile", loadfile_fn(&lua, ctx)?)?;
    g.set("dofile", dofile_fn(&lua, ctx)?)?;
    g.set("require", require_fn(&lua, ctx)?)?;
    g.set("indicator", indicator_fn(&lua, ctx)?)?;

    let c = ctx.clone();
    let forbid = lua.create_function(move |lua, what: String| -> mlua::Result<()> {
        let _ = &c;
        Err(raise(
            lua,
            ScriptErrorKind::Sandbox,
            format!("`{what}` is not available to indicator scripts (sandbox)"),
            Some("scripts may use string, table, math, utf8, os.time/clock/date and files of their own folder"),
        ))
    })?;
    let c = ctx.clone();
    let limit_hit = lua.create_function(move |_, ()| Ok(c.sticky.borrow().is_some()))?;
    let c = ctx.clone();
    let mem_hit = lua.create_function(move |lua, ()| {
        let e = c.memory_error(lua, 0);
        drop(e);
        Ok(true)
    })?;
    let c = ctx.clone();
    let mem_check = lua.create_function(move |lua, bytes: f64| {
        let bytes = if bytes.is_finite() && bytes > 0.0 {
            bytes.min(usize::MAX as f64) as usize
        } else {
            0
        };
        if c.fits(lua, bytes) {
            Ok(())
        } else {
            Err(c.memory_error(lua, bytes))
        }
    })?;
    let no_gc = lua.create_function(|lua, ()| -> mlua::Result<()> {
        Err(raise(
            lua,
            ScriptErrorKind::Sandbox,
            "setmetatable: a metatable with `__gc` (a finalizer) is not allowed: Lua runs \
             finalizers outside the instruction limit, so one that never returns would hang \
             the chart"
                .into(),
            Some(GC_HELP),
        ))
    })?;
    lua.load(PRELUDE)
        .set_name(HOST_CHUNK)
        .call::<()>((forbid, limit_hit, mem_hit, modules, mem_check, no_gc))?;
    lua.set_memory_limit(ctx.memory_limit)?;
    install_hook(&lua, ctx)?;
    Ok(lua)
}

/// Replaces the unsafe parts of the standard library with stubs that raise
/// sandbox errors, and wraps `pcall`/`xpcall` so a limit error cannot be caught.
const PRELUDE: &str = r#"
local forbid, limit_hit, mem_hit, modules, mem_check, no_gc = ...
local setmetatable, error, tostring, type, rawget = setmetatable, error, tostring, type, rawget
-- Lua 5.4 runs `__gc` finalizers with hooks off (so without the instruction
-- limit), at any allocation and when the state closes: one that never
-- returns would hang the host. Lua marks an object for finalization only if
-- its metatable has a `__gc` field when `setmetatable` is called (manual
-- §2.5.3) and looks the finalizer up again when it runs, so any non-nil
-- `__gc` (even `false`, replaced later) is refused here; a `__gc` added to
-- a metatable afterwards marks nothing. Userdata metatables are locked by
-- mlua (`__metatable`), and `debug.setmetatable` does not exist.
_G.setmetatable = function(t, mt)
  if type(mt) == "table" and rawget(mt, "__gc") ~= nil then no_gc() end
  return setmetatable(t, mt)
end
local function stub(name)
  return setmetatable({}, {
    __index = function(_, k) forbid(name .. "." .. tostring(k)) end,
    __newindex = function(_, k) forbid(name .. "." .. tostring(k)) end,
    __call = function() forbid(name) end,
  })
end
io = stub("io")
debug = stub("debug")
coroutine = stub("coroutine")
package = setmetatable({ loaded = modules }, {
  __index = function(_, k) forbid("package." .. tostring(k)) end,
})
local raw_os = os
-- Bar times are UTC, so the scripts' "local time" is UTC: os.time of a date
-- table (QUIK's T(i), os.date("*t", t)) gives the same instant back, and a
-- script computes the same on every machine, whatever its time zone.
local raw_time, raw_date, tointeger = raw_os.time, raw_os.date, math.tointeger
local function days_from_civil(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = y // 400
  local yoe = y - era * 400
  local doy = (153 * (m > 2 and m - 3 or m + 9) + 2) // 5 + d - 1
  return era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468
end
local function utc_time(t)
  if t == nil then return raw_time() end
  if type(t) ~= "table" then
    error("bad argument #1 to 'time' (table expected, got " .. type(t) .. ")", 2)
  end
  local function field(k, default)
    local v = t[k]
    if v == nil then
      if default == nil then error("field '" .. k .. "' missing in date table", 3) end
      return default
    end
    local i = tointeger(v)
    if i == nil then error("field '" .. k .. "' is not an integer", 3) end
    return i
  end
  local year, month, day = field("year"), field("month"), field("day")
  local hour, min, sec = field("hour", 12), field("min", 0), field("sec", 0)
  local y, m = year + (month - 1) // 12, (month - 1) % 12 + 1
  return (days_from_civil(y, m, 1) + day - 1) * 86400 + hour * 3600 + min * 60 + sec
end
local function utc_date(fmt, t)
  if fmt == nil then fmt = "%c" end
  if type(fmt) == "string" and fmt:sub(1, 1) ~= "!" then fmt = "!" .. fmt end
  if t == nil then return raw_date(fmt) end
  return raw_date(fmt, t)
end
os = setmetatable({ time = utc_time, clock = raw_os.clock, date = utc_date,
                    difftime = raw_os.difftime }, {
  __index = function(_, k) forbid("os." .. tostring(k)) end,
})
string.dump = nil
-- Checked up front so a huge string.rep fails at the script's line.
local raw_rep = string.rep
string.rep = function(s, n, sep)
  if type(n) == "number" and n > 0 then
    mem_check((#tostring(s) + (sep and #tostring(sep) or 0)) * n)
  end
  return raw_rep(s, n, sep)
end
setmetatable(string, { __index = function(_, k)
  if k == "dump" then forbid("string.dump") end
end })
local raw_cg = collectgarbage
collectgarbage = function(opt, ...)
  if opt == "count" then return raw_cg("count") end
  forbid('collectgarbage("' .. tostring(opt or "collect") .. '")')
end
unpack = table.unpack
local raw_pcall, raw_xpcall = pcall, xpcall
local function pass(ok, ...)
  if not ok then
    local e = ...
    if limit_hit() or (e == "not enough memory" and mem_hit()) then error(e, 0) end
  end
  return ok, ...
end
pcall = function(f, ...) return pass(raw_pcall(f, ...)) end
xpcall = function(f, msgh, ...)
  return pass(raw_xpcall(f, function(e)
    if limit_hit() then return e end
    return msgh(e)
  end, ...))
end
"#;

/// Help of the `__gc` refusal.
const GC_HELP: &str = "release what the script holds explicitly, or use a to-be-closed variable \
                       (`local x <close> = ...` with a `__close` metamethod), which runs under the \
                       instruction limit";

fn print_fn(lua: &Lua, ctx: &Rc<Ctx>) -> mlua::Result<Function> {
    let c = ctx.clone();
    let tostring: Function = lua.globals().get("tostring")?;
    lua.create_function(move |_, args: Variadic<Value>| {
        let mut parts = Vec::with_capacity(args.len());
        for a in args.iter() {
            let s: String = tostring.call(a.clone())?;
            parts.push(s);
        }
        c.log_line(parts.join("\t"));
        Ok(())
    })
}

fn sandbox_err(lua: &Lua, message: String) -> mlua::Error {
    raise(
        lua,
        ScriptErrorKind::Sandbox,
        message,
        Some("scripts may only load files from their own folder (and its subfolders)"),
    )
}

fn load_fn(lua: &Lua, _ctx: &Rc<Ctx>) -> mlua::Result<Function> {
    lua.create_function(
        |lua, (chunk, name, mode, env): (Value, Option<String>, Option<String>, Option<Table>)| {
            if mode.as_deref().is_some_and(|m| m.contains('b')) {
                return Err(sandbox_err(
                    lua,
                    "load: binary (precompiled) chunks are not allowed (mode \"b\")".into(),
                ));
            }
            let text: Vec<u8> = match chunk {
                Value::String(s) => s.as_bytes().to_vec(),
                Value::Function(f) => {
                    let mut buf = Vec::new();
                    loop {
                        let piece: Option<mlua::LuaString> = f.call(())?;
                        match piece {
                            Some(p) if !p.as_bytes().is_empty() => {
                                buf.extend_from_slice(&p.as_bytes())
                            }
                            _ => break,
                        }
                    }
                    buf
                }
                other => {
                    return Err(raise(
                        lua,
                        ScriptErrorKind::Runtime,
                        format!(
                            "bad argument #1 to 'load' (string expected, got {})",
                            other.type_name()
                        ),
                        None,
                    ));
                }
            };
            if text.first() == Some(&0x1b) {
                return Err(sandbox_err(
                    lua,
                    "load: binary (precompiled) chunks are not allowed".into(),
                ));
            }
            let mut chunk = lua
                .load(text)
                .set_name(name.unwrap_or_else(|| "=(load)".into()))
                .set_mode(ChunkMode::Text);
            if let Some(env) = env {
                chunk = chunk.set_environment(env);
            }
            match chunk.into_function() {
                Ok(f) => Ok((Value::Function(f), Value::Nil)),
                Err(mlua::Error::SyntaxError { message, .. }) => {
                    Ok((Value::Nil, Value::String(lua.create_string(&message)?)))
                }
                Err(e) => Err(e),
            }
        },
    )
}

/// Resolves `raw` against the script folder; errors (Sandbox) when the
/// result, after `..` and symlinks, lies outside it. QUIK scripts' Windows
/// paths work: `\` separates folders, `<getWorkingFolder()>\LuaIndicators\x.lua`
/// (QUIK's indicator folder) is the script's own folder, and a file name
/// that differs only in case is found.
fn resolve(lua: &Lua, ctx: &Ctx, func: &str, raw: &str) -> mlua::Result<(PathBuf, String)> {
    let slashed = raw.replace('\\', "/");
    let p = Path::new(&slashed);
    let joined = if p.is_absolute() {
        p.to_path_buf()
    } else {
        ctx.folder.join(p)
    };
    let lexical = quik_alias(&ctx.folder, normalize(&joined));
    if !lexical.starts_with(&ctx.folder) {
        return Err(sandbox_err(
            lua,
            format!(
                "{func}: `{raw}` is outside the script's folder `{}`",
                ctx.folder.display()
            ),
        ));
    }
    match any_case(lexical).canonicalize() {
        Ok(c) => match c.strip_prefix(&ctx.folder) {
            Ok(rel) => {
                let name = chunk_name(rel);
                Ok((c, name))
            }
            Err(_) => Err(sandbox_err(
                lua,
                format!(
                    "{func}: `{raw}` resolves to `{}`, outside the script's folder `{}` (a symlink?)",
                    c.display(),
                    ctx.folder.display()
                ),
            )),
        },
        Err(e) => Err(raise(
            lua,
            ScriptErrorKind::Runtime,
            format!("{func}: cannot open `{raw}`: {e}"),
            None,
        )),
    }
}

/// Maps QUIK's indicator folder onto the script's folder: `<parent of the
/// folder>/LuaIndicators/<rest>` (where QUIK scripts find their libraries
/// through `getWorkingFolder()`), and `<folder>/LuaIndicators/<rest>` (a
/// path relative to QUIK's folder) when the folder has no such subfolder.
fn quik_alias(folder: &Path, path: PathBuf) -> PathBuf {
    let is_ind = |c: Option<Component<'_>>| {
        c.is_some_and(|c| c.as_os_str().eq_ignore_ascii_case("luaindicators"))
    };
    if let Ok(rel) = path.strip_prefix(folder) {
        let mut comps = rel.components();
        let first = comps.next();
        if is_ind(first) && first.is_some_and(|c| !folder.join(c).exists()) {
            return folder.join(comps.as_path());
        }
        return path;
    }
    if let Some(parent) = folder.parent()
        && let Ok(rel) = path.strip_prefix(parent)
    {
        let mut comps = rel.components();
        if is_ind(comps.next()) {
            return folder.join(comps.as_path());
        }
    }
    path
}

/// `path`, or a file of the same folder whose name differs only in case
/// (QUIK runs on Windows, where names are case-insensitive).
fn any_case(path: PathBuf) -> PathBuf {
    if path.exists() {
        return path;
    }
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return path;
    };
    let want = name.to_string_lossy().to_lowercase();
    let found = std::fs::read_dir(dir).ok().and_then(|entries| {
        entries
            .filter_map(Result::ok)
            .find(|e| e.file_name().to_string_lossy().to_lowercase() == want)
    });
    match found {
        Some(e) => dir.join(e.file_name()),
        None => path,
    }
}

/// Resolves `.` and `..` without touching the file system.
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Compiles a file of the script's folder as a text chunk.
fn compile_file(lua: &Lua, path: &Path, name: &str, env: Option<Table>) -> mlua::Result<Function> {
    let text = read_text(path)
        .map_err(|e| raise(lua, ScriptErrorKind::Runtime, e.message, e.help.as_deref()))?;
    let mut chunk = lua
        .load(text)
        .set_name(format!("@{name}"))
        .set_mode(ChunkMode::Text);
    if let Some(env) = env {
        chunk = chunk.set_environment(env);
    }
    chunk.into_function()
}

/// Runs `f` one level deeper in the `dofile`/`require` nesting.
fn nested<R>(lua: &Lua, ctx: &Ctx, f: impl FnOnce() -> mlua::Result<R>) -> mlua::Result<R> {
    if ctx.depth.get() >= MAX_DEPTH {
        return Err(raise(
            lua,
            ScriptErrorKind::Runtime,
            format!("dofile/require nested more than {MAX_DEPTH} deep (does a file load itself?)"),
            None,
        ));
    }
    ctx.depth.set(ctx.depth.get() + 1);
    let r = f();
    ctx.depth.set(ctx.depth.get() - 1);
    r
}

fn dofile_fn(lua: &Lua, ctx: &Rc<Ctx>) -> mlua::Result<Function> {
    let c = ctx.clone();
    lua.create_function(move |lua, path: Option<String>| {
        let Some(path) = path else {
            return Err(sandbox_err(
                lua,
                "dofile() without a file reads standard input".into(),
            ));
        };
        let (abs, name) = resolve(lua, &c, "dofile", &path)?;
        nested(lua, &c, || {
            compile_file(lua, &abs, &name, None)?.call::<MultiValue>(())
        })
    })
}

fn loadfile_fn(lua: &Lua, ctx: &Rc<Ctx>) -> mlua::Result<Function> {
    let c = ctx.clone();
    lua.create_function(
        move |lua, (path, mode, env): (Option<String>, Option<String>, Option<Table>)| {
            if mode.as_deref().is_some_and(|m| m.contains('b')) {
                return Err(sandbox_err(
                    lua,
                    "loadfile: binary chunks are not allowed".into(),
                ));
            }
            let Some(path) = path else {
                return Err(sandbox_err(
                    lua,
                    "loadfile() without a file reads standard input".into(),
                ));
            };
            let (abs, name) = resolve(lua, &c, "loadfile", &path)?;
            match compile_file(lua, &abs, &name, env) {
                Ok(f) => Ok((Value::Function(f), Value::Nil)),
                Err(mlua::Error::SyntaxError { message, .. }) => {
                    Ok((Value::Nil, Value::String(lua.create_string(&message)?)))
                }
                Err(e) => Err(e),
            }
        },
    )
}

fn require_fn(lua: &Lua, ctx: &Rc<Ctx>) -> mlua::Result<Function> {
    let c = ctx.clone();
    lua.create_function(move |lua, name: String| {
        let modules: Table = lua.named_registry_value(MODULES_KEY)?;
        match modules.raw_get::<Value>(name.as_str())? {
            Value::Nil => {}
            Value::LightUserData(_) => {
                return Err(raise(
                    lua,
                    ScriptErrorKind::Runtime,
                    format!("require cycle: module `{name}` requires itself"),
                    None,
                ));
            }
            v => return Ok(v),
        }
        // A name with a slash is a path; otherwise dots separate folders, as in Lua.
        let stem = if name.contains('/') || name.contains('\\') {
            name.trim_end_matches(".lua").to_string()
        } else {
            name.replace('.', "/")
        };
        let candidates = [format!("{stem}.lua"), format!("{stem}/init.lua")];
        let mut tried = Vec::new();
        for cand in &candidates {
            let lexical = normalize(&c.folder.join(cand));
            if !lexical.starts_with(&c.folder) {
                return Err(sandbox_err(
                    lua,
                    format!(
                        "require: `{name}` ({}) is outside the script's folder `{}`",
                        lexical.display(),
                        c.folder.display()
                    ),
                ));
            }
            if !lexical.exists() {
                tried.push(lexical.display().to_string());
                continue;
            }
            let (abs, chunk) = resolve(lua, &c, "require", cand)?;
            let busy = Value::LightUserData(mlua::LightUserData(std::ptr::null_mut()));
            modules.raw_set(name.as_str(), busy)?;
            let result = nested(lua, &c, || {
                compile_file(lua, &abs, &chunk, None)?.call::<Value>((name.as_str(), cand.as_str()))
            });
            let v = match result {
                Ok(Value::Nil) => Value::Boolean(true),
                Ok(v) => v,
                Err(e) => {
                    modules.raw_set(name.as_str(), Value::Nil)?;
                    return Err(e);
                }
            };
            modules.raw_set(name.as_str(), v.clone())?;
            return Ok(v);
        }
        Err(raise(
            lua,
            ScriptErrorKind::Runtime,
            format!("module `{name}` not found; tried {}", tried.join(", ")),
            Some(
                "modules are looked up in the script's folder: `require(\"util\")` loads util.lua",
            ),
        ))
    })
}

fn indicator_fn(lua: &Lua, ctx: &Rc<Ctx>) -> mlua::Result<Function> {
    let c = ctx.clone();
    lua.create_function(move |lua, decl: Value| {
        let line = super::ctx::caller_loc(lua).map(|(_, l)| l);
        if let Some(first) = c.decl_line.get() {
            return Err(raise(
                lua,
                ScriptErrorKind::Declaration,
                format!("indicator{{...}} is called twice (first at line {first})"),
                Some("declare the indicator once, at the top of the script"),
            ));
        }
        let Value::Table(t) = decl else {
            return Err(raise(
                lua,
                ScriptErrorKind::Declaration,
                format!("indicator expects a table, got {}", decl.type_name()),
                Some("write `indicator { name = \"...\", outputs = { ... } }`"),
            ));
        };
        c.decl_line.set(line);
        lua.set_named_registry_value(DECL_KEY, t)?;
        Ok(())
    })
}
