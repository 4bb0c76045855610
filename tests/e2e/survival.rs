//! Sessions that survive what happens below them (issue: a client never sees a crash). One
//! real client session (the Python SDK, from the installed Claude Desktop entry) is held open
//! through each fault; the session keeper in front of the shim must answer the request that
//! was in flight with an error, bring a server process back, and answer on the same session
//! within 3 s of the container running again — with the memory server's entity, written
//! before the fault, read back.

// A test fails by panicking, with the expectation in the message.
#![allow(clippy::expect_used)]

use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::json;

use crate::figure;
use crate::support::client::recall_survivor;
use crate::support::engine::rfc3339_nanos;
use crate::support::inflight::{assert_retryable, request_in_flight, signal};
use crate::support::stack::{FAKE, MEMORY};
use crate::support::{Stack, call, list_tools};

const WRITTEN: &str = "written before the fault";

/// Seconds from the container's (re)start to now.
fn since_started(stack: &Stack, container: &str) -> f64 {
    let started = stack.inspect(container)["State"]["StartedAt"]
        .as_str()
        .and_then(rfc3339_nanos)
        .expect("StartedAt");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i128);
    (now - started) as f64 / 1e9
}

/// One held session of the memory server through `fault`; what it measured.
fn memory_survives(test: &str, fault: impl FnOnce(&Stack, &str)) -> (f64, f64) {
    let stack = Stack::build(test, &[MEMORY]);
    stack.up(&["memory"]);
    let container = stack.container("memory");
    let mut held = stack.hold("memory", &[]);
    held.remember_survivor(WRITTEN);
    let before = stack.inspect(&container)["State"]["StartedAt"].clone();

    request_in_flight(
        &stack,
        &container,
        "server-memory",
        &mut held,
        &list_tools(),
    );
    let faulted = Instant::now();
    fault(&stack, &container);
    let in_flight = held.answer();
    assert_retryable(&in_flight, faulted.elapsed());

    // The same session: the entity written before the fault, read back.
    held.assert_survivor(WRITTEN);
    let answered = faulted.elapsed();
    let running_for = since_started(&stack, &container);
    let tools = held.ask(&list_tools());
    assert!(tools.ok, "{tools:?}");
    assert!(tools.result.as_array().is_some_and(|t| !t.is_empty()));
    assert_ne!(
        stack.inspect(&container)["State"]["StartedAt"],
        before,
        "the container was not restarted"
    );
    assert!(
        running_for < 3.0,
        "the session answered {running_for:.2}s after the container ran again"
    );
    let (_, log) = held.close();
    assert!(log.contains("session restored"), "{log}");
    (answered.as_secs_f64(), running_for)
}

#[test]
fn a_session_survives_a_sigkill_of_the_containers_main_process() {
    let (answered, running) = memory_survives("keep-kill", |stack, container| {
        let pid = stack.inspect(container)["State"]["Pid"]
            .as_u64()
            .expect("main pid");
        signal(&[u32::try_from(pid).expect("pid")], "KILL");
    });
    figure!(
        "session kept over SIGKILL of the main process: same session answered {answered:.2}s after the kill, {running:.2}s after the container ran again"
    );
}

#[test]
fn a_session_survives_docker_restart() {
    let (answered, running) = memory_survives("keep-restart", |stack, container| {
        stack.docker_ok(&["restart", "-t", "2", container]);
    });
    figure!(
        "session kept over docker restart: same session answered {answered:.2}s after the restart began, {running:.2}s after the container ran again"
    );
}

#[test]
fn a_session_survives_the_monitor_restarting_a_paused_server() {
    let (answered, running) = memory_survives("keep-pause", |stack, container| {
        stack.docker_ok(&["pause", container]);
        let mut monitor = Command::new(env!("CARGO_BIN_EXE_mcpgen"))
            .arg("--config")
            .arg(stack.root().join("mcp.toml"))
            .args(["monitor", "--interval", "1s", "--failures", "1"])
            .env("DOCKER_HOST", &stack.engine.docker_host)
            .env("HOME", stack.home())
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start mcpgen monitor");
        let restarted = stack.wait_until(
            "the monitor to restart the paused container",
            Duration::from_secs(60),
            || {
                let state = stack.state(container)?;
                (state["Status"] == "running" && state["Paused"] == false).then_some(())
            },
        );
        let _ = monitor.kill();
        let _ = monitor.wait();
        let _ = restarted;
    });
    figure!(
        "session kept over the monitor restarting a paused server: same session answered {answered:.2}s after the pause, {running:.2}s after the container ran again"
    );
}

