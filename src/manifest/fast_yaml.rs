//! The fast path of [`super::parse_documents`]: saphyr-parser, for text that parses cleanly.
//!
//! It gives up (returns `None`) at the first syntax error or fatal builder issue, and the
//! caller parses the text again with granit-parser, which recovers, bounds nesting in the
//! scanner, and words errors the way kplan reports them.

use saphyr_parser::{Event, Parser, ScalarStyle};

use super::Span;
use super::yaml::{Builder, Document, Limits, NodeTag, YEvent};

const CORE_TAG_PREFIX: &str = "tag:yaml.org,2002:";

pub(super) fn parse<'src>(text: &'src str, limits: Limits) -> Option<Vec<Document<'src>>> {
    let mut offsets = Offsets::new(text);
    let mut docs = Vec::new();
    let mut builder: Option<Builder<'src>> = None;
    for item in Parser::new_from_str(text) {
        let (event, span) = item.ok()?;
        let mut start = offsets.byte(span.start.index());
        let mut end = offsets.byte(span.end.index());
        if matches!(
            event,
            Event::Scalar(..) | Event::SequenceStart(..) | Event::MappingStart(..)
        ) {
            // saphyr's node span starts at its properties (`!!str`, `&anchor`); granit's, and
            // kplan's, at the value itself.
            start = skip_properties(text, start, end);
        }
        if let Event::Scalar(_, ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted, ..) = &event
        {
            // saphyr's span of a quoted scalar runs on over trailing blanks and comments.
            end = quoted_end(text, start).unwrap_or(end);
        }
        let event = match event {
            Event::Nothing | Event::StreamStart | Event::StreamEnd => continue,
            Event::DocumentStart(_) => {
                builder = Some(Builder::new(text.len(), limits, start));
                continue;
            }
            Event::DocumentEnd => {
                if let Some(b) = builder.take() {
                    docs.push(b.finish());
                }
                continue;
            }
            Event::Scalar(text, style, anchor, tag) => YEvent::Scalar {
                text,
                plain: style == ScalarStyle::Plain,
                anchor,
                tag: tag.map(|t| match t.handle.strip_prefix(CORE_TAG_PREFIX) {
                    Some("") => NodeTag::Core(t.suffix.clone()),
                    _ => NodeTag::Custom,
                }),
            },
            Event::SequenceStart(anchor, _) => YEvent::SequenceStart { anchor },
            Event::MappingStart(anchor, _) => YEvent::MappingStart { anchor },
            Event::SequenceEnd => YEvent::SequenceEnd,
            Event::MappingEnd => YEvent::MappingEnd,
            Event::Alias(anchor) => YEvent::Alias(anchor),
        };
        let b = builder.get_or_insert_with(|| Builder::new(text.len(), limits, start));
        b.event(event, Span::new(start, end)).ok()?;
    }
    if let Some(b) = builder.take() {
        docs.push(b.finish());
    }
    Some(docs)
}

fn skip_properties(text: &str, mut start: usize, end: usize) -> usize {
    let bytes = text.as_bytes();
    while start < end && matches!(bytes.get(start), Some(b'!' | b'&')) {
        while start < end && !bytes[start].is_ascii_whitespace() {
            start += 1;
        }
        while start < end && bytes[start].is_ascii_whitespace() {
            start += 1;
        }
    }
    start
}

/// One past the closing quote of the quoted scalar starting at `start`.
fn quoted_end(text: &str, start: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let quote = *bytes.get(start)?;
    let mut i = start + 1;
    match quote {
        b'"' => {
            while i < bytes.len() {
                match bytes[i] {
                    b'\\' => i += 2,
                    b'"' => return Some(i + 1),
                    _ => i += 1,
                }
            }
        }
        b'\'' => {
            while i < bytes.len() {
                if bytes[i] == b'\'' {
                    if bytes.get(i + 1) == Some(&b'\'') {
                        i += 2;
                        continue;
                    }
                    return Some(i + 1);
                }
                i += 1;
            }
        }
        _ => {}
    }
    None
}

/// saphyr-parser counts positions in characters; kplan's spans are bytes. For ASCII text the
/// two agree; otherwise a cursor walks forward (events arrive almost in source order).
struct Offsets<'a> {
    text: &'a str,
    ascii: bool,
    char_at: usize,
    byte_at: usize,
}

impl<'a> Offsets<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            text,
            ascii: text.is_ascii(),
            char_at: 0,
            byte_at: 0,
        }
    }

    fn byte(&mut self, char_index: usize) -> usize {
        if self.ascii {
            return char_index.min(self.text.len());
        }
        if char_index < self.char_at {
            self.char_at = 0;
            self.byte_at = 0;
        }
        let mut chars = self.text[self.byte_at..].chars();
        while self.char_at < char_index {
            match chars.next() {
                Some(c) => {
                    self.byte_at += c.len_utf8();
                    self.char_at += 1;
                }
                None => break,
            }
        }
        self.byte_at
    }
}

