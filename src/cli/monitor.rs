//! `mcpgen monitor`: flags, and their defaults from `mcp.toml` when `--stack` is not given (so
//! the same command works on the host, beside the config, and in the stack's own container).

use std::path::PathBuf;
use std::time::Duration;

use super::{Cli, Ui};
use crate::error::Error;
use crate::model::units::parse_duration;
#[cfg(feature = "runtime")]
use crate::runtime::monitor::{self, Settings};

// Without the `runtime` feature the flags are parsed (so `--help` still teaches) but not read.
#[cfg_attr(not(feature = "runtime"), allow(dead_code))]
#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// The stack (compose project) to watch [default: `[stack].name` of mcp.toml]
    #[arg(long, value_name = "NAME")]
    stack: Option<String>,
    /// Time between MCP probes of each server [default: `[monitor].interval`, or 10s]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    interval: Option<Duration>,
    /// Consecutive failed probes before a restart [default: `[monitor].failures`, or 3]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    failures: Option<u32>,
    /// Restarts allowed within the window; past that the server is marked failed
    /// [default: `[monitor].max_restarts`, or 5]
    #[arg(long, value_name = "N")]
    max_restarts: Option<u32>,
    /// The window that `--max-restarts` counts in [default: `[monitor].window`, or 10m]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    window: Option<Duration>,
    /// How long a probe waits for the handshake [default: the interval, at most 5s]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    probe_timeout: Option<Duration>,
    /// Rewrite this status file on every loop (for `--check-status`)
    #[arg(long, value_name = "FILE")]
    status_file: Option<PathBuf>,
    /// Probe every server once, print one line each, exit 0 if all answer, else 1
    #[arg(long, conflicts_with = "check_status")]
    once: bool,
    /// Exit 0 if FILE (a monitor's status file) is fresh and says it is healthy, else 1
    #[arg(long, value_name = "FILE")]
    check_status: Option<PathBuf>,
}

pub(super) const EXAMPLES: &str = "\
Examples:
  mcpgen monitor                          watch the stack of ./mcp.toml, settings from [monitor]
  mcpgen monitor --once                   probe every server once; exit 0 if all answer (CI, cron)
  mcpgen monitor --stack mcp --interval 2s --status-file /tmp/monitor.status
  mcpgen monitor --check-status /tmp/monitor.status   the monitor's own healthcheck

It talks to the engine at DOCKER_HOST (default unix:///var/run/docker.sock) and prints one JSON
object per line: time, level, event, server, container, latency_ms, action, reason, failures,
restarts, state. SIGTERM or SIGINT stops it; containers are left as they are.";

#[cfg(not(feature = "runtime"))]
pub(super) fn run(_cli: &Cli, _args: &Args, _ui: &mut Ui) -> Result<i32, Error> {
    Err(Error::NotBuiltIn {
        what: "the health monitor",
        feature: "runtime",
    })
}

#[cfg(feature = "runtime")]
pub(super) fn run(cli: &Cli, args: &Args, ui: &mut Ui) -> Result<i32, Error> {
    if let Some(path) = &args.check_status {
        return Ok(monitor::check_status(path));
    }
    let settings = settings(cli, args, ui)?;
    if args.once {
        return Ok(monitor::once(&settings));
    }
    Ok(monitor::run(settings))
}

/// Flags win; what they leave out comes from mcp.toml when there is no `--stack`, else from
/// the same defaults as `[monitor]`.
#[cfg(feature = "runtime")]
fn settings(cli: &Cli, args: &Args, ui: &mut Ui) -> Result<Settings, Error> {
    let (stack, from_config) = match &args.stack {
        Some(stack) => (stack.clone(), None),
        None => {
            let config = cli.load(ui)?;
            (config.stack.name.clone(), Some(config.stack.monitor))
        }
    };
    let interval = args
        .interval
        .or(from_config.as_ref().map(|m| m.interval))
        .unwrap_or(Duration::from_secs(10))
        .max(Duration::from_millis(100));
    Ok(Settings {
        stack,
        interval,
        failures: args
            .failures
            .or(from_config.as_ref().map(|m| m.failures))
            .unwrap_or(3),
        max_restarts: args
            .max_restarts
            .or(from_config.as_ref().map(|m| m.max_restarts))
            .unwrap_or(5),
        window: args
            .window
            .or(from_config.as_ref().map(|m| m.window))
            .unwrap_or(Duration::from_secs(600)),
        probe_timeout: args
            .probe_timeout
            .unwrap_or_else(|| Settings::default_probe_timeout(interval)),
        status_file: args.status_file.clone(),
        verbose: cli.verbose,
    })
}
