//! The monitor's loop: one task that owns all state and reacts to four things — the probe
//! ticker, engine events, results of the probes, restarts and stops it spawned, and the timers
//! the policy asks for (backoff, quick re-checks after a failed probe, engine checks, stops to
//! try again, reconnection). Spawned work reports back through
//! one channel; a generation number discards reports from before a reconnection.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::{Duration, SystemTime};

use futures_util::StreamExt;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};

use super::Settings;
use super::engine::{
    Connect, Container, ContainerEvent, Engine, EngineError, Flavor, ProbeOutcome, RunState,
};
use super::log::{Action, Event, Level, Line, Log, rfc3339, short_id};
use super::policy::{Death, Decision, Halt, Policy, Starter, State, Tracker};
use super::status::{self, ServerStatus, Status};
use crate::mcp::Era;

/// First wait before reconnecting to an engine that went away; doubles up to the maximum.
const RECONNECT_FIRST: Duration = Duration::from_millis(250);
const RECONNECT_MAX: Duration = Duration::from_secs(5);
/// Events of the monitor's own restart arrive until its `start`; past this, stop waiting.
const OWN_RESTART_MAX: Duration = Duration::from_secs(60);
/// How long a container the monitor stopped (having given up on it) is watched for its restart
/// policy starting it again, which Podman does right after a crash, without backoff.
const HALT_SETTLE: Duration = Duration::from_millis(1500);

/// What spawned work reports back.
enum Msg {
    Event(u64, ContainerEvent),
    EventsLost(u64, String),
    Probe {
        generation: u64,
        server: String,
        container: String,
        /// The server's probe number: a probe overtaken by a `pause` or a give-up is ignored.
        seq: u64,
        outcome: ProbeOutcome,
    },
    Restarted {
        generation: u64,
        server: String,
        container: String,
        result: Result<(), EngineError>,
    },
    /// The stop of a server given up on ended; `Ok` with the number of stops it took.
    Halted {
        generation: u64,
        server: String,
        container: String,
        result: Result<u32, EngineError>,
    },
}

/// The monitor's own restart of a container, while its events are still arriving.
struct OwnRestart {
    begun: Instant,
    /// When it began by the wall clock, in the events' unit: an older `start` is not its own.
    begun_nano: i64,
    /// When the restart call returned.
    api_done: Option<Instant>,
    start_seen: bool,
}

/// How far the engine's clock may be behind the monitor's when it stamps the restart's events.
const OWN_CLOCK_SKEW_NANO: i64 = 500_000_000;
/// Events remembered to drop repeats (Podman's event stream sometimes sends one twice).
const RECENT_EVENTS: usize = 256;

fn wall_nano() -> i64 {
    let since = SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since.as_nanos()).unwrap_or(i64::MAX)
}

/// After the restart call returned, its `start` event may still be on its way; not longer.
const OWN_START_LAG: Duration = Duration::from_secs(5);

impl OwnRestart {
    /// Whether events for the container are still the monitor's own restart's.
    fn active(&self) -> bool {
        !self.start_seen
            && self.begun.elapsed() < OWN_RESTART_MAX
            && self.api_done.is_none_or(|at| at.elapsed() < OWN_START_LAG)
    }

    /// The restart call is still under way: probes would race it.
    fn in_call(&self) -> bool {
        self.api_done.is_none() && self.begun.elapsed() < OWN_RESTART_MAX
    }
}

struct Server {
    container: Container,
    tracker: Tracker,
    /// The container's restart policy (`no`, `always`, `unless-stopped`, `on-failure`).
    restart_policy: String,
    probing: bool,
    /// The number of the latest probe; answers of older ones are dropped.
    probe_seq: u64,
    /// When the last probe started: a probe that outlasts the interval is followed at once by
    /// the next, so a hung server is probed every interval, not every other one.
    probe_started: Option<Instant>,
    /// The monitor's stop of this failed server is under way.
    halting: bool,
    /// When that stop ended, by the wall clock in the events' unit: a later `start` is a
    /// person's (the stop turned the restart policy off), an older one the crash loop's.
    halted_nano: i64,
    /// Why the monitor gave up on it, for the log line once its container is stopped.
    give_up_reason: String,
    own: Option<OwnRestart>,
    /// Why the pending restart was decided, for the log line when it happens.
    pending_reason: String,
    last_latency: Option<Duration>,
    /// The protocol era the server's handshake settled on; probes go straight to it.
    era: Option<Era>,
    /// The engine reported an OOM kill; the next `die` says so.
    oom_seen: bool,
    /// A `die` not yet judged a crash or a stop.
    pending_die: Option<PendingDie>,
    /// The stamp of the latest event of its container: an older one arriving later is stale.
    last_event_nano: i64,
}

/// How long a Podman `die` waits for the signs of a stop through the API.
const PODMAN_SETTLE: Duration = Duration::from_millis(1500);

/// A `die` on Podman that no `kill` or `restart` preceded. Podman 4 emits the `stop` event
/// of `docker stop` only sometimes (it races the cleanup process: before the `die`, after it,
/// or not at all), and with Compose's stop timeout of 0 a stop exits 137 like a crash. What a
/// stop always shows is a second `cleanup` (the stop call's own, besides conmon's), while a
/// crash has one, followed by `init`/`start` when the restart policy brings it back. So the
/// verdict waits for a `stop`, a second `cleanup`, a `start`, or this settle time (a crash).
struct PendingDie {
    code: Option<i64>,
    settle_at: Instant,
    cleanups: u32,
}

