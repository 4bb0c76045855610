//! `mcpgen lint`: the hardening rules over mcp.toml, in the format the caller's CI wants.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use clap::ValueEnum;

use super::build::report_findings;
use super::{Cli, Ui};
use crate::diag::Severity;
use crate::error::{EXIT_FINDINGS, Error};
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
    /// The compose services as mcpgen reads them, before any rule: for the tests that hold
    /// that reading against `docker compose config`
    #[value(hide = true)]
    View,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FailOn {
    Error,
    Warning,
    Info,
}

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// mcp.toml or compose files, each linted in the project Compose would run it in (an
    /// override file merged onto its base, a file `COMPOSE_FILE` names with the others)
    /// [default: the mcp.toml found and the compose project beside it]
    files: Vec<PathBuf>,
    /// Compose files merged in order into one project, as `docker compose -f a.yml -f b.yml`
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    merged: Vec<PathBuf>,
    /// Variables for the compose files' interpolation, read instead of the `.env` beside the
    /// first compose file; later files override earlier ones, the environment overrides all
    #[arg(long = "env-file", value_name = "FILE")]
    env_files: Vec<PathBuf>,
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
    /// errors, every one reported before anything runs.
    fn settings(&self, mut settings: Settings) -> Result<Settings, Error> {
        let mut errors = Vec::new();
        let mut resolve = |keys: &[String], ignoring: bool| -> Vec<&'static str> {
            keys.iter()
                .filter_map(|key| match find_rule(key) {
                    Some(rule) if ignoring && rule.core => {
                        errors.push(Error::CoreRuleIgnored { code: rule.code });
                        None
                    }
                    Some(rule) => Some(rule.code),
                    None => {
                        errors.push(Error::UnknownRule { name: key.clone() });
                        None
                    }
                })
                .collect()
        };
        let select = resolve(&self.select, false);
        let ignore = resolve(&self.ignore, true);
        match errors.len() {
            0 => {}
            1 => return Err(errors.remove(0)),
            _ => return Err(Error::Several(errors)),
        }
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
        Ok(settings)
    }
}

/// One unit of linting: an mcp.toml, or compose files merged into one project.
#[derive(PartialEq)]
enum Target {
    Toml(PathBuf),
    Compose(Vec<PathBuf>),
}

/// The file names Compose looks for, in its order of preference: it runs the first it finds.
const COMPOSE_FILES: &[&str] = &[
    "compose.yaml",
    "compose.yml",
    "docker-compose.yaml",
    "docker-compose.yml",
];

/// The override files Compose merges onto that one, in its order: it takes the first it finds,
/// whatever the base file is called.
const OVERRIDE_FILES: &[&str] = &[
    "compose.override.yml",
    "compose.override.yaml",
    "docker-compose.override.yml",
    "docker-compose.override.yaml",
];

/// The project `docker compose` runs in `dir` with no `-f`: the first base file found and the
/// first override file found. `None` without a base file.
fn default_project(dir: &Path) -> Option<Vec<PathBuf>> {
    let first = |names: &[&str]| {
        names
            .iter()
            .map(|name| dir.join(name))
            .find(|path| path.is_file())
    };
    let mut files = vec![first(COMPOSE_FILES)?];
    files.extend(first(OVERRIDE_FILES));
    Some(files)
}

/// What Compose would run in `dir`, then every other base file there on its own, as
/// `docker compose -f` runs it: none may go unlinted.
fn default_compose_files(dir: &Path) -> Vec<Target> {
    let Some(project) = default_project(dir) else {
        return Vec::new();
    };
    let others: Vec<Target> = COMPOSE_FILES
        .iter()
        .map(|name| dir.join(name))
        .filter(|path| path.is_file() && *path != project[0])
        .map(|base| Target::Compose(vec![base]))
        .collect();
    std::iter::once(Target::Compose(project))
        .chain(others)
        .collect()
}

/// The project a compose file given on its own belongs to, as Compose would run it: the
/// files `COMPOSE_FILE` names in its directory, or its default base and override files. A
/// changed override file is linted merged onto its base (pre-commit passes only what changed),
/// and so is a base with an override beside it. Any other file stands alone.
fn project_of(file: &Path, env_files: &[PathBuf], ui: &mut Ui) -> Result<Vec<PathBuf>, Error> {
    // Empty for a bare file name: the project's files are then named as bare as it was.
    let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
    let same = |a: &Path, b: &Path| {
        a == b || std::fs::canonicalize(a).ok() == std::fs::canonicalize(b).ok()
    };
    let named = match compose_file_variable(&dir, env_files, ui)? {
        Some(Target::Compose(files)) => Some(files),
        _ => default_project(&dir),
    };
    if let Some(files) = named.filter(|files| files.iter().any(|f| same(f, file))) {
        return Ok(files);
    }
    let is_override = file
        .file_name()
        .and_then(|name| name.to_str())
        .is_some_and(|name| OVERRIDE_FILES.contains(&name));
    if is_override && let Some(base) = default_project(&dir).map(|files| files[0].clone()) {
        return Ok(vec![base, file.to_path_buf()]);
    }
    Ok(vec![file.to_path_buf()])
}

