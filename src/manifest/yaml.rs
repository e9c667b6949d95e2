//! Builds span-carrying [`Tree`]s from YAML (and JSON) text, one per document.
//!
//! The builder is where YAML turns into what the API server would receive: scalars resolved by
//! go-yaml v2 rules (see [`super::scalar`]), `<<` merge keys applied, aliases expanded under a
//! budget, duplicate keys reported, nesting bounded.

use std::borrow::Cow;
use std::collections::HashMap;

use granit_parser::{Event, Parser, ScalarStyle, ScanError, Span as YSpan};

use super::fast_yaml;

use super::scalar::{Resolved, resolve_plain};
use super::tree::{Entry, Node, NodeId, Tree, Value};
use super::{LoadIssue, LoadIssueKind, Span};

/// Limits that keep hostile input bounded in time and memory.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Deepest nesting of collections.
    pub max_depth: usize,
    /// Nodes a document may create through alias expansion, beyond one per source byte; go-yaml
    /// bounds aliasing relative to the input in the same spirit.
    pub alias_node_budget: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_depth: 200,
            alias_node_budget: 100_000,
        }
    }
}

/// One parsed document: its tree (unless it could not be built) and what went wrong on the way.
#[derive(Debug)]
pub struct Document<'src> {
    pub tree: Tree<'src>,
    /// `None` for an empty document, or when a fatal error stopped the build.
    pub root: Option<NodeId>,
    /// Where the document starts (its first node, or the error).
    pub start: u32,
    /// Non-fatal issues (duplicate keys, non-finite numbers) and at most one fatal one.
    pub issues: Vec<LoadIssue>,
    /// Whether a fatal issue stopped the build.
    pub failed: bool,
}

enum Frame<'src> {
    Seq {
        id: NodeId,
        items: Vec<NodeId>,
    },
    Map {
        id: NodeId,
        entries: Vec<Entry<'src>>,
        key: Option<(Cow<'src, str>, Span, bool)>,
        merges: Vec<NodeId>,
    },
}

impl Document<'_> {
    /// Moves every span by `base` bytes (see [`split_documents`]).
    pub fn shift_spans(&mut self, base: u32) {
        self.tree.shift_spans(base);
        self.start += base;
        for issue in &mut self.issues {
            issue.span.start += base;
            issue.span.end += base;
            if let Some(r) = &mut issue.related {
                r.start += base;
                r.end += base;
            }
        }
    }
}

/// Cuts a multi-document text into chunks of about `target` bytes at document markers, so that
/// one big file can be parsed on several threads. Each chunk is `(byte offset, text)`.
///
/// A line starting with `---` or `...` followed by a blank or the line's end is a document
/// boundary wherever it appears (YAML forbids such lines inside content), so the cut never
/// changes what is parsed. Texts with directives (`%YAML`) are not cut: a directive belongs to
/// the document after it.
pub fn split_documents(text: &str, target: usize) -> Vec<(usize, &str)> {
    if text.len() <= target || text.starts_with('%') || text.contains("\n%") {
        return vec![(0, text)];
    }
    let mut chunks = Vec::new();
    let mut start = 0;
    let bytes = text.as_bytes();
    let mut search = target;
    while search < text.len() {
        let Some(found) = text[search..].find("\n---") else {
            break;
        };
        let cut = search + found + 1;
        let after = bytes.get(cut + 3).copied();
        if matches!(after, None | Some(b' ' | b'\t' | b'\n' | b'\r')) {
            chunks.push((start, &text[start..cut]));
            start = cut;
            search = cut + target;
        } else {
            search = cut + 3;
        }
    }
    chunks.push((start, &text[start..]));
    chunks
}

/// A parser event in kplan's terms, so that one builder serves both parsers.
#[derive(Debug)]
pub(super) enum YEvent<'src> {
    Scalar {
        text: Cow<'src, str>,
        plain: bool,
        anchor: usize,
        tag: Option<NodeTag>,
    },
    SequenceStart {
        anchor: usize,
    },
    MappingStart {
        anchor: usize,
    },
    SequenceEnd,
    MappingEnd,
    Alias(usize),
}

/// An explicit tag on a node: a YAML core-schema tag (`!!str` → `str`) or anything else.
#[derive(Debug)]
pub(super) enum NodeTag {
    Core(String),
    Custom,
}