impl Server {
    fn new(container: Container, restart_policy: String) -> Self {
        let up = container.state.is_up() || container.state == RunState::Restarting;
        Self {
            tracker: Tracker::new(up),
            container,
            restart_policy,
            probing: false,
            probe_seq: 0,
            probe_started: None,
            halting: false,
            halted_nano: 0,
            give_up_reason: String::new(),
            own: None,
            pending_reason: String::new(),
            last_latency: None,
            era: None,
            oom_seen: false,
            pending_die: None,
            last_event_nano: 0,
        }
    }

    /// Whether a probe may start now.
    fn can_probe(&self) -> bool {
        !self.probing
            && !self.halting
            && !self.own.as_ref().is_some_and(OwnRestart::in_call)
            && self.pending_die.is_none()
            && self.container.state.is_up()
            && self.tracker.wants_probe()
    }

    /// When a server that failed its last probe is probed again: a re-check, sooner than the
    /// interval (see [`Tracker::recheck_at`]), so that `failures` failures are reached quickly.
    fn recheck_at(&self, policy: &Policy) -> Option<Instant> {
        if !self.can_probe() {
            return None;
        }
        let started = self.probe_started?;
        self.tracker
            .recheck_at(policy, started.into_std())
            .map(Instant::from_std)
    }

    /// When the next probe is due after the last one: a re-check, or an interval later.
    fn next_probe_at(&self, policy: &Policy, interval: Duration) -> Option<Instant> {
        let started = self.probe_started?;
        Some(
            self.tracker
                .recheck_at(policy, started.into_std())
                .map_or(started + interval, Instant::from_std),
        )
    }

    /// Whether the restart policy starts the container again after an exit with `code`.
    fn engine_restarts(&self, code: Option<i64>) -> bool {
        match self.restart_policy.as_str() {
            "always" | "unless-stopped" => true,
            "on-failure" => code != Some(0),
            _ => false,
        }
    }
}

pub(super) struct Supervisor<C: Connect> {
    settings: Settings,
    policy: Policy,
    log: Log,
    connector: C,
    engine: Option<C::Engine>,
    servers: BTreeMap<String, Server>,
    tx: mpsc::UnboundedSender<Msg>,
    rx: Option<mpsc::UnboundedReceiver<Msg>>,
    events_task: Option<JoinHandle<()>>,
    generation: u64,
    /// The newest event seen, by the engine's clock: a reconnection replays from there.
    last_event_nano: i64,
    /// Replayed events up to this time were handled before the engine went away.
    replayed_until_nano: i64,
    /// The latest events, to drop a repeated one.
    recent: std::collections::VecDeque<(i64, String, String)>,
    reconnect_at: Option<Instant>,
    reconnect_delay: Duration,
    lost_since: Option<Instant>,
    unreachable_logged: bool,
    status_error_logged: bool,
}

impl<C: Connect> Supervisor<C> {
    pub(super) fn new(settings: Settings, connector: C) -> Self {
        let policy = Policy::new(
            settings.failures,
            settings.max_restarts,
            settings.window,
            settings.interval,
        );
        let (tx, rx) = mpsc::unbounded_channel();
        Self {
            log: Log {
                verbose: settings.verbose,
            },
            settings,
            policy,
            connector,
            engine: None,
            servers: BTreeMap::new(),
            tx,
            rx: Some(rx),
            events_task: None,
            generation: 0,
            last_event_nano: 0,
            replayed_until_nano: 0,
            recent: std::collections::VecDeque::with_capacity(RECENT_EVENTS),
            reconnect_at: Some(Instant::now()),
            reconnect_delay: RECONNECT_FIRST,
            lost_since: Some(Instant::now()),
            unreachable_logged: false,
            status_error_logged: false,
        }
    }

    pub(super) async fn run(mut self, shutdown: impl Future<Output = &'static str>) -> i32 {
        self.log.emit(
            &Line::new(Level::Info, Event::MonitorStarted).reason(format!(
                "{} (pid {})",
                self.settings.describe(),
                std::process::id()
            )),
        );
        let Some(mut rx) = self.rx.take() else {
            return 2;
        };
        let mut ticker = tokio::time::interval(self.settings.interval);
        // A slow round must not be followed by a burst of catch-up rounds.
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
        tokio::pin!(shutdown);
        let signal = loop {
            let due = self
                .next_due()
                .unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
            tokio::select! {
                signal = &mut shutdown => break signal,
                _ = ticker.tick() => self.tick().await,
                Some(msg) = rx.recv() => self.handle(msg).await,
                () = tokio::time::sleep_until(due) => self.run_due().await,
            }
        };
        if let Some(task) = self.events_task.take() {
            task.abort();
        }
        self.engine = None;
        self.write_status("stopped");
        self.log.emit(
            &Line::new(Level::Info, Event::MonitorStopped).reason(format!(
                "{signal}: stopped; containers are left as they are"
            )),
        );
        0
    }

