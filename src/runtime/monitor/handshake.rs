//! The MCP handshake a probe performs over a server's stdio, as a client would (CLIENTS.md):
//! `server/discover` (protocol 2026-07-28) first; on an error answer, or no answer within a
//! short wait, `initialize` + `notifications/initialized` + `ping` for the earlier protocols.
//!
//! Transport-free: it writes to any `AsyncWrite` and reads [`Chunk`]s from any stream, so the
//! engine module feeds it an exec session and the tests feed it scripted bytes. The caller
//! bounds the whole exchange with the probe timeout.

use std::time::Duration;

use futures_util::{Stream, StreamExt};
use serde_json::Value;
use tokio::io::{AsyncWrite, AsyncWriteExt};

const DISCOVER_ID: u64 = 1;
const INITIALIZE_ID: u64 = 2;
const PING_ID: u64 = 3;
/// Stderr kept for the failure reason: the end is where a crashing server says why.
const STDERR_TAIL: usize = 300;

/// One piece of the server's output, as an exec session multiplexes it.
#[derive(Debug, Clone)]
pub enum Chunk {
    Stdout(Vec<u8>),
    Stderr(Vec<u8>),
}

/// A server that answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The protocol version it speaks.
    pub protocol: String,
    /// `serverInfo.name`, when it gave one.
    pub server: Option<String>,
}

/// Why the handshake failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    #[error("the server exited before answering{}", stderr_suffix(.stderr))]
    Exited { stderr: String },
    #[error("`initialize` failed: {message}")]
    Refused { message: String },
    #[error("writing to the server failed: {0}")]
    Write(String),
    #[error("reading from the server failed: {0}")]
    Read(String),
}

fn stderr_suffix(stderr: &str) -> String {
    if stderr.is_empty() {
        String::new()
    } else {
        format!(" (stderr: {stderr})")
    }
}

fn discover() -> Value {
    serde_json::json!({"jsonrpc": "2.0", "id": DISCOVER_ID, "method": "server/discover", "params": {}})
}

fn initialize() -> Value {
    serde_json::json!({
        "jsonrpc": "2.0",
        "id": INITIALIZE_ID,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-11-25",
            "capabilities": {},
            "clientInfo": {"name": "mcpgen-monitor", "version": env!("CARGO_PKG_VERSION")}
        }
    })
}

fn initialized() -> Value {
    serde_json::json!({"jsonrpc": "2.0", "method": "notifications/initialized"})
}

fn ping() -> Value {
    serde_json::json!({"jsonrpc": "2.0", "id": PING_ID, "method": "ping"})
}

async fn send<W: AsyncWrite + Unpin>(input: &mut W, message: &Value) -> Result<(), Failure> {
    let mut line = message.to_string();
    line.push('\n');
    input
        .write_all(line.as_bytes())
        .await
        .map_err(|e| Failure::Write(e.to_string()))?;
    input
        .flush()
        .await
        .map_err(|e| Failure::Write(e.to_string()))
}

/// Splits stdout chunks into lines; a message may arrive in pieces or several at once.
#[derive(Default)]
struct Lines {
    pending: Vec<u8>,
}

impl Lines {
    fn push(&mut self, bytes: &[u8]) -> Vec<Vec<u8>> {
        self.pending.extend_from_slice(bytes);
        let mut lines = Vec::new();
        while let Some(end) = self.pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=end).collect();
            lines.push(line);
        }
        lines
    }
}

/// The tail of stderr, as one trimmed line.
#[derive(Default)]
struct Tail {
    bytes: Vec<u8>,
}

