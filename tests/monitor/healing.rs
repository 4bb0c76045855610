//! Crashes and hangs are healed; a server that cannot be healed is reported, not restarted
//! forever.

use std::time::{Duration, Instant};

use crate::support::{
    Monitor, SHARED_SOCKET, Server, Stack, docker, host_kill, measure, secs, serial, state, text,
};

/// Kill PID 1 of a container whose restart policy is `no`: the monitor sees the `die` at
/// once, restarts it, and a probe answers again. Returns the time from kill to that answer.
fn kill_and_recover(test: &str, interval: &str) -> Duration {
    let _serial = serial();
    let stack = Stack::new(test, "", &[Server::fake("fake")]).up(&["fake"]);
    let container = stack.container("fake");
    let mut monitor = Monitor::start(&stack.name, SHARED_SOCKET, &["--interval", interval]);
    let from = monitor.wait_healthy("fake", Duration::from_secs(20));

    let killed = Instant::now();
    host_kill(&container);
    let (at, died) = monitor.wait_event("died", "fake", from, Duration::from_secs(20));
    assert!(died.reason().contains("exit code 137"), "{:?}", died.line);
    let (at, restart) = monitor.wait_for("the restart", at, Duration::from_secs(20), |s| {
        s.event() == "restart" && s.action() == "restart"
    });
    assert_eq!(restart.server(), "fake");
    let (_, ok) = monitor.wait_event("probe_ok", "fake", at, Duration::from_secs(30));
    let recovery = ok.at - killed;
    assert_eq!(state(&container), "running");

    // SIGTERM ends the monitor cleanly, leaving the stack as it is.
    assert_eq!(monitor.stop(), Some(0), "{}", monitor.context());
    assert!(
        monitor
            .lines()
            .iter()
            .any(|s| s.event() == "monitor_stopped"),
        "{}",
        monitor.context()
    );
    assert_eq!(state(&container), "running");
    recovery
}

#[test]
fn a_killed_server_is_restarted_interval_2s() {
    let recovery = kill_and_recover("kill2", "2s");
    measure("recovery after kill, interval 2s", &secs(recovery));
    assert!(
        recovery < Duration::from_secs(6),
        "recovery took {recovery:?}, more than 3 intervals of 2s"
    );
}

#[test]
fn a_killed_server_is_restarted_default_interval() {
    let recovery = kill_and_recover("kill10", "10s");
    measure("recovery after kill, interval 10s", &secs(recovery));
    assert!(
        recovery < Duration::from_secs(30),
        "recovery took {recovery:?}, more than 3 intervals of 10s"
    );
}

/// A server whose exec'd process stops answering: probes time out, the monitor restarts it
/// after `failures` of them. Returns the time from the hang to the next good answer.
fn hang_and_recover(test: &str, interval: &str) -> Duration {
    let _serial = serial();
    let stack = Stack::new(test, "", &[Server::hangable("hung")]).up(&["hung"]);
    let container = stack.container("hung");
    let monitor = Monitor::start(&stack.name, SHARED_SOCKET, &["--interval", interval]);
    let from = monitor.wait_healthy("hung", Duration::from_secs(20));

    let hung = Instant::now();
    let touch = docker(&["exec", &container, "touch", "/tmp/hang"]);
    assert!(touch.status.success(), "{}", text(&touch));
    let (at, restart) = monitor.wait_for("the restart", from, Duration::from_secs(60), |s| {
        s.event() == "restart" && s.action() == "restart"
    });
    assert!(
        restart.reason().contains("3 consecutive failed probe(s)"),
        "{:?}",
        restart.line
    );
    let failures: Vec<_> = monitor.lines()[from..at]
        .iter()
        .filter(|s| s.event() == "probe_failed")
        .map(|s| s.reason().to_string())
        .collect();
    assert_eq!(failures.len(), 3, "{failures:?}");
    assert!(
        failures.iter().all(|r| r.starts_with("no answer within")),
        "{failures:?}"
    );
    let (_, ok) = monitor.wait_event("probe_ok", "hung", at, Duration::from_secs(30));
    ok.at - hung
}

#[test]
fn a_hung_server_is_restarted_after_failures_interval_2s() {
    let recovery = hang_and_recover("hang2", "2s");
    measure(
        "recovery after hang (probe timeouts), interval 2s, failures 3",
        &secs(recovery),
    );
    assert!(recovery < Duration::from_secs(10), "took {recovery:?}");
}

#[test]
fn a_hung_server_is_restarted_after_failures_default_interval() {
    let recovery = hang_and_recover("hang10", "10s");
    measure(
        "recovery after hang (probe timeouts, 5s each), interval 10s, failures 3",
        &secs(recovery),
    );
    // After a failed probe the next comes half an interval later (5 s, the probe timeout), so
    // three failures take at most an interval plus three timeouts: within 3 intervals.
    assert!(recovery < Duration::from_secs(30), "took {recovery:?}");
}

