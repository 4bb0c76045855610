//! MCP020 tmpfs-hardened.

use crate::diag::Severity;
use crate::lint::view::MountKind;
use crate::lint::{Report, Rule, ServiceView};

pub static RULE: Rule = Rule {
    code: "MCP020",
    name: "tmpfs-hardened",
    severity: Severity::Warning,
    core: false,
    summary: "tmpfs mounts should be noexec, nosuid, nodev and sized",
    docs: DOCS,
    check,
};

const DOCS: &str = r#"## What it does
Reports a tmpfs, from the service's `tmpfs` key or a `type: tmpfs` volume, whose options do not
make it `noexec`, `nosuid` and `nodev`, or give it no positive `size=`. Options apply in order,
so the last of `noexec`/`exec` wins (likewise `suid`, `dev`), and `defaults` means
`exec,suid,dev`. `size=0` means unlimited.

The long volume syntax (`tmpfs: { size: …, mode: … }`) cannot say `noexec`, `nosuid` or `nodev`,
so such a mount always gets a finding: declare it under the service's `tmpfs` key instead, where
the options are explicit.

## Why it matters
With a read-only root filesystem (MCP002), a tmpfs is the one place a process can write. If it
allows exec, a misled tool can download a binary there and run it; `suid` and `dev` files there
are privilege-escalation tools. Without a size it grows until it takes the container's memory
limit (or, without one, the host's). Engines differ in their defaults (Podman's `read_only`
adds exec-allowed tmpfs mounts of its own), so the options are spelled out.

## Bad
```yaml
services:
  fetch:
    image: mcp/fetch:1.0.0
    tmpfs: ["/tmp"]
```

## Good
```yaml
services:
  fetch:
    image: mcp/fetch:1.0.0
    tmpfs: ["/tmp:rw,noexec,nosuid,nodev,size=16m"]
```

## Fix
Write every tmpfs as `PATH:rw,noexec,nosuid,nodev,size=16m` under the service's `tmpfs` key.
mcpgen renders `mcp.toml`'s `tmpfs = { "/tmp" = "16M" }` that way.

## References
- Docker docs: tmpfs mounts (`--tmpfs` options)
- tmpfs(5): the `size` option
- OWASP Docker Security Cheat Sheet, rule 8: set filesystem and volumes to read-only
"#;

/// Whether a `size=` value caps the tmpfs: `16m`, `1g`, `50%` do; `0` is unlimited.
fn is_positive_size(size: &str) -> bool {
    size.trim()
        .trim_end_matches(|c: char| c.is_ascii_alphabetic() || c == '%')
        .parse::<u64>()
        .is_ok_and(|size| size > 0)
}

/// What a tmpfs's options leave open (`lacks `noexec``, `sets `suid``, …); empty when hardened.
/// Options are as in [`crate::lint::view::TmpfsView::options`]; a comma-joined string works too.
pub fn tmpfs_weaknesses(options: &[String]) -> Vec<String> {
    let options: Vec<String> = options
        .iter()
        .flat_map(|option| option.split(','))
        .map(|option| option.trim().to_ascii_lowercase())
        .filter(|option| !option.is_empty())
        .collect();
    let mut weaknesses = Vec::new();
    for (hardened, open) in [("noexec", "exec"), ("nosuid", "suid"), ("nodev", "dev")] {
        // Mount options apply left to right, so the last word on the matter wins.
        let last = options
            .iter()
            .rev()
            .find(|option| *option == hardened || *option == open || *option == "defaults");
        match last.map(String::as_str) {
            Some(option) if option == hardened => {}
            Some("defaults") => weaknesses.push(format!("sets `{open}` (through `defaults`)")),
            Some(_) => weaknesses.push(format!("sets `{open}`")),
            None => weaknesses.push(format!("lacks `{hardened}`")),
        }
    }
    let size = options
        .iter()
        .rev()
        .find_map(|option| option.strip_prefix("size="));
    if !size.is_some_and(is_positive_size) {
        weaknesses.push("has no `size=` cap".to_string());
    }
    weaknesses
}

/// `a`, `a and b`, `a, b and c`.
fn listed(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [only] => only.clone(),
        [first @ .., last] => format!("{} and {last}", first.join(", ")),
    }
}

