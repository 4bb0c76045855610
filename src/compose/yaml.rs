//! YAML text to the positioned [`Node`] tree, on saphyr's event parser.
//!
//! saphyr's own loader would copy aliases without limit and without their definition's
//! position, and knows nothing of `<<`; building the tree from events lets this module resolve
//! aliases and merge keys the way Compose (go-yaml) does, keep each node's span, and refuse
//! hostile input (deep nesting, alias bombs) with an error instead of a crash. Nothing here
//! recurses on the input: the nesting lives in an explicit stack.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Span as Marks, Tag as YamlTag};

use super::error::ComposeError;
use super::position::CharIndex;
use super::tree::{Entry, Map, Node, Style, Tag, Value};
use crate::source::{FileId, Span};

/// Deepest nesting of mappings and sequences accepted, aliases included.
pub(crate) const MAX_DEPTH: usize = 256;
/// Most nodes that alias expansion may produce in one file ("billion laughs" stop here).
pub(crate) const MAX_ALIAS_NODES: usize = 1_000_000;

/// One parsed file.
#[derive(Debug)]
pub(crate) struct Parsed {
    /// One root per document, in order; `None` for an empty document.
    pub(crate) documents: Vec<Option<Node>>,
    /// Byte ranges of quoted and block scalars, in order: a `#` in them is not a comment.
    pub(crate) literal_ranges: Vec<Range<usize>>,
}

pub(crate) fn parse(text: &str, file: FileId) -> Result<Parsed, ComposeError> {
    let mut builder = Builder {
        text,
        file,
        index: CharIndex::new(text),
        stack: Vec::new(),
        items: Vec::new(),
        entries: Vec::new(),
        anchors: HashMap::new(),
        alias_nodes: 0,
        root: None,
        documents: Vec::new(),
        literal_ranges: Vec::new(),
    };
    let mut parser = Parser::new_from_str(text);
    while let Some(event) = parser.next_event() {
        let (event, marks) = event.map_err(|error| builder.syntax(&error))?;
        if event == Event::StreamEnd {
            break;
        }
        builder.event(event, marks)?;
    }
    Ok(Parsed {
        documents: builder.documents,
        literal_ranges: builder.literal_ranges,
    })
}

struct Builder<'t> {
    text: &'t str,
    file: FileId,
    index: CharIndex<'t>,
    stack: Vec<Frame>,
    /// Children of the open sequences and mappings, innermost last: each collection is then
    /// allocated once, at its final size, when it closes.
    items: Vec<Node>,
    entries: Vec<Entry>,
    anchors: HashMap<usize, Anchored>,
    alias_nodes: usize,
    root: Option<Node>,
    documents: Vec<Option<Node>>,
    literal_ranges: Vec<Range<usize>>,
}

/// A finished node, its anchor (0 for none) and its shape, on its way to its parent.
struct Finished {
    node: Node,
    anchor: usize,
    /// Nodes in the subtree, counting alias copies: the cost of copying it again.
    size: usize,
    /// Levels in the subtree: a scalar is 1.
    height: usize,
}

struct Anchored {
    node: Node,
    size: usize,
    height: usize,
}

/// A mapping or sequence being built.
struct Frame {
    start: usize,
    /// Where the last child ends: the end of a block collection.
    end: usize,
    anchor: usize,
    tag: Tag,
    size: usize,
    height: usize,
    kind: FrameKind,
}

enum FrameKind {
    /// Its items are `Builder::items[first..]`.
    Seq { first: usize },
    /// Its entries are `Builder::entries[first..]`.
    Map {
        first: usize,
        /// The key waiting for its value.
        key: Option<(String, Span)>,
        /// Values of `<<`, in order, and where the first `<<` was (a second is a duplicate key).
        merges: Vec<Node>,
        merge_key: Option<Span>,
    },
}

