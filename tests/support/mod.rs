//! The harness of tests/shim.rs: one hermetic [`Sandbox`] per test (temp dirs, a fake `docker`
//! first on PATH, its own lock directory), building a fixture with the real `mcpgen` binary
//! (run as every test runs it: [`harness::Test`]),
//! running a generated shim the way a client does, and reading back what the fake engine
//! (`fake-docker`) and the stand-in MCP server (`stand-in-server`) recorded.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

pub(crate) mod harness;

use harness::{Scratch, Test};

/// The session keeper built with these tests.
pub(crate) const KEEPER: &str = env!("CARGO_BIN_EXE_mcpgen-keeper");

pub(crate) const STAND_IN: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/stand-in-server");
pub(crate) const FAKE_DOCKER: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/fake-docker");
pub(crate) const FIXTURE: &str = include_str!("../fixtures/shim/mcp.toml");
pub(crate) const COMPOSE_FILE: &str = "docker-compose.mcp-only.yml";
/// The fixture's `[stack].name`: the compose project and the containers' prefix.
pub(crate) const STACK: &str = "fixture";

/// Any shim run that takes longer than this has hung: it is killed and the test fails.
pub(crate) const HANG_LIMIT: Duration = Duration::from_secs(15);

/// The fixture, with `local` commands pointing at the stand-in server.
pub(crate) fn fixture() -> String {
    FIXTURE.replace("\"@STAND_IN@\"", &toml_string(STAND_IN))
}

/// A string as a TOML value, escaped by the `toml` crate rather than by hand.
pub(crate) fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

pub(crate) fn container(server: &str) -> String {
    format!("{STACK}-{server}")
}

pub(crate) fn strings(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| (*w).to_string()).collect()
}

/// `docker inspect` as the shim asks it, without the leading `docker`.
pub(crate) fn inspect(server: &str) -> Vec<String> {
    let mut argv = strings(&["inspect", "--type", "container", "--format"]);
    argv.push(
        r#"{{.State.Status}}|{{index .Config.Labels "dev.mcpgen.stack"}}|{{index .Config.Labels "dev.mcpgen.server"}}|{{index .Config.Labels "com.docker.compose.project"}}"#
            .to_string(),
    );
    argv.push(container(server));
    argv
}

/// `docker compose … up` as the shim asks it, without the leading `docker`.
pub(crate) fn compose_up(bundle: &Path, server: &str) -> Vec<String> {
    let compose = bundle.join(COMPOSE_FILE);
    let mut argv = strings(&["compose", "-f"]);
    argv.push(compose.to_str().expect("UTF-8 path").to_string());
    argv.extend(strings(&["-p", STACK, "up", "-d", "--no-recreate", server]));
    argv
}

/// `docker exec` as the shim runs it, without the leading `docker`.
pub(crate) fn exec(server: &str, secrets: &[&str], command: &[String]) -> Vec<String> {
    let mut argv = strings(&["exec", "-i"]);
    for name in secrets {
        argv.push("-e".to_string());
        argv.push((*name).to_string());
    }
    argv.push(container(server));
    // Every session goes through mcpgen's helper in the container, which holds one of the
    // server's session slots (the fixture's limits hold one session: 128M, 32 pids).
    argv.extend(strings(&[
        "/opt/mcpgen/mcpgen-helper",
        "session",
        "--server",
        server,
    ]));
    argv.extend(strings(&["--max", "1", "--"]));
    argv.extend(command.iter().cloned());
    argv
}

/// One request line of newline-delimited JSON-RPC.
pub(crate) fn request(id: &Value, method: &str) -> String {
    serde_json::json!({"jsonrpc": "2.0", "id": id, "method": method, "params": {}}).to_string()
        + "\n"
}

pub(crate) fn initialize(id: &Value) -> String {
    serde_json::json!({
        "jsonrpc": "2.0",
        "id": id,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "shim-test", "version": "1"}
        }
    })
    .to_string()
        + "\n"
}

