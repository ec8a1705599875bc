//! The chart file's text plus an index from key paths to byte spans, so that
//! every stage (schema, plugin params, references) can point at the exact place.

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde_json::{Map, Number, Value};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::error::{ConfigError, ConfigErrorKind, ConfigErrors, Snippet};

/// The syntax a chart file is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceFormat {
    /// TOML (the usual format).
    Toml,
    /// JSON (same schema; errors after parsing carry no line numbers).
    Json,
}

/// Byte spans of one node: the key that names it (absent for array items and
/// the root) and its value (for `[table]` / `[[array]]` items, the header).
#[derive(Debug, Clone, PartialEq, Eq)]
struct NodeSpan {
    key: Option<Range<usize>>,
    value: Range<usize>,
}

/// A chart file's text and where each key path lies in it.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceMap {
    file: PathBuf,
    text: String,
    format: SourceFormat,
    spans: HashMap<String, NodeSpan>,
}

impl SourceMap {
    /// A map with no spans: every error falls back to the file alone.
    pub fn without_spans(file: &Path, text: &str, format: SourceFormat) -> Self {
        Self {
            file: file.to_path_buf(),
            text: text.to_string(),
            format,
            spans: HashMap::new(),
        }
    }

    /// The file, as the user named it.
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// The file's whole text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The syntax the file is written in.
    pub fn format(&self) -> SourceFormat {
        self.format
    }

    /// Whether `key_path` exists in the file (`false` for keys filled in by defaults).
    pub fn contains(&self, key_path: &str) -> bool {
        self.spans.contains_key(key_path)
    }

    /// Byte span of the value at `key_path`, if it is in the file.
    pub fn value_span(&self, key_path: &str) -> Option<Range<usize>> {
        self.spans.get(key_path).map(|s| s.value.clone())
    }

    /// Byte span of the key that names `key_path` (falls back to the value's
    /// span for array items).
    pub fn key_span(&self, key_path: &str) -> Option<Range<usize>> {
        self.spans
            .get(key_path)
            .map(|s| s.key.clone().unwrap_or_else(|| s.value.clone()))
    }

    /// An error pointing at the value at `key_path`; if that path is not in
    /// the file (e.g. a key filled in by a default), at its nearest parent
    /// that is. `key_path` is kept as given.
    pub fn error_at(
        &self,
        key_path: &str,
        kind: ConfigErrorKind,
        message: impl Into<String>,
        help: Option<String>,
    ) -> ConfigError {
        let span = self.nearest(key_path, false);
        self.error_at_span(span, key_path, kind, message, help)
    }

    /// Like [`error_at`](Self::error_at) but points at the key itself, which
    /// reads better for "unknown key" and "duplicate id" errors.
    pub fn key_error_at(
        &self,
        key_path: &str,
        kind: ConfigErrorKind,
        message: impl Into<String>,
        help: Option<String>,
    ) -> ConfigError {
        let span = self.nearest(key_path, true);
        self.error_at_span(span, key_path, kind, message, help)
    }

    /// An error at an explicit byte span (or none).
    pub fn error_at_span(
        &self,
        span: Option<Range<usize>>,
        key_path: &str,
        kind: ConfigErrorKind,
        message: impl Into<String>,
        help: Option<String>,
    ) -> ConfigError {
        let mut error = ConfigError::unlocated(&self.file, kind, message, help);
        error.key_path = key_path.to_string();
        if let Some(span) = span {
            let (line, column, snippet) = self.locate(span);
            error.line = line;
            error.column = column;
            error.snippet = Some(snippet);
        }
        error
    }

    /// An error at a 1-based line and column (for parsers that report those).
    pub(super) fn error_at_line_column(
        &self,
        line: usize,
        column: usize,
        kind: ConfigErrorKind,
        message: impl Into<String>,
        help: Option<String>,
    ) -> ConfigError {
        let mut error = ConfigError::unlocated(&self.file, kind, message, help);
        error.line = line;
        error.column = column;
        if let Some(line_text) = self.text.lines().nth(line.wrapping_sub(1)) {
            error.snippet = Some(Snippet {
                line_text: line_text.trim_end_matches('\r').to_string(),
                start_column: column.max(1),
                width: 1,
            });
        }
        error
    }

