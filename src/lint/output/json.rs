//! `--format json`: one document, versioned; its schema is `schema/lint-output.schema.json`.

use std::io::{self, Write};

use serde::Serialize;

use super::Location;
use crate::diag::Severity;
use crate::lint::Finding;
use crate::source::{Sources, Span};

/// Bumped on any incompatible change to the document's shape.
pub const FORMAT_VERSION: u32 = 1;

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

/// The shape of a finding. `write_finding` writes it field by field; serde's derive of it is
/// the reference the tests hold those bytes to.
#[cfg_attr(test, derive(Serialize))]
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

#[cfg_attr(test, derive(Serialize))]
struct JsonSuppression<'a> {
    reason: &'a str,
    location: Option<Location<'a>>,
}

/// A finding in its JSON shape, at `location`.
fn json_finding<'a>(
    sources: &'a Sources,
    f: &'a Finding,
    location: Option<Location<'a>>,
) -> JsonFinding<'a> {
    JsonFinding {
        rule: f.rule.code,
        name: f.rule.name,
        severity: f.severity.as_str(),
        service: Some(&*f.service).filter(|service| !service.is_empty()),
        message: &f.message,
        help: &f.help,
        note: f.note(),
        location,
        suppressed: f.suppression().map(|(reason, span)| JsonSuppression {
            reason,
            location: span.as_ref().map(|s| super::location(sources, s)),
        }),
    }
}

