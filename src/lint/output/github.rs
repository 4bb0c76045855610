//! `--format github`: workflow commands that GitHub Actions shows as annotations on the diff.

use std::io::{self, Write};

use super::finding_location;
use crate::diag::Severity;
use crate::lint::Finding;
use crate::source::Sources;

/// Data escaping of workflow commands.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Property values also escape the separators of the command's parameter list.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

pub fn write<W: Write>(sources: &Sources, findings: &[Finding], mut out: W) -> io::Result<()> {
    for finding in findings.iter().filter(|f| f.suppressed.is_none()) {
        let level = match finding.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let title = escape_property(&format!("{} {}", finding.rule.code, finding.rule.name));
        let mut params = Vec::new();
        if let Some(location) = finding_location(sources, finding) {
            params.push(format!("file={}", escape_property(&location.path)));
            params.push(format!("line={}", location.line));
            params.push(format!("col={}", location.column));
            params.push(format!("endLine={}", location.end_line));
            params.push(format!("endColumn={}", location.end_column));
        }
        params.push(format!("title={title}"));
        let message = format!("{}\nhelp: {}", finding.headline(), finding.help);
        writeln!(
            out,
            "::{level} {}::{}",
            params.join(","),
            escape_data(&message)
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_separators_and_newlines() {
        assert_eq!(escape_data("a%b\nc"), "a%25b%0Ac");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}
