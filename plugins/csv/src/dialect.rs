//! From params and the file's first lines to a [`Layout`]: encoding,
//! delimiter, headers (angle brackets mapped to plain names), which field is
//! which column, the time format and the decimal mark, each set explicitly
//! or detected; what was detected is recorded in [`Detected`].

use std::collections::BTreeMap;

use chrono_tz::Tz;

use crate::error::{CsvError, closest, list, shown};
use crate::params::{Decimal, Params};
use crate::split::{self, Field};
use crate::time::{self, TimeFormat};

/// Output columns in the order they come out (when present).
pub const STANDARD_COLUMNS: [&str; 5] = ["open", "high", "low", "close", "volume"];

/// Time column headers tried, in order, when `time_column` is not set.
/// (`datum` and `дата` are what de and ru Excel users type.)
const TIME_HEADERS: [&str; 8] = [
    "date",
    "datetime",
    "timestamp",
    "time",
    "ts",
    "date_time",
    "datum",
    "дата",
];

/// What was detected from the file rather than set (by the params or a preset).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Detected {
    /// The delimiter, when detected from the header line.
    pub delimiter: Option<char>,
    /// The decimal mark, when detected from the first data row.
    pub decimal: Option<Decimal>,
    /// The time column, when found by its usual names.
    pub time_column: Option<String>,
    /// A separate time-of-day column, when found next to a date-only column.
    pub time_of_day_column: Option<String>,
    /// The time format, when detected from the first data row.
    pub time_format: Option<TimeFormat>,
    /// The file had a UTF-8 byte-order mark (skipped).
    pub utf8_bom: bool,
    /// Headers were written `<NAME>` (Finam, QUIK, MetaTrader) and read as `name`.
    pub angle_headers: bool,
}

impl Detected {
    /// One line for the log, or `None` when nothing was detected.
    pub fn describe(&self) -> Option<String> {
        let mut parts = Vec::new();
        if let Some(d) = self.delimiter {
            parts.push(format!("delimiter {}", delimiter_name(d)));
        }
        match self.decimal {
            Some(Decimal::Comma) => parts.push("decimal comma".to_string()),
            Some(Decimal::Point) | Some(Decimal::Auto) | None => {}
        }
        if let Some(c) = &self.time_column {
            parts.push(format!("time column `{c}`"));
        }
        if let Some(c) = &self.time_of_day_column {
            parts.push(format!("time-of-day column `{c}`"));
        }
        if let Some(f) = self.time_format {
            parts.push(format!("time_format \"{}\"", f.name()));
        }
        if self.angle_headers {
            parts.push("<ANGLE> headers".to_string());
        }
        if self.utf8_bom {
            parts.push("UTF-8 byte-order mark".to_string());
        }
        (!parts.is_empty()).then(|| parts.join(", "))
    }
}

fn delimiter_name(d: char) -> String {
    match d {
        '\t' => "tab".into(),
        c => format!("`{c}`"),
    }
}

/// A value column: output name, CSV header, field index.
#[derive(Debug, Clone)]
pub struct ValueColumn {
    /// Output name (`close`, …).
    pub name: String,
    /// The header as written in the file.
    pub header: String,
    /// Field index in a record.
    pub index: usize,
}

/// Indices into [`Layout::values`] of the columns the data rules look at.
#[derive(Debug, Clone, Copy, Default)]
pub struct Roles {
    /// `open`.
    pub open: Option<usize>,
    /// `high`.
    pub high: Option<usize>,
    /// `low`.
    pub low: Option<usize>,
    /// `close`.
    pub close: Option<usize>,
    /// `volume`.
    pub volume: Option<usize>,
}

impl Roles {
    /// Bars (an open, high or low column) need one row per time; ticks may
    /// repeat a time.
    pub fn is_bars(&self) -> bool {
        self.open.is_some() || self.high.is_some() || self.low.is_some()
    }
}