/// `docker pause` freezes the whole container: exec is refused at once, the monitor restarts
/// it (Podman cannot restart a paused container: the monitor unpauses it first).
#[test]
fn a_paused_server_is_restarted_interval_2s() {
    let _serial = serial();
    let stack = Stack::new("pause", "", &[Server::fake("frozen")]).up(&["frozen"]);
    let container = stack.container("frozen");
    let monitor = Monitor::start(&stack.name, SHARED_SOCKET, &["--interval", "2s"]);
    let from = monitor.wait_healthy("frozen", Duration::from_secs(20));

    let paused = Instant::now();
    let pause = docker(&["pause", &container]);
    assert!(pause.status.success(), "{}", text(&pause));
    let (at, _) = monitor.wait_for("the restart", from, Duration::from_secs(30), |s| {
        s.event() == "restart" && s.action() == "restart"
    });
    let (_, ok) = monitor.wait_event("probe_ok", "frozen", at, Duration::from_secs(30));
    let recovery = ok.at - paused;
    measure(
        "recovery after docker pause, interval 2s, failures 3",
        &secs(recovery),
    );
    assert_eq!(state(&container), "running");
    assert!(recovery < Duration::from_secs(10), "took {recovery:?}");
}

/// A server that always crashes: the monitor restarts it `max_restarts` times, then says it
/// failed, stops restarting it, and keeps running (and healthy) itself. The same for a
/// container the engine restarts in a tight loop by its own restart policy.
#[test]
fn a_crash_loop_stops_at_max_restarts() {
    let _serial = serial();
    let looping = Server {
        // The idle keeper itself exits at once; Podman's `unless-stopped` restarts it without
        // backoff, and the monitor only counts.
        keepalive: Some(r#"["sh", "-c", "sleep 0.2; exit 3"]"#),
        restart: "unless-stopped",
        ..Server::fake("looping")
    };
    let crashing = Server {
        env: r#"{ FAKE_MCP_MODE = "crash" }"#,
        ..Server::fake("crashing")
    };
    let stack = Stack::new("crash", "", &[crashing, looping]).up(&["crashing"]);
    let status_file = stack.path().join("monitor.status");
    let status_arg = status_file.to_string_lossy().into_owned();
    let mut monitor = Monitor::start(
        &stack.name,
        SHARED_SOCKET,
        &[
            "--interval",
            "1s",
            "--failures",
            "2",
            "--max-restarts",
            "2",
            "--window",
            "10m",
            "--status-file",
            &status_arg,
        ],
    );
    let started = Instant::now();
    let (at, failed) = monitor.wait_event("failed", "crashing", 0, Duration::from_secs(60));
    measure(
        "crash loop (probe failures) reported failed after, interval 1s, failures 2, max_restarts 2",
        &secs(failed.at - started),
    );
    assert_eq!(failed.action(), "give_up");
    assert_eq!(failed.line["level"], "error");
    assert!(
        failed.reason().contains("max_restarts = 2"),
        "{:?}",
        failed.line
    );
    let restarts = |lines: &[crate::support::Seen]| {
        lines
            .iter()
            .filter(|s| {
                s.server() == "crashing" && s.event() == "restart" && s.action() == "restart"
            })
            .count()
    };
    assert_eq!(restarts(&monitor.lines()), 2, "{}", monitor.context());
    assert!(
        monitor.stderr().contains("`crashing` FAILED"),
        "said loudly on stderr too:\n{}",
        monitor.stderr()
    );

    let (_, looped) = monitor.wait_event("failed", "looping", 0, Duration::from_secs(60));
    assert!(
        looped.reason().contains("max_restarts = 2"),
        "{:?}",
        looped.line
    );
    assert!(looped.reason().contains("exit code 3"), "{:?}", looped.line);

    // Five more intervals: still probed, never restarted again; the monitor itself is fine.
    let more = monitor.lines().len();
    monitor.wait_for("more probes", at, Duration::from_secs(20), |s| {
        s.server() == "crashing"
            && s.event() == "probe_failed"
            && s.at > failed.at + Duration::from_secs(5)
    });
    assert_eq!(restarts(&monitor.lines()), 2, "{}", monitor.context());
    assert!(
        !monitor.lines()[more..]
            .iter()
            .any(|s| s.event() == "restart" && s.action() == "restart"),
        "{}",
        monitor.context()
    );
    assert!(monitor.alive(), "the monitor stays up");
    let status: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&status_file).expect("status file")).unwrap();
    assert_eq!(
        status["servers"]["crashing"]["state"],
        "failed",
        "{status}\n{}",
        monitor.context()
    );
    assert_eq!(
        status["servers"]["looping"]["state"],
        "failed",
        "{status}\n{}",
        monitor.context()
    );
    assert_eq!(
        status["healthy"], true,
        "failed servers do not make the monitor unhealthy"
    );
    let check = std::process::Command::new(crate::support::mcpgen())
        .args(["monitor", "--check-status", &status_arg])
        .output()
        .unwrap();
    assert!(check.status.success(), "{}", text(&check));
    assert_eq!(monitor.stop(), Some(0));
}
