//! What a script declares: name, parameters, outputs and their styles.
//!
//! Parsed from the `indicator{...}` table (see `docs/lua-api.md`); QUIK
//! scripts are mapped onto the same types by [`super::quik`].

use std::path::PathBuf;

use mlua::{Table, Value};
use serde_json::{Map, Value as Json, json};

/// Which API a script is written against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScriptKind {
    /// Defines `calculate(p)` over whole series.
    Vectorized,
    /// Defines `on_bar(i, state, p)`.
    PerBar,
    /// A QUIK indicator: `Settings`, `Init`, `OnCalculate`.
    Quik,
}

/// Where an indicator or output is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    /// On the input's pane.
    Overlay,
    /// In a new pane below.
    Own,
}

/// Shape of a marker output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkerShape {
    /// ▲
    TriangleUp,
    /// ▼
    TriangleDown,
    /// ●
    Circle,
    /// ◆
    Diamond,
}

/// How an output is drawn.
#[derive(Debug, Clone, PartialEq)]
pub enum OutputStyle {
    /// A line through the values.
    Line,
    /// Bars from 0.
    Histogram {
        /// Colour bars by the sign of the value (up/down colours).
        color_by_sign: bool,
    },
    /// A dot per value.
    Points,
    /// A marker where the value is not NaN, at that value.
    Markers {
        /// Marker shape.
        shape: MarkerShape,
        /// Size in pixels.
        size: f32,
    },
    /// A filled area between this output and another.
    Band {
        /// The other output's name.
        with: String,
    },
}

/// One declared output column.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputDecl {
    /// Name used in references (`id.name`).
    pub name: String,
    /// How it is drawn.
    pub style: OutputStyle,
    /// `#rrggbb` or `#rrggbbaa`.
    pub color: Option<String>,
    /// Line width in pixels.
    pub width: Option<f32>,
    /// Overrides the indicator's pane.
    pub pane: Option<Pane>,
    /// The pattern of a line (`dash = "dash" | "dot" | "dashdot"`; QUIK's
    /// `TYPE_DASH`, `TYPE_DOT`, `TYPE_DASHDOT`).
    pub dash: LineDash,
}

/// A line's pattern: the `line` chart type's `style` param.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LineDash {
    /// Continuous.
    #[default]
    Solid,
    /// Dashes.
    Dash,
    /// Dots.
    Dot,
    /// Dash, dot, dash, ...
    DashDot,
}

impl LineDash {
    /// The `line` chart type's `style` value.
    pub fn name(self) -> &'static str {
        match self {
            LineDash::Solid => "solid",
            LineDash::Dash => "dash",
            LineDash::Dot => "dot",
            LineDash::DashDot => "dashdot",
        }
    }
}

/// Type of a parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamType {
    /// A whole number.
    Integer,
    /// Any number.
    Number,
    /// Text.
    String,
    /// true/false.
    Boolean,
}

impl ParamType {
    fn json_name(self) -> &'static str {
        match self {
            ParamType::Integer => "integer",
            ParamType::Number => "number",
            ParamType::String => "string",
            ParamType::Boolean => "boolean",
        }
    }
}

/// One declared parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamDecl {
    /// Name (key in the chart's `params` table).
    pub name: String,
    /// Type.
    pub ty: ParamType,
    /// Default value.
    pub default: Json,
    /// Smallest allowed value (numbers).
    pub min: Option<f64>,
    /// Largest allowed value (numbers).
    pub max: Option<f64>,
    /// Allowed values (strings).
    pub values: Option<Vec<String>>,
    /// One line for the user.
    pub description: Option<String>,
}

/// Everything a script declares.
#[derive(Debug, Clone, PartialEq)]
pub struct ScriptInfo {
    /// Legend name.
    pub name: String,
    /// Which API it uses.
    pub kind: ScriptKind,
    /// Parameters, sorted by name.
    pub params: Vec<ParamDecl>,
    /// Outputs, in order.
    pub outputs: Vec<OutputDecl>,
    /// The indicator's pane.
    pub pane: Pane,
    /// Names required in the chart's `inputs` table.
    pub input_names: Vec<String>,
    /// The script file.
    pub path: PathBuf,
}

