//! One test's stack: its own `mcp.toml`, `generated/`, a client HOME with the bundle installed,
//! its own compose project, and a guard that removes all of it on drop, failing test or not.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::cmd::{self, Output};
use super::engine::{Engine, STACK_PREFIX, engine};

const DOCKER_TIMEOUT: Duration = Duration::from_secs(120);

/// The fixture's shared part: the bundled mcp.toml's hardening, the monitor off (its image is
/// built elsewhere), and the two profiles.
const HEAD: &str = r#"
[stack]
name = "{name}"
out_dir = "generated"

[defaults]
user = "1000:1000"
read_only = true
cap_drop = ["ALL"]
no_new_privileges = true
init = true
restart = "unless-stopped"
limits = { cpus = 0.5, memory = "256M", pids = 128 }
tmpfs = { "/tmp" = "16M" }
health = { interval = "15s", timeout = "5s", retries = 3, start_period = "10s" }
fallback = "local"

[monitor]
enabled = false

[profiles.hardened]
fallback = "none"

[profiles.dev]
fallback = "local"

[clients]
targets = ["claude-desktop"]
"#;

/// The real filesystem server, with a read-only bind mount of `{root}/projects`.
pub const FILESYSTEM: &str = r#"
[servers.filesystem]
image = "localhost/mcpgen-test-node:1"
command = ["node", "/app/node_modules/@modelcontextprotocol/server-filesystem/dist/index.js", "/projects"]
mounts = [{ source = "{root}/projects", target = "/projects", read_only = true }]
"#;

/// The real memory server: its graph in a named volume; locally (dev profile, engine down) it
/// runs from the host's npm tree and keeps its file under `~`, the client's HOME.
pub const MEMORY: &str = r#"
[servers.memory]
image = "localhost/mcpgen-test-node:1"
command = ["node", "/app/node_modules/@modelcontextprotocol/server-memory/dist/index.js"]
env = { MEMORY_FILE_PATH = "/data/memory.jsonl" }
volumes = [{ name = "memory-data", target = "/data" }]
local = ["/usr/bin/node", "{node_modules}/@modelcontextprotocol/server-memory/dist/index.js"]
local_env = { MEMORY_FILE_PATH = "~/memory-local.jsonl" }
"#;

/// The static fake server (`tests/images/fake-mcp-server.c`): one tool, `echo`. It is tiny,
/// so it takes 20 sessions at once (the 20-shims test) within its limits.
pub const FAKE: &str = r#"
[servers.fake]
image = "localhost/mcpgen-test-static:1"
command = ["fake-mcp-server"]
limits = { cpus = 0.5, memory = "768M", pids = 256 }
max_sessions = 20
"#;

/// The fake server in hang mode: reads and never answers. A short health timeout keeps the
/// health test quick.
pub const HUNG: &str = r#"
[servers.hung]
image = "localhost/mcpgen-test-static:1"
command = ["fake-mcp-server"]
env = { FAKE_MCP_MODE = "hang" }
health = { interval = "15s", timeout = "3s", retries = 2, start_period = "1s" }
"#;

/// The fake server in oom mode, under a small memory limit: each session allocates until the
/// kernel kills it.
pub const OOM: &str = r#"
[servers.oom]
image = "localhost/mcpgen-test-static:1"
command = ["fake-mcp-server"]
env = { FAKE_MCP_MODE = "oom" }
limits = { cpus = 0.5, memory = "64M", pids = 64 }
"#;

pub struct Stack {
    pub name: String,
    pub dir: tempfile::TempDir,
    pub engine: &'static Engine,
}

/// A client config entry (`mcpServers.<name>`): what a client runs, verbatim.
#[derive(Debug, Clone)]
pub struct ClientEntry {
    pub command: String,
    pub args: Vec<String>,
    pub env: BTreeMap<String, String>,
}

impl Stack {
    /// Writes the fixture, runs `mcpgen build`, installs the bundle into a client HOME.
    pub fn build(test: &str, servers: &[&str]) -> Stack {
        let toml = std::iter::once(HEAD)
            .chain(servers.iter().copied())
            .collect::<String>();
        Stack::from_toml(test, &toml)
    }

