//! Input columns as Lua sees them, created only when a script first reads
//! them (`close`, `inputs.a`, QUIK's `C(i)`), so unused columns cost nothing.
//!
//! Vectorized scripts get series that view the host's columns (no copy).
//! Per-bar and QUIK scripts get plain Lua tables (a table read is several times cheaper than a call
//! into Rust per bar); these persist and only their changed tail is
//! rewritten on each call.

use std::cell::RefCell;
use std::rc::Rc;

use mlua::{Function, Lua, Table, Value};

use super::ScriptInputs;
use super::ctx::{Ctx, raise};
use super::error::{HOST_CHUNK, ScriptErrorKind};
use super::series::{Lender, Series};

/// A column of the inputs, by key (`close`, `inputs.a`).
pub(crate) enum Col<'a> {
    F(&'a [f64]),
    /// Nanosecond timestamps, seen by Lua as seconds.
    T(&'a [i64]),
}

impl Col<'_> {
    pub fn at(&self, i: usize) -> f64 {
        match self {
            Col::F(v) => v[i],
            Col::T(t) => t[i] as f64 / 1e9,
        }
    }

    pub fn to_vec(&self) -> Vec<f64> {
        match self {
            Col::F(v) => v.to_vec(),
            Col::T(t) => t.iter().map(|&x| x as f64 / 1e9).collect(),
        }
    }
}

/// Looks a column up by key.
pub(crate) fn column<'a>(inputs: &'a ScriptInputs<'_>, key: &str) -> Option<Col<'a>> {
    Some(match key {
        "open" => Col::F(inputs.open),
        "high" => Col::F(inputs.high),
        "low" => Col::F(inputs.low),
        "close" => Col::F(inputs.close),
        "volume" => Col::F(inputs.volume),
        "time" => Col::T(inputs.time_ns),
        k => {
            let name = k.strip_prefix("inputs.")?;
            let (_, v) = inputs.named.iter().find(|(n, _)| n == name)?;
            Col::F(v)
        }
    })
}

/// Sets up the lazy globals (`open` ... `time`, `inputs`) and QUIK's column
/// table; returns the host table whose `mat` field the host sets while a
/// call runs.
pub(crate) fn install(lua: &Lua) -> mlua::Result<Table> {
    let host = lua.create_table()?;
    lua.load(LAZY).set_name(HOST_CHUNK).call::<()>(&host)?;
    Ok(host)
}

const LAZY: &str = r#"
local host = ...
local rawset, type = rawset, type
local std = { open = true, high = true, low = true, close = true, volume = true, time = true }
setmetatable(_G, { __index = function(t, k)
  if std[k] then
    local m = host.mat
    if m then local v = m(k); rawset(t, k, v); return v end
  end
  return nil
end })
inputs = setmetatable({}, { __index = function(t, k)
  local m = host.mat
  if m and type(k) == "string" then local v = m("inputs." .. k); rawset(t, k, v); return v end
  return nil
end })
host.cols = setmetatable({}, { __index = function(t, k)
  local m = host.mat
  if m then local v = m(k); rawset(t, k, v); return v end
  return nil
end })
host.clear = function()
  for k in pairs(std) do rawset(_G, k, nil) end
  local i = rawget(_G, "inputs")
  if type(i) == "table" then for k in pairs(i) do rawset(i, k, nil) end end
end
"#;

/// Error for a name the chart did not give in `inputs`.
fn missing_input(lua: &Lua, inputs: &ScriptInputs<'_>, key: &str) -> mlua::Error {
    let name = key.strip_prefix("inputs.").unwrap_or(key);
    let have: Vec<&str> = inputs.named.iter().map(|(n, _)| n.as_str()).collect();
    raise(
        lua,
        ScriptErrorKind::Params,
        format!("the script reads `inputs.{name}`, which the chart does not give"),
        Some(&if have.is_empty() {
            format!(
                "add `inputs = {{ {name} = \"<source>.close\" }}` to the indicator in the chart file"
            )
        } else {
            format!("the chart gives inputs: {}", have.join(", "))
        }),
    )
}

