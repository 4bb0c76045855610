//! Drives a [`Handshake`] over the stdio of child processes, with a deadline, using threads
//! (no async runtime: the in-container helper and `mcpgen probe` both use it).
//!
//! What a server writes is bounded: a line longer than [`MAX_LINE`] or more than
//! [`MAX_OUTPUT`] bytes in all ends the probe, so a flooding server cannot exhaust the prober.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use super::handshake::{Action, Event, Failure, Handshake, Outcome};

/// The longest line a server may write during a probe.
pub(crate) const MAX_LINE: usize = 1 << 20;
/// All a server may write to stdout during a probe.
pub(crate) const MAX_OUTPUT: usize = 4 << 20;
/// The tail of stderr kept of each process: the end is where a crashing server says why.
const STDERR_TAIL: usize = 16 << 10;
/// How much of that tail a failure message quotes.
const STDERR_QUOTED: usize = 400;

enum Output {
    Line(String),
    Flooded(&'static str),
}

/// One server process: its stdin, a channel of its stdout lines, and the tail of its stderr.
struct Process {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<Output>,
    stderr: Arc<Mutex<Vec<u8>>>,
    stderr_reader: Option<thread::JoinHandle<()>>,
}

impl Process {
    fn start(mut child: Child) -> Self {
        let (sender, lines) = mpsc::channel();
        if let Some(stdout) = child.stdout.take() {
            thread::spawn(move || read_lines(stdout, &sender));
        }
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let stderr_reader = child.stderr.take().map(|pipe| {
            let tail = Arc::clone(&stderr);
            thread::spawn(move || keep_tail(pipe, &tail))
        });
        Process {
            stdin: child.stdin.take(),
            child,
            lines,
            stderr,
            stderr_reader,
        }
    }

    fn send(&mut self, lines: &[String]) {
        let Some(stdin) = self.stdin.as_mut() else {
            return;
        };
        let mut text = String::new();
        for line in lines {
            text.push_str(line);
            text.push('\n');
        }
        // A server that died cannot be written to; its closed stdout says so next.
        if stdin
            .write_all(text.as_bytes())
            .and_then(|()| stdin.flush())
            .is_err()
        {
            self.stdin = None;
        }
    }

    fn stderr_tail(&mut self) -> String {
        // The pipe closes when the process exits; give both a moment so the message a
        // crashing server prints last is in the tail.
        let settle = Instant::now() + Duration::from_millis(300);
        while Instant::now() < settle
            && (matches!(self.child.try_wait(), Ok(None))
                || self
                    .stderr_reader
                    .as_ref()
                    .is_some_and(|r| !r.is_finished()))
        {
            thread::sleep(Duration::from_millis(5));
        }
        let bytes = self.stderr.lock().map(|b| b.clone()).unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// Ends the process and, where it leads a process group (a shim, or a server started
    /// with [`std::os::unix::process::CommandExt::process_group`]), everything it started.
    fn end(mut self) -> String {
        self.stdin = None;
        if let Some(pid) = i32::try_from(self.child.id())
            .ok()
            .and_then(rustix::process::Pid::from_raw)
        {
            let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.stderr_tail()
    }
}

fn read_lines(stdout: impl Read, sender: &mpsc::Sender<Output>) {
    let mut reader = BufReader::new(stdout);
    let mut total = 0usize;
    let mut line = Vec::new();
    loop {
        line.clear();
        let limit = (MAX_LINE + 1) as u64;
        match (&mut reader).take(limit).read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                total += n;
                if line.last() != Some(&b'\n') && n > MAX_LINE {
                    let _ = sender.send(Output::Flooded("a line longer than 1 MiB"));
                    return;
                }
                if total > MAX_OUTPUT {
                    let _ = sender.send(Output::Flooded("more than 4 MiB to stdout"));
                    return;
                }
                let text = String::from_utf8_lossy(&line).trim_end().to_string();
                if sender.send(Output::Line(text)).is_err() {
                    return;
                }
            }
        }
    }
}

fn keep_tail(mut pipe: impl Read, tail: &Mutex<Vec<u8>>) {
    let mut buffer = [0u8; 4096];
    while let Ok(n) = pipe.read(&mut buffer) {
        if n == 0 {
            return;
        }
        if let Ok(mut kept) = tail.lock() {
            kept.extend_from_slice(&buffer[..n]);
            if kept.len() > STDERR_TAIL {
                let cut = kept.len() - STDERR_TAIL;
                kept.drain(..cut);
            }
        }
    }
}

/// How long each wait of a probe may take.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Budget {
    /// The whole probe, over every process it starts.
    pub total: Duration,
    /// The era discovery's wait: its silence means "legacy", so it is kept short.
    pub discover: Duration,
}

