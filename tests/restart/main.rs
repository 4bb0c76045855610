//! The engine itself restarts under an open client session (a Docker Desktop update, a
//! `systemctl restart docker`, Podman's API service restarted): the session keeper must carry
//! the session over, and the memory server's entity written before must be read back on it.
//!
//! A binary of its own because it restarts the engine every other test uses: scripts/test runs
//! it alone, after the other engine suites. Docker Engine stops its containers as it goes and
//! starts them again by their restart policy; Podman's containers keep running under conmon
//! while its API service is away, but every `docker exec` through the API ends.

// A test binary exports nothing: `pub` marks the harness's API for the test modules.
#![allow(unreachable_pub, clippy::expect_used, clippy::unwrap_used)]
// The harness is the e2e suite's; this binary uses a part of it.
#![allow(unused_imports, dead_code)]

#[path = "../e2e/support/mod.rs"]
mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::json;

use support::engine::{Kind, engine_kind, repo};
use support::inflight::{assert_retryable, request_in_flight};
use support::stack::MEMORY;
use support::{Stack, call, list_tools};

const WRITTEN: &str = "written before the engine restarted";

fn script(name: &str, kind: Kind) {
    let out = support::cmd::run(
        Command::new(repo().join("scripts").join(name)).arg(kind.name()),
        None,
        Duration::from_secs(180),
    );
    assert!(out.success(), "scripts/{name} {}: {out}", kind.name());
}

#[test]
fn a_session_survives_the_engine_restarting() {
    let kind = engine_kind();
    let stack = Stack::build("keep-engine", &[MEMORY]);
    stack.up(&["memory"]);
    let mut held = stack.hold("memory", &[]);
    held.remember_survivor(WRITTEN);

    // A request in flight when the engine goes: answered with an error to retry.
    let container = stack.container("memory");
    request_in_flight(
        &stack,
        &container,
        "server-memory",
        &mut held,
        &list_tools(),
    );
    let restarted = Instant::now();
    script("engine-down", kind);
    assert_retryable(&held.answer(), restarted.elapsed());
    // A request sent while the engine is away: held by the keeper, or answered with an
    // error to retry — never silence.
    held.send(&list_tools());
    script("engine-up", kind);
    let engine_back = Instant::now();
    let during = held.answer();
    if !during.ok {
        let error = during.error.clone().unwrap_or_default();
        assert!(error.contains("send it again"), "{error}");
    }
    held.assert_survivor(WRITTEN);
    let answered = engine_back.elapsed();
    let (_, log) = held.close();
    assert!(log.contains("session restored"), "{log}");
    assert!(
        answered < Duration::from_secs(20),
        "the session answered {answered:?} after the engine was back"
    );
    figure!(
        "{}: session kept over an engine restart ({:.1}s down and up); the request sent meanwhile was {}; same session answered {:.2}s after the engine answered again",
        kind.title(),
        engine_back.duration_since(restarted).as_secs_f64(),
        if during.ok {
            "answered once the server was back"
        } else {
            "answered with an error to retry"
        },
        answered.as_secs_f64()
    );
}
