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
Checks that the service sets `user`, and that Docker does not resolve it to uid 0. Docker reads
the user part (before any `:`) as a number the way Go's `strconv.Atoi` does, and an empty user
part means its default uid, 0. So `0`, `00`, `+0`, `-0`, `root`, `0:0`, `root:1000`, `:1000`,
the integer `0`, an empty `user` (the image's user), and a `${VAR}` with no default that is not
set (empty) all fail.

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

/// Where Docker's user resolution (moby's `user.GetExecUser`) ends at uid 0: an empty user part
/// (its default uid), `root`, or a number that Go's `strconv.Atoi` reads as 0. A name other than
/// `root` is the image's to resolve, and a spelling Docker cannot resolve stops the container
/// from starting: neither runs as root.
pub fn is_root(user: &str) -> bool {
    let name = user.split(':').next().unwrap_or_default();
    name.is_empty() || name == "root" || go_atoi(name) == Some(0)
}

/// Go's `strconv.Atoi`: an optional sign and decimal digits, nothing else.
fn go_atoi(text: &str) -> Option<i64> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Overflow is an error in Go as here; such a uid is out of Docker's range anyway.
    text.parse().ok()
}

fn check(service: &ServiceView, report: &mut Report) {
    let Some(user) = &service.user else {
        report.push(
            "no `user` is set, so the container runs as the image's user (usually root)",
            service.span,
            "set `user = \"1000:1000\"` (an unprivileged uid:gid)",
        );
        return;
    };
    if !is_root(&user.value) {
        return;
    }
    let message = if user.value.is_empty() {
        "`user` is empty, so the container runs as the image's user (usually root)".to_string()
    } else if user.value.starts_with(':') {
        format!(
            "`user` is `{}`: with no user before the `:`, Docker runs it as uid 0 (root)",
            user.value
        )
    } else {
        format!("runs as root (`user` is `{}`)", user.value)
    };
    report.push(
        message,
        service.at(Some(user)),
        "use an unprivileged uid such as `1000:1000`",
    );
    report.note(user.note.clone());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_spellings() {
        for root in [
            "0",
            "root",
            "0:0",
            "root:1000",
            "00",
            "0:1000",
            "",
            ":1000",
            ":",
            "+0",
            "-0",
            "-00:0",
        ] {
            assert!(is_root(root), "{root:?}");
        }
        // ` 0` and `0x0` are names to Docker, not found in the image: it refuses to start.
        // `-1` is out of range: refused too. `rooty` is some other user.
        for user in [
            "1000",
            "1000:1000",
            "node",
            "nobody:nogroup",
            "10",
            " 0",
            "0x0",
            "-1",
            "rooty",
            "+1",
            "1000:0",
        ] {
            assert!(!is_root(user), "{user:?}");
        }
    }
}
