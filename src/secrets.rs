//! What a credential looks like, wherever people paste one: by the name it is stored under, by
//! the shape of the value itself, and on a command line. One set, used by the lint (MCP017),
//! by `init --from`, and to mask what mcpgen shows (dry-run diffs, drift diffs).

/// Words of a variable name that say it holds a credential.
const CREDENTIAL_WORDS: &[&str] = &[
    "TOKEN",
    "SECRET",
    "PASSWORD",
    "PASSWD",
    "PASS",
    "CREDENTIAL",
    "CREDENTIALS",
    "AUTH",
    "KEY",
    "PAT",
    "COOKIE",
    "COOKIES",
    "PEM",
    "APIKEY",
    "AUTHTOKEN",
    "ACCESSTOKEN",
    "PRIVATEKEY",
    "ACCESSKEY",
    "SECRETKEY",
];

/// Neighbouring words that make a key credential-shaped.
const CREDENTIAL_PAIRS: &[(&str, &str)] = &[("API", "KEY"), ("PRIVATE", "KEY"), ("ACCESS", "KEY")];

/// Last words that describe a credential's setting rather than hold the credential.
const DESCRIBING_WORDS: &[&str] = &[
    "FILE", "PATH", "DIR", "URL", "URI", "ENDPOINT", "HOST", "PORT", "TYPE", "MODE", "METHOD",
    "ENABLED", "DISABLED", "REQUIRED", "PROVIDER", "ISSUER", "AUDIENCE", "SCOPE", "SCOPES", "ID",
    "NAME", "USER", "USERNAME", "EXPIRY", "TTL", "TIMEOUT", "LIMIT", "LENGTH", "COUNT", "SIZE",
];

/// `githubApi_KEY-v2` → `GITHUB`, `API`, `KEY`, `V2`.
fn key_words(key: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut previous_lower = false;
    for c in key.chars() {
        if !c.is_ascii_alphanumeric() {
            words.extend((!word.is_empty()).then(|| std::mem::take(&mut word)));
            previous_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && previous_lower {
            words.push(std::mem::take(&mut word));
        }
        previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        word.push(c.to_ascii_uppercase());
    }
    words.extend((!word.is_empty()).then_some(word));
    words
}

/// Whether an environment key names a credential (`GITHUB_TOKEN`, `apiKey`, `DB_PASS`).
pub fn is_credential_key(key: &str) -> bool {
    let words = key_words(key);
    let Some(last) = words.last() else {
        return false;
    };
    if DESCRIBING_WORDS.contains(&last.as_str()) {
        return false;
    }
    words
        .iter()
        .any(|word| CREDENTIAL_WORDS.contains(&word.as_str()))
        || words.windows(2).any(|pair| {
            CREDENTIAL_PAIRS
                .iter()
                .any(|(first, second)| pair[0] == *first && pair[1] == *second)
        })
}

/// Value prefixes of issued tokens: GitHub (classic and fine-grained), GitLab, OpenAI and
/// Anthropic style keys, Stripe, Slack, npm, Hugging Face, Google API keys.
const TOKEN_PREFIXES: &[&str] = &[
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "glpat-",
    "sk-",
    "sk_live_",
    "rk_live_",
    "xoxa-",
    "xoxb-",
    "xoxp-",
    "xoxs-",
    "xapp-",
    "npm_",
    "hf_",
    "AIza",
];

/// The shortest token worth calling one: `sk-` alone is a word, `sk-` and 16 more is a key.
const MIN_TOKEN: usize = 16;

/// What kind of secret `value` looks like, by its shape alone; `None` for anything else.
pub(crate) fn secret_shape(value: &str) -> Option<&'static str> {
    let value = value.trim();
    if value.contains("-----BEGIN") && value.contains("PRIVATE KEY") {
        return Some("a private key (PEM)");
    }
    if let Some(token) = value.split(char::is_whitespace).find(|word| is_token(word)) {
        return Some(if token.starts_with("eyJ") {
            "a JSON Web Token"
        } else if token.starts_with("AKIA") || token.starts_with("ASIA") {
            "an AWS access key id"
        } else if token.len() >= 32 && !TOKEN_PREFIXES.iter().any(|p| token.starts_with(p)) {
            "a long random string"
        } else {
            "an API token"
        });
    }
    None
}

