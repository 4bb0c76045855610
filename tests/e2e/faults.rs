//! Faults, each with what the client sees and how long recovery takes: a container killed,
//! a container stopped, twenty shims at once on a stopped container, the engine unreachable
//! or hung, and a server over its memory limit.

use std::os::unix::net::UnixListener;
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::figure;
use crate::support::cmd::{self, Output};
use crate::support::stack::{ClientEntry, FAKE, MEMORY, OOM};
use crate::support::{Stack, call, list_tools, sleep};

const INITIALIZE: &str = r#"{"jsonrpc":"2.0","id":7,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"e2e","version":"1"}}}"#;

fn raw(stack: &Stack, entry: &ClientEntry, extra_env: &[(&str, &str)], input: &str) -> Output {
    stack.raw(entry, extra_env, input)
}

fn session_processes(stack: &Stack, container: &str) -> usize {
    stack
        .docker(&["exec", container, "ps", "-o", "comm"])
        .stdout
        .lines()
        .filter(|l| l.contains("fake-mcp-server"))
        .count()
}

#[test]
fn killed_container_is_brought_back_by_its_restart_policy() {
    let stack = Stack::build("kill", &[FAKE]);
    stack.up(&["fake"]);
    let container = stack.container("fake");
    let before = stack.inspect(&container);
    let restarts = before["RestartCount"].as_u64().unwrap_or(0);
    let pid = before["State"]["Pid"].as_u64().expect("main process pid");

    thread::scope(|scope| {
        // A session in flight when the container dies.
        let in_flight = scope.spawn(|| {
            stack
                .client("fake", "hardened")
                .session(vec![list_tools(), sleep(4.0), list_tools()])
                .run()
        });
        stack.wait_until(
            "the in-flight session's server",
            Duration::from_secs(20),
            || (session_processes(&stack, &container) > 0).then_some(()),
        );
        // SIGKILL to the container's main process from outside: a crash, which the restart
        // policy handles. (`docker kill` is a deliberate stop and is not restarted; the
        // stopped-container test covers that path.)
        let killed = Instant::now();
        let out = cmd::run(
            Command::new("kill").args(["-9", &pid.to_string()]),
            None,
            Duration::from_secs(10),
        );
        assert!(out.success(), "kill -9 {pid}: {out}");
        let (_, back) = stack.wait_until(
            "the restart policy to restart the container",
            Duration::from_secs(30),
            || {
                let state = stack.inspect(&container);
                (state["State"]["Status"] == "running"
                    && state["RestartCount"].as_u64().unwrap_or(0) > restarts)
                    .then_some(())
            },
        );
        let sessions = stack
            .client("fake", "hardened")
            .session(vec![list_tools()])
            .run();
        let served = killed.elapsed();
        assert!(
            sessions[0].ok,
            "a new session after the restart: {sessions:?}"
        );
        let in_flight = in_flight.join().expect("client thread");
        let seen = &in_flight[0];
        // The session keeper carried the open session over the restart (tests/e2e/survival.rs
        // has the faults one by one).
        assert!(
            seen.ok,
            "the open session did not survive the SIGKILL: {seen:?}"
        );
        assert!(seen.stderr.contains("session restored"), "{seen:?}");
        figure!(
            "container SIGKILLed: restarted by policy in {:.2}s; new session answered {:.2}s after the kill; the open session went on",
            back.as_secs_f64(),
            served.as_secs_f64(),
        );
    });
}

#[test]
fn stopped_container_is_started_by_the_shim() {
    let stack = Stack::build("stop", &[FAKE]);
    stack.up(&["fake"]);
    let container = stack.container("fake");
    for how in ["stop", "kill"] {
        // `docker kill` through the API is a deliberate stop too: no restart policy applies.
        let args: Vec<&str> = if how == "stop" {
            vec!["stop", "-t", "2", &container]
        } else {
            vec!["kill", &container]
        };
        stack.docker_ok(&args);
        stack.wait_until(
            &format!("{container} down after docker {how}"),
            Duration::from_secs(30),
            || {
                stack
                    .state(&container)
                    .filter(|s| s["Status"] != "running")
                    .map(|_| ())
            },
        );
        let sessions = stack
            .client("fake", "hardened")
            .session(vec![list_tools()])
            .run();
        let session = &sessions[0];
        assert!(session.ok, "{session:?}\n{}", stack.engine_view());
        assert!(
            session.stderr.contains("starting container"),
            "{}",
            session.stderr
        );
        assert_eq!(session.tools(0), vec!["echo".to_string()]);
        figure!(
            "container after `docker {how}`: the shim started it; first answer after {} ms (session {} ms)",
            session.handshake_ms.unwrap_or(0),
            session.elapsed_ms
        );
    }
}

