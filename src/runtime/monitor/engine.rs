//! What the monitor asks of a container engine ([`Engine`]), and what it reads back: the stack's
//! containers by label, their events, probe outcomes. [`super::docker`] serves it through the
//! Docker Engine API; the supervisor's unit tests script a fake.

use std::collections::HashMap;
use std::time::Duration;

use futures_util::stream::BoxStream;

use crate::mcp::Era;
use crate::model::contract::HELPER_PATH;
pub(crate) use crate::model::contract::ProbeKind;
use crate::model::contract::{LABEL_COMMAND, LABEL_PROBE, LABEL_SERVER, LABEL_STACK};

/// The most of a helper's output the monitor keeps: its report is one short line.
pub(super) const HELPER_OUTPUT_LIMIT: usize = 16 << 10;

/// Which engine serves the API: they order a container's events differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    Docker,
    Podman,
}

/// A failed API call.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub(crate) struct EngineError {
    pub message: String,
    /// The engine did not answer at all (as opposed to answering with an error).
    pub unreachable: bool,
}

impl EngineError {
    pub(super) fn new(message: impl Into<String>, unreachable: bool) -> Self {
        Self {
            message: message.into(),
            unreachable,
        }
    }
}

/// The container's state, as the engine reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RunState {
    Running,
    Paused,
    Restarting,
    Stopped,
}

impl RunState {
    /// Its main process is alive (a paused container is alive but frozen: probes fail).
    pub(crate) fn is_up(self) -> bool {
        matches!(self, RunState::Running | RunState::Paused)
    }
}

/// One server's container, from its labels.
#[derive(Debug, Clone)]
pub(crate) struct Container {
    pub id: String,
    /// The container's name (`mcp-memory`), for messages; the short id when unknown.
    pub name: String,
    pub stack: String,
    pub server: String,
    pub command: Vec<String>,
    pub probe: ProbeKind,
    pub state: RunState,
}

/// A container event, reduced to what the supervisor reads.
#[derive(Debug, Clone)]
pub(crate) struct ContainerEvent {
    pub id: String,
    pub action: String,
    pub attributes: HashMap<String, String>,
    /// Nanoseconds since the epoch, by the engine's clock.
    pub time_nano: i64,
}

/// The outcome of one probe.
#[derive(Debug, Clone)]
pub(crate) enum ProbeOutcome {
    Ok {
        latency: Duration,
        detail: String,
        /// The protocol era the handshake settled on, for the monitor to remember.
        era: Option<Era>,
    },
    Failed {
        latency: Duration,
        reason: String,
    },
    /// The engine did not answer: this says nothing about the server.
    EngineDown(String),
    /// The container is gone.
    Gone,
    /// The container stopped while it was probed: its `die` event tells the rest.
    NotRunning,
}

