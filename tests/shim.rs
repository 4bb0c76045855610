//! The generated stdio shims, run as a client runs them, against a fake `docker`
//! (tests/support/fake-docker) and a stand-in MCP server (tests/support/stand-in-server). Each
//! test asserts the exact docker argv, what the client sees on stdout, and that the run ends
//! within a bound. Every test has its own sandbox (temp dirs, lock dir, engine state), so they
//! run in parallel; nothing here needs a real engine or the network.

// A test reports failure by panicking: helpers, not just #[test] fns, may expect().
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::fs;
use std::path::Path;
#[cfg(feature = "tool-tests")]
use std::path::PathBuf;
use std::time::Duration;

use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use serde_json::{Value, json};
use support::*;

/// The fixture as a TOML table, to read commands from and to derive variants of.
fn fixture_table() -> toml::Table {
    toml::from_str(&fixture()).expect("the fixture parses")
}

fn server_argv(table: &toml::Table, server: &str, key: &str) -> Vec<String> {
    table["servers"][server][key]
        .as_array()
        .unwrap_or_else(|| panic!("servers.{server}.{key}"))
        .iter()
        .map(|v| v.as_str().expect("a string").to_string())
        .collect()
}

fn command_of(server: &str) -> Vec<String> {
    server_argv(&fixture_table(), server, "command")
}

fn local_args_of(server: &str) -> Vec<String> {
    // The stand-in sees its arguments, not its own path.
    server_argv(&fixture_table(), server, "local")[1..].to_vec()
}

/// What the shim should make of a word that allows `~` for the home directory.
fn expand_home(word: &str, home: &Path) -> String {
    let home = home.to_str().expect("UTF-8 home");
    if word == "~" {
        home.to_string()
    } else if let Some(rest) = word.strip_prefix("~/") {
        format!("{home}/{rest}")
    } else {
        word.to_string()
    }
}

fn assert_answered(outcome: &Outcome, id: &Value) {
    assert!(outcome.status.success(), "{}", outcome.context());
    let messages = outcome.messages();
    assert_eq!(messages.len(), 1, "{}", outcome.context());
    assert_eq!(messages[0]["id"], *id, "{}", outcome.context());
    assert_eq!(messages[0]["result"]["serverInfo"]["name"], "stand-in");
}

/// A failure answer: one JSON-RPC error echoing `id`, a message naming the server and
/// containing `reason`, an explanation on stderr.
fn assert_refused(outcome: &Outcome, id: &Value, server: &str, reason: &str) -> String {
    let (answered_id, message) = outcome.error_answer();
    assert_eq!(answered_id, *id, "{}", outcome.context());
    assert!(
        message.contains(&format!("MCP server {server} is unavailable")),
        "{message}"
    );
    assert!(message.contains(reason), "{message:?} lacks {reason:?}");
    assert!(
        outcome
            .stderr
            .contains(&format!("mcpgen[{server}]: unavailable: ")),
        "{}",
        outcome.context()
    );
    message
}

fn remove_if_exists(path: &Path) {
    match fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => panic!("remove {}: {e}", path.display()),
    }
}

/// Forgets earlier calls and server starts, for tests that run one sandbox several times.
fn reset(sandbox: &Sandbox) {
    remove_if_exists(&sandbox.path("docker.log"));
    remove_if_exists(&sandbox.path("docker-env.log"));
    for entry in fs::read_dir(sandbox.path("records")).expect("records") {
        fs::remove_file(entry.expect("entry").path()).expect("remove record");
    }
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

// ---- 1. running ----------------------------------------------------------------------------

#[test]
fn running_container_gets_one_inspect_then_exec() {
    let sandbox = Sandbox::new();
    let bundle = sandbox.build(&fixture());
    let command = command_of("with-local");
    let input = initialize(&json!(1))
        + "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n"
        + &request(&json!("two"), "ping");
    let outcome = sandbox
        .shim(&bundle, "with-local")
        .profile("hardened")
        .send(input)
        .run();

    assert!(outcome.status.success(), "{}", outcome.context());
    assert_eq!(
        sandbox.argvs(),
        [inspect("with-local"), exec("with-local", &[], &command)]
    );
    let server = sandbox.server_run();
    assert_eq!(server.via, "container:fixture-with-local");
    assert_eq!(server.argv, command);
    // stdout is the server's protocol and nothing else: one answer per request, in order.
    let messages = outcome.messages();
    assert_eq!(messages.len(), 2, "{}", outcome.context());
    assert_eq!(messages[0]["id"], 1);
    assert_eq!(messages[0]["result"]["serverInfo"]["name"], "stand-in");
    assert_eq!(messages[1]["id"], "two");
    assert_eq!(messages[1]["error"]["code"], -32601);
    assert!(outcome.stderr.is_empty(), "{}", outcome.context());
    assert!(
        outcome.elapsed < Duration::from_secs(5),
        "{:?}",
        outcome.elapsed
    );
}

#[test]
fn shim_runs_as_the_client_configs_launch_it() {
    // The generated client configs exec the shim itself: its shebang and executable bit matter.
    let sandbox = Sandbox::new();
    let bundle = sandbox.build(&fixture());
    let outcome = sandbox
        .shim(&bundle, "no-local")
        .direct()
        .profile("dev")
        .run();
    assert_answered(&outcome, &json!(1));
    assert_eq!(
        sandbox.argvs(),
        [
            inspect("no-local"),
            exec("no-local", &[], &command_of("no-local"))
        ]
    );
}

// ---- 2. stopped / missing ----------------------------------------------------------------

#[test]
fn stopped_or_missing_container_is_started_then_exec_d() {
    for state in ["stopped", "missing"] {
        let sandbox = Sandbox::new();
        sandbox.set_state(state);
        let bundle = sandbox.build(&fixture());
        let outcome = sandbox.shim(&bundle, "no-local").run();

        assert_answered(&outcome, &json!(1));
        assert_eq!(
            sandbox.argvs(),
            [
                inspect("no-local"),
                // Under the lock: look again, start, wait until it runs.
                inspect("no-local"),
                compose_up(&bundle, "no-local"),
                inspect("no-local"),
                exec("no-local", &[], &command_of("no-local")),
            ],
            "state {state}"
        );
        assert_eq!(sandbox.state(), "running");
        assert!(
            outcome
                .stderr
                .contains("starting container fixture-no-local"),
            "{}",
            outcome.context()
        );
        // The lock lives in this user's own directory in XDG_RUNTIME_DIR; nothing is left in
        // TMPDIR.
        assert_eq!(names_in(&sandbox.path("run")), ["mcpgen"]);
        assert_eq!(
            names_in(&sandbox.path("run/mcpgen")),
            ["fixture-no-local.lock"]
        );
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &fs::metadata(sandbox.path("run/mcpgen"))
                .unwrap()
                .permissions(),
        );
        assert_eq!(mode & 0o777, 0o700);
        assert!(names_in(&sandbox.path("tmp")).is_empty());
    }
}

