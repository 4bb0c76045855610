//! The probe: start a server's command exactly as an MCP client would (stdio pipes, a small
//! environment, working directory `/`) and talk to it with the official SDK, `rmcp`.
//!
//! Both protocol generations: `server/discover` (protocol 2026-07-28) goes first, and on any
//! error or timeout the same process gets `initialize` + `notifications/initialized`; then
//! `tools/list`. The discover attempt is made on rmcp's own stdio transport, whose reads keep
//! any bytes already buffered, so the fallback continues on the same pipes.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use process_wrap::tokio::{ChildWrapper, CommandWrap, KillOnDrop};
use rmcp::model::{
    ClientCapabilities, ClientConfig, ClientJsonRpcMessage, ClientRequest, DiscoverRequest,
    DiscoverRequestParams, ErrorCode, ErrorData, Implementation, ProtocolVersion, RequestId,
    RequestMetaObject, ServerJsonRpcMessage,
};
use rmcp::service::{
    ClientInitializeError, ClientLifecycleMode, ClientServiceExt, RoleClient, RxJsonRpcMessage,
};
use rmcp::transport::Transport;
use rmcp::transport::async_rw::AsyncRwTransport;
use serde::Serialize;
use tokio::io::AsyncReadExt;

/// What a shim prints on stderr when it runs the server's local command instead of the
/// container (`run_local` in `templates/shim.sh.j2`; a test keeps the two in step).
pub const LOCAL_MARKER: &str = "UNSANDBOXED";

/// The id of the probe's own `server/discover`; a string, so it can never collide with the
/// numeric ids rmcp gives the requests that follow.
const DISCOVER_ID: &str = "mcpgen-probe-discover";

/// How much of the command's stderr a report keeps (the end of it).
const STDERR_KEEP: usize = 16 * 1024;

/// After the session, how long the command may take to exit by itself once its stdin closed,
/// then after SIGTERM, before its whole process group is killed.
const EXIT_GRACE: Duration = Duration::from_secs(2);
const TERM_GRACE: Duration = Duration::from_secs(1);
const SIGTERM: i32 = 15;

/// One command to probe.
#[derive(Debug, Clone)]
pub struct Target {
    /// The name the report carries.
    pub server: String,
    pub program: PathBuf,
    pub args: Vec<OsString>,
    /// The whole environment of the command: nothing else is inherited, as from a client.
    pub env: Vec<(OsString, OsString)>,
    /// Clients often start servers in `/`.
    pub current_dir: PathBuf,
}

#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Bounds the whole probe of one server: start, handshake, `tools/list`.
    pub timeout: Duration,
    /// How long `server/discover` may go unanswered before the probe falls back to `initialize`.
    pub discover_timeout: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(20),
            discover_timeout: Duration::from_secs(5),
        }
    }
}

/// Which way the server was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PathTaken {
    /// It answered, and the shim did not fall back: the server in its container.
    Container,
    /// It answered through the shim's local fallback (unsandboxed).
    Local,
    /// No handshake: the report's `error` says why.
    Failed,
}

impl PathTaken {
    pub fn as_str(self) -> &'static str {
        match self {
            PathTaken::Container => "container",
            PathTaken::Local => "local",
            PathTaken::Failed => "failed",
        }
    }
}

/// The handshake the server answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Handshake {
    #[serde(rename = "server/discover")]
    Discover,
    #[serde(rename = "initialize")]
    Initialize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub server: String,
    pub path: PathTaken,
    pub handshake: Option<Handshake>,
    pub protocol_version: Option<String>,
    /// From starting the command to the handshake's answer (or to the failure).
    pub latency_ms: u64,
    /// From starting the command to the `tools/list` answer (or to the failure).
    pub total_ms: u64,
    pub tools: Option<usize>,
    pub error: Option<String>,
    /// The end of the command's stderr: the shim's log lines and the server's own.
    #[serde(skip)]
    pub stderr: String,
}

impl Report {
    /// A server that was not probed, or could not be.
    pub fn failed(server: &str, error: &str) -> Self {
        failed(server, error)
    }

    pub fn ok(&self) -> bool {
        self.path != PathTaken::Failed
    }
}

