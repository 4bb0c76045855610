//! The real engine, stacks built by `mcpgen build` and `mcpgen monitor` processes, each with a
//! guard that cleans up even when the test fails.
//!
//! The engine is chosen by `MCPGEN_TEST_ENGINE=podman|docker` (default podman): its socket
//! (`/tmp/podman.sock`, `/tmp/dockerd.sock`) unless `DOCKER_HOST` names one, brought up by
//! `scripts/engine-up <engine>`; the engine that answers must be the one asked for.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::Value;

/// The socket of the engine the tests share. It reads as a `&str` path where the tests pass it
/// (`Monitor::start`, `host` and `docker_at` take `impl AsRef<str>`).
pub(crate) const SHARED_SOCKET: SharedSocket = SharedSocket;
pub(crate) const FAKE_IMAGE: &str = "localhost/mcpgen-test-static:1";

/// The shared engine's socket path, chosen once per run (see [`selection`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct SharedSocket;

impl AsRef<str> for SharedSocket {
    fn as_ref(&self) -> &str {
        &selection().socket
    }
}

impl std::fmt::Display for SharedSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_ref())
    }
}

/// A container engine the tests run on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EngineKind {
    /// Podman serving the Docker API: health checks run only on demand; its API service can
    /// stop and start while the containers (under conmon) run on.
    Podman,
    /// Docker Engine (dockerd): health checks run on their own timer; the API is the daemon.
    Docker,
}

impl EngineKind {
    /// The value of `MCPGEN_TEST_ENGINE` and the argument of `scripts/engine-up`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            EngineKind::Podman => "podman",
            EngineKind::Docker => "docker",
        }
    }

    pub(crate) fn title(self) -> &'static str {
        match self {
            EngineKind::Podman => "Podman",
            EngineKind::Docker => "Docker Engine",
        }
    }

    /// Where `scripts/engine-up <name>` makes it answer.
    fn default_socket(self) -> &'static str {
        match self {
            EngineKind::Podman => "/tmp/podman.sock",
            EngineKind::Docker => "/tmp/dockerd.sock",
        }
    }
}

/// What `MCPGEN_TEST_ENGINE` and `DOCKER_HOST` ask for.
struct Selection {
    /// Asked for by `MCPGEN_TEST_ENGINE`, or Podman when unset.
    kind: EngineKind,
    /// Whether `MCPGEN_TEST_ENGINE` was set.
    explicit: bool,
    /// The path of `DOCKER_HOST`'s unix socket, or the engine's default one.
    socket: String,
    /// A problem with the variables, reported by [`engine`] as the test's failure.
    error: Option<String>,
}

fn selection() -> &'static Selection {
    static SELECTION: OnceLock<Selection> = OnceLock::new();
    SELECTION.get_or_init(|| {
        let mut error = None;
        let (kind, explicit) = match std::env::var("MCPGEN_TEST_ENGINE").as_deref() {
            Err(_) | Ok("") => (EngineKind::Podman, false),
            Ok("podman") => (EngineKind::Podman, true),
            Ok("docker") => (EngineKind::Docker, true),
            Ok(other) => {
                error = Some(format!(
                    "MCPGEN_TEST_ENGINE=`{other}`: the monitor tests run on `podman` or `docker`"
                ));
                (EngineKind::Podman, false)
            }
        };
        let socket = match std::env::var("DOCKER_HOST").as_deref() {
            Err(_) | Ok("") => kind.default_socket().to_string(),
            Ok(host) => {
                if let Some(path) = host.strip_prefix("unix://") {
                    path.to_string()
                } else {
                    error.get_or_insert(format!(
                        "DOCKER_HOST={host}: the monitor tests need the engine's unix socket \
                         (a test mounts it into the stack)"
                    ));
                    kind.default_socket().to_string()
                }
            }
        };
        Selection {
            kind,
            explicit,
            socket,
            error,
        }
    })
}