#[test]
fn relocated_bundle_finds_its_own_compose_file() {
    let sandbox = Sandbox::new();
    sandbox.set_state("stopped");
    let built = sandbox.build(&fixture());
    // Installed elsewhere (a path with a space), the original gone, started from another cwd.
    let target = sandbox.path("elsewhere/my bundle");
    copy_tree(&built, &target);
    fs::remove_dir_all(&built).expect("remove the original bundle");
    let moved = fs::canonicalize(&target).expect("canonical");
    let outcome = sandbox
        .shim(&moved, "no-local")
        .cwd(sandbox.path("tmp"))
        .run();

    assert_answered(&outcome, &json!(1));
    assert_eq!(sandbox.argvs()[2], compose_up(&moved, "no-local"));
}

#[test]
fn shim_started_by_a_relative_path_ignores_cdpath() {
    // With CDPATH set, `cd generated/shims` may go to a same-named directory elsewhere (and
    // print it on stdout). The shim must still find its own compose file.
    let sandbox = Sandbox::new();
    sandbox.set_state("stopped");
    let bundle = sandbox.build(&fixture());
    let decoy = sandbox.path("decoy");
    copy_tree(&bundle, &decoy.join("generated"));
    let outcome = sandbox
        .shim(&bundle, "no-local")
        .program("generated/shims/hardened_no-local.sh")
        .cwd(sandbox.path("project"))
        .env("CDPATH", &decoy)
        .run();

    assert_answered(&outcome, &json!(1));
    assert_eq!(sandbox.argvs()[2], compose_up(&bundle, "no-local"));
}

// ---- 3. many shims at once -----------------------------------------------------------------

fn twenty_at_once(sandbox: &Sandbox, bundle: &Path) {
    let runs: Vec<Run<'_>> = (0..20)
        .map(|i| {
            sandbox
                .shim(bundle, "with-local")
                .send(initialize(&json!(i)))
        })
        .collect();
    let running: Vec<Running> = runs.iter().map(Run::spawn).collect();
    let outcomes: Vec<Outcome> = running.into_iter().map(Running::wait).collect();
    sandbox.assert_no_strays();

    for (i, outcome) in outcomes.iter().enumerate() {
        assert_answered(outcome, &json!(i));
        assert!(
            outcome.elapsed < Duration::from_secs(10),
            "{:?}",
            outcome.elapsed
        );
    }
    let argvs = sandbox.argvs();
    let ups: Vec<&Vec<String>> = argvs.iter().filter(|a| a[0] == "compose").collect();
    assert_eq!(ups, [&compose_up(bundle, "with-local")]);
    let execs = argvs.iter().filter(|a| a[0] == "exec").count();
    assert_eq!(execs, 20);
    let runs = sandbox.server_runs();
    assert_eq!(runs.len(), 20);
    assert!(runs.iter().all(|r| r.via == "container:fixture-with-local"));
}

#[test]
fn twenty_shims_started_at_once_start_the_container_once() {
    let sandbox = Sandbox::new();
    sandbox.set_state("stopped");
    let bundle = sandbox.build(&fixture());
    twenty_at_once(&sandbox, &bundle);
}

#[test]
fn twenty_shims_at_once_without_flock_use_the_mkdir_lock() {
    // macOS has no flock(1); the shim falls back to an atomic mkdir. Force that branch.
    let sandbox = Sandbox::new();
    sandbox.set_state("stopped");
    let bundle = sandbox.build(&fixture());
    let shim = bundle.join("shims/hardened_with-local.sh");
    let text = fs::read_to_string(&shim).expect("read shim");
    let probe = "if command -v flock >/dev/null 2>&1; then";
    assert_eq!(text.matches(probe).count(), 1, "the flock probe moved");
    fs::write(&shim, text.replace(probe, "if false; then")).expect("write shim");
    twenty_at_once(&sandbox, &bundle);
    assert!(
        names_in(&sandbox.path("run/mcpgen")).is_empty(),
        "the mkdir lock is removed"
    );
}

// ---- 4. engine down: fallback rules -------------------------------------------------------

