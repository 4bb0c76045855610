//! MCP105 allow-unattached. Raised by the compose reader as it reads inline comments.

use super::raised_by_the_reader;
use crate::diag::Severity;
use crate::lint::Rule;

pub static RULE: Rule = Rule {
    code: "MCP105",
    name: "allow-unattached",
    severity: Severity::Warning,
    core: false,
    summary: "an inline `# mcpgen: allow` comment must belong to a service",
    docs: DOCS,
    check: raised_by_the_reader,
};

const DOCS: &str = r#"## What it does
Reports a `# mcpgen: allow RULE -- reason` comment that is neither inside a service nor on the
line right above a service's key, or that is on a service that is not a mapping. Such a comment
suppresses nothing.

## Why it matters
Whoever wrote it believes a finding is allowed, with a reason; nothing is. The finding it was
meant for still fails the run, or, after a move, an allow lands on a service nobody meant.

## Bad
```yaml
# mcpgen: allow MCP013 -- the server writes its exports here
services:
  files:
    image: mcp/filesystem:1.0.0
    volumes: ["./exports:/exports"]
```

## Good
```yaml
services:
  files:
    image: mcp/filesystem:1.0.0
    volumes: ["./exports:/exports"]  # mcpgen: allow MCP013 -- the server writes its exports here
```

## Fix
Move the comment onto the line it is about, inside the service, or onto the line above the
service's key.

## References
- MCP025 unused-allow, its counterpart for allows that are attached but suppress nothing
"#;
