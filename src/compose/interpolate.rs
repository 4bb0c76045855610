//! `${VAR}` interpolation, as Compose does it before merging files: `$VAR`, `${VAR}`,
//! `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`, `${VAR?error}`, `${VAR:+alt}`,
//! `${VAR+alt}`, nesting in the default (`${A:-${B}}`), and `$$` for a literal `$`.
//!
//! Values only, never keys. What mcpgen judges is the text Compose would see with the given
//! environment; each scalar that used a variable gets a note saying so, since the verdict
//! depends on the environment the stack is started in.

use super::error::ComposeError;
use super::tree::{Node, Style, Value};
use crate::diag::{Diagnostic, Severity};

/// The environment: a lookup function, so tests are hermetic.
pub(crate) type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Interpolates every scalar value under `node`; `key` names the value in notes.
pub(crate) fn apply(
    node: &mut Node,
    key: &str,
    env: Env<'_>,
    notes: &mut Vec<Diagnostic>,
) -> Result<(), ComposeError> {
    match &mut node.value {
        Value::Scalar(scalar) => {
            if !scalar.text.contains('$') {
                return Ok(());
            }
            let substituted =
                substitute(&scalar.text, env).map_err(|message| ComposeError::Interpolation {
                    span: node.span.clone(),
                    text: scalar.text.clone(),
                    message,
                })?;
            for usage in &substituted.uses {
                if let How::Required(message) = &usage.how {
                    notes.push(
                        Diagnostic::new(
                            Severity::Warning,
                            format!(
                                "`{}` is not set here; Compose refuses to start without it",
                                usage.var
                            ),
                        )
                        .with_code("compose/required-variable")
                        .with_primary(node.span.clone(), message.as_str())
                        .with_note("mcpgen judges the value as empty"),
                    );
                }
            }
            scalar.note = substituted.note(key);
            scalar.text = substituted.text;
            // Compose interpolates strings: `${UID:-0}` is the string "0".
            scalar.style = Style::Quoted;
        }
        Value::Seq(items) => {
            for item in items {
                apply(item, key, env, notes)?;
            }
        }
        Value::Map(map) => {
            for entry in &mut map.entries {
                apply(&mut entry.value, &entry.key, env, notes)?;
            }
        }
    }
    Ok(())
}

/// A template with its variables replaced, and how each variable was used.
#[derive(Debug, PartialEq)]
pub(crate) struct Substituted {
    pub(crate) text: String,
    pub(crate) uses: Vec<Use>,
}

#[derive(Debug, PartialEq)]
pub(crate) struct Use {
    /// The expression as written: `${RO:-true}`.
    pub(crate) expression: String,
    pub(crate) var: String,
    pub(crate) how: How,
}

#[derive(Debug, PartialEq)]
pub(crate) enum How {
    /// The variable's value was used. (Its value is not repeated in notes: it may be secret.)
    Set,
    /// Unset (or empty, for `:-`): the default was used.
    Default(String),
    /// Set (non-empty, for `:+`): the alternative was used.
    Alternative(String),
    /// Unset: the empty string was used.
    Empty,
    /// Unset, where Compose requires it (`:?` / `?`), with the template's message.
    Required(String),
}

