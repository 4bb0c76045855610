//! MCP101 obsolete-version. Raised by the compose reader, where it reads each file.

use super::raised_by_the_reader;
use crate::diag::Severity;
use crate::lint::Rule;

pub static RULE: Rule = Rule {
    code: "MCP101",
    name: "obsolete-version",
    severity: Severity::Warning,
    core: false,
    summary: "the top-level `version` is obsolete",
    docs: DOCS,
    check: raised_by_the_reader,
};

const DOCS: &str = r#"## What it does
Reports a top-level `version` key in a compose file, once per file (per YAML document) that has
one. It is about the file, not a service: it has no service and cannot be allowed on one.

## Why it matters
Compose ignores `version` and says so on every run. Worse, other tools still branch on it: some
linters skip checks on files without a `version` of their liking, so a file can pass one tool and
fail another for a key that means nothing to the engine.

## Bad
```yaml
version: "3.8"
services:
  fetch:
    image: mcp/fetch:1.0.0
```

## Good
```yaml
services:
  fetch:
    image: mcp/fetch:1.0.0
```

## Fix
Delete the `version` line: every Compose file follows the one Compose Specification.

## References
- Compose Specification: the `version` top-level element (obsolete)
- dclint's `no-version-field` rule
"#;