#[test]
fn engine_down_answers_or_falls_back_by_profile_mode_and_server() {
    let sandbox = Sandbox::new();
    let bundle = sandbox.build(&fixture());
    let home = sandbox.home();
    let not_reachable = "the container engine is not reachable";

    struct Case {
        what: &'static str,
        state: &'static str,
        server: &'static str,
        profile: Option<&'static str>,
        mode: Option<&'static str>,
        /// `None`: the local command runs; `Some(reason)`: an error answer containing it.
        refused: Option<&'static str>,
        /// The docker calls the case makes: just the inspect, or none at all.
        inspects: bool,
    }
    let cases = [
        Case {
            what: "hardened never falls back",
            state: "down",
            server: "with-local",
            profile: Some("hardened"),
            mode: None,
            refused: Some(not_reachable),
            inspects: true,
        },
        Case {
            what: "the default profile is the strict one",
            state: "down",
            server: "with-local",
            profile: None,
            mode: None,
            refused: Some(not_reachable),
            inspects: true,
        },
        Case {
            what: "an unknown profile is treated as strict",
            state: "down",
            server: "with-local",
            profile: Some("typo"),
            mode: None,
            refused: Some(not_reachable),
            inspects: true,
        },
        Case {
            what: "dev falls back to the local command",
            state: "down",
            server: "with-local",
            profile: Some("dev"),
            mode: None,
            refused: None,
            inspects: true,
        },
        Case {
            what: "dev, but the server forbids fallback",
            state: "down",
            server: "never-local",
            profile: Some("dev"),
            mode: None,
            refused: Some(not_reachable),
            inspects: true,
        },
        Case {
            what: "dev, but the server has no local command",
            state: "down",
            server: "no-local",
            profile: Some("dev"),
            mode: None,
            refused: Some(not_reachable),
            inspects: true,
        },
        Case {
            what: "MCPGEN_MODE=container forbids fallback",
            state: "down",
            server: "with-local",
            profile: Some("dev"),
            mode: Some("container"),
            refused: Some(not_reachable),
            inspects: true,
        },
        Case {
            what: "MCPGEN_MODE=auto falls back even under the strict profile",
            state: "down",
            server: "with-local",
            profile: Some("hardened"),
            mode: Some("auto"),
            refused: None,
            inspects: true,
        },
        Case {
            what: "MCPGEN_MODE=auto, but the server has no local command",
            state: "down",
            server: "no-local",
            profile: Some("dev"),
            mode: Some("auto"),
            refused: Some("not reachable (no local command is configured)"),
            inspects: true,
        },
        Case {
            what: "MCPGEN_MODE=auto, but the server forbids fallback",
            state: "down",
            server: "never-local",
            profile: Some("dev"),
            mode: Some("auto"),
            refused: Some("it never runs unsandboxed"),
            inspects: true,
        },
        Case {
            what: "MCPGEN_MODE=local skips the engine, even when it runs",
            state: "running",
            server: "with-local",
            profile: Some("hardened"),
            mode: Some("local"),
            refused: None,
            inspects: false,
        },
        Case {
            what: "MCPGEN_MODE=local without a local command",
            state: "running",
            server: "no-local",
            profile: Some("dev"),
            mode: Some("local"),
            refused: Some("MCPGEN_MODE=local (no local command is configured)"),
            inspects: false,
        },
        Case {
            what: "MCPGEN_MODE=local cannot override a server's fallback = \"none\"",
            state: "running",
            server: "never-local",
            profile: Some("dev"),
            mode: Some("local"),
            refused: Some("never runs unsandboxed"),
            inspects: false,
        },
    ];
    let ids = [
        json!(7),
        json!("an id"),
        json!(-3),
        json!("with \"quotes\", \\ and ✓"),
        json!(0),
        json!(""),
    ];
    for (n, case) in cases.iter().enumerate() {
        reset(&sandbox);
        sandbox.set_state(case.state);
        let id = &ids[n % ids.len()];
        let mut run = sandbox.shim(&bundle, case.server).send(initialize(id));
        if let Some(profile) = case.profile {
            run = run.profile(profile);
        }
        if let Some(mode) = case.mode {
            run = run.mode(mode);
        }
        let outcome = run
            .env(
                "FAKE_SERVER_REPORT_ENV",
                "FIXTURE_LOCAL_DATA FIXTURE_LOCAL_MODE",
            )
            .run();
        let what = case.what;
        let expected_calls = if case.inspects {
            vec![inspect(case.server)]
        } else {
            vec![]
        };
        assert_eq!(sandbox.argvs(), expected_calls, "{what}");
        assert!(
            outcome.elapsed < Duration::from_secs(5),
            "{what}: {:?}",
            outcome.elapsed
        );
        match case.refused {
            Some(reason) => {
                assert_refused(&outcome, id, case.server, reason);
                assert!(sandbox.server_runs().is_empty(), "{what}: nothing runs");
                if case.state == "down" {
                    assert!(
                        outcome
                            .stderr
                            .contains("Cannot connect to the Docker daemon"),
                        "{what}: stderr explains\n{}",
                        outcome.context()
                    );
                }
            }
            None => {
                assert_answered(&outcome, id);
                let server = sandbox.server_run();
                assert_eq!(server.via, "local", "{what}");
                assert_eq!(server.argv, local_args_of(case.server), "{what}");
                // local_env reaches the local command, with `~` meaning the home directory.
                assert_eq!(
                    server.env["FIXTURE_LOCAL_DATA"].as_deref(),
                    Some(expand_home("~/.fixture/data.jsonl", &home).as_str()),
                    "{what}"
                );
                assert_eq!(
                    server.env["FIXTURE_LOCAL_MODE"].as_deref(),
                    Some("plain value")
                );
                assert!(
                    outcome.stderr.contains("WARNING") && outcome.stderr.contains("UNSANDBOXED"),
                    "{what}: a loud warning\n{}",
                    outcome.context()
                );
            }
        }
    }
}

