//! `mcpgen probe` on a real stack: the path each server took, in JSON, and its exit code.

use std::time::Duration;

use serde_json::Value;

use crate::figure;
use crate::support::Stack;
use crate::support::stack::{FAKE, HUNG, MEMORY};

fn servers(out: &crate::support::cmd::Output) -> Vec<Value> {
    let value: Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("probe printed no JSON ({e}): {out}"));
    value["servers"].as_array().cloned().unwrap_or_default()
}

fn find<'a>(servers: &'a [Value], name: &str) -> &'a Value {
    servers
        .iter()
        .find(|s| s["server"] == name)
        .unwrap_or_else(|| panic!("no {name} in {servers:?}"))
}

#[test]
fn probe_reports_container_local_and_failed_paths() {
    let stack = Stack::build("probe", &[FAKE, HUNG, MEMORY]);
    stack.up(&["fake", "hung"]);

    // Through the running containers: the fake answers, the hung one is bounded by --timeout.
    let out = stack.mcpgen(
        &[
            "probe",
            "fake",
            "hung",
            "--format",
            "json",
            "--timeout",
            "6s",
        ],
        &[],
    );
    assert_eq!(out.code, Some(1), "a failed server makes exit 1: {out}");
    let report = servers(&out);
    let fake = find(&report, "fake");
    assert_eq!(fake["path"], "container", "{out}");
    assert_eq!(fake["tools"], 1);
    assert_eq!(fake["era"], "legacy");
    assert_eq!(fake["protocol_version"], "2025-06-18");
    let hung = find(&report, "hung");
    assert_eq!(hung["path"], "failed");
    assert!(
        hung["error"]
            .as_str()
            .unwrap_or("")
            .contains("no answer within 6s (waiting for `initialize`)"),
        "{hung}"
    );
    assert!(out.elapsed < Duration::from_secs(15), "{out}");
    figure!(
        "mcpgen probe: fake container {} ms / {} tools; hung failed after {} ms (--timeout 6s); whole run {:.1}s",
        fake["latency_ms"],
        fake["tools"],
        hung["latency_ms"],
        out.elapsed.as_secs_f64()
    );

    let ok = stack.mcpgen(&["probe", "fake"], &[]);
    assert_eq!(ok.code, Some(0), "{ok}");
    assert!(ok.stdout.contains("container"), "{ok}");

    // The engine unreachable: dev falls back to the local command, hardened fails.
    let dead = format!("unix://{}/no-engine.sock", stack.root().display());
    let out = stack.mcpgen(
        &["probe", "memory", "--profile", "dev", "--format", "json"],
        &[("DOCKER_HOST", &dead)],
    );
    assert_eq!(out.code, Some(0), "{out}");
    let memory = find(&servers(&out), "memory").clone();
    assert_eq!(memory["path"], "local", "{out}");
    assert_eq!(memory["tools"], 9, "{out}");
    let out = stack.mcpgen(
        &["probe", "memory", "--format", "json"],
        &[("DOCKER_HOST", &dead)],
    );
    assert_eq!(out.code, Some(1), "{out}");
    let failed = find(&servers(&out), "memory").clone();
    assert_eq!(failed["path"], "failed");
    let error = failed["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("MCP server memory is unavailable: the container engine is not reachable"),
        "{error}"
    );
    figure!(
        "mcpgen probe, engine unreachable: dev -> local in {} ms; hardened -> failed in {} ms: {error}",
        memory["latency_ms"],
        failed["latency_ms"]
    );

    let bad = stack.mcpgen(&["probe", "nope"], &[]);
    assert_eq!(bad.code, Some(2), "{bad}");
    assert!(bad.stderr.contains("no server `nope`"), "{bad}");
}
