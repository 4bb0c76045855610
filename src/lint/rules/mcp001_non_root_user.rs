//! MCP001 non-root-user.

use crate::diag::Severity;
use crate::lint::{Report, Rule, ServiceView};

pub static RULE: Rule = Rule {
    code: "MCP001",
    name: "non-root-user",
    severity: Severity::Error,
    core: true,
    summary: "the container must run as a non-root user",
    docs: DOCS,
    check,
};

const DOCS: &str = r#"## What it does
Checks that the service sets `user`, and that its user part (before any `:`) is neither `0` nor
`root`. `0:0`, `root:1000` and the integer `0` all fail.

## Why it matters
Without `user`, a container runs as the image's user, which is root for most images. An MCP
server runs whatever a language model asks its tools to run; as root, one bad tool call can
rewrite anything the container can reach, and root is the first step of most container escapes.

## Bad
```yaml
services:
  filesystem:
    image: mcp/filesystem:1.0.0
```

## Good
```yaml
services:
  filesystem:
    image: mcp/filesystem:1.0.0
    user: "1000:1000"
```

## Fix
Set `user = "1000:1000"` in `[defaults]` (or on the server) in `mcp.toml`, or `user: "1000:1000"`
on the compose service. Pick an unprivileged uid that can read the files the server needs.

## References
- CIS Docker Benchmark 4.1: ensure a user for the container has been created
- OWASP Docker Security Cheat Sheet, rule 2: set a user
- Docker docs: `docker run --user`
"#;

/// `0`, `root` and `0:…`/`root:…` are root; anything else is not.
pub fn is_root(user: &str) -> bool {
    let name = user.split(':').next().unwrap_or_default().trim();
    name == "root" || (!name.is_empty() && name.chars().all(|c| c == '0'))
}

fn check(service: &ServiceView, report: &mut Report) {
    match &service.user {
        None => report.push(
            "no `user` is set, so the container runs as the image's user (usually root)",
            service.span.clone(),
            "set `user = \"1000:1000\"` (an unprivileged uid:gid)",
        ),
        Some(user) if is_root(&user.value) => {
            report.push(
                format!("runs as root (`user` is `{}`)", user.value),
                service.at(Some(user)),
                "use an unprivileged uid such as `1000:1000`",
            );
            report.note(user.note.clone());
        }
        Some(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_spellings() {
        for root in ["0", "root", "0:0", "root:1000", "00", "0:1000"] {
            assert!(is_root(root), "{root}");
        }
        for user in ["1000", "1000:1000", "node", "nobody:nogroup", "10"] {
            assert!(!is_root(user), "{user}");
        }
    }
}