    fn next_due(&self) -> Option<Instant> {
        // Restarts, stops and engine checks need the engine: while it is away they wait for
        // the reconnection (which is due itself).
        let connected = self.engine.is_some();
        let servers = self.servers.values().filter(|_| connected).filter_map(|s| {
            s.tracker
                .due_at()
                .map(Instant::from_std)
                .filter(|_| !s.own.as_ref().is_some_and(OwnRestart::in_call) && !s.halting)
        });
        let settles = self
            .servers
            .values()
            .filter_map(|s| s.pending_die.as_ref().map(|p| p.settle_at));
        let policy = self.policy;
        let rechecks = self
            .servers
            .values()
            .filter(|_| connected)
            .filter_map(|s| s.recheck_at(&policy));
        servers
            .chain(settles)
            .chain(rechecks)
            .chain(self.reconnect_at)
            .min()
    }

    /// What a person's start of a server given up on means, for the log.
    fn fresh_budget(&self) -> String {
        format!(
            "watched again, with a fresh budget of {} restart(s) within {}",
            self.policy.max_restarts,
            crate::model::units::format_duration(self.policy.window)
        )
    }

    fn now_std() -> std::time::Instant {
        Instant::now().into_std()
    }

    fn restarts(&mut self, server: &str) -> u32 {
        let now = Self::now_std();
        let policy = self.policy;
        self.servers
            .get_mut(server)
            .map_or(0, |s| s.tracker.restarts_in_window(&policy, now))
    }

    /// A log line about a server, with its counts and state.
    fn server_line(&mut self, server: &str, level: Level, event: Event) -> Line {
        let restarts = self.restarts(server);
        let Some(s) = self.servers.get(server) else {
            return Line::new(level, event);
        };
        Line::new(level, event)
            .server(server, &s.container.id)
            .counts(s.tracker.consecutive_failures(), restarts)
            .state(s.tracker.state().as_str())
    }

    // ---------------------------------------------------------------- the engine connection

    async fn tick(&mut self) {
        if let Some(engine) = self.engine.clone() {
            match engine.containers(&self.settings.stack).await {
                Ok(found) => self.reconcile(&engine, found).await,
                Err(error) if error.unreachable => self.lost(&error.message),
                // It answered, oddly: the next tick lists again.
                Err(_) => {}
            }
            self.probe_all();
        }
        let engine = if self.engine.is_some() {
            "connected"
        } else {
            "disconnected"
        };
        self.write_status(engine);
    }

    async fn connect(&mut self) {
        let engine = match self.connector.connect().await {
            Ok(engine) => engine,
            Err(error) => {
                if self.generation == 0 && !self.unreachable_logged {
                    // Said once at start; every later attempt would repeat it.
                    self.log
                        .emit(&Line::new(Level::Warn, Event::EngineLost).reason(format!(
                            "cannot reach the engine ({error}); retrying every {} at most",
                            crate::model::units::format_duration(RECONNECT_MAX)
                        )));
                    self.unreachable_logged = true;
                }
                self.reconnect_delay = (self.reconnect_delay * 2).min(RECONNECT_MAX);
                self.reconnect_at = Some(Instant::now() + self.reconnect_delay);
                self.write_status("disconnected");
                return;
            }
        };
        self.generation += 1;
        self.reconnect_at = None;
        self.reconnect_delay = RECONNECT_FIRST;
        let away = self
            .lost_since
            .take()
            .filter(|_| self.generation > 1)
            .map(|since| format!(", back after {} ms", since.elapsed().as_millis()))
            .unwrap_or_default();
        self.log.emit(
            &Line::new(Level::Info, Event::EngineConnected)
                .reason(format!("{}{away}", engine.description())),
        );
        self.engine = Some(engine.clone());
        match engine.containers(&self.settings.stack).await {
            Ok(found) => self.reconcile(&engine, found).await,
            Err(error) if error.unreachable => {
                self.lost(&error.message);
                return;
            }
            // It answered, oddly: the ticks list again.
            Err(_) => {}
        }
        // Replay what happened while the engine was away, so a crash in between is seen.
        let since = (self.last_event_nano > 0).then_some(self.last_event_nano / 1_000_000_000);
        self.replayed_until_nano = self.last_event_nano;
        let mut events = engine.events(&self.settings.stack, since);
        let tx = self.tx.clone();
        let generation = self.generation;
        self.events_task = Some(tokio::spawn(async move {
            while let Some(item) = events.next().await {
                let msg = match item {
                    Ok(event) => Msg::Event(generation, event),
                    Err(error) => Msg::EventsLost(generation, error.message),
                };
                let lost = matches!(msg, Msg::EventsLost(..));
                if tx.send(msg).is_err() || lost {
                    return;
                }
            }
            let _ = tx.send(Msg::EventsLost(
                generation,
                "the event stream ended".to_string(),
            ));
        }));
        self.probe_all();
        self.write_status("connected");
    }

