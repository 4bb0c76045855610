//! MCP011 no-runtime-socket.

use crate::diag::Severity;
use crate::lint::view::{MountKind, MountView};
use crate::lint::{Report, Rule, ServiceView};

pub static RULE: Rule = Rule {
    code: "MCP011",
    name: "no-runtime-socket",
    severity: Severity::Error,
    core: false,
    summary: "the container engine's socket must not be mounted",
    docs: DOCS,
    check,
};

const DOCS: &str = r#"## What it does
Reports a mount (bind or named pipe, short or long syntax) whose source exposes a container
engine's API:
- a path with `docker.sock`, `containerd.sock`, `podman.sock` or `crio.sock` anywhere in it, or
  Windows' `docker_engine` pipe;
- a directory that holds such a socket: exactly `/run` or `/var/run` (a trailing `/` changes
  nothing), or `/run/containerd`, `/run/podman`, `/run/crio`, `/run/docker`, `/run/user/<uid>`,
  `/run/user/<uid>/podman` (and the same under `/var/run`).

`:ro` / `read_only: true` does not help: a read-only bind of a socket still accepts every API
call. The source is judged as written and where it lands on the host, resolved as Compose
resolves it (see MCP012): `/var/run/../run`, `~/../../run` and a `..` that climbs out of the
project to `/run` are all `/run`. Also reported: `use_api_socket: true`, which hands the service the engine's socket and
credentials. An interpolated source is judged by its default
(`${SOCK:-/var/run/docker.sock}` is the Docker socket).

## Why it matters
Whoever can talk to the engine's socket can start a privileged container that mounts the host's
`/`: the socket is root on the host. An MCP server that holds it turns one prompt injection into
a host takeover, whatever `user`, `cap_drop` and `read_only` say.

## Bad
```yaml
services:
  docker:
    image: mcp/docker:1.0.0
    volumes:
      - /var/run/docker.sock:/var/run/docker.sock:ro
```

## Good
```yaml
services:
  docker:
    image: mcp/docker:1.0.0
    # No socket: the server manages nothing on the host.
```

## Fix
Remove the mount (or `use_api_socket`). A server that must drive containers belongs outside the
stack, or behind a proxy that allows only the few API calls it needs; if the socket stays, allow
MCP011 on that one service with the reason and harden the service the way mcpgen's monitor is.

## The one exception: mcpgen's monitor
`mcpgen-monitor`, which mcpgen adds when `[monitor] enabled = true`, restarts MCP servers whose
health probes keep failing, through the engine API, so it mounts the engine's socket. The
generated service carries the allow and its reason, and is built so that the socket is all it
has: no network (`network_mode: none`), no capabilities (`cap_drop: [ALL]`), a read-only root
filesystem, `no-new-privileges`, and a non-root user whose only extra group is the socket's.

```yaml
services:
  mcpgen-monitor:
    user: "65532:65532"
    group_add: ["${MCPGEN_SOCKET_GID:-0}"]
    network_mode: none
    read_only: true
    cap_drop: [ALL]
    security_opt: ["no-new-privileges:true"]
    volumes:
      - type: bind
        source: ${MCPGEN_ENGINE_SOCKET:-/var/run/docker.sock}
        target: /run/mcpgen/engine.sock
    x-mcpgen:
      allow:
        - rule: MCP011
          reason: the monitor restarts unhealthy servers through the engine API; it has no network, no capabilities and a read-only root filesystem
```

The finding is still reported, as suppressed with that reason, in JSON and SARIF output. No MCP
server gets this exception from mcpgen.

## References
- CIS Docker Benchmark 5.32: ensure that the Docker socket is not mounted inside any containers
- OWASP Docker Security Cheat Sheet, rule 1: do not expose the Docker daemon socket (even to the containers)
- Docker docs: protect the Docker daemon socket; Compose `use_api_socket`
"#;

/// Socket (and Windows pipe) names of the container engines' APIs.
const RUNTIME_SOCKETS: &[&str] = &[
    "docker.sock",
    "containerd.sock",
    "podman.sock",
    "crio.sock",
    "docker_engine",
];

/// Whether binding `source` into a container hands it a container engine's API: the socket
/// itself, or a directory the engines keep their sockets in.
pub fn exposes_runtime_socket(source: &str) -> bool {
    let source = source.trim();
    let components: Vec<&str> = source
        .split(['/', '\\'])
        .filter(|component| !component.is_empty() && *component != ".")
        .collect();
    if components
        .iter()
        .any(|component| RUNTIME_SOCKETS.contains(component))
    {
        return true;
    }
    if !source.starts_with('/') {
        return false;
    }
    // `/var/run` is a symlink to `/run` on every current distribution: one list covers both.
    let under_run = match components.as_slice() {
        ["var", "run", rest @ ..] | ["run", rest @ ..] => rest,
        _ => return false,
    };
    let is_uid = |uid: &str| !uid.is_empty() && uid.chars().all(|c| c.is_ascii_digit());
    match under_run {
        [] | ["containerd" | "podman" | "crio" | "docker"] => true,
        ["user", uid] | ["user", uid, "podman"] => is_uid(uid),
        _ => false,
    }
}

/// Whether a mount's source hands over an engine's API, as written or where it lands
/// (`/var/run/../run`, `../../run` from a project in `/srv/app`).
pub fn mount_exposes_runtime_socket(mount: &MountView) -> bool {
    let Some(source) = mount.source.as_deref() else {
        return false;
    };
    exposes_runtime_socket(source) || exposes_runtime_socket(&mount.lands().path)
}

