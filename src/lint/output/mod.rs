//! Machine formats of lint findings: JSON (stable, versioned), SARIF 2.1.0, GitHub workflow
//! annotations. The human format is [`crate::diag::HumanRenderer`]. All read the same findings.

pub mod github;
pub mod json;
pub mod sarif;
pub mod view;

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
    let start = sources.line_col(span);
    let end = sources.line_col(&Span::new(span.file, span.range.end..span.range.end));
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