fn is_token(word: &str) -> bool {
    let word = word.trim_matches(|c: char| c == '"' || c == '\'' || c == ',');
    let token_chars = |w: &str| {
        w.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '+' | '/' | '='))
    };
    if !token_chars(word) {
        return false;
    }
    if TOKEN_PREFIXES
        .iter()
        .any(|p| word.starts_with(p) && word.len() >= p.len() + MIN_TOKEN)
    {
        return true;
    }
    if (word.starts_with("AKIA") || word.starts_with("ASIA"))
        && word.len() == 20
        && word
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    {
        return true;
    }
    let parts: Vec<&str> = word.split('.').collect();
    if word.starts_with("eyJ") && parts.len() == 3 && parts.iter().all(|p| p.len() >= 4) {
        return true;
    }
    high_entropy(word)
}

/// A long string of mixed letters and digits with the entropy of a random key (a path, a word
/// or a version never has it).
fn high_entropy(word: &str) -> bool {
    if word.len() < 32 || word.starts_with('/') {
        return false;
    }
    let has = |f: fn(&char) -> bool| word.chars().any(|c| f(&c));
    if !(has(char::is_ascii_digit)
        && has(char::is_ascii_lowercase)
        && has(char::is_ascii_uppercase))
    {
        return false;
    }
    let mut counts = [0usize; 256];
    for byte in word.bytes() {
        counts[usize::from(byte)] += 1;
    }
    let len = word.len() as f64;
    let entropy: f64 = counts
        .iter()
        .filter(|&&n| n > 0)
        .map(|&n| {
            let p = n as f64 / len;
            -p * p.log2()
        })
        .sum();
    entropy >= 4.0
}

/// Flag words that take a credential: `--token`, `--api-key`, `--password`, `--auth`, `--pat`,
/// `--github-token` (by its words, so `--path` and `--author` are not).
pub(crate) fn is_secret_flag(flag: &str) -> bool {
    if !flag.starts_with('-') {
        return false;
    }
    let words: Vec<String> = flag
        .trim_start_matches('-')
        .split(['-', '_', '.'])
        .map(str::to_ascii_lowercase)
        .collect();
    let joined = words.concat();
    words.iter().any(|word| {
        matches!(
            word.as_str(),
            "token"
                | "secret"
                | "password"
                | "passwd"
                | "auth"
                | "credential"
                | "credentials"
                | "cookie"
                | "pat"
                | "apikey"
        )
    }) || ["apikey", "privatekey", "accesskey", "authtoken"]
        .iter()
        .any(|pair| joined.contains(pair))
}

/// The indices of `argv` words that hold a credential: the value after a secret flag (`--token
/// X`), a secret flag's `=value`, an `Authorization:`/`Cookie:` header, a word shaped like a
/// token.
pub(crate) fn secrets_in_argv(argv: &[String]) -> Vec<usize> {
    let mut found = Vec::new();
    let mut next_is_secret = false;
    for (index, word) in argv.iter().enumerate() {
        if next_is_secret {
            found.push(index);
            next_is_secret = false;
            continue;
        }
        let lower = word.to_ascii_lowercase();
        if let Some((flag, value)) = word.split_once('=') {
            if is_secret_flag(flag) && !value.is_empty() {
                found.push(index);
                continue;
            }
        } else if is_secret_flag(word) {
            next_is_secret = true;
            continue;
        }
        if lower.contains("authorization:")
            || lower.starts_with("cookie:")
            || lower.contains("x-api-key:")
            || secret_shape(word).is_some()
        {
            found.push(index);
        }
    }
    found
}

/// `text` with the value of every credential-shaped key, every credential-shaped word and every
/// header value replaced by `…`, for anything mcpgen shows: diffs (a dry run's diff shows the
/// user's own lines too), logs.
pub(crate) fn mask(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        out.push_str(&mask_line(line));
    }
    out
}

/// The quoted value of every credential-shaped key on the line (`"GITHUB_TOKEN": "…"`,
/// `API_KEY = "…"`), unless it is a reference (`${VAR}`).
fn redact_keys(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some((before, key, after)) = next_key(rest) {
        out.push_str(before);
        out.push_str(key);
        let trimmed = after.trim_start_matches([' ', '\t']);
        let separator = &after[..after.len() - trimmed.len()];
        let Some(value_part) = trimmed
            .strip_prefix([':', '='])
            .map(|v| v.trim_start_matches([' ', '\t']))
        else {
            rest = after;
            continue;
        };
        let Some(quote) = value_part
            .chars()
            .next()
            .filter(|c| *c == '"' || *c == '\'')
        else {
            rest = after;
            continue;
        };
        let Some(end) = value_part[1..].find(quote) else {
            rest = after;
            continue;
        };
        let value = &value_part[1..=end];
        let name = key.trim_matches(['"', '\'']);
        let spacing = &trimmed[1..trimmed.len() - value_part.len()];
        out.push_str(separator);
        out.push_str(&trimmed[..1]);
        out.push_str(spacing);
        if is_credential_key(name) && !value.starts_with('$') {
            out.push(quote);
            out.push('…');
            out.push(quote);
        } else {
            out.push_str(&value_part[..end + 2]);
        }
        rest = &value_part[end + 2..];
    }
    out.push_str(rest);
    out
}