impl Builder<'_> {
    fn span(&self, range: Range<usize>) -> Span {
        Span::new(self.file, range)
    }

    fn syntax(&mut self, error: &ScanError) -> ComposeError {
        let at = self.index.byte(error.marker().index());
        let end = self.text[at..]
            .chars()
            .next()
            .map_or(at, |c| at + c.len_utf8());
        ComposeError::Syntax {
            span: self.span(at..end),
            message: error.info().to_string(),
        }
    }

    fn event(&mut self, event: Event<'_>, marks: Marks) -> Result<(), ComposeError> {
        match event {
            Event::DocumentStart(_) => {
                // Anchors do not cross documents.
                self.anchors.clear();
                self.root = None;
            }
            Event::DocumentEnd => self.documents.push(self.root.take()),
            Event::Scalar(text, style, anchor, tag) => {
                let tag = tag_of(tag.as_deref());
                let range = self.scalar_range(&marks, style);
                let style = match style {
                    _ if tag == ReadTag::Str => Style::Quoted,
                    ScalarStyle::Plain => Style::Plain,
                    ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => Style::Quoted,
                    ScalarStyle::Literal | ScalarStyle::Folded => Style::Block,
                };
                if style != Style::Plain {
                    self.literal_ranges.push(range.clone());
                }
                let mut node = Node::scalar(text.into_owned(), style, self.span(range));
                node.tag = tag.into();
                self.finish(Finished {
                    node,
                    anchor,
                    size: 1,
                    height: 1,
                })?;
            }
            Event::SequenceStart(anchor, tag) => {
                let kind = FrameKind::Seq {
                    first: self.items.len(),
                };
                self.open(&marks, anchor, tag.as_deref(), kind)?;
            }
            Event::MappingStart(anchor, tag) => {
                let kind = FrameKind::Map {
                    first: self.entries.len(),
                    key: None,
                    merges: Vec::new(),
                    merge_key: None,
                };
                self.open(&marks, anchor, tag.as_deref(), kind)?;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let finished = self.close(&marks)?;
                self.finish(finished)?;
            }
            Event::Alias(id) => {
                let at = self.index.byte(marks.start.index())..self.index.byte(marks.end.index());
                let Some(anchored) = self.anchors.get(&id) else {
                    // The parser knows the anchor, but its node is still open: `&a [*a]`.
                    return Err(ComposeError::RecursiveAlias {
                        alias: self.text[at.clone()].to_string(),
                        span: self.span(at),
                    });
                };
                if self.stack.len() + anchored.height > MAX_DEPTH {
                    return Err(ComposeError::TooDeep {
                        span: self.span(at),
                        limit: MAX_DEPTH,
                    });
                }
                self.alias_nodes = self.alias_nodes.saturating_add(anchored.size);
                if self.alias_nodes > MAX_ALIAS_NODES {
                    return Err(ComposeError::AliasBomb {
                        span: self.span(at),
                        limit: MAX_ALIAS_NODES,
                    });
                }
                let finished = Finished {
                    node: anchored.node.clone(),
                    anchor: 0,
                    size: anchored.size,
                    height: anchored.height,
                };
                self.finish(finished)?;
            }
            Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
        }
        Ok(())
    }

    fn open(
        &mut self,
        marks: &Marks,
        anchor: usize,
        tag: Option<&YamlTag>,
        kind: FrameKind,
    ) -> Result<(), ComposeError> {
        let start = self.index.byte(marks.start.index());
        if self.stack.len() >= MAX_DEPTH {
            let end = self.index.byte(marks.end.index()).max(start);
            return Err(ComposeError::TooDeep {
                span: self.span(start..end),
                limit: MAX_DEPTH,
            });
        }
        self.stack.push(Frame {
            start,
            end: start,
            anchor,
            tag: tag_of(tag).into(),
            size: 1,
            height: 1,
            kind,
        });
        Ok(())
    }

    fn close(&mut self, marks: &Marks) -> Result<Finished, ComposeError> {
        let Some(frame) = self.stack.pop() else {
            return Err(ComposeError::Syntax {
                span: self.span(0..0),
                message: "unbalanced collection end".to_string(),
            });
        };
        // A flow collection ends at its `]` or `}`; a block one at its last child, since the
        // parser reports its end at the next token, past any comments.
        let end = if marks.end.index() > marks.start.index() {
            self.index.byte(marks.end.index())
        } else {
            frame.end
        };
        let span = self.span(frame.start..end.max(frame.start));
        let value = match frame.kind {
            FrameKind::Seq { first } => Value::Seq(self.items.split_off(first)),
            FrameKind::Map { first, merges, .. } => Value::Map(Map {
                entries: merge_keys(self.entries.split_off(first), merges)?,
                allows: Vec::new(),
            }),
        };
        Ok(Finished {
            node: Node {
                value,
                span,
                tag: frame.tag,
            },
            anchor: frame.anchor,
            size: frame.size,
            height: frame.height,
        })
    }

    /// Gives a finished node to its parent (or makes it the document's root).
    fn finish(&mut self, finished: Finished) -> Result<(), ComposeError> {
        if finished.anchor != 0 {
            self.anchors.insert(
                finished.anchor,
                Anchored {
                    node: finished.node.clone(),
                    size: finished.size,
                    height: finished.height,
                },
            );
        }
        let Some(frame) = self.stack.last_mut() else {
            self.root = Some(finished.node);
            return Ok(());
        };
        frame.size = frame.size.saturating_add(finished.size);
        frame.height = frame.height.max(finished.height + 1);
        frame.end = frame.end.max(finished.node.span.range.end);
        match &mut frame.kind {
            FrameKind::Seq { .. } => self.items.push(finished.node),
            FrameKind::Map {
                key,
                merges,
                merge_key,
                ..
            } => match key.take() {
                None => {
                    let node = finished.node;
                    let Value::Scalar(scalar) = node.value else {
                        return Err(ComposeError::invalid(
                            &node.span,
                            "mapping keys must be strings",
                        ));
                    };
                    let is_merge = scalar.text == "<<"
                        && scalar.style == Style::Plain
                        && node.tag == Tag::None;
                    if is_merge {
                        if let Some(first) = merge_key {
                            return Err(ComposeError::DuplicateKey {
                                span: node.span,
                                first: first.clone(),
                                key: "<<".to_string(),
                            });
                        }
                        *merge_key = Some(node.span.clone());
                    }
                    *key = Some((scalar.text, node.span));
                }
                Some((name, key_span)) => {
                    if name == "<<" && merge_key.as_ref() == Some(&key_span) {
                        merges.push(finished.node);
                    } else {
                        self.entries.push(Entry {
                            key: name,
                            key_span,
                            value: finished.node,
                        });
                    }
                }
            },
        }
        Ok(())
    }

    /// The bytes of a scalar: saphyr's end of a quoted scalar runs on over trailing blanks and
    /// comments, and a block scalar's over the next line's indentation.
    fn scalar_range(&mut self, marks: &Marks, style: ScalarStyle) -> Range<usize> {
        let start = self.index.byte(marks.start.index());
        let end = self.index.byte(marks.end.index()).max(start);
        match style {
            ScalarStyle::Plain => start..end,
            ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => {
                let quote = if style == ScalarStyle::SingleQuoted {
                    b'\''
                } else {
                    b'"'
                };
                quoted_range(self.text, start, quote).unwrap_or(start..end)
            }
            ScalarStyle::Literal | ScalarStyle::Folded => {
                let trimmed = self.text[start..end].trim_end().len();
                start..start + trimmed
            }
        }
    }
}

