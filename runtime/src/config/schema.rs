//! JSON Schema: the chart schema generated from the types, plugin parameter
//! schemas, and the translation of `jsonschema` errors into located,
//! human-readable [`ConfigError`]s.

use std::sync::OnceLock;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::paths::LocationSegment;
use jsonschema::{JsonType, ValidationError, Validator};
use serde_json::{Map, Value};

use super::error::{ConfigError, ConfigErrorKind, ConfigErrors};
use super::source_map::{SourceFormat, SourceMap, join_index, join_key};
use super::suggest::{list_names, suggest};
use super::types::ChartConfig;

/// The `title` of the generated chart schema (shown by editors).
const SCHEMA_TITLE: &str = "gpu-charts chart";

/// Pattern of colour strings in the chart schema (see `types.rs`).
const COLOR_PATTERN: &str = r"^#([0-9a-fA-F]{6}|[0-9a-fA-F]{8})$";
/// Pattern of ids in the chart schema (see `types.rs`).
pub(super) const IDENT_PATTERN: &str = r"^[A-Za-z_][A-Za-z0-9_]*$";

/// The chart file's JSON Schema, generated from [`ChartConfig`] by
/// `schemars` (doc comments become descriptions). Object keys are sorted so
/// the text does not depend on `serde_json`'s `preserve_order` feature,
/// which another crate in the build may switch on.
pub fn chart_schema() -> Value {
    let mut schema = schemars::schema_for!(ChartConfig).to_value();
    if let Some(object) = schema.as_object_mut() {
        object.insert("title".to_string(), Value::from(SCHEMA_TITLE));
    }
    sort_keys(schema)
}

/// [`chart_schema`] as pretty JSON with a trailing newline: the exact text
/// of `schemas/chart.schema.json`.
pub fn chart_schema_pretty() -> String {
    // Serializing a `Value` cannot fail: all its map keys are strings.
    let mut text = serde_json::to_string_pretty(&chart_schema()).unwrap_or_default();
    text.push('\n');
    text
}

fn sort_keys(value: Value) -> Value {
    match value {
        Value::Object(object) => {
            let mut entries: Vec<(String, Value)> = object.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, sort_keys(v)))
                    .collect::<Map<_, _>>(),
            )
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sort_keys).collect()),
        other => other,
    }
}

