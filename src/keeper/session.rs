//! The session keeper's logic, without I/O: what to do with each line from the client or the
//! server, with the death of a server process and with the passing of time. The driver
//! ([`super::driver`]) owns the processes and the pipes and carries out the [`Action`]s.
//!
//! While the server process lives, every line is forwarded as it came; the envelope is read
//! to remember what a new process would need to take the session over: the client's
//! `initialize` and what it negotiated, `notifications/initialized`, the log level, the
//! resource subscriptions, the lists the client saw, and (2026-07-28 era) the `_meta` every
//! request carries. When the process ends while the client still talks, requests in flight
//! are answered with an error the client may retry, the server's own requests are cancelled,
//! and new processes are tried until one takes the handshake as the first one did — or the
//! recovery bound passes, and the session ends cleanly.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::message::{self, IdKey, Kind};

/// How the keeper behaves; see [`Settings::from_env`] for the variables that set it.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The server's name in mcp.toml, for messages.
    pub server: String,
    /// How long one recovery may take before the session ends (`MCPGEN_RECOVER_TIMEOUT`).
    pub recover_timeout: Duration,
    /// Revivals allowed within [`Settings::revival_window`] (`MCPGEN_MAX_REVIVALS`).
    pub max_revivals: usize,
    pub revival_window: Duration,
    /// How long a server may take to exit once the client has closed its input.
    pub close_timeout: Duration,
}

impl Settings {
    pub const DEFAULT_RECOVER_TIMEOUT: Duration = Duration::from_secs(60);
    pub const DEFAULT_MAX_REVIVALS: usize = 5;

    pub fn new(server: &str) -> Self {
        Settings {
            server: server.to_string(),
            recover_timeout: Self::DEFAULT_RECOVER_TIMEOUT,
            max_revivals: Self::DEFAULT_MAX_REVIVALS,
            revival_window: Duration::from_secs(600),
            close_timeout: Duration::from_secs(10),
        }
    }

    /// The defaults, with `MCPGEN_RECOVER_TIMEOUT` (seconds) and `MCPGEN_MAX_REVIVALS` read
    /// through `var`. A value that does not parse is reported and the default kept: a typo
    /// in a client config must not cost the user the session.
    pub fn from_env(server: &str, var: impl Fn(&str) -> Option<String>) -> (Self, Vec<String>) {
        let mut settings = Settings::new(server);
        let mut warnings = Vec::new();
        if let Some(text) = var("MCPGEN_RECOVER_TIMEOUT") {
            match text.trim().parse::<f64>() {
                Ok(seconds) if seconds.is_finite() && seconds > 0.0 && seconds <= 86_400.0 => {
                    settings.recover_timeout = Duration::from_secs_f64(seconds);
                }
                _ => warnings.push(format!(
                    "MCPGEN_RECOVER_TIMEOUT={text:?} is not a number of seconds (0 < s <= 86400); using {}",
                    Self::DEFAULT_RECOVER_TIMEOUT.as_secs()
                )),
            }
        }
        if let Some(text) = var("MCPGEN_MAX_REVIVALS") {
            match text.trim().parse::<usize>() {
                Ok(count) => settings.max_revivals = count,
                Err(_) => warnings.push(format!(
                    "MCPGEN_MAX_REVIVALS={text:?} is not a count; using {}",
                    Self::DEFAULT_MAX_REVIVALS
                )),
            }
        }
        (settings, warnings)
    }
}

/// What the driver is to do. Lines carry no trailing newline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    ToClient(Vec<u8>),
    ToServer(Vec<u8>),
    /// Start server process number `generation` (after ending the previous one, if any).
    Spawn(u64),
    /// The client is done: close the server's input and let it finish.
    CloseServerInput,
    /// End the current server process and everything it started.
    Kill,
    /// A line for the client's log (stderr).
    Log(String),
    Exit(i32),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ListKind {
    Tools,
    Prompts,
    Resources,
}

impl ListKind {
    fn from_method(method: &str) -> Option<ListKind> {
        match method {
            "tools/list" => Some(ListKind::Tools),
            "prompts/list" => Some(ListKind::Prompts),
            "resources/list" => Some(ListKind::Resources),
            _ => None,
        }
    }