/// What the supervisor asks of the container engine. [`DockerApi`] serves it through the
/// Docker Engine API; the supervisor's unit tests script a fake, so its state machine is tested
/// without an engine (the real one is the end-to-end suites' business).
///
/// Cheap to clone: spawned probes, restarts and stops each hold one. The futures are `Send` so
/// that those can be spawned.
pub(crate) trait Engine: Clone + Send + Sync + 'static {
    /// Which engine serves the API: they order a container's events differently.
    fn flavor(&self) -> Flavor;

    /// `Podman Engine 4.3.1 (API 1.41)`, for the log.
    fn description(&self) -> &str;

    /// Whether the engine answers at all.
    fn ping(&self) -> impl Future<Output = Result<(), EngineError>> + Send;

    /// The stack's server containers, running or not. The monitor's own container carries the
    /// stack label but no server label, so it is never among them.
    fn containers(
        &self,
        stack: &str,
    ) -> impl Future<Output = Result<Vec<Container>, EngineError>> + Send;

    /// One container by id, if it is one of the stack's servers.
    fn container(
        &self,
        id: &str,
        stack: &str,
    ) -> impl Future<Output = Result<Option<Container>, EngineError>> + Send;

    /// The container's restart policy: `no`, `always`, `unless-stopped` or `on-failure`.
    fn restart_policy(&self, id: &str) -> impl Future<Output = Result<String, EngineError>> + Send;

    /// The stack's container events from now on, or replayed from `since_secs` (after a
    /// reconnection, so a crash while the engine was away is still seen). Boxed: the stream
    /// outlives the borrows of the call (a spawned task reads it), which an `impl Stream` in a
    /// trait can only say (`use<..>`) from Rust 1.87 on.
    fn events(
        &self,
        stack: &str,
        since_secs: Option<i64>,
    ) -> BoxStream<'static, Result<ContainerEvent, EngineError>>;

    /// Probes a server's container within `timeout`, at the MCP level. `era` is what the
    /// monitor remembers of the server (`None`: the probe discovers it).
    fn probe(
        &self,
        container: &Container,
        timeout: Duration,
        era: Option<Era>,
    ) -> impl Future<Output = ProbeOutcome> + Send;

    /// Restarts a server's container (starts it, when stopped), after checking that it belongs
    /// to `stack`.
    fn restart(
        &self,
        id: &str,
        stack: &str,
    ) -> impl Future<Output = Result<(), EngineError>> + Send;

    /// Stops a server's container that the monitor gave up on, after checking that it belongs
    /// to `stack`, and makes sure it stays stopped; returns how many stops it took. When its
    /// restart policy restarts it (`restarts`), it is watched for `settle` after each stop,
    /// and stopped again whenever it runs again.
    fn halt(
        &self,
        id: &str,
        stack: &str,
        restarts: bool,
        settle: Duration,
    ) -> impl Future<Output = Result<u32, EngineError>> + Send;
}

/// Makes the connection the supervisor uses, at start and again whenever the engine went away.
pub(crate) trait Connect {
    type Engine: Engine;

    fn connect(&self) -> impl Future<Output = Result<Self::Engine, EngineError>> + Send;
}

/// Reads a server container's labels; `None` for anything that is not a server of `stack`.
pub(super) fn container_from_labels(
    id: String,
    name: Option<String>,
    labels: &HashMap<String, String>,
    stack: &str,
    state: RunState,
) -> Option<Container> {
    if labels.get(LABEL_STACK).map(String::as_str) != Some(stack) {
        return None;
    }
    let server = labels.get(LABEL_SERVER)?.clone();
    let command = labels
        .get(LABEL_COMMAND)
        .and_then(|json| serde_json::from_str::<Vec<String>>(json).ok())
        .unwrap_or_default();
    let probe = ProbeKind::from_label(labels.get(LABEL_PROBE).map(String::as_str));
    let name = name
        .map(|n| n.trim_start_matches('/').to_string())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| super::log::short_id(&id).to_string());
    Some(Container {
        id,
        name,
        stack: stack.to_string(),
        server,
        command,
        probe,
        state,
    })
}

/// What the helper's `health --json` said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct HelperReport {
    pub(super) detail: String,
    pub(super) era: Option<Era>,
}

/// Keeps what fits in the limit; whether everything did. The stream is read no further than
/// the limit by the caller, so a flood costs the monitor nothing but the bytes kept.
pub(super) fn keep_bounded(kept: &mut Vec<u8>, bytes: &[u8]) -> bool {
    let room = HELPER_OUTPUT_LIMIT.saturating_sub(kept.len());
    kept.extend_from_slice(&bytes[..bytes.len().min(room)]);
    bytes.len() <= room
}

