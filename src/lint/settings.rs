//! What `[lint]` (refined by `mcpgen lint`'s flags) does to a run: which rules run, which
//! findings count, and whether they fail it. Every command reads the same settings.

use super::{Finding, Rule};
use crate::model::LintSettings;

/// Whether `rule` runs under these settings. Core rules always do.
pub fn enabled(settings: &LintSettings, rule: &Rule) -> bool {
    rule.core
        || (settings
            .select
            .as_ref()
            .is_none_or(|select| select.contains(&rule.code))
            && !settings.ignore.contains(&rule.code))
}

/// Drops the findings of rules these settings turn off.
pub fn retain(settings: &LintSettings, findings: &mut Vec<Finding>) {
    findings.retain(|f| enabled(settings, f.rule));
}

/// Whether these findings fail the run: an active one at `fail_on` or above.
pub fn fails(settings: &LintSettings, findings: &[Finding]) -> bool {
    failing(settings, findings).next().is_some()
}

/// The findings that fail the run.
pub fn failing<'f>(
    settings: &LintSettings,
    findings: &'f [Finding],
) -> impl Iterator<Item = &'f Finding> {
    super::active(findings).filter(|f| f.severity >= settings.fail_on)
}