    fn changed_notification(self) -> &'static str {
        match self {
            ListKind::Tools => "notifications/tools/list_changed",
            ListKind::Prompts => "notifications/prompts/list_changed",
            ListKind::Resources => "notifications/resources/list_changed",
        }
    }
}

/// What the answer to a client's request teaches the keeper.
#[derive(Debug, Clone)]
enum Track {
    Nothing,
    Initialize,
    /// `modern`: the request carried the 2026-07-28 `_meta`; its success opens the session.
    Discover {
        modern: bool,
    },
    /// A request of the 2026-07-28 era (it carried `_meta`): its success opens the session.
    Modern,
    List {
        kind: ListKind,
        request: Vec<u8>,
        modern: bool,
    },
    Subscribe(String, Vec<u8>),
    Unsubscribe(String),
    SetLevel(Vec<u8>),
}

/// A request of the server's, by the id the client sees.
#[derive(Debug, Clone)]
struct ServerRequest {
    generation: u64,
    server_id: IdKey,
}

/// What a new server process must be told to take the session over.
#[derive(Debug, Default)]
struct Remembered {
    initialize: Option<Vec<u8>>,
    /// `protocolVersion` and `capabilities` of the `initialize` result the client got.
    negotiated: Option<(Value, Value)>,
    initialized: Option<Vec<u8>>,
    log_level: Option<Vec<u8>>,
    subscriptions: BTreeMap<String, Vec<u8>>,
    /// The `_meta` of the client's last 2026-07-28 request.
    meta: Option<Value>,
    /// The capabilities of the `server/discover` result the client got.
    discovered: Option<Value>,
    lists: BTreeMap<ListKind, (Vec<u8>, Value)>,
}

#[derive(Debug, Clone)]
enum Step {
    Initialize,
    Initialized,
    SetLevel,
    Subscribe(String),
    Discover,
    List(ListKind),
}

#[derive(Debug)]
enum Phase {
    Live,
    /// No server process; the next attempt starts at `at`.
    Waiting {
        at: Instant,
    },
    /// A new server process is taking the session over, one step at a time.
    Replaying {
        steps: VecDeque<Step>,
        awaiting: Option<(IdKey, Step)>,
        changed: Vec<ListKind>,
    },
    /// The client closed its input; the server finishes its last answers.
    Closing {
        deadline: Instant,
    },
    Ended,
}

#[derive(Debug)]
struct Recovery {
    started: Instant,
    deadline: Instant,
    attempts: u32,
    /// Why the last attempt failed, for the final message.
    last_failure: Option<String>,
}

/// Client messages held while no server process can take them.
const QUEUE_LIMIT: usize = 1000;

/// The JSON-RPC error code of every answer the keeper gives in the server's place.
pub const ERROR_CODE: i64 = -32000;

pub struct Session {
    settings: Settings,
    generation: u64,
    phase: Phase,
    /// The server answered the handshake once: from then on, its death is survived.
    established: bool,
    remembered: Remembered,
    pending: HashMap<IdKey, Track>,
    server_requests: HashMap<IdKey, ServerRequest>,
    queue: VecDeque<Vec<u8>>,
    recovery: Option<Recovery>,
    revivals: VecDeque<Instant>,
    sequence: u64,
    out: Vec<Action>,
}

impl Session {
    /// A session, and its first action: start server process 0.
    pub fn new(settings: Settings) -> (Session, Vec<Action>) {
        let session = Session {
            settings,
            generation: 0,
            phase: Phase::Live,
            established: false,
            remembered: Remembered::default(),
            pending: HashMap::new(),
            server_requests: HashMap::new(),
            queue: VecDeque::new(),
            recovery: None,
            revivals: VecDeque::new(),
            sequence: 0,
            out: Vec::new(),
        };
        (session, vec![Action::Spawn(0)])
    }

    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// When [`Session::tick`] must run next, if anything waits on time.
    pub fn next_deadline(&self) -> Option<Instant> {
        match &self.phase {
            Phase::Waiting { at } => Some(*at),
            Phase::Closing { deadline } => Some(*deadline),
            Phase::Replaying { .. } => self.recovery.as_ref().map(|r| r.deadline),
            Phase::Live | Phase::Ended => None,
        }
    }

