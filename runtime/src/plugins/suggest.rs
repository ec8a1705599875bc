//! "Did you mean ...?" for unknown names.

/// The candidate closest to `name`, if one is close enough to be a likely typo.
///
/// Close means a small edit distance (one edit per three characters, at
/// least one) or a high Jaro-Winkler similarity, which catches truncated
/// names such as `candle` for `candlestick`. Ties go to the earlier candidate.
pub(crate) fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let wanted = name.to_lowercase();
    let max_edits = (wanted.chars().count() / 3).max(1);
    let mut best: Option<(usize, f64, &str)> = None;
    for candidate in candidates {
        let lower = candidate.to_lowercase();
        let edits = strsim::damerau_levenshtein(&wanted, &lower);
        let similarity = strsim::jaro_winkler(&wanted, &lower);
        if edits > max_edits && similarity < 0.88 {
            continue;
        }
        let better = match best {
            None => true,
            Some((e, s, _)) => edits < e || (edits == e && similarity > s),
        };
        if better {
            best = Some((edits, similarity, candidate));
        }
    }
    best.map(|(_, _, c)| c.to_string())
}

#[cfg(test)]
mod tests {
    use super::did_you_mean;

    #[test]
    fn suggests_close_names_only() {
        let names = ["candlestick", "line", "volume"];
        assert_eq!(
            did_you_mean("candlestik", names).as_deref(),
            Some("candlestick")
        );
        assert_eq!(
            did_you_mean("candle", names).as_deref(),
            Some("candlestick")
        );
        assert_eq!(did_you_mean("Line", names).as_deref(), Some("line"));
        assert_eq!(did_you_mean("volumes", names).as_deref(), Some("volume"));
        assert_eq!(did_you_mean("heatmap", names), None);
        assert_eq!(did_you_mean("x", []), None);
    }
}
