//! The command line: argument definitions, and the dispatch to one module per command.

mod build;
mod check;
mod completions;
mod doctor;
mod init;
mod install;
mod lint;
mod monitor;
mod probe;
mod rules;
mod ui;

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::config::{self, Config};
use crate::error::Error;
pub use ui::Ui;

const EXAMPLES: &str = "\
Examples:
  mcpgen build                 compile mcp.toml into generated/ (lints first)
  mcpgen check                 fail with a diff if generated/ is stale (for CI)
  mcpgen lint compose.yml      lint a hand-written compose file
  mcpgen explain MCP002        why a rule exists and how to fix it
  mcpgen --config infra/mcp.toml build
  mcpgen init --from ~/.cursor/mcp.json   import the servers your clients already run
  mcpgen install               the bundle to install_dir, mcpgen's servers into every client
  mcpgen doctor                engine, compose, generated/, bundle and clients, one line each

Exit codes: 0 ok, 1 findings or drift, 2 bad input or usage.";

#[derive(Debug, Parser)]
#[command(name = "mcpgen", version, about, after_help = EXAMPLES, propagate_version = true)]
pub struct Cli {
    /// The mcp.toml to use [default: ./mcp.toml or the nearest parent's]
    #[arg(long, global = true, value_name = "PATH", env = "MCPGEN_CONFIG")]
    config: Option<PathBuf>,
    /// Print only errors
    #[arg(long, short, global = true, conflicts_with = "verbose")]
    quiet: bool,
    /// Print every file considered
    #[arg(long, short, global = true)]
    verbose: bool,
    /// When to use colour (NO_COLOR is honoured by `auto`)
    #[arg(long, global = true, value_enum, default_value_t = ColorWhen::Auto)]
    color: ColorWhen,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ColorWhen {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Compile mcp.toml into the hardened stack in generated/ (lints first; writes nothing on errors)
    #[command(
        after_help = "Examples:\n  mcpgen build\n  mcpgen build --force   overwrite hand-edited files, keeping .bak copies"
    )]
    Build(build::Args),
    /// Compile in memory and compare with generated/; print a diff of any drift, write nothing
    #[command(
        after_help = "Examples:\n  mcpgen check            exit 1 with a unified diff when generated/ is stale"
    )]
    Check,
    /// Lint mcp.toml and compose files for missing hardening
    #[command(
        after_help = "Examples:\n  mcpgen lint\n  mcpgen lint docker-compose.yml\n  mcpgen lint --format json"
    )]
    Lint(lint::Args),
    /// List every lint rule
    Rules(rules::RulesArgs),
    /// Explain one lint rule: what it checks, why, a bad and a good example, the fix
    #[command(after_help = "Examples:\n  mcpgen explain MCP001\n  mcpgen explain read-only-rootfs")]
    Explain(rules::ExplainArgs),
    /// Print the JSON Schema of mcp.toml (for editors: taplo, Even Better TOML)
    Schema,
    /// Copy the bundle to install_dir and merge mcpgen's servers into each client's config
    #[command(after_help = install::EXAMPLES)]
    Install(install::Args),
    /// Write a commented starter mcp.toml, or import one from your clients' configs
    #[command(after_help = init::EXAMPLES)]
    Init(init::Args),
    /// Check the engine, Compose, generated/, the installed bundle and every client's config
    #[command(after_help = doctor::EXAMPLES)]
    Doctor(doctor::Args),
    /// Print shell completions (bash, zsh, fish, elvish, powershell)
    #[command(after_help = completions::COMPLETIONS_EXAMPLES)]
    Completions(completions::CompletionsArgs),
    /// Print the man page, or write one per command with --out-dir
    #[command(after_help = completions::MAN_EXAMPLES)]
    Man(completions::ManArgs),
    /// Start each server's shim as a client would; report the path taken, latency and tools
    #[command(
        after_help = "Examples:\n  mcpgen probe                      every server, strict profile\n  mcpgen probe memory --profile dev\n  mcpgen probe --format json --timeout 30s\n\nExit codes: 0 every server answered, 1 some server failed, 2 bad input."
    )]
    Probe(probe::Args),
    /// Watch the stack's servers: probe them by MCP handshake, restart the unhealthy (foreground)
    #[command(after_help = monitor::EXAMPLES)]
    Monitor(monitor::Args),
}

/// Parses the command line, runs the command and returns the exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let code = if error.use_stderr() {
                crate::error::EXIT_BAD_INPUT
            } else {
                0
            };
            let _ = error.print();
            return code;
        }
    };
    let choice = match cli.color {
        ColorWhen::Auto => anstream::ColorChoice::Auto,
        ColorWhen::Always => anstream::ColorChoice::Always,
        ColorWhen::Never => anstream::ColorChoice::Never,
    };
    choice.write_global();
    let mut ui = Ui::new(cli.quiet, cli.verbose);
    let result = match &cli.command {
        Command::Build(args) => build::run(&cli, args, &mut ui),
        Command::Check => check::run(&cli, &mut ui),
        Command::Lint(args) => lint::run(&cli, args, &mut ui),
        Command::Rules(args) => rules::list(args),
        Command::Explain(args) => rules::explain(args),
        Command::Probe(args) => probe::run(&cli, args, &mut ui),
        Command::Monitor(args) => monitor::run(&cli, args, &mut ui),
        Command::Schema => {
            let schema = config::json_schema();
            println!(
                "{}",
                serde_json::to_string_pretty(&schema).unwrap_or_default()
            );
            Ok(0)
        }
        Command::Install(args) => install::run(&cli, args, &mut ui),
        Command::Init(args) => init::run(&cli, args, &mut ui),
        Command::Doctor(args) => doctor::run(&cli, args, &mut ui),
        Command::Completions(args) => completions::completions(args),
        Command::Man(args) => completions::man(args, &ui),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            ui.diagnostics(&error.diagnostics());
            error.exit_code()
        }
    }
}

impl Cli {
    /// Finds and loads mcp.toml; errors become diagnostics through the UI's sources.
    fn load(&self, ui: &mut Ui) -> Result<Config, Error> {
        let path = match &self.config {
            Some(path) => path.clone(),
            None => {
                let cwd = std::env::current_dir()
                    .map_err(Error::io("read the current directory", "."))?;
                config::discover(&cwd)?
            }
        };
        load_config(ui, &path)
    }
}

/// Loads `mcp.toml`, its rule references checked against the lint catalog.
fn load_config(ui: &mut Ui, path: &std::path::Path) -> Result<Config, Error> {
    Ok(config::load(
        ui.sources_mut(),
        path,
        &crate::lint::catalog(),
    )?)
}
