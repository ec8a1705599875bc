//! Parsing the data records of a [`Layout`] in parallel chunks, with the
//! data rules checked on the way (see the crate docs for the policy).
//!
//! The buffer is cut at record boundaries ([`split::chunk_ranges`]); each
//! chunk is parsed on a rayon worker into its own column vectors, reserved
//! up front from the chunk's line count, which the table then keeps as they
//! are: no concatenation copy. Every error is located by physical line, so
//! the chunks are counted first to know where each starts; of several
//! errors the earliest line wins, which is the one a sequential parse would
//! have stopped at. Rules that span rows (order, duplicates) are checked
//! inside each chunk and again across each boundary.

use std::collections::BTreeSet;

use rayon::prelude::*;

use crate::dialect::Layout;
use crate::error::{CsvError, list, shown};
use crate::split::{self, Field};
use crate::time::{self, TimeError, TimeFormat, Zone};

/// Rows parsed from one chunk, in file order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Chunk {
    /// UTC nanoseconds.
    pub timestamps: Vec<i64>,
    /// One vector per value column, each as long as `timestamps`.
    pub columns: Vec<Vec<f64>>,
}

/// What a chunk's parse found besides its rows.
#[derive(Default)]
struct ChunkOut {
    chunk: Chunk,
    /// (timestamp, line, time text) of the first and last rows.
    first: Option<(i64, u64, Vec<u8>)>,
    last: Option<(i64, u64)>,
    /// Rows whose time equals the previous row's (ticks only), and the first one's line.
    repeats: u64,
    first_repeat: Option<u64>,
    /// Symbols met while filtering (for "no rows matched").
    symbols: BTreeSet<String>,
    /// The chunk's first error and its line.
    error: Option<(u64, CsvError)>,
}

/// The result of parsing every chunk.
pub struct Parsed {
    /// The rows, chunk by chunk.
    pub chunks: Vec<Chunk>,
    /// Tick rows that repeat the previous row's time, and the first one's line.
    pub repeats: Option<(u64, u64)>,
    /// Symbols met while filtering, when a symbol was asked for.
    pub symbols: BTreeSet<String>,
}

/// Parses `buf[layout.data_start..]` in chunks of about `chunk_bytes`.
pub fn parse(buf: &[u8], layout: &Layout, chunk_bytes: usize) -> Result<Parsed, CsvError> {
    gpu_charts_plugin_kit::name_worker_threads("gc-csv");
    let ranges = split::chunk_ranges(buf, layout.data_start, chunk_bytes, layout.delimiter);
    let lines: Vec<u64> = ranges
        .par_iter()
        .map(|&(s, e)| memchr::memchr_iter(b'\n', &buf[s..e]).count() as u64)
        .collect();
    let mut starts = Vec::with_capacity(ranges.len());
    let mut line = layout.data_line;
    for n in &lines {
        starts.push(line);
        line += n;
    }
    let outs: Vec<ChunkOut> = ranges
        .par_iter()
        .zip(starts.par_iter().zip(lines.par_iter()))
        .map(|(&(s, e), (&first_line, &n))| parse_chunk(&buf[s..e], layout, first_line, n))
        .collect();
    merge(outs, layout)
}

/// Joins the chunks: the earliest error (including those at boundaries),
/// else the rows.
fn merge(outs: Vec<ChunkOut>, layout: &Layout) -> Result<Parsed, CsvError> {
    let mut best: Option<(u64, CsvError)> = None;
    let mut keep = |e: (u64, CsvError)| {
        if best.as_ref().is_none_or(|b| e.0 < b.0) {
            best = Some(e);
        }
    };
    let mut prev: Option<(i64, u64)> = None;
    let mut repeats = 0;
    let mut first_repeat = None;
    for out in &outs {
        if let Some(e) = &out.error {
            keep(e.clone());
        }
        if let (Some((pt, pl)), Some((t, l, text))) = (prev, &out.first) {
            if *t < pt {
                keep((*l, unsorted(layout, *l, *t, text, pt, pl)));
            } else if *t == pt {
                if layout.roles.is_bars() {
                    keep((*l, duplicate(layout, *l, text, pl)));
                } else {
                    repeats += 1;
                    first_repeat = first_repeat.or(Some(*l));
                }
            }
        }
        if out.first_repeat.is_some() {
            // Chunks are in file order, so the boundary's repeat (if any) came first.
            first_repeat = first_repeat.or(out.first_repeat);
            repeats += out.repeats;
        }
        if out.last.is_some() {
            prev = out.last;
        }
    }
    if let Some((_, e)) = best {
        return Err(e);
    }
    let mut symbols = BTreeSet::new();
    let mut chunks = Vec::with_capacity(outs.len());
    for out in outs {
        symbols.extend(out.symbols);
        if !out.chunk.timestamps.is_empty() {
            chunks.push(out.chunk);
        }
    }
    Ok(Parsed {
        chunks,
        repeats: first_repeat.map(|l| (repeats, l)),
        symbols,
    })
}

