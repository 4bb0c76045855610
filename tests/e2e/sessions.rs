//! Sessions share their container's limits, so their number is capped (`max_sessions`): with
//! the bundled limits (640M, 160 pids, 8 sessions) and the real Node memory server, 8 sessions
//! at once all answer, and of 20 at once 8 answer and 12 get a JSON-RPC error naming the cause
//! within a bound — no neighbour killed for memory, no hang.

// A failed expectation here is a failed test.
#![allow(clippy::expect_used)]

use std::time::Duration;

use crate::figure;
use crate::support::{Stack, list_tools, sleep};

const MEMORY: &str = r#"
[servers.memory]
image = "mcp/memory:2026.8.31"
command = ["node", "/app/dist/index.js"]
env = { MEMORY_FILE_PATH = "/data/memory.jsonl" }
volumes = [{ name = "memory-data", target = "/data" }]
limits = { cpus = 1.0, memory = "640M", pids = 160 }
max_sessions = 8
"#;

const INITIALIZE: &str = r#"{"jsonrpc":"2.0","id":7,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"e2e","version":"1"}}}"#;

/// Each session lists the tools, holds on for a while (so all are open at once), and lists
/// them again.
fn held() -> Vec<serde_json::Value> {
    vec![list_tools(), sleep(8.0), list_tools()]
}

#[test]
fn eight_sessions_answer_and_more_are_told_the_server_is_busy() {
    let stack = Stack::build("sessions", &[MEMORY]);
    stack.up(&["memory"]);
    let container = stack.container("memory");

    let eight = stack
        .client("memory", "hardened")
        .sessions(8, held())
        .concurrent()
        .timeout(Duration::from_secs(90))
        .run();
    let answered = eight.iter().filter(|s| s.ok).count();
    assert_eq!(answered, 8, "{eight:?}");
    // (`sleep` adds no result: the second `list_tools` is result 1.)
    assert!(eight.iter().all(|s| s.tools(1).len() == 9), "{eight:?}");
    let slowest = eight
        .iter()
        .filter_map(|s| s.handshake_ms)
        .max()
        .unwrap_or(0);
    figure!(
        "{}: 8 concurrent sessions of the real memory server (640M, 160 pids): 8/8 answered, slowest handshake {slowest} ms",
        stack.engine.kind.title()
    );

    // 20 at once: 8 hold the slots, 12 are turned away. While the 8 hold on, a raw session
    // shows what the others were answered (the SDK reports an error answer followed by an
    // exit only as "Connection closed").
    let (twenty, raw) = std::thread::scope(|scope| {
        let clients = scope.spawn(|| {
            stack
                .client("memory", "hardened")
                .sessions(20, held())
                .concurrent()
                .timeout(Duration::from_secs(90))
                .run()
        });
        let entry = stack.client_entry("memory", "hardened");
        // Only once the 8 hold their slots, or this session could take one of theirs.
        stack.wait_until(
            "8 sessions holding their slots",
            Duration::from_secs(60),
            || {
                let ps = stack
                    .docker(&["exec", &container, "ps", "-o", "args"])
                    .stdout;
                (ps.lines().filter(|l| l.contains("dist/index.js")).count() >= 8).then_some(())
            },
        );
        let (answer, _) = stack.wait_until(
            "a busy answer while 8 sessions hold on",
            Duration::from_secs(60),
            || {
                let out = stack.raw(&entry, &[], INITIALIZE);
                out.stdout.contains("is busy").then_some(out)
            },
        );
        (clients.join().expect("the client runs"), answer)
    });
    let ok = twenty.iter().filter(|s| s.ok).count();
    let refused: Vec<_> = twenty.iter().filter(|s| !s.ok).collect();
    assert_eq!(ok, 8, "{twenty:?}");
    assert_eq!(refused.len(), 12, "{twenty:?}");
    let slowest_refusal = refused.iter().map(|s| s.elapsed_ms).max().unwrap_or(0);
    assert!(
        slowest_refusal < 20_000,
        "a refusal took {slowest_refusal} ms"
    );
    let answer: serde_json::Value =
        serde_json::from_str(raw.stdout.trim()).expect("one JSON-RPC answer");
    assert_eq!(answer["id"], 7, "{answer}");
    assert_eq!(answer["error"]["code"], -32000, "{answer}");
    let message = answer["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(message.contains("max_sessions"), "{message}");
    let state = stack.inspect(&container);
    assert_eq!(state["State"]["OOMKilled"], false);
    assert_eq!(state["RestartCount"], 0);
    figure!(
        "{}: 20 concurrent sessions: 8 answered, 12 refused (slowest refusal {slowest_refusal} ms), 0 crashed, 0 hung; the answer: {message}",
        stack.engine.kind.title()
    );

    // Slots come back: once those sessions ended, a new one answers.
    let after = stack
        .client("memory", "hardened")
        .session(vec![list_tools()])
        .run();
    assert!(after[0].ok, "{:?}", after[0]);
}
