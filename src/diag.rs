//! Diagnostics as data, and the one place that renders them for people.
//!
//! Library errors and lint findings both become [`Diagnostic`]s; machine formats (JSON, SARIF,
//! GitHub annotations) read the same values.

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

use crate::source::{Sources, Span};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Label {
    pub span: Span,
    pub message: String,
    pub primary: bool,
}

#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: Option<String>,
    pub message: String,
    pub labels: Vec<Label>,
    pub notes: Vec<String>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn new(severity: Severity, message: impl Into<String>) -> Self {
        Self {
            severity,
            code: None,
            message: message.into(),
            labels: Vec::new(),
            notes: Vec::new(),
            help: None,
        }
    }

    pub fn error(message: impl Into<String>) -> Self {
        Self::new(Severity::Error, message)
    }

    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    pub fn with_primary(mut self, span: Span, message: impl Into<String>) -> Self {
        self.labels.push(Label {
            span,
            message: message.into(),
            primary: true,
        });
        self
    }

    pub fn with_secondary(mut self, span: Span, message: impl Into<String>) -> Self {
        self.labels.push(Label {
            span,
            message: message.into(),
            primary: false,
        });
        self
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn primary_span(&self) -> Option<&Span> {
        self.labels
            .iter()
            .find(|label| label.primary)
            .map(|label| &label.span)
    }
}

/// annotate-snippets' terminal width: a source line wider than this with its gutter is cut to
/// fit, which the one-line renderer leaves to it.
const TERMINAL_WIDTH: usize = 140;

/// Renders diagnostics for a terminal (styled) or a log/snapshot (plain).
pub struct HumanRenderer<'a> {
    sources: &'a Sources,
    styled: bool,
}

impl<'a> HumanRenderer<'a> {
    pub fn new(sources: &'a Sources, styled: bool) -> Self {
        Self { sources, styled }
    }

    pub fn render(&self, diagnostic: &Diagnostic) -> String {
        if !self.styled
            && let Some(text) = self.render_one_line(diagnostic)
        {
            return text;
        }
        self.render_snippets(diagnostic)
    }

    /// The common shape — one label on part of one plain ASCII line — written directly, in
    /// exactly the layout annotate-snippets gives it (a test compares the two on many shapes):
    /// a lint of a thousand services prints thousands of these, and the general renderer
    /// spends most of the run on them. `None` for any other shape.
    fn render_one_line(&self, diagnostic: &Diagnostic) -> Option<String> {
        let [label] = diagnostic.labels.as_slice() else {
            return None;
        };
        let plain = |text: &str| !text.contains(['\n', '\r', '\t']);
        if !label.primary
            || !plain(&diagnostic.message)
            || !plain(&label.message)
            || !diagnostic.notes.iter().all(|note| plain(note))
            || !diagnostic.help.as_deref().is_none_or(plain)
        {
            return None;
        }
        let source = self.sources.get(label.span.file);
        let line = source.line_index(label.span.start());
        let lines = source.lines_range(line, line);
        let text = source.text[lines.clone()].trim_end_matches(['\n', '\r']);
        let (start, end) = (
            label.span.start() - lines.start,
            label.span.end().checked_sub(lines.start)?,
        );
        let printable = |text: &str| text.bytes().all(|b| (b' '..=b'~').contains(&b));
        if start >= end || end > text.len() || !printable(text) || text.ends_with(' ') {
            return None;
        }
        let number = (line + 1).to_string();
        // The gutter is the line number and ` | `.
        if number.len() + 3 + text.len() > TERMINAL_WIDTH {
            return None;
        }
        // Pieces pushed one by one: `write!` parses its format at run time, and thousands of
        // findings made it most of a report's time.
        let pad = " ".repeat(number.len());
        let mut out = String::with_capacity(256 + text.len());
        out.push_str(diagnostic.severity.as_str());
        if let Some(code) = &diagnostic.code {
            out.push('[');
            out.push_str(code);
            out.push(']');
        }
        for piece in [
            ": ",
            &diagnostic.message,
            "\n",
            &pad,
            "--> ",
            &source.display_path,
            ":",
            &number,
            ":",
            &(start + 1).to_string(),
            "\n",
            &pad,
            " |\n",
            &number,
            " | ",
            text,
            "\n",
            &pad,
            " | ",
        ] {
            out.push_str(piece);
        }
        out.extend(std::iter::repeat_n(' ', start));
        out.extend(std::iter::repeat_n('^', end - start));
        if !label.message.is_empty() {
            out.push(' ');
            out.push_str(&label.message);
        }
        if !diagnostic.notes.is_empty() || diagnostic.help.is_some() {
            out.push('\n');
            out.push_str(&pad);
            out.push_str(" |");
        }
        let notes = diagnostic.notes.iter().map(|note| ("note", note.as_str()));
        for (kind, text) in notes.chain(diagnostic.help.as_deref().map(|help| ("help", help))) {
            out.push('\n');
            out.push_str(&pad);
            out.push_str(" = ");
            out.push_str(kind);
            out.push_str(": ");
            out.push_str(text);
        }
        Some(out)
    }

