//! MCP017 no-plaintext-secret.

use crate::diag::Severity;
use crate::lint::{Report, Rule, ServiceView};
pub use crate::secrets::is_credential_key;
use crate::secrets::secret_shape;

pub static RULE: Rule = Rule {
    code: "MCP017",
    name: "no-plaintext-secret",
    severity: Severity::Error,
    core: false,
    summary: "credentials must not be written into the file",
    docs: DOCS,
    check,
};

const DOCS: &str = r#"## What it does
Reports an environment entry (map or list form) whose key is credential-shaped and whose value is
a literal; any entry whose value is shaped like a credential whatever its key (a GitHub, GitLab,
Slack, OpenAI-style or npm token, an AWS access key id, a JSON Web Token, a PEM private key, a
long random string); and any entry whose value holds a URL with a password in it
(`postgres://app:hunter2@db/app`). The finding never repeats the value.

A key is credential-shaped when one of its words (split at `_`, `-`, `.` and camelCase, any case)
is `TOKEN`, `SECRET`, `PASSWORD`, `PASSWD`, `PASS`, `CREDENTIAL`, `CREDENTIALS`, `AUTH`, `KEY`,
`PAT`, `COOKIE` or `PEM`, or
`APIKEY`, `AUTHTOKEN`, `ACCESSTOKEN`, `PRIVATEKEY`, `ACCESSKEY`, `SECRETKEY`, or two neighbouring
words are `API KEY`, `PRIVATE KEY` or `ACCESS KEY`. A key whose last word says it holds something
about a credential rather than the credential itself is not: `FILE`, `PATH`, `DIR`, `URL`, `URI`,
`ENDPOINT`, `HOST`, `PORT`, `TYPE`, `MODE`, `METHOD`, `ENABLED`, `DISABLED`, `REQUIRED`,
`PROVIDER`, `ISSUER`, `AUDIENCE`, `SCOPE`, `SCOPES`, `ID`, `NAME`, `USER`, `USERNAME`, `EXPIRY`,
`TTL`, `TIMEOUT`, `LIMIT`, `LENGTH`, `COUNT`, `SIZE` (so `POSTGRES_PASSWORD_FILE`,
`OAUTH_TOKEN_URL` and `MAX_TOKENS` pass; `TOKENIZERS_PARALLELISM` has no such word).

A value is not a literal when it is empty, a bare `KEY` passed through from the environment, a
reference such as `${GITHUB_TOKEN}`, `$GITHUB_TOKEN` or `${GITHUB_TOKEN:?set it}` (or one whose
default is empty or another reference), a boolean word (`true`, `false`, `yes`, `no`, `on`,
`off`), or a path under `/run/secrets/`. Compose values arrive with interpolation resolved to
their default, so `${TOKEN:-ghp_…}` is judged by the token written as its default.

## Why it matters
A credential in `mcp.toml` or a compose file ends up in version control, in backups, in
`docker inspect` output and in every log that prints the configuration. MCP servers hold the
tokens for GitHub, Slack, databases and cloud accounts: one leaked file hands all of them over.

## Bad
```yaml
services:
  github:
    image: ghcr.io/github/github-mcp-server:v0.30.1
    environment:
      GITHUB_PERSONAL_ACCESS_TOKEN: ghp_example
```

## Good
```toml
[servers.github]
image = "ghcr.io/github/github-mcp-server:v0.30.1"
secrets = { GITHUB_PERSONAL_ACCESS_TOKEN = { file = "~/.config/mcpgen/github-token" } }
```

## Fix
In `mcp.toml`, move the entry from `env` to `secrets` (`{ env = "VAR" }`, `{ file = "…" }` or
`{ command = [...] }`): the shim reads it at run time and passes it to the session only. In a
compose file, reference the variable (`GITHUB_TOKEN: ${GITHUB_TOKEN}`) or use a `secrets:` file
and the image's `_FILE` variable. Then rotate the credential: it has been written down.

## References
- OWASP Docker Security Cheat Sheet, rule 12: utilize Docker secrets for sensitive data management
- Docker docs: manage sensitive data with Docker secrets; Compose secrets
- CWE-798: use of hard-coded credentials
"#;

