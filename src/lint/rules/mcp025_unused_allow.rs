//! MCP025 unused-allow. Reported by the runner itself, which knows what each allow suppressed.

use crate::diag::Severity;
use crate::lint::{Report, Rule, ServiceView};

pub static RULE: Rule = Rule {
    code: "MCP025",
    name: "unused-allow",
    severity: Severity::Warning,
    core: false,
    summary: "an allow entry must suppress something",
    docs: DOCS,
    check,
};

const DOCS: &str = r#"## What it does
Reports an `allow` entry (in `mcp.toml`, `x-mcpgen.allow` or an inline `# mcpgen: allow`
comment) that suppressed no finding on its service.

## Why it matters
A stale allow is a hole waiting to be used: the next edit that loosens the service would pass
silently, covered by an exception nobody remembers making.

## Bad
```toml
[servers.memory]
read_only = true
allow = [{ rule = "MCP002", reason = "needs to write" }]
```

## Good
```toml
[servers.memory]
read_only = true
```

## Fix
Delete the allow entry.

## References
- ruff's RUF100 (unused `noqa`), the model for this rule
"#;

/// The runner reports unused allows after all other rules have run.
fn check(_service: &ServiceView, _report: &mut Report) {}
