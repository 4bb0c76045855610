//! The real engine, stacks built by `mcpgen build` and `mcpgen monitor` processes, each with a
//! guard that cleans up even when the test fails.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use serde_json::Value;

pub(crate) const SHARED_SOCKET: &str = "/tmp/podman.sock";
pub(crate) const FAKE_IMAGE: &str = "localhost/mcpgen-test-static:1";

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

fn run_script(script: &str, envs: &[(&str, &str)]) -> Result<String, String> {
    let output = Command::new(repo_root().join("scripts").join(script))
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

/// Brings up the shared engine and the test images once per run. An engine that cannot be
/// had fails the test with the script's own explanation: these tests are never skipped.
pub(crate) fn engine() {
    static READY: OnceLock<Result<(), String>> = OnceLock::new();
    let ready = READY.get_or_init(|| {
        run_script("engine-up", &[("MCPGEN_ENGINE_SOCK", SHARED_SOCKET)])?;
        run_script(
            "build-test-images",
            &[("DOCKER_HOST", &host(SHARED_SOCKET))],
        )?;
        Ok(())
    });
    if let Err(message) = ready {
        panic!("no container engine for the monitor tests:\n{message}");
    }
}

/// The monitor's image, built by `scripts/build-monitor-image` once per run.
pub(crate) fn monitor_image() -> String {
    static IMAGE: OnceLock<Result<String, String>> = OnceLock::new();
    match IMAGE.get_or_init(|| run_script("build-monitor-image", &[])) {
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

pub(crate) fn host(socket: &str) -> String {
    format!("unix://{socket}")
}

/// Runs `docker` against `socket`.
pub(crate) fn docker_at(socket: &str, args: &[&str]) -> Output {
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
/// the `die`.
pub(crate) fn host_kill(container: &str) {
    let pid = stdout(&docker(&["inspect", "-f", "{{.State.Pid}}", container]));
    assert!(
        pid.parse::<u32>().is_ok_and(|p| p > 0),
        "no pid for {container}: {pid}"
    );
    let status = Command::new("kill")
        .args(["-KILL", &pid])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill -KILL {pid} failed");
}

/// A server of a test stack.
pub(crate) struct Server {
    pub(crate) name: &'static str,
    pub(crate) command: &'static str,
    pub(crate) restart: &'static str,
    pub(crate) env: &'static str,
    pub(crate) keepalive: Option<&'static str>,
}

impl Server {
    /// The static fake MCP server, restart policy `no`: only the monitor restarts it.
    pub(crate) fn fake(name: &'static str) -> Self {
        Server {
            name,
            command: r#"["fake-mcp-server"]"#,
            restart: "no",
            env: "{}",
            keepalive: None,
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

    fn toml(&self) -> String {
        let mut allow = vec![
            r#"{ rule = "MCP016", reason = "a local test image, built by scripts/build-test-images" }"#,
        ];
        if self.restart == "no" {
            allow.push(r#"{ rule = "MCP019", reason = "the monitor under test restarts it" }"#);
        }
        let keepalive = self
            .keepalive
            .map(|k| format!("keepalive = {k}\n"))
            .unwrap_or_default();
        format!(
            "[servers.{name}]\nimage = \"{FAKE_IMAGE}\"\ncommand = {command}\nrestart = \"{restart}\"\nenv = {env}\n{keepalive}allow = [{allow}]\n",
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
    pub(crate) fn start(stack: &str, socket: &str, args: &[&str]) -> Self {
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

/// A private Podman API service on its own socket (the same containers as the shared one):
/// tests may stop and start it, or open its permissions, without disturbing anyone else.
pub(crate) struct PrivateEngine {
    pub(crate) socket: String,
}

impl PrivateEngine {
    pub(crate) fn start(tag: &str) -> Self {
        engine();
        let socket = format!("/tmp/mcpgen-monitor-{tag}-{}.sock", std::process::id());
        let engine = PrivateEngine { socket };
        engine.up();
        engine
    }

    pub(crate) fn up(&self) {
        if let Err(message) = run_script("engine-up", &[("MCPGEN_ENGINE_SOCK", &self.socket)]) {
            panic!("cannot start a private engine service:\n{message}");
        }
    }

    pub(crate) fn down(&self) {
        if let Err(message) = run_script("engine-down", &[("MCPGEN_ENGINE_SOCK", &self.socket)]) {
            panic!("cannot stop the private engine service:\n{message}");
        }
    }
}

impl Drop for PrivateEngine {
    fn drop(&mut self) {
        let _ = run_script("engine-down", &[("MCPGEN_ENGINE_SOCK", &self.socket)]);
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
