//! MCP009 no-host-network.

use crate::diag::Severity;
use crate::lint::{Report, Rule, ServiceView};

pub static RULE: Rule = Rule {
    code: "MCP009",
    name: "no-host-network",
    severity: Severity::Error,
    core: false,
    summary: "the container must not share the host's network",
    docs: DOCS,
    check,
};

const DOCS: &str = r#"## What it does
Reports `network_mode: host` (any case).

## Why it matters
On the host network a container sees every host interface and every service listening on the
host's loopback (databases, the Docker Desktop API, local admin panels) as if it were a local
process, and can bind ports the host uses. An MCP server reaches its peers through a compose
network, and the internet, when it must, through a declared egress network.

## Bad
```yaml
services:
  fetch:
    image: mcp/fetch:1.0.0
    network_mode: host
```

## Good
```yaml
services:
  fetch:
    image: mcp/fetch:1.0.0
    networks: [internal]
```

## Fix
Remove `network_mode: host`. Put the service on mcpgen's `internal` network; if it needs the
internet, set `egress = true` on the server in `mcp.toml`. A service that needs no network at all
takes `network_mode: none`.

## References
- CIS Docker Benchmark 5.10: do not use host network mode on containers
- Docker docs: host network driver
"#;

/// `network_mode` value that shares the host's network stack.
pub fn is_host_network(mode: &str) -> bool {
    mode.trim().eq_ignore_ascii_case("host")
}

fn check(service: &ServiceView, report: &mut Report) {
    if let Some(mode) = service
        .network_mode
        .as_ref()
        .filter(|mode| is_host_network(&mode.value))
    {
        report.push(
            "`network_mode` is `host`: the container shares the host's interfaces and loopback services",
            service.at(Some(mode)),
            "remove `network_mode: host`; use an `internal: true` network (or `network_mode: none`)",
        );
        report.note(mode.note.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::rules::test_support::{assert_silent, hardened, located, only, span};

    #[test]
    fn host_fires_in_any_case() {
        let mut service = hardened();
        service.network_mode = Some(located(" Host ".to_string(), 40));
        let found = only(&RULE, &service);
        assert_eq!(found.span, span(40));
        assert!(found.message.contains("`host`"));
        assert!(found.help.contains("internal: true"));
    }

    #[test]
    fn other_modes_are_silent() {
        assert_silent(&RULE, &hardened());
        for mode in ["none", "bridge", "service:db", "container:abc"] {
            let mut service = hardened();
            service.network_mode = Some(located(mode.to_string(), 40));
            assert_silent(&RULE, &service);
        }
    }
}