/// A field-by-field reader of the NUL-separated records the fakes write.
struct Fields<'a> {
    fields: std::vec::IntoIter<&'a [u8]>,
    what: &'a str,
}

impl<'a> Fields<'a> {
    fn new(bytes: &'a [u8], what: &'a str) -> Self {
        let mut fields: Vec<&[u8]> = bytes.split(|b| *b == 0).collect();
        // Every field ends with a NUL, so the last split is empty.
        assert_eq!(fields.pop(), Some(&b""[..]), "{what}: truncated record");
        Fields {
            fields: fields.into_iter(),
            what,
        }
    }

    fn next(&mut self) -> Option<String> {
        self.fields.next().map(|f| {
            String::from_utf8(f.to_vec())
                .unwrap_or_else(|e| panic!("{}: field is not UTF-8: {e}", self.what))
        })
    }

    fn expect(&mut self) -> String {
        self.next()
            .unwrap_or_else(|| panic!("{}: truncated record", self.what))
    }

    fn counted(&mut self) -> Vec<String> {
        let count: usize = self.expect().parse().expect("a count");
        (0..count).map(|_| self.expect()).collect()
    }
}

/// One call of the fake `docker`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Call {
    pub(crate) pid: String,
    /// Without the leading `docker`.
    pub(crate) argv: Vec<String>,
}

/// What the stand-in server saw when it started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ServerRun {
    /// `container:<name>` under the fake engine, `local` for a local command.
    pub(crate) via: String,
    pub(crate) argv: Vec<String>,
    /// The variables named in FAKE_SERVER_REPORT_ENV: `Some(value)` when set.
    pub(crate) env: BTreeMap<String, Option<String>>,
}

fn env_entries(entries: Vec<String>) -> BTreeMap<String, Option<String>> {
    entries
        .into_iter()
        .map(|entry| match entry.split_once('=') {
            Some((name, value)) => (name.to_string(), Some(value.to_string())),
            None => (entry, None),
        })
        .collect()
}

/// How a shim run gets its stdin.
#[derive(Debug, Clone)]
pub(crate) enum Input {
    /// These bytes, then EOF: a client that sent its requests and hung up.
    Bytes(String),
    /// Nothing, and never EOF while the shim runs: a client that opened it and waits.
    Silent,
}

/// A finished shim run.
#[derive(Debug)]
pub(crate) struct Outcome {
    pub(crate) status: ExitStatus,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
    pub(crate) elapsed: Duration,
}

impl Outcome {
    /// Every stdout line as JSON: stdout carries only the protocol.
    pub(crate) fn messages(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .map(|line| {
                serde_json::from_str(line).unwrap_or_else(|e| {
                    panic!(
                        "stdout line is not JSON ({e}): {line:?}\n{}",
                        self.context()
                    )
                })
            })
            .collect()
    }

    /// The single JSON-RPC error answer of a shim that could not reach its server.
    pub(crate) fn error_answer(&self) -> (Value, String) {
        let messages = self.messages();
        assert_eq!(
            messages.len(),
            1,
            "exactly one answer expected\n{}",
            self.context()
        );
        let answer = &messages[0];
        let object = answer.as_object().expect("an object");
        let keys: Vec<&str> = object.keys().map(String::as_str).collect();
        assert_eq!(keys, ["jsonrpc", "id", "error"], "{}", self.context());
        assert_eq!(answer["jsonrpc"], "2.0");
        assert_eq!(answer["error"]["code"], -32000, "{}", self.context());
        let error_keys: Vec<&str> = answer["error"]
            .as_object()
            .expect("error object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(error_keys, ["code", "message"]);
        let message = answer["error"]["message"]
            .as_str()
            .expect("a string message")
            .to_string();
        assert!(!self.status.success(), "a failure exits non-zero");
        (answer["id"].clone(), message)
    }

    pub(crate) fn context(&self) -> String {
        format!(
            "status: {:?}, {:?}\n--- stdout\n{}--- stderr\n{}",
            self.status, self.elapsed, self.stdout, self.stderr
        )
    }
}

/// A shim started but not yet finished, so that many can run at once.
pub(crate) struct Running {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: Receiver<Vec<u8>>,
    stderr: Receiver<Vec<u8>>,
    started: Instant,
    limit: Duration,
}

fn drain(mut pipe: impl Read + Send + 'static) -> Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        let _ = tx.send(bytes);
    });
    rx
}

