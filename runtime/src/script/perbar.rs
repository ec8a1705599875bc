//! Drivers for per-bar and QUIK scripts, and the `state` checkpoint.
//!
//! The bar loop runs in Lua (a Rust → Lua call per bar costs more than the
//! bar itself); results go to Lua tables that the host reads afterwards.

use std::collections::HashMap;
use std::ffi::c_void;

use mlua::{Function, Lua, Table, Value};

use super::ctx::raise;
use super::error::{HOST_CHUNK, Raised, ScriptErrorKind};

/// Builds the per-bar driver for `k` outputs: `run(first, last, state, p,
/// o1..ok)` calls `on_bar` for each bar and stores its results (nil → NaN);
/// `cur()` tells the bar being computed.
pub(crate) fn perbar_driver(
    lua: &Lua,
    on_bar: Function,
    outputs: &[String],
) -> mlua::Result<(Function, Function)> {
    let k = outputs.len();
    let names = outputs.join(", ");
    // The driver is host code: point at on_bar itself.
    let info = on_bar.info();
    let loc = info.short_src.zip(info.line_defined);
    let too_many = lua.create_function(move |_, i: i64| -> mlua::Result<()> {
        Err(mlua::Error::external(Raised {
            kind: ScriptErrorKind::Output,
            message: format!("on_bar returned more than {k} values at bar {i}; the script declares {k} outputs ({names})"),
            loc: loc.clone(),
            help: Some("return one value per declared output, in order".into()),
            traceback: None,
        }))
    })?;
    if k > UNROLL_MAX {
        return lua
            .load(PERBAR_ANY)
            .set_name(HOST_CHUNK)
            .call((on_bar, too_many, k));
    }
    let outs: Vec<String> = (1..=k).map(|j| format!("o{j}")).collect();
    let rets: Vec<String> = (1..=k).map(|j| format!("r{j}")).collect();
    let stores: String = (1..=k)
        .map(|j| format!("    o{j}[i] = r{j} or NaN\n"))
        .collect();
    let src = format!(
        "local on_bar, too_many = ...\nlocal NaN = 0 / 0\nlocal cur = 0\n\
         local function run(first, last, state, p, {outs})\n  for i = first, last do\n    cur = i\n    \
         local {rets}, extra = on_bar(i, state, p)\n    if extra ~= nil then too_many(i) end\n{stores}  end\nend\n\
         return run, function() return cur end\n",
        outs = outs.join(", "),
        rets = rets.join(", "),
    );
    lua.load(src).set_name(HOST_CHUNK).call((on_bar, too_many))
}

/// Up to this many outputs the drivers name one local per output (fastest);
/// beyond, they index tables, since a Lua function has at most 200 locals.
const UNROLL_MAX: usize = 60;

/// The per-bar driver for any number of outputs.
const PERBAR_ANY: &str = "local on_bar, too_many, k = ...
local NaN = 0 / 0
local cur = 0
local function run(first, last, state, p, ...)
  local outs = { ... }
  for i = first, last do
    cur = i
    local r = { on_bar(i, state, p) }
    if r[k + 1] ~= nil then too_many(i) end
    for j = 1, k do outs[j][i] = r[j] or NaN end
  end
end
return run, function() return cur end
";

/// The QUIK driver for any number of lines.
const QUIK_ANY: &str = "local OnCalculate, k = ...
local NaN = 0 / 0
local cur = 0
local function run(first, last, stale, ...)
  local outs = { ... }
  for j = 1, k do
    local o = outs[j]
    for i = first, last do o[i] = NaN end
    for i = last + 1, stale do o[i] = nil end
  end
  for i = first, last do
    cur = i
    local r = { OnCalculate(i) }
    for j = 1, k do
      local v = r[j]
      if v ~= nil then outs[j][i] = v end
    end
  end
end
return run, function() return cur end
";

