//! Suppressions written in a compose file: `x-mcpgen: { allow: [{ rule, reason }] }` on a
//! service, and inline comments `# mcpgen: allow MCP013 -- reason`.
//!
//! A reason is required in both forms; an allow without one is an error the user must fix, not
//! a finding (a suppression that silently did not apply would be worse than none).
//!
//! # Which service an inline comment applies to
//!
//! YAML drops comments, so the raw text is scanned. A `#` starts a comment where it begins a
//! line or follows a blank, outside quoted and block scalars. Then:
//!
//! 1. A comment after other text on its line applies to the service whose lines (its key line
//!    to the last line of its value) contain that line: `read_only: false  # mcpgen: allow
//!    MCP002 -- …`, or on the service's key line itself.
//! 2. A comment on a line of its own applies to the service whose key is on the next line that
//!    is not blank and not a comment, when the comment is indented no deeper than that key:
//!    a comment (block) right above a service is about that service.
//! 3. Otherwise, a comment on a line of its own applies to the service it sits in: the last
//!    service whose key comes before it, if the comment is within that service's lines, or
//!    after them, indented deeper than its key, with no other content in between.
//!
//! A comment that applies to no service is reported as a warning (`compose/allow-unattached`).
//! The allow travels with the service's mapping, so a service that `extends` it, or a later
//! file that merges onto it, keeps it, exactly like an `x-mcpgen.allow` entry.

use std::collections::HashMap;
use std::ops::Range;

use super::error::ComposeError;
use super::tree::{Map, Node};
use crate::lint::Finding;
use crate::lint::rules::mcp105_allow_unattached::RULE as ALLOW_UNATTACHED;
use crate::lint::view::AllowView;
use crate::source::{FileId, Span};

const MARKER: &str = "mcpgen:";

/// The allows of a merged service: its `x-mcpgen.allow` entries, then its inline comments.
pub(crate) fn service_allows(service: &Map) -> Result<Vec<AllowView>, ComposeError> {
    let mut allows = Vec::new();
    if let Some(extension) = service.get("x-mcpgen").filter(|node| !node.is_reset()) {
        let Some(extension) = extension.as_map() else {
            return Err(ComposeError::invalid(
                &extension.span,
                "`x-mcpgen` must be a mapping, like `{ allow: [{ rule: MCP013, reason: \"…\" }] }`",
            ));
        };
        for entry in &extension.entries {
            if entry.key != "allow" {
                return Err(ComposeError::Invalid {
                    span: entry.key_span,
                    message: format!("unknown key `{}` in `x-mcpgen`", entry.key),
                    help: Some("`x-mcpgen` takes `allow`".to_string()),
                });
            }
        }
        if let Some(list) = extension.get("allow").filter(|node| !node.is_null()) {
            let Some(items) = list.as_seq() else {
                return Err(ComposeError::invalid(
                    &list.span,
                    "`x-mcpgen.allow` must be a list of `{ rule, reason }`",
                ));
            };
            for item in items {
                allows.push(allow_entry(item)?);
            }
        }
    }
    allows.extend(service.allows.iter().cloned());
    Ok(allows)
}

fn allow_entry(item: &Node) -> Result<AllowView, ComposeError> {
    let Some(map) = item.as_map() else {
        return Err(ComposeError::invalid(
            &item.span,
            "an allow entry is a mapping `{ rule: MCP013, reason: \"…\" }`",
        ));
    };
    for entry in &map.entries {
        if entry.key != "rule" && entry.key != "reason" {
            return Err(ComposeError::Invalid {
                span: entry.key_span,
                message: format!("unknown key `{}` in an allow entry", entry.key),
                help: Some("an allow entry has `rule` and `reason`".to_string()),
            });
        }
    }
    let Some(rule) = map
        .get("rule")
        .and_then(Node::as_str)
        .map(str::trim)
        .filter(|rule| !rule.is_empty())
    else {
        return Err(ComposeError::invalid(
            &item.span,
            "an allow entry needs a `rule` (a code like `MCP013` or a name)",
        ));
    };
    let reason = map
        .get("reason")
        .and_then(Node::as_str)
        .map(str::trim)
        .unwrap_or_default();
    if reason.is_empty() {
        return Err(ComposeError::AllowWithoutReason {
            span: item.span,
            rule: rule.to_string(),
        });
    }
    Ok(AllowView {
        rule: rule.to_string(),
        reason: reason.to_string(),
        span: Some(item.span),
    })
}