/// From the opening quote at or after `start` (past any tag or anchor) to the closing one.
fn quoted_range(text: &str, start: usize, quote: u8) -> Option<Range<usize>> {
    let bytes = text.as_bytes();
    let open = start + bytes.get(start..)?.iter().position(|&b| b == quote)?;
    let mut at = open + 1;
    while at < bytes.len() {
        match bytes[at] {
            b'\\' if quote == b'"' => at += 2,
            b'\'' if quote == b'\'' && bytes.get(at + 1) == Some(&b'\'') => at += 2,
            b if b == quote => return Some(open..at + 1),
            _ => at += 1,
        }
    }
    None
}

/// The tag as far as the tree cares. `!!str` only changes the style, so it is not kept.
#[derive(PartialEq)]
enum ReadTag {
    None,
    Reset,
    Override,
    Str,
    Other,
}

impl From<ReadTag> for Tag {
    fn from(tag: ReadTag) -> Self {
        match tag {
            ReadTag::None | ReadTag::Str => Tag::None,
            ReadTag::Reset => Tag::Reset,
            ReadTag::Override => Tag::Override,
            ReadTag::Other => Tag::Other,
        }
    }
}

fn tag_of(tag: Option<&YamlTag>) -> ReadTag {
    let Some(tag) = tag else {
        return ReadTag::None;
    };
    match (tag.handle.as_str(), tag.suffix.as_str()) {
        ("!", "reset") => ReadTag::Reset,
        ("!", "override") => ReadTag::Override,
        ("tag:yaml.org,2002:", "str") => ReadTag::Str,
        _ => ReadTag::Other,
    }
}

