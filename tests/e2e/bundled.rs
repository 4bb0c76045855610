//! The bundled `mcp.toml`, unchanged but for its stack name, on images shaped like the
//! published ones (`scripts/build-test-images`): `mcpgen build` + `install` + `docker compose
//! up -d`, every server healthy within `start_period` + 2 intervals, a real client launched
//! from the installed Claude Desktop entry gets `tools/list` and one real tool call per
//! server, and nothing restarts during a five-minute idle soak.

// Fixture files written by the test: a failure to write one is a failed test.
#![allow(clippy::expect_used)]

use std::time::{Duration, Instant};

use serde_json::json;

use crate::figure;
use crate::support::engine::repo;
use crate::support::{Stack, call, list_tools};

const SERVERS: [&str; 4] = ["filesystem", "memory", "shell", "github"];
/// The bundled health settings: `start_period` 10 s, `interval` 15 s.
const HEALTHY_WITHIN: Duration = Duration::from_secs(10 + 2 * 15);
/// The canary token: it must reach the github server, by file reference, and nowhere else.
const TOKEN: &str = "ghp_mcpgenE2eCanaryToken0123456789";

fn bundled() -> Stack {
    let toml = std::fs::read_to_string(repo().join("mcp.toml"))
        .expect("the bundled mcp.toml")
        .replace(
            "install_dir = \"~/.mcpgen/mcp\"",
            "install_dir = \"~/.mcpgen/{name}\"",
        );
    let stack = Stack::from_toml("bundled", &toml);
    let home = stack.home();
    std::fs::create_dir_all(home.join("projects")).expect("projects");
    std::fs::write(home.join("projects/hello.txt"), "hello from the host\n").expect("file");
    std::fs::create_dir_all(home.join(".config/mcpgen")).expect("token dir");
    std::fs::write(home.join(".config/mcpgen/github-token"), TOKEN).expect("token");
    stack
}

/// Every server healthy: on Docker by the engine's own timer, on Podman (which runs checks
/// only on demand) by running each check as the timer would.
fn wait_healthy(stack: &Stack, started: Instant) -> Duration {
    for server in SERVERS {
        let container = stack.container(server);
        if stack.engine.podman {
            let (passed, took) = stack.health_check(&container);
            assert!(
                passed,
                "{container} failed its health check\n{}",
                stack.engine_view()
            );
            figure!(
                "{}: {server} health check passed in {:.2}s",
                stack.engine.kind.title(),
                took.as_secs_f64()
            );
        } else {
            let left = HEALTHY_WITHIN.saturating_sub(started.elapsed());
            stack.wait_until(&format!("{container} healthy"), left, || {
                (stack.health(&container)["Status"] == "healthy").then_some(())
            });
        }
    }
    started.elapsed()
}

#[test]
fn the_bundled_stack_serves_a_real_client_on_real_shaped_images() {
    let stack = bundled();
    let started = Instant::now();
    stack.up(&SERVERS);
    let healthy = wait_healthy(&stack, started);
    figure!(
        "{}: bundled stack, compose up to all 4 healthy: {:.1}s",
        stack.engine.kind.title(),
        healthy.as_secs_f64()
    );
    assert!(healthy <= HEALTHY_WITHIN, "{healthy:?}");

    // Nothing of the image ran: the helper is every container's main process.
    for server in SERVERS {
        let config = stack.inspect(&stack.container(server));
        assert_eq!(
            config["Config"]["Entrypoint"],
            json!(["/opt/mcpgen/mcpgen-helper", "idle"]),
            "{server}"
        );
        assert_eq!(config["RestartCount"], 0, "{server}");
    }

    let fs = stack
        .client("filesystem", "hardened")
        .session(vec![
            list_tools(),
            call("read_text_file", json!({"path": "/projects/hello.txt"})),
        ])
        .run();
    assert!(fs[0].ok, "{:?}", fs[0]);
    assert!(fs[0].tools(0).iter().any(|t| t == "read_text_file"));
    assert_eq!(fs[0].results[1]["text"], "hello from the host\n");

    let entity = json!({"entities": [{"name": "bundled-e2e", "entityType": "test",
                                      "observations": ["kept in the named volume"]}]});
    let memory = stack
        .client("memory", "hardened")
        .session(vec![list_tools(), call("create_entities", entity)])
        .session(vec![call("read_graph", json!({}))])
        .run();
    assert!(memory[0].ok && memory[1].ok, "{memory:?}");
    assert_eq!(memory[0].results[1]["is_error"], false, "{:?}", memory[0]);
    let graph = memory[1].results[0]["text"].as_str().unwrap_or_default();
    assert!(graph.contains("kept in the named volume"), "{graph}");

    let github = stack
        .client("github", "hardened")
        .session(vec![list_tools(), call("get_me", json!({}))])
        .run();
    assert!(github[0].ok, "{:?}", github[0]);
    let said = github[0].results[1]["text"].as_str().unwrap_or_default();
    assert!(said.contains("received (34 characters"), "{said}");
    assert!(!said.contains(TOKEN) && !github[0].stderr.contains(TOKEN));

    let shell = stack
        .client("shell", "hardened")
        .session(vec![
            list_tools(),
            call(
                "start_process",
                json!({"command": "echo sandboxed-$(id -u); touch /etc/x 2>&1 || echo rootfs-read-only",
                       "timeout_ms": 10000}),
            ),
        ])
        .run();
    assert!(shell[0].ok, "{:?}", shell[0]);
    let out = shell[0].results[1]["text"].as_str().unwrap_or_default();
    assert!(out.contains("sandboxed-1000"), "{out}");
    assert!(out.contains("rootfs-read-only"), "{out}");
    figure!(
        "{}: bundled stack, first sessions: filesystem {} ms, memory {} ms, github {} ms, shell {} ms (to the initialize result)",
        stack.engine.kind.title(),
        fs[0].handshake_ms.unwrap_or(0),
        memory[0].handshake_ms.unwrap_or(0),
        github[0].handshake_ms.unwrap_or(0),
        shell[0].handshake_ms.unwrap_or(0)
    );

    // The idle soak: five minutes, no restart, still healthy (Docker checks on its timer all
    // along; Podman's checks are run at the end).
    let soak = Duration::from_secs(300);
    let soak_started = Instant::now();
    while soak_started.elapsed() < soak {
        for server in SERVERS {
            let container = stack.container(server);
            let state = stack.inspect(&container);
            assert_eq!(
                state["RestartCount"],
                0,
                "{server} restarted during the soak\n{}",
                stack.engine_view()
            );
            assert_eq!(
                state["State"]["Status"],
                "running",
                "{server}\n{}",
                stack.engine_view()
            );
            if !stack.engine.podman {
                assert_eq!(
                    state["State"]["Health"]["Status"],
                    "healthy",
                    "{server}\n{}",
                    stack.engine_view()
                );
            }
        }
        std::thread::sleep(Duration::from_secs(10));
    }
    for server in SERVERS {
        let (passed, _) = stack.health_check(&stack.container(server));
        assert!(
            passed,
            "{server} unhealthy after the soak\n{}",
            stack.engine_view()
        );
    }
    figure!(
        "{}: bundled stack, {}-minute idle soak: 0 restarts, all healthy",
        stack.engine.kind.title(),
        soak.as_secs() / 60
    );
}