    pub fn client_line(&mut self, line: Vec<u8>, now: Instant) -> Vec<Action> {
        match self.phase {
            Phase::Live => self.forward_client(line),
            Phase::Waiting { .. } | Phase::Replaying { .. } => self.hold(line, now),
            Phase::Closing { .. } | Phase::Ended => {}
        }
        self.take()
    }

    pub fn client_closed(&mut self, now: Instant) -> Vec<Action> {
        match self.phase {
            Phase::Live | Phase::Replaying { .. } => {
                self.out.push(Action::CloseServerInput);
                self.phase = Phase::Closing {
                    deadline: now + self.settings.close_timeout,
                };
            }
            Phase::Waiting { .. } => {
                self.phase = Phase::Ended;
                self.out.push(Action::Exit(0));
            }
            Phase::Closing { .. } | Phase::Ended => {}
        }
        self.take()
    }

    pub fn server_line(&mut self, generation: u64, line: Vec<u8>, now: Instant) -> Vec<Action> {
        if generation != self.generation || matches!(self.phase, Phase::Ended) {
            return Vec::new();
        }
        match message::classify(&line) {
            Kind::Response { id, ok } if self.awaits(&id) => self.replay_answer(ok, &line, now),
            Kind::Response { id, ok } => {
                if let Some(track) = self.pending.remove(&id)
                    && ok
                {
                    self.learn(track, &line);
                }
                self.out.push(Action::ToClient(line));
            }
            Kind::Request { id, .. } => {
                let client_id = if generation == 0 {
                    id.clone()
                } else {
                    // A new process counts its ids from the start again: in the client's
                    // eyes they must not meet the ids of the requests that were cancelled.
                    self.sequence += 1;
                    IdKey(format!("\"mcpgen-{generation}-{}\"", self.sequence))
                };
                let forwarded = if client_id == id {
                    Some(line)
                } else {
                    message::with_id(&line, &client_id)
                };
                if let Some(forwarded) = forwarded {
                    self.server_requests.insert(
                        client_id,
                        ServerRequest {
                            generation,
                            server_id: id,
                        },
                    );
                    self.out.push(Action::ToClient(forwarded));
                }
            }
            Kind::Notification { .. } | Kind::Other => self.out.push(Action::ToClient(line)),
        }
        self.take()
    }

    /// Server process `generation` is gone (`status`: its exit code, when it had one).
    pub fn server_gone(
        &mut self,
        generation: u64,
        status: Option<i32>,
        now: Instant,
    ) -> Vec<Action> {
        if generation != self.generation {
            return Vec::new();
        }
        match self.phase {
            Phase::Closing { .. } => {
                self.phase = Phase::Ended;
                self.out.push(Action::Exit(status.unwrap_or(1)));
            }
            Phase::Live if !self.established => {
                // Before the handshake was answered there is no session to keep: the client
                // sees what it would see without the keeper.
                self.phase = Phase::Ended;
                self.out.push(Action::Exit(status.unwrap_or(1)));
            }
            Phase::Live => self.died(status, now),
            Phase::Replaying { .. } => {
                let why = match status {
                    Some(code) => format!("the new server process exited (status {code})"),
                    None => "the new server process could not be started".to_string(),
                };
                self.retry(why, now);
            }
            Phase::Waiting { .. } | Phase::Ended => {}
        }
        self.take()
    }

    pub fn tick(&mut self, now: Instant) -> Vec<Action> {
        match self.phase {
            Phase::Waiting { at } if now >= at => self.attempt(now),
            Phase::Replaying { .. }
                if self.recovery.as_ref().is_some_and(|r| now >= r.deadline) =>
            {
                self.end_unrecovered();
            }
            Phase::Closing { deadline } if now >= deadline => {
                self.out.push(Action::Log(format!(
                    "the server did not exit within {}s of the client closing the session; ending it",
                    self.settings.close_timeout.as_secs()
                )));
                self.out.push(Action::Kill);
                self.phase = Phase::Ended;
                self.out.push(Action::Exit(1));
            }
            _ => {}
        }
        self.take()
    }

