//! `docker-compose.mcp-only.yml`: one hardened service per server, plus the monitor.

use std::collections::BTreeMap;

use serde::Serialize;

use super::RenderError;
use super::header::{HeaderStyle, header_text, stamp};
use super::shim::{quote, quote_all};
use crate::model::units::format_duration;
use crate::model::{Server, Stack, Tmpfs};

pub const FILE_NAME: &str = "docker-compose.mcp-only.yml";
pub const INTERNAL_NETWORK: &str = "internal";
pub const EGRESS_NETWORK: &str = "egress";
pub const MONITOR_SERVICE: &str = "mcpgen-monitor";
pub const LABEL_MANAGED: &str = "dev.mcpgen.managed";
pub const LABEL_STACK: &str = "dev.mcpgen.stack";
pub const LABEL_SERVER: &str = "dev.mcpgen.server";
/// The server's stdio command as a JSON array: the monitor probes by exec without mcp.toml.
pub const LABEL_COMMAND: &str = "dev.mcpgen.command";
/// `handshake` (an MCP handshake by exec) or `exists` (secrets come only per session, so only
/// the command's presence can be checked).
pub const LABEL_PROBE: &str = "dev.mcpgen.probe";
pub const EGRESS_ALLOW_REASON: &str = "egress = true in mcp.toml: the server needs the internet";
pub const MONITOR_IMAGE_REASON: &str =
    "built locally from mcpgen's Dockerfile: it has no registry digest";
pub const MONITOR_ALLOW_REASON: &str = "the monitor restarts unhealthy servers through the engine API; \
     it has no network, no capabilities and a read-only root filesystem";

#[derive(Serialize)]
struct ComposeFile {
    name: String,
    services: BTreeMap<String, Service>,
    networks: BTreeMap<&'static str, Network>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    volumes: BTreeMap<String, NamedVolume>,
}

#[derive(Serialize)]
struct Service {
    image: String,
    container_name: String,
    command: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    group_add: Vec<String>,
    read_only: bool,
    cap_drop: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    security_opt: Vec<String>,
    init: bool,
    restart: &'static str,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    environment: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    volumes: Vec<VolumeMount>,
    tmpfs: Vec<String>,
    deploy: Deploy,
    #[serde(skip_serializing_if = "Option::is_none")]
    network_mode: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    networks: Vec<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    healthcheck: Option<Healthcheck>,
    logging: Logging,
    labels: BTreeMap<&'static str, String>,
    #[serde(rename = "x-mcpgen", skip_serializing_if = "Option::is_none")]
    x_mcpgen: Option<Extension>,
}

#[derive(Serialize)]
struct VolumeMount {
    #[serde(rename = "type")]
    kind: &'static str,
    source: String,
    target: String,
    read_only: bool,
}

#[derive(Serialize)]
struct Deploy {
    resources: Resources,
}

#[derive(Serialize)]
struct Resources {
    limits: Limits,
}

#[derive(Serialize)]
struct Limits {
    #[serde(skip_serializing_if = "Option::is_none")]
    cpus: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    memory: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pids: Option<i64>,
}

#[derive(Serialize)]
struct Healthcheck {
    test: Vec<String>,
    interval: String,
    timeout: String,
    retries: u32,
    start_period: String,
}

#[derive(Serialize)]
struct Logging {
    driver: &'static str,
    options: BTreeMap<&'static str, String>,
}

#[derive(Serialize)]
struct Network {
    internal: bool,
    labels: BTreeMap<&'static str, String>,
}

#[derive(Serialize)]
struct NamedVolume {
    labels: BTreeMap<&'static str, String>,
}

#[derive(Serialize)]
struct Extension {
    allow: Vec<ExtensionAllow>,
}

#[derive(Serialize)]
struct ExtensionAllow {
    rule: String,
    reason: String,
}

/// Compose interpolates `$` in every string; values from `mcp.toml` are literal.
pub fn escape_dollars(text: &str) -> String {
    text.replace('$', "$$")
}

/// Mount options of a tmpfs; always noexec, nosuid and nodev, and always sized.
pub fn tmpfs_options(tmpfs: &Tmpfs) -> String {
    format!("rw,noexec,nosuid,nodev,size={}", tmpfs.size)
}

/// Podman's `read_only` quietly adds writable, exec-allowed tmpfs mounts at `/run` and
/// `/var/tmp`; naming them here makes them small and noexec on every engine.
const GUARDED_PATHS: [&str; 2] = ["/run", "/var/tmp"];

fn tmpfs_mounts(declared: &[Tmpfs]) -> Vec<String> {
    let guards = GUARDED_PATHS
        .iter()
        .filter(|path| !declared.iter().any(|t| t.target == **path))
        .map(|path| Tmpfs {
            target: (*path).to_string(),
            size: crate::model::ByteSize(1 << 20),
        })
        .collect::<Vec<_>>();
    declared
        .iter()
        .chain(&guards)
        .map(|t| format!("{}:{}", t.target, tmpfs_options(t)))
        .collect()
}