    /// The 1-based line number of a byte offset.
    pub fn line_of(&self, offset: usize) -> usize {
        self.locate(offset..offset).0
    }

    fn nearest(&self, key_path: &str, want_key: bool) -> Option<Range<usize>> {
        let mut path = key_path;
        let mut exact = true;
        loop {
            if let Some(node) = self.spans.get(path) {
                // A parent stands in for a missing child: point at its value
                // (its table header), not at its key.
                return Some(match (&node.key, want_key && exact) {
                    (Some(key), true) => key.clone(),
                    _ => node.value.clone(),
                });
            }
            exact = false;
            path = parent_path(path)?;
        }
    }

    /// Line, column and source line of a byte span (clamped to the text).
    fn locate(&self, span: Range<usize>) -> (usize, usize, Snippet) {
        let start = floor_char_boundary(&self.text, span.start.min(self.text.len()));
        let line_start = self.text[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = self.text[start..]
            .find('\n')
            .map_or(self.text.len(), |i| start + i);
        let line = self.text[..start].matches('\n').count() + 1;
        let column = self.text[line_start..start].chars().count() + 1;
        let end = floor_char_boundary(&self.text, span.end.clamp(start, line_end));
        let snippet = Snippet {
            line_text: self.text[line_start..line_end]
                .trim_end_matches('\r')
                .to_string(),
            start_column: column,
            width: self.text[start..end].chars().count().max(1),
        };
        (line, column, snippet)
    }
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// `parent` + `.key`, quoting keys that TOML would need quoted.
pub(super) fn join_key(parent: &str, key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    let key = if bare {
        key.to_string()
    } else {
        // A JSON string literal is also a valid TOML basic string.
        serde_json::to_string(key).unwrap_or_else(|_| format!("\"{key}\""))
    };
    if parent.is_empty() {
        key
    } else {
        format!("{parent}.{key}")
    }
}

/// `parent` + `[index]`.
pub(super) fn join_index(parent: &str, index: usize) -> String {
    format!("{parent}[{index}]")
}

/// The key path one level up (`a.b[2]` → `a.b` → `a` → ``); `None` at the root.
pub(super) fn parent_path(path: &str) -> Option<&str> {
    if path.is_empty() {
        return None;
    }
    // The last `.` or `[` outside a quoted key starts the last segment.
    let mut cut = 0;
    let mut in_quotes = false;
    let mut escaped = false;
    for (i, c) in path.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_quotes => escaped = true,
            '"' => in_quotes = !in_quotes,
            '.' | '[' if !in_quotes => cut = i,
            _ => {}
        }
    }
    Some(&path[..cut])
}

/// Parses TOML text into JSON (what the schema validates) and a source map.
///
/// Dates and times become strings in TOML's own notation, so
/// `start = 2012-01-03` works as well as `start = "2012-01-03"`.
pub(super) fn parse_toml(file: &Path, text: &str) -> Result<(Value, SourceMap), ConfigErrors> {
    let mut map = SourceMap::without_spans(file, text, SourceFormat::Toml);
    let root = match DeTable::parse(text) {
        Ok(root) => root,
        Err(error) => return Err(syntax_error(&map, &error).into()),
    };
    let mut errors = Vec::new();
    let mut spans = HashMap::new();
    let value = table_to_json(root.get_ref(), "", &mut spans, &mut errors);
    map.spans = spans;
    if errors.is_empty() {
        Ok((value, map))
    } else {
        Err(ConfigErrors::sorted(
            errors
                .into_iter()
                .map(|(path, message, help)| {
                    map.error_at(
                        &path,
                        ConfigErrorKind::InvalidValue,
                        message,
                        Some(help.to_string()),
                    )
                })
                .collect(),
        ))
    }
}

