//! The probe: start a server's command exactly as an MCP client would (stdio pipes, a small
//! environment, working directory `/`, its own process group) and run mcpgen's one MCP
//! handshake ([`crate::mcp`]) over it: the era is discovered on a throw-away process (some
//! legacy servers exit on an early request), then the handshake for that era and `tools/list`
//! run on a fresh one. The era is reported, so a caller can remember it.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use serde::Serialize;

use crate::mcp::stdio::{self, Budget, transcript};
use crate::mcp::{Era, Failure, Handshake};

/// What a shim prints on stderr when it runs the server's local command instead of the
/// container (`run_local` in `templates/shim.sh.j2`; a test keeps the two in step).
pub(crate) const LOCAL_MARKER: &str = "UNSANDBOXED";

/// One command to probe.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    /// The name the report carries.
    pub server: String,
    pub program: PathBuf,
    pub args: Vec<OsString>,
    /// The whole environment of the command: nothing else is inherited, as from a client.
    pub env: Vec<(OsString, OsString)>,
    /// Clients often start servers in `/`.
    pub current_dir: PathBuf,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Options {
    /// Bounds the whole probe of one server: every process it starts, the handshake and
    /// `tools/list`.
    pub timeout: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(20),
        }
    }
}

/// Which way the server was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum PathTaken {
    /// It answered, and the shim did not fall back: the server in its container.
    Container,
    /// It answered through the shim's local fallback (unsandboxed).
    Local,
    /// No handshake: the report's `error` says why.
    Failed,
}

impl PathTaken {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            PathTaken::Container => "container",
            PathTaken::Local => "local",
            PathTaken::Failed => "failed",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Report {
    pub server: String,
    pub path: PathTaken,
    /// The protocol era the server speaks, once the probe found it (also on some failures).
    pub era: Option<Era>,
    pub protocol_version: Option<String>,
    /// From starting the command to the handshake's answer (or to the failure).
    pub latency_ms: u64,
    /// From starting the command to the `tools/list` answer (or to the failure).
    pub total_ms: u64,
    pub tools: Option<usize>,
    pub error: Option<String>,
    /// The end of the command's stderr: the shim's log lines and the server's own.
    #[serde(skip)]
    pub stderr: String,
}

impl Report {
    /// A server that was not probed, or could not be.
    pub(crate) fn failed(server: &str, error: &str) -> Self {
        Report {
            server: server.to_string(),
            path: PathTaken::Failed,
            era: None,
            protocol_version: None,
            latency_ms: 0,
            total_ms: 0,
            tools: None,
            error: Some(error.to_string()),
            stderr: String::new(),
        }
    }