    fn take(&mut self) -> Vec<Action> {
        std::mem::take(&mut self.out)
    }

    fn log(&mut self, text: String) {
        self.out.push(Action::Log(text));
    }

    fn awaits(&self, id: &IdKey) -> bool {
        matches!(&self.phase, Phase::Replaying { awaiting: Some((awaited, _)), .. } if awaited == id)
    }

    fn forward_client(&mut self, line: Vec<u8>) {
        match message::classify(&line) {
            Kind::Request { id, method } => {
                let track = self.track(&method, &line);
                self.pending.insert(id, track);
                self.out.push(Action::ToServer(line));
            }
            Kind::Notification { method } => {
                if method == "notifications/initialized" {
                    self.remembered.initialized = Some(line.clone());
                }
                self.out.push(Action::ToServer(line));
            }
            Kind::Response { id, .. } => self.answer_to_server(&id, line),
            Kind::Other => self.out.push(Action::ToServer(line)),
        }
    }

    /// The client's answer to a server's request goes to the process that asked, under the id
    /// it used; the answer to a request of a process that is gone goes nowhere.
    fn answer_to_server(&mut self, id: &IdKey, line: Vec<u8>) {
        match self.server_requests.remove(id) {
            Some(request) if request.generation != self.generation => {}
            Some(request) if &request.server_id != id => {
                if let Some(line) = message::with_id(&line, &request.server_id) {
                    self.out.push(Action::ToServer(line));
                }
            }
            _ => self.out.push(Action::ToServer(line)),
        }
    }

    fn track(&mut self, method: &str, line: &[u8]) -> Track {
        // Read once per request: a 2026-07-28 request names its protocol version in `_meta`.
        let modern = message::meta(line).filter(|meta| {
            meta.get("io.modelcontextprotocol/protocolVersion")
                .is_some()
        });
        let is_modern = modern.is_some();
        if modern.is_some() {
            self.remembered.meta = modern;
        }
        match method {
            "initialize" => {
                self.remembered.initialize = Some(line.to_vec());
                Track::Initialize
            }
            "server/discover" => Track::Discover { modern: is_modern },
            "resources/subscribe" => message::param_str(line, "uri")
                .map_or(Track::Nothing, |uri| Track::Subscribe(uri, line.to_vec())),
            "resources/unsubscribe" => {
                message::param_str(line, "uri").map_or(Track::Nothing, Track::Unsubscribe)
            }
            "logging/setLevel" => Track::SetLevel(line.to_vec()),
            _ => match ListKind::from_method(method) {
                // Only the first page: it is what a new process is asked for to compare.
                Some(kind) if !message::has_param(line, "cursor") => Track::List {
                    kind,
                    request: line.to_vec(),
                    modern: is_modern,
                },
                _ if is_modern => Track::Modern,
                _ => Track::Nothing,
            },
        }
    }

    fn learn(&mut self, track: Track, line: &[u8]) {
        let result = || message::result(line).unwrap_or(Value::Null);
        match track {
            Track::Nothing => {}
            Track::Initialize => {
                let result = result();
                self.remembered.negotiated = Some((
                    result["protocolVersion"].clone(),
                    result["capabilities"].clone(),
                ));
                self.established = true;
            }
            Track::Discover { modern } => {
                self.remembered.discovered = Some(result()["capabilities"].clone());
                // A 2026-07-28 session is open once discovery with `_meta` is answered.
                self.established |= modern;
            }
            Track::Modern => self.established = true,
            Track::List {
                kind,
                request,
                modern,
            } => {
                self.established |= modern;
                self.remembered.lists.insert(kind, (request, result()));
            }
            Track::Subscribe(uri, request) => {
                self.remembered.subscriptions.insert(uri, request);
            }
            Track::Unsubscribe(uri) => {
                self.remembered.subscriptions.remove(&uri);
            }
            Track::SetLevel(request) => self.remembered.log_level = Some(request),
        }
    }

