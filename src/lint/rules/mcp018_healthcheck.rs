//! MCP018 healthcheck.

use crate::diag::Severity;
use crate::lint::{Report, Rule, ServiceView};

pub static RULE: Rule = Rule {
    code: "MCP018",
    name: "healthcheck",
    severity: Severity::Warning,
    core: false,
    summary: "the service should have a healthcheck",
    docs: DOCS,
    check,
};

const DOCS: &str = r#"## What it does
Reports a service without `healthcheck`, or with one that is turned off (`disable: true`, or
`test: ["NONE"]`). In `mcp.toml`, `health = { enabled = false }` turns it off.

## Why it matters
An MCP server that hangs or stops answering still looks "running" to the engine. Without a
healthcheck the engine cannot tell, mcpgen's monitor cannot restart it, and the client sees tool
calls time out with no explanation. mcpgen's default check is an MCP handshake with the server,
so "healthy" means "answers MCP".

## Bad
```yaml
services:
  memory:
    image: mcp/memory:1.0.0
    healthcheck:
      disable: true
```

## Good
```yaml
services:
  memory:
    image: mcp/memory:1.0.0
    healthcheck:
      test: ["CMD", "/app/healthcheck"]
      interval: 15s
      timeout: 5s
      retries: 3
```

## Fix
Remove `health = { enabled = false }` from `mcp.toml` to get mcpgen's handshake check, or give
the server a `test` of its own. In a compose file, add a `healthcheck` whose `test` proves the
server answers.

## References
- CIS Docker Benchmark 5.27: ensure that container health is checked at runtime
- Docker docs: Dockerfile `HEALTHCHECK`; Compose `healthcheck`
"#;

fn check(service: &ServiceView, report: &mut Report) {
    match &service.healthcheck {
        None => report.push(
            "no `healthcheck`: a hung server looks healthy and is never restarted",
            service.span,
            "add a `healthcheck` whose `test` proves the server answers (mcpgen's default sends an MCP handshake)",
        ),
        Some(health) if health.disabled => report.push(
            "the healthcheck is turned off: a hung server looks healthy and is never restarted",
            service.at_span(health.span.as_ref()),
            "remove `disable: true` / `test: [\"NONE\"]` (in mcp.toml, `enabled = false`) and check that the server answers",
        ),
        Some(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::rules::test_support::{SERVICE_AT, assert_silent, hardened, only, span};
    use crate::lint::view::HealthView;

    #[test]
    fn missing_points_at_the_service() {
        let mut service = hardened();
        service.healthcheck = None;
        let found = only(&RULE, &service);
        assert_eq!(found.span, span(SERVICE_AT));
        assert_eq!(found.severity, Severity::Warning);
        assert!(found.message.starts_with("no `healthcheck`"));
        assert!(found.help.contains("MCP handshake"));
    }

    #[test]
    fn disabled_points_at_the_healthcheck() {
        let mut service = hardened();
        service.healthcheck = Some(HealthView {
            disabled: true,
            span: span(40),
        });
        let found = only(&RULE, &service);
        assert_eq!(found.span, span(40));
        assert!(found.message.contains("turned off"));
    }

    #[test]
    fn enabled_is_silent() {
        assert_silent(&RULE, &hardened());
    }
}
