//! The monitor as the generated stack runs it: the `mcpgen-monitor` service, from the image
//! that the project's Dockerfile builds (a static binary on an empty base), non-root with the
//! socket's group, read-only, capability-free, limited, no network — and it heals.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{
    PrivateEngine, Server, Stack, docker, engine_view, host_kill, measure, monitor_image, secs,
    serial, state, stdout, text, wait_until,
};

/// The monitor container's JSON log lines.
fn log_lines(container: &str) -> Vec<Value> {
    let logs = docker(&["logs", container]);
    String::from_utf8_lossy(&logs.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn count(lines: &[Value], event: &str, server: &str) -> usize {
    lines
        .iter()
        .filter(|l| l["event"] == event && l["server"] == server)
        .count()
}

#[test]
fn the_stack_s_own_monitor_heals_a_killed_server() {
    let _serial = serial();
    let image = monitor_image();
    // Docker's socket is group-accessible (root:docker 0660); Podman's is 0600. A private API
    // service whose socket is 0660 root:root stands for it, with group 0 for the monitor.
    let engine = PrivateEngine::start("stack");
    let chmod = std::process::Command::new("chmod")
        .args(["0660", &engine.socket])
        .status()
        .expect("chmod runs");
    assert!(chmod.success());
    let stack = Stack::new(
        "instack",
        &format!("enabled = true\ninterval = \"2s\"\nimage = \"{image}\""),
        &[Server::fake("fake")],
    )
    .with_compose_env("MCPGEN_ENGINE_SOCKET", &engine.socket)
    .with_compose_env("MCPGEN_SOCKET_GID", "0")
    .up(&["fake", "mcpgen-monitor"]);
    let monitor = stack.container("mcpgen-monitor");
    let context = || {
        format!(
            "{}\nmonitor logs:\n{}",
            engine_view(&stack.name),
            text(&docker(&["logs", &monitor]))
        )
    };
    wait_until(
        "the in-stack monitor to probe `fake`",
        Duration::from_secs(30),
        context,
        || (count(&log_lines(&monitor), "probe_ok", "fake") > 0).then_some(()),
    );

    // Hardened as rendered, as the engine sees it.
    let inspect = |format: &str| stdout(&docker(&["inspect", "-f", format, &monitor]));
    assert_eq!(inspect("{{.Config.User}}"), "65532:65532");
    assert_eq!(inspect("{{.HostConfig.ReadonlyRootfs}}"), "true");
    assert_eq!(inspect("{{.HostConfig.NetworkMode}}"), "none");
    assert_eq!(inspect("{{.HostConfig.CapAdd}}"), "[]");
    assert_eq!(
        inspect("{{.HostConfig.Memory}}"),
        (64 * 1024 * 1024).to_string()
    );
    assert_eq!(inspect("{{.HostConfig.PidsLimit}}"), "32");
    assert!(inspect("{{.HostConfig.SecurityOpt}}").contains("no-new-privileges"));
    assert_eq!(inspect("{{.Config.Image}}"), image);
    // Its healthcheck is real: the status file it rewrites every loop.
    let check = docker(&[
        "exec",
        &monitor,
        "/mcpgen",
        "monitor",
        "--check-status",
        "/tmp/monitor.status",
    ]);
    assert!(check.status.success(), "{}", text(&check));

    let before = count(&log_lines(&monitor), "probe_ok", "fake");
    let killed = Instant::now();
    host_kill(&stack.container("fake"));
    wait_until(
        "the in-stack monitor to restart `fake` and see it answer",
        Duration::from_secs(30),
        context,
        || {
            let lines = log_lines(&monitor);
            (count(&lines, "restart", "fake") > 0 && count(&lines, "probe_ok", "fake") > before)
                .then(Instant::now)
        },
    );
    measure(
        "recovery after kill, in-stack monitor, interval 2s (log polled every 50 ms)",
        &secs(killed.elapsed()),
    );
    assert_eq!(state(&stack.container("fake")), "running");
    // The monitor's container was not touched by its own work.
    assert_eq!(state(&monitor), "running");
}