/// The handshake the default healthcheck sends: `server/discover` for protocol 2026-07-28
/// servers, then `initialize` for every earlier one; either answering with a result passes.
const HANDSHAKE: [&str; 2] = [
    r#"{"jsonrpc":"2.0","id":1,"method":"server/discover","params":{}}"#,
    r#"{"jsonrpc":"2.0","id":2,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"mcpgen-healthcheck","version":"1"}}}"#,
];

/// Seconds the default health test lets the server run before killing it: a second under the
/// engine's timeout. Engines do not kill a timed-out check (Podman 4.3 does not even stop
/// waiting for it), so a hung server would hang every check and pile up one stuck process per
/// interval until the pids limit is reached.
fn health_deadline_secs(server: &Server) -> u64 {
    server.health.timeout.as_secs().saturating_sub(1).max(1)
}

/// The health test: by default an MCP handshake with the server inside its container, with
/// stdin held open a moment so servers that stop at end of input still answer. The server
/// runs in the background under a watchdog (plain POSIX sh: `timeout` is not in every image)
/// that kills it at the deadline, so a hung server fails the check instead of hanging it.
pub fn health_test(server: &Server) -> Result<Vec<String>, RenderError> {
    if let Some(test) = &server.health.test {
        return Ok(test.clone());
    }
    if !server.secrets.is_empty() {
        // Secrets reach a server only per session, never the container's own environment, so
        // a handshake here would fail by design: check the server is there to be started.
        let script = format!("command -v {} >/dev/null", quote(&server.command[0])?);
        return Ok(vec!["CMD-SHELL".to_string(), script]);
    }
    let messages = quote_all(&HANDSHAKE.map(str::to_string))?;
    let script = format!(
        "{{ (printf '%s\\n' {messages}; sleep 1) | {} 2>/dev/null & p=$!; \
         (sleep {}; kill -9 $p) >/dev/null 2>&1 & w=$!; wait $p; kill $w; }} 2>/dev/null \
         | grep -q '\"result\"'",
        quote_all(&server.command)?,
        health_deadline_secs(server)
    );
    Ok(vec!["CMD-SHELL".to_string(), script])
}

fn labels(stack: &Stack, server: Option<&str>) -> BTreeMap<&'static str, String> {
    let mut labels = BTreeMap::from([
        (LABEL_MANAGED, "true".to_string()),
        (LABEL_STACK, stack.name.clone()),
    ]);
    if let Some(server) = server {
        labels.insert(LABEL_SERVER, server.to_string());
    }
    labels
}

/// The server's allows from mcp.toml, and the egress it declared, so the compose file lints
/// exactly as mcp.toml does.
fn server_allows(server: &Server) -> Option<Extension> {
    let mut allow: Vec<ExtensionAllow> = server
        .allow
        .iter()
        .map(|a| ExtensionAllow {
            rule: a.rule.clone(),
            reason: a.reason.clone(),
        })
        .collect();
    if server.egress {
        allow.push(ExtensionAllow {
            rule: "MCP023".to_string(),
            reason: EGRESS_ALLOW_REASON.to_string(),
        });
    }
    (!allow.is_empty()).then_some(Extension { allow })
}

fn server_labels(stack: &Stack, server: &Server) -> BTreeMap<&'static str, String> {
    let mut labels = labels(stack, Some(&server.name));
    let command = serde_json::to_string(&server.command).unwrap_or_default();
    labels.insert(LABEL_COMMAND, escape_dollars(&command));
    let probe = if server.secrets.is_empty() {
        "handshake"
    } else {
        "exists"
    };
    labels.insert(LABEL_PROBE, probe.to_string());
    labels
}

fn logging(max_size: String, max_file: u32) -> Logging {
    Logging {
        driver: "json-file",
        options: BTreeMap::from([("max-size", max_size), ("max-file", max_file.to_string())]),
    }
}

fn server_service(stack: &Stack, server: &Server) -> Result<Service, RenderError> {
    let mut networks = vec![INTERNAL_NETWORK];
    if server.egress {
        networks.push(EGRESS_NETWORK);
    }
    let volumes = server
        .mounts
        .iter()
        .map(|mount| VolumeMount {
            kind: "bind",
            source: escape_dollars(&mount.source),
            target: mount.target.clone(),
            read_only: mount.read_only,
        })
        .chain(server.volumes.iter().map(|volume| VolumeMount {
            kind: "volume",
            source: volume.name.clone(),
            target: volume.target.clone(),
            read_only: volume.read_only,
        }))
        .collect();
    let healthcheck = if server.health.enabled {
        Some(Healthcheck {
            test: health_test(server)?
                .iter()
                .map(|s| escape_dollars(s))
                .collect(),
            interval: format_duration(server.health.interval),
            timeout: format_duration(server.health.timeout),
            retries: server.health.retries,
            start_period: format_duration(server.health.start_period),
        })
    } else {
        None
    };
    Ok(Service {
        image: server.image.clone(),
        container_name: stack.container_name(server),
        command: server.keepalive.iter().map(|s| escape_dollars(s)).collect(),
        user: server.user.clone(),
        group_add: Vec::new(),
        read_only: server.read_only,
        cap_drop: server.cap_drop.clone(),
        security_opt: if server.no_new_privileges {
            vec!["no-new-privileges:true".to_string()]
        } else {
            Vec::new()
        },
        init: server.init,
        restart: server.restart.as_compose(),
        environment: server
            .env
            .iter()
            .map(|(k, v)| (k.clone(), escape_dollars(v)))
            .collect(),
        volumes,
        tmpfs: tmpfs_mounts(&server.tmpfs),
        deploy: Deploy {
            resources: Resources {
                limits: Limits {
                    cpus: server.limits.cpus.map(|c| c.to_string()),
                    memory: server.limits.memory.map(|m| m.to_string()),
                    pids: server.limits.pids,
                },
            },
        },
        network_mode: None,
        networks,
        healthcheck,
        logging: logging(server.logging.max_size.to_string(), server.logging.max_file),
        labels: server_labels(stack, server),
        x_mcpgen: server_allows(server),
    })
}