/// Parses one chunk (whole records), starting at physical line `first_line`;
/// `lines` is the chunk's `\n` count, an upper bound on its rows.
fn parse_chunk(buf: &[u8], layout: &Layout, first_line: u64, lines: u64) -> ChunkOut {
    let mut out = ChunkOut::default();
    // Without a filter nearly every line is a row: reserve them all so the
    // vectors never grow (and never hold twice their size while copying).
    let reserve = if layout.symbol.is_some() {
        0
    } else {
        lines as usize + 1
    };
    out.chunk.timestamps.reserve_exact(reserve);
    out.chunk.columns = (0..layout.values.len())
        .map(|_| Vec::with_capacity(reserve))
        .collect();
    let mut zone = Zone::new(layout.tz);
    let mut fields: Vec<Field> = Vec::with_capacity(layout.n_fields + 1);
    let mut values = vec![0.0; layout.values.len()];
    let mut last_symbol: Vec<u8> = Vec::new();
    let mut prev: Option<(i64, u64)> = None;
    let mut pos = 0;
    let mut line = first_line;
    while pos < buf.len() {
        let here = line;
        let r = split::split_record(buf, pos, layout.delimiter, &mut fields);
        pos = r.end;
        line += r.newlines;
        if r.unterminated {
            out.error = Some((here, unterminated(layout, here)));
            break;
        }
        if split::is_blank(buf, &fields) {
            continue;
        }
        if fields.len() != layout.n_fields {
            out.error = Some((here, field_count(layout, here, fields.len())));
            break;
        }
        if let Some((i, want)) = &layout.symbol {
            let got = split::text(buf, &fields[*i]);
            if *got != **want {
                if *got != *last_symbol && out.symbols.len() < 10_000 {
                    last_symbol = got.to_vec();
                    out.symbols
                        .insert(String::from_utf8_lossy(&got).into_owned());
                }
                continue;
            }
        }
        match parse_row(buf, &fields, layout, here, &mut zone, &mut values) {
            Ok(ts) => {
                if let Some((pt, pl)) = prev {
                    if ts < pt {
                        let text = split::text(buf, &fields[layout.time.0]);
                        out.error = Some((here, unsorted(layout, here, ts, &text, pt, pl)));
                        break;
                    }
                    if ts == pt {
                        if layout.roles.is_bars() {
                            let text = split::text(buf, &fields[layout.time.0]);
                            out.error = Some((here, duplicate(layout, here, &text, pl)));
                            break;
                        }
                        out.repeats += 1;
                        out.first_repeat = out.first_repeat.or(Some(here));
                    }
                } else {
                    let text = split::text(buf, &fields[layout.time.0]).into_owned();
                    out.first = Some((ts, here, text));
                }
                prev = Some((ts, here));
                out.chunk.timestamps.push(ts);
                for (column, v) in out.chunk.columns.iter_mut().zip(&values) {
                    column.push(*v);
                }
            }
            Err(e) => {
                out.error = Some((here, e));
                break;
            }
        }
    }
    out.last = prev;
    if layout.symbol.is_some() {
        out.chunk.timestamps.shrink_to_fit();
        for c in &mut out.chunk.columns {
            c.shrink_to_fit();
        }
    }
    out
}

