//! MCP019 restart-policy.

use crate::diag::Severity;
use crate::lint::{Report, Rule, ServiceView};

pub static RULE: Rule = Rule {
    code: "MCP019",
    name: "restart-policy",
    severity: Severity::Warning,
    core: false,
    summary: "the service should restart after a crash",
    docs: DOCS,
    check,
};

const DOCS: &str = r#"## What it does
Reports a service without `restart`, or with `restart: "no"` (also an empty value, which Compose
reads as `no`, and `none`, the spelling of `deploy.restart_policy.condition`).

## Why it matters
An MCP client keeps its server list for the whole session; when a server's container stops
(an out-of-memory kill under MCP004's limit, a crash, a host reboot) every tool of that server
fails until someone notices and starts it by hand. A restart policy brings it back, and gives
mcpgen's monitor a container to restart when the healthcheck fails.

## Bad
```yaml
services:
  memory:
    image: mcp/memory:1.0.0
    restart: "no"
```

## Good
```yaml
services:
  memory:
    image: mcp/memory:1.0.0
    restart: unless-stopped
```

## Fix
Set `restart = "unless-stopped"` (mcpgen's default) in `mcp.toml`, or `restart: unless-stopped`
on the compose service. `on-failure:5` also bounds a crash loop.

## References
- CIS Docker Benchmark 5.15: ensure that the `on-failure` container restart policy is set to 5
- OWASP Docker Security Cheat Sheet, rule 7: limit resources (restarts)
- Docker docs: start containers automatically (restart policies)
"#;

/// `restart` values that never restart the container.
pub fn is_no_restart(policy: &str) -> bool {
    let policy = policy.trim().trim_matches(['"', '\'']);
    policy.is_empty() || policy.eq_ignore_ascii_case("no") || policy.eq_ignore_ascii_case("none")
}

fn check(service: &ServiceView, report: &mut Report) {
    match &service.restart {
        None => report.push(
            "no `restart` policy: a crashed server stays down",
            service.span,
            "add `restart: unless-stopped`",
        ),
        Some(restart) if is_no_restart(&restart.value) => {
            report.push(
                "`restart` is `no`: a crashed server stays down",
                service.at(Some(restart)),
                "use `restart: unless-stopped` (or `on-failure:5`)",
            );
            report.note(restart.note.clone());
        }
        Some(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::rules::test_support::{
        SERVICE_AT, assert_silent, hardened, located, only, span,
    };

    #[test]
    fn no_spellings() {
        for policy in ["no", "NO", "\"no\"", " 'no' ", "", "none"] {
            assert!(is_no_restart(policy), "{policy:?}");
        }
        for policy in [
            "always",
            "unless-stopped",
            "on-failure",
            "on-failure:5",
            "any",
        ] {
            assert!(!is_no_restart(policy), "{policy}");
        }
    }

    #[test]
    fn missing_and_no_fire_where_they_should() {
        let mut service = hardened();
        service.restart = None;
        assert_eq!(only(&RULE, &service).span, span(SERVICE_AT));
        service.restart = Some(located("no".to_string(), 40));
        let found = only(&RULE, &service);
        assert_eq!(found.span, span(40));
        assert_eq!(found.severity, Severity::Warning);
        assert!(found.help.contains("unless-stopped"));
    }

    #[test]
    fn a_policy_is_silent() {
        assert_silent(&RULE, &hardened());
        let mut service = hardened();
        service.restart = Some(located("on-failure:5".to_string(), 40));
        assert_silent(&RULE, &service);
    }
}