    /// The engine went away: stop using it, forget work in flight, reconnect with backoff.
    fn lost(&mut self, error: &str) {
        if self.engine.take().is_none() {
            return;
        }
        if let Some(task) = self.events_task.take() {
            task.abort();
        }
        self.generation += 1;
        let (policy, now) = (self.policy, Self::now_std());
        for server in self.servers.values_mut() {
            server.probing = false;
            server.own = None;
            if std::mem::take(&mut server.halting) {
                // Its answer is lost with the connection: stop it again once the engine is back.
                server.tracker.stop_done(&policy, now, false);
            }
            if server.tracker.state() == State::Restarting {
                // A restart in flight: its answer is lost too, and nothing else would end the
                // `restarting` state. Taken as done, so the server is probed once the engine is
                // back; the probe (or the replayed events) tells whether it came up.
                server.tracker.restart_done(&policy, now, true);
            }
        }
        self.lost_since = Some(Instant::now());
        self.reconnect_delay = RECONNECT_FIRST;
        self.reconnect_at = Some(Instant::now() + RECONNECT_FIRST);
        self.log
            .emit(&Line::new(Level::Warn, Event::EngineLost).reason(format!(
                "{error}; probes pause and restarts wait until it is back"
            )));
        self.write_status("disconnected");
    }

    /// Brings the server table in line with the containers the engine lists.
    async fn reconcile(&mut self, engine: &C::Engine, found: Vec<Container>) {
        let mut seen = Vec::new();
        for container in found {
            seen.push(container.server.clone());
            match self.servers.get_mut(&container.server) {
                Some(server) if server.container.id == container.id => {
                    // Stopped by a person, or by the monitor after giving up on it: running
                    // again means someone started it.
                    let halted = server.tracker.halt() == Halt::Stopped && !server.halting;
                    let was_stopped = server.tracker.state() == State::Stopped || halted;
                    server.container.state = container.state;
                    if was_stopped && container.state.is_up() && server.own.is_none() {
                        // Started while no event reached the monitor (it was away), or before
                        // the event did.
                        let (_, decision) = server.tracker.started(&self.policy, Self::now_std());
                        let name = container.server.clone();
                        let after = if halted {
                            format!(" after the monitor stopped it: {}", self.fresh_budget())
                        } else {
                            String::new()
                        };
                        let line =
                            self.server_line(&name, Level::Info, Event::Started)
                                .reason(format!(
                                    "found running again: started by a person or compose{after}"
                                ));
                        self.log.emit(&line);
                        self.apply(&name, decision);
                    }
                }
                _ => self.discover(engine, container).await,
            }
        }
        let gone: Vec<String> = self
            .servers
            .keys()
            .filter(|name| !seen.contains(name))
            .cloned()
            .collect();
        for name in gone {
            self.forget(&name, "its container was removed");
        }
    }

    async fn discover(&mut self, engine: &C::Engine, container: Container) {
        let policy = engine
            .restart_policy(&container.id)
            .await
            .unwrap_or_default();
        let name = container.server.clone();
        let state = container.state;
        let replaced = self
            .servers
            .insert(name.clone(), Server::new(container, policy.clone()))
            .is_some();
        let what = match state {
            RunState::Running => "running",
            RunState::Paused => "paused",
            RunState::Restarting => "restarting",
            RunState::Stopped => "not running: left alone until it is started",
        };
        let line = self
            .server_line(&name, Level::Info, Event::Discovered)
            .reason(format!(
                "{}{what}, restart policy `{}`",
                if replaced { "recreated, " } else { "" },
                if policy.is_empty() { "no" } else { &policy }
            ));
        self.log.emit(&line);
    }

    fn forget(&mut self, name: &str, why: &str) {
        let line = self
            .server_line(name, Level::Info, Event::Removed)
            .reason(why.to_string());
        if self.servers.remove(name).is_some() {
            self.log.emit(&line);
        }
    }

    // ---------------------------------------------------------------- probes and restarts

    fn probe_all(&mut self) {
        let names: Vec<String> = self.servers.keys().cloned().collect();
        for name in names {
            self.probe(&name);
        }
    }

    fn probe(&mut self, name: &str) {
        let Some(engine) = self.engine.clone() else {
            return;
        };
        let Some(server) = self.servers.get_mut(name) else {
            return;
        };
        if !server.can_probe() {
            return;
        }
        server.probing = true;
        server.probe_seq += 1;
        server.probe_started = Some(Instant::now());
        let container = server.container.clone();
        let seq = server.probe_seq;
        let timeout = self.settings.probe_timeout;
        let era = server.era;
        let tx = self.tx.clone();
        let generation = self.generation;
        tokio::spawn(async move {
            let outcome = engine.probe(&container, timeout, era).await;
            let _ = tx.send(Msg::Probe {
                generation,
                server: container.server,
                container: container.id,
                seq,
                outcome,
            });
        });
    }

    /// Stops the container of a server the monitor gave up on (see [`Engine::halt`]).
    fn start_halt(&mut self, name: &str) {
        let Some(engine) = self.engine.clone() else {
            return;
        };
        let Some(server) = self.servers.get_mut(name) else {
            return;
        };
        if server.halting {
            return;
        }
        server.tracker.stop_begun();
        server.halting = true;
        server.own = None;
        server.pending_die = None;
        server.oom_seen = false;
        // A probe under way says nothing any more.
        server.probing = false;
        server.probe_seq += 1;
        let restarts = server.engine_restarts(None);
        let id = server.container.id.clone();
        let tx = self.tx.clone();
        let generation = self.generation;
        let stack = self.settings.stack.clone();
        let server = name.to_string();
        tokio::spawn(async move {
            let result = engine.halt(&id, &stack, restarts, HALT_SETTLE).await;
            let _ = tx.send(Msg::Halted {
                generation,
                server,
                container: id,
                result,
            });
        });
    }