impl Running {
    /// Waits for the shim, killing it (and failing) past the run's limit. Readers are not
    /// joined blindly: a process the shim left behind may still hold stdout open, and that is
    /// a failure to report, not a reason to hang the suite.
    pub(crate) fn wait(mut self) -> Outcome {
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                break status;
            }
            if self.started.elapsed() > self.limit {
                let _ = self.child.kill();
                let _ = self.child.wait();
                let stderr = self
                    .stderr
                    .recv_timeout(Duration::from_secs(1))
                    .unwrap_or_default();
                panic!(
                    "the shim did not exit within {:?}\n--- stderr\n{}",
                    self.limit,
                    String::from_utf8_lossy(&stderr)
                );
            }
            thread::sleep(Duration::from_millis(5));
        };
        let elapsed = self.started.elapsed();
        drop(self.stdin.take());
        let collect = |rx: &Receiver<Vec<u8>>, name: &str| {
            let bytes = rx.recv_timeout(Duration::from_secs(3)).unwrap_or_else(|_| {
                panic!(
                    "the shim exited but its {name} is still held open by a process it left behind"
                )
            });
            String::from_utf8(bytes).unwrap_or_else(|e| panic!("{name} is not UTF-8: {e}"))
        };
        Outcome {
            status,
            stdout: collect(&self.stdout, "stdout"),
            stderr: collect(&self.stderr, "stderr"),
            elapsed,
        }
    }
}

/// How to run one shim.
pub(crate) struct Run<'a> {
    sandbox: &'a Sandbox,
    program: PathBuf,
    /// Run as `bash <shim>` (as the brief's clients do) or exec'd directly (as the generated
    /// client configs do, through its shebang and executable bit).
    via_bash: bool,
    cwd: PathBuf,
    env: BTreeMap<String, Option<OsString>>,
    input: Input,
    limit: Duration,
}

impl Run<'_> {
    pub(crate) fn env(mut self, name: &str, value: impl Into<OsString>) -> Self {
        self.env.insert(name.to_string(), Some(value.into()));
        self
    }

    pub(crate) fn unset(mut self, name: &str) -> Self {
        self.env.insert(name.to_string(), None);
        self
    }

    pub(crate) fn profile(self, profile: &str) -> Self {
        self.env("MCPGEN_PROFILE", profile)
    }

    pub(crate) fn mode(self, mode: &str) -> Self {
        self.env("MCPGEN_MODE", mode)
    }

    pub(crate) fn input(mut self, input: Input) -> Self {
        self.input = input;
        self
    }

    pub(crate) fn send(self, bytes: impl Into<String>) -> Self {
        self.input(Input::Bytes(bytes.into()))
    }

    pub(crate) fn cwd(mut self, cwd: impl Into<PathBuf>) -> Self {
        self.cwd = cwd.into();
        self
    }

    /// Another path to the shim, e.g. relative to `cwd`.
    pub(crate) fn program(mut self, program: impl Into<PathBuf>) -> Self {
        self.program = program.into();
        self
    }

    pub(crate) fn direct(mut self) -> Self {
        self.via_bash = false;
        self
    }

    pub(crate) fn spawn(&self) -> Running {
        let mut command = if self.via_bash {
            let mut command = Command::new("/bin/bash");
            command.arg(&self.program);
            command
        } else {
            Command::new(&self.program)
        };
        command
            .env_clear()
            .current_dir(&self.cwd)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (name, value) in &self.env {
            if let Some(value) = value {
                command.env(name, value);
            }
        }
        let started = Instant::now();
        let mut child = command.spawn().expect("spawn the shim");
        let mut stdin = child.stdin.take();
        if let Input::Bytes(bytes) = &self.input {
            let mut pipe = stdin.take().expect("stdin");
            let bytes = bytes.clone();
            // A thread, so a shim that never reads cannot block the test on a full pipe.
            thread::spawn(move || {
                let _ = pipe.write_all(bytes.as_bytes());
            });
        }
        Running {
            stdout: drain(child.stdout.take().expect("stdout")),
            stderr: drain(child.stderr.take().expect("stderr")),
            child,
            stdin,
            started,
            limit: self.limit,
        }
    }

    /// Runs the shim to the end, then checks that it left no process behind.
    pub(crate) fn run(&self) -> Outcome {
        let outcome = self.spawn().wait();
        self.sandbox.assert_no_strays();
        outcome
    }
}

