//! MCP006 no-privileged.

use crate::diag::Severity;
use crate::lint::{Report, Rule, ServiceView};

pub static RULE: Rule = Rule {
    code: "MCP006",
    name: "no-privileged",
    severity: Severity::Error,
    core: false,
    summary: "the container must not be privileged",
    docs: DOCS,
    check,
};

const DOCS: &str = r#"## What it does
Reports `privileged: true`.

## Why it matters
A privileged container gets every capability, every host device, no seccomp or AppArmor
profile and a writable `/sys`: it is root on the host in all but name. Every other hardening
setting on the service stops mattering. An MCP server never needs it.

## Bad
```yaml
services:
  shell:
    image: mcp/desktop-commander:0.2.38
    privileged: true
```

## Good
```yaml
services:
  shell:
    image: mcp/desktop-commander:0.2.38
    cap_drop: [ALL]
```

## Fix
Remove `privileged: true`. If the server needs one specific power, grant exactly that: one
capability in `cap_add` (MCP007) or one device in `devices` (MCP021), each allowed with a reason.

## References
- CIS Docker Benchmark 5.5: do not use privileged containers
- OWASP Docker Security Cheat Sheet, rule 3: limit capabilities (grant only specific capabilities needed by a container)
- Docker docs: `docker run --privileged` (runtime privilege and Linux capabilities)
"#;

fn check(service: &ServiceView, report: &mut Report) {
    if let Some(privileged) = service.privileged.as_ref().filter(|p| p.value) {
        report.push(
            "`privileged` is true: the container has every capability and every host device",
            service.at(Some(privileged)),
            "remove `privileged: true`; grant a single capability or device instead, allowed with a reason",
        );
        report.note(privileged.note.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::rules::test_support::{assert_silent, hardened, located, only, span};

    #[test]
    fn privileged_fires_at_its_value() {
        let mut service = hardened();
        service.privileged = Some(located(true, 40));
        let found = only(&RULE, &service);
        assert!(found.message.contains("`privileged` is true"));
        assert_eq!(found.span, span(40));
        assert!(found.help.contains("remove `privileged: true`"));
    }

    #[test]
    fn absent_or_false_is_silent() {
        assert_silent(&RULE, &hardened());
        let mut service = hardened();
        service.privileged = Some(located(false, 40));
        assert_silent(&RULE, &service);
    }

    #[test]
    fn interpolation_note_passes_through() {
        let mut service = hardened();
        let mut privileged = located(true, 40);
        privileged.note = Some("`${PRIV:-true}` defaults to true".into());
        service.privileged = Some(privileged);
        assert_eq!(
            only(&RULE, &service).note.as_deref(),
            Some("`${PRIV:-true}` defaults to true")
        );
    }
}
