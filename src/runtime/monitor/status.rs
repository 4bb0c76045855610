//! The status file: what the monitor sees, rewritten atomically on every loop, so the
//! monitor's own compose healthcheck (`mcpgen monitor --check-status FILE`) tests something
//! real — that the loop still turns and the engine still answers — without a network port.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// The file is stale after this many intervals without a rewrite.
pub(crate) const STALE_INTERVALS: u32 = 3;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Status {
    /// RFC 3339, for people.
    pub time: String,
    /// Milliseconds since the Unix epoch, for `--check-status`.
    pub time_ms: u64,
    /// The probe interval, so the check knows how fresh the file must be.
    pub interval_ms: u64,
    pub stack: String,
    /// The monitor is doing its job: the engine answers.
    pub healthy: bool,
    /// `connected`, `disconnected` or `stopped`.
    pub engine: String,
    pub pid: u32,
    pub servers: BTreeMap<String, ServerStatus>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ServerStatus {
    pub state: String,
    pub container: String,
    pub failures: u32,
    pub restarts: u32,
    /// The last good probe's latency.
    pub latency_ms: Option<u64>,
    /// The protocol era its handshake settled on (`legacy`, `modern`), once known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub era: Option<crate::mcp::Era>,
}

pub(crate) fn millis_since_epoch(time: SystemTime) -> u64 {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
}

/// Replaces the file atomically (temp file in the same directory, then rename), so the check
/// never reads half a file; never through a link planted at its name.
pub(crate) fn write(path: &Path, status: &Status) -> std::io::Result<()> {
    use crate::write::disk::{Disk as _, Links, Mode, RealDisk};
    let mut text = serde_json::to_vec_pretty(status).map_err(std::io::Error::other)?;
    text.push(b'\n');
    RealDisk.replace(path, &text, Mode::Exact(0o644), Links::Refuse)
}

/// Why `--check-status` fails.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Unhealthy {
    #[error("cannot read the status file `{path}`: {error}")]
    Unreadable { path: String, error: String },
    #[error(
        "the status file is {age_ms} ms old, more than {STALE_INTERVALS} intervals of {interval_ms} ms: the monitor's loop is stuck or gone"
    )]
    Stale { age_ms: u64, interval_ms: u64 },
    #[error("the monitor reports itself unhealthy (engine: {engine})")]
    NotHealthy { engine: String },
}

/// Checks a status file at `now`: fresh (within [`STALE_INTERVALS`] intervals) and healthy.
pub(crate) fn check(path: &Path, now: SystemTime) -> Result<Status, Unhealthy> {
    let unreadable = |error: String| Unhealthy::Unreadable {
        path: path.display().to_string(),
        error,
    };
    // A status file is a few hundred bytes; a bigger one is not the monitor's.
    let text = crate::source::read_input(path, 1 << 20).map_err(|e| unreadable(e.to_string()))?;
    let status: Status = serde_json::from_slice(&text).map_err(|e| unreadable(e.to_string()))?;
    let now_ms = millis_since_epoch(now);
    let age_ms = now_ms.saturating_sub(status.time_ms);
    let limit = Duration::from_millis(status.interval_ms).saturating_mul(STALE_INTERVALS);
    if u128::from(age_ms) > limit.as_millis() {
        return Err(Unhealthy::Stale {
            age_ms,
            interval_ms: status.interval_ms,
        });
    }
    if !status.healthy {
        return Err(Unhealthy::NotHealthy {
            engine: status.engine,
        });
    }
    Ok(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(at: SystemTime, healthy: bool) -> Status {
        Status {
            time: super::super::log::rfc3339(at),
            time_ms: millis_since_epoch(at),
            interval_ms: 2000,
            stack: "mcp".to_string(),
            healthy,
            engine: if healthy { "connected" } else { "disconnected" }.to_string(),
            pid: 1,
            servers: BTreeMap::from([(
                "memory".to_string(),
                ServerStatus {
                    state: "healthy".to_string(),
                    container: "0123456789ab".to_string(),
                    failures: 0,
                    restarts: 0,
                    latency_ms: Some(420),
                    era: Some(crate::mcp::Era::Legacy),
                },
            )]),
        }
    }

    #[test]
    fn fresh_and_healthy_passes_stale_or_unhealthy_fails() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("monitor.status");
        let t0 = SystemTime::now();
        write(&path, &status(t0, true)).unwrap();
        assert!(check(&path, t0 + Duration::from_secs(5)).is_ok());
        assert!(matches!(
            check(&path, t0 + Duration::from_millis(6001)),
            Err(Unhealthy::Stale { .. })
        ));
        write(&path, &status(t0, false)).unwrap();
        assert_eq!(
            check(&path, t0).unwrap_err(),
            Unhealthy::NotHealthy {
                engine: "disconnected".to_string()
            }
        );
    }

    #[test]
    fn a_missing_or_garbled_file_fails() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("monitor.status");
        assert!(matches!(
            check(&path, SystemTime::now()),
            Err(Unhealthy::Unreadable { .. })
        ));
        std::fs::write(&path, "{").unwrap();
        assert!(matches!(
            check(&path, SystemTime::now()),
            Err(Unhealthy::Unreadable { .. })
        ));
    }
}
