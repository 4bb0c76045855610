//! The rendered healthcheck (an MCP handshake inside the container) really passes on a
//! healthy server and fails on a hung one, within its timeout and without leaving the hung
//! server's processes behind.

use std::time::{Duration, Instant};

use crate::figure;
use crate::support::Stack;
use crate::support::stack::{FAKE, HUNG, MEMORY};

/// Runs the container's health check once and returns whether it passed and how long it took.
/// Podman runs checks only on demand (`podman healthcheck run`); Docker runs them on its own
/// timer, so there the test waits for the next verdict.
fn check(stack: &Stack, container: &str) -> (bool, Duration) {
    let started = Instant::now();
    if stack.engine.podman {
        let out = super::support::cmd::run(
            std::process::Command::new("podman").args(["healthcheck", "run", container]),
            None,
            Duration::from_secs(60),
        );
        assert!(
            !out.timed_out,
            "the health check of {container} hung: {out}"
        );
        (out.success(), started.elapsed())
    } else {
        let before = health(stack, container)["Log"]
            .as_array()
            .map_or(0, Vec::len);
        let (passed, took) = stack.wait_until(
            &format!("a health check verdict on {container}"),
            Duration::from_secs(60),
            || {
                let log = health(stack, container)["Log"].as_array().cloned()?;
                (log.len() > before).then(|| log.last().map(|l| l["ExitCode"] == 0))?
            },
        );
        (passed, took)
    }
}

fn health(stack: &Stack, container: &str) -> serde_json::Value {
    stack.inspect(container)["State"]["Health"].clone()
}

fn processes(stack: &Stack, container: &str) -> usize {
    stack
        .docker_ok(&["exec", container, "ps", "-o", "comm"])
        .lines()
        .filter(|l| l.contains("fake-mcp-server"))
        .count()
}

#[test]
fn healthcheck_passes_on_a_healthy_server_and_fails_on_a_hung_one() {
    let stack = Stack::build("health", &[FAKE, MEMORY, HUNG]);
    stack.up(&["fake", "memory", "hung"]);

    for server in ["fake", "memory"] {
        let container = stack.container(server);
        let (passed, took) = check(&stack, &container);
        figure!(
            "healthcheck on healthy {server}: passed={passed} in {:.2}s",
            took.as_secs_f64()
        );
        assert!(passed, "health check failed on healthy {container}");
        assert!(
            took < Duration::from_secs(5),
            "{took:?}: over the health timeout"
        );
        assert_eq!(health(&stack, &container)["Status"], "healthy");
    }

    // The hung server: every check fails within the timeout (3s), and after `retries` (2)
    // failures the container is unhealthy. No check leaves a stuck server process behind.
    let hung = stack.container("hung");
    for attempt in 1..=2 {
        let (passed, took) = check(&stack, &hung);
        figure!(
            "healthcheck on hung server, attempt {attempt}: passed={passed} in {:.2}s",
            took.as_secs_f64()
        );
        assert!(!passed, "health check passed on a hung server");
        assert!(
            took < Duration::from_secs(6),
            "{took:?}: the check outlived its timeout"
        );
    }
    assert_eq!(
        health(&stack, &hung)["Status"],
        "unhealthy",
        "{}",
        stack.engine_view()
    );
    let (_, settled) = stack.wait_until(
        "the hung checks' server processes to be gone",
        Duration::from_secs(10),
        || (processes(&stack, &hung) == 0).then_some(()),
    );
    figure!(
        "hung server processes left by the checks: 0 (after {:.1}s)",
        settled.as_secs_f64()
    );
}