/// Parses every document of `text`. A syntax error ends its document only: parsing resumes at
/// the next `---`, so later documents are not lost.
///
/// Two parsers: saphyr-parser reads well-formed text about 1.5× faster; granit-parser recovers
/// after errors, bounds nesting and reports byte offsets. The fast one runs first, and any text
/// it does not get through cleanly is parsed again by granit, whose result is then the answer.
/// Both feed the same builder, so both produce the same trees.
pub fn parse_documents(text: &str, limits: Limits) -> Vec<Document<'_>> {
    fast_yaml::parse(text, limits).unwrap_or_else(|| parse_documents_robust(text, limits))
}

/// Parses with granit-parser, recovering after errors at the next document.
pub(super) fn parse_documents_robust<'src>(text: &'src str, limits: Limits) -> Vec<Document<'src>> {
    let mut options = granit_parser::Options::default();
    options.set_emit_comments(false);
    options.block_nesting_limit = limits.max_depth + 1;
    options.flow_nesting_limit = limits.max_depth + 1;
    let mut parser = Parser::new_from_str_with_options(text, options);
    let mut docs = Vec::new();
    let mut builder: Option<Builder<'src>> = None;
    loop {
        match parser.next_event() {
            None => break,
            Some(Ok((event, span))) => match event {
                Event::StreamStart | Event::StreamEnd => {}
                Event::DocumentStart(..) => {
                    builder = Some(Builder::new(text.len(), limits, offset(&span)));
                }
                Event::DocumentEnd => {
                    if let Some(b) = builder.take() {
                        docs.push(b.finish());
                    }
                }
                other => {
                    let Some(event) = from_granit(other) else {
                        continue;
                    };
                    let b = builder
                        .get_or_insert_with(|| Builder::new(text.len(), limits, offset(&span)));
                    if let Err(issue) = b.event(event, to_span(&span)) {
                        let mut b = builder.take().expect("builder present");
                        b.fail(issue);
                        docs.push(b.finish());
                        if !recover(&mut parser, &mut docs, text.len(), limits) {
                            break;
                        }
                    }
                }
            },
            Some(Err(err)) => {
                let mut b = builder
                    .take()
                    .unwrap_or_else(|| Builder::new(text.len(), limits, scan_offset(&err)));
                b.fail(syntax_issue(&err, limits));
                docs.push(b.finish());
                if !recover(&mut parser, &mut docs, text.len(), limits) {
                    break;
                }
            }
        }
    }
    if let Some(b) = builder.take() {
        docs.push(b.finish());
    }
    docs
}

fn from_granit(event: Event<'_>) -> Option<YEvent<'_>> {
    Some(match event {
        Event::Scalar(text, style, anchor, tag) => YEvent::Scalar {
            text,
            plain: style == ScalarStyle::Plain,
            anchor,
            tag: tag.map(|t| match t.core_suffix() {
                Some(suffix) => NodeTag::Core(suffix.to_string()),
                None => NodeTag::Custom,
            }),
        },
        Event::SequenceStart(_, anchor, _) => YEvent::SequenceStart { anchor },
        Event::MappingStart(_, anchor, _) => YEvent::MappingStart { anchor },
        Event::SequenceEnd => YEvent::SequenceEnd,
        Event::MappingEnd => YEvent::MappingEnd,
        Event::Alias(anchor) => YEvent::Alias(anchor),
        _ => return None,
    })
}

/// Skips to the next document; false when the stream is over.
fn recover<'src>(
    parser: &mut Parser<'src, granit_parser::StrInput<'src>>,
    docs: &mut Vec<Document<'src>>,
    len: usize,
    limits: Limits,
) -> bool {
    match parser.proceed_next_document() {
        Ok(more) => more,
        Err(err) => {
            // Recovery itself failed (e.g. the rest of the file is one broken document).
            let mut b = Builder::new(len, limits, scan_offset(&err));
            b.fail(syntax_issue(&err, limits));
            docs.push(b.finish());
            false
        }
    }
}

fn offset(span: &YSpan) -> usize {
    span.start.byte_offset().unwrap_or(span.start.index())
}

fn end_offset(span: &YSpan) -> usize {
    span.end.byte_offset().unwrap_or(span.end.index())
}

fn to_span(span: &YSpan) -> Span {
    Span::new(offset(span), end_offset(span))
}

fn scan_offset(err: &ScanError) -> usize {
    err.marker().byte_offset().unwrap_or(err.marker().index())
}

