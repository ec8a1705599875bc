//! Located configuration errors, rendered like rustc / nushell diagnostics.

use std::fmt;
use std::path::PathBuf;

/// What kind of problem a [`ConfigError`] reports. Tests and callers match on
/// this; the message and help are for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConfigErrorKind {
    /// The file could not be read.
    Io,
    /// The text is not valid TOML (or JSON).
    Syntax,
    /// A key that the chart format does not know (often a typo).
    UnknownKey,
    /// A required key is absent.
    MissingKey,
    /// A value has the wrong type (a string where a number belongs, ...).
    Type,
    /// A value of the right type that is not allowed: not one of the
    /// choices, out of range, wrong length or wrong format.
    InvalidValue,
    /// Any other violation of the chart schema, or the schema itself failing.
    Schema,
    /// A plugin's parameters do not satisfy that plugin's own schema.
    PluginParams,
    /// A plugin published a parameter schema that is not valid JSON Schema.
    PluginSchema,
    /// A reference to something that does not exist (an unknown plugin,
    /// source, indicator or column). Raised by later stages via
    /// [`SourceMap::error_at`](super::SourceMap::error_at).
    Reference,
    /// `timezone` is not an IANA time zone name.
    Timezone,
    /// A `view` time could not be parsed, or the range is empty.
    Time,
    /// A `timeframe` is not a count and a unit (`5m`, `1h`, `1d`, ...).
    Timeframe,
    /// Two things share an id that must be unique.
    DuplicateId,
    /// A plugin is missing, failed to load, or returned an error (its
    /// message names the plugin).
    Plugin,
    /// A source's data was rejected (unsorted timestamps, NaN, no rows).
    Data,
    /// A Lua script failed to load or run (its message names the script,
    /// line and bar).
    Script,
}

/// The source line an error points at, kept so the error can be displayed
/// without the file at hand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snippet {
    /// The whole line, without its line ending.
    pub line_text: String,
    /// First marked character, 1-based, counted in characters.
    pub start_column: usize,
    /// Number of characters to mark (at least 1).
    pub width: usize,
}

/// One problem in a chart file, with where it is and what to do about it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}", render(self))]
pub struct ConfigError {
    /// The chart file, as the user named it.
    pub file: PathBuf,
    /// 1-based line; 0 when the problem has no single place (e.g. a key
    /// missing at the top level, or any schema error in a JSON file).
    pub line: usize,
    /// 1-based column in characters; 0 when unknown.
    pub column: usize,
    /// Where in the chart the problem is, e.g. `panes[0].series[1].color`;
    /// empty for the whole file.
    pub key_path: String,
    /// What kind of problem it is.
    pub kind: ConfigErrorKind,
    /// One line saying what is wrong.
    pub message: String,
    /// What the user can do about it.
    pub help: Option<String>,
    /// The offending source line, if the location is known.
    pub snippet: Option<Snippet>,
}

impl ConfigError {
    /// An error about the whole file, with no line or key (e.g. it cannot be read).
    pub fn unlocated(
        file: impl Into<PathBuf>,
        kind: ConfigErrorKind,
        message: impl Into<String>,
        help: Option<String>,
    ) -> Self {
        Self {
            file: file.into(),
            line: 0,
            column: 0,
            key_path: String::new(),
            kind,
            message: message.into(),
            help,
            snippet: None,
        }
    }
}

/// Renders:
///
/// ```text
/// error: unknown key `colr` in panes[0].series[0]
///   --> examples/aapl.toml:14:1
///    |
/// 14 | colr = "#ff0000"
///    | ^^^^
///    = help: did you mean `color`?
/// ```
fn render(e: &ConfigError) -> String {
    use fmt::Write as _;
    let mut out = format!("error: {}", e.message);
    let file = e.file.display();
    // The gutter is as wide as the line number, as in rustc.
    let gutter = e.line.max(1).to_string().len();
    let pad = " ".repeat(gutter);
    match (e.line, e.column) {
        (0, _) => {
            let _ = write!(out, "\n{pad}--> {file}");
        }
        (line, 0) => {
            let _ = write!(out, "\n{pad}--> {file}:{line}");
        }
        (line, column) => {
            let _ = write!(out, "\n{pad}--> {file}:{line}:{column}");
        }
    }
    if let Some(snippet) = &e.snippet {
        // Tabs would shift the caret; one space per character keeps it aligned.
        let text = snippet.line_text.replace('\t', " ");
        let indent = " ".repeat(snippet.start_column.saturating_sub(1));
        let carets = "^".repeat(snippet.width.max(1));
        let _ = write!(
            out,
            "\n{pad} |\n{line} | {text}\n{pad} | {indent}{carets}",
            line = e.line
        );
    }
    if let Some(help) = &e.help {
        let _ = write!(out, "\n{pad} = help: {help}");
    }
    if !e.key_path.is_empty() && e.snippet.is_none() && !e.message.contains(&e.key_path) {
        // Without a source line the key path is the only pointer left.
        let _ = write!(out, "\n{pad} = note: at `{}`", e.key_path);
    }
    out
}

/// Every problem found in one load, in file order. Loading does not stop at
/// the first problem so that a user can fix several at once.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}", render_all(self))]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl ConfigErrors {
    /// The errors, in file order.
    pub fn iter(&self) -> std::slice::Iter<'_, ConfigError> {
        self.0.iter()
    }

    /// Sorts by position; errors without a line (e.g. a missing top-level
    /// key) come first, since they concern the file as a whole.
    pub(super) fn sorted(mut errors: Vec<ConfigError>) -> Self {
        errors.sort_by_key(|e| (e.line, e.column));
        Self(errors)
    }
}

impl From<ConfigError> for ConfigErrors {
    fn from(error: ConfigError) -> Self {
        Self(vec![error])
    }
}

impl<'a> IntoIterator for &'a ConfigErrors {
    type Item = &'a ConfigError;
    type IntoIter = std::slice::Iter<'a, ConfigError>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

fn render_all(errors: &ConfigErrors) -> String {
    let mut parts: Vec<String> = errors.0.iter().map(ToString::to_string).collect();
    if parts.len() > 1 {
        parts.push(format!("error: {} problems in the chart file", parts.len()));
    }
    parts.join("\n\n")
}
