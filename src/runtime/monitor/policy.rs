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
pub(crate) const BACKOFF_BASE: Duration = Duration::from_secs(1);
/// The longest wait between two restarts.
pub(crate) const BACKOFF_MAX: Duration = Duration::from_secs(300);
/// The shortest wait between a failed probe and the next one.
pub(crate) const RECHECK_MIN: Duration = Duration::from_millis(100);
/// The longest wait between a failed probe and the next one.
pub(crate) const RECHECK_MAX: Duration = Duration::from_secs(1);
/// How long after a `kill`, `stop` or `restart` by someone else a `die` still counts as that
/// person's doing. Longer than any stop timeout in practice (Compose's default is 10 s), short
/// enough that a stray signal (`docker kill -s HUP`) does not excuse a crash much later.
pub(crate) const USER_STOP_GRACE: Duration = Duration::from_secs(120);

/// The knobs, from `[monitor]` or the command line.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Policy {
    /// Consecutive failed probes before a restart.
    pub failures: u32,
    /// Restarts (the monitor's and the engine's) allowed within `window`.
    pub max_restarts: u32,
    pub window: Duration,
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// How long a crash is left to the engine's restart policy before the monitor steps in.
    pub engine_grace: Duration,
    /// The wait between the start of a failed probe and the next one: a tenth of the interval,
    /// within [`RECHECK_MIN`] and [`RECHECK_MAX`]. Short, so that `failures` probes confirm a
    /// failure within a fraction of an interval when each fails at once (a paused container, a
    /// server that exits); a probe that timed out is followed at once.
    pub recheck: Duration,
}

impl Policy {
    pub(crate) fn new(
        failures: u32,
        max_restarts: u32,
        window: Duration,
        interval: Duration,
    ) -> Self {
        Self {
            failures: failures.max(1),
            max_restarts,
            window,
            backoff_base: BACKOFF_BASE,
            backoff_max: BACKOFF_MAX,
            engine_grace: interval,
            recheck: (interval / 10)
                .clamp(RECHECK_MIN, RECHECK_MAX)
                .min(interval),
        }
    }

    /// The wait after the last restart before the next one, given `restarts` in the window.
    pub(crate) fn backoff(&self, restarts: usize) -> Duration {
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
pub(crate) enum State {
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
    /// Past `max_restarts` within `window`: the monitor no longer restarts it, and stops its
    /// container so that its restart policy does not either.
    Failed,
}

impl State {
    pub(crate) fn as_str(self) -> &'static str {
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
pub(crate) enum Decision {
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
    /// The crash-loop cap is reached: the server is failed. Stop its container through the API
    /// now (a stop through the API also keeps its restart policy from starting it again), and
    /// report it failed; no more restarts until a person starts it.
    GiveUp {
        reason: String,
    },
    /// The stop of a failed server did not work: try again at `at`.
    Stop {
        at: Instant,
    },
}

/// Where the monitor's stop of a failed server stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Halt {
    /// Not given up on.
    No,
    /// Given up on: its container is being stopped, or is to be stopped again (after a stop that
    /// failed). Events meanwhile are the stop's, or the restart policy's that it ends.
    Stopping,
    /// Given up on and stopped by the monitor. Its restart policy is off (the engine's rule for
    /// a stop through the API) until someone starts it: that start is a person's, and the
    /// server is watched again with a fresh budget.
    Stopped,
}

/// Who started a container that the monitor saw start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Starter {
    /// The engine's restart policy, after a crash.
    Engine,
    /// Someone else (a person, `compose up`) after it was stopped.
    Person,
    /// It was running already as far as the monitor knows: a late or repeated `start` event.
    Nobody,
}

/// What a `die` event meant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Death {
    ByPerson,
    Crash,
    /// The monitor's own stop of a failed server (or a turn of the crash loop it is ending):
    /// the server stays failed.
    Halted,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pending {
    Restart(Instant),
    EngineCheck(Instant),
    Stop(Instant),
}

/// One server's history as the policy sees it.
#[derive(Debug, Clone)]
pub(crate) struct Tracker {
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
    halt: Halt,
    /// Stops of a failed server that did not work in a row, for their backoff.
    failed_stops: u32,
}

impl Tracker {
    /// A server found running (`running`) or not when the monitor (re)discovers it. A stopped
    /// container's story is unknown, so it counts as stopped on purpose and is left alone.
    pub(crate) fn new(running: bool) -> Self {
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
            halt: Halt::No,
            failed_stops: 0,
        }
    }

    pub(crate) fn state(&self) -> State {
        self.state
    }