    fn on_halted(&mut self, name: &str, container: &str, result: Result<u32, EngineError>) {
        let policy = self.policy;
        let now = Self::now_std();
        let Some(server) = self.servers.get_mut(name) else {
            return;
        };
        if server.container.id != container || !server.halting {
            return;
        }
        server.halting = false;
        let ok = result.is_ok();
        let decision = server.tracker.stop_done(&policy, now, ok);
        let how_back = format!(
            "bring it back, once fixed, with `docker compose up -d {name}` or `docker start {}`: \
             it is watched again then, with a fresh budget of {} restart(s)",
            server.container.name, policy.max_restarts
        );
        let restart_policy = server.restart_policy.clone();
        let engine_restarts = server.engine_restarts(None);
        let reason = server.give_up_reason.clone();
        let line = match result {
            Ok(stops) => {
                server.halted_nano = wall_nano();
                server.container.state = RunState::Stopped;
                let policy_off = if engine_restarts {
                    format!(
                        ", which also keeps its restart policy `{restart_policy}` from restarting it"
                    )
                } else {
                    String::new()
                };
                let again = if stops > 1 {
                    format!(" ({stops} stops: its restart policy started it again in between)")
                } else {
                    String::new()
                };
                self.server_line(name, Level::Error, Event::Failed)
                    .action(Action::GiveUp)
                    .reason(format!(
                        "{reason}: gave up and stopped its container through the API{policy_off}{again}; {how_back}"
                    ))
            }
            Err(error) => {
                let retry = match decision {
                    Decision::Stop { at } => format!(
                        "; trying again in {}",
                        crate::model::units::format_duration(at.saturating_duration_since(now))
                    ),
                    _ => String::new(),
                };
                self.server_line(name, Level::Error, Event::StopFailed)
                    .action(Action::GiveUp)
                    .reason(format!(
                        "{reason}: gave up, but cannot stop its container ({}){retry}; stop it \
                         with `docker stop {}`",
                        error.message,
                        self.servers
                            .get(name)
                            .map_or(name, |s| s.container.name.as_str())
                    ))
            }
        };
        self.log.emit(&line);
        if ok {
            self.write_status("connected");
        }
    }

    fn start_restart(&mut self, name: &str) {
        let Some(engine) = self.engine.clone() else {
            return;
        };
        let now = Self::now_std();
        let policy = self.policy;
        let Some(server) = self.servers.get_mut(name) else {
            return;
        };
        server.tracker.restart_begun(&policy, now);
        server.own = Some(OwnRestart {
            begun: Instant::now(),
            begun_nano: wall_nano().saturating_sub(OWN_CLOCK_SKEW_NANO),
            api_done: None,
            start_seen: false,
        });
        let reason = std::mem::take(&mut server.pending_reason);
        let id = server.container.id.clone();
        let line = self
            .server_line(name, Level::Warn, Event::Restart)
            .action(Action::Restart)
            .reason(reason);
        self.log.emit(&line);
        let tx = self.tx.clone();
        let generation = self.generation;
        let stack = self.settings.stack.clone();
        let server = name.to_string();
        tokio::spawn(async move {
            let result = engine.restart(&id, &stack).await;
            let _ = tx.send(Msg::Restarted {
                generation,
                server,
                container: id,
                result,
            });
        });
    }

    /// Carries out a policy decision.
    fn apply(&mut self, name: &str, decision: Decision) {
        match decision {
            Decision::Nothing => {}
            Decision::Restart { at, reason } => {
                if let Some(server) = self.servers.get_mut(name) {
                    server.pending_reason.clone_from(&reason);
                }
                if at <= Self::now_std() {
                    self.start_restart(name);
                } else {
                    let line = self
                        .server_line(name, Level::Warn, Event::Restart)
                        .action(Action::Wait)
                        .reason(reason);
                    self.log.emit(&line);
                }
            }
            Decision::WaitForEngine { reason, .. } => {
                let line = self
                    .server_line(name, Level::Warn, Event::Waiting)
                    .action(Action::Wait)
                    .reason(reason);
                self.log.emit(&line);
            }
            Decision::GiveUp { reason } => {
                // Said once the container is stopped (or cannot be): see `on_halted`.
                if let Some(server) = self.servers.get_mut(name) {
                    server.give_up_reason = reason;
                }
                self.start_halt(name);
            }
            Decision::Stop { at } => {
                if at <= Self::now_std() {
                    self.start_halt(name);
                }
            }
        }
    }

