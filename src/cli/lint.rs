//! `mcpgen lint`: the hardening rules over mcp.toml.

use super::build::report_findings;
use super::{Cli, Ui};
use crate::error::{EXIT_FINDINGS, Error};

#[derive(Debug, clap::Args)]
pub(super) struct Args {}

pub(super) fn run(cli: &Cli, _args: &Args, ui: &mut Ui) -> Result<i32, Error> {
    let config = cli.load(ui)?;
    let findings = crate::lint::run(&crate::lint::from_model::services(&config));
    report_findings(ui, &findings);
    let active = crate::lint::active(&findings).count();
    let suppressed = findings.len() - active;
    ui.status(format!(
        "{active} finding(s), {suppressed} suppressed by an allow"
    ));
    Ok(if active == 0 { 0 } else { EXIT_FINDINGS })
}
