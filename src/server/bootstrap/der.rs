/// A cursor over DER tag-length-value items, enough to find one extension in a certificate.
///
/// Hand-written because the crates kplan links (rcgen without `x509-parser`, rustls) can
/// build and verify certificates but not list their subject alternative names, and a restart
/// needs that list to decide whether the serving certificate still fits. Every read returns
/// `None` on malformed input; the caller then treats the certificate as unreadable.
pub(super) struct DerReader<'a> {
    rest: &'a [u8],
}

pub(super) const SEQUENCE: u8 = 0x30;

impl<'a> DerReader<'a> {
    pub(super) fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// The next item's tag and content. Tags are single bytes: X.509 uses no high tag numbers.
    pub(super) fn read(&mut self) -> Option<(u8, &'a [u8])> {
        let (&tag, rest) = self.rest.split_first()?;
        let (&first, mut rest) = rest.split_first()?;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            // Long form; 0x80 (indefinite) is BER only, and four bytes cover any certificate.
            let count = usize::from(first & 0x7f);
            if count == 0 || count > 4 || rest.len() < count {
                return None;
            }
            let (len_bytes, after) = rest.split_at(count);
            rest = after;
            len_bytes
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b))
        };
        if rest.len() < len {
            return None;
        }
        let (content, after) = rest.split_at(len);
        self.rest = after;
        Some((tag, content))
    }

    /// The next item's content, if it has tag `want`.
    pub(super) fn read_tagged(&mut self, want: u8) -> Option<&'a [u8]> {
        let (tag, content) = self.read()?;
        (tag == want).then_some(content)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_short_and_long_lengths() {
        let mut long = vec![0x04, 0x81, 0x80];
        long.extend([7u8; 0x80]);
        long.extend([0x02, 0x01, 0x05]);
        let mut r = DerReader::new(&long);
        let (tag, content) = r.read().unwrap();
        assert_eq!((tag, content.len()), (0x04, 0x80));
        assert_eq!(r.read_tagged(0x02), Some(&[5u8][..]));
        assert!(r.is_empty());
    }

    #[test]
    fn rejects_truncated_and_indefinite_items() {
        assert!(DerReader::new(&[0x30, 0x05, 0x01]).read().is_none());
        assert!(DerReader::new(&[0x30, 0x80, 0x00, 0x00]).read().is_none());
        assert!(DerReader::new(&[0x30]).read().is_none());
        assert!(
            DerReader::new(&[0x02, 0x01, 0x05])
                .read_tagged(0x30)
                .is_none()
        );
    }
}
