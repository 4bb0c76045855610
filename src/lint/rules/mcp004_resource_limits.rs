//! MCP004 resource-limits.

use crate::diag::Severity;
use crate::lint::{Report, Rule, ServiceView};

pub static RULE: Rule = Rule {
    code: "MCP004",
    name: "resource-limits",
    severity: Severity::Error,
    core: true,
    summary: "memory, CPU and process limits must be set",
    docs: DOCS,
    check,
};

const DOCS: &str = r#"## What it does
Checks that memory, CPU and pids limits are all set to a positive value, in
`deploy.resources.limits` or the legacy `mem_limit`, `cpus` and `pids_limit`. `cpus: 0` and
`pids_limit: -1` mean unlimited and fail. The finding names the missing limits.

## Why it matters
An MCP server runs tools on a model's behalf; a runaway loop, a fork bomb or a huge file read
should kill one container, not the laptop or the CI runner it shares with everything else.

## Bad
```yaml
services:
  shell:
    image: mcp/shell:1.0.0
```

## Good
```yaml
services:
  shell:
    image: mcp/shell:1.0.0
    deploy:
      resources:
        limits: { cpus: "0.5", memory: 256M, pids: 128 }
```

## Fix
Set `limits = { cpus = 0.5, memory = "256M", pids = 128 }` in `[defaults]` or on the server.

## References
- CIS Docker Benchmark 5.11 (memory), 5.12 (CPU), 5.29 (pids)
- OWASP Docker Security Cheat Sheet, rule 7: limit resources
"#;

fn check(service: &ServiceView, report: &mut Report) {
    let limits = &service.limits;
    let mut missing = Vec::new();
    let mut notes = Vec::new();
    if limits.memory.as_ref().is_none_or(|m| m.value == 0) {
        missing.push("memory");
    }
    if limits.cpus.as_ref().is_none_or(|c| c.value <= 0.0) {
        missing.push("cpus");
    }
    if limits.pids.as_ref().is_none_or(|p| p.value <= 0) {
        missing.push("pids");
    }
    notes.extend(limits.memory.as_ref().and_then(|m| m.note.clone()));
    notes.extend(limits.cpus.as_ref().and_then(|c| c.note.clone()));
    notes.extend(limits.pids.as_ref().and_then(|p| p.note.clone()));
    if missing.is_empty() {
        return;
    }
    // Point at an unlimited value where there is one, else at the service.
    let span = [
        limits
            .memory
            .as_ref()
            .filter(|m| m.value == 0)
            .and_then(|m| m.span),
        limits
            .cpus
            .as_ref()
            .filter(|c| c.value <= 0.0)
            .and_then(|c| c.span),
        limits
            .pids
            .as_ref()
            .filter(|p| p.value <= 0)
            .and_then(|p| p.span),
    ]
    .into_iter()
    .flatten()
    .next()
    .or(service.span);
    report.push(
        format!("no {} limit", missing.join(", no ")),
        span,
        "set `deploy.resources.limits` (cpus, memory, pids), e.g. `{ cpus: \"0.5\", memory: 256M, pids: 128 }`",
    );
    report.note((!notes.is_empty()).then(|| notes.join("; ")));
}
