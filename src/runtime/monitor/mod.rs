//! `mcpgen monitor`: the stack's health monitor.
//!
//! It finds the stack's server containers by their compose labels, follows the engine's event
//! stream (a crash is seen at once), probes each server at the MCP level by exec every
//! interval, and heals by the [`policy`]: restart after `failures` failed probes or a crash the
//! restart policy does not handle, with backoff, up to `max_restarts` within `window`. It never
//! touches a container a person stopped, nor anything outside the stack.
//!
//! Layout: `policy` is the pure state machine (unit-tested with a fake clock); `engine` the
//! [`engine::Engine`] trait the loop runs on, and `docker` its implementation through the
//! Docker Engine API (feature `runtime`); `supervisor` the loop tying them together
//! (unit-tested on a scripted engine); `log` and `status` what it tells the world. Tokio (one
//! thread) lives only here.

// Without the `runtime` feature this module is built for its unit tests only (the supervisor on
// a scripted engine): what only the engine client and the command use is unused there.
#![cfg_attr(not(feature = "runtime"), allow(dead_code))]

#[cfg(feature = "runtime")]
pub(crate) mod docker;
pub(crate) mod engine;
#[cfg(test)]
mod fake;
pub(crate) mod log;
pub(crate) mod policy;
pub(crate) mod status;
mod supervisor;

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

#[cfg(feature = "runtime")]
use docker::{DockerApi, DockerHost};
#[cfg(feature = "runtime")]
use engine::{Engine as _, ProbeOutcome, RunState};
#[cfg(feature = "runtime")]
use log::{Event, Level, Line, Log};

/// Everything the monitor needs, resolved from the command line and `mcp.toml`.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub stack: String,
    pub interval: Duration,
    pub failures: u32,
    pub max_restarts: u32,
    pub window: Duration,
    pub probe_timeout: Duration,
    pub status_file: Option<PathBuf>,
    /// Log every probe, not only changes of state.
    pub verbose: bool,
}

impl Settings {
    /// The default probe timeout: an interval, at most 5 s.
    pub(crate) fn default_probe_timeout(interval: Duration) -> Duration {
        interval.min(Duration::from_secs(5))
    }

    fn describe(&self) -> String {
        use crate::model::units::format_duration as d;
        format!(
            "stack `{}`: interval {}, failures {}, max_restarts {} within {}, probe timeout {}",
            self.stack,
            d(self.interval),
            self.failures,
            self.max_restarts,
            d(self.window),
            d(self.probe_timeout)
        )
    }
}

#[cfg(feature = "runtime")]
fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    // One thread: the monitor waits on the engine almost all the time, and a small, steady
    // footprint matters more than parallel probes (they overlap on the one thread anyway).
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}

/// Runs the monitor in the foreground until SIGTERM or SIGINT; returns the exit code.
#[cfg(feature = "runtime")]
pub(crate) fn run(settings: Settings) -> i32 {
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("mcpgen monitor: cannot start the async runtime: {error}");
            return 2;
        }
    };
    runtime.block_on(supervisor::Supervisor::new(settings, DockerHost).run(shutdown_signal()))
}

/// Resolves when the process is asked to stop; names the signal.
#[cfg(feature = "runtime")]
async fn shutdown_signal() -> &'static str {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => tokio::select! {
            _ = tokio::signal::ctrl_c() => "SIGINT",
            _ = term.recv() => "SIGTERM",
        },
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
            "SIGINT"
        }
    }
}

/// `--once`: probe every server of the stack once; 0 when all answer, 1 otherwise.
#[cfg(feature = "runtime")]
pub(crate) fn once(settings: &Settings) -> i32 {
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("mcpgen monitor: cannot start the async runtime: {error}");
            return 2;
        }
    };
    runtime.block_on(probe_once(settings))
}

#[cfg(feature = "runtime")]
async fn probe_once(settings: &Settings) -> i32 {
    let log = Log { verbose: true };
    let engine = match DockerApi::connect().await {
        Ok(engine) => engine,
        Err(error) => {
            log.emit(
                &Line::new(Level::Error, Event::EngineLost)
                    .reason(format!("cannot reach the engine: {error}")),
            );
            return 1;
        }
    };
    let containers = match engine.containers(&settings.stack).await {
        Ok(containers) => containers,
        Err(error) => {
            log.emit(
                &Line::new(Level::Error, Event::EngineLost)
                    .reason(format!("cannot list containers: {error}")),
            );
            return 1;
        }
    };
    if containers.is_empty() {
        log.emit(&Line::new(Level::Error, Event::ProbeFailed).reason(format!(
            "no server containers of stack `{}` (label {}={})",
            settings.stack,
            crate::model::contract::LABEL_STACK,
            settings.stack
        )));
        return 1;
    }
    let engine = &engine;
    let probes = containers.iter().map(|container| async move {
        if container.state != RunState::Running {
            return (
                container,
                ProbeOutcome::Failed {
                    latency: Duration::ZERO,
                    reason: format!("the container is {:?}", container.state).to_lowercase(),
                },
            );
        }
        (
            container,
            engine.probe(container, settings.probe_timeout, None).await,
        )
    });
    let mut all_ok = true;
    for (container, outcome) in futures_util::future::join_all(probes).await {
        let line = match outcome {
            ProbeOutcome::Ok {
                latency, detail, ..
            } => Line::new(Level::Info, Event::ProbeOk)
                .latency(latency)
                .reason(detail),
            ProbeOutcome::Failed { latency, reason } => {
                all_ok = false;
                Line::new(Level::Warn, Event::ProbeFailed)
                    .latency(latency)
                    .reason(reason)
            }
            ProbeOutcome::EngineDown(reason) => {
                all_ok = false;
                Line::new(Level::Warn, Event::ProbeFailed)
                    .reason(format!("the engine stopped answering: {reason}"))
            }
            ProbeOutcome::Gone => {
                all_ok = false;
                Line::new(Level::Warn, Event::ProbeFailed).reason("the container is gone")
            }
            ProbeOutcome::NotRunning => {
                all_ok = false;
                Line::new(Level::Warn, Event::ProbeFailed).reason("the container stopped")
            }
        };
        log.emit(&line.server(&container.server, &container.id));
    }
    i32::from(!all_ok)
}

/// `--check-status FILE`: 0 when the file is fresh and says the monitor is healthy.
pub(crate) fn check_status(path: &std::path::Path) -> i32 {
    match status::check(path, SystemTime::now()) {
        Ok(_) => 0,
        Err(problem) => {
            eprintln!("mcpgen monitor: unhealthy: {problem}");
            1
        }
    }
}
