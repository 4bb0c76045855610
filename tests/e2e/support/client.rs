//! The Python MCP SDK as the client (`tests/e2e/client.py`), started with a client's small
//! environment and a client config entry run verbatim.

use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};

use super::cmd;
use super::engine::repo;
use super::stack::{ClientEntry, Stack};

/// What the client saw in one session.
#[derive(Debug, Clone)]
pub struct Session {
    pub ok: bool,
    pub error: Option<String>,
    pub protocol_version: Option<String>,
    pub handshake_ms: Option<u64>,
    pub elapsed_ms: u64,
    /// The server's stderr: the shim's log lines and the server's own.
    pub stderr: String,
    pub results: Vec<Value>,
}

impl Session {
    fn from_json(value: &Value) -> Session {
        Session {
            ok: value["ok"].as_bool().unwrap_or(false),
            error: value["error"].as_str().map(String::from),
            protocol_version: value["protocol_version"].as_str().map(String::from),
            handshake_ms: value["handshake_ms"].as_u64(),
            elapsed_ms: value["elapsed_ms"].as_u64().unwrap_or(0),
            stderr: value["stderr"].as_str().unwrap_or("").to_string(),
            results: value["results"].as_array().cloned().unwrap_or_default(),
        }
    }

    /// The tool names of a `list_tools` step's result.
    pub fn tools(&self, step: usize) -> Vec<String> {
        self.results[step]["tools"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    }
}

pub fn list_tools() -> Value {
    json!({"op": "list_tools"})
}

pub fn call(tool: &str, arguments: Value) -> Value {
    json!({"op": "call", "tool": tool, "arguments": arguments})
}

pub fn sleep(seconds: f64) -> Value {
    json!({"op": "sleep", "seconds": seconds})
}

pub struct Run<'a> {
    stack: &'a Stack,
    entry: ClientEntry,
    sessions: Vec<Vec<Value>>,
    concurrent: bool,
    timeout: Duration,
}

impl Stack {
    /// A client run of `server`'s entry in the config of `profile`.
    pub fn client(&self, server: &str, profile: &str) -> Run<'_> {
        Run {
            stack: self,
            entry: self.client_entry(server, profile),
            sessions: Vec::new(),
            concurrent: false,
            timeout: Duration::from_secs(60),
        }
    }
}

impl Run<'_> {
    pub fn session(mut self, steps: Vec<Value>) -> Self {
        self.sessions.push(steps);
        self
    }

    pub fn sessions(mut self, count: usize, steps: Vec<Value>) -> Self {
        self.sessions.extend(std::iter::repeat_n(steps, count));
        self
    }

    /// Runs the sessions at once rather than one after the other.
    pub fn concurrent(mut self) -> Self {
        self.concurrent = true;
        self
    }

    /// An extra variable in the entry's `env`, as a user could add to the config.
    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.entry.env.insert(name.to_string(), value.to_string());
        self
    }

    /// Bound on each session.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    pub fn run(self) -> Vec<Session> {
        let plan = json!({
            "command": self.entry.command,
            "args": self.entry.args,
            "env": self.entry.env,
            "timeout": self.timeout.as_secs_f64(),
            "concurrent": self.concurrent,
            "sessions": self.sessions,
        });
        let bound = if self.concurrent {
            self.timeout
        } else {
            self.timeout * u32::try_from(self.sessions.len()).unwrap_or(1)
        } + Duration::from_secs(30);
        // The SDK passes HOME and PATH on to the server from its own environment, as desktop
        // clients do: the client's HOME, and a short PATH.
        let out = cmd::run(
            Command::new(&self.stack.engine.python)
                .arg(repo().join("tests/e2e/client.py"))
                .env_clear()
                .env("HOME", self.stack.home())
                .env("PATH", "/usr/bin:/bin"),
            Some(&plan.to_string()),
            bound,
        );
        assert!(out.success(), "client.py failed: {out}");
        let value: Value = serde_json::from_str(out.stdout.trim())
            .unwrap_or_else(|e| panic!("client.py printed no JSON ({e}): {out}"));
        value["sessions"]
            .as_array()
            .expect("sessions")
            .iter()
            .map(Session::from_json)
            .collect()
    }
}

/// One client session held open while a test breaks things under it (`client.py
/// --interactive`): each op is answered as it completes, so a test can send one at the moment
/// of a fault and read what the client saw.
pub struct Held {
    child: std::process::Child,
    stdin: Option<std::process::ChildStdin>,
    lines: std::sync::mpsc::Receiver<Value>,
    /// What `connected` reported: the protocol version.
    pub protocol_version: String,
}

