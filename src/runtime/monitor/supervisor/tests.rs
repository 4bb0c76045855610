//! The supervisor's wiring, on a scripted engine ([`Fake`]) and tokio's paused clock: which
//! events, probe results and timers lead to which engine calls, when, and what is logged. The
//! decisions themselves are the policy's, tested in `policy.rs`; the real engine's behaviour is
//! the end-to-end suites' (tests/monitor).
//!
//! Times are milliseconds from the start. The settings: a probe every 2 s, a re-check 200 ms
//! after a failed probe, a restart after 3 failures in a row, at most 3 restarts in 10 min.

use std::future::Future;
use std::time::Duration;

use tokio::sync::oneshot;

use super::{HALT_SETTLE, PODMAN_SETTLE, RECONNECT_FIRST, Supervisor};
use crate::runtime::monitor::Settings;
use crate::runtime::monitor::engine::{Flavor, RunState};
use crate::runtime::monitor::fake::{Call, Fake, POLICY_DELAY, RESTART_TIME};
use crate::runtime::monitor::log::{Action, Event, Level, Line, capture};
use crate::runtime::monitor::status::Status;

fn settings() -> Settings {
    Settings {
        stack: "mcp".to_string(),
        interval: Duration::from_secs(2),
        failures: 3,
        max_restarts: 3,
        window: Duration::from_secs(600),
        probe_timeout: Duration::from_secs(1),
        status_file: None,
        verbose: false,
    }
}

/// Runs the supervisor on `fake` while `script` plays, stops it when the script ends, and
/// returns what it logged.
async fn supervise(fake: &Fake, settings: Settings, script: impl Future<Output = ()>) -> Vec<Line> {
    capture::start();
    let (stop, stopped) = oneshot::channel::<()>();
    let shutdown = async move {
        let _ = stopped.await;
        "SIGTERM"
    };
    let script = async move {
        script.await;
        let _ = stop.send(());
    };
    let supervisor = Supervisor::new(settings, fake.clone());
    let (code, ()) = tokio::join!(supervisor.run(shutdown), script);
    assert_eq!(code, 0);
    capture::finish()
}

/// Waits until `ms` milliseconds from the start.
async fn at(fake: &Fake, ms: u64) {
    tokio::time::sleep_until(fake.zero() + Duration::from_millis(ms)).await;
}

fn ms(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap()
}

fn probe(server: &str) -> Call {
    Call::Probe(server.to_string())
}

fn restart(server: &str) -> Call {
    Call::Restart(server.to_string())
}

/// The calls that act on a server: probes, restarts, stops.
fn acts(fake: &Fake) -> Vec<(u64, Call)> {
    fake.calls()
        .into_iter()
        .filter(|(_, call)| matches!(call, Call::Probe(_) | Call::Restart(_) | Call::Halt { .. }))
        .collect()
}

/// When `call` was made.
fn times(fake: &Fake, call: &Call) -> Vec<u64> {
    fake.calls()
        .into_iter()
        .filter(|(_, c)| c == call)
        .map(|(at, _)| at)
        .collect()
}

/// What was logged, as `event server` in the log schema's names.
fn said(lines: &[Line]) -> Vec<String> {
    lines
        .iter()
        .map(|line| {
            let event = serde_json::to_value(line.event).unwrap();
            let event = event.as_str().unwrap();
            match &line.server {
                Some(server) => format!("{event} {server}"),
                None => event.to_string(),
            }
        })
        .collect()
}

/// The lines of `event` about `server`.
fn lines_of<'a>(lines: &'a [Line], event: Event, server: &str) -> Vec<&'a Line> {
    lines
        .iter()
        .filter(|l| l.event == event && l.server.as_deref() == Some(server))
        .collect()
}

fn reason(line: &Line) -> &str {
    line.reason.as_deref().unwrap_or_default()
}

