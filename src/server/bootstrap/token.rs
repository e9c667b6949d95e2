use std::fmt::Write as _;
use std::io;
use std::path::Path;

use super::BootstrapError;
use super::fs::{read_optional, restrict_to_owner, write_atomic};

/// Name of the token file inside the data directory.
pub(super) const TOKEN_FILE: &str = "token";

/// Random bytes in a new token: 256 bits, out of reach of guessing.
const TOKEN_BYTES: usize = 32;

/// The token in `dir`, or a new one written there. Whatever an operator put into the file
/// is kept as long as it can travel in an `Authorization` header (visible ASCII, no
/// spaces), so a token can be chosen by hand; anything else is replaced.
///
/// Returns whether the file was (re)written, so the caller can fsync the directory once.
pub(super) fn load_or_create(dir: &Path) -> Result<(String, bool), BootstrapError> {
    let path = dir.join(TOKEN_FILE);
    if let Some(bytes) = read_optional(&path)?
        && let Some(token) = usable(&bytes)
    {
        restrict_to_owner(&path)?;
        return Ok((token.to_owned(), false));
    }
    let token = generate().map_err(|e| BootstrapError::io(&path, e))?;
    write_atomic(dir, TOKEN_FILE, format!("{token}\n").as_bytes())?;
    Ok((token, true))
}

/// 32 random bytes as 64 lowercase hex digits.
pub(super) fn generate() -> io::Result<String> {
    let mut bytes = [0u8; TOKEN_BYTES];
    getrandom::fill(&mut bytes).map_err(|e| {
        e.raw_os_error().map_or_else(
            || io::Error::other(format!("no random numbers from the OS: {e}")),
            io::Error::from_raw_os_error,
        )
    })?;
    Ok(hex(&bytes))
}

/// Lowercase hex digits of `bytes`.
pub(super) fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        // Writing to a String cannot fail.
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// Whether `header` (the `Authorization` value) carries `expected` as a bearer token.
///
/// Follows the Kubernetes API server's parsing: surrounding whitespace is ignored, the
/// scheme is matched case-insensitively, scheme and token are separated by exactly one
/// space, and an empty token is rejected. Unlike Kubernetes, which ignores anything after a
/// second space, trailing words make the header invalid: no client sends them.
pub(super) fn authorizes(expected: &str, header: Option<&str>) -> bool {
    let Some(header) = header else {
        return false;
    };
    let Some((scheme, presented)) = header.trim().split_once(' ') else {
        return false;
    };
    if !scheme.eq_ignore_ascii_case("bearer")
        || presented.is_empty()
        || presented.contains(' ')
        || expected.is_empty()
    {
        return false;
    }
    constant_time_eq(expected.as_bytes(), presented.as_bytes())
}

fn usable(bytes: &[u8]) -> Option<&str> {
    let text = std::str::from_utf8(bytes).ok()?.trim();
    (!text.is_empty() && text.bytes().all(|b| b.is_ascii_graphic())).then_some(text)
}

/// Equality whose running time depends only on the length of `expected` (public: every
/// generated token has 64 characters), never on where the first differing byte is, so that
/// response timing does not leak the token a byte at a time.
fn constant_time_eq(expected: &[u8], presented: &[u8]) -> bool {
    let mut diff = u8::from(expected.len() != presented.len());
    for (i, &e) in expected.iter().enumerate() {
        diff |= e ^ presented.get(i).copied().unwrap_or(0);
    }
    // Keeps the optimiser from turning the fold into an early-exit comparison.
    std::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    const TOKEN: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn generated_tokens_are_64_hex_digits_and_differ() {
        let a = generate().unwrap();
        let b = generate().unwrap();
        assert_eq!(a.len(), 64);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert_ne!(a, b);
    }

    #[test]
    fn authorizes_the_right_bearer_token() {
        assert!(authorizes(TOKEN, Some(&format!("Bearer {TOKEN}"))));
        // Kubernetes matches the scheme case-insensitively.
        assert!(authorizes(TOKEN, Some(&format!("bearer {TOKEN}"))));
        assert!(authorizes(TOKEN, Some(&format!("BEARER {TOKEN}"))));
        assert!(authorizes(TOKEN, Some(&format!("  Bearer {TOKEN} \t"))));
    }

    #[test]
    fn rejects_everything_else() {
        let wrong = TOKEN.replace('0', "1");
        for header in [
            None,
            Some(String::new()),
            Some("Bearer".to_owned()),
            Some("Bearer ".to_owned()),
            Some(format!("Bearer  {TOKEN}")),
            Some(format!("Bearer {wrong}")),
            Some(format!("Bearer {}", &TOKEN[..63])),
            Some(format!("Bearer {TOKEN}0")),
            Some(format!("Bearer {TOKEN} extra")),
            Some(format!("Basic {TOKEN}")),
            Some(format!("Bearer:{TOKEN}")),
            Some(TOKEN.to_owned()),
        ] {
            assert!(!authorizes(TOKEN, header.as_deref()), "accepted {header:?}");
        }
    }

    #[test]
    fn an_empty_expected_token_authorizes_nothing() {
        assert!(!authorizes("", Some("Bearer ")));
        assert!(!authorizes("", Some("Bearer x")));
    }

    #[test]
    fn load_or_create_writes_once_then_reuses() {
        let dir = tempfile::tempdir().unwrap();
        let (first, written) = load_or_create(dir.path()).unwrap();
        assert!(written);
        let path = dir.path().join(TOKEN_FILE);
        assert_eq!(fs::read_to_string(&path).unwrap(), format!("{first}\n"));
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let (second, written) = load_or_create(dir.path()).unwrap();
        assert!(!written);
        assert_eq!(first, second);
    }

    #[test]
    fn a_hand_written_token_is_kept_and_a_blank_one_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(TOKEN_FILE);
        fs::write(&path, "my-own.token_42\n").unwrap();
        assert_eq!(load_or_create(dir.path()).unwrap().0, "my-own.token_42");
        fs::write(&path, "  \n").unwrap();
        let (token, written) = load_or_create(dir.path()).unwrap();
        assert!(written);
        assert_eq!(token.len(), 64);
        fs::write(&path, "has a space").unwrap();
        assert!(load_or_create(dir.path()).unwrap().1);
    }
}