impl Budget {
    /// A third of the total for discovery, at most 5 s: the wait includes the server's own
    /// start (an interpreter in a container, on a busy machine), and legacy servers that drop
    /// unknown methods cost it only once, as the era is remembered.
    pub(crate) fn new(total: Duration) -> Self {
        Budget {
            total,
            discover: (total / 3).min(Duration::from_secs(5)),
        }
    }
}

/// Starts `command` as a server process for [`run`]: stdio piped, in a process group of its
/// own (so ending it ends what it started: a shim's docker and flock, a server's children),
/// and a start error that names the program.
pub(crate) fn spawn(command: &mut Command) -> io::Result<Child> {
    let program = command.get_program().to_string_lossy().into_owned();
    command
        .process_group(0)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|error| io::Error::new(error.kind(), format!("`{program}`: {error}")))
}

/// What a run of the handshake found.
#[derive(Debug)]
pub(crate) struct Transcript {
    pub result: Result<Outcome, Failure>,
    /// The end of the last process's stderr.
    pub stderr: String,
    /// From the start to the handshake's answer (`initialize` or `server/discover`), when
    /// there was one.
    pub answered: Option<Duration>,
    /// From the start to the end.
    pub elapsed: Duration,
}

/// Runs `handshake` to its end. `spawn` starts a fresh server process with piped stdin,
/// stdout and stderr; it is called again when the handshake asks for a fresh process.
pub(crate) fn run<F>(
    handshake: &mut Handshake,
    spawn: F,
    budget: Budget,
) -> Result<Outcome, Failure>
where
    F: FnMut() -> io::Result<Child>,
{
    transcript(handshake, spawn, budget).result
}

/// [`run`], with what else was seen on the way.
pub(crate) fn transcript<F>(handshake: &mut Handshake, mut spawn: F, budget: Budget) -> Transcript
where
    F: FnMut() -> io::Result<Child>,
{
    let started = Instant::now();
    let mut answered = None;
    let start = |spawn: &mut F| {
        spawn().map(Process::start).map_err(|error| Failure::Start {
            message: error.to_string(),
        })
    };
    let done = |result, stderr, answered| Transcript {
        result,
        stderr,
        answered,
        elapsed: started.elapsed(),
    };
    let deadline = started + budget.total;
    let mut process = match start(&mut spawn) {
        Ok(process) => process,
        Err(failure) => return done(Err(failure), String::new(), None),
    };
    let mut action = handshake.started();
    loop {
        match action {
            Action::Send(lines) => {
                if answered.is_none() && handshake.waiting_for() == "tools/list" {
                    answered = Some(started.elapsed());
                }
                process.send(&lines);
            }
            Action::Wait => {}
            Action::Restart => {
                process.end();
                process = match start(&mut spawn) {
                    Ok(process) => process,
                    Err(failure) => return done(Err(failure), String::new(), answered),
                };
                action = handshake.started();
                continue;
            }
            Action::Done(result) => {
                let stderr = process.end();
                return done(result, stderr, answered);
            }
        }
        let now = Instant::now();
        let until = if handshake.discovering() {
            deadline.min(now + budget.discover)
        } else {
            deadline
        };
        action = match process
            .lines
            .recv_timeout(until.saturating_duration_since(now))
        {
            Ok(Output::Line(line)) => handshake.on(Event::Line(&line)),
            Ok(Output::Flooded(what)) => Action::Done(Err(Failure::Flooded { what })),
            Err(RecvTimeoutError::Timeout) => handshake.on(Event::TimedOut),
            Err(RecvTimeoutError::Disconnected) => {
                let stderr = quoted(&process.stderr_tail());
                handshake.on(Event::Closed { stderr: &stderr })
            }
        };
    }
}