#[test]
fn twenty_shims_at_once_start_the_stopped_container_once() {
    let stack = Stack::build("twenty", &[FAKE]);
    stack.up(&["fake"]);
    let container = stack.container("fake");
    stack.docker_ok(&["stop", "-t", "2", &container]);
    let stopped_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let since = Stack::now_secs().saturating_sub(1);
    let started = Instant::now();
    let sessions = stack
        .client("fake", "hardened")
        .sessions(20, vec![list_tools()])
        .concurrent()
        .run();
    let wall = started.elapsed();
    let failed: Vec<_> = sessions.iter().filter(|s| !s.ok).collect();
    assert!(
        failed.is_empty(),
        "{} of 20 failed: {failed:?}",
        failed.len()
    );
    let starters = sessions
        .iter()
        .filter(|s| s.stderr.contains("starting container"))
        .count();
    assert_eq!(starters, 1, "shims that ran `compose up`");
    // The engine's own count: start events of this container since the stop. (Podman
    // returns nothing for an `--until` in the past; one a moment ahead ends the stream.)
    let until = Stack::now_secs() + 2;
    let events = stack.docker_ok(&[
        "events",
        "--since",
        &since.to_string(),
        "--until",
        &until.to_string(),
        "--filter",
        &format!("container={container}"),
        "--filter",
        "event=start",
        "--format",
        "{{.Status}} {{.TimeNano}}",
    ]);
    // `--since` has whole seconds: the start by `up` just before the stop may be in it.
    let starts = events
        .lines()
        .filter_map(|l| l.trim().strip_prefix("start "))
        .filter(|nanos| nanos.parse::<u128>().is_ok_and(|t| t > stopped_at))
        .count();
    assert_eq!(starts, 1, "container starts seen by the engine:\n{events}");
    let slowest = sessions
        .iter()
        .filter_map(|s| s.handshake_ms)
        .max()
        .unwrap_or(0);
    figure!(
        "20 shims at once on a stopped container: 1 compose up, 1 container start, 20/20 sessions answered; slowest handshake {slowest} ms, all done in {:.2}s",
        wall.as_secs_f64()
    );
}

#[test]
fn engine_unreachable_falls_back_in_dev_and_answers_an_error_in_hardened() {
    let stack = Stack::build("noengine", &[MEMORY]);
    let dead = format!("unix://{}/no-engine.sock", stack.root().display());

    // dev: the local command, unsandboxed, with a warning; its file lands under the client's ~.
    let sessions = stack
        .client("memory", "dev")
        .env("DOCKER_HOST", &dead)
        .session(vec![
            list_tools(),
            call(
                "create_entities",
                json!({"entities": [{"name": "local", "entityType": "t", "observations": ["x"]}]}),
            ),
        ])
        .run();
    let session = &sessions[0];
    assert!(session.ok, "{session:?}");
    assert!(session.stderr.contains("UNSANDBOXED"), "{}", session.stderr);
    let local_file = stack.home().join("memory-local.jsonl");
    let written = std::fs::read_to_string(&local_file).unwrap_or_default();
    assert!(
        written.contains("\"local\""),
        "local_env `~/memory-local.jsonl` should be {}: {written:?}",
        local_file.display()
    );
    figure!(
        "engine unreachable, dev profile: local fallback answered in {} ms (stderr: {})",
        session.handshake_ms.unwrap_or(0),
        session
            .stderr
            .lines()
            .find(|l| l.contains("UNSANDBOXED"))
            .unwrap_or("")
    );

    // hardened: no fallback. The client gets a JSON-RPC error naming the server and why.
    let sessions = stack
        .client("memory", "hardened")
        .env("DOCKER_HOST", &dead)
        .timeout(Duration::from_secs(20))
        .session(vec![list_tools()])
        .run();
    let session = &sessions[0];
    assert!(!session.ok, "{session:?}");
    assert!(
        session
            .stderr
            .contains("unavailable: the container engine is not reachable"),
        "{}",
        session.stderr
    );
    assert!(session.elapsed_ms < 10_000, "{session:?}");
    let entry = stack.client_entry("memory", "hardened");
    let answer = raw(&stack, &entry, &[("DOCKER_HOST", &dead)], INITIALIZE);
    let reply: serde_json::Value =
        serde_json::from_str(answer.stdout.trim()).unwrap_or_else(|e| panic!("{e}: {answer}"));
    assert_eq!(reply["id"], 7);
    assert_eq!(reply["error"]["code"], -32000);
    let message = reply["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("memory") && message.contains("not reachable"),
        "{message}"
    );
    assert_eq!(answer.code, Some(1));
    figure!(
        "engine unreachable, hardened profile: the client saw `{}` after {} ms; raw answer to initialize in {:.0} ms: {}",
        session.error.as_deref().unwrap_or("?"),
        session.elapsed_ms,
        answer.elapsed.as_secs_f64() * 1000.0,
        answer.stdout.trim()
    );
}

