//! QUIK indicator scripts (`Settings`, `Init`, `OnCalculate`) run unmodified.
//!
//! The indicator API of ARQA's QLua manual ("Интерпретатор языка Lua",
//! indicators chapter) on the chart's own bars: `O H L C V` (nil for a
//! missing or out-of-range candle), `T(i)` (the candle's date-time table),
//! `Size`, `CandleExist`, `SetValue`, `GetValue`, `SetRangeValue`, `RGB`,
//! the `TYPE_*` line styles, `INTERVAL_*`, `isDarkTheme`, `message`,
//! `PrintDbgStr`, `getDataSourceInfo`, `getScriptPath`, `getWorkingFolder`,
//! the chart instrument's `SEC_PRICE_STEP` and `SEC_SCALE` through
//! `getParamEx`/`getSecurityInfo`, QLua's `bit` library and the Lua 5.3 `math` compatibility functions
//! (`math.pow`, ...) that QUIK's Lua is built with. QLua functions that need
//! a QUIK terminal (server parameters, other charts by tag, labels, tables,
//! transactions) exist but raise an [`ScriptErrorKind::Unsupported`] error
//! naming themselves, so a script that calls one stops with a clear message
//! (or catches it with `pcall`) rather than "attempt to call a nil value".
//!
//! QUIK documents the names of the line-type constants, not their values;
//! the values here are our own and scripts use the names.

use std::path::Path;
use std::rc::Rc;

use chrono::{Datelike, Timelike};
use mlua::{Function, Lua, Table, Value};
use serde_json::json;

use super::ctx::{Ctx, raise};
use super::decl::{
    DeclError, LineDash, MarkerShape, OutputDecl, OutputStyle, ParamDecl, ParamType,
};
use super::error::{HOST_CHUNK, ScriptErrorKind};

/// Line types (name, value), as QUIK indicator scripts use them in
/// `Settings.line[i].Type`. `TYPE_DASHLINE` is an alias of `TYPE_DASH`.
const TYPES: [(&str, i64); 10] = [
    ("TYPE_LINE", 1),
    ("TYPE_HISTOGRAM", 2),
    ("TYPE_DASH", 3),
    ("TYPE_DASHDOT", 4),
    ("TYPE_DOT", 5),
    ("TYPE_POINT", 7),
    ("TYPE_TRIANGLE_UP", 8),
    ("TYPE_TRIANGLE_DOWN", 9),
    ("TYPET_BAR", 10),
    ("TYPE_DASHLINE", 3),
];

/// QLua's chart intervals in minutes (`getDataSourceInfo().interval`);
/// `INTERVAL_MN1` is QUIK's 23200, not a count of minutes.
const INTERVALS: [(&str, i64); 17] = [
    ("INTERVAL_TICK", 0),
    ("INTERVAL_M1", 1),
    ("INTERVAL_M2", 2),
    ("INTERVAL_M3", 3),
    ("INTERVAL_M4", 4),
    ("INTERVAL_M5", 5),
    ("INTERVAL_M6", 6),
    ("INTERVAL_M10", 10),
    ("INTERVAL_M15", 15),
    ("INTERVAL_M20", 20),
    ("INTERVAL_M30", 30),
    ("INTERVAL_H1", 60),
    ("INTERVAL_H2", 120),
    ("INTERVAL_H4", 240),
    ("INTERVAL_D1", 1440),
    ("INTERVAL_W1", 10080),
    ("INTERVAL_MN1", 23200),
];

/// QLua functions that need a QUIK terminal: each raises an Unsupported
/// error naming itself.
const UNSUPPORTED: &[&str] = &[
    // Server parameters and reference data.
    "ParamRequest",
    "CancelParamRequest",
    "getClassInfo",
    "getClassesList",
    "getClassSecurities",
    "getInfoParam",
    "getTradeDate",
    "getQuoteLevel2",
    "Subscribe_Level_II_Quotes",
    "Unsubscribe_Level_II_Quotes",
    "IsSubscribed_Level_II_Quotes",
    "isConnected",
    // QUIK tables.
    "getItem",
    "getNumberOf",
    "SearchItems",
    "getOrderByNumber",
    "getDepo",
    "getDepoEx",
    "getMoney",
    "getMoneyEx",
    "getFuturesLimit",
    "getFuturesHolding",
    "getPortfolioInfo",
    "getPortfolioInfoEx",
    "getBuySellInfo",
    "getBuySellInfoEx",
    "CalcBuySell",
    "sendTransaction",
    // Other data sources (other chart elements are read by tag).
    "CreateDataSource",
    // Chart labels.
    "AddLabel",
    "DelLabel",
    "DelAllLabels",
    "GetLabelParams",
    "SetLabelParams",
    // Script tables and windows.
    "AllocTable",
    "AddColumn",
    "CreateWindow",
    "SetWindowCaption",
    "SetWindowPos",
    "InsertRow",
    "DeleteRow",
    "Clear",
    "SetCell",
    "GetCell",
    "SetColor",
    "DestroyTable",
    "IsWindowClosed",
    "SetTableNotificationCallback",
    "Highlight",
    // Script control.
    "sleep",
];

