//! Records and fields of CSV bytes, and cutting a buffer into chunks at
//! record boundaries for parallel parsing.
//!
//! One function, [`split_record`], decides where a record ends; both the
//! chunk cutter (when the file has quotes) and the parsers use it, so a
//! chunk boundary can never fall inside a quoted field or between the
//! `\r` and `\n` of a line ending.

use std::borrow::Cow;

/// One field of a record: a byte range of the chunk, and whether it was
/// quoted with doubled quotes inside (so it needs unescaping).
#[derive(Debug, Clone, Copy)]
pub struct Field {
    start: usize,
    end: usize,
    escaped: bool,
}

/// Where a record ended.
pub struct RecordEnd {
    /// Index just past the record's terminator (or the buffer's end).
    pub end: usize,
    /// `\n` bytes consumed (inside quoted fields and the terminator).
    pub newlines: u64,
    /// A quoted field ran to the end of the buffer without its closing quote.
    pub unterminated: bool,
}

/// Splits the record starting at `pos` into `fields` (cleared first).
///
/// RFC 4180 with the usual leniency: a field that starts with `"` is
/// quoted (`""` is a quote; delimiters and line breaks inside are text);
/// bytes after the closing quote up to the delimiter are ignored; a quote
/// elsewhere is an ordinary byte. Records end at `\n`; a `\r` before it is
/// removed by the trimming of fields.
pub fn split_record(buf: &[u8], pos: usize, delimiter: u8, fields: &mut Vec<Field>) -> RecordEnd {
    fields.clear();
    let n = buf.len();
    let mut i = pos;
    let mut newlines = 0;
    loop {
        if i < n && buf[i] == b'"' {
            let start = i + 1;
            let mut j = start;
            let mut escaped = false;
            let close = loop {
                match memchr::memchr(b'"', &buf[j..]) {
                    None => break None,
                    Some(k) if buf.get(j + k + 1) == Some(&b'"') => {
                        escaped = true;
                        j += k + 2;
                    }
                    Some(k) => break Some(j + k),
                }
            };
            let Some(close) = close else {
                newlines += memchr::memchr_iter(b'\n', &buf[start..]).count() as u64;
                fields.push(Field {
                    start,
                    end: n,
                    escaped,
                });
                return RecordEnd {
                    end: n,
                    newlines,
                    unterminated: true,
                };
            };
            newlines += memchr::memchr_iter(b'\n', &buf[start..close]).count() as u64;
            fields.push(Field {
                start,
                end: close,
                escaped,
            });
            i = close + 1;
            while i < n && buf[i] != delimiter && buf[i] != b'\n' {
                i += 1;
            }
        } else {
            let start = i;
            while i < n && buf[i] != delimiter && buf[i] != b'\n' {
                i += 1;
            }
            fields.push(Field {
                start,
                end: i,
                escaped: false,
            });
        }
        if i >= n {
            return RecordEnd {
                end: n,
                newlines,
                unterminated: false,
            };
        }
        if buf[i] == b'\n' {
            return RecordEnd {
                end: i + 1,
                newlines: newlines + 1,
                unterminated: false,
            };
        }
        i += 1; // the delimiter
    }
}

/// Field `f`'s text, trimmed of ASCII whitespace (including the `\r` of a
/// CRLF ending), with doubled quotes undone.
pub fn text<'a>(buf: &'a [u8], f: &Field) -> Cow<'a, [u8]> {
    let raw = &buf[f.start..f.end];
    if f.escaped {
        let mut out = Vec::with_capacity(raw.len());
        let mut k = 0;
        while k < raw.len() {
            out.push(raw[k]);
            k += if raw[k] == b'"' { 2 } else { 1 };
        }
        let trimmed = out.trim_ascii().to_vec();
        Cow::Owned(trimmed)
    } else {
        Cow::Borrowed(raw.trim_ascii())
    }
}

/// True when the record has no text at all (an empty or blank line).
pub fn is_blank(buf: &[u8], fields: &[Field]) -> bool {
    match fields {
        [f] => buf[f.start..f.end].trim_ascii().is_empty() && !quoted(buf, f),
        _ => false,
    }
}

fn quoted(buf: &[u8], f: &Field) -> bool {
    f.start > 0 && buf[f.start - 1] == b'"'
}

/// Cuts `buf[start..]` into byte ranges of about `target` bytes, each
/// ending just after a record's terminator (the last at the end of `buf`).
pub fn chunk_ranges(buf: &[u8], start: usize, target: usize, delimiter: u8) -> Vec<(usize, usize)> {
    let n = buf.len();
    let target = target.max(1);
    let mut out = Vec::new();
    let mut s = start;
    if memchr::memchr(b'"', &buf[start..]).is_none() {
        // No quotes: every `\n` ends a record.
        while s < n {
            let t = s.saturating_add(target - 1);
            let e = if t >= n {
                n
            } else {
                memchr::memchr(b'\n', &buf[t..]).map_or(n, |k| t + k + 1)
            };
            out.push((s, e));
            s = e;
        }
        return out;
    }
    let mut fields = Vec::new();
    let mut pos = s;
    while pos < n {
        pos = split_record(buf, pos, delimiter, &mut fields).end;
        if pos - s >= target || pos >= n {
            out.push((s, pos));
            s = pos;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(buf: &[u8]) -> Vec<Vec<String>> {
        let mut out = Vec::new();
        let mut fields = Vec::new();
        let mut pos = 0;
        while pos < buf.len() {
            pos = split_record(buf, pos, b',', &mut fields).end;
            out.push(
                fields
                    .iter()
                    .map(|f| String::from_utf8_lossy(&text(buf, f)).into_owned())
                    .collect(),
            );
        }
        out
    }

    #[test]
    fn quotes_crlf_and_embedded_breaks() {
        let buf = b"a,\"b,\"\"c\"\"\r\nd\",e\r\n\"x\" ,y\n";
        assert_eq!(
            records(buf),
            [vec!["a", "b,\"c\"\r\nd", "e"], vec!["x", "y"]]
        );
    }

    #[test]
    fn chunks_end_on_record_boundaries() {
        let buf = b"h\n1,\"a\nb\"\r\n2,c\r\n3,\"d\"\n";
        for target in 1..buf.len() + 2 {
            let ranges = chunk_ranges(buf, 2, target, b',');
            let ends: Vec<usize> = ranges.iter().map(|r| r.1).collect();
            for e in &ends {
                assert!([11, 16, buf.len()].contains(e), "target {target}: {ends:?}");
            }
            assert_eq!(ranges.first().map(|r| r.0), Some(2));
        }
    }
}
