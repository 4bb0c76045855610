//! `mcpgen monitor --once`, for cron and CI: probe everything once, exit 0 or 1; and the
//! settings taken from mcp.toml when no `--stack` is given.

use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::support::{
    SHARED_SOCKET, Server, Stack, docker, host, mcpgen, serial, text, wait_until,
};

fn once(dir: &std::path::Path, args: &[&str]) -> (i32, Vec<Value>, String) {
    let output = Command::new(mcpgen())
        .args(["monitor", "--once"])
        .args(args)
        .current_dir(dir)
        .env("DOCKER_HOST", host(SHARED_SOCKET))
        .env_remove("MCPGEN_CONFIG")
        .output()
        .expect("mcpgen runs");
    let lines = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    (
        output.status.code().unwrap_or(-1),
        lines,
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn once_probes_every_server_and_exits_0_or_1() {
    let _serial = serial();
    let stack = Stack::new(
        "once",
        "interval = \"2s\"",
        &[Server::fake("a"), Server::fake("b")],
    )
    .up(&["a", "b"]);

    // No --stack: the stack name and settings come from the mcp.toml found here.
    let (code, lines, stderr) = once(stack.path(), &[]);
    assert_eq!(code, 0, "{lines:?}\n{stderr}");
    assert_eq!(lines.len(), 2, "{lines:?}");
    for line in &lines {
        assert_eq!(line["event"], "probe_ok", "{line}");
        assert!(line["latency_ms"].as_u64().is_some(), "{line}");
        assert!(
            line["reason"]
                .as_str()
                .unwrap_or("")
                .contains("fake, legacy protocol 2025-06-18"),
            "{line}"
        );
    }

    let stop = docker(&["stop", &stack.container("b")]);
    assert!(stop.status.success(), "{}", text(&stop));
    wait_until("b to stop", Duration::from_secs(10), String::new, || {
        (crate::support::state(&stack.container("b")) == "exited").then_some(())
    });
    let (code, lines, _) = once(stack.path(), &["--stack", &stack.name]);
    assert_eq!(code, 1, "{lines:?}");
    let b = lines
        .iter()
        .find(|l| l["server"] == "b")
        .expect("a line for b");
    assert_eq!(b["event"], "probe_failed");

    // An unknown stack has nothing to probe: a failure, not a silent success.
    let (code, lines, _) = once(stack.path(), &["--stack", "no-such-stack"]);
    assert_eq!(code, 1, "{lines:?}");
}

#[test]
fn servers_with_secrets_are_checked_for_their_command() {
    let _serial = serial();
    crate::support::engine();
    // Servers with secrets get them only per session: their containers carry
    // `dev.mcpgen.probe=exists`, and the probe checks that the command is there to start.
    let dir = tempfile::tempdir().unwrap();
    let name = format!("mon-secret-{}", std::process::id());
    std::fs::write(
        dir.path().join("mcp.toml"),
        format!(
            r#"[stack]
name = "{name}"
[defaults]
user = "1000:1000"
read_only = true
cap_drop = ["ALL"]
no_new_privileges = true
init = true
limits = {{ cpus = 0.5, memory = "64M", pids = 64 }}
tmpfs = {{ "/tmp" = "1M" }}
[monitor]
enabled = false
[servers.tokened]
image = "{image}"
command = ["fake-mcp-server"]
secrets = {{ API_TOKEN = {{ env = "SOME_TOKEN" }} }}
allow = [{{ rule = "MCP016", reason = "a local test image" }}]
[servers.missing]
image = "{image}"
command = ["/no/such/server"]
secrets = {{ API_TOKEN = {{ env = "SOME_TOKEN" }} }}
allow = [{{ rule = "MCP016", reason = "a local test image" }}]
"#,
            image = crate::support::FAKE_IMAGE
        ),
    )
    .unwrap();
    let build = Command::new(mcpgen())
        .arg("build")
        .current_dir(dir.path())
        .env_remove("MCPGEN_CONFIG")
        .output()
        .unwrap();
    assert!(build.status.success(), "{}", text(&build));
    let compose = dir.path().join("generated/docker-compose.mcp-only.yml");
    let compose = compose.to_string_lossy();
    let _down = Down(compose.to_string(), name.clone());
    let up = docker(&["compose", "-f", &compose, "-p", &name, "up", "-d"]);
    assert!(up.status.success(), "{}", text(&up));

    let (code, lines, _) = once(dir.path(), &[]);
    assert_eq!(code, 1, "{lines:?}");
    let by = |server: &str| {
        lines
            .iter()
            .find(|l| l["server"] == server)
            .unwrap_or_else(|| panic!("no line for {server}: {lines:?}"))
            .clone()
    };
    assert_eq!(by("tokened")["event"], "probe_ok");
    assert!(
        by("tokened")["reason"]
            .as_str()
            .unwrap()
            .contains("is present")
    );
    assert_eq!(by("missing")["event"], "probe_failed");
    assert!(
        by("missing")["reason"]
            .as_str()
            .unwrap()
            .contains("is not an executable in this container"),
        "{lines:?}"
    );
}

struct Down(String, String);

impl Drop for Down {
    fn drop(&mut self) {
        let _ = docker(&[
            "compose", "-f", &self.0, "-p", &self.1, "down", "-v", "-t", "0",
        ]);
    }
}