/// One row's time and values (into `values`), with the per-row rules.
fn parse_row(
    buf: &[u8],
    fields: &[Field],
    layout: &Layout,
    line: u64,
    zone: &mut Zone,
    values: &mut [f64],
) -> Result<i64, CsvError> {
    let path = &layout.path;
    let time_text = split::text(buf, &fields[layout.time.0]);
    let clock_text = layout
        .clock
        .as_ref()
        .map(|(i, _)| split::text(buf, &fields[*i]));
    let ts = time::parse(&time_text, clock_text.as_deref(), layout.format, zone).map_err(|e| {
        let at = match (&layout.clock, e == TimeError::ClockSyntax) {
            (Some((_, h)), true) => format!("{path}: line {line}, column `{h}`"),
            _ => format!("{path}: line {line}, column `{}`", layout.time.1),
        };
        let text = match (&clock_text, e == TimeError::ClockSyntax) {
            (Some(c), true) => c.as_ref(),
            _ => time_text.as_ref(),
        };
        time_error(e, &at, text, layout)
    })?;
    for (column, slot) in layout.values.iter().zip(values.iter_mut()) {
        let text = split::text(buf, &fields[column.index]);
        *slot = parse_number(&text, layout.decimal_comma).map_err(|why| {
            number_error(
                why,
                &text,
                &format!("{path}: line {line}, column `{}`", column.header),
                layout.decimal_comma,
            )
        })?;
    }
    check_bar(values, layout, line)?;
    Ok(ts)
}

/// Why a number did not parse.
pub(crate) enum NumberError {
    Empty,
    NotFinite,
    Syntax,
}

/// Parses a value: decimal point (or comma when `comma`), exponent allowed.
/// The result is bit-identical to `str::parse::<f64>` (a test checks).
pub(crate) fn parse_number(text: &[u8], comma: bool) -> Result<f64, NumberError> {
    if text.is_empty() {
        return Err(NumberError::Empty);
    }
    // With a decimal comma, a point can only be a thousands separator
    // (de: 1.234,5): reading it as a decimal would be silently wrong.
    if comma && text.contains(&b'.') {
        return Err(NumberError::Syntax);
    }
    let parsed = if comma && text.contains(&b',') {
        let swap = |b: &u8| if *b == b',' { b'.' } else { *b };
        let mut buf = [0u8; 64];
        match buf.get_mut(..text.len()) {
            Some(dst) => {
                for (d, s) in dst.iter_mut().zip(text) {
                    *d = swap(s);
                }
                fast_float2::parse::<f64, _>(&*dst)
            }
            None => fast_float2::parse::<f64, _>(text.iter().map(swap).collect::<Vec<u8>>()),
        }
    } else {
        fast_float2::parse::<f64, _>(text)
    };
    match parsed {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(_) => Err(NumberError::NotFinite),
        Err(_) => Err(NumberError::Syntax),
    }
}

fn number_error(why: NumberError, text: &[u8], at: &str, comma: bool) -> CsvError {
    match why {
        NumberError::Empty => CsvError::data(format!("{at}: empty value"))
            .with_help("missing values are not supported: fill the field in or remove the row"),
        NumberError::NotFinite => {
            CsvError::data(format!("{at}: `{}` is not a finite number", shown(text))).with_help(
                "NaN and infinity are not supported as values: fix the field or remove the row",
            )
        }
        NumberError::Syntax => {
            let help = if comma {
                "with decimal = \"comma\", a point is taken for a thousands separator, which is not supported: write 1234,5 (not 1.234,5), or set decimal = \"point\" if the file uses points"
            } else if text.contains(&b',') {
                "the decimal mark looks like a comma: set decimal = \"comma\" (and delimiter = \";\"), or preset = \"excel-eu\""
            } else {
                "fix the field, or choose other columns with `columns` if this one is not numeric"
            };
            CsvError::data(format!("{at}: cannot parse `{}` as a number", shown(text)))
                .with_help(help)
        }
    }
}