/// Applies `<<` (YAML merge keys, as go-yaml reads them): the mapping's own keys win over
/// merged ones, and among merged mappings the earlier one wins. Merged entries keep the spans
/// of the anchor's definition and go after the mapping's own.
fn merge_keys(mut entries: Vec<Entry>, merges: Vec<Node>) -> Result<Vec<Entry>, ComposeError> {
    check_duplicates(&entries)?;
    if merges.is_empty() {
        return Ok(entries);
    }
    let mut sources = Vec::new();
    for merge in merges {
        match merge.value {
            Value::Map(map) => sources.push(map),
            Value::Seq(items) => {
                for item in items {
                    match item.value {
                        Value::Map(map) => sources.push(map),
                        _ => return Err(not_mergeable(&item.span)),
                    }
                }
            }
            Value::Scalar(_) => return Err(not_mergeable(&merge.span)),
        }
    }
    let total = entries.len() + sources.iter().map(|s| s.entries.len()).sum::<usize>();
    // Typical merges (a service and an anchor of defaults) are small: scanning beats hashing.
    if total <= 16 {
        for entry in sources.into_iter().flat_map(|source| source.entries) {
            if !entries.iter().any(|e| e.key == entry.key) {
                entries.push(entry);
            }
        }
        return Ok(entries);
    }
    let mut seen: HashSet<String> = entries.iter().map(|entry| entry.key.clone()).collect();
    for entry in sources.into_iter().flat_map(|source| source.entries) {
        if seen.insert(entry.key.clone()) {
            entries.push(entry);
        }
    }
    Ok(entries)
}

fn not_mergeable(span: &Span) -> ComposeError {
    ComposeError::Invalid {
        span: span.clone(),
        message: "`<<` merges a mapping or a list of mappings".to_string(),
        help: Some("write `<<: *anchor` or `<<: [*one, *two]`".to_string()),
    }
}