#[test]
fn a_session_survives_its_server_process_killed_for_memory() {
    let oom = FAKE
        .replace("[servers.fake]", "[servers.hog]")
        .replace(
            "memory = \"768M\", pids = 256",
            "memory = \"96M\", pids = 64",
        )
        .replace("max_sessions = 20", "max_sessions = 2");
    let stack = Stack::build("keep-oom", &[&oom]);
    stack.up(&["hog"]);
    let container = stack.container("hog");
    let before = stack.inspect(&container)["State"]["StartedAt"].clone();
    let mut held = stack.hold("hog", &[]);
    let echo = call("echo", json!({"text": "before"}));
    assert!(held.ask(&echo).ok);
    // The request in flight is the one that eats the memory: the kernel kills its process.
    let faulted = Instant::now();
    let in_flight = held.ask(&call("hog", json!({})));
    let error_after = faulted.elapsed();
    assert_retryable(&in_flight, error_after);
    let again = held.ask(&call("echo", json!({"text": "after"})));
    let answered = faulted.elapsed();
    assert!(again.ok && again.result["text"] == "after", "{again:?}");
    // The container lived on: only the session's process died.
    assert_eq!(stack.inspect(&container)["State"]["StartedAt"], before);
    let (_, log) = held.close();
    assert!(log.contains("status 137"), "{log}");
    figure!(
        "session kept over its server process killed for memory: error to the request in flight {:.2}s, same session answered {:.2}s after the request",
        error_after.as_secs_f64(),
        answered.as_secs_f64()
    );
}

/// (server, image, command, process to find) — both eras.
const ERAS: [(&str, &str, &str, &str); 2] = [
    (
        "legacy-npm",
        "localhost/mcpgen-fixture-legacy-npm:1",
        r#"["node", "dist/index.js"]"#,
        "dist/index.js",
    ),
    (
        "ts2-modern",
        "localhost/mcpgen-fixture-ts2-modern:1",
        r#"["node", "/app/server.mjs"]"#,
        "server.mjs",
    ),
];

#[test]
fn sessions_of_both_protocol_eras_survive_a_sigkill() {
    for (server, image, command, needle) in ERAS {
        let toml = format!("\n[servers.{server}]\nimage = \"{image}\"\ncommand = {command}\n");
        let stack = Stack::build(&format!("keep-{server}"), &[&toml]);
        stack.up(&[server]);
        let container = stack.container(server);
        let mut held = stack.hold(server, &[]);
        let era = held.protocol_version.clone();
        let tools = held.ask(&list_tools());
        assert!(tools.ok, "{server}: {tools:?}");
        request_in_flight(&stack, &container, needle, &mut held, &list_tools());
        let faulted = Instant::now();
        let pid = stack.inspect(&container)["State"]["Pid"]
            .as_u64()
            .expect("pid");
        signal(&[u32::try_from(pid).expect("pid")], "KILL");
        assert_retryable(&held.answer(), faulted.elapsed());
        let again = held.ask(&list_tools());
        let answered = faulted.elapsed();
        assert!(again.ok, "{server}: {again:?}");
        assert_eq!(again.result, tools.result, "{server}");
        let running = since_started(&stack, &container);
        assert!(running < 3.0, "{server}: {running:.2}s after running again");
        let (_, log) = held.close();
        assert!(log.contains("session restored"), "{server}: {log}");
        figure!(
            "{server} ({era}): session kept over SIGKILL, answered {:.2}s after the kill, {running:.2}s after the container ran again",
            answered.as_secs_f64()
        );
    }
}

#[test]
fn a_server_whose_image_now_fails_at_once_ends_the_session_within_the_bound() {
    // An image of this test's own, so retagging it disturbs no other test.
    let image = format!("localhost/mcpgen-e2e-fails-{}:1", std::process::id());
    let stack = Stack::build(
        "keep-fails",
        &[&MEMORY.replace("localhost/mcpgen-test-node:1", &image)],
    );
    stack.docker_ok(&["tag", "localhost/mcpgen-test-node:1", &image]);
    stack.up(&["memory"]);
    let container = stack.container("memory");
    let mut held = stack.hold("memory", &[("MCPGEN_RECOVER_TIMEOUT", "10")]);
    held.remember_survivor(WRITTEN);
    // The image now has no node: every new server process fails at once.
    stack.docker_ok(&["tag", "localhost/mcpgen-test-static:1", &image]);
    let faulted = Instant::now();
    stack.docker_ok(&["rm", "-f", &container]);
    let in_flight = held.ask(&recall_survivor());
    let ended = faulted.elapsed();
    assert!(!in_flight.ok, "{in_flight:?}");
    let error = in_flight.error.unwrap_or_default();
    assert!(
        error.contains("could not be brought back") || error.contains("send it again"),
        "{error}"
    );
    // Within the bound (10 s) and a margin for the last attempt.
    assert!(ended < Duration::from_secs(25), "{ended:?}");
    let after = held.ask(&list_tools());
    assert!(!after.ok, "the session went on? {after:?}");
    let (_, log) = held.close();
    assert!(
        log.contains("could not be brought back within 10s"),
        "{log}"
    );
    let _ = stack.docker(&["rmi", "-f", &image]);
    figure!(
        "image failing at once: the session ended cleanly {:.1}s after the container was removed (bound 10 s)",
        ended.as_secs_f64()
    );
}