    pub(crate) fn consecutive_failures(&self) -> u32 {
        self.consecutive_failures
    }

    /// Restarts counted in the window ending at `now`.
    pub(crate) fn restarts_in_window(&mut self, policy: &Policy, now: Instant) -> u32 {
        self.prune(policy, now);
        u32::try_from(self.restarts.len()).unwrap_or(u32::MAX)
    }

    /// Where the stop of a failed server stands.
    pub(crate) fn halt(&self) -> Halt {
        self.halt
    }

    /// Whether probing it makes sense: it should be running and nothing is under way.
    pub(crate) fn wants_probe(&self) -> bool {
        matches!(
            self.state,
            State::Starting | State::Healthy | State::Unhealthy | State::Failed
        ) && self.crashed.is_none()
            && self.halt == Halt::No
    }

    /// When a server whose last probe (begun at `last_probe`) failed is probed again: a
    /// [`Policy::recheck`] later, not a whole interval, so that `failures` failures in a row are
    /// reached quickly. `None` for a server that is not failing: healthy ones are probed every
    /// interval, never faster.
    pub(crate) fn recheck_at(&self, policy: &Policy, last_probe: Instant) -> Option<Instant> {
        (self.state == State::Unhealthy && self.consecutive_failures > 0 && self.wants_probe())
            .then_some(last_probe + policy.recheck)
    }

