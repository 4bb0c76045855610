//! `${VAR}` interpolation, as Compose (compose-go's `template` package) does it before merging
//! files: `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`,
//! `${VAR?error}`, `${VAR:+alt}`, `${VAR+alt}`, nesting in the argument (`${A:-${B}}`), and `$$`
//! for a literal `$`. A `$` followed by anything else (`$(hostname)`, `$?`, `$1`, a trailing `$`)
//! is left as it is, as Compose leaves it: shell scripts in `command` need no escaping for those.
//! Only a `${` that does not make a valid expression on its line is refused, as Compose refuses
//! it.
//!
//! Values only, never keys. What mcpgen judges is the text Compose would see with the given
//! environment; each scalar that used a variable gets a note saying so, since the verdict
//! depends on the environment the stack is started in.

use super::error::ComposeError;
use super::tree::{Node, Style, Value};
use crate::lint::Finding;
use crate::lint::rules::mcp104_required_variable::RULE as REQUIRED_VARIABLE;
use crate::source::Span;

/// The environment: a lookup function, so tests are hermetic.
pub(crate) type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Interpolates every scalar value under `node`; `key` names the value in notes. `source` is
/// the text of the file the node was read from, to point refusals at their `$`. A template
/// Compose would refuse is added to `refused` and left as written, so every refusal in the
/// project can be reported at once.
pub(crate) fn apply(
    node: &mut Node,
    key: &str,
    env: Env<'_>,
    source: &str,
    notes: &mut Vec<Finding>,
    refused: &mut Vec<ComposeError>,
) {
    match &mut node.value {
        Value::Scalar(scalar) => {
            if !scalar.text.contains('$') {
                return;
            }
            let substituted = match substitute(&scalar.text, env) {
                Ok(substituted) => substituted,
                Err(refusal) => {
                    refused.push(refusal.into_error(&scalar.text, &node.span, source));
                    return;
                }
            };
            for usage in &substituted.uses {
                if let How::Required(message) = &usage.how {
                    notes.push(
                        Finding::raised(
                            &REQUIRED_VARIABLE,
                            "",
                            format!(
                                "`{}` is not set here; Compose refuses to start without it ({message})",
                                usage.var
                            ),
                            node.span,
                            format!("set `{}` where the project runs (environment, `.env` or `--env-file`), or give it a default", usage.var),
                        )
                        .with_note("mcpgen judges the value as empty"),
                    );
                }
            }
            scalar.note = substituted.note(key).map(String::into_boxed_str);
            scalar.text = substituted.text;
            // Compose interpolates strings: `${UID:-0}` is the string "0".
            scalar.style = Style::Quoted;
        }
        Value::Seq(items) => {
            for item in items {
                apply(item, key, env, source, notes, refused);
            }
        }
        Value::Map(map) => {
            for entry in &mut map.entries {
                apply(&mut entry.value, &entry.key, env, source, notes, refused);
            }
        }
    }
}

/// A template Compose refuses: where its `$` is in the template, and why.
#[derive(Debug, PartialEq)]
pub(crate) struct Refusal {
    /// Byte offset of the `$` that starts the bad expression.
    pub(crate) at: usize,
    /// Its length in bytes: to its `}`, or to the end of the line where it has none.
    pub(crate) length: usize,
    pub(crate) message: String,
}

impl Refusal {
    /// The error, pointing at the `$` in the file where the scalar's text can be found there
    /// as written (a plain or single-line scalar); at the scalar otherwise.
    fn into_error(self, template: &str, span: &Span, source: &str) -> ComposeError {
        let expression = first_line(&template[self.at..self.at + self.length]);
        let located = source
            .get(span.range())
            .and_then(|written| {
                // The same expression may occur more than once: take the occurrence with the
                // same number of earlier ones in the template as in the text.
                let earlier = template[..self.at].matches(expression).count();
                written.match_indices(expression).nth(earlier)
            })
            .map(|(offset, _)| {
                let start = span.start() + offset;
                Span::new(span.file, start..start + expression.len())
            });
        ComposeError::Interpolation {
            span: located.unwrap_or(*span),
            expression: shorten(expression),
            message: self.message,
        }
    }
}