impl Substituted {
    /// The sentence that explains where the value came from.
    fn note(&self, key: &str) -> Option<String> {
        let parts: Vec<String> = self
            .uses
            .iter()
            .map(|usage| {
                let Use {
                    expression, var, ..
                } = usage;
                let how = match &usage.how {
                    How::Set => {
                        format!("`{var}` is set in this environment, so its value was used")
                    }
                    How::Default(default) => format!(
                        "`{var}` is not set, so the default `{default}` was used; the verdict depends on the environment"
                    ),
                    How::Alternative(alternative) => format!(
                        "`{var}` is set, so `{alternative}` was used; the verdict depends on the environment"
                    ),
                    How::Empty => format!(
                        "`{var}` is not set, so Compose uses an empty string; the verdict depends on the environment"
                    ),
                    How::Required(_) => format!(
                        "`{var}` is not set, and Compose refuses to start without it; judged as empty"
                    ),
                };
                format!("`{key}` comes from `{expression}`: {how}")
            })
            .collect();
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

/// Replaces the variables of one template. The error is a message about the template.
pub(crate) fn substitute(template: &str, env: Env<'_>) -> Result<Substituted, String> {
    let mut out = String::with_capacity(template.len());
    let mut uses = Vec::new();
    let mut rest = template;
    while let Some(dollar) = rest.find('$') {
        out.push_str(&rest[..dollar]);
        let after = &rest[dollar + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if after.starts_with('{') {
            let close = closing_brace(&rest[dollar..])
                .ok_or_else(|| "`${` is never closed with `}`".to_string())?;
            let expression = &rest[dollar..dollar + close + 1];
            let inner = &expression[2..expression.len() - 1];
            out.push_str(&braced(expression, inner, env, &mut uses)?);
            rest = &rest[dollar + close + 1..];
        } else {
            let length = name_length(after);
            if length == 0 {
                return Err(
                    "a `$` must be followed by a variable name, `{` or another `$`".to_string(),
                );
            }
            let var = &after[..length];
            let (value, how) = match env(var) {
                Some(value) => (value, How::Set),
                None => (String::new(), How::Empty),
            };
            out.push_str(&value);
            uses.push(Use {
                expression: format!("${var}"),
                var: var.to_string(),
                how,
            });
            rest = &after[length..];
        }
    }
    out.push_str(rest);
    Ok(Substituted { text: out, uses })
}

/// `${NAME}` or `${NAME<op><argument>}`.
fn braced(
    expression: &str,
    inner: &str,
    env: Env<'_>,
    uses: &mut Vec<Use>,
) -> Result<String, String> {
    let length = name_length(inner);
    if length == 0 {
        return Err(format!(
            "`{expression}` does not start with a variable name"
        ));
    }
    let (var, operation) = inner.split_at(length);
    let value = env(var);
    let operators = [":-", ":?", ":+", "-", "?", "+"];
    let operator = operators
        .iter()
        .find(|operator| operation.starts_with(*operator))
        .copied();
    let (operator, argument) = match operator {
        Some(operator) => (operator, &operation[operator.len()..]),
        None if operation.is_empty() => ("", ""),
        None => {
            return Err(format!(
                "`{expression}`: expected `}}`, `:-`, `-`, `:?`, `?`, `:+` or `+` after the name"
            ));
        }
    };
    // The argument is a template too; Compose expands it whether or not it is used, so its
    // errors are errors either way.
    let argument = substitute(argument, env)?;
    let non_empty = value.as_deref().is_some_and(|v| !v.is_empty());
    let needs_value = match operator {
        ":-" | ":?" | ":+" => non_empty,
        _ => value.is_some(),
    };
    let (text, how) = match (operator, needs_value) {
        ("" | ":-" | "-" | ":?" | "?", true) => (value.unwrap_or_default(), How::Set),
        ("", false) => (String::new(), How::Empty),
        (":-" | "-", false) => {
            uses.extend(argument.uses);
            (argument.text.clone(), How::Default(argument.text))
        }
        (":?" | "?", false) => (String::new(), How::Required(argument.text)),
        (_, true) => {
            uses.extend(argument.uses);
            (argument.text.clone(), How::Alternative(argument.text))
        }
        (_, false) => (String::new(), How::Empty),
    };
    uses.push(Use {
        expression: expression.to_string(),
        var: var.to_string(),
        how,
    });
    Ok(text)
}

/// The length of the variable name at the start of `text`: `[_A-Za-z][_A-Za-z0-9]*`.
fn name_length(text: &str) -> usize {
    let bytes = text.as_bytes();
    match bytes.first() {
        Some(b) if b.is_ascii_alphabetic() || *b == b'_' => bytes
            .iter()
            .position(|b| !(b.is_ascii_alphanumeric() || *b == b'_'))
            .unwrap_or(bytes.len()),
        _ => 0,
    }
}

/// The index of the `}` closing the `${` at the start of `text`, counting nested `${`.
fn closing_brace(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut open = 0usize;
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] == b'$' && bytes.get(at + 1) == Some(&b'{') {
            open += 1;
            at += 2;
            continue;
        }
        if bytes[at] == b'}' {
            open = open.saturating_sub(1);
            if open == 0 {
                return Some(at);
            }
        }
        at += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "SET" => Some("yes".to_string()),
            "EMPTY" => Some(String::new()),
            "RO" => Some("false".to_string()),
            _ => None,
        }
    }

