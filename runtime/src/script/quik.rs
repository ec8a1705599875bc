//! QUIK indicator scripts (`Settings`, `Init`, `OnCalculate`) run unmodified.
//!
//! The QUIK API (after ARQA's "QLua" manual, indicators chapter): `O H L C V`
//! (nil for a missing candle), `T(i)` (a datetime table), `Size`,
//! `CandleExist`, `SetValue`, `GetValue`, `SetRangeValue`, `RGB`, the
//! `TYPE_*` line styles, `isDarkTheme`, `message`, `PrintDbgStr`,
//! `getDataSourceInfo`, `getScriptPath`, `getWorkingFolder`, `getInfoParam`
//! and a `getParamEx` stub. The numeric values of `TYPE_*` are our own (QUIK
//! documents only the names); scripts use the names.

use std::path::Path;
use std::rc::Rc;

use chrono::{Datelike, Timelike};
use mlua::{Function, Lua, Table, Value};
use serde_json::json;

use super::ctx::Ctx;
use super::decl::{DeclError, MarkerShape, OutputDecl, OutputStyle, ParamDecl, ParamType};
use super::error::HOST_CHUNK;

/// QUIK's line type constants (name, value); `TYPE_DASHLINE` is an alias.
const TYPES: [(&str, i64); 12] = [
    ("TYPE_LINE", 1),
    ("TYPE_HISTOGRAM", 2),
    ("TYPE_DASH", 3),
    ("TYPE_DASHDOT", 4),
    ("TYPE_DOT", 5),
    ("TYPE_DASHDOTDOT", 6),
    ("TYPE_POINT", 7),
    ("TYPE_TRIANGLE_UP", 8),
    ("TYPE_TRIANGLE_DOWN", 9),
    ("TYPE_STAR", 10),
    ("TYPE_CROSS", 11),
    ("TYPE_DASHLINE", 3),
];

/// Registers the QUIK API globals. `host` is the columns host table
/// ([`super::columns::install`]); the instance sets `host.outs`, `host.len`,
/// `host.low` while `OnCalculate` runs.
pub(crate) fn register(lua: &Lua, ctx: &Rc<Ctx>, host: &Table) -> mlua::Result<()> {
    let g = lua.globals();
    for (name, v) in TYPES {
        g.set(name, v)?;
    }
    let c = ctx.clone();
    let log = lua.create_function(move |_, s: String| {
        c.log_line(s);
        Ok(())
    })?;
    let tconv = lua.create_function(|lua, secs: f64| datetime(lua, secs))?;
    host.set("script_path", ctx.folder.to_string_lossy().to_string())?;
    host.set("sec_code", "")?;
    host.set("class_code", "")?;
    host.set("interval", 0)?;
    lua.load(QUIK)
        .set_name(HOST_CHUNK)
        .call::<()>((host, log, tconv))
}

const QUIK: &str = r#"
local host, log, tconv = ...
local NaN = 0 / 0
local cols, tostring, type, floor = host.cols, tostring, type, math.floor
host.low = math.huge
host.outs = {}
RGB = function(r, g, b)
  return floor(r or 0) + floor(g or 0) * 256 + floor(b or 0) * 65536
end
local function getter(name)
  return function(i)
    local t = cols[name]
    local v = t and t[i]
    if v == nil or v ~= v then return nil end
    return v
  end
end
O, H, L, C, V = getter("open"), getter("high"), getter("low"), getter("close"), getter("volume")
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
SetValue = function(i, line, v)
  local o = host.outs[line]
  if o == nil or type(i) ~= "number" or i < 1 or i > (host.len or 0) or i % 1 ~= 0 then return false end
  if v == nil then v = NaN end
  o[i] = v
  if i < host.low then host.low = i end
  return true
end
GetValue = function(i, line)
  local o = host.outs[line]
  if o == nil then return nil end
  local v = o[i]
  if v ~= v then return nil end
  return v
end
SetRangeValue = function(line, first, last, v)
  for i = first, last do SetValue(i, line, v) end
  return true
end
isDarkTheme = function() return host.dark == true end
message = function(text, level) log(tostring(text)) end
PrintDbgStr = function(s) log(tostring(s)) end
getDataSourceInfo = function()
  return { class_code = host.class_code, sec_code = host.sec_code, interval = host.interval }
