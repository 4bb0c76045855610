//! MCP005 no-new-privileges.

use crate::diag::Severity;
use crate::lint::security_opt::{self, go_bool};
use crate::lint::{Fix, Report, Rule, ServiceView};

pub static RULE: Rule = Rule {
    code: "MCP005",
    name: "no-new-privileges",
    severity: Severity::Error,
    core: false,
    summary: "processes must not gain privileges (setuid, file capabilities)",
    docs: DOCS,
    check,
};

const DOCS: &str = r#"## What it does
Checks that `security_opt` turns `no-new-privileges` on: `no-new-privileges:true` (also
accepted: `=true`, the bare `no-new-privileges`, and the other spellings of true Go's
`strconv.ParseBool` reads). The engine reads `security_opt` in order, so the last
`no-new-privileges` entry decides: `["no-new-privileges:true", "no-new-privileges:false"]` is off.

## Why it matters
Without it, a setuid binary in the image (`su`, `ping`, `mount` in many bases) lets a process
regain privileges that `user` and `cap_drop` took away.

## Bad
```yaml
services:
  github:
    image: ghcr.io/github/github-mcp-server:v1.0.0
```

## Good
```yaml
services:
  github:
    image: ghcr.io/github/github-mcp-server:v1.0.0
    security_opt: ["no-new-privileges:true"]
```

## Fix
Set `no_new_privileges = true` (mcpgen's default), or add `no-new-privileges:true` to the
service's `security_opt`.

## References
- CIS Docker Benchmark 5.26 (5.25 in older versions): restrict the container from acquiring additional privileges
- OWASP Docker Security Cheat Sheet, rule 4: prevent in-container privilege escalation
"#;

fn check(service: &ServiceView, report: &mut Report) {
    let Some(last) = security_opt::last(&service.security_opt, "no-new-privileges") else {
        report.push(
            "`no-new-privileges` is not set: setuid binaries can regain privileges",
            service.at(service.security_opt.first()),
            "add `security_opt: [\"no-new-privileges:true\"]`",
        );
        report.fix(Fix::EnsureItem {
            key: "security_opt",
            item: "no-new-privileges:true",
        });
        return;
    };
    let entry = last.entry.value.trim();
    let message = match go_bool(last.value) {
        Some(true) => return,
        Some(false) => format!(
            "`{entry}` turns `no-new-privileges` off: setuid binaries can regain privileges"
        ),
        None => format!(
            "`{entry}` is not a value the engine reads (`true` or `false`): the container does not start"
        ),
    };
    report.push(
        message,
        service.at(Some(last.entry)),
        "make the last `no-new-privileges` entry `no-new-privileges:true`",
    );
    let overrides = service.security_opt.iter().any(|option| {
        let option = security_opt::split(option);
        option.key == "no-new-privileges" && go_bool(option.value) == Some(true)
    });
    if overrides {
        report.note(Some(
            "an earlier entry turns it on, but the engine reads `security_opt` in order and the last one wins"
                .to_string(),
        ));
    }
    report.note(last.entry.note.clone());
}

#[cfg(test)]
mod tests {

    use crate::lint::rules::test_support::{hardened, strings};

    fn fires(options: &[&str]) -> Vec<String> {
        let mut service = hardened();
        service.security_opt = strings(options, 5);
        crate::lint::run(std::slice::from_ref(&service), &Default::default())
            .into_iter()
            .filter(|finding| finding.rule.code == "MCP005")
            .map(|finding| finding.message.into_owned())
            .collect()
    }

    #[test]
    fn the_last_entry_decides() {
        for on in [
            &["no-new-privileges:true"][..],
            &["no-new-privileges=true"],
            &["no-new-privileges"],
            &["NO-NEW-PRIVILEGES:True"],
            &["no-new-privileges:false", "no-new-privileges:1"],
            &[
                "no-new-privileges:false",
                "seccomp:unconfined",
                "no-new-privileges",
            ],
        ] {
            assert!(fires(on).is_empty(), "{on:?}");
        }
        for off in [
            &[][..],
            &["seccomp:unconfined"],
            &["no-new-privileges:false"],
            &["no-new-privileges:true", "no-new-privileges:false"],
            &["no-new-privileges", "no-new-privileges=0"],
            &["no-new-privileges:yes"],
        ] {
            assert_eq!(fires(off).len(), 1, "{off:?}");
        }
    }
}
