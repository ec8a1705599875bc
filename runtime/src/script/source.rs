//! Reading script files: UTF-8, or Windows-1251 (QUIK's encoding) when the
//! bytes are not valid UTF-8.

use std::path::Path;

use super::error::{ScriptError, ScriptErrorKind};

/// Reads `path` and returns its text.
pub(crate) fn read_text(path: &Path) -> Result<String, ScriptError> {
    let bytes = std::fs::read(path).map_err(|e| {
        ScriptError::new(
            ScriptErrorKind::Io,
            path,
            format!("cannot read `{}`: {e}", path.display()),
        )
        .with_help("check the path in the chart file; it is relative to the chart file")
    })?;
    decode(&bytes).ok_or_else(|| {
        ScriptError::new(
            ScriptErrorKind::Encoding,
            path,
            "the file is neither UTF-8 nor Windows-1251 text",
        )
        .with_help("save the script as UTF-8")
    })
}

/// Decodes UTF-8 (BOM stripped) or, failing that, Windows-1251.
pub(crate) fn decode(bytes: &[u8]) -> Option<String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Some(s.to_string());
    }
    let (text, had_errors) = encoding_rs::WINDOWS_1251.decode_without_bom_handling(bytes);
    if had_errors {
        None
    } else {
        Some(text.into_owned())
    }
}

/// The chunk name Lua shows for a file: its path relative to the script's
/// folder with `/` separators (short, so Lua never truncates it).
pub(crate) fn chunk_name(rel: &Path) -> String {
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().to_string())
        .collect();
    parts.join("/")
}