/// The JSON Schema of `params` for the host's validator.
pub(crate) fn params_schema(params: &[ParamDecl]) -> String {
    let mut props = Map::new();
    for p in params {
        let mut s = Map::new();
        s.insert("type".into(), json!(p.ty.json_name()));
        s.insert("default".into(), p.default.clone());
        if let Some(m) = p.min {
            s.insert("minimum".into(), num(m));
        }
        if let Some(m) = p.max {
            s.insert("maximum".into(), num(m));
        }
        if let Some(v) = &p.values {
            s.insert("enum".into(), json!(v));
        }
        if let Some(d) = &p.description {
            s.insert("description".into(), json!(d));
        }
        props.insert(p.name.clone(), Json::Object(s));
    }
    json!({ "type": "object", "additionalProperties": false, "properties": props }).to_string()
}

/// A JSON number, integral when the value is.
fn num(x: f64) -> Json {
    if x.fract() == 0.0 && x.abs() < 9.0e15 {
        json!(x as i64)
    } else {
        json!(x)
    }
}

/// A declaration problem: message and help (the caller adds file and line).
pub(crate) type DeclError = (String, Option<String>);

fn err<T>(message: impl Into<String>, help: Option<&str>) -> Result<T, DeclError> {
    Err((message.into(), help.map(str::to_string)))
}

/// Edit distance, for "did you mean" hints.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// "did you mean `x`?" for the closest of `known`, or the list of them.
pub(crate) fn hint(word: &str, known: &[&str]) -> String {
    let best = known
        .iter()
        .map(|k| (distance(word, k), *k))
        .min()
        .filter(|(d, k)| *d <= 2.max(k.len() / 3));
    match best {
        Some((_, k)) => format!("did you mean `{k}`?"),
        None => format!("known keys: {}", known.join(", ")),
    }
}

/// Errors on keys of `t` not in `known`.
fn check_keys(t: &Table, what: &str, known: &[&str]) -> Result<(), DeclError> {
    for pair in t.pairs::<Value, Value>() {
        let (k, _) = pair.map_err(|e| (e.to_string(), None))?;
        let key = match &k {
            Value::String(s) => s.to_string_lossy(),
            other => {
                return err(
                    format!("{what} has a key of type {}", other.type_name()),
                    None,
                );
            }
        };
        if !known.contains(&key.as_str()) {
            return Err((
                format!("{what} has an unknown key `{key}`"),
                Some(hint(&key, known)),
            ));
        }
    }
    Ok(())
}

fn get_str(t: &Table, key: &str, what: &str) -> Result<Option<String>, DeclError> {
    match t.raw_get::<Value>(key).map_err(|e| (e.to_string(), None))? {
        Value::Nil => Ok(None),
        Value::String(s) => Ok(Some(s.to_string_lossy())),
        v => err(
            format!("{what}.{key} must be a string, got {}", v.type_name()),
            None,
        ),
    }
}

fn get_num(t: &Table, key: &str, what: &str) -> Result<Option<f64>, DeclError> {
    match t.raw_get::<Value>(key).map_err(|e| (e.to_string(), None))? {
        Value::Nil => Ok(None),
        Value::Integer(i) => Ok(Some(i as f64)),
        Value::Number(n) => Ok(Some(n)),
        v => err(
            format!("{what}.{key} must be a number, got {}", v.type_name()),
            None,
        ),
    }
}

fn get_bool(t: &Table, key: &str, what: &str) -> Result<Option<bool>, DeclError> {
    match t.raw_get::<Value>(key).map_err(|e| (e.to_string(), None))? {
        Value::Nil => Ok(None),
        Value::Boolean(b) => Ok(Some(b)),
        v => err(
            format!("{what}.{key} must be a boolean, got {}", v.type_name()),
            None,
        ),
    }
}

