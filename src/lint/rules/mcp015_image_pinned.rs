//! MCP015 image-pinned.

use crate::diag::Severity;
use crate::lint::{Report, Rule, ServiceView};

pub static RULE: Rule = Rule {
    code: "MCP015",
    name: "image-pinned",
    severity: Severity::Error,
    core: false,
    summary: "images must be pinned to a version tag or a digest",
    docs: DOCS,
    check,
};

const DOCS: &str = r#"## What it does
Reports an image with no tag, or with a floating tag, unless it is pinned by a digest
(`@sha256:…`), which pins it whatever the tag says. The reference is parsed the way the engine
does: the tag is what follows the last `:` after the last `/`, so `localhost:5000/app` has no tag
and `localhost:5000/app:1.2` has the tag `1.2`.

A tag is floating when it has no digit in it: it names a channel, not a version. That covers
`latest`, `stable`, `edge`, `main`, `master`, `dev`, `develop`, `nightly`, `canary`, `next`,
`beta`, `unstable`, `testing`, `rolling`, `lts`, `current`, `alpine`, `slim`, distribution code
names such as `bookworm`, and compounds such as `lts-alpine`. (A tag made only of the letters a–f,
such as a short commit hash `deadbeef`, is taken for a name too; add the digest.)

A service without `image` (build only) is not this rule's business.

## Why it matters
A floating tag is a moving target: the next `pull` runs different code, with no review and no
way back. For an MCP server, that code holds the tools a model calls with your files and
tokens. Tags with a version number can move too (`node:20`); only a digest really pins (MCP016).

## Bad
```yaml
services:
  fetch:
    image: mcp/fetch:latest
```

## Good
```yaml
services:
  fetch:
    image: mcp/fetch:1.2.3
```

## Fix
Use the release's version tag, and better, add its digest:
`mcp/fetch:1.2.3@sha256:…` (`docker buildx imagetools inspect mcp/fetch:1.2.3` prints it).

## References
- Docker docs: image references (`docker image tag`), pin base image versions (build best practices)
- OWASP Docker Security Cheat Sheet, rule 13: enhance supply chain security
"#;

/// An image reference split the way the engine splits it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageReference<'a> {
    /// Registry, path and repository: everything before the tag.
    pub name: &'a str,
    /// `None` when there is no tag (or an empty one after the `:`).
    pub tag: Option<&'a str>,
    /// What follows `@`, e.g. `sha256:…`.
    pub digest: Option<&'a str>,
}

impl<'a> ImageReference<'a> {
    pub fn parse(image: &'a str) -> Self {
        let image = image.trim();
        let (rest, digest) = match image.split_once('@') {
            Some((rest, digest)) => (rest, Some(digest)),
            None => (image, None),
        };
        // A `:` before the last `/` is a registry port, not a tag.
        let last_component = rest.rfind('/').map_or(0, |slash| slash + 1);
        let (name, tag) = match rest[last_component..].find(':') {
            Some(colon) => {
                let colon = last_component + colon;
                (&rest[..colon], Some(&rest[colon + 1..]))
            }
            None => (rest, None),
        };
        Self {
            name,
            tag: tag.filter(|tag| !tag.is_empty()),
            digest: digest.filter(|digest| !digest.is_empty()),
        }
    }
}

/// A tag without a digit names a channel (`latest`, `lts-alpine`), which moves.
pub fn is_floating_tag(tag: &str) -> bool {
    !tag.chars().any(|c| c.is_ascii_digit())
}

