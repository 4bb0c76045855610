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
                .map(|l| source.line_index(l.span.range.start))
                .min()
                .unwrap_or(0);
            let last = labels
                .iter()
                .map(|l| source.line_index(l.span.range.end))
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
                let start = label.span.range.start.clamp(window.start, window.end) - window.start;
                let end = label.span.range.end.clamp(window.start, window.end) - window.start;
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