/// Registers the QUIK API globals. `host` is the columns host table
/// ([`super::columns::install`]); the instance sets `host.outs`, `host.len`,
/// `host.low` while `OnCalculate` runs.
pub(crate) fn register(lua: &Lua, ctx: &Rc<Ctx>, host: &Table) -> mlua::Result<()> {
    let g = lua.globals();
    for (name, v) in TYPES.iter().chain(INTERVALS.iter()) {
        g.set(*name, *v)?;
    }
    let c = ctx.clone();
    let log = lua.create_function(move |_, s: String| {
        c.log_line(s);
        Ok(())
    })?;
    let tconv = lua.create_function(|lua, secs: f64| datetime(lua, secs))?;
    let unsupported = lua.create_function(unsupported_error)?;
    let c = ctx.clone();
    host.set(
        "element",
        lua.create_function(
            move |lua, args: (Value, Option<i64>, Option<i64>, Option<i64>)| element(lua, &c, args),
        )?,
    )?;
    let folder = ctx.folder.to_string_lossy().to_string();
    // QUIK's working folder holds `LuaIndicators`; scripts reach their
    // libraries as getWorkingFolder() .. "\\LuaIndicators\\lib.lua", which
    // the sandbox maps back onto the script's own folder.
    let working = ctx
        .folder
        .parent()
        .map(|p| p.to_string_lossy().to_string())
        .unwrap_or_else(|| folder.clone());
    host.set("script_path", folder)?;
    host.set("working_folder", working)?;
    host.set("sec_code", "")?;
    host.set("class_code", "")?;
    let unsupported_names = lua.create_sequence_from(UNSUPPORTED.iter().copied())?;
    lua.load(QUIK).set_name(HOST_CHUNK).call::<()>((
        host,
        log,
        tconv,
        unsupported,
        unsupported_names,
    ))
}

/// Raises the Unsupported error for QLua function `name`; `detail` says what
/// exactly is missing when the function exists in part.
fn unsupported_error(lua: &Lua, (name, detail): (String, Option<String>)) -> mlua::Result<()> {
    let message = match detail {
        Some(d) => format!("`{name}`: {d}"),
        None => format!("`{name}` is a QUIK terminal function that gpu-charts does not provide"),
    };
    Err(raise(
        lua,
        ScriptErrorKind::Unsupported,
        message,
        Some(
            "a QUIK indicator runs here on its chart's bars (O H L C V T, Size, SetValue, \
             getDataSourceInfo ...) and reads the chart's other sources by tag \
             (getCandlesByIndex); there is no server, data source, table, label or window; \
             remove the call or wrap it in pcall",
        ),
    ))
}

const QUIK: &str = r##"
local host, log, tconv, unsupported, unsupported_names = ...
local NaN = 0 / 0
local cols, tostring, tonumber, type = host.cols, tostring, tonumber, type
local floor, ceil, max, min, tointeger = math.floor, math.ceil, math.max, math.min, math.tointeger
local format = string.format
host.low = math.huge
host.outs = {}

RGB = function(r, g, b)
  return (floor(r or 0) & 255) | ((floor(g or 0) & 255) << 8) | ((floor(b or 0) & 255) << 16)
end

C = function(i)
  local t = cols.close
  local v = t and t[i]
  if v == nil or v ~= v then return nil end
  return v
end
-- A candle without a close does not exist: all its values are nil.
local function getter(name)
  return function(i)
    local t, c = cols[name], cols.close
    local v, cv = t and t[i], c and c[i]
    if v == nil or v ~= v or cv == nil or cv ~= cv then return nil end
    return v
  end