impl Tail {
    fn push(&mut self, bytes: &[u8]) {
        self.bytes.extend_from_slice(bytes);
        if self.bytes.len() > STDERR_TAIL {
            let cut = self.bytes.len() - STDERR_TAIL;
            self.bytes.drain(..cut);
        }
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn answer(result: &Value, default_protocol: &str) -> Answer {
    Answer {
        protocol: result
            .get("protocolVersion")
            .and_then(Value::as_str)
            .unwrap_or(default_protocol)
            .to_string(),
        server: result
            .get("serverInfo")
            .and_then(|info| info.get("name"))
            .and_then(Value::as_str)
            .map(str::to_string),
    }
}

fn error_message(message: &Value) -> String {
    let error = &message["error"];
    match (
        error.get("code"),
        error.get("message").and_then(Value::as_str),
    ) {
        (Some(code), Some(text)) => format!("{text} ({code})"),
        (None, Some(text)) => text.to_string(),
        _ => error.to_string(),
    }
}

/// Runs the handshake. `discover_wait` bounds the wait for an answer to `server/discover`
/// before falling back to `initialize` (servers of the earlier protocols may not answer an
/// unknown method at all).
pub async fn handshake<W, S>(
    mut input: W,
    mut output: S,
    discover_wait: Duration,
) -> Result<Answer, Failure>
where
    W: AsyncWrite + Unpin,
    S: Stream<Item = Result<Chunk, String>> + Unpin,
{
    send(&mut input, &discover()).await?;
    let fallback_at = tokio::time::Instant::now() + discover_wait;
    let mut legacy_sent = false;
    let mut initialize_answer: Option<Answer> = None;
    let mut lines = Lines::default();
    let mut stderr = Tail::default();
    loop {
        let next = if legacy_sent {
            output.next().await
        } else {
            match tokio::time::timeout_at(fallback_at, output.next()).await {
                Ok(next) => next,
                Err(_) => {
                    // No answer to `server/discover` yet: try the earlier protocol as well,
                    // and take whichever answers.
                    send(&mut input, &initialize()).await?;
                    legacy_sent = true;
                    continue;
                }
            }
        };
        let bytes = match next {
            None => {
                return Err(Failure::Exited {
                    stderr: stderr.text(),
                });
            }
            Some(Err(error)) => return Err(Failure::Read(error)),
            Some(Ok(Chunk::Stderr(bytes))) => {
                stderr.push(&bytes);
                continue;
            }
            Some(Ok(Chunk::Stdout(bytes))) => bytes,
        };
        for line in lines.push(&bytes) {
            // Servers that log to stdout break the protocol for clients, but the probe's
            // question is only whether the handshake is answered: skip what is not JSON-RPC.
            let Ok(message) = serde_json::from_slice::<Value>(&line) else {
                continue;
            };
            let id = message.get("id").and_then(Value::as_u64);
            let result = message.get("result");
            match id {
                Some(DISCOVER_ID) => {
                    if let Some(result) = result {
                        return Ok(answer(result, "2026-07-28"));
                    }
                    if !legacy_sent {
                        send(&mut input, &initialize()).await?;
                        legacy_sent = true;
                    }
                }
                Some(INITIALIZE_ID) => {
                    let Some(result) = result else {
                        return Err(Failure::Refused {
                            message: error_message(&message),
                        });
                    };
                    initialize_answer = Some(answer(result, "unknown"));
                    send(&mut input, &initialized()).await?;
                    send(&mut input, &ping()).await?;
                }
                Some(PING_ID) => {
                    // Any answer, result or error, shows the session is alive after the
                    // handshake; a server that does not implement `ping` still passes.
                    if let Some(answer) = initialize_answer.take() {
                        return Ok(answer);
                    }
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use futures_util::stream;

    /// Runs the handshake against scripted output; returns the result and what was written.
    async fn run(chunks: Vec<Chunk>, wait: Duration) -> (Result<Answer, Failure>, String) {
        let mut written = Vec::new();
        let output = stream::iter(chunks.into_iter().map(Ok));
        let result = handshake(&mut written, output, wait).await;
        (result, String::from_utf8(written).unwrap_or_default())
    }

    fn out(text: &str) -> Chunk {
        Chunk::Stdout(text.as_bytes().to_vec())
    }

    #[tokio::test]
    async fn a_2026_server_answers_discover() {
        let (result, written) = run(
            vec![
                out(r#"{"jsonrpc":"2.0","id":1,"result":{"serverInfo":{"name":"new"}}}"#),
                out("\n"),
            ],
            Duration::from_secs(1),
        )
        .await;
        assert_eq!(
            result,
            Ok(Answer {
                protocol: "2026-07-28".to_string(),
                server: Some("new".to_string())
            })
        );
        assert!(!written.contains("initialize"), "{written}");
    }

    #[tokio::test]
    async fn an_earlier_server_falls_back_to_initialize_and_ping() {
        let (result, written) = run(
            vec![
                out("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32601,\"message\":\"no\"}}\n"),
                out("not json: a server logging to stdout\n{\"jsonrpc\":\"2.0\",\"id\":2,"),
                out("\"result\":{\"protocolVersion\":\"2025-06-18\",\"serverInfo\":{\"name\":\"fake\"}}}\n"),
                out("{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{}}\n"),
            ],
            Duration::from_secs(1),
        )
        .await;
        assert_eq!(
            result,
            Ok(Answer {
                protocol: "2025-06-18".to_string(),
                server: Some("fake".to_string())
            })
        );
        let methods: Vec<String> = written
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap()["method"].to_string())
            .collect();
        assert_eq!(
            methods,
            [
                "\"server/discover\"",
                "\"initialize\"",
                "\"notifications/initialized\"",
                "\"ping\""
            ]
        );
    }

    #[tokio::test]
    async fn silence_to_discover_sends_initialize_after_the_wait() {
        let mut written = Vec::new();
        // The answers come only after the fallback wait; the stream then stays open, so the
        // result must come from those lines, not from the end of the output.
        let late = stream::once(async {
            tokio::time::sleep(Duration::from_millis(80)).await;
            Ok(out(
                "{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{\"protocolVersion\":\"2024-11-05\"}}\n{\"jsonrpc\":\"2.0\",\"id\":3,\"error\":{\"code\":-32601}}\n",
            ))
        })
        .chain(stream::pending());
        let result = tokio::time::timeout(
            Duration::from_secs(5),
            handshake(&mut written, Box::pin(late), Duration::from_millis(20)),
        )
        .await
        .expect("handshake finished");
        assert_eq!(result.map(|a| a.protocol), Ok("2024-11-05".to_string()));
    }

    #[tokio::test]
    async fn an_exit_reports_stderr() {
        let (result, _) = run(
            vec![Chunk::Stderr(b"fatal: cannot open /data\n".to_vec())],
            Duration::from_secs(1),
        )
        .await;
        assert_eq!(
            result,
            Err(Failure::Exited {
                stderr: "fatal: cannot open /data".to_string()
            })
        );
    }

    #[tokio::test]
    async fn an_initialize_error_is_a_failure() {
        let (result, _) = run(
            vec![out(
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32601,\"message\":\"x\"}}\n{\"jsonrpc\":\"2.0\",\"id\":2,\"error\":{\"code\":-32000,\"message\":\"not ready\"}}\n",
            )],
            Duration::from_secs(1),
        )
        .await;
        assert_eq!(
            result,
            Err(Failure::Refused {
                message: "not ready (-32000)".to_string()
            })
        );
    }
}
