//! The rendered healthcheck (an MCP handshake inside the container) really passes on a
//! healthy server and fails on a hung one, within its timeout and without leaving the hung
//! server's processes behind.

use std::time::Duration;

use crate::figure;
use crate::support::Stack;
use crate::support::stack::{FAKE, HUNG, MEMORY};

fn check(stack: &Stack, container: &str) -> (bool, Duration) {
    stack.health_check(container)
}

fn health(stack: &Stack, container: &str) -> serde_json::Value {
    stack.health(container)
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