/// Everything the row parsers need, resolved.
#[derive(Debug, Clone)]
pub struct Layout {
    /// The file as named in messages.
    pub path: String,
    /// Field separator.
    pub delimiter: u8,
    /// `12,5` style values.
    pub decimal_comma: bool,
    /// Fields per record (the header's count).
    pub n_fields: usize,
    /// Time (or date) field and its header.
    pub time: (usize, String),
    /// Separate time-of-day field and its header.
    pub clock: Option<(usize, String)>,
    /// Symbol field and the wanted symbol.
    pub symbol: Option<(usize, Vec<u8>)>,
    /// Header of the symbol column (for messages).
    pub symbol_header: String,
    /// Whether the file has a symbol column at all (for the unsorted help).
    pub has_symbol_column: bool,
    /// The value columns, in output order.
    pub values: Vec<ValueColumn>,
    /// Which values are open/high/low/close/volume.
    pub roles: Roles,
    /// Resolved time format (never `Auto`).
    pub format: TimeFormat,
    /// The time format was detected.
    pub format_detected: bool,
    /// Timezone of local times.
    pub tz: Tz,
    /// Its name as given.
    pub tz_name: String,
    /// Byte offset of the first data record.
    pub data_start: usize,
    /// Physical line (1-based) of the first data record.
    pub data_line: u64,
    /// What was detected.
    pub detected: Detected,
}

/// The header, read.
struct Header {
    /// As written (trimmed), e.g. `<DATE>`.
    raw: Vec<String>,
    /// Plain names, e.g. `date` for `<DATE>`, `volume` for `<VOL>`.
    plain: Vec<String>,
}

impl Header {
    /// Index of header `wanted`: exact, then case-insensitive, each against
    /// the written and the plain name (so `<DATE>` and `date` both work).
    fn index(&self, wanted: &str) -> Option<usize> {
        let plain = plain_name(wanted);
        let exact = |names: &[String], w: &str| names.iter().position(|h| h == w);
        let caseless = |names: &[String], w: &str| {
            let w = w.to_lowercase();
            names.iter().position(|h| h.to_lowercase() == w)
        };
        exact(&self.raw, wanted)
            .or_else(|| exact(&self.plain, &plain))
            .or_else(|| caseless(&self.raw, wanted))
            .or_else(|| caseless(&self.plain, &plain))
    }

    fn find(&self, wanted: &str, param: &str, path: &str) -> Result<usize, CsvError> {
        self.index(wanted)
            .ok_or_else(|| missing_column(&self.raw, wanted, param, path))
    }
}

/// `<VOL>` → `volume`, `<DATE>` → `date`; other names unchanged.
fn plain_name(h: &str) -> String {
    match h.strip_prefix('<').and_then(|h| h.strip_suffix('>')) {
        Some(inner) => {
            let lower = inner.to_ascii_lowercase();
            match lower.as_str() {
                "vol" => "volume".to_string(),
                "ticker" => "ticker".to_string(),
                _ => lower,
            }
        }
        None => h.to_string(),
    }
}

/// Rejects UTF-16 text (by byte-order mark or the NUL pattern of ASCII in
/// UTF-16) and returns how many bytes of UTF-8 byte-order mark to skip.
pub fn check_encoding(bytes: &[u8], path: &str) -> Result<usize, CsvError> {
    let utf16 = |which: &str, how: &str| {
        CsvError::data(format!(
            "{path}: the file is UTF-16 ({which}, {how}), not UTF-8 text"
        ))
        .with_help(
            "re-save it as UTF-8 (Excel: Save As → \"CSV UTF-8\"; Notepad: Save As → Encoding UTF-8) or convert it: iconv -f UTF-16 -t UTF-8 in.csv > out.csv",
        )
    };
    if bytes.starts_with(&[0xFF, 0xFE]) {
        return Err(utf16("little-endian", "byte-order mark FF FE"));
    }
    if bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(utf16("big-endian", "byte-order mark FE FF"));
    }
    let head = &bytes[..bytes.len().min(256) & !1];
    if head.len() >= 4 {
        let zeros_at = |parity: usize| head.iter().skip(parity).step_by(2).all(|b| *b == 0);
        let some_text = |parity: usize| head.iter().skip(parity).step_by(2).any(|b| *b != 0);
        if zeros_at(1) && some_text(0) {
            return Err(utf16("little-endian", "no byte-order mark"));
        }
        if zeros_at(0) && some_text(1) {
            return Err(utf16("big-endian", "no byte-order mark"));
        }
    }
    Ok(if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        3
    } else {
        0
    })
}

pub fn parse_timezone(name: &str) -> Result<Tz, CsvError> {
    name.parse::<Tz>().map_err(|_| {
        let names = chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name());
        let help = match closest(name, names) {
            Some(best) => format!(
                "did you mean \"{best}\"? timezone takes an IANA name such as \"America/New_York\""
            ),
            None => "timezone takes an IANA name such as \"America/New_York\" or \"UTC\"".into(),
        };
        CsvError::params(format!("csv: unknown timezone `{name}`")).with_help(help)
    })
}

