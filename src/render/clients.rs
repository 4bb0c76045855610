//! Client configurations pointing at the shims, one per client target and profile, each in the
//! client's own format (see CLIENTS.md). `install` merges the same entries into the real files.

use std::collections::BTreeMap;

use serde::Serialize;

use super::RenderError;
use super::header::{HeaderStyle, header_text, stamp};
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

/// For clients that expand `${VAR}` in `env`: pass env-referenced secrets through by reference,
/// never by value (Gemini CLI, for one, strips `*TOKEN*` variables it is not told to keep).
fn with_secret_references(
    mut launcher: Launcher,
    server: &Server,
    dollar_braces: bool,
) -> Launcher {
    for secret in &server.secrets {
        if let SecretSource::Env(var) = &secret.source {
            let reference = if dollar_braces {
                format!("${{{var}}}")
            } else {
                format!("${var}")
            };
            launcher.env.insert(var.clone(), reference);
        }
    }
    launcher
}

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
    servers: BTreeMap<&'static str, BTreeMap<String, StdioEntry>>,
}

#[derive(Serialize)]
struct CodexConfig {
    mcp_servers: BTreeMap<String, Launcher>,
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
    let source = &stack.source_name;
    let mut launchers = Vec::new();
    for server in &stack.servers {
        launchers.push((server, launcher(stack, server, profile)?));
    }
    let json =
        |key: &'static str, entry: &dyn Fn(&Server, Launcher) -> StdioEntry, style: HeaderStyle| {
            let servers = launchers
                .iter()
                .map(|(server, launcher)| (server.name.clone(), entry(server, launcher.clone())))
                .collect();
            let comment = (style == HeaderStyle::JsonMember).then(|| header_text(source, style));
            let config = JsonConfig {
                comment,
                servers: BTreeMap::from([(key, servers)]),
            };
            let body = serde_json::to_string_pretty(&config)
                .map_err(|e| serialize_error("client config")(e.to_string()))?;
            let text = match style {
                HeaderStyle::JsonMember => format!("{body}\n"),
                _ => format!("{}{body}\n", header_text(source, style)),
            };
            Ok(stamp(&text))
        };
    let plain = |_: &Server, l: Launcher| StdioEntry {
        kind: None,
        source: None,
        command: l.command,
        args: l.args,
        env: l.env,
        disabled: None,
    };
    match client {
        "claude-desktop" | "cursor" | "windsurf" => {
            json("mcpServers", &plain, HeaderStyle::JsonMember)
        }
        "cline" => json(
            "mcpServers",
            &|s, l| StdioEntry {
                disabled: Some(false),
                ..plain(s, l)
            },
            HeaderStyle::JsonMember,
        ),
        "gemini-cli" => json(
            "mcpServers",
            &|s, l| plain(s, with_secret_references(l, s, false)),
            HeaderStyle::JsonMember,
        ),
        "claude-code" => json(
            "mcpServers",
            &|s, l| StdioEntry {
                kind: Some("stdio"),
                ..plain(s, with_secret_references(l, s, true))
            },
            HeaderStyle::JsonMember,
        ),
        "vscode" => json(
            "servers",
            &|s, l| StdioEntry {
                kind: Some("stdio"),
                ..plain(s, l)
            },
            HeaderStyle::Slash,
        ),
        "zed" => json(
            "context_servers",
            &|s, l| StdioEntry {
                source: Some("custom"),
                ..plain(s, l)
            },
            HeaderStyle::Slash,
        ),
        "codex" => {
            let config = CodexConfig {
                mcp_servers: launchers
                    .into_iter()
                    .map(|(server, launcher)| (server.name.clone(), launcher))
                    .collect(),
            };
            let body = toml::to_string(&config)
                .map_err(|e| serialize_error("codex config")(e.to_string()))?;
            Ok(stamp(&format!(
                "{}{body}",
                header_text(source, HeaderStyle::Hash)
            )))
        }
        "continue" => {
            let block = ContinueBlock {
                name: format!("mcpgen {}", stack.name),
                version: env!("CARGO_PKG_VERSION"),
                schema: "v1",
                mcp_servers: launchers
                    .into_iter()
                    .map(|(server, launcher)| ContinueServer {
                        name: server.name.clone(),
                        command: launcher.command,
                        args: launcher.args,
                        env: launcher.env,
                    })
                    .collect(),
            };
            let body = serde_yaml_ng::to_string(&block)
                .map_err(|e| serialize_error("continue config")(e.to_string()))?;
            Ok(stamp(&format!(
                "{}{body}",
                header_text(source, HeaderStyle::Hash)
            )))
        }
        other => Err(RenderError::UnknownClient(other.to_string())),
    }
}
