//! The healing policy, as a pure state machine per server.
//!
//! Nothing here touches the engine or reads a clock: every input carries the `Instant` it
//! happened at, so the unit tests drive a fake clock through crash loops and windows in
//! microseconds. The supervisor turns the returned [`Decision`]s into engine calls.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use serde::Serialize;

/// The first wait between restarts once a server has been restarted in the window; it doubles
/// with each further restart.
pub const BACKOFF_BASE: Duration = Duration::from_secs(1);
/// The longest wait between two restarts.
pub const BACKOFF_MAX: Duration = Duration::from_secs(300);
/// How long after a `kill`, `stop` or `restart` by someone else a `die` still counts as that
/// person's doing. Longer than any stop timeout in practice (Compose's default is 10 s), short
/// enough that a stray signal (`docker kill -s HUP`) does not excuse a crash much later.
pub const USER_STOP_GRACE: Duration = Duration::from_secs(120);

/// The knobs, from `[monitor]` or the command line.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// Consecutive failed probes before a restart.
    pub failures: u32,
    /// Restarts (the monitor's and the engine's) allowed within `window`.
    pub max_restarts: u32,
    pub window: Duration,
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// How long a crash is left to the engine's restart policy before the monitor steps in.
    pub engine_grace: Duration,
}

impl Policy {
    pub fn new(failures: u32, max_restarts: u32, window: Duration, interval: Duration) -> Self {
        Self {
            failures: failures.max(1),
            max_restarts,
            window,
            backoff_base: BACKOFF_BASE,
            backoff_max: BACKOFF_MAX,
            engine_grace: interval,
        }
    }

    /// The wait after the last restart before the next one, given `restarts` in the window.
    pub fn backoff(&self, restarts: usize) -> Duration {
        if restarts == 0 {
            return Duration::ZERO;
        }
        let doublings = u32::try_from(restarts - 1).unwrap_or(u32::MAX).min(30);
        self.backoff_base
            .saturating_mul(1 << doublings)
            .min(self.backoff_max)
    }
}

/// What a server is doing, as the status file and the log lines name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Running, not yet probed since it was found or (re)started.
    Starting,
    Healthy,
    /// Failing probes, fewer than `failures` in a row.
    Unhealthy,
    /// Died by a crash; the engine's restart policy or the monitor brings it back.
    Down,
    /// A restart by the monitor is scheduled or under way.
    Restarting,
    /// Stopped by a person (or found stopped): left alone until it is started again.
    Stopped,
    /// Past `max_restarts` within `window`: the monitor no longer restarts it.
    Failed,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Starting => "starting",
            State::Healthy => "healthy",
            State::Unhealthy => "unhealthy",
            State::Down => "down",
            State::Restarting => "restarting",
            State::Stopped => "stopped",
            State::Failed => "failed",
        }
    }
}

/// What the supervisor should do next for one server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Nothing,
    /// Restart the container at `at` (now, or later by the backoff).
    Restart {
        at: Instant,
        reason: String,
    },
    /// The engine's restart policy should bring it back; look again at `check_at`.
    WaitForEngine {
        check_at: Instant,
        reason: String,
    },
    /// The crash-loop cap is reached: stop restarting, report the server failed.
    GiveUp {
        reason: String,
    },
}

/// Who started a container that the monitor saw start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Starter {
    /// The engine's restart policy, after a crash.
    Engine,
    /// Someone else (a person, `compose up`) after it was stopped.
    Person,
    /// It was running already as far as the monitor knows: a late or repeated `start` event.
    Nobody,
}

/// What a `die` event meant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Death {
    ByPerson,
    Crash,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pending {
    Restart(Instant),
    EngineCheck(Instant),
}

/// One server's history as the policy sees it.
#[derive(Debug, Clone)]
pub struct Tracker {
    state: State,
    consecutive_failures: u32,
    /// When it was restarted (by the monitor or by the engine after a crash), oldest first,
    /// pruned to the window.
    restarts: VecDeque<Instant>,
    /// A `kill`/`stop`/`restart` by someone else was seen at this time.
    person_stopping: Option<Instant>,
    /// The last `die` was a crash and no `start` has followed yet; `Some(true)` when the
    /// container's restart policy restarts it (so the next `start` is the engine's).
    crashed: Option<bool>,
    pending: Option<Pending>,
}