#[test]
fn invalid_mode_is_answered_with_an_error() {
    let sandbox = Sandbox::new();
    let bundle = sandbox.build(&fixture());
    // Quotes and backslashes in the echoed value must not break the JSON of the answer.
    let outcome = sandbox
        .shim(&bundle, "with-local")
        .profile("dev")
        .mode("bo\"gus\\")
        .send(initialize(&json!(42)))
        .run();
    assert_refused(
        &outcome,
        &json!(42),
        "with-local",
        "MCPGEN_MODE must be container, local or auto, not bo\"gus\\",
    );
    assert!(sandbox.argvs().is_empty());
}

#[test]
fn the_error_answer_echoes_any_request_id() {
    let sandbox = Sandbox::new();
    sandbox.set_state("down");
    let bundle = sandbox.build(&fixture());
    let cases: Vec<(String, Value)> = vec![
        (initialize(&json!(12)), json!(12)),
        (initialize(&json!(-1)), json!(-1)),
        (
            initialize(&json!(9_007_199_254_740_993_i64)),
            json!(9_007_199_254_740_993_i64),
        ),
        (initialize(&json!("s-1")), json!("s-1")),
        (initialize(&json!("")), json!("")),
        (
            initialize(&json!("a \"b\" \\c\\ 🦀")),
            json!("a \"b\" \\c\\ 🦀"),
        ),
        // Whitespace around the colon, id before the method.
        (
            "{ \"id\" : 5 , \"jsonrpc\" : \"2.0\", \"method\" : \"initialize\" }\n".into(),
            json!(5),
        ),
        // The last request of a client that hung up without a final newline.
        (
            "{\"jsonrpc\":\"2.0\",\"id\":\"no-newline\",\"method\":\"initialize\"}".into(),
            json!("no-newline"),
        ),
        // Not JSON-RPC at all: an answer with a null id.
        ("garbage\n".into(), Value::Null),
        // EOF before any request.
        (String::new(), Value::Null),
    ];
    for (input, id) in cases {
        let outcome = sandbox.shim(&bundle, "no-local").send(input.clone()).run();
        assert_refused(
            &outcome,
            &id,
            "no-local",
            "the container engine is not reachable",
        );
        assert!(
            outcome.elapsed < Duration::from_secs(5),
            "{input:?}: {:?}",
            outcome.elapsed
        );
    }
}

// ---- 5. hung engine --------------------------------------------------------------------------

#[test]
fn hung_engine_is_given_up_within_the_inspect_timeout() {
    // Dies on SIGTERM, but leaves its sleeping child holding the output it was given.
    given_up_on("hung", Duration::from_secs(4));
}

#[test]
fn engine_ignoring_sigterm_is_killed_after_a_grace_period() {
    // Only the shim's SIGKILL, 2 s after its SIGTERM, ends it.
    given_up_on("stubborn", Duration::from_secs(6));
}

fn given_up_on(state: &str, bound: Duration) {
    let sandbox = Sandbox::new();
    sandbox.set_state(state);
    let bundle = sandbox.build(&fixture());

    let outcome = sandbox
        .shim(&bundle, "with-local")
        .profile("hardened")
        .send(initialize(&json!("h")))
        .run();
    assert_refused(
        &outcome,
        &json!("h"),
        "with-local",
        "the container engine is not reachable",
    );
    assert!(
        outcome.stderr.contains("no answer within 1s"),
        "{}",
        outcome.context()
    );
    assert!(outcome.elapsed < bound, "{state}: {:?}", outcome.elapsed);
    assert_eq!(sandbox.argvs(), [inspect("with-local")]);

    reset(&sandbox);
    let outcome = sandbox
        .shim(&bundle, "with-local")
        .profile("dev")
        .send(initialize(&json!("h2")))
        .run();
    assert_answered(&outcome, &json!("h2"));
    assert_eq!(sandbox.server_run().via, "local");
    assert!(outcome.elapsed < bound, "{state}: {:?}", outcome.elapsed);
    // `run` checked that the shim left nothing behind but the fake engine's own sleeper.
    assert!(names_in(&sandbox.path("tmp")).is_empty(), "temp files left");
}

// ---- 6. a client that never sends anything -------------------------------------------------

#[test]
fn failure_path_exits_even_if_no_request_ever_arrives() {
    let sandbox = Sandbox::new();
    sandbox.set_state("down");
    let bundle = sandbox.build(&fixture());
    let outcome = sandbox
        .shim(&bundle, "no-local")
        .env("MCPGEN_ANSWER_TIMEOUT", "1")
        .input(Input::Silent)
        .run();
    assert_refused(
        &outcome,
        &Value::Null,
        "no-local",
        "the container engine is not reachable",
    );
    assert!(
        outcome.elapsed >= Duration::from_secs(1) && outcome.elapsed < Duration::from_secs(4),
        "{:?}",
        outcome.elapsed
    );
}

// ---- 7. secrets ------------------------------------------------------------------------------

/// Distinct canary values, each with characters a careless shim would mangle or expand.
const ENV_CANARY: &str = "CANARY-env-7d1f $(touch /tmp/pwned) 'q' \"dq\" `id` \\ end";
const FILE_CANARY: &str = "CANARY-file-02ab\tline two";
const COMMAND_CANARY: &str = "CANARY-cmd-9c4e\nsecond line";
const SECRETS: [&str; 3] = ["FROM_COMMAND", "FROM_ENV", "FROM_FILE"];