/// Writes the document to `out`, as it is made: a large report is never held whole.
///
/// The bytes are serde_json's pretty print of `{version, tool, summary, findings}` (a test
/// holds them to it). The findings, most of a report, are written field by field in their
/// fixed shape, every value through serde_json: its writer would also escape each key and
/// write each separator apart, a third of the time of a report of thousands.
pub fn write<W: Write>(sources: &Sources, findings: &[Finding], mut out: W) -> io::Result<()> {
    let mut summary = Summary::default();
    for finding in findings {
        if finding.is_suppressed() {
            summary.suppressed += 1;
            continue;
        }
        match finding.severity {
            Severity::Error => summary.errors += 1,
            Severity::Warning => summary.warnings += 1,
            Severity::Info => summary.info += 1,
        }
    }
    let tool = Tool {
        name: "mcpgen",
        version: env!("CARGO_PKG_VERSION"),
    };
    write!(out, "{{\n  \"version\": {FORMAT_VERSION},\n  \"tool\": ")?;
    super::write_pretty_at(&mut out, &tool, 1)?;
    out.write_all(b",\n  \"summary\": ")?;
    super::write_pretty_at(&mut out, &summary, 1)?;
    out.write_all(b",\n  \"findings\": [")?;
    // Findings in reading order come in runs at one span (a service's missing settings all
    // point at its key): each run's location is worked out once.
    let mut previous: Option<(&Span, Location<'_>)> = None;
    for (index, finding) in findings.iter().enumerate() {
        out.write_all(if index == 0 { b"\n    " } else { b",\n    " })?;
        let location = finding.span.as_ref().map(|span| match &previous {
            Some((at, location)) if *at == span => location.clone(),
            _ => {
                let location = super::location(sources, span);
                previous = Some((span, location.clone()));
                location
            }
        });
        write_finding(&mut out, &json_finding(sources, finding, location))?;
    }
    out.write_all(if findings.is_empty() {
        b"]\n}\n"
    } else {
        b"\n  ]\n}\n"
    })
}

/// One finding, an item of the top-level `findings` (its fields four levels deep).
fn write_finding(out: &mut impl Write, finding: &JsonFinding<'_>) -> io::Result<()> {
    // Each key goes out with the separator and indentation before it.
    for (key, text) in [
        (&b"{\n      \"rule\": "[..], Some(finding.rule)),
        (b",\n      \"name\": ", Some(finding.name)),
        (b",\n      \"severity\": ", Some(finding.severity)),
        (b",\n      \"service\": ", finding.service),
        (b",\n      \"message\": ", Some(finding.message)),
        (b",\n      \"help\": ", Some(finding.help)),
        (b",\n      \"note\": ", finding.note),
    ] {
        out.write_all(key)?;
        value(out, &text)?;
    }
    out.write_all(b",\n      \"location\": ")?;
    write_location(out, finding.location.as_ref(), b"\n        ")?;
    out.write_all(b",\n      \"suppressed\": ")?;
    match &finding.suppressed {
        None => out.write_all(b"null")?,
        Some(suppressed) => {
            out.write_all(b"{\n        \"reason\": ")?;
            value(out, suppressed.reason)?;
            out.write_all(b",\n        \"location\": ")?;
            write_location(out, suppressed.location.as_ref(), b"\n          ")?;
            out.write_all(b"\n      }")?;
        }
    }
    out.write_all(b"\n    }")
}

/// A location object whose fields start with `indent` (a line break and their indentation).
fn write_location(
    out: &mut impl Write,
    location: Option<&Location<'_>>,
    indent: &[u8],
) -> io::Result<()> {
    let Some(location) = location else {
        return out.write_all(b"null");
    };
    out.write_all(b"{")?;
    out.write_all(indent)?;
    out.write_all(b"\"path\": ")?;
    value(out, &*location.path)?;
    for (key, number) in [
        (&b"\"line\": "[..], location.line),
        (b"\"column\": ", location.column),
        (b"\"end_line\": ", location.end_line),
        (b"\"end_column\": ", location.end_column),
    ] {
        out.write_all(b",")?;
        out.write_all(indent)?;
        out.write_all(key)?;
        value(out, &number)?;
    }
    // The closing brace one level out: the indentation less two spaces.
    out.write_all(&indent[..indent.len() - 2])?;
    out.write_all(b"}")
}

/// A scalar value (a string, escaped, or `null`) as serde_json writes it.
fn value(out: &mut impl Write, value: &(impl Serialize + ?Sized)) -> io::Result<()> {
    serde_json::to_writer(out, value).map_err(io::Error::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::RULES;
    use proptest::prelude::*;

    /// The document as serde_json's own pretty printer writes it from the derived shapes.
    #[derive(Serialize)]
    struct Reference<'a> {
        version: u32,
        tool: Tool,
        summary: Summary,
        findings: Vec<JsonFinding<'a>>,
    }

    fn reference(sources: &Sources, findings: &[Finding]) -> String {
        let active = |severity| {
            findings
                .iter()
                .filter(|f| !f.is_suppressed() && f.severity == severity)
                .count()
        };
        let document = Reference {
            version: FORMAT_VERSION,
            tool: Tool {
                name: "mcpgen",
                version: env!("CARGO_PKG_VERSION"),
            },
            summary: Summary {
                errors: active(Severity::Error),
                warnings: active(Severity::Warning),
                info: active(Severity::Info),
                suppressed: findings.iter().filter(|f| f.is_suppressed()).count(),
            },
            findings: findings
                .iter()
                .map(|f| {
                    let location = f
                        .span
                        .as_ref()
                        .map(|span| super::super::location(sources, span));
                    json_finding(sources, f, location)
                })
                .collect(),
        };
        serde_json::to_string_pretty(&document).expect("serialized") + "\n"
    }

    fn written(sources: &Sources, findings: &[Finding]) -> String {
        let mut out = Vec::new();
        write(sources, findings, &mut out).expect("written");
        String::from_utf8(out).expect("utf-8")
    }

    /// Findings of every shape: with and without a service, a note, a span, a suppression with
    /// and without its own span; texts from `texts`, in turn.
    fn findings(sources: &mut Sources, path: &str, texts: &[String]) -> Vec<Finding> {
        let text = "services:\n  app:\n    image: \"x\u{e9}\"\n".repeat(20);
        let file = sources.add(std::path::Path::new(path), text);
        let text_at = |i: usize| texts[i % texts.len()].clone();
        (0..texts.len().max(12))
            .map(|i| {
                let start = (i * 7) % 600;
                let mut finding = Finding::raised(
                    RULES[i % RULES.len()],
                    if i % 5 == 0 { "" } else { "app" },
                    text_at(i),
                    Span::new(file, start..start + 12 + i % 40),
                    text_at(i + 1),
                );
                if i % 3 == 0 {
                    finding = finding.with_note(text_at(i + 2));
                }
                if i % 4 == 1 {
                    // The same span as the one before: written from the remembered location.
                    finding.span = Some(Span::new(
                        file,
                        7 * (i - 1) % 600..7 * (i - 1) % 600 + 12 + (i - 1) % 40,
                    ));
                }
                if i % 11 == 0 {
                    finding.span = None;
                }
                if i % 7 == 0 {
                    let span = (i % 2 == 0).then(|| Span::new(file, 3..60));
                    finding = finding.with_suppression(text_at(i + 3), span);
                }
                finding
            })
            .collect()
    }

    #[test]
    fn the_document_is_serde_jsons_pretty_print() {
        let texts: Vec<String> = [
            "plain",
            "quotes \" and \\ backslashes",
            "control \u{1} \t \n \r characters",
            "unicode é ✓ \u{2028}",
            "",
        ]
        .map(String::from)
        .to_vec();
        let mut sources = Sources::default();
        let all = findings(&mut sources, "dir\\compose \"x\".yml", &texts);
        for count in [0, 1, 2, all.len()] {
            let some = &all[..count];
            assert_eq!(
                written(&sources, some),
                reference(&sources, some),
                "{count}"
            );
        }
    }

    proptest! {
        #[test]
        fn any_text_is_written_as_serde_json_writes_it(
            texts in proptest::collection::vec(any::<String>(), 1..6),
            path in any::<String>(),
        ) {
            let mut sources = Sources::default();
            let all = findings(&mut sources, &path, &texts);
            prop_assert_eq!(written(&sources, &all), reference(&sources, &all));
        }
    }
}
