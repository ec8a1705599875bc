//! The plugin's error type and the small helpers every message uses
//! (escaping file text, short lists, "did you mean").

use gpu_charts_plugin_api::{GC_ERR_DATA, GC_ERR_IO, GC_ERR_PARAMS, PluginError};

/// What kind of failure a [`CsvError`] is; maps onto the C status codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The params alone are wrong (`GC_ERR_PARAMS`).
    Params,
    /// The file cannot be opened or read (`GC_ERR_IO`).
    Io,
    /// The file's content does not fit the params or breaks a data rule (`GC_ERR_DATA`).
    Data,
}

/// An error from reading a CSV file: the message names the file and, for
/// data errors, the physical line (header = line 1) and the column.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct CsvError {
    /// What kind of failure.
    pub kind: ErrorKind,
    /// One line saying what is wrong and where.
    pub message: String,
    /// What to do about it.
    pub help: Option<String>,
}

impl CsvError {
    /// A params error.
    pub fn params(message: impl Into<String>) -> CsvError {
        CsvError {
            kind: ErrorKind::Params,
            message: message.into(),
            help: None,
        }
    }

    /// An I/O error.
    pub fn io(message: impl Into<String>) -> CsvError {
        CsvError {
            kind: ErrorKind::Io,
            message: message.into(),
            help: None,
        }
    }

    /// A data error.
    pub fn data(message: impl Into<String>) -> CsvError {
        CsvError {
            kind: ErrorKind::Data,
            message: message.into(),
            help: None,
        }
    }

    /// Adds a help line.
    pub fn with_help(mut self, help: impl Into<String>) -> CsvError {
        self.help = Some(help.into());
        self
    }
}

impl From<CsvError> for PluginError {
    fn from(e: CsvError) -> PluginError {
        let code = match e.kind {
            ErrorKind::Params => GC_ERR_PARAMS,
            ErrorKind::Io => GC_ERR_IO,
            ErrorKind::Data => GC_ERR_DATA,
        };
        let error = PluginError::new(code, e.message);
        match e.help {
            Some(help) => error.with_help(help),
            None => error,
        }
    }
}

/// File text made safe and short for a message: invalid UTF-8 and
/// control characters are written as `\xNN` (tab as `\t`, CR as `\r`), and
/// anything past 60 characters is cut with `…`.
pub fn shown(bytes: &[u8]) -> String {
    const MAX: usize = 60;
    let mut out = String::new();
    let mut count = 0;
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if count == MAX {
                out.push('…');
                return out;
            }
            match c {
                '\t' => out.push_str("\\t"),
                '\r' => out.push_str("\\r"),
                '\n' => out.push_str("\\n"),
                c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
                c => out.push(c),
            }
            count += 1;
        }
        for b in chunk.invalid() {
            if count == MAX {
                out.push('…');
                return out;
            }
            out.push_str(&format!("\\x{b:02X}"));
            count += 1;
        }
    }
    out
}

/// The candidate most similar to `wanted` (case-insensitive), if any is close.
pub fn closest<'a>(wanted: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let wanted = wanted.to_lowercase();
    candidates
        .map(|c| (strsim::jaro_winkler(&wanted, &c.to_lowercase()), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// `a`, `b`, … as a short list (at most 20 items shown).
pub fn list<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let items: Vec<&str> = items.collect();
    let shown: Vec<String> = items.iter().take(20).map(|s| format!("`{s}`")).collect();
    let more = items.len().saturating_sub(20);
    if more > 0 {
        format!("{} and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_bytes_and_bad_utf8_are_escaped() {
        assert_eq!(shown(b"a\tb\r\x00\xff\xfe"), "a\\tb\\r\\u{0}\\xFF\\xFE");
        assert_eq!(shown("цена".as_bytes()), "цена");
        let long = "x".repeat(70);
        assert_eq!(shown(long.as_bytes()), format!("{}…", "x".repeat(60)));
    }
}