/// The engine that answers on `socket`, from `docker version` (Podman's server reports a
/// "Podman Engine" component), with its version; `Err` with the CLI's words when none does.
fn detect(socket: &str) -> Result<(EngineKind, String), String> {
    let version = docker_at(
        socket,
        &[
            "version",
            "--format",
            "{{.Server.Version}}\n{{range .Server.Components}}{{.Name}};{{end}}",
        ],
    );
    if !version.status.success() {
        return Err(text(&version));
    }
    let out = String::from_utf8_lossy(&version.stdout).into_owned();
    let mut lines = out.lines();
    let number = lines.next().unwrap_or_default().trim().to_string();
    let kind = if lines.next().unwrap_or_default().contains("Podman") {
        EngineKind::Podman
    } else {
        EngineKind::Docker
    };
    Ok((kind, number))
}

pub(crate) fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The binary under test; `MCPGEN_TEST_BIN` points the suite at another build of it (e.g. the
/// static release binary of the image, to measure its footprint).
pub(crate) fn mcpgen() -> PathBuf {
    std::env::var_os("MCPGEN_TEST_BIN").map_or_else(
        || PathBuf::from(env!("CARGO_BIN_EXE_mcpgen")),
        PathBuf::from,
    )
}

fn run_script(script: &str, args: &[&str], envs: &[(&str, &str)]) -> Result<String, String> {
    let output = Command::new(repo_root().join("scripts").join(script))
        .args(args)
        .env_remove("MCPGEN_ENGINE_SOCK")
        .envs(envs.iter().copied())
        .output()
        .map_err(|e| format!("cannot run scripts/{script}: {e}"))?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
    } else {
        Err(format!(
            "scripts/{script} failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

/// Brings up the shared engine and the test images once per run, and says which engine it is.
/// An engine that cannot be had fails the test with the reason and how to get one: these tests
/// are never skipped.
pub(crate) fn engine() -> EngineKind {
    static READY: OnceLock<Result<EngineKind, String>> = OnceLock::new();
    let ready = READY.get_or_init(|| {
        let wanted = selection();
        if let Some(error) = &wanted.error {
            return Err(error.clone());
        }
        let (kind, socket) = (wanted.kind, wanted.socket.as_str());
        let asked = format!(
            "MCPGEN_TEST_ENGINE={}, socket {socket}",
            if wanted.explicit {
                kind.name()
            } else {
                "(unset: podman)"
            }
        );
        // The engine whose socket this is, if it is one of engine-up's.
        let owner = [EngineKind::Podman, EngineKind::Docker]
            .into_iter()
            .find(|k| k.default_socket() == socket);
        let how = format!(
            "Start it with `scripts/engine-up {}` (it prints the DOCKER_HOST to use), or choose \
             the engine with MCPGEN_TEST_ENGINE=podman|docker and DOCKER_HOST unset.",
            owner.unwrap_or(kind).name()
        );
        // engine-up brings up the engines on their default sockets; another DOCKER_HOST is an
        // engine someone else runs.
        if socket == kind.default_socket() {
            run_script("engine-up", &[kind.name()], &[]).map_err(|message| {
                format!(
                    "{} ({asked}) could not be set up:\n{message}\n{how}",
                    kind.title()
                )
            })?;
        }
        let (found, version) = detect(socket).map_err(|said| {
            format!(
                "{} does not answer at {socket} ({asked}): `docker version` said\n{said}\n{how}",
                kind.title()
            )
        })?;
        if wanted.explicit && found != kind {
            return Err(format!(
                "{asked}: the engine there is {} {version}, not {}. Unset DOCKER_HOST (the tests \
                 then use {}) or point it at {}.",
                found.title(),
                kind.title(),
                kind.default_socket(),
                kind.title()
            ));
        }
        run_script("build-test-images", &[], &[("DOCKER_HOST", &host(socket))])?;
        require_images(found, &[FAKE_IMAGE])?;
        eprintln!("monitor tests: on {} {version} at {socket}", found.title());
        Ok(found)
    });
    match ready {
        Ok(kind) => *kind,
        Err(message) => panic!("no container engine for the monitor tests:\n{message}"),
    }
}

/// Which engine this run's tests are on, for a test whose expectations differ by engine.
#[allow(dead_code)] // the harness's API: not every build of the suite has such a test
pub(crate) fn engine_kind() -> EngineKind {
    engine()
}

/// Fails unless the shared engine has every image, and on Docker Engine (an image storage of
/// its own) the one the build scripts last built into Podman's: the same id, as `podman save |
/// docker load` keeps it, not an older or another checkout's copy.
fn require_images(kind: EngineKind, images: &[&str]) -> Result<(), String> {
    let id = |output: Output| {
        output
            .status
            .success()
            .then(|| stdout(&output).trim_start_matches("sha256:").to_string())
    };
    for image in images {
        let copy = format!("`podman save {image} | docker -H unix://{SHARED_SOCKET} load`");
        let Some(here) = id(docker(&["image", "inspect", "--format", "{{.Id}}", image])) else {
            return Err(format!(
                "{image} is not on the engine at {SHARED_SOCKET}: the build scripts build into \
                 Podman's storage (and copy into Docker Engine's when it answers); copy it with \
                 {copy}"
            ));
        };
        if kind != EngineKind::Docker {
            continue;
        }
        let podman = Command::new("podman")
            .args(["image", "inspect", "--format", "{{.Id}}", image])
            .output()
            .ok()
            .and_then(id);
        if let Some(built) = podman.filter(|built| *built != here) {
            return Err(format!(
                "{image} on Docker Engine ({}) is not the one in Podman's storage ({}) that the \
                 build scripts just built: copy it again with {copy}",
                &here[..here.len().min(12)],
                &built[..built.len().min(12)]
            ));
        }
    }
    Ok(())
}

/// The monitor's image, built by `scripts/build-monitor-image` once per run, and on the engine.
pub(crate) fn monitor_image() -> String {
    static IMAGE: OnceLock<Result<String, String>> = OnceLock::new();
    let built = IMAGE.get_or_init(|| {
        let image = run_script(
            "build-monitor-image",
            &[],
            &[("DOCKER_HOST", &host(SHARED_SOCKET))],
        )?;
        require_images(engine(), &[&image])?;
        Ok(image)
    });
    match built {
        Ok(image) => image.clone(),
        Err(message) => panic!("cannot build the monitor image:\n{message}"),
    }
}

/// One test at a time: recovery times are measured, and the engine-restart test takes an API
/// service away. A failed test must not block the others, so a poisoned lock is fine.
pub(crate) fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub(crate) fn host(socket: impl AsRef<str>) -> String {
    format!("unix://{}", socket.as_ref())
}

/// Runs `docker` against `socket`.
pub(crate) fn docker_at(socket: impl AsRef<str>, args: &[&str]) -> Output {
    Command::new("docker")
        .args(args)
        .env("DOCKER_HOST", host(socket))
        .output()
        .expect("docker runs")
}

pub(crate) fn docker(args: &[&str]) -> Output {
    docker_at(SHARED_SOCKET, args)
}

pub(crate) fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

pub(crate) fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// The engine's view, for failure messages.
pub(crate) fn engine_view(stack: &str) -> String {
    let ps = docker(&[
        "ps",
        "-a",
        "--filter",
        &format!("label=dev.mcpgen.stack={stack}"),
        "--format",
        "{{.Names}}\t{{.Status}}\t{{.ID}}",
    ]);
    format!("docker ps -a (stack {stack}):\n{}", text(&ps))
}

/// Polls `check` until it returns `Some` or the deadline passes.
pub(crate) fn wait_until<T>(
    what: &str,
    timeout: Duration,
    context: impl Fn() -> String,
    mut check: impl FnMut() -> Option<T>,
) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check() {
            return value;
        }
        if Instant::now() > deadline {
            panic!(
                "timed out after {timeout:?} waiting for {what}\n{}",
                context()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub(crate) fn state(container: &str) -> String {
    stdout(&docker(&["inspect", "-f", "{{.State.Status}}", container]))
}

/// Kills the container's PID 1 from the host, as a crash would: no API call, no event but
/// the `die`. Returns the host PID it killed.
pub(crate) fn host_kill(container: &str) -> u32 {
    let text = stdout(&docker(&["inspect", "-f", "{{.State.Pid}}", container]));
    let pid = text
        .parse::<u32>()
        .ok()
        .filter(|p| *p > 0)
        .unwrap_or_else(|| panic!("no pid for {container}: {text}"));
    let status = Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill -KILL {pid} failed");
    pid
}

/// Whether a host process has ended (gone, or a zombie waiting to be reaped): read from
/// `/proc`, so it answers while the engine's API is down.
pub(crate) fn process_gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the command's closing parenthesis.
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with('Z') || rest.starts_with('X')),
        Err(_) => true,
    }
}

/// A server of a test stack.
pub(crate) struct Server {
    pub(crate) name: &'static str,
    pub(crate) command: &'static str,
    pub(crate) restart: &'static str,
    pub(crate) env: &'static str,
}

impl Server {
    /// The static fake MCP server, restart policy `no`: only the monitor restarts it.
    pub(crate) fn fake(name: &'static str) -> Self {
        Server {
            name,
            command: r#"["fake-mcp-server"]"#,
            restart: "no",
            env: "{}",
        }
    }

    /// A fake server that hangs (reads, never answers) once `/tmp/hang` exists; `/tmp` is a
    /// tmpfs, so a restart heals it.
    pub(crate) fn hangable(name: &'static str) -> Self {
        Server {
            command: r#"["sh", "-c", "test -e /tmp/hang && export FAKE_MCP_MODE=hang; exec fake-mcp-server"]"#,
            ..Server::fake(name)
        }
    }

    /// A fake server that floods stdout with one endless line once `/tmp/flood` exists.
    pub(crate) fn floodable(name: &'static str) -> Self {
        Server {
            command: r#"["sh", "-c", "test -e /tmp/flood && export FAKE_MCP_MODE=flood; exec fake-mcp-server"]"#,
            ..Server::fake(name)
        }
    }

    fn toml(&self) -> String {
        let mut allow = vec![
            r#"{ rule = "MCP016", reason = "a local test image, built by scripts/build-test-images" }"#,
        ];
        if self.restart == "no" {
            allow.push(r#"{ rule = "MCP019", reason = "the monitor under test restarts it" }"#);
        }
        format!(
            "[servers.{name}]\nimage = \"{FAKE_IMAGE}\"\ncommand = {command}\nrestart = \"{restart}\"\nenv = {env}\nallow = [{allow}]\n",
            name = self.name,
            command = self.command,
            restart = self.restart,
            env = self.env,
            allow = allow.join(", ")
        )
    }
}

/// A stack built by `mcpgen build` from a test mcp.toml and brought up by Compose, torn down on
/// drop.
pub(crate) struct Stack {
    pub(crate) name: String,
    dir: tempfile::TempDir,
    /// Environment for `docker compose` (the monitor service's socket and group).
    compose_env: Vec<(String, String)>,
}

impl Stack {
    /// `monitor` is the `[monitor]` table's body; `enabled = false` unless it says otherwise.
    pub(crate) fn new(test: &str, monitor: &str, servers: &[Server]) -> Self {
        engine();
        let name = format!("mon-{test}-{}", std::process::id());
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = format!(
            "[stack]\nname = \"{name}\"\n\n[defaults]\nuser = \"1000:1000\"\nread_only = true\ncap_drop = [\"ALL\"]\nno_new_privileges = true\ninit = true\nlimits = {{ cpus = 0.5, memory = \"64M\", pids = 64 }}\ntmpfs = {{ \"/tmp\" = \"1M\" }}\n\n[monitor]\n{monitor}\n\n"
        );
        if !monitor.contains("enabled") {
            config = config.replace("[monitor]\n", "[monitor]\nenabled = false\n");
        }
        for server in servers {
            config.push_str(&server.toml());
            config.push('\n');
        }
        std::fs::write(dir.path().join("mcp.toml"), &config).expect("write mcp.toml");
        let build = Command::new(mcpgen())
            .arg("build")
            .current_dir(dir.path())
            .env("NO_COLOR", "1")
            .env_remove("MCPGEN_CONFIG")
            .output()
            .expect("mcpgen build runs");
        assert!(
            build.status.success(),
            "mcpgen build failed:\n{}\n{config}",
            text(&build)
        );
        Stack {
            name,
            dir,
            compose_env: Vec::new(),
        }
    }

    pub(crate) fn with_compose_env(mut self, key: &str, value: &str) -> Self {
        self.compose_env.push((key.to_string(), value.to_string()));
        self
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    pub(crate) fn container(&self, server: &str) -> String {
        format!("{}-{server}", self.name)
    }

    fn compose(&self, args: &[&str]) -> Output {
        let file = self.path().join("generated/docker-compose.mcp-only.yml");
        Command::new("docker")
            .arg("compose")
            .arg("-f")
            .arg(&file)
            .args(["-p", &self.name])
            .args(args)
            .env("DOCKER_HOST", host(SHARED_SOCKET))
            .envs(self.compose_env.iter().map(|(k, v)| (k, v)))
            .output()
            .expect("docker compose runs")
    }

    /// `docker compose up -d`, then waits until every listed container runs.
    pub(crate) fn up(self, running: &[&str]) -> Self {
        let up = self.compose(&["up", "-d"]);
        assert!(up.status.success(), "compose up failed:\n{}", text(&up));
        for server in running {
            let container = self.container(server);
            wait_until(
                &format!("{container} to run"),
                Duration::from_secs(30),
                || engine_view(&self.name),
                || (state(&container) == "running").then_some(()),
            );
        }
        self
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        let _ = self.compose(&["down", "-v", "--remove-orphans", "-t", "0"]);
        // Anything compose lost track of (a test's extra containers carry the stack label).
        let ids = docker(&[
            "ps",
            "-aq",
            "--filter",
            &format!("label=dev.mcpgen.stack={}", self.name),
        ]);
        for id in stdout(&ids).lines().filter(|l| !l.is_empty()) {
            let _ = docker(&["rm", "-f", id]);
        }
    }
}

/// A line of the monitor's output and when the test received it.
#[derive(Clone, Debug)]
pub(crate) struct Seen {
    pub(crate) at: Instant,
    pub(crate) line: Value,
}

impl Seen {
    pub(crate) fn event(&self) -> &str {
        self.line["event"].as_str().unwrap_or("")
    }
    pub(crate) fn server(&self) -> &str {
        self.line["server"].as_str().unwrap_or("")
    }
    pub(crate) fn action(&self) -> &str {
        self.line["action"].as_str().unwrap_or("")
    }
    pub(crate) fn reason(&self) -> &str {
        self.line["reason"].as_str().unwrap_or("")
    }
}

/// A `mcpgen monitor` process on the host; SIGTERM on drop.
pub(crate) struct Monitor {
    child: Child,
    lines: Arc<Mutex<Vec<Seen>>>,
    stderr: Arc<Mutex<String>>,
    pub(crate) stack: String,
}

impl Monitor {
    pub(crate) fn start(stack: &str, socket: impl AsRef<str>, args: &[&str]) -> Self {
        let mut child = Command::new(mcpgen())
            .args(["monitor", "--stack", stack])
            .args(args)
            .env("DOCKER_HOST", host(socket))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("mcpgen monitor starts");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let stderr = Arc::new(Mutex::new(String::new()));
        let out = child.stdout.take().expect("stdout piped");
        let sink = Arc::clone(&lines);
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                let value = serde_json::from_str::<Value>(&line)
                    .unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
                sink.lock().unwrap().push(Seen {
                    at: Instant::now(),
                    line: value,
                });
            }
        });
        let err = child.stderr.take().expect("stderr piped");
        let sink = Arc::clone(&stderr);
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                let mut text = sink.lock().unwrap();
                text.push_str(&line);
                text.push('\n');
            }
        });
        Monitor {
            child,
            lines,
            stderr,
            stack: stack.to_string(),
        }
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    pub(crate) fn lines(&self) -> Vec<Seen> {
        self.lines.lock().unwrap().clone()
    }

    pub(crate) fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Everything the monitor said and the engine's view, for a failure message.
    pub(crate) fn context(&self) -> String {
        let lines: Vec<String> = self.lines().iter().map(|s| s.line.to_string()).collect();
        format!(
            "monitor stdout:\n{}\nmonitor stderr:\n{}\n{}",
            lines.join("\n"),
            self.stderr(),
            engine_view(&self.stack)
        )
    }

    /// Waits for a line after index `from` that satisfies `pred`; returns its index and it.
    pub(crate) fn wait_for(
        &self,
        what: &str,
        from: usize,
        timeout: Duration,
        pred: impl Fn(&Seen) -> bool,
    ) -> (usize, Seen) {
        wait_until(
            what,
            timeout,
            || self.context(),
            || {
                self.lines()
                    .into_iter()
                    .enumerate()
                    .skip(from)
                    .find(|(_, seen)| pred(seen))
            },
        )
    }

    /// Waits for `event` about `server` after line `from`.
    pub(crate) fn wait_event(
        &self,
        event: &str,
        server: &str,
        from: usize,
        timeout: Duration,
    ) -> (usize, Seen) {
        self.wait_for(&format!("`{event}` for `{server}`"), from, timeout, |s| {
            s.event() == event && s.server() == server
        })
    }

    /// Waits until `witness` has answered `count` more probes after line `from`: that many
    /// intervals have passed by the monitor's own clock (each probe is logged with
    /// `--verbose`). What must not happen meanwhile is checked against these, not a timer.
    pub(crate) fn wait_intervals(
        &self,
        witness: &str,
        count: usize,
        from: usize,
        timeout: Duration,
    ) -> usize {
        let mut at = from;
        for _ in 0..count {
            at = self.wait_event("probe_ok", witness, at, timeout).0 + 1;
        }
        at
    }

    /// Whether `witness` has answered `count` probes after line `from`.
    pub(crate) fn intervals_passed(&self, witness: &str, count: usize, from: usize) -> bool {
        let lines = self.lines();
        lines[from.min(lines.len())..]
            .iter()
            .filter(|s| s.event() == "probe_ok" && s.server() == witness)
            .count()
            >= count
    }

    /// Waits until the server answered a probe (it is being watched).
    pub(crate) fn wait_healthy(&self, server: &str, timeout: Duration) -> usize {
        self.wait_event("probe_ok", server, 0, timeout).0
    }

    pub(crate) fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// SIGTERM, then the exit status (killed after 10 s).
    pub(crate) fn stop(&mut self) -> Option<i32> {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        None
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        if self.alive() {
            self.stop();
        }
    }
}