fn write_secret_files(sandbox: &Sandbox) {
    let dir = sandbox.home().join(".config/fixture");
    fs::create_dir_all(&dir).expect("create secrets dir");
    // Trailing newlines are dropped, as the mcp.toml reference says.
    fs::write(dir.join("file secret"), format!("{FILE_CANARY}\n")).expect("write");
    fs::write(dir.join("command-secret"), format!("{COMMAND_CANARY}\n\n")).expect("write");
}

fn canaries_in(bytes: &[u8]) -> Vec<&'static str> {
    ["CANARY-env-7d1f", "CANARY-file-02ab", "CANARY-cmd-9c4e"]
        .into_iter()
        .filter(|c| contains(bytes, c))
        .collect()
}

#[test]
fn secrets_reach_the_server_by_name_in_the_environment() {
    let sandbox = Sandbox::new();
    write_secret_files(&sandbox);
    let bundle = sandbox.build(&fixture());
    let report = "FROM_COMMAND FROM_ENV FROM_FILE FIXTURE_TOKEN";
    let outcome = sandbox
        .shim(&bundle, "secrets")
        .env("FIXTURE_TOKEN", ENV_CANARY)
        .env("FAKE_SERVER_REPORT_ENV", report)
        .run();

    assert_answered(&outcome, &json!(1));
    assert_eq!(
        sandbox.argvs(),
        [
            inspect("secrets"),
            exec("secrets", &SECRETS, &command_of("secrets"))
        ]
    );
    let expected = [
        ("FROM_COMMAND", COMMAND_CANARY),
        ("FROM_ENV", ENV_CANARY),
        ("FROM_FILE", FILE_CANARY),
    ];
    let exec_env = &sandbox.exec_envs()[0];
    let server = sandbox.server_run();
    for (name, value) in expected {
        assert_eq!(
            exec_env[name].as_deref(),
            Some(value),
            "{name} at docker exec"
        );
        assert_eq!(
            server.env[name].as_deref(),
            Some(value),
            "{name} in the server"
        );
    }
    // Only the secrets cross into the container, not the variable they were read from.
    assert_eq!(server.env["FIXTURE_TOKEN"], None);
    assert!(canaries_in(&sandbox.argv_log()).is_empty());
    assert!(canaries_in(outcome.stdout.as_bytes()).is_empty());
    assert!(canaries_in(outcome.stderr.as_bytes()).is_empty());

    // The local fallback gets them the same way.
    reset(&sandbox);
    sandbox.set_state("down");
    let outcome = sandbox
        .shim(&bundle, "secrets")
        .profile("dev")
        .env("FIXTURE_TOKEN", ENV_CANARY)
        .env("FAKE_SERVER_REPORT_ENV", report)
        .run();
    assert_answered(&outcome, &json!(1));
    let server = sandbox.server_run();
    assert_eq!(server.via, "local");
    assert_eq!(server.argv, local_args_of("secrets"));
    for (name, value) in expected {
        assert_eq!(server.env[name].as_deref(), Some(value), "{name} locally");
    }
}

#[test]
fn a_missing_secret_is_named_and_no_value_is_shown() {
    let sandbox = Sandbox::new();
    let bundle = sandbox.build(&fixture());
    let cases: [(&str, &str, &str); 4] = [
        (
            "env unset",
            "FROM_ENV",
            "environment variable FIXTURE_TOKEN is not set",
        ),
        ("file missing", "FROM_FILE", "cannot read"),
        ("file empty", "FROM_FILE", "is empty"),
        ("command fails", "FROM_COMMAND", "command cat failed"),
    ];
    for (what, secret, reason) in cases {
        reset(&sandbox);
        write_secret_files(&sandbox);
        let secrets_dir = sandbox.home().join(".config/fixture");
        let mut run = sandbox
            .shim(&bundle, "secrets")
            .env("FIXTURE_TOKEN", ENV_CANARY);
        match what {
            "env unset" => run = run.unset("FIXTURE_TOKEN"),
            "file missing" => fs::remove_file(secrets_dir.join("file secret")).expect("rm"),
            "file empty" => fs::write(secrets_dir.join("file secret"), "").expect("write"),
            _ => fs::remove_file(secrets_dir.join("command-secret")).expect("rm"),
        }
        let outcome = run.run();
        let message = assert_refused(
            &outcome,
            &json!(1),
            "secrets",
            &format!("secret {secret}: "),
        );
        assert!(message.contains(reason), "{what}: {message}");
        // Resolved once the container is up, and nothing entered it without its secrets.
        assert!(
            sandbox.argvs().iter().all(|argv| argv[0] != "exec"),
            "{what}: {:?}",
            sandbox.argvs()
        );
        let shown = format!("{}{}", outcome.stdout, outcome.stderr);
        assert!(canaries_in(shown.as_bytes()).is_empty(), "{what}: {shown}");
    }
}

