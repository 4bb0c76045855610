//! The monitor's output: one JSON object per line on stdout, every key always present (null
//! when it does not apply) so `jq` filters and log pipelines see one stable shape.
//! Failures that stop the healing (a server marked failed and stopped, or one the monitor
//! cannot stop) are also said in words on stderr.

use std::io::Write;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Level {
    Info,
    Warn,
    Error,
}

/// What happened. The names are the `event` values of the log schema (docs/monitor.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Event {
    /// The monitor started (`reason` carries its settings).
    MonitorStarted,
    /// The monitor stopped on SIGTERM/SIGINT.
    MonitorStopped,
    EngineConnected,
    /// The engine stopped answering; probes pause until it is back.
    EngineLost,
    /// A server's container was found (at start, after a reconnection, or when created).
    Discovered,
    /// A server's container was removed.
    Removed,
    /// A probe answered (logged on a change of state, or always with `--verbose`/`--once`).
    ProbeOk,
    ProbeFailed,
    /// The container's main process ended by a crash (not by a person, not by the monitor).
    Died,
    /// The kernel's OOM killer hit a process of the container.
    Oom,
    /// A person (or a tool) stopped the container through the API: it is left alone.
    StoppedByPerson,
    /// It started again without the monitor: by its restart policy or by a person.
    Started,
    Paused,
    Unpaused,
    /// The monitor restarts it (`action` = `restart`), now or after the backoff in `reason`.
    Restart,
    RestartFailed,
    /// The monitor leaves a crash to the container's restart policy (`action` = `wait`).
    Waiting,
    /// The crash-loop cap is reached: the monitor stopped the container, no more restarts
    /// (`action` = `give_up`, `level` = `error`).
    Failed,
    /// The crash-loop cap is reached but the monitor could not stop the container; it tries
    /// again (`action` = `give_up`, `level` = `error`).
    StopFailed,
    /// The status file cannot be written (said once).
    StatusFile,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Action {
    None,
    Restart,
    Wait,
    GiveUp,
}

/// One log line.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Line {
    /// RFC 3339, UTC, milliseconds.
    pub time: String,
    pub level: Level,
    pub event: Event,
    pub server: Option<String>,
    /// The container's short id.
    pub container: Option<String>,
    /// The probe's round trip, exec included.
    pub latency_ms: Option<u64>,
    pub action: Option<Action>,
    pub reason: Option<String>,
    /// Consecutive failed probes so far.
    pub failures: Option<u32>,
    /// Restarts (the monitor's and the engine's) within the window.
    pub restarts: Option<u32>,
    /// The server's state after the event.
    pub state: Option<&'static str>,
}

impl Line {
    pub(crate) fn new(level: Level, event: Event) -> Self {
        Self {
            time: rfc3339(SystemTime::now()),
            level,
            event,
            server: None,
            container: None,
            latency_ms: None,
            action: None,
            reason: None,
            failures: None,
            restarts: None,
            state: None,
        }
    }

    pub(crate) fn server(mut self, name: &str, container: &str) -> Self {
        self.server = Some(name.to_string());
        self.container = Some(short_id(container).to_string());
        self
    }

    pub(crate) fn latency(mut self, latency: Duration) -> Self {
        self.latency_ms = Some(u64::try_from(latency.as_millis()).unwrap_or(u64::MAX));
        self
    }

    pub(crate) fn action(mut self, action: Action) -> Self {
        self.action = Some(action);
        self
    }

    pub(crate) fn reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }

    pub(crate) fn counts(mut self, failures: u32, restarts: u32) -> Self {
        self.failures = Some(failures);
        self.restarts = Some(restarts);
        self
    }

    pub(crate) fn state(mut self, state: &'static str) -> Self {
        self.state = Some(state);
        self
    }
}

/// The first 12 hex digits, as `docker ps` shows them.
pub(crate) fn short_id(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}