    async fn run_due(&mut self) {
        let now = Instant::now();
        if self.reconnect_at.is_some_and(|at| at <= now) {
            self.connect().await;
        }
        let Some(engine) = self.engine.clone() else {
            return;
        };
        let names: Vec<String> = self.servers.keys().cloned().collect();
        let policy = self.policy;
        for name in &names {
            if self
                .servers
                .get(name)
                .and_then(|s| s.recheck_at(&policy))
                .is_some_and(|at| at <= now)
            {
                self.probe(name);
            }
        }
        for name in &names {
            let settled = self
                .servers
                .get(name)
                .and_then(|s| s.pending_die.as_ref())
                .is_some_and(|p| p.settle_at <= now);
            if settled {
                self.judge_die(name, false);
            }
        }
        for name in names {
            let std_now = Self::now_std();
            let Some(server) = self.servers.get(&name) else {
                continue;
            };
            if server.own.as_ref().is_some_and(OwnRestart::in_call) || server.halting {
                continue;
            }
            if server.tracker.stop_due(std_now) {
                self.start_halt(&name);
            } else if server.tracker.restart_due(std_now) {
                self.start_restart(&name);
            } else if server.tracker.engine_check_due(std_now) {
                let id = server.container.id.clone();
                let running = match engine.container(&id, &self.settings.stack).await {
                    Ok(Some(c)) => c.state.is_up() || c.state == RunState::Restarting,
                    Ok(None) => continue,
                    Err(error) if error.unreachable => {
                        self.lost(&error.message);
                        return;
                    }
                    // An answer the API does not define (Podman's `stopped`): not running.
                    Err(_) => false,
                };
                let policy = self.policy;
                let Some(server) = self.servers.get_mut(&name) else {
                    continue;
                };
                let decision = server.tracker.engine_check(&policy, std_now, running);
                self.apply(&name, decision);
            }
        }
    }

    // ---------------------------------------------------------------- reports from spawned work

    async fn handle(&mut self, msg: Msg) {
        match msg {
            Msg::Event(generation, event) if generation == self.generation => {
                self.on_event(event).await;
            }
            Msg::EventsLost(generation, error) if generation == self.generation => {
                self.lost(&format!("the event stream broke: {error}"));
            }
            Msg::Probe {
                generation,
                server,
                container,
                seq,
                outcome,
            } if generation == self.generation => {
                self.on_probe(&server, &container, seq, outcome).await;
            }
            Msg::Restarted {
                generation,
                server,
                container,
                result,
            } if generation == self.generation => self.on_restarted(&server, &container, result),
            Msg::Halted {
                generation,
                server,
                container,
                result,
            } if generation == self.generation => self.on_halted(&server, &container, result),
            _ => {}
        }
    }

    async fn on_probe(&mut self, name: &str, container: &str, seq: u64, outcome: ProbeOutcome) {
        let policy = self.policy;
        let now = Self::now_std();
        let verbose = self.log.verbose;
        let Some(server) = self.servers.get_mut(name) else {
            return;
        };
        if server.container.id != container || server.probe_seq != seq {
            // Overtaken by a `pause` or a give-up, or of a replaced container.
            return;
        }
        server.probing = false;
        if server.own.as_ref().is_some_and(OwnRestart::in_call) {
            // The container is being restarted: this probe raced the restart.
            return;
        }
        match outcome {
            ProbeOutcome::Ok {
                latency,
                detail,
                era,
            } => {
                server.last_latency = Some(latency);
                if era.is_some() {
                    server.era = era;
                }
                let before = server.tracker.probe_ok();
                if before != State::Healthy || verbose {
                    let recovered = match before {
                        State::Healthy => "",
                        State::Starting => "answers: ",
                        _ => "recovered: ",
                    };
                    let line = self
                        .server_line(name, Level::Info, Event::ProbeOk)
                        .latency(latency)
                        .reason(format!("{recovered}{detail}"));
                    self.log.emit(&line);
                }
            }
            ProbeOutcome::Failed { .. }
                if server.pending_die.is_some() || !server.container.state.is_up() =>
            {
                // The container died while this probe ran: the `die` event decides.
            }
            ProbeOutcome::Failed { latency, reason } => {
                let decision = server.tracker.probe_failed(&policy, now);
                let line = self
                    .server_line(name, Level::Warn, Event::ProbeFailed)
                    .latency(latency)
                    .reason(reason);
                self.log.emit(&line);
                self.apply(name, decision);
            }
            ProbeOutcome::EngineDown(error) => {
                if let Some(engine) = self.engine.clone()
                    && engine.ping().await.is_err()
                {
                    self.lost(&error);
                }
            }
            ProbeOutcome::Gone | ProbeOutcome::NotRunning => {}
        }
        // A probe that outlasted the interval (or, after a failure, the re-check) is followed at
        // once by the next; otherwise the ticker or the re-check timer starts it.
        let interval = self.settings.interval;
        let overdue = self.servers.get(name).is_some_and(|s| {
            s.next_probe_at(&policy, interval)
                .is_some_and(|at| at <= Instant::now())
        });
        if overdue {
            self.probe(name);
        }
    }

    fn on_restarted(&mut self, name: &str, container: &str, result: Result<(), EngineError>) {
        let policy = self.policy;
        let now = Self::now_std();
        let Some(server) = self.servers.get_mut(name) else {
            return;
        };
        if server.container.id != container {
            return;
        }
        if let Some(own) = &mut server.own {
            own.api_done = Some(Instant::now());
            if own.start_seen || result.is_err() {
                server.own = None;
            }
        }
        let decision = server.tracker.restart_done(&policy, now, result.is_ok());
        match result {
            Ok(()) => {
                server.container.state = RunState::Running;
                // Probe at once rather than at the next tick: recovery time is what counts.
                self.probe(name);
            }
            Err(error) => {
                let line = self
                    .server_line(name, Level::Warn, Event::RestartFailed)
                    .reason(error.message);
                self.log.emit(&line);
                self.apply(name, decision);
            }
        }
    }