    /// A stack from a whole `mcp.toml` (`{name}`, `{root}` and `{node_modules}` filled in), or
    /// the bundled one: its `[stack] name` is replaced by the test's, so runs never collide.
    pub fn from_toml(test: &str, toml: &str) -> Stack {
        let engine = engine();
        let name = format!("{STACK_PREFIX}{test}-{}", std::process::id());
        let dir = tempfile::Builder::new()
            .prefix(&format!("mcpgen-{name}-"))
            .tempdir()
            .expect("temp dir");
        let stack = Stack { name, dir, engine };
        let root = stack.root().to_path_buf();
        std::fs::create_dir_all(root.join("projects")).expect("projects dir");
        std::fs::write(root.join("projects/hello.txt"), "hello from the host\n")
            .expect("fixture file");
        let toml = toml
            .replace("name = \"mcp\"", "name = \"{name}\"")
            .replace("{name}", &stack.name)
            .replace("{root}", &root.display().to_string())
            .replace("{node_modules}", &engine.node_modules.display().to_string());
        std::fs::write(root.join("mcp.toml"), toml).expect("mcp.toml");
        let build = stack.mcpgen(&["build"], &[]);
        assert!(build.success(), "mcpgen build failed: {build}");
        stack.install_bundle();
        stack.client_home();
        stack
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// The client's HOME: the bundle at its install_dir, and the user's Docker setup.
    pub fn home(&self) -> PathBuf {
        self.root().join("home")
    }

    pub fn bundle(&self) -> PathBuf {
        self.home().join(".mcpgen").join(&self.name)
    }

    pub fn compose_file(&self) -> PathBuf {
        self.bundle().join("docker-compose.mcp-only.yml")
    }

    pub fn container(&self, server: &str) -> String {
        format!("{}-{server}", self.name)
    }

    /// `mcpgen install` into the client's HOME: the bundle at install_dir, and Claude
    /// Desktop's own config file with the strict profile's entries.
    fn install_bundle(&self) {
        let install = self.mcpgen(&["install", "--client", "claude-desktop", "--create"], &[]);
        assert!(install.success(), "mcpgen install failed: {install}");
        assert!(self.compose_file().is_file(), "no bundle: {install}");
    }

    /// A user's Docker setup in the client's HOME: the compose plugin, and a context that
    /// names the engine, so the shims find it with nothing but HOME in their environment.
    fn client_home(&self) {
        let docker_config = self.home().join(".docker");
        let plugins = docker_config.join("cli-plugins");
        std::fs::create_dir_all(&plugins).expect("cli-plugins dir");
        std::os::unix::fs::symlink(&self.engine.compose_plugin, plugins.join("docker-compose"))
            .expect("link the compose plugin");
        for args in [
            vec![
                "context",
                "create",
                "e2e",
                "--docker",
                &format!("host={}", self.engine.docker_host),
            ],
            vec!["context", "use", "e2e"],
        ] {
            let out = cmd::run(
                Command::new("docker")
                    .args(&args)
                    .env("DOCKER_CONFIG", &docker_config)
                    .env_remove("DOCKER_HOST"),
                None,
                DOCKER_TIMEOUT,
            );
            assert!(out.success(), "docker {args:?}: {out}");
        }
    }

    /// Runs the mcpgen binary on this stack's mcp.toml.
    pub fn mcpgen(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_mcpgen"));
        command
            .arg("--config")
            .arg(self.root().join("mcp.toml"))
            .args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.home())
            .env("NO_COLOR", "1");
        for (k, v) in env {
            command.env(k, v);
        }
        cmd::run(&mut command, None, Duration::from_secs(120))
    }

    pub fn docker(&self, args: &[&str]) -> Output {
        self.engine.docker(args, DOCKER_TIMEOUT)
    }

    /// `docker …` that must succeed; its stdout.
    pub fn docker_ok(&self, args: &[&str]) -> String {
        let out = self.docker(args);
        assert!(
            out.success(),
            "docker {args:?} failed: {out}\n{}",
            self.engine_view()
        );
        out.stdout
    }

    /// `docker compose up -d` of the installed bundle's compose file, and wait until every
    /// container it started runs.
    pub fn up(&self, services: &[&str]) -> Duration {
        let started = Instant::now();
        let compose = self.compose_file();
        let mut args = vec![
            "compose",
            "-f",
            compose.to_str().expect("utf-8 path"),
            "-p",
            &self.name,
            "up",
            "-d",
        ];
        args.extend(services);
        // As the user would run it: `~` in a bind mount is the client's HOME, whose Docker
        // setup (the compose plugin) is the user's.
        let out = cmd::run(
            Command::new("docker")
                .args(&args)
                .env("DOCKER_HOST", &self.engine.docker_host)
                .env("HOME", self.home())
                .env_remove("DOCKER_CONFIG"),
            None,
            DOCKER_TIMEOUT,
        );
        assert!(
            out.success(),
            "docker {args:?} failed: {out}\n{}",
            self.engine_view()
        );
        for service in services {
            self.wait_running(service, Duration::from_secs(60));
        }
        started.elapsed()
    }

    /// Runs the container's health check once (Podman) or waits for the next verdict of its
    /// timer (Docker); whether it passed and how long the check itself took.
    pub fn health_check(&self, container: &str) -> (bool, Duration) {
        let check = self.engine.health_check(container, Duration::from_secs(60));
        assert!(
            !check.hung,
            "no health check verdict on {container} within 60s\n{}",
            self.engine_view()
        );
        (check.passed, check.took)
    }

    /// The engine's `State.Health` of a container.
    pub fn health(&self, container: &str) -> Value {
        self.inspect(container)["State"]["Health"].clone()
    }

    pub fn inspect(&self, container: &str) -> Value {
        let text = self.docker_ok(&["inspect", "--type", "container", container]);
        let mut list: Vec<Value> = serde_json::from_str(&text).expect("inspect JSON");
        list.pop().expect("one container")
    }

