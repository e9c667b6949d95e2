use std::sync::OnceLock;

/// One input's text, with a line index built only when a position is printed.
#[derive(Debug)]
pub struct SourceFile {
    /// The path as the user gave it (or `-` / `<stdin>`), used in every finding.
    pub name: String,
    pub text: String,
    line_starts: OnceLock<Vec<u32>>,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: String) -> Self {
        Self {
            name: name.into(),
            text,
            line_starts: OnceLock::new(),
        }
    }

    fn line_starts(&self) -> &[u32] {
        self.line_starts.get_or_init(|| {
            std::iter::once(0)
                .chain(self.text.match_indices('\n').map(|(i, _)| (i + 1) as u32))
                .collect()
        })
    }

    /// The byte range of the lines holding `start..end`, widened by `before` and `after` lines,
    /// and the 0-based number of its first line: what a snippet of that span shows.
    pub fn line_window(
        &self,
        start: u32,
        end: u32,
        before: usize,
        after: usize,
    ) -> (usize, usize, usize) {
        let starts = self.line_starts();
        let first = starts.partition_point(|&s| s <= start).saturating_sub(1);
        let last = starts
            .partition_point(|&s| s <= end.max(start))
            .saturating_sub(1);
        let first = first.saturating_sub(before);
        let last = (last + after + 1).min(starts.len());
        let lo = starts[first] as usize;
        let hi = starts.get(last).map_or(self.text.len(), |&s| s as usize);
        (lo, hi, first)
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: u32) -> (u32, u32) {
        let starts = self.line_starts();
        let line = starts.partition_point(|&s| s <= offset).saturating_sub(1);
        let start = starts[line] as usize;
        let end = (offset as usize).min(self.text.len());
        let col = self
            .text
            .get(start..end)
            .map_or(end - start, |prefix| prefix.chars().count());
        (line as u32 + 1, col as u32 + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based_and_count_characters() {
        let f = SourceFile::new("x", "ab\nçd: e\n".into());
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(1), (1, 2));
        assert_eq!(f.line_col(3), (2, 1));
        // `d` follows a two-byte character.
        assert_eq!(f.line_col(5), (2, 2));
        assert_eq!(f.line_col(100), (3, 1));
    }
}