    // ---------------------------------------------------------------- engine events

    async fn on_event(&mut self, event: ContainerEvent) {
        if event.time_nano > 0 && event.time_nano <= self.replayed_until_nano {
            return; // handled before the engine went away
        }
        let key = (event.time_nano, event.id.clone(), event.action.clone());
        if self.recent.contains(&key) {
            return;
        }
        if self.recent.len() == RECENT_EVENTS {
            self.recent.pop_front();
        }
        self.recent.push_back(key);
        self.last_event_nano = self.last_event_nano.max(event.time_nano);
        let Some(name) = self
            .servers
            .iter()
            .find(|(_, s)| s.container.id == event.id)
            .map(|(name, _)| name.clone())
        else {
            if event.action == "start"
                && let Some(engine) = self.engine.clone()
            {
                // A container created after the monitor started (or recreated by compose).
                match engine.container(&event.id, &self.settings.stack).await {
                    Ok(Some(container)) => self.discover(&engine, container).await,
                    Ok(None) => {}
                    Err(error) if error.unreachable => self.lost(&error.message),
                    Err(_) => {}
                }
            }
            return;
        };
        let flavor = self.engine.as_ref().map_or(Flavor::Docker, Engine::flavor);
        let policy = self.policy;
        let now = Self::now_std();
        let Some(server) = self.servers.get_mut(&name) else {
            return;
        };
        // An event older than one already handled for this container is stale: Podman 4 sends
        // old events again when it reads its events log anew, and an old `start` after a stop
        // would have the stopped server taken for running.
        if event.time_nano > 0 && event.time_nano < server.last_event_nano {
            return;
        }
        server.last_event_nano = server.last_event_nano.max(event.time_nano);
        // The monitor's own restart produces kill/stop/restart/die/start events too.
        if let Some(own) = &mut server.own {
            if own.active() {
                if event.action == "start" && event.time_nano >= own.begun_nano {
                    own.start_seen = true;
                    if own.api_done.is_some() {
                        server.own = None;
                    }
                }
                return;
            }
            server.own = None;
        }
        if server.tracker.halt() != Halt::No {
            // Given up on: the events are the monitor's own stop's, or the crash loop's that it
            // is ending. Only a start after the stop took (a person's: the stop turned the
            // restart policy off) or the container's removal matter.
            let persons_start = event.action == "start"
                && server.tracker.halt() == Halt::Stopped
                && !server.halting
                && event.time_nano > server.halted_nano;
            if persons_start {
                server.container.state = RunState::Running;
                let (_, decision) = server.tracker.started(&policy, now);
                let line = self
                    .server_line(&name, Level::Info, Event::Started)
                    .reason(format!(
                        "started by a person or compose after the monitor stopped it: {}",
                        self.fresh_budget()
                    ));
                self.log.emit(&line);
                self.apply(&name, decision);
                self.probe(&name);
            } else if matches!(event.action.as_str(), "destroy" | "remove") {
                self.forget(&name, "its container was removed");
            }
            return;
        }
        if let Some(pending) = &mut server.pending_die {
            // Podman: a `die` with no `kill`/`restart` before it waits for the signs of a
            // stop through the API (see `PendingDie`).
            match event.action.as_str() {
                "stop" => return self.judge_die(&name, true),
                "cleanup" => {
                    pending.cleanups += 1;
                    if pending.cleanups >= 2 {
                        return self.judge_die(&name, true);
                    }
                    return;
                }
                // Podman's restart policy: `die` → `restart` → `init` → `start`.
                "restart" => return self.judge_die(&name, false),
                "init" | "start" | "destroy" | "remove" => self.judge_die(&name, false),
                _ => {}
            }
        }
        let Some(server) = self.servers.get_mut(&name) else {
            return;
        };
        match event.action.as_str() {
            "kill" => {
                // Docker names the signal; one that does not end a process stops nothing.
                let stops = event.attributes.get("signal").is_none_or(|s| {
                    let s = s.trim_start_matches("SIG");
                    ["9", "15", "2", "3", "KILL", "TERM", "INT", "QUIT"].contains(&s)
                });
                if stops {
                    server.tracker.person_stopping(now);
                }
            }
            "stop" => server.tracker.person_stopping(now),
            // Podman emits `restart` before the restart's `die`; Docker after its `start`.
            "restart" if flavor == Flavor::Podman => server.tracker.person_stopping(now),
            "die" => {
                let code = event
                    .attributes
                    .get("exitCode")
                    .and_then(|c| c.parse::<i64>().ok());
                server.container.state = RunState::Stopped;
                server.probing = false;
                let stop_seen = server.tracker.stop_requested(now);
                server.pending_die = Some(PendingDie {
                    code,
                    settle_at: Instant::now() + PODMAN_SETTLE,
                    cleanups: 0,
                });
                if flavor == Flavor::Docker || stop_seen {
                    // Docker's `kill` always comes before the `die` of a stop; so does
                    // Podman's `kill` or `restart` when a person asked for one of those.
                    self.judge_die(&name, stop_seen);
                }
            }
            "oom" => {
                server.oom_seen = true;
                let line = self
                    .server_line(&name, Level::Warn, Event::Oom)
                    .reason("the kernel's OOM killer ended a process of the container");
                self.log.emit(&line);
            }
            "start" => {
                server.container.state = RunState::Running;
                let (starter, decision) = server.tracker.started(&policy, now);
                let quiet = server.tracker.state() == State::Failed && !self.log.verbose;
                let why = match starter {
                    Starter::Engine => "restarted by its restart policy after a crash",
                    Starter::Person => "started by a person or compose",
                    Starter::Nobody => return,
                };
                if !quiet {
                    // A failed server in an engine crash loop would log every turn of it.
                    let line = self
                        .server_line(&name, Level::Info, Event::Started)
                        .reason(why);
                    self.log.emit(&line);
                }
                self.apply(&name, decision);
                self.probe(&name);
            }
            "pause" => {
                server.container.state = RunState::Paused;
                // A frozen server cannot answer: a failed probe now, not after a timeout. A probe
                // under way began before the freeze (its process, frozen too, would answer only
                // at the timeout): it is dropped, and re-checks follow within a fraction of an
                // interval.
                let counted = server.tracker.wants_probe();
                server.probing = false;
                server.probe_seq += 1;
                server.probe_started = Some(Instant::now());
                let decision = server.tracker.paused(&policy, now);
                let reason = if counted {
                    format!(
                        "frozen: a paused server cannot answer, a failed probe at once; restarted \
                         (unpaused first) after {} in a row unless it is unpaused",
                        policy.failures
                    )
                } else {
                    "frozen".to_string()
                };
                let line = self
                    .server_line(&name, Level::Warn, Event::Paused)
                    .reason(reason);
                self.log.emit(&line);
                self.apply(&name, decision);
            }
            "unpause" => {
                server.container.state = RunState::Running;
                let line = self.server_line(&name, Level::Info, Event::Unpaused);
                self.log.emit(&line);
            }
            "destroy" | "remove" => self.forget(&name, "its container was removed"),
            _ => {}
        }
    }