/// high ≥ low, open and close within [low, high], volume ≥ 0.
fn check_bar(values: &[f64], layout: &Layout, line: u64) -> Result<(), CsvError> {
    let r = &layout.roles;
    let path = &layout.path;
    let header = |k: usize| layout.values[k].header.as_str();
    if let Some(v) = r.volume
        && values[v] < 0.0
    {
        return Err(CsvError::data(format!(
            "{path}: line {line}, column `{}`: negative volume {}",
            header(v),
            values[v]
        ))
        .with_help("volume cannot be negative: fix the field or remove the row"));
    }
    let (Some(h), Some(l)) = (r.high, r.low) else {
        return Ok(());
    };
    let (high, low) = (values[h], values[l]);
    if high < low {
        return Err(CsvError::data(format!(
            "{path}: line {line}: high {high} (column `{}`) is below low {low} (column `{}`)",
            header(h),
            header(l)
        ))
        .with_help(
            "check that the high and low columns are not swapped (see `columns`), or fix the row",
        ));
    }
    for (k, name) in [(r.open, "open"), (r.close, "close")] {
        if let Some(k) = k
            && !(low..=high).contains(&values[k])
        {
            return Err(CsvError::data(format!(
                "{path}: line {line}: {name} {} (column `{}`) is outside [low {low}, high {high}]",
                values[k],
                header(k)
            ))
            .with_help("a bar's open and close lie between its low and high: fix the row, or check the column mapping"));
        }
    }
    Ok(())
}

/// Formats UTC nanoseconds as RFC 3339 (like the host's messages).
fn utc(ns: i64) -> String {
    let secs = ns.div_euclid(1_000_000_000);
    let nanos = ns.rem_euclid(1_000_000_000) as u32;
    match chrono::DateTime::from_timestamp(secs, nanos) {
        Some(t) if nanos == 0 => t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        Some(t) => t.format("%Y-%m-%dT%H:%M:%S%.9fZ").to_string(),
        None => format!("{ns} ns"),
    }
}

fn unsorted(
    layout: &Layout,
    line: u64,
    ts: i64,
    text: &[u8],
    prev: i64,
    prev_line: u64,
) -> CsvError {
    let help = if layout.has_symbol_column && layout.symbol.is_none() {
        format!(
            "rows must be in ascending time order; the file has a `{}` column: set symbol = \"…\" to read one instrument, or sort the file by time",
            layout.symbol_header
        )
    } else {
        "rows must be in ascending time order: sort the file by time".to_string()
    };
    CsvError::data(format!(
        "{}: line {line}, column `{}`: time `{}` ({}) comes before {} on line {prev_line}",
        layout.path,
        layout.time.1,
        shown(text),
        utc(ts),
        utc(prev)
    ))
    .with_help(help)
}

fn duplicate(layout: &Layout, line: u64, text: &[u8], prev_line: u64) -> CsvError {
    CsvError::data(format!(
        "{}: line {line}, column `{}`: duplicate time `{}` (also on line {prev_line})",
        layout.path,
        layout.time.1,
        shown(text)
    ))
    .with_help("bars need one row per time: remove the repeated row (ticks, read without open/high/low columns, may repeat a time)")
}

fn unterminated(layout: &Layout, line: u64) -> CsvError {
    CsvError::data(format!(
        "{}: line {line}: a quoted field is not closed before the end of the file",
        layout.path
    ))
    .with_help("add the closing `\"`; a quote inside a quoted field is written twice (`\"\"`)")
}

fn field_count(layout: &Layout, line: u64, found: usize) -> CsvError {
    CsvError::data(format!(
        "{}: line {line} has {found} fields, the header has {}",
        layout.path, layout.n_fields
    ))
    .with_help(
        "every row needs one field per header; check for a stray delimiter or a missing field",
    )
}

fn time_error(e: TimeError, at: &str, text: &[u8], layout: &Layout) -> CsvError {
    let format = layout.format;
    match e {
        TimeError::Syntax => {
            let how = if layout.format_detected {
                " (detected from the first data row)"
            } else {
                ""
            };
            let hint = if format == TimeFormat::DdMmYyyyDot || text.contains(&b'/') {
                "fix the field, or set time_format to match the file (slashed dates need \"mm/dd/yyyy\" or \"dd/mm/yyyy\")"
            } else {
                "fix the field, or set time_format to match the file"
            };
            CsvError::data(format!(
                "{at}: `{}` does not match time_format \"{}\"{how}; expected {}",
                shown(text),
                format.name(),
                format.example()
            ))
            .with_help(hint)
        }
        TimeError::ClockSyntax => CsvError::data(format!(
            "{at}: `{}` is not a time of day (HHMMSS or HH:MM[:SS])",
            shown(text)
        ))
        .with_help("fix the field, or set time_of_day_column to the right column"),
        TimeError::NonexistentLocal => CsvError::data(format!(
            "{at}: local time `{}` does not exist in timezone {} (skipped by a daylight-saving change)",
            shown(text),
            layout.tz_name
        ))
        .with_help("check the timezone param; times with an offset (time_format = \"rfc3339\") avoid the ambiguity"),
        TimeError::OutOfRange => CsvError::data(format!(
            "{at}: time `{}` is outside the supported range (years 1677 to 2262)",
            shown(text)
        ))
        .with_help("fix the field, or check that time_format has the right unit"),
    }
}

