//! Servers built on the SDKs people use, of both protocol eras, in their own images: the
//! health check (mcpgen's helper, in exec form) turns each `healthy` — including an rmcp 2.x
//! server that exits on any request before `initialize` — and `mcpgen probe` reports the era
//! it found for each, through the shims, as a client would reach them.

use serde_json::Value;

use crate::figure;
use crate::support::Stack;

/// (server, image, command, era)
const FIXTURES: [(&str, &str, &str, &str); 5] = [
    (
        "legacy-npm",
        "localhost/mcpgen-fixture-legacy-npm:1",
        r#"["node", "dist/index.js"]"#,
        "legacy",
    ),
    (
        "python2-dual",
        "localhost/mcpgen-fixture-python2-dual:1",
        r#"["python3", "/app/server.py"]"#,
        "modern",
    ),
    (
        "ts2-modern",
        "localhost/mcpgen-fixture-ts2-modern:1",
        r#"["node", "/app/server.mjs"]"#,
        "modern",
    ),
    (
        "rmcp2-strict",
        "localhost/mcpgen-fixture-rmcp2-strict:1",
        r#"["/rmcp2-server"]"#,
        "legacy",
    ),
    (
        "python1-fastmcp",
        "localhost/mcpgen-fixture-python1-fastmcp:1",
        r#"["python3", "/app/server.py"]"#,
        "legacy",
    ),
];

fn servers_toml() -> Vec<String> {
    FIXTURES
        .iter()
        .map(|(name, image, command, _)| {
            format!(
                "\n[servers.{name}]\nimage = \"{image}\"\ncommand = {command}\n\
                 health = {{ interval = \"5s\", timeout = \"5s\", retries = 3, start_period = \"5s\" }}\n"
            )
        })
        .collect()
}

#[test]
fn every_sdk_and_era_is_healthy_and_probed_with_its_era() {
    let servers = servers_toml();
    let parts: Vec<&str> = servers.iter().map(String::as_str).collect();
    let stack = Stack::build("eras", &parts);
    let names: Vec<&str> = FIXTURES.iter().map(|f| f.0).collect();
    stack.up(&names);

    for (name, _, _, _) in FIXTURES {
        let container = stack.container(name);
        // Two checks: the first discovers the era (and remembers it), the second uses it.
        for attempt in 1..=2 {
            let (passed, took) = stack.health_check(&container);
            assert!(
                passed,
                "{name}: health check {attempt} failed: {}\n{}",
                stack.health(&container),
                stack.engine_view()
            );
            figure!(
                "{}: {name} health check {attempt} passed in {:.2}s",
                stack.engine.kind.title(),
                took.as_secs_f64()
            );
        }
        let state = stack.inspect(&container);
        assert_eq!(state["RestartCount"], 0, "{name}");
        if !stack.engine.podman {
            assert_eq!(state["State"]["Health"]["Status"], "healthy", "{name}");
        }
    }

    let out = stack.mcpgen(&["probe", "--format", "json", "--timeout", "20s"], &[]);
    assert_eq!(out.code, Some(0), "{out}");
    let report: Value = serde_json::from_str(&out.stdout).expect("probe JSON");
    for (name, _, _, era) in FIXTURES {
        let server = report["servers"]
            .as_array()
            .and_then(|all| all.iter().find(|s| s["server"] == name))
            .unwrap_or_else(|| panic!("no {name} in {report}"));
        assert_eq!(server["path"], "container", "{server}");
        assert_eq!(server["era"], era, "{server}");
        assert!(server["tools"].as_u64().unwrap_or(0) >= 1, "{server}");
        figure!(
            "{}: probe {name}: {era} era, protocol {}, {} ms to the handshake's answer",
            stack.engine.kind.title(),
            server["protocol_version"],
            server["latency_ms"]
        );
    }
}
