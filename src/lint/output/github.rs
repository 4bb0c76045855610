//! `--format github`: workflow commands that GitHub Actions shows as annotations on the diff.

use std::io::{self, Write};

use super::finding_location;
use crate::diag::Severity;
use crate::lint::Finding;
use crate::source::Sources;

/// Data escaping of workflow commands.
#[cfg(test)]
fn escape_data(text: &str) -> String {
    let mut out = Vec::new();
    let _ = write_escaped(&mut out, text, false);
    String::from_utf8_lossy(&out).into_owned()
}

/// Property values also escape the separators of the command's parameter list.
#[cfg(test)]
fn escape_property(text: &str) -> String {
    let mut out = Vec::new();
    let _ = write_escaped(&mut out, text, true);
    String::from_utf8_lossy(&out).into_owned()
}

/// `text` escaped as a workflow command's data, or as a property value (which also escapes
/// the parameter list's separators), in one pass and without a copy of it.
fn write_escaped(out: &mut impl Write, text: &str, property: bool) -> io::Result<()> {
    let mut plain = 0;
    for (at, byte) in text.bytes().enumerate() {
        let escaped: &[u8] = match byte {
            b'%' => b"%25",
            b'\r' => b"%0D",
            b'\n' => b"%0A",
            b':' if property => b"%3A",
            b',' if property => b"%2C",
            _ => continue,
        };
        out.write_all(&text.as_bytes()[plain..at])?;
        out.write_all(escaped)?;
        plain = at + 1;
    }
    out.write_all(&text.as_bytes()[plain..])
}

pub fn write<W: Write>(sources: &Sources, findings: &[Finding], mut out: W) -> io::Result<()> {
    for finding in crate::lint::active(findings) {
        let level = match finding.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        write!(out, "::{level} ")?;
        if let Some(location) = finding_location(sources, finding) {
            out.write_all(b"file=")?;
            write_escaped(&mut out, &location.path, true)?;
            write!(
                out,
                ",line={},col={},endLine={},endColumn={},",
                location.line, location.column, location.end_line, location.end_column
            )?;
        }
        out.write_all(b"title=")?;
        write_escaped(&mut out, finding.rule.code, true)?;
        out.write_all(b" ")?;
        write_escaped(&mut out, finding.rule.name, true)?;
        out.write_all(b"::")?;
        write_escaped(&mut out, &finding.headline(), false)?;
        out.write_all(b"%0Ahelp: ")?;
        write_escaped(&mut out, &finding.help, false)?;
        out.write_all(b"\n")?;
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
