//! The variables Compose interpolates with, besides the process environment: the `.env` file in
//! the project directory (the first compose file's), or instead the `--env-file`s given, later
//! files overriding earlier ones. The process environment wins over both, as in Compose.
//!
//! The file format is compose-go's `dotenv`: `KEY=VALUE` lines, an optional `export `, `#`
//! comments (after an unquoted value, a `#` that follows a blank), single quotes taken
//! literally, double quotes with `\n`/`\t`/`\\`/`\"` escapes spanning lines if need be,
//! `${VAR}` expanded in unquoted and double-quoted values (the process environment first, then
//! the lines above), and a bare `KEY` taking its value from the process environment.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::error::ComposeError;
use super::interpolate::{Env, substitute};
use crate::source::{FileId, Sources, Span};

/// Reads the variables a project's interpolation sees beyond the process environment.
/// `env_files` are the `--env-file`s; without them, `.env` beside the first compose file is read
/// if there is one.
pub(crate) fn project_variables(
    sources: &mut Sources,
    first_file: Option<&Path>,
    env_files: &[PathBuf],
    process: Env<'_>,
) -> Result<HashMap<String, String>, ComposeError> {
    let default;
    let files: &[PathBuf] = if env_files.is_empty() {
        let dir = first_file
            .and_then(Path::parent)
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let candidate = dir.join(".env");
        if !candidate.is_file() {
            return Ok(HashMap::new());
        }
        default = [candidate];
        &default
    } else {
        env_files
    };
    let mut variables = HashMap::new();
    for path in files {
        let text = super::loader::read_text(path, None, super::loader::MAX_FILE_BYTES)?;
        let file = sources.add(path, text);
        parse(sources, file, process, &mut variables)?;
    }
    Ok(variables)
}

/// Adds the variables of one file to `variables`, later lines overriding earlier ones.
fn parse(
    sources: &Sources,
    file: FileId,
    process: Env<'_>,
    variables: &mut HashMap<String, String>,
) -> Result<(), ComposeError> {
    let text = sources.get(file).text.as_str();
    let mut at = 0;
    while at < text.len() {
        let line_end = text[at..].find('\n').map_or(text.len(), |end| at + end);
        let line = &text[at..line_end];
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if trimmed.trim().is_empty() || trimmed.starts_with('#') {
            at = line_end + 1;
            continue;
        }
        let statement = trimmed.strip_prefix("export ").unwrap_or(trimmed);
        let key_start = at + indent + (trimmed.len() - statement.len());
        let key_len = statement
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')))
            .unwrap_or(statement.len());
        let key = &statement[..key_len];
        let rest = statement[key_len..].trim_start();
        let bad = |offset: usize, message: &str| {
            ComposeError::invalid(
                &Span::new(file, offset..(offset + 1).min(text.len())),
                format!("invalid `.env` line: {message}"),
            )
        };
        if key.is_empty() {
            return Err(bad(key_start, "expected a variable name"));
        }
        let lookup = |name: &str| process(name).or_else(|| variables.get(name).cloned());
        if rest.is_empty() || rest.starts_with('#') {
            // `KEY` alone: the value the process environment has, if any.
            if let Some(value) = process(key) {
                variables.insert(key.to_string(), value);
            }
            at = line_end + 1;
            continue;
        }
        let Some(value_text) = rest.strip_prefix('=') else {
            return Err(bad(key_start + key_len, "expected `=` after the name"));
        };
        let value_start = line_end - value_text.len();
        let value_text = &text[value_start..];
        let leading = value_text.len() - value_text.trim_start_matches([' ', '\t']).len();
        let value_text = &value_text[leading..];
        let (value, consumed) = match value_text.chars().next() {
            Some(quote @ ('\'' | '"')) => {
                let Some(close) = closing_quote(&value_text[1..], quote) else {
                    return Err(bad(value_start + leading, "the quote is never closed"));
                };
                let inner = &value_text[1..=close];
                let value = if quote == '\'' {
                    inner.to_string()
                } else {
                    let unescaped = unescape(inner);
                    expand(&unescaped, &lookup)
                };
                (value, leading + close + 2)
            }
            _ => {
                let line_rest = &value_text[..value_text.find('\n').unwrap_or(value_text.len())];
                let value = strip_comment(line_rest).trim();
                (expand(value, &lookup), leading + line_rest.len())
            }
        };
        variables.insert(key.to_string(), value);
        let end = value_start + consumed;
        at = text[end..]
            .find('\n')
            .map_or(text.len(), |next| end + next + 1);
    }
    Ok(())
}

