//! MCP009 no-host-network.

use crate::diag::Severity;
use crate::lint::view::NetworkPeer;
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
Reports `network_mode: host` (any case), and a `network_mode` that joins another container's
network (`service:x`, `container:x`) when that network is the host's: x is followed through the
project (`container:x` names a service's `container_name`) to the service with a network of its
own. When x is not in the project (a container started elsewhere, a service that does not
exist, a chain that goes round) its network cannot be checked, and that is reported too.

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
    let Some(mode) = &service.network_mode else {
        return;
    };
    let joined = "give the server a network of its own (an `internal: true` network) instead of joining another container's";
    let (message, help) = match &service.network_peer {
        _ if is_host_network(&mode.value) => (
            "`network_mode` is `host`: the container shares the host's interfaces and loopback services"
                .to_string(),
            "remove `network_mode: host`; use an `internal: true` network (or `network_mode: none`)",
        ),
        Some(NetworkPeer::Host { via }) => (
            format!(
                "`network_mode` is `{}`: it joins the network of `{via}`, which is the host's",
                mode.value.trim()
            ),
            joined,
        ),
        Some(NetworkPeer::Unknown { named }) => (
            format!(
                "`network_mode` is `{}`: `{named}` is not a service of this project, so the network it joins cannot be checked",
                mode.value.trim()
            ),
            joined,
        ),
        Some(NetworkPeer::Own { .. }) | None => return,
    };
    report.push(message, service.at(Some(mode)), help);
    report.note(mode.note.clone());
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