/// A service of a document, located in its file.
struct Located {
    document: usize,
    /// Index in the document's `services` entries.
    entry: usize,
    key: Range<usize>,
    /// End of the service's value.
    end: usize,
}

/// Finds the inline allow comments of one file and attaches each to its service's mapping.
/// Returns warnings for comments that apply to no service.
pub(crate) fn attach_inline(
    text: &str,
    file: FileId,
    documents: &mut [Option<Node>],
    literal_ranges: &[Range<usize>],
) -> Result<Vec<Finding>, ComposeError> {
    let comments = comments(text, literal_ranges);
    if comments.is_empty() {
        return Ok(Vec::new());
    }
    let mut services = Vec::new();
    for (document, root) in documents.iter().enumerate() {
        let Some(entries) = root
            .as_ref()
            .and_then(Node::as_map)
            .and_then(|root| root.get("services"))
            .and_then(Node::as_map)
            .map(|services| &services.entries)
        else {
            continue;
        };
        for (entry, service) in entries.iter().enumerate() {
            // Only services written in this file (not merged in from an anchor elsewhere).
            if service.key_span.file == file {
                services.push(Located {
                    document,
                    entry,
                    key: service.key_span.range(),
                    end: service.value.span.end().max(service.key_span.end()),
                });
            }
        }
    }
    services.sort_by_key(|service| service.key.start);
    let lines = Lines::new(text);
    let by_key: HashMap<usize, usize> = services
        .iter()
        .enumerate()
        .map(|(i, service)| (service.key.start, i))
        .collect();
    let mut warnings = Vec::new();
    for comment in comments {
        let span = Span::new(file, comment.range.clone());
        let allow = parse_comment(&text[comment.range.clone()], &span)?;
        let target = target(text, &lines, &services, &by_key, comment.range.start);
        let Some(index) = target else {
            warnings.push(Finding::raised(
                &ALLOW_UNATTACHED,
                "",
                "this `# mcpgen: allow` comment is not inside or right above a service: it applies to none",
                span,
                "put the comment inside the service, or on the line above its key",
            ));
            continue;
        };
        let service = &services[index];
        let map = documents[service.document]
            .as_mut()
            .and_then(Node::as_map_mut)
            .and_then(|root| root.get_mut("services"))
            .and_then(Node::as_map_mut)
            .and_then(|services| services.entries.get_mut(service.entry))
            .and_then(|entry| entry.value.as_map_mut());
        match map {
            Some(map) => map.add_allows(allow),
            None => warnings.push(Finding::raised(
                &ALLOW_UNATTACHED,
                "",
                "this `# mcpgen: allow` comment is on a service that is not a mapping: it is ignored",
                span,
                "put the comment inside a service's mapping",
            )),
        }
    }
    Ok(warnings)
}

/// The service a comment at byte `at` applies to (see the module docs).
fn target(
    text: &str,
    lines: &Lines,
    services: &[Located],
    by_key: &HashMap<usize, usize>,
    at: usize,
) -> Option<usize> {
    let line = lines.line_of(at);
    let line_start = lines.start(line);
    let own_line = text[line_start..at].trim().is_empty();
    let column = at - line_start;
    // The last service whose key starts before the comment.
    let previous = services
        .partition_point(|service| service.key.start < at)
        .checked_sub(1);
    let within = |i: usize| {
        let service = &services[i];
        lines.line_of(service.key.start) <= line && line <= lines.line_of(service.end)
    };
    if !own_line {
        return previous.filter(|&i| within(i));
    }
    if let Some(next) = lines.next_content(text, line) {
        let first = lines.start(next) + indentation(lines.text(text, next));
        if let Some(&i) = by_key.get(&first)
            && column <= first - lines.start(next)
        {
            return Some(i);
        }
    }
    let i = previous?;
    if within(i) {
        return Some(i);
    }
    let service = &services[i];
    let key_column = service.key.start - lines.start(lines.line_of(service.key.start));
    let after_end = lines
        .next_content(text, lines.line_of(service.end))
        .is_none_or(|next| next > line);
    (column > key_column && after_end).then_some(i)
}

