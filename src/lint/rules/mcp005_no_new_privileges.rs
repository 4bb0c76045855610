//! MCP005 no-new-privileges.

use crate::diag::Severity;
use crate::lint::{Fix, Report, Rule, ServiceView};

pub static RULE: Rule = Rule {
    code: "MCP005",
    name: "no-new-privileges",
    severity: Severity::Error,
    core: false,
    summary: "processes must not gain privileges (setuid, file capabilities)",
    docs: DOCS,
    check,
};

const DOCS: &str = r#"## What it does
Checks that `security_opt` contains `no-new-privileges:true` (also accepted: `=true` and the bare
`no-new-privileges`).

## Why it matters
Without it, a setuid binary in the image (`su`, `ping`, `mount` in many bases) lets a process
regain privileges that `user` and `cap_drop` took away.

## Bad
```yaml
services:
  github:
    image: ghcr.io/github/github-mcp-server:v1.0.0
```

## Good
```yaml
services:
  github:
    image: ghcr.io/github/github-mcp-server:v1.0.0
    security_opt: ["no-new-privileges:true"]
```

## Fix
Set `no_new_privileges = true` (mcpgen's default), or add `no-new-privileges:true` to the
service's `security_opt`.

## References
- CIS Docker Benchmark 5.26 (5.25 in older versions): restrict the container from acquiring additional privileges
- OWASP Docker Security Cheat Sheet, rule 4: prevent in-container privilege escalation
"#;

pub fn is_no_new_privileges(option: &str) -> bool {
    let option = option.trim().to_ascii_lowercase();
    matches!(
        option.as_str(),
        "no-new-privileges" | "no-new-privileges:true" | "no-new-privileges=true"
    )
}

fn check(service: &ServiceView, report: &mut Report) {
    if service
        .security_opt
        .iter()
        .any(|option| is_no_new_privileges(&option.value))
    {
        return;
    }
    report.push(
        "`no-new-privileges` is not set: setuid binaries can regain privileges",
        service.at(service.security_opt.first()),
        "add `security_opt: [\"no-new-privileges:true\"]`",
    );
    report.fix(Fix::EnsureItem {
        key: "security_opt",
        item: "no-new-privileges:true",
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings() {
        assert!(is_no_new_privileges("no-new-privileges:true"));
        assert!(is_no_new_privileges("no-new-privileges=true"));
        assert!(is_no_new_privileges("no-new-privileges"));
        assert!(!is_no_new_privileges("no-new-privileges:false"));
        assert!(!is_no_new_privileges("seccomp:unconfined"));
    }
}
