//! Crashes and hangs are healed; a server that cannot be healed is reported, not restarted
//! forever.

use std::time::{Duration, Instant};

use crate::support::{
    FAKE_IMAGE, Monitor, SHARED_SOCKET, Seen, Server, Stack, docker, engine_kind, engine_view,
    host_kill, measure, secs, serial, state, stdout, text,
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
    measure(
        &format!("{}: recovery after kill, interval 2s", engine_kind().name()),
        &secs(recovery),
    );
    assert!(
        recovery < Duration::from_secs(6),
        "recovery took {recovery:?}, more than 3 intervals of 2s"
    );
}

#[test]
fn a_killed_server_is_restarted_default_interval() {
    let recovery = kill_and_recover("kill10", "10s");
    measure(
        &format!(
            "{}: recovery after kill, interval 10s",
            engine_kind().name()
        ),
        &secs(recovery),
    );
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
    // The helper's own deadline (`no answer to `initialize` in time`), or the monitor's.
    assert!(
        failures
            .iter()
            .all(|r| r.contains("in time") || r.starts_with("no answer within")),
        "{failures:?}"
    );
    let (_, ok) = monitor.wait_event("probe_ok", "hung", at, Duration::from_secs(30));
    ok.at - hung
}

#[test]
fn a_hung_server_is_restarted_after_failures_interval_2s() {
    let recovery = hang_and_recover("hang2", "2s");
    measure(
        &format!(
            "{}: recovery after hang (probe timeouts), interval 2s, failures 3",
            engine_kind().name()
        ),
        &secs(recovery),
    );
    assert!(recovery < Duration::from_secs(10), "took {recovery:?}");
}

#[test]
fn a_hung_server_is_restarted_after_failures_default_interval() {
    let recovery = hang_and_recover("hang10", "10s");
    measure(
        &format!(
            "{}: recovery after hang (probe timeouts, 5s each), interval 10s, failures 3",
            engine_kind().name()
        ),
        &secs(recovery),
    );
    // After a failed probe the next comes half an interval later (5 s, the probe timeout), so
    // three failures take at most an interval plus three timeouts: within 3 intervals.
    assert!(recovery < Duration::from_secs(30), "took {recovery:?}");
}

/// `docker pause` freezes the whole container: the monitor acts on the `pause` event (a paused
/// server cannot answer: a failed probe at once), re-checks within a fraction of an interval, and
/// restarts it after `failures` of them (Podman cannot restart a paused container: the monitor
/// unpauses it first). The whole recovery stays within 3 intervals.
#[test]
fn a_paused_server_is_restarted_interval_2s() {
    let _serial = serial();
    let engine = engine_kind().name();
    let stack = Stack::new("pause", "", &[Server::fake("frozen")]).up(&["frozen"]);
    let container = stack.container("frozen");
    let interval = Duration::from_secs(2);
    let monitor = Monitor::start(&stack.name, SHARED_SOCKET, &["--interval", "2s"]);
    let from = monitor.wait_healthy("frozen", Duration::from_secs(20));

    let paused = Instant::now();
    let pause = docker(&["pause", &container]);
    assert!(pause.status.success(), "{}", text(&pause));
    let (at, seen) = monitor.wait_event("paused", "frozen", from, Duration::from_secs(10));
    assert_eq!(
        seen.line["failures"], 1,
        "a failed probe at once: {:?}",
        seen.line
    );
    let (at, restart) = monitor.wait_for("the restart", at, Duration::from_secs(30), |s| {
        s.event() == "restart" && s.action() == "restart"
    });
    assert!(
        restart.reason().contains("3 consecutive failed probe(s)"),
        "{:?}",
        restart.line
    );
    let (_, ok) = monitor.wait_event("probe_ok", "frozen", at, Duration::from_secs(30));
    let recovery = ok.at - paused;
    measure(
        &format!("{engine}: recovery after docker pause, interval 2s, failures 3"),
        &secs(recovery),
    );
    measure(
        &format!("{engine}: docker pause → the monitor's restart, interval 2s, failures 3"),
        &secs(restart.at - paused),
    );
    assert_eq!(state(&container), "running");
    assert!(
        recovery <= 3 * interval,
        "recovery took {recovery:?}, more than 3 intervals of 2s\n{}",
        monitor.context()
    );
}

/// The container's state and restart count, as the engine reports them.
fn state_and_restarts(container: &str) -> (String, u64) {
    let out = stdout(&docker(&[
        "inspect",
        "-f",
        "{{.State.Status}} {{.RestartCount}}",
        container,
    ]));
    let (status, count) = out.split_once(' ').unwrap_or((&out, ""));
    let count = count
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("no restart count for {container}: {out}"));
    (status.to_string(), count)
}

