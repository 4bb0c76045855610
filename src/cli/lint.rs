//! `mcpgen lint`: the hardening rules over mcp.toml, in the format the caller's CI wants.

use std::io::Write as _;

use clap::ValueEnum;

use super::build::report_findings;
use super::{Cli, Ui};
use crate::diag::Severity;
use crate::error::{EXIT_BAD_INPUT, EXIT_FINDINGS, Error};
use crate::lint::{Finding, Settings, find_rule, output};

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    /// Source snippets with carets, for people
    Human,
    /// One stable, versioned document (schema/lint-output.schema.json)
    Json,
    /// SARIF 2.1.0, for GitHub code scanning
    Sarif,
    /// GitHub Actions workflow annotations
    Github,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FailOn {
    Error,
    Warning,
    Info,
}

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Run only these rules (codes or names, comma-separated); adds to `[lint] select`
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    select: Vec<String>,
    /// Skip these rules (not the core rules MCP001-MCP004); adds to `[lint] ignore`
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    ignore: Vec<String>,
    /// The lowest severity that makes the exit code 1 [default: `[lint] fail_on`, else error]
    #[arg(long, value_enum)]
    fail_on: Option<FailOn>,
    /// Apply mechanical fixes (read_only, cap_drop ALL, no-new-privileges, init) in place,
    /// keeping comments and formatting; then report what is left
    #[arg(long, conflicts_with = "diff")]
    fix: bool,
    /// Print the fixes `--fix` would make as a unified diff; write nothing
    #[arg(long)]
    diff: bool,
}

impl Args {
    /// Flags refine the settings of mcp.toml. Unknown rules and ignoring a core rule are usage
    /// errors, reported before anything runs.
    fn settings(&self, mut settings: Settings, ui: &Ui) -> Option<Settings> {
        let mut ok = true;
        let mut resolve = |keys: &[String], ignoring: bool| -> Vec<&'static str> {
            keys.iter()
                .filter_map(|key| match find_rule(key) {
                    Some(rule) if ignoring && rule.core => {
                        ui.diagnostics(&[crate::diag::Diagnostic::error(format!(
                            "`{}` is a core rule and cannot be ignored globally",
                            rule.code
                        ))
                        .with_help("allow it per service, with a reason")]);
                        ok = false;
                        None
                    }
                    Some(rule) => Some(rule.code),
                    None => {
                        ui.diagnostics(&[crate::diag::Diagnostic::error(format!(
                            "no rule `{key}`"
                        ))
                        .with_help("`mcpgen rules` lists every rule")]);
                        ok = false;
                        None
                    }
                })
                .collect()
        };
        let select = resolve(&self.select, false);
        let ignore = resolve(&self.ignore, true);
        if !select.is_empty() {
            settings.select.get_or_insert_with(Vec::new).extend(select);
        }
        settings.ignore.extend(ignore);
        if let Some(fail_on) = self.fail_on {
            settings.fail_on = match fail_on {
                FailOn::Error => Severity::Error,
                FailOn::Warning => Severity::Warning,
                FailOn::Info => Severity::Info,
            };
        }
        ok.then_some(settings)
    }
}

pub(super) fn run(cli: &Cli, args: &Args, ui: &mut Ui) -> Result<i32, Error> {
    let mut config = cli.load(ui)?;
    let Some(settings) = args.settings(config.stack.lint.clone(), ui) else {
        return Ok(EXIT_BAD_INPUT);
    };
    let mut findings = crate::lint::run(&crate::lint::from_model::services(&config));
    settings.retain(&mut findings);
    if args.fix || args.diff {
        let fixes = crate::fix::wanted(&findings);
        let source = ui.sources().get(config.file);
        let display = source.display_path.clone();
        let Some(fixed) = crate::fix::toml::apply(&config, &source.text, &fixes) else {
            ui.status("nothing to fix mechanically");
            emit(args.format, ui, &findings);
            return Ok(if settings.fails(&findings) {
                EXIT_FINDINGS
            } else {
                0
            });
        };
        if args.diff {
            let diff = similar::TextDiff::from_lines(source.text.as_str(), fixed.as_str())
                .unified_diff()
                .header(&format!("a/{display}"), &format!("b/{display}"))
                .to_string();
            let _ = anstream::stdout().write_all(diff.as_bytes());
            return Ok(EXIT_FINDINGS);
        }
        crate::write::write_atomic(&config.path, fixed.as_bytes(), false)?;
        ui.status(format!("applied {} fix(es) to {display}", fixes.len()));
        // What is left, against the file as it now is.
        *ui = Ui::new(cli.quiet, cli.verbose);
        config = cli.load(ui)?;
        findings = crate::lint::run(&crate::lint::from_model::services(&config));
        settings.retain(&mut findings);
    }
    emit(args.format, ui, &findings);
    Ok(if settings.fails(&findings) {
        EXIT_FINDINGS
    } else {
        0
    })
}

fn emit(format: Format, ui: &Ui, findings: &[Finding]) {
    let document = match format {
        Format::Human => {
            report_findings(ui, findings);
            let active = crate::lint::active(findings).count();
            ui.status(format!(
                "{active} finding(s), {} suppressed by an allow",
                findings.len() - active
            ));
            return;
        }
        Format::Json => output::json::render(ui.sources(), findings),
        Format::Sarif => output::sarif::render(ui.sources(), findings),
        Format::Github => output::github::render(ui.sources(), findings),
    };
    let _ = anstream::stdout().write_all(document.as_bytes());
}