/// `${VAR}` and `$VAR` in a value, Compose's way; a value it would refuse is kept as written.
fn expand(value: &str, lookup: &dyn Fn(&str) -> Option<String>) -> String {
    substitute(value, lookup).map_or_else(|_| value.to_string(), |done| done.text)
}

/// The index of the closing quote in `text` (which starts after the opening one).
fn closing_quote(text: &str, quote: char) -> Option<usize> {
    let mut escaped = false;
    for (at, c) in text.char_indices() {
        match c {
            '\\' if quote == '"' && !escaped => escaped = true,
            c if c == quote && !escaped => return Some(at),
            _ => escaped = false,
        }
    }
    None
}

fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some(other @ ('\\' | '"' | '$')) => out.push(other),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// An unquoted value ends where a `#` after a blank starts a comment.
fn strip_comment(value: &str) -> &str {
    let bytes = value.as_bytes();
    (1..bytes.len())
        .find(|&at| bytes[at] == b'#' && matches!(bytes[at - 1], b' ' | b'\t'))
        .map_or(value, |at| &value[..at])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, process: Env<'_>) -> Result<HashMap<String, String>, ComposeError> {
        let mut sources = Sources::default();
        let file = sources.add(Path::new(".env"), text.to_string());
        let mut variables = HashMap::new();
        parse(&sources, file, process, &mut variables)?;
        Ok(variables)
    }

    fn none(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn lines_as_compose_reads_them() {
        let text = "# settings\n\nRUN_AS=0:0\nexport MODE=fast # inline comment\nEMPTY=\n\
                    SINGLE='${NOT} # kept'\nDOUBLE=\"a\\nb ${RUN_AS}\"\nMULTI=\"one\ntwo\"\n\
                    HASH=a#b\nSPACED = x y \nREF=${MODE}-${HOME_DIR:-/home}\nFROM_ENV\nRUN_AS=1000\n";
        let process = |name: &str| (name == "FROM_ENV").then(|| "outside".to_string());
        let variables = read(text, &process).unwrap();
        let get = |key: &str| variables.get(key).map(String::as_str);
        assert_eq!(get("RUN_AS"), Some("1000"), "a later line wins");
        assert_eq!(get("MODE"), Some("fast"));
        assert_eq!(get("EMPTY"), Some(""));
        assert_eq!(get("SINGLE"), Some("${NOT} # kept"));
        assert_eq!(get("DOUBLE"), Some("a\nb 0:0"));
        assert_eq!(get("MULTI"), Some("one\ntwo"));
        assert_eq!(get("HASH"), Some("a#b"));
        assert_eq!(get("SPACED"), Some("x y"));
        assert_eq!(get("REF"), Some("fast-/home"));
        assert_eq!(get("FROM_ENV"), Some("outside"));
    }

    #[test]
    fn the_process_environment_comes_first_in_expansions() {
        let process = |name: &str| (name == "A").then(|| "env".to_string());
        let variables = read("A=file\nB=${A}\n", &process).unwrap();
        assert_eq!(variables["B"], "env");
    }

    #[test]
    fn malformed_lines_are_errors_at_their_place() {
        for (text, at) in [("A B=1\n", 1), ("=1\n", 0), ("X=\"open\n", 2)] {
            let error = read(text, &none).unwrap_err();
            let span = error.span().expect("a span");
            assert_eq!(span.start(), at, "{text:?}: {error}");
        }
    }
}
