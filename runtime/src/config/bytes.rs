//! Sizes in bytes as the chart file and the command line write them
//! (`"2 GiB"`, `"512 MiB"`, `"1.5 GB"`, `1073741824`).

use super::types::ByteSize;

/// Parses `"2 GiB"`, `"512MiB"`, `"1.5 GB"`, `"100 B"` or `"4096"`: a
/// number, then optionally `B`, `KB`/`kB`, `MB`, `GB`, `TB` (powers of
/// 1000) or `KiB`, `MiB`, `GiB`, `TiB` (powers of 1024). At least one byte.
pub fn parse_byte_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = (&t[..split], t[split..].trim());
    let scale: u64 = match unit {
        "" | "B" => 1,
        "KB" | "kB" => 1_000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        "TB" => 1_000_000_000_000,
        "KiB" | "kiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        "TiB" => 1 << 40,
        other => {
            return Err(format!(
                "`{text}`: unknown unit `{other}` (use B, KB, MB, GB, TB, KiB, MiB, GiB or TiB)"
            ));
        }
    };
    let well_formed = !number.is_empty()
        && number.matches('.').count() <= 1
        && !number.starts_with('.')
        && !number.ends_with('.');
    let value: f64 = number
        .parse()
        .ok()
        .filter(|_| well_formed)
        .ok_or_else(|| format!("`{text}` is not a size, e.g. \"2 GiB\" or \"512 MiB\""))?;
    let bytes = value * scale as f64;
    // 2^63 bytes is far past any machine; above it the f64 → u64 cast saturates.
    if !(bytes.is_finite() && bytes < 9.2e18) {
        return Err(format!("`{text}` is too large"));
    }
    let bytes = bytes.round() as u64;
    if bytes == 0 {
        return Err(format!(
            "`{text}` is zero: the budget must be at least 1 byte"
        ));
    }
    Ok(bytes)
}

impl ByteSize {
    /// The size in bytes (an error for a malformed text or zero).
    pub fn bytes(&self) -> Result<u64, String> {
        match self {
            ByteSize::Bytes(0) => Err("0 bytes: the budget must be at least 1 byte".into()),
            ByteSize::Bytes(n) => Ok(*n),
            ByteSize::Text(t) => parse_byte_size(t),
        }
    }
}

/// `bytes` written for people: `2.00 GiB`, `512.0 MiB`, `3.4 KiB`, `17 B`.
pub fn format_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut v = bytes as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    let digits = if v >= 100.0 {
        0
    } else if v >= 10.0 {
        1
    } else {
        2
    };
    format!("{v:.digits$} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_binary_and_decimal_units() {
        assert_eq!(parse_byte_size("2 GiB"), Ok(2 << 30));
        assert_eq!(parse_byte_size("512MiB"), Ok(512 << 20));
        assert_eq!(parse_byte_size(" 1.5 GB "), Ok(1_500_000_000));
        assert_eq!(parse_byte_size("4096"), Ok(4096));
        assert_eq!(parse_byte_size("100 B"), Ok(100));
        assert_eq!(parse_byte_size("3 KiB"), Ok(3072));
        assert_eq!(parse_byte_size("3 kB"), Ok(3000));
    }

    #[test]
    fn bad_sizes_say_why() {
        let e = parse_byte_size("2 GB2").unwrap_err();
        assert!(e.contains("unknown unit `GB2`"), "{e}");
        let e = parse_byte_size("2 gigs").unwrap_err();
        assert!(e.contains("unknown unit"), "{e}");
        for bad in ["", "GiB", "1..2 MiB", ".5 MiB", "-1 MiB"] {
            assert!(parse_byte_size(bad).is_err(), "{bad:?}");
        }
        assert!(parse_byte_size("0 MiB").unwrap_err().contains("zero"));
        assert!(
            parse_byte_size("99999999 TiB")
                .unwrap_err()
                .contains("too large")
        );
        assert!(ByteSize::Bytes(0).bytes().is_err());
    }

    #[test]
    fn bytes_format_for_people() {
        assert_eq!(format_bytes(17), "17 B");
        assert_eq!(format_bytes(3 << 10), "3.00 KiB");
        assert_eq!(format_bytes(512 << 20), "512 MiB");
        assert_eq!(format_bytes(2 << 30), "2.00 GiB");
        assert_eq!(format_bytes(15 << 20), "15.0 MiB");
    }
}