/// Checks a `#rrggbb[aa]` colour.
pub(crate) fn check_color(c: &str, what: &str) -> Result<(), DeclError> {
    let hex = c.strip_prefix('#').unwrap_or("");
    if (hex.len() == 6 || hex.len() == 8) && hex.chars().all(|ch| ch.is_ascii_hexdigit()) {
        Ok(())
    } else {
        err(
            format!("{what} `{c}` is not a colour"),
            Some("write `#rrggbb` or `#rrggbbaa`, e.g. \"#26a69a\" or \"#2962ff33\""),
        )
    }
}

fn parse_pane(s: &str, what: &str) -> Result<Pane, DeclError> {
    match s {
        "overlay" => Ok(Pane::Overlay),
        "own" => Ok(Pane::Own),
        other => err(
            format!("{what} `{other}` is not a pane"),
            Some("use \"overlay\" (the input's pane) or \"own\" (a new pane below)"),
        ),
    }
}

/// Parsed `indicator{...}`: name, params, outputs, pane, inputs.
pub(crate) struct Indicator {
    pub name: Option<String>,
    pub params: Vec<ParamDecl>,
    pub outputs: Vec<OutputDecl>,
    pub pane: Pane,
    pub input_names: Vec<String>,
}

/// Parses the `indicator{...}` table.
pub(crate) fn parse_indicator(t: &Table) -> Result<Indicator, DeclError> {
    check_keys(
        t,
        "indicator",
        &["name", "params", "outputs", "pane", "inputs"],
    )?;
    let name = get_str(t, "name", "indicator")?;
    let pane = match get_str(t, "pane", "indicator")? {
        Some(p) => parse_pane(&p, "indicator.pane")?,
        None => Pane::Overlay,
    };
    let params = match t
        .raw_get::<Value>("params")
        .map_err(|e| (e.to_string(), None))?
    {
        Value::Nil => Vec::new(),
        Value::Table(p) => parse_params(&p)?,
        v => {
            return err(
                format!("indicator.params must be a table, got {}", v.type_name()),
                None,
            );
        }
    };
    let outputs = match t
        .raw_get::<Value>("outputs")
        .map_err(|e| (e.to_string(), None))?
    {
        Value::Nil => vec![OutputDecl {
            name: "value".into(),
            style: OutputStyle::Line,
            color: None,
            width: None,
            pane: None,
            dash: LineDash::Solid,
        }],
        Value::Table(o) => parse_outputs(&o)?,
        v => {
            return err(
                format!("indicator.outputs must be a list, got {}", v.type_name()),
                None,
            );
        }
    };
    let input_names = match t
        .raw_get::<Value>("inputs")
        .map_err(|e| (e.to_string(), None))?
    {
        Value::Nil => Vec::new(),
        Value::Table(list) => {
            let mut names = Vec::new();
            for v in list.sequence_values::<Value>() {
                match v.map_err(|e| (e.to_string(), None))? {
                    Value::String(s) => names.push(s.to_string_lossy()),
                    v => {
                        return err(
                            format!(
                                "indicator.inputs must list names, found a {}",
                                v.type_name()
                            ),
                            None,
                        );
                    }
                }
            }
            names
        }
        v => {
            return err(
                format!(
                    "indicator.inputs must be a list of names, got {}",
                    v.type_name()
                ),
                None,
            );
        }
    };
    Ok(Indicator {
        name,
        params,
        outputs,
        pane,
        input_names,
    })
}

