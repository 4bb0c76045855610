//! MCP008 no-unconfined-profile.

use crate::diag::Severity;
use crate::lint::security_opt;
use crate::lint::{Report, Rule, ServiceView};

pub static RULE: Rule = Rule {
    code: "MCP008",
    name: "no-unconfined-profile",
    severity: Severity::Error,
    core: false,
    summary: "seccomp, AppArmor and SELinux confinement must stay on",
    docs: DOCS,
    check,
};

const DOCS: &str = r#"## What it does
Reports `security_opt` entries that turn confinement off, written with `:` or `=`, in any case:
`seccomp:unconfined`, `apparmor:unconfined`, `label:disable`, and also `label:type:spc_t` /
`label:type:unconfined_t` (SELinux's unconfined types) and `systempaths=unconfined` (unmasks
`/proc` and `/sys` paths the engine hides). The engine reads `security_opt` in order and keeps
the last `seccomp` and the last `apparmor` entry (and the last SELinux `type`), so an
`unconfined` that a later profile replaces is not reported, and one that comes last is, whatever
came before it. `label:disable` and `systempaths=unconfined` count wherever they are.

## Why it matters
The engine's default seccomp profile blocks about fifty system calls that containers do not need
and that kernel exploits do (`keyctl`, `bpf`, `userfaultfd`, new mount APIs); AppArmor and
SELinux keep a process from writing `/proc` and `/sys` files that control the host. Turning them
off leaves the host kernel's whole surface to whatever a misled tool runs.

## Bad
```yaml
services:
  shell:
    image: mcp/desktop-commander:0.2.38
    security_opt: ["seccomp:unconfined", "no-new-privileges:true"]
```

## Good
```yaml
services:
  shell:
    image: mcp/desktop-commander:0.2.38
    security_opt: ["no-new-privileges:true"]
```

## Fix
Remove the entry. If a system call is really missing, give the service a custom seccomp profile
that adds only that call (`seccomp:./profile.json`) instead of switching the filter off.

## References
- CIS Docker Benchmark 5.2: verify the AppArmor profile; 5.3: verify SELinux security options; 5.22: do not disable the default seccomp profile
- OWASP Docker Security Cheat Sheet, rule 6: use Linux security modules (seccomp, AppArmor, SELinux)
- Docker docs: seccomp security profiles for Docker; AppArmor security profiles for Docker
"#;

/// What an unconfining `security_opt` turns off (`"seccomp"`), or `None` for any other option.
pub fn unconfined_profile(option: &str) -> Option<&'static str> {
    let option = option.trim().to_ascii_lowercase();
    // Compose and the engine accept `key:value` and `key=value`; the value may itself hold a `:`.
    let (key, value) = option.split_once([':', '='])?;
    match (key.trim(), value.trim()) {
        ("seccomp", "unconfined") => Some("the seccomp filter"),
        ("apparmor", "unconfined") => Some("the AppArmor profile"),
        ("label", "disable") => Some("SELinux labelling"),
        ("label", "type:spc_t" | "type=spc_t" | "type:unconfined_t" | "type=unconfined_t") => {
            Some("SELinux confinement")
        }
        ("systempaths", "unconfined") => Some("the masking of `/proc` and `/sys` paths"),
        _ => None,
    }
}

fn check(service: &ServiceView, report: &mut Report) {
    for (index, option) in service.security_opt.iter().enumerate() {
        if security_opt::overridden(&service.security_opt, index)
            || later_selinux_type(service, index)
        {
            continue;
        }
        if let Some(turned_off) = unconfined_profile(&option.value) {
            report.push(
                format!(
                    "`security_opt` `{}` turns off {turned_off}",
                    option.value.trim()
                ),
                service.at(Some(option)),
                format!(
                    "remove `{}`; if one system call is missing, use a custom profile that adds only that call",
                    option.value.trim()
                ),
            );
            report.note(option.note.clone());
        }
    }
}

/// A SELinux `type` is one setting: a later `label` entry with a type replaces this one's.
fn later_selinux_type(service: &ServiceView, index: usize) -> bool {
    let is_type = |option: &crate::lint::view::Located<String>| {
        let option = security_opt::split(option);
        option.key == "label"
            && (option.value.starts_with("type:") || option.value.starts_with("type="))
    };
    is_type(&service.security_opt[index]) && service.security_opt[index + 1..].iter().any(is_type)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::rules::test_support::{assert_silent, check, hardened, span, strings};

    #[test]
    fn every_spelling_is_recognized() {
        for option in [
            "seccomp:unconfined",
            "seccomp=unconfined",
            "SECCOMP=Unconfined",
            " apparmor:unconfined ",
            "apparmor=unconfined",
            "label:disable",
            "label=disable",
            "Label:Disable",
            "label:type:spc_t",
            "label=type:unconfined_t",
            "systempaths=unconfined",
        ] {
            assert!(unconfined_profile(option).is_some(), "{option}");
        }
        for option in [
            "no-new-privileges:true",
            "seccomp:./profile.json",
            "apparmor=docker-default",
            "label:level:s0:c100,c200",
            "label=type:container_t",
            "unconfined",
        ] {
            assert!(unconfined_profile(option).is_none(), "{option}");
        }
    }

    #[test]
    fn fires_at_the_offending_entry() {
        let mut service = hardened();
        service.security_opt = strings(&["no-new-privileges:true", "seccomp=unconfined"], 40);
        let found = check(&RULE, &service);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].span, span(41));
        assert!(found[0].message.contains("turns off the seccomp filter"));
        assert!(found[0].help.contains("remove `seccomp=unconfined`"));
    }

    #[test]
    fn a_later_profile_replaces_an_earlier_one() {
        let fired = |options: &[&str]| {
            let mut service = hardened();
            service.security_opt = strings(options, 40);
            check(&RULE, &service)
                .iter()
                .map(|finding| finding.span)
                .collect::<Vec<_>>()
        };
        assert!(fired(&["seccomp:unconfined", "seccomp=./profile.json"]).is_empty());
        assert!(fired(&["apparmor=unconfined", "apparmor:docker-default"]).is_empty());
        assert!(fired(&["label:type:spc_t", "label:type:container_t"]).is_empty());
        assert_eq!(
            fired(&["seccomp:./p.json", "seccomp=unconfined"]),
            [span(41)]
        );
        // `label:disable` is not a single setting: it holds wherever it is.
        assert_eq!(
            fired(&["label:disable", "label:type:container_t"]),
            [span(40)]
        );
        assert_eq!(
            fired(&["systempaths=unconfined", "seccomp:./p.json"]),
            [span(40)]
        );
    }

    #[test]
    fn hardened_is_silent() {
        assert_silent(&RULE, &hardened());
    }
}
