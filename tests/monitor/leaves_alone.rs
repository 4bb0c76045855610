//! What the monitor must never touch: a container a person stopped, and anything outside its
//! stack.

use std::time::{Duration, Instant};

use crate::support::{
    FAKE_IMAGE, Monitor, SHARED_SOCKET, Server, Stack, docker, host_kill, serial, state, stdout,
    text,
};

/// `docker stop` and `docker kill` (through the API, no failure): left alone, however many
/// probe intervals pass, until a person starts it again.
#[test]
fn a_container_stopped_on_purpose_is_left_alone() {
    let _serial = serial();
    // The witness stays healthy: its probes, logged with `--verbose`, count the intervals.
    let stack = Stack::new(
        "stopped",
        "",
        &[
            Server::fake("stopped"),
            Server::fake("killed"),
            Server::fake("witness"),
        ],
    )
    .up(&["stopped", "killed", "witness"]);
    let monitor = Monitor::start(
        &stack.name,
        SHARED_SOCKET,
        &["--interval", "1s", "--verbose"],
    );
    monitor.wait_healthy("stopped", Duration::from_secs(20));
    let from = monitor.wait_healthy("killed", Duration::from_secs(20));

    let stop = docker(&["stop", &stack.container("stopped")]);
    assert!(stop.status.success(), "{}", text(&stop));
    let kill = docker(&["kill", &stack.container("killed")]);
    assert!(kill.status.success(), "{}", text(&kill));
    monitor.wait_event(
        "stopped_by_person",
        "stopped",
        from,
        Duration::from_secs(10),
    );
    monitor.wait_event("stopped_by_person", "killed", from, Duration::from_secs(10));

    // Five intervals later: still stopped, never restarted, not even probed. Polled, so a
    // restart fails the test at once; ended by the witness's fifth probe, not by a timer.
    let watching = monitor.lines().len();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !monitor.intervals_passed("witness", 5, watching) {
        assert!(
            Instant::now() < deadline,
            "the witness was not probed five times in 30 s\n{}",
            monitor.context()
        );
        std::thread::sleep(Duration::from_millis(200));
        for server in ["stopped", "killed"] {
            assert_eq!(
                state(&stack.container(server)),
                "exited",
                "{}",
                monitor.context()
            );
        }
    }
    let touched: Vec<_> = monitor.lines()[from..]
        .iter()
        .filter(|s| matches!(s.event(), "restart" | "died" | "probe_failed" | "failed"))
        .map(|s| s.line.to_string())
        .collect();
    assert!(touched.is_empty(), "{touched:?}");

    // Started again by a person: watched again.
    let at = monitor.lines().len();
    let start = docker(&["start", &stack.container("stopped")]);
    assert!(start.status.success(), "{}", text(&start));
    let (_, started) = monitor.wait_event("started", "stopped", at, Duration::from_secs(10));
    // From its `start` event, or from the next listing if that comes first.
    assert!(
        started.reason().contains("person") || started.reason().contains("found running"),
        "{:?}",
        started.line
    );
    monitor.wait_event("probe_ok", "stopped", at, Duration::from_secs(10));
}

/// Containers of another stack, and containers with no mcpgen labels at all, crash next to the
/// watched stack: the monitor never restarts them (while it does heal its own server).
#[test]
fn containers_outside_the_stack_are_never_touched() {
    let _serial = serial();
    let stack = Stack::new("outside", "", &[Server::fake("own")]).up(&["own"]);
    let foreign = format!("{}-foreign", stack.name);
    let plain = format!("{}-plain", stack.name);
    // Both carry the test stack's *name* in their container name but not its label; the
    // guard's cleanup finds them by the label `dev.mcpgen.stack=<name>-other`.
    let other_stack = format!("{}-other", stack.name);
    for (name, labels) in [
        (
            &foreign,
            vec![
                format!("dev.mcpgen.stack={other_stack}"),
                "dev.mcpgen.server=own".to_string(),
                r#"dev.mcpgen.command=["fake-mcp-server"]"#.to_string(),
            ],
        ),
        (&plain, vec![format!("test.owner={other_stack}")]),
    ] {
        let mut args = vec!["run", "-d", "--name", name.as_str(), "--init"];
        for label in &labels {
            args.extend(["--label", label.as_str()]);
        }
        args.extend([FAKE_IMAGE, "sleep", "infinity"]);
        let run = docker(&args);
        assert!(run.status.success(), "{}", text(&run));
    }
    let _cleanup = Cleanup(vec![foreign.clone(), plain.clone()]);
    let monitor = Monitor::start(
        &stack.name,
        SHARED_SOCKET,
        &["--interval", "1s", "--verbose"],
    );
    let from = monitor.wait_healthy("own", Duration::from_secs(20));

    host_kill(&foreign);
    host_kill(&plain);
    host_kill(&stack.container("own"));
    // The monitor heals its own server...
    let (at, _) = monitor.wait_for("the restart of `own`", from, Duration::from_secs(20), |s| {
        s.event() == "restart" && s.server() == "own" && s.action() == "restart"
    });
    let healed = monitor
        .wait_event("probe_ok", "own", at, Duration::from_secs(20))
        .0;
    // ...and in five more intervals (its own probes count them) never the others.
    monitor.wait_intervals("own", 5, healed + 1, Duration::from_secs(10));
    for name in [&foreign, &plain] {
        assert_eq!(state(name), "exited", "{}", monitor.context());
        let restarts = stdout(&docker(&["inspect", "-f", "{{.RestartCount}}", name]));
        assert_eq!(restarts, "0");
    }
    let foreign_id = stdout(&docker(&["inspect", "-f", "{{.Id}}", &foreign]));
    let mentioned: Vec<_> = monitor
        .lines()
        .iter()
        .filter(|s| {
            let line = s.line.to_string();
            line.contains(&foreign_id[..12]) || line.contains("foreign") || line.contains("plain")
        })
        .map(|s| s.line.to_string())
        .collect();
    assert!(mentioned.is_empty(), "{mentioned:?}");
}

struct Cleanup(Vec<String>);

impl Drop for Cleanup {
    fn drop(&mut self) {
        for name in &self.0 {
            let _ = docker(&["rm", "-f", name]);
        }
    }
}
