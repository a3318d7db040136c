//! "Did you mean ...?": picks the candidate closest to a misspelt name by edit distance.

/// The candidate closest to `input` (case-insensitive Levenshtein distance), provided the
/// distance is small relative to the input's length (at most 1 for short names, about a third of
/// the length for longer ones). An exact case-insensitive match always wins.
pub(crate) fn closest<'a>(
    input: &str,
    candidates: impl Iterator<Item = &'a str>,
) -> Option<&'a str> {
    if input.is_empty() || input.len() > 128 {
        return None;
    }
    let lowered: Vec<char> = input.to_lowercase().chars().collect();
    let budget = (lowered.len() / 3).clamp(1, 3);
    let mut best: Option<(usize, &'a str)> = None;
    for candidate in candidates {
        let cand: Vec<char> = candidate.to_lowercase().chars().collect();
        let d = distance(&lowered, &cand);
        if d <= budget && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, candidate));
        }
    }
    best.map(|(_, c)| c)
}

/// Levenshtein distance between two char sequences (two-row dynamic programming).
fn distance(a: &[char], b: &[char]) -> usize {
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = prev[j] + usize::from(ca != cb);
            cur[j + 1] = substitution.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::closest;

    #[test]
    fn suggests_near_names_only() {
        let names = ["displayName", "description", "id", "wifiSsid"];
        assert_eq!(
            closest("dispayName", names.iter().copied()),
            Some("displayName")
        );
        assert_eq!(
            closest("DISPLAYNAME", names.iter().copied()),
            Some("displayName")
        );
        assert_eq!(closest("ix", names.iter().copied()), Some("id"));
        assert_eq!(closest("zzzzzzzz", names.iter().copied()), None);
        assert_eq!(closest("", names.iter().copied()), None);
    }
}