const HARDENED_EXAMPLE: &str = "rw,noexec,nosuid,nodev,size=16m";

fn check(service: &ServiceView, report: &mut Report) {
    for tmpfs in &service.tmpfs {
        let weaknesses = tmpfs_weaknesses(&tmpfs.options);
        if weaknesses.is_empty() {
            continue;
        }
        report.push(
            format!("tmpfs `{}` {}", tmpfs.target, listed(&weaknesses)),
            service.at_span(tmpfs.span.as_ref()),
            format!("write it as `{}:{HARDENED_EXAMPLE}`", tmpfs.target),
        );
    }
    for mount in service
        .mounts
        .iter()
        .filter(|mount| mount.kind == MountKind::Tmpfs)
    {
        let weaknesses = tmpfs_weaknesses(&mount.tmpfs_options);
        if weaknesses.is_empty() {
            continue;
        }
        report.push(
            format!("tmpfs volume `{}` {}", mount.target, listed(&weaknesses)),
            service.at_span(mount.span.as_ref()),
            format!(
                "declare it under the service's `tmpfs` key instead, `{}:{HARDENED_EXAMPLE}`: the long syntax cannot set noexec, nosuid or nodev",
                mount.target
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::rules::test_support::{assert_silent, check, hardened, only, span};
    use crate::lint::view::{MountView, TmpfsView};

    fn options(text: &str) -> Vec<String> {
        text.split(',').map(str::to_string).collect()
    }

    #[test]
    fn hardened_options_pass_in_any_case_and_order() {
        for text in [
            "rw,noexec,nosuid,nodev,size=16m",
            "size=1g,NODEV,NoSuid,noexec",
            "exec,noexec,nosuid,nodev,size=50%",
            "defaults,noexec,nosuid,nodev,size=0,size=8k",
        ] {
            assert!(tmpfs_weaknesses(&options(text)).is_empty(), "{text}");
        }
        // A front end that kept the options as one string is read the same way.
        assert!(tmpfs_weaknesses(&["noexec,nosuid,nodev,size=1m".to_string()]).is_empty());
    }

    #[test]
    fn weaknesses_are_named() {
        assert_eq!(
            tmpfs_weaknesses(&[]),
            [
                "lacks `noexec`",
                "lacks `nosuid`",
                "lacks `nodev`",
                "has no `size=` cap"
            ]
        );
        assert_eq!(
            tmpfs_weaknesses(&options("noexec,nosuid,nodev,exec,size=0")),
            ["sets `exec`", "has no `size=` cap"]
        );
        assert_eq!(
            tmpfs_weaknesses(&options("noexec,nosuid,nodev,defaults,size=1m")),
            [
                "sets `exec` (through `defaults`)",
                "sets `suid` (through `defaults`)",
                "sets `dev` (through `defaults`)"
            ]
        );
    }

    #[test]
    fn tmpfs_key_fires_at_its_entry() {
        let mut service = hardened();
        service.tmpfs.push(TmpfsView {
            target: "/cache".to_string(),
            options: options("rw,nosuid,size=16m"),
            span: span(40),
        });
        let found = only(&RULE, &service);
        assert_eq!(found.span, span(40));
        assert_eq!(found.severity, Severity::Warning);
        assert_eq!(
            found.message,
            "tmpfs `/cache` lacks `noexec` and lacks `nodev`"
        );
        assert_eq!(
            found.help,
            "write it as `/cache:rw,noexec,nosuid,nodev,size=16m`"
        );
    }

    #[test]
    fn long_syntax_tmpfs_counts() {
        let mut service = hardened();
        service.mounts.push(MountView {
            kind: MountKind::Tmpfs,
            source: None,
            target: "/scratch".to_string(),
            read_only: false,
            tmpfs_options: vec!["size=16m".to_string(), "mode=1777".to_string()],
            span: span(41),
            landing: None,
            volume: None,
        });
        let found = check(&RULE, &service);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].span, span(41));
        assert_eq!(
            found[0].message,
            "tmpfs volume `/scratch` lacks `noexec`, lacks `nosuid` and lacks `nodev`"
        );
        assert!(found[0].help.contains("service's `tmpfs` key"));
    }

    #[test]
    fn hardened_service_is_silent() {
        assert_silent(&RULE, &hardened());
    }
}