impl Tracker {
    /// A server found running (`running`) or not when the monitor (re)discovers it. A stopped
    /// container's story is unknown, so it counts as stopped on purpose and is left alone.
    pub fn new(running: bool) -> Self {
        Self {
            state: if running {
                State::Starting
            } else {
                State::Stopped
            },
            consecutive_failures: 0,
            restarts: VecDeque::new(),
            person_stopping: None,
            crashed: None,
            pending: None,
        }
    }

    pub fn state(&self) -> State {
        self.state
    }

    pub fn consecutive_failures(&self) -> u32 {
        self.consecutive_failures
    }

    /// Restarts counted in the window ending at `now`.
    pub fn restarts_in_window(&mut self, policy: &Policy, now: Instant) -> u32 {
        self.prune(policy, now);
        u32::try_from(self.restarts.len()).unwrap_or(u32::MAX)
    }

    /// Whether probing it makes sense: it should be running and nothing is under way.
    pub fn wants_probe(&self) -> bool {
        matches!(
            self.state,
            State::Starting | State::Healthy | State::Unhealthy | State::Failed
        ) && self.crashed.is_none()
    }

    /// The time of the next scheduled step, if any.
    pub fn due_at(&self) -> Option<Instant> {
        self.pending.map(|p| match p {
            Pending::Restart(at) | Pending::EngineCheck(at) => at,
        })
    }

    fn prune(&mut self, policy: &Policy, now: Instant) {
        while let Some(&oldest) = self.restarts.front() {
            if now.saturating_duration_since(oldest) >= policy.window {
                self.restarts.pop_front();
            } else {
                break;
            }
        }
    }

    /// A restart is needed: schedule one with backoff, or give up past the cap.
    fn need_restart(&mut self, policy: &Policy, now: Instant, why: String) -> Decision {
        if self.state == State::Failed {
            return Decision::Nothing;
        }
        let count = self.restarts_in_window(policy, now);
        if count >= policy.max_restarts {
            self.state = State::Failed;
            self.pending = None;
            return Decision::GiveUp {
                reason: format!(
                    "{why}; {count} restart(s) within {} already (max_restarts = {}): \
                     no more restarts, fix the server and start it again",
                    crate::model::units::format_duration(policy.window),
                    policy.max_restarts
                ),
            };
        }
        let wait = policy.backoff(self.restarts.len());
        let at = self
            .restarts
            .back()
            .map_or(now, |&last| (last + wait).max(now));
        self.state = State::Restarting;
        self.pending = Some(Pending::Restart(at));
        let reason = if at > now {
            format!(
                "{why}; backoff {} after {count} restart(s) in the window",
                crate::model::units::format_duration(at - now)
            )
        } else {
            why
        };
        Decision::Restart { at, reason }
    }

    /// A probe answered the handshake.
    pub fn probe_ok(&mut self, policy: &Policy, now: Instant) -> State {
        let before = self.state;
        self.consecutive_failures = 0;
        if matches!(self.pending, Some(Pending::Restart(_))) {
            // It recovered while a backed-off restart was waiting: no reason to restart now.
            self.pending = None;
        }
        // A crash loop answers now and then between crashes: it stays failed while the
        // restarts that made it so are still in the window.
        if before == State::Failed && self.restarts_in_window(policy, now) >= policy.max_restarts {
            return before;
        }
        self.state = State::Healthy;
        before
    }

    /// A probe failed (no answer within the timeout, an error, the process exited).
    pub fn probe_failed(&mut self, policy: &Policy, now: Instant) -> Decision {
        if !self.wants_probe() {
            return Decision::Nothing;
        }
        self.consecutive_failures = self.consecutive_failures.saturating_add(1);
        if self.state == State::Failed {
            return Decision::Nothing;
        }
        if self.consecutive_failures >= policy.failures {
            let why = format!(
                "{} consecutive failed probe(s) (failures = {})",
                self.consecutive_failures, policy.failures
            );
            return self.need_restart(policy, now, why);
        }
        self.state = State::Unhealthy;
        Decision::Nothing
    }

