//! `mcpgen install`: copy the bundle to `install_dir`, merge mcpgen's servers into each client.

use std::io::Write as _;
use std::path::Path;

use similar::TextDiff;

use super::build::report_findings;
use super::{Cli, Ui};
use crate::error::{EXIT_FINDINGS, Error};
use crate::install::bundle::BundleChange;
use crate::install::paths::Env;
use crate::install::{self, ClientState, Request};

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// Only these clients (repeatable) [default: every target in mcp.toml]
    #[arg(long = "client", value_name = "CLIENT")]
    clients: Vec<String>,
    /// Install this profile's entries [default: the strict profile]
    #[arg(long, value_name = "PROFILE")]
    profile: Option<String>,
    /// Print what would change, as a diff per client file; write nothing
    #[arg(long)]
    dry_run: bool,
    /// Also write the config of a client that does not look installed here
    #[arg(long)]
    create: bool,
    /// Replace your own entries that have an mcpgen server's name (the file is backed up first)
    #[arg(long)]
    force: bool,
}

pub(super) const EXAMPLES: &str = "\
Examples:
  mcpgen install                        the bundle, then every client in [clients].targets
  mcpgen install --dry-run              show the diff of each client file, write nothing
  mcpgen install --client cursor --client vscode --profile dev
  mcpgen install --create --client zed  write Zed's settings even if Zed is not installed yet

Each file is backed up once, to <file>.mcpgen-backup, before mcpgen first changes it. Entries
are mcpgen's when they launch this stack's shims; a server removed from mcp.toml leaves every
client on the next install.";

pub(super) fn run(cli: &Cli, args: &Args, ui: &mut Ui) -> Result<i32, Error> {
    let config = cli.load(ui)?;
    let compiled = crate::compile::compile(&config)?;
    report_findings(ui, &compiled.findings);
    if compiled.blocking().count() > 0 {
        ui.status("error: mcp.toml has findings at error level: fix them and run `mcpgen build`");
        return Ok(EXIT_FINDINGS);
    }
    let drift = crate::write::plan(
        &config.out_dir(),
        (&config.stack).into(),
        &compiled.artifacts,
    )?;
    if !drift.is_empty() {
        return Err(Error::StaleBuild {
            out_dir: config.stack.out_dir.clone(),
            files: drift.len(),
        });
    }
    let env = Env::from_process().map_err(Error::Environment)?;
    let request = Request {
        clients: args.clients.clone(),
        profile: args.profile.clone(),
        create: args.create,
        force: args.force,
    };
    let plan = install::plan(&config.stack, &compiled.artifacts, &env, &request)?;
    let problems = plan.problems(args.force);
    if !problems.is_empty() {
        return Err(crate::install::InstallError::Stopped { problems }.into());
    }
    let home = &env.home;
    if args.dry_run {
        print_diffs(&plan, home);
    }
    let bundle_dir = show(&plan.install_dir, home);
    let verb = if args.dry_run { "would " } else { "" };
    let keeper_change = plan.keeper.change.iter().map(|c| (c, &plan.keeper.target));
    let changes = plan
        .bundle_changes
        .iter()
        .map(|f| (&f.change, &f.path))
        .chain(keeper_change);
    let mut written = 0;
    for (change, path) in changes {
        let what = match change {
            BundleChange::Create => "create",
            BundleChange::Update => "update",
            BundleChange::Remove => "remove",
        };
        written += 1;
        ui.detail(format!("bundle: {verb}{what} {}", show(path, home)));
    }
    if plan.keeper.source.is_none() {
        ui.warning(
            "no mcpgen-keeper beside this mcpgen: the shims run without it, and a session ends when its server restarts (put mcpgen-keeper next to mcpgen, then run install again)",
        );
    }
    ui.status(format!(
        "bundle: {bundle_dir}: {}",
        match (written, args.dry_run) {
            (0, _) => "up to date".to_string(),
            (n, true) => format!("would write {n} file(s)"),
            (n, false) => format!("{n} file(s) written"),
        }
    ));
    let backups = if args.dry_run {
        Vec::new()
    } else {
        install::apply(&plan)?
    };
    let mut not_installed = 0;
    for client in &plan.clients {
        let location = &client.location;
        let path = show(&location.path, home);
        let name = location.client;
        if location.unconfirmed {
            ui.detail(format!(
                "{name}: {path} comes from a secondary source, not the client's own docs: if the client does not see the servers, tell us where it reads its config"
            ));
        }
        match &client.state {
            ClientState::NotInstalled => {
                not_installed += 1;
                ui.status(format!(
                    "{name}: not installed here (no {}); skipped, `--create` writes {path} anyway",
                    show(&location.installed_when, home)
                ));
            }
            ClientState::Unchanged => ui.status(format!("{name}: {path}: up to date")),
            ClientState::Changed { old, changes, .. } => {
                let what: Vec<String> = changes.iter().map(|c| c.describe()).collect();
                let created = if old.is_none() { " (new file)" } else { "" };
                ui.status(format!(
                    "{name}: {path}{created}: {verb}{}",
                    what.join(", ")
                ));
            }
            // Problems stopped the install above.
            ClientState::Unparsable(_) | ClientState::Conflicts(_) => {}
        }
    }
    for backup in &backups {
        ui.status(format!(
            "backed up the file as it was to {}",
            show(backup, home)
        ));
    }
    if !args.dry_run {
        ui.status(format!(
            "installed profile `{}`{}; restart the clients to pick the servers up",
            plan.profile,
            if not_installed > 0 {
                format!(" ({not_installed} client(s) not installed here)")
            } else {
                String::new()
            }
        ));
    }
    Ok(0)
}

/// A unified diff per client file that would change (stdout: it is the command's output).
fn print_diffs(plan: &install::Plan, home: &Path) {
    let mut stdout = anstream::stdout();
    for client in &plan.clients {
        if let ClientState::Changed { old, new, .. } = &client.state {
            let path = show(&client.location.path, home);
            let old = old.as_deref().unwrap_or("");
            let diff = TextDiff::from_lines(old, new.as_str())
                .unified_diff()
                .context_radius(3)
                .header(&path, &format!("{path} (after install)"))
                .to_string();
            let _ = write!(stdout, "{}", crate::secrets::mask(&diff));
        }
    }
}

/// A path as the user knows it: `~/…` below their home.
pub(super) fn show(path: &Path, home: &Path) -> String {
    match path.strip_prefix(home) {
        Ok(rest) if !rest.as_os_str().is_empty() => format!("~/{}", rest.display()),
        Ok(_) => "~".to_string(),
        Err(_) => path.display().to_string(),
    }
}
