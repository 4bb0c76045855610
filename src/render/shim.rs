//! `shims/hardened_<name>.sh`: the stdio command a client launches, from `templates/shim.sh.j2`.
//! Every value that reaches the script passes through a shell-quoting filter.

use minijinja::value::Serde;
use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde::Serialize;

use super::RenderError;
use super::header::{HeaderStyle, header_text, stamp};
use crate::model::{SecretSource, Stack};

const TEMPLATE: &str = include_str!("../../templates/shim.sh.j2");

pub fn file_name(server: &str) -> String {
    format!("hardened_{server}.sh")
}

/// The shim's path inside the bundle, relative to the bundle root.
pub fn bundle_path(server: &str) -> String {
    format!("shims/{}", file_name(server))
}

pub fn quote(word: &str) -> Result<String, RenderError> {
    shlex::try_quote(word)
        .map(|quoted| quoted.into_owned())
        .map_err(|_| RenderError::Nul(word.escape_debug().to_string()))
}

/// Quotes a path, letting a leading `~` mean the home directory of whoever runs the script.
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
    env.add_filter("sq", |word: String| quote(&word).map_err(filter_error));
    env.add_filter("sq_join", |words: Vec<String>| {
        join_with(&words, quote).map_err(filter_error)
    });
    env.add_filter("sq_home_join", |words: Vec<String>| {
        join_with(&words, quote_home).map_err(filter_error)
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
    compose_path: String,
    strict_profile: &'a str,
    fallback_profiles: Vec<&'a str>,
    command: &'a [String],
    local: Option<&'a [String]>,
    local_env: Vec<String>,
    secrets: Vec<SecretContext>,
    secret_kinds: Vec<&'static str>,
}

#[derive(Serialize)]
struct SecretContext {
    name: String,
    kind: &'static str,
    /// Already quoted: the reference's arguments as shell words.
    args: String,
}

/// Renders one shim per server, in server order.
pub fn render(stack: &Stack) -> Result<Vec<(String, String)>, RenderError> {
    let env = environment().map_err(|e| RenderError::Template(e.to_string()))?;
    let template = env
        .get_template("shim.sh")
        .map_err(|e| RenderError::Template(e.to_string()))?;
    let header = header_text(&stack.source_name, HeaderStyle::Hash);
    let strict = stack.strict_profile();
    let mut shims = Vec::new();
    for server in &stack.servers {
        let secrets = server
            .secrets
            .iter()
            .map(|secret| {
                let (kind, args) = match &secret.source {
                    SecretSource::Env(var) => ("env", quote(var)?),
                    SecretSource::File(path) => ("file", quote_home(path)?),
                    SecretSource::Command(argv) => ("command", join_with(argv, quote_home)?),
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
        let local_env: Vec<String> = server
            .local_env
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let context = ShimContext {
            header: &header,
            name: &server.name,
            container: stack.container_name(server),
            project: &stack.name,
            compose_path: format!("../{}", super::compose::FILE_NAME),
            strict_profile: &strict.name,
            fallback_profiles,
            command: &server.command,
            local: server.local.as_deref(),
            local_env,
            secret_kinds: secrets.iter().map(|s| s.kind).collect(),
            secrets,
        };
        let text = template
            .render(Serde(&context))
            .map_err(|e| RenderError::Template(format!("{e:#}")))?;
        shims.push((bundle_path(&server.name), stamp(&text)));
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
}
