//! MCP023 internal-network.

use crate::diag::Severity;
use crate::lint::rules::mcp009_no_host_network::is_host_network;
use crate::lint::{Report, Rule, ServiceView};

pub static RULE: Rule = Rule {
    code: "MCP023",
    name: "internal-network",
    severity: Severity::Warning,
    core: false,
    summary: "servers should only be on internal networks unless egress is declared",
    docs: DOCS,
    check,
};

const DOCS: &str = r#"## What it does
Reports a service that can reach the internet without saying it should:
- it lists no networks, so Compose puts it on the project's `default` network;
- it is on a network that is not `internal: true` (each such network is one finding);
- its `network_mode` is `bridge` (or another mode that is not a container's own).

It is silent when the server declares egress (`egress = true` in `mcp.toml`), with
`network_mode: none` (no network at all), with `network_mode: host` (MCP009's business), and with
`network_mode: service:…` / `container:…`, which borrow another container's network: that
service is judged on its own.

## Why it matters
Internet access is what turns a prompt injection into data theft: a tool that can fetch any URL
can send your files and tokens anywhere. Most MCP servers (filesystem, memory, a sandboxed
shell) need no internet at all; on an `internal: true` network they still reach their peers but
nothing outside the host.

## Bad
```yaml
services:
  memory:
    image: mcp/memory:1.0.0
```

## Good
```yaml
services:
  memory:
    image: mcp/memory:1.0.0
    networks: [internal]
networks:
  internal:
    internal: true
```

## Fix
Put the service only on `internal: true` networks (mcpgen's `internal` network), or give it
`network_mode: none`. A server that must reach the internet declares it: `egress = true` in
`mcp.toml`, which adds mcpgen's `egress` network; for a hand-written compose service, allow
MCP023 with the reason.

## References
- CIS Docker Benchmark 5.30: ensure that Docker's default bridge `docker0` is not used
- OWASP Docker Security Cheat Sheet, rule 5: be mindful of inter-container connectivity
- Docker docs: Compose networks (`internal`)
"#;

const HELP: &str = "use only `internal: true` networks (or `network_mode: none`); a server that needs the internet declares it (`egress = true` in mcp.toml) or takes an allow with the reason";

fn check(service: &ServiceView, report: &mut Report) {
    if service.egress_allowed {
        return;
    }
    if let Some(mode) = &service.network_mode {
        let value = mode.value.trim().to_ascii_lowercase();
        let own_network_or_none = value == "none"
            || is_host_network(&value)
            || value.starts_with("service:")
            || value.starts_with("container:");
        if !own_network_or_none {
            report.push(
                format!(
                    "`network_mode: {}` puts the server on a network that reaches the internet",
                    mode.value.trim()
                ),
                service.at(Some(mode)),
                HELP,
            );
            report.note(mode.note.clone());
        }
        return;
    }
    if service.networks.is_empty() {
        report.push(
            "no `networks`: the server is on the project's default network, which reaches the internet",
            service.span,
            HELP,
        );
        return;
    }
    for network in service.networks.iter().filter(|network| !network.internal) {
        report.push(
            format!(
                "network `{}` is not `internal: true`: the server can reach the internet",
                network.name
            ),
            service.at_span(network.span.as_ref()),
            HELP,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::rules::test_support::{
        SERVICE_AT, assert_silent, check, hardened, located, only, span,
    };
    use crate::lint::view::NetworkView;

    fn network(name: &str, internal: bool, at: usize) -> NetworkView {
        NetworkView {
            name: name.to_string(),
            internal,
            span: span(at),
        }
    }

    #[test]
    fn default_network_points_at_the_service() {
        let mut service = hardened();
        service.networks.clear();
        let found = only(&RULE, &service);
        assert_eq!(found.span, span(SERVICE_AT));
        assert_eq!(found.severity, Severity::Warning);
        assert!(found.message.contains("default network"));
        assert!(found.help.contains("egress = true"));
    }

    #[test]
    fn each_non_internal_network_fires() {
        let mut service = hardened();
        service.networks = vec![
            network("internal", true, 40),
            network("default", false, 41),
            network("frontend", false, 42),
        ];
        let found = check(&RULE, &service);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].span, span(41));
        assert_eq!(
            found[1].message,
            "network `frontend` is not `internal: true`: the server can reach the internet"
        );
    }

    #[test]
    fn declared_egress_is_silent() {
        let mut service = hardened();
        service.networks.push(network("egress", false, 40));
        service.egress_allowed = true;
        assert_silent(&RULE, &service);
    }

    #[test]
    fn network_modes() {
        for mode in ["none", "host", "HOST", "service:vpn", "container:abc"] {
            let mut service = hardened();
            service.networks.clear();
            service.network_mode = Some(located(mode.to_string(), 40));
            assert_silent(&RULE, &service);
        }
        let mut service = hardened();
        service.networks.clear();
        service.network_mode = Some(located("bridge".to_string(), 40));
        let found = only(&RULE, &service);
        assert_eq!(found.span, span(40));
        assert!(found.message.starts_with("`network_mode: bridge`"));
    }

    #[test]
    fn internal_only_is_silent() {
        assert_silent(&RULE, &hardened());
    }
}
