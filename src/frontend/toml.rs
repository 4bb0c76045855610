//! The `mcp.toml` front end of lint: the service view of each server, as the generated compose
//! file will run it, with spans into the file the user wrote. Its twin is [`super::compose`].

use crate::config::{Config, ServerSpans};
use crate::lint::host_path::land;
use crate::lint::view::{
    AllowView, EnvView, HealthView, LimitsView, Located, LoggingView, MountKind, MountView,
    NetworkView, ServiceView, TmpfsView,
};
use crate::model::Server;
use crate::model::contract::{EGRESS_NETWORK, INTERNAL_NETWORK, tmpfs_options};

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
        .zip(&config.spans)
        .map(|(server, spans)| service(server, spans, base.as_deref(), home))
        .collect()
}

fn service(
    server: &Server,
    spans: &ServerSpans,
    base: Option<&std::path::Path>,
    home: Option<&str>,
) -> ServiceView {
    let at = |span: &crate::source::Span| Some(*span);
    let mut networks = vec![NetworkView {
        name: INTERNAL_NETWORK.to_string(),
        internal: true,
        span: None,
    }];
    if server.egress {
        networks.push(NetworkView {
            name: EGRESS_NETWORK.to_string(),
            internal: false,
            span: spans.egress,
        });
    }
    ServiceView {
        name: server.name.clone(),
        span: Some(spans.table),
        image: Some(Located::new(server.image.clone(), at(&spans.image))),
        has_build: false,
        user: server
            .user
            .clone()
            .map(|user| Located::new(user, at(&spans.user))),
        read_only: Some(Located::new(server.read_only, at(&spans.read_only))),
        cap_drop: server
            .cap_drop
            .iter()
            .zip(&spans.cap_drop)
            .map(|(cap, span)| Located::new(cap.clone(), at(span)))
            .collect(),
        cap_add: Vec::new(),
        security_opt: if server.no_new_privileges {
            vec![Located::new(
                "no-new-privileges:true".to_string(),
                at(&spans.no_new_privileges),
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
            .zip(&spans.mounts)
            .map(|(mount, span)| MountView {
                kind: MountKind::Bind,
                source: Some(mount.source.clone()),
                target: mount.target.clone(),
                read_only: mount.read_only,
                tmpfs_options: Vec::new(),
                span: *span,
                landing: Some(land(&mount.source, base, home)),
                volume: None,
            })
            .chain(
                server
                    .volumes
                    .iter()
                    .zip(&spans.volumes)
                    .map(|(volume, span)| MountView {
                        kind: MountKind::Volume,
                        source: Some(volume.name.clone()),
                        target: volume.target.clone(),
                        read_only: volume.read_only,
                        tmpfs_options: Vec::new(),
                        span: *span,
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
            .zip(&spans.env)
            .map(|((key, value), span)| EnvView {
                key: key.clone(),
                value: Some(value.clone()),
                span: *span,
            })
            .collect(),
        healthcheck: server.health.enabled.then(|| HealthView {
            disabled: false,
            span: at(&spans.health),
        }),
        restart: Some(Located::new(
            server.restart.as_compose().to_string(),
            at(&spans.restart),
        )),
        tmpfs: server
            .tmpfs
            .iter()
            .map(|tmpfs| TmpfsView {
                target: tmpfs.target.clone(),
                options: tmpfs_options(tmpfs).to_vec(),
                span: at(&spans.tmpfs),
            })
            .collect(),
        devices: Vec::new(),
        init: Some(Located::new(server.init, at(&spans.init))),
        networks,
        logging: Some(LoggingView {
            driver: Some("json-file".to_string()),
            size_capped: true,
            span: at(&spans.logging),
        }),
        limits: LimitsView {
            cpus: server
                .limits
                .cpus
                .map(|cpus| Located::new(cpus, at(&spans.cpus))),
            memory: server
                .limits
                .memory
                .map(|m| Located::new(m.0, at(&spans.memory))),
            pids: server
                .limits
                .pids
                .map(|pids| Located::new(pids, at(&spans.pids))),
        },
        allows: server
            .allow
            .iter()
            .zip(&spans.allow)
            .map(|(allow, span)| AllowView {
                rule: allow.rule.clone(),
                reason: allow.reason.clone(),
                span: *span,
            })
            .collect(),
        egress_allowed: server.egress,
    }
}
