//! MCP010 no-host-namespaces.

use crate::diag::Severity;
use crate::lint::{Report, Rule, ServiceView};

pub static RULE: Rule = Rule {
    code: "MCP010",
    name: "no-host-namespaces",
    severity: Severity::Error,
    core: false,
    summary: "the container must not share the host's namespaces",
    docs: DOCS,
    check,
};

const DOCS: &str = r#"## What it does
Reports `pid: host`, `ipc: host`, `uts: host`, `userns_mode: host` and `cgroup: host` (the value
in any case). `network_mode: host` is MCP009.

## Why it matters
Each namespace is a wall between the container and the host. With the host's PID namespace a
process sees, signals and (with ptrace) enters every host process; with its IPC namespace it
reads other programs' shared memory; with its UTS namespace it renames the host; `userns_mode:
host` undoes user-namespace remapping so root inside is root outside; with the host's cgroup
namespace it sees the host's whole cgroup tree.

## Bad
```yaml
services:
  shell:
    image: mcp/desktop-commander:0.2.38
    pid: host
```

## Good
```yaml
services:
  shell:
    image: mcp/desktop-commander:0.2.38
```

## Fix
Remove the key: the container then gets its own namespace, which is the default.

## References
- CIS Docker Benchmark 5.16: do not share the host's process namespace; 5.17: do not share the host's IPC namespace; 5.21: do not share the host's UTS namespace; 5.31: do not share the host's user namespaces
- Docker docs: `docker run --pid`, `--ipc`, `--uts`, `--userns`, `--cgroupns`
"#;

/// What sharing the named host namespace gives the container.
fn exposure(namespace: &str) -> &'static str {
    match namespace {
        "pid" => "sees and signals every host process",
        "ipc" => "shares the host's shared memory and semaphores",
        "uts" => "can rename the host",
        "userns_mode" => "runs without user-namespace remapping: its root is the host's root",
        "cgroup" => "sees the host's whole cgroup tree",
        _ => "shares a host namespace",
    }
}

fn check(service: &ServiceView, report: &mut Report) {
    for (namespace, value) in &service.namespaces {
        if !value.value.trim().eq_ignore_ascii_case("host") {
            continue;
        }
        report.push(
            format!("`{namespace}: host`: the container {}", exposure(namespace)),
            service.at(Some(value)),
            format!("remove `{namespace}: host` so the container gets its own namespace"),
        );
        report.note(value.note.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::rules::test_support::{assert_silent, check, hardened, located, span};

    #[test]
    fn each_host_namespace_fires_at_its_value() {
        let mut service = hardened();
        service.namespaces = ["pid", "ipc", "uts", "userns_mode", "cgroup"]
            .iter()
            .zip(40..)
            .map(|(key, at)| (key.to_string(), located("HOST".to_string(), at)))
            .collect();
        let found = check(&RULE, &service);
        assert_eq!(found.len(), 5);
        assert_eq!(found[0].span, span(40));
        assert!(found[0].message.starts_with("`pid: host`"));
        assert!(found[3].message.contains("root is the host's root"));
        assert!(found[4].help.contains("remove `cgroup: host`"));
    }

    #[test]
    fn private_namespaces_are_silent() {
        assert_silent(&RULE, &hardened());
        let mut service = hardened();
        service.namespaces = vec![
            ("pid".to_string(), located("service:db".to_string(), 40)),
            ("ipc".to_string(), located("private".to_string(), 41)),
            ("cgroup".to_string(), located("private".to_string(), 42)),
        ];
        assert_silent(&RULE, &service);
    }
}