end
O, H, L, V = getter("open"), getter("high"), getter("low"), getter("volume")
-- An empty candle (CandleExist false) still has its time, as in QUIK.
T = function(i)
  local t = cols.time
  local s = t and t[i]
  if s == nil or s ~= s then return nil end
  return tconv(s)
end
Size = function() return host.len or 0 end
CandleExist = function(i)
  local t = cols.close
  local v = t and t[i]
  return v ~= nil and v == v
end

-- A value for SetValue/SetRangeValue: nil clears the point.
local function point(v)
  if v == nil then return NaN end
  if type(v) == "number" then return v end
  return tonumber(v)
end
SetValue = function(i, line, v)
  local o = host.outs[line]
  if o == nil or type(i) ~= "number" or i ~= i or i < 1 or i > (host.len or 0) or i % 1 ~= 0 then
    return false
  end
  v = point(v)
  if v == nil then return false end
  o[i] = v
  if i < host.low then host.low = i end
  return true
end
GetValue = function(i, line)
  local o = host.outs[line]
  if o == nil or type(i) ~= "number" then return nil end
  local v = o[i]
  if v == nil or v ~= v then return nil end
  return v
end
-- The range is clipped to the candles that exist.
SetRangeValue = function(line, first, last, v)
  local o = host.outs[line]
  if o == nil or type(first) ~= "number" or type(last) ~= "number" then return false end
  v = point(v)
  if v == nil then return false end
  first, last = max(ceil(first), 1), min(floor(last), host.len or 0)
  for i = first, last do o[i] = v end
  if first <= last and first < host.low then host.low = first end
  return true
end

isDarkTheme = function() return host.dark == true end
local levels = { [2] = "warning: ", [3] = "error: " }
message = function(text, level)
  log((levels[level] or "") .. tostring(text))
  return 1
end
PrintDbgStr = function(s) log(tostring(s)) end

-- The most common gap between the first bars, as a QUIK interval.
local function infer_interval()
  local t, n = cols.time, host.len or 0
  if t == nil or n < 2 then return 0 end
  local counts, best, best_n = {}, nil, 0
  for i = 2, min(n, 500) do
    local d = t[i] - t[i - 1]
    if d > 0 then
      local m = floor(d / 60 + 0.5)
      local c = (counts[m] or 0) + 1
      counts[m] = c
      if c > best_n or (c == best_n and m < best) then best, best_n = m, c end
    end
  end
  if best == nil then return 0 end
  if best >= 28 * 1440 then return 23200 end
  return best
end
-- Other chart elements by identifier (tag): the chart's sources (candles)
-- and indicators (one line per output). Candles are indexed from 0.
getNumCandles = function(tag)
  return (host.element(tag))
end
getLinesCount = function(tag)
  local _, lines = host.element(tag)
  return lines
end
getCandlesByIndex = function(tag, line, first, count)
  local _, _, t, n, legend = host.element(tag, line or 0, first or 0, count or 0)
  return t, n, legend
end
getDataSourceInfo = function()
  return {
    class_code = host.class_code,
    sec_code = host.sec_code,
    interval = host.interval or infer_interval(),
  }
end
getScriptPath = function() return host.script_path end
getWorkingFolder = function() return host.working_folder end

-- The chart's instrument: the host's price step and scale, or what the
-- first 500 candles show: the scale is the most decimals a price has (up to
-- 8), the step the greatest common divisor of the price differences.
local cache = {}
local function decimals(v)
  for d = 0, 8 do
    local x = v * 10.0 ^ d
    if math.abs(x - floor(x + 0.5)) <= 1e-9 * max(1, math.abs(x)) then return d end
  end
  return 8