#[cfg(test)]
mod tests {
    use super::super::yaml::parse_documents_robust;
    use super::*;

    /// Per document: its JSON and every node's span.
    type Shape = Vec<(Option<serde_json::Value>, Vec<(u32, u32)>)>;

    fn same_as_robust(text: &str) {
        let fast = parse(text, Limits::default()).expect("fast path parses it");
        let robust = parse_documents_robust(text, Limits::default());
        let shape = |docs: &[Document<'_>]| -> Shape {
            docs.iter()
                .filter(|d| d.root.is_some_and(|r| !d.tree.to_json(r).is_null()))
                .map(|d| {
                    let root = d.root.unwrap();
                    let spans = (0..d.tree.len() as u32)
                        .map(|i| (d.tree.node(i).span.start, d.tree.node(i).span.end))
                        .collect();
                    (Some(d.tree.to_json(root)), spans)
                })
                .collect()
        };
        let (f, r) = (shape(&fast), shape(&robust));
        assert_eq!(f.len(), r.len(), "{text}");
        for ((fj, fs), (rj, rs)) in f.iter().zip(&r) {
            assert_eq!(fj, rj, "{text}");
            assert_eq!(fs, rs, "every node's span, in {text}");
        }
        for (fd, rd) in fast.iter().zip(&robust) {
            let (Some(fr), Some(rr)) = (fd.root, rd.root) else {
                continue;
            };
            for path in [
                &["metadata", "name"][..],
                &["kind"][..],
                &["apiVersion"][..],
            ] {
                let a = fd.tree.get_path(fr, path).map(|n| fd.tree.node(n).span);
                let b = rd.tree.get_path(rr, path).map(|n| rd.tree.node(n).span);
                assert_eq!(a, b, "{path:?} in {text}");
            }
        }
    }

    #[test]
    fn both_parsers_build_the_same_trees() {
        same_as_robust("a: \"x\\\"y\"   # c\nb: 'it''s'  \nc: [\"d\" , 'e' ]\n");
        same_as_robust(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: é-x}\ndata:\n  a: |\n    line\n  b: >-\n    folded\n    text\n  c: 'q'\n  d: \"\\u00e9\"\n",
        );
        same_as_robust(
            "a: !!str 0755\nb: !!int \"12\"\nc: !custom x\nd: &x [1, 2]\ne: *x\nf: {<<: {g: 1}}\n---\n- y\n- 0x1F\n...\n---\nz: ~\n",
        );
    }

    #[test]
    fn both_parsers_agree_on_the_examples_and_the_shared_corpus() {
        let mut roots = vec![std::path::PathBuf::from("examples")];
        let corpus = std::path::PathBuf::from("../shared/corpus/kubernetes-examples");
        let with_corpus = corpus.is_dir();
        if with_corpus {
            roots.push(corpus);
        } else {
            eprintln!("skipped the corpus part: ../shared/corpus/kubernetes-examples not found");
        }
        let mut checked = 0;
        for root in roots {
            for entry in walkdir::WalkDir::new(root) {
                let entry = entry.unwrap();
                let p = entry.path();
                if !matches!(
                    p.extension().and_then(|e| e.to_str()),
                    Some("yaml" | "yml" | "json")
                ) {
                    continue;
                }
                let Ok(text) = std::fs::read_to_string(p) else {
                    continue;
                };
                if parse(&text, Limits::default()).is_some() {
                    same_as_robust(&text);
                    checked += 1;
                }
            }
        }
        // The examples alone are 8 files; with the corpus there are many more.
        let expected = if with_corpus { 10 } else { 7 };
        assert!(checked > expected, "checked only {checked} files");
    }

    #[test]
    fn gives_up_on_errors_and_deep_nesting() {
        assert!(parse("a: [1, 2\n", Limits::default()).is_none());
        assert!(parse(&("- ".repeat(1000) + "x\n"), Limits::default()).is_none());
        assert!(
            parse("a: 1\na: 2\n", Limits::default()).is_some(),
            "duplicate keys are not fatal"
        );
    }

    #[test]
    fn character_positions_become_byte_offsets() {
        let text = "# ééé\nname: wéb\nkind: x\n";
        let docs = parse(text, Limits::default()).unwrap();
        let root = docs[0].root.unwrap();
        let kind = docs[0].tree.get(root, "kind").unwrap();
        let span = docs[0].tree.node(kind).span;
        assert_eq!(&text[span.start as usize..span.end as usize], "x");
    }
}
