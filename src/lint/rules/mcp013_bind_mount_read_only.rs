//! MCP013 bind-mount-read-only.

use crate::diag::Severity;
use crate::lint::rules::mcp011_no_runtime_socket::mount_exposes_runtime_socket;
use crate::lint::view::MountKind;
use crate::lint::{Report, Rule, ServiceView};

pub static RULE: Rule = Rule {
    code: "MCP013",
    name: "bind-mount-read-only",
    severity: Severity::Warning,
    core: false,
    summary: "host bind mounts should be read-only",
    docs: DOCS,
    check,
};

const DOCS: &str = r#"## What it does
Reports a bind mount without `:ro` (short syntax) or `read_only: true` (long syntax), including
a named volume that the `local` driver binds from the host (`driver_opts: { type: none, o: bind,
device: … }`) unless its `o` has `ro`. A mount of
a container engine's socket is left to MCP011: `:ro` changes nothing for a socket, so asking
for it would be wrong advice.

## Why it matters
A writable bind mount is a path from the container back onto the host: a misled tool call can
delete or rewrite the user's files there, or plant a script the user later runs. Most MCP
servers only read the host folder they are given; what they must write belongs in a named
volume.

## Bad
```yaml
services:
  filesystem:
    image: mcp/filesystem:1.0.0
    volumes:
      - ~/projects:/projects
```

## Good
```yaml
services:
  filesystem:
    image: mcp/filesystem:1.0.0
    volumes:
      - ~/projects:/projects:ro
```

## Fix
Add `:ro` (or `read_only: true`); in `mcp.toml`, mounts are read-only unless `read_only = false`.
If the server must change those host files, allow MCP013 on it with the reason.

## References
- OWASP Docker Security Cheat Sheet, rule 8: set filesystem and volumes to read-only
- Docker docs: bind mounts (`readonly` option)
"#;

fn check(service: &ServiceView, report: &mut Report) {
    for mount in &service.mounts {
        if mount.kind != MountKind::Bind || mount.read_only {
            continue;
        }
        if mount_exposes_runtime_socket(mount) {
            continue;
        }
        report.push(
            format!(
                "bind mount {} → `{}` is writable from the container",
                mount.described(),
                mount.target
            ),
            service.at_span(mount.span.as_ref()),
            "add `:ro` (long syntax: `read_only: true`); keep data the server must write in a named volume",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::rules::test_support::{assert_silent, bind, check, hardened, span};

    #[test]
    fn writable_bind_fires_at_the_mount() {
        let mut service = hardened();
        service.mounts = vec![bind("~/projects", true, 40), bind("./data", false, 41)];
        let found = check(&RULE, &service);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].span, span(41));
        assert_eq!(found[0].severity, Severity::Warning);
        assert!(found[0].message.contains("`./data` → `/data`"));
        assert!(found[0].help.contains("`:ro`"));
    }

    #[test]
    fn read_only_binds_volumes_and_sockets_are_silent() {
        let mut service = hardened();
        let mut volume = bind("state", false, 40);
        volume.kind = MountKind::Volume;
        service.mounts = vec![
            volume,
            bind("~/projects", true, 41),
            // MCP011's business: `:ro` would not help.
            bind("/var/run/docker.sock", false, 42),
        ];
        assert_silent(&RULE, &service);
    }
}
