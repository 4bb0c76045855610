//! One way to run the `mcpgen` binary in a test, shared by every test binary that runs it
//! (tests/cli, tests/shim.rs): a [`Test`] sets up a scratch directory, runs mcpgen in it with a
//! clean environment, and checks its exit status, stdout and stderr — all three, always:
//!
//! ```text
//! let built = Test::fixture("minimal")
//!     .arg("build")
//!     .stderr("mini: 3 file(s) in generated/, 3 changed\n")
//!     .run();
//! built.write("mcp.toml", &built.read("mcp.toml").replace("pids = 64", "pids = 65"));
//! built
//!     .then()
//!     .arg("check")
//!     .status(1)
//!     .stdout_contains("+          pids: 65")
//!     .stderr_any()
//!     .run();
//! ```
//!
//! Unless a test says otherwise, a run must exit 0 and print nothing: a test that expects output
//! says what (exactly, or what it must contain), or says it reads the stream itself
//! ([`Test::stdout_any`]). A run that breaks an expectation fails showing the command, its
//! status and both streams.
//!
//! Hermetic: mcpgen runs in the scratch directory with only `PATH` from the test's own
//! environment, `HOME` at `<scratch>/home` and `NO_COLOR=1`; the files a test starts from are
//! written by it or copied from the repository's `tests/fixtures/`.

// Each test binary that includes this module uses a part of it.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::rc::Rc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The mcpgen built with these tests.
pub(crate) const MCPGEN: &str = env!("CARGO_BIN_EXE_mcpgen");

/// A run that takes longer than this has hung: it is killed and the test fails.
const TIMEOUT: Duration = Duration::from_secs(60);

/// A path in the repository.
pub(crate) fn repo(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// A path below `tests/fixtures/`.
pub(crate) fn fixture(relative: &str) -> PathBuf {
    repo("tests/fixtures").join(relative)
}

/// The text of a file in the repository.
pub(crate) fn repo_text(relative: &str) -> String {
    read(&repo(relative))
}

/// The text of a file below `tests/fixtures/`.
pub(crate) fn fixture_text(relative: &str) -> String {
    read(&fixture(relative))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// A test's scratch directory, removed when the last [`Test`] or [`Output`] holding it is
/// dropped. mcpgen runs in it (unless [`Test::current_dir`] says where below it), and its `home/`
/// is mcpgen's `HOME`.
#[derive(Clone)]
pub(crate) struct Scratch(Rc<tempfile::TempDir>);

impl Scratch {
    pub(crate) fn new() -> Self {
        Self::with_prefix(".tmp")
    }

    pub(crate) fn with_prefix(prefix: &str) -> Self {
        let dir = tempfile::Builder::new()
            .prefix(prefix)
            .tempdir()
            .expect("a temp dir");
        Self(Rc::new(dir))
    }

    pub(crate) fn path(&self) -> &Path {
        self.0.path()
    }

    /// `relative` below the scratch directory.
    pub(crate) fn join(&self, relative: impl AsRef<Path>) -> PathBuf {
        let relative = relative.as_ref();
        assert!(
            relative.is_relative(),
            "{} is not inside the scratch directory",
            relative.display()
        );
        self.path().join(relative)
    }

    /// mcpgen's `HOME` unless a test sets another: `home/`, made when something is put there.
    pub(crate) fn home(&self) -> PathBuf {
        self.join("home")
    }

    pub(crate) fn read(&self, relative: &str) -> String {
        read(&self.join(relative))
    }

    /// Writes `text` to `relative`, making its directory.
    pub(crate) fn write(&self, relative: &str, text: &str) {
        let path = self.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("make the directory");
        }
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("write {relative}: {e}"));
    }

    pub(crate) fn exists(&self, relative: &str) -> bool {
        self.join(relative).exists()
    }

    /// Every file below `relative`, sorted, as `/`-separated paths relative to it.
    pub(crate) fn files(&self, relative: &str) -> Vec<String> {
        let root = self.join(relative);
        let mut files = Vec::new();
        let mut pending = vec![root.clone()];
        while let Some(dir) = pending.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    pending.push(path);
                } else {
                    let rel = path.strip_prefix(&root).expect("below root");
                    files.push(rel.to_string_lossy().replace('\\', "/"));
                }
            }
        }
        files.sort();
        files
    }

    /// Copies `names` from the fixture directory `dir` (below `tests/fixtures/`); every file in
    /// it when `names` is empty.
    pub(crate) fn copy_fixtures(&self, dir: &str, names: &[&str]) {
        let from = fixture(dir);
        let names: Vec<OsString> = if names.is_empty() {
            let mut all: Vec<OsString> = std::fs::read_dir(&from)
                .unwrap_or_else(|e| panic!("{}: {e}", from.display()))
                .map(|entry| entry.expect("entry").file_name())
                .collect();
            all.sort();
            all
        } else {
            names.iter().map(OsString::from).collect()
        };
        for name in names {
            std::fs::copy(from.join(&name), self.path().join(&name))
                .unwrap_or_else(|e| panic!("copy {dir}/{}: {e}", name.to_string_lossy()));
        }
    }
}