#[test]
fn canary_secrets_are_written_nowhere() {
    let sandbox = Sandbox::new();
    write_secret_files(&sandbox);
    // Even with the values in the environment of `mcpgen build` itself.
    let bundle = sandbox.build_with(&fixture(), &[("FIXTURE_TOKEN", ENV_CANARY)]);
    let mut shown = Vec::new();
    for (state, profile) in [
        ("running", "hardened"),
        ("stopped", "hardened"),
        ("down", "dev"),
    ] {
        sandbox.set_state(state);
        let outcome = sandbox
            .shim(&bundle, "secrets")
            .profile(profile)
            .env("FIXTURE_TOKEN", ENV_CANARY)
            .run();
        assert_answered(&outcome, &json!(1));
        shown.extend_from_slice(outcome.stdout.as_bytes());
        shown.extend_from_slice(outcome.stderr.as_bytes());
    }
    for file in files_under(sandbox.path("project").as_path()) {
        let bytes = fs::read(&file).expect("read");
        assert!(canaries_in(&bytes).is_empty(), "{}", file.display());
    }
    assert!(canaries_in(&sandbox.argv_log()).is_empty(), "argv log");
    // `compose up` (the stopped case) ran with none of them in its environment.
    let compose_env = fs::read(sandbox.path("compose-env.log")).unwrap();
    assert!(!compose_env.is_empty(), "compose never ran");
    assert!(
        canaries_in(&compose_env).is_empty(),
        "compose's environment"
    );
    for run in sandbox.server_runs() {
        assert!(canaries_in(run.argv.join("\0").as_bytes()).is_empty());
    }
    assert!(canaries_in(&shown).is_empty(), "stdout/stderr");
    assert!(names_in(&sandbox.path("tmp")).is_empty(), "temp files left");
    // The values did travel: by environment, to every docker exec.
    let envs = sandbox.exec_envs();
    assert!(!envs.is_empty());
    for env in envs {
        assert_eq!(env["FROM_ENV"].as_deref(), Some(ENV_CANARY));
    }
}

// ---- 8. argv survives quoting byte for byte --------------------------------------------------

#[test]
fn awkward_argv_reaches_the_server_byte_for_byte() {
    let sandbox = Sandbox::new();
    let bundle = sandbox.build(&fixture());
    let command = command_of("awkward");
    let outcome = sandbox.shim(&bundle, "awkward").run();
    assert_answered(&outcome, &json!(1));
    assert_eq!(
        sandbox.argvs(),
        [inspect("awkward"), exec("awkward", &[], &command)]
    );
    assert_eq!(sandbox.server_run().argv, command);
}

/// Pieces of words that shells, TOML or shellcheck treat specially.
const PIECES: &[&str] = &[
    "a", "Z", "9", " ", "'", "\"", "$", "$HOME", "${x}", "$(id)", "`", "{", "}", "{a,b}", "*", "?",
    "[", "]", "\\", "\n", "\t", "\r", "-", "--", "~", "~/", "!", "#", ";", "&", "|", "<", ">", "(",
    ")", "=", "%", ",", ":", "@", "^", "ü", "✓", "🦀", "\u{2018}", "\u{201c}", "\u{a0}",
    "\u{2013}", "\u{1}", "\u{1b}", "\u{7f}",
];

fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::collection::vec(prop::sample::select(PIECES), 0..6).prop_map(|p| p.concat()),
        1 => "[^\u{0}]{0,6}",
    ]
}

fn argv() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(word(), 1..6)
}

/// A modest number of cases, so the suite stays fast; failures are kept beside this file.
fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..ProptestConfig::default()
    }
}

fn set_strings(table: &mut toml::Table, server: &str, key: &str, words: &[String]) {
    let server = table["servers"][server]
        .as_table_mut()
        .expect("server table");
    server.insert(
        key.to_string(),
        toml::Value::Array(words.iter().cloned().map(toml::Value::String).collect()),
    );
}

proptest! {
    #![proptest_config(config(32))]

    #[test]
    fn any_argv_survives_the_shim(command in argv(), local in argv(), value in word()) {
        let sandbox = Sandbox::new();
        let mut table = fixture_table();
        set_strings(&mut table, "awkward", "command", &command);
        let mut local_argv = vec![STAND_IN.to_string()];
        local_argv.extend(local.iter().cloned());
        set_strings(&mut table, "with-local", "local", &local_argv);
        table["servers"]["with-local"]["local_env"]
            .as_table_mut()
            .expect("local_env")
            .insert("FIXTURE_LOCAL_MODE".into(), toml::Value::String(value.clone()));
        let bundle = sandbox.build(&toml::to_string(&table).expect("serialize"));

        let outcome = sandbox.shim(&bundle, "awkward").run();
        assert_answered(&outcome, &json!(1));
        prop_assert_eq!(sandbox.argvs(), vec![inspect("awkward"), exec("awkward", &[], &command)]);
        prop_assert_eq!(sandbox.server_run().argv, command);

        // The local command: the same, with `~` expanded where it leads a word.
        reset(&sandbox);
        let outcome = sandbox
            .shim(&bundle, "with-local")
            .mode("local")
            .env("FAKE_SERVER_REPORT_ENV", "FIXTURE_LOCAL_MODE")
            .run();
        assert_answered(&outcome, &json!(1));
        let home = sandbox.home();
        let server = sandbox.server_run();
        let expected: Vec<String> = local.iter().map(|w| expand_home(w, &home)).collect();
        prop_assert_eq!(server.argv, expected);
        let expected_value = expand_home(&value, &home);
        prop_assert_eq!(
            server.env["FIXTURE_LOCAL_MODE"].as_deref(),
            Some(expected_value.as_str())
        );
    }
}

/// A server with `argv` in every place the shim quotes words from mcp.toml.
#[cfg(feature = "tool-tests")]
fn quoting_everywhere(argv: &[String]) -> toml::Value {
    // A file path or variable name must not be empty.
    let first = if argv[0].is_empty() { "f" } else { &argv[0] };
    toml::Value::try_from(json!({
        "image": "example/any:1",
        "command": argv,
        "local": argv,
        "local_env": {"VALUE": argv[0]},
        "secrets": {
            "BY_COMMAND": {"command": argv},
            "BY_FILE": {"file": first},
            "BY_ENV": {"env": first},
        },
    }))
    .expect("a TOML table")
}