fn syntax_error(map: &SourceMap, error: &toml::de::Error) -> ConfigError {
    let raw = error.message();
    let span = error.span();
    let spanned_text = span
        .clone()
        .and_then(|s| map.text.get(s))
        .unwrap_or_default();
    let (message, help) = if raw.starts_with("duplicate key") {
        (
            format!("duplicate key `{spanned_text}`"),
            "a key may be set only once in a table: remove or rename one of them",
        )
    } else if raw.contains("string") {
        (
            format!("invalid TOML: {raw}"),
            "close the string with the same quote on the same line (use `\"\"\"` for text over several lines)",
        )
    } else if raw.contains("array") {
        (
            format!("invalid TOML: {raw}"),
            "close the array with `]`; separate items with `,`",
        )
    } else if raw.contains("inline table") {
        (
            format!("invalid TOML: {raw}"),
            "write an inline table on one line as `{ key = value, other = value }`",
        )
    } else {
        (
            format!("invalid TOML: {raw}"),
            "each line is `key = value`, `[table]` or `[[array-of-tables]]`; strings need quotes",
        )
    };
    map.error_at_span(
        span,
        "",
        ConfigErrorKind::Syntax,
        message,
        Some(help.to_string()),
    )
}

type Spans = HashMap<String, NodeSpan>;
/// A value JSON cannot hold: key path, message, help.
type ValueError = (String, String, &'static str);

fn table_to_json(
    table: &DeTable<'_>,
    path: &str,
    spans: &mut Spans,
    errors: &mut Vec<ValueError>,
) -> Value {
    let mut object = Map::new();
    for (key, value) in table.iter() {
        let child = join_key(path, key.get_ref());
        spans.insert(
            child.clone(),
            NodeSpan {
                key: Some(key.span()),
                value: value.span(),
            },
        );
        let json = value_to_json(value, &child, spans, errors);
        object.insert(key.get_ref().to_string(), json);
    }
    Value::Object(object)
}

fn value_to_json(
    value: &Spanned<DeValue<'_>>,
    path: &str,
    spans: &mut Spans,
    errors: &mut Vec<ValueError>,
) -> Value {
    match value.get_ref() {
        DeValue::String(s) => Value::String(s.to_string()),
        DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
            Ok(n) => Value::Number(n.into()),
            Err(_) => {
                errors.push((
                    path.to_string(),
                    format!("integer `{i}` is out of range"),
                    "use a whole number between -2^63 and 2^63 - 1",
                ));
                Value::Null
            }
        },
        DeValue::Float(f) => match f.as_str().parse::<f64>().ok().and_then(Number::from_f64) {
            Some(n) => Value::Number(n),
            None => {
                errors.push((
                    path.to_string(),
                    format!("`{}` is not a finite number", f.as_str()),
                    "use a finite number",
                ));
                Value::Null
            }
        },
        DeValue::Boolean(b) => Value::Bool(*b),
        DeValue::Datetime(d) => Value::String(d.to_string()),
        DeValue::Array(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let child = join_index(path, i);
                    spans.insert(
                        child.clone(),
                        NodeSpan {
                            key: None,
                            value: item.span(),
                        },
                    );
                    value_to_json(item, &child, spans, errors)
                })
                .collect(),
        ),
        DeValue::Table(table) => table_to_json(table, path, spans, errors),
    }
}

/// Parses a JSON chart file. Only syntax errors carry a line and column:
/// `serde_json` keeps no spans, so later errors name the key path only.
pub(super) fn parse_json(file: &Path, text: &str) -> Result<(Value, SourceMap), ConfigErrors> {
    let map = SourceMap::without_spans(file, text, SourceFormat::Json);
    match serde_json::from_str::<Value>(text) {
        Ok(value) => Ok((value, map)),
        Err(error) => Err(ConfigErrors::from(map.error_at_line_column(
            error.line(),
            error.column(),
            ConfigErrorKind::Syntax,
            // serde_json appends " at line L column C"; the location is shown anyway.
            format!(
                "invalid JSON: {}",
                error
                    .to_string()
                    .split(" at line ")
                    .next()
                    .unwrap_or_default()
            ),
            Some("check the JSON syntax near here (quotes, commas, brackets)".to_string()),
        ))),
    }
}
