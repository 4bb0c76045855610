//! `mcpgen-helper health`: the check the engine runs on its health timer and the monitor runs
//! by exec. It starts the server command as a session would, completes the MCP handshake for
//! the server's era and lists its tools, within a deadline, and kills what it started.
//!
//! The era is discovered once, on a throw-away process (some legacy servers exit on an early
//! request), and remembered in the container's scratch directory after a check that passed.

use std::ffi::OsString;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use serde_json::json;

use super::{STATE_DIR, parse_duration};
use crate::mcp::stdio::{self, Budget};
use crate::mcp::{Era, Handshake};

#[derive(clap::Args)]
pub(super) struct Args {
    /// The whole check's deadline; keep it under the engine's health-check timeout.
    #[arg(long, default_value = "4s", value_parser = parse_duration)]
    timeout: Duration,
    /// The server's protocol era, when the caller knows it; otherwise it is discovered (and
    /// remembered in the container).
    #[arg(long, value_parser = ["legacy", "modern"])]
    era: Option<String>,
    /// Only check that the command exists and is executable: for servers whose secrets reach
    /// them per session, so a handshake here would fail by design.
    #[arg(long)]
    exists: bool,
    /// Print the result as one JSON object (the monitor reads it).
    #[arg(long)]
    json: bool,
    /// The server's stdio command.
    #[arg(required = true, last = true)]
    command: Vec<OsString>,
}

pub(super) fn run_check(args: &Args) -> (bool, serde_json::Value) {
    let started = Instant::now();
    if args.exists {
        return match find_program(&args.command[0]) {
            Some(path) => (
                true,
                json!({"ok": true, "exists": path.display().to_string()}),
            ),
            None => (
                false,
                json!({"ok": false, "error": format!(
                    "`{}` is not an executable in this container (PATH={})",
                    args.command[0].to_string_lossy(),
                    std::env::var("PATH").unwrap_or_default()
                )}),
            ),
        };
    }
    let cache = Path::new(STATE_DIR).join("era");
    let known = args.era.as_deref().and_then(Era::parse).or_else(|| {
        fs::read_to_string(&cache)
            .ok()
            .and_then(|t| Era::parse(t.trim()))
    });
    let mut handshake = Handshake::new("mcpgen-health", known);
    let spawn = || spawn_server(&args.command);
    let result = stdio::run(&mut handshake, spawn, Budget::new(args.timeout));
    let millis = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let era = handshake.era().map(Era::as_str);
    match result {
        Ok(outcome) => {
            if known != Some(outcome.era) {
                remember(&cache, outcome.era);
            }
            (
                true,
                json!({
                    "ok": true,
                    "era": outcome.era.as_str(),
                    "protocol": outcome.protocol,
                    "server": outcome.server,
                    "tools": outcome.tools.len(),
                    "millis": millis,
                }),
            )
        }
        Err(failure) => {
            // A slow server may fail a check that had to start it twice (discovery on a
            // throw-away process, then the handshake): keep what the discovery learned, so the
            // next check starts it once.
            if known.is_none()
                && handshake.era_answered()
                && let Some(era) = handshake.era()
            {
                remember(&cache, era);
            }
            (
                false,
                json!({"ok": false, "era": era, "error": failure.to_string(), "millis": millis}),
            )
        }
    }
}

pub(super) fn run(args: &Args) -> ExitCode {
    let (ok, report) = run_check(args);
    if args.json {
        println!("{report}");
    } else if ok {
        match report.get("exists") {
            Some(path) => println!("healthy: {} is present", path.as_str().unwrap_or("")),
            None => println!(
                "healthy: {} protocol {}, {} tools, {} ms",
                report["era"].as_str().unwrap_or(""),
                report["protocol"].as_str().unwrap_or(""),
                report["tools"],
                report["millis"]
            ),
        }
    } else {
        println!("unhealthy: {}", report["error"].as_str().unwrap_or(""));
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn spawn_server(command: &[OsString]) -> io::Result<std::process::Child> {
    stdio::spawn(Command::new(&command[0]).args(&command[1..]))
}

/// Best effort: a container without a writable `/tmp` discovers the era on every check.
fn remember(cache: &Path, era: Era) {
    if let Some(dir) = cache.parent()
        && fs::create_dir_all(dir).is_ok()
    {
        let _ = fs::write(cache, era.as_str());
    }
}

/// The program as `execvp` would find it: a path as given, a bare name on `PATH`.
pub(super) fn find_program(program: &OsString) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let executable = |path: &Path| {
        fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    let path = Path::new(program);
    if path.components().count() > 1 || program.to_string_lossy().contains('/') {
        return executable(path).then(|| path.to_path_buf());
    }
    let search = std::env::var_os("PATH").unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into());
    std::env::split_paths(&search)
        .map(|dir| dir.join(program))
        .find(|candidate| executable(candidate))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_programs_on_path_and_by_path() {
        assert!(find_program(&OsString::from("sh")).is_some());
        assert!(find_program(&OsString::from("/bin/sh")).is_some());
        assert!(find_program(&OsString::from("no-such-program-mcpgen")).is_none());
        assert!(find_program(&OsString::from("/etc/passwd")).is_none());
    }
}