fn check(service: &ServiceView, report: &mut Report) {
    let Some(image) = &service.image else {
        return;
    };
    let reference = ImageReference::parse(&image.value);
    if reference.digest.is_some() {
        return;
    }
    let shown = image.value.trim();
    let span = service.at(Some(image));
    let help = "pin a version tag, and better its digest: `NAME:1.2.3@sha256:…` (`docker buildx imagetools inspect` prints it)";
    match reference.tag {
        _ if reference.name.is_empty() => {
            report.push("the image reference is empty", span, help);
        }
        None => report.push(
            format!("image `{shown}` has no tag, so it means `:latest`"),
            span,
            help,
        ),
        Some(tag) if is_floating_tag(tag) => report.push(
            format!("image `{shown}` uses the floating tag `{tag}`, which moves between pulls"),
            span,
            help,
        ),
        Some(_) => return,
    }
    report.note(image.note.clone());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::rules::test_support::{assert_silent, hardened, located, only, span};

    fn parse(image: &str) -> (&str, Option<&str>, Option<&str>) {
        let reference = ImageReference::parse(image);
        (reference.name, reference.tag, reference.digest)
    }

    #[test]
    fn references_parse_like_the_engine() {
        assert_eq!(parse("nginx"), ("nginx", None, None));
        assert_eq!(parse("nginx:1.27"), ("nginx", Some("1.27"), None));
        assert_eq!(
            parse("localhost:5000/app"),
            ("localhost:5000/app", None, None)
        );
        assert_eq!(
            parse("localhost:5000/app:1.2"),
            ("localhost:5000/app", Some("1.2"), None)
        );
        assert_eq!(
            parse("ghcr.io/github/github-mcp-server:v0.30.1"),
            ("ghcr.io/github/github-mcp-server", Some("v0.30.1"), None)
        );
        assert_eq!(
            parse("registry:5000/team/app@sha256:abc"),
            ("registry:5000/team/app", None, Some("sha256:abc"))
        );
        assert_eq!(
            parse("app:1.0@sha256:abc"),
            ("app", Some("1.0"), Some("sha256:abc"))
        );
        assert_eq!(parse("app:"), ("app", None, None));
    }

    #[test]
    fn floating_tags() {
        for tag in [
            "latest",
            "LATEST",
            "stable",
            "edge",
            "main",
            "master",
            "dev",
            "nightly",
            "lts",
            "current",
            "alpine",
            "slim",
            "bookworm",
            "lts-alpine",
        ] {
            assert!(is_floating_tag(tag), "{tag}");
        }
        for tag in [
            "1",
            "v0.30.1",
            "2026.8.31",
            "3.12-slim",
            "1.0-beta",
            "sha-4f2a9c1",
        ] {
            assert!(!is_floating_tag(tag), "{tag}");
        }
    }

    fn with_image(image: &str) -> ServiceView {
        let mut service = hardened();
        service.image = Some(located(image.to_string(), 40));
        service
    }

    #[test]
    fn no_tag_means_latest() {
        let found = only(&RULE, &with_image("localhost:5000/app"));
        assert_eq!(
            found.message,
            "image `localhost:5000/app` has no tag, so it means `:latest`"
        );
        assert_eq!(found.span, span(40));
        assert!(found.help.contains("@sha256:"));
    }

    #[test]
    fn floating_tag_fires() {
        let found = only(&RULE, &with_image("node:lts-alpine"));
        assert!(found.message.contains("floating tag `lts-alpine`"));
    }

    #[test]
    fn version_tags_digests_and_build_only_are_silent() {
        for image in [
            "localhost:5000/app:1.2",
            "mcp/filesystem:2026.8.31",
            "mcp/fetch@sha256:0123",
            "mcp/fetch:latest@sha256:0123",
        ] {
            assert_silent(&RULE, &with_image(image));
        }
        let mut build_only = hardened();
        build_only.image = None;
        build_only.has_build = true;
        assert_silent(&RULE, &build_only);
    }

    #[test]
    fn empty_interpolated_image_notes_the_environment() {
        let mut service = hardened();
        let mut image = located(String::new(), 40);
        image.note = Some("`${IMAGE}` is unset".into());
        service.image = Some(image);
        let found = only(&RULE, &service);
        assert_eq!(found.message, "the image reference is empty");
        assert_eq!(found.note.as_deref(), Some("`${IMAGE}` is unset"));
    }
}