fn syntax_issue(err: &ScanError, limits: Limits) -> LoadIssue {
    let at = scan_offset(err);
    // The parser's own nesting limit is the same limit as the builder's: an input limit.
    if matches!(err.kind(), granit_parser::ErrorKind::RecursionLimitExceeded) {
        return LoadIssue {
            kind: LoadIssueKind::Limit,
            message: format!("nesting deeper than {} levels", limits.max_depth),
            span: Span::new(at, at),
            hint: Some(
                "Kubernetes objects are never this deep; is the file generated wrongly?".into(),
            ),
            related: None,
        };
    }
    LoadIssue {
        kind: LoadIssueKind::Syntax,
        message: format!("YAML syntax error: {}", err.info()),
        span: Span::new(at, at),
        hint: None,
        related: None,
    }
}

pub(super) struct Builder<'src> {
    tree: Tree<'src>,
    stack: Vec<Frame<'src>>,
    anchors: HashMap<usize, NodeId>,
    root: Option<NodeId>,
    start: u32,
    issues: Vec<LoadIssue>,
    failed: bool,
    node_budget: usize,
    limits: Limits,
}

impl<'src> Builder<'src> {
    pub(super) fn new(source_len: usize, limits: Limits, start: usize) -> Self {
        Self {
            tree: Tree::default(),
            stack: Vec::new(),
            anchors: HashMap::new(),
            root: None,
            start: start as u32,
            issues: Vec::new(),
            failed: false,
            node_budget: source_len + limits.alias_node_budget,
            limits,
        }
    }

    pub(super) fn fail(&mut self, issue: LoadIssue) {
        self.failed = true;
        self.issues.push(issue);
    }