/// "No rows with `symbol`": the symbols that were there, and the closest.
pub fn no_symbol_error(layout: &Layout, want: &str, seen: &BTreeSet<String>) -> CsvError {
    let column = &layout.symbol_header;
    let path = &layout.path;
    let message = if seen.is_empty() {
        format!("{path}: no rows with {column} = `{want}`: the file has no data rows")
    } else {
        format!(
            "{path}: no rows with {column} = `{want}`; symbols in the file: {}",
            list(seen.iter().map(String::as_str))
        )
    };
    let help = match seen
        .iter()
        .find(|s| s.eq_ignore_ascii_case(want))
        .or_else(|| {
            crate::error::closest(want, seen.iter().map(String::as_str))
                .and_then(|best| seen.iter().find(|s| s.as_str() == best))
        }) {
        Some(best) => format!("did you mean symbol = \"{best}\"?"),
        None => {
            "set symbol to one of the symbols in the file, or remove it to read every row".into()
        }
    };
    CsvError::data(message).with_help(help)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// xorshift64*, so the corpus is the same on every run.
    fn next(state: &mut u64) -> u64 {
        *state ^= *state >> 12;
        *state ^= *state << 25;
        *state ^= *state >> 27;
        state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    #[test]
    fn numbers_match_the_standard_library_bit_for_bit() {
        let mut s = 0x1234_5678_9abc_def1u64;
        let mut texts: Vec<String> = [
            "0",
            "-0",
            "1",
            "1.5",
            ".5",
            "5.",
            "1e10",
            "1E-5",
            "-2.5e+3",
            "+7",
            "123456789012345678901234567890",
            "0.1",
            "0.30000000000000004",
            "2.2250738585072014e-308",
            "4.9e-324",
            "1.7976931348623157e308",
            "1e400",
            "1e-400",
            "9007199254740993",
            "00012.5000",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for _ in 0..200_000 {
            let bits = next(&mut s);
            let v = f64::from_bits(bits);
            if v.is_finite() {
                texts.push(format!("{v}"));
                texts.push(format!("{v:e}"));
            }
            // Prices as exports write them: up to 8 decimals.
            let cents = (next(&mut s) % 10_000_000_000) as f64;
            let places = (next(&mut s) % 9) as usize;
            texts.push(format!("{:.*}", places, cents / 10f64.powi(places as i32)));
        }
        for t in &texts {
            let want: f64 = t.parse().expect("valid corpus");
            match parse_number(t.as_bytes(), false) {
                Ok(got) => assert_eq!(got.to_bits(), want.to_bits(), "{t}"),
                Err(_) => assert!(!want.is_finite(), "{t} rejected"),
            }
            if !t.contains('e') && !t.contains('E') {
                let comma = t.replace('.', ",");
                // A point is never a decimal mark in comma mode.
                assert_eq!(
                    parse_number(t.as_bytes(), true).is_err(),
                    t.contains('.'),
                    "{t}"
                );
                match parse_number(comma.as_bytes(), true) {
                    Ok(got) => assert_eq!(got.to_bits(), want.to_bits(), "{comma}"),
                    Err(_) => assert!(!want.is_finite(), "{comma} rejected"),
                }
            }
        }
        for bad in [
            "",
            "1.2.3",
            "abc",
            "1e",
            "--1",
            "1,5",
            "nan",
            "inf",
            "-infinity",
            "0x10",
        ] {
            assert!(parse_number(bad.as_bytes(), false).is_err(), "{bad}");
        }
    }
}