#[cfg(feature = "tool-tests")]
proptest! {
    #![proptest_config(config(4))]

    /// Shellcheck has opinions about what is inside quotes (a `$` in single quotes, a leading
    /// `~`, Unicode quotes, a bare `]`): no word from mcp.toml may draw a finding.
    #[test]
    fn shellcheck_is_clean_whatever_the_words(words in prop::collection::vec(argv(), 4)) {
        let sandbox = Sandbox::new();
        let mut table = fixture_table();
        let servers = table["servers"].as_table_mut().expect("servers");
        for (i, argv) in words.iter().enumerate() {
            servers.insert(format!("any{i}"), quoting_everywhere(argv));
        }
        let bundle = sandbox.build(&toml::to_string(&table).expect("serialize"));
        let shims: Vec<PathBuf> = (0..words.len())
            .map(|i| bundle.join(format!("shims/hardened_any{i}.sh")))
            .collect();
        let findings = shellcheck(&shims);
        prop_assert!(findings.is_empty(), "{}", findings);
    }
}

#[test]
fn a_nul_in_an_argv_is_refused_at_its_value_and_nothing_is_written() {
    let places: [(&str, &str, &str); 4] = [
        ("with-local", "command", "command"),
        ("with-local", "local", "local"),
        ("awkward", "command", "command"),
        ("secrets", "secrets.FROM_COMMAND.command", "secret command"),
    ];
    for (server, key, what) in places {
        let sandbox = Sandbox::new();
        let mut table = fixture_table();
        let words = vec!["ok".to_string(), "bad\0value".to_string()];
        if let Some(rest) = key.strip_prefix("secrets.") {
            let (secret, field) = rest.split_once('.').expect("secret.field");
            table["servers"][server]["secrets"][secret]
                .as_table_mut()
                .expect("secret")
                .insert(
                    field.to_string(),
                    toml::Value::Array(words.iter().cloned().map(toml::Value::String).collect()),
                );
        } else {
            set_strings(&mut table, server, key, &words);
        }
        let text = toml::to_string(&table).expect("serialize");
        let line = text
            .lines()
            .position(|l| l.contains("\\u0000"))
            .expect("TOML encodes the NUL as \\u0000")
            + 1;
        fs::write(sandbox.path("project/mcp.toml"), &text).expect("write");
        // The diagnostic points at the NUL's line.
        sandbox
            .mcpgen()
            .arg("build")
            .status(2)
            .stderr_contains(&format!("mcp.toml:{line}:"))
            .stderr_contains("NUL")
            .stderr_contains("bad\\0value")
            .run();
        assert_eq!(
            names_in(&sandbox.path("project")),
            ["mcp.toml"],
            "{what}: nothing written"
        );
    }
}

// ---- 9. shellcheck ---------------------------------------------------------------------------

#[cfg(feature = "tool-tests")]
#[test]
fn every_generated_shim_passes_shellcheck() {
    let bundled = Sandbox::new();
    let repo_config = concat!(env!("CARGO_MANIFEST_DIR"), "/mcp.toml");
    let bundle = bundled.build(&fs::read_to_string(repo_config).expect("read mcp.toml"));
    let fixture_box = Sandbox::new();
    let fixture_bundle = fixture_box.build(&fixture());

    let mut files = Vec::new();
    for dir in [&bundle, &fixture_bundle] {
        let shims = files_under(&dir.join("shims"));
        assert!(shims.len() >= 4, "{}: {shims:?}", dir.display());
        files.extend(shims);
    }
    // The test's own scripts are held to the same bar.
    files.push(PathBuf::from(FAKE_DOCKER));
    files.push(PathBuf::from(STAND_IN));
    let findings = shellcheck(&files);
    assert!(findings.is_empty(), "shellcheck findings:\n{findings}");
}

/// A stand-in keeper that records its argv (NUL-separated) and runs the command after `--`,
/// as the real one does.
fn recording_keeper(bundle: &Path, record: &Path) {
    let script = format!(
        "#!/usr/bin/env bash\n[ \"$1\" != --version ] || exit 0\nprintf '%s\\0' \"$@\" >{}\nwhile [ \"$1\" != -- ]; do shift; done\nshift\nMCPGEN_KEPT=1 exec \"$@\"\n",
        record.display()
    );
    let keeper = bundle.join("bin/mcpgen-keeper");
    fs::write(&keeper, script).unwrap();
}

fn hello(sandbox: &Sandbox, bundle: &Path, env: &[(&str, &str)]) -> Outcome {
    let mut run = sandbox
        .shim(bundle, "with-local")
        .profile("hardened")
        .send(initialize(&json!(1)));
    for (name, value) in env {
        run = run.env(name, *value);
    }
    let outcome = run.run();
    assert!(outcome.status.success(), "{}", outcome.context());
    assert_answered(&outcome, &json!(1));
    outcome
}