#[tokio::test(start_paused = true)]
async fn a_healthy_server_is_probed_every_interval_and_logged_once() {
    let fake = Fake::new(Flavor::Docker).server("memory", "no");
    let lines = supervise(&fake, settings(), at(&fake, 10_500)).await;

    assert_eq!(
        fake.calls()[..4],
        [
            (0, Call::Connect),
            (0, Call::Containers),
            (0, Call::RestartPolicy("memory".to_string())),
            (0, Call::Events { replay: false }),
        ]
    );
    let every_interval: Vec<_> = (0..=5).map(|i| (i * 2000, probe("memory"))).collect();
    assert_eq!(acts(&fake), every_interval);
    assert_eq!(
        said(&lines),
        [
            "monitor_started",
            "engine_connected",
            "discovered memory",
            "probe_ok memory",
            "monitor_stopped"
        ]
    );
    let ok = lines_of(&lines, Event::ProbeOk, "memory")[0];
    assert_eq!(
        reason(ok),
        "answers: memory, modern protocol 2025-06-18, 3 tools"
    );
    assert_eq!(
        reason(lines_of(&lines, Event::Discovered, "memory")[0]),
        "running, restart policy `no`"
    );
}

#[tokio::test(start_paused = true)]
async fn a_crash_is_restarted_at_once_and_probed_when_back() {
    let fake = Fake::new(Flavor::Docker).server("memory", "no");
    let lines = supervise(&fake, settings(), async {
        at(&fake, 3000).await;
        fake.crash("memory", 1);
        at(&fake, 4500).await;
    })
    .await;

    let back = 3000 + ms(RESTART_TIME);
    assert_eq!(
        acts(&fake),
        [
            (0, probe("memory")),
            (2000, probe("memory")),
            (3000, restart("memory")),
            (back, probe("memory")),
            (4000, probe("memory")),
        ]
    );
    assert_eq!(
        said(&lines)[4..],
        [
            "died memory",
            "restart memory",
            "probe_ok memory",
            "monitor_stopped"
        ]
    );
    let died = lines_of(&lines, Event::Died, "memory")[0];
    assert_eq!(
        reason(died),
        "exit code 1, not stopped through the API: a crash"
    );
    let restarted = lines_of(&lines, Event::Restart, "memory")[0];
    assert_eq!(restarted.action, Some(Action::Restart));
    assert_eq!(reason(restarted), "exit code 1");
    // The restart's own kill/die/stop/start events are not taken for a crash or a person's.
    assert_eq!(lines_of(&lines, Event::Died, "memory").len(), 1);
    assert!(lines_of(&lines, Event::StoppedByPerson, "memory").is_empty());
}

