/// `*` (any run, also empty) and `?` (one character) against the whole text.
pub fn glob_matches(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::glob_matches;

    #[test]
    fn globs_match_whole_image_names() {
        assert!(glob_matches("*:broken", "registry/web:broken"));
        assert!(glob_matches("web:2.*", "web:2.0.1"));
        assert!(glob_matches("web:?", "web:2"));
        assert!(!glob_matches("web:2.*", "web:1.0"));
        assert!(!glob_matches("web", "web:1"));
        assert!(glob_matches("*", ""));
    }
}
