//! `shims/hardened_<name>.sh`: the stdio command a client launches, from `templates/shim.sh.j2`.
//! Every value that reaches the script passes through a shell-quoting filter ([`bash_quote`]).

use minijinja::value::Serde;
use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde::Serialize;

use super::RenderError;
use super::header::{HeaderStyle, Identity, header_text, stamp};
use crate::model::{Fallback, SecretSource, Stack};

const TEMPLATE: &str = include_str!("../../templates/shim.sh.j2");

pub fn file_name(server: &str) -> String {
    format!("hardened_{server}.sh")
}

/// The shim's path inside the bundle, relative to the bundle root.
pub fn bundle_path(server: &str) -> String {
    format!("shims/{}", file_name(server))
}

fn quote(word: &str) -> Result<String, RenderError> {
    shlex::try_quote(word)
        .map(|quoted| quoted.into_owned())
        .map_err(|_| RenderError::Nul(word.escape_debug().to_string()))
}

/// Quotes one word for the bash shims so that bash reads it back byte for byte, in a form
/// shellcheck has nothing to say about, whatever the word holds. The shims must pass
/// shellcheck with zero findings, and their words come from mcp.toml: shlex's output, though
/// correct, draws findings for a `$` or backtick in single quotes (SC2016), a leading `~`
/// (SC2088), Unicode quotes (SC1111, SC1112) and a bare `]` (SC2171).
/// - `[A-Za-z0-9_./:@+-]+` stays bare;
/// - other printable ASCII without `'`, `\`, `$`, `` ` `` or `~`: single quotes;
/// - anything else: ANSI-C quoting, `$'…'`, where every byte outside that set is an escape
///   (`\n`, `\t`, `\\`, `\'`, else three octal digits). bash has read `$'…'` since 2.0, so
///   macOS's bash 3.2 reads it too. Only for bash: `/bin/sh` contexts use [`quote`].
pub fn bash_quote(word: &str) -> Result<String, RenderError> {
    fn bare(b: u8) -> bool {
        b.is_ascii_alphanumeric() || b"_./:@+-".contains(&b)
    }
    fn literal(b: u8) -> bool {
        (b' '..=b'~').contains(&b) && !b"'\\$`~".contains(&b)
    }
    if word.contains('\0') {
        return Err(RenderError::Nul(word.escape_debug().to_string()));
    }
    let bytes = word.as_bytes();
    if !bytes.is_empty() && bytes.iter().all(|&b| bare(b)) {
        return Ok(word.to_string());
    }
    if bytes.iter().all(|&b| literal(b)) {
        return Ok(format!("'{word}'"));
    }
    let mut quoted = String::from("$'");
    for &b in bytes {
        match b {
            b'\n' => quoted.push_str("\\n"),
            b'\t' => quoted.push_str("\\t"),
            b'\\' => quoted.push_str("\\\\"),
            b'\'' => quoted.push_str("\\'"),
            b if literal(b) => quoted.push(char::from(b)),
            b => quoted.push_str(&format!("\\{b:03o}")),
        }
    }
    quoted.push('\'');
    Ok(quoted)
}

/// [`bash_quote`], letting a leading `~` mean the home directory of whoever runs the script.
pub fn bash_quote_home(word: &str) -> Result<String, RenderError> {
    if word == "~" {
        Ok("\"$HOME\"".to_string())
    } else if let Some(rest) = word.strip_prefix("~/") {
        Ok(format!("\"$HOME\"/{}", bash_quote(rest)?))
    } else {
        bash_quote(word)
    }
}

/// Quotes a path for a POSIX shell, letting a leading `~` mean the home directory of whoever
/// runs the script.
pub fn quote_home(word: &str) -> Result<String, RenderError> {
    if word == "~" {
        Ok("\"$HOME\"".to_string())
    } else if let Some(rest) = word.strip_prefix("~/") {
        Ok(format!("\"$HOME\"/{}", quote(rest)?))
    } else {
        quote(word)
    }
}

fn join_with(
    words: &[String],
    quote_one: fn(&str) -> Result<String, RenderError>,
) -> Result<String, RenderError> {
    let quoted: Result<Vec<String>, RenderError> = words.iter().map(|w| quote_one(w)).collect();
    Ok(quoted?.join(" "))
}

fn filter_error(error: RenderError) -> minijinja::Error {
    minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, error.to_string())
}

fn environment() -> Result<Environment<'static>, minijinja::Error> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| AutoEscape::None);
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.add_filter("sq", |word: String| bash_quote(&word).map_err(filter_error));
    env.add_filter("sq_home", |word: String| {
        bash_quote_home(&word).map_err(filter_error)
    });
    env.add_filter("sq_join", |words: Vec<String>| {
        join_with(&words, bash_quote).map_err(filter_error)
    });
    env.add_filter("sq_home_join", |words: Vec<String>| {
        join_with(&words, bash_quote_home).map_err(filter_error)
    });
    env.add_template("shim.sh", TEMPLATE)?;
    Ok(env)
}

