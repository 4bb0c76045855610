//! `mcpgen build`: lint, render, write.

use super::{Cli, Ui};
use crate::error::{EXIT_FINDINGS, Error};
use crate::lint::Finding;
use crate::write::{self, Change};

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// Overwrite generated files that were edited by hand (a .bak copy of each is kept)
    #[arg(long)]
    force: bool,
}

/// Shows findings; returns whether any blocks the build.
pub(super) fn report_findings(ui: &Ui, findings: &[Finding]) {
    let shown: Vec<_> = crate::lint::active(findings)
        .map(Finding::to_diagnostic)
        .collect();
    ui.diagnostics(&shown);
}

pub(super) fn run(cli: &Cli, args: &Args, ui: &mut Ui) -> Result<i32, Error> {
    let config = cli.load(ui)?;
    let compiled = crate::compile::compile(&config)?;
    report_findings(ui, &compiled.findings);
    let blocking = compiled.blocking().count();
    if blocking > 0 {
        ui.status(format!(
            "error: {blocking} finding(s) at {}; nothing was written (fix them, or `allow` them with a reason)",
            compiled.blocking_level()
        ));
        return Ok(EXIT_FINDINGS);
    }
    let out_dir = config.out_dir();
    let changes = write::plan(&out_dir, (&config.stack).into(), &compiled.artifacts)?;
    let backups = write::apply(&out_dir, &compiled.artifacts, &changes, args.force)?;
    for backup in &backups {
        ui.status(format!(
            "kept a copy of the hand-edited file as {}",
            backup.display()
        ));
    }
    for change in &changes {
        let verb = match change.change {
            Change::Create => "created",
            Change::Update { .. } => "updated",
            Change::Remove { .. } => "removed",
        };
        ui.detail(format!("{verb} {}/{}", config.stack.out_dir, change.path));
    }
    ui.status(format!(
        "{}: {} file(s) in {}/, {} changed",
        config.stack.name,
        compiled.artifacts.len(),
        config.stack.out_dir,
        changes.len()
    ));
    Ok(0)
}