fn parse_delimiter(text: &str) -> Result<u8, CsvError> {
    match text.as_bytes() {
        [b] if b.is_ascii() && *b != b'"' && *b != b'\n' && *b != b'\r' => Ok(*b),
        _ => Err(CsvError::params(format!(
            "csv: delimiter must be one ASCII character, got `{}`",
            shown(text.as_bytes())
        ))
        .with_help("use e.g. delimiter = \",\", \";\" or \"\\t\"")),
    }
}

/// The delimiter of a header line: whichever of `,` `;` tab `|` occurs
/// most outside quotes (`,` when none does).
fn sniff_delimiter(line: &[u8]) -> u8 {
    let mut counts = [0usize; 4];
    let cands = [b',', b';', b'\t', b'|'];
    let mut quoted = false;
    for &b in line {
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted && let Some(i) = cands.iter().position(|c| *c == b) {
            counts[i] += 1;
        }
    }
    let (best, n) = counts
        .iter()
        .enumerate()
        .max_by_key(|(i, n)| (**n, std::cmp::Reverse(*i)))
        .map_or((0, 0), |(i, n)| (i, *n));
    if n == 0 { b',' } else { cands[best] }
}

/// Reads the header and the first data row; resolves every setting.
pub fn layout(buf: &[u8], params: &Params, path: &str) -> Result<Layout, CsvError> {
    let p = params.with_preset();
    let tz_name = p.timezone.clone().unwrap_or_else(|| "UTC".into());
    let tz = parse_timezone(&tz_name)?;
    let bom = check_encoding(buf, path)?;
    let mut detected = Detected {
        utf8_bom: bom == 3,
        ..Detected::default()
    };
    let header_end = memchr::memchr(b'\n', &buf[bom..]).map_or(buf.len(), |k| bom + k + 1);
    // Classic Mac files end lines with a lone CR: without this the whole
    // file would read as one header line.
    if header_end == buf.len() && memchr::memchr(b'\r', buf[bom..].trim_ascii_end()).is_some() {
        return Err(CsvError::data(format!(
            "{path}: lines end with a lone carriage return (CR, classic Mac), not LF or CRLF"
        ))
        .with_help("re-save the file with Windows (CRLF) or Unix (LF) line endings"));
    }
    let delimiter = match &p.delimiter {
        Some(d) => parse_delimiter(d)?,
        None => {
            let d = sniff_delimiter(&buf[bom..header_end]);
            if d != b',' {
                detected.delimiter = Some(d as char);
            }
            d
        }
    };
    let mut fields = Vec::new();
    let end = split::split_record(buf, bom, delimiter, &mut fields);
    let raw: Vec<String> = fields
        .iter()
        .map(|f| String::from_utf8_lossy(&split::text(buf, f)).into_owned())
        .collect();
    let raw = if raw.len() == 1 && raw[0].is_empty() {
        Vec::new()
    } else {
        raw
    };
    detected.angle_headers = raw.iter().any(|h| h.starts_with('<') && h.ends_with('>'));
    let header = Header {
        plain: raw.iter().map(|h| plain_name(h)).collect(),
        raw,
    };
    check_duplicates(&header, path)?;

    let time_index = match &p.time_column {
        Some(name) => header.find(name, "time_column", path)?,
        None => match TIME_HEADERS.iter().find_map(|h| header.index(h)) {
            Some(i) => {
                detected.time_column = Some(header.raw[i].clone());
                i
            }
            None => return Err(missing_column(&header.raw, "Date", "time_column", path)),
        },
    };
    let symbol_header = p.symbol_column.clone().unwrap_or_else(|| "Ticker".into());
    let symbol_index = header.index(&symbol_header);
    let symbol = match &p.symbol {
        Some(want) => Some((
            header.find(&symbol_header, "symbol_column", path)?,
            want.as_bytes().to_vec(),
        )),
        None => None,
    };
    let mut clock = match &p.time_of_day_column {
        Some(name) => {
            let i = header.find(name, "time_of_day_column", path)?;
            Some((i, header.raw[i].clone()))
        }
        None => None,
    };
    let values = value_columns(&header, p.columns.as_ref(), path)?;
    let mut roles = Roles::default();
    for (k, v) in values.iter().enumerate() {
        match v.name.as_str() {
            "open" => roles.open = Some(k),
            "high" => roles.high = Some(k),
            "low" => roles.low = Some(k),
            "close" => roles.close = Some(k),
            "volume" => roles.volume = Some(k),
            _ => {}
        }
    }

    // The first data row (matching the symbol) settles what is detected.
    let data_line = 1 + end.newlines;
    let first = first_data_row(buf, end.end, delimiter, symbol.as_ref(), &mut fields);
    let first_text = |i: usize| -> Vec<u8> {
        first
            .as_ref()
            .and_then(|(_, fs)| fs.get(i))
            .map(|f| split::text(buf, f).into_owned())
            .unwrap_or_default()
    };
    let time_text = first_text(time_index);
    let format_detected = matches!(p.time_format, None | Some(TimeFormat::Auto));
    let format = if !format_detected {
        p.time_format.unwrap_or_default()
    } else if let Some((line, _)) = &first {
        let f = time::detect(&time_text).ok_or_else(|| {
            CsvError::data(format!(
                "{path}: line {line}, column `{}`: cannot tell the time format of `{}`",
                header.raw[time_index],
                shown(&time_text)
            ))
            .with_help(
                "set time_format to one of \"date\", \"datetime\", \"rfc3339\", \"epoch_s\", \"epoch_ms\", \"epoch_us\", \"epoch_ns\", \"yyyymmdd\", \"dd.mm.yyyy\", \"yyyy.mm.dd\", \"mm/dd/yyyy\", \"dd/mm/yyyy\" (or a preset: finam, quik, mt5, excel-eu)",
            )
        })?;
        detected.time_format = Some(f);
        f
    } else {
        TimeFormat::Date
    };
    // A date-only column next to a `time` column (Finam, QUIK, MetaTrader):
    // the two together are the time.
    if clock.is_none()
        && p.time_column.is_none()
        && format.is_date_like()
        && !time_text.contains(&b' ')
        && header.plain[time_index].eq_ignore_ascii_case("date")
        && let Some(i) = header.index("time")
    {
        detected.time_of_day_column = Some(header.raw[i].clone());
        clock = Some((i, header.raw[i].clone()));
    }
    if let Some((_, name)) = &clock
        && !format.is_date_like()
    {
        return Err(CsvError::params(format!(
            "csv: time_of_day_column `{name}` needs a date-only time column, but time_format is \"{}\"",
            format.name()
        ))
        .with_help("use a date pattern such as \"yyyymmdd\" or \"yyyy.mm.dd\", or remove time_of_day_column"));
    }
    let decimal_comma = match p.decimal.unwrap_or_default() {
        Decimal::Comma => true,
        Decimal::Point => false,
        Decimal::Auto => {
            let comma = delimiter != b','
                && values
                    .iter()
                    .any(|v| looks_like_decimal_comma(&first_text(v.index)));
            if comma {
                detected.decimal = Some(Decimal::Comma);
            }
            comma
        }
    };
    Ok(Layout {
        path: path.to_string(),
        delimiter,
        decimal_comma,
        n_fields: header.raw.len(),
        time: (time_index, header.raw[time_index].clone()),
        clock,
        symbol,
        symbol_header,
        has_symbol_column: symbol_index.is_some(),
        values,
        roles,
        format,
        format_detected,
        tz,
        tz_name,
        data_start: end.end,
        data_line,
        detected,
    })
}

