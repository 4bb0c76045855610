//! `mcpgen doctor`: is everything in place for the clients to start hardened servers? One check
//! per line, each failure with the command that fixes it.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::Read as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value;

use crate::compile::Compiled;
use crate::config::Config;
use crate::install::paths::{Env, Format, Location};
use crate::install::{bundle, merge_json, merge_toml, ownership, paths};
use crate::model::contract::HELPER_PATH;
use crate::model::{Server, Stack};
use crate::render::clients;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Ok,
    Fail,
    /// Not applicable here (a client not installed on this machine).
    Skip,
}

#[derive(Debug, Clone)]
pub(crate) struct Check {
    pub status: Status,
    pub name: String,
    pub message: String,
    /// Facts that explain a failure (the image's own command), shown between it and its fix.
    pub detail: Option<String>,
    pub fix: Option<String>,
}

impl Check {
    fn ok(name: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            status: Status::Ok,
            name: name.into(),
            message: message.into(),
            detail: None,
            fix: None,
        }
    }

    fn skip(name: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            status: Status::Skip,
            name: name.into(),
            message: message.into(),
            detail: None,
            fix: None,
        }
    }

    fn fail(name: impl Into<String>, message: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            status: Status::Fail,
            name: name.into(),
            message: message.into(),
            detail: None,
            fix: Some(fix.into()),
        }
    }

    fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}

/// Every wait on the engine is bounded: a hung daemon is a failed check, not a hung doctor.
/// The same bound as the shims' `docker inspect` (`MCPGEN_INSPECT_TIMEOUT`), default 10 s here.
pub(crate) fn engine_timeout() -> Duration {
    let seconds = std::env::var("MCPGEN_INSPECT_TIMEOUT")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .filter(|s| *s > 0)
        .unwrap_or(10);
    Duration::from_secs(seconds)
}

