//! Sessions share their container's limits, so their number is capped (`max_sessions`): with
//! the bundled limits (640M, 160 pids, 8 sessions) and the real Node memory server, 8 sessions
//! at once all answer, and of 20 at once 8 answer and 12 get a JSON-RPC error naming the cause
//! within a bound — no neighbour killed for memory, no hang.

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
    assert!(eight.iter().all(|s| s.tools(2).len() == 9), "{eight:?}");
    let slowest = eight
        .iter()
        .filter_map(|s| s.handshake_ms)
        .max()
        .unwrap_or(0);
    figure!(
        "{}: 8 concurrent sessions of the real memory server (640M, 160 pids): 8/8 answered, slowest handshake {slowest} ms",
        stack.engine.kind.title()
    );

    let twenty = stack
        .client("memory", "hardened")
        .sessions(20, held())
        .concurrent()
        .timeout(Duration::from_secs(90))
        .run();
    let ok: Vec<_> = twenty.iter().filter(|s| s.ok).collect();
    let busy: Vec<_> = twenty
        .iter()
        .filter(|s| s.error.as_deref().is_some_and(|e| e.contains("is busy")))
        .collect();
    assert_eq!(ok.len(), 8, "{twenty:?}");
    assert_eq!(
        busy.len(),
        12,
        "every other session is told why: {twenty:?}"
    );
    let slowest_busy = busy.iter().map(|s| s.elapsed_ms).max().unwrap_or(0);
    assert!(
        slowest_busy < 20_000,
        "a busy answer took {slowest_busy} ms"
    );
    let state = stack.inspect(&container);
    assert_eq!(state["State"]["OOMKilled"], false);
    assert_eq!(state["RestartCount"], 0);
    let message = busy[0].error.clone().unwrap_or_default();
    assert!(message.contains("max_sessions"), "{message}");
    figure!(
        "{}: 20 concurrent sessions: 8 answered, 12 got `busy` (slowest in {slowest_busy} ms), 0 crashed, 0 hung: {message}",
        stack.engine.kind.title()
    );

    // Slots come back: once those sessions ended, a new one answers.
    let after = stack
        .client("memory", "hardened")
        .session(vec![list_tools()])
        .run();
    assert!(after[0].ok, "{:?}", after[0]);
}
