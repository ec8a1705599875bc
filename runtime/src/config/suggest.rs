//! "Did you mean …?" suggestions, shared by every module that reports an
//! unknown name (keys, enum values, plugin names, time zones).

/// The candidate closest to `name`, if it is close enough to be a likely typo.
///
/// Closeness is the optimal-string-alignment distance (an edit is an
/// insertion, deletion, substitution or swap of two neighbours), ignoring
/// case; a candidate qualifies within one edit per three characters of
/// `name`, at least 1 and at most 3. Ties go to the earlier candidate.
/// So `colr` → `color` and `drak` → `dark`, but `banana` matches neither
/// `dark` nor `light`.
pub fn suggest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let name = name.to_lowercase();
    let limit = (name.chars().count() / 3).clamp(1, 3);
    let mut best: Option<(usize, &'a str)> = None;
    for candidate in candidates {
        let distance = strsim::osa_distance(&name, &candidate.to_lowercase());
        if distance <= limit && best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, candidate)| candidate)
}

/// `` `a`, `b`, `c` `` for a help line.
pub(super) fn list_names<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    names
        .into_iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
