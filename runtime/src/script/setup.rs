//! Reading a script's declarations after its top-level chunk ran, and
//! turning chart params into the Lua `p` table.

use std::path::Path;

use mlua::{Table, Value};
use serde_json::Value as Json;

use super::decl::{self, Indicator, ParamDecl, ParamType, ScriptInfo, ScriptKind};
use super::error::{ScriptError, ScriptErrorKind};
use super::quik;
use super::sandbox::DECL_KEY;
use super::{ScriptLimits, State};

/// Reads the declarations after the top-level chunk ran.
pub(crate) fn declarations(
    state: &State,
    path: &Path,
    limits: &ScriptLimits,
) -> Result<ScriptInfo, ScriptError> {
    let decl_line = state.ctx.decl_line.get();
    let decl_err = |(msg, help): (String, Option<String>), line: Option<usize>| {
        let mut e = ScriptError::new(ScriptErrorKind::Declaration, path, msg).at_line(line);
        e.help = help;
        e
    };
    let found: Vec<&str> = ["calculate", "on_bar", "OnCalculate"]
        .into_iter()
        .filter(|n| state.function(n).is_some())
        .collect();
    let kind = match found.as_slice() {
        ["calculate"] => ScriptKind::Vectorized,
        ["on_bar"] => ScriptKind::PerBar,
        ["OnCalculate"] => ScriptKind::Quik,
        [] => {
            return Err(decl_err(
                ("the script defines none of calculate, on_bar or OnCalculate".into(),
                 Some("define `function calculate(p)` (whole series), `function on_bar(i, state, p)` (bar by bar) or QUIK's `OnCalculate(index)`".into())),
                None,
            ));
        }
        more => {
            return Err(decl_err(
                (
                    format!(
                        "the script defines {}; define only one of them",
                        more.join(" and ")
                    ),
                    None,
                ),
                None,
            ));
        }
    };
    if kind == ScriptKind::Quik {
        let settings = match state.lua.globals().raw_get::<Value>("Settings") {
            Ok(Value::Table(t)) => t,
            _ => {
                return Err(decl_err(
                    ("a QUIK script (OnCalculate) needs a global `Settings` table".into(),
                     Some("add `Settings = { Name = \"...\", line = { { Name = \"...\", Type = TYPE_LINE } } }`".into())),
                    None,
                ));
            }
        };
        let Some(init) = state.function("Init") else {
            return Err(decl_err(
                (
                    "a QUIK script needs `function Init()` returning the number of lines".into(),
                    None,
                ),
                None,
            ));
        };
        // QUIK calls Init() before drawing, and draws as many lines as it
        // returns; some scripts fill Settings.line there. An error in Init
        // shows when the chart instantiates the script (the same call, with
        // the chart's params), so here the file's own lines are the fallback;
        // without any, the error is the reason.
        let before = state
            .lua
            .create_table()
            .and_then(|t| {
                for pair in settings.pairs::<Value, Value>() {
                    let (k, v) = pair?;
                    t.raw_set(k, v)?;
                }
                Ok(t)
            })
            .map_err(|e| state.error(&e, None))?;
        state.ctx.arm(&state.lua, limits.instructions_base);
        let (count, init_err) = match quik::init_count(&init) {
            Ok(quik::InitCount::Lines(n)) => (Some(n), None),
            Ok(quik::InitCount::Nil) => (None, None),
            Ok(quik::InitCount::Bad(msg)) => {
                return Err(decl_err(
                    (msg, Some("end Init() with `return <number of lines>`, e.g. `return #Settings.line`".into())),
                    init.info().line_defined,
                ));
            }
            Err(e) => (None, Some(e)),
        };
        let after = match state.lua.globals().raw_get::<Value>("Settings") {
            Ok(Value::Table(t)) => t,
            _ => settings,
        };
        let q = quik::parse_settings(&before, &after, count).map_err(|d| match &init_err {
            Some(e) => state.error(e, None),
            None => decl_err(d, None),
        })?;
        return Ok(ScriptInfo {
            name: q.name.unwrap_or_else(|| quik::stem(path)),
            kind,
            params: q.params,
            outputs: q.outputs,
            pane: decl::Pane::Overlay,
            input_names: Vec::new(),
            path: path.to_path_buf(),
        });
    }
    let ind = match state.lua.named_registry_value::<Value>(DECL_KEY) {
        Ok(Value::Table(t)) => decl::parse_indicator(&t).map_err(|e| decl_err(e, decl_line))?,
        _ => decl::parse_indicator(
            &state
                .lua
                .create_table()
                .map_err(|e| state.error(&e, None))?,
        )
        .map_err(|e| decl_err(e, None))?,
    };
    let Indicator {
        name,
        params,
        outputs,
        pane,
        input_names,
    } = ind;
    Ok(ScriptInfo {
        name: name.unwrap_or_else(|| quik::stem(path)),
        kind,
        params,
        outputs,
        pane,
        input_names,
        path: path.to_path_buf(),
    })
}

/// The Lua `p` table from validated params (defaults filled in if absent).
pub(crate) fn build_params(
    state: &State,
    decls: &[ParamDecl],
    params: &Json,
    path: &Path,
) -> Result<Table, ScriptError> {
    let perr = |m: String, help: Option<String>| {
        let mut e = ScriptError::new(ScriptErrorKind::Params, path, m);
        e.help = help;
        e
    };
    let empty = serde_json::Map::new();
    let obj = match params {
        Json::Object(o) => o,
        Json::Null => &empty,
        other => return Err(perr(format!("params must be a table, got {other}"), None)),
    };
    let names: Vec<&str> = decls.iter().map(|d| d.name.as_str()).collect();
    for key in obj.keys() {
        if !names.contains(&key.as_str()) {
            return Err(perr(
                format!("the script has no parameter `{key}`"),
                Some(decl::hint(key, &names)),
            ));
        }
    }
    let lua = &state.lua;
    let t = lua.create_table().map_err(|e| state.error(&e, None))?;
    for d in decls {
        let v = obj.get(&d.name).unwrap_or(&d.default);
        let lv = match (d.ty, v) {
            (ParamType::Integer, Json::Number(n)) if n.as_i64().is_some() => {
                n.as_i64().map(Value::Integer)
            }
            (ParamType::Integer, Json::Number(n)) => n
                .as_f64()
                .filter(|x| x.fract() == 0.0 && x.abs() < 9.0e15)
                .map(|x| Value::Integer(x as i64)),
            (ParamType::Number, Json::Number(n)) => n.as_f64().map(Value::Number),
            (ParamType::Boolean, Json::Bool(b)) => Some(Value::Boolean(*b)),
            (ParamType::String, Json::String(s)) => Some(Value::String(
                lua.create_string(s).map_err(|e| state.error(&e, None))?,
            )),
            _ => None,
        };
        let Some(lv) = lv else {
            return Err(perr(
                format!("parameter `{}` must be {:?}, got {v}", d.name, d.ty).to_lowercase(),
                None,
            ));
        };
        t.raw_set(d.name.as_str(), lv)
            .map_err(|e| state.error(&e, None))?;
    }
    Ok(t)
}
