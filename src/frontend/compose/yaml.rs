//! YAML text to the positioned [`Node`] tree, on libyaml's event parser (libyaml-safer, a
//! line-by-line safe Rust port of libyaml).
//!
//! Compose reads YAML with go-yaml, itself a port of libyaml; PyYAML (Compose v1) is libyaml's
//! sibling. Reading with libyaml's own scanner accepts what Compose accepts: a flow collection
//! closed at its key's indentation, flow content and quoted continuation lines at any
//! indentation, a tab after `:` (saphyr, a strict YAML 1.2 parser, refused these), and refuses
//! what Compose refuses (control characters, a `%YAML 1.3` document).
//!
//! Building the tree from events lets this module resolve aliases and merge keys the way
//! Compose (go-yaml) does, keep each node's span, and refuse hostile input (deep nesting, alias
//! bombs) with an error instead of a crash. Nothing here recurses on the input: the nesting
//! lives in an explicit stack.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use libyaml_safer::{Event, EventData, Mark, Parser, ScalarStyle};

use super::error::ComposeError;
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
        bom: if text.starts_with('\u{FEFF}') {
            '\u{FEFF}'.len_utf8()
        } else {
            0
        },
        stack: Vec::new(),
        items: Vec::new(),
        entries: Vec::new(),
        anchors: HashMap::new(),
        alias_nodes: 0,
        root: None,
        documents: Vec::new(),
        literal_ranges: Vec::new(),
    };
    // libyaml-safer 0.3.0 panics on a block scalar that ends the input without a line break
    // (its reader expects the NUL that C libyaml's buffer ends with). A line break added at the
    // end moves no offset in the text; the scalar it reaches gets its value back as written.
    let terminated;
    let input = if text.ends_with('\n') {
        text.as_bytes()
    } else {
        terminated = format!("{text}\n");
        terminated.as_bytes()
    };
    let mut parser = Parser::new();
    parser.set_input(Chunks { rest: input });
    loop {
        let event = parser.parse().map_err(|error| builder.syntax(&error))?;
        if event.data == EventData::StreamEnd {
            break;
        }
        builder.event(event)?;
    }
    Ok(Parsed {
        documents: builder.documents,
        literal_ranges: builder.literal_ranges,
    })
}

struct Builder<'t> {
    text: &'t str,
    file: FileId,
    /// libyaml skips a byte order mark at the start without counting its bytes.
    bom: usize,
    stack: Vec<Frame>,
    /// Children of the open sequences and mappings, innermost last: each collection is then
    /// allocated once, at its final size, when it closes.
    items: Vec<Node>,
    entries: Vec<Entry>,
    anchors: HashMap<String, Anchored>,
    alias_nodes: usize,
    root: Option<Node>,
    documents: Vec<Option<Node>>,
    literal_ranges: Vec<Range<usize>>,
}

/// A finished node, its anchor and its shape, on its way to its parent.
struct Finished {
    node: Node,
    anchor: Option<String>,
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
    anchor: Option<String>,
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

    /// A byte offset in the text from a mark (libyaml counts bytes).
    fn offset(&self, mark: Mark) -> usize {
        usize::try_from(mark.index).map_or(self.text.len(), |at| {
            at.saturating_add(self.bom).min(self.text.len())
        })
    }

    /// Whether a mark is past the text, in the line break [`parse`] added to it.
    fn reaches_added_break(&self, mark: Mark) -> bool {
        usize::try_from(mark.index).map_or(true, |at| at.saturating_add(self.bom) > self.text.len())
    }

    fn syntax(&self, error: &libyaml_safer::Error) -> ComposeError {
        // The reader's errors (a control character) carry no mark: find the character.
        let at = error
            .problem_mark()
            .map(|mark| self.offset(mark))
            .or_else(|| first_unreadable(self.text))
            .unwrap_or_default();
        let end = self.text[at..]
            .chars()
            .next()
            .map_or(at, |c| at + c.len_utf8());
        let message = match error.context() {
            Some(context) => format!("{} {context}", error.problem()),
            None => error.problem().to_string(),
        };
        ComposeError::Syntax {
            span: self.span(at..end),
            message,
        }
    }