    /// Whether someone asked to kill, stop or restart it recently enough to explain a `die`.
    pub fn stop_requested(&self, now: Instant) -> bool {
        self.person_stopping
            .is_some_and(|at| now.saturating_duration_since(at) <= USER_STOP_GRACE)
    }

    /// Someone other than the monitor asked the engine to kill, stop or restart it.
    pub fn person_stopping(&mut self, now: Instant) {
        self.person_stopping = Some(now);
    }

    /// The container's main process ended (`die`), not by the monitor's own restart.
    /// `engine_restarts` says whether its restart policy will start it again.
    pub fn died(
        &mut self,
        policy: &Policy,
        now: Instant,
        engine_restarts: bool,
        why: &str,
    ) -> (Death, Decision) {
        let by_person = self.stop_requested(now);
        self.person_stopping = None;
        if by_person {
            self.state = State::Stopped;
            self.pending = None;
            self.crashed = None;
            self.consecutive_failures = 0;
            return (Death::ByPerson, Decision::Nothing);
        }
        self.crashed = Some(engine_restarts);
        self.consecutive_failures = 0;
        if self.state == State::Failed {
            return (Death::Crash, Decision::Nothing);
        }
        if engine_restarts {
            let count = self.restarts_in_window(policy, now);
            if count >= policy.max_restarts {
                return (
                    Death::Crash,
                    self.need_restart(policy, now, why.to_string()),
                );
            }
            self.state = State::Down;
            let check_at = now + policy.engine_grace;
            self.pending = Some(Pending::EngineCheck(check_at));
            return (
                Death::Crash,
                Decision::WaitForEngine {
                    check_at,
                    reason: format!("{why}; its restart policy restarts it"),
                },
            );
        }
        (
            Death::Crash,
            self.need_restart(policy, now, why.to_string()),
        )
    }

    /// The container started, not by the monitor's own restart.
    pub fn started(&mut self, policy: &Policy, now: Instant) -> (Starter, Decision) {
        let crashed = self.crashed.take();
        if crashed.is_none() && self.state != State::Stopped {
            return (Starter::Nobody, Decision::Nothing);
        }
        self.person_stopping = None;
        self.consecutive_failures = 0;
        if crashed == Some(true) {
            // The engine's restart policy at work: it counts in the crash-loop window, so a
            // container the engine restarts forever (Podman without backoff) is reported failed.
            self.prune(policy, now);
            self.restarts.push_back(now);
            if matches!(self.pending, Some(Pending::EngineCheck(_))) {
                self.pending = None;
            }
            if self.state == State::Failed {
                return (Starter::Engine, Decision::Nothing);
            }
            let count = self.restarts.len();
            if count > policy.max_restarts as usize {
                self.state = State::Failed;
                self.pending = None;
                return (
                    Starter::Engine,
                    Decision::GiveUp {
                        reason: format!(
                            "crash loop: restarted {count} times within {} (max_restarts = {})",
                            crate::model::units::format_duration(policy.window),
                            policy.max_restarts
                        ),
                    },
                );
            }
            self.state = State::Starting;
            return (Starter::Engine, Decision::Nothing);
        }
        // Started by a person (after a stop, or after a crash that no restart policy handles),
        // or by `compose up`: a fresh start, failed or not.
        self.restarts.clear();
        self.pending = None;
        self.state = State::Starting;
        (Starter::Person, Decision::Nothing)
    }

    /// The engine check after a crash came due; `running` is the container's state now.
    pub fn engine_check(&mut self, policy: &Policy, now: Instant, running: bool) -> Decision {
        if !matches!(self.pending, Some(Pending::EngineCheck(_))) {
            return Decision::Nothing;
        }
        self.pending = None;
        if running {
            return Decision::Nothing;
        }
        self.need_restart(
            policy,
            now,
            "its restart policy did not bring it back".to_string(),
        )
    }

    /// Whether a scheduled restart is due at `now`.
    pub fn restart_due(&self, now: Instant) -> bool {
        matches!(self.pending, Some(Pending::Restart(at)) if at <= now)
    }

    /// Whether an engine check is due at `now`.
    pub fn engine_check_due(&self, now: Instant) -> bool {
        matches!(self.pending, Some(Pending::EngineCheck(at)) if at <= now)
    }

