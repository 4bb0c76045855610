//! MCP012 no-sensitive-host-path.

use crate::diag::Severity;
use crate::lint::host_path::{self, Landing};
use crate::lint::view::MountKind;
use crate::lint::{Report, Rule, ServiceView};

pub static RULE: Rule = Rule {
    code: "MCP012",
    name: "no-sensitive-host-path",
    severity: Severity::Error,
    core: false,
    summary: "host system directories and whole home directories must not be mounted",
    docs: DOCS,
    check,
};

const DOCS: &str = r#"## What it does
Reports a bind mount whose source is, where it lands on the host:
- `/`, the whole host;
- a host system directory or anything under it: `/boot`, `/dev`, `/etc`, `/lib`, `/lib32`,
  `/lib64`, `/bin`, `/sbin`, `/usr`, `/proc`, `/sys`, `/root`, and the engines' storage
  `/var/lib/docker`, `/var/lib/containerd`, `/var/lib/containers`;
- a directory above one of them (`/var`, `/var/lib`), which exposes it as well;
- a whole home directory, or a directory above one: `~`, `$HOME`, `${HOME}`, `/home/<user>`,
  `/Users/<user>`, `/home`, `/Users`. A folder inside a home directory (`~/projects`) is fine.

Where it lands is worked out as Compose does before the engine sees the path: `~` is the home
directory of whoever runs Compose (`~alice` is `$HOME/alice`), a relative path is relative to
the project directory (to the file's own directory for an `include`d file or the `file` of an
`extends`), and `//`, `.` and `..` are resolved. So `~/../..` and `../../../..` are `/`, and
`..` is the folder above the project, judged like any other path. A folder inside the project
(`./data`) is the project's own, wherever the project is kept: only the project directory
itself, or one above it, can be sensitive. A named volume that the `local` driver binds from the
host (`driver_opts: { type: none, o: bind, device: /etc }`) is a bind mount of its `device`,
judged in every service that mounts the volume. In `mcp.toml`, a mount's relative source is
relative to the generated compose file's directory (`out_dir`), and `mcpgen build` refuses what
this rule reports.

`:ro` does not help: reading is the danger.

## Why it matters
These directories hold the host's password hashes and SSH host keys, its kernels and boot
loader, its devices and kernel settings, every container's files, or a user's SSH keys, cloud
credentials, browser profiles and shell history. An MCP server that can read them can leak them
to whoever steers the model; one that can write them owns the host.

## Bad
```yaml
services:
  filesystem:
    image: mcp/filesystem:1.0.0
    volumes:
      - ~:/home/me:ro
      - /etc/localtime:/etc/localtime:ro
```

## Good
```yaml
services:
  filesystem:
    image: mcp/filesystem:1.0.0
    environment:
      TZ: Europe/Berlin
    volumes:
      - ~/projects:/projects:ro
```

## Fix
Mount only the folder the server works on, read-only where it can be. For the time zone, set
`TZ` rather than mounting `/etc/localtime`.

## References
- CIS Docker Benchmark 5.6: do not mount sensitive host system directories on containers
- Docker docs: bind mounts
"#;

/// Host directories that are sensitive with everything under them, and what they hold.
const SENSITIVE_DIRECTORIES: &[(&str, &str)] = &[
    ("/boot", "the host's kernels and boot loader"),
    ("/dev", "the host's devices"),
    (
        "/etc",
        "the host's configuration, users and password hashes",
    ),
    ("/lib", "the host's libraries"),
    ("/lib32", "the host's libraries"),
    ("/lib64", "the host's libraries"),
    ("/bin", "the host's programs"),
    ("/sbin", "the host's programs"),
    ("/usr", "the host's programs and libraries"),
    ("/proc", "the host's processes and kernel settings"),
    ("/sys", "the host's kernel and hardware settings"),
    ("/root", "root's home directory"),
    (
        "/var/lib/docker",
        "the container engine's storage: every image, container and volume",
    ),
    (
        "/var/lib/containerd",
        "the container engine's storage: every image, container and volume",
    ),
    (
        "/var/lib/containers",
        "the container engine's storage: every image, container and volume",
    ),
];

const HOME_DIRECTORY: &str = "a whole home directory: SSH keys, cloud credentials, shell history";

fn is_whole_home(path: &str) -> bool {
    if matches!(path, "$HOME" | "${HOME}" | "/home" | "/Users") {
        return true;
    }
    // `/home/alice` and `/Users/alice` are alice's home, but not the folders below them.
    ["/home/", "/Users/"].iter().any(|root| {
        path.strip_prefix(root)
            .is_some_and(|user| !user.is_empty() && !user.contains('/'))
    })
}

/// What binding the host path `landing` into a container exposes, when it is sensitive.
pub fn sensitive(landing: &Landing) -> Option<&'static str> {
    let path = landing.path.as_str();
    if path == "/" {
        return Some("the whole host filesystem");
    }
    if landing.holds_home || is_whole_home(path.trim_end_matches('/')) {
        return Some(HOME_DIRECTORY);
    }
    if !path.starts_with('/') {
        // Still relative: a project folder whose place is not known.
        return None;
    }
    let within = |directory: &str| {
        path == directory
            || path
                .strip_prefix(directory)
                .is_some_and(|rest| rest.starts_with('/'))
    };
    let above = |directory: &str| {
        directory
            .strip_prefix(path)
            .is_some_and(|rest| rest.starts_with('/'))
    };
    // A folder of the project, or one the user names in their home (`~/projects`), is the
    // user's own files wherever they are kept (a checkout under `/etc/app`, a home that is
    // `/root`): only a sensitive directory itself, or one above it, is judged there.
    let exposes = |directory: &str| {
        above(directory)
            || if landing.in_project || landing.in_home {
                path == directory
            } else {
                within(directory)
            }
    };
    SENSITIVE_DIRECTORIES
        .iter()
        .find(|(directory, _)| exposes(directory))
        .map(|(_, holds)| *holds)
}

