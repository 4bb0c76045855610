//! `mcpgen-helper`: the small static program every server container runs from mcpgen's image
//! (a read-only named volume, [`crate::model::contract`]), so nothing of the server's image is assumed —
//! not its ENTRYPOINT, not a shell, not `sleep`:
//! - `idle`: the container's main process, beside which sessions run by `docker exec`;
//! - `health`: the engine's health check and the monitor's probe, one MCP handshake for both
//!   protocol eras ([`crate::mcp`]);
//! - `prepare`: the one-shot that gives new named volumes to their servers' users;
//! - `session`: the wrapper of each client session, which holds one of the server's session
//!   slots and answers a clear "busy" error when all are taken.

mod health;
mod prepare;
mod session;

use std::ffi::OsString;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

use crate::model::contract::HELPER_STATE_DIR as STATE_DIR;

#[derive(Parser)]
#[command(
    name = "mcpgen-helper",
    version,
    about = "mcpgen's in-container helper: the idle process, the MCP health check and the session gate",
    long_about = None
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Do nothing until stopped: the container's main process.
    Idle,
    /// Start the server command, complete the MCP handshake and `tools/list`; exit 0 if it
    /// answered in time, 1 if not.
    Health(health::Args),
    /// Run one client session of the server command, holding a session slot; when all
    /// slots are taken, answer the client's first request with a JSON-RPC error instead.
    Session(session::Args),
    /// Give the stack's new named volumes to their servers' users (a one-shot, before any
    /// server starts): a fresh volume belongs to root, which a non-root server cannot write.
    Prepare(prepare::Args),
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    crate::model::units::parse_duration(text)
}

/// The helper's entry point; `args` include the program name.
pub fn main(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return if error.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match cli.command {
        Command::Idle => idle(),
        Command::Health(args) => health::run(&args),
        Command::Session(args) => session::run(&args),
        Command::Prepare(args) => prepare::run(&args),
    }
}

/// Sleeps until a signal ends the process (the container's init forwards `docker stop`'s
/// SIGTERM, whose default action ends it at once).
fn idle() -> ExitCode {
    loop {
        std::thread::park();
    }
}
