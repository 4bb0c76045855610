//! `docker-compose.mcp-only.yml`: one hardened service per server, plus the monitor.

use std::collections::BTreeMap;

use serde::Serialize;

use super::RenderError;
use super::header::{HeaderStyle, Identity, header_text, stamp};
use crate::model::contract::{
    COMPOSE_FILE_NAME, EGRESS_NETWORK, HELPER_MOUNT, HELPER_PATH, HELPER_SERVICE, INTERNAL_NETWORK,
    LABEL_COMMAND, LABEL_MANAGED, LABEL_PROBE, LABEL_SERVER, LABEL_STACK, MONITOR_SERVICE,
    ProbeKind, helper_volume, tmpfs_options,
};
use crate::model::units::format_duration;
use crate::model::{Server, Stack, Tmpfs};

pub const EGRESS_ALLOW_REASON: &str = "egress = true in mcp.toml: the server needs the internet";
pub const MONITOR_IMAGE_REASON: &str =
    "built locally from mcpgen's Dockerfile: it has no registry digest";
pub const HELPER_ONE_SHOT_REASON: &str =
    "a one-shot that only fills the helper volume from mcpgen's image, then exits";
pub const HELPER_CHOWN_REASON: &str = "a one-shot that gives the stack's new named volumes to their servers' users, \
     then exits: no network, read-only, CAP_CHOWN alone";
/// Where the one-shot mounts each named volume it prepares.
const PREPARE_DIR: &str = "/volumes";
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
    #[serde(skip_serializing_if = "Option::is_none")]
    container_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    entrypoint: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    command: Option<Vec<String>>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    depends_on: BTreeMap<&'static str, DependsOn>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    group_add: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    cap_add: Vec<String>,
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
    #[serde(skip_serializing_if = "Vec::is_empty")]
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
    #[serde(skip_serializing_if = "Option::is_none")]
    volume: Option<VolumeOptions>,
}

#[derive(Serialize)]
struct VolumeOptions {
    /// Never fill mcpgen's helper volume from a server's image.
    nocopy: bool,
}

#[derive(Serialize)]
struct DependsOn {
    condition: &'static str,
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
        .map(|t| {
            format!(
                "{}:{}",
                escape_dollars(&t.target),
                tmpfs_options(t).join(",")
            )
        })
        .collect()
}

/// The deadline the helper keeps: a second under the engine's timeout, because engines do not
/// kill a timed-out check (Podman 4.3 does not even stop waiting for it), and a check that
/// outlived its timeout would pile up one stuck server process per interval.
fn health_deadline(server: &Server) -> String {
    let seconds = server.health.timeout.as_secs().saturating_sub(1).max(1);
    format!("{seconds}s")
}

/// The health test, in exec form so it needs nothing from the image: mcpgen's helper runs the
/// MCP handshake for the server's protocol era and lists its tools. A server with secrets gets
/// them only per session, never in the container's environment, so a handshake would fail by
/// design: for it the helper checks that the command is there to be started.
pub fn health_test(server: &Server) -> Vec<String> {
    if let Some(test) = &server.health.test {
        return test.clone();
    }
    let mut test = vec![
        "CMD".to_string(),
        HELPER_PATH.to_string(),
        "health".to_string(),
    ];
    match ProbeKind::of(server) {
        ProbeKind::Handshake => {
            test.extend(["--timeout".to_string(), health_deadline(server)]);
            test.push("--".to_string());
            test.extend(server.command.iter().cloned());
        }
        ProbeKind::Exists => {
            test.extend(["--exists".to_string(), "--".to_string()]);
            test.push(server.command[0].clone());
        }
    }
    test
}