/// The monitor runs mcpgen itself; it needs the engine socket and nothing else.
fn monitor_service(stack: &Stack) -> Service {
    let monitor = &stack.monitor;
    Service {
        image: monitor.image.clone(),
        container_name: format!("{}-{MONITOR_SERVICE}", stack.name),
        command: vec![
            "monitor".to_string(),
            "--stack".to_string(),
            stack.name.clone(),
            "--interval".to_string(),
            format_duration(monitor.interval),
            "--failures".to_string(),
            monitor.failures.to_string(),
            "--max-restarts".to_string(),
            monitor.max_restarts.to_string(),
            "--window".to_string(),
            format_duration(monitor.window),
            "--status-file".to_string(),
            "/tmp/monitor.status".to_string(),
        ],
        user: Some("65532:65532".to_string()),
        // The socket's group: 0 for Podman and Docker Desktop, often 999 or 998 for Docker on Linux.
        group_add: vec!["${MCPGEN_SOCKET_GID:-0}".to_string()],
        read_only: true,
        cap_drop: vec!["ALL".to_string()],
        security_opt: vec!["no-new-privileges:true".to_string()],
        init: true,
        restart: "unless-stopped",
        environment: BTreeMap::from([(
            "DOCKER_HOST".to_string(),
            "unix:///run/mcpgen/engine.sock".to_string(),
        )]),
        volumes: vec![VolumeMount {
            kind: "bind",
            source: "${MCPGEN_ENGINE_SOCKET:-/var/run/docker.sock}".to_string(),
            target: "/run/mcpgen/engine.sock".to_string(),
            read_only: false,
        }],
        tmpfs: tmpfs_mounts(&[Tmpfs {
            target: "/tmp".to_string(),
            size: crate::model::ByteSize(1 << 20),
        }]),
        deploy: Deploy {
            resources: Resources {
                limits: Limits {
                    cpus: Some("0.25".to_string()),
                    memory: Some("64m".to_string()),
                    pids: Some(32),
                },
            },
        },
        network_mode: Some("none"),
        networks: Vec::new(),
        healthcheck: Some(Healthcheck {
            test: vec![
                "CMD".to_string(),
                "/mcpgen".to_string(),
                "monitor".to_string(),
                "--check-status".to_string(),
                "/tmp/monitor.status".to_string(),
            ],
            interval: format_duration(monitor.interval),
            timeout: "5s".to_string(),
            retries: 3,
            start_period: "10s".to_string(),
        }),
        logging: logging("10m".to_string(), 3),
        labels: labels(stack, None),
        x_mcpgen: Some(Extension {
            allow: vec![
                ExtensionAllow {
                    rule: "MCP011".to_string(),
                    reason: MONITOR_ALLOW_REASON.to_string(),
                },
                ExtensionAllow {
                    rule: "MCP016".to_string(),
                    reason: MONITOR_IMAGE_REASON.to_string(),
                },
            ],
        }),
    }
}

pub fn render(stack: &Stack) -> Result<String, RenderError> {
    let mut services = BTreeMap::new();
    for server in &stack.servers {
        services.insert(server.name.clone(), server_service(stack, server)?);
    }
    if stack.monitor.enabled {
        services.insert(MONITOR_SERVICE.to_string(), monitor_service(stack));
    }
    let mut networks = BTreeMap::from([(
        INTERNAL_NETWORK,
        Network {
            internal: true,
            labels: labels(stack, None),
        },
    )]);
    if stack.has_egress() {
        networks.insert(
            EGRESS_NETWORK,
            Network {
                internal: false,
                labels: labels(stack, None),
            },
        );
    }
    let volumes = stack
        .servers
        .iter()
        .flat_map(|s| &s.volumes)
        .map(|v| {
            (
                v.name.clone(),
                NamedVolume {
                    labels: labels(stack, None),
                },
            )
        })
        .collect();
    let file = ComposeFile {
        name: stack.name.clone(),
        services,
        networks,
        volumes,
    };
    let yaml = serde_yaml_ng::to_string(&file).map_err(|e| RenderError::Serialize {
        artifact: FILE_NAME,
        message: e.to_string(),
    })?;
    Ok(stamp(&format!(
        "{}{yaml}",
        header_text(&stack.source_name, HeaderStyle::Hash)
    )))
}