    pub(super) fn finish(self) -> Document<'src> {
        Document {
            root: if self.failed { None } else { self.root },
            start: self.start,
            tree: self.tree,
            issues: self.issues,
            failed: self.failed,
        }
    }

    fn expecting_key(&self) -> bool {
        matches!(self.stack.last(), Some(Frame::Map { key: None, .. }))
    }

    pub(super) fn event(&mut self, event: YEvent<'src>, span: Span) -> Result<(), LoadIssue> {
        if self.root.is_none() && self.stack.is_empty() && self.tree.is_empty() {
            self.start = span.start;
        }
        match event {
            YEvent::Scalar {
                text,
                plain,
                anchor,
                tag,
            } => {
                if self.expecting_key() {
                    let plain = plain && tag.is_none();
                    let key = if plain { key_text(text) } else { text };
                    self.set_key(key, span, plain);
                    return Ok(());
                }
                let tag_suffix = match &tag {
                    Some(NodeTag::Core(suffix)) => Some(suffix.as_str()),
                    _ => None,
                };
                let (value, coerced) = scalar_value(text, plain, tag_suffix);
                if let Value::Float(f) = value
                    && !f.is_finite()
                {
                    self.issues.push(LoadIssue {
                            kind: LoadIssueKind::NonFinite,
                            message: "`.inf`/`.nan` cannot be sent to the API server: JSON has no such number".into(),
                            span,
                            hint: Some("quote it if a string is meant, or use a finite number".into()),
                            related: None,
                        });
                }
                let id = self.push(Node {
                    value,
                    span,
                    coerced,
                })?;
                if anchor != 0 {
                    self.anchors.insert(anchor, id);
                }
                {
                    self.attach(id);
                    Ok(())
                }
            }
            YEvent::SequenceStart { anchor } | YEvent::MappingStart { anchor } => {
                if self.expecting_key() {
                    return Err(LoadIssue {
                        kind: LoadIssueKind::Unsupported,
                        message: "a mapping key is itself a mapping or a list, which no Kubernetes manifest has".into(),
                        span,
                        hint: Some("if this is a template (`{{ value }}`), render it before validating".into()),
                        related: None,
                    });
                }
                if self.stack.len() >= self.limits.max_depth {
                    return Err(LoadIssue {
                        kind: LoadIssueKind::Limit,
                        message: format!("nesting deeper than {} levels", self.limits.max_depth),
                        span,
                        hint: Some("Kubernetes objects are never this deep; is the file generated wrongly?".into()),
                        related: None,
                    });
                }
                let is_seq = matches!(event, YEvent::SequenceStart { .. });
                let id = self.push(Node {
                    value: if is_seq {
                        Value::Seq(Vec::new())
                    } else {
                        Value::Map(Vec::new())
                    },
                    span,
                    coerced: false,
                })?;
                if anchor != 0 {
                    self.anchors.insert(anchor, id);
                }
                self.stack.push(if is_seq {
                    Frame::Seq {
                        id,
                        items: Vec::new(),
                    }
                } else {
                    Frame::Map {
                        id,
                        entries: Vec::new(),
                        key: None,
                        merges: Vec::new(),
                    }
                });
                Ok(())
            }
            YEvent::SequenceEnd | YEvent::MappingEnd => {
                let frame = self.stack.pop().expect("parser balances collections");
                let id = match frame {
                    Frame::Seq { id, items } => {
                        self.tree.node_mut(id).value = Value::Seq(items);
                        id
                    }
                    Frame::Map {
                        id,
                        mut entries,
                        merges,
                        ..
                    } => {
                        self.apply_merges(&mut entries, &merges);
                        self.tree.node_mut(id).value = Value::Map(entries);
                        id
                    }
                };
                let end = span.end;
                let node = self.tree.node_mut(id);
                node.span.end = node.span.end.max(end);
                {
                    self.attach(id);
                    Ok(())
                }
            }
            YEvent::Alias(anchor) => {
                let Some(&target) = self.anchors.get(&anchor) else {
                    return Err(LoadIssue {
                        kind: LoadIssueKind::Syntax,
                        message: "alias to an unknown anchor".into(),
                        span,
                        hint: None,
                        related: None,
                    });
                };
                if self.expecting_key() {
                    let key = match &self.tree.node(target).value {
                        Value::Str(s) => s.clone(),
                        _ => {
                            return Err(LoadIssue {
                                kind: LoadIssueKind::Unsupported,
                                message: "an alias used as a mapping key must name a string".into(),
                                span,
                                hint: None,
                                related: None,
                            });
                        }
                    };
                    self.set_key(key, span, false);
                    return Ok(());
                }
                let size = self.tree.subtree_size(target);
                if self.tree.len() + size > self.node_budget {
                    return Err(LoadIssue {
                        kind: LoadIssueKind::Limit,
                        message: format!(
                            "excessive aliasing: expanding aliases would create more than {} nodes",
                            self.node_budget
                        ),
                        span,
                        hint: Some("this looks like an alias bomb (\"billion laughs\")".into()),
                        related: None,
                    });
                }
                let copy = self.tree.clone_subtree(target);
                self.tree.node_mut(copy).span = span;
                self.attach(copy);
                Ok(())
            }
        }
    }

    fn push(&mut self, node: Node<'src>) -> Result<NodeId, LoadIssue> {
        if self.tree.len() >= self.node_budget {
            return Err(LoadIssue {
                kind: LoadIssueKind::Limit,
                message: format!("document has more than {} nodes", self.node_budget),
                span: node.span,
                hint: None,
                related: None,
            });
        }
        Ok(self.tree.push(node))
    }

    fn set_key(&mut self, key: Cow<'src, str>, span: Span, plain: bool) {
        if let Some(Frame::Map { key: slot, .. }) = self.stack.last_mut() {
            *slot = Some((key, span, plain));
        }
    }

    fn attach(&mut self, id: NodeId) {
        match self.stack.last_mut() {
            None => self.root = Some(id),
            Some(Frame::Seq { items, .. }) => items.push(id),
            Some(Frame::Map {
                entries,
                key,
                merges,
                ..
            }) => {
                let (key, key_span, plain) = key.take().expect("a value follows its key");
                if plain && key == "<<" {
                    merges.push(id);
                    return;
                }
                if let Some(first) = find_key(entries, &key) {
                    let first_line = first.key_span;
                    self.issues.push(LoadIssue {
                        kind: LoadIssueKind::DuplicateKey,
                        message: format!(
                            "duplicate key `{key}`: kubectl rejects mappings with repeated keys"
                        ),
                        span: key_span,
                        hint: Some("keep one of them".into()),
                        related: Some(first_line),
                    });
                    return;
                }
                entries.push(Entry {
                    key,
                    key_span,
                    value: id,
                });
            }
        }
    }

    /// `<<: *base` or `<<: [*a, *b]`: keys from the merged mappings that the mapping does not set
    /// itself; among merged mappings, the first one listed wins.
    fn apply_merges(&self, entries: &mut Vec<Entry<'src>>, merges: &[NodeId]) {
        for &merge in merges {
            let sources: Vec<NodeId> = match &self.tree.node(merge).value {
                Value::Seq(items) => items.clone(),
                _ => vec![merge],
            };
            for source in sources {
                if let Value::Map(merged) = &self.tree.node(source).value {
                    for e in merged {
                        if find_key(entries, &e.key).is_none() {
                            entries.push(e.clone());
                        }
                    }
                }
            }
        }
    }
}

