//! `mcpgen probe`: run each server's shim from `generated/` as a client would, do the MCP
//! handshake and `tools/list`, and report the path taken, the latency and the tool count.

use std::ffi::OsString;
use std::io::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use super::{Cli, Ui};
use crate::doctor::{self, DockerCli, ImageFacts};
use crate::error::{EXIT_FINDINGS, Error};
use crate::model::units::parse_duration;
use crate::model::{SecretSource, Server};
use crate::render::shim;
use crate::runtime::probe::{self, Options, Report, Target};

/// The PATH clients give the servers they start: short, without the user's shell setup.
const CLIENT_PATH: &str = "/usr/bin:/bin";

/// What a shim appends to its PATH to find `docker` (`templates/shim.sh.j2`; a test keeps the
/// two in step): the image lookup after a failure finds the CLI the shim ran.
const SHIM_PATH_TAIL: &str = "/usr/local/bin:/opt/homebrew/bin:/usr/bin:/bin:/Applications/Docker.app/Contents/Resources/bin";

/// Variables an MCP client passes on from its own environment (the official SDKs' list).
const CLIENT_ENV: [&str; 5] = ["HOME", "USER", "LOGNAME", "SHELL", "TERM"];

/// Where the engine is and where the shims keep their start locks: a client started from this
/// shell sees the same values, and a probe that ignored them would test another engine.
const ENGINE_ENV: [&str; 5] = [
    "DOCKER_HOST",
    "DOCKER_CONTEXT",
    "DOCKER_CONFIG",
    "XDG_RUNTIME_DIR",
    "TMPDIR",
];

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Format {
    Human,
    Json,
}

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// Servers to probe [default: every server in mcp.toml]
    #[arg(value_name = "SERVER")]
    servers: Vec<String>,
    /// The profile the shims run under (sets MCPGEN_PROFILE) [default: the strict profile]
    #[arg(long, value_name = "PROFILE")]
    profile: Option<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Bound on each server's probe: start, handshake and tools/list
    #[arg(long, value_name = "DURATION", default_value = "20s", value_parser = parse_duration)]
    timeout: Duration,
    /// The Docker-compatible CLI that looks up the image of a server that exits at once (in the
    /// environment the shims get; they themselves run `docker`)
    #[arg(
        long,
        value_name = "PROGRAM",
        default_value = "docker",
        env = "MCPGEN_DOCKER"
    )]
    docker: String,
}

pub(super) fn run(cli: &Cli, args: &Args, ui: &mut Ui) -> Result<i32, Error> {
    let config = cli.load(ui)?;
    let stack = &config.stack;
    let profile = match &args.profile {
        Some(name) if !stack.profiles.iter().any(|p| &p.name == name) => {
            return Err(Error::NotInConfig {
                what: "profile",
                name: name.clone(),
                known: stack.profiles.iter().map(|p| p.name.clone()).collect(),
            });
        }
        Some(name) => name.clone(),
        None => stack.strict_profile().name.clone(),
    };
    let servers: Vec<&Server> = if args.servers.is_empty() {
        stack.servers.iter().collect()
    } else {
        let mut chosen = Vec::new();
        for name in &args.servers {
            match stack.servers.iter().find(|s| &s.name == name) {
                Some(server) => chosen.push(server),
                None => {
                    return Err(Error::NotInConfig {
                        what: "server",
                        name: name.clone(),
                        known: stack.servers.iter().map(|s| s.name.clone()).collect(),
                    });
                }
            }
        }
        chosen
    };
    let out_dir = std::path::absolute(config.out_dir())
        .map_err(Error::io("resolve the output directory", config.out_dir()))?;
    let options = Options {
        timeout: args.timeout,
    };
    // A missing shim is reported like any failed server, without starting anything.
    let mut reports: Vec<Option<Report>> = Vec::new();
    let mut targets = Vec::new();
    for server in &servers {
        let path = out_dir.join(shim::bundle_path(&server.name));
        if path.is_file() {
            targets.push(target(server, &profile, path));
            reports.push(None);
        } else {
            reports.push(Some(Report::failed(
                &server.name,
                &format!("no shim at `{}`: run `mcpgen build` first", path.display()),
            )));
        }
    }
    ui.detail(format!(
        "probing {} server(s) under profile `{profile}`",
        targets.len()
    ));
    let mut probed = probe::probe_all(&targets, options).into_iter();
    let reports: Vec<Report> = reports
        .into_iter()
        .filter_map(|slot| slot.or_else(|| probed.next()))
        .collect();
    let hints = image_hints(&servers, &reports, &profile, &args.docker);
    match args.format {
        Format::Json => print_json(&reports, &hints, &profile),
        Format::Human => print_human(&reports, &hints, ui),
    }
    Ok(if reports.iter().all(Report::ok) {
        0
    } else {
        EXIT_FINDINGS
    })
}

