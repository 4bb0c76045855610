//! `mcpgen init`: write a starter mcp.toml, or import one from clients' configs.

use std::path::PathBuf;

use super::{Cli, Ui};
use crate::error::Error;
use crate::init::{self, import};
use crate::install::paths::Env;

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// Import the servers of a client's config (repeatable): claude_desktop_config.json, any
    /// `mcpServers` JSON, VS Code's mcp.json, Zed's settings.json, Codex's config.toml
    #[arg(long, value_name = "FILE")]
    from: Vec<PathBuf>,
    /// Replace an existing mcp.toml (a .bak copy is kept)
    #[arg(long)]
    force: bool,
}

pub(super) const EXAMPLES: &str = "\
Examples:
  mcpgen init                   a commented starter mcp.toml in this directory
  mcpgen init --from ~/Library/Application\\ Support/Claude/claude_desktop_config.json
  mcpgen init --from ~/.cursor/mcp.json --from ~/.config/Code/User/mcp.json

Known servers (filesystem, memory, github, fetch, everything, sequential-thinking, time,
desktop-commander) get their container image and command; the command each client ran becomes
their `local` fallback. Secret values are never copied: they become references to environment
variables, and init says which to set. Servers without a known image stay as they are in their
clients, with a commented [servers.x] in mcp.toml to fill in.";

pub(super) fn run(cli: &Cli, args: &Args, ui: &mut Ui) -> Result<i32, Error> {
    let path = cli
        .config
        .clone()
        .unwrap_or_else(|| PathBuf::from(crate::config::CONFIG_FILE_NAME));
    if path.exists() && !args.force {
        return Err(Error::AlreadyExists { path });
    }
    let (text, summary) = if args.from.is_empty() {
        (
            init::starter(),
            "a starter with two example servers".to_string(),
        )
    } else {
        let env = Env::from_process().map_err(Error::Environment)?;
        let sources = args
            .from
            .iter()
            .map(|p| import::read(p))
            .collect::<Result<Vec<_>, _>>()?;
        let imported = import::import(&sources, &env.home);
        for note in &imported.notes {
            ui.status(note.describe());
        }
        let summary = format!(
            "{} server(s) imported from {}",
            imported.imported,
            if imported.clients.is_empty() {
                "the given file(s)".to_string()
            } else {
                imported.clients.join(", ")
            }
        );
        (
            init::imported(&imported.clients, &imported.servers_toml),
            summary,
        )
    };
    if path.exists() {
        let backup = crate::write::backup(&path)?;
        ui.status(format!("kept the previous file as {}", backup.display()));
    }
    crate::write::write_users(&path, text.as_bytes(), 0o644)?;
    ui.status(format!(
        "wrote {}: {summary}; next: `mcpgen build`, then `mcpgen install`",
        path.display()
    ));
    Ok(0)
}