/// The text up to the end of its first line.
fn first_line(text: &str) -> &str {
    text.split(['\n', '\r']).next().unwrap_or_default()
}

/// A headline quotes at most this many characters of an expression.
const QUOTED_CHARS: usize = 40;

fn shorten(expression: &str) -> String {
    match expression.char_indices().nth(QUOTED_CHARS) {
        Some((cut, _)) => format!("{}…", &expression[..cut]),
        None => expression.to_string(),
    }
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

/// Replaces the variables of one template, or says where Compose would refuse it.
pub(crate) fn substitute(template: &str, env: Env<'_>) -> Result<Substituted, Refusal> {
    let mut out = String::with_capacity(template.len());
    let mut uses = Vec::new();
    let mut done = 0;
    while let Some(found) = template[done..].find('$') {
        let dollar = done + found;
        out.push_str(&template[done..dollar]);
        let after = &template[dollar + 1..];
        if after.starts_with('$') {
            out.push('$');
            done = dollar + 2;
        } else if after.starts_with('{') {
            let line = template[dollar..]
                .find('\n')
                .unwrap_or(template.len() - dollar);
            let refuse = |length: usize, message: &str| Refusal {
                at: dollar,
                length,
                message: message.to_string(),
            };
            // Compose reads a braced expression within one line.
            let Some(close) = closing_brace(&template[dollar..]).filter(|close| *close < line)
            else {
                return Err(refuse(line, "`${` is not closed by a `}` on the same line"));
            };
            let expression = &template[dollar..=dollar + close];
            let inner = &expression[2..expression.len() - 1];
            let value = braced(inner, env, &mut uses).map_err(|error| match error {
                BracedError::Expression(message) => refuse(expression.len(), message),
                // The argument's own `$`, counted from the start of the inner text.
                BracedError::Argument { offset, refusal } => Refusal {
                    at: dollar + 2 + offset + refusal.at,
                    ..refusal
                },
            })?;
            out.push_str(&value);
            done = dollar + close + 1;
        } else {
            let length = name_length(after);
            if length == 0 {
                // Not a variable: Compose keeps the `$` (`$(hostname)`, `$?`, `$1`, a last `$`).
                out.push('$');
                done = dollar + 1;
                continue;
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
            done = dollar + 1 + length;
        }
    }
    out.push_str(&template[done..]);
    Ok(Substituted { text: out, uses })
}

/// Why a braced expression failed: itself, or the template in its argument.
enum BracedError {
    Expression(&'static str),
    /// `offset` is where the argument starts in the expression's inner text.
    Argument {
        offset: usize,
        refusal: Refusal,
    },
}

/// The inside of `${NAME}` or `${NAME<op><argument>}`.
fn braced(inner: &str, env: Env<'_>, uses: &mut Vec<Use>) -> Result<String, BracedError> {
    let length = name_length(inner);
    if length == 0 {
        return Err(BracedError::Expression("a variable name must follow `${`"));
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
            return Err(BracedError::Expression(
                "expected `}`, `:-`, `-`, `:?`, `?`, `:+` or `+` after the name",
            ));
        }
    };
    // The argument is a template too; Compose expands it whether or not it is used, so its
    // errors are errors either way.
    let argument = substitute(argument, env).map_err(|refusal| BracedError::Argument {
        offset: length + operator.len(),
        refusal,
    })?;
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
        expression: format!("${{{inner}}}"),
        var: var.to_string(),
        how,
    });
    Ok(text)
}