fn find_key<'a, 'src>(entries: &'a [Entry<'src>], key: &str) -> Option<&'a Entry<'src>> {
    entries.iter().find(|e| e.key == key)
}

/// A plain key as `sigs.k8s.io/yaml` turns it into a JSON object key: `yes:` becomes `"true"`,
/// `0755:` becomes `"493"`.
fn key_text(text: Cow<'_, str>) -> Cow<'_, str> {
    match resolve_plain(&text) {
        Resolved::Bool(b) => Cow::Owned(b.to_string()),
        Resolved::Int(i) => Cow::Owned(i.to_string()),
        Resolved::UInt(u) => Cow::Owned(u.to_string()),
        Resolved::Null if text.is_empty() || text == "~" => Cow::Owned("null".into()),
        _ => text,
    }
}

fn scalar_value<'src>(text: Cow<'src, str>, plain: bool, tag: Option<&str>) -> (Value<'src>, bool) {
    let resolved = match (tag, plain) {
        (Some("str" | "binary" | "timestamp"), _) => Resolved::Str,
        (Some("null"), _) => Resolved::Null,
        (Some("bool" | "int" | "float"), _) | (_, true) => resolve_plain(&text),
        _ => Resolved::Str,
    };
    let coerced = !matches!(resolved, Resolved::Str | Resolved::Null);
    let value = match resolved {
        Resolved::Null => Value::Null,
        Resolved::Bool(b) => Value::Bool(b),
        Resolved::Int(i) => Value::Int(i),
        Resolved::UInt(u) => Value::UInt(u),
        Resolved::Float(f) => Value::Float(f),
        Resolved::Str => Value::Str(text),
    };
    (value, coerced)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Document<'_> {
        let mut docs = parse_documents(text, Limits::default());
        assert_eq!(docs.len(), 1, "{docs:?}");
        docs.remove(0)
    }

    fn json(text: &str) -> serde_json::Value {
        let doc = one(text);
        assert!(doc.issues.is_empty(), "{:?}", doc.issues);
        doc.tree.to_json(doc.root.unwrap())
    }

    #[test]
    fn reads_scalars_like_kubectl() {
        let v = json("a: yes\nb: '0755'\nc: 0755\nd: 1.0\ne: ~\nf: \"on\"\n");
        assert_eq!(
            v,
            serde_json::json!({"a": true, "b": "0755", "c": 493, "d": 1.0, "e": null, "f": "on"})
        );
    }

    #[test]
    fn plain_keys_become_json_keys() {
        // go-yaml v2 reads even a lone `y` as a boolean, in keys too.
        let v = json("80: http\ny: 2\n");
        assert_eq!(v, serde_json::json!({"true": 2, "80": "http"}));
    }

    #[test]
    fn merge_keys_and_aliases() {
        let v = json("base: &b {x: 1, w: 2}\nd:\n  <<: *b\n  w: 3\n");
        assert_eq!(v["d"], serde_json::json!({"x": 1, "w": 3}));
        let v = json("a: &a {x: 1}\nb: &b {x: 2, z: 2}\nc:\n  <<: [*a, *b]\n");
        assert_eq!(v["c"], serde_json::json!({"x": 1, "z": 2}));
    }

    #[test]
    fn duplicate_keys_are_reported_with_span() {
        let text = "a: 1\nb: 2\na: 3\n";
        let doc = one(text);
        assert_eq!(doc.issues.len(), 1);
        assert_eq!(doc.issues[0].kind, LoadIssueKind::DuplicateKey);
        assert_eq!(&text[doc.issues[0].span.start as usize..][..1], "a");
        assert_eq!(doc.issues[0].span.start, 10);
    }

    #[test]
    fn syntax_error_keeps_later_documents() {
        let docs = parse_documents("a: 1\n---\nb: [1, 2\n---\nc: 3\n", Limits::default());
        let roots: Vec<_> = docs
            .iter()
            .map(|d| d.root.map(|r| d.tree.to_json(r)))
            .collect();
        assert_eq!(roots.first(), Some(&Some(serde_json::json!({"a": 1}))));
        assert!(docs.iter().any(|d| d.failed));
        assert_eq!(roots.last(), Some(&Some(serde_json::json!({"c": 3}))));
    }

    #[test]
    fn alias_bomb_is_bounded() {
        use std::fmt::Write as _;
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let p = i - 1;
            writeln!(
                text,
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]"
            )
            .unwrap();
        }
        let doc = one(&text);
        assert!(doc.failed);
        assert_eq!(doc.issues[0].kind, LoadIssueKind::Limit);
        assert!(doc.issues[0].message.contains("excessive aliasing"));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = "- ".repeat(20_000) + "x\n";
        let doc = one(&text);
        assert!(doc.failed);
        let text = "[".repeat(20_000);
        let docs = parse_documents(&text, Limits::default());
        assert!(docs.iter().all(|d| d.failed));
    }

    #[test]
    fn spans_are_byte_offsets() {
        let text = "# é comment\nmetadata:\n  name: web\n";
        let doc = one(text);
        let root = doc.root.unwrap();
        let name = doc.tree.get_path(root, &["metadata", "name"]).unwrap();
        let span = doc.tree.node(name).span;
        assert_eq!(&text[span.start as usize..span.end as usize], "web");
    }

    #[test]
    fn empty_and_comment_only_documents_have_no_root() {
        let docs = parse_documents("# nothing\n---\n---\n", Limits::default());
        assert!(!docs.is_empty());
        assert!(
            docs.iter()
                .all(|d| !d.failed && d.root.is_none_or(|r| d.tree.to_json(r).is_null()))
        );
    }
}

