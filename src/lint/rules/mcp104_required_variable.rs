//! MCP104 required-variable. Raised by the compose reader as it interpolates.

use super::raised_by_the_reader;
use crate::diag::Severity;
use crate::lint::Rule;

pub static RULE: Rule = Rule {
    code: "MCP104",
    name: "required-variable",
    severity: Severity::Warning,
    core: false,
    summary: "a required variable (`${VAR:?…}`) is not set",
    docs: DOCS,
    check: raised_by_the_reader,
};

const DOCS: &str = r#"## What it does
Reports a `${VAR:?message}` (or `${VAR?message}`) whose variable is not set (for `:?`, or is
empty) in the environment, the project's `.env` or the `--env-file`s. mcpgen judges the rest of
the file with the value empty, as it must judge it with something.

## Why it matters
Compose refuses to start the project without it: the lint verdict is for a project that cannot
run as it stands, and with the variable set it may be a different one (a `user: ${RUN_AS:?}`
decides MCP001).

## Bad
```yaml
services:
  github:
    image: ghcr.io/github/github-mcp-server:v1.0.0
    user: ${RUN_AS:?set RUN_AS to the uid to run as}
```

## Good
```yaml
services:
  github:
    image: ghcr.io/github/github-mcp-server:v1.0.0
    user: ${RUN_AS:-1000:1000}
```

## Fix
Set the variable where the project is run (the environment, `.env`, or an `--env-file`), and
lint with it set; or give it a safe default.

## References
- Compose Specification: interpolation (`${VAR:?err}`, `${VAR?err}`)
"#;
