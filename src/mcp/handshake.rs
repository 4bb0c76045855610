//! The one MCP handshake mcpgen performs — in the containers' health check, in `mcpgen probe`
//! and in `mcpgen monitor` — for both protocol eras (the MCP specification 2026-07-28, `basic/transports/stdio`, backward compatibility).
//!
//! Sans I/O: [`Handshake`] is told what happened ([`Event`]) and answers what to do next
//! ([`Action`]); the drivers own the processes, pipes and clocks. The rules it keeps:
//! - The era of a server is found with `server/discover` *with `_meta`* on a process whose
//!   death costs nothing: some legacy servers (rmcp ≤ 2.x) exit on any request before
//!   `initialize`. A DiscoverResult, or a -32020/-32021/-32022 error, means modern (retry with
//!   a version the server lists; never fall back). Any other error, an exit or silence means
//!   legacy, and the legacy handshake then runs on a **fresh** process ([`Action::Restart`]).
//! - Once the era is known (the caller remembers it), the handshake goes straight to it.
//! - Liveness is `tools/list` (both eras have it), never `ping` (gone in 2026-07-28).

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The modern protocol revision this handshake speaks.
pub(crate) const MODERN_VERSION: &str = "2026-07-28";
/// The newest legacy revision; servers answer with the one they pick.
pub(crate) const LEGACY_VERSION: &str = "2025-11-25";
/// The modern errors that say "I am modern, but not that version" (`error.data` lists the
/// supported ones).
const UNSUPPORTED_VERSION: [i64; 3] = [-32020, -32021, -32022];

const DISCOVER_ID: &str = "mcpgen-discover";
const INITIALIZE_ID: &str = "mcpgen-initialize";
const TOOLS_ID: &str = "mcpgen-tools";

/// The protocol era a server speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Era {
    /// `initialize` + `notifications/initialized` (protocol ≤ 2025-11-25).
    Legacy,
    /// Stateless, `_meta` on every request (protocol 2026-07-28).
    Modern,
}

impl Era {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Era::Legacy => "legacy",
            Era::Modern => "modern",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<Era> {
        match text {
            "legacy" => Some(Era::Legacy),
            "modern" => Some(Era::Modern),
            _ => None,
        }
    }
}

/// A server that completed the handshake and listed its tools.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Outcome {
    pub era: Era,
    /// The protocol version agreed on.
    pub protocol: String,
    /// The server's own name, when it gave one.
    pub server: Option<String>,
    pub tools: Vec<String>,
}

/// Why the handshake failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Failure {
    #[error("the server exited during `{during}`{}", stderr_suffix(.stderr))]
    Exited {
        during: &'static str,
        stderr: String,
    },
    #[error("no answer to `{during}` in time")]
    TimedOut { during: &'static str },
    #[error("`{during}` failed: {message}")]
    Refused {
        during: &'static str,
        message: String,
    },
    #[error(
        "the server supports only protocol versions {offered:?}; mcpgen speaks {MODERN_VERSION}"
    )]
    NoCommonVersion { offered: Vec<String> },
    #[error("cannot start the server: {message}")]
    Start { message: String },
    #[error("the server wrote {what}: stopped reading it")]
    Flooded { what: &'static str },
}

fn stderr_suffix(stderr: &str) -> String {
    if stderr.is_empty() {
        String::new()
    } else {
        format!(" (its stderr: {stderr})")
    }
}

/// What happened on the server's side since the last action.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Event<'a> {
    /// One line of the server's stdout.
    Line(&'a str),
    /// Its stdout ended (the process exited); `stderr` is the tail of what it said.
    Closed { stderr: &'a str },
    /// The wait the last action asked for ran out.
    TimedOut,
}

/// What the driver does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Action {
    /// Write these lines (each a JSON-RPC message, newline-terminated by the driver), then
    /// wait for the next line.
    Send(Vec<String>),
    /// Nothing to send: wait for the next line.
    Wait,
    /// End this process and start a fresh one, then call [`Handshake::started`].
    Restart,
    Done(Result<Outcome, Failure>),
}

#[derive(Debug, Clone)]
enum Stage {
    NotStarted,
    Discover {
        version: String,
        retried: bool,
    },
    /// Discover was answered as legacy on a process that may be damaged by it.
    NeedFreshProcess,
    Initialize,
    Tools {
        era: Era,
        protocol: String,
        server: Option<String>,
    },
    Finished,
}