/// A private API endpoint on its own socket, for the same containers as the shared engine:
/// tests may stop and start it, or open its permissions, without disturbing anyone else.
///
/// On Podman it is a second API service (`scripts/engine-up` with `MCPGEN_ENGINE_SOCK`); the
/// containers run on under conmon while it is down. Docker Engine's API is the daemon itself
/// (stopping it would stop every container of every test), so there a relay in this process
/// passes the socket's connections through to the shared dockerd, and `down` closes the socket
/// and every connection: to a client, the API is gone; the engine and its containers run on.
pub(crate) struct PrivateEngine {
    pub(crate) socket: String,
    relay: Option<Relay>,
}

impl PrivateEngine {
    pub(crate) fn start(tag: &str) -> Self {
        let kind = engine();
        let socket = format!("/tmp/mcpgen-monitor-{tag}-{}.sock", std::process::id());
        let relay = (kind == EngineKind::Docker).then(|| Relay::new(&socket, SHARED_SOCKET));
        let engine = PrivateEngine { socket, relay };
        engine.up();
        engine
    }

    pub(crate) fn up(&self) {
        let started = match &self.relay {
            Some(relay) => relay.up(),
            None => run_script(
                "engine-up",
                &["podman"],
                &[("MCPGEN_ENGINE_SOCK", &self.socket)],
            )
            .map(drop),
        };
        if let Err(message) = started {
            panic!("cannot start a private engine service:\n{message}");
        }
    }