/// `-12,5` or `3,25`: digits, one comma, digits.
fn looks_like_decimal_comma(t: &[u8]) -> bool {
    let t = t.strip_prefix(b"-").unwrap_or(t);
    let mut parts = t.split(|b| *b == b',');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(a), Some(b), None) => {
            !a.is_empty()
                && !b.is_empty()
                && a.iter().all(u8::is_ascii_digit)
                && b.iter().all(u8::is_ascii_digit)
        }
        _ => false,
    }
}

/// The first non-blank record at or after `pos` that passes the symbol
/// filter: its line and fields.
fn first_data_row(
    buf: &[u8],
    mut pos: usize,
    delimiter: u8,
    symbol: Option<&(usize, Vec<u8>)>,
    fields: &mut Vec<Field>,
) -> Option<(u64, Vec<Field>)> {
    let mut line = 1 + buf[..pos].iter().filter(|b| **b == b'\n').count() as u64;
    while pos < buf.len() {
        let here = line;
        let r = split::split_record(buf, pos, delimiter, fields);
        pos = r.end;
        line += r.newlines;
        if split::is_blank(buf, fields) {
            continue;
        }
        if let Some((i, want)) = symbol
            && fields.get(*i).map(|f| split::text(buf, f)).as_deref() != Some(want.as_slice())
        {
            continue;
        }
        return Some((here, fields.clone()));
    }
    None
}