    pub(crate) fn ok(&self) -> bool {
        self.path != PathTaken::Failed
    }
}

/// Probes every target at once (each bounded by `options.timeout`, on its own thread);
/// reports in target order.
pub(crate) fn probe_all(targets: &[Target], options: Options) -> Vec<Report> {
    std::thread::scope(|scope| {
        let running: Vec<_> = targets
            .iter()
            .map(|target| scope.spawn(move || probe(target, options)))
            .collect();
        running
            .into_iter()
            .zip(targets)
            .map(|(thread, target)| {
                thread
                    .join()
                    .unwrap_or_else(|_| Report::failed(&target.server, "the probe itself failed"))
            })
            .collect()
    })
}

/// Probes one target.
pub(crate) fn probe(target: &Target, options: Options) -> Report {
    let spawn = || {
        stdio::spawn(
            Command::new(&target.program)
                .args(&target.args)
                .env_clear()
                .envs(target.env.iter().map(|(k, v)| (k, v)))
                // The probe asks for the server path itself; the session keeper in front of
                // it is transparent until a session exists, and only adds a log line.
                .env("MCPGEN_KEEPER", "off")
                .current_dir(&target.current_dir),
        )
    };
    let mut handshake = Handshake::new("mcpgen-probe", None);
    let run = transcript(&mut handshake, spawn, Budget::new(options.timeout));
    let total_ms = millis(run.elapsed);
    match run.result {
        Ok(outcome) => Report {
            server: target.server.clone(),
            path: if run.stderr.contains(LOCAL_MARKER) {
                PathTaken::Local
            } else {
                PathTaken::Container
            },
            era: Some(outcome.era),
            protocol_version: Some(outcome.protocol),
            latency_ms: run.answered.map_or(total_ms, millis),
            total_ms,
            tools: Some(outcome.tools.len()),
            error: None,
            stderr: run.stderr,
        },
        Err(failure) => Report {
            server: target.server.clone(),
            path: PathTaken::Failed,
            era: handshake.era(),
            protocol_version: None,
            latency_ms: run.answered.map_or(total_ms, millis),
            total_ms,
            tools: None,
            error: Some(message(&failure, options.timeout)),
            stderr: run.stderr,
        },
    }
}

/// A shim that cannot reach its server (or a session gate that is full) says why in its
/// error answer: that message is the report's, as it is what a client would show.
fn message(failure: &Failure, timeout: Duration) -> String {
    match failure {
        Failure::Refused { message, .. } if message.starts_with("mcpgen: ") => message
            .rsplit_once(" (-32000)")
            .map_or_else(|| message.clone(), |(text, _)| text.to_string()),
        Failure::TimedOut { during } => format!(
            "no answer within {}s (waiting for `{during}`)",
            timeout.as_secs_f32()
        ),
        other => other.to_string(),
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scripted(mode: &str) -> Target {
        command(
            "python3",
            &[
                concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/tests/fixtures/probe/server.py"
                ),
                mode,
            ],
        )
    }

    fn command(program: &str, args: &[&str]) -> Target {
        Target {
            server: "test".to_string(),
            program: PathBuf::from(program),
            args: args.iter().map(OsString::from).collect(),
            env: vec![("PATH".into(), std::env::var_os("PATH").unwrap_or_default())],
            current_dir: PathBuf::from("/"),
        }
    }

    fn quick() -> Options {
        Options {
            timeout: Duration::from_secs(10),
        }
    }

    #[test]
    fn a_2026_07_28_server_is_reached_with_server_discover() {
        let report = probe(&scripted("modern"), quick());
        assert_eq!(report.error, None, "{}", report.stderr);
        assert_eq!(report.era, Some(Era::Modern));
        assert_eq!(report.protocol_version.as_deref(), Some("2026-07-28"));
        assert_eq!(report.tools, Some(2));
        assert_eq!(report.path, PathTaken::Container);
    }

    #[test]
    fn an_unanswered_discover_means_legacy_on_a_fresh_process() {
        let report = probe(&scripted("silent"), quick());
        assert_eq!(report.error, None, "{}", report.stderr);
        assert_eq!(report.era, Some(Era::Legacy));
        assert_eq!(report.protocol_version.as_deref(), Some("2025-06-18"));
        assert_eq!(report.tools, Some(2));
        // The discovery's wait (a third of the timeout, at most 5 s) was spent first.
        assert!(report.latency_ms >= 3300, "{report:?}");
    }

    #[test]
    fn a_late_answer_to_discover_is_not_taken_for_the_initialize_answer() {
        let report = probe(&scripted("late"), quick());
        assert_eq!(report.error, None, "{}", report.stderr);
        assert_eq!(report.tools, Some(2));
    }

    #[test]
    fn a_refusal_is_reported_with_the_servers_own_reason() {
        let report = probe(&scripted("refuse"), quick());
        assert_eq!(report.path, PathTaken::Failed);
        let error = report.error.unwrap_or_default();
        assert!(
            error.starts_with("mcpgen: MCP server test is unavailable: scripted refusal"),
            "{error}"
        );
    }

    #[test]
    fn a_command_that_dies_is_reported_with_its_last_stderr_line() {
        let report = probe(
            &command("sh", &["-c", "echo starting >&2; echo boom >&2; exit 3"]),
            quick(),
        );
        assert_eq!(report.path, PathTaken::Failed);
        let error = report.error.unwrap_or_default();
        assert!(error.ends_with("stderr: starting boom)"), "{error}");
    }

    #[test]
    fn the_local_marker_on_stderr_means_the_local_path() {
        let script = format!(
            "echo 'WARNING: engine down; running test {LOCAL_MARKER}' >&2; exec python3 {} silent",
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/probe/server.py"
            )
        );
        let report = probe(&command("sh", &["-c", &script]), quick());
        assert_eq!(report.path, PathTaken::Local, "{report:?}");
    }

    #[test]
    fn a_timeout_kills_the_whole_process_group() {
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("pid");
        let script = format!(
            "sleep 300 & echo $! > {}; exec sleep 300",
            pid_file.display()
        );
        let options = Options {
            timeout: Duration::from_millis(800),
        };
        let started = std::time::Instant::now();
        let report = probe(&command("sh", &["-c", &script]), options);
        assert_eq!(report.path, PathTaken::Failed);
        assert!(
            report
                .error
                .unwrap_or_default()
                .contains("no answer within")
        );
        assert!(
            started.elapsed() < Duration::from_secs(8),
            "{:?}",
            started.elapsed()
        );
        let pid = std::fs::read_to_string(&pid_file).unwrap();
        // Gone, or a zombie waiting for its reaper: either way, no longer running. A kill is
        // delivered asynchronously, so give the process a moment to die.
        let running = || {
            let stat =
                std::fs::read_to_string(format!("/proc/{}/stat", pid.trim())).unwrap_or_default();
            let state = stat
                .rsplit(')')
                .next()
                .unwrap_or("")
                .split_whitespace()
                .next()
                .map(str::to_string);
            (!matches!(state.as_deref(), None | Some("Z" | "X"))).then_some(stat)
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(3);
        let mut stat = running();
        while stat.is_some() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
            stat = running();
        }
        assert!(stat.is_none(), "the background sleep survived: {stat:?}");
    }

    #[test]
    fn the_shim_template_prints_the_local_marker_on_fallback() {
        let template = include_str!("../../templates/shim.sh.j2");
        let run_local = template
            .split("run_local() {")
            .nth(1)
            .expect("run_local in the shim template");
        assert!(run_local.contains(LOCAL_MARKER));
    }
}
