//! MCP016 image-digest.

use crate::diag::Severity;
use crate::lint::rules::mcp015_image_pinned::ImageReference;
use crate::lint::{Report, Rule, ServiceView};

pub static RULE: Rule = Rule {
    code: "MCP016",
    name: "image-digest",
    severity: Severity::Warning,
    core: false,
    summary: "images should be pinned by digest",
    docs: DOCS,
    check,
};

const DOCS: &str = r#"## What it does
Reports an image without a full `@sha256:` digest (64 hexadecimal digits), with or without a
tag. A service without `image` (build only) is not this rule's business.

## Why it matters
A tag is a pointer that its publisher, or whoever takes over the publisher's account, can move
to different content at any time, `v1.2.3` as much as `latest`. A digest names the content
itself: the engine refuses anything else. Pinning it means that the MCP server you reviewed is
the one that runs.

## Bad
```yaml
services:
  github:
    image: ghcr.io/github/github-mcp-server:v0.30.1
```

## Good
```yaml
services:
  github:
    image: ghcr.io/github/github-mcp-server:v0.30.1@sha256:<digest you verified>
```

## Fix
Look the digest up (`docker buildx imagetools inspect IMAGE:TAG`), check it is the release you
mean, and append it as `@sha256:…`; keep the tag beside it for readers. Tools such as Renovate
update both together.

## References
- OWASP Docker Security Cheat Sheet, rule 13: enhance supply chain security
- Docker docs: pull an image by digest (`docker pull`)
"#;

/// A digest the engine accepts as a content address: `sha256:` and 64 lower-case hex digits.
pub fn is_sha256_digest(digest: &str) -> bool {
    digest.strip_prefix("sha256:").is_some_and(|hex| {
        hex.len() == 64 && hex.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f'))
    })
}

fn check(service: &ServiceView, report: &mut Report) {
    let Some(image) = &service.image else {
        return;
    };
    let shown = image.value.trim();
    let span = service.at(Some(image));
    match ImageReference::parse(&image.value).digest {
        Some(digest) if is_sha256_digest(digest) => return,
        Some(digest) => report.push(
            format!("image `{shown}` has the digest `{digest}`, which is not a full sha256 digest"),
            span,
            "use the full digest, `@sha256:` and 64 hex digits, as `docker buildx imagetools inspect` prints it",
        ),
        None => report.push(
            format!("image `{shown}` is not pinned by digest: its tag can be moved to other content"),
            span,
            "append the digest you verified: `@sha256:…` (`docker buildx imagetools inspect IMAGE` prints it)",
        ),
    }
    report.note(image.note.clone());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::rules::test_support::{assert_silent, hardened, located, only, span};

    fn with_image(image: &str) -> ServiceView {
        let mut service = hardened();
        service.image = Some(located(image.to_string(), 40));
        service
    }

    #[test]
    fn tag_without_digest_warns_at_the_image() {
        let found = only(&RULE, &with_image("mcp/memory:2026.8.31"));
        assert_eq!(found.severity, Severity::Warning);
        assert_eq!(found.span, span(40));
        assert!(found.message.contains("not pinned by digest"));
        assert!(found.help.contains("@sha256:"));
    }

    #[test]
    fn partial_or_foreign_digest_warns() {
        let found = only(&RULE, &with_image("app@sha256:abc"));
        assert!(found.message.contains("not a full sha256 digest"));
        let found = only(&RULE, &with_image(&format!("app@md5:{}", "a".repeat(64))));
        assert!(found.message.contains("`md5:"));
    }

    #[test]
    fn full_digest_and_build_only_are_silent() {
        let digest = "0123456789abcdef".repeat(4);
        assert_silent(&RULE, &with_image(&format!("app@sha256:{digest}")));
        assert_silent(
            &RULE,
            &with_image(&format!("localhost:5000/app:1.2@sha256:{digest}")),
        );
        let mut build_only = hardened();
        build_only.image = None;
        assert_silent(&RULE, &build_only);
    }
}