    pub(crate) fn down(&self) {
        let stopped = match &self.relay {
            Some(relay) => {
                relay.down();
                Ok(())
            }
            None => run_script(
                "engine-down",
                &["podman"],
                &[("MCPGEN_ENGINE_SOCK", &self.socket)],
            )
            .map(drop),
        };
        if let Err(message) = stopped {
            panic!("cannot stop the private engine service:\n{message}");
        }
    }
}

impl Drop for PrivateEngine {
    fn drop(&mut self) {
        match &self.relay {
            Some(relay) => relay.down(),
            None => {
                let _ = run_script(
                    "engine-down",
                    &["podman"],
                    &[("MCPGEN_ENGINE_SOCK", &self.socket)],
                );
            }
        }
    }
}

/// Passes every connection to a unix socket through to another one, byte for byte (HTTP,
/// event streams and the upgraded connections of `exec` alike), until `down`.
struct Relay {
    path: String,
    target: String,
    running: Mutex<Option<Running>>,
}

/// A relay that is up: its accept loop, and every connection it has open (both ends), so that
/// `down` cuts them as an API service going away would.
struct Running {
    stop: Arc<AtomicBool>,
    open: Arc<OpenConnections>,
    accept: JoinHandle<()>,
}

/// The relay's open connections by number: both ends of each, until both directions end.
type OpenConnections = Mutex<HashMap<u64, [UnixStream; 2]>>;

