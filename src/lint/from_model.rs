//! The service view of each server in `mcp.toml`, with spans into the file the user wrote.

use super::host_path::land;
use super::view::{
    AllowView, EnvView, HealthView, LimitsView, Located, LoggingView, MountKind, MountView,
    NetworkView, ServiceView, TmpfsView,
};
use crate::config::{Config, Origin};
use crate::model::Server;
use crate::render::compose::{EGRESS_NETWORK, INTERNAL_NETWORK, tmpfs_options};

/// The views of every server, their mounts resolved against the home directory of whoever
/// runs mcpgen: the stack runs on this machine.
pub fn services(config: &Config) -> Vec<ServiceView> {
    services_at_home(config, std::env::var("HOME").ok().as_deref())
}

/// The views of every server, `~` in their mounts being `home`. A mount's relative source is
/// relative to the generated compose file, in `out_dir`, as Compose reads it there.
pub fn services_at_home(config: &Config, home: Option<&str>) -> Vec<ServiceView> {
    let base = std::path::absolute(config.out_dir()).ok();
    config
        .stack
        .servers
        .iter()
        .map(|server| service(config, server, base.as_deref(), home))
        .collect()
}

fn service(
    config: &Config,
    server: &Server,
    base: Option<&std::path::Path>,
    home: Option<&str>,
) -> ServiceView {
    let origins = &config.origins;
    let name = server.name.as_str();
    let at = |path: &str| Some(origins.setting(name, path).span().clone());
    let set = |path: &str| match origins.setting(name, path) {
        Origin::Missing(_) => None,
        origin => Some(origin.span().clone()),
    };
    let mut networks = vec![NetworkView {
        name: INTERNAL_NETWORK.to_string(),
        internal: true,
        span: None,
    }];
    if server.egress {
        networks.push(NetworkView {
            name: EGRESS_NETWORK.to_string(),
            internal: false,
            span: origins.own(name, "egress"),
        });
    }
    ServiceView {
        name: server.name.clone(),
        span: Some(origins.server(name)),
        image: Some(Located::new(server.image.clone(), at("image"))),
        has_build: false,
        user: server
            .user
            .clone()
            .map(|user| Located::new(user, at("user"))),
        read_only: Some(Located::new(server.read_only, at("read_only"))),
        cap_drop: server
            .cap_drop
            .iter()
            .enumerate()
            .map(|(i, cap)| {
                Located::new(
                    cap.clone(),
                    set(&format!("cap_drop/{i}")).or_else(|| at("cap_drop")),
                )
            })
            .collect(),
        cap_add: Vec::new(),
        security_opt: if server.no_new_privileges {
            vec![Located::new(
                "no-new-privileges:true".to_string(),
                at("no_new_privileges"),
            )]
        } else {
            Vec::new()
        },
        privileged: None,
        network_mode: None,
        network_peer: None,
        container_name: None,
        namespaces: Vec::new(),
        mounts: server
            .mounts
            .iter()
            .enumerate()
            .map(|(i, mount)| MountView {
                kind: MountKind::Bind,
                source: Some(mount.source.clone()),
                target: mount.target.clone(),
                read_only: mount.read_only,
                tmpfs_options: Vec::new(),
                span: origins.own(name, &format!("mounts/{i}")),
                landing: Some(land(&mount.source, base, home)),
                volume: None,
            })
            .chain(
                server
                    .volumes
                    .iter()
                    .enumerate()
                    .map(|(i, volume)| MountView {
                        kind: MountKind::Volume,
                        source: Some(volume.name.clone()),
                        target: volume.target.clone(),
                        read_only: volume.read_only,
                        tmpfs_options: Vec::new(),
                        span: origins.own(name, &format!("volumes/{i}")),
                        landing: None,
                        volume: None,
                    }),
            )
            .collect(),
        use_api_socket: None,
        ports: Vec::new(),
        env: server
            .env
            .iter()
            .map(|(key, value)| EnvView {
                key: key.clone(),
                value: Some(value.clone()),
                span: origins.own(name, &format!("env/{key}")),
            })
            .collect(),
        healthcheck: server.health.enabled.then(|| HealthView {
            disabled: false,
            span: at("health"),
        }),
        restart: Some(Located::new(
            server.restart.as_compose().to_string(),
            at("restart"),
        )),
        tmpfs: server
            .tmpfs
            .iter()
            .map(|tmpfs| TmpfsView {
                target: tmpfs.target.clone(),
                options: tmpfs_options(tmpfs)
                    .split(',')
                    .map(str::to_string)
                    .collect(),
                span: at("tmpfs"),
            })
            .collect(),
        devices: Vec::new(),
        init: Some(Located::new(server.init, at("init"))),
        networks,
        logging: Some(LoggingView {
            driver: Some("json-file".to_string()),
            size_capped: true,
            span: at("logging"),
        }),
        limits: LimitsView {
            cpus: server
                .limits
                .cpus
                .map(|cpus| Located::new(cpus, at("limits/cpus"))),
            memory: server
                .limits
                .memory
                .map(|m| Located::new(m.0, at("limits/memory"))),
            pids: server
                .limits
                .pids
                .map(|pids| Located::new(pids, at("limits/pids"))),
        },
        allows: server
            .allow
            .iter()
            .map(|allow| AllowView {
                rule: allow.rule.clone(),
                reason: allow.reason.clone(),
                span: origins.own(name, &format!("allow/{}", allow.index)),
            })
            .collect(),
        egress_allowed: server.egress,
    }
}
