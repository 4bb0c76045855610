//! `--format sarif`: SARIF 2.1.0 for GitHub code scanning and other viewers. A small typed model
//! of the parts mcpgen fills; validated against Microsoft's validator in the tests.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{finding_location, location};
use crate::diag::Severity;
use crate::lint::{Finding, RULES, Rule};
use crate::source::Sources;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Log {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run {
    tool: Tool,
    results: Vec<SarifResult>,
    column_kind: &'static str,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    rules: Vec<ReportingDescriptor>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReportingDescriptor {
    id: &'static str,
    name: &'static str,
    short_description: Text,
    full_description: Text,
    help: Help,
    default_configuration: Configuration,
    properties: RuleProperties,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct Help {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct RuleProperties {
    tags: Vec<&'static str>,
    /// GitHub code scanning orders and filters alerts by this.
    security_severity: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: &'static str,
    rule_index: usize,
    level: &'static str,
    message: Text,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    locations: Vec<SarifLocation>,
    partial_fingerprints: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<Suppression>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifLocation {
    physical_location: PhysicalLocation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
struct ArtifactLocation {
    uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    start_column: usize,
    end_line: usize,
    end_column: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Suppression {
    kind: &'static str,
    justification: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<SarifLocation>,
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

fn security_severity(rule: &Rule) -> &'static str {
    match (rule.core, rule.severity) {
        (true, _) => "8.0",
        (false, Severity::Error) => "7.0",
        (false, Severity::Warning) => "4.0",
        (false, Severity::Info) => "2.0",
    }
}

fn descriptor(rule: &'static Rule) -> ReportingDescriptor {
    ReportingDescriptor {
        id: rule.code,
        name: rule.name,
        short_description: Text {
            text: rule.summary.to_string(),
        },
        full_description: Text {
            text: rule
                .docs
                .split("## Why it matters")
                .next()
                .unwrap_or_default()
                .replace("## What it does", "")
                .trim()
                .to_string(),
        },
        help: Help {
            text: rule.docs.to_string(),
            markdown: rule.docs.to_string(),
        },
        default_configuration: Configuration {
            level: level(rule.severity),
        },
        properties: RuleProperties {
            tags: vec!["security", "docker-compose", "mcp"],
            security_severity: security_severity(rule),
        },
    }
}

/// Stable across commits that move lines: the rule, the file, the service and the message.
fn fingerprint(path: &str, finding: &Finding) -> String {
    let mut hasher = Sha256::new();
    for part in [
        finding.rule.code,
        path,
        &*finding.service,
        &*finding.message,
    ] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    // By table, not `{:02x}`: a report of thousands of findings has a fingerprint each.
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut hex = String::with_capacity(32);
    for byte in &hasher.finalize()[..16] {
        hex.push(char::from(HEX[usize::from(byte >> 4)]));
        hex.push(char::from(HEX[usize::from(byte & 0xf)]));
    }
    hex
}

/// A relative path stays relative (code scanning resolves it against the repository); an
/// absolute one becomes a `file://` URI, as SARIF requires.
fn artifact_uri(path: &str) -> String {
    if !path.starts_with('/') {
        return path.to_string();
    }
    let mut uri = String::with_capacity("file://".len() + path.len());
    uri.push_str("file://");
    for c in path.chars() {
        match c {
            ' ' => uri.push_str("%20"),
            '#' => uri.push_str("%23"),
            '?' => uri.push_str("%3F"),
            '%' => uri.push_str("%25"),
            c => uri.push(c),
        }
    }
    uri
}

fn sarif_location(loc: super::Location) -> SarifLocation {
    SarifLocation {
        physical_location: PhysicalLocation {
            artifact_location: ArtifactLocation {
                uri: artifact_uri(&loc.path),
            },
            region: Region {
                start_line: loc.line,
                start_column: loc.column,
                end_line: loc.end_line,
                end_column: loc.end_column,
            },
        },
    }
}

/// Writes the log to `out`, as it is made: a large report is never held whole.
pub fn write<W: Write>(sources: &Sources, findings: &[Finding], mut out: W) -> io::Result<()> {
    let results = findings
        .iter()
        .map(|finding| {
            let loc = finding_location(sources, finding);
            let path = loc.as_ref().map(|l| l.path.clone()).unwrap_or_default();
            SarifResult {
                rule_id: finding.rule.code,
                rule_index: RULES
                    .iter()
                    .position(|r| r.code == finding.rule.code)
                    .unwrap_or_default(),
                level: level(finding.severity),
                message: Text {
                    text: format!("{} (fix: {})", finding.headline(), finding.help),
                },
                partial_fingerprints: BTreeMap::from([(
                    "mcpgenFinding/v1",
                    fingerprint(&path, finding),
                )]),
                locations: loc.into_iter().map(sarif_location).collect(),
                suppressions: finding
                    .suppression()
                    .into_iter()
                    .map(|(reason, span)| Suppression {
                        kind: "inSource",
                        justification: reason.to_string(),
                        location: span.as_ref().map(|s| sarif_location(location(sources, s))),
                    })
                    .collect(),
            }
        })
        .collect();
    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "mcpgen",
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    rules: RULES.iter().copied().map(descriptor).collect(),
                },
            },
            results,
            column_kind: "unicodeCodePoints",
        }],
    };
    super::write_pretty(&mut out, &log)?;
    out.write_all(b"\n")
}
