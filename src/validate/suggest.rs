/// The closest allowed name to a misspelt one, if it is close enough to be a likely typo
/// (`replica` → `replicas`, `ImagePullPolicy` → `imagePullPolicy`).
pub fn did_you_mean<'a>(
    wrong: &str,
    allowed: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let wrong_lower = wrong.to_lowercase();
    let mut best: Option<(usize, &str)> = None;
    for candidate in allowed {
        if candidate.to_lowercase() == wrong_lower {
            return Some(candidate);
        }
        let d = distance(&wrong_lower, &candidate.to_lowercase());
        if best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, candidate));
        }
    }
    let limit = (wrong.chars().count() / 3).max(1);
    best.filter(|(d, _)| *d <= limit).map(|(_, c)| c)
}

/// Optimal string alignment distance (Levenshtein plus adjacent transpositions).
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev2 = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                cur[j] = cur[j].min(prev2[j - 2] + 1);
            }
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let allowed = [
            "replicas",
            "selector",
            "template",
            "strategy",
            "minReadySeconds",
        ];
        assert_eq!(did_you_mean("replica", allowed), Some("replicas"));
        assert_eq!(did_you_mean("selcetor", allowed), Some("selector"));
        assert_eq!(
            did_you_mean("MinReadySeconds", allowed),
            Some("minReadySeconds")
        );
        assert_eq!(did_you_mean("foo", allowed), None);
        assert_eq!(did_you_mean("x", ["y"]), Some("y"));
    }
}
