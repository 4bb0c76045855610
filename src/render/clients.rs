//! Client configurations pointing at the shims, one per client target and profile, each in the
//! client's own format (README, "What you get"). `install` merges the same entries into the real files.

use std::collections::BTreeMap;

use serde::Serialize;

use super::RenderError;
use super::header::{HeaderStyle, Identity, header_text, stamp};
use super::shim::{bundle_path, quote_home};
use crate::model::{Profile, SecretSource, Server, Stack};

/// How a client starts a shim. Clients give no shell, a short PATH and do not expand `~`, so
/// the entry runs `/bin/sh` (present on every macOS and Linux) and lets it expand `$HOME`: the
/// same file works on any machine where the bundle is installed at `install_dir`.
#[derive(Debug, Clone, Serialize)]
pub struct Launcher {
    pub command: String,
    pub args: Vec<String>,
    pub env: BTreeMap<String, String>,
}

pub fn launcher(
    stack: &Stack,
    server: &Server,
    profile: &Profile,
) -> Result<Launcher, RenderError> {
    let shim = format!(
        "{}/{}",
        stack.install_dir.trim_end_matches('/'),
        bundle_path(&server.name)
    );
    Ok(Launcher {
        command: "/bin/sh".to_string(),
        args: vec![
            "-c".to_string(),
            format!("exec {}", quote_home(&shim)?),
            format!("mcpgen-{}", server.name),
        ],
        env: BTreeMap::from([("MCPGEN_PROFILE".to_string(), profile.name.clone())]),
    })
}

/// For clients that expand variables in `env`: pass env-referenced secrets through by
/// reference, never by value (Gemini CLI, for one, strips `*TOKEN*` variables it is not told to
/// keep).
fn with_secret_references(mut launcher: Launcher, server: &Server, style: Expansion) -> Launcher {
    for secret in &server.secrets {
        if let SecretSource::Env(var) = &secret.source {
            let reference = match style {
                Expansion::Dollar => format!("${var}"),
                // Claude Code refuses its whole config when a `${VAR}` without a default is
                // unset; an empty default lets the shim say which secret is missing instead.
                Expansion::DollarBracesDefault => format!("${{{var}:-}}"),
            };
            launcher.env.insert(var.clone(), reference);
        }
    }
    launcher
}

#[derive(Clone, Copy)]
enum Expansion {
    Dollar,
    DollarBracesDefault,
}

/// Variables Codex must pass through to a shim. Codex starts MCP servers with a short allow-list
/// of variables (HOME, PATH, USER, …); without these, a Podman or Colima engine behind
/// `DOCKER_HOST` is unreachable and the shim's lock falls back from `XDG_RUNTIME_DIR` to `/tmp`.
const CODEX_PASS_THROUGH: &[&str] = &["DOCKER_HOST", "DOCKER_CONTEXT", "XDG_RUNTIME_DIR"];

/// Codex's default startup timeout is 10 s; a shim may wait for the engine to start a stopped
/// container (`MCPGEN_START_TIMEOUT`, 60 s) after its inspect (5 s) before the handshake begins.
const CODEX_STARTUP_TIMEOUT_SEC: u32 = 90;

#[derive(Serialize)]
struct StdioEntry {
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<&'static str>,
    command: String,
    args: Vec<String>,
    env: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    disabled: Option<bool>,
}

#[derive(Serialize)]
struct JsonConfig {
    #[serde(rename = "$comment", skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
    #[serde(flatten)]
    servers: BTreeMap<&'static str, BTreeMap<String, serde_json::Value>>,
}

#[derive(Serialize)]
struct CodexEntry {
    command: String,
    args: Vec<String>,
    env_vars: Vec<String>,
    startup_timeout_sec: u32,
    env: BTreeMap<String, String>,
}

#[derive(Serialize)]
struct CodexConfig {
    mcp_servers: BTreeMap<String, CodexEntry>,
}

#[derive(Serialize)]
struct ContinueBlock {
    name: String,
    version: &'static str,
    schema: &'static str,
    #[serde(rename = "mcpServers")]
    mcp_servers: Vec<ContinueServer>,
}

#[derive(Serialize)]
struct ContinueServer {
    name: String,
    command: String,
    args: Vec<String>,
    env: BTreeMap<String, String>,
}

/// The key under which a client keeps its servers: an object of entries keyed by server name
/// (for Continue, a list of entries with a `name`).
pub fn servers_key(client: &str) -> Result<&'static str, RenderError> {
    match client {
        "claude-desktop" | "claude-code" | "cursor" | "windsurf" | "gemini-cli" | "cline"
        | "continue" => Ok("mcpServers"),
        "vscode" => Ok("servers"),
        "zed" => Ok("context_servers"),
        "codex" => Ok("mcp_servers"),
        other => Err(RenderError::UnknownClient(other.to_string())),
    }
}

fn stdio_entry(client: &str, server: &Server, launcher: Launcher) -> Option<StdioEntry> {
    let plain = |l: Launcher| StdioEntry {
        kind: None,
        source: None,
        command: l.command,
        args: l.args,
        env: l.env,
        disabled: None,
    };
    Some(match client {
        "claude-desktop" | "cursor" | "windsurf" => plain(launcher),
        "cline" => StdioEntry {
            disabled: Some(false),
            ..plain(launcher)
        },
        "gemini-cli" => plain(with_secret_references(launcher, server, Expansion::Dollar)),
        "claude-code" => StdioEntry {
            kind: Some("stdio"),
            ..plain(with_secret_references(
                launcher,
                server,
                Expansion::DollarBracesDefault,
            ))
        },
        "vscode" => StdioEntry {
            kind: Some("stdio"),
            ..plain(launcher)
        },
        "zed" => StdioEntry {
            source: Some("custom"),
            ..plain(launcher)
        },
        _ => return None,
    })
}