/// Writes log lines to stdout.
pub(crate) struct Log {
    /// Log every probe, not only the changes.
    pub verbose: bool,
}

impl Log {
    pub(crate) fn emit(&self, line: &Line) {
        #[cfg(test)]
        if capture::keep(line) {
            return;
        }
        let Ok(mut text) = serde_json::to_string(line) else {
            return;
        };
        text.push('\n');
        // A closed stdout (the reader went away) must not stop the monitor's work.
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(text.as_bytes());
        let _ = stdout.flush();
        if line.level == Level::Error {
            let server = line.server.as_deref().unwrap_or("-");
            let reason = line.reason.as_deref().unwrap_or("");
            eprintln!(
                "mcpgen monitor: ERROR: server `{server}` {}: {reason}",
                match line.event {
                    Event::Failed => "FAILED: the monitor stopped it and no longer restarts it",
                    Event::StopFailed => "FAILED, and the monitor cannot stop it",
                    _ => "needs attention",
                }
            );
        }
    }
}

/// Formats a time as RFC 3339 in UTC with milliseconds (`2026-01-31T12:00:00.123Z`), without a
/// date library: the civil-from-days conversion of Howard Hinnant's `chrono`-compatible
/// algorithms.
pub(crate) fn rfc3339(time: SystemTime) -> String {
    let since_epoch = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since_epoch.as_secs();
    let millis = since_epoch.subsec_millis();
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rest = secs % 86_400;
    let (hour, minute, second) = (rest / 3600, rest % 3600 / 60, rest % 60);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{millis:03}Z")
}

/// The supervisor's tests read what it logged. Per thread: each test's supervisor runs on
/// its own thread (a current-thread runtime), and the test harness runs tests side by side.
#[cfg(test)]
pub(crate) mod capture {
    use std::cell::RefCell;

    use super::Line;

    thread_local! {
        static LINES: RefCell<Option<Vec<Line>>> = const { RefCell::new(None) };
    }

    /// From now on, lines emitted on this thread are kept (and not printed).
    pub(crate) fn start() {
        LINES.with(|lines| *lines.borrow_mut() = Some(Vec::new()));
    }

    /// The lines kept since [`start`], and stops keeping them.
    pub(crate) fn finish() -> Vec<Line> {
        LINES.with(|lines| lines.borrow_mut().take().unwrap_or_default())
    }

    /// Keeps the line when this thread captures; whether it did.
    pub(super) fn keep(line: &Line) -> bool {
        LINES.with(|lines| match lines.borrow_mut().as_mut() {
            Some(kept) => {
                kept.push(line.clone());
                true
            }
            None => false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_rfc3339() {
        let at = |secs: u64, millis: u64| {
            rfc3339(UNIX_EPOCH + Duration::from_secs(secs) + Duration::from_millis(millis))
        };
        assert_eq!(at(0, 0), "1970-01-01T00:00:00.000Z");
        assert_eq!(at(951_782_400, 5), "2000-02-29T00:00:00.005Z");
        assert_eq!(at(1_767_225_599, 999), "2025-12-31T23:59:59.999Z");
        assert_eq!(at(4_102_444_800, 0), "2100-01-01T00:00:00.000Z");
    }

    #[test]
    fn every_key_is_always_present() {
        let line = Line::new(Level::Warn, Event::ProbeFailed)
            .server("memory", "0123456789abcdef")
            .latency(Duration::from_millis(1500))
            .counts(2, 0);
        let value = serde_json::to_value(&line).unwrap();
        let keys: Vec<&str> = value
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "time",
                "level",
                "event",
                "server",
                "container",
                "latency_ms",
                "action",
                "reason",
                "failures",
                "restarts",
                "state"
            ]
        );
        assert_eq!(value["event"], "probe_failed");
        assert_eq!(value["container"], "0123456789ab");
        assert_eq!(value["latency_ms"], 1500);
        assert!(value["action"].is_null());
    }
}
