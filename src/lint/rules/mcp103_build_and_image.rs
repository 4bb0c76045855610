//! MCP103 build-and-image. Raised by the compose reader over the merged project.

use super::raised_by_the_reader;
use crate::diag::Severity;
use crate::lint::Rule;

pub static RULE: Rule = Rule {
    code: "MCP103",
    name: "build-and-image",
    severity: Severity::Info,
    core: false,
    summary: "a service with `build` builds its `image` rather than pulling it",
    docs: DOCS,
    check: raised_by_the_reader,
};

const DOCS: &str = r#"## What it does
Reports a service that has both `build` and `image`.

## Why it matters
It is legal, and often meant: Compose builds the image and tags it with `image`. But a reader
of the file sees a pinned `image` (a tag, even a digest) and believes that is what runs; what
runs is whatever the build context produced on that machine, so MCP015 and MCP016 vouch for
nothing here.

## Bad
```yaml
services:
  fetch:
    build: ./fetch
    image: mcp/fetch:1.0.0@sha256:<digest>
```

## Good
```yaml
services:
  fetch:
    build: ./fetch
    image: localhost/fetch:dev
```

## Fix
Keep `image` only to name the local build (a `localhost/` name makes that plain), or drop
`build` and pull the pinned image.

## References
- Compose Specification: `build` and `image` ("the image is built and tagged with `image`")
- dclint's `no-build-and-image` rule
"#;