/// One handshake with one server, possibly over two processes (era discovery, then legacy).
#[derive(Debug, Clone)]
pub(crate) struct Handshake {
    client: String,
    era: Option<Era>,
    /// The era came from the server's own answer to `server/discover` (not from its silence
    /// or its exit, which a merely slow or crashing server shows too).
    era_answered: bool,
    stage: Stage,
}

impl Handshake {
    /// `client` names mcpgen's role in the server's logs; `era` is what the caller remembers
    /// of this server (`None`: find out, on a throw-away process).
    pub(crate) fn new(client: &str, era: Option<Era>) -> Self {
        Self {
            client: client.to_string(),
            era,
            era_answered: era.is_some(),
            stage: Stage::NotStarted,
        }
    }

    /// Whether [`Handshake::era`] is worth remembering even when the handshake failed: the
    /// server answered the era discovery itself.
    pub(crate) fn era_answered(&self) -> bool {
        self.era_answered
    }

    /// The request the handshake is waiting on, for messages and timeouts.
    pub(crate) fn waiting_for(&self) -> &'static str {
        match self.stage {
            Stage::Discover { .. } => "server/discover",
            Stage::Initialize | Stage::NeedFreshProcess | Stage::NotStarted => "initialize",
            Stage::Tools { .. } | Stage::Finished => "tools/list",
        }
    }

    /// Whether the current wait is for the era discovery, whose silence means "legacy" rather
    /// than a failure: drivers give it a shorter wait than the rest.
    pub(crate) fn discovering(&self) -> bool {
        matches!(self.stage, Stage::Discover { .. })
    }

    /// A fresh server process is ready for input.
    pub(crate) fn started(&mut self) -> Action {
        match (&self.stage, self.era) {
            (Stage::NotStarted, None) => self.discover(MODERN_VERSION.to_string(), false),
            (Stage::NotStarted, Some(Era::Modern)) => {
                self.stage = Stage::Tools {
                    era: Era::Modern,
                    protocol: MODERN_VERSION.to_string(),
                    server: None,
                };
                Action::Send(vec![self.tools_list(Era::Modern, MODERN_VERSION)])
            }
            (Stage::NotStarted | Stage::NeedFreshProcess, _) => {
                self.stage = Stage::Initialize;
                Action::Send(vec![self.initialize()])
            }
            // A restart the handshake did not ask for: begin again on this process.
            _ => {
                self.stage = Stage::NotStarted;
                self.started()
            }
        }
    }

    pub(crate) fn on(&mut self, event: Event<'_>) -> Action {
        let during = self.waiting_for();
        match event {
            Event::Line(line) => self.on_line(line),
            Event::Closed { stderr } => match self.stage {
                // An exit on an early request is what a strict legacy server does.
                Stage::Discover { .. } => self.legacy_on_fresh_process(),
                _ => self.finish(Err(Failure::Exited {
                    during,
                    stderr: stderr.to_string(),
                })),
            },
            Event::TimedOut => match self.stage {
                // Silence to an unknown method is legacy too (some servers drop it).
                Stage::Discover { .. } => self.legacy_on_fresh_process(),
                _ => self.finish(Err(Failure::TimedOut { during })),
            },
        }
    }

    fn on_line(&mut self, line: &str) -> Action {
        let Ok(message) = serde_json::from_str::<Value>(line) else {
            // A server that logs to stdout breaks clients, but the question here is only
            // whether it answers: skip what is not JSON-RPC.
            return Action::Wait;
        };
        let id = message.get("id").and_then(Value::as_str);
        let result = message.get("result");
        let error = message.get("error");
        match (&self.stage, id) {
            (Stage::Discover { version, retried }, Some(DISCOVER_ID)) => {
                self.era_answered = true;
                if let Some(result) = result {
                    let version = version.clone();
                    let server = result
                        .pointer("/_meta/io.modelcontextprotocol~1serverInfo/name")
                        .or_else(|| result.pointer("/serverInfo/name"))
                        .and_then(Value::as_str)
                        .map(str::to_string);
                    self.era = Some(Era::Modern);
                    self.stage = Stage::Tools {
                        era: Era::Modern,
                        protocol: version.clone(),
                        server,
                    };
                    return Action::Send(vec![self.tools_list(Era::Modern, &version)]);
                }
                let code = error.and_then(|e| e.get("code")).and_then(Value::as_i64);
                if code.is_some_and(|c| UNSUPPORTED_VERSION.contains(&c)) {
                    self.era = Some(Era::Modern);
                    let offered = supported_versions(error);
                    if *retried {
                        return self.finish(Err(Failure::NoCommonVersion { offered }));
                    }
                    // Modern, but another revision: retry with one it lists, never fall back.
                    return match offered.iter().find(|v| v.as_str() == MODERN_VERSION) {
                        Some(version) => self.discover(version.clone(), true),
                        None => self.finish(Err(Failure::NoCommonVersion { offered })),
                    };
                }
                self.legacy_on_fresh_process()
            }
            (Stage::Initialize, Some(INITIALIZE_ID)) => {
                let code = error.and_then(|e| e.get("code")).and_then(Value::as_i64);
                if result.is_none()
                    && code.is_some_and(|c| UNSUPPORTED_VERSION.contains(&c))
                    && !self.era_answered
                {
                    // A modern-only server that was slow to answer the discovery (its silence
                    // read as legacy) says so now: discover again, as modern.
                    self.era = Some(Era::Modern);
                    self.era_answered = true;
                    return self.discover(MODERN_VERSION.to_string(), false);
                }
                let Some(result) = result else {
                    return self.finish(Err(Failure::Refused {
                        during: "initialize",
                        message: error_message(error),
                    }));
                };
                let protocol = result
                    .get("protocolVersion")
                    .and_then(Value::as_str)
                    .unwrap_or(LEGACY_VERSION)
                    .to_string();
                let server = result
                    .pointer("/serverInfo/name")
                    .and_then(Value::as_str)
                    .map(str::to_string);
                self.era = Some(Era::Legacy);
                self.stage = Stage::Tools {
                    era: Era::Legacy,
                    protocol: protocol.clone(),
                    server,
                };
                Action::Send(vec![
                    json!({"jsonrpc": "2.0", "method": "notifications/initialized"}).to_string(),
                    self.tools_list(Era::Legacy, &protocol),
                ])
            }
            (
                Stage::Tools {
                    era,
                    protocol,
                    server,
                },
                Some(TOOLS_ID),
            ) => {
                let Some(result) = result else {
                    return self.finish(Err(Failure::Refused {
                        during: "tools/list",
                        message: error_message(error),
                    }));
                };
                let tools = result
                    .get("tools")
                    .and_then(Value::as_array)
                    .map(|tools| {
                        tools
                            .iter()
                            .filter_map(|t| t.get("name").and_then(Value::as_str))
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default();
                let outcome = Outcome {
                    era: *era,
                    protocol: protocol.clone(),
                    server: server.clone(),
                    tools,
                };
                self.finish(Ok(outcome))
            }
            // Notifications, the server's own requests, late answers: not the question.
            _ => Action::Wait,
        }
    }

    /// The era the handshake settled on, for the caller to remember.
    pub(crate) fn era(&self) -> Option<Era> {
        self.era
    }

    fn finish(&mut self, result: Result<Outcome, Failure>) -> Action {
        self.stage = Stage::Finished;
        Action::Done(result)
    }

    fn legacy_on_fresh_process(&mut self) -> Action {
        self.era = Some(Era::Legacy);
        self.stage = Stage::NeedFreshProcess;
        Action::Restart
    }

    fn discover(&mut self, version: String, retried: bool) -> Action {
        let message = json!({
            "jsonrpc": "2.0",
            "id": DISCOVER_ID,
            "method": "server/discover",
            "params": {"_meta": self.meta(&version)},
        });
        self.stage = Stage::Discover { version, retried };
        Action::Send(vec![message.to_string()])
    }

    fn meta(&self, version: &str) -> Value {
        json!({
            "io.modelcontextprotocol/protocolVersion": version,
            "io.modelcontextprotocol/clientCapabilities": {},
            "io.modelcontextprotocol/clientInfo": self.client_info(),
        })
    }

    fn client_info(&self) -> Value {
        json!({"name": self.client, "version": env!("CARGO_PKG_VERSION")})
    }

    fn initialize(&self) -> String {
        json!({
            "jsonrpc": "2.0",
            "id": INITIALIZE_ID,
            "method": "initialize",
            "params": {
                "protocolVersion": LEGACY_VERSION,
                "capabilities": {},
                "clientInfo": self.client_info(),
            },
        })
        .to_string()
    }

    fn tools_list(&self, era: Era, version: &str) -> String {
        let params = match era {
            Era::Legacy => json!({}),
            Era::Modern => json!({"_meta": self.meta(version)}),
        };
        json!({"jsonrpc": "2.0", "id": TOOLS_ID, "method": "tools/list", "params": params})
            .to_string()
    }
}

/// The versions a -3202x error lists, wherever in `data` the server put them.
fn supported_versions(error: Option<&Value>) -> Vec<String> {
    let data = error.and_then(|e| e.get("data"));
    let list = data
        .and_then(|d| d.get("supported").or_else(|| d.get("supportedVersions")))
        .or(data)
        .and_then(Value::as_array);
    list.map(|versions| {
        versions
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect()
    })
    .unwrap_or_default()
}

fn error_message(error: Option<&Value>) -> String {
    let Some(error) = error else {
        return "an answer with neither result nor error".to_string();
    };
    match (
        error.get("message").and_then(Value::as_str),
        error.get("code"),
    ) {
        (Some(text), Some(code)) => format!("{text} ({code})"),
        (Some(text), None) => text.to_string(),
        _ => error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sent(action: &Action) -> Vec<Value> {
        match action {
            Action::Send(lines) => lines
                .iter()
                .map(|l| serde_json::from_str(l).unwrap_or(Value::Null))
                .collect(),
            other => panic!("expected Send, got {other:?}"),
        }
    }

    fn answer(id: &str, result: Value) -> String {
        json!({"jsonrpc": "2.0", "id": id, "result": result}).to_string()
    }

    fn error(id: &str, code: i64, data: Value) -> String {
        json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": "no", "data": data}})
            .to_string()
    }

    fn tools() -> String {
        answer(
            TOOLS_ID,
            json!({"tools": [{"name": "read"}, {"name": "write"}]}),
        )
    }

    #[test]
    fn unknown_era_discovers_with_meta_first() {
        let mut h = Handshake::new("t", None);
        let first = sent(&h.started());
        assert_eq!(first[0]["method"], "server/discover");
        assert_eq!(
            first[0]["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"],
            MODERN_VERSION
        );
        assert!(
            first[0]["params"]["_meta"]["io.modelcontextprotocol/clientCapabilities"].is_object()
        );
        assert!(h.discovering());
    }

    #[test]
    fn modern_server_is_probed_by_tools_list_with_meta() {
        let mut h = Handshake::new("t", None);
        h.started();
        let discover = answer(
            DISCOVER_ID,
            json!({"supportedVersions": [MODERN_VERSION], "capabilities": {"tools": {}},
                   "_meta": {"io.modelcontextprotocol/serverInfo": {"name": "modern", "version": "2"}}}),
        );
        let next = sent(&h.on(Event::Line(&discover)));
        assert_eq!(next[0]["method"], "tools/list");
        assert!(next[0]["params"]["_meta"].is_object());
        let done = h.on(Event::Line(&tools()));
        assert_eq!(
            done,
            Action::Done(Ok(Outcome {
                era: Era::Modern,
                protocol: MODERN_VERSION.to_string(),
                server: Some("modern".to_string()),
                tools: vec!["read".to_string(), "write".to_string()],
            }))
        );
        assert_eq!(h.era(), Some(Era::Modern));
    }

    #[test]
    fn method_not_found_means_legacy_on_a_fresh_process() {
        let mut h = Handshake::new("t", None);
        h.started();
        let action = h.on(Event::Line(&error(DISCOVER_ID, -32601, Value::Null)));
        assert_eq!(action, Action::Restart);
        let init = sent(&h.started());
        assert_eq!(init[0]["method"], "initialize");
        let result = answer(
            INITIALIZE_ID,
            json!({"protocolVersion": "2025-06-18", "capabilities": {}, "serverInfo": {"name": "fs"}}),
        );
        let next = sent(&h.on(Event::Line(&result)));
        assert_eq!(next[0]["method"], "notifications/initialized");
        assert_eq!(next[1]["method"], "tools/list");
        let Action::Done(Ok(outcome)) = h.on(Event::Line(&tools())) else {
            panic!("expected success");
        };
        assert_eq!(outcome.era, Era::Legacy);
        assert_eq!(outcome.protocol, "2025-06-18");
        assert_eq!(outcome.server.as_deref(), Some("fs"));
    }

    #[test]
    fn a_server_that_dies_on_discover_is_legacy_not_unhealthy() {
        let mut h = Handshake::new("t", None);
        h.started();
        assert_eq!(h.on(Event::Closed { stderr: "bye" }), Action::Restart);
        assert_eq!(h.era(), Some(Era::Legacy));
        assert_eq!(sent(&h.started())[0]["method"], "initialize");
    }

    #[test]
    fn silence_to_discover_is_legacy_but_not_an_answer() {
        let mut h = Handshake::new("t", None);
        h.started();
        assert_eq!(h.on(Event::TimedOut), Action::Restart);
        assert_eq!(h.era(), Some(Era::Legacy));
        assert!(!h.era_answered());
    }

    #[test]
    fn an_answered_discovery_is_worth_remembering_even_if_the_rest_fails() {
        let mut h = Handshake::new("t", None);
        h.started();
        h.on(Event::Line(&error(DISCOVER_ID, -32601, Value::Null)));
        assert!(h.era_answered());
        h.started();
        assert!(matches!(h.on(Event::TimedOut), Action::Done(Err(_))));
        assert_eq!(h.era(), Some(Era::Legacy));
    }

    #[test]
    fn unsupported_version_retries_with_a_listed_one_and_never_falls_back() {
        let mut h = Handshake::new("t", None);
        h.started();
        let refusal = error(
            DISCOVER_ID,
            -32022,
            json!({"supported": ["2027-01-01", MODERN_VERSION]}),
        );
        let retry = sent(&h.on(Event::Line(&refusal)));
        assert_eq!(retry[0]["method"], "server/discover");
        assert_eq!(h.era(), Some(Era::Modern));
        // A second refusal ends it: no legacy fallback for a modern server.
        let again = h.on(Event::Line(&refusal));
        assert!(matches!(
            again,
            Action::Done(Err(Failure::NoCommonVersion { .. }))
        ));
    }

    #[test]
    fn unsupported_version_without_a_common_one_fails() {
        let mut h = Handshake::new("t", None);
        h.started();
        let refusal = error(DISCOVER_ID, -32020, json!(["2027-01-01"]));
        assert_eq!(
            h.on(Event::Line(&refusal)),
            Action::Done(Err(Failure::NoCommonVersion {
                offered: vec!["2027-01-01".to_string()]
            }))
        );
    }

    #[test]
    fn a_slow_modern_server_read_as_legacy_is_discovered_again() {
        let mut h = Handshake::new("t", None);
        h.started();
        assert_eq!(h.on(Event::TimedOut), Action::Restart);
        h.started();
        let refusal = error(
            INITIALIZE_ID,
            -32022,
            json!({"supported": [MODERN_VERSION]}),
        );
        let again = sent(&h.on(Event::Line(&refusal)));
        assert_eq!(again[0]["method"], "server/discover");
        assert_eq!(h.era(), Some(Era::Modern));
    }

    #[test]
    fn known_legacy_era_skips_discovery() {
        let mut h = Handshake::new("t", Some(Era::Legacy));
        assert_eq!(sent(&h.started())[0]["method"], "initialize");
    }

    #[test]
    fn known_modern_era_goes_straight_to_tools_list() {
        let mut h = Handshake::new("t", Some(Era::Modern));
        assert_eq!(sent(&h.started())[0]["method"], "tools/list");
    }

    #[test]
    fn legacy_exit_after_discovery_is_a_failure() {
        let mut h = Handshake::new("t", Some(Era::Legacy));
        h.started();
        assert_eq!(
            h.on(Event::Closed { stderr: "boom" }),
            Action::Done(Err(Failure::Exited {
                during: "initialize",
                stderr: "boom".to_string()
            }))
        );
    }

    #[test]
    fn initialize_error_is_reported() {
        let mut h = Handshake::new("t", Some(Era::Legacy));
        h.started();
        let refusal = error(INITIALIZE_ID, -32600, Value::Null);
        let Action::Done(Err(Failure::Refused { during, message })) = h.on(Event::Line(&refusal))
        else {
            panic!("expected a refusal");
        };
        assert_eq!(during, "initialize");
        assert!(message.contains("-32600"));
    }

    #[test]
    fn noise_notifications_and_server_requests_are_skipped() {
        let mut h = Handshake::new("t", Some(Era::Legacy));
        h.started();
        assert_eq!(h.on(Event::Line("Server running on stdio")), Action::Wait);
        let request = json!({"jsonrpc": "2.0", "id": 0, "method": "roots/list"}).to_string();
        assert_eq!(h.on(Event::Line(&request)), Action::Wait);
        let note = json!({"jsonrpc": "2.0", "method": "notifications/message"}).to_string();
        assert_eq!(h.on(Event::Line(&note)), Action::Wait);
    }

    #[test]
    fn tools_list_timeout_is_a_failure() {
        let mut h = Handshake::new("t", Some(Era::Modern));
        h.started();
        assert_eq!(
            h.on(Event::TimedOut),
            Action::Done(Err(Failure::TimedOut {
                during: "tools/list"
            }))
        );
    }
}