fn codex_entry(server: &Server, launcher: Launcher) -> CodexEntry {
    let mut env_vars: Vec<String> = CODEX_PASS_THROUGH.iter().map(ToString::to_string).collect();
    for secret in &server.secrets {
        if let SecretSource::Env(var) = &secret.source
            && !env_vars.contains(var)
        {
            env_vars.push(var.clone());
        }
    }
    CodexEntry {
        command: launcher.command,
        args: launcher.args,
        env_vars,
        startup_timeout_sec: CODEX_STARTUP_TIMEOUT_SEC,
        env: launcher.env,
    }
}

/// Each server's entry exactly as `client` wants it, by server name: what `generated/clients/`
/// holds and what `install` merges into the client's real file.
pub fn entries(
    stack: &Stack,
    client: &str,
    profile: &Profile,
) -> Result<BTreeMap<String, serde_json::Value>, RenderError> {
    servers_key(client)?;
    let mut entries = BTreeMap::new();
    for server in &stack.servers {
        let launcher = launcher(stack, server, profile)?;
        let value = match client {
            "codex" => serde_json::to_value(codex_entry(server, launcher)),
            "continue" => serde_json::to_value(ContinueServer {
                name: server.name.clone(),
                command: launcher.command,
                args: launcher.args,
                env: launcher.env,
            }),
            _ => match stdio_entry(client, server, launcher) {
                Some(entry) => serde_json::to_value(entry),
                None => return Err(RenderError::UnknownClient(client.to_string())),
            },
        }
        .map_err(|e| serialize_error("client entry")(e.to_string()))?;
        entries.insert(server.name.clone(), value);
    }
    Ok(entries)
}

/// The text of mcpgen's own Continue block file (`.continue/mcpServers/`), which `install`
/// writes whole rather than editing the user's `config.yaml`.
pub fn continue_block(stack: &Stack, profile: &Profile) -> Result<String, RenderError> {
    let mut servers = Vec::new();
    for server in &stack.servers {
        let launcher = launcher(stack, server, profile)?;
        servers.push(ContinueServer {
            name: server.name.clone(),
            command: launcher.command,
            args: launcher.args,
            env: launcher.env,
        });
    }
    let block = ContinueBlock {
        name: format!("mcpgen {}", stack.name),
        version: env!("CARGO_PKG_VERSION"),
        schema: "v1",
        mcp_servers: servers,
    };
    let body = serde_yaml_ng::to_string(&block)
        .map_err(|e| serialize_error("continue config")(e.to_string()))?;
    let path = artifact_path(stack, "continue", profile);
    let identity = Identity {
        source: &stack.source_name,
        stack: &stack.name,
        path: &path,
    };
    Ok(stamp(&format!(
        "{}{body}",
        header_text(&identity, HeaderStyle::Hash)
    )))
}

/// Where a client's rendering goes inside `generated/`.
pub fn artifact_path(stack: &Stack, client: &str, profile: &Profile) -> String {
    let strict = stack.strict_profile().name == profile.name;
    if client == "claude-desktop" {
        return format!("claude_desktop_config_{}.json", profile.name);
    }
    let extension = match client {
        "codex" => "toml",
        "continue" => "yaml",
        _ => "json",
    };
    if strict {
        format!("clients/{client}.{extension}")
    } else {
        format!("clients/{client}.{}.{extension}", profile.name)
    }
}

fn serialize_error(artifact: &'static str) -> impl Fn(String) -> RenderError {
    move |message| RenderError::Serialize { artifact, message }
}

pub fn render_client(
    stack: &Stack,
    client: &str,
    profile: &Profile,
) -> Result<String, RenderError> {
    let path = artifact_path(stack, client, profile);
    let identity = Identity {
        source: &stack.source_name,
        stack: &stack.name,
        path: &path,
    };
    match client {
        "codex" => {
            let mut servers = BTreeMap::new();
            for server in &stack.servers {
                let launcher = launcher(stack, server, profile)?;
                servers.insert(server.name.clone(), codex_entry(server, launcher));
            }
            let body = toml::to_string(&CodexConfig {
                mcp_servers: servers,
            })
            .map_err(|e| serialize_error("codex config")(e.to_string()))?;
            Ok(stamp(&format!(
                "{}{body}",
                header_text(&identity, HeaderStyle::Hash)
            )))
        }
        "continue" => continue_block(stack, profile),
        _ => {
            // JSON clients: strict JSON has no comments, so the header is a `$comment` member;
            // VS Code and Zed read JSON with comments, so it is a `//` comment there.
            let style = match client {
                "vscode" | "zed" => HeaderStyle::Slash,
                _ => HeaderStyle::JsonMember,
            };
            let key = servers_key(client)?;
            let comment = (style == HeaderStyle::JsonMember).then(|| header_text(&identity, style));
            let config = JsonConfig {
                comment,
                servers: BTreeMap::from([(key, entries(stack, client, profile)?)]),
            };
            let body = serde_json::to_string_pretty(&config)
                .map_err(|e| serialize_error("client config")(e.to_string()))?;
            let text = match style {
                HeaderStyle::JsonMember => format!("{body}\n"),
                _ => format!("{}{body}\n", header_text(&identity, style)),
            };
            Ok(stamp(&text))
        }
    }
}