/// Probes every target at once (each bounded by `options.timeout`); reports in target order.
pub fn probe_all(targets: &[Target], options: Options) -> std::io::Result<Vec<Report>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let mut tasks = tokio::task::JoinSet::new();
        for (index, target) in targets.iter().cloned().enumerate() {
            tasks.spawn(async move { (index, probe_one(target, options).await) });
        }
        let mut reports: Vec<Option<Report>> = vec![None; targets.len()];
        while let Some(joined) = tasks.join_next().await {
            if let Ok((index, report)) = joined {
                reports[index] = Some(report);
            }
        }
        // A task that panicked still gets a report: the probe never loses a server.
        Ok(reports
            .into_iter()
            .zip(targets)
            .map(|(report, target)| {
                report.unwrap_or_else(|| failed(&target.server, "the probe itself failed"))
            })
            .collect())
    })
}

/// Probes one target.
pub fn probe(target: &Target, options: Options) -> std::io::Result<Report> {
    let mut reports = probe_all(std::slice::from_ref(target), options)?;
    Ok(reports
        .pop()
        .unwrap_or_else(|| failed(&target.server, "the probe itself failed")))
}

fn failed(server: &str, error: &str) -> Report {
    Report {
        server: server.to_string(),
        path: PathTaken::Failed,
        handshake: None,
        protocol_version: None,
        latency_ms: 0,
        total_ms: 0,
        tools: None,
        error: Some(error.to_string()),
        stderr: String::new(),
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// The tail of a stream, kept while it is read.
#[derive(Clone, Default)]
struct Tail(Arc<Mutex<Vec<u8>>>);

impl Tail {
    fn push(&self, bytes: &[u8]) {
        if let Ok(mut buf) = self.0.lock() {
            buf.extend_from_slice(bytes);
            if buf.len() > STDERR_KEEP {
                let cut = buf.len() - STDERR_KEEP;
                buf.drain(..cut);
            }
        }
    }

    fn text(&self) -> String {
        self.0
            .lock()
            .map(|buf| String::from_utf8_lossy(&buf).into_owned())
            .unwrap_or_default()
    }
}

async fn probe_one(target: Target, options: Options) -> Report {
    let started = Instant::now();
    let mut command = CommandWrap::with_new(&target.program, |command| {
        command
            .args(&target.args)
            .env_clear()
            .envs(target.env.iter().map(|(k, v)| (k, v)))
            .current_dir(&target.current_dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
    });
    // Its own process group, so that killing it on a timeout also ends what a shim started
    // (docker, flock, sleep) and nothing of the probe outlives it.
    #[cfg(unix)]
    command.wrap(process_wrap::tokio::ProcessGroup::leader());
    command.wrap(KillOnDrop);
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(error) => {
            return failed(
                &target.server,
                &format!("cannot start `{}`: {error}", target.program.display()),
            );
        }
    };
    let (Some(stdin), Some(stdout)) = (child.stdin().take(), child.stdout().take()) else {
        return failed(&target.server, "the command's stdio pipes are missing");
    };
    let tail = Tail::default();
    let reader = child.stderr().take().map(|mut stderr| {
        let tail = tail.clone();
        tokio::spawn(async move {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stderr.read(&mut buf).await {
                if n == 0 {
                    break;
                }
                tail.push(&buf[..n]);
            }
        })
    });

    let transport = AsyncRwTransport::<RoleClient, _, _>::new(stdout, stdin);
    let outcome = tokio::time::timeout(
        options.timeout,
        session(transport, options.discover_timeout, started),
    )
    .await
    .unwrap_or_else(|_| {
        Err(Failure::plain(format!(
            "no answer within {}s",
            options.timeout.as_secs_f32()
        )))
    });
    let ended = started.elapsed();
    stop(child.as_mut()).await;
    if let Some(reader) = reader {
        // The pipe closes when the command's last process exits; a leftover that still
        // holds it must not hold the report.
        let _ = tokio::time::timeout(Duration::from_millis(500), reader).await;
    }
    let stderr = tail.text();
    match outcome {
        Ok(done) => Report {
            server: target.server,
            path: if stderr.contains(LOCAL_MARKER) {
                PathTaken::Local
            } else {
                PathTaken::Container
            },
            handshake: Some(done.handshake),
            protocol_version: done.protocol_version,
            latency_ms: millis(done.latency),
            total_ms: millis(done.total),
            tools: Some(done.tools),
            error: None,
            stderr,
        },
        Err(failure) => Report {
            server: target.server,
            path: PathTaken::Failed,
            handshake: None,
            protocol_version: None,
            latency_ms: millis(failure.at.unwrap_or(ended)),
            total_ms: millis(ended),
            tools: None,
            error: Some(failure.message(&stderr)),
            stderr,
        },
    }
}

/// Ends the command the way clients do (stdin is already closed by now): let it exit, then
/// SIGTERM, then SIGKILL, each to its whole process group.
async fn stop(child: &mut dyn ChildWrapper) {
    if tokio::time::timeout(EXIT_GRACE, child.wait()).await.is_ok() {
        return;
    }
    let _ = child.signal(SIGTERM);
    if tokio::time::timeout(TERM_GRACE, child.wait()).await.is_ok() {
        return;
    }
    let _ = child.start_kill();
    let _ = tokio::time::timeout(TERM_GRACE, child.wait()).await;
}

struct Done {
    handshake: Handshake,
    protocol_version: Option<String>,
    latency: Duration,
    total: Duration,
    tools: usize,
}

struct Failure {
    /// What went wrong, in the SDK's words.
    error: String,
    /// The server's answer to `server/discover` when it was an error other than "no such
    /// method": a shim that cannot reach its server says why in exactly that answer.
    discover_error: Option<String>,
    /// When the failure was known, if before the end.
    at: Option<Duration>,
}

impl Failure {
    fn plain(error: String) -> Self {
        Self {
            error,
            discover_error: None,
            at: None,
        }
    }

    fn message(&self, stderr: &str) -> String {
        if let Some(answer) = &self.discover_error {
            return format!("{answer} (answer to server/discover; then {})", self.error);
        }
        // No JSON-RPC answer at all: the command's last words say more than "connection closed".
        match stderr.lines().rev().find(|line| !line.trim().is_empty()) {
            Some(line) => format!("{}; stderr: {}", self.error, line.trim()),
            None => self.error.clone(),
        }
    }
}

fn client_info() -> ClientConfig {
    ClientConfig::new(
        ClientCapabilities::default(),
        Implementation::new("mcpgen-probe", env!("CARGO_PKG_VERSION")),
    )
    .with_protocol_version(ProtocolVersion::V_2025_11_25)
}

fn discover_request(info: &ClientConfig) -> ClientJsonRpcMessage {
    let mut request = DiscoverRequest::new(DiscoverRequestParams {});
    request
        .extensions
        .insert(RequestMetaObject::with_client_context(
            ProtocolVersion::V_2026_07_28,
            info.client_info.clone(),
            info.capabilities.clone(),
        ));
    ClientJsonRpcMessage::request(
        ClientRequest::DiscoverRequest(request),
        RequestId::String(DISCOVER_ID.into()),
    )
}

enum DiscoverReply {
    Result,
    Error(ErrorData),
    Closed,
}

fn is_discover_reply(message: &ServerJsonRpcMessage) -> bool {
    let discover = RequestId::String(DISCOVER_ID.into());
    match message {
        ServerJsonRpcMessage::Response(response) => response.id == discover,
        ServerJsonRpcMessage::Error(error) => error.id.as_ref() == Some(&discover),
        _ => false,
    }
}

/// Waits for the answer to the probe's `server/discover`, passing over anything else the
/// server says first (log notifications, pings: a client need not answer those yet).
async fn discover_reply<T: Transport<RoleClient>>(transport: &mut T) -> DiscoverReply {
    loop {
        match transport.receive().await {
            None => return DiscoverReply::Closed,
            Some(ServerJsonRpcMessage::Response(response))
                if response.id == RequestId::String(DISCOVER_ID.into()) =>
            {
                return DiscoverReply::Result;
            }
            // An error without an id answers the request the server could not read: ours.
            Some(ServerJsonRpcMessage::Error(error))
                if error.id.is_none()
                    || is_discover_reply(&ServerJsonRpcMessage::Error(error.clone())) =>
            {
                return DiscoverReply::Error(error.error);
            }
            Some(_) => {}
        }
    }
}

/// The transport after the probe's own `server/discover`: a late answer to it (a slow server
/// that answers after the fallback began) must not be taken for the answer to `initialize`.
struct AfterDiscover<T>(T);

impl<T: Transport<RoleClient>> Transport<RoleClient> for AfterDiscover<T> {
    type Error = T::Error;

    fn send(
        &mut self,
        item: ClientJsonRpcMessage,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        self.0.send(item)
    }

    async fn receive(&mut self) -> Option<RxJsonRpcMessage<RoleClient>> {
        loop {
            let message = self.0.receive().await?;
            if !is_discover_reply(&message) {
                return Some(message);
            }
        }
    }

    fn close(&mut self) -> impl Future<Output = Result<(), Self::Error>> + Send {
        self.0.close()
    }
}

async fn session<T>(
    mut transport: T,
    discover_timeout: Duration,
    started: Instant,
) -> Result<Done, Failure>
where
    T: Transport<RoleClient> + 'static,
{
    let info = client_info();
    transport
        .send(discover_request(&info))
        .await
        .map_err(|error| Failure::plain(format!("cannot send server/discover: {error}")))?;
    let reply = tokio::time::timeout(discover_timeout, discover_reply(&mut transport)).await;
    let (lifecycle, handshake, discover_error) = match reply {
        Ok(DiscoverReply::Result) => (
            ClientLifecycleMode::Discover {
                preferred_versions: vec![ProtocolVersion::V_2026_07_28],
            },
            Handshake::Discover,
            None,
        ),
        Ok(DiscoverReply::Error(error)) => {
            let telling = error.code != ErrorCode::METHOD_NOT_FOUND;
            (
                ClientLifecycleMode::Initialize,
                Handshake::Initialize,
                telling.then(|| error.message.into_owned()),
            )
        }
        // Closed: the command ended; `initialize` fails and says so. Timeout: a server of an
        // earlier protocol may ignore an unknown method.
        Ok(DiscoverReply::Closed) | Err(_) => {
            (ClientLifecycleMode::Initialize, Handshake::Initialize, None)
        }
    };
    let client = info
        .serve_with_lifecycle(AfterDiscover(transport), lifecycle)
        .await
        .map_err(|error| Failure {
            error: format!("{} failed: {}", handshake_name(handshake), describe(&error)),
            discover_error: discover_error.clone(),
            at: Some(started.elapsed()),
        })?;
    let latency = started.elapsed();
    let protocol_version = client
        .peer_info()
        .map(|info| info.protocol_version.to_string());
    let tools = client.list_all_tools().await.map_err(|error| Failure {
        error: format!("tools/list failed: {error}"),
        discover_error: None,
        at: None,
    })?;
    let total = started.elapsed();
    // Closes stdin: the server (and the shim's `docker exec`) end as after any client session.
    let _ = client.cancel().await;
    Ok(Done {
        handshake,
        protocol_version,
        latency,
        total,
        tools: tools.len(),
    })
}

/// The SDK's error in a user's words: its transport errors name Rust types.
fn describe(error: &ClientInitializeError) -> String {
    match error {
        ClientInitializeError::TransportError { error, context } => {
            format!("cannot {context}: {}", error.error)
        }
        ClientInitializeError::ConnectionClosed(context) => {
            format!("the connection closed before the {context}")
        }
        ClientInitializeError::JsonRpcError(data) => {
            format!("error {}: {}", data.code.0, data.message)
        }
        other => other.to_string(),
    }
}

fn handshake_name(handshake: Handshake) -> &'static str {
    match handshake {
        Handshake::Discover => "server/discover",
        Handshake::Initialize => "initialize",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scripted(mode: &str) -> Target {
        command(
            "python3",
            &[
                concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/tests/fixtures/probe/server.py"
                ),
                mode,
            ],
        )
    }

    fn command(program: &str, args: &[&str]) -> Target {
        Target {
            server: "test".to_string(),
            program: PathBuf::from(program),
            args: args.iter().map(OsString::from).collect(),
            env: vec![("PATH".into(), std::env::var_os("PATH").unwrap_or_default())],
            current_dir: PathBuf::from("/"),
        }
    }

    fn quick() -> Options {
        Options {
            timeout: Duration::from_secs(10),
            discover_timeout: Duration::from_millis(500),
        }
    }

    #[test]
    fn a_2026_07_28_server_is_reached_with_server_discover() {
        let report = probe(&scripted("modern"), quick()).unwrap();
        assert_eq!(report.error, None, "{}", report.stderr);
        assert_eq!(report.handshake, Some(Handshake::Discover));
        assert_eq!(report.protocol_version.as_deref(), Some("2026-07-28"));
        assert_eq!(report.tools, Some(2));
        assert_eq!(report.path, PathTaken::Container);
    }

    #[test]
    fn an_unanswered_discover_falls_back_to_initialize_on_the_same_process() {
        let report = probe(&scripted("silent"), quick()).unwrap();
        assert_eq!(report.error, None, "{}", report.stderr);
        assert_eq!(report.handshake, Some(Handshake::Initialize));
        assert_eq!(report.protocol_version.as_deref(), Some("2025-06-18"));
        assert_eq!(report.tools, Some(2));
        assert!(report.latency_ms >= 500, "{report:?}");
    }

    #[test]
    fn a_late_answer_to_discover_is_not_taken_for_the_initialize_answer() {
        let report = probe(&scripted("late"), quick()).unwrap();
        assert_eq!(report.error, None, "{}", report.stderr);
        assert_eq!(report.tools, Some(2));
    }

    #[test]
    fn a_refusal_is_reported_with_the_servers_own_reason() {
        let report = probe(&scripted("refuse"), quick()).unwrap();
        assert_eq!(report.path, PathTaken::Failed);
        let error = report.error.unwrap_or_default();
        assert!(
            error.starts_with("mcpgen: MCP server test is unavailable: scripted refusal"),
            "{error}"
        );
    }

    #[test]
    fn a_command_that_dies_is_reported_with_its_last_stderr_line() {
        let report = probe(
            &command("sh", &["-c", "echo starting >&2; echo boom >&2; exit 3"]),
            quick(),
        )
        .unwrap();
        assert_eq!(report.path, PathTaken::Failed);
        let error = report.error.unwrap_or_default();
        assert!(error.ends_with("stderr: boom"), "{error}");
    }

    #[test]
    fn the_local_marker_on_stderr_means_the_local_path() {
        let script = format!(
            "echo 'WARNING: engine down; running test {LOCAL_MARKER}' >&2; exec python3 {} silent",
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/probe/server.py"
            )
        );
        let report = probe(&command("sh", &["-c", &script]), quick()).unwrap();
        assert_eq!(report.path, PathTaken::Local, "{report:?}");
    }

    #[test]
    fn a_timeout_kills_the_whole_process_group() {
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("pid");
        let script = format!(
            "sleep 300 & echo $! > {}; exec sleep 300",
            pid_file.display()
        );
        let options = Options {
            timeout: Duration::from_millis(800),
            discover_timeout: Duration::from_millis(200),
        };
        let started = Instant::now();
        let report = probe(&command("sh", &["-c", &script]), options).unwrap();
        assert_eq!(report.path, PathTaken::Failed);
        assert!(
            report
                .error
                .unwrap_or_default()
                .contains("no answer within")
        );
        assert!(
            started.elapsed() < Duration::from_secs(8),
            "{:?}",
            started.elapsed()
        );
        let pid = std::fs::read_to_string(&pid_file).unwrap();
        // Gone, or a zombie waiting for its reaper: either way, no longer running. A kill is
        // delivered asynchronously, so give the process a moment to die.
        let running = || {
            let stat =
                std::fs::read_to_string(format!("/proc/{}/stat", pid.trim())).unwrap_or_default();
            let state = stat
                .rsplit(')')
                .next()
                .unwrap_or("")
                .split_whitespace()
                .next()
                .map(str::to_string);
            (!matches!(state.as_deref(), None | Some("Z" | "X"))).then_some(stat)
        };
        let deadline = Instant::now() + Duration::from_secs(3);
        let mut stat = running();
        while stat.is_some() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
            stat = running();
        }
        assert!(stat.is_none(), "the background sleep survived: {stat:?}");
    }

    #[test]
    fn the_shim_template_prints_the_local_marker_on_fallback() {
        let template = include_str!("../../templates/shim.sh.j2");
        let run_local = template
            .split("run_local() {")
            .nth(1)
            .expect("run_local in the shim template");
        assert!(run_local.contains(LOCAL_MARKER));
    }

    #[test]
    fn discover_request_is_a_2026_07_28_request_with_a_string_id() {
        let text = serde_json::to_string(&discover_request(&client_info())).unwrap();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["method"], "server/discover");
        assert_eq!(value["id"], DISCOVER_ID);
        assert_eq!(
            value["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"], "2026-07-28",
            "{text}"
        );
    }
}