fn parse_params(t: &Table) -> Result<Vec<ParamDecl>, DeclError> {
    let mut out = Vec::new();
    for pair in t.pairs::<Value, Value>() {
        let (k, v) = pair.map_err(|e| (e.to_string(), None))?;
        let Value::String(name) = k else {
            return err(
                "indicator.params must map names to tables",
                Some("write `params = { period = { type = \"integer\", default = 14 } }`"),
            );
        };
        let name = name.to_string_lossy();
        let what = format!("params.{name}");
        let Value::Table(p) = v else {
            return err(
                format!("{what} must be a table, got {}", v.type_name()),
                Some("write `{ type = \"integer\", default = 14 }`"),
            );
        };
        check_keys(
            &p,
            &what,
            &["type", "default", "min", "max", "values", "description"],
        )?;
        let ty = match get_str(&p, "type", &what)?.as_deref() {
            Some("integer") => ParamType::Integer,
            Some("number") => ParamType::Number,
            Some("string") => ParamType::String,
            Some("boolean") => ParamType::Boolean,
            Some(other) => {
                return err(
                    format!("{what}.type `{other}` is not a type"),
                    Some(&hint(other, &["integer", "number", "string", "boolean"])),
                );
            }
            None => {
                return err(
                    format!("{what} has no type"),
                    Some("add `type = \"integer\"` (or number, string, boolean)"),
                );
            }
        };
        let raw = p
            .raw_get::<Value>("default")
            .map_err(|e| (e.to_string(), None))?;
        let default = match (ty, raw) {
            (_, Value::Nil) => {
                return err(
                    format!("{what} has no default"),
                    Some("add `default = ...`: the chart may leave the parameter out"),
                );
            }
            (ParamType::Integer, Value::Integer(i)) => json!(i),
            (ParamType::Integer, Value::Number(n)) if n.fract() == 0.0 && n.abs() < 9.0e15 => {
                json!(n as i64)
            }
            (ParamType::Number, Value::Integer(i)) => json!(i as f64),
            (ParamType::Number, Value::Number(n)) if n.is_finite() => json!(n),
            (ParamType::String, Value::String(s)) => json!(s.to_string_lossy()),
            (ParamType::Boolean, Value::Boolean(b)) => json!(b),
            (ty, v) => {
                return err(
                    format!(
                        "{what}.default must be {}, got {}",
                        ty.json_name(),
                        v.type_name()
                    ),
                    None,
                );
            }
        };
        let min = get_num(&p, "min", &what)?;
        let max = get_num(&p, "max", &what)?;
        if (min.is_some() || max.is_some()) && !matches!(ty, ParamType::Integer | ParamType::Number)
        {
            return err(format!("{what}: min/max apply to numbers only"), None);
        }
        if let Some(d) = default.as_f64()
            && (min.is_some_and(|m| d < m) || max.is_some_and(|m| d > m))
        {
            return err(format!("{what}.default {d} is outside min..max"), None);
        }
        let values = match p
            .raw_get::<Value>("values")
            .map_err(|e| (e.to_string(), None))?
        {
            Value::Nil => None,
            Value::Table(list) if ty == ParamType::String => {
                let mut vs = Vec::new();
                for v in list.sequence_values::<Value>() {
                    match v.map_err(|e| (e.to_string(), None))? {
                        Value::String(s) => vs.push(s.to_string_lossy()),
                        v => {
                            return err(
                                format!(
                                    "{what}.values must list strings, found a {}",
                                    v.type_name()
                                ),
                                None,
                            );
                        }
                    }
                }
                if let Some(d) = default.as_str()
                    && !vs.iter().any(|v| v == d)
                {
                    return err(
                        format!("{what}.default `{d}` is not one of its values"),
                        None,
                    );
                }
                Some(vs)
            }
            _ => {
                return err(
                    format!("{what}.values must be a list of strings (string parameters only)"),
                    None,
                );
            }
        };
        let description = get_str(&p, "description", &what)?;
        out.push(ParamDecl {
            name,
            ty,
            default,
            min,
            max,
            values,
            description,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

fn parse_outputs(t: &Table) -> Result<Vec<OutputDecl>, DeclError> {
    let mut out: Vec<OutputDecl> = Vec::new();
    for (i, v) in t.sequence_values::<Value>().enumerate() {
        let what = format!("outputs[{}]", i + 1);
        let Value::Table(o) = v.map_err(|e| (e.to_string(), None))? else {
            return err(
                format!("{what} must be a table"),
                Some("write `{ name = \"value\", style = \"line\" }`"),
            );
        };
        check_keys(
            &o,
            &what,
            &[
                "name",
                "style",
                "color",
                "width",
                "pane",
                "color_by_sign",
                "shape",
                "size",
                "with",
                "dash",
            ],
        )?;
        let Some(name) = get_str(&o, "name", &what)? else {
            return err(
                format!("{what} has no name"),
                Some("add `name = \"value\"`"),
            );
        };
        let valid = name
            .chars()
            .next()
            .is_some_and(|c| c.is_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_alphanumeric() || c == '_');
        if !valid {
            return err(
                format!("{what}.name `{name}` is not an identifier"),
                Some("use letters, digits and `_` (the name is used in references like `id.name`)"),
            );
        }
        if out.iter().any(|d| d.name == name) {
            return err(format!("output `{name}` is declared twice"), None);
        }
        let style_name = get_str(&o, "style", &what)?.unwrap_or_else(|| "line".into());
        let style = match style_name.as_str() {
            "line" => OutputStyle::Line,
            "histogram" => OutputStyle::Histogram {
                color_by_sign: get_bool(&o, "color_by_sign", &what)?.unwrap_or(false),
            },
            "points" => OutputStyle::Points,
            "markers" => {
                let shape = match get_str(&o, "shape", &what)?.as_deref() {
                    None | Some("circle") => MarkerShape::Circle,
                    Some("triangle_up") => MarkerShape::TriangleUp,
                    Some("triangle_down") => MarkerShape::TriangleDown,
                    Some("diamond") => MarkerShape::Diamond,
                    Some(other) => {
                        return err(
                            format!("{what}.shape `{other}` is not a marker shape"),
                            Some(&hint(
                                other,
                                &["triangle_up", "triangle_down", "circle", "diamond"],
                            )),
                        );
                    }
                };
                let size = get_num(&o, "size", &what)?.unwrap_or(8.0) as f32;
                OutputStyle::Markers { shape, size }
            }
            "band" => match get_str(&o, "with", &what)? {
                Some(w) => OutputStyle::Band { with: w },
                None => {
                    return err(
                        format!("{what}: a band needs `with = \"<other output>\"`"),
                        None,
                    );
                }
            },
            other => {
                return err(
                    format!("{what}.style `{other}` is not a style"),
                    Some(&hint(
                        other,
                        &["line", "histogram", "points", "markers", "band"],
                    )),
                );
            }
        };
        let color = get_str(&o, "color", &what)?;
        if let Some(c) = &color {
            check_color(c, &format!("{what}.color"))?;
        }
        let width = get_num(&o, "width", &what)?.map(|w| w as f32);
        if width.is_some_and(|w| w.is_nan() || w <= 0.0) {
            return err(format!("{what}.width must be positive"), None);
        }
        let pane = match get_str(&o, "pane", &what)? {
            Some(p) => Some(parse_pane(&p, &format!("{what}.pane"))?),
            None => None,
        };
        let dashes = [
            LineDash::Solid,
            LineDash::Dash,
            LineDash::Dot,
            LineDash::DashDot,
        ];
        let dash = match get_str(&o, "dash", &what)? {
            None => LineDash::Solid,
            Some(d) => match dashes.iter().find(|x| x.name() == d) {
                Some(x) if style == OutputStyle::Line => *x,
                Some(_) => {
                    return err(
                        format!(
                            "{what}.dash is for lines, but the output's style is `{style_name}`"
                        ),
                        Some("remove `dash`, or use style = \"line\""),
                    );
                }
                None => {
                    return err(
                        format!("{what}.dash `{d}` is not a line pattern"),
                        Some(&hint(&d, &dashes.map(LineDash::name))),
                    );
                }
            },
        };
        out.push(OutputDecl {
            name,
            style,
            color,
            width,
            pane,
            dash,
        });
    }
    if out.is_empty() {
        return err(
            "indicator.outputs is empty",
            Some("declare at least one output: `outputs = { { name = \"value\" } }`"),
        );
    }
    let names: Vec<&str> = out.iter().map(|o| o.name.as_str()).collect();
    for o in &out {
        if let OutputStyle::Band { with } = &o.style
            && (!names.contains(&with.as_str()) || with == &o.name)
        {
            return err(
                format!(
                    "output `{}` is a band with `{with}`, which is not another output",
                    o.name
                ),
                Some(&hint(with, &names)),
            );
        }
    }
    Ok(out)
}
