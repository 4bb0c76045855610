//! The session keeper binary end to end, without an engine: one client session held open over
//! `tests/support/keeper-server`, a stateful legacy server whose process is killed, fails at
//! once, or comes back speaking another protocol version.

// A test reports failure by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const INIT: &str = r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"keeper-test","version":"1"}}}"#;
const INITIALIZED: &str = r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

struct Kept {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<Option<Value>>,
    dir: tempfile::TempDir,
}

impl Kept {
    fn start(env: &[(&str, &str)]) -> Kept {
        Kept::start_with(env, &[])
    }

    /// Starts the keeper with `files` already in the server's state dir (the server process
    /// starts at once, before the test could write them).
    fn start_with(env: &[(&str, &str)], files: &[(&str, &str)]) -> Kept {
        let dir = tempfile::tempdir().expect("state dir");
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).expect("state file");
        }
        let mut child = Command::new(env!("CARGO_BIN_EXE_mcpgen-keeper"))
            .args(["--server", "kept", "--", "bash"])
            .arg(repo().join("tests/support/keeper-server"))
            .env("KEEPER_SERVER_DIR", dir.path())
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start mcpgen-keeper");
        let stdout = child.stdout.take().expect("stdout");
        let (sender, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let value = serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("not JSON on stdout ({e}): {line}"));
                if sender.send(Some(value)).is_err() {
                    return;
                }
            }
            let _ = sender.send(None);
        });
        let stdin = child.stdin.take();
        Kept {
            child,
            stdin,
            lines,
            dir,
        }
    }

    /// A session through the handshake, with the tool list seen.
    fn session(env: &[(&str, &str)]) -> Kept {
        let mut kept = Kept::start(env);
        kept.send(INIT);
        assert_eq!(kept.answer()["id"], 0);
        kept.send(INITIALIZED);
        kept.send(r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#);
        assert_eq!(kept.answer()["result"]["tools"][0]["name"], "echo");
        kept
    }

    fn state(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn starts(&self) -> usize {
        std::fs::read_to_string(self.state("starts"))
            .map(|s| s.lines().count())
            .unwrap_or(0)
    }

    fn send(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin
            .write_all(format!("{line}\n").as_bytes())
            .expect("write to the keeper");
    }

    fn call(&mut self, id: u64, tool: &str) {
        let request = json!({"jsonrpc":"2.0","id":id,"method":"tools/call","params":{"name":tool,"arguments":{"text":tool}}});
        self.send(&request.to_string());
    }

    fn next(&self, timeout: Duration) -> Result<Option<Value>, RecvTimeoutError> {
        self.lines.recv_timeout(timeout)
    }

    fn answer(&self) -> Value {
        match self.next(Duration::from_secs(10)) {
            Ok(Some(value)) => value,
            other => panic!("no answer from the keeper: {other:?}"),
        }
    }

    /// Waits for the keeper to close stdout and exit; its exit code.
    fn finished(&mut self, timeout: Duration) -> (Vec<Value>, i32) {
        let mut rest = Vec::new();
        let deadline = Instant::now() + timeout;
        loop {
            match self.next(deadline.saturating_duration_since(Instant::now())) {
                Ok(Some(value)) => rest.push(value),
                Ok(None) => break,
                Err(_) => panic!("the keeper kept stdout open past {timeout:?}; got {rest:?}"),
            }
        }
        let status = self.child.wait().expect("keeper exit");
        (rest, status.code().unwrap_or(-1))
    }
}

impl Drop for Kept {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_killed_server_is_invisible_but_for_the_request_in_flight() {
    let mut kept = Kept::session(&[]);
    kept.call(2, "crash");
    let died = Instant::now();
    let error = kept.answer();
    assert!(
        died.elapsed() < Duration::from_secs(1),
        "{:?}",
        died.elapsed()
    );
    assert_eq!(error["id"], 2);
    assert_eq!(error["error"]["code"], -32000);
    assert_eq!(error["error"]["data"]["retry"], true);
    // The same session goes on, on a new process that was given the handshake.
    kept.call(3, "echo");
    let answer = kept.answer();
    assert_eq!(answer["id"], 3);
    assert_eq!(answer["result"]["content"][0]["text"], "echo");
    assert_eq!(kept.starts(), 2);
    let received = std::fs::read_to_string(kept.state("received")).expect("received");
    let replayed: Vec<&str> = received.lines().skip(4).take(3).collect();
    assert!(
        replayed[0].contains(r#""id":"mcpgen-keeper-"#),
        "{received}"
    );
    assert!(
        replayed[0].contains(r#""method":"initialize""#),
        "{received}"
    );
    assert_eq!(replayed[1], INITIALIZED);
    assert!(replayed[2].contains("tools/list"), "{received}");
    // The client closing its input ends the keeper at once, with the server's status.
    kept.stdin = None;
    let (rest, code) = kept.finished(Duration::from_secs(5));
    assert!(rest.is_empty(), "{rest:?}");
    assert_eq!(code, 0);
}

#[test]
fn a_changed_tool_list_is_announced_after_the_restart() {
    let mut kept = Kept::session(&[]);
    std::fs::write(
        kept.state("tools"),
        r#"[{"name":"echo","inputSchema":{"type":"object"}},{"name":"new","inputSchema":{"type":"object"}}]"#,
    )
    .expect("tools");
    kept.call(2, "crash");
    assert_eq!(kept.answer()["id"], 2);
    let note = kept.answer();
    assert_eq!(note["method"], "notifications/tools/list_changed");
}

#[test]
fn a_server_that_now_fails_at_once_ends_the_session_within_the_bound() {
    let mut kept = Kept::session(&[("MCPGEN_RECOVER_TIMEOUT", "3")]);
    std::fs::write(kept.state("fail"), "").expect("fail flag");
    kept.call(2, "crash");
    let started = Instant::now();
    assert_eq!(kept.answer()["id"], 2);
    // Sent while the keeper is trying: answered with an error when it gives up.
    kept.call(3, "echo");
    let (rest, code) = kept.finished(Duration::from_secs(10));
    let took = started.elapsed();
    assert_eq!(code, 1);
    assert_eq!(rest.len(), 1, "{rest:?}");
    assert_eq!(rest[0]["id"], 3);
    assert_eq!(rest[0]["error"]["data"]["retry"], false);
    assert!(
        (Duration::from_secs(3)..Duration::from_secs(5)).contains(&took),
        "ended after {took:?}"
    );
}

#[test]
fn another_protocol_version_after_the_restart_ends_the_session() {
    let mut kept = Kept::session(&[]);
    std::fs::write(kept.state("version"), "2025-06-18").expect("version");
    kept.call(2, "crash");
    assert_eq!(kept.answer()["id"], 2);
    let (rest, code) = kept.finished(Duration::from_secs(5));
    assert!(rest.is_empty(), "{rest:?}");
    assert_eq!(code, 1);
    assert_eq!(kept.starts(), 2, "one new process, refused on its answer");
}

#[test]
fn before_the_handshake_the_keeper_is_transparent() {
    let mut kept = Kept::start_with(&[], &[("fail", "")]);
    kept.send(INIT);
    let (rest, code) = kept.finished(Duration::from_secs(5));
    assert!(rest.is_empty(), "{rest:?}");
    assert_eq!(code, 1, "the server's own exit status");
}

#[test]
fn a_server_that_keeps_dying_stops_being_revived() {
    let mut kept = Kept::session(&[("MCPGEN_MAX_REVIVALS", "2")]);
    for id in 2..=3 {
        kept.call(id, "crash");
        assert_eq!(kept.answer()["id"], id);
    }
    kept.call(4, "crash");
    let (rest, code) = kept.finished(Duration::from_secs(5));
    assert_eq!(rest.len(), 1, "{rest:?}");
    assert_eq!(rest[0]["id"], 4);
    assert_eq!(code, 1);
}