fn indentation(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// A `# mcpgen:` comment: from its `#` to the end of its line.
struct Comment {
    range: Range<usize>,
}

/// Every `#…mcpgen:` comment of the text, outside quoted and block scalars.
fn comments(text: &str, literal_ranges: &[Range<usize>]) -> Vec<Comment> {
    let mut found = Vec::new();
    // memchr's vectorised search: this scans every byte of every file read, most of them with
    // no such comment at all, and `str::match_indices` took 1.7 ms over a 3 MB project.
    for at in memchr::memmem::find_iter(text.as_bytes(), MARKER) {
        let before = text[..at].trim_end_matches([' ', '\t']);
        let Some(hash) = before.strip_suffix('#').map(str::len) else {
            continue;
        };
        let opens_comment = text[..hash]
            .chars()
            .next_back()
            .is_none_or(|c| c == ' ' || c == '\t' || c == '\n' || c == '\r');
        let in_literal = {
            let i = literal_ranges.partition_point(|range| range.start <= hash);
            i > 0 && literal_ranges[i - 1].contains(&hash)
        };
        if !opens_comment || in_literal {
            continue;
        }
        let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
        let end = hash + text[hash..end].trim_end().len();
        found.push(Comment { range: hash..end });
    }
    found
}

/// Reads `# mcpgen: allow RULE[, RULE…] -- reason`.
fn parse_comment(comment: &str, span: &Span) -> Result<Vec<AllowView>, ComposeError> {
    let bad = |message: &str| ComposeError::BadComment {
        span: *span,
        message: message.to_string(),
    };
    let body = comment
        .trim_start_matches('#')
        .trim_start()
        .strip_prefix(MARKER)
        .unwrap_or_default()
        .trim();
    let Some(rest) = body.strip_prefix("allow") else {
        return Err(bad(
            "expected `# mcpgen: allow RULE -- reason` (the only directive is `allow`)",
        ));
    };
    if !rest.is_empty() && !rest.starts_with([' ', '\t']) {
        return Err(bad("expected `allow` followed by a rule"));
    }
    let (rules, reason) = match rest.split_once("--") {
        Some((rules, reason)) => (rules, reason.trim()),
        None => (rest, ""),
    };
    let rules: Vec<&str> = rules
        .split([',', ' ', '\t'])
        .filter(|rule| !rule.is_empty())
        .collect();
    if rules.is_empty() {
        return Err(bad(
            "name the rule to allow: `# mcpgen: allow MCP013 -- reason`",
        ));
    }
    if let Some(rule) = rules
        .iter()
        .find(|rule| !rule.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
    {
        return Err(bad(&format!("`{rule}` is not a rule code or name")));
    }
    if reason.is_empty() {
        return Err(ComposeError::AllowWithoutReason {
            span: *span,
            rule: rules.join(", "),
        });
    }
    Ok(rules
        .into_iter()
        .map(|rule| AllowView {
            rule: rule.to_string(),
            reason: reason.to_string(),
            span: Some(*span),
        })
        .collect())
}

/// Line starts of a text, built only for files that have `# mcpgen:` comments.
struct Lines {
    starts: Vec<usize>,
}

impl Lines {
    fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Self { starts }
    }

    /// The 0-based line of a byte offset.
    fn line_of(&self, at: usize) -> usize {
        self.starts.partition_point(|&start| start <= at) - 1
    }

    fn start(&self, line: usize) -> usize {
        self.starts[line]
    }

    fn text<'t>(&self, text: &'t str, line: usize) -> &'t str {
        let end = self
            .starts
            .get(line + 1)
            .map_or(text.len(), |&next| next - 1);
        &text[self.starts[line]..end]
    }

    /// The first line after `line` that is neither blank nor only a comment.
    fn next_content(&self, text: &str, line: usize) -> Option<usize> {
        (line + 1..self.starts.len()).find(|&next| {
            let content = self.text(text, next).trim();
            !content.is_empty() && !content.starts_with('#')
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frontend::compose::yaml::parse;
    use crate::source::Sources;
    use std::path::Path;

    /// Each service's name and the rules allowed on it.
    type Allowed = Vec<(String, Vec<String>)>;

    /// The rules allowed on each service of `text`, and the number of warnings.
    fn inline(text: &str) -> Result<(Allowed, usize), ComposeError> {
        let mut sources = Sources::default();
        let file = sources.add(Path::new("t.yml"), text.to_string());
        let mut parsed = parse(text, file)?;
        let warnings = attach_inline(text, file, &mut parsed.documents, &parsed.literal_ranges)?;
        let mut out = Vec::new();
        for root in parsed.documents.iter().flatten() {
            let services = root.as_map().unwrap().get("services").unwrap();
            for entry in &services.as_map().unwrap().entries {
                let rules = entry
                    .value
                    .as_map()
                    .unwrap()
                    .allows
                    .iter()
                    .map(|a| a.rule.clone())
                    .collect();
                out.push((entry.key.clone(), rules));
            }
        }
        Ok((out, warnings.len()))
    }

    fn rules_of(text: &str) -> Allowed {
        let (rules, warnings) = inline(text).unwrap();
        assert_eq!(warnings, 0, "unexpected warnings");
        rules
    }

    fn pairs(expected: &[(&str, &[&str])]) -> Allowed {
        expected
            .iter()
            .map(|(name, rules)| {
                (
                    name.to_string(),
                    rules.iter().map(|r| r.to_string()).collect(),
                )
            })
            .collect()
    }

    #[test]
    fn trailing_comment_applies_to_its_service() {
        let text = "services:\n  a:\n    read_only: false  # mcpgen: allow MCP002 -- scratch\n  b:  # mcpgen: allow MCP001, MCP003 -- key line\n    image: x\n";
        assert_eq!(
            rules_of(text),
            pairs(&[("a", &["MCP002"]), ("b", &["MCP001", "MCP003"])])
        );
    }

    #[test]
    fn comment_above_a_key_applies_to_that_service() {
        let text = "services:\n  a:\n    image: x\n  # mcpgen: allow MCP013 -- above b\n\n  # other comment\n  b:\n    image: y\n";
        assert_eq!(rules_of(text), pairs(&[("a", &[]), ("b", &["MCP013"])]));
    }

    #[test]
    fn indented_comment_belongs_to_the_service_it_sits_in() {
        let text = "services:\n  a:\n    image: x\n    # mcpgen: allow MCP013 -- inside a, after its last key\n  b:\n    # mcpgen: allow MCP001 -- inside b\n    image: y\n    # mcpgen: allow MCP002 -- end of b\nnetworks: {}\n";
        assert_eq!(
            rules_of(text),
            pairs(&[("a", &["MCP013"]), ("b", &["MCP001", "MCP002"])])
        );
    }

    #[test]
    fn comment_outside_services_is_a_warning() {
        let text = "# mcpgen: allow MCP001 -- nowhere\nservices:\n  a:\n    image: x\n";
        let (rules, warnings) = inline(text).unwrap();
        assert_eq!(rules, pairs(&[("a", &[])]));
        assert_eq!(warnings, 1);
    }

    #[test]
    fn hashes_in_strings_are_not_comments() {
        let text = "services:\n  a:\n    command: \"echo # mcpgen: allow MCP001 -- no\"\n    entrypoint: |\n      # mcpgen: allow MCP002 -- no\n    image: a#mcpgen:allow\n";
        assert_eq!(rules_of(text), pairs(&[("a", &[])]));
    }

    #[test]
    fn malformed_comments_are_errors() {
        for bad in [
            "# mcpgen: allow MCP001",
            "# mcpgen: allow MCP001 --   ",
            "# mcpgen: alow MCP001 -- typo",
            "# mcpgen: allow -- no rule",
            "# mcpgen: allow MCP0*1 -- bad name",
        ] {
            let text = format!("services:\n  a:\n    image: x  {bad}\n");
            assert!(inline(&text).is_err(), "{bad}");
        }
        assert!(matches!(
            inline("services:\n  a: {} # mcpgen: allow MCP001\n"),
            Err(ComposeError::AllowWithoutReason { .. })
        ));
    }

    #[test]
    fn extension_allows_need_rule_and_reason() {
        let parse_service = |text: &str| {
            let mut sources = Sources::default();
            let file = sources.add(Path::new("t.yml"), text.to_string());
            parse(text, file).unwrap().documents.remove(0).unwrap()
        };
        let ok =
            parse_service("x-mcpgen:\n  allow:\n    - {rule: MCP011, reason: needs the socket}\n");
        let allows = service_allows(ok.as_map().unwrap()).unwrap();
        assert_eq!(allows[0].rule, "MCP011");
        assert_eq!(allows[0].reason, "needs the socket");
        for bad in [
            "x-mcpgen: {allow: [{rule: MCP011}]}",
            "x-mcpgen: {allow: [{rule: MCP011, reason: ''}]}",
            "x-mcpgen: {allow: [{reason: why}]}",
            "x-mcpgen: {allow: [{rule: MCP011, reason: x, extra: 1}]}",
            "x-mcpgen: {alow: []}",
            "x-mcpgen: {allow: MCP011}",
            "x-mcpgen: [MCP011]",
        ] {
            let node = parse_service(bad);
            assert!(service_allows(node.as_map().unwrap()).is_err(), "{bad}");
        }
    }
}