    /// The time of the next scheduled step, if any.
    pub(crate) fn due_at(&self) -> Option<Instant> {
        self.pending.map(|p| match p {
            Pending::Restart(at) | Pending::EngineCheck(at) | Pending::Stop(at) => at,
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
            return self.give_up(
                now,
                format!(
                    "{why}; {count} restart(s) within {} already (max_restarts = {})",
                    crate::model::units::format_duration(policy.window),
                    policy.max_restarts
                ),
            );
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

    /// Past the cap: failed, and its container is to be stopped now.
    fn give_up(&mut self, now: Instant, reason: String) -> Decision {
        self.state = State::Failed;
        self.halt = Halt::Stopping;
        self.pending = Some(Pending::Stop(now));
        self.crashed = None;
        self.person_stopping = None;
        self.failed_stops = 0;
        Decision::GiveUp { reason }
    }

    /// Whether the stop of a failed server is due at `now`.
    pub(crate) fn stop_due(&self, now: Instant) -> bool {
        matches!(self.pending, Some(Pending::Stop(at)) if at <= now)
    }

    /// The monitor's stop of a failed server is under way.
    pub(crate) fn stop_begun(&mut self) {
        if matches!(self.pending, Some(Pending::Stop(_))) {
            self.pending = None;
        }
    }

    /// The monitor's stop of a failed server ended: `ok` when the container is stopped and
    /// stays stopped. Otherwise it is tried again with backoff.
    pub(crate) fn stop_done(&mut self, policy: &Policy, now: Instant, ok: bool) -> Decision {
        if self.halt != Halt::Stopping {
            return Decision::Nothing;
        }
        if ok {
            self.halt = Halt::Stopped;
            self.failed_stops = 0;
            self.pending = None;
            return Decision::Nothing;
        }
        self.failed_stops = self.failed_stops.saturating_add(1);
        let at = now + policy.backoff(self.failed_stops as usize);
        self.pending = Some(Pending::Stop(at));
        Decision::Stop { at }
    }

    /// A paused (frozen) container cannot answer: it counts as a failed probe at once, without
    /// waiting for one to time out.
    pub(crate) fn paused(&mut self, policy: &Policy, now: Instant) -> Decision {
        self.probe_failed(policy, now)
    }

    /// A probe answered the handshake.
    pub(crate) fn probe_ok(&mut self) -> State {
        let before = self.state;
        if self.halt != Halt::No {
            // A probe begun before the monitor gave up: a failed server stays failed (a crash
            // loop answers now and then between crashes) until a person starts it again.
            return before;
        }
        self.consecutive_failures = 0;
        if matches!(self.pending, Some(Pending::Restart(_))) {
            // It recovered while a backed-off restart was waiting: no reason to restart now.
            self.pending = None;
        }
        self.state = State::Healthy;
        before
    }

    /// A probe failed (no answer within the timeout, an error, the process exited).
    pub(crate) fn probe_failed(&mut self, policy: &Policy, now: Instant) -> Decision {
        if !self.wants_probe() {
            return Decision::Nothing;
        }
        self.consecutive_failures = self.consecutive_failures.saturating_add(1);
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
    pub(crate) fn stop_requested(&self, now: Instant) -> bool {
        self.person_stopping
            .is_some_and(|at| now.saturating_duration_since(at) <= USER_STOP_GRACE)
    }

    /// Someone other than the monitor asked the engine to kill, stop or restart it. Not while
    /// the monitor stops a failed server: those are its own stop's events.
    pub(crate) fn person_stopping(&mut self, now: Instant) {
        if self.halt == Halt::No {
            self.person_stopping = Some(now);
        }
    }

    /// The container's main process ended (`die`), not by the monitor's own restart.
    /// `engine_restarts` says whether its restart policy will start it again.
    pub(crate) fn died(
        &mut self,
        policy: &Policy,
        now: Instant,
        engine_restarts: bool,
        why: &str,
    ) -> (Death, Decision) {
        if self.halt != Halt::No {
            // The monitor's own stop of a failed server, or a turn of the crash loop it is
            // ending: it stays failed (not "stopped by a person").
            self.person_stopping = None;
            return (Death::Halted, Decision::Nothing);
        }
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
    pub(crate) fn started(&mut self, policy: &Policy, now: Instant) -> (Starter, Decision) {
        match self.halt {
            Halt::No => {}
            // Its restart policy, before the monitor's stop took: the stop (again) handles it.
            Halt::Stopping => return (Starter::Engine, Decision::Nothing),
            // Stopped by the monitor, so its restart policy is off: a person started it. It is
            // watched again, with a fresh budget of restarts.
            Halt::Stopped => {
                self.halt = Halt::No;
                self.crashed = None;
                self.person_stopping = None;
                self.consecutive_failures = 0;
                self.restarts.clear();
                self.pending = None;
                self.state = State::Starting;
                return (Starter::Person, Decision::Nothing);
            }
        }
        // Running now: a stop asked for before this start is over, whether its `die` was seen
        // or not (Podman's restart policy emits `restart` after a `die` that a monitor that
        // just connected may have missed: that `restart` stopped nothing).
        self.person_stopping = None;
        let crashed = self.crashed.take();
        if crashed.is_none() && self.state != State::Stopped {
            return (Starter::Nobody, Decision::Nothing);
        }
        self.consecutive_failures = 0;
        if crashed == Some(true) {
            // The engine's restart policy at work: it counts in the crash-loop window, so a
            // container the engine restarts forever (Podman without backoff) is reported failed.
            self.prune(policy, now);
            self.restarts.push_back(now);
            if matches!(self.pending, Some(Pending::EngineCheck(_))) {
                self.pending = None;
            }
            let count = self.restarts.len();
            if count > policy.max_restarts as usize {
                let reason = format!(
                    "crash loop: restarted {count} times within {} (max_restarts = {})",
                    crate::model::units::format_duration(policy.window),
                    policy.max_restarts
                );
                return (Starter::Engine, self.give_up(now, reason));
            }
            self.state = State::Starting;
            return (Starter::Engine, Decision::Nothing);
        }
        // Started by a person (after a stop, or after a crash that no restart policy handles),
        // or by `compose up`: a fresh start.
        self.restarts.clear();
        self.pending = None;
        self.state = State::Starting;
        (Starter::Person, Decision::Nothing)
    }

    /// The engine check after a crash came due; `running` is the container's state now.
    pub(crate) fn engine_check(
        &mut self,
        policy: &Policy,
        now: Instant,
        running: bool,
    ) -> Decision {
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
    pub(crate) fn restart_due(&self, now: Instant) -> bool {
        matches!(self.pending, Some(Pending::Restart(at)) if at <= now)
    }

    /// Whether an engine check is due at `now`.
    pub(crate) fn engine_check_due(&self, now: Instant) -> bool {
        matches!(self.pending, Some(Pending::EngineCheck(at)) if at <= now)
    }

    /// The monitor is restarting it now: this counts in the window.
    pub(crate) fn restart_begun(&mut self, policy: &Policy, now: Instant) {
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
    pub(crate) fn restart_done(&mut self, policy: &Policy, now: Instant, ok: bool) -> Decision {
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
        assert_eq!(t.probe_ok(), State::Unhealthy);
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
        // Crash 4: three restarts within the window already, max_restarts = 3: give up, which
        // means stop the container now.
        let (_, d) = t.died(&policy, clock.at(13.5), false, "exit 137");
        assert!(matches!(d, Decision::GiveUp { .. }), "{d:?}");
        assert_eq!(t.state(), State::Failed);
        assert_eq!(t.halt(), Halt::Stopping);
        assert!(t.stop_due(clock.at(13.5)), "the stop is due at once");
        // Failed stays failed: no more restarts by the monitor.
        let (_, d) = t.died(&policy, clock.at(15.0), false, "exit 137");
        assert_eq!(d, Decision::Nothing);
        assert_eq!(t.state(), State::Failed);
        assert!(!t.restart_due(clock.at(100.0)));
    }

    #[test]
    fn the_window_forgets_old_restarts() {
        let (clock, policy) = (Clock::new(), policy());
        let mut t = Tracker::new(true);
        for at in [0.0, 100.0, 200.0] {
            t.restart_begun(&policy, clock.at(at));
            t.restart_done(&policy, clock.at(at + 0.5), true);
            t.probe_ok();
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
            let expected = if gave_up.is_some() {
                Death::Halted
            } else {
                Death::Crash
            };
            assert_eq!(death, expected, "cycle {i}");
            if let Decision::GiveUp { .. } = d {
                gave_up.get_or_insert(i);
            }
            let (starter, d) = t.started(&policy, now + Duration::from_millis(50));
            assert_eq!(
                starter,
                Starter::Engine,
                "until stopped, starts are the engine's"
            );
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
    fn a_start_ends_a_stop_request() {
        let (clock, policy) = (Clock::new(), policy());
        let mut t = Tracker::new(true);
        // Podman's restart policy: `die` (missed: the monitor was connecting) → `restart` (taken
        // for a person's) → `init` → `start`; the next crash must not pass for a stop.
        t.person_stopping(clock.at(1.0));
        let (starter, _) = t.started(&policy, clock.at(1.1));
        assert_eq!(starter, Starter::Nobody);
        assert!(!t.stop_requested(clock.at(1.2)));
        let (death, _) = t.died(&policy, clock.at(1.3), true, "exit 3");
        assert_eq!(death, Death::Crash);
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
        t.stop_begun();
        assert_eq!(t.stop_done(&policy, clock.at(4.5), true), Decision::Nothing);
        // The monitor stopped it (which turns its restart policy off): the next start is a
        // person's (or `compose up`'s), a fresh start.
        let (starter, _) = t.started(&policy, clock.at(6.0));
        assert_eq!(starter, Starter::Person);
        assert_eq!(t.state(), State::Starting);
        assert_eq!(t.halt(), Halt::No);
        assert!(t.wants_probe());
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
        t.probe_ok();
        assert_eq!(t.due_at(), None);
        assert_eq!(t.state(), State::Healthy);
    }

    #[test]
    fn failed_probes_past_the_cap_give_up_and_stop_the_container() {
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
        // Given up means stopped: the stop is due now, and nothing probes it meanwhile.
        assert_eq!(t.halt(), Halt::Stopping);
        assert!(t.stop_due(clock.at(now)));
        assert_eq!(t.due_at(), Some(clock.at(now)));
        assert!(!t.wants_probe());
        assert_eq!(t.recheck_at(&policy, clock.at(now)), None);
        t.stop_begun();
        assert_eq!(t.due_at(), None, "nothing else while the stop is under way");
        assert_eq!(
            t.stop_done(&policy, clock.at(now + 0.5), true),
            Decision::Nothing
        );
        assert_eq!(t.halt(), Halt::Stopped);
        assert_eq!(t.state(), State::Failed);
        assert_eq!(t.due_at(), None);
        // A probe that was under way when it gave up changes nothing.
        assert_eq!(t.probe_ok(), State::Failed);
        assert_eq!(t.state(), State::Failed);
        assert_eq!(
            t.probe_failed(&policy, clock.at(now + 1.0)),
            Decision::Nothing
        );
        // Much later, still failed and stopped: the window forgetting its restarts does not
        // bring it back; only a start does.
        assert_eq!(t.state(), State::Failed);
        assert!(!t.restart_due(clock.at(now + 700.0)));
    }

    #[test]
    fn the_monitors_own_stop_is_not_a_persons() {
        let (clock, policy) = (Clock::new(), policy());
        let mut t = Tracker::new(true);
        for at in [0.0, 1.0, 3.0] {
            t.restart_begun(&policy, clock.at(at));
        }
        let (_, d) = t.died(&policy, clock.at(4.0), true, "exit 3");
        assert!(matches!(d, Decision::GiveUp { .. }), "{d:?}");
        t.stop_begun();
        // The stop's own events: Docker's `kill` → `die` → `stop`, Podman's `die` (`stop`).
        t.person_stopping(clock.at(4.1));
        let (death, d) = t.died(&policy, clock.at(4.2), true, "exit 143");
        assert_eq!((death, d), (Death::Halted, Decision::Nothing));
        t.person_stopping(clock.at(4.3));
        assert_eq!(t.stop_done(&policy, clock.at(4.4), true), Decision::Nothing);
        assert_eq!(
            t.state(),
            State::Failed,
            "not `stopped`: the failure is kept"
        );
        assert!(!t.stop_requested(clock.at(4.5)));
        // A late event of the stop still changes nothing.
        let (death, _) = t.died(&policy, clock.at(5.0), true, "exit 143");
        assert_eq!(death, Death::Halted);
        assert_eq!(t.state(), State::Failed);
    }

    #[test]
    fn a_restart_by_the_engine_before_the_stop_took_is_stopped_again() {
        let (clock, policy) = (Clock::new(), policy());
        let mut t = Tracker::new(true);
        // Podman restarts a crashing container at once: the 4th crash, with 3 restarts by the
        // engine in the window, is past the cap.
        let mut gave_up = 0;
        for i in 0..4 {
            let now = clock.at(f64::from(i));
            let (_, died) = t.died(&policy, now, true, "exit 3");
            let (_, started) = t.started(&policy, now + Duration::from_millis(100));
            for d in [died, started] {
                gave_up += usize::from(matches!(d, Decision::GiveUp { .. }));
            }
        }
        assert_eq!(gave_up, 1, "given up once");
        t.stop_begun();
        // The stop failed (or found the container between two turns of the loop, and the engine
        // started it again): tried again with backoff, still failed, still not probed.
        let retry = t.stop_done(&policy, clock.at(4.0), false);
        assert_eq!(retry, Decision::Stop { at: clock.at(5.0) });
        assert!(!t.stop_due(clock.at(4.9)));
        assert!(t.stop_due(clock.at(5.0)));
        let (starter, d) = t.started(&policy, clock.at(4.5));
        assert_eq!((starter, d), (Starter::Engine, Decision::Nothing));
        assert_eq!(
            t.halt(),
            Halt::Stopping,
            "a start before the stop took is the engine's"
        );
        assert!(!t.wants_probe());
        t.stop_begun();
        assert_eq!(
            t.stop_done(&policy, clock.at(5.2), false),
            Decision::Stop { at: clock.at(7.2) },
            "the backoff doubles"
        );
        t.stop_begun();
        t.stop_done(&policy, clock.at(7.5), true);
        assert_eq!((t.state(), t.halt()), (State::Failed, Halt::Stopped));
    }

    #[test]
    fn a_pause_fails_at_once_and_is_rechecked_quickly() {
        let (clock, policy) = (Clock::new(), policy());
        let mut t = Tracker::new(true);
        t.probe_ok();
        assert_eq!(t.state(), State::Healthy);
        // Healthy: probed every interval (by the ticker), never re-checked sooner.
        assert_eq!(t.recheck_at(&policy, clock.at(0.0)), None);
        // `pause`: a failure at once, no probe timeout waited for.
        assert_eq!(t.paused(&policy, clock.at(1.0)), Decision::Nothing);
        assert_eq!((t.state(), t.consecutive_failures()), (State::Unhealthy, 1));
        // Re-checked a tenth of the interval later (2 s: 200 ms), not an interval later.
        assert_eq!(policy.recheck, Duration::from_millis(200));
        assert_eq!(t.recheck_at(&policy, clock.at(1.0)), Some(clock.at(1.2)));
        assert_eq!(t.probe_failed(&policy, clock.at(1.25)), Decision::Nothing);
        let d = t.probe_failed(&policy, clock.at(1.5));
        assert_eq!(restart_at(&d), clock.at(1.5), "3 failures within 0.5 s");
        assert_eq!(t.recheck_at(&policy, clock.at(1.5)), None, "restarting");
        // With failures = 1 the pause alone restarts it.
        let one = Policy::new(1, 3, Duration::from_secs(600), Duration::from_secs(2));
        let mut t = Tracker::new(true);
        assert_eq!(restart_at(&t.paused(&one, clock.at(3.0))), clock.at(3.0));
    }

    #[test]
    fn the_recheck_is_a_tenth_of_the_interval_within_bounds() {
        let recheck =
            |secs: f64| Policy::new(3, 3, Duration::ZERO, Duration::from_secs_f64(secs)).recheck;
        assert_eq!(recheck(2.0), Duration::from_millis(200));
        assert_eq!(recheck(10.0), Duration::from_secs(1));
        assert_eq!(recheck(60.0), RECHECK_MAX);
        assert_eq!(recheck(0.5), RECHECK_MIN);
        assert_eq!(
            recheck(0.05),
            Duration::from_millis(50),
            "never above the interval"
        );
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