/// Runs a vectorized script's call `f` with `host.mat` handing out its input
/// series: float columns are lent to Lua without a copy for the duration of
/// the call ([`Lender`]); the time column (seconds, converted from
/// nanoseconds) is built in each call that reads it.
#[allow(unsafe_code)]
pub(crate) fn with_series<R>(
    lua: &Lua,
    ctx: &Rc<Ctx>,
    host: &Table,
    inputs: &ScriptInputs<'_>,
    f: impl FnOnce() -> mlua::Result<R>,
) -> mlua::Result<R> {
    let clear: Function = host.get("clear")?;
    clear.call::<()>(())?;
    let len = inputs.close.len();
    let lender = Lender::default();
    // Whatever happens below, no lent series outlives this call unowned.
    struct Detach<'a>(&'a Lender);
    impl Drop for Detach<'_> {
        fn drop(&mut self) {
            self.0.detach_all();
        }
    }
    let _detach = Detach(&lender);
    let r = lua.scope(|scope| {
        let mat = scope.create_function(|lua, key: String| {
            match column(inputs, &key).ok_or_else(|| missing_input(lua, inputs, &key))? {
                // SAFETY: `inputs` outlives this call, and `_detach`
                // copies what Lua still holds before it returns.
                Col::F(v) => Ok(unsafe { lender.lend(ctx, v) }),
                col @ Col::T(_) => Series::make(lua, ctx, len, || col.to_vec()),
            }
        })?;
        host.set("mat", mat)?;
        f()
    });
    // The host's own Lua code below runs even after the budget ran out.
    ctx.resume(lua);
    host.set("mat", Value::Nil)?;
    // Drop the globals' references and collect, so that only series the
    // script itself kept (or returned) are copied by `_detach`.
    clear.call::<()>(())?;
    lua.gc_collect()?;
    r
}

/// Persistent table columns of a per-bar or QUIK instance.
#[derive(Default)]
pub(crate) struct TableCols {
    /// Materialized columns by key, each holding rows 1..=`len`.
    cols: Vec<(String, Table)>,
    len: usize,
}

impl TableCols {
    /// Brings the materialized tables up to date (rows `from..` changed), then
    /// runs `f` with `host.mat` creating missing tables on demand.
    pub fn with_tables<R>(
        &mut self,
        lua: &Lua,
        ctx: &Rc<Ctx>,
        host: &Table,
        inputs: &ScriptInputs<'_>,
        from: usize,
        f: impl FnOnce() -> mlua::Result<R>,
    ) -> mlua::Result<R> {
        let len = inputs.close.len();
        let from = from.min(self.len);
        for (key, t) in &self.cols {
            let col = column(inputs, key).ok_or_else(|| missing_input(lua, inputs, key))?;
            let grow = len.saturating_sub(self.len) * 16;
            fast(lua, ctx, grow, || {
                for i in from..len {
                    t.raw_set(i + 1, col.at(i))?;
                }
                for i in len..self.len {
                    t.raw_set(i + 1, Value::Nil)?;
                }
                Ok(())
            })?;
        }
        self.len = len;
        let created: RefCell<Vec<(String, Table)>> = RefCell::new(Vec::new());
        let r = lua.scope(|scope| {
            let mat = scope.create_function(|lua, key: String| {
                let col = column(inputs, &key).ok_or_else(|| missing_input(lua, inputs, &key))?;
                let t = fast(lua, ctx, len * 16 + 64, || {
                    lua.create_sequence_from((0..len).map(|i| col.at(i)))
                })?;
                created.borrow_mut().push((key, t.clone()));
                Ok(t)
            })?;
            host.set("mat", mat)?;
            f()
        });
        host.set("mat", Value::Nil)?;
        self.cols.extend(created.into_inner());
        r
    }
}

/// Runs a bulk fill from Rust with the Lua allocator unlimited, after
/// checking that `bytes` more fit. (With a limit set, mlua protects every
/// single table write, which makes filling four times slower.)
pub(crate) fn fast<R>(
    lua: &Lua,
    ctx: &Ctx,
    bytes: usize,
    f: impl FnOnce() -> mlua::Result<R>,
) -> mlua::Result<R> {
    if !ctx.fits(lua, bytes) {
        lua.gc_collect()?;
        if !ctx.fits(lua, bytes) {
            return Err(ctx.memory_error(lua, bytes));
        }
    }
    lua.set_memory_limit(0)?;
    let r = f();
    lua.set_memory_limit(ctx.memory_limit)?;
    r
}