/// Two headers with the same name (ignoring case and angle brackets) make
/// `columns` ambiguous: an error naming them and their positions.
fn check_duplicates(header: &Header, path: &str) -> Result<(), CsvError> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for (i, name) in header.plain.iter().enumerate() {
        if name.is_empty() {
            continue;
        }
        if let Some(first) = seen.insert(name.to_lowercase(), i) {
            return Err(CsvError::data(format!(
                "{path}: line 1: duplicate column name: `{}` is column {} and `{}` is column {}",
                header.raw[first],
                first + 1,
                header.raw[i],
                i + 1
            ))
            .with_help("rename one of them in the header line so each column has its own name"));
        }
    }
    Ok(())
}

fn missing_column(headers: &[String], wanted: &str, param: &str, path: &str) -> CsvError {
    let found = if headers.is_empty() || headers.iter().all(String::is_empty) {
        "the file has no header line (is it empty?)".to_string()
    } else {
        format!(
            "headers found: {}",
            list(headers.iter().map(String::as_str))
        )
    };
    let help = match closest(wanted, headers.iter().map(String::as_str)) {
        Some(best) => format!("did you mean `{best}`? set {param} to the header's exact text"),
        None => format!("set {param} to one of the file's headers"),
    };
    CsvError::data(format!("{path}: no column `{wanted}` ({param}); {found}")).with_help(help)
}

/// The value columns to read, in output order.
fn value_columns(
    header: &Header,
    mapping: Option<&BTreeMap<String, String>>,
    path: &str,
) -> Result<Vec<ValueColumn>, CsvError> {
    let mut columns = Vec::new();
    match mapping {
        None => {
            for name in STANDARD_COLUMNS {
                if let Some(index) = header.index(name) {
                    columns.push(ValueColumn {
                        name: name.into(),
                        header: header.raw[index].clone(),
                        index,
                    });
                }
            }
            if columns.is_empty() {
                return Err(CsvError::data(format!(
                    "{path}: none of the columns open, high, low, close, volume was found; headers found: {}",
                    list(header.raw.iter().map(String::as_str))
                ))
                .with_help("map the columns to read explicitly, e.g. columns = { close = \"Price\" }"));
            }
        }
        Some(mapping) => {
            if mapping.is_empty() {
                return Err(CsvError::params("csv: `columns` is empty").with_help(
                    "map at least one output name to a header, e.g. columns = { close = \"Close\" }",
                ));
            }
            // Standard names first, in their usual order, then the rest by name.
            let standard = STANDARD_COLUMNS
                .iter()
                .filter_map(|s| mapping.get_key_value(*s));
            let extra = mapping
                .iter()
                .filter(|(k, _)| !STANDARD_COLUMNS.contains(&k.as_str()));
            for (name, wanted) in standard.chain(extra) {
                let index = header.find(wanted, &format!("columns.{name}"), path)?;
                columns.push(ValueColumn {
                    name: name.clone(),
                    header: header.raw[index].clone(),
                    index,
                });
            }
        }
    }
    Ok(columns)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiters_are_sniffed_from_the_header() {
        assert_eq!(sniff_delimiter(b"a,b,c\n"), b',');
        assert_eq!(sniff_delimiter(b"a;b;c\r\n"), b';');
        assert_eq!(sniff_delimiter(b"<DATE>\t<TIME>\t<OPEN>\n"), b'\t');
        assert_eq!(sniff_delimiter(b"\"a;b\",c\n"), b',');
        assert_eq!(sniff_delimiter(b"price\n"), b',');
    }

    #[test]
    fn angle_headers_map_to_plain_names() {
        assert_eq!(plain_name("<VOL>"), "volume");
        assert_eq!(plain_name("<DATE>"), "date");
        assert_eq!(plain_name("<TICKVOL>"), "tickvol");
        assert_eq!(plain_name("Close"), "Close");
    }

    #[test]
    fn decimal_comma_shapes() {
        assert!(looks_like_decimal_comma(b"12,5"));
        assert!(looks_like_decimal_comma(b"-0,25"));
        assert!(!looks_like_decimal_comma(b"12.5"));
        assert!(!looks_like_decimal_comma(b"1,234,5"));
        assert!(!looks_like_decimal_comma(b",5"));
    }
}
