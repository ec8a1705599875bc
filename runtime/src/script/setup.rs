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
    let found: Vec<&str> = ENTRY_POINTS
        .into_iter()
        .filter(|n| state.function(n).is_some())
        .collect();
    let kind = match found.as_slice() {
        ["calculate"] => ScriptKind::Vectorized,
        ["on_bar"] => ScriptKind::PerBar,
        ["OnCalculate"] => ScriptKind::Quik,
        [] => {
            let how = "define `function calculate(p)` (whole series), `function on_bar(i, state, p)` (bar by bar) or QUIK's `OnCalculate(index)`";
            let (help, line) = match misspelled(state, &ENTRY_POINTS) {
                Some((defined, want, line)) => (
                    format!("did you mean `{want}`? the script defines `{defined}`"),
                    line,
                ),
                None => (how.to_string(), None),
            };
            return Err(decl_err(
                (
                    "the script defines none of calculate, on_bar or OnCalculate".into(),
                    Some(help),
                ),
                line,
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
                let help = match misspelled_table(state, "Settings") {
                    Some(defined) => format!("did you mean `Settings`? the script defines `{defined}`"),
                    None => "add `Settings = { Name = \"...\", line = { { Name = \"...\", Type = TYPE_LINE } } }`".into(),
                };
                return Err(decl_err(
                    (
                        "a QUIK script (OnCalculate) needs a global `Settings` table".into(),
                        Some(help),
                    ),
                    None,
                ));
            }
        };
        let Some(init) = state.function("Init") else {
            let (help, line) = match misspelled(state, &["Init"]) {
                Some((defined, want, line)) => (
                    Some(format!(
                        "did you mean `{want}`? the script defines `{defined}`"
                    )),
                    line,
                ),
                None => (None, None),
            };
            return Err(decl_err(
                (
                    "a QUIK script needs `function Init()` returning the number of lines".into(),
                    help,
                ),
                line,
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

/// The functions a script can define for the host to call.
const ENTRY_POINTS: [&str; 3] = ["calculate", "on_bar", "OnCalculate"];

/// A global function of the script's own files whose name is close to one
/// of `wanted` but not equal (a typo): (its name, the wanted name, its line).
fn misspelled(
    state: &State,
    wanted: &[&'static str],
) -> Option<(String, &'static str, Option<usize>)> {
    let mut defined: Vec<(String, Option<usize>)> = state
        .lua
        .globals()
        .pairs::<Value, Value>()
        .filter_map(Result::ok)
        .filter_map(|(k, v)| match (k, v) {
            (Value::String(k), Value::Function(f)) => {
                let info = f.info();
                let own = info.what == "Lua"
                    && info
                        .short_src
                        .as_deref()
                        .is_some_and(|s| !s.starts_with('['));
                own.then(|| (k.to_string_lossy(), info.line_defined))
            }
            _ => None,
        })
        .collect();
    // Globals come in hash order: report the first one in the file.
    defined.sort_by_key(|(_, line)| *line);
    defined.into_iter().find_map(|(name, line)| {
        let want = crate::config::suggest(&name, wanted.iter().copied())?;
        (want != name).then_some((name, want, line))
    })
}

/// A global table of the script whose name is close to `wanted` (a typo).
fn misspelled_table(state: &State, wanted: &'static str) -> Option<String> {
    const HOST: [&str; 14] = [
        "string",
        "table",
        "math",
        "utf8",
        "os",
        "io",
        "debug",
        "coroutine",
        "package",
        "series",
        "ta",
        "bit",
        "inputs",
        "_G",
    ];
    state
        .lua
        .globals()
        .pairs::<Value, Value>()
        .filter_map(Result::ok)
        .find_map(|(k, v)| match (k, v) {
            (Value::String(k), Value::Table(_)) => {
                let name = k.to_string_lossy();
                let close = !HOST.contains(&name.as_str())
                    && name != wanted
                    && crate::config::suggest(&name, [wanted]).is_some();
                close.then_some(name)
            }
            _ => None,
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