    fn hold(&mut self, line: Vec<u8>, now: Instant) {
        if let Kind::Response { id, .. } = message::classify(&line) {
            // An answer to a request of the process that is taking over goes to it now; the
            // answer to a cancelled one goes nowhere.
            if matches!(self.phase, Phase::Replaying { .. }) {
                self.answer_to_server(&id, line);
            } else {
                self.server_requests.remove(&id);
            }
            return;
        }
        if self.queue.len() >= QUEUE_LIMIT {
            if let Kind::Request { id, .. } = message::classify(&line) {
                let waited = self
                    .recovery
                    .as_ref()
                    .map_or(0, |r| now.duration_since(r.started).as_secs());
                let text = format!(
                    "mcpgen: the {} server is being restarted ({waited}s so far) and {QUEUE_LIMIT} requests already wait for it; send this one again later",
                    self.settings.server
                );
                self.out.push(Action::ToClient(message::error_response(
                    &id,
                    ERROR_CODE,
                    &text,
                    json!({"mcpgen": "server-restarting", "retry": true}),
                )));
            }
            return;
        }
        self.queue.push_back(line);
    }

    /// The server process ended under a live session.
    fn died(&mut self, status: Option<i32>, now: Instant) {
        let server = self.settings.server.clone();
        let how = status.map_or_else(
            || "was killed".to_string(),
            |code| format!("exited with status {code}"),
        );
        let mut pending: Vec<IdKey> = self.pending.drain().map(|(id, _)| id).collect();
        pending.sort();
        for id in &pending {
            let text = format!(
                "mcpgen: the {server} server's process ended while this request was in flight, and is being restarted; the request was not completed — send it again"
            );
            self.out.push(Action::ToClient(message::error_response(
                id,
                ERROR_CODE,
                &text,
                json!({"mcpgen": "server-restarted", "retry": true}),
            )));
        }
        let mut cancelled: Vec<IdKey> = self
            .server_requests
            .iter()
            .filter(|(_, r)| r.generation == self.generation)
            .map(|(id, _)| id.clone())
            .collect();
        cancelled.sort();
        for id in cancelled {
            self.out.push(Action::ToClient(message::notification(
                "notifications/cancelled",
                Some(json!({
                    "requestId": id.value(),
                    "reason": format!("the {server} server's process ended"),
                })),
            )));
        }
        let window = self.settings.revival_window;
        while self
            .revivals
            .front()
            .is_some_and(|at| now.duration_since(*at) > window)
        {
            self.revivals.pop_front();
        }
        if self.revivals.len() >= self.settings.max_revivals {
            self.log(format!(
                "the server process {how}; it has been revived {} times in the last {} minutes — not again in this session. Look at its log above, then restart the session.",
                self.revivals.len(),
                window.as_secs() / 60
            ));
            self.end();
            return;
        }
        self.revivals.push_back(now);
        self.log(format!(
            "the server process {how}{}; keeping the session open and bringing the server back (for up to {}s)",
            if pending.is_empty() {
                String::new()
            } else {
                format!(
                    " with {} request(s) in flight (answered with an error to retry)",
                    pending.len()
                )
            },
            self.settings.recover_timeout.as_secs_f64().round()
        ));
        self.recovery = Some(Recovery {
            started: now,
            deadline: now + self.settings.recover_timeout,
            attempts: 0,
            last_failure: None,
        });
        self.attempt(now);
    }

    fn attempt(&mut self, now: Instant) {
        let Some(recovery) = self.recovery.as_mut() else {
            return;
        };
        if now >= recovery.deadline {
            self.end_unrecovered();
            return;
        }
        recovery.attempts += 1;
        self.generation += 1;
        self.out.push(Action::Spawn(self.generation));
        self.phase = Phase::Replaying {
            steps: self.replay_plan(),
            awaiting: None,
            changed: Vec::new(),
        };
        self.advance(now);
    }

    fn replay_plan(&self) -> VecDeque<Step> {
        let remembered = &self.remembered;
        let mut steps = VecDeque::new();
        if remembered.initialize.is_some() && remembered.negotiated.is_some() {
            steps.push_back(Step::Initialize);
            if remembered.initialized.is_some() {
                steps.push_back(Step::Initialized);
            }
        } else if remembered.meta.is_some() {
            steps.push_back(Step::Discover);
        }
        if remembered.log_level.is_some() {
            steps.push_back(Step::SetLevel);
        }
        steps.extend(
            remembered
                .subscriptions
                .keys()
                .cloned()
                .map(Step::Subscribe),
        );
        steps.extend(remembered.lists.keys().copied().map(Step::List));
        steps
    }