impl Relay {
    fn new(path: &str, target: impl AsRef<str>) -> Self {
        Relay {
            path: path.to_string(),
            target: target.as_ref().to_string(),
            running: Mutex::new(None),
        }
    }

    fn up(&self) -> Result<(), String> {
        let mut running = self.running.lock().unwrap();
        if running.is_some() {
            return Ok(());
        }
        let _ = std::fs::remove_file(&self.path);
        let listener = UnixListener::bind(&self.path)
            .map_err(|e| format!("cannot listen on {}: {e}", self.path))?;
        // Non-blocking accepts, so that the loop sees `stop` within 20 ms.
        listener
            .set_nonblocking(true)
            .map_err(|e| format!("{}: {e}", self.path))?;
        let stop = Arc::new(AtomicBool::new(false));
        let open = Arc::new(Mutex::new(HashMap::new()));
        let target = self.target.clone();
        let accept = {
            let (stop, open) = (Arc::clone(&stop), Arc::clone(&open));
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    match listener.accept() {
                        Ok((client, _)) => relay_connection(client, &target, &open),
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                            std::thread::sleep(Duration::from_millis(20));
                        }
                        Err(_) => break,
                    }
                }
            })
        };
        *running = Some(Running { stop, open, accept });
        Ok(())
    }

    fn down(&self) {
        let Some(running) = self.running.lock().unwrap().take() else {
            return;
        };
        running.stop.store(true, Ordering::SeqCst);
        let _ = running.accept.join();
        let _ = std::fs::remove_file(&self.path);
        for stream in running
            .open
            .lock()
            .unwrap()
            .drain()
            .flat_map(|(_, ends)| ends)
        {
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
    }
}

