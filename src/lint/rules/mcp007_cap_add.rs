//! MCP007 cap-add.

use crate::diag::Severity;
use crate::lint::rules::mcp003_cap_drop_all::normalize_capability;
use crate::lint::{Report, Rule, ServiceView};

pub static RULE: Rule = Rule {
    code: "MCP007",
    name: "cap-add",
    // The highest level the rule reports; capabilities outside the dangerous set are warnings.
    severity: Severity::Error,
    core: false,
    summary: "capabilities must not be added back",
    docs: DOCS,
    check,
};

const DOCS: &str = r#"## What it does
Reports every `cap_add` entry, after normalizing it as MCP003 does (trim, upper-case, strip
`CAP_`). `ALL` and the capabilities that reach past the container are errors:

| capability | what it gives |
|---|---|
| `ALL` | every capability: as much kernel power as `privileged` |
| `SYS_ADMIN` | mounts, namespaces and much of the kernel: the classic container escape |
| `NET_ADMIN` | interfaces, routes and firewall rules |
| `SYS_PTRACE` | reading and injecting code into other processes |
| `SYS_MODULE` | loading modules into the host kernel |
| `DAC_READ_SEARCH` | opening host files by handle (the "shocker" escape) |
| `SYS_RAWIO` | raw I/O ports and device memory |
| `SYS_BOOT` | rebooting and loading a new kernel (kexec) |
| `SYS_TIME` | setting the host's clock |
| `MAC_ADMIN`, `MAC_OVERRIDE` | reconfiguring or bypassing AppArmor and SELinux |
| `BPF`, `PERFMON` | loading BPF programs into, and observing, the host kernel |
| `SYSLOG` | the kernel log, which leaks kernel addresses to exploits |

Any other capability is a warning. That includes `NET_RAW`: it lets a process forge packets on
the networks the container is on, but it is in Docker's default set and does not reach the host,
so it is graded with `CHOWN`, `SETUID` and the rest of that set.

## Why it matters
`cap_drop: [ALL]` (MCP003) is only as strong as what `cap_add` puts back. Each capability widens
what a misled tool call can do; the dangerous ones turn a compromised MCP server into a
compromised host.

## Bad
```yaml
services:
  fetch:
    image: mcp/fetch:1.0.0
    cap_drop: [ALL]
    cap_add: [SYS_ADMIN]
```

## Good
```yaml
services:
  fetch:
    image: mcp/fetch:1.0.0
    cap_drop: [ALL]
```

## Fix
Remove the `cap_add` entry. If the server truly needs one capability, keep only that one and
allow MCP007 on the service with the reason; never add a capability from the error list to an
MCP server.

## References
- CIS Docker Benchmark 5.4: restrict Linux kernel capabilities within containers
- OWASP Docker Security Cheat Sheet, rule 3: limit capabilities
- Docker docs: `docker run --cap-add` (runtime privilege and Linux capabilities)
- capabilities(7): what each capability allows
"#;

/// The capabilities that reach past the container, with what each gives, in the docs' order.
const DANGEROUS_CAPABILITIES: &[(&str, &str)] = &[
    (
        "ALL",
        "every capability: as much kernel power as `privileged`",
    ),
    (
        "SYS_ADMIN",
        "mounts, namespaces and much of the kernel: the classic container escape",
    ),
    (
        "NET_ADMIN",
        "control of interfaces, routes and firewall rules",
    ),
    (
        "SYS_PTRACE",
        "reading and injecting code into other processes",
    ),
    ("SYS_MODULE", "loading modules into the host kernel"),
    (
        "DAC_READ_SEARCH",
        "opening host files by handle (the \"shocker\" escape)",
    ),
    ("SYS_RAWIO", "raw I/O ports and device memory"),
    ("SYS_BOOT", "rebooting and loading a new kernel"),
    ("SYS_TIME", "setting the host's clock"),
    ("MAC_ADMIN", "reconfiguring AppArmor and SELinux"),
    ("MAC_OVERRIDE", "bypassing AppArmor and SELinux"),
    ("BPF", "loading BPF programs into the host kernel"),
    ("PERFMON", "observing the host kernel and other processes"),
    ("SYSLOG", "the kernel log, which leaks kernel addresses"),
];

/// What a dangerous capability gives, given its normalized name; `None` for the others.
pub fn dangerous_capability(normalized: &str) -> Option<&'static str> {
    DANGEROUS_CAPABILITIES
        .iter()
        .find(|(name, _)| *name == normalized)
        .map(|(_, gives)| *gives)
}

fn check(service: &ServiceView, report: &mut Report) {
    for capability in &service.cap_add {
        let name = normalize_capability(&capability.value);
        if name.is_empty() {
            continue;
        }
        let span = service.at(Some(capability));
        match dangerous_capability(&name) {
            Some(gives) => {
                report.push(
                    format!("`cap_add` adds `{name}`: {gives}"),
                    span,
                    format!("remove `{name}` from `cap_add`; an MCP server must not hold it"),
                );
                report.severity(Severity::Error);
            }
            None => {
                report.push(
                    format!("`cap_add` adds `{name}` back after `cap_drop`"),
                    span,
                    format!(
                        "remove `{name}` from `cap_add`, or allow MCP007 on this service with the reason it is needed"
                    ),
                );
                report.severity(Severity::Warning);
            }
        }
        report.note(capability.note.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::rules::test_support::{assert_silent, check, hardened, span, strings};

    #[test]
    fn dangerous_capabilities_are_errors_in_any_spelling() {
        let mut service = hardened();
        service.cap_add = strings(&["cap_sys_admin", " all ", "Net_Admin"], 40);
        let found = check(&RULE, &service);
        assert_eq!(found.len(), 3);
        assert!(found.iter().all(|f| f.severity == Severity::Error));
        assert!(found[0].message.contains("`SYS_ADMIN`"));
        assert!(found[1].message.contains("`ALL`"));
        assert_eq!(found[2].span, span(42));
        assert!(found[0].help.contains("remove `SYS_ADMIN`"));
    }

    #[test]
    fn other_capabilities_are_warnings() {
        let mut service = hardened();
        service.cap_add = strings(&["CHOWN", "NET_RAW", "NET_BIND_SERVICE"], 40);
        let found = check(&RULE, &service);
        assert_eq!(found.len(), 3);
        assert!(found.iter().all(|f| f.severity == Severity::Warning));
        assert_eq!(found[1].span, span(41));
        assert!(found[1].help.contains("allow MCP007"));
    }

    #[test]
    fn no_cap_add_is_silent() {
        assert_silent(&RULE, &hardened());
        let mut service = hardened();
        service.cap_add = strings(&["  "], 40);
        assert_silent(&RULE, &service);
    }

    #[test]
    fn docs_list_every_dangerous_capability() {
        for (name, _) in DANGEROUS_CAPABILITIES {
            assert!(DOCS.contains(&format!("`{name}`")), "{name}");
        }
    }
}
