//! `mcpgen doctor`: is everything in place for the clients to start hardened servers? One check
//! per line, each failure with the command that fixes it.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::Compiled;
use crate::config::Config;
use crate::install::paths::{Env, Format, Location};
use crate::install::{bundle, merge_json, merge_toml, ownership, paths};
use crate::render::clients;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    Fail,
    /// Not applicable here (a client not installed on this machine).
    Skip,
}

#[derive(Debug, Clone)]
pub struct Check {
    pub status: Status,
    pub name: String,
    pub message: String,
    pub fix: Option<String>,
}

impl Check {
    fn ok(name: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            status: Status::Ok,
            name: name.into(),
            message: message.into(),
            fix: None,
        }
    }

    fn fail(name: impl Into<String>, message: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            status: Status::Fail,
            name: name.into(),
            message: message.into(),
            fix: Some(fix.into()),
        }
    }
}

/// Every wait on the engine is bounded: a hung daemon is a failed check, not a hung doctor.
/// The same bound as the shims' `docker inspect` (`MCPGEN_INSPECT_TIMEOUT`), default 10 s here.
fn engine_timeout() -> Duration {
    let seconds = std::env::var("MCPGEN_INSPECT_TIMEOUT")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .filter(|s| *s > 0)
        .unwrap_or(10);
    Duration::from_secs(seconds)
}

/// Runs a command with a deadline; its stdout on success, else why not.
fn run_bounded(program: &str, args: &[&str], timeout: Duration) -> Result<String, String> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run `{program}`: {e}"))?;
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "`{program} {}` did not answer within {}s",
                    args.join(" "),
                    timeout.as_secs()
                ));
            }
            Err(e) => return Err(e.to_string()),
        }
    }
    let output = child.wait_with_output().map_err(|e| e.to_string())?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
    } else {
        let err = String::from_utf8_lossy(&output.stderr);
        let first = err
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("failed");
        Err(first.trim().to_string())
    }
}

fn engine(docker: &str) -> Check {
    match run_bounded(
        docker,
        &["version", "--format", "{{.Server.Version}}"],
        engine_timeout(),
    ) {
        Ok(version) if !version.is_empty() => {
            Check::ok("engine", format!("{docker} answers (server {version})"))
        }
        Ok(_) | Err(_) if which(docker).is_none() => Check::fail(
            "engine",
            format!("`{docker}` is not on PATH"),
            "install Docker Desktop, Colima or Podman (with its Docker-compatible CLI)",
        ),
        Ok(_) => Check::fail(
            "engine",
            "the engine gave no server version",
            "start the engine (Docker Desktop, `colima start`, `podman machine start`) or set DOCKER_HOST",
        ),
        Err(why) => Check::fail(
            "engine",
            format!("not reachable: {why}"),
            "start the engine (Docker Desktop, `colima start`, `podman machine start`) or set DOCKER_HOST",
        ),
    }
}

fn which(program: &str) -> Option<std::path::PathBuf> {
    if program.contains('/') {
        return Path::new(program).is_file().then(|| program.into());
    }
    std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(program))
            .find(|candidate| candidate.is_file())
    })
}

fn compose(docker: &str) -> Check {
    let fix = "install Docker Compose v2 (the `docker compose` plugin)";
    // `version` without `--short`: a docker CLI without the plugin then says so plainly.
    match run_bounded(docker, &["compose", "version"], engine_timeout()) {
        Ok(output) => {
            let version = output
                .split_whitespace()
                .last()
                .unwrap_or_default()
                .to_string();
            let major = version
                .trim_start_matches('v')
                .split('.')
                .next()
                .and_then(|m| m.parse::<u32>().ok());
            match major {
                Some(m) if m >= 2 => Check::ok("compose", format!("Docker Compose {version}")),
                _ => Check::fail(
                    "compose",
                    format!("`{output}` is not Docker Compose v2"),
                    fix,
                ),
            }
        }
        Err(why) => Check::fail("compose", format!("`{docker} compose` failed: {why}"), fix),
    }
}