/// One op's outcome, as the client saw it.
#[derive(Debug, Clone)]
pub struct Answer {
    pub ok: bool,
    pub error: Option<String>,
    pub result: Value,
}

impl Stack {
    /// A session of `server`'s entry in the strict profile's config, held open; `env` is added
    /// to the entry's environment as a user could.
    pub fn hold(&self, server: &str, env: &[(&str, &str)]) -> Held {
        use std::io::{BufRead as _, BufReader};
        use std::process::Stdio;
        let mut entry = self.client_entry(server, "hardened");
        for (name, value) in env {
            entry.env.insert((*name).to_string(), (*value).to_string());
        }
        let mut child = Command::new(&self.engine.python)
            .arg(repo().join("tests/e2e/client.py"))
            .arg("--interactive")
            .env_clear()
            .env("HOME", self.home())
            .env("PATH", "/usr/bin:/bin")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start client.py --interactive");
        let stdout = child.stdout.take().expect("client stdout");
        let (sender, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                let Ok(value) = serde_json::from_str::<Value>(&line) else {
                    panic!("client.py printed no JSON: {line}");
                };
                if sender.send(value).is_err() {
                    return;
                }
            }
        });
        let mut held = Held {
            child,
            stdin: None,
            lines,
            protocol_version: String::new(),
        };
        held.stdin = held.child.stdin.take();
        let plan = json!({"command": entry.command, "args": entry.args, "env": entry.env});
        held.write(&plan);
        let connected = held.next(Duration::from_secs(90));
        assert_eq!(
            connected["event"], "connected",
            "the session did not start: {connected}"
        );
        held.protocol_version = connected["protocol_version"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        held
    }
}

/// The memory server's entity a fault test writes on a session before the fault.
const SURVIVOR: &str = "survivor";

/// The op that reads the survivor back.
pub fn recall_survivor() -> Value {
    call("open_nodes", json!({"names": [SURVIVOR]}))
}

impl Held {
    /// Writes the survivor, with `note` as its observation, on this session.
    pub fn remember_survivor(&mut self, note: &str) {
        let entity =
            json!({"entities": [{"name": SURVIVOR, "entityType": "test", "observations": [note]}]});
        let created = self.ask(&call("create_entities", entity));
        assert!(
            created.ok && created.result["is_error"] == false,
            "{created:?}"
        );
    }

    /// Reads the survivor back on this session: it must answer, with `note`.
    pub fn assert_survivor(&mut self, note: &str) {
        let read = self.ask(&recall_survivor());
        assert!(read.ok, "{read:?}");
        assert!(
            read.result["text"]
                .as_str()
                .unwrap_or_default()
                .contains(note),
            "{read:?}"
        );
    }

    fn write(&mut self, value: &Value) {
        use std::io::Write as _;
        let stdin = self.stdin.as_mut().expect("the session is open");
        writeln!(stdin, "{value}").expect("write to client.py");
        stdin.flush().expect("flush to client.py");
    }

    fn next(&self, timeout: Duration) -> Value {
        self.lines
            .recv_timeout(timeout)
            .unwrap_or_else(|e| panic!("client.py said nothing within {timeout:?}: {e}"))
    }

    /// Sends an op without waiting for its answer (see [`Held::answer`]).
    pub fn send(&mut self, op: &Value) {
        let mut op = op.clone();
        op["timeout"] = json!(60);
        self.write(&op);
    }

    /// The answer to the oldest op sent and not yet answered.
    pub fn answer(&self) -> Answer {
        let value = self.next(Duration::from_secs(90));
        assert!(
            value.get("event").is_none(),
            "the session ended while an answer was awaited: {value}"
        );
        Answer {
            ok: value["ok"].as_bool().unwrap_or(false),
            error: value["error"].as_str().map(String::from),
            result: value["result"].clone(),
        }
    }

    pub fn ask(&mut self, op: &Value) -> Answer {
        self.send(op);
        self.answer()
    }

    /// Closes the session; the client's view of its end and the server's stderr (the shim's
    /// and the keeper's log lines).
    pub fn close(mut self) -> (Value, String) {
        self.stdin = None;
        let mut ended = Value::Null;
        loop {
            let value = self.next(Duration::from_secs(60));
            if value["event"] == "closed" {
                let _ = self.child.wait();
                return (ended, value["stderr"].as_str().unwrap_or("").to_string());
            }
            ended = value;
        }
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