#[cfg(test)]
mod split_tests {
    use super::*;

    fn roots(docs: &[Document<'_>]) -> Vec<(u32, Option<serde_json::Value>)> {
        docs.iter()
            .map(|d| (d.start, d.root.map(|r| d.tree.to_json(r))))
            .collect()
    }

    #[test]
    fn split_parsing_equals_whole_parsing() {
        use std::fmt::Write as _;
        let mut text = String::new();
        for i in 0..200 {
            write!(text, "---\nkind: ConfigMap\nmetadata: {{name: cm-{i}}}\ndata:\n  k: |\n    ---not a marker\n    v{i}\n").unwrap();
        }
        text.push_str("--- # trailing comment\nlast: 1\n");
        let whole = parse_documents(&text, Limits::default());
        let chunks = split_documents(&text, 500);
        assert!(chunks.len() > 10);
        let mut pieces = Vec::new();
        for (base, chunk) in chunks {
            for mut d in parse_documents(chunk, Limits::default()) {
                d.shift_spans(base as u32);
                pieces.push(d);
            }
        }
        let non_empty = |v: Vec<(u32, Option<serde_json::Value>)>| -> Vec<_> {
            v.into_iter().filter(|(_, r)| r.is_some()).collect()
        };
        assert_eq!(non_empty(roots(&whole)), non_empty(roots(&pieces)));
    }

    #[test]
    fn markers_must_be_followed_by_a_blank() {
        let text = "a: 1\n---x: 2\n--- \nb: 3\n";
        let chunks = split_documents(text, 1);
        assert_eq!(
            chunks.iter().map(|c| c.1).collect::<Vec<_>>(),
            ["a: 1\n---x: 2\n", "--- \nb: 3\n"]
        );
    }
}

#[cfg(test)]
mod robustness {
    use super::*;

    /// A tiny deterministic generator, so the test needs no extra crate and always explores the
    /// same inputs.
    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    const SEED_TEXT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: &m {name: web, labels: {app: web}}\nspec:\n  replicas: 3\n  template:\n    metadata: *m\n    spec:\n      containers:\n      - name: web\n        image: \"nginx:1\"\n        args: ['a', \"b\\n\", |\n          block\n        ]\n        <<: {x: 1}\n---\n- [1, {a: b}, ~, .inf, 0755]\n";

    #[test]
    fn mutated_documents_never_panic_and_spans_stay_in_bounds() {
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        let alphabet = b" \n\t:-[]{}&*!|>'\"#,?%@`<=~0aZ";
        for _ in 0..3_000 {
            let mut bytes = SEED_TEXT.as_bytes().to_vec();
            for _ in 0..=(rng.next() % 6) {
                let at = (rng.next() as usize) % bytes.len();
                match rng.next() % 3 {
                    0 => bytes[at] = alphabet[(rng.next() as usize) % alphabet.len()],
                    1 => bytes.insert(at, alphabet[(rng.next() as usize) % alphabet.len()]),
                    _ => {
                        bytes.remove(at);
                    }
                }
            }
            let Ok(text) = std::str::from_utf8(&bytes) else {
                continue;
            };
            for doc in parse_documents(text, Limits::default()) {
                for issue in &doc.issues {
                    assert!(issue.span.end as usize <= text.len(), "{text:?}");
                }
                if let Some(root) = doc.root {
                    let _ = doc.tree.to_json(root);
                }
            }
        }
    }
}
