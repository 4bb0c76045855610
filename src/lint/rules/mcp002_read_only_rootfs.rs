//! MCP002 read-only-rootfs.

use crate::diag::Severity;
use crate::lint::{Fix, Report, Rule, ServiceView};

pub static RULE: Rule = Rule {
    code: "MCP002",
    name: "read-only-rootfs",
    severity: Severity::Error,
    core: true,
    summary: "the root filesystem must be read-only",
    docs: DOCS,
    check,
};

const DOCS: &str = r#"## What it does
Checks that `read_only` is `true`. A `${VAR:-true}` counts by its default, and the finding says
that the verdict depends on the environment.

## Why it matters
A writable root filesystem lets a compromised or misled server drop binaries, edit its own code
or plant files that survive a session. MCP servers only need to write their declared state
(named volumes) and scratch space (a small tmpfs).

## Bad
```yaml
services:
  memory:
    image: mcp/memory:1.0.0
    read_only: false
```

## Good
```yaml
services:
  memory:
    image: mcp/memory:1.0.0
    read_only: true
    tmpfs: ["/tmp:rw,noexec,nosuid,nodev,size=16m"]
```

## Fix
Set `read_only = true` (mcpgen's default) and give the server a named volume for its state and a
tmpfs for scratch files.

## References
- CIS Docker Benchmark 5.13: mount the container's root filesystem as read only
- OWASP Docker Security Cheat Sheet, rule 8: set filesystem and volumes to read-only
"#;

fn check(service: &ServiceView, report: &mut Report) {
    match &service.read_only {
        Some(read_only) if read_only.value => return,
        Some(read_only) => {
            report.push(
                "`read_only` is false: the root filesystem is writable",
                service.at(Some(read_only)),
                "set `read_only: true`; give state a named volume and scratch a tmpfs",
            );
            report.note(read_only.note.clone());
        }
        None => report.push(
            "`read_only` is not set: the root filesystem is writable",
            service.span,
            "add `read_only: true`",
        ),
    }
    report.fix(Fix::SetBool {
        key: "read_only",
        value: true,
    });
}