/// The length in bytes of the variable name at the start of `text`: `[_a-z][_a-z0-9]*` in
/// any case. Go's case-insensitive matching folds two non-ASCII letters onto ASCII ones (`ſ`
/// onto `s`, the Kelvin sign onto `k`), so Compose takes them as name characters too.
fn name_length(text: &str) -> usize {
    let letter = |c: char| c == '_' || c.is_ascii_alphabetic() || c == '\u{17F}' || c == '\u{212A}';
    match text.chars().next() {
        Some(first) if letter(first) => text
            .char_indices()
            .find(|&(_, c)| !(letter(c) || c.is_ascii_digit()))
            .map_or(text.len(), |(at, _)| at),
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
    fn a_dollar_that_starts_no_variable_is_kept() {
        // What `docker compose config` makes of each (Compose v2.40).
        assert_eq!(text("$"), "$");
        assert_eq!(text("a $ b"), "a $ b");
        assert_eq!(text("$1 $@ $- $? $*"), "$1 $@ $- $? $*");
        assert_eq!(text("echo $(hostname)"), "echo $(hostname)");
        assert_eq!(text("a$"), "a$");
        assert_eq!(text("$é"), "$é");
        assert_eq!(
            text("test $? -eq 0 && echo $SET"),
            "test $? -eq 0 && echo yes"
        );
        assert_eq!(text("${UNSET:-$(x)}y"), "$(x)y");
        assert_eq!(text("$(${UNSET:-z})"), "$(z)");
        assert_eq!(text("${UNSET:-{x}}"), "{x}");
        assert_eq!(text("${UNSET:-a}}"), "a}");
        assert_eq!(text("${UNSET:-x\ry}"), "x\ry");
        // Go's case folding makes these name characters: variables, unset here.
        assert_eq!(text("$\u{17F}x."), ".");
        assert_eq!(text("${\u{212A}x}."), ".");
    }

    #[test]
    fn invalid_templates_say_where_their_dollar_is() {
        let at = |template: &str| substitute(template, &env).unwrap_err().at;
        for (bad, dollar) in [
            ("${", 0),
            ("${}", 0),
            ("${1A}", 0),
            ("${A B}", 0),
            ("x ${A:=x}", 2),
            ("${A/x/y}", 0),
            ("x${A", 1),
            ("${A:-${B}", 0),
            ("${A:-x\ny}", 0),
            ("${A\n}", 0),
            ("ok ${SET} then ${A B}", 15),
            ("${A:-${B C}}", 5),
            ("${A:-x ${B:-${C D}}}", 12),
        ] {
            assert_eq!(at(bad), dollar, "{bad}");
        }
    }

    #[test]
    fn a_refusal_points_at_its_dollar_and_quotes_one_line() {
        let file =
            crate::source::Sources::default().add(std::path::Path::new("c.yml"), String::new());
        let refuse = |source: &str, template: &str| {
            let span = Span::new(file, 0..source.len());
            let refusal = substitute(template, &env).unwrap_err();
            match refusal.into_error(template, &span, source) {
                ComposeError::Interpolation {
                    span, expression, ..
                } => (span.range(), expression),
                other => panic!("{other}"),
            }
        };
        // The second `${A B}` is the bad one only if the first was fine: here both are bad,
        // and the first is reported.
        assert_eq!(
            refuse("x ${A B} ${A B}", "x ${A B} ${A B}"),
            (2..8, "${A B}".to_string())
        );
        // The same text earlier in the template, but valid there: the later one is found.
        let source = "|\n  $(${SET}) ${SET\n";
        let template = "$(${SET}) ${SET\n";
        let (range, expression) = refuse(source, template);
        assert_eq!(&source[range], "${SET");
        assert_eq!(expression, "${SET");
        // An escape changes the text: the whole scalar is shown instead.
        let source = "\"\\u0024{A B}\"";
        assert_eq!(refuse(source, "${A B}").0, 0..source.len());
        let long = format!("${{{}", "x".repeat(100));
        assert_eq!(refuse(&long, &long).1.chars().count(), QUOTED_CHARS + 1);
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
