//! Server-populated metadata: uid, creationTimestamp, generation.

pub use super::super::random::uid as new_uid;
pub use crate::time::{now_rfc3339, parse_rfc3339, rfc3339};

/// kubectl's AGE: `45s`, `12m`, `3h`, `5d`, `2y`.
pub fn age(created: Option<&str>, now: u64) -> String {
    let Some(then) = created.and_then(parse_rfc3339) else {
        return "<unknown>".into();
    };
    let d = now.saturating_sub(then);
    match d {
        0..120 => format!("{d}s"),
        120..7_200 => format!("{}m", d / 60),
        7_200..172_800 => format!("{}h", d / 3600),
        172_800..63_072_000 => format!("{}d", d / 86_400),
        _ => format!("{}y", d / 31_536_000),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_795_694_400), "2026-11-26T12:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        for secs in [0, 951_782_400, 1_795_694_400, 4_102_444_799] {
            assert_eq!(parse_rfc3339(&rfc3339(secs)), Some(secs));
        }
    }

    #[test]
    fn uids_look_like_uuid_v4() {
        let u = new_uid();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert_ne!(u, new_uid());
    }

    #[test]
    fn ages_like_kubectl() {
        assert_eq!(age(Some("2026-11-26T12:00:00Z"), 1_795_694_445), "45s");
        assert_eq!(
            age(Some("2026-11-26T12:00:00Z"), 1_795_694_400 + 3 * 3600),
            "3h"
        );
        assert_eq!(age(None, 0), "<unknown>");
    }
}