    /// Decides what a `die` was: a stop by a person, or a crash (and then what to do).
    fn judge_die(&mut self, name: &str, by_person: bool) {
        let policy = self.policy;
        let now = Self::now_std();
        let Some(server) = self.servers.get_mut(name) else {
            return;
        };
        let Some(pending) = server.pending_die.take() else {
            return;
        };
        if by_person {
            server.tracker.person_stopping(now);
        }
        let code = pending.code;
        let oom = std::mem::take(&mut server.oom_seen);
        let engine_restarts = server.engine_restarts(code);
        let why = match code {
            Some(137) if oom => "exit code 137, killed by the OOM killer".to_string(),
            Some(code) => format!("exit code {code}"),
            None => "exited".to_string(),
        };
        let failed_before = server.tracker.state() == State::Failed;
        let (death, decision) = server.tracker.died(&policy, now, engine_restarts, &why);
        if failed_before && death == Death::Crash && !self.log.verbose {
            // Already reported failed: each turn of a crash loop would add a line.
            return;
        }
        let line = match death {
            Death::ByPerson => self
                .server_line(name, Level::Info, Event::StoppedByPerson)
                .action(Action::None)
                .reason(format!(
                    "{why} after a stop through the API: left alone until it is started again"
                )),
            Death::Crash => self
                .server_line(name, Level::Warn, Event::Died)
                .reason(format!("{why}, not stopped through the API: a crash")),
            // Given up on: the monitor's own stop. Not reached (such events are dropped before).
            Death::Halted => return,
        };
        self.log.emit(&line);
        self.apply(name, decision);
    }

    // ---------------------------------------------------------------- the status file

    fn write_status(&mut self, engine: &str) {
        let Some(path) = self.settings.status_file.clone() else {
            return;
        };
        let now = SystemTime::now();
        let policy = self.policy;
        let std_now = Self::now_std();
        let servers = self
            .servers
            .iter_mut()
            .map(|(name, s)| {
                (
                    name.clone(),
                    ServerStatus {
                        state: s.tracker.state().as_str().to_string(),
                        container: short_id(&s.container.id).to_string(),
                        failures: s.tracker.consecutive_failures(),
                        restarts: s.tracker.restarts_in_window(&policy, std_now),
                        latency_ms: s
                            .last_latency
                            .map(|l| u64::try_from(l.as_millis()).unwrap_or(u64::MAX)),
                        era: s.era,
                    },
                )
            })
            .collect();
        let status = Status {
            time: rfc3339(now),
            time_ms: status::millis_since_epoch(now),
            interval_ms: u64::try_from(self.settings.interval.as_millis()).unwrap_or(u64::MAX),
            stack: self.settings.stack.clone(),
            healthy: engine == "connected",
            engine: engine.to_string(),
            pid: std::process::id(),
            servers,
        };
        if let Err(error) = status::write(&path, &status) {
            // Said once: the healthcheck will report the stale file from then on.
            if !self.status_error_logged {
                self.log
                    .emit(&Line::new(Level::Warn, Event::StatusFile).reason(format!(
                        "cannot write the status file `{}`: {error}",
                        path.display()
                    )));
                self.status_error_logged = true;
            }
        }
    }
}

#[cfg(test)]
mod tests;