#[test]
fn engine_that_hangs_is_bounded_by_the_shim() {
    let stack = Stack::build("hungengine", &[MEMORY]);
    // A socket that takes connections and never answers: the engine is hung.
    let path = stack.root().join("hung-engine.sock");
    let _listener = UnixListener::bind(&path).expect("bind the hung engine socket");
    let hung = format!("unix://{}", path.display());

    let sessions = stack
        .client("memory", "dev")
        .env("DOCKER_HOST", &hung)
        .session(vec![list_tools()])
        .run();
    let dev = &sessions[0];
    assert!(dev.ok, "{dev:?}");
    assert!(dev.stderr.contains("UNSANDBOXED"), "{}", dev.stderr);

    let entry = stack.client_entry("memory", "hardened");
    let answer = raw(&stack, &entry, &[("DOCKER_HOST", &hung)], INITIALIZE);
    assert!(!answer.timed_out, "{answer}");
    assert!(answer.stdout.contains("-32000"), "{answer}");
    assert!(answer.elapsed < Duration::from_secs(15), "{answer}");
    figure!(
        "engine hung (socket never answers): dev fell back after {} ms; hardened answered the JSON-RPC error after {:.1}s (inspect bound 5s)",
        dev.handshake_ms.unwrap_or(0),
        answer.elapsed.as_secs_f64()
    );
}

#[test]
fn server_over_its_memory_limit_dies_and_the_stack_keeps_serving() {
    let stack = Stack::build("oom", &[OOM, FAKE]);
    stack.up(&["oom", "fake"]);
    let container = stack.container("oom");
    let restarts = stack.inspect(&container)["RestartCount"]
        .as_u64()
        .unwrap_or(0);

    let sessions = stack
        .client("oom", "hardened")
        .timeout(Duration::from_secs(30))
        .session(vec![list_tools()])
        .run();
    let seen = &sessions[0];
    assert!(!seen.ok, "a server over its limit answered? {seen:?}");

    // Either the session's process was killed and the container stayed, or the container was
    // killed and restarted: in both cases it is running again.
    let (_, back) = stack.wait_until("the oom container running", Duration::from_secs(30), || {
        (stack.inspect(&container)["State"]["Status"] == "running").then_some(())
    });
    let after = stack.inspect(&container)["RestartCount"]
        .as_u64()
        .unwrap_or(0);
    let other = stack
        .client("fake", "hardened")
        .session(vec![list_tools()])
        .run();
    assert!(
        other[0].ok,
        "the rest of the stack stopped serving: {other:?}"
    );
    let again = stack
        .client("oom", "hardened")
        .timeout(Duration::from_secs(30))
        .session(vec![list_tools()])
        .run();
    assert!(!again[0].ok);
    assert_eq!(
        stack.inspect(&container)["State"]["Status"],
        "running",
        "{}",
        stack.engine_view()
    );
    figure!(
        "server over its 64M limit: the client saw `{}` after {} ms; container {} (restarts {} -> {}), running again after {:.2}s; the other server answered in {} ms",
        seen.error.as_deref().unwrap_or("?"),
        seen.elapsed_ms,
        if after > restarts {
            "restarted"
        } else {
            "stayed up (only the session died)"
        },
        restarts,
        after,
        back.as_secs_f64(),
        other[0].handshake_ms.unwrap_or(0)
    );
}
