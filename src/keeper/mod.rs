//! The session keeper: the process an MCP client launches (through the shim) that keeps the
//! client's stdio open across the death of the server process behind it. See
//! [`session`] for what it remembers and replays, [`driver`] for the processes and pipes.
//!
//! It is a binary of its own (`mcpgen-keeper`, installed into the bundle's `bin/`): small, no
//! async runtime, no engine API — it restarts a server by running the shim again, which owns
//! the start logic (one `compose up` under the lock, bounded).

pub mod driver;
pub mod message;
pub mod session;

use std::ffi::OsString;
use std::process::ExitCode;

pub use session::{Action, Session, Settings};

const USAGE: &str = "\
mcpgen-keeper: keeps an MCP client's session open across restarts of its server

Usage: mcpgen-keeper --server NAME -- COMMAND [ARG...]

Runs COMMAND (an mcpgen shim) as the server process, forwarding the client's stdio. When the
process ends while the client still talks, the requests in flight get an error to retry, and
COMMAND is run again; the session's handshake is replayed on the new process.

Environment:
  MCPGEN_RECOVER_TIMEOUT  seconds one recovery may take before the session ends (default 60)
  MCPGEN_MAX_REVIVALS     revivals per session within 10 minutes (default 5)
";

/// The command line of `mcpgen-keeper`.
pub fn main(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let mut args = args.into_iter().skip(1);
    let mut server = None;
    let mut command = Vec::new();
    while let Some(arg) = args.next() {
        match arg.to_str() {
            Some("--server") => server = args.next(),
            Some("--version") => {
                println!("mcpgen-keeper {}", env!("CARGO_PKG_VERSION"));
                return ExitCode::SUCCESS;
            }
            Some("--help" | "-h") => {
                print!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            Some("--") => {
                command.extend(args.by_ref());
            }
            _ => {
                eprint!("mcpgen-keeper: unexpected argument {arg:?}\n\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let Some((program, rest)) = command.split_first() else {
        eprint!("mcpgen-keeper: no command to run\n\n{USAGE}");
        return ExitCode::from(2);
    };
    let name = server.map_or_else(
        || program.to_string_lossy().into_owned(),
        |s| s.to_string_lossy().into_owned(),
    );
    let (settings, warnings) = Settings::from_env(&name, |key| std::env::var(key).ok());
    for warning in warnings {
        eprintln!("mcpgen[{name}]: {warning}");
    }
    let code = driver::run(settings, program, rest);
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}