/// The shim, started the way a client starts it: by its absolute path, in `/`, with only the
/// environment a client passes on.
fn target(server: &Server, profile: &str, shim: PathBuf) -> Target {
    Target {
        server: server.name.clone(),
        program: shim,
        args: Vec::new(),
        env: client_env(server, profile),
        current_dir: PathBuf::from("/"),
    }
}

/// The environment a client gives the server's shim.
fn client_env(server: &Server, profile: &str) -> Vec<(OsString, OsString)> {
    let mut env: Vec<(OsString, OsString)> = vec![
        ("PATH".into(), CLIENT_PATH.into()),
        ("MCPGEN_PROFILE".into(), profile.into()),
    ];
    let secret_vars = server.secrets.iter().filter_map(|s| match &s.source {
        SecretSource::Env(var) => Some(var.as_str()),
        _ => None,
    });
    let passed = CLIENT_ENV
        .iter()
        .chain(ENGINE_ENV.iter())
        .copied()
        .chain(secret_vars);
    for name in passed {
        if let Some(value) = std::env::var_os(name) {
            env.push((name.into(), value));
        }
    }
    // The shim's own knobs (MCPGEN_MODE, MCPGEN_*_TIMEOUT), when the user set them.
    for (name, value) in std::env::vars_os() {
        let is_knob = name.to_str().is_some_and(|n| {
            n.starts_with("MCPGEN_") && n != "MCPGEN_PROFILE" && n != "MCPGEN_CONFIG"
        });
        if is_knob {
            env.push((name, value));
        }
    }
    env
}

/// For a server that exited at once in its container: what mcp.toml runs beside what the
/// image itself would run, so the user can fix `command`.
struct ImageHint {
    command: Vec<String>,
    image: String,
    facts: Result<ImageFacts, String>,
    suggestion: Option<String>,
}

impl ImageHint {
    /// `mcp.toml runs `…` in `image`; the image's own ENTRYPOINT … CMD … WORKDIR …`.
    fn facts_line(&self) -> String {
        let runs = format!(
            "mcp.toml runs `{}` in `{}`",
            doctor::command_line(&self.command),
            self.image
        );
        match &self.facts {
            Ok(facts) => format!("{runs}; the image's own {}", facts.describe()),
            Err(why) => format!("{runs}; the image could not be inspected: {why}"),
        }
    }

    fn json(&self) -> serde_json::Value {
        match &self.facts {
            Ok(facts) => serde_json::json!({
                "name": self.image,
                "entrypoint": facts.entrypoint,
                "cmd": facts.cmd,
                "workdir": facts.workdir,
                "user": facts.user,
            }),
            Err(why) => serde_json::json!({"name": self.image, "error": why}),
        }
    }
}

/// Whether the probe failed because the server's command did not run in its container: the
/// session gate could not start it, or it exited before answering. (Not when the shim ran
/// the local command, nor when the shim itself could not start.)
fn exited_at_once(report: &Report) -> bool {
    if report.ok() || report.stderr.contains(probe::LOCAL_MARKER) {
        return false;
    }
    let error = report.error.as_deref().unwrap_or_default();
    error.starts_with("the server exited during")
        || (error.contains("cannot start `") && error.contains("in its container"))
}

/// Looks up, at once, the image of each server that exited at once: `docker image inspect` in
/// the environment its shim got, bounded like the shims' own engine calls.
fn image_hints(
    servers: &[&Server],
    reports: &[Report],
    profile: &str,
    docker: &str,
) -> Vec<Option<ImageHint>> {
    let timeout = doctor::engine_timeout();
    std::thread::scope(|scope| {
        let looking: Vec<_> = servers
            .iter()
            .zip(reports)
            .map(|(server, report)| {
                exited_at_once(report).then(|| {
                    scope.spawn(move || {
                        let mut env = client_env(server, profile);
                        for (name, value) in &mut env {
                            if name == "PATH" {
                                let mut path = value.clone();
                                path.push(":");
                                path.push(SHIM_PATH_TAIL);
                                *value = path;
                            }
                        }
                        let cli = DockerCli::with_env(docker, env, timeout);
                        let facts = doctor::inspect_image(&cli, &server.image);
                        ImageHint {
                            command: server.command.clone(),
                            image: server.image.clone(),
                            suggestion: facts
                                .as_ref()
                                .ok()
                                .map(|facts| doctor::suggestion(server, facts)),
                            facts,
                        }
                    })
                })
            })
            .collect();
        looking
            .into_iter()
            .map(|thread| thread.and_then(|t| t.join().ok()))
            .collect()
    })
}

