//! The positioned YAML tree the compose front end works on: aliases and `<<` merges already
//! resolved, every node with the byte span the user can edit to change it.

use crate::lint::view::AllowView;
use crate::source::Span;

#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub(crate) value: Value,
    /// Where the value is written. A node copied by an alias or a merge key keeps the span of
    /// the anchor's definition: that is the text to change.
    pub(crate) span: Span,
    pub(crate) tag: Tag,
}

/// The tags Compose gives a meaning to; the others are kept only as "some tag".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tag {
    None,
    /// `!reset`: remove the value set by earlier files (and by the base of an `extends`).
    Reset,
    /// `!override`: replace the value set by earlier files instead of merging with it.
    Override,
    Other,
}

#[derive(Debug, Clone)]
pub(crate) enum Value {
    Scalar(Scalar),
    Seq(Vec<Node>),
    Map(Map),
}

#[derive(Debug, Clone)]
pub(crate) struct Scalar {
    pub(crate) text: String,
    pub(crate) style: Style,
    /// Set by interpolation when the text depends on the environment (boxed: most have none).
    pub(crate) note: Option<Box<str>>,
}

/// How a scalar was written: `0` is an integer to YAML, `"0"` a string. Interpolated values
/// are strings, as in Compose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    Plain,
    Quoted,
    /// `|` or `>`.
    Block,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Map {
    pub(crate) entries: Vec<Entry>,
    /// Inline `# mcpgen: allow` comments that apply to this mapping (a service). They travel
    /// with it through `extends` and multi-file merges like an `x-mcpgen.allow` list. A boxed
    /// slice, not a `Vec`: nearly every mapping has none, and the eight bytes saved make a
    /// node of a large project's tree 64 bytes instead of 72.
    pub(crate) allows: Box<[AllowView]>,
}

#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) key: String,
    pub(crate) key_span: Span,
    pub(crate) value: Node,
}

impl Node {
    pub(crate) fn scalar(text: impl Into<String>, style: Style, span: Span) -> Self {
        Node {
            value: Value::Scalar(Scalar {
                text: text.into(),
                style,
                note: None,
            }),
            span,
            tag: Tag::None,
        }
    }

    /// `null`, `~` or nothing, written plain. A `!reset` node is not null: it removes.
    pub(crate) fn is_null(&self) -> bool {
        self.tag != Tag::Reset
            && matches!(&self.value, Value::Scalar(s) if s.style == Style::Plain
                && matches!(s.text.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }

    /// A `!reset` left in the merged tree: the key is absent, and the span says who removed it.
    pub(crate) fn is_reset(&self) -> bool {
        self.tag == Tag::Reset
    }

    pub(crate) fn as_scalar(&self) -> Option<&Scalar> {
        match &self.value {
            Value::Scalar(scalar) if !self.is_reset() => Some(scalar),
            _ => None,
        }
    }

    pub(crate) fn as_str(&self) -> Option<&str> {
        self.as_scalar().map(|s| s.text.as_str())
    }

    pub(crate) fn as_map(&self) -> Option<&Map> {
        match &self.value {
            Value::Map(map) if !self.is_reset() => Some(map),
            _ => None,
        }
    }

    pub(crate) fn as_map_mut(&mut self) -> Option<&mut Map> {
        match &mut self.value {
            Value::Map(map) if self.tag != Tag::Reset => Some(map),
            _ => None,
        }
    }

    pub(crate) fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(items) if !self.is_reset() => Some(items),
            _ => None,
        }
    }

    pub(crate) fn kind(&self) -> &'static str {
        match &self.value {
            Value::Scalar(_) if self.is_null() => "null",
            Value::Scalar(_) => "a scalar",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }

    /// A copy to use as the base of an `extends`: the base's own `!reset`s and `!override`s
    /// were about the files that defined it, not about the service that extends it.
    pub(crate) fn clone_as_base(&self) -> Node {
        let value = match &self.value {
            Value::Scalar(scalar) => Value::Scalar(scalar.clone()),
            Value::Seq(items) => Value::Seq(items.iter().map(Node::clone_as_base).collect()),
            Value::Map(map) => Value::Map(Map {
                entries: map
                    .entries
                    .iter()
                    .filter(|entry| !entry.value.is_reset())
                    .map(|entry| Entry {
                        key: entry.key.clone(),
                        key_span: entry.key_span,
                        value: entry.value.clone_as_base(),
                    })
                    .collect(),
                allows: map.allows.clone(),
            }),
        };
        Node {
            value,
            span: self.span,
            tag: match self.tag {
                Tag::Reset | Tag::Override => Tag::None,
                other => other,
            },
        }
    }

    /// Equal as values, wherever they are written (spans and notes ignored).
    pub(crate) fn same_value(&self, other: &Node) -> bool {
        match (&self.value, &other.value) {
            (Value::Scalar(a), Value::Scalar(b)) => a.text == b.text,
            (Value::Seq(a), Value::Seq(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(a, b)| a.same_value(b))
            }
            (Value::Map(a), Value::Map(b)) => {
                a.entries.len() == b.entries.len()
                    && a.entries.iter().all(|entry| {
                        b.get(&entry.key)
                            .is_some_and(|value| value.same_value(&entry.value))
                    })
            }
            _ => false,
        }
    }
}

impl Map {
    pub(crate) fn add_allows(&mut self, more: impl IntoIterator<Item = AllowView>) {
        let mut allows = std::mem::take(&mut self.allows).into_vec();
        allows.extend(more);
        self.allows = allows.into_boxed_slice();
    }

    pub(crate) fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|entry| &entry.value)
    }

    pub(crate) fn entry(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().find(|entry| entry.key == key)
    }

    pub(crate) fn get_mut(&mut self, key: &str) -> Option<&mut Node> {
        self.entries
            .iter_mut()
            .find(|entry| entry.key == key)
            .map(|entry| &mut entry.value)
    }

    pub(crate) fn remove(&mut self, key: &str) -> Option<Entry> {
        let index = self.entries.iter().position(|entry| entry.key == key)?;
        Some(self.entries.remove(index))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_node_is_64_bytes() {
        // A 10,000-service project's tree has a few hundred thousand nodes and entries.
        assert_eq!(std::mem::size_of::<Node>(), 64);
        assert_eq!(std::mem::size_of::<Entry>(), 104);
    }

    #[test]
    fn allows_added_to_a_map_keep_their_order() {
        let allow = |rule: &str| AllowView {
            rule: rule.to_string(),
            reason: String::new(),
            span: None,
        };
        let mut map = Map::default();
        map.add_allows([allow("MCP001")]);
        map.add_allows([allow("MCP002"), allow("MCP003")]);
        let rules: Vec<&str> = map.allows.iter().map(|a| a.rule.as_str()).collect();
        assert_eq!(rules, ["MCP001", "MCP002", "MCP003"]);
    }
}
