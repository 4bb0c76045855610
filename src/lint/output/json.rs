//! `--format json`: one document, versioned; its schema is `schema/lint-output.schema.json`.

use std::io::{self, Write};

use serde::Serialize;

use super::{Location, finding_location, location};
use crate::diag::Severity;
use crate::lint::Finding;
use crate::source::Sources;

/// Bumped on any incompatible change to the document's shape.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    tool: Tool,
    summary: Summary,
    findings: Findings<'a>,
}

/// The findings, each turned into its JSON shape as it is written: a large report never has
/// a second copy of them in memory.
struct Findings<'a> {
    sources: &'a Sources,
    findings: &'a [Finding],
}

impl Serialize for Findings<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let sources = self.sources;
        serializer.collect_seq(self.findings.iter().map(|f| JsonFinding {
            rule: f.rule.code,
            name: f.rule.name,
            severity: f.severity.as_str(),
            service: Some(f.service.as_str()).filter(|service| !service.is_empty()),
            message: &f.message,
            help: &f.help,
            note: f.note.as_deref(),
            location: finding_location(sources, f),
            suppressed: f.suppressed.as_ref().map(|(reason, span)| JsonSuppression {
                reason,
                location: span.as_ref().map(|s| location(sources, s)),
            }),
        }))
    }
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize, Default)]
struct Summary {
    errors: usize,
    warnings: usize,
    info: usize,
    suppressed: usize,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule: &'static str,
    name: &'static str,
    severity: &'static str,
    /// `null` for a finding about a file or the project rather than one service.
    service: Option<&'a str>,
    message: &'a str,
    help: &'a str,
    note: Option<&'a str>,
    location: Option<Location<'a>>,
    suppressed: Option<JsonSuppression<'a>>,
}

#[derive(Serialize)]
struct JsonSuppression<'a> {
    reason: &'a str,
    location: Option<Location<'a>>,
}

/// Writes the document to `out`, as it is made: a large report is never held whole.
pub fn write<W: Write>(sources: &Sources, findings: &[Finding], mut out: W) -> io::Result<()> {
    let mut summary = Summary::default();
    for finding in findings {
        if finding.suppressed.is_some() {
            summary.suppressed += 1;
            continue;
        }
        match finding.severity {
            Severity::Error => summary.errors += 1,
            Severity::Warning => summary.warnings += 1,
            Severity::Info => summary.info += 1,
        }
    }
    let document = Document {
        version: FORMAT_VERSION,
        tool: Tool {
            name: "mcpgen",
            version: env!("CARGO_PKG_VERSION"),
        },
        summary,
        findings: Findings { sources, findings },
    };
    super::write_pretty(&mut out, &document)?;
    out.write_all(b"\n")
}