#[test]
fn the_shim_hands_the_session_to_the_keeper_which_runs_the_shim_again() {
    let sandbox = Sandbox::new();
    let bundle = sandbox.build(&fixture());
    let record = sandbox.path("keeper-argv");
    recording_keeper(&bundle, &record);
    let outcome = hello(&sandbox, &bundle, &[]);
    assert!(outcome.stderr.is_empty(), "{}", outcome.context());
    let argv = fs::read(&record).unwrap();
    let argv: Vec<String> = argv
        .split(|b| *b == 0)
        .filter(|a| !a.is_empty())
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    assert_eq!(argv[..3], ["--server", "with-local", "--"]);
    assert!(argv[3].ends_with("bash"), "{argv:?}");
    assert_eq!(
        Path::new(&argv[4]),
        bundle.join("shims/hardened_with-local.sh")
    );
    // The kept shim ran the server itself: one inspect, one exec.
    assert_eq!(sandbox.argvs().len(), 2, "{:?}", sandbox.argvs());
}

#[test]
fn keeper_off_runs_the_server_directly() {
    let sandbox = Sandbox::new();
    let bundle = sandbox.build(&fixture());
    let record = sandbox.path("keeper-argv");
    recording_keeper(&bundle, &record);
    let outcome = hello(&sandbox, &bundle, &[("MCPGEN_KEEPER", "off")]);
    assert!(outcome.stderr.is_empty(), "{}", outcome.context());
    assert!(
        !record.exists(),
        "the keeper ran although MCPGEN_KEEPER=off"
    );
}

#[test]
fn without_a_keeper_the_shim_warns_and_runs_the_server_directly() {
    let sandbox = Sandbox::new();
    let bundle = sandbox.build(&fixture());
    fs::remove_file(bundle.join("bin/mcpgen-keeper")).unwrap();
    let outcome = hello(&sandbox, &bundle, &[]);
    assert!(
        outcome.stderr.contains("WARNING: no session keeper"),
        "{}",
        outcome.context()
    );
}

#[test]
fn a_keeper_that_cannot_run_here_is_passed_over_with_a_warning() {
    let sandbox = Sandbox::new();
    let bundle = sandbox.build(&fixture());
    // A binary for another OS or CPU: the exec fails, the shim goes on without it.
    fs::write(
        bundle.join("bin/mcpgen-keeper"),
        b"\xcf\xfa\xed\xfe\x0c\x00\x00\x01\x00\x00\x00\x00\x02\x00\x00\x00",
    )
    .unwrap();
    let outcome = hello(&sandbox, &bundle, &[]);
    assert!(
        outcome.stderr.contains("cannot run here"),
        "{}",
        outcome.context()
    );
}

#[test]
fn a_container_squatting_the_name_is_never_entered_nor_given_secrets() {
    let sandbox = Sandbox::new();
    write_secret_files(&sandbox);
    let bundle = sandbox.build(&fixture());
    for state in ["running", "stopped"] {
        reset(&sandbox);
        sandbox.set_state(state);
        let outcome = sandbox
            .shim(&bundle, "secrets")
            .env("FIXTURE_TOKEN", ENV_CANARY)
            .env("FAKE_DOCKER_FOREIGN", "1")
            .run();
        let message = assert_refused(&outcome, &json!(1), "secrets", "not this stack's");
        assert!(message.contains("fixture-secrets"), "{message}");
        // One inspect, and nothing else: not started, not entered.
        assert_eq!(sandbox.argvs(), [inspect("secrets")], "{state}");
        assert!(
            outcome
                .stderr
                .contains("is not this stack's secrets server"),
            "{}",
            outcome.context()
        );
        let shown = format!("{}{}", outcome.stdout, outcome.stderr);
        assert!(canaries_in(shown.as_bytes()).is_empty(), "{shown}");
    }
}

#[test]
fn a_lock_directory_planted_as_a_link_is_refused() {
    let sandbox = Sandbox::new();
    sandbox.set_state("stopped");
    let bundle = sandbox.build(&fixture());
    // Someone points this user's lock directory elsewhere before the first start.
    fs::create_dir_all(sandbox.path("run")).unwrap();
    fs::create_dir_all(sandbox.path("elsewhere")).unwrap();
    std::os::unix::fs::symlink(sandbox.path("elsewhere"), sandbox.path("run/mcpgen")).unwrap();
    let outcome = sandbox.shim(&bundle, "no-local").profile("hardened").run();
    assert_refused(&outcome, &json!(1), "no-local", "could not be started");
    assert!(
        outcome.stderr.contains("is not this user's own"),
        "{}",
        outcome.context()
    );
    assert!(names_in(&sandbox.path("elsewhere")).is_empty());
    assert_eq!(sandbox.state(), "stopped");
}

/// Another local user who makes this user's lock directory first (to hold the lock and block
/// every start, or to read what is put there) is refused. Making a directory owned by another
/// uid takes root: this is the `tool-tests` tier, which scripts/test runs as root, and it fails
/// when it cannot set the scene.
#[cfg(feature = "tool-tests")]
#[test]
fn a_lock_directory_made_by_another_user_is_refused() {
    assert!(
        rustix::process::geteuid().is_root(),
        "this test makes a directory owned by another user: run it as root (scripts/test does)"
    );
    let sandbox = Sandbox::new();
    sandbox.set_state("stopped");
    let bundle = sandbox.build(&fixture());
    let theirs = sandbox.path("run/mcpgen");
    fs::create_dir_all(&theirs).unwrap();
    rustix::fs::chown(
        &theirs,
        Some(rustix::fs::Uid::from_raw(65534)),
        Some(rustix::fs::Gid::from_raw(65534)),
    )
    .unwrap();
    let outcome = sandbox.shim(&bundle, "no-local").profile("hardened").run();
    assert_refused(&outcome, &json!(1), "no-local", "could not be started");
    assert!(
        outcome.stderr.contains("is not this user's own"),
        "{}",
        outcome.context()
    );
    assert_eq!(sandbox.state(), "stopped", "the start went ahead");
}