    /// The monitor is restarting it now: this counts in the window.
    pub fn restart_begun(&mut self, policy: &Policy, now: Instant) {
        self.prune(policy, now);
        self.restarts.push_back(now);
        self.pending = None;
        self.crashed = None;
        self.consecutive_failures = 0;
        self.person_stopping = None;
        if self.state != State::Failed {
            self.state = State::Restarting;
        }
    }

    /// The monitor's restart call returned.
    pub fn restart_done(&mut self, policy: &Policy, now: Instant, ok: bool) -> Decision {
        if ok {
            if self.state == State::Restarting {
                self.state = State::Starting;
            }
            return Decision::Nothing;
        }
        self.state = State::Down;
        self.need_restart(policy, now, "the last restart failed".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fake clock: a fixed origin plus offsets, so tests state times as seconds.
    struct Clock(Instant);

    impl Clock {
        fn new() -> Self {
            Clock(Instant::now())
        }
        fn at(&self, secs: f64) -> Instant {
            self.0 + Duration::from_secs_f64(secs)
        }
    }

    fn policy() -> Policy {
        Policy::new(3, 3, Duration::from_secs(600), Duration::from_secs(2))
    }

    fn restart_at(decision: &Decision) -> Instant {
        match decision {
            Decision::Restart { at, .. } => *at,
            other => panic!("expected a restart, got {other:?}"),
        }
    }

    #[test]
    fn restarts_after_the_configured_consecutive_failures() {
        let (clock, policy) = (Clock::new(), policy());
        let mut t = Tracker::new(true);
        assert_eq!(t.probe_failed(&policy, clock.at(2.0)), Decision::Nothing);
        assert_eq!(t.state(), State::Unhealthy);
        assert_eq!(t.probe_failed(&policy, clock.at(4.0)), Decision::Nothing);
        let decision = t.probe_failed(&policy, clock.at(6.0));
        assert_eq!(
            restart_at(&decision),
            clock.at(6.0),
            "first restart has no backoff"
        );
        assert_eq!(t.state(), State::Restarting);
        assert!(t.restart_due(clock.at(6.0)));
    }

    #[test]
    fn a_good_probe_resets_the_count() {
        let (clock, policy) = (Clock::new(), policy());
        let mut t = Tracker::new(true);
        t.probe_failed(&policy, clock.at(1.0));
        t.probe_failed(&policy, clock.at(2.0));
        assert_eq!(t.probe_ok(&policy, clock.at(2.5)), State::Unhealthy);
        assert_eq!(t.consecutive_failures(), 0);
        assert_eq!(t.probe_failed(&policy, clock.at(3.0)), Decision::Nothing);
        assert_eq!(t.probe_failed(&policy, clock.at(4.0)), Decision::Nothing);
    }

    #[test]
    fn backoff_doubles_from_the_last_restart() {
        let policy = policy();
        assert_eq!(policy.backoff(0), Duration::ZERO);
        assert_eq!(policy.backoff(1), Duration::from_secs(1));
        assert_eq!(policy.backoff(2), Duration::from_secs(2));
        assert_eq!(policy.backoff(3), Duration::from_secs(4));
        assert_eq!(policy.backoff(40), BACKOFF_MAX, "capped, and no overflow");
    }

    #[test]
    fn crashes_without_a_restart_policy_back_off_then_give_up() {
        let (clock, policy) = (Clock::new(), policy());
        let mut t = Tracker::new(true);
        // Crash 1 at 10 s: restart at once.
        let (death, d) = t.died(&policy, clock.at(10.0), false, "exit 137");
        assert_eq!(death, Death::Crash);
        assert_eq!(restart_at(&d), clock.at(10.0));
        t.restart_begun(&policy, clock.at(10.0));
        t.restart_done(&policy, clock.at(10.5), true);
        // Crash 2 at 10.6 s: 1 s after the previous restart.
        let (_, d) = t.died(&policy, clock.at(10.6), false, "exit 137");
        assert_eq!(restart_at(&d), clock.at(11.0));
        assert!(!t.restart_due(clock.at(10.9)));
        assert!(t.restart_due(clock.at(11.0)));
        t.restart_begun(&policy, clock.at(11.0));
        // Crash 3: 2 s after the previous restart.
        let (_, d) = t.died(&policy, clock.at(11.2), false, "exit 137");
        assert_eq!(restart_at(&d), clock.at(13.0));
        t.restart_begun(&policy, clock.at(13.0));
        // Crash 4: three restarts within the window already, max_restarts = 3.
        let (_, d) = t.died(&policy, clock.at(13.5), false, "exit 137");
        assert!(matches!(d, Decision::GiveUp { .. }), "{d:?}");
        assert_eq!(t.state(), State::Failed);
        // Failed stays failed: no more restarts by the monitor.
        let (_, d) = t.died(&policy, clock.at(15.0), false, "exit 137");
        assert_eq!(d, Decision::Nothing);
        assert_eq!(t.state(), State::Failed);
        assert_eq!(t.due_at(), None);
    }

    #[test]
    fn the_window_forgets_old_restarts() {
        let (clock, policy) = (Clock::new(), policy());
        let mut t = Tracker::new(true);
        for at in [0.0, 100.0, 200.0] {
            t.restart_begun(&policy, clock.at(at));
            t.restart_done(&policy, clock.at(at + 0.5), true);
            t.probe_ok(&policy, clock.at(at + 1.0));
        }
        assert_eq!(t.restarts_in_window(&policy, clock.at(599.0)), 3);
        // At 600 s the first restart leaves the 10 min window: one more is allowed.
        let (_, d) = t.died(&policy, clock.at(600.0), false, "exit 1");
        assert!(matches!(d, Decision::Restart { .. }), "{d:?}");
    }

    #[test]
    fn engine_restarts_count_and_a_crash_loop_is_reported() {
        let (clock, policy) = (Clock::new(), policy());
        let mut t = Tracker::new(true);
        let mut gave_up = None;
        // Podman restarts a crashing container without backoff: 10 cycles in one second.
        for i in 0..10 {
            let now = clock.at(f64::from(i) * 0.1);
            let (death, d) = t.died(&policy, now, true, "exit 1");
            assert_eq!(death, Death::Crash);
            if let Decision::GiveUp { .. } = d {
                gave_up.get_or_insert(i);
            }
            let (starter, d) = t.started(&policy, now + Duration::from_millis(50));
            assert_eq!(starter, Starter::Engine);
            if let Decision::GiveUp { .. } = d {
                gave_up.get_or_insert(i);
            }
        }
        assert_eq!(t.state(), State::Failed);
        assert_eq!(
            gave_up,
            Some(3),
            "the 4th crash with 3 engine restarts in the window"
        );
    }

    #[test]
    fn the_engine_is_given_time_before_the_monitor_steps_in() {
        let (clock, policy) = (Clock::new(), policy());
        let mut t = Tracker::new(true);
        let (_, d) = t.died(&policy, clock.at(1.0), true, "exit 137");
        assert!(
            matches!(d, Decision::WaitForEngine { check_at, .. } if check_at == clock.at(3.0)),
            "{d:?}"
        );
        assert_eq!(t.state(), State::Down);
        assert!(!t.wants_probe());
        assert!(t.engine_check_due(clock.at(3.0)));
        // Still not running at the check: the monitor restarts it.
        let d = t.engine_check(&policy, clock.at(3.0), false);
        assert_eq!(restart_at(&d), clock.at(3.0));
    }

    #[test]
    fn a_stop_by_a_person_is_left_alone() {
        let (clock, policy) = (Clock::new(), policy());
        let mut t = Tracker::new(true);
        t.person_stopping(clock.at(1.0));
        let (death, d) = t.died(&policy, clock.at(3.0), false, "exit 143");
        assert_eq!((death, d), (Death::ByPerson, Decision::Nothing));
        assert_eq!(t.state(), State::Stopped);
        assert!(!t.wants_probe());
        // Until it is started again, by whoever.
        let (starter, d) = t.started(&policy, clock.at(60.0));
        assert_eq!((starter, d), (Starter::Person, Decision::Nothing));
        assert!(t.wants_probe());
    }

    #[test]
    fn a_stale_stop_request_does_not_excuse_a_crash() {
        let (clock, policy) = (Clock::new(), policy());
        let mut t = Tracker::new(true);
        t.person_stopping(clock.at(0.0)); // e.g. `docker kill -s HUP`, which did not stop it
        let (death, _) = t.died(&policy, clock.at(121.0), false, "exit 137");
        assert_eq!(death, Death::Crash);
    }

    #[test]
    fn a_repeated_start_event_changes_nothing() {
        let (clock, policy) = (Clock::new(), policy());
        let mut t = Tracker::new(true);
        t.restart_begun(&policy, clock.at(0.0));
        let (starter, d) = t.started(&policy, clock.at(1.0));
        assert_eq!((starter, d), (Starter::Nobody, Decision::Nothing));
        assert_eq!(
            t.restarts_in_window(&policy, clock.at(1.0)),
            1,
            "history kept"
        );
    }

    #[test]
    fn found_stopped_is_left_alone() {
        let policy = policy();
        let mut t = Tracker::new(false);
        assert_eq!(t.state(), State::Stopped);
        assert!(!t.wants_probe());
        assert_eq!(t.probe_failed(&policy, Instant::now()), Decision::Nothing);
    }

    #[test]
    fn a_person_starting_a_failed_server_resets_it() {
        let (clock, policy) = (Clock::new(), policy());
        let mut t = Tracker::new(true);
        for at in [0.0, 1.0, 3.0] {
            t.restart_begun(&policy, clock.at(at));
        }
        let (_, d) = t.died(&policy, clock.at(4.0), false, "exit 1");
        assert!(matches!(d, Decision::GiveUp { .. }));
        // No restart policy, so the next start is a person's (or `compose up`): a fresh start.
        let (starter, _) = t.started(&policy, clock.at(6.0));
        assert_eq!(starter, Starter::Person);
        assert_eq!(t.state(), State::Starting);
        assert_eq!(t.restarts_in_window(&policy, clock.at(6.0)), 0);
    }

    #[test]
    fn recovery_during_backoff_cancels_the_restart() {
        let (clock, policy) = (Clock::new(), policy());
        let mut t = Tracker::new(true);
        t.restart_begun(&policy, clock.at(0.0));
        t.restart_done(&policy, clock.at(0.5), true);
        for at in [0.6, 0.7, 0.8] {
            t.probe_failed(&policy, clock.at(at));
        }
        assert!(t.due_at().is_some());
        t.probe_ok(&policy, clock.at(0.9));
        assert_eq!(t.due_at(), None);
        assert_eq!(t.state(), State::Healthy);
    }

    #[test]
    fn failed_probes_past_the_cap_give_up_until_the_window_forgets_them() {
        let (clock, policy) = (Clock::new(), policy());
        let mut t = Tracker::new(true);
        let mut restarts = 0;
        let mut now = 0.0;
        let given_up = loop {
            now += 2.0;
            match t.probe_failed(&policy, clock.at(now)) {
                Decision::Restart { at, .. } => {
                    restarts += 1;
                    t.restart_begun(&policy, at);
                    t.restart_done(&policy, at, true);
                }
                Decision::GiveUp { reason } => break reason,
                _ => {}
            }
            assert!(now < 1000.0, "never gave up");
        };
        assert_eq!(restarts, 3);
        assert!(given_up.contains("max_restarts = 3"), "{given_up}");
        assert_eq!(t.state(), State::Failed);
        // Still probed while failed, never restarted.
        assert!(t.wants_probe());
        assert_eq!(
            t.probe_failed(&policy, clock.at(now + 2.0)),
            Decision::Nothing
        );
        // An answer between crashes does not clear it while the restarts are in the window...
        assert_eq!(t.probe_ok(&policy, clock.at(now + 3.0)), State::Failed);
        assert_eq!(t.state(), State::Failed);
        // ...once they have left it, a good answer does.
        assert_eq!(t.probe_ok(&policy, clock.at(now + 700.0)), State::Failed);
        assert_eq!(t.state(), State::Healthy);
    }

    #[test]
    fn a_failed_restart_is_retried_with_backoff() {
        let (clock, policy) = (Clock::new(), policy());
        let mut t = Tracker::new(true);
        t.restart_begun(&policy, clock.at(0.0));
        let d = t.restart_done(&policy, clock.at(0.2), false);
        assert_eq!(restart_at(&d), clock.at(1.0));
    }
}