fn check(service: &ServiceView, report: &mut Report) {
    for mount in &service.mounts {
        // A named volume or a tmpfs has no host path to hand over.
        if matches!(mount.kind, MountKind::Volume | MountKind::Tmpfs) {
            continue;
        }
        if !mount_exposes_runtime_socket(mount) {
            continue;
        }
        let read_only = if mount.read_only {
            " (`:ro` does not help: a read-only socket still takes every API call)"
        } else {
            ""
        };
        report.push(
            format!(
                "mounts {}, which exposes the container engine's API: whoever reaches it is root on the host{read_only}",
                mount.described()
            ),
            service.at_span(mount.span.as_ref()),
            "remove the mount; a server that must drive containers needs a narrow API proxy, or an allow with its reason and the monitor's hardening",
        );
    }
    if let Some(api_socket) = service.use_api_socket.as_ref().filter(|u| u.value) {
        report.push(
            "`use_api_socket` is true: the container gets the engine's API socket and credentials",
            service.at(Some(api_socket)),
            "remove `use_api_socket: true`",
        );
        report.note(api_socket.note.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::rules::test_support::{
        assert_silent, bind, check, hardened, located, only, span,
    };

    #[test]
    fn socket_paths_and_their_directories() {
        for source in [
            "/var/run/docker.sock",
            "/run/docker.sock",
            "${HOME}/.docker/run/docker.sock",
            "/run/containerd/containerd.sock",
            "/run/user/1000/podman/podman.sock",
            "/var/run/crio/crio.sock",
            "./docker.sock",
            r"\\.\pipe\docker_engine",
            "//./pipe/docker_engine",
            "/run",
            "/run/",
            "/var/run",
            "/var/run/",
            " /var//run/ ",
            "/run/containerd",
            "/var/run/podman/",
            "/run/user/1000",
            "/run/user/1000/podman",
        ] {
            assert!(exposes_runtime_socket(source), "{source}");
        }
        for source in [
            "/run/secrets/token",
            "/var/run/postgresql",
            "/run/user/1000/pulse",
            "/run/user/me",
            "~/projects",
            "docker-data",
            "/var/lib/docker.socket-notes",
            "run",
        ] {
            assert!(!exposes_runtime_socket(source), "{source}");
        }
    }

    #[test]
    fn socket_directories_are_judged_where_they_land() {
        let mut service = hardened();
        let mut climbing = bind("../../../../run", true, 41);
        climbing.landing = Some(crate::lint::host_path::land(
            "../../../../run",
            Some(std::path::Path::new("/srv/app")),
            Some("/root"),
        ));
        service.mounts = vec![bind("/var/run/../run", true, 40), climbing];
        let found = check(&RULE, &service);
        assert_eq!(found.len(), 2, "{found:#?}");
        assert!(
            found[0]
                .message
                .contains("`/var/run/../run` (`/var/run` once resolved)")
        );
        assert!(
            found[1]
                .message
                .contains("`../../../../run` (`/run` once resolved)")
        );
    }

    #[test]
    fn read_only_socket_still_fires_and_says_so() {
        let mut service = hardened();
        service.mounts = vec![bind("/var/run/docker.sock", true, 40)];
        let found = only(&RULE, &service);
        assert_eq!(found.span, span(40));
        assert!(found.message.contains("`/var/run/docker.sock`"));
        assert!(found.message.contains("`:ro` does not help"));
        assert!(found.help.contains("remove the mount"));
    }

    #[test]
    fn resolved_interpolation_default_is_judged() {
        // The compose front end hands over `${MCPGEN_ENGINE_SOCKET:-/var/run/docker.sock}`
        // resolved to its default.
        let mut service = hardened();
        service.mounts = vec![bind("/var/run/docker.sock", false, 40)];
        let found = only(&RULE, &service);
        assert!(!found.message.contains("does not help"));
    }

    #[test]
    fn named_volumes_and_tmpfs_are_not_sockets() {
        let mut service = hardened();
        let mut volume = bind("docker.sock", false, 40);
        volume.kind = MountKind::Volume;
        let tmpfs = MountView {
            kind: MountKind::Tmpfs,
            source: None,
            target: "/run".to_string(),
            read_only: false,
            tmpfs_options: Vec::new(),
            span: span(41),
            landing: None,
            volume: None,
        };
        service.mounts = vec![volume, tmpfs, bind("/srv/data", true, 42)];
        assert_silent(&RULE, &service);
    }

    #[test]
    fn the_monitor_needs_only_its_allow() {
        // mcpgen-monitor as the compose front end sees it: the socket (its interpolated source
        // resolved), no network, and the allow for this rule.
        let mut monitor = hardened();
        monitor.name = "mcpgen-monitor".to_string();
        monitor.user = Some(located("65532:65532".to_string(), 40));
        monitor.networks.clear();
        monitor.network_mode = Some(located("none".to_string(), 41));
        monitor.mounts = vec![bind("/var/run/docker.sock", false, 42)];
        monitor.allows = vec![crate::lint::view::AllowView {
            rule: "MCP011".to_string(),
            reason: "the monitor restarts unhealthy servers through the engine API".to_string(),
            span: span(43),
        }];
        let findings = crate::lint::run(&[monitor], &Default::default());
        let active: Vec<&str> = crate::lint::active(&findings)
            .map(|finding| finding.rule.code)
            .collect();
        assert!(active.is_empty(), "{active:?}");
        let suppressed: Vec<&str> = findings
            .iter()
            .filter(|finding| finding.is_suppressed())
            .map(|finding| finding.rule.code)
            .collect();
        assert_eq!(suppressed, ["MCP011"]);
    }

    #[test]
    fn use_api_socket_fires() {
        let mut service = hardened();
        service.use_api_socket = Some(located(true, 40));
        let found = check(&RULE, &service);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].span, span(40));
        assert!(found[0].message.contains("`use_api_socket`"));
        service.use_api_socket = Some(located(false, 40));
        assert_silent(&RULE, &service);
    }
}
