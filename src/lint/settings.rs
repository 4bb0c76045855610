//! Which rules count and what fails a run: `[lint]` in mcp.toml, refined by command-line flags.

use super::{Finding, RULES};
use crate::diag::Severity;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Rule codes to run; `None` runs every rule.
    pub select: Option<Vec<&'static str>>,
    /// Rule codes to skip. Never a core rule: validation refuses that.
    pub ignore: Vec<&'static str>,
    /// The lowest severity that fails `mcpgen lint`.
    pub fail_on: Severity,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            select: None,
            ignore: Vec::new(),
            fail_on: Severity::Error,
        }
    }
}

impl Settings {
    /// Whether findings of rule `code` are reported. Core rules always are.
    pub fn enabled(&self, code: &str) -> bool {
        let core = RULES.iter().any(|r| r.code == code && r.core);
        core || (self.select.as_ref().is_none_or(|s| s.contains(&code))
            && !self.ignore.contains(&code))
    }

    pub fn retain(&self, findings: &mut Vec<Finding>) {
        findings.retain(|f| self.enabled(f.rule.code));
    }

    /// Whether these findings make the run fail.
    pub fn fails(&self, findings: &[Finding]) -> bool {
        super::active(findings).any(|f| f.severity >= self.fail_on)
    }
}