    fn event(&mut self, event: Event) -> Result<(), ComposeError> {
        let start = self.offset(event.start_mark);
        let end = self.offset(event.end_mark).max(start);
        match event.data {
            EventData::DocumentStart { .. } => {
                // Anchors do not cross documents.
                self.anchors.clear();
                self.root = None;
            }
            EventData::DocumentEnd { .. } => self.documents.push(self.root.take()),
            EventData::Scalar {
                mut value,
                style,
                anchor,
                tag,
                ..
            } => {
                let block = matches!(style, ScalarStyle::Literal | ScalarStyle::Folded);
                if block && self.reaches_added_break(event.end_mark) && value.ends_with('\n') {
                    value.pop();
                }
                let tag = tag_of(tag.as_deref());
                let range = self.scalar_range(start..end, style);
                let style = match style {
                    _ if tag == ReadTag::Str => Style::Quoted,
                    ScalarStyle::Literal | ScalarStyle::Folded => Style::Block,
                    ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => Style::Quoted,
                    _ => Style::Plain,
                };
                if style != Style::Plain {
                    self.literal_ranges.push(range.clone());
                }
                let mut node = Node::scalar(value, style, self.span(range));
                node.tag = tag.into();
                self.finish(Finished {
                    node,
                    anchor,
                    size: 1,
                    height: 1,
                })?;
            }
            EventData::SequenceStart { anchor, tag, .. } => {
                let kind = FrameKind::Seq {
                    first: self.items.len(),
                };
                self.open(start..end, anchor, tag.as_deref(), kind)?;
            }
            EventData::MappingStart { anchor, tag, .. } => {
                let kind = FrameKind::Map {
                    first: self.entries.len(),
                    key: None,
                    merges: Vec::new(),
                    merge_key: None,
                };
                self.open(start..end, anchor, tag.as_deref(), kind)?;
            }
            EventData::SequenceEnd | EventData::MappingEnd => {
                let finished = self.close(start..end)?;
                self.finish(finished)?;
            }
            EventData::Alias { anchor } => {
                let at = start..end;
                let Some(anchored) = self.anchors.get(&anchor) else {
                    // An anchor still open is one the alias is inside of: `&a [*a]`.
                    let open = self
                        .stack
                        .iter()
                        .any(|frame| frame.anchor.as_deref() == Some(anchor.as_str()));
                    return Err(if open {
                        ComposeError::RecursiveAlias {
                            alias: self.text[at.clone()].to_string(),
                            span: self.span(at),
                        }
                    } else {
                        ComposeError::invalid(
                            &self.span(at),
                            format!(
                                "unknown anchor `{anchor}`: no `&{anchor}` before this alias in the document"
                            ),
                        )
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
                    anchor: None,
                    size: anchored.size,
                    height: anchored.height,
                };
                self.finish(finished)?;
            }
            EventData::StreamStart { .. } | EventData::StreamEnd => {}
        }
        Ok(())
    }

    fn open(
        &mut self,
        marks: Range<usize>,
        anchor: Option<String>,
        tag: Option<&str>,
        kind: FrameKind,
    ) -> Result<(), ComposeError> {
        let start = skip_anchor(self.text, marks.start, self.text.len());
        if self.stack.len() >= MAX_DEPTH {
            return Err(ComposeError::TooDeep {
                span: self.span(start..marks.end.max(start)),
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

    fn close(&mut self, marks: Range<usize>) -> Result<Finished, ComposeError> {
        let Some(frame) = self.stack.pop() else {
            return Err(ComposeError::Syntax {
                span: self.span(0..0),
                message: "unbalanced collection end".to_string(),
            });
        };
        // A flow collection ends at its `]` or `}`; a block one at its last child, since the
        // parser reports its end at the next token, past any comments.
        let end = if marks.end > marks.start {
            marks.end
        } else {
            frame.end
        };
        let span = self.span(frame.start..end.max(frame.start));
        let value = match frame.kind {
            FrameKind::Seq { first } => Value::Seq(self.items.split_off(first)),
            FrameKind::Map { first, merges, .. } => Value::Map(Map {
                entries: merge_keys(self.entries.split_off(first), merges)?,
                allows: Box::default(),
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
        if let Some(anchor) = finished.anchor {
            self.anchors.insert(
                anchor,
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
        frame.end = frame.end.max(finished.node.span.end());
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
                                first: *first,
                                key: "<<".to_string(),
                            });
                        }
                        *merge_key = Some(node.span);
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

    /// The bytes of a scalar, from its tag (a `!reset` is what removes) or its first
    /// character, without its anchor. A block scalar is its content: the comment after `|` is
    /// a comment, and libyaml's end runs on over the blank lines after it.
    fn scalar_range(&self, marks: Range<usize>, style: ScalarStyle) -> Range<usize> {
        let start = skip_anchor(self.text, marks.start, marks.end);
        match style {
            ScalarStyle::Literal | ScalarStyle::Folded => {
                let body = &self.text[start..marks.end];
                let content = body.find('\n').map_or(body.len(), |line| line + 1);
                let text = body[content..].trim();
                let start =
                    start + content + (body[content..].len() - body[content..].trim_start().len());
                start..start + text.len()
            }
            _ => start..marks.end,
        }
    }
}

/// Past the anchor (`&name`) at `start` and the blanks after it: the value is what a fix
/// replaces, and the anchor must stay.
fn skip_anchor(text: &str, start: usize, end: usize) -> usize {
    let bytes = text.as_bytes();
    if bytes.get(start) != Some(&b'&') {
        return start;
    }
    let mut at = start;
    while at < end && !bytes[at].is_ascii_whitespace() {
        at += 1;
    }
    while at < end && bytes[at].is_ascii_whitespace() {
        at += 1;
    }
    at
}

/// The first character libyaml's reader refuses (YAML's printable set), for its error that
/// has no position.
fn first_unreadable(text: &str) -> Option<usize> {
    text.char_indices()
        .find(|&(_, c)| {
            !matches!(c, '\t' | '\n' | '\r' | ' '..='~' | '\u{85}' | '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
        })
        .map(|(at, _)| at)
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

fn tag_of(tag: Option<&str>) -> ReadTag {
    match tag {
        None => ReadTag::None,
        Some("!reset") => ReadTag::Reset,
        Some("!override") => ReadTag::Override,
        Some("tag:yaml.org,2002:str") => ReadTag::Str,
        Some(_) => ReadTag::Other,
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
        span: *span,
        message: "`<<` merges a mapping or a list of mappings".to_string(),
        help: Some("write `<<: *anchor` or `<<: [*one, *two]`".to_string()),
    }
}

/// YAML keys are unique; go-yaml (and so Compose) refuses a mapping that repeats one.
fn check_duplicates(entries: &[Entry]) -> Result<(), ComposeError> {
    let duplicate = |first: &Entry, again: &Entry| ComposeError::DuplicateKey {
        span: again.key_span,
        first: first.key_span,
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

/// The input handed to the parser a slice at a time. libyaml-safer decodes whatever its
/// reader offers into a queue of `char`s, four bytes each: given the whole text it decodes
/// it all at once, and a large file costs four times its size in fresh memory before the
/// first event. A slice at a time, the queue stays small.
struct Chunks<'a> {
    rest: &'a [u8],
}

/// What the parser is offered at a time; a character split at the end comes back whole with
/// the next slice.
const CHUNK: usize = 16 * 1024;

impl std::io::Read for Chunks<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.rest.len()).min(CHUNK);
        buf[..n].copy_from_slice(&self.rest[..n]);
        self.rest = &self.rest[n..];
        Ok(n)
    }
}

impl std::io::BufRead for Chunks<'_> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        Ok(&self.rest[..self.rest.len().min(CHUNK)])
    }

    fn consume(&mut self, amount: usize) {
        self.rest = &self.rest[amount.min(self.rest.len())..];
    }
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
        &sources.get(node.span.file).text[node.span.range()]
    }

    fn get<'a>(node: &'a Node, path: &[&str]) -> &'a Node {
        path.iter().fold(node, |node, key| {
            node.as_map()
                .and_then(|m| m.get(key))
                .unwrap_or_else(|| panic!("no {key}"))
        })
    }

    /// The parser reads the text a slice at a time: characters that straddle a slice's end,
    /// and everything after, keep their values and spans.
    #[test]
    fn input_is_read_in_slices_without_losing_a_character() {
        for shift in 0..4 {
            // `a: "` is 4 bytes: the 3- and 4-byte characters straddle the first slice's end.
            let filler = "x".repeat(CHUNK - 4 - shift);
            let value = format!("{filler}é→𝄞");
            let (sources, root) = parse_one(&format!("a: \"{value}\"\nb: ü\n"));
            assert_eq!(get(&root, &["a"]).as_str(), Some(value.as_str()), "{shift}");
            assert_eq!(get(&root, &["b"]).as_str(), Some("ü"));
            assert_eq!(text(&sources, get(&root, &["b"])), "ü");
        }
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
        assert_eq!((key.as_str(), first.start(), span.start()), ("a", 0, 10));
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
        &text[node.span.range()]
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
    fn what_compose_accepts_is_read_with_exact_spans() {
        // A flow sequence closed at its key's indentation, a flow mapping whose content is
        // less indented than its key: go-yaml (and so Compose) reads both.
        let text = "s:\n  command: [\n    \"a\",\n    \"b\"\n  ]\n  env: {\nA: b\n}\n";
        let (sources, root) = parse_one(text);
        let command = get(&root, &["s", "command"]);
        assert_eq!(text_of(text, command), "[\n    \"a\",\n    \"b\"\n  ]");
        assert_eq!(command.as_seq().unwrap()[1].as_str(), Some("b"));
        assert_eq!(get(&root, &["s", "env", "A"]).as_str(), Some("b"));
        assert_eq!(sources.line_col(&get(&root, &["s", "env"]).span).line, 6);
        // Quoted continuation lines at any indentation, a tab after `:`.
        let text = "s:\n  c: \"sh -c\n 'x'\"\n  d:\tv\n";
        let (_, root) = parse_one(text);
        assert_eq!(get(&root, &["s", "c"]).as_str(), Some("sh -c 'x'"));
        assert_eq!(text_of(text, get(&root, &["s", "d"])), "v");
        // CRLF line ends and a byte order mark: spans are bytes of the file as it is.
        let text = "\u{FEFF}a:\r\n  b: \"x\" # c\r\n  c: |\r\n    l\r\n";
        let (sources, root) = parse_one(text);
        assert_eq!(text_of(text, get(&root, &["a", "b"])), "\"x\"");
        assert_eq!(text_of(text, get(&root, &["a", "c"])), "l");
        assert_eq!(sources.line_col(&get(&root, &["a", "b"]).span).line, 2);
        // An anchor is not part of the value a fix would replace.
        let text = "a: &ro false\nb: *ro\n";
        let (_, root) = parse_one(text);
        assert_eq!(text_of(text, get(&root, &["b"])), "false");
    }

    #[test]
    fn a_block_scalar_at_the_end_without_a_line_break() {
        for (text, value) in [
            ("a: |\n  foo", "foo"),
            ("a: |+\n  foo", "foo"),
            ("a: >-\n  foo  ", "foo  "),
            ("a: |\n  foo\n", "foo\n"),
            ("\u{FEFF}a: |\n  foo", "foo"),
        ] {
            let (_, root) = parse_one(text);
            assert_eq!(get(&root, &["a"]).as_str(), Some(value), "{text:?}");
            assert_eq!(text_of(text, get(&root, &["a"])), "foo", "{text:?}");
        }
    }

    #[test]
    fn what_compose_refuses_is_refused_where_it_is() {
        let mut sources = Sources::default();
        let file = sources.add(Path::new("t.yml"), String::new());
        let span_of = |text: &str| match parse(text, file) {
            Err(ComposeError::Syntax { span, .. }) => span.range(),
            other => panic!("{other:?}"),
        };
        // Control characters: the reader's error, which has no mark of its own.
        assert_eq!(span_of("a: \"x\u{1}y\"\n"), 5..6);
        assert!(matches!(
            parse("%YAML 1.3\n---\na: 1\n", file),
            Err(ComposeError::Syntax { .. })
        ));
        let error = parse("a: *nope\n", file).unwrap_err();
        assert!(
            error.to_string().contains("unknown anchor `nope`"),
            "{error}"
        );
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
        assert!(span.end() <= text.len());
        assert!(sources.line_col(span).line >= 2);
    }
}
