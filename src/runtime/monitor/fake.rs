//! A scripted container engine for the supervisor's unit tests. It keeps the stack's containers
//! in memory, records every call with the time of tokio's (paused) clock, and behaves like an
//! engine where the supervisor's logic depends on it: the events of a restart, a stop or a crash
//! in each flavor's order, a restart policy that starts a crashed container again, a crash loop,
//! an engine that goes away and comes back. Each step takes a fixed time, so a test states
//! exactly when each call happens.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::engine::{
    Connect, Container, ContainerEvent, Engine, EngineError, Flavor, ProbeKind, ProbeOutcome,
    RunState,
};
use crate::mcp::Era;

/// How long a restart takes: the stop's events come at once, the `start` this much later.
pub(super) const RESTART_TIME: Duration = Duration::from_millis(200);
/// How long after a crash a restart policy starts the container again.
pub(super) const POLICY_DELAY: Duration = Duration::from_millis(100);

/// A call the supervisor made, by server name rather than container id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Call {
    /// An attempt, answered or not.
    Connect,
    Ping,
    Containers,
    Container(String),
    RestartPolicy(String),
    /// `replay`: from a time in the past (after a reconnection).
    Events {
        replay: bool,
    },
    Probe(String),
    Restart(String),
    Halt {
        server: String,
        restarts: bool,
        settle: Duration,
    },
}

/// One server's container and how it behaves.
struct Slot {
    container: Container,
    restart_policy: String,
    /// Probes answer.
    healthy: bool,
    probe_time: Duration,
    /// Dies this long after each start: a crash loop.
    dies_after_start: Option<Duration>,
    /// A stop through the API turned its restart policy off.
    policy_off: bool,
    /// Counts starts and stops: a crash or a start scheduled in an earlier life is dropped.
    life: u64,
}

impl Slot {
    fn policy_restarts(&self, code: i64) -> bool {
        !self.policy_off
            && match self.restart_policy.as_str() {
                "always" | "unless-stopped" => true,
                "on-failure" => code != 0,
                _ => false,
            }
    }
}

struct Inner {
    up: bool,
    flavor: Flavor,
    zero: Instant,
    calls: Vec<(u64, Call)>,
    slots: BTreeMap<String, Slot>,
    /// Every event so far, for a replay.
    history: Vec<ContainerEvent>,
    subscribers: Vec<mpsc::UnboundedSender<Result<ContainerEvent, EngineError>>>,
    last_nano: i64,
    failing_restarts: u32,
}

impl Inner {
    fn record(&mut self, call: Call) {
        let at = u64::try_from(self.zero.elapsed().as_millis()).unwrap();
        self.calls.push((at, call));
    }

    fn slot(&mut self, server: &str) -> &mut Slot {
        self.slots.get_mut(server).unwrap()
    }

    fn server_of(&self, id: &str) -> Option<String> {
        self.slots
            .iter()
            .find(|(_, s)| s.container.id == id)
            .map(|(name, _)| name.clone())
    }

    /// Sends an event, stamped by the wall clock as an engine does (the supervisor compares
    /// the stamps with its own wall clock), each later than the last.
    fn emit(&mut self, server: &str, action: &str, attributes: &[(&str, &str)]) {
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let time_nano = i64::try_from(wall).unwrap().max(self.last_nano + 1);
        self.last_nano = time_nano;
        let event = ContainerEvent {
            id: self.slot(server).container.id.clone(),
            action: action.to_string(),
            attributes: attributes
                .iter()
                .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
                .collect::<HashMap<_, _>>(),
            time_nano,
        };
        self.history.push(event.clone());
        self.subscribers
            .retain(|subscriber| subscriber.send(Ok(event.clone())).is_ok());
    }

    fn emit_all(&mut self, server: &str, events: &[(&str, &[(&str, &str)])]) {
        for (action, attributes) in events {
            self.emit(server, action, attributes);
        }
    }

    fn unreachable(&self) -> Option<EngineError> {
        (!self.up).then(|| EngineError {
            message: "scripted: the engine is away".to_string(),
            unreachable: true,
        })
    }
}

/// What a spawned timer does when it fires, if the container is still in the same life.
#[derive(Clone, Copy)]
enum Later {
    Crash,
    PolicyStart,
}

/// The engine, and its connector too: a connection is the same handle.
#[derive(Clone)]
pub(super) struct Fake(Arc<Mutex<Inner>>);