/// One connection: the client's bytes to the engine and back, each way on its own thread; the
/// end of one direction is passed on as a half close, as the engine's own socket would.
fn relay_connection(client: UnixStream, target: &str, open: &Arc<OpenConnections>) {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let _ = client.set_nonblocking(false);
    let Ok(upstream) = UnixStream::connect(target) else {
        return; // the client sees its connection closed, as with no engine
    };
    let (Ok(client_end), Ok(upstream_end)) = (client.try_clone(), upstream.try_clone()) else {
        return;
    };
    let number = NEXT.fetch_add(1, Ordering::SeqCst);
    open.lock()
        .unwrap()
        .insert(number, [client_end, upstream_end]);
    let directions = Arc::new(AtomicU64::new(2));
    for (from, to) in [
        (client.try_clone(), upstream.try_clone()),
        (upstream.try_clone(), client.try_clone()),
    ] {
        let (Ok(mut from), Ok(mut to)) = (from, to) else {
            continue;
        };
        let (open, directions) = (Arc::clone(open), Arc::clone(&directions));
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut from, &mut to);
            let _ = to.shutdown(std::net::Shutdown::Write);
            if directions.fetch_sub(1, Ordering::SeqCst) == 1 {
                open.lock().unwrap().remove(&number);
            }
        });
    }
}

/// Seconds, for the measurements the tests print.
pub(crate) fn secs(duration: Duration) -> String {
    format!("{:.2} s", duration.as_secs_f64())
}

/// Records a measurement: printed (run with `--nocapture` to see it) and appended to
/// `target/monitor-measurements.txt`.
pub(crate) fn measure(what: &str, value: &str) {
    let line = format!("MEASURE {what}: {value}");
    eprintln!("{line}");
    let path = repo_root().join("target/monitor-measurements.txt");
    if let Ok(mut file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        use std::io::Write;
        let _ = writeln!(file, "{line}");
    }
}
