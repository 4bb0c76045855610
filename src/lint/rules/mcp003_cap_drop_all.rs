//! MCP003 cap-drop-all.

use crate::diag::Severity;
use crate::lint::{Fix, Report, Rule, ServiceView};

pub static RULE: Rule = Rule {
    code: "MCP003",
    name: "cap-drop-all",
    severity: Severity::Error,
    core: true,
    summary: "all capabilities must be dropped",
    docs: DOCS,
    check,
};

const DOCS: &str = r#"## What it does
Checks that `cap_drop` contains `ALL`, after trimming, upper-casing and stripping a `CAP_`
prefix (`all`, `CAP_ALL` and ` ALL ` all count).

## Why it matters
Docker's default capability set still includes `CHOWN`, `DAC_OVERRIDE`, `SETUID`, `NET_RAW` and
more. An MCP server needs none of them; each one widens what a misused tool can do.

## Bad
```yaml
services:
  fetch:
    image: mcp/fetch:1.0.0
    cap_drop: [NET_RAW]
```

## Good
```yaml
services:
  fetch:
    image: mcp/fetch:1.0.0
    cap_drop: [ALL]
```

## Fix
Set `cap_drop = ["ALL"]` (mcpgen's default); add back a single capability with `cap_add` only if
the server truly needs it, and allow MCP007 with a reason.

## References
- CIS Docker Benchmark 5.4: ensure privileged containers are not used / restrict capabilities
- OWASP Docker Security Cheat Sheet, rule 3: limit capabilities
"#;

/// `cap_net_raw ` → `NET_RAW`, the form Compose and the kernel agree on.
pub fn normalize_capability(capability: &str) -> String {
    let upper = capability.trim().to_ascii_uppercase();
    upper
        .strip_prefix("CAP_")
        .map(str::to_string)
        .unwrap_or(upper)
}

fn check(service: &ServiceView, report: &mut Report) {
    if service
        .cap_drop
        .iter()
        .any(|cap| normalize_capability(&cap.value) == "ALL")
    {
        return;
    }
    match service.cap_drop.first() {
        Some(first) => report.push(
            "`cap_drop` does not drop `ALL` capabilities",
            service.at(Some(first)),
            "use `cap_drop: [ALL]`",
        ),
        None => report.push(
            "no `cap_drop`: the container keeps Docker's default capabilities",
            service.span,
            "add `cap_drop: [ALL]`",
        ),
    }
    report.fix(Fix::EnsureItem {
        key: "cap_drop",
        item: "ALL",
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capabilities_normalize() {
        assert_eq!(normalize_capability(" cap_all "), "ALL");
        assert_eq!(normalize_capability("CAP_SYS_ADMIN"), "SYS_ADMIN");
        assert_eq!(normalize_capability("net_raw"), "NET_RAW");
    }
}