/// What a run's stdout or stderr must be.
#[derive(Clone, Debug)]
enum Expect {
    /// Exactly this text (the default: nothing).
    Exactly(String),
    /// Text holding each of these.
    Contains(Vec<String>),
    /// Anything: the test reads it itself.
    Any,
}

impl Expect {
    fn contains(self, text: &str) -> Self {
        match self {
            Expect::Contains(mut all) => {
                all.push(text.to_string());
                Expect::Contains(all)
            }
            _ => Expect::Contains(vec![text.to_string()]),
        }
    }

    /// Why `actual` does not meet the expectation, if it does not.
    fn check(&self, name: &str, actual: &str) -> Option<String> {
        match self {
            Expect::Exactly(text) if actual != text => {
                Some(format!("{name}: expected exactly\n{text}\n--- (end)"))
            }
            Expect::Contains(all) => {
                let missing: Vec<&String> = all.iter().filter(|t| !actual.contains(*t)).collect();
                (!missing.is_empty()).then(|| format!("{name}: missing {missing:#?}"))
            }
            _ => None,
        }
    }
}

/// One run of mcpgen: where, with what, and what it must do. Built up, then [`Test::run`].
#[derive(Clone)]
pub(crate) struct Test {
    scratch: Scratch,
    current_dir: PathBuf,
    env: BTreeMap<OsString, OsString>,
    args: Vec<OsString>,
    stdin: Option<Vec<u8>>,
    status: i32,
    stdout: Expect,
    stderr: Expect,
    timeout: Duration,
}

impl Default for Test {
    fn default() -> Self {
        Self::new()
    }
}

impl Test {
    /// A run in a new, empty scratch directory.
    pub(crate) fn new() -> Self {
        Self::in_scratch(Scratch::new())
    }

    /// A run in `scratch`, with the default environment and expectations.
    pub(crate) fn in_scratch(scratch: Scratch) -> Self {
        let mut env = BTreeMap::new();
        if let Some(path) = std::env::var_os("PATH") {
            env.insert("PATH".into(), path);
        }
        env.insert("HOME".into(), scratch.home().into_os_string());
        env.insert("NO_COLOR".into(), "1".into());
        Self {
            scratch,
            current_dir: PathBuf::new(),
            env,
            args: Vec::new(),
            stdin: None,
            status: 0,
            stdout: Expect::Exactly(String::new()),
            stderr: Expect::Exactly(String::new()),
            timeout: TIMEOUT,
        }
    }

    /// A project whose mcp.toml is `tests/fixtures/config/<name>/mcp.toml`.
    pub(crate) fn fixture(name: &str) -> Self {
        Self::new().mcp_toml(&fixture_text(&format!("config/{name}/mcp.toml")))
    }

    /// A project whose mcp.toml is the repository's own.
    pub(crate) fn bundled() -> Self {
        Self::new().mcp_toml(&repo_text("mcp.toml"))
    }

    pub(crate) fn scratch(&self) -> &Scratch {
        &self.scratch
    }

    /// Writes `text` to `relative` in the scratch directory, now.
    pub(crate) fn file(self, relative: &str, text: &str) -> Self {
        self.scratch.write(relative, text);
        self
    }

    pub(crate) fn mcp_toml(self, text: &str) -> Self {
        self.file("mcp.toml", text)
    }

    /// Copies fixture files into the scratch directory, now (see [`Scratch::copy_fixtures`]).
    pub(crate) fn fixture_files(self, dir: &str, names: &[&str]) -> Self {
        self.scratch.copy_fixtures(dir, names);
        self
    }

    /// Runs in `relative` below the scratch directory, made if missing.
    pub(crate) fn current_dir(mut self, relative: &str) -> Self {
        let dir = self.scratch.join(relative);
        std::fs::create_dir_all(&dir).expect("make the working directory");
        self.current_dir = relative.into();
        self
    }

    pub(crate) fn env(mut self, name: &str, value: impl AsRef<OsStr>) -> Self {
        self.env.insert(name.into(), value.as_ref().to_owned());
        self
    }

    pub(crate) fn env_remove(mut self, name: &str) -> Self {
        self.env.remove(OsStr::new(name));
        self
    }