#[derive(Serialize)]
struct ShimContext<'a> {
    header: &'a str,
    name: &'a str,
    container: String,
    project: &'a str,
    /// The compose file's name, in the bundle directory above the shim's own.
    compose_file: &'static str,
    /// The labels the shim reads to tell the stack's own container from a foreign one.
    stack_label: &'static str,
    server_label: &'static str,
    strict_profile: &'a str,
    fallback_profiles: Vec<&'a str>,
    /// What `docker exec` runs: the server's command behind the helper's session gate.
    command: Vec<String>,
    /// The local command, where the server allows falling back to it at all.
    local: Option<&'a [String]>,
    /// A local command is configured, but the server's `fallback = "none"` forbids it: not
    /// even `MCPGEN_MODE=local` runs it.
    never_local: bool,
    local_env: Vec<EnvPair<'a>>,
    secrets: Vec<SecretContext>,
    secret_kinds: Vec<&'static str>,
}

#[derive(Serialize)]
struct EnvPair<'a> {
    name: &'a str,
    /// `~` at its start means the home directory, as in the local command's arguments.
    value: &'a str,
}

#[derive(Serialize)]
struct SecretContext {
    name: String,
    kind: &'static str,
    /// Already quoted: the reference's arguments as shell words.
    args: String,
}

/// A session in the container: the helper takes one of the server's session slots (or answers
/// "busy"), then becomes the server's own command.
pub fn session_command(server: &crate::model::Server) -> Vec<String> {
    let mut argv = vec![
        crate::model::contract::HELPER_PATH.to_string(),
        "session".to_string(),
        "--server".to_string(),
        server.name.clone(),
        "--max".to_string(),
        server.max_sessions.to_string(),
        "--".to_string(),
    ];
    argv.extend(server.command.iter().cloned());
    argv
}

/// Renders one shim per server, in server order.
pub fn render(stack: &Stack) -> Result<Vec<(String, String)>, RenderError> {
    let env = environment().map_err(|e| RenderError::Template(e.to_string()))?;
    let template = env
        .get_template("shim.sh")
        .map_err(|e| RenderError::Template(e.to_string()))?;
    let strict = stack.strict_profile();
    let mut shims = Vec::new();
    for server in &stack.servers {
        let secrets = server
            .secrets
            .iter()
            .map(|secret| {
                let (kind, args) = match &secret.source {
                    SecretSource::Env(var) => ("env", bash_quote(var)?),
                    SecretSource::File(path) => ("file", bash_quote_home(path)?),
                    SecretSource::Command(argv) => ("command", join_with(argv, bash_quote_home)?),
                };
                Ok(SecretContext {
                    name: secret.name.clone(),
                    kind,
                    args,
                })
            })
            .collect::<Result<Vec<_>, RenderError>>()?;
        let fallback_profiles: Vec<&str> = stack
            .profiles
            .iter()
            .filter(|profile| server.may_fall_back(profile))
            .map(|profile| profile.name.as_str())
            .collect();
        let local_env: Vec<EnvPair<'_>> = server
            .local_env
            .iter()
            .map(|(name, value)| EnvPair { name, value })
            .collect();
        let may_run_local = server.fallback == Fallback::Local;
        let path = bundle_path(&server.name);
        let header = header_text(
            &Identity {
                source: &stack.source_name,
                stack: &stack.name,
                path: &path,
            },
            HeaderStyle::Hash,
        );
        let context = ShimContext {
            header: &header,
            name: &server.name,
            container: stack.container_name(server),
            project: &stack.name,
            compose_file: crate::model::contract::COMPOSE_FILE_NAME,
            stack_label: crate::model::contract::LABEL_STACK,
            server_label: crate::model::contract::LABEL_SERVER,
            strict_profile: &strict.name,
            fallback_profiles,
            command: session_command(server),
            local: server.local.as_deref().filter(|_| may_run_local),
            never_local: server.local.is_some() && !may_run_local,
            local_env,
            secret_kinds: secrets.iter().map(|s| s.kind).collect(),
            secrets,
        };
        let text = template
            .render(Serde(&context))
            .map_err(|e| RenderError::Template(format!("{e:#}")))?;
        shims.push((path, stamp(&text)));
    }
    Ok(shims)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn home_paths_expand_at_run_time() {
        assert_eq!(quote_home("~/projects").unwrap(), "\"$HOME\"/projects");
        assert_eq!(quote_home("~/my dir").unwrap(), "\"$HOME\"/'my dir'");
        assert_eq!(quote_home("~user/x").unwrap(), "'~user/x'");
        assert!(quote("a\0b").is_err());
    }

    #[test]
    fn bash_quoting_picks_the_plainest_form_shellcheck_accepts() {
        assert_eq!(bash_quote("node").unwrap(), "node");
        assert_eq!(bash_quote("-y").unwrap(), "-y");
        assert_eq!(bash_quote("").unwrap(), "''");
        assert_eq!(bash_quote("two words").unwrap(), "'two words'");
        assert_eq!(bash_quote("]").unwrap(), "']'");
        assert_eq!(bash_quote("say \"hi\"").unwrap(), "'say \"hi\"'");
        assert_eq!(bash_quote("$HOME").unwrap(), "$'\\044HOME'");
        assert_eq!(bash_quote("it's\n\t\\").unwrap(), "$'it\\'s\\n\\t\\\\'");
        assert_eq!(bash_quote("~/x").unwrap(), "$'\\176/x'");
        assert_eq!(bash_quote("\u{2018}q").unwrap(), "$'\\342\\200\\230q'");
        assert_eq!(bash_quote_home("~").unwrap(), "\"$HOME\"");
        assert_eq!(bash_quote_home("~/my dir").unwrap(), "\"$HOME\"/'my dir'");
        assert_eq!(bash_quote_home("~user").unwrap(), "$'\\176user'");
        assert!(bash_quote("a\0b").is_err());
    }
}
