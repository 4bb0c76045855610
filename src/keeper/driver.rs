//! The keeper's I/O: the client's stdio, one server process at a time, and a clock, carried to
//! and from a [`Session`]. Threads only read (the client's stdin, the server's stdout) and hand
//! lines over a channel; one loop decides and writes, so the order of messages is kept.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::unix::process::{CommandExt as _, ExitStatusExt as _};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread;
use std::time::{Duration, Instant};

use super::session::{Action, Session, Settings};

/// Set in the environment of every server command the keeper starts: the shim then knows it
/// is already kept and runs the server itself.
pub const KEPT_VAR: &str = "MCPGEN_KEPT";

/// How often the loop looks at a server process that may have exited without closing stdout.
const POLL: Duration = Duration::from_millis(250);
/// How long a process that closed its stdout gets to exit before it is ended.
const REAP_GRACE: Duration = Duration::from_millis(500);

enum Event {
    Client(Vec<u8>),
    ClientClosed,
    Server(u64, Vec<u8>),
    ServerClosed(u64),
}

struct Server {
    generation: u64,
    child: Child,
    stdin: Option<ChildStdin>,
    /// When the process was seen exited while its stdout was still open.
    exited_at: Option<Instant>,
}

impl Server {
    /// Ends the process group (a shim leads one: its docker and compose go too) and reaps the
    /// leader in the background.
    fn kill(mut self) {
        self.stdin = None;
        kill_group(&self.child);
        thread::spawn(move || {
            let _ = self.child.wait();
        });
    }

    /// The exit status of a process whose stdout closed: it gets a moment to exit on its own.
    fn reap(mut self) -> Option<ExitStatus> {
        self.stdin = None;
        let until = Instant::now() + REAP_GRACE;
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => return Some(status),
                Ok(None) if Instant::now() < until => thread::sleep(Duration::from_millis(5)),
                _ => break,
            }
        }
        kill_group(&self.child);
        self.child.wait().ok()
    }
}

