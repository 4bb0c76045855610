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
