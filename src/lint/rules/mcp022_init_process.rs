//! MCP022 init-process.

use crate::diag::Severity;
use crate::lint::{Fix, Report, Rule, ServiceView};

pub static RULE: Rule = Rule {
    code: "MCP022",
    name: "init-process",
    severity: Severity::Warning,
    core: false,
    summary: "an init process should reap finished sessions",
    docs: DOCS,
    check,
};

const DOCS: &str = r#"## What it does
Reports a service whose `init` is not `true` (absent or `false`).

## Why it matters
mcpgen's containers idle on a keepalive process and every MCP session is a `docker exec` beside
it. When a session's process exits, its orphaned children are re-parented to PID 1; a keepalive
such as `sleep` never reaps them, so zombies pile up session after session until they hit the
pids limit (MCP004) and the server cannot start another session. An init as PID 1 (`tini`,
which `init: true` injects) reaps them and forwards signals so the container stops cleanly.

## Bad
```yaml
services:
  shell:
    image: mcp/desktop-commander:0.2.38
    command: ["sleep", "infinity"]
```

## Good
```yaml
services:
  shell:
    image: mcp/desktop-commander:0.2.38
    command: ["sleep", "infinity"]
    init: true
```

## Fix
Set `init = true` (mcpgen's default) in `mcp.toml`, or `init: true` on the compose service.

## References
- Docker docs: `docker run --init` (specify an init process)
- Compose specification: `init`
"#;

fn check(service: &ServiceView, report: &mut Report) {
    match &service.init {
        None => report.push(
            "`init` is not set: finished sessions' processes become zombies that are never reaped",
            service.span,
            "add `init: true`",
        ),
        Some(init) if !init.value => {
            report.push(
                "`init` is false: finished sessions' processes become zombies that are never reaped",
                service.at(Some(init)),
                "set `init: true`",
            );
            report.note(init.note.clone());
        }
        Some(_) => return,
    }
    report.fix(Fix::SetBool {
        key: "init",
        value: true,
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::rules::test_support::{
        SERVICE_AT, assert_silent, hardened, located, only, span,
    };

    #[test]
    fn absent_points_at_the_service_and_false_at_the_value() {
        let mut service = hardened();
        service.init = None;
        let found = only(&RULE, &service);
        assert_eq!(found.span, span(SERVICE_AT));
        assert_eq!(found.help, "add `init: true`");
        service.init = Some(located(false, 40));
        let found = only(&RULE, &service);
        assert_eq!(found.span, span(40));
        assert_eq!(found.severity, Severity::Warning);
        assert!(found.message.starts_with("`init` is false"));
    }

    #[test]
    fn true_is_silent() {
        assert_silent(&RULE, &hardened());
    }
}
