//! MCP014 no-published-ports.

use std::net::IpAddr;

use crate::diag::Severity;
use crate::lint::{Report, Rule, ServiceView};

pub static RULE: Rule = Rule {
    code: "MCP014",
    name: "no-published-ports",
    severity: Severity::Error,
    core: false,
    summary: "MCP servers must not publish ports on the host",
    docs: DOCS,
    check,
};

const DOCS: &str = r#"## What it does
Reports every `ports` entry, short or long syntax. When the host IP is a wildcard (none given,
`0.0.0.0`, `::`, `[::]`), the finding says that the port is open on every interface of the host.

## Why it matters
An MCP stack talks over stdio: the client starts a session with `docker exec` and nothing needs
to listen on the host. A published port is one more way in; on a wildcard address it is open to
the whole network the laptop is on (a café's Wi-Fi, a shared office), and Docker's port
forwarding bypasses host firewalls such as `ufw`.

## Bad
```yaml
services:
  fetch:
    image: mcp/fetch:1.0.0
    ports: ["8080:8080"]
```

## Good
```yaml
services:
  fetch:
    image: mcp/fetch:1.0.0
    # No ports: clients reach the server through `docker exec`.
```

## Fix
Remove the `ports` entry. A server that must serve HTTP (a streamable-HTTP MCP server) should be
bound to loopback, `127.0.0.1:8080:8080`, and allowed with the reason. An allow covers every
port of the service, so keep the host IP explicit: never publish on a wildcard address.

## References
- CIS Docker Benchmark 5.9: ensure that only needed ports are open on the container; 5.14: bind incoming container traffic to a specific host interface
- OWASP Docker Security Cheat Sheet, rule 5: be mindful of inter-container connectivity
- Docker docs: published ports (packet filtering and firewalls)
"#;

/// A host IP that binds every interface: absent, empty, `0.0.0.0`, `::` or `[::]` (any
/// spelling of the unspecified address).
pub fn is_wildcard_ip(host_ip: Option<&str>) -> bool {
    let Some(host_ip) = host_ip.map(str::trim).filter(|ip| !ip.is_empty()) else {
        return true;
    };
    let bare = host_ip
        .strip_prefix('[')
        .and_then(|ip| ip.strip_suffix(']'))
        .unwrap_or(host_ip);
    bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_unspecified())
}

fn check(service: &ServiceView, report: &mut Report) {
    for port in &service.ports {
        let published = match port.published.as_deref().map(str::trim) {
            Some(published) if !published.is_empty() => format!("host port `{published}`"),
            _ => "a random host port".to_string(),
        };
        let span = service.at_span(port.span.as_ref());
        if is_wildcard_ip(port.host_ip.as_deref()) {
            report.push(
                format!("publishes {published} on every host interface (wildcard host IP)"),
                span,
                "remove the `ports` entry (clients use stdio through `docker exec`); if a port is truly needed, bind it to `127.0.0.1` and allow MCP014 with a reason",
            );
        } else {
            let host_ip = port.host_ip.as_deref().unwrap_or_default().trim();
            report.push(
                format!("publishes {published} on `{host_ip}`"),
                span,
                "remove the `ports` entry (clients use stdio through `docker exec`), or allow MCP014 with a reason",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::rules::test_support::{assert_silent, check, hardened, span};
    use crate::lint::view::PortView;

    fn port(host_ip: Option<&str>, published: Option<&str>, at: usize) -> PortView {
        PortView {
            host_ip: host_ip.map(str::to_string),
            published: published.map(str::to_string),
            span: span(at),
        }
    }

    #[test]
    fn wildcard_spellings() {
        for ip in [
            None,
            Some(""),
            Some("0.0.0.0"),
            Some("::"),
            Some("[::]"),
            Some(" 0:0::0 "),
        ] {
            assert!(is_wildcard_ip(ip), "{ip:?}");
        }
        for ip in ["127.0.0.1", "::1", "[::1]", "192.168.1.5", "localhost"] {
            assert!(!is_wildcard_ip(Some(ip)), "{ip}");
        }
    }

    #[test]
    fn every_port_fires_and_wildcards_say_so() {
        let mut service = hardened();
        service.ports = vec![
            port(None, Some("8080"), 40),
            port(Some("[::]"), None, 41),
            port(Some("127.0.0.1"), Some("3000"), 42),
        ];
        let found = check(&RULE, &service);
        assert_eq!(found.len(), 3);
        assert!(found.iter().all(|f| f.severity == Severity::Error));
        assert_eq!(
            found[0].message,
            "publishes host port `8080` on every host interface (wildcard host IP)"
        );
        assert!(
            found[1]
                .message
                .contains("a random host port on every host interface")
        );
        assert_eq!(
            found[2].message,
            "publishes host port `3000` on `127.0.0.1`"
        );
        assert_eq!(found[2].span, span(42));
        assert!(found[0].help.contains("`127.0.0.1`"));
    }

    #[test]
    fn no_ports_is_silent() {
        assert_silent(&RULE, &hardened());
    }
}