/// Everything doctor checks, in order.
pub fn checks(config: &Config, compiled: &Compiled, env: &Env, docker: &str) -> Vec<Check> {
    let stack = &config.stack;
    let mut checks = vec![engine(docker), compose(docker)];

    let out_dir = &stack.out_dir;
    let blocking = compiled.blocking().count();
    match crate::write::plan(&config.out_dir(), &compiled.artifacts) {
        Ok(drift) if drift.is_empty() && blocking == 0 => checks.push(Check::ok(
            "generated",
            format!("{out_dir}/ is fresh ({} files)", compiled.artifacts.len()),
        )),
        Ok(drift) if blocking > 0 => checks.push(Check::fail(
            "generated",
            format!(
                "mcp.toml has {blocking} finding(s) at error level ({} file(s) out of date)",
                drift.len()
            ),
            "`mcpgen lint` shows them; fix them, then `mcpgen build`",
        )),
        Ok(drift) => checks.push(Check::fail(
            "generated",
            format!("{} file(s) in {out_dir}/ are out of date", drift.len()),
            "mcpgen build",
        )),
        Err(error) => checks.push(Check::fail("generated", error.to_string(), "mcpgen build")),
    }

    let install_dir = env.expand_home(&stack.install_dir);
    let shown = show(&install_dir, &env.home);
    // Compared with generated/ as it is on disk: a stale generated/ is its own failure above.
    let bundle: Vec<_> = bundle::artifacts(&compiled.artifacts)
        .into_iter()
        .map(|mut artifact| {
            if let Ok(text) = std::fs::read_to_string(config.out_dir().join(&artifact.path)) {
                artifact.contents = text;
            }
            artifact
        })
        .collect();
    let shims: Vec<_> = bundle.iter().filter(|a| a.executable).collect();
    match bundle::plan(&install_dir, &bundle) {
        Ok(plan) if plan.is_empty() => checks.push(Check::ok(
            "bundle",
            format!(
                "{shown} is identical to {out_dir}/ (compose file, {} shim(s))",
                shims.len()
            ),
        )),
        Ok(plan) => {
            let first: Vec<String> = plan.iter().take(3).map(|f| f.relative.clone()).collect();
            checks.push(Check::fail(
                "bundle",
                format!(
                    "{shown} differs from {out_dir}/ in {} file(s): {}{}",
                    plan.len(),
                    first.join(", "),
                    if plan.len() > 3 { ", …" } else { "" }
                ),
                "mcpgen install",
            ));
        }
        Err(error) => checks.push(Check::fail("bundle", error.to_string(), "mcpgen install")),
    }
    let not_executable: Vec<String> = shims
        .iter()
        .filter(|a| {
            let path = install_dir.join(&a.path);
            path.exists() && !bundle::mode_ok(&path, true)
        })
        .map(|a| a.path.clone())
        .collect();
    let present = shims
        .iter()
        .filter(|a| install_dir.join(&a.path).exists())
        .count();
    if !not_executable.is_empty() {
        checks.push(Check::fail(
            "shims",
            format!("not executable: {}", not_executable.join(", ")),
            format!("mcpgen install (or chmod +x {shown}/shims/*.sh)"),
        ));
    } else if present > 0 {
        checks.push(Check::ok(
            "shims",
            format!("{present} installed shim(s) executable"),
        ));
    }

    for client in &stack.clients {
        if let Some(location) = paths::locate(client, &stack.name, env) {
            checks.push(client_check(config, &location, env));
        }
    }
    checks
}

fn show(path: &Path, home: &Path) -> String {
    match path.strip_prefix(home) {
        Ok(rest) if !rest.as_os_str().is_empty() => format!("~/{}", rest.display()),
        Ok(_) => "~".to_string(),
        Err(_) => path.display().to_string(),
    }
}

/// Whether a client's file launches exactly the current shims, for one of the profiles.
fn client_check(config: &Config, location: &Location, env: &Env) -> Check {
    let stack = &config.stack;
    let name = location.client;
    let path = show(&location.path, &env.home);
    let fix = format!("mcpgen install --client {name}");
    let text = match std::fs::read_to_string(&location.path) {
        Ok(text) => text,
        Err(_) if !location.installed_when.exists() => {
            return Check {
                status: Status::Skip,
                name: name.to_string(),
                message: "not installed here".to_string(),
                fix: None,
            };
        }
        Err(_) => return Check::fail(name, format!("{path} does not exist"), fix),
    };
    if location.format == Format::OwnYaml {
        let current = stack.profiles.iter().find_map(|p| {
            clients::continue_block(stack, p)
                .ok()
                .filter(|t| *t == text)
                .map(|_| p.name.clone())
        });
        return match current {
            Some(profile) => Check::ok(
                name,
                format!(
                    "{path} launches the {} current shim(s) (profile {profile})",
                    stack.servers.len()
                ),
            ),
            None => Check::fail(name, format!("{path} is not the current block"), fix),
        };
    }
    let Ok(key) = clients::servers_key(name) else {
        return Check::fail(name, "no renderer for this client", fix);
    };
    let entries = match location.format {
        Format::Toml => merge_toml::entries(&text),
        format => merge_json::entries(&text, format, key),
    };
    let entries: BTreeMap<String, Value> = match entries {
        Ok(entries) => entries.into_iter().collect(),
        Err(error) => return Check::fail(name, format!("{path}: {error}"), fix),
    };
    let ownership = ownership(stack, env);
    let mut problems = Vec::new();
    let mut profile_seen = None;
    for server in &stack.servers {
        let Some(entry) = entries.get(&server.name) else {
            problems.push(format!("`{}` is missing", server.name));
            continue;
        };
        if ownership.shim_of(entry).as_deref() != Some(server.name.as_str()) {
            problems.push(format!("`{}` does not launch its shim", server.name));
            continue;
        }
        let profile_name = entry
            .pointer("/env/MCPGEN_PROFILE")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let Some(profile) = stack.profiles.iter().find(|p| p.name == profile_name) else {
            problems.push(format!(
                "`{}` uses profile `{profile_name}`, which mcp.toml does not have",
                server.name
            ));
            continue;
        };
        let wanted = clients::entries(stack, name, profile)
            .ok()
            .and_then(|mut e| e.remove(&server.name));
        if wanted.as_ref() != Some(entry) {
            problems.push(format!("`{}` is out of date", server.name));
        }
        profile_seen = Some(profile.name.clone());
    }
    for (entry_name, entry) in &entries {
        if ownership.shim_of(entry).is_some()
            && !stack.servers.iter().any(|s| &s.name == entry_name)
        {
            problems.push(format!("`{entry_name}` is no longer in mcp.toml"));
        }
    }
    if problems.is_empty() {
        Check::ok(
            name,
            format!(
                "{path} launches the {} current shim(s) (profile {})",
                stack.servers.len(),
                profile_seen.unwrap_or_else(|| stack.strict_profile().name.clone())
            ),
        )
    } else {
        Check::fail(name, format!("{path}: {}", problems.join("; ")), fix)
    }
}
