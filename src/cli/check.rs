//! `mcpgen check`: build in memory and diff against what is on disk.

use std::io::Write as _;

use similar::TextDiff;

use super::build::report_findings;
use super::{Cli, Ui};
use crate::error::{EXIT_FINDINGS, Error};
use crate::write::{self, Change};

pub(super) fn run(cli: &Cli, ui: &mut Ui) -> Result<i32, Error> {
    let config = cli.load(ui)?;
    let compiled = crate::compile::compile(&config)?;
    report_findings(ui, &compiled.findings);
    let blocking = compiled.blocking().count();
    let changes = write::plan(
        &config.out_dir(),
        (&config.stack).into(),
        &compiled.artifacts,
    )?;
    let mut stdout = anstream::stdout();
    for change in &changes {
        let path = format!("{}/{}", config.stack.out_dir, change.path);
        let new = compiled
            .artifacts
            .iter()
            .find(|a| a.path == change.path)
            .map_or("", |a| a.contents.as_str());
        let old = match &change.change {
            Change::Create => "",
            Change::Update { old } | Change::Remove { old } => old.as_str(),
        };
        if change.conflict == Some(crate::render::header::Stamp::Missing) {
            // Not mcpgen's: named, never shown (it could be anything, a secret included).
            let _ = writeln!(stdout, "not written by mcpgen: {path}");
            continue;
        }
        let diff = TextDiff::from_lines(old, new);
        let diff = diff
            .unified_diff()
            .context_radius(3)
            .header(&format!("a/{path}"), &format!("b/{path}"))
            .to_string();
        if diff.is_empty() {
            // Same text, different mode (a shim that lost its executable bit).
            let _ = writeln!(stdout, "mode changed: {path}");
        } else {
            // The diff shows what is on disk too: no credential-shaped value is printed.
            let _ = write!(stdout, "{}", crate::secrets::mask(&diff));
        }
    }
    if !changes.is_empty() {
        ui.status(format!(
            "{} file(s) in {}/ are out of date: run `mcpgen build`",
            changes.len(),
            config.stack.out_dir
        ));
    }
    if blocking > 0 {
        ui.status(format!(
            "error: {blocking} finding(s) at {}",
            compiled.blocking_level()
        ));
    }
    Ok(if changes.is_empty() && blocking == 0 {
        0
    } else {
        EXIT_FINDINGS
    })
}