    fn render_snippets(&self, diagnostic: &Diagnostic) -> String {
        let level = match diagnostic.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
            Severity::Info => Level::INFO,
        };
        let mut title = level.primary_title(diagnostic.message.as_str());
        if let Some(code) = &diagnostic.code {
            title = title.id(code.as_str());
        }
        let mut group = Group::with_title(title);
        // One snippet per file, so labels in two files (an override and its base) both show.
        let mut files: Vec<_> = diagnostic.labels.iter().map(|l| l.span.file).collect();
        files.dedup();
        for file in files {
            let source = self.sources.get(file);
            let labels: Vec<&Label> = diagnostic
                .labels
                .iter()
                .filter(|l| l.span.file == file)
                .collect();
            // Only the lines the labels touch go to the renderer: handing it the whole file for
            // each of thousands of findings would make output quadratic in the file's size.
            let first = labels
                .iter()
                .map(|l| source.line_index(l.span.start()))
                .min()
                .unwrap_or(0);
            let last = labels
                .iter()
                .map(|l| source.line_index(l.span.end()))
                .max()
                .unwrap_or(0);
            let window = source.lines_range(first, last);
            let mut snippet = Snippet::source(&source.text[window.clone()])
                .line_start(first + 1)
                .path(source.display_path.as_str());
            for label in labels {
                let kind = if label.primary {
                    AnnotationKind::Primary
                } else {
                    AnnotationKind::Context
                };
                let start = label.span.start().clamp(window.start, window.end) - window.start;
                let end = label.span.end().clamp(window.start, window.end) - window.start;
                snippet = snippet.annotation(kind.span(start..end).label(label.message.as_str()));
            }
            group = group.element(snippet);
        }
        for note in &diagnostic.notes {
            group = group.element(Level::NOTE.message(note.as_str()));
        }
        if let Some(help) = &diagnostic.help {
            group = group.element(Level::HELP.message(help.as_str()));
        }
        let renderer = if self.styled {
            Renderer::styled()
        } else {
            Renderer::plain()
        };
        renderer.render(&[group])
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    /// The one-line renderer writes exactly what annotate-snippets would, on every shape it
    /// takes; on the others it declines.
    #[test]
    fn one_line_diagnostics_render_as_annotate_snippets_does() {
        let mut sources = Sources::default();
        let mut text = String::new();
        let mut lines = Vec::new();
        for (i, width) in [0usize, 1, 7, 40, 99, 118, 119, 120, 121, 122, 123, 124, 200]
            .iter()
            .enumerate()
        {
            let start = text.len();
            let line = format!("{}key: {}", " ".repeat(i * 2), "v".repeat(*width));
            text.push_str(&line);
            text.push('\n');
            lines.push((start, line.len()));
        }
        // Far down the file: line numbers of several digits.
        for _ in 0..1200 {
            text.push_str("# filler\n");
        }
        let deep = text.len();
        text.push_str("    user: root\n");
        lines.push((deep, "    user: root".len()));
        text.push_str("  tab:\there\n");
        lines.push((text.len() - "  tab:\there\n".len(), "  tab:\there".len()));
        text.push_str("  trailing: x   \n");
        lines.push((
            text.len() - "  trailing: x   \n".len(),
            "  trailing: x   ".len(),
        ));
        text.push_str("  wide: é→x\n");
        lines.push((text.len() - "  wide: é→x\n".len(), "  wide: é→x".len()));
        let file = sources.add(Path::new("dir/compose.yml"), text);
        let renderer = HumanRenderer::new(&sources, false);
        let mut fast = 0;
        for (start, length) in lines {
            for (from, to) in [
                (0, length),
                (length / 2, length),
                (2, 5),
                (length, length + 1),
            ] {
                if from >= to || to > length + 1 {
                    continue;
                }
                for (label, notes, help) in [
                    ("the label", vec![], Some("do this")),
                    ("", vec!["a note", "another"], Some("do that")),
                    ("x", vec![], None),
                    ("a label → with ünïcode", vec!["note …"], Some("help `x`")),
                ] {
                    for severity in [Severity::Error, Severity::Warning, Severity::Info] {
                        let mut diagnostic = Diagnostic::new(severity, "service `a`: message")
                            .with_code("MCP001/non-root-user")
                            .with_primary(Span::new(file, start + from..start + to), label);
                        for note in &notes {
                            diagnostic = diagnostic.with_note(*note);
                        }
                        if let Some(help) = help {
                            diagnostic = diagnostic.with_help(help);
                        }
                        let general = renderer.render_snippets(&diagnostic);
                        if let Some(one_line) = renderer.render_one_line(&diagnostic) {
                            assert_eq!(one_line, general);
                            fast += 1;
                        }
                        let mut uncoded = diagnostic.clone();
                        uncoded.code = None;
                        if let Some(one_line) = renderer.render_one_line(&uncoded) {
                            assert_eq!(one_line, renderer.render_snippets(&uncoded));
                        }
                    }
                }
            }
        }
        assert!(fast > 100, "the one-line shape was taken {fast} times");
    }
}