#[tokio::test(start_paused = true)]
async fn failed_probes_are_rechecked_quickly_then_restarted() {
    let fake = Fake::new(Flavor::Docker).server("memory", "no");
    let lines = supervise(&fake, settings(), async {
        at(&fake, 3000).await;
        fake.set_healthy("memory", false);
        at(&fake, 5000).await;
    })
    .await;

    // The failure at 4 s is confirmed by two re-checks 200 ms apart, not two intervals later.
    let back = 4400 + ms(RESTART_TIME);
    assert_eq!(
        acts(&fake),
        [
            (0, probe("memory")),
            (2000, probe("memory")),
            (4000, probe("memory")),
            (4200, probe("memory")),
            (4400, probe("memory")),
            (4400, restart("memory")),
            (back, probe("memory")),
        ]
    );
    let failed = lines_of(&lines, Event::ProbeFailed, "memory");
    let counts: Vec<_> = failed.iter().map(|l| l.failures).collect();
    assert_eq!(counts, [Some(1), Some(2), Some(3)]);
    assert_eq!(reason(failed[0]), "scripted: no answer");
    let restarted = lines_of(&lines, Event::Restart, "memory")[0];
    assert_eq!(
        reason(restarted),
        "3 consecutive failed probe(s) (failures = 3)"
    );
    assert_eq!(
        said(&lines)[4..],
        [
            "probe_failed memory",
            "probe_failed memory",
            "probe_failed memory",
            "restart memory",
            "probe_ok memory",
            "monitor_stopped"
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_pause_is_a_failure_at_once_and_rechecked_quickly() {
    let fake = Fake::new(Flavor::Docker).server("memory", "no");
    let lines = supervise(&fake, settings(), async {
        at(&fake, 3000).await;
        fake.pause("memory");
        at(&fake, 4500).await;
    })
    .await;

    // The pause counts as the first failure; re-checks bring the other two within 400 ms.
    let back = 3400 + ms(RESTART_TIME);
    assert_eq!(
        acts(&fake),
        [
            (0, probe("memory")),
            (2000, probe("memory")),
            (3200, probe("memory")),
            (3400, probe("memory")),
            (3400, restart("memory")),
            (back, probe("memory")),
            (4000, probe("memory")),
        ]
    );
    let paused = lines_of(&lines, Event::Paused, "memory")[0];
    assert_eq!(paused.failures, Some(1));
    assert!(
        reason(paused).starts_with("frozen: a paused server cannot answer, a failed probe at once"),
        "{}",
        reason(paused)
    );
    let counts: Vec<_> = lines_of(&lines, Event::ProbeFailed, "memory")
        .iter()
        .map(|l| l.failures)
        .collect();
    assert_eq!(counts, [Some(2), Some(3)]);
}

#[tokio::test(start_paused = true)]
async fn the_backoff_between_restarts_doubles() {
    let fake = Fake::new(Flavor::Docker).server("memory", "no");
    let settings = Settings {
        max_restarts: 5,
        ..settings()
    };
    let lines = supervise(&fake, settings, async {
        at(&fake, 1000).await;
        // Each start dies 500 ms later.
        fake.set_crash_loop("memory", Some(Duration::from_millis(500)));
        fake.crash("memory", 1);
        at(&fake, 12_000).await;
    })
    .await;

    // The first restart at once; then 1 s, 2 s, 4 s after the previous one.
    assert_eq!(times(&fake, &restart("memory")), [1000, 2000, 4000, 8000]);
    let waits: Vec<_> = lines_of(&lines, Event::Restart, "memory")
        .into_iter()
        .filter(|l| l.action == Some(Action::Wait))
        .map(reason)
        .collect();
    // Said when each crash (500 ms after each restart's start) is seen.
    assert_eq!(
        waits,
        [
            "exit code 1; backoff 300ms after 1 restart(s) in the window",
            "exit code 1; backoff 1s300ms after 2 restart(s) in the window",
            "exit code 1; backoff 3s300ms after 3 restart(s) in the window",
            "exit code 1; backoff 7s300ms after 4 restart(s) in the window",
        ]
    );
    assert!(lines_of(&lines, Event::Failed, "memory").is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_crash_loop_is_given_up_on_stopped_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let status_file = dir.path().join("status.json");
    let fake = Fake::new(Flavor::Docker).server("memory", "no");
    let settings = Settings {
        status_file: Some(status_file.clone()),
        ..settings()
    };
    let read_status = || -> Status {
        serde_json::from_str(&std::fs::read_to_string(&status_file).unwrap()).unwrap()
    };
    let mut status_while_failed = None;
    let lines = supervise(&fake, settings, async {
        at(&fake, 1000).await;
        fake.set_crash_loop("memory", Some(Duration::from_millis(500)));
        fake.crash("memory", 1);
        at(&fake, 18_500).await;
        status_while_failed = Some(read_status());
        // Fixed, and started again by a person (between two ticks, so that the `start` event
        // tells it, not the list of a tick).
        at(&fake, 19_100).await;
        fake.set_crash_loop("memory", None);
        fake.start_by_person("memory");
        at(&fake, 19_600).await;
    })
    .await;

    // Three restarts (1 s, 2 s of backoff), then the 4th crash is past max_restarts = 3: the
    // container is stopped, and nothing more is done with it until a person starts it.
    let halt = Call::Halt {
        server: "memory".to_string(),
        restarts: false,
        settle: HALT_SETTLE,
    };
    let after_the_first_crash: Vec<_> = acts(&fake)
        .into_iter()
        .filter(|(at, _)| *at >= 1000)
        .collect();
    assert_eq!(
        after_the_first_crash,
        [
            (1000, restart("memory")),
            (1200, probe("memory")),
            (2000, restart("memory")),
            (2200, probe("memory")),
            (4000, restart("memory")),
            (4200, probe("memory")),
            (4700, halt),
            (19_100, probe("memory")),
        ]
    );
    let failed = lines_of(&lines, Event::Failed, "memory");
    assert_eq!(failed.len(), 1, "reported once");
    assert_eq!(
        (failed[0].level, failed[0].action, failed[0].state),
        (Level::Error, Some(Action::GiveUp), Some("failed"))
    );
    assert!(
        reason(failed[0]).starts_with(
            "exit code 1; 3 restart(s) within 10m already (max_restarts = 3): gave up and \
             stopped its container through the API; bring it back"
        ),
        "{}",
        reason(failed[0])
    );
    let status = status_while_failed.unwrap();
    let memory = &status.servers["memory"];
    assert_eq!(
        (status.healthy, memory.state.as_str(), memory.restarts),
        (true, "failed", 3)
    );
    // A person's start: watched again, with a fresh budget.
    let started = lines_of(&lines, Event::Started, "memory");
    assert_eq!(started.len(), 1);
    assert_eq!(
        reason(started[0]),
        "started by a person or compose after the monitor stopped it: watched again, with a \
         fresh budget of 3 restart(s) within 10m"
    );
    assert_eq!(started[0].restarts, Some(0));
    assert_eq!(said(&lines).last().unwrap(), "monitor_stopped");
    assert_eq!(read_status().servers["memory"].state, "healthy");
}

#[tokio::test(start_paused = true)]
async fn a_crash_loop_of_the_restart_policy_is_ended_by_a_stop() {
    let fake = Fake::new(Flavor::Docker).server("memory", "always");
    let lines = supervise(&fake, settings(), async {
        at(&fake, 1000).await;
        fake.set_crash_loop("memory", Some(Duration::from_millis(300)));
        fake.crash("memory", 1);
        at(&fake, 6000).await;
    })
    .await;

    // The engine restarts it 100 ms after each crash, the monitor never does; the 4th crash,
    // with 3 of the engine's restarts in the window, ends it. The stop watches for the restart
    // policy starting it again.
    // Crashes at 1000, 1400, 1800 and 2200 ms; the engine's starts 100 ms after the first three.
    assert_eq!(POLICY_DELAY, Duration::from_millis(100));
    assert!(times(&fake, &restart("memory")).is_empty());
    let halts: Vec<_> = acts(&fake)
        .into_iter()
        .filter(|(_, c)| matches!(c, Call::Halt { .. }))
        .collect();
    assert_eq!(
        halts,
        [(
            2200,
            Call::Halt {
                server: "memory".to_string(),
                restarts: true,
                settle: HALT_SETTLE,
            }
        )]
    );
    assert_eq!(fake.state("memory"), RunState::Stopped);
    // Each start by the engine is probed at once.
    for start in [1100, 1500, 1900] {
        assert!(times(&fake, &probe("memory")).contains(&start), "{start}");
    }
    let waiting = lines_of(&lines, Event::Waiting, "memory");
    assert_eq!(waiting.len(), 3);
    assert_eq!(
        reason(waiting[0]),
        "exit code 1; its restart policy restarts it"
    );
    let started = lines_of(&lines, Event::Started, "memory");
    assert_eq!(started.len(), 3);
    assert_eq!(
        reason(started[0]),
        "restarted by its restart policy after a crash"
    );
    let failed = lines_of(&lines, Event::Failed, "memory");
    assert_eq!(failed.len(), 1);
    assert!(
        reason(failed[0]).contains(
            "gave up and stopped its container through the API, which also keeps its restart \
             policy `always` from restarting it"
        ),
        "{}",
        reason(failed[0])
    );
}

#[tokio::test(start_paused = true)]
async fn a_crash_is_left_to_the_restart_policy_until_it_fails_to_act() {
    let fake = Fake::new(Flavor::Docker)
        .server("steady", "always")
        .server("stuck", "always");
    let lines = supervise(&fake, settings(), async {
        fake.ignore_policy("stuck");
        at(&fake, 3000).await;
        fake.crash("steady", 1);
        fake.crash("stuck", 1);
        at(&fake, 5500).await;
    })
    .await;

    // Both wait an interval for the engine; `steady` is back 100 ms later and probed, `stuck`
    // is looked at after the interval and restarted by the monitor.
    assert!(times(&fake, &restart("steady")).is_empty());
    assert!(times(&fake, &probe("steady")).contains(&3100));
    assert_eq!(times(&fake, &Call::Container("stuck".to_string())), [5000]);
    assert_eq!(times(&fake, &restart("stuck")), [5000]);
    assert_eq!(lines_of(&lines, Event::Waiting, "steady").len(), 1);
    assert_eq!(lines_of(&lines, Event::Waiting, "stuck").len(), 1);
    assert_eq!(
        reason(lines_of(&lines, Event::Restart, "stuck")[0]),
        "its restart policy did not bring it back"
    );
    assert_eq!(
        reason(lines_of(&lines, Event::Started, "steady")[0]),
        "restarted by its restart policy after a crash"
    );
}

#[tokio::test(start_paused = true)]
async fn a_failed_restart_is_tried_again_after_the_backoff() {
    let fake = Fake::new(Flavor::Docker).server("memory", "no");
    let lines = supervise(&fake, settings(), async {
        fake.fail_restarts(1);
        at(&fake, 3000).await;
        fake.crash("memory", 1);
        at(&fake, 4500).await;
    })
    .await;

    assert_eq!(times(&fake, &restart("memory")), [3000, 4000]);
    assert!(times(&fake, &probe("memory")).contains(&(4000 + ms(RESTART_TIME))));
    assert_eq!(
        said(&lines)[4..],
        [
            "died memory",
            "restart memory",
            "restart_failed memory",
            "restart memory",
            "restart memory",
            "probe_ok memory",
            "monitor_stopped"
        ]
    );
    assert_eq!(
        reason(lines_of(&lines, Event::RestartFailed, "memory")[0]),
        "scripted: the restart failed"
    );
    let restarts = lines_of(&lines, Event::Restart, "memory");
    let actions: Vec<_> = restarts.iter().map(|l| l.action).collect();
    assert_eq!(
        actions,
        [
            Some(Action::Restart),
            Some(Action::Wait),
            Some(Action::Restart)
        ]
    );
    assert_eq!(
        reason(restarts[1]),
        "the last restart failed; backoff 1s after 1 restart(s) in the window"
    );
}

#[tokio::test(start_paused = true)]
async fn a_persons_stop_is_left_alone_until_a_start() {
    let fake = Fake::new(Flavor::Docker).server("memory", "unless-stopped");
    let lines = supervise(&fake, settings(), async {
        at(&fake, 3000).await;
        fake.stop_by_person("memory");
        at(&fake, 20_100).await;
        fake.start_by_person("memory");
        at(&fake, 20_600).await;
    })
    .await;

    // Not restarted, not probed while stopped; probed at once when started again.
    assert_eq!(
        acts(&fake),
        [
            (0, probe("memory")),
            (2000, probe("memory")),
            (20_100, probe("memory")),
        ]
    );
    assert_eq!(
        said(&lines)[4..],
        [
            "stopped_by_person memory",
            "started memory",
            "probe_ok memory",
            "monitor_stopped"
        ]
    );
    let stopped = lines_of(&lines, Event::StoppedByPerson, "memory")[0];
    assert_eq!(
        (stopped.level, stopped.action, stopped.state),
        (Level::Info, Some(Action::None), Some("stopped"))
    );
    assert_eq!(
        reason(stopped),
        "exit code 143 after a stop through the API: left alone until it is started again"
    );
    assert_eq!(
        reason(lines_of(&lines, Event::Started, "memory")[0]),
        "started by a person or compose"
    );
}

#[tokio::test(start_paused = true)]
async fn on_podman_a_die_waits_for_the_signs_of_a_stop() {
    let fake = Fake::new(Flavor::Podman)
        .server("crashed", "no")
        .server("stopped", "no");
    let lines = supervise(&fake, settings(), async {
        at(&fake, 3000).await;
        // Both exit with no `kill` or `stop` event; the stop shows a second `cleanup`.
        fake.stop_by_person("stopped");
        fake.crash("crashed", 1);
        at(&fake, 5000).await;
    })
    .await;

    let settled = 3000 + ms(PODMAN_SETTLE);
    assert_eq!(times(&fake, &restart("crashed")), [settled]);
    assert!(times(&fake, &restart("stopped")).is_empty());
    assert_eq!(
        said(&lines)[6..],
        [
            "stopped_by_person stopped",
            "died crashed",
            "restart crashed",
            "probe_ok crashed",
            "monitor_stopped"
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn the_engine_going_away_is_reconnected_with_backoff_and_its_events_replayed() {
    let fake = Fake::new(Flavor::Docker).server("memory", "no");
    let lines = supervise(&fake, settings(), async {
        at(&fake, 3000).await;
        fake.go_away();
        at(&fake, 4000).await;
        // Unseen by the monitor: only a replay of the events tells it.
        fake.crash("memory", 1);
        at(&fake, 5000).await;
        fake.come_back();
        at(&fake, 7500).await;
    })
    .await;

    // Attempts 250 ms after the loss, then 500 ms, 1 s, 2 s apart.
    assert_eq!(RECONNECT_FIRST, Duration::from_millis(250));
    assert_eq!(times(&fake, &Call::Connect), [0, 3250, 3750, 4750, 6750]);
    assert_eq!(
        times(&fake, &Call::Events { replay: true }),
        [6750],
        "replayed from the last event seen"
    );
    // Nothing is probed while it is away; the crash is restarted once it is back.
    let back = 6750 + ms(RESTART_TIME);
    assert_eq!(
        acts(&fake),
        [
            (0, probe("memory")),
            (2000, probe("memory")),
            (6750, restart("memory")),
            (back, probe("memory")),
        ]
    );
    assert_eq!(
        said(&lines)[4..],
        [
            "engine_lost",
            "engine_connected",
            "died memory",
            "restart memory",
            "probe_ok memory",
            "monitor_stopped"
        ]
    );
    let lost = lines.iter().find(|l| l.event == Event::EngineLost).unwrap();
    assert_eq!(
        reason(lost),
        "the event stream broke: scripted: the connection broke; probes pause and restarts \
         wait until it is back"
    );
    let connected: Vec<_> = lines
        .iter()
        .filter(|l| l.event == Event::EngineConnected)
        .map(reason)
        .collect();
    assert_eq!(
        connected,
        ["Fake Engine", "Fake Engine, back after 3750 ms"]
    );
}

/// An old `start` arriving after a person's stop (Podman sends old events again when it reads
/// its events log anew) is stale: the server stays stopped, unprobed.
#[tokio::test(start_paused = true)]
async fn a_stale_start_after_a_persons_stop_is_ignored() {
    let fake = Fake::new(Flavor::Podman).server("memory", "no");
    let lines = supervise(&fake, settings(), async {
        at(&fake, 3000).await;
        fake.stop_by_person("memory");
        at(&fake, 4000).await;
        fake.resend_stale("memory", "start");
        at(&fake, 9000).await;
    })
    .await;

    assert_eq!(
        acts(&fake),
        [(0, probe("memory")), (2000, probe("memory"))],
        "{:?}",
        said(&lines)
    );
    assert!(
        !said(&lines).contains(&"started memory".to_string()),
        "{:?}",
        said(&lines)
    );
}

/// The engine goes away while the monitor's restart call is under way: the answer is lost with
/// the connection, and once the engine is back the server is probed, not left `restarting`.
#[tokio::test(start_paused = true)]
async fn a_restart_in_flight_when_the_engine_goes_away_is_probed_once_it_is_back() {
    let fake = Fake::new(Flavor::Docker).server("memory", "no");
    let lines = supervise(&fake, settings(), async {
        at(&fake, 3000).await;
        fake.crash("memory", 1);
        at(&fake, 3000 + ms(RESTART_TIME) / 2).await;
        fake.go_away();
        at(&fake, 5000).await;
        fake.come_back();
        at(&fake, 9000).await;
    })
    .await;

    let reconnected = *times(&fake, &Call::Connect).last().unwrap();
    assert!(reconnected >= 5000, "{reconnected}");
    let probed_after: Vec<u64> = acts(&fake)
        .into_iter()
        .filter(|(at, call)| *at >= reconnected && *call == probe("memory"))
        .map(|(at, _)| at)
        .collect();
    assert!(
        !probed_after.is_empty(),
        "never probed after the reconnection at {reconnected}: {:?}",
        acts(&fake)
    );
    let after_reconnect: Vec<String> = said(&lines)
        .into_iter()
        .skip_while(|line| line != "engine_lost")
        .collect();
    assert!(
        after_reconnect.contains(&"probe_ok memory".to_string()),
        "{after_reconnect:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_probe_answer_from_before_a_reconnection_is_dropped() {
    let fake = Fake::new(Flavor::Docker).server("memory", "no");
    let lines = supervise(&fake, settings(), async {
        at(&fake, 1000).await;
        // The probe at 2 s answers `ok` at 3 s, after a reconnection.
        fake.set_probe_time("memory", Duration::from_secs(1));
        at(&fake, 2100).await;
        fake.go_away();
        fake.stop_by_person("memory");
        fake.come_back();
        at(&fake, 4500).await;
    })
    .await;

    // Reconnected at 2.35 s, it learns of the stop from the replay. The old probe's `ok`
    // must not make the stopped server healthy.
    assert_eq!(times(&fake, &Call::Connect), [0, 2350]);
    assert_eq!(acts(&fake), [(0, probe("memory")), (2000, probe("memory"))]);
    assert_eq!(
        said(&lines)[4..],
        [
            "engine_lost",
            "engine_connected",
            "stopped_by_person memory",
            "monitor_stopped"
        ]
    );
}