impl Fake {
    /// An engine of `flavor` that answers, with no containers yet; time zero is now.
    pub(super) fn new(flavor: Flavor) -> Self {
        Fake(Arc::new(Mutex::new(Inner {
            up: true,
            flavor,
            zero: Instant::now(),
            calls: Vec::new(),
            slots: BTreeMap::new(),
            history: Vec::new(),
            subscribers: Vec::new(),
            last_nano: 0,
            failing_restarts: 0,
        })))
    }

    /// Adds a running, healthy server with the restart policy `policy`.
    pub(super) fn server(self, name: &str, policy: &str) -> Self {
        let container = Container {
            id: format!("{name}-0123456789abcdef"),
            name: format!("mcp-{name}"),
            stack: "mcp".to_string(),
            server: name.to_string(),
            command: vec![format!("/server/{name}")],
            probe: ProbeKind::Handshake,
            state: RunState::Running,
        };
        self.lock().slots.insert(
            name.to_string(),
            Slot {
                container,
                restart_policy: policy.to_string(),
                healthy: true,
                probe_time: Duration::ZERO,
                dies_after_start: None,
                policy_off: false,
                life: 0,
            },
        );
        self
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.0.lock().unwrap()
    }

    /// Time zero of the test.
    pub(super) fn zero(&self) -> Instant {
        self.lock().zero
    }

    /// Every call so far, with its time in milliseconds.
    pub(super) fn calls(&self) -> Vec<(u64, Call)> {
        self.lock().calls.clone()
    }

    pub(super) fn set_healthy(&self, server: &str, healthy: bool) {
        self.lock().slot(server).healthy = healthy;
    }

    pub(super) fn set_probe_time(&self, server: &str, time: Duration) {
        self.lock().slot(server).probe_time = time;
    }

    /// From its next start on, the server dies `after` each start (`None`: it is fixed).
    pub(super) fn set_crash_loop(&self, server: &str, after: Option<Duration>) {
        self.lock().slot(server).dies_after_start = after;
    }

    /// The engine does not act on the server's restart policy (which it still reports).
    pub(super) fn ignore_policy(&self, server: &str) {
        self.lock().slot(server).policy_off = true;
    }

    /// The next `count` restarts fail (the engine answers with an error).
    pub(super) fn fail_restarts(&self, count: u32) {
        self.lock().failing_restarts = count;
    }

    pub(super) fn state(&self, server: &str) -> RunState {
        self.lock().slot(server).container.state
    }

    /// The server's process exits with `code` by itself.
    pub(super) fn crash(&self, server: &str, code: i64) {
        let mut inner = self.lock();
        assert!(inner.slot(server).container.state.is_up(), "not running");
        self.die(&mut inner, server, code);
    }

    /// A person stops it through the API, with each flavor's events. Podman's `stop` event
    /// races its cleanup and is often missing: a second `cleanup` is what shows a stop.
    pub(super) fn stop_by_person(&self, server: &str) {
        let mut inner = self.lock();
        let slot = inner.slot(server);
        slot.container.state = RunState::Stopped;
        slot.policy_off = true;
        slot.life += 1;
        match inner.flavor {
            Flavor::Docker => inner.emit_all(
                server,
                &[
                    ("kill", &[("signal", "15")]),
                    ("die", &[("exitCode", "143")]),
                    ("stop", &[]),
                ],
            ),
            Flavor::Podman => inner.emit_all(
                server,
                &[
                    ("die", &[("exitCode", "137")]),
                    ("cleanup", &[]),
                    ("cleanup", &[]),
                ],
            ),
        }
    }

    /// Sends `action` for `server` again, stamped a second before the last event: an old event
    /// arriving late, as Podman sends them when it reads its events log again.
    pub(super) fn resend_stale(&self, server: &str, action: &str) {
        let mut inner = self.lock();
        let event = ContainerEvent {
            id: inner.slot(server).container.id.clone(),
            action: action.to_string(),
            attributes: HashMap::new(),
            time_nano: inner.last_nano - 1_000_000_000,
        };
        inner
            .subscribers
            .retain(|subscriber| subscriber.send(Ok(event.clone())).is_ok());
    }

    /// A person (or `compose up`) starts it.
    pub(super) fn start_by_person(&self, server: &str) {
        let mut inner = self.lock();
        inner.slot(server).policy_off = false;
        self.start(&mut inner, server);
    }

    pub(super) fn pause(&self, server: &str) {
        let mut inner = self.lock();
        inner.slot(server).container.state = RunState::Paused;
        inner.emit(server, "pause", &[]);
    }