    /// Sends the next replay step, or, when none is left, opens the session again.
    fn advance(&mut self, now: Instant) {
        loop {
            let Phase::Replaying { steps, .. } = &mut self.phase else {
                return;
            };
            let Some(step) = steps.pop_front() else {
                self.recovered(now);
                return;
            };
            let remembered = &self.remembered;
            self.sequence += 1;
            let id = IdKey::keeper(self.sequence);
            let request = match &step {
                Step::Initialize => remembered
                    .initialize
                    .as_deref()
                    .and_then(|l| message::with_id(l, &id)),
                Step::Initialized => {
                    if let Some(line) = remembered.initialized.clone() {
                        self.out.push(Action::ToServer(line));
                    }
                    continue;
                }
                Step::SetLevel => remembered
                    .log_level
                    .as_deref()
                    .and_then(|l| message::with_id(l, &id)),
                Step::Subscribe(uri) => remembered
                    .subscriptions
                    .get(uri)
                    .and_then(|l| message::with_id(l, &id)),
                Step::Discover => remembered
                    .meta
                    .as_ref()
                    .map(|meta| message::request(&id, "server/discover", json!({"_meta": meta}))),
                Step::List(kind) => remembered
                    .lists
                    .get(kind)
                    .and_then(|(l, _)| message::with_id(l, &id)),
            };
            let Some(request) = request else {
                continue;
            };
            self.out.push(Action::ToServer(request));
            if let Phase::Replaying { awaiting, .. } = &mut self.phase {
                *awaiting = Some((id, step));
            }
            return;
        }
    }

    fn replay_answer(&mut self, ok: bool, line: &[u8], now: Instant) {
        let Phase::Replaying { awaiting, .. } = &mut self.phase else {
            return;
        };
        let Some((_, step)) = awaiting.take() else {
            return;
        };
        match step {
            Step::Initialize | Step::Discover if !ok => {
                let error = message::parse(line)
                    .and_then(|mut m| m.remove("error"))
                    .unwrap_or(Value::Null);
                let code = error["code"].as_i64().unwrap_or(0);
                let text = error["message"]
                    .as_str()
                    .unwrap_or("no message")
                    .to_string();
                if matches!(step, Step::Discover) && (-32022..=-32020).contains(&code) {
                    self.mismatch(format!(
                        "the new server process refuses the protocol version the session uses ({text})"
                    ));
                } else {
                    self.out.push(Action::Kill);
                    self.retry(format!("the handshake was refused: {text}"), now);
                }
            }
            Step::Initialize => {
                let result = message::result(line).unwrap_or(Value::Null);
                let Some((version, capabilities)) = self.remembered.negotiated.clone() else {
                    return;
                };
                if result["protocolVersion"] != version {
                    self.mismatch(format!(
                        "the new server process speaks protocol {} where the session negotiated {version}",
                        result["protocolVersion"]
                    ));
                } else if let Some(missing) =
                    missing_capability(&result["capabilities"], &capabilities)
                {
                    self.mismatch(format!(
                        "the new server process no longer offers the capability {missing} the session was given"
                    ));
                } else {
                    self.advance(now);
                }
            }
            Step::Discover => {
                let result = message::result(line).unwrap_or(Value::Null);
                let wanted = self
                    .remembered
                    .meta
                    .as_ref()
                    .map(|m| m["io.modelcontextprotocol/protocolVersion"].clone())
                    .unwrap_or(Value::Null);
                let supported = result["supportedVersions"]
                    .as_array()
                    .is_some_and(|versions| versions.contains(&wanted));
                let missing = self
                    .remembered
                    .discovered
                    .as_ref()
                    .and_then(|old| missing_capability(&result["capabilities"], old));
                if !supported {
                    self.mismatch(format!(
                        "the new server process does not support protocol {wanted}, which the session uses"
                    ));
                } else if let Some(missing) = missing {
                    self.mismatch(format!(
                        "the new server process no longer offers the capability {missing} the session was given"
                    ));
                } else {
                    self.advance(now);
                }
            }
            Step::List(kind) => {
                let result = if ok { message::result(line) } else { None };
                let same = match (&result, self.remembered.lists.get(&kind)) {
                    (Some(new), Some((_, old))) => new == old,
                    _ => false,
                };
                if let (Some(new), Some((_, old))) = (result, self.remembered.lists.get_mut(&kind))
                {
                    *old = new;
                }
                if !same && let Phase::Replaying { changed, .. } = &mut self.phase {
                    changed.push(kind);
                }
                self.advance(now);
            }
            Step::SetLevel | Step::Subscribe(_) | Step::Initialized => self.advance(now),
        }
    }