/// Asserts that each container stays stopped, its restart count still, for `hold`: polled, so
/// the first restart fails the test at once. A hold, not a wait: what it guards against is the
/// engine's restart policy, which acts on its own clock and says nothing when it does not act.
fn stay_stopped(containers: &[String], hold: Duration, context: impl Fn() -> String) {
    let before: Vec<(String, u64)> = containers.iter().map(|c| state_and_restarts(c)).collect();
    for (container, (status, _)) in containers.iter().zip(&before) {
        assert_eq!(
            status,
            "exited",
            "{container} is not stopped\n{}",
            context()
        );
    }
    let until = Instant::now() + hold;
    while Instant::now() < until {
        for (container, was) in containers.iter().zip(&before) {
            let now = state_and_restarts(container);
            assert_eq!(
                &now,
                was,
                "{container} did not stay stopped after the monitor gave up (state, restart \
                 count)\n{}",
                context()
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The give-up line: at error level, saying that the container was stopped and how to bring it
/// back.
fn assert_loud_give_up(failed: &Seen, server: &str, container: &str) {
    assert_eq!(failed.action(), "give_up", "{:?}", failed.line);
    assert_eq!(failed.line["level"], "error", "{:?}", failed.line);
    assert_eq!(failed.line["state"], "failed", "{:?}", failed.line);
    let reason = failed.reason();
    assert!(reason.contains("max_restarts = 2"), "{reason}");
    assert!(reason.contains("stopped its container"), "{reason}");
    assert!(
        reason.contains(&format!("`docker compose up -d {server}`")),
        "{reason}"
    );
    assert!(
        reason.contains(&format!("`docker start {container}`")),
        "{reason}"
    );
}

/// A server that always crashes: the monitor restarts it `max_restarts` times, then gives up:
/// it stops the container through the API (which keeps its restart policy from restarting it:
/// Podman's `unless-stopped` has no backoff and would loop hundreds of times a minute), says so
/// loudly, marks it failed, and keeps running (and healthy) itself. The container stays stopped
/// until a person starts it; then it is watched again, with a fresh budget. The same for a server
/// whose probes crash (restart policy `no`) and for a container the engine restarts in a tight
/// loop by its own restart policy.
#[test]
fn a_crash_loop_stops_at_max_restarts() {
    let _serial = serial();
    let engine = engine_kind().name();
    let crashing = Server {
        env: r#"{ FAKE_MCP_MODE = "crash" }"#,
        ..Server::fake("crashing")
    };
    let stack = Stack::new("crash", "", &[crashing]).up(&["crashing"]);
    let containers = [stack.container("crashing"), stack.container("looping")];
    // A server whose main process exits at once, restart policy `unless-stopped`: the engine
    // restarts it in a loop (Podman without backoff) and the monitor only counts. mcpgen's
    // containers idle on the helper, which never exits; this one is made by hand, with the
    // labels of the stack's servers and the stack's helper volume, for the probes (the stack's
    // teardown removes it).
    let helper = stdout(&docker(&[
        "inspect",
        "-f",
        r#"{{range .Mounts}}{{if eq .Destination "/opt/mcpgen"}}{{.Name}}{{end}}{{end}}"#,
        &containers[0],
    ]));
    assert!(!helper.is_empty(), "{}", engine_view(&stack.name));
    let run = docker(&[
        "run",
        "-d",
        "--name",
        &containers[1],
        "--volume",
        &format!("{helper}:/opt/mcpgen:ro"),
        "--label",
        &format!("dev.mcpgen.stack={}", stack.name),
        "--label",
        "dev.mcpgen.server=looping",
        "--label",
        r#"dev.mcpgen.command=["fake-mcp-server"]"#,
        "--restart",
        "unless-stopped",
        FAKE_IMAGE,
        "sh",
        "-c",
        "sleep 0.2; exit 3",
    ]);
    assert!(run.status.success(), "{}", text(&run));
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
    let (_, failed) = monitor.wait_event("failed", "crashing", 0, Duration::from_secs(60));
    measure(
        &format!(
            "{engine}: crash loop (probe failures) reported failed and stopped after, interval \
             1s, failures 2, max_restarts 2"
        ),
        &secs(failed.at - started),
    );
    assert_loud_give_up(&failed, "crashing", &containers[0]);
    let restarts = |lines: &[Seen], server: &str| {
        lines
            .iter()
            .filter(|s| s.server() == server && s.event() == "restart" && s.action() == "restart")
            .count()
    };
    assert_eq!(
        restarts(&monitor.lines(), "crashing"),
        2,
        "{}",
        monitor.context()
    );
    assert!(
        monitor.stderr().contains("`crashing` FAILED"),
        "said loudly on stderr too:\n{}",
        monitor.stderr()
    );

    let (_, looped) = monitor.wait_event("failed", "looping", 0, Duration::from_secs(60));
    measure(
        &format!(
            "{engine}: crash loop (the engine's unless-stopped) reported failed and stopped \
             after, max_restarts 2"
        ),
        &secs(looped.at - started),
    );
    assert_loud_give_up(&looped, "looping", &containers[1]);
    // Given up at a `die` (its exit code) or at the engine's restart past the cap.
    assert!(
        looped.reason().contains("exit code 3") || looped.reason().contains("crash loop"),
        "{:?}",
        looped.line
    );
    assert!(
        looped.reason().contains("restart policy `unless-stopped`"),
        "{:?}",
        looped.line
    );

    // Given up means stopped, and stopped it stays: the API stop turned `unless-stopped` off.
    let marked = monitor.lines().len();
    stay_stopped(&containers, Duration::from_secs(10), || monitor.context());
    let since = monitor.lines()[marked..].to_vec();
    assert!(
        !since.iter().any(|s| matches!(
            s.event(),
            "restart" | "probe_ok" | "probe_failed" | "started"
        )),
        "nothing is restarted or probed once given up:\n{}",
        monitor.context()
    );
    // Its own stop is not a person's: no `stopped_by_person`, and the failure is kept.
    assert!(
        !monitor
            .lines()
            .iter()
            .any(|s| s.event() == "stopped_by_person"),
        "{}",
        monitor.context()
    );
    assert!(monitor.alive(), "the monitor stays up");
    let status: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&status_file).expect("status file")).unwrap();
    for server in ["crashing", "looping"] {
        assert_eq!(
            status["servers"][server]["state"],
            "failed",
            "{status}\n{}",
            monitor.context()
        );
    }
    assert_eq!(
        status["healthy"], true,
        "failed servers do not make the monitor unhealthy"
    );
    let check = std::process::Command::new(crate::support::mcpgen())
        .args(["monitor", "--check-status", &status_arg])
        .output()
        .unwrap();
    assert!(check.status.success(), "{}", text(&check));

    // A person starts them again (as the line says): watched again with a fresh budget, so
    // restarted `max_restarts` times more, then given up on and stopped again.
    let from = monitor.lines().len();
    for container in &containers {
        let start = docker(&["start", container]);
        assert!(start.status.success(), "{}", text(&start));
    }
    for (server, container) in ["crashing", "looping"].into_iter().zip(&containers) {
        let (_, again) = monitor.wait_event("started", server, from, Duration::from_secs(20));
        assert!(again.reason().contains("fresh budget"), "{:?}", again.line);
        let (_, failed) = monitor.wait_event("failed", server, from, Duration::from_secs(60));
        assert_loud_give_up(&failed, server, container);
    }
    let lines = monitor.lines();
    assert_eq!(
        restarts(&lines[from..], "crashing"),
        2,
        "{}",
        monitor.context()
    );
    wait_stopped(&containers, || monitor.context());
    stay_stopped(&containers, Duration::from_secs(3), || monitor.context());
    assert_eq!(monitor.stop(), Some(0));
    for container in &containers {
        assert_eq!(state(container), "exited", "{}", engine_view(&stack.name));
    }
}

/// Waits until each container is stopped.
fn wait_stopped(containers: &[String], context: impl Fn() -> String) {
    crate::support::wait_until(
        "the containers to be stopped",
        Duration::from_secs(20),
        context,
        || {
            containers
                .iter()
                .all(|c| state(c) == "exited")
                .then_some(())
        },
    );
}

/// A server that writes an endless line fails its probe at the helper's bound (1 MiB a line),
/// and the monitor, which reads only the helper's short report, stays small.
#[test]
fn a_flooding_server_fails_its_probe_at_a_bound() {
    let _serial = serial();
    let stack = Stack::new("flood", "", &[Server::floodable("flood")]).up(&["flood"]);
    let container = stack.container("flood");
    let monitor = Monitor::start(&stack.name, SHARED_SOCKET, &["--interval", "2s"]);
    let from = monitor.wait_healthy("flood", Duration::from_secs(20));
    let touch = docker(&["exec", &container, "touch", "/tmp/flood"]);
    assert!(touch.status.success(), "{}", text(&touch));
    let (_, failed) = monitor.wait_event("probe_failed", "flood", from, Duration::from_secs(60));
    assert!(
        failed.reason().contains("1 MiB") || failed.reason().contains("4 MiB"),
        "{:?}",
        failed.line
    );
    let rss = std::fs::read_to_string(format!("/proc/{}/status", monitor.pid()))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .unwrap_or(0);
    assert!(rss > 0 && rss < 64 * 1024, "monitor resident {rss} KiB");
    crate::support::measure(
        "monitor resident while a server floods",
        &format!("{} KiB", rss),
    );
}
