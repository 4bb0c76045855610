//! `mcpgen lint --fix`: applies the mechanical fixes findings carry, to the file the user wrote,
//! keeping its comments and formatting. Each input format has its own editor.

pub(crate) mod toml;
pub(crate) mod yaml;

use crate::lint::{Finding, Fix};

/// The fixable findings, once each per (service, fix).
pub(crate) fn wanted(findings: &[Finding]) -> Vec<(&str, Fix)> {
    let mut fixes: Vec<(&str, Fix)> = Vec::new();
    for finding in crate::lint::active(findings) {
        if let Some(fix) = finding.fix()
            && !fixes.contains(&(&*finding.service, fix))
        {
            fixes.push((&*finding.service, fix));
        }
    }
    fixes
}