    pub fn state(&self, container: &str) -> Option<Value> {
        let out = self.docker(&["inspect", "--type", "container", container]);
        if !out.success() {
            return None;
        }
        let list: Vec<Value> = serde_json::from_str(&out.stdout).ok()?;
        list.into_iter().next().map(|c| c["State"].clone())
    }

    pub fn wait_running(&self, server: &str, timeout: Duration) -> Duration {
        let container = self.container(server);
        self.wait_until(&format!("{container} running"), timeout, || {
            self.state(&container)
                .filter(|s| s["Status"] == "running")
                .map(|_| ())
        })
        .1
    }

    /// Polls `probe` every 100 ms until it gives a value; at the deadline the test fails with
    /// the engine's view of the stack. Returns the value and how long it took.
    pub fn wait_until<T>(
        &self,
        what: &str,
        timeout: Duration,
        mut probe: impl FnMut() -> Option<T>,
    ) -> (T, Duration) {
        let started = Instant::now();
        loop {
            if let Some(value) = probe() {
                return (value, started.elapsed());
            }
            if started.elapsed() >= timeout {
                panic!(
                    "timed out after {:.1}s waiting for {what}\n{}",
                    timeout.as_secs_f64(),
                    self.engine_view()
                );
            }
            thread::sleep(Duration::from_millis(100));
        }
    }

    /// `docker ps -a` and every container's log: printed when a wait times out, so a red run
    /// explains itself.
    pub fn engine_view(&self) -> String {
        let t = Duration::from_secs(20);
        let filter = format!("label=dev.mcpgen.stack={}", self.name);
        let mut view = format!(
            "--- docker ps -a\n{}",
            self.engine
                .docker(&["ps", "-a", "--filter", &filter], t)
                .stdout
        );
        let names = self
            .engine
            .docker(
                &["ps", "-a", "--filter", &filter, "--format", "{{.Names}}"],
                t,
            )
            .stdout;
        for name in names.split_whitespace() {
            let logs = self.engine.docker(&["logs", "--tail", "40", name], t);
            view.push_str(&format!(
                "--- docker logs {name}\n{}{}",
                logs.stdout, logs.stderr
            ));
        }
        view
    }

    /// The entry of a server in the client config of `profile`: for the strict profile the
    /// file `mcpgen install` wrote where Claude Desktop reads it, for another profile the
    /// config `mcpgen build` rendered for it.
    pub fn client_entry(&self, server: &str, profile: &str) -> ClientEntry {
        let path = if profile == "hardened" {
            self.home()
                .join(".config/Claude/claude_desktop_config.json")
        } else {
            self.root()
                .join("generated")
                .join(format!("claude_desktop_config_{profile}.json"))
        };
        let text = std::fs::read_to_string(&path).expect("client config");
        let config: Value = serde_json::from_str(&text).expect("client config JSON");
        let entry = &config["mcpServers"][server];
        assert!(entry.is_object(), "no {server} in {}", path.display());
        ClientEntry {
            command: entry["command"].as_str().expect("command").to_string(),
            args: entry["args"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default(),
            env: entry["env"]
                .as_object()
                .map(|o| {
                    o.iter()
                        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                        .collect()
                })
                .unwrap_or_default(),
        }
    }

    /// Runs a client config entry by hand with one request on stdin: the raw bytes a client
    /// gets (an SDK may show only "Connection closed" for an error answer before an exit).
    pub fn raw(&self, entry: &ClientEntry, extra_env: &[(&str, &str)], input: &str) -> Output {
        let mut command = Command::new(&entry.command);
        command
            .args(&entry.args)
            .env_clear()
            .env("HOME", self.home())
            .env("PATH", "/usr/bin:/bin")
            .envs(&entry.env)
            .current_dir("/");
        for (k, v) in extra_env {
            command.env(k, v);
        }
        cmd::run(
            &mut command,
            Some(&format!("{input}\n")),
            Duration::from_secs(60),
        )
    }

    /// Engine time, in whole seconds since the epoch, for `docker events --since/--until`.
    pub fn now_secs() -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        let compose = self.compose_file();
        if let Some(compose) = compose.to_str() {
            self.engine.docker(
                &[
                    "compose",
                    "-f",
                    compose,
                    "-p",
                    &self.name,
                    "down",
                    "-v",
                    "--remove-orphans",
                    "--timeout",
                    "2",
                ],
                DOCKER_TIMEOUT,
            );
        }
        // Whatever compose did not know about (a container the test made, a failed up).
        self.engine.remove_stack(&self.name);
        // The shims' start locks (the client environment has no XDG_RUNTIME_DIR or TMPDIR).
        if let Ok(entries) = std::fs::read_dir("/tmp") {
            let prefix = format!("mcpgen-{}-", self.name);
            for entry in entries.flatten() {
                if entry.file_name().to_string_lossy().starts_with(&prefix) {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
    }
}