/// The chart schema and its compiled validator, built once per process.
fn chart_validator() -> Result<&'static (Value, Validator), String> {
    static VALIDATOR: OnceLock<Result<(Value, Validator), String>> = OnceLock::new();
    VALIDATOR
        .get_or_init(|| {
            let schema = chart_schema();
            let validator = jsonschema::validator_for(&schema).map_err(|e| e.to_string())?;
            Ok((schema, validator))
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// Validates a parsed chart against the chart schema; every violation
/// becomes one located error.
pub(super) fn validate_chart(
    value: &Value,
    source_map: &SourceMap,
) -> Result<(), Vec<ConfigError>> {
    let (schema, validator) = chart_validator().map_err(|e| {
        vec![ConfigError::unlocated(
            source_map.file(),
            ConfigErrorKind::Schema,
            format!("the built-in chart schema does not compile: {e}"),
            Some("this is a bug in gpu-charts; please report it".to_string()),
        )]
    })?;
    let target = Target {
        schema,
        prefix: "",
        plugin: None,
        source_map,
    };
    let errors: Vec<ConfigError> = validator
        .iter_errors(value)
        .flat_map(|e| target.translate(&e))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// A plugin's or script's params schema, parsed and compiled once.
struct CompiledSchema {
    schema: Value,
    validator: jsonschema::Validator,
}

/// Compiled params schemas by their text: every load of a chart validates
/// each plugin's params, and compiling a schema costs more than using it.
fn compiled_schema(schema_json: &str) -> Result<std::sync::Arc<CompiledSchema>, String> {
    use std::sync::{Arc, Mutex, OnceLock};
    static CACHE: OnceLock<Mutex<lru::LruCache<String, Arc<CompiledSchema>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| {
        Mutex::new(lru::LruCache::new(
            std::num::NonZeroUsize::new(128).unwrap_or(std::num::NonZeroUsize::MIN),
        ))
    });
    if let Ok(mut c) = cache.lock()
        && let Some(hit) = c.get(schema_json)
    {
        return Ok(hit.clone());
    }
    let schema: Value = serde_json::from_str(schema_json).map_err(|e| e.to_string())?;
    let validator = jsonschema::validator_for(&schema).map_err(|e| e.to_string())?;
    let compiled = Arc::new(CompiledSchema { schema, validator });
    if let Ok(mut c) = cache.lock() {
        c.put(schema_json.to_string(), compiled.clone());
    }
    Ok(compiled)
}

/// Validates a plugin's `params` against the plugin's own JSON Schema.
///
/// * `schema_json` — the schema text the plugin publishes.
/// * `key_path_prefix` — where `params` is in the chart, e.g. `indicators[0].params`.
/// * `what` — names the plugin in messages, e.g. ``indicator plugin `sma` ``.
///
/// Every violation is a [`ConfigErrorKind::PluginParams`] error located in
/// the chart file; a schema that is not valid JSON Schema is one
/// [`ConfigErrorKind::PluginSchema`] error naming the plugin. Validate
/// before [`apply_defaults`] so that errors point at what the user wrote.
pub fn validate_params(
    schema_json: &str,
    params: &Value,
    key_path_prefix: &str,
    what: &str,
    source_map: &SourceMap,
) -> Result<(), ConfigErrors> {
    let bad_schema = |detail: String| {
        ConfigErrors::from(source_map.error_at(
            key_path_prefix,
            ConfigErrorKind::PluginSchema,
            format!("{what} publishes an invalid parameter schema: {detail}"),
            Some("this is a bug in the plugin; report it to the plugin's author".to_string()),
        ))
    };
    let compiled = compiled_schema(schema_json).map_err(bad_schema)?;
    let (schema, validator) = (&compiled.schema, &compiled.validator);
    let target = Target {
        schema,
        prefix: key_path_prefix,
        plugin: Some(what),
        source_map,
    };
    let errors: Vec<ConfigError> = validator
        .iter_errors(params)
        .flat_map(|e| target.translate(&e))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ConfigErrors::sorted(errors))
    }
}

/// `params` with the `default` of every top-level property of the plugin's
/// schema filled in where the user gave none, so a plugin always receives
/// complete parameters. Non-object params, or a schema that does not parse,
/// leave `params` unchanged ([`validate_params`] reports the latter).
pub fn apply_defaults(schema_json: &str, params: &Value) -> Value {
    let mut params = params.clone();
    let Ok(compiled) = compiled_schema(schema_json) else {
        return params;
    };
    let schema = &compiled.schema;
    let (Some(properties), Some(object)) = (
        schema.get("properties").and_then(Value::as_object),
        params.as_object_mut(),
    ) else {
        return params;
    };
    for (name, property) in properties {
        if let Some(default) = property.get("default")
            && !object.contains_key(name)
        {
            object.insert(name.clone(), default.clone());
        }
    }
    params
}

/// Where a validated value sits, and how to word its errors.
struct Target<'a> {
    /// The root schema the errors' schema paths point into.
    schema: &'a Value,
    /// Key path of the validated value in the chart file.
    prefix: &'a str,
    /// Names the plugin when validating plugin params, e.g.
    /// ``indicator plugin `sma` ``; `None` for the chart itself.
    plugin: Option<&'a str>,
    source_map: &'a SourceMap,
}