/// Builds the QUIK driver for `k` lines: `run(first, last, stale, o1..ok)`
/// clears rows `first..=last` (and drops rows up to `stale` left from a
/// longer history), then calls `OnCalculate(i)` for each; a nil result
/// leaves what `SetValue` wrote (or no value). Clearing first means
/// `GetValue` never sees a value of an earlier computation of a bar not yet
/// recomputed.
pub(crate) fn quik_driver(
    lua: &Lua,
    on_calc: Function,
    k: usize,
) -> mlua::Result<(Function, Function)> {
    if k > UNROLL_MAX {
        return lua.load(QUIK_ANY).set_name(HOST_CHUNK).call((on_calc, k));
    }
    let outs: Vec<String> = (1..=k).map(|j| format!("o{j}")).collect();
    let rets: Vec<String> = (1..=k).map(|j| format!("r{j}")).collect();
    let clear: String = (1..=k).map(|j| format!("    o{j}[i] = NaN\n")).collect();
    let drop: String = (1..=k).map(|j| format!("    o{j}[i] = nil\n")).collect();
    let stores: String = (1..=k)
        .map(|j| format!("    if r{j} ~= nil then o{j}[i] = r{j} end\n"))
        .collect();
    let src = format!(
        "local OnCalculate = ...\nlocal NaN = 0 / 0\nlocal cur = 0\n\
         local function run(first, last, stale, {outs})\n  for i = first, last do\n{clear}  end\n  \
         for i = last + 1, stale do\n{drop}  end\n  for i = first, last do\n    cur = i\n    \
         local {rets} = OnCalculate(i)\n{stores}  end\nend\n\
         return run, function() return cur end\n",
        outs = outs.join(", "),
        rets = rets.join(", "),
    );
    lua.load(src).set_name(HOST_CHUNK).call(on_calc)
}

/// Copies a plain-data table (numbers, strings, booleans, nested tables;
/// shared and cyclic references kept). Functions, userdata and threads are
/// errors: they cannot be checkpointed.
pub(crate) fn deep_copy(lua: &Lua, t: &Table) -> mlua::Result<Table> {
    let mut seen = HashMap::new();
    copy_table(lua, t, &mut seen, "state", 0)
}

/// Tables nested deeper than this in `state` are an error (the copy
/// recurses on the host's stack).
const MAX_NESTING: usize = 100;

fn copy_table(
    lua: &Lua,
    t: &Table,
    seen: &mut HashMap<*const c_void, Table>,
    path: &str,
    depth: usize,
) -> mlua::Result<Table> {
    if let Some(c) = seen.get(&t.to_pointer()) {
        return Ok(c.clone());
    }
    if depth >= MAX_NESTING {
        return Err(raise(
            lua,
            ScriptErrorKind::Runtime,
            format!("`state` nests tables more than {MAX_NESTING} deep (at `{path}`)"),
            Some("keep history in flat arrays (state.values[i]) rather than linked tables"),
        ));
    }
    let out = lua.create_table()?;
    seen.insert(t.to_pointer(), out.clone());
    for pair in t.pairs::<Value, Value>() {
        let (k, v) = pair?;
        let key_path = match &k {
            Value::String(s) => format!("{path}.{}", s.to_string_lossy()),
            Value::Integer(i) => format!("{path}[{i}]"),
            other => format!("{path}[{}]", other.type_name()),
        };
        let k = copy_value(lua, k, seen, &key_path, depth)?;
        let v = copy_value(lua, v, seen, &key_path, depth)?;
        out.raw_set(k, v)?;
    }
    Ok(out)
}

fn copy_value(
    lua: &Lua,
    v: Value,
    seen: &mut HashMap<*const c_void, Table>,
    path: &str,
    depth: usize,
) -> mlua::Result<Value> {
    match v {
        Value::Table(t) => Ok(Value::Table(copy_table(lua, &t, seen, path, depth + 1)?)),
        Value::Nil
        | Value::Boolean(_)
        | Value::Integer(_)
        | Value::Number(_)
        | Value::String(_) => Ok(v),
        other => Err(raise(
            lua,
            ScriptErrorKind::Runtime,
            format!(
                "`{path}` holds a {}, but state may hold only numbers, strings, booleans and tables",
                super::series::type_name(&other)
            ),
            Some(
                "keep functions and series outside `state` (locals or globals); the host copies `state` to recompute the last bar",
            ),
        )),
    }
}
