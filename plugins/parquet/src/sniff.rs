//! What a file is, from its first and last bytes, before the Parquet reader
//! sees it: an empty file, a file cut short, an Arrow IPC or CSV file named
//! `.parquet` each get their own message instead of a decoder error.

use gpu_charts_plugin_api::PluginError;

/// Magic bytes at both ends of a Parquet file.
const PAR1: &[u8; 4] = b"PAR1";
/// Footer magic of a Parquet file with an encrypted footer.
const PARE: &[u8; 4] = b"PARE";
/// Magic bytes at the start of an Arrow IPC file.
const ARROW1: &[u8; 6] = b"ARROW1";
/// The continuation marker that starts every message of an Arrow IPC stream.
const IPC_CONTINUATION: [u8; 4] = [0xff, 0xff, 0xff, 0xff];
/// Smallest possible Parquet file: magic, footer length, magic.
const MIN_LEN: u64 = 12;

/// Checks the first bytes (`head`, up to 64) and the last 4 bytes (`tail`)
/// of a file `len` bytes long; `shown` names it in the error.
pub(crate) fn check(shown: &str, len: u64, head: &[u8], tail: &[u8]) -> Result<(), PluginError> {
    let convert = "convert it again, e.g. `gpu-charts convert data.csv data.parquet`";
    if len == 0 {
        return Err(PluginError::data(format!(
            "{shown}: the file is empty (0 bytes), not Parquet"
        ))
        .with_help(format!("the export or copy did not finish; {convert}")));
    }
    if head.starts_with(PAR1) {
        if tail == PARE {
            return Err(PluginError::data(format!(
                "{shown}: the Parquet file has an encrypted footer, which is not supported"
            ))
            .with_help("write the file without encryption"));
        }
        if len < MIN_LEN || tail != PAR1 {
            return Err(PluginError::data(format!(
                "{shown}: truncated Parquet file ({len} bytes): it starts like Parquet but does not end with the footer magic `PAR1`"
            ))
            .with_help(format!(
                "the file was cut short (an interrupted copy or download?); {convert}"
            )));
        }
        return Ok(());
    }
    if head.starts_with(ARROW1) || head.starts_with(&IPC_CONTINUATION) {
        return Err(PluginError::data(format!(
            "{shown}: this is an Arrow IPC file, not Parquet (it starts with the Arrow magic)"
        ))
        .with_help("use kind = \"arrow\" for Arrow IPC files, or rename it to .arrow"));
    }
    if head.starts_with(&[0x1f, 0x8b]) {
        return Err(PluginError::data(format!(
            "{shown}: this is a gzip-compressed file, not Parquet"
        ))
        .with_help("use kind = \"csv\" for a .csv.gz file, or decompress it first"));
    }
    if looks_like_text(head) {
        let first_line: String = String::from_utf8_lossy(head)
            .lines()
            .next()
            .unwrap_or_default()
            .chars()
            .map(|c| if c.is_control() { '?' } else { c })
            .take(40)
            .collect();
        return Err(PluginError::data(format!(
            "{shown}: this is a text file (CSV?), not Parquet; it starts with `{first_line}`"
        ))
        .with_help(
            "use kind = \"csv\" for CSV files, or `gpu-charts convert data.csv data.parquet`",
        ));
    }
    Err(PluginError::data(format!(
        "{shown}: not a Parquet file (it does not start with the magic `PAR1`)"
    ))
    .with_help(format!("check `path`; {convert}")))
}

/// True when every byte is printable ASCII, whitespace or part of UTF-8 text.
fn looks_like_text(head: &[u8]) -> bool {
    let text = match std::str::from_utf8(head) {
        Ok(t) => t,
        // The cut at 64 bytes may split a character: accept a short tail.
        Err(e) if head.len() - e.valid_up_to() < 4 => {
            std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or_default()
        }
        Err(_) => return false,
    };
    !text.is_empty()
        && text
            .chars()
            .all(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(len: u64, head: &[u8], tail: &[u8]) -> String {
        match check("f.parquet", len, head, tail) {
            Ok(()) => panic!("accepted"),
            Err(e) => e.message,
        }
    }

    #[test]
    fn each_kind_of_wrong_file_is_named() {
        assert!(message(0, b"", b"").contains("empty"));
        assert!(message(100, b"PAR1\x15\x04", b"\x00\x01\x02\x03").contains("truncated"));
        assert!(message(8, b"PAR1PAR1", b"PAR1").contains("truncated"));
        assert!(message(100, b"ARROW1\0\0", b"ARROW1").contains("Arrow IPC"));
        assert!(message(100, &[0xff, 0xff, 0xff, 0xff, 0x10], b"").contains("Arrow IPC"));
        assert!(message(100, b"time,price\n1,2\n", b"1,2\n").contains("text file (CSV?)"));
        assert!(message(100, b"\x1f\x8b\x08\x00", b"").contains("gzip"));
        assert!(message(100, b"\x00\x01\x02\x03", b"").contains("not a Parquet file"));
        assert!(message(100, b"PAR1\0", b"PARE").contains("encrypted"));
        assert!(check("f", 100, b"PAR1\0", b"PAR1").is_ok());
    }
}