impl Target<'_> {
    /// One `jsonschema` error → located errors (several for several unknown keys).
    fn translate(&self, error: &ValidationError<'_>) -> Vec<ConfigError> {
        let mut rel = String::new();
        for segment in error.instance_path().iter() {
            rel = match segment {
                LocationSegment::Property(key) => join_key(&rel, &key),
                LocationSegment::Index(i) => join_index(&rel, i),
            };
        }
        let full = self.full_path(&rel);
        let instance = error.instance();
        let keyword_parent = parent_pointer(error.schema_path().as_str());
        let subschema = resolve_pointer(self.schema, keyword_parent);

        let mut built = match error.kind() {
            ValidationErrorKind::AdditionalProperties { unexpected } => {
                return unexpected
                    .iter()
                    .map(|key| self.unknown_key(&rel, key, subschema))
                    .collect();
            }
            ValidationErrorKind::Required { property } => {
                let name = property.as_str().unwrap_or_default();
                let key_path = join_key(&full, name);
                let what = match self.plugin {
                    Some(_) => "parameter",
                    None => "key",
                };
                let doc = subschema
                    .and_then(|s| s.get("properties"))
                    .and_then(|p| p.get(name))
                    .and_then(|p| description(self.schema, p));
                let help = match doc {
                    Some(doc) => format!("add `{name}`: {doc}"),
                    None => format!("add `{name} = ...`"),
                };
                self.source_map.error_at(
                    &key_path,
                    ConfigErrorKind::MissingKey,
                    format!("missing {what} `{name}` {}", self.place(&rel)),
                    Some(help),
                )
            }
            ValidationErrorKind::Type { kind } => {
                let expected: Vec<JsonType> = match kind {
                    TypeKind::Single(t) => vec![*t],
                    TypeKind::Multiple(set) => set.iter().collect(),
                };
                // TOML has no null; `Option` fields allow it but say nothing useful.
                let expected: Vec<JsonType> = expected
                    .into_iter()
                    .filter(|t| *t != JsonType::Null)
                    .collect();
                let names: Vec<&str> = expected.iter().map(|t| self.type_name(*t)).collect();
                let mut help = expected
                    .first()
                    .map(|t| self.type_hint(*t).to_string())
                    .unwrap_or_default();
                if let Some(doc) = subschema.and_then(|s| description(self.schema, s)) {
                    help = format!("{help} ({})", doc.trim_end_matches('.'));
                }
                self.source_map.error_at(
                    &full,
                    ConfigErrorKind::Type,
                    format!(
                        "wrong type for {}: expected {}, found {}",
                        self.subject(&rel),
                        names.join(" or "),
                        self.describe(instance)
                    ),
                    Some(help),
                )
            }
            ValidationErrorKind::Enum { options } => {
                let choices = options.as_array().cloned().unwrap_or_default();
                self.bad_choice(&rel, instance, &choices)
            }
            ValidationErrorKind::OneOfNotValid { context }
            | ValidationErrorKind::AnyOf { context } => match const_choices(context) {
                Some(choices) => self.bad_choice(&rel, instance, &choices),
                None => {
                    let branches: Vec<String> = context
                        .iter()
                        .filter_map(|branch| branch.first())
                        .map(|e| e.to_string())
                        .collect();
                    self.source_map.error_at(
                        &full,
                        ConfigErrorKind::InvalidValue,
                        format!("{} matches none of the allowed forms", self.subject(&rel)),
                        Some(format!("each form failed: {}", branches.join("; "))),
                    )
                }
            },
            ValidationErrorKind::Constant { expected_value } => self.source_map.error_at(
                &full,
                ConfigErrorKind::InvalidValue,
                format!(
                    "{} must be {}, found {}",
                    self.subject(&rel),
                    show(expected_value),
                    self.describe(instance)
                ),
                Some(format!("write `{}`", show(expected_value))),
            ),
            ValidationErrorKind::Minimum { limit } => {
                self.out_of_range(&rel, instance, "at least", limit)
            }
            ValidationErrorKind::Maximum { limit } => {
                self.out_of_range(&rel, instance, "at most", limit)
            }
            ValidationErrorKind::ExclusiveMinimum { limit } => {
                self.out_of_range(&rel, instance, "greater than", limit)
            }
            ValidationErrorKind::ExclusiveMaximum { limit } => {
                self.out_of_range(&rel, instance, "less than", limit)
            }
            ValidationErrorKind::MinItems { limit } => {
                self.bad_length(&rel, subschema, instance, "at least", *limit, "item")
            }
            ValidationErrorKind::MaxItems { limit } => {
                self.bad_length(&rel, subschema, instance, "at most", *limit, "item")
            }
            ValidationErrorKind::MinLength { limit } => {
                self.bad_length(&rel, subschema, instance, "at least", *limit, "character")
            }
            ValidationErrorKind::MaxLength { limit } => {
                self.bad_length(&rel, subschema, instance, "at most", *limit, "character")
            }
            ValidationErrorKind::MinProperties { limit } => {
                self.bad_length(&rel, subschema, instance, "at least", *limit, "entry")
            }
            ValidationErrorKind::MaxProperties { limit } => {
                self.bad_length(&rel, subschema, instance, "at most", *limit, "entry")
            }
            ValidationErrorKind::Pattern { pattern } => {
                let (message, help) = match pattern.as_str() {
                    COLOR_PATTERN => (
                        format!(
                            "{} is not a colour: {}",
                            self.subject(&rel),
                            self.describe(instance)
                        ),
                        "write `#rrggbb` or `#rrggbbaa` in hexadecimal, e.g. `#f5a623`".to_string(),
                    ),
                    IDENT_PATTERN => (
                        format!(
                            "{} is not a valid id: {}",
                            self.subject(&rel),
                            self.describe(instance)
                        ),
                        "use letters, digits and `_`, not starting with a digit, e.g. `sma20`"
                            .to_string(),
                    ),
                    _ => (
                        format!(
                            "{} does not match the pattern `{pattern}`: {}",
                            self.subject(&rel),
                            self.describe(instance)
                        ),
                        subschema
                            .and_then(|s| description(self.schema, s))
                            .unwrap_or_else(|| format!("write a value matching `{pattern}`")),
                    ),
                };
                self.source_map
                    .error_at(&full, ConfigErrorKind::InvalidValue, message, Some(help))
            }
            _ => self.source_map.error_at(
                &full,
                ConfigErrorKind::Schema,
                format!("{} is invalid: {error}", self.subject(&rel)),
                subschema.and_then(|s| description(self.schema, s)),
            ),
        };
        if self.plugin.is_some() {
            built.kind = ConfigErrorKind::PluginParams;
        }
        vec![built]
    }

    /// Key path in the chart file of a path relative to the validated value.
    fn full_path(&self, rel: &str) -> String {
        match (self.prefix.is_empty(), rel.is_empty(), rel.starts_with('[')) {
            (true, _, _) => rel.to_string(),
            (false, true, _) => self.prefix.to_string(),
            (false, false, true) => format!("{}{rel}", self.prefix),
            (false, false, false) => format!("{}.{rel}", self.prefix),
        }
    }

    /// How to name a value in a message: `` `theme` `` or
    /// ``parameter `period` of indicator plugin `sma` ``.
    fn subject(&self, rel: &str) -> String {
        match (self.plugin, rel.is_empty()) {
            (None, true) => "the chart".to_string(),
            (None, false) => format!("`{rel}`"),
            (Some(what), true) => format!("the parameters of {what}"),
            (Some(what), false) => format!("parameter `{rel}` of {what}"),
        }
    }

    /// Where a key lives, for "unknown key" / "missing key" messages.
    fn place(&self, rel: &str) -> String {
        match (self.plugin, rel.is_empty()) {
            (None, true) => "at the top level".to_string(),
            (None, false) => format!("in {rel}"),
            (Some(what), true) => format!("for {what}"),
            (Some(what), false) => format!("in `{rel}` for {what}"),
        }
    }

    fn unknown_key(&self, rel: &str, key: &str, subschema: Option<&Value>) -> ConfigError {
        let valid: Vec<&str> = subschema
            .and_then(|s| s.get("properties"))
            .and_then(Value::as_object)
            .map(|p| p.keys().map(String::as_str).collect())
            .unwrap_or_default();
        let (noun, nouns) = match self.plugin {
            Some(_) => ("parameter", "parameters"),
            None => ("key", "keys"),
        };
        let help = match suggest(key, valid.iter().copied()) {
            Some(best) => format!("did you mean `{best}`?"),
            None if valid.is_empty() => format!("no {nouns} are allowed here; remove `{key}`"),
            None => format!("valid {nouns} here: {}", list_names(valid.iter().copied())),
        };
        let key_path = join_key(&self.full_path(rel), key);
        self.source_map.key_error_at(
            &key_path,
            match self.plugin {
                Some(_) => ConfigErrorKind::PluginParams,
                None => ConfigErrorKind::UnknownKey,
            },
            format!("unknown {noun} `{key}` {}", self.place(rel)),
            Some(help),
        )
    }

    fn bad_choice(&self, rel: &str, instance: &Value, choices: &[Value]) -> ConfigError {
        let names: Vec<String> = choices.iter().map(show_bare).collect();
        let allowed = list_names(names.iter().map(String::as_str));
        let help = match instance
            .as_str()
            .and_then(|s| suggest(s, names.iter().map(String::as_str)))
        {
            Some(best) => format!("did you mean `{best}`? allowed values: {allowed}"),
            None => format!("allowed values: {allowed}"),
        };
        self.source_map.error_at(
            &self.full_path(rel),
            ConfigErrorKind::InvalidValue,
            format!(
                "invalid value {} for {}",
                self.describe_scalar(instance),
                self.subject(rel)
            ),
            Some(help),
        )
    }

    fn out_of_range(&self, rel: &str, instance: &Value, bound: &str, limit: &Value) -> ConfigError {
        self.source_map.error_at(
            &self.full_path(rel),
            ConfigErrorKind::InvalidValue,
            format!(
                "{} must be {bound} {limit}, found {}",
                self.subject(rel),
                show(instance)
            ),
            Some(match bound {
                "at least" | "at most" => format!("use a value of {bound} {limit}"),
                _ => format!("use a value {bound} {limit}"),
            }),
        )
    }

    fn bad_length(
        &self,
        rel: &str,
        subschema: Option<&Value>,
        instance: &Value,
        bound: &str,
        limit: u64,
        unit: &str,
    ) -> ConfigError {
        let count = match instance {
            Value::Array(a) => a.len(),
            Value::Object(o) => o.len(),
            Value::String(s) => s.chars().count(),
            _ => 0,
        };
        let plural = |n: u64| match (n, unit) {
            (1, _) => unit.to_string(),
            (_, "entry") => "entries".to_string(),
            _ => format!("{unit}s"),
        };
        let help = subschema
            .and_then(|s| description(self.schema, s))
            .unwrap_or_else(|| format!("give {bound} {limit} {}", plural(limit)));
        self.source_map.error_at(
            &self.full_path(rel),
            ConfigErrorKind::InvalidValue,
            format!(
                "{} needs {bound} {limit} {}, found {count}",
                self.subject(rel),
                plural(limit)
            ),
            Some(help),
        )
    }

    fn type_name(&self, t: JsonType) -> &'static str {
        match (t, self.source_map.format()) {
            (JsonType::Array, _) => "an array",
            (JsonType::Boolean, _) => "a boolean",
            (JsonType::Integer, _) => "an integer",
            (JsonType::Null, _) => "null",
            (JsonType::Number, _) => "a number",
            (JsonType::Object, SourceFormat::Toml) => "a table",
            (JsonType::Object, SourceFormat::Json) => "an object",
            (JsonType::String, _) => "a string",
        }
    }

    fn type_hint(&self, t: JsonType) -> &'static str {
        match (t, self.source_map.format()) {
            (JsonType::Array, _) => "write a list in brackets, e.g. `[1, 2]`",
            (JsonType::Boolean, _) => "write `true` or `false`",
            (JsonType::Integer, _) => "write a whole number without quotes, e.g. `20`",
            (JsonType::Null, _) => "remove the value",
            (JsonType::Number, _) => "write a number without quotes, e.g. `1.5`",
            (JsonType::Object, SourceFormat::Toml) => {
                "write a table, e.g. `{ key = \"value\" }` or a `[section]`"
            }
            (JsonType::Object, SourceFormat::Json) => "write an object, e.g. `{ \"key\": 1 }`",
            (JsonType::String, _) => "put the text in quotes, e.g. `\"text\"`",
        }
    }

    /// `string "big"`, `integer 3`, `a table`, ...
    fn describe(&self, value: &Value) -> String {
        match value {
            Value::Null => "nothing".to_string(),
            Value::Bool(b) => format!("boolean `{b}`"),
            Value::Number(n) if n.is_f64() => format!("float `{n}`"),
            Value::Number(n) => format!("integer `{n}`"),
            Value::String(_) => format!("string `{}`", show(value)),
            Value::Array(items) => format!("an array of {} items", items.len()),
            Value::Object(_) => self.type_name(JsonType::Object).to_string(),
        }
    }

    /// `` `drak` `` for scalars, the description otherwise.
    fn describe_scalar(&self, value: &Value) -> String {
        match value {
            Value::Array(_) | Value::Object(_) | Value::Null => self.describe(value),
            _ => format!("`{}`", show_bare(value)),
        }
    }
}

