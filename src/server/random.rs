//! Random identifiers the server hands out: object uids and `generateName` suffixes.
//!
//! They must never collide, not be secret, so bytes come from the OS in blocks and are handed
//! out from a per-thread pool: one `getrandom` call per 32 uids instead of one per object.

use std::cell::RefCell;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::rollout::{FNV_OFFSET, SAFE_ALPHABET, fnv1a};

const POOL: usize = 512;

struct Pool {
    bytes: [u8; POOL],
    used: usize,
}

thread_local! {
    static POOL_BYTES: RefCell<Pool> = const { RefCell::new(Pool { bytes: [0; POOL], used: POOL }) };
}

/// Fills `out` (at most [`POOL`] bytes) with random bytes.
fn fill(out: &mut [u8]) {
    POOL_BYTES.with_borrow_mut(|pool| {
        if pool.used + out.len() > POOL {
            refill(&mut pool.bytes);
            pool.used = 0;
        }
        out.copy_from_slice(&pool.bytes[pool.used..pool.used + out.len()]);
        pool.used += out.len();
    });
}

fn refill(bytes: &mut [u8; POOL]) {
    // The OS RNG failing is not something a server can work around; hash the clock and the
    // position instead rather than refusing to create objects.
    if getrandom::fill(bytes).is_err() {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
            .to_le_bytes();
        for (i, chunk) in bytes.chunks_mut(4).enumerate() {
            let hash = fnv1a(fnv1a(FNV_OFFSET, &nanos), &i.to_le_bytes());
            chunk.copy_from_slice(&hash.to_le_bytes()[..chunk.len()]);
        }
    }
}

/// A random (version 4) UUID, as the API server gives every object.
pub fn uid() -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut b = [0u8; 16];
    fill(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let mut out = String::with_capacity(36);
    for (i, byte) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    out
}

/// Five characters from the alphabet the API server uses for `generateName` suffixes.
pub fn name_suffix() -> String {
    let mut b = [0u8; 5];
    fill(&mut b);
    b.iter()
        .map(|x| char::from(SAFE_ALPHABET[usize::from(*x) % SAFE_ALPHABET.len()]))
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn uids_are_version_4_uuids() {
        let uid = uid();
        assert_eq!(uid.len(), 36);
        let groups: Vec<&str> = uid.split('-').collect();
        assert_eq!(
            groups.iter().map(|g| g.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(groups[2].starts_with('4'), "{uid}");
        assert!(matches!(&groups[3][..1], "8" | "9" | "a" | "b"), "{uid}");
        assert!(uid.bytes().all(|c| c == b'-' || c.is_ascii_hexdigit()));
    }

    #[test]
    fn uids_do_not_repeat_across_pool_refills() {
        let uids: HashSet<String> = (0..10 * POOL).map(|_| uid()).collect();
        assert_eq!(uids.len(), 10 * POOL);
    }

    #[test]
    fn name_suffixes_use_the_api_servers_alphabet() {
        for _ in 0..200 {
            let s = name_suffix();
            assert_eq!(s.len(), 5);
            assert!(s.bytes().all(|c| SAFE_ALPHABET.contains(&c)), "{s}");
        }
    }
}