fn print_json(reports: &[Report], hints: &[Option<ImageHint>], profile: &str) {
    let failed = reports.iter().filter(|r| !r.ok()).count();
    let servers: Vec<serde_json::Value> = reports
        .iter()
        .zip(hints)
        .map(|(report, hint)| {
            let mut value = serde_json::to_value(report).unwrap_or_default();
            if let (Some(hint), Some(object)) = (hint, value.as_object_mut()) {
                object.insert("command".to_string(), hint.command.clone().into());
                object.insert("image".to_string(), hint.json());
                if let Some(suggestion) = &hint.suggestion {
                    object.insert("hint".to_string(), suggestion.clone().into());
                }
            }
            value
        })
        .collect();
    let value = serde_json::json!({
        "profile": profile,
        "failed": failed,
        "servers": servers,
    });
    let text = serde_json::to_string_pretty(&value).unwrap_or_default();
    let _ = writeln!(std::io::stdout(), "{text}");
}

fn print_human(reports: &[Report], hints: &[Option<ImageHint>], ui: &Ui) {
    let width = reports
        .iter()
        .map(|r| r.server.len())
        .max()
        .unwrap_or(0)
        .max("server".len());
    let mut out = anstream::stdout();
    let _ = writeln!(
        out,
        "{:<width$}  {:<9}  {:<10}  {:>8}  {:>5}",
        "server", "path", "protocol", "latency", "tools"
    );
    for (report, hint) in reports.iter().zip(hints) {
        let style = match report.path {
            probe::PathTaken::Container => anstyle::Style::new(),
            probe::PathTaken::Local => anstyle::AnsiColor::Yellow.on_default(),
            probe::PathTaken::Failed => anstyle::AnsiColor::Red.on_default().bold(),
        };
        let _ = writeln!(
            out,
            "{:<width$}  {style}{:<9}{style:#}  {:<10}  {:>5} ms  {:>5}",
            report.server,
            report.path.as_str(),
            report.protocol_version.as_deref().unwrap_or("-"),
            report.latency_ms,
            report
                .tools
                .map_or_else(|| "-".to_string(), |n| n.to_string()),
        );
        if let Some(error) = &report.error {
            let _ = writeln!(out, "{:<width$}  {style}{error}{style:#}", "");
        }
        if let Some(hint) = hint {
            let _ = writeln!(out, "{:<width$}  {}", "", hint.facts_line());
            if let Some(suggestion) = &hint.suggestion {
                let _ = writeln!(out, "{:<width$}  hint: {suggestion}", "");
            }
        }
    }
    let failed = reports.iter().filter(|r| !r.ok()).count();
    for report in reports
        .iter()
        .filter(|r| !r.ok() && !r.stderr.trim().is_empty())
    {
        ui.detail(format!(
            "--- stderr of {}:\n{}",
            report.server,
            report.stderr.trim_end()
        ));
    }
    if failed > 0 {
        ui.status(format!(
            "{failed} of {} server(s) failed (`--verbose` shows their stderr)",
            reports.len()
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(error: &str, stderr: &str) -> Report {
        let mut report = Report::failed("shell", error);
        report.stderr = stderr.to_string();
        report
    }

    #[test]
    fn only_a_command_that_did_not_run_in_its_container_gets_the_images_facts() {
        for error in [
            "the server exited during `initialize` (its stderr: Error: Cannot find module '/app/dist/index.js')",
            "mcpgen: MCP server shell cannot start `nodex` in its container: No such file or directory (os error 2)",
        ] {
            assert!(exited_at_once(&failed(error, "")), "{error}");
        }
        for error in [
            "mcpgen: MCP server shell is unavailable: the container engine is not reachable",
            "cannot start the server: `/x/shims/shell.sh`: Permission denied (os error 13)",
            "no answer within 20s (waiting for `initialize`)",
        ] {
            assert!(!exited_at_once(&failed(error, "")), "{error}");
        }
        let local = failed(
            "the server exited during `initialize`",
            "mcpgen[shell]: WARNING: engine down; running shell UNSANDBOXED",
        );
        assert!(!exited_at_once(&local));
    }

    #[test]
    fn the_lookup_searches_the_path_the_shim_searches() {
        let template = include_str!("../../templates/shim.sh.j2");
        assert!(
            template.contains(&format!(
                "PATH=\"${{PATH:-{CLIENT_PATH}}}:{SHIM_PATH_TAIL}\""
            )),
            "the shim's PATH changed: update SHIM_PATH_TAIL"
        );
    }
}
