//! `mcpgen rules` and `mcpgen explain`: the catalog, from the rules' own docs.

use crate::error::{EXIT_BAD_INPUT, Error};
use crate::lint::{RULES, find_rule};

use super::Ui;

#[derive(Debug, clap::Args)]
pub(super) struct RulesArgs {}

#[derive(Debug, clap::Args)]
pub(super) struct ExplainArgs {
    /// A rule's code (MCP002) or name (read-only-rootfs)
    rule: String,
}

pub(super) fn list(_args: &RulesArgs) -> Result<i32, Error> {
    println!(
        "{:<7} {:<24} {:<8} {:<5} summary",
        "code", "name", "severity", "core"
    );
    for rule in RULES {
        println!(
            "{:<7} {:<24} {:<8} {:<5} {}",
            rule.code,
            rule.name,
            rule.severity.as_str(),
            if rule.core { "yes" } else { "" },
            rule.summary
        );
    }
    Ok(0)
}

pub(super) fn explain(args: &ExplainArgs, ui: &mut Ui) -> Result<i32, Error> {
    let Some(rule) = find_rule(&args.rule) else {
        ui.diagnostics(&[
            crate::diag::Diagnostic::error(format!("no rule `{}`", args.rule))
                .with_help("`mcpgen rules` lists every rule"),
        ]);
        return Ok(EXIT_BAD_INPUT);
    };
    println!("# {} {}\n", rule.code, rule.name);
    println!(
        "Default severity: {}{}\n",
        rule.severity.as_str(),
        if rule.core {
            " (core rule: cannot be disabled, only allowed per service with a reason)"
        } else {
            ""
        }
    );
    print!("{}", rule.docs);
    Ok(0)
}