/// Reads the helper's report: its exit code decides, its JSON line says why.
pub(super) fn helper_report(
    exit: Option<i64>,
    stdout: &[u8],
    stderr: &[u8],
) -> Result<HelperReport, String> {
    let text = String::from_utf8_lossy(stdout);
    let report = text
        .lines()
        .rev()
        .find_map(|line| serde_json::from_str::<serde_json::Value>(line).ok());
    let Some(report) = report else {
        let said = String::from_utf8_lossy(stderr);
        let said = said.split_whitespace().collect::<Vec<_>>().join(" ");
        return Err(match exit {
            // The exec's own "not found": the container has no helper (an older stack).
            Some(126 | 127) => format!(
                "mcpgen's helper is not in the container at {HELPER_PATH} (exit {}): {said}",
                exit.unwrap_or_default()
            ),
            _ => format!("the health helper gave no report (exit {exit:?}): {said}"),
        });
    };
    let era = report
        .get("era")
        .and_then(|e| e.as_str())
        .and_then(Era::parse);
    if exit == Some(0) && report["ok"] == serde_json::Value::Bool(true) {
        let detail = match report.get("exists").and_then(|e| e.as_str()) {
            Some(path) => format!("`{path}` is present"),
            None => {
                let server = report["server"]
                    .as_str()
                    .map(|s| format!("{s}, "))
                    .unwrap_or_default();
                format!(
                    "{server}{} protocol {}, {} tools",
                    report["era"].as_str().unwrap_or("?"),
                    report["protocol"].as_str().unwrap_or("?"),
                    report["tools"]
                )
            }
        };
        Ok(HelperReport { detail, era })
    } else {
        Err(report["error"]
            .as_str()
            .unwrap_or("the health helper reported a failure")
            .to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect()
    }

    #[test]
    fn reads_a_server_from_its_labels() {
        let found = container_from_labels(
            "abc".to_string(),
            Some("/mcp-github".to_string()),
            &labels(&[
                (LABEL_STACK, "mcp"),
                (LABEL_SERVER, "github"),
                (LABEL_COMMAND, r#"["/server/github-mcp-server","stdio"]"#),
                (LABEL_PROBE, "exists"),
            ]),
            "mcp",
            RunState::Running,
        )
        .unwrap();
        assert_eq!(found.server, "github");
        assert_eq!(found.name, "mcp-github");
        assert_eq!(found.command, ["/server/github-mcp-server", "stdio"]);
        assert_eq!(found.probe, ProbeKind::Exists);
    }

    #[test]
    fn helper_reports_are_read_by_exit_code_and_json() {
        let ok = br#"{"ok":true,"era":"legacy","protocol":"2025-06-18","server":"fs","tools":14,"millis":300}"#;
        assert_eq!(
            helper_report(Some(0), ok, b""),
            Ok(HelperReport {
                detail: "fs, legacy protocol 2025-06-18, 14 tools".to_string(),
                era: Some(Era::Legacy)
            })
        );
        let failed = br#"{"ok":false,"era":"modern","error":"no answer to `tools/list` in time"}"#;
        assert_eq!(
            helper_report(Some(1), failed, b""),
            Err("no answer to `tools/list` in time".to_string())
        );
        let missing = helper_report(Some(127), b"", b"exec failed: no such file");
        assert!(missing.is_err_and(|m| m.contains("helper is not in the container")));
    }

    #[test]
    fn ignores_other_stacks_and_the_monitor_itself() {
        let other = labels(&[(LABEL_STACK, "other"), (LABEL_SERVER, "memory")]);
        assert!(
            container_from_labels("a".into(), None, &other, "mcp", RunState::Running).is_none()
        );
        let monitor = labels(&[(LABEL_STACK, "mcp")]);
        assert!(
            container_from_labels("b".into(), None, &monitor, "mcp", RunState::Running).is_none()
        );
    }

    #[test]
    fn a_flood_is_cut_at_the_limit() {
        let mut kept = Vec::new();
        assert!(keep_bounded(&mut kept, &[b'x'; 1024]));
        assert!(!keep_bounded(&mut kept, &vec![b'x'; HELPER_OUTPUT_LIMIT]));
        assert_eq!(kept.len(), HELPER_OUTPUT_LIMIT);
    }
}