    fn recovered(&mut self, now: Instant) {
        let Phase::Replaying { changed, .. } = std::mem::replace(&mut self.phase, Phase::Live)
        else {
            return;
        };
        for kind in changed {
            self.out.push(Action::ToClient(message::notification(
                kind.changed_notification(),
                None,
            )));
        }
        if let Some(recovery) = self.recovery.take() {
            self.log(format!(
                "session restored on a new server process after {:.1}s ({} attempt{})",
                now.duration_since(recovery.started).as_secs_f64(),
                recovery.attempts,
                if recovery.attempts == 1 { "" } else { "s" }
            ));
        }
        while let Some(line) = self.queue.pop_front() {
            self.forward_client(line);
        }
    }

    /// This attempt failed; another follows after a short pause, within the bound.
    fn retry(&mut self, why: String, now: Instant) {
        let Some(recovery) = self.recovery.as_mut() else {
            return;
        };
        recovery.last_failure = Some(why);
        if now >= recovery.deadline {
            self.end_unrecovered();
            return;
        }
        // Quick at first (a restart policy brings a container back within a second), then
        // once a second: the session answers soon after the container runs again.
        let pause = Duration::from_millis(match recovery.attempts {
            0 | 1 => 250,
            2 => 500,
            _ => 1000,
        });
        self.phase = Phase::Waiting {
            at: (now + pause).min(recovery.deadline),
        };
    }

    fn mismatch(&mut self, why: String) {
        self.log(format!(
            "{why}: ending the session rather than continue it on different terms"
        ));
        self.end();
    }

    fn end_unrecovered(&mut self) {
        let (seconds, why) = self.recovery.as_ref().map_or((0.0, None), |r| {
            (
                self.settings.recover_timeout.as_secs_f64(),
                r.last_failure.clone(),
            )
        });
        self.log(format!(
            "the server could not be brought back within {seconds:.0}s{}; ending the session",
            why.map(|w| format!(" (last: {w})")).unwrap_or_default()
        ));
        self.end();
    }

    /// Ends the session: every request still waiting is answered, the server process ended.
    fn end(&mut self) {
        let server = self.settings.server.clone();
        let held: Vec<Vec<u8>> = self.queue.drain(..).collect();
        let mut waiting: Vec<IdKey> = held
            .iter()
            .filter_map(|line| match message::classify(line) {
                Kind::Request { id, .. } => Some(id),
                _ => None,
            })
            .chain(self.pending.drain().map(|(id, _)| id))
            .collect();
        waiting.sort();
        waiting.dedup();
        for id in waiting {
            self.out.push(Action::ToClient(message::error_response(
                &id,
                ERROR_CODE,
                &format!(
                    "mcpgen: the {server} server could not be brought back; this session is over (its log says why)"
                ),
                json!({"mcpgen": "session-ended", "retry": false}),
            )));
        }
        self.out.push(Action::Kill);
        self.phase = Phase::Ended;
        self.out.push(Action::Exit(1));
    }
}

/// The first capability the client was given that `new` lacks: a top-level key, or a flag
/// (`listChanged`, `subscribe`) that was `true`.
fn missing_capability(new: &Value, old: &Value) -> Option<String> {
    let old = old.as_object()?;
    for (key, value) in old {
        let Some(now) = new.get(key) else {
            return Some(key.clone());
        };
        if let Some(flags) = value.as_object() {
            for (flag, on) in flags {
                if on == &Value::Bool(true) && now.get(flag) != Some(&Value::Bool(true)) {
                    return Some(format!("{key}.{flag}"));
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests;