    /// The engine stops answering; the event streams break.
    pub(super) fn go_away(&self) {
        let mut inner = self.lock();
        inner.up = false;
        for subscriber in inner.subscribers.drain(..) {
            let _ = subscriber.send(Err(EngineError {
                message: "scripted: the connection broke".to_string(),
                unreachable: true,
            }));
        }
    }

    pub(super) fn come_back(&self) {
        self.lock().up = true;
    }

    fn die(&self, inner: &mut Inner, server: &str, code: i64) {
        let slot = inner.slot(server);
        slot.container.state = RunState::Stopped;
        slot.life += 1;
        let (life, restarts) = (slot.life, slot.policy_restarts(code));
        let code = code.to_string();
        inner.emit(server, "die", &[("exitCode", code.as_str())]);
        if inner.flavor == Flavor::Podman {
            inner.emit(server, "cleanup", &[]);
        }
        if restarts {
            self.later(POLICY_DELAY, server, life, Later::PolicyStart);
        }
    }

    fn start(&self, inner: &mut Inner, server: &str) {
        let slot = inner.slot(server);
        slot.container.state = RunState::Running;
        slot.life += 1;
        let (life, dies) = (slot.life, slot.dies_after_start);
        if inner.flavor == Flavor::Podman {
            inner.emit(server, "init", &[]);
        }
        inner.emit(server, "start", &[]);
        if let Some(after) = dies {
            self.later(after, server, life, Later::Crash);
        }
    }

    fn later(&self, after: Duration, server: &str, life: u64, what: Later) {
        let (fake, server) = (self.clone(), server.to_string());
        tokio::spawn(async move {
            tokio::time::sleep(after).await;
            let mut inner = fake.lock();
            if inner.slot(&server).life != life {
                return;
            }
            match what {
                Later::Crash => fake.die(&mut inner, &server, 1),
                Later::PolicyStart => {
                    if inner.flavor == Flavor::Podman {
                        inner.emit(&server, "restart", &[]);
                    }
                    fake.start(&mut inner, &server);
                }
            }
        });
    }

    /// Records a call on a container; its server, and the error when the engine is away.
    fn call_on(
        &self,
        id: &str,
        call: impl FnOnce(String) -> Call,
    ) -> Result<Option<String>, EngineError> {
        let mut inner = self.lock();
        let server = inner.server_of(id);
        inner.record(call(server.clone().unwrap_or_else(|| id.to_string())));
        match inner.unreachable() {
            Some(error) => Err(error),
            None => Ok(server),
        }
    }
}

fn gone(id: &str) -> EngineError {
    EngineError {
        message: format!("container {id} is gone"),
        unreachable: false,
    }
}

impl Connect for Fake {
    type Engine = Fake;

    async fn connect(&self) -> Result<Fake, EngineError> {
        let mut inner = self.lock();
        inner.record(Call::Connect);
        match inner.unreachable() {
            Some(error) => Err(error),
            None => Ok(self.clone()),
        }
    }
}

impl Engine for Fake {
    fn flavor(&self) -> Flavor {
        self.lock().flavor
    }

    fn description(&self) -> &str {
        "Fake Engine"
    }

    async fn ping(&self) -> Result<(), EngineError> {
        let mut inner = self.lock();
        inner.record(Call::Ping);
        inner.unreachable().map_or(Ok(()), Err)
    }

    async fn containers(&self, _stack: &str) -> Result<Vec<Container>, EngineError> {
        let mut inner = self.lock();
        inner.record(Call::Containers);
        if let Some(error) = inner.unreachable() {
            return Err(error);
        }
        Ok(inner.slots.values().map(|s| s.container.clone()).collect())
    }

    async fn container(&self, id: &str, _stack: &str) -> Result<Option<Container>, EngineError> {
        let server = self.call_on(id, Call::Container)?;
        Ok(server.map(|server| self.lock().slot(&server).container.clone()))
    }

    async fn restart_policy(&self, id: &str) -> Result<String, EngineError> {
        let server = self
            .call_on(id, Call::RestartPolicy)?
            .ok_or_else(|| gone(id))?;
        Ok(self.lock().slot(&server).restart_policy.clone())
    }

