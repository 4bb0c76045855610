//! `mcpgen probe`: run each server's shim from `generated/` as a client would, do the MCP
//! handshake and `tools/list`, and report the path taken, the latency and the tool count.

use std::ffi::OsString;
use std::io::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use super::{Cli, Ui};
use crate::diag::Diagnostic;
use crate::error::{EXIT_BAD_INPUT, EXIT_FINDINGS, Error};
use crate::model::units::parse_duration;
use crate::model::{SecretSource, Server};
use crate::render::shim;
use crate::runtime::probe::{self, Options, Report, Target};

/// The PATH clients give the servers they start: short, without the user's shell setup.
const CLIENT_PATH: &str = "/usr/bin:/bin";

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
}

pub(super) fn run(cli: &Cli, args: &Args, ui: &mut Ui) -> Result<i32, Error> {
    let config = cli.load(ui)?;
    let stack = &config.stack;
    let profile = match &args.profile {
        Some(name) if !stack.profiles.iter().any(|p| &p.name == name) => {
            return bad_input(ui, format!("no profile `{name}` in mcp.toml"), || {
                names(stack.profiles.iter().map(|p| p.name.as_str()))
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
                    return bad_input(ui, format!("no server `{name}` in mcp.toml"), || {
                        names(stack.servers.iter().map(|s| s.name.as_str()))
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
    match args.format {
        Format::Json => print_json(&reports, &profile),
        Format::Human => print_human(&reports, ui),
    }
    Ok(if reports.iter().all(Report::ok) {
        0
    } else {
        EXIT_FINDINGS
    })
}

fn names<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let names: Vec<String> = names.map(|n| format!("`{n}`")).collect();
    format!("mcp.toml has: {}", names.join(", "))
}

fn bad_input(ui: &Ui, message: String, help: impl FnOnce() -> String) -> Result<i32, Error> {
    ui.diagnostics(&[Diagnostic::error(message).with_help(help())]);
    Ok(EXIT_BAD_INPUT)
}

/// The shim, started the way a client starts it: by its absolute path, in `/`, with only the
/// environment a client passes on.
fn target(server: &Server, profile: &str, shim: PathBuf) -> Target {
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
    Target {
        server: server.name.clone(),
        program: shim,
        args: Vec::new(),
        env,
        current_dir: PathBuf::from("/"),
    }
}

fn print_json(reports: &[Report], profile: &str) {
    let failed = reports.iter().filter(|r| !r.ok()).count();
    let value = serde_json::json!({
        "profile": profile,
        "failed": failed,
        "servers": reports,
    });
    let text = serde_json::to_string_pretty(&value).unwrap_or_default();
    let _ = writeln!(std::io::stdout(), "{text}");
}

fn print_human(reports: &[Report], ui: &Ui) {
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
    for report in reports {
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
