//! MCP102 duplicate-container-name. Raised by the compose reader over the merged project.

use super::raised_by_the_reader;
use crate::diag::Severity;
use crate::lint::Rule;

pub static RULE: Rule = Rule {
    code: "MCP102",
    name: "duplicate-container-name",
    severity: Severity::Error,
    core: false,
    summary: "two services that can run together must not share a `container_name`",
    docs: DOCS,
    check: raised_by_the_reader,
};

const DOCS: &str = r#"## What it does
Reports a service whose `container_name` another service of the merged project already uses,
when the two can run together: either has no `profiles` (it always runs), or they share a
profile. Services in profiles that never come up together (`dev` and `prod` variants of one
container) are not duplicates. The finding is on the later service, and points at the first.

## Why it matters
Container names are unique per engine, and Compose refuses such a project outright:
`docker compose config` and `up` stop with "container name … is already in use by service …".
It is an error here for that reason: the project does not run as written.

## Bad
```yaml
services:
  fetch:
    image: mcp/fetch:1.0.0
    container_name: mcp
  memory:
    image: mcp/memory:1.0.0
    container_name: mcp
```

## Good
```yaml
services:
  fetch:
    image: mcp/fetch:1.0.0
  fetch-debug:
    image: mcp/fetch:1.0.0-debug
    container_name: fetch
    profiles: [debug]
  fetch-release:
    image: mcp/fetch:1.0.0
    container_name: fetch
    profiles: [release]
```

## Fix
Give each service its own `container_name`, or drop it and let Compose name the containers.

## References
- Compose Specification: `container_name` ("Compose does not scale a service beyond one
  container if the Compose file specifies a container_name")
- dclint's `no-duplicate-container-names` rule
"#;