/// The process environment, as interpolation reads it.
fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// `COMPOSE_FILE` (from the environment, else from the project's `.env`), split on
/// `COMPOSE_PATH_SEPARATOR` as Compose does, relative to `dir`.
fn compose_file_variable(
    dir: &Path,
    env_files: &[PathBuf],
    ui: &mut Ui,
) -> Result<Option<Target>, Error> {
    // `.env` beside a compose file in `dir`, whichever it would be.
    let beside = [dir.join("compose.yaml")];
    let variables = crate::frontend::compose::project_variables(
        ui.sources_mut(),
        &beside,
        env_files,
        &process_env,
    )?;
    let lookup = |name: &str| process_env(name).or_else(|| variables.get(name).cloned());
    let Some(list) = lookup("COMPOSE_FILE").filter(|list| !list.is_empty()) else {
        return Ok(None);
    };
    let separator = lookup("COMPOSE_PATH_SEPARATOR")
        .unwrap_or_else(|| if cfg!(windows) { ";" } else { ":" }.to_string());
    let files = list
        .split(separator.as_str())
        .filter(|file| !file.is_empty())
        .map(|file| dir.join(file))
        .collect();
    Ok(Some(Target::Compose(files)))
}

impl Args {
    fn targets(&self, cli: &Cli, ui: &mut Ui) -> Result<Vec<Target>, Error> {
        let mut targets: Vec<Target> = Vec::new();
        for path in &self.files {
            let target = if path.extension().is_some_and(|e| e == "toml") {
                Target::Toml(path.clone())
            } else {
                Target::Compose(project_of(path, &self.env_files, ui)?)
            };
            // A base and its override both changed: one project, linted once.
            if !targets.contains(&target) {
                targets.push(target);
            }
        }
        if !self.merged.is_empty() {
            targets.push(Target::Compose(self.merged.clone()));
        }
        if !targets.is_empty() {
            return Ok(targets);
        }
        let cwd = std::env::current_dir().map_err(Error::io("read the current directory", "."))?;
        let config = match &cli.config {
            Some(path) => Some(path.clone()),
            None => crate::config::discover(&cwd).ok(),
        };
        let dir = config
            .as_deref()
            .and_then(Path::parent)
            .map_or(cwd, Path::to_path_buf);
        targets.extend(config.map(Target::Toml));
        match compose_file_variable(&dir, &self.env_files, ui)? {
            Some(named) => targets.push(named),
            None => targets.extend(default_compose_files(&dir)),
        }
        if targets.is_empty() {
            return Err(Error::NothingToLint { dir });
        }
        Ok(targets)
    }
}

/// The findings of every target, and for `--fix` each file's fixed text.
struct Linted {
    findings: Vec<Finding>,
    fixed: Vec<(PathBuf, String, String)>,
    /// The compose services read, kept only for `--format view`.
    services: Vec<crate::lint::ServiceView>,
}

fn lint_targets(
    targets: &[Target],
    env_files: &[PathBuf],
    settings: &Settings,
    ui: &mut Ui,
    want_fixes: bool,
    keep_services: bool,
) -> Result<Linted, Error> {
    let mut linted = Linted {
        findings: Vec::new(),
        fixed: Vec::new(),
        services: Vec::new(),
    };
    for target in targets {
        let mut findings = match target {
            Target::Toml(path) => {
                let config = super::load_config(ui, path)?;
                let findings = crate::lint::run(crate::frontend::toml::services(&config), settings);
                let source = ui.sources().get(config.file);
                if want_fixes {
                    let fixes = crate::fix::wanted(&findings);
                    if let Some(text) = crate::fix::toml::apply(&config, &source.text, &fixes) {
                        linted
                            .fixed
                            .push((config.path.clone(), source.text.clone(), text));
                    }
                }
                findings
            }
            Target::Compose(files) => {
                let variables = crate::frontend::compose::project_variables(
                    ui.sources_mut(),
                    files,
                    env_files,
                    &process_env,
                )?;
                let env = |name: &str| process_env(name).or_else(|| variables.get(name).cloned());
                if !(want_fixes || keep_services) {
                    // Nothing reads the views after the rules: each is checked as it is built,
                    // and goes, so a large project's views are never all held at once.
                    let project = crate::frontend::compose::read(ui.sources_mut(), files, &env)?;
                    let mut linter = crate::lint::Linter::new(settings, project.len());
                    let notes = project.views(|view| linter.check(&view))?;
                    let mut findings = linter.finish();
                    crate::lint::add_raised(&mut findings, notes, settings);
                    findings
                } else {
                    let mut project =
                        crate::frontend::compose::load(ui.sources_mut(), files, &env)?;
                    let mut findings = crate::lint::run(&project.services, settings);
                    crate::lint::add_raised(
                        &mut findings,
                        std::mem::take(&mut project.notes),
                        settings,
                    );
                    if want_fixes {
                        let fixes = crate::fix::wanted(&findings);
                        for (file, text) in
                            crate::fix::yaml::apply(ui.sources(), &project.services, &fixes)
                        {
                            let source = ui.sources().get(file);
                            linted
                                .fixed
                                .push((source.path.clone(), source.text.clone(), text));
                        }
                    }
                    if keep_services {
                        linted.services.append(&mut project.services);
                    }
                    findings
                }
            }
        };
        if linted.findings.is_empty() {
            // Most runs lint one target: its findings are the report, not copied into it.
            linted.findings = findings;
        } else {
            linted.findings.append(&mut findings);
        }
    }
    Ok(linted)
}