    pub(crate) fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    pub(crate) fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    /// These bytes on stdin, then end of file (by default stdin is empty).
    pub(crate) fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(bytes.into());
        self
    }

    /// The exit code it must end with (by default 0).
    pub(crate) fn status(mut self, code: i32) -> Self {
        self.status = code;
        self
    }

    /// Exactly this on stdout (by default nothing).
    pub(crate) fn stdout(mut self, text: &str) -> Self {
        self.stdout = Expect::Exactly(text.to_string());
        self
    }

    /// Stdout holds `text`, and whatever else each `stdout_contains` names.
    pub(crate) fn stdout_contains(mut self, text: &str) -> Self {
        self.stdout = self.stdout.contains(text);
        self
    }

    /// Any stdout: the test reads it itself.
    pub(crate) fn stdout_any(mut self) -> Self {
        self.stdout = Expect::Any;
        self
    }

    /// Exactly this on stderr (by default nothing).
    pub(crate) fn stderr(mut self, text: &str) -> Self {
        self.stderr = Expect::Exactly(text.to_string());
        self
    }

    /// Stderr holds `text`, and whatever else each `stderr_contains` names.
    pub(crate) fn stderr_contains(mut self, text: &str) -> Self {
        self.stderr = self.stderr.contains(text);
        self
    }

    /// Any stderr: the test reads it itself.
    pub(crate) fn stderr_any(mut self) -> Self {
        self.stderr = Expect::Any;
        self
    }

    /// Kill the run and fail past this (by default a minute).
    pub(crate) fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The command [`Test::run`] runs, for a test that needs its own streams.
    pub(crate) fn command(&self) -> Command {
        let mut command = Command::new(MCPGEN);
        command
            .current_dir(self.scratch.join(&self.current_dir))
            .env_clear()
            .envs(&self.env)
            .args(&self.args);
        command
    }

    fn shown(&self) -> String {
        let words: Vec<String> = self
            .args
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        format!(
            "`mcpgen {}` in {}",
            words.join(" "),
            self.scratch.join(&self.current_dir).display()
        )
    }

    /// Runs mcpgen, checks its status and both streams, and returns what it did.
    #[track_caller]
    pub(crate) fn run(self) -> Output {
        let mut child = self
            .command()
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{}: cannot start: {e}", self.shown()));
        let mut stdin = child.stdin.take().expect("stdin");
        let bytes = self.stdin.clone().unwrap_or_default();
        // A thread, so a run that never reads its input cannot block the test on a full pipe.
        std::thread::spawn(move || {
            let _ = stdin.write_all(&bytes);
        });
        let stdout = drain(child.stdout.take().expect("stdout"));
        let stderr = drain(child.stderr.take().expect("stderr"));
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait for mcpgen") {
                break status;
            }
            if started.elapsed() > self.timeout {
                let _ = child.kill();
                let _ = child.wait();
                panic!("{}: still running after {:?}", self.shown(), self.timeout);
            }
            std::thread::sleep(Duration::from_millis(2));
        };
        let text = |rx: mpsc::Receiver<Vec<u8>>, name: &str| {
            let bytes = rx.recv().expect("the stream's reader");
            String::from_utf8(bytes)
                .unwrap_or_else(|e| panic!("{}: {name} is not UTF-8: {e}", self.shown()))
        };
        let output = Output {
            status,
            stdout: text(stdout, "stdout"),
            stderr: text(stderr, "stderr"),
            test: self,
        };
        output.check();
        output
    }
}

fn drain(mut pipe: impl Read + Send + 'static) -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        let _ = tx.send(bytes);
    });
    rx
}

/// What a run did, and the scratch directory it ran in (kept while this is).
pub(crate) struct Output {
    pub(crate) status: ExitStatus,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
    test: Test,
}

impl Output {
    /// The exit code; -1 for a run ended by a signal.
    pub(crate) fn code(&self) -> i32 {
        self.status.code().unwrap_or(-1)
    }

    /// Stdout, as JSON.
    #[track_caller]
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "{}: stdout is not JSON ({e})\n{}",
                self.test.shown(),
                self.context()
            )
        })
    }

    /// The next run in the same directory with the same environment: no arguments, no input,
    /// and the default expectations again.
    pub(crate) fn then(&self) -> Test {
        let fresh = Test::in_scratch(self.test.scratch.clone());
        Test {
            current_dir: self.test.current_dir.clone(),
            env: self.test.env.clone(),
            ..fresh
        }
    }

    pub(crate) fn scratch(&self) -> &Scratch {
        &self.test.scratch
    }

    pub(crate) fn path(&self) -> &Path {
        self.test.scratch.path()
    }

    pub(crate) fn join(&self, relative: impl AsRef<Path>) -> PathBuf {
        self.test.scratch.join(relative)
    }

    pub(crate) fn read(&self, relative: &str) -> String {
        self.test.scratch.read(relative)
    }

    pub(crate) fn write(&self, relative: &str, text: &str) {
        self.test.scratch.write(relative, text);
    }

    pub(crate) fn files(&self, relative: &str) -> Vec<String> {
        self.test.scratch.files(relative)
    }

    fn context(&self) -> String {
        format!(
            "status: {}\n--- stdout\n{}--- stderr\n{}--- (end)",
            self.code(),
            self.stdout,
            self.stderr
        )
    }

    #[track_caller]
    fn check(&self) {
        let mut wrong = Vec::new();
        if self.code() != self.test.status {
            wrong.push(format!("status: expected {}", self.test.status));
        }
        wrong.extend(self.test.stdout.check("stdout", &self.stdout));
        wrong.extend(self.test.stderr.check("stderr", &self.stderr));
        assert!(
            wrong.is_empty(),
            "{}:\n{}\n{}",
            self.test.shown(),
            wrong.join("\n"),
            self.context()
        );
    }
}