/// Single words that make a key credential-shaped.
fn is_variable_name(name: &str) -> bool {
    name.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A value that only names an environment variable (`$T`, `${T}`, `${T:?msg}`, `${T:-}`,
/// `${T:-${U}}`): it puts no credential in the file.
pub fn is_environment_reference(value: &str) -> bool {
    let value = value.trim();
    let Some(body) = value
        .strip_prefix("${")
        .and_then(|body| body.strip_suffix('}'))
    else {
        return value.strip_prefix('$').is_some_and(is_variable_name);
    };
    let name_end = body
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(body.len());
    let (name, modifier) = body.split_at(name_end);
    if !is_variable_name(name) {
        return false;
    }
    if modifier.is_empty() || modifier.starts_with('?') || modifier.starts_with(":?") {
        return true;
    }
    modifier
        .strip_prefix(":-")
        .or_else(|| modifier.strip_prefix('-'))
        .is_some_and(|default| default.is_empty() || is_environment_reference(default))
}

/// A value that holds no credential of its own, whatever its key says.
fn is_not_a_literal_secret(value: &str) -> bool {
    let value = value.trim();
    value.is_empty()
        || is_environment_reference(value)
        || ["true", "false", "yes", "no", "on", "off"]
            .iter()
            .any(|word| value.eq_ignore_ascii_case(word))
        // Compose mounts its `secrets:` there: the value is where the secret is, not the secret.
        || value.starts_with("/run/secrets/")
}

/// Whether `value` holds a URL with a non-empty, literal password: `scheme://user:pass@host`.
pub fn has_url_password(value: &str) -> bool {
    value.match_indices("://").any(|(at, _)| {
        let rest = &value[at + 3..];
        let authority = rest
            .split(['/', '?', '#', ' ', ',', ';'])
            .next()
            .unwrap_or_default();
        authority
            .rsplit_once('@')
            .and_then(|(userinfo, _)| userinfo.split_once(':'))
            .is_some_and(|(_, password)| {
                !password.is_empty() && !is_environment_reference(password)
            })
    })
}

fn check(service: &ServiceView, report: &mut Report) {
    for entry in &service.env {
        let Some(value) = entry.value.as_deref() else {
            continue;
        };
        if is_not_a_literal_secret(value) {
            continue;
        }
        let span = service.at_span(entry.span.as_ref());
        let key = entry.key.trim();
        if is_credential_key(key) {
            report.push(
                format!("`{key}` is set to a literal value: the credential is written in the file"),
                span,
                format!(
                    "pass `{key}` at run time: `secrets = {{ {key} = {{ env = \"{key}\" }} }}` in mcp.toml, or `{key}: ${{{key}}}` / a compose secret; then rotate it"
                ),
            );
        } else if let Some(kind) = secret_shape(value) {
            report.push(
                format!("`{key}` holds {kind}: the credential is written in the file"),
                span,
                format!(
                    "pass it at run time: `secrets = {{ {key} = {{ env = \"{key}\" }} }}` in mcp.toml, or `{key}: ${{{key}}}` / a compose secret; then rotate it"
                ),
            );
        } else if has_url_password(value) {
            report.push(
                format!("`{key}` holds a URL with a password in it"),
                span,
                "take the password out of the URL: pass it from the environment or a secret file, in its own variable; then rotate it",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::rules::test_support::{assert_silent, check, hardened, span};
    use crate::lint::view::EnvView;

    fn env(entries: &[(&str, Option<&str>)]) -> Vec<EnvView> {
        entries
            .iter()
            .zip(40..)
            .map(|((key, value), at)| EnvView {
                key: (*key).to_string(),
                value: value.map(str::to_string),
                span: span(at),
            })
            .collect()
    }

    #[test]
    fn credential_keys() {
        for key in [
            "GITHUB_PERSONAL_ACCESS_TOKEN",
            "token",
            "DB_PASSWORD",
            "SMTP_PASS",
            "MYSQL_ROOT_PASSWD",
            "OPENAI_API_KEY",
            "openaiApiKey",
            "APIKEY",
            "AWS_SECRET_ACCESS_KEY",
            "SSH_PRIVATE_KEY",
            "GOOGLE_APPLICATION_CREDENTIALS",
            "BASIC_AUTH",
            "NGROK_AUTHTOKEN",
            "SECRET_KEY_BASE",
            "slack-bot.token",
        ] {
            assert!(is_credential_key(key), "{key}");
        }
        for key in [
            "TOKENIZERS_PARALLELISM",
            "MAX_TOKENS",
            "POSTGRES_PASSWORD_FILE",
            "OAUTH_TOKEN_URL",
            "AUTH_TYPE",
            "AWS_ACCESS_KEY_ID",
            "AUTHOR",
            "PASSTHROUGH",
            "KEYBOARD",
            "MEMORY_FILE_PATH",
            "",
        ] {
            assert!(!is_credential_key(key), "{key}");
        }
    }

    #[test]
    fn environment_references() {
        for value in [
            "$TOKEN",
            "${TOKEN}",
            " ${GITHUB_TOKEN} ",
            "${TOKEN:?set TOKEN}",
            "${TOKEN?}",
            "${TOKEN:-}",
            "${TOKEN-}",
            "${TOKEN:-${FALLBACK}}",
        ] {
            assert!(is_environment_reference(value), "{value}");
        }
        for value in [
            "${TOKEN:-ghp_default}",
            "${TOKEN}suffix",
            "prefix$TOKEN",
            "$",
            "${}",
            "${1X}",
            "ghp_abc",
        ] {
            assert!(!is_environment_reference(value), "{value}");
        }
    }

    #[test]
    fn url_passwords() {
        assert!(has_url_password("postgres://app:hunter2@db:5432/app"));
        assert!(has_url_password("redis://:hunter2@cache"));
        assert!(has_url_password(
            "first=http://a.example, second=https://u:p@b.example/x"
        ));
        assert!(!has_url_password("https://x-access-token@github.com"));
        assert!(!has_url_password("postgres://app:@db/app"));
        assert!(!has_url_password("postgres://app:${DB_PASSWORD}@db/app"));
        assert!(!has_url_password("https://example.com/path?user=a:b@c"));
        assert!(!has_url_password("mailto:someone@example.com"));
    }

    #[test]
    fn literal_credential_fires_without_echoing_it() {
        let mut service = hardened();
        service.env = env(&[
            ("MEMORY_FILE_PATH", Some("/data/memory.jsonl")),
            ("GITHUB_TOKEN", Some("ghp_1234567890")),
        ]);
        let found = check(&RULE, &service);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].span, span(41));
        assert_eq!(
            found[0].message,
            "`GITHUB_TOKEN` is set to a literal value: the credential is written in the file"
        );
        assert!(!found[0].message.contains("ghp_"));
        assert!(!found[0].help.contains("ghp_"));
        assert!(found[0].help.contains("secrets = { GITHUB_TOKEN"));
    }

    #[test]
    fn url_password_fires_under_any_key() {
        let mut service = hardened();
        service.env = env(&[("DATABASE_URL", Some("postgres://app:hunter2@db/app"))]);
        let found = check(&RULE, &service);
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].message,
            "`DATABASE_URL` holds a URL with a password in it"
        );
        assert!(!found[0].message.contains("hunter2"));
    }

    #[test]
    fn references_pass_through_and_non_secrets_are_silent() {
        let mut service = hardened();
        service.env = env(&[
            ("GITHUB_TOKEN", None),
            ("SLACK_TOKEN", Some("${SLACK_TOKEN}")),
            ("API_KEY", Some("")),
            ("DB_PASSWORD", Some("${DB_PASSWORD:?set it}")),
            ("AUTH", Some("false")),
            ("DB_PASSWORD", Some("/run/secrets/db_password")),
            ("POSTGRES_PASSWORD_FILE", Some("/secrets/pg")),
            ("HOMEPAGE", Some("https://example.com")),
        ]);
        assert_silent(&RULE, &service);
    }

    #[test]
    fn a_literal_default_is_a_literal() {
        // The compose front end resolves `${TOKEN:-ghp_x}` to its default, `ghp_x`; a front end
        // that passed the raw text would be judged the same way.
        let mut service = hardened();
        service.env = env(&[("TOKEN", Some("${TOKEN:-ghp_x}"))]);
        assert_eq!(check(&RULE, &service).len(), 1);
    }

    #[test]
    fn a_token_is_found_by_its_shape_whatever_its_key() {
        for canary in [
            "ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8",
            "AKIAIOSFODNN7EXAMPLE",
            "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOp",
        ] {
            let mut service = hardened();
            service.env = env(&[("SETTING", Some(canary)), ("COOKIE", Some("session=x"))]);
            let findings = check(&RULE, &service);
            assert_eq!(findings.len(), 2, "{canary}: {findings:?}");
            assert!(
                findings.iter().all(|f| !format!("{f:?}").contains(canary)),
                "the finding repeats the value"
            );
        }
    }
}
