//! `mcpgen-helper session`: each client session's wrapper inside the container. Sessions share
//! the container's memory and pids limits, so their number is capped: the wrapper takes one of
//! `--max` slots (a lock file on the container's tmpfs, held by the server process it becomes)
//! or, when all are taken, answers the client's first request with a JSON-RPC error naming the
//! cause — a clear "busy", never an out-of-memory kill of a neighbour or a hang.

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, Write};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, ExitCode};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};

use super::{STATE_DIR, parse_duration};

#[derive(clap::Args)]
pub(super) struct Args {
    /// The server's name, for the error a client sees.
    #[arg(long)]
    server: String,
    /// Sessions that may run at once.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    max: u32,
    /// How long to wait for the client's first request before giving up on answering it.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    answer_timeout: Duration,
    /// The server's stdio command.
    #[arg(required = true, last = true)]
    command: Vec<OsString>,
}

pub(super) fn run(args: &Args) -> ExitCode {
    let slots = Path::new(STATE_DIR).join("sessions");
    let slot = match take_slot(&slots, args.max) {
        Ok(Some(slot)) => Some(slot),
        Ok(None) => {
            answer_error(
                &format!(
                    "mcpgen: MCP server {} is busy: all {} session slots are in use \
                     (max_sessions in mcp.toml); try again when a session ends",
                    args.server, args.max
                ),
                args.answer_timeout,
            );
            return ExitCode::FAILURE;
        }
        Err(error) => {
            // No writable scratch directory: run ungated rather than refuse every session.
            eprintln!(
                "mcpgen[{}]: session slots unavailable ({}: {error}); running without a cap",
                args.server,
                slots.display()
            );
            None
        }
    };
    // `exec` keeps the slot's descriptor (close-on-exec cleared): the lock lives exactly as
    // long as the server process.
    let error = Command::new(&args.command[0])
        .args(&args.command[1..])
        .exec();
    drop(slot);
    let message = format!(
        "mcpgen: MCP server {} cannot start `{}` in its container: {error}",
        args.server,
        args.command[0].to_string_lossy()
    );
    eprintln!("{message}");
    answer_error(&message, args.answer_timeout);
    ExitCode::from(127)
}

/// The first free slot, locked and inheritable; `None` when all are taken.
fn take_slot(dir: &Path, max: u32) -> io::Result<Option<File>> {
    fs::create_dir_all(dir)?;
    for index in 0..max {
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join(format!("slot-{index}")))?;
        match rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => {
                rustix::io::fcntl_setfd(&file, rustix::io::FdFlags::empty())?;
                return Ok(Some(file));
            }
            Err(rustix::io::Errno::WOULDBLOCK) => {}
            Err(error) => return Err(error.into()),
        }
    }
    Ok(None)
}

/// Answers the client's first request (the first message with an id) with a JSON-RPC error,
/// waiting at most `timeout` for it.
fn answer_error(message: &str, timeout: Duration) {
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let stdin = io::stdin();
        for line in stdin.lock().lines() {
            let Ok(line) = line else { break };
            if let Ok(value) = serde_json::from_str::<Value>(&line)
                && let Some(id) = value.get("id")
            {
                let _ = sender.send(id.clone());
                return;
            }
        }
        let _ = sender.send(Value::Null);
    });
    let id = receiver.recv_timeout(timeout).unwrap_or(Value::Null);
    let answer = json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32000, "message": message}});
    let mut stdout = io::stdout().lock();
    let _ = writeln!(stdout, "{answer}");
    let _ = stdout.flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_taken_until_none_is_left() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let first = take_slot(dir.path(), 2).unwrap_or_else(|e| panic!("{e}"));
        let second = take_slot(dir.path(), 2).unwrap_or_else(|e| panic!("{e}"));
        assert!(first.is_some() && second.is_some());
        assert!(
            take_slot(dir.path(), 2)
                .unwrap_or_else(|e| panic!("{e}"))
                .is_none()
        );
        drop(first);
        assert!(
            take_slot(dir.path(), 2)
                .unwrap_or_else(|e| panic!("{e}"))
                .is_some()
        );
    }
}