/// The next key-looking word: a quoted string or a bare TOML key.
fn next_key(text: &str) -> Option<(&str, &str, &str)> {
    let start = text.find(|c: char| c == '"' || c.is_ascii_alphabetic() || c == '_')?;
    let tail = &text[start..];
    let len = if let Some(quoted) = tail.strip_prefix('"') {
        quoted.find('"')? + 2
    } else {
        tail.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .unwrap_or(tail.len())
    };
    Some((&text[..start], &tail[..len], &tail[len..]))
}

fn mask_line(line: &str) -> String {
    let line = &redact_keys(line);
    let lower = line.to_ascii_lowercase();
    for header in ["authorization:", "cookie:", "x-api-key:"] {
        if let Some(at) = lower.find(header) {
            let end = at + header.len();
            let tail_end = line[end..]
                .find(['"', '\'', '\n'])
                .map_or(line.len(), |n| end + n);
            return format!("{} …{}", &line[..end], &line[tail_end..]);
        }
    }
    if line.contains("-----BEGIN") && line.contains("PRIVATE KEY") {
        return if line.ends_with('\n') { "…\n" } else { "…" }.to_string();
    }
    let mut out = String::with_capacity(line.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if is_token(word) {
            out.push('…');
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in line.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '+' | '/' | '=') {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One canary per shape people paste.
    const CANARIES: &[(&str, &str)] = &[
        ("ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8", "an API token"),
        (
            "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ",
            "an API token",
        ),
        ("sk-proj-a1B2c3D4e5F6g7H8i9J0k1L2", "an API token"),
        (
            "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOp",
            "an API token",
        ),
        ("AKIAIOSFODNN7EXAMPLE", "an AWS access key id"),
        (
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
            "a JSON Web Token",
        ),
        (
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----",
            "a private key (PEM)",
        ),
        ("Zx8Qp2Lm9Vt4Rk7Wn3Hy6Bd1Fs5Gj0Ca", "a long random string"),
    ];

    #[test]
    fn every_shape_is_recognised_and_masked() {
        for (canary, kind) in CANARIES {
            assert_eq!(secret_shape(canary), Some(*kind), "{canary}");
            let shown = mask(&format!("  \"TOKEN\": \"{canary}\",\n"));
            assert!(!shown.contains(&canary[..12]), "{shown}");
        }
    }

    #[test]
    fn ordinary_values_are_not_secrets() {
        for value in [
            "/home/user/projects/some-long-directory-name/file.txt",
            "node",
            "2025-11-25",
            "ghcr.io/github/github-mcp-server:v0.30.1",
            "sk-",
            "https://api.github.com",
            "true",
            "@modelcontextprotocol/server-filesystem",
        ] {
            assert_eq!(secret_shape(value), None, "{value}");
            assert_eq!(mask(value), value);
        }
    }

    #[test]
    fn secrets_on_a_command_line_are_found() {
        let argv: Vec<String> = [
            "server",
            "--token",
            "abc",
            "--api-key=xyz",
            "-H",
            "Authorization: Bearer abc",
            "--port",
            "8080",
            "ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8",
            "--pat",
            "p",
        ]
        .iter()
        .map(ToString::to_string)
        .collect();
        assert_eq!(secrets_in_argv(&argv), [2, 3, 5, 8, 10]);
        assert_eq!(
            mask("curl -H 'Authorization: Bearer abc123' https://x\n"),
            "curl -H 'Authorization: …' https://x\n"
        );
    }
}

#[cfg(test)]
mod key_tests {
    use super::redact_keys as redact_line;

    #[test]
    fn secret_values_are_masked_and_everything_else_kept() {
        assert_eq!(
            redact_line(r#"-      "env": { "GITHUB_TOKEN": "ghp_x", "REGION": "eu" }"#),
            r#"-      "env": { "GITHUB_TOKEN": "…", "REGION": "eu" }"#
        );
        assert_eq!(
            redact_line(r#"+API_KEY = "abc" # note"#),
            r#"+API_KEY = "…" # note"#
        );
        assert_eq!(
            redact_line(r#" "GH_TOKEN": "${GH_TOKEN:-}","#),
            r#" "GH_TOKEN": "${GH_TOKEN:-}","#
        );
        assert_eq!(
            redact_line(r#"+  "args": ["-c", "exec x"],"#),
            r#"+  "args": ["-c", "exec x"],"#
        );
    }
}