/// Runs a command with a deadline; its stdout on success, else why not.
fn run_bounded(program: &str, args: &[&str], timeout: Duration) -> Result<String, String> {
    let ran = DockerCli::new(program, timeout).run(args)?;
    if ran.success {
        Ok(ran.stdout.trim().to_string())
    } else {
        Err(ran.first_error_line())
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
pub(crate) fn checks(config: &Config, compiled: &Compiled, env: &Env, docker: &str) -> Vec<Check> {
    let stack = &config.stack;
    let mut checks = vec![engine(docker), compose(docker)];

    let out_dir = &stack.out_dir;
    let blocking = compiled.blocking().count();
    match crate::write::plan(
        &config.out_dir(),
        (&config.stack).into(),
        &compiled.artifacts,
    ) {
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
    match bundle::plan(&install_dir, (&config.stack).into(), &bundle) {
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
    let engine_up = checks.first().is_some_and(|c| c.status == Status::Ok);
    checks.extend(server_checks(stack, &shown, docker, engine_up));
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
            return Check::skip(name, "not installed here");
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

/// What one engine call gave back.
#[derive(Debug, Clone, Default)]
pub(crate) struct Ran {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

impl Ran {
    /// The first line of stderr that says something, for a one-line message.
    pub(crate) fn first_error_line(&self) -> String {
        self.stderr
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("failed")
            .to_string()
    }
}

/// The Docker-compatible CLI, run with a deadline: in our own environment (doctor), or in
/// exactly the one given (probe: the environment its shims get, so it asks the same engine).
#[derive(Debug, Clone)]
pub(crate) struct DockerCli {
    program: OsString,
    env: Option<Vec<(OsString, OsString)>>,
    timeout: Duration,
}

impl DockerCli {
    pub(crate) fn new(program: impl Into<OsString>, timeout: Duration) -> Self {
        Self {
            program: program.into(),
            env: None,
            timeout,
        }
    }

    /// Runs with only `env` (a bare program name is looked up on its `PATH`).
    pub(crate) fn with_env(
        program: impl Into<OsString>,
        env: Vec<(OsString, OsString)>,
        timeout: Duration,
    ) -> Self {
        Self {
            env: Some(env),
            ..Self::new(program, timeout)
        }
    }

    pub(crate) fn run(&self, args: &[&str]) -> Result<Ran, String> {
        self.run_with(args, true)
    }

    /// Like [`DockerCli::run`], with stdout thrown away (`docker cp … -` streams a tar).
    fn run_quiet(&self, args: &[&str]) -> Result<Ran, String> {
        self.run_with(args, false)
    }

    fn run_with(&self, args: &[&str], keep_stdout: bool) -> Result<Ran, String> {
        let program = self.program.to_string_lossy();
        let mut command = Command::new(&self.program);
        command.args(args);
        if let Some(env) = &self.env {
            command.env_clear().envs(env.iter().map(|(k, v)| (k, v)));
        }
        command
            .stdin(Stdio::null())
            .stdout(if keep_stdout {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stderr(Stdio::piped());
        let mut child = command
            .spawn()
            .map_err(|e| format!("cannot run `{program}`: {e}"))?;
        // The pipes are read while the command runs (an answer may exceed a pipe's buffer),
        // on threads that are not waited for past the deadline: a child the command left
        // behind may hold them open.
        let (sender, receiver) = mpsc::channel();
        let pipes: [Option<Box<dyn std::io::Read + Send>>; 2] = [
            child
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
            child
                .stderr
                .take()
                .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
        ];
        let mut expected = 0;
        for (index, pipe) in pipes.into_iter().enumerate() {
            if let Some(mut pipe) = pipe {
                expected += 1;
                let sender = sender.clone();
                std::thread::spawn(move || {
                    let mut bytes = Vec::new();
                    let _ = pipe.read_to_end(&mut bytes);
                    let _ = sender.send((index, bytes));
                });
            }
        }
        drop(sender);
        let deadline = Instant::now() + self.timeout;
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                Ok(None) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(format!(
                        "`{program} {}` did not answer within {}s",
                        args.join(" "),
                        self.timeout.as_secs()
                    ));
                }
                Err(e) => return Err(e.to_string()),
            }
        };
        let mut ran = Ran {
            success: status.success(),
            ..Ran::default()
        };
        for _ in 0..expected {
            let left = deadline
                .saturating_duration_since(Instant::now())
                .max(Duration::from_millis(200));
            let Ok((index, bytes)) = receiver.recv_timeout(left) else {
                break;
            };
            let text = String::from_utf8_lossy(&bytes).into_owned();
            if index == 0 && keep_stdout {
                ran.stdout = text;
            } else {
                ran.stderr = text;
            }
        }
        Ok(ran)
    }
}

/// An image's own start-up, as the engine reports it (`docker image inspect`, `.Config`):
/// what would run if mcpgen did not replace the entrypoint. An unset value is empty here.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub(crate) struct ImageFacts {
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
    pub workdir: String,
    pub user: String,
}

impl ImageFacts {
    /// From the engine's `.Config` object (Docker and Podman both name the fields so).
    pub(crate) fn from_config(config: &Value) -> Self {
        let words = |key: &str| -> Vec<String> {
            match config.get(key) {
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                    .collect(),
                // The shell form, as some tools store it.
                Some(Value::String(line)) if !line.is_empty() => {
                    vec!["/bin/sh".to_string(), "-c".to_string(), line.clone()]
                }
                _ => Vec::new(),
            }
        };
        let text = |key: &str| {
            config
                .get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        Self {
            entrypoint: words("Entrypoint"),
            cmd: words("Cmd"),
            workdir: text("WorkingDir"),
            user: text("User"),
        }
    }

    /// What the image runs on its own: ENTRYPOINT followed by CMD.
    pub(crate) fn command(&self) -> Vec<String> {
        self.entrypoint.iter().chain(&self.cmd).cloned().collect()
    }

    /// Where `docker exec` starts a session: the image's WORKDIR (mcpgen sets no other).
    pub(crate) fn effective_workdir(&self) -> &str {
        if self.workdir.is_empty() {
            "/"
        } else {
            &self.workdir
        }
    }

    /// `ENTRYPOINT [] CMD ["node","dist/index.js"] WORKDIR /usr/src/app`, and `USER x` when set.
    pub(crate) fn describe(&self) -> String {
        let json = |words: &[String]| serde_json::to_string(words).unwrap_or_default();
        let workdir = if self.workdir.is_empty() {
            "(unset: /)".to_string()
        } else {
            self.workdir.clone()
        };
        let mut text = format!(
            "ENTRYPOINT {} CMD {} WORKDIR {workdir}",
            json(&self.entrypoint),
            json(&self.cmd)
        );
        if !self.user.is_empty() {
            text.push_str(&format!(" USER {}", self.user));
        }
        text
    }
}

/// The image's start-up facts, by `docker image inspect`.
pub(crate) fn inspect_image(docker: &DockerCli, image: &str) -> Result<ImageFacts, String> {
    let ran = docker.run(&["image", "inspect", "--format", "{{json .Config}}", image])?;
    if !ran.success {
        return Err(ran.first_error_line());
    }
    let config: Value = serde_json::from_str(ran.stdout.trim())
        .map_err(|e| format!("`image inspect` printed no JSON: {e}"))?;
    Ok(ImageFacts::from_config(&config))
}

/// A server's command as one shell line, for messages.
pub(crate) fn command_line(command: &[String]) -> String {
    shlex::try_join(command.iter().map(String::as_str)).unwrap_or_else(|_| command.join(" "))
}

/// `command = [...]` as it would be written in mcp.toml.
fn toml_array(words: &[String]) -> String {
    toml::Value::Array(words.iter().cloned().map(toml::Value::String).collect()).to_string()
}

/// A relative path among the words (not an option, not a package name): it resolves from the
/// session's working directory.
fn relative_path(words: &[String]) -> Option<&str> {
    words
        .iter()
        .skip(1)
        .map(String::as_str)
        .find(|w| w.contains('/') && !w.starts_with(['/', '-', '@']) && !w.contains("://"))
}

/// One line: how to make mcp.toml's `command` run what the image itself runs.
pub(crate) fn suggestion(server: &Server, facts: &ImageFacts) -> String {
    let own = facts.command();
    let table = format!("[servers.{}]", server.name);
    let workdir = facts.effective_workdir();
    if own.is_empty() {
        return format!(
            "the image sets no ENTRYPOINT or CMD: put the server's command from the image's \
             documentation in `command` of {table} (sessions start in {workdir})"
        );
    }
    if own == server.command {
        return format!(
            "{table} already runs the image's own command: the server's stderr (`mcpgen probe \
             --verbose {}`) says why it stops",
            server.name
        );
    }
    let mut text = format!(
        "set command = {} in {table} to run what the image runs",
        toml_array(&own)
    );
    if let Some(path) = relative_path(&own) {
        let base = workdir.trim_end_matches('/');
        text.push_str(&format!(
            " ({path} resolves from WORKDIR {workdir}: {base}/{path})"
        ));
    }
    text
}

/// Interpreters whose first argument is the server's script.
fn interpreter(program: &str) -> bool {
    let name = program.rsplit('/').next().unwrap_or(program);
    matches!(
        name,
        "node" | "nodejs" | "bun" | "deno" | "ruby" | "perl" | "php" | "python" | "python3"
    ) || name
        .strip_prefix("python3.")
        .is_some_and(|v| v.chars().all(|c| c.is_ascii_digit()))
}

/// The script an interpreter is told to run (`node dist/index.js`), when the command names one
/// by a file name: the first argument that is not an option.
fn script(command: &[String]) -> Option<&str> {
    const SCRIPTS: [&str; 11] = [
        ".js", ".mjs", ".cjs", ".ts", ".mts", ".py", ".pyz", ".rb", ".pl", ".php", ".jar",
    ];
    let (program, args) = command.split_first()?;
    if !interpreter(program) {
        return None;
    }
    let first = args.iter().find(|a| !a.starts_with('-'))?;
    SCRIPTS
        .iter()
        .any(|ext| first.ends_with(ext))
        .then_some(first.as_str())
}

/// Doctor's look into each running server container: is the command's program there (the
/// helper's `health --exists`, as the engine's health check would find it), and the script an
/// interpreter is told to run?
fn server_checks(stack: &Stack, bundle: &str, docker: &str, engine_up: bool) -> Vec<Check> {
    if stack.servers.is_empty() {
        return Vec::new();
    }
    if !engine_up {
        return vec![Check::skip(
            "servers",
            "the engine is not reachable: no container to look into",
        )];
    }
    let cli = DockerCli::new(docker, engine_timeout());
    std::thread::scope(|scope| {
        let running: Vec<_> = stack
            .servers
            .iter()
            .map(|server| {
                let cli = &cli;
                scope.spawn(move || server_check(stack, server, bundle, cli))
            })
            .collect();
        running
            .into_iter()
            .zip(&stack.servers)
            .map(|(thread, server)| {
                thread.join().unwrap_or_else(|_| {
                    Check::fail(
                        format!("server {}", server.name),
                        "the check itself failed",
                        "run `mcpgen doctor` again",
                    )
                })
            })
            .collect()
    })
}

fn server_check(stack: &Stack, server: &Server, bundle: &str, cli: &DockerCli) -> Check {
    let name = format!("server {}", server.name);
    let container = stack.container_name(server);
    let recreate = format!(
        "docker compose -f {bundle}/{} -p {} up -d --force-recreate {}",
        crate::model::contract::COMPOSE_FILE_NAME,
        stack.name,
        server.name
    );
    let engine_fix = "check the engine (`docker ps`), then run `mcpgen doctor` again";
    let state = match cli.run(&[
        "inspect",
        "--type",
        "container",
        "--format",
        "{{.State.Status}}",
        &container,
    ]) {
        Ok(ran) if ran.success => ran.stdout.trim().to_string(),
        Ok(ran) if ran.stderr.to_ascii_lowercase().contains("no such") => {
            return Check::skip(
                name,
                format!(
                    "container {container} does not exist yet: nothing to look into \
                     (`mcpgen probe {}` starts it)",
                    server.name
                ),
            );
        }
        Ok(ran) => {
            return Check::fail(
                name,
                format!(
                    "cannot inspect container {container}: {}",
                    ran.first_error_line()
                ),
                engine_fix,
            );
        }
        Err(why) => return Check::fail(name, why, engine_fix),
    };
    if state != "running" {
        return Check::skip(
            name,
            format!(
                "container {container} is {state}: nothing to look into (`mcpgen probe {}` \
                 starts it)",
                server.name
            ),
        );
    }
    let Some(program) = server.command.first() else {
        return Check::fail(
            name,
            "mcp.toml gives no command",
            "set `command` in mcp.toml",
        );
    };
    let shown = command_line(&server.command);
    let exists = match cli.run(&[
        "exec",
        &container,
        HELPER_PATH,
        "health",
        "--exists",
        "--",
        program,
    ]) {
        Ok(ran) => ran,
        Err(why) => return Check::fail(name, why, engine_fix),
    };
    let facts = || inspect_image(cli, &server.image);
    let missing = |what: String| {
        let check = |fix: String, detail: String| {
            Check::fail(&name, format!("mcp.toml runs `{shown}`, and {what}"), fix)
                .with_detail(detail)
        };
        match facts() {
            Ok(facts) => check(
                suggestion(server, &facts),
                format!("image {}: {}", server.image, facts.describe()),
            ),
            Err(why) => check(
                format!(
                    "set `command` in [servers.{}] to a program in the image",
                    server.name
                ),
                format!("image {}: cannot inspect it: {why}", server.image),
            ),
        }
    };
    let found = exists
        .stdout
        .trim()
        .strip_prefix("healthy: ")
        .and_then(|rest| rest.strip_suffix(" is present"))
        .map(str::to_string);
    let found = match (exists.success, found) {
        (true, found) => found.unwrap_or_else(|| program.clone()),
        (false, _) => {
            if let Some(why) = exists.stdout.trim().strip_prefix("unhealthy: ") {
                return missing(why.replace("this container", &format!("container {container}")));
            }
            return Check::fail(
                name,
                format!(
                    "cannot run mcpgen's helper in container {container}: {}",
                    exists.first_error_line()
                ),
                format!("recreate the container: {recreate}"),
            );
        }
    };
    let Some(script) = script(&server.command) else {
        return Check::ok(name, format!("`{program}` is in its container ({found})"));
    };
    let path = if script.starts_with('/') {
        script.to_string()
    } else {
        match facts() {
            Ok(facts) => format!(
                "{}/{script}",
                facts.effective_workdir().trim_end_matches('/')
            ),
            Err(why) => {
                return Check::fail(
                    name,
                    format!("cannot inspect image {}: {why}", server.image),
                    engine_fix,
                );
            }
        }
    };
    match cli.run_quiet(&["cp", &format!("{container}:{path}"), "-"]) {
        Ok(ran) if ran.success => Check::ok(
            name,
            format!("`{program}` is in its container ({found}), and so is {path}"),
        ),
        Ok(ran) if not_found(&ran.stderr) => {
            missing(format!("{path} is not in container {container}"))
        }
        Ok(ran) => Check::fail(
            name,
            format!(
                "cannot look for {path} in container {container}: {}",
                ran.first_error_line()
            ),
            engine_fix,
        ),
        Err(why) => Check::fail(name, why, engine_fix),
    }
}

/// How Docker and Podman say that `docker cp` found no such path.
fn not_found(stderr: &str) -> bool {
    let lower = stderr.to_ascii_lowercase();
    lower.contains("could not find") || lower.contains("no such file")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_string()).collect()
    }

    fn server(command: &[&str]) -> Server {
        let text = format!(
            "[stack]\nname = \"t\"\n[servers.shell]\nimage = \"mcp/x:1\"\ncommand = {}\n",
            toml_array(&words(command))
        );
        let parsed = crate::config::parse::parse(&text).unwrap_or_else(|e| panic!("{e:?}"));
        let stack = crate::config::validate::validate(parsed.raw, &parsed.spans, "mcp.toml", &[])
            .unwrap_or_else(|e| panic!("{e:?}"));
        stack
            .servers
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("a server"))
    }

    fn desktop_commander() -> ImageFacts {
        ImageFacts::from_config(&serde_json::json!({
            "User": "",
            "Env": ["PATH=/usr/local/bin:/usr/bin:/bin"],
            "Entrypoint": null,
            "Cmd": ["node", "dist/index.js"],
            "WorkingDir": "/usr/src/app",
        }))
    }

    #[test]
    fn image_facts_read_the_engines_config() {
        let facts = desktop_commander();
        assert_eq!(facts.entrypoint, Vec::<String>::new());
        assert_eq!(facts.cmd, words(&["node", "dist/index.js"]));
        assert_eq!(facts.workdir, "/usr/src/app");
        assert_eq!(
            facts.describe(),
            r#"ENTRYPOINT [] CMD ["node","dist/index.js"] WORKDIR /usr/src/app"#
        );
        let bare = ImageFacts::from_config(&serde_json::json!({"User": "node"}));
        assert_eq!(
            bare.describe(),
            "ENTRYPOINT [] CMD [] WORKDIR (unset: /) USER node"
        );
        let shell = ImageFacts::from_config(&serde_json::json!({"Cmd": "node x.js"}));
        assert_eq!(shell.command(), words(&["/bin/sh", "-c", "node x.js"]));
    }

    #[test]
    fn the_suggestion_runs_what_the_image_runs() {
        let wrong = server(&["node", "/app/dist/index.js"]);
        assert_eq!(
            suggestion(&wrong, &desktop_commander()),
            r#"set command = ["node", "dist/index.js"] in [servers.shell] to run what the image runs (dist/index.js resolves from WORKDIR /usr/src/app: /usr/src/app/dist/index.js)"#
        );
        let same = server(&["node", "dist/index.js"]);
        assert!(suggestion(&same, &desktop_commander()).starts_with(
            "[servers.shell] already runs the image's own command: the server's stderr"
        ));
        let absolute = ImageFacts::from_config(&serde_json::json!({
            "Entrypoint": ["node", "/app/dist/index.js"], "WorkingDir": "/app",
        }));
        assert_eq!(
            suggestion(&server(&["node", "dist/index.js"]), &absolute),
            r#"set command = ["node", "/app/dist/index.js"] in [servers.shell] to run what the image runs"#
        );
        let nothing = ImageFacts::default();
        assert!(
            suggestion(&wrong, &nothing)
                .starts_with("the image sets no ENTRYPOINT or CMD: put the server's command")
        );
    }

    #[test]
    fn only_an_interpreters_script_file_is_looked_for() {
        assert_eq!(
            script(&words(&["node", "/app/dist/index.js", "/projects"])),
            Some("/app/dist/index.js")
        );
        assert_eq!(
            script(&words(&["python3.12", "-u", "server.py"])),
            Some("server.py")
        );
        assert_eq!(script(&words(&["python3", "-m", "mcp_server"])), None);
        assert_eq!(script(&words(&["node", "/app"])), None);
        assert_eq!(script(&words(&["/server", "stdio.js"])), None);
        assert_eq!(
            script(&words(&["npx", "-y", "@scope/server/index.js"])),
            None
        );
    }

    #[test]
    fn the_runner_bounds_the_wait_and_keeps_both_streams() {
        let cli = DockerCli::new("sh", Duration::from_secs(5));
        let ran = cli
            .run(&["-c", "echo out; echo >&2; echo err >&2; exit 3"])
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!ran.success);
        assert_eq!(ran.stdout, "out\n");
        assert_eq!(ran.first_error_line(), "err");
        // More than a pipe holds: read while it runs, not after.
        let big = cli
            .run(&["-c", "head -c 300000 /dev/zero | tr '\\0' x"])
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(big.stdout.len(), 300_000);
        let started = Instant::now();
        let hung = DockerCli::new("sh", Duration::from_secs(1)).run(&["-c", "sleep 30"]);
        assert!(
            hung.as_ref()
                .is_err_and(|e| e.contains("did not answer within 1s")),
            "{hung:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(5));
        let env = DockerCli::with_env(
            "sh",
            vec![
                ("PATH".into(), "/usr/bin:/bin".into()),
                ("ONLY".into(), "this".into()),
            ],
            Duration::from_secs(5),
        )
        .run(&["-c", "echo \"${ONLY-}:${HOME-unset}\""])
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(env.stdout.trim(), "this:unset");
    }
}