/// The end of a stderr tail, on one line, for a failure message.
fn quoted(stderr: &str) -> String {
    let line = stderr.split_whitespace().collect::<Vec<_>>().join(" ");
    let cut = line.len().saturating_sub(STDERR_QUOTED);
    let start = (cut..=line.len())
        .find(|&i| line.is_char_boundary(i))
        .unwrap_or(line.len());
    line[start..].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mcp::handshake::Era;

    /// A scripted server: a shell script that reads requests and prints canned answers.
    fn script(body: &str) -> impl FnMut() -> io::Result<Child> + use<> {
        let body = body.to_string();
        move || {
            Command::new("sh")
                .arg("-c")
                .arg(&body)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
        }
    }

    const LEGACY: &str = r#"
        while IFS= read -r line; do
          case "$line" in
            *server/discover*) echo '{"jsonrpc":"2.0","id":"mcpgen-discover","error":{"code":-32601,"message":"Method not found"}}' ;;
            *'"initialize"'*) echo '{"jsonrpc":"2.0","id":"mcpgen-initialize","result":{"protocolVersion":"2025-06-18","capabilities":{},"serverInfo":{"name":"legacy"}}}' ;;
            *tools/list*) echo '{"jsonrpc":"2.0","id":"mcpgen-tools","result":{"tools":[{"name":"a"}]}}' ;;
          esac
        done"#;

    #[test]
    fn legacy_server_over_two_processes() {
        let mut starts = 0;
        let mut inner = script(LEGACY);
        let spawn = || {
            starts += 1;
            inner()
        };
        let mut h = Handshake::new("test", None);
        let outcome = run(&mut h, spawn, Budget::new(Duration::from_secs(10)));
        assert_eq!(outcome.map(|o| o.era), Ok(Era::Legacy));
        assert_eq!(starts, 2, "era discovery runs on a throw-away process");
    }

    #[test]
    fn strict_server_that_exits_on_discover_still_passes() {
        let strict = r#"
            IFS= read -r line
            case "$line" in *server/discover*) echo 'panic: request before initialize' >&2; exit 1 ;; esac
            echo '{"jsonrpc":"2.0","id":"mcpgen-initialize","result":{"protocolVersion":"2025-03-26","capabilities":{}}}'
            IFS= read -r line; IFS= read -r line
            echo '{"jsonrpc":"2.0","id":"mcpgen-tools","result":{"tools":[]}}'"#;
        let mut h = Handshake::new("test", None);
        let outcome = run(&mut h, script(strict), Budget::new(Duration::from_secs(10)));
        assert_eq!(outcome.map(|o| o.protocol), Ok("2025-03-26".to_string()));
    }

    #[test]
    fn hung_server_fails_at_the_deadline() {
        let mut h = Handshake::new("test", Some(Era::Legacy));
        let started = Instant::now();
        let outcome = run(
            &mut h,
            script("sleep 30"),
            Budget::new(Duration::from_millis(500)),
        );
        assert_eq!(
            outcome,
            Err(Failure::TimedOut {
                during: "initialize"
            })
        );
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn crashing_server_reports_its_stderr() {
        let mut h = Handshake::new("test", Some(Era::Legacy));
        let outcome = run(
            &mut h,
            script("echo 'Error: no directories' >&2; exit 1"),
            Budget::new(Duration::from_secs(5)),
        );
        let Err(Failure::Exited { stderr, .. }) = outcome else {
            panic!("expected an exit, got {outcome:?}");
        };
        assert!(stderr.contains("no directories"), "{stderr}");
    }

    #[test]
    fn endless_line_is_cut_off() {
        let mut h = Handshake::new("test", Some(Era::Legacy));
        let outcome = run(
            &mut h,
            script("read -r line; yes x | tr -d '\\n'"),
            Budget::new(Duration::from_secs(10)),
        );
        assert!(
            matches!(outcome, Err(Failure::Flooded { .. })),
            "{outcome:?}"
        );
    }

    #[test]
    fn endless_output_is_cut_off() {
        let mut h = Handshake::new("test", Some(Era::Legacy));
        let outcome = run(
            &mut h,
            script("read -r line; yes '{\"jsonrpc\":\"2.0\",\"method\":\"noise\"}'"),
            Budget::new(Duration::from_secs(10)),
        );
        assert!(
            matches!(outcome, Err(Failure::Flooded { .. })),
            "{outcome:?}"
        );
    }

    #[test]
    fn missing_command_is_a_start_failure() {
        let mut h = Handshake::new("test", None);
        let outcome = run(
            &mut h,
            || Command::new("/nonexistent/mcp-server").spawn(),
            Budget::new(Duration::from_secs(1)),
        );
        assert!(matches!(outcome, Err(Failure::Start { .. })));
    }
}