    fn text(template: &str) -> String {
        substitute(template, &env).unwrap().text
    }

    #[test]
    fn forms() {
        assert_eq!(text("${SET}"), "yes");
        assert_eq!(text("$SET/x"), "yes/x");
        assert_eq!(text("a$$b $$SET"), "a$b $SET");
        assert_eq!(text("${UNSET}"), "");
        assert_eq!(text("${UNSET:-d}"), "d");
        assert_eq!(text("${EMPTY:-d}"), "d");
        assert_eq!(text("${EMPTY-d}"), "");
        assert_eq!(text("${UNSET-d}"), "d");
        assert_eq!(text("${SET:-d}"), "yes");
        assert_eq!(text("${SET:+alt}"), "alt");
        assert_eq!(text("${EMPTY:+alt}"), "");
        assert_eq!(text("${EMPTY+alt}"), "alt");
        assert_eq!(text("${UNSET+alt}"), "");
        assert_eq!(text("${UNSET:-${SET}}x"), "yesx");
        assert_eq!(text("${UNSET:-${ALSO:-deep}}"), "deep");
        assert_eq!(
            text("${UNSET:-/var/run/docker.sock}"),
            "/var/run/docker.sock"
        );
        assert_eq!(text("${UNSET:-a-b}"), "a-b");
        assert_eq!(text("${SET:?must}"), "yes");
        assert_eq!(text("no dollar"), "no dollar");
    }

    #[test]
    fn required_variables_are_reported_not_fatal() {
        let result = substitute("${UNSET:?set it}", &env).unwrap();
        assert_eq!(result.text, "");
        assert_eq!(result.uses[0].how, How::Required("set it".to_string()));
        let result = substitute("${EMPTY?x}", &env).unwrap();
        assert_eq!(result.uses[0].how, How::Set);
    }

    #[test]
    fn invalid_templates() {
        for bad in [
            "$",
            "a $ b",
            "$1",
            "${",
            "${}",
            "${1A}",
            "${A B}",
            "${A:=x}",
            "${A:-${B}",
        ] {
            assert!(substitute(bad, &env).is_err(), "{bad}");
        }
    }

    #[test]
    fn notes_say_where_the_value_came_from() {
        let result = substitute("${RO:-true}", &env).unwrap();
        assert_eq!(
            result.note("read_only").unwrap(),
            "`read_only` comes from `${RO:-true}`: `RO` is set in this environment, so its value was used"
        );
        let result = substitute("${NOPE:-true}", &env).unwrap();
        assert_eq!(
            result.note("read_only").unwrap(),
            "`read_only` comes from `${NOPE:-true}`: `NOPE` is not set, so the default `true` was used; the verdict depends on the environment"
        );
        assert!(substitute("$$x", &env).unwrap().note("k").is_none());
    }

    #[test]
    fn env_values_never_appear_in_notes() {
        let secret = |_: &str| Some("s3cr3t".to_string());
        let result = substitute("${TOKEN}", &secret).unwrap();
        assert_eq!(result.text, "s3cr3t");
        assert!(!result.note("environment").unwrap().contains("s3cr3t"));
    }
}