    fn events(
        &self,
        _stack: &str,
        since_secs: Option<i64>,
    ) -> BoxStream<'static, Result<ContainerEvent, EngineError>> {
        let mut inner = self.lock();
        inner.record(Call::Events {
            replay: since_secs.is_some(),
        });
        let (tx, rx) = mpsc::unbounded_channel();
        if let Some(error) = inner.unreachable() {
            let _ = tx.send(Err(error));
        } else {
            // As the engines do: from the start of that second, so some events come twice.
            let from = since_secs.map_or(i64::MAX, |secs| secs * 1_000_000_000);
            for event in inner.history.iter().filter(|e| e.time_nano >= from) {
                let _ = tx.send(Ok(event.clone()));
            }
            inner.subscribers.push(tx);
        }
        futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|item| (item, rx))
        })
        .boxed()
    }

    /// Decides at its start (healthy or not), answers after the probe time; each probe is an
    /// exec, which the engines report as an event too.
    async fn probe(
        &self,
        container: &Container,
        _timeout: Duration,
        _era: Option<Era>,
    ) -> ProbeOutcome {
        let server = match self.call_on(&container.id, Call::Probe) {
            Ok(Some(server)) => server,
            Ok(None) => return ProbeOutcome::Gone,
            Err(error) => return ProbeOutcome::EngineDown(error.message),
        };
        let (state, healthy, time) = {
            let mut inner = self.lock();
            let slot = inner.slot(&server);
            (slot.container.state, slot.healthy, slot.probe_time)
        };
        match state {
            RunState::Paused => {
                return ProbeOutcome::Failed {
                    latency: Duration::ZERO,
                    reason: "paused: a frozen server cannot answer".to_string(),
                };
            }
            RunState::Stopped | RunState::Restarting => return ProbeOutcome::NotRunning,
            RunState::Running => {}
        }
        tokio::time::sleep(time).await;
        self.lock().emit(&server, "exec_die", &[("exitCode", "0")]);
        if healthy {
            ProbeOutcome::Ok {
                latency: time,
                detail: format!("{server}, modern protocol 2025-06-18, 3 tools"),
                era: Some(Era::Modern),
            }
        } else {
            ProbeOutcome::Failed {
                latency: time,
                reason: "scripted: no answer".to_string(),
            }
        }
    }

    /// The stop's events at once, the `start` after [`RESTART_TIME`]; it cures a server that
    /// failed its probes (a crash loop goes on).
    async fn restart(&self, id: &str, _stack: &str) -> Result<(), EngineError> {
        let server = self.call_on(id, Call::Restart)?.ok_or_else(|| gone(id))?;
        {
            let mut inner = self.lock();
            if inner.failing_restarts > 0 {
                inner.failing_restarts -= 1;
                return Err(EngineError {
                    message: "scripted: the restart failed".to_string(),
                    unreachable: false,
                });
            }
            let slot = inner.slot(&server);
            let was_up = slot.container.state.is_up();
            slot.container.state = RunState::Stopped;
            slot.life += 1;
            match (was_up, inner.flavor) {
                (false, _) => {}
                (true, Flavor::Docker) => inner.emit_all(
                    &server,
                    &[
                        ("kill", &[("signal", "15")]),
                        ("die", &[("exitCode", "143")]),
                        ("stop", &[]),
                    ],
                ),
                (true, Flavor::Podman) => inner.emit_all(
                    &server,
                    &[
                        ("restart", &[]),
                        ("die", &[("exitCode", "143")]),
                        ("cleanup", &[]),
                    ],
                ),
            }
        }
        tokio::time::sleep(RESTART_TIME).await;
        let mut inner = self.lock();
        inner.slot(&server).healthy = true;
        self.start(&mut inner, &server);
        if inner.flavor == Flavor::Docker {
            // Docker reports the restart after its `start`.
            inner.emit(&server, "restart", &[]);
        }
        Ok(())
    }

    /// One stop, which turns the restart policy off: the crash loop ends.
    async fn halt(
        &self,
        id: &str,
        _stack: &str,
        restarts: bool,
        settle: Duration,
    ) -> Result<u32, EngineError> {
        let server = self
            .call_on(id, |server| Call::Halt {
                server,
                restarts,
                settle,
            })?
            .ok_or_else(|| gone(id))?;
        let mut inner = self.lock();
        let slot = inner.slot(&server);
        slot.policy_off = true;
        slot.life += 1;
        if slot.container.state != RunState::Stopped {
            slot.container.state = RunState::Stopped;
            inner.emit_all(
                &server,
                &[
                    ("kill", &[("signal", "15")]),
                    ("die", &[("exitCode", "143")]),
                    ("stop", &[]),
                ],
            );
        }
        Ok(1)
    }
}