pub(super) fn run(cli: &Cli, args: &Args, ui: &mut Ui) -> Result<i32, Error> {
    let targets = args.targets(cli, ui)?;
    // `[lint]` of the mcp.toml in play (the one given, or found) applies to compose files too.
    let base = match targets.iter().find_map(|t| match t {
        Target::Toml(path) => Some(path.clone()),
        Target::Compose(_) => None,
    }) {
        Some(path) => super::load_config(ui, &path)?.stack.lint,
        None => Settings::default(),
    };
    let settings = args.settings(base)?;
    let mut linted = lint_targets(
        &targets,
        &args.env_files,
        &settings,
        ui,
        args.fix || args.diff,
        matches!(args.format, Format::View),
    )?;
    if args.diff {
        let mut stdout = anstream::stdout();
        for (path, old, new) in &linted.fixed {
            let display = crate::source::display_path(path);
            let diff = similar::TextDiff::from_lines(old.as_str(), new.as_str())
                .unified_diff()
                .header(&format!("a/{display}"), &format!("b/{display}"))
                .to_string();
            let _ = stdout.write_all(diff.as_bytes());
        }
        if linted.fixed.is_empty() {
            ui.status("nothing to fix mechanically");
        }
        return Ok(if linted.fixed.is_empty() {
            0
        } else {
            EXIT_FINDINGS
        });
    }
    if args.fix {
        if linted.fixed.is_empty() {
            ui.status("nothing to fix mechanically");
        } else {
            for (path, _, new) in &linted.fixed {
                // The user's file: its mode kept, a link they made written through.
                crate::write::write_users(path, new.as_bytes(), 0o644)?;
                ui.status(format!("fixed {}", crate::source::display_path(path)));
            }
            // What is left, against the files as they now are.
            *ui = Ui::new(cli.quiet, cli.verbose);
            linted = lint_targets(
                &targets,
                &args.env_files,
                &settings,
                ui,
                false,
                matches!(args.format, Format::View),
            )?;
        }
    }
    if matches!(args.format, Format::View) {
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        output::view::write(&linted.services, &mut out)
            .and_then(|()| out.flush())
            .map_err(Error::io("write the report to", "standard output"))?;
        return Ok(0);
    }
    emit(args.format, ui, &linted.findings)?;
    let code = if crate::lint::settings::fails(&settings, &linted.findings) {
        EXIT_FINDINGS
    } else {
        0
    };
    // The process ends once the report is out. A large project's findings are left to the
    // OS rather than freed one by one: by then they are cold in cache, and at 10,000 services
    // freeing them took 3.5 ms in a profile, 24 times what it took at 1,000.
    std::mem::forget(linted);
    Ok(code)
}

/// Writes the report. A machine format that cannot be written whole (stdout closed, disk
/// full) is an error: a CI step must not read half a document as a verdict.
fn emit(format: Format, ui: &Ui, findings: &[Finding]) -> Result<(), Error> {
    if let Format::Human = format {
        report_findings(ui, findings);
        let active = crate::lint::active(findings).count();
        ui.status(format!(
            "{active} finding(s), {} suppressed by an allow",
            findings.len() - active
        ));
        return Ok(());
    }
    // Machine formats carry no colour: written as they are, without anstream's scan for
    // escapes, through one buffer.
    let mut out = output::buffer::ReportBuffer::new(output::buffer::ReportOutput::stdout());
    let written = match format {
        Format::Human | Format::View => Ok(()),
        Format::Json => output::json::write(ui.sources(), findings, &mut out),
        Format::Sarif => output::sarif::write(ui.sources(), findings, &mut out),
        Format::Github => output::github::write(ui.sources(), findings, &mut out),
    };
    written
        .and_then(|()| out.flush())
        .map_err(Error::io("write the report to", "standard output"))
}