/// A value as the user would write it; long strings are cut short.
fn show(value: &Value) -> String {
    match value {
        Value::String(s) if s.chars().count() > 40 => {
            let cut: String = s.chars().take(40).collect();
            format!("{}…", Value::from(cut))
        }
        other => other.to_string(),
    }
}

/// Like [`show`] but strings without quotes, for lists of choices.
fn show_bare(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => show(other),
    }
}

/// If every branch of a `oneOf`/`anyOf` failed only because the value is not
/// one of some constants (how `schemars` renders documented enums), those
/// constants.
fn const_choices(context: &[Vec<ValidationError<'static>>]) -> Option<Vec<Value>> {
    let mut choices = Vec::new();
    for error in context.iter().flatten() {
        match error.kind() {
            ValidationErrorKind::Constant { expected_value } => {
                choices.push(Value::clone(expected_value));
            }
            ValidationErrorKind::Enum { options } => {
                choices.extend(options.as_array().into_iter().flatten().cloned());
            }
            // A `{ "type": "string", "const": ... }` branch also reports the type.
            ValidationErrorKind::Type { .. } => {}
            _ => return None,
        }
    }
    (!choices.is_empty()).then_some(choices)
}

/// The JSON pointer one level up (the schema holding the failed keyword).
fn parent_pointer(pointer: &str) -> &str {
    pointer.rfind('/').map_or("", |i| &pointer[..i])
}

/// The subschema at a JSON pointer into `root`.
fn resolve_pointer<'a>(root: &'a Value, pointer: &str) -> Option<&'a Value> {
    if pointer.is_empty() {
        Some(root)
    } else {
        root.pointer(pointer)
    }
}

/// A subschema's description on one line, following a local `$ref` if the
/// subschema has none of its own.
fn description(root: &Value, schema: &Value) -> Option<String> {
    let text = match schema.get("description").and_then(Value::as_str) {
        Some(text) => text,
        None => {
            let target = schema
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix('#'))
                .and_then(|p| resolve_pointer(root, p))?;
            target.get("description").and_then(Value::as_str)?
        }
    };
    Some(text.split_whitespace().collect::<Vec<_>>().join(" "))
}