/// Everything one test needs, in its own temp dir: the fake engine's state and logs, a home, a
/// runtime dir for the shims' lock files, a TMPDIR, and a project to build.
pub(crate) struct Sandbox {
    scratch: Scratch,
}

impl Default for Sandbox {
    fn default() -> Self {
        Self::new()
    }
}

impl Sandbox {
    pub(crate) fn new() -> Self {
        let sandbox = Sandbox {
            scratch: Scratch::with_prefix("mcpgen-shim-"),
        };
        for sub in ["bin", "home", "run", "tmp", "records", "project"] {
            fs::create_dir(sandbox.path(sub)).expect("create sandbox dir");
        }
        std::os::unix::fs::symlink(FAKE_DOCKER, sandbox.path("bin/docker")).expect("symlink");
        sandbox.set_state("running");
        sandbox
    }

    pub(crate) fn root(&self) -> &Path {
        self.scratch.path()
    }

    pub(crate) fn path(&self, relative: &str) -> PathBuf {
        self.scratch.join(relative)
    }

    /// The sandbox's `home/`: mcpgen's `HOME`, and the shims'.
    pub(crate) fn home(&self) -> PathBuf {
        self.scratch.home()
    }

    pub(crate) fn set_state(&self, state: &str) {
        fs::write(self.path("state"), format!("{state}\n")).expect("write state");
    }

    pub(crate) fn state(&self) -> String {
        fs::read_to_string(self.path("state"))
            .expect("read state")
            .trim()
            .to_string()
    }

    /// Writes `text` as the project's mcp.toml and builds it; returns the bundle directory
    /// (canonical, as the shim's `pwd -P` sees it).
    /// `mcpgen build`, and the session keeper into the out directory's `bin/`.
    pub(crate) fn build(&self, text: &str) -> PathBuf {
        self.build_with(text, &[])
    }

    pub(crate) fn build_with(&self, text: &str, env: &[(&str, &str)]) -> PathBuf {
        let config = self.path("project/mcp.toml");
        fs::write(&config, text).expect("write mcp.toml");
        // The fake engine labels containers as compose labels this stack's.
        let stack = text
            .parse::<toml::Table>()
            .ok()
            .and_then(|t| t.get("stack")?.get("name")?.as_str().map(String::from))
            .unwrap_or_default();
        fs::write(self.path("stack-name"), stack).expect("write stack-name");
        let mut build = self.mcpgen().arg("build").stderr_any();
        for (name, value) in env {
            build = build.env(name, value);
        }
        build.run();
        let bundle = fs::canonicalize(self.path("project/generated")).expect("bundle dir");
        // As `mcpgen install` does: the shims run through the session keeper, as users' do.
        fs::create_dir_all(bundle.join("bin")).expect("bundle bin dir");
        fs::copy(KEEPER, bundle.join("bin/mcpgen-keeper")).expect("copy mcpgen-keeper");
        bundle
    }

    /// mcpgen in the sandbox's `project/`, on its `mcp.toml`.
    pub(crate) fn mcpgen(&self) -> Test {
        Test::in_scratch(self.scratch.clone())
            .current_dir("project")
            .arg("--config")
            .arg(self.path("project/mcp.toml"))
    }