/// [`sensitive`] for a source resolved without knowing its base directory or the home.
pub fn sensitive_host_path(source: &str) -> Option<&'static str> {
    sensitive(&host_path::land(source, None, None))
}

fn check(service: &ServiceView, report: &mut Report) {
    for mount in &service.mounts {
        if mount.kind != MountKind::Bind {
            continue;
        }
        if mount.source.is_none() {
            continue;
        }
        let Some(holds) = sensitive(&mount.lands()) else {
            continue;
        };
        let read_only = if mount.read_only {
            " (read-only still lets the server read it)"
        } else {
            ""
        };
        report.push(
            format!(
                "bind-mounts {} from the host, which exposes {holds}{read_only}",
                mount.described()
            ),
            service.at_span(mount.span.as_ref()),
            "mount only the folder the server works on (e.g. `~/projects`), read-only where it can be",
        );
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::lint::rules::test_support::{assert_silent, bind, check, hardened, only, span};

    #[test]
    fn system_directories_their_contents_and_parents() {
        for source in [
            "/",
            "//",
            "/etc",
            "/etc/",
            "/etc/localtime",
            "/etc/../etc/ssh",
            "/srv/../etc",
            "/usr/local/bin",
            "/dev/shm",
            "/proc/1/root",
            "/sys/fs/cgroup",
            "/root/.ssh",
            "/var/lib/docker",
            "/var/lib/docker/volumes/x",
            "/var/lib/containers/storage",
            "/var",
            "/var/lib/",
            "/lib64",
        ] {
            assert!(sensitive_host_path(source).is_some(), "{source}");
        }
        for source in [
            "/srv/data",
            "/var/log/app",
            "/var/lib/postgresql",
            "/etcetera",
            "/usrdata",
            "/opt/etc",
            "./etc",
            "data",
        ] {
            assert!(sensitive_host_path(source).is_none(), "{source}");
        }
    }

    #[test]
    fn whole_home_but_not_a_folder_in_it() {
        for source in [
            "~",
            "~/",
            "$HOME",
            "${HOME}",
            "${HOME}/",
            "/home/alice",
            "/home/alice/",
            "/Users/alice",
            "/home",
            "/Users/",
        ] {
            assert_eq!(
                sensitive_host_path(source),
                Some(HOME_DIRECTORY),
                "{source}"
            );
        }
        for source in [
            // Compose reads `~alice` as `$HOME/alice`: a folder in the home directory.
            "~alice",
            "~/projects",
            "$HOME/projects",
            "${HOME}/work",
            "/home/alice/projects",
            "/Users/alice/src",
        ] {
            assert!(sensitive_host_path(source).is_none(), "{source}");
        }
    }

    #[test]
    fn judged_where_they_land() {
        let at = |source: &str, base: &str, home: &str| {
            sensitive(&host_path::land(source, Some(Path::new(base)), Some(home)))
        };
        // Climbing out of the project or the home lands on what is above them.
        assert_eq!(
            at("~/../..", "/srv/app", "/home/alice"),
            Some("the whole host filesystem")
        );
        assert_eq!(
            at("../../../..", "/srv/app", "/home/alice"),
            Some("the whole host filesystem")
        );
        assert_eq!(at("~/..", "/srv/app", "/home/alice"), Some(HOME_DIRECTORY));
        assert_eq!(
            at("..", "/home/alice/app", "/home/alice"),
            Some(HOME_DIRECTORY)
        );
        assert_eq!(at("..", "/srv/data/app", "/root"), None);
        assert!(at("../../etc", "/srv/app", "/root").is_some());
        assert!(at("~/../../etc/ssh", "/srv/app", "/home/alice").is_some());
        // The project directory itself is judged; its folders are the project's own.
        assert_eq!(at(".", "/home/alice", "/home/alice"), Some(HOME_DIRECTORY));
        assert!(at(".", "/etc", "/root").is_some());
        assert_eq!(at("./conf", "/etc/app", "/root"), None);
        assert_eq!(at("./data", "/root/app", "/root"), None);
        // A folder the user names in their home is theirs, even where the home is /root.
        assert_eq!(at("~/projects", "/srv/app", "/root"), None);
        assert!(at("~", "/srv/app", "/root").is_some());
        // Spelled out, /root is still root's home.
        assert!(at("/root/projects", "/srv/app", "/root").is_some());
    }

    #[test]
    fn fires_at_the_mount_even_read_only() {
        let mut service = hardened();
        service.mounts = vec![bind("~/projects", true, 40), bind("/etc", true, 41)];
        let found = only(&RULE, &service);
        assert_eq!(found.span, span(41));
        assert!(found.message.contains("`/etc`"));
        assert!(found.message.contains("password hashes"));
        assert!(found.message.contains("read-only still"));
        assert!(found.help.contains("mount only the folder"));
    }

    #[test]
    fn only_bind_mounts_are_host_paths() {
        let mut service = hardened();
        let mut volume = bind("etc", false, 40);
        volume.kind = crate::lint::view::MountKind::Volume;
        service.mounts = vec![volume];
        assert_silent(&RULE, &service);
        service.mounts = vec![bind("/", false, 41)];
        assert_eq!(check(&RULE, &service).len(), 1);
    }
}