end
getScriptPath = function() return host.script_path end
getWorkingFolder = function() return host.script_path end
getInfoParam = function(name) return "" end
getParamEx = function() return nil end
getParamEx2 = getParamEx
"#;

/// QUIK's datetime table for `secs` UTC seconds.
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
    t.set("ms", ((secs - whole) * 1000.0).round() as i64)?;
    t.set("mcs", 0)?;
    Ok(Value::Table(t))
}

/// What `Settings` declares.
pub(crate) struct QuikDecl {
    pub name: Option<String>,
    pub params: Vec<ParamDecl>,
    pub outputs: Vec<OutputDecl>,
}

/// Reads `Settings` (`Name`, parameters, `line`); `init_lines` gives the
/// number of lines when `Settings.line` is absent.
pub(crate) fn parse_settings(
    settings: &Table,
    init_lines: impl FnOnce() -> Option<usize>,
) -> Result<QuikDecl, DeclError> {
    let e = |m: String| (m, None::<String>);
    let name = match settings
        .raw_get::<Value>("Name")
        .map_err(|x| e(x.to_string()))?
    {
        Value::String(s) => Some(s.to_string_lossy()),
        _ => None,
    };
    let mut params = Vec::new();
    for pair in settings.pairs::<Value, Value>() {
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
    let mut outputs: Vec<OutputDecl> = Vec::new();
    match settings
        .raw_get::<Value>("line")
        .map_err(|x| e(x.to_string()))?
    {
        Value::Table(lines) => {
            for (k, l) in lines.sequence_values::<Value>().enumerate() {
                let Value::Table(l) = l.map_err(|x| e(x.to_string()))? else {
                    return Err(e(format!("Settings.line[{}] must be a table", k + 1)));
                };
                outputs.push(line_decl(&l, k, &outputs));
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
    if outputs.is_empty() {
        let n = init_lines().unwrap_or(0);
        if n == 0 {
            return Err((
                "the QUIK script declares no lines (Settings.line is empty and Init() returned no count)".into(),
                Some("add `line = { { Name = \"...\", Color = RGB(0, 0, 255), Type = TYPE_LINE, Width = 1 } }` to Settings".into()),
            ));
        }
        for k in 0..n.min(64) {
            outputs.push(OutputDecl {
                name: format!("line{}", k + 1),
                style: OutputStyle::Line,
                color: None,
                width: None,
                pane: None,
            });
        }
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
        Ok(Value::Number(c)) => Some(colorref(c as i64)),
        _ => None,
    };
    let width = match l.raw_get::<Value>("Width") {
        Ok(Value::Integer(w)) if w > 0 => Some(w as f32),
        Ok(Value::Number(w)) if w > 0.0 => Some(w as f32),
        _ => None,
    };
    let ty = l.raw_get::<Option<i64>>("Type").ok().flatten().unwrap_or(1);
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
        10 => OutputStyle::Markers {
            shape: MarkerShape::Diamond,
            size,
        },
        11 => OutputStyle::Markers {
            shape: MarkerShape::Circle,
            size,
        },
        // Dashed and dotted lines are drawn solid.
        _ => OutputStyle::Line,
    };
    OutputDecl {
        name,
        style,
        color,
        width,
        pane: None,
    }
}

/// `#rrggbb` from a Windows COLORREF (`RGB(r,g,b)` = r + g·256 + b·65536).
fn colorref(c: i64) -> String {
    let (r, g, b) = (c & 0xff, (c >> 8) & 0xff, (c >> 16) & 0xff);
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// Calls `Init()` and reads the line count it returns.
pub(crate) fn init_count(init: &Function) -> mlua::Result<Option<usize>> {
    Ok(match init.call::<Value>(())? {
        Value::Integer(n) if n > 0 => Some(n as usize),
        Value::Number(n) if n >= 1.0 => Some(n as usize),
        _ => None,
    })
}

/// Sets the source description `getDataSourceInfo()` returns.
pub(crate) fn set_source(
    host: &Table,
    class_code: &str,
    sec_code: &str,
    interval: i64,
) -> mlua::Result<()> {
    host.set("class_code", class_code)?;
    host.set("sec_code", sec_code)?;
    host.set("interval", interval)
}

/// The file stem, for a script without a name.
pub(crate) fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_else(|| "script".into())
}