fn kill_group(child: &Child) {
    if let Some(pid) = i32::try_from(child.id())
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    {
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
}

/// The exit code a shell would report: the code, or 128 + the signal that ended the process.
pub fn code(status: ExitStatus) -> i32 {
    status
        .code()
        .or_else(|| status.signal().map(|signal| 128 + signal))
        .unwrap_or(1)
}

/// Runs the session: `program args…` is started for each server process. Returns the exit
/// code for the keeper.
pub fn run(settings: Settings, program: &OsString, args: &[OsString]) -> i32 {
    let prefix = format!("mcpgen[{}]: ", settings.server);
    let (events, inbox) = mpsc::channel();
    let client_events = events.clone();
    thread::spawn(move || {
        read_lines(io::stdin().lock(), |line| {
            client_events.send(Event::Client(line)).is_ok()
        });
        let _ = client_events.send(Event::ClientClosed);
    });
    let stdout = io::stdout();
    let mut client = stdout.lock();
    let (mut session, first) = Session::new(settings);
    let mut actions: VecDeque<Action> = first.into();
    let mut server: Option<Server> = None;
    loop {
        while let Some(action) = actions.pop_front() {
            match action {
                Action::ToClient(mut line) => {
                    line.push(b'\n');
                    if client
                        .write_all(&line)
                        .and_then(|()| client.flush())
                        .is_err()
                    {
                        // Nobody reads the answers any more: the session is over.
                        if let Some(server) = server.take() {
                            server.kill();
                        }
                        return 0;
                    }
                }
                Action::ToServer(mut line) => {
                    line.push(b'\n');
                    if let Some(stdin) = server.as_mut().and_then(|s| s.stdin.as_mut()) {
                        // A failed write means the process is going: its stdout closing
                        // says so, with the lines it wrote before.
                        let _ = stdin.write_all(&line);
                    }
                }
                Action::Spawn(generation) => {
                    if let Some(old) = server.take() {
                        old.kill();
                    }
                    match start(program, args, generation, &events) {
                        Ok(started) => server = Some(started),
                        Err(error) => {
                            eprintln!(
                                "{prefix}cannot start {}: {error}",
                                program.to_string_lossy()
                            );
                            actions.extend(session.server_gone(generation, None, Instant::now()));
                        }
                    }
                }
                Action::CloseServerInput => {
                    if let Some(server) = server.as_mut() {
                        server.stdin = None;
                    }
                }
                Action::Kill => {
                    if let Some(server) = server.take() {
                        server.kill();
                    }
                }
                Action::Log(text) => eprintln!("{prefix}{text}"),
                Action::Exit(code) => {
                    if let Some(server) = server.take() {
                        server.kill();
                    }
                    return code;
                }
            }
        }
        let wait = session
            .next_deadline()
            .map_or(POLL, |at| at.saturating_duration_since(Instant::now()))
            .min(POLL);
        let now_event = inbox.recv_timeout(wait);
        let now = Instant::now();
        actions.extend(match now_event {
            Ok(Event::Client(line)) => session.client_line(line, now),
            Ok(Event::ClientClosed) => session.client_closed(now),
            Ok(Event::Server(generation, line)) => session.server_line(generation, line, now),
            Ok(Event::ServerClosed(generation)) => match server.take() {
                Some(current) if current.generation == generation => {
                    let status = current.reap().map(code);
                    session.server_gone(generation, status, Instant::now())
                }
                other => {
                    server = other;
                    Vec::new()
                }
            },
            Err(RecvTimeoutError::Timeout) => {
                let mut actions = Vec::new();
                if let Some(gone) = exited_long_ago(&mut server, now) {
                    actions.extend(session.server_gone(gone.0, gone.1, now));
                }
                actions.extend(session.tick(now));
                actions
            }
            // Every sender lives in this function: the channel cannot close while it runs.
            Err(RecvTimeoutError::Disconnected) => vec![Action::Exit(1)],
        });
    }
}

/// A process that exited but whose stdout stays open (something it started holds it) is
/// treated as gone after a grace period.
fn exited_long_ago(server: &mut Option<Server>, now: Instant) -> Option<(u64, Option<i32>)> {
    let current = server.as_mut()?;
    if current.exited_at.is_none() {
        if let Ok(Some(_)) = current.child.try_wait() {
            current.exited_at = Some(now);
        }
        return None;
    }
    let since = current.exited_at?;
    if now.duration_since(since) < REAP_GRACE {
        return None;
    }
    let gone = server.take()?;
    let generation = gone.generation;
    let status = gone.reap().map(code);
    Some((generation, status))
}

fn start(
    program: &OsString,
    args: &[OsString],
    generation: u64,
    events: &Sender<Event>,
) -> io::Result<Server> {
    let mut child = Command::new(program)
        .args(args)
        .env(KEPT_VAR, "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .process_group(0)
        .spawn()?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| io::Error::other("no stdout pipe"))?;
    let server_events = events.clone();
    thread::spawn(move || {
        read_lines(stdout, |line| {
            server_events.send(Event::Server(generation, line)).is_ok()
        });
        let _ = server_events.send(Event::ServerClosed(generation));
    });
    Ok(Server {
        generation,
        stdin: child.stdin.take(),
        child,
        exited_at: None,
    })
}

/// Calls `each` with every non-empty line (without its line ending) until the end of the
/// input or until `each` returns false.
fn read_lines(input: impl Read, mut each: impl FnMut(Vec<u8>) -> bool) {
    let mut reader = BufReader::with_capacity(64 << 10, input);
    loop {
        let mut line = Vec::new();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {
                while matches!(line.last(), Some(b'\n' | b'\r')) {
                    line.pop();
                }
                if !line.is_empty() && !each(line) {
                    return;
                }
            }
        }
    }
}