    /// A client's launch of `bundle/shims/hardened_<server>.sh`, with the fake engine first on
    /// a short PATH and every timeout small.
    pub(crate) fn shim(&self, bundle: &Path, server: &str) -> Run<'_> {
        let program = bundle.join(format!("shims/hardened_{server}.sh"));
        let path_var = format!("{}:/usr/bin:/bin", self.path("bin").display());
        let mut env: BTreeMap<String, Option<OsString>> = BTreeMap::new();
        let mut set = |name: &str, value: OsString| {
            env.insert(name.to_string(), Some(value));
        };
        set("PATH", path_var.into());
        set("HOME", self.home().into());
        set("LANG", "C.UTF-8".into());
        set("XDG_RUNTIME_DIR", self.path("run").into());
        set("TMPDIR", self.path("tmp").into());
        set("MCPGEN_INSPECT_TIMEOUT", "1".into());
        set("MCPGEN_START_TIMEOUT", "5".into());
        set("MCPGEN_ANSWER_TIMEOUT", "2".into());
        set("FAKE_DOCKER_LOG", self.path("docker.log").into());
        set("FAKE_DOCKER_ENV_LOG", self.path("docker-env.log").into());
        set("FAKE_DOCKER_STATE", self.path("state").into());
        set("FAKE_DOCKER_PIDS", self.path("hung.pids").into());
        set("FAKE_DOCKER_SERVER", STAND_IN.into());
        set("FAKE_DOCKER_UP_DELAY", "0.3".into());
        set("FAKE_DOCKER_HANG_SECONDS", "60".into());
        // Inherited by everything the shim starts: how strays are found (see `strays`).
        set("FAKE_DOCKER_SANDBOX", self.root().into());
        set("FAKE_SERVER_RECORDS", self.path("records").into());
        set(
            "FAKE_DOCKER_COMPOSE_ENV",
            self.path("compose-env.log").into(),
        );
        set(
            "FAKE_DOCKER_PROJECT",
            fs::read_to_string(self.path("stack-name"))
                .unwrap_or_default()
                .into(),
        );
        Run {
            sandbox: self,
            program,
            via_bash: true,
            cwd: self.home(),
            env,
            input: Input::Bytes(initialize(&Value::from(1))),
            limit: HANG_LIMIT,
        }
    }

    fn read_optional(&self, relative: &str) -> Vec<u8> {
        match fs::read(self.path(relative)) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => panic!("read {relative}: {e}"),
        }
    }

    /// Every call of the fake `docker`, in the order they were logged.
    pub(crate) fn calls(&self) -> Vec<Call> {
        let bytes = self.read_optional("docker.log");
        let mut fields = Fields::new_or_empty(&bytes, "docker.log");
        let mut calls = Vec::new();
        while let Some(pid) = fields.next() {
            calls.push(Call {
                pid,
                argv: fields.counted(),
            });
        }
        calls
    }

    /// Just the argv of each call.
    pub(crate) fn argvs(&self) -> Vec<Vec<String>> {
        self.calls().into_iter().map(|c| c.argv).collect()
    }

    /// The raw bytes of the argv log, for canary searches.
    pub(crate) fn argv_log(&self) -> Vec<u8> {
        self.read_optional("docker.log")
    }

    /// For each `docker exec`: the `-e` variables and the values the fake engine saw.
    pub(crate) fn exec_envs(&self) -> Vec<BTreeMap<String, Option<String>>> {
        let bytes = self.read_optional("docker-env.log");
        let mut fields = Fields::new_or_empty(&bytes, "docker-env.log");
        let mut records = Vec::new();
        while fields.next().is_some() {
            records.push(env_entries(fields.counted()));
        }
        records
    }

    /// Every start of the stand-in server, in no particular order.
    pub(crate) fn server_runs(&self) -> Vec<ServerRun> {
        let mut runs = Vec::new();
        for entry in fs::read_dir(self.path("records")).expect("records dir") {
            let path = entry.expect("entry").path();
            if path.extension().is_none_or(|e| e != "rec") {
                continue;
            }
            let bytes = fs::read(&path).expect("read record");
            let mut fields = Fields::new(&bytes, "stand-in record");
            runs.push(ServerRun {
                via: fields.expect(),
                argv: fields.counted(),
                env: env_entries(fields.counted()),
            });
            assert!(fields.next().is_none(), "trailing fields in a record");
        }
        runs
    }

    /// The one start of the stand-in server.
    pub(crate) fn server_run(&self) -> ServerRun {
        let mut runs = self.server_runs();
        assert_eq!(runs.len(), 1, "exactly one server start expected: {runs:?}");
        runs.remove(0)
    }

    fn hung_pids(&self) -> Vec<u32> {
        String::from_utf8_lossy(&self.read_optional("hung.pids"))
            .lines()
            .filter_map(|l| l.trim().parse().ok())
            .collect()
    }

    /// Processes that carry this sandbox's marker in their environment, other than the fake
    /// engine's deliberately hung children: whatever a shim started and left running. Linux
    /// only (it reads /proc); elsewhere nothing is found.
    pub(crate) fn strays(&self) -> Vec<String> {
        let marker = format!("FAKE_DOCKER_SANDBOX={}", self.root().display()).into_bytes();
        let allowed = self.hung_pids();
        let Ok(entries) = fs::read_dir("/proc") else {
            return Vec::new();
        };
        let mut found = Vec::new();
        for entry in entries.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|s| s.parse::<u32>().ok())
            else {
                continue;
            };
            if allowed.contains(&pid) {
                continue;
            }
            let Ok(environ) = fs::read(entry.path().join("environ")) else {
                continue;
            };
            if environ
                .split(|b| *b == 0)
                .any(|var| var == marker.as_slice())
            {
                let cmdline = fs::read(entry.path().join("cmdline")).unwrap_or_default();
                let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
                found.push(format!("{pid}: {cmdline}"));
            }
        }
        found
    }

    /// Fails if a process the shim started outlives it (after a short grace for exits in
    /// flight).
    pub(crate) fn assert_no_strays(&self) {
        let deadline = Instant::now() + Duration::from_millis(500);
        loop {
            let strays = self.strays();
            if strays.is_empty() {
                return;
            }
            if Instant::now() > deadline {
                panic!("processes left behind by the shim:\n{}", strays.join("\n"));
            }
            thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Fields<'_> {
    fn new_or_empty<'b>(bytes: &'b [u8], what: &'b str) -> Fields<'b> {
        if bytes.is_empty() {
            Fields {
                fields: Vec::new().into_iter(),
                what,
            }
        } else {
            Fields::new(bytes, what)
        }
    }
}

impl Drop for Sandbox {
    /// The fake engine's hung `inspect` leaves a sleeping child on purpose; end it with the
    /// test rather than let it sleep for a minute.
    fn drop(&mut self) {
        for pid in self.hung_pids() {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// Every file under `dir`, recursively.
pub(crate) fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Copies a directory tree (files and directories only), keeping file modes.
pub(crate) fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("create dir");
    for entry in fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// Whether `needle` occurs in `haystack`.
pub(crate) fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}

/// Runs shellcheck on `files`; returns its findings (empty when clean). Fails, never skips,
/// when shellcheck is missing: shims that pass shellcheck are a requirement.
#[cfg(feature = "tool-tests")]
pub(crate) fn shellcheck(files: &[PathBuf]) -> String {
    let output = Command::new("shellcheck")
        .arg("--format=gcc")
        .args(files)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "shellcheck is required to test the shims and could not be run ({e}): \
                 install it (`apt-get install shellcheck`, `brew install shellcheck`)"
            )
        });
    let findings = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success() || !findings.is_empty(),
        "shellcheck failed without findings: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    findings
}
