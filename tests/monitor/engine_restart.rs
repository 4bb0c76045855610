//! The engine's API service goes away and comes back (`scripts/engine-down` /
//! `scripts/engine-up`): the monitor reconnects and carries on — including with a crash that
//! happened while it could not see.
//!
//! The monitor talks to a private API service on its own socket, so stopping it disturbs no
//! other test or engineer; its containers are the same (Podman's storage is shared), and the
//! guard always brings nothing down but that private service.

use std::time::{Duration, Instant};

use crate::support::{
    Monitor, PrivateEngine, Server, Stack, host_kill, measure, secs, serial, state,
};

#[test]
fn the_monitor_reconnects_after_the_engine_restarts() {
    let _serial = serial();
    let engine = PrivateEngine::start("restart");
    let stack = Stack::new("engine", "", &[Server::fake("fake")]).up(&["fake"]);
    let container = stack.container("fake");
    let status_file = stack.path().join("monitor.status");
    let status_arg = status_file.to_string_lossy().into_owned();
    let mut monitor = Monitor::start(
        &stack.name,
        &engine.socket,
        &["--interval", "2s", "--status-file", &status_arg],
    );
    let from = monitor.wait_healthy("fake", Duration::from_secs(20));

    let down = Instant::now();
    engine.down();
    let (at, lost) = monitor.wait_for("engine_lost", from, Duration::from_secs(20), |s| {
        s.event() == "engine_lost"
    });
    measure("engine loss noticed after", &secs(lost.at - down));
    // The status file turns unhealthy, so the monitor's own healthcheck says so.
    crate::support::wait_until(
        "an unhealthy status",
        Duration::from_secs(10),
        || monitor.context(),
        || {
            let status: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&status_file).ok()?).ok()?;
            (status["healthy"] == false).then_some(())
        },
    );
    // A crash while the engine's API is away: the monitor outlives it.
    let pid = host_kill(&container);
    crate::support::wait_until(
        "the container's process gone",
        Duration::from_secs(10),
        || monitor.context(),
        || crate::support::process_gone(pid).then_some(()),
    );
    assert!(monitor.alive(), "{}", monitor.context());

    let up = Instant::now();
    engine.up();
    let (at, connected) = monitor.wait_for("engine_connected", at, Duration::from_secs(30), |s| {
        s.event() == "engine_connected"
    });
    measure(
        "reconnected after the engine came back",
        &secs(connected.at - up),
    );
    assert!(
        connected.reason().contains("back after"),
        "{:?}",
        connected.line
    );
    // The crash is seen from the replayed events, and healed.
    let (at, _) = monitor.wait_for("the restart", at, Duration::from_secs(20), |s| {
        s.event() == "restart" && s.action() == "restart" && s.server() == "fake"
    });
    let (_, ok) = monitor.wait_event("probe_ok", "fake", at, Duration::from_secs(20));
    measure(
        "crash during the outage healed, from engine-up",
        &secs(ok.at - up),
    );
    assert_eq!(state(&container), "running");
    let check = std::process::Command::new(crate::support::mcpgen())
        .args(["monitor", "--check-status", &status_arg])
        .output()
        .unwrap();
    assert!(check.status.success(), "{}", crate::support::text(&check));

    // And it carries on: a new crash is healed as before.
    let from = monitor.lines().len();
    host_kill(&container);
    let (at, _) = monitor.wait_for("another restart", from, Duration::from_secs(20), |s| {
        s.event() == "restart" && s.action() == "restart"
    });
    monitor.wait_event("probe_ok", "fake", at, Duration::from_secs(20));
    assert_eq!(monitor.stop(), Some(0));
}