end
local function instrument()
  local n = host.len or 0
  if cache.scale and cache.len == n and cache.hs == host.scale and cache.hp == host.price_step then
    return cache
  end
  local prices, scale = {}, 0
  for _, name in ipairs({ "open", "high", "low", "close" }) do
    local t, c = cols[name], cols.close
    for i = 1, min(n, 500) do
      local v, cv = t and t[i], c and c[i]
      if v ~= nil and v == v and cv == cv and math.abs(v) < 1e12 then
        prices[#prices + 1] = v
        scale = max(scale, decimals(v))
      end
    end
  end
  if host.scale then scale = host.scale end
  local step = host.price_step
  if step == nil and #prices > 0 then
    local unit, g = 10 ^ scale, 0
    local k0 = floor(prices[1] * unit + 0.5)
    for _, v in ipairs(prices) do
      local a, b = math.abs(floor(v * unit + 0.5) - k0), g
      while b ~= 0 do a, b = b, a % b end
      g = a
    end
    step = (g == 0 and 1 or g) / unit
  end
  cache = { len = n, hs = host.scale, hp = host.price_step, scale = step and scale, step = step }
  return cache
end
local function own(fname, class_code, sec_code)
  if (class_code ~= host.class_code and host.class_code ~= "")
      or (sec_code ~= host.sec_code and host.sec_code ~= "") then
    unsupported(fname, format("gpu-charts knows only the chart's own instrument (%s %s), not %s %s",
      tostring(host.class_code), tostring(host.sec_code), tostring(class_code), tostring(sec_code)))
  end
  local ins = instrument()
  if ins.step == nil then
    unsupported(fname, "the instrument's price step and scale are known once the chart has candles; call it from OnCalculate")
  end
  return ins
end
local function param_ex(fname)
  return function(class_code, sec_code, name)
    local key = type(name) == "string" and name:upper() or name
    if key ~= "SEC_PRICE_STEP" and key ~= "SEC_SCALE" then
      unsupported(fname, format("gpu-charts has no parameter %s; it knows the chart instrument's SEC_PRICE_STEP and SEC_SCALE", tostring(name)))
    end
    local ins = own(fname, class_code, sec_code)
    if key == "SEC_SCALE" then
      local v = format("%d", ins.scale)
      return { param_type = "2", param_value = v, param_image = v, result = "1" }
    end
    local v = format("%." .. ins.scale .. "f", ins.step)
    return { param_type = "1", param_value = v, param_image = v, result = "1" }
  end
end
getParamEx, getParamEx2 = param_ex("getParamEx"), param_ex("getParamEx2")
getSecurityInfo = function(class_code, sec_code)
  local ins = own("getSecurityInfo", class_code, sec_code)
  return { class_code = class_code, code = sec_code, name = sec_code, short_name = sec_code,
           scale = ins.scale, min_price_step = ins.step }
end

for _, name in ipairs(unsupported_names) do
  _G[name] = function() unsupported(name) end
end

-- QLua's bit library (bit numbers count from 0).
local function int(x, fname)
  local v = tointeger(x)
  if v == nil and type(x) == "number" and x == x and x > -2^63 and x < 2^63 then v = floor(x) end
  if v == nil then error(format("bad argument to 'bit.%s' (number expected, got %s)", fname, type(x)), 3) end
  return v
end
local function fold(fname, op)
  return function(a, ...)
    local r = int(a, fname)
    for k = 1, select("#", ...) do r = op(r, int((select(k, ...)), fname)) end
    return r
  end
end
bit = {
  band = fold("band", function(a, b) return a & b end),
  bor = fold("bor", function(a, b) return a | b end),
  bxor = fold("bxor", function(a, b) return a ~ b end),
  bnot = function(x) return ~int(x, "bnot") end,
  test = function(x, n) return (int(x, "test") >> int(n, "test")) & 1 == 1 end,
  tohex = function(x, n)
    n = n and int(n, "tohex") or 8
    local fmt = "%0" .. min(max(n < 0 and -n or n, 1), 16) .. (n < 0 and "X" or "x")
    local digits = min(n < 0 and -n or n, 16)
    local v = int(x, "tohex")
    if digits < 16 then v = v & ((1 << (4 * digits)) - 1) end
    return format(fmt, v)
  end,
}

-- Lua 5.3's LUA_COMPAT_MATHLIB functions, which QUIK's Lua keeps.
math.pow = math.pow or function(x, y) return x ^ y end
math.log10 = math.log10 or function(x) return math.log(x, 10) end
math.ldexp = math.ldexp or function(m, e) return m * 2.0 ^ e end
math.frexp = math.frexp or function(x)
  if x == 0 or x ~= x or x == math.huge or x == -math.huge then return x, 0 end
  local e = floor(math.log(math.abs(x), 2)) + 1
  local m = x / 2.0 ^ e
  if math.abs(m) >= 1 then m, e = m / 2, e + 1 elseif math.abs(m) < 0.5 then m, e = m * 2, e - 1 end
  return m, e
end
math.cosh = math.cosh or function(x) return (math.exp(x) + math.exp(-x)) / 2 end
math.sinh = math.sinh or function(x) return (math.exp(x) - math.exp(-x)) / 2 end
math.tanh = math.tanh or function(x)
  if x > 20 then return 1.0 elseif x < -20 then return -1.0 end
  local a, b = math.exp(x), math.exp(-x)
  return (a - b) / (a + b)
end
"##;

/// `host.element(tag [, line, first, count])`: the number of candles and of
/// lines of chart element `tag`, then (with `count`) a table of `count`
/// candles from index `first` (0-based, as QUIK), their number and a legend.
/// An unknown tag is an Unsupported error listing the known ones.
fn element(
    lua: &Lua,
    ctx: &Ctx,
    (tag, line, first, count): (Value, Option<i64>, Option<i64>, Option<i64>),
) -> mlua::Result<mlua::MultiValue> {
    use mlua::IntoLuaMulti;
    let tag = match &tag {
        Value::String(s) => s.to_string_lossy(),
        Value::Integer(i) => i.to_string(),
        Value::Number(n) => n.to_string(),
        other => other.type_name().to_string(),
    };
    let elements = ctx.elements.borrow();
    let Some(e) = elements.iter().find(|e| e.tag == tag) else {
        let known: Vec<&str> = elements.iter().map(|e| e.tag.as_str()).collect();
        return Err(raise(
            lua,
            ScriptErrorKind::Unsupported,
            format!(
                "`getCandlesByIndex`/`getNumCandles`: no chart element with identifier `{tag}` (this chart has: {})",
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            ),
            Some("use the id of a source or an indicator of the chart file as the tag"),
        ));
    };
    let n = e.time_ns.len();
    let lines = if e.lines.is_empty() { 1 } else { e.lines.len() };
    let Some(count) = count else {
        return (n, lines).into_lua_multi(lua);
    };
    let first = first.unwrap_or(0).max(0) as usize;
    let end = first.saturating_add(count.max(0) as usize).min(n);
    let line = line.unwrap_or(0).max(0) as usize;
    let col = |k: usize| -> Option<&[f64]> {
        if e.lines.is_empty() {
            e.ohlcv[k].as_deref()
        } else {
            e.lines.get(line).map(|v| &v[..])
        }
    };
    let (o, h, l, c) = (col(0), col(1), col(2), col(3));
    let v = if e.lines.is_empty() {
        e.ohlcv[4].as_deref()
    } else {
        None
    };
    let t = lua.create_table()?;
    for (k, i) in (first..end).enumerate() {
        let candle = lua.create_table()?;
        let at = |s: Option<&[f64]>| s.map_or(f64::NAN, |s| s[i]);
        candle.set("open", at(o))?;
        candle.set("high", at(h))?;
        candle.set("low", at(l))?;
        candle.set("close", at(c))?;
        candle.set("volume", v.map_or(0.0, |s| s[i]))?;
        candle.set("datetime", datetime(lua, e.time_ns[i] as f64 / 1e9)?)?;
        candle.set("doesExist", 1)?;
        t.raw_set(k as i64, candle)?;
    }
    let legend = if e.lines.is_empty() {
        tag.clone()
    } else {
        format!("{tag} {line}")
    };
    (n, lines, t, end.saturating_sub(first), legend).into_lua_multi(lua)
}

/// QUIK's date-time table of a candle at `secs` UTC seconds: `year month
/// day week_day hour min sec ms count` (`week_day` 0 = Sunday; `count`, the
/// number of ticks within the second in tick charts, is 1).
fn datetime(lua: &Lua, secs: f64) -> mlua::Result<Value> {
    let whole = secs.floor();
    let Some(dt) = chrono::DateTime::from_timestamp(whole as i64, 0) else {
        return Ok(Value::Nil);
    };
    let t = lua.create_table()?;
    t.set("year", dt.year())?;
    t.set("month", dt.month())?;
    t.set("day", dt.day())?;
    t.set("week_day", dt.weekday().num_days_from_sunday())?;
    t.set("hour", dt.hour())?;
    t.set("min", dt.minute())?;
    t.set("sec", dt.second())?;
    t.set("ms", (((secs - whole) * 1000.0).round() as i64).min(999))?;
    t.set("count", 1)?;
    Ok(Value::Table(t))
}

/// What `Settings` declares.
pub(crate) struct QuikDecl {
    pub name: Option<String>,
    pub params: Vec<ParamDecl>,
    pub outputs: Vec<OutputDecl>,
}

/// The most lines a QUIK script may draw; `Init()` returning more is an
/// error naming this cap (real scripts declare up to about a hundred).
pub(crate) const MAX_LINES: usize = 512;

/// Reads a QUIK script's declarations: `Name` and the parameters (numbers,
/// strings, booleans) from `before` (`Settings` as the file sets it, what
/// QUIK shows in its settings dialog), the lines from `after` (`Settings`
/// once `Init()` ran: some scripts build `Settings.line` there). `count` is
/// what `Init()` returned: QUIK draws that many lines, styled by
/// `Settings.line`; without a count, every `Settings.line` entry is a line.
pub(crate) fn parse_settings(
    before: &Table,
    after: &Table,
    count: Option<usize>,
) -> Result<QuikDecl, DeclError> {
    let e = |m: String| (m, None::<String>);
    let name = [before, after]
        .into_iter()
        .find_map(|t| match t.raw_get::<Value>("Name") {
            Ok(Value::String(s)) => Some(s.to_string_lossy()),
            _ => None,
        });
    let mut params = Vec::new();
    for pair in before.pairs::<Value, Value>() {
        let (k, v) = pair.map_err(|x| e(x.to_string()))?;
        let Value::String(k) = k else { continue };
        let k = k.to_string_lossy();
        if k == "Name" || k == "line" {
            continue;
        }
        let (ty, default) = match v {
            Value::Integer(i) => (ParamType::Integer, json!(i)),
            Value::Number(n) if n.is_finite() => (ParamType::Number, json!(n)),
            Value::String(s) => (ParamType::String, json!(s.to_string_lossy())),
            Value::Boolean(b) => (ParamType::Boolean, json!(b)),
            _ => continue,
        };
        params.push(ParamDecl {
            name: k,
            ty,
            default,
            min: None,
            max: None,
            values: None,
            description: None,
        });
    }
    params.sort_by(|a, b| a.name.cmp(&b.name));
    let mut styles: Vec<Option<Table>> = Vec::new();
    match after
        .raw_get::<Value>("line")
        .map_err(|x| e(x.to_string()))?
    {
        Value::Table(lines) => {
            for (k, l) in lines.sequence_values::<Value>().enumerate() {
                match l.map_err(|x| e(x.to_string()))? {
                    Value::Table(l) => styles.push(Some(l)),
                    v => {
                        return Err(e(format!(
                            "Settings.line[{}] must be a table, got {}",
                            k + 1,
                            v.type_name()
                        )));
                    }
                }
            }
        }
        Value::Nil => {}
        v => {
            return Err(e(format!(
                "Settings.line must be a list of lines, got {}",
                v.type_name()
            )));
        }
    }
    let n = count.unwrap_or(styles.len());
    if n > MAX_LINES {
        return Err((
            format!(
                "the QUIK script declares {n} lines in Settings.line, more than the {MAX_LINES} a QUIK script may draw"
            ),
            Some(format!(
                "describe at most {MAX_LINES} lines, and return their number from Init()"
            )),
        ));
    }
    if n == 0 {
        return Err((
            "the QUIK script declares no lines (Init() returned no count and Settings.line is empty)".into(),
            Some("return the number of lines from Init() and describe them in Settings: `line = { { Name = \"...\", Color = RGB(0, 0, 255), Type = TYPE_LINE, Width = 1 } }`".into()),
        ));
    }
    let mut outputs: Vec<OutputDecl> = Vec::with_capacity(n);
    for k in 0..n {
        let d = match styles.get(k).and_then(Option::as_ref) {
            Some(l) => line_decl(l, k, &outputs),
            None => OutputDecl {
                name: format!("line{}", k + 1),
                style: OutputStyle::Line,
                color: None,
                width: None,
                pane: None,
                dash: LineDash::Solid,
            },
        };
        outputs.push(d);
    }
    Ok(QuikDecl {
        name,
        params,
        outputs,
    })
}

/// One `Settings.line` entry as an output.
fn line_decl(l: &Table, k: usize, before: &[OutputDecl]) -> OutputDecl {
    let raw: Option<String> = l.raw_get::<Option<String>>("Name").ok().flatten();
    let mut name: String = raw
        .unwrap_or_default()
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.is_empty()
        || name.starts_with(|c: char| c.is_ascii_digit())
        || before.iter().any(|o| o.name == name)
    {
        name = format!("line{}", k + 1);
    }
    let color = match l.raw_get::<Value>("Color") {
        Ok(Value::Integer(c)) => Some(colorref(c)),
        Ok(Value::Number(c)) if c.is_finite() => Some(colorref(c as i64)),
        _ => None,
    };
    let width = match l.raw_get::<Value>("Width") {
        Ok(Value::Integer(w)) if w > 0 => Some(w as f32),
        Ok(Value::Number(w)) if w > 0.0 => Some(w as f32),
        _ => None,
    };
    let ty = match l.raw_get::<Value>("Type") {
        Ok(Value::Integer(t)) => t,
        Ok(Value::Number(t)) => t as i64,
        _ => 1,
    };
    let size = 4.0 + 2.0 * width.unwrap_or(1.0);
    let style = match ty {
        2 => OutputStyle::Histogram {
            color_by_sign: false,
        },
        7 => OutputStyle::Points,
        8 => OutputStyle::Markers {
            shape: MarkerShape::TriangleUp,
            size,
        },
        9 => OutputStyle::Markers {
            shape: MarkerShape::TriangleDown,
            size,
        },
        // TYPET_BAR (a level per candle) as a line through the levels.
        _ => OutputStyle::Line,
    };
    let dash = match ty {
        3 => LineDash::Dash,
        4 => LineDash::DashDot,
        5 => LineDash::Dot,
        _ => LineDash::Solid,
    };
    OutputDecl {
        name,
        style,
        color,
        width,
        pane: None,
        dash,
    }
}

/// `#rrggbb` from a Windows COLORREF (`RGB(r,g,b)` = r + g·256 + b·65536).
fn colorref(c: i64) -> String {
    let (r, g, b) = (c & 0xff, (c >> 8) & 0xff, (c >> 16) & 0xff);
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// What `Init()` returned.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum InitCount {
    /// A number of lines, `1..=MAX_LINES`.
    Lines(usize),
    /// Nothing: every `Settings.line` entry is a line.
    Nil,
    /// Something else: the message says what and what is expected.
    Bad(String),
}

/// Calls `Init()` and reads the line count it returns.
pub(crate) fn init_count(init: &Function) -> mlua::Result<InitCount> {
    let v = init.call::<Value>(())?;
    Ok(line_count(&v))
}

/// Reads `Init()`'s result as a number of lines.
pub(crate) fn line_count(v: &Value) -> InitCount {
    let whole = match v {
        Value::Nil => return InitCount::Nil,
        Value::Integer(n) => Some(*n as f64),
        Value::Number(x) if x.is_finite() && x.fract() == 0.0 => Some(*x),
        _ => None,
    };
    let got = match v {
        Value::Integer(n) => n.to_string(),
        Value::Number(x) => x.to_string(),
        Value::String(s) => format!("a string (\"{}\")", s.to_string_lossy()),
        other => format!("a {}", super::series::type_name(other)),
    };
    match whole {
        Some(n) if n >= 1.0 && n <= MAX_LINES as f64 => InitCount::Lines(n as usize),
        Some(n) if n > MAX_LINES as f64 => InitCount::Bad(format!(
            "`Init()` returned {got}: more lines than the {MAX_LINES} a QUIK script may draw"
        )),
        _ => InitCount::Bad(format!(
            "`Init()` returned {got}; it must return the number of lines the script draws, a whole number from 1 to {MAX_LINES}"
        )),
    }
}

/// Sets the source description `getDataSourceInfo()` returns.
pub(crate) fn set_source(
    host: &Table,
    class_code: &str,
    sec_code: &str,
    interval: i64,
) -> mlua::Result<()> {
    set_security(host, class_code, sec_code)?;
    host.set("interval", interval)
}

/// Sets the class and security codes only (the interval stays inferred).
pub(crate) fn set_security(host: &Table, class_code: &str, sec_code: &str) -> mlua::Result<()> {
    host.set("class_code", class_code)?;
    host.set("sec_code", sec_code)
}

/// Sets the instrument's price step and scale (decimals) that
/// `getParamEx` and `getSecurityInfo` give.
pub(crate) fn set_instrument(host: &Table, price_step: f64, scale: u32) -> mlua::Result<()> {
    host.set("price_step", price_step)?;
    host.set("scale", scale)
}

/// Sets what `isDarkTheme()` returns.
pub(crate) fn set_dark(host: &Table, dark: bool) -> mlua::Result<()> {
    host.set("dark", dark)
}

/// The file stem, for a script without a name.
pub(crate) fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_else(|| "script".into())
}