/// YAML keys are unique; go-yaml (and so Compose) refuses a mapping that repeats one.
fn check_duplicates(entries: &[Entry]) -> Result<(), ComposeError> {
    let duplicate = |first: &Entry, again: &Entry| ComposeError::DuplicateKey {
        span: again.key_span.clone(),
        first: first.key_span.clone(),
        key: again.key.clone(),
    };
    // Most mappings are small: comparing pairs is cheaper than hashing.
    if entries.len() <= 8 {
        for (i, again) in entries.iter().enumerate() {
            if let Some(first) = entries[..i].iter().find(|e| e.key == again.key) {
                return Err(duplicate(first, again));
            }
        }
        return Ok(());
    }
    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(entries.len());
    for (i, again) in entries.iter().enumerate() {
        if let Some(&first) = seen.get(again.key.as_str()) {
            return Err(duplicate(&entries[first], again));
        }
        seen.insert(&again.key, i);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Sources;
    use std::path::Path;

    fn parse_one(text: &str) -> (Sources, Node) {
        let mut sources = Sources::default();
        let file = sources.add(Path::new("t.yml"), text.to_string());
        let mut parsed = parse(text, file).unwrap();
        let root = parsed.documents.remove(0).unwrap();
        (sources, root)
    }

    fn text<'a>(sources: &'a Sources, node: &Node) -> &'a str {
        &sources.get(node.span.file).text[node.span.range.clone()]
    }

    fn get<'a>(node: &'a Node, path: &[&str]) -> &'a Node {
        path.iter().fold(node, |node, key| {
            node.as_map()
                .and_then(|m| m.get(key))
                .unwrap_or_else(|| panic!("no {key}"))
        })
    }

    #[test]
    fn scalars_keep_style_and_exact_spans() {
        let (sources, root) = parse_one(
            "a: 0\nb: \"0\"   # comment \"x\"\nc: 'it''s'  # c\nd: |\n  line\n\ne: !!str 5\n",
        );
        let a = get(&root, &["a"]);
        assert_eq!(a.as_scalar().unwrap().style, Style::Plain);
        let b = get(&root, &["b"]);
        assert_eq!(b.as_scalar().unwrap().style, Style::Quoted);
        assert_eq!(text(&sources, b), "\"0\"");
        assert_eq!(text(&sources, get(&root, &["c"])), "'it''s'");
        assert_eq!(get(&root, &["c"]).as_str(), Some("it's"));
        assert_eq!(text(&sources, get(&root, &["d"])), "line");
        assert_eq!(get(&root, &["e"]).as_scalar().unwrap().style, Style::Quoted);
    }

    #[test]
    fn tags_reset_and_override() {
        let (sources, root) = parse_one("a: !reset\nb: !override [x]\nc: !custom 1\n");
        let a = get(&root, &["a"]);
        assert!(a.is_reset());
        assert_eq!(text(&sources, a), "!reset");
        assert_eq!(get(&root, &["b"]).tag, Tag::Override);
        assert_eq!(get(&root, &["c"]).tag, Tag::Other);
    }

    #[test]
    fn aliases_copy_the_anchor_with_its_span() {
        let (sources, root) = parse_one("x: &caps [ALL]\ns:\n  cap_drop: *caps\n");
        let caps = get(&root, &["s", "cap_drop"]);
        assert_eq!(caps.as_seq().unwrap()[0].as_str(), Some("ALL"));
        assert_eq!(sources.line_col(&caps.as_seq().unwrap()[0].span).line, 1);
    }

    #[test]
    fn merge_keys_own_keys_win_then_earlier_maps() {
        let (sources, root) = parse_one(
            "a: &a {user: '0', read_only: false, init: true}\n\
             b: &b {user: '1', cap_drop: [ALL], init: false}\n\
             s:\n  <<: [*a, *b]\n  read_only: true\n",
        );
        let s = get(&root, &["s"]);
        assert_eq!(get(s, &["user"]).as_str(), Some("0"));
        assert_eq!(get(s, &["read_only"]).as_str(), Some("true"));
        assert_eq!(get(s, &["init"]).as_str(), Some("true"));
        assert!(get(s, &["cap_drop"]).as_seq().is_some());
        // The merged `user` points into the anchor's definition, line 1.
        assert_eq!(sources.line_col(&get(s, &["user"]).span).line, 1);
        assert!(s.as_map().unwrap().get("<<").is_none());
    }

    #[test]
    fn single_merge_and_quoted_merge_key() {
        let (_, root) = parse_one("a: &a {x: 1}\ns:\n  <<: *a\n  y: 2\nt: {\"<<\": 3}\n");
        assert_eq!(get(&root, &["s", "x"]).as_str(), Some("1"));
        assert_eq!(get(&root, &["t", "<<"]).as_str(), Some("3"));
    }

    #[test]
    fn merging_a_scalar_is_an_error() {
        let mut sources = Sources::default();
        let file = sources.add(Path::new("t.yml"), String::new());
        let error = parse("a: &a 1\ns:\n  <<: *a\n", file).unwrap_err();
        assert!(matches!(error, ComposeError::Invalid { .. }), "{error}");
    }

    #[test]
    fn duplicate_keys_are_errors() {
        let mut sources = Sources::default();
        let file = sources.add(Path::new("t.yml"), String::new());
        let error = parse("a: 1\nb: 2\na: 3\n", file).unwrap_err();
        let ComposeError::DuplicateKey { span, first, key } = error else {
            panic!("{error}")
        };
        assert_eq!(
            (key.as_str(), first.range.start, span.range.start),
            ("a", 0, 10)
        );
        let big: String = (0..20).map(|i| format!("k{i}: 1\n")).collect();
        assert!(parse(&format!("{big}k3: 2\n"), file).is_err());
        assert!(parse("<<: {a: 1}\n<<: {b: 1}\n", file).is_err());
    }

    #[test]
    fn multi_document_and_empty_documents() {
        let mut sources = Sources::default();
        let file = sources.add(Path::new("t.yml"), String::new());
        let parsed = parse("a: 1\n---\n---\nb: &x 2\n", file).unwrap();
        assert_eq!(parsed.documents.len(), 3);
        assert!(parsed.documents[1].as_ref().is_some_and(Node::is_null));
        assert!(
            parse("a: &x 1\n---\nb: *x\n", file).is_err(),
            "anchors do not cross documents"
        );
        assert!(parse("", file).unwrap().documents.is_empty());
    }

    #[test]
    fn non_ascii_spans_are_bytes() {
        let text = "# é😀\nservices:\n  é😀: {user: root}\n";
        let (sources, root) = parse_one(text);
        let user = get(&root, &["services", "é😀", "user"]);
        assert_eq!(text_of(text, user), "root");
        assert_eq!(
            sources.line_col(&user.span),
            crate::source::LineCol {
                line: 3,
                column: 14
            }
        );
    }

    fn text_of<'a>(text: &'a str, node: &Node) -> &'a str {
        &text[node.span.range.clone()]
    }

    #[test]
    fn hostile_input_is_refused() {
        let mut sources = Sources::default();
        let file = sources.add(Path::new("t.yml"), String::new());
        let deep_block: String = (0..300)
            .map(|i| format!("{}- \n", "  ".repeat(i)))
            .collect();
        assert!(matches!(
            parse(&deep_block, file),
            Err(ComposeError::TooDeep { .. })
        ));
        let deep_flow = "[".repeat(100_000);
        assert!(parse(&deep_flow, file).is_err());
        let mut laughs = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for level in 1..9 {
            let previous = (b'a' + level - 1) as char;
            let name = (b'a' + level) as char;
            let items = vec![format!("*{previous}"); 10].join(", ");
            laughs.push_str(&format!("{name}: &{name} [{items}]\n"));
        }
        assert!(matches!(
            parse(&laughs, file),
            Err(ComposeError::AliasBomb { .. })
        ));
        assert!(matches!(
            parse("a: &a [*a]\n", file),
            Err(ComposeError::RecursiveAlias { .. })
        ));
        // Deep through aliases: each level doubles the height of the last one.
        let mut stacked = String::from("a0: &a0 [[[[[[[[[[[[[[[[x]]]]]]]]]]]]]]]]\n");
        for level in 1..40 {
            stacked.push_str(&format!(
                "a{level}: &a{level} [[[[[[[[*a{}]]]]]]]]\n",
                level - 1
            ));
        }
        assert!(matches!(
            parse(&stacked, file),
            Err(ComposeError::TooDeep { .. })
        ));
    }

    #[test]
    fn syntax_errors_point_at_the_text() {
        let mut sources = Sources::default();
        let text = "a: é\nb: [1\nc: 2\n";
        let file = sources.add(Path::new("t.yml"), text.to_string());
        let error = parse(text, file).unwrap_err();
        let ComposeError::Syntax { span, .. } = &error else {
            panic!("{error}")
        };
        assert!(span.range.end <= text.len());
        assert!(sources.line_col(span).line >= 2);
    }
}
