//! Machine formats of lint findings: JSON (stable, versioned), SARIF 2.1.0, GitHub workflow
//! annotations. The human format is [`crate::diag::HumanRenderer`]. All read the same findings.

pub mod buffer;
pub mod github;
pub mod json;
pub mod sarif;
pub mod view;

use std::io::{self, Write};

use serde::Serialize;

use super::Finding;
use crate::source::{Sources, Span};

/// A finding's place in a file, 1-based, the end exclusive like an editor's selection.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Location<'a> {
    /// Borrowed from the sources unless a `\\` had to become `/`.
    pub path: std::borrow::Cow<'a, str>,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

pub fn location<'a>(sources: &'a Sources, span: &Span) -> Location<'a> {
    let (start, end) = sources.line_col_range(span);
    Location {
        // Forward slashes on every OS: SARIF and GitHub want URIs / repo paths.
        path: forward_slashes(&sources.get(span.file).display_path),
        line: start.line,
        column: start.column,
        end_line: end.line,
        end_column: end.column,
    }
}

/// `\\` as `/`, copying only where there is one.
fn forward_slashes(path: &str) -> std::borrow::Cow<'_, str> {
    if path.contains('\\') {
        path.replace('\\', "/").into()
    } else {
        path.into()
    }
}

pub fn finding_location<'a>(sources: &'a Sources, finding: &Finding) -> Option<Location<'a>> {
    finding.span.as_ref().map(|span| location(sources, span))
}

/// `value` as serde_json's pretty printer writes it (what `serde_json::to_writer_pretty` does),
/// in fewer, larger writes.
pub(crate) fn write_pretty<W: Write, T: Serialize + ?Sized>(out: W, value: &T) -> io::Result<()> {
    write_pretty_at(out, value, 0)
}

/// `value` pretty-printed as it is `depth` levels into a document.
pub(crate) fn write_pretty_at<W: Write, T: Serialize + ?Sized>(
    out: W,
    value: &T,
    depth: usize,
) -> io::Result<()> {
    let formatter = Pretty {
        depth,
        has_value: false,
    };
    value.serialize(&mut serde_json::Serializer::with_formatter(out, formatter))?;
    Ok(())
}

/// The bytes of serde_json's `PrettyFormatter` (two spaces a level), in fewer writes: a line
/// break goes out with its comma and indentation as one slice, where the library's formatter
/// writes each level's spaces apart. A report of thousands of findings is mostly such small
/// writes, each a copy into the output buffer. (Writing a key's quotes with its line break and
/// `: ` measured slower: it takes serde_json's strings off their own path.)
#[derive(Default)]
struct Pretty {
    depth: usize,
    has_value: bool,
}

/// `,` and a line break, then enough indentation for the depths reports reach.
const BREAK: &[u8] = b",\n                                ";

impl Pretty {
    /// A line break and the indentation of the current depth, after a comma unless `first`.
    fn new_line<W: ?Sized + Write>(&self, out: &mut W, first: bool) -> io::Result<()> {
        let levels_in_break = (BREAK.len() - 2) / 2;
        out.write_all(&BREAK[usize::from(first)..2 + 2 * self.depth.min(levels_in_break)])?;
        for _ in levels_in_break..self.depth {
            out.write_all(b"  ")?;
        }
        Ok(())
    }

    fn open<W: ?Sized + Write>(&mut self, out: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        out.write_all(bracket)
    }

    fn close<W: ?Sized + Write>(&mut self, out: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            self.new_line(out, true)?;
        }
        out.write_all(bracket)
    }
}

impl serde_json::ser::Formatter for Pretty {
    fn begin_array<W: ?Sized + Write>(&mut self, out: &mut W) -> io::Result<()> {
        self.open(out, b"[")
    }

    fn end_array<W: ?Sized + Write>(&mut self, out: &mut W) -> io::Result<()> {
        self.close(out, b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(&mut self, out: &mut W, first: bool) -> io::Result<()> {
        self.new_line(out, first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + Write>(&mut self, out: &mut W) -> io::Result<()> {
        self.open(out, b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, out: &mut W) -> io::Result<()> {
        self.close(out, b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, out: &mut W, first: bool) -> io::Result<()> {
        self.new_line(out, first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, out: &mut W) -> io::Result<()> {
        out.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pretty_writes_what_serde_jsons_pretty_printer_writes() {
        let mut deep = serde_json::json!({"leaf": [1, "two", null, {}, []]});
        for level in 0..24 {
            deep = serde_json::json!({"level": level, "empty": {}, "none": [], "next": [deep, "a\"b\n"]});
        }
        for value in [
            serde_json::json!(null),
            serde_json::json!([]),
            serde_json::json!({}),
            serde_json::json!([[], {}, [[]], {"a": {}}]),
            serde_json::json!({"\u{e9}\"\\": "\u{1}", "": ""}),
            deep,
        ] {
            let mut ours = Vec::new();
            write_pretty(&mut ours, &value).expect("written");
            let theirs = serde_json::to_vec_pretty(&value).expect("serialized");
            assert_eq!(
                String::from_utf8_lossy(&ours),
                String::from_utf8_lossy(&theirs)
            );
        }
    }
}