fn labels(stack: &Stack, server: Option<&str>) -> BTreeMap<&'static str, String> {
    let mut labels = BTreeMap::from([
        (LABEL_MANAGED, "true".to_string()),
        (LABEL_STACK, escape_dollars(&stack.name)),
    ]);
    if let Some(server) = server {
        labels.insert(LABEL_SERVER, escape_dollars(server));
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
    labels.insert(LABEL_PROBE, ProbeKind::of(server).label().to_string());
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
            target: escape_dollars(&mount.target),
            read_only: mount.read_only,
            volume: None,
        })
        .chain(server.volumes.iter().map(|volume| VolumeMount {
            kind: "volume",
            source: volume.name.clone(),
            target: escape_dollars(&volume.target),
            read_only: volume.read_only,
            volume: None,
        }))
        .chain([VolumeMount {
            kind: "volume",
            source: helper_volume(),
            target: HELPER_MOUNT.to_string(),
            read_only: true,
            volume: Some(VolumeOptions { nocopy: true }),
        }])
        .collect();
    let healthcheck = if server.health.enabled {
        Some(Healthcheck {
            test: health_test(server)
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
        image: escape_dollars(&server.image),
        container_name: Some(stack.container_name(server)),
        // Always set, so the image's ENTRYPOINT and CMD never run: the container idles on
        // mcpgen's helper, and sessions start the server beside it.
        entrypoint: Some(vec![HELPER_PATH.to_string(), "idle".to_string()]),
        command: None,
        depends_on: BTreeMap::from([(
            HELPER_SERVICE,
            DependsOn {
                condition: "service_completed_successfully",
            },
        )]),
        user: server.user.clone(),
        group_add: Vec::new(),
        cap_add: Vec::new(),
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
        container_name: Some(format!("{}-{MONITOR_SERVICE}", stack.name)),
        entrypoint: None,
        depends_on: BTreeMap::new(),
        command: Some(vec![
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
        ]),
        user: Some("65532:65532".to_string()),
        // The socket's group: 0 for Podman and Docker Desktop, often 999 or 998 for Docker on Linux.
        group_add: vec!["${MCPGEN_SOCKET_GID:-0}".to_string()],
        cap_add: Vec::new(),
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
            volume: None,
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

/// A one-shot from mcpgen's image: creating it makes the engine copy the image's helper into
/// the (empty) helper volume, which every server container then mounts read-only — no host
/// path, so it works where the engine runs in a VM (Docker Desktop) too.
///
/// It also gives each writable named volume to its server's (numeric) user while root still
/// owns it: engines create volume roots owned by root, which a non-root server cannot write.
/// That alone needs root with CAP_CHOWN, in this one-shot only.
fn helper_service(stack: &Stack) -> Service {
    let mut owners: BTreeMap<&str, String> = BTreeMap::new();
    for server in &stack.servers {
        let Some(owner) = server.user.as_deref().and_then(numeric_owner) else {
            continue;
        };
        for volume in server.volumes.iter().filter(|v| !v.read_only) {
            owners.entry(&volume.name).or_insert_with(|| owner.clone());
        }
    }
    let mut entrypoint = vec![HELPER_PATH.to_string()];
    let mut volumes = vec![VolumeMount {
        kind: "volume",
        source: helper_volume(),
        target: HELPER_MOUNT.to_string(),
        read_only: false,
        volume: None,
    }];
    let mut allow = vec![
        ("MCP016", MONITOR_IMAGE_REASON),
        ("MCP018", HELPER_ONE_SHOT_REASON),
        ("MCP019", HELPER_ONE_SHOT_REASON),
    ];
    let (user, cap_add) = if owners.is_empty() {
        entrypoint.push("--version".to_string());
        ("65532:65532", Vec::new())
    } else {
        entrypoint.push("prepare".to_string());
        for (name, owner) in &owners {
            let target = format!("{PREPARE_DIR}/{name}");
            entrypoint.push(format!("--owner={owner}={target}"));
            volumes.push(VolumeMount {
                kind: "volume",
                source: (*name).to_string(),
                target,
                read_only: false,
                volume: Some(VolumeOptions { nocopy: true }),
            });
        }
        allow.extend([
            ("MCP001", HELPER_CHOWN_REASON),
            ("MCP007", HELPER_CHOWN_REASON),
        ]);
        allow.sort_unstable();
        ("0:0", vec!["CHOWN".to_string()])
    };
    Service {
        image: stack.monitor.image.clone(),
        container_name: None,
        entrypoint: Some(entrypoint),
        command: None,
        depends_on: BTreeMap::new(),
        user: Some(user.to_string()),
        group_add: Vec::new(),
        cap_add,
        read_only: true,
        cap_drop: vec!["ALL".to_string()],
        security_opt: vec!["no-new-privileges:true".to_string()],
        init: true,
        restart: "no",
        environment: BTreeMap::new(),
        volumes,
        tmpfs: Vec::new(),
        deploy: Deploy {
            resources: Resources {
                limits: Limits {
                    cpus: Some("0.25".to_string()),
                    memory: Some("32m".to_string()),
                    pids: Some(8),
                },
            },
        },
        network_mode: Some("none"),
        networks: Vec::new(),
        healthcheck: None,
        logging: logging("1m".to_string(), 1),
        labels: labels(stack, None),
        x_mcpgen: Some(Extension {
            allow: allow
                .into_iter()
                .map(|(rule, reason)| ExtensionAllow {
                    rule: rule.to_string(),
                    reason: reason.to_string(),
                })
                .collect(),
        }),
    }
}

/// `uid` or `uid:gid` as the one-shot's `--owner` takes it; a user given by name cannot be
/// resolved outside its image, so its volumes are left as the engine made them.
fn numeric_owner(user: &str) -> Option<String> {
    let (uid, gid) = user.split_once(':').unwrap_or((user, user));
    let numeric = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (numeric(uid) && numeric(gid)).then(|| format!("{uid}:{gid}"))
}

pub fn render(stack: &Stack) -> Result<String, RenderError> {
    let mut services = BTreeMap::new();
    for server in &stack.servers {
        services.insert(server.name.clone(), server_service(stack, server)?);
    }
    if !stack.servers.is_empty() {
        services.insert(HELPER_SERVICE.to_string(), helper_service(stack));
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
    let mut volumes: BTreeMap<String, NamedVolume> = stack
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
    if !stack.servers.is_empty() {
        volumes.insert(
            helper_volume(),
            NamedVolume {
                labels: labels(stack, None),
            },
        );
    }
    let file = ComposeFile {
        name: stack.name.clone(),
        services,
        networks,
        volumes,
    };
    let yaml = serde_yaml_ng::to_string(&file).map_err(|e| RenderError::Serialize {
        artifact: COMPOSE_FILE_NAME,
        message: e.to_string(),
    })?;
    let identity = Identity {
        source: &stack.source_name,
        stack: &stack.name,
        path: COMPOSE_FILE_NAME,
    };
    Ok(stamp(&format!(
        "{}{yaml}",
        header_text(&identity, HeaderStyle::Hash)
    )))
}
